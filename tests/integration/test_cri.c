/* SPDX-License-Identifier: MIT */
/*
 * Our CRI client against a real, private containerd (runtime.v1 over its unix socket):
 * versions, pods on a CNI bridge that really talk to each other, sandbox and container
 * status (PIDs, IPs, namespaces), StopContainer with and without a grace period observed
 * through ContainerStatus, host-network detection, and gRPC errors with their message.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crienv.h"
#include "fltest.h"
#include "netprobe.h"

static struct crienv_pod a, b, h;
static struct netprobe_echo *echo;

FLTEST(version_and_two_pods_that_talk)
{
	struct fl_cri_version v;
	struct fl_cri_sandbox_status st;
	struct fl_cri_sandbox *sbs;
	struct fl_cri_container *cs;
	struct fl_diag diag = { 0 };
	struct netprobe_rtt r;
	unsigned n;

	crienv_start();
	FL_ASSERT_OK(fl_cri_version(crienv_cri(), &v, &diag));
	fltest_log("runtime %s %s (API %s)", v.runtime_name, v.runtime_version,
		   v.runtime_api_version);
	FL_ASSERT_STREQ(v.runtime_name, "containerd");
	crienv_run_pod("streamforge", "loader-0", NULL, false, &a);
	crienv_run_pod("streamforge", "kafka-0", NULL, false, &b);
	fltest_log("pods: %s %s pid %d, %s %s pid %d", a.name, a.ip, a.sandbox_pid, b.name, b.ip,
		   b.sandbox_pid);
	FL_ASSERT(a.ip[0] && b.ip[0] && strcmp(a.ip, b.ip) != 0);
	FL_ASSERT(a.sandbox_pid > 1 && a.container_pid > 1 && a.container_pid != a.sandbox_pid);

	FL_ASSERT_OK(fl_cri_list_sandboxes(crienv_cri(), &sbs, &n, &diag));
	FL_ASSERT_EQ(n, 2);
	FL_ASSERT(strcmp(sbs[0].namespace, "streamforge") == 0);
	free(sbs);
	FL_ASSERT_OK(fl_cri_sandbox_status(crienv_cri(), a.sandbox_id, &st, &diag));
	FL_ASSERT_STREQ(st.sb.name, "loader-0");
	FL_ASSERT(!st.host_network);
	FL_ASSERT(st.netns_path[0] == '/');
	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), a.sandbox_id, &cs, &n, &diag));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(cs[0].name, "main");
	FL_ASSERT_EQ(cs[0].state, FL_CRI_CONTAINER_RUNNING);
	free(cs);

	/* The CNI network works: UDP from pod a to pod b. */
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
	struct timespec ts;

	crienv_start();
	crienv_run_pod("streamforge", "connector-0", NULL, false, &a);
	FL_ASSERT_OK(fl_cri_stop_container(crienv_cri(), a.container_id, 0, &diag));
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), a.container_id, &st, &diag));
	fltest_log("after StopContainer(0): state %d exit %d reason %s", st.c.state, st.exit_code,
		   st.reason);
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(st.exit_code, 137);
	FL_ASSERT(kill(a.container_pid, 0) < 0);

	/* PID 1 ignoring SIGTERM: killed after the grace period. */
	crienv_run_pod("streamforge", "stubborn-0", ignores_term, false, &b);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec + ts.tv_nsec / 1e9;
	FL_ASSERT_OK(fl_cri_stop_container(crienv_cri(), b.container_id, 2, &diag));
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t1 = ts.tv_sec + ts.tv_nsec / 1e9;
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), b.container_id, &st, &diag));
	fltest_log("stubborn container stopped after %.2f s, exit %d", t1 - t0, st.exit_code);
	FL_ASSERT(t1 - t0 >= 1.9 && t1 - t0 < 10);
	FL_ASSERT_EQ(st.exit_code, 137);
}

FLTEST(host_network_pods_are_recognised)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };

	crienv_start();
	crienv_run_pod("default", "hostnet", NULL, true, &h);
	FL_ASSERT_OK(fl_cri_sandbox_status(crienv_cri(), h.sandbox_id, &st, &diag));
	FL_ASSERT(st.host_network);
}

FLTEST(grpc_errors_carry_status_and_message)
{
	struct fl_cri_container_status st;
	struct fl_cri *cri = NULL;
	struct fl_diag diag = { 0 };

	crienv_start();
	FL_ASSERT_EQ(fl_cri_container_status(crienv_cri(), "0123456789abcdef", &st, &diag),
		     -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "CRI ContainerStatus: grpc-status 5");
	FL_ASSERT_EQ(fl_cri_open("/nonexistent.sock", 0, &cri, &diag), -ECONNREFUSED);
	FL_ASSERT_CONTAINS(diag.msg, "/nonexistent.sock");
}
