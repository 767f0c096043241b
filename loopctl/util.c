/* util.c - see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

double jl_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int jl_abs_path(const char *path, char *out, size_t n)
{
	char cwd[2048];
	int w;
	if (path[0] == '/')
		w = snprintf(out, n, "%s", path);
	else if (!getcwd(cwd, sizeof(cwd)))
		return -1;
	else
		w = snprintf(out, n, "%s/%s", cwd, path);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

int jl_parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;
	if (*s < '0' || *s > '9')
		return -1; /* no sign, no blank: strtoull would take " -5" */
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*v = (uint64_t)x;
	return 0;
}

int jl_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *v)
{
	char *end;
	unsigned long x;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = (uint32_t)x;
	return 0;
}
