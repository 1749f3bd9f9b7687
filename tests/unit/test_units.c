/* SPDX-License-Identifier: MIT */
/* The strict unit parsers: tc's spellings in, garbage out. */
#include <errno.h>

#include "fl/units.h"
#include "fltest.h"

FLTEST(durations)
{
	uint64_t ns;

	FL_ASSERT_OK(fl_parse_duration_ns("100ms", &ns));
	FL_ASSERT_EQ(ns, 100000000);
	FL_ASSERT_OK(fl_parse_duration_ns("1.5s", &ns));
	FL_ASSERT_EQ(ns, 1500000000);
	FL_ASSERT_OK(fl_parse_duration_ns("1.1ms", &ns));
	FL_ASSERT_EQ(ns, 1100000);			/* rounded, not truncated to 1099999 */
	FL_ASSERT_OK(fl_parse_duration_ns("250", &ns)); /* bare: microseconds, as tc */
	FL_ASSERT_EQ(ns, 250000);
	FL_ASSERT_OK(fl_parse_duration_ns("2m", &ns));
	FL_ASSERT_EQ(ns, 120000000000ull);
	FL_ASSERT_OK(fl_parse_duration_ns("10NSEC", &ns));
	FL_ASSERT_EQ(ns, 10);
	FL_ASSERT_EQ(fl_parse_duration_strict_ns("250", &ns), -EINVAL);
	FL_ASSERT_OK(fl_parse_duration_strict_ns("500ms", &ns));
	static const char *const bad[] = { "",	   "ms",     "-1ms", "+1ms", " 1ms",   "1 ms",
					   "1msx", "0x10ms", "nan",  "inf",  "1e400s", "1..2ms" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		FL_ASSERT_MSG(fl_parse_duration_ns(bad[i], &ns) < 0, "\"%s\" accepted", bad[i]);
	FL_ASSERT_EQ(fl_parse_duration_ns("99999999999h", &ns), -ERANGE);
}

FLTEST(percentages)
{
	double p;

	FL_ASSERT_OK(fl_parse_percent("25%", &p));
	FL_ASSERT(p == 25);
	FL_ASSERT_OK(fl_parse_percent("0.1", &p));
	FL_ASSERT(p == 0.1);
	FL_ASSERT_OK(fl_parse_percent("100%", &p));
	FL_ASSERT_EQ(fl_parse_percent("100.01%", &p), -ERANGE);
	FL_ASSERT_EQ(fl_parse_percent("5%%", &p), -EINVAL);
	FL_ASSERT_EQ(fl_parse_percent("-5%", &p), -EINVAL);
	FL_ASSERT_EQ(fl_parse_percent("five", &p), -EINVAL);
}

FLTEST(rates_in_tc_units)
{
	uint64_t r;

	FL_ASSERT_OK(fl_parse_rate_Bps("1mbit", &r));
	FL_ASSERT_EQ(r, 125000);
	FL_ASSERT_OK(fl_parse_rate_Bps("100kbit", &r));
	FL_ASSERT_EQ(r, 12500);
	FL_ASSERT_OK(fl_parse_rate_Bps("1kbps", &r)); /* tc: kilobytes per second */
	FL_ASSERT_EQ(r, 1000);
	FL_ASSERT_OK(fl_parse_rate_Bps("1mibit", &r));
	FL_ASSERT_EQ(r, 131072);
	FL_ASSERT_OK(fl_parse_rate_Bps("100gbit", &r));
	FL_ASSERT_EQ(r, 12500000000ull);
	FL_ASSERT_OK(fl_parse_rate_Bps("8000", &r)); /* bare: bits per second */
	FL_ASSERT_EQ(r, 1000);
	FL_ASSERT_EQ(fl_parse_rate_Bps("10mb", &r), -EINVAL);
	FL_ASSERT_EQ(fl_parse_rate_Bps("fast", &r), -EINVAL);
}

FLTEST(sizes_in_tc_units)
{
	uint64_t s;

	FL_ASSERT_OK(fl_parse_size("32kbit", &s));
	FL_ASSERT_EQ(s, 4096);
	FL_ASSERT_OK(fl_parse_size("64kb", &s));
	FL_ASSERT_EQ(s, 65536);
	FL_ASSERT_OK(fl_parse_size("1mb", &s));
	FL_ASSERT_EQ(s, 1048576);
	FL_ASSERT_OK(fl_parse_size("1500", &s));
	FL_ASSERT_EQ(s, 1500);
	FL_ASSERT_EQ(fl_parse_size("1qb", &s), -EINVAL);
}

FLTEST(formatting)
{
	char b[32];

	fl_format_duration(100000000, b, sizeof(b));
	FL_ASSERT_STREQ(b, "100ms");
	fl_format_duration(1500000000, b, sizeof(b));
	FL_ASSERT_STREQ(b, "1500ms");
	fl_format_duration(10000, b, sizeof(b));
	FL_ASSERT_STREQ(b, "10us");
	fl_format_duration(65, b, sizeof(b));
	FL_ASSERT_STREQ(b, "65ns");
	fl_format_rate(125000, b, sizeof(b));
	FL_ASSERT_STREQ(b, "1mbit");
}
