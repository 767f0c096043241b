/* engine_rt.c - the RT cycle (DESIGN 1, 2.1-2.3, 6.4-6.7).
 *
 * Order per cycle: timeline and gaps; drain commands; then per sub-block of
 * at most JL_BLOCK frames, split again at every pending command's target:
 * inputs -> history, apply due commands, voices, ramps, mix, outputs;
 * finally publish state.  Everything here is bounded and RT-safe.
 */
#include <math.h>
#include <string.h>
#include <pmmintrin.h>

#include "engine_priv.h"

#define RLX memory_order_relaxed
#define REL memory_order_release

static void count(_Atomic uint32_t *c) { atomic_fetch_add_explicit(c, 1, RLX); }

static void emit(struct jl_engine *e, uint16_t type, uint32_t id, uint64_t a, uint64_t b)
{
	struct jl_evt ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.id = id;
	ev.frame = e->frame;
	ev.u[0] = a;
	ev.u[1] = b;
	if (!jl_spsc_push(&e->evtq, &ev))
		count(&e->rt->evt_dropped);
}

static void reject(struct jl_engine *e, const struct jl_cmd *c, enum jl_reject why)
{
	count(&e->rt->cmd_rejected);
	emit(e, JL_EVT_REJECTED, c->id, c->type, (uint64_t)why);
}

void jl_ramp_set_rt(struct jl_ramp *r, float target, uint32_t n)
{
	r->g0 = r->cur;
	r->g1 = target;
	r->n = n;
	r->i = 0;
	if (n == 0)
		r->cur = target;
}

/* Multiplies buf by the ramp.  The ramping part is closed-form per sample;
 * the steady part is a plain scale.  Both are SIMD (engine_priv.h) with a
 * scalar tail that does the same arithmetic. */
void jl_ramp_apply_rt(struct jl_ramp *r, float *buf, uint32_t n)
{
	uint32_t k = 0;
	if (r->i < r->n) {
		float d = r->g1 - r->g0, inv = 1.0f / (float)r->n;
		uint32_t left = r->n - r->i, m = left < n ? left : n, i0 = r->i;
		__m128 vg0 = _mm_set1_ps(r->g0), vd = _mm_set1_ps(d), vinv = _mm_set1_ps(inv);
		for (; k + 4 <= m; k += 4)
			_mm_storeu_ps(buf + k, _mm_mul_ps(_mm_loadu_ps(buf + k), jl_ramp4(vg0, vd, vinv, i0 + k)));
		for (; k < m; k++)
			buf[k] *= r->g0 + d * ((float)(i0 + k + 1) * inv);
		r->i = i0 + m;
		r->cur = r->i == r->n ? r->g1 : r->g0 + d * ((float)r->i * inv);
	}
	if (k < n) {
		float g = r->cur;
		__m128 vg = _mm_set1_ps(g);
		for (; k + 4 <= n; k += 4)
			_mm_storeu_ps(buf + k, _mm_mul_ps(_mm_loadu_ps(buf + k), vg));
		for (; k < n; k++)
			buf[k] *= g;
	}
}

void jl_ramp_skip_rt(struct jl_ramp *r, uint32_t n)
{
	if (r->i < r->n) {
		float d = r->g1 - r->g0, inv = 1.0f / (float)r->n;
		uint32_t left = r->n - r->i;
		r->i += left < n ? left : n;
		r->cur = r->i == r->n ? r->g1 : r->g0 + d * ((float)r->i * inv);
	}
}

/* --- commands ------------------------------------------------------- */

static int finite_in(float x, float lo, float hi) { return isfinite(x) && x >= lo && x <= hi; }

/* Full validation, independent of timing.  Returns JL_REJ_NONE if the
 * command may be applied.  Every field that indexes or sizes anything is
 * checked here, once, before it can be stored or used (DESIGN 1.2). */
static enum jl_reject validate(const struct jl_engine *e, const struct jl_cmd *c)
{
	if (c->flags & ~JL_CMDF_IMMEDIATE)
		return JL_REJ_RANGE;
	switch (c->type) {
	case JL_CMD_NOP:
	case JL_CMD_METER_RESET:
		return JL_REJ_NONE;
	case JL_CMD_MASTER_GAIN:
		if (!finite_in(c->p.f[0], 0.0f, JL_MAX_GAIN) || c->p.u[1] > JL_MAX_RAMP_FRAMES)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_IMPULSE:
		return finite_in(c->p.f[0], -1.0f, 1.0f) ? JL_REJ_NONE : JL_REJ_RANGE;
	case JL_CMD_CANCEL:
		return JL_REJ_NONE;
	case JL_CMD_INPUT_TRIM:
		if (c->p.u[0] >= e->n_inputs || !finite_in(c->p.f[2], 0.0f, JL_MAX_GAIN))
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_VOICE_SRC: {
		uint64_t len = c->p.vsrc.data_len, pf = e->pool_floats;
		if (c->p.vsrc.voice >= e->max_voices || c->p.vsrc.channels < 1 || c->p.vsrc.channels > 2 ||
		    c->p.vsrc.in0 >= e->n_inputs || c->p.vsrc.in1 >= e->n_inputs || len == 0)
			return JL_REJ_RANGE;
		if (c->p.vsrc.kind == JL_SRC_HIST)
			return len <= e->hist_frames ? JL_REJ_NONE : JL_REJ_RANGE;
		if (c->p.vsrc.kind == JL_SRC_POOL) {
			if (c->p.vsrc.pool_off0 > pf || len > pf - c->p.vsrc.pool_off0)
				return JL_REJ_RANGE;
			if (c->p.vsrc.channels == 2 && (c->p.vsrc.pool_off1 > pf || len > pf - c->p.vsrc.pool_off1))
				return JL_REJ_RANGE;
			return JL_REJ_NONE;
		}
		return JL_REJ_RANGE;
	}
	case JL_CMD_VOICE_START: {
		uint64_t P = c->p.vstart.period, S = c->p.vstart.seam, B = c->p.vstart.body;
		if (c->p.vstart.voice >= e->max_voices || c->p.vstart.track >= JL_MAX_TRACKS ||
		    c->p.vstart.seam_mode > JL_SEAM_EDGE || P < 1 || P > (1ull << 40) || B > P || S > P ||
		    c->p.vstart.head < S || c->p.vstart.head > (1ull << 40))
			return JL_REJ_RANGE;
		if (c->p.vstart.seam_mode == JL_SEAM_XFADE && B != P)
			return JL_REJ_RANGE;
		if (c->p.vstart.seam_mode == JL_SEAM_EDGE && B + 2 * S > P)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	}
	case JL_CMD_VOICE_GAIN:
		if (c->p.vgain.voice >= e->max_voices || !finite_in(c->p.vgain.gain, 0.0f, JL_MAX_GAIN) ||
		    c->p.vgain.ramp > JL_MAX_RAMP_FRAMES || (c->p.vgain.flags & ~JL_VGAIN_STOP))
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_VOICE_ORIGIN:
		return c->p.vorigin.voice < e->max_voices ? JL_REJ_NONE : JL_REJ_RANGE;
	case JL_CMD_TRACK_GAIN:
		if (c->p.tgain.track >= JL_MAX_TRACKS || !finite_in(c->p.tgain.gl, 0.0f, JL_MAX_GAIN) ||
		    !finite_in(c->p.tgain.gr, 0.0f, JL_MAX_GAIN) || c->p.tgain.ramp > JL_MAX_RAMP_FRAMES)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_PA_GAIN:
		if (!finite_in(c->p.gain.gain, 0.0f, JL_MAX_GAIN) || c->p.gain.ramp > JL_MAX_RAMP_FRAMES)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_PHONES_GAIN:
		if ((c->p.tgain.track >= JL_MAX_TRACKS && c->p.tgain.track != JL_PHONES_MASTER) ||
		    !finite_in(c->p.tgain.gl, 0.0f, JL_MAX_GAIN) || c->p.tgain.ramp > JL_MAX_RAMP_FRAMES)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_PHONES_DELAY:
		return c->p.u[0] <= e->pd_max && c->p.u[1] <= JL_MAX_RAMP_FRAMES ? JL_REJ_NONE : JL_REJ_RANGE;
	case JL_CMD_INPUT_MON:
		if (c->p.imon.input >= e->n_inputs || c->p.imon.ramp > JL_MAX_RAMP_FRAMES ||
		    !finite_in(c->p.imon.main_l, 0.0f, JL_MAX_GAIN) || !finite_in(c->p.imon.main_r, 0.0f, JL_MAX_GAIN) ||
		    !finite_in(c->p.imon.phones, 0.0f, JL_MAX_GAIN))
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_CLICK:
		if (c->p.click.beats > 1024 || c->p.click.per_bar > 1024 || c->p.click.span > (1ull << 40) ||
		    (c->p.click.beats && c->p.click.span < c->p.click.beats) ||
		    !finite_in(c->p.click.phones, 0.0f, JL_MAX_GAIN) || !finite_in(c->p.click.pa, 0.0f, JL_MAX_GAIN))
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_FX_SLOT:
		return jl_chain_slot_ok_rt(e, c) ? JL_REJ_NONE : JL_REJ_RANGE;
	case JL_CMD_SEND:
		return c->p.u[0] < JL_MAX_TRACKS && c->p.u[1] <= 1 ? JL_REJ_NONE : JL_REJ_RANGE;
	case JL_CMD_MIDI_CLOCK:
		return c->p.u[0] <= 1 && c->p.i[1] <= (int64_t)(e->fx_ctx.rate / 10) &&
				       c->p.i[1] >= -(int64_t)(e->fx_ctx.rate / 10)
			       ? JL_REJ_NONE
			       : JL_REJ_RANGE;
	case JL_CMD_VOICE_MODE:
		return c->p.vmode.voice < e->max_voices && c->p.vmode.rate <= 2 && c->p.vmode.reverse <= 1 ? JL_REJ_NONE
													  : JL_REJ_RANGE;
	case JL_CMD_FX_SET:
		return JL_REJ_NONE; /* checked when applied: it reads the pool then */
	case JL_CMD_CAL_PLAY:
		if (c->p.cal.output >= JL_N_OUTPUTS || c->p.cal.frames > JL_CAL_MAX_FRAMES ||
		    !finite_in(c->p.cal.amp, 0.0f, 1.0f))
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	case JL_CMD_LIMIT:
		if (c->p.limit.which > 1 || !finite_in(c->p.limit.ceiling, 0.001f, 1.0f) ||
		    c->p.limit.release < 1 || c->p.limit.release > JL_MAX_RAMP_FRAMES)
			return JL_REJ_RANGE;
		return JL_REJ_NONE;
	default:
		return JL_REJ_TYPE;
	}
}

/* Frames of stored data a geometry reads. */
static uint64_t needed(const struct jl_voice *v)
{
	return v->head + v->body + (v->seam_mode == JL_SEAM_EDGE ? v->seam : 0);
}

static uint64_t phase_of(uint64_t f, uint64_t origin, uint64_t period)
{
	return f >= origin ? (f - origin) % period : (period - (origin - f) % period) % period;
}

static uint32_t ramp_frames(const struct jl_engine *e)
{
	return e->rate / 100; /* 10 ms for level changes without their own length */
}

/* Removes pending[k], keeping the others in queue order: commands with
 * equal targets must apply in the order they were sent (jl_cmd.h), e.g. a
 * voice's VOICE_START before its VOICE_GAIN.  O(n_pending), bounded. */
static void pending_remove(struct jl_engine *e, uint32_t k)
{
	memmove(&e->pending[k], &e->pending[k + 1], (size_t)(e->n_pending - k - 1) * sizeof(struct jl_cmd));
	e->n_pending--;
}

static enum jl_reject apply(struct jl_engine *e, const struct jl_cmd *c)
{
	uint32_t k;
	struct jl_voice *v;
	switch (c->type) {
	case JL_CMD_MASTER_GAIN:
		jl_ramp_set_rt(&e->master, c->p.f[0], (uint32_t)c->p.u[1]);
		break;
	case JL_CMD_IMPULSE:
		e->impulse_amp += c->p.f[0];
		e->impulse_armed = 1;
		break;
	case JL_CMD_METER_RESET:
		for (k = 0; k < e->max_voices; k++)
			e->voice[k].peak = 0.0f;
		for (k = 0; k < e->n_inputs; k++)
			e->in_peak[k] = 0.0f;
		for (k = 0; k < JL_N_OUTPUTS; k++)
			e->out_peak[k] = 0.0f;
		break;
	case JL_CMD_CANCEL:
		for (k = 0; k < e->n_pending; k++) {
			if (e->pending[k].id == (uint32_t)c->p.u[0] && e->pending[k].id != 0) {
				pending_remove(e, k);
				count(&e->rt->cmd_cancelled);
				emit(e, JL_EVT_CANCELLED, (uint32_t)c->p.u[0], 0, 0);
				break;
			}
		}
		break;
	case JL_CMD_INPUT_TRIM:
		jl_ramp_set_rt(&e->trim[c->p.u[0]], c->p.f[2], ramp_frames(e));
		break;
	case JL_CMD_VOICE_SRC:
		v = &e->voice[c->p.vsrc.voice];
		if (v->active && (c->p.vsrc.data_len < needed(v) || c->p.vsrc.channels != v->channels))
			return JL_REJ_RANGE; /* a switch must carry the same frames */
		v->kind = c->p.vsrc.kind;
		v->channels = c->p.vsrc.channels;
		v->in[0] = c->p.vsrc.in0;
		v->in[1] = c->p.vsrc.in1;
		v->hist_start = c->p.vsrc.hist_start;
		v->pool_off[0] = c->p.vsrc.pool_off0;
		v->pool_off[1] = c->p.vsrc.pool_off1;
		v->data_len = c->p.vsrc.data_len;
		v->gen = c->p.vsrc.gen;
		atomic_store_explicit(&e->vpub[c->p.vsrc.voice].src, v->kind, RLX);
		atomic_store_explicit(&e->vpub[c->p.vsrc.voice].src_gen, v->gen, REL);
		break;
	case JL_CMD_VOICE_START: {
		struct jl_voice g;
		v = &e->voice[c->p.vstart.voice];
		g = *v;
		g.track = c->p.vstart.track;
		g.seam_mode = (uint8_t)c->p.vstart.seam_mode;
		g.seam = c->p.vstart.seam;
		g.head = c->p.vstart.head;
		g.body = c->p.vstart.body;
		g.period = c->p.vstart.period;
		g.origin = c->p.vstart.origin;
		if (g.kind == JL_SRC_NONE || g.data_len < needed(&g))
			return JL_REJ_RANGE;
		g.q = phase_of(e->frame, g.origin, g.period);
		g.rate = 0;
		g.reverse = 0;
		g.vperiod = g.period;
		g.gain.cur = g.gain.g0 = g.gain.g1 = 0.0f; /* silent until VOICE_GAIN */
		g.gain.n = g.gain.i = 0;
		g.stop_at_zero = 0;
		g.overrun = 0;
		g.peak = 0.0f;
		g.active = 1;
		*v = g;
		atomic_store_explicit(&e->vpub[c->p.vstart.voice].flags, 0, RLX);
		atomic_store_explicit(&e->vpub[c->p.vstart.voice].track, g.track, RLX);
		atomic_store_explicit(&e->vpub[c->p.vstart.voice].state, JL_VOICE_PLAYING, REL);
		break;
	}
	case JL_CMD_VOICE_GAIN:
		v = &e->voice[c->p.vgain.voice];
		if (!v->active)
			return JL_REJ_RANGE;
		if (v->overrun) {
			/* The overrun fade (track_rt.c guard_ring) owns the gain:
			 * it must reach 0 before the ring overwrites the voice's
			 * frames, and the voice then ends.  A new level would be
			 * cut off at full level there; a 0 is what the fade does. */
			if (c->p.vgain.gain != 0.0f)
				return JL_REJ_RANGE;
			if (c->p.vgain.flags & JL_VGAIN_STOP)
				atomic_store_explicit(&e->vpub[c->p.vgain.voice].state, JL_VOICE_STOPPING, RLX);
			break;
		}
		jl_ramp_set_rt(&v->gain, c->p.vgain.gain, c->p.vgain.ramp);
		v->stop_at_zero = (c->p.vgain.flags & JL_VGAIN_STOP) != 0;
		if (v->stop_at_zero)
			atomic_store_explicit(&e->vpub[c->p.vgain.voice].state, JL_VOICE_STOPPING, RLX);
		else if (atomic_load_explicit(&e->vpub[c->p.vgain.voice].state, RLX) == JL_VOICE_STOPPING)
			atomic_store_explicit(&e->vpub[c->p.vgain.voice].state, JL_VOICE_PLAYING, RLX);
		break;
	case JL_CMD_VOICE_ORIGIN:
		v = &e->voice[c->p.vorigin.voice];
		if (!v->active)
			return JL_REJ_RANGE;
		v->origin = c->p.vorigin.origin;
		v->q = phase_of(e->frame, v->origin, v->vperiod);
		break;
	case JL_CMD_TRACK_GAIN:
		jl_ramp_set_rt(&e->track_l[c->p.tgain.track], c->p.tgain.gl, c->p.tgain.ramp);
		jl_ramp_set_rt(&e->track_r[c->p.tgain.track], c->p.tgain.gr, c->p.tgain.ramp);
		break;
	case JL_CMD_PA_GAIN:
		jl_ramp_set_rt(&e->pa, c->p.gain.gain, c->p.gain.ramp);
		break;
	case JL_CMD_PHONES_GAIN:
		jl_ramp_set_rt(c->p.tgain.track == JL_PHONES_MASTER ? &e->phones_master : &e->phones_track[c->p.tgain.track],
			       c->p.tgain.gl, c->p.tgain.ramp);
		break;
	case JL_CMD_PHONES_DELAY:
		jl_bus_phones_delay_rt(e, (uint32_t)c->p.u[0], (uint32_t)c->p.u[1]);
		/* the latest target: what the phones settle at within two
		 * crossfades (ports' latencies, the daemon's compensation) */
		atomic_store_explicit(&e->rt->phones_delay, (uint32_t)c->p.u[0], RLX);
		break;
	case JL_CMD_INPUT_MON:
		jl_ramp_set_rt(&e->imon_l[c->p.imon.input], c->p.imon.main_l, c->p.imon.ramp);
		jl_ramp_set_rt(&e->imon_r[c->p.imon.input], c->p.imon.main_r, c->p.imon.ramp);
		jl_ramp_set_rt(&e->imon_ph[c->p.imon.input], c->p.imon.phones, c->p.imon.ramp);
		break;
	case JL_CMD_CLICK:
		jl_clock_grid_rt(e, c->p.click.origin, c->p.click.span, c->p.click.beats, c->p.click.per_bar);
		e->click_origin = c->p.click.origin;
		e->click_span = c->p.click.span;
		e->click_beats = c->p.click.beats;
		e->click_per_bar = c->p.click.per_bar;
		e->click_phones = c->p.click.phones;
		e->click_pa = c->p.click.pa;
		e->click_until = c->p.click.until;
		e->fx_ctx.beat_frames = c->p.click.beats ? (double)c->p.click.span / c->p.click.beats : 0.0;
		break;
	case JL_CMD_LIMIT:
		e->lim_ceiling[c->p.limit.which] = c->p.limit.ceiling;
		break;
	case JL_CMD_FX_SLOT:
		if (jl_chain_slot_rt(e, c) < 0)
			return JL_REJ_RANGE;
		break;
	case JL_CMD_SEND:
		e->send_on[c->p.u[0]] = (uint8_t)c->p.u[1];
		break;
	case JL_CMD_MIDI_CLOCK:
		jl_clock_enable_rt(e, (int)c->p.u[0], (int32_t)c->p.i[1]);
		break;
	case JL_CMD_VOICE_MODE:
		v = &e->voice[c->p.vmode.voice];
		if (!v->active || (c->p.vmode.rate == 1 && v->period % 2))
			return JL_REJ_RANGE; /* 2x needs an even period */
		v->rate = c->p.vmode.rate;
		v->reverse = c->p.vmode.reverse;
		v->vperiod = v->rate == 1 ? v->period / 2 : v->rate == 2 ? 2 * v->period : v->period;
		v->q = phase_of(e->frame, v->origin, v->vperiod);
		break;
	case JL_CMD_FX_SET:
		if (jl_chain_set_rt(e, c) < 0)
			return JL_REJ_RANGE;
		break;
	case JL_CMD_CAL_PLAY:
		e->cal_output = c->p.cal.output;
		e->cal_left = c->p.cal.frames;
		e->cal_state = c->p.cal.seed;
		e->cal_amp = c->p.cal.amp;
		break;
	default:
		break;
	}
	count(&e->rt->cmd_applied);
	if (c->id)
		emit(e, JL_EVT_APPLIED, c->id, c->target, e->frame);
	return JL_REJ_NONE;
}

static int cancel_finds(const struct jl_engine *e, const struct jl_cmd *c)
{
	uint32_t k;
	for (k = 0; k < e->n_pending; k++)
		if (e->pending[k].id != 0 && e->pending[k].id == (uint32_t)c->p.u[0])
			return 1;
	return 0;
}

/* Applies a command that is due now (target <= e->frame). */
static void apply_due(struct jl_engine *e, const struct jl_cmd *c, uint64_t cycle_start)
{
	enum jl_reject why;
	if (c->type == JL_CMD_CANCEL && !cancel_finds(e, c)) {
		reject(e, c, JL_REJ_NOT_FOUND);
		return;
	}
	if (!(c->flags & JL_CMDF_IMMEDIATE) && c->target < cycle_start) {
		uint64_t late = cycle_start - c->target;
		count(&e->rt->cmd_late);
		atomic_store_explicit(&e->rt->last_late_frames, late, RLX);
		if (late > atomic_load_explicit(&e->rt->max_late_frames, RLX))
			atomic_store_explicit(&e->rt->max_late_frames, late, RLX);
	}
	why = apply(e, c);
	if (why != JL_REJ_NONE)
		reject(e, c, why);
}

/* Applies, in queue order among equals, every pending command due at f. */
static void apply_pending_at(struct jl_engine *e, uint64_t f, uint64_t cycle_start)
{
	uint32_t k = 0;
	while (k < e->n_pending) {
		if (e->pending[k].target <= f) {
			struct jl_cmd c = e->pending[k];
			/* Keep queue order for equal targets: shift, not swap. */
			pending_remove(e, k);
			apply_due(e, &c, cycle_start);
			/* A CANCEL may have removed an entry before k and shifted
			 * a due one behind the cursor: scan again from the start
			 * (the entries before k are not due; bounded). */
			if (c.type == JL_CMD_CANCEL)
				k = 0;
		} else {
			k++;
		}
	}
}

static void drain(struct jl_engine *e, uint64_t cycle_start)
{
	struct jl_cmd c;
	bool corrupt = false;
	uint32_t n;
	uint64_t horizon = (uint64_t)e->rate * JL_MAX_AHEAD_S;
	/* Pending commands that are now due are older than anything still in
	 * the ring: apply them first, so that commands take effect in target
	 * order, and in queue order among equal targets. */
	apply_pending_at(e, cycle_start, cycle_start);
	for (n = 0; n < JL_DRAIN_MAX && jl_spsc_pop_checked(&e->cmdq, &c, &corrupt); n++) {
		enum jl_reject why = validate(e, &c);
		if (atomic_load_explicit(&e->rt->rate_mismatch, RLX))
			why = JL_REJ_RATE;
		if (why == JL_REJ_NONE && !(c.flags & JL_CMDF_IMMEDIATE) && c.target > cycle_start + horizon)
			why = JL_REJ_RANGE;
		if (why != JL_REJ_NONE) {
			reject(e, &c, why);
			continue;
		}
		if ((c.flags & JL_CMDF_IMMEDIATE) || c.target <= cycle_start) {
			apply_due(e, &c, cycle_start);
		} else if (e->n_pending < JL_PENDING_MAX) {
			e->pending[e->n_pending++] = c;
		} else {
			count(&e->rt->cmd_dropped);
			emit(e, JL_EVT_REJECTED, c.id, c.type, JL_REJ_PENDING_FULL);
		}
	}
	if (corrupt) {
		/* The producer's head is insane: resynchronise rather than
		 * read garbage; the daemon sees the counter. */
		count(&e->rt->queue_corrupt);
		atomic_store_explicit(&e->cmdq.q->tail,
				      atomic_load_explicit(&e->cmdq.q->head, memory_order_acquire), REL);
	}
}

/* Earliest pending target in (from, to), or `to` if none. */
static uint64_t next_target(const struct jl_engine *e, uint64_t from, uint64_t to)
{
	uint64_t best = to;
	uint32_t k;
	for (k = 0; k < e->n_pending; k++) {
		uint64_t t = e->pending[k].target;
		if (t > from && t < best)
			best = t;
	}
	return best;
}

/* --- the cycle ------------------------------------------------------ */

static void publish_cycle(struct jl_engine *e, const struct jl_engine_io *io, uint64_t start)
{
	uint32_t seq = atomic_load_explicit(&e->rt->cycle_seq, RLX) + 1;
	struct jl_cycle_slot *s = &e->rt->cycle[seq % JL_CYCLE_SLOTS];
	atomic_store_explicit(&s->frame, start, REL);
	atomic_store_explicit(&s->usecs, io->usecs, REL);
	atomic_store_explicit(&s->next_usecs, io->next_usecs, REL);
	atomic_store_explicit(&s->nframes, io->nframes, REL);
	atomic_store_explicit(&s->period_usecs, jl_f_bits(io->period_usecs), REL);
	atomic_store_explicit(&e->rt->cycle_seq, seq, REL);
}

static void mark_gap(struct jl_engine *e, uint64_t start, uint64_t len)
{
	struct jl_gap_mark *g = &e->rt->gap[e->gap_count % JL_GAP_MARKS];
	jl_history_silence_rt(e, start, len);
	atomic_store_explicit(&g->start, start, RLX);
	atomic_store_explicit(&g->len, len, RLX);
	e->gap_count++;
	atomic_store_explicit(&e->rt->gaps, e->gap_count, REL);
	emit(e, JL_EVT_GAP, 0, start, len);
}

/* Maps JACK's 32-bit frame time onto the 64-bit engine timeline.
 *
 * Steady state: frame follows JACK; a frame-time jump larger than the
 * period is an xrun or a skipped cycle, recorded as silence plus a gap mark
 * (DESIGN 2.1).  A buffer-size change is different: JACK advances its frame
 * time by the *new* period size at the change (measured: 64 -> 4096 jumps
 * 4096 ahead, 4096 -> 128 moves only 128), although no audio was lost or
 * repeated.  So across a size change the engine stays contiguous and the
 * engine-JACK offset is re-derived and published with a mark. */
static void set_offset(struct jl_engine *e, uint64_t frame, uint32_t jack_frames)
{
	uint64_t off = frame - (uint64_t)jack_frames;
	if ((uint32_t)off != (uint32_t)e->offset || !e->offset_marks) {
		struct jl_offset_mark *m = &e->rt->offset_mark[e->offset_marks % JL_GAP_MARKS];
		atomic_store_explicit(&m->frame, frame, RLX);
		atomic_store_explicit(&m->offset, off, RLX);
		e->offset_marks++;
		atomic_store_explicit(&e->rt->offset_marks, e->offset_marks, REL);
	}
	e->offset = off;
	atomic_store_explicit(&e->rt->frame_offset, off, RLX);
}

static uint64_t timeline(struct jl_engine *e, const struct jl_engine_io *io)
{
	uint64_t head = atomic_load_explicit(&e->rt->history_head, RLX);
	if (!e->started) {
		/* On a re-attached segment the timeline continues after what the
		 * history already holds; a fresh one starts at JACK's frame. */
		e->started = 1;
		e->frame = head > io->jack_frames ? head : io->jack_frames;
		if (head == 0)
			atomic_store_explicit(&e->rt->history_start, e->frame, RLX);
		else if (e->frame > head)
			mark_gap(e, head, e->frame - head);
		set_offset(e, e->frame, io->jack_frames);
	} else {
		uint32_t delta = io->jack_frames - e->last_jack_frames;
		uint64_t expect = e->frame;
		if (io->nframes == e->last_nframes && delta > e->last_nframes && delta - e->last_nframes < 0x80000000u) {
			/* JACK skipped frames (xrun): follow it, record silence. */
			e->frame = expect + (delta - e->last_nframes);
			mark_gap(e, expect, e->frame - expect);
		} else if (delta != e->last_nframes) {
			/* A period-size change (or JACK's clock re-based): stay
			 * contiguous, re-derive the offset. */
			set_offset(e, e->frame, io->jack_frames);
		}
	}
	e->last_jack_frames = io->jack_frames;
	e->last_nframes = io->nframes;
	return e->frame;
}

static float peak_of(const float *x, uint32_t n, float p)
{
	uint32_t k = 0;
	if (n >= 4) {
		__m128 m = jl_abs4(_mm_loadu_ps(x));
		for (k = 4; k + 4 <= n; k += 4)
			m = _mm_max_ps(m, jl_abs4(_mm_loadu_ps(x + k)));
		p = jl_hmax4(m, p);
	}
	for (; k < n; k++) {
		float a = fabsf(x[k]);
		p = a > p ? a : p;
	}
	return p;
}

static void sub_block(struct jl_engine *e, const struct jl_engine_io *io, uint32_t off, uint32_t n,
		      uint64_t f, uint64_t cycle_start)
{
	const float *in[JL_MAX_INPUTS];
	uint32_t i, k, o;

	/* 1. inputs (trimmed) -> history; a NaN or Inf is silence and
	 * counts as a clip */
	for (i = 0; i < e->n_inputs; i++) {
		uint32_t clip = 0;
		if (io->in[i])
			clip = jl_copy_finite_rt(e->inbuf[i], io->in[i] + off, n);
		else
			memset(e->inbuf[i], 0, (size_t)n * sizeof(float));
		e->in_peak[i] = peak_of(e->inbuf[i], n, e->in_peak[i]);
		for (k = 0; k < n && !clip; k++)
			clip = e->inbuf[i][k] >= 1.0f || e->inbuf[i][k] <= -1.0f;
		if (clip)
			count(&e->rt->in_clips[i]);
		jl_ramp_apply_rt(&e->trim[i], e->inbuf[i], n);
		if (e->fx_used[JL_FX_CHAIN_INPUT0 + i]) {
			/* an input chain is recorded: the player hears what is kept */
			memcpy(e->vbuf[1], e->inbuf[i], (size_t)n * sizeof(float));
			jl_chain_process_rt(e, JL_FX_CHAIN_INPUT0 + i, e->inbuf[i], e->vbuf[1], n);
		}
		in[i] = e->inbuf[i];
	}
	jl_history_write_rt(e, in, f, n);
	atomic_store_explicit(&e->rt->history_head, f + n, REL);

	/* 2. commands due at this sub-block's first frame */
	apply_pending_at(e, f, cycle_start);

	/* MIDI clock ticks in this sub-block, on the grid just applied */
	jl_clock_process_rt(e, io, off, f, n);

	/* 3.-5. voices -> track buses -> master bus */
	memset(e->bus[0], 0, (size_t)n * sizeof(float));
	memset(e->bus[1], 0, (size_t)n * sizeof(float));
	e->io_cur = io;
	e->off_cur = off;
	jl_tracks_process_rt(e, f, n, e->bus[0], e->bus[1]);
	/* a send port carries silence unless its track's audio went out */
	for (o = 0; o < JL_MAX_TRACKS && io->send_out[o][0]; o++) {
		if (e->send_on[o] && e->track_used[o])
			continue;
		memset(io->send_out[o][0] + off, 0, (size_t)n * sizeof(float));
		memset(io->send_out[o][1] + off, 0, (size_t)n * sizeof(float));
	}
	/* --track-outs: every track bus, post-fader, for a DAW (always written) */
	for (o = 0; o < JL_MAX_TRACKS && io->track_out[o][0]; o++) {
		uint32_t c;
		for (c = 0; c < 2; c++) {
			if (e->track_used[o])
				memcpy(io->track_out[o][c] + off, e->tbus[o][c], (size_t)n * sizeof(float));
			else
				memset(io->track_out[o][c] + off, 0, (size_t)n * sizeof(float));
		}
	}
	jl_bus_phones_rt(e, f, n);
	jl_bus_main_in_rt(e, f, n, e->bus[0], e->bus[1]);
	if (e->impulse_armed) {
		/* the test impulse goes to every output, undelayed */
		e->bus[0][0] += e->impulse_amp;
		e->bus[1][0] += e->impulse_amp;
		e->phones[0][0] += e->impulse_amp;
		e->phones[1][0] += e->impulse_amp;
		e->impulse_armed = 0;
		e->impulse_amp = 0.0f;
	}
	{
		/* One ramp drives both channels: apply to L, replay for R. */
		struct jl_ramp r = e->master;
		jl_ramp_apply_rt(&e->master, e->bus[0], n);
		jl_ramp_apply_rt(&r, e->bus[1], n);
	}
	jl_chain_process_rt(e, JL_FX_CHAIN_MASTER, e->bus[0], e->bus[1], n);

	/* 6. outputs: the phones mix; the PA through the PA gain (mute while
	 * recording) and its safety limiter. */
	for (o = 2; o < JL_N_OUTPUTS; o++) {
		if (!io->out[o])
			continue;
		memcpy(io->out[o] + off, e->phones[o & 1], (size_t)n * sizeof(float));
		e->out_peak[o] = peak_of(e->phones[o & 1], n, e->out_peak[o]);
	}
	{
		struct jl_ramp r = e->pa;
		jl_ramp_apply_rt(&e->pa, e->bus[0], n);
		jl_ramp_apply_rt(&r, e->bus[1], n);
	}
	jl_bus_main_limit_rt(e, e->bus[0], e->bus[1], n);
	for (o = 0; o < 2; o++) {
		if (!io->out[o])
			continue;
		memcpy(io->out[o] + off, e->bus[o], (size_t)n * sizeof(float));
		e->out_peak[o] = peak_of(e->bus[o], n, e->out_peak[o]);
	}
	jl_bus_cal_rt(e, io, off, n);
}

static void silence_outputs(const struct jl_engine_io *io)
{
	uint32_t o;
	for (o = 0; o < JL_N_OUTPUTS; o++)
		if (io->out[o])
			memset(io->out[o], 0, (size_t)io->nframes * sizeof(float));
	for (o = 0; o < JL_MAX_TRACKS && io->track_out[o][0]; o++) {
		memset(io->track_out[o][0], 0, (size_t)io->nframes * sizeof(float));
		memset(io->track_out[o][1], 0, (size_t)io->nframes * sizeof(float));
	}
	for (o = 0; o < JL_MAX_TRACKS && io->send_out[o][0]; o++) {
		memset(io->send_out[o][0], 0, (size_t)io->nframes * sizeof(float));
		memset(io->send_out[o][1], 0, (size_t)io->nframes * sizeof(float));
	}
}

static void publish(struct jl_engine *e)
{
	uint32_t k;
	for (k = 0; k < e->n_inputs; k++)
		atomic_store_explicit(&e->rt->in_peak[k], jl_f_bits(e->in_peak[k]), RLX);
	for (k = 0; k < JL_N_OUTPUTS; k++)
		atomic_store_explicit(&e->rt->out_peak[k], jl_f_bits(e->out_peak[k]), RLX);
	atomic_store_explicit(&e->rt->master_gain, jl_f_bits(e->master.cur), RLX);
	/* Phases and meters are for display: an eighth of the voices per
	 * cycle keeps them fresh to 8 cycles without touching every voice's
	 * published line every cycle (a quiet voice must cost almost nothing). */
	for (k = (uint32_t)(e->cycle_n & 7); k < e->max_voices; k += 8) {
		if (!e->voice[k].active)
			continue;
		atomic_store_explicit(&e->vpub[k].pos, e->voice[k].q, RLX);
		atomic_store_explicit(&e->vpub[k].peak, jl_f_bits(e->voice[k].peak), RLX);
	}
	e->cycle_n++;
	atomic_store_explicit(&e->rt->pending, e->n_pending, RLX);
	atomic_store_explicit(&e->rt->frame, e->frame, REL);
	atomic_fetch_add_explicit(&e->rt->cycles, 1, RLX);
}

void jl_engine_process_rt(struct jl_engine *e, const struct jl_engine_io *io)
{
	uint64_t start, end, f;

	/* FTZ/DAZ: decaying filters otherwise fall into denormals (DESIGN 7). */
	_mm_setcsr(_mm_getcsr() | _MM_FLUSH_ZERO_ON | _MM_DENORMALS_ZERO_ON);

	atomic_store_explicit(&e->rt->running, 1, RLX);
	atomic_store_explicit(&e->rt->nframes, io->nframes, RLX);
	if (io->midi)
		io->midi->n = 0;
	if (atomic_load_explicit(&e->rt->rate_mismatch, RLX)) {
		/* Stored positions belong to one rate: go silent, record nothing. */
		silence_outputs(io);
		drain(e, e->frame);
		return;
	}
	start = timeline(e, io);
	end = start + io->nframes;
	publish_cycle(e, io, start);
	if (io->midi_in) {
		/* an external clock, for the daemon to follow (clockin.c) */
		uint32_t k;
		for (k = 0; k < io->midi_in->n && k < JL_MIDI_IN_MAX; k++)
			if (io->midi_in->off[k] < io->nframes)
				emit(e, JL_EVT_MIDI_RT, 0, io->midi_in->byte[k], start + io->midi_in->off[k]);
	}
	drain(e, start);

	for (f = start; f < end;) {
		uint64_t stop = f + JL_BLOCK < end ? f + JL_BLOCK : end;
		stop = next_target(e, f, stop);
		e->frame = f;
		sub_block(e, io, (uint32_t)(f - start), (uint32_t)(stop - f), f, start);
		f = stop;
	}
	e->frame = end;
	publish(e);
}

void jl_engine_xrun_rt(struct jl_engine *e)
{
	count(&e->rt->xruns);
}

uint64_t jl_engine_frame(const struct jl_engine *e)
{
	return e->frame;
}
