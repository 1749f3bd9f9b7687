/* SPDX-License-Identifier: MIT */
/*
 * Faults of a running experiment: inject through the agents, keep their leases alive,
 * revert them at their deadline, at once on a stop, and look for leftovers at the end.
 * Every agent call happens under x->lock: faults and their journal entries change together —
 * but for the inject's POST itself: an agent's wire check may take seconds, and the keeper
 * must go on renewing the leases of the faults already in place meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault_body.h"
#include "report.h"
#include "run_internal.h"

static json_t *result_json(const char *result, uint64_t at, uint64_t dur, const char *message)
{
	return json_pack("{s:s, s:I, s:I, s:s}", "result", result, "atMs", (json_int_t)at,
			 "durationMs", (json_int_t)dur, "message", message ? message : "");
}

static struct run_fault *new_fault(struct run_exp *x)
{
	struct run_fault *f = realloc(x->faults, (x->n_faults + 1) * sizeof(*f));

	if (!f)
		return NULL;
	x->faults = f;
	f = &x->faults[x->n_faults++];
	memset(f, 0, sizeof(*f));
	return f;
}

static void revert_one(struct run_exp *x, struct run_fault *f, const char *reason);

/* The POST, without x->lock: the new fault is not active yet, so nobody else touches it. */
static int post_unlocked(struct run_exp *x, unsigned agent, const char *text, json_t **ret,
			 struct fl_diag *diag)
{
	int status;

	pthread_mutex_unlock(&x->lock);
	status = fl_agents_call(x->agents, agent, "POST", "/v1/faults", text, ret, diag);
	pthread_mutex_lock(&x->lock);
	return status;
}

/*
 * The fault's entry in the journal (its request body borrowed) and its place in x->faults,
 * named after the spec and the target. NULL when out of memory (nothing journaled).
 */
static struct run_fault *fault_add(struct run_exp *x, const struct fl_fault_spec *fault,
				   const struct fl_target *t, json_t *body)
{
	struct run_fault *f;
	json_t *entry;

	entry = json_pack("{s:s, s:s, s:s, s:s, s:O}", "name", fault->name, "kind",
			  json_string_value(json_object_get(body, "kind")), "target", t->label,
			  "agent", fl_agents_name(x->agents, t->agent), "request", body);
	f = entry ? new_fault(x) : NULL;
	if (!f) {
		json_decref(entry);
		return NULL;
	}
	json_array_append_new(json_object_get(x->j, "faults"), entry);
	f->j = entry;
	(void)snprintf(f->name, sizeof(f->name), "%s", fault->name);
	(void)snprintf(f->kind, sizeof(f->kind), "%s",
		       json_string_value(json_object_get(body, "kind")));
	(void)snprintf(f->target, sizeof(f->target), "%s", t->label);
	f->agent = t->agent;
	return f;
}

/*
 * The agent took the fault (resp, its 201 body): its id, mechanism and the inject's result
 * into the entry; a fault with something to revert becomes active, its deadline and lease
 * counted from t1, the POST's end.
 */
static void inject_accepted(struct run_fault *f, const struct fl_fault_spec *fault,
			    const json_t *resp, uint64_t t0, uint64_t t1, const char *note)
{
	json_t *entry = f->j;

	(void)snprintf(f->id, sizeof(f->id), "%s",
		       json_string_value(json_object_get(resp, "id")) ?: "");
	json_object_set_new(entry, "id", json_string(f->id));
	json_object_set_new(
		entry, "mechanism",
		json_string(json_string_value(json_object_get(resp, "mechanism")) ?: ""));
	json_object_set_new(entry, "inject", result_json("ok", t0, t1 - t0, note));
	if (fl_fault_is_kill(f->kind)) {
		json_object_set_new(entry, "revert",
				    json_pack("{s:s, s:s}", "result", "skipped", "reason", "kill"));
	} else {
		f->active = true;
		f->deadline_ms = t1 + fault->duration_ns / 1000000;
		f->lease_ms = fault->lease_ns / 1000000;
		f->next_renew_ms = t1 + f->lease_ms / 3;
	}
}

static int inject_one(struct run_exp *x, const struct fl_fault_spec *fault,
		      const struct fl_target *t)
{
	struct fl_diag diag = { 0 };
	json_t *caps = NULL, *body = NULL, *resp = NULL, *entry;
	char note[256] = "", wire[1024], *text = NULL;
	uint64_t t0 = fl_run_now_ms(), t1;
	struct run_fault *f;
	size_t fi;
	int status, r;

	/* Without capabilities the agent itself will say what it cannot do. */
	if (fl_agents_capabilities(x->agents, t->agent, &caps, &diag) < 0)
		caps = NULL;
	if ((r = fl_fault_body(fault, t, caps, x->owner, &body, note, sizeof(note), &diag)) < 0) {
		fl_run_set_error(x, "%s", diag.msg);
		return r;
	}
	f = fault_add(x, fault, t, body);
	if (!f) {
		json_decref(body);
		fl_run_set_error(x, "out of memory");
		return -ENOMEM;
	}
	entry = f->j;
	fi = (size_t)(f - x->faults);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	status = text ? post_unlocked(x, t->agent, text, &resp, &diag) : -ENOMEM;
	free(text);
	f = &x->faults[fi]; /* only this thread adds faults: the array has not moved */
	t1 = fl_run_now_ms();
	/* The agent's wire check: its figures, also for a 422 (no effect, cannot judge). */
	if (json_is_object(json_object_get(resp, "wire")))
		json_object_set(entry, "wire", json_object_get(resp, "wire"));
	fl_report_wire(entry, wire, sizeof(wire));
	if (status != 201) {
		if (status > 0)
			r = -EIO;
		else
			r = status;
		json_object_set_new(entry, "inject", result_json("error", t0, t1 - t0, diag.msg));
		json_decref(resp);
		fl_run_set_error(x, "inject %s on %s: %s", fault->name, t->label, diag.msg);
		return r;
	}
	inject_accepted(f, fault, resp, t0, t1, note);
	fl_progress_event(x->progress, "inject %s (%s) on %s via %s: ok in %llu ms — %s%s%s",
			  fault->name, f->kind, t->label, fl_agents_name(x->agents, t->agent),
			  (unsigned long long)(t1 - t0), note, wire[0] ? " — " : "", wire);
	json_decref(resp);
	/* A stop that came while the POST ran found nothing active to revert: do it now. */
	if (x->stopping && f->active)
		revert_one(x, f, x->stop_kind[0] ? x->stop_kind : "abort");
	return 0;
}

int fl_run_fault_inject(struct run_exp *x, const struct fl_fault_spec *fault, bool background)
{
	const struct fl_target_set *set = NULL;
	int r = 0;

	(void)background;
	for (unsigned i = 0; i < x->exp->n_targets; i++)
		if (strcmp(x->exp->targets[i].name, fault->target) == 0)
			set = &x->sets[i];
	if (set && strcmp(fault->kind, "pod-delete") == 0) {
		pthread_mutex_lock(&x->lock);
		r = fl_run_pod_delete(x, fault, set->sel);
		pthread_mutex_unlock(&x->lock);
		return r;
	}
	if (!set) {
		fl_run_set_error(x, "fault %s: target %s was not resolved", fault->name,
				 fault->target);
		return -ENOENT;
	}
	pthread_mutex_lock(&x->lock);
	for (unsigned i = 0; i < set->n && !x->stopping && r >= 0; i++)
		r = inject_one(x, fault, &set->t[i]);
	pthread_mutex_unlock(&x->lock);
	return r;
}

static void revert_one(struct run_exp *x, struct run_fault *f, const char *reason)
{
	struct fl_diag diag = { 0 };
	uint64_t t0 = fl_run_now_ms(), t1;
	json_t *resp = NULL, *rev;
	char path[128];
	int status;

	(void)snprintf(path, sizeof(path), "/v1/faults/%s", f->id);
	status = fl_agents_call(x->agents, f->agent, "DELETE", path, NULL, &resp, &diag);
	t1 = fl_run_now_ms();
	json_decref(resp);
	if (status == 200 || status == 404) {
		/* 404: the agent already reverted it (its own deadline or lease) — fine. */
		rev = result_json("ok", t0, t1 - t0,
				  status == 404 ? "already reverted by the agent" : "");
		f->active = false;
		fl_progress_event(x->progress, "revert %s on %s (%s): ok in %llu ms", f->name,
				  f->target, reason, (unsigned long long)(t1 - t0));
	} else {
		rev = result_json("error", t0, t1 - t0, diag.msg);
		f->active = false; /* the leftovers check asks the agent again at the end */
		fl_progress_event(x->progress, "revert %s on %s (%s): FAILED: %s", f->name,
				  f->target, reason, diag.msg);
		x->errored = true;
	}
	if (rev)
		json_object_set_new(rev, "reason", json_string(reason));
	json_object_set_new(f->j, "revert", rev);
}

void fl_run_faults_revert_locked(struct run_exp *x, const char *only_name, const char *reason)
{
	uint64_t now = fl_run_now_ms();

	for (unsigned i = 0; i < x->n_faults; i++) {
		struct run_fault *f = &x->faults[i];
		if (!f->active || (only_name && strcmp(f->name, only_name) != 0))
			continue;
		/* The method waits for background faults' deadlines, then reverts what is left:
		 * whether the keeper (every 50 ms) got there first must not change the reason. */
		if (strcmp(reason, "end") == 0 && now >= f->deadline_ms)
			revert_one(x, f, "deadline");
		else
			revert_one(x, f, reason);
	}
}

void fl_run_faults_revert(struct run_exp *x, const char *only_name, const char *reason)
{
	pthread_mutex_lock(&x->lock);
	fl_run_faults_revert_locked(x, only_name, reason);
	pthread_mutex_unlock(&x->lock);
}

uint64_t fl_run_faults_last_deadline(struct run_exp *x)
{
	uint64_t last = 0;

	pthread_mutex_lock(&x->lock);
	for (unsigned i = 0; i < x->n_faults; i++)
		if (x->faults[i].active && x->faults[i].deadline_ms > last)
			last = x->faults[i].deadline_ms;
	pthread_mutex_unlock(&x->lock);
	return last;
}

static void renew(struct run_exp *x, struct run_fault *f, uint64_t now)
{
	struct fl_diag diag = { 0 };
	json_t *resp = NULL;
	char path[128];
	int status;

	(void)snprintf(path, sizeof(path), "/v1/faults/%s/renew", f->id);
	status = fl_agents_call(x->agents, f->agent, "POST", path, "", &resp, &diag);
	json_decref(resp);
	if (status == 200) {
		f->next_renew_ms = now + f->lease_ms / 3;
		return;
	}
	/* Retry soon: the lease is three renewals long, one lost renewal is not fatal. */
	f->next_renew_ms = now + 200;
	fl_progress_event(x->progress, "renew %s on %s: %s", f->name, f->target, diag.msg);
}

/* Renew leases every lease/3 and revert at deadlines, every 50 ms, until told to stop. */
void *fl_run_keeper_main(void *arg)
{
	struct run_exp *x = arg;
	struct timespec until;

	pthread_mutex_lock(&x->lock);
	while (!x->watchers_stop) {
		uint64_t now = fl_run_now_ms();
		for (unsigned i = 0; i < x->n_faults; i++) {
			struct run_fault *f = &x->faults[i];
			if (!f->active)
				continue;
			if (now >= f->deadline_ms)
				revert_one(x, f, "deadline");
			else if (now >= f->next_renew_ms)
				renew(x, f, now);
		}
		now = fl_run_now_ms() + 50;
		until.tv_sec = (time_t)(now / 1000);
		until.tv_nsec = (long)(now % 1000) * 1000000L;
		pthread_cond_timedwait(&x->wake, &x->lock, &until);
	}
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

void fl_run_leftovers(struct run_exp *x)
{
	for (unsigned ai = 0; ai < fl_agents_count(x->agents); ai++) {
		struct fl_diag diag = { 0 };
		json_t *resp = NULL, *f;
		size_t i;
		int status = fl_agents_call(x->agents, ai, "GET", "/v1/faults", NULL, &resp, &diag);

		if (status != 200) {
			json_decref(resp);
			fl_run_set_error(x, "leftover check: %s", diag.msg);
			continue;
		}
		json_array_foreach(json_object_get(resp, "faults"), i, f)
		{
			const char *owner = json_string_value(json_object_get(f, "owner"));
			const char *state = json_string_value(json_object_get(f, "state"));
			const char *id = json_string_value(json_object_get(f, "id"));
			char path[128], msg[600];
			json_t *r2 = NULL;
			int st;

			if (!owner || !id || strcmp(owner, x->owner) != 0 || !state ||
			    strcmp(state, "done") == 0)
				continue;
			/* Found one: say so, and do not leave it there either. */
			(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
			st = fl_agents_call(x->agents, ai, "DELETE", path, NULL, &r2, &diag);
			json_decref(r2);
			(void)snprintf(msg, sizeof(msg), "%s on agent %s after the run; %s", state,
				       fl_agents_name(x->agents, ai),
				       st == 200 || st == 404 ? "reverted now"
							      : "could not revert it either");
			json_array_append_new(
				json_object_get(x->j, "leftovers"),
				json_pack("{s:s, s:s, s:s, s:s, s:s}", "agent",
					  fl_agents_name(x->agents, ai), "id", id, "kind",
					  json_string_value(json_object_get(f, "kind")) ?: "",
					  "state", state, "message", msg));
			fl_progress_event(x->progress, "LEFTOVER fault %s: %s", id, msg);
			x->leftovers = true;
		}
		json_decref(resp);
	}
}
