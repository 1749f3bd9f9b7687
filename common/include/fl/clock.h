/* SPDX-License-Identifier: MIT */
/* The two clocks every component reads: monotonic for deadlines and durations, the wall
 * clock (Unix milliseconds) for what is shown and journaled. */
#ifndef FL_CLOCK_H
#define FL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds: deadlines, leases, elapsed times. */
uint64_t fl_now_mono_ns(void);
/* CLOCK_REALTIME in milliseconds since the epoch: timestamps for people and records. */
int64_t fl_now_unix_ms(void);

#endif
