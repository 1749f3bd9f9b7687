/* SPDX-License-Identifier: MIT */
/*
 * faultline report JOURNAL [--junit F] [--html F] [--text] — rebuild a run's reports from
 * its journal (docs/journal.md, docs/reports.md).
 *
 * Exit status: 0 when every report was written (whatever the run's outcome was), 2 when
 * the journal cannot be read or a report cannot be written, 64 on usage errors.
 */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "fl/macro.h"
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

struct report_opts {
	const char *junit, *html;
	bool text;
	const char *journal_path;
};

#define FIELD(f) offsetof(struct report_opts, f)
static const struct fl_cli_flag report_flags[] = {
	{ "junit", 0, "FILE", fl_cli_set_string, FIELD(junit), NULL },
	{ "html", 0, "FILE", fl_cli_set_string, FIELD(html), NULL },
	{ "text", 0, NULL, fl_cli_set_switch, FIELD(text), NULL },
};
#undef FIELD

static const struct fl_cli_verb report_verb = { "report", usage, report_flags,
						FL_ARRAY_SIZE(report_flags), false };

/* The flags and the JOURNAL. false when the command ends here, with *ret_code (--help,
 * usage errors). */
static bool parse_args(int argc, char **argv, struct report_opts *o, int *ret_code)
{
	int first = fl_cli_parse_flags(&report_verb, argc, argv, o, ret_code);

	if (first < 0)
		return false;
	*ret_code = FL_EXIT_USAGE;
	if (first >= argc)
		fl_cli_usage_error(&report_verb, "JOURNAL is required");
	else if (argc - first > 1)
		fl_cli_usage_error(&report_verb, "one JOURNAL only; unexpected \"%s\"",
				   argv[first + 1]);
	else if (!o->junit && !o->html && !o->text)
		fl_cli_usage_error(&report_verb,
				   "say which report: --junit FILE, --html FILE or --text");
	else {
		o->journal_path = argv[first];
		return true;
	}
	return false;
}

/* FL_EXIT_OK when every report asked for was written, else FL_EXIT_ERROR. */
static int write_reports(const struct report_opts *o, const json_t *journal)
{
	/* The reports in the order they are written; path NULL: not asked for. */
	const struct {
		const char *flag, *path;
		fl_report_render_fn render;
	} reports[] = {
		{ "--junit", o->junit, fl_junit_write },
		{ "--html", o->html, fl_report_html },
		{ "--text", o->text ? "-" : NULL, fl_report_text_render },
	};
	int status = FL_EXIT_OK;

	/* Each report on its own: one that cannot be written does not stop the others. */
	for (size_t i = 0; i < FL_ARRAY_SIZE(reports); i++) {
		struct fl_diag diag = { 0 };

		if (!reports[i].path)
			continue;
		if (fl_report_write_file(reports[i].path, reports[i].render, journal, &diag) < 0) {
			print_diag(reports[i].flag, &diag);
			status = FL_EXIT_ERROR;
		}
	}
	return status;
}

int fl_cmd_report(int argc, char **argv)
{
	struct report_opts o = { 0 };
	struct fl_diag diag = { 0 };
	json_t *journal = NULL;
	int code;

	if (!parse_args(argc, argv, &o, &code))
		return code;
	if (fl_journal_load(o.journal_path, &journal, &diag) < 0) {
		print_diag("", &diag);
		return FL_EXIT_ERROR;
	}
	code = write_reports(&o, journal);
	json_decref(journal);
	return code;
}
