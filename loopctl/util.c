/* util.c - see util.h. */
#define _GNU_SOURCE
#include "util.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
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

/* Opens a file to read, refusing anything but a regular file: a FIFO
 * with no writer blocks open() and read() forever (the job would never
 * end, and every later save, load or import be refused as busy), and a
 * device can be read without end.  O_NONBLOCK is only for the open and
 * the check: the reads block as usual.  Returns the fd, or -1 with why
 * in err. */
int jl_open_regular(const char *p, char *err, size_t n)
{
	struct stat st;
	int fd = open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC), fl;
	if (fd < 0) {
		int e = errno;
		snprintf(err, n, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fd, &st) < 0 || (fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = errno;
		snprintf(err, n, "%s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, n, "not a regular file (%s): not read",
			 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : "a device or socket");
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return -1;
	}
	return fd;
}

double jl_gain_db(float gain)
{
	return gain > 0 ? round(20.0 * log10(gain) * 1e6) / 1e6 : -200.0;
}
