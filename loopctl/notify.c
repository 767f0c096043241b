/* notify.c - state feedback over OSC: subscribers get the looper's state
 * pushed to them as it changes (a TouchOSC layout lights its buttons, a
 * script follows the loops), and the cycle position at an interval.
 *
 *   subscribe [--port PORT | --url osc.udp://HOST:PORT/] [--interval MS]
 *             [--lease S] [--renew] [--no-bundle]
 *   unsubscribe [--port PORT | --url URL | all]
 *
 * Each tick takes a snapshot of what the messages describe (per track:
 * state, mute, solo, gain, layers; the selected track; the anchor; the live
 * tempo).  Each subscriber keeps what it was last sent, and gets what
 * differs, at most BUDGET messages per tick: a whole state of 64 tracks
 * (387 messages) is spread over about 50 ms instead of one burst that would
 * overflow the receiver's socket buffer (and lose the replies queued behind
 * it), and a value that changes again before it is sent is sent once, as
 * it is then.  All subscribers together get at most TICK_BUDGET messages a
 * tick, taking turns at going first, so that sixteen whole states at once
 * do not hold up the commands waiting behind the tick.  A tick's messages to
 * one subscriber go out as one OSC bundle (a single message as it is):
 * 387 datagrams would fill a client's socket buffer while it is not
 * reading (about 250 small datagrams fill the default 208 KB), and the
 * reply to its next command would be lost; 13 bundles do not.  A new subscriber is first sent the whole state.  Messages go
 * out from the daemon's OSC socket (non-blocking UDP): one the socket
 * cannot take is counted as dropped, never waited for.  A send that fails
 * (the tablet's WiFi dropped: ENETUNREACH; a full buffer: ENOBUFS, EAGAIN)
 * marks what it carried as not sent, so it goes again, as it is then; the
 * subscriber is left alone for a while first, longer while sends keep
 * failing (BACKOFF_MS doubling up to BACKOFF_MAX_MS), so a gone address
 * costs a try now and then, not one every tick. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <math.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "commands.h"
#include "daemon.h"
#include "jl_alloc.h"
#include "looper.h"
#include "model.h"
#include "notify.h"
#include "util.h"

#define SUBS_MAX 16
#define FULL_TRACKS 8		/* the full state names at least tracks 1..8 */
#define TEMPO_STEP_BPM 0.5	/* a tempo change smaller than this is not sent */
#define TEMPO_STEP_CONF 0.1	/* ... nor a confidence change smaller than this */
#define BUDGET 32		/* messages per subscriber per tick (8000 a second) */
#define TICK_BUDGET 128		/* ... and for all subscribers together (about 1 ms of the loop) */
#define OUT_MAX 1400		/* a tick's messages to one subscriber go as one bundle of at
				 * most this many bytes (one Ethernet or WiFi frame) */
#define BUNDLE_HEAD 16		/* "#bundle\0" and the time tag */
#define OUT_MSGS (OUT_MAX / 16)	/* a bundle's messages at most (each is 4 + at least 12 bytes) */
#define BACKOFF_MS 20		/* after a failed send, nothing goes to the subscriber for this long, */
#define BACKOFF_MAX_MS 1000	/* doubled at each further failure, up to this */

/* what a subscriber has been sent: bits of known_glob and known_tr */
enum { K_SELECTED = 1, K_ANCHOR = 2, K_TEMPO = 4 };
enum { K_STATE = 1, K_REC = 2, K_MUTE = 4, K_SOLO = 8, K_GAIN = 16, K_LAYERS = 32, K_ALL = 63 };
/* what a queued message tells, to be sent again if it is lost: a global
 * bit, a track's bit, or nothing (a position: the next one is due anyway) */
#define W_NONE 0
#define W_GLOB(bit) ((uint16_t)(0x8000 | (bit)))
#define W_TRACK(k, bit) ((uint16_t)(((unsigned)(k) << 8) | (bit)))

struct track_snap {
	uint8_t state;		/* enum jl_track_state */
	uint8_t muted, soloed;
	float gain_db;
	uint32_t layers;	/* active layers */
};

struct snap {
	uint32_t selected;	/* 1-based */
	uint32_t cycle, beats;	/* cycle in frames; 0 0 = no anchor */
	float bpm;		/* of the anchor */
	int tknown;
	float tbpm, tconf;	/* live tempo */
	struct track_snap tr[JL_MAX_TRACKS];
};

struct sub {
	int used;
	struct sockaddr_in addr;
	uint32_t interval_ms;	/* position messages; 0 = none */
	double lease_until;	/* jl_mono_ms(); 0 = no lease */
	double next_pos;
	uint64_t pos_frame;	/* the frame of the last position sent */
	int full;		/* the whole state is due */
	struct snap sent;	/* what it was sent ... */
	uint8_t known_glob;	/* ... where these bits say so (K_SELECTED..) */
	uint8_t known_tr[JL_MAX_TRACKS];	/* K_STATE.. */
	int plain;		/* --no-bundle: one datagram per message */
	unsigned char out[OUT_MAX];	/* this tick's messages, as an OSC bundle */
	size_t out_len;
	int out_n;
	uint16_t what[OUT_MSGS];	/* what each of them tells (W_*) */
	int fails;		/* sends that failed in a row */
	double hold_until;	/* jl_mono_ms(): after a failed send, nothing goes before */
};

struct jl_notify {
	struct sub s[SUBS_MAX];
	uint64_t sent, dropped;
	int first;		/* the subscriber served first this tick */
};

int jl_notify_init(struct jl_daemon *d)
{
	d->notify = jl_calloc(1, sizeof(*d->notify));
	return d->notify ? 0 : -1;
}

void jl_notify_close(struct jl_daemon *d)
{
	if (!d->notify)
		return;
	jl_free(d->notify);
	d->notify = NULL;
}

static int count_subs(const struct jl_notify *n)
{
	int i, c = 0;
	for (i = 0; i < SUBS_MAX; i++)
		c += n->s[i].used;
	return c;
}

static void url_of(const struct sockaddr_in *a, char *out, size_t n)
{
	char host[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
	snprintf(out, n, "osc.udp://%s:%u/", host, ntohs(a->sin_port));
}

/* osc.udp://A.B.C.D:PORT[/] -> address.  Numeric IPv4 only: the daemon's
 * loop must not wait for a name lookup. */
static int parse_url(const char *u, struct sockaddr_in *a)
{
	char host[INET_ADDRSTRLEN];
	const char *p = u + strlen("osc.udp://"), *colon;
	char *end;
	unsigned long port;
	size_t hl;
	if (strncmp(u, "osc.udp://", strlen("osc.udp://")) != 0)
		return -1;
	colon = strchr(p, ':');
	if (!colon || (hl = (size_t)(colon - p)) == 0 || hl >= sizeof(host))
		return -1;
	memcpy(host, p, hl);
	host[hl] = 0;
	if (colon[1] < '0' || colon[1] > '9')
		return -1;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || port < 1 || port > 65535 || (*end && strcmp(end, "/") != 0))
		return -1;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
}

static struct sub *find_sub(struct jl_notify *n, const struct sockaddr_in *a)
{
	int i;
	for (i = 0; i < SUBS_MAX; i++)
		if (n->s[i].used && n->s[i].addr.sin_port == a->sin_port &&
		    n->s[i].addr.sin_addr.s_addr == a->sin_addr.s_addr)
			return &n->s[i];
	return NULL;
}

static void drop_sub(struct sub *s)
{
	memset(s, 0, sizeof(*s));
}

/* Is a the daemon's own OSC socket?  Its port on a loopback address, on
 * 0.0.0.0 (which the kernel delivers locally), on the address it is bound
 * to, or, bound to 0.0.0.0, on any address of this host.  The state sent
 * there would come straight back to the daemon. */
static int is_own(const struct jl_daemon *d, const struct sockaddr_in *a)
{
	struct sockaddr_in me;
	socklen_t sl = sizeof(me);
	struct ifaddrs *ifs = NULL, *i;
	uint32_t h = ntohl(a->sin_addr.s_addr);
	int own = 0;
	if (ntohs(a->sin_port) != d->osc_port)
		return 0;
	if ((h >> 24) == 127 || h == 0)
		return 1;
	memset(&me, 0, sizeof(me));
	if (getsockname(d->osc_fd, (struct sockaddr *)&me, &sl) < 0 || me.sin_family != AF_INET)
		return 0;
	if (me.sin_addr.s_addr == a->sin_addr.s_addr)
		return 1;
	if (me.sin_addr.s_addr != htonl(INADDR_ANY) || getifaddrs(&ifs) < 0)
		return 0;
	for (i = ifs; i && !own; i = i->ifa_next)
		own = i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		      ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr.s_addr == a->sin_addr.s_addr;
	freeifaddrs(ifs);
	return own;
}

/* The address a (un)subscribe names: --port P (the sender's host), --url U,
 * or the sender itself.  Returns 0, or a usage error. */
static int target(struct jl_daemon *d, struct jl_req *rq, const char *port, const char *url,
		  struct sockaddr_in *a)
{
	uint32_t p;
	if (url) {
		if (parse_url(url, a) < 0)
			return jl_say(rq, 2, "--url '%s' is not osc.udp://A.B.C.D:PORT/ (a numeric IPv4 address)", url);
		return 0;
	}
	if (!rq->from_osc || d->src.ss_family != AF_INET)
		return jl_say(rq, 2, "without --url, (un)subscribe names who sent it over OSC; this did not come over OSC");
	memcpy(a, &d->src, sizeof(*a));
	if (port) {
		if (jl_parse_u32(port, 1, 65535, &p) < 0)
			return jl_say(rq, 2, "--port '%s' is not a UDP port (1..65535)", port);
		a->sin_port = htons((uint16_t)p);
	}
	return 0;
}

int jl_cmd_subscribe(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_notify *n = d->notify;
	const char *port = NULL, *url = NULL;
	uint32_t interval = 100, lease = 0;
	int i, renew = 0, plain = 0, rc;
	struct sockaddr_in a;
	struct sub *s;
	char u[64];
	if (!n)
		return jl_say(rq, 1, "state feedback is not available (out of memory at start-up)");
	for (i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (!strcmp(w, "--renew")) {
			renew = 1;
			continue;
		}
		if (!strcmp(w, "--no-bundle")) {
			plain = 1;
			continue;
		}
		if (i + 1 >= argc)
			return jl_say(rq, 2, "usage: subscribe [--port PORT | --url osc.udp://HOST:PORT/] "
					     "[--interval MS] [--lease S] [--renew] [--no-bundle]");
		if (!strcmp(w, "--port"))
			port = argv[++i];
		else if (!strcmp(w, "--url"))
			url = argv[++i];
		else if (!strcmp(w, "--interval")) {
			if (jl_parse_u32(argv[++i], 0, 10000, &interval) < 0 || (interval > 0 && interval < 10))
				return jl_say(rq, 2, "--interval '%s' is not 0 (no positions) or 10..10000 ms", argv[i]);
		} else if (!strcmp(w, "--lease")) {
			if (jl_parse_u32(argv[++i], 0, 86400, &lease) < 0)
				return jl_say(rq, 2, "--lease '%s' is not 0 (none) or 1..86400 seconds", argv[i]);
		} else {
			return jl_say(rq, 2, "unknown subscribe option '%s'", w);
		}
	}
	if (port && url)
		return jl_say(rq, 2, "give --port or --url, not both");
	if ((rc = target(d, rq, port, url, &a)) != 0)
		return rc;
	url_of(&a, u, sizeof(u));
	if (is_own(d, &a))
		return jl_say(rq, 2, "%s is this daemon's own OSC port: it would send the state to itself", u);
	s = find_sub(n, &a);
	if (!s) {
		for (i = 0; i < SUBS_MAX && n->s[i].used; i++)
			;
		if (i == SUBS_MAX)
			return jl_say(rq, 1, "%d subscribers already; one must unsubscribe first (unsubscribe --url URL)",
				      SUBS_MAX);
		s = &n->s[i];
		s->used = 1;
		s->addr = a;
		s->full = 1;
	} else if (!renew) {
		s->full = 1; /* a layout that reloads wants to be lit again */
	}
	s->interval_ms = interval;
	s->plain = plain;
	s->fails = 0; /* it asked: it is there again */
	s->hold_until = 0;
	s->lease_until = lease ? jl_mono_ms() + 1000.0 * lease : 0;
	s->next_pos = 0;
	json_object_set_new(rq->json, "url", json_string(u));
	json_object_set_new(rq->json, "interval_ms", json_integer(interval));
	json_object_set_new(rq->json, "lease_s", json_integer(lease));
	json_object_set_new(rq->json, "bundles", json_boolean(!plain));
	json_object_set_new(rq->json, "subscribers", json_integer(count_subs(n)));
	i = count_subs(n);
	if (interval)
		return jl_say(rq, 0, "%s gets the state, and the position every %u ms; %d subscriber%s", u, interval, i,
			      i == 1 ? "" : "s");
	return jl_say(rq, 0, "%s gets the state; %d subscriber%s", u, i, i == 1 ? "" : "s");
}

int jl_cmd_unsubscribe(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	struct jl_notify *n = d->notify;
	const char *port = NULL, *url = NULL;
	struct sockaddr_in a;
	struct sub *s;
	char u[64];
	int i, rc, all = 0;
	if (!n)
		return jl_say(rq, 1, "state feedback is not available (out of memory at start-up)");
	if (argc == 2 && !strcmp(argv[1], "all"))
		all = 1;
	else if (argc == 3 && !strcmp(argv[1], "--port"))
		port = argv[2];
	else if (argc == 3 && !strcmp(argv[1], "--url"))
		url = argv[2];
	else if (argc != 1)
		return jl_say(rq, 2, "usage: unsubscribe [--port PORT | --url URL | all]");
	if (all) {
		int k = count_subs(n);
		for (i = 0; i < SUBS_MAX; i++)
			if (n->s[i].used)
				drop_sub(&n->s[i]);
		json_object_set_new(rq->json, "removed", json_integer(k));
		json_object_set_new(rq->json, "subscribers", json_integer(0));
		return jl_say(rq, 0, "%d subscriber%s removed", k, k == 1 ? "" : "s");
	}
	if ((rc = target(d, rq, port, url, &a)) != 0)
		return rc;
	url_of(&a, u, sizeof(u));
	s = find_sub(n, &a);
	if (!s)
		return jl_say(rq, 1, "%s is not subscribed", u);
	drop_sub(s);
	json_object_set_new(rq->json, "url", json_string(u));
	json_object_set_new(rq->json, "removed", json_integer(1));
	json_object_set_new(rq->json, "subscribers", json_integer(count_subs(n)));
	return jl_say(rq, 0, "%s unsubscribed", u);
}

void jl_notify_status(struct jl_daemon *d, json_t *obj)
{
	const struct jl_notify *n = d->notify;
	json_t *j = json_object(), *arr = json_array();
	int i;
	char u[64];
	if (n)
		for (i = 0; i < SUBS_MAX; i++)
			if (n->s[i].used) {
				url_of(&n->s[i].addr, u, sizeof(u));
				json_array_append_new(arr, json_string(u));
			}
	json_object_set_new(j, "subscribers", arr);
	json_object_set_new(j, "sent", json_integer(n ? (json_int_t)n->sent : 0));
	json_object_set_new(j, "dropped", json_integer(n ? (json_int_t)n->dropped : 0));
	json_object_set_new(obj, "notify", j);
}

int jl_notify_count(const struct jl_daemon *d)
{
	return d->notify ? count_subs(d->notify) : 0;
}

/* ------------------------------------------------------------- the tick */

static void take_snap(struct jl_daemon *d, struct snap *s)
{
	const struct jl_model *m = d->m;
	struct jl_tempo t;
	uint32_t i;
	int k;
	memset(s, 0, sizeof(*s));
	s->selected = m->selected + 1;
	if (m->has_anchor && m->cycle) {
		s->cycle = m->cycle > UINT32_MAX ? UINT32_MAX : (uint32_t)m->cycle;
		s->beats = m->beats_per_cycle;
		s->bpm = (float)(60.0 * d->shm.hdr->geom.sample_rate * m->beats_per_cycle / (double)m->cycle);
	}
	memset(&t, 0, sizeof(t));
	if (d->ana)
		jl_analysis_tempo(d->ana, &t);
	s->tknown = t.known;
	s->tbpm = t.known ? (float)t.bpm : 0;
	s->tconf = t.known ? (float)t.confidence : 0;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_layer_m *l = &m->layers[i];
		if (l->id && l->state == JL_L_ACTIVE && l->track < JL_MAX_TRACKS)
			s->tr[l->track].layers++;
	}
	for (k = 0; k < JL_MAX_TRACKS; k++) {
		const struct jl_track_m *tr = &m->tracks[k];
		s->tr[k].state = (uint8_t)jl_looper_track_state(d, k);
		if (!tr->used) {
			s->tr[k].layers = 0;
			continue;
		}
		s->tr[k].muted = tr->muted;
		s->tr[k].soloed = tr->soloed;
		s->tr[k].gain_db = tr->gain_db;
	}
}

/* The messages in s->out were lost: what they told is not known to s any
 * more, and goes again. */
static void lost(struct sub *s)
{
	int i;
	for (i = 0; i < s->out_n; i++) {
		uint16_t w = s->what[i];
		if (w == W_NONE)
			continue;
		if (w & 0x8000)
			s->known_glob &= (uint8_t)~(w & 0xFF);
		else
			s->known_tr[w >> 8] &= (uint8_t)~(w & 0xFF);
	}
}

/* Sends what s->out holds: one message as it is, several as the bundle.
 * A failed send is counted as dropped, its messages go again, and the
 * subscriber is held back (the back-off doubles while sends keep failing). */
static void flush(struct jl_daemon *d, struct sub *s)
{
	const unsigned char *p = s->out;
	size_t len = s->out_len;
	double ms;
	if (!s->out_n)
		return;
	if (s->out_n == 1) {
		p += BUNDLE_HEAD + 4; /* the one element, without its size */
		len -= BUNDLE_HEAD + 4;
	}
	if (sendto(d->osc_fd, p, len, MSG_DONTWAIT, (const struct sockaddr *)&s->addr, sizeof(s->addr)) < 0) {
		d->notify->dropped += (uint64_t)s->out_n;
		lost(s);
		ms = jl_mono_ms();
		if (ms >= s->hold_until) { /* once per failed tick, not per bundle */
			double wait = BACKOFF_MS * (double)(1u << (s->fails < 8 ? s->fails : 8));
			s->fails++;
			s->hold_until = ms + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
		}
	} else {
		d->notify->sent += (uint64_t)s->out_n;
		s->fails = 0;
	}
	s->out_n = 0;
	s->out_len = BUNDLE_HEAD;
}

/* Queues one message for s (flushing first if the bundle is full); a
 * subscriber that asked for no bundles gets it at once, on its own.  The
 * messages are short (a path, at most three numbers or a state word), so
 * every one fits a bundle. */
static void send_to(struct jl_daemon *d, struct sub *s, uint16_t what, const char *path, lo_message m)
{
	size_t len = lo_message_length(m, path), wrote = 0;
	if (s->out_len + 4 + len > OUT_MAX || s->out_n == OUT_MSGS)
		flush(d, s);
	if (s->out_len < BUNDLE_HEAD) {
		/* "#bundle", then the time tag 1: "at once" */
		static const unsigned char head[BUNDLE_HEAD] = { '#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1 };
		memcpy(s->out, head, BUNDLE_HEAD);
		s->out_len = BUNDLE_HEAD;
	}
	s->out[s->out_len] = (unsigned char)(len >> 24);
	s->out[s->out_len + 1] = (unsigned char)(len >> 16);
	s->out[s->out_len + 2] = (unsigned char)(len >> 8);
	s->out[s->out_len + 3] = (unsigned char)len;
	lo_message_serialise(m, path, s->out + s->out_len + 4, &wrote);
	s->out_len += 4 + len;
	s->what[s->out_n++] = what;
	if (s->plain)
		flush(d, s);
}

/* One message to one subscriber, telling `what` (W_*).  Types: i int32,
 * h int64, f float (passed as double), s string. */
static void push(struct jl_daemon *d, struct sub *s, uint16_t what, const char *path, const char *types, ...)
{
	lo_message m = lo_message_new();
	va_list ap;
	const char *t;
	if (!m)
		return;
	va_start(ap, types);
	for (t = types; *t; t++) {
		switch (*t) {
		case 'i': lo_message_add_int32(m, va_arg(ap, int32_t)); break;
		case 'h': lo_message_add_int64(m, va_arg(ap, int64_t)); break;
		case 'f': lo_message_add_float(m, (float)va_arg(ap, double)); break;
		default: lo_message_add_string(m, va_arg(ap, const char *)); break;
		}
	}
	va_end(ap);
	send_to(d, s, what, path, m);
	lo_message_free(m);
}

static int tempo_moved(const struct snap *a, const struct snap *b)
{
	return a->tknown != b->tknown || fabsf(a->tbpm - b->tbpm) >= TEMPO_STEP_BPM ||
	       fabsf(a->tconf - b->tconf) >= TEMPO_STEP_CONF;
}

/* A new subscriber, or one that asked again: it knows nothing of the
 * globals and of tracks 1..max(8, the highest used); it is taken to show
 * the others as empty. */
static void forget(struct sub *s, const struct snap *now)
{
	int k, hi = FULL_TRACKS;
	for (k = 0; k < JL_MAX_TRACKS; k++)
		if (now->tr[k].state != JL_TS_EMPTY && k + 1 > hi)
			hi = k + 1;
	memset(&s->sent, 0, sizeof(s->sent));
	s->known_glob = 0;
	for (k = 0; k < JL_MAX_TRACKS; k++)
		s->known_tr[k] = k < hi ? 0 : K_ALL;
}

static int is_rec(uint8_t state) { return state == JL_TS_WAITING || state == JL_TS_RECORDING; }

/* Sends subscriber s what it was not sent or was sent otherwise, in a
 * fixed order (globals, then tracks 1.., each: state, rec, mute, solo,
 * gain, layers), at most `budget` messages (the globals may go over it by
 * up to 3); the rest goes next tick.  Each value is marked as sent before
 * its message is queued: a send that fails (at once, with --no-bundle)
 * unmarks it.  Returns how many it sent. */
static int catch_up(struct jl_daemon *d, struct sub *s, const struct snap *now, int budget)
{
	int k, left = budget;
	char p[64];
	if (!(s->known_glob & K_SELECTED) || now->selected != s->sent.selected) {
		s->sent.selected = now->selected;
		s->known_glob |= K_SELECTED;
		push(d, s, W_GLOB(K_SELECTED), "/jl/state/selected", "i", (int32_t)now->selected);
		left--;
	}
	if (!(s->known_glob & K_ANCHOR) || now->cycle != s->sent.cycle || now->beats != s->sent.beats ||
	    now->bpm != s->sent.bpm) {
		s->sent.cycle = now->cycle;
		s->sent.beats = now->beats;
		s->sent.bpm = now->bpm;
		s->known_glob |= K_ANCHOR;
		push(d, s, W_GLOB(K_ANCHOR), "/jl/state/anchor", "ifi", (int32_t)now->cycle, (double)now->bpm,
		     (int32_t)now->beats);
		left--;
	}
	/* a tempo that moved less than a step is not news */
	if (!(s->known_glob & K_TEMPO) || tempo_moved(now, &s->sent)) {
		s->sent.tknown = now->tknown;
		s->sent.tbpm = now->tbpm;
		s->sent.tconf = now->tconf;
		s->known_glob |= K_TEMPO;
		push(d, s, W_GLOB(K_TEMPO), "/jl/state/tempo", "ff", (double)now->tbpm, (double)now->tconf);
		left--;
	}
	for (k = 0; k < JL_MAX_TRACKS && left > 0; k++) {
		const struct track_snap *n = &now->tr[k];
		struct track_snap *w = &s->sent.tr[k];
		uint8_t *kn = &s->known_tr[k];
		if (*kn == K_ALL && !memcmp(n, w, sizeof(*n)))
			continue;
		if (left > 0 && (!(*kn & K_STATE) || n->state != w->state)) {
			if (is_rec(n->state) != is_rec(w->state))
				*kn &= (uint8_t)~K_REC; /* rec follows the state */
			w->state = n->state;
			*kn |= K_STATE;
			snprintf(p, sizeof(p), "/jl/state/track/%d", k + 1);
			push(d, s, W_TRACK(k, K_STATE), p, "s", jl_track_state_names[n->state]);
			left--;
		}
		if (left > 0 && !(*kn & K_REC)) {
			*kn |= K_REC;
			snprintf(p, sizeof(p), "/jl/state/track/%d/rec", k + 1);
			push(d, s, W_TRACK(k, K_REC), p, "f", is_rec(w->state) ? 1.0 : 0.0);
			left--;
		}
		if (left > 0 && (!(*kn & K_MUTE) || n->muted != w->muted)) {
			w->muted = n->muted;
			*kn |= K_MUTE;
			snprintf(p, sizeof(p), "/jl/state/track/%d/mute", k + 1);
			push(d, s, W_TRACK(k, K_MUTE), p, "f", n->muted ? 1.0 : 0.0);
			left--;
		}
		if (left > 0 && (!(*kn & K_SOLO) || n->soloed != w->soloed)) {
			w->soloed = n->soloed;
			*kn |= K_SOLO;
			snprintf(p, sizeof(p), "/jl/state/track/%d/solo", k + 1);
			push(d, s, W_TRACK(k, K_SOLO), p, "f", n->soloed ? 1.0 : 0.0);
			left--;
		}
		if (left > 0 && (!(*kn & K_GAIN) || n->gain_db != w->gain_db)) {
			w->gain_db = n->gain_db;
			*kn |= K_GAIN;
			snprintf(p, sizeof(p), "/jl/state/track/%d/gain", k + 1);
			push(d, s, W_TRACK(k, K_GAIN), p, "f", (double)n->gain_db);
			left--;
		}
		if (left > 0 && (!(*kn & K_LAYERS) || n->layers != w->layers)) {
			w->layers = n->layers;
			*kn |= K_LAYERS;
			snprintf(p, sizeof(p), "/jl/state/track/%d/layers", k + 1);
			push(d, s, W_TRACK(k, K_LAYERS), p, "i", (int32_t)n->layers);
			left--;
		}
	}
	return budget - left;
}

void jl_notify_tick(struct jl_daemon *d)
{
	struct jl_notify *n = d->notify;
	static struct snap now;
	double ms;
	int i, k, left, any = 0;
	if (!n)
		return;
	ms = jl_mono_ms();
	for (i = 0; i < SUBS_MAX; i++) {
		struct sub *s = &n->s[i];
		if (s->used && s->lease_until > 0 && ms >= s->lease_until)
			drop_sub(s);
		any |= s->used;
	}
	if (!any)
		return;
	take_snap(d, &now);
	left = TICK_BUDGET;
	for (k = 0; k < SUBS_MAX; k++) {
		struct sub *s = &n->s[(n->first + k) % SUBS_MAX];
		if (!s->used)
			continue;
		if (s->full) {
			s->full = 0;
			forget(s, &now);
		}
		if (left > 0 && ms >= s->hold_until) /* not while a failed send backs off */
			left -= catch_up(d, s, &now, left < BUDGET ? left : BUDGET);
	}
	/* the next subscriber goes first next tick: the next used slot, or
	 * the lowest one would go first whenever `first` is on an empty one */
	for (k = 1; k <= SUBS_MAX && !n->s[(n->first + k) % SUBS_MAX].used; k++)
		;
	n->first = (n->first + k) % SUBS_MAX;
	/* the position in the cycle, at each subscriber's interval */
	if (d->m->has_anchor && d->m->cycle) {
		uint64_t f = jl_daemon_now(d), C = d->m->cycle, O = d->m->origin;
		uint64_t pos = f >= O ? (f - O) % C : (C - (O - f) % C) % C;
		double ph = (double)pos / (double)C;
		int32_t beat = (int32_t)(ph * d->m->beats_per_cycle) + 1;
		for (i = 0; i < SUBS_MAX; i++) {
			struct sub *s = &n->s[i];
			if (!s->used || !s->interval_ms || ms < s->next_pos || ms < s->hold_until ||
			    (s->pos_frame && f == s->pos_frame))
				continue; /* (the same frame again: JACK stalled, nothing moved) */
			s->pos_frame = f;
			s->next_pos = s->next_pos > 0 && ms - s->next_pos < s->interval_ms ? s->next_pos + s->interval_ms
											   : ms + s->interval_ms;
			push(d, s, W_NONE, "/jl/state/pos", "fih", ph, beat, (int64_t)f);
		}
	}
	for (i = 0; i < SUBS_MAX; i++) /* the tick's messages, and its position */
		if (n->s[i].used)
			flush(d, &n->s[i]);
}
