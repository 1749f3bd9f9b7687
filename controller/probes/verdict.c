/* SPDX-License-Identifier: MIT */
/* Tolerances judged against samples (verdict.h). */
#include <errno.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ere.h"
#include "verdict.h"

const char *fl_verdict_name(enum fl_verdict_kind kind)
{
	switch (kind) {
	case FL_VERDICT_PASS:
		return "pass";
	case FL_VERDICT_FAIL:
		return "fail";
	case FL_VERDICT_INCONCLUSIVE:
		return "inconclusive";
	case FL_VERDICT_ERROR:
		return "error";
	}
	return "?";
}

/* ---- words ------------------------------------------------------------------------ */

static const struct {
	const char *metric, *human, *unit;
} known_metrics[] = {
	{ "lag.max", "consumer lag max", NULL },
	{ "lag.sum", "consumer lag sum", NULL },
	{ "rate", "throughput", "msg/s" },
	{ "underReplicated", "under-replicated partitions", NULL },
	{ "latencyMs", "latency", "ms" },
	{ "status", "status", NULL },
	{ "committed.advance", "offsets committed", NULL },
	{ "leader", "partition leader", NULL },
	{ "restarts", "container restarts", NULL },
	{ "tcp.retransmits", "TCP retransmissions", NULL },
	{ "tcp.segments", "TCP segments sent", NULL },
};

static const char *human_name(const char *metric)
{
	for (size_t i = 0; i < FL_ARRAY_SIZE(known_metrics); i++)
		if (strcmp(known_metrics[i].metric, metric) == 0)
			return known_metrics[i].human;
	return metric;
}

static const char *unit_of(const char *metric)
{
	for (size_t i = 0; i < FL_ARRAY_SIZE(known_metrics); i++)
		if (strcmp(known_metrics[i].metric, metric) == 0)
			return known_metrics[i].unit;
	return NULL;
}

/*
 * The probe types' default metrics (docs/experiments.md). experiment.h declares
 * fl_probe_default_metric() for the parser; this file keeps its own table so that verdicts
 * do not depend on the parser being linked.
 */
static const char *default_metric(enum fl_probe_type type)
{
	switch (type) {
	case FL_PROBE_KAFKA_THROUGHPUT:
		return "rate";
	case FL_PROBE_KAFKA_LAG:
		return "lag.max";
	case FL_PROBE_KAFKA_PARTITIONS:
		return "underReplicated";
	case FL_PROBE_KAFKA_E2E:
		return "latencyMs";
	case FL_PROBE_HTTP:
		return "status";
	case FL_PROBE_PROMETHEUS:
	case FL_PROBE_HOOK:
		return "value";
	case FL_PROBE_POD:
	case FL_PROBE_KUBE_RESTARTS:
		return "restarts";
	case FL_PROBE_KUBE_READY:
		return "ready";
	}
	return "value";
}

void fl_verdict_format_number(double v, char *buf, size_t size)
{
	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == trunc(v) && fabs(v) < 1e15) {
		snprintf(buf, size, "%.0f", v == 0 ? 0.0 : v);
		return;
	}
	snprintf(buf, size, "%.3f", v);
	char *dot = strchr(buf, '.');
	if (dot) {
		char *end = buf + strlen(buf);
		while (end > dot + 1 && end[-1] == '0')
			*--end = '\0';
		if (end == dot + 1)
			*dot = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, size, "0");
}

/* A bounded string builder: appends never overflow; the result is always terminated. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void sb_init(struct sbuf *sb, char *buf, size_t size)
{
	*sb = (struct sbuf){ .buf = buf, .size = size };
	buf[0] = '\0';
}

static void _printf_(2, 3) sb_add(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	if (sb->len + 1 >= sb->size)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (r > 0)
		sb->len = FL_MIN(sb->len + (size_t)r, sb->size - 1);
}

/* "648" or "648 msg/s" */
static void sb_value(struct sbuf *sb, double v, const char *unit)
{
	char num[64];

	fl_verdict_format_number(v, num, sizeof(num));
	sb_add(sb, "%s%s%s", num, unit ? " " : "", unit ? unit : "");
}

static void sb_num(struct sbuf *sb, double v)
{
	sb_value(sb, v, NULL);
}

static void format_time(uint64_t t_ms, char *buf, size_t size)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;

	if (!localtime_r(&t, &tm)) {
		snprintf(buf, size, "?");
		return;
	}
	snprintf(buf, size, "%02d:%02d:%02d", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The rule of one tolerance in words: "rate in [900, 1100] and percent change of ...". */
static void rule_words(const struct fl_tolerance *t, const char *metric, struct sbuf *sb)
{
	const char *sep = "";

	if (t->has_equals) {
		sb_add(sb, "%s == ", metric);
		sb_num(sb, t->equals);
		sep = " and ";
	}
	if (t->equals_text) {
		sb_add(sb, "%s%s == \"%s\"", sep, metric, t->equals_text);
		sep = " and ";
	}
	if (t->regex) {
		sb_add(sb, "%s%s =~ /%s/", sep, metric, t->regex);
		sep = " and ";
	}
	if (t->has_min && t->has_max) {
		sb_add(sb, "%s%s in [", sep, metric);
		sb_num(sb, t->min);
		sb_add(sb, ", ");
		sb_num(sb, t->max);
		sb_add(sb, "]");
		sep = " and ";
	} else if (t->has_min || t->has_max) {
		sb_add(sb, "%s%s %s ", sep, metric, t->has_min ? ">=" : "<=");
		sb_num(sb, t->has_min ? t->min : t->max);
		sep = " and ";
	}
	if (t->has_change_min && t->has_change_max) {
		sb_add(sb, "%spercent change of %s in [", sep, metric);
		sb_num(sb, t->change_min);
		sb_add(sb, "%%, ");
		sb_num(sb, t->change_max);
		sb_add(sb, "%%]");
		sep = " and ";
	} else if (t->has_change_min || t->has_change_max) {
		sb_add(sb, "%spercent change of %s %s ", sep, metric,
		       t->has_change_min ? ">=" : "<=");
		sb_num(sb, t->has_change_min ? t->change_min : t->change_max);
		sb_add(sb, "%%");
		sep = " and ";
	}
	if (t->has_delta_min || t->has_delta_max) {
		sb_add(sb, "%schange of %s ", sep, metric);
		if (t->has_delta_min && t->has_delta_max) {
			sb_add(sb, "in [");
			sb_num(sb, t->delta_min);
			sb_add(sb, ", ");
			sb_num(sb, t->delta_max);
			sb_add(sb, "]");
		} else {
			sb_add(sb, "%s ", t->has_delta_min ? ">=" : "<=");
			sb_num(sb, t->has_delta_min ? t->delta_min : t->delta_max);
		}
		sep = " and ";
	}
	if (t->changed) {
		sb_add(sb, "%s%s changed", sep, metric);
		sep = " and ";
	}
	if (!*sep)
		sb_add(sb, "%s present", metric);
}

/* Whole-value POSIX extended match. -EINVAL when the pattern does not compile. */
static int regex_matches(const char *pattern, const char *text)
{
	regex_t re;
	int r = fl_ere_compile_whole(&re, pattern);

	if (r == REG_ESPACE)
		return -ENOMEM;
	if (r != 0)
		return -EINVAL;
	r = regexec(&re, text, 0, NULL, 0) == 0 ? 1 : 0;
	regfree(&re);
	return r;
}

static void list_metrics(const struct fl_sample *s, struct sbuf *sb)
{
	if (s->n == 0) {
		sb_add(sb, "none");
		return;
	}
	for (unsigned i = 0; i < s->n; i++)
		sb_add(sb, "%s%s", i ? ", " : "", s->m[i].name);
}

static void set_observed(struct fl_verdict *v, const struct fl_metric *m)
{
	v->has_observed = true;
	v->observed = m->is_text ? 0 : m->value;
	snprintf(v->observed_text, sizeof(v->observed_text), "%s", m->is_text ? m->text : "");
}

/* What delta, changed and percentChange compare with (verdict.h). */
struct ref {
	const struct fl_sample *s; /* NULL: none */
	const char *what;	   /* "before-injection" | "baseline" */
};

/*
 * The reference's value of metric, or NULL with why (the message of an inconclusive
 * verdict: nothing to compare with is not a failure of the system).
 */
static const struct fl_metric *ref_metric(const struct fl_tolerance *t, const struct ref *ref,
					  const char *metric, bool numeric, char *why, size_t size)
{
	const struct fl_metric *b;
	char num[64];

	if (!ref->s) {
		snprintf(why, size, "no %s sample", ref->what);
		return NULL;
	}
	if (ref->s->err) {
		snprintf(why, size, "the %s sample failed (%s)", ref->what,
			 ref->s->error[0] ? ref->s->error : strerror(-ref->s->err));
		return NULL;
	}
	if (!(b = fl_sample_get(ref->s, metric)) || (numeric && b->is_text)) {
		snprintf(why, size, "the %s sample has no %s%s", ref->what,
			 numeric ? "numeric " : "", metric);
		return NULL;
	}
	if (numeric && !isfinite(b->value)) {
		fl_verdict_format_number(b->value, num, sizeof(num));
		snprintf(why, size, "the %s %s was %s", ref->what, metric, num);
		return NULL;
	}
	if (numeric && (t->has_change_min || t->has_change_max) && b->value == 0) {
		snprintf(why, size, "the %s %s was 0", ref->what, metric);
		return NULL;
	}
	return b;
}

/* changed: true — "partition leader 1 (baseline 0): changed". */
static enum fl_verdict_kind eval_changed(const struct fl_metric *m, const struct fl_metric *b,
					 const struct ref *ref, const char *human, const char *unit,
					 const char *when, struct sbuf *msg)
{
	/* NaN == NaN is false: without the isnan pair, "NaN (baseline NaN): changed" passed */
	bool same = m->is_text || b->is_text
			    ? m->is_text == b->is_text && strcmp(m->text, b->text) == 0
			    : m->value == b->value || (isnan(m->value) && isnan(b->value));

	sb_init(msg, msg->buf, msg->size);
	sb_add(msg, "%s ", human);
	if (m->is_text)
		sb_add(msg, "\"%s\"", m->text);
	else
		sb_value(msg, m->value, unit);
	sb_add(msg, same ? " unchanged from the %s" : " (%s ", ref->what);
	if (!same) {
		if (b->is_text)
			sb_add(msg, "\"%s\"", b->text);
		else
			sb_value(msg, b->value, unit);
		sb_add(msg, "): changed");
		return FL_VERDICT_PASS;
	}
	sb_add(msg, " at %s", when);
	return FL_VERDICT_FAIL;
}

/* delta: {min, max} — "latency.p50 412 ms: +374 ms from the baseline 38 ms, >= +160". */
static enum fl_verdict_kind eval_delta(const struct fl_tolerance *t, const struct fl_metric *m,
				       const struct fl_metric *b, const struct ref *ref,
				       const char *human, const char *unit, const char *when,
				       struct sbuf *msg)
{
	double d = m->value - b->value;
	bool low = t->has_delta_min && !(d >= t->delta_min);
	bool high = t->has_delta_max && !(d <= t->delta_max);

	sb_init(msg, msg->buf, msg->size);
	sb_add(msg, "%s ", human);
	sb_value(msg, m->value, unit);
	sb_add(msg, ": %s", d >= 0 ? "+" : "");
	sb_value(msg, d, unit);
	sb_add(msg, " from the %s ", ref->what);
	sb_value(msg, b->value, unit);
	if (low || high) {
		sb_add(msg, ", %s %s", low ? "below" : "above",
		       (low ? t->delta_min : t->delta_max) >= 0 ? "+" : "");
		sb_num(msg, low ? t->delta_min : t->delta_max);
		sb_add(msg, " at %s", when);
		return FL_VERDICT_FAIL;
	}
	if (t->has_delta_min && t->has_delta_max) {
		sb_add(msg, ", within [");
		sb_num(msg, t->delta_min);
		sb_add(msg, ", ");
		sb_num(msg, t->delta_max);
		sb_add(msg, "]");
	} else {
		sb_add(msg, ", %s %s", t->has_delta_min ? ">=" : "<=",
		       (t->has_delta_min ? t->delta_min : t->delta_max) >= 0 ? "+" : "");
		sb_num(msg, t->has_delta_min ? t->delta_min : t->delta_max);
	}
	return FL_VERDICT_PASS;
}

/* percentChange — "throughput changed -35.2% (1000 → 648 msg/s), below -20% at 12:03:41". */
static enum fl_verdict_kind eval_percent(const struct fl_tolerance *t, const struct fl_metric *m,
					 const struct fl_metric *b, const char *human,
					 const char *unit, const char *when, bool after_bounds,
					 struct sbuf *msg)
{
	double change = 100.0 * (m->value - b->value) / fabs(b->value);
	bool low = t->has_change_min && !(change >= t->change_min);
	bool high = t->has_change_max && !(change <= t->change_max);
	char pct[64];

	fl_verdict_format_number(change, pct, sizeof(pct));
	if (low || high) {
		sb_init(msg, msg->buf, msg->size);
		sb_add(msg, "%s changed", human);
	} else {
		/* after value bounds: "throughput 950 msg/s >= 900 and changed ..." */
		sb_add(msg, "%schanged", after_bounds ? " and " : " ");
	}
	sb_add(msg, " %s%s%% (", change > 0 ? "+" : "", pct);
	sb_num(msg, b->value);
	sb_add(msg, " → ");
	sb_value(msg, m->value, unit);
	sb_add(msg, ")");
	if (low || high) {
		sb_add(msg, ", %s ", low ? "below" : "above");
		sb_num(msg, low ? t->change_min : t->change_max);
		sb_add(msg, "%% at %s", when);
		return FL_VERDICT_FAIL;
	}
	if (t->has_change_min && t->has_change_max) {
		sb_add(msg, " within [");
		sb_num(msg, t->change_min);
		sb_add(msg, "%%, ");
		sb_num(msg, t->change_max);
		sb_add(msg, "%%]");
	} else {
		sb_add(msg, " %s ", t->has_change_min ? ">=" : "<=");
		sb_num(msg, t->has_change_min ? t->change_min : t->change_max);
		sb_add(msg, "%%");
	}
	return FL_VERDICT_PASS;
}

/* The rules that compare with the reference sample, after the value bounds held. */
static enum fl_verdict_kind eval_reference(const struct fl_tolerance *t, const struct fl_metric *m,
					   const struct ref *ref, const char *metric,
					   const char *human, const char *unit, const char *when,
					   bool after_bounds, struct sbuf *msg)
{
	bool numeric =
		t->has_change_min || t->has_change_max || t->has_delta_min || t->has_delta_max;
	const struct fl_metric *b;
	enum fl_verdict_kind k = FL_VERDICT_PASS;
	char why[384];

	if (!(b = ref_metric(t, ref, metric, numeric, why, sizeof(why)))) {
		sb_init(msg, msg->buf, msg->size);
		sb_add(msg, "%s: no %s: %s", human,
		       t->has_change_min || t->has_change_max ? "percent change"
		       : t->changed && !numeric		      ? "change to tell"
							      : "delta",
		       why);
		return FL_VERDICT_INCONCLUSIVE;
	}
	if (t->changed && (k = eval_changed(m, b, ref, human, unit, when, msg)) != FL_VERDICT_PASS)
		return k;
	if ((t->has_delta_min || t->has_delta_max) &&
	    (k = eval_delta(t, m, b, ref, human, unit, when, msg)) != FL_VERDICT_PASS)
		return k;
	if (t->has_change_min || t->has_change_max)
		k = eval_percent(t, m, b, human, unit, when, after_bounds, msg);
	return k;
}

/* equals (text) and regex: the message grows on pass, is replaced on fail. */
static enum fl_verdict_kind eval_text_rules(const struct fl_tolerance *t, const char *metric,
					    const char *human, const char *text, const char *when,
					    const char **sep, struct sbuf *msg)
{
	if (t->equals_text) {
		if (strcmp(text, t->equals_text) != 0) {
			sb_init(msg, msg->buf, msg->size);
			sb_add(msg, "%s \"%s\" != \"%s\" at %s", human, text, t->equals_text, when);
			return FL_VERDICT_FAIL;
		}
		sb_add(msg, "%s== \"%s\"", *sep, t->equals_text);
		*sep = " and ";
	}
	if (t->regex) {
		int r = regex_matches(t->regex, text);
		if (r < 0) {
			sb_init(msg, msg->buf, msg->size);
			sb_add(msg, "%s: regex /%s/ %s", metric, t->regex,
			       r == -ENOMEM ? "cannot be compiled: out of memory"
					    : "is not a valid POSIX extended regex");
			return FL_VERDICT_ERROR;
		}
		if (!r) {
			sb_init(msg, msg->buf, msg->size);
			sb_add(msg, "%s \"%s\" does not match /%s/ at %s", human, text, t->regex,
			       when);
			return FL_VERDICT_FAIL;
		}
		sb_add(msg, "%smatches /%s/", *sep, t->regex);
		*sep = " and ";
	}
	return FL_VERDICT_PASS;
}

/* min / max / range on a number. */
static enum fl_verdict_kind eval_bounds(const struct fl_tolerance *t, const struct fl_metric *m,
					const char *human, const char *unit, const char *when,
					const char **sep, struct sbuf *msg)
{
	bool low = t->has_min && !(m->value >= t->min);
	bool high = t->has_max && !(m->value <= t->max);

	if (!t->has_min && !t->has_max)
		return FL_VERDICT_PASS;
	if (low || high) {
		sb_init(msg, msg->buf, msg->size);
		sb_add(msg, "%s ", human);
		sb_value(msg, m->value, unit);
		if (t->has_min && t->has_max) {
			sb_add(msg, " outside [");
			sb_num(msg, t->min);
			sb_add(msg, ", ");
			sb_value(msg, t->max, NULL);
			sb_add(msg, "]%s%s", unit ? " " : "", unit ? unit : "");
		} else {
			sb_add(msg, " %s ", low ? "<" : ">");
			sb_value(msg, low ? t->min : t->max, unit);
		}
		sb_add(msg, " at %s", when);
		return FL_VERDICT_FAIL;
	}
	if (t->has_min && t->has_max) {
		sb_add(msg, "%sin [", *sep);
		sb_num(msg, t->min);
		sb_add(msg, ", ");
		sb_num(msg, t->max);
		sb_add(msg, "]%s%s", unit ? " " : "", unit ? unit : "");
	} else {
		sb_add(msg, "%s%s ", *sep, t->has_min ? ">=" : "<=");
		sb_value(msg, t->has_min ? t->min : t->max, unit);
	}
	*sep = " and ";
	return FL_VERDICT_PASS;
}

/* equals on a number: the message grows on pass, is replaced on fail. */
static enum fl_verdict_kind eval_equals(const struct fl_tolerance *t, const struct fl_metric *m,
					const char *human, const char *unit, const char *when,
					const char **sep, struct sbuf *msg)
{
	if (!t->has_equals)
		return FL_VERDICT_PASS;
	if (m->value != t->equals) {
		sb_init(msg, msg->buf, msg->size);
		sb_add(msg, "%s ", human);
		sb_value(msg, m->value, unit);
		sb_add(msg, " != ");
		sb_value(msg, t->equals, unit);
		sb_add(msg, " at %s", when);
		return FL_VERDICT_FAIL;
	}
	sb_add(msg, "%s== ", *sep);
	sb_value(msg, t->equals, unit);
	*sep = " and ";
	return FL_VERDICT_PASS;
}

/*
 * A number rule on a text metric is an error; on NaN it fails. Returns false when the
 * rules can be judged, else true with the kind in *ret and the message written.
 */
static bool numeric_misfit(const struct fl_tolerance *t, const struct fl_metric *m,
			   const char *metric, const char *human, const char *when,
			   const struct fl_verdict *v, struct sbuf *msg, enum fl_verdict_kind *ret)
{
	bool numeric_rule = t->has_equals || t->has_min || t->has_max || t->has_change_min ||
			    t->has_change_max || t->has_delta_min || t->has_delta_max;

	if (m->is_text && numeric_rule) {
		sb_add(msg, "%s is text (\"%s\") but the rule %s needs a number", metric, m->text,
		       v->rule);
		*ret = FL_VERDICT_ERROR;
		return true;
	}
	/*
	 * NaN (Prometheus' 0/0, a quantile without observations) is unordered: comparisons
	 * alone would fail a max rule as "NaN > 0.01" and a percent change as "changed NaN%".
	 * No numeric rule holds for it, and the message says why.
	 */
	if (!m->is_text && isnan(m->value) && numeric_rule) {
		sb_add(msg, "%s NaN is not a number: %s cannot hold at %s", human, v->rule, when);
		*ret = FL_VERDICT_FAIL;
		return true;
	}
	return false;
}

/* The start of the pass message: what was measured, as the rules will speak of it. */
static void pass_message_start(const struct fl_tolerance *t, const struct fl_metric *m,
			       const char *human, const char *unit, const char *text,
			       struct sbuf *msg)
{
	if (m->is_text)
		sb_add(msg, "%s \"%s\"", human, text);
	else if (t->has_equals || t->has_min || t->has_max || t->equals_text || t->regex) {
		sb_add(msg, "%s ", human);
		sb_value(msg, m->value, unit);
	} else {
		sb_add(msg, "%s", human);
	}
}

/*
 * Judge one tolerance. Fills v->metric, observed, rule and message; returns the kind.
 * On pass, message is the short pass text.
 */
static enum fl_verdict_kind eval_one(const struct fl_probe_spec *spec, const struct fl_tolerance *t,
				     const struct fl_sample *sample, const struct ref *ref,
				     const char *when, struct fl_verdict *v)
{
	const char *metric = t->metric ? t->metric : default_metric(spec->type);
	const char *human = human_name(metric), *unit = unit_of(metric);
	struct sbuf rule, msg;
	char num[64], hook_human[160];

	/* A hook's "value" is what the hook was asked for: "integrity lost 1303 != 0" says
	 * more in a JUnit failure than "value 1303 != 0". */
	if (spec->type == FL_PROBE_HOOK && strcmp(metric, "value") == 0 && spec->hook &&
	    spec->hook_metric) {
		snprintf(hook_human, sizeof(hook_human), "%s %s", spec->hook, spec->hook_metric);
		human = hook_human;
	}
	const char *text;

	snprintf(v->metric, sizeof(v->metric), "%s", metric);
	v->has_observed = false;
	v->observed = 0;
	v->observed_text[0] = '\0';
	sb_init(&rule, v->rule, sizeof(v->rule));
	rule_words(t, metric, &rule);
	sb_init(&msg, v->message, sizeof(v->message));

	const struct fl_metric *m = fl_sample_get(sample, metric);
	if (!m) {
		sb_add(&msg, "metric %s missing from the sample of probe %s (it has: ", metric,
		       spec->name ? spec->name : "?");
		list_metrics(sample, &msg);
		sb_add(&msg, ")");
		return FL_VERDICT_ERROR;
	}
	set_observed(v, m);
	enum fl_verdict_kind k;
	if (numeric_misfit(t, m, metric, human, when, v, &msg, &k))
		return k;
	if (m->is_text) {
		text = m->text;
	} else {
		fl_verdict_format_number(m->value, num, sizeof(num));
		text = num;
	}

	/* The pass message grows as each bound holds; a failing bound replaces it. */
	const char *sep = " ";
	pass_message_start(t, m, human, unit, text, &msg);
	if ((k = eval_equals(t, m, human, unit, when, &sep, &msg)) != FL_VERDICT_PASS ||
	    (k = eval_text_rules(t, metric, human, text, when, &sep, &msg)) != FL_VERDICT_PASS ||
	    (k = eval_bounds(t, m, human, unit, when, &sep, &msg)) != FL_VERDICT_PASS)
		return k;
	if (t->has_change_min || t->has_change_max || t->has_delta_min || t->has_delta_max ||
	    t->changed)
		return eval_reference(t, m, ref, metric, human, unit, when, strcmp(sep, " ") != 0,
				      &msg);
	return FL_VERDICT_PASS;
}

static const char *no_data_name(enum fl_no_data nd)
{
	switch (nd) {
	case FL_NODATA_PASS:
		return "pass";
	case FL_NODATA_FAIL:
		return "fail";
	case FL_NODATA_INCONCLUSIVE:
		break;
	}
	return "inconclusive";
}

static void all_rules(const struct fl_probe_spec *spec, char *buf, size_t size)
{
	struct sbuf sb;

	sb_init(&sb, buf, size);
	for (unsigned i = 0; i < spec->n_tolerances; i++) {
		const struct fl_tolerance *t = &spec->tolerances[i];
		if (i)
			sb_add(&sb, " and ");
		rule_words(t, t->metric ? t->metric : default_metric(spec->type), &sb);
	}
}

/* The sample has no data: the probe's onNoData decides. */
static void eval_no_data(const struct fl_probe_spec *spec, const struct fl_sample *sample,
			 const char *when, struct fl_verdict *ret)
{
	switch (spec->on_no_data) {
	case FL_NODATA_PASS:
		ret->kind = FL_VERDICT_PASS;
		break;
	case FL_NODATA_FAIL:
		ret->kind = FL_VERDICT_FAIL;
		break;
	case FL_NODATA_INCONCLUSIVE:
		ret->kind = FL_VERDICT_INCONCLUSIVE;
		break;
	}
	snprintf(ret->message, sizeof(ret->message), "no data: %s (onNoData: %s) at %s",
		 sample->error[0] ? sample->error : "nothing to measure",
		 no_data_name(spec->on_no_data), when);
}

/* A probe without tolerances (a method step's) passes and reports what it measured. */
static void eval_untolerated(const struct fl_sample *sample, const char *first_metric,
			     struct fl_verdict *ret)
{
	const struct fl_metric *m = fl_sample_get(sample, first_metric);
	struct sbuf msg;

	ret->kind = FL_VERDICT_PASS;
	snprintf(ret->rule, sizeof(ret->rule), "none");
	sb_init(&msg, ret->message, sizeof(ret->message));
	sb_add(&msg, "%s ", human_name(first_metric));
	if (!m)
		sb_add(&msg, "not measured");
	else if (m->is_text)
		sb_add(&msg, "\"%s\"", m->text);
	else
		sb_value(&msg, m->value, unit_of(first_metric));
	sb_add(&msg, " (no tolerance)");
	if (m)
		set_observed(ret, m);
}

/*
 * A fail or an error decides at once; an inconclusive tolerance (percent change
 * without a base) is kept only when nothing later fails.
 */
static void eval_tolerances(const struct fl_probe_spec *spec, const struct fl_sample *sample,
			    const struct ref *ref, const char *when, struct fl_verdict *ret)
{
	struct fl_verdict one, pending = { .kind = FL_VERDICT_PASS };
	char pass_msg[sizeof(ret->message)];
	struct sbuf passes;

	sb_init(&passes, pass_msg, sizeof(pass_msg));
	for (unsigned i = 0; i < spec->n_tolerances; i++) {
		memset(&one, 0, sizeof(one));
		one.kind = eval_one(spec, &spec->tolerances[i], sample, ref, when, &one);
		if (one.kind == FL_VERDICT_FAIL || one.kind == FL_VERDICT_ERROR) {
			*ret = one;
			return;
		}
		if (one.kind == FL_VERDICT_INCONCLUSIVE) {
			if (pending.kind == FL_VERDICT_PASS)
				pending = one;
			continue;
		}
		if (i == 0) {
			ret->has_observed = one.has_observed;
			ret->observed = one.observed;
			memcpy(ret->observed_text, one.observed_text, sizeof(ret->observed_text));
		}
		sb_add(&passes, "%s%s", passes.len ? "; " : "", one.message);
	}
	if (pending.kind != FL_VERDICT_PASS) {
		*ret = pending;
		return;
	}
	ret->kind = FL_VERDICT_PASS;
	memcpy(ret->message, pass_msg, sizeof(ret->message));
}

static void eval_all(const struct fl_probe_spec *spec, const struct fl_sample *sample,
		     const struct ref *ref, struct fl_verdict *ret)
{
	const char *first_metric = spec->n_tolerances && spec->tolerances[0].metric
					   ? spec->tolerances[0].metric
					   : default_metric(spec->type);
	char when[16];

	memset(ret, 0, sizeof(*ret));
	snprintf(ret->metric, sizeof(ret->metric), "%s", first_metric);
	all_rules(spec, ret->rule, sizeof(ret->rule));
	format_time(sample->t_ms, when, sizeof(when));

	if (sample->err == -ENODATA) {
		eval_no_data(spec, sample, when, ret);
	} else if (sample->err) {
		ret->kind = FL_VERDICT_ERROR;
		snprintf(ret->message, sizeof(ret->message), "%s",
			 sample->error[0] ? sample->error : strerror(-sample->err));
	} else if (spec->n_tolerances == 0) {
		eval_untolerated(sample, first_metric, ret);
	} else {
		eval_tolerances(spec, sample, ref, when, ret);
	}
}

void fl_verdict_eval(const struct fl_probe_spec *spec, const struct fl_sample *sample,
		     const struct fl_sample *before, struct fl_verdict *ret)
{
	const struct ref ref = { .s = before, .what = "before-injection" };

	eval_all(spec, sample, &ref, ret);
}

void fl_verdict_eval_baseline(const struct fl_probe_spec *spec, const struct fl_sample *sample,
			      const struct fl_sample *baseline, struct fl_verdict *ret)
{
	const struct ref ref = { .s = baseline, .what = "baseline" };

	eval_all(spec, sample, &ref, ret);
}

/* ---- debounce ------------------------------------------------------------------------ */

void fl_debounce_init(struct fl_debounce *d, unsigned k, unsigned n)
{
	if (n == 0)
		n = 1;
	if (n > 32)
		n = 32;
	if (k == 0)
		k = 1;
	if (k > n)
		k = n;
	*d = (struct fl_debounce){ .k = k, .n = n };
}

bool fl_debounce_push(struct fl_debounce *d, bool failed)
{
	uint32_t mask = d->n >= 32 ? UINT32_MAX : (UINT32_C(1) << d->n) - 1;

	d->bits = ((d->bits << 1) | (failed ? 1u : 0u)) & mask;
	if (d->filled < d->n)
		d->filled++;
	return (unsigned)__builtin_popcount(d->bits) >= d->k;
}
