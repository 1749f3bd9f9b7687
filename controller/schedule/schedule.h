/* SPDX-License-Identifier: MIT */
/*
 * `faultline schedule`: gameday suites run on cron expressions (docs/schedule.md).
 *
 *   schedule.c        the config file (kind: Schedule), parsed strictly with libyaml
 *   schedule_state.c  what the history directory says (last run, pruning) and the pure
 *                     decision "given the last run, now and the cron: run, skip or wait"
 *   cmd_schedule.c    the daemon: locks, child processes, signals, logs
 *
 * Ownership: fl_schedule_load/parse return a new struct fl_schedule; everything hangs off
 * it and fl_schedule_free() releases it (NULL is fine). Strings are malloc'd.
 */
#ifndef FL_SCHEDULE_H
#define FL_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cron.h"
#include "fl/diag.h"
#include "fl/macro.h"

/* Bounds on what the file controls (docs/style.md). */
#define FL_SCHED_FILE_MAX    (256 * 1024) /* bytes */
#define FL_SCHED_MAX_ENTRIES 64
#define FL_SCHED_MAX_ARGS    64
#define FL_SCHED_STR_MAX     4096 /* bytes of one string value */
#define FL_SCHED_NAME_MAX    63	  /* names: [a-z0-9]([a-z0-9-]*[a-z0-9])? */
#define FL_SCHED_KEEP_MAX    10000

enum fl_missed_policy {
	FL_MISSED_SKIP,	    /* a fire time missed while not running is skipped */
	FL_MISSED_RUN_ONCE, /* ... is made up for with one run, however many were missed */
};

struct fl_schedule_entry {
	char *name; /* unique; also the history sub-directory and the lock's name */
	struct fl_cron cron;
	char *suite; /* path; fl_schedule_load makes a relative one relative to the file */
	char **args; /* extra arguments for `faultline run`, n_args of them */
	size_t n_args;
	int line, col; /* of the entry in the file */
};

struct fl_schedule {
	char *file; /* as given to load/parse (NULL for parse without a file) */
	char *name; /* metadata.name */
	char *history_dir;
	unsigned keep;
	enum fl_missed_policy missed;
	uint64_t timeout_ns;	/* a run longer than this gets SIGTERM */
	uint64_t kill_grace_ns; /* then SIGKILL this much later */
	struct fl_schedule_entry *entries;
	size_t n_entries;
};

/*
 * Parse a Schedule document. file (may be NULL) is used for messages and copied. Errors:
 * -EINVAL (or -ERANGE, -ENOMEM) with diag->line/col at the offending node and a message
 * naming the field ("spec.keep: \"0\" is out of range 1-10000").
 */
int fl_schedule_parse(const char *text, size_t len, const char *file, struct fl_schedule **ret,
		      struct fl_diag *diag) _wur_;
/* Read and parse a file (at most FL_SCHED_FILE_MAX bytes); relative historyDir and suite
 * paths become relative to the file's directory. Both return 0 and a new schedule
 * (fl_schedule_free() it), or -errno with diag. */
int fl_schedule_load(const char *path, struct fl_schedule **ret, struct fl_diag *diag) _wur_;
struct fl_schedule *fl_schedule_free(struct fl_schedule *s);

/* ---- history (schedule_state.c) ------------------------------------------------------ */

/* Run directories are named after the run's start, in UTC: 20240105T165000Z. */
#define FL_SCHED_RUN_NAME_LEN 16
void fl_schedule_run_name(time_t start, char buf[static FL_SCHED_RUN_NAME_LEN + 1]);
/* Parse such a name; -EINVAL for anything else (so foreign files are never touched). */
int fl_schedule_parse_run_name(const char *name, time_t *ret) _wur_;

/* Start time of the newest run of an entry: <history_dir>/<entry>/<run>; -ENOENT if none. */
int fl_schedule_last_run(const char *history_dir, const char *entry, time_t *ret) _wur_;

/* Remove the oldest runs of an entry beyond `keep` (only directories named like runs).
 * *ret_removed (may be NULL) counts them. */
int fl_schedule_prune(const char *history_dir, const char *entry, unsigned keep,
		      unsigned *ret_removed) _wur_;

/* ---- the decision (schedule_state.c) ------------------------------------------------- */

#define FL_SCHED_NEVER	   ((time_t)INT64_MIN) /* no run recorded */
#define FL_SCHED_DUE_GRACE 60		       /* s: a fire this recent is due, not missed */

enum fl_sched_action {
	FL_SCHED_WAIT, /* nothing to do before .next */
	FL_SCHED_RUN,  /* run now (.fire is the fire time it is for; .missed if made up) */
	FL_SCHED_SKIP, /* a missed fire time (.fire) is skipped by policy; then wait */
};

struct fl_sched_decision {
	enum fl_sched_action action;
	time_t fire; /* RUN, SKIP: the (first) fire time concerned */
	bool missed; /* RUN: a missed fire made up for (runOnce) */
	time_t next; /* always: the first fire time strictly after now */
};

/*
 * What to do for one entry at `now`. `settled`: fire times up to here are dealt with (the
 * start of the last run, or when a missed fire was skipped; FL_SCHED_NEVER if there is no
 * history). `observed_since`: the scheduler has been watching the clock without a gap
 * since then (its start, or the end of a suspension). Fire times in
 * (max(settled, observed_since - FL_SCHED_DUE_GRACE), now] are due, even if late because
 * another run was in the way: RUN. Older ones after `settled` were missed: RUN once
 * (runOnce, never more than one run however many were missed) or SKIP. Nothing is
 * "missed" without a recorded run. Pure: no clock, no files.
 */
int fl_schedule_decide(const struct fl_cron *cron, enum fl_missed_policy policy, time_t settled,
		       time_t observed_since, time_t now, struct fl_sched_decision *ret) _wur_;

#endif
