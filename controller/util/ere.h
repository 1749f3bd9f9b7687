/* SPDX-License-Identifier: MIT */
/*
 * POSIX extended regexes as experiments use them (topicRegex, regex tolerances): checked
 * before they are compiled, always matched against a whole string.
 *
 * The checks exist because glibc's regcomp() is only safe on tame patterns:
 *  - it expands every repetition by copying the repeated sub-expression: "a{99}" is 99
 *    copies of "a", "x+" is "xx*", so nested repetitions multiply — twenty nested "+" in a
 *    60-byte regex took the fuzzer past 2 GB. fl_ere_analyse() estimates the expanded size
 *    (cost) without building anything: atoms (a character, ".", a bracket expression, an
 *    anchor), groups, alternations and repetitions, with a repeated atom or group
 *    multiplied by the copies glibc makes ({n,m}: m, {n,}: n+1, "+": 2, "*" and "?": 1).
 *    Memory grows faster than the count — the epsilon closures are quadratic in nullable
 *    runs, "(.*.*.*.*){500}" is 4,500 nodes and 34 MB — so a limit on it should be a few
 *    thousand at most.
 *  - repeating something that can match the empty string ("(|a)+", "(a*)+", "(())+", even
 *    a bounded "(||(())){10}") makes glibc's epsilon-closure computation super-polynomial:
 *    the 45-byte "((||…||(())+)++++)" took 58 s, "((||||||||||(())){10}){10}" over a minute,
 *    at costs of a few hundred. Such a regex is refused, naming the operator; it can always
 *    be written with a repeated part that consumes a character ("(a?b?)+" is "(a|b)*").
 *  - back-references (\1 … \9) are a glibc extension, not POSIX ERE, and would point at
 *    the wrong group once the regex is wrapped for a whole match.
 *  - a ')' without its '(' is a literal to glibc, but inside the wrapper "^(…)$" it would
 *    close the wrapper: "a)|(b" would match any string starting with "a". So is a trailing
 *    lone '\' (it would escape the wrapper's ')'). Both are reported as malformed.
 */
#ifndef FL_ERE_H
#define FL_ERE_H

#include <regex.h>
#include <stddef.h>

/* What an experiment file may hold (the parser refuses more, naming the figure): a few
 * hundred bytes name any topic pattern or status, and at 2,000 nodes regcomp holds at most
 * ~6 MiB (tests/unit/test_ere.c measures it) and takes milliseconds (fuzz_ere checks it). */
#define FL_ERE_LENGTH_MAX 256
#define FL_ERE_COST_MAX	  2000

/* The cost saturates here (also reported when groups nest deeper than the analysis
 * follows). */
#define FL_ERE_COST_CAP ((size_t)1 << 30)

struct fl_ere_facts {
	size_t cost;	       /* estimated nodes of the compiled regex, see above */
	int empty_repeat_at;   /* offset of the first repetition of something that can match
				"", or -1 */
	int backref_at;	       /* offset of the first back-reference outside brackets, or -1 */
	int malformed_at;      /* offset of a stray ')' or a trailing lone '\', or -1 ... */
	const char *malformed; /* ... and what is wrong there */
};

void fl_ere_analyse(const char *ere, struct fl_ere_facts *facts);

/* Compile so that regexec() matches only a whole string ("^(ERE)$", REG_NOSUB: no match
 * positions are kept, which also keeps regcomp small). Returns regcomp()'s code. */
int fl_ere_compile_whole(regex_t *re, const char *ere);

#endif
