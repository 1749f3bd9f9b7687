/* SPDX-License-Identifier: MIT */
/*
 * faultline plan FILE [--seed N]: what `run` would do, resolved against the live agents and
 * probes — targets, the mechanism each fault gets on its node (and the fallback when a node
 * has no sch_netem), the exact request, and every probe sampled once. Changes nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"
#include "cli.h"
#include "experiment.h"
#include "fault_body.h"
#include "probe_ctx.h"
#include "targets.h"
#include "verdict.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: faultline plan FILE [--seed N]\n"
		     "\n"
		     "Resolve targets through the agents, check their capabilities, print exactly\n"
		     "which fault would be injected where and how, and sample every probe once.\n"
		     "Nothing is changed. Exit 0 when the experiment can run, 2 when not.\n");
}

static bool plan_probe(struct fl_probe_ctx *pctx, const struct fl_experiment *exp,
		       const struct fl_probe_spec *spec, const char *role)
{
	struct fl_diag diag = { 0 };
	struct fl_probe *probe = NULL;
	struct fl_sample s = { 0 };
	struct fl_verdict v;

	if (spec->type == FL_PROBE_HOOK) {
		/* Starting a module could act on the system (a self-healer would): plan does not. */
		printf("    %-8s %-20s %-18s %-12s hook %s: its module runs only during a run\n",
		       role, spec->name, fl_probe_type_name(spec->type), "not sampled", spec->hook);
		return true;
	}
	if (fl_probe_new(pctx, spec, exp->kafka_bootstrap, &probe, &diag) < 0) {
		printf("    %-8s %-20s %-18s ERROR %s\n", role, spec->name,
		       fl_probe_type_name(spec->type), diag.msg);
		return false;
	}
	fl_probe_sample(probe, &s);
	if (strcmp(role, "effect") == 0 && !s.err) {
		/* What its baseline would be: the check itself needs the fault. */
		printf("    %-8s %-20s %-18s %-12s", role, spec->name,
		       fl_probe_type_name(spec->type), "baseline now");
		for (unsigned i = 0; i < s.n && i < 4; i++)
			if (s.m[i].is_text)
				printf(" %s=%s", s.m[i].name, s.m[i].text);
			else
				printf(" %s=%g", s.m[i].name, s.m[i].value);
		printf("\n");
		fl_sample_reset(&s);
		fl_probe_free(probe);
		return true;
	}
	fl_verdict_eval(spec, &s, &s, &v);
	printf("    %-8s %-20s %-18s %-12s %s\n", role, spec->name, fl_probe_type_name(spec->type),
	       fl_verdict_name(v.kind), v.message);
	fl_sample_reset(&s);
	fl_probe_free(probe);
	return v.kind != FL_VERDICT_ERROR;
}

static bool plan_fault(struct fl_agents *agents, const struct fl_experiment *exp,
		       const struct fl_target_set *sets, const struct fl_fault_spec *fault,
		       bool background)
{
	bool ok = true;

	for (unsigned i = 0; i < exp->n_targets; i++) {
		if (strcmp(exp->targets[i].name, fault->target) != 0)
			continue;
		for (unsigned k = 0; k < sets[i].n; k++) {
			const struct fl_target *t = &sets[i].t[k];
			struct fl_diag diag = { 0 };
			json_t *caps = NULL, *body = NULL;
			char note[256] = "", *text;

			if (fl_agents_capabilities(agents, t->agent, &caps, &diag) < 0 ||
			    fl_fault_body(fault, t, caps, "faultline/plan", &body, note,
					  sizeof(note), &diag) < 0) {
				printf("    fault %-16s on %s: CANNOT RUN: %s\n", fault->name,
				       t->label, diag.msg);
				ok = false;
				continue;
			}
			text = json_dumps(body, JSON_COMPACT);
			printf("    fault %-16s on %s via agent %s%s: %s\n      POST /v1/faults "
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
static bool plan_agents(struct fl_agents *agents, struct fl_diag *diag)
{
	bool ok = true;

	printf("  agents:\n");
	for (unsigned i = 0; i < fl_agents_count(agents); i++) {
		json_t *caps = NULL;
		if (fl_agents_capabilities(agents, i, &caps, diag) < 0) {
			printf("    %s: UNREACHABLE: %s\n", fl_agents_name(agents, i), diag->msg);
			ok = false;
			continue;
		}
		char *kinds = json_dumps(json_object_get(caps, "kinds"), JSON_COMPACT);
		printf("    %s (%s): %s\n", fl_agents_name(agents, i),
		       fl_agent_client_address(fl_agents_client(agents, i)), kinds ? kinds : "");
		free(kinds);
	}
	return ok;
}

/* Resolve every target into sets[] (what the method's faults then hit). */
static bool plan_targets(struct fl_agents *agents, const struct fl_experiment *exp, uint64_t seed,
			 struct fl_target_set *sets, struct fl_diag *diag)
{
	bool ok = true;

	printf("  targets:\n");
	for (unsigned i = 0; i < exp->n_targets; i++) {
		if (fl_targets_resolve(agents, &exp->targets[i], seed, &sets[i], diag) < 0) {
			printf("    %s: ERROR %s\n", exp->targets[i].name, diag->msg);
			ok = false;
			continue;
		}
		for (unsigned k = 0; k < sets[i].n; k++)
			printf("    %s → %s on agent %s%s%s (%u matched)\n", exp->targets[i].name,
			       sets[i].t[k].label, fl_agents_name(agents, sets[i].t[k].agent),
			       sets[i].t[k].ip[0] ? ", ip " : "", sets[i].t[k].ip,
			       sets[i].n_matches);
	}
	return ok;
}

static void plan_hooks(const struct fl_experiment *exp)
{
	if (exp->n_hooks)
		printf("  hooks:\n");
	for (unsigned i = 0; i < exp->n_hooks; i++) {
		char *config = exp->hooks[i].config ? json_dumps(exp->hooks[i].config,
								 JSON_COMPACT | JSON_SORT_KEYS)
						    : NULL;
		printf("    %s: module %s, %s, config %s\n", exp->hooks[i].name,
		       exp->hooks[i].module,
		       exp->hooks[i].autostart ? "started before the steady state (autoStart)"
					       : "started by a method step",
		       config ? config : "(defaults)");
		free(config);
	}
}

static bool plan_method(struct fl_agents *agents, const struct fl_experiment *exp,
			const struct fl_target_set *sets)
{
	bool ok = true;

	printf("  method:\n");
	for (unsigned i = 0; i < exp->n_method; i++) {
		const struct fl_step *st = &exp->method[i];
		switch (st->kind) {
		case FL_STEP_FAULT:
			ok &= plan_fault(agents, exp, sets, &st->fault, st->background);
			break;
		case FL_STEP_PAUSE:
			printf("    pause %.3g s\n", (double)st->pause_ns / 1e9);
			break;
		case FL_STEP_PROBE:
			printf("    probe %s\n", st->probe.name);
			break;
		case FL_STEP_EFFECT:
			printf("    effect %s (baseline taken before the first fault)\n",
			       st->probe.name);
			break;
		case FL_STEP_HOOK:
			printf("    hook %s %s\n", st->hook.hook,
			       st->hook.action == FL_HOOK_START	 ? "start"
			       : st->hook.action == FL_HOOK_STOP ? "stop"
								 : st->hook.call);
			break;
		}
	}
	return ok;
}

static bool plan_probes(struct fl_probe_ctx *pctx, const struct fl_experiment *exp)
{
	bool ok = true;

	printf("  probes (sampled once now):\n");
	for (unsigned i = 0; i < exp->n_steady; i++)
		ok &= plan_probe(pctx, exp, &exp->steady[i], "steady");
	for (unsigned i = 0; i < exp->n_abort; i++)
		ok &= plan_probe(pctx, exp, &exp->abort_probes[i], "abort");
	for (unsigned i = 0; i < exp->n_method; i++)
		if (exp->method[i].kind == FL_STEP_EFFECT)
			ok &= plan_probe(pctx, exp, &exp->method[i].probe, "effect");
	return ok;
}

static bool plan_experiment(const struct fl_experiment *exp, uint64_t seed)
{
	struct fl_target_set *sets = calloc(exp->n_targets + 1, sizeof(*sets));
	struct fl_agents *agents = NULL;
	struct fl_probe_ctx *pctx = NULL;
	struct fl_diag diag = { 0 };
	bool ok = true;

	printf("experiment %s (seed %llu)\n", exp->name, (unsigned long long)seed);
	if (!sets || fl_agents_new(exp, &agents, &diag) < 0 || fl_probe_ctx_new(&pctx) < 0) {
		printf("  ERROR %s\n", diag.msg[0] ? diag.msg : "out of memory");
		ok = false;
		goto out;
	}
	fl_probe_ctx_set_agents(pctx, agents, exp);
	/* Every step runs, whatever the one before found: plan shows all that is wrong. */
	ok &= plan_agents(agents, &diag);
	ok &= plan_targets(agents, exp, seed, sets, &diag);
	plan_hooks(exp);
	ok &= plan_method(agents, exp, sets);
	ok &= plan_probes(pctx, exp);
out:
	for (unsigned i = 0; sets && i < exp->n_targets; i++)
		fl_target_set_clear(&sets[i]);
	free(sets);
	fl_probe_ctx_free(pctx);
	fl_agents_free(agents);
	printf("  => %s\n\n", ok ? "can run" : "CANNOT RUN");
	return ok;
}

int fl_cmd_plan(int argc, char **argv)
{
	static const struct option options[] = { { "seed", required_argument, NULL, 's' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	bool has_seed = false, ok = true;
	uint64_t seed = 1;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 's':
			if (fl_cli_parse_seed("plan", optarg, &seed) < 0)
				return FL_EXIT_USAGE;
			has_seed = true;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			usage(stderr);
			return FL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return FL_EXIT_USAGE;
	}
	if ((c = fl_suite_parse_file(argv[optind], &suite, &diag)) < 0) {
		fl_cli_print_parse_error(argv[optind], c, &diag);
		return FL_EXIT_ERROR;
	}
	for (unsigned i = 0; i < suite->n_experiments; i++) {
		const struct fl_experiment *exp = &suite->experiments[i];
		ok &= plan_experiment(exp, has_seed ? seed : exp->has_seed ? exp->seed : seed);
	}
	if (!has_seed)
		printf("(targets chosen with seed %llu unless the experiment sets one; `run` picks "
		       "a "
		       "fresh seed: pass --seed to both to get the same choice)\n",
		       (unsigned long long)seed);
	fl_suite_free(suite);
	return ok ? FL_EXIT_OK : FL_EXIT_ERROR;
}
