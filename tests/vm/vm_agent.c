/* SPDX-License-Identifier: MIT */
/*
 * The agent on a kernel that has sch_netem (Debian's stock kernel in qemu): a netem fault
 * injected through the agent's API into a network namespace, verified (by the agent's
 * read-back and by ours), measured, reverted; and the same after kill -9 + restart. The
 * agent's wire check on real netem: a 100 ms delay on the path's interface is shown, the
 * same netem on an interface the path does not take is refused as no effect and removed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agentenv.h"
#include "faultutil.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

#define ECHO_PORT 7007

static struct testnet_ns ns_a, ns_b;
static struct agentenv agent;
static struct netprobe_echo *echo;

static void setup(void)
{
	fltest_set_timeout(180);
	if (testnet_ns_create("vaA", &ns_a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_a);
	if (testnet_ns_create("vaB", &ns_b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_b);
	if (testnet_veth(&ns_a, "va", "10.9.0.1/24", &ns_b, "vb", "10.9.0.2/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	if (netprobe_echo_start(&ns_b, "0.0.0.0", ECHO_PORT, &echo) < 0)
		FL_FAIL("echo: %s", testnet_last_error());
	fltest_defer(netprobe_echo_stop_cb, &echo);
	agent.extra[agent.n_extra++] = "--cri-socket=";
	agentenv_start(&agent);
}

static double p50(void)
{
	struct netprobe_rtt r;

	if (netprobe_udp_rtt(&ns_a, "10.9.0.2", ECHO_PORT, 20, 20000, 1500, &r) < 0)
		FL_FAIL("probe: %s", testnet_last_error());
	fltest_log("rtt: %u/%u answered, p50 %.2f ms", r.received, r.sent, r.p50_ms);
	return r.p50_ms;
}

static int inject_netem(char *id, size_t size)
{
	char body[512];
	json_t *j = NULL;
	int st;

	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"network\",\"target\":{\"netns\":\"%s\"},\"interface\":\"va\","
		       "\"duration\":\"120s\",\"netem\":\"delay 100ms 10ms distribution normal\"}",
		       ns_a.path);
	st = agentenv_request(&agent, "POST", "/v1/faults", body, &j);
	if (st == 201) {
		FL_ASSERT_STREQ(json_string_value(json_object_get(j, "mechanism")), "netem");
		(void)snprintf(id, size, "%s", json_string_value(json_object_get(j, "id")));
	} else {
		fltest_log("inject -> %d: %s", st,
			   json_string_value(json_object_get(j, "error")) ?: "");
	}
	json_decref(j);
	return st;
}

FLTEST(netem_through_the_agent_is_verified_measured_and_reverted)
{
	struct fl_netem_fault got;
	struct fl_diag diag = { 0 };
	struct fl_nl *nl;
	json_t *j = NULL;
	char id[40], path[96];
	double base;

	setup();
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/capabilities", NULL, &j), 200);
	FL_ASSERT(json_is_true(json_object_get(json_object_get(j, "mechanisms"), "netem")));
	json_decref(j);
	base = p50();
	FL_ASSERT_EQ(inject_netem(id, sizeof(id)), 201);
	/* Our own read-back, independent of the agent's. */
	nl = faultutil_nl(&ns_a);
	FL_ASSERT_EQ(fl_netem_read(nl, "va", FL_NETEM_EGRESS, &got, &diag), 1);
	FL_ASSERT_EQ(got.netem.delay_ns, 100000000);
	FL_ASSERT_EQ(got.netem.jitter_ns, 10000000);
	FL_ASSERT(p50() >= 80 && p50() <= 130 + base);
	(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
	FL_ASSERT_EQ(agentenv_request(&agent, "DELETE", path, NULL, &j), 200);
	json_decref(j);
	witness_expect_clean(ns_a.path, "after the revert");
	FL_ASSERT(p50() < base + 10);
}

FLTEST(netem_left_by_a_killed_agent_is_removed_on_restart)
{
	char id[40];

	setup();
	FL_ASSERT_EQ(inject_netem(id, sizeof(id)), 201);
	FL_ASSERT(witness_ours(ns_a.path, NULL, 0) > 0);
	agentenv_kill9(&agent);
	FL_ASSERT_MSG(witness_ours(ns_a.path, NULL, 0) > 0, "netem vanished with the agent?");
	agentenv_restart(&agent);
	witness_expect_clean(ns_a.path, "after kill -9 and restart");
	FL_ASSERT_EQ(agentenv_ledger_records(&agent), 0);
}

/* A TCP listener in b; the kernel completes the few handshakes in its accept queue. */
static int listen_fd = -1;

static void close_listener_cb(void *arg)
{
	(void)arg;
	if (listen_fd >= 0)
		(void)close(listen_fd);
	listen_fd = -1;
}

static int inject_checked(const char *ifname, json_t **ret)
{
	char body[512];

	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"network\",\"target\":{\"netns\":\"%s\"},\"interface\":"
		       "\"%s\",\"duration\":\"120s\",\"to\":[\"10.9.0.2:9092\"],"
		       "\"netem\":\"delay 100ms\",\"verify\":{\"wire\":true}}",
		       ns_a.path, ifname);
	return agentenv_request(&agent, "POST", "/v1/faults", body, ret);
}

FLTEST(netem_is_shown_on_the_wire_and_one_on_another_interface_is_not)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(9092) };
	const json_t *d;
	json_t *j = NULL;
	char path[96];

	setup();
	listen_fd = testnet_socket(&ns_b, AF_INET, SOCK_STREAM, 0);
	FL_ASSERT_MSG(listen_fd >= 0, "socket: %s", testnet_last_error());
	fltest_defer(close_listener_cb, NULL);
	(void)inet_pton(AF_INET, "10.9.0.2", &sa.sin_addr);
	FL_ASSERT_MSG(bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			      listen(listen_fd, 64) == 0,
		      "listen: %s", strerror(errno));
	/* A second link between the namespaces that the path to 10.9.0.2 does not take. */
	if (testnet_veth(&ns_a, "vx", "10.9.1.1/24", &ns_b, "vy", "10.9.1.2/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());

	FL_ASSERT_EQ(inject_checked("va", &j), 201);
	d = json_array_get(json_object_get(json_object_get(j, "wire"), "destinations"), 0);
	fltest_log("netem delay 100ms on va: connect %.2f ms before, %.2f ms after",
		   json_number_value(json_object_get(d, "baselineMs")),
		   json_number_value(json_object_get(d, "faultedMs")));
	FL_ASSERT(json_number_value(json_object_get(d, "faultedMs")) >= 100.0);
	(void)snprintf(path, sizeof(path), "/v1/faults/%s",
		       json_string_value(json_object_get(j, "id")));
	json_decref(j);
	FL_ASSERT_EQ(agentenv_request(&agent, "DELETE", path, NULL, &j), 200);
	json_decref(j);

	/* The kernel takes it (a netem on vx is a valid qdisc), the path does not see it. */
	FL_ASSERT_EQ(inject_checked("vx", &j), 422);
	fltest_log("netem on vx: %s", json_string_value(json_object_get(j, "error")));
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")),
			   "the fault has no effect on this path (reverted)");
	json_decref(j);
	witness_expect_clean(ns_a.path, "after the no-effect netem was refused");
	FL_ASSERT_EQ(agentenv_ledger_records(&agent), 0);
}
