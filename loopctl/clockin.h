/* clockin.h - following an external MIDI clock (jackloop's clock_in port).
 *
 * Pure functions over the real-time messages the engine timestamped with
 * their engine frames: Clock (0xF8), Start (0xFA), Continue (0xFB), Stop
 * (0xFC).  The tempo is the least-squares slope of the last clocks' frames
 * against their count (24 per beat), so the jitter of a hardware port
 * averages out; the downbeat is the first clock after a Start (song
 * position 0: bar 1, beat 1).  No allocation. */
#ifndef JL_CLOCKIN_H
#define JL_CLOCKIN_H

#include <stdint.h>

#define JL_CLOCKIN_N 96		/* clocks in the fit: 4 beats */
#define JL_CLOCKIN_MIN 24	/* a tempo needs this many (one beat) */

struct jl_clockin {
	uint32_t rate;
	uint64_t f[JL_CLOCKIN_N];	/* recent clock frames, a ring */
	uint32_t n, head;		/* clocks in the ring; next slot */
	uint64_t last;			/* frame of the latest clock (0 = none) */
	uint64_t downbeat;		/* the first clock after the latest Start */
	int start_pending;		/* a Start came; the next clock is the downbeat */
	int running;			/* between Start/Continue and Stop */
	uint64_t ticks;			/* clocks since the downbeat (it is 0) */
	uint64_t beats;			/* ... in beats: the latest beat's number */
	uint64_t beat_frame;		/* ... and its frame (0 = none since a Start) */
	double gap_fpc;			/* after frames were skipped: the frames per clock before */
};

void jl_clockin_init(struct jl_clockin *c, uint32_t rate);

/* One real-time message at an engine frame (frames never go back). */
void jl_clockin_feed(struct jl_clockin *c, uint8_t byte, uint64_t frame);

/* JACK skipped frames (an xrun): the clocks in them are lost.  The next
 * clock moves the song position by as many clocks as fit in the time
 * since the last one, and the tempo fit starts over. */
void jl_clockin_gap(struct jl_clockin *c);

/* The external tempo at engine frame `now`: 1 and the frames per beat if
 * clocks arrive (at least JL_CLOCKIN_MIN of them, the latest less than
 * 0.5 s before `now`), else 0. */
int jl_clockin_tempo(const struct jl_clockin *c, uint64_t now, double *frames_per_beat);

#endif
