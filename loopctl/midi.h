/* midi.h - MIDI input: ALSA sequencer client plus pure translation from
 * snd_seq_event_t to command lines of the command table (commands.h). */
#ifndef JL_MIDI_H
#define JL_MIDI_H

#include <alsa/asoundlib.h>
#include <stddef.h>
#include <stdint.h>

enum jl_midi_kind { JL_MIDI_NOTE = 1, JL_MIDI_CC, JL_MIDI_PC };

struct jl_midi_binding {
	uint8_t kind;		/* enum jl_midi_kind */
	uint8_t channel;	/* 0..15, or 255 for any */
	uint8_t number;		/* note, controller or program */
	const char *command;	/* a command line, e.g. "record" */
};

/* The built-in map (a 4-switch foot controller sending CC 80..83, pads
 * sending notes 36..43).  Terminated by kind 0. */
extern const struct jl_midi_binding jl_midi_default_map[];

/* Pure: which command line, if any, does this event trigger?  A note-on
 * with velocity > 0, a CC crossing to >= 64 (a pedal press; release is
 * ignored) or a program change.  Returns the command or NULL. */
const char *jl_midi_translate(const snd_seq_event_t *ev, const struct jl_midi_binding *map);

/* Pure: the event's arrival in CLOCK_REALTIME microseconds, from its ALSA
 * real-time queue stamp and the queue's start time; falls back to
 * `now_rt_us` for events without a real-time stamp. */
uint64_t jl_midi_event_time_us(const snd_seq_event_t *ev, uint64_t queue_start_rt_us, uint64_t now_rt_us);

struct jl_midi;

/* Opens an ALSA sequencer client with one writable port.  Returns NULL with
 * a reason in err when there is no sequencer (no /dev/snd/seq): the daemon
 * carries on without MIDI. */
struct jl_midi *jl_midi_open(const char *client_name, char *err, size_t n);
void jl_midi_close(struct jl_midi *m);
/* Poll descriptors (at most max); returns how many were written. */
int jl_midi_fds(struct jl_midi *m, struct pollfd *pfd, int max);
/* Reads one pending event; returns 1 and fills *ev, 0 when none. */
int jl_midi_read(struct jl_midi *m, snd_seq_event_t *ev, uint64_t *queue_start_rt_us);

#endif
