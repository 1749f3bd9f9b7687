/* SPDX-License-Identifier: MIT */
/*
 * Reports rebuilt from a run journal (docs/journal.md, docs/reports.md): the HTML page,
 * the plain-text summary, and the helpers that write any report safely. The JUnit writer
 * is in junit.h.
 *
 * Renderers never log and only read the journal (borrowed). Each checks the journal first
 * (fl_journal_check) and returns 0 or -errno: -EINVAL (journal not valid), -ENOMEM, -EIO
 * (writing to out failed).
 */
#ifndef FL_REPORT_H
#define FL_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "fl/diag.h"

/* A renderer: fl_junit_write, fl_report_html, ... */
typedef int (*fl_report_render_fn)(const json_t *journal, FILE *out, struct fl_diag *diag);

/* One self-contained HTML page (inline CSS and SVG; no scripts, no external assets). */
int fl_report_html(const json_t *journal, FILE *out, struct fl_diag *diag) _wur_;

/*
 * The plain-text summary `faultline run` prints at its end: one row per experiment
 * (outcome, checks passed/failed/inconclusive/errors, faults, duration), then the message
 * of every failing check, errors, aborts and leftovers. Control characters from the
 * journal are replaced, so it is safe on a terminal.
 */
int fl_report_text(const json_t *journal, FILE *out) _wur_;
/* The same with the renderer signature (for fl_report_write_file). */
int fl_report_text_render(const json_t *journal, FILE *out, struct fl_diag *diag) _wur_;

/*
 * Render into path through a temporary file in the same directory that is renamed over
 * path only when rendering and writing succeeded, so a failure leaves no half file (and
 * an older report at path untouched). path "-" writes to stdout instead. The new file gets
 * mode 0666 & ~umask. Returns 0 or -errno with diag (diag->file = path).
 */
int fl_report_write_file(const char *path, int (*render)(const json_t *, FILE *, struct fl_diag *),
			 const json_t *journal, struct fl_diag *diag) _wur_;

/* Render into a new malloc'd, NUL-terminated buffer (*ret; free it), length in *ret_len. */
int fl_report_render_buffer(int (*render)(const json_t *, FILE *, struct fl_diag *),
			    const json_t *journal, char **ret, size_t *ret_len,
			    struct fl_diag *diag) _wur_;

/*
 * An experiment's timeline as plain-text lines, in time order:
 *   "14:30:11.000  +11.000s  inject delay-brokers (delay) on streamforge/loader-0 ...: ok"
 * Start and finish, checks, fault injects and reverts, hooks, failing or erroring samples,
 * the abort, leftovers. Journal text goes through escape (fl_xml_text for XML/HTML).
 * Returns 0 or -ENOMEM.
 */
int fl_report_timeline(const json_t *experiment, FILE *out,
		       void (*escape)(FILE *out, const char *s)) _wur_;

/*
 * A leftover (experiments[].leftovers[] of the journal) as one line without its newline,
 * the same in every report: "agent node-a: fault 5ee5 (bandwidth, active): lease expires".
 */
void fl_report_leftover(const json_t *leftover, FILE *out,
			void (*escape)(FILE *out, const char *s));

/* A check as one line without its newline, the same in every report's lists:
 * "throughput [after]: 120 msg/s is below the minimum 150". */
void fl_report_check_line(const json_t *check, FILE *out, void (*escape)(FILE *out, const char *s));

/* Whether a fault's step ("inject" or "revert") ended in error in the journal. */
bool fl_report_fault_failed(const json_t *fault, const char *step);

/*
 * A fault step's error as one line without its newline, the same in every report and in
 * the experiment's error when an inject failed (engine/run_faults.c): "inject delay-brokers on loader: timed out".
 */
void fl_report_fault_error(const json_t *fault, const char *step, FILE *out,
			   void (*escape)(FILE *out, const char *s));

/*
 * The agent's wire check of a fault (experiments[].faults[].wire, docs/agent-api.md) as one
 * line into buf, the same in every report and in `run`'s progress, e.g.
 *   "wire check effect: 10.0.0.5:9092 0.03 ms before, 200.12 ms after"
 *   "wire check effect: 10.0.0.5:9092 0.03 ms before, connect timed out after 1000 ms"
 * "" when the fault has none.
 */
void fl_report_wire(const json_t *fault, char *buf, size_t size);

/* The -errno for a stream whose error flag is set: what errno says for the failures a
 * caller can act on (-ENOMEM, -ENOSPC, -EDQUOT, -EPIPE), -EIO otherwise. */
int fl_report_stream_error(void);

/* "passed" -> "PASSED" etc.; the outcome of the run or an experiment, upper-cased into
 * buf. */
void fl_report_upper(const char *s, char *buf, size_t size);

#endif
