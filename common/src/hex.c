/* SPDX-License-Identifier: MIT */
/*
 * Hex text <-> bytes (fl/hex.h) in the format of the golden files and
 * `faultline netem encode`.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>

#include "fl/hex.h"

void fl_hex_write(FILE *out, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x%c", p[i], (i % 16 == 15 || i + 1 == len) ? '\n' : ' ');
}

int fl_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

ssize_t fl_hex_parse(const char *text, void *buf, size_t size)
{
	uint8_t *out = buf;
	size_t n = 0;

	while (*text) {
		int hi, lo;

		if (isspace((unsigned char)*text)) {
			text++;
			continue;
		}
		if (*text == '#') {
			while (*text && *text != '\n')
				text++;
			continue;
		}
		hi = fl_hex_digit(text[0]);
		lo = hi < 0 ? -1 : fl_hex_digit(text[1]);
		if (lo < 0)
			return -EINVAL;
		if (n == size)
			return -ENOSPC;
		out[n++] = (uint8_t)(hi << 4 | lo);
		text += 2;
	}
	return (ssize_t)n;
}
