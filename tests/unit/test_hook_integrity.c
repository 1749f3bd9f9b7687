/* SPDX-License-Identifier: MIT */
/*
 * The "integrity" hook module (controller/src/hook_integrity.c) on a sink and an acked file
 * written here: lost / inFlight around the settle bound, duplicates and corrupt slots,
 * config and metric errors with their exact text, a prompt stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "hook.h"
#include "sink.h"

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
	setup(100, 100);
	void *m = start("1s");
	append_acked(101); /* after start: younger than settle */
	usleep(400 * 1000);
	FL_ASSERT_EQ(q(m, "lost"), 0);
	FL_ASSERT_EQ(q(m, "inFlight"), 1);
	/* Once settle has passed, it is judged: still not in the sink → lost. */
	usleep(1300 * 1000);
	FL_ASSERT_EQ(q(m, "lost"), 1);
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
			    "config: unknown field \"setle\" (expected acked, sink, settle)");
	expect_config_error("{\"acked\": 3, \"sink\": \"/s\"}",
			    "config.acked: expected a path (a non-empty string)");
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
