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
/* A gain in dB as status and sessions show it: rounded to 1e-6 dB (the
 * float gain of +24 dB is 24.0000001872 dB unrounded, past the -200..24
 * a session may hold), -200 for silence. */
double jl_gain_db(float gain);
/* Opens a file to read, refusing anything but a regular file (a FIFO
 * with no writer would block the reader forever); the fd, or -1 with why
 * in err and errno set (EISDIR for a directory, EINVAL for another kind
 * of file). */
int jl_open_regular(const char *p, char *err, size_t n);
/* Digits only (no sign or blank), within uint64_t; 0 or -1. */
int jl_parse_u64(const char *s, uint64_t *v);

#endif
