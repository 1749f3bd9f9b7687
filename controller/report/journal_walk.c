/* SPDX-License-Identifier: MIT */
/*
 * One walk over an experiment's items for every report (journal.h): JUnit's test cases,
 * the HTML error list, the text summary's sections and the timeline all visit checks,
 * faults, hook events, samples, the abort and leftovers through fl_journal_walk(), so the
 * rule for when an experiment counts as aborted, and the order the items come in, are
 * written once. fl_journal_tally() is the summary tables' count, built on the same walk.
 */
#include <string.h>

#include "journal.h"

static int walk_array(const json_t *e, const char *key, fl_journal_item_fn fn, void *arg)
{
	const json_t *x;
	size_t i;
	int r;

	if (!fn)
		return 0;
	json_array_foreach(fl_journal_array(e, key), i, x)
	{
		if ((r = fn(arg, e, x, i)) < 0)
			return r;
	}
	return 0;
}

int fl_journal_walk(const json_t *e, const struct fl_journal_visit *v, void *arg)
{
	const json_t *abort_ = fl_journal_object(e, "abort");
	int r;

	if ((r = walk_array(e, "checks", v->check, arg)) < 0 ||
	    (r = walk_array(e, "faults", v->fault, arg)) < 0 ||
	    (r = walk_array(e, "hooks", v->hook, arg)) < 0 ||
	    (r = walk_array(e, "samples", v->sample, arg)) < 0)
		return r;
	if (v->abort && (abort_ || strcmp(fl_journal_str_or(e, "outcome", ""), "aborted") == 0) &&
	    (r = v->abort(arg, e, abort_, 0)) < 0)
		return r;
	return walk_array(e, "leftovers", v->leftover, arg);
}

static int tally_check(void *arg, const json_t *e, const json_t *check, size_t index)
{
	struct fl_journal_tally *t = arg;
	const char *v = fl_journal_str_or(check, "verdict", "error");

	(void)e, (void)index;
	if (strcmp(v, "pass") == 0)
		t->pass++;
	else if (strcmp(v, "fail") == 0)
		t->fail++;
	else if (strcmp(v, "inconclusive") == 0)
		t->inconclusive++;
	else
		t->error++;
	return 0;
}

static int tally_fault(void *arg, const json_t *e, const json_t *fault, size_t index)
{
	struct fl_journal_tally *t = arg;
	const json_t *inject = fl_journal_object(fault, "inject");

	(void)e, (void)index;
	t->faults++;
	t->faults_ok += strcmp(fl_journal_str_or(inject, "result", ""), "ok") == 0;
	return 0;
}

struct fl_journal_tally fl_journal_tally(const json_t *e)
{
	static const struct fl_journal_visit visit = { .check = tally_check, .fault = tally_fault };
	struct fl_journal_tally t = { 0 };

	(void)fl_journal_walk(e, &visit, &t);
	return t;
}
