/* SPDX-License-Identifier: MIT */
/*
 * `http` and `prometheus` probes over libcurl (http_probe.c). One easy handle per probe,
 * reused between samples (keeps the connection). http:// and https:// only, no redirects
 * followed, a sample's time limit is spec->timeout_ns (default 5s), response bodies above
 * FL_HTTP_PROBE_BODY_MAX are an error.
 *
 *   http        metrics status (the HTTP status code), latencyMs (total time), and with
 *               spec->json_field (an RFC 6901 JSON pointer, "/status/ok") value: a number,
 *               or a text metric for a string or boolean ("true"/"false"). A missing or
 *               null field is no data (-ENODATA); a body that is not JSON is an error.
 *   prometheus  GET {prometheus_url}/api/v1/query?query=<urlencoded spec->query> (an
 *               instant query at the server's now); metric value from a vector of one
 *               series or a scalar, NaN and ±Inf included (the verdict fails every numeric
 *               rule on NaN). Empty vector → no data (-ENODATA); several series → -ERANGE
 *               naming their number and the first one (the query must aggregate or select
 *               one); a string or matrix result → -EINVAL; "status": "error" → -EREMOTEIO
 *               with the HTTP status and Prometheus' errorType and error. Messages start
 *               "prometheus <url>, query '<query, cut at 48 bytes>': ". The series' labels
 *               go to sample->detail ({"labels": {...}}).
 * Transport failures (connection refused, timeout, TLS) are sample errors with curl's
 * text. Sample errors translate curl codes: -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 * -EFBIG (body too big), -EBADMSG (unparsable body), -EIO (other).
 */
#ifndef FL_HTTP_PROBE_H
#define FL_HTTP_PROBE_H

#include <jansson.h>

#include "experiment.h"
#include "fl/diag.h"
#include "probe.h"

#define FL_HTTP_PROBE_BODY_MAX (1024 * 1024)

/*
 * A probe for spec (FL_PROBE_HTTP or FL_PROBE_PROMETHEUS; borrowed, must outlive the
 * probe). -EINVAL with diag for a missing or non-http(s) URL, a missing query, an invalid
 * JSON pointer; -ENOMEM.
 */
int fl_http_probe_new(const struct fl_probe_spec *spec, struct fl_probe **ret,
		      struct fl_diag *diag) _wur_;

/*
 * RFC 6901: the value at pointer in doc (borrowed from doc). "" is the whole document.
 * -EINVAL when pointer is not a valid JSON pointer (does not start with "/", bad "~"
 * escape), -ENOENT when nothing is there (a missing key, an array index out of range or
 * not a canonical number, "-").
 */
int fl_json_pointer_get(const json_t *doc, const char *pointer, json_t **ret) _wur_;

/*
 * Parse a Prometheus /api/v1/query response body into ret ("value" metric, detail) — the
 * part of the prometheus probe that needs no network. Returns ret->err.
 */
int fl_prometheus_parse(const char *body, size_t len, long http_status, struct fl_sample *ret);

#endif
