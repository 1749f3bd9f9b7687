/* SPDX-License-Identifier: MIT */
/*
 * Label and field selectors (labelsel.h), parsed the way k8s.io/apimachinery v0.37 does
 * (labels.Parse with its lexer, content.IsLabelKey and IsLabelValue; fields.ParseSelector)
 * so that what the API server refuses is refused here, with the offset of the offending
 * byte. The label parser runs twice over the text: once to check it and count what the
 * result needs, once to fill the single block it then allocates — no other allocation, no
 * recursion, each byte lexed a bounded number of times.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/quote.h"
#include "labelsel.h"

#define NAME_MAX_LEN   63  /* content.IsLabelKey's name part and IsLabelValue */
#define PREFIX_MAX_LEN 253 /* a DNS-1123 subdomain */
#define QUOTE_MAX      32  /* bytes of a token shown in a message (msg holds 160) */

enum tok {
	T_END,
	T_IDENT, /* also "in" and "notin" wherever no operator is expected */
	T_IN,
	T_NOTIN,
	T_COMMA,
	T_NOT,
	T_EQ,
	T_EQEQ,
	T_NE,
	T_GT,
	T_LT,
	T_OPEN,
	T_CLOSE,
};

struct token {
	enum tok t;
	size_t off, len;
};

struct span {
	size_t off, len;
};

/* Where the requirements go: counted in the first pass (reqs NULL), written in the second. */
struct out {
	struct fl_labelsel_req *reqs;
	char **vals;
	char *text;
	unsigned n_reqs, n_vals;
	size_t n_bytes;
};

struct parser {
	const char *s;
	size_t pos; /* where the lexer reads next */
	struct fl_labelsel_error *err;
	struct out *out;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The lexer's operator bytes: they end an identifier wherever they are. */
static bool is_special(char c)
{
	return c && strchr("=!(),<>", c);
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* labels.Lexer.Lex: "==" and "!=" are the only two-byte operators, as its longest match
 * over "=!(),<>" comes to; an identifier is any run of other non-space bytes. */
static struct token lex(struct parser *p)
{
	static const char singles[] = "=!(),<>";
	static const enum tok single_toks[] = { T_EQ, T_NOT, T_OPEN, T_CLOSE, T_COMMA, T_LT, T_GT };
	const char *s = p->s;
	struct token tok;

	while (is_space(s[p->pos]))
		p->pos++;
	tok.off = p->pos;
	if (!s[p->pos]) {
		tok.t = T_END;
		tok.len = 0;
		return tok;
	}
	if (is_special(s[p->pos])) {
		if ((s[p->pos] == '=' || s[p->pos] == '!') && s[p->pos + 1] == '=') {
			tok.t = s[p->pos] == '=' ? T_EQEQ : T_NE;
			tok.len = 2;
		} else {
			tok.t = single_toks[strchr(singles, s[p->pos]) - singles];
			tok.len = 1;
		}
		p->pos += tok.len;
		return tok;
	}
	while (s[p->pos] && !is_special(s[p->pos]) && !is_space(s[p->pos]))
		p->pos++;
	tok.len = p->pos - tok.off;
	tok.t = T_IDENT;
	if (tok.len == 2 && !memcmp(s + tok.off, "in", 2))
		tok.t = T_IN;
	else if (tok.len == 5 && !memcmp(s + tok.off, "notin", 5))
		tok.t = T_NOTIN;
	return tok;
}

/* The next token, read where an identifier (key or value) may stand: there "in" and
 * "notin" are identifiers (labels.Parser's Values context). */
static struct token lex_value(struct parser *p)
{
	struct token tok = lex(p);

	if (tok.t == T_IN || tok.t == T_NOTIN)
		tok.t = T_IDENT;
	return tok;
}

static struct token peek_value(struct parser *p)
{
	size_t pos = p->pos;
	struct token tok = lex_value(p);

	p->pos = pos;
	return tok;
}

__attribute__((format(printf, 4, 5))) static int fail(struct fl_labelsel_error *err, size_t off,
						      const char *what, const char *fmt, ...)
{
	va_list ap;
	int n = what ? snprintf(err->msg, sizeof(err->msg), "%s", what) : 0;

	if (n < 0 || (size_t)n >= sizeof(err->msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg + n, sizeof(err->msg) - (size_t)n, fmt, ap);
	va_end(ap);
	err->offset = off;
	return -EINVAL;
}

/* "found \"x\", expected <what>" at the token. */
static int unexpected(struct parser *p, struct token tok, const char *expected)
{
	char q[QUOTE_MAX * 3];

	if (tok.t == T_END)
		return fail(p->err, tok.off, NULL, "found the end of the selector, expected %s",
			    expected);
	fl_quote(p->s + tok.off, tok.len, QUOTE_MAX, false, q, sizeof(q));
	return fail(p->err, tok.off, NULL, "found %s, expected %s", q, expected);
}

/* What is wrong with a label name or non-empty value (content.IsLabelKey's name part):
 * [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, at most 63 bytes. Returns the index of the
 * offending byte and sets *why, or len when the text is fine. */
static size_t check_name(const char *s, size_t len, const char **why)
{
	for (size_t i = 0; i < len; i++) {
		if (i == NAME_MAX_LEN) {
			*why = "must be no more than 63 bytes";
			return i;
		}
		if (!is_alnum(s[i]) && !strchr("-_.", s[i])) {
			*why = "may hold only letters, digits, '-', '_' and '.'";
			return i;
		}
	}
	if (len && !is_alnum(s[0])) {
		*why = "must start with a letter or digit";
		return 0;
	}
	if (len && !is_alnum(s[len - 1])) {
		*why = "must end with a letter or digit";
		return len - 1;
	}
	return len;
}

/* The same for a key's prefix, a lowercase DNS-1123 subdomain of at most 253 bytes: dot-
 * separated labels of [a-z0-9-] that start and end alphanumeric. */
static size_t check_prefix(const char *s, size_t len, const char **why)
{
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		bool inner = i > 0 && i + 1 < len;

		if (i == PREFIX_MAX_LEN) {
			*why = "prefix must be no more than 253 bytes";
			return i;
		}
		if (is_lower_alnum(c) || (c == '-' && inner))
			continue;
		if (c == '.' && inner && is_lower_alnum(s[i - 1]) && is_lower_alnum(s[i + 1]))
			continue;
		*why = c >= 'A' && c <= 'Z' ? "prefix must be lowercase (a DNS subdomain)"
		       : c == '.' || c == '-'
			       ? "prefix: each part between dots must start and end with a letter "
				 "or digit"
			       : "prefix may hold only a-z, 0-9, '-' and '.' (a DNS subdomain)";
		return i;
	}
	return len;
}

/* content.IsLabelKey: [prefix/]name. */
static int check_key(struct parser *p, struct token tok)
{
	const char *key = p->s + tok.off, *slash = memchr(key, '/', tok.len), *why = NULL;
	size_t name_at = 0, bad;
	char q[QUOTE_MAX * 3], what[QUOTE_MAX * 3 + 16];

	fl_quote(key, tok.len, QUOTE_MAX, false, q, sizeof(q));
	snprintf(what, sizeof(what), "label key %s: ", q);
	if (slash) {
		const char *second = memchr(slash + 1, '/', tok.len - (size_t)(slash - key) - 1);

		if (second)
			return fail(p->err, tok.off + (size_t)(second - key), what,
				    "at most one '/' (prefix/name)");
		if (slash == key)
			return fail(p->err, tok.off, what, "the prefix before '/' is empty");
		bad = check_prefix(key, (size_t)(slash - key), &why);
		if (bad < (size_t)(slash - key))
			return fail(p->err, tok.off + bad, what, "%s", why);
		name_at = (size_t)(slash - key) + 1;
	}
	if (name_at == tok.len)
		return fail(p->err, tok.off + name_at, what, "the name is empty");
	bad = check_name(key + name_at, tok.len - name_at, &why);
	if (bad < tok.len - name_at)
		return fail(p->err, tok.off + name_at + bad, what, "name %s", why);
	return 0;
}

/* strconv.ParseInt(s, 10, 64) without allocation: optional sign, digits, in range. */
static bool parse_int64(const char *s, size_t len, int64_t *ret)
{
	bool neg = len && s[0] == '-';
	size_t i = len && (s[0] == '-' || s[0] == '+');
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;

	if (i == len)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (limit - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* content.IsLabelValue, and an int64 for > and < (NewRequirement's checks). */
static int check_value(struct parser *p, struct span v, enum fl_labelsel_op op)
{
	const char *why = NULL;
	size_t bad = check_name(p->s + v.off, v.len, &why);
	char q[QUOTE_MAX * 3], what[QUOTE_MAX * 3 + 16];
	int64_t n;

	fl_quote(p->s + v.off, v.len, QUOTE_MAX, false, q, sizeof(q));
	snprintf(what, sizeof(what), "label value %s: ", q);
	if (bad < v.len)
		return fail(p->err, v.off + bad, what, "%s", why);
	if ((op == FL_LSEL_GT || op == FL_LSEL_LT) && !parse_int64(p->s + v.off, v.len, &n))
		return fail(p->err, v.off, what, "'%c' needs an integer (int64)",
			    op == FL_LSEL_GT ? '>' : '<');
	return 0;
}

static char *put_text(struct out *out, const char *s, size_t len)
{
	char *t = out->text;

	memcpy(t, s, len);
	t[len] = '\0';
	out->text += len + 1;
	return t;
}

/* One requirement into the result (or its size into the count). */
static void emit(struct parser *p, struct token key, enum fl_labelsel_op op,
		 const struct span *vals, unsigned n_vals)
{
	struct out *out = p->out;

	if (out->reqs) {
		struct fl_labelsel_req *r = &out->reqs[out->n_reqs];

		r->key = put_text(out, p->s + key.off, key.len);
		r->op = op;
		r->n_values = n_vals;
		r->values = n_vals ? out->vals : NULL;
		for (unsigned i = 0; i < n_vals; i++)
			r->values[i] = put_text(out, p->s + vals[i].off, vals[i].len);
		out->vals += n_vals;
	}
	out->n_reqs++;
	out->n_vals += n_vals;
	out->n_bytes += key.len + 1;
	for (unsigned i = 0; i < n_vals; i++)
		out->n_bytes += vals[i].len + 1;
}

/* One item of an in/notin list ended (at a ',' or ')'): counted, checked, kept unless the
 * list already holds it (Kubernetes keeps a set). */
static int end_item(struct parser *p, struct span item, enum fl_labelsel_op op, unsigned *n_written,
		    struct span *vals, unsigned *n_vals)
{
	int r;

	if (++*n_written > FL_LABELSEL_MAX_VALS)
		return fail(p->err, item.off, NULL,
			    "more than %d values in one in/notin list (the limit)",
			    FL_LABELSEL_MAX_VALS);
	if (item.len && (r = check_value(p, item, op)) < 0)
		return r;
	for (unsigned i = 0; i < *n_vals; i++)
		if (vals[i].len == item.len &&
		    !memcmp(p->s + vals[i].off, p->s + item.off, item.len))
			return 0;
	vals[(*n_vals)++] = item;
	return 0;
}

/* "(v, ...)" after in/notin (labels.Parser.parseValues): ','-separated items, each one
 * value or nothing, so "()" is the one value "" and "(a,)" is a and "". */
static int parse_list(struct parser *p, struct token key, enum fl_labelsel_op op)
{
	struct span vals[FL_LABELSEL_MAX_VALS], item = { 0 };
	unsigned n_vals = 0, n_written = 0;
	bool has_ident = false;
	struct token tok = lex_value(p);
	int r;

	if (tok.t != T_OPEN)
		return unexpected(p, tok,
				  op == FL_LSEL_IN ? "'(' after 'in'" : "'(' after 'notin'");
	for (;;) {
		tok = lex_value(p);
		if (tok.t == T_IDENT && !has_ident) {
			item = (struct span){ tok.off, tok.len };
			has_ident = true;
		} else if (tok.t == T_COMMA || tok.t == T_CLOSE) {
			if (!has_ident)
				item = (struct span){ tok.off, 0 };
			if ((r = end_item(p, item, op, &n_written, vals, &n_vals)) < 0)
				return r;
			if (tok.t == T_CLOSE)
				break;
			has_ident = false;
		} else {
			return unexpected(p, tok,
					  has_ident ? "',' or ')' in the value list"
						    : "a value, ',' or ')' in the value list");
		}
	}
	emit(p, key, op, vals, n_vals);
	return 0;
}

/* The operator after a key, where "in" and "notin" are keywords; -1 if it is none. */
static int binary_op(enum tok t)
{
	switch (t) {
	case T_IN:
		return FL_LSEL_IN;
	case T_NOTIN:
		return FL_LSEL_NOTIN;
	case T_EQ:
	case T_EQEQ:
		return FL_LSEL_EQ;
	case T_NE:
		return FL_LSEL_NE;
	case T_GT:
		return FL_LSEL_GT;
	case T_LT:
		return FL_LSEL_LT;
	default:
		return -1;
	}
}

/* One requirement starting at tok (labels.Parser.parseRequirement). */
static int parse_requirement(struct parser *p, struct token tok)
{
	bool negated = tok.t == T_NOT;
	struct token key = negated ? lex_value(p) : tok, next;
	struct span value;
	int op, r;

	if (key.t != T_IDENT)
		return unexpected(p, key, negated ? "a label key after '!'" : "'!' or a label key");
	if ((r = check_key(p, key)) < 0)
		return r;
	next = peek_value(p);
	if (negated || next.t == T_END || next.t == T_COMMA) {
		/* "!key=v" ends here too: the caller finds the '=' where a ',' belongs */
		emit(p, key, negated ? FL_LSEL_NOT_EXISTS : FL_LSEL_EXISTS, NULL, 0);
		return 0;
	}
	next = lex(p);
	op = binary_op(next.t);
	if (op < 0)
		return unexpected(p, next,
				  "an operator (=, ==, !=, in, notin, >, <), ',' or the end");
	if (op == FL_LSEL_IN || op == FL_LSEL_NOTIN)
		return parse_list(p, key, (enum fl_labelsel_op)op);
	/* labels.Parser.parseExactValue: nothing before ',' or the end is the value "" */
	next = peek_value(p);
	value = (struct span){ next.off, 0 };
	if (next.t != T_END && next.t != T_COMMA) {
		next = lex_value(p);
		if (next.t != T_IDENT)
			return unexpected(p, next, "a value, ',' or the end");
		value.len = next.len;
	}
	if ((r = check_value(p, value, (enum fl_labelsel_op)op)) < 0)
		return r;
	emit(p, key, (enum fl_labelsel_op)op, &value, 1);
	return 0;
}

/* The whole selector (labels.Parser.parse): requirements separated by single ','s. */
static int parse_all(struct parser *p)
{
	struct token tok = lex_value(p), comma;
	int r;

	if (tok.t == T_END)
		return 0;
	for (;;) {
		if (p->out->n_reqs == FL_LABELSEL_MAX_REQS)
			return fail(p->err, tok.off, NULL,
				    "more than %d requirements in one selector (the limit)",
				    FL_LABELSEL_MAX_REQS);
		if ((r = parse_requirement(p, tok)) < 0)
			return r;
		comma = lex_value(p);
		if (comma.t == T_END)
			return 0;
		if (comma.t != T_COMMA)
			return unexpected(p, comma,
					  p->s[tok.off] == '!'
						  ? "',' or the end ('!key' takes no operator)"
						  : "',' or the end");
		tok = lex_value(p);
		if (tok.t == T_END)
			return fail(p->err, comma.off, NULL,
				    "trailing ',': expected '!' or a label key after it");
		if (tok.t != T_IDENT && tok.t != T_NOT)
			return unexpected(p, tok, "'!' or a label key after ','");
	}
}

static int check_length(const char *s, struct fl_labelsel_error *err)
{
	if (strnlen(s, FL_LABELSEL_MAX_LEN + 1) > FL_LABELSEL_MAX_LEN)
		return fail(err, FL_LABELSEL_MAX_LEN, NULL,
			    "selector longer than %d bytes (the limit)", FL_LABELSEL_MAX_LEN);
	return 0;
}

int fl_labelsel_parse(const char *s, struct fl_labelsel *ret, struct fl_labelsel_error *err)
{
	struct out count = { 0 }, fill;
	struct parser p = { .s = s, .err = err, .out = &count };
	char *block;
	int r;

	*ret = (struct fl_labelsel){ 0 };
	if ((r = check_length(s, err)) < 0 || (r = parse_all(&p)) < 0)
		return r;
	if (!count.n_reqs)
		return 0;
	block = malloc(count.n_reqs * sizeof(struct fl_labelsel_req) +
		       count.n_vals * sizeof(char *) + count.n_bytes);
	if (!block)
		return -ENOMEM;
	fill = (struct out){
		.reqs = (struct fl_labelsel_req *)block,
		.vals = (char **)(block + count.n_reqs * sizeof(struct fl_labelsel_req)),
	};
	fill.text = (char *)(fill.vals + count.n_vals);
	p = (struct parser){ .s = s, .err = err, .out = &fill };
	if (parse_all(&p) < 0 || fill.n_reqs != count.n_reqs) {
		free(block); /* cannot happen: the same text parsed the same way */
		return fail(err, 0, NULL, "internal error: the selector parsed differently twice");
	}
	ret->reqs = fill.reqs;
	ret->n = fill.n_reqs;
	return 0;
}

void fl_labelsel_clear(struct fl_labelsel *sel)
{
	if (!sel)
		return;
	free(sel->reqs); /* the one block: requirements, value arrays, strings */
	*sel = (struct fl_labelsel){ 0 };
}

static bool has_value(const struct fl_labelsel_req *r, const char *v)
{
	for (unsigned i = 0; i < r->n_values; i++)
		if (!strcmp(r->values[i], v))
			return true;
	return false;
}

/* labels.Requirement.Matches; v is the label's value, NULL when the key is absent. */
static bool req_matches(const struct fl_labelsel_req *r, const char *v)
{
	int64_t have, want;

	switch (r->op) {
	case FL_LSEL_EXISTS:
		return v;
	case FL_LSEL_NOT_EXISTS:
		return !v;
	case FL_LSEL_EQ:
	case FL_LSEL_IN:
		return v && has_value(r, v);
	case FL_LSEL_NE:
	case FL_LSEL_NOTIN:
		return !v || !has_value(r, v);
	case FL_LSEL_GT:
	case FL_LSEL_LT:
		if (!v || r->n_values != 1 || !parse_int64(v, strlen(v), &have) ||
		    !parse_int64(r->values[0], strlen(r->values[0]), &want))
			return false;
		return r->op == FL_LSEL_GT ? have > want : have < want;
	}
	return false;
}

bool fl_labelsel_match(const struct fl_labelsel *sel, const json_t *labels)
{
	for (unsigned i = 0; i < sel->n; i++) {
		const struct fl_labelsel_req *r = &sel->reqs[i];
		const json_t *v = json_is_object(labels) ? json_object_get(labels, r->key) : NULL;

		if (!req_matches(r, json_is_string(v) ? json_string_value(v) : NULL))
			return false;
	}
	return true;
}

/* Append like snprintf, counting what does not fit. */
static void put(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len < size)
		memcpy(buf + *len, s, n < size - *len ? n : size - *len);
	*len += n;
}

size_t fl_labelsel_format(const struct fl_labelsel *sel, char *buf, size_t size)
{
	static const char *const ops[] = {
		[FL_LSEL_EQ] = "=",	      [FL_LSEL_NE] = "!=", [FL_LSEL_IN] = " in (",
		[FL_LSEL_NOTIN] = " notin (", [FL_LSEL_GT] = ">",  [FL_LSEL_LT] = "<",
	};
	size_t len = 0;

	for (unsigned i = 0; i < sel->n; i++) {
		const struct fl_labelsel_req *r = &sel->reqs[i];

		put(buf, size, &len, i ? "," : "");
		put(buf, size, &len, r->op == FL_LSEL_NOT_EXISTS ? "!" : "");
		put(buf, size, &len, r->key);
		if (r->op == FL_LSEL_EXISTS || r->op == FL_LSEL_NOT_EXISTS)
			continue;
		put(buf, size, &len, ops[r->op]);
		for (unsigned j = 0; j < r->n_values; j++) {
			put(buf, size, &len, j ? "," : "");
			put(buf, size, &len, r->values[j]);
		}
		put(buf, size, &len, r->op == FL_LSEL_IN || r->op == FL_LSEL_NOTIN ? ")" : "");
	}
	if (size)
		buf[len < size ? len : size - 1] = '\0';
	return len;
}

/* fields.ParseSelector's value rules (UnescapeValue): '\' escapes '\', ',' and '=' only;
 * an unescaped '=' is refused. */
static int check_field_value(const char *s, size_t start, size_t end, struct fl_labelsel_error *err)
{
	for (size_t i = start; i < end; i++) {
		if (s[i] == '=')
			return fail(err, i, NULL, "unescaped '=' in a field value (write \\=)");
		if (s[i] != '\\')
			continue;
		if (i + 1 == end)
			return fail(err, i, NULL,
				    "field value ends in a lone '\\' (write \\\\ for a backslash)");
		if (!strchr("\\,=", s[i + 1]))
			return fail(err, i, NULL,
				    "invalid escape sequence in a field value: only \\\\, \\, and "
				    "\\= are known");
		i++;
	}
	return 0;
}

/* One term s[start, end) of a field selector: field, operator (the first "!=", "==" or
 * "=", as fields.splitTerm finds it), value. */
static int check_field_term(const char *s, size_t start, size_t end, struct fl_labelsel_error *err)
{
	char q[QUOTE_MAX * 3];
	size_t op;

	for (op = start; op < end; op++)
		if (s[op] == '=' || (s[op] == '!' && op + 1 < end && s[op + 1] == '='))
			break;
	fl_quote(s + start, end - start, QUOTE_MAX, false, q, sizeof(q));
	if (op == end)
		return fail(err, start, NULL,
			    "field selector term %s: expected field=value, field==value or "
			    "field!=value",
			    q);
	if (op == start)
		return fail(err, op, NULL, "field selector term %s: no field name before '%c'", q,
			    s[op]);
	for (size_t i = start; i < op; i++)
		if (!is_alnum(s[i]) && !strchr("._-", s[i]))
			return fail(err, i, NULL,
				    "field selector term %s: a field name holds only letters, "
				    "digits, '.', '_' and '-'",
				    q);
	op += s[op] == '!' || (op + 1 < end && s[op + 1] == '=') ? 2 : 1;
	return check_field_value(s, op, end, err);
}

int fl_fieldsel_check(const char *s, struct fl_labelsel_error *err)
{
	size_t start = 0, i, n_terms = 0;
	int r;

	if ((r = check_length(s, err)) < 0)
		return r;
	/* fields.splitTerms: a '\' makes the next byte data, a ',' ends a term; empty terms
	 * are skipped */
	for (i = 0;; i++) {
		if (s[i] == '\\' && s[i + 1]) {
			i++;
			continue;
		}
		if (s[i] && s[i] != ',')
			continue;
		if (i > start) {
			if (++n_terms > FL_LABELSEL_MAX_REQS)
				return fail(err, start, NULL,
					    "more than %d terms in one field selector (the limit)",
					    FL_LABELSEL_MAX_REQS);
			if ((r = check_field_term(s, start, i, err)) < 0)
				return r;
		}
		if (!s[i])
			return 0;
		start = i + 1;
	}
}
