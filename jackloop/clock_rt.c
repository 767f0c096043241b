/* clock_rt.c - MIDI clock out: 24 ticks (0xF8) per beat of the click grid,
 * sample-exact, with Start (0xFA) on a downbeat and Stop (0xFC).
 *
 * The grid is the one JL_CMD_CLICK sets (the loop's beats, or the preset
 * or detected tempo before a loop): beat k at origin + floor(k * span /
 * beats), so tick j is at origin + floor(j * span / (24 * beats)), computed
 * from j and never accumulated (DESIGN 2.6); tick 24k is beat k exactly.
 *
 * A receiver starts on the first tick after a Start, so the engine sends
 * Start together with the tick of the grid's next downbeat (a beat k with
 * k % per_bar == 0): a drum machine starts on the loop's "one".  Ticks run
 * from the grid's origin on, before the Start too, so a receiver can lock
 * to the tempo first.  A different grid (a new loop, a new tempo) or the
 * clock turned off sends Stop at once; the new grid starts again on its
 * next downbeat.  A grid that goes on where the old one is (the same grid
 * sent again, the first loop made on the preset tempo's bars, a followed
 * external clock's drift corrected: the same beats per bar, the beat
 * within 0.1 % and the next downbeat within 2 ms) keeps the receiver
 * running, without a tick sent twice or lost.  No grid: no ticks.
 *
 * An offset (JL_CMD_MIDI_CLOCK, at most 100 ms either way) sends every
 * tick that much later or earlier than its grid frame: a hardware port's
 * MIDI latency differs from the audio path's, and the receiver's sound
 * should meet the loop's in the room. */
#include "engine_priv.h"

#define MIDI_CLOCK 0xF8u
#define MIDI_START 0xFAu
#define MIDI_STOP 0xFCu
#define TICKS_PER_BEAT 24u
#define MIN_TICK_FRAMES 16u /* a faster grid sends no clock (>7500 BPM at 48 kHz) */

/* At most one tick per MIN_TICK_FRAMES plus a Start and a Stop: 515
 * bytes in JACK's largest period (8192 frames), so the buffer never
 * fills; the bound is only a guard. */
static void emit_rt(const struct jl_engine_io *io, uint32_t off, uint8_t b)
{
	struct jl_midi_out *m = io->midi;
	if (!m || m->n >= JL_MIDI_OUT_MAX)
		return;
	m->off[m->n] = off;
	m->byte[m->n] = b;
	m->n++;
}

/* Frames from f to a grid's next downbeat (at or after f), bar frames a
 * bar. */
static uint64_t to_downbeat_rt(uint64_t f, uint64_t org, uint64_t bar)
{
	if (f <= org)
		return (org - f) % bar;
	return (bar - (f - org) % bar) % bar;
}

/* Does the new grid go on where the old one is, at frame f: the same bar
 * (beats per bar), its beat within 0.1 %, and its next downbeat within
 * 2 ms of the old one's?  That is the same grid sent again (the click
 * switched on or off), the first loop made on the preset tempo's bars,
 * or a followed external clock's drift corrected (clockin.c). */
static int same_grid_rt(const struct jl_engine *e, uint64_t f, uint64_t origin, uint64_t span, uint32_t beats,
			uint32_t per_bar)
{
	uint64_t tol = e->fx_ctx.rate / 500u, pb = per_bar ? per_bar : 1, bar_o, bar_n, d_o, d_n, d;
	if (!beats || !e->click_beats || !e->click_span || per_bar != e->click_per_bar)
		return 0;
	/* beat lengths span/beats within 0.1 %: |span*ob - os*beats| * 1000 <= os*beats */
	{
		uint64_t a = span * e->click_beats, b = e->click_span * beats;
		if ((a > b ? a - b : b - a) * 1000u > b)
			return 0;
	}
	bar_o = e->click_span * pb / e->click_beats;
	bar_n = span * pb / beats;
	if (!bar_o || !bar_n)
		return 0;
	d_o = to_downbeat_rt(f, e->click_origin, bar_o);
	d_n = to_downbeat_rt(f, origin, bar_n);
	d = d_o > d_n ? d_o - d_n : d_n - d_o;
	return d <= tol || (bar_n > d && bar_n - d <= tol);
}

/* Called when JL_CMD_CLICK applies (at e->frame), before the engine takes
 * the new grid.  A grid that goes on where the old one is keeps the
 * receiver running; the first tick on it is then checked against the
 * last one sent (jl_clock_process_rt), so no tick is sent twice or lost. */
void jl_clock_grid_rt(struct jl_engine *e, uint64_t origin, uint64_t span, uint32_t beats, uint32_t per_bar)
{
	if (same_grid_rt(e, e->frame, origin, span, beats, per_bar)) {
		e->mclk_join = 1;
		return;
	}
	if (e->mclk_running)
		e->mclk_stop_due = 1;
	e->mclk_running = 0;
	e->mclk_start_due = 1;
	e->mclk_join = 0;
}

void jl_clock_enable_rt(struct jl_engine *e, int on, int32_t offset)
{
	if (on && e->mclk_on && offset != e->mclk_offset) {
		/* the ticks jump: a new start, as for a new grid */
		if (e->mclk_running)
			e->mclk_stop_due = 1;
		e->mclk_running = 0;
		e->mclk_start_due = 1;
	}
	e->mclk_offset = offset;
	if (on && !e->mclk_on)
		e->mclk_start_due = 1;
	if (!on) {
		if (e->mclk_running)
			e->mclk_stop_due = 1;
		e->mclk_running = 0;
		e->mclk_start_due = 0;
		e->mclk_join = 0;
		e->mclk_last = 0;
	}
	e->mclk_on = (uint8_t)(on != 0);
}

/* The ticks that go out in [f, f + n) (at offsets off.. of the cycle):
 * those of grid frames [f - offset, f + n - offset). */
void jl_clock_process_rt(struct jl_engine *e, const struct jl_engine_io *io, uint32_t off, uint64_t f, uint32_t n)
{
	uint64_t org = e->click_origin, span = e->click_span, T, j, bar, lo, hi;
	int64_t d = e->mclk_offset;
	if (e->mclk_stop_due) {
		emit_rt(io, off, MIDI_STOP);
		e->mclk_stop_due = 0;
	}
	if (d > 0 && (uint64_t)d > f)
		return; /* the engine's first frames */
	lo = (uint64_t)((int64_t)f - d);
	hi = lo + n;
	if (!e->mclk_on || !e->click_beats || hi <= org)
		return;
	T = (uint64_t)TICKS_PER_BEAT * e->click_beats; /* ticks per span */
	if (span < T * MIN_TICK_FRAMES)
		return;
	bar = (uint64_t)TICKS_PER_BEAT * (e->click_per_bar ? e->click_per_bar : 1);
	/* the first tick at or after lo: j = ceil((lo - org) * T / span) */
	j = lo > org ? ((lo - org) * T + span - 1) / span : 0;
	if (e->mclk_join) {
		/* the first block on a grid that goes on from the old one: its
		 * first tick within half a tick of the last one sent is that
		 * tick again (skipped); more than a tick and a half after it,
		 * one was lost in the switch and goes out now */
		uint64_t iv = span / T, last = (uint64_t)((int64_t)e->mclk_last - d), t1 = org + j * span / T;
		e->mclk_join = 0;
		e->mclk_skip = 0;
		if (e->mclk_last && t1 < last + iv / 2)
			e->mclk_skip = j + 1;
		else if (e->mclk_last && t1 > last + iv + iv / 2 && e->mclk_running)
			emit_rt(io, off, MIDI_CLOCK);
	}
	for (;; j++) {
		uint64_t t = org + j * span / T;
		if (t >= hi)
			break;
		if (e->mclk_skip == j + 1) {
			e->mclk_skip = 0;
			continue;
		}
		if (e->mclk_start_due && j % bar == 0) {
			emit_rt(io, off + (uint32_t)(t - lo), MIDI_START);
			e->mclk_start_due = 0;
			e->mclk_running = 1;
		}
		emit_rt(io, off + (uint32_t)(t - lo), MIDI_CLOCK);
		e->mclk_last = t + (uint64_t)d;
	}
}
