/* fx.h - the RT effects (docs/effects.md): filter, EQ, compressor,
 * saturation, delay, reverb.  Each processes a stereo pair in place and
 * keeps all its state in one caller-provided block of
 * jl_fx_state_bytes(type, rate) bytes (shared/jl_fx.h), aligned to
 * JL_FX_ALIGN.  The block holds only fixed-width fields and buffers found by
 * offsets recomputed from the rate: no pointers, so it may live in the
 * shared pool and survive a daemon restart.
 *
 * The block is daemon-writable memory, so the RT side trusts none of it for
 * memory safety: every index into a buffer is re-checked against lengths
 * recomputed from the engine's rate, and a block whose header does not match
 * (never reset, wrong type, other rate) is passed through untouched.
 *
 * Thread: every function here is RT-safe (no allocation, locks, syscalls;
 * only mem* and float math) and may run on the JACK thread.
 */
#ifndef JL_FX_RT_H
#define JL_FX_RT_H

#include <stdint.h>

#include "../shared/jl_fx.h"

/* Per-cycle context from the engine. */
struct jl_fx_ctx {
	uint32_t rate;		/* the engine's sample rate */
	double beat_frames;	/* frames per beat for synced delays; 0 = no tempo */
};

/* Initialises the state block: zeroes it, writes the header and applies the
 * type's defaults at once (FILTER and EQ start as an exact passthrough until
 * their first coefficients arrive).  Does nothing (the block stays invalid,
 * so processing passes through) if `state` is NULL or misaligned, `bytes` is
 * below jl_fx_state_bytes(type, rate), or the type or rate is unsupported.
 * Cost: one memset of the block (a 4 s delay at 48 kHz is 1.5 MB), so the
 * engine binds slots with jl_fx_init_rt() instead; this one serves the tests
 * and benchmarks.  Returns 0 or -EINVAL. */
int jl_fx_reset_rt(int type, void *state, uint64_t bytes, uint32_t rate);

/* As jl_fx_reset_rt() without the memset, for a block that is already all
 * zeros (the daemon zeroes a new effect's region before binding it, so the
 * callback never clears megabytes of delay line).  A block that is not
 * zero still cannot make the effect read out of bounds; it only sounds
 * wrong.  Returns 0 or -EINVAL. */
int jl_fx_init_rt(int type, void *state, uint64_t bytes, uint32_t rate);

/* Sets new target parameters (params[JL_FX_MAX_PARAMS], layout per type in
 * shared/jl_fx.h).  Every change ramps over `ramp_frames` frames (DESIGN
 * 2.7): sample i of the ramp is v0 + (v1 - v0)(i + 1)/N, and a new target
 * mid-ramp starts from the current value.  What ramps is the internal value
 * (linear gains, compressor dB values, comb feedbacks, biquad coefficients),
 * see docs/effects.md; compressor attack/release and detector switch at
 * once (the gain smoother already makes those changes smooth).
 * FILTER/EQ: `coef` carries {b0,b1,b2,a1,a2} per biquad (5 for FILTER, 20
 * for EQ), designed in double by jl_fx_design(); they are interpolated
 * linearly per sample over the ramp.  NULL keeps the current coefficients
 * (e.g. for an EQ output gain change).  Other types ignore `coef`.
 * DELAY: the time glides over max(ramp_frames, 2 * |change|) frames.
 * Everything is validated first (finite, in range, enum indices whole,
 * coefficients finite and stable, ramp <= JL_FX_RAMP_MAX); on failure
 * nothing changes.  Returns 0 or -EINVAL. */
int jl_fx_set_rt(int type, void *state, const float *params, const double *coef,
		 uint32_t ramp_frames);

/* Processes n frames of l[] and r[] in place (any n; internally in blocks of
 * at most JL_FX_BLOCK); l and r must be distinct buffers.  A block that was not reset for this type and
 * ctx->rate, NULL state/ctx, NONE and CONV leave the buffers untouched. */
#define JL_FX_BLOCK 256u
void jl_fx_process_rt(int type, void *state, float *l, float *r, uint32_t n,
		      const struct jl_fx_ctx *ctx);

#endif
