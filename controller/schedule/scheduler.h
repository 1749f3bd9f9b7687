/* SPDX-License-Identifier: MIT */
/*
 * The gameday daemon (docs/schedule.md): runs a loaded schedule's suites on their cron
 * expressions, one run at a time, each as `faultline run SUITE ...` in its own process
 * group, until SIGTERM or SIGINT (a running suite gets SIGTERM, then SIGKILL after
 * killGrace). Used by `faultline schedule`; a program of its own (the coming healer's
 * operator) can run it the same way.
 */
#ifndef FL_SCHEDULER_H
#define FL_SCHEDULER_H

#include <stdbool.h>

#include "fl/macro.h"
#include "schedule.h"

/*
 * Lock the schedule (one scheduler per schedule: <historyDir>/.schedule-NAME.lock, the
 * directory made first), read each entry's last run from the history, then loop: every
 * entry that is due (or missed, per missedRuns) runs; with once, the loop ends after one
 * pass. s is borrowed. A schedule already running, or a history directory that cannot be
 * made, is said on stderr ("faultline schedule: ..."); the rest is logged. Blocks SIGTERM,
 * SIGINT, SIGHUP and SIGCHLD in the calling thread (it takes them with sigtimedwait).
 * Returns 0 or -errno.
 */
int fl_scheduler_run(struct fl_schedule *s, bool once) _wur_;

#endif
