/* SPDX-License-Identifier: MIT */
/*
 * The regex checks of experiment files (ere.h): the cost estimate's figures for known
 * patterns, repetitions of what can match "" and back-references found where they are,
 * whole-string matching — and the property the parser relies on: a regex at the cost limit
 * cannot make glibc's regcomp() take much memory, while the patterns that did (the
 * fuzzer's nested "+") are over it.
 */
#include <malloc.h>
#include <regex.h>
#include <stdio.h>

#include "ere.h"
#include "fltest.h"

static struct fl_ere_facts facts_of(const char *ere)
{
	struct fl_ere_facts f;

	fl_ere_analyse(ere, &f);
	return f;
}

FLTEST(cost_of_known_patterns)
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
		FL_ASSERT_MSG(facts_of(cases[i].re).cost == cases[i].cost, "\"%s\": %zu, want %zu",
			      cases[i].re, facts_of(cases[i].re).cost, cases[i].cost);
}

FLTEST(cost_saturates_instead_of_overflowing)
{
	FL_ASSERT_EQ(facts_of("a{99999999999999999999999}").cost, FL_ERE_COST_CAP);
	FL_ASSERT_EQ(facts_of("((((a{30000}){30000}){30000}){30000})").cost, FL_ERE_COST_CAP);
	char deep[200] = { 0 };
	for (int i = 0; i < 70; i++)
		deep[i] = '(';
	FL_ASSERT_EQ(facts_of(deep).cost, FL_ERE_COST_CAP); /* deeper than it follows */
}

FLTEST(the_fuzzers_runaway_patterns_are_refused)
{
	/* 20 nested "+" took 2.2 GB in regcomp under the fuzzer; 12 are already over */
	FL_ASSERT(facts_of("((((((((((((o+)+)+)+)+)+)+)+)+)+)+)+)").cost > FL_ERE_COST_MAX);
	FL_ASSERT(facts_of("((a{99}){99}){99}").cost > FL_ERE_COST_MAX);
	FL_ASSERT(facts_of("(.*.*.*.*){500}").cost > FL_ERE_COST_MAX); /* 34 MB */
	/* cost 624, but 58 s in regcomp: a repeated group that can match "" */
	FL_ASSERT(facts_of("((||||||||||||||||||||||||||||||||(())+)++++)").empty_repeat_at >= 0);
	/* over 10 s in regcomp (found by the CI's fuzz run): glibc reads "{,}" as {0,} */
	FL_ASSERT(facts_of("((0{,})((0{,}){4,}){40})").empty_repeat_at >= 0);
}

FLTEST(repetitions_of_what_can_match_empty_are_found)
{
	static const struct {
		const char *re;
		int at; /* offset of the repetition, or -1 */
	} cases[] = {
		{ "(a*)+", 4 },	    { "(|a)*", 4 },	  { "()+", 2 },	       { "(a?b?){2}", 6 },
		{ "(a|b*)+", 6 },   { "(^)*", 3 },	  { "(\\<)+", 4 },     { "a**", 2 },
		{ "(a{0,3})+", 8 }, { "((a|)b?)+", 8 },	  { "(a|b)+", -1 },    { "(a*b)+", -1 },
		{ "(ab?)+", -1 },   { "a{0,3}b+", -1 },	  { "(a|b|c)*d", -1 }, { "x|*", -1 },
		{ "[*+]+", -1 },    { "(a+|b)(c|)", -1 }, { "\\(a*\\)+", -1 }, { "(\\w)+", -1 },
		{ "(a{,})+", 6 },   { "(a{,2})+", 7 },	  { "a{}+", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		FL_ASSERT_MSG(facts_of(cases[i].re).empty_repeat_at == cases[i].at,
			      "\"%s\": %d, want %d", cases[i].re,
			      facts_of(cases[i].re).empty_repeat_at, cases[i].at);
}

FLTEST(back_references_are_found_outside_brackets_only)
{
	FL_ASSERT_EQ(facts_of("(a)\\1").backref_at, 3);
	FL_ASSERT_EQ(facts_of("x\\9").backref_at, 1);
	FL_ASSERT_EQ(facts_of("a\\.b\\\\1").backref_at, -1); /* an escaped backslash, then 1 */
	FL_ASSERT_EQ(facts_of("[\\1]").backref_at, -1);	     /* a bracket's \ is a member */
	FL_ASSERT_EQ(facts_of("[]\\1]").backref_at, -1);
	FL_ASSERT_EQ(facts_of("a\\0").backref_at, -1);
	FL_ASSERT_EQ(facts_of("trailing\\").backref_at, -1);
}

static int whole_match(const char *ere, const char *text)
{
	regex_t re;
	int r = fl_ere_compile_whole(&re, ere);

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

/* What regcomp() holds once compiled grows with the tree and the closures, so that is
 * measured (its peak is hard to see from outside). */
static size_t regcomp_bytes(const char *re)
{
	struct mallinfo2 before = mallinfo2();
	regex_t compiled;
	size_t used;

	if (fl_ere_compile_whole(&compiled, re) != 0)
		return 0;
	used = mallinfo2().uordblks - before.uordblks;
	regfree(&compiled);
	return used;
}

FLTEST(patterns_at_the_limit_compile_in_little_memory)
{
	/* for each shape, the largest repeat count the parser lets through */
	static const char *const shapes[] = {
		"(a){",	 "(.*.*.*.*a){", "(a?b){",     "([[:alpha:]]+){", "((a|b)+c?){",
		"(a+){", "(a.*b){0,",	 "(.*a.*){1,", "(a?b?c){0,"
	};
	size_t worst = 0;

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		char re[64];
		unsigned k = 1;

		do {
			(void)snprintf(re, sizeof(re), "%s%u}", shapes[i], ++k);
		} while (facts_of(re).cost <= FL_ERE_COST_MAX);
		(void)snprintf(re, sizeof(re), "%s%u}", shapes[i], k - 1);
		FL_ASSERT_MSG(facts_of(re).empty_repeat_at < 0, "%s is refused", re);
		size_t bytes = regcomp_bytes(re);
		FL_ASSERT_MSG(bytes > 0, "%s did not compile", re);
		FL_ASSERT_MSG(bytes < 32u << 20, "%s (cost %zu) holds %zu bytes", re,
			      facts_of(re).cost, bytes);
		if (bytes > worst)
			worst = bytes;
	}
	printf("    worst at the limit: %.1f MiB held by regcomp\n", (double)worst / (1 << 20));
}

FLTEST(what_would_break_out_of_the_wrapper_is_malformed)
{
	/* "^(a)|(b)$" would match anything starting with "a" */
	FL_ASSERT_EQ(facts_of("a)|(b").malformed_at, 1);
	FL_ASSERT_EQ(facts_of(")+++").malformed_at, 0); /* "^()+++)$": a hang, found by fuzz_ere */
	FL_ASSERT_EQ(facts_of("abc\\").malformed_at, 3);
	FL_ASSERT_EQ(facts_of("a\\)").malformed_at, -1);
	FL_ASSERT_EQ(facts_of("[)]").malformed_at, -1);
	FL_ASSERT_EQ(facts_of("(a)").malformed_at, -1);
	FL_ASSERT(facts_of("a)").malformed != NULL);
}
