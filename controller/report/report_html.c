/* SPDX-License-Identifier: MIT */
/*
 * The HTML report (report.h): one self-contained page — inline CSS, inline SVG, no
 * scripts, no external assets — so it can be archived as a CI artifact and opened
 * anywhere. The markup is also well-formed XML (void elements self-closed), which lets a
 * test check it with an XML parser. Everything from the journal is escaped (xmlesc.h).
 *
 * Per experiment: verdict table, a timeline chart (report_chart.c: throughput and consumer
 * lag over time, fault windows shaded, the abort marked), faults, leftovers, errors, the
 * event log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fl/version.h"
#include "journal.h"
#include "report.h"
#include "report_internal.h"
#include "xmlesc.h"

#define esc(out, s) fl_xml_text(out, s)

static const char CSS[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;"
	"max-width:1100px;padding:1em 2em;color:#1d1f23}"
	"h1{font-size:1.5em}h2{margin-top:2em;border-bottom:1px solid #ccc}h3{margin-bottom:.3em}"
	"table{border-collapse:collapse;margin:.4em 0}"
	"th,td{border:1px solid #d6d8dc;padding:3px 8px;text-align:left;vertical-align:top}"
	"th{background:#f2f3f5}td.n{text-align:right}"
	"table.kv th{width:9em}"
	"code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}"
	"pre{background:#f7f7f8;padding:.6em;overflow-x:auto;white-space:pre-wrap}"
	".badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;"
	"font-size:.8em;font-weight:600;vertical-align:middle}"
	".o-passed,.v-pass,.r-ok{background:#1a7f37}.o-deviated,.v-fail{background:#c2410c}"
	".o-error,.v-error,.r-error{background:#8250df}.o-aborted{background:#cf222e}"
	".o-leftovers{background:#82071e}.v-inconclusive,.r-skipped{background:#6e7781}"
	".box{border-left:4px solid #cf222e;background:#fff5f5;padding:.4em .8em;margin:.5em 0}"
	".box.err{border-color:#8250df;background:#f8f5ff}"
	"svg{background:#fff;border:1px solid #d6d8dc}"
	"svg text{font:11px sans-serif;fill:#444}"
	"svg .axis{stroke:#999;stroke-width:1}svg .grid{stroke:#eee;stroke-width:1}"
	"svg .fault-window{fill:#cf222e;fill-opacity:.12;stroke:#cf222e;stroke-opacity:.4}"
	"svg .fault-label{fill:#a40e26;font-weight:600}"
	"svg .abort-mark{stroke:#cf222e;stroke-width:2;stroke-dasharray:4 3}"
	"svg .s-tput{fill:none;stroke:#0969da;stroke-width:1.6}"
	"svg .s-lagmax{fill:none;stroke:#bc4c00;stroke-width:1.6}"
	"svg .s-lagsum{fill:none;stroke:#bc4c00;stroke-width:1.2;stroke-dasharray:5 3}"
	"footer{margin-top:3em;color:#777;font-size:.85em}";

/* ---- small pieces --------------------------------------------------------------------- */

static void badge(FILE *out, const char *prefix, const char *value)
{
	fprintf(out, "<span class=\"badge %s", prefix);
	fl_xml_attr(out, value);
	fputs("\">", out);
	esc(out, value);
	fputs("</span>", out);
}

static void kv(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, "<tr><th>%s</th><td>", key);
	esc(out, value);
	fputs("</td></tr>\n", out);
}

static void put_time(FILE *out, int64_t ms)
{
	char when[40];

	fl_journal_format_time(ms, true, when, sizeof(when));
	fputs(when, out);
}

static void put_offset(FILE *out, int64_t ms, int64_t start)
{
	int64_t off = ms - start;

	fprintf(out, "%s%" PRId64 ".%03" PRId64 "s", off < 0 ? "-" : "+",
		(off < 0 ? -off : off) / 1000, (off < 0 ? -off : off) % 1000);
}

static void put_scalar(FILE *out, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%.10g", json_real_value(v));
	else if (json_is_string(v))
		esc(out, json_string_value(v));
}

/* ---- header and summary --------------------------------------------------------------- */

static void put_header(FILE *out, const json_t *journal)
{
	const json_t *run = fl_journal_object(journal, "run"), *f;
	int64_t start = fl_journal_int(run, "startedMs", 0),
		end = fl_journal_int(run, "finishedMs", 0);
	char seed[32], dur[32], code[16];
	size_t i;

	fputs("<header>\n<h1>Faultline run <code>", out);
	esc(out, fl_journal_str_or(run, "id", "?"));
	fputs("</code> ", out);
	badge(out, "o-", fl_journal_str_or(run, "outcome", "error"));
	fputs("</h1>\n<table class=\"kv\">\n", out);
	kv(out, "Suite", fl_journal_str(run, "suite"));
	fl_journal_seed(journal, seed, sizeof(seed));
	kv(out, "Seed", seed);
	fputs("<tr><th>Started</th><td>", out);
	put_time(out, start);
	fputs("</td></tr>\n<tr><th>Finished</th><td>", out);
	put_time(out, end);
	fl_journal_format_duration(end - start, dur, sizeof(dur));
	fprintf(out, "</td></tr>\n<tr><th>Duration</th><td>%s</td></tr>\n", dur);
	(void)snprintf(code, sizeof(code), "%" PRId64, fl_journal_int(run, "exitCode", 2));
	kv(out, "Exit code", code);
	kv(out, "Host", fl_journal_str(run, "host"));
	fputs("<tr><th>Files</th><td>", out);
	json_array_foreach(fl_journal_array(run, "files"), i, f)
	{
		fputs(i ? "<br/><code>" : "<code>", out);
		esc(out, json_string_value(f));
		fputs("</code>", out);
	}
	fputs("</td></tr>\n", out);
	kv(out, "Faultline", fl_journal_str(journal, "faultline"));
	kv(out, "librdkafka", fl_journal_str(journal, "librdkafka"));
	fputs("</table>\n</header>\n", out);
}

static void put_summary(FILE *out, const json_t *experiments)
{
	const json_t *e;
	size_t i;

	fputs("<h2>Experiments</h2>\n<table>\n<tr><th>Experiment</th><th>Outcome</th>"
	      "<th>Pass</th><th>Fail</th><th>Inconclusive</th><th>Error</th><th>Faults</th>"
	      "<th>Duration</th></tr>\n",
	      out);
	json_array_foreach(experiments, i, e)
	{
		struct fl_journal_tally t = fl_journal_tally(e);
		char dur[32];

		fl_journal_format_duration(fl_journal_int(e, "finishedMs", 0) -
						   fl_journal_int(e, "startedMs", 0),
					   dur, sizeof(dur));
		fprintf(out, "<tr><td><a href=\"#exp-%zu\">", i);
		esc(out, fl_journal_str_or(e, "name", "?"));
		fputs("</a></td><td>", out);
		badge(out, "o-", fl_journal_str_or(e, "outcome", "error"));
		fprintf(out,
			"</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td><td class=\"n\">%ld"
			"</td><td class=\"n\">%ld</td><td "
			"class=\"n\">%ld/%ld</td><td>%s</td></tr>\n",
			t.pass, t.fail, t.inconclusive, t.error, t.faults_ok, t.faults, dur);
	}
	fputs("</table>\n", out);
}

/* ---- per experiment ------------------------------------------------------------------- */

static void put_verdicts(FILE *out, const json_t *e)
{
	const json_t *k;
	size_t i;

	fputs("<h3>Verdicts</h3>\n", out);
	if (json_array_size(fl_journal_array(e, "checks")) == 0) {
		fputs("<p>No checks ran.</p>\n", out);
		return;
	}
	fputs("<table class=\"verdicts\">\n<tr><th>Probe</th><th>Phase</th><th>Verdict</th>"
	      "<th>Observed</th><th>Rule</th><th>Message</th></tr>\n",
	      out);
	json_array_foreach(fl_journal_array(e, "checks"), i, k)
	{
		fputs("<tr><td>", out);
		esc(out, fl_journal_str_or(k, "probe", "?"));
		fputs(" <small>(", out);
		esc(out, fl_journal_str_or(k, "type", "?"));
		fputs(")</small></td><td>", out);
		esc(out, fl_journal_str_or(k, "phase", "?"));
		fputs("</td><td>", out);
		badge(out, "v-", fl_journal_str_or(k, "verdict", "error"));
		fputs("</td><td>", out);
		if (json_object_get(k, "observed")) {
			if (fl_journal_str(k, "metric")) {
				esc(out, fl_journal_str(k, "metric"));
				fputs(" = ", out);
			}
			put_scalar(out, json_object_get(k, "observed"));
		}
		fputs("</td><td><code>", out);
		esc(out, fl_journal_str_or(k, "rule", ""));
		fputs("</code></td><td>", out);
		esc(out, fl_journal_str_or(k, "message", ""));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void put_result(FILE *out, const json_t *res, int64_t start)
{
	const char *s;

	if (!res) {
		fputs("<td>-</td>", out);
		return;
	}
	fputs("<td>", out);
	badge(out, "r-", fl_journal_str_or(res, "result", "?"));
	if (json_object_get(res, "atMs")) {
		fputs(" ", out);
		put_offset(out, fl_journal_int(res, "atMs", 0), start);
	}
	if (json_object_get(res, "durationMs"))
		fprintf(out, " (%" PRId64 " ms)", fl_journal_int(res, "durationMs", 0));
	if ((s = fl_journal_str(res, "reason"))) {
		fputs(" ", out);
		esc(out, s);
	}
	if ((s = fl_journal_str(res, "message"))) {
		fputs("<br/>", out);
		esc(out, s);
	}
	fputs("</td>", out);
}

static void put_faults(FILE *out, const json_t *e)
{
	int64_t start = fl_journal_int(e, "startedMs", 0);
	char wire[1024];
	const json_t *f;
	size_t i;

	fputs("<h3>Faults</h3>\n", out);
	if (json_array_size(fl_journal_array(e, "faults")) == 0) {
		fputs("<p>No faults were injected.</p>\n", out);
		return;
	}
	fputs("<table class=\"faults\">\n<tr><th>Fault</th><th>Kind</th><th>Target</th>"
	      "<th>Agent</th><th>Mechanism</th><th>Inject</th><th>Revert</th></tr>\n",
	      out);
	json_array_foreach(fl_journal_array(e, "faults"), i, f)
	{
		fputs("<tr><td>", out);
		esc(out, fl_journal_str_or(f, "name", "?"));
		if (fl_journal_str(f, "id")) {
			fputs("<br/><small><code>", out);
			esc(out, fl_journal_str(f, "id"));
			fputs("</code></small>", out);
		}
		fputs("</td><td>", out);
		esc(out, fl_journal_str_or(f, "kind", "?"));
		fputs("</td><td>", out);
		esc(out, fl_journal_str_or(f, "target", "?"));
		fputs("</td><td>", out);
		esc(out, fl_journal_str_or(f, "agent", "?"));
		fputs("</td><td>", out);
		esc(out, fl_journal_str_or(f, "mechanism", "-"));
		fputs("</td>", out);
		put_result(out, fl_journal_object(f, "inject"), start);
		put_result(out, fl_journal_object(f, "revert"), start);
		fputs("</tr>\n", out);
		fl_report_wire(f, wire, sizeof(wire));
		if (wire[0]) {
			/* The agent's look at the wire: connect times before vs with the fault. */
			fputs("<tr class=\"wire\"><td></td><td colspan=\"6\"><small>", out);
			esc(out, wire);
			fputs("</small></td></tr>\n", out);
		}
	}
	fputs("</table>\n", out);
}

static void put_leftovers(FILE *out, const json_t *e)
{
	const json_t *l;
	size_t i;

	if (json_array_size(fl_journal_array(e, "leftovers")) == 0)
		return;
	fputs("<h3>Leftovers</h3>\n<div class=\"box\">Faults of this run still held by agents "
	      "after it ended.</div>\n<table class=\"leftovers\">\n<tr><th>Agent</th><th>Fault"
	      "</th><th>Kind</th><th>State</th><th>Message</th></tr>\n",
	      out);
	json_array_foreach(fl_journal_array(e, "leftovers"), i, l)
	{
		static const char *const keys[] = { "agent", "id", "kind", "state", "message" };

		fputs("<tr>", out);
		for (size_t k = 0; k < FL_ARRAY_SIZE(keys); k++) {
			fputs("<td>", out);
			esc(out, fl_journal_str_or(l, keys[k], ""));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

#define ERRORS_SHOWN_MAX 50

/* Before each item of the Errors list: the first one opens the list (none: no heading). */
static void error_item(FILE *out, long *n)
{
	if (*n == 0)
		fputs("<h3>Errors</h3>\n<ul class=\"errors\">\n", out);
	(*n)++;
}

/* The Errors list of one experiment, filled by a journal walk. */
struct errors {
	FILE *out;
	long n;	      /* items so far (0: the list is not open yet) */
	long samples; /* sample errors seen, shown or not */
};

static int error_check(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct errors *er = arg;

	(void)e, (void)index;
	if (strcmp(fl_journal_str_or(x, "verdict", ""), "error") != 0)
		return 0;
	error_item(er->out, &er->n);
	fputs("<li>check ", er->out);
	fl_report_check_line(x, er->out, fl_xml_text);
	fputs("</li>\n", er->out);
	return 0;
}

static int error_fault(void *arg, const json_t *e, const json_t *x, size_t index)
{
	static const char *const steps[] = { "inject", "revert" };
	struct errors *er = arg;

	(void)e, (void)index;
	for (size_t s = 0; s < 2; s++) {
		if (!fl_report_fault_failed(x, steps[s]))
			continue;
		error_item(er->out, &er->n);
		fputs("<li>", er->out);
		fl_report_fault_error(x, steps[s], er->out, fl_xml_text);
		fputs("</li>\n", er->out);
	}
	return 0;
}

static int error_hook(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct errors *er = arg;

	(void)e, (void)index;
	if (strcmp(fl_journal_str_or(x, "result", "ok"), "ok") == 0)
		return 0;
	error_item(er->out, &er->n);
	fputs("<li>hook ", er->out);
	esc(er->out, fl_journal_str_or(x, "name", "?"));
	fputs(" ", er->out);
	esc(er->out, fl_journal_str_or(x, "event", "?"));
	fputs(": ", er->out);
	esc(er->out, fl_journal_str_or(x, "message", fl_journal_str_or(x, "result", "")));
	fputs("</li>\n", er->out);
	return 0;
}

/* Sample errors can be many (a probe failing every second): the first ones are shown. */
static int error_sample(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct errors *er = arg;

	(void)index;
	if (!fl_journal_str(x, "error") || er->samples++ >= ERRORS_SHOWN_MAX)
		return 0;
	error_item(er->out, &er->n);
	fputs("<li>sample ", er->out);
	esc(er->out, fl_journal_str_or(x, "probe", "?"));
	fputs(" ", er->out);
	put_offset(er->out, fl_journal_int(x, "atMs", 0), fl_journal_int(e, "startedMs", 0));
	fputs(": ", er->out);
	esc(er->out, fl_journal_str(x, "error"));
	fputs("</li>\n", er->out);
	return 0;
}

/* Checks, fault steps and hooks that errored, then sample errors; nothing when none did. */
static void put_errors(FILE *out, const json_t *e)
{
	static const struct fl_journal_visit visit = { .check = error_check,
						       .fault = error_fault,
						       .hook = error_hook,
						       .sample = error_sample };
	struct errors er = { .out = out };

	(void)fl_journal_walk(e, &visit, &er);
	if (er.samples > ERRORS_SHOWN_MAX)
		fprintf(out, "<li>... and %ld more sample errors (see the event log)</li>\n",
			er.samples - ERRORS_SHOWN_MAX);
	if (er.n)
		fputs("</ul>\n", out);
}

static int put_experiment(FILE *out, const json_t *e, size_t index)
{
	int64_t start = fl_journal_int(e, "startedMs", 0), end = fl_journal_int(e, "finishedMs", 0);
	const json_t *a = fl_journal_object(e, "abort");
	char dur[32];
	int r;

	fprintf(out, "<section class=\"experiment\" id=\"exp-%zu\">\n<h2>", index);
	esc(out, fl_journal_str_or(e, "name", "?"));
	fputs(" ", out);
	badge(out, "o-", fl_journal_str_or(e, "outcome", "error"));
	fputs("</h2>\n", out);
	if (fl_journal_str(e, "description")) {
		fputs("<p>", out);
		esc(out, fl_journal_str(e, "description"));
		fputs("</p>\n", out);
	}
	fputs("<p><code>", out);
	esc(out, fl_journal_str_or(e, "file", ""));
	fputs("</code> — started ", out);
	put_time(out, start);
	fl_journal_format_duration(end - start, dur, sizeof(dur));
	fprintf(out, ", took %s</p>\n", dur);
	if (a) {
		fputs("<div class=\"box abort\"><strong>Aborted</strong> at ", out);
		put_offset(out, fl_journal_int(a, "atMs", 0), start);
		if (fl_journal_str(a, "probe")) {
			fputs(" by probe ", out);
			esc(out, fl_journal_str(a, "probe"));
		}
		fputs(": ", out);
		esc(out, fl_journal_str_or(a, "message", ""));
		fputs("</div>\n", out);
	}
	if (fl_journal_str(e, "error")) {
		fputs("<div class=\"box err\"><strong>Error:</strong> ", out);
		esc(out, fl_journal_str(e, "error"));
		fputs("</div>\n", out);
	}
	put_verdicts(out, e);
	fl_report_html_chart(out, e);
	put_faults(out, e);
	put_leftovers(out, e);
	put_errors(out, e);
	fputs("<details><summary>Event log</summary>\n<pre>", out);
	r = fl_report_timeline(e, out, fl_xml_text);
	if (r < 0)
		return r;
	fputs("</pre></details>\n</section>\n", out);
	return 0;
}

int fl_report_html(const json_t *journal, FILE *out, struct fl_diag *diag)
{
	const json_t *run, *experiments, *e;
	size_t i;
	int r;

	r = fl_journal_check(journal, diag);
	if (r < 0)
		return r;
	run = fl_journal_object(journal, "run");
	experiments = fl_journal_array(journal, "experiments");
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	      "<title>Faultline run ",
	      out);
	esc(out, fl_journal_str_or(run, "id", "?"));
	fputs(" (", out);
	esc(out, fl_journal_str_or(run, "suite", "?"));
	fputs("): ", out);
	esc(out, fl_journal_str_or(run, "outcome", "?"));
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", CSS);
	put_header(out, journal);
	put_summary(out, experiments);
	json_array_foreach(experiments, i, e)
	{
		r = put_experiment(out, e, i);
		if (r < 0)
			return fl_diag_set(diag, r, "out of memory writing the HTML report");
	}
	fprintf(out,
		"<footer>Rebuilt from the run journal by faultline %s (<code>faultline report "
		"journal.json --html FILE</code>).</footer>\n</body>\n</html>\n",
		FL_VERSION);
	if (fflush(out) != 0 || ferror(out)) {
		r = fl_report_stream_error();
		return fl_diag_set(diag, r, "writing %s: %s", "the HTML report", strerror(-r));
	}
	return 0;
}
