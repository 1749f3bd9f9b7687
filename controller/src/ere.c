/* SPDX-License-Identifier: MIT */
/* See ere.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ere.h"

/* Groups nested deeper than this are reported as FL_REGEX_COST_CAP. */
#define MAX_DEPTH 64

/* One open group: the atoms finished so far, and the last one (a repetition may follow). */
struct frame {
	size_t done;
	size_t last;
};

static size_t sat_add(size_t a, size_t b)
{
	return a + b > FL_REGEX_COST_CAP || a + b < a ? FL_REGEX_COST_CAP : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	if (a && b > FL_REGEX_COST_CAP / a)
		return FL_REGEX_COST_CAP;
	return a * b;
}

static void new_atom(struct frame *f, size_t size)
{
	f->done = sat_add(f->done, f->last);
	f->last = size;
}

/* A bracket expression starting at p ('['); returns the character after its ']' (or the
 * end of the string when it is not closed: regcomp will refuse it). */
static const char *skip_bracket(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++; /* a leading ']' is a member, not the end */
	while (*p && *p != ']') {
		if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
			char close = p[1];
			const char *end;

			for (end = p + 2; *end && !(end[0] == close && end[1] == ']'); end++)
				;
			p = *end ? end + 2 : end;
			continue;
		}
		p++;
	}
	return *p ? p + 1 : p;
}

/* An interval "{n}", "{n,}", "{,m}" or "{n,m}" at p ('{'): the number of copies glibc makes
 * of the repeated element, and the character after '}'. False when p does not start a
 * valid interval (then '{' is left to regcomp, which refuses or takes it literally). */
static bool parse_interval(const char *p, size_t *copies, const char **after)
{
	size_t lo = 0, hi = 0;
	bool has_lo = false, has_hi = false, comma = false;

	for (p++; *p >= '0' && *p <= '9'; p++, has_lo = true)
		lo = sat_add(sat_mul(lo, 10), (size_t)(*p - '0'));
	if (*p == ',') {
		comma = true;
		for (p++; *p >= '0' && *p <= '9'; p++, has_hi = true)
			hi = sat_add(sat_mul(hi, 10), (size_t)(*p - '0'));
	}
	if (*p != '}' || (!has_lo && !has_hi))
		return false;
	if (!comma)
		*copies = lo;
	else if (!has_hi)
		*copies = sat_add(lo, 1); /* n copies, then one more under a star */
	else
		*copies = hi > lo ? hi : lo;
	if (*copies == 0)
		*copies = 1; /* {0} drops the element; count it once anyway */
	*after = p + 1;
	return true;
}

size_t fl_regex_cost(const char *ere)
{
	struct frame stack[MAX_DEPTH + 1] = { { 0, 0 } };
	unsigned depth = 0;
	const char *p = ere;

	while (*p) {
		struct frame *f = &stack[depth];
		const char *after;
		size_t copies;

		switch (*p) {
		case '(':
			if (depth == MAX_DEPTH)
				return FL_REGEX_COST_CAP;
			stack[++depth] = (struct frame){ 0, 0 };
			p++;
			break;
		case ')':
			if (depth == 0) {
				new_atom(f, 1); /* unmatched: regcomp's to judge */
			} else {
				size_t group = sat_add(sat_add(f->done, f->last), 1);

				new_atom(&stack[--depth], group);
			}
			p++;
			break;
		case '|':
			new_atom(f, 1); /* the alternation node */
			p++;
			break;
		case '+':
			f->last = sat_add(sat_mul(f->last, 2), 1);
			p++;
			break;
		case '*':
		case '?':
			f->last = sat_add(f->last, 1); /* the repetition node */
			p++;
			break;
		case '{':
			if (parse_interval(p, &copies, &after)) {
				f->last = sat_add(sat_mul(f->last, copies), 1);
				p = after;
			} else {
				new_atom(f, 1);
				p++;
			}
			break;
		case '[':
			new_atom(f, 1);
			p = skip_bracket(p);
			break;
		case '\\':
			new_atom(f, 1);
			p += p[1] ? 2 : 1;
			break;
		default:
			new_atom(f, 1);
			p++;
			break;
		}
	}
	/* unclosed groups: regcomp refuses them, but add them up all the same */
	while (depth > 0) {
		size_t group = sat_add(sat_add(stack[depth].done, stack[depth].last), 1);

		depth--;
		new_atom(&stack[depth], group);
	}
	return sat_add(stack[0].done, stack[0].last);
}

bool fl_regex_has_backref(const char *ere)
{
	const char *p = ere;

	while (*p) {
		if (*p == '[') {
			p = skip_bracket(p);
		} else if (*p == '\\' && p[1]) {
			if (p[1] >= '1' && p[1] <= '9')
				return true;
			p += 2;
		} else {
			p++;
		}
	}
	return false;
}

int fl_regex_compile_whole(regex_t *re, const char *ere)
{
	size_t len = strlen(ere) + sizeof("^()$");
	char *anchored = malloc(len);
	int r;

	if (!anchored)
		return REG_ESPACE;
	(void)snprintf(anchored, len, "^(%s)$", ere);
	r = regcomp(re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	return r;
}
