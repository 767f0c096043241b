/* supervise.h - jackloop starts `loopctl serve` and restarts it if it dies
 * (non-RT, main thread only). */
#ifndef JL_SUPERVISE_H
#define JL_SUPERVISE_H

#include <sys/types.h>

struct jl_super {
	char path[4096];	/* loopctl beside our own executable */
	char *argv[32];
	int argc;
	pid_t pid;		/* 0 = not running */
	int gave_up;		/* the daemon exited with JL_EXIT_LOCKED */
	double backoff_s;	/* next restart delay */
	double next_start;	/* monotonic seconds; 0 = now */
	double started_at;
	unsigned restarts;
};

/* Finds loopctl next to /proc/self/exe.  Returns 0 or -ENOENT. */
int jl_super_init(struct jl_super *s);
/* Appends an argument (copied pointer; must outlive s). */
void jl_super_arg(struct jl_super *s, const char *a);
/* Call periodically: reaps, logs, restarts with exponential backoff. */
void jl_super_poll(struct jl_super *s, double now);
/* SIGTERM to the daemon's process group, SIGKILL after `grace_s`. */
void jl_super_stop(struct jl_super *s, double grace_s);

#endif
