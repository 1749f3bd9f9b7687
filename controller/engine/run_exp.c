/* SPDX-License-Identifier: MIT */
/* One experiment's state machine (run.h): before → method → revert → after → rollbacks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_body.h"
#include "run_internal.h"

static void phase(struct run_exp *x, const char *name)
{
	fl_progress_phase(x->progress, x->exp->name, x->index, x->total, name);
}

static bool stopped(struct run_exp *x)
{
	bool s;

	pthread_mutex_lock(&x->lock);
	s = x->stopping;
	pthread_mutex_unlock(&x->lock);
	return s;
}

/*
 * Sample a probe once and record the check; keeps the sample in *keep when given. ref is
 * what delta / changed / percentChange compare with: the before-injection sample, or an
 * effect check's baseline (phase "effect").
 */
static void check_once(struct run_exp *x, const struct fl_probe_spec *spec, const char *ph,
		       const struct fl_sample *ref, struct fl_sample *keep,
		       struct fl_probe **keep_probe)
{
	struct fl_diag diag = { 0 };
	struct fl_probe *probe = NULL;
	struct fl_sample s = { 0 };
	struct fl_verdict v;
	uint64_t t0 = fl_run_now_ms();
	char text[160];

	if (fl_probe_new(x->pctx, spec, x->exp->kafka_bootstrap, &probe, &diag) < 0) {
		s.t_ms = t0;
		fl_sample_fail(&s, -EINVAL, "%s", diag.msg);
	} else {
		fl_probe_sample(probe, &s);
	}
	if (keep_probe)
		*keep_probe = probe;
	else
		fl_probe_free(probe);
	if (strcmp(ph, "effect") == 0)
		fl_verdict_eval_baseline(spec, &s, ref, &v);
	else
		fl_verdict_eval(spec, &s, ref, &v);
	fl_run_sample_text(&s, text, sizeof(text));
	fl_progress_value(x->progress, spec->name, text);
	fl_progress_event(x->progress, "%s %s: %s — %s", ph, spec->name, fl_verdict_name(v.kind),
			  v.message);
	pthread_mutex_lock(&x->lock);
	fl_run_journal_sample(x, spec, ph, &s, &v);
	fl_run_journal_check(x, spec, ph, &s, &v, fl_run_now_ms() - t0);
	pthread_mutex_unlock(&x->lock);
	if (keep) {
		*keep = s;
		s.detail = NULL;
	}
	fl_sample_reset(&s);
}

static int resolve_targets(struct run_exp *x)
{
	const struct fl_experiment *exp = x->exp;
	struct fl_diag diag = { 0 };
	int r;

	x->sets = calloc(exp->n_targets ? exp->n_targets : 1, sizeof(*x->sets));
	if (!x->sets)
		return -ENOMEM;
	for (unsigned i = 0; i < exp->n_targets; i++) {
		if ((r = fl_run_resolve(x, &exp->targets[i], false, &x->sets[i], &diag)) < 0) {
			fl_run_set_error(x, "%s", diag.msg);
			return r;
		}
		json_array_append_new(json_object_get(x->j, "targets"),
				      fl_target_set_json(&x->sets[i], x->agents));
		for (unsigned k = 0; k < x->sets[i].n; k++)
			fl_progress_event(x->progress, "target %s → %s via %s",
					  exp->targets[i].name, x->sets[i].t[k].label,
					  fl_run_target_via(x, &x->sets[i].t[k]));
	}
	return 0;
}

static void hook_step(struct run_exp *x, const struct fl_hook_call *h)
{
	static const char *const names[] = { "start", "stop", "call" };
	struct fl_diag diag = { 0 };
	int r;

	switch (h->action) {
	case FL_HOOK_START:
		r = fl_hooks_start(x->hooks, h->hook, &diag);
		break;
	case FL_HOOK_STOP:
		r = fl_hooks_stop(x->hooks, h->hook, &diag);
		break;
	default:
		r = fl_hooks_call(x->hooks, h->hook, h->call, h->args, &diag);
		break;
	}
	pthread_mutex_lock(&x->lock);
	fl_run_journal_hook(x, h->hook, h->action == FL_HOOK_CALL ? h->call : names[h->action], r,
			    diag.msg);
	if (r < 0)
		fl_run_set_error(x, "hook %s %s: %s", h->hook,
				 h->action == FL_HOOK_CALL ? h->call : names[h->action], diag.msg);
	pthread_mutex_unlock(&x->lock);
	fl_progress_event(x->progress, "hook %s %s: %s", h->hook,
			  h->action == FL_HOOK_CALL ? h->call : names[h->action],
			  r < 0 ? diag.msg : "ok");
}

/*
 * autoStart hooks, in the order of spec.hooks, before the steady state is checked (they
 * stop with the others at the end). Returns false when one could not start: the run is
 * an error, only the rollbacks follow.
 */
static bool start_auto_hooks(struct run_exp *x)
{
	bool any = false;

	for (unsigned i = 0; i < x->exp->n_hooks && !x->errored; i++) {
		if (!x->exp->hooks[i].autostart)
			continue;
		if (!any)
			phase(x, "starting hooks");
		any = true;
		const struct fl_hook_call start = { .hook = x->exp->hooks[i].name,
						    .action = FL_HOOK_START };
		hook_step(x, &start);
	}
	return !x->errored;
}

/* Sample a probe once without judging it: an effect check's baseline (phase "baseline"). */
static void sample_baseline(struct run_exp *x, const struct fl_probe_spec *spec,
			    struct fl_sample *keep)
{
	struct fl_diag diag = { 0 };
	struct fl_probe *probe = NULL;
	char text[160];

	memset(keep, 0, sizeof(*keep));
	if (fl_probe_new(x->pctx, spec, x->exp->kafka_bootstrap, &probe, &diag) < 0) {
		keep->t_ms = fl_run_now_ms();
		fl_sample_fail(keep, -EINVAL, "%s", diag.msg);
	} else {
		fl_probe_sample(probe, keep);
	}
	fl_probe_free(probe);
	fl_run_sample_text(keep, text, sizeof(text));
	fl_progress_event(x->progress, "baseline of effect check %s: %s", spec->name,
			  keep->err ? keep->error : text);
	pthread_mutex_lock(&x->lock);
	fl_run_journal_observation(x, spec, "baseline", keep);
	pthread_mutex_unlock(&x->lock);
}

/*
 * Before the method's first fault: every effect check's baseline, the reference its delta /
 * changed / percentChange rules compare with. Taken once, at the last moment the system is
 * known to be unfaulted.
 */
static void take_baselines(struct run_exp *x)
{
	if (x->baselines_taken)
		return;
	x->baselines_taken = true;
	for (unsigned i = 0; i < x->exp->n_method; i++)
		if (x->exp->method[i].kind == FL_STEP_EFFECT)
			sample_baseline(x, &x->exp->method[i].probe, &x->baselines[i]);
}

/* A step of the method or of the rollbacks. Returns false when the method must end. */
static bool step(struct run_exp *x, const struct fl_step *st, bool rollback)
{
	switch (st->kind) {
	case FL_STEP_FAULT: {
		uint64_t until;
		if (!rollback)
			take_baselines(x);
		if (fl_run_fault_inject(x, &st->fault, st->background) < 0)
			return false;
		if (st->background || fl_fault_is_kill(st->fault.kind))
			return true;
		until = fl_run_now_ms() + st->fault.duration_ns / 1000000;
		if (!fl_run_wait_until(x, until))
			return false;
		fl_run_faults_revert(x, st->fault.name, "deadline");
		return true;
	}
	case FL_STEP_PAUSE:
		if (rollback) {
			struct timespec ts = { .tv_sec = (time_t)(st->pause_ns / 1000000000ull),
					       .tv_nsec = (long)(st->pause_ns % 1000000000ull) };
			nanosleep(&ts, NULL);
			return true;
		}
		return fl_run_wait_until(x, fl_run_now_ms() + st->pause_ns / 1000000);
	case FL_STEP_PROBE:
		check_once(x, &st->probe, "during", NULL, NULL, NULL);
		return true;
	case FL_STEP_HOOK:
		hook_step(x, &st->hook);
		return true;
	case FL_STEP_EFFECT:
		check_once(x, &st->probe, "effect", &x->baselines[st - x->exp->method], NULL, NULL);
		return true;
	}
	return true;
}

static void method(struct run_exp *x)
{
	const struct fl_experiment *exp = x->exp;
	pthread_t keeper, watcher, observer;
	bool have_watcher = false, have_observer = false;
	uint64_t last;

	phase(x, "method");
	x->watchers_stop = false;
	if (pthread_create(&keeper, NULL, fl_run_keeper_main, x) != 0) {
		fl_run_set_error(x, "cannot start the lease keeper thread");
		return;
	}
	if (exp->n_abort && pthread_create(&watcher, NULL, fl_run_abort_main, x) == 0)
		have_watcher = true;
	if (exp->n_steady && pthread_create(&observer, NULL, fl_run_observe_main, x) == 0)
		have_observer = true;
	for (unsigned i = 0; i < exp->n_method && !stopped(x) && !x->errored; i++)
		if (!step(x, &exp->method[i], false))
			break;
	/* Background faults run to their deadline; the abort probes keep watching. */
	last = fl_run_faults_last_deadline(x);
	if (last && !stopped(x) && !x->errored) {
		phase(x, "waiting for background faults");
		fl_run_wait_until(x, last);
	}
	pthread_mutex_lock(&x->lock);
	x->watchers_stop = true;
	pthread_cond_broadcast(&x->wake);
	pthread_mutex_unlock(&x->lock);
	pthread_join(keeper, NULL);
	if (have_watcher)
		pthread_join(watcher, NULL);
	if (have_observer)
		pthread_join(observer, NULL);
	fl_run_faults_revert(x, NULL, x->stopping ? x->stop_kind : "end");
}

static bool steady(struct run_exp *x, const char *ph)
{
	const struct fl_experiment *exp = x->exp;
	bool before = strcmp(ph, "before") == 0;
	bool ok = true;

	phase(x, before ? "steady state before" : "steady state after");
	for (unsigned i = 0; i < exp->n_steady && !stopped(x); i++) {
		size_t n_checks = json_array_size(json_object_get(x->j, "checks"));
		const char *verdict;

		/* The before-check's probe lives on: the observations during the method continue
		 * its history (a windowed probe need not wait a window again). */
		check_once(x, &exp->steady[i], ph, before ? NULL : &x->before[i],
			   before ? &x->before[i] : NULL, before ? &x->steady_probes[i] : NULL);
		verdict = json_string_value(json_object_get(
			json_array_get(json_object_get(x->j, "checks"), n_checks), "verdict"));
		if (verdict && (strcmp(verdict, "fail") == 0 || strcmp(verdict, "error") == 0))
			ok = false;
	}
	return ok;
}

static int setup(struct run_exp *x)
{
	struct fl_diag diag = { 0 };
	int r;

	if ((r = fl_agents_new(x->exp, &x->agents, &diag)) < 0 ||
	    (r = fl_probe_ctx_new(&x->pctx)) < 0 ||
	    (r = fl_hooks_new(x->exp->hooks, x->exp->n_hooks, &x->hooks, &diag)) < 0) {
		fl_run_set_error(x, "%s", diag.msg[0] ? diag.msg : "out of memory");
		return r;
	}
	if (fl_kube_run_needed(x->exp) &&
	    (r = fl_kube_run_open(x->kube_opts, &x->kube, &diag)) < 0) {
		fl_run_set_error(x, "kubernetes: %s", diag.msg);
		return r;
	}
	fl_probe_ctx_set_hooks(x->pctx, x->hooks);
	fl_probe_ctx_set_agents(x->pctx, x->agents, x->exp);
	fl_probe_ctx_set_kube(x->pctx, x->kube);
	x->before = calloc(x->exp->n_steady ? x->exp->n_steady : 1, sizeof(*x->before));
	x->steady_probes =
		calloc(x->exp->n_steady ? x->exp->n_steady : 1, sizeof(*x->steady_probes));
	x->baselines = calloc(x->exp->n_method ? x->exp->n_method : 1, sizeof(*x->baselines));
	if (!x->before || !x->baselines || !x->steady_probes)
		return -ENOMEM;
	return resolve_targets(x);
}

static void teardown(struct run_exp *x)
{
	for (unsigned i = 0; x->sets && i < x->exp->n_targets; i++)
		fl_target_set_clear(&x->sets[i]);
	free(x->sets);
	for (unsigned i = 0; x->before && i < x->exp->n_steady; i++)
		fl_sample_reset(&x->before[i]);
	for (unsigned i = 0; x->steady_probes && i < x->exp->n_steady; i++)
		fl_probe_free(x->steady_probes[i]);
	free(x->steady_probes);
	free(x->before);
	for (unsigned i = 0; x->baselines && i < x->exp->n_method; i++)
		fl_sample_reset(&x->baselines[i]);
	free(x->baselines);
	fl_hooks_free(x->hooks);
	fl_probe_ctx_free(x->pctx);
	fl_kube_run_close(x->kube);
	fl_agents_free(x->agents);
	free(x->faults);
}

void fl_run_experiment(struct run_exp *x)
{
	const char *outcome;

	json_object_set_new(x->j, "startedMs", json_integer((json_int_t)fl_run_now_ms()));
	if (setup(x) == 0 && start_auto_hooks(x)) {
		if (!steady(x, "before")) {
			fl_progress_event(x->progress,
					  "steady state not met before injection: method not run");
			if (!json_object_get(x->j, "error") && !x->failed)
				fl_run_set_error(
					x, "steady state could not be checked before injection");
		} else {
			method(x);
			if (!x->stopping && !x->errored)
				steady(x, "after");
		}
	}
	/* Always: rollbacks, hooks stopped, the agents asked for anything left behind. */
	if (x->exp->n_rollbacks) {
		phase(x, "rollbacks");
		for (unsigned i = 0; i < x->exp->n_rollbacks; i++)
			step(x, &x->exp->rollbacks[i], true);
	}
	if (x->hooks)
		fl_hooks_stop_all(x->hooks);
	if (x->agents) {
		fl_run_faults_revert(x, NULL, "end");
		fl_run_leftovers(x);
	}
	/* Something of the run still on an agent outranks every verdict: whatever the probes
	 * said, the system was not left as it was found (the run exits 4 for the same reason). */
	outcome = x->leftovers	? "leftovers"
		  : x->stopping ? "aborted"
		  : x->failed	? "deviated"
		  : x->errored	? "error"
				: "passed";
	json_object_set_new(x->j, "outcome", json_string(outcome));
	json_object_set_new(x->j, "finishedMs", json_integer((json_int_t)fl_run_now_ms()));
	fl_progress_event(x->progress, "[%u/%u] %s: %s", x->index, x->total, x->exp->name, outcome);
	teardown(x);
}
