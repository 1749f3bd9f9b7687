/* SPDX-License-Identifier: MIT */
/*
 * Strict base64 decoding (fl/base64.h): 4-character groups of the standard alphabet, '='
 * only as the padding of the last group, line breaks skipped.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fl/base64.h"

/* The value of one base64 character, -1 for any other. */
static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Write the bytes of one complete group (quad[i] < 0: padding); -EINVAL or -ENOSPC. */
static ssize_t put_group(const int quad[4], uint8_t *out, size_t room)
{
	uint32_t v;
	size_t n;

	if (quad[0] < 0 || quad[1] < 0 || (quad[2] < 0 && quad[3] >= 0))
		return -EINVAL;
	n = quad[2] < 0 ? 1 : quad[3] < 0 ? 2 : 3;
	if (n > room)
		return -ENOSPC;
	v = (uint32_t)quad[0] << 18 | (uint32_t)quad[1] << 12;
	v |= (uint32_t)(quad[2] < 0 ? 0 : quad[2]) << 6 | (uint32_t)(quad[3] < 0 ? 0 : quad[3]);
	out[0] = (uint8_t)(v >> 16);
	if (n > 1)
		out[1] = (uint8_t)(v >> 8);
	if (n > 2)
		out[2] = (uint8_t)v;
	return (ssize_t)n;
}

ssize_t fl_base64_decode(const char *text, size_t len, void *buf, size_t size)
{
	uint8_t *out = buf;
	size_t o = 0;
	int quad[4];
	unsigned q = 0;
	bool padded = false; /* a group with '=' was written: nothing may follow */

	for (size_t i = 0; i < len; i++) {
		ssize_t n;

		if (text[i] == '\r' || text[i] == '\n')
			continue;
		if (padded)
			return -EINVAL;
		if (text[i] == '=')
			quad[q] = -1;
		else if ((quad[q] = value(text[i])) < 0 || (q > 0 && quad[q - 1] < 0))
			return -EINVAL;
		if (++q < 4)
			continue;
		padded = quad[3] < 0;
		if ((n = put_group(quad, out + o, size - o)) < 0)
			return n;
		o += (size_t)n;
		q = 0;
	}
	return q == 0 ? (ssize_t)o : -EINVAL;
}
