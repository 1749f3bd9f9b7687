/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes API client (kube.h): the connection's PEM written where libcurl can read
 * it, requests through agent_client.c, answers parsed and errors explained, tries retried
 * (429, 5xx, transport) with back-off.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "fl/clock.h"
#include "fl/log.h"
#include "kube.h"
#include "kube_internal.h"

#define KUBE_TIMEOUT_MS 30000
#define KUBE_MAX_ANSWER (64u << 20) /* a list of 10,000 pods is ~50 MB of JSON */
#define QUOTED_BODY_MAX 200	    /* bytes of a non-JSON answer shown in a message */

struct fl_kube {
	struct fl_agent_client *http;
	char *server;
	char *who;    /* for a 401: whose credentials ("the bearer token of context x in F") */
	char dir[64]; /* the private directory of PEM files; "" when none was needed */
	struct fl_kube_retry retry;
	unsigned seed; /* the back-off's jitter */
};

/* pem into DIR/name (0600), the path into path[size]. */
static int write_pem(struct fl_kube *k, const char *name, const char *pem, char *path, size_t size,
		     struct fl_diag *diag)
{
	size_t len = strlen(pem);
	int fd;

	if (!k->dir[0]) {
		(void)snprintf(k->dir, sizeof(k->dir), "/tmp/faultline-kube-XXXXXX");
		if (!mkdtemp(k->dir)) {
			k->dir[0] = '\0';
			return fl_diag_set(diag, -errno,
					   "kubernetes: a private directory in /tmp: %s",
					   strerror(errno));
		}
	}
	(void)snprintf(path, size, "%s/%s", k->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pem, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;

		if (fd >= 0)
			close(fd);
		return fl_diag_set(diag, -e, "kubernetes: writing %s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

static void remove_dir(struct fl_kube *k)
{
	static const char *const names[] = { "ca.crt", "client.crt", "client.key" };
	char path[128];

	if (!k->dir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", k->dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(k->dir);
	k->dir[0] = '\0';
}

/* k->who: the credentials a 401 refused, and where they came from. */
static int describe_credentials(struct fl_kube *k, const struct fl_kube_conn *conn)
{
	const char *what = conn->token	    ? "the bearer token"
			   : conn->cert_pem ? "the client certificate"
					    : "no credentials (anonymous)";

	if (conn->context && conn->origin) {
		if (asprintf(&k->who, "%s of context \"%s\" in %s", what, conn->context,
			     conn->origin) < 0)
			k->who = NULL;
	} else {
		k->who = strdup(what);
	}
	return k->who ? 0 : -ENOMEM;
}

int fl_kube_open(const struct fl_kube_conn *conn, struct fl_kube **ret, struct fl_diag *diag)
{
	char ca[128] = "", cert[128] = "", key[128] = "";
	struct fl_agent_client_config cfg = { .address = conn->server,
					      .name = "kubernetes",
					      .bearer_token = conn->token,
					      .timeout_ms = KUBE_TIMEOUT_MS,
					      .max_response = KUBE_MAX_ANSWER };
	struct fl_kube *k;
	int r = 0;

	if (conn->insecure)
		return fl_diag_set(diag, -ENOTSUP,
				   "kubernetes %s: insecure-skip-tls-verify is "
				   "not supported: give the cluster's CA",
				   conn->server);
	k = calloc(1, sizeof(*k));
	if (!k || !(k->server = strdup(conn->server)) || describe_credentials(k, conn) < 0) {
		fl_kube_close(k);
		return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	}
	fl_kube_set_retry(k, NULL);
	k->seed = (unsigned)fl_now_mono_ns() ^ (unsigned)getpid();
	if (conn->ca_pem)
		r = write_pem(k, "ca.crt", conn->ca_pem, ca, sizeof(ca), diag);
	if (r == 0 && conn->cert_pem && conn->key_pem) {
		r = write_pem(k, "client.crt", conn->cert_pem, cert, sizeof(cert), diag);
		if (r == 0)
			r = write_pem(k, "client.key", conn->key_pem, key, sizeof(key), diag);
	}
	cfg.tls_ca = ca[0] ? ca : NULL;
	cfg.tls_cert = cert[0] ? cert : NULL;
	cfg.tls_key = key[0] ? key : NULL;
	if (r == 0)
		r = fl_agent_client_new(&cfg, &k->http, diag);
	if (r < 0) {
		fl_kube_close(k);
		return r;
	}
	*ret = k;
	return 0;
}

struct fl_kube *fl_kube_close(struct fl_kube *k)
{
	if (!k)
		return NULL;
	fl_agent_client_free(k->http);
	remove_dir(k);
	free(k->server);
	free(k->who);
	free(k);
	return NULL;
}

const char *fl_kube_server(const struct fl_kube *k)
{
	return k->server;
}

static int errno_for_status(int status)
{
	switch (status) {
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 410:
		return -ESTALE;
	case 422:
		return -EINVAL;
	case 429:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* The HTTP reason phrase, for answers without a Status (an APF 429 is plain text). */
static const char *status_text(int status)
{
	static const struct {
		int status;
		const char *text;
	} texts[] = { { 400, "Bad Request" },
		      { 401, "Unauthorized" },
		      { 403, "Forbidden" },
		      { 404, "Not Found" },
		      { 409, "Conflict" },
		      { 410, "Gone" },
		      { 422, "Unprocessable Entity" },
		      { 429, "Too Many Requests" },
		      { 500, "Internal Server Error" },
		      { 502, "Bad Gateway" },
		      { 503, "Service Unavailable" },
		      { 504, "Gateway Timeout" } };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (texts[i].status == status)
			return texts[i].text;
	return "";
}

/* "kubernetes SERVER: METHOD PATH: tail" in diag, the path cut (never the tail: the
 * server's reason is what a user acts on) when the whole would not fit. */
static int request_error(const struct fl_kube *k, const char *method, const char *path, int err,
			 const char *tail, struct fl_diag *diag)
{
	int room = FL_DIAG_MSG_MAX - 1 -
		   snprintf(NULL, 0, "kubernetes %s: %s : %s", k->server, method, tail);

	if (room < 24)
		room = 24;
	if (strlen(path) <= (size_t)room)
		return fl_diag_set(diag, err, "kubernetes %s: %s %s: %s", k->server, method, path,
				   tail);
	return fl_diag_set(diag, err, "kubernetes %s: %s %.*s...: %s", k->server, method, room - 3,
			   path, tail);
}

/* How much of a body a message quotes: QUOTED_BODY_MAX bytes at most, no trailing space. */
static int quoted_len(const char *text)
{
	size_t n = strnlen(text, QUOTED_BODY_MAX);

	while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' '))
		n--;
	return (int)n;
}

/* A non-2xx answer's tail: status, reason, the Status message whole (a 403's names the
 * RBAC verb and resource); for a 401, whose credentials were refused. */
static void status_tail(const struct fl_kube *k, int status, const json_t *answer, const char *text,
			char *tail, size_t size)
{
	const char *reason = json_string_value(json_object_get(answer, "reason"));
	const char *msg = json_string_value(json_object_get(answer, "message"));

	if (!reason || !reason[0])
		reason = status_text(status);
	if (status == 401)
		(void)snprintf(tail, size, "%d %s: the server refused %s%s%s", status, reason,
			       k->who, msg && strcmp(msg, reason) ? ": " : "",
			       msg && strcmp(msg, reason) ? msg : "");
	else if (msg)
		(void)snprintf(tail, size, "%d %s: %s", status, reason, msg);
	else if (!answer && text[0])
		(void)snprintf(tail, size, "%d %s: the answer is not a Status: \"%.*s\"", status,
			       reason, quoted_len(text), text);
	else
		(void)snprintf(tail, size, "%d %s: (no Status in the answer)", status, reason);
}

#ifdef FL_TEST_BUILD
int (*fl_kube_test_transport)(const struct fl_agent_call *call, struct fl_agent_answer *ret,
			      struct fl_diag *diag);
void (*fl_kube_test_sleep)(long ms);
#endif

static int transport(struct fl_kube *k, const struct fl_agent_call *call,
		     struct fl_agent_answer *ret, struct fl_diag *diag)
{
#ifdef FL_TEST_BUILD
	if (fl_kube_test_transport)
		return fl_kube_test_transport(call, ret, diag);
#endif
	return fl_agent_call(k->http, call, ret, diag);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

#ifdef FL_TEST_BUILD
	if (fl_kube_test_sleep) {
		fl_kube_test_sleep(ms);
		return;
	}
#endif
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct try_result {
	int status;	  /* 0: no answer */
	long retry_after; /* seconds; -1: none */
};

/* One try: the answer as JSON (*ret) or the error explained. */
static int try_once(struct fl_kube *k, const struct fl_agent_call *call, struct try_result *tr,
		    json_t **ret, struct fl_diag *diag)
{
	char tail[FL_DIAG_MSG_MAX];
	struct fl_agent_answer a;
	json_error_t jerr;
	json_t *answer;
	bool ok;
	int r;

	tr->status = 0;
	tr->retry_after = -1;
	r = transport(k, call, &a, diag);
	if (r < 0)
		return r;
	tr->status = a.status;
	tr->retry_after = a.retry_after;
	ok = a.status >= 200 && a.status <= 299;
	if (ok && call->on_data) {
		free(a.body); /* streamed */
		return 0;
	}
	answer = json_loads(a.body, JSON_REJECT_DUPLICATES, &jerr);
	if (ok && !answer) {
		r = fl_diag_set(diag, -EBADMSG,
				"kubernetes %s: %s %s: %d: the answer is not JSON (%s): \"%.*s\"",
				k->server, call->method, call->path, a.status, jerr.text,
				QUOTED_BODY_MAX, a.body);
	} else if (!ok) {
		status_tail(k, a.status, answer, a.body, tail, sizeof(tail));
		r = request_error(k, call->method, call->path, errno_for_status(a.status), tail,
				  diag);
	} else {
		*ret = answer;
		answer = NULL;
	}
	json_decref(answer);
	free(a.body);
	return r;
}

void fl_kube_set_retry(struct fl_kube *k, const struct fl_kube_retry *retry)
{
	k->retry.attempts = retry && retry->attempts > 0 ? retry->attempts : FL_KUBE_ATTEMPTS;
	k->retry.deadline_ms =
		retry && retry->deadline_ms > 0 ? retry->deadline_ms : FL_KUBE_DEADLINE_MS;
}

long fl_kube_backoff_ms(int attempt, unsigned rnd)
{
	long d = FL_KUBE_BACKOFF_FIRST_MS;

	for (int i = 1; i < attempt && d < FL_KUBE_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > FL_KUBE_BACKOFF_MAX_MS)
		d = FL_KUBE_BACKOFF_MAX_MS;
	return d / 2 + (long)(rnd % (unsigned)(d / 2 + 1));
}

/* Sending it twice does what sending it once does. */
static bool idempotent_method(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ||
	       strcmp(method, "DELETE") == 0;
}

/* Failures of the way there, not of the request: worth another try. */
static bool transient(int err)
{
	return err == -ECONNREFUSED || err == -ECONNRESET || err == -ETIMEDOUT ||
	       err == -EHOSTUNREACH;
}

bool fl_kube_should_retry(const char *method, bool idempotent, int status, int err,
			  long retry_after, int attempt, unsigned rnd, long *ret_wait_ms)
{
	bool again = idempotent || idempotent_method(method);

	if (status == 429) {
		/* refused before it was looked at: safe whatever the method */
		*ret_wait_ms =
			retry_after > 0 ? retry_after * 1000 : fl_kube_backoff_ms(attempt, rnd);
		if (*ret_wait_ms > FL_KUBE_RETRY_AFTER_MAX_MS)
			*ret_wait_ms = FL_KUBE_RETRY_AFTER_MAX_MS;
		return true;
	}
	if (!again)
		return false;
	if (status == 500 || status == 502 || status == 503 || status == 504 ||
	    (status == 0 && transient(err))) {
		*ret_wait_ms = fl_kube_backoff_ms(attempt, rnd);
		return true;
	}
	return false;
}

static void log_retry(const struct fl_kube *k, const struct fl_agent_call *call,
		      const struct try_result *tr, int err, long wait_ms, int next, int attempts,
		      const struct fl_diag *diag)
{
	char msg[160], request[256], q1[600], q2[FL_DIAG_MSG_MAX + 64];

	if (tr->status)
		(void)snprintf(msg, sizeof(msg),
			       "kubernetes: %d %s, retrying in %.1f s (attempt %d/%d)", tr->status,
			       status_text(tr->status), wait_ms / 1000.0, next, attempts);
	else
		(void)snprintf(msg, sizeof(msg),
			       "kubernetes: %s, retrying in %.1f s (attempt %d/%d)", strerror(-err),
			       wait_ms / 1000.0, next, attempts);
	(void)snprintf(request, sizeof(request), "%s %s", call->method, call->path);
	fl_log(LOG_WARNING, msg, "server=%s request=%s error=%s", k->server,
	       fl_log_quote(request, q1, sizeof(q1)),
	       fl_log_quote(diag ? diag->msg : "", q2, sizeof(q2)));
}

static long remaining_ms(uint64_t deadline)
{
	uint64_t now = fl_now_mono_ns();

	return now >= deadline ? 0 : (long)((deadline - now) / 1000000);
}

/* Tries until one succeeds, one fails for good, the tries or the deadline run out. */
static int call_with_retries(struct fl_kube *k, struct fl_agent_call *call, unsigned flags,
			     int *ret_status, json_t **ret, struct fl_diag *diag)
{
	int attempts = flags & FL_KUBE_NO_RETRY ? 1 : k->retry.attempts, attempt, r;
	uint64_t t0 = fl_now_mono_ns(), deadline = t0 + (uint64_t)k->retry.deadline_ms * 1000000;
	struct try_result tr;
	long wait = 0;

	for (attempt = 1;; attempt++) {
		call->timeout_ms = remaining_ms(deadline);
		if (call->timeout_ms > KUBE_TIMEOUT_MS)
			call->timeout_ms = KUBE_TIMEOUT_MS;
		if (call->timeout_ms < 1000)
			call->timeout_ms = 1000;
		r = try_once(k, call, &tr, ret, diag);
		if (ret_status && tr.status)
			*ret_status = tr.status;
		if (r >= 0 || attempt >= attempts ||
		    !fl_kube_should_retry(call->method, flags & FL_KUBE_IDEMPOTENT, tr.status, r,
					  tr.retry_after, attempt, (unsigned)rand_r(&k->seed),
					  &wait) ||
		    wait >= remaining_ms(deadline))
			break;
		log_retry(k, call, &tr, r, wait, attempt + 1, attempts, diag);
		sleep_ms(wait);
	}
	if (r < 0 && attempt > 1 && diag) {
		size_t n = strlen(diag->msg);

		(void)snprintf(diag->msg + n, sizeof(diag->msg) - n,
			       " (gave up after %d tries in %.1f s)", attempt,
			       (double)(fl_now_mono_ns() - t0) / 1e9);
	}
	return r;
}

int fl_kube_request(struct fl_kube *k, const char *method, const char *path, const char *body,
		    unsigned flags, int *ret_status, json_t **ret, struct fl_diag *diag)
{
	struct fl_agent_call call = { .method = method, .path = path, .json_body = body };

	return call_with_retries(k, &call, flags, ret_status, ret, diag);
}

int fl_kube_call(struct fl_kube *k, const char *method, const char *path, const char *body,
		 int *ret_status, json_t **ret, struct fl_diag *diag)
{
	return fl_kube_request(k, method, path, body, 0, ret_status, ret, diag);
}

int fl_kube_stream(struct fl_kube *k, const char *path, long timeout_ms,
		   int (*on_data)(void *opaque, const char *data, size_t len, struct fl_diag *diag),
		   void *opaque, int *ret_status, long *ret_retry_after, struct fl_diag *diag)
{
	struct fl_agent_call call = { .method = "GET",
				      .path = path,
				      .timeout_ms = timeout_ms,
				      .on_data = on_data,
				      .opaque = opaque };
	struct try_result tr;
	int r;

	r = try_once(k, &call, &tr, NULL, diag);
	if (ret_status)
		*ret_status = tr.status;
	if (ret_retry_after)
		*ret_retry_after = tr.retry_after;
	return r;
}
