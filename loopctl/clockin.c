/* clockin.c - an external MIDI clock's tempo and downbeat (clockin.h). */
#include "clockin.h"

#include <math.h>
#include <string.h>

#define TICKS_PER_BEAT 24.0
#define STALE_S 0.5 /* no clock for this long: the clock has stopped */

void jl_clockin_init(struct jl_clockin *c, uint32_t rate)
{
	memset(c, 0, sizeof(*c));
	c->rate = rate;
}

void jl_clockin_feed(struct jl_clockin *c, uint8_t byte, uint64_t frame)
{
	switch (byte) {
	case 0xF8:
		/* a gap of more than STALE_S starts the fit over: a new tempo */
		if (c->last && frame - c->last > (uint64_t)(STALE_S * c->rate))
			c->n = 0;
		if (c->gap_fpc > 0) {
			/* the first clock after skipped frames: count the lost ones */
			double lost = c->last ? (double)(frame - c->last) / c->gap_fpc - 1.0 : 0.0;
			if (c->downbeat && c->running && lost >= 0.5 && lost < 24.0 * 64)
				c->ticks += (uint64_t)llround(lost);
			c->gap_fpc = 0;
			c->n = 0;
		}
		c->f[c->head] = frame;
		c->head = (c->head + 1) % JL_CLOCKIN_N;
		if (c->n < JL_CLOCKIN_N)
			c->n++;
		c->last = frame;
		if (c->start_pending) {
			c->downbeat = frame;
			c->start_pending = 0;
			c->ticks = 0;
		} else if (c->downbeat && c->running) {
			c->ticks++; /* the song position moves only while running */
		} else {
			break;
		}
		if (c->downbeat && c->ticks % 24 == 0) {
			c->beats = c->ticks / 24;
			c->beat_frame = frame;
		}
		break;
	case 0xFA:
		c->start_pending = 1;
		c->downbeat = 0;
		c->beat_frame = 0;
		c->running = 1;
		break;
	case 0xFB:
		c->running = 1;
		break;
	case 0xFC:
		c->running = 0;
		c->start_pending = 0;
		break;
	default:
		break;
	}
}

void jl_clockin_gap(struct jl_clockin *c)
{
	double fpb;
	if (!c->gap_fpc && jl_clockin_tempo(c, c->last, &fpb))
		c->gap_fpc = fpb / TICKS_PER_BEAT;
}

int jl_clockin_tempo(const struct jl_clockin *c, uint64_t now, double *frames_per_beat)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, n = c->n, den;
	uint64_t base;
	uint32_t i;
	if (c->n < JL_CLOCKIN_MIN || now < c->last || now - c->last > (uint64_t)(STALE_S * c->rate))
		return 0;
	/* clock k of the fit (oldest first) at frame y_k: slope of y over k */
	base = c->f[(c->head + JL_CLOCKIN_N - c->n) % JL_CLOCKIN_N];
	for (i = 0; i < c->n; i++) {
		double y = (double)(c->f[(c->head + JL_CLOCKIN_N - c->n + i) % JL_CLOCKIN_N] - base);
		sx += i;
		sy += y;
		sxx += (double)i * i;
		sxy += (double)i * y;
	}
	den = n * sxx - sx * sx;
	if (den <= 0)
		return 0;
	*frames_per_beat = TICKS_PER_BEAT * (n * sxy - sx * sy) / den;
	return *frames_per_beat > 0;
}
