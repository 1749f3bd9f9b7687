/* SPDX-License-Identifier: MIT */
/*
 * Kubernetes label and field selectors as experiments write them ("app=loader,tier!=db",
 * "env in (a,b)", "!canary", "status.phase=Running"): parsed with Kubernetes' own grammar
 * and limits so that a selector the API server would refuse is refused while the experiment
 * file is read — with the column of the offending character — and matched here too, for
 * what the server does not filter (watch events, the selector benchmark, tests).
 *
 * Label selector grammar (k8s.io/apimachinery labels.Parse): requirements separated by
 * ',' (spaces around tokens allowed):
 *   key | !key | key=value | key==value | key!=value | key in (v,...) | key notin (v,...)
 * key: [prefix/]name — prefix a DNS-1123 subdomain (≤ 253), name ≤ 63 of [A-Za-z0-9-_.]
 * starting and ending alphanumeric; value: empty or the same as name. An empty selector
 * matches everything. `in`/`notin` take 1..N values.
 * Field selector grammar: key=value | key==value | key!=value, ','-separated; key
 * [A-Za-z0-9.]+ ; values may be empty; '\' escapes ',' '=' '!' '\' as the API does.
 *
 * Ownership: struct fl_labelsel owns its requirements and strings (fl_labelsel_clear).
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
};

struct fl_labelsel_req {
	char *key;
	enum fl_labelsel_op op;
	char **values; /* EQ/NE: 1; IN/NOTIN: n_values ≥ 1; EXISTS/NOT_EXISTS: 0 */
	unsigned n_values;
};

struct fl_labelsel {
	struct fl_labelsel_req *reqs;
	unsigned n;
};

/* Why a selector was refused: the message and the 0-based byte offset it points at. */
struct fl_labelsel_error {
	size_t offset;
	char msg[160]; /* e.g. "\"tier!\" is not a label key: ..." */
};

/*
 * Parse a label selector. Returns 0 and *ret (zeroed first; empty for ""), or -EINVAL with
 * *err (offset into s, message naming the token and what was expected), -ENOMEM.
 */
int fl_labelsel_parse(const char *s, struct fl_labelsel *ret, struct fl_labelsel_error *err) _wur_;
/* Whether labels (a JSON object of string values, e.g. a pod's metadata.labels; NULL: no
 * labels) satisfy every requirement. */
bool fl_labelsel_match(const struct fl_labelsel *sel, const json_t *labels);
/* Free the requirements; *sel is empty after. */
void fl_labelsel_clear(struct fl_labelsel *sel);

/* Check a field selector's syntax (the server decides which fields exist). 0 or -EINVAL
 * with *err. */
int fl_fieldsel_check(const char *s, struct fl_labelsel_error *err) _wur_;

#endif
