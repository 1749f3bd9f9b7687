/* SPDX-License-Identifier: MIT */
/*
 * The controller's Kubernetes client against a real kube-apiserver (tests/lib/kube-api.sh):
 * the lab server's kubeconfig loaded by kubeconfig.c, /version, pods listed by label and
 * field selectors as the server selects them (set-based included), across pages, and the
 * API's errors — 403 for a user without rights, 404, a selector the server refuses, a CA
 * that does not sign the server — each a message naming the request and the reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fltest.h"
#include "kube.h"
#include "kube_pods.h"
#include "kubeconfig.h"
#include "kubetest.h"

KUBETEST_SERVER()

static void close_kube(void *k)
{
	fl_kube_close(k);
}

static struct fl_kube *open_admin(void)
{
	struct fl_kube_conn *conn = NULL;
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/kubeconfig", kubetest_dir());
	if (fl_kubeconfig_load(path, NULL, false, &conn, &diag) < 0)
		FL_FAIL("loading %s: %s", path, diag.msg);
	if (fl_kube_open(conn, &k, &diag) < 0)
		FL_FAIL("fl_kube_open: %s", diag.msg);
	fl_kube_conn_free(conn);
	fltest_defer(close_kube, k);
	return k;
}

static void call_ok(struct fl_kube *k, const char *method, const char *path, const char *body)
{
	struct fl_diag diag = { 0 };
	json_t *answer = NULL;

	if (fl_kube_call(k, method, path, body, NULL, &answer, &diag) < 0)
		FL_FAIL("%s %s: %s", method, path, diag.msg);
	json_decref(answer);
}

/* A namespace of its own, with the default ServiceAccount pods need on a server without
 * controllers. */
static void make_namespace(struct fl_kube *k, const char *ns)
{
	char body[256], path[256];

	(void)snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", ns);
	call_ok(k, "POST", "/api/v1/namespaces", body);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts", ns);
	call_ok(k, "POST", path, "{\"metadata\":{\"name\":\"default\"}}");
}

static void make_pod(struct fl_kube *k, const char *ns, const char *name, const char *labels)
{
	char body[1024], path[256];

	(void)snprintf(body, sizeof(body),
		       "{\"metadata\":{\"name\":\"%s\",\"labels\":{%s}},"
		       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"faultline/none\"}]}}",
		       name, labels);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	call_ok(k, "POST", path, body);
}

/* The names of the pods a selector finds, sorted, space-separated. */
static const char *names(struct fl_kube *k, const char *ns, const char *labels, const char *fields)
{
	static char out[4096];
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	char *v[64];
	size_t n = 0, o = 0;

	if (fl_kube_list_pods(k, ns, labels, fields, &pods, &diag) < 0)
		FL_FAIL("list %s / %s: %s", labels ? labels : "-", fields ? fields : "-", diag.msg);
	for (size_t i = 0; i < pods.n && n < 64; i++)
		v[n++] = pods.v[i].name;
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", i ? " " : "", v[i]);
	fl_kube_pods_clear(&pods);
	return out;
}

FLTEST(version_and_pods_by_selector)
{
	struct fl_kube *k = open_admin();
	struct fl_diag diag = { 0 };
	struct fl_kube_pods pods = { 0 };
	json_t *v = NULL;
	char ns[64];

	FL_ASSERT_EQ(fl_kube_call(k, "GET", "/version", NULL, NULL, &v, &diag), 0);
	FL_ASSERT_STREQ(json_string_value(json_object_get(v, "gitVersion")), "v1.37.2");
	json_decref(v);

	(void)snprintf(ns, sizeof(ns), "fl-sel-%d", (int)getpid());
	make_namespace(k, ns);
	make_pod(k, ns, "loader-0", "\"app\":\"loader\",\"tier\":\"batch\"");
	make_pod(k, ns, "loader-1", "\"app\":\"loader\",\"tier\":\"db\"");
	make_pod(k, ns, "connector", "\"app\":\"connector\",\"tier\":\"web\"");
	make_pod(k, ns, "kafka-0", "\"app\":\"kafka\"");

	FL_ASSERT_STREQ(names(k, ns, "app=loader", NULL), "loader-0 loader-1");
	FL_ASSERT_STREQ(names(k, ns, "app=loader,tier!=db", NULL), "loader-0");
	FL_ASSERT_STREQ(names(k, ns, "tier in (web,db)", NULL), "connector loader-1");
	FL_ASSERT_STREQ(names(k, ns, "!tier", NULL), "kafka-0");
	FL_ASSERT_STREQ(names(k, ns, NULL, "metadata.name=connector"), "connector");
	FL_ASSERT_STREQ(names(k, ns, "app=nothing", NULL), "");
	/* every namespace: ours are among them */
	FL_ASSERT_EQ(fl_kube_list_pods(k, NULL, "app=loader", NULL, &pods, &diag), 0);
	FL_ASSERT(pods.n >= 2);
	fl_kube_pods_clear(&pods);
	/* what a target needs: uid, phase; a bare server schedules nothing */
	FL_ASSERT_EQ(fl_kube_list_pods(k, ns, NULL, "metadata.name=kafka-0", &pods, &diag), 0);
	FL_ASSERT_EQ(pods.n, 1);
	FL_ASSERT(strlen(pods.v[0].uid) == 36);
	FL_ASSERT_STREQ(pods.v[0].namespace, ns);
	FL_ASSERT_STREQ(pods.v[0].phase, "Pending");
	FL_ASSERT(pods.v[0].node == NULL && !pods.v[0].ready && !pods.v[0].terminating);
	fl_kube_pods_clear(&pods);
}

FLTEST(a_list_longer_than_a_page_comes_whole)
{
	struct fl_kube *k = open_admin();
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	char ns[64], name[32];

	fltest_set_timeout(180);
	(void)snprintf(ns, sizeof(ns), "fl-page-%d", (int)getpid());
	make_namespace(k, ns);
	for (int i = 0; i < 620; i++) {
		(void)snprintf(name, sizeof(name), "p-%03d", i);
		make_pod(k, ns, name, "\"app\":\"many\"");
	}
	FL_ASSERT_EQ(fl_kube_list_pods(k, ns, "app=many", NULL, &pods, &diag), 0);
	FL_ASSERT_EQ(pods.n, 620); /* two pages of 500 */
	fl_kube_pods_clear(&pods);
}

FLTEST(api_errors_name_the_request_and_the_reason)
{
	struct fl_kube *k = open_admin(), *nobody = NULL;
	struct fl_kube_conn conn = { .server = (char *)kubetest_file("server") };
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	char ca[4096], token[128];
	json_t *v = NULL;
	int status = 0;
	FILE *f;
	size_t n;

	/* a user the server knows but RBAC lets do nothing */
	(void)snprintf(token, sizeof(token), "%s", kubetest_file("nobody.token"));
	(void)snprintf(ca, sizeof(ca), "%s/ca.crt", kubetest_dir());
	f = fopen(ca, "r");
	FL_ASSERT(f != NULL);
	n = fread(ca, 1, sizeof(ca) - 1, f);
	fclose(f);
	ca[n] = '\0';
	conn.server = strdup(kubetest_file("server"));
	conn.ca_pem = ca;
	conn.token = token;
	FL_ASSERT_EQ(fl_kube_open(&conn, &nobody, &diag), 0);
	FL_ASSERT_EQ(fl_kube_list_pods(nobody, "default", NULL, NULL, &pods, &diag), -EPERM);
	FL_ASSERT_CONTAINS(diag.msg,
			   "GET /api/v1/namespaces/default/pods?limit=500: 403 Forbidden: ");
	FL_ASSERT_CONTAINS(diag.msg, "User \"nobody\" cannot list resource \"pods\"");
	fl_kube_close(nobody);

	/* a wrong token is 401 */
	conn.token = "not-a-token";
	FL_ASSERT_EQ(fl_kube_open(&conn, &nobody, &diag), 0);
	FL_ASSERT_EQ(fl_kube_call(nobody, "GET", "/api/v1/pods", NULL, &status, &v, &diag),
		     -EACCES);
	FL_ASSERT_EQ(status, 401);
	FL_ASSERT_CONTAINS(diag.msg, "401 Unauthorized");
	fl_kube_close(nobody);

	/* the system's CAs do not sign the server's certificate */
	conn.ca_pem = NULL;
	conn.token = token;
	FL_ASSERT_EQ(fl_kube_open(&conn, &nobody, &diag), 0);
	FL_ASSERT_EQ(fl_kube_call(nobody, "GET", "/version", NULL, NULL, &v, &diag), -EPROTO);
	fltest_log("wrong CA: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "kubernetes https://127.0.0.1:");
	fl_kube_close(nobody);
	free(conn.server);

	/* 404, and a selector the server refuses */
	FL_ASSERT_EQ(fl_kube_call(k, "GET", "/api/v1/namespaces/fl-no-such-ns", NULL, &status, &v,
				  &diag),
		     -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "404 NotFound: namespaces \"fl-no-such-ns\" not found");
	FL_ASSERT(fl_kube_list_pods(k, "default", "app in (", NULL, &pods, &diag) < 0);
	fltest_log("bad selector: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "400");
	FL_ASSERT_EQ(pods.n, 0);
}
