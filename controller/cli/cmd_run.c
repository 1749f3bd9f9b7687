/* SPDX-License-Identifier: MIT */
/*
 * faultline run FILE... [--junit F] [--journal F] [--report F] [--seed N] [--quiet]
 * Every file is parsed before anything runs: a typo never leaves half a gameday done.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "experiment.h"
#include "junit.h"
#include "report.h"
#include "run.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline run FILE... [OPTIONS]\n"
		"\n"
		"Run experiments (kind Experiment) and gameday suites (kind Suite): steady state\n"
		"before, the method with faults injected through the agents, abort probes watched\n"
		"continuously, every fault reverted, steady state after, rollbacks — always.\n"
		"SIGINT/SIGTERM revert everything and end the run as aborted.\n"
		"\n"
		"Options:\n"
		"  --junit FILE     JUnit XML for CI (one testcase per probe x phase and per "
		"fault\n"
		"                   inject/revert)\n"
		"  --journal FILE   the JSON journal (every sample; `faultline report` re-renders "
		"it)\n"
		"  --report FILE    the HTML report (timeline, verdicts)\n"
		"  --seed N         seed for target selection (overrides the files'); replays a "
		"run\n"
		"  --kubeconfig FILE  the Kubernetes API for `pods` targets and kubernetes.* "
		"probes\n"
		"                   (default: $KUBECONFIG, the pod's service account,\n"
		"                   ~/.kube/config)\n"
		"  --context NAME   a context of the kubeconfig (default: its current one)\n"
		"  --progress       draw the live status line even when stderr is not a terminal\n"
		"  --quiet          no progress output (the summary is still printed)\n"
		"  -h, --help\n"
		"\n"
		"Exit codes: 0 passed, 1 hypothesis deviated, 2 error (could not run), 3 aborted,\n"
		"4 leftovers found (a fault of this run was still on an agent at the end), 64 "
		"usage.\n");
}

static int dump_journal(const json_t *journal, FILE *out, struct fl_diag *diag)
{
	if (json_dumpf(journal, out, JSON_INDENT(1) | JSON_REAL_PRECISION(10)) < 0 ||
	    fputc('\n', out) == EOF)
		return fl_diag_set(diag, -EIO, "cannot write the journal");
	return 0;
}

static int write_output(const char *what, const char *path,
			int (*render)(const json_t *, FILE *, struct fl_diag *),
			const json_t *journal)
{
	struct fl_diag diag = { 0 };
	int r;

	if (!path)
		return 0;
	if ((r = fl_report_write_file(path, render, journal, &diag)) < 0) {
		fprintf(stderr, "faultline run: %s %s: %s\n", what, path, diag.msg);
		return r;
	}
	fprintf(stderr, "%s written to %s\n", what, path);
	return 0;
}

struct run_args {
	const char *junit, *journal_path, *html;
	struct fl_run_opts opts;
};

static int set_seed(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	struct run_args *ra = opts;

	(void)flag;
	if (fl_cli_parse_seed("run", value, &ra->opts.seed) < 0)
		return -EINVAL;
	ra->opts.has_seed = true;
	return 0;
}

#define FIELD(f) offsetof(struct run_args, f)
static const struct fl_cli_flag run_flags[] = {
	{ "junit", 0, "FILE", fl_cli_set_string, FIELD(junit), NULL },
	{ "journal", 0, "FILE", fl_cli_set_string, FIELD(journal_path), NULL },
	{ "report", 0, "FILE", fl_cli_set_string, FIELD(html), NULL },
	{ "seed", 0, "NUMBER", set_seed, 0, NULL },
	{ "kubeconfig", 0, "FILE", fl_cli_set_string, FIELD(opts.kube.kubeconfig), NULL },
	{ "context", 0, "NAME", fl_cli_set_string, FIELD(opts.kube.context), NULL },
	{ "quiet", 0, NULL, fl_cli_set_switch, FIELD(opts.quiet), NULL },
	{ "progress", 0, NULL, fl_cli_set_switch, FIELD(opts.force_tty), NULL },
};
#undef FIELD

static const struct fl_cli_verb run_verb = { "run", usage, run_flags,
					     sizeof(run_flags) / sizeof(run_flags[0]), false };

/* Parse every file into suites[] (*ret_n of them); each one that does not parse is
 * printed. FL_EXIT_ERROR when any did not. */
static int parse_files(int n_files, char **files, struct fl_suite **suites, unsigned *ret_n)
{
	int code = FL_EXIT_OK;
	unsigned n = 0;

	for (int i = 0; i < n_files; i++) {
		struct fl_diag diag = { 0 };
		int r = fl_suite_parse_file(files[i], &suites[n], &diag);
		if (r < 0) {
			fl_cli_print_parse_error(files[i], r, &diag);
			code = FL_EXIT_ERROR;
			continue;
		}
		n++;
	}
	*ret_n = n;
	return code;
}

/* Run the suites, print the summary and write the files asked for. The run's exit code;
 * a file that cannot be written makes a passed run an error. */
static int run_and_report(struct fl_suite **suites, unsigned n, struct run_args *ra, int n_files,
			  char **files)
{
	json_t *journal = NULL;
	int code;

	ra->opts.files = (const char *const *)files;
	ra->opts.n_files = (unsigned)n_files;
	code = fl_run_suites(suites, n, &ra->opts, &journal);
	if (journal) {
		if (fl_report_text(journal, stdout) < 0)
			fprintf(stderr, "faultline run: cannot print the summary\n");
		fflush(stdout);
		if (write_output("journal", ra->journal_path, dump_journal, journal) < 0 ||
		    write_output("JUnit report", ra->junit, fl_junit_write, journal) < 0 ||
		    write_output("HTML report", ra->html, fl_report_html, journal) < 0)
			code = code == FL_EXIT_OK ? FL_EXIT_ERROR : code;
	}
	json_decref(journal);
	return code;
}

int fl_cmd_run(int argc, char **argv)
{
	struct run_args ra = { 0 };
	struct fl_suite **suites;
	int code, n_files, first;
	char **files;
	unsigned n = 0;

	if ((first = fl_cli_parse_flags(&run_verb, argc, argv, &ra, &code)) < 0)
		return code;
	if (first >= argc)
		return fl_cli_usage_error(&run_verb, "no experiment file given");
	n_files = argc - first;
	files = &argv[first];
	suites = calloc((size_t)n_files, sizeof(*suites));
	if (!suites)
		return FL_EXIT_ERROR;
	code = parse_files(n_files, files, suites, &n);
	if (code == FL_EXIT_OK)
		code = run_and_report(suites, n, &ra, n_files, files);
	for (unsigned i = 0; i < n; i++)
		fl_suite_free(suites[i]);
	free(suites);
	return code;
}
