/* SPDX-License-Identifier: MIT */
/*
 * Cron expressions (cron.h). The fire-time search walks the wall-clock calendar itself
 * (years, months, days, hours, minutes as the user wrote them) and only converts a
 * matching wall-clock minute to an instant with mktime(), so DST changes are handled in
 * one place: resolve().
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cron.h"

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

struct field {
	const char *name;
	int min, max;
	const char *const *names; /* 3-letter names for min.. (NULL: numbers only) */
	const char *names_hint;
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec" };
static const char *const wday_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat" };

static const struct field fields[F_COUNT] = {
	[F_MINUTE] = { "minute", 0, 59, NULL, NULL },
	[F_HOUR] = { "hour", 0, 23, NULL, NULL },
	[F_MDAY] = { "day-of-month", 1, 31, NULL, NULL },
	[F_MONTH] = { "month", 1, 12, month_names, "month name (jan-dec)" },
	/* 7 is Sunday too; names map to 0-6. */
	[F_WDAY] = { "day-of-week", 0, 7, wday_names, "day name (sun-sat)" },
};

static const struct {
	const char *name, *expansion;
} macros[] = {
	{ "@hourly", "0 * * * *" },   { "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
	{ "@weekly", "0 0 * * 0" },   { "@monthly", "0 0 1 * *" }, { "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
};

/* One value: digits, or a name in fields that have names. *ret in the field's numbering. */
static int parse_value(const struct field *f, const char *s, size_t len, int *ret,
		       struct fl_diag *diag)
{
	int v = 0;

	if (len == 0)
		return fl_diag_set(diag, -EINVAL, "%s: empty value", f->name);
	if (f->names && len == 3 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") >= 3) {
		size_t n = f == &fields[F_MONTH] ? FL_ARRAY_SIZE(month_names)
						 : FL_ARRAY_SIZE(wday_names);

		for (size_t i = 0; i < n; i++)
			if (strncasecmp(s, f->names[i], 3) == 0) {
				*ret = f->min + (int)i;
				return 0;
			}
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			if (f->names)
				return fl_diag_set(diag, -EINVAL,
						   "%s: \"%.*s\" is not a number or %s", f->name,
						   (int)len, s, f->names_hint);
			return fl_diag_set(diag, -EINVAL, "%s: \"%.*s\" is not a number", f->name,
					   (int)len, s);
		}
		if (v < 1000) /* bounded: anything this large is out of range anyway */
			v = v * 10 + (s[i] - '0');
	}
	if (v < f->min || v > f->max)
		return fl_diag_set(diag, -EINVAL, "%s: \"%.*s\" is out of range %d-%d", f->name,
				   (int)len, s, f->min, f->max);
	*ret = v;
	return 0;
}

/* One comma-separated item of a field: *, a, a-b, with an optional /step. */
static int parse_item(const struct field *f, const char *s, size_t len, uint64_t *bits,
		      struct fl_diag *diag)
{
	const char *slash = memchr(s, '/', len);
	size_t base_len = slash ? (size_t)(slash - s) : len;
	int lo, hi, step = 1, r;

	if (base_len == 1 && s[0] == '*') {
		lo = f->min;
		hi = f == &fields[F_WDAY] ? 6 : f->max;
	} else {
		const char *dash = memchr(s, '-', base_len);

		if (dash) {
			r = parse_value(f, s, (size_t)(dash - s), &lo, diag);
			if (r < 0)
				return r;
			r = parse_value(f, dash + 1, base_len - (size_t)(dash - s) - 1, &hi, diag);
			if (r < 0)
				return r;
			if (lo > hi)
				return fl_diag_set(diag, -EINVAL,
						   "%s: \"%.*s\": range start is after its end",
						   f->name, (int)base_len, s);
		} else {
			r = parse_value(f, s, base_len, &lo, diag);
			if (r < 0)
				return r;
			if (slash)
				return fl_diag_set(
					diag, -EINVAL,
					"%s: \"%.*s\": a step needs * or a range before it",
					f->name, (int)len, s);
			hi = lo;
		}
	}
	if (slash) {
		const char *st = slash + 1;
		size_t st_len = len - base_len - 1;
		/* the number of values in the field: a step that large selects only the start */
		int span = f->max - f->min + (f == &fields[F_WDAY] ? 0 : 1);

		step = 0;
		if (st_len == 0 || strspn(st, "0123456789") < st_len)
			return fl_diag_set(diag, -EINVAL, "%s: step \"%.*s\" is not a number",
					   f->name, (int)st_len, st);
		for (size_t i = 0; i < st_len; i++)
			if (step < 1000)
				step = step * 10 + (st[i] - '0');
		if (step < 1 || step > span - 1)
			return fl_diag_set(diag, -EINVAL, "%s: step \"%.*s\" is out of range 1-%d",
					   f->name, (int)st_len, st, span - 1);
	}
	for (int v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << (f == &fields[F_WDAY] && v == 7 ? 0 : v);
	return 0;
}

static int parse_field(const struct field *f, const char *s, size_t len, uint64_t *ret,
		       struct fl_diag *diag)
{
	uint64_t bits = 0;
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != ',')
			continue;
		if (i == start)
			return fl_diag_set(diag, -EINVAL, "%s: \"%.*s\": empty list item", f->name,
					   (int)len, s);
		int r = parse_item(f, s + start, i - start, &bits, diag);
		if (r < 0)
			return r;
		start = i + 1;
	}
	*ret = bits;
	return 0;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int mon)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return mon == 2 && is_leap(y) ? 29 : days[mon - 1];
}

/* 0 = Sunday (Sakamoto's method), for the proleptic Gregorian calendar. */
static int weekday(int y, int mon, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };

	if (mon < 3)
		y -= 1;
	return ((y + y / 4 - y / 100 + y / 400 + t[mon - 1] + d) % 7 + 7) % 7;
}

static bool day_matches(const struct fl_cron *c, int y, int mon, int d)
{
	bool md = c->mdays & (UINT32_C(1) << d);
	bool wd = c->wdays & (1u << weekday(y, mon, d));

	if (!(c->months & (1u << mon)))
		return false;
	if (!c->mday_any && !c->wday_any)
		return md || wd;
	return md && wd;
}

bool fl_cron_matches(const struct fl_cron *c, const struct tm *tm)
{
	return day_matches(c, tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) &&
	       (c->hours & (UINT32_C(1) << tm->tm_hour)) &&
	       (c->minutes & (UINT64_C(1) << tm->tm_min));
}

/* An expression whose days can never exist ("30 of February") is rejected, not accepted
 * to sleep forever. Only the AND rule can be impossible: under OR every weekday occurs. */
static int check_feasible(const struct fl_cron *c, struct fl_diag *diag)
{
	char months[64] = "";
	size_t n = 0;
	int first_day = 0;

	if (!c->mday_any && !c->wday_any)
		return 0;
	for (int mon = 1; mon <= 12; mon++) {
		if (!(c->months & (1u << mon)))
			continue;
		for (int d = 1; d <= days_in_month(2000, mon); d++) /* 2000: Feb has 29 */
			if (c->mdays & (UINT32_C(1) << d))
				return 0;
		if (n + 5 < sizeof(months))
			n += (size_t)snprintf(months + n, sizeof(months) - n, "%s%s", n ? "," : "",
					      month_names[mon - 1]);
	}
	for (int d = 1; d <= 31 && !first_day; d++)
		if (c->mdays & (UINT32_C(1) << d))
			first_day = d;
	return fl_diag_set(diag, -ERANGE,
			   "day-of-month: %d never occurs in the months selected (%s), so \"%s\" "
			   "would never fire",
			   first_day, months, c->text);
}

int fl_cron_parse(const char *text, struct fl_cron *ret, struct fl_diag *diag)
{
	struct fl_cron c = { 0 };
	const char *expr = text, *p;
	uint64_t bits[F_COUNT];
	int nfields = 0, r;

	if (!text)
		return fl_diag_set(diag, -EINVAL, "cron: missing expression");
	if (strnlen(text, FL_CRON_TEXT_MAX + 1) > FL_CRON_TEXT_MAX)
		return fl_diag_set(diag, -EINVAL, "cron: expression longer than %d bytes",
				   FL_CRON_TEXT_MAX);
	memcpy(c.text, text, strlen(text) + 1);
	if (text[0] == '@') {
		expr = NULL;
		for (size_t i = 0; i < FL_ARRAY_SIZE(macros); i++)
			if (strcmp(text, macros[i].name) == 0)
				expr = macros[i].expansion;
		if (!expr)
			return fl_diag_set(diag, -EINVAL,
					   "cron: unknown macro \"%s\" (expected @hourly, @daily, "
					   "@midnight, @weekly, @monthly, @yearly or @annually)",
					   text);
	}
	p = expr;
	for (;;) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		size_t len = strcspn(p, " \t");

		if (nfields == F_COUNT)
			return fl_diag_set(diag, -EINVAL,
					   "cron: \"%s\" has more than 5 fields (minute hour "
					   "day-of-month month day-of-week)",
					   text);
		r = parse_field(&fields[nfields], p, len, &bits[nfields], diag);
		if (r < 0)
			return r;
		if (nfields == F_MDAY)
			c.mday_any = p[0] == '*';
		if (nfields == F_WDAY)
			c.wday_any = p[0] == '*';
		nfields++;
		p += len;
	}
	if (nfields != F_COUNT)
		return fl_diag_set(diag, -EINVAL,
				   "cron: \"%s\" has %d field%s, expected 5 (minute hour "
				   "day-of-month month day-of-week)",
				   text, nfields, nfields == 1 ? "" : "s");
	c.minutes = bits[F_MINUTE];
	c.hours = (uint32_t)bits[F_HOUR];
	c.mdays = (uint32_t)bits[F_MDAY];
	c.months = (uint16_t)bits[F_MONTH];
	c.wdays = (uint8_t)bits[F_WDAY];
	r = check_feasible(&c, diag);
	if (r < 0)
		return r;
	*ret = c;
	return 0;
}

/* ---- next fire time ------------------------------------------------------------------ */

struct wall {
	int y, mon, d, h, min; /* mon 1-12 */
};

static void wall_next_minute(struct wall *w)
{
	if (++w->min < 60)
		return;
	w->min = 0;
	if (++w->h < 24)
		return;
	w->h = 0;
	if (++w->d <= days_in_month(w->y, w->mon))
		return;
	w->d = 1;
	if (++w->mon <= 12)
		return;
	w->mon = 1;
	w->y++;
}

/* The earliest instant showing wall-clock time w, or false if w does not exist. */
static bool wall_instant(const struct wall *w, time_t *ret)
{
	bool found = false;

	for (int isdst = 0; isdst <= 1; isdst++) {
		struct tm tm = { .tm_year = w->y - 1900,
				 .tm_mon = w->mon - 1,
				 .tm_mday = w->d,
				 .tm_hour = w->h,
				 .tm_min = w->min,
				 .tm_isdst = isdst };
		struct tm back;
		time_t t = mktime(&tm);

		if (t == (time_t)-1 || !localtime_r(&t, &back))
			continue;
		if (back.tm_year != w->y - 1900 || back.tm_mon != w->mon - 1 ||
		    back.tm_mday != w->d || back.tm_hour != w->h || back.tm_min != w->min)
			continue;
		if (!found || t < *ret)
			*ret = t;
		found = true;
	}
	return found;
}

/*
 * The instant a matching wall-clock minute fires at: its first occurrence, or, when a DST
 * change skipped it, the first minute that exists after the gap.
 */
static bool resolve(struct wall w, time_t *ret)
{
	for (int i = 0; i < 24 * 60; i++) {
		if (wall_instant(&w, ret))
			return true;
		wall_next_minute(&w);
	}
	return false;
}

#define SEARCH_DAYS (28 * 366 + 1)

int fl_cron_next(const struct fl_cron *c, time_t after, time_t *ret)
{
	struct tm now;
	struct wall w;

	if (!localtime_r(&after, &now))
		return -EOVERFLOW;
	w = (struct wall){ now.tm_year + 1900, now.tm_mon + 1, now.tm_mday, now.tm_hour,
			   now.tm_min };
	wall_next_minute(&w);
	for (int day = 0; day < SEARCH_DAYS; day++) {
		if (day > 0) {
			w.h = 23;
			w.min = 59;
			wall_next_minute(&w); /* next day, 00:00 */
		}
		if (!day_matches(c, w.y, w.mon, w.d))
			continue;
		for (int h = w.h; h < 24; h++) {
			if (!(c->hours & (UINT32_C(1) << h)))
				continue;
			for (int m = h == w.h ? w.min : 0; m < 60; m++) {
				struct wall cand = { w.y, w.mon, w.d, h, m };
				time_t t = 0;

				if (!(c->minutes & (UINT64_C(1) << m)))
					continue;
				/* <= after: the first occurrence of a repeated hour already passed */
				if (resolve(cand, &t) && t > after) {
					*ret = t;
					return 0;
				}
			}
		}
	}
	return -ERANGE;
}
