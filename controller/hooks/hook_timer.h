/* SPDX-License-Identifier: MIT */
/*
 * The periodic thread a hook module runs (hook.h): tick(arg, elapsed) once per interval on
 * CLOCK_MONOTONIC, elapsed counting every interval that passed since the last call (more
 * than 1 when the thread woke late), until stop — which wakes the thread at once, so a
 * module stops promptly whatever its interval. tick runs without the timer's lock held; the
 * module guards its own state.
 */
#ifndef FL_HOOK_TIMER_H
#define FL_HOOK_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"

struct fl_hook_timer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;	  /* under lock */
	uint64_t next_ns; /* the timer thread's own: deadline of the next tick */
	uint64_t interval_ns;
	void (*tick)(void *arg, uint64_t elapsed);
	void *arg;
};

/* CLOCK_MONOTONIC in ns: the timer's clock, for the modules' own timestamps. */
uint64_t fl_hook_mono_ns(void);

/* Start the thread; the first tick comes one interval from now. -ENOMEM/-errno with diag. */
int fl_hook_timer_start(struct fl_hook_timer *t, uint64_t interval_ns,
			void (*tick)(void *arg, uint64_t elapsed), void *arg,
			struct fl_diag *diag) _wur_;
/* Wake and join the thread (a tick under way finishes first), release it. */
void fl_hook_timer_stop(struct fl_hook_timer *t);

#endif
