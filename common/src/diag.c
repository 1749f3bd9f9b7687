/* SPDX-License-Identifier: MIT */
/*
 * struct fl_diag (fl/diag.h): setting, prefixing and clearing a failure's explanation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fl/diag.h"

int fl_diag_set(struct fl_diag *diag, int err, const char *fmt, ...)
{
	va_list ap;

	if (!diag)
		return err;
	va_start(ap, fmt);
	(void)vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

int fl_diag_prefix(struct fl_diag *diag, int err, const char *fmt, ...)
{
	char prefix[FL_DIAG_MSG_MAX / 2], old[FL_DIAG_MSG_MAX];
	va_list ap;

	if (!diag)
		return err;
	va_start(ap, fmt);
	(void)vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, diag->msg, sizeof(old));
	/* Truncating the kernel's text at the end is better than losing our context. */
	if (snprintf(diag->msg, sizeof(diag->msg), "%s: %s", prefix, old) < 0)
		diag->msg[0] = '\0';
	return err;
}

void fl_diag_clear(struct fl_diag *diag)
{
	if (diag)
		memset(diag, 0, sizeof(*diag));
}
