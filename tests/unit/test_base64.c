/* SPDX-License-Identifier: MIT */
/*
 * fl_base64_decode (common/src/base64.c): RFC 4648's test vectors, every byte value against
 * coreutils' base64 (the text below is what `base64 -w 76` printed for bytes 0..255), line
 * breaks skipped, and each kind of malformed text and a short buffer refused.
 */
#include <errno.h>
#include <string.h>

#include "fl/base64.h"
#include "fltest.h"

static ssize_t decode(const char *text, void *buf, size_t size)
{
	return fl_base64_decode(text, strlen(text), buf, size);
}

FLTEST(rfc4648_vectors)
{
	static const char *const vec[][2] = {
		{ "", "" },
		{ "Zg==", "f" },
		{ "Zm8=", "fo" },
		{ "Zm9v", "foo" },
		{ "Zm9vYg==", "foob" },
		{ "Zm9vYmE=", "fooba" },
		{ "Zm9vYmFy", "foobar" },
	};
	char buf[16];

	for (size_t i = 0; i < FL_ARRAY_SIZE(vec); i++) {
		ssize_t n = decode(vec[i][0], buf, sizeof(buf));

		FL_ASSERT_MSG(n >= 0, "%s: %zd", vec[i][0], n);
		FL_ASSERT_MEMEQ(buf, (size_t)n, vec[i][1], strlen(vec[i][1]));
	}
}

FLTEST(every_byte_value_as_coreutils_wrote_it)
{
	static const char text[] =
		"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n"
		"OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx\r\n"
		"cnN0dXZ3eHl6e3x9fn+AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmq\n"
		"q6ytrq+wsbKztLW2t7i5uru8vb6/wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj\n"
		"5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\n";
	unsigned char want[256], buf[FL_BASE64_DECODED_MAX(sizeof(text))];
	ssize_t n;

	for (unsigned i = 0; i < 256; i++)
		want[i] = (unsigned char)i;
	n = decode(text, buf, sizeof(buf));
	FL_ASSERT_EQ(n, 256);
	FL_ASSERT_MEMEQ(buf, 256, want, 256);
	/* exactly the room needed is enough; one byte less is not */
	FL_ASSERT_EQ(decode(text, buf, 256), 256);
	FL_ASSERT_EQ(decode(text, buf, 255), -ENOSPC);
	FL_ASSERT_EQ(decode("Zm8=", buf, 1), -ENOSPC);
}

FLTEST(malformed_text_is_refused)
{
	static const char *const bad[] = {
		"Zm9",	     /* not a whole group */
		"Zg=",	     /* padding cut short */
		"Z===",	     /* one character is no byte */
		"====",	     /* padding alone */
		"Zm=v",	     /* a character after padding in the group */
		"Zg==Zm9v",  /* a group after the padded one */
		"Zg==\n=",   /* padding after the end */
		"Zm9v Yg==", /* spaces are not skipped (only line breaks) */
		"Zm9-",	     /* the URL alphabet is another encoding */
		"Zm9_",	     "Zm9\t", "Zm9\x80",
	};
	char buf[16];

	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++)
		FL_ASSERT_MSG(decode(bad[i], buf, sizeof(buf)) == -EINVAL, "\"%s\" was accepted",
			      bad[i]);
	/* a NUL inside the text is a character like any other */
	FL_ASSERT_EQ(fl_base64_decode("Zm9v\0Zg==", 9, buf, sizeof(buf)), -EINVAL);
}
