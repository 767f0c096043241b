/* midi.c - ALSA sequencer input and MIDI -> command translation. */
#include "midi.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "jl_alloc.h"
#include "util.h"

const struct jl_midi_binding jl_midi_default_map[] = {
	{ JL_MIDI_CC, 255, 80, "record", 0, 0 },	/* a four-switch pedal */
	{ JL_MIDI_CC, 255, 81, "undo", 0, 0 },
	{ JL_MIDI_CC, 255, 82, "select next", 0, 0 },
	{ JL_MIDI_CC, 255, 83, "toggle", 0, 0 },
	{ JL_MIDI_NOTE, 255, 36, "record", 0, 0 },	/* pads */
	{ JL_MIDI_NOTE, 255, 37, "undo", 0, 0 },
	{ JL_MIDI_NOTE, 255, 38, "redo", 0, 0 },
	{ JL_MIDI_NOTE, 255, 39, "capture", 0, 0 },
	{ JL_MIDI_NOTE, 255, 40, "select prev", 0, 0 },
	{ JL_MIDI_NOTE, 255, 41, "select next", 0, 0 },
	{ JL_MIDI_NOTE, 255, 42, "toggle", 0, 0 },
	{ JL_MIDI_NOTE, 255, 43, "panic", 0, 0 },
	{ 0, 0, 0, NULL, 0, 0 },
};

static const char *lookup(const struct jl_midi_binding *map, uint8_t kind, uint8_t ch, uint8_t num)
{
	for (; map && map->kind; map++)
		if (map->kind == kind && (map->channel == 255 || map->channel == ch) && map->number == num)
			return map->command;
	return NULL;
}

const char *jl_midi_kind_name(uint8_t kind)
{
	switch (kind) {
	case JL_MIDI_CC: return "cc";
	case JL_MIDI_NOTE: return "note";
	case JL_MIDI_PC: return "pc";
	case JL_MIDI_FADER: return "fader";
	case JL_MIDI_CC_RELEASE: return "cc-release";
	case JL_MIDI_NOTE_OFF: return "note-off";
	default: return "?";
	}
}

/* Notes a controller event's value; 1 if it crossed to 64 or more (a
 * press), -1 if it crossed back below 64 (a release), else 0. */
static int cc_crossed(const snd_seq_event_t *ev, struct jl_midi_state *st)
{
	uint8_t *last = &st->cc[ev->data.control.channel & 15][ev->data.control.param & 127];
	int v = ev->data.control.value < 0 ? 0 : ev->data.control.value > 127 ? 127 : ev->data.control.value;
	int was = *last;
	*last = (uint8_t)v;
	return was < 64 && v >= 64 ? 1 : was >= 64 && v < 64 ? -1 : 0;
}

const char *jl_midi_translate(const snd_seq_event_t *ev, const struct jl_midi_binding *map,
			      struct jl_midi_state *st)
{
	int dir;
	switch (ev->type) {
	case SND_SEQ_EVENT_NOTEON:
		/* velocity 0 is a note-off in disguise */
		return lookup(map, ev->data.note.velocity ? JL_MIDI_NOTE : JL_MIDI_NOTE_OFF, ev->data.note.channel & 15,
			      ev->data.note.note & 127);
	case SND_SEQ_EVENT_NOTEOFF:
		return lookup(map, JL_MIDI_NOTE_OFF, ev->data.note.channel & 15, ev->data.note.note & 127);
	case SND_SEQ_EVENT_CONTROLLER:
		dir = cc_crossed(ev, st);
		if (!dir)
			return NULL;
		return lookup(map, dir > 0 ? JL_MIDI_CC : JL_MIDI_CC_RELEASE, ev->data.control.channel & 15,
			      (uint8_t)(ev->data.control.param & 127));
	case SND_SEQ_EVENT_PGMCHANGE:
		return lookup(map, JL_MIDI_PC, ev->data.control.channel & 15, (uint8_t)(ev->data.control.value & 127));
	default:
		return NULL;
	}
}

/* --- the map file (inih) --- */

struct map_ctx {
	struct jl_midi_map *m;
	int (*known)(const char *word);
	FILE *f;
	int line;		/* the line being parsed (read_line counts them) */
	int why_line;		/* the line of the first error found here; 0 none */
	char why[256];		/* ... and what it is */
	char buf[512];		/* read_line's line */
};

static int bad(struct map_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct map_ctx *c, const char *fmt, ...)
{
	va_list ap;
	if (!c->why_line) {
		va_start(ap, fmt);
		vsnprintf(c->why, sizeof(c->why), fmt, ap);
		va_end(ap);
		c->why_line = c->line;
	}
	return 0; /* inih: this line is an error */
}

/* inih's reader: one line of the file at a time, counted, so that an
 * error is reported with the line it is on (Debian's inih does not pass
 * line numbers to the handler).  inih itself would read at most num - 1
 * (199) characters and parse the rest of a longer line as a line of its
 * own, and would take an indented line for more of the value before it
 * (80 = record, then "  81 = undo", gave "80 is bound twice"): both are
 * refused here.  A comment or a blank line may be of any length and
 * indented; inih gets it empty. */
static char *read_line(char *str, int num, void *stream)
{
	struct map_ctx *c = stream;
	size_t len;
	const char *start, *p;
	int longer = 0, ch;
	if (!fgets(c->buf, sizeof(c->buf), c->f))
		return NULL;
	c->line++;
	len = strlen(c->buf);
	if (len == sizeof(c->buf) - 1 && c->buf[len - 1] != '\n') {
		longer = 1;
		while ((ch = getc(c->f)) != EOF && ch != '\n')
			;
	}
	while (len && (c->buf[len - 1] == '\n' || c->buf[len - 1] == '\r'))
		c->buf[--len] = 0;
	start = c->buf;
	if (c->line == 1 && !strncmp(start, "\xEF\xBB\xBF", 3))
		start += 3; /* a UTF-8 byte order mark (inih skips it) */
	for (p = start; *p == ' ' || *p == '\t'; p++)
		;
	if (!*p || *p == ';' || *p == '#') {
		str[0] = 0;
		return str;
	}
	if (longer || len >= (size_t)num) {
		bad(c, "the line is longer than %d characters",
		    num - 1 < (int)sizeof(c->buf) - 2 ? num - 1 : (int)sizeof(c->buf) - 2);
		return NULL; /* stops inih */
	}
	if (p > start) {
		bad(c, "'%.40s' is indented: a binding or a [section] starts at the start of its line", p);
		return NULL;
	}
	memcpy(str, c->buf, len + 1);
	return str;
}

/* Do bindings of kinds a and b on the same number collide?  A fader takes
 * every value of its controller, so it shares it with no press or
 * release; a press and a release of one controller or note do not
 * collide (that is what a held pedal is for). */
static int same_family(uint8_t a, uint8_t b)
{
	int ca = a == JL_MIDI_CC || a == JL_MIDI_FADER || a == JL_MIDI_CC_RELEASE;
	int cb = b == JL_MIDI_CC || b == JL_MIDI_FADER || b == JL_MIDI_CC_RELEASE;
	return a == b || (ca && cb && (a == JL_MIDI_FADER || b == JL_MIDI_FADER));
}

/* A fader's value: "COMMAND... LO HI" -> the command (which gets the value
 * as one more word) and the range. */
static int fader_range(struct map_ctx *c, const char *value, char *cmd, double *lo, double *hi)
{
	char buf[JL_MIDI_CMD_LEN], *w[JL_MIDI_CMD_WORDS + 2], *save = NULL, *t, *end;
	int nw = 0, k;
	snprintf(buf, sizeof(buf), "%s", value);
	for (t = strtok_r(buf, " \t", &save); t && nw < JL_MIDI_CMD_WORDS + 2; t = strtok_r(NULL, " \t", &save))
		w[nw++] = t;
	if (nw < 3)
		return bad(c, "a fader is 'COMMAND... LOW HIGH' (e.g. master-gain -40 6), not '%s'", value) - 1;
	*lo = strtod(w[nw - 2], &end);
	if (*end || !isfinite(*lo))
		return bad(c, "'%s': LOW is not a number", w[nw - 2]) - 1;
	*hi = strtod(w[nw - 1], &end);
	if (*end || !isfinite(*hi))
		return bad(c, "'%s': HIGH is not a number", w[nw - 1]) - 1;
	cmd[0] = 0;
	for (k = 0; k < nw - 2; k++) {
		strcat(cmd, w[k]);
		strcat(cmd, " ");
	}
	cmd[strlen(cmd) - 1] = 0;
	if (strlen(cmd) + 16 >= JL_MIDI_CMD_LEN)
		return bad(c, "the fader command '%.40s...' is too long", cmd) - 1;
	return 0;
}

static int map_line(void *user, const char *section, const char *name, const char *value)
{
	struct map_ctx *c = user;
	struct jl_midi_map *m = c->m;
	struct jl_midi_binding *b;
	const char *slash = strchr(name, '/');
	char key[32], first[64];
	uint32_t ch = 0, num;
	uint8_t kind;
	size_t i, words = 0;
	const char *p;
	for (kind = JL_MIDI_NOTE; kind <= JL_MIDI_NOTE_OFF; kind++)
		if (!strcasecmp(section, jl_midi_kind_name(kind)))
			break;
	if (!*section)
		return bad(c, "'%s' is outside a section ([cc], [cc-release], [note], [note-off], [pc] or [fader])",
			   name);
	if (kind > JL_MIDI_NOTE_OFF)
		return bad(c, "unknown section [%s] (the sections are [cc], [cc-release], [note], [note-off], [pc] and "
			      "[fader])",
			   section);
	if (strlen(name) >= sizeof(key))
		return bad(c, "'%s' is not NUMBER or CHANNEL/NUMBER", name);
	if (slash) {
		memcpy(key, name, (size_t)(slash - name));
		key[slash - name] = 0;
		if (jl_parse_u32(key, 1, 16, &ch) < 0)
			return bad(c, "'%s': the channel must be 1..16", name);
		name = slash + 1;
	}
	if (jl_parse_u32(name, 0, 127, &num) < 0)
		return bad(c, "'%s' is not a %s number 0..127 (or CHANNEL/NUMBER)", name,
			   kind == JL_MIDI_NOTE || kind == JL_MIDI_NOTE_OFF ? "note"
			   : kind == JL_MIDI_PC				? "program"
									: "controller");
	for (i = 0; i < m->n; i++)
		if (same_family(m->b[i].kind, kind) && m->b[i].number == num &&
		    (m->b[i].channel == 255 || ch == 0 || m->b[i].channel == ch - 1))
			return bad(c, "[%s] %s is bound twice (a binding for any channel covers every channel; "
				      "a [fader] takes its controller from [cc] and [cc-release])", section, name);
	if (!*value)
		return bad(c, "'%s' has no command", name);
	if (strlen(value) >= JL_MIDI_CMD_LEN)
		return bad(c, "the command '%.40s...' is longer than %d characters", value, JL_MIDI_CMD_LEN - 1);
	for (p = value; *p; p++)
		if (*p != ' ' && (p == value || p[-1] == ' '))
			words++;
	if (words > JL_MIDI_CMD_WORDS)
		return bad(c, "'%s' has more than %d words", value, JL_MIDI_CMD_WORDS);
	for (i = 0; value[i] && value[i] != ' ' && i + 1 < sizeof(first); i++)
		first[i] = value[i];
	first[i] = 0;
	if (!c->known || !c->known(first))
		return bad(c, "'%s' is not a command a pedal can send (see loopctl help)", first);
	if (m->n >= JL_MIDI_MAP_MAX)
		return bad(c, "more than %d bindings", JL_MIDI_MAP_MAX);
	b = &m->b[m->n];
	if (kind == JL_MIDI_FADER && fader_range(c, value, m->cmd[m->n], &b->lo, &b->hi) < 0)
		return 0;
	if (kind != JL_MIDI_FADER)
		snprintf(m->cmd[m->n], JL_MIDI_CMD_LEN, "%s", value);
	b->kind = kind;
	b->channel = ch ? (uint8_t)(ch - 1) : 255;
	b->number = (uint8_t)num;
	b->command = m->cmd[m->n];
	m->n++;
	return 1;
}

struct jl_midi_map *jl_midi_map_load(const char *path, int (*known)(const char *word), char *err, size_t n)
{
	struct map_ctx c;
	int r;
	memset(&c, 0, sizeof(c));
	c.known = known;
	c.m = jl_calloc(1, sizeof(*c.m));
	if (!c.m) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	snprintf(c.m->file, sizeof(c.m->file), "%s", path);
	c.f = fopen(path, "r");
	if (!c.f) {
		snprintf(err, n, "%s: cannot open: %s", path, strerror(errno));
		jl_free(c.m);
		return NULL;
	}
	r = ini_parse_stream(read_line, &c, map_line, &c);
	if (ferror(c.f) && r == 0 && !c.why_line)
		r = -1;
	fclose(c.f);
	/* inih returns the first line it found wrong (or 0); this file's
	 * checks keep the first they found, with its line: the earlier of the
	 * two is reported, with its own reason */
	if (r == -1)
		snprintf(err, n, "%s: cannot read", path);
	else if (r == -2)
		snprintf(err, n, "%s: out of memory", path);
	else if (r > 0 && (!c.why_line || r < c.why_line))
		snprintf(err, n, "%s:%d: not NUMBER = COMMAND or [SECTION]", path, r);
	else if (c.why_line)
		snprintf(err, n, "%s:%d: %s", path, c.why_line, c.why);
	else if (!c.m->n)
		snprintf(err, n, "%s: no bindings (sections [cc], [note], [pc] ... with lines NUMBER = COMMAND)", path);
	if (r != 0 || c.why_line || !c.m->n) {
		jl_free(c.m);
		return NULL;
	}
	return c.m;
}

void jl_midi_map_free(struct jl_midi_map *m)
{
	jl_free(m);
}

void jl_midi_binding_name(const struct jl_midi_binding *b, char *out, size_t n)
{
	const char *k = b->kind == JL_MIDI_FADER ? "fader cc" : jl_midi_kind_name(b->kind);
	if (b->channel == 255)
		snprintf(out, n, "%s %u", k, b->number);
	else
		snprintf(out, n, "%s %u (channel %u)", k, b->number, b->channel + 1u);
}

int jl_midi_command_line(const snd_seq_event_t *ev, const struct jl_midi_binding *map, struct jl_midi_state *st,
			 char *out, size_t n)
{
	const struct jl_midi_binding *b;
	const char *line;
	if (ev->type == SND_SEQ_EVENT_CONTROLLER) {
		uint8_t ch = ev->data.control.channel & 15, num = (uint8_t)(ev->data.control.param & 127);
		for (b = map; b && b->kind; b++)
			if (b->kind == JL_MIDI_FADER && (b->channel == 255 || b->channel == ch) && b->number == num) {
				int v = ev->data.control.value < 0 ? 0 : ev->data.control.value > 127 ? 127
												 : ev->data.control.value;
				cc_crossed(ev, st); /* its value is noted all the same (a map loaded later may make it a press) */
				snprintf(out, n, "%s %.2f", b->command, b->lo + (b->hi - b->lo) * v / 127.0);
				return 1;
			}
	}
	line = jl_midi_translate(ev, map, st);
	if (!line)
		return 0;
	snprintf(out, n, "%s", line);
	return 1;
}

uint64_t jl_midi_event_time_us(const snd_seq_event_t *ev, uint64_t queue_start_rt_us, uint64_t now_rt_us)
{
	if ((ev->flags & SND_SEQ_TIME_STAMP_MASK) == SND_SEQ_TIME_STAMP_REAL && queue_start_rt_us)
		return queue_start_rt_us + (uint64_t)ev->time.time.tv_sec * 1000000u +
		       ev->time.time.tv_nsec / 1000u;
	return now_rt_us;
}

struct jl_midi {
	snd_seq_t *seq;
	int port;
	int queue;
	uint64_t queue_start_rt_us;
};

static void quiet(const char *file, int line, const char *func, int err, const char *fmt, ...)
{
	(void)file; (void)line; (void)func; (void)err; (void)fmt;
}

struct jl_midi *jl_midi_open(const char *client_name, char *err, size_t n)
{
	struct jl_midi *m = jl_calloc(1, sizeof(*m));
	snd_seq_port_info_t *pi = NULL;
	struct timespec ts;
	int r;
	if (!m) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	/* alsa-lib prints its own errors to stderr; we report ours. */
	snd_lib_error_set_handler(quiet);
	r = snd_seq_open(&m->seq, "default", SND_SEQ_OPEN_INPUT, SND_SEQ_NONBLOCK);
	if (r < 0) {
		snprintf(err, n, "no ALSA sequencer (%s): MIDI input disabled", snd_strerror(r));
		goto fail;
	}
	snd_seq_set_client_name(m->seq, client_name);
	m->queue = snd_seq_alloc_queue(m->seq);
	if (snd_seq_port_info_malloc(&pi) < 0) {
		snprintf(err, n, "out of memory");
		goto fail;
	}
	snd_seq_port_info_set_name(pi, "control in");
	snd_seq_port_info_set_capability(pi, SND_SEQ_PORT_CAP_WRITE | SND_SEQ_PORT_CAP_SUBS_WRITE);
	snd_seq_port_info_set_type(pi, SND_SEQ_PORT_TYPE_MIDI_GENERIC | SND_SEQ_PORT_TYPE_APPLICATION);
	if (m->queue >= 0) {
		/* Kernel stamps every event with the queue's real time on arrival. */
		snd_seq_port_info_set_timestamping(pi, 1);
		snd_seq_port_info_set_timestamp_real(pi, 1);
		snd_seq_port_info_set_timestamp_queue(pi, m->queue);
	}
	r = snd_seq_create_port(m->seq, pi);
	snd_seq_port_info_free(pi);
	if (r < 0) {
		snprintf(err, n, "cannot create ALSA sequencer port: %s", snd_strerror(r));
		goto fail;
	}
	m->port = r;
	if (m->queue >= 0) {
		snd_seq_start_queue(m->seq, m->queue, NULL);
		snd_seq_drain_output(m->seq);
		clock_gettime(CLOCK_REALTIME, &ts);
		m->queue_start_rt_us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	}
	return m;
fail:
	jl_midi_close(m);
	return NULL;
}

void jl_midi_close(struct jl_midi *m)
{
	if (!m)
		return;
	if (m->seq)
		snd_seq_close(m->seq);
	jl_free(m);
}

int jl_midi_fds(struct jl_midi *m, struct pollfd *pfd, int max)
{
	int n = snd_seq_poll_descriptors_count(m->seq, POLLIN);
	if (n > max)
		n = max;
	return snd_seq_poll_descriptors(m->seq, pfd, (unsigned)n, POLLIN);
}

int jl_midi_read(struct jl_midi *m, snd_seq_event_t *out, uint64_t *queue_start_rt_us)
{
	snd_seq_event_t *ev = NULL;
	int r = snd_seq_event_input(m->seq, &ev);
	if (r < 0 || !ev)
		return 0;
	*out = *ev;
	*queue_start_rt_us = m->queue_start_rt_us;
	return 1;
}
