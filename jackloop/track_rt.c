/* track_rt.c - voices and track buses (DESIGN 3.2-3.3, 4.6).
 *
 * A voice repeats its stored frames every `period` frames: the output at
 * engine frame y is at phase q = (y - origin) mod period.  Phases
 * [0, body) play the take; the seam regions around it fade (closed-form
 * per-sample weights w_i = (i + 1) / seam).  The source is the history
 * ring (right after the take) or the pool (after the daemon's copy); the
 * voice reads the same stored frames either way, so a switch between them
 * is bit-identical by construction.
 *
 * Work per voice is split into runs of one region each, so the inner loops
 * have no per-sample branches. */
#include <math.h>
#include <string.h>

#include "engine_priv.h"

#define RLX memory_order_relaxed

/* Adds g * stored[idx + k] (channel c) to dst[k], k < n, or with a
 * per-sample ramp weight w_k = (w0 + k + 1) / seam if `ramp` (up) or
 * 1 - that (down). */
enum wmode { W_ONE, W_UP, W_DOWN };

static void add_run(struct jl_engine *e, const struct jl_voice *v, int c, uint64_t idx, uint32_t n,
		    float *dst, enum wmode wm, uint32_t w0)
{
	const float *src;
	uint32_t k = 0;
	float inv = v->seam ? 1.0f / (float)v->seam : 0.0f;
	while (k < n) {
		uint32_t m = n - k, j;
		if (v->kind == JL_SRC_HIST) {
			uint64_t pos = (v->hist_start + idx + k) % e->hist_frames;
			uint64_t left = e->hist_frames - pos;
			if (left < m)
				m = (uint32_t)left;
			src = e->hist + (uint64_t)v->in[c] * e->hist_frames + pos;
		} else {
			src = e->pool + v->pool_off[c] + idx + k;
		}
		switch (wm) {
		case W_ONE:
			for (j = 0; j < m; j++)
				dst[k + j] += src[j];
			break;
		case W_UP:
			for (j = 0; j < m; j++)
				dst[k + j] += src[j] * ((float)(w0 + k + j + 1) * inv);
			break;
		case W_DOWN:
			for (j = 0; j < m; j++)
				dst[k + j] += src[j] * (1.0f - (float)(w0 + k + j + 1) * inv);
			break;
		}
		k += m;
	}
}

/* Renders n frames of voice v from phase v->q into e->vbuf (zeroed here). */
static void render(struct jl_engine *e, struct jl_voice *v, uint32_t n)
{
	uint64_t P = v->period, S = v->seam, q = v->q;
	uint32_t k = 0, c;
	for (c = 0; c < v->channels; c++)
		memset(e->vbuf[c], 0, (size_t)n * sizeof(float));
	while (k < n) {
		uint64_t end;	/* end of the current region */
		uint32_t m;
		if (v->seam_mode == JL_SEAM_XFADE) {
			/* body == period; the last S frames crossfade with the pre-roll */
			if (q < P - S) {
				end = P - S;
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
				for (c = 0; c < v->channels; c++)
					add_run(e, v, (int)c, v->head + q, m, e->vbuf[c] + k, W_ONE, 0);
			} else {
				uint32_t i0 = (uint32_t)(q - (P - S));
				end = P;
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
				for (c = 0; c < v->channels; c++) {
					add_run(e, v, (int)c, v->head + q, m, e->vbuf[c] + k, W_DOWN, i0);
					add_run(e, v, (int)c, v->head - S + i0, m, e->vbuf[c] + k, W_UP, i0);
				}
			}
		} else {
			if (q < v->body) {
				end = v->body;
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
				for (c = 0; c < v->channels; c++)
					add_run(e, v, (int)c, v->head + q, m, e->vbuf[c] + k, W_ONE, 0);
			} else if (q < v->body + S) {
				uint32_t i0 = (uint32_t)(q - v->body);
				end = v->body + S;
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
				for (c = 0; c < v->channels; c++)
					add_run(e, v, (int)c, v->head + q, m, e->vbuf[c] + k, W_DOWN, i0);
			} else if (q < P - S) {
				end = P - S; /* silence */
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
			} else {
				uint32_t i0 = (uint32_t)(q - (P - S));
				end = P;
				m = (uint32_t)((end - q) < n - k ? end - q : n - k);
				for (c = 0; c < v->channels; c++)
					add_run(e, v, (int)c, v->head - S + i0, m, e->vbuf[c] + k, W_UP, i0);
			}
		}
		k += m;
		q += m;
		if (q >= P)
			q -= P;
	}
	v->q = q;
}

/* A ring-sourced voice must never play overwritten audio: when the writer
 * comes within a fade + block of its oldest stored frame, fade it out and
 * flag it; once the frame is actually due to be overwritten, it is silent. */
static int guard_ring(struct jl_engine *e, struct jl_voice *v, uint64_t f, uint32_t n, uint32_t idx)
{
	uint64_t limit = v->hist_start + e->hist_frames; /* first frame that overwrites stored[0] */
	if (v->kind != JL_SRC_HIST)
		return 0;
	if (f + n > limit) {
		v->active = 0;
		return 1;
	}
	if (!v->overrun && f + n + e->fade_frames + JL_BLOCK > limit) {
		v->overrun = 1;
		v->stop_at_zero = 1;
		jl_ramp_set_rt(&v->gain, 0.0f, e->fade_frames);
		atomic_fetch_add_explicit(&e->rt->hist_overrun, 1, RLX);
		atomic_fetch_or_explicit(&e->vpub[idx].flags, JL_VOICE_F_OVERRUN, RLX);
	}
	return 0;
}

void jl_tracks_process_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *bus_l, float *bus_r)
{
	uint32_t i, t, k;
	memset(e->track_used, 0, sizeof(e->track_used));
	for (i = 0; i < e->max_voices; i++) {
		struct jl_voice *v = &e->voice[i];
		float *tl, *tr, pk;
		if (!v->active)
			continue;
		if (guard_ring(e, v, f, n, i)) {
			atomic_store_explicit(&e->vpub[i].state, JL_VOICE_OFF, RLX);
			continue;
		}
		/* A silent, steady voice only advances its phase. */
		if (v->gain.cur == 0.0f && v->gain.i >= v->gain.n && !v->stop_at_zero) {
			v->q = (v->q + n) % v->period;
			continue;
		}
		render(e, v, n);
		if (v->channels == 2) {
			struct jl_ramp r = v->gain;
			jl_ramp_apply_rt(&v->gain, e->vbuf[0], n);
			jl_ramp_apply_rt(&r, e->vbuf[1], n);
		} else {
			jl_ramp_apply_rt(&v->gain, e->vbuf[0], n);
		}
		t = v->track;
		if (!e->track_used[t]) {
			e->track_used[t] = 1;
			memset(e->tbus[t][0], 0, (size_t)n * sizeof(float));
			memset(e->tbus[t][1], 0, (size_t)n * sizeof(float));
		}
		tl = e->tbus[t][0];
		tr = e->tbus[t][1];
		pk = v->peak;
		for (k = 0; k < n; k++) {
			float a = e->vbuf[0][k], b = e->vbuf[v->channels - 1][k];
			tl[k] += a;
			tr[k] += b;
			a = fabsf(a) > fabsf(b) ? fabsf(a) : fabsf(b);
			pk = a > pk ? a : pk;
		}
		v->peak = pk;
		if (v->stop_at_zero && v->gain.i >= v->gain.n && v->gain.cur == 0.0f) {
			v->active = 0;
			atomic_store_explicit(&e->vpub[i].state, JL_VOICE_OFF, RLX);
		}
	}
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		if (!e->track_used[t]) {
			/* Keep ramps moving even without audio, so timing is exact. */
			if (e->track_l[t].i < e->track_l[t].n || e->track_r[t].i < e->track_r[t].n) {
				memset(e->tbus[t][0], 0, (size_t)n * sizeof(float));
				memset(e->tbus[t][1], 0, (size_t)n * sizeof(float));
				jl_ramp_apply_rt(&e->track_l[t], e->tbus[t][0], n);
				jl_ramp_apply_rt(&e->track_r[t], e->tbus[t][1], n);
			}
			continue;
		}
		jl_ramp_apply_rt(&e->track_l[t], e->tbus[t][0], n);
		jl_ramp_apply_rt(&e->track_r[t], e->tbus[t][1], n);
		for (k = 0; k < n; k++) {
			bus_l[k] += e->tbus[t][0][k];
			bus_r[k] += e->tbus[t][1][k];
		}
	}
}
