/* osc.h - the daemon's OSC front end (liblo), non-RT. */
#ifndef JL_OSC_H
#define JL_OSC_H

#include <stddef.h>

struct jl_daemon;

/* Binds UDP host:port (port 0 = any free port; if `fallback` and the port
 * is taken, a free port is used instead and *note says so).  liblo parses
 * and dispatches; we own the socket so that we can bind exactly the host
 * asked for, read the kernel's receive stamp of every datagram, and answer
 * even malformed packets.  Returns 0 or -errno with a reason in err. */
int jl_osc_open(struct jl_daemon *d, const char *host, int port, int fallback, char *err, size_t n,
		char *note, size_t nn);
/* Reads and answers the datagrams waiting on the socket (at most a bounded
 * number per call, so timer ticks are never starved). */
void jl_osc_readable(struct jl_daemon *d);
void jl_osc_close(struct jl_daemon *d);

#include <jansson.h>
#include <sys/socket.h>
/* Sends /jl/reply to an address (for answers that come later). */
void jl_osc_reply_to(struct jl_daemon *d, const struct sockaddr_storage *to, const char *status, const char *cmd,
		     const char *text, json_t *json);

#endif
