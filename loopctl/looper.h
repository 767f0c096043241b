/* looper.h - the musical logic of the daemon (DESIGN 3-4): takes cut out
 * of the history, the anchor and quantization, tracks and layers with an
 * undo log, the pool, ramps and triggers.  Non-RT; runs in the daemon's
 * poll loop and talks to the engine only through the command queue and
 * the published RT state. */
#ifndef JL_LOOPER_H
#define JL_LOOPER_H

#include <jansson.h>
#include <stdint.h>

struct jl_daemon;
struct jl_req;

/* Track targets: a 0-based index, or one of these. */
#define JL_T_SELECTED (-1)
#define JL_T_ALL (-2)
#define JL_T_NEW (-3)

/* Quantize modes (DESIGN 4.4), per command or global. */
enum jl_quant { JL_Q_DEFAULT = 0, JL_Q_OFF, JL_Q_CYCLE, JL_Q_BAR, JL_Q_BEAT, JL_Q_ONSET };
int jl_looper_parse_quant(const char *w);	/* enum jl_quant, or -1 */
const char *jl_looper_quant_name(int q);

struct jl_rec_opts {
	int track;		/* index, JL_T_SELECTED (default) or JL_T_NEW */
	uint32_t cycles;	/* fixed length in cycles, 0 = ends on the next press */
	uint32_t bars;		/* fixed length in bars at the preset tempo (first loop) */
	int pa_mute;
	int n_in;		/* 0 = keep the track's inputs */
	uint16_t in[2];
	int has_threshold;
	double threshold_db;
	int quant;		/* enum jl_quant; JL_Q_DEFAULT = the global mode */
	uint32_t count_in;	/* bars of click before the take starts on a bar */
};

/* Adopts the model a previous daemon left in the segment, or initialises
 * an empty one.  Returns 1 if adopted, 0 if new. */
int jl_looper_init(struct jl_daemon *d);

/* Called on every timer tick: threshold starts, take completion, the
 * history -> pool copy and source switch, voice release, triggers, and
 * re-sending voices to a restarted jackloop. */
void jl_looper_tick(struct jl_daemon *d);

/* Command entry points: 0 success, 1 failure, 2 usage (rq->msg says why). */
int jl_looper_record(struct jl_daemon *d, struct jl_req *rq, const struct jl_rec_opts *o);
int jl_looper_capture(struct jl_daemon *d, struct jl_req *rq, uint32_t cycles, double seconds, uint32_t bars,
		      int track);
int jl_looper_quantize(struct jl_daemon *d, struct jl_req *rq, const char *mode);
int jl_looper_meter(struct jl_daemon *d, struct jl_req *rq, const char *arg);
int jl_looper_downbeat(struct jl_daemon *d, struct jl_req *rq);
int jl_looper_send(struct jl_daemon *d, struct jl_req *rq, int track, int on);
int jl_looper_undo(struct jl_daemon *d, struct jl_req *rq, int track, int redo);
int jl_looper_play(struct jl_daemon *d, struct jl_req *rq, int track, int sync, int top);
int jl_looper_stop(struct jl_daemon *d, struct jl_req *rq, int track);
int jl_looper_mute(struct jl_daemon *d, struct jl_req *rq, int track, int mode);	/* 0 unmute, 1 mute, 2 toggle */
int jl_looper_gain(struct jl_daemon *d, struct jl_req *rq, int track, double db);
int jl_looper_pan(struct jl_daemon *d, struct jl_req *rq, int track, double pan);
int jl_looper_solo(struct jl_daemon *d, struct jl_req *rq, int track, int mode);
int jl_looper_layer(struct jl_daemon *d, struct jl_req *rq, int track, uint32_t number, const char *op, double db);
int jl_looper_clear(struct jl_daemon *d, struct jl_req *rq, int track);
int jl_looper_select(struct jl_daemon *d, struct jl_req *rq, const char *what);
int jl_looper_panic(struct jl_daemon *d, struct jl_req *rq);
int jl_looper_tap(struct jl_daemon *d, struct jl_req *rq);
int jl_looper_tempo(struct jl_daemon *d, struct jl_req *rq, double bpm);
int jl_looper_tempo_scale(struct jl_daemon *d, struct jl_req *rq, unsigned num, unsigned den);
/* spec: "next-cycle", "next-bar" or an absolute frame; mode/count as in
 * struct jl_trigger_m; words = the command line to run. */
int jl_looper_at(struct jl_daemon *d, struct jl_req *rq, const char *spec, int mode, uint32_t count,
		 int argc, char **words);
int jl_looper_triggers(struct jl_daemon *d, struct jl_req *rq);
int jl_looper_cancel(struct jl_daemon *d, struct jl_req *rq, uint32_t id);

/* The pool allocator (floats, 64-byte aligned regions); owner ids with
 * the top bit set are not layers (effects).  Returns a region or -1. */
int jl_looper_pool_alloc(struct jl_daemon *d, uint64_t floats, uint32_t owner);
void jl_looper_pool_free(struct jl_daemon *d, int region);

/* 0 if n RT commands fit the command queue now (and so until they are
 * pushed: the daemon is its only producer), else 1 with the queue-full
 * answer in rq.  A command checks this before it changes the model. */
int jl_looper_room(struct jl_daemon *d, struct jl_req *rq, uint32_t n);

/* Resolves a user's track word ("1".., "sel", "all") to a target. */
int jl_looper_parse_track(struct jl_daemon *d, const char *w, int *track);

/* A track's state, as status names it (jl_track_state_names). */
enum jl_track_state { JL_TS_EMPTY, JL_TS_WAITING, JL_TS_RECORDING, JL_TS_STOPPED, JL_TS_MUTED, JL_TS_PLAYING };
extern const char *const jl_track_state_names[];
enum jl_track_state jl_looper_track_state(const struct jl_daemon *d, int t);

/* Adds anchor, tracks, triggers and pool to a status reply; `only` >= 0
 * lists that track alone (a full list of hundreds of layers can outgrow
 * one OSC datagram). */
void jl_looper_status(struct jl_daemon *d, json_t *obj, char *text, size_t n, int only);

/* Pure, for tests: the quantization and extension rules. */
struct jl_geom {
	uint64_t s, e;		/* output frames after snapping */
	uint64_t period;	/* the layer's repeat period */
	uint64_t seam;		/* seam frames (clamped for edges) */
	int seam_mode;		/* enum jl_seam */
	int snapped_s, snapped_e;
};
/* s, e: output frames of a take on a session with cycle C and origin O.
 * tol: snap tolerance in frames; seam: requested seam; whole: extend to
 * whole cycles instead of 2^k.  Returns 0, or -EINVAL for an empty take. */
/* Whole beats of `bpm` in a loop of `frames` (at least 1): the beats per
 * cycle a given tempo names. */
uint32_t jl_looper_beats_at(uint64_t frames, uint32_t sample_rate, double bpm);
int jl_looper_geometry(uint64_t C, uint64_t O, uint64_t tol, uint64_t s, uint64_t e, uint64_t seam, int whole,
		       struct jl_geom *g);

/* The beat grid the click, MIDI clock and quantization share (DESIGN
 * 2.6): beat k at origin + floor(k * span / beats), computed from k and
 * never accumulated.  The loop's (span = cycle, beats = beats per cycle),
 * else the preset tempo's or the detected tempo's bar (beats = per_bar).
 * The detected tempo's origin is a downbeat where the analysis knows the
 * bar phase (bar_phase = 1), else a beat. */
struct jl_grid {
	uint64_t origin, span;
	uint32_t beats, per_bar;
	int bar_phase;
};
int jl_looper_grid(const struct jl_daemon *d, struct jl_grid *g);	/* 0, or -ENOENT: no tempo */
/* Lines every `every` beats: n = 0 the last line at or before y, n = 1 the
 * next one after it, n = -1 the one before, and so on. */
uint64_t jl_grid_line(const struct jl_grid *g, uint32_t every, uint64_t y, int64_t n);

#endif
