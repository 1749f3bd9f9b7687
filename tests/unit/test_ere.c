/* SPDX-License-Identifier: MIT */
/*
 * The regex cost estimate (ere.h): its figures for known patterns, and the property
 * the parser relies on — a regex at the limit (2,000) cannot make glibc's regcomp() take
 * much memory, while the patterns that did (the fuzzer's nested "+") are over it.
 */
#include <malloc.h>
#include <regex.h>
#include <stdio.h>

#include "fltest.h"
#include "ere.h"

#define PARSER_LIMIT 2000 /* EX_REGEX_COST_MAX in exp_fields.c */

FLTEST(figures_for_known_patterns)
{
	static const struct {
		const char *re;
		size_t cost;
	} cases[] = {
		{ "", 0 },
		{ "a", 1 },
		{ "abc", 3 },
		{ "a*", 2 },
		{ "a+", 3 },	/* a a* */
		{ "a{3}", 4 },	/* three copies and the interval */
		{ "a{2,}", 4 }, /* a a a*: n+1 copies */
		{ "a{,5}", 6 },
		{ "a{0}", 2 }, /* dropped, counted once */
		{ "(ab)", 3 }, /* two atoms and the group */
		{ "(ab){10}", 31 },
		{ "a|b", 3 },
		{ "[0-9]+", 3 },
		{ "[]{}]{9}", 10 }, /* a ']' first and braces inside a bracket are members */
		{ "[[:alpha:]]", 1 },
		{ "\\{{5}", 6 }, /* an escaped brace is an atom; the interval repeats it */
		{ "a{x}", 4 },	 /* not an interval: three atoms for regcomp to judge */
		{ "((a)", 3 },	 /* unclosed: summed anyway */
		{ "a)", 2 },
		{ "^orders-[0-9]+$", 12 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		FL_ASSERT_MSG(fl_regex_cost(cases[i].re) == cases[i].cost, "\"%s\": %zu, want %zu",
			      cases[i].re, fl_regex_cost(cases[i].re), cases[i].cost);
}

FLTEST(saturates_instead_of_overflowing)
{
	FL_ASSERT_EQ(fl_regex_cost("a{99999999999999999999999}"), FL_REGEX_COST_CAP);
	FL_ASSERT_EQ(fl_regex_cost("((((a{30000}){30000}){30000}){30000})"), FL_REGEX_COST_CAP);
	char deep[200] = { 0 };
	for (int i = 0; i < 70; i++)
		deep[i] = '(';
	FL_ASSERT_EQ(fl_regex_cost(deep), FL_REGEX_COST_CAP); /* deeper than it follows */
}

FLTEST(the_fuzzers_runaway_patterns_are_over_the_limit)
{
	/* 20 nested "+" took 2.2 GB in regcomp under the fuzzer; 12 are already over */
	FL_ASSERT(fl_regex_cost("((((((((((((o+)+)+)+)+)+)+)+)+)+)+)+)") > PARSER_LIMIT);
	FL_ASSERT(fl_regex_cost("((a{99}){99}){99}") > PARSER_LIMIT);
	FL_ASSERT(fl_regex_cost("(.*.*.*.*){500}") > PARSER_LIMIT); /* 34 MB: quadratic closures */
}

/* Bytes regcomp() keeps allocated at its peak is hard to see; what it holds once compiled
 * is what grows with the tree and the closures, so that is measured. */
static size_t regcomp_bytes(const char *re)
{
	struct mallinfo2 before = mallinfo2();
	regex_t compiled;
	size_t used;

	if (fl_regex_compile_whole(&compiled, re) != 0)
		return 0;
	used = mallinfo2().uordblks - before.uordblks;
	regfree(&compiled);
	return used;
}

FLTEST(patterns_at_the_limit_compile_in_little_memory)
{
	/* for each shape, the largest repeat count the parser lets through */
	static const char *const shapes[] = { "(a)",	    "(.*.*.*.*)", "(a?)", "([[:alpha:]]+)",
					      "((a|b)+c?)", "(a+)" };
	size_t worst = 0;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char re[64];
		unsigned k = 1;

		do {
			(void)snprintf(re, sizeof(re), "%s{%u}", shapes[i], ++k);
		} while (fl_regex_cost(re) <= PARSER_LIMIT);
		(void)snprintf(re, sizeof(re), "%s{%u}", shapes[i], k - 1);
		size_t bytes = regcomp_bytes(re);
		FL_ASSERT_MSG(bytes > 0, "%s did not compile", re);
		FL_ASSERT_MSG(bytes < 32u << 20, "%s (cost %zu) holds %zu bytes", re,
			      fl_regex_cost(re), bytes);
		if (bytes > worst)
			worst = bytes;
	}
	printf("    worst at the limit: %.1f MiB held by regcomp\n", (double)worst / (1 << 20));
}

FLTEST(back_references_are_found_outside_brackets_only)
{
	FL_ASSERT(fl_regex_has_backref("(a)\\1"));
	FL_ASSERT(fl_regex_has_backref("x\\9"));
	FL_ASSERT(!fl_regex_has_backref("a\\.b\\\\1")); /* an escaped backslash, then "1" */
	FL_ASSERT(!fl_regex_has_backref("[\\1]"));	/* a bracket's backslash is a member */
	FL_ASSERT(!fl_regex_has_backref("[]\\1]"));
	FL_ASSERT(!fl_regex_has_backref("a\\0"));
	FL_ASSERT(!fl_regex_has_backref("trailing\\"));
}

static int whole_match(const char *ere, const char *text)
{
	regex_t re;
	int r = fl_regex_compile_whole(&re, ere);

	if (r != 0)
		return -1;
	r = regexec(&re, text, 0, NULL, 0) == 0;
	regfree(&re);
	return r;
}

FLTEST(compiled_whole_matches_only_whole_strings)
{
	FL_ASSERT_EQ(whole_match("OK|WARN", "OK"), 1);
	FL_ASSERT_EQ(whole_match("OK|WARN", "WARN"), 1);
	FL_ASSERT_EQ(whole_match("OK|WARN", "NOT OK"), 0); /* the alternation is inside the group */
	FL_ASSERT_EQ(whole_match("orders-[0-9]+", "orders-12"), 1);
	FL_ASSERT_EQ(whole_match("orders-[0-9]+", "orders-12-dlq"), 0);
	FL_ASSERT_EQ(whole_match("orders", "xorders"), 0);
	FL_ASSERT_EQ(whole_match("^workflow", "workflow"), 1); /* anchors inside stay valid */
	FL_ASSERT_EQ(whole_match("^workflow", "workflows"), 0);
	FL_ASSERT_EQ(whole_match(".*", ""), 1);
	FL_ASSERT_EQ(whole_match("(unclosed", "x"), -1);
}
