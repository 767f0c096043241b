/* live.c - the daemon's live analysis of the history (DESIGN 5): every
 * tick, the frames the ring gained are mixed down (or one input is taken)
 * and fed to the onset/tempo analysis, positioned in history frames, so
 * that onsets and beats can quantize takes directly. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "analysis.h"
#include "daemon.h"
#include "jl_alloc.h"
#include "model.h"

int jl_live_init(struct jl_daemon *d)
{
	struct jl_analysis_config c;
	uint32_t rate = d->shm.hdr->geom.sample_rate;
	jl_analysis_config_default(&c, rate);
	c.max_onset_history_s = 600;
	d->ana_buf_len = (uint32_t)(JL_LIVE_FEED_MAX_S * rate);
	d->ana_buf = jl_calloc(d->ana_buf_len, sizeof(float));
	d->ana = d->ana_buf ? jl_analysis_create(&c) : NULL;
	if (!d->ana) {
		jl_free(d->ana_buf);
		d->ana_buf = NULL;
		return -ENOMEM;
	}
	d->ana_pos = atomic_load(&d->shm.rt->history_head);
	return 0;
}

void jl_live_close(struct jl_daemon *d)
{
	jl_analysis_destroy(d->ana);
	jl_free(d->ana_buf);
	d->ana = NULL;
	d->ana_buf = NULL;
}

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void jl_live_tick(struct jl_daemon *d)
{
	const struct jl_shm_geom *g = &d->shm.hdr->geom;
	uint64_t head = atomic_load(&d->shm.rt->history_head), H = g->hist_frames, n, k;
	uint32_t c, nin = g->n_inputs;
	double t0;
	if (!d->ana)
		return;
	/* fell behind the ring (stopped daemon): start afresh.  Only frames
	 * the ring is about to overwrite count: a young history (head < H)
	 * still holds every frame from 0 on. */
	if (head > d->ana_pos && head - d->ana_pos > H - H / 16)
		d->ana_pos = head;
	if (head <= d->ana_pos)
		return;
	n = head - d->ana_pos;
	if (n > d->ana_buf_len)
		n = d->ana_buf_len;
	t0 = cpu_now();
	/* the bar phase is sought for the looper's bars (a no-op unless changed) */
	jl_analysis_set_meter(d->ana, d->m->beats_per_bar ? d->m->beats_per_bar : 4);
	if (d->cfg.analysis_input >= 0 && (uint32_t)d->cfg.analysis_input < nin) {
		const float *ring = d->shm.hist + (uint64_t)d->cfg.analysis_input * H;
		for (k = 0; k < n; k++)
			d->ana_buf[k] = ring[(d->ana_pos + k) % H];
	} else {
		float s = 1.0f / (float)nin;
		memset(d->ana_buf, 0, n * sizeof(float));
		for (c = 0; c < nin; c++) {
			const float *ring = d->shm.hist + (uint64_t)c * H;
			for (k = 0; k < n; k++)
				d->ana_buf[k] += ring[(d->ana_pos + k) % H] * s;
		}
	}
	jl_analysis_feed(d->ana, d->ana_buf, (size_t)n, d->ana_pos);
	d->ana_pos += n;
	d->ana_fed += n;
	d->ana_cpu_s += cpu_now() - t0;
}

void jl_live_status(struct jl_daemon *d, json_t *obj)
{
	struct jl_tempo t;
	json_t *j = json_object();
	uint64_t head = atomic_load(&d->shm.rt->history_head);
	memset(&t, 0, sizeof(t));
	if (d->ana)
		jl_analysis_tempo(d->ana, &t);
	json_object_set_new(j, "known", json_boolean(t.known));
	if (t.known) {
		double ph = fmod((double)(head - t.beat_frame) / t.period_frames, 1.0);
		json_object_set_new(j, "bpm", json_real(round(t.bpm * 100) / 100));
		json_object_set_new(j, "confidence", json_real(round(t.confidence * 1000) / 1000));
		json_object_set_new(j, "beat_phase", json_real(round(ph * 1000) / 1000));
		json_object_set_new(j, "beat_frame", json_integer((json_int_t)t.beat_frame));
		json_object_set_new(j, "period_frames", json_real(t.period_frames));
		json_object_set_new(j, "beats_per_bar", json_integer(t.per_bar));
		json_object_set_new(j, "level_set", json_boolean(t.level_set));
		json_object_set_new(j, "heard_bpm", json_real(round(t.heard_bpm * 100) / 100));
		if (t.bar_known) {
			double bp = fmod((double)(head - t.downbeat_frame) / (t.period_frames * t.per_bar), 1.0);
			json_object_set_new(j, "downbeat_frame", json_integer((json_int_t)t.downbeat_frame));
			json_object_set_new(j, "bar_phase", json_real(round(bp * 1000) / 1000));
			json_object_set_new(j, "bar_confidence", json_real(round(t.bar_confidence * 1000) / 1000));
		}
	}
	if (d->ana_fed)
		json_object_set_new(j, "cpu_per_audio_second",
				    json_real(d->ana_cpu_s / ((double)d->ana_fed / d->shm.hdr->geom.sample_rate)));
	json_object_set_new(obj, "tempo", j);
}
