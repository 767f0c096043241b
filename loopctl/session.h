/* session.h - sessions on disk (`loopctl save DIR`, `loopctl load DIR`):
 * DIR/session.json (the anchor, the tracks and their layers) and one
 * 32-bit float WAV file per layer, written and read with libsndfile.
 *
 * The files are written and read by a worker thread, so the daemon's
 * loop (commands, the history copy, the analysis) never waits for the
 * disk; the loop only copies the layers' audio out of the pool (save) or
 * into it (load), and answers the request when the thread is done. */
#ifndef JL_SESSION_H
#define JL_SESSION_H

#include <jansson.h>
#include <stdint.h>

#define JL_SESSION_FORMAT "jackloop-session"
#define JL_SESSION_VERSION 1

/* One layer: its geometry (as the engine plays it) and its stored
 * frames, interleaved.  phase = (layer origin - anchor origin) mod the
 * period its voice repeats on: 2 * period at half speed (the engine plays
 * it over a virtual period of 2P, so phase and phase + P are different
 * halves of its frames against the other tracks), else period. */
struct jl_sess_layer {
	int track;		/* 0-based */
	uint32_t id;		/* the model's layer id (save: the one saved; load: the one made) */
	uint32_t number;
	uint8_t channels, seam_mode, muted, rate, reverse;
	float gain;		/* linear */
	uint64_t head, body, period, seam, data_len, phase;
	float *audio;		/* data_len * channels, interleaved */
	char file[64];	/* trackNN-layerMM[-saveG].wav */
	int32_t region;		/* load: the pool region it is copied into, -1 none */
	uint64_t pool_off;	/* load: that region's offset (floats) */
};

/* The period a layer's phase is taken modulo (see above). */
static inline uint64_t jl_sess_phase_period(uint64_t period, uint8_t rate)
{
	return rate == 2 ? 2 * period : period;
}

struct jl_sess_track {
	int track;		/* 0-based */
	uint8_t channels, muted, soloed, stopped;
	uint16_t in[2];		/* 0-based inputs */
	float gain_db, pan;
};

struct jl_session {
	uint32_t sample_rate;
	uint32_t converted_from;	/* load: the rate it was saved at, if it was converted (else 0) */
	uint64_t cycle;
	uint32_t beats_per_cycle, beats_per_bar;
	int quantize;		/* enum jl_quant */
	int n_tracks, n_layers;
	struct jl_sess_track tracks[64];
	struct jl_sess_layer *layers;
	uint32_t dropped;	/* load: layers of the old session dropped */
	int next_start;		/* load: the next layer to start (a large session starts over several ticks) */
	uint64_t start_at;	/* load: the cycle start the first batch starts on */
	json_t *effects;	/* the track and master effects: [{chain, slot, effect}] as `fx list` */
};

void jl_session_free(struct jl_session *s);

/* session.c: 1 while a save or load is being written or read; its part of
 * a status reply ("session": {"busy": "save"|"load"|null, "dir"}). */
int jl_session_busy(void);
void jl_session_status(json_t *obj, char *text, size_t n);

/* looper.c: stored frames [from, from + n) of layer `id`, interleaved into
 * dst + from * channels, from the pool or (while it is still being copied)
 * from the history.  Returns 0, or -1 when they are not available (the
 * layer is gone or lost, or the frames are not recorded yet). */
struct jl_daemon;
struct jl_req;
int jl_looper_layer_audio(struct jl_daemon *d, uint32_t id, float *dst, uint64_t from, uint64_t n);

/* looper.c: loading a session, in two steps around the copy of its frames
 * into the pool (done by the worker thread: nothing reads those regions
 * until the layers exist).
 * prepare: the checks (sample rate, an empty looper, pool space, voices),
 * then reserves a region per layer (s->layers[k].region, .pool_off):
 * beside the old session's undone layers when the pool has room for both
 * (they are dropped in finish), else in their space, dropping them and
 * the undo log now.  Returns 0, 1 with rq->msg saying why nothing changed
 * (a fragmented pool included: the undone layers are kept), or
 * JL_SESSION_WAIT while the old session's voices fade out (their regions
 * are still read: try again on a later tick).
 * finish: drops the undone layers and the undo log, then the anchor, the
 * tracks and the layers, on a new cycle start; the first batch of voices
 * starts on it, at the saved phases (start_more).  Returns 0, or 1 (a take
 * was recorded meanwhile: the regions are freed, and the undone layers
 * are still there unless prepare needed their space).
 * abort: frees the reserved regions. */
#define JL_LOADING_OWNER 0x20000000u	/* pool owner tag of a load's regions */
#define JL_SESSION_WAIT 3
int jl_looper_load_prepare(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s);
int jl_looper_load_finish(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s);
/* Starts the loaded layers' voices, a batch per tick: on the cycle start
 * while it is ahead, else joining at their phase with a fade-in (a large
 * session, or a full command queue).  Returns how many are left. */
int jl_looper_load_start_more(struct jl_daemon *d, struct jl_session *s);
void jl_looper_load_abort(struct jl_daemon *d, struct jl_session *s);

/* Importing an audio file as a loop (`loopctl import FILE`): one new
 * layer whose frames come from the file instead of the history.  The
 * worker reads it (libsndfile), converts its rate (libsamplerate), maps
 * its channels to the track's and fits it to the cycle; the daemon's loop
 * then reserves its region (prepare), the worker copies the frames in,
 * and the loop makes the layer (finish).  The looper is looked at when
 * the import is asked (plan); if the cycle changed meanwhile (a first
 * loop was recorded, a session loaded), the import is refused. */
struct jl_analysis;
struct jl_import {
	int track;		/* 0-based, or JL_T_NEW */
	uint32_t cycles;	/* --cycles: cycles it lasts (0: the nearest whole number) */
	uint32_t beats;		/* --beats: a first loop's beats (0: from the preset tempo or the file) */
	int stretch;		/* --stretch: time-stretched to the cycles (pitch kept) instead of cut or padded */
	int now;		/* --now: joins at the phase now (a fade-in) instead of on the next cycle start */
	/* plan: the looper when it was asked */
	int anchored;
	uint64_t cycle;
	double preset_bpm;
	uint8_t channels;	/* an existing track's channels; 0: the file's (a new track) */
	uint64_t fade;		/* frames of fade-out where a longer file is cut */
	struct jl_analysis *ana; /* a first loop without a count: made and freed by the daemon's thread */
	/* the worker: what it did */
	uint64_t frames;	/* the file's length at JACK's rate */
	uint32_t fitted;	/* cycles it was fitted to (0: it is the first loop) */
	char beats_from[48];	/* a first loop: where its count came from */
};
int jl_session_import(struct jl_daemon *d, struct jl_req *rq, const char *file, const struct jl_import *im);
/* 0: no save, load or import runs; else JL_RC_DEFERRED (the command waits
 * for its turn and is answered then) or 1 (busy: one waits already) */
int jl_session_wait_turn(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv);
/* looper.c: plan checks the track and takes the snapshot; prepare
 * reserves the region and checks the voice (0, or 1 with rq->msg); finish
 * makes the layer (undoable as a take) on the next cycle start, or makes
 * it the anchor.  abort is jl_looper_load_abort. */
int jl_looper_import_plan(struct jl_daemon *d, struct jl_req *rq, struct jl_import *im);
int jl_looper_import_prepare(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s, const struct jl_import *im);
int jl_looper_import_finish(struct jl_daemon *d, struct jl_req *rq, struct jl_session *s, const struct jl_import *im);

#endif
