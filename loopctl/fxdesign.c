/* fxdesign.c - effect table, parser, biquad design, descriptions; see
 * fxdesign.h and docs/effects.md. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fxdesign.h"

#define PI 3.14159265358979323846

static const char *const type_names[JL_FX__COUNT] = {
	[JL_FX_NONE] = "none",
	[JL_FX_FILTER] = "filter",
	[JL_FX_EQ] = "eq",
	[JL_FX_COMP] = "comp",
	[JL_FX_SAT] = "sat",
	[JL_FX_DELAY] = "delay",
	[JL_FX_REVERB] = "reverb",
	[JL_FX_CONV] = "conv",
};

static const char *const mode_words[JL_FX_MODE__COUNT] = {
	"lp", "hp", "bp", "peak", "lowshelf", "highshelf",
};
static const char *const det_words[JL_FX_DET__COUNT] = { "rms", "peak" };

/* Names and units; numbers come from jl_fx_param_limits(). */
struct pname {
	const char *name, *unit;
	const char *const *words;
	int nwords;
};

static const struct pname filter_p[JL_FX_FILTER__N] = {
	{ "mode", "", mode_words, JL_FX_MODE__COUNT },
	{ "freq", "Hz", NULL, 0 },
	{ "q", "", NULL, 0 },
	{ "gain", "dB", NULL, 0 },
};
static const struct pname eq_p[JL_FX_EQ__N] = {
	{ "mode1", "", mode_words, JL_FX_MODE__COUNT }, { "freq1", "Hz", NULL, 0 },
	{ "q1", "", NULL, 0 }, { "gain1", "dB", NULL, 0 },
	{ "mode2", "", mode_words, JL_FX_MODE__COUNT }, { "freq2", "Hz", NULL, 0 },
	{ "q2", "", NULL, 0 }, { "gain2", "dB", NULL, 0 },
	{ "mode3", "", mode_words, JL_FX_MODE__COUNT }, { "freq3", "Hz", NULL, 0 },
	{ "q3", "", NULL, 0 }, { "gain3", "dB", NULL, 0 },
	{ "mode4", "", mode_words, JL_FX_MODE__COUNT }, { "freq4", "Hz", NULL, 0 },
	{ "q4", "", NULL, 0 }, { "gain4", "dB", NULL, 0 },
	{ "out", "dB", NULL, 0 },
};
static const struct pname comp_p[JL_FX_COMP__N] = {
	{ "threshold", "dB", NULL, 0 },
	{ "ratio", ":1", NULL, 0 },
	{ "knee", "dB", NULL, 0 },
	{ "attack", "ms", NULL, 0 },
	{ "release", "ms", NULL, 0 },
	{ "makeup", "dB", NULL, 0 },
	{ "detector", "", det_words, JL_FX_DET__COUNT },
};
static const struct pname sat_p[JL_FX_SAT__N] = {
	{ "drive", "x", NULL, 0 },
	{ "level", "dB", NULL, 0 },
};
static const struct pname delay_p[JL_FX_DELAY__N] = {
	{ "time", "ms", NULL, 0 },
	{ "beats", "beats", NULL, 0 },
	{ "feedback", "", NULL, 0 },
	{ "mix", "", NULL, 0 },
	{ "damping", "", NULL, 0 },
};
static const struct pname reverb_p[JL_FX_REVERB__N] = {
	{ "size", "", NULL, 0 },
	{ "damping", "", NULL, 0 },
	{ "mix", "", NULL, 0 },
};

static const struct pname *pnames(int type)
{
	switch (type) {
	case JL_FX_FILTER: return filter_p;
	case JL_FX_EQ: return eq_p;
	case JL_FX_COMP: return comp_p;
	case JL_FX_SAT: return sat_p;
	case JL_FX_DELAY: return delay_p;
	case JL_FX_REVERB: return reverb_p;
	default: return NULL;
	}
}

const char *jl_fx_type_name(int type)
{
	return type >= 0 && type < JL_FX__COUNT ? type_names[type] : NULL;
}

int jl_fx_type_from_name(const char *name)
{
	for (int t = JL_FX_NONE + 1; name && t < JL_FX__COUNT; t++)
		if (strcmp(name, type_names[t]) == 0)
			return t;
	return -EINVAL;
}

int jl_fx_param_info(int type, int idx, struct jl_fx_param_info *out)
{
	struct jl_fx_limits lim;
	const struct pname *p = pnames(type);
	if (!p || !out || jl_fx_param_limits(type, idx, &lim) < 0)
		return -EINVAL;
	out->name = p[idx].name;
	out->unit = p[idx].unit;
	out->min = lim.min;
	out->max = lim.max;
	out->def = lim.def;
	out->words = p[idx].words;
	out->nwords = p[idx].nwords;
	return 0;
}

/* Appends to buf[n] at *off (snprintf semantics: never overflows). */
static void add(char *buf, size_t n, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t n, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int w;
	if (!buf || *off >= n)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *off, n - *off, fmt, ap);
	va_end(ap);
	if (w > 0)
		*off = *off + (size_t)w < n ? *off + (size_t)w : n;
}

static void list_params(int type, char *buf, size_t n, size_t *off)
{
	struct jl_fx_param_info pi;
	for (int i = 0; jl_fx_param_info(type, i, &pi) == 0; i++)
		add(buf, n, off, "%s%s", i ? " " : "", pi.name);
}

static void list_words(const struct jl_fx_param_info *pi, char *buf, size_t n, size_t *off)
{
	for (int i = 0; i < pi->nwords; i++)
		add(buf, n, off, "%s%s", i ? " " : "", pi->words[i]);
}

int jl_fx_parse(const char *type_name, int argc, char **argv, int *type, float params[JL_FX_MAX_PARAMS],
		char *err, size_t n)
{
	size_t off = 0;
	int t = jl_fx_type_from_name(type_name);
	if (err && n)
		err[0] = '\0';
	if (t < 0) {
		add(err, n, &off, "unknown effect '%s' (valid:", type_name ? type_name : "");
		for (int i = JL_FX_NONE + 1; i < JL_FX__COUNT; i++)
			add(err, n, &off, " %s", type_names[i]);
		add(err, n, &off, ")");
		return -EINVAL;
	}
	jl_fx_defaults(t, params);
	for (int a = 0; a < argc; a++) {
		const char *arg = argv[a], *eq = arg ? strchr(arg, '=') : NULL;
		struct jl_fx_param_info pi;
		size_t klen;
		int idx;
		if (!eq || eq == arg) {
			add(err, n, &off, "%s: expected name=value, got '%s'", type_names[t], arg ? arg : "");
			return -EINVAL;
		}
		klen = (size_t)(eq - arg);
		for (idx = 0; jl_fx_param_info(t, idx, &pi) == 0; idx++)
			if (strlen(pi.name) == klen && strncmp(pi.name, arg, klen) == 0)
				break;
		if (idx >= jl_fx_nparams(t)) {
			add(err, n, &off, "%s: unknown parameter '%.*s' ", type_names[t], (int)klen, arg);
			if (jl_fx_nparams(t) == 0) {
				add(err, n, &off, "(%s takes no parameters)", type_names[t]);
			} else {
				add(err, n, &off, "(valid: ");
				list_params(t, err, n, &off);
				add(err, n, &off, ")");
			}
			return -EINVAL;
		}
		if (pi.words) {
			int w;
			for (w = 0; w < pi.nwords; w++)
				if (strcmp(eq + 1, pi.words[w]) == 0)
					break;
			if (w == pi.nwords) {
				add(err, n, &off, "%s: %s='%s': expected one of ", type_names[t], pi.name, eq + 1);
				list_words(&pi, err, n, &off);
				return -EINVAL;
			}
			params[idx] = (float)w;
		} else {
			char *end;
			double v;
			errno = 0;
			v = strtod(eq + 1, &end);
			if (end == eq + 1 || *end != '\0' || errno == ERANGE || !isfinite(v)) {
				add(err, n, &off, "%s: %s='%s': not a number", type_names[t], pi.name, eq + 1);
				return -EINVAL;
			}
			if (v < (double)pi.min || v > (double)pi.max) {
				add(err, n, &off, "%s: %s=%g out of range %g..%g%s%s", type_names[t], pi.name, v,
				    (double)pi.min, (double)pi.max, pi.unit[0] ? " " : "", pi.unit);
				return -EINVAL;
			}
			params[idx] = (float)v;	/* rounding is monotone: stays in range */
		}
	}
	*type = t;
	return 0;
}

/* RBJ Audio-EQ-Cookbook biquad for one band, in double, normalised by a0.
 * 1 - cos w0 and 1 + cos w0 are written as 2 sin^2(w0/2) and 2 cos^2(w0/2),
 * which stay accurate for the lowest corners. */
static int design_one(int mode, double f, double q, double gain_db, uint32_t rate, double *c)
{
	double w0, cw, sw, alpha, A, sA, b0, b1, b2, a0, a1, a2, sh, ch;
	if (!(f > 0.0) || !(q > 0.0) || !isfinite(gain_db))
		return -EINVAL;
	if (f >= 0.49 * (double)rate)
		return -ERANGE;
	w0 = 2.0 * PI * f / (double)rate;
	cw = cos(w0);
	sw = sin(w0);
	sh = sin(0.5 * w0);
	ch = cos(0.5 * w0);
	alpha = sw / (2.0 * q);
	A = pow(10.0, gain_db / 40.0);
	sA = sqrt(A);
	switch (mode) {
	case JL_FX_MODE_LP:
		b1 = 2.0 * sh * sh;	/* 1 - cos w0 */
		b0 = b2 = 0.5 * b1;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case JL_FX_MODE_HP:
		b0 = b2 = ch * ch;	/* (1 + cos w0) / 2 */
		b1 = -2.0 * b0;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case JL_FX_MODE_BP:	/* constant 0 dB peak gain */
		b0 = alpha; b1 = 0.0; b2 = -alpha;
		a0 = 1.0 + alpha; a1 = -2.0 * cw; a2 = 1.0 - alpha;
		break;
	case JL_FX_MODE_PEAK:
		b0 = 1.0 + alpha * A; b1 = -2.0 * cw; b2 = 1.0 - alpha * A;
		a0 = 1.0 + alpha / A; a1 = -2.0 * cw; a2 = 1.0 - alpha / A;
		break;
	case JL_FX_MODE_LOWSHELF:
		b0 = A * ((A + 1.0) - (A - 1.0) * cw + 2.0 * sA * alpha);
		b1 = 2.0 * A * ((A - 1.0) - (A + 1.0) * cw);
		b2 = A * ((A + 1.0) - (A - 1.0) * cw - 2.0 * sA * alpha);
		a0 = (A + 1.0) + (A - 1.0) * cw + 2.0 * sA * alpha;
		a1 = -2.0 * ((A - 1.0) + (A + 1.0) * cw);
		a2 = (A + 1.0) + (A - 1.0) * cw - 2.0 * sA * alpha;
		break;
	case JL_FX_MODE_HIGHSHELF:
		b0 = A * ((A + 1.0) + (A - 1.0) * cw + 2.0 * sA * alpha);
		b1 = -2.0 * A * ((A - 1.0) + (A + 1.0) * cw);
		b2 = A * ((A + 1.0) + (A - 1.0) * cw - 2.0 * sA * alpha);
		a0 = (A + 1.0) - (A - 1.0) * cw + 2.0 * sA * alpha;
		a1 = 2.0 * ((A - 1.0) - (A + 1.0) * cw);
		a2 = (A + 1.0) - (A - 1.0) * cw - 2.0 * sA * alpha;
		break;
	default:
		return -EINVAL;
	}
	c[0] = b0 / a0;
	c[1] = b1 / a0;
	c[2] = b2 / a0;
	c[3] = a1 / a0;
	c[4] = a2 / a0;
	return 0;
}

static int params_valid(int type, const float *p)
{
	struct jl_fx_limits lim;
	for (int i = 0; i < jl_fx_nparams(type); i++) {
		if (jl_fx_param_limits(type, i, &lim) < 0 || !(p[i] >= lim.min && p[i] <= lim.max))
			return 0;
		if (lim.integral && p[i] != (float)(int)p[i])
			return 0;
	}
	return 1;
}

int jl_fx_design(int type, const float params[], uint32_t rate, double *coef, size_t ncoef)
{
	int nb = type == JL_FX_FILTER ? 1 : type == JL_FX_EQ ? JL_FX_EQ_BANDS : 0;
	if (!params || rate < JL_FX_RATE_MIN || rate > JL_FX_RATE_MAX)
		return -EINVAL;
	if (nb == 0)
		return type > JL_FX_NONE && type < JL_FX__COUNT ? 0 : -EINVAL;
	if (!params_valid(type, params))
		return -EINVAL;
	if (!coef || ncoef < (size_t)nb * JL_FX_BIQUAD_COEFS)
		return -ENOSPC;
	for (int b = 0; b < nb; b++) {
		const float *p = params + 4 * b;	/* mode, freq, q, gain: same order for both */
		int rc = design_one((int)p[0], p[1], p[2], p[3], rate, coef + b * JL_FX_BIQUAD_COEFS);
		if (rc < 0)
			return rc;
	}
	return nb * JL_FX_BIQUAD_COEFS;
}

void jl_fx_describe(int type, const float params[], char *buf, size_t n)
{
	size_t off = 0;
	struct jl_fx_param_info pi;
	const char *name = jl_fx_type_name(type);
	if (!buf || !n)
		return;
	buf[0] = '\0';
	add(buf, n, &off, "%s", name ? name : "?");
	for (int i = 0; params && jl_fx_param_info(type, i, &pi) == 0; i++) {
		int w = (int)params[i];
		if (pi.words && w >= 0 && w < pi.nwords && (float)w == params[i])
			add(buf, n, &off, " %s=%s", pi.name, pi.words[w]);
		else
			add(buf, n, &off, " %s=%g", pi.name, (double)params[i]);
	}
}
