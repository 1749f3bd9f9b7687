/* SPDX-License-Identifier: MIT */
/*
 * POSIX extended regexes as experiments use them (topicRegex, regex tolerances): always
 * matched against a whole string, checked before they are compiled.
 *
 * fl_regex_cost: how big an automaton glibc's regcomp() would build, estimated without
 * building it.
 *
 * Regexes come from experiment files (topicRegex, regex tolerances). glibc expands every
 * repetition by copying the repeated sub-expression: "a{99}" is 99 copies of "a", "x+" is
 * "xx*", so nested repetitions multiply — "((((a+)+)+)+)…" twenty deep is a million nodes and
 * gigabytes of memory, in a pattern of 60 bytes. The parser refuses a regex whose estimate
 * is too large before regcomp() ever sees it.
 *
 * The estimate counts nodes: atoms (a character, ".", a bracket expression, an anchor, a
 * back reference), groups, alternations and repetitions, with a repeated atom or group
 * multiplied by the copies glibc makes ({n,m}: m, {n,}: n+1, "+": 2, "*" and "?": 1). It is
 * not exact; it follows the token tree regcomp allocates. Memory grows faster than the
 * tree, though: the epsilon closures regcomp computes are quadratic in nullable runs —
 * "(.*.*.*.*){500}" is 4,500 nodes and 34 MB — so a limit on this estimate should be a few
 * thousand at most.
 */
#ifndef FL_REGEX_COST_H
#define FL_REGEX_COST_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* Saturates here (also returned when groups nest deeper than the estimator follows). */
#define FL_REGEX_COST_CAP ((size_t)1 << 30)

size_t fl_regex_cost(const char *ere);

/* A back-reference (\1 … \9) outside a bracket expression: a glibc extension, not POSIX
 * ERE, and it would point at the wrong group once the regex is wrapped for a whole match. */
bool fl_regex_has_backref(const char *ere);

/* Compile so that regexec() matches only a whole string ("^(ERE)$", REG_NOSUB: no match
 * positions are kept, which also keeps regcomp small). Returns regcomp()'s code. */
int fl_regex_compile_whole(regex_t *re, const char *ere);

#endif
