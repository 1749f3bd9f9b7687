/* SPDX-License-Identifier: MIT */
/*
 * The query strings of the agent API ("GET /v1/pods?tcp=1"): which parameters a resource
 * takes, parsed strictly. A parameter the agent does not know is an error naming it, never
 * ignored: a request that carries one means something the agent would not do (a
 * "?dryRun=1" on an inject that then injects). Pure (no I/O, no globals); fuzzed.
 */
#ifndef FL_APIQUERY_H
#define FL_APIQUERY_H

#include <stdbool.h>

#include "fl/diag.h"

/* Bytes of a whole query string, and of one parameter's name or value once decoded. */
#define FL_API_QUERY_MAX       1024
#define FL_API_QUERY_VALUE_MAX 63

/* One parameter a resource takes: the caller sets name; the parser fills the rest. */
struct fl_api_param {
	const char *name;
	bool given;
	char value[FL_API_QUERY_VALUE_MAX + 1]; /* percent-decoded; "" for "tcp" and "tcp=" */
};

/*
 * Parse query (the raw text after '?': "tcp=1&x=%20y"; NULL or "" for none) of a request to
 * resource (named in messages: "GET /v1/pods") against params[0..n) (n may be 0: the
 * resource takes none). Pairs are separated by '&' (empty ones are skipped), names and values
 * percent-decoded ('+' is a space). Returns 0 with every given parameter marked, or -EINVAL
 * with diag — 'query: unknown parameters "x", "y" (GET /v1/pods takes tcp)', 'query: tcp
 * given twice', 'query: "%zz" is not a percent-escape (%XX, two hex digits)', a decoded NUL,
 * a name or value longer than FL_API_QUERY_VALUE_MAX, a query longer than FL_API_QUERY_MAX.
 * params are left unchanged on error.
 */
int fl_api_parse_query(const char *query, const char *resource, struct fl_api_param *params,
		       unsigned n, struct fl_diag *diag) _wur_;

/*
 * A parameter as a flag: "1" or "true" -> true, "0" or "false" -> false, absent -> false.
 * -EINVAL with diag otherwise: 'query: tcp="yes" is not 1, 0, true or false'.
 */
int fl_api_param_flag(const struct fl_api_param *p, bool *ret, struct fl_diag *diag) _wur_;

#endif
