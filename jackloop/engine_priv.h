/* engine_priv.h - the engine's private state, shared by engine.c and the
 * *_rt.c files.  Lives in jackloop's own memory (allocated and prefaulted
 * by jl_engine_create, mlocked by jl_engine_lock_memory at start-up), never
 * in shm. */
#ifndef JL_ENGINE_PRIV_H
#define JL_ENGINE_PRIV_H

#include <emmintrin.h>
#include <xmmintrin.h>

#include "conv.h"
#include "engine.h"
#include "fx.h"

struct jl_fx_slot_rt {
	uint32_t type;		/* enum jl_fx_type */
	float mix;		/* convolution wet share */
	uint64_t off, bytes;	/* state block in the pool (bytes) */
	struct jl_conv_geom conv;	/* convolution: the geometry checked at bind */
};

/* One playback voice: a layer of a track (DESIGN 3.2-3.3).  The fields
 * every cycle reads for every active voice (state, gain, phase and the
 * geometry that decides between the fast paths) come first, so that a
 * muted or silent voice costs about one cache line. */
struct jl_voice {
	uint8_t active;
	uint8_t kind;		/* enum jl_src */
	uint8_t channels;
	uint8_t seam_mode;	/* enum jl_seam */
	uint8_t stop_at_zero;
	uint8_t overrun;
	uint16_t in[2];
	uint32_t track;
	uint32_t seam;
	struct jl_ramp gain;
	uint64_t q;		/* phase of the next frame (published) */
	uint64_t period;
	uint64_t body;
	uint64_t head;
	float peak;
	uint32_t gen;
	uint64_t hist_start;
	uint64_t pool_off[2];
	uint64_t data_len;
	uint64_t origin;
	uint8_t rate;		/* 0: 1x, 1: 2x, 2: half speed (DESIGN 2.8) */
	uint8_t reverse;
	uint64_t vperiod;	/* the voice's own period: period, /2 at 2x, *2 at half speed */
};

struct jl_engine {
	struct jl_shm *shm;
	struct jl_shm_header *hdr;
	struct jl_rt_state *rt;
	struct jl_voice_pub *vpub;
	float *hist;
	uint64_t hist_frames;
	uint32_t n_inputs;
	uint32_t rate;
	uint32_t max_voices;
	struct jl_spsc_h cmdq;	/* consumer side */
	struct jl_spsc_h evtq;	/* producer side */

	/* Timeline. */
	int started;
	uint64_t frame;		/* next engine frame */
	uint32_t last_jack_frames;
	uint32_t last_nframes;
	uint64_t offset;	/* engine frame - JACK frame (low 32 bits matter) */
	uint32_t offset_marks;

	/* Future-dated commands (unsorted; min cached). */
	struct jl_cmd pending[JL_PENDING_MAX];
	uint32_t n_pending;

	/* Voices and track buses. */
	struct jl_voice *voice;		/* max_voices, allocated at create */
	uint64_t pool_floats;
	float *pool;
	struct jl_ramp track_l[JL_MAX_TRACKS], track_r[JL_MAX_TRACKS];
	uint8_t track_used[JL_MAX_TRACKS];	/* touched in this sub-block */
	float tbus[JL_MAX_TRACKS][2][JL_BLOCK];
	float vbuf[2][JL_BLOCK];
	uint32_t fade_frames;		/* overrun fade-out */

	/* Effect chains (chain_rt.c). */
	struct jl_fx_slot_rt fx[JL_FX_CHAINS][JL_FX_SLOTS];
	uint8_t fx_used[JL_FX_CHAINS];
	uint8_t send_on[JL_MAX_TRACKS];
	/* A track's chain keeps running without voices until its output has
	 * been exact zeros for tail_hold frames: a reverb or an echo rings
	 * out, and what an external rack returns is heard (track_rt.c). */
	uint32_t tail_left[JL_MAX_TRACKS];
	uint32_t tail_hold;
	const struct jl_engine_io *io_cur;	/* this cycle's buffers, for sends */
	uint32_t off_cur;			/* this sub-block's offset in them */
	struct jl_fx_ctx fx_ctx;
	const struct jl_conv_plans *conv_plans;	/* made by jackloop's main thread */

	/* The performer's outputs (bus_rt.c). */
	struct jl_ramp phones_track[JL_MAX_TRACKS], phones_master;
	float phones[2][JL_BLOCK];
	float *pd[2];			/* phones delay line, pd_mask + 1 frames */
	uint32_t pd_mask, pd_pos, pd_frames, pd_old, pd_xn, pd_xi, pd_max;
	uint32_t pd_next, pd_next_xn;	/* a change waiting for the crossfade to end */
	uint8_t pd_next_on;
	struct jl_ramp imon_l[JL_MAX_INPUTS], imon_r[JL_MAX_INPUTS], imon_ph[JL_MAX_INPUTS];
	uint64_t click_origin, click_span, click_until;
	uint32_t click_beats, click_per_bar, click_len;
	float click_phones, click_pa;
	float *click_tab[2];		/* accent, beat */
	/* MIDI clock out (clock_rt.c): 24 ticks per beat of the click grid */
	uint8_t mclk_on;		/* JL_CMD_MIDI_CLOCK (on at start) */
	uint8_t mclk_running;		/* a Start went out, no Stop since */
	uint8_t mclk_start_due;		/* Start at the grid's next downbeat */
	uint8_t mclk_stop_due;		/* Stop at the next sub-block's first frame */
	int32_t mclk_offset;		/* a tick for grid frame t goes out at t + offset */
	uint8_t mclk_join;		/* the grid changed and goes on: check the next tick */
	uint64_t mclk_last;		/* the frame the last tick went out at (0 = none) */
	uint64_t mclk_skip;		/* tick index + 1 not to send (it went out on the old grid) */
	float lim_ceiling[2], lim_dist[2], lim_rel; /* lim_dist: each limiter's gain below 1 */
	uint32_t cal_left, cal_state, cal_output;	/* calibration burst in progress */
	float cal_amp;

	/* Master bus. */
	struct jl_ramp master;
	struct jl_ramp pa;		/* main outputs only (PA mute) */
	struct jl_ramp trim[JL_MAX_INPUTS];
	float impulse_amp;	/* one-shot impulse at the current sub-block start */
	int impulse_armed;

	/* Meters (local copies of what is published). */
	float in_peak[JL_MAX_INPUTS];
	float out_peak[JL_N_OUTPUTS];
	uint32_t gap_count;
	uint64_t cycle_n;		/* cycles processed (publishing round robin) */

	uint32_t mem_locked;		/* blocks of our memory mlocked (engine.c) */

	/* Scratch, one sub-block. */
	float bus[2][JL_BLOCK];
	float inbuf[JL_MAX_INPUTS][JL_BLOCK];
};

/* Advances a ramp by n frames without a buffer: exactly the state
 * jl_ramp_apply_rt would leave (engine_rt.c).  RT-safe. */
void jl_ramp_skip_rt(struct jl_ramp *r, uint32_t n);

/* --- SIMD helpers for the *_rt.c files ------------------------------------
 * gcc -O2 (the default build) does not vectorise loops that need an
 * epilogue or an aliasing check, and mixing is memory- and loop-bound, so
 * the hot loops are written with SSE/SSE2 (baseline on x86-64).  Each does
 * the same IEEE operations in the same order as the scalar loop it
 * replaces, without contraction, so results are bit-identical; the tails
 * (n % 4 frames) run the scalar form. */

/* The closed-form ramp gains for ramp frames i+1 .. i+4 (DESIGN 2.7):
 * g0 + d * ((float)(i + 1 + j) * inv), j = 0..3. */
static inline __m128 jl_ramp4(__m128 g0, __m128 d, __m128 inv, uint32_t i)
{
	__m128i idx = _mm_add_epi32(_mm_set1_epi32((int)(i + 1)), _mm_setr_epi32(0, 1, 2, 3));
	return _mm_add_ps(g0, _mm_mul_ps(d, _mm_mul_ps(_mm_cvtepi32_ps(idx), inv)));
}

static inline __m128 jl_abs4(__m128 x) { return _mm_andnot_ps(_mm_set1_ps(-0.0f), x); }

/* Largest lane of x, folded into p. */
static inline float jl_hmax4(__m128 x, float p)
{
	float l[4];
	uint32_t j;
	_mm_storeu_ps(l, x);
	for (j = 0; j < 4; j++)
		p = l[j] > p ? l[j] : p;
	return p;
}

/* dst[k] += src[k], k < n. */
static inline void jl_acc_rt(float *dst, const float *src, uint32_t n)
{
	uint32_t k = 0;
	for (; k + 4 <= n; k += 4)
		_mm_storeu_ps(dst + k, _mm_add_ps(_mm_loadu_ps(dst + k), _mm_loadu_ps(src + k)));
	for (; k < n; k++)
		dst[k] += src[k];
}

/* dst[k] = src[k], k < n, with NaN and +-Inf replaced by 0; returns how
 * many were.  For audio from other JACK clients: one NaN would stay in the
 * history, in every loop made from it and in every feedback path, and the
 * limiters cannot catch it.  x - x is exactly 0 for a finite x and NaN
 * otherwise, so the test is one subtract and compare, no libm call, in SSE
 * like the memcpy it replaces (a denormal stays as it is). */
static inline uint32_t jl_copy_finite_rt(float *dst, const float *src, uint32_t n)
{
	const __m128 z = _mm_setzero_ps();
	uint32_t k = 0, bad = 0;
	for (; k + 4 <= n; k += 4) {
		__m128 x = _mm_loadu_ps(src + k), ok = _mm_cmpeq_ps(_mm_sub_ps(x, x), z);
		int m = _mm_movemask_ps(ok);
		_mm_storeu_ps(dst + k, _mm_and_ps(x, ok));
		if (m != 15)
			bad += 4u - (uint32_t)((m & 1) + (m >> 1 & 1) + (m >> 2 & 1) + (m >> 3 & 1));
	}
	for (; k < n; k++) {
		float x = src[k];
		if (x - x != 0.0f) {
			x = 0.0f;
			bad++;
		}
		dst[k] = x;
	}
	return bad;
}

#endif
