/* SPDX-License-Identifier: MIT */
/* `http` and `prometheus` probes (http_probe.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "http_probe.h"

#define DEFAULT_TIMEOUT_NS (5ull * 1000 * 1000 * 1000)
#define URL_MAX		   4096
#define QUERY_MAX	   8192
#define METHOD_MAX	   16
#define QUERY_SHOWN	   48 /* bytes of a query quoted in messages */

struct http_probe {
	struct fl_probe base; /* first: the probe API hands out &base */
	CURL *curl;
	char *url;  /* what we GET (prometheus: with the encoded query) */
	char *what; /* "GET http://..." or "prometheus http://...": message prefix */
	char *body;
	size_t len, cap;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- JSON pointer (RFC 6901) ------------------------------------------------------- */

int fl_json_pointer_get(const json_t *doc, const char *pointer, json_t **ret)
{
	json_t *cur = (json_t *)doc;
	char token[256];

	if (!pointer || (pointer[0] && pointer[0] != '/'))
		return -EINVAL;
	const char *p = pointer;
	while (*p) {
		size_t len = 0;
		p++; /* the '/' */
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~') {
				if (*p == '0')
					c = '~';
				else if (*p == '1')
					c = '/';
				else
					return -EINVAL;
				p++;
			}
			if (len + 1 >= sizeof(token))
				return -EINVAL;
			token[len++] = c;
		}
		token[len] = '\0';
		if (json_is_object(cur)) {
			/* a key may hold NUL in JSON, never in a pointer we were given */
			cur = json_object_get(cur, token);
		} else if (json_is_array(cur)) {
			/* canonical decimal index: "0", "12"; not "01", "-", "+1" */
			if (len == 0 || (len > 1 && token[0] == '0') || len > 9)
				return -ENOENT;
			size_t idx = 0;
			for (size_t i = 0; i < len; i++) {
				if (!isdigit((unsigned char)token[i]))
					return -ENOENT;
				idx = idx * 10 + (size_t)(token[i] - '0');
			}
			cur = json_array_get(cur, idx);
		} else {
			cur = NULL;
		}
		if (!cur)
			return -ENOENT;
	}
	*ret = cur;
	return 0;
}

/* ---- Prometheus ---------------------------------------------------------------------- */

/* A printable excerpt of a body for messages. */
static void excerpt(const char *body, size_t len, char *buf, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n + 4 < size && i < 120; i++)
		buf[n++] = isprint((unsigned char)body[i]) ? body[i] : ' ';
	if (len > 120 && n + 4 < size) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
}

/* A bounded append: never overflows, always terminated; *len stops at size - 1. */
static void _printf_(4, 5) append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;

	if (*len + 1 >= size)
		return;
	va_start(ap, fmt);
	int r = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (r > 0)
		*len = FL_MIN(*len + (size_t)r, size - 1);
}

/* A series as PromQL writes it: up{instance="127.0.0.1:9100", job="node"} (cut at size). */
static void series_words(const json_t *labels, char *buf, size_t size)
{
	const char *name = json_string_value(json_object_get(labels, "__name__"));
	const char *key, *sep = "";
	size_t len = 0;
	json_t *v;

	buf[0] = '\0';
	append(buf, size, &len, "%s{", name ? name : "");
	json_object_foreach((json_t *)labels, key, v)
	{
		if (strcmp(key, "__name__") == 0)
			continue;
		append(buf, size, &len, "%s%s=\"%s\"", sep, key,
		       json_string_value(v) ? json_string_value(v) : "?");
		sep = ", ";
	}
	append(buf, size, &len, "}");
}

/*
 * value: [<unix time>, "<number as string>"]. NaN (0/0, a summary quantile without
 * observations) is a value, not an absence: the verdict fails every numeric rule on it
 * (verdict.h) — onNoData is for an empty result only.
 */
static int prom_value(const json_t *pair, struct fl_sample *ret)
{
	const char *text = json_string_value(json_array_get(pair, 1));
	char *end;

	if (!json_is_array(pair) || json_array_size(pair) != 2 || !text)
		return fl_sample_fail(
			ret, -EBADMSG,
			"value is not a [time, \"number\"] pair as the API documents");
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || *end || (errno == ERANGE && !isinf(v)))
		return fl_sample_fail(ret, -EBADMSG, "value \"%.40s\" is not a number", text);
	int r = fl_sample_set(ret, "value", v);
	if (r < 0)
		return fl_sample_fail(ret, r, "cannot record the value");
	return 0;
}

/* data.result of a vector: one series is a value; none is no data; more is an error. */
static int prom_vector(const json_t *result, struct fl_sample *ret)
{
	size_t n = json_array_size(result);
	char first[160];

	if (!json_is_array(result))
		return fl_sample_fail(ret, -EBADMSG, "data.result is not an array");
	if (n == 0)
		return fl_sample_fail(ret, -ENODATA, "empty vector (no series)");
	json_t *el = json_array_get(result, 0);
	json_t *labels = json_object_get(el, "metric");
	if (n > 1) {
		series_words(labels, first, sizeof(first));
		return fl_sample_fail(ret, -ERANGE,
				      "%zu series, the probe needs one: aggregate (sum, max, ...) "
				      "or select one by its labels; the first: %s",
				      n, first);
	}
	int r = prom_value(json_object_get(el, "value"), ret);
	if (r == 0 && json_is_object(labels))
		ret->detail = json_pack("{s:O}", "labels", labels);
	return r;
}

int fl_prometheus_parse(const char *body, size_t len, long http_status, struct fl_sample *ret)
{
	json_error_t jerr;
	char ex[160];
	int r;

	json_t *doc = json_loadb(body, len, 0, &jerr);
	if (!doc) {
		excerpt(body, len, ex, sizeof(ex));
		if (http_status != 200)
			return fl_sample_fail(ret, -EIO, "HTTP %ld: %s", http_status, ex);
		return fl_sample_fail(ret, -EBADMSG, "response is not JSON (%s): %s", jerr.text,
				      ex);
	}
	const char *status = json_string_value(json_object_get(doc, "status"));
	if (!status) {
		r = fl_sample_fail(ret, -EBADMSG, "HTTP %ld: response has no \"status\"",
				   http_status);
		goto out;
	}
	if (strcmp(status, "success") != 0) {
		/* the code first: a long error text may be cut at the end of the message */
		const char *type = json_string_value(json_object_get(doc, "errorType"));
		const char *error = json_string_value(json_object_get(doc, "error"));
		r = fl_sample_fail(ret, -EREMOTEIO, "Prometheus: HTTP %ld, %s%s%s", http_status,
				   type ? type : "", type ? ": " : "", error ? error : status);
		goto out;
	}
	json_t *data = json_object_get(doc, "data");
	const char *type = json_string_value(json_object_get(data, "resultType"));
	json_t *result = json_object_get(data, "result");
	if (!type || !result) {
		r = fl_sample_fail(ret, -EBADMSG, "response has no data.resultType/data.result");
		goto out;
	}
	if (strcmp(type, "scalar") == 0)
		r = prom_value(result, ret);
	else if (strcmp(type, "vector") == 0)
		r = prom_vector(result, ret);
	else
		r = fl_sample_fail(
			ret, -EINVAL,
			"resultType %.20s%s: the probe needs a vector of one series or a "
			"scalar",
			type, strcmp(type, "matrix") == 0 ? " (a range vector)" : "");
out:
	json_decref(doc);
	return r;
}

/* ---- the probe ------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct http_probe *hp = arg;
	size_t n = size * nmemb;

	if (hp->len + n > FL_HTTP_PROBE_BODY_MAX) {
		hp->too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (hp->len + n + 1 > hp->cap) {
		size_t cap = hp->cap ? hp->cap : 4096;
		while (cap < hp->len + n + 1)
			cap *= 2;
		char *body = realloc(hp->body, cap);
		if (!body)
			return 0;
		hp->body = body;
		hp->cap = cap;
	}
	memcpy(hp->body + hp->len, data, n);
	hp->len += n;
	hp->body[hp->len] = '\0';
	return n;
}

static int curl_errno(struct http_probe *hp, CURLcode rc)
{
	long os_errno = 0;

	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_WRITE_ERROR:
		return hp->too_big ? -EFBIG : -ENOMEM;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_COULDNT_CONNECT:
		if (curl_easy_getinfo(hp->curl, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK &&
		    os_errno > 0)
			return -(int)os_errno;
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static int sample_json_field(struct http_probe *hp, long code, struct fl_sample *ret)
{
	const char *field = hp->base.spec->json_field;
	json_error_t jerr;
	json_t *v;
	char ex[160];
	int r = 0;

	json_t *doc = json_loadb(hp->body ? hp->body : "", hp->len, JSON_DECODE_ANY, &jerr);
	if (!doc) {
		excerpt(hp->body ? hp->body : "", hp->len, ex, sizeof(ex));
		return fl_sample_fail(ret, -EBADMSG, "%s: HTTP %ld, body is not JSON (%s): %s",
				      hp->what, code, jerr.text, ex);
	}
	if (fl_json_pointer_get(doc, field, &v) < 0 || json_is_null(v)) {
		r = fl_sample_fail(ret, -ENODATA, "%s: HTTP %ld, no field %s in the response",
				   hp->what, code, field);
	} else if (json_is_number(v)) {
		r = fl_sample_set(ret, "value", json_number_value(v));
	} else if (json_is_string(v)) {
		r = fl_sample_set_text(ret, "value", json_string_value(v));
	} else if (json_is_boolean(v)) {
		r = fl_sample_set_text(ret, "value", json_is_true(v) ? "true" : "false");
	} else {
		r = fl_sample_fail(ret, -EBADMSG,
				   "%s: field %s is an %s, expected a number, string or boolean",
				   hp->what, field, json_is_object(v) ? "object" : "array");
	}
	json_decref(doc);
	return r;
}

static int http_probe_sample(struct fl_probe *probe, struct fl_sample *ret)
{
	struct http_probe *hp = (struct http_probe *)probe;
	const struct fl_probe_spec *spec = probe->spec;
	long code = 0;
	curl_off_t total_us = 0;
	int r;

	memset(ret, 0, sizeof(*ret));
	hp->len = 0;
	hp->too_big = false;
	hp->errbuf[0] = '\0';
	CURLcode rc = curl_easy_perform(hp->curl);
	ret->t_ms = wall_ms();
	if (rc != CURLE_OK) {
		if (rc == CURLE_WRITE_ERROR && hp->too_big)
			return fl_sample_fail(ret, -EFBIG, "%s: response body above %d bytes",
					      hp->what, FL_HTTP_PROBE_BODY_MAX);
		/* curl's text, and the system's when it knows the cause ("Connection refused") */
		r = curl_errno(hp, rc);
		return fl_sample_fail(ret, r, "%s: %s%s%s%s", hp->what,
				      hp->errbuf[0] ? hp->errbuf : curl_easy_strerror(rc),
				      rc == CURLE_COULDNT_CONNECT ? " (" : "",
				      rc == CURLE_COULDNT_CONNECT ? strerror(-r) : "",
				      rc == CURLE_COULDNT_CONNECT ? ")" : "");
	}
	(void)curl_easy_getinfo(hp->curl, CURLINFO_RESPONSE_CODE, &code);
	(void)curl_easy_getinfo(hp->curl, CURLINFO_TOTAL_TIME_T, &total_us);

	if (spec->type == FL_PROBE_PROMETHEUS) {
		r = fl_prometheus_parse(hp->body ? hp->body : "", hp->len, code, ret);
		if (r < 0) {
			char msg[sizeof(ret->error)];
			memcpy(msg, ret->error, sizeof(msg));
			fl_sample_fail(ret, r, "%s: %s", hp->what, msg);
		}
		return r;
	}
	if ((r = fl_sample_set(ret, "status", (double)code)) < 0 ||
	    (r = fl_sample_set(ret, "latencyMs", (double)total_us / 1000.0)) < 0)
		return fl_sample_fail(ret, r, "%s: cannot record metrics", hp->what);
	if (spec->json_field)
		return sample_json_field(hp, code, ret);
	return 0;
}

static void http_probe_free(struct fl_probe *probe)
{
	struct http_probe *hp = (struct http_probe *)probe;

	if (hp->curl)
		curl_easy_cleanup(hp->curl);
	free(hp->url);
	free(hp->what);
	free(hp->body);
	free(hp);
}

static const struct fl_probe_ops http_probe_ops = {
	.sample = http_probe_sample,
	.free = http_probe_free,
};

static bool http_url(const char *url)
{
	return url && strlen(url) < URL_MAX &&
	       (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0) &&
	       !strpbrk(url, " \t\r\n");
}

static int xasprintf(char **ret, const char *fmt, ...) _printf_(2, 3);
static int xasprintf(char **ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int r = vasprintf(ret, fmt, ap);
	va_end(ap);
	if (r < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

/*
 * What messages call the probe: "prometheus http://host:9090, query 'sum(up)'". The query
 * is cut to QUERY_SHOWN bytes (at a UTF-8 character boundary) and its runs of white space
 * (a multi-line YAML query) become one space: sample errors are 256 bytes, and
 * Prometheus' own error text must still fit after it.
 */
static int prometheus_what(struct http_probe *hp, const char *base, size_t blen, const char *query)
{
	char shown[QUERY_SHOWN + 4];
	size_t qlen = strlen(query), cut = qlen, n = 0;

	if (qlen > QUERY_SHOWN) {
		cut = QUERY_SHOWN;
		while (cut > 0 && ((unsigned char)query[cut] & 0xc0) == 0x80)
			cut--;
	}
	for (size_t i = 0; i < cut; i++) {
		unsigned char c = (unsigned char)query[i];
		bool space = isspace(c) || c < 0x20 || c == 0x7f;
		if (space && (n == 0 || shown[n - 1] == ' '))
			continue;
		shown[n++] = space ? ' ' : (char)c;
	}
	if (cut < qlen) {
		memcpy(shown + n, "...", 3);
		n += 3;
	}
	shown[n] = '\0';
	return xasprintf(&hp->what, "prometheus %.*s, query '%s'", (int)blen, base, shown);
}

/* The full query URL: base without trailing slashes + encoded query. */
static int prometheus_url(struct http_probe *hp, const struct fl_probe_spec *spec)
{
	size_t blen = strlen(spec->prometheus_url);

	while (blen > 0 && spec->prometheus_url[blen - 1] == '/')
		blen--;
	char *enc = curl_easy_escape(hp->curl, spec->query, (int)strlen(spec->query));
	if (!enc)
		return -ENOMEM;
	int r = xasprintf(&hp->url, "%.*s/api/v1/query?query=%s", (int)blen, spec->prometheus_url,
			  enc);
	curl_free(enc);
	if (r < 0)
		return r;
	return prometheus_what(hp, spec->prometheus_url, blen, spec->query);
}

/* An http probe's url, method and json pointer, as the parser checked them. */
static int check_http_spec(const struct fl_probe_spec *spec, const char *pname, const char *method,
			   struct fl_diag *diag)
{
	if (!http_url(spec->url))
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: url \"%.200s\" is not an http:// or https:// "
				   "URL (at most %d characters)",
				   pname, spec->url ? spec->url : "", URL_MAX - 1);
	size_t mlen = strlen(method);
	bool ok = mlen > 0 && mlen <= METHOD_MAX;
	for (size_t i = 0; ok && i < mlen; i++)
		ok = isupper((unsigned char)method[i]);
	if (!ok)
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: method \"%.40s\" is not an HTTP method (GET, "
				   "HEAD, POST, ...)",
				   pname, method);
	if (spec->json_field && spec->json_field[0] && spec->json_field[0] != '/')
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: json \"%.100s\" is not a JSON pointer (e.g. "
				   "\"/status/ok\")",
				   pname, spec->json_field);
	return 0;
}

/* The type and the fields it needs: an http probe's, or a prometheus probe's url and query. */
static int check_spec(const struct fl_probe_spec *spec, const char *pname, const char *method,
		      struct fl_diag *diag)
{
	if (spec->type == FL_PROBE_HTTP)
		return check_http_spec(spec, pname, method, diag);
	if (spec->type != FL_PROBE_PROMETHEUS)
		return fl_diag_set(diag, -EINVAL, "probe %s: not an http or prometheus probe",
				   pname);
	if (!http_url(spec->prometheus_url))
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: prometheus url \"%.200s\" is not an http:// "
				   "or https:// URL",
				   pname, spec->prometheus_url ? spec->prometheus_url : "");
	if (!spec->query || !spec->query[0] || strlen(spec->query) > QUERY_MAX)
		return fl_diag_set(diag, -EINVAL, "probe %s: query required (1 to %d characters)",
				   pname, QUERY_MAX);
	return 0;
}

#define SETOPT(opt, val)                                              \
	do {                                                          \
		if (curl_easy_setopt(hp->curl, opt, val) != CURLE_OK) \
			return -EINVAL;                               \
	} while (0)

/* The easy handle's options, in this order; -EINVAL when libcurl refuses one. */
static int set_options(struct http_probe *hp, const struct fl_probe_spec *spec, const char *method)
{
	uint64_t timeout_ns = spec->timeout_ns ? spec->timeout_ns : DEFAULT_TIMEOUT_NS;
	long timeout_ms = (long)FL_MAX(timeout_ns / 1000000, 1);

	SETOPT(CURLOPT_URL, hp->url);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_NOSIGNAL, 1L); /* probe threads: no SIGALRM for timeouts */
	SETOPT(CURLOPT_TIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, hp);
	SETOPT(CURLOPT_ERRORBUFFER, hp->errbuf);
	SETOPT(CURLOPT_USERAGENT, "faultline-probe");
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)FL_HTTP_PROBE_BODY_MAX);
	if (spec->type == FL_PROBE_HTTP && strcmp(method, "HEAD") == 0)
		SETOPT(CURLOPT_NOBODY, 1L);
	else if (spec->type == FL_PROBE_HTTP && strcmp(method, "GET") != 0)
		SETOPT(CURLOPT_CUSTOMREQUEST, method);
	return 0;
}

#undef SETOPT

int fl_http_probe_new(const struct fl_probe_spec *spec, struct fl_probe **ret, struct fl_diag *diag)
{
	const char *pname = spec->name ? spec->name : "?";
	const char *method = spec->method ? spec->method : "GET";
	int r;

	if ((r = check_spec(spec, pname, method, diag)) < 0)
		return r;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return fl_diag_set(diag, -ENOMEM, "libcurl: %s", curl_easy_strerror(global_rc));

	struct http_probe *hp = calloc(1, sizeof(*hp));
	if (!hp)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	hp->base.ops = &http_probe_ops;
	hp->base.spec = spec;
	hp->curl = curl_easy_init();
	if (!hp->curl) {
		r = -ENOMEM;
		goto fail;
	}
	if (spec->type == FL_PROBE_PROMETHEUS)
		r = prometheus_url(hp, spec);
	else if ((r = xasprintf(&hp->url, "%s", spec->url)) == 0)
		r = xasprintf(&hp->what, "%s %s", method, spec->url);
	if (r < 0 || (r = set_options(hp, spec, method)) < 0)
		goto fail;
	*ret = &hp->base;
	return 0;

fail:
	http_probe_free(&hp->base);
	if (r == -ENOMEM)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	return fl_diag_set(diag, r, "probe %s: libcurl refused an option", pname);
}
