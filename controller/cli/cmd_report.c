/* SPDX-License-Identifier: MIT */
/*
 * faultline report JOURNAL [--junit F] [--html F] [--text] — rebuild a run's reports from
 * its journal (docs/journal.md, docs/reports.md).
 *
 * Exit status: 0 when every report was written (whatever the run's outcome was), 2 when
 * the journal cannot be read or a report cannot be written, 64 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "journal.h"
#include "junit.h"
#include "report.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline report JOURNAL [--junit FILE] [--html FILE] [--text]\n"
		"\n"
		"Rebuild a run's reports from its journal (journal.json; \"-\" reads stdin).\n"
		"\n"
		"  --junit FILE   JUnit XML (GitLab, GitHub test-report actions, Jenkins)\n"
		"  --html FILE    one self-contained HTML page (verdicts, timeline chart, faults)\n"
		"  --text         the plain-text summary on stdout\n"
		"  -h, --help     this help\n"
		"\n"
		"FILE \"-\" writes to stdout. Files are written whole or not at all (a temporary\n"
		"file renamed into place). At least one report is required.\n"
		"\n"
		"Exit codes: 0 reports written (whatever the run's outcome), 2 unreadable or\n"
		"invalid journal or a report that cannot be written, 64 usage error.\n");
}

static void print_diag(const char *what, const struct fl_diag *diag)
{
	if (diag->file && diag->line)
		fprintf(stderr, "faultline report: %s%s%s:%d:%d: %s\n", what, *what ? " " : "",
			diag->file, diag->line, diag->col, diag->msg);
	else if (diag->file)
		fprintf(stderr, "faultline report: %s%s%s: %s\n", what, *what ? " " : "",
			diag->file, diag->msg);
	else
		fprintf(stderr, "faultline report: %s%s%s\n", what, *what ? ": " : "", diag->msg);
}

int fl_cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "junit", required_argument, NULL, 'j' },
		{ "html", required_argument, NULL, 'H' },
		{ "text", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *junit = NULL, *html = NULL;
	bool text = false;
	struct fl_diag diag = { 0 };
	json_t *journal = NULL;
	int c, r, status = FL_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			junit = optarg;
			break;
		case 'H':
			html = optarg;
			break;
		case 't':
			text = true;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			/* getopt_long sets optopt to the option's value when its argument is
			 * missing, and to 0 for an unknown long option. */
			if (optopt == 'j' || optopt == 'H')
				fprintf(stderr,
					"faultline report: --%s needs a FILE (\"-\": stdout)\n",
					optopt == 'j' ? "junit" : "html");
			else
				fprintf(stderr,
					"faultline report: unknown option \"%s\" (see faultline "
					"report --help)\n",
					argv[optind - 1]);
			return FL_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "faultline report: JOURNAL is required (see --help)\n");
		return FL_EXIT_USAGE;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "faultline report: one JOURNAL only; unexpected \"%s\"\n",
			argv[optind + 1]);
		return FL_EXIT_USAGE;
	}
	if (!junit && !html && !text) {
		fprintf(stderr, "faultline report: say which report: --junit FILE, --html FILE or "
				"--text\n");
		return FL_EXIT_USAGE;
	}

	r = fl_journal_load(argv[optind], &journal, &diag);
	if (r < 0) {
		print_diag("", &diag);
		return FL_EXIT_ERROR;
	}
	/* Each report on its own: one that cannot be written does not stop the others. */
	if (junit) {
		diag = (struct fl_diag){ 0 };
		if (fl_report_write_file(junit, fl_junit_write, journal, &diag) < 0) {
			print_diag("--junit", &diag);
			status = FL_EXIT_ERROR;
		}
	}
	if (html) {
		diag = (struct fl_diag){ 0 };
		if (fl_report_write_file(html, fl_report_html, journal, &diag) < 0) {
			print_diag("--html", &diag);
			status = FL_EXIT_ERROR;
		}
	}
	if (text) {
		diag = (struct fl_diag){ 0 };
		if (fl_report_write_file("-", fl_report_text_render, journal, &diag) < 0) {
			print_diag("--text", &diag);
			status = FL_EXIT_ERROR;
		}
	}
	json_decref(journal);
	return status;
}
