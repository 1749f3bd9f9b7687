/* SPDX-License-Identifier: MIT */
/*
 * Internal to delayline.c: the bounded binary min-heap that orders held packets by release
 * time. Exposed only so tests/unit/test_delayline_heap.c can check it (the functions are
 * FL_TESTABLE: static in normal builds, declared here only in test builds).
 *
 * Entries with equal deadlines come out in the order they went in (a 64-bit insertion
 * sequence breaks ties), so a fixed delay releases packets in arrival order.
 */
#ifndef FL_DELAYLINE_HEAP_H
#define FL_DELAYLINE_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct dl_held {
	uint64_t due_ns; /* CLOCK_MONOTONIC release time */
	uint64_t seq;	 /* insertion order: the tie-breaker */
	uint32_t id;	 /* the kernel's packet id */
};

/* A plain value owned by its user; all-zero is an empty heap of capacity 0. */
struct dl_heap {
	struct dl_held *v; /* owned, cap entries */
	uint32_t n, cap;
	uint64_t next_seq;
};

#ifdef FL_TEST_BUILD
/* Allocates room for cap (>= 1) entries: 0 or -ENOMEM. */
int dl_heap_init(struct dl_heap *heap, uint32_t cap);
/* Frees the entries; the heap is then all-zero. NULL-safe. */
void dl_heap_fini(struct dl_heap *heap);
/* 0, or -ENOSPC when cap entries are held (nothing changes then). */
int dl_heap_push(struct dl_heap *heap, uint64_t due_ns, uint32_t id);
/* The earliest entry (borrowed, valid until the next push/pop), or NULL when empty. */
const struct dl_held *dl_heap_top(const struct dl_heap *heap);
/* Removes the earliest entry into *ret: true, or false when empty. */
bool dl_heap_pop(struct dl_heap *heap, struct dl_held *ret);
#endif

#endif
