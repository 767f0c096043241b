/* bench_ana.c - how long one daemon tick spends in the live analysis
 * (make bench-analysis; docs/analysis.md "Budget per tick").
 *
 * The daemon feeds the analysis once per timer tick (JL_TICK_US) with what
 * the history ring gained: one tick of audio normally, at most
 * JL_LIVE_FEED_MAX_S after a stall (the rest waits for the next ticks).
 * An OSC command that arrives during a tick waits for it, so the analysis
 * delays a command by at most one tick as long as every feed of those two
 * sizes returns well within a tick.
 *
 * For each file (mixed to mono, as `loopctl analyze` does), the whole file
 * is fed twice through a fresh analysis object: in tick-sized chunks and
 * in catch-up chunks.  Every jl_analysis_feed() call is timed with
 * CLOCK_MONOTONIC (wall: what a command waits) and with the thread's CPU
 * clock (what the analysis costs; a shared machine's preemptions show in
 * the wall maximum only); the tempo updates (every 0.1 s) and onset picks are
 * inside the timed calls.  Reported over all calls of all files: median,
 * p99, p99.9 and the maximum, and the maximum as a share of the tick.
 *
 *   build/tests/bench_ana FILE.wav...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../loopctl/analysis.h"
#include "../loopctl/daemon.h"

struct times {
	double *v;
	size_t n, cap;
};

static int push(struct times *t, double x)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 4096;
		double *v = realloc(t->v, cap * sizeof(double));
		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = x;
	return 0;
}

static double now_s(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *p, const void *q)
{
	double a = *(const double *)p, b = *(const double *)q;
	return a < b ? -1 : a > b;
}

/* Read FILE as mono; *rate gets its sample rate.  NULL on failure. */
static float *read_mono(const char *path, size_t *frames, uint32_t *rate)
{
	SF_INFO info;
	memset(&info, 0, sizeof(info));
	SNDFILE *sf = sf_open(path, SFM_READ, &info);
	if (!sf) {
		fprintf(stderr, "bench_ana: %s: %s\n", path, sf_strerror(NULL));
		return NULL;
	}
	float *buf = info.frames > 0 && info.channels > 0
			     ? malloc((size_t)info.frames * (size_t)info.channels * sizeof(float))
			     : NULL;
	float *mono = info.frames > 0 ? malloc((size_t)info.frames * sizeof(float)) : NULL;
	sf_count_t got = buf && mono ? sf_readf_float(sf, buf, info.frames) : 0;
	sf_close(sf);
	if (got <= 0) {
		fprintf(stderr, "bench_ana: %s: no audio read\n", path);
		free(buf);
		free(mono);
		return NULL;
	}
	for (sf_count_t i = 0; i < got; i++) {
		float v = 0;
		for (int c = 0; c < info.channels; c++)
			v += buf[i * info.channels + c];
		mono[i] = v / (float)info.channels;
	}
	free(buf);
	*frames = (size_t)got;
	*rate = (uint32_t)info.samplerate;
	return mono;
}

/* Feed x[0..n) in chunks of `chunk` frames to a fresh analysis; time each
 * call into *t (wall) and *cpu (this thread's CPU time). */
static int run(const float *x, size_t n, uint32_t rate, size_t chunk, struct times *t, struct times *cpu)
{
	struct jl_analysis_config c;
	jl_analysis_config_default(&c, rate);
	c.max_onset_history_s = 600; /* as the daemon */
	struct jl_analysis *a = jl_analysis_create(&c);
	if (!a)
		return -ENOMEM;
	int r = 0;
	for (size_t off = 0; off < n && r == 0; off += chunk) {
		size_t m = n - off < chunk ? n - off : chunk;
		double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), t0 = now_s(CLOCK_MONOTONIC);
		int e = jl_analysis_feed(a, x + off, m, off);
		double dt = now_s(CLOCK_MONOTONIC) - t0, dc = now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
		if (e < 0) {
			fprintf(stderr, "bench_ana: feed failed: %s\n", strerror(-e));
			r = e;
		} else {
			r = push(t, dt) < 0 || push(cpu, dc) < 0 ? -ENOMEM : 0;
		}
	}
	jl_analysis_destroy(a);
	return r;
}

static void report(const char *what, struct times *t, double tick_s)
{
	if (!t->n)
		return;
	qsort(t->v, t->n, sizeof(double), cmp_double);
	double med = t->v[t->n / 2], p99 = t->v[(size_t)(0.99 * (double)(t->n - 1))];
	double p999 = t->v[(size_t)(0.999 * (double)(t->n - 1))], mx = t->v[t->n - 1];
	printf("| %s | %zu | %.1f | %.1f | %.1f | %.1f | %.0f %% |\n", what, t->n, med * 1e6, p99 * 1e6,
	       p999 * 1e6, mx * 1e6, 100.0 * mx / tick_s);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout, "usage: bench_ana FILE.wav...\n"
			"  times every jl_analysis_feed() call at the daemon's tick size and its\n"
			"  catch-up size; prints median, p99, p99.9 and max (us) per call\n");
		return argc < 2 ? 2 : 0;
	}
	const double tick_s = JL_TICK_US * 1e-6;
	struct times tick = { 0 }, catchup = { 0 }, tick_cpu = { 0 }, catchup_cpu = { 0 };
	uint32_t rate0 = 0;
	double audio_s = 0;
	for (int i = 1; i < argc; i++) {
		size_t n;
		uint32_t rate;
		float *x = read_mono(argv[i], &n, &rate);
		if (!x)
			return 1;
		if (!rate0)
			rate0 = rate;
		audio_s += (double)n / rate;
		size_t ct = (size_t)(tick_s * rate), cc = (size_t)(JL_LIVE_FEED_MAX_S * rate);
		if (run(x, n, rate, ct, &tick, &tick_cpu) < 0 || run(x, n, rate, cc, &catchup, &catchup_cpu) < 0) {
			free(x);
			return 1;
		}
		free(x);
	}
	printf("## Budget per tick: time per jl_analysis_feed() call\n\n");
	printf("%d files, %.0f s of audio at %u Hz; tick %.0f ms, catch-up chunk %.0f ms\n\n", argc - 1,
	       audio_s, rate0, tick_s * 1e3, JL_LIVE_FEED_MAX_S * 1e3);
	printf("| chunk | calls | median us | p99 us | p99.9 us | max us | max / tick |\n");
	printf("|---|---|---|---|---|---|---|\n");
	report("one tick of audio, wall", &tick, tick_s);
	report("one tick of audio, CPU", &tick_cpu, tick_s);
	report("catch-up (the per-tick cap), wall", &catchup, tick_s);
	report("catch-up (the per-tick cap), CPU", &catchup_cpu, tick_s);
	free(tick.v);
	free(catchup.v);
	free(tick_cpu.v);
	free(catchup_cpu.v);
	return 0;
}
