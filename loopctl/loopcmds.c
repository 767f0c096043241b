/* loopcmds.c - argument parsing of the looper's commands.  The handlers
 * are entries of the one command table (commands.c); the musical logic is
 * in looper.c.  A bad argument is a usage error (2). */
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
#include "util.h"
#include "model.h"
#include "session.h"

#define usage(rq, ...) jl_say(rq, 2, __VA_ARGS__)

static int num(const char *s, double *v)
{
	char *end;
	errno = 0;
	*v = strtod(s, &end);
	return errno || end == s || *end || !isfinite(*v) ? -1 : 0;
}

static int track_arg(struct jl_daemon *d, struct jl_req *rq, const char *w, int *t, int allow_all)
{
	if (jl_looper_parse_track(d, w, t) < 0 || (!allow_all && *t == JL_T_ALL))
		return usage(rq, "'%s' is not a track (1..%d%s)", w, JL_MAX_TRACKS, allow_all ? ", sel or all" : " or sel");
	return 0;
}

int jl_cmd_record(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_rec_opts o;
	int i;
	uint32_t v;
	memset(&o, 0, sizeof(o));
	o.track = JL_T_SELECTED;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--pa-mute")) {
			o.pa_mute = 1;
		} else if (!strcmp(a, "--cycles") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 1024, &o.cycles))
				return usage(rq, "--cycles needs 1..1024");
		} else if (!strcmp(a, "--bars") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 256, &o.bars))
				return usage(rq, "--bars needs 1..256");
		} else if (!strcmp(a, "--threshold") && i + 1 < argc) {
			if (num(argv[++i], &o.threshold_db) || o.threshold_db > 0 || o.threshold_db < -90)
				return usage(rq, "--threshold needs a level in dBFS, -90..0");
			o.has_threshold = 1;
		} else if (!strcmp(a, "--in") && i + 1 < argc) {
			char buf[32], *save = NULL, *w;
			snprintf(buf, sizeof(buf), "%s", argv[++i]);
			o.n_in = 0;
			for (w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
				if (o.n_in == 2 || jl_parse_u32(w, 1, d->shm.hdr->geom.n_inputs, &v))
					return usage(rq, "--in takes one or two inputs, 1..%u (e.g. --in 1,2)",
						     d->shm.hdr->geom.n_inputs);
				o.in[o.n_in++] = (uint16_t)(v - 1);
			}
			if (!o.n_in)
				return usage(rq, "--in takes one or two inputs");
		} else if (!strcmp(a, "--count-in") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 16, &o.count_in))
				return usage(rq, "--count-in needs 1..16 bars");
		} else if (!strcmp(a, "--quantize") && i + 1 < argc) {
			o.quant = jl_looper_parse_quant(argv[++i]);
			if (o.quant < 0)
				return usage(rq, "--quantize off|cycle|bar|beat|onset");
		} else if (!strcmp(a, "new")) {
			o.track = JL_T_NEW;
		} else if (a[0] != '-' && o.track == JL_T_SELECTED && i == 1) {
			if (track_arg(d, rq, a, &o.track, 0))
				return 2;
		} else {
			return usage(rq, "usage: record [TRACK|new] [--cycles N] [--bars N] [--pa-mute] [--in 1,2] "
					 "[--threshold DB] [--quantize MODE] [--count-in BARS]");
		}
	}
	return jl_looper_record(d, rq, &o);
}

int jl_cmd_capture(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	uint32_t cycles = 0, bars = 0;
	double seconds = 0;
	int i, t = JL_T_NEW;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bars") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 256, &bars))
				return usage(rq, "--bars needs 1..256");
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			if (num(argv[++i], &seconds) || seconds <= 0 || seconds > 3600)
				return usage(rq, "--seconds needs a length in seconds");
		} else if (!strcmp(argv[i], "--track") && i + 1 < argc) {
			if (track_arg(d, rq, argv[++i], &t, 0))
				return 2;
		} else if (jl_parse_u32(argv[i], 1, 1024, &cycles)) {
			return usage(rq, "usage: capture [CYCLES] [--bars N] [--seconds S] [--track T]");
		}
	}
	if (!!cycles + !!bars + (seconds > 0) > 1)
		return usage(rq, "capture takes one of CYCLES, --bars or --seconds");
	return jl_looper_capture(d, rq, cycles, seconds, bars, t);
}

int jl_cmd_import(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	static const char use[] = "usage: import FILE [--track TRACK|new] [--cycles N] [--stretch] [--now] [--beats N]";
	struct jl_import im;
	const char *file = NULL;
	int i;
	memset(&im, 0, sizeof(im));
	im.track = JL_T_NEW;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--cycles") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 1024, &im.cycles))
				return usage(rq, "--cycles needs 1..1024");
		} else if (!strcmp(a, "--beats") && i + 1 < argc) {
			if (jl_parse_u32(argv[++i], 1, 4096, &im.beats))
				return usage(rq, "--beats needs 1..4096");
		} else if (!strcmp(a, "--stretch")) {
			im.stretch = 1;
		} else if (!strcmp(a, "--now")) {
			im.now = 1;
		} else if (!strcmp(a, "--track") && i + 1 < argc) {
			if (strcmp(argv[++i], "new") && track_arg(d, rq, argv[i], &im.track, 0))
				return 2;
		} else if (a[0] != '-' && a[0] && !file) {
			file = a;
		} else {
			return usage(rq, "%s", use);
		}
	}
	if (!file)
		return usage(rq, "%s", use);
	if ((i = jl_session_wait_turn(d, rq, argc, argv)))
		return i;
	return jl_session_import(d, rq, file, &im);
}

/* play/stop/mute/unmute/toggle/clear/undo/redo [TRACK|all] */
static int target(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv, int first, int *t)
{
	*t = JL_T_SELECTED;
	if (argc > first + 1)
		return usage(rq, "usage: %s [TRACK|all]", argv[0]);
	if (argc == first + 1 && track_arg(d, rq, argv[first], t, 1))
		return 2;
	return 0;
}

int jl_cmd_play(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t, sync = 0, top = 0, i, o = 1;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sync"))
			sync = 1;
		else if (!strcmp(argv[i], "--top"))
			top = 1; /* internal: restart on the scheduled frame */
		else
			argv[o++] = argv[i];
	}
	if (target(d, rq, o, argv, 1, &t))
		return 2;
	return jl_looper_play(d, rq, t, sync, top);
}

#define SIMPLE(name, call)                                                          \
	int jl_cmd_##name(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv) \
	{                                                                           \
		int t;                                                              \
		if (target(d, rq, argc, argv, 1, &t))                               \
			return 2;                                                   \
		return call;                                                        \
	}
SIMPLE(stop, jl_looper_stop(d, rq, t))
SIMPLE(mute, jl_looper_mute(d, rq, t, 1))
SIMPLE(unmute, jl_looper_mute(d, rq, t, 0))
SIMPLE(toggle, jl_looper_mute(d, rq, t, 2))
SIMPLE(undo, jl_looper_undo(d, rq, t == JL_T_ALL ? JL_T_SELECTED : (argc > 1 ? t : JL_T_SELECTED), 0))
SIMPLE(redo, jl_looper_undo(d, rq, t == JL_T_ALL ? JL_T_SELECTED : (argc > 1 ? t : JL_T_SELECTED), 1))

int jl_cmd_clear(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t;
	if (argc != 2)
		return usage(rq, "usage: clear TRACK|all");
	if (track_arg(d, rq, argv[1], &t, 1))
		return 2;
	return jl_looper_clear(d, rq, t);
}

/* gain [TRACK] DB, pan [TRACK] P */
static int level(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv, int *t, double *v)
{
	if (argc < 2 || argc > 3)
		return usage(rq, "usage: %s [TRACK] %s", argv[0], !strcmp(argv[0], "pan") ? "P (-1..1)" : "DB");
	*t = JL_T_SELECTED;
	if (argc == 3 && track_arg(d, rq, argv[1], t, 0))
		return 2;
	if (num(argv[argc - 1], v))
		return usage(rq, "'%s' is not a number", argv[argc - 1]);
	return 0;
}

int jl_cmd_gain(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t;
	double db;
	if (level(d, rq, argc, argv, &t, &db))
		return 2;
	if (db > 24.0 || db < -120.0)
		return usage(rq, "track gain must be -120..+24 dB");
	return jl_looper_gain(d, rq, t, db);
}

int jl_cmd_pan(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t;
	double p;
	if (level(d, rq, argc, argv, &t, &p))
		return 2;
	if (p < -1.0 || p > 1.0)
		return usage(rq, "pan must be -1 (left) .. 1 (right)");
	return jl_looper_pan(d, rq, t, p);
}

int jl_cmd_solo(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t = JL_T_SELECTED, mode = 2;
	if (argc > 3)
		return usage(rq, "usage: solo [TRACK] [on|off]");
	if (argc >= 2 && track_arg(d, rq, argv[1], &t, 0))
		return 2;
	if (argc == 3) {
		if (!strcmp(argv[2], "on"))
			mode = 1;
		else if (!strcmp(argv[2], "off"))
			mode = 0;
		else
			return usage(rq, "usage: solo [TRACK] [on|off]");
	}
	return jl_looper_solo(d, rq, t, mode);
}

int jl_cmd_layer(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t;
	uint32_t n;
	double db = 0;
	if (argc < 4 || track_arg(d, rq, argv[1], &t, 0) || jl_parse_u32(argv[2], 1, 1u << 20, &n))
		return usage(rq, "usage: layer TRACK L mute|unmute|gain DB|delete");
	if (!strcmp(argv[3], "gain")) {
		if (argc != 5 || num(argv[4], &db) || db > 24.0 || db < -120.0)
			return usage(rq, "layer gain needs a level in dB, -120..+24");
	} else if (!strcmp(argv[3], "reverse")) {
		if (argc != 5 || (strcmp(argv[4], "on") && strcmp(argv[4], "off")))
			return usage(rq, "layer TRACK L reverse on|off");
		db = !strcmp(argv[4], "on");
	} else if (!strcmp(argv[3], "rate")) {
		if (argc != 5 || num(argv[4], &db) || (db != 0.5 && db != 1.0 && db != 2.0))
			return usage(rq, "layer TRACK L rate 0.5|1|2");
	} else if (argc != 4 || (strcmp(argv[3], "mute") && strcmp(argv[3], "unmute") && strcmp(argv[3], "delete"))) {
		return usage(rq, "usage: layer TRACK L mute|unmute|gain DB|reverse on|off|rate 0.5|1|2|delete");
	}
	return jl_looper_layer(d, rq, t, n, argv[3], db);
}

int jl_cmd_select(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc;
	return jl_looper_select(d, rq, argv[1]);
}

int jl_cmd_panic(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc; (void)argv;
	return jl_looper_panic(d, rq);
}

int jl_cmd_tap(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc; (void)argv;
	return jl_looper_tap(d, rq);
}

int jl_cmd_tempo(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	double bpm;
	if (argc == 1) {
		/* the live estimate (DESIGN 5), and the loop's tempo */
		struct jl_tempo t;
		json_t *j;
		jl_live_status(d, rq->json);
		j = json_object_get(rq->json, "tempo");
		memset(&t, 0, sizeof(t));
		if (d->ana)
			jl_analysis_tempo(d->ana, &t);
		if (d->m->has_anchor)
			json_object_set_new(rq->json, "loop_bpm",
					    json_real(60.0 * d->shm.hdr->geom.sample_rate * d->m->beats_per_cycle /
						      (double)d->m->cycle));
		if (!t.known) {
			snprintf(rq->msg, sizeof(rq->msg), "tempo unknown");
			return 0;
		}
		char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
		p += snprintf(p, (size_t)(e - p), "%.2f BPM (confidence %.2f), beat phase %.2f", t.bpm, t.confidence,
			      json_real_value(json_object_get(j, "beat_phase")));
		if (t.bar_known && p < e)
			p += snprintf(p, (size_t)(e - p), ", beat %d of %u",
				      1 + (int)floor(json_real_value(json_object_get(j, "bar_phase")) * t.per_bar + 1e-9) %
						  (int)t.per_bar,
				      t.per_bar);
		if (t.level_set && p < e)
			snprintf(p, (size_t)(e - p), ", at the level set by hand (%.2f heard)", t.heard_bpm);
		return 0;
	}
	/* another metrical level: the ratio its word scales the tempo by */
	unsigned ln, ld;
	if (jl_level_word(argv[1], &ln, &ld) == 0)
		return jl_looper_tempo_scale(d, rq, ln, ld);
	if (num(argv[1], &bpm))
		return usage(rq, "usage: tempo [BPM|half|double|2/3|3/2|third|triple]");
	return jl_looper_tempo(d, rq, bpm);
}

int jl_cmd_onsets(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	static struct jl_onset on[512];
	double last = 5.0, rate = d->shm.hdr->geom.sample_rate;
	uint64_t head = atomic_load(&d->shm.rt->history_head), since;
	char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
	json_t *arr = json_array();
	size_t n = 0, k;
	if (argc == 3 && !strcmp(argv[1], "--last")) {
		if (num(argv[2], &last) || last <= 0 || last > 600)
			return usage(rq, "--last needs 0..600 seconds");
	} else if (argc != 1) {
		return usage(rq, "usage: onsets [--last SECONDS]");
	}
	since = head > (uint64_t)(last * rate) ? head - (uint64_t)(last * rate) : 0;
	if (d->ana)
		n = jl_analysis_onsets(d->ana, since, on, sizeof(on) / sizeof(on[0]));
	p += snprintf(p, (size_t)(e - p), "%zu onsets in the last %.1f s (frame, seconds ago):", n, last);
	for (k = 0; k < n; k++) {
		json_array_append_new(arr, json_pack("{s:I,s:f,s:f,s:b}", "frame", (json_int_t)on[k].frame, "ago",
						     (double)(head - on[k].frame) / rate, "strength", (double)on[k].strength,
						     "swell", on[k].swell));
		if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n%llu %.3f%s", (unsigned long long)on[k].frame,
				      (double)(head - on[k].frame) / rate, on[k].swell ? " swell" : "");
	}
	json_object_set_new(rq->json, "onsets", arr);
	return 0;
}

int jl_cmd_quantize(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	return jl_looper_quantize(d, rq, argc > 1 ? argv[1] : NULL);
}

int jl_cmd_meter(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	return jl_looper_meter(d, rq, argc > 1 ? argv[1] : NULL);
}

int jl_cmd_downbeat(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc; (void)argv;
	return jl_looper_downbeat(d, rq);
}

int jl_cmd_at(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int i = 2, mode = JL_T_ONCE;
	uint32_t count = 1;
	if (argc < 3)
		return usage(rq, "usage: at next-cycle|next-bar|FRAME [--every-cycle|--count N] COMMAND...");
	if (!strcmp(argv[i], "--every-cycle")) {
		mode = JL_T_EVERY_CYCLE;
		i++;
	} else if (!strcmp(argv[i], "--count") && i + 1 < argc) {
		if (jl_parse_u32(argv[i + 1], 1, 100000, &count))
			return usage(rq, "--count needs 1..100000");
		mode = JL_T_COUNT;
		i += 2;
	}
	if (i >= argc)
		return usage(rq, "at: which command?");
	return jl_looper_at(d, rq, argv[1], mode, count, argc - i, argv + i);
}

int jl_cmd_triggers(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	(void)argc; (void)argv;
	return jl_looper_triggers(d, rq);
}

int jl_cmd_cancel(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	uint32_t id;
	(void)argc;
	if (jl_parse_u32(argv[1], 1, 0xFFFFFFFFu, &id))
		return usage(rq, "usage: cancel ID (see: loopctl triggers)");
	return jl_looper_cancel(d, rq, id);
}

int jl_cmd_trim(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	uint32_t in;
	double db;
	struct jl_cmd c;
	(void)argc;
	if (jl_parse_u32(argv[1], 1, d->shm.hdr->geom.n_inputs, &in) || num(argv[2], &db) || db < -60.0 || db > 24.0)
		return usage(rq, "usage: trim INPUT DB (input 1..%u, -60..+24 dB)", d->shm.hdr->geom.n_inputs);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_INPUT_TRIM;
	c.target = (rq->has_arrival ? rq->arrival : jl_daemon_now(d)) + jl_daemon_period(d);
	if (rq->scheduled)
		c.target = rq->at;
	c.p.u[0] = in - 1;
	c.p.f[2] = (float)pow(10.0, db / 20.0);
	if (jl_daemon_push(d, &c) < 0)
		return snprintf(rq->msg, sizeof(rq->msg), "command queue full: not done, try again"), 1;
	d->m->trim_db[in - 1] = (float)db;
	snprintf(rq->msg, sizeof(rq->msg), "in_%u trim %.1f dB (what is recorded)", in, db);
	return 0;
}

int jl_cmd_send(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	int t;
	(void)argc;
	if (track_arg(d, rq, argv[1], &t, 0))
		return 2;
	if (strcmp(argv[2], "on") && strcmp(argv[2], "off"))
		return usage(rq, "usage: send TRACK on|off");
	return jl_looper_send(d, rq, t, !strcmp(argv[2], "on"));
}
