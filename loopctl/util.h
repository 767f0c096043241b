/* util.h - small helpers the CLI and the daemon share (non-RT). */
#ifndef JL_UTIL_H
#define JL_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
double jl_mono_ms(void);

/* `path` made absolute against the current directory (the daemon has its
 * own working directory, so paths are sent to it absolute).  An absolute
 * path is copied as it is.  Returns 0, or -1 if it does not fit. */
int jl_abs_path(const char *path, char *out, size_t n);

/* A whole number lo..hi in decimal digits only (no sign, no spaces).
 * Returns 0 and sets *v, or -1. */
int jl_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v);
/* Digits only (no sign or blank), within uint64_t; 0 or -1. */
int jl_parse_u64(const char *s, uint64_t *v);

#endif
