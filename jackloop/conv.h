/* conv.h - convolution with an impulse response (cabinet or room), the
 * jackloop side (docs/convolution.md).
 *
 * Uniformly partitioned FFT convolution, partition B frames
 * (JL_CONV_B = 256), FFT size 2B, with partition 0 as a direct-form FIR so
 * that the effect adds no latency (jl_conv_latency() = 0).  The state lives
 * in one caller-provided block laid out by shared/jl_conv.h (a pool region;
 * loopctl fills it with jl_conv_prepare() from loopctl/irload.h).  The
 * FFTW plans are process local: jackloop's main thread makes them once at
 * start-up with jl_conv_plans_create(), and the callback only runs the
 * new-array execute functions on arrays inside the state block.
 *
 * Cost: the FIR (B multiply-adds per frame and channel) is spread evenly;
 * the FFTs and the spectral multiply-accumulate run in the call that
 * completes a block of B frames, so at a 128-frame period every other call
 * carries that burst (docs/convolution.md has the numbers).
 */
#ifndef JL_CONV_RT_H
#define JL_CONV_RT_H

#include <stdint.h>
#include <fftw3.h>

#include "../shared/jl_conv.h"

/* FFTW plans for one partition size; process local, never in shm. */
struct jl_conv_plans {
	uint32_t B;		/* partition size; 0 = not created */
	int align;		/* fftwf_alignment_of() of the planning arrays */
	fftwf_plan r2c;		/* 2B reals -> B + 1 complex, preserves its input */
	fftwf_plan c2r;		/* B + 1 complex -> 2B reals, may destroy its input */
};

/* Makes the two plans for partition size B (jl_conv_b_ok(B)) with
 * FFTW_ESTIMATE on fftwf_malloc'd arrays (freed again before returning).
 * Thread: non-RT only, and not concurrently with other FFTW planning in the
 * process (jackloop's main thread at start-up).  On failure *p is left
 * zeroed (safe to destroy).  Returns 0, -EINVAL (B unsupported) or -ENOMEM. */
int jl_conv_plans_create(struct jl_conv_plans *p, uint32_t B);

/* Destroys the plans; accepts a zeroed or partially created *p (and NULL).
 * Thread: non-RT only. */
void jl_conv_plans_destroy(struct jl_conv_plans *p);

/* The geometry a state block was validated with (jl_conv_bind_rt), kept
 * by its user outside the block: the block itself may be rewritten. */
struct jl_conv_geom {
	uint32_t B, ir_frames, ir_channels;
};

/* Checks a state block before it is bound to an effect slot: prepared
 * (magic), made for the plans' B, its layout (recomputed from its geometry)
 * fits in `bytes`, the offsets stored match, the RT cursors are in range,
 * and the base has the alignment FFTW planned for.  On success stores the
 * geometry in *geom (if not NULL) for jl_conv_process_bound_rt().  Pure,
 * RT-safe.  Returns 0 or -EINVAL. */
int jl_conv_bind_rt(const void *state, uint64_t bytes, const struct jl_conv_plans *p,
		    struct jl_conv_geom *geom);
/* jl_conv_bind_rt() without keeping the geometry. */
int jl_conv_check_rt(const void *state, uint64_t bytes, const struct jl_conv_plans *p);

/* Convolves l (and r, if not NULL) in place, n frames (any n, no upper
 * bound), with no latency:
 *   out[t] = (1 - g) * in[t] + g * (ir * in)[t]
 * with g ramped linearly over the call from the previous call's `mix` to
 * this one's (clamped to 0..1, NaN = 0; the first call after
 * jl_conv_prepare() applies its mix at once).  A mono IR is applied to both
 * channels; a stereo IR maps L->L and R->R.  r == NULL processes l only (a
 * mono bus: use it consistently for a given block).
 * The layout (offsets, sizes) is recomputed from *geom, the geometry
 * jl_conv_bind_rt() validated against the block's region, never from the
 * block.  A block whose header no longer states that geometry (magic, B,
 * IR frames and channels), or whose cursors are out of range, is passed
 * through untouched (dry): then it returns -1 (the engine counts those),
 * else 0.
 * Thread: RT-safe (no allocation, locks or syscalls; only
 * fftwf_execute_dft_r2c/_c2r, mem* and float math).  Expects FTZ/DAZ set by
 * the caller (the engine does at the top of each callback). */
int jl_conv_process_bound_rt(void *state, const struct jl_conv_geom *geom, const struct jl_conv_plans *p,
			     float *l, float *r, uint32_t n, float mix);

/* jl_conv_process_bound_rt() with the geometry taken from the block's own
 * header: only for a block no other process can write (tests, benchmarks),
 * whose size the caller checked once with jl_conv_check_rt().  The engine,
 * whose blocks live in the daemon-writable pool, binds instead. */
void jl_conv_process_rt(void *state, const struct jl_conv_plans *p, float *l, float *r, uint32_t n,
			float mix);

#endif
