/* engine_priv.h - the engine's private state, shared by engine.c and the
 * *_rt.c files.  Lives in jackloop's own memory (allocated and mlocked at
 * start-up), never in shm. */
#ifndef JL_ENGINE_PRIV_H
#define JL_ENGINE_PRIV_H

#include "engine.h"

struct jl_engine {
	struct jl_shm *shm;
	struct jl_shm_header *hdr;
	struct jl_rt_state *rt;
	struct jl_voice_pub *vpub;
	float *hist;
	uint64_t hist_frames;
	uint32_t n_inputs;
	uint32_t rate;
	uint32_t max_voices;
	struct jl_spsc_h cmdq;	/* consumer side */
	struct jl_spsc_h evtq;	/* producer side */

	/* Timeline. */
	int started;
	uint64_t frame;		/* next engine frame */
	uint32_t last_jack_frames;
	uint32_t last_nframes;
	uint64_t offset;	/* engine frame - JACK frame (low 32 bits matter) */
	uint32_t offset_marks;

	/* Future-dated commands (unsorted; min cached). */
	struct jl_cmd pending[JL_PENDING_MAX];
	uint32_t n_pending;

	/* Master bus. */
	struct jl_ramp master;
	struct jl_ramp trim[JL_MAX_INPUTS];
	float impulse_amp;	/* one-shot impulse at the current sub-block start */
	int impulse_armed;

	/* Meters (local copies of what is published). */
	float in_peak[JL_MAX_INPUTS];
	float out_peak[JL_N_OUTPUTS];
	uint32_t gap_count;

	/* Scratch, one sub-block. */
	float bus[2][JL_BLOCK];
	float inbuf[JL_MAX_INPUTS][JL_BLOCK];
};

#endif
