/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP server (agent/src/http.c, libmicrohttpd + GnuTLS) against the controller's
 * client (controller/agentapi/agent_client.c, libcurl), for real: a unix socket and TLS on
 * 127.0.0.1 with certificates made at test time by certtool (gnutls-bin) — a CA, a server
 * certificate for 127.0.0.1/localhost, a client certificate from that CA, and a client
 * certificate from another CA. No root needed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "agent_client.h"
#include "fltest.h"
#include "http.h"
#include "testcerts.h"

#define MAX_BODY (64 * 1024)

/* ---- fixture: certificates, a server, an echo handler ------------------------------- */

static struct testcerts certs; /* its dir also holds the sockets */
static char sock_path[128];
static char tcp_url[64];

struct echo {
	atomic_uint calls;
	pthread_mutex_t lock;
	char last_peer[512];
};

static struct echo echo = { .lock = PTHREAD_MUTEX_INITIALIZER };
static struct fl_http_server *srv;

static void echo_handler(void *ctx, const struct fl_http_request *req,
			 struct fl_http_response *resp)
{
	struct echo *e = ctx;
	json_t *o;

	atomic_fetch_add(&e->calls, 1);
	pthread_mutex_lock(&e->lock);
	(void)snprintf(e->last_peer, sizeof(e->last_peer), "%s", req->peer);
	pthread_mutex_unlock(&e->lock);
	if (strcmp(req->path, "/missing") == 0) {
		fl_http_error(resp, 404, "no such resource");
		return;
	}
	if (strcmp(req->path, "/text") == 0) {
		resp->body = strdup("hello\n");
		resp->content_type = "text/plain; charset=utf-8";
		return;
	}
	o = json_pack("{s:s, s:s, s:s?, s:s%, s:I, s:s}", "method", req->method, "path", req->path,
		      "query", req->query, "body", req->body, req->body_len, "bodyLen",
		      (json_int_t)req->body_len, "peer", req->peer);
	resp->body = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
}

static const char *path_in_dir(const char *name)
{
	return testcerts_path(&certs, name);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	FL_ASSERT_MSG(f, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* ca, server, client, other-ca, other-client (testcerts.h) in a scratch dir */
static void make_certs(void)
{
	testcerts_make(&certs);
}

static void stop_server(void *arg)
{
	(void)arg;
	srv = fl_http_stop(srv);
}

/* Certificates, then the server on agent.sock and 127.0.0.1:<any port> with TLS. */
static void start(void)
{
	struct fl_http_config cfg = {
		.tcp_listen = "127.0.0.1:0",
		.max_body = MAX_BODY,
		.threads = 4,
	};
	struct fl_diag diag = { 0 };

	make_certs();
	(void)snprintf(sock_path, sizeof(sock_path), "%s/agent.sock", certs.dir);
	cfg.unix_path = sock_path;
	cfg.tls_cert = path_in_dir("server.pem");
	cfg.tls_key = path_in_dir("server.key");
	cfg.tls_client_ca = path_in_dir("ca.pem");
	FL_ASSERT_MSG(fl_http_start(&cfg, echo_handler, &echo, &srv, &diag) == 0, "start: %s",
		      diag.msg);
	fltest_defer(stop_server, NULL);
	FL_ASSERT(fl_http_tcp_port(srv) > 0);
	(void)snprintf(tcp_url, sizeof(tcp_url), "https://127.0.0.1:%u", fl_http_tcp_port(srv));
}

/* ---- clients ------------------------------------------------------------------------ */

static struct fl_agent_client *unix_client(void)
{
	char addr[160];
	struct fl_agent_client_config cfg = { .address = addr };
	struct fl_agent_client *c;
	struct fl_diag diag = { 0 };

	(void)snprintf(addr, sizeof(addr), "unix:%s", sock_path);
	FL_ASSERT_MSG(fl_agent_client_new(&cfg, &c, &diag) == 0, "%s", diag.msg);
	return c;
}

/* cert_name/key_name NULL: no client certificate. */
static struct fl_agent_client *tls_client(const char *cert_name, const char *key_name)
{
	struct fl_agent_client_config cfg = {
		.address = tcp_url,
		.tls_cert = cert_name ? path_in_dir(cert_name) : NULL,
		.tls_key = key_name ? path_in_dir(key_name) : NULL,
		.tls_ca = path_in_dir("ca.pem"),
		.timeout_ms = 10000,
	};
	struct fl_agent_client *c;
	struct fl_diag diag = { 0 };

	FL_ASSERT_MSG(fl_agent_client_new(&cfg, &c, &diag) == 0, "%s", diag.msg);
	return c;
}

/* A request that must get an HTTP answer; returns the status, body in *ret_body. */
static int request(struct fl_agent_client *c, const char *method, const char *path,
		   const char *body, char **ret_body)
{
	struct fl_diag diag = { 0 };
	int status = 0, r;
	char *resp = NULL;

	r = fl_agent_request(c, method, path, body, &status, &resp, &diag);
	FL_ASSERT_MSG(r == 0, "%s %s: %s", method, path, diag.msg);
	if (ret_body)
		*ret_body = resp;
	else
		free(resp);
	return status;
}

static const char *json_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ---- raw HTTP over the unix socket (what curl would not send) ----------------------- */

static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	FL_ASSERT(fd >= 0);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	FL_ASSERT_MSG(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "connect %s: %s",
		      sock_path, strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void raw_send(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the server may close early: what it answered is what counts */
		data += n;
		len -= (size_t)n;
	}
}

static void raw_send_str(int fd, const char *text)
{
	raw_send(fd, text, strlen(text));
}

/* Read until the server closes (or 5 s pass); the response text, NUL-terminated. */
static size_t raw_recv(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = recv(fd, buf + len, size - 1 - len, 0)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

static void assert_still_serving(void)
{
	struct fl_agent_client *c = unix_client();

	FL_ASSERT_EQ(request(c, "GET", "/v1/health", NULL, NULL), 200);
	fl_agent_client_free(c);
}

/* ---- tests -------------------------------------------------------------------------- */

FLTEST(unix_socket_serves_requests)
{
	struct fl_agent_client *c;
	struct stat st;
	json_error_t err;
	json_t *o;
	char *body;

	start();
	FL_ASSERT_OK(stat(sock_path, &st));
	FL_ASSERT(S_ISSOCK(st.st_mode));
	FL_ASSERT_EQ(st.st_mode & 0777, 0660);

	c = unix_client();
	FL_ASSERT_EQ(request(c, "POST", "/v1/faults?dry=1&x=%20y", "{\"kind\":\"loss\"}", &body),
		     200);
	o = json_loads(body, 0, &err);
	FL_ASSERT_MSG(o, "not JSON: %s", body);
	FL_ASSERT_STREQ(json_str(o, "method"), "POST");
	FL_ASSERT_STREQ(json_str(o, "path"), "/v1/faults");
	FL_ASSERT_STREQ(json_str(o, "query"), "dry=1&x=%20y");
	FL_ASSERT_STREQ(json_str(o, "body"), "{\"kind\":\"loss\"}");
	FL_ASSERT_STREQ(json_str(o, "peer"), "unix");
	json_decref(o);
	free(body);

	FL_ASSERT_EQ(request(c, "DELETE", "/v1/faults/abc", NULL, &body), 200);
	FL_ASSERT_CONTAINS(body, "\"method\":\"DELETE\"");
	FL_ASSERT_CONTAINS(body, "\"body\":\"\"");
	FL_ASSERT_CONTAINS(body, "\"query\":null");
	free(body);

	/* The handler's errors pass through as they are. */
	FL_ASSERT_EQ(request(c, "GET", "/missing", NULL, &body), 404);
	FL_ASSERT_STREQ(body, "{\"error\":\"no such resource\",\"status\":404}");
	free(body);
	fl_agent_client_free(c);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 3);
}

FLTEST(every_response_has_a_content_type)
{
	char buf[4096];
	int fd;

	start();
	fd = raw_connect();
	raw_send_str(fd, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	FL_ASSERT_CONTAINS(buf, "HTTP/1.1 200");
	FL_ASSERT_CONTAINS(buf, "Content-Type: application/json");

	fd = raw_connect();
	raw_send_str(fd, "GET /text HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	FL_ASSERT_CONTAINS(buf, "Content-Type: text/plain; charset=utf-8");
	FL_ASSERT_CONTAINS(buf, "\r\n\r\nhello\n");
}

FLTEST(tls_with_a_client_certificate_from_the_ca)
{
	struct fl_agent_client *c;
	char *body;

	start();
	c = tls_client("client.pem", "client.key");
	FL_ASSERT_EQ(request(c, "POST", "/v1/faults", "{}", &body), 200);
	FL_ASSERT_CONTAINS(body, "\"body\":\"{}\"");
	free(body);
	/* The handler saw the certificate's subject as the peer. */
	FL_ASSERT_CONTAINS(echo.last_peer, "CN=controller-test");
	FL_ASSERT_CONTAINS(echo.last_peer, "O=Faultline");
	fltest_log("peer as the handler saw it: %s", echo.last_peer);
	/* The connection is kept: a second request on it works too. */
	FL_ASSERT_EQ(request(c, "GET", "/v1/health", NULL, NULL), 200);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 2);
	fl_agent_client_free(c);
}

static void assert_refused(struct fl_agent_client *c, const char *what)
{
	struct fl_diag diag = { 0 };
	char *body = NULL;
	int status = 0, r;

	r = fl_agent_request(c, "POST", "/v1/faults", "{\"kind\":\"process-kill\"}", &status, &body,
			     &diag);
	if (r == 0) {
		fltest_log("%s: HTTP %d %s", what, status, body);
		FL_ASSERT_EQ(status, 403);
		FL_ASSERT_CONTAINS(body, "\"status\":403");
		free(body);
	} else {
		fltest_log("%s: refused at the connection: %s", what, diag.msg);
		FL_ASSERT_CONTAINS(diag.msg, tcp_url);
	}
	FL_ASSERT_MSG(atomic_load(&echo.calls) == 0, "%s: the handler ran", what);
}

FLTEST(tls_without_a_client_certificate_is_refused)
{
	struct fl_agent_client *c;

	start();
	c = tls_client(NULL, NULL);
	assert_refused(c, "no client certificate");
	fl_agent_client_free(c);
	assert_still_serving();
}

FLTEST(tls_with_a_certificate_from_another_ca_is_refused)
{
	struct fl_agent_client *c;

	start();
	c = tls_client("other-client.pem", "other-client.key");
	assert_refused(c, "certificate from another CA");
	fl_agent_client_free(c);
	/* The right certificate still works afterwards. */
	c = tls_client("client.pem", "client.key");
	FL_ASSERT_EQ(request(c, "GET", "/v1/health", NULL, NULL), 200);
	fl_agent_client_free(c);
}

FLTEST(client_checks_the_agent_certificate)
{
	struct fl_agent_client_config cfg = {
		.address = tcp_url,
		.tls_ca = NULL,
	};
	struct fl_agent_client *c;
	struct fl_diag diag = { 0 };
	char *body = NULL;
	int status = 0;

	start();
	/* Trusting only the other CA: the agent's certificate must not be accepted. */
	cfg.tls_cert = path_in_dir("client.pem");
	cfg.tls_key = path_in_dir("client.key");
	cfg.tls_ca = path_in_dir("other-ca.pem");
	FL_ASSERT_OK(fl_agent_client_new(&cfg, &c, &diag));
	FL_ASSERT_EQ(fl_agent_request(c, "GET", "/v1/health", NULL, &status, &body, &diag),
		     -EPROTO);
	FL_ASSERT_CONTAINS(diag.msg, tcp_url);
	FL_ASSERT_CONTAINS(diag.msg, "GET /v1/health");
	fltest_log("%s", diag.msg);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 0);
	fl_agent_client_free(c);
}

static void big_body(struct fl_agent_client *c, const char *what)
{
	size_t len = 10u * 1024 * 1024;
	char *big = malloc(len + 1), *body;
	double t0, ms;
	int status;

	FL_ASSERT(big);
	memset(big, 'x', len);
	big[len] = '\0';
	/* Connected (and TLS handshake done) first: time the 413 alone. */
	FL_ASSERT_EQ(request(c, "GET", "/v1/health", NULL, NULL), 200);
	t0 = now_ms();
	status = request(c, "POST", "/v1/faults", big, &body);
	ms = now_ms() - t0;
	free(big);
	fltest_log("%s: 10 MB body answered %d in %.1f ms", what, status, ms);
	FL_ASSERT_EQ(status, 413);
	FL_ASSERT_CONTAINS(body, "\"status\":413");
	FL_ASSERT_CONTAINS(body, "above the limit of 65536 bytes");
	free(body);
	FL_ASSERT_MSG(ms < 1000, "%s: 413 took %.0f ms", what, ms);
}

FLTEST(ten_megabyte_body_gets_413_at_once)
{
	struct fl_agent_client *c;
	char buf[4096];
	double t0;
	int fd;

	start();
	c = unix_client();
	big_body(c, "unix");
	fl_agent_client_free(c);
	c = tls_client("client.pem", "client.key");
	big_body(c, "tls");
	fl_agent_client_free(c);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 2); /* the two warm-up GETs only */

	/* A client that sends the body right away (no Expect: 100-continue): the 413 comes
	 * after the headers, without the server waiting for (or reading) the 10 MB. */
	fd = raw_connect();
	t0 = now_ms();
	raw_send(fd,
		 "POST /v1/faults HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
		 "Content-Length: 10485760\r\n\r\nxxxxxxxx",
		 strlen("POST /v1/faults HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
			"Content-Length: 10485760\r\n\r\nxxxxxxxx"));
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	fltest_log("raw: 413 after %.1f ms", now_ms() - t0);
	FL_ASSERT_CONTAINS(buf, "HTTP/1.1 413");
	FL_ASSERT_CONTAINS(buf, "Content-Type: application/json");
	FL_ASSERT_CONTAINS(buf, "\"status\":413");
	FL_ASSERT_EQ(atomic_load(&echo.calls), 2);
	assert_still_serving();

	/* A body just at the limit is delivered whole. */
	{
		char *exact = malloc(MAX_BODY + 1), *body;

		FL_ASSERT(exact);
		memset(exact, 'y', MAX_BODY);
		exact[MAX_BODY] = '\0';
		c = unix_client();
		FL_ASSERT_EQ(request(c, "POST", "/v1/faults", exact, &body), 200);
		FL_ASSERT_CONTAINS(body, "\"bodyLen\":65536");
		free(body);
		exact[MAX_BODY - 1] = '\0';
		FL_ASSERT_EQ(request(c, "PUT", "/v1/x", exact, &body), 200);
		FL_ASSERT_CONTAINS(body, "\"bodyLen\":65535");
		FL_ASSERT_CONTAINS(body, "\"method\":\"PUT\"");
		free(body);
		fl_agent_client_free(c);
		free(exact);
	}
}

FLTEST(chunked_body_over_the_limit_gets_413)
{
	static char chunk[8192 + 64], buf[4096];
	char head[32];
	int fd, n;

	start();
	fd = raw_connect();
	raw_send(fd, "POST /v1/faults HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		 strlen("POST /v1/faults HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
			"chunked\r\n\r\n"));
	n = snprintf(head, sizeof(head), "%x\r\n", 8192);
	memcpy(chunk, head, (size_t)n);
	memset(chunk + n, 'z', 8192);
	memcpy(chunk + n + 8192, "\r\n", 2);
	for (int i = 0; i < 12; i++) /* 96 KiB > 64 KiB */
		raw_send(fd, chunk, (size_t)n + 8192 + 2);
	raw_send(fd, "0\r\n\r\n", 5);
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	FL_ASSERT_CONTAINS(buf, "HTTP/1.1 413");
	FL_ASSERT_CONTAINS(buf, "\"status\":413");
	FL_ASSERT_EQ(atomic_load(&echo.calls), 0);

	/* One that never ends is cut off (not buffered, not read forever). */
	fd = raw_connect();
	raw_send(fd, "POST /v1/faults HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
		 strlen("POST /v1/faults HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
			"chunked\r\n\r\n"));
	for (int i = 0; i < 400; i++) /* 3.2 MiB */
		raw_send(fd, chunk, (size_t)n + 8192 + 2);
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 0);
	assert_still_serving();
}

FLTEST(malformed_http_is_answered_400_and_the_server_keeps_serving)
{
	static const char *const bad[] = {
		"GET /x NOTHTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /x\r\nHost: a\r\n\r\n",
		"GET /x HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
		"GET /x HTTP/1.1\r\nno colon here\r\n\r\n",
		"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	};
	char buf[4096];
	int fd;

	start();
	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++) {
		fd = raw_connect();
		raw_send_str(fd, bad[i]);
		raw_recv(fd, buf, sizeof(buf));
		close(fd);
		FL_ASSERT_MSG(strncmp(buf, "HTTP/1.1 400", 12) == 0,
			      "request %zu answered: \"%.60s\"", i, buf);
	}
	/* Not even a request line (no space): MHD 0.9.75 closes without an answer. */
	fd = raw_connect();
	raw_send_str(fd, "GARBAGE\r\n\r\n");
	raw_recv(fd, buf, sizeof(buf));
	close(fd);
	FL_ASSERT_MSG(buf[0] == '\0' || strncmp(buf, "HTTP/1.1 400", 12) == 0,
		      "GARBAGE answered: \"%.60s\"", buf);
	FL_ASSERT_EQ(atomic_load(&echo.calls), 0);
	assert_still_serving();
}

struct worker {
	bool tls;
	int requests;
	int ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct fl_agent_client *c = w->tls ? tls_client("client.pem", "client.key") : unix_client();
	char body[64], echoed[64];

	for (int i = 0; i < w->requests; i++) {
		struct fl_diag diag = { 0 };
		char *resp = NULL;
		int status = 0;

		(void)snprintf(body, sizeof(body), "{\"n\":%d}", i);
		(void)snprintf(echoed, sizeof(echoed), "{\\\"n\\\":%d}", i); /* as a JSON string */
		if (fl_agent_request(c, "POST", "/v1/faults", body, &status, &resp, &diag) == 0 &&
		    status == 200 && strstr(resp, echoed))
			w->ok++;
		free(resp);
	}
	fl_agent_client_free(c);
	return NULL;
}

FLTEST(concurrent_requests)
{
	struct worker workers[10];
	pthread_t threads[10];
	unsigned total = 0;
	double t0, ms;

	start();
	t0 = now_ms();
	for (int i = 0; i < 10; i++) {
		workers[i] = (struct worker){ .tls = i >= 8, .requests = i >= 8 ? 50 : 200 };
		FL_ASSERT(pthread_create(&threads[i], NULL, worker_main, &workers[i]) == 0);
	}
	for (int i = 0; i < 10; i++) {
		pthread_join(threads[i], NULL);
		FL_ASSERT_EQ(workers[i].ok, workers[i].requests);
		total += (unsigned)workers[i].requests;
	}
	ms = now_ms() - t0;
	fltest_log("%u requests from 10 threads (8 unix, 2 tls) in %.0f ms", total, ms);
	FL_ASSERT_EQ(atomic_load(&echo.calls), total);
}

FLTEST(requests_per_second_over_the_unix_socket)
{
	struct fl_agent_client *c;
	const int n = 3000;
	double t0, ms;

	start();
	c = unix_client();
	t0 = now_ms();
	for (int i = 0; i < n; i++)
		FL_ASSERT_EQ(request(c, "GET", "/v1/health", NULL, NULL), 200);
	ms = now_ms() - t0;
	fltest_log("%d sequential GETs over one keep-alive unix connection: %.0f requests/s", n,
		   n / (ms / 1000));
	fl_agent_client_free(c);
}

FLTEST(socket_file_life_cycle)
{
	struct fl_http_config cfg = { 0 };
	struct fl_http_server *s2 = NULL;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct fl_diag diag = { 0 };
	int fd;

	make_certs();
	/* A stale socket (nobody listens) is replaced. */
	cfg.unix_path = path_in_dir("stale.sock");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memcpy(sa.sun_path, cfg.unix_path, strlen(cfg.unix_path) + 1);
	FL_ASSERT_OK(bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
	close(fd);
	FL_ASSERT_MSG(fl_http_start(&cfg, echo_handler, &echo, &s2, &diag) == 0, "%s", diag.msg);
	/* A live one is not stolen. */
	{
		struct fl_http_server *s3 = NULL;

		FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s3, &diag), -EADDRINUSE);
		FL_ASSERT_CONTAINS(diag.msg, "another process is listening");
	}
	s2 = fl_http_stop(s2);
	FL_ASSERT(access(cfg.unix_path, F_OK) < 0); /* stop removed it */

	/* A regular file at the path is not deleted. */
	cfg.unix_path = path_in_dir("regular-file");
	write_file(cfg.unix_path, "keep me\n");
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s2, &diag), -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "is not a socket");
	FL_ASSERT_OK(access(cfg.unix_path, F_OK));
}

FLTEST(configuration_errors_name_the_problem)
{
	struct fl_http_config cfg = { .tcp_listen = "127.0.0.1:0" };
	struct fl_http_server *s = NULL;
	struct fl_diag diag = { 0 };

	make_certs();
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "needs a TLS certificate, key and client CA");

	cfg.tls_cert = path_in_dir("server.pem");
	cfg.tls_key = path_in_dir("no-such.key");
	cfg.tls_client_ca = path_in_dir("ca.pem");
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "no-such.key");

	cfg.tls_key = path_in_dir("client.key"); /* not the certificate's key */
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "server.pem");
	fltest_log("%s", diag.msg);

	cfg.tls_key = path_in_dir("server.key");
	cfg.tls_client_ca = path_in_dir("ca.tmpl"); /* not PEM */
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "ca.tmpl");

	cfg.tls_client_ca = path_in_dir("ca.pem");
	cfg.tcp_listen = "127.0.0.1";
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "is not ADDR:PORT");

	cfg.tcp_listen = NULL;
	FL_ASSERT_EQ(fl_http_start(&cfg, echo_handler, &echo, &s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "nothing to listen on");
	FL_ASSERT(s == NULL);
}

FLTEST(client_address_forms)
{
	static const struct {
		const char *address, *frag;
	} bad[] = {
		{ "http://127.0.0.1:9443", "plain http is not offered" },
		{ "unix:relative.sock", "expected unix:/absolute/path" },
		{ "https://host:1/v1", "expected https://HOST:PORT" },
		{ "10.0.0.1:9443", "expected unix:/path/to/agent.sock or https://HOST:PORT" },
	};
	struct fl_agent_client_config cfg = { 0 };
	struct fl_agent_client *c;
	struct fl_diag diag = { 0 };
	int status;
	char *body;

	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++) {
		cfg.address = bad[i].address;
		FL_ASSERT_EQ(fl_agent_client_new(&cfg, &c, &diag), -EINVAL);
		FL_ASSERT_CONTAINS(diag.msg, bad[i].frag);
	}
	cfg.address = "https://127.0.0.1:9443";
	cfg.tls_cert = "/nonexistent/client.pem";
	FL_ASSERT_EQ(fl_agent_client_new(&cfg, &c, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "/nonexistent/client.pem");

	/* Nobody listening: the error names the address and curl's text. */
	cfg = (struct fl_agent_client_config){ .address = "unix:/nonexistent/agent.sock" };
	FL_ASSERT_OK(fl_agent_client_new(&cfg, &c, &diag));
	FL_ASSERT(fl_agent_request(c, "GET", "/v1/health", NULL, &status, &body, &diag) < 0);
	FL_ASSERT_CONTAINS(diag.msg, "agent unix:/nonexistent/agent.sock: GET /v1/health: ");
	fltest_log("%s", diag.msg);
	FL_ASSERT_EQ(fl_agent_request(c, "get", "/v1/health", NULL, &status, &body, &diag),
		     -EINVAL);
	FL_ASSERT_EQ(fl_agent_request(c, "GET", "v1/health", NULL, &status, &body, &diag), -EINVAL);
	fl_agent_client_free(c);

	/* The client serves other servers (the Kubernetes API): their name in messages, and a
	 * bearer token that must stay one header line. */
	cfg = (struct fl_agent_client_config){ .address = "https://127.0.0.1:1",
					       .name = "kubernetes",
					       .bearer_token = "abc\r\nX-Evil: 1" };
	FL_ASSERT_EQ(fl_agent_client_new(&cfg, &c, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "kubernetes https://127.0.0.1:1: the bearer token is empty or "
				     "holds a line break");
	cfg.bearer_token = "abc";
	FL_ASSERT_OK(fl_agent_client_new(&cfg, &c, &diag));
	FL_ASSERT(fl_agent_request(c, "GET", "/version", NULL, &status, &body, &diag) < 0);
	FL_ASSERT_CONTAINS(diag.msg, "kubernetes https://127.0.0.1:1: GET /version: ");
	fl_agent_client_free(c);
}

FLTEST(error_body_helper)
{
	struct fl_http_response resp = { .status = 200, .body = strdup("old") };

	fl_http_error(&resp, 422, "delay line: \"quoted\"\nnew line");
	FL_ASSERT_EQ(resp.status, 422);
	FL_ASSERT_STREQ(resp.content_type, "application/json");
	FL_ASSERT_STREQ(resp.body,
			"{\"error\":\"delay line: \\\"quoted\\\"\\nnew line\",\"status\":422}");
	free(resp.body);
}
