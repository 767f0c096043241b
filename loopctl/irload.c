/* irload.c - reading impulse responses and preparing convolution state
 * (see irload.h and docs/convolution.md). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <fftw3.h>
#include <samplerate.h>
#include <sndfile.h>

#include "irload.h"
#include "jl_alloc.h"
#include "util.h"

#define CHUNK 1024	/* frames per sf_readf_float call */

uint32_t jl_ir_max_frames(double seconds, uint32_t rate)
{
	if (!(seconds > 0.0))
		seconds = JL_CONV_MAX_IR_SECONDS_DEFAULT;
	if (seconds > 600.0)
		seconds = 600.0;
	return (uint32_t)(seconds * rate + 0.5);
}

/* An impulse response at another rate than the engine's, resampled
 * channel by channel (libsamplerate's best sinc converter) to the same
 * duration.  Its taps are scaled by from/to: a response sampled r times
 * as densely sums r times as many taps, and the filter must keep its
 * gain.  *ir (planar, *frames per channel) is replaced. */
static int convert(const char *path, float **ir, uint32_t *frames, int ch, uint32_t from, uint32_t to,
		   uint32_t max_frames, char *err, size_t n)
{
	double r = (double)to / from;
	uint32_t len = (uint32_t)llround(*frames * r), c;
	float *out;
	if (len == 0)
		len = 1;
	if (len > max_frames) {
		snprintf(err, n, "%s: %u frames at %u Hz is longer than the maximum of %u frames; raise the limit "
			 "with --max-ir-seconds", path, len, to, max_frames);
		return -EFBIG;
	}
	out = jl_calloc((size_t)len * (size_t)ch, sizeof *out);
	if (!out) {
		snprintf(err, n, "%s: out of memory for %u frames", path, len);
		return -ENOMEM;
	}
	for (c = 0; c < (uint32_t)ch; c++) {
		SRC_DATA sd;
		int e;
		uint32_t k;
		memset(&sd, 0, sizeof sd);
		sd.data_in = *ir + (size_t)c * *frames;
		sd.input_frames = (long)*frames;
		sd.data_out = out + (size_t)c * len;
		sd.output_frames = (long)len;
		sd.src_ratio = (double)len / *frames;
		e = src_simple(&sd, SRC_SINC_BEST_QUALITY, 1);
		if (e) {
			snprintf(err, n, "%s: converting it from %u to %u Hz: %s", path, from, to, src_strerror(e));
			jl_free(out);
			return -EINVAL;
		}
		for (k = 0; k < len; k++)
			out[(size_t)c * len + k] *= (float)(1.0 / r);
	}
	jl_free(*ir);
	*ir = out;
	*frames = len;
	return 0;
}

int jl_ir_load(const char *path, uint32_t rate, uint32_t max_frames, float **ir, uint32_t *frames,
	       int *channels, char *err, size_t n)
{
	SF_INFO si;
	SNDFILE *sf = NULL;
	float buf[CHUNK * 2], *out = NULL;
	uint32_t len, got = 0, used = 0;
	int ch, rc, fd;

	*ir = NULL;
	*frames = 0;
	*channels = 0;
	if (max_frames == 0) {
		snprintf(err, n, "%s: the maximum impulse response length is zero (--max-ir-seconds)", path);
		return -EINVAL;
	}
	{
		/* a regular file only: a FIFO would block the daemon's loop */
		char why[160];
		fd = jl_open_regular(path, why, sizeof(why));
		if (fd < 0) {
			rc = -errno;
			if (rc == -EISDIR)
				snprintf(err, n, "%s: is a directory, not an impulse response file", path);
			else
				snprintf(err, n, "%s: cannot open the impulse response: %s", path, why);
			return rc;
		}
		memset(&si, 0, sizeof si);
		/* SF_FALSE: libsndfile leaves fd open; every path below closes it */
		sf = sf_open_fd(fd, SFM_READ, &si, SF_FALSE);
		if (!sf) {
			close(fd);
			snprintf(err, n, "%s: not an audio file that can be read (%s)", path, sf_strerror(NULL));
			return -EINVAL;
		}
	}
	ch = si.channels;
	if (ch < 1 || ch > 2) {
		snprintf(err, n, "%s: has %d channels; an impulse response must be mono or stereo", path, ch);
		rc = -EINVAL;
		goto fail;
	}
	if (si.samplerate <= 0) {
		snprintf(err, n, "%s: has no valid sample rate (%d Hz)", path, si.samplerate);
		rc = -EINVAL;
		goto fail;
	}
	if (si.frames <= 0) {
		snprintf(err, n, "%s: contains no audio frames (empty impulse response)", path);
		rc = -ENODATA;
		goto fail;
	}
	if ((double)si.frames * rate / si.samplerate > (double)max_frames + 0.5) {
		char at[64] = "";
		if ((uint32_t)si.samplerate != rate)
			snprintf(at, sizeof at, " at %d Hz, %.0f at %u Hz", si.samplerate,
				 (double)si.frames * rate / si.samplerate, rate);
		snprintf(err, n, "%s: %lld frames%s (%.2f s) is longer than the maximum of %u frames (%.2f s at "
			 "%u Hz); raise the limit with --max-ir-seconds", path, (long long)si.frames, at,
			 (double)si.frames / si.samplerate, max_frames, (double)max_frames / rate, rate);
		rc = -EFBIG;
		goto fail;
	}
	len = (uint32_t)si.frames;
	out = jl_alloc((size_t)len * (size_t)ch * sizeof *out);
	if (!out) {
		snprintf(err, n, "%s: out of memory for %u frames", path, len);
		rc = -ENOMEM;
		goto fail;
	}
	while (got < len) {
		sf_count_t want = len - got < CHUNK ? len - got : CHUNK;
		sf_count_t r = sf_readf_float(sf, buf, want);
		if (r <= 0)
			break;
		for (sf_count_t i = 0; i < r; i++) {
			for (int c = 0; c < ch; c++) {
				float v = buf[i * ch + c];
				if (!isfinite(v)) {
					snprintf(err, n, "%s: sample %u of channel %d is not a finite number",
						 path, got + (uint32_t)i, c + 1);
					rc = -EINVAL;
					goto fail;
				}
				out[(size_t)c * len + got + (size_t)i] = v;
				if (v != 0.0f)
					used = got + (uint32_t)i + 1;
			}
		}
		got += (uint32_t)r;
	}
	if (got < len) {
		snprintf(err, n, "%s: read error after %u of %u frames (%s)", path, got, len, sf_strerror(sf));
		rc = -EIO;
		goto fail;
	}
	if (used == 0) {
		snprintf(err, n, "%s: every sample is zero (silent impulse response)", path);
		rc = -ENODATA;
		goto fail;
	}
	if (ch == 2 && used < len)	/* trailing zeros dropped: close the gap */
		memmove(out + used, out + len, (size_t)used * sizeof *out);
	sf_close(sf);
	sf = NULL;
	close(fd);
	fd = -1;
	if ((uint32_t)si.samplerate != rate && (rc = convert(path, &out, &used, ch, (uint32_t)si.samplerate, rate,
							     max_frames, err, n)) < 0)
		goto fail;
	*ir = out;
	*frames = used;
	*channels = ch;
	return 0;
fail:
	jl_free(out);
	if (sf)
		sf_close(sf);
	if (fd >= 0)
		close(fd);
	return rc;
}

int jl_conv_prepare(void *state, uint64_t bytes, uint32_t B, const float *ir, uint32_t frames,
		    int channels)
{
	struct jl_conv_hdr g;
	uint64_t need = jl_conv_layout(&g, B, frames, channels);
	unsigned char *base = state;
	float *in = NULL, scale;
	fftwf_complex *spec = NULL;
	fftwf_plan plan = NULL;
	int rc = -ENOMEM;

	if (!state || !ir || !need || ((uintptr_t)state & (JL_CONV_ALIGN - 1)))
		return -EINVAL;
	if (bytes < need)
		return -ENOSPC;
	in = fftwf_malloc(2 * (size_t)B * sizeof *in);
	spec = fftwf_malloc(((size_t)B + 1) * sizeof *spec);
	if (!in || !spec)
		goto out;
	plan = fftwf_plan_dft_r2c_1d((int)(2 * B), in, spec, FFTW_ESTIMATE);
	if (!plan)
		goto out;
	memset(state, 0, (size_t)need);
	scale = 1.0f / (2.0f * (float)B);
	for (int c = 0; c < channels; c++) {
		/* Partition 0: FIR taps, reversed (the RT side's dot product runs
		 * forward over the input window). */
		float *h0 = (float *)(void *)(base + g.off_h0) + (uint64_t)c * B;
		for (uint32_t i = 0; i < B && i < frames; i++)
			h0[B - 1 - i] = ir[(size_t)c * frames + i];
		/* Partitions 1..P-1: spectra. */
		for (uint32_t q = 1; q < g.parts; q++) {
			float *h = (float *)(void *)(base + g.off_h) + ((uint64_t)c * g.parts + q) * 2 * g.stride;
			uint32_t start = q * B, m = frames - start < B ? frames - start : B;
			memset(in, 0, 2 * (size_t)B * sizeof *in);
			for (uint32_t i = 0; i < m; i++)
				in[i] = ir[(size_t)c * frames + start + i] * scale;
			fftwf_execute(plan);
			for (uint32_t k = 0; k <= B; k++) {
				h[k] = spec[k][0];
				h[g.stride + k] = spec[k][1];
			}
		}
	}
	g.mix = -1.0f;	/* none yet: the first call applies its mix at once */
	g.magic = JL_CONV_MAGIC;
	memcpy(state, &g, sizeof g);
	rc = 0;
out:
	if (plan)
		fftwf_destroy_plan(plan);
	fftwf_free(in);
	fftwf_free(spec);
	return rc;
}
