/* model.h - the daemon's authoritative musical model, placed in the
 * segment's model region (DESIGN 4.1) so that a restarted daemon carries
 * on where the last one stopped: anchor, tracks, layers, the pool
 * allocation table, the undo log and pending triggers.
 *
 * Only the daemon writes it; jackloop never reads it.  Plain fixed-width
 * fields, no pointers; sizes are static-asserted.  A new daemon adopts a
 * model with the right magic and version and bumps `generation`. */
#ifndef JL_MODEL_H
#define JL_MODEL_H

#include <stdint.h>

#define JL_MODEL_MAGIC 0x4C444F4Du	/* "MODL" */
#define JL_MODEL_VERSION 2
#define JL_MAX_LAYERS 1024
#define JL_MAX_ACTIONS 4096
#define JL_MAX_MEMBERS 8192
#define JL_MAX_TRIGGERS 128
#define JL_TRIGGER_CMD 112
#define JL_TRIGGER_RT 8

enum jl_layer_state { JL_L_FREE = 0, JL_L_ACTIVE, JL_L_UNDONE, JL_L_EVICTED, JL_L_PENDING };
enum jl_copy_state { JL_C_NONE = 0, JL_C_COPYING, JL_C_SWITCHING, JL_C_DONE, JL_C_LOST };

struct jl_layer_m {
	uint32_t id;		/* 1-based; 0 = free slot */
	uint16_t track;		/* 0-based */
	uint8_t state;		/* enum jl_layer_state */
	uint8_t channels;
	uint16_t in[2];
	uint8_t muted;
	uint8_t seam_mode;	/* enum jl_seam */
	int32_t voice;		/* -1: none */
	uint32_t seam;
	float gain;		/* linear layer gain */
	uint8_t copy_state;	/* enum jl_copy_state */
	uint8_t rate;		/* 0: 1x, 1: 2x, 2: half speed */
	uint8_t reverse;
	uint8_t pad;
	int32_t region;		/* pool region index, -1: none */
	uint32_t src_gen;	/* generation of the pool source sent */
	uint32_t number;	/* 1-based position within its track, for the user */
	uint64_t hist_start;	/* history frame of stored frame 0 */
	uint64_t data_len, head, body, period, origin;
	uint64_t copied;	/* frames copied into the pool so far */
	uint64_t copy_after;	/* engine frame before which copying waits (debug delay) */
	uint64_t started;	/* engine frame its voice (re)starts at */
	uint64_t data_off;	/* frames into its region where stored frame 0 is */
	uint64_t stride;	/* frames between the channels in its region */
	uint64_t seq;		/* creation order */
	uint64_t undone_seq;	/* when last undone (eviction is oldest first) */
	/* A long take is moved out of its recording region (twice the
	 * history) into one of its own size: 1 + that second region while
	 * the frames are moved (copy_state DONE), then 1 + the old region
	 * until the engine plays from the new one (SWITCHING); 0: none. */
	uint32_t spare_region;
	uint32_t pad2;
	uint64_t moved;		/* frames moved so far */
};

struct jl_region_m {
	uint64_t off, len;	/* floats */
	uint32_t layer;		/* owner id; 0 = free slot */
	uint32_t pad;
};

enum jl_rec_state { JL_REC_IDLE = 0, JL_REC_WAIT_THRESHOLD, JL_REC_RECORDING, JL_REC_FINISHING };
#define JL_REC_PA_MUTE 1u
#define JL_REC_ONSET_WAIT 2u	/* end waits for the analysis to pass it */
#define JL_REC_ONSET_READY 4u

struct jl_track_m {
	uint8_t used;
	uint8_t stopped;
	uint8_t muted;
	uint8_t soloed;
	uint8_t channels;	/* 1 or 2 */
	uint8_t rec_state;	/* enum jl_rec_state */
	uint16_t in[2];		/* 0-based inputs */
	float gain_db;
	float pan;		/* -1 .. 1 */
	uint32_t rec_flags;	/* JL_REC_*; bits 8..15: quantize mode */
	uint32_t rec_beats;	/* beats the first loop counts (bar/beat modes) */
	uint32_t send_on;	/* through its send/return ports */
	uint64_t send_comp;	/* frames its voices play early to make up the round trip */
	float rec_threshold;	/* linear, for JL_REC_WAIT_THRESHOLD */
	uint64_t rec_start;	/* history frame */
	uint64_t rec_end;	/* history frame; 0 = open */
	uint64_t rec_scan;	/* threshold scan position */
	uint64_t seq;
	uint32_t layers_made;	/* numbers layers for the user */
	uint32_t rec_layer;	/* id of a layer waiting for its end to be recorded */
	int32_t inc_region;	/* long take: region it is copied into while recording, -1 none */
	uint32_t pad5;
	uint64_t inc_from;	/* history frame at its offset 0 */
	uint64_t inc_copied;	/* frames copied so far */
	uint64_t inc_stride;	/* frames per channel */
};

enum jl_action_kind { JL_A_TAKE = 1, JL_A_CLEAR, JL_A_DELETE };

struct jl_action_m {
	uint32_t kind;		/* enum jl_action_kind; 0 = free */
	uint16_t track;
	uint8_t undone;
	uint8_t pad;
	uint64_t seq;		/* when done or last redone */
	uint64_t undone_seq;
};

struct jl_member_m {
	uint32_t action;	/* index + 1; 0 = free */
	uint32_t layer;		/* layer id */
};

enum jl_trig_mode { JL_T_ONCE = 0, JL_T_EVERY_CYCLE, JL_T_COUNT };

struct jl_trigger_m {
	uint32_t id;		/* 0 = free */
	uint8_t mode;		/* enum jl_trig_mode */
	uint8_t fired;		/* RT commands pushed, not yet due */
	uint8_t n_rt;
	uint8_t pad;
	uint32_t remaining;
	uint32_t rt_ids[JL_TRIGGER_RT];
	uint64_t frame;		/* engine (output) frame */
	uint64_t period;	/* re-arm interval */
	char cmd[JL_TRIGGER_CMD];
};

struct jl_model {
	uint32_t magic, version;
	uint64_t generation;
	uint64_t seq;
	uint32_t next_layer_id, next_trigger_id;
	uint32_t selected;		/* 0-based track */
	uint32_t engine_gen_seen;
	/* anchor (DESIGN 4.2) */
	uint8_t has_anchor;
	uint8_t quantize;		/* global quantize mode (enum jl_quant) */
	uint8_t sync_midi;		/* before the first loop, follow clock_in's tempo */
	uint8_t pad0;
	uint32_t beats_per_cycle;
	uint32_t beats_per_bar;
	float midi_clock_offset_ms;	/* MIDI clock out: later (+) or earlier (-) than the grid */
	uint64_t cycle;			/* frames */
	uint64_t origin;		/* engine (output) frame of a cycle start */
	double preset_bpm;		/* 0 = none */
	uint64_t grid_origin;		/* before an anchor: beat 0 of the tempo grid */
	uint64_t taps[8];
	uint32_t n_taps;
	uint32_t pad2;
	struct jl_track_m tracks[64];
	struct jl_layer_m layers[JL_MAX_LAYERS];
	struct jl_region_m regions[JL_MAX_LAYERS];
	struct jl_action_m actions[JL_MAX_ACTIONS];
	struct jl_member_m members[JL_MAX_MEMBERS];
	struct jl_trigger_m triggers[JL_MAX_TRIGGERS];
	float trim_db[32];		/* input trims (JL_MAX_INPUTS) */
	/* the performer's outputs */
	uint8_t click_on, click_pa, pa_mute_all;
	uint8_t midi_clock_off;		/* MIDI clock out (on by default) */
	float click_db;
	float phones_delay_ms;
	float phones_limit_db;
	float phones_db[64];		/* per track */
	float phones_master_db;
	float mon_main_db[32], mon_pan[32], mon_phones_db[32];	/* -200 = off */
	uint8_t mon_on[32];
	int64_t cal_latency;		/* measured round trip, -1 = use JACK's figures */
	struct jl_fx_m {
		uint8_t type;		/* enum jl_fx_type; 0 = empty */
		uint8_t mailbox;	/* which of the two mailboxes is next */
		uint16_t pad;
		int32_t region;		/* pool region: 2 mailboxes then the state */
		uint64_t free_after;	/* removed: the region is freed after this frame */
		float params[24];
		float mix;		/* convolution */
		char ir[100];		/* convolution: the IR file */
	} fx[97][8];			/* JL_FX_CHAINS x JL_FX_SLOTS */
};

#endif
