/* SPDX-License-Identifier: MIT */
/* Quoting users' bytes for messages (fl/quote.h). */
#include <stdio.h>
#include <string.h>

#include "fl/quote.h"

const char *fl_quote(const char *s, size_t len, size_t max, bool high_as_hex, char *buf,
		     size_t size)
{
	size_t o = 0;

	if (size < 8)
		return "";
	buf[o++] = '"';
	/* Room for the widest output of one byte (\xNN), the cut mark and the closing quote. */
	for (size_t i = 0; i < len && o + 8 < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i >= max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20 || c == 0x7f || (high_as_hex && c >= 0x80)) {
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
		} else {
			buf[o++] = (char)c;
		}
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}
