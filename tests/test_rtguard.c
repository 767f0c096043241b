/* test_rtguard.c - proves the RT guard works: a malloc (and a lock, and a
 * printf) inside the guarded bracket aborts; the same calls outside it do
 * not.  Run with LD_PRELOAD=build/librtguard.so (tests/run.sh does). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../shared/jl_rt.h"
#include "th.h"

static void *volatile sink;

static void do_malloc(void) { sink = malloc(16); }
static void do_lock(void)
{
	static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_lock(&m);
	pthread_mutex_unlock(&m);
}
static void do_print(void) { printf("x\n"); }
static void do_usleep(void) { usleep(1); }

/* Returns the child's fate: signal number, or 100 + exit status. */
static int run(void (*fn)(void), int guarded)
{
	int st, devnull;
	pid_t p = fork();
	if (p == 0) {
		devnull = open("/dev/null", 1);
		dup2(devnull, 2); /* the guard's message is expected */
		dup2(devnull, 1);
		if (guarded)
			JL_RT_ENTER();
		fn();
		if (guarded)
			JL_RT_EXIT();
		_exit(0);
	}
	waitpid(p, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 100 + WEXITSTATUS(st);
}

int main(void)
{
	TH_CHECK(rtguard_enter != NULL, "the guard is preloaded (LD_PRELOAD=build/librtguard.so)");
	if (!rtguard_enter)
		return TH_REPORT();
	TH_CHECK(run(do_malloc, 1) == SIGABRT, "malloc inside the bracket aborts");
	TH_CHECK(run(do_lock, 1) == SIGABRT, "a mutex inside the bracket aborts");
	TH_CHECK(run(do_print, 1) == SIGABRT, "printf inside the bracket aborts");
	TH_CHECK(run(do_usleep, 1) == SIGABRT, "sleeping inside the bracket aborts");
	TH_CHECK(run(do_malloc, 0) == 100, "malloc outside the bracket is fine");
	TH_CHECK(run(do_lock, 0) == 100, "a mutex outside the bracket is fine");
	return TH_REPORT();
}
