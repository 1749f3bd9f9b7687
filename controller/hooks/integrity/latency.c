/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's latency over a window of the sink (latency.h): one pass collects the
 * window's latencies, then they alone are sorted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "sink.h"

/* Bounds what one scan may allocate: 2^26 latencies = 512 MiB (integrity.c's bound). */
#define VALUES_MAX (1u << 26)

struct window {
	int64_t since_ms;
	uint64_t *v; /* latencies of the timed records, ms */
	size_t n, cap;
	uint64_t stored, clamped;
};

static int add(struct window *w, uint64_t ms)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 1024;
		uint64_t *nv;

		if (cap > VALUES_MAX)
			return -E2BIG;
		nv = realloc(w->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		w->v = nv;
		w->cap = cap;
	}
	w->v[w->n++] = ms;
	return 0;
}

static int on_slot(const struct fl_sink_slot_view *v, void *arg)
{
	struct window *w = arg;

	/* A torn slot's times are not to be trusted; verify reports it as corrupt. */
	if (!v->crc_ok || (w->since_ms != FL_SINK_SCAN_ALL && v->stored_ms < w->since_ms))
		return 0;
	w->stored++;
	if (v->produced_ms < 0)
		return 0; /* no CreateTime */
	if (v->stored_ms < v->produced_ms) {
		w->clamped++;
		return add(w, 0);
	}
	return add(w, (uint64_t)(v->stored_ms - v->produced_ms));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t fl_latency_rank(const uint64_t *sorted, size_t n, unsigned pct)
{
	size_t rank = (size_t)(((unsigned long long)pct * n + 99) / 100);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

int fl_latency_scan(const char *sink_dir, int64_t since_ms, struct fl_latency *ret,
		    struct fl_diag *diag)
{
	struct window w = { .since_ms = since_ms };
	int r;

	r = fl_sink_scan(sink_dir, since_ms, on_slot, &w, NULL, diag);
	if (r < 0) {
		free(w.v);
		return r;
	}
	*ret = (struct fl_latency){ .stored = w.stored, .timed = w.n, .clamped = w.clamped };
	if (w.n) {
		qsort(w.v, w.n, sizeof(*w.v), cmp_u64);
		ret->p50_ms = fl_latency_rank(w.v, w.n, 50);
		ret->p95_ms = fl_latency_rank(w.v, w.n, 95);
		ret->p99_ms = fl_latency_rank(w.v, w.n, 99);
		ret->max_ms = w.v[w.n - 1];
	}
	free(w.v);
	return 0;
}
