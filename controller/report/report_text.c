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

struct exp_counts {
	long pass, fail, inconclusive, error, faults, faults_ok;
};

static struct exp_counts count(const json_t *e)
{
	struct exp_counts c = { 0 };
	const json_t *x;
	size_t i;

	json_array_foreach(fl_journal_array(e, "checks"), i, x)
	{
		const char *v = fl_journal_str_or(x, "verdict", "error");

		if (strcmp(v, "pass") == 0)
			c.pass++;
		else if (strcmp(v, "fail") == 0)
			c.fail++;
		else if (strcmp(v, "inconclusive") == 0)
			c.inconclusive++;
		else
			c.error++;
	}
	json_array_foreach(fl_journal_array(e, "faults"), i, x)
	{
		c.faults++;
		c.faults_ok +=
			strcmp(fl_journal_str_or(fl_journal_object(x, "inject"), "result", ""),
			       "ok") == 0;
	}
	return c;
}

/* "  name: " prefix of a detail line. */
static void detail(FILE *out, const json_t *e)
{
	fputs("  ", out);
	put(out, fl_journal_str_or(e, "name", "?"));
	fputs(": ", out);
}

static void put_failed_checks(FILE *out, const json_t *experiments, const char *verdict,
			      const char *title)
{
	const json_t *e, *k;
	size_t i, j;
	bool any = false;

	json_array_foreach(experiments, i, e)
	{
		json_array_foreach(fl_journal_array(e, "checks"), j, k)
		{
			if (strcmp(fl_journal_str_or(k, "verdict", ""), verdict) != 0)
				continue;
			if (!any)
				fprintf(out, "\n%s:\n", title);
			any = true;
			detail(out, e);
			put(out, fl_journal_str_or(k, "probe", "?"));
			fputs(" [", out);
			put(out, fl_journal_str_or(k, "phase", "?"));
			fputs("]: ", out);
			put(out, fl_journal_str_or(k, "message", ""));
			fputc('\n', out);
		}
	}
}

/* Whether the experiment's error is the text of this fault step's error (run_faults.c). */
static bool same_as_error(const json_t *e, const char *step, const json_t *f, const json_t *res)
{
	const char *err = fl_journal_str(e, "error");
	char line[2048];

	if (!err)
		return false;
	(void)snprintf(line, sizeof(line), "%s %s on %s: %s", step,
		       fl_journal_str_or(f, "name", "?"), fl_journal_str_or(f, "target", "?"),
		       fl_journal_str_or(res, "message", "failed"));
	return strcmp(line, err) == 0;
}

static void put_errors(FILE *out, const json_t *experiments)
{
	const json_t *e, *f;
	size_t i, j;
	bool any = false;

#define TITLE()                                    \
	do {                                       \
		if (!any)                          \
			fputs("\nErrors:\n", out); \
		any = true;                        \
	} while (0)
	json_array_foreach(experiments, i, e)
	{
		if (fl_journal_str(e, "error") && !fl_journal_object(e, "abort")) {
			TITLE();
			detail(out, e);
			put(out, fl_journal_str(e, "error"));
			fputc('\n', out);
		}
		json_array_foreach(fl_journal_array(e, "faults"), j, f)
		{
			static const char *const steps[] = { "inject", "revert" };

			for (size_t s = 0; s < 2; s++) {
				const json_t *res = fl_journal_object(f, steps[s]);

				if (!res ||
				    strcmp(fl_journal_str_or(res, "result", ""), "error") != 0)
					continue;
				/* Already said: the experiment's error is this step's. */
				if (same_as_error(e, steps[s], f, res))
					continue;
				TITLE();
				detail(out, e);
				fprintf(out, "%s ", steps[s]);
				put(out, fl_journal_str_or(f, "name", "?"));
				fputs(" on ", out);
				put(out, fl_journal_str_or(f, "target", "?"));
				fputs(": ", out);
				put(out, fl_journal_str_or(res, "message", "failed"));
				fputc('\n', out);
			}
		}
	}
#undef TITLE
}

static void put_aborts_and_leftovers(FILE *out, const json_t *experiments)
{
	const json_t *e, *l;
	size_t i, j;
	bool any = false;

	json_array_foreach(experiments, i, e)
	{
		const json_t *a = fl_journal_object(e, "abort");

		if (!a && strcmp(fl_journal_str_or(e, "outcome", ""), "aborted") != 0)
			continue;
		if (!any)
			fputs("\nAborted:\n", out);
		any = true;
		detail(out, e);
		if (fl_journal_str(a, "probe")) {
			fputs("probe ", out);
			put(out, fl_journal_str(a, "probe"));
			fputs(": ", out);
		}
		put(out, fl_journal_str_or(a, "message",
					   fl_journal_str_or(e, "error", "experiment aborted")));
		fputc('\n', out);
	}
	any = false;
	json_array_foreach(experiments, i, e)
	{
		json_array_foreach(fl_journal_array(e, "leftovers"), j, l)
		{
			if (!any)
				fputs("\nLeftovers (faults still held by agents):\n", out);
			any = true;
			detail(out, e);
			fl_report_leftover(l, out, put);
			fputc('\n', out);
		}
	}
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
		struct exp_counts c = count(e);
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

	put_failed_checks(out, experiments, "fail", "Failed checks");
	put_failed_checks(out, experiments, "error", "Checks that could not run");
	put_errors(out, experiments);
	put_aborts_and_leftovers(out, experiments);
	if (fflush(out) != 0 || ferror(out)) {
		r = fl_report_stream_error();
		return fl_diag_set(diag, r, "writing %s: %s", "the summary", strerror(-r));
	}
	return 0;
}
