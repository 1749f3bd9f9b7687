/* SPDX-License-Identifier: MIT */
/* The faultline command line: one function per top-level verb. */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdint.h>

#include "exitcode.h" /* the exit codes every verb returns */

/* A --seed value: an unsigned decimal. Prints "faultline VERB: --seed: ..." and returns
 * -EINVAL on anything else (then exit FL_EXIT_USAGE). */
int fl_cli_parse_seed(const char *verb, const char *text, uint64_t *ret);

/* An experiment file that did not parse: "FILE:LINE:COL: MESSAGE" (or "FILE: MESSAGE"
 * when there is no position) on stderr — the one format every verb uses. */
struct fl_diag;
void fl_cli_print_parse_error(const char *path, int err, const struct fl_diag *diag);

int fl_cmd_netem(int argc, char **argv);
int fl_cmd_faults(int argc, char **argv);
int fl_cmd_report(int argc, char **argv);
int fl_cmd_validate(int argc, char **argv);
int fl_cmd_plan(int argc, char **argv);
int fl_cmd_run(int argc, char **argv);
int fl_cmd_schedule(int argc, char **argv);
int fl_cmd_lab(int argc, char **argv);

#endif
