/* SPDX-License-Identifier: MIT */
/*
 * The reports rebuilt from journal fixtures (tests/data/journals/): the JUnit writer's
 * structure and messages, the journal checker's errors, the text summary, the HTML page,
 * and the write-whole-or-nothing file helper. The XSD validation and an independent JUnit
 * reader run in tests/unit/test-junit-xsd.sh.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fltest.h"
#include "journal.h"
#include "junit.h"
#include "report.h"

#define FIXTURES "tests/data/journals/"

static json_t *load(const char *name)
{
	struct fl_diag diag = { 0 };
	char path[256];
	json_t *j = NULL;
	int r;

	(void)snprintf(path, sizeof(path), FIXTURES "%s", name);
	r = fl_journal_load(path, &j, &diag);
	if (r < 0)
		FL_FAIL("loading %s: %s (%d)", path, diag.msg, r);
	return j;
}

/* Render with the given renderer into a NUL-terminated string (malloc'd). */
static char *render(fl_report_render_fn fn, const json_t *j)
{
	struct fl_diag diag = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int r = fl_report_render_buffer(fn, j, &buf, &len, &diag);

	if (r < 0)
		FL_FAIL("render: %s (%d)", diag.msg, r);
	FL_ASSERT_EQ(strlen(buf), len);
	return buf;
}

static long count(const char *hay, const char *needle)
{
	long n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

struct expect_counts {
	const char *file;
	long suites, tests, failures, errors, skipped;
	const char *testsuites_line; /* exact second line */
};

/* Counted by hand from each fixture (docs/reports.md has the mapping). */
static const struct expect_counts EXPECT[] = {
	{ "passed.json", 1, 8, 0, 0, 0,
	  "<testsuites name=\"broker-latency\" tests=\"8\" failures=\"0\" errors=\"0\" "
	  "time=\"60.000\">" },
	{ "deviated.json", 2, 12, 1, 0, 1,
	  "<testsuites name=\"gameday\" tests=\"12\" failures=\"1\" errors=\"0\" "
	  "time=\"130.000\">" },
	{ "aborted.json", 1, 8, 2, 0, 0,
	  "<testsuites name=\"loss-storm\" tests=\"8\" failures=\"2\" errors=\"0\" "
	  "time=\"50.000\">" },
	{ "errored.json", 2, 4, 0, 3, 0,
	  "<testsuites name=\"nightly\" tests=\"4\" failures=\"0\" errors=\"3\" time=\"20.000\">" },
	{ "leftovers.json", 1, 6, 1, 1, 0,
	  "<testsuites name=\"bandwidth\" tests=\"6\" failures=\"1\" errors=\"1\" "
	  "time=\"100.000\">" },
	{ "weird-text.json", 1, 4, 1, 0, 0, NULL },
	{ "many-samples.json", 1, 12, 1, 0, 0,
	  "<testsuites name=\"soak\" tests=\"12\" failures=\"1\" errors=\"0\" time=\"600.000\">" },
};

FLTEST(junit_counts_per_fixture)
{
	for (size_t i = 0; i < sizeof(EXPECT) / sizeof(EXPECT[0]); i++) {
		const struct expect_counts *x = &EXPECT[i];
		json_t *j = load(x->file);
		char *xml = render(fl_junit_write, j);
		const char *nl = strchr(xml, '\n');

		FL_ASSERT_MSG(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0,
			      "%s: no XML declaration", x->file);
		if (x->testsuites_line)
			FL_ASSERT_MSG(nl && strncmp(nl + 1, x->testsuites_line,
						    strlen(x->testsuites_line)) == 0,
				      "%s: testsuites line is %.160s", x->file, nl ? nl + 1 : "");
		FL_ASSERT_MSG(count(xml, "<testsuite ") == x->suites, "%s: %ld suites", x->file,
			      count(xml, "<testsuite "));
		FL_ASSERT_MSG(count(xml, "<testcase ") == x->tests, "%s: %ld testcases", x->file,
			      count(xml, "<testcase "));
		FL_ASSERT_MSG(count(xml, "<failure ") == x->failures, "%s: %ld failures", x->file,
			      count(xml, "<failure "));
		FL_ASSERT_MSG(count(xml, "<error ") == x->errors, "%s: %ld errors", x->file,
			      count(xml, "<error "));
		FL_ASSERT_MSG(count(xml, "<skipped ") == x->skipped, "%s: %ld skipped", x->file,
			      count(xml, "<skipped "));
		/* The suite's timeline (an inject testcase may have one of its own). */
		FL_ASSERT_EQ(count(xml, "\n    <system-out>"), x->suites);
		FL_ASSERT_EQ(count(xml, "<property name=\"seed\""), x->suites);
		free(xml);
		json_decref(j);
	}
}

FLTEST(junit_passed_suite_attributes_and_properties)
{
	json_t *j = load("passed.json");
	char *xml = render(fl_junit_write, j);

	FL_ASSERT_CONTAINS(xml,
			   "<testsuite name=\"broker-latency\" tests=\"8\" failures=\"0\" "
			   "errors=\"0\" skipped=\"0\" time=\"60.000\" "
			   "timestamp=\"2026-11-28T14:30:00\" hostname=\"node-1\" id=\"0\" "
			   "package=\"broker-latency\" file=\"experiments/broker-latency.yaml\">");
	FL_ASSERT_CONTAINS(xml, "<property name=\"seed\" value=\"42\"/>");
	FL_ASSERT_CONTAINS(xml, "<property name=\"faultline.version\" value=\"0.4.0\"/>");
	FL_ASSERT_CONTAINS(xml, "<property name=\"librdkafka.version\" value=\"2.0.2\"/>");
	FL_ASSERT_CONTAINS(xml, "<testcase name=\"throughput [before]\" "
				"classname=\"broker-latency\" time=\"10.012\"/>");
	FL_ASSERT_CONTAINS(xml, "<testcase name=\"inject delay-brokers on streamforge/loader-0\" "
				"classname=\"broker-latency\" time=\"0.003\"/>");
	FL_ASSERT_CONTAINS(xml, "<testcase name=\"revert delay-brokers on streamforge/loader-0\" "
				"classname=\"broker-latency\" time=\"0.014\"/>");
	/* the timeline: ordered, relative times, UTC */
	FL_ASSERT_CONTAINS(xml, "<system-out>14:30:00.000Z  +0.000s  experiment broker-latency "
				"started (experiments/broker-latency.yaml)\n"
				"14:30:00.100Z  +0.100s  hook ticker start: ok: ticker producing "
				"1000 msg/s\n");
	FL_ASSERT_CONTAINS(xml, "14:30:41.000Z  +41.000s  revert delay-brokers on "
				"streamforge/loader-0: ok (deadline)\n");
	FL_ASSERT_CONTAINS(xml, "14:31:00.000Z  +60.000s  experiment finished: passed\n"
				"</system-out>");
	free(xml);
	json_decref(j);
}

FLTEST(junit_failure_carries_message_rule_observed_samples)
{
	json_t *j = load("deviated.json");
	char *xml = render(fl_junit_write, j);

	FL_ASSERT_CONTAINS(
		xml, "<testcase name=\"lag [during]\" classname=\"broker-latency\" "
		     "time=\"30.000\">\n"
		     "      <failure message=\"consumer lag max 18342 &gt; 5000 at 12:03:41\" "
		     "type=\"fail\">probe: lag (kafka.consumerLag)\n"
		     "rule: lag.max &lt;= 5000\n"
		     "observed: lag.max = 18342\n"
		     "samples: 3 in phase during (1 pass, 2 fail, 0 inconclusive, 0 error); "
		     "lag.max min 4200, max 18342\n"
		     "</failure>\n"
		     "    </testcase>");
	FL_ASSERT_CONTAINS(xml, "<skipped message=\"no data: group loader-consumers has no "
				"committed offsets\" type=\"inconclusive\">");
	/* the second experiment is its own suite with its own id and timestamp */
	FL_ASSERT_CONTAINS(xml, "<testsuite name=\"partition-leader\" tests=\"4\" failures=\"0\" "
				"errors=\"0\" skipped=\"0\" time=\"70.000\" "
				"timestamp=\"2026-11-28T15:01:00\" hostname=\"node-1\" id=\"1\"");
	free(xml);
	json_decref(j);
}

FLTEST(junit_abort_is_a_failing_testcase)
{
	json_t *j = load("aborted.json");
	char *xml = render(fl_junit_write, j);

	FL_ASSERT_CONTAINS(xml,
			   "<testcase name=\"abort\" classname=\"loss-storm\" time=\"0.000\">\n"
			   "      <failure message=\"consumer lag max 18342 &gt; 5000 at "
			   "12:03:41\" type=\"abort\">probe: lag\nat: 2026-11-28T16:00:30.000Z\n"
			   "</failure>");
	/* a seed above INT64_MAX is journaled as a string and reported as is */
	FL_ASSERT_CONTAINS(xml, "<property name=\"seed\" value=\"18446744073709551615\"/>");
	FL_ASSERT_CONTAINS(xml, "ABORT (probe lag): consumer lag max 18342 &gt; 5000");
	FL_ASSERT_CONTAINS(xml, "revert loss-50 on streamforge/loader-1: ok (abort)");
	free(xml);
	json_decref(j);
}

FLTEST(junit_errors_experiment_and_inject)
{
	json_t *j = load("errored.json");
	char *xml = render(fl_junit_write, j);

	/* errored before any check: one "experiment" test case with the error */
	FL_ASSERT_CONTAINS(xml, "<testsuite name=\"agent-down\" tests=\"1\" failures=\"0\" "
				"errors=\"1\" skipped=\"0\" time=\"1.500\"");
	FL_ASSERT_CONTAINS(xml, "<testcase name=\"experiment\" classname=\"agent-down\" "
				"time=\"1.500\">\n"
				"      <error message=\"agent node-a: connection refused\" "
				"type=\"error\">file: experiments/agent-down.yaml\n</error>");
	/* an inject error carries the agent's message; no revert test case without a revert,
	 * and no extra "experiment" case because an error is already shown */
	FL_ASSERT_CONTAINS(xml, "<error message=\"agent node-b: 409 conflict: a fault already "
				"holds this target\" type=\"inject\">fault: kill-loader "
				"(container-kill)\ntarget: streamforge/loader-0\nagent: node-b\n");
	FL_ASSERT_EQ(count(xml, "name=\"revert kill-loader"), 0);
	FL_ASSERT_EQ(count(xml, "name=\"experiment\""), 1);
	FL_ASSERT_CONTAINS(xml, "<error message=\"GET http://loader:8080/health: connection "
				"refused\" type=\"error\">");
	free(xml);
	json_decref(j);
}

FLTEST(wire_figures_in_junit_html_and_timeline)
{
	static const char delay[] =
		"wire check effect: 10.0.0.5:9092 0.41 ms before, 201.30 ms after";
	static const char cut[] = "wire check effect: 10.0.1.7:9092 0.03 ms before, connect timed "
				  "out after 1000 ms";
	json_t *j = load("deviated.json");
	char *junit = render(fl_junit_write, j), *html = render(fl_report_html, j);

	/* A passing inject testcase says what the agent measured, in its system-out. */
	FL_ASSERT_CONTAINS(junit,
			   "<testcase name=\"inject delay-brokers on streamforge/loader-0\" "
			   "classname=\"broker-latency\" time=\"0.004\">\n      <system-out>");
	FL_ASSERT_CONTAINS(junit, delay);
	FL_ASSERT_CONTAINS(junit, cut);
	FL_ASSERT_CONTAINS(html, "<tr class=\"wire\"><td></td><td colspan=\"6\"><small>");
	FL_ASSERT_CONTAINS(html, delay);
	/* The timeline (JUnit's suite system-out, the HTML page) has it on the inject line. */
	FL_ASSERT(count(junit, delay) == 2);
	FL_ASSERT(count(html, delay) == 2);
	free(junit);
	free(html);
	json_decref(j);
}

FLTEST(junit_leftovers_listed_in_a_failure)
{
	json_t *j = load("leftovers.json");
	char *xml = render(fl_junit_write, j);

	FL_ASSERT_CONTAINS(xml,
			   "<testcase name=\"leftovers\" classname=\"bandwidth\" "
			   "time=\"0.000\">\n"
			   "      <failure message=\"1 fault still held by the agents after the "
			   "run\" type=\"leftovers\">agent node-a: fault 5ee5ee5ee5 (bandwidth, "
			   "active): lease expires in 8s\n</failure>");
	FL_ASSERT_CONTAINS(xml, "<error message=\"agent node-a: timeout after 5s\" "
				"type=\"revert\">");
	/* a kill has an inject and no revert */
	FL_ASSERT_CONTAINS(xml,
			   "<testcase name=\"inject kill-consumer on streamforge/consumer-0\"");
	FL_ASSERT_EQ(count(xml, "revert kill-consumer"), 0);
	free(xml);
	json_decref(j);
}

/* Nothing XML 1.0 forbids may reach the output, and markup stays text. */
static void assert_clean_xml(const char *xml)
{
	for (const unsigned char *p = (const unsigned char *)xml; *p; p++)
		FL_ASSERT_MSG(*p >= 0x20 || *p == '\n' || *p == '\t',
			      "control byte 0x%02x at offset %td", *p, (const char *)p - xml);
	FL_ASSERT(!strstr(xml, "<script>"));
	FL_ASSERT(!strstr(xml, "<b>"));
	FL_ASSERT(!strstr(xml, "\xef\xbf\xbe")); /* U+FFFE */
	FL_ASSERT(!strstr(xml, "\xef\xbf\xbf")); /* U+FFFF */
}

FLTEST(junit_escapes_markup_controls_and_keeps_utf8)
{
	json_t *j = load("weird-text.json");
	char *xml = render(fl_junit_write, j);

	assert_clean_xml(xml);
	FL_ASSERT_CONTAINS(xml, "<testsuites name=\"suite &lt;&amp;&gt; &quot;quoted&quot; "
				"&#39;single&#39;\"");
	FL_ASSERT_CONTAINS(xml, "<testcase name=\"p&lt;1&gt; [during]\" "
				"classname=\"lag&lt;&amp;&gt;&quot;&#39;test\"");
	/* attribute: tab, CR, LF as references; controls and nonchars as U+FFFD */
	FL_ASSERT_CONTAINS(xml, "value=\"Tab&#9;here, CR&#13;, LF&#10;next line, bell\xef\xbf\xbd, "
				"escape\xef\xbf\xbd[31mred");
	FL_ASSERT_CONTAINS(xml,
			   "nonchars \xef\xbf\xbd\xef\xbf\xbd, C1 \xc2\x85, emoji "
			   "\xf0\x9f\x9a\x80, ]]&gt; end, &lt;script&gt;alert(1)&lt;/script&gt;");
	FL_ASSERT_CONTAINS(xml, "<failure message=\"status &quot;STALL\xef\xbf\xbd&quot; !~ "
				"^(OK|WARN)$ &lt;b&gt;bold&lt;/b&gt; &amp; &#39;q&#39; "
				"&quot;dq&quot; \xef\xbf\xbd[2J \xf0\x9f\x9a\x80 \xe4\xb8\xad\"");
	FL_ASSERT_CONTAINS(xml, "hostname=\"node-\xc3\xa9\xe4\xb8\xad\xe6\x96\x87\"");
	free(xml);
	json_decref(j);
}

FLTEST(junit_many_samples_summarised)
{
	json_t *j = load("many-samples.json");
	char *xml = render(fl_junit_write, j);

	FL_ASSERT_EQ(json_array_size(json_object_get(
			     json_array_get(json_object_get(j, "experiments"), 0), "samples")),
		     1200);
	FL_ASSERT_CONTAINS(xml, "samples: 480 in phase during (");
	FL_ASSERT_CONTAINS(xml, "lag.max min 0, max 8910\n");
	free(xml);
	json_decref(j);
}

/* ---- the journal checker ------------------------------------------------------------- */

struct mutation {
	const char *pointer; /* where (a JSON pointer-ish path below the root) */
	const char *json;    /* the new value; NULL: delete the field */
	const char *message; /* diag.msg, exactly */
};

static const struct mutation MUTATIONS[] = {
	{ "/experiments/0/checks/3/verdict", "\"maybe\"",
	  "experiments[0].checks[3].verdict: \"maybe\" is not one of pass, fail, inconclusive, "
	  "error" },
	{ "/journalVersion", "2",
	  "journalVersion: 2 is not supported (this faultline reads version 1)" },
	{ "/journalVersion", "\"1\"", "journalVersion: \"1\" is not an integer" },
	{ "/journalVersion", NULL, "journalVersion: missing (expected an integer)" },
	{ "/run/id", NULL, "run.id: missing (expected a string)" },
	{ "/run/seed", "-1",
	  "run.seed: -1 is not an integer >= 0 (or a string of decimal digits)" },
	{ "/run/seed", "\"12ab\"",
	  "run.seed: \"12ab\" is not an integer >= 0 (or a string of decimal digits)" },
	{ "/run/exitCode", "7", "run.exitCode: 7 is not one of 0, 1, 2, 3, 4" },
	{ "/run/outcome", "\"fine\"",
	  "run.outcome: \"fine\" is not one of passed, deviated, error, aborted, leftovers" },
	{ "/run/files", "[\"a.yaml\", 3]", "run.files[1]: 3 is not a string" },
	{ "/experiments", "{}", "experiments: an object is not an array" },
	{ "/experiments/0/outcome", "\"left\"",
	  "experiments[0].outcome: \"left\" is not one of passed, deviated, error, aborted, "
	  "leftovers" },
	{ "/experiments/0/startedMs", "-5",
	  "experiments[0].startedMs: -5 is not an integer >= 0 (Unix milliseconds or a duration "
	  "in milliseconds)" },
	{ "/experiments/0/checks/0/phase", NULL,
	  "experiments[0].checks[0].phase: missing (expected one of before, during, after, "
	  "effect)" },
	{ "/experiments/0/checks/1/observed", "[1]",
	  "experiments[0].checks[1].observed: an array is not a number or a string" },
	{ "/experiments/0/faults/0/inject/result", "\"maybe\"",
	  "experiments[0].faults[0].inject.result: \"maybe\" is not one of ok, error" },
	{ "/experiments/0/faults/0/revert/reason", "\"bored\"",
	  "experiments[0].faults[0].revert.reason: \"bored\" is not one of deadline, abort, "
	  "signal, end, error, kill" },
	{ "/experiments/0/faults/0/revert/atMs", NULL,
	  "experiments[0].faults[0].revert.atMs: missing (expected an integer >= 0 (Unix "
	  "milliseconds or a duration in milliseconds))" },
	{ "/experiments/0/samples/4", "\"x\"",
	  "experiments[0].samples[4]: \"x\" is not an object" },
	{ "/experiments/0/leftovers", "[{\"agent\": \"a\"}]",
	  "experiments[0].leftovers[0].id: missing (expected a string)" },
	{ "/experiments/0/abort", "{\"atMs\": 1}",
	  "experiments[0].abort.message: missing (expected a string)" },
	{ "/experiments/0/outcome",
	  "\"\\u0001\\\"a very long outcome that goes on and on and on "
	  "and on\"",
	  "experiments[0].outcome: \"\\u0001\\u0022a very long outcome that goes on and on and "
	  "on...\" is not one of passed, deviated, error, aborted, leftovers" },
};

/* Apply a mutation: walk the pointer, then set or delete the last component. */
static void mutate(json_t *root, const struct mutation *m)
{
	char path[256], *save = NULL, *tok, *next;
	json_t *node = root;

	(void)snprintf(path, sizeof(path), "%s", m->pointer + 1);
	tok = strtok_r(path, "/", &save);
	while (tok && (next = strtok_r(NULL, "/", &save))) {
		node = json_is_array(node) ? json_array_get(node, strtoul(tok, NULL, 10))
					   : json_object_get(node, tok);
		FL_ASSERT_MSG(node, "%s: no %s", m->pointer, tok);
		tok = next;
	}
	if (!m->json) {
		FL_ASSERT(json_object_del(node, tok) == 0);
		return;
	}
	json_error_t err;
	json_t *v = json_loads(m->json, JSON_DECODE_ANY, &err);

	FL_ASSERT_MSG(v, "%s: %s", m->json, err.text);
	if (json_is_array(node))
		FL_ASSERT(json_array_set_new(node, strtoul(tok, NULL, 10), v) == 0);
	else
		FL_ASSERT(json_object_set_new(node, tok, v) == 0);
}

FLTEST(journal_check_names_path_value_and_expectation)
{
	for (size_t i = 0; i < sizeof(MUTATIONS) / sizeof(MUTATIONS[0]); i++) {
		const struct mutation *m = &MUTATIONS[i];
		json_t *j = load("passed.json");
		struct fl_diag diag = { 0 };

		mutate(j, m);
		FL_ASSERT_MSG(fl_journal_check(j, &diag) == -EINVAL, "%s = %s: accepted",
			      m->pointer, m->json ? m->json : "(deleted)");
		FL_ASSERT_MSG(strcmp(diag.msg, m->message) == 0, "%s = %s:\n  got  %s\n  want %s",
			      m->pointer, m->json ? m->json : "(deleted)", diag.msg, m->message);
		/* the renderers refuse it with the same message */
		char *buf = NULL;
		size_t len;
		struct fl_diag d2 = { 0 };

		FL_ASSERT_EQ(fl_report_render_buffer(fl_junit_write, j, &buf, &len, &d2), -EINVAL);
		FL_ASSERT_STREQ(d2.msg, m->message);
		FL_ASSERT(!buf);
		json_decref(j);
	}
}

FLTEST(journal_unknown_fields_and_absent_arrays_are_fine)
{
	json_t *j = load("passed.json");
	json_t *e = json_array_get(json_object_get(j, "experiments"), 0);
	struct fl_diag diag = { 0 };

	FL_ASSERT(json_object_set_new(j, "newerWriterField", json_true()) == 0);
	FL_ASSERT(json_object_set_new(e, "somethingNew", json_object()) == 0);
	FL_ASSERT(json_object_del(e, "samples") == 0);
	FL_ASSERT(json_object_del(e, "hooks") == 0);
	FL_ASSERT(json_object_del(e, "targets") == 0);
	FL_ASSERT_OK(fl_journal_check(j, &diag));
	json_decref(j);
}

FLTEST(journal_invalid_fixtures_give_their_expected_messages)
{
	static const char *const cases[] = { "bad-verdict", "version-2", "not-json" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		struct fl_diag diag = { 0 };
		json_t *j = NULL;
		char *want;

		(void)snprintf(path, sizeof(path), FIXTURES "invalid/%s.expected", cases[i]);
		want = fltest_read_file(path, NULL);
		FL_ASSERT(want);
		want[strcspn(want, "\n")] = '\0';
		(void)snprintf(path, sizeof(path), FIXTURES "invalid/%s.json", cases[i]);
		FL_ASSERT_EQ(fl_journal_load(path, &j, &diag), -EINVAL);
		FL_ASSERT_CONTAINS(diag.msg, want);
		FL_ASSERT_STREQ(diag.file, path);
		FL_ASSERT(!j);
		free(want);
	}
}

FLTEST(journal_not_json_has_line_and_column)
{
	struct fl_diag diag = { 0 };
	json_t *j = NULL;

	FL_ASSERT_EQ(fl_journal_load(FIXTURES "invalid/not-json.json", &j, &diag), -EINVAL);
	FL_ASSERT_EQ(diag.line, 2);
	FL_ASSERT(diag.col > 0);
}

FLTEST(journal_missing_and_oversized_files)
{
	static char dir[] = "/tmp/fl-journal-XXXXXX";
	char path[128];
	struct fl_diag diag = { 0 };
	json_t *j = NULL;
	int fd;

	FL_ASSERT_EQ(fl_journal_load("/nonexistent/journal.json", &j, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "cannot open: No such file or directory");

	FL_ASSERT(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/big.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	FL_ASSERT(fd >= 0);
	/* sparse: one byte above the limit without writing 64 MiB */
	FL_ASSERT(ftruncate(fd, FL_JOURNAL_FILE_MAX + 1) == 0);
	(void)close(fd);
	diag = (struct fl_diag){ 0 };
	int r = fl_journal_load(path, &j, &diag);
	(void)unlink(path);
	(void)rmdir(dir);
	FL_ASSERT_EQ(r, -EFBIG);
	FL_ASSERT_STREQ(diag.msg, "larger than the limit of 67108864 bytes");
	FL_ASSERT(!j);
}

/* ---- text and HTML ------------------------------------------------------------------- */

FLTEST(text_summary_table_and_failures)
{
	json_t *j = load("deviated.json");
	char *text = render(fl_report_text_render, j);

	FL_ASSERT_STREQ(
		text,
		"Run 20261128T150000Z-77aa, suite gameday: DEVIATED (exit 1)\n"
		"  seed 7, started 2026-11-28T15:00:00.000Z, took 2m10.0s, host node-1\n"
		"\n"
		"EXPERIMENT        OUTCOME    PASS  FAIL  INCONCL  ERROR  FAULTS  DURATION\n"
		"broker-latency    deviated      4     1        1      0  1/1     1m00.0s\n"
		"partition-leader  passed        2     0        0      0  1/1     1m10.0s\n"
		"\n"
		"Failed checks:\n"
		"  broker-latency: lag [during]: consumer lag max 18342 > 5000 at 12:03:41\n");
	free(text);
	json_decref(j);
}

FLTEST(text_summary_is_terminal_safe)
{
	json_t *j = load("weird-text.json");
	char *text = render(fl_report_text_render, j);

	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		FL_ASSERT_MSG(*p >= 0x20 || *p == '\n', "control byte 0x%02x", *p);
	FL_ASSERT_CONTAINS(text, "status \"STALL?\" !~ ^(OK|WARN)$ <b>bold</b>");
	free(text);
	json_decref(j);
}

FLTEST(text_summary_aborts_and_leftovers)
{
	json_t *j = load("aborted.json");
	char *text = render(fl_report_text_render, j);

	FL_ASSERT_CONTAINS(text, "\nAborted:\n  loss-storm: probe lag: consumer lag max 18342 > "
				 "5000 at 12:03:41\n");
	free(text);
	json_decref(j);
	j = load("leftovers.json");
	text = render(fl_report_text_render, j);
	FL_ASSERT_CONTAINS(text, "\nLeftovers (faults still held by agents):\n  bandwidth: agent "
				 "node-a: fault 5ee5ee5ee5 (bandwidth, active): lease expires in "
				 "8s\n");
	FL_ASSERT_CONTAINS(text, "  bandwidth: revert squeeze on streamforge/loader-0: agent "
				 "node-a: timeout after 5s\n");
	free(text);
	json_decref(j);
}

FLTEST(html_chart_fault_windows_and_abort)
{
	json_t *j = load("aborted.json");
	char *html = render(fl_report_html, j);

	FL_ASSERT(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
	FL_ASSERT_EQ(count(html, "<svg "), 1);
	FL_ASSERT_EQ(count(html, "<rect class=\"fault-window\""), 1);
	FL_ASSERT_CONTAINS(html, "data-fault=\"loss-50\"><title>loss-50 (loss) on "
				 "streamforge/loader-1</title></rect>");
	FL_ASSERT_EQ(count(html, "<line class=\"abort-mark\""), 1);
	FL_ASSERT_EQ(count(html, "<polyline class=\"s-lagmax\""), 1);
	FL_ASSERT_EQ(count(html, "<polyline class=\"s-lagsum\""), 1);
	/* no scripts, no external assets */
	FL_ASSERT(!strstr(html, "<script"));
	FL_ASSERT(!strstr(html, "src="));
	FL_ASSERT(!strstr(html, "<link"));
	free(html);
	json_decref(j);

	j = load("many-samples.json");
	html = render(fl_report_html, j);
	FL_ASSERT_EQ(count(html, "<rect class=\"fault-window\""), 3);
	FL_ASSERT_EQ(count(html, "<polyline class=\"s-tput\""), 1);
	/* 600 points of throughput: the polyline has them all */
	const char *p = strstr(html, "<polyline class=\"s-tput\" points=\"");
	FL_ASSERT(p);
	FL_ASSERT_EQ(count(p, " ") > 600, 1);
	free(html);
	json_decref(j);
}

/* No line through time nobody measured: a gap of more than three observation intervals
 * between two samples of a series ends its polyline; a missing sample inside them does not. */
FLTEST(html_chart_lines_stop_where_samples_are_missing)
{
	json_t *j = load("many-samples.json");
	json_t *e = json_array_get(json_object_get(j, "experiments"), 0), *s;
	size_t i, n = 0;
	char *html;

	/* every throughput sample after the 100th moves 60 s later: one gap */
	json_array_foreach(json_object_get(e, "samples"), i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "probe")), "throughput") != 0 ||
		    n++ < 100)
			continue;
		json_object_set_new(
			s, "atMs",
			json_integer(json_integer_value(json_object_get(s, "atMs")) + 60000));
	}
	json_object_set_new(
		e, "finishedMs",
		json_integer(json_integer_value(json_object_get(e, "finishedMs")) + 60000));
	html = render(fl_report_html, j);
	FL_ASSERT_EQ(count(html, "<polyline class=\"s-tput\""), 2);
	free(html);
	/* a long observation interval: the same gap is within three of them */
	json_object_set_new(e, "observeIntervalMs", json_integer(30000));
	html = render(fl_report_html, j);
	FL_ASSERT_EQ(count(html, "<polyline class=\"s-tput\""), 1);
	free(html);
	json_decref(j);
}

/* A kill is an instant on the timeline, not a window to the end of the experiment: its
 * revert is "skipped", with no time. */
FLTEST(html_chart_a_kill_is_an_instant)
{
	json_t *j = load("leftovers.json");
	json_t *f = json_array_get(
		json_object_get(json_array_get(json_object_get(j, "experiments"), 0), "faults"), 1);
	char *html;
	const char *p;
	double w = -1;

	json_object_set_new(f, "revert",
			    json_pack("{s:s, s:s}", "result", "skipped", "reason", "kill"));
	html = render(fl_report_html, j);
	p = strstr(html, "data-fault=\"kill-consumer\"");
	FL_ASSERT(p);
	while (p > html && strncmp(p, "<rect", 5) != 0)
		p--;
	FL_ASSERT(sscanf(strstr(p, "width=\""), "width=\"%lf", &w) == 1);
	FL_ASSERT_MSG(w > 0 && w <= 2.5, "the kill's window is %.1f px wide", w);
	free(html);
	json_decref(j);
}

FLTEST(html_escapes_everything)
{
	json_t *j = load("weird-text.json");
	char *html = render(fl_report_html, j);

	assert_clean_xml(html);
	FL_ASSERT_CONTAINS(html, "&lt;script&gt;alert(1)&lt;/script&gt;");
	FL_ASSERT_CONTAINS(html, "data-fault=\"f&lt;&amp;&gt;&quot;&#39;\"");
	free(html);
	json_decref(j);
}

/* ---- writing files ------------------------------------------------------------------- */

static int failing_render(const json_t *journal, FILE *out, struct fl_diag *diag)
{
	(void)journal;
	fputs("<half", out);
	return fl_diag_set(diag, -EIO, "renderer failed halfway");
}

FLTEST(write_file_is_whole_or_nothing)
{
	static char dir[] = "/tmp/fl-report-XXXXXX";
	char path[128], *got;
	struct fl_diag diag = { 0 };
	json_t *j = load("passed.json");

	FL_ASSERT(mkdtemp(dir));
	(void)snprintf(path, sizeof(path), "%s/report.xml", dir);
	FL_ASSERT_OK(fl_report_write_file(path, fl_junit_write, j, &diag));
	got = fltest_read_file(path, NULL);
	FL_ASSERT(got && strstr(got, "</testsuites>\n"));
	free(got);

	/* a failing render leaves the old file as it was and no temporary behind */
	FL_ASSERT_EQ(fl_report_write_file(path, failing_render, j, &diag), -EIO);
	FL_ASSERT_STREQ(diag.msg, "renderer failed halfway");
	got = fltest_read_file(path, NULL);
	FL_ASSERT(got && strstr(got, "</testsuites>\n"));
	free(got);
	DIR *d = opendir(dir);
	struct dirent *de;
	long entries = 0;

	FL_ASSERT(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		entries++;
		FL_ASSERT_STREQ(de->d_name, "report.xml");
	}
	(void)closedir(d);
	FL_ASSERT_EQ(entries, 1);

	/* an unwritable place: an error naming it, nothing created */
	(void)snprintf(path, sizeof(path), "%s/no/such/dir/report.xml", dir);
	FL_ASSERT_EQ(fl_report_write_file(path, fl_junit_write, j, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "cannot create");
	FL_ASSERT_STREQ(diag.file, path);

	(void)snprintf(path, sizeof(path), "%s/report.xml", dir);
	(void)unlink(path);
	(void)rmdir(dir);
	json_decref(j);
}
