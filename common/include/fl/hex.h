/* SPDX-License-Identifier: MIT */
/*
 * Hex text <-> bytes, in the format of our golden files and of `faultline netem encode`:
 * lowercase, two digits per byte, 16 bytes per line, single spaces.
 */
#ifndef FL_HEX_H
#define FL_HEX_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "fl/macro.h"

void fl_hex_write(FILE *out, const void *buf, size_t len);

/* The value of one hex digit (either case), -1 for any other character. */
int fl_hex_digit(char c);

/*
 * Parse hex text (whitespace anywhere between bytes; '#' starts a comment to the end of
 * the line) into buf. Returns the number of bytes, -EINVAL on a bad digit, -ENOSPC.
 */
ssize_t fl_hex_parse(const char *text, void *buf, size_t size) _wur_;

#endif
