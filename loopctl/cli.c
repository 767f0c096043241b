/* cli.c - `loopctl <command>`: one OSC request, one reply, an exit code.
 *
 * The daemon's port comes from the segment header (found by --name and
 * --server), so scripts need not know it.  Exit codes: 0 success, 1 the
 * command failed, 2 usage, 3 no daemon answered (DESIGN 1). */
#define _GNU_SOURCE
#include "cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <lo/lo.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../shared/jl_shm.h"
#include "analysis_cli.h"
#include "commands.h"
#include "jl_alloc.h"
#include "util.h"

int jl_serve_main(int argc, char **argv);

#define CLEANUP_HELP "remove the instance's shared memory if nothing uses it"
#define WATCH_SYNOPSIS "[--interval MS] [--count N] [--seconds S]"
#define WATCH_HELP "print the looper's state as the daemon pushes it (subscribe)"

static void command_help(const char *name, const char *synopsis, const char *help)
{
	printf("loopctl %s%s%s\n  %s\n", name, synopsis[0] ? " " : "", synopsis, help);
}

/* One command's usage, as `loopctl help COMMAND` and `COMMAND --help`
 * print it: the local commands cleanup and watch, or a line of the table
 * the daemon has too.  JL_EXIT_OK, or JL_EXIT_USAGE for an unknown one. */
static int help_one(const char *cmd)
{
	const struct jl_command *hc;
	if (!strcmp(cmd, "cleanup")) {
		command_help("cleanup", "", CLEANUP_HELP);
		return JL_EXIT_OK;
	}
	if (!strcmp(cmd, "watch")) {
		command_help("watch", WATCH_SYNOPSIS, WATCH_HELP);
		return JL_EXIT_OK;
	}
	hc = jl_command_find(cmd);
	if (!hc) {
		fprintf(stderr, "loopctl: unknown command '%s' (try: loopctl help)\n", cmd);
		return JL_EXIT_USAGE;
	}
	command_help(hc->name, hc->synopsis, hc->help);
	return JL_EXIT_OK;
}

static void usage(FILE *f)
{
	const struct jl_command *c;
	fprintf(f,
		"Usage: loopctl [--name NAME] [--server SERVER] [--port PORT] [--host ADDR] [--json]\n"
		"               [--timeout MS] COMMAND [ARGS]\n"
		"Control a running jackloop instance over OSC, or run its daemon.\n"
		"\n"
		"Options:\n"
		"  -n, --name NAME     jackloop instance (default: jackloop)\n"
		"  -s, --server NAME   JACK server (default: $JACK_DEFAULT_SERVER or 'default')\n"
		"  -p, --port PORT     talk to this OSC port instead of the one in the segment\n"
		"      --host ADDR     daemon address or host name (default: 127.0.0.1)\n"
		"  -j, --json          print the daemon's reply as JSON\n"
		"  -t, --timeout MS    how long to wait for a reply (default: 1000; save, load: 120000)\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Local commands:\n"
		"  serve [OPTIONS]     run the control daemon (see loopctl serve --help)\n"
		"  analyze FILE ...    onsets and tempo of an audio file (see loopctl analyze --help)\n"
		"  cleanup             " CLEANUP_HELP "\n"
		"  watch " WATCH_SYNOPSIS "\n"
		"                      " WATCH_HELP "\n"
		"  help                this text\n"
		"\n"
		"Daemon commands:\n");
	for (c = jl_commands; c->name; c++)
		fprintf(f, "  %-12s %-34s %s\n", c->name, c->synopsis, c->help);
	fprintf(f, "\nExit status: 0 success, 1 command failed, 2 usage error, 3 no daemon answered.\n");
}

/* Sends /jl/<argv[0]> argv[1..] (all strings) from fd.  Returns 0 or -1. */
static int send_words(int fd, const struct sockaddr_in *to, int argc, char **argv)
{
	char path[128];
	lo_message m = lo_message_new();
	void *pkt = NULL;
	size_t len = 0;
	int i, r = -1;
	if (!m)
		return -1;
	snprintf(path, sizeof(path), "/jl/%s", argv[0]);
	for (i = 1; i < argc; i++)
		lo_message_add_string(m, argv[i]);
	pkt = lo_message_serialise(m, path, NULL, &len);
	if (pkt && sendto(fd, pkt, len, 0, (const struct sockaddr *)to, sizeof(*to)) >= 0)
		r = 0;
	free(pkt); /* liblo's allocation */
	lo_message_free(m);
	return r;
}

/* A host name or a numeric address -> an IPv4 address.  The CLI may wait
 * for a name lookup; the daemon never does (it takes numeric addresses
 * only), so names are resolved here. */
static int resolve_ipv4(const char *host, struct in_addr *out)
{
	struct addrinfo hints, *res = NULL;
	int rc;
	if (inet_pton(AF_INET, host, out) == 1)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		fprintf(stderr, "loopctl: cannot resolve '%s' to an IPv4 address: %s\n", host,
			rc ? gai_strerror(rc) : "no address");
		return -1;
	}
	*out = ((const struct sockaddr_in *)(const void *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

static int daemon_addr(const char *host, int port, struct sockaddr_in *to)
{
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)port);
	return resolve_ipv4(host, &to->sin_addr);
}

/* subscribe/unsubscribe --url osc.udp://HOST:PORT/ with a host name: the
 * same URL with the name's IPv4 address, in buf.  Returns 1 if buf holds
 * it, 0 if the URL is to be sent as it is, -1 if the name does not
 * resolve. */
static int numeric_url(const char *arg, char *buf, size_t n)
{
	const char *pre = "osc.udp://", *h, *colon;
	char host[256], num[INET_ADDRSTRLEN];
	struct in_addr a;
	if (strncmp(arg, pre, strlen(pre)) != 0)
		return 0; /* the daemon says what is wrong with it */
	h = arg + strlen(pre);
	colon = strchr(h, ':');
	if (!colon || colon == h || (size_t)(colon - h) >= sizeof(host))
		return 0;
	memcpy(host, h, (size_t)(colon - h));
	host[colon - h] = 0;
	if (inet_pton(AF_INET, host, &a) == 1)
		return 0;
	if (resolve_ipv4(host, &a) < 0)
		return -1;
	inet_ntop(AF_INET, &a, num, sizeof(num));
	return (size_t)snprintf(buf, n, "%s%s%s", pre, num, colon) < n;
}

/* Sends /jl/<cmd> args... and waits for /jl/reply. */
static int request(const char *host, int port, int timeout_ms, int json, int argc, char **argv)
{
	struct sockaddr_in to, from;
	socklen_t fl = sizeof(from);
	unsigned char buf[65536];
	lo_message r = NULL;
	double t0;
	int fd = -1, rc = JL_EXIT_NO_DAEMON, lerr = 0;

	if (daemon_addr(host, port, &to) < 0)
		return JL_EXIT_USAGE;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || send_words(fd, &to, argc, argv) < 0) {
		fprintf(stderr, "loopctl: cannot send to %s:%d: %s\n", host, port, strerror(errno));
		goto out;
	}
	t0 = jl_mono_ms();
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int left = timeout_ms - (int)(jl_mono_ms() - t0);
		ssize_t n;
		if (left <= 0 || poll(&p, 1, left) <= 0) {
			fprintf(stderr, "loopctl: no answer from the daemon at %s:%d within %d ms\n"
					"  is jackloop running? start it with: jackloop --name NAME "
					"(or run: loopctl serve)\n", host, port, timeout_ms);
			goto out;
		}
		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n <= 0)
			continue;
		r = lo_message_deserialise(buf, (size_t)n, &lerr);
		if (!r)
			continue;
		break;
	}
	{
		int ac = lo_message_get_argc(r);
		const char *types = lo_message_get_types(r);
		lo_arg **av = lo_message_get_argv(r);
		const char *status, *text, *js;
		if (ac < 4 || strncmp(types, "ssss", 4) != 0) {
			fprintf(stderr, "loopctl: malformed reply from the daemon\n");
			rc = JL_EXIT_FAIL;
			goto out;
		}
		/* a string argument starts where liblo's pointer points (4-byte
		 * aligned in the packet: not read through the 8-byte union) */
		status = (const char *)av[0];
		text = (const char *)av[2];
		js = (const char *)av[3];
		if (!strcmp(status, "ok")) {
			if (json)
				printf("%s\n", js);
			else if (*text)
				printf("%s\n", text);
			rc = JL_EXIT_OK;
		} else {
			fprintf(stderr, "loopctl: %s\n", text);
			rc = !strcmp(status, "usage") ? JL_EXIT_USAGE : JL_EXIT_FAIL;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	if (r)
		lo_message_free(r);
	return rc;
}

/* --- loopctl watch: subscribe this socket, print what is pushed --- */

#define WATCH_LEASE_S "10"	/* the daemon forgets a watcher that died this long ago, */
#define WATCH_RENEW_MS 3000	/* so the lease is renewed this often */

static volatile sig_atomic_t watch_stop;
static void on_stop(int sig) { (void)sig; watch_stop = 1; }

/* One OSC message of a received datagram: a /jl/state message printed as
 * a line (returns 1; -1 when standard output is gone), a /jl/reply (2, its
 * status and text in *status), anything else 0. */
static int watch_message(const unsigned char *buf, size_t n, char *status, size_t sn)
{
	const char *path = (const char *)buf, *types;
	lo_message r;
	lo_arg **av;
	int lerr = 0, ac, i, kind = 0;
	if (!memchr(buf, 0, n))
		return 0;
	r = lo_message_deserialise((void *)buf, n, &lerr);
	if (!r)
		return 0;
	ac = lo_message_get_argc(r);
	types = lo_message_get_types(r);
	av = lo_message_get_argv(r);
	if (!strcmp(path, "/jl/reply") && ac >= 3 && !strncmp(types, "sss", 3)) {
		snprintf(status, sn, "%s\t%s", (const char *)av[0], (const char *)av[2]);
		kind = 2;
	} else if (!strncmp(path, "/jl/state/", 10)) {
		fputs(path, stdout);
		for (i = 0; i < ac; i++) {
			int32_t i32;
			int64_t i64;
			float f32;
			switch (types[i]) {
			case 'i': memcpy(&i32, av[i], sizeof(i32)); printf(" %d", (int)i32); break;
			case 'h': memcpy(&i64, av[i], sizeof(i64)); printf(" %lld", (long long)i64); break;
			case 'f': memcpy(&f32, av[i], sizeof(f32)); printf(" %.6g", (double)f32); break;
			case 's': printf(" %s", (const char *)av[i]); break;
			default: printf(" ?"); break;
			}
		}
		putchar('\n');
		kind = fflush(stdout) == 0 ? 1 : -1;
	}
	lo_message_free(r);
	return kind;
}

/* One received datagram, a message or a bundle of them (the daemon sends
 * a tick's state as one bundle): prints at most `limit` state messages
 * (< 0: all).  Returns how many it printed, -1 when standard output is
 * gone; *reply is set when a /jl/reply came, with its status in *status. */
static long watch_datagram(const unsigned char *buf, size_t n, long limit, int *reply, char *status, size_t sn)
{
	size_t off = 16;
	long printed = 0;
	int k;
	if (n < 16 || memcmp(buf, "#bundle", 8) != 0) {
		k = limit == 0 ? 0 : watch_message(buf, n, status, sn);
		if (k == 2)
			*reply = 1;
		return k < 0 ? -1 : k == 1;
	}
	while (off + 4 <= n) {
		size_t len = (size_t)buf[off] << 24 | (size_t)buf[off + 1] << 16 | (size_t)buf[off + 2] << 8 | buf[off + 3];
		long r;
		if (len > n - off - 4)
			break;
		r = watch_datagram(buf + off + 4, len, limit < 0 ? -1 : limit - printed, reply, status, sn);
		if (r < 0)
			return -1;
		printed += r;
		off += 4 + len;
	}
	return printed;
}

/* The daemon's OSC port from the instance's segment: > 0, 0 when the
 * daemon is not running, -1 when there is no instance (the reason in err). */
static int segment_port(const char *shm_name, char *err, size_t n)
{
	struct jl_shm s;
	int port;
	if (jl_shm_open_reader(&s, shm_name, 0, err, n) < 0)
		return -1;
	port = (int)atomic_load(&s.hdr->osc_port);
	jl_shm_close(&s);
	return port;
}

/* watch's options (argv[0] is "watch"): JL_EXIT_OK, or JL_EXIT_USAGE
 * with the reason printed.  Read before the instance is looked up, so a
 * bad option is a usage error wherever it is typed. */
struct watch_opts {
	char *interval; /* the daemon checks it */
	long count;     /* -1: until stopped */
	double seconds; /* -1: until stopped */
};

static int watch_options(int argc, char **argv, struct watch_opts *w)
{
	static const char *usage_line = "loopctl: usage: loopctl watch " WATCH_SYNOPSIS "\n";
	w->interval = (char *)"100";
	w->count = -1;
	w->seconds = -1;
	for (int i = 1; i < argc; i++) {
		char *end;
		if (i + 1 >= argc) {
			fputs(usage_line, stderr);
			return JL_EXIT_USAGE;
		}
		if (!strcmp(argv[i], "--interval")) {
			w->interval = argv[++i];
		} else if (!strcmp(argv[i], "--count")) {
			w->count = strtol(argv[++i], &end, 10);
			if (*end || !*argv[i] || w->count < 1) {
				fprintf(stderr, "loopctl: watch: --count '%s' is not a positive number\n", argv[i]);
				return JL_EXIT_USAGE;
			}
		} else if (!strcmp(argv[i], "--seconds")) {
			w->seconds = strtod(argv[++i], &end);
			if (*end || !*argv[i] || !(w->seconds > 0) || w->seconds > 1e6) {
				fprintf(stderr, "loopctl: watch: --seconds '%s' is not a positive number\n", argv[i]);
				return JL_EXIT_USAGE;
			}
		} else {
			fputs(usage_line, stderr);
			return JL_EXIT_USAGE;
		}
	}
	return JL_EXIT_OK;
}

/* loopctl watch: subscribes its own socket with a lease, renews it, and
 * prints every /jl/state message.  A daemon that stops answering (it
 * crashed; jackloop restarts it, maybe on another port) is asked again at
 * each renewal: the new one subscribes the watcher afresh.  shm_name is
 * NULL when --port fixed the port. */
static int watch(const char *host, int port, const char *shm_name, int timeout_ms, const struct watch_opts *w)
{
	struct sockaddr_in to;
	struct sigaction sa;
	unsigned char buf[65536];
	char status[2048];
	char *sub[] = { (char *)"subscribe", (char *)"--interval", NULL, (char *)"--lease", (char *)WATCH_LEASE_S,
			(char *)"--renew", NULL };	/* 5 words, then 6 */
	char *unsub[] = { (char *)"unsubscribe", NULL };
	const long count = w->count;
	const double seconds = w->seconds;
	long got = 0;
	double t0, next_renew, asked;
	int fd, rc = JL_EXIT_OK, answered = 0, silent = 0, reply;
	sub[2] = w->interval;
	if (daemon_addr(host, port, &to) < 0)
		return JL_EXIT_USAGE;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "loopctl: socket: %s\n", strerror(errno));
		return JL_EXIT_FAIL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: poll returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN); /* a reader that goes away (watch | head) ends the watch below */
	/* the first subscribe asks for the whole state; renewals (--renew) not */
	if (send_words(fd, &to, 5, sub) < 0) {
		fprintf(stderr, "loopctl: cannot send to %s:%d: %s\n", host, port, strerror(errno));
		close(fd);
		return JL_EXIT_NO_DAEMON;
	}
	t0 = asked = jl_mono_ms();
	next_renew = t0 + WATCH_RENEW_MS;
	while (!watch_stop && (count < 0 || got < count) && (seconds < 0 || jl_mono_ms() - t0 < 1000 * seconds)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double now = jl_mono_ms(), until = next_renew;
		ssize_t n;
		long k;
		if (!answered && t0 + timeout_ms < until)
			until = t0 + timeout_ms;
		if (seconds >= 0 && t0 + 1000 * seconds < until)
			until = t0 + 1000 * seconds;
		if (poll(&p, 1, until > now ? (int)(until - now) + 1 : 0) < 0 && errno != EINTR)
			break;
		now = jl_mono_ms();
		if (!answered && now - t0 >= timeout_ms) {
			fprintf(stderr, "loopctl: no answer from the daemon at %s:%d within %d ms\n", host, port,
				timeout_ms);
			rc = JL_EXIT_NO_DAEMON;
			break;
		}
		if (now >= next_renew) {
			if (asked >= 0 && !silent) {
				fprintf(stderr, "loopctl: watch: the daemon does not answer; asking again every %d s\n",
					WATCH_RENEW_MS / 1000);
				silent = 1;
			}
			if (shm_name) {
				char why[256];
				int np = segment_port(shm_name, why, sizeof(why));
				if (np < 0) {
					fprintf(stderr, "loopctl: watch: the jackloop instance is gone\n");
					rc = JL_EXIT_NO_DAEMON;
					break;
				}
				if (np > 0)
					to.sin_port = htons((uint16_t)np);
			}
			send_words(fd, &to, 6, sub);
			asked = now;
			next_renew = now + WATCH_RENEW_MS;
		}
		if (!(p.revents & POLLIN))
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		reply = 0;
		k = watch_datagram(buf, (size_t)n, count < 0 ? -1 : count - got, &reply, status, sizeof(status));
		if (k < 0)
			break; /* nobody reads what we print: unsubscribe and end */
		got += k;
		if (reply) {
			asked = -1;
			answered = 1;
			if (strncmp(status, "ok\t", 3) != 0) {
				fprintf(stderr, "loopctl: %s\n", strchr(status, '\t') + 1);
				rc = !strncmp(status, "usage\t", 6) ? JL_EXIT_USAGE : JL_EXIT_FAIL;
				break;
			}
			if (silent)
				fprintf(stderr, "loopctl: watch: the daemon answers again\n");
			silent = 0;
		}
	}
	if (rc != JL_EXIT_NO_DAEMON) {
		/* take the subscription back (its lease would end it anyway) */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		send_words(fd, &to, 1, unsub);
		t0 = jl_mono_ms();
		while (jl_mono_ms() - t0 < 500 && poll(&p, 1, 100) >= 0)
			if ((p.revents & POLLIN) && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 &&
			    !strcmp((const char *)buf, "/jl/reply"))
				break;
	}
	close(fd);
	return rc;
}

int jl_cli_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, 0, 'n' }, { "server", required_argument, 0, 's' },
		{ "port", required_argument, 0, 'p' }, { "host", required_argument, 0, 'H' },
		{ "json", no_argument, 0, 'j' },       { "timeout", required_argument, 0, 't' },
		{ "help", no_argument, 0, 'h' },       { "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 }
	};
	const char *name = "jackloop", *server = jl_shm_default_server(), *host = "127.0.0.1";
	int port = 0, json = 0, timeout = 1000, c, i, o, timeout_given = 0, is_watch, port_given;
	struct watch_opts wopts;
	char absdir[4096], urlbuf[300];
	int c0;
	const struct jl_command *cmd;
	char shm_name[256], err[512];

	/* Stop at the command word: everything after it belongs to it. */
	while ((c = getopt_long(argc, argv, "+n:s:p:jt:hV", opts, NULL)) != -1) {
		char *end;
		long v;
		switch (c) {
		case 'n': name = optarg; break;
		case 's': server = optarg; break;
		case 'H': host = optarg; break;
		case 'j': json = 1; break;
		case 'p':
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end || !*optarg || v < (c == 'p' ? 1 : 1) || v > (c == 'p' ? 65535 : 600000)) {
				fprintf(stderr, "loopctl: invalid --%s '%s'\n", c == 'p' ? "port" : "timeout", optarg);
				return JL_EXIT_USAGE;
			}
			if (c == 'p')
				port = (int)v;
			else
				timeout = (int)v, timeout_given = 1;
			break;
		case 'h': usage(stdout); return JL_EXIT_OK;
		case 'V': printf("loopctl 0.1.0 (ABI %d.%d)\n", JL_ABI_MAJOR, JL_ABI_MINOR); return JL_EXIT_OK;
		default: usage(stderr); return JL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return JL_EXIT_USAGE;
	}
	argv += optind;
	argc -= optind;

	if (!strcmp(argv[0], "serve")) {
		/* serve takes its own --name/--server; pass ours through. */
		char *sv[64];
		int n = 0;
		sv[n++] = (char *)"serve";
		sv[n++] = (char *)"--name";
		sv[n++] = (char *)name;
		sv[n++] = (char *)"--server";
		sv[n++] = (char *)server;
		for (i = 1; i < argc && n < 63; i++)
			sv[n++] = argv[i];
		sv[n] = NULL;
		return jl_serve_main(n, sv);
	}
	if (!strcmp(argv[0], "analyze"))
		return jl_analyze_main(argc, argv);
	if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
		if (argc == 2)
			return help_one(argv[1]);
		if (argc > 2) {
			fprintf(stderr, "loopctl: usage: loopctl help [COMMAND]\n");
			return JL_EXIT_USAGE;
		}
		usage(stdout);
		return JL_EXIT_OK;
	}
	/* COMMAND --help (or -h): that command's usage, without asking the
	 * daemon, as `loopctl help COMMAND` */
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
		return help_one(argv[0]);
	if (jl_shm_name(shm_name, sizeof(shm_name), (unsigned)getuid(), server, name) < 0) {
		fprintf(stderr, "loopctl: --name or --server too long\n");
		return JL_EXIT_USAGE;
	}
	if (!strcmp(argv[0], "cleanup")) {
		int r;
		if (argc != 1) {
			fprintf(stderr, "loopctl: usage: cleanup\n");
			return JL_EXIT_USAGE;
		}
		r = jl_shm_remove_stale(shm_name, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "loopctl: %s\n", err);
			return JL_EXIT_FAIL;
		}
		printf("removed %s\n", shm_name);
		return JL_EXIT_OK;
	}

	/* Global flags may also follow the command (status --json). */
	for (i = 1, o = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			json = 1;
		else
			argv[o++] = argv[i];
	}
	argc = o;
	argv[argc] = NULL;
	is_watch = !strcmp(argv[0], "watch");
	cmd = jl_command_find(is_watch ? "subscribe" : argv[0]);
	if (!cmd) {
		fprintf(stderr, "loopctl: unknown command '%s' (see loopctl help)\n", argv[0]);
		return JL_EXIT_USAGE;
	}
	if (!is_watch && (argc - 1 < cmd->min_args || (cmd->max_args >= 0 && argc - 1 > cmd->max_args))) {
		fprintf(stderr, "loopctl: usage: loopctl %s %s\n", cmd->name, cmd->synopsis);
		return JL_EXIT_USAGE;
	}
	/* `at ... save DIR`: the scheduled command's paths too */
	c0 = 0;
	if (!strcmp(cmd->name, "at")) {
		for (c0 = 2; c0 < argc && (!strcmp(argv[c0], "--every-cycle") || !strcmp(argv[c0], "--count"));)
			c0 += !strcmp(argv[c0], "--count") ? 2 : 1;
		if (c0 >= argc)
			c0 = 0;
	}
	if (!strcmp(argv[c0], "save") || !strcmp(argv[c0], "load") || !strcmp(argv[c0], "import") ||
	    (!strcmp(argv[c0], "midi-map") && argc == c0 + 2 && strcmp(argv[c0 + 1], "default"))) {
		/* the daemon has its own working directory: send an absolute
		 * path; the answer comes when the files are written or read */
		for (i = c0 + 1; i < argc; i++)
			if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i], "--force") && strcmp(argv[i], "--stretch") &&
			    strcmp(argv[i], "--now") &&
			    i + 1 < argc)
				i++; /* an option's value (import --track 2) */
			else if (argv[i][0] && argv[i][0] != '-' && argv[i][0] != '/') {
				if (jl_abs_path(argv[i], absdir, sizeof(absdir)) < 0) {
					fprintf(stderr, "loopctl: cannot make '%s' an absolute path\n", argv[i]);
					return JL_EXIT_USAGE;
				}
				argv[i] = absdir;
			}
		if (!timeout_given && !c0)
			timeout = 120000;
	}
	if (!strcmp(cmd->name, "fx") && argc > 1 && !strcmp(argv[1], "add"))
		for (i = 2; i < argc; i++) /* conv's impulse response: ir=FILE, as above */
			if (!strncmp(argv[i], "ir=", 3) && argv[i][3] && argv[i][3] != '/') {
				if (jl_abs_path(argv[i] + 3, absdir, sizeof(absdir) - 3) < 0) {
					fprintf(stderr, "loopctl: cannot make '%s' an absolute path\n", argv[i] + 3);
					return JL_EXIT_USAGE;
				}
				memmove(absdir + 3, absdir, strlen(absdir) + 1);
				memcpy(absdir, "ir=", 3);
				argv[i] = absdir;
				break;
			}
	if (!strcmp(cmd->name, "subscribe") || !strcmp(cmd->name, "unsubscribe"))
		for (i = 1; i + 1 < argc; i++) {
			int r = strcmp(argv[i], "--url") ? 0 : numeric_url(argv[i + 1], urlbuf, sizeof(urlbuf));
			if (r < 0)
				return JL_EXIT_USAGE;
			if (r > 0)
				argv[i + 1] = urlbuf;
		}
	if (!is_watch && !strcmp(cmd->name, "subscribe")) {
		/* this process ends with the answer: subscribe someone else, or
		 * use watch */
		for (i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--port") || !strcmp(argv[i], "--url"))
				break;
		if (i == argc) {
			fprintf(stderr, "loopctl: subscribe from the command line needs --port or --url "
					"(loopctl exits after the answer; loopctl watch prints the state)\n");
			return JL_EXIT_USAGE;
		}
	}
	if (is_watch && (i = watch_options(argc, argv, &wopts)) != JL_EXIT_OK)
		return i;
	port_given = port != 0;
	if (!port) {
		port = segment_port(shm_name, err, sizeof(err));
		if (port < 0) {
			fprintf(stderr, "loopctl: no jackloop instance '%s' on JACK server '%s' (%s)\n"
					"  start one with: jackloop --name %s\n", name, server, err, name);
			return JL_EXIT_NO_DAEMON;
		}
		if (!port) {
			fprintf(stderr, "loopctl: the control daemon of '%s' is not running\n"
					"  jackloop starts it; or run: loopctl --name %s serve\n", name, name);
			return JL_EXIT_NO_DAEMON;
		}
	}
	if (is_watch)
		return watch(host, port, port_given ? NULL : shm_name, timeout, &wopts);
	return request(host, port, timeout, json, argc, argv);
}
