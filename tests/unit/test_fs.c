/* SPDX-License-Identifier: MIT */
/* fl_mkdir_p (common/src/fs.c): the mkdir -p of the agent's ledger and the scheduler. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/fs.h"
#include "fltest.h"

static mode_t mode_of(const char *path)
{
	struct stat st;

	FL_ASSERT_OK(stat(path, &st));
	FL_ASSERT(S_ISDIR(st.st_mode));
	return st.st_mode & 07777;
}

FLTEST(parents_0755_leaf_as_asked_and_again_is_fine)
{
	static char dir[128];
	char a[256], leaf[256];

	fltest_scratch_dir(dir, sizeof(dir), "fl-fs");
	(void)umask(022);
	(void)snprintf(a, sizeof(a), "%s/a", dir);
	(void)snprintf(leaf, sizeof(leaf), "%s/a/b/ledger", dir);
	FL_ASSERT_OK(fl_mkdir_p(leaf, 0700));
	FL_ASSERT_EQ(mode_of(a), 0755);
	FL_ASSERT_EQ(mode_of(leaf), 0700);
	/* again, and with a trailing slash: nothing to do, modes untouched */
	FL_ASSERT_OK(fl_mkdir_p(leaf, 0755));
	FL_ASSERT_EQ(mode_of(leaf), 0700);
	(void)snprintf(leaf, sizeof(leaf), "%s/a/b/ledger/", dir);
	FL_ASSERT_OK(fl_mkdir_p(leaf, 0700));
}

FLTEST(a_file_in_the_way_empty_and_long_paths_fail)
{
	static char dir[128];
	char file[256], below[300], big[5000];
	int fd;

	fltest_scratch_dir(dir, sizeof(dir), "fl-fs");
	(void)snprintf(file, sizeof(file), "%s/file", dir);
	FL_ASSERT((fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
	close(fd);
	FL_ASSERT_EQ(fl_mkdir_p(file, 0755), -ENOTDIR);
	(void)snprintf(below, sizeof(below), "%s/x", file);
	FL_ASSERT_EQ(fl_mkdir_p(below, 0755), -ENOTDIR);
	FL_ASSERT_EQ(fl_mkdir_p("", 0755), -ENOENT);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '/';
	big[sizeof(big) - 1] = '\0';
	FL_ASSERT_EQ(fl_mkdir_p(big, 0755), -ENAMETOOLONG);
}
