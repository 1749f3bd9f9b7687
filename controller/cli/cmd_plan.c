/* SPDX-License-Identifier: MIT */
/*
 * faultline plan FILE [--seed N]: the flags and the file; the plan itself, what `run` would
 * do resolved against the live agents and probes, is the engine's (engine/plan.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "plan.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: faultline plan FILE [--seed N]\n"
		     "\n"
		     "Resolve targets through the agents, check their capabilities, print exactly\n"
		     "which fault would be injected where and how, and sample every probe once.\n"
		     "Nothing is changed. Exit 0 when the experiment can run, 2 when not.\n");
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
		ok &= fl_plan_experiment(stdout, exp,
					 has_seed	 ? seed
					 : exp->has_seed ? exp->seed
							 : seed);
	}
	if (!has_seed)
		printf("(targets chosen with seed %llu unless the experiment sets one; `run` picks "
		       "a "
		       "fresh seed: pass --seed to both to get the same choice)\n",
		       (unsigned long long)seed);
	fl_suite_free(suite);
	return ok ? FL_EXIT_OK : FL_EXIT_ERROR;
}
