/* SPDX-License-Identifier: MIT */
/*
 * The JUnit XML writer (junit.h). Mapping, documented in docs/reports.md:
 *
 *   run          <testsuites name=suite tests failures errors time>
 *   experiment   <testsuite name tests failures errors skipped time timestamp hostname id
 *                 package file> with <properties>, test cases, <system-out> (timeline)
 *   check        <testcase name="PROBE [PHASE]" classname=EXPERIMENT>: fail -> <failure>,
 *                error -> <error>, inconclusive -> <skipped>
 *   fault        "inject FAULT on TARGET" (error -> <error>), "revert FAULT on TARGET" when
 *                the journal has a revert (error -> <error>, skipped -> <skipped>)
 *   abort        "abort" with <failure> (abort.message)
 *   leftovers    "leftovers" with <failure> listing them
 *   error        "experiment" with <error> when the experiment's outcome is error and no
 *                other test case of it carries an error
 *
 * The junit-10.xsd we validate against allows no skipped/timestamp on <testsuites>, so
 * those stay on each <testsuite>. One walk over an experiment's test cases serves both the
 * counting pass and the writing pass, so the counts cannot disagree with the cases.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "junit.h"
#include "report.h"
#include "xmlesc.h"

enum tc_kind { TC_CHECK, TC_INJECT, TC_REVERT, TC_ABORT, TC_LEFTOVERS, TC_EXPERIMENT };
enum tc_status { ST_PASS, ST_FAIL, ST_ERROR, ST_SKIP };

struct tcase {
	enum tc_kind kind;
	enum tc_status status;
	const json_t *item; /* the check or the fault; NULL otherwise */
};

struct counts {
	long tests, failures, errors, skipped;
};

typedef int (*tc_fn)(void *arg, const json_t *e, const struct tcase *tc);

static enum tc_status check_status(const json_t *check)
{
	const char *v = fl_journal_str_or(check, "verdict", "error");

	if (strcmp(v, "pass") == 0)
		return ST_PASS;
	if (strcmp(v, "fail") == 0)
		return ST_FAIL;
	if (strcmp(v, "inconclusive") == 0)
		return ST_SKIP;
	return ST_ERROR;
}

/* A walk over an experiment's test cases: the journal's walk (journal.h), each item
 * turned into its test cases for fn. */
struct case_walk {
	tc_fn fn;
	void *arg;
	bool any_error;
};

static int emit(struct case_walk *w, const json_t *e, enum tc_kind kind, enum tc_status st,
		const json_t *item)
{
	struct tcase tc = { .kind = kind, .status = st, .item = item };

	w->any_error |= st == ST_ERROR;
	return w->fn(w->arg, e, &tc);
}

static int visit_check(void *arg, const json_t *e, const json_t *check, size_t index)
{
	(void)index;
	return emit(arg, e, TC_CHECK, check_status(check), check);
}

static int visit_fault(void *arg, const json_t *e, const json_t *fault, size_t index)
{
	const json_t *rev = fl_journal_object(fault, "revert");
	const char *res = fl_journal_str_or(fl_journal_object(fault, "inject"), "result", "");
	int r;

	(void)index;
	r = emit(arg, e, TC_INJECT, strcmp(res, "ok") == 0 ? ST_PASS : ST_ERROR, fault);
	if (r < 0 || !rev)
		return r;
	res = fl_journal_str_or(rev, "result", "");
	return emit(arg, e, TC_REVERT,
		    strcmp(res, "ok") == 0	  ? ST_PASS
		    : strcmp(res, "skipped") == 0 ? ST_SKIP
						  : ST_ERROR,
		    fault);
}

static int visit_abort(void *arg, const json_t *e, const json_t *abort_, size_t index)
{
	(void)abort_, (void)index;
	return emit(arg, e, TC_ABORT, ST_FAIL, NULL);
}

/* All leftovers are one test case: emitted at the first. */
static int visit_leftover(void *arg, const json_t *e, const json_t *leftover, size_t index)
{
	(void)leftover;
	return index == 0 ? emit(arg, e, TC_LEFTOVERS, ST_FAIL, NULL) : 0;
}

/* Call fn for every test case of experiment e, in document order. */
static int walk(const json_t *e, tc_fn fn, void *arg)
{
	static const struct fl_journal_visit visit = { .check = visit_check,
						       .fault = visit_fault,
						       .abort = visit_abort,
						       .leftover = visit_leftover };
	struct case_walk w = { .fn = fn, .arg = arg };
	int r;

	if ((r = fl_journal_walk(e, &visit, &w)) < 0)
		return r;
	if (strcmp(fl_journal_str_or(e, "outcome", ""), "error") == 0 && !w.any_error)
		return emit(&w, e, TC_EXPERIMENT, ST_ERROR, NULL);
	return 0;
}

static int count_one(void *arg, const json_t *e, const struct tcase *tc)
{
	struct counts *c = arg;

	(void)e;
	c->tests++;
	c->failures += tc->status == ST_FAIL;
	c->errors += tc->status == ST_ERROR;
	c->skipped += tc->status == ST_SKIP;
	return 0;
}

/* Milliseconds as JUnit seconds with 3 decimals ("12.345"); negative spans count as 0. */
static void put_secs(FILE *out, int64_t ms)
{
	if (ms < 0)
		ms = 0;
	fprintf(out, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
}

static void put_number(FILE *out, const json_t *v)
{
	if (json_is_integer(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%.10g", json_real_value(v));
	else if (json_is_string(v))
		fl_xml_text(out, json_string_value(v));
}

/* The samples behind a check: how many, their verdicts, and the metric's range. */
static void put_samples_summary(FILE *out, const json_t *e, const json_t *check)
{
	const char *probe = fl_journal_str_or(check, "probe", ""),
		   *phase = fl_journal_str_or(check, "phase", ""),
		   *metric = fl_journal_str(check, "metric");
	long n = 0, npass = 0, nfail = 0, nincon = 0, nerr = 0, nnum = 0;
	double lo = 0, hi = 0;
	const json_t *s;
	size_t i;

	json_array_foreach(fl_journal_array(e, "samples"), i, s)
	{
		const char *v = fl_journal_str(s, "verdict");
		double d;

		if (strcmp(fl_journal_str_or(s, "probe", ""), probe) != 0 ||
		    strcmp(fl_journal_str_or(s, "phase", ""), phase) != 0)
			continue;
		n++;
		if (!v)
			nerr += fl_journal_str(s, "error") != NULL;
		else if (strcmp(v, "pass") == 0)
			npass++;
		else if (strcmp(v, "fail") == 0)
			nfail++;
		else if (strcmp(v, "inconclusive") == 0)
			nincon++;
		else
			nerr++;
		if (metric && fl_journal_num(fl_journal_object(s, "values"), metric, &d)) {
			lo = nnum == 0 || d < lo ? d : lo;
			hi = nnum == 0 || d > hi ? d : hi;
			nnum++;
		}
	}
	fprintf(out, "samples: %ld in phase ", n);
	fl_xml_text(out, phase);
	fprintf(out, " (%ld pass, %ld fail, %ld inconclusive, %ld error)", npass, nfail, nincon,
		nerr);
	if (nnum) {
		fputs("; ", out);
		fl_xml_text(out, metric);
		fprintf(out, " min %.10g, max %.10g", lo, hi);
	}
	fputc('\n', out);
}

static void put_check_detail(FILE *out, const json_t *e, const json_t *check)
{
	const json_t *observed = json_object_get(check, "observed");
	const char *s;

	fputs("probe: ", out);
	fl_xml_text(out, fl_journal_str_or(check, "probe", "?"));
	fputs(" (", out);
	fl_xml_text(out, fl_journal_str_or(check, "type", "?"));
	fputs(")\n", out);
	if ((s = fl_journal_str(check, "rule"))) {
		fputs("rule: ", out);
		fl_xml_text(out, s);
		fputc('\n', out);
	}
	if (observed) {
		fputs("observed: ", out);
		if ((s = fl_journal_str(check, "metric"))) {
			fl_xml_text(out, s);
			fputs(" = ", out);
		}
		put_number(out, observed);
		fputc('\n', out);
	}
	put_samples_summary(out, e, check);
}

/* <failure|error|skipped message="..." type="...">body</...> */
static void open_status(FILE *out, enum tc_status st, const char *message, const char *type)
{
	static const char *const tag[] = {
		[ST_FAIL] = "failure", [ST_ERROR] = "error", [ST_SKIP] = "skipped"
	};

	fprintf(out, "      <%s message=\"", tag[st]);
	fl_xml_attr(out, message);
	fputs("\" type=\"", out);
	fl_xml_attr(out, type);
	fputs("\">", out);
}

static void close_status(FILE *out, enum tc_status st)
{
	static const char *const tag[] = {
		[ST_FAIL] = "failure", [ST_ERROR] = "error", [ST_SKIP] = "skipped"
	};

	fprintf(out, "</%s>\n", tag[st]);
}

static void open_case(FILE *out, const json_t *e, const char *a, const char *b, const char *c,
		      const char *d, int64_t ms)
{
	fputs("    <testcase name=\"", out);
	fl_xml_attr(out, a);
	fl_xml_attr(out, b);
	fl_xml_attr(out, c);
	fl_xml_attr(out, d);
	fputs("\" classname=\"", out);
	fl_xml_attr(out, fl_journal_str_or(e, "name", ""));
	fputs("\" time=\"", out);
	put_secs(out, ms);
	fputs("\"", out);
}

static int put_fault_detail(FILE *out, const json_t *fault, const json_t *res)
{
	const json_t *req = json_object_get(fault, "request");
	char wire[1024];
	const char *s;

	fputs("fault: ", out);
	fl_xml_text(out, fl_journal_str_or(fault, "name", "?"));
	fputs(" (", out);
	fl_xml_text(out, fl_journal_str_or(fault, "kind", "?"));
	fputs(")\ntarget: ", out);
	fl_xml_text(out, fl_journal_str_or(fault, "target", "?"));
	fputs("\nagent: ", out);
	fl_xml_text(out, fl_journal_str_or(fault, "agent", "?"));
	if ((s = fl_journal_str(fault, "mechanism"))) {
		fputs("\nmechanism: ", out);
		fl_xml_text(out, s);
	}
	if ((s = fl_journal_str(fault, "id"))) {
		fputs("\nid: ", out);
		fl_xml_text(out, s);
	}
	if ((s = fl_journal_str(res, "reason"))) {
		fputs("\nreason: ", out);
		fl_xml_text(out, s);
	}
	if ((s = fl_journal_str(res, "message"))) {
		fputs("\nmessage: ", out);
		fl_xml_text(out, s);
	}
	fl_report_wire(fault, wire, sizeof(wire));
	if (wire[0]) {
		fputs("\n", out);
		fl_xml_text(out, wire);
	}
	if (req) {
		_cleanup_(fl_freep) char *text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);

		if (!text)
			return -ENOMEM;
		fputs("\nrequest: ", out);
		fl_xml_text(out, text);
	}
	fputc('\n', out);
	return 0;
}

/* The end of a test case that is not self-closed. */
static void close_case(FILE *out)
{
	fputs("    </testcase>\n", out);
}

/* A check: self-closed when it passed, else its <failure|error|skipped> with the detail. */
static void write_check_case(FILE *out, const json_t *e, const struct tcase *tc)
{
	const json_t *x = tc->item;

	open_case(out, e, fl_journal_str_or(x, "probe", "?"), " [",
		  fl_journal_str_or(x, "phase", "?"), "]", fl_journal_int(x, "durationMs", 0));
	if (tc->status == ST_PASS) {
		fputs("/>\n", out);
		return;
	}
	fputs(">\n", out);
	open_status(out, tc->status, fl_journal_str_or(x, "message", ""),
		    fl_journal_str_or(x, "verdict", "error"));
	put_check_detail(out, e, x);
	close_status(out, tc->status);
	close_case(out);
}

/* A fault's inject or revert: self-closed when it passed (unless the agent measured the
 * wire), else its <error|skipped> with the fault's detail. */
static int write_fault_case(FILE *out, const json_t *e, const struct tcase *tc)
{
	const json_t *x = tc->item, *res;
	bool inject = tc->kind == TC_INJECT;
	char msg[1024];
	int r;

	res = fl_journal_object(x, inject ? "inject" : "revert");
	open_case(out, e, inject ? "inject " : "revert ", fl_journal_str_or(x, "name", "?"), " on ",
		  fl_journal_str_or(x, "target", "?"), fl_journal_int(res, "durationMs", 0));
	if (tc->status == ST_PASS && inject && json_object_get(x, "wire")) {
		/* What the agent measured on the wire: baseline vs faulted. */
		fl_report_wire(x, msg, sizeof(msg));
		fputs(">\n      <system-out>", out);
		fl_xml_text(out, msg);
		fputs("</system-out>\n", out);
		close_case(out);
		return 0;
	}
	if (tc->status == ST_PASS) {
		fputs("/>\n", out);
		return 0;
	}
	fputs(">\n", out);
	if (fl_journal_str(res, "message"))
		(void)snprintf(msg, sizeof(msg), "%s", fl_journal_str(res, "message"));
	else
		(void)snprintf(msg, sizeof(msg), "%s %s", inject ? "inject" : "revert",
			       fl_journal_str_or(res, "result", "failed"));
	open_status(out, tc->status, msg, inject ? "inject" : "revert");
	r = put_fault_detail(out, x, res);
	if (r < 0)
		return r;
	close_status(out, tc->status);
	close_case(out);
	return 0;
}

/* "abort": a <failure> with the abort's message, probe, time and the experiment's error. */
static void write_abort_case(FILE *out, const json_t *e)
{
	const json_t *res = fl_journal_object(e, "abort");

	open_case(out, e, "abort", "", "", "", 0);
	fputs(">\n", out);
	open_status(out, ST_FAIL,
		    fl_journal_str_or(res, "message",
				      fl_journal_str_or(e, "error", "experiment aborted")),
		    "abort");
	if (fl_journal_str(res, "probe")) {
		fputs("probe: ", out);
		fl_xml_text(out, fl_journal_str(res, "probe"));
		fputc('\n', out);
	}
	if (res) {
		char when[40];

		fl_journal_format_time(fl_journal_int(res, "atMs", 0), true, when, sizeof(when));
		fprintf(out, "at: %s\n", when);
	}
	if (fl_journal_str(e, "error")) {
		fputs("error: ", out);
		fl_xml_text(out, fl_journal_str(e, "error"));
		fputc('\n', out);
	}
	close_status(out, ST_FAIL);
	close_case(out);
}

/* "leftovers": a <failure> listing the faults the agents still hold. */
static void write_leftovers_case(FILE *out, const json_t *e)
{
	const json_t *leftovers = fl_journal_array(e, "leftovers"), *l;
	size_t i, n = json_array_size(leftovers);
	char msg[1024];

	open_case(out, e, "leftovers", "", "", "", 0);
	fputs(">\n", out);
	(void)snprintf(msg, sizeof(msg), "%zu fault%s still held by the agents after the run", n,
		       n == 1 ? "" : "s");
	open_status(out, ST_FAIL, msg, "leftovers");
	json_array_foreach(leftovers, i, l)
	{
		fl_report_leftover(l, out, fl_xml_text);
		fputc('\n', out);
	}
	close_status(out, ST_FAIL);
	close_case(out);
}

/* "experiment": an <error> for an experiment that errored with no other case saying so. */
static void write_experiment_case(FILE *out, const json_t *e)
{
	open_case(out, e, "experiment", "", "", "",
		  fl_journal_int(e, "finishedMs", 0) - fl_journal_int(e, "startedMs", 0));
	fputs(">\n", out);
	open_status(out, ST_ERROR, fl_journal_str_or(e, "error", "experiment failed"), "error");
	fputs("file: ", out);
	fl_xml_text(out, fl_journal_str_or(e, "file", "?"));
	fputc('\n', out);
	close_status(out, ST_ERROR);
	close_case(out);
}

static int write_case(void *arg, const json_t *e, const struct tcase *tc)
{
	FILE *out = arg;

	switch (tc->kind) {
	case TC_CHECK:
		write_check_case(out, e, tc);
		break;
	case TC_INJECT:
	case TC_REVERT:
		return write_fault_case(out, e, tc);
	case TC_ABORT:
		write_abort_case(out, e);
		break;
	case TC_LEFTOVERS:
		write_leftovers_case(out, e);
		break;
	case TC_EXPERIMENT:
		write_experiment_case(out, e);
		break;
	}
	return 0;
}

static void put_property(FILE *out, const char *name, const char *value)
{
	if (!value)
		return;
	fputs("      <property name=\"", out);
	fl_xml_attr(out, name);
	fputs("\" value=\"", out);
	fl_xml_attr(out, value);
	fputs("\"/>\n", out);
}

static int write_suite(FILE *out, const json_t *journal, const json_t *e, size_t index)
{
	const json_t *run = fl_journal_object(journal, "run");
	int64_t start = fl_journal_int(e, "startedMs", 0);
	struct counts c = { 0 };
	char when[40], seed[32];
	int r;

	r = walk(e, count_one, &c);
	if (r < 0)
		return r;
	fputs("  <testsuite name=\"", out);
	fl_xml_attr(out, fl_journal_str_or(e, "name", ""));
	fprintf(out, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" skipped=\"%ld\" time=\"",
		c.tests, c.failures, c.errors, c.skipped);
	put_secs(out, fl_journal_int(e, "finishedMs", 0) - start);
	fl_journal_format_time(start, false, when, sizeof(when));
	fprintf(out, "\" timestamp=\"%s\" hostname=\"", when);
	fl_xml_attr(out, fl_journal_str_or(run, "host", ""));
	fprintf(out, "\" id=\"%zu\" package=\"", index);
	fl_xml_attr(out, fl_journal_str_or(run, "suite", ""));
	fputs("\" file=\"", out);
	fl_xml_attr(out, fl_journal_str_or(e, "file", ""));
	fputs("\">\n    <properties>\n", out);
	fl_journal_seed(journal, seed, sizeof(seed));
	put_property(out, "seed", seed);
	put_property(out, "faultline.version", fl_journal_str(journal, "faultline"));
	put_property(out, "librdkafka.version", fl_journal_str(journal, "librdkafka"));
	put_property(out, "run.id", fl_journal_str(run, "id"));
	put_property(out, "run.outcome", fl_journal_str(run, "outcome"));
	put_property(out, "outcome", fl_journal_str(e, "outcome"));
	put_property(out, "description", fl_journal_str(e, "description"));
	fputs("    </properties>\n", out);
	r = walk(e, write_case, out);
	if (r < 0)
		return r;
	fputs("    <system-out>", out);
	r = fl_report_timeline(e, out, fl_xml_text);
	if (r < 0)
		return r;
	fputs("</system-out>\n  </testsuite>\n", out);
	return 0;
}

int fl_junit_write(const json_t *journal, FILE *out, struct fl_diag *diag)
{
	const json_t *run, *e, *experiments;
	struct counts total = { 0 };
	size_t i;
	int r;

	r = fl_journal_check(journal, diag);
	if (r < 0)
		return r;
	run = fl_journal_object(journal, "run");
	experiments = fl_journal_array(journal, "experiments");
	json_array_foreach(experiments, i, e)
	{
		r = walk(e, count_one, &total);
		if (r < 0)
			return r;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
	fl_xml_attr(out, fl_journal_str_or(run, "suite", ""));
	fprintf(out, "\" tests=\"%ld\" failures=\"%ld\" errors=\"%ld\" time=\"", total.tests,
		total.failures, total.errors);
	put_secs(out, fl_journal_int(run, "finishedMs", 0) - fl_journal_int(run, "startedMs", 0));
	fputs("\">\n", out);
	json_array_foreach(experiments, i, e)
	{
		r = write_suite(out, journal, e, i);
		if (r < 0)
			return fl_diag_set(diag, r, "out of memory writing the JUnit report");
	}
	fputs("</testsuites>\n", out);
	if (fflush(out) != 0 || ferror(out)) {
		r = fl_report_stream_error();
		return fl_diag_set(diag, r, "writing %s: %s", "the JUnit report", strerror(-r));
	}
	return 0;
}
