/* jl_spsc.h - lock-free single-producer/single-consumer ring of fixed-size
 * messages, header-only (in the manner of PipeWire's spa_ringbuffer and
 * Linux kfifo).
 *
 * The ring lives in shared memory between two processes, so it holds no
 * pointers: the slots follow the control block at a fixed offset that both
 * sides compute.  Indices are free-running uint32 (they wrap at 2^32, and
 * capacity is a power of two, so head - tail is always the fill level) and
 * are masked only on access.  head and tail sit on their own 64-byte cache
 * lines so the two sides do not false-share.
 *
 * Memory order (STYLE 20): the producer reads its own head relaxed and the
 * consumer's tail with acquire, writes the slot, then publishes head with
 * release.  The consumer mirrors this.  No standalone fences.
 *
 * Lock-freedom across processes relies on lock-free atomics being
 * address-free (C11 7.17.5), hence the static assertion.
 *
 * Thread: jl_spsc_push* producer side only; jl_spsc_pop* consumer side
 * only; both are RT-safe (no syscalls, bounded).
 */
#ifndef JL_SPSC_H
#define JL_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
	       "jackloop needs address-free (lock-free) atomics for shared memory");

#define JL_CACHELINE 64

struct jl_spsc {
	_Alignas(JL_CACHELINE) _Atomic uint32_t head;	/* written by the producer */
	_Alignas(JL_CACHELINE) _Atomic uint32_t tail;	/* written by the consumer */
	_Alignas(JL_CACHELINE) uint32_t capacity;	/* slots, a power of two; set at init */
	uint32_t msg_size;				/* bytes per slot; set at init */
	uint32_t pad_[14];
	/* slots follow at offset sizeof(struct jl_spsc) */
};
_Static_assert(sizeof(struct jl_spsc) == 3 * JL_CACHELINE, "jl_spsc control block is 3 lines");

/* Bytes needed for a ring of `capacity` slots of `msg_size` bytes. */
static inline size_t jl_spsc_bytes(uint32_t capacity, uint32_t msg_size)
{
	return sizeof(struct jl_spsc) + (size_t)capacity * msg_size;
}

static inline bool jl_spsc_is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

/* A process-local handle.  The geometry is kept here, in private memory,
 * because the other process can write the shared control block: the RT
 * side must never index with a capacity it read from shm (DESIGN 1.2). */
struct jl_spsc_h {
	struct jl_spsc *q;
	unsigned char *slots;
	uint32_t mask;
	uint32_t size;
};

/* Initialise a ring in freshly created memory and fill in the handle.
 * Not thread-safe: call before either side uses it.
 * Returns 0 or -EINVAL (-22) for a bad capacity or size. */
static inline int jl_spsc_init(struct jl_spsc_h *h, void *mem, uint32_t capacity, uint32_t msg_size)
{
	struct jl_spsc *q = mem;
	if (!jl_spsc_is_pow2(capacity) || msg_size == 0)
		return -22;
	atomic_store_explicit(&q->head, 0, memory_order_relaxed);
	atomic_store_explicit(&q->tail, 0, memory_order_relaxed);
	q->capacity = capacity;
	q->msg_size = msg_size;
	h->q = q;
	h->slots = (unsigned char *)mem + sizeof(struct jl_spsc);
	h->mask = capacity - 1;
	h->size = msg_size;
	return 0;
}

/* Attach to a ring found in shared memory (created by another process or
 * by an earlier run).  The geometry must equal what this side expects, and
 * the fill level must be sane; otherwise -EPROTO (-71) and the handle is
 * unusable.  Never writes to the ring. */
static inline int jl_spsc_attach(struct jl_spsc_h *h, void *mem, uint32_t capacity, uint32_t msg_size)
{
	struct jl_spsc *q = mem;
	uint32_t hd = atomic_load_explicit(&q->head, memory_order_acquire);
	uint32_t tl = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (!jl_spsc_is_pow2(capacity) || q->capacity != capacity || q->msg_size != msg_size ||
	    (uint32_t)(hd - tl) > capacity)
		return -71;
	h->q = q;
	h->slots = (unsigned char *)mem + sizeof(struct jl_spsc);
	h->mask = capacity - 1;
	h->size = msg_size;
	return 0;
}

/* Producer: copy one message (h->size bytes) in.  Returns false when full:
 * the caller must report the error (never block, never drop silently). */
static inline bool jl_spsc_push(struct jl_spsc_h *h, const void *msg)
{
	uint32_t hd = atomic_load_explicit(&h->q->head, memory_order_relaxed);
	uint32_t tl = atomic_load_explicit(&h->q->tail, memory_order_acquire);
	if ((uint32_t)(hd - tl) > h->mask)
		return false;
	memcpy(h->slots + (size_t)(hd & h->mask) * h->size, msg, h->size);
	atomic_store_explicit(&h->q->head, hd + 1, memory_order_release);
	return true;
}

/* Consumer: copy the oldest message out.  Returns false when empty.  If the
 * other side corrupted head so that it runs more than a capacity ahead, the
 * ring is treated as empty and *corrupt is set (when non-NULL): a consumer
 * trusts nothing it reads (DESIGN 1.2). */
static inline bool jl_spsc_pop_checked(struct jl_spsc_h *h, void *msg, bool *corrupt)
{
	uint32_t tl = atomic_load_explicit(&h->q->tail, memory_order_relaxed);
	uint32_t hd = atomic_load_explicit(&h->q->head, memory_order_acquire);
	if (hd == tl)
		return false;
	if ((uint32_t)(hd - tl) > h->mask + 1u) {
		if (corrupt)
			*corrupt = true;
		return false;
	}
	memcpy(msg, h->slots + (size_t)(tl & h->mask) * h->size, h->size);
	atomic_store_explicit(&h->q->tail, tl + 1, memory_order_release);
	return true;
}

static inline bool jl_spsc_pop(struct jl_spsc_h *h, void *msg)
{
	return jl_spsc_pop_checked(h, msg, NULL);
}

/* Fill level, a snapshot (either side). */
static inline uint32_t jl_spsc_count(const struct jl_spsc_h *h)
{
	uint32_t hd = atomic_load_explicit(&h->q->head, memory_order_acquire);
	uint32_t tl = atomic_load_explicit(&h->q->tail, memory_order_acquire);
	return hd - tl;
}

/* Free slots as the producer sees them. */
static inline uint32_t jl_spsc_space(const struct jl_spsc_h *h)
{
	uint32_t n = jl_spsc_count(h);
	return n > h->mask + 1u ? 0 : h->mask + 1u - n;
}

#endif
