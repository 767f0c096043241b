/* looper.c - takes, anchor, quantization, layers, undo, pool, triggers.
 *
 * Frames.  Every position is an absolute engine frame (DESIGN 2.1).  Two
 * kinds are never mixed up (DESIGN 2.3):
 *  - output frames y: when something is heard from jackloop's outputs;
 *  - history frames h: when an input sample was recorded.
 * A performer who presses at arrival frame a hears output rendered at
 * p = a - pb (pb: playback latency of the monitored port) and what they
 * play at that moment is recorded at history frame h = p + L, where
 *     L = capture + playback(monitored) + extra latency   (DESIGN 2.5).
 * So a take's boundaries are h = p + L, and a recorded frame h is heard in
 * the loop at output frames y = h - L (mod the layer's period): a layer
 * plays back aligned with what the performer heard while recording it.
 *
 * A layer repeats every `period` output frames; output frame y plays its
 * body frame (y - origin) mod period when that is < body, else silence or
 * a seam (see track_rt.c).  Stored frames: [h(s) - head, h(e) + tail). */
#define _GNU_SOURCE
#include "looper.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "commands.h"
#include "daemon.h"
#include "model.h"
#include "session.h"
#include "util.h"

_Static_assert(sizeof(struct jl_model) <= (4u << 20), "the model fits the model region");
_Static_assert(sizeof(struct jl_layer_m) % 8 == 0, "layer alignment");
_Static_assert(sizeof(((struct jl_model *)0)->fx) / sizeof(((struct jl_model *)0)->fx[0][0]) == JL_FX_CHAINS * JL_FX_SLOTS &&
		       sizeof(((struct jl_model *)0)->fx[0]) / sizeof(((struct jl_model *)0)->fx[0][0]) == JL_FX_SLOTS,
	       "the model holds JL_FX_CHAINS x JL_FX_SLOTS effects");

#define JL_DEFER 3	/* make_layer: the audio is not all recorded yet; retry */
#define COPY_FLOATS_PER_TICK (1u << 18)	/* ~1 MB of samples per tick (DESIGN 3.2) */
#define TRIGGER_HORIZON_MS 60
#define TRIGGER_MAX_AHEAD_S (24 * 3600) /* at FRAME: at most this far ahead */
#define JL_TRIGGER_SEP '\x1f'           /* between a trigger's words */
#define LOAD_BATCH 64	/* layers a load starts per tick: 3-4 engine commands each */


#define say jl_say

static uint32_t rate(const struct jl_daemon *d) { return d->shm.hdr->geom.sample_rate; }
static uint64_t ms(const struct jl_daemon *d, double v) { return (uint64_t)llround(v * rate(d) / 1000.0); }
static uint64_t hist_len(const struct jl_daemon *d) { return d->shm.hdr->geom.hist_frames; }
static uint64_t head_now(const struct jl_daemon *d) { return atomic_load(&d->shm.rt->history_head); }
static uint64_t oldest(const struct jl_daemon *d)
{
	uint64_t h = head_now(d), s = atomic_load(&d->shm.rt->history_start);
	uint64_t o = h > hist_len(d) ? h - hist_len(d) : 0;
	return o > s ? o : s;
}
static uint32_t ramp(const struct jl_daemon *d) { return (uint32_t)ms(d, d->cfg.ramp_ms); }
static double db2lin(double db) { return pow(10.0, db / 20.0); }

/* --- latency (DESIGN 2.5) --------------------------------------------- */

static uint64_t pb_latency(const struct jl_daemon *d)
{
	/* the monitored path: its downstream latency, plus the phones delay
	 * when the performer hears the phones (DESIGN 2.5) */
	int o = d->cfg.monitor_phones ? 2 : 0;
	return atomic_load(&d->shm.rt->lat_playback_max[o]) +
	       (d->cfg.monitor_phones ? atomic_load(&d->shm.rt->phones_delay) : 0);
}

static uint64_t comp_latency(const struct jl_daemon *d, const struct jl_track_m *t)
{
	if (d->latency_override >= 0)
		return (uint64_t)d->latency_override + d->cfg.extra_latency; /* measured by calibrate */
	uint64_t cap = atomic_load(&d->shm.rt->lat_capture_max[t->in[0]]);
	uint64_t cap2 = atomic_load(&d->shm.rt->lat_capture_max[t->in[t->channels > 1 ? 1 : 0]]);
	return (cap > cap2 ? cap : cap2) + pb_latency(d) + d->cfg.extra_latency;
}

/* The output frame the performer heard when pressing. */
static uint64_t heard(const struct jl_daemon *d, const struct jl_req *rq)
{
	uint64_t a;
	if (rq->scheduled)
		return rq->at;
	a = rq->has_arrival ? rq->arrival : jl_daemon_now(d);
	return a > pb_latency(d) ? a - pb_latency(d) : 0;
}

/* When an audible action lands: one period after arrival (DESIGN 2.3). */
static uint64_t audible(const struct jl_daemon *d, const struct jl_req *rq)
{
	if (rq->scheduled)
		return rq->at;
	return (rq->has_arrival ? rq->arrival : jl_daemon_now(d)) + jl_daemon_period(d);
}

/* --- pure geometry ------------------------------------------------------ */

uint32_t jl_looper_beats_at(uint64_t frames, uint32_t sample_rate, double bpm)
{
	double beats = (double)frames / (60.0 * sample_rate / bpm);
	return beats < 1.5 ? 1 : (uint32_t)llround(beats);
}

static uint64_t floor_to(uint64_t y, uint64_t O, uint64_t C)
{
	/* largest O + kC <= y, k may be negative; without a grid (C = 0, no
	 * loop yet) y itself */
	if (!C)
		return y;
	if (y >= O)
		return O + (y - O) / C * C;
	return O - ((O - y + C - 1) / C) * C;
}

uint64_t jl_grid_line(const struct jl_grid *g, uint32_t every, uint64_t y, int64_t n)
{
	/* `beats` lines of every * span / beats frames make a whole period
	 * Q = every * span; within it line j is at floor(j * Q / beats) */
	uint64_t Q = (uint64_t)every * g->span, base = floor_to(y, g->origin, Q), r = y - base;
	int64_t j = (int64_t)((((r + 1) * g->beats) - 1) / Q) + n, q = j / (int64_t)g->beats;
	uint64_t rem;
	if (j % (int64_t)g->beats < 0)
		q--;
	rem = (uint64_t)(j - q * (int64_t)g->beats);
	base = q >= 0 ? base + (uint64_t)q * Q : base - (uint64_t)(-q) * Q;
	return base + rem * Q / g->beats;
}

/* y moved to the nearest line of g (every `every` beats) within tol */
static uint64_t grid_snap(const struct jl_grid *g, uint32_t every, uint64_t y, uint64_t tol)
{
	uint64_t lo = jl_grid_line(g, every, y, 0), hi = jl_grid_line(g, every, y, 1);
	uint64_t b = y - lo <= hi - y ? lo : hi;
	return (b > y ? b - y : y - b) <= tol ? b : y;
}

static uint64_t snap(uint64_t y, uint64_t C, uint64_t O, uint64_t tol, int *snapped)
{
	uint64_t lo = floor_to(y, O, C), hi = lo + C;
	uint64_t b = (y - lo <= hi - y) ? lo : hi;
	uint64_t dist = b > y ? b - y : y - b;
	*snapped = dist <= tol;
	return *snapped ? b : y;
}

int jl_looper_geometry(uint64_t C, uint64_t O, uint64_t tol, uint64_t s, uint64_t e, uint64_t seam, int whole,
		       struct jl_geom *g)
{
	uint64_t base, span, n, len;
	memset(g, 0, sizeof(*g));
	s = snap(s, C, O, tol, &g->snapped_s);
	e = snap(e, C, O, tol, &g->snapped_e);
	if (e <= s)
		return -EINVAL;
	len = e - s;
	base = floor_to(s, O, C);
	span = (e - base + C - 1) / C; /* cycles the take touches */
	if (whole) {
		n = span;
	} else {
		n = 1;
		while (n < span)
			n <<= 1; /* loopmate's rule: 2^k cycles */
	}
	g->s = s;
	g->e = e;
	g->period = n * C;
	if (s == base && len == g->period) {
		g->seam_mode = JL_SEAM_XFADE;
		g->seam = seam < len ? seam : len;
	} else {
		uint64_t room = (g->period - len) / 2;
		g->seam_mode = JL_SEAM_EDGE;
		g->seam = seam < room ? seam : room;
	}
	return 0;
}

static const char *const quant_names[] = { "default", "off", "cycle", "bar", "beat", "onset" };

int jl_looper_parse_quant(const char *w)
{
	int i;
	for (i = 1; i < (int)(sizeof(quant_names) / sizeof(quant_names[0])); i++)
		if (!strcmp(w, quant_names[i]))
			return i;
	return -1;
}

const char *jl_looper_quant_name(int q)
{
	return q >= 0 && q < (int)(sizeof(quant_names) / sizeof(quant_names[0])) ? quant_names[q] : "?";
}

/* Moves history frame h to the nearest strong onset within the window
 * (DESIGN 4.4); unchanged if there is none (or no analysis). */
static uint64_t onset_snap(const struct jl_daemon *d, uint64_t h, int *moved)
{
	uint64_t o;
	*moved = 0;
	if (d->ana && jl_analysis_nearest_onset(d->ana, h, ms(d, d->cfg.onset_window_ms), &o) == 0) {
		*moved = 1;
		return o;
	}
	return h;
}

int jl_looper_grid(const struct jl_daemon *d, struct jl_grid *g)
{
	const struct jl_model *m = d->m;
	uint32_t bpb = m->beats_per_bar ? m->beats_per_bar : 4;
	memset(g, 0, sizeof(*g));
	g->per_bar = bpb;
	if (m->has_anchor) {
		g->origin = m->origin;
		g->span = m->cycle;
		g->beats = m->beats_per_cycle ? m->beats_per_cycle : 4;
		return 0;
	}
	if (m->preset_bpm > 0) {
		g->origin = m->grid_origin;
		g->span = (uint64_t)llround(bpb * 60.0 * rate(d) / m->preset_bpm);
		g->beats = bpb;
		return 0;
	}
	if (d->ana) {
		struct jl_tempo t;
		jl_analysis_tempo(d->ana, &t);
		if (t.known) {
			g->bar_phase = t.bar_known && t.per_bar == bpb;
			g->origin = g->bar_phase ? t.downbeat_frame : t.beat_frame;
			g->span = (uint64_t)llround(bpb * t.period_frames);
			g->beats = bpb;
			return 0;
		}
	}
	return -ENOENT;
}

static uint64_t next_boundary(const struct jl_daemon *d, uint64_t after);

/* --- RT commands ---------------------------------------------------------- */

static int push(struct jl_daemon *d, struct jl_cmd *c)
{
	int r = jl_daemon_push(d, c);
	if (r == 0 && d->capture && d->capture->n_rt < JL_TRIGGER_RT)
		d->capture->rt_ids[d->capture->n_rt++] = c->id;
	return r;
}

/* A command for a voice never lands before the voice's own start: a layer
 * launched at the next period (or cycle) can be muted, stopped or changed
 * before it sounds, and the engine rejects commands for a voice that is
 * not playing yet (the layer would then start as if the command had not
 * been given).  At the start, queue order puts the command after it, and a
 * gain moved there needs no ramp: nothing was heard yet. */
static uint64_t voice_at(const struct jl_daemon *d, int voice, uint64_t at)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_layer_m *l = &d->m->layers[i];
		if (l->id && l->voice == voice)
			return at > l->started ? at : l->started;
	}
	return at;
}

static int send_vgain(struct jl_daemon *d, int voice, float gain, uint32_t rampf, uint32_t flags, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_GAIN;
	c.target = voice_at(d, voice, at);
	if (c.target != at)
		rampf = 0; /* not heard yet: no ramp needed */
	c.p.vgain.voice = (uint32_t)voice;
	c.p.vgain.gain = gain;
	c.p.vgain.ramp = rampf;
	c.p.vgain.flags = flags;
	return push(d, &c);
}

/* A voice's origin: its layer's, early by the track's send round trip. */
static int send_origin(struct jl_daemon *d, const struct jl_layer_m *l, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_ORIGIN;
	c.target = voice_at(d, l->voice, at);
	c.p.vorigin.voice = (uint32_t)l->voice;
	c.p.vorigin.origin = l->origin - d->m->tracks[l->track].send_comp;
	return push(d, &c);
}

/* The click and the tempo-synced effects follow a new beat grid. */
static void resend_click(struct jl_daemon *d, uint64_t when)
{
	struct jl_req tmp;
	memset(&tmp, 0, sizeof(tmp));
	jl_outputs_send_click(d, &tmp, when, 0, 0);
}

/* n frames of a history ring from absolute frame `from` (wrapping). */
static void copy_from_ring(float *dst, const float *ring, uint64_t H, uint64_t from, uint64_t n)
{
	uint64_t pos = from % H, first = H - pos < n ? H - pos : n;
	memcpy(dst, ring + pos, first * sizeof(float));
	if (first < n)
		memcpy(dst + first, ring, (n - first) * sizeof(float));
}

/* A voice's playback rate (0 = 1x, 1 = 2x, 2 = half speed) and direction. */
static int send_vmode(struct jl_daemon *d, int voice, uint8_t rate, uint8_t reverse, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_MODE;
	c.target = voice_at(d, voice, at);
	c.p.vmode.voice = (uint32_t)voice;
	c.p.vmode.rate = rate;
	c.p.vmode.reverse = reverse;
	return push(d, &c);
}

static int send_src(struct jl_daemon *d, const struct jl_layer_m *l, int kind, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_SRC;
	c.target = at;
	c.p.vsrc.voice = (uint32_t)l->voice;
	c.p.vsrc.kind = (uint8_t)kind;
	c.p.vsrc.channels = l->channels;
	c.p.vsrc.in0 = l->in[0];
	c.p.vsrc.in1 = l->in[1];
	c.p.vsrc.gen = l->src_gen;
	c.p.vsrc.hist_start = l->hist_start;
	c.p.vsrc.data_len = l->data_len;
	if (kind == JL_SRC_POOL) {
		const struct jl_region_m *r = &d->m->regions[l->region];
		c.p.vsrc.pool_off0 = r->off + l->data_off;
		c.p.vsrc.pool_off1 = r->off + l->data_off + (l->channels > 1 ? l->stride : 0);
	}
	return push(d, &c);
}

static int send_start(struct jl_daemon *d, const struct jl_layer_m *l, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_VOICE_START;
	c.target = at;
	c.p.vstart.voice = (uint32_t)l->voice;
	c.p.vstart.track = l->track;
	c.p.vstart.seam_mode = l->seam_mode;
	c.p.vstart.seam = l->seam;
	c.p.vstart.head = l->head;
	c.p.vstart.body = l->body;
	c.p.vstart.period = l->period;
	c.p.vstart.origin = l->origin - d->m->tracks[l->track].send_comp;
	return push(d, &c);
}

static void track_gains(const struct jl_daemon *d, int t, float *gl, float *gr)
{
	const struct jl_track_m *tr = &d->m->tracks[t];
	int any_solo = 0, i;
	double g, pan = tr->pan;
	for (i = 0; i < JL_MAX_TRACKS; i++)
		any_solo |= d->m->tracks[i].used && d->m->tracks[i].soloed;
	g = (tr->muted || (any_solo && !tr->soloed)) ? 0.0 : db2lin(tr->gain_db);
	if (tr->channels == 1) {
		/* -3 dB constant power (DESIGN 4.3) */
		double th = (pan + 1.0) * M_PI / 4.0;
		*gl = (float)(g * cos(th));
		*gr = (float)(g * sin(th));
	} else {
		/* balance */
		*gl = (float)(g * (pan > 0 ? 1.0 - pan : 1.0));
		*gr = (float)(g * (pan < 0 ? 1.0 + pan : 1.0));
	}
}

static int send_track(struct jl_daemon *d, int t, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_TRACK_GAIN;
	c.target = at;
	c.p.tgain.track = (uint32_t)t;
	c.p.tgain.ramp = ramp(d);
	track_gains(d, t, &c.p.tgain.gl, &c.p.tgain.gr);
	return push(d, &c);
}

static int send_pa(struct jl_daemon *d, float gain, uint64_t at)
{
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_PA_GAIN;
	c.target = at;
	c.p.gain.gain = gain;
	c.p.gain.ramp = ramp(d);
	return push(d, &c);
}

static int queue_full(struct jl_daemon *d, struct jl_req *rq)
{
	return say(rq, 1, "command queue full (%u slots): not done, try again", d->cmdq.mask + 1);
}

/* A command that changes the model and sends several RT commands checks
 * first that they all fit: the daemon is the queue's only producer, so
 * the room can only grow until it pushes, and the model never says what
 * the engine was not told.  0 if n fit, else the queue-full answer. */
int jl_looper_room(struct jl_daemon *d, struct jl_req *rq, uint32_t n)
{
	if (jl_spsc_space(&d->cmdq) >= n)
		return 0;
	if (n > d->cmdq.mask + 1)
		return say(rq, 1, "this needs %u commands at once, more than the command queue holds (%u): not done",
			   n, d->cmdq.mask + 1);
	return queue_full(d, rq);
}

/* Commands start_layer sends at most (source, start, gain, mode). */
#define START_CMDS 4
/* ... and a take's end or start at most: a layer's start, the track's
 * gains, the PA, the count-in click. */
#define TAKE_CMDS (START_CMDS + 3)

/* --- model helpers ---------------------------------------------------------- */

static struct jl_layer_m *layer_by_id(struct jl_daemon *d, uint32_t id)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (d->m->layers[i].id == id && id)
			return &d->m->layers[i];
	return NULL;
}

static float layer_gain(const struct jl_layer_m *l) { return l->muted ? 0.0f : l->gain; }

static int track_has_audio(const struct jl_daemon *d, int t)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (d->m->layers[i].id && d->m->layers[i].track == t && d->m->layers[i].state == JL_L_ACTIVE)
			return 1;
	return 0;
}

static uint64_t track_period(const struct jl_daemon *d, int t)
{
	uint64_t p = 0;
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_layer_m *l = &d->m->layers[i];
		if (l->id && l->track == t && l->state == JL_L_ACTIVE && l->period > p)
			p = l->period;
	}
	return p;
}

static int voice_free(struct jl_daemon *d, uint32_t v)
{
	uint32_t i;
	if (atomic_load(&d->shm.voice[v].state) != JL_VOICE_OFF)
		return 0;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (d->m->layers[i].id && d->m->layers[i].voice == (int32_t)v)
			return 0;
	return 1;
}

/* Round-robin, not the lowest free index: a voice just freed (a layer
 * undone) is the last to be handed out again, so commands still queued
 * for its old layer (a trigger fires up to TRIGGER_HORIZON_MS ahead)
 * cannot reach a new one. */
static int alloc_voice(struct jl_daemon *d)
{
	uint32_t k, n = d->shm.hdr->geom.max_voices;
	for (k = 0; k < n; k++) {
		uint32_t v = (d->next_voice + k) % n;
		if (voice_free(d, v)) {
			d->next_voice = (v + 1) % n;
			return (int)v;
		}
	}
	return -1;
}

static uint64_t pool_used(const struct jl_daemon *d)
{
	uint64_t u = 0;
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (d->m->regions[i].layer)
			u += d->m->regions[i].len;
	return u;
}

/* First fit over the used regions, in floats. */
static int try_alloc(struct jl_daemon *d, uint64_t len, uint32_t owner)
{
	uint64_t cand = 0;
	uint32_t i, slot = JL_MAX_LAYERS;
	int moved = 1;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (!d->m->regions[i].layer) {
			slot = i;
			break;
		}
	if (slot == JL_MAX_LAYERS)
		return -1;
	/* cand moves past every region it overlaps until none does; every
	 * region starts on a 64-byte boundary (16 floats: FFTW, effects) */
	while (moved) {
		moved = 0;
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			const struct jl_region_m *r = &d->m->regions[i];
			if (r->layer && cand < r->off + r->len && r->off < cand + len) {
				cand = (r->off + r->len + 15) & ~(uint64_t)15;
				moved = 1;
			}
		}
		if (cand + len > d->pool_floats)
			return -1;
	}
	d->m->regions[slot].off = cand;
	d->m->regions[slot].len = len;
	d->m->regions[slot].layer = owner;
	return (int)slot;
}

int jl_looper_pool_alloc(struct jl_daemon *d, uint64_t floats, uint32_t owner)
{
	return try_alloc(d, floats, owner);
}

void jl_looper_pool_free(struct jl_daemon *d, int region)
{
	if (region >= 0 && region < JL_MAX_LAYERS)
		memset(&d->m->regions[region], 0, sizeof(d->m->regions[0]));
}

/* Frees a layer's second region (see spare_region in model.h). */
static void free_spare(struct jl_daemon *d, struct jl_layer_m *l)
{
	if (l->spare_region)
		jl_looper_pool_free(d, (int)l->spare_region - 1);
	l->spare_region = 0;
	l->moved = 0;
}

static void free_region(struct jl_daemon *d, struct jl_layer_m *l)
{
	jl_looper_pool_free(d, l->region);
	l->region = -1;
	free_spare(d, l);
}

/* Reserve before the voice starts (DESIGN 3.2); evict undone layers,
 * oldest first, only when needed (DESIGN 4.3). */
static int reserve(struct jl_daemon *d, struct jl_req *rq, uint64_t len, uint32_t owner, uint32_t *evicted)
{
	int r;
	*evicted = 0;
	while ((r = try_alloc(d, len, owner)) < 0) {
		struct jl_layer_m *victim = NULL;
		uint32_t i;
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_layer_m *l = &d->m->layers[i];
			if (l->id && l->state == JL_L_UNDONE && l->region >= 0 && l->voice < 0 &&
			    (!victim || l->undone_seq < victim->undone_seq))
				victim = l;
		}
		if (!victim)
			break;
		free_region(d, victim);
		victim->state = JL_L_EVICTED;
		(*evicted)++;
		fprintf(stderr, "loopctl: evicted undone layer %u of track %d to free pool space\n", victim->number,
			victim->track + 1);
	}
	if (r < 0)
		say(rq, 1, "pool full (%llu MB in use): take not stored; it is still in the history, so "
			   "'capture' can retry later", (unsigned long long)(pool_used(d) * sizeof(float) >> 20));
	return r;
}

static int new_action(struct jl_daemon *d, int kind, int track)
{
	uint32_t i, best = 0;
	for (i = 0; i < JL_MAX_ACTIONS; i++)
		if (!d->m->actions[i].kind)
			break;
	if (i == JL_MAX_ACTIONS) {
		/* Recycle the oldest action (its undo is then no longer offered). */
		for (i = 1, best = 0; i < JL_MAX_ACTIONS; i++)
			if (d->m->actions[i].seq < d->m->actions[best].seq)
				best = i;
		i = best;
		for (best = 0; best < JL_MAX_MEMBERS; best++)
			if (d->m->members[best].action == i + 1)
				d->m->members[best].action = 0;
	}
	memset(&d->m->actions[i], 0, sizeof(d->m->actions[i]));
	d->m->actions[i].kind = (uint32_t)kind;
	d->m->actions[i].track = (uint16_t)track;
	d->m->actions[i].seq = ++d->m->seq;
	return (int)i;
}

static int add_member(struct jl_daemon *d, int action, uint32_t layer)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_MEMBERS; i++)
		if (!d->m->members[i].action) {
			d->m->members[i].action = (uint32_t)action + 1;
			d->m->members[i].layer = layer;
			return 0;
		}
	return -1;
}

/* --- layers on and off ------------------------------------------------------ */

/* Starts an ACTIVE layer's voice, from the pool if copied, else the ring. */
static int start_layer(struct jl_daemon *d, struct jl_layer_m *l, uint64_t at, uint32_t fade)
{
	const struct jl_track_m *t = &d->m->tracks[l->track];
	/* the pool once copied; a long take copied while it recorded always
	 * (its last frames are copied ticks before the voice can reach them) */
	int kind = l->copy_state == JL_C_DONE || l->copy_state == JL_C_SWITCHING || l->stride != l->data_len
			   ? JL_SRC_POOL : JL_SRC_HIST;
	if (l->voice < 0)
		l->voice = alloc_voice(d);
	if (l->voice < 0)
		return -ENOSPC;
	if (kind == JL_SRC_HIST && l->hist_start < oldest(d))
		return -ENODATA;
	l->started = at;
	if (send_src(d, l, kind, at) || send_start(d, l, at) ||
	    send_vgain(d, l->voice, t->stopped ? 0.0f : layer_gain(l), fade, 0, at))
		return -EAGAIN;
	if ((l->rate || l->reverse) && send_vmode(d, l->voice, l->rate, l->reverse, at))
		return -EAGAIN;
	return 0;
}

static void stop_layer(struct jl_daemon *d, struct jl_layer_m *l, uint64_t at)
{
	if (l->voice >= 0)
		send_vgain(d, l->voice, 0.0f, ramp(d), JL_VGAIN_STOP, at);
	/* the voice index is released once the RT side reports it off */
}

/* --- takes ---------------------------------------------------------------- */

static int find_new_track(struct jl_daemon *d)
{
	int i;
	for (i = 0; i < JL_MAX_TRACKS; i++)
		if (!d->m->tracks[i].used)
			return i;
	return -1;
}

static void init_track(struct jl_daemon *d, int t)
{
	struct jl_track_m *tr = &d->m->tracks[t];
	uint32_t n = d->shm.hdr->geom.n_inputs;
	memset(tr, 0, sizeof(*tr));
	tr->inc_region = -1;
	tr->used = 1;
	tr->channels = n >= 2 ? 2 : 1;
	tr->in[0] = 0;
	tr->in[1] = n >= 2 ? 1 : 0;
	tr->seq = ++d->m->seq;
}

/* Starts a prepared (PENDING) layer: the first pass joins at the right
 * phase with a fade-in; a whole-cycle take whose end is still ahead starts
 * exactly at its end instead (DESIGN 2.3).  Returns JL_DEFER while neither
 * is possible (the end or its post-roll is not recorded yet). */
static int launch_layer(struct jl_daemon *d, struct jl_req *rq, struct jl_layer_m *l)
{
	struct jl_track_m *tr = &d->m->tracks[l->track];
	uint64_t start_at = audible(d, rq), end = l->origin + l->body;
	int a, exact = 0;
	if (l->seam_mode == JL_SEAM_XFADE && end >= start_at) {
		start_at = end;
		exact = 1;
	} else if (head_now(d) < l->hist_start + l->data_len) {
		return JL_DEFER;
	}
	l->state = JL_L_ACTIVE;
	a = start_layer(d, l, start_at, exact ? 0 : (uint32_t)(l->seam ? l->seam : ramp(d)));
	if (a < 0) {
		l->state = JL_L_PENDING;
		return a == -EAGAIN ? queue_full(d, rq) : say(rq, 1, "the take could not start");
	}
	a = new_action(d, JL_A_TAKE, l->track);
	add_member(d, a, l->id);
	if (!tr->stopped)
		send_track(d, l->track, start_at);
	json_object_set_new(rq->json, "plays_at", json_integer((json_int_t)start_at));
	return 0;
}

/* Turns a take [s_h, e_h) (history frames) on track t into a layer: the
 * anchor or quantization, pool space and a voice reserved first (DESIGN
 * 3.2), then launched now or as soon as its audio is recorded. */
static int make_layer(struct jl_daemon *d, struct jl_req *rq, int t, uint64_t s_h, uint64_t e_h)
{
	struct jl_track_m *tr = &d->m->tracks[t];
	struct jl_model *m = d->m;
	uint64_t L = comp_latency(d, tr), S = ms(d, d->cfg.seam_ms), tail;
	struct jl_geom g;
	struct jl_layer_m *l = NULL;
	uint32_t i, evicted = 0;
	int region, voice, rc, new_anchor = !m->has_anchor, inc;
	int mode = (int)((tr->rec_flags >> 8) & 0xFF), moved;
	if (!mode)
		mode = m->quantize ? m->quantize : JL_Q_CYCLE;
	if (mode == JL_Q_ONSET) {
		/* a boundary moves to the nearest strong onset (DESIGN 4.4) */
		s_h = onset_snap(d, s_h, &moved);
		e_h = onset_snap(d, e_h, &moved);
	}
	if (e_h <= s_h + 16)
		return say(rq, 1, "the take is too short (%llu frames)", (unsigned long long)(e_h - s_h));
	if (new_anchor) {
		/* The first loop defines the cycle (DESIGN 4.2). */
		memset(&g, 0, sizeof(g));
		g.s = s_h - L;
		g.e = e_h - L;
		g.period = e_h - s_h;
		g.seam_mode = JL_SEAM_XFADE;
		g.seam = S < g.period ? S : g.period;
	} else {
		uint64_t tol = ms(d, d->cfg.quantize_ms), s_o = s_h - L, e_o = e_h - L;
		if (mode == JL_Q_BEAT || mode == JL_Q_BAR) {
			/* snap to the loop's beat or bar grid (each line from its
			 * index, as the click has it), then extend by cycles */
			struct jl_grid gr;
			uint32_t every = 1;
			uint64_t unit, btol;
			jl_looper_grid(d, &gr);
			if (mode == JL_Q_BAR && gr.beats >= gr.per_bar)
				every = gr.per_bar;
			unit = every * gr.span / gr.beats;
			btol = tol < unit / 4 ? tol : unit / 4;
			s_o = grid_snap(&gr, every, s_o, btol);
			e_o = grid_snap(&gr, every, e_o, btol);
			tol = 0;
		} else if (mode != JL_Q_CYCLE) {
			tol = 0; /* off, onset: no cycle snapping */
		}
		if (tol > m->cycle / 4)
			tol = m->cycle / 4; /* short anchors (DESIGN 4.2) */
		if (jl_looper_geometry(m->cycle, m->origin, tol, s_o, e_o, S, d->cfg.extend_whole, &g) < 0)
			return say(rq, 1, "the take is empty after quantization");
	}
	s_h = g.s + L;
	e_h = g.e + L;
	tail = g.seam_mode == JL_SEAM_EDGE ? g.seam : 0;
	inc = tr->inc_region >= 0 && s_h - g.seam >= tr->inc_from &&
	      e_h + tail - tr->inc_from <= tr->inc_stride;
	if (s_h - g.seam < oldest(d) && !(inc && tr->inc_copied >= s_h - g.seam - tr->inc_from + 1))
		return say(rq, 1, "the take starts %.2f s ago but the history holds only %.2f s",
			   (double)(head_now(d) - (s_h - g.seam)) / rate(d), (double)(head_now(d) - oldest(d)) / rate(d));
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (!m->layers[i].id) {
			l = &m->layers[i];
			break;
		}
	if (!l)
		return say(rq, 1, "too many layers (%d)", JL_MAX_LAYERS);
	voice = alloc_voice(d);
	if (voice < 0)
		return say(rq, 1, "no free voice: all %u voices are in use (jackloop --max-voices)",
			   d->shm.hdr->geom.max_voices);
	memset(l, 0, sizeof(*l));
	if (++m->next_layer_id == 0)
		m->next_layer_id = 1;
	l->id = m->next_layer_id;
	if (inc) {
		/* a long take already copied while it recorded: adopt its region */
		region = tr->inc_region;
		m->regions[region].layer = l->id;
		tr->inc_region = -1;
	} else {
		region = reserve(d, rq, (g.seam + (e_h - s_h) + tail) * tr->channels, l->id, &evicted);
		if (region < 0) {
			l->id = 0;
			return 1;
		}
	}
	l->track = (uint16_t)t;
	l->state = JL_L_PENDING;
	l->channels = tr->channels;
	l->in[0] = tr->in[0];
	l->in[1] = tr->in[1];
	l->voice = voice;
	l->gain = 1.0f;
	l->seam = (uint32_t)g.seam;
	l->seam_mode = (uint8_t)g.seam_mode;
	l->region = region;
	l->hist_start = s_h - g.seam;
	l->head = g.seam;
	l->body = e_h - s_h;
	l->data_len = g.seam + l->body + tail;
	l->period = g.period;
	l->origin = g.s;
	l->seq = ++m->seq;
	l->number = ++tr->layers_made;
	l->copy_state = JL_C_COPYING;
	l->copy_after = jl_daemon_now(d) + ms(d, d->cfg.copy_delay_ms);
	l->src_gen = 1;
	l->stride = l->data_len;
	if (inc) {
		l->data_off = l->hist_start - tr->inc_from;
		l->stride = tr->inc_stride;
		l->copied = tr->inc_copied > l->data_off ? tr->inc_copied - l->data_off : 0;
		if (l->copied > l->data_len)
			l->copied = l->data_len;
		l->copy_after = 0;
		if (l->copied == l->data_len) {
			l->copy_state = JL_C_SWITCHING; /* all there: start from the pool */
			l->src_gen++;
		}
	}
	if (new_anchor) {
		m->has_anchor = 1;
		m->cycle = g.period;
		m->origin = g.s;
		if (!m->beats_per_bar)
			m->beats_per_bar = 4;
		if (tr->rec_beats) {
			m->beats_per_cycle = tr->rec_beats; /* counted by bar/beat quantization */
		} else if (m->preset_bpm > 0) {
			/* a tempo the performer gave outranks the estimate */
			m->beats_per_cycle = jl_looper_beats_at(m->cycle, rate(d), m->preset_bpm);
		} else if (d->ana && jl_analysis_beats_per_cycle(d->ana, m->cycle, &m->beats_per_cycle) == 0) {
			/* the analysis: a count a musician would use (DESIGN 2.6) */
		} else {
			m->beats_per_cycle = 4;
		}
	}
	if (new_anchor) {
		/* the click (and tempo-synced effects) follow the new loop's beats */
		resend_click(d, jl_daemon_now(d));
	}
	rc = launch_layer(d, rq, l);
	if (rc != 0 && rc != JL_DEFER) {
		free_region(d, l);
		l->id = 0;
		return rc;
	}
	if (rc == JL_DEFER) {
		tr->rec_state = JL_REC_FINISHING;
		tr->rec_layer = l->id;
	}
	json_object_set_new(rq->json, "track", json_integer(t + 1));
	json_object_set_new(rq->json, "layer", json_integer(l->number));
	json_object_set_new(rq->json, "start", json_integer((json_int_t)l->origin));
	json_object_set_new(rq->json, "length", json_integer((json_int_t)l->body));
	json_object_set_new(rq->json, "period", json_integer((json_int_t)l->period));
	json_object_set_new(rq->json, "evicted", json_integer(evicted));
	say(rq, 0, "track %d layer %u: %.3f s%s, repeats every %.3f s (%s)%s%s", t + 1, l->number,
	    (double)l->body / rate(d), new_anchor ? " (anchor: defines the cycle)" : "", (double)l->period / rate(d),
	    g.seam_mode == JL_SEAM_XFADE ? "whole cycles" : "partial",
	    rc == JL_DEFER ? "; plays once its end is recorded" : "", evicted ? "; evicted undone layers" : "");
	return 0;
}

/* Drops a take that has not started (undo during it, panic). */
static void drop_pending(struct jl_daemon *d, struct jl_track_m *tr)
{
	struct jl_layer_m *l = tr->rec_layer ? layer_by_id(d, tr->rec_layer) : NULL;
	if (l && l->state == JL_L_PENDING) {
		free_region(d, l);
		memset(l, 0, sizeof(*l));
		l->voice = -1;
		l->region = -1;
		tr->layers_made--;
	}
	tr->rec_layer = 0;
	tr->rec_state = JL_REC_IDLE;
	tr->rec_end = 0;
	if (tr->inc_region >= 0) {
		jl_looper_pool_free(d, tr->inc_region);
		tr->inc_region = -1;
	}
}

/* Finishes the take of track t at history frame e_h, or later. */
static int finish_take(struct jl_daemon *d, struct jl_req *rq, int t, uint64_t e_h)
{
	struct jl_track_m *tr = &d->m->tracks[t];
	int rc, mode = (int)((tr->rec_flags >> 8) & 0xFF);
	if (!mode)
		mode = d->m->quantize;
	if (mode == JL_Q_ONSET && d->ana && !(tr->rec_flags & JL_REC_ONSET_READY)) {
		/* the onset nearest to the end may come after the press: keep
		 * recording until the analysis has seen the whole window */
		tr->rec_end = e_h;
		tr->rec_flags |= JL_REC_ONSET_WAIT;
		json_object_set_new(rq->json, "track", json_integer(t + 1));
		return say(rq, 0, "track %d: ending on the nearest onset", t + 1);
	}
	if (!d->m->has_anchor && !tr->rec_end && (mode == JL_Q_BEAT || mode == JL_Q_BAR)) {
		/* The first loop's length becomes a whole number of beats or
		 * bars at the live tempo; an end still ahead is scheduled. */
		struct jl_grid gr;
		double unit, n;
		uint32_t per;
		if (jl_looper_grid(d, &gr) < 0)
			return say(rq, 1, "no tempo yet to count %ss with (play a little longer, tap, or set tempo)",
				   mode == JL_Q_BAR ? "bar" : "beat");
		per = mode == JL_Q_BAR ? gr.per_bar : 1;
		unit = (double)gr.span * per / gr.beats; /* the click's beats */
		n = floor((double)(e_h - tr->rec_start) / unit + 0.5);
		if (n < 1)
			n = 1;
		e_h = tr->rec_start + (uint64_t)llround(n * unit);
		tr->rec_beats = (uint32_t)n * per;
		if (e_h + ms(d, d->cfg.seam_ms) > head_now(d)) {
			tr->rec_end = e_h; /* keeps recording; the tick finishes it */
			json_object_set_new(rq->json, "end", json_integer((json_int_t)e_h));
			return say(rq, 0, "track %d: %u %s%s, ends at frame %llu", t + 1, (unsigned)n,
				   mode == JL_Q_BAR ? "bar" : "beat", n == 1 ? "" : "s", (unsigned long long)e_h);
		}
	}
	if (tr->rec_flags & JL_REC_PA_MUTE)
		send_pa(d, 1.0f, audible(d, rq));
	tr->rec_state = JL_REC_IDLE;
	tr->rec_end = 0;
	rc = make_layer(d, rq, t, tr->rec_start, e_h);
	return rc;
}

int jl_looper_record(struct jl_daemon *d, struct jl_req *rq, const struct jl_rec_opts *o)
{
	struct jl_model *m = d->m;
	struct jl_track_m *tr;
	int t = o->track;
	uint64_t p = heard(d, rq), L, e_h;
	struct jl_grid gr0;

	if (t == JL_T_SELECTED) {
		t = (int)m->selected;
		/* record without a track: end the selected track's take, or
		 * start a new track (a take on an existing track is an
		 * overdub only when asked for by number) */
		if (!(m->tracks[t].used && m->tracks[t].rec_state != JL_REC_IDLE))
			t = m->tracks[t].used && track_has_audio(d, t) ? find_new_track(d) : t;
	} else if (t == JL_T_NEW) {
		t = find_new_track(d);
	}
	if (t < 0)
		return say(rq, 1, "all %d tracks are in use", JL_MAX_TRACKS);
	tr = &m->tracks[t];
	if (tr->used && tr->rec_state == JL_REC_RECORDING && !tr->rec_end) {
		e_h = p + comp_latency(d, tr);
		/* A second press right after the first is a bouncing switch or a
		 * double press: a take of a few ms would become a buzzing loop
		 * (and, first, a cycle of that length).  The take goes on.  (A
		 * press before a counted-in take has begun still ends it.) */
		if (e_h >= tr->rec_start && e_h - tr->rec_start < ms(d, JL_MIN_TAKE_MS))
			return say(rq, 1, "track %d: press ignored: the take is only %.0f ms long (a take needs %d ms); "
				   "still recording", t + 1, 1000.0 * (double)(e_h - tr->rec_start) / rate(d),
				   JL_MIN_TAKE_MS);
		if (jl_looper_room(d, rq, TAKE_CMDS))
			return 1;
		if (e_h < tr->rec_start) {
			/* pressed again during the count-in: the take is cancelled,
			 * and a click that only counted in stops */
			uint64_t a = audible(d, rq);
			if (tr->rec_flags & JL_REC_PA_MUTE)
				send_pa(d, 1.0f, a);
			if (!m->click_on)
				jl_outputs_send_click(d, rq, a, a, 0);
			drop_pending(d, tr);
			json_object_set_new(rq->json, "track", json_integer(t + 1));
			return say(rq, 0, "track %d: pressed during the count-in: take cancelled", t + 1);
		}
		return finish_take(d, rq, t, e_h);
	}
	if (tr->used && tr->rec_state != JL_REC_IDLE)
		return say(rq, 1, "track %d is already recording a fixed-length take (undo cancels it)", t + 1);
	if (o->cycles && !m->has_anchor)
		return say(rq, 2, "--cycles needs a loop to count cycles of; for the first loop use "
				  "'tempo BPM' and --bars");
	if (o->bars && m->has_anchor)
		return say(rq, 2, "--bars sets the length of the first loop; later takes use --cycles");
	if (o->bars && m->preset_bpm <= 0)
		return say(rq, 2, "--bars needs a tempo first: loopctl tempo BPM (or tap)");
	if (o->count_in && jl_looper_grid(d, &gr0) < 0)
		return say(rq, 1, "--count-in needs a tempo: record a loop, tap, or set tempo BPM");
	if (jl_looper_room(d, rq, TAKE_CMDS))
		return 1;
	if (!tr->used)
		init_track(d, t);
	if (o->n_in) {
		if (track_has_audio(d, t) && (uint8_t)o->n_in != tr->channels)
			return say(rq, 2, "track %d is %s: --in must give %u input%s", t + 1,
				   tr->channels == 1 ? "mono" : "stereo", tr->channels, tr->channels == 1 ? "" : "s");
		tr->channels = (uint8_t)o->n_in;
		tr->in[0] = o->in[0];
		tr->in[1] = o->n_in > 1 ? o->in[1] : o->in[0];
	}
	L = comp_latency(d, tr);
	tr->rec_start = p + L;
	tr->rec_end = 0;
	tr->rec_flags = ((o->pa_mute || m->pa_mute_all) ? JL_REC_PA_MUTE : 0) | ((uint32_t)o->quant << 8);
	if (o->quant == JL_Q_DEFAULT && !m->has_anchor && m->quantize == JL_Q_CYCLE)
		tr->rec_flags |= (uint32_t)JL_Q_OFF << 8; /* the first take is free-length */
	tr->rec_beats = o->bars ? o->bars * (m->beats_per_bar ? m->beats_per_bar : 4) : 0;
	tr->rec_state = JL_REC_RECORDING;
	if (o->count_in) {
		/* count in: the click plays count_in bars from the next bar, then
		 * the take starts on the bar (DESIGN: also for the first loop,
		 * with a preset tempo) */
		uint64_t b0, start, a = audible(d, rq);
		b0 = jl_grid_line(&gr0, gr0.per_bar, a, 1); /* gr0: checked above */
		start = jl_grid_line(&gr0, gr0.per_bar, a, 1 + (int64_t)o->count_in);
		tr->rec_start = start + L;
		if (jl_outputs_send_click(d, rq, b0, m->click_on ? 0 : start, 1)) {
			drop_pending(d, tr); /* not recording after all */
			return 1;
		}
		json_object_set_new(rq->json, "count_in_from", json_integer((json_int_t)b0));
	}
	if (o->has_threshold) {
		tr->rec_state = JL_REC_WAIT_THRESHOLD;
		tr->rec_threshold = (float)db2lin(o->threshold_db);
		tr->rec_scan = tr->rec_start;
	}
	if (o->cycles) {
		/* fixed length: snap the start, end N cycles later */
		uint64_t tol = ms(d, d->cfg.quantize_ms), s;
		int sn;
		if (tol > m->cycle / 4)
			tol = m->cycle / 4;
		s = snap(p, m->cycle, m->origin, tol, &sn);
		tr->rec_start = s + L;
		tr->rec_end = tr->rec_start + (uint64_t)o->cycles * m->cycle;
	} else if (o->bars) {
		double beat = 60.0 * rate(d) / m->preset_bpm;
		tr->rec_end = tr->rec_start + (uint64_t)llround(o->bars * (double)m->beats_per_bar * beat);
	}
	if (tr->rec_flags & JL_REC_PA_MUTE && send_pa(d, 0.0f, o->count_in ? tr->rec_start - L : audible(d, rq))) {
		drop_pending(d, tr); /* not after jl_looper_room(); as a guard */
		return queue_full(d, rq);
	}
	m->selected = (uint32_t)t;
	json_object_set_new(rq->json, "track", json_integer(t + 1));
	json_object_set_new(rq->json, "start", json_integer((json_int_t)tr->rec_start));
	if (tr->rec_end)
		json_object_set_new(rq->json, "end", json_integer((json_int_t)tr->rec_end));
	return say(rq, 0, "track %d: %s%s", t + 1,
		   tr->rec_state == JL_REC_WAIT_THRESHOLD ? "waiting for the input to cross the threshold"
							  : "recording",
		   tr->rec_end ? " (ends by itself)" : "");
}

static int capture(struct jl_daemon *d, struct jl_req *rq, uint32_t cycles, double seconds, uint32_t bars, int track);

/* A capture that fails leaves no empty track behind it. */
int jl_looper_capture(struct jl_daemon *d, struct jl_req *rq, uint32_t cycles, double seconds, uint32_t bars,
		      int track)
{
	int t = track == JL_T_NEW || track == JL_T_SELECTED ? find_new_track(d) : track;
	int fresh = t >= 0 && !d->m->tracks[t].used, rc = capture(d, rq, cycles, seconds, bars, track);
	if (rc && fresh && d->m->tracks[t].used && !track_has_audio(d, t) && d->m->tracks[t].rec_state == JL_REC_IDLE)
		memset(&d->m->tracks[t], 0, sizeof(d->m->tracks[t]));
	return rc;
}

/* capture --bars whose last bar line is still ahead: the take of track t
 * is held open from s_h and the tick finishes it at e_h (finish_take()),
 * as a first loop whose end lies ahead. */
static int capture_ahead(struct jl_daemon *d, struct jl_req *rq, int t, uint64_t s_h, uint64_t e_h, uint32_t bars)
{
	struct jl_track_m *tr = &d->m->tracks[t];
	tr->rec_start = s_h;
	tr->rec_end = e_h;
	tr->rec_state = JL_REC_RECORDING;
	json_object_set_new(rq->json, "track", json_integer(t + 1));
	json_object_set_new(rq->json, "start", json_integer((json_int_t)s_h));
	json_object_set_new(rq->json, "end", json_integer((json_int_t)e_h));
	return say(rq, 0, "track %d: the last %u bar%s, ending on the next bar line (frame %llu)", t + 1, bars,
		   bars == 1 ? "" : "s", (unsigned long long)e_h);
}

static int capture(struct jl_daemon *d, struct jl_req *rq, uint32_t cycles, double seconds, uint32_t bars, int track)
{
	struct jl_model *m = d->m;
	uint64_t p = heard(d, rq), s_h, e_h, L, avail, need;
	int t = track == JL_T_NEW || track == JL_T_SELECTED ? find_new_track(d) : track;
	struct jl_track_m tmp;
	int ahead = 0;
	if (t < 0)
		return say(rq, 1, "all %d tracks are in use", JL_MAX_TRACKS);
	if (!m->tracks[t].used)
		init_track(d, t);
	if (m->tracks[t].rec_state != JL_REC_IDLE)
		return say(rq, 1, "track %d is recording", t + 1);
	tmp = m->tracks[t];
	L = comp_latency(d, &tmp);
	m->tracks[t].rec_beats = 0;
	m->tracks[t].rec_flags = 0;
	if (bars) {
		/* the last N bars, aligned to the beats: of the loop when there
		 * is one, else of the detected (or set) tempo */
		uint64_t h = m->has_anchor ? p : p + L;
		struct jl_grid gr;
		if (jl_looper_grid(d, &gr) < 0)
			return say(rq, 1, "no tempo detected yet: play a little longer, tap, or set tempo");
		m->tracks[t].rec_beats = bars * gr.per_bar;
		/* the loop's own bars need no quantization beyond the grid */
		m->tracks[t].rec_flags = (uint32_t)JL_Q_OFF << 8;
		if (gr.bar_phase) {
			/* the detected bars: N bars ending on the nearest bar line,
			 * as a musician presses at the end of a phrase, a little
			 * early or late; one still ahead is waited for */
			uint64_t last = jl_grid_line(&gr, gr.per_bar, h, 0), next = jl_grid_line(&gr, gr.per_bar, h, 1);
			e_h = h - last <= next - h ? last : next;
			s_h = jl_grid_line(&gr, gr.per_bar, e_h, -(int64_t)bars);
			ahead = e_h + ms(d, d->cfg.seam_ms) > head_now(d);
		} else {
			/* the most recent beat at or before the press, and the beat
			 * bars * per_bar before it, each computed from its index */
			e_h = jl_grid_line(&gr, 1, h, 0) + (m->has_anchor ? L : 0);
			s_h = jl_grid_line(&gr, 1, h, -(int64_t)bars * gr.per_bar) + (m->has_anchor ? L : 0);
		}
	} else if (m->has_anchor && seconds <= 0) {
		/* loopmate's backcapture rule: in the first half of a cycle take
		 * the cycles that just ended, in the second half wait for the
		 * boundary. */
		uint64_t ph = (p - floor_to(p, m->origin, m->cycle));
		uint64_t e = ph < m->cycle / 2 ? p - ph : p - ph + m->cycle;
		e_h = e + L;
		s_h = e_h - (uint64_t)(cycles ? cycles : 1) * m->cycle;
	} else {
		if (seconds <= 0)
			return say(rq, 2, "there is no loop yet: say how much to capture with --seconds S");
		e_h = p + L;
		s_h = e_h - (uint64_t)llround(seconds * rate(d));
	}
	need = e_h - s_h + ms(d, d->cfg.seam_ms);
	avail = head_now(d) - oldest(d);
	/* s_h > e_h: more than was played since the engine started */
	if (s_h > e_h || s_h < oldest(d) + ms(d, d->cfg.seam_ms) || need > hist_len(d))
		return say(rq, 1, "capture of %.2f s is longer than the history holds: %.2f s available",
			   (double)(e_h - s_h) / rate(d), (double)avail / rate(d));
	m->selected = (uint32_t)t;
	if (ahead)
		return capture_ahead(d, rq, t, s_h, e_h, bars);
	m->tracks[t].rec_start = s_h;
	return make_layer(d, rq, t, s_h, e_h);
}

/* --- undo / redo ------------------------------------------------------------ */

static void set_layer(struct jl_daemon *d, struct jl_layer_m *l, int on, uint64_t at)
{
	if (on) {
		l->state = JL_L_ACTIVE;
		start_layer(d, l, at, ramp(d));
	} else {
		l->state = JL_L_UNDONE;
		l->undone_seq = ++d->m->seq;
		stop_layer(d, l, at);
	}
}

static uint32_t free_voices(struct jl_daemon *d)
{
	uint32_t v, n = 0;
	for (v = 0; v < d->shm.hdr->geom.max_voices; v++)
		n += (uint32_t)voice_free(d, v);
	return n;
}

static int apply_action(struct jl_daemon *d, int a, int undo, uint64_t at, char *what, size_t n)
{
	struct jl_action_m *ac = &d->m->actions[a];
	uint32_t i, count = 0, need = 0, voices = 0;
	/* Redo must be possible: every layer's audio must still exist. */
	for (i = 0; i < JL_MAX_MEMBERS; i++) {
		struct jl_layer_m *l;
		if (d->m->members[i].action != (uint32_t)a + 1)
			continue;
		l = layer_by_id(d, d->m->members[i].layer);
		if (!l)
			continue;
		{
			int turning_on = (ac->kind == JL_A_TAKE) == !undo;
			if (turning_on && (l->state == JL_L_EVICTED || l->copy_state == JL_C_LOST ||
					   (l->copy_state != JL_C_DONE && l->copy_state != JL_C_SWITCHING &&
					    l->hist_start < oldest(d)))) {
				snprintf(what, n, "layer %u of track %d was evicted to free pool space: it cannot come back",
					 l->number, l->track + 1);
				return -1;
			}
			need += turning_on ? START_CMDS : 1;
			voices += (uint32_t)(turning_on && l->voice < 0);
		}
	}
	/* all or nothing: every layer gets its voice and its commands */
	if (voices && voices > free_voices(d)) {
		snprintf(what, n, "%u layer%s would need a voice, %u %s free: nothing changed", voices,
			 voices == 1 ? "" : "s", free_voices(d), free_voices(d) == 1 ? "is" : "are");
		return -1;
	}
	if (jl_spsc_space(&d->cmdq) < need) {
		snprintf(what, n, "command queue full (%u slots, %u needed): not done, try again", d->cmdq.mask + 1, need);
		return -1;
	}
	for (i = 0; i < JL_MAX_MEMBERS; i++) {
		struct jl_layer_m *l;
		if (d->m->members[i].action != (uint32_t)a + 1)
			continue;
		l = layer_by_id(d, d->m->members[i].layer);
		if (!l)
			continue;
		set_layer(d, l, (ac->kind == JL_A_TAKE) == !undo, at);
		count++;
	}
	ac->undone = (uint8_t)undo;
	if (undo)
		ac->undone_seq = ++d->m->seq;
	else
		ac->seq = ++d->m->seq;
	snprintf(what, n, "%s %s on track %d (%u layer%s)", undo ? "undid" : "redid",
		 ac->kind == JL_A_TAKE ? "a take" : ac->kind == JL_A_CLEAR ? "a clear" : "a delete", ac->track + 1, count,
		 count == 1 ? "" : "s");
	return 0;
}

int jl_looper_undo(struct jl_daemon *d, struct jl_req *rq, int track, int redo)
{
	struct jl_model *m = d->m;
	int best = -1, i;
	char what[200];
	if (track == JL_T_SELECTED && !redo) {
		/* undo during a take cancels it */
		struct jl_track_m *tr = &m->tracks[m->selected];
		if (tr->used && tr->rec_state != JL_REC_IDLE) {
			if (tr->rec_flags & JL_REC_PA_MUTE)
				send_pa(d, 1.0f, audible(d, rq));
			drop_pending(d, tr);
			return say(rq, 0, "track %u: take cancelled", m->selected + 1);
		}
	}
	if (track >= 0 && !redo && m->tracks[track].rec_state != JL_REC_IDLE) {
		struct jl_track_m *tr = &m->tracks[track];
		if (tr->rec_flags & JL_REC_PA_MUTE)
			send_pa(d, 1.0f, audible(d, rq));
		drop_pending(d, tr);
		return say(rq, 0, "track %d: take cancelled", track + 1);
	}
	/* per track or global, most recent first */
	for (i = 0; i < JL_MAX_ACTIONS; i++) {
		const struct jl_action_m *a = &m->actions[i];
		if (!a->kind || (track >= 0 && a->track != track) || a->undone != redo)
			continue;
		if (best < 0 || (redo ? a->undone_seq > m->actions[best].undone_seq : a->seq > m->actions[best].seq))
			best = i;
	}
	if (best < 0)
		return say(rq, 1, "nothing to %s%s", redo ? "redo" : "undo", track >= 0 ? " on that track" : "");
	if (apply_action(d, best, !redo, audible(d, rq), what, sizeof(what)) < 0)
		return say(rq, 1, "%s", what);
	return say(rq, 0, "%s", what);
}

int jl_looper_clear(struct jl_daemon *d, struct jl_req *rq, int track)
{
	int t, a, n = 0;
	uint32_t i, need = 0;
	uint64_t at = audible(d, rq);
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_layer_m *l = &d->m->layers[i];
		need += (uint32_t)(l->id && (track < 0 || l->track == track) && l->state == JL_L_ACTIVE);
	}
	if (jl_looper_room(d, rq, need))
		return 1;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		if ((track >= 0 && t != track) || !d->m->tracks[t].used || !track_has_audio(d, t))
			continue;
		a = new_action(d, JL_A_CLEAR, t);
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_layer_m *l = &d->m->layers[i];
			if (l->id && l->track == t && l->state == JL_L_ACTIVE) {
				add_member(d, a, l->id);
				set_layer(d, l, 0, at);
			}
		}
		n++;
	}
	if (!n)
		return say(rq, 1, "nothing to clear");
	return say(rq, 0, "cleared %d track%s (undo brings %s back)", n, n == 1 ? "" : "s", n == 1 ? "it" : "them");
}

/* --- mixing ---------------------------------------------------------------- */

static uint32_t used_tracks(const struct jl_daemon *d)
{
	uint32_t t, n = 0;
	for (t = 0; t < JL_MAX_TRACKS; t++)
		n += d->m->tracks[t].used;
	return n;
}

/* Voiced, active layers of track t (all tracks if t < 0). */
static uint32_t voiced_layers(const struct jl_daemon *d, int t)
{
	uint32_t i, n = 0;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_layer_m *l = &d->m->layers[i];
		n += (uint32_t)(l->id && (t < 0 || l->track == t) && l->state == JL_L_ACTIVE && l->voice >= 0);
	}
	return n;
}

static int for_tracks(struct jl_daemon *d, struct jl_req *rq, int track, int need_audio)
{
	if (track == JL_T_SELECTED)
		track = (int)d->m->selected;
	if (track >= 0 && (!d->m->tracks[track].used || (need_audio && !track_has_audio(d, track))))
		return say(rq, 1, "track %d is empty", track + 1), -1;
	return track;
}

int jl_looper_mute(struct jl_daemon *d, struct jl_req *rq, int track, int mode)
{
	int t, first = for_tracks(d, rq, track, 0), n = 0, nm = 0;
	uint64_t at = audible(d, rq);
	if (first == -1 && track != JL_T_ALL)
		return 1;
	if (jl_looper_room(d, rq, track == JL_T_ALL ? used_tracks(d) : 1))
		return 1;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_track_m *tr = &d->m->tracks[t];
		if (!tr->used || (track != JL_T_ALL && t != first))
			continue;
		tr->muted = (uint8_t)(mode == 2 ? !tr->muted : mode);
		if (send_track(d, t, at))
			return queue_full(d, rq);
		n++;
		nm += tr->muted;
	}
	if (track != JL_T_ALL)
		return say(rq, 0, "track %d %s", first + 1, d->m->tracks[first].muted ? "muted" : "unmuted");
	if (mode == 2)
		return say(rq, 0, "%d track%s toggled: %d muted, %d unmuted", n, n == 1 ? "" : "s", nm, n - nm);
	return say(rq, 0, "%d track%s %s", n, n == 1 ? "" : "s", mode ? "muted" : "unmuted");
}

int jl_looper_gain(struct jl_daemon *d, struct jl_req *rq, int track, double db)
{
	int t = for_tracks(d, rq, track, 0);
	if (t < 0)
		return track == JL_T_ALL ? say(rq, 2, "gain takes one track") : 1;
	if (jl_looper_room(d, rq, 1))
		return 1;
	d->m->tracks[t].gain_db = (float)db;
	if (send_track(d, t, audible(d, rq)))
		return queue_full(d, rq);
	return say(rq, 0, "track %d gain %.1f dB", t + 1, db);
}

int jl_looper_pan(struct jl_daemon *d, struct jl_req *rq, int track, double pan)
{
	int t = for_tracks(d, rq, track, 0);
	if (t < 0)
		return track == JL_T_ALL ? say(rq, 2, "pan takes one track") : 1;
	if (jl_looper_room(d, rq, 1))
		return 1;
	d->m->tracks[t].pan = (float)pan;
	if (send_track(d, t, audible(d, rq)))
		return queue_full(d, rq);
	return say(rq, 0, "track %d pan %.2f", t + 1, pan);
}

int jl_looper_solo(struct jl_daemon *d, struct jl_req *rq, int track, int mode)
{
	int t = for_tracks(d, rq, track, 0), i;
	uint64_t at = audible(d, rq);
	if (t < 0)
		return track == JL_T_ALL ? say(rq, 2, "solo takes one track") : 1;
	if (jl_looper_room(d, rq, used_tracks(d)))
		return 1;
	d->m->tracks[t].soloed = (uint8_t)(mode == 2 ? !d->m->tracks[t].soloed : mode);
	for (i = 0; i < JL_MAX_TRACKS; i++)
		if (d->m->tracks[i].used && send_track(d, i, at))
			return queue_full(d, rq);
	return say(rq, 0, "track %d %s", t + 1, d->m->tracks[t].soloed ? "soloed" : "unsoloed");
}

static uint64_t next_boundary(const struct jl_daemon *d, uint64_t after)
{
	const struct jl_model *m = d->m;
	return floor_to(after, m->origin, m->cycle) + m->cycle;
}

int jl_looper_play(struct jl_daemon *d, struct jl_req *rq, int track, int sync, int top)
{
	struct jl_model *m = d->m;
	int t, n = 0;
	uint64_t at = audible(d, rq);
	uint32_t i;
	if (track == JL_T_SELECTED)
		track = (int)m->selected;
	if (track >= 0 && (!m->tracks[track].used || !track_has_audio(d, track)))
		return say(rq, 1, "track %d is empty", track + 1);
	if (!m->has_anchor)
		return say(rq, 1, "no loops yet: nothing to play");
	if (!sync && !top && !rq->scheduled) {
		/* restart at the next cycle start: a pending, cancellable trigger */
		char *words[4], tb[16];
		uint64_t b = next_boundary(d, at);
		snprintf(tb, sizeof(tb), "%d", track + 1);
		words[0] = (char *)"play";
		words[1] = (char *)"--top";
		words[2] = track == JL_T_ALL ? (char *)"all" : tb;
		words[3] = NULL;
		{
			char spec[32];
			snprintf(spec, sizeof(spec), "%llu", (unsigned long long)b);
			return jl_looper_at(d, rq, spec, JL_T_ONCE, 1, 3, words);
		}
	}
	if (jl_looper_room(d, rq, 2 * voiced_layers(d, track) + (track >= 0 ? 1 : used_tracks(d))))
		return 1;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_track_m *tr = &m->tracks[t];
		uint64_t P, shift = 0, tstart = 0;
		if (!tr->used || (track >= 0 && t != track) || !tr->stopped)
			continue;
		P = track_period(d, t);
		if (!sync && P) {
			/* the track's top lands on `at` */
			for (i = 0; i < JL_MAX_LAYERS; i++) {
				const struct jl_layer_m *l = &m->layers[i];
				if (l->id && l->track == t && l->state == JL_L_ACTIVE && (!tstart || l->seq < tstart))
					tstart = l->seq, shift = l->origin;
			}
			shift = (at >= shift ? (at - shift) % P : P - (shift - at) % P) % P;
		}
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_layer_m *l = &m->layers[i];
			if (!l->id || l->track != t || l->state != JL_L_ACTIVE || l->voice < 0)
				continue;
			if (shift) {
				l->origin += shift;
				if (send_origin(d, l, at))
					return queue_full(d, rq);
			}
			if (send_vgain(d, l->voice, layer_gain(l), sync ? ramp(d) : 0, 0, at))
				return queue_full(d, rq);
		}
		tr->stopped = 0;
		send_track(d, t, at);
		n++;
	}
	return say(rq, 0, "%d track%s playing from frame %llu", n, n == 1 ? "" : "s", (unsigned long long)at);
}

int jl_looper_stop(struct jl_daemon *d, struct jl_req *rq, int track)
{
	struct jl_model *m = d->m;
	int t, n = 0;
	uint64_t at = audible(d, rq);
	uint32_t i;
	if (track == JL_T_SELECTED)
		track = (int)m->selected;
	if (track >= 0 && (!m->tracks[track].used || !track_has_audio(d, track)))
		return say(rq, 1, "track %d is empty", track + 1);
	if (jl_looper_room(d, rq, voiced_layers(d, track)))
		return 1;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_track_m *tr = &m->tracks[t];
		if (!tr->used || (track >= 0 && t != track) || tr->stopped)
			continue;
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_layer_m *l = &m->layers[i];
			if (l->id && l->track == t && l->state == JL_L_ACTIVE && l->voice >= 0 &&
			    send_vgain(d, l->voice, 0.0f, ramp(d), 0, at))
				return queue_full(d, rq);
		}
		tr->stopped = 1;
		n++;
	}
	return say(rq, 0, "%d track%s stopped", n, n == 1 ? "" : "s");
}

int jl_looper_panic(struct jl_daemon *d, struct jl_req *rq)
{
	struct jl_model *m = d->m;
	uint32_t i, fast = (uint32_t)ms(d, 3.0);
	uint64_t at = jl_daemon_now(d); /* as soon as possible */
	int t;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &m->layers[i];
		if (l->id && l->state == JL_L_ACTIVE && l->voice >= 0)
			send_vgain(d, l->voice, 0.0f, fast, 0, at);
	}
	for (t = 0; t < JL_MAX_TRACKS; t++)
		if (m->tracks[t].used) {
			m->tracks[t].stopped = 1;
			if (m->tracks[t].rec_state != JL_REC_IDLE)
				drop_pending(d, &m->tracks[t]);
		}
	send_pa(d, 1.0f, at);
	return say(rq, 0, "panic: everything faded out (play brings tracks back)");
}

int jl_looper_layer(struct jl_daemon *d, struct jl_req *rq, int track, uint32_t number, const char *op, double db)
{
	struct jl_layer_m *l = NULL;
	uint64_t at = audible(d, rq);
	uint32_t i;
	if (track == JL_T_SELECTED)
		track = (int)d->m->selected;
	if (track < 0)
		return say(rq, 2, "layer takes one track");
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (d->m->layers[i].id && d->m->layers[i].track == track && d->m->layers[i].number == number &&
		    d->m->layers[i].state == JL_L_ACTIVE)
			l = &d->m->layers[i];
	if (!l)
		return say(rq, 1, "track %d has no layer %u", track + 1, number);
	if (jl_looper_room(d, rq, 3))
		return 1;
	if (!strcmp(op, "delete")) {
		int a = new_action(d, JL_A_DELETE, track);
		add_member(d, a, l->id);
		set_layer(d, l, 0, at);
		return say(rq, 0, "track %d layer %u deleted (undo brings it back)", track + 1, number);
	}
	if (!strcmp(op, "reverse") || !strcmp(op, "rate")) {
		/* at the next cycle when quantized, without a click: a seam-long
		 * dip around the switch */
		uint64_t t = at, S = l->seam ? l->seam : ramp(d);
		uint8_t rate = l->rate, rev = l->reverse;
		if (!strcmp(op, "reverse"))
			rev = db > 0.5;
		else
			rate = db == 2.0 ? 1 : db == 0.5 ? 2 : 0;
		if (rate == 1 && l->period % 2)
			return say(rq, 1, "this layer's period is odd: it cannot play at 2x");
		if (d->m->quantize != JL_Q_OFF && !rq->scheduled)
			t = next_boundary(d, at + S);
		l->rate = rate;
		l->reverse = rev;
		if (l->voice < 0)
			return say(rq, 0, "track %d layer %u: %s", track + 1, number, op);
		if (send_vgain(d, l->voice, 0.0f, (uint32_t)S, 0, t - S) || send_vmode(d, l->voice, rate, rev, t) ||
		    send_vgain(d, l->voice, d->m->tracks[track].stopped ? 0.0f : layer_gain(l), (uint32_t)S, 0, t))
			return queue_full(d, rq);
		json_object_set_new(rq->json, "frame", json_integer((json_int_t)t));
		return say(rq, 0, "track %d layer %u: %s %s from frame %llu", track + 1, number,
			   rate == 1 ? "2x" : rate == 2 ? "half speed" : "1x", rev ? "reversed" : "forward",
			   (unsigned long long)t);
	}
	if (!strcmp(op, "mute"))
		l->muted = 1;
	else if (!strcmp(op, "unmute"))
		l->muted = 0;
	else if (!strcmp(op, "gain"))
		l->gain = (float)db2lin(db);
	if (l->voice >= 0 && !d->m->tracks[track].stopped &&
	    send_vgain(d, l->voice, layer_gain(l), ramp(d), 0, at))
		return queue_full(d, rq);
	return say(rq, 0, "track %d layer %u: %s%s", track + 1, number, op,
		   !strcmp(op, "gain") ? " set" : "d");
}

int jl_looper_select(struct jl_daemon *d, struct jl_req *rq, const char *what)
{
	struct jl_model *m = d->m;
	int t = (int)m->selected;
	if (!strcmp(what, "next"))
		t = (t + 1) % JL_MAX_TRACKS;
	else if (!strcmp(what, "prev"))
		t = (t + JL_MAX_TRACKS - 1) % JL_MAX_TRACKS;
	else if (jl_looper_parse_track(d, what, &t) < 0 || t < 0)
		return say(rq, 2, "select next|prev|TRACK (1..%d)", JL_MAX_TRACKS);
	m->selected = (uint32_t)t;
	json_object_set_new(rq->json, "selected", json_integer(t + 1));
	return say(rq, 0, "track %d selected%s", t + 1, m->tracks[t].used ? "" : " (empty)");
}

/* --- tempo ---------------------------------------------------------------- */

#define TEMPO_MIN_BPM 20.0
#define TEMPO_MAX_BPM 400.0

/* Before the first loop: a tempo the performer gave (`how`) defines the
 * grid from frame `origin`; the click follows it. */
static int set_preset(struct jl_daemon *d, struct jl_req *rq, double bpm, uint64_t origin, const char *how)
{
	d->m->preset_bpm = bpm;
	d->m->grid_origin = origin;
	resend_click(d, audible(d, rq));
	json_object_set_new(rq->json, "bpm", json_real(bpm));
	return say(rq, 0, "tempo %.2f BPM (%s)", bpm, how);
}

int jl_looper_tempo(struct jl_daemon *d, struct jl_req *rq, double bpm)
{
	struct jl_model *m = d->m;
	if (!(bpm >= TEMPO_MIN_BPM && bpm <= TEMPO_MAX_BPM))
		return say(rq, 2, "tempo must be %g..%g BPM", TEMPO_MIN_BPM, TEMPO_MAX_BPM);
	if (m->has_anchor) {
		/* with a loop, a tempo only picks beats per cycle (DESIGN 2.6) */
		m->beats_per_cycle = jl_looper_beats_at(m->cycle, rate(d), bpm);
		resend_click(d, audible(d, rq)); /* the click, synced effects and MIDI clock count them */
		return say(rq, 0, "%u beats per cycle: %.2f BPM", m->beats_per_cycle,
			   60.0 * rate(d) * m->beats_per_cycle / (double)m->cycle);
	}
	return set_preset(d, rq, bpm, audible(d, rq), "defines the grid until the first loop");
}

/* Another metrical level, num/den times the tempo (1/2, 2, 2/3, 3/2, 1/3,
 * 3), for when the analysis counted at another level: at double or half
 * time, the quarters of a 6/8 (2/3 gives its dotted quarter) or its
 * eighths (1/3).  The loop's beats per cycle; else the preset tempo, on
 * the same grid (its bar lines stay where they are); else the tempo
 * heard, which the analysis keeps following at the new level
 * (jl_analysis_set_level(): the grid keeps the downbeat, or the latest
 * beat, and follows the music as it speeds up or slows down).  A level
 * outside the analysis's range (40..240 BPM), or one that is no metrical
 * relative of the tempo heard (2/3 of 2/3), becomes a preset on the
 * latest beat instead. */
int jl_looper_tempo_scale(struct jl_daemon *d, struct jl_req *rq, unsigned num, unsigned den)
{
	struct jl_model *m = d->m;
	struct jl_tempo t;
	uint64_t origin = m->grid_origin;
	const double f = (double)num / (double)den;
	double bpm;
	if (m->has_anchor) {
		if ((m->beats_per_cycle * num) % den) {
			if (num == 1 && den == 2)
				return say(rq, 1, "%u beats per cycle cannot be halved", m->beats_per_cycle);
			return say(rq, 1, "%u beats per cycle cannot be scaled by %u/%u", m->beats_per_cycle, num, den);
		}
		return jl_looper_tempo(d, rq, f * 60.0 * rate(d) * m->beats_per_cycle / (double)m->cycle);
	}
	if (m->preset_bpm > 0) {
		bpm = f * m->preset_bpm;
	} else {
		memset(&t, 0, sizeof(t));
		if (d->ana)
			jl_analysis_tempo(d->ana, &t);
		if (!t.known) {
			char how[32];
			if (num * 2 == den || num == den * 2)
				snprintf(how, sizeof(how), "%s", num < den ? "halve" : "double");
			else
				snprintf(how, sizeof(how), "scale by %u/%u", num, den);
			return say(rq, 1, "no tempo to %s yet: play, tap, or give one (tempo BPM)", how);
		}
		if (jl_analysis_set_level(d->ana, f) == 0) {
			jl_analysis_tempo(d->ana, &t);
			resend_click(d, audible(d, rq));
			json_object_set_new(rq->json, "bpm", json_real(t.bpm));
			return say(rq, 0, "tempo %.2f BPM: the tempo heard (%.2f at the analysis's own level), "
				   "followed at this level until the music stops", t.bpm, t.heard_bpm);
		}
		bpm = f * t.bpm;
		origin = t.beat_frame;
	}
	if (!(bpm >= TEMPO_MIN_BPM && bpm <= TEMPO_MAX_BPM))
		return say(rq, 1, "%.2f BPM is outside %g..%g BPM", bpm, TEMPO_MIN_BPM, TEMPO_MAX_BPM);
	return set_preset(d, rq, bpm, origin, "defines the grid until the first loop");
}

int jl_looper_tap(struct jl_daemon *d, struct jl_req *rq)
{
	struct jl_model *m = d->m;
	uint64_t p = heard(d, rq);
	uint32_t i;
	double sum = 0;
	if (m->n_taps && p - m->taps[(m->n_taps - 1) % 8] > 2u * rate(d))
		m->n_taps = 0; /* a pause starts a new tap sequence */
	/* faster than the fastest tempo: a bouncing switch, not a beat (so
	 * every average lies within TEMPO_MIN_BPM..TEMPO_MAX_BPM) */
	if (m->n_taps && p - m->taps[(m->n_taps - 1) % 8] < (uint64_t)(60.0 * rate(d) / TEMPO_MAX_BPM))
		return say(rq, 1, "tap ignored: %.0f ms after the last one (a bounce?)",
			   1000.0 * (double)(p - m->taps[(m->n_taps - 1) % 8]) / rate(d));
	m->taps[m->n_taps % 8] = p;
	m->n_taps++;
	if (m->n_taps < 2)
		return say(rq, 0, "tap");
	for (i = 1; i < m->n_taps && i < 8; i++)
		sum += (double)(m->taps[(m->n_taps - i) % 8] - m->taps[(m->n_taps - i - 1) % 8]);
	sum /= (double)(i - 1);
	if (m->has_anchor)
		return jl_looper_tempo(d, rq, 60.0 * rate(d) / sum);
	return set_preset(d, rq, 60.0 * rate(d) / sum, p, "tapped");
}

/* A track through its send/return ports (--sends): the audio leaves at
 * the track bus and comes back a round trip later (one period for JACK's
 * graph cycle plus what the rack reports), so the track's voices play that
 * much early and the track stays in time with the rest. */
int jl_looper_send(struct jl_daemon *d, struct jl_req *rq, int track, int on)
{
	struct jl_track_m *tr;
	struct jl_cmd c;
	uint64_t at = audible(d, rq), comp;
	uint32_t i;
	if (track == JL_T_SELECTED)
		track = (int)d->m->selected;
	if (track < 0 || (uint32_t)track >= atomic_load(&d->shm.rt->n_sends))
		return say(rq, 1, "track %d has no send/return ports (jackloop --sends %d)", track + 1, track + 1);
	tr = &d->m->tracks[track];
	if (!tr->used)
		init_track(d, track);
	comp = on ? jl_daemon_period(d) + atomic_load(&d->shm.rt->lat_return[track]) : 0;
	tr->send_on = (uint32_t)on;
	tr->send_comp = comp;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		if (!l->id || l->track != track || l->voice < 0)
			continue;
		if (send_origin(d, l, at))
			return queue_full(d, rq);
	}
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_SEND;
	c.target = at;
	c.p.u[0] = (uint64_t)track;
	c.p.u[1] = (uint64_t)on;
	if (push(d, &c))
		return queue_full(d, rq);
	json_object_set_new(rq->json, "compensation_frames", json_integer((json_int_t)comp));
	return say(rq, 0, "track %d %s (round trip %llu frames, compensated)", track + 1,
		   on ? "goes through send_/return_ ports" : "no longer goes through its rack", (unsigned long long)comp);
}

int jl_looper_quantize(struct jl_daemon *d, struct jl_req *rq, const char *mode)
{
	int q;
	if (!mode) {
		json_object_set_new(rq->json, "quantize", json_string(jl_looper_quant_name(d->m->quantize)));
		return say(rq, 0, "quantize %s", jl_looper_quant_name(d->m->quantize));
	}
	q = jl_looper_parse_quant(mode);
	if (q < 0)
		return say(rq, 2, "quantize off|cycle|bar|beat|onset");
	d->m->quantize = (uint8_t)q;
	return say(rq, 0, "quantize %s", mode);
}

/* Beats per bar: bar quantization, record and capture --bars, count-in,
 * the click's accent and the analysis's bar phase. */
int jl_looper_meter(struct jl_daemon *d, struct jl_req *rq, const char *arg)
{
	struct jl_model *m = d->m;
	uint32_t n;
	if (arg) {
		if (jl_parse_u32(arg, 1, JL_ANALYSIS_MAX_PER_BAR, &n))
			return say(rq, 2, "meter takes beats per bar, 1..%d", JL_ANALYSIS_MAX_PER_BAR);
		m->beats_per_bar = n;
		if (d->ana)
			jl_analysis_set_meter(d->ana, n); /* the bar phase, read again now */
		resend_click(d, jl_daemon_now(d)); /* its accent moves with the bar */
	}
	n = m->beats_per_bar ? m->beats_per_bar : 4;
	json_object_set_new(rq->json, "beats_per_bar", json_integer(n));
	if (m->has_anchor && m->beats_per_cycle % n)
		return say(rq, 0, "meter %u beats per bar (the loop's %u beats are not whole bars of %u)", n,
			   m->beats_per_cycle, n);
	return say(rq, 0, "meter %u beats per bar", n);
}

/* The performer names the one: the beat nearest the press is a downbeat
 * of the grid before the first loop (a preset tempo's grid moves to it;
 * the detected tempo's bar phase takes it, jl_analysis_set_downbeat()).
 * With a loop, its own bars rule. */
int jl_looper_downbeat(struct jl_daemon *d, struct jl_req *rq)
{
	struct jl_model *m = d->m;
	struct jl_grid gr;
	uint64_t h = heard(d, rq) + comp_latency(d, &m->tracks[m->selected]), b0, b1, b;
	if (m->has_anchor)
		return say(rq, 1, "the loop's bars rule: its cycle starts on the one");
	if (jl_looper_grid(d, &gr) < 0)
		return say(rq, 1, "no tempo yet: play a little longer, tap, or set tempo");
	b0 = jl_grid_line(&gr, 1, h, 0);
	b1 = jl_grid_line(&gr, 1, h, 1);
	b = h - b0 <= b1 - h ? b0 : b1;
	if (m->preset_bpm > 0) {
		m->grid_origin = b;
		resend_click(d, jl_daemon_now(d));
	} else if (!d->ana || jl_analysis_set_downbeat(d->ana, b) < 0) {
		return say(rq, 1, "no tempo yet: play a little longer, tap, or set tempo");
	}
	json_object_set_new(rq->json, "downbeat", json_integer((json_int_t)b));
	return say(rq, 0, "the one: frame %llu (bars of %u from there)", (unsigned long long)b, gr.per_bar);
}

/* --- triggers (DESIGN 4.5) -------------------------------------------------- */

/* A trigger's command as a line to read: its words with blanks between,
 * a word with a blank in it (or none at all) in quotes. */
static const char *trigger_text(const struct jl_trigger_m *t, char *buf, size_t n)
{
	const char *w = t->cmd;
	size_t o = 0;
	buf[0] = 0;
	while (o + 1 < n) {
		const char *e = strchr(w, JL_TRIGGER_SEP);
		size_t wl = e ? (size_t)(e - w) : strlen(w);
		int q = wl == 0 || memchr(w, ' ', wl) != NULL;
		int k = snprintf(buf + o, n - o, "%s%s%.*s%s", o ? " " : "", q ? "'" : "", (int)wl, w, q ? "'" : "");
		if (k < 0 || (size_t)k >= n - o)
			break;
		o += (size_t)k;
		if (!e)
			break;
		w = e + 1;
	}
	return buf;
}

int jl_looper_at(struct jl_daemon *d, struct jl_req *rq, const char *spec, int mode, uint32_t count, int argc,
		 char **words)
{
	char text[2 * JL_TRIGGER_CMD];
	struct jl_model *m = d->m;
	struct jl_trigger_m *tg = NULL;
	uint64_t now = jl_daemon_now(d), f, period = m->has_anchor ? m->cycle : 0;
	size_t len = 0;
	int i;
	if (!strcmp(spec, "next-cycle") || !strcmp(spec, "next-bar")) {
		/* the next line after the next period: of the loop's cycles or
		 * bars, or of the preset tempo's beats or bars (the click's grid) */
		struct jl_grid gr;
		int bar = !strcmp(spec, "next-bar");
		if (m->has_anchor) {
			jl_looper_grid(d, &gr);
			f = bar && gr.beats > gr.per_bar ? jl_grid_line(&gr, gr.per_bar, now + jl_daemon_period(d), 1)
							  : next_boundary(d, now + jl_daemon_period(d));
		} else if (m->preset_bpm > 0) {
			jl_looper_grid(d, &gr);
			f = jl_grid_line(&gr, bar ? gr.per_bar : 1, now + jl_daemon_period(d), 1);
			period = bar ? gr.span : (uint64_t)llround((double)gr.span / gr.beats);
		} else {
			return say(rq, 1, "%s needs a loop or a tempo", spec);
		}
	} else {
		if (jl_parse_u64(spec, &f) < 0)
			return say(rq, 2, "at next-cycle|next-bar|FRAME [--every-cycle|--count N] COMMAND... "
					  "('%s' is not a frame number)", spec);
		if (f > now + (uint64_t)rate(d) * TRIGGER_MAX_AHEAD_S)
			return say(rq, 2, "at: frame %llu is more than %d hours ahead (now %llu)", (unsigned long long)f,
				   TRIGGER_MAX_AHEAD_S / 3600, (unsigned long long)now);
	}
	if ((mode == JL_T_EVERY_CYCLE || mode == JL_T_COUNT) && !period)
		return say(rq, 1, "repeating triggers need a loop (the cycle) or a tempo");
	if ((mode == JL_T_EVERY_CYCLE || mode == JL_T_COUNT) && f < now)
		f += ((now - f) / period + 1) * period; /* the first repeat still ahead, in phase */
	if (argc < 1 || !jl_command_find(words[0]))
		return say(rq, 2, "at: unknown command '%s'", argc ? words[0] : "");
	{
		/* what can be checked now is: a command that would only fail
		 * when it fires is refused here */
		const struct jl_command *c = jl_command_find(words[0]);
		int paths = !strcmp(words[0], "save") || !strcmp(words[0], "load") || !strcmp(words[0], "import") ||
			    !strcmp(words[0], "midi-map");
		if (argc - 1 < c->min_args || (c->max_args >= 0 && argc - 1 > c->max_args))
			return say(rq, 2, "at: usage: %s %s", c->name, c->synopsis);
		for (i = 1; i < argc; i++) {
			if (strchr(words[i], JL_TRIGGER_SEP))
				return say(rq, 2, "at: an argument holds a control character");
			if (paths && words[i][0] != '-' && words[i][0] != '/' && strcmp(words[i], "default") &&
			    (i == 1 || words[i - 1][0] != '-' || !strcmp(words[i - 1], "--force") ||
			     !strcmp(words[i - 1], "--stretch") || !strcmp(words[i - 1], "--now")))
				return say(rq, 2, "at: '%s' is a relative path; the daemon needs an absolute one", words[i]);
		}
	}
	for (i = 0; i < JL_MAX_TRIGGERS; i++)
		if (!m->triggers[i].id) {
			tg = &m->triggers[i];
			break;
		}
	if (!tg)
		return say(rq, 1, "too many pending triggers (%d)", JL_MAX_TRIGGERS);
	memset(tg, 0, sizeof(*tg));
	for (i = 0; i < argc; i++) {
		size_t wl = strlen(words[i]);
		if (len + wl + 2 > sizeof(tg->cmd))
			return say(rq, 2, "at: the command is too long");
		memcpy(tg->cmd + len, words[i], wl);
		len += wl;
		tg->cmd[len++] = i + 1 < argc ? JL_TRIGGER_SEP : 0; /* words may hold blanks */
	}
	tg->id = m->next_trigger_id = m->next_trigger_id + 1 ? m->next_trigger_id + 1 : 1;
	tg->mode = (uint8_t)mode;
	tg->remaining = mode == JL_T_COUNT ? count : 1;
	tg->frame = f;
	tg->period = period;
	json_object_set_new(rq->json, "trigger", json_integer(tg->id));
	json_object_set_new(rq->json, "frame", json_integer((json_int_t)f));
	return say(rq, 0, "trigger %u: '%s' at frame %llu%s", tg->id, trigger_text(tg, text, sizeof(text)), (unsigned long long)f,
		   mode == JL_T_EVERY_CYCLE ? ", then every cycle" : mode == JL_T_COUNT ? " (counting)" : "");
}

int jl_looper_triggers(struct jl_daemon *d, struct jl_req *rq)
{
	char text[2 * JL_TRIGGER_CMD];
	json_t *arr = json_array();
	char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
	uint32_t i;
	p += snprintf(p, (size_t)(e - p), "pending triggers:");
	for (i = 0; i < JL_MAX_TRIGGERS; i++) {
		const struct jl_trigger_m *t = &d->m->triggers[i];
		if (!t->id)
			continue;
		json_array_append_new(arr, json_pack("{s:i,s:I,s:s,s:s,s:i}", "id", t->id, "frame",
						     (json_int_t)t->frame, "command", trigger_text(t, text, sizeof(text)), "mode",
						     t->mode == JL_T_ONCE ? "once" : t->mode == JL_T_EVERY_CYCLE ? "every-cycle" : "count",
						     "remaining", t->remaining));
		if (p < e)
			p += snprintf(p, (size_t)(e - p), "\n  %u: frame %llu: %s", t->id, (unsigned long long)t->frame,
				      trigger_text(t, text, sizeof(text)));
	}
	if (!json_array_size(arr) && p < e)
		snprintf(p, (size_t)(e - p), " none");
	json_object_set_new(rq->json, "triggers", arr);
	return 0;
}

int jl_looper_cancel(struct jl_daemon *d, struct jl_req *rq, uint32_t id)
{
	uint32_t i, k;
	for (i = 0; i < JL_MAX_TRIGGERS; i++) {
		struct jl_trigger_m *t = &d->m->triggers[i];
		if (t->id != id || !id)
			continue;
		/* also withdraw RT commands already pushed for it */
		for (k = 0; k < t->n_rt; k++) {
			struct jl_cmd c;
			memset(&c, 0, sizeof(c));
			c.type = JL_CMD_CANCEL;
			c.flags = JL_CMDF_IMMEDIATE;
			c.p.u[0] = t->rt_ids[k];
			jl_daemon_push(d, &c);
		}
		memset(t, 0, sizeof(*t));
		return say(rq, 0, "trigger %u cancelled", id);
	}
	return say(rq, 1, "no pending trigger %u (see: loopctl triggers)", id);
}

static void fire_triggers(struct jl_daemon *d)
{
	uint64_t now = jl_daemon_now(d), horizon = ms(d, TRIGGER_HORIZON_MS) + 2 * jl_daemon_period(d);
	uint32_t i;
	for (i = 0; i < JL_MAX_TRIGGERS; i++) {
		struct jl_trigger_m *t = &d->m->triggers[i];
		char buf[JL_TRIGGER_CMD], *words[24], *w, text[2 * JL_TRIGGER_CMD];
		struct jl_req rq;
		int argc = 0, rc;
		if (!t->id)
			continue;
		if (t->fired) {
			/* pushed: forget the RT ids once they are due */
			if (now > t->frame + jl_daemon_period(d)) {
				if (t->mode == JL_T_ONCE || t->remaining == 0)
					memset(t, 0, sizeof(*t));
				else {
					t->fired = 0;
					t->n_rt = 0;
					t->frame += t->period;
					if (t->frame <= now) /* a stall, or a start in the past: */
						t->frame += ((now - t->frame) / t->period + 1) * t->period; /* once, in phase */
				}
			}
			continue;
		}
		if (t->frame > now + horizon)
			continue;
		snprintf(buf, sizeof(buf), "%s", t->cmd);
		for (w = buf; w && argc < 23; ) { /* empty words too */
			char *e = strchr(w, JL_TRIGGER_SEP);
			words[argc++] = w;
			if (e)
				*e++ = 0;
			w = e;
		}
		words[argc] = NULL;
		memset(&rq, 0, sizeof(rq));
		rq.scheduled = 1;
		rq.at = t->frame;
		rq.json = json_object();
		d->capture = t;
		rc = jl_daemon_run(d, &rq, argc, words);
		d->capture = NULL;
		json_decref(rq.json);
		if (rc && rc != JL_RC_DEFERRED) /* a deferred answer is logged when it comes */
			fprintf(stderr, "loopctl: trigger %u '%s': %s\n", t->id, trigger_text(t, text, sizeof(text)), rq.msg);
		if (t->mode != JL_T_EVERY_CYCLE && t->remaining)
			t->remaining--;
		t->fired = 1;
	}
}

/* --- sessions (session.c does the files) ------------------------------------ */

int jl_looper_layer_audio(struct jl_daemon *d, uint32_t id, float *dst, uint64_t from, uint64_t n)
{
	const struct jl_layer_m *l = layer_by_id(d, id);
	uint64_t k, H = hist_len(d);
	uint32_t c;
	if (!l || (l->state != JL_L_ACTIVE && l->state != JL_L_UNDONE) || from + n > l->data_len)
		return -1;
	dst += from * l->channels;
	if (l->region >= 0 && (l->copy_state == JL_C_DONE || l->copy_state == JL_C_SWITCHING ||
			       l->stride != l->data_len)) {
		const float *src = d->pool + d->m->regions[l->region].off + l->data_off;
		if (l->stride != l->data_len && l->copy_state == JL_C_COPYING && l->copied < from + n)
			return -1; /* a long take still being copied while it records */
		for (c = 0; c < l->channels; c++)
			for (k = 0; k < n; k++)
				dst[k * l->channels + c] = src[(uint64_t)c * l->stride + from + k];
		return 0;
	}
	if (l->copy_state != JL_C_COPYING || l->hist_start + from < oldest(d) ||
	    l->hist_start + from + n > head_now(d))
		return -1;
	for (c = 0; c < l->channels; c++) {
		const float *ring = d->shm.hist + (uint64_t)l->in[c] * H;
		for (k = 0; k < n; k++)
			dst[k * l->channels + c] = ring[(l->hist_start + from + k) % H];
	}
	return l->hist_start + from < oldest(d) ? -1 : 0; /* the ring passed it while we read */
}

/* Frees every layer and the undo log (a loaded session replaces them). */
static void drop_all_layers(struct jl_daemon *d)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		if (!l->id)
			continue;
		free_region(d, l);
		memset(l, 0, sizeof(*l));
		l->voice = -1;
		l->region = -1;
	}
	memset(d->m->actions, 0, sizeof(d->m->actions));
	memset(d->m->members, 0, sizeof(d->m->members));
}

/* No loops, no take: the only state a session loads into. */
static int looper_empty(struct jl_daemon *d, struct jl_req *rq)
{
	int t;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		const struct jl_track_m *tr = &d->m->tracks[t];
		if (tr->used && (track_has_audio(d, t) || tr->rec_state != JL_REC_IDLE))
			return say(rq, 1, "track %d has loops or a take: a session loads into an empty looper "
				   "('clear all' first; the loaded session replaces the undo history)", t + 1);
	}
	return 0;
}

int jl_looper_load_start_more(struct jl_daemon *d, struct jl_session *s)
{
	uint64_t at = jl_daemon_now(d) + 2 * jl_daemon_period(d);
	int n = 0;
	if (at < s->start_at)
		at = s->start_at; /* the first batch: together on the cycle start */
	while (s->next_start < s->n_layers && n < LOAD_BATCH) {
		struct jl_layer_m *l = layer_by_id(d, s->layers[s->next_start].id);
		/* from its start, or joining later at its phase with a fade-in
		 * (at half speed, half a voice period in is mid-loop too) */
		if (l && l->state == JL_L_ACTIVE &&
		    start_layer(d, l, at, (at - l->origin) % jl_sess_phase_period(l->period, l->rate) ? ramp(d) : 0) ==
			    -EAGAIN)
			break; /* the queue is full: this one and the rest on the next tick */
		s->next_start++;
		n++;
	}
	return s->n_layers - s->next_start;
}

void jl_looper_load_abort(struct jl_daemon *d, struct jl_session *s)
{
	int k;
	for (k = 0; k < s->n_layers; k++) {
		struct jl_sess_layer *sl = &s->layers[k];
		if (sl->region >= 0 && d->m->regions[sl->region].layer == (JL_LOADING_OWNER | (uint32_t)k))
			jl_looper_pool_free(d, sl->region);
		sl->region = -1;
	}
}

/* Reserves a region per layer of a load, owned by the load until its
 * layers exist (a daemon that dies meanwhile frees them when the next one
 * starts).  Returns -1, or the index of the first layer that did not fit
 * (the regions reserved before it are left to the caller). */
static int reserve_load(struct jl_daemon *d, struct jl_session *s)
{
	int k;
	for (k = 0; k < s->n_layers; k++) {
		struct jl_sess_layer *sl = &s->layers[k];
		sl->region = try_alloc(d, sl->data_len * sl->channels, JL_LOADING_OWNER | (uint32_t)k);
		if (sl->region < 0)
			return k;
		sl->pool_off = d->m->regions[sl->region].off;
	}
	return -1;
}

/* The region table and the layers as they were before load_prepare
 * reserved anything, put back when it fails (the daemon's thread only). */
static struct jl_region_m load_saved_regions[JL_MAX_LAYERS];
static struct jl_layer_m load_saved_layers[JL_MAX_LAYERS];

int jl_looper_load_prepare(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s)
{
	struct jl_model *m = d->m;
	uint64_t need = 0, other = 0;
	uint32_t i, nv = d->shm.hdr->geom.max_voices, free_v = 0;
	int k;
	for (k = 0; k < s->n_layers; k++)
		s->layers[k].region = -1;
	if (s->sample_rate != rate(d))
		return say(rq, 1, "the session was recorded at %u Hz and JACK runs at %u Hz: not loaded "
			   "(restart JACK at %u Hz)", s->sample_rate, rate(d), s->sample_rate);
	if (looper_empty(d, rq))
		return 1;
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (m->layers[i].id && m->layers[i].voice >= 0)
			return JL_SESSION_WAIT; /* a cleared layer still fading out reads its region */
	/* what it needs: pool space (besides the effects' regions) and voices */
	for (k = 0; k < s->n_layers; k++)
		need += ((s->layers[k].data_len * s->layers[k].channels + 15) & ~(uint64_t)15);
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		const struct jl_region_m *r = &m->regions[i];
		if (r->layer && !layer_by_id(d, r->layer))
			other += r->len + 16;
	}
	if (need + other > d->pool_floats)
		return say(rq, 1, "the session needs %.1f MB of pool and %.1f MB are free: not loaded "
			   "(start jackloop with a larger --pool-mb)", (double)need * sizeof(float) / 1048576.0,
			   (double)(d->pool_floats - (other < d->pool_floats ? other : d->pool_floats)) * sizeof(float) /
				   1048576.0);
	for (i = 0; i < nv; i++)
		free_v += atomic_load(&d->shm.voice[i].state) == JL_VOICE_OFF;
	if ((uint32_t)s->n_layers > free_v || s->n_layers > JL_MAX_LAYERS)
		return say(rq, 1, "the session has %d layers and %u voices are free: not loaded "
			   "(start jackloop with a larger --max-voices)", s->n_layers, free_v);
	/* The regions: beside the cleared layers if they fit, so their undo
	 * history stays until load_finish's last check has passed (a refused
	 * load leaves them to undo). */
	memcpy(load_saved_regions, m->regions, sizeof(m->regions));
	if (reserve_load(d, s) < 0)
		return 0;
	/* Their space is needed: the regions are tried in it, and the cleared
	 * layers and the undo log go now, unless the regions do not fit even
	 * so (a fragmented pool): then everything is put back as it was. */
	memcpy(m->regions, load_saved_regions, sizeof(m->regions));
	memcpy(load_saved_layers, m->layers, sizeof(m->layers));
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (m->layers[i].id)
			free_region(d, &m->layers[i]);
	if ((k = reserve_load(d, s)) >= 0) {
		memcpy(m->regions, load_saved_regions, sizeof(m->regions));
		memcpy(m->layers, load_saved_layers, sizeof(m->layers));
		for (i = 0; i < (uint32_t)s->n_layers; i++)
			s->layers[i].region = -1;
		return say(rq, 1, "the pool is too fragmented for track %d layer %u: not loaded "
			   "(start jackloop with a larger --pool-mb; the cleared loops can still be undone)",
			   s->layers[k].track + 1, s->layers[k].number);
	}
	for (i = 0; i < JL_MAX_LAYERS; i++)
		s->dropped += m->layers[i].id != 0;
	drop_all_layers(d); /* their regions are free already */
	return 0;
}

/* A layer made from frames already in its pool region (a loaded or
 * imported layer): its geometry and settings from sl, the region its own. */
static void adopt_layer(struct jl_daemon *d, struct jl_layer_m *l, struct jl_sess_layer *sl, int t)
{
	struct jl_model *m = d->m;
	const struct jl_track_m *tr = &m->tracks[t];
	memset(l, 0, sizeof(*l));
	if (++m->next_layer_id == 0)
		m->next_layer_id = 1;
	l->id = m->next_layer_id;
	l->region = sl->region;
	m->regions[sl->region].layer = l->id; /* the layer owns it now */
	sl->region = -1;
	l->track = (uint16_t)t;
	l->state = JL_L_ACTIVE;
	l->channels = sl->channels;
	l->in[0] = tr->in[0];
	l->in[1] = tr->in[1];
	l->voice = -1;
	l->gain = sl->gain;
	l->muted = sl->muted;
	l->rate = sl->rate;
	l->reverse = sl->reverse;
	l->seam = (uint32_t)sl->seam;
	l->seam_mode = sl->seam_mode;
	l->head = sl->head;
	l->body = sl->body;
	l->period = sl->period;
	l->data_len = sl->data_len;
	l->stride = sl->data_len;
	l->copy_state = JL_C_DONE;
	l->copied = sl->data_len;
	l->src_gen = 1;
}

int jl_looper_load_finish(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s)
{
	struct jl_model *m = d->m;
	uint64_t start;
	uint32_t i, n_in = d->shm.hdr->geom.n_inputs, cancelled = 0;
	int k, clamped = 0;
	char conv[40];
	if (looper_empty(d, rq)) { /* a take was recorded while the files were read */
		jl_looper_load_abort(d, s);
		return 1;
	}
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (m->layers[i].id && m->layers[i].voice >= 0) { /* recorded and undone meanwhile: still fading */
			jl_looper_load_abort(d, s);
			return say(rq, 1, "a take was recorded and undone while the session was read: not loaded "
				   "(load it again)");
		}
	/* The point of no return: the cleared layers (if load_prepare kept
	 * them) and the undo log go. */
	for (i = 0; i < JL_MAX_LAYERS; i++)
		s->dropped += m->layers[i].id != 0;
	drop_all_layers(d);
	/* Pending triggers were scheduled on the old cycle: cancelled. */
	for (i = 0; i < JL_MAX_TRIGGERS; i++)
		if (m->triggers[i].id) {
			struct jl_req tmp;
			memset(&tmp, 0, sizeof(tmp));
			jl_looper_cancel(d, &tmp, m->triggers[i].id);
			cancelled++;
		}
	/* One cycle start for all: a little after the next period, so every
	 * voice's commands are queued before it. */
	start = audible(d, rq) + 2 * jl_daemon_period(d);
	m->has_anchor = 1;
	m->cycle = s->cycle;
	m->origin = start;
	m->beats_per_cycle = s->beats_per_cycle;
	m->beats_per_bar = s->beats_per_bar;
	m->preset_bpm = 0;
	m->n_taps = 0;
	if (s->quantize)
		m->quantize = (uint8_t)s->quantize;
	for (k = 0; k < s->n_tracks; k++) {
		const struct jl_sess_track *st = &s->tracks[k];
		struct jl_track_m *tr = &m->tracks[st->track];
		init_track(d, st->track);
		tr->channels = st->channels;
		for (i = 0; i < 2; i++) {
			tr->in[i] = st->in[i] < n_in ? st->in[i] : (uint16_t)(n_in - 1);
			clamped |= st->in[i] >= n_in;
		}
		tr->gain_db = st->gain_db;
		tr->pan = st->pan;
		tr->muted = st->muted;
		tr->soloed = st->soloed;
		tr->stopped = st->stopped;
	}
	for (k = 0, i = 0; k < s->n_layers; k++) {
		struct jl_sess_layer *sl = &s->layers[k];
		struct jl_track_m *tr = &m->tracks[sl->track];
		struct jl_layer_m *l;
		while (i < JL_MAX_LAYERS && m->layers[i].id)
			i++; /* free slots (prepare dropped the old layers; checked: n_layers <= voices) */
		l = &m->layers[i++];
		adopt_layer(d, l, sl, sl->track);
		/* its phase against the anchor, with its origin at or before the start */
		{ /* modulo 2 * period at half speed: the voice's own period */
			uint64_t vp = jl_sess_phase_period(sl->period, sl->rate);
			l->origin = start >= vp ? start - (vp - sl->phase) % vp : start + sl->phase;
		}
		l->seq = ++m->seq;
		l->number = sl->number;
		if (tr->layers_made < sl->number)
			tr->layers_made = sl->number;
		sl->id = l->id;
	}
	/* the voices: a batch now, together on the cycle start, the rest
	 * over the next ticks (load_start_more) */
	s->start_at = start;
	s->next_start = 0;
	jl_looper_load_start_more(d, s);
	for (k = 0; k < s->n_tracks; k++)
		send_track(d, s->tracks[k].track, start);
	resend_click(d, jl_daemon_now(d));
	json_object_set_new(rq->json, "starts_at", json_integer((json_int_t)start));
	json_object_set_new(rq->json, "tracks", json_integer(s->n_tracks));
	json_object_set_new(rq->json, "layers", json_integer(s->n_layers));
	json_object_set_new(rq->json, "dropped_layers", json_integer(s->dropped));
	json_object_set_new(rq->json, "cancelled_triggers", json_integer(cancelled));
	if (s->converted_from)
		json_object_set_new(rq->json, "converted_from_rate", json_integer(s->converted_from));
	snprintf(conv, sizeof(conv), " (converted from %u Hz)", s->converted_from);
	return say(rq, 0, "loaded %d track%s, %d layer%s%s: cycle %.3f s, %u beats; plays from frame %llu%s%s%s",
		   s->n_tracks, s->n_tracks == 1 ? "" : "s", s->n_layers, s->n_layers == 1 ? "" : "s",
		   s->converted_from ? conv : "", (double)s->cycle / rate(d), s->beats_per_cycle,
		   (unsigned long long)start, s->dropped ? "; the old session's undo history was dropped" : "",
		   cancelled ? "; pending triggers (on the old cycle) were cancelled" : "",
		   clamped ? "; inputs this jackloop does not have were moved to its last input" : "");
}

/* --- import (`loopctl import FILE`) ------------------------------------------ */

int jl_looper_import_plan(struct jl_daemon *d, struct jl_req *rq, struct jl_import *im)
{
	struct jl_model *m = d->m;
	if (im->track >= 0) {
		const struct jl_track_m *tr = &m->tracks[im->track];
		if (tr->used && tr->rec_state != JL_REC_IDLE)
			return say(rq, 1, "track %d is recording a take: not imported", im->track + 1);
		im->channels = tr->used ? tr->channels : 0;
	} else if (find_new_track(d) < 0) {
		return say(rq, 1, "all %d tracks are in use: not imported", JL_MAX_TRACKS);
	}
	im->anchored = m->has_anchor;
	im->cycle = m->has_anchor ? m->cycle : 0;
	im->preset_bpm = m->preset_bpm;
	im->fade = ms(d, d->cfg.seam_ms);
	if (!im->anchored && im->cycles)
		return say(rq, 2, "--cycles fits the file to the loop's cycle, and there is no loop yet "
			   "(the first import defines the cycle)");
	if (!im->anchored && im->now)
		return say(rq, 2, "--now joins the loops at their phase, and there is no loop yet "
			   "(the first import starts a few periods ahead)");
	if (!im->anchored && im->stretch)
		return say(rq, 2, "--stretch fits the file to the loop's cycle, and there is no loop yet "
			   "(the first import defines the cycle)");
	if (im->anchored && im->beats)
		return say(rq, 2, "--beats counts a first loop; this cycle has %u beats ('tempo BPM' changes them)",
			   m->beats_per_cycle);
	return 0;
}

/* The looper an import was planned for: the same cycle, the track free. */
static int import_still_fits(struct jl_daemon *d, struct jl_req *rq, const struct jl_import *im)
{
	const struct jl_model *m = d->m;
	if (m->has_anchor != im->anchored || (m->has_anchor && m->cycle != im->cycle))
		return say(rq, 1, "the cycle changed while the file was read (a first loop was recorded or a "
			   "session loaded): not imported; import it again");
	if (im->track >= 0 && m->tracks[im->track].used && m->tracks[im->track].rec_state != JL_REC_IDLE)
		return say(rq, 1, "track %d started a take while the file was read: not imported", im->track + 1);
	if (im->track >= 0 && m->tracks[im->track].used && im->channels &&
	    m->tracks[im->track].channels != im->channels)
		return say(rq, 1, "track %d changed its channels while the file was read: not imported",
			   im->track + 1);
	if (im->track < 0 && find_new_track(d) < 0)
		return say(rq, 1, "all %d tracks are in use: not imported", JL_MAX_TRACKS);
	return 0;
}

int jl_looper_import_prepare(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s, const struct jl_import *im)
{
	struct jl_sess_layer *sl = &s->layers[0];
	uint32_t i, evicted = 0;
	int v;
	sl->region = -1;
	if (import_still_fits(d, rq, im))
		return 1;
	for (i = 0; i < JL_MAX_LAYERS && d->m->layers[i].id; i++)
		;
	if (i == JL_MAX_LAYERS)
		return say(rq, 1, "too many layers (%d): not imported", JL_MAX_LAYERS);
	for (v = 0, i = 0; i < d->shm.hdr->geom.max_voices; i++)
		v += voice_free(d, i);
	if (!v)
		return say(rq, 1, "no free voice: all %u voices are in use (jackloop --max-voices): not imported",
			   d->shm.hdr->geom.max_voices);
	sl->region = reserve(d, rq, sl->data_len * sl->channels, JL_LOADING_OWNER, &evicted);
	if (sl->region < 0)
		return say(rq, 1, "pool full (%.1f MB needed, %llu MB in use): not imported (clear loops, or start "
			   "jackloop with a larger --pool-mb)", (double)(sl->data_len * sl->channels * sizeof(float)) / 1048576.0,
			   (unsigned long long)(pool_used(d) * sizeof(float) >> 20));
	sl->pool_off = d->m->regions[sl->region].off;
	s->dropped = evicted;
	return 0;
}

int jl_looper_import_finish(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s, const struct jl_import *im)
{
	struct jl_model *m = d->m;
	struct jl_sess_layer *sl = &s->layers[0];
	struct jl_track_m *tr;
	struct jl_layer_m *l = NULL;
	uint64_t start = audible(d, rq) + 2 * jl_daemon_period(d), origin;
	uint32_t i;
	int t = im->track, voice, a, new_track;
	char conv[40], fit[160], how[40];
	if (import_still_fits(d, rq, im)) {
		jl_looper_load_abort(d, s);
		return 1;
	}
	for (i = 0; i < JL_MAX_LAYERS; i++)
		if (!m->layers[i].id) {
			l = &m->layers[i];
			break;
		}
	voice = alloc_voice(d);
	if (!l || voice < 0) {
		jl_looper_load_abort(d, s);
		return say(rq, 1, "%s: not imported", !l ? "too many layers" : "no free voice");
	}
	if (t < 0)
		t = find_new_track(d);
	tr = &m->tracks[t];
	new_track = !tr->used;
	if (new_track) {
		init_track(d, t);
		tr->channels = sl->channels;
		if (tr->channels == 1)
			tr->in[1] = tr->in[0];
	}
	/* frame 0 of the file on a cycle start (beat 1): the next one, or with
	 * --now the last one, joined at the phase it has reached (a fade-in) */
	origin = start;
	if (m->has_anchor && !im->now)
		origin = start = floor_to(start + m->cycle - 1, m->origin, m->cycle);
	else if (m->has_anchor)
		origin = floor_to(start, m->origin, m->cycle);
	adopt_layer(d, l, sl, t); /* whole cycles, no seam: the file's frames as they are */
	l->voice = voice;
	l->origin = origin;
	l->seq = ++m->seq;
	l->number = tr->layers_made + 1;
	a = start_layer(d, l, start, start != origin ? ramp(d) : 0);
	if (a < 0) { /* nothing changes: no layer, no new track, no anchor */
		free_region(d, l);
		memset(l, 0, sizeof(*l));
		l->voice = -1;
		l->region = -1;
		if (new_track)
			tr->used = 0;
		return a == -EAGAIN ? queue_full(d, rq) : say(rq, 1, "the layer could not start: not imported");
	}
	tr->layers_made++;
	if (!m->has_anchor) { /* the first loop defines the cycle */
		m->has_anchor = 1;
		m->cycle = sl->period;
		m->origin = start;
		m->beats_per_cycle = s->beats_per_cycle;
		if (!m->beats_per_bar)
			m->beats_per_bar = 4;
		m->preset_bpm = 0;
		m->n_taps = 0;
	}
	a = new_action(d, JL_A_TAKE, t);
	add_member(d, a, l->id);
	if (!tr->stopped)
		send_track(d, t, start);
	if (!im->fitted)
		resend_click(d, jl_daemon_now(d)); /* the click follows the new loop's beats */
	json_object_set_new(rq->json, "track", json_integer(t + 1));
	json_object_set_new(rq->json, "layer", json_integer(l->number));
	json_object_set_new(rq->json, "starts_at", json_integer((json_int_t)start));
	json_object_set_new(rq->json, "origin", json_integer((json_int_t)origin));
	json_object_set_new(rq->json, "period", json_integer((json_int_t)l->period));
	json_object_set_new(rq->json, "cycles", json_integer((json_int_t)(l->period / m->cycle)));
	json_object_set_new(rq->json, "beats_per_cycle", json_integer(m->beats_per_cycle));
	json_object_set_new(rq->json, "evicted", json_integer(s->dropped));
	json_object_set_new(rq->json, "file_frames", json_integer((json_int_t)im->frames));
	json_object_set_new(rq->json, "fit", json_string(!im->fitted		  ? "first loop"
							 : im->stretch && im->frames != l->period ? "stretched"
							 : im->frames > l->period ? "cut"
							 : im->frames < l->period ? "padded"
										  : "exact"));
	if (!im->fitted)
		json_object_set_new(rq->json, "beats_from", json_string(im->beats_from));
	if (s->converted_from)
		json_object_set_new(rq->json, "converted_from_rate", json_integer(s->converted_from));
	snprintf(conv, sizeof(conv), ", converted from %u Hz", s->converted_from);
	if (im->frames == l->period)
		how[0] = 0;
	else if (im->stretch)
		snprintf(how, sizeof(how), ", stretched x%.4f", (double)l->period / (double)im->frames);
	else
		snprintf(how, sizeof(how), im->frames > l->period ? ", cut" : ", padded");
	if (im->fitted)
		snprintf(fit, sizeof(fit), "%u cycle%s (the file: %.3f s%s%s)", im->fitted, im->fitted == 1 ? "" : "s",
			 (double)im->frames / rate(d), how, s->converted_from ? conv : "");
	else
		snprintf(fit, sizeof(fit), "the first loop: cycle %.3f s, %u beats (%s)%s", (double)l->period / rate(d),
			 m->beats_per_cycle, im->beats_from, s->converted_from ? conv + 1 : "");
	return say(rq, 0, "imported as track %d layer %u: %s; plays from frame %llu%s", t + 1, l->number, fit,
		   (unsigned long long)start, s->dropped ? "; evicted undone layers" : "");
}

/* --- the tick ------------------------------------------------------------- */

static void copy_some(struct jl_daemon *d, uint64_t *budget)
{
	uint64_t now = jl_daemon_now(d);
	uint32_t i, c;
	for (i = 0; i < JL_MAX_LAYERS && *budget; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		const struct jl_region_m *r;
		uint64_t n, from, H = hist_len(d);
		if (!l->id || l->copy_state != JL_C_COPYING || l->state == JL_L_EVICTED || now < l->copy_after)
			continue;
		if (l->region < 0) {
			l->copy_state = JL_C_LOST;
			continue;
		}
		r = &d->m->regions[l->region];
		n = l->data_len - l->copied;
		if (n > *budget / l->channels)
			n = *budget / l->channels;
		from = l->hist_start + l->copied;
		if (from + n > head_now(d))
			continue; /* not recorded yet */
		for (c = 0; c < l->channels; c++) {
			const float *ring = d->shm.hist + (uint64_t)l->in[c] * H;
			copy_from_ring(d->pool + r->off + l->data_off + (uint64_t)c * l->stride + l->copied, ring, H, from, n);
		}
		/* Check after copying: if the ring passed the start of what we
		 * just read, the copy may hold new audio: discard (DESIGN 3.2). */
		if (l->hist_start < oldest(d)) {
			l->copy_state = JL_C_LOST;
			free_region(d, l);
			fprintf(stderr, "loopctl: the history overtook the copy of track %d layer %u: discarded\n",
				l->track + 1, l->number);
			continue;
		}
		l->copied += n;
		*budget -= n * l->channels;
		if (l->copied == l->data_len) {
			l->copy_state = JL_C_SWITCHING;
			l->src_gen++;
			/* never ahead of the voice's own start (commands apply in
			 * target order, and the start sets the ring source) */
			if (l->voice >= 0 && l->state == JL_L_ACTIVE)
				send_src(d, l, JL_SRC_POOL, now > l->started ? now : l->started);
		}
	}
}

/* A long take recorded into a region of twice the history (DESIGN 3.2)
 * keeps only its own frames: once it is all in the pool, it is moved into
 * a region of its size (a budget per tick, like the copies), its voice is
 * switched there, and the big region is freed when the engine has
 * switched (housekeeping).  Without room for the second region it stays
 * where it is and is tried again later. */
static void compact_some(struct jl_daemon *d, uint64_t *budget)
{
	uint64_t now = jl_daemon_now(d);
	uint32_t i, c;
	for (i = 0; i < JL_MAX_LAYERS && *budget; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		const struct jl_region_m *from, *to;
		uint64_t n;
		if (!l->id || l->state == JL_L_EVICTED || l->copy_state != JL_C_DONE || l->region < 0 ||
		    (l->stride == l->data_len && l->data_off == 0))
			continue;
		if (l->voice >= 0 && l->state != JL_L_ACTIVE)
			continue; /* a voice fading out still reads the old region */
		if (!l->spare_region) {
			int r = try_alloc(d, l->data_len * l->channels, l->id);
			if (r < 0)
				continue;
			l->spare_region = (uint32_t)r + 1;
			l->moved = 0;
		}
		from = &d->m->regions[l->region];
		to = &d->m->regions[l->spare_region - 1];
		n = l->data_len - l->moved;
		if (n > *budget / l->channels)
			n = *budget / l->channels;
		for (c = 0; c < l->channels; c++)
			memcpy(d->pool + to->off + (uint64_t)c * l->data_len + l->moved,
			       d->pool + from->off + l->data_off + (uint64_t)c * l->stride + l->moved, n * sizeof(float));
		l->moved += n;
		*budget -= n * l->channels;
		if (l->moved < l->data_len)
			continue;
		/* all moved: play from the new region, keep the old one until
		 * the engine has switched */
		{
			int32_t old = l->region;
			l->region = (int32_t)l->spare_region - 1;
			l->spare_region = (uint32_t)old + 1;
		}
		l->data_off = 0;
		l->stride = l->data_len;
		l->src_gen++;
		l->copy_state = JL_C_SWITCHING;
		if (l->voice >= 0 && l->state == JL_L_ACTIVE)
			send_src(d, l, JL_SRC_POOL, now > l->started ? now : l->started);
	}
}

static void housekeeping(struct jl_daemon *d)
{
	uint32_t i;
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		if (!l->id)
			continue;
		if (l->voice >= 0) {
			struct jl_voice_pub *vp = &d->shm.voice[l->voice];
			uint32_t st = atomic_load(&vp->state);
			if (l->copy_state == JL_C_SWITCHING && atomic_load(&vp->src_gen) == l->src_gen &&
			    atomic_load(&vp->src) == JL_SRC_POOL) {
				l->copy_state = JL_C_DONE;
				free_spare(d, l); /* a moved long take's old region */
			}
			if (l->state != JL_L_ACTIVE && l->state != JL_L_PENDING && st == JL_VOICE_OFF)
				l->voice = -1;
			if (l->state == JL_L_ACTIVE && st == JL_VOICE_OFF && (atomic_load(&vp->flags) & JL_VOICE_F_OVERRUN)) {
				fprintf(stderr, "loopctl: track %d layer %u faded out: the history overwrote it before "
						"it was copied\n", l->track + 1, l->number);
				l->copy_state = JL_C_LOST;
				l->state = JL_L_UNDONE;
				l->undone_seq = ++d->m->seq;
				l->voice = -1;
			}
		}
		/* copied; nothing plays it now (a moved long take's old region
		 * is freed once no voice can read it) */
		if (l->copy_state == JL_C_SWITCHING && (l->voice < 0 || l->state != JL_L_ACTIVE) &&
		    !(l->spare_region && l->voice >= 0)) {
			l->copy_state = JL_C_DONE;
			free_spare(d, l);
		}
	}
}

static void finish_pending(struct jl_daemon *d)
{
	uint64_t head = head_now(d), early = ms(d, TRIGGER_HORIZON_MS) + 2 * jl_daemon_period(d);
	int t;
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_track_m *tr = &d->m->tracks[t];
		struct jl_req rq;
		int rc;
		if (!tr->used)
			continue;
		if (tr->rec_state == JL_REC_WAIT_THRESHOLD) {
			/* scan the new history for the first sample over threshold */
			uint64_t H = hist_len(d), f;
			uint32_t c;
			for (f = tr->rec_scan; f < head; f++) {
				float x = 0;
				for (c = 0; c < tr->channels; c++) {
					float v = fabsf(d->shm.hist[(uint64_t)tr->in[c] * H + f % H]);
					x = v > x ? v : x;
				}
				if (x >= tr->rec_threshold)
					break;
			}
			tr->rec_scan = f;
			if (f < head) {
				/* keep a few ms before the attack (SooperLooper cuts it) */
				uint64_t pre = ms(d, d->cfg.preroll_ms);
				tr->rec_start = f > pre ? f - pre : 0;
				tr->rec_state = JL_REC_RECORDING;
				if (tr->rec_end) /* fixed length keeps its length */
					tr->rec_end = tr->rec_start + (tr->rec_end - tr->rec_scan);
			}
			continue;
		}
		if (tr->rec_state == JL_REC_FINISHING) {
			struct jl_layer_m *l = layer_by_id(d, tr->rec_layer);
			if (!l || l->state != JL_L_PENDING) {
				tr->rec_state = JL_REC_IDLE;
				continue;
			}
			memset(&rq, 0, sizeof(rq));
			rq.json = json_object();
			rc = launch_layer(d, &rq, l);
			if (rc != JL_DEFER) {
				tr->rec_state = JL_REC_IDLE;
				tr->rec_layer = 0;
				if (rc)
					fprintf(stderr, "loopctl: track %d: %s\n", t + 1, rq.msg);
			}
			json_decref(rq.json);
			continue;
		}
		if (tr->rec_state != JL_REC_RECORDING || !tr->rec_end)
			continue;
		if (tr->rec_flags & JL_REC_ONSET_WAIT) {
			if (d->ana && d->ana_pos < tr->rec_end + ms(d, d->cfg.onset_window_ms) +
							 jl_analysis_attack_delay(d->ana) + 1)
				continue;
			tr->rec_flags = (tr->rec_flags & ~JL_REC_ONSET_WAIT) | JL_REC_ONSET_READY;
		}
		/* A fixed-length take is finished a little ahead of its end, so a
		 * whole-cycle loop can start exactly on it; otherwise once the end
		 * and its post-roll are recorded (make_layer defers until then). */
		if (head + early < tr->rec_end)
			continue;
		memset(&rq, 0, sizeof(rq));
		rq.json = json_object();
		rc = finish_take(d, &rq, t, tr->rec_end);
		if (rc)
			fprintf(stderr, "loopctl: take not stored: %s\n", rq.msg);
		json_decref(rq.json);
	}
	/* Long takes (DESIGN 3.2): past a quarter of the ring, a take is copied
	 * into the pool while it records, so its start cannot be overwritten;
	 * one that outgrows even that room is ended with a warning. */
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		struct jl_track_m *tr = &d->m->tracks[t];
		uint64_t H = hist_len(d);
		if (!tr->used || tr->rec_state != JL_REC_RECORDING || tr->rec_end || head < tr->rec_start)
			continue;
		if (tr->inc_region < 0 && head - tr->rec_start > H / 4) {
			uint64_t back = ms(d, d->cfg.quantize_ms) + 2 * ms(d, d->cfg.seam_ms) + 16;
			uint64_t stride = 2 * H;
			int r = jl_looper_pool_alloc(d, stride * tr->channels, 0x40000000u | (uint32_t)t);
			if (r >= 0) {
				tr->inc_region = r;
				tr->inc_from = tr->rec_start > back ? tr->rec_start - back : 0;
				if (tr->inc_from < oldest(d))
					tr->inc_from = oldest(d);
				tr->inc_copied = 0;
				tr->inc_stride = stride;
				fprintf(stderr, "loopctl: track %d: a long take: copying it into the pool while it records\n",
					t + 1);
			}
		}
		if (tr->inc_region >= 0) {
			/* copy what the ring gained (bounded per tick) */
			uint64_t n = head - (tr->inc_from + tr->inc_copied), c;
			if (n > COPY_FLOATS_PER_TICK / tr->channels)
				n = COPY_FLOATS_PER_TICK / tr->channels;
			if (tr->inc_copied + n > tr->inc_stride)
				n = tr->inc_stride - tr->inc_copied;
			for (c = 0; c < tr->channels; c++) {
				const float *ring = d->shm.hist + (uint64_t)tr->in[c] * H;
				copy_from_ring(d->pool + d->m->regions[tr->inc_region].off + c * tr->inc_stride + tr->inc_copied,
					       ring, H, tr->inc_from + tr->inc_copied, n);
			}
			tr->inc_copied += n;
			if (tr->inc_from + tr->inc_copied < oldest(d)) {
				/* the ring overtook the copy (daemon stalled): give up */
				jl_looper_pool_free(d, tr->inc_region);
				tr->inc_region = -1;
			}
		}
		if (head > tr->rec_start + (tr->inc_region >= 0 ? 2 * H - H / 8 : H - H / 8)) {
			tr->rec_end = head;
			fprintf(stderr, "loopctl: track %d: the take is as long as it can be kept: ended\n", t + 1);
		}
	}
}

static void resync_engine(struct jl_daemon *d)
{
	uint32_t gen = atomic_load(&d->shm.hdr->engine_gen), i;
	int t;
	uint64_t at;
	if (gen == d->m->engine_gen_seen)
		return;
	/* jackloop restarted: its voices are gone; start them again. */
	at = jl_daemon_now(d) + jl_daemon_period(d);
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		if (!l->id)
			continue;
		l->voice = -1;
		if (l->copy_state == JL_C_SWITCHING)
			l->copy_state = JL_C_DONE;
	}
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		struct jl_layer_m *l = &d->m->layers[i];
		if (l->id && l->state == JL_L_ACTIVE && start_layer(d, l, at, ramp(d)) < 0)
			fprintf(stderr, "loopctl: could not restart track %d layer %u\n", l->track + 1, l->number);
	}
	for (t = 0; t < JL_MAX_TRACKS; t++)
		if (d->m->tracks[t].used)
			send_track(d, t, at);
	/* the beat grid (click, synced effects, MIDI clock) and the clock switch */
	resend_click(d, at);
	{
		struct jl_req tmp;
		memset(&tmp, 0, sizeof(tmp));
		jl_outputs_send_midi_clock(d, &tmp, at);
	}
	d->m->engine_gen_seen = gen;
}

/* sync midi: before the first loop, the tempo grid is an external
 * clock's (jackloop's clock_in): its tempo, and a bar line on every bar
 * of its song position (the first clock after its Start begins bar 1).
 * It is looked at once per bar, and the grid is set again when the tempo
 * moved by more than 0.02 % or the clock's bar line lies more than 2 ms
 * off the grid's (a hardware clock drifts against the audio clock); such
 * a small correction does not restart the MIDI clock out (clock_rt.c). */
static void sync_follow(struct jl_daemon *d)
{
	struct jl_model *m = d->m;
	const struct jl_clockin *c = &d->clockin;
	uint32_t bpb = m->beats_per_bar ? m->beats_per_bar : 4;
	double fpb, bpm;
	if (!m->sync_midi || m->has_anchor || !c->running || !c->beat_frame || c->beats % bpb ||
	    c->beat_frame == d->sync_bar)
		return;
	if (!jl_clockin_tempo(c, jl_daemon_now(d), &fpb))
		return;
	d->sync_bar = c->beat_frame;
	bpm = 60.0 * rate(d) / fpb;
	if (!(bpm >= TEMPO_MIN_BPM && bpm <= TEMPO_MAX_BPM))
		return;
	if (m->preset_bpm > 0 && fabs(bpm - m->preset_bpm) <= 0.0002 * bpm) {
		double bar = 60.0 * rate(d) * bpb / m->preset_bpm;
		double k = llround(((double)c->beat_frame - (double)m->grid_origin) / bar);
		double off = (double)c->beat_frame - ((double)m->grid_origin + k * bar);
		if (fabs(off) <= 0.002 * rate(d))
			return;
	}
	m->preset_bpm = bpm;
	m->grid_origin = c->beat_frame;
	resend_click(d, jl_daemon_now(d));
}

void jl_looper_tick(struct jl_daemon *d)
{
	uint64_t budget = COPY_FLOATS_PER_TICK;
	if (!atomic_load(&d->shm.rt->cycles))
		return; /* the engine has not run yet */
	resync_engine(d);
	sync_follow(d);
	housekeeping(d);
	finish_pending(d);
	fire_triggers(d);
	copy_some(d, &budget);
	compact_some(d, &budget);
}

int jl_looper_init(struct jl_daemon *d)
{
	struct jl_model *m = d->m;
	uint32_t i;
	if (m->magic == JL_MODEL_MAGIC && m->version == JL_MODEL_VERSION) {
		uint32_t nv = d->shm.hdr->geom.max_voices, ch, sl;
		m->generation++;
		d->latency_override = m->cal_latency;
		/* Engine commands still pending are named by the previous
		 * daemon's ids, and the triggers keep them (to cancel): the new
		 * ids start above them, so a cancel cannot hit a new command. */
		for (i = 0; i < JL_MAX_TRIGGERS; i++)
			for (uint32_t k = 0; k < m->triggers[i].n_rt && k < JL_TRIGGER_RT; k++)
				if (m->triggers[i].id && m->triggers[i].rt_ids[k] > d->next_id)
					d->next_id = m->triggers[i].rt_ids[k];
		/* A daemon may have died in the middle of an update: nothing in
		 * the model is used as an index before it is checked here. */
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_layer_m *l = &m->layers[i];
			if (!l->id)
				continue;
			if (l->track >= JL_MAX_TRACKS || l->channels < 1 || l->channels > 2 || !l->period ||
			    l->in[0] >= d->shm.hdr->geom.n_inputs || l->in[1] >= d->shm.hdr->geom.n_inputs) {
				memset(l, 0, sizeof(*l));
				l->voice = -1;
				l->region = -1;
				continue;
			}
			if (l->voice < -1 || l->voice >= (int32_t)nv)
				l->voice = -1;
			if (l->region < -1 || l->region >= JL_MAX_LAYERS ||
			    (l->region >= 0 && m->regions[l->region].layer != l->id)) {
				l->region = -1;
				if (l->copy_state == JL_C_DONE || l->copy_state == JL_C_SWITCHING)
					l->copy_state = JL_C_LOST;
			}
			if (l->spare_region > JL_MAX_LAYERS ||
			    (l->spare_region && m->regions[l->spare_region - 1].layer != l->id) ||
			    (l->spare_region && (int32_t)l->spare_region - 1 == l->region))
				l->spare_region = 0;
			if (l->region < 0)
				free_spare(d, l);
			l->moved = 0; /* a move in flight starts over */
		}
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			struct jl_region_m *r = &m->regions[i];
			if (r->layer && (r->off > d->pool_floats || r->len > d->pool_floats - r->off))
				memset(r, 0, sizeof(*r));
			if ((r->layer & 0xF0000000u) == JL_LOADING_OWNER)
				memset(r, 0, sizeof(*r)); /* a load the last daemon did not finish */
		}
		for (i = 0; i < JL_MAX_TRACKS; i++) {
			struct jl_track_m *tr = &m->tracks[i];
			if (tr->inc_region < -1 || tr->inc_region >= JL_MAX_LAYERS)
				tr->inc_region = -1;
			if (tr->channels < 1 || tr->channels > 2)
				tr->channels = 1;
			if (tr->in[0] >= d->shm.hdr->geom.n_inputs)
				tr->in[0] = 0;
			if (tr->in[1] >= d->shm.hdr->geom.n_inputs)
				tr->in[1] = tr->in[0];
		}
		for (ch = 0; ch < JL_FX_CHAINS; ch++)
			for (sl = 0; sl < JL_FX_SLOTS; sl++) {
				struct jl_fx_m *x = &m->fx[ch][sl];
				if (x->type && (x->region < 0 || x->region >= JL_MAX_LAYERS))
					memset(x, 0, sizeof(*x));
			}
		if (m->selected >= JL_MAX_TRACKS)
			m->selected = 0;
		if (m->has_anchor && !m->cycle)
			m->has_anchor = 0;
		/* copies in flight start over; everything else is as it was */
		for (i = 0; i < JL_MAX_LAYERS; i++)
			if (m->layers[i].id && m->layers[i].copy_state == JL_C_COPYING)
				m->layers[i].copied = 0;
		return 1;
	}
	memset(m, 0, sizeof(*m));
	m->quantize = JL_Q_CYCLE;
	m->click_db = -12.0f;
	m->cal_latency = -1;
	m->phones_limit_db = -6.0f;
	for (i = 0; i < 32; i++)
		m->mon_main_db[i] = m->mon_phones_db[i] = -200.0f;
	m->magic = JL_MODEL_MAGIC;
	m->version = JL_MODEL_VERSION;
	m->generation = 1;
	m->beats_per_bar = 4;
	m->engine_gen_seen = atomic_load(&d->shm.hdr->engine_gen);
	for (i = 0; i < JL_MAX_LAYERS; i++) {
		m->layers[i].voice = -1;
		m->layers[i].region = -1;
	}
	return 0;
}

int jl_looper_parse_track(struct jl_daemon *d, const char *w, int *track)
{
	char *end;
	long v;
	if (!strcmp(w, "all")) {
		*track = JL_T_ALL;
		return 0;
	}
	if (!strcmp(w, "sel") || !strcmp(w, "selected")) {
		*track = (int)d->m->selected;
		return 0;
	}
	v = strtol(w, &end, 10);
	if (*end || !*w || v < 1 || v > JL_MAX_TRACKS)
		return -1;
	*track = (int)v - 1;
	return 0;
}

const char *const jl_track_state_names[] = { "empty", "waiting", "recording", "stopped", "muted", "playing" };

enum jl_track_state jl_looper_track_state(const struct jl_daemon *d, int t)
{
	const struct jl_track_m *tr = &d->m->tracks[t];
	if (!tr->used)
		return JL_TS_EMPTY;
	return tr->rec_state == JL_REC_RECORDING ? JL_TS_RECORDING
	       : tr->rec_state == JL_REC_WAIT_THRESHOLD || tr->rec_state == JL_REC_FINISHING ? JL_TS_WAITING
	       : !track_has_audio(d, t) ? JL_TS_EMPTY
	       : tr->stopped ? JL_TS_STOPPED
	       : tr->muted ? JL_TS_MUTED
	       : JL_TS_PLAYING;
}

void jl_looper_status(struct jl_daemon *d, json_t *obj, char *text, size_t n, int only)
{
	struct jl_model *m = d->m;
	json_t *anchor = json_object(), *tracks = json_array(), *pool = json_object();
	char *p = text, *e = text + n;
	uint64_t now = jl_daemon_now(d);
	uint32_t i;
	int t, ntr = 0;
	if (m->has_anchor) {
		double bpm = 60.0 * rate(d) * m->beats_per_cycle / (double)m->cycle;
		json_object_set_new(anchor, "cycle_frames", json_integer((json_int_t)m->cycle));
		json_object_set_new(anchor, "cycle_seconds", json_real((double)m->cycle / rate(d)));
		json_object_set_new(anchor, "origin", json_integer((json_int_t)m->origin));
		json_object_set_new(anchor, "position", json_integer((json_int_t)((now - floor_to(now, m->origin, m->cycle)))));
		json_object_set_new(anchor, "beats_per_cycle", json_integer(m->beats_per_cycle));
		json_object_set_new(anchor, "bpm", json_real(bpm));
		p += snprintf(p, (size_t)(e - p), "\n  anchor: cycle %llu frames (%.3f s), %u beats, %.2f BPM, at %llu",
			      (unsigned long long)m->cycle, (double)m->cycle / rate(d), m->beats_per_cycle, bpm,
			      (unsigned long long)(now - floor_to(now, m->origin, m->cycle)));
	} else {
		p += snprintf(p, (size_t)(e - p), "\n  anchor: none yet%s", m->preset_bpm > 0 ? " (tempo preset)" : "");
	}
	if (m->preset_bpm > 0)
		json_object_set_new(anchor, "preset_bpm", json_real(m->preset_bpm));
	json_object_set_new(obj, "anchor", anchor);
	json_object_set_new(obj, "selected", json_integer(m->selected + 1));
	for (t = 0; t < JL_MAX_TRACKS; t++) {
		const struct jl_track_m *tr = &m->tracks[t];
		json_t *jt, *layers;
		float gl, gr;
		const char *state;
		if (!tr->used || (only >= 0 && t != only))
			continue;
		ntr++;
		state = jl_track_state_names[jl_looper_track_state(d, t)];
		track_gains(d, t, &gl, &gr);
		jt = json_pack("{s:i,s:s,s:b,s:b,s:f,s:f,s:i,s:[i,i],s:I,s:f,s:f}", "track", t + 1, "state", state,
			       "muted", tr->muted, "soloed", tr->soloed, "gain_db", (double)tr->gain_db, "pan",
			       (double)tr->pan, "channels", tr->channels, "inputs", tr->in[0] + 1, tr->in[1] + 1,
			       "period", (json_int_t)track_period(d, t), "out_gain_l", (double)gl, "out_gain_r",
			       (double)gr);
		layers = json_array();
		p += snprintf(p > e ? e : p, (size_t)(p > e ? 0 : e - p), "\n  track %d%s: %s, %.1f dB, pan %.2f%s",
			      t + 1, (uint32_t)t == m->selected ? " (selected)" : "", state, (double)tr->gain_db,
			      (double)tr->pan, tr->soloed ? ", soloed" : "");
		for (i = 0; i < JL_MAX_LAYERS; i++) {
			const struct jl_layer_m *l = &m->layers[i];
			float peak = 0;
			if (!l->id || l->track != t || (l->state != JL_L_ACTIVE && l->state != JL_L_UNDONE))
				continue;
			if (l->voice >= 0)
				peak = jl_bits_f(atomic_load(&d->shm.voice[l->voice].peak));
			json_array_append_new(layers,
				json_pack("{s:i,s:s,s:b,s:f,s:I,s:I,s:I,s:s,s:s,s:f}", "layer", l->number, "state",
					  l->state == JL_L_ACTIVE ? "active" : "undone", "muted", l->muted, "gain_db",
					  jl_gain_db(l->gain), "length", (json_int_t)l->body,
					  "period", (json_int_t)l->period, "origin", (json_int_t)l->origin, "source",
					  l->copy_state == JL_C_DONE ? "pool" : l->copy_state == JL_C_LOST ? "lost" : "history",
					  "seam", l->seam_mode == JL_SEAM_XFADE ? "crossfade" : "edges",
					  "peak_db", peak > 0 ? 20.0 * log10(peak) : -200.0));
			if (p < e && l->state == JL_L_ACTIVE)
				p += snprintf(p, (size_t)(e - p), "\n    layer %u: %.3f s every %.3f s%s%s", l->number,
					      (double)l->body / rate(d), (double)l->period / rate(d),
					      l->muted ? ", muted" : "",
					      l->copy_state == JL_C_DONE ? "" : ", playing from the history");
		}
		json_object_set_new(jt, "layers", layers);
		json_object_set_new(jt, "send", json_boolean(tr->send_on));
		json_object_set_new(jt, "send_compensation", json_integer((json_int_t)tr->send_comp));
		json_array_append_new(tracks, jt);
	}
	if (!ntr && p < e)
		p += snprintf(p, (size_t)(e - p), "\n  tracks: none");
	json_object_set_new(obj, "tracks", tracks);
	json_object_set_new(pool, "bytes", json_integer((json_int_t)(d->pool_floats * sizeof(float))));
	json_object_set_new(pool, "used_bytes", json_integer((json_int_t)(pool_used(d) * sizeof(float))));
	json_object_set_new(obj, "pool", pool);
	if (p < e)
		p += snprintf(p, (size_t)(e - p), "\n  pool: %.1f of %.1f MB",
			      (double)(pool_used(d) * sizeof(float)) / 1048576.0,
			      (double)(d->pool_floats * sizeof(float)) / 1048576.0);
	{
		struct jl_req rq;
		memset(&rq, 0, sizeof(rq));
		rq.json = json_object();
		jl_looper_triggers(d, &rq);
		json_object_set(obj, "triggers", json_object_get(rq.json, "triggers"));
		if (p < e)
			snprintf(p, (size_t)(e - p), "\n  %s", rq.msg);
		json_decref(rq.json);
	}
}
