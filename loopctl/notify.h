/* notify.h - state feedback over OSC (subscribe / unsubscribe). */
#ifndef JL_NOTIFY_H
#define JL_NOTIFY_H

#include <jansson.h>

struct jl_daemon;

/* The subscriber table, allocated at start-up (0, or -1 out of memory). */
int jl_notify_init(struct jl_daemon *d);
void jl_notify_close(struct jl_daemon *d);

/* Each tick: leases, the changes since the last tick, full states for new
 * subscribers, the positions that are due. */
void jl_notify_tick(struct jl_daemon *d);

/* status: {"notify": {"subscribers": [URL...], "sent": N, "dropped": N}} */
void jl_notify_status(struct jl_daemon *d, json_t *obj);
int jl_notify_count(const struct jl_daemon *d);

#endif
