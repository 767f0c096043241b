/* test_notify.c - OSC state feedback (notify.c) without JACK: a daemon
 * struct with an empty model and a real UDP socket, subscribers that are
 * UDP sockets of this process, and jl_notify_tick() called by hand.
 *
 * A failed send is made by putting an invalid descriptor in place of the
 * daemon's socket (EBADF standing in for the ENETUNREACH of a tablet whose
 * WiFi dropped, or ENOBUFS): what matters is that sendto() fails, and that
 * what it carried goes again once sends work, after a back-off. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../loopctl/daemon.h"
#include "../loopctl/model.h"
#include "../loopctl/notify.h"
#include "th.h"

#define NRECV 5

static struct jl_daemon dmn, *d = &dmn;
static int rx[NRECV], rx_port[NRECV];

static int udp_socket(int *port)
{
	struct sockaddr_in a;
	socklen_t sl = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), big = 1 << 20;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(fd, (struct sockaddr *)&a, &sl) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	*port = ntohs(a.sin_port);
	return fd;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Runs one command line of the daemon (subscribe, unsubscribe); its rc. */
static int run(const char *line)
{
	char buf[256], *w[16], *save = NULL, *t;
	struct jl_req rq;
	int n = 0, rc;
	snprintf(buf, sizeof(buf), "%s", line);
	for (t = strtok_r(buf, " ", &save); t && n < 15; t = strtok_r(NULL, " ", &save))
		w[n++] = t;
	w[n] = NULL;
	memset(&rq, 0, sizeof(rq));
	rq.json = json_object();
	rc = jl_daemon_run(d, &rq, n, w);
	json_decref(rq.json);
	return rc;
}

static int subscribe(int i, const char *extra)
{
	char line[160];
	snprintf(line, sizeof(line), "subscribe --url osc.udp://127.0.0.1:%d/ --interval 0%s", rx_port[i], extra);
	return run(line);
}

/* Reads what receiver i got: the number of messages (a bundle's elements
 * one by one), and their paths and first argument as lines into out. */
static int drain(int i, char *out, size_t n)
{
	unsigned char pkt[65536];
	ssize_t r;
	int msgs = 0;
	size_t o = 0;
	if (out)
		out[0] = 0;
	while ((r = recv(rx[i], pkt, sizeof(pkt), 0)) > 0) {
		size_t at = 0, end = (size_t)r, len;
		int bundle = r >= 16 && !memcmp(pkt, "#bundle", 8);
		if (bundle)
			at = 16;
		while (at < end) {
			const unsigned char *m;
			if (bundle) {
				if (at + 4 > end)
					break;
				len = (size_t)pkt[at] << 24 | (size_t)pkt[at + 1] << 16 | (size_t)pkt[at + 2] << 8 | pkt[at + 3];
				at += 4;
			} else {
				len = end;
			}
			if (len == 0 || at + len > end)
				break;
			m = pkt + at;
			msgs++;
			if (out && o < n) {
				/* path, then the type tag string; a string argument follows */
				size_t pl = strnlen((const char *)m, len), tl, ao;
				const char *tags = (const char *)m + ((pl + 4) & ~(size_t)3);
				tl = strnlen(tags, len - (size_t)(tags - (const char *)m));
				ao = (size_t)(tags - (const char *)m) + ((tl + 4) & ~(size_t)3);
				if (tags[1] == 's')
					o += (size_t)snprintf(out + o, n - o, "%s %s\n", (const char *)m, (const char *)m + ao);
				else if (tags[1] == 'f') {
					uint32_t u = (uint32_t)m[ao] << 24 | (uint32_t)m[ao + 1] << 16 | (uint32_t)m[ao + 2] << 8 | m[ao + 3];
					float f;
					memcpy(&f, &u, sizeof(f));
					o += (size_t)snprintf(out + o, n - o, "%s %g\n", (const char *)m, (double)f);
				} else {
					uint32_t u = (uint32_t)m[ao] << 24 | (uint32_t)m[ao + 1] << 16 | (uint32_t)m[ao + 2] << 8 | m[ao + 3];
					o += (size_t)snprintf(out + o, n - o, "%s %d\n", (const char *)m, (int32_t)u);
				}
				if (o > n)
					o = n;
			}
			at += len;
			if (!bundle)
				break;
		}
	}
	return msgs;
}

static long long status_num(const char *key)
{
	json_t *o = json_object();
	long long v;
	jl_notify_status(d, o);
	v = json_integer_value(json_object_get(json_object_get(o, "notify"), key));
	json_decref(o);
	return v;
}

/* Ticks until receiver i has had nothing for three ticks; its messages. */
static int settle(int i)
{
	int got = 0, quiet = 0, k;
	for (k = 0; k < 200 && quiet < 3; k++) {
		int g;
		jl_notify_tick(d);
		g = drain(i, NULL, 0);
		got += g;
		quiet = g ? 0 : quiet + 1;
	}
	return got;
}

/* A send that fails: what it carried goes again when sends work, after a
 * back-off; while they keep failing, tries get rarer. */
static void test_resend(int plain)
{
	const char *mode = plain ? "--no-bundle" : "bundles", *opt = plain ? " --no-bundle" : "";
	char got[4096], again[64];
	int fd = d->osc_fd, n, k;
	long long dropped0, tries;
	memset(d->m, 0, sizeof(*d->m));
	TH_CHECK(subscribe(0, opt) == 0, "%s: subscribe", mode);
	n = settle(0);
	TH_CHECK(n == 51, "%s: the whole state of an empty looper: %d messages (51)", mode, n);
	/* the WiFi drops just as the state changes */
	d->m->selected = 2;
	d->m->tracks[1].used = 1;
	d->m->tracks[1].rec_state = JL_REC_RECORDING;
	d->m->tracks[1].gain_db = -6;
	dropped0 = status_num("dropped");
	d->osc_fd = -1;
	jl_notify_tick(d);
	TH_CHECK(status_num("dropped") == dropped0 + 4, "%s: the 4 changed values could not be sent (dropped %lld)", mode,
		 status_num("dropped") - dropped0);
	/* it is back at once, but the subscriber is left alone for a moment */
	d->osc_fd = fd;
	jl_notify_tick(d);
	TH_CHECK(drain(0, NULL, 0) == 0, "%s: nothing the very next tick (back-off)", mode);
	sleep_ms(30);
	jl_notify_tick(d);
	n = drain(0, got, sizeof(got));
	TH_CHECK(n == 4 && strstr(got, "/jl/state/selected 3\n") && strstr(got, "/jl/state/track/2 recording\n") &&
			 strstr(got, "/jl/state/track/2/rec 1\n") && strstr(got, "/jl/state/track/2/gain -6\n"),
		 "%s: after it, the lost values go again (%d messages):\n%s", mode, n, got);
	TH_CHECK(settle(0) == 0, "%s: and once only", mode);

	/* gone for good: over 300 ms (75 ticks), a handful of tries, not 75 */
	d->m->tracks[1].gain_db = -12;
	dropped0 = status_num("dropped");
	d->osc_fd = -1;
	for (k = 0; k < 75; k++) {
		jl_notify_tick(d);
		sleep_ms(4);
	}
	tries = status_num("dropped") - dropped0; /* one message a try */
	TH_CHECK(tries >= 3 && tries <= 8, "%s: a gone subscriber is tried %lld times in 300 ms (back-off 20, 40, 80.. ms)",
		 mode, tries);
	d->osc_fd = fd;
	/* subscribing again (--renew, as a layout that is back does) ends the back-off */
	snprintf(again, sizeof(again), "%s --renew", opt);
	TH_CHECK(subscribe(0, again) == 0, "%s: renew", mode);
	jl_notify_tick(d);
	n = drain(0, got, sizeof(got));
	TH_CHECK(n == 1 && strstr(got, "/jl/state/track/2/gain -12\n"), "%s: renewed, the lost gain comes at once: %s", mode,
		 got);
	TH_CHECK(run("unsubscribe all") == 0, "%s: unsubscribe", mode);
}

/* Five subscribers want a whole state of 64 tracks (387 messages) at once:
 * a tick sends 128 messages in all, 32 to each, so four are served and one
 * waits, a different one each tick.  Going first used to step through all
 * 16 slots, empty ones included, and whenever it was on an empty one the
 * lowest slot went first: the fifth waited 12 ticks in 16. */
static void test_turns(void)
{
	int got[NRECV], i, k, lo = 1 << 30, hi = 0;
	memset(d->m, 0, sizeof(*d->m));
	d->m->tracks[63].used = 1; /* track 64 records: the whole state names 64 tracks */
	d->m->tracks[63].rec_state = JL_REC_RECORDING;
	for (i = 0; i < NRECV; i++) {
		TH_CHECK(subscribe(i, "") == 0, "subscriber %d", i + 1);
		got[i] = 0;
	}
	for (k = 0; k < 10; k++) {
		jl_notify_tick(d);
		for (i = 0; i < NRECV; i++)
			got[i] += drain(i, NULL, 0);
	}
	for (i = 0; i < NRECV; i++) {
		lo = got[i] < lo ? got[i] : lo;
		hi = got[i] > hi ? got[i] : hi;
	}
	/* each waited 2 ticks of 10: 8 x 32 messages (and the 3 globals) */
	TH_CHECK(hi - lo <= 3 && lo >= 256, "10 ticks, five subscribers take turns: %d %d %d %d %d messages", got[0], got[1],
		 got[2], got[3], got[4]);
	for (k = 0; k < 20; k++) {
		jl_notify_tick(d);
		for (i = 0; i < NRECV; i++)
			got[i] += drain(i, NULL, 0);
	}
	TH_CHECK(got[0] == 387 && got[1] == 387 && got[2] == 387 && got[3] == 387 && got[4] == 387,
		 "then each has the whole state once: %d %d %d %d %d", got[0], got[1], got[2], got[3], got[4]);
	TH_CHECK(run("unsubscribe all") == 0, "unsubscribe all");
}

int main(void)
{
	int i, p;
	d->m = calloc(1, sizeof(*d->m));
	d->osc_fd = udp_socket(&p);
	d->osc_port = p;
	TH_CHECK(d->m && d->osc_fd >= 0 && jl_notify_init(d) == 0, "set-up");
	for (i = 0; i < NRECV; i++) {
		rx[i] = udp_socket(&rx_port[i]);
		TH_CHECK(rx[i] >= 0, "receiver %d", i);
	}
	test_resend(0);
	test_resend(1);
	test_turns();
	jl_notify_close(d);
	for (i = 0; i < NRECV; i++)
		close(rx[i]);
	close(d->osc_fd);
	free(d->m);
	return TH_REPORT();
}
