/* SPDX-License-Identifier: MIT */
/* See failmalloc.h. Not thread-aware by design: torture runs single-threaded code. */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "failmalloc.h"

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);

static long fail_at = -1; /* allocation index that fails; -1: none */
static long counter;
static bool fired;

/* dlsym() may itself call calloc before real_calloc is known: serve it from here. */
static _Alignas(max_align_t) unsigned char bootstrap[4096];
static size_t bootstrap_used;

static bool resolving;

static void resolve(void)
{
	if (real_malloc || resolving)
		return;
	resolving = true;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	resolving = false;
}

/* Resolve before main and before any thread: a process whose first allocation is a calloc
 * (a forked test child that had not allocated yet) must not get bootstrap memory that a
 * later free() would reject. */
__attribute__((constructor)) static void resolve_early(void)
{
	resolve();
}

static bool should_fail(void)
{
	if (fail_at < 0)
		return false;
	if (counter++ == fail_at) {
		fired = true;
		return true;
	}
	return false;
}

void fl_failmalloc_arm(long n)
{
	counter = 0;
	fired = false;
	fail_at = n;
}

void fl_failmalloc_disarm(void)
{
	fail_at = -1;
}

bool fl_failmalloc_fired(void)
{
	return fired;
}

long fl_failmalloc_count(void)
{
	return counter;
}

void *malloc(size_t size)
{
	resolve();
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	resolve();
	if (!real_calloc) {
		/* inside dlsym's own bootstrap */
		size_t total = (n * size + 15) & ~(size_t)15;
		if (n && size > SIZE_MAX / n)
			return NULL;
		if (bootstrap_used + total > sizeof(bootstrap))
			return NULL;
		void *p = bootstrap + bootstrap_used;
		bootstrap_used += total;
		return p; /* zeroed: static storage, never reused */
	}
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(n, size);
}

void *realloc(void *ptr, size_t size)
{
	resolve();
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(ptr, size);
}
