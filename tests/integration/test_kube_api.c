/* SPDX-License-Identifier: MIT */
/*
 * The controller's Kubernetes client against a real kube-apiserver (tests/lib/kube-api.sh):
 * the lab server's kubeconfig loaded by kubeconfig.c, /version, pods listed by label and
 * field selectors as the server selects them (set-based included), across pages, and the
 * API's errors — 401 naming the credentials, 403 with the RBAC verb and resource, 404, 409,
 * 410 (a watch from a compacted resourceVersion), 429 (a real APF rejection, retried),
 * a selector the server refuses, a CA that does not sign the server, a frozen etcd — each a
 * message naming the request and the reason; watches (ADDED/MODIFIED/DELETED, bookmarks,
 * a server's timeout watched again) and waiting for pods.
 *
 * The server runs with --watch-cache-sizes=configmaps#0: configmaps are watched straight
 * from etcd, so compacting etcd (its v3 HTTP gateway, /v3/kv/compaction) makes a real 410;
 * pods keep the watch cache (bookmarks come from it).
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fl/clock.h"
#include "fltest.h"
#include "kube.h"
#include "kube_pods.h"
#include "kube_watch.h"
#include "kubeconfig.h"
#include "kubetest.h"

/* Before KUBETEST_SERVER's constructor (200) starts the server. */
__attribute__((constructor(150))) static void server_flags(void)
{
	(void)setenv("FL_KUBE_APISERVER_ARGS", "--watch-cache-sizes=configmaps#0", 0);
}

KUBETEST_SERVER()

static void close_kube(void *k)
{
	fl_kube_close(k);
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
	struct fl_kube *k = kubetest_admin();
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
	struct fl_kube *k = kubetest_admin();
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
	struct fl_kube *k = kubetest_admin(), *nobody = NULL;
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

static double since(uint64_t t0)
{
	return (double)(fl_now_mono_ns() - t0) / 1e9;
}

/* A client with the token given, the server's CA, and the context/origin a kubeconfig
 * would give (for the 401's message). */
static struct fl_kube *open_token(const char *token)
{
	static char ca[8192];
	char tok[1200];
	struct fl_kube_conn conn = { .token = tok,
				     .context = "faultline-test",
				     .origin = "/tmp/kubeconfig-of-the-test" };
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;
	char path[256], server[128];
	FILE *f;
	size_t n;

	(void)snprintf(tok, sizeof(tok), "%s", token); /* kubetest_file's buffer is reused */
	(void)snprintf(server, sizeof(server), "%s", kubetest_file("server"));
	conn.server = server;
	(void)snprintf(path, sizeof(path), "%s/ca.crt", kubetest_dir());
	f = fopen(path, "r");
	FL_ASSERT(f != NULL);
	n = fread(ca, 1, sizeof(ca) - 1, f);
	fclose(f);
	ca[n] = '\0';
	conn.ca_pem = ca;
	if (fl_kube_open(&conn, &k, &diag) < 0)
		FL_FAIL("fl_kube_open: %s", diag.msg);
	fltest_defer(close_kube, k);
	return k;
}

FLTEST(errors_401_403_409_carry_who_and_what)
{
	struct fl_kube *k = kubetest_admin(), *bad = open_token("not-a-token");
	struct fl_kube *nobody = open_token(kubetest_file("nobody.token"));
	struct fl_diag diag = { 0 };
	char ns[64], path[256], body[256];
	json_t *v = NULL;
	int status = 0;

	FL_ASSERT_EQ(fl_kube_call(bad, "GET", "/api/v1/namespaces/default/pods", NULL, &status, &v,
				  &diag),
		     -EACCES);
	fltest_log("401: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg,
			   "GET /api/v1/namespaces/default/pods: 401 Unauthorized: the "
			   "server refused the bearer token of context \"faultline-test\" "
			   "in /tmp/kubeconfig-of-the-test");
	FL_ASSERT(strstr(diag.msg, "gave up") == NULL); /* a 401 is not tried again */

	FL_ASSERT_EQ(fl_kube_call(nobody, "DELETE", "/api/v1/namespaces/kube-system/pods/x", NULL,
				  &status, &v, &diag),
		     -EPERM);
	fltest_log("403: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg,
			   "DELETE /api/v1/namespaces/kube-system/pods/x: 403 Forbidden: "
			   "pods \"x\" is forbidden: User \"nobody\" cannot delete resource "
			   "\"pods\" in API group \"\" in the namespace \"kube-system\"");

	(void)snprintf(ns, sizeof(ns), "fl-409-%d", (int)getpid());
	make_namespace(k, ns);
	(void)snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", ns);
	FL_ASSERT_EQ(fl_kube_call(k, "POST", "/api/v1/namespaces", body, &status, &v, &diag),
		     -EEXIST);
	FL_ASSERT_EQ(status, 409);
	FL_ASSERT_CONTAINS(diag.msg, "409 AlreadyExists: namespaces \"");
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/configmaps", ns);
	call_ok(k, "POST", path, "{\"metadata\":{\"name\":\"twice\"}}");
	FL_ASSERT_EQ(fl_kube_call(k, "POST", path, "{\"metadata\":{\"name\":\"twice\"}}", &status,
				  &v, &diag),
		     -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "409 AlreadyExists: configmaps \"twice\" already exists");
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods/missing", ns);
	FL_ASSERT_EQ(fl_kube_call(k, "GET", path, NULL, &status, &v, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "404 NotFound: pods \"missing\" not found");
}

struct seen {
	char types[64];
	char rv[FL_KUBE_RV_MAX];
	int n, stop_on_deleted;
};

static int record(void *opaque, const struct fl_kube_event *ev, struct fl_diag *diag)
{
	struct seen *s = opaque;

	(void)diag;
	if (s->n < 63)
		s->types[s->n++] = "AMDBE"[ev->type];
	if (ev->type == FL_KUBE_BOOKMARK)
		memcpy(s->rv, ev->rv, sizeof(s->rv));
	return s->stop_on_deleted && ev->type == FL_KUBE_DELETED ? 1 : 0;
}

/* The collection's resourceVersion now (a list of one). */
static void list_rv(struct fl_kube *k, const char *collection, char rv[FL_KUBE_RV_MAX])
{
	struct fl_diag diag = { 0 };
	char path[256];
	json_t *v = NULL;

	(void)snprintf(path, sizeof(path), "%s?limit=1", collection);
	if (fl_kube_call(k, "GET", path, NULL, NULL, &v, &diag) < 0)
		FL_FAIL("%s: %s", path, diag.msg);
	(void)snprintf(rv, FL_KUBE_RV_MAX, "%s",
		       json_string_value(
			       json_object_get(json_object_get(v, "metadata"), "resourceVersion")));
	json_decref(v);
}

FLTEST(a_watch_sees_added_modified_deleted)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_diag diag = { 0 };
	struct seen s = { .stop_on_deleted = 1 };
	char ns[64], coll[128], path[256], rv[FL_KUBE_RV_MAX];
	uint64_t t0;

	(void)snprintf(ns, sizeof(ns), "fl-watch-%d", (int)getpid());
	make_namespace(k, ns);
	(void)snprintf(coll, sizeof(coll), "/api/v1/namespaces/%s/configmaps", ns);
	list_rv(k, coll, rv);
	/* the changes come after rv: the watch replays them */
	call_ok(k, "POST", coll, "{\"metadata\":{\"name\":\"c1\"},\"data\":{\"k\":\"1\"}}");
	(void)snprintf(path, sizeof(path), "%s/c1", coll);
	call_ok(k, "PUT", path, "{\"metadata\":{\"name\":\"c1\"},\"data\":{\"k\":\"2\"}}");
	call_ok(k, "DELETE", path, NULL);
	t0 = fl_now_mono_ns();
	FL_ASSERT_MSG(fl_kube_watch(k, coll, rv, 10, record, &s, &diag) == 1, "%s", diag.msg);
	fltest_log("ADDED, MODIFIED, DELETED in %.3f s", since(t0));
	FL_ASSERT_STREQ(s.types, "AMD");
	FL_ASSERT(since(t0) < 5);
}

/* A pod created a little later, by a client of its own (one client per thread). */
struct later {
	char ns[64], name[32];
	int delay_ms;
	const char *method; /* "POST": create it; "DELETE": delete it at once */
};

static void *do_later(void *opaque)
{
	struct later *l = opaque;
	struct fl_kube_conn *conn = NULL;
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;
	char path[256], body[512];
	json_t *v = NULL;

	(void)snprintf(path, sizeof(path), "%s/kubeconfig", kubetest_dir());
	if (fl_kubeconfig_load(path, NULL, false, &conn, &diag) < 0 ||
	    fl_kube_open(conn, &k, &diag) < 0) {
		fprintf(stderr, "later: %s\n", diag.msg);
		fl_kube_conn_free(conn);
		return NULL;
	}
	fl_kube_conn_free(conn);
	(void)nanosleep(&(struct timespec){ l->delay_ms / 1000, (l->delay_ms % 1000) * 1000000L },
			NULL);
	if (strcmp(l->method, "POST") == 0) {
		(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", l->ns);
		(void)snprintf(body, sizeof(body),
			       "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"containers\":"
			       "[{\"name\":\"c\",\"image\":\"faultline/none\"}]}}",
			       l->name);
	} else {
		(void)snprintf(path, sizeof(path),
			       "/api/v1/namespaces/%s/pods/%s?gracePeriodSeconds=0", l->ns,
			       l->name);
	}
	if (fl_kube_call(k, l->method, path, strcmp(l->method, "POST") == 0 ? body : NULL, NULL, &v,
			 &diag) < 0)
		fprintf(stderr, "later: %s\n", diag.msg);
	json_decref(v);
	fl_kube_close(k);
	return NULL;
}

FLTEST(bookmarks_move_the_resource_version_and_a_timeout_ends_the_watch)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_diag diag = { 0 };
	struct seen s = { 0 };
	struct later l = { .name = "p-later", .delay_ms = 300, .method = "POST" };
	char coll[128], rv[FL_KUBE_RV_MAX];
	pthread_t th;
	uint64_t t0;
	int r;

	(void)snprintf(l.ns, sizeof(l.ns), "fl-bm-%d", (int)getpid());
	make_namespace(k, l.ns);
	(void)snprintf(coll, sizeof(coll), "/api/v1/namespaces/%s/pods", l.ns);
	list_rv(k, coll, rv);
	/* the watch cache sends bookmarks once it has moved past rv (this etcd sends no
	 * progress notifications): one pod created during the watch does it */
	FL_ASSERT_EQ(pthread_create(&th, NULL, do_later, &l), 0);
	t0 = fl_now_mono_ns();
	r = fl_kube_watch(k, coll, rv, 4, record, &s, &diag);
	pthread_join(th, NULL);
	fltest_log("timeoutSeconds=4: ended after %.2f s with %d, events %s, rv %s", since(t0), r,
		   s.types, rv);
	FL_ASSERT_MSG(r == 0, "%s", diag.msg); /* the server's timeout: watch again from rv */
	FL_ASSERT_EQ(s.types[0], 'A');
	FL_ASSERT_MSG(strchr(s.types, 'B') != NULL, "no BOOKMARK in %s", s.types);
	FL_ASSERT_STREQ(rv, s.rv); /* the last bookmark's */
	FL_ASSERT(since(t0) >= 3.5 && since(t0) < 8);
}

FLTEST(wait_pods_sees_a_pod_gone_across_watch_timeouts)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	struct later l = { .name = "victim", .delay_ms = 2500, .method = "DELETE" };
	struct fl_kube_wait w = { .labels = "app=victim",
				  .done = fl_kube_pods_uid_gone,
				  .timeout_ms = 15000,
				  .watch_s = 1 };
	pthread_t th;
	uint64_t t0;
	int r;

	(void)snprintf(l.ns, sizeof(l.ns), "fl-wait-%d", (int)getpid());
	w.namespace = l.ns;
	make_namespace(k, l.ns);
	make_pod(k, l.ns, "victim", "\"app\":\"victim\"");
	make_pod(k, l.ns, "bystander", "\"app\":\"victim\"");
	FL_ASSERT_EQ(fl_kube_list_pods(k, l.ns, NULL, "metadata.name=victim", &pods, &diag), 0);
	FL_ASSERT_EQ(pods.n, 1);
	w.opaque = strdup(pods.v[0].uid);
	fltest_defer(free, w.opaque);
	fl_kube_pods_clear(&pods);

	FL_ASSERT_EQ(pthread_create(&th, NULL, do_later, &l), 0);
	t0 = fl_now_mono_ns();
	r = fl_kube_wait_pods(k, &w, &pods, &diag);
	pthread_join(th, NULL);
	fltest_log("pod gone seen after %.2f s: lists %u, watches %u, events %u, bookmarks %u",
		   since(t0), w.lists, w.watches, w.events, w.bookmarks);
	FL_ASSERT_MSG(r == 0, "%s", diag.msg);
	FL_ASSERT_EQ(pods.n, 1);
	FL_ASSERT_STREQ(pods.v[0].name, "bystander");
	FL_ASSERT(w.watches >= 2); /* 1 s watches, the delete at 2.5 s: watched again */
	FL_ASSERT(since(t0) >= 2.4 && since(t0) < 6);
	fl_kube_pods_clear(&pods);

	/* never Ready (no kubelet): the deadline, saying what there was */
	size_t one = 1;
	w = (struct fl_kube_wait){ .namespace = l.ns,
				   .done = fl_kube_pods_ready_at_least,
				   .opaque = &one,
				   .timeout_ms = 2000,
				   .watch_s = 1 };
	t0 = fl_now_mono_ns();
	FL_ASSERT_EQ(fl_kube_wait_pods(k, &w, NULL, &diag), -ETIMEDOUT);
	fltest_log("%s (%.2f s)", diag.msg, since(t0));
	FL_ASSERT_CONTAINS(diag.msg, "1 pods, 0 Ready");
	FL_ASSERT(since(t0) < 4);
}

/* etcd's v3 HTTP gateway (port = the API server's + 1): POST a JSON body, the answer in
 * out[size]. */
static void etcd_post(const char *what, const char *body, char *out, size_t size)
{
	int port = (int)strtol(strrchr(kubetest_file("server"), ':') + 1, NULL, 10) + 1;
	char cmd[512];
	FILE *p;
	size_t n;

	(void)snprintf(cmd, sizeof(cmd), "curl -sf -X POST http://127.0.0.1:%d/v3/kv/%s -d '%s'",
		       port, what, body);
	p = popen(cmd, "r");
	FL_ASSERT(p != NULL);
	n = fread(out, 1, size - 1, p);
	out[n] = '\0';
	FL_ASSERT_MSG(pclose(p) == 0, "%s: %s", cmd, out);
}

FLTEST(a_watch_from_a_compacted_resource_version_is_410)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_diag diag = { 0 };
	struct seen s = { 0 };
	char ns[64], coll[128], rv[FL_KUBE_RV_MAX], old[FL_KUBE_RV_MAX], out[512], body[96];
	const char *rev;

	(void)snprintf(ns, sizeof(ns), "fl-410-%d", (int)getpid());
	make_namespace(k, ns);
	(void)snprintf(coll, sizeof(coll), "/api/v1/namespaces/%s/configmaps", ns);
	list_rv(k, coll, old);
	call_ok(k, "POST", coll, "{\"metadata\":{\"name\":\"c1\"}}");
	call_ok(k, "POST", coll, "{\"metadata\":{\"name\":\"c2\"}}");
	/* compact etcd up to now: old is gone from its history */
	etcd_post("range", "{\"key\":\"AA==\"}", out, sizeof(out));
	rev = strstr(out, "\"revision\":\"");
	FL_ASSERT_MSG(rev != NULL, "etcd range: %s", out);
	(void)snprintf(body, sizeof(body), "{\"revision\":\"%.*s\"}", (int)strcspn(rev + 12, "\""),
		       rev + 12);
	etcd_post("compaction", body, out, sizeof(out));

	memcpy(rv, old, sizeof(rv));
	FL_ASSERT_EQ(fl_kube_watch(k, coll, rv, 5, record, &s, &diag), -ESTALE);
	fltest_log("410: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "ERROR 410 Expired: The resourceVersion for the provided "
				     "watch is too old.");
	FL_ASSERT_EQ(s.n, 0);
	FL_ASSERT_STREQ(rv, old); /* unchanged: the caller lists again */
	/* listing again gives a resourceVersion the watch accepts */
	list_rv(k, coll, rv);
	FL_ASSERT_MSG(fl_kube_watch(k, coll, rv, 1, record, &s, &diag) == 0, "%s", diag.msg);
}

/* The 429 recipe (docs/kubernetes.md): API Priority and Fairness puts one service account
 * in a priority level of zero seats that rejects instead of queuing. Such a level still runs
 * one request when it runs none, so a request that holds its seat — a POST whose body comes
 * slowly, read by the handler inside the seat — makes every other request of that account
 * a real 429 (plain text, Retry-After: 1) until the POST ends. */
struct jail {
	struct fl_kube *admin;
	char name[64];
};

static void unjail(void *opaque)
{
	struct jail *j = opaque;
	char path[256];
	struct fl_diag diag = { 0 };
	json_t *v = NULL;

	(void)snprintf(path, sizeof(path), "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas/%s",
		       j->name);
	if (fl_kube_call(j->admin, "DELETE", path, NULL, NULL, &v, &diag) < 0)
		fprintf(stderr, "unjail: %s\n", diag.msg);
	json_decref(v);
	(void)snprintf(path, sizeof(path),
		       "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations/%s",
		       j->name);
	if (fl_kube_call(j->admin, "DELETE", path, NULL, NULL, &v, &diag) < 0)
		fprintf(stderr, "unjail: %s\n", diag.msg);
	json_decref(v);
}

/* A service account of ns with rights on pods and configmaps, its token into token[size]. */
static void jailed_account(struct fl_kube *k, const char *ns, struct jail *j, char *token,
			   size_t size)
{
	char path[256], body[1024];
	struct fl_diag diag = { 0 };
	json_t *v = NULL;

	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts", ns);
	call_ok(k, "POST", path, "{\"metadata\":{\"name\":\"jailed\"}}");
	(void)snprintf(path, sizeof(path), "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/roles",
		       ns);
	call_ok(k, "POST", path,
		"{\"metadata\":{\"name\":\"r\"},\"rules\":[{\"apiGroups\":[\"\"],\"resources\":"
		"[\"pods\",\"configmaps\"],\"verbs\":[\"get\",\"list\",\"create\"]}]}");
	(void)snprintf(path, sizeof(path),
		       "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings", ns);
	(void)snprintf(body, sizeof(body),
		       "{\"metadata\":{\"name\":\"r\"},\"roleRef\":{\"apiGroup\":"
		       "\"rbac.authorization.k8s.io\",\"kind\":\"Role\",\"name\":\"r\"},"
		       "\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"jailed\","
		       "\"namespace\":\"%s\"}]}",
		       ns);
	call_ok(k, "POST", path, body);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/serviceaccounts/jailed/token",
		       ns);
	if (fl_kube_call(k, "POST", path, "{\"spec\":{\"expirationSeconds\":600}}", NULL, &v,
			 &diag) < 0)
		FL_FAIL("TokenRequest: %s", diag.msg);
	(void)snprintf(token, size, "%s",
		       json_string_value(json_object_get(json_object_get(v, "status"), "token")));
	json_decref(v);

	j->admin = k;
	(void)snprintf(j->name, sizeof(j->name), "%s", ns);
	call_ok(k, "POST", "/apis/flowcontrol.apiserver.k8s.io/v1/prioritylevelconfigurations",
		(snprintf(body, sizeof(body),
			  "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"type\":\"Limited\","
			  "\"limited\":{\"nominalConcurrencyShares\":0,\"lendablePercent\":0,"
			  "\"borrowingLimitPercent\":0,\"limitResponse\":{\"type\":\"Reject\"}}}}",
			  ns),
		 body));
	fltest_defer(unjail, j);
	call_ok(k, "POST", "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas",
		(snprintf(
			 body, sizeof(body),
			 "{\"metadata\":{\"name\":\"%s\"},\"spec\":{\"priorityLevelConfiguration\":"
			 "{\"name\":\"%s\"},\"matchingPrecedence\":100,\"distinguisherMethod\":"
			 "{\"type\":\"ByUser\"},\"rules\":[{\"subjects\":[{\"kind\":"
			 "\"ServiceAccount\",\"serviceAccount\":{\"name\":\"jailed\",\"namespace\":"
			 "\"%s\"}}],\"resourceRules\":[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],"
			 "\"resources\":[\"*\"],\"namespaces\":[\"*\"]}]}]}}",
			 ns, ns, ns),
		 body));
}

/* The seat holder: a POST whose body waits for release. */
struct holder {
	char url[256], auth[1200], ca[256];
	volatile int release, sent;
	long status;
};

static size_t slow_body(char *buf, size_t size, size_t n, void *opaque)
{
	static const char body[] = "{\"metadata\":{\"name\":\"held\"}}";
	struct holder *h = opaque;

	(void)size;
	(void)n;
	while (!h->release)
		(void)nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	if (h->sent)
		return 0;
	h->sent = 1;
	memcpy(buf, body, sizeof(body) - 1);
	return sizeof(body) - 1;
}

static size_t discard(char *p, size_t size, size_t n, void *opaque)
{
	(void)p;
	(void)opaque;
	return size * n;
}

static void *hold_seat(void *opaque)
{
	struct holder *h = opaque;
	struct curl_slist *hd = NULL;
	CURL *c = curl_easy_init();

	hd = curl_slist_append(hd, h->auth);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Expect:");
	(void)curl_easy_setopt(c, CURLOPT_URL, h->url);
	(void)curl_easy_setopt(c, CURLOPT_CAINFO, h->ca);
	(void)curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	(void)curl_easy_setopt(c, CURLOPT_POST, 1L);
	(void)curl_easy_setopt(c, CURLOPT_READFUNCTION, slow_body);
	(void)curl_easy_setopt(c, CURLOPT_READDATA, h);
	(void)curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	(void)curl_easy_setopt(c, CURLOPT_TIMEOUT, 50L);
	if (curl_easy_perform(c) == CURLE_OK)
		(void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	return NULL;
}

static void *release_later(void *opaque)
{
	struct holder *h = opaque;

	(void)nanosleep(&(struct timespec){ 1, 500000000L }, NULL);
	h->release = 1;
	return NULL;
}

FLTEST(a_429_from_apf_is_retried_after_its_retry_after)
{
	static struct jail jail;
	static struct holder h;
	struct fl_kube *k = kubetest_admin(), *j;
	struct fl_diag diag = { 0 };
	char ns[64], token[1024], path[256];
	pthread_t hold, rel;
	json_t *v = NULL;
	uint64_t t0;
	int r = 0, tries = 0;

	(void)snprintf(ns, sizeof(ns), "fl-429-%d", (int)getpid());
	make_namespace(k, ns);
	jailed_account(k, ns, &jail, token, sizeof(token));
	j = open_token(token);
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	call_ok(j, "GET", path, NULL); /* alone, the jailed account is served */

	(void)snprintf(h.url, sizeof(h.url), "%s/api/v1/namespaces/%s/configmaps",
		       kubetest_file("server"), ns);
	(void)snprintf(h.auth, sizeof(h.auth), "Authorization: Bearer %s", token);
	(void)snprintf(h.ca, sizeof(h.ca), "%s/ca.crt", kubetest_dir());
	FL_ASSERT_EQ(pthread_create(&hold, NULL, hold_seat, &h), 0);
	/* no retries: the 429 itself, -EAGAIN (until the holder is in, a GET may pass) */
	t0 = fl_now_mono_ns();
	while (since(t0) < 8 && (r = fl_kube_request(j, "GET", path, NULL, FL_KUBE_NO_RETRY, NULL,
						     &v, &diag)) == 0) {
		json_decref(v);
		tries++;
		(void)nanosleep(&(struct timespec){ 0, 50000000L }, NULL);
	}
	fltest_log("429 after %d served GETs, %.2f s: %s", tries, since(t0), diag.msg);
	if (r != -EAGAIN)
		h.release = 1;
	FL_ASSERT_EQ(r, -EAGAIN);
	FL_ASSERT_CONTAINS(diag.msg,
			   "429 Too Many Requests: the answer is not a Status: \"Too many "
			   "requests, please try again later.");

	/* retried: the seat is free 1.5 s later, the client waits Retry-After (1 s) and again */
	FL_ASSERT_EQ(pthread_create(&rel, NULL, release_later, &h), 0);
	t0 = fl_now_mono_ns();
	r = fl_kube_call(j, "GET", path, NULL, NULL, &v, &diag);
	fltest_log("retried GET: %d after %.2f s", r, since(t0));
	pthread_join(rel, NULL);
	pthread_join(hold, NULL);
	FL_ASSERT_MSG(r == 0, "%s", diag.msg);
	json_decref(v);
	FL_ASSERT(since(t0) >= 0.9);
	FL_ASSERT_EQ(h.status, 201); /* the holder's POST went through in the end */
}

static void thaw(void *pid)
{
	(void)kill((pid_t)(long)pid, SIGCONT);
}

FLTEST(a_frozen_etcd_is_an_error_within_the_deadline_not_a_hang)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_diag diag = { 0 };
	json_t *v = NULL;
	pid_t etcd = (pid_t)strtol(kubetest_file("etcd.pid"), NULL, 10);
	uint64_t t0;
	int r;

	FL_ASSERT(etcd > 1);
	fl_kube_set_retry(k, &(struct fl_kube_retry){ .deadline_ms = 4000 });
	FL_ASSERT_EQ(kill(etcd, SIGSTOP), 0);
	fltest_defer(thaw, (void *)(long)etcd);
	t0 = fl_now_mono_ns();
	/* configmaps are read from etcd (no watch cache here) */
	r = fl_kube_call(k, "GET", "/api/v1/namespaces/default/configmaps", NULL, NULL, &v, &diag);
	fltest_log("etcd stopped: %d after %.2f s: %s", r, since(t0), diag.msg);
	FL_ASSERT(r < 0);
	FL_ASSERT(since(t0) < 6);
	(void)kill(etcd, SIGCONT);
	/* and served again once etcd is back (within the client's retries) */
	fl_kube_set_retry(k, NULL);
	t0 = fl_now_mono_ns();
	call_ok(k, "GET", "/api/v1/namespaces/default/configmaps", NULL);
	fltest_log("etcd back: served after %.2f s", since(t0));
}

FLTEST(connection_refused_is_tried_again_with_backoff)
{
	struct fl_kube_conn conn = { .server = "https://127.0.0.1:1", .token = "t" };
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;
	json_t *v = NULL;
	uint64_t t0;

	/* nothing listens on port 1: refused at once, so the time is the waits' */
	FL_ASSERT_EQ(fl_kube_open(&conn, &k, &diag), 0);
	fltest_defer(close_kube, k);
	fl_kube_set_retry(k, &(struct fl_kube_retry){ .attempts = 4 });
	t0 = fl_now_mono_ns();
	FL_ASSERT_EQ(fl_kube_call(k, "GET", "/version", NULL, NULL, &v, &diag), -ECONNREFUSED);
	fltest_log("%s (%.2f s)", diag.msg, since(t0));
	FL_ASSERT_CONTAINS(diag.msg, "(gave up after 4 tries in ");
	FL_ASSERT(since(t0) >= 0.7 && since(t0) < 3); /* 100-200 + 200-400 + 400-800 ms */
	/* a POST is not sent again */
	t0 = fl_now_mono_ns();
	FL_ASSERT_EQ(fl_kube_call(k, "POST", "/api/v1/namespaces", "{}", NULL, &v, &diag),
		     -ECONNREFUSED);
	FL_ASSERT(strstr(diag.msg, "gave up") == NULL && since(t0) < 0.5);
}
