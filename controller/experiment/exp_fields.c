/* SPDX-License-Identifier: MIT */
/* Typed field getters of the experiment parser, with paths in every message. */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"
#include "fl/quote.h"
#include "fl/units.h"
#include "ere.h"

#define QUOTE_CUT 80

size_t fl_exp_push_key(struct exp_ctx *c, const char *key)
{
	size_t old = c->len;
	int n = snprintf(c->path + c->len, sizeof(c->path) - c->len, "%s%s", c->len ? "." : "",
			 key);

	if (n > 0)
		c->len = FL_MIN(c->len + (size_t)n, sizeof(c->path) - 1);
	return old;
}

size_t fl_exp_push_index(struct exp_ctx *c, unsigned index)
{
	size_t old = c->len;
	int n = snprintf(c->path + c->len, sizeof(c->path) - c->len, "[%u]", index);

	if (n > 0)
		c->len = FL_MIN(c->len + (size_t)n, sizeof(c->path) - 1);
	return old;
}

void fl_exp_pop(struct exp_ctx *c, size_t old_len)
{
	c->len = old_len;
	c->path[old_len] = '\0';
}

static int verr(struct exp_ctx *c, const struct fl_ynode *n, const char *key, const char *fmt,
		va_list ap)
{
	struct fl_diag *diag = c->diag;
	size_t o = 0;
	int w;

	if (!diag)
		return -EINVAL;
	diag->file = c->file;
	diag->line = n ? n->line : 0;
	diag->col = n ? n->col : 0;
	diag->msg[0] = '\0';
	if (c->len || key) {
		w = snprintf(diag->msg, sizeof(diag->msg), "%s%s%s: ", c->path,
			     c->len && key ? "." : "", key ? key : "");
		o = w > 0 ? FL_MIN((size_t)w, sizeof(diag->msg) - 1) : 0;
	}
	(void)vsnprintf(diag->msg + o, sizeof(diag->msg) - o, fmt, ap);
	return -EINVAL;
}

int fl_exp_err(struct exp_ctx *c, const struct fl_ynode *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(c, n, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int fl_exp_err_key(struct exp_ctx *c, const struct fl_ynode *n, const char *key, const char *fmt,
		   ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = verr(c, n, key, fmt, ap);
	va_end(ap);
	return r;
}

const char *fl_exp_quote(const struct fl_ynode *n, char *buf, size_t size)
{
	if (size < 16)
		return "";
	if (n->kind != FL_YNODE_SCALAR) {
		(void)snprintf(buf, size, "%s", fl_ytype_desc(fl_ynode_type(n)));
		return buf;
	}
	return fl_quote(n->text, n->len, QUOTE_CUT, false, buf, size);
}

struct fl_pos fl_exp_pos(const struct exp_ctx *c, const struct fl_ynode *n)
{
	return (struct fl_pos){ .file = c->file, .line = n->line, .col = n->col };
}

int fl_exp_want(struct exp_ctx *c, const struct fl_ynode *n, enum fl_ytype type, const char *what)
{
	enum fl_ytype got = fl_ynode_type(n);
	char q[EX_QUOTE];

	if (got == type)
		return 0;
	if (n->kind == FL_YNODE_SCALAR && got != FL_YTYPE_NULL)
		return fl_exp_err(c, n, "expected %s, got %s (%s)", what, fl_ytype_desc(got),
				  fl_exp_quote(n, q, sizeof(q)));
	return fl_exp_err(c, n, "expected %s, got %s", what, fl_ytype_desc(got));
}

int fl_exp_unknown_field(struct exp_ctx *c, const struct fl_ynode *key, const char *const *allowed)
{
	char list[300] = "", q[EX_QUOTE];
	size_t o = 0;

	for (const char *const *a = allowed; *a; a++) {
		int w = snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", *a);

		if (w < 0 || (size_t)w >= sizeof(list) - o)
			break;
		o += (size_t)w;
	}
	return fl_exp_err(c, key, "unknown field %s (expected one of %s)",
			  fl_exp_quote(key, q, sizeof(q)), list);
}

int fl_exp_map(struct exp_ctx *c, const struct fl_ynode *n, const char *const *allowed)
{
	int r;

	if ((r = fl_exp_want(c, n, FL_YTYPE_MAP, "a mapping")) < 0)
		return r;
	for (unsigned i = 0; i < n->n; i++) {
		const struct fl_ynode *key = n->keys[i];
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strlen(*a) == key->len && memcmp(*a, key->text, key->len) == 0;
		if (!ok)
			return fl_exp_unknown_field(c, key, allowed);
	}
	return 0;
}

const struct fl_ynode *fl_exp_key_node(const struct fl_ynode *map, const char *key)
{
	size_t len = strlen(key);

	for (unsigned i = 0; map && map->kind == FL_YNODE_MAP && i < map->n; i++)
		if (map->keys[i]->len == len && memcmp(map->keys[i]->text, key, len) == 0)
			return map->keys[i];
	return NULL;
}

int fl_exp_strdup(const char *s, char **ret)
{
	char *copy = NULL;

	if (s && !(copy = strdup(s)))
		return -ENOMEM;
	*ret = copy;
	return 0;
}

int fl_exp_str_node(struct exp_ctx *c, const struct fl_ynode *n, size_t max, bool multiline,
		    char **ret)
{
	char *copy;
	int r;

	if ((r = fl_exp_want(c, n, FL_YTYPE_STRING, "a string")) < 0)
		return r;
	if (n->len > max)
		return fl_exp_err(c, n, "too long (%zu bytes, at most %zu)", n->len, max);
	for (size_t i = 0; i < n->len; i++) {
		unsigned char ch = (unsigned char)n->text[i];

		if ((ch < 0x20 || ch == 0x7f) && !(multiline && (ch == '\n' || ch == '\t')))
			return fl_exp_err(
				c, n, "control character 0x%02x at byte %zu is not allowed", ch, i);
	}
	if (!(copy = strdup(n->text)))
		return -ENOMEM;
	*ret = copy;
	return 0;
}

int fl_exp_str(struct exp_ctx *c, const struct fl_ynode *map, const char *key, size_t max,
	       bool required, char **ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	size_t old;
	int r;

	if (!n)
		return required ? fl_exp_err_key(c, map, key, "required") : 0;
	old = fl_exp_push_key(c, key);
	r = fl_exp_str_node(c, n, max, false, ret);
	fl_exp_pop(c, old);
	return r;
}

bool fl_exp_valid_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > FL_EXP_NAME_MAX || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int fl_exp_name(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool required,
		char **ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	char q[EX_QUOTE];
	char *s = NULL;
	int r;

	if ((r = fl_exp_str(c, map, key, 1024, required, &s)) < 0 || !s)
		return r;
	if (!fl_exp_valid_name(s)) {
		free(s);
		return fl_exp_err_key(
			c, n, key,
			"%s is not a name (lower-case letters, digits and '-', starting "
			"and ending with a letter or digit, at most %d)",
			fl_exp_quote(n, q, sizeof(q)), FL_EXP_NAME_MAX);
	}
	*ret = s;
	return 0;
}

/* "1h", "5m", "90s", "500ms": the largest unit that divides, as a user would write it. */
static void format_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns && ns % (3600 * EX_NS_PER_S) == 0)
		(void)snprintf(buf, size, "%lluh", (unsigned long long)(ns / (3600 * EX_NS_PER_S)));
	else if (ns && ns % (60 * EX_NS_PER_S) == 0)
		(void)snprintf(buf, size, "%llum", (unsigned long long)(ns / (60 * EX_NS_PER_S)));
	else
		fl_format_duration(ns, buf, size);
}

int fl_exp_duration(struct exp_ctx *c, const struct fl_ynode *map, const char *key, uint64_t max,
		    uint64_t *ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	char q[EX_QUOTE], m[32];
	uint64_t ns;
	int r;

	if (!n)
		return 0;
	if (n->kind != FL_YNODE_SCALAR || fl_ynode_type(n) == FL_YTYPE_NULL)
		return fl_exp_err_key(c, n, key, "expected a duration (e.g. 30s), got %s",
				      fl_ytype_desc(fl_ynode_type(n)));
	fl_exp_quote(n, q, sizeof(q));
	if (fl_ynode_type(n) != FL_YTYPE_STRING)
		/* A bare number has no unit: say so rather than "expected a string". */
		return fl_exp_err_key(c, n, key,
				      "%s is not a duration (expected e.g. 500ms, 30s, 2m)", q);
	r = fl_parse_duration_strict_ns(n->text, &ns);
	format_duration(max, m, sizeof(m));
	if (r == -ERANGE || (r == 0 && ns > max))
		return fl_exp_err_key(c, n, key, "%s is above the maximum %s", q, m);
	if (r < 0 || strlen(n->text) != n->len)
		return fl_exp_err_key(c, n, key,
				      "%s is not a duration (expected e.g. 500ms, 30s, 2m)", q);
	if (ns == 0)
		return fl_exp_err_key(c, n, key, "%s must be above 0", q);
	*ret = ns;
	return 0;
}

int fl_exp_bool(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool *ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	size_t old;
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, key);
	r = fl_exp_want(c, n, FL_YTYPE_BOOL, "true or false");
	fl_exp_pop(c, old);
	if (r < 0)
		return r;
	*ret = n->text[0] == 't' || n->text[0] == 'T';
	return 0;
}

int fl_exp_seq(struct exp_ctx *c, const struct fl_ynode *map, const char *key, unsigned max,
	       const struct fl_ynode **ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	size_t old;
	int r;

	*ret = NULL;
	if (!n)
		return 0;
	old = fl_exp_push_key(c, key);
	r = fl_exp_want(c, n, FL_YTYPE_SEQ, "a list");
	if (r == 0 && n->n > max)
		r = fl_exp_err(c, n, "%u entries; at most %u", n->n, max);
	fl_exp_pop(c, old);
	if (r < 0)
		return r;
	*ret = n;
	return 0;
}

int fl_exp_regex(struct exp_ctx *c, const struct fl_ynode *n, const char *text)
{
	char q[EX_QUOTE], why[128];
	struct fl_ere_facts facts;
	regex_t re;
	int r;

	if (strlen(text) > FL_ERE_LENGTH_MAX)
		return fl_exp_err(c, n, "too long (%zu bytes, at most %d)", strlen(text),
				  FL_ERE_LENGTH_MAX);
	fl_ere_analyse(text, &facts);
	if (facts.malformed_at >= 0)
		return fl_exp_err(c, n, "%s is not a POSIX extended regex: character %d: %s",
				  fl_exp_quote(n, q, sizeof(q)), facts.malformed_at + 1,
				  facts.malformed);
	if (facts.backref_at >= 0)
		return fl_exp_err(
			c, n, "%s: the back-reference at character %d is not POSIX extended regex",
			fl_exp_quote(n, q, sizeof(q)), facts.backref_at + 1);
	if (facts.empty_repeat_at >= 0)
		return fl_exp_err(
			c, n,
			"%s: the '%c' at character %d repeats something that can match the "
			"empty string, which glibc compiles very slowly (write the repeated "
			"part so it takes at least one character: (a?b?)+ as (a|b)*)",
			fl_exp_quote(n, q, sizeof(q)), text[facts.empty_repeat_at],
			facts.empty_repeat_at + 1);
	if (facts.cost > FL_ERE_COST_MAX)
		return fl_exp_err(c, n,
				  "%s would compile to about %zu regex nodes, at most %d (nested "
				  "repetitions copy what they repeat: {n,m} m times, + twice)",
				  fl_exp_quote(n, q, sizeof(q)), facts.cost, FL_ERE_COST_MAX);
	r = fl_ere_compile_whole(&re, text); /* as probes and tolerances will */
	if (r == REG_ESPACE)
		return -ENOMEM;
	if (r != 0) {
		(void)regerror(r, &re, why, sizeof(why));
		return fl_exp_err(c, n, "%s is not a POSIX extended regex: %s",
				  fl_exp_quote(n, q, sizeof(q)), why);
	}
	regfree(&re);
	return 0;
}

int fl_exp_url(struct exp_ctx *c, const struct fl_ynode *n, const char *text)
{
	char q[EX_QUOTE];
	const char *host;

	if (strncmp(text, "http://", 7) == 0)
		host = text + 7;
	else if (strncmp(text, "https://", 8) == 0)
		host = text + 8;
	else
		host = NULL;
	if (!host || !*host || *host == '/' || strchr(text, ' '))
		return fl_exp_err(c, n, "%s is not an http:// or https:// URL with a host",
				  fl_exp_quote(n, q, sizeof(q)));
	return 0;
}

/* One "host:port" (host may be "[v6]") of length len. */
static bool valid_hostport(const char *s, size_t len)
{
	const char *colon = NULL;
	unsigned long port = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon || colon == s || (size_t)(colon - s) + 1 >= len)
		return false;
	for (const char *p = s; p < colon; p++)
		if (*p == ' ' || *p == '/' || *p == ',')
			return false;
	for (const char *p = colon + 1; p < s + len; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (unsigned long)(*p - '0');
		if (port > 65535)
			return false;
	}
	return port > 0;
}

int fl_exp_bootstrap(struct exp_ctx *c, const struct fl_ynode *n, const char *text)
{
	char q[EX_QUOTE];
	const char *p = text;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		if (!valid_hostport(p, len))
			return fl_exp_err(c, n,
					  "%s is not a list of host:port (expected e.g. "
					  "\"127.0.0.1:9092,127.0.0.1:9093\")",
					  fl_exp_quote(n, q, sizeof(q)));
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* A list at map[key] (absent: 0 entries) and a zeroed array for it. */
int fl_exp_list_alloc(struct exp_ctx *c, const struct fl_ynode *map, const char *key, size_t size,
		      const struct fl_ynode **ret_list, void **ret_array)
{
	const struct fl_ynode *list;
	int r;

	if ((r = fl_exp_seq(c, map, key, FL_EXP_MAX_ITEMS, &list)) < 0)
		return r;
	*ret_list = list;
	*ret_array = NULL;
	if (list && list->n && !(*ret_array = calloc(list->n, size)))
		return -ENOMEM;
	return 0;
}
