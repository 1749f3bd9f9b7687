/* SPDX-License-Identifier: MIT */
/*
 * The plain-text summary of a run (report.h): what `faultline run` prints at its end and
 * `faultline report --text` prints from a journal.
 *
 *   Run 20261128T143000Z-3f9a, suite gameday: DEVIATED (exit 1)
 *     seed 42, started 2026-11-28T14:30:00.000Z, took 1m00.0s, host node-1
 *
 *   EXPERIMENT      OUTCOME   PASS  FAIL  INCONCL  ERROR  FAULTS  DURATION
 *   broker-latency  deviated     3     1        0      0  1/1     1m00.0s
 *
 *   Failed checks:
 *     broker-latency: lag [during]: consumer lag max 18342 > 5000 at 12:03:41
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "journal.h"
#include "report.h"
#include "xmlesc.h"

/* Journal text on one line of a terminal: no control characters, no newlines. */
static void put(FILE *out, const char *s)
{
	fl_text_clean(out, s, 0);
}

/* Characters (not bytes) in a UTF-8 string, for column alignment. */
static size_t width(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void put_padded(FILE *out, const char *s, size_t w)
{
	put(out, s);
	for (size_t n = width(s); n < w; n++)
		fputc(' ', out);
}

/* "  name: " prefix of a detail line. */
static void detail(FILE *out, const json_t *e)
{
	fputs("  ", out);
	put(out, fl_journal_str_or(e, "name", "?"));
	fputs(": ", out);
}

/* One section of the summary ("Failed checks:", "Errors:", ...): its lines come from a
 * journal walk over every experiment; the title is printed before the first. */
struct section {
	FILE *out;
	const char *title;
	const char *verdict;   /* the checks it lists */
	bool experiment_error; /* each experiment's error (not an abort's) before its items */
	bool any;
};

/* Open a line of the section: the title first when this is its first line. */
static void line(struct section *sec, const json_t *e)
{
	if (!sec->any)
		fprintf(sec->out, "\n%s:\n", sec->title);
	sec->any = true;
	detail(sec->out, e);
}

static void put_section(const json_t *experiments, const struct fl_journal_visit *visit,
			struct section *sec)
{
	const json_t *e;
	size_t i;

	json_array_foreach(experiments, i, e)
	{
		if (sec->experiment_error && fl_journal_str(e, "error") &&
		    !fl_journal_object(e, "abort")) {
			line(sec, e);
			put(sec->out, fl_journal_str(e, "error"));
			fputc('\n', sec->out);
		}
		(void)fl_journal_walk(e, visit, sec);
	}
}

static int check_line(void *arg, const json_t *e, const json_t *k, size_t index)
{
	struct section *sec = arg;

	(void)index;
	if (strcmp(fl_journal_str_or(k, "verdict", ""), sec->verdict) != 0)
		return 0;
	line(sec, e);
	fl_report_check_line(k, sec->out, put);
	fputc('\n', sec->out);
	return 0;
}

/* Whether the experiment's error is the text of this fault step's error (run_faults.c). */
static bool same_as_error(const json_t *e, const char *step, const json_t *f)
{
	const char *err = fl_journal_str(e, "error");
	const json_t *res = fl_journal_object(f, step);
	char line[2048];

	if (!err)
		return false;
	(void)snprintf(line, sizeof(line), "%s %s on %s: %s", step,
		       fl_journal_str_or(f, "name", "?"), fl_journal_str_or(f, "target", "?"),
		       fl_journal_str_or(res, "message", "failed"));
	return strcmp(line, err) == 0;
}

static int fault_lines(void *arg, const json_t *e, const json_t *f, size_t index)
{
	static const char *const steps[] = { "inject", "revert" };
	struct section *sec = arg;

	(void)index;
	for (size_t s = 0; s < 2; s++) {
		/* Already said when the experiment's error is this step's. */
		if (!fl_report_fault_failed(f, steps[s]) || same_as_error(e, steps[s], f))
			continue;
		line(sec, e);
		fl_report_fault_error(f, steps[s], sec->out, put);
		fputc('\n', sec->out);
	}
	return 0;
}

static int abort_line(void *arg, const json_t *e, const json_t *a, size_t index)
{
	struct section *sec = arg;

	(void)index;
	line(sec, e);
	if (fl_journal_str(a, "probe")) {
		fputs("probe ", sec->out);
		put(sec->out, fl_journal_str(a, "probe"));
		fputs(": ", sec->out);
	}
	put(sec->out,
	    fl_journal_str_or(a, "message", fl_journal_str_or(e, "error", "experiment aborted")));
	fputc('\n', sec->out);
	return 0;
}

static int leftover_line(void *arg, const json_t *e, const json_t *l, size_t index)
{
	struct section *sec = arg;

	(void)index;
	line(sec, e);
	fl_report_leftover(l, sec->out, put);
	fputc('\n', sec->out);
	return 0;
}

/* Failed and erroring checks, errors, aborts, leftovers: a section each, when any. */
static void put_sections(FILE *out, const json_t *experiments)
{
	static const struct fl_journal_visit checks = { .check = check_line },
					     faults = { .fault = fault_lines },
					     aborts = { .abort = abort_line },
					     leftovers = { .leftover = leftover_line };
	struct section failed = { out, "Failed checks", "fail", false, false },
		       erroring = { out, "Checks that could not run", "error", false, false },
		       errors = { out, "Errors", NULL, true, false },
		       aborted = { out, "Aborted", NULL, false, false },
		       left = { out, "Leftovers (faults still held by agents)", NULL, false,
				false };

	put_section(experiments, &checks, &failed);
	put_section(experiments, &checks, &erroring);
	put_section(experiments, &faults, &errors);
	put_section(experiments, &aborts, &aborted);
	put_section(experiments, &leftovers, &left);
}

int fl_report_text(const json_t *journal, FILE *out)
{
	return fl_report_text_render(journal, out, NULL);
}

int fl_report_text_render(const json_t *journal, FILE *out, struct fl_diag *diag)
{
	const json_t *run, *experiments, *e;
	char upper[32], when[40], dur[32], seed[32];
	size_t i, name_w = width("EXPERIMENT");
	int r;

	r = fl_journal_check(journal, diag);
	if (r < 0)
		return r;
	run = fl_journal_object(journal, "run");
	experiments = fl_journal_array(journal, "experiments");

	fl_report_upper(fl_journal_str(run, "outcome"), upper, sizeof(upper));
	fputs("Run ", out);
	put(out, fl_journal_str_or(run, "id", "?"));
	fputs(", suite ", out);
	put(out, fl_journal_str_or(run, "suite", "?"));
	fprintf(out, ": %s (exit %" PRId64 ")\n", upper, fl_journal_int(run, "exitCode", 2));
	fl_journal_seed(journal, seed, sizeof(seed));
	fl_journal_format_time(fl_journal_int(run, "startedMs", 0), true, when, sizeof(when));
	fl_journal_format_duration(fl_journal_int(run, "finishedMs", 0) -
					   fl_journal_int(run, "startedMs", 0),
				   dur, sizeof(dur));
	fprintf(out, "  seed %s, started %s, took %s, host ", seed, when, dur);
	put(out, fl_journal_str_or(run, "host", "?"));
	fputs("\n\n", out);

	json_array_foreach(experiments, i, e)
	{
		name_w = FL_MAX(name_w, width(fl_journal_str(e, "name")));
	}
	put_padded(out, "EXPERIMENT", name_w);
	fputs("  OUTCOME    PASS  FAIL  INCONCL  ERROR  FAULTS  DURATION\n", out);
	json_array_foreach(experiments, i, e)
	{
		struct fl_journal_tally c = fl_journal_tally(e);
		char faults[48];

		if (c.faults)
			(void)snprintf(faults, sizeof(faults), "%ld/%ld", c.faults_ok, c.faults);
		else
			(void)snprintf(faults, sizeof(faults), "-");
		fl_journal_format_duration(fl_journal_int(e, "finishedMs", 0) -
						   fl_journal_int(e, "startedMs", 0),
					   dur, sizeof(dur));
		put_padded(out, fl_journal_str_or(e, "name", "?"), name_w);
		fputs("  ", out);
		put_padded(out, fl_journal_str_or(e, "outcome", "?"), 9);
		fprintf(out, " %5ld %5ld %8ld %6ld  %-6s  %s\n", c.pass, c.fail, c.inconclusive,
			c.error, faults, dur);
	}
	if (json_array_size(experiments) == 0)
		fputs("(no experiments)\n", out);

	put_sections(out, experiments);
	if (fflush(out) != 0 || ferror(out)) {
		r = fl_report_stream_error();
		return fl_diag_set(diag, r, "writing %s: %s", "the summary", strerror(-r));
	}
	return 0;
}
