/* fxcmds.c - `fx add|set|remove|list`: effect chains on tracks, the master
 * and the inputs (DESIGN 4.6, 7).  The daemon allocates each effect's state
 * in the pool, designs filter coefficients in double precision, loads
 * impulse responses, and hands the RT side validated commands; parameters
 * travel through a mailbox in the effect's own region. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/jl_conv.h"
#include "commands.h"
#include "daemon.h"
#include "fxdesign.h"
#include "irload.h"
#include "jl_alloc.h"
#include "looper.h"
#include "model.h"

#define MAILBOX_STRIDE 320u	/* one mailbox, 64-byte aligned */
#define MAILBOX_BYTES (2u * MAILBOX_STRIDE)	/* two, alternating */
#define CONV_B 256u
#define MAX_IR_SECONDS 4.0

_Static_assert(sizeof(struct jl_fx_mailbox) <= MAILBOX_STRIDE, "a mailbox fits its stride");
_Static_assert(JL_FX_MAX_PARAMS == 24, "model params array");

#define say jl_say

static uint32_t rate(const struct jl_daemon *d) { return d->shm.hdr->geom.sample_rate; }

static uint64_t when(const struct jl_daemon *d, const struct jl_req *rq)
{
	if (rq->scheduled)
		return rq->at;
	return (rq->has_arrival ? rq->arrival : jl_daemon_now(d)) + jl_daemon_period(d);
}

/* TARGET: a track (1..64), "master", or "inN" (an input chain). */
static int chain_of(struct jl_daemon *d, const char *w, uint32_t *ch)
{
	char *end;
	long v;
	if (!strcmp(w, "master")) {
		*ch = JL_FX_CHAIN_MASTER;
		return 0;
	}
	if (!strncmp(w, "in", 2)) {
		v = strtol(w + 2, &end, 10);
		if (*end || v < 1 || (uint32_t)v > d->shm.hdr->geom.n_inputs)
			return -1;
		*ch = JL_FX_CHAIN_INPUT0 + (uint32_t)v - 1;
		return 0;
	}
	v = strtol(w, &end, 10);
	if (*end || !*w || v < 1 || v > JL_MAX_TRACKS)
		return -1;
	*ch = (uint32_t)v - 1;
	return 0;
}

static void chain_name(uint32_t ch, char *buf, size_t n)
{
	if (ch == JL_FX_CHAIN_MASTER)
		snprintf(buf, n, "master");
	else if (ch >= JL_FX_CHAIN_INPUT0)
		snprintf(buf, n, "in%u", ch - JL_FX_CHAIN_INPUT0 + 1);
	else
		snprintf(buf, n, "%u", ch + 1);
}

static unsigned char *region_base(struct jl_daemon *d, int region)
{
	return (unsigned char *)d->pool + d->m->regions[region].off * sizeof(float);
}

/* Writes a mailbox and sends FX_SET. */
static int send_params(struct jl_daemon *d, struct jl_req *rq, uint32_t ch, uint32_t slot, uint64_t at)
{
	struct jl_fx_m *x = &d->m->fx[ch][slot];
	struct jl_fx_mailbox mb;
	struct jl_cmd c;
	int nc;
	memset(&mb, 0, sizeof(mb));
	memcpy(mb.params, x->params, sizeof(mb.params));
	if (x->type == JL_FX_CONV) {
		mb.params[0] = x->mix;
	} else {
		nc = jl_fx_design(x->type, x->params, rate(d), mb.coef, JL_FX_MAX_COEFS);
		if (nc < 0)
			return say(rq, 2, "the filter cannot be designed at %u Hz (frequency too high?)", rate(d));
		mb.has_coef = nc > 0;
	}
	x->mailbox ^= 1;
	memcpy(region_base(d, x->region) + x->mailbox * MAILBOX_STRIDE, &mb, sizeof(mb));
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_FX_SET;
	c.target = at;
	c.p.fxset.chain = (uint16_t)ch;
	c.p.fxset.slot = (uint16_t)slot;
	c.p.fxset.ramp = (uint32_t)(d->cfg.ramp_ms * rate(d) / 1000.0);
	c.p.fxset.mailbox = d->m->regions[x->region].off * sizeof(float) + x->mailbox * MAILBOX_STRIDE;
	if (jl_daemon_push(d, &c) < 0)
		return say(rq, 1, "command queue full: not done, try again");
	return 0;
}

static int send_slot(struct jl_daemon *d, struct jl_req *rq, uint32_t ch, uint32_t slot, uint64_t at)
{
	struct jl_fx_m *x = &d->m->fx[ch][slot];
	struct jl_cmd c;
	memset(&c, 0, sizeof(c));
	c.type = JL_CMD_FX_SLOT;
	c.target = at;
	c.p.fxslot.chain = (uint16_t)ch;
	c.p.fxslot.slot = (uint16_t)slot;
	c.p.fxslot.type = x->type;
	if (x->type) {
		c.p.fxslot.off = d->m->regions[x->region].off * sizeof(float) + MAILBOX_BYTES;
		c.p.fxslot.bytes = d->m->regions[x->region].len * sizeof(float) - MAILBOX_BYTES;
		c.p.fxslot.mix = x->mix;
	}
	if (jl_daemon_push(d, &c) < 0)
		return say(rq, 1, "command queue full: not done, try again");
	return 0;
}

static int fx_add(struct jl_daemon *d, struct jl_req *rq, uint32_t ch, int argc, char **argv)
{
	struct jl_fx_m *x = NULL;
	uint32_t slot;
	float params[JL_FX_MAX_PARAMS];
	uint64_t bytes, at = when(d, rq);
	char err[512], desc[256], cn[16];
	int type, region;
	float *ir = NULL;
	for (slot = 0; slot < JL_FX_SLOTS; slot++)
		if (!d->m->fx[ch][slot].type && !d->m->fx[ch][slot].free_after) {
			x = &d->m->fx[ch][slot];
			break;
		}
	chain_name(ch, cn, sizeof(cn));
	if (!x)
		return say(rq, 1, "chain %s is full (%d effects)", cn, JL_FX_SLOTS);
	if (!strcmp(argv[0], "conv")) {
		const char *path = NULL;
		double mix = 1.0;
		uint32_t frames;
		int channels, i, r;
		char *end;
		for (i = 1; i < argc; i++) {
			if (!strncmp(argv[i], "ir=", 3))
				path = argv[i] + 3;
			else if (!strncmp(argv[i], "mix=", 4) && (mix = strtod(argv[i] + 4, &end), !*end) && mix >= 0 &&
				 mix <= 1)
				;
			else
				return say(rq, 2, "conv: parameters are ir=FILE and mix=0..1 (got '%s')", argv[i]);
		}
		if (!path)
			return say(rq, 2, "conv needs ir=FILE (a WAV impulse response)");
		/* the daemon's working directory is nobody's: a relative path
		 * would be read from it, and saved in a session as it was given */
		if (path[0] != '/')
			return say(rq, 2, "conv: ir=%s: the daemon needs an absolute path (the loopctl CLI makes one)",
				   path);
		if (strlen(path) >= sizeof(x->ir))
			return say(rq, 2, "conv: the IR path is too long");
		if (!d->conv_ok)
			return say(rq, 1, "convolution is not available in this jackloop (no FFT plans)");
		r = jl_ir_load(path, rate(d), jl_ir_max_frames(d->cfg.max_ir_seconds > 0 ? d->cfg.max_ir_seconds : MAX_IR_SECONDS, rate(d)), &ir, &frames, &channels, err,
			       sizeof(err));
		if (r < 0)
			return say(rq, 1, "%s", err);
		bytes = jl_conv_state_bytes(CONV_B, frames, channels);
		region = jl_looper_pool_alloc(d, (MAILBOX_BYTES + bytes + 3) / 4, 0x80000000u | (ch << 8) | slot);
		if (region < 0) {
			jl_free(ir);
			return say(rq, 1, "pool full: no room for the impulse response state (%llu MB)",
				   (unsigned long long)(bytes >> 20));
		}
		if (jl_conv_prepare(region_base(d, region) + MAILBOX_BYTES, bytes, CONV_B, ir, frames, channels) < 0) {
			jl_free(ir);
			jl_looper_pool_free(d, region);
			return say(rq, 1, "could not prepare the impulse response");
		}
		jl_free(ir);
		memset(x, 0, sizeof(*x));
		x->type = JL_FX_CONV;
		x->region = region;
		x->mix = (float)mix;
		snprintf(x->ir, sizeof(x->ir), "%s", path);
		if (send_slot(d, rq, ch, slot, at))
			return 1;
		json_object_set_new(rq->json, "slot", json_integer(slot + 1));
		return say(rq, 0, "%s slot %u: conv ir=%s (%u frames, %d ch), mix %.2f; adds %u frames of latency", cn,
			   slot + 1, path, frames, channels, mix, jl_conv_latency(CONV_B));
	}
	if (jl_fx_parse(argv[0], argc - 1, argv + 1, &type, params, err, sizeof(err)) < 0)
		return say(rq, 2, "%s", err);
	bytes = jl_fx_state_bytes(type, rate(d));
	region = jl_looper_pool_alloc(d, (MAILBOX_BYTES + bytes + 3) / 4, 0x80000000u | (ch << 8) | slot);
	if (region < 0)
		return say(rq, 1, "pool full: no room for the effect's state (%llu KB)", (unsigned long long)(bytes >> 10));
	memset(x, 0, sizeof(*x));
	x->type = (uint8_t)type;
	x->region = region;
	memcpy(x->params, params, sizeof(x->params));
	/* a zeroed block: the engine only initialises its header */
	memset(region_base(d, region) + MAILBOX_BYTES, 0, (size_t)bytes);
	if (send_slot(d, rq, ch, slot, at) || send_params(d, rq, ch, slot, at))
		return 1;
	jl_fx_describe(type, params, desc, sizeof(desc));
	json_object_set_new(rq->json, "slot", json_integer(slot + 1));
	return say(rq, 0, "%s slot %u: %s", cn, slot + 1, desc);
}

static int fx_set(struct jl_daemon *d, struct jl_req *rq, uint32_t ch, uint32_t slot, int argc, char **argv)
{
	struct jl_fx_m *x = &d->m->fx[ch][slot];
	char cur[512], err[512], desc[256], *words[64], *save = NULL, *w;
	float params[JL_FX_MAX_PARAMS];
	int n = 0, type, i;
	if (!x->type)
		return say(rq, 1, "no effect in slot %u", slot + 1);
	if (x->type == JL_FX_CONV) {
		char *end;
		double mix;
		if (argc != 1 || strncmp(argv[0], "mix=", 4) || (mix = strtod(argv[0] + 4, &end), *end) || mix < 0 ||
		    mix > 1)
			return say(rq, 2, "conv: only mix=0..1 can change (load another IR with fx add)");
		x->mix = (float)mix;
		return send_params(d, rq, ch, slot, when(d, rq)) ? 1 : say(rq, 0, "conv mix %.2f", mix);
	}
	/* the current values first, then the changes: later ones win */
	jl_fx_describe(x->type, x->params, cur, sizeof(cur));
	for (w = strtok_r(cur, " ", &save); w && n < 40; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	for (i = 0; i < argc && n < 63; i++)
		words[n++] = argv[i];
	if (jl_fx_parse(words[0], n - 1, words + 1, &type, params, err, sizeof(err)) < 0)
		return say(rq, 2, "%s", err);
	memcpy(x->params, params, sizeof(x->params));
	if (send_params(d, rq, ch, slot, when(d, rq)))
		return 1;
	jl_fx_describe(type, params, desc, sizeof(desc));
	return say(rq, 0, "slot %u: %s", slot + 1, desc);
}

static void list_chain(struct jl_daemon *d, uint32_t ch, json_t *arr, char **p, char *e)
{
	uint32_t s;
	char cn[16], desc[256];
	chain_name(ch, cn, sizeof(cn));
	for (s = 0; s < JL_FX_SLOTS; s++) {
		const struct jl_fx_m *x = &d->m->fx[ch][s];
		if (!x->type)
			continue;
		if (x->type == JL_FX_CONV)
			snprintf(desc, sizeof(desc), "conv ir=%s mix=%.2f", x->ir, (double)x->mix);
		else
			jl_fx_describe(x->type, x->params, desc, sizeof(desc));
		json_array_append_new(arr, json_pack("{s:s,s:i,s:s}", "chain", cn, "slot", s + 1, "effect", desc));
		if (*p < e)
			*p += snprintf(*p, (size_t)(e - *p), "\n  %s %u: %s", cn, s + 1, desc);
	}
}

int jl_cmd_fx(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv)
{
	uint32_t ch, slot;
	char *end;
	if (argc >= 2 && !strcmp(argv[1], "list")) {
		json_t *arr = json_array();
		char *p = rq->msg, *e = rq->msg + sizeof(rq->msg);
		p += snprintf(p, (size_t)(e - p), "effects:");
		if (argc == 3) {
			if (chain_of(d, argv[2], &ch) < 0)
				return json_decref(arr), say(rq, 2, "fx list [TRACK|master|inN]");
			list_chain(d, ch, arr, &p, e);
		} else {
			for (ch = 0; ch < JL_FX_CHAINS; ch++)
				list_chain(d, ch, arr, &p, e);
		}
		if (!json_array_size(arr) && p < e)
			snprintf(p, (size_t)(e - p), " none");
		json_object_set_new(rq->json, "effects", arr);
		return 0;
	}
	if (argc < 4 || chain_of(d, argv[2], &ch) < 0)
		return say(rq, 2, "usage: fx add TRACK|master|inN TYPE [name=value...] | fx set TARGET SLOT name=value... | "
				  "fx remove TARGET SLOT | fx list [TARGET]");
	/* add sends the slot and its parameters, set and remove one of them:
	 * checked before the model changes (or an IR is read) */
	if (jl_looper_room(d, rq, 2))
		return 1;
	if (!strcmp(argv[1], "add"))
		return fx_add(d, rq, ch, argc - 3, argv + 3);
	slot = (uint32_t)strtoul(argv[3], &end, 10);
	if (*end || slot < 1 || slot > JL_FX_SLOTS)
		return say(rq, 2, "SLOT is 1..%d (see: fx list)", JL_FX_SLOTS);
	slot--;
	if (!strcmp(argv[1], "set"))
		return fx_set(d, rq, ch, slot, argc - 4, argv + 4);
	if (!strcmp(argv[1], "remove")) {
		struct jl_fx_m *x = &d->m->fx[ch][slot];
		uint64_t at = when(d, rq);
		if (!x->type)
			return say(rq, 1, "no effect in slot %u", slot + 1);
		x->type = JL_FX_NONE;
		if (send_slot(d, rq, ch, slot, at))
			return 1;
		x->free_after = at + jl_daemon_period(d); /* the region is freed once RT let go */
		return say(rq, 0, "slot %u removed", slot + 1);
	}
	return say(rq, 2, "fx add|set|remove|list");
}

/* Frees the regions of removed effects once the RT side no longer reads
 * them (their removal is due). */
void jl_fx_tick(struct jl_daemon *d)
{
	uint64_t now = jl_daemon_now(d);
	uint32_t ch, s;
	for (ch = 0; ch < JL_FX_CHAINS; ch++)
		for (s = 0; s < JL_FX_SLOTS; s++) {
			struct jl_fx_m *x = &d->m->fx[ch][s];
			if (!x->type && x->free_after && now > x->free_after) {
				jl_looper_pool_free(d, x->region);
				memset(x, 0, sizeof(*x));
			}
		}
}
