/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crienv.h"
#include "fltest.h"

extern char **environ;

static char dir[96];
static char sock[160];
static struct fl_cri *client;

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
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -EINTR;
}

static void stop_cb(void *arg)
{
	(void)arg;
	client = fl_cri_close(client);
	(void)run_script("stop");
}

void crienv_start(void)
{
	int r;

	if (geteuid() != 0)
		FL_SKIP("needs root (containerd, namespaces)");
	if (access("/usr/bin/containerd", X_OK) < 0 || access("/usr/sbin/runc", X_OK) < 0)
		FL_SKIP("containerd/runc not installed (scripts/install-deps.sh installs them)");
	fltest_set_timeout(300);
	(void)snprintf(dir, sizeof(dir), "/tmp/fl-cri-%d", getpid());
	(void)snprintf(sock, sizeof(sock), "%s/containerd.sock", dir);
	fltest_defer(stop_cb, NULL);
	r = run_script("start");
	if (r != 0)
		FL_FAIL("tests/lib/containerd.sh start %s failed (%d)", dir, r);
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

static struct fl_cri_pod_config pod_config(const struct crienv_pod *p)
{
	static char logdir[256];

	(void)snprintf(logdir, sizeof(logdir), "%s/logs/%s", dir, p->name);
	return (struct fl_cri_pod_config){ .name = p->name,
					   .namespace = p->namespace,
					   .uid = p->uid,
					   .log_directory = logdir,
					   .host_network = p->host_network };
}

static void remove_cb(void *arg)
{
	struct crienv_pod *p = arg;
	struct fl_cri *cri;

	if (!p->sandbox_id[0] || !client)
		return;
	cri = client;
	(void)fl_cri_stop_sandbox(cri, p->sandbox_id, NULL);
	(void)fl_cri_remove_sandbox(cri, p->sandbox_id, NULL);
	p->sandbox_id[0] = '\0';
}

static void start_main(struct crienv_pod *p, const char *const *cmd)
{
	static const char *const sleep_cmd[] = { "/bin/sleep", "2147483647", NULL };
	struct fl_cri_pod_config pod = pod_config(p);
	struct fl_cri_container_config c = { .name = "main",
					     .image = "localhost/faultline/busybox:1",
					     .command = cmd ? cmd : sleep_cmd,
					     .log_path = "main.log" };
	struct fl_cri_container_status st;
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = crienv_cri();

	if (fl_cri_create_container(cri, p->sandbox_id, &pod, &c, p->container_id, &diag) < 0 ||
	    fl_cri_start_container(cri, p->container_id, &diag) < 0 ||
	    fl_cri_container_status(cri, p->container_id, &st, &diag) < 0)
		FL_FAIL("pod %s/%s: container: %s", p->namespace, p->name, diag.msg);
	p->container_pid = st.pid;
}

void crienv_run_pod(const char *namespace, const char *name, const char *const *cmd,
		    bool host_network, struct crienv_pod *ret)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	struct fl_cri_pod_config pod;
	struct fl_cri *cri = crienv_cri();

	memset(ret, 0, sizeof(*ret));
	(void)snprintf(ret->namespace, sizeof(ret->namespace), "%s", namespace);
	(void)snprintf(ret->name, sizeof(ret->name), "%s", name);
	(void)snprintf(ret->uid, sizeof(ret->uid), "uid-%s-%s-%d", namespace, name, getpid());
	ret->host_network = host_network;
	pod = pod_config(ret);
	if (fl_cri_run_sandbox(cri, &pod, ret->sandbox_id, &diag) < 0)
		FL_FAIL("RunPodSandbox %s/%s: %s", namespace, name, diag.msg);
	fltest_defer(remove_cb, ret);
	start_main(ret, cmd);
	if (fl_cri_sandbox_status(cri, ret->sandbox_id, &st, &diag) < 0)
		FL_FAIL("PodSandboxStatus: %s", diag.msg);
	ret->sandbox_pid = st.pid;
	(void)snprintf(ret->ip, sizeof(ret->ip), "%s", st.ip);
	(void)snprintf(ret->ns.name, sizeof(ret->ns.name), "%s", name);
	(void)snprintf(ret->ns.path, sizeof(ret->ns.path), "/proc/%d/ns/net", st.pid);
}

void crienv_restart_container(struct crienv_pod *p)
{
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = crienv_cri();

	if (fl_cri_stop_container(cri, p->container_id, 0, &diag) < 0 ||
	    fl_cri_remove_container(cri, p->container_id, &diag) < 0)
		FL_FAIL("restarting %s: %s", p->name, diag.msg);
	start_main(p, NULL);
}

void crienv_remove_pod(struct crienv_pod *p)
{
	remove_cb(p);
}
