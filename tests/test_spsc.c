/* test_spsc.c - the SPSC ring: single-threaded edge cases, then a
 * two-thread stress test of 2^21 sequenced messages through a 64-slot ring
 * whose free-running indices start just below 2^32, so both the slot wrap
 * and the index wrap are exercised.  Run under TSan and ASan+UBSan. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../shared/jl_spsc.h"
#include "th.h"

#define CAP 64u
#define N_MSG (1u << 20) /* 1048576 >= 10^6 */

struct msg {
	uint64_t seq;
	uint64_t check;
	uint32_t pad[4];
};

static _Alignas(64) unsigned char ring_mem[sizeof(struct jl_spsc) + CAP * sizeof(struct msg)];
static struct jl_spsc_h prod, cons;
static uint64_t consumer_errors, consumer_got;

static uint64_t mix(uint64_t x) { return x * 0x9E3779B97F4A7C15ull ^ (x >> 7); }

static void *producer(void *arg)
{
	uint64_t i;
	(void)arg;
	for (i = 0; i < N_MSG;) {
		struct msg m = { .seq = i, .check = mix(i) };
		if (jl_spsc_push(&prod, &m))
			i++;
		else
			sched_yield();
	}
	return NULL;
}

static void *consumer(void *arg)
{
	uint64_t expect = 0;
	(void)arg;
	while (expect < N_MSG) {
		struct msg m;
		if (!jl_spsc_pop(&cons, &m)) {
			sched_yield();
			continue;
		}
		if (m.seq != expect || m.check != mix(expect))
			consumer_errors++;
		expect++;
	}
	consumer_got = expect;
	return NULL;
}

int main(void)
{
	struct msg m, out;
	struct jl_spsc *q = (struct jl_spsc *)ring_mem;
	pthread_t a, b;
	uint32_t k;

	TH_CHECK(jl_spsc_init(&prod, ring_mem, 63, sizeof(struct msg)) < 0, "capacity must be a power of two");
	TH_CHECK(jl_spsc_init(&prod, ring_mem, CAP, 0) < 0, "message size must be > 0");
	TH_CHECK(jl_spsc_init(&prod, ring_mem, CAP, sizeof(struct msg)) == 0, "init");
	TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP, sizeof(struct msg)) == 0, "attach");
	TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP * 2, sizeof(struct msg)) < 0, "attach refuses other capacity");
	TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP, 8) < 0, "attach refuses other message size");
	TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP, sizeof(struct msg)) == 0, "re-attach");
	TH_CHECK(!jl_spsc_pop(&cons, &out), "empty ring pops nothing");
	for (k = 0; k < CAP; k++) {
		m.seq = k;
		TH_CHECK(jl_spsc_push(&prod, &m), "push %u fits", k);
	}
	TH_CHECK(!jl_spsc_push(&prod, &m), "a full ring refuses a push");
	TH_CHECK(jl_spsc_space(&prod) == 0 && jl_spsc_count(&cons) == CAP, "full: space 0, count CAP");
	for (k = 0; k < CAP; k++)
		TH_CHECK(jl_spsc_pop(&cons, &out) && out.seq == k, "FIFO order %u", k);
	TH_CHECK(!jl_spsc_pop(&cons, &out), "drained");

	/* A corrupt head (more than a capacity ahead) reads as empty + flag. */
	{
		bool corrupt = false;
		atomic_store(&q->head, atomic_load(&q->tail) + CAP * 3);
		TH_CHECK(!jl_spsc_pop_checked(&cons, &out, &corrupt) && corrupt, "insane head is detected");
		TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP, sizeof(struct msg)) < 0, "attach refuses insane indices");
	}

	/* Stress, with indices about to wrap past 2^32. */
	jl_spsc_init(&prod, ring_mem, CAP, sizeof(struct msg));
	atomic_store(&q->head, 0xFFFFFF00u);
	atomic_store(&q->tail, 0xFFFFFF00u);
	TH_CHECK(jl_spsc_attach(&cons, ring_mem, CAP, sizeof(struct msg)) == 0, "attach near the index wrap");
	pthread_create(&a, NULL, producer, NULL);
	pthread_create(&b, NULL, consumer, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	TH_CHECK(consumer_got == N_MSG, "all %u messages arrived (got %llu)", N_MSG, (unsigned long long)consumer_got);
	TH_CHECK(consumer_errors == 0, "in order and intact (%llu errors)", (unsigned long long)consumer_errors);
	TH_CHECK(atomic_load(&q->head) == 0xFFFFFF00u + N_MSG, "head wrapped past 2^32");
	return TH_REPORT();
}
