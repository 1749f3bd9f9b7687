/* SPDX-License-Identifier: MIT */
/*
 * faultline plan FILE [--seed N]: the flags and the file; the plan itself, what `run` would
 * do resolved against the live agents and probes, is the engine's (engine/plan.c).
 */
#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline plan FILE [--seed N] [--kubeconfig FILE] [--context NAME]\n"
		"\n"
		"Resolve targets through the agents (and the Kubernetes API for `pods`\n"
		"targets), check the agents' capabilities, print exactly which fault would be\n"
		"injected where and how, and sample every probe once. Nothing is changed.\n"
		"Exit 0 when the experiment can run, 2 when not.\n"
		"\n"
		"  --kubeconfig FILE  the Kubernetes API (default: $KUBECONFIG, the pod's\n"
		"                     service account, ~/.kube/config)\n"
		"  --context NAME     a context of the kubeconfig (default: its current one)\n");
}

struct plan_args {
	uint64_t seed;
	bool has_seed;
	struct fl_kube_run_opts kube;
};

static int set_seed(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	struct plan_args *pa = opts;

	(void)flag;
	if (fl_cli_parse_seed("plan", value, &pa->seed) < 0)
		return -EINVAL;
	pa->has_seed = true;
	return 0;
}

#define FIELD(f) offsetof(struct plan_args, f)
static const struct fl_cli_flag plan_flags[] = {
	{ "seed", 0, "NUMBER", set_seed, 0, NULL },
	{ "kubeconfig", 0, "FILE", fl_cli_set_string, FIELD(kube.kubeconfig), NULL },
	{ "context", 0, "NAME", fl_cli_set_string, FIELD(kube.context), NULL },
};
static const struct fl_cli_verb plan_verb = { "plan", usage, plan_flags, FL_ARRAY_SIZE(plan_flags),
					      false };

int fl_cmd_plan(int argc, char **argv)
{
	struct plan_args pa = { .seed = 1 };
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	bool ok = true;
	int c, first;

	if ((first = fl_cli_parse_flags(&plan_verb, argc, argv, &pa, &c)) < 0)
		return c;
	if (first >= argc)
		return fl_cli_usage_error(&plan_verb, "no experiment file given");
	if (first + 1 != argc)
		return fl_cli_usage_error(&plan_verb, "one FILE only; unexpected \"%s\"",
					  argv[first + 1]);
	if ((c = fl_suite_parse_file(argv[first], &suite, &diag)) < 0) {
		fl_cli_print_parse_error(argv[first], c, &diag);
		return FL_EXIT_ERROR;
	}
	for (unsigned i = 0; i < suite->n_experiments; i++) {
		const struct fl_experiment *exp = &suite->experiments[i];
		ok &= fl_plan_experiment(stdout, exp,
					 pa.has_seed	 ? pa.seed
					 : exp->has_seed ? exp->seed
							 : pa.seed,
					 &pa.kube);
	}
	if (!pa.has_seed)
		printf("(targets chosen with seed %llu unless the experiment sets one; `run` picks "
		       "a "
		       "fresh seed: pass --seed to both to get the same choice)\n",
		       (unsigned long long)pa.seed);
	fl_suite_free(suite);
	return ok ? FL_EXIT_OK : FL_EXIT_ERROR;
}
