/* engine.c - engine construction (non-RT). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_priv.h"

struct jl_engine *jl_engine_create(struct jl_shm *s)
{
	struct jl_engine *e = calloc(1, sizeof(*e));
	const struct jl_shm_geom *g;
	unsigned char *base;
	uint32_t i;
	if (!e)
		return NULL;
	g = &s->hdr->geom;
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
	e->master.cur = 1.0f;
	e->master.g1 = 1.0f;
	for (i = 0; i < JL_MAX_INPUTS; i++) {
		e->trim[i].cur = 1.0f;
		e->trim[i].g1 = 1.0f;
	}
	return e;
}

void jl_engine_destroy(struct jl_engine *e)
{
	free(e);
}
