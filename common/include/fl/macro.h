/* SPDX-License-Identifier: MIT */
/*
 * Small language helpers shared by every Faultline component: cleanup attributes,
 * result checking and the FL_TESTABLE switch. Header only.
 */
#ifndef FL_MACRO_H
#define FL_MACRO_H

#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f)   __attribute__((cleanup(f)))
#define _wur_	       __attribute__((warn_unused_result))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_       __attribute__((unused))

#define FL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FL_MIN(a, b)	 ((a) < (b) ? (a) : (b))
#define FL_MAX(a, b)	 ((a) > (b) ? (a) : (b))

/* Take ownership out of a _cleanup_ variable: the cleanup then sees NULL. */
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})

/*
 * File-local functions that unit tests call directly: static in normal builds, visible
 * in test builds (the Makefile compiles the test objects with -DFL_TEST_BUILD).
 */
#ifdef FL_TEST_BUILD
#define FL_TESTABLE
#else
#define FL_TESTABLE static
#endif

static inline void fl_freep(void *p)
{
	free(*(void **)p);
}

static inline void fl_closep(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
}

#endif
