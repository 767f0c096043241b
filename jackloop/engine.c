/* engine.c - engine construction (non-RT). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "engine_priv.h"

/* The engine's own memory, block by block (all of it is the callback's). */
#define MEM_BLOCKS 6
static uint32_t mem_blocks(struct jl_engine *e, void **p, size_t *len)
{
	uint32_t n = 0;
	p[n] = e, len[n++] = sizeof(*e);
	if (e->voice)
		p[n] = e->voice, len[n++] = (size_t)e->max_voices * sizeof(*e->voice);
	if (e->pd[0])
		p[n] = e->pd[0], len[n++] = ((size_t)e->pd_mask + 1) * sizeof(float);
	if (e->pd[1])
		p[n] = e->pd[1], len[n++] = ((size_t)e->pd_mask + 1) * sizeof(float);
	if (e->click_tab[0])
		p[n] = e->click_tab[0], len[n++] = (size_t)e->click_len * sizeof(float);
	if (e->click_tab[1])
		p[n] = e->click_tab[1], len[n++] = (size_t)e->click_len * sizeof(float);
	return n;
}

/* Faults every page of [p, p + len) in by writing it (its bytes kept): a
 * calloc'ed block larger than malloc's mmap threshold is untouched zero
 * pages, and each first write in the callback would be a page fault (16
 * were measured in the first cycle with 8 tracks).  A read would only map
 * the shared zero page. */
static void prefault(void *p, size_t len)
{
	volatile unsigned char *v = p;
	size_t k, pg = (size_t)sysconf(_SC_PAGESIZE);
	if (!len)
		return;
	if (pg < 1024)
		pg = 1024;
	/* a volatile read and write of each page: what cppcheck takes for a
	 * redundant self-assignment is the point */
	for (k = 0; k < len; k += pg)
		v[k] = v[k]; /* cppcheck-suppress selfAssignment */
	v[len - 1] = v[len - 1]; /* cppcheck-suppress selfAssignment */
}

struct jl_engine *jl_engine_create(struct jl_shm *s)
{
	struct jl_engine *e = calloc(1, sizeof(*e));
	const struct jl_shm_geom *g;
	unsigned char *base;
	uint32_t i;
	if (!e)
		return NULL;
	g = &s->hdr->geom;
	e->voice = calloc(g->max_voices, sizeof(*e->voice));
	if (!e->voice) {
		free(e);
		return NULL;
	}
	{
		/* phones delay line: a power of two >= the longest delay + a block */
		uint32_t need = g->sample_rate / 1000u * JL_PHONES_MAX_DELAY_MS + JL_BLOCK, len = 1, k;
		while (len < need)
			len <<= 1;
		e->pd[0] = calloc(len, sizeof(float));
		e->pd[1] = calloc(len, sizeof(float));
		e->pd_mask = len - 1;
		e->pd_max = g->sample_rate / 1000u * JL_PHONES_MAX_DELAY_MS;
		/* click sounds: 15 ms decaying sines, the downbeat higher */
		e->click_len = g->sample_rate * 15 / 1000;
		e->click_tab[0] = calloc(e->click_len, sizeof(float));
		e->click_tab[1] = calloc(e->click_len, sizeof(float));
		if (!e->pd[0] || !e->pd[1] || !e->click_tab[0] || !e->click_tab[1]) {
			jl_engine_destroy(e);
			return NULL;
		}
		for (k = 0; k < e->click_len; k++) {
			double t = (double)k / g->sample_rate, env = exp(-t / 0.004);
			e->click_tab[0][k] = (float)(env * sin(2.0 * M_PI * 1760.0 * t));
			e->click_tab[1][k] = (float)(env * sin(2.0 * M_PI * 1320.0 * t));
		}
	}
	/* limiters: the PA at 0 dBFS (safety), the phones at -6 dBFS (a howl
	 * must not reach in-ear monitors at full scale); 50 ms release */
	e->lim_ceiling[0] = 1.0f;
	e->lim_ceiling[1] = 0.5011872f;
	e->lim_dist[0] = e->lim_dist[1] = 0.0f; /* gain 1 */
	e->lim_rel = (float)(1.0 - exp(-1.0 / (0.05 * g->sample_rate)));
	e->mclk_on = 1; /* MIDI clock out: on until told otherwise */
	e->phones_master.cur = e->phones_master.g1 = 1.0f;
	for (i = 0; i < JL_MAX_TRACKS; i++)
		e->phones_track[i].cur = e->phones_track[i].g1 = 1.0f;
	e->pool = (void *)s->pool;
	e->fx_ctx.rate = g->sample_rate;
	e->pool_floats = s->hdr->region[JL_REG_POOL].len / sizeof(float);
	e->fade_frames = g->sample_rate / 100;
	/* the longest silence inside a tail: a delay's echo gap, plus 1 s */
	e->tail_hold = (uint32_t)((uint64_t)g->sample_rate * (JL_FX_DELAY_MAX_MS + 1000u) / 1000u);
	e->shm = s;
	e->hdr = s->hdr;
	e->rt = s->rt;
	e->vpub = s->voice;
	e->hist = s->hist;
	e->hist_frames = g->hist_frames;
	e->n_inputs = g->n_inputs;
	e->rate = g->sample_rate;
	e->max_voices = g->max_voices;
	base = (unsigned char *)s->hdr;
	if (jl_spsc_attach(&e->cmdq, base + s->hdr->cmdq_off, g->cmd_capacity, sizeof(struct jl_cmd)) < 0 ||
	    jl_spsc_attach(&e->evtq, base + s->hdr->evtq_off, g->evt_capacity, sizeof(struct jl_evt)) < 0) {
		/* A corrupt ring in a re-attached segment: reset it.  We are the
		 * only process attached (the daemon starts after us). */
		jl_spsc_init(&e->cmdq, base + s->hdr->cmdq_off, g->cmd_capacity, sizeof(struct jl_cmd));
		jl_spsc_init(&e->evtq, base + s->hdr->evtq_off, g->evt_capacity, sizeof(struct jl_evt));
		atomic_fetch_add(&s->rt->queue_corrupt, 1);
	}
	/* Continue the mark rings of a re-attached segment. */
	e->gap_count = atomic_load(&s->rt->gaps);
	e->offset_marks = atomic_load(&s->rt->offset_marks);
	e->master.cur = e->master.g1 = 1.0f;
	e->pa.cur = e->pa.g1 = 1.0f;
	for (i = 0; i < JL_MAX_TRACKS; i++) {
		e->track_l[i].cur = e->track_l[i].g1 = 1.0f;
		e->track_r[i].cur = e->track_r[i].g1 = 1.0f;
	}
	/* Voices live in jackloop's memory: a restarted jackloop starts with
	 * none playing and the daemon re-sends them from its model. */
	for (i = 0; i < g->max_voices; i++)
		atomic_store(&s->voice[i].state, JL_VOICE_OFF);
	for (i = 0; i < JL_MAX_INPUTS; i++) {
		e->trim[i].cur = 1.0f;
		e->trim[i].g1 = 1.0f;
	}
	{
		void *p[MEM_BLOCKS];
		size_t len[MEM_BLOCKS];
		uint32_t n = mem_blocks(e, p, len), k;
		for (k = 0; k < n; k++)
			prefault(p[k], len[k]);
	}
	return e;
}

uint64_t jl_engine_lock_memory(struct jl_engine *e, uint64_t *total, int *err_no)
{
	void *p[MEM_BLOCKS];
	size_t len[MEM_BLOCKS];
	uint32_t n = mem_blocks(e, p, len), k;
	uint64_t locked = 0;
	*total = 0;
	*err_no = 0;
	for (k = 0; k < n; k++) {
		*total += len[k];
		if (*err_no)
			continue;
		if (mlock(p[k], len[k]) == 0) {
			locked += len[k];
			e->mem_locked = k + 1;
		} else {
			*err_no = errno;
		}
	}
	return locked;
}

void jl_engine_destroy(struct jl_engine *e)
{
	if (!e)
		return;
	if (e->mem_locked) {
		/* heap pages stay locked after free(): unlock what we locked */
		void *p[MEM_BLOCKS];
		size_t len[MEM_BLOCKS];
		uint32_t n = mem_blocks(e, p, len), k;
		for (k = 0; k < n && k < e->mem_locked; k++)
			munlock(p[k], len[k]);
	}
	free(e->pd[0]);
	free(e->pd[1]);
	free(e->click_tab[0]);
	free(e->click_tab[1]);
	free(e->voice);
	free(e);
}

void jl_engine_set_conv_plans(struct jl_engine *e, const struct jl_conv_plans *p)
{
	e->conv_plans = p;
}
