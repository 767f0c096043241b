/* bus_rt.c - the performer's outputs (DESIGN 4.6): the phones mix with its
 * own levels, click, delay and limiter; dry input monitoring (exempt from
 * the phones delay); the metronome; the PA's safety limiter.
 *
 * Phones: sum over tracks of (post-fader track bus x phones level) + click
 *         -> phones master -> delay (aligns the phones with the PA)
 *         + dry inputs (a singer cannot perform to a late voice)
 *         -> zero-lookahead limiter -> phones_L/R.
 * Main:   master bus + dry inputs + click (if on the PA) -> PA gain
 *         (mute while recording) -> limiter -> out_L/R. */
#include <math.h>
#include <string.h>

#include "engine_priv.h"

#define RLX memory_order_relaxed

/* Adds the clicks that sound in [f, f + n) to dst (two channels). Beat k
 * is at origin + floor(k * span / beats), computed from k, never
 * accumulated (DESIGN 2.6). */
static void click_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *l, float *r, float level)
{
	uint64_t k, span = e->click_span, org = e->click_origin, from;
	uint32_t beats = e->click_beats, len = e->click_len;
	if (level == 0.0f || !beats || !span || f + n <= org)
		return;
	from = f > org + len ? f - len - org : 0;
	k = from * beats / span;
	for (;; k++) {
		uint64_t b = org + k * span / beats;
		const float *tab;
		uint32_t i0, i1, i;
		if (b >= f + n)
			break;
		if (e->click_until && b >= e->click_until)
			break;
		if (b + len <= f)
			continue;
		tab = e->click_tab[(e->click_per_bar && k % e->click_per_bar == 0) ? 0 : 1];
		i0 = b >= f ? 0 : (uint32_t)(f - b);
		i1 = b + len > f + n ? (uint32_t)(f + n - b) : len;
		for (i = i0; i < i1; i++) {
			uint32_t o = (uint32_t)(b + i - f);
			l[o] += tab[i] * level;
			r[o] += tab[i] * level;
		}
	}
}

/* Zero-lookahead limiter: instant attack to the ceiling, exponential
 * release; the gain is exactly 1 when nothing exceeds the ceiling.  A NaN
 * or Inf sample goes out as 0 and leaves the gain alone: a NaN passed the
 * level test, and an Inf took the gain to 0 (and itself to NaN), ducking
 * everything for the whole release.
 * The state is the gain's distance below 1, *dist, kept at full precision
 * from one period to the next.  The recovery g + (1 - g) * rel stops moving
 * in float once 1 - g is below about 7e-5 (the step is under half the
 * spacing of floats near 1): the bus stayed 0.0006 dB down for good after
 * any limiting.  And a gain kept between periods as 1 - d, a float below
 * 1, stalled 4 steps under 1 (0.99999976): a period's release (0.9 of d at
 * 256 frames) rounded back up to where it started.  The distance itself
 * shrinks by a factor each sample and reaches 0. */
static int limit_rt(float *l, float *r, uint32_t n, float ceiling, float rel, float *dist)
{
	int caught = 0;
	float d = *dist, keep = 1.0f - rel;
	uint32_t k;
	for (k = 0; k < n; k++) {
		float x = l[k] - l[k] == 0.0f ? l[k] : 0.0f, y = r[k] - r[k] == 0.0f ? r[k] : 0.0f;
		float a = fabsf(x), b = fabsf(y), pk = a > b ? a : b, g = 1.0f - d;
		if (pk * g > ceiling) {
			g = ceiling / pk;
			d = 1.0f - g;
			caught = 1;
		}
		l[k] = x * g;
		r[k] = y * g;
		d *= keep;
		if (d < 5.9604645e-8f) /* 1 - d rounds to 1 */
			d = 0.0f;
	}
	*dist = d;
	return caught;
}

/* Starts the crossfade to the waiting delay. */
static void next_delay(struct jl_engine *e)
{
	e->pd_old = e->pd_frames;
	e->pd_frames = e->pd_next;
	e->pd_xn = e->pd_next_xn;
	e->pd_xi = 0;
	e->pd_next_on = 0;
}

/* A new phones delay, crossfaded over xfade frames.  While a crossfade is
 * under way both of its taps are heard: restarting from one of them would
 * drop the mix and jump (a click in the in-ears when a fader moves).  So
 * the latest target waits until the crossfade ends, then the next one
 * starts from there; changes in between are superseded. */
void jl_bus_phones_delay_rt(struct jl_engine *e, uint32_t frames, uint32_t xfade)
{
	e->pd_next = frames;
	e->pd_next_xn = xfade;
	e->pd_next_on = 1;
	if (e->pd_xi >= e->pd_xn)
		next_delay(e);
}

/* The phones bus for this sub-block, into e->phones. */
void jl_bus_phones_rt(struct jl_engine *e, uint64_t f, uint32_t n)
{
	float *pl = e->phones[0], *pr = e->phones[1];
	uint32_t t, k, i;
	memset(pl, 0, (size_t)n * sizeof(float));
	memset(pr, 0, (size_t)n * sizeof(float));
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_ramp *g = &e->phones_track[t];
		if (!e->track_used[t])
			continue;
		if (g->i >= g->n && g->cur == 1.0f) {
			for (k = 0; k < n; k++) {
				pl[k] += e->tbus[t][0][k];
				pr[k] += e->tbus[t][1][k];
			}
		} else {
			struct jl_ramp r2 = *g;
			memcpy(e->vbuf[0], e->tbus[t][0], (size_t)n * sizeof(float));
			memcpy(e->vbuf[1], e->tbus[t][1], (size_t)n * sizeof(float));
			jl_ramp_apply_rt(g, e->vbuf[0], n);
			jl_ramp_apply_rt(&r2, e->vbuf[1], n);
			for (k = 0; k < n; k++) {
				pl[k] += e->vbuf[0][k];
				pr[k] += e->vbuf[1][k];
			}
		}
	}
	click_rt(e, f, n, pl, pr, e->click_phones);
	{
		struct jl_ramp r2 = e->phones_master;
		jl_ramp_apply_rt(&e->phones_master, pl, n);
		jl_ramp_apply_rt(&r2, pr, n);
	}
	/* delay line: write, then read `delay` frames back (0 = the sample
	 * just written, so no delay is exact); a change crossfades */
	for (k = 0; k < n; k++) {
		uint32_t w = (e->pd_pos + k) & e->pd_mask, r1;
		float a = pl[k], b = pr[k];
		if (e->pd_next_on && e->pd_xi >= e->pd_xn)
			next_delay(e);	/* the crossfade ended: the waiting change */
		r1 = (w - e->pd_frames) & e->pd_mask;
		e->pd[0][w] = a;
		e->pd[1][w] = b;
		if (e->pd_xi < e->pd_xn) {
			uint32_t r0 = (w - e->pd_old) & e->pd_mask;
			float wgt = (float)(++e->pd_xi) / (float)e->pd_xn;
			pl[k] = e->pd[0][r0] * (1.0f - wgt) + e->pd[0][r1] * wgt;
			pr[k] = e->pd[1][r0] * (1.0f - wgt) + e->pd[1][r1] * wgt;
		} else {
			pl[k] = e->pd[0][r1];
			pr[k] = e->pd[1][r1];
		}
	}
	e->pd_pos = (e->pd_pos + n) & e->pd_mask;
	/* dry inputs, not delayed */
	for (i = 0; i < e->n_inputs; i++) {
		struct jl_ramp *g = &e->imon_ph[i];
		struct jl_ramp r2;
		if (g->cur == 0.0f && g->i >= g->n)
			continue;
		memcpy(e->vbuf[0], e->inbuf[i], (size_t)n * sizeof(float));
		r2 = *g;
		jl_ramp_apply_rt(&r2, e->vbuf[0], n);
		*g = r2;
		for (k = 0; k < n; k++) {
			pl[k] += e->vbuf[0][k];
			pr[k] += e->vbuf[0][k];
		}
	}
	if (limit_rt(pl, pr, n, e->lim_ceiling[1], e->lim_rel, &e->lim_dist[1]))
		atomic_fetch_add_explicit(&e->rt->lim_hits[1], 1, RLX);
}

/* Dry inputs and the click into the main bus (before the PA gain). */
void jl_bus_main_in_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *bl, float *br)
{
	uint32_t i, k;
	for (i = 0; i < e->n_inputs; i++) {
		struct jl_ramp *gl = &e->imon_l[i], *gr = &e->imon_r[i];
		if (gl->cur == 0.0f && gl->i >= gl->n && gr->cur == 0.0f && gr->i >= gr->n)
			continue;
		memcpy(e->vbuf[0], e->inbuf[i], (size_t)n * sizeof(float));
		memcpy(e->vbuf[1], e->inbuf[i], (size_t)n * sizeof(float));
		jl_ramp_apply_rt(gl, e->vbuf[0], n);
		jl_ramp_apply_rt(gr, e->vbuf[1], n);
		for (k = 0; k < n; k++) {
			bl[k] += e->vbuf[0][k];
			br[k] += e->vbuf[1][k];
		}
	}
	click_rt(e, f, n, bl, br, e->click_pa);
}

/* The PA's safety limiter (always on). */
void jl_bus_main_limit_rt(struct jl_engine *e, float *bl, float *br, uint32_t n)
{
	if (limit_rt(bl, br, n, e->lim_ceiling[0], e->lim_rel, &e->lim_dist[0]))
		atomic_fetch_add_explicit(&e->rt->lim_hits[0], 1, RLX);
}

/* The calibration burst, added straight onto one output (after the
 * limiters: it must arrive as sent).  Deterministic: jl_cal_sample(). */
void jl_bus_cal_rt(struct jl_engine *e, const struct jl_engine_io *io, uint32_t off, uint32_t n)
{
	float *o;
	uint32_t k, m;
	if (!e->cal_left)
		return;
	o = io->out[e->cal_output];
	m = e->cal_left < n ? e->cal_left : n;
	for (k = 0; k < m; k++) {
		float v = jl_cal_sample(&e->cal_state) * e->cal_amp;
		if (o)
			o[off + k] += v;
	}
	e->cal_left -= m;
}
