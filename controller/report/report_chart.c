/* SPDX-License-Identifier: MIT */
/*
 * The HTML report's timeline chart (report_internal.h): one inline SVG per experiment with
 * throughput and consumer lag over time, the fault windows shaded and the abort marked.
 * Everything from the journal is escaped (xmlesc.h).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fl/macro.h"
#include "journal.h"
#include "report_internal.h"
#include "xmlesc.h"

#define esc(out, s) fl_xml_text(out, s)

/* The chart: data series are probes of type kafka.throughput (metric rate) and
 * kafka.consumerLag (lag.max, lag.sum). A sample's type comes from the sample itself
 * ("type", optional) or from the first check of its probe. */
#define CHART_W	     960
#define CHART_H	     300
#define CHART_L	     70
#define CHART_R	     70
#define CHART_T	     34
#define CHART_B	     36
#define CHART_SERIES 16

enum series_kind { SK_TPUT, SK_LAG };

struct series {
	const char *probe;
	enum series_kind kind;
};

struct chart {
	int64_t t0, t1;
	double tmax, lmax; /* throughput and lag axis maxima */
	struct series s[CHART_SERIES];
	unsigned n;
};

static const char *probe_type(const json_t *e, const json_t *sample)
{
	const char *probe = fl_journal_str_or(sample, "probe", ""), *t;
	const json_t *k;
	size_t i;

	if ((t = fl_journal_str(sample, "type")))
		return t;
	json_array_foreach(fl_journal_array(e, "checks"), i, k)
	{
		if (strcmp(fl_journal_str_or(k, "probe", ""), probe) == 0)
			return fl_journal_str(k, "type");
	}
	return NULL;
}

/* 1, 2, 5 x 10^k at or above v (axis maxima that read well). */
static double nice_max(double v)
{
	double p = 1;

	if (v <= 0)
		return 1;
	while (p * 10 <= v)
		p *= 10;
	while (p > v * 10)
		p /= 10;
	for (;;) {
		if (p >= v)
			return p;
		if (2 * p >= v)
			return 2 * p;
		if (5 * p >= v)
			return 5 * p;
		p *= 10;
	}
}

static void chart_scan(const json_t *e, struct chart *c)
{
	const json_t *s;
	size_t i;

	c->t0 = fl_journal_int(e, "startedMs", 0);
	c->t1 = FL_MAX(fl_journal_int(e, "finishedMs", 0), c->t0 + 1);
	json_array_foreach(fl_journal_array(e, "samples"), i, s)
	{
		const char *type = probe_type(e, s), *probe = fl_journal_str_or(s, "probe", "");
		const json_t *values = fl_journal_object(s, "values");
		enum series_kind kind;
		double d;
		unsigned j;

		if (type && strcmp(type, "kafka.throughput") == 0)
			kind = SK_TPUT;
		else if (type && strcmp(type, "kafka.consumerLag") == 0)
			kind = SK_LAG;
		else
			continue;
		if (kind == SK_TPUT && fl_journal_num(values, "rate", &d))
			c->tmax = FL_MAX(c->tmax, d);
		if (kind == SK_LAG && fl_journal_num(values, "lag.max", &d))
			c->lmax = FL_MAX(c->lmax, d);
		if (kind == SK_LAG && fl_journal_num(values, "lag.sum", &d))
			c->lmax = FL_MAX(c->lmax, d);
		for (j = 0; j < c->n; j++)
			if (strcmp(c->s[j].probe, probe) == 0)
				break;
		if (j == c->n && c->n < CHART_SERIES)
			c->s[c->n++] = (struct series){ .probe = probe, .kind = kind };
	}
	c->tmax = nice_max(c->tmax);
	c->lmax = nice_max(c->lmax);
}

static double xpos(const struct chart *c, int64_t t)
{
	double x = CHART_L +
		   (double)(t - c->t0) * (CHART_W - CHART_L - CHART_R) / (double)(c->t1 - c->t0);

	return FL_MIN(FL_MAX(x, CHART_L), CHART_W - CHART_R);
}

static double ypos(double v, double max)
{
	double y = CHART_H - CHART_B - v * (CHART_H - CHART_T - CHART_B) / max;

	return FL_MIN(FL_MAX(y, CHART_T), CHART_H - CHART_B);
}

static void end_polyline(FILE *out, const struct series *sr, const char *metric)
{
	fputs("\"><title>", out);
	esc(out, sr->probe);
	fprintf(out, " %s</title></polyline>\n", metric);
}

/*
 * One polyline per run of samples: where two samples are further apart than gap_ms, the
 * line stops (nothing was measured in between, so nothing is drawn there).
 */
static void put_polyline(FILE *out, const json_t *e, const struct chart *c, const struct series *sr,
			 const char *metric, const char *cls, int64_t gap_ms)
{
	const json_t *s;
	size_t i;
	bool any = false;
	int64_t last = 0;

	json_array_foreach(fl_journal_array(e, "samples"), i, s)
	{
		int64_t at = fl_journal_int(s, "atMs", c->t0);
		double d;

		if (strcmp(fl_journal_str_or(s, "probe", ""), sr->probe) != 0 ||
		    !fl_journal_num(fl_journal_object(s, "values"), metric, &d))
			continue;
		if (any && at - last > gap_ms) {
			end_polyline(out, sr, metric);
			any = false;
		}
		if (!any) {
			fprintf(out, "<polyline class=\"%s\" points=\"", cls);
			any = true;
		}
		fprintf(out, "%.1f,%.1f ", xpos(c, at),
			ypos(d, sr->kind == SK_TPUT ? c->tmax : c->lmax));
		last = at;
	}
	if (any)
		end_polyline(out, sr, metric);
}

/* Grid and axes: 5 vertical ticks (+s from start), 3 horizontal, and the axis titles. */
static void put_chart_axes(FILE *out, const struct chart *c)
{
	for (int t = 0; t <= 5; t++) {
		int64_t at = c->t0 + (c->t1 - c->t0) * t / 5;
		double x = xpos(c, at);

		fprintf(out,
			"<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">+%" PRId64 "s</text>\n",
			x, CHART_T, x, CHART_H - CHART_B, x, CHART_H - CHART_B + 16,
			(at - c->t0) / 1000);
	}
	for (int t = 0; t <= 2; t++) {
		double y = CHART_H - CHART_B - (double)t * (CHART_H - CHART_T - CHART_B) / 2;

		fprintf(out,
			"<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>"
			"<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.6g</text>"
			"<text x=\"%d\" y=\"%.1f\">%.6g</text>\n",
			CHART_L, y, CHART_W - CHART_R, y, CHART_L - 4, y + 4, c->tmax * t / 2,
			CHART_W - CHART_R + 4, y + 4, c->lmax * t / 2);
	}
	fprintf(out,
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>"
		"<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
		"<text x=\"%d\" y=\"%d\" fill=\"#0969da\">throughput (msg/s)</text>"
		"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">consumer lag (messages): "
		"max solid, sum dashed</text>\n",
		CHART_L, CHART_H - CHART_B, CHART_W - CHART_R, CHART_H - CHART_B, CHART_L, CHART_T,
		CHART_L, CHART_H - CHART_B, CHART_L, CHART_T - 20, CHART_W - CHART_R, CHART_T - 20);
}

/* Fault windows under the data: inject -> revert (or the end when not reverted). */
static void put_fault_windows(FILE *out, const json_t *e, const struct chart *c)
{
	const json_t *f;
	unsigned nf = 0;
	size_t i;

	json_array_foreach(fl_journal_array(e, "faults"), i, f)
	{
		const json_t *inj = fl_journal_object(f, "inject"),
			     *rev = fl_journal_object(f, "revert");
		int64_t from, to;
		double x0, x1;

		if (strcmp(fl_journal_str_or(inj, "result", ""), "ok") != 0)
			continue;
		from = fl_journal_int(inj, "atMs", c->t0);
		/* A kill has nothing to revert (revert "skipped", no time): an instant, not a
		 * window to the end of the experiment. */
		to = rev && strcmp(fl_journal_str_or(rev, "result", ""), "skipped") != 0
			     ? fl_journal_int(rev, "atMs", c->t1)
			     : from;
		x0 = xpos(c, from);
		x1 = FL_MAX(xpos(c, to), x0 + 2); /* a kill is an instant: keep it visible */
		fprintf(out,
			"<g class=\"fault\"><rect class=\"fault-window\" x=\"%.1f\" y=\"%d\" "
			"width=\"%.1f\" height=\"%d\" data-fault=\"",
			x0, CHART_T, x1 - x0, CHART_H - CHART_T - CHART_B);
		fl_xml_attr(out, fl_journal_str_or(f, "name", "?"));
		fputs("\"><title>", out);
		esc(out, fl_journal_str_or(f, "name", "?"));
		fputs(" (", out);
		esc(out, fl_journal_str_or(f, "kind", "?"));
		fputs(") on ", out);
		esc(out, fl_journal_str_or(f, "target", "?"));
		fputs("</title></rect><text class=\"fault-label\" x=\"", out);
		fprintf(out, "%.1f\" y=\"%u\">", x0 + 3, CHART_T + 12 + nf % 4 * 12);
		esc(out, fl_journal_str_or(f, "name", "?"));
		fputs("</text></g>\n", out);
		nf++;
	}
}

/* The data: one series per probe, or a note that there is none. */
static void put_chart_series(FILE *out, const json_t *e, const struct chart *c)
{
	/* Steady-state probes are observed every observeIntervalMs during the method, abort
	 * probes every abort interval: a gap of three intervals means samples are missing. */
	int64_t gap = 3 * fl_journal_int(e, "observeIntervalMs", 2000);
	for (unsigned j = 0; j < c->n; j++) {
		if (c->s[j].kind == SK_TPUT) {
			put_polyline(out, e, c, &c->s[j], "rate", "s-tput", gap);
		} else {
			put_polyline(out, e, c, &c->s[j], "lag.max", "s-lagmax", gap);
			put_polyline(out, e, c, &c->s[j], "lag.sum", "s-lagsum", gap);
		}
	}
	if (c->n == 0)
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no throughput or consumer "
			"lag samples</text>\n",
			CHART_W / 2, CHART_H / 2);
}

/* The abort, when there was one: a vertical mark at its time. */
static void put_abort_mark(FILE *out, const json_t *e, const struct chart *c)
{
	const json_t *a;

	if ((a = fl_journal_object(e, "abort"))) {
		double x = xpos(c, fl_journal_int(a, "atMs", c->t1));

		fprintf(out,
			"<line class=\"abort-mark\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\">"
			"<title>abort: ",
			x, CHART_T, x, CHART_H - CHART_B);
		esc(out, fl_journal_str_or(a, "message", ""));
		fprintf(out,
			"</title></line><text x=\"%.1f\" y=\"%d\" text-anchor=\"end\" "
			"fill=\"#cf222e\">abort</text>\n",
			x - 3, CHART_H - CHART_B - 6);
	}
}

void fl_report_html_chart(FILE *out, const json_t *e)
{
	struct chart c = { 0 };

	chart_scan(e, &c);
	fputs("<h3>Timeline</h3>\n", out);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n",
		CHART_W, CHART_H, CHART_W, CHART_H);
	put_chart_axes(out, &c);
	put_fault_windows(out, e, &c);
	put_chart_series(out, e, &c);
	put_abort_mark(out, e, &c);
	fputs("</svg>\n", out);
}
