/* test_midi.c - MIDI translation as pure functions on hand-built events
 * (there is no /dev/snd/seq here), and graceful start without a sequencer. */
#include <poll.h>
#include <string.h>

#include "../loopctl/commands.h"
#include "../loopctl/midi.h"
#include "th.h"

static snd_seq_event_t note(int type, int ch, int n, int vel)
{
	snd_seq_event_t e;
	memset(&e, 0, sizeof(e));
	e.type = (snd_seq_event_type_t)type;
	e.data.note.channel = (unsigned char)ch;
	e.data.note.note = (unsigned char)n;
	e.data.note.velocity = (unsigned char)vel;
	return e;
}

static snd_seq_event_t cc(int ch, int param, int value)
{
	snd_seq_event_t e;
	memset(&e, 0, sizeof(e));
	e.type = SND_SEQ_EVENT_CONTROLLER;
	e.data.control.channel = (unsigned char)ch;
	e.data.control.param = (unsigned)param;
	e.data.control.value = value;
	return e;
}

int main(void)
{
	static const struct jl_midi_binding map[] = {
		{ JL_MIDI_NOTE, 0, 60, "record 1" },
		{ JL_MIDI_NOTE, 255, 61, "undo" },
		{ JL_MIDI_CC, 3, 80, "toggle 2" },
		{ JL_MIDI_PC, 255, 5, "select 5" },
		{ 0, 0, 0, NULL },
	};
	snd_seq_event_t e;
	const struct jl_midi_binding *b;
	char err[256];
	struct jl_midi *m;

	e = note(SND_SEQ_EVENT_NOTEON, 0, 60, 100);
	TH_CHECK(jl_midi_translate(&e, map) && !strcmp(jl_midi_translate(&e, map), "record 1"), "note-on maps");
	e = note(SND_SEQ_EVENT_NOTEON, 1, 60, 100);
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "channel filter");
	e = note(SND_SEQ_EVENT_NOTEON, 9, 61, 1);
	TH_CHECK(jl_midi_translate(&e, map) && !strcmp(jl_midi_translate(&e, map), "undo"), "any channel");
	e = note(SND_SEQ_EVENT_NOTEON, 0, 60, 0);
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "velocity 0 is a note-off");
	e = note(SND_SEQ_EVENT_NOTEOFF, 0, 60, 64);
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "note-off ignored");
	e = cc(3, 80, 127);
	TH_CHECK(jl_midi_translate(&e, map) && !strcmp(jl_midi_translate(&e, map), "toggle 2"), "pedal press");
	e = cc(3, 80, 0);
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "pedal release ignored");
	e = cc(3, 80, 63);
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "below the press threshold");
	memset(&e, 0, sizeof(e));
	e.type = SND_SEQ_EVENT_PGMCHANGE;
	e.data.control.value = 5;
	TH_CHECK(jl_midi_translate(&e, map) && !strcmp(jl_midi_translate(&e, map), "select 5"), "program change");
	e.type = SND_SEQ_EVENT_CLOCK;
	TH_CHECK(jl_midi_translate(&e, map) == NULL, "clock is not a command");

	/* Timestamps: a real-time queue stamp wins over the processing time. */
	memset(&e, 0, sizeof(e));
	e.flags = SND_SEQ_TIME_STAMP_REAL;
	e.time.time.tv_sec = 2;
	e.time.time.tv_nsec = 500000;
	TH_CHECK(jl_midi_event_time_us(&e, 1000000, 9999999) == 3000500, "queue stamp -> realtime us");
	e.flags = SND_SEQ_TIME_STAMP_TICK;
	TH_CHECK(jl_midi_event_time_us(&e, 1000000, 9999999) == 9999999, "no real stamp: processing time");

	/* Every default binding names a command of the one command table. */
	for (b = jl_midi_default_map; b->kind; b++) {
		char word[32];
		size_t n = strcspn(b->command, " ");
		memcpy(word, b->command, n);
		word[n] = 0;
		TH_CHECK(jl_command_find(word) != NULL,
			 "default map names '%s'", word);
	}

	/* No /dev/snd/seq: a clear reason, no crash. */
	m = jl_midi_open("jackloop test", err, sizeof(err));
	if (m) {
		struct pollfd pfd[8];
		TH_CHECK(jl_midi_fds(m, pfd, 8) > 0, "with a sequencer: its poll descriptors");
		jl_midi_close(m);
	} else {
		TH_CHECK(strstr(err, "MIDI input disabled") != NULL, "graceful without a sequencer: %s", err);
	}
	return TH_REPORT();
}
