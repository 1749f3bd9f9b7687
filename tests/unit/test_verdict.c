/* SPDX-License-Identifier: MIT */
/* Verdicts: every tolerance kind, no-data rules, errors, percent change, debounce. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "fltest.h"
#include "verdict.h"

/* 2026-01-01 12:03:41 UTC; the tests run with TZ=UTC so "local time" is known. */
#define T_MS 1767269021000ull

__attribute__((constructor)) static void utc(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

static struct fl_probe_spec spec_of(enum fl_probe_type type, struct fl_tolerance *t, unsigned n)
{
	return (struct fl_probe_spec){
		.name = (char *)"p", .type = type, .tolerances = t, .n_tolerances = n
	};
}

static struct fl_sample sample1(const char *name, double v)
{
	struct fl_sample s = { .t_ms = T_MS };
	FL_ASSERT_OK(fl_sample_set(&s, name, v));
	return s;
}

static struct fl_verdict eval(const struct fl_probe_spec *spec, const struct fl_sample *s,
			      const struct fl_sample *before)
{
	struct fl_verdict v;
	fl_verdict_eval(spec, s, before, &v);
	return v;
}

FLTEST(names)
{
	FL_ASSERT_STREQ(fl_verdict_name(FL_VERDICT_PASS), "pass");
	FL_ASSERT_STREQ(fl_verdict_name(FL_VERDICT_FAIL), "fail");
	FL_ASSERT_STREQ(fl_verdict_name(FL_VERDICT_INCONCLUSIVE), "inconclusive");
	FL_ASSERT_STREQ(fl_verdict_name(FL_VERDICT_ERROR), "error");
}

FLTEST(number_format)
{
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{ 18342, "18342" },    { 0, "0" },
		{ -0.0, "0" },	       { 1002.5, "1002.5" },
		{ 1.0 / 3, "0.333" },  { -35.2, "-35.2" },
		{ 2.0006, "2.001" },   { 1e20, "100000000000000000000" },
		{ 0.0001, "0" },       { -0.0001, "0" },
		{ NAN, "NaN" },	       { INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fl_verdict_format_number(cases[i].v, buf, sizeof(buf));
		FL_ASSERT_STREQ(buf, cases[i].want);
	}
}

FLTEST(max_pass_and_fail)
{
	struct fl_tolerance t = { .has_max = true, .max = 5000 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_LAG, &t, 1); /* default: lag.max */
	struct fl_sample s = sample1("lag.max", 12);
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "consumer lag max 12 <= 5000");
	FL_ASSERT_STREQ(v.rule, "lag.max <= 5000");
	FL_ASSERT_STREQ(v.metric, "lag.max");
	FL_ASSERT(v.has_observed && v.observed == 12);

	s = sample1("lag.max", 18342);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "consumer lag max 18342 > 5000 at 12:03:41");
	FL_ASSERT_STREQ(v.rule, "lag.max <= 5000");
	FL_ASSERT(v.observed == 18342);
}

FLTEST(min_with_unit)
{
	struct fl_tolerance t = { .metric = (char *)"rate", .has_min = true, .min = 900 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_THROUGHPUT, &t, 1);
	struct fl_sample s = sample1("rate", 1002.5);
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "throughput 1002.5 msg/s >= 900 msg/s");
	FL_ASSERT_STREQ(v.rule, "rate >= 900");
	s = sample1("rate", 648.25);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "throughput 648.25 msg/s < 900 msg/s at 12:03:41");
}

FLTEST(range)
{
	struct fl_tolerance t = { .has_min = true, .min = 900, .has_max = true, .max = 1100 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_THROUGHPUT, &t, 1);
	struct fl_sample s = sample1("rate", 1000);
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.rule, "rate in [900, 1100]");
	FL_ASSERT_STREQ(v.message, "throughput 1000 msg/s in [900, 1100] msg/s");
	s = sample1("rate", 1100.5);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "throughput 1100.5 msg/s outside [900, 1100] msg/s at 12:03:41");
	s = sample1("rate", 12);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	/* NaN satisfies no bound */
	s = sample1("rate", NAN);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(
		v.message,
		"throughput NaN is not a number: rate in [900, 1100] cannot hold at 12:03:41");
}

FLTEST(equals_numeric)
{
	struct fl_tolerance t = { .metric = (char *)"underReplicated", .has_equals = true };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_PARTITIONS, &t, 1);
	struct fl_sample s = sample1("underReplicated", 0);
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.rule, "underReplicated == 0");
	FL_ASSERT_STREQ(v.message, "under-replicated partitions 0 == 0");
	s = sample1("underReplicated", 3);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "under-replicated partitions 3 != 0 at 12:03:41");
}

FLTEST(equals_text_and_regex)
{
	struct fl_tolerance te = { .metric = (char *)"status", .equals_text = (char *)"OK" };
	struct fl_tolerance tr = { .metric = (char *)"status", .regex = (char *)"OK|WARN" };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_LAG, &te, 1);
	struct fl_sample s = { .t_ms = T_MS };
	struct fl_verdict v;

	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "OK"));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.rule, "status == \"OK\"");
	FL_ASSERT_STREQ(v.message, "status \"OK\" == \"OK\"");
	FL_ASSERT_STREQ(v.observed_text, "OK");
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "STALL"));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "status \"STALL\" != \"OK\" at 12:03:41");

	spec = spec_of(FL_PROBE_KAFKA_LAG, &tr, 1);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.rule, "status =~ /OK|WARN/");
	FL_ASSERT_STREQ(v.message, "status \"STALL\" does not match /OK|WARN/ at 12:03:41");
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "WARN"));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "status \"WARN\" matches /OK|WARN/");
	/* the whole value must match, not a substring */
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "NOTOK"));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	/* a regex on a number matches its message form; an invalid one is an error */
	struct fl_tolerance tn = { .metric = (char *)"status", .regex = (char *)"2[0-9]{2}" };
	spec = spec_of(FL_PROBE_HTTP, &tn, 1);
	s = sample1("status", 204);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	s = sample1("status", 503);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_STREQ(v.message, "status \"503\" does not match /2[0-9]{2}/ at 12:03:41");
	tn.regex = (char *)"(";
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_ERROR);
	FL_ASSERT_CONTAINS(v.message, "not a valid POSIX extended regex");
}

FLTEST(numeric_rule_on_text_metric_is_an_error)
{
	struct fl_tolerance t = { .metric = (char *)"status", .has_max = true, .max = 1 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_LAG, &t, 1);
	struct fl_sample s = { .t_ms = T_MS };

	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "OK"));
	struct fl_verdict v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(v.message,
			"status is text (\"OK\") but the rule status <= 1 needs a number");
}

FLTEST(latency_unit_and_several_tolerances)
{
	struct fl_tolerance t[] = {
		{ .has_max = true, .max = 500 },
		{ .metric = (char *)"lost", .has_equals = true, .equals = 0 },
	};
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_E2E, t, 2);
	struct fl_sample s = sample1("latencyMs", 12.5);
	FL_ASSERT_OK(fl_sample_set(&s, "lost", 0));
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.rule, "latencyMs <= 500 and lost == 0");
	FL_ASSERT_STREQ(v.message, "latency 12.5 ms <= 500 ms; lost 0 == 0");
	FL_ASSERT_STREQ(v.metric, "latencyMs");
	FL_ASSERT(v.observed == 12.5);
	/* the second fails: it decides metric, rule and message */
	FL_ASSERT_OK(fl_sample_set(&s, "lost", 1));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.metric, "lost");
	FL_ASSERT_STREQ(v.rule, "lost == 0");
	FL_ASSERT_STREQ(v.message, "lost 1 != 0 at 12:03:41");
	/* both fail: the first decides */
	FL_ASSERT_OK(fl_sample_set(&s, "latencyMs", 812));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_STREQ(v.message, "latency 812 ms > 500 ms at 12:03:41");
}

FLTEST(no_data_rules)
{
	struct fl_tolerance t = { .has_max = true, .max = 5000 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_LAG, &t, 1);
	struct fl_sample s = { .t_ms = T_MS };
	struct fl_verdict v;

	fl_sample_fail(&s, -ENODATA, "group g has no committed offsets");
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "no data: group g has no committed offsets (onNoData: "
				   "inconclusive) at 12:03:41");
	FL_ASSERT(!v.has_observed);
	FL_ASSERT_STREQ(v.rule, "lag.max <= 5000");
	spec.on_no_data = FL_NODATA_PASS;
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_CONTAINS(v.message, "(onNoData: pass)");
	spec.on_no_data = FL_NODATA_FAIL;
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "no data: group g has no committed offsets (onNoData: fail) at "
				   "12:03:41");
	FL_ASSERT(fl_verdict_failed(&v));
}

/* NaN satisfies no numeric rule — said as such, not as "NaN > 0.01" — and is not no data. */
FLTEST(nan_fails_numeric_rules)
{
	static const struct {
		struct fl_tolerance t;
		const char *message;
	} cases[] = {
		{ { .has_max = true, .max = 0.01 },
		  "value NaN is not a number: value <= 0.01 cannot hold at 12:03:41" },
		{ { .has_min = true, .min = 0 },
		  "value NaN is not a number: value >= 0 cannot hold at 12:03:41" },
		{ { .has_min = true, .min = 0, .has_max = true, .max = 1 },
		  "value NaN is not a number: value in [0, 1] cannot hold at 12:03:41" },
		{ { .has_equals = true, .equals = 0 },
		  "value NaN is not a number: value == 0 cannot hold at 12:03:41" },
		{ { .has_change_min = true, .change_min = -20 },
		  "value NaN is not a number: percent change of value >= -20% cannot hold at "
		  "12:03:41" },
		{ { .has_delta_max = true, .delta_max = 10 },
		  "value NaN is not a number: change of value <= 10 cannot hold at 12:03:41" },
	};
	struct fl_sample s = sample1("value", NAN);
	struct fl_sample before = sample1("value", 5);

	for (size_t i = 0; i < FL_ARRAY_SIZE(cases); i++) {
		struct fl_tolerance t = cases[i].t;
		struct fl_probe_spec spec = spec_of(FL_PROBE_PROMETHEUS, &t, 1);
		spec.on_no_data = FL_NODATA_PASS;
		struct fl_verdict v = eval(&spec, &s, &before);
		FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
		FL_ASSERT_STREQ(v.message, cases[i].message);
		FL_ASSERT(v.has_observed && isnan(v.observed));
	}
	/* a text rule matches the number as messages write it */
	struct fl_tolerance re = { .regex = (char *)"NaN" };
	struct fl_probe_spec spec = spec_of(FL_PROBE_PROMETHEUS, &re, 1);
	FL_ASSERT_EQ(eval(&spec, &s, NULL).kind, FL_VERDICT_PASS);
	/* a NaN before-injection value stays "no percent change" */
	struct fl_tolerance ch = { .has_change_max = true, .change_max = 10 };
	spec = spec_of(FL_PROBE_PROMETHEUS, &ch, 1);
	struct fl_verdict v = eval(&spec, &before, &s);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no percent change: the before-injection value was NaN");
	/* changed: NaN against a NaN baseline did not change; against a number it did */
	struct fl_tolerance changed = { .changed = true };
	spec = spec_of(FL_PROBE_PROMETHEUS, &changed, 1);
	fl_verdict_eval_baseline(&spec, &s, &s, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "value NaN unchanged from the baseline at 12:03:41");
	fl_verdict_eval_baseline(&spec, &s, &before, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "value NaN (baseline 5): changed");
}

FLTEST(sample_error_and_missing_metric)
{
	struct fl_tolerance t = { .metric = (char *)"lag.sum", .has_max = true, .max = 5 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_LAG, &t, 1);
	struct fl_sample s = { .t_ms = T_MS };
	struct fl_verdict v;

	fl_sample_fail(&s, -ECONNREFUSED, "bootstrap 127.0.0.1:9: connection refused");
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(v.message, "bootstrap 127.0.0.1:9: connection refused");
	FL_ASSERT(!fl_verdict_failed(&v));

	s = sample1("lag.max", 1);
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "OK"));
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(v.message, "metric lag.sum missing from the sample of probe p (it has: "
				   "lag.max, status)");
	FL_ASSERT_STREQ(v.metric, "lag.sum");
}

FLTEST(percent_change)
{
	struct fl_tolerance t = { .metric = (char *)"rate",
				  .has_change_min = true,
				  .change_min = -20 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_THROUGHPUT, &t, 1);
	struct fl_sample before = sample1("rate", 1000);
	struct fl_sample s = sample1("rate", 648);
	struct fl_verdict v = eval(&spec, &s, &before);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.rule, "percent change of rate >= -20%");
	FL_ASSERT_STREQ(v.message,
			"throughput changed -35.2% (1000 → 648 msg/s), below -20% at 12:03:41");
	FL_ASSERT(v.observed == 648);
	s = sample1("rate", 950);
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "throughput changed -5% (1000 → 950 msg/s) >= -20%");

	/* both sides, together with a value bound */
	t.has_change_max = true;
	t.change_max = 10;
	t.has_min = true;
	t.min = 100;
	s = sample1("rate", 1150);
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.rule, "rate >= 100 and percent change of rate in [-20%, 10%]");
	FL_ASSERT_STREQ(v.message,
			"throughput changed +15% (1000 → 1150 msg/s), above 10% at 12:03:41");
	s = sample1("rate", 1050);
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "throughput 1050 msg/s >= 100 msg/s and changed +5% (1000 → "
				   "1050 msg/s) within [-20%, 10%]");
}

FLTEST(percent_change_without_a_usable_base)
{
	struct fl_tolerance t = { .metric = (char *)"value",
				  .has_change_max = true,
				  .change_max = 50 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_PROMETHEUS, &t, 1);
	struct fl_sample s = sample1("value", 5);
	struct fl_sample before = sample1("value", 0);
	struct fl_verdict v;

	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no percent change: no before-injection sample");
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no percent change: the before-injection value was 0");
	fl_sample_fail(&before, -ETIMEDOUT, "timed out after 5s");
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no percent change: the before-injection sample failed "
				   "(timed out after 5s)");
	before = sample1("other", 3);
	v = eval(&spec, &s, &before);
	FL_ASSERT_STREQ(
		v.message,
		"value: no percent change: the before-injection sample has no numeric value");

	/* a negative base: the change is relative to its magnitude (-10 → -5 is +50%) */
	before = sample1("value", -10);
	s = sample1("value", -5);
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "value changed +50% (-10 → -5) <= 50%");
	s = sample1("value", 0);
	v = eval(&spec, &s, &before);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "value changed +100% (-10 → 0), above 50% at 12:03:41");

	/* inconclusive yields to a later failing tolerance */
	struct fl_tolerance two[] = { t, { .metric = (char *)"value", .has_max = true, .max = 1 } };
	spec = spec_of(FL_PROBE_PROMETHEUS, two, 2);
	s = sample1("value", 5);
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "value 5 > 1 at 12:03:41");
	two[1].max = 10;
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
}

FLTEST(no_tolerance_passes)
{
	struct fl_probe_spec spec = spec_of(FL_PROBE_HTTP, NULL, 0);
	struct fl_sample s = sample1("status", 200);
	struct fl_verdict v = eval(&spec, &s, NULL);

	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.rule, "none");
	FL_ASSERT_STREQ(v.message, "status 200 (no tolerance)");
}

FLTEST(debounce_k_of_n)
{
	struct fl_debounce d;

	fl_debounce_init(&d, 0, 0); /* 1 of 1 */
	FL_ASSERT(d.k == 1 && d.n == 1);
	FL_ASSERT(fl_debounce_push(&d, true));
	FL_ASSERT(!fl_debounce_push(&d, false));
	FL_ASSERT(fl_debounce_push(&d, true));

	fl_debounce_init(&d, 2, 3);
	static const struct {
		bool failed, breach;
	} seq[] = {
		{ true, false },  /* F       1 of 1 */
		{ false, false }, /* F.      1 of 2 */
		{ true, true },	  /* F.F     2 of 3 */
		{ false, false }, /* .F.  -> 1 of 3 (the first F left the window) */
		{ false, false }, /* F.. */
		{ true, false },  /* ..F */
		{ true, true },	  /* .FF */
		{ true, true },	  /* FFF */
	};
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		FL_ASSERT_MSG(fl_debounce_push(&d, seq[i].failed) == seq[i].breach, "push %zu", i);
	FL_ASSERT_EQ(d.filled, 3);

	fl_debounce_init(&d, 5, 3); /* k clamped to n */
	FL_ASSERT_EQ(d.k, 3);
	FL_ASSERT(!fl_debounce_push(&d, true));
	FL_ASSERT(!fl_debounce_push(&d, true));
	FL_ASSERT(fl_debounce_push(&d, true));

	fl_debounce_init(&d, 32, 40); /* n clamped to 32: 32 failures in a row */
	FL_ASSERT_EQ(d.n, 32);
	for (int i = 0; i < 31; i++)
		FL_ASSERT(!fl_debounce_push(&d, true));
	FL_ASSERT(fl_debounce_push(&d, true));
	FL_ASSERT(!fl_debounce_push(&d, false));
}

FLTEST(a_hook_value_is_named_after_the_hook_and_what_it_was_asked)
{
	struct fl_tolerance t = { .metric = (char *)"value", .has_equals = true, .equals = 0 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_HOOK, &t, 1);
	struct fl_sample s = sample1("value", 1303);
	struct fl_verdict v;

	spec.hook = (char *)"integrity";
	spec.hook_metric = (char *)"lost";
	v = eval(&spec, &s, NULL);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "integrity lost 1303 != 0 at 12:03:41");
	FL_ASSERT_STREQ(v.metric, "value");
}

/* delta: the change from the effect check's baseline, in the metric's unit. */
FLTEST(delta_against_the_baseline)
{
	struct fl_tolerance t = { .metric = (char *)"latencyMs",
				  .has_delta_min = true,
				  .delta_min = 160 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_E2E, &t, 1);
	struct fl_sample s = sample1("latencyMs", 412);
	struct fl_sample base = sample1("latencyMs", 38);
	struct fl_verdict v;

	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "latency 412 ms: +374 ms from the baseline 38 ms, >= +160");
	FL_ASSERT_STREQ(v.rule, "change of latencyMs >= 160");
	FL_ASSERT(v.has_observed && v.observed == 412);

	/* the fault did nothing: the latency is where it was */
	s = sample1("latencyMs", 41);
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message,
			"latency 41 ms: +3 ms from the baseline 38 ms, below +160 at 12:03:41");

	/* a range, and a negative change */
	t = (struct fl_tolerance){ .metric = (char *)"value",
				   .has_delta_min = true,
				   .delta_min = -5,
				   .has_delta_max = true,
				   .delta_max = 5 };
	spec = spec_of(FL_PROBE_PROMETHEUS, &t, 1);
	s = sample1("value", 7);
	base = sample1("value", 10);
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "value 7: -3 from the baseline 10, within [-5, 5]");
	s = sample1("value", 16);
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "value 16: +6 from the baseline 10, above +5 at 12:03:41");

	/* steady state after: the reference is the before-injection sample */
	fl_verdict_eval(&spec, &s, &base, &v);
	FL_ASSERT_STREQ(v.message,
			"value 16: +6 from the before-injection 10, above +5 at 12:03:41");
}

FLTEST(delta_and_changed_without_a_usable_baseline_are_inconclusive)
{
	struct fl_tolerance t = { .metric = (char *)"value",
				  .has_delta_min = true,
				  .delta_min = 1 };
	struct fl_probe_spec spec = spec_of(FL_PROBE_PROMETHEUS, &t, 1);
	struct fl_sample s = sample1("value", 5), base = sample1("value", NAN);
	struct fl_verdict v;

	fl_verdict_eval_baseline(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no delta: no baseline sample");
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no delta: the baseline value was NaN");
	/* a baseline of 0 is fine for a delta (it is not for a percent change) */
	base = sample1("value", 0);
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	fl_sample_fail(&base, -ECONNREFUSED, "agent lab: connection refused");
	t = (struct fl_tolerance){ .metric = (char *)"value", .changed = true };
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	FL_ASSERT_STREQ(v.message, "value: no change to tell: the baseline sample failed (agent "
				   "lab: connection refused)");
}

/* changed: true — the leader moved, the container id is new. Numbers and text. */
FLTEST(changed_against_the_baseline)
{
	struct fl_tolerance t = { .metric = (char *)"leader", .changed = true };
	struct fl_probe_spec spec = spec_of(FL_PROBE_KAFKA_PARTITIONS, &t, 1);
	struct fl_sample s = sample1("leader", 1), base = sample1("leader", 0);
	struct fl_verdict v;

	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "partition leader 1 (baseline 0): changed");
	FL_ASSERT_STREQ(v.rule, "leader changed");
	s = sample1("leader", 0);
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "partition leader 0 unchanged from the baseline at 12:03:41");

	t.metric = (char *)"status";
	spec = spec_of(FL_PROBE_KAFKA_LAG, &t, 1);
	s = (struct fl_sample){ .t_ms = T_MS };
	base = (struct fl_sample){ .t_ms = T_MS };
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "STALL"));
	FL_ASSERT_OK(fl_sample_set_text(&base, "status", "OK"));
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(v.message, "status \"STALL\" (baseline \"OK\"): changed");
	FL_ASSERT_OK(fl_sample_set_text(&s, "status", "OK"));
	fl_verdict_eval_baseline(&spec, &s, &base, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_STREQ(v.message, "status \"OK\" unchanged from the baseline at 12:03:41");
}
