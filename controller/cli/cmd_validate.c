/* SPDX-License-Identifier: MIT */
/*
 * faultline validate FILE... — parse experiment and suite files without running them:
 *
 *   $ faultline validate experiments/examples/broker-latency.yaml bad.yaml
 *   experiments/examples/broker-latency.yaml: ok (suite broker-latency: 1 experiment)
 *   bad.yaml:12:17: spec.method[0].fault.duration: "5 minutes" is not a duration (...)
 *
 * Exit 0 when every file is valid, 2 (FL_EXIT_ERROR) when any is not, 64 on usage errors.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: faultline validate [--quiet] FILE...\n"
		     "\n"
		     "Check experiment and suite files (apiVersion: faultline/v1) without running\n"
		     "them: syntax, fields, durations, netem options, references, included files.\n"
		     "Prints \"FILE: ok (suite NAME: N experiments)\" for a valid file and\n"
		     "\"FILE:LINE:COL: MESSAGE\" on stderr for an invalid one.\n"
		     "\n"
		     "  -q, --quiet   print nothing for valid files\n"
		     "  -h, --help    this help\n"
		     "\n"
		     "Exit codes: 0 all valid, 2 any invalid, 64 usage error.\n");
}

static bool validate_one(const char *path, bool quiet)
{
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	int r;

	r = fl_suite_parse_file(path, &suite, &diag);
	if (r < 0) {
		fl_cli_print_parse_error(path, r, &diag);
		return false;
	}
	if (!quiet)
		printf("%s: ok (suite %s: %u experiment%s)\n", path, suite->name,
		       suite->n_experiments, suite->n_experiments == 1 ? "" : "s");
	fl_suite_free(suite);
	return true;
}

static const struct fl_cli_flag validate_flags[] = {
	{ "quiet", 'q', NULL, fl_cli_set_switch, 0, NULL },
};
/* In order: a file named like a flag after the first FILE is still a file. */
static const struct fl_cli_verb validate_verb = { "validate", usage, validate_flags, 1, true };

int fl_cmd_validate(int argc, char **argv)
{
	bool quiet = false, all_ok = true;
	int code, first;

	if ((first = fl_cli_parse_flags(&validate_verb, argc, argv, &quiet, &code)) < 0)
		return code;
	if (first >= argc)
		return fl_cli_usage_error(&validate_verb, "no FILE given");
	for (int i = first; i < argc; i++)
		if (!validate_one(argv[i], quiet))
			all_ok = false;
	fflush(stdout);
	return all_ok ? FL_EXIT_OK : FL_EXIT_ERROR;
}
