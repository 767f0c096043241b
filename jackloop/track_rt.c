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
 * have no per-sample branches.
 *
 * Cost (docs/bench.md): mixing is memory-bound, each playing voice streams
 * its own stored frames from DRAM.  So:
 *  - the common case, a whole sub-block inside a take's plain body from a
 *    contiguous source, is one fused SIMD pass: source * gain (ramp or
 *    steady) added straight into the track bus, with the meter;
 *  - seams, ring wrap-around and the like take the general path (render
 *    into a scratch buffer, gain, mix), which gives the same samples;
 *  - the stored frames of the next few voices, and the voice table
 *    ahead, are prefetched while this one mixes, so DRAM latency overlaps
 *    with work;
 *  - a muted voice, or one inside its virtual silence (DESIGN 3.3), only
 *    advances its phase and its gain ramp: no buffer is touched. */
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
	__m128 vinv = _mm_set1_ps(inv), one = _mm_set1_ps(1.0f);
	while (k < n) {
		uint32_t m = n - k, j = 0;
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
			jl_acc_rt(dst + k, src, m);
			break;
		case W_UP:
			for (; j + 4 <= m; j += 4) {
				__m128i ix = _mm_add_epi32(_mm_set1_epi32((int)(w0 + k + j + 1)), _mm_setr_epi32(0, 1, 2, 3));
				__m128 w = _mm_mul_ps(_mm_cvtepi32_ps(ix), vinv);
				_mm_storeu_ps(dst + k + j, _mm_add_ps(_mm_loadu_ps(dst + k + j),
								      _mm_mul_ps(_mm_loadu_ps(src + j), w)));
			}
			for (; j < m; j++)
				dst[k + j] += src[j] * ((float)(w0 + k + j + 1) * inv);
			break;
		case W_DOWN:
			for (; j + 4 <= m; j += 4) {
				__m128i ix = _mm_add_epi32(_mm_set1_epi32((int)(w0 + k + j + 1)), _mm_setr_epi32(0, 1, 2, 3));
				__m128 w = _mm_sub_ps(one, _mm_mul_ps(_mm_cvtepi32_ps(ix), vinv));
				_mm_storeu_ps(dst + k + j, _mm_add_ps(_mm_loadu_ps(dst + k + j),
								      _mm_mul_ps(_mm_loadu_ps(src + j), w)));
			}
			for (; j < m; j++)
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

/* The stored frames of voice v's channel c from index idx, if the next n
 * are one contiguous span of the source; NULL if they wrap in the ring. */
static const float *span(const struct jl_engine *e, const struct jl_voice *v, int c, uint64_t idx, uint32_t n)
{
	uint64_t pos;
	if (v->kind != JL_SRC_HIST)
		return e->pool + v->pool_off[c] + idx;
	pos = (v->hist_start + idx) % e->hist_frames;
	if (pos + n > e->hist_frames)
		return NULL;
	return e->hist + (uint64_t)v->in[c] * e->hist_frames + pos;
}

/* 1 if the next n frames of v all lie in the take's plain body (no seam,
 * no silence), and sets *idx to the stored index of the first. */
static int in_body(const struct jl_voice *v, uint32_t n, uint64_t *idx)
{
	uint64_t end = v->seam_mode == JL_SEAM_XFADE ? v->period - v->seam : v->body;
	if (v->q + n > end)
		return 0;
	*idx = v->head + v->q;
	return 1;
}

/* 1 if the next n frames of an edge-seamed voice all lie in its virtual
 * silence (after the post-roll fade, before the pre-roll fade). */
static int in_silence(const struct jl_voice *v, uint32_t n)
{
	return v->seam_mode == JL_SEAM_EDGE && v->q >= v->body + v->seam && v->q + n <= v->period - v->seam;
}

static int steady_zero(const struct jl_voice *v)
{
	return v->gain.cur == 0.0f && v->gain.i >= v->gain.n && !v->stop_at_zero;
}

static void advance(struct jl_voice *v, uint32_t n)
{
	uint64_t q = v->q + n;
	v->q = q < v->vperiod ? q : q % v->vperiod;
}

/* tl += sl * g, tr += sr * g, g from the voice's ramp (closed form while
 * it ramps, then steady), and the voice's peak: the same samples as
 * rendering into a zeroed buffer, jl_ramp_apply_rt, and adding. */
static void mix_fused(float *tl, float *tr, const float *sl, const float *sr, uint32_t n, struct jl_ramp *r,
		      float *peak)
{
	uint32_t k = 0;
	__m128 pk = _mm_setzero_ps();
	float p = *peak;
	if (r->i < r->n) {
		float d = r->g1 - r->g0, inv = 1.0f / (float)r->n;
		uint32_t left = r->n - r->i, m = left < n ? left : n, i0 = r->i;
		__m128 vg0 = _mm_set1_ps(r->g0), vd = _mm_set1_ps(d), vinv = _mm_set1_ps(inv);
		for (; k + 4 <= m; k += 4) {
			__m128 g = jl_ramp4(vg0, vd, vinv, i0 + k);
			__m128 a = _mm_mul_ps(_mm_loadu_ps(sl + k), g), b = _mm_mul_ps(_mm_loadu_ps(sr + k), g);
			_mm_storeu_ps(tl + k, _mm_add_ps(_mm_loadu_ps(tl + k), a));
			_mm_storeu_ps(tr + k, _mm_add_ps(_mm_loadu_ps(tr + k), b));
			pk = _mm_max_ps(pk, _mm_max_ps(jl_abs4(a), jl_abs4(b)));
		}
		for (; k < m; k++) {
			float g = r->g0 + d * ((float)(i0 + k + 1) * inv), a = sl[k] * g, b = sr[k] * g;
			tl[k] += a;
			tr[k] += b;
			a = fabsf(a) > fabsf(b) ? fabsf(a) : fabsf(b);
			p = a > p ? a : p;
		}
		r->i = i0 + m;
		r->cur = r->i == r->n ? r->g1 : r->g0 + d * ((float)r->i * inv);
	}
	if (k < n) {
		float g = r->cur;
		__m128 vg = _mm_set1_ps(g);
		for (; k + 4 <= n; k += 4) {
			__m128 a = _mm_mul_ps(_mm_loadu_ps(sl + k), vg), b = _mm_mul_ps(_mm_loadu_ps(sr + k), vg);
			_mm_storeu_ps(tl + k, _mm_add_ps(_mm_loadu_ps(tl + k), a));
			_mm_storeu_ps(tr + k, _mm_add_ps(_mm_loadu_ps(tr + k), b));
			pk = _mm_max_ps(pk, _mm_max_ps(jl_abs4(a), jl_abs4(b)));
		}
		for (; k < n; k++) {
			float a = sl[k] * g, b = sr[k] * g;
			tl[k] += a;
			tr[k] += b;
			a = fabsf(a) > fabsf(b) ? fabsf(a) : fabsf(b);
			p = a > p ? a : p;
		}
	}
	*peak = jl_hmax4(pk, p);
}

/* --- rate and direction (DESIGN 2.8): integer frame plus a half-frame
 * phase, never a float position.  A slow path: per sample, branchy. --- */

static float stored_at(const struct jl_engine *e, const struct jl_voice *v, int c, uint64_t k)
{
	if (v->kind == JL_SRC_HIST)
		return e->hist[(uint64_t)v->in[c] * e->hist_frames + (v->hist_start + k) % e->hist_frames];
	return e->pool[v->pool_off[c] + k];
}

/* The layer's sound at phase j (0 <= j < period), seams included. */
static float layer_at(const struct jl_engine *e, const struct jl_voice *v, int c, uint64_t j)
{
	uint64_t P = v->period, S = v->seam, i;
	float w;
	if (v->seam_mode == JL_SEAM_XFADE) {
		if (j < P - S)
			return stored_at(e, v, c, v->head + j);
		i = j - (P - S);
		w = (float)(i + 1) / (float)S;
		return stored_at(e, v, c, v->head + j) * (1.0f - w) + stored_at(e, v, c, v->head - S + i) * w;
	}
	if (j < v->body)
		return stored_at(e, v, c, v->head + j);
	if (j < v->body + S) {
		i = j - v->body;
		return stored_at(e, v, c, v->head + j) * (1.0f - (float)(i + 1) / (float)S);
	}
	if (S && j >= P - S) {
		i = j - (P - S);
		return stored_at(e, v, c, v->head - S + i) * ((float)(i + 1) / (float)S);
	}
	return 0.0f;
}

static void render_mode(struct jl_engine *e, struct jl_voice *v, uint32_t n)
{
	uint64_t P = v->period, q = v->q;
	uint32_t k, c;
	for (k = 0; k < n; k++) {
		/* u2: the source position in half frames */
		uint64_t u2 = v->rate == 1 ? (4 * q) % (2 * P) : v->rate == 2 ? q : 2 * q, j;
		if (v->reverse) /* -(u2 + 2) mod 2P: at half speed u2 reaches 2P - 1 */
			u2 = (4 * P - 2 - u2) % (2 * P);
		j = u2 / 2;
		for (c = 0; c < v->channels; c++) {
			float a = layer_at(e, v, (int)c, j);
			if (u2 & 1)
				a = 0.5f * (a + layer_at(e, v, (int)c, j + 1 < P ? j + 1 : 0));
			e->vbuf[c][k] = a;
		}
		if (++q == v->vperiod)
			q = 0;
	}
	v->q = q;
}

/* The general path: render, gain, then add to the track bus with the meter. */
static void mix_rendered(struct jl_engine *e, struct jl_voice *v, float *tl, float *tr, uint32_t n)
{
	const float *a = e->vbuf[0], *b = e->vbuf[v->channels - 1];
	__m128 pk = _mm_setzero_ps();
	float p = v->peak;
	uint32_t k = 0;
	if (v->rate || v->reverse)
		render_mode(e, v, n);
	else
		render(e, v, n);
	if (v->channels == 2) {
		struct jl_ramp r = v->gain;
		jl_ramp_apply_rt(&v->gain, e->vbuf[0], n);
		jl_ramp_apply_rt(&r, e->vbuf[1], n);
	} else {
		jl_ramp_apply_rt(&v->gain, e->vbuf[0], n);
	}
	for (; k + 4 <= n; k += 4) {
		__m128 x = _mm_loadu_ps(a + k), y = _mm_loadu_ps(b + k);
		_mm_storeu_ps(tl + k, _mm_add_ps(_mm_loadu_ps(tl + k), x));
		_mm_storeu_ps(tr + k, _mm_add_ps(_mm_loadu_ps(tr + k), y));
		pk = _mm_max_ps(pk, _mm_max_ps(jl_abs4(x), jl_abs4(y)));
	}
	for (; k < n; k++) {
		float x = a[k], y = b[k];
		tl[k] += x;
		tr[k] += y;
		x = fabsf(x) > fabsf(y) ? fabsf(x) : fabsf(y);
		p = x > p ? x : p;
	}
	v->peak = jl_hmax4(pk, p);
}

/* Prefetches the frames voice v will read in this sub-block (both
 * channels), unless it will read none.  _mm_prefetch never faults. */
#define PREFETCH_AHEAD 4	/* active voices: covers DRAM and TLB latency */
#define STATE_AHEAD 16		/* voice slots, for the voice table itself */
static void prefetch_voice(const struct jl_engine *e, const struct jl_voice *v, uint32_t n)
{
	uint32_t c;
	if (steady_zero(v) || in_silence(v, n))
		return;
	for (c = 0; c < v->channels; c++) {
		uint64_t idx = v->head + v->q, pos, len = n;
		const char *p, *end;
		if (v->kind == JL_SRC_HIST) {
			pos = (v->hist_start + idx) % e->hist_frames;
			p = (const char *)(e->hist + (uint64_t)v->in[c] * e->hist_frames + pos);
			if (pos + len > e->hist_frames)
				len = e->hist_frames - pos;
		} else {
			p = (const char *)(e->pool + v->pool_off[c] + idx);
		}
		end = p + len * sizeof(float);
		p -= (uintptr_t)p & 63;
		for (; p < end; p += 64)
			_mm_prefetch(p, _MM_HINT_T0);
	}
}

/* Are both channels exact zeros? */
static int all_zero(const float *l, const float *r, uint32_t n)
{
	uint32_t k;
	for (k = 0; k < n; k++)
		if (l[k] != 0.0f || r[k] != 0.0f)
			return 0;
	return 1;
}

void jl_tracks_process_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *bus_l, float *bus_r)
{
	uint32_t i, t, pf = 0, ahead = 0;
	int first = 1;
	memset(e->track_used, 0, sizeof(e->track_used));
	for (i = 0; i < e->max_voices; i++) {
		struct jl_voice *v = &e->voice[i];
		const float *sl, *sr;
		uint64_t idx;
		float *tl, *tr;
		/* The voice table is read once per sub-block, and another task
		 * may have evicted it since the last: fetch it ahead. */
		if (i + STATE_AHEAD < e->max_voices) {
			_mm_prefetch((const char *)&e->voice[i + STATE_AHEAD], _MM_HINT_T0);
			_mm_prefetch((const char *)&e->voice[i + STATE_AHEAD] + 64, _MM_HINT_T0);
		}
		if (!v->active)
			continue;
		/* Keep the prefetch cursor PREFETCH_AHEAD active voices ahead;
		 * every active voice but the first was prefetched by it. */
		if (!first && ahead)
			ahead--;
		first = 0;
		if (pf <= i)
			pf = i + 1;
		for (; pf < e->max_voices && ahead < PREFETCH_AHEAD; pf++) {
			if (e->voice[pf].active) {
				prefetch_voice(e, &e->voice[pf], n);
				ahead++;
			}
		}
		if (guard_ring(e, v, f, n, i)) {
			atomic_store_explicit(&e->vpub[i].state, JL_VOICE_OFF, RLX);
			continue;
		}
		/* A silent, steady voice only advances its phase. */
		if (steady_zero(v)) {
			advance(v, n);
			continue;
		}
		/* The track is in use this sub-block (its bus is mixed, its
		 * levels move) whether or not this voice is heard. */
		t = v->track;
		if (!e->track_used[t]) {
			e->track_used[t] = 1;
			memset(e->tbus[t][0], 0, (size_t)n * sizeof(float));
			memset(e->tbus[t][1], 0, (size_t)n * sizeof(float));
		}
		/* Inside its virtual silence: the phase and the gain ramp move,
		 * nothing is heard (the output would be exact zeros). */
		if (!v->rate && !v->reverse && in_silence(v, n)) {
			advance(v, n);
			if (v->gain.i < v->gain.n)
				jl_ramp_skip_rt(&v->gain, n);
		} else {
			tl = e->tbus[t][0];
			tr = e->tbus[t][1];
			if (!v->rate && !v->reverse && in_body(v, n, &idx) && (sl = span(e, v, 0, idx, n)) != NULL &&
			    (sr = v->channels == 2 ? span(e, v, 1, idx, n) : sl) != NULL) {
				mix_fused(tl, tr, sl, sr, n, &v->gain, &v->peak);
				advance(v, n);
			} else {
				mix_rendered(e, v, tl, tr, n);
			}
		}
		if (v->stop_at_zero && v->gain.i >= v->gain.n && v->gain.cur == 0.0f) {
			v->active = 0;
			atomic_store_explicit(&e->vpub[i].state, JL_VOICE_OFF, RLX);
		}
	}
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		int fed = e->track_used[t];
		if (!fed && !(e->tail_left[t] && (e->fx_used[t] || e->send_on[t]))) {
			/* Keep ramps moving even without audio, so timing is exact. */
			jl_ramp_skip_rt(&e->track_l[t], n);
			jl_ramp_skip_rt(&e->track_r[t], n);
			continue;
		}
		if (!fed) {
			/* No voice feeds the chain: its tail rings out on silence. */
			e->track_used[t] = 1;
			memset(e->tbus[t][0], 0, (size_t)n * sizeof(float));
			memset(e->tbus[t][1], 0, (size_t)n * sizeof(float));
		}
		jl_chain_process_rt(e, t, e->tbus[t][0], e->tbus[t][1], n); /* track FX, pre-fader */
		if (fed || !all_zero(e->tbus[t][0], e->tbus[t][1], n))
			e->tail_left[t] = e->tail_hold;
		else
			e->tail_left[t] = e->tail_left[t] > n ? e->tail_left[t] - n : 0;
		jl_ramp_apply_rt(&e->track_l[t], e->tbus[t][0], n);
		jl_ramp_apply_rt(&e->track_r[t], e->tbus[t][1], n);
		jl_acc_rt(bus_l, e->tbus[t][0], n);
		jl_acc_rt(bus_r, e->tbus[t][1], n);
	}
}
