/* test_midi.c - MIDI translation as pure functions on hand-built events
 * (there is no /dev/snd/seq here), graceful start without a sequencer, and
 * following an external MIDI clock (clockin.c). */
#include <math.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../loopctl/clockin.h"
#include "../loopctl/commands.h"
#include "../loopctl/daemon.h"
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

/* The pedals' last values, as the daemon keeps them. */
static struct jl_midi_state pedals;

/* The command an event runs, or "" (one call per event: a controller's
 * value is remembered, so a second call is no longer a press). */
static const char *xlate(const snd_seq_event_t *e, const struct jl_midi_binding *map)
{
	const char *c = jl_midi_translate(e, map, &pedals);
	return c ? c : "";
}

/* The external clock: tempo, downbeat, beats, Stop/Continue, staleness. */
static void test_clockin(void)
{
	struct jl_clockin c;
	double fpb = 0;
	uint64_t f = 1000000, k;
	uint32_t rnd = 12345;
	jl_clockin_init(&c, 48000);
	TH_CHECK(!jl_clockin_tempo(&c, f, &fpb) && c.downbeat == 0, "no clock: no tempo, no downbeat");
	/* 100 BPM: a clock every 1200 frames; Start before clock 30 */
	for (k = 0; k < 60; k++) {
		if (k == 30)
			jl_clockin_feed(&c, 0xFA, f + k * 1200);
		jl_clockin_feed(&c, 0xF8, f + k * 1200);
	}
	TH_CHECK(jl_clockin_tempo(&c, f + 59 * 1200, &fpb) && fpb == 28800.0,
		 "exact clocks: 28800 frames per beat (%.6f)", fpb);
	TH_CHECK(c.downbeat == f + 30 * 1200, "the downbeat is the first clock after Start");
	TH_CHECK(c.running && c.beats == 1 && c.beat_frame == f + 54 * 1200,
		 "beat 1 (the second) on clock 24 after the downbeat (beats %llu)", (unsigned long long)c.beats);
	TH_CHECK(!jl_clockin_tempo(&c, f + 59 * 1200 + 24001, &fpb), "no clock for 0.5 s: no tempo");
	/* Stop: the song position holds while clocks go on; Continue resumes */
	jl_clockin_feed(&c, 0xFC, f + 60 * 1200);
	for (k = 60; k < 90; k++)
		jl_clockin_feed(&c, 0xF8, f + k * 1200);
	TH_CHECK(!c.running && c.ticks == 29, "stopped: clocks do not move the position (%llu)",
		 (unsigned long long)c.ticks);
	jl_clockin_feed(&c, 0xFB, f + 90 * 1200);
	for (k = 90; k < 120; k++)
		jl_clockin_feed(&c, 0xF8, f + k * 1200);
	TH_CHECK(c.running && c.ticks == 59 && c.beats == 2, "Continue: the position moves on (%llu)",
		 (unsigned long long)c.ticks);
	/* a second later, a new tempo (120 BPM) with jitter of +-48 frames
	 * (1 ms, a hardware port): the fit over 96 clocks has a standard
	 * error of ~0.1 frame per clock, 2.5 frames per beat; 12 is 5 of it */
	f += 120 * 1200 + 48000;
	for (k = 0; k < 200; k++) {
		rnd = rnd * 1664525u + 1013904223u;
		jl_clockin_feed(&c, 0xF8, f + k * 1000 + (rnd >> 16) % 97 - 48);
	}
	TH_CHECK(jl_clockin_tempo(&c, f + 199 * 1000 + 48, &fpb) && fabs(fpb - 24000.0) < 12.0,
		 "jittered clocks at 120 BPM: %.2f frames per beat (24000)", fpb);
	/* a new Start moves the downbeat */
	jl_clockin_feed(&c, 0xFA, f + 200 * 1000);
	TH_CHECK(c.beat_frame == 0, "a Start forgets the old beats");
	jl_clockin_feed(&c, 0xF8, f + 200 * 1000);
	TH_CHECK(c.downbeat == f + 200 * 1000 && c.beat_frame == c.downbeat && c.beats == 0,
		 "the new downbeat is beat 0");
	jl_clockin_feed(&c, 0x90, f + 200 * 1000 + 1);
	TH_CHECK(c.running && c.ticks == 0, "other bytes change nothing");

	/* an xrun drops clocks 70..79 of a 100 BPM clock: the song position
	 * counts them, and the tempo is measured again from the next ones */
	jl_clockin_init(&c, 48000);
	f = 5000000;
	for (k = 0; k < 130; k++) {
		if (k == 30)
			jl_clockin_feed(&c, 0xFA, f + k * 1200);
		if (k == 70)
			jl_clockin_gap(&c);
		if (k >= 70 && k < 80)
			continue;
		jl_clockin_feed(&c, 0xF8, f + k * 1200);
		if (k == 90)
			TH_CHECK(!jl_clockin_tempo(&c, f + k * 1200, &fpb), "after the gap the tempo is measured again");
	}
	TH_CHECK(c.ticks == 99 && c.beats == 4 && c.beat_frame == f + 126 * 1200,
		 "the lost clocks are counted: position %llu (99), beat %llu at clock %lld (126)",
		 (unsigned long long)c.ticks, (unsigned long long)c.beats, (long long)(c.beat_frame - f) / 1200);
	TH_CHECK(jl_clockin_tempo(&c, f + 129 * 1200, &fpb) && fpb == 28800.0,
		 "and the new fit is exact again (%.3f)", fpb);
}

/* Writes text to a scratch file and loads it as a map. */
static struct jl_midi_map *load_text(const char *text, char *err, size_t n)
{
	static char path[64];
	FILE *f;
	snprintf(path, sizeof(path), "/tmp/jl-midimap-%d.ini", (int)getpid());
	f = fopen(path, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return jl_midi_map_load(path, jl_midi_command_ok, err, n);
}

/* A bad map is refused with FILE:LINE and the reason. */
static void map_refused(const char *text, int line, const char *why)
{
	char err[512], want[32];
	struct jl_midi_map *m = load_text(text, err, sizeof(err));
	snprintf(want, sizeof(want), ".ini:%d: ", line);
	TH_CHECK(!m && strstr(err, want) && strstr(err, why), "refused at line %d, '%s': %s", line, why, m ? "(loaded)" : err);
	jl_midi_map_free(m);
}

/* inih reads 199 characters of a line at a time and parsed the rest of a
 * longer one as a line of its own (a binding at the end of a long comment
 * was loaded), and took an indented line for more of the value before it.
 * A binding line that long, or indented, is refused with its line; a
 * comment may be long and indented. */
static void test_long_and_indented_lines(void)
{
	char text[2048], err[512], pad[400];
	struct jl_midi_map *m;
	memset(pad, 'x', sizeof(pad));
	/* a long comment hiding "81 = undo" where inih's 200-byte read ends */
	snprintf(text, sizeof(text), "[cc]\n80 = record\n; %.*s81 = undo\n82 = toggle\n", 197, pad);
	m = load_text(text, err, sizeof(err));
	TH_CHECK(m && m->n == 2 && !strcmp(m->b[1].command, "toggle"),
		 "a long comment is a comment, to its end: 2 bindings (%s)", m ? "" : err);
	jl_midi_map_free(m);
	/* after a comment of 300 characters, the lines are counted right */
	snprintf(text, sizeof(text), "[cc]\n;%.*s\n80 = rekord\n", 300, pad);
	map_refused(text, 3, "'rekord' is not a command");
	/* a binding line of 200 characters is refused; 199 loads */
	snprintf(text, sizeof(text), "[cc]\n80 = record ;%.*s81 = undo\n", 200 - 13 - 9, pad);
	map_refused(text, 2, "the line is longer than 199 characters");
	snprintf(text, sizeof(text), "[cc]\n80 = record%*s\n", 199 - 11, "");
	m = load_text(text, err, sizeof(err));
	TH_CHECK(m && m->n == 1, "a line of 199 characters loads (%s)", m ? "" : err);
	jl_midi_map_free(m);
	snprintf(text, sizeof(text), "[cc]\n80 = record\n;\n%.*s\n", 600, pad);
	map_refused(text, 4, "longer than 199 characters");
	/* indented */
	map_refused("[cc]\n80 = record\n  81 = undo\n", 3, "'81 = undo' is indented");
	map_refused("[cc]\n\t80 = record\n", 2, "is indented");
	map_refused("[cc]\n80 = record\n  [note]\n36 = undo\n", 3, "'[note]' is indented");
	m = load_text("[cc]\n80 = record\n   ; a comment\n  \t\n81 = undo\n", err, sizeof(err));
	TH_CHECK(m && m->n == 2, "an indented comment and a blank line of spaces are fine (%s)", m ? "" : err);
	jl_midi_map_free(m);
	m = load_text("\xEF\xBB\xBF[cc]\n80 = record\n", err, sizeof(err));
	TH_CHECK(m && m->n == 1, "a UTF-8 byte order mark is not an indent (%s)", m ? "" : err);
	jl_midi_map_free(m);
}

/* The pedal map from an INI file: bindings, channels, every refusal. */
static void test_map_file(void)
{
	char err[512], name[48], big[40000];
	struct jl_midi_map *m;
	snd_seq_event_t e;
	int k, o;
	m = load_text("; a foot controller\n[cc]\n20 = record\n21 = undo\n\n[note]\n10/36 = capture --bars 2\n37 = "
		      "mute all\n[PC]\n1 = tap\n",
		      err, sizeof(err));
	TH_CHECK(m && m->n == 5, "a map of 5 bindings loads (%s)", m ? "" : err);
	if (!m)
		return;
	e = cc(4, 20, 127);
	TH_CHECK(!strcmp(xlate(&e, m->b), "record"), "cc 20 on any channel: record");
	e = cc(4, 20, 0);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "its release does nothing");
	e = note(SND_SEQ_EVENT_NOTEON, 9, 36, 90);
	TH_CHECK(!strcmp(xlate(&e, m->b), "capture --bars 2"),
		 "note 36 on channel 10: a command with arguments");
	e = note(SND_SEQ_EVENT_NOTEON, 0, 36, 90);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "note 36 on channel 1: nothing (the binding is for channel 10)");
	e = cc(0, 80, 127);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "the built-in CC 80 is not in this map");
	memset(&e, 0, sizeof(e));
	e.type = SND_SEQ_EVENT_PGMCHANGE;
	e.data.control.value = 1;
	TH_CHECK(!strcmp(xlate(&e, m->b), "tap"), "program change 1: tap ([PC] in capitals)");
	jl_midi_binding_name(&m->b[2], name, sizeof(name));
	TH_CHECK(!strcmp(name, "note 36 (channel 10)"), "a binding's name: %s", name);
	jl_midi_binding_name(&m->b[0], name, sizeof(name));
	TH_CHECK(!strcmp(name, "cc 20"), "a binding's name: %s", name);
	TH_CHECK(m->b[5].kind == 0, "the map ends with kind 0");
	jl_midi_map_free(m);

	static const struct {
		const char *text;
		int line;	/* where it is refused (a section: at its first binding) */
		const char *why;
	} bad[] = {
		{ "80 = record\n", 1, "outside a section" },
		{ "[cc]\n80 = record\n[knob]\n1 = undo\n", 4, "unknown section [knob]" },
		{ "[cc]\n128 = record\n", 2, "not a controller number 0..127" },
		{ "[note]\nx = record\n", 2, "not a note number" },
		{ "[note]\n-1 = record\n", 2, "not a note number" },
		{ "[cc]\n17/1 = record\n", 2, "the channel must be 1..16" },
		{ "[cc]\n0/1 = record\n", 2, "the channel must be 1..16" },
		{ "[cc]\n80 = record\n80 = undo\n", 3, "bound twice" },
		{ "[cc]\n2/80 = record\n80 = undo\n", 3, "bound twice" },
		{ "[cc]\n80 = record\n3/80 = undo\n", 3, "bound twice" },
		{ "[cc]\n80 =\n", 2, "has no command" },
		{ "[cc]\n80 = rekord\n", 2, "'rekord' is not a command" },
		{ "[cc]\n80 = watch\n", 2, "'watch' is not a command" },
		{ "[cc]\n80 = at next-cycle record 1 --cycles 2 --bars 1\n", 2, "more than 7 words" },
		{ "[pc]\n1 = tap\n2 = load /a/very/long/path/that/goes/on/and/on/and/on/and/on/and/on/and/on/and/on/"
		    "and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on/and/on\n", 3, "longer than 127 characters" },
		{ "[cc]\n80 record\n", 2, "not NUMBER = COMMAND" },
		{ "[fader]\n7 = master-gain\n", 2, "a fader is 'COMMAND... LOW HIGH'" },
		{ "[fader]\n7 = master-gain x 6\n", 2, "'x': LOW is not a number" },
		{ "[fader]\n7 = master-gain -40 6dB\n", 2, "'6dB': HIGH is not a number" },
		{ "[fader]\n7 = volume -40 6\n", 2, "'volume' is not a command" },
		{ "[cc]\n7 = record\n[fader]\n7 = master-gain -40 6\n", 4, "bound twice" },
		{ "[cc-release]\n7 = record\n[fader]\n7 = master-gain -40 6\n", 4, "bound twice" },
		{ "[fader]\n7 = master-gain -40 6\n[cc-release]\n7 = undo\n", 4, "bound twice" },
		{ "[cc-release]\n80 = record\n80 = undo\n", 3, "bound twice" },
		{ "[note-off]\n36 = record\n2/36 = undo\n", 3, "bound twice" },
		{ "[note-off]\n128 = record\n", 2, "not a note number" },
		{ "[cc-release]\n128 = record\n", 2, "not a controller number" },
		{ "[cc-off]\n80 = record\n", 2, "unknown section [cc-off] (the sections are [cc], [cc-release], [note], "
					   "[note-off], [pc] and [fader])" },
		/* the line reported is the first wrong one, with its own reason */
		{ "[cc]\ngarbage\n80 = bogus\n", 2, "not NUMBER = COMMAND" },
		{ "[cc]\n80 = bogus\ngarbage\n", 2, "'bogus' is not a command" },
		{ "[cc\n80 = bogus\n", 1, "not NUMBER = COMMAND or [SECTION]" },
		{ "[cc]\n80 = record\nx\n[knob]\n1 = undo\n", 3, "not NUMBER = COMMAND" },
	};
	for (k = 0; k < (int)(sizeof(bad) / sizeof(bad[0])); k++)
		map_refused(bad[k].text, bad[k].line, bad[k].why);
	m = load_text("; nothing but a comment\n[cc]\n", err, sizeof(err));
	TH_CHECK(!m && strstr(err, "no bindings"), "a map without bindings is refused: %s", m ? "(loaded)" : err);
	jl_midi_map_free(m);
	for (o = 0, k = 0; k < 640; k++)
		o += snprintf(big + o, sizeof(big) - (size_t)o, "%s%d/%d = tap\n", k ? "" : "[cc]\n", k / 128 + 1, k % 128);
	map_refused(big, 514, "more than 512 bindings");
	test_long_and_indented_lines();
	m = jl_midi_map_load("/nonexistent/map.ini", jl_midi_command_ok, err, sizeof(err));
	TH_CHECK(!m && strstr(err, "/nonexistent/map.ini: cannot open"), "a missing file: %s", m ? "(loaded)" : err);
	m = load_text("[cc]\n80 = record\n", err, sizeof(err));
	TH_CHECK(m && m->n == 1, "a one-line map loads");
	jl_midi_map_free(m);
}

/* Faders: a controller's every value, scaled into the command's last word. */
static void test_faders(void)
{
	char err[512], line[JL_MIDI_CMD_LEN], name[48];
	struct jl_midi_map *m = load_text("[fader]\n7 = master-gain -40 6\n2/11 = gain 1 -60 0\n[cc]\n20 = record\n", err,
					  sizeof(err));
	snd_seq_event_t e;
	TH_CHECK(m && m->n == 3, "a map with two faders loads (%s)", m ? "" : err);
	if (!m)
		return;
	static const struct {
		int ch, num, value;	/* a controller event (channel 0-based) */
		const char *want;	/* the command line it runs, NULL none */
	} cases[] = {
		{ 5, 7, 0, "master-gain -40.00" },	/* the low end */
		{ 5, 7, 127, "master-gain 6.00" },	/* the high end */
		{ 5, 7, 64, "master-gain -16.82" },	/* -40 + 46 x 64 / 127 */
		{ 1, 11, 64, "gain 1 -29.76" },		/* channel 2: the track's gain */
		{ 0, 11, 64, NULL },			/* channel 1: nothing */
		{ 0, 20, 127, "record" },		/* a press in the same map */
		{ 0, 20, 3, NULL },			/* and its release */
	};
	size_t k;
	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		int got;
		e = cc(cases[k].ch, cases[k].num, cases[k].value);
		line[0] = 0;
		got = jl_midi_command_line(&e, m->b, &pedals, line, sizeof(line));
		TH_CHECK(cases[k].want ? got && !strcmp(line, cases[k].want) : !got, "channel %d cc %d at %d: '%s' (%s)",
			 cases[k].ch + 1, cases[k].num, cases[k].value, line, cases[k].want ? cases[k].want : "nothing");
	}
	e = note(SND_SEQ_EVENT_NOTEON, 0, 36, 100);
	TH_CHECK(!jl_midi_command_line(&e, m->b, &pedals, line, sizeof(line)), "an unbound note: nothing");
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "a fader is no press");
	jl_midi_binding_name(&m->b[1], name, sizeof(name));
	TH_CHECK(!strcmp(name, "fader cc 11 (channel 2)") && m->b[1].lo == -60 && m->b[1].hi == 0 &&
			 !strcmp(m->b[1].command, "gain 1"),
		 "the fader's binding: %s, %s, %g..%g", name, m->b[1].command, m->b[1].lo, m->b[1].hi);
	jl_midi_map_free(m);
}

/* A [cc] press is a crossing from below 64 to 64 or more: a continuous
 * (half-damper) pedal pressed once sends many values above 63, and a
 * switch may repeat 127; each press runs the command once.  Faders still
 * get every value. */
static void test_pedal_crossing(void)
{
	static const int sweep[] = { 0, 30, 70, 100, 127, 90, 40, 0 };
	char err[512], line[JL_MIDI_CMD_LEN];
	struct jl_midi_map *m = load_text("[cc]\n64 = record\n2/65 = undo\n[fader]\n7 = master-gain -40 6\n", err,
					  sizeof(err));
	snd_seq_event_t e;
	int k, n;
	TH_CHECK(m != NULL, "a map with a pedal and a fader (%s)", m ? "" : err);
	if (!m)
		return;
	memset(&pedals, 0, sizeof(pedals));
	for (k = 0, n = 0; k < (int)(sizeof(sweep) / sizeof(sweep[0])); k++) {
		e = cc(0, 64, sweep[k]);
		n += jl_midi_command_line(&e, m->b, &pedals, line, sizeof(line));
	}
	TH_CHECK(n == 1, "a half-damper pedal 0 30 70 100 127 90 40 0: one press (%d)", n);
	for (k = 0, n = 0; k < 3; k++) {
		e = cc(0, 64, 127);
		n += jl_midi_translate(&e, m->b, &pedals) != NULL;
	}
	TH_CHECK(n == 1, "a switch that repeats 127: one press (%d)", n);
	e = cc(0, 64, 63);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "63: released, nothing");
	e = cc(0, 64, 64);
	TH_CHECK(!strcmp(xlate(&e, m->b), "record"),
		 "64 after 63: a press again");
	/* each channel has its own pedal */
	memset(&pedals, 0, sizeof(pedals));
	e = cc(1, 65, 127);
	TH_CHECK(jl_midi_translate(&e, m->b, &pedals) != NULL, "channel 2: pressed");
	e = cc(0, 65, 127);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "channel 1 is not bound (2/65)");
	e = cc(1, 65, 100);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "channel 2, still down: nothing");
	/* a fader: every value, down and up alike */
	for (k = 0, n = 0; k < (int)(sizeof(sweep) / sizeof(sweep[0])); k++) {
		e = cc(0, 7, sweep[k]);
		n += jl_midi_command_line(&e, m->b, &pedals, line, sizeof(line));
	}
	TH_CHECK(n == 8 && !strcmp(line, "master-gain -40.00"), "a fader sends all 8 values (%d), the last: %s", n, line);
	jl_midi_map_free(m);
	memset(&pedals, 0, sizeof(pedals));
}

/* Releases: a pedal let go (a controller back below 64) and a note-off (or
 * a note-on with velocity 0) run their own commands, so a held pedal or
 * pad can do something while it is held. */
static void test_releases(void)
{
	static const int sweep[] = { 0, 30, 70, 100, 127, 90, 40, 0 };
	char err[512], line[JL_MIDI_CMD_LEN], name[48];
	struct jl_midi_map *m = load_text("[cc]\n84 = mute 1\n[cc-release]\n84 = unmute 1\n2/85 = undo\n"
					  "[note]\n36 = solo 2 on\n[NOTE-OFF]\n36 = solo 2 off\n",
					  err, sizeof(err));
	snd_seq_event_t e;
	int k, press = 0, rel = 0;
	TH_CHECK(m && m->n == 5, "a map with presses and releases on the same controller and note (%s)", m ? "" : err);
	if (!m)
		return;
	memset(&pedals, 0, sizeof(pedals));
	for (k = 0; k < (int)(sizeof(sweep) / sizeof(sweep[0])); k++) {
		e = cc(0, 84, sweep[k]);
		if (jl_midi_command_line(&e, m->b, &pedals, line, sizeof(line))) {
			press += !strcmp(line, "mute 1");
			rel += !strcmp(line, "unmute 1") && k == 6;
		}
	}
	TH_CHECK(press == 1 && rel == 1, "a half-damper sweep 0 30 70 100 127 90 40 0: one press, one release at 40 "
					  "(%d, %d)", press, rel);
	e = cc(0, 84, 0);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "0 after 40: still released, nothing");
	e = cc(1, 85, 127);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "2/85 pressed: no press is bound");
	e = cc(0, 85, 0);
	TH_CHECK(!jl_midi_translate(&e, m->b, &pedals), "channel 1's 85 (never pressed) at 0: nothing");
	e = cc(1, 85, 10);
	TH_CHECK(!strcmp(xlate(&e, m->b), "undo"), "2/85 let go: undo");
	e = note(SND_SEQ_EVENT_NOTEON, 0, 36, 100);
	TH_CHECK(!strcmp(xlate(&e, m->b), "solo 2 on"), "note 36 on: solo 2 on");
	e = note(SND_SEQ_EVENT_NOTEOFF, 0, 36, 64);
	TH_CHECK(!strcmp(xlate(&e, m->b), "solo 2 off"), "note 36 off: solo 2 off");
	e = note(SND_SEQ_EVENT_NOTEON, 3, 36, 0);
	TH_CHECK(!strcmp(xlate(&e, m->b), "solo 2 off"), "a note-on with velocity 0 is a note-off too");
	jl_midi_binding_name(&m->b[1], name, sizeof(name));
	TH_CHECK(!strcmp(name, "cc-release 84"), "a release binding's name: %s", name);
	jl_midi_binding_name(&m->b[4], name, sizeof(name));
	TH_CHECK(!strcmp(name, "note-off 36"), "a note-off binding's name: %s", name);
	jl_midi_map_free(m);
	/* without release bindings, releases do nothing (the built-in map) */
	memset(&pedals, 0, sizeof(pedals));
	e = cc(0, 80, 127);
	TH_CHECK(!strcmp(xlate(&e, jl_midi_default_map), "record"), "built-in: cc 80 pressed records");
	e = cc(0, 80, 0);
	TH_CHECK(!jl_midi_translate(&e, jl_midi_default_map, &pedals), "and its release does nothing");
	e = note(SND_SEQ_EVENT_NOTEOFF, 0, 36, 0);
	TH_CHECK(!jl_midi_translate(&e, jl_midi_default_map, &pedals), "nor a note-off");
	memset(&pedals, 0, sizeof(pedals));
}

int main(void)
{
	static const struct jl_midi_binding map[] = {
		{ JL_MIDI_NOTE, 0, 60, "record 1", 0, 0 },
		{ JL_MIDI_NOTE, 255, 61, "undo", 0, 0 },
		{ JL_MIDI_CC, 3, 80, "toggle 2", 0, 0 },
		{ JL_MIDI_PC, 255, 5, "select 5", 0, 0 },
		{ 0, 0, 0, NULL, 0, 0 },
	};
	snd_seq_event_t e;
	const struct jl_midi_binding *b;
	char err[256];
	struct jl_midi *m;

	e = note(SND_SEQ_EVENT_NOTEON, 0, 60, 100);
	TH_CHECK(!strcmp(xlate(&e, map), "record 1"), "note-on maps");
	e = note(SND_SEQ_EVENT_NOTEON, 1, 60, 100);
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "channel filter");
	e = note(SND_SEQ_EVENT_NOTEON, 9, 61, 1);
	TH_CHECK(!strcmp(xlate(&e, map), "undo"), "any channel");
	e = note(SND_SEQ_EVENT_NOTEON, 0, 60, 0);
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "velocity 0 is a note-off");
	e = note(SND_SEQ_EVENT_NOTEOFF, 0, 60, 64);
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "note-off ignored");
	e = cc(3, 80, 127);
	TH_CHECK(!strcmp(xlate(&e, map), "toggle 2"), "pedal press");
	e = cc(3, 80, 0);
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "pedal release ignored");
	e = cc(3, 80, 63);
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "below the press threshold");
	memset(&e, 0, sizeof(e));
	e.type = SND_SEQ_EVENT_PGMCHANGE;
	e.data.control.value = 5;
	TH_CHECK(!strcmp(xlate(&e, map), "select 5"), "program change");
	e.type = SND_SEQ_EVENT_CLOCK;
	TH_CHECK(jl_midi_translate(&e, map, &pedals) == NULL, "clock is not a command");

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

	/* One command table for OSC, the CLI and the MIDI map: a command line
	 * the CLI accepts must fit one OSC message, whose arguments the daemon
	 * takes up to OSC_MAX_ARGS (32, osc.c); fx allowed 40. */
	{
		const struct jl_command *c;
		for (c = jl_commands; c->name; c++)
			TH_CHECK(c->max_args >= 0 && c->max_args <= 32, "%s takes at most %d arguments, no more than OSC (32)",
				 c->name, c->max_args);
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
	test_clockin();
	test_map_file();
	test_faders();
	test_pedal_crossing();
	test_releases();
	return TH_REPORT();
}
