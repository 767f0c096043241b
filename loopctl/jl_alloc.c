/* jl_alloc.c - allocation hook; see jl_alloc.h. */
#include "jl_alloc.h"
#include <stdlib.h>

static long countdown = -1;
static int consumed;

static int should_fail(void)
{
	if (countdown < 0)
		return 0;
	if (countdown == 0) {
		countdown = -1;
		consumed = 1;
		return 1;
	}
	countdown--;
	return 0;
}

void *jl_alloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *jl_calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1); }
void *jl_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void jl_free(void *p) { free(p); }

void jl_alloc_failnext(long n) { countdown = n; consumed = 0; }
int jl_alloc_failed(void) { return consumed; }
