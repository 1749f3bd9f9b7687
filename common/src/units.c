/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers for durations, percentages, rates and sizes (fl/units.h), in tc's
 * spellings, rejecting everything else.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fl/units.h"

struct unit {
	const char *name;
	double scale;
};

/*
 * strtod() with the checks it does not do: something was parsed, the number is finite and
 * not negative, no leading whitespace or sign games ("+5", " 5", "0x10" are refused).
 * Returns the pointer to the suffix in *ret_end.
 */
static int parse_number(const char *text, double *ret_value, const char **ret_end)
{
	char *end;
	double v;

	if (!text || !(text[0] >= '0' && text[0] <= '9') ||
	    (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')))
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno == ERANGE || !isfinite(v) || v < 0)
		return -EINVAL;
	*ret_value = v;
	*ret_end = end;
	return 0;
}

static const struct unit *find_unit(const struct unit *units, const char *suffix)
{
	for (const struct unit *u = units; u->name; u++)
		if (strcasecmp(u->name, suffix) == 0)
			return u;
	return NULL;
}

static const struct unit duration_units[] = {
	{ "ns", 1 },	  { "nsec", 1 },    { "nsecs", 1 },  { "us", 1e3 },
	{ "usec", 1e3 },  { "usecs", 1e3 }, { "ms", 1e6 },   { "msec", 1e6 },
	{ "msecs", 1e6 }, { "s", 1e9 },	    { "sec", 1e9 },  { "secs", 1e9 },
	{ "m", 60e9 },	  { "min", 60e9 },  { "h", 3600e9 }, { NULL, 0 },
};

static int parse_duration(const char *text, bool bare_is_usec, uint64_t *ret_ns)
{
	const struct unit *u;
	const char *end;
	double v;

	if (parse_number(text, &v, &end) < 0)
		return -EINVAL;
	if (*end == '\0') {
		if (!bare_is_usec)
			return -EINVAL;
		v *= 1e3;
	} else {
		u = find_unit(duration_units, end);
		if (!u)
			return -EINVAL;
		v *= u->scale;
	}
	/* Round to the nearest nanosecond: "1.1ms" must not become 1099999 ns. */
	v = nearbyint(v);
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*ret_ns = (uint64_t)v;
	return 0;
}

int fl_parse_duration_ns(const char *text, uint64_t *ret_ns)
{
	return parse_duration(text, true, ret_ns);
}

int fl_parse_duration_strict_ns(const char *text, uint64_t *ret_ns)
{
	return parse_duration(text, false, ret_ns);
}

int fl_parse_percent(const char *text, double *ret_percent)
{
	const char *end;
	double v;

	if (parse_number(text, &v, &end) < 0)
		return -EINVAL;
	if (*end != '\0' && strcmp(end, "%") != 0)
		return -EINVAL;
	if (v > 100.0)
		return -ERANGE;
	*ret_percent = v;
	return 0;
}

/* Scales in bits per second, as iproute2's rate suffix table. */
static const struct unit rate_units[] = {
	{ "bit", 1. },
	{ "kibit", 1024. },
	{ "kbit", 1000. },
	{ "mibit", 1024. * 1024. },
	{ "mbit", 1000000. },
	{ "gibit", 1024. * 1024. * 1024. },
	{ "gbit", 1000000000. },
	{ "tibit", 1024. * 1024. * 1024. * 1024. },
	{ "tbit", 1000000000000. },
	{ "bps", 8. },
	{ "kibps", 8. * 1024. },
	{ "kbps", 8000. },
	{ "mibps", 8. * 1024. * 1024. },
	{ "mbps", 8000000. },
	{ "gibps", 8. * 1024. * 1024. * 1024. },
	{ "gbps", 8000000000. },
	{ "tibps", 8. * 1024. * 1024. * 1024. * 1024. },
	{ "tbps", 8000000000000. },
	{ NULL, 0 },
};

int fl_parse_rate_Bps(const char *text, uint64_t *ret_bytes_per_s)
{
	const struct unit *u;
	const char *end;
	double bits;

	if (parse_number(text, &bits, &end) < 0)
		return -EINVAL;
	if (*end != '\0') {
		u = find_unit(rate_units, end);
		if (!u)
			return -EINVAL;
		bits *= u->scale;
	}
	/* Same arithmetic as tc (bits / 8, truncated) so encoded bytes match. */
	bits /= 8;
	if (bits >= 18446744073709551615.0)
		return -ERANGE;
	*ret_bytes_per_s = (uint64_t)bits;
	return 0;
}

static const struct unit size_units[] = {
	{ "b", 1. },
	{ "k", 1024. },
	{ "kb", 1024. },
	{ "m", 1024. * 1024. },
	{ "mb", 1024. * 1024. },
	{ "g", 1024. * 1024. * 1024. },
	{ "gb", 1024. * 1024. * 1024. },
	{ "kbit", 1024. / 8 },
	{ "mbit", 1024. * 1024. / 8 },
	{ "gbit", 1024. * 1024. * 1024. / 8 },
	{ NULL, 0 },
};

int fl_parse_size(const char *text, uint64_t *ret_bytes)
{
	const struct unit *u;
	const char *end;
	double v;

	if (parse_number(text, &v, &end) < 0)
		return -EINVAL;
	if (*end != '\0') {
		u = find_unit(size_units, end);
		if (!u)
			return -EINVAL;
		v *= u->scale;
	}
	if (v >= 18446744073709551615.0)
		return -ERANGE;
	*ret_bytes = (uint64_t)v;
	return 0;
}

void fl_format_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns == 0)
		(void)snprintf(buf, size, "0ms");
	else if (ns % 1000000000ull == 0)
		(void)snprintf(buf, size, "%llus", (unsigned long long)(ns / 1000000000ull));
	else if (ns % 1000000ull == 0)
		(void)snprintf(buf, size, "%llums", (unsigned long long)(ns / 1000000ull));
	else if (ns % 1000ull == 0)
		(void)snprintf(buf, size, "%lluus", (unsigned long long)(ns / 1000ull));
	else
		(void)snprintf(buf, size, "%lluns", (unsigned long long)ns);
}

void fl_format_rate(uint64_t bytes_per_s, char *buf, size_t size)
{
	/* Exact whenever possible (this text is parsed back): the largest unit that divides. */
	static const struct {
		const char *name;
		uint64_t bits;
	} units[] = { { "tbit", 1000000000000ull },
		      { "gbit", 1000000000ull },
		      { "mbit", 1000000ull },
		      { "kbit", 1000ull } };
	uint64_t bits = bytes_per_s * 8;

	if (bytes_per_s > UINT64_MAX / 8) {
		(void)snprintf(buf, size, "%llubps", (unsigned long long)bytes_per_s);
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (bits >= units[i].bits && bits % units[i].bits == 0) {
			(void)snprintf(buf, size, "%llu%s",
				       (unsigned long long)(bits / units[i].bits), units[i].name);
			return;
		}
	}
	(void)snprintf(buf, size, "%llubit", (unsigned long long)bits);
}
