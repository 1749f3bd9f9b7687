/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes side of a running experiment: `pods` targets resolved through the API
 * (kubernetes/kube_run.h), and pod-delete — a fault the controller makes itself, not an
 * agent. A pod-delete resolves its target again when it runs (pods come and go between the
 * plan, the start and this step; the run's seed keeps the choice replayable), remembers
 * every pod it saw (so kubernetes.podsReady can tell replacements), and deletes each chosen
 * pod with its uid as precondition. Each deletion is a fault entry in the journal like a
 * kill: agent "kubernetes", mechanism "kubernetes-api", nothing to revert.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/units.h"
#include "resolve.h"
#include "run_internal.h"

int fl_run_resolve(struct run_exp *x, const struct fl_target_sel *sel, bool for_delete,
		   struct fl_target_set *ret, struct fl_diag *diag)
{
	return fl_resolve_target(x->agents, x->kube, x->exp, sel, x->seed, for_delete, ret, diag);
}

const char *fl_run_target_via(const struct run_exp *x, const struct fl_target *t)
{
	static __thread char buf[96];

	if (t->agent == FL_TARGET_NO_AGENT)
		return "the Kubernetes API";
	(void)snprintf(buf, sizeof(buf), "agent %s", fl_agents_name(x->agents, t->agent));
	return buf;
}

/* kill.gracePeriod in whole seconds (the parser checked it), or -1: the pod's own. */
static int grace_seconds(const struct fl_fault_spec *fault)
{
	const char *g = json_string_value(
		json_object_get(json_object_get(fault->params, "kill"), "gracePeriod"));
	uint64_t ns;

	if (!g || fl_parse_duration_strict_ns(g, &ns) < 0)
		return -1;
	return (int)(ns / 1000000000u);
}

static json_t *delete_entry(const struct fl_fault_spec *fault, const struct fl_target *t, int grace)
{
	const json_t *k = json_object_get(t->target, "kubernetes");
	json_t *req = json_pack("{s:s, s:O}", "kind", "pod-delete", "pod", k);

	if (req && grace >= 0)
		json_object_set_new(req, "gracePeriodSeconds", json_integer(grace));
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:{s:s, s:s}}", "name", fault->name,
			 "kind", "pod-delete", "target", t->label, "agent", "kubernetes", "request",
			 req, "mechanism", "kubernetes-api", "revert", "result", "skipped",
			 "reason", "kill");
}

static int delete_one(struct run_exp *x, const struct fl_fault_spec *fault,
		      const struct fl_target *t, int grace)
{
	struct fl_diag diag = { 0 };
	uint64_t t0 = fl_run_now_ms(), t1;
	json_t *entry = delete_entry(fault, t, grace);
	int r;

	if (!entry) {
		fl_run_set_error(x, "out of memory");
		return -ENOMEM;
	}
	json_array_append(json_object_get(x->j, "faults"), entry);
	/* The API call without the run's lock: the keeper and the probes go on meanwhile. */
	pthread_mutex_unlock(&x->lock);
	r = fl_kube_run_delete_pod(x->kube, t, grace, &diag);
	pthread_mutex_lock(&x->lock);
	t1 = fl_run_now_ms();
	json_object_set_new(entry, "inject",
			    json_pack("{s:s, s:I, s:I, s:s}", "result", r < 0 ? "error" : "ok",
				      "atMs", (json_int_t)t0, "durationMs", (json_int_t)(t1 - t0),
				      "message", r < 0 ? diag.msg : ""));
	json_decref(entry);
	if (r < 0) {
		fl_run_set_error(x, "inject %s on %s: %s", fault->name, t->label, diag.msg);
		return r;
	}
	fl_progress_event(x->progress,
			  "inject %s (pod-delete) on %s via the Kubernetes API: ok "
			  "in %llu ms — uid %s",
			  fault->name, t->label, (unsigned long long)(t1 - t0),
			  json_string_value(json_object_get(
				  json_object_get(t->target, "kubernetes"), "uid")));
	return 0;
}

int fl_run_pod_delete(struct run_exp *x, const struct fl_fault_spec *fault,
		      const struct fl_target_sel *sel)
{
	struct fl_target_set now = { 0 };
	struct fl_diag diag = { 0 };
	int grace = grace_seconds(fault), r;

	pthread_mutex_unlock(&x->lock);
	r = fl_run_resolve(x, sel, true, &now, &diag);
	pthread_mutex_lock(&x->lock);
	if (r < 0) {
		fl_run_set_error(x, "inject %s: %s", fault->name, diag.msg);
		return r;
	}
	for (unsigned i = 0; i < now.n && !x->stopping && r >= 0; i++)
		r = delete_one(x, fault, &now.t[i], grace);
	fl_target_set_clear(&now);
	return r;
}
