/* SPDX-License-Identifier: MIT */
/*
 * Command-line flags of the pipeline programs (loader, connector, verify), from one table
 * each: --help, unknown flags, missing values, stray arguments, required flags and every
 * value's check get the same strict handling and the same messages in all three.
 *
 *   static const struct fl_pipe_flag flags[] = {
 *       { .name = "bootstrap", .kind = FL_PIPE_FLAG_STR, .dest = &o->bootstrap, .required = true },
 *       { .name = "rate", .kind = FL_PIPE_FLAG_U64, .dest = &o->rate, .min = 1, .max = 100000 },
 *       { 0 },
 *   };
 *   int r = fl_pipe_parse_flags("loader", argc, argv, flags, usage);
 */
#ifndef FL_PIPE_FLAGS_H
#define FL_PIPE_FLAGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum fl_pipe_flag_kind {
	FL_PIPE_FLAG_STR,      /* const char **: non-empty, < FL_PIPE_STR_MAX bytes */
	FL_PIPE_FLAG_U64,      /* uint64_t *: decimal in [min, max] */
	FL_PIPE_FLAG_DURATION, /* uint64_t * (ns): "10s", "500ms" */
	FL_PIPE_FLAG_CHOICE,   /* const char **: one of choices ("all|1") */
	FL_PIPE_FLAG_BOOL,     /* bool *: takes no value, sets true */
};

struct fl_pipe_flag {
	const char *name; /* without the dashes; NULL ends the table */
	enum fl_pipe_flag_kind kind;
	void *dest; /* keeps its default unless the flag is given */
	uint64_t min, max;
	const char *choices;
	bool required;
	bool *seen; /* optional: set when the flag is given */
};

/*
 * Returns -1 to go on, FL_PIPE_EXIT_OK after printing usage for --help, or
 * FL_PIPE_EXIT_USAGE after "program: message (see --help)" on stderr.
 */
int fl_pipe_parse_flags(const char *program, int argc, char **argv,
			const struct fl_pipe_flag *flags, void (*usage)(FILE *out));

#endif
