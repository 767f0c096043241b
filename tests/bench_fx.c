/* bench_fx.c - `make bench`: the cost of each effect in ns per frame at a
 * 128-frame period (stereo), the convolution of a 1 s impulse response,
 * and the denormal row: each effect fed a tone, then 10 s of silence; the
 * cost in the silence must equal the steady cost (FTZ/DAZ, DESIGN 7).
 * Medians of many periods; the machine is noisy, read ratios. */
#define _GNU_SOURCE
#include <math.h>
#include <pmmintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xmmintrin.h>

#include "../jackloop/conv.h"
#include "../jackloop/fx.h"
#include "../loopctl/fxdesign.h"
#include "../loopctl/irload.h"

#define RATE 48000u
#define N 128u

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmpd);
	return v[n / 2];
}

/* ns per frame over `periods` periods of a signal: tone or silence */
static double run(int type, void *st, const struct jl_conv_plans *p, int periods, int tone, uint64_t *t0)
{
	static float l[N], r[N];
	static double per[4096];
	struct jl_fx_ctx ctx = { RATE, 24000.0 };
	int k, i, m = periods < 4096 ? periods : 4096;
	for (k = 0; k < periods; k++) {
		double a;
		for (i = 0; i < (int)N; i++) {
			float v = tone ? 0.5f * sinf(2.0f * 3.14159265f * 441.0f * (float)(*t0 + (uint64_t)i) / RATE) : 0.0f;
			l[i] = v;
			r[i] = v;
		}
		*t0 += N;
		a = now_ns();
		if (type == JL_FX_CONV)
			jl_conv_process_rt(st, p, l, r, N, 1.0f);
		else
			jl_fx_process_rt(type, st, l, r, N, &ctx);
		per[k % 4096] = (now_ns() - a) / N;
	}
	return median(per, m);
}

int main(void)
{
	static const char *const names[] = { "filter", "eq", "comp", "sat", "delay", "reverb" };
	static const int types[] = { JL_FX_FILTER, JL_FX_EQ, JL_FX_COMP, JL_FX_SAT, JL_FX_DELAY, JL_FX_REVERB };
	static char *args_delay[] = { (char *)"time=350", (char *)"feedback=0.6", (char *)"mix=0.4" };
	static char *args_rev[] = { (char *)"size=0.8", (char *)"mix=0.3" };
	struct jl_conv_plans plans;
	size_t t;
	/* FTZ/DAZ as the engine sets them at the top of every callback */
	_mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);
	printf("effects at a %u-frame period, %u Hz, stereo (median ns per frame)\n", N, RATE);
	printf("%-8s %10s %14s %10s\n", "effect", "steady", "10 s silence", "ratio");
	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		uint64_t bytes = jl_fx_state_bytes(types[t], RATE), t0 = 0;
		void *st = aligned_alloc(64, (bytes + 63) & ~63ull);
		float params[JL_FX_MAX_PARAMS];
		double coef[JL_FX_MAX_COEFS], steady, silent;
		char err[256];
		int type, nc;
		char **argv = types[t] == JL_FX_DELAY ? args_delay : types[t] == JL_FX_REVERB ? args_rev : NULL;
		int argc = types[t] == JL_FX_DELAY ? 3 : types[t] == JL_FX_REVERB ? 2 : 0;
		jl_fx_parse(names[t], argc, argv, &type, params, err, sizeof(err));
		nc = jl_fx_design(type, params, RATE, coef, JL_FX_MAX_COEFS);
		jl_fx_reset_rt(type, st, bytes, RATE);
		jl_fx_set_rt(type, st, params, nc > 0 ? coef : NULL, 0);
		run(type, st, NULL, 2000, 1, &t0); /* warm up */
		steady = run(type, st, NULL, 3000, 1, &t0);
		silent = run(type, st, NULL, (int)(10 * RATE / N), 0, &t0);
		printf("%-8s %10.1f %14.1f %10.2f\n", names[t], steady, silent, silent / steady);
		free(st);
	}
	memset(&plans, 0, sizeof(plans));
	if (jl_conv_plans_create(&plans, 256) == 0) {
		uint32_t frames = RATE, k;
		float *ir = malloc(sizeof(float) * frames);
		uint64_t bytes = jl_conv_state_bytes(256, frames, 1), t0 = 0;
		void *st = aligned_alloc(64, (bytes + 63) & ~63ull);
		uint32_t s = 1;
		double steady, silent;
		for (k = 0; k < frames; k++) {
			s = s * 1664525u + 1013904223u;
			ir[k] = ((float)(s >> 8) / 16777216.0f - 0.5f) * expf(-(float)k / 8000.0f);
		}
		jl_conv_prepare(st, bytes, 256, ir, frames, 1);
		run(JL_FX_CONV, st, &plans, 1000, 1, &t0);
		steady = run(JL_FX_CONV, st, &plans, 2000, 1, &t0);
		silent = run(JL_FX_CONV, st, &plans, (int)(10 * RATE / N), 0, &t0);
		printf("%-8s %10.1f %14.1f %10.2f   (1 s IR, 256-frame partitions)\n", "conv", steady, silent,
		       silent / steady);
		free(st);
		free(ir);
		jl_conv_plans_destroy(&plans);
	}
	printf("a period of %u frames lasts %.0f ns per frame; 1 ns/frame = %.4f %% of one core\n", N, 1e9 / RATE,
	       100.0 * RATE / 1e9);
	return 0;
}
