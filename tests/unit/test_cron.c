/* SPDX-License-Identifier: MIT */
/* Cron expressions: exact next fire times (UTC and one DST zone) and exact error messages. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cron.h"
#include "fltest.h"

static void use_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* "2024-01-05 16:50" (or with ":SS") as UTC. */
static time_t utc(const char *s)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%d %H:%M", &tm);

	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (!end || *end)
		FL_FAIL("bad test time \"%s\"", s);
	return timegm(&tm);
}

static const char *fmt_utc(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M %a", &tm);
	return buf;
}

/* next(expr, after) formatted in UTC, compared with want. */
static void expect_next_at(int line, const char *expr, const char *after, const char *want)
{
	struct fl_diag diag = { 0 };
	struct fl_cron c;
	char got[64];
	time_t t;
	int r = fl_cron_parse(expr, &c, &diag);

	if (r < 0)
		FL_FAIL("line %d: parse \"%s\": %s", line, expr, diag.msg);
	r = fl_cron_next(&c, utc(after), &t);
	if (r < 0)
		FL_FAIL("line %d: next(\"%s\", %s): %s", line, expr, after, strerror(-r));
	fmt_utc(t, got, sizeof(got));
	if (strcmp(got, want) != 0)
		FL_FAIL("line %d: next(\"%s\", %s) = %s, expected %s", line, expr, after, got,
			want);
}
#define expect_next(...) expect_next_at(__LINE__, __VA_ARGS__)

static void expect_error_at(int line, const char *expr, int err, const char *want)
{
	struct fl_diag diag = { 0 };
	struct fl_cron c;
	int r = fl_cron_parse(expr, &c, &diag);

	if (r != err)
		FL_FAIL("line %d: parse \"%s\" returned %d, expected %d (%s)", line, expr, r, err,
			diag.msg);
	if (strcmp(diag.msg, want) != 0)
		FL_FAIL("line %d: parse \"%s\": \"%s\", expected \"%s\"", line, expr, diag.msg,
			want);
}
#define expect_error(...) expect_error_at(__LINE__, __VA_ARGS__)

FLTEST(next_basic_utc)
{
	use_tz("UTC");
	/* 2024-01-01 is a Monday. */
	expect_next("0 3 * * 1", "2024-01-05 16:50", "2024-01-08 03:00 Mon");
	expect_next("*/15 9-17 * * mon-fri", "2024-01-05 16:50", "2024-01-05 17:00 Fri");
	expect_next("*/15 9-17 * * mon-fri", "2024-01-05 17:45", "2024-01-08 09:00 Mon");
	expect_next("*/15 9-17 * * mon-fri", "2024-01-08 09:00", "2024-01-08 09:15 Mon");
	expect_next("* * * * *", "2024-01-05 16:50:30", "2024-01-05 16:51 Fri");
	expect_next("1-5/2 * * * *", "2024-01-05 16:50", "2024-01-05 17:01 Fri");
	expect_next("1-5/2 * * * *", "2024-01-05 17:01", "2024-01-05 17:03 Fri");
	expect_next("1-5/2 * * * *", "2024-01-05 17:05", "2024-01-05 18:01 Fri");
	expect_next("0,30 8 * * *", "2024-01-05 08:00", "2024-01-05 08:30 Fri");
	expect_next("59 23 31 12 *", "2024-12-31 23:59", "2025-12-31 23:59 Wed");
	expect_next("0 0 31 * *", "2024-01-31 00:00", "2024-03-31 00:00 Sun");
}

FLTEST(next_is_strictly_after)
{
	use_tz("UTC");
	expect_next("0 3 * * 1", "2024-01-08 02:59:59", "2024-01-08 03:00 Mon");
	expect_next("0 3 * * 1", "2024-01-08 03:00:00", "2024-01-15 03:00 Mon");
	expect_next("0 3 * * 1", "2024-01-08 03:00:01", "2024-01-15 03:00 Mon");
}

FLTEST(next_leap_day)
{
	use_tz("UTC");
	expect_next("0 0 29 2 *", "2024-03-01 00:00", "2028-02-29 00:00 Tue");
	/* 2100 is not a leap year: eight years to wait. */
	expect_next("0 0 29 2 *", "2096-03-01 00:00", "2104-02-29 00:00 Fri");
}

FLTEST(day_of_month_or_day_of_week)
{
	use_tz("UTC");
	/* Both restricted: the 13th OR a Friday (2024-01-05 is a Friday). */
	expect_next("0 12 13 * fri", "2024-01-01 00:00", "2024-01-05 12:00 Fri");
	expect_next("0 12 13 * fri", "2024-01-12 12:00", "2024-01-13 12:00 Sat");
	/* Only one restricted: that one alone. */
	expect_next("0 12 13 * *", "2024-01-01 00:00", "2024-01-13 12:00 Sat");
	expect_next("0 12 * * fri", "2024-01-06 00:00", "2024-01-12 12:00 Fri");
	/* A field starting with '*' counts as unrestricted (Vixie): days 1,11,21,31 AND Friday. */
	expect_next("0 12 */10 * fri", "2024-01-01 00:00", "2024-03-01 12:00 Fri");
	/* The impossible day is fine under OR: Mondays of February. */
	expect_next("0 0 30 feb mon", "2024-01-01 00:00", "2024-02-05 00:00 Mon");
}

FLTEST(sunday_is_0_and_7_and_names)
{
	use_tz("UTC");
	expect_next("0 0 * * 7", "2024-01-01 00:00", "2024-01-07 00:00 Sun");
	expect_next("0 0 * * 0", "2024-01-01 00:00", "2024-01-07 00:00 Sun");
	expect_next("0 0 * * sun", "2024-01-01 00:00", "2024-01-07 00:00 Sun");
	expect_next("0 0 * * 5-7", "2024-01-06 00:00", "2024-01-07 00:00 Sun");
	expect_next("0 0 * * SAT", "2024-01-01 00:00", "2024-01-06 00:00 Sat");
	expect_next("0 0 1 jan,JUL *", "2024-02-01 00:00", "2024-07-01 00:00 Mon");
	expect_next("0 0 1 mar-may/2 *", "2024-03-01 00:00", "2024-05-01 00:00 Wed");
}

FLTEST(macros)
{
	use_tz("UTC");
	expect_next("@hourly", "2024-01-05 16:50", "2024-01-05 17:00 Fri");
	expect_next("@daily", "2024-01-05 16:50", "2024-01-06 00:00 Sat");
	expect_next("@midnight", "2024-01-05 16:50", "2024-01-06 00:00 Sat");
	expect_next("@weekly", "2024-01-05 16:50", "2024-01-07 00:00 Sun");
	expect_next("@monthly", "2024-01-05 16:50", "2024-02-01 00:00 Thu");
	expect_next("@yearly", "2024-01-05 16:50", "2025-01-01 00:00 Wed");
	expect_next("@annually", "2024-01-05 16:50", "2025-01-01 00:00 Wed");
}

FLTEST(parsed_bits)
{
	struct fl_cron c;

	FL_ASSERT_OK(fl_cron_parse("1-5/2,10 */6 1,15 * 1-5", &c, NULL));
	FL_ASSERT_EQ(c.minutes, (1ull << 1) | (1ull << 3) | (1ull << 5) | (1ull << 10));
	FL_ASSERT_EQ(c.hours, (1u << 0) | (1u << 6) | (1u << 12) | (1u << 18));
	FL_ASSERT_EQ(c.mdays, (1u << 1) | (1u << 15));
	FL_ASSERT_EQ(c.months, 0x1ffe);
	FL_ASSERT_EQ(c.wdays, 0x3e);
	FL_ASSERT(!c.mday_any);
	FL_ASSERT(c.wday_any == false);
	FL_ASSERT_STREQ(c.text, "1-5/2,10 */6 1,15 * 1-5");
	FL_ASSERT_OK(fl_cron_parse("  0\t3  * *   1 ", &c, NULL));
	FL_ASSERT_EQ(c.minutes, 1);
	FL_ASSERT_EQ(c.wdays, 2);
	FL_ASSERT(c.mday_any);
	FL_ASSERT_OK(fl_cron_parse("*/59 * * * */6", &c, NULL));
	FL_ASSERT_EQ(c.minutes, 1ull | (1ull << 59));
	FL_ASSERT_EQ(c.wdays, 1u | (1u << 6));
}

FLTEST(errors_name_field_and_value)
{
	expect_error("61 * * * *", -EINVAL, "minute: \"61\" is out of range 0-59");
	expect_error("* 24 * * *", -EINVAL, "hour: \"24\" is out of range 0-23");
	expect_error("* * 0 * *", -EINVAL, "day-of-month: \"0\" is out of range 1-31");
	expect_error("* * 32 * *", -EINVAL, "day-of-month: \"32\" is out of range 1-31");
	expect_error("* * * 13 *", -EINVAL, "month: \"13\" is out of range 1-12");
	expect_error("* * * * 8", -EINVAL, "day-of-week: \"8\" is out of range 0-7");
	expect_error("0-99999999999 * * * *", -EINVAL,
		     "minute: \"99999999999\" is out of range 0-59");
	expect_error("* * * foo *", -EINVAL,
		     "month: \"foo\" is not a number or month name (jan-dec)");
	expect_error("* * * * funday", -EINVAL,
		     "day-of-week: \"funday\" is not a number or day name (sun-sat)");
	expect_error("* * * * mon-funday", -EINVAL,
		     "day-of-week: \"funday\" is not a number or day name (sun-sat)");
	expect_error("x * * * *", -EINVAL, "minute: \"x\" is not a number");
	expect_error("* jan * * *", -EINVAL, "hour: \"jan\" is not a number");
	expect_error("* 17-9 * * *", -EINVAL, "hour: \"17-9\": range start is after its end");
	expect_error("* * * * fri-mon", -EINVAL,
		     "day-of-week: \"fri-mon\": range start is after its end");
	expect_error("*/0 * * * *", -EINVAL, "minute: step \"0\" is out of range 1-59");
	expect_error("*/60 * * * *", -EINVAL, "minute: step \"60\" is out of range 1-59");
	expect_error("* * * * */7", -EINVAL, "day-of-week: step \"7\" is out of range 1-6");
	expect_error("*/x * * * *", -EINVAL, "minute: step \"x\" is not a number");
	expect_error("*/ * * * *", -EINVAL, "minute: step \"\" is not a number");
	expect_error("5/15 * * * *", -EINVAL,
		     "minute: \"5/15\": a step needs * or a range before it");
	expect_error("1,,2 * * * *", -EINVAL, "minute: \"1,,2\": empty list item");
	expect_error("1, * * * *", -EINVAL, "minute: \"1,\": empty list item");
	expect_error("1- * * * *", -EINVAL, "minute: empty value");
	expect_error("* * * *", -EINVAL,
		     "cron: \"* * * *\" has 4 fields, expected 5 (minute hour day-of-month "
		     "month day-of-week)");
	expect_error("", -EINVAL,
		     "cron: \"\" has 0 fields, expected 5 (minute hour day-of-month month "
		     "day-of-week)");
	expect_error("* * * * * *", -EINVAL,
		     "cron: \"* * * * * *\" has more than 5 fields (minute hour day-of-month "
		     "month day-of-week)");
	expect_error("@reboot", -EINVAL,
		     "cron: unknown macro \"@reboot\" (expected @hourly, @daily, @midnight, "
		     "@weekly, @monthly, @yearly or @annually)");
	expect_error(NULL, -EINVAL, "cron: missing expression");
}

FLTEST(never_firing_is_rejected)
{
	char longexpr[200];

	expect_error("0 0 30 2 *", -ERANGE,
		     "day-of-month: 30 never occurs in the months selected (feb), so \"0 0 30 2 "
		     "*\" would never fire");
	expect_error("0 0 31 apr,jun,sep,nov *", -ERANGE,
		     "day-of-month: 31 never occurs in the months selected (apr,jun,sep,nov), so "
		     "\"0 0 31 apr,jun,sep,nov *\" would never fire");
	memset(longexpr, '1', sizeof(longexpr) - 1);
	longexpr[sizeof(longexpr) - 1] = '\0';
	expect_error(longexpr, -EINVAL, "cron: expression longer than 128 bytes");
}

FLTEST(out_param_untouched_on_error)
{
	struct fl_cron c;

	memset(&c, 0xaa, sizeof(c));
	FL_ASSERT_EQ(fl_cron_parse("61 * * * *", &c, NULL), -EINVAL);
	FL_ASSERT_EQ(c.minutes, 0xaaaaaaaaaaaaaaaaull);
}

FLTEST(dst_europe_berlin)
{
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) != 0)
		FL_SKIP("no tzdata (/usr/share/zoneinfo/Europe/Berlin)");
	use_tz("Europe/Berlin");
	/* Spring forward, 2024-03-31: 02:00 CET (01:00 UTC) becomes 03:00 CEST. 02:30 does
	 * not exist: it fires when the clocks jump (03:00 CEST = 01:00 UTC), once. */
	expect_next("30 2 * * *", "2024-03-30 12:00", "2024-03-31 01:00 Sun");
	expect_next("30 2 * * *", "2024-03-31 01:00", "2024-04-01 00:30 Mon");
	expect_next("*/15 2 * * *", "2024-03-31 00:50", "2024-03-31 01:00 Sun");
	expect_next("*/15 2 * * *", "2024-03-31 01:00", "2024-04-01 00:00 Mon");
	expect_next("0 3 * * *", "2024-03-31 00:50", "2024-03-31 01:00 Sun");
	/* Fall back, 2024-10-27: 03:00 CEST (01:00 UTC) becomes 02:00 CET. 02:30 happens
	 * twice; it fires at the first (00:30 UTC) only. */
	expect_next("30 2 * * *", "2024-10-26 12:00", "2024-10-27 00:30 Sun");
	expect_next("30 2 * * *", "2024-10-27 00:30", "2024-10-28 01:30 Mon");
	/* Hourly: 02:00 CEST fires, the repeated 02:00 CET does not, 03:00 CET does. */
	expect_next("0 * * * *", "2024-10-26 23:30", "2024-10-27 00:00 Sun");
	expect_next("0 * * * *", "2024-10-27 00:00", "2024-10-27 02:00 Sun");
	/* Ordinary days keep local wall-clock time across the change. */
	expect_next("0 3 * * *", "2024-03-30 12:00", "2024-03-31 01:00 Sun");
	expect_next("0 3 * * *", "2024-03-31 01:00", "2024-04-01 01:00 Mon");
	expect_next("0 12 * * *", "2024-10-27 00:00", "2024-10-27 11:00 Sun");
}
