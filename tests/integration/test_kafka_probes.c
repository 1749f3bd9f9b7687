/* SPDX-License-Identifier: MIT */
/*
 * The kafka.* probes against a real 3-broker KRaft Kafka (tests/lib/kafka-cluster.sh),
 * checked against ground truth: the rate we produce, the offsets we commit, kcat's and
 * Kafka's own tools' view of the same cluster, and which partitions a stopped broker hosts.
 * Safe on a cluster shared with other binaries (kafkatest.h): unique names, and the
 * stopped broker is back, in sync and leading again before its test ends.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "fltest.h"
#include "kafka.h"
#include "kafkatest.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct fl_kafka *open_kafka(void)
{
	struct fl_diag diag = { 0 };
	struct fl_kafka *kafka;

	if (fl_kafka_open(kafkatest_bootstrap(), &kafka, &diag) < 0)
		FL_FAIL("fl_kafka_open: %s", diag.msg);
	return kafka;
}

static struct fl_probe *new_probe(struct fl_kafka *kafka, const struct fl_probe_spec *spec)
{
	struct fl_diag diag = { 0 };
	struct fl_probe *probe;

	if (fl_kafka_probe_new(kafka, spec, &probe, &diag) < 0)
		FL_FAIL("fl_kafka_probe_new: %s", diag.msg);
	return probe;
}

static void sample_ok(struct fl_probe *probe, struct fl_sample *s)
{
	int r = probe->ops->sample(probe, s);

	if (r < 0)
		FL_FAIL("probe %s: sample failed: %d %s", probe->spec->name, r, s->error);
}

static double metric(const struct fl_sample *s, const char *name)
{
	const struct fl_metric *m = fl_sample_get(s, name);

	if (!m || m->is_text)
		FL_FAIL("metric %s missing", name);
	return m->value;
}

static const char *metric_text(const struct fl_sample *s, const char *name)
{
	const struct fl_metric *m = fl_sample_get(s, name);

	if (!m || !m->is_text)
		FL_FAIL("metric %s missing", name);
	return m->text;
}

/* ---- 1. throughput ----------------------------------------------------------------- */

FLTEST(throughput_is_within_5_percent_of_the_produced_rate)
{
	char topic[64];
	struct fl_kafka *kafka;
	struct fl_sample s = { 0 };

	fltest_set_timeout(120);
	kafkatest_topic_name(topic, sizeof(topic), "tput");
	kafkatest_create_topic(topic, 6, 3, -1);
	struct kafkatest_rate *prod = kafkatest_rate_start(
		topic, 1000); /* what this 2-core box sustains next to 3 brokers */
	kafka = open_kafka();
	struct fl_probe_spec spec = { .name = "tput",
				      .type = FL_PROBE_KAFKA_THROUGHPUT,
				      .topic = topic,
				      .window_ns = 5000000000ull };
	struct fl_probe *probe = new_probe(kafka, &spec);
	/* Let the producer settle before the window opens. */
	kafkatest_rate_wait_steady(prod);
	/* The first window may still hold the producer's start-up catch-up: it primes the
	 * probe's history; the judged sample is the next full window. */
	sample_ok(probe, &s);
	fltest_log("throughput: first window %.1f msg/s", metric(&s, "rate"));
	/* Judged against what the producer really delivered in the same window, not the 1000
	 * msg/s it was asked for: a loaded machine makes it lag, and the probe must then
	 * measure the lag too. */
	uint64_t d0 = kafkatest_rate_delivered(prod), t_d0 = now_ns();
	fl_sample_reset(&s);
	sleep(5);
	sample_ok(probe, &s);
	double produced =
		(double)(kafkatest_rate_delivered(prod) - d0) * 1e9 / (double)(now_ns() - t_d0);
	double rate = metric(&s, "rate");
	fltest_log("throughput: produced %.1f msg/s (asked 1000), probe measured %.1f msg/s "
		   "(%.0f messages, %.0f partitions, window %s)",
		   produced, rate, metric(&s, "messages"), metric(&s, "partitions"),
		   json_dumps(s.detail, JSON_COMPACT));
	FL_ASSERT_EQ(metric(&s, "partitions"), 6);
	FL_ASSERT_MSG(produced > 0, "the producer delivered nothing");
	FL_ASSERT_MSG(rate > produced * 0.95 && rate < produced * 1.05,
		      "rate %.1f is not within 5%% of the %.1f msg/s produced", rate, produced);
	/* A second sample uses the kept history: no new window wait. */
	fl_sample_reset(&s);
	uint64_t t0 = now_ns();
	sample_ok(probe, &s);
	double ms = (double)(now_ns() - t0) / 1e6;
	fltest_log("throughput: second sample %.1f msg/s in %.0f ms", metric(&s, "rate"), ms);
	FL_ASSERT_MSG(ms < 2000, "second sample waited %.0f ms", ms);
	FL_ASSERT_MSG(metric(&s, "rate") > produced * 0.95 && metric(&s, "rate") < produced * 1.05,
		      "rate %.1f, produced %.1f", metric(&s, "rate"), produced);
	fl_sample_reset(&s);
	kafkatest_rate_stop(prod);
	probe->ops->free(probe);
	fl_kafka_free(kafka);
}

/* ---- 2. lag against ground truth --------------------------------------------------- */

FLTEST(lag_equals_end_minus_committed_checked_with_kcat_and_kafka_tools)
{
	char topic[64], group[64];
	int64_t produced[4] = { 100, 200, 300, 400 }, committed[4] = { 10, 150, 300, -1 };
	struct fl_kafka *kafka;
	struct fl_diag diag = { 0 };
	struct fl_lag_snapshot *snap;

	fltest_set_timeout(120);
	kafkatest_topic_name(topic, sizeof(topic), "lag");
	kafkatest_topic_name(group, sizeof(group), "glag");
	kafkatest_create_topic(topic, 4, 3, -1);
	for (int p = 0; p < 4; p++)
		kafkatest_produce(topic, p, (int)produced[p]);
	kafkatest_commit(group, topic, committed, 4);
	kafka = open_kafka();
	if (fl_kafka_lag_snapshot(kafka, group, &snap, &diag) < 0)
		FL_FAIL("lag snapshot: %s", diag.msg);
	FL_ASSERT_EQ(snap->n_groups, 1);
	FL_ASSERT_EQ(snap->groups[0].n, 4);
	for (int p = 0; p < 4; p++) {
		const struct fl_lag_entry *e =
			fl_lag_snapshot_find(snap, &snap->groups[0], topic, p);
		FL_ASSERT(e);
		/* Independent views: kcat's ListOffsets, kafka-consumer-groups' OffsetFetch. */
		int64_t kcat_end = kafkatest_kcat_end(topic, p);
		int64_t tool_committed = kafkatest_tool_committed(group, topic, p);
		fltest_log("lag: %s/%d committed %" PRId64 " (tool %" PRId64 ") end %" PRId64
			   " (kcat %" PRId64 ") lag %" PRId64,
			   topic, p, e->committed, tool_committed, e->end, kcat_end, e->lag);
		FL_ASSERT_EQ(e->end, produced[p]);
		FL_ASSERT_EQ(e->end, kcat_end);
		FL_ASSERT_EQ(e->committed, committed[p]);
		FL_ASSERT_EQ(e->committed, tool_committed);
		FL_ASSERT_EQ(e->lag, committed[p] < 0 ? -1 : produced[p] - committed[p]);
	}
	fl_lag_snapshot_free(snap);

	/* The same through the probe: sums over the partitions with a commit. */
	struct fl_probe_spec spec = { .name = "lag",
				      .type = FL_PROBE_KAFKA_LAG,
				      .group = group,
				      .window_ns = 1000000000ull };
	struct fl_probe *probe = new_probe(kafka, &spec);
	struct fl_sample s = { 0 };
	sample_ok(probe, &s);
	fltest_log("lag probe: lag.max %.0f lag.sum %.0f status %s partitions %.0f",
		   metric(&s, "lag.max"), metric(&s, "lag.sum"), metric_text(&s, "status"),
		   metric(&s, "partitions"));
	FL_ASSERT_EQ(metric(&s, "lag.max"), 90);
	FL_ASSERT_EQ(metric(&s, "lag.sum"), 90 + 50 + 0);
	FL_ASSERT_EQ(metric(&s, "partitions"), 3);
	char key[96];
	snprintf(key, sizeof(key), "%s/1", topic);
	json_t *d = json_object_get(s.detail, key);
	FL_ASSERT(d);
	FL_ASSERT_EQ(json_integer_value(json_object_get(d, "lag")), 50);
	fl_sample_reset(&s);
	probe->ops->free(probe);

	/* An unknown group is no data. */
	struct fl_probe_spec none = { .name = "none",
				      .type = FL_PROBE_KAFKA_LAG,
				      .group = "faultline-no-such-group" };
	probe = new_probe(kafka, &none);
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ENODATA);
	FL_ASSERT_STREQ(metric_text(&s, "status"), "ERR");
	fltest_log("unknown group: %s", s.error);
	fl_sample_reset(&s);
	probe->ops->free(probe);
	fl_kafka_free(kafka);
}

/* ---- 3. status: idle OK, stall, rewind ---------------------------------------------- */

FLTEST(idle_caught_up_is_ok_stalled_is_stall_rewound_is_rewind)
{
	char idle[64], busy[64], gidle[64], gstall[64];
	struct fl_sample s = { 0 };

	fltest_set_timeout(120);
	kafkatest_topic_name(idle, sizeof(idle), "idle");
	kafkatest_topic_name(busy, sizeof(busy), "busy");
	kafkatest_topic_name(gidle, sizeof(gidle), "gidle");
	kafkatest_topic_name(gstall, sizeof(gstall), "gstall");
	kafkatest_create_topic(idle, 2, 3, -1);
	kafkatest_create_topic(busy, 2, 3, -1);
	for (int p = 0; p < 2; p++)
		kafkatest_produce(idle, p, 50);
	int64_t caught_up[2] = { 50, 50 };
	kafkatest_commit(gidle, idle, caught_up, 2);
	int64_t stuck[2] = { 0, 0 };
	kafkatest_commit(gstall, busy, stuck, 2);
	struct kafkatest_rate *prod = kafkatest_rate_start(busy, 200);

	struct fl_kafka *kafka = open_kafka();
	/* A window long enough that the rewind sample still holds the snapshots from before
	 * the reset, even on a loaded machine. */
	struct fl_probe_spec sidle = { .name = "idle",
				       .type = FL_PROBE_KAFKA_LAG,
				       .group = gidle,
				       .window_ns = 6000000000ull };
	struct fl_probe_spec sstall = { .name = "stall",
					.type = FL_PROBE_KAFKA_LAG,
					.group = gstall,
					.window_ns = 2000000000ull };
	struct fl_probe *pidle = new_probe(kafka, &sidle), *pstall = new_probe(kafka, &sstall);

	sample_ok(pidle, &s);
	fltest_log("idle topic, caught-up group: status %s lag.max %.0f", metric_text(&s, "status"),
		   metric(&s, "lag.max"));
	FL_ASSERT_STREQ(metric_text(&s, "status"), "OK");
	FL_ASSERT_EQ(metric(&s, "lag.max"), 0);
	fl_sample_reset(&s);

	sample_ok(pstall, &s);
	fltest_log("stalled consumer, producer at 200 msg/s: status %s lag.max %.0f stalled %.0f",
		   metric_text(&s, "status"), metric(&s, "lag.max"),
		   metric(&s, "partitions.stalled"));
	FL_ASSERT_STREQ(metric_text(&s, "status"), "STALL");
	FL_ASSERT_EQ(metric(&s, "partitions.stalled"), 2);
	FL_ASSERT(metric(&s, "lag.max") > 0);
	/* the stalled group committed nothing over its window: the partition effect check */
	FL_ASSERT_EQ(metric(&s, "committed.advance"), 0);
	fl_sample_reset(&s);

	/* It commits 30 and 70 further: within the window (the last sample's snapshot is under
	 * 2.5 s old), committed.advance is exactly what moved. */
	int64_t moved[2] = { 30, 70 };
	kafkatest_commit(gstall, busy, moved, 2);
	sample_ok(pstall, &s);
	fltest_log("the group commits 30 + 70 offsets: committed.advance %.0f",
		   metric(&s, "committed.advance"));
	FL_ASSERT_EQ(metric(&s, "committed.advance"), 100);
	fl_sample_reset(&s);

	/* The caught-up group is reset to earlier offsets: REWIND, although it was at lag 0. */
	int64_t back[2] = { 10, 50 };
	kafkatest_commit(gidle, idle, back, 2);
	sample_ok(pidle, &s);
	fltest_log("rewound group: status %s rewound %.0f lag.sum %.0f detail %s",
		   metric_text(&s, "status"), metric(&s, "partitions.rewound"),
		   metric(&s, "lag.sum"), json_dumps(s.detail, JSON_COMPACT));
	FL_ASSERT_STREQ(metric_text(&s, "status"), "REWIND");
	FL_ASSERT_EQ(metric(&s, "partitions.rewound"), 1);
	FL_ASSERT_EQ(metric(&s, "lag.sum"), 40);
	fl_sample_reset(&s);

	kafkatest_rate_stop(prod);
	pidle->ops->free(pidle);
	pstall->ops->free(pstall);
	fl_kafka_free(kafka);
}

/* ---- 4 and 5. a broker down: under-replicated partitions, e2e lost ------------------- */

static unsigned bad_set(const struct fl_sample *s, const char *topic, int32_t *ret, unsigned max)
{
	json_t *bad = json_object_get(s->detail, "bad"), *b;
	size_t i;
	unsigned n = 0;

	json_array_foreach(bad, i, b)
	{
		if (strcmp(json_string_value(json_object_get(b, "topic")), topic) != 0 || n >= max)
			continue;
		ret[n++] = (int32_t)json_integer_value(json_object_get(b, "partition"));
	}
	return n;
}

/* Sample until the probe reports `want` under-replicated partitions of topic (or time out). */
static void wait_under_replicated(struct fl_probe *probe, const char *topic, unsigned want,
				  int seconds, struct fl_sample *s)
{
	for (int i = 0; i < seconds; i++) {
		fl_sample_reset(s);
		if (probe->ops->sample(probe, s) == 0 && metric(s, "underReplicated") == want)
			return;
		struct timespec ts = { 1, 0 };
		nanosleep(&ts, NULL);
	}
	FL_FAIL("%s: underReplicated did not reach %u in %d s (last: err %d %s, value %g)", topic,
		want, seconds, s->err, s->error, s->err ? -1 : metric(s, "underReplicated"));
}

FLTEST(stopped_broker_makes_its_partitions_under_replicated_and_e2e_lost)
{
	char topic[64], down[64], e2e[64];
	int32_t hosted[16], got[16];
	unsigned n_hosted;
	struct fl_sample s = { 0 };
	const int broker = 2; /* node ids are 0..2 */

	fltest_set_timeout(300);
	kafkatest_topic_name(topic, sizeof(topic), "ur");
	kafkatest_topic_name(down, sizeof(down), "down");
	kafkatest_topic_name(e2e, sizeof(e2e), "e2e");
	/* RF 2 over 3 brokers: some partitions have a replica on the broker, some do not. */
	kafkatest_create_topic(topic, 9, 2, -1);
	kafkatest_create_topic(down, 1, 1, broker); /* its only replica on that broker */
	kafkatest_create_topic(e2e, 3, 3, -1);
	n_hosted = kafkatest_partitions_on(topic, broker, hosted, FL_ARRAY_SIZE(hosted));
	FL_ASSERT(n_hosted > 0 && n_hosted < 9);

	struct fl_kafka *kafka = open_kafka();
	struct fl_probe_spec sparts = { .name = "parts",
					.type = FL_PROBE_KAFKA_PARTITIONS,
					.topic = topic };
	struct fl_probe_spec se2e = { .name = "e2e", .type = FL_PROBE_KAFKA_E2E, .topic = e2e };
	struct fl_probe_spec sdown = { .name = "e2e-down",
				       .type = FL_PROBE_KAFKA_E2E,
				       .topic = down,
				       .timeout_ns = 3000000000ull };
	struct fl_probe_spec sleader = { .name = "leader",
					 .type = FL_PROBE_KAFKA_PARTITIONS,
					 .topic = down };
	struct fl_probe *pparts = new_probe(kafka, &sparts), *pe2e = new_probe(kafka, &se2e),
			*pdown = new_probe(kafka, &sdown), *pleader = new_probe(kafka, &sleader);

	/* leader: the broker holding the topic's only replica, by construction */
	sample_ok(pleader, &s);
	FL_ASSERT_EQ(metric(&s, "leader"), broker);
	fl_sample_reset(&s);

	sample_ok(pparts, &s);
	FL_ASSERT_EQ(metric(&s, "partitions"), 9);
	FL_ASSERT_EQ(metric(&s, "underReplicated"), 0);
	FL_ASSERT_EQ(metric(&s, "offline"), 0);
	fl_sample_reset(&s);
	/* e2e with every broker up (the first marker also warms up the connections). */
	sample_ok(pe2e, &s);
	fl_sample_reset(&s);
	sample_ok(pe2e, &s);
	fltest_log("e2e: latency %.1f ms, lost %.0f", metric(&s, "latencyMs"), metric(&s, "lost"));
	FL_ASSERT_EQ(metric(&s, "lost"), 0);
	FL_ASSERT(metric(&s, "latencyMs") > 0 && metric(&s, "latencyMs") < 5000);
	fl_sample_reset(&s);

	uint64_t t0 = now_ns();
	/* The next test (or binary, on a shared cluster) gets the broker back, in sync and
	 * leading what it led, also when an assertion below fails. */
	fltest_defer(kafkatest_restore_cb, NULL);
	kafkatest_broker_stop(broker);
	wait_under_replicated(pparts, topic, n_hosted, 90, &s);
	fltest_log("broker %d stopped: %.0f of 9 partitions under-replicated after %.1f s "
		   "(expected %u), offline %.0f",
		   broker, metric(&s, "underReplicated"), (double)(now_ns() - t0) / 1e9, n_hosted,
		   metric(&s, "offline"));
	/* Exactly the partitions with a replica on that broker ... */
	unsigned n_got = bad_set(&s, topic, got, FL_ARRAY_SIZE(got));
	FL_ASSERT_EQ(n_got, n_hosted);
	for (unsigned i = 0; i < n_hosted; i++)
		FL_ASSERT_EQ(got[i], hosted[i]);
	/* ... which is what Kafka's own tool says. */
	unsigned tool = kafkatest_tool_under_replicated(topic, got, FL_ARRAY_SIZE(got));
	fltest_log("kafka-topics --under-replicated-partitions: %u partitions", tool);
	FL_ASSERT_EQ(tool, n_hosted);
	for (unsigned i = 0; i < n_hosted; i++)
		FL_ASSERT_EQ(got[i], hosted[i]);
	FL_ASSERT_EQ(metric(&s, "offline"), 0);
	fl_sample_reset(&s);
	/* its only replica's broker is down: no leader (-1), offline */
	sample_ok(pleader, &s);
	fltest_log(
		"topic %s with its only replica on the stopped broker: leader %.0f, offline %.0f",
		down, metric(&s, "leader"), metric(&s, "offline"));
	FL_ASSERT_EQ(metric(&s, "leader"), -1);
	FL_ASSERT_EQ(metric(&s, "offline"), 1);
	fl_sample_reset(&s);

	/* e2e to a topic whose only broker is down: lost, within the probe's time limit. */
	t0 = now_ns();
	sample_ok(pdown, &s);
	double took = (double)(now_ns() - t0) / 1e6;
	fltest_log("e2e to a topic on the stopped broker: lost %.0f after %.0f ms (%s)",
		   metric(&s, "lost"), took, json_dumps(s.detail, JSON_COMPACT));
	FL_ASSERT_EQ(metric(&s, "lost"), 1);
	FL_ASSERT_MSG(took < 4500, "e2e took %.0f ms with a 3 s limit", took);
	fl_sample_reset(&s);
	/* The replicated topic still works with one broker down. */
	sample_ok(pe2e, &s);
	fltest_log("e2e (RF 3, one broker down): latency %.1f ms, lost %.0f",
		   metric(&s, "latencyMs"), metric(&s, "lost"));
	FL_ASSERT_EQ(metric(&s, "lost"), 0);
	fl_sample_reset(&s);

	t0 = now_ns();
	kafkatest_broker_start(broker);
	wait_under_replicated(pparts, topic, 0, 120, &s);
	fltest_log("broker %d back: 0 under-replicated after %.1f s", broker,
		   (double)(now_ns() - t0) / 1e9);
	fl_sample_reset(&s);
	/* Every partition of the cluster in sync and led by its preferred replica again. */
	kafkatest_restore();
	char why[256];
	FL_ASSERT_MSG(kafkatest_cluster_whole(why, sizeof(why)), "after the restore: %s", why);
	fltest_log("cluster whole again %.1f s after the broker's start",
		   (double)(now_ns() - t0) / 1e9);
	pparts->ops->free(pparts);
	pe2e->ops->free(pe2e);
	pdown->ops->free(pdown);
	pleader->ops->free(pleader);
	fl_kafka_free(kafka);
}

/* ---- errors ----------------------------------------------------------------------- */

FLTEST(unreachable_cluster_is_a_sample_error_with_librdkafkas_text)
{
	struct fl_diag diag = { 0 };
	struct fl_kafka *kafka;
	struct fl_sample s = { 0 };

	FL_ASSERT_OK(fl_kafka_open("127.0.0.1:1", &kafka, &diag));
	struct fl_probe_spec spec = { .name = "dead",
				      .type = FL_PROBE_KAFKA_PARTITIONS,
				      .timeout_ns = 2000000000ull };
	struct fl_probe *probe = new_probe(kafka, &spec);
	uint64_t t0 = now_ns();
	int r = probe->ops->sample(probe, &s);
	fltest_log("unreachable: %d (%s) after %.0f ms", r, s.error, (double)(now_ns() - t0) / 1e6);
	FL_ASSERT(r == -ECONNREFUSED || r == -ETIMEDOUT);
	FL_ASSERT_CONTAINS(s.error, "127.0.0.1:1");
	FL_ASSERT((double)(now_ns() - t0) / 1e6 < 3000);
	fl_sample_reset(&s);
	probe->ops->free(probe);
	fl_kafka_free(kafka);
}

FLTEST(no_such_topic_is_no_data)
{
	struct fl_kafka *kafka = open_kafka();
	struct fl_sample s = { 0 };
	struct fl_probe_spec spec = { .name = "nope",
				      .type = FL_PROBE_KAFKA_THROUGHPUT,
				      .topic = "faultline-no-such-topic" };
	struct fl_probe *probe = new_probe(kafka, &spec);

	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ENODATA);
	FL_ASSERT_CONTAINS(s.error, "no such topic");
	fl_sample_reset(&s);
	probe->ops->free(probe);
	fl_kafka_free(kafka);
}

/* The cluster lives in the parent process, across the forked tests. */
KAFKATEST_CLUSTER()
