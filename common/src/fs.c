/* SPDX-License-Identifier: MIT */
/* File-system helpers (fl/fs.h): the one mkdir -p of the agent and the controller. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "fl/fs.h"

int fl_mkdir_p(const char *path, mode_t leaf_mode)
{
	char buf[PATH_MAX];
	struct stat st;
	size_t len = strlen(path);

	if (len == 0)
		return -ENOENT;
	if (len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, leaf_mode) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;
	/* there already: fine if it is a directory (or a link to one), not a file */
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}
