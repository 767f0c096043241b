/* commands.c - the command table and the handlers of the engine-level
 * commands.  Handlers run in the daemon's loop; they validate every
 * argument, push commands into the ring and describe the result. */
#define _GNU_SOURCE
#include "commands.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "looper.h"
#include "model.h"
#include "notify.h"
#include "session.h"
#include "util.h"

/* A bad argument is a usage error (exit 2 in the CLI); a command that was
 * understood but could not be done is a failure (exit 1). */
#define bad_arg(rq, ...) jl_say(rq, 2, __VA_ARGS__)

static int parse_double(const char *s, double *out)
{
	char *end;
	double v;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

/* Common options of audible commands: --at FRAME (absolute engine frame)
 * and --ramp-ms MS.  Removes them from argv; returns -1 on a bad value. */
struct timing {
	int has_at;
	uint64_t at;
	int has_ramp;
	double ramp_ms;
};

static int take_timing(struct jl_req *rq, int *argc, char **argv, struct timing *t)
{
	int i, o = 1;
	memset(t, 0, sizeof(*t));
	for (i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--at") && i + 1 < *argc) {
			if (jl_parse_u64(argv[++i], &t->at))
				return bad_arg(rq, "--at needs an absolute frame number, not '%s'", argv[i]);
			t->has_at = 1;
		} else if (!strcmp(argv[i], "--ramp-ms") && i + 1 < *argc) {
			if (parse_double(argv[++i], &t->ramp_ms) || t->ramp_ms < 0 || t->ramp_ms > 10000)
				return bad_arg(rq, "--ramp-ms must be 0..10000, not '%s'", argv[i]);
			t->has_ramp = 1;
		} else {
			argv[o++] = argv[i];
		}
	}
	*argc = o;
	return 0;
}

/* When an audible action lands: at --at, or one period after arrival
 * (DESIGN 2.3: constant latency, no jitter). */
static uint64_t when(struct jl_daemon *d, const struct jl_req *rq, const struct timing *t)
{
	if (t->has_at)
		return t->at;
	return (rq->has_arrival ? rq->arrival : jl_daemon_now(d)) + jl_daemon_period(d);
}

static int push_or_fail(struct jl_daemon *d, struct jl_req *rq, struct jl_cmd *c)
{
	if (jl_daemon_push(d, c) < 0) {
		snprintf(rq->msg, sizeof(rq->msg), "command queue full (%u slots): command not sent, try again",
			 d->cmdq.mask + 1);
		return 1;
	}
	json_object_set_new(rq->json, "id", json_integer(c->id));
	json_object_set_new(rq->json, "frame", json_integer((json_int_t)c->target));
	return 0;
}

static int cmd_ping(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc; (void)argv;
	snprintf(rq->msg, sizeof(rq->msg), "pong");
	json_object_set_new(rq->json, "pong", json_true());
	json_object_set_new(rq->json, "daemon_pid", json_integer(getpid()));
	json_object_set_new(rq->json, "engine_running",
			    json_boolean(jl_shm_lock_held(d->shm.fd, JL_LOCK_ENGINE) == 1));
	if (rq->has_arrival)
		json_object_set_new(rq->json, "arrival_frame", json_integer((json_int_t)rq->arrival));
	return 0;
}

static int cmd_impulse(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct timing t;
	struct jl_cmd c;
	double amp = 1.0;
	if (take_timing(rq, &argc, argv, &t))
		return 2;
	if (argc > 2)
		return bad_arg(rq, "usage: impulse [AMP] [--at FRAME]");
	if (argc == 2 && (parse_double(argv[1], &amp) || amp < -1.0 || amp > 1.0))
		return bad_arg(rq, "impulse amplitude must be -1..1, not '%s'", argv[1]);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_IMPULSE;
	c.target = when(d, rq, &t);
	c.p.f[0] = (float)amp;
	if (push_or_fail(d, rq, &c))
		return 1;
	snprintf(rq->msg, sizeof(rq->msg), "impulse %.3g at frame %llu", amp, (unsigned long long)c.target);
	return 0;
}

static int cmd_master_gain(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct timing t;
	struct jl_cmd c;
	double db;
	if (take_timing(rq, &argc, argv, &t))
		return 2;
	if (argc != 2)
		return bad_arg(rq, "usage: master-gain DB [--ramp-ms MS] [--at FRAME]");
	if (!strcmp(argv[1], "-inf"))
		db = -INFINITY;
	else if (parse_double(argv[1], &db) || db > 24.0)
		return bad_arg(rq, "gain must be a number of dB up to +24 (or -inf), not '%s'", argv[1]);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_MASTER_GAIN;
	c.target = when(d, rq, &t);
	c.p.f[0] = isinf(db) ? 0.0f : (float)pow(10.0, db / 20.0);
	c.p.u[1] = (uint64_t)llround((t.has_ramp ? t.ramp_ms : 10.0) * d->shm.hdr->geom.sample_rate / 1000.0);
	if (push_or_fail(d, rq, &c))
		return 1;
	snprintf(rq->msg, sizeof(rq->msg), "master gain %.2f dB at frame %llu (ramp %llu frames)", db,
		 (unsigned long long)c.target, (unsigned long long)c.p.u[1]);
	return 0;
}

static int cmd_meter_reset(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_cmd c;
	(void)argc; (void)argv;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_METER_RESET;
	c.flags = JL_CMDF_IMMEDIATE;
	if (push_or_fail(d, rq, &c))
		return 1;
	snprintf(rq->msg, sizeof(rq->msg), "meters reset");
	return 0;
}

static double to_db(float lin) { return lin > 0.0f ? 20.0 * log10((double)lin) : -INFINITY; }

static json_t *jdb(double db) { return isinf(db) ? json_null() : json_real(round(db * 100) / 100); }

static int cmd_status(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	const struct jl_shm_header *h = d->shm.hdr;
	struct jl_rt_state *rt = d->shm.rt;
	uint32_t rate = h->geom.sample_rate, i;
	uint64_t head = atomic_load(&rt->history_head), hstart = atomic_load(&rt->history_start);
	uint64_t avail = head > hstart ? head - hstart : 0;
	int running = jl_shm_lock_held(d->shm.fd, JL_LOCK_ENGINE) == 1;
	json_t *eng = json_object(), *ins = json_array(), *outs = json_array(), *dm = json_object();
	static const char *const onames[JL_N_OUTPUTS] = { "out_L", "out_R", "phones_L", "phones_R" };
	char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
	int only = -1, k;
	for (k = 1; k < argc; k++)
		if (strcmp(argv[k], "--json") &&
		    (jl_looper_parse_track(d, argv[k], &only) < 0 || only == JL_T_ALL))
			return jl_say(rq, 2, "'%s' is not a track (status [TRACK])", argv[k]);
	if (avail > h->geom.hist_frames)
		avail = h->geom.hist_frames;

	json_object_set_new(eng, "running", json_boolean(running));
	json_object_set_new(eng, "sample_rate", json_integer(rate));
	json_object_set_new(eng, "period", json_integer(atomic_load(&rt->nframes)));
	json_object_set_new(eng, "frame", json_integer((json_int_t)atomic_load(&rt->frame)));
	json_object_set_new(eng, "history_head", json_integer((json_int_t)head));
	json_object_set_new(eng, "frame_offset", json_integer((json_int_t)atomic_load(&rt->frame_offset)));
	json_object_set_new(eng, "history_seconds", json_real((double)avail / rate));
	json_object_set_new(eng, "history_capacity_seconds", json_real((double)h->geom.hist_frames / rate));
	json_object_set_new(eng, "xruns", json_integer(atomic_load(&rt->xruns)));
	json_object_set_new(eng, "gaps", json_integer(atomic_load(&rt->gaps)));
	json_object_set_new(eng, "commands_applied", json_integer(atomic_load(&rt->cmd_applied)));
	json_object_set_new(eng, "commands_late", json_integer(atomic_load(&rt->cmd_late)));
	json_object_set_new(eng, "commands_rejected", json_integer(atomic_load(&rt->cmd_rejected)));
	json_object_set_new(eng, "commands_dropped", json_integer(atomic_load(&rt->cmd_dropped)));
	json_object_set_new(eng, "events_dropped", json_integer(atomic_load(&rt->evt_dropped)));
	json_object_set_new(eng, "pending", json_integer(atomic_load(&rt->pending)));
	json_object_set_new(eng, "max_late_frames", json_integer((json_int_t)atomic_load(&rt->max_late_frames)));
	json_object_set_new(eng, "rate_mismatch", json_boolean(atomic_load(&rt->rate_mismatch)));
	json_object_set_new(eng, "master_gain_db", jdb(to_db(jl_bits_f(atomic_load(&rt->master_gain)))));
	json_object_set_new(eng, "pa_limited", json_integer(atomic_load(&rt->lim_hits[0])));
	json_object_set_new(eng, "phones_limited", json_integer(atomic_load(&rt->lim_hits[1])));
	json_object_set_new(eng, "return_nonfinite", json_integer(atomic_load(&rt->ret_nonfinite)));
	json_object_set_new(eng, "conv_dry", json_integer(atomic_load(&rt->conv_dry)));
	json_object_set_new(eng, "segment_bytes", json_integer((json_int_t)h->total_size));
	json_object_set_new(eng, "mlocked_bytes", json_integer((json_int_t)atomic_load(&h->mlocked_bytes)));
	json_object_set_new(eng, "unlocked_bytes",
			    json_integer((json_int_t)(h->total_size - atomic_load(&h->mlocked_bytes))));
	json_object_set_new(eng, "inputs", json_integer(h->geom.n_inputs));
	json_object_set_new(eng, "max_voices", json_integer(h->geom.max_voices));
	json_object_set_new(eng, "pool_bytes", json_integer((json_int_t)h->geom.pool_bytes));
	for (i = 0; i < h->geom.n_inputs; i++) {
		json_t *o = json_object();
		char pn[16];
		snprintf(pn, sizeof(pn), "in_%u", i + 1);
		json_object_set_new(o, "port", json_string(pn));
		json_object_set_new(o, "peak_db", jdb(to_db(jl_bits_f(atomic_load(&rt->in_peak[i])))));
		json_object_set_new(o, "clips", json_integer(atomic_load(&rt->in_clips[i])));
		json_object_set_new(o, "trim_db", json_real(d->m ? d->m->trim_db[i] : 0.0));
		json_object_set_new(o, "capture_latency",
				    json_pack("[ii]", (int)atomic_load(&rt->lat_capture_min[i]),
					      (int)atomic_load(&rt->lat_capture_max[i])));
		json_array_append_new(ins, o);
	}
	for (i = 0; i < JL_N_OUTPUTS; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "port", json_string(onames[i]));
		json_object_set_new(o, "peak_db", jdb(to_db(jl_bits_f(atomic_load(&rt->out_peak[i])))));
		json_object_set_new(o, "playback_latency",
				    json_pack("[ii]", (int)atomic_load(&rt->lat_playback_min[i]),
					      (int)atomic_load(&rt->lat_playback_max[i])));
		json_array_append_new(outs, o);
	}
	json_object_set_new(dm, "pid", json_integer(getpid()));
	json_object_set_new(dm, "osc_port", json_integer(d->osc_port));
	json_object_set_new(dm, "midi", json_boolean(d->midi != NULL));
	json_object_set_new(dm, "midi_map", d->midi_map ? json_string(d->midi_map->file) : json_null());
	json_object_set_new(dm, "osc_errors", json_integer((json_int_t)d->osc_errors));
	json_object_set_new(dm, "osc_unanswered", json_integer((json_int_t)d->osc_unanswered));
	json_object_set_new(rq->json, "instance", json_string(d->name));
	json_object_set_new(rq->json, "server", json_string(d->server));
	json_object_set_new(rq->json, "engine", eng);
	json_object_set_new(rq->json, "inputs", ins);
	json_object_set_new(rq->json, "outputs", outs);
	json_object_set_new(rq->json, "daemon", dm);

	p += snprintf(p, (size_t)(e - p),
		      "jackloop '%s' on JACK server '%s': engine %s\n"
		      "  %u Hz, period %u, frame %llu\n"
		      "  history %.1f of %.1f s, xruns %u, gaps %u\n"
		      "  commands: applied %u, late %u, rejected %u, dropped %u, pending %u\n"
		      "  limiters caught peaks in %u (PA) and %u (phones) blocks; returns: %u blocks with NaN/Inf;"
		      " convolution: %u blocks dry\n"
		      "  memory: %llu of %llu MiB locked\n",
		      d->name, d->server, running ? "running" : "NOT RUNNING", rate, atomic_load(&rt->nframes),
		      (unsigned long long)atomic_load(&rt->frame), (double)avail / rate,
		      (double)h->geom.hist_frames / rate, atomic_load(&rt->xruns), atomic_load(&rt->gaps),
		      atomic_load(&rt->cmd_applied), atomic_load(&rt->cmd_late), atomic_load(&rt->cmd_rejected),
		      atomic_load(&rt->cmd_dropped), atomic_load(&rt->pending), atomic_load(&rt->lim_hits[0]),
		      atomic_load(&rt->lim_hits[1]), atomic_load(&rt->ret_nonfinite), atomic_load(&rt->conv_dry),
		      (unsigned long long)(atomic_load(&h->mlocked_bytes) >> 20),
		      (unsigned long long)(h->total_size >> 20));
	for (i = 0; i < h->geom.n_inputs && p < e; i++)
		p += snprintf(p, (size_t)(e - p), "  in_%u: peak %.1f dBFS, clips %u%s", i + 1,
			      to_db(jl_bits_f(atomic_load(&rt->in_peak[i]))), atomic_load(&rt->in_clips[i]),
			      i + 1 < h->geom.n_inputs ? "\n" : "");
	jl_live_status(d, rq->json);
	{
		json_t *t = json_object_get(rq->json, "tempo");
		if (p < e && json_is_true(json_object_get(t, "known")))
			p += snprintf(p, (size_t)(e - p), "\n  tempo: %.2f BPM (confidence %.2f)",
				      json_real_value(json_object_get(t, "bpm")),
				      json_real_value(json_object_get(t, "confidence")));
		else if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n  tempo: unknown");
	}
	if (d->m) {
		char sync[160];
		jl_outputs_sync_status(d, rq->json, sync, sizeof(sync));
		json_object_set_new(rq->json, "midi_clock", json_boolean(!d->m->midi_clock_off));
		json_object_set_new(rq->json, "midi_clock_offset_ms", json_real(d->m->midi_clock_offset_ms));
		if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n  MIDI in: %s, map %s", d->midi ? "ALSA sequencer" : "none",
				      d->midi_map ? d->midi_map->file : "built-in");
		if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n  MIDI clock out: %s (offset %+.1f ms); %s",
				      d->m->midi_clock_off ? "off" : "on", d->m->midi_clock_offset_ms, sync);
	}
	jl_notify_status(d, rq->json);
	if (p < e && jl_notify_count(d) > 0)
		p += snprintf(p, (size_t)(e - p), "\n  OSC state feedback: %d subscriber%s", jl_notify_count(d),
			      jl_notify_count(d) == 1 ? "" : "s");
	if (p < e) {
		jl_session_status(rq->json, p, (size_t)(e - p));
		p += strlen(p);
	}
	if (p < e)
		jl_looper_status(d, rq->json, p, (size_t)(e - p), only);
	return 0;
}

int jl_midi_command_ok(const char *word)
{
	const struct jl_command *c = jl_command_find(word);
	return c && c->fn;
}

/* midi-map [FILE|default]: the active pedal map, or another one. */
static int cmd_midi_map(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	const struct jl_midi_binding *b;
	json_t *arr = json_array();
	char *p = rq->msg, *e = rq->msg + sizeof(rq->msg), name[48];
	if (argc == 2 && !strcmp(argv[1], "default")) {
		jl_midi_map_free(d->midi_map);
		d->midi_map = NULL;
	} else if (argc == 2) {
		char err[512];
		struct jl_midi_map *m;
		if (argv[1][0] != '/') {
			json_decref(arr);
			return jl_say(rq, 2, "'%s': the daemon needs an absolute path (the loopctl CLI makes one)", argv[1]);
		}
		m = jl_midi_map_load(argv[1], jl_midi_command_ok, err, sizeof(err));
		if (!m) {
			json_decref(arr);
			return jl_say(rq, 1, "%s; the map in use is unchanged", err);
		}
		jl_midi_map_free(d->midi_map);
		d->midi_map = m;
	}
	b = d->midi_map ? d->midi_map->b : jl_midi_default_map;
	p += snprintf(p, (size_t)(e - p), "MIDI map: %s%s", d->midi_map ? d->midi_map->file : "built-in",
		      d->midi ? "" : " (no ALSA sequencer here: nothing is received)");
	for (; b->kind; b++) {
		json_t *o = json_pack("{s:s,s:i,s:i,s:s}", "kind", jl_midi_kind_name(b->kind), "number", b->number,
				      "channel", b->channel == 255 ? 0 : b->channel + 1, "command", b->command);
		jl_midi_binding_name(b, name, sizeof(name));
		if (b->kind == JL_MIDI_FADER) {
			json_object_set_new(o, "low", json_real(b->lo));
			json_object_set_new(o, "high", json_real(b->hi));
		}
		json_array_append_new(arr, o);
		if (p < e && b->kind == JL_MIDI_FADER)
			p += snprintf(p, (size_t)(e - p), "\n  %-20s %s VALUE (0..127 -> %g..%g)", name, b->command, b->lo,
				      b->hi);
		else if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n  %-20s %s", name, b->command);
	}
	json_object_set_new(rq->json, "file", d->midi_map ? json_string(d->midi_map->file) : json_null());
	json_object_set_new(rq->json, "bindings", arr);
	return 0;
}

/* help: every command's synopsis, or one command's synopsis and what it
 * does ("commands" holds the one). */
static int cmd_help(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	const struct jl_command *c;
	json_t *arr;
	char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
	(void)d;
	if (argc == 2) {
		c = jl_command_find(argv[1]);
		if (!c)
			return bad_arg(rq, "help: unknown command '%s' (help lists them)", argv[1]);
		json_object_set_new(rq->json, "commands",
				    json_pack("[{s:s,s:s,s:s}]", "name", c->name, "args", c->synopsis, "help", c->help));
		return jl_say(rq, 0, "%s%s%s\n  %s", c->name, c->synopsis[0] ? " " : "", c->synopsis, c->help);
	}
	arr = json_array();
	for (c = jl_commands; c->name; c++) {
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "name", c->name, "args", c->synopsis,
						     "help", c->help));
		if (p < e)
			p += snprintf(p, (size_t)(e - p), "%s%s %s", p == rq->msg ? "" : "\n", c->name, c->synopsis);
	}
	json_object_set_new(rq->json, "commands", arr);
	return 0;
}


const struct jl_command jl_commands[] = {
	{ "ping", 0, 0, "", "check that the daemon answers", cmd_ping },
	{ "status", 0, 2, "[TRACK] [--json]", "engine figures, inputs, outputs, tracks (or one track)", cmd_status },
	{ "help", 0, 1, "[COMMAND]", "list the commands, or say what one does", cmd_help },
	{ "master-gain", 1, 5, "DB [--ramp-ms MS] [--at FRAME]", "set the master gain (ramped)", cmd_master_gain },
	{ "impulse", 0, 3, "[AMP] [--at FRAME]", "a one-sample test impulse on every output", cmd_impulse },
	{ "meter-reset", 0, 0, "", "restart the peak meters", cmd_meter_reset },
	{ "record", 0, 14, "[TRACK|new] [--cycles N] [--bars N] [--pa-mute] [--in 1,2] [--threshold DB] [--quantize MODE] [--count-in BARS]",
	  "start a take; the next press ends it (first loop = anchor)", jl_cmd_record },
	{ "capture", 0, 7, "[CYCLES] [--bars N] [--seconds S] [--track T]", "loop what was already played", jl_cmd_capture },
	{ "play", 0, 2, "[TRACK|all] [--sync]", "restart at the next cycle start (--sync: in phase now)", jl_cmd_play },
	{ "stop", 0, 1, "[TRACK|all]", "stop (fade out)", jl_cmd_stop },
	{ "mute", 0, 1, "[TRACK|all]", "mute (ramped)", jl_cmd_mute },
	{ "unmute", 0, 1, "[TRACK|all]", "unmute (ramped)", jl_cmd_unmute },
	{ "toggle", 0, 1, "[TRACK|all]", "mute or unmute", jl_cmd_toggle },
	{ "gain", 1, 2, "[TRACK] DB", "track gain (ramped)", jl_cmd_gain },
	{ "pan", 1, 2, "[TRACK] P", "track pan, -1..1 (ramped)", jl_cmd_pan },
	{ "solo", 0, 2, "[TRACK] [on|off]", "solo a track (toggles)", jl_cmd_solo },
	{ "undo", 0, 1, "[TRACK]", "undo the last take/clear (per track or global); cancels a take", jl_cmd_undo },
	{ "redo", 0, 1, "[TRACK]", "redo what was undone, most recent first", jl_cmd_redo },
	{ "layer", 3, 4, "TRACK L mute|unmute|gain DB|reverse on|off|rate 0.5|1|2|delete", "address any overdub",
	  jl_cmd_layer },
	{ "clear", 1, 1, "TRACK|all", "clear tracks (undoable)", jl_cmd_clear },
	{ "select", 1, 1, "next|prev|TRACK", "the track commands default to", jl_cmd_select },
	{ "panic", 0, 0, "", "everything fades out fast", jl_cmd_panic },
	{ "tap", 0, 0, "", "tap tempo", jl_cmd_tap },
	{ "tempo", 0, 1, "[BPM|half|double|2/3|3/2|third|triple]",
	  "the live tempo; BPM: preset tempo (before a loop) or beats per cycle; half, double, 2/3, 3/2, third, triple: "
	  "another metrical level (x0.5, x2, ...)",
	  jl_cmd_tempo },
	{ "onsets", 0, 2, "[--last SECONDS]", "recent onsets the analysis found", jl_cmd_onsets },
	{ "phones", 2, 3, "delay MS | level TRACK|master|click DB | limit DB", "the headphone mix", jl_cmd_phones },
	{ "monitor", 2, 8, "INPUT off | [--main DB] [--phones DB] [--pan P]", "dry input monitoring", jl_cmd_monitor },
	{ "click", 1, 5, "on|off [--pa|--no-pa] [--level DB]", "metronome on the phones (and the PA)", jl_cmd_click },
	{ "midi-map", 0, 1, "[FILE|default]", "the pedal map (MIDI -> commands): list it, load one from FILE, or the built-in",
	  cmd_midi_map },
	{ "midiclock", 0, 3, "[on|off] [--offset MS]", "MIDI clock out on clock_out (24 per beat, Start on a downbeat)",
	  jl_cmd_midiclock },
	{ "sync", 0, 1, "[midi|off]", "before the first loop, follow the MIDI clock on clock_in", jl_cmd_sync },
	/* fx add TARGET TYPE and 24 parameters: 26 words; no entry may
	 * allow more than OSC_MAX_ARGS (32 in osc.c), or a command the CLI
	 * accepts is refused over OSC */
	{ "fx", 1, 32, "add TARGET TYPE [k=v...] | set TARGET SLOT k=v... | remove TARGET SLOT | list [TARGET]",
	  "effect chains on tracks, master (TARGET 1..64|master|inN)", jl_cmd_fx },
	{ "send", 2, 2, "TRACK on|off", "route a track through its send/return ports (jackloop --sends)", jl_cmd_send },
	{ "calibrate", 0, 4, "[--port IN] [--out PORT] | off", "measure the real round trip; compensate takes by it",
	  jl_cmd_calibrate },
	{ "pa-mute", 1, 1, "on|off", "mute the PA while any take records", jl_cmd_pa_mute },
	{ "trim", 2, 2, "INPUT DB", "input trim before the history (ramped)", jl_cmd_trim },
	{ "quantize", 0, 1, "[off|cycle|bar|beat|onset]", "the global quantize mode", jl_cmd_quantize },
	{ "meter", 0, 1, "[BEATS]", "beats per bar, 1..16 (bars, count-in, the click's accent, the downbeats)",
	  jl_cmd_meter },
	{ "downbeat", 0, 0, "", "before the first loop: the beat nearest the press is the one", jl_cmd_downbeat },
	{ "at", 2, 24, "next-cycle|next-bar|FRAME [--every-cycle|--count N] COMMAND...",
	  "schedule any command on an exact frame", jl_cmd_at },
	{ "triggers", 0, 0, "", "list pending triggers", jl_cmd_triggers },
	{ "cancel", 1, 1, "ID", "cancel a pending trigger", jl_cmd_cancel },
	{ "save", 1, 2, "DIR [--force]", "save the loops: DIR/session.json and a WAV file per layer", jl_cmd_save },
	{ "load", 1, 1, "DIR", "load a saved session into the empty looper; it plays from the next cycle", jl_cmd_load },
	{ "import", 1, 9, "FILE [--track TRACK|new] [--cycles N] [--stretch] [--now] [--beats N]",
	  "an audio file as a loop: fitted to the cycle, from the next cycle (or it is the first loop)", jl_cmd_import },
	{ "subscribe", 0, 8, "[--port PORT|--url URL] [--interval MS] [--lease S] [--renew] [--no-bundle]",
	  "push the looper's state (and the cycle position) to an OSC address as it changes", jl_cmd_subscribe },
	{ "unsubscribe", 0, 2, "[--port PORT|--url URL|all]", "stop pushing the state to an OSC address",
	  jl_cmd_unsubscribe },
	{ NULL, 0, 0, NULL, NULL, NULL },
};

const struct jl_command *jl_command_find(const char *name)
{
	const struct jl_command *c;
	for (c = jl_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}
