/* jack_glue.h - the JACK client around the engine (non-RT setup; the
 * process callback only fetches buffers and calls the engine). */
#ifndef JL_JACK_GLUE_H
#define JL_JACK_GLUE_H

#include <jack/jack.h>
#include <signal.h>

#include "engine.h"

struct jl_glue {
	jack_client_t *client;
	struct jl_engine *engine;
	struct jl_shm *shm;
	uint32_t n_inputs;
	jack_port_t *in[JL_MAX_INPUTS];
	jack_port_t *out[JL_N_OUTPUTS];
	uint32_t n_track_outs;			/* --track-outs */
	jack_port_t *track_out[JL_MAX_TRACKS][2];
	uint32_t n_sends;			/* --sends */
	jack_port_t *send_out[JL_MAX_TRACKS][2], *ret_in[JL_MAX_TRACKS][2];
	jack_port_t *clock_out;			/* MIDI clock (clock_rt.c) */
	struct jl_midi_out midi;		/* its bytes of the current cycle */
	jack_port_t *clock_in;			/* an external MIDI clock */
	struct jl_midi_in midi_in;		/* its real-time bytes of the current cycle */
	volatile sig_atomic_t server_gone;
	char gone_reason[256];
	volatile sig_atomic_t rate_changed;
	uint32_t extra_out_latency;	/* frames jackloop adds on its outputs */
	uint32_t phones_delay;		/* frames the phones mix is delayed (from RT state) */
};

/* Registers ports and callbacks (before activation). Returns 0 or -errno
 * with a message in err. */
int jl_glue_setup(struct jl_glue *g, char *err, size_t n);

/* Re-reads port latencies and publishes them (also done from JACK's
 * latency callback). */
void jl_glue_publish_latency(struct jl_glue *g);

extern const char *const jl_out_port_names[JL_N_OUTPUTS];

#endif
