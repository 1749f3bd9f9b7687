/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers for the quantities users type: durations, percentages, rates, sizes.
 * They accept iproute2 tc's spellings (so operators can paste what they know) and reject
 * everything else: trailing garbage, negative values, NaN, overflow. On error they return
 * -EINVAL (or -ERANGE) and write nothing to ret_*.
 */
#ifndef FL_UNITS_H
#define FL_UNITS_H

#include <stdint.h>

#include "fl/macro.h"

/*
 * "100ms", "1.5s", "250us", "10ns", "2m", "1h". A bare number is microseconds, as in tc.
 * Units: ns, us/usec/usecs, ms/msec/msecs, s/sec/secs, m/min, h (case-insensitive).
 */
int fl_parse_duration_ns(const char *text, uint64_t *ret_ns) _wur_;

/*
 * Like fl_parse_duration_ns, but a bare number is an error (YAML, flags: "500ms", "2m").
 */
int fl_parse_duration_strict_ns(const char *text, uint64_t *ret_ns) _wur_;

/* "25%", "0.1%", or a bare "25" (tc accepts both). 0..100 inclusive. */
int fl_parse_percent(const char *text, double *ret_percent) _wur_;

/*
 * A rate in tc's units, returned in bytes per second: bit, kbit, mbit, gbit, tbit (SI),
 * kibit, mibit, gibit, tibit (IEC), bps, kbps, mbps, gbps, tbps (bytes; "kbps" is
 * kilobytes, as in tc), kibps, mibps, gibps, tibps. A bare number is bits per second.
 */
int fl_parse_rate_Bps(const char *text, uint64_t *ret_bytes_per_s) _wur_;

/* A size in tc's units: b, k/kb, m/mb, g/gb (1024-based), kbit, mbit, gbit. Bytes. */
int fl_parse_size(const char *text, uint64_t *ret_bytes) _wur_;

/* Format helpers for messages: "100ms", "1.5s", "12.5mbit". Always NUL-terminate. */
void fl_format_duration(uint64_t ns, char *buf, size_t size);
void fl_format_rate(uint64_t bytes_per_s, char *buf, size_t size);

#endif
