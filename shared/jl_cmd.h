/* jl_cmd.h - fixed-size messages between the daemon and the RT side.
 *
 * A command is one 64-byte cache line: a header (type, flags, id, target
 * frame) and 48 bytes of type-specific payload.  Commands larger than that
 * are sent as several commands with the same target; the RT side applies
 * commands with equal targets in queue order, so they take effect together.
 *
 * The RT side trusts none of these fields: every index, length, offset and
 * parameter is range-checked before use, and a bad command is counted in
 * rt->cmd_rejected and reported back by an event (DESIGN 1.2).
 */
#ifndef JL_CMD_H
#define JL_CMD_H

#include <stdint.h>

enum jl_cmd_type {
	JL_CMD_NOP = 0,
	JL_CMD_MASTER_GAIN,	/* f[0]=target linear gain, u[1]=ramp frames */
	JL_CMD_IMPULSE,		/* f[0]=amplitude: one sample on every main and phones output */
	JL_CMD_METER_RESET,	/* restart peak-since-last-read meters */
	JL_CMD_CANCEL,		/* u[0]=id of a pending command to drop */
	JL_CMD_INPUT_TRIM,	/* u[0]=input index, f[2]=linear gain (ramped) */
	JL_CMD_VOICE_SRC,	/* p.vsrc: where a voice's stored frames are (set or switch) */
	JL_CMD_VOICE_START,	/* p.vstart: geometry; starts the voice silent (then VOICE_GAIN) */
	JL_CMD_VOICE_GAIN,	/* p.vgain: ramp a voice's gain; JL_VGAIN_STOP ends it at 0 (during an
				 * overrun fade-out only 0 is taken: the fade ends the voice) */
	JL_CMD_VOICE_ORIGIN,	/* p.vorigin: move a voice's phase origin (restart) */
	JL_CMD_TRACK_GAIN,	/* p.tgain: ramp a track bus's left/right gains */
	JL_CMD_PA_GAIN,		/* p.gain: ramp the main outputs only (PA mute), phones untouched */
	JL_CMD_PHONES_GAIN,	/* p.tgain: track's phones level (gl = gr); track JL_PHONES_MASTER: the whole mix */
	JL_CMD_PHONES_DELAY,	/* p.u[0]: delay of the phones mix in frames (crossfaded over p.u[1]) */
	JL_CMD_INPUT_MON,	/* p.imon: dry input monitoring levels, main L/R and phones */
	JL_CMD_CLICK,		/* p.click: metronome grid and levels */
	JL_CMD_LIMIT,		/* p.limit: ceiling of the master or phones limiter */
	JL_CMD_CAL_PLAY,	/* p.cal: a known noise burst on one output, from the target frame */
	JL_CMD_FX_SLOT,		/* p.fxslot: put an effect (state in the pool) in a chain slot, reset it */
	JL_CMD_FX_SET,		/* p.fxset: new parameters, read from a mailbox in the pool */
	JL_CMD_VOICE_MODE,	/* p.vmode: playback rate (1x, 2x, half) and direction */
	JL_CMD_SEND,		/* p.u[0]: track, p.u[1]: 1 = through its send/return ports */
	JL_CMD_MIDI_CLOCK,	/* p.u[0]: 1 = send MIDI clock on the beat grid (JL_CMD_CLICK), 0 = stop;
				 * p.i[1]: frames later (+) or earlier (-) than the grid, |i[1]| <= rate / 10 */
	JL_CMD__COUNT
};

/* Voice sources (DESIGN 3.2): the history ring, then the pool. */
enum jl_src { JL_SRC_NONE = 0, JL_SRC_HIST = 1, JL_SRC_POOL = 2 };

/* Seams (DESIGN 3.3). XFADE: the take is whole periods (body == period);
 * its last `seam` frames crossfade with the `seam` frames recorded just
 * before its start.  EDGE: a partial or extended take; pre-roll fades in
 * before the body, post-roll fades out after it. */
enum jl_seam { JL_SEAM_XFADE = 0, JL_SEAM_EDGE = 1 };

#define JL_VGAIN_STOP 1u
#define JL_PHONES_MASTER 0xFFFFu	/* JL_CMD_PHONES_GAIN: the phones master level */
#define JL_PHONES_MAX_DELAY_MS 500u
#define JL_CAL_MAX_FRAMES 65536u

/* Effect chains: one per track bus, the master bus, one per input. */
#define JL_FX_SLOTS 8
#define JL_FX_CHAIN_MASTER 64
#define JL_FX_CHAIN_INPUT0 65
#define JL_FX_CHAINS (65 + 32)

/* Parameters too big for a command travel through the pool. */
struct jl_fx_mailbox {
	float params[24];	/* JL_FX_MAX_PARAMS */
	double coef[20];	/* JL_FX_MAX_COEFS */
	uint32_t has_coef;
	uint32_t pad;
};

/* The calibration burst: sample k of a burst with seed s.  Both sides
 * compute it: the RT side plays it, the daemon correlates against it. */
static inline float jl_cal_sample(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u; /* LCG (Numerical Recipes) */
	return (*state & 0x80000000u) ? 1.0f : -1.0f;
}	/* deactivate the voice when the ramp reaches 0 */

/* Flag bits. */
#define JL_CMDF_IMMEDIATE 0x0001u	/* ignore target: apply at the start of the next block */

struct jl_cmd {
	uint16_t type;		/* enum jl_cmd_type */
	uint16_t flags;		/* JL_CMDF_* */
	uint32_t id;		/* daemon-chosen id, echoed in events; 0 = none */
	uint64_t target;	/* absolute engine frame at which it takes effect */
	union {
		uint64_t u[6];
		int64_t i[6];
		float f[12];	/* f[2k], f[2k+1] overlay u[k] */
		unsigned char raw[48];
		struct {
			uint32_t voice;
			uint8_t kind;		/* enum jl_src */
			uint8_t channels;	/* 1 or 2 */
			uint16_t in0, in1;	/* history inputs per channel */
			uint16_t pad;
			uint32_t gen;		/* source generation, echoed in voice_pub */
			uint64_t hist_start;	/* history frame of stored frame 0 */
			uint64_t pool_off0;	/* pool offsets in floats, per channel */
			uint64_t pool_off1;
			uint64_t data_len;	/* stored frames */
		} vsrc;
		struct {
			uint32_t voice;
			uint32_t track;
			uint32_t seam_mode;	/* enum jl_seam */
			uint32_t seam;		/* seam frames */
			uint64_t head;		/* stored frames before the body (pre-roll) */
			uint64_t body;		/* recorded frames of the take */
			uint64_t period;	/* the voice repeats every `period` frames */
			uint64_t origin;	/* an engine frame at which body frame 0 plays */
		} vstart;
		struct {
			uint32_t voice;
			uint32_t ramp;		/* frames */
			float gain;
			uint32_t flags;		/* JL_VGAIN_* */
		} vgain;
		struct {
			uint32_t voice;
			uint32_t pad;
			uint64_t origin;
		} vorigin;
		struct {
			uint32_t track;
			uint32_t ramp;
			float gl, gr;
		} tgain;
		struct {
			uint32_t voice;
			uint8_t rate;		/* 0: 1x, 1: 2x, 2: half speed */
			uint8_t reverse;
			uint16_t pad;
		} vmode;
		struct {
			float gain;
			uint32_t ramp;
		} gain;
		struct {
			uint32_t input;
			uint32_t ramp;
			float main_l, main_r, phones;
		} imon;
		struct {
			uint64_t origin;	/* a downbeat (engine frame) */
			uint64_t span;		/* frames of `beats` beats: beat k at origin + floor(k * span / beats) */
			uint32_t beats;
			uint32_t per_bar;	/* accent every per_bar beats */
			float phones, pa;	/* levels (0 = off) */
			uint64_t until;		/* no clicks from this frame on; 0 = forever */
		} click;
		struct {
			uint16_t chain;		/* JL_FX_CHAIN_* below */
			uint16_t slot;		/* 0..JL_FX_SLOTS-1 */
			uint32_t type;		/* enum jl_fx_type; NONE empties the slot */
			uint64_t off;		/* state block: byte offset in the pool, 64-byte aligned */
			uint64_t bytes;
			float mix;		/* convolution: wet share */
		} fxslot;
		struct {
			uint16_t chain, slot;
			uint32_t ramp;		/* frames */
			uint64_t mailbox;	/* byte offset in the pool of a struct jl_fx_mailbox */
		} fxset;
		struct {
			uint32_t output;	/* 0..3: out_L, out_R, phones_L, phones_R */
			uint32_t frames;	/* burst length */
			float amp;
			uint32_t seed;
		} cal;
		struct {
			uint32_t which;		/* 0 master (PA), 1 phones */
			float ceiling;		/* linear */
			uint32_t release;	/* frames to recover 63 % */
		} limit;
	} p;
};
_Static_assert(sizeof(struct jl_cmd) == 64, "a command is one cache line");

enum jl_evt_type {
	JL_EVT_NONE = 0,
	JL_EVT_APPLIED,		/* id, u[0]=target, u[1]=frame applied (late if > target) */
	JL_EVT_REJECTED,	/* id, u[0]=command type, u[1]=enum jl_reject */
	JL_EVT_GAP,		/* u[0]=first missing frame, u[1]=frames missing (xrun / skipped cycle) */
	JL_EVT_CANCELLED,	/* id = the cancelled command's id */
	JL_EVT_MIDI_RT,		/* u[0]=a MIDI real-time byte from clock_in, u[1]=its engine frame */
	JL_EVT__COUNT
};

enum jl_reject {
	JL_REJ_NONE = 0,
	JL_REJ_TYPE,		/* unknown command type */
	JL_REJ_RANGE,		/* an index, length or parameter out of range */
	JL_REJ_PENDING_FULL,	/* the future-command table is full */
	JL_REJ_NOT_FOUND,	/* cancel of an id not pending */
	JL_REJ_RATE,		/* engine silenced by a sample-rate change */
};

struct jl_evt {
	uint16_t type;		/* enum jl_evt_type */
	uint16_t flags;
	uint32_t id;
	uint64_t frame;		/* engine frame when emitted */
	uint64_t u[2];
};
_Static_assert(sizeof(struct jl_evt) == 32, "an event is 32 bytes");

#endif
