/* test_conv.c - convolution with an impulse response (docs/convolution.md).
 *
 * Against a double-precision direct convolution (the effect has no
 * latency): max |error| <= 1e-5 * output RMS, for a 12000-frame mono IR on
 * a stereo bus, 1 s stereo IRs and short IRs around the partition size,
 * input fed in random chunks of 1..256 frames.  Identity IR, dry/wet mix and its ramp, reset, mono bus, invalid
 * blocks, the engine's slots (a header changed after bind), the IR file errors (missing, text, empty, 44.1 kHz, too long,
 * 3 channels, silent, directory), and an out-of-memory path.  Ends with a
 * "bench:" line: the cost of a 1 s IR at a 128-frame period.
 * Run under LD_PRELOAD=build/librtguard.so: every process call is bracketed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sndfile.h>

#include "../jackloop/conv.h"
#include "../jackloop/engine.h"
#include "../shared/jl_fx.h"
#include "../loopctl/irload.h"
#include "../loopctl/jl_alloc.h"
#include "../shared/jl_rt.h"
#include "th.h"

#define RATE 48000u
#define B JL_CONV_B

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)	/* xorshift64* */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static float frand(void)	/* [-1, 1) */
{
	return (float)((double)rnd() / 2147483648.0 - 1.0);
}

static void noise(float *x, size_t n, double decay_frames)
{
	for (size_t i = 0; i < n; i++)
		x[i] = frand() * (decay_frames > 0 ? (float)exp(-(double)i / decay_frames) : 1.0f);
}

/* A prepared state block (64-byte aligned). */
static void *make_state(const float *ir, uint32_t frames, int channels, uint64_t *bytes)
{
	uint64_t nb = jl_conv_state_bytes(B, frames, channels);
	void *s = aligned_alloc(64, (size_t)jl_conv_round64(nb));
	if (!s)
		return NULL;
	if (jl_conv_prepare(s, nb, B, ir, frames, channels) != 0) {
		free(s);
		return NULL;
	}
	if (bytes)
		*bytes = nb;
	return s;
}

/* Processes x (in place) in random chunks of 1..maxn frames, constant mix.
 * r may be NULL. */
static void run(void *s, const struct jl_conv_plans *p, float *l, float *r, size_t n, float mix,
		uint32_t maxn)
{
	size_t k = 0;
	while (k < n) {
		uint32_t m = 1 + rnd() % maxn;
		if (m > n - k)
			m = (uint32_t)(n - k);
		JL_RT_ENTER();
		jl_conv_process_rt(s, p, l + k, r ? r + k : NULL, m, mix);
		JL_RT_EXIT();
		k += m;
	}
}

/* Direct convolution, double precision: (h * x)[t]. */
static double direct(const float *h, uint32_t L, const float *x, size_t t)
{
	double acc = 0.0;
	size_t jmax = t < L - 1 ? t : L - 1;
	for (size_t j = 0; j <= jmax; j++)
		acc += (double)h[j] * (double)x[t - j];
	return acc;
}

/* Compares out[t] with (h * x)[t] at the given indices (all if idx is
 * NULL); returns max error / output RMS and stores the RMS. */
static double compare(const float *h, uint32_t L, const float *x, const float *out, size_t n,
		      const size_t *idx, size_t nidx, double *rms_out)
{
	double se = 0.0, emax = 0.0;
	size_t cnt = idx ? nidx : n;
	for (size_t i = 0; i < cnt; i++) {
		size_t t = idx ? idx[i] : i;
		double ref = direct(h, L, x, t);
		double e = fabs((double)out[t] - ref);
		se += ref * ref;
		if (e > emax)
			emax = e;
	}
	*rms_out = sqrt(se / (double)cnt);
	return emax / *rms_out;
}

static double worst_rel;	/* the largest error ratio seen, for the summary */

static void note(double rel)
{
	if (rel > worst_rel)
		worst_rel = rel;
}

static void test_layout(const struct jl_conv_plans *p)
{
	struct jl_conv_hdr h;
	uint64_t nb = jl_conv_layout(&h, B, 48000, 2);
	const uint64_t offs[] = { h.off_h, h.off_h0, h.off_x, h.off_tin, h.off_tout, h.off_acc, h.off_cplx, h.off_real, h.bytes };
	int ok = 1;
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++)
		ok &= offs[i] % 64 == 0;
	TH_CHECK(ok, "every array starts at a 64-byte multiple");
	TH_CHECK(h.parts == 188 && h.stride == 272 && h.nbins4 == 260, "geometry of a 1 s IR: P %u S %u",
		 h.parts, h.stride);
	/* 128 + (ir_ch + 2) P 2S 4 + ir_ch B 4 + 2 (3B) 4 + 2S 4 + round64(2 (B + 1) 4) + 2B 4 */
	TH_CHECK(nb == 128ull + 4ull * 188 * 2 * 272 * 4 + 2ull * B * 4 + 2ull * 3 * B * 4 + 2ull * 272 * 4 + 2112 +
		 2ull * B * 4,
		 "memory formula (%llu bytes)", (unsigned long long)nb);
	TH_CHECK(jl_conv_state_bytes(B, 0, 1) == 0, "no frames: 0");
	TH_CHECK(jl_conv_state_bytes(B, 1, 3) == 0, "3 channels: 0");
	TH_CHECK(jl_conv_state_bytes(100, 1000, 1) == 0, "B not a power of two: 0");
	TH_CHECK(jl_conv_state_bytes(8, 1000, 1) == 0, "B too small: 0");
	TH_CHECK(jl_conv_latency(B) == 0, "no latency");
	TH_CHECK(p->align == 0, "plans made on arrays FFTW reports aligned (%d)", p->align);

	/* The arrays of a real block have the planning arrays' alignment. */
	float ir[1] = { 1.0f };
	uint64_t bytes;
	unsigned char *s = make_state(ir, 1, 1, &bytes);
	TH_CHECK(s != NULL, "prepare a 1-frame IR");
	if (!s)
		return;
	const struct jl_conv_hdr *sh = (const void *)s;
	int aligned = 1;
	const uint64_t arr[] = { sh->off_h, sh->off_h0, sh->off_x, sh->off_tin, sh->off_tin + 2 * B * 4, sh->off_tout,
				 sh->off_acc, sh->off_cplx, sh->off_real };
	for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++)
		aligned &= fftwf_alignment_of((float *)(void *)(s + arr[i])) == p->align;
	TH_CHECK(aligned, "fftwf_alignment_of every array == the plans'");
	TH_CHECK(jl_conv_check_rt(s, bytes, p) == 0, "check: a prepared block is valid");
	TH_CHECK(jl_conv_check_rt(s, bytes - 1, p) == -EINVAL, "check: region too small");
	TH_CHECK(jl_conv_check_rt(s + 64, bytes, p) == -EINVAL, "check: not a block");
	TH_CHECK(jl_conv_prepare(s + 4, bytes, B, ir, 1, 1) == -EINVAL, "prepare: misaligned");
	TH_CHECK(jl_conv_prepare(s, bytes - 1, B, ir, 1, 1) == -ENOSPC, "prepare: too small");
	TH_CHECK(jl_conv_prepare(s, bytes, B, ir, 1, 3) == -EINVAL, "prepare: 3 channels");
	free(s);
}

/* A random IR against the direct convolution; ir_ch 1 (mono IR on a stereo
 * bus) or 2 (L->L, R->R).  nidx == 0: every output frame is checked. */
static void test_random(const struct jl_conv_plans *p, uint32_t L, int ir_ch, double decay, size_t N,
			size_t nidx, const char *name)
{
	float *ir = malloc((size_t)L * 2 * sizeof *ir);
	float *x[2], *y[2];
	size_t *idx = nidx ? malloc(nidx * sizeof *idx) : NULL;
	for (int c = 0; c < 2; c++) {
		x[c] = malloc(N * sizeof *x[c]);
		y[c] = malloc(N * sizeof *y[c]);
		noise(x[c], N, 0);
		memcpy(y[c], x[c], N * sizeof *y[c]);
	}
	noise(ir, (size_t)L * (size_t)ir_ch, 0);
	if (decay > 0)	/* a room-like envelope, per channel */
		for (int c = 0; c < ir_ch; c++)
			for (uint32_t i = 0; i < L; i++)
				ir[(size_t)c * L + i] *= (float)exp(-(double)i / decay);
	for (size_t i = 0; i < nidx; i++)	/* random output frames, plus the last one */
		idx[i] = i + 1 < nidx ? rnd() % N : N - 1;
	void *s = make_state(ir, L, ir_ch, NULL);
	TH_CHECK(s != NULL, "%s: prepare", name);
	if (s) {
		run(s, p, y[0], y[1], N, 1.0f, 256);
		for (int c = 0; c < 2; c++) {
			double rms, rel = compare(ir + (ir_ch == 2 ? (size_t)c * L : 0), L, x[c], y[c], N, idx,
						  nidx, &rms);
			note(rel);
			TH_CHECK(rel <= 1e-5, "%s ch %d: max error %.3g x output RMS (RMS %.3g)", name, c, rel, rms);
			printf("ok - %s ch %d: max error %.2e x output RMS\n", name, c, rel);
		}
		free(s);
	}
	for (int c = 0; c < 2; c++) {
		free(x[c]);
		free(y[c]);
	}
	free(idx);
	free(ir);
}

/* Identity IR, mix, ramp, mono bus, reset, invalid blocks. */
static void test_behaviour(const struct jl_conv_plans *p)
{
	enum { N = 20000 };
	static float x[N], y[N], z[N], w[N];
	float one[1] = { 1.0f };
	void *s = make_state(one, 1, 1, NULL);
	double emax = 0.0;

	TH_CHECK(s != NULL, "identity: prepare");
	if (!s)
		return;
	noise(x, N, 0);
	memcpy(y, x, sizeof y);
	memcpy(z, x, sizeof z);
	run(s, p, y, z, N, 1.0f, 256);
	TH_CHECK(memcmp(y, x, sizeof y) == 0 && memcmp(z, x, sizeof z) == 0,
		 "identity IR: output == input, bit-exact, no delay");
	free(s);

	/* An impulse comes out at once, whatever the chunking. */
	float ir[300];
	noise(ir, 300, 50);
	s = make_state(ir, 300, 1, NULL);
	memset(y, 0, sizeof y);
	y[1000] = 1.0f;
	run(s, p, y, NULL, N, 1.0f, 37);
	size_t first = N;
	for (size_t t = 0; t < N && first == N; t++)
		if (fabsf(y[t]) > 1e-6f)
			first = t;
	TH_CHECK(first == 1000, "impulse response starts at the impulse (%zu)", first);
	for (size_t i = 0; i < 300; i++)
		if (fabs(y[1000 + i] - ir[i]) > emax)
			emax = fabs(y[1000 + i] - ir[i]);
	TH_CHECK(emax <= 1e-6, "impulse response reproduced (max error %.3g)", emax);
	free(s);

	/* mix 0: exactly the dry input. */
	s = make_state(ir, 300, 1, NULL);
	memcpy(y, x, sizeof y);
	run(s, p, y, NULL, N, 0.0f, 256);
	TH_CHECK(memcmp(y, x, sizeof y) == 0, "mix 0: dry, bit-exact");
	free(s);

	/* Wet reference w (mix 1), then mix 0.5 and a ramp 0 -> 1 in one call. */
	s = make_state(ir, 300, 1, NULL);
	memcpy(w, x, sizeof w);
	run(s, p, w, NULL, N, 1.0f, 256);
	free(s);
	s = make_state(ir, 300, 1, NULL);
	memcpy(y, x, sizeof y);
	run(s, p, y, NULL, N, 0.5f, 256);
	emax = 0.0;
	for (size_t t = 0; t < N; t++)
		if (fabs(y[t] - 0.5 * (x[t] + w[t])) > emax)
			emax = fabs(y[t] - 0.5 * (x[t] + w[t]));
	TH_CHECK(emax <= 1e-6, "mix 0.5: half dry, half wet (max error %.3g)", emax);
	free(s);
	s = make_state(ir, 300, 1, NULL);
	memcpy(y, x, sizeof y);
	run(s, p, y, NULL, 5000, 0.0f, 256);
	JL_RT_ENTER();
	jl_conv_process_rt(s, p, y + 5000, NULL, 1000, 1.0f);	/* ramps over these 1000 */
	JL_RT_EXIT();
	run(s, p, y + 6000, NULL, N - 6000, 1.0f, 256);
	emax = 0.0;
	for (size_t t = 0; t < N; t++) {
		double g = t < 5000 ? 0.0 : t < 6000 ? (double)(t - 5000 + 1) / 1000.0 : 1.0;
		double ref = (1.0 - g) * x[t] + g * w[t];
		if (fabs(y[t] - ref) > emax)
			emax = fabs(y[t] - ref);
	}
	TH_CHECK(emax <= 1e-5, "mix ramps linearly over one call (max error %.3g)", emax);

	/* Invalid blocks and calls pass through untouched. */
	struct jl_conv_plans p128;
	TH_CHECK(jl_conv_plans_create(&p128, 128) == 0, "plans for B = 128");
	memcpy(y, x, sizeof y);
	JL_RT_ENTER();
	jl_conv_process_rt(s, &p128, y, y, 256, 1.0f);
	JL_RT_EXIT();
	TH_CHECK(memcmp(y, x, sizeof y) == 0, "plans of another B: passthrough");
	TH_CHECK(jl_conv_check_rt(s, jl_conv_state_bytes(B, 300, 1), &p128) == -EINVAL, "check: other B");
	jl_conv_plans_destroy(&p128);
	((struct jl_conv_hdr *)s)->magic = 0;
	JL_RT_ENTER();
	jl_conv_process_rt(s, p, y, y, 256, 1.0f);
	JL_RT_EXIT();
	TH_CHECK(memcmp(y, x, sizeof y) == 0, "unprepared block: passthrough");
	((struct jl_conv_hdr *)s)->magic = JL_CONV_MAGIC;
	((struct jl_conv_hdr *)s)->pos = B;
	JL_RT_ENTER();
	jl_conv_process_rt(s, p, y, y, 256, 1.0f);
	JL_RT_EXIT();
	TH_CHECK(memcmp(y, x, sizeof y) == 0, "cursor out of range: passthrough");
	free(s);

	struct jl_conv_plans bad;
	TH_CHECK(jl_conv_plans_create(&bad, 300) == -EINVAL && bad.r2c == NULL, "plans: B = 300 refused");
	jl_conv_plans_destroy(&bad);
	jl_conv_plans_destroy(NULL);
}

/* --- IR files ------------------------------------------------------------ */

static char dir[64];

static const char *tmpname(const char *base)
{
	static char buf[8][128];
	static int k;
	char *b = buf[k++ % 8];
	snprintf(b, 128, "%s/%s", dir, base);
	return b;
}

/* Writes a float WAV of `frames` frames (interleaved data, may be NULL for
 * zeros). */
static int write_wav(const char *path, int rate, int ch, const float *data, sf_count_t frames)
{
	SF_INFO si = { .samplerate = rate, .channels = ch, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
	SNDFILE *sf = sf_open(path, SFM_WRITE, &si);
	float zero[64] = { 0 };
	if (!sf)
		return -1;
	if (data && sf_writef_float(sf, data, frames) != frames) {
		sf_close(sf);
		return -1;
	}
	for (sf_count_t k = 0; !data && k < frames;) {	/* zeros, 64 samples at a time */
		sf_count_t m = frames - k < 64 / ch ? frames - k : 64 / ch;
		if (sf_writef_float(sf, zero, m) != m) {
			sf_close(sf);
			return -1;
		}
		k += m;
	}
	return sf_close(sf);
}

static int load(const char *path, uint32_t max, float **ir, uint32_t *frames, int *ch, char *err)
{
	return jl_ir_load(path, RATE, max, ir, frames, ch, err, 256);
}

#define CONTAINS(s, sub) (strstr((s), (sub)) != NULL)

static void test_files(const struct jl_conv_plans *p)
{
	char err[256];
	static float sentinel;
	float *ir = &sentinel;	/* must be reset to NULL on failure */
	uint32_t frames;
	int ch, rc;
	uint32_t max = jl_ir_max_frames(0.1, RATE);

	TH_CHECK(max == 4800, "0.1 s at 48 kHz is 4800 frames");
	TH_CHECK(jl_ir_max_frames(0, RATE) == 4 * RATE, "default maximum: 4 s");

	rc = load(tmpname("missing.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -ENOENT && ir == NULL && CONTAINS(err, "missing.wav") && CONTAINS(err, "cannot open") &&
		 CONTAINS(err, "No such file"), "missing file: %d '%s'", rc, err);
	printf("ok - missing: %s\n", err);

	FILE *f = fopen(tmpname("text.wav"), "w");
	if (f) {
		fputs("this is not an impulse response\n", f);
		fclose(f);
	}
	rc = load(tmpname("text.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EINVAL && CONTAINS(err, "not an audio file"), "text file: %d '%s'", rc, err);
	printf("ok - text: %s\n", err);

	TH_CHECK(write_wav(tmpname("empty.wav"), RATE, 1, NULL, 0) == 0, "write an empty WAV");
	rc = load(tmpname("empty.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -ENODATA && CONTAINS(err, "no audio frames"), "empty WAV: %d '%s'", rc, err);
	printf("ok - empty: %s\n", err);

#define PI_ 3.14159265358979323846
	/* another rate: converted to the engine's, same duration and gain.
	 * A 44.1 kHz response of a 1 kHz sine burst (10 ms, Hann) at 0.5
	 * delay 441 frames (10 ms): at 48 kHz it must last as long (its
	 * frames x 48000/44100), peak 10 ms + 5 ms in, and pass 1 kHz with
	 * the same gain (its response at 1 kHz, |sum h[k] e^-iwk|, within
	 * 1 %: the sinc converter is flat to far below 0.1 dB there). */
	{
		enum { N44 = 441 + 441 };
		static float d[N44];
		double g44 = 0, g48 = 0, re = 0, im = 0;
		uint32_t k, pk = 0;
		for (k = 0; k < 441; k++)
			d[441 + k] = (float)(0.5 * sin(2 * PI_ * 1000.0 * k / 44100.0) *
					     (0.5 - 0.5 * cos(2 * PI_ * k / 441.0)));
		for (k = 0; k < N44; k++) {
			re += d[k] * cos(2 * PI_ * 1000.0 * k / 44100.0);
			im -= d[k] * sin(2 * PI_ * 1000.0 * k / 44100.0);
		}
		g44 = hypot(re, im);
		TH_CHECK(write_wav(tmpname("44k.wav"), 44100, 1, d, N44) == 0, "write a 44.1 kHz WAV");
		rc = load(tmpname("44k.wav"), max, &ir, &frames, &ch, err);
		TH_CHECK(rc == 0 && ch == 1, "44.1 kHz WAV loads: %d '%s'", rc, rc ? err : "");
		if (rc == 0) {
			re = im = 0;
			for (k = 0; k < frames; k++) {
				re += ir[k] * cos(2 * PI_ * 1000.0 * k / RATE);
				im -= ir[k] * sin(2 * PI_ * 1000.0 * k / RATE);
				if (fabsf(ir[k]) > fabsf(ir[pk]))
					pk = k;
			}
			g48 = hypot(re, im);
			TH_CHECK(frames == (uint32_t)llround(N44 * 48000.0 / 44100.0), "converted to %u frames (960)", frames);
			TH_CHECK(fabs(g48 / g44 - 1) < 0.01, "the same gain at 1 kHz: %.4f against %.4f", g48, g44);
			TH_CHECK(pk >= 480 + 180 && pk <= 480 + 300, "its peak lies in the burst's middle (frame %u)", pk);
			jl_free(ir);
		}
	}

	float *longd = calloc(4801, sizeof *longd);
	longd[0] = 1.0f;
	TH_CHECK(write_wav(tmpname("long.wav"), RATE, 1, longd, 4801) == 0, "write a 4801-frame WAV");
	rc = load(tmpname("long.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EFBIG && CONTAINS(err, "4801 frames") && CONTAINS(err, "4800 frames") &&
		 CONTAINS(err, "--max-ir-seconds"), "too long: %d '%s'", rc, err);
	printf("ok - long: %s\n", err);
	rc = load(tmpname("long.wav"), 4801, &ir, &frames, &ch, err);	/* at the limit: fine */
	TH_CHECK(rc == 0 && frames == 1 && ch == 1 && ir[0] == 1.0f, "at the limit, trailing zeros dropped: %d %u",
		 rc, frames);
	jl_free(ir);
	/* at 44.1 kHz, 4500 frames pass a limit of 4800 as they stand, but
	 * are 4898 at the engine's 48 kHz: too long */
	longd[4499] = 0.5f;
	TH_CHECK(write_wav(tmpname("long44.wav"), 44100, 1, longd, 4500) == 0, "write a 4500-frame 44.1 kHz WAV");
	rc = load(tmpname("long44.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EFBIG && CONTAINS(err, "4500 frames at 44100 Hz, 4898 at 48000 Hz") && CONTAINS(err, "4800 frames"),
		 "too long once converted: %d '%s'", rc, err);
	printf("ok - long at 44.1 kHz: %s\n", err);
	free(longd);

	float d3[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
	TH_CHECK(write_wav(tmpname("3ch.wav"), RATE, 3, d3, 3) == 0, "write a 3-channel WAV");
	rc = load(tmpname("3ch.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EINVAL && CONTAINS(err, "3 channels"), "3 channels: %d '%s'", rc, err);
	printf("ok - channels: %s\n", err);

	TH_CHECK(write_wav(tmpname("silent.wav"), RATE, 1, NULL, 100) == 0, "write a silent WAV");
	rc = load(tmpname("silent.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -ENODATA && CONTAINS(err, "zero"), "silent: %d '%s'", rc, err);
	printf("ok - silent: %s\n", err);

	float dn[2] = { 1.0f, NAN };
	TH_CHECK(write_wav(tmpname("nan.wav"), RATE, 1, dn, 2) == 0, "write a WAV with a NaN");
	rc = load(tmpname("nan.wav"), max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EINVAL && CONTAINS(err, "finite"), "NaN: %d '%s'", rc, err);

	rc = load(dir, max, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EISDIR && CONTAINS(err, "directory"), "directory: %d '%s'", rc, err);
	rc = load(tmpname("44k.wav"), 0, &ir, &frames, &ch, err);
	TH_CHECK(rc == -EINVAL && CONTAINS(err, "--max-ir-seconds"), "maximum 0: %d '%s'", rc, err);

	/* A stereo IR with trailing silence, loaded, prepared and run end to
	 * end against the direct convolution. */
	enum { L = 3000, Z = 500, N = 12000 };
	static float il[2 * (L + Z)], h[2][L], x[2][N], y[2][N];
	for (int c = 0; c < 2; c++) {
		noise(h[c], L, 600);
		noise(x[c], N, 0);
		memcpy(y[c], x[c], sizeof y[c]);
	}
	for (int i = 0; i < L; i++) {
		il[2 * i] = h[0][i];
		il[2 * i + 1] = h[1][i];
	}
	h[1][L - 1] = il[2 * L - 1] = 0.0f;	/* the last nonzero frame is L-1 (left) */
	TH_CHECK(write_wav(tmpname("stereo.wav"), RATE, 2, il, L + Z) == 0, "write a stereo WAV");
	rc = load(tmpname("stereo.wav"), RATE, &ir, &frames, &ch, err);
	TH_CHECK(rc == 0 && frames == L && ch == 2, "stereo IR loaded: %d, %u frames, %d ch", rc, frames, ch);
	if (rc == 0) {
		TH_CHECK(memcmp(ir, h[0], sizeof h[0]) == 0 && memcmp(ir + L, h[1], sizeof h[1]) == 0,
			 "planar, sample-exact");
		uint64_t nb = jl_conv_state_bytes(B, frames, ch);
		void *s = aligned_alloc(64, (size_t)jl_conv_round64(nb));
		TH_CHECK(s && jl_conv_prepare(s, nb, B, ir, frames, ch) == 0 && jl_conv_check_rt(s, nb, p) == 0,
			 "prepared from the file");
		run(s, p, y[0], y[1], N, 1.0f, 256);
		for (int c = 0; c < 2; c++) {
			double rms, rel = compare(h[c], L, x[c], y[c], N, NULL, 0, &rms);
			note(rel);
			TH_CHECK(rel <= 1e-5, "file IR ch %d: error %.3g x RMS", c, rel);
			printf("ok - stereo IR from a WAV ch %d: max error %.2e x output RMS\n", c, rel);
		}
		free(s);
		jl_free(ir);
	}

	/* Out of memory (the IR buffer): a clear error, nothing leaked. */
	jl_alloc_failnext(0);
	rc = load(tmpname("stereo.wav"), RATE, &ir, &frames, &ch, err);
	TH_CHECK(rc == -ENOMEM && ir == NULL && jl_alloc_failed() && CONTAINS(err, "out of memory"),
		 "allocation failure: %d '%s'", rc, err);
	jl_alloc_failnext(-1);

	const char *names[] = { "text.wav", "empty.wav", "44k.wav", "long.wav", "3ch.wav", "silent.wav",
				"nan.wav", "stereo.wav" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		unlink(tmpname(names[i]));
	rmdir(dir);
}

/* --- cost ------------------------------------------------------------------ */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Cost at a 128-frame period: mean ns per frame, and per call.  Every
 * other call completes a block and does all the FFT work, so the calls are
 * reported in two groups (medians); the maximum includes the machine's
 * scheduling noise. */
static void bench(const struct jl_conv_plans *p, int ir_ch)
{
	enum { PERIOD = 128, SECONDS = 2, CALLS = SECONDS * RATE / PERIOD };
	static float ir[2 * RATE], l[PERIOD], r[PERIOD];
	static double tb[CALLS], tc[CALLS];
	double total = 0.0, tmax = 0.0;
	size_t nb = 0, nc = 0;
	void *s;
	for (int c = 0; c < ir_ch; c++)
		noise(ir + (size_t)c * RATE, RATE, RATE / 6.9);	/* decays 60 dB in 1 s */
	s = make_state(ir, RATE, ir_ch, NULL);
	if (!s)
		return;
	for (size_t i = 0; i < CALLS / 2; i++) {	/* warm-up: fill the delay line */
		noise(l, PERIOD, 0);
		noise(r, PERIOD, 0);
		JL_RT_ENTER();
		jl_conv_process_rt(s, p, l, r, PERIOD, 1.0f);
		JL_RT_EXIT();
	}
	for (size_t i = 0; i < CALLS; i++) {
		double t0, dt;
		l[i % PERIOD] = frand();
		r[(i * 7) % PERIOD] = frand();
		t0 = now();
		JL_RT_ENTER();
		jl_conv_process_rt(s, p, l, r, PERIOD, 1.0f);
		JL_RT_EXIT();
		dt = now() - t0;
		total += dt;
		tmax = dt > tmax ? dt : tmax;
		if (((const struct jl_conv_hdr *)s)->pos == 0)
			tb[nb++] = dt;
		else
			tc[nc++] = dt;
	}
	qsort(tb, nb, sizeof tb[0], cmp_double);
	qsort(tc, nc, sizeof tc[0], cmp_double);
	double mb = nb ? tb[nb / 2] : 0.0, mc = nc ? tc[nc / 2] : 0.0;
	/* The mean is sensitive to preemption on a busy machine; the figure
	 * from the medians is not. */
	printf("bench: convolution, 1 s %s IR (%u frames) on a stereo bus, B = %u, n = %d: %.1f ns/frame "
	       "from the medians (mean %.1f, %.2f%% of one core at %u Hz); median call %.1f us with a "
	       "block, %.2f us without; max %.1f us (period %.0f us)\n",
	       ir_ch == 2 ? "stereo" : "mono", RATE, B, PERIOD,
	       1e9 * ((double)nb * mb + (double)nc * mc) / ((double)CALLS * PERIOD),
	       1e9 * total / ((double)CALLS * PERIOD), 100.0 * total / SECONDS, RATE, 1e6 * mb, 1e6 * mc,
	       1e6 * tmax, 1e6 * PERIOD / RATE);
	free(s);
}

/* --- the engine's convolution slots ------------------------------------
 * A block lives in the pool, which the daemon can write.  Its size is
 * checked when it is bound; a header changed afterwards (another IR
 * length) must not move the arrays out of the region: the slot runs with
 * the geometry it was bound with and passes the audio through dry while
 * the header disagrees.  The engine runs an input chain, so what the
 * convolution did is in the history. */

static struct jl_shm eshm;
static struct jl_engine *eng;
static struct jl_spsc_h ecq;
static uint32_t ejack;
static float ein[256];

static float ein_at(uint32_t k) { return (float)(k % 100 + 1) / 256.0f; }

/* One 256-frame cycle; returns 1 if the history holds gain * input for it. */
static int ecycle(float gain)
{
	struct jl_engine_io io;
	uint64_t f0 = jl_engine_frame(eng);
	uint32_t k, hf = eshm.hdr->geom.hist_frames;
	int ok = 1;
	memset(&io, 0, sizeof io);
	for (k = 0; k < 256; k++)
		ein[k] = ein_at(k);
	io.in[0] = ein;
	io.nframes = 256;
	io.jack_frames = ejack;
	JL_RT_ENTER();
	jl_engine_process_rt(eng, &io);
	JL_RT_EXIT();
	ejack += 256;
	if (jl_engine_frame(eng) != f0 + 256)
		f0 = jl_engine_frame(eng) - 256; /* the first cycle starts the timeline */
	for (k = 0; k < 256; k++)
		ok &= eshm.hist[(f0 + k) % hf] == gain * ein_at(k);
	return ok;
}

static void push_slot(uint32_t slot, uint64_t target, uint64_t off, uint64_t bytes)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof c);
	c.type = JL_CMD_FX_SLOT;
	c.flags = target ? 0 : JL_CMDF_IMMEDIATE;
	c.target = target;
	c.p.fxslot.chain = JL_FX_CHAIN_INPUT0;
	c.p.fxslot.slot = (uint16_t)slot;
	c.p.fxslot.type = JL_FX_CONV;
	c.p.fxslot.off = off;
	c.p.fxslot.bytes = bytes;
	c.p.fxslot.mix = 1.0f;
	if (!jl_spsc_push(&ecq, &c))
		fprintf(stderr, "queue full in test\n");
}

/* Runs fn in a child, so that a crash is a failed check, not a lost run.
 * Returns 1 if the child exited with 0. */
static int in_child(int (*fn)(void))
{
	int st = 0;
	pid_t pid;
	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(fn() ? 0 : 1);
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 0;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static struct jl_conv_hdr *blk0, *blk1;
static uint64_t blk_bytes;

/* The bound block's header now claims a one-minute IR: dry; then the
 * header is restored: the slot convolves again. */
static int run_grown_header(void)
{
	int ok = 1, k;
	uint32_t d0 = atomic_load(&eshm.rt->conv_dry), d1;
	blk0->ir_frames = 60 * RATE;
	for (k = 0; k < 8; k++)	/* a few whole partitions: the FIR and the block step */
		ok &= ecycle(1.0f);
	d1 = atomic_load(&eshm.rt->conv_dry);
	if (d1 < d0 + 8) {	/* each dry sub-block is counted */
		fprintf(stderr, "conv_dry counted %u of at least 8 dry cycles\n", d1 - d0);
		ok = 0;
	}
	blk0->ir_frames = 1;
	ok &= ecycle(0.5f);
	if (atomic_load(&eshm.rt->conv_dry) != d1) {
		fprintf(stderr, "conv_dry counted a cycle that convolved\n");
		ok = 0;
	}
	return ok;
}

/* A future-dated bind of a block whose header changes before it applies. */
static int run_late_bind(void)
{
	uint32_t rej = atomic_load(&eshm.rt->cmd_rejected);
	int ok = 1, k;
	push_slot(1, jl_engine_frame(eng) + 600, blk_bytes, blk_bytes);
	ok &= ecycle(0.5f);
	blk1->ir_frames = 60 * RATE;
	for (k = 0; k < 8; k++)
		ok &= ecycle(0.5f);
	return ok && atomic_load(&eshm.rt->cmd_rejected) == rej + 1;
}

static void test_engine_slot(const struct jl_conv_plans *p)
{
	struct jl_shm_geom g;
	char name[64], err[256];
	const float half[1] = { 0.5f };
	unsigned char *pool;
	int ok;
	memset(&g, 0, sizeof g);
	g.sample_rate = RATE;
	g.n_inputs = 1;
	g.max_voices = 1;
	g.cmd_capacity = 64;
	g.evt_capacity = 1024;
	g.hist_frames = 8192;
	g.pool_bytes = 1u << 20;
	g.model_bytes = 1 << 12;
	snprintf(name, sizeof name, "/jackloop.test_conv.%d", (int)getpid());
	shm_unlink(name);
	if (jl_shm_open_engine(&eshm, name, &g, 1, err, sizeof err) < 0 || !(eng = jl_engine_create(&eshm))) {
		TH_CHECK(0, "engine: %s", err);
		return;
	}
	jl_engine_set_conv_plans(eng, p);
	jl_spsc_attach(&ecq, (unsigned char *)eshm.hdr + eshm.hdr->cmdq_off, g.cmd_capacity, sizeof(struct jl_cmd));
	ejack = 1000;
	pool = eshm.pool;
	blk_bytes = jl_conv_round64(jl_conv_state_bytes(B, 1, 1));
	blk0 = (struct jl_conv_hdr *)(void *)pool;
	blk1 = (struct jl_conv_hdr *)(void *)(pool + blk_bytes);
	TH_CHECK(jl_conv_prepare(blk0, blk_bytes, B, half, 1, 1) == 0 &&
		 jl_conv_prepare(blk1, blk_bytes, B, half, 1, 1) == 0, "engine: two blocks in the pool");
	push_slot(0, 0, 0, blk_bytes);
	ok = ecycle(0.5f);
	ok &= ecycle(0.5f);
	TH_CHECK(ok, "engine: a bound IR of 0.5 halves the input");
	TH_CHECK(in_child(run_grown_header),
		 "engine: a header grown after bind is passed over dry and counted (conv_dry), no crash; restored, it convolves again");
	TH_CHECK(in_child(run_late_bind), "engine: a block changed before its bind applies is rejected, no crash");
	jl_engine_destroy(eng);
	jl_shm_close(&eshm);
	shm_unlink(name);
}

int main(void)
{
	struct jl_conv_plans p;
	snprintf(dir, sizeof dir, "/tmp/jl_conv_test_XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	TH_CHECK(jl_conv_plans_create(&p, B) == 0, "plans for B = %u", B);
	test_layout(&p);
	test_random(&p, 256, 1, 0, 5000, 0, "256-frame IR (FIR only)");
	test_random(&p, 257, 2, 0, 5000, 0, "257-frame stereo IR");
	test_random(&p, 700, 1, 0, 5000, 0, "700-frame IR");
	test_random(&p, 12000, 1, 0, 30000, 0, "12000-frame mono IR, stereo bus, every frame");
	test_random(&p, RATE, 2, RATE / 6.9, 64000, 3000, "1 s stereo IR, 3000 random frames");
	test_random(&p, RATE, 2, 0, 60000, 2000, "1 s flat stereo IR, 2000 random frames");
	test_behaviour(&p);
	test_engine_slot(&p);
	test_files(&p);
	printf("conv: worst error %.2e x output RMS (bound 1e-5)\n", worst_rel);
	bench(&p, 2);
	bench(&p, 1);
	jl_conv_plans_destroy(&p);
	return TH_REPORT();
}
