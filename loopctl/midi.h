/* midi.h - MIDI input: ALSA sequencer client plus pure translation from
 * snd_seq_event_t to command lines of the command table (commands.h). */
#ifndef JL_MIDI_H
#define JL_MIDI_H

#include <alsa/asoundlib.h>
#include <stddef.h>
#include <stdint.h>

enum jl_midi_kind { JL_MIDI_NOTE = 1, JL_MIDI_CC, JL_MIDI_PC, JL_MIDI_FADER, JL_MIDI_CC_RELEASE, JL_MIDI_NOTE_OFF };

/* "cc", "note", "pc", "fader", "cc-release", "note-off": the map file's
 * section and the name in listings. */
const char *jl_midi_kind_name(uint8_t kind);

struct jl_midi_binding {
	uint8_t kind;		/* enum jl_midi_kind */
	uint8_t channel;	/* 0..15, or 255 for any */
	uint8_t number;		/* note, controller or program */
	const char *command;	/* a command line, e.g. "record"; a fader's gets the value */
	double lo, hi;		/* a fader (a controller's every value): 0 -> lo, 127 -> hi */
};

/* The built-in map (a 4-switch foot controller sending CC 80..83, pads
 * sending notes 36..43).  Terminated by kind 0. */
extern const struct jl_midi_binding jl_midi_default_map[];

/* What a pedal was last seen at: each controller's last value, per
 * channel (zeroed: all released).  A press is a crossing from below 64 to
 * 64 or more, not every value above it: a continuous or half-damper pedal
 * sends 70, 100, 127, 90 in one press, and a switch may repeat 127. */
struct jl_midi_state {
	uint8_t cc[16][128];
};

/* Pure, but for the state it updates: which command line, if any, does
 * this event trigger?  A note-on with velocity > 0, a CC crossing from
 * below 64 to 64 or more (a pedal press: the values that follow while it
 * stays at 64 or more do nothing) or a program change; and, for the
 * release bindings, a CC crossing back below 64 (the pedal let go) or a
 * note-off (or a note-on with velocity 0).
 * Every controller event must pass through it (or jl_midi_command_line),
 * in order, with the same state.  Returns the command or NULL. */
const char *jl_midi_translate(const snd_seq_event_t *ev, const struct jl_midi_binding *map,
			      struct jl_midi_state *st);

/* The command line this event runs, into out: a press as above, or a
 * fader's command with the controller's value scaled from 0..127 to
 * lo..hi appended (an expression pedal on "master-gain": "master-gain
 * -12.5"), for each value it sends.  Returns 1, or 0 when the event runs
 * nothing.  Notes controller values in st as jl_midi_translate does. */
int jl_midi_command_line(const snd_seq_event_t *ev, const struct jl_midi_binding *map, struct jl_midi_state *st,
			 char *out, size_t n);

/* Pure: the event's arrival in CLOCK_REALTIME microseconds, from its ALSA
 * real-time queue stamp and the queue's start time; falls back to
 * `now_rt_us` for events without a real-time stamp. */
uint64_t jl_midi_event_time_us(const snd_seq_event_t *ev, uint64_t queue_start_rt_us, uint64_t now_rt_us);

/* A map read from an INI file (loopctl serve --midi-map, loopctl midi-map):
 *
 *   [cc]            ; a controller crossing from < 64 to >= 64 (a pedal press)
 *   80 = record
 *   2/81 = undo     ; on channel 2 only (channels 1..16)
 *   [cc-release]    ; the same controller back below 64 (the pedal let go)
 *   84 = unmute 1   ; with [cc] 84 = mute 1: muted while held
 *   [note]          ; a note-on
 *   36 = capture --bars 2
 *   [note-off]      ; a note-off (or a note-on with velocity 0)
 *   37 = unmute all
 *   [pc]            ; a program change
 *   5 = clear all
 *   [fader]         ; every value of a controller: an expression pedal
 *   7 = master-gain -40 6   ; 0..127 -> -40..6, appended to the command
 *
 * Each binding at most once; a command is a command line of the command
 * table, at most JL_MIDI_CMD_WORDS words and JL_MIDI_CMD_LEN - 1
 * characters.  A binding or section line starts at the start of the line
 * and has at most 199 characters (inih's line); comments may be indented
 * and of any length. */
#define JL_MIDI_MAP_MAX 512
#define JL_MIDI_CMD_LEN 128
#define JL_MIDI_CMD_WORDS 7
struct jl_midi_map {
	size_t n;
	char file[1024];
	struct jl_midi_binding b[JL_MIDI_MAP_MAX + 1];	/* terminated by kind 0 */
	char cmd[JL_MIDI_MAP_MAX][JL_MIDI_CMD_LEN];
};

/* Reads a map.  `known` says whether a word names a command the map may
 * bind.  Returns the map, or NULL with the reason in err ("FILE:LINE:
 * ..."); nothing is kept of a file with any error. */
struct jl_midi_map *jl_midi_map_load(const char *path, int (*known)(const char *word), char *err, size_t n);
void jl_midi_map_free(struct jl_midi_map *m);

/* Pure: "cc 80", "note 36 (channel 2)", "pc 5", "fader cc 7" for a binding. */
void jl_midi_binding_name(const struct jl_midi_binding *b, char *out, size_t n);

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
