/* fxdesign.h - the daemon side of the effects (docs/effects.md): the table
 * of effect types and parameters (names, units, limits, enum words),
 * parsing "name=value" arguments, biquad design in double precision, and
 * one-line descriptions for `fx list`.
 *
 * The numeric limits and defaults come from shared/jl_fx.h, so the parser
 * and the RT side's validation agree.  Nothing here allocates.
 * Thread: non-RT only (uses snprintf, strtod, libm's double functions).
 */
#ifndef JL_FXDESIGN_H
#define JL_FXDESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "../shared/jl_fx.h"

/* One parameter of one effect type. */
struct jl_fx_param_info {
	const char *name;		/* as typed: "freq", "mode1", "threshold" */
	const char *unit;		/* "Hz", "dB", "ms", "" */
	float min, max, def;		/* from jl_fx_param_limits() */
	const char *const *words;	/* enum words (index = value), else NULL */
	int nwords;
};

/* Name of an effect type ("filter", …, "conv"), or NULL if unknown. */
const char *jl_fx_type_name(int type);
/* Type for a name, or -EINVAL. */
int jl_fx_type_from_name(const char *name);
/* Fills *out for parameter idx of type.  Returns 0 or -EINVAL. */
int jl_fx_param_info(int type, int idx, struct jl_fx_param_info *out);

/* Parses argc "name=value" arguments for effect `type_name` into params[]
 * (starting from the type's defaults; the last of repeated names wins) and
 * *type.  Enum parameters take their words (mode=hp, detector=peak).
 * Nothing is clamped: an out-of-range value is an error giving the range.
 * On error writes one line (no newline) into err[n]: an unknown effect lists
 * the valid effects, an unknown parameter lists that effect's parameters, a
 * bad enum word lists the accepted words.  Returns 0 or -EINVAL. */
int jl_fx_parse(const char *type_name, int argc, char **argv, int *type,
		float params[JL_FX_MAX_PARAMS], char *err, size_t n);

/* Designs the RBJ-cookbook biquads of FILTER (5 coefficients) or EQ (4
 * bands, 20), in double, as {b0, b1, b2, a1, a2} normalised by a0, into
 * coef[0..ncoef).  Returns the number of coefficients written (0 for types
 * without biquads), -EINVAL for bad parameters or rate, -ERANGE if a
 * frequency is not below 0.49 * rate, -ENOSPC if ncoef is too small. */
int jl_fx_design(int type, const float params[], uint32_t rate, double *coef, size_t ncoef);

/* One line "type name=value …" (words for enums; the same syntax
 * jl_fx_parse() accepts) into buf[n], truncated if needed. */
void jl_fx_describe(int type, const float params[], char *buf, size_t n);

#endif
