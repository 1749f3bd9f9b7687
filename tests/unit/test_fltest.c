/* SPDX-License-Identifier: MIT */
/*
 * The harness's scratch-directory removal: what it removes and what it refuses. The
 * refusals are tried on decoy directories this test makes (never on a path of the
 * machine): with the check broken, only the decoys could be lost. And FLTEST_LAST: run
 * after the tests selected on the command line, counted like one, failing the binary.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fltest.h"

static char dir[64], outside[64], decoy[64];

static void write_file(const char *path)
{
	FILE *f = fopen(path, "w");

	FL_ASSERT_MSG(f, "%s: %s", path, strerror(errno));
	fputs("x\n", f);
	fclose(f);
}

FLTEST(remove_tree_removes_nested_dirs_but_not_what_links_point_to)
{
	char path[160];

	fltest_scratch_dir(dir, sizeof(dir), "fl-unit");
	fltest_scratch_dir(outside, sizeof(outside), "fl-unit-outside");
	(void)snprintf(path, sizeof(path), "%s/keep", outside);
	write_file(path);
	(void)snprintf(path, sizeof(path), "%s/a", dir);
	FL_ASSERT_OK(mkdir(path, 0700));
	(void)snprintf(path, sizeof(path), "%s/a/b", dir);
	FL_ASSERT_OK(mkdir(path, 0700));
	(void)snprintf(path, sizeof(path), "%s/a/b/file", dir);
	write_file(path);
	(void)snprintf(path, sizeof(path), "%s/a/link", dir);
	FL_ASSERT_OK(symlink(outside, path));

	FL_ASSERT_OK(fltest_remove_tree(dir));
	FL_ASSERT(access(dir, F_OK) < 0 && errno == ENOENT);
	(void)snprintf(path, sizeof(path), "%s/keep", outside);
	FL_ASSERT_OK(access(path, F_OK));      /* the link went, not its target */
	FL_ASSERT_OK(fltest_remove_tree(dir)); /* gone already: nothing to do */
}

static void remove_decoy(void *arg)
{
	char path[160];

	(void)arg;
	(void)snprintf(path, sizeof(path), "%s/keep", decoy);
	(void)unlink(path);
	(void)rmdir(decoy);
}

FLTEST(remove_tree_refuses_what_is_not_test_scratch)
{
	char path[200], keep[160];

	/* a directory outside /tmp/fl-*, and the ways of naming it */
	(void)snprintf(decoy, sizeof(decoy), "/tmp/fltest-decoy-XXXXXX");
	FL_ASSERT(mkdtemp(decoy));
	fltest_defer(remove_decoy, NULL);
	(void)snprintf(keep, sizeof(keep), "%s/keep", decoy);
	write_file(keep);
	fltest_scratch_dir(dir, sizeof(dir), "fl-unit");

	FL_ASSERT_EQ(fltest_remove_tree(decoy), -EPERM);
	FL_ASSERT_EQ(fltest_remove_tree(decoy + 1), -EPERM); /* relative */
	(void)snprintf(path, sizeof(path), "%s/..%s", dir,
		       decoy + 4); /* /tmp/fl-unit-X/../fltest-decoy-X */
	FL_ASSERT_OK(access(path, F_OK));
	FL_ASSERT_EQ(fltest_remove_tree(path), -EPERM);
	FL_ASSERT_OK(access(keep, F_OK));
}

/* This binary's last check: it fails when FLTEST_LAST_FAIL is set (by the test below). */
FLTEST_LAST(last_check)
{
	FL_ASSERT_MSG(!getenv("FLTEST_LAST_FAIL"), "the last check fails as asked");
}

/* This binary again, one test selected; its output in out, its exit status returned. */
static int rerun_selected(const char *name, bool fail_last, char *out, size_t size)
{
	char cmd[512];
	size_t len = 0;
	FILE *p;
	int st;

	(void)snprintf(cmd, sizeof(cmd), "%s/proc/%d/exe %s",
		       fail_last ? "FLTEST_LAST_FAIL=1 " : "", (int)getpid(), name);
	p = popen(cmd, "r");
	FL_ASSERT(p != NULL);
	while (len + 1 < size && fgets(out + len, (int)(size - len), p))
		len += strlen(out + len);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

FLTEST(last_check_runs_after_the_selected_tests_and_counts)
{
	const char *sel = "remove_tree_removes_nested_dirs_but_not_what_links_point_to";
	char out[4096];
	char *first, *last;

	if (getenv("FLTEST_LAST_FAIL"))
		return; /* a rerun: only the selected test runs there */
	FL_ASSERT_EQ(rerun_selected(sel, false, out, sizeof(out)), 0);
	first = strstr(out, "ok   remove_tree_removes_nested");
	last = strstr(out, "ok   last_check");
	FL_ASSERT_MSG(first && last && first < last, "%s", out);
	FL_ASSERT_CONTAINS(out, "2 passed, 0 failed, 0 skipped");
	FL_ASSERT_EQ(rerun_selected(sel, true, out, sizeof(out)), 1);
	FL_ASSERT_CONTAINS(out, "the last check fails as asked");
	FL_ASSERT_CONTAINS(out, "FAIL last_check");
	FL_ASSERT_CONTAINS(out, "1 passed, 1 failed, 0 skipped");
	fltest_log("selected one test: it ran, then the last check; failing, it fails the binary");
}
