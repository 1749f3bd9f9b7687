/* SPDX-License-Identifier: MIT */
/* Flag parsing shared by several verbs (cli.h). */
#include <errno.h>
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
