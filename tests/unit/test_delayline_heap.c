/* SPDX-License-Identifier: MIT */
/*
 * The delay line's release-ordered heap (agent/src/delayline.c, FL_TESTABLE): entries come
 * out by release time, equal release times in insertion order, the capacity is a hard
 * bound, and it empties completely.
 */
#include <errno.h>
#include <stdlib.h>

#include "delayline_heap.h"
#include "fl/macro.h"
#include "fltest.h"

static struct dl_heap heap;

static void heap_fini_cb(void *arg)
{
	dl_heap_fini(arg);
}

static void heap_up(uint32_t cap)
{
	FL_ASSERT_OK(dl_heap_init(&heap, cap));
	fltest_defer(heap_fini_cb, &heap);
}

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

FLTEST(empty_heap_has_no_top)
{
	struct dl_held h;

	heap_up(4);
	FL_ASSERT(dl_heap_top(&heap) == NULL);
	FL_ASSERT(!dl_heap_pop(&heap, &h));
	FL_ASSERT_EQ(dl_heap_init(&(struct dl_heap){ 0 }, 0), -EINVAL);
	dl_heap_fini(NULL);
}

FLTEST(pops_in_release_order)
{
	static const uint64_t due[] = { 50, 10, 40, 30, 20, 60, 5, 55 };
	uint64_t prev = 0;
	struct dl_held h;

	heap_up(FL_ARRAY_SIZE(due));
	for (unsigned i = 0; i < FL_ARRAY_SIZE(due); i++)
		FL_ASSERT_OK(dl_heap_push(&heap, due[i], 100 + i));
	FL_ASSERT_EQ(heap.n, 8);
	FL_ASSERT_EQ(dl_heap_top(&heap)->due_ns, 5);
	FL_ASSERT_EQ(dl_heap_top(&heap)->id, 106);
	for (unsigned i = 0; i < 8; i++) {
		FL_ASSERT(dl_heap_pop(&heap, &h));
		FL_ASSERT(h.due_ns >= prev);
		/* The id travels with its release time. */
		for (unsigned j = 0; j < 8; j++)
			if (due[j] == h.due_ns)
				FL_ASSERT_EQ(h.id, 100 + j);
		prev = h.due_ns;
	}
	FL_ASSERT(!dl_heap_pop(&heap, &h));
}

FLTEST(capacity_is_a_hard_bound)
{
	struct dl_held h;

	heap_up(3);
	FL_ASSERT_OK(dl_heap_push(&heap, 3, 1));
	FL_ASSERT_OK(dl_heap_push(&heap, 2, 2));
	FL_ASSERT_OK(dl_heap_push(&heap, 1, 3));
	/* Full: refused, and nothing changes — not even for an earlier deadline. */
	FL_ASSERT_EQ(dl_heap_push(&heap, 0, 4), -ENOSPC);
	FL_ASSERT_EQ(heap.n, 3);
	FL_ASSERT_EQ(dl_heap_top(&heap)->id, 3);
	/* A pop makes room for exactly one more. */
	FL_ASSERT(dl_heap_pop(&heap, &h));
	FL_ASSERT_EQ(h.id, 3);
	FL_ASSERT_OK(dl_heap_push(&heap, 0, 5));
	FL_ASSERT_EQ(dl_heap_push(&heap, 0, 6), -ENOSPC);
	FL_ASSERT_EQ(dl_heap_top(&heap)->id, 5);
}

FLTEST(equal_deadlines_come_out_in_arrival_order)
{
	enum { N = 5000 };
	struct dl_held h;

	heap_up(N);
	/* A fixed delay gives runs of identical release times: FIFO within each run. */
	for (uint32_t i = 0; i < N; i++)
		FL_ASSERT_OK(dl_heap_push(&heap, 1000 + i / 1000, i));
	for (uint32_t i = 0; i < N; i++) {
		FL_ASSERT(dl_heap_pop(&heap, &h));
		FL_ASSERT_EQ(h.id, i);
		FL_ASSERT_EQ(h.due_ns, 1000 + i / 1000);
	}
	FL_ASSERT_EQ(heap.n, 0);
}

FLTEST(all_equal_deadlines_interleaved_with_pops)
{
	uint32_t next_out = 0, next_in = 0;
	uint64_t s = 42;
	struct dl_held h;

	heap_up(64);
	/* Pushes and pops in random order, every deadline the same: strict FIFO. */
	for (int step = 0; step < 100000; step++) {
		if (heap.n < heap.cap && (heap.n == 0 || rnd(&s) % 2)) {
			FL_ASSERT_OK(dl_heap_push(&heap, 7, next_in++));
		} else {
			FL_ASSERT(dl_heap_pop(&heap, &h));
			FL_ASSERT_EQ(h.id, next_out++);
		}
	}
	while (dl_heap_pop(&heap, &h))
		FL_ASSERT_EQ(h.id, next_out++);
	FL_ASSERT_EQ(next_out, next_in);
}

FLTEST(random_deadlines_against_a_sorted_reference)
{
	enum { N = 20000 };
	uint64_t s = 0x9e3779b97f4a7c15ull, prev_due = 0, prev_seq = 0;
	unsigned *count = calloc(N, sizeof(*count));
	struct dl_held h;

	FL_ASSERT(count != NULL);
	fltest_defer(free, count);
	heap_up(N);
	/* Few distinct deadlines, so many ties; then remove everything. */
	for (uint32_t i = 0; i < N; i++)
		FL_ASSERT_OK(dl_heap_push(&heap, rnd(&s) % 97, i));
	FL_ASSERT_EQ(dl_heap_push(&heap, 0, N), -ENOSPC);
	for (uint32_t i = 0; i < N; i++) {
		FL_ASSERT(dl_heap_pop(&heap, &h));
		FL_ASSERT(h.id < N);
		count[h.id]++;
		if (i > 0) {
			FL_ASSERT(h.due_ns >= prev_due);
			if (h.due_ns == prev_due)
				FL_ASSERT(h.seq > prev_seq);
		}
		prev_due = h.due_ns;
		prev_seq = h.seq;
	}
	FL_ASSERT(dl_heap_top(&heap) == NULL);
	FL_ASSERT(!dl_heap_pop(&heap, &h));
	for (uint32_t i = 0; i < N; i++)
		FL_ASSERT_EQ(count[i], 1);
	/* Usable again after being emptied. */
	FL_ASSERT_OK(dl_heap_push(&heap, 1, 1));
	FL_ASSERT_EQ(dl_heap_top(&heap)->id, 1);
}
