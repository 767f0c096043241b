/* irload.h - impulse responses for the convolution effect, the daemon side
 * (docs/convolution.md).
 *
 * loopctl reads the IR file (libsndfile), sizes a pool region with
 * jl_conv_state_bytes() (shared/jl_conv.h) and fills it with
 * jl_conv_prepare(); jackloop then runs jl_conv_process_rt() on it.
 *
 * Thread: non-RT only (loopctl's poll loop).  jl_conv_prepare() makes an
 * FFTW plan: not concurrently with other FFTW planning in the process.
 */
#ifndef JL_IRLOAD_H
#define JL_IRLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../shared/jl_conv.h"

/* The --max-ir-seconds limit in frames at `rate` (seconds <= 0 or NaN: the
 * default JL_CONV_MAX_IR_SECONDS_DEFAULT; clamped to 600 s). */
uint32_t jl_ir_max_frames(double seconds, uint32_t rate);

/* Reads an impulse response from `path`: mono or stereo, any format
 * libsndfile reads, exactly `rate` Hz (no resampling is done).  Trailing
 * frames that are zero on every channel are dropped.  On success *ir is a
 * jl_alloc'd planar buffer (channel c at (*ir)[c * *frames + i]; the caller
 * jl_free()s it), *frames >= 1, *channels 1 or 2.  On failure *ir = NULL
 * and `err` (n bytes) says why, naming the file:
 *   -ENOENT etc.  the file cannot be opened (strerror text)
 *   -EISDIR       a directory
 *   -EINVAL       not an audio file libsndfile reads; more than 2 channels;
 *                 a sample rate other than `rate` (both rates are named);
 *                 a non-finite sample; max_frames == 0
 *   -ENODATA      no frames, or every sample is zero
 *   -EFBIG        longer than max_frames (length and maximum in frames and
 *                 seconds, and the option that raises it: --max-ir-seconds)
 *   -EIO          a read error
 *   -ENOMEM       out of memory. */
int jl_ir_load(const char *path, uint32_t rate, uint32_t max_frames, float **ir, uint32_t *frames,
	       int *channels, char *err, size_t n);

/* Fills a state block for partition size B from a planar IR (as
 * jl_ir_load() returns it): header, partition 0 as FIR taps, the spectra of
 * partitions 1.. (scaled by the inverse FFT's 1/(2B)), delay lines and
 * input windows zeroed, no mix yet (the first process call applies its mix at
 * once; later changes ramp).  `state` must be 64-byte aligned and `bytes` at
 * least jl_conv_state_bytes(B, frames, channels).  The block must not be in
 * use by jackloop while this runs (prepare a fresh region, then hand it
 * over); the header, with its magic, is written last.  Cost: P - 1 FFTs of
 * size 2B and one plan (FFTW_ESTIMATE): about 1 ms for a 1 s IR.
 * Returns 0, -EINVAL (bad arguments or alignment), -ENOSPC (bytes too
 * small) or -ENOMEM. */
int jl_conv_prepare(void *state, uint64_t bytes, uint32_t B, const float *ir, uint32_t frames,
		    int channels);

#endif
