/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crienv.h"
#include "fltest.h"

extern char **environ;

static char dir[96];
static char sock[160];
static bool started;
static struct fl_cri *client;

/* tests/lib/containerd.sh VERB DIR; its exit status (3: a dependency is missing). */
static int run_script(const char *verb)
{
	char *argv[] = { "tests/lib/containerd.sh", (char *)verb, dir, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

static void stop_cb(void *arg)
{
	(void)arg;
	client = fl_cri_close(client);
	(void)run_script("stop");
	started = false;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void crienv_start(void)
{
	double t0;
	int r;

	if (started)
		return;
	if (geteuid() != 0)
		FL_SKIP("needs root (containerd, namespaces)");
	if (access("/usr/bin/containerd", X_OK) < 0 || access("/usr/sbin/runc", X_OK) < 0)
		FL_SKIP("containerd/runc not installed (scripts/install-deps.sh installs them)");
	fltest_set_timeout(300);
	(void)snprintf(dir, sizeof(dir), "/tmp/fl-cri-%d", getpid());
	(void)snprintf(sock, sizeof(sock), "%s/containerd.sock", dir);
	fltest_defer(stop_cb, NULL);
	started = true;
	t0 = now_s();
	r = run_script("start");
	if (r == 3)
		FL_SKIP("tests/lib/containerd.sh: a dependency is missing (see above)");
	if (r != 0)
		FL_FAIL("tests/lib/containerd.sh start %s failed (%d)", dir, r);
	fltest_log("private containerd up with its images in %.2f s", now_s() - t0);
}

const char *crienv_socket(void)
{
	return sock;
}

struct fl_cri *crienv_cri(void)
{
	struct fl_diag diag = { 0 };

	if (!client && fl_cri_open(sock, 30000, &client, &diag) < 0)
		FL_FAIL("CRI client: %s", diag.msg);
	return client;
}

/* Every test pod carries the label app=<name without its "-N" suffix> (as a StatefulSet's). */
static struct fl_cri_pod_config pod_config(const struct crienv_pod *p)
{
	static char logdir[256];
	static struct fl_cri_label app;
	const char *dash = strrchr(p->name, '-');
	size_t len = dash ? (size_t)(dash - p->name) : strlen(p->name);

	(void)snprintf(logdir, sizeof(logdir), "%s/logs/%s", dir, p->name);
	(void)snprintf(app.key, sizeof(app.key), "app");
	(void)snprintf(app.value, sizeof(app.value), "%.*s", (int)len, p->name);
	return (struct fl_cri_pod_config){ .name = p->name,
					   .namespace = p->namespace,
					   .uid = p->uid,
					   .log_directory = logdir,
					   .host_network = p->host_network,
					   .labels = &app,
					   .n_labels = 1 };
}

/*
 * The deferred removal keeps its own copy of the sandbox id on the heap: it runs after the
 * test function returned, when a pod declared on its stack is gone.
 */
struct pod_cleanup {
	char sandbox_id[FL_CRI_ID_MAX];
};

static void remove_sandbox(struct pod_cleanup *pc)
{
	if (!pc->sandbox_id[0] || !client)
		return;
	(void)fl_cri_stop_sandbox(client, pc->sandbox_id, NULL);
	(void)fl_cri_remove_sandbox(client, pc->sandbox_id, NULL);
	pc->sandbox_id[0] = '\0';
}

static void remove_cb(void *arg)
{
	remove_sandbox(arg);
	free(arg);
}

/* Poll ContainerStatus until the container runs with a PID (StartContainer can return
 * before the status says so); its PID. */
static int wait_running(struct fl_cri *cri, const struct crienv_pod *p, const char *id)
{
	struct fl_cri_container_status st = { 0 };
	struct fl_diag diag = { 0 };
	double deadline = now_s() + 10;

	for (;;) {
		if (fl_cri_container_status(cri, id, &st, &diag) < 0)
			FL_FAIL("pod %s/%s: ContainerStatus: %s", p->namespace, p->name, diag.msg);
		if (st.c.state == FL_CRI_CONTAINER_RUNNING && st.pid > 0)
			return st.pid;
		if (st.c.state == FL_CRI_CONTAINER_EXITED || now_s() > deadline)
			FL_FAIL("pod %s/%s: container state %d pid %d exit %d (%s), not running",
				p->namespace, p->name, st.c.state, st.pid, st.exit_code, st.reason);
		usleep(20000);
	}
}

/* Create and start container name (attempt) in the pod; returns its PID. */
static int start_container(const struct crienv_pod *p, const char *name, uint32_t attempt,
			   const char *const *cmd, char ret_id[FL_CRI_ID_MAX])
{
	static const char *const sleep_cmd[] = { "/bin/sleep", "2147483647", NULL };
	struct fl_cri_pod_config pod = pod_config(p);
	char log_path[96];
	struct fl_cri_container_config c = { .name = name,
					     .image = "localhost/faultline/busybox:1",
					     .command = cmd ? cmd : sleep_cmd,
					     .log_path = log_path,
					     .attempt = attempt };
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = crienv_cri();

	/* one log per container and attempt, as kubelet keeps them */
	(void)snprintf(log_path, sizeof(log_path), "%s_%u.log", name, attempt);
	if (fl_cri_create_container(cri, p->sandbox_id, &pod, &c, ret_id, &diag) < 0 ||
	    fl_cri_start_container(cri, ret_id, &diag) < 0)
		FL_FAIL("pod %s/%s: container %s: %s", p->namespace, p->name, name, diag.msg);
	return wait_running(cri, p, ret_id);
}

void crienv_run_pod(const char *namespace, const char *name, const char *const *cmd,
		    bool host_network, struct crienv_pod *ret)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	struct fl_cri_pod_config pod;
	struct fl_cri *cri = crienv_cri();
	struct pod_cleanup *pc;

	memset(ret, 0, sizeof(*ret));
	(void)snprintf(ret->namespace, sizeof(ret->namespace), "%s", namespace);
	(void)snprintf(ret->name, sizeof(ret->name), "%s", name);
	(void)snprintf(ret->uid, sizeof(ret->uid), "uid-%s-%s-%d", namespace, name, getpid());
	ret->host_network = host_network;
	pod = pod_config(ret);
	pc = calloc(1, sizeof(*pc));
	FL_ASSERT(pc != NULL);
	if (fl_cri_run_sandbox(cri, &pod, ret->sandbox_id, &diag) < 0) {
		free(pc);
		FL_FAIL("RunPodSandbox %s/%s: %s", namespace, name, diag.msg);
	}
	memcpy(pc->sandbox_id, ret->sandbox_id, sizeof(pc->sandbox_id));
	fltest_defer(remove_cb, pc);
	ret->cleanup = pc;
	ret->container_pid = start_container(ret, "main", 0, cmd, ret->container_id);
	if (fl_cri_sandbox_status(cri, ret->sandbox_id, &st, &diag) < 0)
		FL_FAIL("PodSandboxStatus: %s", diag.msg);
	if (st.sb.state != FL_CRI_SANDBOX_READY || st.pid <= 0)
		FL_FAIL("pod %s/%s: sandbox state %d pid %d, not ready", namespace, name,
			st.sb.state, st.pid);
	if (!host_network && !st.ip[0])
		FL_FAIL("pod %s/%s: no pod IP from the CNI bridge", namespace, name);
	ret->sandbox_pid = st.pid;
	(void)snprintf(ret->ip, sizeof(ret->ip), "%s", st.ip);
	/* containerd's own netns path lives in its private mount namespace: use /proc. */
	(void)snprintf(ret->ns.name, sizeof(ret->ns.name), "%s", name);
	(void)snprintf(ret->ns.path, sizeof(ret->ns.path), "/proc/%d/ns/net", st.pid);
}

void crienv_restart_container(struct crienv_pod *p)
{
	struct fl_cri_container_status st;
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = crienv_cri();

	if (fl_cri_container_status(cri, p->container_id, &st, &diag) < 0)
		FL_FAIL("restarting %s: %s", p->name, diag.msg);
	if (st.c.state != FL_CRI_CONTAINER_EXITED &&
	    fl_cri_stop_container(cri, p->container_id, 0, &diag) < 0)
		FL_FAIL("restarting %s: %s", p->name, diag.msg);
	p->attempt++;
	p->container_pid = start_container(p, "main", p->attempt, NULL, p->container_id);
}

void crienv_add_container(struct crienv_pod *p, const char *name, uint32_t attempt,
			  char ret_id[FL_CRI_ID_MAX])
{
	(void)start_container(p, name, attempt, NULL, ret_id);
}

void crienv_remove_pod(struct crienv_pod *p)
{
	/* The record stays with its deferred cleanup, which frees it. */
	if (p->cleanup)
		remove_sandbox(p->cleanup);
	p->sandbox_id[0] = '\0';
}
