/* SPDX-License-Identifier: MIT */
/*
 * Allocation-failure torture of the experiment parser (tests/lib/failmalloc.h): for every
 * n, the n-th allocation while parsing a suite with included files fails. The parse must
 * then return -ENOMEM and no suite — never crash, never return a half-built suite; under
 * AddressSanitizer (make SANITIZE=address,undefined) LeakSanitizer checks that nothing
 * leaks. Its own binary: linking failmalloc replaces malloc for the whole process.
 */
#include <dlfcn.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "experiment.h"
#include "failmalloc.h"
#include "fltest.h"

/*
 * A failure some library absorbs on purpose (glibc's regcomp skips an optional table when
 * its malloc fails) ends in a complete parse: allowed, counted, and the suite must be whole.
 */
static long absorbed;
static long armed; /* the n of the running round */

/*
 * glibc's regcomp is not ours to torture, and glibc 2.36 double-frees on one of its own
 * allocation-failure paths (free_workarea_compile). Allocations inside it are neither
 * counted nor failed: the parser's own calls around it are.
 */
int regcomp(regex_t *restrict preg, const char *restrict regex, int cflags)
{
	static int (*real)(regex_t *restrict, const char *restrict, int);
	long used;
	int r;

	if (!real)
		real = (int (*)(regex_t *restrict, const char *restrict, int))dlsym(RTLD_NEXT,
										    "regcomp");
	if (fl_failmalloc_fired() || armed < 0)
		return real(preg, regex, cflags);
	used = fl_failmalloc_count();
	fl_failmalloc_disarm();
	r = real(preg, regex, cflags);
	fl_failmalloc_arm(armed - used);
	armed -= used;
	return r;
}

static long torture(const char *path)
{
	long n;

	for (n = 0;; n++) {
		struct fl_suite *suite = NULL;
		struct fl_diag diag = { 0 };
		bool hit;
		int r;

		armed = n;
		fl_failmalloc_arm(n);
		r = fl_suite_parse_file(path, &suite, &diag);
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		armed = -1;
		if (!hit) {
			FL_ASSERT_MSG(r == 0, "no failure injected, yet %d: %s", r, diag.msg);
			FL_ASSERT(suite && suite->n_experiments > 0);
			fl_suite_free(suite);
			return n;
		}
		if (r == 0) {
			FL_ASSERT(suite && suite->n_experiments > 0);
			fl_suite_free(suite);
			absorbed++;
			continue;
		}
		FL_ASSERT_MSG(r == -ENOMEM, "allocation %ld failed: got %d (%s), expected -ENOMEM",
			      n, r, diag.msg);
		FL_ASSERT_MSG(suite == NULL, "allocation %ld failed, yet a suite came back", n);
	}
}

FLTEST(every_allocation_failure_of_a_suite_is_enomem)
{
	long n;

	fltest_set_timeout(600);
	n = torture("tests/data/experiments/valid/suite-includes/input.yaml");
	fltest_log("suite-includes: %ld allocations, each failed once (%ld absorbed by libraries)",
		   n, absorbed);
	FL_ASSERT(n > 100);
	FL_ASSERT(absorbed * 20 < n);
}

FLTEST(every_allocation_failure_of_the_full_example_is_enomem)
{
	long n;

	fltest_set_timeout(600);
	n = torture("tests/data/experiments/valid/full-example/input.yaml");
	fltest_log("full-example: %ld allocations, each failed once (%ld absorbed by libraries)", n,
		   absorbed);
	FL_ASSERT(n > 100);
	FL_ASSERT(absorbed * 20 < n);
}
