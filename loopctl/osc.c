/* osc.c - OSC server: /jl/<command> [args...] -> reply /jl/reply.
 *
 * Arrival time: SIOCGSTAMP on the socket after each receive gives the
 * kernel's CLOCK_REALTIME stamp of that datagram (the first call turns
 * stamping on).  jackloop publishes CLOCK_REALTIME - jack_get_time(), and
 * the RT side publishes per-cycle times, so the stamp becomes an engine
 * frame without ever using the nominal sample rate (DESIGN 2.4). */
#define _GNU_SOURCE
#include "osc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "commands.h"
#include "daemon.h"
#include "jl_alloc.h"

#define OSC_MAX_PACKET 65536
#define OSC_MAX_PER_CALL 64
#define OSC_MAX_ARGS 32		/* no command of the table takes more (commands.c) */
#define OSC_MAX_REPLY 65000	/* a UDP datagram carries 65507 bytes; leave room for the OSC framing */
#define OSC_MAX_STR 1024	/* a string argument, with its NUL (paths for save/load) */

void jl_osc_reply_to(struct jl_daemon *d, const struct sockaddr_storage *to, const char *status, const char *cmd,
		     const char *text, json_t *json)
{
	char host[INET6_ADDRSTRLEN], port[16];
	lo_address a;
	lo_message m;
	char *js = NULL, big[160];
	const struct sockaddr_in *sin = (const void *)to;
	if (to->ss_family != AF_INET)
		return;
	inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
	snprintf(port, sizeof(port), "%u", ntohs(sin->sin_port));
	a = lo_address_new(host, port);
	m = lo_message_new();
	if (!a || !m)
		goto out;
	if (json)
		js = json_dumps(json, JSON_COMPACT);
	if (strlen(text ? text : "") + (js ? strlen(js) : 2) + strlen(cmd) + 64 > OSC_MAX_REPLY) {
		/* more than one UDP datagram holds: say so rather than stay silent */
		snprintf(big, sizeof(big), "the answer is %zu bytes, more than one OSC datagram holds (%d)%s",
			 strlen(text ? text : "") + (js ? strlen(js) : 2), OSC_MAX_REPLY,
			 !strcmp(cmd, "status") ? "; ask for one track: status TRACK" : "");
		status = "error";
		text = big;
		free(js);
		js = NULL;
	}
	lo_message_add_string(m, status);
	lo_message_add_string(m, cmd);
	lo_message_add_string(m, text ? text : "");
	lo_message_add_string(m, js ? js : "{}");
	lo_send_message_from(a, d->osc, "/jl/reply", m);
out:
	free(js); /* json_dumps uses jansson's allocator (malloc) */
	if (m)
		lo_message_free(m);
	if (a)
		lo_address_free(a);
}

/* May the message from d->src, outside the /jl/ namespace, be answered?
 * An OSC program that answers every message it does not know with an
 * error of its own (sent back to the sender) would keep the two going
 * for ever at full speed, as two daemons subscribed to each other would
 * (their /jl/reply and /jl/state/ are never answered, above).  So such
 * messages get FOREIGN_BURST answers per source, then FOREIGN_PER_S per
 * second; the rest are counted (status: osc_unanswered) and dropped.
 * Commands are always answered. */
#define FOREIGN_BURST 10.0
#define FOREIGN_PER_S 1.0
static int foreign_answer(struct jl_daemon *d)
{
	struct timespec ts;
	struct jl_osc_peer *p = NULL, *old = &d->osc_peers[0];
	size_t i, n = sizeof(d->osc_peers) / sizeof(d->osc_peers[0]);
	double now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
	for (i = 0; i < n && !p; i++) {
		struct jl_osc_peer *q = &d->osc_peers[i];
		if (q->len == d->src_len && !memcmp(&q->addr, &d->src, d->src_len))
			p = q;
		else if (q->at < old->at)
			old = q; /* the least recently heard: its place is taken */
	}
	if (!p) {
		p = old;
		memcpy(&p->addr, &d->src, d->src_len);
		p->len = d->src_len;
		p->tokens = FOREIGN_BURST;
		p->at = now;
	}
	p->tokens += (now - p->at) * FOREIGN_PER_S;
	if (p->tokens > FOREIGN_BURST)
		p->tokens = FOREIGN_BURST;
	p->at = now;
	if (p->tokens < 1.0)
		return 0;
	p->tokens -= 1.0;
	return 1;
}

static void reply(struct jl_daemon *d, const char *status, const char *cmd, const char *text, json_t *json)
{
	jl_osc_reply_to(d, &d->src, status, cmd, text, json);
}

static int handler(const char *path, const char *types, lo_arg **argv, int argc, lo_message msg, void *ud)
{
	struct jl_daemon *d = ud;
	char bufs[OSC_MAX_ARGS][OSC_MAX_STR];
	char *words[OSC_MAX_ARGS + 1];
	struct jl_req rq;
	const char *cmd;
	int i, rc;
	(void)msg;

	memset(&rq, 0, sizeof(rq));
	rq.arrival = d->cur_arrival;
	rq.has_arrival = d->cur_has_arrival;
	rq.from_osc = 1;
	if (!strcmp(path, "/jl/reply") || !strncmp(path, "/jl/state/", 10)) {
		/* What this daemon sends, not what it takes: a reply or a state
		 * message that comes back (the daemon subscribed to itself, two
		 * instances subscribed to each other, a client that echoes) is
		 * counted and dropped.  Answering it would be answered in turn,
		 * and the two would feed each other for ever. */
		d->osc_errors++;
		return 0;
	}
	if (strncmp(path, "/jl/", 4) != 0 || !path[4]) {
		d->osc_errors++;
		if (!foreign_answer(d)) {
			d->osc_unanswered++;
			return 0;
		}
		snprintf(rq.msg, sizeof(rq.msg), "unknown OSC path '%s' (commands are /jl/<command>; see loopctl help)", path);
		reply(d, "error", path, rq.msg, NULL);
		return 0;
	}
	cmd = path + 4;
	if (argc > OSC_MAX_ARGS) {
		/* no command takes more (the table's limits are at most this) */
		const struct jl_command *c = jl_command_find(cmd);
		d->osc_errors++;
		if (c)
			snprintf(rq.msg, sizeof(rq.msg), "%d arguments, more than %s takes; usage: %s %s", argc, cmd,
				 c->name, c->synopsis);
		else
			snprintf(rq.msg, sizeof(rq.msg), "unknown command '%s' (try: loopctl help)", cmd);
		reply(d, c ? "usage" : "error", cmd, rq.msg, NULL);
		return 0;
	}
	words[0] = (char *)cmd;
	for (i = 0; i < argc; i++) {
		/* liblo's arguments point into the packet, 4-byte aligned: the
		 * 8-byte members of lo_arg are copied out, not read in place */
		const void *raw = argv[i];
		const char *str = raw;
		char *b = bufs[i];
		int32_t i32;
		int64_t i64;
		float f32;
		double f64;
		switch (types[i]) {
		case 'i': memcpy(&i32, raw, sizeof(i32)); snprintf(b, 64, "%d", (int)i32); break;
		case 'h': memcpy(&i64, raw, sizeof(i64)); snprintf(b, 64, "%lld", (long long)i64); break;
		case 'f': memcpy(&f32, raw, sizeof(f32)); snprintf(b, 64, "%.9g", (double)f32); break;
		case 'd': memcpy(&f64, raw, sizeof(f64)); snprintf(b, 64, "%.17g", f64); break;
		case 'T': snprintf(b, 64, "1"); break;
		case 'F': snprintf(b, 64, "0"); break;
		case 's':
		case 'S':
			if (strlen(str) >= OSC_MAX_STR) {
				d->osc_errors++;
				snprintf(rq.msg, sizeof(rq.msg), "argument %d is longer than %d characters", i + 1,
					 OSC_MAX_STR - 1);
				reply(d, "error", cmd, rq.msg, NULL);
				return 0;
			}
			snprintf(b, OSC_MAX_STR, "%s", str);
			break;
		default:
			d->osc_errors++;
			snprintf(rq.msg, sizeof(rq.msg),
				 "argument %d has OSC type '%c'; expected int, float or string", i + 1, types[i]);
			reply(d, "error", cmd, rq.msg, NULL);
			return 0;
		}
		words[i + 1] = b;
	}
	words[argc + 1] = NULL;
	rq.json = json_object();
	rc = jl_daemon_run(d, &rq, argc + 1, words);
	if (rc != 0 && rc != JL_RC_DEFERRED) /* a deferred one is counted when it answers */
		d->osc_errors++;
	if (rc != JL_RC_DEFERRED) { /* else the handler kept d->src and answers later */
		reply(d, rc == 0 ? "ok" : rc == 2 ? "usage" : "error", cmd, rq.msg, rc == 0 ? rq.json : NULL);
	}
	json_decref(rq.json);
	return 0;
}

static void lo_err(int num, const char *msg, const char *where)
{
	/* Reported per packet by jl_osc_readable; liblo's own text is dropped. */
	(void)num; (void)msg; (void)where;
}

static int bind_udp(const char *host, int port, char *err, size_t n)
{
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, n, "socket: %s", strerror(errno));
		return -errno;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
		snprintf(err, n, "--osc-host '%s' is not an IPv4 address", host);
		close(fd);
		return -EINVAL;
	}
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;
		snprintf(err, n, "cannot bind OSC to %s:%d: %s", host, port, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int jl_osc_open(struct jl_daemon *d, const char *host, int port, int fallback, char *err, size_t n,
		char *note, size_t nn)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct timeval tv;
	int fd, lofd;
	note[0] = 0;
	fd = bind_udp(host, port, err, n);
	if (fd == -EADDRINUSE && fallback) {
		snprintf(note, nn, "OSC port %d is taken; using a free port instead", port);
		fd = bind_udp(host, 0, err, n);
	}
	if (fd < 0)
		return fd;
	d->osc = lo_server_new_with_proto(NULL, LO_UDP, lo_err);
	if (!d->osc) {
		snprintf(err, n, "liblo: cannot create an OSC server");
		close(fd);
		return -ENOMEM;
	}
	/* A bundle's messages run as it comes, whatever its time tag: liblo
	 * would keep a future-dated one for lo_server_recv*(), which the
	 * daemon never calls (it reads the socket itself), so it was dropped
	 * unanswered and its memory held until exit.  Exact timing is --at. */
	lo_server_enable_queue(d->osc, 0, 1);
	/* Put our socket in place of liblo's, so liblo replies from it. */
	lofd = lo_server_get_socket_fd(d->osc);
	if (lofd < 0 || dup2(fd, lofd) < 0) {
		snprintf(err, n, "cannot install the OSC socket: %s", strerror(errno));
		close(fd);
		return -EIO;
	}
	close(fd);
	d->osc_fd = lofd;
	getsockname(lofd, (struct sockaddr *)&sin, &sl);
	d->osc_port = ntohs(sin.sin_port);
	lo_server_add_method(d->osc, NULL, NULL, handler, d);
	/* First SIOCGSTAMP answers ENOENT and enables stamping (DESIGN 2.4). */
	d->stamping = ioctl(lofd, SIOCGSTAMP, &tv) == 0 || errno == ENOENT;
	return 0;
}

int jl_daemon_realtime_to_frame(const struct jl_daemon *d, uint64_t rt_us, uint64_t *frame)
{
	uint64_t f, u, nu;
	uint32_t nf;
	int64_t off;
	if (jl_shm_cycle_read(d->shm.rt, &f, &u, &nu, &nf) != 0)
		return -1;
	off = atomic_load(&d->shm.rt->realtime_minus_jack_us);
	*frame = jl_shm_usecs_to_frame(f, u, nu, nf, (uint64_t)((int64_t)rt_us - off));
	return 0;
}

/* Kernel receive stamp (CLOCK_REALTIME) -> engine frame. */
static int arrival_frame(struct jl_daemon *d, uint64_t *frame)
{
	struct timeval tv;
	if (!d->stamping || ioctl(d->osc_fd, SIOCGSTAMP, &tv) != 0)
		return -1;
	return jl_daemon_realtime_to_frame(d, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec, frame);
}

void jl_osc_readable(struct jl_daemon *d)
{
	static unsigned char buf[OSC_MAX_PACKET];
	int k;
	for (k = 0; k < OSC_MAX_PER_CALL; k++) {
		socklen_t sl = sizeof(d->src);
		ssize_t r = recvfrom(d->osc_fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&d->src, &sl);
		int lerr = 0;
		lo_message m;
		if (r < 0)
			return;
		d->src_len = sl;
		d->cur_has_arrival = arrival_frame(d, &d->cur_arrival) == 0;
		if (r >= 8 && memcmp(buf, "#bundle", 8) == 0) {
			if (lo_server_dispatch_data(d->osc, buf, (size_t)r) < 0) {
				d->osc_errors++;
				reply(d, "error", "", "malformed OSC bundle", NULL);
			}
			continue;
		}
		m = lo_message_deserialise(buf, (size_t)r, &lerr);
		if (!m) {
			d->osc_errors++;
			reply(d, "error", "", "malformed OSC packet (not a valid OSC message)", NULL);
			continue;
		}
		lo_message_free(m);
		lo_server_dispatch_data(d->osc, buf, (size_t)r);
	}
}

void jl_osc_close(struct jl_daemon *d)
{
	if (d->osc)
		lo_server_free(d->osc);
	d->osc = NULL;
}
