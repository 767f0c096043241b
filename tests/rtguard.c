/* rtguard.c - LD_PRELOAD interposer: aborts on a forbidden call made on a
 * thread that is inside JL_RT_ENTER()/JL_RT_EXIT() (STYLE 32, DESIGN 7).
 *
 *   LD_PRELOAD=build/librtguard.so build/jackloop ...
 *
 * Covers allocation, locks and condition variables, sleeping, stdio and the
 * common file/socket system calls.  The originals are found with
 * dlsym(RTLD_NEXT) at load time (allocation uses glibc's __libc_* entry
 * points, because dlsym itself may allocate). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Thread_local int depth;

void rtguard_enter(void);
void rtguard_exit(void);
void rtguard_enter(void) { depth++; }
void rtguard_exit(void) { if (depth > 0) depth--; }

static void die(const char *what)
{
	static const char pre[] = "rtguard: forbidden call in RT context: ";
	depth = 0;
	syscall(SYS_write, 2, pre, sizeof(pre) - 1);
	syscall(SYS_write, 2, what, strlen(what));
	syscall(SYS_write, 2, "\n", 1);
	abort();
}

#define GUARD(name) do { if (depth) die(name); } while (0)

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

void *malloc(size_t n) { GUARD("malloc"); return __libc_malloc(n); }
void *calloc(size_t n, size_t s) { GUARD("calloc"); return __libc_calloc(n, s); }
void *realloc(void *p, size_t n) { GUARD("realloc"); return __libc_realloc(p, n); }
void free(void *p) { if (p) GUARD("free"); __libc_free(p); }
int posix_memalign(void **p, size_t a, size_t n)
{
	GUARD("posix_memalign");
	*p = __libc_memalign(a, n);
	return *p ? 0 : 12;
}
void *aligned_alloc(size_t a, size_t n) { GUARD("aligned_alloc"); return __libc_memalign(a, n); }

static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_mutex_trylock)(pthread_mutex_t *);
static int (*real_mutex_unlock)(pthread_mutex_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static int (*real_cond_signal)(pthread_cond_t *);
static int (*real_cond_broadcast)(pthread_cond_t *);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_post)(sem_t *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_clock_nanosleep)(clockid_t, int, const struct timespec *, struct timespec *);
static int (*real_usleep)(useconds_t);
static unsigned (*real_sleep)(unsigned);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_vfprintf)(FILE *, const char *, va_list);
static int (*real_vprintf)(const char *, va_list);
static int (*real_puts)(const char *);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);

__attribute__((constructor)) static void resolve(void)
{
#define R(v, n) *(void **)(&v) = dlsym(RTLD_NEXT, n)
	R(real_mutex_lock, "pthread_mutex_lock");
	R(real_mutex_trylock, "pthread_mutex_trylock");
	R(real_mutex_unlock, "pthread_mutex_unlock");
	R(real_cond_wait, "pthread_cond_wait");
	R(real_cond_timedwait, "pthread_cond_timedwait");
	R(real_cond_signal, "pthread_cond_signal");
	R(real_cond_broadcast, "pthread_cond_broadcast");
	R(real_sem_wait, "sem_wait");
	R(real_sem_post, "sem_post");
	R(real_nanosleep, "nanosleep");
	R(real_clock_nanosleep, "clock_nanosleep");
	R(real_usleep, "usleep");
	R(real_sleep, "sleep");
	R(real_write, "write");
	R(real_read, "read");
	R(real_poll, "poll");
	R(real_vfprintf, "vfprintf");
	R(real_vprintf, "vprintf");
	R(real_puts, "puts");
	R(real_fwrite, "fwrite");
#undef R
}

int pthread_mutex_lock(pthread_mutex_t *m) { GUARD("pthread_mutex_lock"); return real_mutex_lock(m); }
int pthread_mutex_trylock(pthread_mutex_t *m) { GUARD("pthread_mutex_trylock"); return real_mutex_trylock(m); }
int pthread_mutex_unlock(pthread_mutex_t *m) { GUARD("pthread_mutex_unlock"); return real_mutex_unlock(m); }
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { GUARD("pthread_cond_wait"); return real_cond_wait(c, m); }
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
	GUARD("pthread_cond_timedwait");
	return real_cond_timedwait(c, m, t);
}
int pthread_cond_signal(pthread_cond_t *c) { GUARD("pthread_cond_signal"); return real_cond_signal(c); }
int pthread_cond_broadcast(pthread_cond_t *c) { GUARD("pthread_cond_broadcast"); return real_cond_broadcast(c); }
int sem_wait(sem_t *s) { GUARD("sem_wait"); return real_sem_wait(s); }
int sem_post(sem_t *s) { GUARD("sem_post"); return real_sem_post(s); }
int nanosleep(const struct timespec *a, struct timespec *b) { GUARD("nanosleep"); return real_nanosleep(a, b); }
int clock_nanosleep(clockid_t c, int f, const struct timespec *a, struct timespec *b)
{
	GUARD("clock_nanosleep");
	return real_clock_nanosleep(c, f, a, b);
}
int usleep(useconds_t u) { GUARD("usleep"); return real_usleep(u); }
unsigned sleep(unsigned s) { GUARD("sleep"); return real_sleep(s); }
ssize_t write(int fd, const void *b, size_t n) { GUARD("write"); return real_write(fd, b, n); }
ssize_t read(int fd, void *b, size_t n) { GUARD("read"); return real_read(fd, b, n); }
int poll(struct pollfd *p, nfds_t n, int t) { GUARD("poll"); return real_poll(p, n, t); }
int vfprintf(FILE *f, const char *fmt, va_list ap) { GUARD("vfprintf"); return real_vfprintf(f, fmt, ap); }
int fprintf(FILE *f, const char *fmt, ...)
{
	va_list ap;
	int r;
	GUARD("fprintf");
	va_start(ap, fmt);
	r = real_vfprintf(f, fmt, ap);
	va_end(ap);
	return r;
}
int printf(const char *fmt, ...)
{
	va_list ap;
	int r;
	GUARD("printf");
	va_start(ap, fmt);
	r = real_vprintf(fmt, ap);
	va_end(ap);
	return r;
}
int puts(const char *s) { GUARD("puts"); return real_puts(s); }
size_t fwrite(const void *p, size_t s, size_t n, FILE *f) { GUARD("fwrite"); return real_fwrite(p, s, n, f); }
