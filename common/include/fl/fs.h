/* SPDX-License-Identifier: MIT */
/* File-system helpers that more than one component needs. */
#ifndef FL_FS_H
#define FL_FS_H

#include <sys/types.h>

#include "fl/macro.h"

/*
 * mkdir -p: every missing parent of path with mode 0755, path itself with leaf_mode (the
 * agent's ledger is 0700: only root reads the intents). Existing directories are left as
 * they are, modes included. Returns 0, -ENAMETOOLONG (path of PATH_MAX or more), -ENOENT
 * (empty path), -ENOTDIR (path or a parent is a file) or the -errno of the mkdir that
 * failed (-EACCES...).
 */
int fl_mkdir_p(const char *path, mode_t leaf_mode) _wur_;

#endif
