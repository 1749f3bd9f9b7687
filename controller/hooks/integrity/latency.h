/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's end-to-end latency (README.md, "Latency"), read from the sink: for every
 * record, stored_ms (when the connector wrote it) minus produced_ms (the producer's
 * CreateTime). Both are CLOCK_REALTIME readings of two processes, so the figure assumes
 * their clocks agree (one host, as in the lab); a record "stored before it was produced" is
 * counted as 0 ms and in `clamped`. Shared by build/lab/verify and the controller's
 * `integrity` hook module; nothing here logs.
 */
#ifndef FL_PIPE_LATENCY_H
#define FL_PIPE_LATENCY_H

#include <stddef.h>
#include <stdint.h>

#include "fl/diag.h"
#include "fl/macro.h"

struct fl_latency {
	uint64_t stored;  /* intact slots (CRC ok) with stored_ms >= since_ms */
	uint64_t timed;	  /* of those, with a CreateTime: the figures' population */
	uint64_t clamped; /* of those, stored_ms < produced_ms (clocks apart): counted as 0 ms */
	/* Nearest rank over the timed records (fl_latency_rank); 0 when timed == 0. */
	uint64_t p50_ms, p95_ms, p99_ms, max_ms;
};

/*
 * The records stored at or after since_ms (wall clock, ms since the epoch;
 * FL_SINK_SCAN_ALL: the whole sink). Reads only the block files that can hold such a record
 * (sink.h, fl_sink_scan), and sorts only their latencies. Returns 0 and fills ret, or
 * -errno with diag naming the sink (-ENOMEM, -E2BIG past 2^26 records).
 */
int fl_latency_scan(const char *sink_dir, int64_t since_ms, struct fl_latency *ret,
		    struct fl_diag *diag) _wur_;

/*
 * The nearest-rank pct-th percentile (1..100) of n >= 1 values sorted ascending: the value
 * at rank ceil(pct * n / 100), the smallest value with at least pct % of the values at or
 * below it. An observed value, never an interpolation.
 */
uint64_t fl_latency_rank(const uint64_t *sorted, size_t n, unsigned pct);

#endif
