/* SPDX-License-Identifier: MIT */
/*
 * fl_quote (fl/quote.h), the one way the agent's API, the experiment parser and the
 * kubeconfig loader quote a user's value in a message: escapes, the cut at max bytes, raw
 * bytes as \xNN, and never a byte past the buffer, whatever the input.
 */
#include <stdlib.h>
#include <string.h>

#include "fl/quote.h"
#include "fltest.h"

FLTEST(values_are_quoted_and_escaped)
{
	char buf[128];

	FL_ASSERT_STREQ(fl_quote("eth0", 4, 80, false, buf, sizeof(buf)), "\"eth0\"");
	FL_ASSERT_STREQ(fl_quote("a\"b\\c", 5, 80, false, buf, sizeof(buf)), "\"a\\\"b\\\\c\"");
	FL_ASSERT_STREQ(fl_quote("x\ny\x7f", 4, 80, false, buf, sizeof(buf)), "\"x\\x0ay\\x7f\"");
	/* NUL inside the value counts as a byte */
	FL_ASSERT_STREQ(fl_quote("a\0b", 3, 80, false, buf, sizeof(buf)), "\"a\\x00b\"");
	/* bytes past ASCII: kept (UTF-8 text), or \xNN for raw URL bytes */
	FL_ASSERT_STREQ(fl_quote("\xc3\xa9", 2, 80, false, buf, sizeof(buf)), "\"\xc3\xa9\"");
	FL_ASSERT_STREQ(fl_quote("\xc3\xa9", 2, 80, true, buf, sizeof(buf)), "\"\\xc3\\xa9\"");
}

FLTEST(long_values_are_cut_with_a_mark)
{
	char buf[128], in[100];

	memset(in, 'v', sizeof(in));
	fl_quote(in, sizeof(in), 10, false, buf, sizeof(buf));
	FL_ASSERT_STREQ(buf, "\"vvvvvvvvvv...\"");
}

FLTEST(the_buffer_is_never_overrun)
{
	char in[64], buf[40];

	FL_ASSERT_STREQ(fl_quote("x", 1, 80, false, buf, 7), ""); /* too small to say anything */
	srand(11);
	for (int it = 0; it < 100000; it++) {
		size_t len = (size_t)(rand() % (int)sizeof(in)), size = 8 + (size_t)(rand() % 32);

		for (size_t i = 0; i < len; i++)
			in[i] = (char)(rand() % 256);
		memset(buf, 0x5a, sizeof(buf));
		fl_quote(in, len, (size_t)(rand() % 70), rand() % 2, buf, size);
		FL_ASSERT(strlen(buf) < size);
		for (size_t i = size; i < sizeof(buf); i++)
			FL_ASSERT_EQ((unsigned char)buf[i], 0x5a);
	}
}
