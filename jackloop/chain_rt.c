/* chain_rt.c - effect chains on the track buses, the master bus and the
 * inputs (DESIGN 4.6, 7).  An effect's state lives in a pool region the
 * daemon allocated; the slot table here is the engine's own memory, filled
 * only by validated commands, so a corrupt pool cannot redirect it. */
#include <string.h>

#include "conv.h"
#include "engine_priv.h"

/* A track's send/return insert (--sends): the bus goes out to a JACK
 * effects rack and what comes back replaces it.  The daemon plays the
 * track's voices early by the round trip, so it comes back in time. */
static void send_return(struct jl_engine *e, uint32_t t, float *l, float *r, uint32_t n)
{
	const struct jl_engine_io *io = e->io_cur;
	uint32_t o = e->off_cur;
	if (!io || !io->send_out[t][0] || !io->ret_in[t][0])
		return;
	memcpy(io->send_out[t][0] + o, l, (size_t)n * sizeof(float));
	memcpy(io->send_out[t][1] + o, r, (size_t)n * sizeof(float));
	/* another client's audio: no NaN or Inf into the mix */
	if (jl_copy_finite_rt(l, io->ret_in[t][0] + o, n) + jl_copy_finite_rt(r, io->ret_in[t][1] + o, n))
		atomic_fetch_add_explicit(&e->rt->ret_nonfinite, 1, memory_order_relaxed);
}

/* Runs chain `ch` over a stereo pair in place. */
void jl_chain_process_rt(struct jl_engine *e, uint32_t ch, float *l, float *r, uint32_t n)
{
	uint32_t s;
	if (ch < JL_MAX_TRACKS && e->send_on[ch])
		send_return(e, ch, l, r, n);
	if (!e->fx_used[ch])
		return;
	for (s = 0; s < JL_FX_SLOTS; s++) {
		struct jl_fx_slot_rt *x = &e->fx[ch][s];
		void *state;
		if (!x->type)
			continue;
		state = (unsigned char *)e->pool + x->off;
		if (x->type == JL_FX_CONV) {
			if (e->conv_plans && jl_conv_process_bound_rt(state, &x->conv, e->conv_plans, l, r, n, x->mix) < 0)
				atomic_fetch_add_explicit(&e->rt->conv_dry, 1, memory_order_relaxed);
		} else {
			jl_fx_process_rt((int)x->type, state, l, r, n, &e->fx_ctx);
		}
	}
}

/* Validates an FX_SLOT command (every field: DESIGN 1.2). */
int jl_chain_slot_ok_rt(const struct jl_engine *e, const struct jl_cmd *c)
{
	uint64_t pool_bytes = e->pool_floats * sizeof(float), need;
	const __typeof__(c->p.fxslot) *f = &c->p.fxslot;
	if (f->chain >= JL_FX_CHAINS || f->slot >= JL_FX_SLOTS || f->type >= JL_FX__COUNT)
		return 0;
	if (f->chain >= JL_FX_CHAIN_INPUT0 && (uint32_t)(f->chain - JL_FX_CHAIN_INPUT0) >= e->n_inputs)
		return 0;
	if (f->type == JL_FX_NONE)
		return 1;
	if (f->off % 64 || f->off > pool_bytes || f->bytes > pool_bytes - f->off || !(f->mix >= 0.0f && f->mix <= 1.0f))
		return 0;
	if (f->type == JL_FX_CONV)
		return e->conv_plans && jl_conv_check_rt((unsigned char *)e->pool + f->off, f->bytes, e->conv_plans) == 0;
	need = jl_fx_state_bytes((int)f->type, e->rate);
	return need && f->bytes >= need;
}

/* Binds an FX_SLOT command's effect (validated by jl_chain_slot_ok_rt).
 * Returns 0, or -EINVAL if a convolution block no longer passes its check
 * (the slot is left as it was). */
int jl_chain_slot_rt(struct jl_engine *e, const struct jl_cmd *c)
{
	const __typeof__(c->p.fxslot) *f = &c->p.fxslot;
	struct jl_fx_slot_rt *x = &e->fx[f->chain][f->slot];
	struct jl_conv_geom geom = { 0, 0, 0 };
	uint32_t s, used = 0;
	/* A convolution block is checked again now (a future-dated command
	 * was validated on arrival, and the daemon can write the pool), and
	 * the geometry checked is what the slot keeps and runs with. */
	if (f->type == JL_FX_CONV &&
	    (!e->conv_plans || jl_conv_bind_rt((unsigned char *)e->pool + f->off, f->bytes, e->conv_plans, &geom) < 0))
		return -22;
	x->type = f->type;
	x->conv = geom;
	x->off = f->off;
	x->bytes = f->bytes;
	x->mix = f->mix;
	/* The daemon zeroed the region (and prepared a convolution's delay
	 * lines), so binding costs no megabyte memset in the callback. */
	if (f->type != JL_FX_NONE && f->type != JL_FX_CONV)
		jl_fx_init_rt((int)f->type, (unsigned char *)e->pool + f->off, f->bytes, e->rate);
	for (s = 0; s < JL_FX_SLOTS; s++)
		used |= e->fx[f->chain][s].type != JL_FX_NONE;
	e->fx_used[f->chain] = (uint8_t)used;
	return 0;
}

/* FX_SET: copy the mailbox out of the pool first (the daemon may write
 * it), then let the effect validate everything. Returns 0 or -EINVAL. */
int jl_chain_set_rt(struct jl_engine *e, const struct jl_cmd *c)
{
	const __typeof__(c->p.fxset) *f = &c->p.fxset;
	uint64_t pool_bytes = e->pool_floats * sizeof(float);
	struct jl_fx_mailbox mb;
	struct jl_fx_slot_rt *x;
	if (f->chain >= JL_FX_CHAINS || f->slot >= JL_FX_SLOTS || f->mailbox % 8 ||
	    f->mailbox > pool_bytes - sizeof(mb) || f->ramp > JL_FX_RAMP_MAX)
		return -22;
	x = &e->fx[f->chain][f->slot];
	if (x->type == JL_FX_NONE)
		return -22;
	memcpy(&mb, (unsigned char *)e->pool + f->mailbox, sizeof(mb));
	if (x->type == JL_FX_CONV) {
		if (!(mb.params[0] >= 0.0f && mb.params[0] <= 1.0f))
			return -22;
		x->mix = mb.params[0];
		return 0;
	}
	return jl_fx_set_rt((int)x->type, (unsigned char *)e->pool + x->off, mb.params, mb.has_coef ? mb.coef : NULL,
			    f->ramp);
}
