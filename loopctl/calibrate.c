/* calibrate.c - `loopctl calibrate`: measure the real round trip from an
 * output back into an input, and use it as the take compensation instead
 * of the latencies JACK reports (which many setups get wrong).
 *
 * The RT side plays a known pseudo-noise burst (jl_cal_sample) on one
 * output from an exact frame; once the history holds the answer, the
 * daemon cross-correlates the input with the burst (FFT, FFTW) and takes
 * the lag of the peak: frames from the output frame to the history frame
 * that recorded it. */
#define _GNU_SOURCE
#include <complex.h>
#include <fftw3.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "daemon.h"
#include "model.h"
#include "osc.h"

#define CAL_FRAMES 8192u
#define CAL_MAX_LAT_S 0.5

static const char *const outs[] = { "out_L", "out_R", "phones_L", "phones_R" };

static void finish(struct jl_daemon *d, int ok, const char *text, json_t *json);

int jl_cmd_calibrate(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_cmd c;
	uint32_t in = 0, out = 0, i, k;
	for (i = 1; i < (uint32_t)argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < (uint32_t)argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			if (*end || v < 1 || (uint32_t)v > d->shm.hdr->geom.n_inputs) {
				snprintf(rq->msg, sizeof(rq->msg), "--port is an input, 1..%u", d->shm.hdr->geom.n_inputs);
				return 2;
			}
			in = (uint32_t)v - 1;
		} else if (!strcmp(argv[i], "--out") && i + 1 < (uint32_t)argc) {
			i++;
			for (k = 0; k < 4 && strcmp(argv[i], outs[k]); k++)
				;
			if (k == 4) {
				snprintf(rq->msg, sizeof(rq->msg), "--out is out_L, out_R, phones_L or phones_R");
				return 2;
			}
			out = k;
		} else if (!strcmp(argv[i], "off")) {
			/* a measurement still running is cancelled: finishing
			 * later, it would set what "off" just cleared */
			int was = d->cal.active;
			if (was)
				finish(d, 0, "cancelled by calibrate off", NULL);
			d->latency_override = -1;
			d->m->cal_latency = -1;
			snprintf(rq->msg, sizeof(rq->msg), "take compensation back to JACK's reported latencies%s",
				 was ? " (the running measurement is cancelled)" : "");
			return 0;
		} else {
			snprintf(rq->msg, sizeof(rq->msg), "usage: calibrate [--port IN] [--out PORT] | calibrate off");
			return 2;
		}
	}
	if (d->cal.active) {
		snprintf(rq->msg, sizeof(rq->msg), "a calibration is already running");
		return 1;
	}
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_CAL_PLAY;
	c.target = jl_daemon_now(d) + 2 * jl_daemon_period(d);
	c.p.cal.output = out;
	c.p.cal.frames = CAL_FRAMES;
	c.p.cal.amp = 0.25f;
	c.p.cal.seed = 0x1234567u ^ (uint32_t)c.target;
	if (jl_daemon_push(d, &c) < 0) {
		snprintf(rq->msg, sizeof(rq->msg), "command queue full: try again");
		return 1;
	}
	d->cal.active = 1;
	d->cal.at = c.target;
	d->cal.gaps = atomic_load(&d->shm.rt->gaps);
	d->cal.frames = CAL_FRAMES;
	d->cal.seed = c.p.cal.seed;
	d->cal.input = in;
	d->cal.output = out;
	d->cal.max_lat = (uint32_t)(CAL_MAX_LAT_S * d->shm.hdr->geom.sample_rate);
	/* answered when the measurement is done, to whoever asked */
	d->cal.has_src = rq->from_osc;
	d->cal.src = d->src;
	return JL_RC_DEFERRED;
}

static void finish(struct jl_daemon *d, int ok, const char *text, json_t *json)
{
	if (d->cal.has_src) {
		d->osc_errors += !ok;
		jl_osc_reply_to(d, &d->cal.src, ok ? "ok" : "error", "calibrate", text, ok ? json : NULL);
	} else
		fprintf(stderr, "loopctl: calibrate: %s\n", text);
	d->cal.active = 0;
}

void jl_cal_tick(struct jl_daemon *d)
{
	uint64_t H = d->shm.hdr->geom.hist_frames, head = atomic_load(&d->shm.rt->history_head);
	uint32_t n = 1, len, k, best = 0, rate = d->shm.hdr->geom.sample_rate;
	float *a = NULL, *b = NULL, *r = NULL;
	fftwf_complex *A = NULL, *Bc = NULL;
	fftwf_plan pa = NULL, pb = NULL, pr = NULL;
	double peak = 0, mean = 0;
	char text[256];
	json_t *j;
	uint32_t st;
	if (!d->cal.active || head < d->cal.at + d->cal.max_lat + d->cal.frames)
		return;
	if (head - d->cal.at > H) {
		finish(d, 0, "the history moved on before the measurement could be read", NULL);
		return;
	}
	len = d->cal.max_lat + d->cal.frames;
	{
		/* frames JACK skipped (an xrun) in the window split the burst
		 * into pieces, each with its own peak: no measurement */
		uint32_t g = atomic_load(&d->shm.rt->gaps), k0 = g - d->cal.gaps;
		for (k = k0 > JL_GAP_MARKS ? g - JL_GAP_MARKS : d->cal.gaps; k != g; k++) {
			const struct jl_gap_mark *gm = &d->shm.rt->gap[k % JL_GAP_MARKS];
			uint64_t gs = atomic_load(&gm->start), gl = atomic_load(&gm->len);
			if (gs < d->cal.at + len && gs + gl > d->cal.at)
				break;
		}
		if (k != g || k0 > JL_GAP_MARKS) {
			finish(d, 0, "JACK skipped frames (an xrun) during the measurement: try again", NULL);
			return;
		}
	}
	while (n < 2 * len)
		n <<= 1;
	a = fftwf_malloc(sizeof(float) * n);
	b = fftwf_malloc(sizeof(float) * n);
	r = fftwf_malloc(sizeof(float) * n);
	A = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
	Bc = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
	if (!a || !b || !r || !A || !Bc) {
		finish(d, 0, "out of memory", NULL);
		goto out;
	}
	memset(a, 0, sizeof(float) * n);
	memset(b, 0, sizeof(float) * n);
	st = d->cal.seed;
	for (k = 0; k < d->cal.frames; k++)
		a[k] = jl_cal_sample(&st);
	for (k = 0; k < len; k++)
		b[k] = d->shm.hist[(uint64_t)d->cal.input * H + (d->cal.at + k) % H];
	pa = fftwf_plan_dft_r2c_1d((int)n, a, A, FFTW_ESTIMATE);
	pb = fftwf_plan_dft_r2c_1d((int)n, b, Bc, FFTW_ESTIMATE);
	pr = fftwf_plan_dft_c2r_1d((int)n, A, r, FFTW_ESTIMATE);
	if (!pa || !pb || !pr) {
		finish(d, 0, "FFT planning failed", NULL);
		goto out;
	}
	fftwf_execute(pa);
	fftwf_execute(pb);
	for (k = 0; k < n / 2 + 1; k++)
		A[k] = Bc[k] * conjf(A[k]); /* cross-correlation: input against the burst */
	fftwf_execute(pr);
	for (k = 0; k < d->cal.max_lat; k++) {
		double v = fabs((double)r[k]);
		mean += v;
		if (v > peak) {
			peak = v;
			best = k;
		}
	}
	mean /= d->cal.max_lat;
	if (peak < 8.0 * mean || peak < 1e-4 * d->cal.frames * n) {
		snprintf(text, sizeof(text), "no test signal found on in_%u within %.0f ms: patch %s back into it "
			 "(through the PA and a microphone, or a cable)", d->cal.input + 1, CAL_MAX_LAT_S * 1000,
			 outs[d->cal.output]);
		finish(d, 0, text, NULL);
		goto out;
	}
	d->latency_override = best;
	d->m->cal_latency = best; /* a restarted daemon keeps it */
	j = json_object();
	json_object_set_new(j, "round_trip_frames", json_integer(best));
	json_object_set_new(j, "round_trip_ms", json_real(1000.0 * best / rate));
	json_object_set_new(j, "input", json_integer(d->cal.input + 1));
	json_object_set_new(j, "output", json_string(outs[d->cal.output]));
	snprintf(text, sizeof(text), "round trip %s -> in_%u: %u frames (%.2f ms); takes are now compensated by it",
		 outs[d->cal.output], d->cal.input + 1, best, 1000.0 * best / rate);
	finish(d, 1, text, j);
	json_decref(j);
out:
	if (pa)
		fftwf_destroy_plan(pa);
	if (pb)
		fftwf_destroy_plan(pb);
	if (pr)
		fftwf_destroy_plan(pr);
	fftwf_free(a);
	fftwf_free(b);
	fftwf_free(r);
	fftwf_free(A);
	fftwf_free(Bc);
}
