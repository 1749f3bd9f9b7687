/* SPDX-License-Identifier: MIT */
/* See xmlesc.h. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "xmlesc.h"

/*
 * Decode one UTF-8 sequence at s (strict: no overlongs, no surrogates, at most U+10FFFF).
 * Returns its length and the code point in *cp, or 0 when s does not start a valid
 * sequence (then one byte should be replaced and skipped).
 */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c;
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* XML 1.0 Char production, minus the characters handled as references by the caller. */
static bool xml_allowed(uint32_t cp)
{
	return cp == 0x9 || cp == 0xa || cp == 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
	       (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

static void xml_escape(FILE *out, const char *s, bool attr)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);

		if (n == 0 || !xml_allowed(cp)) {
			fputs("\xef\xbf\xbd", out); /* U+FFFD */
			p += n ? n : 1;
			continue;
		}
		switch (cp) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '\r':
			fputs("&#13;", out);
			break;
		case '"':
			fputs(attr ? "&quot;" : "\"", out);
			break;
		case '\'':
			fputs(attr ? "&#39;" : "'", out);
			break;
		case '\t':
			fputs(attr ? "&#9;" : "\t", out);
			break;
		case '\n':
			fputs(attr ? "&#10;" : "\n", out);
			break;
		default:
			fwrite(p, 1, n, out);
		}
		p += n;
	}
}

void fl_xml_text(FILE *out, const char *s)
{
	xml_escape(out, s, false);
}

void fl_xml_attr(FILE *out, const char *s)
{
	xml_escape(out, s, true);
}

void fl_text_clean(FILE *out, const char *s, int keep_newlines)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);

		if (n == 0) {
			fputc('?', out);
			p++;
			continue;
		}
		if (keep_newlines && (cp == '\n' || cp == '\t'))
			fputc((int)cp, out);
		else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			fputc('?', out);
		else
			fwrite(p, 1, n, out);
		p += n;
	}
}
