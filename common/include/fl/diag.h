/* SPDX-License-Identifier: MIT */
/*
 * struct fl_diag: where a parser or a library call explains a failure. The message names
 * the field, the value and what was expected ("loss: 120% is above 100%"). Callers own
 * the struct (usually on the stack); nothing in it is heap-allocated.
 */
#ifndef FL_DIAG_H
#define FL_DIAG_H

#include "fl/macro.h"

#define FL_DIAG_MSG_MAX 512

struct fl_diag {
	const char *file; /* borrowed; NULL when the input is not a file */
	int line;	  /* 1-based; 0 when unknown */
	int col;	  /* 1-based; 0 when unknown */
	char msg[FL_DIAG_MSG_MAX];
};

/*
 * Fill diag (which may be NULL) with a formatted message and return err, so that callers
 * can write `return fl_diag_set(diag, -EINVAL, "loss: %g%% is above 100%%", v);`.
 */
int fl_diag_set(struct fl_diag *diag, int err, const char *fmt, ...) _printf_(3, 4);

/* Prefix the existing message with "<fmt>: " (context added by an outer layer). */
int fl_diag_prefix(struct fl_diag *diag, int err, const char *fmt, ...) _printf_(3, 4);

void fl_diag_clear(struct fl_diag *diag);

#endif
