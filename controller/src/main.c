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
		"Commands:\n"
		"  netem encode   print the netlink request for tc-style netem/tbf options\n"
		"  netem apply    apply a network fault to an interface (optionally in a netns)\n"
		"  netem show     show the Faultline fault on an interface\n"
		"  netem remove   remove the Faultline fault from an interface\n"
		"  netem list     list every Faultline object in a network namespace\n"
		"  netem sweep    remove every Faultline object in a network namespace\n"
		"  faults ...     talk to a faultline-agent: inject, list, get, revert, renew,\n"
		"                 stop (emergency), health, capabilities\n"
		"  schedule CONFIG  run gameday suites on cron expressions (--once, --dry-run)\n"
		"\n"
		"Run 'faultline netem --help' / 'faultline faults --help' for the options.\n"
		"\n"
		"Exit codes: 0 ok, 1 hypothesis deviated, 2 error, 3 aborted, 4 leftovers found,\n"
		"64 usage error.\n");
}

int main(int argc, char **argv)
{
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
	if (strcmp(argv[1], "netem") == 0)
		return fl_cmd_netem(argc - 1, argv + 1);
	if (strcmp(argv[1], "faults") == 0)
		return fl_cmd_faults(argc - 1, argv + 1);
	if (strcmp(argv[1], "schedule") == 0)
		return fl_cmd_schedule(argc - 1, argv + 1);
	fprintf(stderr, "faultline: unknown command \"%s\" (see faultline --help)\n", argv[1]);
	return FL_EXIT_USAGE;
}
