/* jl_shm.c - segment layout, validation, creation and attachment.
 * No output: every error is a return code plus a one-line reason. */
#define _GNU_SOURCE
#include "jl_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2, "address-free atomics");
_Static_assert(sizeof(struct jl_shm_header) <= 4096, "the header fits one page");
_Static_assert(offsetof(struct jl_shm_header, magic) == 0, "magic first");
_Static_assert(offsetof(struct jl_shm_header, abi_major) == 8, "ABI at a fixed place");
_Static_assert(sizeof(struct jl_voice_pub) == 32, "voice_pub layout");
_Static_assert(sizeof(struct jl_cycle_slot) == 32, "cycle slot layout");

static void seterr(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	if (!err || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
}

static uint64_t round_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

int jl_shm_layout(const struct jl_shm_geom *g, long page_size, struct jl_shm_header *h)
{
	uint64_t pg = (uint64_t)page_size, off, len;
	if (page_size <= 0 || !g || g->n_inputs < 1 || g->n_inputs > JL_MAX_INPUTS ||
	    g->max_voices < 1 || g->max_voices > JL_MAX_VOICES_CAP ||
	    !jl_spsc_is_pow2(g->cmd_capacity) || !jl_spsc_is_pow2(g->evt_capacity) ||
	    g->cmd_capacity > (1u << 20) || g->evt_capacity > (1u << 20) ||
	    g->hist_frames < 1024 || g->hist_frames > (1ull << 34) ||
	    g->sample_rate < 1000 || g->sample_rate > 768000 ||
	    g->pool_bytes > (1ull << 40) || g->model_bytes > (1ull << 30))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->magic = JL_SHM_MAGIC;
	h->abi_major = JL_ABI_MAJOR;
	h->abi_minor = JL_ABI_MINOR;
	h->header_size = sizeof(struct jl_shm_header);
	h->rt_state_size = sizeof(struct jl_rt_state);
	h->voice_pub_size = sizeof(struct jl_voice_pub);
	h->cmd_size = sizeof(struct jl_cmd);
	h->evt_size = sizeof(struct jl_evt);
	h->page_size = (uint32_t)pg;
	h->geom = *g;

	off = round_up(sizeof(struct jl_shm_header), pg);
	len = round_up(sizeof(struct jl_rt_state) + (uint64_t)g->max_voices * sizeof(struct jl_voice_pub), pg);
	h->region[JL_REG_RT] = (struct jl_region_desc){ off, len };
	off += len;
	len = round_up(jl_spsc_bytes(g->cmd_capacity, sizeof(struct jl_cmd)) +
		       jl_spsc_bytes(g->evt_capacity, sizeof(struct jl_evt)), pg);
	h->region[JL_REG_QUEUES] = (struct jl_region_desc){ off, len };
	h->cmdq_off = off;
	h->evtq_off = off + jl_spsc_bytes(g->cmd_capacity, sizeof(struct jl_cmd));
	off += len;
	len = round_up(g->model_bytes ? g->model_bytes : pg, pg);
	h->region[JL_REG_MODEL] = (struct jl_region_desc){ off, len };
	off += len;
	len = round_up(g->hist_frames * g->n_inputs * sizeof(float), pg);
	h->region[JL_REG_HIST] = (struct jl_region_desc){ off, len };
	off += len;
	len = round_up(g->pool_bytes ? g->pool_bytes : pg, pg);
	h->region[JL_REG_POOL] = (struct jl_region_desc){ off, len };
	off += len;
	h->total_size = off;
	return 0;
}

int jl_shm_validate(const struct jl_shm_header *h, uint64_t file_size, char *err, size_t n)
{
	struct jl_shm_header ref;
	uint64_t pg;
	int i;
	if (file_size < sizeof(*h)) {
		seterr(err, n, "segment is %llu bytes, smaller than a header", (unsigned long long)file_size);
		return -EPROTO;
	}
	if (h->magic != JL_SHM_MAGIC) {
		seterr(err, n, "not a jackloop segment (bad magic %016llx)", (unsigned long long)h->magic);
		return -EPROTO;
	}
	if (h->abi_major != JL_ABI_MAJOR) {
		seterr(err, n, "segment ABI %u.%u, this program speaks %u.%u (major differs)",
		       h->abi_major, h->abi_minor, JL_ABI_MAJOR, JL_ABI_MINOR);
		return -EPROTO;
	}
	/* Within a major, structs only grow: an older minor may be smaller. */
	if (h->header_size < offsetof(struct jl_shm_header, reserved1) ||
	    h->header_size > 4096 || h->cmd_size != sizeof(struct jl_cmd) ||
	    h->evt_size != sizeof(struct jl_evt) || h->voice_pub_size != sizeof(struct jl_voice_pub) ||
	    h->rt_state_size != sizeof(struct jl_rt_state)) {
		seterr(err, n, "segment struct sizes differ (header %u, rt %u, cmd %u, evt %u, voice %u)",
		       h->header_size, h->rt_state_size, h->cmd_size, h->evt_size, h->voice_pub_size);
		return -EPROTO;
	}
	pg = h->page_size;
	if (pg < 4096 || (pg & (pg - 1)) || jl_shm_layout(&h->geom, (long)pg, &ref) != 0) {
		seterr(err, n, "segment geometry is out of range");
		return -EPROTO;
	}
	for (i = 0; i < JL_REG__COUNT; i++) {
		if (h->region[i].off != ref.region[i].off || h->region[i].len != ref.region[i].len) {
			seterr(err, n, "segment region table is inconsistent (region %d)", i);
			return -EPROTO;
		}
	}
	if (h->cmdq_off != ref.cmdq_off || h->evtq_off != ref.evtq_off || h->total_size != ref.total_size) {
		seterr(err, n, "segment queue offsets are inconsistent");
		return -EPROTO;
	}
	if (file_size < h->total_size) {
		seterr(err, n, "segment is truncated: %llu of %llu bytes", (unsigned long long)file_size,
		       (unsigned long long)h->total_size);
		return -EPROTO;
	}
	return 0;
}

static void sanitize(char *dst, size_t n, const char *src)
{
	size_t i;
	for (i = 0; i + 1 < n && src[i]; i++) {
		char c = src[i];
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			 c == '_' || c == '-';
		dst[i] = ok ? c : '_';
	}
	dst[i] = 0;
}

int jl_shm_name(char *buf, size_t n, unsigned uid, const char *server, const char *name)
{
	char s[64], m[64];
	int r;
	if (strlen(server) >= sizeof(s) || strlen(name) >= sizeof(m))
		return -ENAMETOOLONG;
	sanitize(s, sizeof(s), server);
	sanitize(m, sizeof(m), name);
	r = snprintf(buf, n, "/jackloop.%u.%s.%s", uid, s, m);
	return (r < 0 || (size_t)r >= n) ? -ENAMETOOLONG : 0;
}

const char *jl_shm_default_server(void)
{
	const char *s = getenv("JACK_DEFAULT_SERVER");
	return (s && *s) ? s : "default";
}

int jl_shm_lock_held(int fd, int which)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = which;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type != F_UNLCK;
}

static int take_lock(int fd, int which)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = which;
	fl.l_len = 1;
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return (errno == EAGAIN || errno == EACCES) ? -EBUSY : -errno;
	return 0;
}

static void wire(struct jl_shm *s, unsigned char *base)
{
	const struct jl_shm_header *h = (const void *)base;
	s->hdr = (void *)base;
	s->rt = (void *)(base + h->region[JL_REG_RT].off);
	s->voice = (void *)(base + h->region[JL_REG_RT].off + sizeof(struct jl_rt_state));
	s->queues = base + h->region[JL_REG_QUEUES].off;
	s->model = base + h->region[JL_REG_MODEL].off;
	s->hist = (void *)(base + h->region[JL_REG_HIST].off);
	s->pool = base + h->region[JL_REG_POOL].off;
}

static int read_header(int fd, struct jl_shm_header *h, uint64_t *size, char *err, size_t n)
{
	struct stat st;
	ssize_t r;
	if (fstat(fd, &st) < 0) {
		seterr(err, n, "fstat: %s", strerror(errno));
		return -errno;
	}
	*size = (uint64_t)st.st_size;
	memset(h, 0, sizeof(*h));
	if (st.st_size < (off_t)sizeof(*h)) {
		seterr(err, n, "segment is %lld bytes, smaller than a header", (long long)st.st_size);
		return -EPROTO;
	}
	r = pread(fd, h, sizeof(*h), 0);
	if (r != (ssize_t)sizeof(*h)) {
		seterr(err, n, "cannot read segment header");
		return -EIO;
	}
	return jl_shm_validate(h, *size, err, n);
}

static int geom_equal(const struct jl_shm_geom *a, const struct jl_shm_geom *b)
{
	return a->sample_rate == b->sample_rate && a->n_inputs == b->n_inputs &&
	       a->max_voices == b->max_voices && a->cmd_capacity == b->cmd_capacity &&
	       a->evt_capacity == b->evt_capacity && a->hist_frames == b->hist_frames &&
	       a->pool_bytes == b->pool_bytes && a->model_bytes == b->model_bytes;
}

static int check_space(uint64_t need, char *err, size_t n)
{
	struct statvfs vs;
	if (statvfs("/dev/shm", &vs) == 0) {
		uint64_t avail = (uint64_t)vs.f_bavail * vs.f_frsize;
		if (avail < need) {
			seterr(err, n, "/dev/shm has %llu MiB free but the segment needs %llu MiB: "
				       "lower --history/--pool-mb or enlarge /dev/shm "
				       "(mount -o remount,size=2G /dev/shm)",
			       (unsigned long long)(avail >> 20), (unsigned long long)(need >> 20));
			return -ENOSPC;
		}
	}
	return 0;
}

int jl_shm_open_engine(struct jl_shm *s, const char *name, const struct jl_shm_geom *want,
		       int strict, char *err, size_t n)
{
	struct jl_shm_header h, old;
	uint64_t size = 0;
	long pg = sysconf(_SC_PAGESIZE);
	int fd, r, created = 0;
	void *base;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	r = jl_shm_layout(want, pg, &h);
	if (r < 0) {
		seterr(err, n, "invalid sizes (inputs 1..%d, voices 1..%d, history >= 1024 frames)",
		       JL_MAX_INPUTS, JL_MAX_VOICES_CAP);
		return r;
	}
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		created = 1;
	} else if (errno == EEXIST) {
		fd = shm_open(name, O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0) {
			seterr(err, n, "shm_open %s: %s", name, strerror(errno));
			return -errno;
		}
	} else {
		seterr(err, n, "shm_open %s: %s", name, strerror(errno));
		return -errno;
	}
	r = take_lock(fd, JL_LOCK_ENGINE);
	if (r == -EBUSY) {
		seterr(err, n, "another jackloop is running with this name (segment %s is locked)", name);
		close(fd);
		return -EBUSY;
	}
	if (r < 0) {
		seterr(err, n, "lock %s: %s", name, strerror(-r));
		close(fd);
		return r;
	}
	if (!created) {
		/* A creation cut short (killed between shm_open and the end of
		 * the fallocate: a large one, the OOM killer; or before the
		 * magic, which is published last) leaves a segment smaller
		 * than a header, or one whose first 8 bytes are zero.  Nothing
		 * in it can be a loop (no daemon attaches before the magic),
		 * and it blocked every later start until `loopctl cleanup`:
		 * with the lock free, it is made afresh.  A full-sized one with
		 * another bad header is still refused (it may hold loops). */
		struct stat st;
		uint64_t magic = 1;
		if (fstat(fd, &st) == 0 &&
		    (st.st_size < (off_t)sizeof(h) ||
		     (pread(fd, &magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) && magic == 0)) &&
		    ftruncate(fd, 0) == 0)
			created = 1;
	}
	if (!created) {
		/* Stale segment: the lock was free.  Adopt it if compatible;
		 * never write zeros into it (it may hold loops to keep). */
		r = read_header(fd, &old, &size, err, n);
		if (r == 0 && old.geom.sample_rate != want->sample_rate) {
			seterr(err, n, "stale segment %s was made at %u Hz but JACK runs at %u Hz",
			       name, old.geom.sample_rate, want->sample_rate);
			r = -EPROTO;
		}
		if (r == 0 && strict && !geom_equal(&old.geom, want)) {
			seterr(err, n, "stale segment %s has other sizes (%u inputs, %llu s history, %llu MiB pool)",
			       name, old.geom.n_inputs,
			       (unsigned long long)(old.geom.hist_frames / old.geom.sample_rate),
			       (unsigned long long)(old.geom.pool_bytes >> 20));
			r = -EPROTO;
		}
		if (r < 0) {
			close(fd);
			return r == -EPROTO ? -EPROTO : r;
		}
		h = old;
	} else {
		r = check_space(h.total_size, err, n);
		if (r == 0) {
			r = posix_fallocate(fd, 0, (off_t)h.total_size);
			if (r == ENOSPC)
				seterr(err, n, "/dev/shm is too small for %llu MiB: lower --history/--pool-mb "
					       "or enlarge /dev/shm", (unsigned long long)(h.total_size >> 20));
			else if (r)
				seterr(err, n, "posix_fallocate: %s", strerror(r));
			r = -r;
		}
		if (r < 0) {
			shm_unlink(name);
			close(fd);
			return r;
		}
		size = h.total_size;
	}
	base = mmap(NULL, h.total_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		r = -errno;
		seterr(err, n, "mmap %llu bytes: %s", (unsigned long long)h.total_size, strerror(errno));
		if (created)
			shm_unlink(name);
		close(fd);
		return r;
	}
	s->fd = fd;
	s->size = size;
	s->maps[0] = base;
	s->map_len[0] = h.total_size;
	s->created = created;
	if (created) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* Fresh pages from posix_fallocate are already zero. */
		h.created_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		/* everything but the magic, which says the segment is made
		 * (open_existing waits for it) */
		h.magic = 0;
		memcpy(base, &h, sizeof(h));
		wire(s, base);
		jl_spsc_init(&(struct jl_spsc_h){ 0 }, s->hdr->cmdq_off + (unsigned char *)base,
			     want->cmd_capacity, sizeof(struct jl_cmd));
		jl_spsc_init(&(struct jl_spsc_h){ 0 }, s->hdr->evtq_off + (unsigned char *)base,
			     want->evt_capacity, sizeof(struct jl_evt));
		__atomic_store_n(&s->hdr->magic, (uint64_t)JL_SHM_MAGIC, __ATOMIC_RELEASE);
	} else {
		wire(s, base);
	}
	atomic_store(&s->hdr->engine_pid, (int32_t)getpid());
	atomic_fetch_add(&s->hdr->engine_gen, 1);
	return created ? JL_SHM_CREATED : JL_SHM_REATTACHED;
}

static void *map_region(int fd, const struct jl_shm_header *h, int reg, int prot)
{
	void *p = mmap(NULL, h->region[reg].len, prot, MAP_SHARED, fd, (off_t)h->region[reg].off);
	return p == MAP_FAILED ? NULL : p;
}

/* jackloop makes a segment in steps (shm_open, its lock, the full size,
 * the header, the queues) and publishes the magic last.  A segment still
 * smaller than a header, or without its magic, is being made while
 * jackloop holds its lock: a daemon or a command started together with
 * jackloop waits for it (up to CREATE_WAIT_MS) instead of failing on a
 * half-made segment.  One whose lock stays free for CREATE_STALE_MS is a
 * start cut short, and is reported as it is. */
#define CREATE_WAIT_MS 5000
#define CREATE_STALE_MS 500
#define CREATE_POLL_MS 10

static int being_made(const struct jl_shm_header *h, uint64_t size)
{
	return size < sizeof(*h) || h->magic == 0;
}

static int read_header_made(int fd, struct jl_shm_header *h, uint64_t *size, char *err, size_t n)
{
	const struct timespec poll = { 0, CREATE_POLL_MS * 1000000L };
	unsigned waited = 0, unlocked = 0;
	for (;;) {
		int r = read_header(fd, h, size, err, n);
		if (r != -EPROTO || !being_made(h, *size) || waited >= CREATE_WAIT_MS)
			return r;
		unlocked = jl_shm_lock_held(fd, JL_LOCK_ENGINE) == 1 ? 0 : unlocked + CREATE_POLL_MS;
		if (unlocked >= CREATE_STALE_MS)
			return r;
		nanosleep(&poll, NULL);
		waited += CREATE_POLL_MS;
	}
}

static int open_existing(const char *name, int oflag, int *fdp, struct jl_shm_header *h, uint64_t *size,
			 char *err, size_t n)
{
	int fd = shm_open(name, oflag | O_CLOEXEC, 0600), r;
	if (fd < 0) {
		r = -errno;
		if (errno == ENOENT)
			seterr(err, n, "no jackloop segment %s", name);
		else
			seterr(err, n, "shm_open %s: %s", name, strerror(errno));
		return r;
	}
	r = read_header_made(fd, h, size, err, n);
	if (r < 0) {
		close(fd);
		return r;
	}
	*fdp = fd;
	return 0;
}

int jl_shm_open_daemon(struct jl_shm *s, const char *name, char *err, size_t n)
{
	struct jl_shm_header h;
	unsigned char *hdrp = NULL, *rt, *q, *model, *hist, *pool;
	int fd = -1, r;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	r = open_existing(name, O_RDWR, &fd, &h, &s->size, err, n);
	if (r < 0)
		return r;
	r = take_lock(fd, JL_LOCK_DAEMON);
	if (r < 0) {
		if (r == -EBUSY)
			seterr(err, n, "another loopctl serve already drives %s (producer lock held)", name);
		else
			seterr(err, n, "lock: %s", strerror(-r));
		close(fd);
		return r;
	}
	s->fd = fd;
	/* The header page is writable (port, pid); RT state and history are
	 * read-only (DESIGN 1.1); queues, model and pool are ours to write. */
	hdrp = mmap(NULL, h.region[JL_REG_RT].off, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (hdrp == MAP_FAILED)
		hdrp = NULL;
	rt = map_region(fd, &h, JL_REG_RT, PROT_READ);
	q = map_region(fd, &h, JL_REG_QUEUES, PROT_READ | PROT_WRITE);
	model = map_region(fd, &h, JL_REG_MODEL, PROT_READ | PROT_WRITE);
	hist = map_region(fd, &h, JL_REG_HIST, PROT_READ);
	pool = map_region(fd, &h, JL_REG_POOL, PROT_READ | PROT_WRITE);
	s->maps[0] = hdrp;
	s->map_len[0] = h.region[JL_REG_RT].off;
	s->maps[1 + JL_REG_RT] = rt;
	s->maps[1 + JL_REG_QUEUES] = q;
	s->maps[1 + JL_REG_MODEL] = model;
	s->maps[1 + JL_REG_HIST] = hist;
	s->maps[1 + JL_REG_POOL] = pool;
	for (r = 0; r < JL_REG__COUNT; r++)
		s->map_len[1 + r] = h.region[r].len;
	if (!hdrp || !rt || !q || !model || !hist || !pool) {
		seterr(err, n, "mmap of %s failed: %s", name, strerror(errno));
		jl_shm_close(s);
		return -ENOMEM;
	}
	s->hdr = (void *)hdrp;
	s->rt = (void *)rt;
	s->voice = (void *)(rt + sizeof(struct jl_rt_state));
	s->queues = q;
	s->model = model;
	s->hist = (void *)hist;
	s->pool = pool;
	return 0;
}

int jl_shm_open_reader(struct jl_shm *s, const char *name, int full, char *err, size_t n)
{
	struct jl_shm_header h;
	void *base;
	int fd = -1, r;
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	r = open_existing(name, O_RDONLY, &fd, &h, &s->size, err, n);
	if (r < 0)
		return r;
	base = mmap(NULL, full ? h.total_size : h.region[JL_REG_RT].off, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		seterr(err, n, "mmap %s: %s", name, strerror(errno));
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->maps[0] = base;
	s->map_len[0] = full ? h.total_size : h.region[JL_REG_RT].off;
	if (full)
		wire(s, base);
	else
		s->hdr = base;
	return 0;
}

void jl_shm_close(struct jl_shm *s)
{
	int i;
	if (!s)
		return;
	for (i = 0; i < JL_REG__COUNT + 1; i++)
		if (s->maps[i])
			munmap(s->maps[i], s->map_len[i]);
	if (s->fd >= 0)
		close(s->fd);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

uint64_t jl_shm_lock_memory(struct jl_shm *s, int *failed_region, int *err_no)
{
	/* Priority order (DESIGN 6.3): what the callback touches every cycle
	 * first, then the history it writes, then the pool it reads. */
	static const int order[] = { -1, JL_REG_RT, JL_REG_QUEUES, JL_REG_HIST, JL_REG_POOL, JL_REG_MODEL };
	unsigned char *base = s->maps[0];
	uint64_t locked = 0;
	size_t i;
	*failed_region = -2;
	*err_no = 0;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		unsigned char *p;
		size_t len;
		if (order[i] < 0) {
			p = base;
			len = s->hdr->region[JL_REG_RT].off;
		} else {
			p = base + s->hdr->region[order[i]].off;
			len = s->hdr->region[order[i]].len;
		}
		/* Fault the pages in without writing: contents are kept. */
		if (madvise(p, len, MADV_POPULATE_WRITE) != 0) {
			volatile unsigned char *v = p;
			size_t k;
			for (k = 0; k < len; k += 4096)
				v[k] = v[k]; /* cppcheck-suppress selfAssignment ; faults the page in, keeps its byte */
		}
		if (*failed_region == -2) {
			if (mlock(p, len) == 0) {
				locked += len;
			} else {
				*failed_region = order[i];
				*err_no = errno;
			}
		}
	}
	if (*failed_region == -2)
		*failed_region = -3;
	return locked;
}

int jl_shm_remove_stale(const char *name, char *err, size_t n)
{
	int fd = shm_open(name, O_RDONLY | O_CLOEXEC, 0600), a, b;
	if (fd < 0) {
		seterr(err, n, "no segment %s", name);
		return -ENOENT;
	}
	a = jl_shm_lock_held(fd, JL_LOCK_ENGINE);
	b = jl_shm_lock_held(fd, JL_LOCK_DAEMON);
	close(fd);
	if (a != 0 || b != 0) {
		seterr(err, n, "%s is in use by a running %s", name, a ? "jackloop" : "loopctl serve");
		return -EBUSY;
	}
	if (shm_unlink(name) < 0) {
		seterr(err, n, "shm_unlink %s: %s", name, strerror(errno));
		return -errno;
	}
	return 0;
}

int jl_shm_cycle_read(const struct jl_rt_state *rt, uint64_t *frame, uint64_t *usecs,
		      uint64_t *next_usecs, uint32_t *nframes)
{
	struct jl_rt_state *r = (void *)rt;
	int tries;
	for (tries = 0; tries < 8; tries++) {
		uint32_t s1 = atomic_load_explicit(&r->cycle_seq, memory_order_acquire), s2;
		const struct jl_cycle_slot *c;
		if (s1 == 0)
			return -EAGAIN;
		c = &r->cycle[s1 % JL_CYCLE_SLOTS];
		/* Acquire loads pair with the writer's release stores, so a
		 * value from a later overwrite implies s2 sees the newer seq. */
		*frame = atomic_load_explicit(&((struct jl_cycle_slot *)c)->frame, memory_order_acquire);
		*usecs = atomic_load_explicit(&((struct jl_cycle_slot *)c)->usecs, memory_order_acquire);
		*next_usecs = atomic_load_explicit(&((struct jl_cycle_slot *)c)->next_usecs, memory_order_acquire);
		*nframes = atomic_load_explicit(&((struct jl_cycle_slot *)c)->nframes, memory_order_acquire);
		s2 = atomic_load_explicit(&r->cycle_seq, memory_order_acquire);
		if (s2 - s1 < JL_CYCLE_SLOTS - 1)
			return 0;
	}
	return -EAGAIN;
}

uint64_t jl_shm_usecs_to_frame(uint64_t frame, uint64_t usecs, uint64_t next_usecs, uint32_t nframes,
			       uint64_t jack_us)
{
	uint64_t span = next_usecs > usecs ? next_usecs - usecs : 1;
	if (jack_us >= usecs)
		return frame + ((jack_us - usecs) * nframes + span / 2) / span;
	else {
		uint64_t back = ((usecs - jack_us) * nframes + span / 2) / span;
		return back > frame ? 0 : frame - back;
	}
}

int jl_shm_jack_frame(const struct jl_rt_state *rt, uint64_t f, uint32_t *jack)
{
	struct jl_rt_state *r = (void *)rt;
	uint32_t n = atomic_load_explicit(&r->offset_marks, memory_order_acquire), k, lo;
	lo = n > JL_GAP_MARKS ? n - JL_GAP_MARKS : 0;
	for (k = n; k > lo; k--) {
		const struct jl_offset_mark *m = &r->offset_mark[(k - 1) % JL_GAP_MARKS];
		uint64_t mf = atomic_load_explicit(&((struct jl_offset_mark *)m)->frame, memory_order_relaxed);
		if (mf <= f) {
			*jack = (uint32_t)(f - atomic_load_explicit(&((struct jl_offset_mark *)m)->offset,
								  memory_order_relaxed));
			return 0;
		}
	}
	return -ERANGE;
}

int jl_shm_in_gap(const struct jl_rt_state *rt, uint64_t f)
{
	struct jl_rt_state *r = (void *)rt;
	int i;
	for (i = 0; i < JL_GAP_MARKS; i++) {
		uint64_t s = atomic_load_explicit(&r->gap[i].start, memory_order_relaxed);
		uint64_t l = atomic_load_explicit(&r->gap[i].len, memory_order_relaxed);
		if (l && f >= s && f < s + l)
			return 1;
	}
	return 0;
}
