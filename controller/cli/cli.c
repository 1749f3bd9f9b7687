/* SPDX-License-Identifier: MIT */
/* Flag parsing shared by the verbs (cli.h): --seed, a parse error's format, and the
 * table-driven flag parser that gives every verb the same usage errors. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/diag.h"

int fl_cli_parse_seed(const char *verb, const char *text, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || text[0] == '+' || text[0] == ' ') {
		fprintf(stderr, "faultline %s: --seed: \"%s\" is not an unsigned integer\n", verb,
			text);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

void fl_cli_print_parse_error(const char *path, int err, const struct fl_diag *diag)
{
	const char *file = diag->file ? diag->file : path;

	if (diag->line > 0)
		fprintf(stderr, "%s:%d:%d: %s\n", file, diag->line, diag->col, diag->msg);
	else
		fprintf(stderr, "%s: %s\n", file, diag->msg[0] ? diag->msg : strerror(-err));
}

int fl_cli_set_string(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	*(const char **)((char *)opts + flag->offset) = value;
	return 0;
}

int fl_cli_set_switch(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	(void)value;
	*(bool *)((char *)opts + flag->offset) = true;
	return 0;
}

int fl_cli_usage_error(const struct fl_cli_verb *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "faultline %s: ", verb->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n\n", stderr);
	verb->usage(stderr);
	return FL_EXIT_USAGE;
}

/* getopt's value for flags[i] without a short name: above every character. */
#define FLAG_VAL  256
#define FLAGS_MAX 40

/* getopt_long's tables from the verb's: long options and the short-option string. */
static void build_getopt(const struct fl_cli_verb *verb, struct option *opts, char *shorts)
{
	size_t i, o = 0;

	if (verb->in_order)
		shorts[o++] = '+';
	shorts[o++] = ':'; /* a missing value is ':', not '?' */
	shorts[o++] = 'h';
	for (i = 0; i < verb->n_flags; i++) {
		const struct fl_cli_flag *f = &verb->flags[i];

		opts[i] =
			(struct option){ f->name, f->value ? required_argument : no_argument, NULL,
					 f->short_name ? f->short_name : FLAG_VAL + (int)i };
		if (f->short_name) {
			shorts[o++] = (char)f->short_name;
			if (f->value)
				shorts[o++] = ':';
		}
	}
	opts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
	shorts[o] = '\0';
}

static const struct fl_cli_flag *flag_of(const struct fl_cli_verb *verb, int c)
{
	for (size_t i = 0; i < verb->n_flags; i++)
		if (c ==
		    (verb->flags[i].short_name ? verb->flags[i].short_name : FLAG_VAL + (int)i))
			return &verb->flags[i];
	return NULL;
}

/* getopt's '?' or ':' as our message. */
static int bad_flag(const struct fl_cli_verb *verb, int c, char **argv)
{
	const struct fl_cli_flag *f = flag_of(verb, optopt);

	if (c == ':' && f)
		return fl_cli_usage_error(verb, "--%s needs a %s", f->name, f->value);
	if (optopt > 0 && optopt < FLAG_VAL)
		return fl_cli_usage_error(verb, "unknown option \"-%c\"", optopt);
	return fl_cli_usage_error(verb, "unknown option \"%s\"", argv[optind - 1]);
}

int fl_cli_parse_flags(const struct fl_cli_verb *verb, int argc, char **argv, void *opts,
		       int *ret_code)
{
	struct option gopts[FLAGS_MAX + 2];
	char shorts[2 * FLAGS_MAX + 4];
	const struct fl_cli_flag *f;
	int c;

	if (verb->n_flags > FLAGS_MAX)
		abort(); /* a table bigger than this file's arrays: a programming error */
	build_getopt(verb, gopts, shorts);
	*ret_code = FL_EXIT_USAGE;
	/* 0, not 1: glibc then reads the optstring's "+" again (it keeps the ordering of its
	 * first call otherwise), and forgets a half-read "-qx" */
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shorts, gopts, NULL)) != -1) {
		if (c == 'h') {
			verb->usage(stdout);
			*ret_code = FL_EXIT_OK;
			return -1;
		}
		if (c == '?' || c == ':' || !(f = flag_of(verb, c))) {
			*ret_code = bad_flag(verb, c, argv);
			return -1;
		}
		if (f->set(opts, f, f->value ? optarg : NULL) < 0)
			return -1;
	}
	return optind;
}
