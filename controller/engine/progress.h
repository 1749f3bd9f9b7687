/* SPDX-License-Identifier: MIT */
/*
 * The live view of a run. On a terminal: event lines scroll above one status line that is
 * redrawn four times a second (experiment, phase, elapsed, latest probe values). Not on a
 * terminal (CI logs): plain timestamped event lines, and probe values at most every 5 s.
 * Thread-safe: the runner, its watcher threads and the signal thread all report here.
 */
#ifndef FL_PROGRESS_H
#define FL_PROGRESS_H

#include <stdbool.h>
#include <stdio.h>

#include "fl/macro.h"

struct fl_progress;

/* out: where to draw (stderr); tty: draw the status line (isatty(out) unless forced). */
struct fl_progress *fl_progress_new(FILE *out, bool tty, bool quiet);
struct fl_progress *fl_progress_free(struct fl_progress *p);

/* The experiment (index of total) and phase now running; resets the phase clock. */
void fl_progress_phase(struct fl_progress *p, const char *experiment, unsigned index,
		       unsigned total, const char *phase);
/* The latest value of a probe ("lag.max=12 status=OK"). */
void fl_progress_value(struct fl_progress *p, const char *probe, const char *text);
/* An event line ("inject delay-brokers on streamforge/loader-0: ok (delay line)"). */
void fl_progress_event(struct fl_progress *p, const char *fmt, ...) _printf_(2, 3);

#endif
