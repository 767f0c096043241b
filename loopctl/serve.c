/* serve.c - `loopctl serve`: the control daemon.
 *
 * One thread, one poll() loop over the OSC socket, the ALSA sequencer fds
 * (when there is a sequencer), a timerfd tick and a signalfd (STYLE 25).
 * The OSC server is up before any slow start-up work (DESIGN 5). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "daemon.h"
#include "jl_alloc.h"
#include "looper.h"
#include "model.h"
#include "notify.h"
#include "osc.h"
#include "util.h"

static void serve_usage(FILE *f)
{
	fprintf(f,
		"Usage: loopctl serve [--name NAME] [--server SERVER] [--osc-port PORT] [--osc-host ADDR] [--no-midi]\n"
		"                     [LOOPER OPTIONS]\n"
		"Run the control daemon of a jackloop instance (jackloop normally starts it).\n"
		"\n"
		"  -n, --name NAME      the jackloop instance (default: jackloop)\n"
		"  -s, --server NAME    JACK server name (default: $JACK_DEFAULT_SERVER or 'default')\n"
		"      --osc-port PORT  UDP port for OSC (default: %d; 0 = any free port)\n"
		"      --osc-host ADDR  address to bind (default: 127.0.0.1)\n"
		"      --no-midi        do not open the ALSA sequencer\n"
		"      --quantize-ms MS snap takes to cycle boundaries within MS (default: 200; at most a quarter cycle)\n"
		"      --seam-ms MS     loop seam crossfade / edge fade length (default: 10)\n"
		"      --ramp-ms MS     ramp length of every level change (default: 10)\n"
		"      --monitor main|phones  the path the performer hears, for latency compensation (default: main)\n"
		"      --extra-latency FRAMES add to the take compensation (default: 0)\n"
		"      --extend pow2|whole    extend long takes to 2^k cycles (default) or whole cycles\n"
		"      --copy-delay-ms MS     debug: delay the history -> pool copy of new loops\n"
		"      --quantize MODE  global quantize mode: off|cycle|bar|beat|onset (default: cycle)\n"
		"      --onset-window-ms MS   reach of onset quantization (default: 100)\n"
		"      --analysis-input N|mix the input the live analysis listens to (default: mix)\n"
		"      --max-ir-seconds S     longest impulse response for convolution (default: 4)\n"
		"      --phones-delay MS      delay the phones mix to line it up with the PA\n"
		"      --midi-map FILE        the pedal map: MIDI notes, controllers and program changes\n"
		"                             to commands (INI; see loopctl(1) 'MIDI')\n"
		"      --load DIR             load a saved session once the engine runs (not when\n"
		"                             carrying on with a previous daemon's loops)\n"
		"  -h, --help           show this help\n"
		"Exit status: 0 on SIGINT/SIGTERM, 1 error, 2 usage, 4 another daemon serves this instance.\n",
		JL_DEFAULT_OSC_PORT);
}

int jl_say(struct jl_req *rq, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rq->msg, sizeof(rq->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int jl_daemon_push(struct jl_daemon *d, struct jl_cmd *c)
{
	if (!c->id)
		c->id = ++d->next_id ? d->next_id : ++d->next_id;
	return jl_spsc_push(&d->cmdq, c) ? 0 : -EAGAIN;
}

uint64_t jl_daemon_now(const struct jl_daemon *d)
{
	uint64_t f, u, nu;
	uint32_t nf;
	if (jl_shm_cycle_read(d->shm.rt, &f, &u, &nu, &nf) != 0)
		return atomic_load(&d->shm.rt->frame);
	return f + nf;
}

uint64_t jl_daemon_period(const struct jl_daemon *d)
{
	uint32_t n = atomic_load(&d->shm.rt->nframes);
	return n ? n : 256;
}

int jl_daemon_run(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	const struct jl_command *c = jl_command_find(argv[0]);
	if (!c || !c->fn) {
		snprintf(rq->msg, sizeof(rq->msg), "unknown command '%s' (try: loopctl help)", argv[0]);
		return 1;
	}
	if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args)) {
		snprintf(rq->msg, sizeof(rq->msg), "usage: %s %s", c->name, c->synopsis);
		return 2;
	}
	return c->fn(d, rq, argc, argv);
}

static const char *reject_reason(uint64_t why)
{
	switch (why) {
	case JL_REJ_TYPE: return "unknown command type";
	case JL_REJ_RANGE: return "an index, length or parameter out of range";
	case JL_REJ_PENDING_FULL: return "the table of future commands is full";
	case JL_REJ_NOT_FOUND: return "cancel of a command no longer pending";
	case JL_REJ_RATE: return "engine silenced by a sample-rate change";
	default: return "unknown reason";
	}
}

static void log_counter(const char *what, _Atomic uint32_t *c, uint32_t *seen)
{
	uint32_t v = atomic_load_explicit(c, memory_order_relaxed);
	if (v != *seen) {
		fprintf(stderr, "loopctl: %s: %u (+%u)\n", what, v, v - *seen);
		*seen = v;
	}
}

/* The timer tick: drain events (hints), log RT counter changes. */
static void tick(struct jl_daemon *d)
{
	struct jl_evt ev;
	int n = 0;
	if (d->start_load[0] && atomic_load(&d->shm.rt->cycles)) {
		struct jl_req rq;
		char *w[] = { (char *)"load", d->start_load, NULL };
		memset(&rq, 0, sizeof(rq));
		rq.json = json_object();
		if (jl_daemon_run(d, &rq, 2, w) != JL_RC_DEFERRED) /* a deferred one is logged when done */
			fprintf(stderr, "loopctl: --load %s: %s\n", d->start_load, rq.msg);
		json_decref(rq.json);
		d->start_load[0] = 0;
	}
	while (n < 4096 && jl_spsc_pop(&d->evtq, &ev)) {
		n++;
		d->events_seen++;
		if (ev.type == JL_EVT_GAP) {
			fprintf(stderr, "loopctl: history gap of %llu frames at frame %llu (xrun)\n",
				(unsigned long long)ev.u[1], (unsigned long long)ev.u[0]);
			jl_clockin_gap(&d->clockin);
		}
		else if (ev.type == JL_EVT_MIDI_RT)
			jl_clockin_feed(&d->clockin, (uint8_t)ev.u[0], ev.u[1]);
		else if (ev.type == JL_EVT_REJECTED)
			fprintf(stderr, "loopctl: the engine rejected command %llu (type %llu) at frame %llu: %s\n",
				(unsigned long long)ev.id, (unsigned long long)ev.u[0], (unsigned long long)ev.frame,
				reject_reason(ev.u[1]));
	}
	log_counter("xruns", &d->shm.rt->xruns, &d->seen_xruns);
	log_counter("commands rejected by the engine", &d->shm.rt->cmd_rejected, &d->seen_rejected);
	log_counter("commands applied late", &d->shm.rt->cmd_late, &d->seen_late);
	log_counter("commands dropped (pending table full)", &d->shm.rt->cmd_dropped, &d->seen_dropped);
	log_counter("engine events dropped", &d->shm.rt->evt_dropped, &d->seen_evt_dropped);
	log_counter("voices faded before the history overwrote them", &d->shm.rt->hist_overrun, &d->seen_overrun);
	jl_daemon_tick(d);
}

void jl_daemon_tick(struct jl_daemon *d)
{
	jl_live_tick(d);
	jl_looper_tick(d);
	jl_cal_tick(d);
	jl_fx_tick(d);
	jl_session_tick(d);
	jl_notify_tick(d);
}

static void handle_midi(struct jl_daemon *d)
{
	snd_seq_event_t ev;
	uint64_t qstart;
	int k;
	for (k = 0; k < 64 && jl_midi_read(d->midi, &ev, &qstart); k++) {
		char buf[JL_MIDI_CMD_LEN], said[JL_MIDI_CMD_LEN], *words[JL_MIDI_CMD_WORDS + 1], *save = NULL, *w;
		struct jl_req rq;
		int argc = 0, r;
		/* a copy: the command may be midi-map, which frees the map */
		if (!jl_midi_command_line(&ev, d->midi_map ? d->midi_map->b : jl_midi_default_map, &d->midi_state, said,
					  sizeof(said)))
			continue;
		memset(&rq, 0, sizeof(rq));
		{
			/* the event's ALSA queue stamp, not when we got round to it */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			rq.has_arrival = jl_daemon_realtime_to_frame(
				d, jl_midi_event_time_us(&ev, qstart, (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u),
				&rq.arrival) == 0;
		}
		snprintf(buf, sizeof(buf), "%s", said);
		for (w = strtok_r(buf, " ", &save); w && argc < JL_MIDI_CMD_WORDS; w = strtok_r(NULL, " ", &save))
			words[argc++] = w;
		words[argc] = NULL;
		rq.json = json_object();
		r = jl_daemon_run(d, &rq, argc, words);
		if (r != 0 && r != JL_RC_DEFERRED) /* a deferred answer is logged when it comes */
			fprintf(stderr, "loopctl: MIDI '%s': %s\n", said, rq.msg);
		json_decref(rq.json);
	}
}

static int run_loop(struct jl_daemon *d)
{
	struct pollfd pfd[16];
	int nmidi = 0, np, i;
	while (!d->quit) {
		np = 0;
		pfd[np++] = (struct pollfd){ .fd = d->osc_fd, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = d->tfd, .events = POLLIN };
		pfd[np++] = (struct pollfd){ .fd = d->sfd, .events = POLLIN };
		if (d->midi)
			nmidi = jl_midi_fds(d->midi, pfd + np, 16 - np);
		np += nmidi > 0 ? nmidi : 0;
		if (poll(pfd, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "loopctl: poll: %s\n", strerror(errno));
			return JL_EXIT_FAIL;
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				d->quit = 1;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t ticks;
			if (read(d->tfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
				tick(d);
		}
		if (pfd[0].revents & POLLIN)
			jl_osc_readable(d);
		for (i = 3; i < np; i++)
			if (pfd[i].revents & POLLIN) {
				handle_midi(d);
				break;
			}
	}
	return JL_EXIT_OK;
}

int jl_daemon_attach(struct jl_daemon *d, char *err, size_t n)
{
	unsigned char *base_q = d->shm.queues;
	const struct jl_shm_header *h = d->shm.hdr;
	uint64_t qoff = h->region[JL_REG_QUEUES].off;
	if (jl_spsc_attach(&d->cmdq, base_q + (h->cmdq_off - qoff), h->geom.cmd_capacity, sizeof(struct jl_cmd)) < 0 ||
	    jl_spsc_attach(&d->evtq, base_q + (h->evtq_off - qoff), h->geom.evt_capacity, sizeof(struct jl_evt)) < 0) {
		snprintf(err, n, "the segment's queues are corrupt; restart jackloop");
		return -EPROTO;
	}
	if (h->region[JL_REG_MODEL].len < sizeof(struct jl_model)) {
		snprintf(err, n, "the segment's model region is too small (%llu bytes)",
			 (unsigned long long)h->region[JL_REG_MODEL].len);
		return -EPROTO;
	}
	d->m = (void *)d->shm.model;
	d->pool = (void *)d->shm.pool;
	jl_clockin_init(&d->clockin, h->geom.sample_rate);
	d->pool_floats = h->region[JL_REG_POOL].len / sizeof(float);
	if (jl_looper_init(d))
		fprintf(stderr, "loopctl serve: carrying on with the loops of the previous daemon (model generation %llu)\n",
			(unsigned long long)d->m->generation);
	return 0;
}

/* A numeric option within lo..hi; prints the error and returns -1 if not. */
static int opt_double(const char *arg, const char *name, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(arg, &end);
	if (!*arg || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "loopctl serve: invalid value '%s' for --%s (%g..%g)\n", arg, name, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int jl_serve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, 0, 'n' },	  { "server", required_argument, 0, 's' },
		{ "osc-port", required_argument, 0, 'p' }, { "osc-host", required_argument, 0, 'H' },
		{ "no-midi", no_argument, 0, 'M' },	   { "help", no_argument, 0, 'h' },
		{ "quantize-ms", required_argument, 0, 'q' }, { "seam-ms", required_argument, 0, 'S' },
		{ "ramp-ms", required_argument, 0, 'r' },   { "monitor", required_argument, 0, 'm' },
		{ "extra-latency", required_argument, 0, 'x' }, { "extend", required_argument, 0, 'e' },
		{ "copy-delay-ms", required_argument, 0, 'c' },
		{ "analysis-input", required_argument, 0, 'a' }, { "quantize", required_argument, 0, 'Q' },
		{ "onset-window-ms", required_argument, 0, 'w' }, { "max-ir-seconds", required_argument, 0, 'I' },
		{ "phones-delay", required_argument, 0, 'D' }, { "load", required_argument, 0, 'L' },
		{ "midi-map", required_argument, 0, 'K' },
		{ 0, 0, 0, 0 }
	};
	struct jl_looper_cfg cfg = { .quantize_ms = 200, .seam_ms = 10, .ramp_ms = 10, .preroll_ms = 5,
				     .onset_window_ms = 100, .analysis_input = -1, .max_ir_seconds = 4,
				     .phones_delay_ms = -1 };
	const char *name = "jackloop", *server = jl_shm_default_server(), *host = "127.0.0.1", *load = NULL,
		   *midi_map = NULL;
	int port = JL_DEFAULT_OSC_PORT, port_explicit = 0, midi = 1, c, r, rc = JL_EXIT_FAIL;
	char shm_name[256], err[512], note[256];
	struct jl_daemon *d;
	struct itimerspec its;
	sigset_t mask;

	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 's': server = optarg; break;
		case 'p': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || !*optarg || v < 0 || v > 65535) {
				fprintf(stderr, "loopctl serve: invalid --osc-port '%s'\n", optarg);
				return JL_EXIT_USAGE;
			}
			port = (int)v;
			port_explicit = 1;
			break;
		}
		case 'H': host = optarg; break;
		case 'M': midi = 0; break;
		case 'a':
			if (!strcmp(optarg, "mix")) {
				cfg.analysis_input = -1;
			} else {
				char *end;
				long v = strtol(optarg, &end, 10);
				if (*end || v < 1 || v > JL_MAX_INPUTS) {
					fprintf(stderr, "loopctl serve: --analysis-input N|mix\n");
					return JL_EXIT_USAGE;
				}
				cfg.analysis_input = (int)v - 1;
			}
			break;
		case 'Q':
			cfg.quantize = jl_looper_parse_quant(optarg);
			if (cfg.quantize < 0) {
				fprintf(stderr, "loopctl serve: --quantize off|cycle|bar|beat|onset\n");
				return JL_EXIT_USAGE;
			}
			break;
		case 'D':
			if (opt_double(optarg, "phones-delay", 0, JL_PHONES_MAX_DELAY_MS, &cfg.phones_delay_ms))
				return JL_EXIT_USAGE;
			break;
		case 'I':
			if (opt_double(optarg, "max-ir-seconds", 0.01, 30, &cfg.max_ir_seconds))
				return JL_EXIT_USAGE;
			break;
		case 'w':
			if (opt_double(optarg, "onset-window-ms", 1, 1000, &cfg.onset_window_ms))
				return JL_EXIT_USAGE;
			break;
		case 'q':
			if (opt_double(optarg, "quantize-ms", 0, 2000, &cfg.quantize_ms))
				return JL_EXIT_USAGE;
			break;
		case 'S':
			if (opt_double(optarg, "seam-ms", 0.1, 1000, &cfg.seam_ms))
				return JL_EXIT_USAGE;
			break;
		case 'r':
			if (opt_double(optarg, "ramp-ms", 0, 1000, &cfg.ramp_ms))
				return JL_EXIT_USAGE;
			break;
		case 'c':
			if (opt_double(optarg, "copy-delay-ms", 0, 600000, &cfg.copy_delay_ms))
				return JL_EXIT_USAGE;
			break;
		case 'x': {
			double v;
			if (opt_double(optarg, "extra-latency", 0, 480000, &v))
				return JL_EXIT_USAGE;
			cfg.extra_latency = (uint32_t)v;
			break;
		}
		case 'm':
			if (strcmp(optarg, "main") && strcmp(optarg, "phones")) {
				fprintf(stderr, "loopctl serve: --monitor main|phones\n");
				return JL_EXIT_USAGE;
			}
			cfg.monitor_phones = !strcmp(optarg, "phones");
			break;
		case 'e':
			if (strcmp(optarg, "pow2") && strcmp(optarg, "whole")) {
				fprintf(stderr, "loopctl serve: --extend pow2|whole\n");
				return JL_EXIT_USAGE;
			}
			cfg.extend_whole = !strcmp(optarg, "whole");
			break;
		case 'L': load = optarg; break;
		case 'K': midi_map = optarg; break;
		case 'h': serve_usage(stdout); return JL_EXIT_OK;
		default: serve_usage(stderr); return JL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "loopctl serve: unexpected argument '%s'\n", argv[optind]);
		return JL_EXIT_USAGE;
	}
	d = jl_calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "loopctl serve: out of memory\n");
		return JL_EXIT_FAIL;
	}
	d->tfd = d->sfd = d->osc_fd = -1;
	d->cfg = cfg;
	d->latency_override = -1;
	d->conv_ok = 1; /* jackloop plans the partition size at start-up */
	snprintf(d->server, sizeof(d->server), "%s", server);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (jl_shm_name(shm_name, sizeof(shm_name), (unsigned)getuid(), server, name) < 0) {
		fprintf(stderr, "loopctl serve: name too long\n");
		goto out;
	}
	r = jl_shm_open_daemon(&d->shm, shm_name, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "loopctl serve: %s\n", err);
		if (r == -ENOENT)
			fprintf(stderr, "  start jackloop first: jackloop --name %s\n", name);
		rc = r == -EBUSY ? JL_EXIT_LOCKED : JL_EXIT_FAIL;
		goto out;
	}
	if (jl_daemon_attach(d, err, sizeof(err)) < 0) {
		fprintf(stderr, "loopctl serve: %s\n", err);
		goto out;
	}
	if (midi_map) {
		char full[1024];
		if (jl_abs_path(midi_map, full, sizeof(full)) == 0)
			midi_map = full; /* status shows where it came from */
		d->midi_map = jl_midi_map_load(midi_map, jl_midi_command_ok, err, sizeof(err));
		if (!d->midi_map && d->m->generation == 1) {
			fprintf(stderr, "loopctl serve: --midi-map: %s\n", err);
			rc = JL_EXIT_USAGE;
			goto out;
		}
		/* a daemon restarted after a crash keeps the pedals working */
		if (!d->midi_map)
			fprintf(stderr, "loopctl serve: warning: --midi-map: %s; using the built-in map\n", err);
	}
	if (load && d->m->generation == 1) {
		/* --load: once the engine runs; a daemon restarted after a crash
		 * carries on with the loops instead (and a user's later 'clear
		 * all' is not undone by loading again) */
		if (jl_abs_path(load, d->start_load, sizeof(d->start_load)) < 0) {
			fprintf(stderr, "loopctl serve: --load: cannot make '%s' an absolute path\n", load);
			goto out;
		}
	}
	if (jl_shm_lock_held(d->shm.fd, JL_LOCK_ENGINE) == 0)
		fprintf(stderr, "loopctl serve: warning: jackloop is not running on %s; commands wait in the queue\n",
			shm_name);

	/* OSC first: a restarted daemon must answer quickly. */
	r = jl_osc_open(d, host, port, !port_explicit, err, sizeof(err), note, sizeof(note));
	if (r < 0) {
		fprintf(stderr, "loopctl serve: %s%s\n", err,
			r == -EADDRINUSE ? " (choose another with --osc-port)" : "");
		goto out;
	}
	if (note[0])
		fprintf(stderr, "loopctl serve: %s\n", note);
	if (!d->stamping)
		fprintf(stderr, "loopctl serve: warning: no kernel receive stamps; using the processing time\n");

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->sfd < 0 || d->tfd < 0) {
		fprintf(stderr, "loopctl serve: signalfd/timerfd: %s\n", strerror(errno));
		goto out;
	}
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_nsec = JL_TICK_US * 1000;
	its.it_value.tv_nsec = JL_TICK_US * 1000;
	timerfd_settime(d->tfd, 0, &its, NULL);

	if (midi) {
		char cname[96];
		snprintf(cname, sizeof(cname), "%s control", name);
		d->midi = jl_midi_open(cname, err, sizeof(err));
		if (!d->midi)
			fprintf(stderr, "loopctl serve: warning: %s\n", err);
	}

	/* Slow start-up work after the OSC server is up (DESIGN 5). */
	if (jl_notify_init(d) < 0)
		fprintf(stderr, "loopctl serve: warning: no OSC state feedback (out of memory)\n");
	if (jl_live_init(d) < 0)
		fprintf(stderr, "loopctl serve: warning: no live analysis (out of memory)\n");
	if (d->cfg.quantize > 0)
		d->m->quantize = (uint8_t)d->cfg.quantize;
	{
		/* settings the RT side must (re)learn from the daemon: the phones
		 * delay (option, or what the model kept) */
		struct jl_req rq;
		char ms[32], *argv2[4] = { (char *)"phones", (char *)"delay", ms, NULL };
		memset(&rq, 0, sizeof(rq));
		rq.json = json_object();
		snprintf(ms, sizeof(ms), "%g", d->cfg.phones_delay_ms >= 0 ? d->cfg.phones_delay_ms
									  : (double)d->m->phones_delay_ms);
		if (d->cfg.phones_delay_ms >= 0 || d->m->phones_delay_ms > 0)
			jl_daemon_run(d, &rq, 3, argv2);
		json_decref(rq.json);
	}

	/* Counters start from what the segment already shows. */
	d->seen_xruns = atomic_load(&d->shm.rt->xruns);
	d->seen_rejected = atomic_load(&d->shm.rt->cmd_rejected);
	d->seen_late = atomic_load(&d->shm.rt->cmd_late);
	d->seen_dropped = atomic_load(&d->shm.rt->cmd_dropped);
	d->seen_evt_dropped = atomic_load(&d->shm.rt->evt_dropped);

	atomic_store(&d->shm.hdr->daemon_pid, (int32_t)getpid());
	atomic_fetch_add(&d->shm.hdr->daemon_starts, 1);
	atomic_store(&d->shm.hdr->osc_port, (uint32_t)d->osc_port);
	fprintf(stderr, "loopctl serve: '%s' on JACK server '%s': OSC on udp://%s:%d%s\n", name, server, host,
		d->osc_port, d->midi ? ", MIDI via ALSA sequencer" : "");

	rc = run_loop(d);
	atomic_store(&d->shm.hdr->osc_port, 0);
	atomic_store(&d->shm.hdr->daemon_pid, 0);
out:
	jl_notify_close(d);
	jl_midi_map_free(d->midi_map);
	jl_live_close(d);
	jl_midi_close(d->midi);
	jl_osc_close(d);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->sfd >= 0)
		close(d->sfd);
	jl_shm_close(&d->shm);
	jl_free(d);
	return rc;
}
