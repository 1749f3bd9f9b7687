/* SPDX-License-Identifier: MIT */
/*
 * Our CRI client against a real, private containerd (runtime.v1 over its unix socket):
 * versions, pods on a CNI bridge that really talk to each other, sandbox and container
 * status (PIDs, IPs, namespaces), StopContainer with and without a grace period observed
 * through ContainerStatus, host-network detection, gRPC errors with their message, and
 * nothing left once a pod is removed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "crienv.h"
#include "fltest.h"
#include "netprobe.h"

static struct crienv_pod a, b, h;
static struct netprobe_echo *echo;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The inode of /proc/<pid>/ns/<kind> (0 if unreadable): equal inodes, same namespace. */
static ino_t ns_ino(int pid, const char *kind)
{
	char path[64];
	struct stat st;

	(void)snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, kind);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static bool has_sandbox(const struct fl_cri_sandbox *v, unsigned n, const struct crienv_pod *p)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(v[i].id, p->sandbox_id) == 0)
			return strcmp(v[i].name, p->name) == 0 &&
			       strcmp(v[i].namespace, p->namespace) == 0 &&
			       strcmp(v[i].uid, p->uid) == 0 && v[i].state == FL_CRI_SANDBOX_READY;
	return false;
}

FLTEST(version_and_two_pods_that_talk)
{
	struct fl_cri_version v;
	struct fl_cri_sandbox_status st;
	struct fl_cri_container_status cst;
	struct fl_cri_sandbox *sbs;
	struct fl_cri_container *cs;
	struct fl_diag diag = { 0 };
	struct netprobe_rtt r;
	unsigned n;
	double t0;

	crienv_start();
	FL_ASSERT_OK(fl_cri_version(crienv_cri(), &v, &diag));
	fltest_log("runtime %s %s (API %s)", v.runtime_name, v.runtime_version,
		   v.runtime_api_version);
	FL_ASSERT_STREQ(v.runtime_name, "containerd");
	FL_ASSERT_STREQ(v.runtime_api_version, "v1");
	t0 = now_s();
	crienv_run_pod("streamforge", "loader-0", NULL, false, &a);
	fltest_log("first pod (RunPodSandbox + CreateContainer + StartContainer) in %.3f s",
		   now_s() - t0);
	t0 = now_s();
	crienv_run_pod("streamforge", "kafka-0", NULL, false, &b);
	fltest_log("second pod in %.3f s", now_s() - t0);
	fltest_log("pods: %s %s pid %d/%d, %s %s pid %d/%d", a.name, a.ip, a.sandbox_pid,
		   a.container_pid, b.name, b.ip, b.sandbox_pid, b.container_pid);
	FL_ASSERT(a.ip[0] && b.ip[0] && strcmp(a.ip, b.ip) != 0);
	FL_ASSERT(strncmp(a.ip, "10.88.", 6) == 0);
	FL_ASSERT(a.sandbox_pid > 1 && a.container_pid > 1 && a.container_pid != a.sandbox_pid);

	FL_ASSERT_OK(fl_cri_list_sandboxes(crienv_cri(), &sbs, &n, &diag));
	FL_ASSERT_EQ(n, 2);
	FL_ASSERT(has_sandbox(sbs, n, &a) && has_sandbox(sbs, n, &b));
	free(sbs);

	FL_ASSERT_OK(fl_cri_sandbox_status(crienv_cri(), a.sandbox_id, &st, &diag));
	FL_ASSERT_STREQ(st.sb.id, a.sandbox_id);
	FL_ASSERT_STREQ(st.sb.name, "loader-0");
	FL_ASSERT_STREQ(st.sb.namespace, "streamforge");
	FL_ASSERT_EQ(st.sb.state, FL_CRI_SANDBOX_READY);
	FL_ASSERT_STREQ(st.ip, a.ip);
	FL_ASSERT_EQ(st.pid, a.sandbox_pid);
	FL_ASSERT(!st.host_network);
	/* containerd's path (in its own mount namespace) and /proc/<pid>/ns/net both name the
	 * pod's network namespace: not ours, and the container's too. */
	fltest_log("sandbox netns path %s", st.netns_path);
	FL_ASSERT(st.netns_path[0] == '/');
	FL_ASSERT(ns_ino(a.sandbox_pid, "net") != 0);
	FL_ASSERT(ns_ino(a.sandbox_pid, "net") != ns_ino(getpid(), "net"));
	FL_ASSERT_EQ(ns_ino(a.container_pid, "net"), ns_ino(a.sandbox_pid, "net"));
	FL_ASSERT(ns_ino(a.sandbox_pid, "net") != ns_ino(b.sandbox_pid, "net"));
	/* The container has a PID namespace of its own (its command is PID 1 there). */
	FL_ASSERT(ns_ino(a.container_pid, "pid") != ns_ino(a.sandbox_pid, "pid"));

	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), a.sandbox_id, &cs, &n, &diag));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(cs[0].id, a.container_id);
	FL_ASSERT_STREQ(cs[0].sandbox_id, a.sandbox_id);
	FL_ASSERT_STREQ(cs[0].name, "main");
	FL_ASSERT_EQ(cs[0].state, FL_CRI_CONTAINER_RUNNING);
	free(cs);
	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), NULL, &cs, &n, &diag));
	FL_ASSERT_EQ(n, 2);
	free(cs);
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), a.container_id, &cst, &diag));
	FL_ASSERT_STREQ(cst.c.id, a.container_id);
	FL_ASSERT_STREQ(cst.c.name, "main");
	FL_ASSERT_EQ(cst.c.state, FL_CRI_CONTAINER_RUNNING);
	FL_ASSERT_EQ(cst.pid, a.container_pid);
	FL_ASSERT(kill(cst.pid, 0) == 0);

	/* The CNI network works: UDP from pod a to pod b and back. */
	FL_ASSERT_OK(netprobe_echo_start(&b.ns, "0.0.0.0", 7007, &echo));
	fltest_defer(netprobe_echo_stop_cb, &echo);
	FL_ASSERT_OK(netprobe_udp_rtt(&a.ns, b.ip, 7007, 20, 10000, 1000, &r));
	fltest_log("pod to pod: %u/%u answered, p50 %.3f ms", r.received, r.sent, r.p50_ms);
	FL_ASSERT_EQ(r.received, r.sent);
}

FLTEST(stop_container_kills_and_the_exit_code_is_observed)
{
	static const char *const ignores_term[] = { "/bin/sh", "-c",
						    "trap '' TERM; while :; do sleep 1; done",
						    NULL };
	struct fl_cri_container_status st;
	struct fl_diag diag = { 0 };
	double t0, t1;

	crienv_start();
	crienv_run_pod("streamforge", "connector-0", NULL, false, &a);
	t0 = now_s();
	FL_ASSERT_OK(fl_cri_stop_container(crienv_cri(), a.container_id, 0, &diag));
	fltest_log("StopContainer(timeout 0) returned in %.3f s", now_s() - t0);
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), a.container_id, &st, &diag));
	fltest_log("after StopContainer(0): state %d exit %d reason %s", st.c.state, st.exit_code,
		   st.reason);
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(st.exit_code, 137); /* 128 + SIGKILL */
	FL_ASSERT_EQ(st.pid, 0);
	FL_ASSERT(st.finished_at_ns > 0);
	FL_ASSERT(kill(a.container_pid, 0) < 0);

	/* PID 1 ignoring SIGTERM: killed after the grace period, not before. */
	crienv_run_pod("streamforge", "stubborn-0", ignores_term, false, &b);
	t0 = now_s();
	FL_ASSERT_OK(fl_cri_stop_container(crienv_cri(), b.container_id, 2, &diag));
	t1 = now_s();
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), b.container_id, &st, &diag));
	fltest_log("stubborn container stopped after %.2f s, exit %d", t1 - t0, st.exit_code);
	FL_ASSERT(t1 - t0 >= 1.9 && t1 - t0 < 10);
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(st.exit_code, 137);
	FL_ASSERT(kill(b.container_pid, 0) < 0);
}

FLTEST(host_network_pods_are_recognised)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };

	crienv_start();
	crienv_run_pod("default", "hostnet", NULL, true, &h);
	crienv_run_pod("default", "podnet", NULL, false, &a);
	FL_ASSERT_OK(fl_cri_sandbox_status(crienv_cri(), h.sandbox_id, &st, &diag));
	fltest_log("host-network pod: ip \"%s\" netns path \"%s\" pid %d", st.ip, st.netns_path,
		   st.pid);
	FL_ASSERT(st.host_network);
	FL_ASSERT_STREQ(st.netns_path, "");
	FL_ASSERT(st.pid > 1);
	/* "The host" is containerd's private network namespace here; not a pod's own. */
	FL_ASSERT(ns_ino(st.pid, "net") != ns_ino(a.sandbox_pid, "net"));
	FL_ASSERT_OK(fl_cri_sandbox_status(crienv_cri(), a.sandbox_id, &st, &diag));
	FL_ASSERT(!st.host_network);
}

FLTEST(grpc_errors_carry_status_and_message)
{
	struct fl_cri_container_status st;
	struct fl_cri_sandbox_status sst;
	struct fl_cri_container *cs;
	struct fl_cri *cri = NULL;
	unsigned n;
	struct fl_diag diag = { 0 };

	crienv_start();
	FL_ASSERT_EQ(fl_cri_container_status(crienv_cri(), "0123456789abcdef", &st, &diag),
		     -ENOENT);
	fltest_log("%s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "CRI ContainerStatus: grpc-status 5: ");
	FL_ASSERT_CONTAINS(diag.msg, "0123456789abcdef");
	FL_ASSERT_EQ(fl_cri_sandbox_status(crienv_cri(), "fedcba9876543210", &sst, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "CRI PodSandboxStatus: grpc-status 5: ");
	FL_ASSERT_EQ(fl_cri_stop_container(crienv_cri(), "0123456789abcdef", 0, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "CRI StopContainer: grpc-status 5");
	/* Refused before any call. */
	FL_ASSERT_EQ(fl_cri_container_status(crienv_cri(), "", &st, &diag), -EINVAL);
	FL_ASSERT_EQ(fl_cri_stop_container(crienv_cri(), "abc", -1, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "timeout -1");
	/* The client still works after errors (same connection). */
	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), NULL, &cs, &n, &diag));
	free(cs);
	FL_ASSERT_EQ(fl_cri_open("/nonexistent.sock", 0, &cri, &diag), -ECONNREFUSED);
	FL_ASSERT_CONTAINS(diag.msg, "/nonexistent.sock");
}

FLTEST(a_removed_pod_leaves_nothing)
{
	struct fl_cri_sandbox *sbs;
	struct fl_cri_container *cs;
	struct fl_diag diag = { 0 };
	unsigned n;
	double t0;

	crienv_start();
	crienv_run_pod("streamforge", "short-lived", NULL, false, &a);
	t0 = now_s();
	crienv_remove_pod(&a);
	fltest_log("StopPodSandbox + RemovePodSandbox in %.3f s", now_s() - t0);
	FL_ASSERT(kill(a.container_pid, 0) < 0);
	FL_ASSERT(kill(a.sandbox_pid, 0) < 0);
	FL_ASSERT_OK(fl_cri_list_sandboxes(crienv_cri(), &sbs, &n, &diag));
	free(sbs);
	FL_ASSERT_EQ(n, 0);
	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), NULL, &cs, &n, &diag));
	free(cs);
	FL_ASSERT_EQ(n, 0);
}
