/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the regex checks of experiment files (controller/util/ere.c). Whatever
 * they let through — at most FL_ERE_LENGTH_MAX bytes, FL_ERE_COST_MAX nodes, no repetition
 * of what can match "", no back-reference, no stray ')' — glibc must compile and match
 * quickly, as wrapped for a whole-string match: this
 * aborts when one compile and match takes over 2 s (under ASan, which is several times
 * slower than the controller), and libFuzzer's RSS limit catches memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ere.h"

#define SLOW_NS 2000000000ll

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000ll + t.tv_nsec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[FL_ERE_LENGTH_MAX + 1];
	struct fl_ere_facts facts;
	regex_t re;
	long long start;

	if (size > FL_ERE_LENGTH_MAX || memchr(data, '\0', size))
		return 0; /* the parser refuses these before looking inside */
	memcpy(text, data, size);
	text[size] = '\0';
	fl_ere_analyse(text, &facts);
	if (facts.cost > FL_ERE_COST_CAP)
		abort(); /* saturates, never beyond */
	if (facts.malformed_at >= 0 || facts.backref_at >= 0 || facts.empty_repeat_at >= 0 ||
	    facts.cost > FL_ERE_COST_MAX)
		return 0;
	start = now_ns();
	if (fl_ere_compile_whole(&re, text) == 0) {
		(void)regexec(&re, text, 0, NULL, 0);
		regfree(&re);
	}
	if (now_ns() - start > SLOW_NS) {
		fprintf(stderr, "regex \"%s\" (cost %zu) took %.1f s to compile and match\n", text,
			facts.cost, (double)(now_ns() - start) / 1e9);
		abort();
	}
	return 0;
}
