/* SPDX-License-Identifier: MIT */
/*
 * Watching a running experiment: the abort probes, sampled every abort.interval while the
 * method runs. A breach (k of the last n samples failing) stops the method and reverts
 * every fault at once — from this thread, so the revert does not wait for the main
 * thread's current step.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run_internal.h"

void fl_run_stop(struct run_exp *x, const char *kind, const char *message)
{
	pthread_mutex_lock(&x->lock);
	if (!x->stopping) {
		uint64_t t0 = fl_run_now_ms();
		x->stopping = true;
		(void)snprintf(x->stop_kind, sizeof(x->stop_kind), "%s", kind);
		json_object_set_new(x->j, "abort",
				    json_pack("{s:s, s:I, s:s}", "kind", kind, "atMs",
					      (json_int_t)t0, "message", message));
		fl_progress_event(x->progress, "ABORT (%s): %s — reverting every fault", kind,
				  message);
		fl_run_faults_revert_locked(x, NULL, kind);
		fl_progress_event(x->progress, "every fault reverted %llu ms after the %s",
				  (unsigned long long)(fl_run_now_ms() - t0), kind);
	}
	pthread_cond_broadcast(&x->wake);
	pthread_mutex_unlock(&x->lock);
}

bool fl_run_wait_until(struct run_exp *x, uint64_t until_ms)
{
	struct timespec ts = { .tv_sec = (time_t)(until_ms / 1000),
			       .tv_nsec = (long)(until_ms % 1000) * 1000000L };
	bool stopped;

	pthread_mutex_lock(&x->lock);
	while (!x->stopping && fl_run_now_ms() < until_ms)
		pthread_cond_timedwait(&x->wake, &x->lock, &ts);
	stopped = x->stopping;
	pthread_mutex_unlock(&x->lock);
	return !stopped;
}

struct watched {
	struct fl_probe *probe;
	struct fl_debounce debounce;
	unsigned samples, failures;
	struct fl_verdict worst; /* the breach, or the last failing sample, or the last one */
	struct fl_sample worst_sample;
	bool breached;
};

static void check_of(struct run_exp *x, const struct fl_probe_spec *spec, struct watched *w)
{
	struct fl_verdict v = w->worst;

	if (w->samples == 0) {
		v.kind = FL_VERDICT_INCONCLUSIVE;
		(void)snprintf(v.message, sizeof(v.message), "no sample taken during the method");
	} else if (!w->breached && v.kind == FL_VERDICT_FAIL) {
		/* Single failing samples below the debounce threshold are not a breach. */
		v.kind = FL_VERDICT_PASS;
		(void)snprintf(
			v.message, sizeof(v.message),
			"%u of %u samples failed, below the %u-of-%u threshold; last: %.400s",
			w->failures, w->samples, w->debounce.k ? w->debounce.k : 1,
			w->debounce.n ? w->debounce.n : 1, w->worst.message);
	}
	fl_run_journal_check(x, spec, "during", &w->worst_sample, &v, 0);
}

/* An instance of every abort probe; one that cannot be made is the experiment's error. */
static void watched_open(struct run_exp *x, struct watched *w)
{
	const struct fl_experiment *exp = x->exp;

	for (unsigned i = 0; i < exp->n_abort; i++) {
		struct fl_diag diag = { 0 };
		fl_debounce_init(&w[i].debounce, exp->abort_probes[i].debounce_k,
				 exp->abort_probes[i].debounce_n);
		if (fl_probe_new(x->pctx, &exp->abort_probes[i], exp->kafka_bootstrap, &w[i].probe,
				 &diag) < 0) {
			pthread_mutex_lock(&x->lock);
			fl_run_set_error(x, "abort probe %s: %s", exp->abort_probes[i].name,
					 diag.msg);
			pthread_mutex_unlock(&x->lock);
		}
	}
}

/*
 * One sample of an abort probe, journaled unless the watchers are ending; a breach stops
 * the experiment. Returns whether watching ends.
 */
static bool watch_sample(struct run_exp *x, const struct fl_probe_spec *spec, struct watched *w)
{
	struct fl_sample s = { 0 };
	struct fl_verdict v;
	char text[160];
	bool breach, stop;

	fl_probe_sample(w->probe, &s);
	fl_verdict_eval(spec, &s, NULL, &v);
	breach = fl_debounce_push(&w->debounce, v.kind == FL_VERDICT_FAIL);
	fl_run_sample_text(&s, text, sizeof(text));
	fl_progress_value(x->progress, spec->name, text);
	pthread_mutex_lock(&x->lock);
	stop = x->watchers_stop || x->stopping;
	if (!stop) {
		fl_run_journal_sample(x, spec, "during", &s, &v);
		w->samples++;
		if (v.kind == FL_VERDICT_FAIL)
			w->failures++;
		if (w->worst.kind != FL_VERDICT_FAIL || v.kind == FL_VERDICT_FAIL) {
			w->worst = v;
			fl_sample_reset(&w->worst_sample);
			w->worst_sample = s;
			s.detail = NULL;
		}
		w->breached = breach;
	}
	pthread_mutex_unlock(&x->lock);
	fl_sample_reset(&s);
	if (breach && !stop) {
		fl_run_stop(x, "abort", v.message);
		stop = true;
	}
	return stop;
}

/* Wait until next (wall clock) or the watchers' end; returns whether watching ends. */
static bool wait_next(struct run_exp *x, uint64_t next)
{
	struct timespec ts = { .tv_sec = (time_t)(next / 1000),
			       .tv_nsec = (long)(next % 1000) * 1000000L };
	bool stop;

	pthread_mutex_lock(&x->lock);
	while (!x->watchers_stop && !x->stopping && fl_run_now_ms() < next)
		pthread_cond_timedwait(&x->wake, &x->lock, &ts);
	stop = x->watchers_stop || x->stopping;
	pthread_mutex_unlock(&x->lock);
	return stop;
}

/* Each abort probe's "during" check into the journal; the probes and samples freed. */
static void watched_close(struct run_exp *x, struct watched *w)
{
	const struct fl_experiment *exp = x->exp;

	pthread_mutex_lock(&x->lock);
	for (unsigned i = 0; i < exp->n_abort; i++) {
		if (w[i].probe)
			check_of(x, &exp->abort_probes[i], &w[i]);
		fl_sample_reset(&w[i].worst_sample);
		fl_probe_free(w[i].probe);
	}
	pthread_mutex_unlock(&x->lock);
}

void *fl_run_abort_main(void *arg)
{
	struct run_exp *x = arg;
	const struct fl_experiment *exp = x->exp;
	struct watched *w = calloc(exp->n_abort, sizeof(*w));
	bool stop = false;

	if (!w)
		return NULL;
	watched_open(x, w);
	while (!stop) {
		uint64_t next = fl_run_now_ms() + exp->abort_interval_ns / 1000000;

		for (unsigned i = 0; i < exp->n_abort && !stop; i++) {
			if (w[i].probe)
				stop = watch_sample(x, &exp->abort_probes[i], &w[i]);
		}
		if (!stop)
			stop = wait_next(x, next);
	}
	watched_close(x, w);
	free(w);
	return NULL;
}
