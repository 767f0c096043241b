/* jl_shm.h - the shared-memory segment both processes agree on (DESIGN 6).
 *
 * Segment /jackloop.<uid>.<server>.<name>, mode 0600.  Layout, all offsets
 * page-aligned, no pointers anywhere:
 *
 *   header   magic, ABI, struct sizes, region table, geometry, daemon port/pid
 *   rt       RT state: cycle snapshots, history head, counters, meters,
 *            latencies, per-voice state          (RT writes; daemon PROT_READ)
 *   queues   command ring daemon->RT, event ring RT->daemon
 *   model    the daemon's authoritative musical model (daemon writes)
 *   hist     one ring of hist_frames floats per input (RT writes; daemon PROT_READ)
 *   pool     audio pool the daemon allocates from (daemon copies takes in)
 *
 * Identity (DESIGN 6.1): jackloop holds an OFD lock on byte 0 of the fd for
 * its whole life, the daemon on byte 1.  The kernel drops them on a crash,
 * so a free lock means "stale".
 *
 * ABI: a different major is refused; within a major, regions and structs
 * only grow at their end (append-only), and the header records every size.
 */
#ifndef JL_SHM_H
#define JL_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "jl_cmd.h"
#include "jl_spsc.h"

#define JL_SHM_MAGIC 0x314D53504F4F4C4AULL	/* "JLOOPSM1" little-endian */
#define JL_ABI_MAJOR 1
#define JL_ABI_MINOR 1

#define JL_MAX_INPUTS 32
#define JL_N_OUTPUTS 4			/* out_L, out_R, phones_L, phones_R */
#define JL_MAX_VOICES_CAP 4096
#define JL_GAP_MARKS 32			/* ring of the latest history gaps */
#define JL_CYCLE_SLOTS 4
#define JL_BLOCK 256			/* RT internal sub-block (DESIGN 2.2) */
#define JL_MAX_TRACKS 64		/* track buses */

enum jl_region { JL_REG_RT = 0, JL_REG_QUEUES, JL_REG_MODEL, JL_REG_HIST, JL_REG_POOL, JL_REG__COUNT };

/* Lock bytes (OFD locks, DESIGN 6.1). */
#define JL_LOCK_ENGINE 0
#define JL_LOCK_DAEMON 1

/* Exit codes shared by both programs. */
#define JL_EXIT_OK 0
#define JL_EXIT_FAIL 1
#define JL_EXIT_USAGE 2
#define JL_EXIT_NO_DAEMON 3	/* loopctl CLI: nobody answered */
#define JL_EXIT_LOCKED 4	/* another instance holds the lock: do not retry */

/* Sizes chosen at creation. */
struct jl_shm_geom {
	uint32_t sample_rate;
	uint32_t n_inputs;	/* 1..JL_MAX_INPUTS */
	uint32_t max_voices;	/* 1..JL_MAX_VOICES_CAP */
	uint32_t cmd_capacity;	/* power of two */
	uint32_t evt_capacity;	/* power of two */
	uint32_t reserved0;
	uint64_t hist_frames;	/* per input */
	uint64_t pool_bytes;
	uint64_t model_bytes;
};

struct jl_region_desc {
	uint64_t off;
	uint64_t len;
};

struct jl_shm_header {
	uint64_t magic;
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t header_size;		/* sizeof(struct jl_shm_header) */
	uint32_t rt_state_size;		/* sizeof(struct jl_rt_state) */
	uint32_t voice_pub_size;	/* sizeof(struct jl_voice_pub) */
	uint32_t cmd_size;		/* sizeof(struct jl_cmd) */
	uint32_t evt_size;		/* sizeof(struct jl_evt) */
	uint32_t page_size;
	uint32_t reserved0;
	uint64_t total_size;
	struct jl_region_desc region[JL_REG__COUNT];
	uint64_t cmdq_off;		/* both rings, relative to the segment start */
	uint64_t evtq_off;
	struct jl_shm_geom geom;
	uint64_t created_unix_ns;
	char server[64];
	char name[64];
	/* Written after creation; atomics, so either side may read them. */
	_Atomic int32_t engine_pid;
	_Atomic int32_t daemon_pid;	/* written by the daemon (DESIGN 6.2) */
	_Atomic uint32_t osc_port;	/* written by the daemon; 0 = none */
	_Atomic uint32_t daemon_starts;	/* how many daemons attached so far */
	_Atomic uint64_t mlocked_bytes;	/* written by jackloop */
	_Atomic uint32_t engine_gen;	/* bumped by each jackloop that attaches */
	uint32_t reserved1;
};

/* One per-cycle snapshot (DESIGN 6.6): all fields written with release by
 * the RT side before it publishes the slot's sequence number. */
struct jl_cycle_slot {
	_Atomic uint64_t frame;		/* engine frame at the start of that cycle */
	_Atomic uint64_t usecs;		/* jack_get_cycle_times current_usecs */
	_Atomic uint64_t next_usecs;
	_Atomic uint32_t nframes;
	_Atomic uint32_t period_usecs;	/* float bits */
};

/* The engine-JACK frame offset from `frame` on: JACK frame time of engine
 * frame f is (uint32_t)(f - offset).  It changes on a buffer-size change
 * (see engine_rt.c) and on re-attach. */
struct jl_offset_mark {
	_Atomic uint64_t frame;
	_Atomic uint64_t offset;
};

struct jl_gap_mark {
	_Atomic uint64_t start;		/* first frame missing */
	_Atomic uint64_t len;		/* frames recorded as silence */
};

/* Per-voice published state (grows in the looper; append-only). */
/* Per-voice published state: what the daemon needs to know that a source
 * switch happened or a region is no longer read (DESIGN 3.2, 6.5). */
enum jl_voice_state { JL_VOICE_OFF = 0, JL_VOICE_PLAYING, JL_VOICE_STOPPING };
#define JL_VOICE_F_OVERRUN 1u	/* faded out: the ring was about to overwrite its source */
struct jl_voice_pub {
	_Atomic uint32_t state;		/* enum jl_voice_state */
	_Atomic uint32_t src_gen;	/* generation of the source in use */
	_Atomic uint64_t pos;		/* current phase within the voice's period */
	_Atomic uint32_t peak;		/* float bits, peak since last meter reset */
	_Atomic uint32_t src;		/* enum jl_src of the source in use */
	_Atomic uint32_t flags;		/* JL_VOICE_F_* (sticky until the next start) */
	_Atomic uint32_t track;
};

struct jl_rt_state {
	/* Per-cycle times for the daemon's arrival-time conversion (DESIGN 2.4). */
	_Atomic uint32_t cycle_seq;
	uint32_t pad0;
	struct jl_cycle_slot cycle[JL_CYCLE_SLOTS];

	_Atomic uint64_t frame;		/* next frame the engine will process */
	_Atomic uint64_t history_head;	/* frames [head - hist_frames, head) are in the rings */
	_Atomic uint64_t history_start;	/* first frame ever written in this segment */
	_Atomic uint32_t running;	/* 1 while the callback runs */
	_Atomic uint32_t rate_mismatch;	/* JACK's rate differs from the segment's: silent */
	_Atomic uint32_t jack_rate;	/* the server's current rate */
	_Atomic uint32_t nframes;	/* last period size */

	/* Error counters (DESIGN 6.7). */
	_Atomic uint32_t xruns;		/* reported by JACK */
	_Atomic uint32_t gaps;		/* discontinuities in frame time */
	_Atomic uint32_t cmd_applied;
	_Atomic uint32_t cmd_late;	/* target already passed on arrival */
	_Atomic uint32_t cmd_rejected;	/* failed a bounds check or unknown type */
	_Atomic uint32_t cmd_dropped;	/* pending table full */
	_Atomic uint32_t cmd_cancelled;
	_Atomic uint32_t evt_dropped;	/* event ring full (events are hints) */
	_Atomic uint32_t queue_corrupt;	/* command ring indices were insane */
	_Atomic uint32_t pending;	/* future-dated commands waiting */
	_Atomic uint32_t hist_overrun;	/* voices faded out before the ring overwrote them */
	_Atomic uint64_t last_late_frames;
	_Atomic uint64_t max_late_frames;
	_Atomic uint64_t cycles;

	struct jl_gap_mark gap[JL_GAP_MARKS];	/* gap k lives in gap[k % JL_GAP_MARKS] */

	/* Meters: float bits, peak since the last JL_CMD_METER_RESET. */
	_Atomic uint32_t in_peak[JL_MAX_INPUTS];
	_Atomic uint32_t in_clips[JL_MAX_INPUTS];	/* sub-blocks with a sample at full scale or
						 * beyond, or NaN/Inf (recorded as 0) */
	_Atomic uint32_t out_peak[JL_N_OUTPUTS];
	_Atomic uint32_t master_gain;	/* float bits, current (ramping) value */

	/* Written by jackloop's non-RT threads (latency callback, main loop). */
	_Atomic uint32_t lat_capture_min[JL_MAX_INPUTS];
	_Atomic uint32_t lat_capture_max[JL_MAX_INPUTS];
	_Atomic uint32_t lat_playback_min[JL_N_OUTPUTS];
	_Atomic uint32_t lat_playback_max[JL_N_OUTPUTS];
	_Atomic uint32_t lat_seq;		/* bumped on every latency update */
	_Atomic uint32_t buffer_size;		/* from the buffer-size callback */
	_Atomic int64_t realtime_minus_jack_us;	/* CLOCK_REALTIME - jack_get_time() */
	_Atomic uint64_t frame_offset;		/* current engine - JACK frame offset */
	_Atomic uint32_t offset_marks;		/* mark k in offset_mark[k % JL_GAP_MARKS] */
	_Atomic uint32_t n_sends;		/* --sends: tracks with send/return ports */
	_Atomic uint32_t phones_delay;		/* frames the phones mix is delayed (RT writes) */
	_Atomic uint32_t lat_return[JL_MAX_TRACKS];	/* capture latency of return_N (max) */
	uint32_t pad1;
	struct jl_offset_mark offset_mark[JL_GAP_MARKS];

	/* ABI 1.1: what the engine limited or cleaned (RT writes, cumulative). */
	_Atomic uint32_t lim_hits[2];	/* sub-blocks in which the PA (0) or the phones (1)
					 * limiter caught a peak above its ceiling */
	_Atomic uint32_t ret_nonfinite;	/* send-return sub-blocks with NaN or Inf (played as 0) */
	_Atomic uint32_t conv_dry;	/* convolution sub-blocks passed dry: the block's header
					 * no longer states the geometry it was bound with */

	/* Followed by struct jl_voice_pub voice[geom.max_voices]. */
};

/* Region sizes and offsets for a geometry (pure). Returns 0 or -EINVAL. */
int jl_shm_layout(const struct jl_shm_geom *g, long page_size, struct jl_shm_header *out);

/* Checks a header read from an existing segment of `file_size` bytes:
 * magic, ABI major, struct sizes, region table inside the file, page
 * alignment, geometry ranges.  Returns 0, or -EPROTO (wrong magic/ABI or
 * corrupt) with a one-line reason in err. Pure. */
int jl_shm_validate(const struct jl_shm_header *h, uint64_t file_size, char *err, size_t errlen);

/* Builds "/jackloop.<uid>.<server>.<name>" (characters outside [A-Za-z0-9_-]
 * in server and name become '_').  Returns 0 or -ENAMETOOLONG. */
int jl_shm_name(char *buf, size_t n, unsigned uid, const char *server, const char *name);

/* The JACK server name this process would talk to: $JACK_DEFAULT_SERVER or
 * "default". */
const char *jl_shm_default_server(void);

/* A mapped segment, as each process sees it. */
struct jl_shm {
	int fd;
	uint64_t size;
	struct jl_shm_header *hdr;
	struct jl_rt_state *rt;
	struct jl_voice_pub *voice;
	unsigned char *queues;
	unsigned char *model;
	float *hist;			/* input i's ring at hist + i * hist_frames */
	unsigned char *pool;
	void *maps[JL_REG__COUNT + 1];	/* what to munmap */
	size_t map_len[JL_REG__COUNT + 1];
	int created;			/* 1 if this process created it */
	char name[256];
};

/* Outcome flags of jl_shm_open_engine. */
#define JL_SHM_CREATED 1
#define JL_SHM_REATTACHED 2

/* jackloop: create the segment, or re-attach a stale one of compatible
 * geometry (never writing zeros into it).  Takes the engine lock first.
 *  - `want` is the requested geometry; `strict` means the user set the sizes
 *    explicitly, so a differing stale segment is refused instead of adopted.
 * Returns JL_SHM_CREATED or JL_SHM_REATTACHED, or
 *  -EBUSY   another live jackloop holds the engine lock,
 *  -EPROTO  an incompatible stale segment exists,
 *  -ENOSPC  /dev/shm too small (err says how much is needed and free),
 *  -errno   otherwise; err always holds a one-line reason. Non-RT only. */
int jl_shm_open_engine(struct jl_shm *s, const char *name, const struct jl_shm_geom *want,
		       int strict, char *err, size_t errlen);

/* The daemon: attach an existing segment, take the producer lock, map RT
 * state and history PROT_READ (DESIGN 1.1).  Returns 0, -ENOENT (no
 * segment), -EBUSY (another daemon holds the lock), -EPROTO (ABI/layout),
 * or -errno. Non-RT only. */
int jl_shm_open_daemon(struct jl_shm *s, const char *name, char *err, size_t errlen);

/* Read-only look at a segment's header (CLI, tools).  Maps nothing beyond
 * the header unless `full` (then everything is PROT_READ). Takes no lock. */
int jl_shm_open_reader(struct jl_shm *s, const char *name, int full, char *err, size_t errlen);

void jl_shm_close(struct jl_shm *s);

/* 1 if some other open file description holds lock byte `which`, 0 if
 * free, -errno on error. */
int jl_shm_lock_held(int fd, int which);

/* Prefault (MADV_POPULATE_WRITE) and mlock the regions in priority order:
 * header+rt+queues, then history, then pool, then model.  Returns the bytes
 * locked; *failed_region gets the first region that could not be locked
 * (or -1).  Never uses MCL_FUTURE. Non-RT only. */
uint64_t jl_shm_lock_memory(struct jl_shm *s, int *failed_region, int *err_no);

/* Unlink a segment if it is stale (neither lock held).  Returns 0, -EBUSY
 * if something still holds it, -ENOENT. */
int jl_shm_remove_stale(const char *name, char *err, size_t errlen);

/* JACK frame time of engine frame f, from the offset marks.  Returns 0
 * and sets *jack, or -ERANGE if f is older than the marks remember. */
int jl_shm_jack_frame(const struct jl_rt_state *rt, uint64_t f, uint32_t *jack);

/* 1 if engine frame f lies in a recorded history gap (silence). */
int jl_shm_in_gap(const struct jl_rt_state *rt, uint64_t f);

/* Helpers for readers of published state. */
static inline float jl_bits_f(uint32_t b) { union { uint32_t u; float f; } x = { .u = b }; return x.f; }
static inline uint32_t jl_f_bits(float f) { union { float f; uint32_t u; } x = { .f = f }; return x.u; }

/* Reads the newest cycle snapshot consistently (retries if the RT side
 * overwrote the slot while reading).  Returns 0, or -EAGAIN if none yet. */
int jl_shm_cycle_read(const struct jl_rt_state *rt, uint64_t *frame, uint64_t *usecs,
		      uint64_t *next_usecs, uint32_t *nframes);

/* Frame of `jack_us` (a time in jack_get_time() microseconds) from a cycle
 * snapshot: frame + (t - usecs) * nframes / (next - usecs), in integers,
 * using the measured period, never the nominal rate (DESIGN 2.4). */
uint64_t jl_shm_usecs_to_frame(uint64_t frame, uint64_t usecs, uint64_t next_usecs,
			       uint32_t nframes, uint64_t jack_us);

#endif
