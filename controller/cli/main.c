/* SPDX-License-Identifier: MIT */
/*
 * faultline — the controller's command line. Verbs live in cmd_*.c; this file only
 * dispatches and prints the top-level help.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fl/version.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline COMMAND [ARGS...]\n"
		"\n"
		"Chaos engineering for event-driven pipelines on Kafka and Kubernetes.\n"
		"\n"
		"Experiments:\n"
		"  validate FILE...   check experiment / suite files (schema and semantics), no "
		"side effects\n"
		"  plan FILE          resolve targets through the agents, show what would be done "
		"where,\n"
		"                     sample every probe once; changes nothing\n"
		"  run FILE...        run experiments and gameday suites [--junit F] [--journal "
		"F]\n"
		"                     [--report F] [--seed N]\n"
		"  report JOURNAL     re-render a finished run: --junit F | --html F | --text\n"
		"  schedule CONFIG    daemon: run gameday suites on cron expressions, keep "
		"history\n"
		"\n"
		"Faults by hand:\n"
		"  faults ...         talk to a faultline-agent: inject, list, get, revert, "
		"renew,\n"
		"                     stop (emergency), health, capabilities\n"
		"  netem encode       print the netlink request for tc-style netem/tbf options\n"
		"  netem apply        apply a network fault to an interface (optionally in a "
		"netns)\n"
		"  netem show|remove|list|sweep   inspect and remove Faultline's objects\n"
		"\n"
		"Lab:\n"
		"  lab up|down|status 3 Kafka brokers as pods on a private containerd + the agent\n"
		"\n"
		"Run 'faultline COMMAND --help' for the options of a command.\n"
		"\n"
		"Exit codes: 0 passed, 1 hypothesis deviated, 2 error (could not run), 3 aborted,\n"
		"4 leftovers found (a fault was still on an agent after the run), 64 usage "
		"error.\n");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int argc, char **argv);
	} verbs[] = {
		{ "validate", fl_cmd_validate }, { "plan", fl_cmd_plan },
		{ "run", fl_cmd_run },		 { "report", fl_cmd_report },
		{ "schedule", fl_cmd_schedule }, { "netem", fl_cmd_netem },
		{ "faults", fl_cmd_faults },	 { "lab", fl_cmd_lab },
	};

	if (argc < 2) {
		usage(stderr);
		return FL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return FL_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("faultline %s\n", FL_VERSION);
		return FL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			return verbs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "faultline: unknown command \"%s\" (see faultline --help)\n", argv[1]);
	return FL_EXIT_USAGE;
}
