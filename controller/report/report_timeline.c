/* SPDX-License-Identifier: MIT */
/* The timeline of an experiment (report.h: fl_report_timeline), shared by the text and HTML
 * reports: the journal's events in time order, one line each; and the lines for a leftover
 * and a wire check. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "report.h"

/* ---- timeline ------------------------------------------------------------------------ */

enum ev_kind {
	EV_START,
	EV_CHECK,
	EV_INJECT,
	EV_REVERT,
	EV_HOOK,
	EV_SAMPLE,
	EV_ABORT,
	EV_LEFTOVER,
	EV_FINISH,
};

struct ev {
	int64_t at;
	size_t seq; /* insertion order breaks ties: qsort is not stable */
	enum ev_kind kind;
	const json_t *item;
};

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool sample_notable(const json_t *s)
{
	const char *v = fl_journal_str(s, "verdict");

	return fl_journal_str(s, "error") || (v && strcmp(v, "pass") != 0);
}

/* A value from a sample for a line of text: 812.5, "STALL". */
static void put_value(FILE *out, const json_t *v, void (*escape)(FILE *, const char *))
{
	if (json_is_string(v))
		escape(out, json_string_value(v));
	else if (json_is_integer(v))
		fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		fprintf(out, "%.10g", json_real_value(v));
	else if (json_is_true(v) || json_is_false(v))
		fputs(json_is_true(v) ? "true" : "false", out);
	else
		fputs("null", out);
}

typedef void (*escape_fn)(FILE *out, const char *s);

/* sep then s, when the journal has s: the optional tails of a timeline line. */
static void put_opt(FILE *out, const char *sep, const char *s, escape_fn escape)
{
	if (s) {
		fputs(sep, out);
		escape(out, s);
	}
}

static void put_start(FILE *out, const json_t *e, escape_fn escape)
{
	fputs("experiment ", out);
	escape(out, fl_journal_str_or(e, "name", "?"));
	fputs(" started (", out);
	escape(out, fl_journal_str_or(e, "file", "?"));
	fputs(")", out);
}

static void put_check(FILE *out, const json_t *x, escape_fn escape)
{
	fputs("check ", out);
	escape(out, fl_journal_str_or(x, "probe", "?"));
	fputs(" [", out);
	escape(out, fl_journal_str_or(x, "phase", "?"));
	fputs("]: ", out);
	escape(out, fl_journal_str_or(x, "verdict", "?"));
	put_opt(out, ": ", fl_journal_str(x, "message"), escape);
}

static void put_inject(FILE *out, const json_t *x, escape_fn escape)
{
	const json_t *sub = fl_journal_object(x, "inject");
	char wire[1024];

	fputs("inject ", out);
	escape(out, fl_journal_str_or(x, "name", "?"));
	fputs(" (", out);
	escape(out, fl_journal_str_or(x, "kind", "?"));
	fputs(") on ", out);
	escape(out, fl_journal_str_or(x, "target", "?"));
	fputs(" via ", out);
	escape(out, fl_journal_str_or(x, "agent", "?"));
	put_opt(out, ", ", fl_journal_str(x, "mechanism"), escape);
	put_opt(out, ", id ", fl_journal_str(x, "id"), escape);
	fputs(": ", out);
	escape(out, fl_journal_str_or(sub, "result", "?"));
	put_opt(out, ": ", fl_journal_str(sub, "message"), escape);
	fl_report_wire(x, wire, sizeof(wire));
	if (wire[0]) {
		fputs(" — ", out);
		escape(out, wire);
	}
}

static void put_revert(FILE *out, const json_t *x, escape_fn escape)
{
	const json_t *sub = fl_journal_object(x, "revert");
	const char *s;

	fputs("revert ", out);
	escape(out, fl_journal_str_or(x, "name", "?"));
	fputs(" on ", out);
	escape(out, fl_journal_str_or(x, "target", "?"));
	fputs(": ", out);
	escape(out, fl_journal_str_or(sub, "result", "?"));
	if ((s = fl_journal_str(sub, "reason"))) {
		fputs(" (", out);
		escape(out, s);
		fputs(")", out);
	}
	put_opt(out, ": ", fl_journal_str(sub, "message"), escape);
}

static void put_hook(FILE *out, const json_t *x, escape_fn escape)
{
	fputs("hook ", out);
	escape(out, fl_journal_str_or(x, "name", "?"));
	fputs(" ", out);
	escape(out, fl_journal_str_or(x, "event", "?"));
	fputs(": ", out);
	escape(out, fl_journal_str_or(x, "result", "?"));
	put_opt(out, ": ", fl_journal_str(x, "message"), escape);
}

static void put_sample(FILE *out, const json_t *x, escape_fn escape)
{
	const char *key;
	const json_t *v;
	bool first = true;

	fputs("sample ", out);
	escape(out, fl_journal_str_or(x, "probe", "?"));
	fputs(" [", out);
	escape(out, fl_journal_str_or(x, "phase", "?"));
	fputs("]: ", out);
	escape(out, fl_journal_str_or(x, "verdict", "error"));
	json_object_foreach((json_t *)fl_journal_object(x, "values"), key, v)
	{
		fputs(first ? ": " : ", ", out);
		first = false;
		escape(out, key);
		fputs(" ", out);
		put_value(out, v, escape);
	}
	put_opt(out, ": ", fl_journal_str(x, "error"), escape);
}

static void put_abort(FILE *out, const json_t *x, escape_fn escape)
{
	const char *s;

	fputs("ABORT", out);
	if ((s = fl_journal_str(x, "probe"))) {
		fputs(" (probe ", out);
		escape(out, s);
		fputs(")", out);
	}
	fputs(": ", out);
	escape(out, fl_journal_str_or(x, "message", "aborted"));
}

static void put_finish(FILE *out, const json_t *e, escape_fn escape)
{
	fputs("experiment finished: ", out);
	escape(out, fl_journal_str_or(e, "outcome", "?"));
	put_opt(out, ": ", fl_journal_str(e, "error"), escape);
}

/* e is the experiment, ev->item the event's own object (the experiment for start and finish). */
static void put_event(FILE *out, const json_t *e, const struct ev *ev, escape_fn escape)
{
	const json_t *x = ev->item;

	switch (ev->kind) {
	case EV_START:
		put_start(out, e, escape);
		break;
	case EV_CHECK:
		put_check(out, x, escape);
		break;
	case EV_INJECT:
		put_inject(out, x, escape);
		break;
	case EV_REVERT:
		put_revert(out, x, escape);
		break;
	case EV_HOOK:
		put_hook(out, x, escape);
		break;
	case EV_SAMPLE:
		put_sample(out, x, escape);
		break;
	case EV_ABORT:
		put_abort(out, x, escape);
		break;
	case EV_LEFTOVER:
		fputs("LEFTOVER ", out);
		fl_report_leftover(x, out, escape);
		break;
	case EV_FINISH:
		put_finish(out, e, escape);
		break;
	}
}

void fl_report_leftover(const json_t *l, FILE *out, void (*escape)(FILE *out, const char *s))
{
	fputs("agent ", out);
	escape(out, fl_journal_str_or(l, "agent", "?"));
	fputs(": fault ", out);
	escape(out, fl_journal_str_or(l, "id", "?"));
	fputs(" (", out);
	escape(out, fl_journal_str_or(l, "kind", "?"));
	fputs(", ", out);
	escape(out, fl_journal_str_or(l, "state", "?"));
	fputs(")", out);
	if (fl_journal_str(l, "message")) {
		fputs(": ", out);
		escape(out, fl_journal_str(l, "message"));
	}
}

void fl_report_wire(const json_t *fault, char *buf, size_t size)
{
	const json_t *w = json_object_get(fault, "wire"), *d;
	size_t i, o;
	int n;

	buf[0] = '\0';
	if (!json_is_object(w) || size == 0)
		return;
	n = snprintf(buf, size, "wire check %s:", fl_journal_str_or(w, "verdict", "?"));
	o = n > 0 ? FL_MIN((size_t)n, size - 1) : 0;
	json_array_foreach(json_object_get(w, "destinations"), i, d)
	{
		const json_t *before = json_object_get(d, "baselineMs");
		const json_t *after = json_object_get(d, "faultedMs");
		const char *failed = fl_journal_str(d, "faulted");
		char b[32] = "-", a[192] = "";

		if (json_is_number(before))
			(void)snprintf(b, sizeof(b), "%.2f ms", json_number_value(before));
		if (json_is_number(after))
			(void)snprintf(a, sizeof(a), "%.2f ms after%s%s%s",
				       json_number_value(after), failed ? " (" : "",
				       failed ? failed : "", failed ? ")" : "");
		else if (failed)
			(void)snprintf(a, sizeof(a), "%s", failed);
		else
			(void)snprintf(a, sizeof(a), "not measured after");
		n = snprintf(buf + o, size - o, "%s %s %s before, %s", i ? ";" : "",
			     fl_journal_str_or(d, "to", "?"), b, a);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
}

/* The experiment's events as a journal walk collects them, before sorting by time. */
struct events {
	struct ev *evs;
	size_t n;
	int64_t start, end; /* the experiment's: the time of an item without one */
};

static void add(struct events *v, int64_t at, enum ev_kind kind, const json_t *item)
{
	v->evs[v->n] = (struct ev){ .at = at, .seq = v->n, .kind = kind, .item = item };
	v->n++;
}

static int add_check(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;

	(void)e, (void)index;
	add(v, fl_journal_int(x, "atMs", v->start), EV_CHECK, x);
	return 0;
}

static int add_fault(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;
	const json_t *rev = fl_journal_object(x, "revert");

	(void)e, (void)index;
	add(v, fl_journal_int(fl_journal_object(x, "inject"), "atMs", v->start), EV_INJECT, x);
	if (rev)
		add(v, fl_journal_int(rev, "atMs", v->end), EV_REVERT, x);
	return 0;
}

static int add_hook(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;

	(void)e, (void)index;
	add(v, fl_journal_int(x, "atMs", v->start), EV_HOOK, x);
	return 0;
}

static int add_sample(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;

	(void)e, (void)index;
	if (sample_notable(x))
		add(v, fl_journal_int(x, "atMs", v->start), EV_SAMPLE, x);
	return 0;
}

/* An abort without its record (outcome "aborted" only) has no time: not drawn. */
static int add_abort(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;

	(void)e, (void)index;
	if (x)
		add(v, fl_journal_int(x, "atMs", v->end), EV_ABORT, x);
	return 0;
}

static int add_leftover(void *arg, const json_t *e, const json_t *x, size_t index)
{
	struct events *v = arg;

	(void)e, (void)index;
	add(v, v->end, EV_LEFTOVER, x);
	return 0;
}

int fl_report_timeline(const json_t *e, FILE *out, void (*escape)(FILE *out, const char *s))
{
	static const struct fl_journal_visit visit = { .check = add_check,
						       .fault = add_fault,
						       .hook = add_hook,
						       .sample = add_sample,
						       .abort = add_abort,
						       .leftover = add_leftover };
	struct events v = { .start = fl_journal_int(e, "startedMs", 0),
			    .end = fl_journal_int(e, "finishedMs", 0) };
	_cleanup_(fl_freep) struct ev *evs = NULL;
	size_t n, i;

	/* start, finish, the abort, and at most two events per fault */
	n = 3 + json_array_size(fl_journal_array(e, "checks")) +
	    2 * json_array_size(fl_journal_array(e, "faults")) +
	    json_array_size(fl_journal_array(e, "hooks")) +
	    json_array_size(fl_journal_array(e, "samples")) +
	    json_array_size(fl_journal_array(e, "leftovers"));
	evs = v.evs = calloc(n, sizeof(*evs));
	if (!evs)
		return -ENOMEM;
	add(&v, v.start, EV_START, e);
	(void)fl_journal_walk(e, &visit, &v);
	add(&v, v.end, EV_FINISH, e);
	n = v.n;
	qsort(evs, n, sizeof(*evs), ev_cmp);

	for (i = 0; i < n; i++) {
		char when[32];
		int64_t off = evs[i].at - v.start;

		fl_journal_format_time(evs[i].at, true, when, sizeof(when));
		/* "2026-11-28T14:30:11.000Z" -> "14:30:11.000Z" (UTC, said by the Z) */
		fprintf(out, "%s  %s%" PRId64 ".%03" PRId64 "s  ",
			strlen(when) > 11 ? when + 11 : when, off < 0 ? "-" : "+",
			(off < 0 ? -off : off) / 1000, (off < 0 ? -off : off) % 1000);
		put_event(out, e, &evs[i], escape);
		fputc('\n', out);
	}
	return 0;
}
