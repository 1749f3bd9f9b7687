/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: label and field selectors (controller/util/labelsel.c). Whatever the
 * bytes, a refusal points inside the input with a message; an accepted selector keeps the
 * header's promises (counts, distinct list values, valid keys), formats to text that parses
 * back to the same requirements, and matches like Kubernetes: each requirement's opposite
 * (= and !=, in and notin, key and !key) gives the opposite answer on the same labels.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labelsel.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_error(const char *text, size_t len, const struct fl_labelsel_error *err)
{
	if (err->offset > len || !err->msg[0] || !memchr(err->msg, '\0', sizeof(err->msg))) {
		fprintf(stderr, "\"%s\": offset %zu of %zu, message \"%.160s\"\n", text,
			err->offset, len, err->msg);
		abort();
	}
}

static void check_shape(const struct fl_labelsel *sel)
{
	if (sel->n > FL_LABELSEL_MAX_REQS)
		abort();
	for (unsigned i = 0; i < sel->n; i++) {
		const struct fl_labelsel_req *r = &sel->reqs[i];
		bool unary = r->op == FL_LSEL_EXISTS || r->op == FL_LSEL_NOT_EXISTS;
		bool list = r->op == FL_LSEL_IN || r->op == FL_LSEL_NOTIN;

		if (!r->key[0] || (unary && r->n_values) || (!unary && !list && r->n_values != 1) ||
		    (list && (r->n_values < 1 || r->n_values > FL_LABELSEL_MAX_VALS)))
			abort();
		for (unsigned a = 0; a < r->n_values; a++)
			for (unsigned b = a + 1; b < r->n_values; b++)
				if (!strcmp(r->values[a], r->values[b]))
					abort();
	}
}

static bool same(const struct fl_labelsel *a, const struct fl_labelsel *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		const struct fl_labelsel_req *x = &a->reqs[i], *y = &b->reqs[i];

		if (strcmp(x->key, y->key) || x->op != y->op || x->n_values != y->n_values)
			return false;
		for (unsigned j = 0; j < x->n_values; j++)
			if (strcmp(x->values[j], y->values[j]))
				return false;
	}
	return true;
}

static void check_round_trip(const char *text, const struct fl_labelsel *sel)
{
	static char out[FL_LABELSEL_MAX_LEN * 2];
	struct fl_labelsel again;
	struct fl_labelsel_error err;
	size_t len = fl_labelsel_format(sel, out, sizeof(out));

	/* spaces and duplicates go, but "in(" gains one: at most a byte per requirement */
	if (len > strlen(text) + FL_LABELSEL_MAX_REQS || len != strlen(out))
		abort();
	if (len > FL_LABELSEL_MAX_LEN)
		return; /* over the limit the parser would (rightly) refuse it */
	if (fl_labelsel_parse(out, &again, &err) < 0) {
		fprintf(stderr, "\"%s\" formatted as \"%s\", refused: %s\n", text, out, err.msg);
		abort();
	}
	if (!same(sel, &again)) {
		fprintf(stderr, "\"%s\" formatted as \"%s\" parses differently\n", text, out);
		abort();
	}
	fl_labelsel_clear(&again);
}

static enum fl_labelsel_op opposite(enum fl_labelsel_op op)
{
	switch (op) {
	case FL_LSEL_EXISTS:
		return FL_LSEL_NOT_EXISTS;
	case FL_LSEL_NOT_EXISTS:
		return FL_LSEL_EXISTS;
	case FL_LSEL_EQ:
		return FL_LSEL_NE;
	case FL_LSEL_NE:
		return FL_LSEL_EQ;
	case FL_LSEL_IN:
		return FL_LSEL_NOTIN;
	case FL_LSEL_NOTIN:
		return FL_LSEL_IN;
	default:
		return op; /* > and < have no opposite (a non-integer fails both) */
	}
}

/* Label objects made from the selector's own keys and values, so requirements are met
 * and missed: none, each key with its first value, each key with "x". */
static void check_matching(struct fl_labelsel *sel)
{
	json_t *objs[3] = { json_object(), json_object(), json_object() };

	for (unsigned i = 0; i < sel->n; i++) {
		const struct fl_labelsel_req *r = &sel->reqs[i];

		json_object_set_new(objs[1], r->key, json_string(r->n_values ? r->values[0] : ""));
		json_object_set_new(objs[2], r->key, json_string("x"));
	}
	for (int o = 0; o < 3; o++) {
		bool all = fl_labelsel_match(sel, objs[o]);

		for (unsigned i = 0; i < sel->n; i++) {
			struct fl_labelsel_req one = sel->reqs[i];
			struct fl_labelsel single = { .reqs = &one, .n = 1 };
			bool m = fl_labelsel_match(&single, objs[o]);

			if (m == false && all)
				abort(); /* AND: every requirement holds when all do */
			if (one.op == FL_LSEL_GT || one.op == FL_LSEL_LT)
				continue;
			one.op = opposite(one.op);
			if (fl_labelsel_match(&single, objs[o]) == m)
				abort();
		}
	}
	if (fl_labelsel_match(sel, NULL) != fl_labelsel_match(sel, objs[0]))
		abort(); /* no labels at all and an empty object are the same */
	for (int o = 0; o < 3; o++)
		json_decref(objs[o]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[FL_LABELSEL_MAX_LEN + 2];
	struct fl_labelsel sel;
	struct fl_labelsel_error err;
	size_t len;

	/* a NUL ends the C string: what follows is never seen, as the YAML loader refuses it */
	len = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, len);
	text[len] = '\0';
	len = strlen(text);
	if (fl_fieldsel_check(text, &err) < 0)
		check_error(text, len, &err);
	if (fl_labelsel_parse(text, &sel, &err) < 0) {
		check_error(text, len, &err);
		if (sel.n || sel.reqs)
			abort();
		return 0;
	}
	check_shape(&sel);
	check_round_trip(text, &sel);
	check_matching(&sel);
	fl_labelsel_clear(&sel);
	return 0;
}
