/* outputs.c - commands for the performer's outputs (DESIGN 4.6): the
 * phones mix (levels, delay, limiter), dry input monitoring, the click and
 * count-in, PA mute as a global setting. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "commands.h"
#include "daemon.h"
#include "looper.h"
#include "model.h"

#define say jl_say

static int num(const char *s, double lo, double hi, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !(*v >= lo && *v <= hi) ? -1 : 0;
}

static uint32_t rate(const struct jl_daemon *d) { return d->shm.hdr->geom.sample_rate; }
static uint32_t ramp(const struct jl_daemon *d) { return (uint32_t)llround(d->cfg.ramp_ms * rate(d) / 1000.0); }
static float lin(double db) { return db <= -120.0 ? 0.0f : (float)pow(10.0, db / 20.0); }

static uint64_t at(const struct jl_daemon *d, const struct jl_req *rq)
{
	if (rq->scheduled)
		return rq->at;
	return (rq->has_arrival ? rq->arrival : jl_daemon_now(d)) + jl_daemon_period(d);
}

static int push(struct jl_daemon *d, struct jl_req *rq, struct jl_cmd *c)
{
	if (jl_daemon_push(d, c) < 0)
		return say(rq, 1, "command queue full (%u slots): not done, try again", d->cmdq.mask + 1);
	return 0;
}

/* The click grid: the loop's beats, else the set/tapped tempo, else the
 * detected one (DESIGN 2.6). Returns 0, or -ENOENT without any tempo. */
static int click_grid(const struct jl_daemon *d, struct jl_cmd *c)
{
	struct jl_grid g;
	if (jl_looper_grid(d, &g) < 0)
		return -ENOENT;
	c->p.click.origin = g.origin;
	c->p.click.span = g.span;
	c->p.click.beats = g.beats;
	c->p.click.per_bar = g.per_bar;
	return 0;
}

/* Sends the click as the model has it; `until` ends it (count-in). */
int jl_outputs_send_click(struct jl_daemon *d, struct jl_req *rq, uint64_t when, uint64_t until, int force_on)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_CLICK;
	c.target = when;
	/* the grid always travels (tempo-synced effects use it); the levels
	 * say whether the click sounds */
	if (click_grid(d, &c) < 0) {
		if (force_on || d->m->click_on)
			return say(rq, 1, "no tempo for the click: record a loop, tap, or set tempo BPM");
		memset(&c.p, 0, sizeof(c.p));
	} else if (force_on || d->m->click_on) {
		c.p.click.phones = lin(d->m->click_db);
		c.p.click.pa = d->m->click_pa ? lin(d->m->click_db) : 0.0f;
		c.p.click.until = until;
	}
	return push(d, rq, &c);
}

int jl_cmd_click(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_model *m = d->m;
	int i, on = -1, pa = m->click_pa;
	double db = m->click_db;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "on"))
			on = 1;
		else if (!strcmp(argv[i], "off"))
			on = 0;
		else if (!strcmp(argv[i], "--pa"))
			pa = 1;
		else if (!strcmp(argv[i], "--no-pa"))
			pa = 0;
		else if (!strcmp(argv[i], "--level") && i + 1 < argc) {
			if (num(argv[++i], -60, 0, &db))
				return say(rq, 2, "--level is -60..0 dBFS");
		} else
			return say(rq, 2, "usage: click on|off [--pa|--no-pa] [--level DB]");
	}
	if (on < 0)
		return say(rq, 2, "usage: click on|off [--pa|--no-pa] [--level DB]");
	if (jl_looper_room(d, rq, 1))
		return 1;
	m->click_on = (uint8_t)on;
	m->click_pa = (uint8_t)pa;
	m->click_db = (float)db;
	if (jl_outputs_send_click(d, rq, at(d, rq), 0, 0))
		return 1;
	return say(rq, 0, "click %s (%.0f dB, phones%s)", on ? "on" : "off", db, pa ? " and PA" : " only");
}

/* Sends the MIDI clock switch as the model has it. */
int jl_outputs_send_midi_clock(struct jl_daemon *d, struct jl_req *rq, uint64_t when)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_MIDI_CLOCK;
	c.target = when;
	c.p.u[0] = d->m->midi_clock_off ? 0 : 1;
	c.p.i[1] = (int64_t)llround(d->m->midi_clock_offset_ms * d->shm.hdr->geom.sample_rate / 1000.0);
	return push(d, rq, &c);
}

/* MIDI clock on jackloop's clock_out port: 24 ticks per beat of the grid
 * the click uses, Start on its next downbeat (clock_rt.c). */
int jl_cmd_midiclock(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_model *m = d->m;
	uint8_t was = m->midi_clock_off, off = was;
	float was_ms = m->midi_clock_offset_ms;
	double ms = was_ms;
	int i, change = 0;
	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "on") || !strcmp(argv[i], "off")) && !(change & 1)) {
			off = (uint8_t)!strcmp(argv[i], "off");
			change |= 1;
		} else if (!strcmp(argv[i], "--offset") && i + 1 < argc) {
			if (num(argv[++i], -100, 100, &ms))
				return say(rq, 2, "--offset is -100..100 ms (+ later, - earlier than the loop's beats)");
			change |= 2;
		} else {
			return say(rq, 2, "usage: midiclock [on|off] [--offset MS]");
		}
	}
	if (change) {
		m->midi_clock_off = off;
		m->midi_clock_offset_ms = (float)ms;
		if (jl_outputs_send_midi_clock(d, rq, at(d, rq))) {
			/* not done: the model says what the engine does */
			m->midi_clock_off = was;
			m->midi_clock_offset_ms = was_ms;
			return 1;
		}
	}
	json_object_set_new(rq->json, "midi_clock", json_boolean(!m->midi_clock_off));
	json_object_set_new(rq->json, "midi_clock_offset_ms", json_real(m->midi_clock_offset_ms));
	return say(rq, 0, "MIDI clock %s (%s:clock_out, offset %+.1f ms)", m->midi_clock_off ? "off" : "on",
		   d->name, m->midi_clock_offset_ms);
}

/* The external clock on clock_in, for status and sync: "running" and
 * its BPM, or not. */
void jl_outputs_sync_status(struct jl_daemon *d, json_t *obj, char *text, size_t n)
{
	double fpb = 0;
	int known = jl_clockin_tempo(&d->clockin, jl_daemon_now(d), &fpb);
	double bpm = known ? 60.0 * d->shm.hdr->geom.sample_rate / fpb : 0;
	json_t *o = json_object();
	json_object_set_new(o, "source", json_string(d->m->sync_midi ? "midi" : "off"));
	json_object_set_new(o, "clock_in", json_boolean(known));
	json_object_set_new(o, "running", json_boolean(known && d->clockin.running));
	json_object_set_new(o, "bpm", known ? json_real(round(bpm * 1000) / 1000) : json_null());
	json_object_set_new(obj, "sync", o);
	if (!known)
		snprintf(text, n, "sync %s; no clock on clock_in", d->m->sync_midi ? "midi" : "off");
	else
		snprintf(text, n, "sync %s; clock_in: %.2f BPM, %s", d->m->sync_midi ? "midi" : "off", bpm,
			 d->clockin.running ? "running" : "stopped");
}

/* sync midi: before the first loop, the tempo grid follows an external
 * MIDI clock on clock_in (looper.c, sync_follow). */
int jl_cmd_sync(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	char text[160];
	if (argc == 2 && (!strcmp(argv[1], "midi") || !strcmp(argv[1], "off")))
		d->m->sync_midi = (uint8_t)!strcmp(argv[1], "midi");
	else if (argc != 1)
		return say(rq, 2, "usage: sync [midi|off]");
	jl_outputs_sync_status(d, rq->json, text, sizeof(text));
	if (d->m->sync_midi && d->m->has_anchor)
		return say(rq, 0, "%s (the loop's grid rules now: sync applies before the first loop)", text);
	return say(rq, 0, "%s", text);
}

int jl_cmd_phones(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_model *m = d->m;
	struct jl_cmd c;
	double v;
	memset(&c, 0, sizeof(c));
	c.target = at(d, rq);
	if (argc == 3 && !strcmp(argv[1], "delay")) {
		if (num(argv[2], 0, JL_PHONES_MAX_DELAY_MS, &v))
			return say(rq, 2, "phones delay is 0..%u ms", JL_PHONES_MAX_DELAY_MS);
		c.type = JL_CMD_PHONES_DELAY;
		c.p.u[0] = (uint64_t)llround(v * rate(d) / 1000.0);
		c.p.u[1] = ramp(d);
		if (push(d, rq, &c))
			return 1;
		m->phones_delay_ms = (float)v;
		json_object_set_new(rq->json, "delay_frames", json_integer((json_int_t)c.p.u[0]));
		return say(rq, 0, "phones delayed %.2f ms (%llu frames); direct input monitoring is not delayed", v,
			   (unsigned long long)c.p.u[0]);
	}
	if (argc == 3 && !strcmp(argv[1], "limit")) {
		if (num(argv[2], -40, 0, &v))
			return say(rq, 2, "phones limit is -40..0 dBFS");
		c.type = JL_CMD_LIMIT;
		c.p.limit.which = 1;
		c.p.limit.ceiling = lin(v);
		c.p.limit.release = rate(d) / 20;
		if (push(d, rq, &c))
			return 1;
		m->phones_limit_db = (float)v;
		return say(rq, 0, "phones limiter at %.1f dBFS", v);
	}
	if (argc == 4 && !strcmp(argv[1], "level")) {
		int t;
		if (num(argv[3], -120, 24, &v))
			return say(rq, 2, "phones level is -120..+24 dB");
		if (jl_looper_room(d, rq, 1))
			return 1;
		c.type = JL_CMD_PHONES_GAIN;
		c.p.tgain.ramp = ramp(d);
		c.p.tgain.gl = c.p.tgain.gr = lin(v);
		if (!strcmp(argv[2], "master")) {
			c.p.tgain.track = JL_PHONES_MASTER;
			m->phones_master_db = (float)v;
		} else if (!strcmp(argv[2], "click")) {
			m->click_db = (float)v;
			if (jl_outputs_send_click(d, rq, c.target, 0, 0))
				return 1;
			return say(rq, 0, "click level %.1f dB", v);
		} else if (jl_looper_parse_track(d, argv[2], &t) == 0 && t >= 0) {
			c.p.tgain.track = (uint32_t)t;
			m->phones_db[t] = (float)v;
		} else {
			return say(rq, 2, "phones level TRACK|master|click DB");
		}
		if (push(d, rq, &c))
			return 1;
		return say(rq, 0, "phones level of %s: %.1f dB", argv[2], v);
	}
	return say(rq, 2, "usage: phones delay MS | phones level TRACK|master|click DB | phones limit DB");
}

int jl_cmd_monitor(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_model *m = d->m;
	struct jl_cmd c;
	char *end;
	long in = strtol(argv[1], &end, 10);
	double main_db = -200, phones_db = -200, pan = 0, th;
	char mt[24] = "off", pt[24] = "off";
	int i;
	if (*end || in < 1 || (uint32_t)in > d->shm.hdr->geom.n_inputs)
		return say(rq, 2, "monitor INPUT (1..%u) off | [--main DB] [--phones DB] [--pan P]",
			   d->shm.hdr->geom.n_inputs);
	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "off"))
			main_db = phones_db = -200;
		else if (!strcmp(argv[i], "--main") && i + 1 < argc) {
			if (num(argv[++i], -120, 24, &main_db))
				return say(rq, 2, "--main is -120..+24 dB");
		} else if (!strcmp(argv[i], "--phones") && i + 1 < argc) {
			if (num(argv[++i], -120, 24, &phones_db))
				return say(rq, 2, "--phones is -120..+24 dB");
		} else if (!strcmp(argv[i], "--pan") && i + 1 < argc) {
			if (num(argv[++i], -1, 1, &pan))
				return say(rq, 2, "--pan is -1..1");
		} else
			return say(rq, 2, "monitor INPUT off | [--main DB] [--phones DB] [--pan P]");
	}
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_INPUT_MON;
	c.target = at(d, rq);
	c.p.imon.input = (uint32_t)(in - 1);
	c.p.imon.ramp = ramp(d);
	th = (pan + 1.0) * M_PI / 4.0; /* -3 dB constant power, like a mono track */
	c.p.imon.main_l = lin(main_db) * (float)cos(th);
	c.p.imon.main_r = lin(main_db) * (float)sin(th);
	c.p.imon.phones = lin(phones_db);
	if (push(d, rq, &c))
		return 1;
	m->mon_main_db[in - 1] = (float)main_db;
	m->mon_phones_db[in - 1] = (float)phones_db;
	m->mon_pan[in - 1] = (float)pan;
	if (main_db <= -120 && phones_db <= -120)
		return say(rq, 0, "in_%ld: not monitored", in);
	if (main_db > -120)
		snprintf(mt, sizeof(mt), "%.1f dB", main_db);
	if (phones_db > -120)
		snprintf(pt, sizeof(pt), "%.1f dB", phones_db);
	return say(rq, 0, "in_%ld monitored dry: main %s, phones %s (not delayed)", in, mt, pt);
}

int jl_cmd_pa_mute(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc;
	if (strcmp(argv[1], "on") && strcmp(argv[1], "off"))
		return say(rq, 2, "usage: pa-mute on|off");
	d->m->pa_mute_all = !strcmp(argv[1], "on");
	return say(rq, 0, "PA mute while recording: %s for every take", argv[1]);
}
