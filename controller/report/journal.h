/* SPDX-License-Identifier: MIT */
/*
 * The run journal (docs/journal.md) as read back by the reports: load a journal.json,
 * check it against the documented shape, and read fields with tolerant accessors.
 *
 * The journal stays a jansson json_t: the runner builds it, `faultline report` loads it,
 * and the renderers (junit.h, report.h) only read it. fl_journal_check() is what makes
 * the renderers' reads safe to reason about: after it returned 0 every required field has
 * its documented type and every enumerated field one of its values. The accessors below
 * still never crash on a missing or mistyped field (they return the default), so a
 * renderer handed an unchecked document degrades instead of faulting.
 *
 * Nothing here logs; failures are explained in a struct fl_diag.
 */
#ifndef FL_JOURNAL_H
#define FL_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"

#define FL_JOURNAL_VERSION  1
#define FL_JOURNAL_FILE_MAX (64 * 1024 * 1024) /* bytes; a bigger file is refused */

/*
 * Read and check a journal. path "-" reads standard input (same bound).
 * Returns 0 and a new reference in *ret (json_decref it), or -errno with diag:
 *   -ENOENT/-EACCES/...  cannot open or read ("journal.json: No such file or directory")
 *   -EFBIG               above FL_JOURNAL_FILE_MAX
 *   -EINVAL              not JSON (diag->line/col from jansson) or not a journal
 *                        ("experiments[0].checks[3].verdict: \"maybe\" is not one of pass,
 *                        fail, inconclusive, error")
 *   -ENOMEM
 * diag->file is set to path (borrowed).
 */
int fl_journal_load(const char *path, json_t **ret, struct fl_diag *diag) _wur_;

/* The same from memory (len bytes; need not be NUL-terminated). */
int fl_journal_load_buffer(const char *text, size_t len, json_t **ret, struct fl_diag *diag) _wur_;

/*
 * Check that journal has the documented shape: journalVersion 1, required fields present
 * with their types, enumerations within their values. Unknown fields are ignored. Never
 * allocates. Returns 0, or -EINVAL with diag->msg naming the JSON path, the value and what
 * was expected.
 */
int fl_journal_check(const json_t *journal, struct fl_diag *diag) _wur_;

/* ---- tolerant accessors (borrowed results; defaults when absent or mistyped) ---------- */

/* A string field, or NULL. */
const char *fl_journal_str(const json_t *obj, const char *key);
/* A string field, or def. */
const char *fl_journal_str_or(const json_t *obj, const char *key, const char *def);
/* An integer field (a real is truncated), or def. */
int64_t fl_journal_int(const json_t *obj, const char *key, int64_t def);
/* Whether the field is there and is a number; *ret gets it. */
bool fl_journal_num(const json_t *obj, const char *key, double *ret);
/* An array field, or NULL — jansson's array functions (json_array_size, json_array_get,
 * json_array_foreach) treat NULL as an empty array, so callers need no special case. */
const json_t *fl_journal_array(const json_t *obj, const char *key);
/* An object field, or NULL. */
const json_t *fl_journal_object(const json_t *obj, const char *key);

/* run.seed as text: the integer, or the decimal string a writer used above INT64_MAX.
 * Writes "" when absent. */
void fl_journal_seed(const json_t *journal, char *buf, size_t size);

/*
 * Unix milliseconds as "2026-11-28T14:30:00.000Z" (with_zone) or "2026-11-28T14:30:00"
 * (UTC without zone: JUnit's timestamp attribute). Writes "" for a negative or absurd
 * time.
 */
void fl_journal_format_time(int64_t ms, bool with_zone, char *buf, size_t size);
/* "1m02.5s", "12.345s", "850ms" — a human duration for reports. */
void fl_journal_format_duration(int64_t ms, char *buf, size_t size);

/* ---- walking an experiment's items (journal_walk.c) ----------------------------------- */

/* Called for one item of experiment e; index is its place in its array (0 for the abort).
 * Returning < 0 stops the walk. */
typedef int (*fl_journal_item_fn)(void *arg, const json_t *e, const json_t *item, size_t index);

/*
 * The kinds of item fl_journal_walk() visits, in this order: every check, every fault,
 * every hook event, every sample, the abort, every leftover. A NULL member skips its kind.
 * The abort is visited once when the experiment has an abort record or its outcome is
 * "aborted"; item is the record, NULL when there is none.
 */
struct fl_journal_visit {
	fl_journal_item_fn check, fault, hook, sample, abort, leftover;
};

/* Visit e's items in the order above. Returns 0, or the first negative callback result. */
int fl_journal_walk(const json_t *e, const struct fl_journal_visit *v, void *arg);

/* An experiment's checks by verdict (an unknown verdict counts as error) and its faults
 * (injected: inject.result "ok") — the numbers of every report's summary table. */
struct fl_journal_tally {
	long pass, fail, inconclusive, error, faults, faults_ok;
};
struct fl_journal_tally fl_journal_tally(const json_t *e);

#endif
