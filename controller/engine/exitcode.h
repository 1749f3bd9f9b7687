/* SPDX-License-Identifier: MIT */
/*
 * The exit codes of a run, which every verb shares (documented in --help and README): the
 * engine decides them (fl_run), the command line only passes them on — so a daemon that
 * runs experiments without the CLI (the scheduler, the coming healer) speaks the same.
 */
#ifndef FL_EXITCODE_H
#define FL_EXITCODE_H

enum {
	FL_EXIT_OK = 0,
	FL_EXIT_DEVIATED = 1,
	FL_EXIT_ERROR = 2,
	FL_EXIT_ABORTED = 3,
	FL_EXIT_LEFTOVERS = 4,
	FL_EXIT_USAGE = 64, /* EX_USAGE: bad flags or arguments */
};

#endif
