/* jl_alloc.c - allocation hook; see jl_alloc.h. */
#include "jl_alloc.h"
#include <stdatomic.h>
#include <stdlib.h>

/* atomic: the session workers allocate beside the daemon's loop */
static _Atomic long countdown = -1;
static atomic_int consumed;

static int should_fail(void)
{
	long c = atomic_load(&countdown);
	while (c >= 0) {
		if (atomic_compare_exchange_weak(&countdown, &c, c == 0 ? -1 : c - 1)) {
			if (c == 0)
				atomic_store(&consumed, 1);
			return c == 0;
		}
	}
	return 0;
}

void *jl_alloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *jl_calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1); }
void *jl_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void jl_free(void *p) { free(p); }

void jl_alloc_failnext(long n) { atomic_store(&consumed, 0); atomic_store(&countdown, n); }
int jl_alloc_failed(void) { return atomic_load(&consumed); }
