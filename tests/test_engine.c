/* test_engine.c - the RT engine driven offline, sample-exact (DESIGN 8):
 * commands at their exact frame for any period size, ramps, late and
 * future commands, cancel, fuzzed commands, history continuity under
 * changing nframes, gaps after skipped frames, sample-rate mismatch.
 * Every engine call is inside the RT guard bracket. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../jackloop/engine.h"
#include "../shared/jl_fx.h"
#include "../shared/jl_rt.h"
#include "th.h"

#define RATE 48000u
#define HIST 8192u
#define SPAN (1u << 16) /* frames of output we keep for inspection */

static struct jl_shm shm;
static struct jl_engine *eng;
static struct jl_spsc_h cq, eq;
static uint32_t jack_frames; /* JACK's frame time (wraps) */
static float out_log[2][SPAN];
static uint32_t last_n;
static float inbuf[2][8192], outbuf[4][8192];
static int poison; /* cycle(): NaN and Inf in the input at fixed offsets */
static int use_send; /* cycle(): track 0's send, return and track out */
static float sendbuf[2][8192], retbuf[2][8192], tobuf[2][8192];
static char shm_name[64];
/* MIDI clock out: every byte the engine sent, at its engine frame */
#define MLOG_MAX 8192
static struct jl_midi_out midi;
static uint64_t mlog_frame[MLOG_MAX];
static uint8_t mlog_byte[MLOG_MAX];
static uint32_t mlog_n;

/* Frame-coded signal (DESIGN 8): |code| <= 0.5, exact in float. */
static float code(uint64_t f) { return ((float)(f & 0x7FFF) - 16384.0f + 0.5f) / 32768.0f; }

/* The code jl_player-style input had at engine frame f. */
static float code_at(uint64_t f)
{
	uint32_t jf = 0;
	if (jl_shm_jack_frame(shm.rt, f, &jf) < 0)
		return 99.0f; /* never matches */
	return code(jf);
}

static void setup(void)
{
	struct jl_shm_geom g;
	char err[256];
	memset(&g, 0, sizeof(g));
	g.sample_rate = RATE;
	g.n_inputs = 2;
	g.max_voices = 8;
	g.cmd_capacity = 4096;
	g.evt_capacity = 1u << 16;
	g.hist_frames = HIST;
	g.pool_bytes = 4u << 20; /* room for a delay's state (test_fx_tail) */
	g.model_bytes = 1 << 12;
	snprintf(shm_name, sizeof(shm_name), "/jackloop.test_engine.%d", (int)getpid());
	shm_unlink(shm_name);
	if (jl_shm_open_engine(&shm, shm_name, &g, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "segment: %s\n", err);
		exit(1);
	}
	eng = jl_engine_create(&shm);
	jl_spsc_attach(&cq, (unsigned char *)shm.hdr + shm.hdr->cmdq_off, g.cmd_capacity, sizeof(struct jl_cmd));
	jl_spsc_attach(&eq, (unsigned char *)shm.hdr + shm.hdr->evtq_off, g.evt_capacity, sizeof(struct jl_evt));
}

static void jack_resize(uint32_t n)
{
	if (last_n && n != last_n)
		jack_frames += n - last_n; /* what JACK2 does at a size change */
}

/* One JACK cycle of n frames; input is frame-coded by JACK frame time.
 * Like JACK, a period-size change advances the frame time by the new size
 * instead of the old one. */
static void cycle(uint32_t n)
{
	struct jl_engine_io io;
	uint64_t base;
	uint32_t k;
	memset(&io, 0, sizeof(io));
	jack_resize(n);
	for (k = 0; k < n; k++) {
		inbuf[0][k] = code((uint64_t)jack_frames + k);
		inbuf[1][k] = -code((uint64_t)jack_frames + k);
	}
	if (poison && n >= 256) {
		inbuf[0][5] = NAN;
		inbuf[0][100] = INFINITY;
		inbuf[1][7] = NAN; /* input 1: NaN only (never a clip before) */
		inbuf[1][201] = -NAN;
	}
	io.in[0] = inbuf[0];
	io.in[1] = inbuf[1];
	for (k = 0; k < 4; k++)
		io.out[k] = outbuf[k];
	for (k = 0; k < 2 && use_send; k++) {
		io.send_out[0][k] = sendbuf[k];
		io.ret_in[0][k] = retbuf[k];
		io.track_out[0][k] = tobuf[k];
	}
	io.nframes = n;
	io.jack_frames = jack_frames;
	io.usecs = (uint64_t)jack_frames * 1000000u / RATE;
	io.next_usecs = io.usecs + (uint64_t)n * 1000000u / RATE;
	io.period_usecs = (float)n * 1e6f / RATE;
	io.midi = &midi;
	midi.n = 12345; /* the engine must reset it */
	JL_RT_ENTER();
	jl_engine_process_rt(eng, &io);
	JL_RT_EXIT();
	base = jl_engine_frame(eng) - n;
	for (k = 0; k < midi.n && k < JL_MIDI_OUT_MAX && mlog_n < MLOG_MAX; k++) {
		mlog_frame[mlog_n] = base + midi.off[k];
		mlog_byte[mlog_n++] = midi.byte[k];
	}
	for (k = 0; k < n; k++) {
		uint64_t f = base + k;
		out_log[0][f % SPAN] = outbuf[0][k];
		out_log[1][f % SPAN] = outbuf[3][k];
	}
	jack_frames += n;
	last_n = n;
}


static void push(uint16_t type, uint64_t target, float f0, uint64_t u1, uint32_t id)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = type;
	c.target = target;
	c.id = id;
	c.p.f[0] = f0;
	c.p.u[1] = u1;
	if (type == JL_CMD_CANCEL)
		c.p.u[0] = u1;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

static void clear_log(void) { memset(out_log, 0, sizeof(out_log)); }

static uint32_t nonzero(uint64_t from, uint64_t to, uint64_t *where)
{
	uint32_t n = 0;
	uint64_t f;
	for (f = from; f < to; f++)
		if (out_log[0][f % SPAN] != 0.0f) {
			if (!n && where)
				*where = f;
			n++;
		}
	return n;
}

static void test_exact_frame(void)
{
	static const uint32_t sizes[] = { 64, 100, 256, 1000, 4096, 1 , 333 };
	size_t s;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s];
		uint64_t start = jl_engine_frame(eng), target = start + 3 * n + 77, at = 0;
		clear_log();
		push(JL_CMD_IMPULSE, target, 0.5f, 0, 0);
		while (jl_engine_frame(eng) < target + 2 * n + 10)
			cycle(n);
		TH_CHECK(nonzero(start, jl_engine_frame(eng), &at) == 1 && at == target &&
			 out_log[0][target % SPAN] == 0.5f && out_log[1][target % SPAN] == 0.5f,
			 "period %u: impulse exactly at frame %llu (got %llu)", n, (unsigned long long)target,
			 (unsigned long long)at);
	}
}

static void test_gain_step_and_ramp(void)
{
	uint64_t t, f;
	uint32_t i, N = 100, bad = 0;
	/* Step: impulses at t-1 and t, gain 0.5 with no ramp at t. */
	clear_log();
	t = jl_engine_frame(eng) + 1000;
	push(JL_CMD_IMPULSE, t - 1, 1.0f, 0, 0);
	push(JL_CMD_MASTER_GAIN, t, 0.5f, 0, 0);
	push(JL_CMD_IMPULSE, t, 1.0f, 0, 0);
	while (jl_engine_frame(eng) < t + 300)
		cycle(128);
	TH_CHECK(out_log[0][(t - 1) % SPAN] == 1.0f && out_log[0][t % SPAN] == 0.5f,
		 "gain step lands on its frame (%g, %g)", out_log[0][(t - 1) % SPAN], out_log[0][t % SPAN]);

	/* Ramp 0.5 -> 1.0 over N frames from t; an impulse on every frame. */
	clear_log();
	t = jl_engine_frame(eng) + 500;
	push(JL_CMD_MASTER_GAIN, t, 1.0f, N, 0);
	for (f = t; f < t + N + 3; f++)
		push(JL_CMD_IMPULSE, f, 1.0f, 0, 0);
	while (jl_engine_frame(eng) < t + N + 600)
		cycle(256);
	for (i = 0; i < N + 3; i++) {
		double want = i < N ? 0.5 + 0.5 * (i + 1) / (double)N : 1.0;
		if (fabs(out_log[0][(t + i) % SPAN] - want) > 2e-7)
			bad++;
	}
	TH_CHECK(bad == 0, "ramp sample i = g0 + (g1-g0)(i+1)/N (%u off)", bad);
	TH_CHECK(out_log[0][(t - 1) % SPAN] == 0.0f, "nothing before the ramp's frame");
}

static void test_late_and_cancel(void)
{
	uint32_t late0 = atomic_load(&shm.rt->cmd_late), rej0 = atomic_load(&shm.rt->cmd_rejected);
	uint64_t now = jl_engine_frame(eng), at = 0;
	clear_log();
	push(JL_CMD_IMPULSE, now - 5000, 0.25f, 0, 0);
	cycle(256);
	TH_CHECK(atomic_load(&shm.rt->cmd_late) == late0 + 1, "a past target is counted late");
	TH_CHECK(nonzero(now, now + 256, &at) == 1 && at == now, "and applied at the start of the next block");
	TH_CHECK(atomic_load(&shm.rt->max_late_frames) >= 5000, "lateness reported");

	clear_log();
	now = jl_engine_frame(eng);
	push(JL_CMD_IMPULSE, now + 2000, 0.25f, 0, 77);
	cycle(256);
	TH_CHECK(atomic_load(&shm.rt->pending) == 1, "future command waits in the pending table");
	push(JL_CMD_CANCEL, 0, 0, 77, 0);
	push(JL_CMD_CANCEL, 0, 0, 12345, 0);
	while (jl_engine_frame(eng) < now + 3000)
		cycle(256);
	TH_CHECK(nonzero(now, now + 3000, NULL) == 0, "cancelled command never plays");
	TH_CHECK(atomic_load(&shm.rt->cmd_rejected) == rej0 + 1, "cancel of an unknown id is rejected");
}

/* Voice commands for the tests below: a pool source, a start at `target`
 * (seamless, period = len, body frame 0 at `origin`), a gain. */
static void push_vsrc_pool(uint32_t voice, uint64_t target, uint64_t off, uint64_t len)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_SRC;
	c.target = target;
	c.p.vsrc.voice = voice;
	c.p.vsrc.kind = JL_SRC_POOL;
	c.p.vsrc.channels = 1;
	c.p.vsrc.gen = 1;
	c.p.vsrc.pool_off0 = off;
	c.p.vsrc.data_len = len;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

static void push_vstart(uint32_t voice, uint32_t track, uint64_t target, uint64_t origin, uint64_t len)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_START;
	c.target = target;
	c.p.vstart.voice = voice;
	c.p.vstart.track = track;
	c.p.vstart.seam_mode = JL_SEAM_XFADE;
	c.p.vstart.body = c.p.vstart.period = len;
	c.p.vstart.origin = origin;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

static void push_vgain(uint32_t voice, uint64_t target, float gain, uint32_t ramp, uint32_t flags)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_GAIN;
	c.target = target;
	c.p.vgain.voice = voice;
	c.p.vgain.gain = gain;
	c.p.vgain.ramp = ramp;
	c.p.vgain.flags = flags;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

/* Commands with equal targets apply in queue order (jl_cmd.h), also after
 * a cancel removed a pending command listed before them. */
static void test_cancel_keeps_order(void)
{
	const uint32_t V = 3, T = 2, LEN = 4800;
	const uint64_t PO = 3u << 18; /* pool floats, clear of test_fx_tail's */
	float *pool = (float *)shm.pool;
	uint32_t rej0, k, bad = 0, c0;
	uint64_t now, t, at = 0;

	/* A future-dated CANCEL applied at t removes a command listed before
	 * it; the impulse due at t with it must still land on t. */
	clear_log();
	now = jl_engine_frame(eng);
	t = now + 1000;
	push(JL_CMD_NOP, t + 1000, 0, 0, 91);
	push(JL_CMD_CANCEL, t, 0, 91, 0);
	push(JL_CMD_IMPULSE, t, 0.5f, 0, 0);
	while (jl_engine_frame(eng) < t + 2000)
		cycle(256);
	TH_CHECK(nonzero(now, t + 2000, &at) == 1 && at == t && out_log[0][t % SPAN] == 0.5f,
		 "a command due with a CANCEL at its frame is applied on that frame (at %+lld)",
		 (long long)(at - t));

	/* A new loop scheduled at t (SRC, START, GAIN), after an unrelated
	 * command with an id; an immediate cancel of that one must not move
	 * the GAIN before the START. */
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.25f;
	clear_log();
	rej0 = atomic_load(&shm.rt->cmd_rejected);
	c0 = atomic_load(&shm.rt->cmd_cancelled);
	now = jl_engine_frame(eng);
	t = now + 2000;
	push(JL_CMD_NOP, t + 500, 0, 0, 90);
	push_vsrc_pool(V, t, PO, LEN);
	push_vstart(V, T, t, t, LEN);
	push_vgain(V, t, 1.0f, 0, 0);
	cycle(256);
	push(JL_CMD_CANCEL, 0, 0, 90, 0);
	while (jl_engine_frame(eng) < t + 1000)
		cycle(256);
	for (k = 0; k < 1000; k++)
		bad += out_log[0][(t + k) % SPAN] != 0.25f;
	TH_CHECK(atomic_load(&shm.rt->cmd_cancelled) == c0 + 1 && atomic_load(&shm.rt->cmd_rejected) == rej0,
		 "the cancel applies, nothing is rejected (%u rejected)", atomic_load(&shm.rt->cmd_rejected) - rej0);
	TH_CHECK(bad == 0 && out_log[0][(t - 1) % SPAN] == 0.0f,
		 "the new loop is heard at its gain from its frame on (%u of 1000 frames wrong)", bad);
	push_vgain(V, 0, 0.0f, 0, JL_VGAIN_STOP);
	cycle(256);
	TH_CHECK(atomic_load(&shm.voice[V].state) == JL_VOICE_OFF, "and stops");
}

static void test_pending_full(void)
{
	uint32_t drop0 = atomic_load(&shm.rt->cmd_dropped), i;
	uint64_t far = jl_engine_frame(eng) + RATE * 60;
	for (i = 0; i < JL_PENDING_MAX + 10; i++) {
		push(JL_CMD_NOP, far, 0, 0, i + 1);
		if (i % 200 == 0)
			cycle(64);
	}
	cycle(64);
	cycle(64);
	cycle(64);
	TH_CHECK(atomic_load(&shm.rt->cmd_dropped) == drop0 + 10, "pending table full: the rest are counted");
	for (i = 0; i < JL_PENDING_MAX; i++)
		push(JL_CMD_CANCEL, 0, 0, i + 1, 0);
	for (i = 0; i < 8; i++)
		cycle(64);
	TH_CHECK(atomic_load(&shm.rt->pending) == 0, "cancel empties it");
}

static uint64_t rnd_state = 0x123456789ull;
static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static void test_fuzz(void)
{
	uint32_t a0 = atomic_load(&shm.rt->cmd_applied), r0 = atomic_load(&shm.rt->cmd_rejected);
	uint32_t d0 = atomic_load(&shm.rt->cmd_dropped), p0 = atomic_load(&shm.rt->pending);
	uint32_t i, k, pushed = 0, sure_bad = 0, nonfinite = 0;
	struct jl_cmd c;
	for (i = 0; i < 200000; i++) {
		unsigned char *b = (unsigned char *)&c;
		for (k = 0; k < sizeof(c); k++)
			b[k] = (unsigned char)rnd();
		if (i % 2) {
			/* half plausible: a real type, a near target */
			c.type = (uint16_t)(rnd() % (JL_CMD__COUNT + 2));
			c.flags = (uint16_t)(rnd() % 3 == 0 ? JL_CMDF_IMMEDIATE : 0);
			c.target = jl_engine_frame(eng) + rnd() % 4096;
		}
		if (c.type >= JL_CMD__COUNT || (c.flags & ~JL_CMDF_IMMEDIATE))
			sure_bad++;
		if (jl_spsc_push(&cq, &c))
			pushed++;
		if (i % 64 == 63)
			cycle(1 + (uint32_t)(rnd() % 512));
	}
	for (i = 0; i < 64; i++)
		cycle(4096);
	for (k = 0; k < 4096; k++)
		if (!isfinite(outbuf[0][k]))
			nonfinite++;
	{
		uint32_t applied = atomic_load(&shm.rt->cmd_applied) - a0;
		uint32_t rejected = atomic_load(&shm.rt->cmd_rejected) - r0;
		uint32_t dropped = atomic_load(&shm.rt->cmd_dropped) - d0;
		int32_t pend = (int32_t)atomic_load(&shm.rt->pending) - (int32_t)p0;
		TH_CHECK(applied + rejected + dropped + (uint32_t)pend == pushed,
			 "every fuzzed command is accounted for (%u+%u+%u+%d vs %u)", applied, rejected, dropped,
			 pend, pushed);
		TH_CHECK(rejected >= sure_bad, "all %u certainly-bad commands rejected (%u)", sure_bad, rejected);
		TH_CHECK(nonfinite == 0 && isfinite(jl_bits_f(atomic_load(&shm.rt->master_gain))),
			 "outputs and gain stay finite");
	}
	/* Drain events; the RT side never blocks on them. */
	{
		struct jl_evt ev;
		while (jl_spsc_pop(&eq, &ev))
			;
	}
}

static void test_history_continuity(void)
{
	uint32_t k, bad = 0, n;
	uint64_t head, f;
	for (k = 0; k < 300; k++) {
		n = 1 + (uint32_t)(rnd() % 4096);
		cycle(n);
	}
	cycle(64);
	cycle(4096);
	cycle(128);
	head = atomic_load(&shm.rt->history_head);
	TH_CHECK(head == jl_engine_frame(eng), "history head = engine frame");
	for (f = head - HIST; f < head; f++) {
		uint32_t jf;
		if (jl_shm_jack_frame(shm.rt, f, &jf) < 0 || shm.hist[f % HIST] != code(jf) ||
		    shm.hist[HIST + f % HIST] != -code(jf))
			bad++;
	}
	TH_CHECK(bad == 0, "every played sample in the history once, in order, across size changes (%u bad)", bad);
	TH_CHECK(atomic_load(&shm.rt->gaps) == 0, "a size change is not a gap");
}

static void test_gap(void)
{
	uint32_t g0 = atomic_load(&shm.rt->gaps);
	uint64_t before = jl_engine_frame(eng), f;
	uint32_t bad = 0;
	struct jl_gap_mark *m;
	cycle(256);
	jack_frames += 1000; /* JACK skipped 1000 frames (xrun) */
	cycle(256);
	TH_CHECK(atomic_load(&shm.rt->gaps) == g0 + 1, "a skipped cycle is a gap");
	m = &shm.rt->gap[g0 % JL_GAP_MARKS];
	TH_CHECK(atomic_load(&m->start) == before + 256 && atomic_load(&m->len) == 1000,
		 "gap mark: start %llu len %llu", (unsigned long long)atomic_load(&m->start),
		 (unsigned long long)atomic_load(&m->len));
	TH_CHECK(jl_engine_frame(eng) == before + 256 + 1000 + 256, "frame follows JACK's frame time");
	for (f = before + 256; f < before + 1256; f++)
		if (shm.hist[f % HIST] != 0.0f)
			bad++;
	TH_CHECK(bad == 0, "the gap is silence in the history");
	TH_CHECK(shm.hist[(before + 1256) % HIST] == code_at(before + 1256), "audio resumes at JACK's frame");
}

static void test_rate_mismatch(void)
{
	uint32_t r0 = atomic_load(&shm.rt->cmd_rejected), k, loud = 0;
	uint64_t head = atomic_load(&shm.rt->history_head);
	atomic_store(&shm.rt->rate_mismatch, 1);
	for (k = 0; k < 4; k++)
		outbuf[0][k] = 1.0f;
	push(JL_CMD_IMPULSE, 0, 1.0f, 0, 0);
	cycle(256);
	for (k = 0; k < 256; k++)
		if (outbuf[0][k] != 0.0f)
			loud++;
	TH_CHECK(loud == 0, "a sample-rate change silences the outputs");
	TH_CHECK(atomic_load(&shm.rt->cmd_rejected) == r0 + 1, "and rejects commands");
	TH_CHECK(atomic_load(&shm.rt->history_head) == head, "and records nothing");
	atomic_store(&shm.rt->rate_mismatch, 0);
}

static void test_reattach(void)
{
	/* A new engine on the same segment (jackloop restarted) continues the
	 * timeline after the history it finds, even if JACK's clock restarted. */
	uint64_t head = atomic_load(&shm.rt->history_head);
	struct jl_engine *old = eng;
	eng = jl_engine_create(&shm);
	jack_frames = 10;
	cycle(256);
	TH_CHECK(jl_engine_frame(eng) >= head + 256, "timeline never goes backwards on re-attach");
	TH_CHECK(shm.hist[(head - 1) % HIST] == code_at(head - 1), "old history kept across the re-attach");
	TH_CHECK(shm.hist[head % HIST] == code(10), "new audio continues right after it");
	jl_engine_destroy(old);
}

static long minor_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* The callback takes no page fault on the engine's own memory: a fresh
 * engine's first cycles, with voices on 8 tracks, fault no page in (the
 * code, the test's buffers and the segment are warm from the tests
 * before).  jl_engine_create faults it all in; jl_engine_lock_memory
 * locks it. */
static void test_first_cycle_faults(void)
{
	const uint32_t LEN = 4800;
	const uint64_t PO = 3u << 18;
	struct jl_engine *old = eng;
	float *pool = (float *)shm.pool;
	uint64_t total = 0, locked;
	long f0, f1;
	int err = -1;
	uint32_t k;
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.125f;
	eng = jl_engine_create(&shm);
	locked = jl_engine_lock_memory(eng, &total, &err);
	TH_CHECK(total > 256 * 1024 && (err ? locked < total : locked == total),
		 "the engine's memory: %llu of %llu bytes locked (errno %d)", (unsigned long long)locked,
		 (unsigned long long)total, err);
	jl_engine_destroy(old);
	for (k = 0; k < 8; k++) {
		push_vsrc_pool(k, 0, PO, LEN);
		push_vstart(k, 2 * k, 0, 0, LEN);
		push_vgain(k, 0, 1.0f, 0, 0);
	}
	f0 = minor_faults();
	for (k = 0; k < 4; k++)
		cycle(256);
	f1 = minor_faults();
	TH_CHECK(f1 == f0, "a fresh engine's first cycles take no page fault (%ld)", f1 - f0);
	TH_CHECK(out_log[0][(jl_engine_frame(eng) - 1) % SPAN] != 0.0f, "with its 8 voices playing");
	for (k = 0; k < 8; k++)
		push_vgain(k, 0, 0.0f, 0, JL_VGAIN_STOP);
	cycle(256);
}

/* A voice that plays from the history and is about to be overwritten fades
 * out (overrun, track_rt.c guard_ring).  A VOICE_GAIN arriving during that
 * fade must not bring it back: the voice would be cut off at full level
 * when the ring overwrites its frames. */
static void test_overrun_gain(void)
{
	const uint32_t V = 4, LEN = 3000;
	struct jl_cmd c;
	uint32_t rej0 = atomic_load(&shm.rt->cmd_rejected), k;
	uint64_t F = jl_engine_frame(eng), f, last = 0;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_SRC;
	c.target = F;
	c.p.vsrc.voice = V;
	c.p.vsrc.kind = JL_SRC_HIST;
	c.p.vsrc.channels = 1;
	c.p.vsrc.gen = 2;
	c.p.vsrc.hist_start = F - 4000; /* overwritten from F + HIST - 4000 on */
	c.p.vsrc.data_len = LEN;
	jl_spsc_push(&cq, &c);
	push_vstart(V, 1, F, F, LEN);
	push_vgain(V, F, 1.0f, 0, 0);
	/* the fade starts within a block + 480 frames of F + 4192 */
	push_vgain(V, F + 3500, 1.0f, 64, 0);
	clear_log();
	while (jl_engine_frame(eng) < F + 5000)
		cycle(256);
	for (f = F; f < F + 5000; f++)
		if (out_log[0][f % SPAN] != 0.0f)
			last = f;
	TH_CHECK(last > F + 3000 && last < F + HIST - 4000 && fabsf(out_log[0][last % SPAN]) < 0.01f,
		 "overrun: the voice fades to zero before its frames are overwritten (last sound at %+lld: %g)",
		 (long long)(last - F), out_log[0][last % SPAN]);
	TH_CHECK(atomic_load(&shm.voice[V].state) == JL_VOICE_OFF &&
		 (atomic_load(&shm.voice[V].flags) & JL_VOICE_F_OVERRUN),
		 "overrun: the voice ends, flagged");
	TH_CHECK(atomic_load(&shm.rt->cmd_rejected) == rej0 + 1, "overrun: the gain command is rejected");
	for (k = 0; k < 4; k++)
		cycle(256);
}

static void push_phones_delay(uint64_t target, uint32_t frames, uint32_t xn)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_PHONES_DELAY;
	c.target = target;
	c.p.u[0] = frames;
	c.p.u[1] = xn;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

/* A second phones delay change within the first one's crossfade: the two
 * taps heard at that moment must not be dropped for the old target's (a
 * jump in the in-ears).  A 500 Hz sine (period 96 frames) on the phones;
 * the delay goes 0 -> 48 (anti-phase) over 480 frames, and 2 ms later to
 * 72, on a peak of the sine.  The level is compared within 1e-6 (a few
 * float roundings along the path): the phones limiter has recovered from
 * test_fuzz's levels to a gain of 1 (its recovery once stalled 7e-5 below
 * 1 in float, and a whole window of it_session read wrong). */
static void test_phones_delay_twice(void)
{
	const uint32_t V = 5, LEN = 4800, XN = 480;
	const uint64_t PO = (3u << 18) + 8192;
	float *pool = (float *)shm.pool;
	uint64_t F, org, T1, T2, f;
	float maxd = 0.0f;
	uint32_t k, wrong = 0;
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.25f * sinf(2.0f * 3.14159265f * (float)(k % 96) / 96.0f);
	F = jl_engine_frame(eng);
	org = F;
	push_vsrc_pool(V, F, PO, LEN);
	push_vstart(V, 3, F, org, LEN);
	push_vgain(V, F, 1.0f, 0, 0);
	{
		/* unit phones levels, the default ceiling, no click and no dry
		 * inputs in the phones: test_fuzz left random ones */
		struct jl_cmd c;
		memset(&c, 0, sizeof(c));
		c.type = JL_CMD_PHONES_GAIN;
		c.target = F;
		c.p.tgain.track = 3;
		c.p.tgain.gl = c.p.tgain.gr = 1.0f;
		jl_spsc_push(&cq, &c);
		c.p.tgain.track = JL_PHONES_MASTER;
		jl_spsc_push(&cq, &c);
		memset(&c, 0, sizeof(c));
		c.type = JL_CMD_LIMIT;
		c.target = F;
		c.p.limit.which = 1;
		c.p.limit.ceiling = 0.5011872f;
		c.p.limit.release = 2400;
		jl_spsc_push(&cq, &c);
		memset(&c, 0, sizeof(c));
		c.type = JL_CMD_CLICK; /* no click */
		c.target = F;
		jl_spsc_push(&cq, &c);
		for (k = 0; k < 2; k++) { /* no dry inputs */
			memset(&c, 0, sizeof(c));
			c.type = JL_CMD_INPUT_MON;
			c.target = F;
			c.p.imon.input = k;
			jl_spsc_push(&cq, &c);
		}
	}
	T1 = F + RATE; /* the phones limiter recovers from test_fuzz's levels */
	T1 += (96 + 24 - (T1 - org) % 96) % 96 - 48; /* T2 = T1 + 96 is a peak of the sine */
	T2 = T1 + 96;
	push_phones_delay(T1, 48, XN);
	push_phones_delay(T2, 72, XN);
	clear_log();
	while (jl_engine_frame(eng) < T2 + 3 * XN)
		cycle(256);
	for (f = T1 - 200; f < T2 + 3 * XN; f++) {
		float d = fabsf(out_log[1][f % SPAN] - out_log[1][(f - 1) % SPAN]);
		maxd = d > maxd ? d : maxd;
	}
	for (f = T2 + 2 * XN; f < T2 + 3 * XN; f++)
		wrong += fabsf(out_log[1][f % SPAN] - pool[PO + (f - 72 - org) % LEN]) >
			 1e-6f * fabsf(pool[PO + (f - 72 - org) % LEN]);
	TH_CHECK(maxd < 0.03f, "phones delay changed twice within a crossfade: largest step %g (the sine's own < 0.017)",
		 maxd);
	TH_CHECK(wrong == 0, "and it ends on the latest delay (%u frames differ)", wrong);
	TH_CHECK(atomic_load(&shm.rt->phones_delay) == 72, "the latest delay is published");
	push_vgain(V, 0, 0.0f, 0, JL_VGAIN_STOP);
	push_phones_delay(0, 0, 0);
	cycle(256);
}

static void push_cmd(struct jl_cmd *c)
{
	c->flags |= JL_CMDF_IMMEDIATE;
	if (!jl_spsc_push(&cq, c))
		fprintf(stderr, "queue full in test\n");
}

static void run_frames(uint64_t frames)
{
	uint64_t end = jl_engine_frame(eng) + frames;
	while (jl_engine_frame(eng) < end)
		cycle(256);
}

/* A NaN or Inf from an upstream JACK client must not reach the history
 * (every loop made from it) or the outputs: it is replaced by 0 and
 * counted as a clip.  And whatever gets into the buses (a NaN or Inf in a
 * pool take) leaves the limiters as 0, without ducking the rest. */
static void test_nonfinite(void)
{
	const uint32_t V = 6, LEN = 4800;
	const uint64_t PO = (3u << 18) + 16384;
	float *pool = (float *)shm.pool;
	uint32_t c0 = atomic_load(&shm.rt->in_clips[0]), c1 = atomic_load(&shm.rt->in_clips[1]);
	uint32_t k, bad_hist = 0, nonfinite = 0, wrong = 0, r0;
	uint64_t F, f;
	struct jl_cmd c;
	/* dry inputs on every output, so the inputs reach them */
	for (k = 0; k < 2; k++) {
		memset(&c, 0, sizeof(c));
		c.type = JL_CMD_INPUT_MON;
		c.p.imon.input = k;
		c.p.imon.main_l = c.p.imon.main_r = c.p.imon.phones = 0.5f;
		push_cmd(&c);
	}
	cycle(256);
	F = jl_engine_frame(eng);
	poison = 1;
	cycle(256);
	poison = 0;
	for (k = 0; k < 256; k++) {
		float w0 = k == 5 || k == 100 ? 0.0f : code_at(F + k), w1 = k == 7 || k == 201 ? 0.0f : -code_at(F + k);
		bad_hist += shm.hist[(F + k) % HIST] != w0 || shm.hist[HIST + (F + k) % HIST] != w1;
	}
	for (k = 0; k < 4 * 256; k++)
		nonfinite += !isfinite(outbuf[k / 256][k % 256]);
	TH_CHECK(bad_hist == 0, "NaN and Inf inputs are silence in the history, the rest as played (%u wrong)", bad_hist);
	TH_CHECK(nonfinite == 0, "and no output carries them (%u samples)", nonfinite);
	TH_CHECK(atomic_load(&shm.rt->in_clips[0]) == c0 + 1 && atomic_load(&shm.rt->in_clips[1]) == c1 + 1,
		 "and each input counts a clip");
	for (k = 0; k < 2; k++) {
		memset(&c, 0, sizeof(c));
		c.type = JL_CMD_INPUT_MON;
		c.p.imon.input = k;
		push_cmd(&c);
	}
	cycle(256);

	/* a take with a NaN and an Inf, on the main outputs */
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.25f;
	pool[PO + 300] = NAN;
	pool[PO + 600] = INFINITY;
	F = jl_engine_frame(eng);
	push_vsrc_pool(V, F, PO, LEN);
	push_vstart(V, 6, F, F, LEN);
	push_vgain(V, F, 1.0f, 0, 0);
	clear_log();
	run_frames(2048);
	nonfinite = 0;
	for (f = F; f < F + 2048; f++) {
		float x = out_log[0][f % SPAN];
		nonfinite += !isfinite(x) || !isfinite(out_log[1][f % SPAN]);
		wrong += f == F + 300 || f == F + 600 ? x != 0.0f : x != 0.25f;
	}
	TH_CHECK(nonfinite == 0, "a NaN or Inf in the bus leaves the limiters as 0 (%u not finite)", nonfinite);
	TH_CHECK(wrong == 0, "as 0 at its frame, the rest at its level: no ducking (%u wrong)", wrong);
	push_vgain(V, 0, 0.0f, 0, JL_VGAIN_STOP);
	cycle(256);

	/* what an external rack returns (--sends) is another client's audio:
	 * on track 0's bus (seen on its track out), NaN and Inf are 0 */
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.25f;
	F = jl_engine_frame(eng);
	push_vsrc_pool(V, F, PO, LEN);
	push_vstart(V, 0, F, F, LEN);
	push_vgain(V, F, 1.0f, 0, 0);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_SEND;
	c.p.u[0] = 0;
	c.p.u[1] = 1;
	push_cmd(&c);
	for (k = 0; k < 256; k++)
		retbuf[0][k] = retbuf[1][k] = 0.25f;
	retbuf[0][10] = NAN;
	retbuf[0][20] = INFINITY;
	retbuf[1][30] = -INFINITY;
	r0 = atomic_load(&shm.rt->ret_nonfinite);
	use_send = 1;
	cycle(256);
	use_send = 0;
	nonfinite = wrong = 0;
	for (k = 0; k < 256; k++) {
		nonfinite += !isfinite(tobuf[0][k]) || !isfinite(tobuf[1][k]);
		wrong += (k == 10 || k == 20) != (tobuf[0][k] == 0.0f) || (k == 30) != (tobuf[1][k] == 0.0f);
	}
	TH_CHECK(nonfinite == 0 && wrong == 0 && sendbuf[0][0] == 0.25f,
		 "a NaN or Inf returned by a send is 0 on the track (%u not finite, %u wrong)", nonfinite, wrong);
	TH_CHECK(atomic_load(&shm.rt->ret_nonfinite) == r0 + 1, "and the cycle is counted once (%u)",
		 atomic_load(&shm.rt->ret_nonfinite) - r0);
	for (k = 0; k < 256; k++)
		retbuf[0][k] = retbuf[1][k] = 0.25f;
	use_send = 1;
	cycle(256);
	use_send = 0;
	TH_CHECK(atomic_load(&shm.rt->ret_nonfinite) == r0 + 1, "a clean return counts nothing");
	c.p.u[1] = 0;
	push_cmd(&c);
	push_vgain(V, 0, 0.0f, 0, JL_VGAIN_STOP);
	cycle(256);
}

/* The limiters count the sub-blocks in which they caught a peak: a take
 * at 1.5 (3.5 dB over the PA's 0 dBFS ceiling, and over the phones'
 * -6 dBFS) on the main outputs and the phones, then one at 0.25, under
 * both, which counts nothing while the gains recover. */
static void test_limiter_counts(void)
{
	const uint32_t V = 6, LEN = 4800;
	const uint64_t PO = (3u << 18) + 16384;
	float *pool = (float *)shm.pool;
	uint32_t k, h0 = atomic_load(&shm.rt->lim_hits[0]), h1 = atomic_load(&shm.rt->lim_hits[1]);
	uint64_t F;
	struct jl_cmd c;
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 1.5f;
	F = jl_engine_frame(eng);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_PHONES_GAIN;
	c.p.tgain.track = 2;
	c.p.tgain.gl = c.p.tgain.gr = 1.0f;
	push_cmd(&c);
	c.p.tgain.track = JL_PHONES_MASTER;
	push_cmd(&c);
	push_vsrc_pool(V, F, PO, LEN);
	push_vstart(V, 2, F, F, LEN);
	push_vgain(V, F, 1.0f, 0, 0);
	run_frames(1024);
	TH_CHECK(atomic_load(&shm.rt->lim_hits[0]) > h0, "a take over 0 dBFS: the PA limiter counts (%u)",
		 atomic_load(&shm.rt->lim_hits[0]) - h0);
	TH_CHECK(atomic_load(&shm.rt->lim_hits[1]) > h1, "and the phones limiter (%u)",
		 atomic_load(&shm.rt->lim_hits[1]) - h1);
	for (k = 0; k < LEN; k++)
		pool[PO + k] = 0.25f;
	run_frames(512);
	h0 = atomic_load(&shm.rt->lim_hits[0]);
	h1 = atomic_load(&shm.rt->lim_hits[1]);
	run_frames(2048);
	TH_CHECK(atomic_load(&shm.rt->lim_hits[0]) == h0 && atomic_load(&shm.rt->lim_hits[1]) == h1,
		 "a take under both ceilings counts nothing (%u, %u)", atomic_load(&shm.rt->lim_hits[0]) - h0,
		 atomic_load(&shm.rt->lim_hits[1]) - h1);
	/* Recovered (the distance below 1 falls under 2^-24 within 17
	 * release time constants, 0.85 s), both limiters pass the take
	 * bit for bit.  The gain kept between periods as a float below 1
	 * once stalled 4 steps under 1 (0.99999976): its last step within a
	 * period rounded back up to where it started. */
	run_frames(RATE);
	{
		uint64_t f, end = jl_engine_frame(eng);
		uint32_t wrong = 0;
		for (f = end - 1024; f < end; f++)
			wrong += out_log[0][f % SPAN] != 0.25f || out_log[1][f % SPAN] != 0.25f;
		TH_CHECK(wrong == 0, "a second later both limiters are back at exactly 1: the take plays exact (%u of "
			 "1024 frames differ; PA %.9g, phones %.9g)", wrong, (double)out_log[0][(end - 1) % SPAN],
			 (double)out_log[1][(end - 1) % SPAN]);
	}
	push_vgain(V, 0, 0.0f, 0, JL_VGAIN_STOP);
	cycle(256);
}

/* A track's effects ring out after its last voice stops: a looped click
 * through the default delay (375 ms, feedback 0.35) on track 5, then the
 * voice stops.  The echoes must still come (the chain runs on silence),
 * and end in exact zeros. */
static void test_fx_tail(void)
{
	const uint32_t V = 7, T = 5, LEN = 9600, S = 64;
	float *pool = (float *)shm.pool;
	uint64_t stop, at;
	struct jl_cmd c;
	memset(pool, 0, 2 * LEN * sizeof(float));
	pool[S + 100] = pool[LEN + S + 100] = 0.5f;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_FX_SLOT;
	c.p.fxslot.chain = (uint16_t)T;
	c.p.fxslot.type = JL_FX_DELAY;
	c.p.fxslot.off = 1u << 20;
	c.p.fxslot.bytes = jl_fx_state_bytes(JL_FX_DELAY, RATE);
	push_cmd(&c);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_SRC;
	c.p.vsrc.voice = V;
	c.p.vsrc.kind = JL_SRC_POOL;
	c.p.vsrc.channels = 2;
	c.p.vsrc.in1 = 1;
	c.p.vsrc.gen = 1;
	c.p.vsrc.pool_off1 = LEN;
	c.p.vsrc.data_len = LEN;
	push_cmd(&c);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_START;
	c.p.vstart.voice = V;
	c.p.vstart.track = T;
	c.p.vstart.seam_mode = JL_SEAM_XFADE;
	c.p.vstart.seam = S;
	c.p.vstart.head = S;
	c.p.vstart.body = c.p.vstart.period = LEN - S;
	c.p.vstart.origin = jl_engine_frame(eng) + 512;
	push_cmd(&c);
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_GAIN;
	c.p.vgain.voice = V;
	c.p.vgain.gain = 1.0f;
	push_cmd(&c);
	run_frames(RATE);
	clear_log();
	run_frames(4 * 256);
	TH_CHECK(nonzero(jl_engine_frame(eng) - 1024, jl_engine_frame(eng), NULL) > 0, "the looped click plays");
	c.p.vgain.gain = 0.0f;
	c.p.vgain.ramp = 64;
	c.p.vgain.flags = JL_VGAIN_STOP;
	push_cmd(&c);
	cycle(256);
	stop = at = jl_engine_frame(eng);
	clear_log();
	run_frames(SPAN - 4096);
	TH_CHECK(nonzero(stop + 256, stop + SPAN - 4096, &at) > 0,
		 "the echoes ring out after the voice stops (first at +%llu frames)", (unsigned long long)(at - stop));
	/* 0.35 per 375 ms reaches float zero in seconds, then 5 s of hold */
	run_frames(20 * RATE);
	clear_log();
	run_frames(RATE);
	TH_CHECK(nonzero(jl_engine_frame(eng) - RATE, jl_engine_frame(eng), NULL) == 0, "and the tail ends in exact zeros");
}

/* MIDI clock out (clock_rt.c): the grid of JL_CMD_CLICK in 24 ticks per
 * beat at origin + floor(j * span / (24 * beats)), Start with the tick of
 * the next downbeat, Stop when the grid changes or the clock is turned
 * off.  The same script in four period patterns must give the same bytes
 * at the same frames (relative to the script's start). */
static void push_click(uint64_t target, uint64_t origin, uint64_t span, uint32_t beats, uint32_t per_bar)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_CLICK;
	c.target = target;
	c.p.click.origin = origin;
	c.p.click.span = span;
	c.p.click.beats = beats;
	c.p.click.per_bar = per_bar;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

static void push_mclk_off(uint64_t target, uint32_t on, int64_t offset)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_MIDI_CLOCK;
	c.target = target;
	c.p.u[0] = on;
	c.p.i[1] = offset;
	if (!jl_spsc_push(&cq, &c))
		fprintf(stderr, "queue full in test\n");
}

static void push_mclk(uint64_t target, uint32_t on) { push_mclk_off(target, on, 0); }

/* A steady grid with the clock sent `offset` frames late (early if < 0):
 * its bytes, frames relative to the start, up to `upto` grid frames. */
static uint32_t mclk_steady(int64_t offset, uint64_t upto, uint64_t *rel, uint8_t *by, uint32_t max)
{
	static const uint32_t sizes[] = { 256, 1000, 64, 333 };
	uint64_t S = jl_engine_frame(eng) + 1024;
	uint32_t i = 0, k, n = 0;
	push_click(S, 0, 0, 0, 0);
	push_mclk_off(S + 1, 1, offset);
	push_click(S + 2, S + 5000, 96001, 4, 4);
	mlog_n = 0;
	while (jl_engine_frame(eng) < S + upto + 10000)
		cycle(sizes[i++ % 4]);
	for (k = 0; k < mlog_n && n < max; k++)
		if (mlog_frame[k] > S + 2 && (int64_t)(mlog_frame[k] - S) - offset < (int64_t)upto) {
			rel[n] = mlog_frame[k] - S;
			by[n++] = mlog_byte[k];
		}
	return n;
}

/* Frames relative to the script's base S. */
#define MC_O1 5000u	/* grid 1: origin (a downbeat, ahead of its command) */
#define MC_SPAN1 96001u	/* 4 beats of 24001/48000 s: ticks 1000.01 frames apart */
#define MC_G2 130000u	/* grid 2 (3/4 at another tempo) applies here */
#define MC_O2 100003u	/* its origin, in the past when it applies */
#define MC_SPAN2 77777u	/* 3 beats */
#define MC_SAME 185000u	/* grid 2 sent again after its Start: nothing changes */
#define MC_OFF 200000u
#define MC_ON 230000u
#define MC_CLEAR 300000u
#define MC_END 330000u

static void mclk_script(uint64_t S, const uint32_t *sizes, uint32_t nsizes)
{
	uint32_t i = 0;
	push_click(S + 10, S + MC_O1, MC_SPAN1, 4, 4);
	push_click(S + MC_G2, S + MC_O2, MC_SPAN2, 3, 3);
	push_click(S + MC_SAME, S + MC_O2, MC_SPAN2, 3, 3);
	push_mclk(S + MC_OFF, 0);
	push_mclk(S + MC_ON, 1);
	push_click(S + MC_CLEAR, 0, 0, 0, 0);
	mlog_n = 0;
	while (jl_engine_frame(eng) < S + MC_END)
		cycle(sizes[i++ % nsizes]);
}

static uint32_t mclk_put(uint64_t *fr, uint8_t *by, uint32_t n, uint32_t max, uint64_t f, uint8_t b)
{
	if (n < max) {
		fr[n] = f;
		by[n++] = b;
	}
	return n;
}

/* The clocks of a grid (origin O, `ticks` clocks per span, `bar` clocks
 * per bar) from frame `from` until frame `until`: from the first clock at
 * or after `from`, with Start on the first downbeat among them. */
static uint32_t mclk_run(uint64_t O, uint64_t span, uint64_t ticks, uint64_t bar, uint64_t from, uint64_t until,
			 uint64_t *fr, uint8_t *by, uint32_t n, uint32_t max)
{
	uint64_t j = ((from - O) * ticks + span - 1) / span, start = (j + bar - 1) / bar * bar, t;
	for (; (t = O + j * span / ticks) < until; j++) {
		if (j == start)
			n = mclk_put(fr, by, n, max, t, 0xFA);
		n = mclk_put(fr, by, n, max, t, 0xF8);
	}
	return n;
}

/* The expected bytes, from the definition: grid 1 from its origin (Start
 * there) until grid 2 applies; grid 2 (3 beats = 72 clocks a bar) from
 * then until the clock is turned off, and again from when it is turned
 * on until the grid is cleared; a Stop at each of the three changes. */
static uint32_t mclk_expect(uint64_t S, uint64_t *fr, uint8_t *by, uint32_t max)
{
	uint32_t n = mclk_run(S + MC_O1, MC_SPAN1, 96, 96, S + MC_O1, S + MC_G2, fr, by, 0, max);
	n = mclk_put(fr, by, n, max, S + MC_G2, 0xFC);
	n = mclk_run(S + MC_O2, MC_SPAN2, 72, 72, S + MC_G2, S + MC_OFF, fr, by, n, max);
	n = mclk_put(fr, by, n, max, S + MC_OFF, 0xFC);
	n = mclk_run(S + MC_O2, MC_SPAN2, 72, 72, S + MC_ON, S + MC_CLEAR, fr, by, n, max);
	return mclk_put(fr, by, n, max, S + MC_CLEAR, 0xFC);
}

static void test_midi_clock(void)
{
	static const uint32_t p1[] = { 256 }, p2[] = { 64 }, p3[] = { 1000, 7, 4096, 333 }, p4[] = { 8192, 1, 129 };
	static const uint32_t *pats[] = { p1, p2, p3, p4 };
	static const uint32_t npat[] = { 1, 1, 4, 3 };
	static uint64_t ef[MLOG_MAX];
	static uint8_t eb[MLOG_MAX];
	uint32_t r, k;
	for (r = 0; r < 4; r++) {
		uint64_t S = jl_engine_frame(eng) + 256 * 4;
		uint32_t ne = mclk_expect(S, ef, eb, MLOG_MAX), bad = 0, first_bad = 0;
		mclk_script(S, pats[r], npat[r]);
		for (k = 0; k < ne && k < mlog_n; k++)
			if (mlog_frame[k] != ef[k] || mlog_byte[k] != eb[k]) {
				if (!bad)
					first_bad = k;
				bad++;
			}
		TH_CHECK(mlog_n == ne && bad == 0,
			 "MIDI clock, periods pattern %u: %u bytes (expected %u), %u differ (first at #%u: %02X at +%lld, expected %02X at +%lld)",
			 r, mlog_n, ne, bad, first_bad, first_bad < mlog_n ? mlog_byte[first_bad] : 0,
			 first_bad < mlog_n ? (long long)(mlog_frame[first_bad] - S) : -1LL, eb[first_bad],
			 (long long)(ef[first_bad] - S));
	}
	/* a sanity check of the expectation itself: ticks 24 per beat */
	{
		uint64_t S = 0;
		uint32_t ne = mclk_expect(S, ef, eb, MLOG_MAX), ticks = 0;
		for (k = 0; k < ne && ef[k] < MC_G2; k++)
			ticks += eb[k] == 0xF8;
		TH_CHECK(ticks == (uint32_t)((MC_G2 - MC_O1) * 96 / MC_SPAN1) + 1, "grid 1 has 24 ticks per beat (%u)", ticks);
	}
	/* a grid corrected by a little (a followed clock's drift: a bar line
	 * 30 frames late, span +0.05 %) or moved by whole bars runs on; 10 ms
	 * is a new grid */
	{
		uint64_t S = jl_engine_frame(eng) + 1024, t;
		uint32_t i, stops = 0, starts = 0, ticks_after = 0;
		push_click(S, S + 100, 96000, 4, 4);
		push_click(S + 200000, S + 192130, 96048, 4, 4);
		push_click(S + 300000, S + 192130 + 96048, 96048, 4, 4);
		mlog_n = 0;
		while (jl_engine_frame(eng) < S + 400000)
			cycle(256);
		for (i = 0; i < mlog_n; i++) {
			stops += mlog_byte[i] == 0xFC;
			starts += mlog_byte[i] == 0xFA;
			ticks_after += mlog_byte[i] == 0xF8 && mlog_frame[i] >= S + 200000;
		}
		TH_CHECK(stops == 0 && starts == 1, "small corrections run on: %u Stop, %u Start", stops, starts);
		for (i = 0, t = 0; i < mlog_n; i++)
			if (mlog_frame[i] >= S + 200000 && mlog_byte[i] == 0xF8) {
				uint64_t j = ((mlog_frame[i] - (S + 192130)) * 96 + 96047) / 96048;
				t += mlog_frame[i] != S + 192130 + j * 96048 / 96;
			}
		TH_CHECK(ticks_after >= 199 && t == 0, "... on the corrected grid (%u ticks, %llu off it)", ticks_after,
			 (unsigned long long)t);
		push_click(jl_engine_frame(eng) + 256, S + 192130 + 480, 96048, 4, 4);
		mlog_n = 0;
		run_frames(256 * 8);
		for (i = 0, stops = 0; i < mlog_n; i++)
			stops += mlog_byte[i] == 0xFC;
		TH_CHECK(stops == 1, "a grid 10 ms off is a new one: Stop");
	}
	/* a grid that goes on from the old one right where a tick of the
	 * old was just sent (the new one 60 frames later: that tick would go
	 * out twice), then right before one (60 frames back: it would be
	 * lost), then the first loop on the preset grid's bar line (8 beats
	 * over 2 bars): one tick per 1000 frames throughout, no Stop */
	{
		uint64_t S = jl_engine_frame(eng) + 1024, prev = 0, lo = ~0ull, hi = 0;
		uint32_t i, stops = 0, ticks = 0;
		push_click(S, 0, 0, 0, 0);
		push_click(S + 1, S + 100, 96000, 4, 4);
		push_click(S + 199110, S + 160, 96000, 4, 4);
		push_click(S + 299130, S + 100, 96000, 4, 4);
		push_click(S + 350000, S + 100 + 3 * 96000, 2 * 96000, 8, 4);
		mlog_n = 0;
		while (jl_engine_frame(eng) < S + 500000)
			cycle(256);
		for (i = 0; i < mlog_n; i++) {
			stops += mlog_byte[i] == 0xFC && mlog_frame[i] > S + 1;
			if (mlog_byte[i] != 0xF8 || mlog_frame[i] <= S + 1 || mlog_frame[i] >= S + 500000)
				continue;
			if (prev) {
				lo = mlog_frame[i] - prev < lo ? mlog_frame[i] - prev : lo;
				hi = mlog_frame[i] - prev > hi ? mlog_frame[i] - prev : hi;
			}
			prev = mlog_frame[i];
			ticks++;
		}
		TH_CHECK(stops == 0 && lo >= 940 && hi <= 1060 && ticks == 500,
			 "grids that go on: %u Stop, %u ticks (500), intervals %llu..%llu (1000 +- 60)", stops, ticks,
			 (unsigned long long)lo, (unsigned long long)hi);
		push_click(jl_engine_frame(eng), 0, 0, 0, 0);
		cycle(256);
	}
	/* clock_in: real-time bytes become events with their engine frames */
	{
		struct jl_midi_in in;
		struct jl_engine_io io;
		struct jl_evt ev;
		uint64_t base = jl_engine_frame(eng);
		uint32_t got = 0, ok = 0;
		while (jl_spsc_pop(&eq, &ev))
			;
		memset(&in, 0, sizeof(in));
		in.n = 3;
		in.off[0] = 0, in.byte[0] = 0xFA;
		in.off[1] = 0, in.byte[1] = 0xF8;
		in.off[2] = 255, in.byte[2] = 0xF8;
		memset(&io, 0, sizeof(io));
		io.nframes = 256;
		io.jack_frames = jack_frames;
		io.midi_in = &in;
		JL_RT_ENTER();
		jl_engine_process_rt(eng, &io);
		JL_RT_EXIT();
		jack_frames += 256;
		while (jl_spsc_pop(&eq, &ev)) {
			if (ev.type != JL_EVT_MIDI_RT)
				continue;
			ok += (got == 0 && ev.u[0] == 0xFA && ev.u[1] == base) || (got == 1 && ev.u[0] == 0xF8 && ev.u[1] == base) ||
			      (got == 2 && ev.u[0] == 0xF8 && ev.u[1] == base + 255);
			got++;
		}
		TH_CHECK(got == 3 && ok == 3, "clock_in: %u events, %u at their frames", got, ok);
	}
	/* an offset moves every tick and the Start by exactly that much */
	{
		static uint64_t r0[1024], r1[1024];
		static uint8_t b0[1024], b1[1024];
		int64_t offs[2] = { -480, 4800 };
		uint32_t n0 = mclk_steady(0, 150000, r0, b0, 1024), n1, i, ro, bad;
		TH_CHECK(n0 > 140 && b0[0] == 0xFA && r0[0] == 5000, "steady grid: %u bytes, Start at +%llu", n0,
			 (unsigned long long)r0[0]);
		for (ro = 0; ro < 2; ro++) {
			n1 = mclk_steady(offs[ro], 150000, r1, b1, 1024);
			for (i = 0, bad = 0; i < n0 && i < n1; i++)
				bad += b1[i] != b0[i] || (int64_t)r1[i] != (int64_t)r0[i] + offs[ro];
			TH_CHECK(n1 == n0 && bad == 0, "offset %+lld frames: %u bytes (%u), %u not moved by it",
				 (long long)offs[ro], n1, n0, bad);
		}
		push_mclk(jl_engine_frame(eng), 1);
		cycle(256);
	}
	/* a bad MIDI_CLOCK command is rejected */
	{
		uint32_t rej = atomic_load(&shm.rt->cmd_rejected);
		push_mclk(0, 7);
		cycle(256);
		TH_CHECK(atomic_load(&shm.rt->cmd_rejected) == rej + 1, "MIDI_CLOCK with u[0] = 7 is rejected");
		push_mclk_off(0, 1, RATE / 10 + 1);
		push_mclk_off(0, 1, -(int64_t)(RATE / 10) - 1);
		cycle(256);
		TH_CHECK(atomic_load(&shm.rt->cmd_rejected) == rej + 3, "an offset beyond 100 ms either way is rejected");
	}
}

int main(void)
{
	setup();
	jack_frames = 0xFFFFF000u - 48000; /* cross JACK's 32-bit wrap during the tests */
	cycle(256);
	test_exact_frame();
	test_gain_step_and_ramp();
	test_late_and_cancel();
	test_cancel_keeps_order();
	test_pending_full();
	test_fuzz();
	test_history_continuity();
	test_gap();
	test_rate_mismatch();
	test_reattach();
	test_first_cycle_faults();
	test_overrun_gain();
	test_phones_delay_twice();
	test_nonfinite();
	test_limiter_counts();
	test_fx_tail();
	test_midi_clock();
	TH_CHECK(jl_engine_frame(eng) > 0xFFFFFFFFull, "64-bit timeline crossed JACK's 32-bit wrap");
	jl_engine_destroy(eng);
	jl_shm_close(&shm);
	shm_unlink(shm_name);
	return TH_REPORT();
}
