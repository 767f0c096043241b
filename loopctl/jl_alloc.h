/* jl_alloc.h - the one allocation hook of loopctl (Lua-style failnext).
 *
 * Every allocation loopctl makes itself goes through these, so the test
 * build can make the Nth one fail and walk every error path.  Allocations
 * made inside liblo, FFTW, ALSA or libsndfile are NOT covered by the hook.
 * Thread: non-RT only (loopctl never runs on the JACK thread); safe from
 * several threads (the session workers allocate beside the daemon's loop).
 */
#ifndef JL_ALLOC_H
#define JL_ALLOC_H
#include <stddef.h>

void *jl_alloc(size_t n);                 /* malloc; NULL on failure */
void *jl_calloc(size_t n, size_t size);   /* calloc; NULL on failure */
void *jl_realloc(void *p, size_t n);      /* realloc; NULL on failure, p untouched */
void jl_free(void *p);                    /* accepts NULL */

/* Test hook: after `n` more successful allocations, the next one fails
 * (and only that one).  n < 0 disables.  Returns nothing; see
 * jl_alloc_failed() to learn whether the injected failure was consumed. */
void jl_alloc_failnext(long n);
int jl_alloc_failed(void);

#endif
