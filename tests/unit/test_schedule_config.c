/* SPDX-License-Identifier: MIT */
/*
 * Schedule config: the values of a good file and the exact message and position of bad
 * ones; the last run as derived from the history directory; pruning; and the missed-run
 * policy as the pure decision function.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "failmalloc.h"
#include "fltest.h"
#include "schedule.h"

#define HEAD "apiVersion: faultline/v1\nkind: Schedule\nmetadata: {name: nightly}\n"

static const char good[] =
	HEAD "spec:\n"
	     "  historyDir: /var/lib/faultline/history\n"
	     "  keep: 7\n"
	     "  missedRuns: runOnce\n"
	     "  timeout: 30m\n"
	     "  killGrace: 10s\n"
	     "  entries:\n"
	     "    - {name: gameday, cron: \"0 3 * * 1\", suite: exp/gameday.yaml, "
	     "args: [\"--seed\", \"42\"]}\n"
	     "    - name: hourly\n"
	     "      cron: \"@hourly\"\n"
	     "      suite: /abs/suite.yaml\n";

FLTEST(parses_a_good_file)
{
	struct fl_schedule *s = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_schedule_parse(good, strlen(good), "n.yaml", &s, &diag));
	FL_ASSERT_STREQ(s->name, "nightly");
	FL_ASSERT_STREQ(s->history_dir, "/var/lib/faultline/history");
	FL_ASSERT_EQ(s->keep, 7);
	FL_ASSERT_EQ(s->missed, FL_MISSED_RUN_ONCE);
	FL_ASSERT_EQ(s->timeout_ns, 1800ull * 1000000000ull);
	FL_ASSERT_EQ(s->kill_grace_ns, 10ull * 1000000000ull);
	FL_ASSERT_EQ(s->n_entries, 2);
	FL_ASSERT_STREQ(s->entries[0].name, "gameday");
	FL_ASSERT_STREQ(s->entries[0].cron.text, "0 3 * * 1");
	FL_ASSERT_STREQ(s->entries[0].suite, "exp/gameday.yaml");
	FL_ASSERT_EQ(s->entries[0].n_args, 2);
	FL_ASSERT_STREQ(s->entries[0].args[0], "--seed");
	FL_ASSERT_STREQ(s->entries[0].args[1], "42");
	FL_ASSERT(s->entries[0].args[2] == NULL);
	FL_ASSERT_EQ(s->entries[0].line, 11);
	FL_ASSERT_EQ(s->entries[1].n_args, 0);
	FL_ASSERT_EQ(s->entries[1].line, 12);
	FL_ASSERT_EQ(s->entries[1].cron.minutes, 1);
	fl_schedule_free(s);
}

FLTEST(defaults)
{
	static const char text[] = HEAD "spec:\n  historyDir: h\n  entries:\n"
					"  - {name: a, cron: \"@daily\", suite: s.yaml}\n";
	struct fl_schedule *s = NULL;

	FL_ASSERT_OK(fl_schedule_parse(text, strlen(text), NULL, &s, NULL));
	FL_ASSERT_EQ(s->keep, 30);
	FL_ASSERT_EQ(s->missed, FL_MISSED_SKIP);
	FL_ASSERT_EQ(s->timeout_ns, 4ull * 3600 * 1000000000ull);
	FL_ASSERT_EQ(s->kill_grace_ns, 60ull * 1000000000ull);
	fl_schedule_free(s);
}

FLTEST(load_makes_relative_paths_relative_to_the_file)
{
	static char dir[] = "/tmp/fl-sched-load-XXXXXX";
	static const char text[] = HEAD "spec:\n  historyDir: hist\n  entries:\n"
					"  - {name: a, cron: \"@daily\", suite: ../s.yaml}\n"
					"  - {name: b, cron: \"@daily\", suite: /abs.yaml}\n";
	struct fl_schedule *s = NULL;
	struct fl_diag diag = { 0 };
	char path[128], want[160];
	FILE *f;

	FL_ASSERT(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.yaml", dir);
	f = fopen(path, "w");
	FL_ASSERT(f);
	fputs(text, f);
	fclose(f);
	FL_ASSERT_OK(fl_schedule_load(path, &s, &diag));
	unlink(path);
	rmdir(dir);
	snprintf(want, sizeof(want), "%s/hist", dir);
	FL_ASSERT_STREQ(s->history_dir, want);
	snprintf(want, sizeof(want), "%s/../s.yaml", dir);
	FL_ASSERT_STREQ(s->entries[0].suite, want);
	FL_ASSERT_STREQ(s->entries[1].suite, "/abs.yaml");
	FL_ASSERT_STREQ(s->file, path);
	fl_schedule_free(s);
	FL_ASSERT_EQ(fl_schedule_load("/nonexistent/s.yaml", &s, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "cannot open: No such file or directory");
}

/* The error for text, at line:col, with this message. */
static void expect_error_at(int src_line, const char *text, int err, int line, int col,
			    const char *msg)
{
	struct fl_schedule *s = NULL;
	struct fl_diag diag = { 0 };
	int r = fl_schedule_parse(text, strlen(text), "bad.yaml", &s, &diag);

	if (r != err)
		FL_FAIL("line %d: returned %d, expected %d (%s)", src_line, r, err, diag.msg);
	if (strcmp(diag.msg, msg) != 0)
		FL_FAIL("line %d: \"%s\", expected \"%s\"", src_line, diag.msg, msg);
	if (diag.line != line || diag.col != col)
		FL_FAIL("line %d: at %d:%d, expected %d:%d (%s)", src_line, diag.line, diag.col,
			line, col, msg);
	FL_ASSERT(s == NULL);
	FL_ASSERT_STREQ(diag.file, "bad.yaml");
}
#define expect_error(...) expect_error_at(__LINE__, __VA_ARGS__)

#define SPEC_ENTRY(e) HEAD "spec:\n  historyDir: h\n  entries:\n  - " e "\n"

FLTEST(errors_have_position_and_exact_message)
{
	expect_error(HEAD "spec:\n  historyDr: /x\n", -EINVAL, 5, 3,
		     "spec.historyDr: unknown field (expected historyDir, keep, missedRuns, "
		     "timeout, killGrace, entries)");
	expect_error("apiVersion: faultline/v1\nkind: Schedule\nfoo: 1\n", -EINVAL, 3, 1,
		     "foo: unknown field (expected apiVersion, kind, metadata, spec)");
	expect_error("apiVersion: faultline/v2\n", -EINVAL, 1, 13,
		     "apiVersion: \"faultline/v2\" is not supported (expected faultline/v1)");
	expect_error("apiVersion: faultline/v1\nkind: Experiment\n", -EINVAL, 2, 7,
		     "kind: \"Experiment\" is not Schedule");
	expect_error("apiVersion: faultline/v1\nkind: Schedule\nmetadata: {name: Nightly}\n",
		     -EINVAL, 3, 18,
		     "metadata.name: \"Nightly\" is not a valid name (lowercase letters, digits "
		     "and '-', at most 63 characters, starting and ending with a letter or "
		     "digit)");
	expect_error(HEAD, -EINVAL, 1, 1, "spec: required field missing");
	expect_error(HEAD "spec:\n  entries: []\n", -EINVAL, 5, 12,
		     "spec.entries: expected at least one entry");
	expect_error(HEAD "spec:\n  historyDir: h\n  keep: 0\n", -ERANGE, 6, 9,
		     "spec.keep: \"0\" is out of range 1-10000");
	expect_error(HEAD "spec:\n  historyDir: h\n  keep: 99999999999999999999\n", -ERANGE, 6, 9,
		     "spec.keep: \"99999999999999999999\" is out of range 1-10000");
	expect_error(HEAD "spec:\n  historyDir: h\n  keep: \"3\"\n", -EINVAL, 6, 9,
		     "spec.keep: \"3\" is not a number");
	expect_error(HEAD "spec:\n  historyDir: h\n  keep: -1\n", -EINVAL, 6, 9,
		     "spec.keep: \"-1\" is not a number");
	expect_error(HEAD "spec:\n  missedRuns: sometimes\n", -EINVAL, 5, 15,
		     "spec.missedRuns: \"sometimes\" is not a policy (expected skip or runOnce)");
	expect_error(HEAD "spec:\n  timeout: 30\n", -EINVAL, 5, 12,
		     "spec.timeout: \"30\" is not a duration (e.g. 90s, 30m, 2h)");
	expect_error(HEAD "spec:\n  timeout: 8d\n", -EINVAL, 5, 12,
		     "spec.timeout: \"8d\" is not a duration (e.g. 90s, 30m, 2h)");
	expect_error(HEAD "spec:\n  timeout: 200h\n", -ERANGE, 5, 12,
		     "spec.timeout: \"200h\" is out of range 1s-7d");
	expect_error(HEAD "spec:\n  killGrace: 500ms\n", -ERANGE, 5, 14,
		     "spec.killGrace: \"500ms\" is out of range 1s-1h");
	expect_error(HEAD "spec:\n  keep: 3\n  keep: 4\n", -EINVAL, 6, 3, "spec.keep: given twice");
	expect_error(HEAD "spec:\n  historyDir: [a]\n", -EINVAL, 5, 15,
		     "spec.historyDir: expected a string");
	expect_error(HEAD "spec:\n  historyDir: \"\"\n", -EINVAL, 5, 15,
		     "spec.historyDir: must not be empty");
	expect_error(HEAD "spec:\n  entries:\n  - {name: a, cron: \"@daily\", suite: s}\n", -EINVAL,
		     5, 3, "spec.historyDir: required field missing");
	expect_error(SPEC_ENTRY("{name: a, cron: \"61 * * * *\", suite: s}"), -EINVAL, 7, 21,
		     "spec.entries[0].cron: minute: \"61\" is out of range 0-59");
	expect_error(SPEC_ENTRY("{name: a, cron: \"0 0 30 2 *\", suite: s}"), -ERANGE, 7, 21,
		     "spec.entries[0].cron: day-of-month: 30 never occurs in the months selected "
		     "(feb), so \"0 0 30 2 *\" would never fire");
	expect_error(SPEC_ENTRY("{name: a, cron: \"@daily\"}"), -EINVAL, 7, 5,
		     "spec.entries[0].suite: required field missing");
	expect_error(SPEC_ENTRY("{name: a, cron: \"@daily\", suite: s, sute: t}"), -EINVAL, 7, 41,
		     "spec.entries[0].sute: unknown field (expected name, cron, suite, args)");
	expect_error(SPEC_ENTRY("{name: a, cron: \"@daily\", suite: s, args: \"--seed 42\"}"),
		     -EINVAL, 7, 47, "spec.entries[0].args: expected a list of strings");
	expect_error(SPEC_ENTRY("{name: a, cron: \"@daily\", suite: s, args: [[x]]}"), -EINVAL, 7,
		     48, "spec.entries[0].args[0]: expected a string");
	expect_error(SPEC_ENTRY("{name: a, cron: \"@daily\", suite: s}\n"
				"  - {name: a, cron: \"@daily\", suite: t}"),
		     -EINVAL, 8, 5, "spec.entries[1].name: \"a\" is used twice (first at line 7)");
	expect_error(HEAD "spec: [\n", -EINVAL, 5, 1, "YAML: did not find expected node content");
	expect_error("", -EINVAL, 0, 0, "empty document (expected kind: Schedule)");
	expect_error(HEAD "---\n" HEAD, -EINVAL, 1, 1, "one document expected, the file has more");
	expect_error("- a\n", -EINVAL, 1, 1, "document: expected a mapping");
}

FLTEST(too_many_entries_and_args)
{
	char *text = malloc(64 * 1024);
	size_t n;

	FL_ASSERT(text);
	n = (size_t)snprintf(text, 64 * 1024, HEAD "spec:\n  historyDir: h\n  entries:\n");
	for (int i = 0; i < FL_SCHED_MAX_ENTRIES + 1; i++)
		n += (size_t)snprintf(text + n, 64 * 1024 - n,
				      "  - {name: e%d, cron: \"@daily\", suite: s}\n", i);
	expect_error(text, -E2BIG, 7, 3, "spec.entries: more than 64 entries");
	n = (size_t)snprintf(text, 64 * 1024,
			     HEAD "spec:\n  historyDir: h\n  entries:\n  - name: a\n    cron: "
				  "\"@daily\"\n    suite: s\n    args: [");
	for (int i = 0; i < FL_SCHED_MAX_ARGS + 1; i++)
		n += (size_t)snprintf(text + n, 64 * 1024 - n, "%sx", i ? "," : "");
	snprintf(text + n, 64 * 1024 - n, "]\n");
	expect_error(text, -E2BIG, 10, 11, "spec.entries[0].args: more than 64 arguments");
	free(text);
}

FLTEST(allocation_failures_fail_cleanly)
{
	for (long n = 0;; n++) {
		struct fl_schedule *s = NULL;
		struct fl_diag diag = { 0 };

		fl_failmalloc_arm(n);
		int r = fl_schedule_parse(good, strlen(good), "n.yaml", &s, &diag);
		bool hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		if (!hit) {
			FL_ASSERT_OK(r);
			fl_schedule_free(s);
			break;
		}
		FL_ASSERT_MSG(r < 0, "allocation %ld failed but parse returned %d", n, r);
		FL_ASSERT(s == NULL);
	}
}

/* ---- history ------------------------------------------------------------------------- */

static char hist[] = "/tmp/fl-sched-hist-XXXXXX";

static void rm_hist(void *arg)
{
	char cmd[256];

	(void)arg;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", hist);
	(void)!system(cmd);
}

static void mkrun(const char *entry, const char *name, bool with_file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", hist, entry);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s/%s", hist, entry, name);
	FL_ASSERT_MSG(mkdir(path, 0755) == 0, "mkdir %s", path);
	if (with_file) {
		strncat(path, "/exit", sizeof(path) - strlen(path) - 1);
		FILE *f = fopen(path, "w");
		FL_ASSERT(f);
		fputs("0\n", f);
		fclose(f);
	}
}

static bool exists(const char *entry, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s/%s", hist, entry, name);
	return access(path, F_OK) == 0;
}

FLTEST(run_names)
{
	char name[FL_SCHED_RUN_NAME_LEN + 1];
	time_t t;

	fl_schedule_run_name(1704473400, name); /* 2024-01-05 16:50:00 UTC */
	FL_ASSERT_STREQ(name, "20240105T165000Z");
	FL_ASSERT_OK(fl_schedule_parse_run_name("20240105T165000Z", &t));
	FL_ASSERT_EQ(t, 1704473400);
	FL_ASSERT_EQ(fl_schedule_parse_run_name("20240105T165000", &t), -EINVAL);
	FL_ASSERT_EQ(fl_schedule_parse_run_name("20240105X165000Z", &t), -EINVAL);
	FL_ASSERT_EQ(fl_schedule_parse_run_name("2024010aT165000Z", &t), -EINVAL);
	FL_ASSERT_EQ(fl_schedule_parse_run_name(".lock", &t), -EINVAL);
}

FLTEST(last_run_comes_from_the_newest_run_directory)
{
	time_t t = 0;
	char path[256];

	FL_ASSERT(mkdtemp(hist));
	fltest_defer(rm_hist, NULL);
	FL_ASSERT_EQ(fl_schedule_last_run(hist, "gameday", &t), -ENOENT);
	mkrun("gameday", "20240101T030000Z", true);
	mkrun("gameday", "20240108T030000Z", false); /* crashed mid-run: still the last run */
	mkrun("gameday", "20231225T030000Z", true);
	/* Not runs: ignored. */
	snprintf(path, sizeof(path), "%s/gameday/.lock", hist);
	fclose(fopen(path, "w"));
	snprintf(path, sizeof(path), "%s/gameday/20991231T000000Z", hist);
	fclose(fopen(path, "w")); /* a file, not a directory */
	mkrun("gameday", "notes", false);
	FL_ASSERT_OK(fl_schedule_last_run(hist, "gameday", &t));
	FL_ASSERT_EQ(t, 1704682800); /* 2024-01-08 03:00 UTC */
	FL_ASSERT_EQ(fl_schedule_last_run(hist, "other", &t), -ENOENT);
}

FLTEST(prune_keeps_the_newest)
{
	unsigned removed = 99;

	FL_ASSERT(mkdtemp(hist));
	fltest_defer(rm_hist, NULL);
	mkrun("e", "20240101T000000Z", true);
	mkrun("e", "20240102T000000Z", true);
	mkrun("e", "20240103T000000Z", false);
	mkrun("e", "20240104T000000Z", true);
	mkrun("e", "keepme", true);
	FL_ASSERT_OK(fl_schedule_prune(hist, "e", 2, &removed));
	FL_ASSERT_EQ(removed, 2);
	FL_ASSERT(!exists("e", "20240101T000000Z"));
	FL_ASSERT(!exists("e", "20240102T000000Z"));
	FL_ASSERT(exists("e", "20240103T000000Z"));
	FL_ASSERT(exists("e", "20240104T000000Z"));
	FL_ASSERT(exists("e", "keepme/exit"));
	FL_ASSERT_OK(fl_schedule_prune(hist, "e", 2, &removed));
	FL_ASSERT_EQ(removed, 0);
	FL_ASSERT_OK(fl_schedule_prune(hist, "none", 2, &removed));
	FL_ASSERT_EQ(removed, 0);
}

/* ---- the decision -------------------------------------------------------------------- */

static time_t T(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);

	if (!end || *end)
		FL_FAIL("bad time %s", s);
	return timegm(&tm);
}

static struct fl_sched_decision decide(const char *cron, enum fl_missed_policy policy,
				       time_t settled, time_t observed, time_t now)
{
	struct fl_sched_decision d;
	struct fl_cron c;

	setenv("TZ", "UTC", 1);
	tzset();
	FL_ASSERT_OK(fl_cron_parse(cron, &c, NULL));
	FL_ASSERT_OK(fl_schedule_decide(&c, policy, settled, observed, now, &d));
	return d;
}

FLTEST(decide_due_now)
{
	/* Started at 03:00:30, the 03:00 fire is due (within the grace). */
	time_t now = T("2024-01-08 03:00:30");
	struct fl_sched_decision d = decide("0 3 * * 1", FL_MISSED_SKIP, FL_SCHED_NEVER, now, now);

	FL_ASSERT_EQ(d.action, FL_SCHED_RUN);
	FL_ASSERT_EQ(d.fire, T("2024-01-08 03:00:00"));
	FL_ASSERT(!d.missed);
	FL_ASSERT_EQ(d.next, T("2024-01-15 03:00:00"));
	/* Already ran at 03:00:05: wait. */
	d = decide("0 3 * * 1", FL_MISSED_SKIP, T("2024-01-08 03:00:05"), now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_WAIT);
	FL_ASSERT_EQ(d.next, T("2024-01-15 03:00:00"));
}

FLTEST(decide_nothing_missed_without_history)
{
	time_t now = T("2024-01-08 10:00:00");
	struct fl_sched_decision d;

	d = decide("0 3 * * 1", FL_MISSED_RUN_ONCE, FL_SCHED_NEVER, now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_WAIT);
	FL_ASSERT_EQ(d.next, T("2024-01-15 03:00:00"));
}

FLTEST(decide_missed_run_once_and_skip)
{
	/* Last run a week ago; the scheduler was down over Monday 03:00 and starts at 10:00. */
	time_t now = T("2024-01-08 10:00:00"), last = T("2024-01-01 03:00:02");
	struct fl_sched_decision d;

	d = decide("0 3 * * 1", FL_MISSED_RUN_ONCE, last, now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_RUN);
	FL_ASSERT(d.missed);
	FL_ASSERT_EQ(d.fire, T("2024-01-08 03:00:00"));
	d = decide("0 3 * * 1", FL_MISSED_SKIP, last, now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_SKIP);
	FL_ASSERT_EQ(d.fire, T("2024-01-08 03:00:00"));
	FL_ASSERT_EQ(d.next, T("2024-01-15 03:00:00"));
	/* Many missed (hourly, down for a day): still one run, for the first missed. */
	last = T("2024-01-07 09:00:00");
	d = decide("0 * * * *", FL_MISSED_RUN_ONCE, last, now - 1800, now - 1800);
	FL_ASSERT_EQ(d.action, FL_SCHED_RUN);
	FL_ASSERT_EQ(d.fire, T("2024-01-07 10:00:00"));
	/* After that run started (settled = its start), nothing else is owed. */
	d = decide("0 * * * *", FL_MISSED_RUN_ONCE, now - 1800, now - 1800, now - 1700);
	FL_ASSERT_EQ(d.action, FL_SCHED_WAIT);
	FL_ASSERT_EQ(d.next, T("2024-01-08 10:00:00"));
}

FLTEST(decide_delayed_by_another_run_is_due_not_missed)
{
	/* Watching since yesterday; another entry ran 03:00-03:40: the 03:00 fire is due. */
	time_t observed = T("2024-01-07 12:00:00"), now = T("2024-01-08 03:40:00");
	struct fl_sched_decision d;

	d = decide("0 3 * * 1", FL_MISSED_SKIP, T("2024-01-07 12:00:00"), observed, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_RUN);
	FL_ASSERT(!d.missed);
	FL_ASSERT_EQ(d.fire, T("2024-01-08 03:00:00"));
}

FLTEST(decide_after_suspension)
{
	/* Suspended 02:00-05:00 (observed_since reset to 05:00): the 03:00 fire was missed. */
	time_t now = T("2024-01-08 05:00:00");
	struct fl_sched_decision d;

	d = decide("0 3 * * 1", FL_MISSED_SKIP, T("2024-01-08 01:59:00"), now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_SKIP);
	d = decide("0 3 * * 1", FL_MISSED_RUN_ONCE, T("2024-01-08 01:59:00"), now, now);
	FL_ASSERT_EQ(d.action, FL_SCHED_RUN);
	FL_ASSERT(d.missed);
	/* Skipped: settled moves to now, and nothing more is decided. */
	d = decide("0 3 * * 1", FL_MISSED_SKIP, now, now, now + 5);
	FL_ASSERT_EQ(d.action, FL_SCHED_WAIT);
}
