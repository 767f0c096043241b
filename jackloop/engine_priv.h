/* engine_priv.h - the engine's private state, shared by engine.c and the
 * *_rt.c files.  Lives in jackloop's own memory (allocated and mlocked at
 * start-up), never in shm. */
#ifndef JL_ENGINE_PRIV_H
#define JL_ENGINE_PRIV_H

#include "engine.h"

/* One playback voice: a layer of a track (DESIGN 3.2-3.3). */
struct jl_voice {
	uint8_t active;
	uint8_t kind;		/* enum jl_src */
	uint8_t channels;
	uint8_t seam_mode;	/* enum jl_seam */
	uint8_t stop_at_zero;
	uint8_t overrun;
	uint16_t in[2];
	uint32_t track;
	uint32_t gen;
	uint32_t seam;
	uint64_t hist_start;
	uint64_t pool_off[2];
	uint64_t data_len;
	uint64_t head, body, period, origin;
	uint64_t q;		/* phase of the next frame (published) */
	struct jl_ramp gain;
	float peak;
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

	/* Scratch, one sub-block. */
	float bus[2][JL_BLOCK];
	float inbuf[JL_MAX_INPUTS][JL_BLOCK];
};

#endif
