/* SPDX-License-Identifier: MIT */
/*
 * The http probe against a real HTTP server (libmicrohttpd) that each test starts on
 * 127.0.0.1 with a free port. The prometheus probe meets a real Prometheus in
 * test_prometheus.c; here only what a real one never answers (bodies that are not its
 * API's JSON, cut or malformed) and how the probe names itself in messages.
 * Needs no root; under CI=true a server that cannot start fails the test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fltest.h"
#include "http_probe.h"
#include "probe.h"
#include "verdict.h"

static struct MHD_Daemon *daemon_;
static unsigned port;
static unsigned connections; /* TCP connections accepted */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     const char *body)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* 2 MiB without a Content-Length (chunked): only the probe's own body bound stops it */
static ssize_t endless(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= 2 * 1024 * 1024)
		return MHD_CONTENT_READER_END_OF_STREAM;
	memset(buf, 'y', max);
	return (ssize_t)max;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	static int first;

	(void)cls, (void)method, (void)version, (void)upload, (void)upload_size;
	/* answer on the second call: a response queued before MHD saw the whole request is an
	 * "early response" after which MHD closes the connection (no keep-alive to test) */
	if (!*con_cls) {
		*con_cls = &first;
		return MHD_YES;
	}
	if (strcmp(url, "/health") == 0)
		return reply(conn, 200, "application/json",
			     "{\"status\":{\"ok\":true,\"code\":\"green\",\"load\":0.25,"
			     "\"none\":null,\"obj\":{}},\"items\":[10,20],\"a/b\":{\"m~n\":5}}");
	if (strcmp(url, "/500") == 0)
		return reply(conn, 500, "application/json", "{\"status\":{\"ok\":false}}");
	if (strcmp(url, "/html") == 0)
		return reply(conn, 200, "text/html", "<html>hello</html>");
	if (strcmp(url, "/slow") == 0) {
		usleep(1500 * 1000);
		return reply(conn, 200, "application/json", "{}");
	}
	if (strcmp(url, "/big") == 0) {
		size_t n = 2 * 1024 * 1024;
		char *big = malloc(n + 1);
		if (!big)
			return MHD_NO;
		memset(big, 'x', n);
		big[n] = '\0';
		enum MHD_Result r = reply(conn, 200, "text/plain", big);
		free(big);
		return r;
	}
	if (strcmp(url, "/chunked") == 0) {
		struct MHD_Response *resp = MHD_create_response_from_callback(
			MHD_SIZE_UNKNOWN, 16384, endless, NULL, NULL);
		if (!resp)
			return MHD_NO;
		enum MHD_Result r = MHD_queue_response(conn, 200, resp);
		MHD_destroy_response(resp);
		return r;
	}
	return reply(conn, 404, "text/plain", "not found");
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls, (void)conn, (void)socket_context;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&lock);
		connections++;
		pthread_mutex_unlock(&lock);
	}
}

static void stop_server(void *arg)
{
	(void)arg;
	if (daemon_)
		MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}

static void start_server(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	/* a pool of polling threads: the slow endpoint must not hold up the others */
	daemon_ =
		MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handle, NULL,
				 MHD_OPTION_SOCK_ADDR, &sin, MHD_OPTION_THREAD_POOL_SIZE, 4u,
				 MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
	FL_ASSERT_MSG(daemon_, "cannot start the HTTP server (libmicrohttpd) on 127.0.0.1");
	fltest_defer(stop_server, NULL);
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	FL_ASSERT(info && info->port);
	port = info->port;
}

/* Specs live in static storage: probes borrow them. */
static char url_buf[256];
static struct fl_probe_spec spec;

static struct fl_probe *http_probe(const char *path, const char *json_field, uint64_t timeout_ns)
{
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };

	snprintf(url_buf, sizeof(url_buf), "http://127.0.0.1:%u%s", port, path);
	spec = (struct fl_probe_spec){ .name = (char *)"health",
				       .type = FL_PROBE_HTTP,
				       .url = url_buf,
				       .json_field = (char *)json_field,
				       .timeout_ns = timeout_ns };
	FL_ASSERT_MSG(fl_http_probe_new(&spec, &probe, &diag) == 0, "%s", diag.msg);
	return probe;
}

static double num(const struct fl_sample *s, const char *name)
{
	const struct fl_metric *m = fl_sample_get(s, name);
	FL_ASSERT_MSG(m && !m->is_text, "no numeric %s", name);
	return m->value;
}

static const char *text(const struct fl_sample *s, const char *name)
{
	const struct fl_metric *m = fl_sample_get(s, name);
	FL_ASSERT_MSG(m && m->is_text, "no text %s", name);
	return m->text;
}

FLTEST(http_status_latency_and_connection_reuse)
{
	start_server();
	struct fl_probe *probe = http_probe("/health", NULL, 0);
	struct fl_sample s;

	for (int i = 0; i < 3; i++) {
		FL_ASSERT_MSG(probe->ops->sample(probe, &s) == 0, "%s", s.error);
		FL_ASSERT(num(&s, "status") == 200);
		double lat = num(&s, "latencyMs");
		FL_ASSERT(lat > 0 && lat < 1000);
		FL_ASSERT(fl_sample_get(&s, "value") == NULL);
	}
	fltest_log("3 samples, %u TCP connection(s), last latency %.3f ms", connections,
		   num(&s, "latencyMs"));
	FL_ASSERT_EQ(connections, 1); /* the easy handle is reused, and its connection */
	FL_ASSERT(s.t_ms > 1700000000000ull);
	probe->ops->free(probe);
}

FLTEST(http_json_field)
{
	start_server();
	static const struct {
		const char *pointer;
		double value;
		const char *text;
	} cases[] = {
		{ "/status/ok", 0, "true" },	{ "/status/code", 0, "green" },
		{ "/status/load", 0.25, NULL }, { "/items/1", 20, NULL },
		{ "/a~1b/m~0n", 5, NULL },
	};
	struct fl_sample s;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_probe *probe = http_probe("/health", cases[i].pointer, 0);
		FL_ASSERT_MSG(probe->ops->sample(probe, &s) == 0, "%s: %s", cases[i].pointer,
			      s.error);
		if (cases[i].text)
			FL_ASSERT_STREQ(text(&s, "value"), cases[i].text);
		else
			FL_ASSERT(num(&s, "value") == cases[i].value);
		FL_ASSERT(num(&s, "status") == 200);
		probe->ops->free(probe);
	}
	static const char *const missing[] = { "/status/nope", "/items/2", "/items/01", "/items/-",
					       "/status/none" };
	for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
		struct fl_probe *probe = http_probe("/health", missing[i], 0);
		FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ENODATA);
		char want[300];
		snprintf(want, sizeof(want), "GET %s: HTTP 200, no field %s in the response",
			 url_buf, missing[i]);
		FL_ASSERT_STREQ(s.error, want);
		probe->ops->free(probe);
	}
	struct fl_probe *probe = http_probe("/health", "/status/obj", 0);
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -EBADMSG);
	FL_ASSERT_CONTAINS(s.error, "field /status/obj is an object, expected a number, string or "
				    "boolean");
	probe->ops->free(probe);
}

FLTEST(http_500_is_data)
{
	start_server();
	struct fl_probe *probe = http_probe("/500", "/status/ok", 0);
	struct fl_sample s;

	FL_ASSERT_OK(probe->ops->sample(probe, &s));
	FL_ASSERT(num(&s, "status") == 500);
	FL_ASSERT_STREQ(text(&s, "value"), "false");
	/* judged: a status rule fails with the code */
	struct fl_tolerance t = { .has_equals = true, .equals = 200 };
	spec.tolerances = &t;
	spec.n_tolerances = 1;
	struct fl_verdict v;
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(v.message, "status 500 != 200 at ");
	probe->ops->free(probe);
}

FLTEST(http_non_json_body)
{
	start_server();
	struct fl_probe *probe = http_probe("/html", "/status", 0);
	struct fl_sample s;

	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -EBADMSG);
	FL_ASSERT_CONTAINS(s.error, ": HTTP 200, body is not JSON (");
	FL_ASSERT_CONTAINS(s.error, "<html>hello</html>");
	probe->ops->free(probe);
	/* without a json field the body does not matter */
	probe = http_probe("/html", NULL, 0);
	FL_ASSERT_OK(probe->ops->sample(probe, &s));
	probe->ops->free(probe);
}

FLTEST(http_timeout)
{
	start_server();
	struct fl_probe *probe = http_probe("/slow", NULL, 200ull * 1000 * 1000);
	struct fl_sample s;
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
	fltest_log("timeout 200ms: sample returned after %.0f ms: %s", ms, s.error);
	FL_ASSERT(ms >= 190 && ms < 1000);
	FL_ASSERT_CONTAINS(s.error, "timed out");
	probe->ops->free(probe);
}

FLTEST(http_body_too_big)
{
	start_server();
	struct fl_probe *probe = http_probe("/big", NULL, 0);
	struct fl_sample s;

	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -EFBIG); /* announced by Content-Length */
	fltest_log("%s", s.error);
	probe->ops->free(probe);
	probe = http_probe("/chunked", NULL, 0); /* counted while it arrives */
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -EFBIG);
	FL_ASSERT_CONTAINS(s.error, "response body above 1048576 bytes");
	fltest_log("%s", s.error);
	probe->ops->free(probe);
}

FLTEST(http_connection_refused)
{
	/* a port nobody listens on: bind one, note it, close it */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	FL_ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	port = ntohs(sin.sin_port);
	close(fd);

	struct fl_probe *probe = http_probe("/health", NULL, 0);
	struct fl_sample s;
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ECONNREFUSED);
	FL_ASSERT_CONTAINS(s.error, "GET http://127.0.0.1:");
	FL_ASSERT_CONTAINS(s.error, "Connection refused");
	fltest_log("%s", s.error);
	struct fl_verdict v;
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_ERROR);
	probe->ops->free(probe);
}

FLTEST(http_bad_specs)
{
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };

	spec = (struct fl_probe_spec){ .name = (char *)"x",
				       .type = FL_PROBE_HTTP,
				       .url = (char *)"file:///etc/passwd" };
	FL_ASSERT_EQ(fl_http_probe_new(&spec, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe x: url \"file:///etc/passwd\" is not an http:// or "
				  "https:// URL (at most 4095 characters)");
	spec.url = (char *)"http://127.0.0.1/";
	spec.method = (char *)"get";
	FL_ASSERT_EQ(fl_http_probe_new(&spec, &probe, &diag), -EINVAL);
	spec.method = NULL;
	spec.json_field = (char *)"status.ok";
	FL_ASSERT_EQ(fl_http_probe_new(&spec, &probe, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "is not a JSON pointer");
	spec = (struct fl_probe_spec){ .name = (char *)"p",
				       .type = FL_PROBE_PROMETHEUS,
				       .prometheus_url = (char *)"http://127.0.0.1:9090" };
	FL_ASSERT_EQ(fl_http_probe_new(&spec, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe p: query required (1 to 8192 characters)");
}

/* What a real Prometheus never sends: the parser's answers to broken bodies. */
FLTEST(prometheus_parse_without_network)
{
	static const struct {
		const char *body;
		long status;
		int err;
		const char *msg;
	} cases[] = {
		{ "<html>502 Bad Gateway</html>", 502, -EIO,
		  "HTTP 502: <html>502 Bad Gateway</html>" },
		{ "<html>ok</html>", 200, -EBADMSG, "response is not JSON (" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[", 200,
		  -EBADMSG, "response is not JSON (" },
		{ "{\"data\":{}}", 200, -EBADMSG, "HTTP 200: response has no \"status\"" },
		{ "{\"status\":\"success\"}", 200, -EBADMSG,
		  "response has no data.resultType/data.result" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
		  200, -EBADMSG, "data.result is not an array" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"x\"]"
		  "}}",
		  200, -EBADMSG, "value \"x\" is not a number" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,2]}}",
		  200, -EBADMSG, "value is not a [time, \"number\"] pair as the API documents" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{}]}}",
		  200, -EBADMSG, "value is not a [time, \"number\"] pair as the API documents" },
		{ "{\"status\":\"error\"}", 500, -EREMOTEIO, "Prometheus: HTTP 500, error" },
	};

	for (size_t i = 0; i < FL_ARRAY_SIZE(cases); i++) {
		struct fl_sample s = { 0 };
		int r = fl_prometheus_parse(cases[i].body, strlen(cases[i].body), cases[i].status,
					    &s);
		FL_ASSERT_MSG(r == cases[i].err, "%s: %d (%s), expected %d", cases[i].body, r,
			      s.error, cases[i].err);
		FL_ASSERT_EQ(s.err, r);
		FL_ASSERT_CONTAINS(s.error, cases[i].msg);
		fl_sample_reset(&s);
	}
}

/* NaN is a value the verdict judges (verdict.h), not "no data": onNoData is for an empty
 * result. The real server's NaN is in test_prometheus.c; this needs no server. */
FLTEST(prometheus_nan_is_a_value)
{
	static const char body[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
				   "\"result\":[{\"metric\":{},\"value\":[1,\"NaN\"]}]}}";
	struct fl_sample s = { 0 };

	FL_ASSERT_OK(fl_prometheus_parse(body, strlen(body), 200, &s));
	FL_ASSERT(isnan(num(&s, "value")));
	fl_sample_reset(&s);
}

/* The probe names the server and the query; a long or multi-line query is shortened. */
FLTEST(prometheus_message_names_the_query)
{
	static const struct {
		const char *query, *shown;
	} cases[] = {
		{ "up", "'up'" },
		{ "sum by (pod) (\n  rate(x_total[1m])\n)\n",
		  "'sum by (pod) ( rate(x_total[1m]) ) '" },
		/* 48 bytes, the 48th is the first byte of 'é': cut before it */
		{ "count(up{job=\"a-rather-long-job-name-here-xxxx\"é\"})",
		  "'count(up{job=\"a-rather-long-job-name-here-xxxx\"...'" },
	};
	static char base[64];
	struct fl_sample s;

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_OK(bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	FL_ASSERT_OK(getsockname(fd, (struct sockaddr *)&sin, &len));
	close(fd);
	snprintf(base, sizeof(base), "http://127.0.0.1:%u/", ntohs(sin.sin_port));
	for (size_t i = 0; i < FL_ARRAY_SIZE(cases); i++) {
		struct fl_probe *probe = NULL;
		struct fl_diag diag = { 0 };
		char want[256];

		spec = (struct fl_probe_spec){ .name = (char *)"prom",
					       .type = FL_PROBE_PROMETHEUS,
					       .prometheus_url = base,
					       .query = (char *)cases[i].query };
		FL_ASSERT_MSG(fl_http_probe_new(&spec, &probe, &diag) == 0, "%s", diag.msg);
		FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ECONNREFUSED);
		/* the base URL without its trailing slash */
		snprintf(want, sizeof(want), "prometheus %.*s, query %s: ", (int)strlen(base) - 1,
			 base, cases[i].shown);
		FL_ASSERT_MSG(strncmp(s.error, want, strlen(want)) == 0, "%s\nexpected: %s...",
			      s.error, want);
		probe->ops->free(probe);
	}
}

FLTEST(json_pointer_rfc6901)
{
	json_t *doc = json_loads("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"m~n\":8,\" \":7}",
				 0, NULL);
	json_t *v;

	FL_ASSERT(doc);
	FL_ASSERT_OK(fl_json_pointer_get(doc, "", &v));
	FL_ASSERT(v == doc);
	FL_ASSERT_OK(fl_json_pointer_get(doc, "/foo/0", &v));
	FL_ASSERT_STREQ(json_string_value(v), "bar");
	FL_ASSERT_OK(fl_json_pointer_get(doc, "/", &v)); /* the key "" */
	FL_ASSERT_EQ(json_integer_value(v), 0);
	FL_ASSERT_OK(fl_json_pointer_get(doc, "/a~1b", &v));
	FL_ASSERT_EQ(json_integer_value(v), 1);
	FL_ASSERT_OK(fl_json_pointer_get(doc, "/m~0n", &v));
	FL_ASSERT_EQ(json_integer_value(v), 8);
	FL_ASSERT_OK(fl_json_pointer_get(doc, "/ ", &v));
	FL_ASSERT_EQ(json_integer_value(v), 7);
	FL_ASSERT_EQ(fl_json_pointer_get(doc, "foo", &v), -EINVAL);
	FL_ASSERT_EQ(fl_json_pointer_get(doc, "/m~2n", &v), -EINVAL);
	FL_ASSERT_EQ(fl_json_pointer_get(doc, "/foo/2", &v), -ENOENT);
	FL_ASSERT_EQ(fl_json_pointer_get(doc, "/foo/-", &v), -ENOENT);
	FL_ASSERT_EQ(fl_json_pointer_get(doc, "/foo/0/x", &v), -ENOENT);
	json_decref(doc);
}
