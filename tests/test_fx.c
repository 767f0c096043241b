/* test_fx.c - the RT effects against references (docs/effects.md):
 * biquads vs the analytic RBJ curves, delay impulse responses to the
 * sample, compressor static curve and time constants, reverb RT60, the
 * saturation curve, ramp slopes, denormal-free tails, and the parser's
 * error messages.  Every call into the RT code runs inside the RT guard
 * bracket (LD_PRELOAD=build/librtguard.so aborts on a forbidden call). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "th.h"
#include "../shared/jl_fx.h"
#include "../shared/jl_rt.h"
#include "../jackloop/fx.h"
#include "../loopctl/fxdesign.h"

#define PI 3.14159265358979323846

/* --- helpers ----------------------------------------------------------------- */

static void *new_state(int type, uint32_t rate, uint64_t *bytes)
{
	uint64_t b = jl_fx_state_bytes(type, rate);
	void *s = aligned_alloc(64, (size_t)b);
	*bytes = b;
	if (s) {
		memset(s, 0xa5, (size_t)b);	/* reset must not rely on zeroed memory */
		JL_RT_ENTER();
		int rc = jl_fx_reset_rt(type, s, b, rate);
		JL_RT_EXIT();
		TH_CHECK(rc == 0, "reset type %d", type);
	}
	return s;
}

/* Sets params (designing the biquads for FILTER/EQ like the daemon does). */
static int set(int type, void *s, const float *p, uint32_t rate, uint32_t ramp)
{
	double coef[JL_FX_MAX_COEFS];
	int nc = jl_fx_design(type, p, rate, coef, JL_FX_MAX_COEFS), rc;
	if (nc < 0)
		return nc;
	JL_RT_ENTER();
	rc = jl_fx_set_rt(type, s, p, nc > 0 ? coef : NULL, ramp);
	JL_RT_EXIT();
	return rc;
}

/* Processes n frames in blocks of `blk`. */
static void run(int type, void *s, float *l, float *r, uint32_t n, const struct jl_fx_ctx *ctx, uint32_t blk)
{
	for (uint32_t k = 0; k < n; k += blk) {
		uint32_t m = n - k < blk ? n - k : blk;
		JL_RT_ENTER();
		jl_fx_process_rt(type, s, l + k, r + k, m, ctx);
		JL_RT_EXIT();
	}
}

static float *fbuf(size_t n)
{
	float *b = calloc(n, sizeof(float));
	if (!b)
		abort();
	return b;
}

/* |sum h[n] e^{-j w n}| in double (rotation recurrence). */
static double dft_mag(const float *h, size_t n, double f, double rate)
{
	double w = 2.0 * PI * f / rate, cr = cos(w), ci = -sin(w), zr = 1.0, zi = 0.0, re = 0.0, im = 0.0;
	for (size_t k = 0; k < n; k++) {
		double t;
		re += h[k] * zr;
		im += h[k] * zi;
		t = zr * cr - zi * ci;
		zi = zr * ci + zi * cr;
		zr = t;
		if ((k & 1023) == 1023) {	/* renormalise the rotator */
			double m = sqrt(zr * zr + zi * zi);
			zr /= m;
			zi /= m;
		}
	}
	return sqrt(re * re + im * im);
}

/* Analytic RBJ magnitude: the analog prototype at the prewarped frequency
 * W = tan(pi f / fs) / tan(pi f0 / fs) (the bilinear transform maps the
 * prototype's W = 1 to f0 exactly). */
static double rbj_mag(int mode, double f, double f0, double q, double gain_db, double rate)
{
	double W = tan(PI * f / rate) / tan(PI * f0 / rate), A = pow(10.0, gain_db / 40.0), sA = sqrt(A);
	double n2, n1, n0, d2 = 1.0, d1 = 1.0 / q, d0 = 1.0, g = 1.0;
	switch (mode) {
	case JL_FX_MODE_LP: n2 = 0; n1 = 0; n0 = 1; break;
	case JL_FX_MODE_HP: n2 = 1; n1 = 0; n0 = 0; break;
	case JL_FX_MODE_BP: n2 = 0; n1 = 1.0 / q; n0 = 0; break;
	case JL_FX_MODE_PEAK: n2 = 1; n1 = A / q; n0 = 1; d1 = 1.0 / (A * q); break;
	case JL_FX_MODE_LOWSHELF: g = A; n2 = 1; n1 = sA / q; n0 = A; d2 = A; d1 = sA / q; d0 = 1; break;
	default: g = A; n2 = A; n1 = sA / q; n0 = 1; d2 = 1; d1 = sA / q; d0 = A; break;
	}
	{
		double nr = n0 - n2 * W * W, ni = n1 * W, dr = d0 - d2 * W * W, di = d1 * W;
		return g * sqrt((nr * nr + ni * ni) / (dr * dr + di * di));
	}
}

static double db(double x) { return 20.0 * log10(x); }

static int has_subnormal(const float *x, size_t n)
{
	for (size_t k = 0; k < n; k++)
		if (fpclassify(x[k]) == FP_SUBNORMAL)
			return 1;
	return 0;
}

/* --- geometry and validation ------------------------------------------------ */

static void test_geometry(void)
{
	float l[4] = { 1, 2, 3, 4 }, r[4] = { 5, 6, 7, 8 }, p[JL_FX_MAX_PARAMS];
	struct jl_fx_ctx ctx = { 48000, 0 };
	void *s;

	TH_CHECK(jl_fx_state_bytes(JL_FX_NONE, 48000) == 0, "none has no state");
	TH_CHECK(jl_fx_state_bytes(JL_FX_CONV, 48000) == 0, "conv has no state here");
	TH_CHECK(jl_fx_state_bytes(JL_FX_FILTER, 1000) == 0, "rate too low");
	TH_CHECK(jl_fx_state_bytes(JL_FX_FILTER, 48000) == JL_FX_HEAD_BYTES, "filter is its head");
	TH_CHECK(jl_fx_state_bytes(JL_FX_DELAY, 48000) == ((JL_FX_HEAD_BYTES + 2u * 192002u * 4u + 63u) & ~63ull),
		 "delay: 4 s stereo + head");
	TH_CHECK(jl_fx_state_bytes(JL_FX_REVERB, 44100) ==
			 ((JL_FX_HEAD_BYTES + 4u * (2u * (11024u + 1563u) + 12u * 23u) + 63u) & ~63ull),
		 "reverb at 44.1 kHz: Freeverb's tunings, spread 23");
	TH_CHECK(jl_fx_state_bytes(JL_FX_REVERB, 96000) > jl_fx_state_bytes(JL_FX_REVERB, 48000), "reverb scales");
	TH_CHECK(jl_fx_reverb_len(0, 0, 88200) == 2232 && jl_fx_reverb_len(0, 1, 88200) == 2278, "comb scaling");

	/* Reset refuses a small block, a misaligned one, NONE and CONV. */
	s = aligned_alloc(64, 4096);
	memset(s, 0, 4096);
	TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, 4096, 48000) == -EINVAL, "small block refused");
	TH_CHECK(jl_fx_reset_rt(JL_FX_SAT, (char *)s + 4, 4000, 48000) == -EINVAL, "misaligned refused");
	TH_CHECK(jl_fx_reset_rt(JL_FX_CONV, s, 4096, 48000) == -EINVAL, "conv has no state");
	/* A never-reset block passes audio through untouched. */
	JL_RT_ENTER();
	jl_fx_process_rt(JL_FX_SAT, s, l, r, 4, &ctx);
	jl_fx_process_rt(JL_FX_CONV, s, l, r, 4, &ctx);
	jl_fx_process_rt(JL_FX_NONE, NULL, l, r, 4, &ctx);
	JL_RT_EXIT();
	TH_CHECK(l[0] == 1 && l[3] == 4 && r[0] == 5 && r[3] == 8, "unreset/conv/none pass through");
	TH_CHECK(jl_fx_reset_rt(JL_FX_SAT, s, 4096, 48000) == 0, "sat reset");
	ctx.rate = 44100;
	JL_RT_ENTER();
	jl_fx_process_rt(JL_FX_SAT, s, l, r, 4, &ctx);
	JL_RT_EXIT();
	TH_CHECK(l[0] == 1 && r[3] == 8, "a block reset for another rate passes through");

	/* set_rt validates everything. */
	jl_fx_defaults(JL_FX_SAT, p);
	TH_CHECK(jl_fx_set_rt(JL_FX_SAT, s, p, NULL, 0) == 0, "defaults accepted");
	p[JL_FX_SAT_DRIVE] = 0.5f;
	TH_CHECK(jl_fx_set_rt(JL_FX_SAT, s, p, NULL, 0) == -EINVAL, "drive < 1 refused");
	p[JL_FX_SAT_DRIVE] = NAN;
	TH_CHECK(jl_fx_set_rt(JL_FX_SAT, s, p, NULL, 0) == -EINVAL, "NaN refused");
	jl_fx_defaults(JL_FX_SAT, p);
	TH_CHECK(jl_fx_set_rt(JL_FX_SAT, s, p, NULL, JL_FX_RAMP_MAX + 1) == -EINVAL, "ramp too long");
	TH_CHECK(jl_fx_set_rt(JL_FX_DELAY, s, p, NULL, 0) == -EINVAL, "wrong type refused");
	TH_CHECK(jl_fx_reset_rt(JL_FX_FILTER, s, 4096, 48000) == 0, "filter reset");
	jl_fx_defaults(JL_FX_FILTER, p);
	p[JL_FX_FILTER_MODE] = 1.5f;
	TH_CHECK(jl_fx_set_rt(JL_FX_FILTER, s, p, NULL, 0) == -EINVAL, "fractional enum refused");
	jl_fx_defaults(JL_FX_FILTER, p);
	{
		double unstable[5] = { 1, 0, 0, -2.0, 1.0 }, nan5[5] = { NAN, 0, 0, 0, 0 };
		TH_CHECK(jl_fx_set_rt(JL_FX_FILTER, s, p, unstable, 0) == -EINVAL, "unstable biquad refused");
		TH_CHECK(jl_fx_set_rt(JL_FX_FILTER, s, p, nan5, 0) == -EINVAL, "NaN coefficient refused");
	}
	/* A fresh FILTER is an exact passthrough until coefficients arrive. */
	ctx.rate = 48000;
	{
		float a[3] = { 0.25f, -0.5f, 1e-3f }, c[3] = { 0.125f, 0, -1 };
		JL_RT_ENTER();
		jl_fx_process_rt(JL_FX_FILTER, s, a, c, 3, &ctx);
		JL_RT_EXIT();
		TH_CHECK(a[0] == 0.25f && a[1] == -0.5f && a[2] == 1e-3f && c[2] == -1, "fresh filter is identity");
	}
	free(s);
}

/* --- biquads ------------------------------------------------------------------ */

struct bqcase { int mode; float f0, q, gain; uint32_t rate; };

/* Impulse response (65536 frames) through FILTER, DFT at test frequencies. */
static void check_filter(const struct bqcase *c)
{
	const size_t N = 65536;
	static const double mult[] = { 0.1, 0.25, 0.5, 0.8, 1.0, 1.25, 2.0, 4.0, 10.0 };
	struct jl_fx_ctx ctx = { c->rate, 0 };
	float p[JL_FX_MAX_PARAMS], *l = fbuf(N), *r = fbuf(N);
	uint64_t b;
	void *s = new_state(JL_FX_FILTER, c->rate, &b);
	double worst = 0;
	jl_fx_defaults(JL_FX_FILTER, p);
	p[JL_FX_FILTER_MODE] = (float)c->mode;
	p[JL_FX_FILTER_FREQ] = c->f0;
	p[JL_FX_FILTER_Q] = c->q;
	p[JL_FX_FILTER_GAIN] = c->gain;
	TH_CHECK(set(JL_FX_FILTER, s, p, c->rate, 0) == 0, "filter set");
	l[0] = 1.0f;
	r[0] = 0.5f;
	run(JL_FX_FILTER, s, l, r, (uint32_t)N, &ctx, 256);
	for (size_t i = 0; i < sizeof(mult) / sizeof(mult[0]); i++) {
		double f = c->f0 * mult[i], want, got, gotr;
		if (f >= 0.45 * c->rate || f < 2.0)
			continue;
		want = rbj_mag(c->mode, f, c->f0, c->q, c->gain, c->rate);
		if (db(want) < -80.0)
			continue;
		got = dft_mag(l, N, f, c->rate);
		gotr = 2.0 * dft_mag(r, N, f, c->rate);
		if (fabs(db(got) - db(want)) > worst)
			worst = fabs(db(got) - db(want));
		if (fabs(db(gotr) - db(want)) > worst)
			worst = fabs(db(gotr) - db(want));
	}
	TH_CHECK(worst < 0.001, "biquad mode %d f0 %g Q %g gain %g at %u: worst error %.4f dB", c->mode,
		 (double)c->f0, (double)c->q, (double)c->gain, c->rate, worst);
	free(l);
	free(r);
	free(s);
}

static void test_biquads(void)
{
	static const struct bqcase cases[] = {
		{ JL_FX_MODE_LP, 1000, 0.7071f, 0, 48000 },
		{ JL_FX_MODE_LP, 5000, 4.0f, 0, 44100 },
		{ JL_FX_MODE_HP, 20, 0.7071f, 0, 48000 },	/* the low corner: double state */
		{ JL_FX_MODE_HP, 300, 2.0f, 0, 48000 },
		{ JL_FX_MODE_BP, 800, 1.5f, 0, 48000 },
		{ JL_FX_MODE_BP, 40, 0.5f, 0, 96000 },
		{ JL_FX_MODE_PEAK, 2000, 1.0f, 9.0f, 48000 },
		{ JL_FX_MODE_PEAK, 150, 3.0f, -12.0f, 44100 },
		{ JL_FX_MODE_LOWSHELF, 120, 0.7071f, 6.0f, 48000 },
		{ JL_FX_MODE_LOWSHELF, 30, 0.5f, -10.0f, 48000 },
		{ JL_FX_MODE_HIGHSHELF, 6000, 0.7071f, -8.0f, 48000 },
		{ JL_FX_MODE_HIGHSHELF, 3000, 1.2f, 12.0f, 88200 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_filter(&cases[i]);

	/* EQ: four bands in series and the output gain. */
	{
		const size_t N = 65536;
		const uint32_t rate = 48000;
		struct jl_fx_ctx ctx = { rate, 0 };
		float p[JL_FX_MAX_PARAMS], *l = fbuf(N), *r = fbuf(N);
		static const double freqs[] = { 20, 45, 80, 160, 400, 1000, 2500, 5000, 9000, 15000 };
		uint64_t b;
		void *s = new_state(JL_FX_EQ, rate, &b);
		double worst = 0;
		jl_fx_defaults(JL_FX_EQ, p);
		p[JL_FX_EQ_MODE(0)] = JL_FX_MODE_HP; p[JL_FX_EQ_FREQ(0)] = 40; p[JL_FX_EQ_Q(0)] = 0.7071f;
		p[JL_FX_EQ_GAIN(1)] = -6; p[JL_FX_EQ_FREQ(1)] = 300; p[JL_FX_EQ_Q(1)] = 2;
		p[JL_FX_EQ_GAIN(2)] = 4; p[JL_FX_EQ_FREQ(2)] = 3000; p[JL_FX_EQ_Q(2)] = 1;
		p[JL_FX_EQ_GAIN(3)] = -3; p[JL_FX_EQ_FREQ(3)] = 10000;
		p[JL_FX_EQ_OUT] = 2.5f;
		TH_CHECK(set(JL_FX_EQ, s, p, rate, 0) == 0, "eq set");
		l[0] = 1.0f;
		r[0] = 1.0f;
		run(JL_FX_EQ, s, l, r, (uint32_t)N, &ctx, 100);
		for (size_t i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
			double want = pow(10.0, p[JL_FX_EQ_OUT] / 20.0), got = dft_mag(l, N, freqs[i], rate);
			for (int bd = 0; bd < 4; bd++)
				want *= rbj_mag((int)p[JL_FX_EQ_MODE(bd)], freqs[i], p[JL_FX_EQ_FREQ(bd)], p[JL_FX_EQ_Q(bd)],
						p[JL_FX_EQ_GAIN(bd)], rate);
			if (fabs(db(got) - db(want)) > worst)
				worst = fabs(db(got) - db(want));
		}
		TH_CHECK(worst < 0.001, "eq: worst error %.4f dB", worst);
		free(l);
		free(r);
		free(s);
	}

	/* Design errors. */
	{
		float p[JL_FX_MAX_PARAMS];
		double c[JL_FX_MAX_COEFS];
		jl_fx_defaults(JL_FX_FILTER, p);
		p[JL_FX_FILTER_FREQ] = 20000;
		TH_CHECK(jl_fx_design(JL_FX_FILTER, p, 32000, c, 5) == -ERANGE, "freq above 0.49 fs");
		TH_CHECK(jl_fx_design(JL_FX_FILTER, p, 48000, c, 5) == 5, "5 coefficients");
		TH_CHECK(jl_fx_design(JL_FX_FILTER, p, 48000, c, 4) == -ENOSPC, "too few");
		jl_fx_defaults(JL_FX_EQ, p);
		TH_CHECK(jl_fx_design(JL_FX_EQ, p, 48000, c, JL_FX_MAX_COEFS) == 20, "20 coefficients");
		TH_CHECK(jl_fx_design(JL_FX_DELAY, p, 48000, c, JL_FX_MAX_COEFS) == 0, "delay needs none");
		p[JL_FX_EQ_Q(2)] = 0;
		TH_CHECK(jl_fx_design(JL_FX_EQ, p, 48000, c, JL_FX_MAX_COEFS) == -EINVAL, "Q out of range");
	}
}

/* --- delay ---------------------------------------------------------------------- */

static void test_delay(void)
{
	const uint32_t rate = 48000, N = 4000;
	struct jl_fx_ctx ctx = { rate, 0 };
	float p[JL_FX_MAX_PARAMS], *l = fbuf(N), *r = fbuf(N);
	uint64_t b;
	void *s = new_state(JL_FX_DELAY, rate, &b);
	int bad = 0;

	/* 10 ms = 480 frames exactly; echoes at 480 k with gain mix fb^(k-1). */
	jl_fx_defaults(JL_FX_DELAY, p);
	p[JL_FX_DELAY_TIME] = 10;
	p[JL_FX_DELAY_FEEDBACK] = 0.6f;
	p[JL_FX_DELAY_MIX] = 0.4f;
	p[JL_FX_DELAY_DAMPING] = 0;
	TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "delay set");
	l[0] = 1.0f;
	r[5] = -0.5f;
	run(JL_FX_DELAY, s, l, r, N, &ctx, 97);
	{
		float e = 1.0f;
		for (uint32_t k = 0; k < N; k++) {
			float wl = 0, wr = 0;
			if (k == 0)
				wl = (1.0f - 0.4f) * 1.0f;
			if (k == 5)
				wr = (1.0f - 0.4f) * -0.5f;
			if (k % 480 == 0 && k) {
				wl = 0.4f * e;
				e = 0.6f * e;
			}
			if (k % 480 == 5 && k > 5) {
				float er = -0.5f;
				for (uint32_t j = 1; j < (k - 5) / 480; j++)
					er = 0.6f * er;
				wr = 0.4f * er;
			}
			if (l[k] != wl || r[k] != wr) {
				if (!bad)
					TH_CHECK(0, "delay IR at %u: %g %g, want %g %g", k, (double)l[k], (double)r[k],
						 (double)wl, (double)wr);
				bad = 1;
			}
		}
		TH_CHECK(!bad, "delay impulse response exact to the sample");
	}

	/* Beat-synced: 0.5 beat at 24000 frames per beat -> 12000. */
	{
		const uint32_t M = 13000;
		float *a = fbuf(M), *c = fbuf(M);
		TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, b, rate) == 0, "delay reset");
		p[JL_FX_DELAY_BEATS] = 0.5f;
		p[JL_FX_DELAY_MIX] = 1.0f;
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "synced set");
		ctx.beat_frames = 24000;
		a[0] = 1;
		run(JL_FX_DELAY, s, a, c, M, &ctx, 256);
		TH_CHECK(a[12000] == 1.0f && a[11999] == 0 && a[12001] == 0 && a[0] == 0, "echo at 0.5 beat exactly");
		free(a);
		free(c);
	}
	/* A fractional beat length splits the echo by linear interpolation. */
	{
		const uint32_t M = 3000;
		float *a = fbuf(M), *c = fbuf(M);
		TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, b, rate) == 0, "delay reset");
		p[JL_FX_DELAY_BEATS] = 1;
		p[JL_FX_DELAY_FEEDBACK] = 0;
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "synced set");
		ctx.beat_frames = 2400.5;
		a[0] = 1;
		run(JL_FX_DELAY, s, a, c, M, &ctx, 64);
		TH_CHECK(a[2400] == 0.5f && a[2401] == 0.5f && a[2399] == 0 && a[2402] == 0,
			 "2400.5 frames: %g %g", (double)a[2400], (double)a[2401]);
		free(a);
		free(c);
	}
	/* beats > 0 without a tempo falls back to the time in ms. */
	{
		const uint32_t M = 600;
		float *a = fbuf(M), *c = fbuf(M);
		TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, b, rate) == 0, "delay reset");
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "set");
		ctx.beat_frames = 0;
		a[0] = 1;
		run(JL_FX_DELAY, s, a, c, M, &ctx, 256);
		TH_CHECK(a[480] == 1.0f, "no tempo: 10 ms");
		free(a);
		free(c);
	}
	/* Damping: the feedback low-pass has unit DC gain, so the second echo
	 * (smeared) still sums to mix * fb. */
	{
		const uint32_t M = 1440;
		float *a = fbuf(M), *c = fbuf(M);
		double sum = 0;
		TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, b, rate) == 0, "delay reset");
		jl_fx_defaults(JL_FX_DELAY, p);
		p[JL_FX_DELAY_TIME] = 10;
		p[JL_FX_DELAY_FEEDBACK] = 0.5f;
		p[JL_FX_DELAY_MIX] = 0.5f;
		p[JL_FX_DELAY_DAMPING] = 0.6f;
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "set");
		a[0] = 1;
		run(JL_FX_DELAY, s, a, c, M, &ctx, 256);
		for (uint32_t k = 960; k < M; k++)
			sum += a[k];
		TH_CHECK(a[480] == 0.5f && a[959] == 0 && fabs(sum - 0.25) < 1e-5 && a[961] < a[960],
			 "damped second echo sums to mix*fb: %g", sum);
		free(a);
		free(c);
	}
	/* A time change glides: no jump in the output (a 220 Hz sine moves at
	 * most 0.0144 per sample; the glide reads at 0.5..1.5x speed). */
	{
		const uint32_t M = 48000;
		float *a = fbuf(M), *c = fbuf(M);
		double worst = 0;
		TH_CHECK(jl_fx_reset_rt(JL_FX_DELAY, s, b, rate) == 0, "delay reset");
		jl_fx_defaults(JL_FX_DELAY, p);
		p[JL_FX_DELAY_TIME] = 100;
		p[JL_FX_DELAY_FEEDBACK] = 0;
		p[JL_FX_DELAY_MIX] = 1;
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 0) == 0, "set");
		for (uint32_t k = 0; k < M; k++)
			a[k] = c[k] = 0.5f * (float)sin(2.0 * PI * 220.0 * k / rate);
		run(JL_FX_DELAY, s, a, c, 12000, &ctx, 256);
		p[JL_FX_DELAY_TIME] = 300;
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 480) == 0, "time change");
		run(JL_FX_DELAY, s, a + 12000, c + 12000, 24000, &ctx, 256);
		p[JL_FX_DELAY_TIME] = 30;	/* and back, mid-glide */
		TH_CHECK(set(JL_FX_DELAY, s, p, rate, 480) == 0, "time change mid-glide");
		run(JL_FX_DELAY, s, a + 36000, c + 36000, M - 36000, &ctx, 256);
		for (uint32_t k = 4801; k < M; k++)
			if (fabs((double)a[k] - a[k - 1]) > worst)
				worst = fabs((double)a[k] - a[k - 1]);
		TH_CHECK(worst < 0.025, "delay time change without a click: max step %g", worst);
		free(a);
		free(c);
	}
	free(l);
	free(r);
	free(s);
}

/* --- compressor ------------------------------------------------------------------- */

static double gc_ref(double x, double T, double R, double W)
{
	if (2.0 * (x - T) < -W)
		return x;
	if (2.0 * fabs(x - T) <= W)
		return x + (1.0 / R - 1.0) * (x - T + W / 2.0) * (x - T + W / 2.0) / (2.0 * W);
	return T + (x - T) / R;
}

static void test_comp(void)
{
	const uint32_t rate = 48000, N = 48000;
	struct jl_fx_ctx ctx = { rate, 0 };
	float p[JL_FX_MAX_PARAMS], *l = fbuf(N), *r = fbuf(N);
	uint64_t b;
	void *s = new_state(JL_FX_COMP, rate, &b);
	static const double levels[] = { -40, -26, -23.5, -22, -20.5, -20, -19, -17, -14, -8, -3 };
	const double T = -20, R = 4, W = 6, MK = 3;

	for (int det = 0; det < 2; det++) {
		double worst = 0;
		for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
			/* RMS: a sine of RMS level L; peak: a sine of peak level L. */
			double A = pow(10.0, levels[i] / 20.0) * (det == JL_FX_DET_RMS ? sqrt(2.0) : 1.0);
			double acc = 0, pk = 0, got, want;
			TH_CHECK(jl_fx_reset_rt(JL_FX_COMP, s, b, rate) == 0, "reset");
			jl_fx_defaults(JL_FX_COMP, p);
			p[JL_FX_COMP_THRESHOLD] = (float)T;
			p[JL_FX_COMP_RATIO] = (float)R;
			p[JL_FX_COMP_KNEE] = (float)W;
			p[JL_FX_COMP_MAKEUP] = (float)MK;
			p[JL_FX_COMP_ATTACK] = 5;
			p[JL_FX_COMP_RELEASE] = det == JL_FX_DET_RMS ? 50 : 300;
			p[JL_FX_COMP_DETECTOR] = (float)det;
			TH_CHECK(set(JL_FX_COMP, s, p, rate, 0) == 0, "comp set");
			for (uint32_t k = 0; k < N; k++)
				l[k] = r[k] = (float)(A * sin(2.0 * PI * 1000.0 * k / rate));	/* 48-frame period */
			run(JL_FX_COMP, s, l, r, N, &ctx, 256);
			for (uint32_t k = N - 4800; k < N; k++) {
				acc += (double)l[k] * l[k];
				if (fabs(l[k]) > pk)
					pk = fabs(l[k]);
			}
			got = det == JL_FX_DET_RMS ? 10.0 * log10(acc / 4800.0) - 10.0 * log10(0.5) : db(pk);
			if (det == JL_FX_DET_RMS)
				got += 20.0 * log10(1.0 / sqrt(2.0));	/* back to RMS level */
			want = gc_ref(levels[i], T, R, W) + MK;
			if (fabs(got - want) > worst)
				worst = fabs(got - want);
		}
		TH_CHECK(worst < 0.1, "comp static curve (%s): worst error %.4f dB", det ? "peak" : "rms", worst);
	}

	/* Time constants: a DC step in peak mode (threshold -20, ratio 4, hard
	 * knee: 0 dBFS means 15 dB of gain reduction).  Attack: the reduction
	 * reaches 1-1/e of 15 dB after tau_a; release: it falls by 1-1/e after
	 * tau_r (+ tau_a, the attack stage follows the release stage). */
	for (int phase = 0; phase < 2; phase++) {
		const double ta = phase == 0 ? 10.0 : 1.0, tr = 200.0;
		uint32_t step = 24000, k, hit = 0;
		double expect = (phase == 0 ? ta : tr + ta) * rate / 1000.0;
		TH_CHECK(jl_fx_reset_rt(JL_FX_COMP, s, b, rate) == 0, "reset");
		jl_fx_defaults(JL_FX_COMP, p);
		p[JL_FX_COMP_THRESHOLD] = -20;
		p[JL_FX_COMP_RATIO] = 4;
		p[JL_FX_COMP_KNEE] = 0;
		p[JL_FX_COMP_ATTACK] = (float)ta;
		p[JL_FX_COMP_RELEASE] = (float)tr;
		p[JL_FX_COMP_DETECTOR] = JL_FX_DET_PEAK;
		TH_CHECK(set(JL_FX_COMP, s, p, rate, 0) == 0, "comp set");
		for (k = 0; k < N; k++)	/* -60 dBFS then 0 dBFS (attack), or the reverse */
			l[k] = r[k] = (k < step) == (phase == 0) ? 0.001f : 1.0f;
		{
			float *in = fbuf(N);
			memcpy(in, l, N * sizeof(float));
			run(JL_FX_COMP, s, l, r, N, &ctx, 128);
			for (k = step; k < N; k++) {
				double gdb = db(l[k] / in[k]);
				/* attack: from 0 to -15 dB; release: from -15 to 0 */
				double frac = phase == 0 ? -gdb / 15.0 : 1.0 + gdb / 15.0;
				if (frac >= 1.0 - exp(-1.0)) {
					hit = k - step + 1;
					break;
				}
			}
			TH_CHECK(fabs(db(l[step - 1] / in[step - 1]) - (phase == 0 ? 0.0 : -15.0)) < 0.01,
				 "settled before the step");
			free(in);
		}
		TH_CHECK(fabs(hit - expect) <= 0.1 * expect, "comp %s: 1-1/e after %u frames, expected %.0f",
			 phase == 0 ? "attack" : "release", hit, expect);
	}

	/* Ratio 1: no gain change at all. */
	{
		float a[64], c[64];
		TH_CHECK(jl_fx_reset_rt(JL_FX_COMP, s, b, rate) == 0, "reset");
		jl_fx_defaults(JL_FX_COMP, p);
		p[JL_FX_COMP_RATIO] = 1;
		TH_CHECK(set(JL_FX_COMP, s, p, rate, 0) == 0, "set");
		for (int k = 0; k < 64; k++)
			a[k] = c[k] = (float)k / 64.0f;
		run(JL_FX_COMP, s, a, c, 64, &ctx, 64);
		TH_CHECK(a[63] == 63.0f / 64.0f && c[10] == 10.0f / 64.0f, "ratio 1 is transparent");
	}
	free(l);
	free(r);
	free(s);
}

/* --- reverb ---------------------------------------------------------------------- */

/* RT60 from the impulse response energy: Schroeder backward integration,
 * least-squares line over -5..-35 dB, extrapolated to -60 dB. */
static double rt60_measure(const float *l, const float *r, size_t n, double rate)
{
	double *e = malloc(n * sizeof(double)), tot = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, cnt = 0, slope;
	size_t k;
	if (!e)
		abort();
	for (k = n; k-- > 0;) {
		tot += (double)l[k] * l[k] + (double)r[k] * r[k];
		e[k] = tot;
	}
	for (k = 0; k < n; k++) {
		double d = 10.0 * log10(e[k] / tot);
		if (d > -5.0)
			continue;
		if (d < -35.0)
			break;
		sx += (double)k; sy += d; sxx += (double)k * k; sxy += (double)k * d; cnt++;
	}
	free(e);
	slope = (cnt * sxy - sx * sy) / (cnt * sxx - sx * sx);	/* dB per frame */
	return -60.0 / slope / rate;
}

static void test_reverb(void)
{
	static const struct { float size; uint32_t rate; } cases[] = {
		{ 0.2f, 48000 }, { 0.5f, 48000 }, { 0.8f, 48000 }, { 0.5f, 44100 }, { 0.0f, 96000 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t rate = cases[i].rate;
		double g = 0.7 + 0.28 * cases[i].size;
		double want = -3.0 * (JL_FX_REVERB_DREF / 44100.0) / log10(g), got;
		size_t n = (size_t)(2.5 * want * rate) + rate / 2;
		struct jl_fx_ctx ctx = { rate, 0 };
		float p[JL_FX_MAX_PARAMS], *l = fbuf(n), *r = fbuf(n);
		uint64_t b;
		void *s = new_state(JL_FX_REVERB, rate, &b);
		jl_fx_defaults(JL_FX_REVERB, p);
		p[JL_FX_REVERB_SIZE] = cases[i].size;
		p[JL_FX_REVERB_DAMPING] = 0;
		p[JL_FX_REVERB_MIX] = 1;
		TH_CHECK(set(JL_FX_REVERB, s, p, rate, 0) == 0, "reverb set");
		l[0] = 1.0f;
		run(JL_FX_REVERB, s, l, r, (uint32_t)n, &ctx, 256);
		got = rt60_measure(l, r, n, rate);
		TH_CHECK(fabs(got - want) <= 0.1 * want, "reverb size %.1f at %u: RT60 %.3f s, mapping %.3f s",
			 (double)cases[i].size, rate, got, want);
		/* Stereo spread: the channels differ. */
		TH_CHECK(l[rate / 10] != r[rate / 10], "stereo spread");
		free(l);
		free(r);
		free(s);
	}
	/* Damping shortens the high-frequency decay only: the RT60 of the
	 * energy (broadband, dominated by highs early on) drops. */
	{
		uint32_t rate = 48000;
		size_t n = 3 * rate;
		struct jl_fx_ctx ctx = { rate, 0 };
		float p[JL_FX_MAX_PARAMS], *l = fbuf(n), *r = fbuf(n);
		uint64_t b;
		void *s = new_state(JL_FX_REVERB, rate, &b);
		double want = -3.0 * (JL_FX_REVERB_DREF / 44100.0) / log10(0.84), got;
		jl_fx_defaults(JL_FX_REVERB, p);
		p[JL_FX_REVERB_DAMPING] = 1;
		p[JL_FX_REVERB_MIX] = 1;
		TH_CHECK(set(JL_FX_REVERB, s, p, rate, 0) == 0, "reverb set");
		l[0] = 1.0f;
		run(JL_FX_REVERB, s, l, r, (uint32_t)n, &ctx, 256);
		got = rt60_measure(l, r, n, rate);
		TH_CHECK(got < want, "damping shortens the decay: %.3f < %.3f s", got, want);
		free(l);
		free(r);
		free(s);
	}
}

/* --- saturation ------------------------------------------------------------------ */

static void test_sat(void)
{
	const uint32_t rate = 48000, N = 2001;
	struct jl_fx_ctx ctx = { rate, 0 };
	float p[JL_FX_MAX_PARAMS], *l = fbuf(N), *r = fbuf(N);
	uint64_t b;
	void *s = new_state(JL_FX_SAT, rate, &b);
	double worst = 0;
	jl_fx_defaults(JL_FX_SAT, p);
	p[JL_FX_SAT_DRIVE] = 4;
	p[JL_FX_SAT_LEVEL] = -6;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, 0) == 0, "sat set");
	for (uint32_t k = 0; k < N; k++)
		l[k] = r[k] = -2.0f + 4.0f * (float)k / (float)(N - 1);
	run(JL_FX_SAT, s, l, r, N, &ctx, 256);
	for (uint32_t k = 0; k < N; k++) {
		double xin = (double)(-2.0f + 4.0f * (float)k / (float)(N - 1));
		double want = pow(10.0, -6.0 / 20.0) * atan(4.0 * xin) / atan(4.0);
		if (fabs(l[k] - want) > worst)
			worst = fabs(l[k] - want);
	}
	TH_CHECK(worst < 2e-6, "sat transfer curve: worst error %g", worst);
	/* x[1500] = 1 exactly: the output is the level, exactly (the level is
	 * ramped as a linear gain 2^(dB log2(10)/20)). */
	TH_CHECK(l[1500] == exp2f(-6.0f * 0.16609640474436813f), "x = 1 maps to the output level exactly");
	TH_CHECK(l[0] == -l[N - 1], "odd symmetry");
	free(l);
	free(r);
	free(s);
}

/* --- ramps ---------------------------------------------------------------------- */

static float ulp(float x)
{
	x = fabsf(x);
	return nextafterf(x, INFINITY) - x;
}

/* y[] follows a ramp g0 -> g1 over N (then holds): each step within
 * |g1 - g0|/N + 1 ulp, the last ramp sample exactly g1. */
static int ramp_ok(const float *y, uint32_t N, float g0, float g1, uint32_t extra)
{
	float prev = g0, lim = fabsf(g1 - g0) / (float)N;
	for (uint32_t i = 0; i < N + extra; i++) {
		float d = fabsf(y[i] - prev), u = ulp(fabsf(y[i]) > fabsf(prev) ? y[i] : prev);
		if (d > lim + u) {
			fprintf(stderr, "  ramp step %u: %.9g -> %.9g (limit %.9g + %.3g)\n", i, (double)prev,
				(double)y[i], (double)lim, (double)u);
			return 0;
		}
		if ((g1 > g0 && y[i] < prev) || (g1 < g0 && y[i] > prev))
			return 0;
		prev = y[i];
	}
	return y[N - 1] == g1 && y[N + extra - 1] == g1;
}

static void test_ramps(void)
{
	const uint32_t rate = 48000, N = 1000;
	struct jl_fx_ctx ctx = { rate, 0 };
	float p[JL_FX_MAX_PARAMS], l[2000], r[2000];
	uint64_t b;
	void *s = new_state(JL_FX_SAT, rate, &b);
	float g0 = 1.0f, g1 = (float)pow(10.0, -12.0 / 20.0), cur, g2;

	/* SAT output level on DC x = 1 (atan(d)/atan(d) = 1 exactly). */
	jl_fx_defaults(JL_FX_SAT, p);
	p[JL_FX_SAT_DRIVE] = 1;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, 0) == 0, "sat set");
	p[JL_FX_SAT_LEVEL] = -12;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, N) == 0, "sat ramp");
	g1 = exp2f(-12.0f * 0.16609640474436813f);
	for (int k = 0; k < 1200; k++)
		l[k] = r[k] = 1.0f;
	run(JL_FX_SAT, s, l, r, 1200, &ctx, 37);
	TH_CHECK(ramp_ok(l, N, g0, g1, 200), "sat level ramp: steps within |g1-g0|/N + 1 ulp");
	TH_CHECK(fabs(l[0] - (g0 + (g1 - g0) / N)) <= ulp(l[0]), "first ramp sample is g0 + (g1-g0)/N");

	/* A new target mid-ramp starts from the current value. */
	TH_CHECK(jl_fx_reset_rt(JL_FX_SAT, s, b, rate) == 0, "reset");
	p[JL_FX_SAT_LEVEL] = 0;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, 0) == 0, "set");
	p[JL_FX_SAT_LEVEL] = -12;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, N) == 0, "ramp");
	for (int k = 0; k < 2000; k++)
		l[k] = r[k] = 1.0f;
	run(JL_FX_SAT, s, l, r, 400, &ctx, 256);
	cur = l[399];
	p[JL_FX_SAT_LEVEL] = 6;
	TH_CHECK(set(JL_FX_SAT, s, p, rate, 300) == 0, "retarget");
	run(JL_FX_SAT, s, l + 400, r + 400, 400, &ctx, 256);
	g2 = exp2f(6.0f * 0.16609640474436813f);
	TH_CHECK(ramp_ok(l + 400, 300, cur, g2, 100), "retarget ramps from the current value (%g)", (double)cur);
	free(s);

	/* EQ output gain on DC through flat bands (exact passthrough). */
	{
		s = new_state(JL_FX_EQ, rate, &b);
		jl_fx_defaults(JL_FX_EQ, p);
		TH_CHECK(set(JL_FX_EQ, s, p, rate, 0) == 0, "eq set");
		p[JL_FX_EQ_OUT] = -6;
		TH_CHECK(set(JL_FX_EQ, s, p, rate, 480) == 0, "eq out ramp");
		for (int k = 0; k < 600; k++)
			l[k] = r[k] = 1.0f;
		run(JL_FX_EQ, s, l, r, 600, &ctx, 100);
		TH_CHECK(ramp_ok(l, 480, 1.0f, exp2f(-6.0f * 0.16609640474436813f), 120) && l[0] == r[0],
			 "eq output gain ramp: steps within |g1-g0|/N + 1 ulp");
		free(s);
	}

	/* FILTER coefficient ramp (low shelf 0 -> +6 dB at 200 Hz) on DC: the
	 * interpolated filter moves smoothly and lands on the new gain. */
	{
		const uint32_t M = 9600;
		float *a = fbuf(M), *c = fbuf(M), want = (float)pow(10.0, 6.0 / 20.0) * 0.5f;
		double worst = 0;
		s = new_state(JL_FX_FILTER, rate, &b);
		jl_fx_defaults(JL_FX_FILTER, p);
		p[JL_FX_FILTER_MODE] = JL_FX_MODE_LOWSHELF;
		p[JL_FX_FILTER_FREQ] = 200;
		TH_CHECK(set(JL_FX_FILTER, s, p, rate, 0) == 0, "set");
		for (uint32_t k = 0; k < M; k++)
			a[k] = c[k] = 0.5f;
		run(JL_FX_FILTER, s, a, c, 480, &ctx, 256);
		p[JL_FX_FILTER_GAIN] = 6;
		TH_CHECK(set(JL_FX_FILTER, s, p, rate, 4800) == 0, "coefficient ramp");
		run(JL_FX_FILTER, s, a + 480, c + 480, M - 480, &ctx, 256);
		for (uint32_t k = 481; k < M; k++)
			if (fabs((double)a[k] - a[k - 1]) > worst)
				worst = fabs((double)a[k] - a[k - 1]);
		TH_CHECK(a[479] == 0.5f && worst < 3.0 * (want - 0.5) / 4800.0 && fabs(a[M - 1] - want) < 1e-4,
			 "coefficient ramp: max step %g (linear %g), end %g want %g", worst,
			 (double)(want - 0.5f) / 4800.0, (double)a[M - 1], (double)want);
		free(a);
		free(c);
		free(s);
	}
}

/* --- denormals ------------------------------------------------------------------- */

static void test_denormals(void)
{
	const uint32_t rate = 48000, tone = rate / 5;
	static const int types[] = { JL_FX_FILTER, JL_FX_EQ, JL_FX_COMP, JL_FX_SAT, JL_FX_DELAY, JL_FX_REVERB };
	static const double secs[] = { 2, 2, 1, 0.1, 10, 14 };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int type = types[i], sub = 0, nonzero = 0;
		uint32_t n = tone + (uint32_t)(secs[i] * rate), k;
		struct jl_fx_ctx ctx = { rate, 0 };
		float p[JL_FX_MAX_PARAMS], *l = fbuf(n), *r = fbuf(n);
		uint64_t b;
		void *s = new_state(type, rate, &b);
		jl_fx_defaults(type, p);
		if (type == JL_FX_FILTER) {
			p[JL_FX_FILTER_MODE] = JL_FX_MODE_HP;
			p[JL_FX_FILTER_FREQ] = 20;
		} else if (type == JL_FX_DELAY) {
			p[JL_FX_DELAY_TIME] = 10;
			p[JL_FX_DELAY_FEEDBACK] = 0.9f;
		}
		TH_CHECK(set(type, s, p, rate, 0) == 0, "set %d", type);
		for (k = 0; k < tone; k++)
			l[k] = r[k] = 0.5f * (float)sin(2.0 * PI * 1000.0 * k / rate);
		run(type, s, l, r, n, &ctx, 256);
		sub = has_subnormal(l + tone, n - tone) || has_subnormal(r + tone, n - tone);
		for (k = n - 256; k < n; k++)
			nonzero |= l[k] != 0.0f || r[k] != 0.0f;
		TH_CHECK(!sub, "%s: no subnormal output in the tail", jl_fx_type_name(type));
		TH_CHECK(!nonzero, "%s: the tail reaches exact zeros", jl_fx_type_name(type));
		if (b > JL_FX_HEAD_BYTES) {	/* delay lines and combs: all zero */
			const float *buf = (const float *)(const void *)((const char *)s + JL_FX_HEAD_BYTES);
			size_t nb = (size_t)(b - JL_FX_HEAD_BYTES) / sizeof(float), bad = 0;
			for (size_t j = 0; j < nb; j++)
				bad += buf[j] != 0.0f;
			TH_CHECK(bad == 0, "%s: %zu buffer samples not yet zero", jl_fx_type_name(type), bad);
		}
		free(l);
		free(r);
		free(s);
	}
}

/* --- parser and table ------------------------------------------------------------ */

static void test_parse(void)
{
	char err[256], buf[512];
	float p[JL_FX_MAX_PARAMS], q[JL_FX_MAX_PARAMS];
	int type = -1;
	char *a1[] = { "freq=30000" };
	char *a2[] = { "foo=1" };
	char *a3[] = { "mode=notch" };
	char *a4[] = { "freq2=250", "gain2=-3", "mode4=lowshelf", "out=2" };
	char *a5[] = { "time=abc" };
	char *a6[] = { "time=0.5" };
	char *a7[] = { "detector=peak", "ratio=8" };
	char *a8[] = { "mix" };

	TH_CHECK(jl_fx_parse("flanger", 0, NULL, &type, p, err, sizeof(err)) == -EINVAL &&
			 strstr(err, "flanger") && strstr(err, "filter eq comp sat delay reverb conv"),
		 "unknown effect lists the valid ones: %s", err);
	TH_CHECK(jl_fx_parse("filter", 1, a1, &type, p, err, sizeof(err)) == -EINVAL && strstr(err, "10..20000 Hz"),
		 "out of range gives the range: %s", err);
	TH_CHECK(jl_fx_parse("filter", 1, a2, &type, p, err, sizeof(err)) == -EINVAL &&
			 strstr(err, "'foo'") && strstr(err, "mode freq q gain"),
		 "unknown parameter lists the valid ones: %s", err);
	TH_CHECK(jl_fx_parse("filter", 1, a3, &type, p, err, sizeof(err)) == -EINVAL &&
			 strstr(err, "lp hp bp peak lowshelf highshelf"),
		 "bad enum word lists the words: %s", err);
	TH_CHECK(jl_fx_parse("delay", 1, a5, &type, p, err, sizeof(err)) == -EINVAL && strstr(err, "not a number"),
		 "not a number: %s", err);
	TH_CHECK(jl_fx_parse("delay", 1, a6, &type, p, err, sizeof(err)) == -EINVAL && strstr(err, "1..4000 ms"),
		 "below the range, not clamped: %s", err);
	TH_CHECK(jl_fx_parse("reverb", 1, a8, &type, p, err, sizeof(err)) == -EINVAL && strstr(err, "name=value"),
		 "missing '=': %s", err);
	TH_CHECK(jl_fx_parse("eq", 4, a4, &type, p, err, sizeof(err)) == 0 && type == JL_FX_EQ &&
			 p[JL_FX_EQ_FREQ(1)] == 250 && p[JL_FX_EQ_GAIN(1)] == -3 &&
			 p[JL_FX_EQ_MODE(3)] == JL_FX_MODE_LOWSHELF && p[JL_FX_EQ_OUT] == 2 &&
			 p[JL_FX_EQ_FREQ(0)] == 100,
		 "eq parsed over the defaults");
	TH_CHECK(jl_fx_parse("comp", 2, a7, &type, p, err, sizeof(err)) == 0 && type == JL_FX_COMP &&
			 p[JL_FX_COMP_DETECTOR] == JL_FX_DET_PEAK && p[JL_FX_COMP_RATIO] == 8,
		 "comp parsed");
	TH_CHECK(jl_fx_parse("conv", 0, NULL, &type, p, err, sizeof(err)) == 0 && type == JL_FX_CONV,
		 "conv is a known effect");

	/* describe -> parse round trip for every type's defaults. */
	for (int t = JL_FX_FILTER; t < JL_FX__COUNT; t++) {
		char *argv[JL_FX_MAX_PARAMS + 1], *save = NULL, *tok;
		int argc = 0, tt = -1, same = 1;
		jl_fx_defaults(t, p);
		if (t == JL_FX_COMP)
			p[JL_FX_COMP_DETECTOR] = JL_FX_DET_PEAK;
		jl_fx_describe(t, p, buf, sizeof(buf));
		tok = strtok_r(buf, " ", &save);
		TH_CHECK(tok && strcmp(tok, jl_fx_type_name(t)) == 0, "describe starts with the name");
		while ((tok = strtok_r(NULL, " ", &save)) && argc < JL_FX_MAX_PARAMS)
			argv[argc++] = tok;
		TH_CHECK(jl_fx_parse(jl_fx_type_name(t), argc, argv, &tt, q, err, sizeof(err)) == 0 && tt == t,
			 "describe output parses: %s", err);
		for (int i = 0; i < jl_fx_nparams(t); i++)
			same &= fabsf(p[i] - q[i]) <= 1e-5f * fabsf(p[i]);
		TH_CHECK(same, "describe/parse round trip for %s", jl_fx_type_name(t));
	}
	jl_fx_defaults(JL_FX_FILTER, p);
	jl_fx_describe(JL_FX_FILTER, p, buf, sizeof(buf));
	TH_CHECK(strcmp(buf, "filter mode=lp freq=1000 q=0.707107 gain=0") == 0, "describe: %s", buf);

	/* The table: every parameter named, ranges sane, defaults inside. */
	{
		int ok = 1;
		for (int t = JL_FX_FILTER; t < JL_FX__COUNT; t++) {
			struct jl_fx_param_info pi;
			for (int i = 0; i < jl_fx_nparams(t); i++) {
				ok &= jl_fx_param_info(t, i, &pi) == 0 && pi.name && pi.unit && pi.min < pi.max &&
				      pi.def >= pi.min && pi.def <= pi.max;
				ok &= !pi.words || pi.nwords == (int)pi.max + 1;
			}
			ok &= jl_fx_param_info(t, jl_fx_nparams(t), &pi) == -EINVAL;
		}
		TH_CHECK(ok, "parameter table consistent with jl_fx.h limits");
	}
}

int main(void)
{
	test_geometry();
	test_biquads();
	test_delay();
	test_comp();
	test_reverb();
	test_sat();
	test_ramps();
	test_denormals();
	test_parse();
	return TH_REPORT();
}
