/* SPDX-License-Identifier: MIT */
/* The test binaries' API server or one-node cluster, and its admin client and test
 * namespaces (kubetest.h). */
#include <errno.h> /* program_invocation_short_name */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kube.h"
#include "kubeconfig.h"
#include "kubetest.h"

static char dir[256], setup_error[512];
static const char *script = "tests/lib/kube-api.sh", *what = "Kubernetes API server";
static pid_t owner; /* the process that started what is in dir; 0: adopted, or none */

static void stop_started(void)
{
	char cmd[512];

	if (getpid() != owner || !dir[0])
		return; /* a forked test's exit, or an adopted cluster */
	(void)snprintf(cmd, sizeof(cmd), "bash %s stop '%s' --purge", script, dir);
	if (system(cmd) != 0)
		fprintf(stderr, "kubetest: stopping the %s in %s failed\n", what, dir);
}

/* The script's stderr (why it failed) into setup_error, after its exit status. */
static void read_error(const char *err, int st)
{
	size_t n;
	FILE *f;

	(void)snprintf(setup_error, sizeof(setup_error), "%s start failed (exit %d)", script,
		       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	f = fopen(err, "r");
	if (!f)
		return;
	n = strlen(setup_error);
	(void)snprintf(setup_error + n, sizeof(setup_error) - n, ": ");
	n = strlen(setup_error);
	n += fread(setup_error + n, 1, sizeof(setup_error) - n - 1, f);
	setup_error[n] = '\0';
	fclose(f);
}

/* Start the script's server in a new temporary directory, owned by this process. */
static void start(const char *tmpl)
{
	char cmd[768], err[300];
	const char *port;
	int st;

	(void)snprintf(dir, sizeof(dir), "%s", tmpl);
	if (!mkdtemp(dir)) {
		(void)snprintf(setup_error, sizeof(setup_error), "mkdtemp failed");
		dir[0] = '\0';
		return;
	}
	owner = getpid();
	(void)snprintf(err, sizeof(err), "%s.err", dir);
	atexit(stop_started);
	/* FL_KUBE_TEST_PORT: another port than kube-api.sh's 16443 (binaries run side by
	 * side, each in its range); digits only, it goes into a command line. A cluster has
	 * a network of its own and no port to choose. */
	port = strcmp(script, "tests/lib/kube-api.sh") == 0 ? getenv("FL_KUBE_TEST_PORT") : NULL;
	if (port && (!port[0] || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5))
		port = NULL;
	(void)snprintf(cmd, sizeof(cmd), "bash %s start '%s' --owner %d%s%s >&2 2>'%s'", script,
		       dir, (int)owner, port ? " --port " : "", port ? port : "", err);
	st = system(cmd);
	if (st != 0)
		read_error(err, st);
	(void)unlink(err);
	if (st == 0)
		return;
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "kubetest: could not remove %s\n", dir);
	dir[0] = '\0';
}

static void setup_server(void)
{
	start("/tmp/fl-kubeapi-XXXXXX");
}

/* The tier's cluster when tests/run.sh started one (or could not: another start would
 * fail alike), else one of this binary's. */
static void setup_cluster(void)
{
	const char *d = getenv("FL_KUBE_CLUSTER"), *start_error = getenv("FL_KUBE_START_ERROR");
	char server[300];

	script = "tests/lib/kube-cluster.sh";
	what = "Kubernetes cluster";
	if (start_error && start_error[0]) {
		(void)snprintf(setup_error, sizeof(setup_error),
			       "the tier's cluster (tests/run.sh): %s", start_error);
		return;
	}
	if (!d || !d[0]) {
		start("/tmp/fl-kubecl-XXXXXX");
		return;
	}
	(void)snprintf(server, sizeof(server), "%s/server", d);
	if (strlen(d) >= sizeof(dir) || access(server, R_OK) != 0) {
		(void)snprintf(setup_error, sizeof(setup_error),
			       "FL_KUBE_CLUSTER=%s holds no running cluster (no %s)", d, server);
		return;
	}
	(void)snprintf(dir, sizeof(dir), "%s", d);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool want_cluster;

void kubetest_setup(void)
{
	pthread_once(&once, want_cluster ? setup_cluster : setup_server);
}

void kubetest_cluster_setup(void)
{
	want_cluster = true;
	kubetest_setup();
}

const char *kubetest_dir(void)
{
	kubetest_setup();
	if (!dir[0] && fltest_is_ci())
		FL_FAIL("no %s (CI requires one): %s", what, setup_error);
	if (!dir[0])
		FL_SKIP("no %s: %s", what, setup_error);
	return dir;
}

const char *kubetest_file(const char *name)
{
	static char buf[4096];
	char path[512];
	size_t n = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", kubetest_dir(), name);
	f = fopen(path, "r");
	if (!f)
		FL_FAIL("kubetest: %s cannot be read", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void close_kube(void *k)
{
	fl_kube_close(k);
}

struct fl_kube *kubetest_admin(void)
{
	struct fl_kube_conn *conn = NULL;
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;
	char path[512];

	(void)snprintf(path, sizeof(path), "%s/kubeconfig", kubetest_dir());
	if (fl_kubeconfig_load(path, NULL, false, &conn, &diag) < 0)
		FL_FAIL("loading %s: %s", path, diag.msg);
	if (fl_kube_open(conn, &k, &diag) < 0)
		FL_FAIL("fl_kube_open: %s", diag.msg);
	fl_kube_conn_free(conn);
	fltest_defer(close_kube, k);
	return k;
}

struct test_namespace {
	struct fl_kube *k;
	char name[64];
};

static void delete_namespace(void *arg)
{
	struct test_namespace *t = arg;
	struct fl_diag diag = { 0 };
	json_t *answer = NULL;
	char path[128];

	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s", t->name);
	if (fl_kube_call(t->k, "DELETE", path, NULL, NULL, &answer, &diag) < 0)
		fprintf(stderr, "%s: deleting namespace %s: %s\n", program_invocation_short_name,
			t->name, diag.msg);
	json_decref(answer);
	free(t);
}

const char *kubetest_namespace(struct fl_kube *k, const char *prefix)
{
	struct test_namespace *t = calloc(1, sizeof(*t));
	struct fl_diag diag = { 0 };
	json_t *answer = NULL;
	char body[256];

	if (!t)
		FL_FAIL("out of memory");
	t->k = k;
	(void)snprintf(t->name, sizeof(t->name), "%s-%d", prefix, (int)getpid());
	(void)snprintf(body, sizeof(body), "{\"metadata\":{\"name\":\"%s\"}}", t->name);
	if (fl_kube_call(k, "POST", "/api/v1/namespaces", body, NULL, &answer, &diag) < 0) {
		free(t);
		FL_FAIL("POST /api/v1/namespaces: %s", diag.msg);
	}
	json_decref(answer);
	fltest_defer(delete_namespace, t);
	return t->name;
}
