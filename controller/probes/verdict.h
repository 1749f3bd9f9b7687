/* SPDX-License-Identifier: MIT */
/*
 * Verdicts: a probe's tolerances judged against one sample (probe.h). Pure functions — no
 * I/O, no allocation that outlives a call; the verdict is a plain value the caller owns.
 *
 * Messages are what an operator reads in the report, so they name metrics the way people
 * say them ("consumer lag max", "throughput") with units where known, and say when:
 *   fail  "consumer lag max 18342 > 5000 at 12:03:41"
 *         "throughput changed -35.2% (1000 → 648 msg/s), below -20% at 12:03:41"
 *         "status \"STALL\" does not match /OK|WARN/ at 12:03:41"
 *   pass  "consumer lag max 12 <= 5000"
 * The time is the sample's wall-clock time in the local time zone (HH:MM:SS).
 *
 * Percent change is 100 * (v - before) / |before| (the absolute base keeps the sign of
 * the change meaningful when the base is negative; for the usual positive base it is the
 * formula in experiment.h). A missing, failed or zero base gives "inconclusive".
 */
#ifndef FL_VERDICT_H
#define FL_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "probe.h"

enum fl_verdict_kind {
	FL_VERDICT_PASS,
	FL_VERDICT_FAIL,
	FL_VERDICT_INCONCLUSIVE,
	FL_VERDICT_ERROR,
};

/* "pass", "fail", "inconclusive", "error" (static strings; "?" when out of range). */
const char *fl_verdict_name(enum fl_verdict_kind kind);

struct fl_verdict {
	enum fl_verdict_kind kind;
	char metric[FL_METRIC_NAME_MAX];	/* the metric the message is about ("" if none) */
	bool has_observed;			/* observed/observed_text hold the metric's value */
	double observed;			/* numeric metrics */
	char observed_text[FL_METRIC_TEXT_MAX]; /* text metrics ("" for numeric ones) */
	char rule[256];				/* "lag.max <= 5000"; all rules joined by " and " on
						  pass, the deciding one otherwise */
	char message[512];
};

/*
 * Judge sample against every tolerance of spec; the first one that does not hold decides.
 *   sample->err == -ENODATA  spec->on_no_data decides (pass/fail/inconclusive); message
 *                            "no data: <sample error> (onNoData: fail)"
 *   other sample->err        ERROR with the sample's error text
 *   metric missing           ERROR naming the metric and the probe
 *   number rule, text value  ERROR (a regex/equals-text rule on a number matches the
 *                            number as formatted in messages)
 *   number rule, NaN value   FAIL: no numeric rule (min, max, range, equals, delta,
 *                            percent change) holds for NaN; "value NaN is not a number:
 *                            value <= 0.01 cannot hold at 12:03:41". NaN is a value, not
 *                            an absence: onNoData does not apply. changed: NaN against
 *                            NaN is unchanged
 *   percent change, delta    INCONCLUSIVE saying why (no before sample, it failed, it
 *   or changed without a     lacks the metric, its value is 0 for a percent change, it
 *   usable before value      is not a finite number)
 * before: the before-injection sample of the same probe, or NULL. A tolerance without a
 * metric applies to the probe type's default metric. No tolerance at all passes.
 * Always fills *ret completely.
 *   delta      "integrity latency.p50 412 ms: +374 ms from the baseline 38 ms, >= +160"
 *   changed    "partition leader 0 unchanged from the baseline at 12:03:41"
 */
void fl_verdict_eval(const struct fl_probe_spec *spec, const struct fl_sample *sample,
		     const struct fl_sample *before, struct fl_verdict *ret);
/* The same for an effect check: the reference is its baseline, and messages say so. */
void fl_verdict_eval_baseline(const struct fl_probe_spec *spec, const struct fl_sample *sample,
			      const struct fl_sample *baseline, struct fl_verdict *ret);

/*
 * Format a number as messages do: integers without decimals ("18342"), others with at
 * most 3 decimals, trailing zeros dropped ("1002.5", "0.333"), "NaN", "+Inf", "-Inf".
 */
void fl_verdict_format_number(double v, char *buf, size_t size);

/*
 * k-of-n debounce for continuous (abort) probes: breach when at least k of the last n
 * pushes failed. n is at most 32; k=n=0 means 1 of 1; k > n is clamped to n, k = 0 to 1.
 *
 * What counts as failed is the caller's choice; the runner pushes fl_verdict_failed():
 * only FL_VERDICT_FAIL. Inconclusive and error do not count, so a flaky or unreachable
 * probe cannot abort an experiment by itself — except that no data with onNoData: fail
 * is already a FAIL verdict, which is how a user asks for "no data means abort".
 */
struct fl_debounce {
	unsigned k, n;
	uint32_t bits;	 /* bit 0: the latest push; 1 = failed */
	unsigned filled; /* pushes so far, up to n */
};

void fl_debounce_init(struct fl_debounce *d, unsigned k, unsigned n);
/* Record one result; true when at least k of the last n pushes failed. */
bool fl_debounce_push(struct fl_debounce *d, bool failed);

static inline bool fl_verdict_failed(const struct fl_verdict *v)
{
	return v->kind == FL_VERDICT_FAIL;
}

#endif
