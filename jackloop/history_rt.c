/* history_rt.c - the always-on input history (DESIGN 3.1).
 *
 * Frame f of input i lives at hist[i * hist_frames + f % hist_frames].  The
 * writer publishes history_head (release) after the samples are in place, so
 * a reader that loads head (acquire) may read [head - hist_frames, head),
 * and must re-check head afterwards to learn whether the ring overtook it.
 */
#include <string.h>

#include "engine_priv.h"

void jl_history_write_rt(struct jl_engine *e, const float *const *in, uint64_t frame, uint32_t n)
{
	uint64_t pos = frame % e->hist_frames;
	uint64_t first = e->hist_frames - pos;
	uint32_t i;
	if (first > n)
		first = n;
	for (i = 0; i < e->n_inputs; i++) {
		float *ring = e->hist + (uint64_t)i * e->hist_frames;
		memcpy(ring + pos, in[i], (size_t)first * sizeof(float));
		if (first < n)
			memcpy(ring, in[i] + first, (size_t)(n - first) * sizeof(float));
	}
}

/* Records a gap as silence.  Bounded by the ring length; a gap is rare
 * (an xrun or a stalled server), and leaving stale audio from a ring-length
 * ago in place would let a take play it. */
void jl_history_silence_rt(struct jl_engine *e, uint64_t frame, uint64_t n)
{
	uint64_t pos, first;
	uint32_t i;
	if (n > e->hist_frames) {
		frame += n - e->hist_frames;
		n = e->hist_frames;
	}
	pos = frame % e->hist_frames;
	first = e->hist_frames - pos;
	if (first > n)
		first = n;
	for (i = 0; i < e->n_inputs; i++) {
		float *ring = e->hist + (uint64_t)i * e->hist_frames;
		memset(ring + pos, 0, (size_t)first * sizeof(float));
		if (first < n)
			memset(ring, 0, (size_t)(n - first) * sizeof(float));
	}
}
