/* SPDX-License-Identifier: MIT */
/*
 * The journal walk every report is built on (journal_walk.c): the order items come in, a
 * kind skipped by a NULL callback, when the abort is visited (a record, or only the outcome
 * "aborted"), a negative callback result stopping the walk, and the summary tally.
 */
#include <stdio.h>
#include <string.h>

#include "fltest.h"
#include "journal.h"

/* Each visit appends "kind:index" (and "=NULL" for an abort without its record). */
struct trail {
	char buf[512];
	int stop_at; /* stop (return -42) at this visit; 0: never */
	int visits;
};

static int note(struct trail *t, const char *kind, const json_t *item, size_t index)
{
	size_t len = strlen(t->buf);

	(void)snprintf(t->buf + len, sizeof(t->buf) - len, "%s%s:%zu%s", len ? " " : "", kind,
		       index, item ? "" : "=NULL");
	return ++t->visits == t->stop_at ? -42 : 0;
}

#define VISITOR(kind)                                                                         \
	static int visit_##kind(void *arg, const json_t *e, const json_t *item, size_t index) \
	{                                                                                     \
		(void)e;                                                                      \
		return note(arg, #kind, item, index);                                         \
	}
VISITOR(check)
VISITOR(fault)
VISITOR(hook)
VISITOR(sample)
VISITOR(abort)
VISITOR(leftover)

static const struct fl_journal_visit all = { .check = visit_check,
					     .fault = visit_fault,
					     .hook = visit_hook,
					     .sample = visit_sample,
					     .abort = visit_abort,
					     .leftover = visit_leftover };

static json_t *experiment(const char *text)
{
	json_error_t err;
	json_t *e = json_loads(text, 0, &err);

	if (!e)
		FL_FAIL("test JSON: %s", err.text);
	fltest_defer((void (*)(void *))json_decref, e);
	return e;
}

/* Arrays in the journal's order reversed in the text: the walk's order is its own. */
static const char *const FULL =
	"{\"leftovers\": [{}, {}], \"abort\": {\"atMs\": 5}, \"samples\": [{}],"
	" \"hooks\": [{}], \"faults\": [{}, {}], \"checks\": [{}, {}, {}],"
	" \"outcome\": \"aborted\"}";

FLTEST(items_come_checks_faults_hooks_samples_abort_leftovers)
{
	struct trail t = { 0 };

	FL_ASSERT_EQ(fl_journal_walk(experiment(FULL), &all, &t), 0);
	FL_ASSERT_STREQ(t.buf, "check:0 check:1 check:2 fault:0 fault:1 hook:0 sample:0 "
			       "abort:0 leftover:0 leftover:1");
}

FLTEST(a_null_callback_skips_its_kind)
{
	const struct fl_journal_visit some = { .fault = visit_fault, .leftover = visit_leftover };
	struct trail t = { 0 };

	FL_ASSERT_EQ(fl_journal_walk(experiment(FULL), &some, &t), 0);
	FL_ASSERT_STREQ(t.buf, "fault:0 fault:1 leftover:0 leftover:1");
}

FLTEST(the_abort_is_visited_for_a_record_or_the_outcome_only)
{
	struct trail rec = { 0 }, outcome = { 0 }, none = { 0 };

	FL_ASSERT_EQ(fl_journal_walk(experiment("{\"abort\": {}, \"outcome\": \"deviated\"}"), &all,
				     &rec),
		     0);
	FL_ASSERT_STREQ(rec.buf, "abort:0");
	FL_ASSERT_EQ(fl_journal_walk(experiment("{\"outcome\": \"aborted\"}"), &all, &outcome), 0);
	FL_ASSERT_STREQ(outcome.buf, "abort:0=NULL");
	FL_ASSERT_EQ(fl_journal_walk(experiment("{\"outcome\": \"error\", \"abort\": null}"), &all,
				     &none),
		     0);
	FL_ASSERT_STREQ(none.buf, "");
}

FLTEST(a_negative_result_stops_the_walk_and_is_returned)
{
	struct trail t = { .stop_at = 4 };

	FL_ASSERT_EQ(fl_journal_walk(experiment(FULL), &all, &t), -42);
	FL_ASSERT_STREQ(t.buf, "check:0 check:1 check:2 fault:0");
}

FLTEST(mistyped_arrays_are_empty)
{
	struct trail t = { 0 };

	FL_ASSERT_EQ(fl_journal_walk(experiment("{\"checks\": {}, \"faults\": 3,"
						" \"leftovers\": \"x\"}"),
				     &all, &t),
		     0);
	FL_ASSERT_STREQ(t.buf, "");
}

FLTEST(the_tally_counts_verdicts_and_injected_faults)
{
	struct fl_journal_tally c = fl_journal_tally(
		experiment("{\"checks\": [{\"verdict\": \"pass\"}, {\"verdict\": \"pass\"},"
			   " {\"verdict\": \"fail\"}, {\"verdict\": \"inconclusive\"}, "
			   "{\"verdict\": \"maybe\"},"
			   " {}], \"faults\": [{\"inject\": {\"result\": \"ok\"}},"
			   " {\"inject\": {\"result\": \"error\"}}, {}]}"));

	FL_ASSERT_EQ(c.pass, 2);
	FL_ASSERT_EQ(c.fail, 1);
	FL_ASSERT_EQ(c.inconclusive, 1);
	FL_ASSERT_EQ(c.error, 2); /* "maybe" and no verdict */
	FL_ASSERT_EQ(c.faults, 3);
	FL_ASSERT_EQ(c.faults_ok, 1);
}
