/* SPDX-License-Identifier: MIT */
/* The pipeline programs' flag parser (flags.h), on getopt_long. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "fl/units.h"
#include "flags.h"
#include "pipeline.h"

#define FLAGS_MAX 32
#define HELP	  1 /* getopt val of --help; flag i is 256 + i */

static int usage_error(const char *program, const char *fmt, ...) _printf_(2, 3);
static int usage_error(const char *program, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see --help)\n");
	return FL_PIPE_EXIT_USAGE;
}

/* One given flag's value into its destination; diag names the flag and the value. */
static int take(const struct fl_pipe_flag *f, const char *value, struct fl_diag *diag)
{
	char flag[64];
	int r = 0;

	(void)snprintf(flag, sizeof(flag), "--%s", f->name);
	switch (f->kind) {
	case FL_PIPE_FLAG_STR:
		if ((r = fl_pipe_check_str(flag, value, diag)) == 0)
			*(const char **)f->dest = value;
		break;
	case FL_PIPE_FLAG_U64:
		r = fl_pipe_parse_u64(flag, value, f->min, f->max, f->dest, diag);
		break;
	case FL_PIPE_FLAG_DURATION:
		if (fl_parse_duration_strict_ns(value, f->dest) < 0)
			r = fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not a duration (e.g. 10s)",
					flag, value);
		break;
	case FL_PIPE_FLAG_CHOICE: {
		size_t len = strlen(value);
		const char *c = f->choices;
		bool found = false;

		while (!found && c && *c) {
			size_t n = strcspn(c, "|");
			found = n == len && len > 0 && memcmp(c, value, n) == 0;
			c += n + (c[n] == '|');
		}
		if (found)
			*(const char **)f->dest = value;
		else
			r = fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not one of %s", flag, value,
					f->choices);
		break;
	}
	case FL_PIPE_FLAG_BOOL:
		*(bool *)f->dest = true;
		break;
	}
	if (r == 0 && f->seen)
		*f->seen = true;
	return r;
}

int fl_pipe_parse_flags(const char *program, int argc, char **argv,
			const struct fl_pipe_flag *flags, void (*usage)(FILE *out))
{
	struct option longopts[FLAGS_MAX + 2];
	bool given[FLAGS_MAX] = { false };
	struct fl_diag diag = { 0 };
	unsigned n = 0;
	int c;

	for (; flags[n].name && n < FLAGS_MAX; n++)
		longopts[n] =
			(struct option){ flags[n].name,
					 flags[n].kind == FL_PIPE_FLAG_BOOL ? no_argument
									    : required_argument,
					 NULL, 256 + (int)n };
	longopts[n] = (struct option){ "help", no_argument, NULL, HELP };
	longopts[n + 1] = (struct option){ 0 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		if (c == HELP || c == 'h') {
			usage(stdout);
			return FL_PIPE_EXIT_OK;
		}
		if (c == ':')
			return usage_error(program, "%s needs a value", argv[optind - 1]);
		if (c < 256 || c >= 256 + (int)n)
			return usage_error(program, "unknown flag %s", argv[optind - 1]);
		if (take(&flags[c - 256], optarg, &diag) < 0)
			return usage_error(program, "%s", diag.msg);
		given[c - 256] = true;
	}
	if (optind < argc)
		return usage_error(program, "unexpected argument \"%s\"", argv[optind]);
	for (unsigned i = 0; i < n; i++)
		if (flags[i].required && !given[i])
			return usage_error(program, "--%s is required", flags[i].name);
	return -1;
}
