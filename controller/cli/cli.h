/* SPDX-License-Identifier: MIT */
/* The faultline command line: one function per top-level verb. */
#ifndef FL_CLI_H
#define FL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exitcode.h" /* the exit codes every verb returns */

/* A --seed value: an unsigned decimal. Prints "faultline VERB: --seed: ..." and returns
 * -EINVAL on anything else (then exit FL_EXIT_USAGE). */
int fl_cli_parse_seed(const char *verb, const char *text, uint64_t *ret);

/* An experiment file that did not parse: "FILE:LINE:COL: MESSAGE" (or "FILE: MESSAGE"
 * when there is no position) on stderr — the one format every verb uses. */
struct fl_diag;
void fl_cli_print_parse_error(const char *path, int err, const struct fl_diag *diag);

/* ---- a verb's flags from one table --------------------------------------------------- */

/* One flag of a verb: --NAME (and -C when short_name), a switch or a flag with a value. */
struct fl_cli_flag {
	const char *name;
	int short_name;	   /* 0: none */
	const char *value; /* the value's name in messages ("FILE"); NULL: a switch */
	/* Take the value (NULL for a switch) into opts. < 0: a usage error, already printed
	 * as "faultline VERB: ...". */
	int (*set)(void *opts, const struct fl_cli_flag *flag, const char *value);
	size_t offset;	  /* where fl_cli_set_string / fl_cli_set_switch store in opts */
	const void *data; /* anything else a verb's set function needs (borrowed, static) */
};

/* A verb: its name in messages ("run"), its usage, its flags. */
struct fl_cli_verb {
	const char *name;
	void (*usage)(FILE *out);
	const struct fl_cli_flag *flags;
	size_t n_flags;
	bool in_order; /* flags end at the first operand (getopt's "+"); else they may follow */
};

/* set functions for the common cases: a const char * (the argv string, borrowed) or a
 * bool set to true, at flag->offset in opts. */
int fl_cli_set_string(void *opts, const struct fl_cli_flag *flag, const char *value);
int fl_cli_set_switch(void *opts, const struct fl_cli_flag *flag, const char *value);

/*
 * Parse argv's flags by verb's table (and -h/--help). Returns the index of the first
 * operand, or -1 when the command ends here with *ret_code: FL_EXIT_OK after --help (the
 * usage on stdout), FL_EXIT_USAGE after a usage error — one format for every verb:
 *   faultline report: unknown option "--pdf"
 *   faultline report: --junit needs a FILE
 * then the usage, on stderr.
 */
int fl_cli_parse_flags(const struct fl_cli_verb *verb, int argc, char **argv, void *opts,
		       int *ret_code);

/* A usage error found after the flags ("no experiment file given"): printed as above.
 * Returns FL_EXIT_USAGE. */
int fl_cli_usage_error(const struct fl_cli_verb *verb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int fl_cmd_netem(int argc, char **argv);
int fl_cmd_faults(int argc, char **argv);
int fl_cmd_report(int argc, char **argv);
int fl_cmd_validate(int argc, char **argv);
int fl_cmd_plan(int argc, char **argv);
int fl_cmd_run(int argc, char **argv);
int fl_cmd_schedule(int argc, char **argv);
int fl_cmd_lab(int argc, char **argv);

#endif
