/* jl_fx.h - what jackloop and loopctl agree on about effects: the types,
 * the parameter indices, their numeric limits and defaults, and the size of
 * an effect's state block at a sample rate (docs/effects.md).
 *
 * An effect's state is one block in the pool: the daemon sizes the region
 * with jl_fx_state_bytes(), the RT side initialises it on a reset command
 * (jackloop/fx.h).  Names, units and enum words live in loopctl/fxdesign.h;
 * the numbers live here, once, so the daemon's parser and the RT side's
 * validation cannot disagree.
 *
 * Header-only, no I/O, no allocation; every function is pure and RT-safe.
 */
#ifndef JL_FX_H
#define JL_FX_H

#include <errno.h>
#include <stdint.h>

enum jl_fx_type {
	JL_FX_NONE = 0,
	JL_FX_FILTER,		/* one RBJ biquad */
	JL_FX_EQ,		/* 4 biquad bands in series + output gain */
	JL_FX_COMP,		/* stereo-linked compressor */
	JL_FX_SAT,		/* arctan soft clip */
	JL_FX_DELAY,		/* up to 4 s, ms or tempo-synced */
	JL_FX_REVERB,		/* Schroeder/Freeverb-style */
	JL_FX_CONV,		/* convolution: implemented elsewhere (state 0, passthrough here) */
	JL_FX__COUNT
};

/* Every parameter vector is this long; unused entries are ignored.  (The
 * EQ needs 4 bands x 4 + output gain = 17, hence more than 16.) */
#define JL_FX_MAX_PARAMS 24

/* Biquad coefficients travel as {b0, b1, b2, a1, a2}, normalised by a0. */
#define JL_FX_BIQUAD_COEFS 5
#define JL_FX_EQ_BANDS 4
#define JL_FX_MAX_COEFS (JL_FX_EQ_BANDS * JL_FX_BIQUAD_COEFS)

/* Supported sample rates; outside them jl_fx_state_bytes() is 0. */
#define JL_FX_RATE_MIN 8000u
#define JL_FX_RATE_MAX 768000u
/* Longest ramp jl_fx_set_rt() accepts (10 s at the highest rate). */
#define JL_FX_RAMP_MAX (10u * JL_FX_RATE_MAX)

/* Filter / EQ band modes (the parameter holds the index as a float). */
enum jl_fx_mode {
	JL_FX_MODE_LP = 0, JL_FX_MODE_HP, JL_FX_MODE_BP, JL_FX_MODE_PEAK,
	JL_FX_MODE_LOWSHELF, JL_FX_MODE_HIGHSHELF, JL_FX_MODE__COUNT
};
/* Compressor detector. */
enum jl_fx_detector { JL_FX_DET_RMS = 0, JL_FX_DET_PEAK, JL_FX_DET__COUNT };

/* --- parameter indices ------------------------------------------------ */
enum { JL_FX_FILTER_MODE, JL_FX_FILTER_FREQ, JL_FX_FILTER_Q, JL_FX_FILTER_GAIN, JL_FX_FILTER__N };

/* EQ band b (0..3): 4 parameters each, then the output gain. */
#define JL_FX_EQ_MODE(b) (4 * (b) + 0)
#define JL_FX_EQ_FREQ(b) (4 * (b) + 1)
#define JL_FX_EQ_Q(b) (4 * (b) + 2)
#define JL_FX_EQ_GAIN(b) (4 * (b) + 3)
enum { JL_FX_EQ_OUT = 4 * JL_FX_EQ_BANDS, JL_FX_EQ__N };

enum { JL_FX_COMP_THRESHOLD, JL_FX_COMP_RATIO, JL_FX_COMP_KNEE, JL_FX_COMP_ATTACK,
       JL_FX_COMP_RELEASE, JL_FX_COMP_MAKEUP, JL_FX_COMP_DETECTOR, JL_FX_COMP__N };

enum { JL_FX_SAT_DRIVE, JL_FX_SAT_LEVEL, JL_FX_SAT__N };

enum { JL_FX_DELAY_TIME, JL_FX_DELAY_BEATS, JL_FX_DELAY_FEEDBACK, JL_FX_DELAY_MIX,
       JL_FX_DELAY_DAMPING, JL_FX_DELAY__N };

enum { JL_FX_REVERB_SIZE, JL_FX_REVERB_DAMPING, JL_FX_REVERB_MIX, JL_FX_REVERB__N };

_Static_assert(JL_FX_EQ__N <= JL_FX_MAX_PARAMS, "EQ parameters fit");

/* --- limits ------------------------------------------------------------- */
struct jl_fx_limits {
	float min, max, def;
	int integral;		/* 1: an enum index (min..max, whole numbers) */
};

/* Number of parameters of a type (0 for NONE, CONV and unknown types). */
static inline int jl_fx_nparams(int type)
{
	switch (type) {
	case JL_FX_FILTER: return JL_FX_FILTER__N;
	case JL_FX_EQ: return JL_FX_EQ__N;
	case JL_FX_COMP: return JL_FX_COMP__N;
	case JL_FX_SAT: return JL_FX_SAT__N;
	case JL_FX_DELAY: return JL_FX_DELAY__N;
	case JL_FX_REVERB: return JL_FX_REVERB__N;
	default: return 0;
	}
}

/* Limits and default of parameter `idx` of `type`.  Returns 0, or -EINVAL
 * for an unknown type or index.  Pure; RT-safe. */
static inline int jl_fx_param_limits(int type, int idx, struct jl_fx_limits *out)
{
	static const struct jl_fx_limits filter[JL_FX_FILTER__N] = {
		{ 0, JL_FX_MODE__COUNT - 1, JL_FX_MODE_LP, 1 },	/* mode */
		{ 10.0f, 20000.0f, 1000.0f, 0 },		/* freq, Hz */
		{ 0.1f, 20.0f, 0.70710678f, 0 },		/* Q */
		{ -24.0f, 24.0f, 0.0f, 0 },			/* gain, dB (peak, shelves) */
	};
	static const float eq_freq[JL_FX_EQ_BANDS] = { 100.0f, 500.0f, 2000.0f, 8000.0f };
	static const float eq_mode[JL_FX_EQ_BANDS] = {
		JL_FX_MODE_LOWSHELF, JL_FX_MODE_PEAK, JL_FX_MODE_PEAK, JL_FX_MODE_HIGHSHELF };
	static const struct jl_fx_limits comp[JL_FX_COMP__N] = {
		{ -60.0f, 0.0f, -20.0f, 0 },	/* threshold, dB */
		{ 1.0f, 100.0f, 4.0f, 0 },	/* ratio, :1 */
		{ 0.0f, 24.0f, 6.0f, 0 },	/* knee width, dB */
		{ 0.1f, 500.0f, 10.0f, 0 },	/* attack, ms */
		{ 1.0f, 5000.0f, 100.0f, 0 },	/* release, ms */
		{ -24.0f, 24.0f, 0.0f, 0 },	/* makeup, dB */
		{ 0, JL_FX_DET__COUNT - 1, JL_FX_DET_RMS, 1 },	/* detector */
	};
	static const struct jl_fx_limits sat[JL_FX_SAT__N] = {
		{ 1.0f, 100.0f, 2.0f, 0 },	/* drive, linear */
		{ -48.0f, 12.0f, 0.0f, 0 },	/* output level, dB */
	};
	static const struct jl_fx_limits delay[JL_FX_DELAY__N] = {
		{ 1.0f, 4000.0f, 375.0f, 0 },	/* time, ms */
		{ 0.0f, 16.0f, 0.0f, 0 },	/* beats (0: use time) */
		{ 0.0f, 0.99f, 0.35f, 0 },	/* feedback */
		{ 0.0f, 1.0f, 0.3f, 0 },	/* mix (0 dry .. 1 wet) */
		{ 0.0f, 0.95f, 0.2f, 0 },	/* damping (one-pole coefficient) */
	};
	static const struct jl_fx_limits reverb[JL_FX_REVERB__N] = {
		{ 0.0f, 1.0f, 0.5f, 0 },	/* size */
		{ 0.0f, 1.0f, 0.5f, 0 },	/* damping */
		{ 0.0f, 1.0f, 0.25f, 0 },	/* mix */
	};
	if (!out || idx < 0 || idx >= jl_fx_nparams(type))
		return -EINVAL;
	switch (type) {
	case JL_FX_FILTER: *out = filter[idx]; break;
	case JL_FX_EQ:
		if (idx == JL_FX_EQ_OUT) {
			*out = filter[JL_FX_FILTER_GAIN];	/* -24..24 dB, 0 */
		} else {
			*out = filter[idx % 4];
			if (idx % 4 == JL_FX_FILTER_MODE)
				out->def = eq_mode[idx / 4];
			else if (idx % 4 == JL_FX_FILTER_FREQ)
				out->def = eq_freq[idx / 4];
		}
		break;
	case JL_FX_COMP: *out = comp[idx]; break;
	case JL_FX_SAT: *out = sat[idx]; break;
	case JL_FX_DELAY: *out = delay[idx]; break;
	case JL_FX_REVERB: *out = reverb[idx]; break;
	default: return -EINVAL;
	}
	return 0;
}

/* Fills params[0..JL_FX_MAX_PARAMS) with the defaults of `type` (zeros past
 * its parameter count). */
static inline void jl_fx_defaults(int type, float *params)
{
	struct jl_fx_limits l;
	for (int i = 0; i < JL_FX_MAX_PARAMS; i++)
		params[i] = jl_fx_param_limits(type, i, &l) == 0 ? l.def : 0.0f;
}

/* --- state geometry --------------------------------------------------- */

/* Every non-empty state starts with this many bytes of fixed fields (the
 * RT side static-asserts that its structs fit); buffers follow. */
#define JL_FX_HEAD_BYTES 1024u
/* State blocks must be at least this aligned (doubles inside). */
#define JL_FX_ALIGN 16u

#define JL_FX_DELAY_MAX_MS 4000u
/* Delay line length per channel: the longest delay plus two frames for the
 * interpolating read. */
static inline uint64_t jl_fx_delay_len(uint32_t rate)
{
	return (uint64_t)rate * JL_FX_DELAY_MAX_MS / 1000u + 2u;
}

/* Reverb: 8 combs then 4 allpasses per channel, Freeverb's tunings at
 * 44.1 kHz (in samples; the right channel adds a spread of 23), scaled to
 * `rate` with rounding.  k = 0..7 comb, 8..11 allpass; ch = 0 or 1. */
#define JL_FX_REVERB_COMBS 8
#define JL_FX_REVERB_ALLPASSES 4
#define JL_FX_REVERB_LINES (JL_FX_REVERB_COMBS + JL_FX_REVERB_ALLPASSES)
#define JL_FX_REVERB_SPREAD 23u
/* Mean comb length at 44.1 kHz (sum 11024 / 8): the reference for RT60. */
#define JL_FX_REVERB_DREF 1378u
static inline uint32_t jl_fx_reverb_len(int k, int ch, uint32_t rate)
{
	static const uint32_t tune[JL_FX_REVERB_LINES] = {
		1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617,	/* combs */
		556, 441, 341, 225,				/* allpasses */
	};
	uint64_t t = tune[k] + (ch ? JL_FX_REVERB_SPREAD : 0u);
	uint64_t len = (t * rate + 22050u) / 44100u;
	return len ? (uint32_t)len : 1u;
}

/* Worst-case bytes of state for `type` at `rate`, rounded up to 64.  0 for
 * NONE, CONV, unknown types and rates outside JL_FX_RATE_MIN..MAX.  Both
 * processes size pool regions with this; it is deterministic. */
static inline uint64_t jl_fx_state_bytes(int type, uint32_t rate)
{
	uint64_t b = JL_FX_HEAD_BYTES;
	if (rate < JL_FX_RATE_MIN || rate > JL_FX_RATE_MAX)
		return 0;
	switch (type) {
	case JL_FX_FILTER:
	case JL_FX_EQ:
	case JL_FX_COMP:
	case JL_FX_SAT:
		break;
	case JL_FX_DELAY:
		b += 2u * jl_fx_delay_len(rate) * sizeof(float);
		break;
	case JL_FX_REVERB:
		for (int ch = 0; ch < 2; ch++)
			for (int k = 0; k < JL_FX_REVERB_LINES; k++)
				b += (uint64_t)jl_fx_reverb_len(k, ch, rate) * sizeof(float);
		break;
	default:
		return 0;
	}
	return (b + 63u) & ~(uint64_t)63u;
}

#endif
