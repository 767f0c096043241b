/* fx_rt.c - the RT effects (docs/effects.md, DESIGN 2.7, 4.6, 7).
 *
 * Layout of a state block (all offsets fixed by the type and the rate):
 *   [0, JL_FX_HEAD_BYTES)  the effect's struct, which starts with struct hdr
 *   [JL_FX_HEAD_BYTES, …)  float buffers (delay lines, reverb combs) whose
 *                          lengths are recomputed from the rate on every
 *                          call (shared/jl_fx.h), never read from the block.
 *
 * Ramps: one counter per effect (rn frames, ri done) shared by all of its
 * ramped internal values v0[] -> v1[]; a set restarts all of them from their
 * current values (an unchanged value ramps from itself to itself).  The
 * value at ramp sample i is computed in double from the closed form and
 * rounded once, so consecutive samples differ by at most |v1 - v0|/N plus
 * one rounding.  Kernels run twice per block at most: the ramping part
 * (per-sample values) and the steady part (constants), so the inner loops
 * carry no per-sample branches for the ramp.
 *
 * Denormals: the engine sets FTZ/DAZ, but every recursive float value
 * (one-pole states, comb and allpass writes, compressor detector) is also
 * flushed to 0 below 1e-20 (-400 dB) per sample, and the double biquad
 * states at each block's end (still far from double's subnormals), so a
 * decaying tail reaches exact zeros and never yields subnormal floats, with
 * or without FTZ.  The flush is one compare-and-mask (no branch).
 *
 * Stack: at most ~6 KB per call (per-block scratch of JL_FX_BLOCK frames). */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fx.h"

#define FX_MAGIC 0x6a6c6678u	/* "jlfx", xor the type */
#define TINYF 1e-20f
#define TINYD 1e-20

#define DB_TO_LOG2 0.16609640474436813f	/* log2(10)/20: 10^(dB/20) = 2^(dB * this) */
#define POW_TO_DB 3.0102999566398120f	/* 10*log10(2): 10*log10(p) = this * log2(p) */

#define RV_IN_GAIN 0.015f	/* Freeverb's input gain on L+R */
#define RV_WET_GAIN 3.0f	/* and its wet scale */
#define RV_AP_G 0.5f		/* allpass coefficient */
#define RV_DAMP_SCALE 0.4f	/* damping 0..1 -> comb low-pass pole 0..0.4 */
#define COMP_RMS_MS 10.0f	/* RMS detector time constant */

/* Common header of every state block. */
struct hdr {
	uint32_t magic;		/* FX_MAGIC ^ type */
	uint32_t type;
	uint32_t rate;
	uint32_t fresh;		/* nothing processed since reset */
	uint32_t rn, ri;	/* the shared ramp: length, frames done */
	uint32_t last_ramp;	/* ramp_frames of the last set */
	uint32_t pad;
	float params[JL_FX_MAX_PARAMS];	/* the targets of the last set */
};

/* A biquad's ramped coefficients and the state of both channels. */
struct bq {
	double c0[JL_FX_BIQUAD_COEFS], c1[JL_FX_BIQUAD_COEFS];	/* from, to */
	double s[2][2];		/* [channel][s1, s2], transposed direct form II */
};

struct fx_filter {
	struct hdr h;
	struct bq bq;
};

enum { EQ_OUT, EQ__NV };
struct fx_eq {
	struct hdr h;
	struct bq bq[JL_FX_EQ_BANDS];
	float v0[EQ__NV], v1[EQ__NV];	/* output gain (linear) */
};

enum { CP_THR, CP_SLOPE, CP_KNEE, CP_MAKEUP, CP__NV };
struct fx_comp {
	struct hdr h;
	float v0[CP__NV], v1[CP__NV];	/* threshold dB, 1 - 1/ratio, knee dB, makeup dB */
	float a_att, a_rel, a_rms;	/* one-pole coefficients exp(-1/(tau fs)) */
	uint32_t det;
	float ms;			/* RMS detector: smoothed mean square */
	float c1, cs;			/* gain reduction (dB): release stage, attack stage */
};

enum { SAT_DRIVE, SAT_LEVEL, SAT__NV };
struct fx_sat {
	struct hdr h;
	float v0[SAT__NV], v1[SAT__NV];	/* drive, level (linear) */
};

enum { DL_FB, DL_MIX, DL_DAMP, DL__NV };
struct fx_delay {
	struct hdr h;
	float v0[DL__NV], v1[DL__NV];
	float lp[2];		/* feedback low-pass states */
	uint32_t w;		/* write index */
	uint32_t gn, gi;	/* delay-time glide: length, done */
	uint32_t pad;
	double d0, d1;		/* glide from, to (frames) */
};

#define RV_NG (2 * JL_FX_REVERB_COMBS)
enum { RV_DAMP = RV_NG, RV_MIX, RV__NV };
struct fx_reverb {
	struct hdr h;
	float v0[RV__NV], v1[RV__NV];	/* comb feedbacks [ch*8+k], damping pole, mix */
	float lp[2][JL_FX_REVERB_COMBS];
	uint32_t pos[2][JL_FX_REVERB_LINES];
};

_Static_assert(sizeof(struct fx_filter) <= JL_FX_HEAD_BYTES, "filter head fits");
_Static_assert(sizeof(struct fx_eq) <= JL_FX_HEAD_BYTES, "eq head fits");
_Static_assert(sizeof(struct fx_comp) <= JL_FX_HEAD_BYTES, "comp head fits");
_Static_assert(sizeof(struct fx_sat) <= JL_FX_HEAD_BYTES, "sat head fits");
_Static_assert(sizeof(struct fx_delay) <= JL_FX_HEAD_BYTES, "delay head fits");
_Static_assert(sizeof(struct fx_reverb) <= JL_FX_HEAD_BYTES, "reverb head fits");
_Static_assert(JL_FX_HEAD_BYTES % JL_FX_ALIGN == 0, "buffers stay aligned");

/* --- small helpers -------------------------------------------------------- */

/* One comparison, so it compiles to a compare-and-mask, not to branches
 * (two short-circuit branches mispredict on noise: 3x slower reverb). */
static inline float flushf(float x) { return fabsf(x) < TINYF ? 0.0f : x; }
static inline double flushd(double x) { return x * x < TINYD * TINYD ? 0.0 : x; }
static inline float maxf(float a, float b) { return a > b ? a : b; }
static inline float minf(float a, float b) { return a < b ? a : b; }
static inline float db_to_lin(float db) { return exp2f(db * DB_TO_LOG2); }

/* Value at ramp fraction t of a float ramp, rounded once. */
static inline float lerpf(float a, float b, double t)
{
	return (float)((double)a + ((double)b - (double)a) * t);
}

/* Fraction of the shared ramp done (1 when none is running). */
static double ramp_done(const struct hdr *h)
{
	return h->ri < h->rn ? (double)h->ri / (double)h->rn : 1.0;
}

/* Restarts float ramps from their current values towards tgt[]. */
static void restart_f(float *v0, float *v1, const float *tgt, int nv, double t, uint32_t n)
{
	for (int i = 0; i < nv; i++) {
		v0[i] = n ? (t >= 1.0 ? v1[i] : lerpf(v0[i], v1[i], t)) : tgt[i];
		v1[i] = tgt[i];
	}
}

static void restart_bq(struct bq *b, const double *tgt, double t, uint32_t n)
{
	for (int i = 0; i < JL_FX_BIQUAD_COEFS; i++) {
		double cur = t >= 1.0 ? b->c1[i] : b->c0[i] + (b->c1[i] - b->c0[i]) * t;
		b->c0[i] = n ? cur : tgt[i];
		b->c1[i] = tgt[i];
	}
}

/* Frames of the ramping part of a block of n. */
static uint32_t ramp_part(const struct hdr *h, uint32_t n)
{
	uint32_t left = h->ri < h->rn ? h->rn - h->ri : 0;
	return left < n ? left : n;
}

static inline float *bufs(void *state)
{
	return (float *)(void *)((unsigned char *)state + JL_FX_HEAD_BYTES);
}

/* Stable, finite biquad?  (Stability triangle |a2| < 1, |a1| < 1 + a2.) */
static int coef_ok(const double *c)
{
	for (int i = 0; i < 3; i++)
		if (!(c[i] > -1e6 && c[i] < 1e6))
			return 0;
	return c[4] > -1.0 && c[4] < 1.0 && c[3] > -(1.0 + c[4]) && c[3] < 1.0 + c[4];
}

static const double bq_identity[JL_FX_BIQUAD_COEFS] = { 1.0, 0.0, 0.0, 0.0, 0.0 };

/* --- biquads (FILTER, EQ) -------------------------------------------------- */

/* One transposed direct form II step; *s1, *s2 hold the channel's state. */
static inline double bq_tick(double x, double b0, double b1, double b2, double a1, double a2,
			     double *s1, double *s2)
{
	double y = b0 * x + *s1;
	*s1 = b1 * x - a1 * y + *s2;
	*s2 = b2 * x - a2 * y;
	return y;
}

/* Runs one biquad over x[2][n] in place (double), ramping the coefficients
 * linearly from c0 to c1 if `ramp` (frames ri+1..ri+n of an rn ramp).
 * Linear interpolation keeps every intermediate filter stable: the
 * stability triangle of (a1, a2) is convex. */
static void bq_run(struct bq *b, double *xl, double *xr, uint32_t n, int ramp, uint32_t ri, uint32_t rn)
{
	double s1l = b->s[0][0], s2l = b->s[0][1], s1r = b->s[1][0], s2r = b->s[1][1];
	if (ramp) {
		const double *c0 = b->c0;
		double d[JL_FX_BIQUAD_COEFS], inv = 1.0 / (double)rn;
		for (int i = 0; i < JL_FX_BIQUAD_COEFS; i++)
			d[i] = b->c1[i] - c0[i];
		for (uint32_t k = 0; k < n; k++) {
			double t = (double)(ri + k + 1) * inv;
			double b0 = c0[0] + d[0] * t, b1 = c0[1] + d[1] * t, b2 = c0[2] + d[2] * t;
			double a1 = c0[3] + d[3] * t, a2 = c0[4] + d[4] * t;
			xl[k] = bq_tick(xl[k], b0, b1, b2, a1, a2, &s1l, &s2l);
			xr[k] = bq_tick(xr[k], b0, b1, b2, a1, a2, &s1r, &s2r);
		}
	} else {
		const double b0 = b->c1[0], b1 = b->c1[1], b2 = b->c1[2], a1 = b->c1[3], a2 = b->c1[4];
		for (uint32_t k = 0; k < n; k++) {
			xl[k] = bq_tick(xl[k], b0, b1, b2, a1, a2, &s1l, &s2l);
			xr[k] = bq_tick(xr[k], b0, b1, b2, a1, a2, &s1r, &s2r);
		}
	}
	/* A NaN or inf that got in (bad input) would stick forever: drop it. */
	if (!(s1l - s1l == 0.0 && s2l - s2l == 0.0 && s1r - s1r == 0.0 && s2r - s2r == 0.0))
		s1l = s2l = s1r = s2r = 0.0;
	/* The state is double: values far below 1e-20 are still normal, so the
	 * flush can wait for the block's end, off the recursion's critical
	 * path; the outputs are flushed when they go back to float. */
	b->s[0][0] = flushd(s1l); b->s[0][1] = flushd(s2l);
	b->s[1][0] = flushd(s1r); b->s[1][1] = flushd(s2r);
}

static void to_double(double *d, const float *f, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		d[k] = f[k];
}

static void filter_block(struct fx_filter *s, float *l, float *r, uint32_t n)
{
	double xl[JL_FX_BLOCK], xr[JL_FX_BLOCK];
	uint32_t m = ramp_part(&s->h, n);
	to_double(xl, l, n);
	to_double(xr, r, n);
	if (m) {
		bq_run(&s->bq, xl, xr, m, 1, s->h.ri, s->h.rn);
		s->h.ri += m;
	}
	if (m < n)
		bq_run(&s->bq, xl + m, xr + m, n - m, 0, 0, 0);
	for (uint32_t k = 0; k < n; k++) {
		l[k] = (float)flushd(xl[k]);
		r[k] = (float)flushd(xr[k]);
	}
}

static void eq_block(struct fx_eq *s, float *l, float *r, uint32_t n)
{
	double xl[JL_FX_BLOCK], xr[JL_FX_BLOCK];
	uint32_t m = ramp_part(&s->h, n), ri = s->h.ri, rn = s->h.rn;
	to_double(xl, l, n);
	to_double(xr, r, n);
	for (int b = 0; b < JL_FX_EQ_BANDS; b++) {
		if (m)
			bq_run(&s->bq[b], xl, xr, m, 1, ri, rn);
		if (m < n)
			bq_run(&s->bq[b], xl + m, xr + m, n - m, 0, 0, 0);
	}
	if (m) {
		float g0 = s->v0[EQ_OUT], g1 = s->v1[EQ_OUT];
		double inv = 1.0 / (double)rn;
		for (uint32_t k = 0; k < m; k++) {
			float g = lerpf(g0, g1, (double)(ri + k + 1) * inv);
			l[k] = (float)flushd(xl[k]) * g;
			r[k] = (float)flushd(xr[k]) * g;
		}
		s->h.ri += m;
	}
	{
		float g = s->v1[EQ_OUT];
		for (uint32_t k = m; k < n; k++) {
			l[k] = (float)flushd(xl[k]) * g;
			r[k] = (float)flushd(xr[k]) * g;
		}
	}
}

/* --- compressor ------------------------------------------------------------ */

/* Giannoulis/Massberg/Reiss (2012) soft-knee static curve, as the gain
 * reduction c = x - y(x) >= 0 in dB, written without branches:
 *   u = clamp(x - T + W/2, 0, W),  c = S * (u^2 / 2W + max(x - T - W/2, 0))
 * with S = 1 - 1/R; below the knee c = 0, inside it S(x - T + W/2)^2/2W,
 * above it S(x - T). */
static inline float comp_curve(float x, float thr, float slope, float knee)
{
	float w = maxf(knee, 1e-6f);
	float u = minf(maxf(x - thr + 0.5f * knee, 0.0f), knee);
	return slope * (u * u * (0.5f / w) + maxf(x - thr - 0.5f * knee, 0.0f));
}

static void comp_run(struct fx_comp *s, float *l, float *r, uint32_t n, int ramp)
{
	const float aa = s->a_att, ar = s->a_rel, am = s->a_rms;
	const int peak = s->det == JL_FX_DET_PEAK;
	float ms = s->ms, c1 = s->c1, cs = s->cs;
	float thr = s->v1[CP_THR], slope = s->v1[CP_SLOPE], knee = s->v1[CP_KNEE], mk = s->v1[CP_MAKEUP];
	double inv = ramp ? 1.0 / (double)s->h.rn : 0.0;
	for (uint32_t k = 0; k < n; k++) {
		float pl = l[k] * l[k], pr = r[k] * r[k], p, x, c, rel, g;
		if (ramp) {	/* loop-invariant: always predicted */
			double t = (double)(s->h.ri + k + 1) * inv;
			thr = lerpf(s->v0[CP_THR], s->v1[CP_THR], t);
			slope = lerpf(s->v0[CP_SLOPE], s->v1[CP_SLOPE], t);
			knee = lerpf(s->v0[CP_KNEE], s->v1[CP_KNEE], t);
			mk = lerpf(s->v0[CP_MAKEUP], s->v1[CP_MAKEUP], t);
		}
		/* Both detectors run (stereo-linked); the choice is a select. */
		ms = flushf(ms + (1.0f - am) * (0.5f * (pl + pr) - ms));
		p = peak ? maxf(pl, pr) : ms;
		x = POW_TO_DB * log2f(maxf(p, 1e-12f));	/* level, dB (floor -120) */
		c = comp_curve(x, thr, slope, knee);
		/* Smooth decoupled detector on the gain reduction: an instant-
		 * attack release stage, then the attack one-pole. */
		rel = ar * c1 + (1.0f - ar) * c;
		c1 = flushf(maxf(c, rel));
		cs = flushf(aa * cs + (1.0f - aa) * c1);
		g = db_to_lin(mk - cs);
		l[k] *= g;
		r[k] *= g;
	}
	if (!(ms - ms == 0.0f && c1 - c1 == 0.0f && cs - cs == 0.0f))
		ms = c1 = cs = 0.0f;
	s->ms = ms;
	s->c1 = c1;
	s->cs = cs;
}

static void comp_block(struct fx_comp *s, float *l, float *r, uint32_t n)
{
	uint32_t m = ramp_part(&s->h, n);
	if (m) {
		comp_run(s, l, r, m, 1);
		s->h.ri += m;
	}
	if (m < n)
		comp_run(s, l + m, r + m, n - m, 0);
}

/* --- saturation ------------------------------------------------------------ */

/* y = level * atan(drive x) / atan(drive): unity slope-normalised so that
 * |x| = 1 maps to exactly `level` for every drive. */
static void sat_block(struct fx_sat *s, float *l, float *r, uint32_t n)
{
	uint32_t m = ramp_part(&s->h, n), k;
	if (m) {
		double inv = 1.0 / (double)s->h.rn;
		for (k = 0; k < m; k++) {
			double t = (double)(s->h.ri + k + 1) * inv;
			float d = lerpf(s->v0[SAT_DRIVE], s->v1[SAT_DRIVE], t);
			float g = lerpf(s->v0[SAT_LEVEL], s->v1[SAT_LEVEL], t);
			float ad = atanf(d);
			l[k] = g * (atanf(d * l[k]) / ad);
			r[k] = g * (atanf(d * r[k]) / ad);
		}
		s->h.ri += m;
	}
	{
		float d = s->v1[SAT_DRIVE], g = s->v1[SAT_LEVEL], ad = atanf(d);
		for (k = m; k < n; k++) {
			l[k] = g * (atanf(d * l[k]) / ad);
			r[k] = g * (atanf(d * r[k]) / ad);
		}
	}
}

/* --- delay ------------------------------------------------------------------ */

static double delay_target(const struct fx_delay *s, const struct jl_fx_ctx *ctx)
{
	double maxd = (double)ctx->rate * (JL_FX_DELAY_MAX_MS / 1000.0);
	double beats = s->h.params[JL_FX_DELAY_BEATS], d;
	if (beats > 0.0 && ctx->beat_frames > 0.0)
		d = beats * ctx->beat_frames;
	else
		d = (double)s->h.params[JL_FX_DELAY_TIME] * (double)ctx->rate / 1000.0;
	if (!(d >= 1.0))
		d = 1.0;	/* also NaN */
	return d > maxd ? maxd : d;
}

/* Delay time changes glide (tape-style): the read position moves linearly
 * over max(ramp, 2|change|) frames, so the read speed stays within 0.5..1.5
 * and the output never jumps.  Right after a reset the line is silent and a
 * new time applies at once. */
static void delay_retarget(struct fx_delay *s, double target)
{
	double cur, dist;
	uint32_t n;
	if (s->h.fresh) {
		s->d0 = s->d1 = target;
		s->gn = s->gi = 0;
		return;
	}
	if (target == s->d1)
		return;
	cur = s->gi < s->gn ? s->d0 + (s->d1 - s->d0) * ((double)s->gi / (double)s->gn) : s->d1;
	dist = target > cur ? target - cur : cur - target;
	n = s->h.last_ramp;
	if (2.0 * dist > (double)n)
		n = (uint32_t)(2.0 * dist) + 1u;
	s->d0 = cur;
	s->d1 = target;
	s->gn = n;
	s->gi = 0;
}

static void delay_block(struct fx_delay *s, float *l, float *r, uint32_t n, uint32_t rate)
{
	double dd[JL_FX_BLOCK];
	float fb[JL_FX_BLOCK], mix[JL_FX_BLOCK], dmp[JL_FX_BLOCK];
	const int64_t len = (int64_t)jl_fx_delay_len(rate);
	const double maxd = (double)rate * (JL_FX_DELAY_MAX_MS / 1000.0);
	float *bl = bufs(s), *br = bl + len;
	float lpl = s->lp[0], lpr = s->lp[1];
	uint32_t m, k, w = s->w;
	if (w >= len)
		w = 0;

	/* Per-sample delay (glide or constant) and parameters (ramp or
	 * constant), so the kernel below has a single branch-free form. */
	m = s->gi < s->gn ? s->gn - s->gi : 0;
	m = m < n ? m : n;
	if (m) {
		double inv = 1.0 / (double)s->gn, dlt = s->d1 - s->d0;
		for (k = 0; k < m; k++)
			dd[k] = s->d0 + dlt * ((double)(s->gi + k + 1) * inv);
		s->gi += m;
	}
	for (k = m; k < n; k++)
		dd[k] = s->d1;
	m = ramp_part(&s->h, n);
	if (m) {
		double inv = 1.0 / (double)s->h.rn;
		for (k = 0; k < m; k++) {
			double t = (double)(s->h.ri + k + 1) * inv;
			fb[k] = lerpf(s->v0[DL_FB], s->v1[DL_FB], t);
			mix[k] = lerpf(s->v0[DL_MIX], s->v1[DL_MIX], t);
			dmp[k] = lerpf(s->v0[DL_DAMP], s->v1[DL_DAMP], t);
		}
		s->h.ri += m;
	}
	for (k = m; k < n; k++) {
		fb[k] = s->v1[DL_FB];
		mix[k] = s->v1[DL_MIX];
		dmp[k] = s->v1[DL_DAMP];
	}

	for (k = 0; k < n; k++) {
		double d = dd[k];
		int64_t di, r0, r1;
		float f, yl, yr, xl = l[k], xr = r[k];
		d = d >= 1.0 ? d : 1.0;		/* the block may be corrupt: */
		d = d <= maxd ? d : maxd;	/* keep every read in bounds */
		di = (int64_t)d;
		f = (float)(d - (double)di);
		r0 = (int64_t)w - di;
		r0 += r0 < 0 ? len : 0;
		r1 = r0 - 1;
		r1 += r1 < 0 ? len : 0;
		yl = bl[r0] + f * (bl[r1] - bl[r0]);
		yr = br[r0] + f * (br[r1] - br[r0]);
		lpl = flushf(yl + dmp[k] * (lpl - yl));
		lpr = flushf(yr + dmp[k] * (lpr - yr));
		bl[w] = xl + fb[k] * lpl;
		br[w] = xr + fb[k] * lpr;
		l[k] = (1.0f - mix[k]) * xl + mix[k] * yl;
		r[k] = (1.0f - mix[k]) * xr + mix[k] * yr;
		w = w + 1 == (uint32_t)len ? 0 : w + 1;
	}
	if (!(lpl - lpl == 0.0f && lpr - lpr == 0.0f))
		lpl = lpr = 0.0f;
	s->lp[0] = lpl;
	s->lp[1] = lpr;
	s->w = w;
}

/* --- reverb ------------------------------------------------------------------ */

/* The 8 lowpass-feedback combs of one channel, interleaved per sample so
 * their one-pole chains overlap (run one after another, each chain's
 * latency would serialise the whole bank):
 *   y = buf[p];  lp = (1 - d) y + d lp;  buf[p] = in + g lp;  acc = sum y.
 * The first m frames ramp g (per comb) and d (da[]); the rest use v1. */
static void comb_bank(struct fx_reverb *s, float *base, int ch, uint32_t rate, const float *in, float *acc,
		      uint32_t n, uint32_t m, const float *da)
{
	float *b[JL_FX_REVERB_COMBS], lp[JL_FX_REVERB_COMBS], g[JL_FX_REVERB_COMBS];
	uint32_t len[JL_FX_REVERB_COMBS], p[JL_FX_REVERB_COMBS], k;
	const float *v0 = s->v0 + ch * JL_FX_REVERB_COMBS, *v1 = s->v1 + ch * JL_FX_REVERB_COMBS;
	double inv = m ? 1.0 / (double)s->h.rn : 0.0;
	int c;
	for (c = 0; c < JL_FX_REVERB_COMBS; c++) {
		len[c] = jl_fx_reverb_len(c, ch, rate);
		b[c] = base;
		base += len[c];
		p[c] = s->pos[ch][c] < len[c] ? s->pos[ch][c] : 0;	/* the block may be corrupt */
		lp[c] = s->lp[ch][c];
		g[c] = v1[c];
	}
	for (k = 0; k < m; k++) {
		double t = (double)(s->h.ri + k + 1) * inv;
		float d = da[k], x = in[k], sum = 0.0f;
		for (c = 0; c < JL_FX_REVERB_COMBS; c++) {
			float y = b[c][p[c]], l = flushf(y + d * (lp[c] - y));
			lp[c] = l;
			b[c][p[c]] = x + lerpf(v0[c], v1[c], t) * l;
			sum += y;
			p[c] = p[c] + 1 == len[c] ? 0 : p[c] + 1;
		}
		acc[k] = sum;
	}
	{
		const float d = s->v1[RV_DAMP];
		for (; k < n; k++) {
			float x = in[k], sum = 0.0f;
			for (c = 0; c < JL_FX_REVERB_COMBS; c++) {
				float y = b[c][p[c]], l = flushf(y + d * (lp[c] - y));
				lp[c] = l;
				b[c][p[c]] = x + g[c] * l;
				sum += y;
				p[c] = p[c] + 1 == len[c] ? 0 : p[c] + 1;
			}
			acc[k] = sum;
		}
	}
	for (c = 0; c < JL_FX_REVERB_COMBS; c++) {
		s->lp[ch][c] = lp[c] - lp[c] == 0.0f ? lp[c] : 0.0f;	/* drop NaN/inf */
		s->pos[ch][c] = p[c];
	}
}

/* Schroeder allpass in place: v = x + g buf[p]; y = buf[p] - g v; buf[p] = v. */
static void allpass_run(float *buf, uint32_t len, uint32_t *ppos, float *x, uint32_t n)
{
	uint32_t p = *ppos < len ? *ppos : 0, k = 0;
	while (k < n) {
		uint32_t m = n - k < len - p ? n - k : len - p, j;
		float *b = buf + p, *xs = x + k;
		for (j = 0; j < m; j++) {
			float bo = b[j], v = flushf(xs[j] + RV_AP_G * bo);
			b[j] = v;
			xs[j] = bo - RV_AP_G * v;
		}
		k += m;
		p += m;
		if (p == len)
			p = 0;
	}
	*ppos = p;
}

static void reverb_block(struct fx_reverb *s, float *l, float *r, uint32_t n, uint32_t rate)
{
	float in[JL_FX_BLOCK], acc[2][JL_FX_BLOCK], da[JL_FX_BLOCK], mix[JL_FX_BLOCK];
	float *buf = bufs(s);
	uint32_t m = ramp_part(&s->h, n), k;
	double inv = m ? 1.0 / (double)s->h.rn : 0.0;
	for (k = 0; k < n; k++)
		in[k] = (l[k] + r[k]) * RV_IN_GAIN;
	for (k = 0; k < m; k++) {
		double t = (double)(s->h.ri + k + 1) * inv;
		da[k] = lerpf(s->v0[RV_DAMP], s->v1[RV_DAMP], t);
		mix[k] = lerpf(s->v0[RV_MIX], s->v1[RV_MIX], t);
	}
	for (; k < n; k++)
		mix[k] = s->v1[RV_MIX];
	for (int ch = 0; ch < 2; ch++) {
		comb_bank(s, buf, ch, rate, in, acc[ch], n, m, da);
		for (int c = 0; c < JL_FX_REVERB_COMBS; c++)
			buf += jl_fx_reverb_len(c, ch, rate);
		for (int a = 0; a < JL_FX_REVERB_ALLPASSES; a++) {
			int line = JL_FX_REVERB_COMBS + a;
			uint32_t len = jl_fx_reverb_len(line, ch, rate);
			allpass_run(buf, len, &s->pos[ch][line], acc[ch], n);
			buf += len;
		}
	}
	s->h.ri += m;
	for (k = 0; k < n; k++) {
		float wet = mix[k] * RV_WET_GAIN;
		l[k] = (1.0f - mix[k]) * l[k] + wet * acc[0][k];
		r[k] = (1.0f - mix[k]) * r[k] + wet * acc[1][k];
	}
}

/* --- set ---------------------------------------------------------------------- */

static int params_ok(int type, const float *p)
{
	int np = jl_fx_nparams(type);
	for (int i = 0; i < np; i++) {
		struct jl_fx_limits lim;
		if (jl_fx_param_limits(type, i, &lim) < 0 || !(p[i] >= lim.min && p[i] <= lim.max))
			return 0;
		if (lim.integral && p[i] != (float)(int)p[i])
			return 0;
	}
	return 1;
}

/* One-pole coefficient for time constant tau_ms: a step reaches 1 - 1/e
 * after tau (a^n = e^-1 at n = tau fs). */
static float onepole(float tau_ms, uint32_t rate)
{
	return expf(-1000.0f / (tau_ms * (float)rate));
}

static void set_values(int type, void *state, const float *p, const double *coef, uint32_t ramp)
{
	struct hdr *h = state;
	double t = ramp_done(h);
	switch (type) {
	case JL_FX_FILTER: {
		struct fx_filter *s = state;
		if (coef)
			restart_bq(&s->bq, coef, t, ramp);
		else
			restart_bq(&s->bq, s->bq.c1, t, ramp);
		break;
	}
	case JL_FX_EQ: {
		struct fx_eq *s = state;
		float g = db_to_lin(p[JL_FX_EQ_OUT]);
		for (int b = 0; b < JL_FX_EQ_BANDS; b++)
			restart_bq(&s->bq[b], coef ? coef + b * JL_FX_BIQUAD_COEFS : s->bq[b].c1, t, ramp);
		restart_f(s->v0, s->v1, &g, EQ__NV, t, ramp);
		break;
	}
	case JL_FX_COMP: {
		struct fx_comp *s = state;
		float v[CP__NV];
		v[CP_THR] = p[JL_FX_COMP_THRESHOLD];
		v[CP_SLOPE] = 1.0f - 1.0f / p[JL_FX_COMP_RATIO];
		v[CP_KNEE] = p[JL_FX_COMP_KNEE];
		v[CP_MAKEUP] = p[JL_FX_COMP_MAKEUP];
		restart_f(s->v0, s->v1, v, CP__NV, t, ramp);
		s->a_att = onepole(p[JL_FX_COMP_ATTACK], h->rate);
		s->a_rel = onepole(p[JL_FX_COMP_RELEASE], h->rate);
		s->a_rms = onepole(COMP_RMS_MS, h->rate);
		s->det = (uint32_t)p[JL_FX_COMP_DETECTOR];
		break;
	}
	case JL_FX_SAT: {
		struct fx_sat *s = state;
		float v[SAT__NV] = { p[JL_FX_SAT_DRIVE], db_to_lin(p[JL_FX_SAT_LEVEL]) };
		restart_f(s->v0, s->v1, v, SAT__NV, t, ramp);
		break;
	}
	case JL_FX_DELAY: {
		struct fx_delay *s = state;
		float v[DL__NV] = { p[JL_FX_DELAY_FEEDBACK], p[JL_FX_DELAY_MIX], p[JL_FX_DELAY_DAMPING] };
		restart_f(s->v0, s->v1, v, DL__NV, t, ramp);
		break;	/* the time is retargeted by process (it may follow the tempo) */
	}
	case JL_FX_REVERB: {
		struct fx_reverb *s = state;
		float v[RV__NV];
		/* Freeverb's size -> feedback for the reference comb; every comb
		 * gets g_k = g^(D_k / Dref) so that all decay at the same rate. */
		float g = 0.7f + 0.28f * p[JL_FX_REVERB_SIZE];
		float dref = (float)JL_FX_REVERB_DREF * (float)h->rate / 44100.0f;
		for (int ch = 0; ch < 2; ch++)
			for (int c = 0; c < JL_FX_REVERB_COMBS; c++)
				v[ch * JL_FX_REVERB_COMBS + c] =
					powf(g, (float)jl_fx_reverb_len(c, ch, h->rate) / dref);
		v[RV_DAMP] = RV_DAMP_SCALE * p[JL_FX_REVERB_DAMPING];
		v[RV_MIX] = p[JL_FX_REVERB_MIX];
		restart_f(s->v0, s->v1, v, RV__NV, t, ramp);
		break;
	}
	default:
		return;
	}
	memcpy(h->params, p, sizeof(h->params));
	h->rn = ramp;
	h->ri = 0;
	h->last_ramp = ramp;
}

static int has_state(int type)
{
	return type > JL_FX_NONE && type < JL_FX__COUNT && type != JL_FX_CONV;
}

static struct hdr *valid(int type, void *state, uint32_t rate)
{
	struct hdr *h = state;
	if (!has_state(type) || !state || ((uintptr_t)state & (JL_FX_ALIGN - 1u)))
		return NULL;
	if (h->magic != (FX_MAGIC ^ (uint32_t)type) || h->type != (uint32_t)type || h->rate != rate)
		return NULL;
	if (h->rn > JL_FX_RAMP_MAX || h->ri > h->rn)
		h->rn = h->ri = 0;
	return h;
}

int jl_fx_set_rt(int type, void *state, const float *params, const double *coef, uint32_t ramp_frames)
{
	struct hdr *h = state;
	int nc = type == JL_FX_FILTER ? 1 : type == JL_FX_EQ ? JL_FX_EQ_BANDS : 0;
	if (!has_state(type) || !state || !params || ramp_frames > JL_FX_RAMP_MAX)
		return -EINVAL;
	if (!valid(type, state, h->rate) || !params_ok(type, params))
		return -EINVAL;
	if (coef)
		for (int b = 0; b < nc; b++)
			if (!coef_ok(coef + b * JL_FX_BIQUAD_COEFS))
				return -EINVAL;
	set_values(type, state, params, nc ? coef : NULL, ramp_frames);
	return 0;
}

int jl_fx_reset_rt(int type, void *state, uint64_t bytes, uint32_t rate)
{
	uint64_t need = jl_fx_state_bytes(type, rate);
	if (!has_state(type) || !state || ((uintptr_t)state & (JL_FX_ALIGN - 1u)) || need == 0 || bytes < need)
		return -EINVAL;
	memset(state, 0, (size_t)need);
	return jl_fx_init_rt(type, state, bytes, rate);
}

int jl_fx_init_rt(int type, void *state, uint64_t bytes, uint32_t rate)
{
	uint64_t need = jl_fx_state_bytes(type, rate);
	float p[JL_FX_MAX_PARAMS];
	struct hdr *h = state;
	if (!has_state(type) || !state || ((uintptr_t)state & (JL_FX_ALIGN - 1u)) || need == 0 || bytes < need)
		return -EINVAL;
	h->type = (uint32_t)type;
	h->rate = rate;
	h->fresh = 1;
	if (type == JL_FX_FILTER) {
		memcpy(((struct fx_filter *)state)->bq.c1, bq_identity, sizeof(bq_identity));
	} else if (type == JL_FX_EQ) {
		for (int b = 0; b < JL_FX_EQ_BANDS; b++)
			memcpy(((struct fx_eq *)state)->bq[b].c1, bq_identity, sizeof(bq_identity));
	}
	jl_fx_defaults(type, p);
	set_values(type, state, p, NULL, 0);
	h->magic = FX_MAGIC ^ (uint32_t)type;
	return 0;
}

/* --- process ---------------------------------------------------------------- */

void jl_fx_process_rt(int type, void *state, float *l, float *r, uint32_t n, const struct jl_fx_ctx *ctx)
{
	struct hdr *h;
	if (!ctx || !l || !r || !(h = valid(type, state, ctx->rate)))
		return;
	if (type == JL_FX_DELAY)
		delay_retarget(state, delay_target(state, ctx));
	while (n) {
		uint32_t m = n < JL_FX_BLOCK ? n : JL_FX_BLOCK;
		switch (type) {
		case JL_FX_FILTER: filter_block(state, l, r, m); break;
		case JL_FX_EQ: eq_block(state, l, r, m); break;
		case JL_FX_COMP: comp_block(state, l, r, m); break;
		case JL_FX_SAT: sat_block(state, l, r, m); break;
		case JL_FX_DELAY: delay_block(state, l, r, m, ctx->rate); break;
		case JL_FX_REVERB: reverb_block(state, l, r, m, ctx->rate); break;
		default: return;
		}
		l += m;
		r += m;
		n -= m;
	}
	h->fresh = 0;
}
