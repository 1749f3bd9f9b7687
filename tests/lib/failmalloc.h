/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure torture (docs/style.md; curl's torture tests): make the n-th allocation of
 * a piece of code fail, for every n, and check that it fails cleanly — an error, no crash,
 * no leak (run under AddressSanitizer for the leak part).
 *
 * Linking this file into a test binary replaces malloc/calloc/realloc for the whole
 * process (libyaml, jansson and glibc's strdup included) with wrappers that forward to the
 * real allocator (found with dlsym(RTLD_NEXT), so an ASan build keeps its own).
 *
 *   for (long n = 0;; n++) {
 *           fl_failmalloc_arm(n);          // the allocation number n (0-based) fails
 *           int r = parse(...);
 *           bool hit = fl_failmalloc_fired();
 *           fl_failmalloc_disarm();
 *           ... check r: success only if !hit, and -ENOMEM (or a clean error) if hit
 *           if (!hit) break;               // n went past the last allocation: done
 *   }
 */
#ifndef FL_FAILMALLOC_H
#define FL_FAILMALLOC_H

#include <stdbool.h>

/* Fail the n-th allocation from now on (0 = the next one); only that one fails. */
void fl_failmalloc_arm(long n);
void fl_failmalloc_disarm(void);
/* Whether the armed failure happened since the last arm. */
bool fl_failmalloc_fired(void);
/* Allocations counted since the last arm (or since start). */
long fl_failmalloc_count(void);

#endif
