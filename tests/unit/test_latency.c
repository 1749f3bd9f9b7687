/* SPDX-License-Identifier: MIT */
/*
 * The pipeline's latency from the sink (controller/hooks/integrity/latency.c) and the sink's format 2
 * (sink.c): nearest-rank percentiles with exact values, the window by stored time
 * (inclusive bound, CRC-failed and untimed slots, clamped clock skew), the block files a
 * window scan skips by their modification time, and a sink of format 1 refused by name.
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
#include "latency.h"
#include "sink.h"

/* ---- nearest rank ------------------------------------------------------------------- */

static uint64_t *one_to(size_t n)
{
	uint64_t *v = calloc(n, sizeof(*v));

	FL_ASSERT(v);
	for (size_t i = 0; i < n; i++)
		v[i] = i + 1;
	return v;
}

FLTEST(nearest_rank_picks_an_observed_value_at_rank_ceil_p_n_over_100)
{
	const uint64_t single[] = { 7 }, pair[] = { 10, 20 };
	uint64_t *hundred = one_to(100), *h101 = one_to(101), *thousand = one_to(1000);

	FL_ASSERT_EQ(fl_latency_rank(single, 1, 50), 7);
	FL_ASSERT_EQ(fl_latency_rank(single, 1, 99), 7);
	FL_ASSERT_EQ(fl_latency_rank(pair, 2, 50), 10); /* rank ceil(1.0) = 1 */
	FL_ASSERT_EQ(fl_latency_rank(pair, 2, 51), 20); /* rank ceil(1.02) = 2 */
	FL_ASSERT_EQ(fl_latency_rank(pair, 2, 99), 20);
	FL_ASSERT_EQ(fl_latency_rank(hundred, 100, 1), 1);
	FL_ASSERT_EQ(fl_latency_rank(hundred, 100, 50), 50);
	FL_ASSERT_EQ(fl_latency_rank(hundred, 100, 95), 95);
	FL_ASSERT_EQ(fl_latency_rank(hundred, 100, 99), 99);
	FL_ASSERT_EQ(fl_latency_rank(hundred, 100, 100), 100);
	FL_ASSERT_EQ(fl_latency_rank(h101, 101, 50), 51);  /* rank ceil(50.5) = 51 */
	FL_ASSERT_EQ(fl_latency_rank(h101, 101, 99), 100); /* rank ceil(99.99) = 100 */
	FL_ASSERT_EQ(fl_latency_rank(thousand, 1000, 95), 950);
	FL_ASSERT_EQ(fl_latency_rank(thousand, 1000, 99), 990);
	free(hundred);
	free(h101);
	free(thousand);
}

/* ---- a sink written here ------------------------------------------------------------ */

static void rm_dir(void *arg)
{
	char cmd[512];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (const char *)arg);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", (const char *)arg);
	free(arg);
}

static const char *new_sink(void)
{
	char *dir = strdup("/tmp/fl-latency-XXXXXX"), path[300];
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT(dir && mkdtemp(dir));
	fltest_defer(rm_dir, dir);
	(void)snprintf(path, sizeof(path), "%s/sink", dir);
	FL_ASSERT_MSG(fl_sink_open(path, true, &s, &diag) == 0, "%s", diag.msg);
	fl_sink_close(s);
	char *ret = strdup(path);
	FL_ASSERT(ret);
	fltest_defer(free, ret);
	return ret;
}

/* Put seq with these times (produced FL_SINK_NO_TIME: no CreateTime). */
static void put(const char *sink, uint64_t seq, int64_t produced_ms, int64_t stored_ms)
{
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };
	char value[64];
	int n = snprintf(value, sizeof(value), "{\"seq\":%llu}", (unsigned long long)seq);
	struct fl_sink_record rec = { .seq = seq,
				      .produced_ms = produced_ms,
				      .stored_ms = stored_ms,
				      .value = value,
				      .len = (uint32_t)n };
	bool existed;

	FL_ASSERT_MSG(fl_sink_open(sink, false, &s, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_MSG(fl_sink_put(s, &rec, &existed, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_MSG(fl_sink_sync(s, &diag) == 0, "%s", diag.msg);
	fl_sink_close(s);
}

static struct fl_latency scan(const char *sink, int64_t since_ms)
{
	struct fl_latency lat;
	struct fl_diag diag = { 0 };

	FL_ASSERT_MSG(fl_latency_scan(sink, since_ms, &lat, &diag) == 0, "%s", diag.msg);
	return lat;
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Stored times 1000..1500 ms (a fixed past: the block file itself is modified now, so
 * nothing is skipped by its time); the window is stored_ms >= since, bound included.
 */
FLTEST(the_window_holds_the_records_stored_at_or_after_since)
{
	const char *sink = new_sink();

	put(sink, 1, 900, 1000);	     /* 100 ms, before every window below */
	put(sink, 2, 1180, 1200);	     /* 20 ms */
	put(sink, 3, 1170, 1200);	     /* 30 ms */
	put(sink, 4, 1260, 1300);	     /* 40 ms */
	put(sink, 5, FL_SINK_NO_TIME, 1300); /* stored, untimed */
	put(sink, 6, 1450, 1400);	     /* stored 50 ms "before" produced: clamped */
	put(sink, 7, 500, 1500);	     /* 1000 ms */

	struct fl_latency all = scan(sink, FL_SINK_SCAN_ALL);
	FL_ASSERT_EQ(all.stored, 7);
	FL_ASSERT_EQ(all.timed, 6); /* 0 20 30 40 100 1000 */
	FL_ASSERT_EQ(all.clamped, 1);
	FL_ASSERT_EQ(all.p50_ms, 30);	/* rank ceil(3.0) = 3 */
	FL_ASSERT_EQ(all.p95_ms, 1000); /* rank ceil(5.7) = 6 */
	FL_ASSERT_EQ(all.p99_ms, 1000);
	FL_ASSERT_EQ(all.max_ms, 1000);

	struct fl_latency w = scan(sink, 1200); /* seqs 2..7 */
	FL_ASSERT_EQ(w.stored, 6);
	FL_ASSERT_EQ(w.timed, 5); /* 0 20 30 40 1000 */
	FL_ASSERT_EQ(w.p50_ms, 30);
	FL_ASSERT_EQ(w.p99_ms, 1000);
	FL_ASSERT_EQ(w.max_ms, 1000);

	w = scan(sink, 1201); /* seqs 4..7: 0 40 1000 */
	FL_ASSERT_EQ(w.stored, 4);
	FL_ASSERT_EQ(w.timed, 3);
	FL_ASSERT_EQ(w.p50_ms, 40); /* rank ceil(1.5) = 2 */
	FL_ASSERT_EQ(w.max_ms, 1000);

	w = scan(sink, 1501); /* nothing */
	FL_ASSERT_EQ(w.stored, 0);
	FL_ASSERT_EQ(w.timed, 0);
	FL_ASSERT_EQ(w.clamped, 0);
	FL_ASSERT_EQ(w.p50_ms, 0);
	FL_ASSERT_EQ(w.max_ms, 0);
}

/* A slot whose CRC fails says nothing trustworthy about its times: not in any window. */
FLTEST(a_corrupt_slot_is_left_out)
{
	const char *sink = new_sink();
	char path[400];
	unsigned char byte;
	int fd;

	put(sink, 1, 1000, 1010);
	put(sink, 2, 1000, 1020);
	(void)snprintf(path, sizeof(path), "%s/blk-0000000000.dat", sink);
	fd = open(path, O_RDWR);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_EQ(pread(fd, &byte, 1, 2 * FL_SINK_SLOT_SIZE + 40), 1); /* seq 2's stored_ms */
	byte ^= 0x01;
	FL_ASSERT_EQ(pwrite(fd, &byte, 1, 2 * FL_SINK_SLOT_SIZE + 40), 1);
	close(fd);
	struct fl_latency all = scan(sink, FL_SINK_SCAN_ALL);
	FL_ASSERT_EQ(all.stored, 1);
	FL_ASSERT_EQ(all.max_ms, 10);
}

static void set_mtime(const char *sink, unsigned block, int64_t ms)
{
	char path[400];
	struct timespec t[2] = { { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L },
				 { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L } };

	(void)snprintf(path, sizeof(path), "%s/blk-%010u.dat", sink, block);
	FL_ASSERT_OK(utimensat(AT_FDCWD, path, t, 0) < 0 ? -errno : 0);
}

/*
 * A window scan skips a block file modified more than FL_SINK_MTIME_SLACK_MS before the
 * window: shown by slots that claim a recent stored time in a block dated an hour back (a
 * sink never holds such a slot: its put modified the file). Within the slack it is read.
 */
FLTEST(a_window_scan_skips_blocks_last_modified_before_it)
{
	const char *sink = new_sink();
	int64_t now = wall_ms(), since = now - 5000;

	put(sink, 1, now - 110, now - 100);			      /* block 0: 10 ms */
	put(sink, FL_SINK_BLOCK_SLOTS + 1, now - 120, now - 100);     /* block 1: 20 ms */
	put(sink, 2 * FL_SINK_BLOCK_SLOTS + 1, now - 130, now - 100); /* block 2: 30 ms */
	set_mtime(sink, 0, now - 3600 * 1000);
	set_mtime(sink, 1, since - FL_SINK_MTIME_SLACK_MS + 1); /* within the slack: read */

	struct fl_latency w = scan(sink, since);
	FL_ASSERT_EQ(w.stored, 2);
	FL_ASSERT_EQ(w.p50_ms, 20);
	FL_ASSERT_EQ(w.max_ms, 30);
	struct fl_latency all = scan(sink, FL_SINK_SCAN_ALL); /* every block */
	FL_ASSERT_EQ(all.stored, 3);
	FL_ASSERT_EQ(all.p50_ms, 20);
	FL_ASSERT_EQ(all.max_ms, 30);
	set_mtime(sink, 1, since - FL_SINK_MTIME_SLACK_MS - 1); /* past the slack: skipped */
	w = scan(sink, since);
	FL_ASSERT_EQ(w.stored, 1);
	FL_ASSERT_EQ(w.max_ms, 30);
}

/* Format 1 (value[224], no timestamps) would be misread: refused, by name, everywhere. */
FLTEST(a_sink_of_format_1_is_refused_with_its_format_line)
{
	const char *sink = new_sink();
	char path[400], want[600];
	struct fl_sink *s = NULL;
	struct fl_diag diag = { 0 };
	struct fl_latency lat;
	FILE *f;

	FL_ASSERT_EQ(FL_SINK_SLOT_SIZE, 256);
	(void)snprintf(path, sizeof(path), "%s/FORMAT", sink);
	char *text = fltest_read_file(path, NULL);
	FL_ASSERT_STREQ(text, "faultline-sink 2 block=4096 slot=256\n");
	free(text);
	f = fopen(path, "w");
	FL_ASSERT(f);
	fputs("faultline-sink 1 block=4096 slot=256\n", f);
	fclose(f);
	(void)snprintf(want, sizeof(want),
		       "sink: %s is \"faultline-sink 1 block=4096 slot=256\", not "
		       "\"faultline-sink 2 block=4096 slot=256\" (a sink written by another "
		       "version of the connector; start over with an empty sink directory)",
		       path);
	FL_ASSERT_EQ(fl_sink_open(sink, true, &s, &diag), -EPROTO);
	FL_ASSERT_STREQ(diag.msg, want);
	FL_ASSERT_EQ(fl_latency_scan(sink, FL_SINK_SCAN_ALL, &lat, &diag), -EPROTO);
	FL_ASSERT_STREQ(diag.msg, want);
	/* The connector's create did not overwrite it. */
	text = fltest_read_file(path, NULL);
	FL_ASSERT_STREQ(text, "faultline-sink 1 block=4096 slot=256\n");
	free(text);
	FL_ASSERT_OK(unlink(path) < 0 ? -errno : 0);
	FL_ASSERT_EQ(fl_latency_scan(sink, FL_SINK_SCAN_ALL, &lat, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "/FORMAT: No such file or directory (not a sink?)");
}
