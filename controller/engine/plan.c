/* SPDX-License-Identifier: MIT */
/*
 * What `run` would do for one experiment (plan.h), resolved against the live agents and
 * probes — targets, the mechanism each fault gets on its node (and the fallback when a
 * node has no sch_netem), the exact request, and every probe sampled once — written as text
 * to a stream. Changes nothing: no fault is injected, no hook module started.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "fault_body.h"
#include "plan.h"
#include "probe_ctx.h"
#include "resolve.h"
#include "targets.h"
#include "verdict.h"

static bool plan_probe(FILE *out, struct fl_probe_ctx *pctx, const struct fl_experiment *exp,
		       const struct fl_probe_spec *spec, const char *role)
{
	struct fl_diag diag = { 0 };
	struct fl_probe *probe = NULL;
	struct fl_sample s = { 0 };
	struct fl_verdict v;

	if (spec->type == FL_PROBE_HOOK) {
		/* Starting a module could act on the system (a self-healer would): plan does not. */
		fprintf(out,
			"    %-8s %-20s %-18s %-12s hook %s: its module runs only during a run\n",
			role, spec->name, fl_probe_type_name(spec->type), "not sampled",
			spec->hook);
		return true;
	}
	if (fl_probe_new(pctx, spec, exp->kafka_bootstrap, &probe, &diag) < 0) {
		fprintf(out, "    %-8s %-20s %-18s ERROR %s\n", role, spec->name,
			fl_probe_type_name(spec->type), diag.msg);
		return false;
	}
	fl_probe_sample(probe, &s);
	if (strcmp(role, "effect") == 0 && !s.err) {
		/* What its baseline would be: the check itself needs the fault. */
		fprintf(out, "    %-8s %-20s %-18s %-12s", role, spec->name,
			fl_probe_type_name(spec->type), "baseline now");
		for (unsigned i = 0; i < s.n && i < 4; i++)
			if (s.m[i].is_text)
				fprintf(out, " %s=%s", s.m[i].name, s.m[i].text);
			else
				fprintf(out, " %s=%g", s.m[i].name, s.m[i].value);
		fprintf(out, "\n");
		fl_sample_reset(&s);
		fl_probe_free(probe);
		return true;
	}
	fl_verdict_eval(spec, &s, &s, &v);
	fprintf(out, "    %-8s %-20s %-18s %-12s %s\n", role, spec->name,
		fl_probe_type_name(spec->type), fl_verdict_name(v.kind), v.message);
	fl_sample_reset(&s);
	fl_probe_free(probe);
	return v.kind != FL_VERDICT_ERROR;
}

/* pod-delete: the DELETE each chosen pod would get (chosen again when the step runs). */
static void plan_pod_delete(FILE *out, const struct fl_target_set *set,
			    const struct fl_fault_spec *fault)
{
	const char *grace = json_string_value(
		json_object_get(json_object_get(fault->params, "kill"), "gracePeriod"));

	for (unsigned k = 0; k < set->n; k++) {
		const json_t *pod = json_object_get(set->t[k].target, "kubernetes");

		fprintf(out,
			"    fault %-16s on %s via the Kubernetes API (chosen again when it "
			"runs):\n"
			"      DELETE /api/v1/namespaces/%s/pods/%s preconditions.uid=%s "
			"gracePeriodSeconds=%s\n",
			fault->name, set->t[k].label,
			json_string_value(json_object_get(pod, "namespace")),
			json_string_value(json_object_get(pod, "name")),
			json_string_value(json_object_get(pod, "uid")),
			grace ? grace : "(the pod's)");
	}
}

static bool plan_fault(FILE *out, struct fl_agents *agents, const struct fl_experiment *exp,
		       const struct fl_target_set *sets, const struct fl_fault_spec *fault,
		       bool background)
{
	bool ok = true;

	for (unsigned i = 0; i < exp->n_targets; i++) {
		if (strcmp(exp->targets[i].name, fault->target) != 0)
			continue;
		/* As run_faults.c: the fault's kind decides, not the target's. A pods target
		 * with agents found per node takes agent faults too (t->agent is set). */
		if (strcmp(fault->kind, "pod-delete") == 0) {
			plan_pod_delete(out, &sets[i], fault);
			continue;
		}
		for (unsigned k = 0; k < sets[i].n; k++) {
			const struct fl_target *t = &sets[i].t[k];
			struct fl_diag diag = { 0 };
			json_t *caps = NULL, *body = NULL;
			char note[256] = "", *text;

			if (fl_agents_capabilities(agents, t->agent, &caps, &diag) < 0 ||
			    fl_fault_body(fault, t, caps, "faultline/plan", &body, note,
					  sizeof(note), &diag) < 0) {
				fprintf(out, "    fault %-16s on %s: CANNOT RUN: %s\n", fault->name,
					t->label, diag.msg);
				ok = false;
				continue;
			}
			text = json_dumps(body, JSON_COMPACT);
			fprintf(out,
				"    fault %-16s on %s via agent %s%s: %s\n      POST /v1/faults "
				"%s\n",
				fault->name, t->label, fl_agents_name(agents, t->agent),
				background ? " (background)" : "", note, text ? text : "");
			free(text);
			json_decref(body);
		}
	}
	return ok;
}

/* Each agent and the fault kinds it supports. diag: shared with the caller's other steps. */
static bool plan_agents(FILE *out, struct fl_agents *agents, struct fl_diag *diag)
{
	bool ok = true;

	fprintf(out, "  agents:\n");
	for (unsigned i = 0; i < fl_agents_count(agents); i++) {
		json_t *caps = NULL;
		if (fl_agents_capabilities(agents, i, &caps, diag) < 0) {
			fprintf(out, "    %s: UNREACHABLE: %s\n", fl_agents_name(agents, i),
				diag->msg);
			ok = false;
			continue;
		}
		char *kinds = json_dumps(json_object_get(caps, "kinds"), JSON_COMPACT);
		fprintf(out, "    %s (%s): %s\n", fl_agents_name(agents, i),
			fl_agent_client_address(fl_agents_client(agents, i)), kinds ? kinds : "");
		free(kinds);
	}
	return ok;
}

/* Resolve every target into sets[] (what the method's faults then hit). */
static bool plan_targets(FILE *out, struct fl_agents *agents, struct fl_kube_run *kube,
			 const struct fl_experiment *exp, uint64_t seed, struct fl_target_set *sets,
			 struct fl_diag *diag)
{
	bool ok = true;

	fprintf(out, "  targets:\n");
	for (unsigned i = 0; i < exp->n_targets; i++) {
		char mode[32];

		if (fl_resolve_target(agents, kube, exp, &exp->targets[i], seed, false, &sets[i],
				      diag) < 0) {
			fprintf(out, "    %s: ERROR %s\n", exp->targets[i].name, diag->msg);
			ok = false;
			continue;
		}
		for (unsigned k = 0; k < sets[i].n; k++)
			fprintf(out, "    %s → %s %s%s%s%s (%u matched, mode %s, seed %llu)\n",
				exp->targets[i].name, sets[i].t[k].label,
				sets[i].t[k].agent == FL_TARGET_NO_AGENT ? "through the Kubernetes "
									   "API"
									 : "on agent ",
				sets[i].t[k].agent == FL_TARGET_NO_AGENT
					? ""
					: fl_agents_name(agents, sets[i].t[k].agent),
				sets[i].t[k].ip[0] ? ", ip " : "", sets[i].t[k].ip,
				sets[i].n_matches,
				fl_target_mode_text(&exp->targets[i], mode, sizeof(mode)),
				(unsigned long long)seed);
	}
	return ok;
}

static void plan_hooks(FILE *out, const struct fl_experiment *exp)
{
	if (exp->n_hooks)
		fprintf(out, "  hooks:\n");
	for (unsigned i = 0; i < exp->n_hooks; i++) {
		char *config = exp->hooks[i].config ? json_dumps(exp->hooks[i].config,
								 JSON_COMPACT | JSON_SORT_KEYS)
						    : NULL;
		fprintf(out, "    %s: module %s, %s, config %s\n", exp->hooks[i].name,
			exp->hooks[i].module,
			exp->hooks[i].autostart ? "started before the steady state (autoStart)"
						: "started by a method step",
			config ? config : "(defaults)");
		free(config);
	}
}

static bool plan_method(FILE *out, struct fl_agents *agents, const struct fl_experiment *exp,
			const struct fl_target_set *sets)
{
	bool ok = true;

	fprintf(out, "  method:\n");
	for (unsigned i = 0; i < exp->n_method; i++) {
		const struct fl_step *st = &exp->method[i];
		switch (st->kind) {
		case FL_STEP_FAULT:
			ok &= plan_fault(out, agents, exp, sets, &st->fault, st->background);
			break;
		case FL_STEP_PAUSE:
			fprintf(out, "    pause %.3g s\n", (double)st->pause_ns / 1e9);
			break;
		case FL_STEP_PROBE:
			fprintf(out, "    probe %s\n", st->probe.name);
			break;
		case FL_STEP_EFFECT:
			fprintf(out, "    effect %s (baseline taken before the first fault)\n",
				st->probe.name);
			break;
		case FL_STEP_HOOK:
			fprintf(out, "    hook %s %s\n", st->hook.hook,
				st->hook.action == FL_HOOK_START  ? "start"
				: st->hook.action == FL_HOOK_STOP ? "stop"
								  : st->hook.call);
			break;
		}
	}
	return ok;
}

static bool plan_probes(FILE *out, struct fl_probe_ctx *pctx, const struct fl_experiment *exp)
{
	bool ok = true;

	fprintf(out, "  probes (sampled once now):\n");
	for (unsigned i = 0; i < exp->n_steady; i++)
		ok &= plan_probe(out, pctx, exp, &exp->steady[i], "steady");
	for (unsigned i = 0; i < exp->n_abort; i++)
		ok &= plan_probe(out, pctx, exp, &exp->abort_probes[i], "abort");
	for (unsigned i = 0; i < exp->n_method; i++)
		if (exp->method[i].kind == FL_STEP_EFFECT)
			ok &= plan_probe(out, pctx, exp, &exp->method[i].probe, "effect");
	return ok;
}

/* The Kubernetes connection, when the experiment needs one: where, or why not. */
static bool plan_kube(FILE *out, const struct fl_experiment *exp,
		      const struct fl_kube_run_opts *opts, struct fl_kube_run **kube)
{
	struct fl_diag diag = { 0 };

	if (!fl_kube_run_needed(exp))
		return true;
	if (fl_kube_run_open(opts, kube, &diag) < 0) {
		fprintf(out, "  kubernetes: ERROR %s\n", diag.msg);
		return false;
	}
	fprintf(out, "  kubernetes: %s\n", fl_kube_run_describe(*kube));
	return true;
}

bool fl_plan_experiment(FILE *out, const struct fl_experiment *exp, uint64_t seed,
			const struct fl_kube_run_opts *kube_opts)
{
	struct fl_target_set *sets = calloc(exp->n_targets + 1, sizeof(*sets));
	struct fl_agents *agents = NULL;
	struct fl_kube_run *kube = NULL;
	struct fl_probe_ctx *pctx = NULL;
	struct fl_diag diag = { 0 };
	bool ok = true;

	fprintf(out, "experiment %s (seed %llu)\n", exp->name, (unsigned long long)seed);
	if (!sets || fl_agents_new(exp, &agents, &diag) < 0 || fl_probe_ctx_new(&pctx) < 0) {
		fprintf(out, "  ERROR %s\n", diag.msg[0] ? diag.msg : "out of memory");
		ok = false;
		goto out;
	}
	fl_probe_ctx_set_agents(pctx, agents, exp);
	/* Every step runs, whatever the one before found: plan shows all that is wrong.
	 * The agents come after the targets: agents found per node (spec.agents.kubernetes)
	 * are added while the targets are resolved. */
	ok &= plan_kube(out, exp, kube_opts, &kube);
	fl_probe_ctx_set_kube(pctx, kube);
	ok &= plan_targets(out, agents, kube, exp, seed, sets, &diag);
	ok &= plan_agents(out, agents, &diag);
	plan_hooks(out, exp);
	ok &= plan_method(out, agents, exp, sets);
	ok &= plan_probes(out, pctx, exp);
out:
	for (unsigned i = 0; sets && i < exp->n_targets; i++)
		fl_target_set_clear(&sets[i]);
	free(sets);
	fl_probe_ctx_free(pctx);
	fl_kube_run_close(kube);
	fl_agents_free(agents);
	fprintf(out, "  => %s\n\n", ok ? "can run" : "CANNOT RUN");
	return ok;
}
