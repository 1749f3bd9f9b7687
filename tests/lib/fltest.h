/* SPDX-License-Identifier: MIT */
/*
 * fltest — Faultline's small test harness.
 *
 *   FLTEST(encodes_delay) { FL_ASSERT_EQ(1 + 1, 2); }
 *
 * Every test runs in a forked child (a crash or a stuck namespace call fails that test,
 * not the run) with a time limit. A binary ends with the line
 * "N passed, N failed, N skipped" that tests/run.sh sums over a tier. FL_SKIP() explains
 * why a test cannot run here; under CI=true a skip counts as a failure, because CI must
 * run every tier for real. fltest_defer() registers cleanups that run even when an
 * assertion fails (namespaces, qdiscs, child processes) — they run after the test function
 * returned, so their arguments must not live on its stack (use static or heap storage).
 * FLTEST_LAST(name) is a check run after all the others, whichever were selected on the
 * command line (e.g. that the tests left a shared resource as they found it).
 */
#ifndef FLTEST_H
#define FLTEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fltest_case {
	const char *name;
	void (*fn)(void);
	struct fltest_case *next;
};

void fltest_register(struct fltest_case *tc);
void fltest_register_last(struct fltest_case *tc);
void fltest_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void fltest_skip(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void fltest_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fltest_defer(void (*fn)(void *), void *arg);
void fltest_memeq(const char *file, int line, const char *what, const void *got, size_t got_len,
		  const void *want, size_t want_len);
/* Per-test time limit in seconds (default 60); call from a test to extend it. */
void fltest_set_timeout(unsigned seconds);
bool fltest_is_ci(void);
/* Whole file as a NUL-terminated string (malloc'd; NULL if it cannot be read). Relative
 * paths are taken from the repository root (tests/run.sh runs there). */
char *fltest_read_file(const char *path, size_t *ret_len);
/* Make a scratch directory "/tmp/<prefix>-XXXXXX" into buf and register
 * its removal (whole tree) with fltest_defer: buf must outlive the test function (static
 * storage). prefix starts with "fl-". The test fails if the directory cannot be made. */
void fltest_scratch_dir(char *buf, size_t size, const char *prefix);
/* Remove a directory tree made by fltest_scratch_dir. Refuses (-EPERM, removes nothing)
 * any path not under /tmp/fl- or with "/.." in it; follows no symbolic link and enters no
 * other mounted file system. 0 or the first -errno. */
int fltest_remove_tree(const char *path);

#define FLTEST(fn_name)                                                                \
	static void fn_name(void);                                                     \
	static struct fltest_case fltest_case_##fn_name = { #fn_name, fn_name, NULL }; \
	__attribute__((constructor)) static void fltest_reg_##fn_name(void)            \
	{                                                                              \
		fltest_register(&fltest_case_##fn_name);                               \
	}                                                                              \
	static void fn_name(void)

#define FLTEST_LAST(fn_name)                                                           \
	static void fn_name(void);                                                     \
	static struct fltest_case fltest_case_##fn_name = { #fn_name, fn_name, NULL }; \
	__attribute__((constructor)) static void fltest_reg_##fn_name(void)            \
	{                                                                              \
		fltest_register_last(&fltest_case_##fn_name);                          \
	}                                                                              \
	static void fn_name(void)

#define FL_FAIL(...) fltest_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FL_SKIP(...) fltest_skip(__VA_ARGS__)

#define FL_ASSERT(cond)                                         \
	do {                                                    \
		if (!(cond))                                    \
			FL_FAIL("assertion failed: %s", #cond); \
	} while (0)

#define FL_ASSERT_MSG(cond, ...)              \
	do {                                  \
		if (!(cond))                  \
			FL_FAIL(__VA_ARGS__); \
	} while (0)

#define FL_ASSERT_EQ(got, want)                                                          \
	do {                                                                             \
		long long _g = (long long)(got), _w = (long long)(want);                 \
		if (_g != _w)                                                            \
			FL_FAIL("%s == %lld, expected %s == %lld", #got, _g, #want, _w); \
	} while (0)

#define FL_ASSERT_OK(expr)                                                               \
	do {                                                                             \
		long long _r = (long long)(expr);                                        \
		if (_r < 0)                                                              \
			FL_FAIL("%s returned %lld (%s)", #expr, _r, strerror((int)-_r)); \
	} while (0)

#define FL_ASSERT_STREQ(got, want)                                                         \
	do {                                                                               \
		const char *_g = (got), *_w = (want);                                      \
		if (!_g || !_w || strcmp(_g, _w) != 0)                                     \
			FL_FAIL("%s == \"%s\", expected \"%s\"", #got, _g ? _g : "(null)", \
				_w ? _w : "(null)");                                       \
	} while (0)

#define FL_ASSERT_CONTAINS(haystack, needle)                                       \
	do {                                                                       \
		const char *_h = (haystack), *_n = (needle);                       \
		if (!_h || !strstr(_h, _n))                                        \
			FL_FAIL("%s == \"%s\" does not contain \"%s\"", #haystack, \
				_h ? _h : "(null)", _n);                           \
	} while (0)

#define FL_ASSERT_MEMEQ(got, got_len, want, want_len) \
	fltest_memeq(__FILE__, __LINE__, #got, (got), (got_len), (want), (want_len))

#endif
