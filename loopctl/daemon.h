/* daemon.h - state of `loopctl serve`, the control daemon (non-RT). */
#ifndef JL_DAEMON_H
#define JL_DAEMON_H

#include <jansson.h>
#include <lo/lo.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../shared/jl_shm.h"
#include "clockin.h"
#include "midi.h"

#define JL_DEFAULT_OSC_PORT 9960
#define JL_TICK_US 4000	/* timer tick: queues, events, analysis */
#define JL_LIVE_FEED_MAX_S 0.1 /* at most this much audio fed to the analysis per tick */
#define JL_MIN_TAKE_MS 100	/* a press ending a take sooner is a bounce, ignored */
#define JL_RC_DEFERRED 9	/* a handler will answer later (calibrate, save, load) */

/* One request being answered (OSC, CLI, MIDI or a trigger). */
struct jl_req {
	uint64_t arrival;	/* engine frame of arrival (DESIGN 2.3/2.4) */
	int has_arrival;
	int scheduled;		/* from a trigger: act exactly at `at` */
	int from_osc;		/* d->src is who asked (for answers that come later) */
	uint64_t at;
	json_t *json;		/* reply object, filled by the handler */
	char msg[2048];		/* reply text, or the error */
};

/* Looper settings (loopctl serve options). */
struct jl_looper_cfg {
	double quantize_ms;	/* snap tolerance (clamped to a quarter cycle) */
	double seam_ms;		/* loop seams */
	double ramp_ms;		/* level changes */
	int monitor_phones;	/* the performer hears the phones, not the PA */
	uint32_t extra_latency;	/* frames added to the compensation */
	int extend_whole;	/* extend long takes to whole cycles, not 2^k */
	double copy_delay_ms;	/* debug: delay the history -> pool copy */
	double preroll_ms;	/* threshold starts keep this much before the attack */
	double onset_window_ms;	/* onset quantization reach (default 100) */
	int analysis_input;	/* 0-based input the analysis hears, -1 = mix of all */
	int quantize;		/* enum jl_quant given on the command line, 0 = keep */
	double max_ir_seconds;	/* longest convolution impulse response */
	double phones_delay_ms;	/* --phones-delay; -1 = as the model has it */
};

struct jl_analysis;
struct jl_notify;

struct jl_model;
struct jl_trigger_m;

struct jl_daemon {
	struct jl_shm shm;
	uint32_t next_voice;	/* voices are handed out round-robin from here */
	struct jl_spsc_h cmdq;	/* producer side */
	struct jl_spsc_h evtq;	/* consumer side */
	char server[64], name[64];
	/* OSC */
	lo_server osc;
	int osc_fd;
	int osc_port;
	int stamping;		/* SIOCGSTAMP works */
	struct sockaddr_storage src;	/* source of the packet being handled */
	unsigned src_len;
	uint64_t cur_arrival;
	int cur_has_arrival;
	/* MIDI */
	struct jl_midi *midi;
	struct jl_clockin clockin;	/* an external clock on jackloop's clock_in */
	uint64_t sync_bar;		/* sync midi: clocks that began a bar (the last set) */
	/* loop */
	int tfd, sfd;
	int quit;
	uint32_t next_id;
	/* counters we log when they change */
	uint32_t seen_xruns, seen_rejected, seen_late, seen_dropped, seen_gaps, seen_evt_dropped, seen_overrun;
	uint64_t events_seen;
	uint64_t osc_errors;
	uint64_t osc_unanswered;	/* foreign messages left unanswered (osc.c) */
	struct jl_osc_peer {		/* answers to foreign messages, per source */
		struct sockaddr_storage addr;
		unsigned len;
		double tokens, at;	/* budget left, and when it was counted */
	} osc_peers[8];
	/* looper */
	struct jl_looper_cfg cfg;
	struct jl_model *m;
	uint64_t pool_floats;
	float *pool;
	struct jl_trigger_m *capture;	/* collects RT ids pushed while a trigger runs */
	/* live analysis (live.c) */
	struct jl_analysis *ana;
	uint64_t ana_pos;		/* next history frame to feed */
	float *ana_buf;
	uint32_t ana_buf_len;
	double ana_cpu_s;		/* CPU seconds spent feeding */
	uint64_t ana_fed;		/* frames fed */
	char note[512];			/* a warning the next tick logs */
	/* calibration (calibrate.c) */
	struct {
		int active;
		uint64_t at;		/* engine frame the burst starts */
		uint32_t frames, seed, input, output, max_lat;
		uint32_t gaps;		/* the engine's gap count when it began */
		struct sockaddr_storage src;
		int has_src;
	} cal;
	int64_t latency_override;	/* measured round trip replacing JACK's figure; -1 none */
	int conv_ok;			/* jackloop made convolution plans */
	struct jl_notify *notify;	/* OSC state feedback (notify.c) */
	struct jl_midi_map *midi_map;	/* the pedal map from a file; NULL: the built-in one */
	struct jl_midi_state midi_state; /* the pedals' last values (a press is a crossing) */
	char start_load[1024];		/* serve --load: a session to load once the engine runs */
};

/* Pushes a command into the ring.  Fills c->id.  Returns 0, or -EAGAIN
 * when the ring is full (the caller replies with an error: DESIGN 6.4). */
int jl_daemon_push(struct jl_daemon *d, struct jl_cmd *c);

/* The engine frame "now" (from the latest cycle snapshot), and the frame
 * at which an immediate audible action lands: arrival + one period. */
uint64_t jl_daemon_now(const struct jl_daemon *d);
uint64_t jl_daemon_period(const struct jl_daemon *d);

/* A CLOCK_REALTIME time in microseconds -> engine frame, through the
 * published cycle times (DESIGN 2.4).  Returns 0 or -1 (no cycle yet). */
int jl_daemon_realtime_to_frame(const struct jl_daemon *d, uint64_t rt_us, uint64_t *frame);

/* Runs one command line (argv[0] = command name) from any front end and
 * fills rq.  Returns 0 on success, 1 on a failed command, 2 on usage. */
int jl_daemon_run(struct jl_daemon *d, struct jl_req *rq, int argc, char **argv);

int jl_serve_main(int argc, char **argv);

/* Can a MIDI map bind this word (a command the daemon runs)? */
int jl_midi_command_ok(const char *word);

/* Writes the reply text of a request and returns rc (0 ok, 1 failed,
 * 2 usage): every handler's one-liner for answering. */
int jl_say(struct jl_req *rq, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Attaches the daemon's view of a mapped segment (queues, model, pool),
 * adopting a model left by an earlier daemon.  Used by serve and by the
 * offline tests.  Returns 0 or -EPROTO. */
int jl_daemon_attach(struct jl_daemon *d, char *err, size_t n);

/* Live analysis of the history (live.c).  init plans the FFTs (after the
 * OSC server is up); tick feeds what the ring gained since the last tick,
 * bounded per call so a command never waits more than one tick. */
int jl_live_init(struct jl_daemon *d);
void jl_live_tick(struct jl_daemon *d);
void jl_live_close(struct jl_daemon *d);
void jl_live_status(struct jl_daemon *d, json_t *obj);

/* Calibration (calibrate.c): finishes a measurement from the tick. */
void jl_cal_tick(struct jl_daemon *d);
void jl_fx_tick(struct jl_daemon *d);
/* The performer's outputs (outputs.c): the beat grid (click, synced
 * effects, MIDI clock) as the model has it, `until` ending the click
 * (count-in); the MIDI clock switch; the external clock's part of a
 * status reply. */
int jl_outputs_send_click(struct jl_daemon *d, struct jl_req *rq, uint64_t when, uint64_t until, int force_on);
int jl_outputs_send_midi_clock(struct jl_daemon *d, struct jl_req *rq, uint64_t when);
void jl_outputs_sync_status(struct jl_daemon *d, json_t *obj, char *text, size_t n);
/* Sessions (session.c): answers a save or load when its files are done. */
void jl_session_tick(struct jl_daemon *d);
/* Everything the daemon does on a timer tick after draining events. */
void jl_daemon_tick(struct jl_daemon *d);

#endif
