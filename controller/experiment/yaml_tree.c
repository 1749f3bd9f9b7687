/* SPDX-License-Identifier: MIT */
/*
 * YAML -> struct fl_ynode tree (see yaml_tree.h). libyaml's event API keeps no recursion
 * of its own; our nesting is bounded by max_depth, so the recursive free and JSON
 * conversion below are bounded too.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yaml_tree.h"

#define STACK_MAX 64 /* hard cap on max_depth */

struct builder {
	struct fl_ynode *root;
	struct fl_ynode *stack[STACK_MAX];
	struct fl_ynode *key[STACK_MAX]; /* a mapping's key waiting for its value */
	unsigned depth;
	unsigned max_depth;
	unsigned documents;
	struct fl_diag *diag;
};

struct fl_ynode *fl_ynode_free(struct fl_ynode *node)
{
	if (!node)
		return NULL;
	for (unsigned i = 0; i < node->n; i++) {
		if (node->keys)
			fl_ynode_free(node->keys[i]);
		fl_ynode_free(node->items[i]);
	}
	free(node->keys);
	free(node->items);
	free(node->text);
	free(node);
	return NULL;
}

static int at(struct builder *b, const yaml_mark_t *mark, int err, const char *fmt, ...)
	_printf_(4, 5);
static int at(struct builder *b, const yaml_mark_t *mark, int err, const char *fmt, ...)
{
	va_list ap;

	if (!b->diag)
		return err;
	b->diag->line = (int)mark->line + 1;
	b->diag->col = (int)mark->column + 1;
	va_start(ap, fmt);
	(void)vsnprintf(b->diag->msg, sizeof(b->diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

static struct fl_ynode *node_new(enum fl_ynode_kind kind, const yaml_mark_t *mark)
{
	struct fl_ynode *node = calloc(1, sizeof(*node));

	if (!node)
		return NULL;
	node->kind = kind;
	node->line = (int)mark->line + 1;
	node->col = (int)mark->column + 1;
	return node;
}

static bool same_key(const struct fl_ynode *a, const struct fl_ynode *b)
{
	return a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

/* Append to a sequence or mapping; grows the arrays by doubling. */
static int append(struct fl_ynode *parent, struct fl_ynode *key, struct fl_ynode *item)
{
	if (parent->n == parent->cap) {
		unsigned cap = parent->cap ? parent->cap * 2 : 4;
		struct fl_ynode **items, **keys;

		items = realloc(parent->items, cap * sizeof(*items));
		if (!items)
			return -ENOMEM;
		parent->items = items;
		if (parent->kind == FL_YNODE_MAP) {
			keys = realloc(parent->keys, cap * sizeof(*keys));
			if (!keys)
				return -ENOMEM;
			parent->keys = keys;
		}
		parent->cap = cap;
	}
	if (parent->kind == FL_YNODE_MAP)
		parent->keys[parent->n] = key;
	parent->items[parent->n++] = item;
	return 0;
}

/* Hang a finished (scalar) or opening (collection) node under the current parent. */
static int attach(struct builder *b, struct fl_ynode *node, const yaml_mark_t *mark)
{
	struct fl_ynode *parent;
	unsigned d;
	int r;

	if (b->depth == 0) {
		if (b->root) {
			fl_ynode_free(node);
			return at(b, mark, -EINVAL, "a second value at the top level");
		}
		b->root = node;
		return 0;
	}
	d = b->depth - 1;
	parent = b->stack[d];
	if (parent->kind == FL_YNODE_SEQ) {
		if ((r = append(parent, NULL, node)) < 0)
			fl_ynode_free(node);
		return r;
	}
	if (!b->key[d]) {
		if (node->kind != FL_YNODE_SCALAR) {
			fl_ynode_free(node);
			return at(b, mark, -EINVAL, "a mapping key must be a plain value");
		}
		for (unsigned i = 0; i < parent->n; i++) {
			if (same_key(parent->keys[i], node)) {
				char q[96];

				(void)snprintf(q, sizeof(q), "%.80s", node->text);
				fl_ynode_free(node);
				return at(b, mark, -EINVAL,
					  "duplicate key \"%s\" (first at line %d, column %d)", q,
					  parent->keys[i]->line, parent->keys[i]->col);
			}
		}
		b->key[d] = node;
		return 0;
	}
	r = append(parent, b->key[d], node);
	if (r < 0) {
		fl_ynode_free(node);
		return r;
	}
	b->key[d] = NULL;
	return 0;
}

static int refuse_decorations(struct builder *b, const yaml_event_t *ev, const yaml_char_t *anchor,
			      const yaml_char_t *tag)
{
	if (anchor)
		return at(b, &ev->start_mark, -EINVAL,
			  "anchors and aliases (&%.40s) are not supported: repeat the value, or "
			  "put shared settings in a Suite's defaults",
			  (const char *)anchor);
	if (tag)
		return at(b, &ev->start_mark, -EINVAL,
			  "tags (%.40s) are not supported: write the value plainly (quote it to "
			  "make it a string)",
			  (const char *)tag);
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	struct fl_ynode *node;
	int r;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (++b->documents > 1)
			return at(b, &ev->start_mark, -EINVAL,
				  "more than one YAML document (one experiment or suite per "
				  "file; a Suite lists several)");
		return 0;
	case YAML_ALIAS_EVENT:
		return at(b, &ev->start_mark, -EINVAL,
			  "anchors and aliases (*%.40s) are not supported: repeat the value, or "
			  "put shared settings in a Suite's defaults",
			  (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		if ((r = refuse_decorations(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag)) <
		    0)
			return r;
		if (!(node = node_new(FL_YNODE_SCALAR, &ev->start_mark)))
			return -ENOMEM;
		node->len = ev->data.scalar.length;
		node->text = malloc(node->len + 1);
		if (!node->text) {
			fl_ynode_free(node);
			return -ENOMEM;
		}
		memcpy(node->text, ev->data.scalar.value, node->len);
		node->text[node->len] = '\0';
		node->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return attach(b, node, &ev->start_mark);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		bool seq = ev->type == YAML_SEQUENCE_START_EVENT;

		r = seq ? refuse_decorations(b, ev, ev->data.sequence_start.anchor,
					     ev->data.sequence_start.tag)
			: refuse_decorations(b, ev, ev->data.mapping_start.anchor,
					     ev->data.mapping_start.tag);
		if (r < 0)
			return r;
		if (b->depth >= b->max_depth)
			return at(b, &ev->start_mark, -EINVAL, "nested deeper than %u levels",
				  b->max_depth);
		if (!(node = node_new(seq ? FL_YNODE_SEQ : FL_YNODE_MAP, &ev->start_mark)))
			return -ENOMEM;
		if ((r = attach(b, node, &ev->start_mark)) < 0)
			return r;
		b->key[b->depth] = NULL;
		b->stack[b->depth++] = node;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	default:
		return 0;
	}
}

int fl_ytree_load(const char *text, size_t len, unsigned max_depth, struct fl_ynode **ret,
		  struct fl_diag *diag)
{
	struct builder b = { .diag = diag, .max_depth = FL_MIN(max_depth, STACK_MAX) };
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	while (!done && r >= 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			if (parser.error == YAML_MEMORY_ERROR)
				r = -ENOMEM;
			else if (parser.error == YAML_READER_ERROR)
				/* The reader knows bytes, not lines. */
				r = fl_diag_set(diag, -EINVAL, "%s at byte %zu",
						parser.problem ? parser.problem : "invalid input",
						parser.problem_offset);
			else
				r = at(&b, &parser.problem_mark, -EINVAL, "%s%s%s",
				       parser.context ? parser.context : "",
				       parser.context ? ": " : "",
				       parser.problem ? parser.problem : "invalid YAML");
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = on_event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (unsigned d = 0; d < STACK_MAX; d++)
		b.key[d] = fl_ynode_free(b.key[d]); /* keys left waiting by an error */
	if (r < 0) {
		fl_ynode_free(b.root);
		return r;
	}
	if (!b.root)
		return -ENODATA;
	*ret = b.root;
	return 0;
}

/* ---- typing --------------------------------------------------------------------------- */

static bool one_of(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static bool all_digits(const char *s, int base)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;
		bool ok = base == 8    ? (c >= '0' && c <= '7')
			  : base == 10 ? (c >= '0' && c <= '9')
				       : ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
					  (c >= 'A' && c <= 'F'));
		if (!ok)
			return false;
	}
	return true;
}

/* [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+ -> base, digits start; 0 if not an integer. */
static int int_form(const char *s, const char **ret_digits)
{
	if (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, 8)) {
		*ret_digits = s + 2;
		return 8;
	}
	if (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, 16)) {
		*ret_digits = s + 2;
		return 16;
	}
	*ret_digits = s;
	return all_digits(s + (s[0] == '-' || s[0] == '+'), 10) ? 10 : 0;
}

/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and the .inf / .nan spellings. */
static bool is_float(const char *s)
{
	static const char *const inf[] = { ".inf", ".Inf", ".INF", NULL };
	static const char *const nan_words[] = { ".nan", ".NaN", ".NAN", NULL };
	bool digits = false;

	if (one_of(s, nan_words))
		return true;
	if (*s == '-' || *s == '+')
		s++;
	if (one_of(s, inf))
		return true;
	while (*s >= '0' && *s <= '9') {
		s++;
		digits = true;
	}
	if (*s == '.') {
		s++;
		while (*s >= '0' && *s <= '9') {
			s++;
			digits = true;
		}
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

enum fl_ytype fl_ynode_type(const struct fl_ynode *node)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const bools[] = {
		"true", "True", "TRUE", "false", "False", "FALSE", NULL
	};
	const char *digits;

	if (node->kind == FL_YNODE_MAP)
		return FL_YTYPE_MAP;
	if (node->kind == FL_YNODE_SEQ)
		return FL_YTYPE_SEQ;
	if (!node->plain || strlen(node->text) != node->len)
		return FL_YTYPE_STRING;
	if (one_of(node->text, nulls))
		return FL_YTYPE_NULL;
	if (one_of(node->text, bools))
		return FL_YTYPE_BOOL;
	if (int_form(node->text, &digits))
		return FL_YTYPE_INT;
	if (is_float(node->text))
		return FL_YTYPE_FLOAT;
	return FL_YTYPE_STRING;
}

const char *fl_ytype_desc(enum fl_ytype type)
{
	switch (type) {
	case FL_YTYPE_NULL:
		return "nothing (null)";
	case FL_YTYPE_BOOL:
		return "a boolean";
	case FL_YTYPE_INT:
		return "an integer";
	case FL_YTYPE_FLOAT:
		return "a number";
	case FL_YTYPE_STRING:
		return "a string";
	case FL_YTYPE_MAP:
		return "a mapping";
	case FL_YTYPE_SEQ:
		return "a list";
	}
	return "something else";
}

const struct fl_ynode *fl_ynode_get(const struct fl_ynode *map, const char *key)
{
	size_t len = strlen(key);

	if (!map || map->kind != FL_YNODE_MAP)
		return NULL;
	for (unsigned i = 0; i < map->n; i++)
		if (map->keys[i]->len == len && memcmp(map->keys[i]->text, key, len) == 0)
			return map->items[i];
	return NULL;
}

int fl_ynode_uint(const struct fl_ynode *node, uint64_t *ret)
{
	const char *digits;
	unsigned long long v;
	char *end;
	int base;

	if (fl_ynode_type(node) != FL_YTYPE_INT)
		return -EINVAL;
	base = int_form(node->text, &digits);
	if (digits[0] == '-')
		return -ERANGE;
	errno = 0;
	v = strtoull(digits, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	*ret = v;
	return 0;
}

int fl_ynode_int(const struct fl_ynode *node, int64_t *ret)
{
	const char *digits;
	long long v;
	char *end;
	int base;

	if (fl_ynode_type(node) != FL_YTYPE_INT)
		return -EINVAL;
	base = int_form(node->text, &digits);
	errno = 0;
	v = strtoll(digits, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	*ret = v;
	return 0;
}

int fl_ynode_number(const struct fl_ynode *node, double *ret)
{
	enum fl_ytype type = fl_ynode_type(node);
	const char *s = node->text, *digits;
	double sign = 1;
	int64_t i;
	uint64_t u;

	if (type == FL_YTYPE_INT) {
		if (fl_ynode_int(node, &i) == 0) {
			*ret = (double)i;
			return 0;
		}
		if (fl_ynode_uint(node, &u) == 0) {
			*ret = (double)u;
			return 0;
		}
		/* Beyond 64 bits: a decimal still reads as a (rounded) double. */
		if (int_form(s, &digits) == 10) {
			*ret = strtod(s, NULL);
			return 0;
		}
		return -ERANGE;
	}
	if (type != FL_YTYPE_FLOAT)
		return -EINVAL;
	if (*s == '-' || *s == '+') {
		sign = *s == '-' ? -1 : 1;
		s++;
	}
	if (s[0] == '.' && (s[1] == 'i' || s[1] == 'I')) {
		*ret = sign * INFINITY;
		return 0;
	}
	if (s[0] == '.' && (s[1] == 'n' || s[1] == 'N')) {
		*ret = NAN;
		return 0;
	}
	*ret = strtod(node->text, NULL);
	return 0;
}

static int scalar_to_json(const struct fl_ynode *node, json_t **ret)
{
	json_t *j = NULL;
	int64_t i;
	double d;

	switch (fl_ynode_type(node)) {
	case FL_YTYPE_NULL:
		j = json_null();
		break;
	case FL_YTYPE_BOOL:
		j = json_boolean(node->text[0] == 't' || node->text[0] == 'T');
		break;
	case FL_YTYPE_INT:
		if (fl_ynode_int(node, &i) == 0) {
			j = json_integer(i);
			break;
		}
		/* too large for an integer: a real */
		__attribute__((fallthrough));
	case FL_YTYPE_FLOAT:
		if (fl_ynode_number(node, &d) < 0 || !isfinite(d))
			j = json_stringn(node->text, node->len); /* JSON has no inf / nan */
		else
			j = json_real(d);
		break;
	default:
		j = json_stringn(node->text, node->len);
		break;
	}
	if (!j)
		return -ENOMEM;
	*ret = j;
	return 0;
}

int fl_ynode_to_json(const struct fl_ynode *node, json_t **ret)
{
	json_t *j, *item;
	int r;

	if (node->kind == FL_YNODE_SCALAR)
		return scalar_to_json(node, ret);
	j = node->kind == FL_YNODE_MAP ? json_object() : json_array();
	if (!j)
		return -ENOMEM;
	for (unsigned i = 0; i < node->n; i++) {
		if ((r = fl_ynode_to_json(node->items[i], &item)) < 0) {
			json_decref(j);
			return r;
		}
		r = node->kind == FL_YNODE_MAP
			    ? json_object_setn_new(j, node->keys[i]->text, node->keys[i]->len, item)
			    : json_array_append_new(j, item);
		if (r < 0) {
			json_decref(j);
			return -ENOMEM;
		}
	}
	*ret = j;
	return 0;
}
