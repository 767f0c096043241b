/* bench_engine.c - the RT engine benchmark (make bench; docs/bench.md).
 *
 * Drives the real engine (jl_engine_create on a segment made by
 * jl_shm_open_engine) through the real command ring, like the daemon does:
 * VOICE_SRC with pool sources, VOICE_START, VOICE_GAIN, TRACK_GAIN.  Every
 * cycle is timed with CLOCK_MONOTONIC around jl_engine_process_rt().  The
 * benchmark is not RT code; only the engine call is measured.
 *
 * Realism (what makes a mixer benchmark lie if left out):
 *  - every voice reads its own pool region (1-3 s stereo, allocated like
 *    the daemon does: channel c at off + c * data_len), and together they
 *    are far larger than the last-level cache, so audio comes from DRAM;
 *  - phases are random (random origins), so no two voices read the same
 *    lines at the same time;
 *  - about 10% of the playing voices are ramping at any time: VOICE_GAIN
 *    ramps of the daemon's default length (10 ms) are re-issued every cycle;
 *  - the whole bus structure runs: voices spread over 16 tracks with their
 *    own L/R gains, the master bus, PA gain, the four outputs, meters, and
 *    the input history is written from two live inputs.
 *
 * Reported, at 64, 128 and 256-frame periods (48 kHz):
 *  - the RT cost per playing voice (least-squares slope of the median
 *    callback time over the voice count), in ns per frame per voice;
 *  - the median and p99 callback time at 1024 voices;
 *  - the largest voice count whose p99 stays under 50% of the period
 *    (doubling, then bisection);
 *  - the cost of a silent (in the virtual silence of a partial layer),
 *    muted (gain 0) and stopped voice relative to a playing one.
 * Then the daemon's share: a real `loopctl serve` attached to the same
 * segment, whose model holds N loops, while the engine runs in real time;
 * its CPU time comes from /proc/<pid>/schedstat (ns resolution).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../jackloop/engine.h"
#include "../loopctl/fxdesign.h"
#include "../loopctl/model.h"

#define RATE 48000u
#define SEAM 480u		/* 10 ms: the daemon's default seam */
#define RAMP 480u		/* 10 ms: the daemon's default ramp */
#define NTRACKS 16u
#define MAXV JL_MAX_VOICES_CAP
#define RAMPING 0.10		/* fraction of playing voices ramping at any time */
#define MAXN 256u
#define KIND 3584u		/* silent / muted / stopped voices added to 256 playing */

extern char **environ;

enum vstate { V_OFF = 0, V_PLAY, V_MUTED, V_SILENT };

struct bvoice {
	uint64_t off;		/* pool offset of channel 0, floats */
	uint64_t len;		/* stored frames per channel */
	uint32_t track;
	enum vstate st;
};

struct stats {
	double med, p99, mean, max;
};

static struct jl_shm shm;
static struct jl_engine *eng;
static struct jl_spsc_h cq;
static char shm_name[256], inst_name[64];
static const char *server_name = "jl-bench";
static struct bvoice bv[MAXV];
static uint32_t play_ids[MAXV], n_play, ramp_next;
static double ramp_acc;
static uint32_t jack_frames = 1u << 28, last_n;
static float inbuf[2][MAXN], outbuf[JL_N_OUTPUTS][MAXN];
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static double *samples;
static uint32_t n_cycles = 1500, n_warm = 100;
static volatile sig_atomic_t stop_flag;
static pid_t daemon_pid;
static uint64_t distinct_bytes;
static uint64_t n_discarded, n_measured;

static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, so runs are comparable */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1Dull;
}
static double urand(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double period_ns(uint32_t n) { return (double)n * 1e9 / RATE; }

/* --- the engine, one JACK-like cycle at a time --------------------------- */

/* One cycle of n frames; returns the engine call's wall time in ns. */
static double cycle(uint32_t n)
{
	struct jl_engine_io io;
	double t0, t1;
	uint32_t k;
	memset(&io, 0, sizeof(io));
	if (last_n && n != last_n)
		jack_frames += n - last_n; /* what JACK2 does at a size change */
	io.in[0] = inbuf[0];
	io.in[1] = inbuf[1];
	for (k = 0; k < JL_N_OUTPUTS; k++)
		io.out[k] = outbuf[k];
	io.nframes = n;
	io.jack_frames = jack_frames;
	io.usecs = (uint64_t)jack_frames * 1000000u / RATE;
	io.next_usecs = io.usecs + (uint64_t)n * 1000000u / RATE;
	io.period_usecs = (float)n * 1e6f / RATE;
	t0 = now_ns();
	jl_engine_process_rt(eng, &io);
	t1 = now_ns();
	jack_frames += n;
	last_n = n;
	return t1 - t0;
}

static void push(const struct jl_cmd *c, uint32_t n)
{
	while (!jl_spsc_push(&cq, c))
		cycle(n); /* ring full: let the engine drain it */
}

static void cmd_src(uint32_t i, uint32_t n)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_SRC;
	c.flags = JL_CMDF_IMMEDIATE;
	c.p.vsrc.voice = i;
	c.p.vsrc.kind = JL_SRC_POOL;
	c.p.vsrc.channels = 2;
	c.p.vsrc.in0 = 0;
	c.p.vsrc.in1 = 1;
	c.p.vsrc.gen = 1;
	c.p.vsrc.pool_off0 = bv[i].off;
	c.p.vsrc.pool_off1 = bv[i].off + bv[i].len;
	c.p.vsrc.data_len = bv[i].len;
	push(&c, n);
}

/* A whole-cycle loop (crossfaded seam) at a random phase, or, if `silent`,
 * a partial layer (edge seams) of a track 16 times longer, placed so that
 * it sits in its virtual silence for the next ~15 s of frames. */
static void cmd_start(uint32_t i, int silent, uint32_t n)
{
	struct jl_cmd c;
	uint64_t len = bv[i].len;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_START;
	c.flags = JL_CMDF_IMMEDIATE;
	c.p.vstart.voice = i;
	c.p.vstart.track = bv[i].track;
	c.p.vstart.seam = SEAM;
	c.p.vstart.head = SEAM;
	if (!silent) {
		c.p.vstart.seam_mode = JL_SEAM_XFADE;
		c.p.vstart.body = len - SEAM;
		c.p.vstart.period = len - SEAM;
		c.p.vstart.origin = jl_engine_frame(eng) + rnd() % (len - SEAM);
	} else {
		uint64_t body = len - 2 * SEAM;
		c.p.vstart.seam_mode = JL_SEAM_EDGE;
		c.p.vstart.body = body;
		c.p.vstart.period = 16 * body;
		/* phase body + seam + 1 at the earliest frame it can apply */
		c.p.vstart.origin = jl_engine_frame(eng) - (body + SEAM + 1);
	}
	push(&c, n);
}

static void cmd_gain(uint32_t i, float g, uint32_t ramp, uint32_t flags, uint32_t n)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_GAIN;
	c.flags = JL_CMDF_IMMEDIATE;
	c.p.vgain.voice = i;
	c.p.vgain.gain = g;
	c.p.vgain.ramp = ramp;
	c.p.vgain.flags = flags;
	push(&c, n);
}

static void cmd_track(uint32_t t, float gl, float gr, uint32_t n)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_TRACK_GAIN;
	c.flags = JL_CMDF_IMMEDIATE;
	c.p.tgain.track = t;
	c.p.tgain.gl = gl;
	c.p.tgain.gr = gr;
	c.p.tgain.ramp = RAMP;
	push(&c, n);
}

/* Runs untimed cycles until the ring is empty and the last ramps are over. */
static void settle(uint32_t n)
{
	uint32_t k = 0;
	while (atomic_load(&cq.q->tail) != atomic_load(&cq.q->head) && k++ < 100000)
		cycle(n);
	for (k = 0; k < (2 * RAMP) / n + 2; k++)
		cycle(n);
}

/* Voices [0, play) play, the next `muted` are muted (gain 0), the next
 * `silent` are in virtual silence, the next `stopped` were playing and
 * were stopped; all others are off. */
static void configure(uint32_t n, uint32_t play, uint32_t muted, uint32_t silent, uint32_t stopped)
{
	uint32_t i;
	n_play = 0;
	for (i = 0; i < MAXV; i++) {
		enum vstate want = i < play ? V_PLAY
				 : i < play + muted ? V_MUTED
				 : i < play + muted + silent ? V_SILENT
				 : V_OFF;
		int stop_it = i >= play + muted + silent && i < play + muted + silent + stopped;
		if (want == V_PLAY)
			play_ids[n_play++] = i;
		if (stop_it && bv[i].st == V_OFF) {
			/* make it play first, so that it is really "stopped" */
			cmd_src(i, n);
			cmd_start(i, 0, n);
			cmd_gain(i, 0.8f, 0, 0, n);
			bv[i].st = V_PLAY;
		}
		if (want == bv[i].st && want != V_SILENT && !stop_it)
			continue;
		switch (want) {
		case V_OFF:
			if (bv[i].st != V_OFF)
				cmd_gain(i, 0.0f, stop_it ? RAMP : 0, JL_VGAIN_STOP, n);
			break;
		case V_PLAY:
		case V_MUTED:
		case V_SILENT:
			cmd_src(i, n);
			cmd_start(i, want == V_SILENT, n);
			cmd_gain(i, want == V_MUTED ? 0.0f : (float)(0.5 + 0.5 * urand()), 0, 0, n);
			break;
		}
		bv[i].st = want;
	}
	ramp_next = 0;
	ramp_acc = 0.0;
	settle(n);
}

/* Re-issues gain ramps so that RAMPING of the playing voices are ramping
 * at any time: k ramps of RAMP frames per n-frame cycle keep k * RAMP / n
 * voices ramping. */
static void issue_ramps(uint32_t n)
{
	ramp_acc += RAMPING * n_play * (double)n / RAMP;
	while (ramp_acc >= 1.0 && n_play) {
		uint32_t i = play_ids[ramp_next++ % n_play];
		cmd_gain(i, (float)(0.3 + 0.7 * urand()), RAMP, 0, n);
		ramp_acc -= 1.0;
	}
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Context switches of this thread so far (voluntary + involuntary). */
static long switches(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nvcsw + ru.ru_nivcsw;
}

/* Times `n_cycles` cycles of n frames on the current configuration.  A
 * cycle during which another task took the CPU is measuring the machine,
 * not the engine (jackloop's callback runs SCHED_FIFO and is not preempted
 * by ordinary work); it is discarded and counted, and another is run (up
 * to twice as many in all).  Hypervisor steal cannot be seen and stays. */
static void collect(uint32_t n, uint32_t count, double *buf)
{
	uint32_t k, got = 0, tries;
	for (k = 0; k < n_warm && !stop_flag; k++) {
		issue_ramps(n);
		cycle(n);
	}
	for (tries = 0; got < count && tries < 3 * count; tries++) {
		long s0;
		double t;
		issue_ramps(n);
		s0 = switches();
		t = stop_flag ? 0.0 : cycle(n);
		if (switches() != s0 && tries - got < 2 * count) {
			n_discarded++;
			continue;
		}
		buf[got++] = t;
	}
	n_measured += got;
}

/* Median, p99, mean and max of count samples (sorts them). */
static void stats_of(double *buf, uint32_t count, struct stats *st)
{
	uint32_t k;
	double sum = 0.0;
	for (k = 0; k < count; k++)
		sum += buf[k];
	qsort(buf, count, sizeof(double), cmp_d);
	st->med = buf[count / 2];
	st->p99 = buf[(uint32_t)(0.99 * (count - 1))];
	st->max = buf[count - 1];
	st->mean = sum / count;
}

static double med_of(uint32_t n, uint32_t play, uint32_t muted, uint32_t silent, uint32_t stopped,
		     struct stats *out)
{
	struct stats st;
	configure(n, play, muted, silent, stopped);
	collect(n, n_cycles, samples);
	stats_of(samples, n_cycles, &st);
	if (out)
		*out = st;
	return st.med;
}

/* Configurations compared with each other are measured interleaved, in
 * ROUNDS rounds of n_cycles / ROUNDS cycles each, and each one's samples
 * pooled: load from other work drifts, and this way it drifts alike for
 * every configuration of the comparison. */
#define ROUNDS 5
struct conf {
	uint32_t play, muted, silent, stopped;
};
static void interleaved(uint32_t n, const struct conf *c, uint32_t nc, struct stats *out)
{
	uint32_t per = n_cycles / ROUNDS, r, i;
	for (r = 0; r < ROUNDS && !stop_flag; r++)
		for (i = 0; i < nc; i++) {
			configure(n, c[i].play, c[i].muted, c[i].silent, c[i].stopped);
			collect(n, per, samples + ((size_t)i * ROUNDS + r) * per);
		}
	for (i = 0; i < nc; i++)
		stats_of(samples + (size_t)i * ROUNDS * per, ROUNDS * per, &out[i]);
}

/* --- set-up --------------------------------------------------------------- */

static uint64_t llc_bytes(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/cpu0/cache/index3/size", "r");
	unsigned long v = 0;
	char unit = 0;
	if (f) {
		if (fscanf(f, "%lu%c", &v, &unit) < 1)
			v = 0;
		fclose(f);
	}
	if (unit == 'K')
		return (uint64_t)v << 10;
	if (unit == 'M')
		return (uint64_t)v << 20;
	return v;
}

static int setup(uint64_t pool_mb)
{
	struct jl_shm_geom g;
	char err[256];
	uint64_t pool_floats, off = 0, i;
	float *pool;
	uint32_t x = 12345u, k, t;
	memset(&g, 0, sizeof(g));
	g.sample_rate = RATE;
	g.n_inputs = 2;
	g.max_voices = MAXV;
	g.cmd_capacity = 4096;
	g.evt_capacity = 4096;
	g.hist_frames = 4 * RATE;
	g.pool_bytes = pool_mb << 20;
	g.model_bytes = 4u << 20; /* what jackloop creates */
	snprintf(inst_name, sizeof(inst_name), "bench%d", (int)getpid());
	if (jl_shm_name(shm_name, sizeof(shm_name), (unsigned)getuid(), server_name, inst_name) < 0)
		return -1;
	shm_unlink(shm_name);
	if (jl_shm_open_engine(&shm, shm_name, &g, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench: segment: %s\n", err);
		return -1;
	}
	eng = jl_engine_create(&shm);
	if (!eng)
		return -1;
	jl_spsc_attach(&cq, (unsigned char *)shm.hdr + shm.hdr->cmdq_off, g.cmd_capacity, sizeof(struct jl_cmd));

	/* Audio: low-level noise (never denormal, never silent). */
	pool = (float *)(void *)shm.pool;
	pool_floats = shm.hdr->region[JL_REG_POOL].len / sizeof(float);
	for (i = 0; i < pool_floats; i++) {
		x = x * 1664525u + 1013904223u;
		pool[i] = (float)(int32_t)x * (0.25f / 2147483648.0f);
	}
	for (k = 0; k < MAXN; k++) {
		x = x * 1664525u + 1013904223u;
		inbuf[0][k] = (float)(int32_t)x * (0.1f / 2147483648.0f);
		inbuf[1][k] = -inbuf[0][k];
	}
	/* Regions, one per voice, 1-3 s stereo; reused from the start only
	 * once the pool is full (then at other random phases). */
	for (k = 0; k < MAXV; k++) {
		uint64_t len = (uint64_t)(RATE * (1.0 + 2.0 * urand()));
		if (off + 2 * len > pool_floats) {
			off = 0;
		}
		bv[k].off = off;
		bv[k].len = len;
		bv[k].track = k % NTRACKS;
		off += 2 * len;
		if (distinct_bytes < pool_floats * sizeof(float))
			distinct_bytes = off * sizeof(float) > distinct_bytes ? off * sizeof(float) : distinct_bytes;
	}
	last_n = 0;
	cycle(128);
	/* Track buses: distinct L/R gains, so the bus stage is real work. */
	for (t = 0; t < NTRACKS; t++)
		cmd_track(t, (float)(0.6 + 0.4 * urand()), (float)(0.6 + 0.4 * urand()), 128);
	settle(128);
	return 0;
}

/* --chain: a typical chain on every track (EQ + compressor + delay), as
 * the daemon would install it: state blocks at the end of the pool, reset
 * by FX_SLOT, parameters through a mailbox (FX_SET). */
static int with_chain;
static void install_chains(uint32_t n)
{
	static const char *const types[3] = { "eq", "comp", "delay" };
	static char *eqa[] = { (char *)"gain1=-3", (char *)"gain2=2", (char *)"gain3=-2", (char *)"gain4=3" };
	static char *coa[] = { (char *)"threshold=-24", (char *)"ratio=3" };
	static char *dea[] = { (char *)"time=375", (char *)"feedback=0.4", (char *)"mix=0.25" };
	uint64_t pool_bytes = shm.hdr->region[JL_REG_POOL].len, top = pool_bytes;
	uint32_t t, k;
	for (t = 0; t < NTRACKS; t++) {
		for (k = 0; k < 3; k++) {
			struct jl_fx_mailbox mb;
			struct jl_cmd c;
			float params[JL_FX_MAX_PARAMS];
			char err[256];
			int type, nc;
			uint64_t bytes;
			jl_fx_parse(types[k], k == 0 ? 4 : k == 1 ? 2 : 3, k == 0 ? eqa : k == 1 ? coa : dea, &type, params, err,
				    sizeof(err));
			bytes = (jl_fx_state_bytes(type, RATE) + 63) & ~63ull;
			top -= bytes + 512;
			top &= ~63ull;
			memset(&mb, 0, sizeof(mb));
			memcpy(mb.params, params, sizeof(mb.params));
			nc = jl_fx_design(type, params, RATE, mb.coef, JL_FX_MAX_COEFS);
			mb.has_coef = nc > 0;
			memcpy(shm.pool + top, &mb, sizeof(mb));
			memset(shm.pool + top + 512, 0, (size_t)bytes); /* as the daemon does */
			memset(&c, 0, sizeof(c));
			c.type = JL_CMD_FX_SLOT;
			c.flags = JL_CMDF_IMMEDIATE;
			c.p.fxslot.chain = (uint16_t)t;
			c.p.fxslot.slot = (uint16_t)k;
			c.p.fxslot.type = (uint32_t)type;
			c.p.fxslot.off = top + 512;
			c.p.fxslot.bytes = bytes;
			push(&c, n);
			memset(&c, 0, sizeof(c));
			c.type = JL_CMD_FX_SET;
			c.flags = JL_CMDF_IMMEDIATE;
			c.p.fxset.chain = (uint16_t)t;
			c.p.fxset.slot = (uint16_t)k;
			c.p.fxset.mailbox = top;
			push(&c, n);
		}
	}
	settle(n);
	printf("chains: EQ + compressor + delay on each of the %u tracks (%llu MiB of effect state at the pool's end)\n",
	       NTRACKS, (unsigned long long)((pool_bytes - top) >> 20));
}

static void teardown(void)
{
	if (daemon_pid > 0) {
		kill(daemon_pid, SIGTERM);
		waitpid(daemon_pid, NULL, 0);
		daemon_pid = 0;
	}
	jl_engine_destroy(eng);
	eng = NULL;
	if (shm.hdr)
		jl_shm_close(&shm);
	if (shm_name[0])
		shm_unlink(shm_name);
}

/* --- the daemon ----------------------------------------------------------- */

/* Writes a model with `layers` whole-cycle loops in it, each played by its
 * voice from its pool region, copied and switched long ago: what a daemon
 * adopts after a restart, and what it keeps looking after on every tick. */
static void write_model(uint32_t layers)
{
	struct jl_model *m = (struct jl_model *)(void *)shm.model;
	uint32_t i, t;
	memset(m, 0, sizeof(*m));
	m->magic = JL_MODEL_MAGIC;
	m->version = JL_MODEL_VERSION;
	m->generation = 1;
	m->beats_per_bar = 4;
	m->beats_per_cycle = 4;
	m->engine_gen_seen = atomic_load(&shm.hdr->engine_gen);
	m->has_anchor = layers > 0;
	m->cycle = 2 * RATE;
	m->origin = jl_engine_frame(eng);
	m->next_layer_id = layers + 1;
	for (t = 0; t < (layers ? NTRACKS : 0); t++) {
		m->tracks[t].used = 1;
		m->tracks[t].channels = 2;
		m->tracks[t].in[1] = 1;
		m->tracks[t].seq = t + 1;
	}
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &m->layers[i];
		l->voice = -1;
		l->region = -1;
		if (i >= layers)
			continue;
		l->id = i + 1;
		l->track = (uint16_t)bv[i].track;
		l->state = JL_L_ACTIVE;
		l->channels = 2;
		l->in[1] = 1;
		l->seam_mode = JL_SEAM_XFADE;
		l->voice = (int32_t)i;
		l->seam = SEAM;
		l->gain = 1.0f;
		l->copy_state = JL_C_DONE;
		l->region = (int32_t)i;
		l->src_gen = 1;
		l->number = i / NTRACKS + 1;
		l->data_len = bv[i].len;
		l->head = SEAM;
		l->body = l->period = bv[i].len - SEAM;
		l->copied = bv[i].len;
		l->seq = ++m->seq;
		m->regions[i].off = bv[i].off;
		m->regions[i].len = 2 * bv[i].len;
		m->regions[i].layer = i + 1;
	}
}

/* CPU time (ns) a process has run, from the scheduler's accounting. */
static double proc_cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long run = 0;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1.0;
	if (fscanf(f, "%llu", &run) != 1)
		run = 0;
	fclose(f);
	return (double)run;
}

/* Runs the engine in real time (one n-frame cycle per period) for `secs`;
 * returns the engine's busy time in ns. */
static double realtime_run(uint32_t n, double secs)
{
	struct timespec dl;
	double busy = 0.0;
	uint64_t k, cycles = (uint64_t)(secs * RATE / n);
	long step = (long)((uint64_t)n * 1000000000ull / RATE);
	clock_gettime(CLOCK_MONOTONIC, &dl);
	for (k = 0; k < cycles && !stop_flag; k++) {
		dl.tv_nsec += step;
		while (dl.tv_nsec >= 1000000000L) {
			dl.tv_nsec -= 1000000000L;
			dl.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL);
		busy += cycle(n);
	}
	return busy;
}

/* Starts `loopctl serve` on our segment with a model of `layers` loops,
 * lets it settle, and measures its CPU share over `secs` of real time. */
static int daemon_share(const char *loopctl, uint32_t layers, uint32_t n, double secs, double *share,
			double *engine_share)
{
	char *argv[] = { (char *)loopctl, "serve", "--name", inst_name, "--server", (char *)server_name,
			 "--no-midi", "--osc-port", "0", NULL };
	posix_spawn_file_actions_t fa;
	double c0, c1, t0, t1, busy;
	int k, rc;
	write_model(layers);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1 /* O_WRONLY */, 0);
	rc = posix_spawn(&daemon_pid, loopctl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		daemon_pid = 0;
		return -rc;
	}
	/* wait until it has attached and started ticking */
	for (k = 0; k < 500 && atomic_load(&shm.hdr->daemon_pid) != daemon_pid; k++) {
		if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
			daemon_pid = 0;
			return -ECHILD;
		}
		realtime_run(n, 0.01);
	}
	if (atomic_load(&shm.hdr->daemon_pid) != daemon_pid)
		return -ETIMEDOUT;
	realtime_run(n, 1.0); /* warm-up: start-up costs are not idle costs */
	c0 = proc_cpu_ns(daemon_pid);
	t0 = now_ns();
	busy = realtime_run(n, secs);
	t1 = now_ns();
	c1 = proc_cpu_ns(daemon_pid);
	kill(daemon_pid, SIGTERM);
	waitpid(daemon_pid, NULL, 0);
	daemon_pid = 0;
	if (c0 < 0 || c1 < 0)
		return -ENOENT;
	*share = (c1 - c0) / (t1 - t0);
	*engine_share = busy / (t1 - t0);
	return 0;
}

/* --- main ----------------------------------------------------------------- */

static void pin_cpu(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "bench: cannot pin to CPU %d (%s); carrying on\n", cpu, strerror(errno));
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bench_engine [--pool-mb MB] [--quick] [--cpu N] [--loopctl PATH] [--no-daemon]\n"
		   "  --pool-mb MB   audio pool (default 2048; voices' audio must exceed the LLC)\n"
		   "  --quick        fewer cycles per point (noisier)\n"
		   "  --cpu N        pin the engine to CPU N (default: the last CPU)\n"
		   "  --loopctl PATH the loopctl binary for the daemon measurement\n"
		   "                 (default: ../loopctl next to this program)\n"
		   "  --no-daemon    skip the daemon measurement\n"
		   "  --period N     only the N-frame period (64, 128 or 256)\n"
		   "  --point FRAMES PLAYING [MUTED [SILENT [STOPPED]]]  time one configuration only\n"
		   "  --chain        a typical effect chain (EQ + compressor + delay) on every track\n");
}

int main(int argc, char **argv)
{
	static const uint32_t periods[] = { 64, 128, 256 };
	static const uint32_t vcounts[4] = { 0, 512, 1024, 2048 };
	struct row {
		double slope, med0, med1k, p99_1k, max_ok_p99;
		uint32_t max_voices;
		int capped;
		double silent, muted, stopped;
	} row[3];
	uint64_t pool_mb = 2048;
	int cpu = -1, no_daemon = 0, a;
	uint32_t pt_n = 0, pt_v = 0, pt_x[3] = { 0, 0, 0 }, only_n = 0;
	char loopctl[4096] = "";
	double t_start = now_ns();
	size_t p;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--pool-mb") && a + 1 < argc)
			pool_mb = strtoull(argv[++a], NULL, 10);
		else if (!strcmp(argv[a], "--quick"))
			n_cycles = 600, n_warm = 50;
		else if (!strcmp(argv[a], "--cpu") && a + 1 < argc)
			cpu = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--loopctl") && a + 1 < argc)
			snprintf(loopctl, sizeof(loopctl), "%s", argv[++a]);
		else if (!strcmp(argv[a], "--no-daemon"))
			no_daemon = 1;
		else if (!strcmp(argv[a], "--chain"))
			with_chain = 1;
		else if (!strcmp(argv[a], "--period") && a + 1 < argc)
			only_n = (uint32_t)atoi(argv[++a]);
		else if (!strcmp(argv[a], "--point") && a + 2 < argc) {
			int q;
			pt_n = (uint32_t)atoi(argv[++a]);
			pt_v = (uint32_t)atoi(argv[++a]);
			for (q = 0; q < 3 && a + 1 < argc && argv[a + 1][0] >= '0' && argv[a + 1][0] <= '9'; q++)
				pt_x[q] = (uint32_t)atoi(argv[++a]);
		}
		else if (!strcmp(argv[a], "-h") || !strcmp(argv[a], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (pool_mb < 64 || pool_mb > (1u << 20)) {
		fprintf(stderr, "bench: --pool-mb must be 64..1048576\n");
		return 2;
	}
	if (!loopctl[0]) {
		const char *slash = strrchr(argv[0], '/');
		int len = slash ? (int)(slash - argv[0]) : 1;
		snprintf(loopctl, sizeof(loopctl), "%.*s/../loopctl", len, slash ? argv[0] : ".");
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	samples = calloc((size_t)n_cycles * 5, sizeof(double)); /* up to 5 interleaved configurations */
	if (!samples)
		return 1;
	if (cpu < 0)
		cpu = (int)sysconf(_SC_NPROCESSORS_ONLN) - 1;

	printf("jackloop RT engine benchmark: %u Hz, stereo pool voices over %u tracks, %.0f%% ramping\n",
	       RATE, NTRACKS, RAMPING * 100);
	if (setup(pool_mb) < 0) {
		teardown();
		return 1;
	}
	printf("pool %llu MiB, %llu MiB of distinct voice audio (1-3 s stereo each), LLC %llu MiB; "
	       "%u timed cycles per point after %u warm-up; engine pinned to CPU %d\n",
	       (unsigned long long)pool_mb, (unsigned long long)(distinct_bytes >> 20),
	       (unsigned long long)(llc_bytes() >> 20), n_cycles, n_warm, cpu);
	if (distinct_bytes < 4 * llc_bytes())
		printf("WARNING: the voices' audio is not much larger than the LLC: raise --pool-mb\n");
	pin_cpu(cpu);
	if (with_chain)
		install_chains(128);
	fflush(stdout);
	if (pt_n) {
		/* one point only: --point FRAMES PLAYING [MUTED [SILENT [STOPPED]]] */
		struct stats st;
		if (pt_n > MAXN || pt_v + pt_x[0] + pt_x[1] + pt_x[2] > MAXV) {
			fprintf(stderr, "bench: --point: at most %u frames and %u voices\n", MAXN, MAXV);
			teardown();
			return 2;
		}
		med_of(pt_n, pt_v, pt_x[0], pt_x[1], pt_x[2], &st);
		printf("period %u, %u playing + %u muted + %u silent + %u stopped voices: median %.1f us, p99 %.1f us, mean %.1f us, max %.1f us (period %.0f us); "
		       "%.2f ns/frame/voice at the median\n", pt_n, pt_v, pt_x[0], pt_x[1], pt_x[2], st.med / 1e3, st.p99 / 1e3, st.mean / 1e3,
		       st.max / 1e3, period_ns(pt_n) / 1e3, pt_v ? st.med / pt_n / pt_v : 0.0);
		teardown();
		free(samples);
		return 0;
	}

	for (p = 0; p < 3 && !stop_flag; p++) {
		uint32_t n = periods[p], lo, hi, v;
		double budget = 0.5 * period_ns(n), sx = 0, sy = 0, sxx = 0, sxy = 0, base, play1;
		struct stats st;
		size_t j;
		if (only_n && n != only_n) {
			memset(&row[p], 0, sizeof(row[p]));
			continue;
		}
		/* cost per playing voice: slope of the median over the voice count */
		{
			struct conf c[4];
			struct stats sv[4];
			for (j = 0; j < 4; j++) {
				memset(&c[j], 0, sizeof(c[j]));
				c[j].play = vcounts[j];
			}
			interleaved(n, c, 4, sv);
			for (j = 0; j < 4; j++) {
				double x = vcounts[j], y = sv[j].med;
				sx += x;
				sy += y;
				sxx += x * x;
				sxy += x * y;
			}
			row[p].med0 = sv[0].med;
			row[p].med1k = sv[2].med;
			row[p].p99_1k = sv[2].p99;
		}
		j = 4;
		row[p].slope = (j * sxy - sx * sy) / (j * sxx - sx * sx); /* ns per voice per cycle */

		/* the largest voice count with p99 under half the period */
		lo = 0;
		hi = 0;
		for (v = 256; v <= MAXV; v *= 2) {
			med_of(n, v, 0, 0, 0, &st);
			if (st.p99 < budget) {
				lo = v;
				row[p].max_ok_p99 = st.p99;
			} else {
				hi = v;
				break;
			}
		}
		row[p].capped = hi == 0;
		if (!row[p].capped) {
			while (hi - lo > (hi / 64 > 16 ? hi / 64 : 16) && !stop_flag) {
				uint32_t mid = (lo + hi) / 2;
				med_of(n, mid, 0, 0, 0, &st);
				if (st.p99 < budget) {
					lo = mid;
					row[p].max_ok_p99 = st.p99;
				} else {
					hi = mid;
				}
			}
		}
		row[p].max_voices = lo;

		/* silent, muted, stopped voices relative to playing ones:
		 * 256 playing plus KIND of the kind, against 256 playing alone */
		{
			static const struct conf c[4] = {
				{ 256, 0, 0, 0 }, { 256, 0, KIND, 0 }, { 256, KIND, 0, 0 }, { 256, 0, 0, KIND }
			};
			struct stats sk[4];
			interleaved(n, c, 4, sk);
			play1 = row[p].slope;
			base = sk[0].med;
			row[p].silent = (sk[1].med - base) / KIND / play1;
			row[p].muted = (sk[2].med - base) / KIND / play1;
			row[p].stopped = (sk[3].med - base) / KIND / play1;
		}

		printf("period %3u: %.2f ns/frame/voice (0 voices: %.1f us), 1024 voices: median %.1f us p99 %.1f us "
		       "of %.0f us; max voices (p99 < 50%%) %s%u; silent %.1f%% muted %.1f%% stopped %.1f%%\n",
		       n, row[p].slope / n, row[p].med0 / 1e3, row[p].med1k / 1e3, row[p].p99_1k / 1e3,
		       period_ns(n) / 1e3, row[p].capped ? ">= " : "", row[p].max_voices, 100 * row[p].silent,
		       100 * row[p].muted, 100 * row[p].stopped);
		fflush(stdout);
	}
	if (stop_flag) {
		teardown();
		return 1;
	}

	printf("\n| period | ns/frame/voice | %% core/voice | 1024 voices: median / p99 (us) | p99 budget (50%%) |"
	       " max voices, p99 < 50%% | silent | muted | stopped |\n");
	printf("|---|---|---|---|---|---|---|---|---|\n");
	for (p = 0; p < 3; p++) {
		uint32_t n = periods[p];
		char maxv[64];
		if (only_n && n != only_n)
			continue;
		if (row[p].capped)
			snprintf(maxv, sizeof(maxv), ">= %u (the voice cap; ~%.0f by p99 scaling)", row[p].max_voices,
				 row[p].max_voices * 0.5 * period_ns(n) / row[p].max_ok_p99);
		else
			snprintf(maxv, sizeof(maxv), "%u", row[p].max_voices);
		printf("| %u (%.2f ms) | %.2f | %.4f%% | %.1f / %.1f | %.0f | %s | %.1f%% | %.1f%% | %.1f%% |\n", n,
		       period_ns(n) / 1e6, row[p].slope / n, 100.0 * row[p].slope / n * RATE / 1e9,
		       row[p].med1k / 1e3, row[p].p99_1k / 1e3, 0.5 * period_ns(n) / 1e3, maxv,
		       100 * row[p].silent, 100 * row[p].muted, 100 * row[p].stopped);
	}

	if (only_n)
		no_daemon = 1; /* the daemon part uses the 128-frame row */
	if (!no_daemon && access(loopctl, X_OK) != 0) {
		printf("\ndaemon: %s not found (run 'make' first, or pass --loopctl): skipped\n", loopctl);
		no_daemon = 1;
	}
	if (!no_daemon) {
		/* Both processes in real time, as on stage: the engine runs one
		 * 128-frame cycle per period (no ramps: the daemon is now the
		 * only producer of the command ring), the daemon ticks every
		 * 4 ms.  First no voices and no loops, then N of each. */
		double d0 = 0, d1 = 0, e0 = 0, e1 = 0;
		uint32_t nl = JL_MAX_LAYERS;
		int r0, r1;
		configure(128, 0, 0, 0, 0);
		r0 = daemon_share(loopctl, 0, 128, 4.0, &d0, &e0);
		configure(128, nl, 0, 0, 0);
		r1 = r0 ? r0 : daemon_share(loopctl, nl, 128, 4.0, &d1, &e1);
		if (r0 || r1) {
			printf("\ndaemon: could not run '%s serve' (%s): skipped\n", loopctl, strerror(-(r0 ? r0 : r1)));
		} else {
			double rt_voice = row[1].slope / 128 * RATE / 1e9;
			printf("\nreal time, 128-frame periods, 4 s each (CPU share from schedstat / busy time):\n");
			printf("  0 loops:    engine %.2f%%, daemon %.3f%% of a core\n", 100 * e0, 100 * d0);
			printf("  %u loops: engine %.2f%%, daemon %.3f%% of a core\n", nl, 100 * e1, 100 * d1);
			printf("  per stereo loop, marginal: engine %.5f%% + daemon %.5f%% = %.5f%% of a core\n",
			       100 * (e1 - e0) / nl, 100 * (d1 - d0) / nl, 100 * ((e1 - e0) + (d1 - d0)) / nl);
			printf("  per stereo loop, all-in (both processes' whole CPU / %u): %.5f%% of a core\n", nl,
			       100 * (e1 + d1) / nl);
			printf("  (back-to-back RT slope at 128: %.5f%% per voice)\n", 100 * rt_voice);
			printf("  target: <= 0.05%% per stereo loop (a quarter of SooperLooper's 0.2%%, quoted)\n");
		}
	}
	printf("\n%llu of %llu timed cycles discarded (the CPU was taken by another task during the cycle)\n",
	       (unsigned long long)n_discarded, (unsigned long long)(n_measured + n_discarded));
	printf("\nbench: %.0f s\n", (now_ns() - t_start) / 1e9);
	teardown();
	free(samples);
	return 0;
}
