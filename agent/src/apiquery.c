/* SPDX-License-Identifier: MIT */
/* Query strings of the agent API (apiquery.h). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "apiquery.h"
#include "fl/hex.h"
#include "fl/quote.h"

#define PARAMS_MAX 8  /* parameters one resource takes (a bitmask marks the given ones) */
#define SHOWN_MAX  32 /* bytes of a user's name shown in a message */

/* A user's bytes for a message (fl/quote.h): raw URL bytes, so everything past ASCII as \xNN
 * (a message is JSON text, which must be UTF-8), cut after SHOWN_MAX bytes. */
static const char *shown(const char *s, size_t len, char *buf, size_t size)
{
	return fl_quote(s, len, SHOWN_MAX, true, buf, size);
}

/* Percent-decode s[0..len) into out (FL_API_QUERY_VALUE_MAX + 1 bytes); -EINVAL with diag. */
static int decode(const char *s, size_t len, char *out, const char *what, struct fl_diag *diag)
{
	char q[4 * SHOWN_MAX + 16];
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 1 < len ? fl_hex_digit(s[i + 1]) : -1;
			int lo = i + 2 < len ? fl_hex_digit(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return fl_diag_set(diag, -EINVAL,
						   "query: %s is not a percent-escape (%%XX, two "
						   "hex digits)",
						   shown(s + i, FL_MIN(len - i, 3), q, sizeof(q)));
			c = hi * 16 + lo;
			i += 2;
			if (c == 0)
				return fl_diag_set(
					diag, -EINVAL,
					"query: %%00 (a NUL byte) in a %s is not allowed", what);
		}
		if (o == FL_API_QUERY_VALUE_MAX)
			return fl_diag_set(diag, -EINVAL, "query: a %s longer than %d bytes: %s",
					   what, FL_API_QUERY_VALUE_MAX,
					   shown(s, len, q, sizeof(q)));
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

static void append(char *buf, size_t size, const char *text)
{
	size_t o = strlen(buf);

	(void)snprintf(buf + o, size - o, "%s", text);
}

static int unknown_error(const char *resource, const struct fl_api_param *params, unsigned n,
			 const char *names, unsigned n_unknown, unsigned n_shown,
			 struct fl_diag *diag)
{
	char takes[128] = "", more[32] = "";

	for (unsigned i = 0; i < n; i++) {
		append(takes, sizeof(takes), i ? ", " : "");
		append(takes, sizeof(takes), params[i].name);
	}
	if (n_unknown > n_shown)
		(void)snprintf(more, sizeof(more), " and %u more", n_unknown - n_shown);
	return fl_diag_set(diag, -EINVAL, "query: unknown parameter%s %s%s (%s takes %s)",
			   n_unknown > 1 ? "s" : "", names, more, resource, n ? takes : "none");
}

/* What the pairs of one query said: the parameters given (a bit each) and their values,
 * the unknown names (as many as fit, quoted) and how many there were. */
struct pairs {
	uint32_t given;
	char values[PARAMS_MAX][FL_API_QUERY_VALUE_MAX + 1];
	char names[256];
	unsigned n_unknown, n_shown;
};

static void add_unknown(struct pairs *pr, const char *name)
{
	char q[4 * SHOWN_MAX + 16];
	size_t before = strlen(pr->names);

	append(pr->names, sizeof(pr->names), pr->n_unknown ? ", " : "");
	append(pr->names, sizeof(pr->names), shown(name, strlen(name), q, sizeof(q)));
	/* A name that did not fit whole is left out, and counted in "and N more". */
	if (strlen(pr->names) == sizeof(pr->names) - 1)
		pr->names[before] = '\0';
	else
		pr->n_shown++;
	pr->n_unknown++;
}

/* One "name=value" (len > 0 bytes at p). */
static int one_pair(const char *p, size_t len, const struct fl_api_param *params, unsigned n,
		    struct pairs *pr, struct fl_diag *diag)
{
	const char *eq = memchr(p, '=', len), *value = eq ? eq + 1 : p + len;
	char name[FL_API_QUERY_VALUE_MAX + 1];
	unsigned k = 0;
	int r;

	if ((r = decode(p, (size_t)((eq ? eq : p + len) - p), name, "name", diag)) < 0)
		return r;
	while (k < n && strcmp(params[k].name, name) != 0)
		k++;
	if (k == n) {
		add_unknown(pr, name);
		return 0;
	}
	if (pr->given & (1u << k))
		return fl_diag_set(diag, -EINVAL, "query: %s given twice", params[k].name);
	pr->given |= 1u << k;
	return decode(value, (size_t)(p + len - value), pr->values[k], "value", diag);
}

int fl_api_parse_query(const char *query, const char *resource, struct fl_api_param *params,
		       unsigned n, struct fl_diag *diag)
{
	struct pairs pr = { 0 };
	size_t len = query ? strnlen(query, FL_API_QUERY_MAX + 1) : 0, at = 0;
	int r;

	if (n > PARAMS_MAX)
		return fl_diag_set(diag, -EINVAL, "query: %s takes %u parameters, at most %d",
				   resource, n, PARAMS_MAX);
	if (len > FL_API_QUERY_MAX)
		return fl_diag_set(diag, -EINVAL, "query: %zu bytes, at most %d", strlen(query),
				   FL_API_QUERY_MAX);
	while (at < len) {
		const char *amp = memchr(query + at, '&', len - at);
		size_t pair = amp ? (size_t)(amp - (query + at)) : len - at;

		/* Empty pairs ("a=1&&b=2", a trailing '&') say nothing. */
		if (pair > 0 && (r = one_pair(query + at, pair, params, n, &pr, diag)) < 0)
			return r;
		at += pair + 1;
	}
	if (pr.n_unknown)
		return unknown_error(resource, params, n, pr.names, pr.n_unknown, pr.n_shown, diag);
	for (unsigned k = 0; k < n; k++) {
		params[k].given = pr.given & (1u << k);
		(void)snprintf(params[k].value, sizeof(params[k].value), "%s",
			       params[k].given ? pr.values[k] : "");
	}
	return 0;
}

int fl_api_param_flag(const struct fl_api_param *p, bool *ret, struct fl_diag *diag)
{
	char q[4 * SHOWN_MAX + 16];

	if (!p->given) {
		*ret = false;
		return 0;
	}
	if (strcmp(p->value, "1") == 0 || strcmp(p->value, "true") == 0) {
		*ret = true;
		return 0;
	}
	if (strcmp(p->value, "0") == 0 || strcmp(p->value, "false") == 0) {
		*ret = false;
		return 0;
	}
	if (!p->value[0])
		return fl_diag_set(diag, -EINVAL, "query: %s needs a value (%s=1 or %s=0)", p->name,
				   p->name, p->name);
	return fl_diag_set(diag, -EINVAL, "query: %s=%s is not 1, 0, true or false", p->name,
			   shown(p->value, strlen(p->value), q, sizeof(q)));
}
