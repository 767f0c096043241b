/* test_shm.c - segment layout, validation, identity locks, re-attach
 * without zeroing, and the daemon's read-only mapping (DESIGN 1.1, 6). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../shared/jl_shm.h"
#include "th.h"

static struct jl_shm_geom geom(void)
{
	struct jl_shm_geom g;
	memset(&g, 0, sizeof(g));
	g.sample_rate = 48000;
	g.n_inputs = 2;
	g.max_voices = 16;
	g.cmd_capacity = 256;
	g.evt_capacity = 256;
	g.hist_frames = 48000;
	g.pool_bytes = 1 << 20;
	g.model_bytes = 1 << 16;
	return g;
}

/* Runs fn in a child; returns the signal that killed it (0 if none). */
static int dies_with(void (*fn)(void *), void *arg)
{
	int st;
	pid_t p = fork();
	if (p == 0) {
		fn(arg);
		_exit(0);
	}
	waitpid(p, &st, 0);
	return WIFSIGNALED(st) ? WTERMSIG(st) : 0;
}

static void write_rt(void *arg)
{
	struct jl_shm *s = arg;
	atomic_store(&s->rt->xruns, 7); /* must fault: PROT_READ */
}

static void write_hist(void *arg)
{
	struct jl_shm *s = arg;
	s->hist[0] = 1.0f;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A daemon (or a command) started together with jackloop finds a
 * segment that is still being made: it waits for it instead of failing
 * ("segment is 0 bytes, smaller than a header" failed a test under load).
 * A child plays a jackloop that holds its lock on an empty segment for
 * 0.3 s, then makes the segment; the daemon, started 0.05 s in, must
 * attach once it is made.  Then an empty segment with nobody making it
 * (a start cut short) is refused after a short wait (0.5 s), not 5 s. */
static void test_being_made(const char *name)
{
	struct jl_shm_geom g = geom();
	struct jl_shm dmn, eng;
	char err[256], c = 0;
	int pfd[2], st, r;
	double t0;
	pid_t p;
	if (pipe(pfd) < 0)
		return;
	p = fork();
	if (p == 0) {
		struct flock fl;
		int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = JL_LOCK_ENGINE;
		fl.l_len = 1;
		if (fd < 0 || fcntl(fd, F_OFD_SETLK, &fl) < 0)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		usleep(300000);
		close(fd); /* the lock goes; jackloop takes it again at once */
		if (jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err)) != JL_SHM_CREATED)
			_exit(2);
		usleep(1000000); /* running, until the daemon has attached */
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		c = 0;
	close(pfd[0]);
	usleep(50000);
	t0 = now_s();
	r = jl_shm_open_daemon(&dmn, name, err, sizeof(err));
	TH_CHECK(c == 'x' && r == 0 && now_s() - t0 > 0.2,
		 "a daemon started while jackloop makes the segment waits, then attaches (%.2f s: %s)", now_s() - t0,
		 r == 0 ? "attached" : err);
	if (r == 0)
		jl_shm_close(&dmn);
	waitpid(p, &st, 0);
	TH_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "and jackloop made it (child status %d)", st);
	shm_unlink(name);

	r = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (r >= 0)
		close(r);
	t0 = now_s();
	r = jl_shm_open_daemon(&dmn, name, err, sizeof(err));
	TH_CHECK(r == -EPROTO && strstr(err, "smaller than a header") && now_s() - t0 < 2.0,
		 "an empty segment that nobody makes is refused after %.2f s: %s", now_s() - t0, err);
	shm_unlink(name);
}

int main(void)
{
	struct jl_shm_geom g = geom(), g2;
	struct jl_shm_header h, bad;
	struct jl_shm eng, eng2, dmn, dmn2, rd;
	char err[256], name[128];
	int i, r;

	/* --- layout ---------------------------------------------------- */
	TH_CHECK(jl_shm_layout(&g, 4096, &h) == 0, "layout");
	for (i = 0; i < JL_REG__COUNT; i++)
		TH_CHECK(h.region[i].off % 4096 == 0 && h.region[i].len % 4096 == 0, "region %d page-aligned", i);
	TH_CHECK(h.region[JL_REG_HIST].len >= g.hist_frames * g.n_inputs * sizeof(float), "history fits");
	TH_CHECK(h.total_size == h.region[JL_REG_POOL].off + h.region[JL_REG_POOL].len, "total size");
	g2 = g;
	g2.cmd_capacity = 100;
	TH_CHECK(jl_shm_layout(&g2, 4096, &bad) == -EINVAL, "non power-of-two queue refused");
	g2 = g;
	g2.n_inputs = 0;
	TH_CHECK(jl_shm_layout(&g2, 4096, &bad) == -EINVAL, "zero inputs refused");

	/* --- validation ------------------------------------------------ */
	TH_CHECK(jl_shm_validate(&h, h.total_size, err, sizeof(err)) == 0, "valid header: %s", err);
	bad = h;
	bad.magic ^= 1;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == -EPROTO && strstr(err, "magic"),
		 "wrong magic refused: %s", err);
	bad = h;
	bad.abi_major = JL_ABI_MAJOR + 1;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == -EPROTO && strstr(err, "ABI"),
		 "other ABI major refused: %s", err);
	bad = h;
	bad.abi_minor = JL_ABI_MINOR + 1;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == 0, "newer minor accepted");
	bad = h;
	bad.cmd_size = 32;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == -EPROTO, "other command size refused");
	bad = h;
	bad.rt_state_size += 8;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == -EPROTO, "other RT state size refused");
	bad = h;
	bad.region[JL_REG_POOL].off += 4096;
	TH_CHECK(jl_shm_validate(&bad, h.total_size, err, sizeof(err)) == -EPROTO, "bad region table refused");
	TH_CHECK(jl_shm_validate(&h, h.total_size - 4096, err, sizeof(err)) == -EPROTO && strstr(err, "truncated"),
		 "truncated segment refused: %s", err);
	TH_CHECK(jl_shm_validate(&h, 10, err, sizeof(err)) == -EPROTO, "tiny file refused");

	/* --- names ----------------------------------------------------- */
	TH_CHECK(jl_shm_name(name, sizeof(name), 1000, "my server", "a/b") == 0 &&
		 !strcmp(name, "/jackloop.1000.my_server.a_b"), "name sanitised: %s", name);

	/* --- create, identity, re-attach ------------------------------- */
	snprintf(name, sizeof(name), "/jackloop.test.%d", (int)getpid());
	shm_unlink(name);
	r = jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err));
	TH_CHECK(r == JL_SHM_CREATED, "create: %s", err);
	TH_CHECK(jl_shm_open_engine(&eng2, name, &g, 1, err, sizeof(err)) == -EBUSY, "second engine refused: %s", err);
	TH_CHECK(jl_shm_remove_stale(name, err, sizeof(err)) == -EBUSY, "cleanup refuses a live segment");
	eng.hist[123] = 0.25f;
	atomic_store(&eng.rt->history_head, 4242);
	TH_CHECK(jl_shm_open_daemon(&dmn, name, err, sizeof(err)) == 0, "daemon attaches: %s", err);
	TH_CHECK(jl_shm_open_daemon(&dmn2, name, err, sizeof(err)) == -EBUSY, "second daemon refused: %s", err);
	TH_CHECK(dmn.hist[123] == 0.25f && atomic_load(&dmn.rt->history_head) == 4242, "daemon sees RT state");
	TH_CHECK(dies_with(write_rt, &dmn) == SIGSEGV, "daemon cannot write RT state");
	TH_CHECK(dies_with(write_hist, &dmn) == SIGSEGV, "daemon cannot write history");
	dmn.pool[0] = 9; /* the pool is the daemon's to write */
	TH_CHECK(eng.pool[0] == 9, "pool shared");
	TH_CHECK(jl_shm_open_reader(&rd, name, 0, err, sizeof(err)) == 0 && rd.hdr->geom.sample_rate == 48000,
		 "reader sees the header");
	jl_shm_close(&rd);
	jl_shm_close(&dmn);

	/* The engine "crashes": the lock goes with the descriptor. */
	jl_shm_close(&eng);
	r = jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err));
	TH_CHECK(r == JL_SHM_REATTACHED, "stale segment re-attached: %s", err);
	TH_CHECK(r > 0 && eng.hist[123] == 0.25f && atomic_load(&eng.rt->history_head) == 4242,
		 "re-attach kept the contents (no zeroing)");
	if (r > 0)
		jl_shm_close(&eng);
	g2 = g;
	g2.n_inputs = 4;
	TH_CHECK(jl_shm_open_engine(&eng, name, &g2, 1, err, sizeof(err)) == -EPROTO && strstr(err, "other sizes"),
		 "explicit other geometry refused: %s", err);
	r = jl_shm_open_engine(&eng, name, &g2, 0, err, sizeof(err));
	TH_CHECK(r == JL_SHM_REATTACHED && eng.hdr->geom.n_inputs == 2, "default geometry adopts the stale one");
	if (r > 0)
		jl_shm_close(&eng);
	g2 = g;
	g2.sample_rate = 44100;
	TH_CHECK(jl_shm_open_engine(&eng, name, &g2, 0, err, sizeof(err)) == -EPROTO && strstr(err, "Hz"),
		 "other sample rate refused: %s", err);
	TH_CHECK(jl_shm_remove_stale(name, err, sizeof(err)) == 0, "cleanup removes a stale segment");
	TH_CHECK(jl_shm_remove_stale(name, err, sizeof(err)) == -ENOENT, "cleanup of nothing");

	/* A corrupt stale segment is refused, not trusted. */
	r = jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err));
	TH_CHECK(r == JL_SHM_CREATED, "create again");
	if (r > 0) {
		eng.hdr->magic ^= 1;
		jl_shm_close(&eng);
	}
	TH_CHECK(jl_shm_open_engine(&eng, name, &g, 0, err, sizeof(err)) == -EPROTO && strstr(err, "magic"),
		 "corrupt stale segment refused: %s", err);
	TH_CHECK(jl_shm_open_daemon(&dmn, name, err, sizeof(err)) == -EPROTO, "daemon refuses it too");
	shm_unlink(name);
	TH_CHECK(jl_shm_open_daemon(&dmn, name, err, sizeof(err)) == -ENOENT, "daemon: no segment");

	/* The magic is published last: a full-sized segment whose magic is
	 * zero was never made (jackloop died before the end), and a
	 * jackloop that finds it with the lock free makes it afresh. */
	r = jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err));
	TH_CHECK(r == JL_SHM_CREATED, "create again");
	if (r > 0) {
		eng.hdr->magic = 0;
		jl_shm_close(&eng);
	}
	r = jl_shm_open_engine(&eng, name, &g, 1, err, sizeof(err));
	TH_CHECK(r == JL_SHM_CREATED && eng.hdr->magic == JL_SHM_MAGIC,
		 "a segment without its magic (a start cut short) is made afresh: %s", r < 0 ? err : "made");
	if (r > 0)
		jl_shm_close(&eng);
	shm_unlink(name);
	test_being_made(name);

	/* Arrival time conversion uses the measured period. */
	TH_CHECK(jl_shm_usecs_to_frame(1000, 1000000, 1005333, 256, 1000000 + 5333 / 2) == 1000 + 128,
		 "usecs -> frame mid-period");
	TH_CHECK(jl_shm_usecs_to_frame(1000, 1000000, 1005333, 256, 1000000 - 5333) == 1000 - 256,
		 "usecs before the cycle");
	return TH_REPORT();
}
