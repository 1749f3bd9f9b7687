/* SPDX-License-Identifier: MIT */
/*
 * The data-integrity check (README.md, "verify"): the loader's acked file against the
 * connector's sink. Shared by build/lab/verify and the controller's `integrity` hook module
 * (controller/hooks/hook_integrity.c), so that both judge by one implementation.
 */
#ifndef FL_PIPE_INTEGRITY_H
#define FL_PIPE_INTEGRITY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "fl/diag.h"
#include "fl/macro.h"

#define FL_INTEGRITY_LIST_MAX 20 /* seqs/gaps listed in a result */

struct fl_integrity {
	uint64_t acknowledged; /* distinct seqs in the acked file */
	uint64_t in_sink;      /* distinct seqs in the sink */
	uint64_t lost;	       /* acknowledged (seq <= upto) but not in the sink */
	uint64_t in_flight;    /* acknowledged (seq > upto) and not in the sink yet */
	uint64_t duplicates;   /* a seq in two slots (impossible by design; checked) */
	uint64_t gaps;	       /* runs of seqs missing between the sink's lowest and highest */
	uint64_t missing_in_gaps;
	uint64_t redeliveries;	 /* writes that found their seq already stored */
	uint64_t unacknowledged; /* in the sink, never acknowledged (not an error) */
	uint64_t corrupt_slots, misplaced_slots;
	uint64_t acked_repeated, acked_bad_lines;
	uint64_t max_seq;				 /* highest seq in the sink */
	json_t *lost_seqs, *duplicate_seqs, *gap_ranges; /* first FL_INTEGRITY_LIST_MAX; owned */
};

/*
 * Read acked_path and scan sink_dir. Acknowledged seqs above upto_seq that the sink lacks
 * count as in_flight, not lost (UINT64_MAX: every one is judged, as verify does).
 * Returns 0 and fills ret (release with fl_integrity_fini), or -errno with diag naming the
 * path (-ENOMEM, -E2BIG past 2^26 seqs).
 */
int fl_integrity_check(const char *acked_path, const char *sink_dir, uint64_t upto_seq,
		       struct fl_integrity *ret, struct fl_diag *diag) _wur_;
void fl_integrity_fini(struct fl_integrity *r);
/* lost == 0, duplicates == 0, no corrupt slot. */
bool fl_integrity_ok(const struct fl_integrity *r);

#endif
