/* SPDX-License-Identifier: MIT */
/*
 * The wire check's rules (agent/src/wire.c), without a network: what a request promises
 * (least delay, timeout), and the verdicts on made-up connect times — a no-op fails, a
 * 200 ms delay passes even with a stalled attempt, a partition must fail every attempt, a
 * path that does not work before cannot be judged. The measurement itself is tested on the
 * host kernel (tests/integration/test_wire.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "apireq.h"
#include "fltest.h"
#include "wire.h"

#define MS(x) ((uint64_t)((x)*1000000.0))

static struct fl_wire prepared(const char *body)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req req;
	struct fl_wire w;

	if (fl_api_parse_fault(body, strlen(body), 0, &req, &diag) < 0)
		FL_FAIL("parse: %s", diag.msg);
	FL_ASSERT(req.verify_wire);
	if (fl_wire_prepare(&req, &w, &diag) < 0)
		FL_FAIL("prepare: %s", diag.msg);
	return w;
}

static struct fl_wire delay_200ms(void)
{
	return prepared("{\"kind\":\"delay\",\"target\":{\"pid\":1},\"duration\":\"30s\","
			"\"to\":[\"10.88.0.5:9092\"],\"delay\":{\"delay\":\"200ms\"},"
			"\"verify\":{\"wire\":true}}");
}

static void set_times(struct fl_wire_attempt *a, unsigned *n, const double *ms, const int *err)
{
	for (unsigned i = 0; i < FL_WIRE_ATTEMPTS; i++)
		a[i] = (struct fl_wire_attempt){ err ? err[i] : 0, MS(ms[i]) };
	*n = FL_WIRE_ATTEMPTS;
}

FLTEST(prepare_derives_the_least_delay_and_the_timeout)
{
	struct fl_wire w = delay_200ms();

	FL_ASSERT_EQ(w.n, 1);
	FL_ASSERT_STREQ(w.d[0].to, "10.88.0.5:9092");
	FL_ASSERT(!w.cut);
	FL_ASSERT_EQ(w.least_ns, MS(200));
	FL_ASSERT_EQ(w.timeout_ns, MS(1000)); /* 2 x 200 + 500 = 900, at least 1 s */
	w = prepared("{\"kind\":\"delay\",\"target\":{\"pid\":1},\"duration\":\"30s\","
		     "\"to\":[\"[fd00::5]:443\"],\"delay\":{\"delay\":\"600ms\",\"jitter\":"
		     "\"100ms\"},\"verify\":{\"wire\":true}}");
	FL_ASSERT_STREQ(w.d[0].to, "[fd00::5]:443");
	FL_ASSERT_EQ(w.least_ns, MS(500));
	FL_ASSERT_EQ(w.timeout_ns, MS(1900));
	/* netem's jitter with a distribution is a standard deviation: delay - 2 x jitter. */
	w = prepared("{\"kind\":\"network\",\"target\":{\"pid\":1},\"duration\":\"30s\","
		     "\"to\":[\"10.0.0.5:9092\"],\"from\":[\"10.0.0.1\"],\"netem\":\"delay 100ms "
		     "20ms distribution normal\",\"verify\":{\"wire\":true}}");
	FL_ASSERT_EQ(w.n, 1); /* "from" is not measured */
	FL_ASSERT_EQ(w.least_ns, MS(60));
	w = prepared("{\"kind\":\"partition\",\"target\":{\"pid\":1},\"duration\":\"30s\","
		     "\"to\":[\"10.0.0.5:9092\",\"10.0.0.6:9093\"],\"verify\":{\"wire\":true}}");
	FL_ASSERT(w.cut);
	FL_ASSERT_EQ(w.n, 2);
	FL_ASSERT_EQ(w.timeout_ns, MS(1000));
}

FLTEST(a_no_op_fails_with_the_figures_and_a_200ms_delay_passes)
{
	static const double before[] = { 0.41, 0.38, 0.45 }, noop[] = { 0.47, 0.52, 0.39 };
	static const double delayed[] = { 200.9, 201.3, 200.7 };
	struct fl_wire w = delay_200ms();
	char msg[FL_DIAG_MSG_MAX] = "";

	set_times(w.d[0].before, &w.d[0].n_before, before, NULL);
	FL_ASSERT_EQ(fl_wire_judge_before(&w, msg, sizeof(msg)), FL_WIRE_MEASURING);
	set_times(w.d[0].after, &w.d[0].n_after, noop, NULL);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_NO_EFFECT);
	FL_ASSERT_STREQ(msg, "wire check: connect to 10.88.0.5:9092 took 0.41 ms before and 0.47 "
			     "ms after a 200ms delay: the fault has no effect on this path");
	set_times(w.d[0].after, &w.d[0].n_after, delayed, NULL);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_EFFECT);
}

FLTEST(one_stalled_attempt_decides_nothing)
{
	static const double before[] = { 0.4, 0.4, 0.4 };
	/* A no-op whose one attempt stalled 300 ms on a loaded machine: still no effect. */
	static const double noop_stall[] = { 0.5, 300.0, 0.6 };
	/* A delayed path whose one attempt hit the timeout: still an effect. */
	static const double delayed_lost[] = { 200.2, 1000.0, 200.4 };
	static const int lost[] = { 0, -ETIMEDOUT, 0 };
	/* The threshold: half the least delay, 100 ms; 99 ms above the baseline is not it. */
	static const double just_below[] = { 99.3, 99.3, 99.3 }, at[] = { 100.4, 100.4, 100.4 };
	struct fl_wire w = delay_200ms();
	char msg[FL_DIAG_MSG_MAX];

	set_times(w.d[0].before, &w.d[0].n_before, before, NULL);
	set_times(w.d[0].after, &w.d[0].n_after, noop_stall, NULL);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_NO_EFFECT);
	set_times(w.d[0].after, &w.d[0].n_after, delayed_lost, lost);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_EFFECT);
	set_times(w.d[0].after, &w.d[0].n_after, just_below, NULL);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_NO_EFFECT);
	set_times(w.d[0].after, &w.d[0].n_after, at, NULL);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_EFFECT);
}

FLTEST(a_partition_must_fail_every_attempt)
{
	static const double before[] = { 0.3, 0.3, 0.3 }, timeouts[] = { 1000, 1000, 1000 };
	static const int all_lost[] = { -ETIMEDOUT, -ETIMEDOUT, -ETIMEDOUT };
	static const int one_through[] = { -ETIMEDOUT, 0, -ETIMEDOUT };
	static const double one_ms[] = { 1000, 0.4, 1000 };
	struct fl_wire w =
		prepared("{\"kind\":\"partition\",\"target\":{\"pid\":1},\"duration\":"
			 "\"30s\",\"to\":[\"10.0.0.5:9092\"],\"verify\":{\"wire\":true}}");
	char msg[FL_DIAG_MSG_MAX];
	json_t *j;
	char *text;

	set_times(w.d[0].before, &w.d[0].n_before, before, NULL);
	set_times(w.d[0].after, &w.d[0].n_after, timeouts, all_lost);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_EFFECT);
	j = fl_wire_json(&w);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	FL_ASSERT_STREQ(
		text,
		"{\"verdict\":\"effect\",\"rule\":\"every connect after the change fails (times "
		"out "
		"after 1000 ms or is refused)\",\"timeoutMs\":1000.0,\"tookMs\":0.0,"
		"\"destinations\":[{\"to\":\"10.0.0.5:9092\",\"attempts\":3,\"baselineMs\":0.3,"
		"\"baselineAttemptsMs\":[0.3,0.3,0.3],\"faultedAttemptsMs\":[null,null,null],"
		"\"faulted\":\"connect timed out after 1000 ms\"}]}");
	free(text);
	json_decref(j);
	set_times(w.d[0].after, &w.d[0].n_after, one_ms, one_through);
	FL_ASSERT_EQ(fl_wire_judge_after(&w, msg, sizeof(msg)), FL_WIRE_NO_EFFECT);
	FL_ASSERT_STREQ(msg, "wire check: connect to 10.0.0.5:9092 took 0.30 ms before and still "
			     "succeeded after the partition (1 of 3 attempts, 0.40 ms): the fault "
			     "has no effect on this path");
}

FLTEST(a_path_that_does_not_work_before_cannot_be_judged)
{
	static const double before[] = { 0.1, 0, 0 };
	static const int refused[] = { -ECONNREFUSED, 0, 0 };
	struct fl_wire w = delay_200ms();
	char msg[FL_DIAG_MSG_MAX];

	set_times(w.d[0].before, &w.d[0].n_before, before, refused);
	w.d[0].n_before = 1; /* the measurement stops at the first failure */
	FL_ASSERT_EQ(fl_wire_judge_before(&w, msg, sizeof(msg)), FL_WIRE_CANNOT_JUDGE);
	FL_ASSERT_STREQ(msg, "wire check: cannot judge 10.88.0.5:9092: connect before the fault "
			     "failed (Connection refused: nothing listens there); nothing was "
			     "changed");
}
