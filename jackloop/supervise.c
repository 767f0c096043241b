/* supervise.c - spawn and babysit the control daemon.
 *
 * The child gets its own process group (so a terminal's ^C reaches
 * jackloop, which then shuts the daemon down in order) and
 * PR_SET_PDEATHSIG, so it cannot outlive a crashed jackloop.  Restarts back
 * off exponentially (0.25 s doubling to 30 s, reset after a minute of
 * uptime).  A daemon that exits with JL_EXIT_LOCKED found another daemon on
 * the segment, and one that exits with JL_EXIT_USAGE refused its options:
 * retrying could never succeed, so we stop. */
#define _GNU_SOURCE
#include "supervise.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../shared/jl_shm.h"

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int jl_super_init(struct jl_super *s)
{
	char exe[4096];
	ssize_t n;
	memset(s, 0, sizeof(*s));
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -ENOENT;
	exe[n] = 0;
	snprintf(s->path, sizeof(s->path), "%s/loopctl", dirname(exe));
	if (access(s->path, X_OK) != 0)
		return -ENOENT;
	s->argv[s->argc++] = s->path;
	s->argv[s->argc++] = (char *)"serve";
	s->backoff_s = 0.25;
	return 0;
}

void jl_super_arg(struct jl_super *s, const char *a)
{
	if (s->argc < (int)(sizeof(s->argv) / sizeof(s->argv[0])) - 1)
		s->argv[s->argc++] = (char *)a;
	s->argv[s->argc] = NULL;
}

static void spawn(struct jl_super *s, double now)
{
	pid_t parent = getpid(), pid;
	long max_fd = sysconf(_SC_OPEN_MAX);
	s->argv[s->argc] = NULL;
	sigset_t all, was;
	if (max_fd < 0 || max_fd > 65536)
		max_fd = 65536;
	/* Signals are blocked across the fork: the child must not run
	 * jackloop's SIGTERM/SIGINT handlers (a stop sent to it before its
	 * exec would only set jackloop's flag, and the daemon would then run
	 * until the 2 s grace ends in SIGKILL).  It resets them first. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &was);
	pid = fork();
	if (pid < 0) {
		sigprocmask(SIG_SETMASK, &was, NULL);
		fprintf(stderr, "jackloop: cannot start control daemon: %s\n", strerror(errno));
		s->next_start = now + s->backoff_s;
		return;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls between fork and exec. */
		sigset_t none;
		int sig;
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL); /* (SIG_IGN, as jackloop's SIGPIPE, would survive the exec) */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		/* The daemon gets stdin/out/err only: JACK's client sockets
		 * are not close-on-exec, and the daemon must not hold them
		 * (nor anything else of ours) open after we are gone. */
		if (close_range(3, ~0u, 0) != 0) {
			int fd;
			for (fd = 3; fd < max_fd; fd++)
				close(fd);
		}
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(s->path, s->argv);
		_exit(127);
	}
	sigprocmask(SIG_SETMASK, &was, NULL);
	setpgid(pid, pid);
	s->pid = pid;
	s->started_at = now;
}

void jl_super_poll(struct jl_super *s, double now)
{
	int st;
	if (s->gave_up)
		return;
	if (s->pid > 0) {
		pid_t r = waitpid(s->pid, &st, WNOHANG);
		if (r != s->pid)
			return;
		s->pid = 0;
		if (WIFEXITED(st) && WEXITSTATUS(st) == JL_EXIT_LOCKED) {
			fprintf(stderr, "jackloop: another control daemon already serves this instance; "
					"not starting ours\n");
			s->gave_up = 1;
			return;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == JL_EXIT_USAGE) {
			/* a bad looper option: restarting would fail the same way */
			fprintf(stderr, "jackloop: the control daemon refused its options (see above); "
					"running without it\n");
			s->gave_up = 1;
			return;
		}
		if (now - s->started_at > 60.0)
			s->backoff_s = 0.25;
		if (WIFSIGNALED(st))
			fprintf(stderr, "jackloop: control daemon killed by signal %d; restarting in %.2f s\n",
				WTERMSIG(st), s->backoff_s);
		else
			fprintf(stderr, "jackloop: control daemon exited with status %d; restarting in %.2f s\n",
				WEXITSTATUS(st), s->backoff_s);
		s->next_start = now + s->backoff_s;
		s->backoff_s = s->backoff_s * 2 > 30.0 ? 30.0 : s->backoff_s * 2;
		s->restarts++;
		return;
	}
	if (now >= s->next_start)
		spawn(s, now);
}

void jl_super_stop(struct jl_super *s, double grace_s)
{
	double t0 = mono();
	int st;
	if (s->pid <= 0)
		return;
	kill(-s->pid, SIGTERM);
	while (mono() - t0 < grace_s) {
		if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
			s->pid = 0;
			return;
		}
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	kill(-s->pid, SIGKILL);
	waitpid(s->pid, &st, 0);
	s->pid = 0;
}
