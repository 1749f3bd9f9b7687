/* SPDX-License-Identifier: MIT */
/*
 * `pods` target resolution over 10,000 pod objects, measured: fl_kube_run_resolve (the
 * server lists by label selector in pages of 500, the name glob is applied here, the
 * running pods are chosen among with the run's seed) against what a user runs for the
 * same answer, `kubectl get pods -l SELECTOR -o name` and `-o json` (kubectl from the same
 * Kubernetes module build as the server, found with scripts/k8s-build.sh --print-dir;
 * never another kubectl), interleaved. Wall time, and each side's whole-process peak RSS
 * (ru_maxrss of a spawned process, read with wait4): faultline's side is this program
 * spawned again in --resolve mode (load the kubeconfig, TLS, list, glob, choose, exit),
 * beside the in-process time with a warm client (a run's second resolution, at inject).
 *
 * The cluster is a bare API server (tests/lib/kube-api.sh: etcd + kube-apiserver, no
 * kubelet): pods are objects with spec.nodeName set at creation and their status made
 * Running through the /status subresource, filled by parallel clients (forked processes,
 * one keep-alive connection each). Labels: app = loader|connector|broker|web|worker by
 * index mod 5, loaders with an index ending in 5 have tier=db, so `app=loader,tier!=db`
 * selects 10 %; names are APP-%05d.
 *
 *   bench_kube_select [--pods N] [--rounds R] [--clients C] [--port P] [--kubectl PATH]
 *   bench_kube_select --resolve KUBECONFIG NAMESPACE SELECTOR GLOB   (the spawned side)
 *
 * A benchmark: it prints figures and never fails on speed; it fails when the measurement is
 * not comparable (the server cannot start, the fill fails, the matched counts disagree).
 * Owns the temporary directory and the server: the directory is the server's (kube-api.sh),
 * kubectl's cache and the outputs are in it too, so that the server's watchdog removes all
 * of it when this program is killed; at exit the server is stopped by its PID files.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <malloc.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "benchutil.h"
#include "experiment.h"
#include "kube.h"
#include "kube_pods.h"
#include "kube_run.h"
#include "kubeconfig.h"
#include "labelsel.h"
#include "targets.h"

#define NS	   "fl-bench-select"
#define MAX_ROUNDS 64
#define SEED	   42

static const char *const apps[] = { "loader", "connector", "broker", "web", "worker" };
static int n_pods = 10000, rounds = 10, clients = 8, port = 16443;
static char tmp[] = "/tmp/fl-bench-kube-XXXXXX", kubeconfig[128], self_exe[512];
static pid_t owner;
static bool server_up;

static void cleanup(void)
{
	char cmd[256];

	if (getpid() != owner)
		return; /* a fill worker's exit */
	if (server_up) {
		(void)snprintf(cmd, sizeof(cmd), "bash tests/lib/kube-api.sh stop '%s' --purge",
			       tmp);
		if (system(cmd) != 0)
			fprintf(stderr, "bench: stopping the API server in %s failed\n", tmp);
	}
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "bench: could not remove %s\n", tmp);
}

static void start_server(void)
{
	char cmd[512];

	if (!mkdtemp(tmp)) {
		fprintf(stderr, "bench: mkdtemp: %s\n", strerror(errno));
		exit(1);
	}
	owner = getpid();
	atexit(cleanup);
	(void)snprintf(cmd, sizeof(cmd),
		       "bash tests/lib/kube-api.sh start '%s' --port %d --owner %d", tmp, port,
		       (int)owner);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: cannot run: tests/lib/kube-api.sh start failed\n");
		exit(1);
	}
	server_up = true;
	(void)snprintf(kubeconfig, sizeof(kubeconfig), "%s/kubeconfig", tmp);
}

static struct fl_kube *open_kube(void)
{
	struct fl_kube_conn *conn = NULL;
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;

	if (fl_kubeconfig_load(kubeconfig, NULL, false, &conn, &diag) < 0 ||
	    fl_kube_open(conn, &k, &diag) < 0) {
		fprintf(stderr, "bench: %s: %s\n", kubeconfig, diag.msg);
		exit(1);
	}
	fl_kube_conn_free(conn);
	return k;
}

/* One request, again after a 429 or a transport failure (the server is busy with the fill). */
static int call(struct fl_kube *k, const char *method, const char *path, const char *body,
		json_t **ret, struct fl_diag *diag)
{
	int r = -EAGAIN;

	for (int tries = 0; tries < 6; tries++) {
		r = fl_kube_call(k, method, path, body, NULL, ret, diag);
		if (r != -EAGAIN && r != -ETIMEDOUT && r != -ECONNRESET && r != -ECONNREFUSED)
			return r;
		usleep(200000);
	}
	return r;
}

/* ---- the pods ---------------------------------------------------------------------- */

static const char *tier_of(int i)
{
	static const char *const tiers[] = { "batch", "frontend", "db" };

	if (i % 5 == 0)
		return i % 10 == 5 ? "db" : "batch";
	return tiers[i % 3];
}

static void pod_name(int i, char *buf, size_t size)
{
	(void)snprintf(buf, size, "%s-%05d", apps[i % 5], i);
}

/* Pod i as created: the labels and a container of a small real workload. */
static void pod_body(int i, char *buf, size_t size)
{
	char name[64];

	pod_name(i, name, sizeof(name));
	(void)snprintf(buf, size,
		       "{\"metadata\":{\"name\":\"%s\",\"labels\":{\"app\":\"%s\",\"tier\":\"%s\","
		       "\"version\":\"v%d\",\"pod-template-hash\":\"7d9f8c6b%02d\"},"
		       "\"annotations\":{\"bench.faultline.dev/index\":\"%d\"}},"
		       "\"spec\":{\"nodeName\":\"bench-node-%02d\",\"containers\":[{\"name\":"
		       "\"app\",\"image\":\"registry.local/%s:1.0\",\"ports\":[{\"containerPort\":"
		       "8080}],\"env\":[{\"name\":\"INDEX\",\"value\":\"%d\"}],\"resources\":{"
		       "\"requests\":{\"cpu\":\"100m\",\"memory\":\"64Mi\"}}}]}}",
		       name, apps[i % 5], tier_of(i), i % 3 + 1, i % 50, i, i % 20, apps[i % 5], i);
}

/* The created pod's status as a kubelet would report it, Running and Ready (PUT .../status:
 * a bare server has no kubelet; the pod strategy allows an update without resourceVersion,
 * the answer of the POST carries one anyway). */
static int set_running(struct fl_kube *k, json_t *pod, int i, struct fl_diag *diag)
{
	json_t *st = json_object_get(pod, "status"), *ans = NULL;
	char host[32], ip[32], path[256], name[64];
	char *body;
	int r;

	if (!json_is_object(st))
		return fl_diag_set(diag, -EBADMSG, "pod %d: no status in the POST answer", i);
	(void)snprintf(host, sizeof(host), "10.0.0.%d", i % 20 + 1);
	(void)snprintf(ip, sizeof(ip), "10.244.%d.%d", i / 250, i % 250 + 1);
	json_object_set_new(st, "phase", json_string("Running"));
	json_object_set_new(st, "hostIP", json_string(host));
	json_object_set_new(st, "hostIPs", json_pack("[{s:s}]", "ip", host));
	json_object_set_new(st, "podIP", json_string(ip));
	json_object_set_new(st, "podIPs", json_pack("[{s:s}]", "ip", ip));
	json_object_set_new(st, "startTime", json_string("2026-01-01T00:00:00Z"));
	json_object_set_new(st, "conditions",
			    json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:s}]", "type", "Initialized",
				      "status", "True", "type", "Ready", "status", "True", "type",
				      "ContainersReady", "status", "True"));
	json_object_set_new(st, "containerStatuses",
			    json_pack("[{s:s,s:b,s:i,s:s,s:s,s:b,s:{s:{s:s}}}]", "name", "app",
				      "ready", 1, "restartCount", 0, "image",
				      "registry.local/app:1.0", "imageID", "", "started", 1,
				      "state", "running", "startedAt", "2026-01-01T00:00:01Z"));
	if (!(body = json_dumps(pod, JSON_COMPACT)))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	pod_name(i, name, sizeof(name));
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods/%s/status", name);
	r = call(k, "PUT", path, body, &ans, diag);
	free(body);
	json_decref(ans);
	return r;
}

/* A fill worker (a forked process, its own connection): pods w, w + clients, ... */
static void fill_worker(int w)
{
	struct fl_kube *k = open_kube();
	struct fl_diag diag = { 0 };
	char body[2048], path[256], name[64];

	for (int i = w; i < n_pods; i += clients) {
		json_t *pod = NULL;
		int r;

		pod_body(i, body, sizeof(body));
		r = call(k, "POST", "/api/v1/namespaces/" NS "/pods", body, &pod, &diag);
		if (r == -EEXIST) { /* a retried POST that had gone through */
			pod_name(i, name, sizeof(name));
			(void)snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods/%s",
				       name);
			r = call(k, "GET", path, NULL, &pod, &diag);
		}
		if (r == 0)
			r = set_running(k, pod, i, &diag);
		json_decref(pod);
		if (r < 0) {
			fprintf(stderr, "bench: fill, pod %d: %s\n", i, diag.msg);
			_exit(1);
		}
	}
	fl_kube_close(k);
	_exit(0);
}

static void fill(void)
{
	struct fl_kube *k = open_kube();
	struct fl_diag diag = { 0 };
	json_t *ans = NULL;
	pid_t pids[64];
	int failed = 0, st;
	double t0;

	if (call(k, "POST", "/api/v1/namespaces", "{\"metadata\":{\"name\":\"" NS "\"}}", &ans,
		 &diag) < 0 ||
	    (json_decref(ans), ans = NULL,
	     call(k, "POST", "/api/v1/namespaces/" NS "/serviceaccounts",
		  "{\"metadata\":{\"name\":\"default\"}}", &ans, &diag)) < 0) {
		fprintf(stderr, "bench: namespace " NS ": %s\n", diag.msg);
		exit(1);
	}
	json_decref(ans);
	fl_kube_close(k);
	fflush(NULL);
	t0 = bench_now_ms();
	for (int w = 0; w < clients; w++) {
		if ((pids[w] = fork()) < 0) {
			fprintf(stderr, "bench: fork: %s\n", strerror(errno));
			exit(1);
		}
		if (pids[w] == 0)
			fill_worker(w);
	}
	for (int w = 0; w < clients; w++)
		if (waitpid(pids[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			failed++;
	if (failed) {
		fprintf(stderr, "bench: %d fill workers failed\n", failed);
		exit(1);
	}
	double s = (bench_now_ms() - t0) / 1e3;
	printf("fill: %d pods created (POST) and made Running (PUT .../status) by %d parallel "
	       "clients in %.1f s (%.0f pods/s, %.0f requests/s)\n",
	       n_pods, clients, s, n_pods / s, 2 * n_pods / s);
}

/* How many generated pods the selector and glob keep: the answer both sides must give. */
static unsigned expected(const char *labels, const char *glob)
{
	struct fl_labelsel sel = { 0 };
	struct fl_labelsel_error err;
	char body[2048], name[64];
	unsigned n = 0;

	if (fl_labelsel_parse(labels ? labels : "", &sel, &err) < 0)
		exit(2);
	for (int i = 0; i < n_pods; i++) {
		json_t *pod;

		pod_body(i, body, sizeof(body));
		pod = json_loads(body, 0, NULL);
		pod_name(i, name, sizeof(name));
		n += fl_labelsel_match(
			     &sel, json_object_get(json_object_get(pod, "metadata"), "labels")) &&
		     (!glob || fnmatch(glob, name, 0) == 0);
		json_decref(pod);
	}
	fl_labelsel_clear(&sel);
	return n;
}

/* ---- one measurement of each side ---------------------------------------------------- */

/* The spawning process's own resident memory, kept low, and the most seen (MiB): the floor
 * under every RSS figure. posix_spawn runs the child on this process's memory until exec,
 * and exec records that memory's peak in the child's ru_maxrss: without this, parsing
 * kubectl's 69 MB of JSON here showed as 250 MiB of the next faultline process. */
static double floor_mib;

static void lower_floor(void)
{
	FILE *f;
	char line[128];

	malloc_trim(0);
	if ((f = fopen("/proc/self/clear_refs", "w"))) {
		fputs("5", f); /* the peak RSS back to the current RSS (proc(5)) */
		fclose(f);
	}
	if (!(f = fopen("/proc/self/status", "r")))
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmHWM:", 6) == 0 && strtod(line + 6, NULL) / 1024 > floor_mib)
			floor_mib = strtod(line + 6, NULL) / 1024;
	fclose(f);
}

/* Spawn argv with stdout to out; its wall time, CPU time (user + system, all its threads)
 * and peak RSS (KiB). 0 when it exits 0. */
static int spawn_measure(char *const argv[], const char *out, double *ret_ms, double *ret_cpu,
			 long *ret_rss)
{
	posix_spawn_file_actions_t fa;
	struct rusage ru;
	pid_t pid;
	int st, r;
	double t0;

	lower_floor();
	t0 = bench_now_ms();
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out, O_WRONLY | O_CREAT | O_TRUNC,
					 0600);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0 || wait4(pid, &st, 0, &ru) < 0)
		return -EIO;
	*ret_ms = bench_now_ms() - t0;
	*ret_cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
		   (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	*ret_rss = ru.ru_maxrss;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

static struct fl_target_sel make_sel(const char *labels, const char *glob)
{
	return (struct fl_target_sel){ .name = "bench",
				       .kind = FL_SELECT_KUBE,
				       .pod_namespace = NS,
				       .pod_name = (char *)glob,
				       .kube_labels = (char *)labels,
				       .mode = FL_TARGET_ONE };
}

/* The spawned side: what `faultline plan` does for one target, and nothing else. Prints
 * "MATCHES CHOSEN MS". */
static int resolve_main(char **argv)
{
	struct fl_kube_run_opts opts = { .kubeconfig = argv[0] };
	struct fl_target_sel sel =
		make_sel(argv[2][0] ? argv[2] : NULL, argv[3][0] ? argv[3] : NULL);
	struct fl_target_set set = { 0 };
	struct fl_kube_run *kr = NULL;
	struct fl_diag diag = { 0 };
	double t0;

	sel.pod_namespace = argv[1];
	t0 = bench_now_ms();
	if (fl_kube_run_open(&opts, &kr, &diag) < 0 ||
	    fl_kube_run_resolve(kr, &sel, SEED, false, &set, &diag) < 0) {
		fprintf(stderr, "bench --resolve: %s\n", diag.msg);
		return 1;
	}
	printf("%u %s %.3f\n", set.n_matches, set.n ? set.t[0].label : "-", bench_now_ms() - t0);
	fl_target_set_clear(&set);
	fl_kube_run_close(kr);
	return 0;
}

/* Pods named in kubectl's output that the glob keeps: "pod/NAME" lines, or a List's items
 * (-o json; those must be Running too, as resolve counts). */
static unsigned kubectl_count(const char *out, bool json, const char *glob)
{
	unsigned n = 0;

	if (json) {
		json_t *list = json_load_file(out, 0, NULL), *item;
		size_t i;

		json_array_foreach(json_object_get(list, "items"), i, item)
		{
			const char *name = json_string_value(
				json_object_get(json_object_get(item, "metadata"), "name"));
			const char *phase = json_string_value(
				json_object_get(json_object_get(item, "status"), "phase"));

			n += name && phase && strcmp(phase, "Running") == 0 &&
			     (!glob || fnmatch(glob, name, 0) == 0);
		}
		json_decref(list);
		return n;
	}
	FILE *f = fopen(out, "r");
	char line[512];

	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		n += strncmp(line, "pod/", 4) == 0 && (!glob || fnmatch(glob, line + 4, 0) == 0);
	}
	if (f)
		fclose(f);
	return n;
}

/* GET the pages as fl_kube_list_pods does, JSON parsed but not decoded into pods: the
 * transfer and parse share of the listing. Returns the items. */
static size_t raw_pages(struct fl_kube *k, const char *labels)
{
	char path[4096], *cont = NULL;
	struct fl_diag diag = { 0 };
	size_t n = 0;

	do {
		json_t *page = NULL;
		int o = snprintf(path, sizeof(path), "/api/v1/namespaces/" NS "/pods?limit=500");
		char *e;

		if (labels && (e = curl_easy_escape(NULL, labels, 0))) {
			o += snprintf(path + o, sizeof(path) - (size_t)o, "&labelSelector=%s", e);
			curl_free(e);
		}
		if (cont && (e = curl_easy_escape(NULL, cont, 0))) {
			(void)snprintf(path + o, sizeof(path) - (size_t)o, "&continue=%s", e);
			curl_free(e);
		}
		free(cont);
		cont = NULL;
		if (fl_kube_call(k, "GET", path, NULL, NULL, &page, &diag) < 0) {
			fprintf(stderr, "bench: %s\n", diag.msg);
			exit(1);
		}
		n += json_array_size(json_object_get(page, "items"));
		const char *next = json_string_value(
			json_object_get(json_object_get(page, "metadata"), "continue"));
		if (next && next[0])
			cont = strdup(next);
		json_decref(page);
	} while (cont);
	return n;
}

/* ---- rounds ------------------------------------------------------------------------ */

enum { S_RESOLVE, S_LIST, S_RAW, S_PROC, S_KNAME, S_KJSON, N_SERIES };

struct measure {
	const char *labels, *glob, *kubectl;
	double ms[N_SERIES][MAX_ROUNDS], rss[N_SERIES][MAX_ROUNDS]; /* rss: MiB */
	double cpu[N_SERIES][MAX_ROUNDS];			    /* ms of CPU, this side's */
	unsigned n[N_SERIES];					    /* pods each side counted */
	char chosen[192], proc_chosen[192];
	long kjson_bytes;
	double apiserver_cpu[MAX_ROUNDS], etcd_cpu[MAX_ROUNDS]; /* ms, during the resolve */
};

/* CPU time of this process (every thread), ms: the client's own share of a call. */
static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the server's process NAME ("apiserver", "etcd"; its PID file from
 * kube-api.sh), ms, in clock ticks' resolution: what the list costs on the other side. */
static double server_cpu_ms(const char *name)
{
	char path[256], buf[1024];
	unsigned long ut = 0, st = 0;
	const char *p;
	long pid = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s.pid", tmp, name);
	if ((f = fopen(path, "r"))) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	(void)snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (pid <= 0 || !(f = fopen(path, "r")))
		return 0;
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	if (!(p = strrchr(buf, ')')) ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return 0;
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

static void in_process(struct fl_kube_run *kr, struct fl_kube *k, struct measure *m, int r)
{
	struct fl_target_sel sel = make_sel(m->labels, m->glob);
	struct fl_kube_pods pods = { 0 };
	struct fl_target_set set = { 0 };
	struct fl_diag diag = { 0 };
	double a0 = server_cpu_ms("apiserver"), e0 = server_cpu_ms("etcd");
	double t0 = bench_now_ms(), c0 = cpu_ms();

	if (fl_kube_run_resolve(kr, &sel, SEED, false, &set, &diag) < 0) {
		fprintf(stderr, "bench: resolve: %s\n", diag.msg);
		exit(1);
	}
	m->ms[S_RESOLVE][r] = bench_now_ms() - t0;
	m->cpu[S_RESOLVE][r] = cpu_ms() - c0;
	m->apiserver_cpu[r] = server_cpu_ms("apiserver") - a0;
	m->etcd_cpu[r] = server_cpu_ms("etcd") - e0;
	m->n[S_RESOLVE] = set.n_matches;
	(void)snprintf(m->chosen, sizeof(m->chosen), "%s", set.n ? set.t[0].label : "-");
	fl_target_set_clear(&set);
	t0 = bench_now_ms(), c0 = cpu_ms();
	if (fl_kube_run_list(kr, &sel, &pods, &diag) < 0) {
		fprintf(stderr, "bench: list: %s\n", diag.msg);
		exit(1);
	}
	m->ms[S_LIST][r] = bench_now_ms() - t0;
	m->cpu[S_LIST][r] = cpu_ms() - c0;
	m->n[S_LIST] = (unsigned)pods.n;
	fl_kube_pods_clear(&pods);
	t0 = bench_now_ms(), c0 = cpu_ms();
	m->n[S_RAW] = (unsigned)raw_pages(k, m->labels);
	m->ms[S_RAW][r] = bench_now_ms() - t0;
	m->cpu[S_RAW][r] = cpu_ms() - c0;
}

static void spawned(struct measure *m, int r)
{
	char *argv[] = { self_exe,
			 "--resolve",
			 kubeconfig,
			 NS,
			 (char *)(m->labels ?: ""),
			 (char *)(m->glob ?: ""),
			 NULL };
	char out[256];
	long rss = 0;
	FILE *f;

	(void)snprintf(out, sizeof(out), "%s/fl.out", tmp);
	if (spawn_measure(argv, out, &m->ms[S_PROC][r], &m->cpu[S_PROC][r], &rss) < 0) {
		fprintf(stderr, "bench: %s --resolve failed\n", self_exe);
		exit(1);
	}
	m->rss[S_PROC][r] = rss / 1024.0;
	f = fopen(out, "r");
	if (!f || fscanf(f, "%u %191s", &m->n[S_PROC], m->proc_chosen) != 2)
		m->n[S_PROC] = 0;
	if (f)
		fclose(f);
}

static void kubectl(struct measure *m, int r, bool json)
{
	char out[256], cache[256];
	char *argv[16];
	int a = 0, s = json ? S_KJSON : S_KNAME;
	long rss = 0;

	(void)snprintf(out, sizeof(out), "%s/kubectl.out", tmp);
	(void)snprintf(cache, sizeof(cache), "%s/kubectl-cache", tmp);
	argv[a++] = (char *)m->kubectl;
	argv[a++] = "get";
	argv[a++] = "pods";
	argv[a++] = "-n";
	argv[a++] = NS;
	if (m->labels) {
		argv[a++] = "-l";
		argv[a++] = (char *)m->labels;
	}
	argv[a++] = "-o";
	argv[a++] = json ? "json" : "name";
	argv[a++] = "--kubeconfig";
	argv[a++] = kubeconfig;
	argv[a++] = "--cache-dir";
	argv[a++] = cache;
	argv[a] = NULL;
	if (spawn_measure(argv, out, &m->ms[s][r], &m->cpu[s][r], &rss) < 0) {
		fprintf(stderr, "bench: kubectl get pods -o %s failed\n", json ? "json" : "name");
		exit(1);
	}
	m->rss[s][r] = rss / 1024.0;
	m->n[s] = kubectl_count(out, json, m->glob);
	if (json) {
		struct stat sb;

		m->kjson_bytes = stat(out, &sb) == 0 ? (long)sb.st_size : -1;
	}
}

static void row(const char *what, double *ms, double *cpu, double *rss)
{
	printf("%-54s %8.1f  %8.1f  %8.1f", what, bench_pct(ms, rounds, 50),
	       bench_pct(ms, rounds, 90), bench_pct(cpu, rounds, 50));
	if (rss)
		printf("  %8.1f  %6.1f", bench_pct(rss, rounds, 50), bench_pct(rss, rounds, 100));
	printf("\n");
}

static void ratio(const char *what, struct measure *m, int tool, int ours, bool rss)
{
	printf("  ratio (%-44s %7.1fx  %7.1fx  %7.1fx", what,
	       bench_pct(m->ms[tool], rounds, 50) / bench_pct(m->ms[ours], rounds, 50),
	       bench_pct(m->ms[tool], rounds, 90) / bench_pct(m->ms[ours], rounds, 90),
	       bench_pct(m->cpu[tool], rounds, 50) / bench_pct(m->cpu[ours], rounds, 50));
	if (rss)
		printf("  %7.1fx",
		       bench_pct(m->rss[tool], rounds, 50) / bench_pct(m->rss[ours], rounds, 50));
	printf("\n");
}

/* The table; false when the sides did not count the same pods. */
static bool report(struct measure *m, unsigned listed, unsigned want)
{
	bool k = m->kubectl != NULL, same;

	printf("%-54s %8s  %8s  %8s  %8s  %6s\n", "", "p50 ms", "p90 ms", "CPU ms", "RSS MiB",
	       "max");
	row("faultline fl_kube_run_resolve, in process, warm client", m->ms[S_RESOLVE],
	    m->cpu[S_RESOLVE], NULL);
	printf("  the server's CPU meanwhile: kube-apiserver %.0f ms, etcd %.0f ms (p50)\n",
	       bench_pct(m->apiserver_cpu, rounds, 50), bench_pct(m->etcd_cpu, rounds, 50));
	row("  its fl_kube_run_list (list + glob)", m->ms[S_LIST], m->cpu[S_LIST], NULL);
	row("  its pages alone (GET + JSON parse, no decode)", m->ms[S_RAW], m->cpu[S_RAW], NULL);
	row("faultline, a new process (kubeconfig, TLS, resolve)", m->ms[S_PROC], m->cpu[S_PROC],
	    m->rss[S_PROC]);
	if (k) {
		row(m->labels ? "kubectl get pods -l SEL -o name" : "kubectl get pods -o name",
		    m->ms[S_KNAME], m->cpu[S_KNAME], m->rss[S_KNAME]);
		row(m->labels ? "kubectl get pods -l SEL -o json" : "kubectl get pods -o json",
		    m->ms[S_KJSON], m->cpu[S_KJSON], m->rss[S_KJSON]);
		ratio("kubectl -o name / faultline process)", m, S_KNAME, S_PROC, true);
		ratio("kubectl -o json / faultline process)", m, S_KJSON, S_PROC, true);
		ratio("kubectl -o name / faultline in process)", m, S_KNAME, S_RESOLVE, false);
	}
	same = m->n[S_LIST] == want && m->n[S_RESOLVE] == want && m->n[S_PROC] == want &&
	       m->n[S_RAW] == listed && strcmp(m->chosen, m->proc_chosen) == 0 &&
	       (!k || (m->n[S_KNAME] == want && m->n[S_KJSON] == want));
	printf("matched: expected %u (server lists %u); faultline list %u, resolve %u, process %u "
	       "(both chose %s)",
	       want, listed, m->n[S_LIST], m->n[S_RESOLVE], m->n[S_PROC], m->chosen);
	if (k)
		printf("; kubectl -o name %u, -o json %u (%.1f MB of JSON)", m->n[S_KNAME],
		       m->n[S_KJSON], m->kjson_bytes / 1e6);
	printf("\nRSS floor (this benchmark's own peak when spawning, under every RSS above): "
	       "%.1f MiB\n",
	       floor_mib);
	printf("%s\n", same ? "" : "*** MISMATCH: the sides did not find the same pods ***\n");
	return same;
}

static bool measure_case(struct fl_kube_run *kr, struct fl_kube *k, struct measure *m)
{
	unsigned listed = expected(m->labels, NULL), want = expected(m->labels, m->glob);

	printf("%s%s%s%s%s: the server lists %u of %d pods, %u kept; %d rounds, interleaved\n",
	       m->labels ? "selector \"" : "no selector", m->labels ?: "", m->labels ? "\"" : "",
	       m->glob ? ", names " : "", m->glob ?: "", listed, n_pods, want, rounds);
	fflush(stdout);
	for (int r = -1; r < rounds; r++) { /* round -1 warms up (kubectl's discovery cache) */
		int at = r < 0 ? 0 : r;

		in_process(kr, k, m, at);
		spawned(m, at);
		if (m->kubectl) {
			kubectl(m, at, false);
			kubectl(m, at, true);
		}
	}
	return report(m, listed, want);
}

/* kubectl of the same build as the server (scripts/k8s-build.sh's cache); NULL: missing. */
static const char *find_kubectl(const char *given)
{
	static char path[512];
	char dir[480];
	FILE *p;

	if (given)
		return access(given, X_OK) == 0 ? given : NULL;
	p = popen("bash scripts/k8s-build.sh --print-dir", "r");
	if (!p || !fgets(dir, sizeof(dir), p)) {
		if (p)
			pclose(p);
		return NULL;
	}
	pclose(p);
	dir[strcspn(dir, "\n")] = '\0';
	(void)snprintf(path, sizeof(path), "%s/bin/kubectl", dir);
	return access(path, X_OK) == 0 ? path : NULL;
}

/* The three cases over one client: a selector alone, a selector and a glob, a glob alone
 * (every pod listed: the controller's worst case). */
static bool run_cases(const char *kc)
{
	static const char *const cases[][2] = { { "app=loader,tier!=db", NULL },
						{ "app=loader,tier!=db", "loader-0[0-4]*" },
						{ NULL, "loader-0[0-4]*" } };
	struct fl_kube_run_opts o = { .kubeconfig = kubeconfig };
	struct fl_kube_run *kr = NULL;
	struct fl_diag diag = { 0 };
	struct fl_kube *k = open_kube();
	bool same = true;

	if (fl_kube_run_open(&o, &kr, &diag) < 0) {
		fprintf(stderr, "bench: %s\n", diag.msg);
		exit(1);
	}
	printf("kubectl: %s\n\n", kc ?: "MISSING");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct measure *m = calloc(1, sizeof(*m));

		if (!m)
			exit(1);
		*m = (struct measure){ .labels = cases[i][0], .glob = cases[i][1], .kubectl = kc };
		same = measure_case(kr, k, m) && same;
		free(m);
	}
	fl_kube_run_close(kr);
	fl_kube_close(k);
	return same;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "pods", required_argument, NULL, 'n' },
					      { "rounds", required_argument, NULL, 'r' },
					      { "clients", required_argument, NULL, 'c' },
					      { "port", required_argument, NULL, 'p' },
					      { "kubectl", required_argument, NULL, 'k' },
					      { 0 } };
	const char *given = NULL, *kc;
	int c;

	if (argc == 6 && strcmp(argv[1], "--resolve") == 0)
		return resolve_main(argv + 2);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			n_pods = (int)strtol(optarg, NULL, 10);
		else if (c == 'r')
			rounds = (int)strtol(optarg, NULL, 10);
		else if (c == 'c')
			clients = (int)strtol(optarg, NULL, 10);
		else if (c == 'p')
			port = (int)strtol(optarg, NULL, 10);
		else if (c == 'k')
			given = optarg;
		else
			return 2;
	}
	if (n_pods < 10 || n_pods > 100000 || rounds < 1 || rounds > MAX_ROUNDS || clients < 1 ||
	    clients > 64 || port < 1024 || port > 65532)
		return 2;
	ssize_t len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (len <= 0)
		return 1;
	self_exe[len] = '\0';
	setvbuf(stdout, NULL, _IOLBF, 0);
	kc = find_kubectl(given);
	if (!kc)
		printf("*** kubectl MISSING: no executable %s (scripts/k8s-build.sh --print-dir + "
		       "/bin/kubectl); faultline's figures only ***\n",
		       given ?: "kubectl in the k8s-build.sh cache");
	start_server();
	fill();
	return run_cases(kc) ? 0 : 1;
}
