/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes label and field selectors as experiments write them ("app=loader,tier!=db",
 * "env in (a,b)", "!canary", "status.phase=Running"): parsed with Kubernetes' own grammar
 * and limits so that a selector the API server would refuse is refused while the experiment
 * file is read — with the column of the offending character — and matched here too, for
 * what the server does not filter (watch events, the selector benchmark, tests).
 *
 * Label selector grammar (k8s.io/apimachinery labels.Parse, v0.37): requirements separated
 * by ',' (space, tab, CR and LF around tokens allowed; no trailing ','):
 *   key | !key | key=value | key==value | key!=value | key in (v,...) | key notin (v,...)
 *   | key>n | key<n
 * key: [prefix/]name — prefix a lowercase DNS-1123 subdomain (≤ 253), name ≤ 63 of
 * [A-Za-z0-9-_.] starting and ending alphanumeric; value: empty or the same as name; n: a
 * value that is a decimal int64. `in` and `notin` are keywords only where an operator is
 * expected ("in in (in)" is a selector). A list holds 1..N values, each possibly empty:
 * "x in ()" is x in (""), "(a,)" is (a, ""); duplicates are dropped (Kubernetes keeps a
 * set). An empty selector matches everything; the same key may appear twice (AND).
 * Field selector grammar (fields.ParseSelector): key=value | key==value | key!=value,
 * ','-separated, empty terms skipped; key [A-Za-z0-9._-]+ (the server then refuses fields
 * it does not know); values may be empty; '\' escapes ',' '=' '\' (nothing else) and an
 * unescaped '=' in a value is refused, as the API does.
 *
 * Ownership: struct fl_labelsel owns its requirements and strings — one block, returned new
 * by fl_labelsel_parse, at sel->reqs — freed by fl_labelsel_clear; build none by hand.
 */
#ifndef FL_LABELSEL_H
#define FL_LABELSEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fl/macro.h"

#define FL_LABELSEL_MAX_LEN  4096 /* a longer selector is refused */
#define FL_LABELSEL_MAX_REQS 64
#define FL_LABELSEL_MAX_VALS 64 /* values in one in/notin list */

enum fl_labelsel_op {
	FL_LSEL_EXISTS,	    /* key */
	FL_LSEL_NOT_EXISTS, /* !key */
	FL_LSEL_EQ,	    /* key=v, key==v */
	FL_LSEL_NE,	    /* key!=v (also matches pods without the key, as Kubernetes does) */
	FL_LSEL_IN,	    /* key in (...) */
	FL_LSEL_NOTIN,	    /* key notin (...) (also matches pods without the key) */
	FL_LSEL_GT,	    /* key>n: the pod's value is an integer greater than n */
	FL_LSEL_LT,	    /* key<n */
};

struct fl_labelsel_req {
	char *key;
	enum fl_labelsel_op op;
	char **values; /* EQ/NE/GT/LT: 1; IN/NOTIN: n_values ≥ 1, distinct; EXISTS/NOT_EXISTS: 0 */
	unsigned n_values;
};

struct fl_labelsel {
	struct fl_labelsel_req *reqs;
	unsigned n;
};

/* Why a selector was refused: the message and the 0-based byte offset it points at. */
struct fl_labelsel_error {
	size_t offset;
	char msg[160]; /* e.g. "label key \"Tier_\": name must end with a letter or digit" */
};

/*
 * Parse a label selector. Returns 0 and *ret (zeroed first; empty for ""), or -EINVAL with
 * *err (offset into s, message naming the token and what was expected), -ENOMEM.
 */
int fl_labelsel_parse(const char *s, struct fl_labelsel *ret, struct fl_labelsel_error *err) _wur_;
/* Whether labels (a JSON object of string values, e.g. a pod's metadata.labels; NULL: no
 * labels; a member that is not a string counts as absent) satisfy every requirement. */
bool fl_labelsel_match(const struct fl_labelsel *sel, const json_t *labels);
/* The selector as text that parses back to the same requirements ("x in (a,b),!y"; unless it
 * grows past FL_LABELSEL_MAX_LEN: "x in(a)" gains a space) into buf (cut, always
 * NUL-terminated when size > 0); returns the length the whole text needs, like snprintf. */
size_t fl_labelsel_format(const struct fl_labelsel *sel, char *buf, size_t size);
/* Free the requirements; *sel is empty after. */
void fl_labelsel_clear(struct fl_labelsel *sel);

/* Check a field selector's syntax (the server decides which fields exist). 0 or -EINVAL
 * with *err. */
int fl_fieldsel_check(const char *s, struct fl_labelsel_error *err) _wur_;

#endif
