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

/*
 * Write s through put, one valid UTF-8 sequence at a time (its code point and bytes); a
 * byte that starts no valid sequence is written as bad. The escapers below differ only in
 * what they put.
 */
static void each_char(FILE *out, const char *s, const char *bad,
		      void (*put)(FILE *out, uint32_t cp, const unsigned char *p, size_t n,
				  bool how),
		      bool how)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!s)
		return;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_decode(p, &cp);

		if (n == 0) {
			fputs(bad, out);
			p++;
			continue;
		}
		put(out, cp, p, n, how);
		p += n;
	}
}

/* What stands for a character in XML text and in attributes; NULL: the character itself. */
static const char *xml_ref(uint32_t cp, bool attr)
{
	switch (cp) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '\r':
		return "&#13;";
	case '"':
		return attr ? "&quot;" : NULL;
	case '\'':
		return attr ? "&#39;" : NULL;
	case '\t':
		return attr ? "&#9;" : NULL;
	case '\n':
		return attr ? "&#10;" : NULL;
	default:
		return NULL;
	}
}

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static void put_xml(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool attr)
{
	const char *ref = xml_ref(cp, attr);

	if (!xml_allowed(cp))
		fputs(REPLACEMENT, out);
	else if (ref)
		fputs(ref, out);
	else
		fwrite(p, 1, n, out);
}

void fl_xml_text(FILE *out, const char *s)
{
	each_char(out, s, REPLACEMENT, put_xml, false);
}

void fl_xml_attr(FILE *out, const char *s)
{
	each_char(out, s, REPLACEMENT, put_xml, true);
}

static void put_clean(FILE *out, uint32_t cp, const unsigned char *p, size_t n, bool keep_newlines)
{
	if (keep_newlines && (cp == '\n' || cp == '\t'))
		fputc((int)cp, out);
	else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		fputc('?', out);
	else
		fwrite(p, 1, n, out);
}

void fl_text_clean(FILE *out, const char *s, int keep_newlines)
{
	each_char(out, s, "?", put_clean, keep_newlines != 0);
}
