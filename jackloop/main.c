/* jackloop - the JACK client of the jackloop live looper.
 *
 * Main thread (non-RT): arguments, JACK client, shared-memory segment,
 * memory locking, the control daemon's supervision, signals.  The process
 * callback lives in jack_glue.c and the engine in *_rt.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <jack/jack.h>

#include "../shared/jl_shm.h"
#include "conv.h"
#include "engine.h"
#include "jack_glue.h"
#include "supervise.h"

#define JL_VERSION "0.1.0"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: jackloop [OPTION]...\n"
		"A live looper for JACK: an always-on input history, loops, and a control daemon.\n"
		"\n"
		"  -n, --name NAME         JACK client and instance name (default: jackloop)\n"
		"  -s, --server NAME       JACK server to use (default: $JACK_DEFAULT_SERVER or 'default')\n"
		"  -i, --inputs N          number of input ports in_1..in_N (default: 2, max %d)\n"
		"      --history SECONDS   length of the always-on input history (default: 120)\n"
		"      --pool-mb MB        audio pool for stored loops, in MiB (default: 256)\n"
		"      --max-voices N      playback voices (default: 256, max %d)\n"
		"      --require-mlock     fail if the segment or the engine cannot be locked in RAM (for the stage)\n"
		"      --track-outs N      one stereo output per track for tracks 1..N (track_1_L...), post-fader\n"
		"      --sends N           send_N_L/R and return_N_L/R ports for tracks 1..N (an external FX rack)\n"
		"      --no-control        do not start the control daemon (loopctl serve)\n"
		"      --osc-port PORT     the daemon's OSC UDP port (default: 9960; 0 picks a free one)\n"
		"      --osc-host ADDR     the address the daemon's OSC server binds (default: 127.0.0.1)\n"
		"Looper options (passed to the control daemon, see loopctl(1)):\n"
		"      --quantize-ms MS    snap tolerance to cycle boundaries (default: 200)\n"
		"      --seam-ms MS        loop seam length (default: 10)\n"
		"      --ramp-ms MS        ramp of every level change (default: 10)\n"
		"      --monitor main|phones  the path the performer hears (default: main)\n"
		"      --extra-latency FRAMES added to the take latency compensation\n"
		"      --extend pow2|whole extend long takes to 2^k cycles (default) or whole cycles\n"
		"      --copy-delay-ms MS  debug: delay copying new loops out of the history\n"
		"      --quantize MODE     off|cycle|bar|beat|onset (default: cycle)\n"
		"      --onset-window-ms MS   reach of onset quantization (default: 100)\n"
		"      --analysis-input N|mix the input the live analysis listens to (default: mix)\n"
		"      --max-ir-seconds S  longest convolution impulse response (default: 4)\n"
		"      --phones-delay MS   delay the phones mix to line it up with the PA (default: 0)\n"
		"      --load DIR          start with a saved session (loopctl save DIR)\n"
		"      --midi-map FILE     the pedal map: MIDI to commands (INI, see loopctl(1) 'MIDI')\n"
		"  -h, --help              show this help and exit\n"
		"  -V, --version           show the version and exit\n"
		"\n"
		"Ports: in_1..in_N, out_L, out_R, phones_L, phones_R.  Patch them with qjackctl or jack_connect.\n"
		"Shared memory: /jackloop.<uid>.<server>.<name> (see loopctl(1) 'cleanup').\n"
		"Exit status: 0 clean shutdown, 1 error or JACK server gone, 2 usage,\n"
		"             4 another jackloop with this name is running.\n",
		JL_MAX_INPUTS, JL_MAX_VOICES_CAP);
}

static int parse_u(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	char *end;
	unsigned long v;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || !*s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void jack_error_cb(const char *msg)
{
	fprintf(stderr, "jackloop: JACK: %s\n", msg);
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Publishes CLOCK_REALTIME - jack_get_time(), so the daemon can convert
 * kernel receive stamps (CLOCK_REALTIME) into JACK's microseconds. */
static void publish_clock_offset(struct jl_shm *s)
{
	struct timespec ts;
	jack_time_t j0, j1;
	int64_t rt_us;
	j0 = jack_get_time();
	clock_gettime(CLOCK_REALTIME, &ts);
	j1 = jack_get_time();
	rt_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	atomic_store(&s->rt->realtime_minus_jack_us, rt_us - (int64_t)((j0 + j1) / 2));
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, 0, 'n' },	   { "server", required_argument, 0, 's' },
		{ "inputs", required_argument, 0, 'i' },   { "history", required_argument, 0, 'H' },
		{ "pool-mb", required_argument, 0, 'P' },  { "max-voices", required_argument, 0, 'v' },
		{ "require-mlock", no_argument, 0, 'L' },  { "no-control", no_argument, 0, 'C' },
		{ "osc-port", required_argument, 0, 'o' }, { "osc-host", required_argument, 0, 'O' },
		{ "help", no_argument, 0, 'h' },	   { "version", no_argument, 0, 'V' },
		/* looper options, passed to the control daemon as they are */
		{ "quantize-ms", required_argument, 0, 1000 }, { "seam-ms", required_argument, 0, 1001 },
		{ "ramp-ms", required_argument, 0, 1002 },     { "monitor", required_argument, 0, 1003 },
		{ "extra-latency", required_argument, 0, 1004 }, { "extend", required_argument, 0, 1005 },
		{ "copy-delay-ms", required_argument, 0, 1006 }, { "quantize", required_argument, 0, 1007 },
		{ "onset-window-ms", required_argument, 0, 1008 }, { "analysis-input", required_argument, 0, 1009 },
		{ "track-outs", required_argument, 0, 'T' }, { "sends", required_argument, 0, 'S' },
		{ "phones-delay", required_argument, 0, 1011 }, { "max-ir-seconds", required_argument, 0, 1010 },
		{ "load", required_argument, 0, 1012 }, { "midi-map", required_argument, 0, 1013 },
		{ 0, 0, 0, 0 }
	};
	static const char *const fwd_names[] = { "--quantize-ms", "--seam-ms", "--ramp-ms", "--monitor",
						 "--extra-latency", "--extend", "--copy-delay-ms", "--quantize",
						 "--onset-window-ms", "--analysis-input", "--max-ir-seconds", "--phones-delay",
						 "--load", "--midi-map" };
	const char *fwd[32];
	int nfwd = 0, k;
	const char *name = "jackloop", *server = jl_shm_default_server(), *osc_port = NULL, *osc_host = NULL;
	unsigned long inputs = 2, history_s = 120, pool_mb = 256, voices = 256, v;
	int require_mlock = 0, control = 1, strict = 0, c, rc = JL_EXIT_FAIL, r, failed_reg, merr, fresh = 0;
	char err[512], shm_name[256];
	jack_status_t status;
	struct jl_glue glue;
	struct jl_shm shm;
	struct jl_shm_geom geom;
	struct jl_super super;
	struct jl_conv_plans plans;
	struct sigaction sa;
	uint64_t locked;
	double last_clock = 0;

	memset(&glue, 0, sizeof(glue));
	memset(&super, 0, sizeof(super));
	memset(&plans, 0, sizeof(plans));
	while ((c = getopt_long(argc, argv, "n:s:i:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 's': server = optarg; break;
		case 'i':
			if (parse_u(optarg, 1, JL_MAX_INPUTS, &inputs)) goto bad;
			strict = 1;
			break;
		case 'H':
			if (parse_u(optarg, 1, 3600, &history_s)) goto bad;
			strict = 1;
			break;
		case 'P':
			if (parse_u(optarg, 1, 1 << 20, &pool_mb)) goto bad;
			strict = 1;
			break;
		case 'v':
			if (parse_u(optarg, 1, JL_MAX_VOICES_CAP, &voices)) goto bad;
			strict = 1;
			break;
		case 'L': require_mlock = 1; break;
		case 'T':
			if (parse_u(optarg, 0, JL_MAX_TRACKS, &v)) goto bad;
			glue.n_track_outs = (uint32_t)v;
			break;
		case 'S':
			if (parse_u(optarg, 0, JL_MAX_TRACKS, &v)) goto bad;
			glue.n_sends = (uint32_t)v;
			break;
		case 'C': control = 0; break;
		case 'o':
			if (parse_u(optarg, 0, 65535, &v)) goto bad;
			osc_port = optarg;
			break;
		case 'O': osc_host = optarg; break;
		case 1000: case 1001: case 1002: case 1003: case 1004: case 1005: case 1006: case 1007: case 1008:
		case 1009: case 1010: case 1011: case 1012: case 1013:
			if (nfwd < 30) {
				fwd[nfwd++] = fwd_names[c - 1000];
				fwd[nfwd++] = optarg;
			}
			break;
		case 'h': usage(stdout); return JL_EXIT_OK;
		case 'V': printf("jackloop %s (ABI %d.%d)\n", JL_VERSION, JL_ABI_MAJOR, JL_ABI_MINOR); return 0;
		default: usage(stderr); return JL_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jackloop: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return JL_EXIT_USAGE;
	}
	if (strlen(name) > 48 || strlen(server) > 48 || !*name) {
		fprintf(stderr, "jackloop: --name and --server must be 1..48 characters\n");
		return JL_EXIT_USAGE;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* A live instance holds the engine lock: refuse before touching JACK. */
	if (jl_shm_name(shm_name, sizeof(shm_name), (unsigned)getuid(), server, name) < 0) {
		fprintf(stderr, "jackloop: name too long\n");
		return JL_EXIT_USAGE;
	}
	{
		int fd = shm_open(shm_name, O_RDONLY | O_CLOEXEC, 0600);
		if (fd >= 0) {
			int held = jl_shm_lock_held(fd, JL_LOCK_ENGINE);
			close(fd);
			if (held == 1) {
				fprintf(stderr, "jackloop: another jackloop named '%s' is running on JACK server '%s' "
						"(segment %s is locked); use --name for a second instance\n",
					name, server, shm_name);
				return JL_EXIT_LOCKED;
			}
		}
	}
	jack_set_error_function(jack_error_cb);
	glue.client = jack_client_open(name, JackNoStartServer | JackUseExactName | JackServerName, &status, server);
	if (!glue.client) {
		if (status & JackNameNotUnique) {
			fprintf(stderr, "jackloop: a JACK client named '%s' already exists on server '%s' "
					"(is another jackloop running? use --name)\n", name, server);
			return JL_EXIT_LOCKED;
		}
		fprintf(stderr, "jackloop: cannot connect to JACK server '%s' (status 0x%x): is it running?\n"
				"  start one with 'jackd -d alsa' (a sound card), 'jackd -d dummy' (silent),\n"
				"  or run under PipeWire with 'pw-jack jackloop'\n", server, (unsigned)status);
		return JL_EXIT_FAIL;
	}

	memset(&geom, 0, sizeof(geom));
	geom.sample_rate = jack_get_sample_rate(glue.client);
	geom.n_inputs = (uint32_t)inputs;
	geom.max_voices = (uint32_t)voices;
	geom.cmd_capacity = 1024;
	geom.evt_capacity = 1024;
	geom.hist_frames = (uint64_t)history_s * geom.sample_rate;
	geom.pool_bytes = (uint64_t)pool_mb << 20;
	geom.model_bytes = 4u << 20;
	r = jl_shm_open_engine(&shm, shm_name, &geom, strict, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "jackloop: %s\n", err);
		if (r == -EPROTO)
			fprintf(stderr, "  remove it with: loopctl --server %s --name %s cleanup\n", server, name);
		rc = r == -EBUSY ? JL_EXIT_LOCKED : JL_EXIT_FAIL;
		goto out_client;
	}
	/* A segment this run created holds nothing yet: if start-up fails
	 * before the engine runs, remove it rather than leave it in /dev/shm
	 * (where its sizes would refuse the next attempt's options). */
	fresh = r == JL_SHM_CREATED;
	if (r == JL_SHM_REATTACHED)
		fprintf(stderr, "jackloop: re-attached existing segment %s (contents kept)\n", shm_name);
	snprintf(shm.hdr->server, sizeof(shm.hdr->server), "%s", server);
	snprintf(shm.hdr->name, sizeof(shm.hdr->name), "%s", name);

	glue.shm = &shm;
	glue.n_inputs = geom.n_inputs;
	glue.engine = jl_engine_create(&shm);
	if (!glue.engine) {
		fprintf(stderr, "jackloop: out of memory\n");
		goto out_shm;
	}
	/* The engine's own memory first: the callback touches all of it every
	 * cycle, as it does the RT state (DESIGN 6.3). */
	{
		uint64_t total;
		locked = jl_engine_lock_memory(glue.engine, &total, &merr);
		if (merr) {
			fprintf(stderr, "jackloop: %s: could only lock %llu of %llu KiB of the engine's memory in RAM (%s);\n"
					"  raise the memlock limit (limits.conf: '@audio - memlock unlimited')\n",
				require_mlock ? "error" : "warning", (unsigned long long)(locked >> 10),
				(unsigned long long)(total >> 10), strerror(merr));
			if (require_mlock)
				goto out_engine;
		}
	}
	locked = jl_shm_lock_memory(&shm, &failed_reg, &merr);
	atomic_store(&shm.hdr->mlocked_bytes, locked);
	if (failed_reg != -3) {
		static const char *const rn[] = { "RT state", "queues", "model", "history", "pool" };
		fprintf(stderr, "jackloop: %s: could only lock %llu of %llu MiB in RAM (stopped at %s: %s);\n"
				"  raise the memlock limit (limits.conf: '@audio - memlock unlimited')\n",
			require_mlock ? "error" : "warning", (unsigned long long)(locked >> 20),
			(unsigned long long)(shm.hdr->total_size >> 20),
			failed_reg >= 0 ? rn[failed_reg] : "header", strerror(merr));
		if (require_mlock)
			goto out_engine;
	}
	/* FFT plans for convolution, made here, never in the callback */
	memset(&plans, 0, sizeof(plans));
	if (jl_conv_plans_create(&plans, 256) == 0)
		jl_engine_set_conv_plans(glue.engine, &plans);
	else
		fprintf(stderr, "jackloop: warning: no FFT plans: convolution disabled\n");
	if (jl_glue_setup(&glue, err, sizeof(err)) < 0) {
		fprintf(stderr, "jackloop: %s\n", err);
		goto out_engine;
	}
	if (jack_activate(glue.client)) {
		fprintf(stderr, "jackloop: cannot activate the JACK client\n");
		goto out_engine;
	}
	fresh = 0;
	jl_glue_publish_latency(&glue);
	publish_clock_offset(&shm);
	fprintf(stderr, "jackloop: '%s' running on JACK server '%s' at %u Hz, %u inputs, %lu s history\n",
		name, server, geom.sample_rate, geom.n_inputs, history_s);

	if (control) {
		if (jl_super_init(&super) < 0) {
			fprintf(stderr, "jackloop: warning: no loopctl beside this executable; running without "
					"the control daemon\n");
			control = 0;
		} else {
			jl_super_arg(&super, "--name");
			jl_super_arg(&super, name);
			jl_super_arg(&super, "--server");
			jl_super_arg(&super, server);
			if (osc_port) {
				jl_super_arg(&super, "--osc-port");
				jl_super_arg(&super, osc_port);
			}
			if (osc_host) {
				jl_super_arg(&super, "--osc-host");
				jl_super_arg(&super, osc_host);
			}
			for (k = 0; k < nfwd; k++)
				jl_super_arg(&super, fwd[k]);
		}
	}

	rc = JL_EXIT_OK;
	while (!stop_signal) {
		double now = mono();
		if (glue.server_gone) {
			fprintf(stderr, "jackloop: the JACK server went away: %s\n", glue.gone_reason);
			rc = JL_EXIT_FAIL;
			break;
		}
		if (glue.rate_changed) {
			glue.rate_changed = 0;
			fprintf(stderr, "jackloop: JACK's sample rate changed to %u Hz (segment is %u Hz): "
					"engine silenced\n", atomic_load(&shm.rt->jack_rate), geom.sample_rate);
		}
		if (control)
			jl_super_poll(&super, now);
		if (now - last_clock > 1.0) {
			publish_clock_offset(&shm);
			last_clock = now;
		}
		if (atomic_load(&shm.rt->phones_delay) != glue.phones_delay) {
			/* the phones delay changed: our ports' latencies change too */
			glue.phones_delay = atomic_load(&shm.rt->phones_delay);
			jack_recompute_total_latencies(glue.client);
		}
		poll(NULL, 0, 20);
	}
	if (stop_signal)
		fprintf(stderr, "jackloop: shutting down (signal %d)\n", (int)stop_signal);
	if (control)
		jl_super_stop(&super, 2.0);
	if (!glue.server_gone)
		jack_deactivate(glue.client);
	atomic_store(&shm.rt->running, 0);
out_engine:
	if (!glue.server_gone) {
		jack_client_close(glue.client);
		glue.client = NULL;
	}
	jl_engine_destroy(glue.engine);
	jl_conv_plans_destroy(&plans);
out_shm:
	if (fresh)
		shm_unlink(shm_name); /* we still hold the engine lock */
	jl_shm_close(&shm);
out_client:
	if (glue.client && !glue.server_gone)
		jack_client_close(glue.client);
	return rc;
bad:
	fprintf(stderr, "jackloop: invalid value '%s' for --%s\n", optarg,
		c == 'i' ? "inputs" : c == 'H' ? "history" : c == 'P' ? "pool-mb" : c == 'v' ? "max-voices" :
		c == 'T' ? "track-outs" : c == 'S' ? "sends" : "osc-port");
	return JL_EXIT_USAGE;
}
