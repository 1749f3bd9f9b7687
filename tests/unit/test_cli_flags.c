/* SPDX-License-Identifier: MIT */
/*
 * The verbs' flag parser (cli.h fl_cli_parse_flags): values and switches stored where the
 * table says, operands after or between flags, --help, and the one format of a usage
 * error — unknown long and short options, a missing value, a set function's refusal.
 * stderr and stdout go to files the test reads back.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fltest.h"

struct opts {
	const char *file;
	bool quiet;
	int level;
};

static int set_level(void *o, const struct fl_cli_flag *flag, const char *value)
{
	(void)flag;
	if (strcmp(value, "high") != 0) {
		fprintf(stderr, "faultline t: --level: \"%s\" is not high\n", value);
		return -1;
	}
	((struct opts *)o)->level = 3;
	return 0;
}

static void usage(FILE *out)
{
	fputs("Usage: faultline t [--file F] [-q] [--level L] ARG...\n", out);
}

static const struct fl_cli_flag flags[] = {
	{ "file", 0, "FILE", fl_cli_set_string, offsetof(struct opts, file), NULL },
	{ "quiet", 'q', NULL, fl_cli_set_switch, offsetof(struct opts, quiet), NULL },
	{ "level", 0, "LEVEL", set_level, 0, NULL },
};

static const struct fl_cli_verb permuting = { "t", usage, flags, 3, false };
static const struct fl_cli_verb in_order = { "t", usage, flags, 3, true };

/* What a parse printed: stdout and stderr, captured. */
static char out[4096], err[4096];

static int parse(const struct fl_cli_verb *verb, struct opts *o, int *code, char **argv)
{
	int argc = 0, first;
	FILE *fo = tmpfile(), *fe = tmpfile();
	int so = dup(1), se = dup(2);
	size_t n;

	while (argv[argc])
		argc++;
	fflush(stdout), fflush(stderr);
	dup2(fileno(fo), 1), dup2(fileno(fe), 2);
	first = fl_cli_parse_flags(verb, argc, argv, o, code);
	fflush(stdout), fflush(stderr);
	dup2(so, 1), dup2(se, 2);
	close(so), close(se);
	rewind(fo), rewind(fe);
	n = fread(out, 1, sizeof(out) - 1, fo);
	out[n] = '\0';
	n = fread(err, 1, sizeof(err) - 1, fe);
	err[n] = '\0';
	fclose(fo), fclose(fe);
	return first;
}

#define ARGV(...) ((char *[]){ "t", __VA_ARGS__, NULL })

FLTEST(values_and_switches_go_where_the_table_says)
{
	struct opts o = { 0 };
	int code = -1;

	FL_ASSERT_EQ(parse(&permuting, &o, &code, ARGV("--file", "a.yaml", "-q", "x")), 4);
	FL_ASSERT_STREQ(o.file, "a.yaml");
	FL_ASSERT(o.quiet);
	FL_ASSERT_EQ(o.level, 0);
	FL_ASSERT_STREQ(err, "");
}

FLTEST(operands_may_come_between_flags_unless_in_order)
{
	struct opts o = { 0 }, p = { 0 };
	char **a = ARGV("x", "--quiet", "y");
	char **b = ARGV("x", "--quiet", "y");
	int code;

	/* getopt moves the operands behind the flags */
	FL_ASSERT_EQ(parse(&permuting, &o, &code, a), 2);
	FL_ASSERT(o.quiet);
	FL_ASSERT_STREQ(a[2], "x");
	FL_ASSERT_STREQ(a[3], "y");
	/* in order: flags end at the first operand; "--quiet" stays an operand */
	FL_ASSERT_EQ(parse(&in_order, &p, &code, b), 1);
	FL_ASSERT(!p.quiet);
}

FLTEST(help_prints_the_usage_on_stdout_and_ends_with_0)
{
	struct opts o = { 0 };
	int code = -1;

	FL_ASSERT_EQ(parse(&permuting, &o, &code, ARGV("x", "--help")), -1);
	FL_ASSERT_EQ(code, FL_EXIT_OK);
	FL_ASSERT_CONTAINS(out, "Usage: faultline t");
	FL_ASSERT_STREQ(err, "");
	FL_ASSERT_EQ(parse(&permuting, &o, &code, ARGV("-h")), -1);
	FL_ASSERT_EQ(code, FL_EXIT_OK);
}

FLTEST(usage_errors_name_the_flag_then_show_the_usage)
{
	const struct {
		char **argv;
		const char *said;
	} cases[] = {
		{ ARGV("--frobnicate", "x"), "faultline t: unknown option \"--frobnicate\"\n" },
		{ ARGV("-z"), "faultline t: unknown option \"-z\"\n" },
		{ ARGV("x", "--file"), "faultline t: --file needs a FILE\n" },
		{ ARGV("--level", "low"), "faultline t: --level: \"low\" is not high\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct opts o = { 0 };
		int code = -1;

		FL_ASSERT_EQ(parse(&permuting, &o, &code, cases[i].argv), -1);
		FL_ASSERT_EQ(code, FL_EXIT_USAGE);
		FL_ASSERT_MSG(strncmp(err, cases[i].said, strlen(cases[i].said)) == 0,
			      "case %zu: stderr \"%s\", expected it to begin \"%s\"", i, err,
			      cases[i].said);
		FL_ASSERT_STREQ(out, "");
	}
	/* getopt's own messages are off; the usage follows ours (not after a set's refusal) */
	struct opts o = { 0 };
	int code;
	(void)parse(&permuting, &o, &code, ARGV("--frobnicate"));
	FL_ASSERT_CONTAINS(err, "\n\nUsage: faultline t");
	FL_ASSERT(strstr(err, "unrecognized") == NULL);
}

FLTEST(a_usage_error_after_the_flags_has_the_same_form)
{
	int se = dup(2), code;
	FILE *fe = tmpfile();
	size_t n;

	fflush(stderr);
	dup2(fileno(fe), 2);
	code = fl_cli_usage_error(&permuting, "no %s given", "ARG");
	fflush(stderr);
	dup2(se, 2);
	close(se);
	rewind(fe);
	n = fread(err, 1, sizeof(err) - 1, fe);
	err[n] = '\0';
	fclose(fe);
	FL_ASSERT_EQ(code, FL_EXIT_USAGE);
	FL_ASSERT_STREQ(err, "faultline t: no ARG given\n\nUsage: faultline t [--file F] [-q] "
			     "[--level L] ARG...\n");
}
