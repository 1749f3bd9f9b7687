/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes client's retries and messages (kube.c) against a fake transport (the only
 * place 500/502/503/504 come from: a real API server does not answer them on demand;
 * tests/integration/test_kube_api.c covers 429, 401, 403, 404, 409, 410 and a stopped etcd
 * against the real one): which answers are tried again, after how long, how often, and
 * what the user reads when the tries run out.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "fltest.h"
#include "kube.h"
#include "kube_internal.h"

/* The fake server: a script of answers, one per try (status 0: a transport failure with
 * err), the tries it saw and the waits asked for. */
static struct {
	struct {
		int status, err;
		long retry_after;
		const char *body;
	} script[16];
	int n, tries;
	char methods[16][8];
	long waits[16];
	int nwaits;
} fake;

static int fake_transport(const struct fl_agent_call *call, struct fl_agent_answer *ret,
			  struct fl_diag *diag)
{
	int i = fake.tries < fake.n ? fake.tries : fake.n - 1;

	(void)snprintf(fake.methods[fake.tries % 16], sizeof(fake.methods[0]), "%s", call->method);
	fake.tries++;
	if (fake.script[i].status == 0)
		return fl_diag_set(diag, fake.script[i].err, "kubernetes fake: %s %s: failed",
				   call->method, call->path);
	ret->status = fake.script[i].status;
	ret->retry_after = fake.script[i].retry_after ? fake.script[i].retry_after : -1;
	ret->body = strdup(fake.script[i].body ? fake.script[i].body : "{}");
	return 0;
}

static void fake_sleep(long ms)
{
	if (fake.nwaits < 16)
		fake.waits[fake.nwaits++] = ms;
}

static void unhook(void *unused)
{
	(void)unused;
	fl_kube_test_transport = NULL;
	fl_kube_test_sleep = NULL;
}

static void close_kube(void *k)
{
	fl_kube_close(k);
}

/* A client whose tries go to the fake; answers as (status, body) pairs. */
static struct fl_kube *client(void)
{
	struct fl_kube_conn conn = { .server = "https://127.0.0.1:1",
				     .token = "t",
				     .context = "lab",
				     .origin = "/home/u/.kube/config" };
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;

	memset(&fake, 0, sizeof(fake));
	FL_ASSERT_MSG(fl_kube_open(&conn, &k, &diag) == 0, "open: %s", diag.msg);
	fltest_defer(close_kube, k);
	fl_kube_test_transport = fake_transport;
	fl_kube_test_sleep = fake_sleep;
	fltest_defer(unhook, NULL);
	return k;
}

static void answer(int status, long retry_after, const char *body)
{
	fake.script[fake.n].status = status;
	fake.script[fake.n].retry_after = retry_after;
	fake.script[fake.n].body = body;
	fake.n++;
}

static void fail_transport(int err)
{
	fake.script[fake.n].status = 0;
	fake.script[fake.n].err = err;
	fake.n++;
}

static int call(struct fl_kube *k, const char *method, unsigned flags, struct fl_diag *diag)
{
	json_t *v = NULL;
	int r = fl_kube_request(k, method, "/api/v1/namespaces/x/pods",
				method[0] == 'P' ? "{}" : NULL, flags, NULL, &v, diag);

	json_decref(v);
	return r;
}

FLTEST(backoff_doubles_from_200ms_to_5s_with_jitter)
{
	static const long want[] = { 200, 400, 800, 1600, 3200, 5000, 5000, 5000 };

	for (int a = 1; a <= 8; a++) {
		long d = want[a - 1];

		FL_ASSERT_EQ(fl_kube_backoff_ms(a, 0), d / 2);
		FL_ASSERT_EQ(fl_kube_backoff_ms(a, (unsigned)(d / 2)), d);
		for (unsigned rnd = 0; rnd < 100000; rnd += 997) {
			long w = fl_kube_backoff_ms(a, rnd * 2654435761u);
			FL_ASSERT_MSG(w >= d / 2 && w <= d, "attempt %d: %ld ms outside [%ld, %ld]",
				      a, w, d / 2, d);
		}
	}
	FL_ASSERT(fl_kube_backoff_ms(1000, ~0u) <= FL_KUBE_BACKOFF_MAX_MS);
}

FLTEST(what_is_retried_and_what_is_not)
{
	static const struct {
		const char *method;
		bool idem;
		int status, err;
		long retry_after, wait_min, wait_max; /* wait_min -1: not retried */
	} cases[] = {
		{ "GET", false, 503, 0, -1, 100, 200 },
		{ "GET", false, 500, 0, -1, 100, 200 },
		{ "DELETE", false, 502, 0, -1, 100, 200 },
		{ "GET", false, 504, 0, -1, 100, 200 },
		{ "GET", false, 501, 0, -1, -1, 0 },
		{ "POST", false, 503, 0, -1, -1, 0 },
		{ "PATCH", false, 500, 0, -1, -1, 0 },
		{ "POST", true, 503, 0, -1, 100, 200 },
		{ "POST", false, 429, 0, 3, 3000, 3000 },
		{ "GET", false, 429, 0, 60, 10000, 10000 },
		{ "GET", false, 429, 0, -1, 100, 200 },
		{ "GET", false, 400, 0, -1, -1, 0 },
		{ "GET", false, 401, 0, -1, -1, 0 },
		{ "GET", false, 403, 0, -1, -1, 0 },
		{ "GET", false, 404, 0, -1, -1, 0 },
		{ "GET", false, 409, 0, -1, -1, 0 },
		{ "GET", false, 410, 0, -1, -1, 0 },
		{ "GET", false, 0, -ECONNREFUSED, -1, 100, 200 },
		{ "GET", false, 0, -ECONNRESET, -1, 100, 200 },
		{ "GET", false, 0, -ETIMEDOUT, -1, 100, 200 },
		{ "POST", false, 0, -ECONNRESET, -1, -1, 0 },
		{ "GET", false, 0, -EPROTO, -1, -1, 0 },
		{ "GET", false, 0, -EFBIG, -1, -1, 0 },
		{ "GET", false, 200, -EBADMSG, -1, -1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long wait = -1;
		bool again =
			fl_kube_should_retry(cases[i].method, cases[i].idem, cases[i].status,
					     cases[i].err, cases[i].retry_after, 1, 12345, &wait);

		FL_ASSERT_MSG(again == (cases[i].wait_min >= 0), "case %zu (%s %d %d): %s", i,
			      cases[i].method, cases[i].status, cases[i].err,
			      again ? "retried" : "not retried");
		if (again)
			FL_ASSERT_MSG(wait >= cases[i].wait_min && wait <= cases[i].wait_max,
				      "case %zu: wait %ld", i, wait);
	}
}

FLTEST(a_get_through_two_503s_succeeds)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };

	answer(503, 0, "{\"kind\":\"Status\",\"reason\":\"ServiceUnavailable\",\"message\":\"x\"}");
	answer(503, 0, "not json");
	answer(200, 0, "{\"items\":[]}");
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), 0);
	FL_ASSERT_EQ(fake.tries, 3);
	FL_ASSERT_EQ(fake.nwaits, 2);
	FL_ASSERT(fake.waits[0] >= 100 && fake.waits[0] <= 200);
	FL_ASSERT(fake.waits[1] >= 200 && fake.waits[1] <= 400);
}

FLTEST(a_post_is_not_sent_again_after_a_5xx_unless_idempotent)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };

	answer(500, 0, "{\"kind\":\"Status\",\"reason\":\"InternalError\",\"message\":\"boom\"}");
	answer(201, 0, "{}");
	FL_ASSERT_EQ(call(k, "POST", 0, &diag), -EIO);
	FL_ASSERT_EQ(fake.tries, 1);
	FL_ASSERT_CONTAINS(diag.msg, "POST /api/v1/namespaces/x/pods: 500 InternalError: boom");
	fake.tries = 0;
	FL_ASSERT_EQ(call(k, "POST", FL_KUBE_IDEMPOTENT, &diag), 0);
	FL_ASSERT_EQ(fake.tries, 2);
}

FLTEST(a_429_waits_its_retry_after_and_a_plain_text_body_is_quoted)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };

	answer(429, 2, "Too many requests, please try again later.\n");
	answer(200, 0, "{}");
	FL_ASSERT_EQ(call(k, "POST", 0, &diag), 0); /* a 429 was not looked at: any method */
	FL_ASSERT_EQ(fake.nwaits, 1);
	FL_ASSERT_EQ(fake.waits[0], 2000);

	/* the tries run out: -EAGAIN, the answer and how long it was tried */
	k = client();
	fl_kube_set_retry(k, &(struct fl_kube_retry){ .attempts = 3 });
	answer(429, 1, "Too many requests, please try again later.\n");
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), -EAGAIN);
	FL_ASSERT_EQ(fake.tries, 3);
	FL_ASSERT_CONTAINS(diag.msg, "429 Too Many Requests: the answer is not a Status: "
				     "\"Too many requests, please try again later.");
	FL_ASSERT_CONTAINS(diag.msg, "(gave up after 3 tries in ");

	/* no retry asked: one try */
	fake.tries = 0;
	FL_ASSERT_EQ(call(k, "GET", FL_KUBE_NO_RETRY, &diag), -EAGAIN);
	FL_ASSERT_EQ(fake.tries, 1);
	FL_ASSERT(strstr(diag.msg, "gave up") == NULL);
}

FLTEST(the_deadline_bounds_tries_and_waits)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };

	/* Retry-After 10 s does not fit a 3 s deadline: no wait is made */
	fl_kube_set_retry(k, &(struct fl_kube_retry){ .attempts = 10, .deadline_ms = 3000 });
	answer(429, 10, "{}");
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), -EAGAIN);
	FL_ASSERT_EQ(fake.tries, 1);
	FL_ASSERT_EQ(fake.nwaits, 0);
}

FLTEST(transport_failures_are_retried_for_a_get_only)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };

	fail_transport(-ECONNREFUSED);
	fail_transport(-ECONNRESET);
	answer(200, 0, "{}");
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), 0);
	FL_ASSERT_EQ(fake.tries, 3);

	k = client();
	fail_transport(-ECONNRESET);
	FL_ASSERT_EQ(call(k, "PATCH", 0, &diag), -ECONNRESET);
	FL_ASSERT_EQ(fake.tries, 1);

	k = client();
	fail_transport(-EPROTO); /* a certificate does not get better */
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), -EPROTO);
	FL_ASSERT_EQ(fake.tries, 1);
}

FLTEST(a_401_names_the_credentials_and_a_403_keeps_the_whole_rbac_message)
{
	struct fl_kube *k = client();
	struct fl_diag diag = { 0 };
	static const char forbidden[] =
		"{\"kind\":\"Status\",\"reason\":\"Forbidden\",\"message\":\"pods is forbidden: "
		"User \\\"system:serviceaccount:faultline:controller\\\" cannot list resource "
		"\\\"pods\\\" in API group \\\"\\\" in the namespace \\\"default\\\"\"}";
	char path[3000];
	json_t *v = NULL;

	answer(401, 0,
	       "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"message\":\"Unauthorized\"}");
	FL_ASSERT_EQ(call(k, "GET", 0, &diag), -EACCES);
	FL_ASSERT_CONTAINS(diag.msg, "GET /api/v1/namespaces/x/pods: 401 Unauthorized: the server "
				     "refused the bearer token of context \"lab\" in "
				     "/home/u/.kube/config");
	FL_ASSERT_EQ(fake.tries, 1);

	/* a path of 3000 bytes is cut, the server's message is not */
	k = client();
	answer(403, 0, forbidden);
	memset(path, 'a', sizeof(path) - 1);
	memcpy(path, "/api/v1/pods?labelSelector=", 27);
	path[sizeof(path) - 1] = '\0';
	FL_ASSERT_EQ(fl_kube_call(k, "GET", path, NULL, NULL, &v, &diag), -EPERM);
	fltest_log("%s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "GET /api/v1/pods?labelSelector=aaa");
	FL_ASSERT_CONTAINS(diag.msg, "...: 403 Forbidden: pods is forbidden: User "
				     "\"system:serviceaccount:faultline:controller\" cannot list "
				     "resource \"pods\" in API group \"\" in the namespace "
				     "\"default\"");
	FL_ASSERT(strlen(diag.msg) < FL_DIAG_MSG_MAX);
}
