/* SPDX-License-Identifier: MIT */
/* The faultline command line: one function per top-level verb. */
#ifndef FL_CLI_H
#define FL_CLI_H

/* Exit codes shared by every verb (documented in --help and README). */
enum {
	FL_EXIT_OK = 0,
	FL_EXIT_DEVIATED = 1,
	FL_EXIT_ERROR = 2,
	FL_EXIT_ABORTED = 3,
	FL_EXIT_LEFTOVERS = 4,
	FL_EXIT_USAGE = 64, /* EX_USAGE: bad flags or arguments */
};

int fl_cmd_netem(int argc, char **argv);
int fl_cmd_faults(int argc, char **argv);
int fl_cmd_report(int argc, char **argv);
int fl_cmd_validate(int argc, char **argv);
int fl_cmd_plan(int argc, char **argv);
int fl_cmd_run(int argc, char **argv);
int fl_cmd_schedule(int argc, char **argv);

#endif
