/* engine.h - the RT engine: a pure function of (state, inputs, commands)
 * -> outputs (DESIGN 8).  The JACK glue calls jl_engine_process_rt() once
 * per cycle; tests call it directly with synthetic buffers.
 */
#ifndef JL_ENGINE_H
#define JL_ENGINE_H

#include <stdint.h>

#include "../shared/jl_shm.h"

#define JL_PENDING_MAX 1024	/* future-dated commands waiting (documented capacity) */
#define JL_DRAIN_MAX 256	/* commands taken from the ring per cycle */
#define JL_MAX_RAMP_FRAMES (10u * 768000u)	/* 10 s at the highest rate */
#define JL_MAX_GAIN 16.0f	/* +24 dB */
#define JL_MAX_AHEAD_S 86400u	/* a target more than a day ahead is rejected */

/* A closed-form ramp (DESIGN 2.7): sample i of an N-sample ramp is
 * g0 + (g1 - g0) * (i + 1) / N; a new target starts from the current value. */
struct jl_ramp {
	float cur, g0, g1;
	uint32_t n, i;
};

struct jl_engine;

/* MIDI bytes the engine sends in one cycle (clock_rt.c): byte[i] at
 * frame offset off[i] of the cycle, in order.  The glue writes them to
 * the clock_out port. */
#define JL_MIDI_OUT_MAX 1024
struct jl_midi_out {
	uint32_t n;
	uint32_t off[JL_MIDI_OUT_MAX];
	uint8_t byte[JL_MIDI_OUT_MAX];
};

/* MIDI real-time bytes that arrived on clock_in in one cycle: byte[i] at
 * frame offset off[i].  The engine passes them to the daemon as events
 * with their engine frames. */
#define JL_MIDI_IN_MAX 256
struct jl_midi_in {
	uint32_t n;
	uint32_t off[JL_MIDI_IN_MAX];
	uint8_t byte[JL_MIDI_IN_MAX];
};

/* One cycle's I/O.  in[i] for i < n_inputs, out[] for the four outputs
 * (out_L, out_R, phones_L, phones_R); any pointer may be NULL (treated as
 * silence / not written). */
struct jl_engine_io {
	const float *in[JL_MAX_INPUTS];
	float *out[JL_N_OUTPUTS];
	float *track_out[JL_MAX_TRACKS][2];	/* --track-outs: post-fader track buses; NULL = none */
	float *send_out[JL_MAX_TRACKS][2];	/* --sends: a track's bus to an external rack */
	const float *ret_in[JL_MAX_TRACKS][2];	/* ... and back */
	struct jl_midi_out *midi;	/* MIDI clock out; NULL = no port (the clock state still advances) */
	const struct jl_midi_in *midi_in;	/* clock_in; NULL = none */
	uint32_t nframes;
	uint32_t jack_frames;	/* jack_get_cycle_times current_frames (wraps at 2^32) */
	uint64_t usecs;		/* current_usecs */
	uint64_t next_usecs;
	float period_usecs;
};

/* Creates an engine over a mapped segment (non-RT only).  Attaches to the
 * command and event rings (creating nothing in shm).  On a re-attached
 * segment the rings' indices are validated; an insane command ring is
 * drained (tail := head) and counted.  Returns NULL on failure. */
struct jl_engine *jl_engine_create(struct jl_shm *s);
void jl_engine_destroy(struct jl_engine *e);

/* Locks the engine's own memory in RAM (mlock, block by block: the engine
 * struct, the voice table, the phones delay lines, the click tables);
 * jl_engine_create has already faulted every page of it in, so the
 * callback takes no page fault on it either way.  Sets *total to the
 * bytes of that memory and *err_no to the errno of the first block that
 * could not be locked (0 if all were; the rest are then not tried).
 * Returns the bytes locked.  jl_engine_destroy unlocks them.  Non-RT only. */
uint64_t jl_engine_lock_memory(struct jl_engine *e, uint64_t *total, int *err_no);

/* The whole RT cycle: history, commands, voices, mix, outputs, publish.
 * RT-safe: no allocation, no locks, no syscalls, bounded work. */
void jl_engine_process_rt(struct jl_engine *e, const struct jl_engine_io *io);

/* Called from the RT thread by the glue's xrun callback. */
void jl_engine_xrun_rt(struct jl_engine *e);

/* Test hook: the engine frame the next cycle will start at. */
uint64_t jl_engine_frame(const struct jl_engine *e);

/* --- RT helpers shared by the *_rt.c files (not for other callers) --- */
void jl_history_write_rt(struct jl_engine *e, const float *const *in, uint64_t frame, uint32_t n);
void jl_history_silence_rt(struct jl_engine *e, uint64_t frame, uint64_t n);
void jl_ramp_set_rt(struct jl_ramp *r, float target, uint32_t n);
void jl_ramp_apply_rt(struct jl_ramp *r, float *buf, uint32_t n);
/* Voices into track buses into the stereo master bus (track_rt.c). */
void jl_tracks_process_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *bus_l, float *bus_r);
/* The performer's outputs (bus_rt.c). */
void jl_bus_phones_rt(struct jl_engine *e, uint64_t f, uint32_t n);
void jl_bus_phones_delay_rt(struct jl_engine *e, uint32_t frames, uint32_t xfade);
void jl_bus_main_in_rt(struct jl_engine *e, uint64_t f, uint32_t n, float *bl, float *br);
void jl_bus_main_limit_rt(struct jl_engine *e, float *bl, float *br, uint32_t n);
void jl_bus_cal_rt(struct jl_engine *e, const struct jl_engine_io *io, uint32_t off, uint32_t n);
/* MIDI clock out (clock_rt.c). */
void jl_clock_grid_rt(struct jl_engine *e, uint64_t origin, uint64_t span, uint32_t beats, uint32_t per_bar);
void jl_clock_enable_rt(struct jl_engine *e, int on, int32_t offset);
void jl_clock_process_rt(struct jl_engine *e, const struct jl_engine_io *io, uint32_t off, uint64_t f, uint32_t n);
/* Effect chains (chain_rt.c). */
struct jl_cmd;
void jl_chain_process_rt(struct jl_engine *e, uint32_t ch, float *l, float *r, uint32_t n);
int jl_chain_slot_ok_rt(const struct jl_engine *e, const struct jl_cmd *c);
int jl_chain_slot_rt(struct jl_engine *e, const struct jl_cmd *c);	/* 0, or -EINVAL: not bound */
int jl_chain_set_rt(struct jl_engine *e, const struct jl_cmd *c);
/* Gives the engine the convolution plans (non-RT, before activation). */
struct jl_conv_plans;
void jl_engine_set_conv_plans(struct jl_engine *e, const struct jl_conv_plans *p);
/* Tempo for synced effects (frames per beat; 0 = none), non-RT setter used
 * by the FX context command path. */

#endif
