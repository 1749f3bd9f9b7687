/* SPDX-License-Identifier: MIT */
/*
 * Observing a running experiment: while the method runs, every steady-state probe keeps
 * being sampled every steadyState.interval. The samples are journaled (without a verdict:
 * the experiment judges the steady state before and after, and its effect checks where it
 * asks) and shown on the progress line, so that the report's timeline draws what the
 * system really did during the faults instead of a line from "before" to "after".
 *
 * Its own thread, with the probe instances of the before-checks (x->steady_probes: the main
 * thread does not use them while this one runs); the Kafka clients and hooks of the context
 * are shared and thread-safe.
 */
#include <stdlib.h>

#include "run_internal.h"

static bool should_stop(struct run_exp *x)
{
	bool stop;

	pthread_mutex_lock(&x->lock);
	stop = x->watchers_stop || x->stopping;
	pthread_mutex_unlock(&x->lock);
	return stop;
}

/* Sleep until until_ms or a stop; returns false when stopped. */
static bool wait_next(struct run_exp *x, uint64_t until_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000),
			       .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	bool stop;

	pthread_mutex_lock(&x->lock);
	while (!x->watchers_stop && !x->stopping && fl_run_now_ms() < until_ms)
		pthread_cond_timedwait(&x->wake, &x->lock, &ts);
	stop = x->watchers_stop || x->stopping;
	pthread_mutex_unlock(&x->lock);
	return !stop;
}

static void observe_one(struct run_exp *x, const struct fl_probe_spec *spec, struct fl_probe *p)
{
	struct fl_sample s = { 0 };
	char text[160];

	fl_probe_sample(p, &s);
	fl_run_sample_text(&s, text, sizeof(text));
	fl_progress_value(x->progress, spec->name, text);
	pthread_mutex_lock(&x->lock);
	/* A sample that ended after the method did belongs to nobody: drop it. */
	if (!x->watchers_stop)
		fl_run_journal_observation(x, spec, "during", &s);
	pthread_mutex_unlock(&x->lock);
	fl_sample_reset(&s);
}

void *fl_run_observe_main(void *arg)
{
	struct run_exp *x = arg;
	const struct fl_experiment *exp = x->exp;
	uint64_t interval = exp->observe_interval_ns / 1000000;
	/* The before-checks' instances (run_exp.c): their windows' history carries on. A probe
	 * that could not be made is already reported by its check. */
	struct fl_probe **probes = x->steady_probes;

	for (uint64_t next = fl_run_now_ms(); !should_stop(x);) {
		for (unsigned i = 0; i < exp->n_steady && !should_stop(x); i++)
			if (probes[i])
				observe_one(x, &exp->steady[i], probes[i]);
		next += interval;
		/* A slow round (windowed probes' first samples) does not queue up rounds. */
		if (next < fl_run_now_ms())
			next = fl_run_now_ms();
		if (!wait_next(x, next))
			break;
	}
	return NULL;
}
