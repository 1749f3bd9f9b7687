/* SPDX-License-Identifier: MIT */
/* See ere.h. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ere.h"

/* Groups nested deeper than this are reported as FL_ERE_COST_CAP. */
#define MAX_DEPTH 64

/*
 * One open group, read left to right. A branch is a concatenation between '|'s; its last
 * atom is kept apart because a repetition may still follow it.
 */
struct frame {
	size_t done;	    /* cost of everything before the last atom */
	size_t last;	    /* cost of the last atom (0: none yet in this branch) */
	bool has_last;	    /* the branch has an atom a repetition would apply to */
	bool last_empty;    /* ... and that atom can match "" */
	bool branch_empty;  /* the branch's atoms before the last can all match "" */
	bool earlier_empty; /* an earlier branch of this group can match "" */
};

static const struct frame FRESH = { .branch_empty = true };

static size_t sat_add(size_t a, size_t b)
{
	return a + b > FL_ERE_COST_CAP || a + b < a ? FL_ERE_COST_CAP : a + b;
}

static size_t sat_mul(size_t a, size_t b)
{
	if (a && b > FL_ERE_COST_CAP / a)
		return FL_ERE_COST_CAP;
	return a * b;
}

static void new_atom(struct frame *f, size_t size, bool can_be_empty)
{
	f->done = sat_add(f->done, f->last);
	if (f->has_last)
		f->branch_empty = f->branch_empty && f->last_empty;
	f->last = size;
	f->has_last = true;
	f->last_empty = can_be_empty;
}

/* Whether the branch being read can match "" as a whole. */
static bool branch_can_be_empty(const struct frame *f)
{
	return f->branch_empty && (!f->has_last || f->last_empty);
}

/* The group's cost and emptiness once its ')' (or the end of the regex) is reached. */
static void close_group(const struct frame *f, size_t *cost, bool *can_be_empty)
{
	*cost = sat_add(sat_add(f->done, f->last), 1);
	*can_be_empty = f->earlier_empty || branch_can_be_empty(f);
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

/* An interval "{n}", "{n,}", "{,m}" or "{n,m}" at p ('{'): how many copies glibc makes of
 * the repeated element, whether the repetition may be taken zero times, and the character
 * after '}'. False when p does not start a valid interval (then '{' is left to regcomp,
 * which refuses it or takes it literally). */
static bool parse_interval(const char *p, size_t *copies, bool *may_skip, const char **after)
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
	if (*p != '}' || (!has_lo && !comma)) /* glibc takes "{,}" as {0,} */
		return false;
	if (!comma)
		*copies = lo;
	else if (!has_hi)
		*copies = sat_add(lo, 1); /* n copies, then one more under a star */
	else
		*copies = hi > lo ? hi : lo;
	if (*copies == 0)
		*copies = 1; /* {0} drops the element; count it once anyway */
	*may_skip = lo == 0;
	*after = p + 1;
	return true;
}

/* A repetition at offset `at` of the last atom: `copies` of it plus the repetition node. */
static void repeat_last(struct frame *f, size_t copies, bool may_skip, int at,
			struct fl_ere_facts *facts)
{
	if (!f->has_last)
		return; /* nothing to repeat: regcomp refuses it or takes it literally */
	if (f->last_empty && facts->empty_repeat_at < 0)
		facts->empty_repeat_at = at;
	f->last = sat_add(sat_mul(f->last, copies), 1);
	f->last_empty = f->last_empty || may_skip;
}

/* GNU's zero-width escapes: word boundaries and buffer anchors. */
static bool zero_width_escape(char c)
{
	return c && strchr("<>bB`'", c);
}

/* The regex being read: its open groups (stack[0] is the whole regex) and what it found. */
struct scan {
	struct frame stack[MAX_DEPTH + 1];
	unsigned depth;
	const char *ere; /* borrowed: offsets are counted from it */
	struct fl_ere_facts *facts;
};

/* Only the first malformation is reported. */
static void note_malformed(struct fl_ere_facts *facts, int at, const char *why)
{
	if (facts->malformed_at < 0) {
		facts->malformed_at = at;
		facts->malformed = why;
	}
}

/* ')': the group becomes an atom of the enclosing one; without a '(' it is a character. */
static void read_close(struct scan *s, int at)
{
	struct frame *f = &s->stack[s->depth];
	size_t group;
	bool group_empty;

	if (s->depth == 0) {
		note_malformed(s->facts, at,
			       "a ')' without its '(' (write \\) for "
			       "the character)");
		new_atom(f, 1, false);
		return;
	}
	close_group(f, &group, &group_empty);
	new_atom(&s->stack[--s->depth], group, group_empty);
}

/* '|': the branch read so far is closed and a new one starts. */
static void read_bar(struct frame *f)
{
	f->earlier_empty = f->earlier_empty || branch_can_be_empty(f);
	f->done = sat_add(sat_add(f->done, f->last), 1); /* the alternation node */
	f->last = 0;
	f->has_last = false;
	f->branch_empty = true;
}

/* '\' and what follows it (a back-reference is noted; a trailing '\' is malformed). */
static const char *read_escape(struct scan *s, struct frame *f, const char *p, int at)
{
	if (p[1] >= '1' && p[1] <= '9' && s->facts->backref_at < 0)
		s->facts->backref_at = at;
	if (!p[1])
		note_malformed(s->facts, at, "a '\\' with nothing after it");
	new_atom(f, 1, zero_width_escape(p[1]));
	return p + (p[1] ? 2 : 1);
}

/* One token at p; returns the character after it, or NULL when groups nest too deep. */
static const char *read_token(struct scan *s, const char *p)
{
	struct frame *f = &s->stack[s->depth];
	int at = (int)(p - s->ere);
	const char *after;
	size_t copies;
	bool may_skip;

	switch (*p) {
	case '(':
		if (s->depth == MAX_DEPTH)
			return NULL;
		s->stack[++s->depth] = FRESH;
		return p + 1;
	case ')':
		read_close(s, at);
		return p + 1;
	case '|':
		read_bar(f);
		return p + 1;
	case '+':
		repeat_last(f, 2, false, at, s->facts);
		return p + 1;
	case '*':
	case '?':
		repeat_last(f, 1, true, at, s->facts);
		return p + 1;
	case '{':
		if (parse_interval(p, &copies, &may_skip, &after)) {
			repeat_last(f, copies, may_skip, at, s->facts);
			return after;
		}
		new_atom(f, 1, false);
		return p + 1;
	case '[':
		new_atom(f, 1, false);
		return skip_bracket(p);
	case '^':
	case '$':
		new_atom(f, 1, true);
		return p + 1;
	case '\\':
		return read_escape(s, f, p, at);
	default:
		new_atom(f, 1, false);
		return p + 1;
	}
}

void fl_ere_analyse(const char *ere, struct fl_ere_facts *facts)
{
	struct scan s = { .stack = { FRESH }, .ere = ere, .facts = facts };
	const char *p = ere;

	facts->empty_repeat_at = -1;
	facts->backref_at = -1;
	facts->malformed_at = -1;
	facts->malformed = NULL;
	while (*p) {
		if (!(p = read_token(&s, p))) {
			facts->cost = FL_ERE_COST_CAP;
			return;
		}
	}
	/* unclosed groups: regcomp refuses them, but add them up all the same */
	while (s.depth > 0) {
		size_t group;
		bool group_empty;

		close_group(&s.stack[s.depth], &group, &group_empty);
		s.depth--;
		new_atom(&s.stack[s.depth], group, group_empty);
	}
	facts->cost = sat_add(s.stack[0].done, s.stack[0].last);
}

int fl_ere_compile_whole(regex_t *re, const char *ere)
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
