/* SPDX-License-Identifier: MIT */
/*
 * The "integrity" hook module (controller/hooks/hook_integrity.c) on a sink and an acked file
 * written here: lost / inFlight around the settle bound, duplicates and corrupt slots, the
 * latency of the records stored in the last latencyWindow (exact percentiles, no data
 * when none, through a probe and its verdict too), the cost of one query at 100,000
 * records, config and metric errors with their exact text, a prompt stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "hook_run.h"
#include "latency.h"
#include "sink.h"
#include "verdict.h"

static char dir[] = "/tmp/fl-integrity-XXXXXX";
static char acked[256], sinkdir[256];

static void rm_dir(void *arg)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (const char *)arg);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", (const char *)arg);
}

/* A sink holding seqs [1, stored] and an acked file listing [1, acked_n]. */
static void setup(unsigned stored, unsigned acked_n)
{
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };
	FILE *f;

	memcpy(dir, "/tmp/fl-integrity-XXXXXX", sizeof(dir));
	FL_ASSERT(mkdtemp(dir) != NULL);
	fltest_defer(rm_dir, dir);
	(void)snprintf(acked, sizeof(acked), "%s/acked", dir);
	(void)snprintf(sinkdir, sizeof(sinkdir), "%s/sink", dir);
	FL_ASSERT_MSG(fl_sink_open(sinkdir, true, &s, &diag) == 0, "%s", diag.msg);
	for (unsigned i = 1; i <= stored; i++) {
		char value[64];
		int n = snprintf(value, sizeof(value), "{\"seq\":%u}", i);
		struct fl_sink_record rec = { .seq = i, .value = value, .len = (uint32_t)n };
		bool existed;
		FL_ASSERT_MSG(fl_sink_put(s, &rec, &existed, &diag) == 0, "%s", diag.msg);
	}
	FL_ASSERT_MSG(fl_sink_sync(s, &diag) == 0, "%s", diag.msg);
	fl_sink_close(s);
	f = fopen(acked, "w");
	FL_ASSERT(f != NULL);
	for (unsigned i = 1; i <= acked_n; i++)
		fprintf(f, "%u\n", i);
	fclose(f);
}

static void append_acked(unsigned seq)
{
	FILE *f = fopen(acked, "a");

	FL_ASSERT(f != NULL);
	fprintf(f, "%u\n", seq);
	fclose(f);
}

static void *start(const char *settle)
{
	struct fl_diag diag = { 0 };
	void *state = NULL;
	json_t *cfg =
		json_pack("{s:s, s:s, s:s}", "acked", acked, "sink", sinkdir, "settle", settle);
	int r = fl_hook_integrity.start(cfg, &state, &diag);

	json_decref(cfg);
	FL_ASSERT_MSG(r == 0, "start: %d %s", r, diag.msg);
	return state;
}

static double q(void *state, const char *metric)
{
	struct fl_diag diag = { 0 };
	double v = -1;
	int r = fl_hook_integrity.query(state, metric, &v, &diag);

	FL_ASSERT_MSG(r == 0, "query %s: %d %s", metric, r, diag.msg);
	return v;
}

FLTEST(everything_stored_is_nothing_lost)
{
	setup(100, 100);
	void *m = start("0s");
	FL_ASSERT_EQ(q(m, "lost"), 0);
	FL_ASSERT_EQ(q(m, "acknowledged"), 100);
	FL_ASSERT_EQ(q(m, "inSink"), 100);
	FL_ASSERT_EQ(q(m, "duplicates"), 0);
	FL_ASSERT_EQ(q(m, "corrupt"), 0);
	FL_ASSERT_EQ(q(m, "gaps"), 0);
	fl_hook_integrity.stop(m);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/*
 * An experiment asks for lost, duplicates and corrupt in a row: they share one check (the
 * figures are printed), and a later query still sees what changed since.
 */
FLTEST(queries_in_a_row_share_one_check_and_later_ones_see_changes)
{
	struct timespec t0;
	double first, next;

	setup(50000, 50000);
	void *m = start("0s");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FL_ASSERT_EQ(q(m, "lost"), 0);
	first = ms_since(&t0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	FL_ASSERT_EQ(q(m, "duplicates"), 0);
	FL_ASSERT_EQ(q(m, "corrupt"), 0);
	next = ms_since(&t0);
	fltest_log("50,000 seqs: lost in %.1f ms (a check), duplicates + corrupt in %.3f ms", first,
		   next);
	append_acked(50001);
	usleep(300 * 1000); /* past one sample period */
	FL_ASSERT_EQ(q(m, "lost"), 1);
	FL_ASSERT_EQ(q(m, "acknowledged"), 50001);
	fl_hook_integrity.stop(m);
}

FLTEST(an_acknowledged_record_missing_from_the_sink_is_lost)
{
	setup(100, 100);
	append_acked(101);
	append_acked(102);
	void *m = start("0s");
	FL_ASSERT_EQ(q(m, "lost"), 2);
	FL_ASSERT_EQ(q(m, "inFlight"), 0);
	fl_hook_integrity.stop(m);
}

FLTEST(a_record_acknowledged_within_settle_is_in_flight_not_lost)
{
	struct timespec t0;
	double lost, in_flight, t;

	setup(100, 100);
	void *m = start("2s");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	append_acked(101); /* after start: younger than settle */
	usleep(400 * 1000);
	lost = q(m, "lost");
	in_flight = q(m, "inFlight");
	/* Only what was asked within settle of the append proves anything: a sleep a loaded
	 * machine stretched past it may rightly see the record judged. */
	if ((t = ms_since(&t0)) < 2000) {
		FL_ASSERT_EQ(lost, 0);
		FL_ASSERT_EQ(in_flight, 1);
	} else {
		fltest_log("asked %.0f ms after the append, past settle: not judged", t);
	}
	/* Once settle has passed (and a sample saw it: 4 a second), it is judged: still not
	 * in the sink → lost. Waited for, not slept. */
	while (q(m, "lost") != 1) {
		FL_ASSERT_MSG(ms_since(&t0) < 10000, "not judged lost 10 s after the append");
		usleep(50 * 1000);
	}
	fltest_log("judged lost %.0f ms after the append (settle 2 s)", ms_since(&t0));
	FL_ASSERT_MSG(ms_since(&t0) >= 2000, "judged lost before settle");
	FL_ASSERT_EQ(q(m, "inFlight"), 0);
	fl_hook_integrity.stop(m);
}

FLTEST(a_copied_slot_is_a_duplicate_and_a_flipped_byte_is_corrupt)
{
	unsigned char slot[256];
	char path[512];
	int fd;

	setup(20, 20);
	(void)snprintf(path, sizeof(path), "%s/blk-0000000000.dat", sinkdir);
	fd = open(path, O_RDWR);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_EQ(pread(fd, slot, sizeof(slot), 5 * 256), 256);
	FL_ASSERT_EQ(pwrite(fd, slot, sizeof(slot), 7 * 256), 256); /* seq 5 also at 7 */
	FL_ASSERT_EQ(pread(fd, slot, sizeof(slot), 9 * 256), 256);
	slot[40] ^= 0x20;
	FL_ASSERT_EQ(pwrite(fd, slot, sizeof(slot), 9 * 256), 256);
	close(fd);
	void *m = start("0s");
	FL_ASSERT_EQ(q(m, "duplicates"), 1);
	FL_ASSERT_EQ(q(m, "corrupt"), 2); /* one CRC mismatch, one misplaced slot */
	FL_ASSERT_EQ(q(m, "lost"), 2);	  /* 7 and 9 are gone */
	fl_hook_integrity.stop(m);
}

/* ---- latency ------------------------------------------------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Store seq as the connector would have at stored_ms, produced (CreateTime) at produced_ms. */
static void put_timed(uint64_t seq, int64_t produced_ms, int64_t stored_ms)
{
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };
	const char value[] = "{}";
	struct fl_sink_record rec = { .seq = seq,
				      .produced_ms = produced_ms,
				      .stored_ms = stored_ms,
				      .value = value,
				      .len = 2 };
	bool existed;

	FL_ASSERT_MSG(fl_sink_open(sinkdir, false, &s, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_MSG(fl_sink_put(s, &rec, &existed, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_MSG(fl_sink_sync(s, &diag) == 0, "%s", diag.msg);
	fl_sink_close(s);
}

static void *start_window(const char *window)
{
	struct fl_diag diag = { 0 };
	void *state = NULL;
	json_t *cfg = json_pack("{s:s, s:s, s:s}", "acked", acked, "sink", sinkdir, "latencyWindow",
				window);
	int r = fl_hook_integrity.start(cfg, &state, &diag);

	json_decref(cfg);
	FL_ASSERT_MSG(r == 0, "start: %d %s", r, diag.msg);
	return state;
}

/*
 * Stored 1 s ago: ten records of 10..100 ms, one without a CreateTime, one "stored before it
 * was produced" (clamped to 0 ms); 8 s ago: five of 5000 ms, outside the default 5 s window.
 * The test has 3 s before the records at -2 s leave the window, 2 s before those at -8 s
 * enter the 10 s one.
 */
FLTEST(latency_is_over_the_records_stored_in_the_last_window)
{
	int64_t now = wall_ms();

	setup(0, 0);
	for (unsigned i = 1; i <= 10; i++)
		put_timed(i, now - 1000 - 10 * i, now - 1000);
	put_timed(11, FL_SINK_NO_TIME, now - 2000);
	put_timed(12, now - 1200, now - 1500);
	for (unsigned i = 13; i <= 17; i++)
		put_timed(i, now - 13000, now - 8000);

	void *m = start("0s"); /* latencyWindow: the default 5 s */
	FL_ASSERT_EQ(q(m, "stored"), 12);
	FL_ASSERT_EQ(q(m, "latency.clamped"), 1);
	/* 11 timed: 0 10 20 ... 100 */
	FL_ASSERT_EQ(q(m, "latency.p50"), 50);	/* rank ceil(5.5) = 6 */
	FL_ASSERT_EQ(q(m, "latency.p95"), 100); /* rank ceil(10.45) = 11 */
	FL_ASSERT_EQ(q(m, "latency.p99"), 100);
	FL_ASSERT_EQ(q(m, "latency.max"), 100);
	FL_ASSERT_EQ(q(m, "inSink"), 17); /* the integrity check sees the whole sink */
	fl_hook_integrity.stop(m);

	m = start_window("10s"); /* 16 timed: 0 10 ... 100, then 5000 five times */
	FL_ASSERT_EQ(q(m, "stored"), 17);
	FL_ASSERT_EQ(q(m, "latency.p50"), 70);	 /* rank 8 */
	FL_ASSERT_EQ(q(m, "latency.p95"), 5000); /* rank ceil(15.2) = 16 */
	FL_ASSERT_EQ(q(m, "latency.p99"), 5000);
	FL_ASSERT_EQ(q(m, "latency.max"), 5000);
	fl_hook_integrity.stop(m);
}

static int q_err(void *state, const char *metric, struct fl_diag *diag)
{
	double v = -1;
	int r = fl_hook_integrity.query(state, metric, &v, diag);

	FL_ASSERT_MSG(r < 0, "query %s: %g, expected an error", metric, v);
	return r;
}

FLTEST(no_record_in_the_window_is_no_data_while_stored_is_zero)
{
	struct fl_diag diag = { 0 };
	int64_t now = wall_ms();

	setup(0, 0);
	put_timed(1, now - 9000, now - 8000); /* before the window */
	void *m = start("0s");
	FL_ASSERT_EQ(q(m, "stored"), 0);
	FL_ASSERT_EQ(q(m, "latency.clamped"), 0);
	FL_ASSERT_EQ(q_err(m, "latency.p50", &diag), -ENODATA);
	FL_ASSERT_STREQ(diag.msg, "no record stored in the last 5s");
	FL_ASSERT_EQ(q_err(m, "latency.p99", &diag), -ENODATA);
	FL_ASSERT_EQ(q_err(m, "latency.max", &diag), -ENODATA);
	fl_hook_integrity.stop(m);

	put_timed(2, FL_SINK_NO_TIME, now); /* stored, but without a CreateTime */
	m = start("0s");
	FL_ASSERT_EQ(q(m, "stored"), 1);
	FL_ASSERT_EQ(q_err(m, "latency.max", &diag), -ENODATA);
	FL_ASSERT_STREQ(diag.msg, "no record with a CreateTime among the 1 stored in the last 5s");
	fl_hook_integrity.stop(m);
}

/* Through hook.c: the probe's sample is no data, and onNoData makes the verdict. */
FLTEST(a_latency_probe_without_data_is_judged_by_on_no_data)
{
	struct fl_diag diag = { 0 };
	struct fl_hooks *h = NULL;
	struct fl_probe *probe = NULL;
	struct fl_sample s;
	struct fl_verdict v;

	setup(0, 0);
	struct fl_hook_spec hs = { .name = (char *)"pipe",
				   .module = (char *)"integrity",
				   .config = json_pack("{s:s, s:s, s:s}", "acked", acked, "sink",
						       sinkdir, "latencyWindow", "2s") };
	FL_ASSERT_MSG(fl_hooks_new(&hs, 1, &h, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_MSG(fl_hooks_start(h, "pipe", &diag) == 0, "%s", diag.msg);
	struct fl_tolerance t = { .has_max = true, .max = 250 };
	struct fl_probe_spec spec = { .name = (char *)"e2e-latency",
				      .type = FL_PROBE_HOOK,
				      .hook = (char *)"pipe",
				      .hook_metric = (char *)"latency.p99",
				      .tolerances = &t,
				      .n_tolerances = 1,
				      .on_no_data = FL_NODATA_FAIL };
	FL_ASSERT_MSG(fl_hook_probe_new(h, &spec, &probe, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ENODATA);
	FL_ASSERT_STREQ(s.error, "hook pipe: integrity: no record stored in the last 2s");
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(v.message, "no data: hook pipe: integrity: no record stored in the "
				      "last 2s (onNoData: fail)");
	spec.on_no_data = FL_NODATA_INCONCLUSIVE;
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_INCONCLUSIVE);
	fl_sample_reset(&s);

	int64_t now = wall_ms();
	put_timed(1, now - 300, now); /* 300 ms > max 250 */
	usleep(300 * 1000);	      /* past the sample period the no-data answer was cached for */
	FL_ASSERT_OK(probe->ops->sample(probe, &s));
	FL_ASSERT_EQ(fl_sample_get(&s, "value")->value, 300);
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(v.message, "pipe latency.p99 300 > 250");
	fl_sample_reset(&s);
	probe->ops->free(probe);
	fl_hooks_free(h);
	json_decref(hs.config);
}

/* Wall and CPU time of this thread (a query runs on its caller's thread). */
struct cost {
	struct timespec wall0, cpu0;
	double wall_ms, cpu_ms;
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void cost_start(struct cost *c)
{
	clock_gettime(CLOCK_MONOTONIC, &c->wall0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c->cpu0);
}

static void cost_stop(struct cost *c)
{
	struct timespec wall, cpu;

	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
	c->wall_ms = ms_between(&c->wall0, &wall);
	c->cpu_ms = ms_between(&c->cpu0, &cpu);
}

static void backdate(const char *name, int64_t ms)
{
	char path[512];
	struct timespec t[2] = { { (time_t)(ms / 1000), 0 }, { (time_t)(ms / 1000), 0 } };

	(void)snprintf(path, sizeof(path), "%s/%s", sinkdir, name);
	FL_ASSERT_OK(utimensat(AT_FDCWD, path, t, 0) < 0 ? -errno : 0);
}

/*
 * The cost of one latency query at the size of a whole gameday's sink (100,000 records, 25
 * blocks), the last 1,000 of them stored in the window: the blocks written an hour ago (as
 * a real sink's old blocks are) are not read. Printed next to the integrity check's cost.
 */
FLTEST(a_latency_query_at_100k_records_reads_only_the_recent_blocks)
{
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };
	struct fl_latency all;
	char name[64];
	int64_t now = wall_ms(), old = now - 3600 * 1000;
	const unsigned n = 100000;
	struct cost latency, full, check;

	setup(0, n);
	FL_ASSERT_MSG(fl_sink_open(sinkdir, false, &s, &diag) == 0, "%s", diag.msg);
	for (unsigned i = 1; i <= n; i++) {
		bool recent = i > n - 1000;
		int64_t stored = recent ? now - 1000 : old;
		struct fl_sink_record rec = { .seq = i,
					      .produced_ms = stored - (recent ? i % 100 : 5000),
					      .stored_ms = stored,
					      .value = "{}",
					      .len = 2 };
		bool existed;
		FL_ASSERT_MSG(fl_sink_put(s, &rec, &existed, &diag) == 0, "%s", diag.msg);
	}
	FL_ASSERT_MSG(fl_sink_sync(s, &diag) == 0, "%s", diag.msg);
	fl_sink_close(s);
	/* Seqs up to 98,999 were written an hour ago: so were their blocks (0..23). */
	for (unsigned b = 0; b < (n - 1000) / FL_SINK_BLOCK_SLOTS; b++) {
		(void)snprintf(name, sizeof(name), "blk-%010u.dat", b);
		backdate(name, old);
	}
	void *m = start("0s");
	cost_start(&latency);
	FL_ASSERT_EQ(q(m, "stored"), 1000);
	cost_stop(&latency);
	FL_ASSERT_EQ(q(m, "latency.max"), 99);
	FL_ASSERT_EQ(q(m, "latency.p50"), 49); /* 10 each of 0..99: rank 500 */
	FL_ASSERT_EQ(q(m, "latency.p95"), 94); /* rank 950 */
	FL_ASSERT_EQ(q(m, "latency.p99"), 98); /* rank 990 */
	cost_start(&full);
	FL_ASSERT_OK(fl_latency_scan(sinkdir, FL_SINK_SCAN_ALL, &all, &diag));
	cost_stop(&full);
	FL_ASSERT_EQ(all.stored, n);
	FL_ASSERT_EQ(all.max_ms, 5000);
	cost_start(&check);
	FL_ASSERT_EQ(q(m, "lost"), 0);
	cost_stop(&check);
	fltest_log("100,000 records: a latency query %.1f ms (%.1f ms CPU; 1 of 25 blocks read), "
		   "the whole sink's latency %.1f ms (%.1f ms CPU), the integrity check %.1f ms "
		   "(%.1f ms CPU)",
		   latency.wall_ms, latency.cpu_ms, full.wall_ms, full.cpu_ms, check.wall_ms,
		   check.cpu_ms);
	fl_hook_integrity.stop(m);
}

static void expect_config_error(const char *json_text, const char *want)
{
	struct fl_diag diag = { 0 };
	json_t *cfg = json_loads(json_text, JSON_DECODE_ANY, NULL);

	FL_ASSERT(cfg != NULL);
	FL_ASSERT_EQ(fl_hook_check_config(&fl_hook_integrity, cfg, &diag), -EINVAL);
	json_decref(cfg);
	FL_ASSERT_STREQ(diag.msg, want);
}

FLTEST(bad_config_names_the_field_and_the_value)
{
	expect_config_error("{\"sink\": \"/x\"}",
			    "config.acked: required (the loader's acked file)");
	expect_config_error("{\"acked\": \"/x\"}", "config.sink: required (the connector's sink)");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"settle\": \"5x\"}",
			    "config.settle: \"5x\" is not a duration between 0s and 10m");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"settle\": \"11m\"}",
			    "config.settle: \"11m\" is not a duration between 0s and 10m");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"setle\": \"1s\"}",
			    "config: unknown field \"setle\" (expected acked, sink, settle, "
			    "latencyWindow)");
	expect_config_error("{\"acked\": 3, \"sink\": \"/s\"}",
			    "config.acked: expected a path (a non-empty string)");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"latencyWindow\": \"500ms\"}",
			    "config.latencyWindow: \"500ms\" is not a duration between 1s and 10m");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"latencyWindow\": \"11m\"}",
			    "config.latencyWindow: \"11m\" is not a duration between 1s and 10m");
	expect_config_error("{\"acked\": \"/a\", \"sink\": \"/s\", \"latencyWindow\": 5}",
			    "config.latencyWindow: (not a string) is not a duration between 1s and "
			    "10m");
	expect_config_error("[]", "config: expected an object");
	expect_config_error("null", "config.acked: required (the loader's acked file)");
	FL_ASSERT_EQ(fl_hook_check_config(&fl_hook_integrity, NULL, NULL), -EINVAL);
	json_t *good = json_pack("{s:s,s:s,s:s}", "acked", "/a", "sink", "/s", "settle", "0s");
	FL_ASSERT_EQ(fl_hook_check_config(&fl_hook_integrity, good, NULL), 0);
	json_decref(good);
}

FLTEST(unknown_metric_and_missing_files_are_errors_with_their_name)
{
	struct fl_diag diag = { 0 };
	double v;

	setup(3, 3);
	void *m = start("0s");
	FL_ASSERT(!fl_hook_listed(fl_hook_integrity.metrics, "records"));
	FL_ASSERT(fl_hook_listed(fl_hook_integrity.metrics, "unacknowledged"));
	FL_ASSERT_EQ(fl_hook_integrity.query(m, "records", &v, &diag), -ENOENT);
	unlink(acked);
	FL_ASSERT_EQ(fl_hook_integrity.query(m, "lost", &v, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, acked);
	FL_ASSERT_EQ(fl_hook_integrity.check_call("reset", NULL, &diag), -ENOTSUP);
	FL_ASSERT_STREQ(diag.msg, "unknown action \"reset\" (it has none)");
	fl_hook_integrity.stop(m);
}

FLTEST(stop_is_prompt)
{
	struct timespec a, b;

	setup(1, 1);
	void *m = start("10m");
	clock_gettime(CLOCK_MONOTONIC, &a);
	fl_hook_integrity.stop(m);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	fltest_log("stop took %ld ms", ms);
	FL_ASSERT(ms < 100);
}
