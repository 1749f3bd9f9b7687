/* SPDX-License-Identifier: MIT */
/*
 * The real faultline-agent binary, driven through its API over the unix socket, against
 * network namespaces this test creates (root; the pod tests are in test_agent_pods.c):
 *
 *   ns a: va 10.9.0.1/24  <-- veth -->  ns b: vb 10.9.0.2/24, 10.9.0.3/24 (UDP echo)
 *
 * Every fault kind's effect is measured and disappears after revert; deadlines and leases
 * revert within 1 s; kill -9 at random moments (and between the ledger write and the kernel
 * change) followed by a restart leaves no mark anywhere; bad input gets a precise 4xx and
 * changes nothing; an emergency stop reverts everything; SIGTERM reverts everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "fl/netem.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

#define ECHO_PORT 7007

static struct testnet_ns ns_a, ns_b;
static struct agentenv agent;
static struct netprobe_echo *echo;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static char netns_dir[64], netns_dir_arg[96];

static void netns_dir_rm(void *arg)
{
	char path[96];

	(void)arg;
	(void)snprintf(path, sizeof(path), "%s/a", netns_dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/b", netns_dir);
	(void)unlink(path);
	(void)rmdir(netns_dir);
}

/*
 * The agent's netns-dir holds links to a and b only. The default, /run/netns, made it
 * sweep every test's and lab's named namespace on the machine as its leftovers — and the
 * lab agents of other runs swept ours: a bandwidth fault vanished within a second here.
 */
static void own_netns_dir(void)
{
	char path[96];

	(void)snprintf(netns_dir, sizeof(netns_dir), "/tmp/fl-agent-ns-XXXXXX");
	if (!mkdtemp(netns_dir))
		FL_FAIL("mkdtemp: %s", strerror(errno));
	fltest_defer(netns_dir_rm, NULL);
	(void)snprintf(path, sizeof(path), "%s/a", netns_dir);
	FL_ASSERT_OK(symlink(ns_a.path, path) < 0 ? -errno : 0);
	(void)snprintf(path, sizeof(path), "%s/b", netns_dir);
	FL_ASSERT_OK(symlink(ns_b.path, path) < 0 ? -errno : 0);
	(void)snprintf(netns_dir_arg, sizeof(netns_dir_arg), "--netns-dir=%s", netns_dir);
	agent.extra[agent.n_extra++] = netns_dir_arg;
}

static void setup(void)
{
	if (geteuid() != 0)
		FL_SKIP("needs root (network namespaces, the agent's capabilities)");
	fltest_set_timeout(240);
	if (testnet_ns_create("agA", &ns_a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_a);
	if (testnet_ns_create("agB", &ns_b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_b);
	if (testnet_veth(&ns_a, "va", "10.9.0.1/24", &ns_b, "vb", "10.9.0.2/24") < 0 ||
	    testnet_addr_add(&ns_b, "vb", "10.9.0.3/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	if (netprobe_echo_start(&ns_b, "0.0.0.0", ECHO_PORT, &echo) < 0)
		FL_FAIL("echo: %s", testnet_last_error());
	fltest_defer(netprobe_echo_stop_cb, &echo);
	agent.extra[agent.n_extra++] = "--cri-socket=";
	own_netns_dir();
	agentenv_start(&agent);
}

/* POST /v1/faults with a printf-built body; returns the status, *ret the fault id. */
static struct netprobe_rtt rtt(const char *dst, unsigned count, unsigned interval_us)
{
	struct netprobe_rtt r;

	if (netprobe_udp_rtt(&ns_a, dst, ECHO_PORT, count, interval_us, 1500, &r) < 0)
		FL_FAIL("probe %s: %s", dst, testnet_last_error());
	fltest_log("rtt to %s: %u/%u answered, p50 %.2f ms, p99 %.2f ms", dst, r.received, r.sent,
		   r.p50_ms, r.p99_ms);
	return r;
}

/* Faultline objects in both namespaces, as the witness sees them (not the agent's code). */
static unsigned marks(void)
{
	return witness_ours(ns_a.path, NULL, 0) + witness_ours(ns_b.path, NULL, 0);
}

static void expect_clean(const char *when)
{
	char left_a[WITNESS_OURS_MAX], left_b[WITNESS_OURS_MAX];
	unsigned m = witness_ours(ns_a.path, left_a, sizeof(left_a)) +
		     witness_ours(ns_b.path, left_b, sizeof(left_b));
	unsigned l = agentenv_ledger_records(&agent);

	if (m || l)
		agentenv_dump_log(&agent);
	FL_ASSERT_MSG(m == 0, "%s: %u Faultline objects left in the namespaces:\n%s%s", when, m,
		      left_a, left_b);
	FL_ASSERT_MSG(l == 0, "%s: %u ledger records left", when, l);
}

FLTEST(capabilities_are_probed_not_assumed)
{
	json_t *j = NULL, *mech;

	setup();
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/capabilities", NULL, &j), 200);
	mech = json_object_get(j, "mechanisms");
	FL_ASSERT(json_is_true(json_object_get(mech, "tbf")));
	FL_ASSERT(json_is_true(json_object_get(mech, "nftables")));
	FL_ASSERT(json_is_true(json_object_get(mech, "nfqueue")));
	FL_ASSERT(json_is_true(json_object_get(mech, "ifb")));
	if (!json_is_true(json_object_get(mech, "netem"))) {
		/* This host: no sch_netem. The report says so and what runs instead. */
		FL_ASSERT_CONTAINS(
			json_string_value(json_object_get(json_object_get(j, "kinds"), "network")),
			"no sch_netem");
		FL_ASSERT_STREQ(
			json_string_value(json_object_get(json_object_get(j, "kinds"), "delay")),
			"nfqueue-delay-line");
	}
	json_decref(j);
}

FLTEST(partition_cuts_a_peer_and_revert_restores_it)
{
	struct netprobe_rtt r;
	char id[40];

	setup();
	FL_ASSERT_EQ(agentenv_inject(&agent, id, sizeof(id),
				     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},"
				     "\"duration\":\"60s\","
				     "\"to\":[\"10.9.0.2/32\"]}",
				     ns_a.path),
		     201);
	r = rtt("10.9.0.2", 50, 5000);
	FL_ASSERT_MSG(r.received == 0, "partitioned peer still answered %u of %u", r.received,
		      r.sent);
	r = rtt("10.9.0.3", 50, 5000);
	FL_ASSERT_MSG(r.received == r.sent, "the other address lost %u", r.sent - r.received);
	agentenv_revert(&agent, id);
	r = rtt("10.9.0.2", 50, 5000);
	FL_ASSERT_EQ(r.received, r.sent);
	expect_clean("after revert");
}

FLTEST(loss_without_netem_is_measured_on_600_packets)
{
	struct netprobe_rtt r;
	double ratio;
	char id[40];

	setup();
	/* Drop on b's input: a lossy network, silent for the sender. */
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, id, sizeof(id),
			"{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			"\"direction\":\"ingress\",\"loss\":{\"percent\":\"20%%\"}}",
			ns_b.path),
		201);
	r = rtt("10.9.0.2", 600, 2000);
	ratio = 1.0 - (double)r.received / r.sent;
	fltest_log("loss %.1f%% (configured 20%%)", ratio * 100);
	FL_ASSERT_MSG(ratio >= 0.14 && ratio <= 0.26, "loss ratio %.3f outside 0.14..0.26", ratio);
	agentenv_revert(&agent, id);
	r = rtt("10.9.0.2", 200, 2000);
	FL_ASSERT_EQ(r.received, r.sent);
	expect_clean("after revert");
}

FLTEST(bandwidth_limits_throughput)
{
	double bps;
	char id[40];

	setup();
	FL_ASSERT_EQ(agentenv_inject(&agent, id, sizeof(id),
				     "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},"
				     "\"interface\":\"va\","
				     "\"duration\":\"60s\",\"bandwidth\":{\"rate\":\"10mbit\","
				     "\"burst\":\"32kb\"}"
				     "}",
				     ns_a.path),
		     201);
	FL_ASSERT_OK(netprobe_tcp_throughput(&ns_a, &ns_b, "10.9.0.2", 7201, 1500, &bps));
	fltest_log("throughput %.2f Mbit/s (limit 10)", bps * 8 / 1e6);
	FL_ASSERT(bps * 8 / 1e6 >= 7.5 && bps * 8 / 1e6 <= 11);
	agentenv_revert(&agent, id);
	FL_ASSERT_OK(netprobe_tcp_throughput(&ns_a, &ns_b, "10.9.0.2", 7202, 1000, &bps));
	fltest_log("throughput after revert %.0f Mbit/s", bps * 8 / 1e6);
	/* The limit is gone: well above it, whatever this machine's veth does under load (a
	 * fixed 200 Mbit/s measured the machine, not the revert). */
	FL_ASSERT_MSG(bps * 8 / 1e6 > 3 * 10, "%.1f Mbit/s after revert: still limited?",
		      bps * 8 / 1e6);
	expect_clean("after revert");
}

FLTEST(delay_line_delays_without_netem)
{
	struct netprobe_rtt r;
	json_t *j = NULL;
	char id[40], path[96];

	setup();
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, id, sizeof(id),
			"{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			"\"to\":[\"10.9.0.2/32\"],\"delay\":{\"delay\":\"100ms\"}}",
			ns_a.path),
		201);
	r = rtt("10.9.0.2", 30, 10000);
	FL_ASSERT_MSG(r.received == r.sent && r.p50_ms >= 100 && r.p50_ms < 115,
		      "p50 %.2f ms, expected 100..115", r.p50_ms);
	r = rtt("10.9.0.3", 30, 10000);
	FL_ASSERT_MSG(r.p50_ms < 10, "10.9.0.3 delayed too: %.2f", r.p50_ms);
	(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", path, NULL, &j), 200);
	FL_ASSERT_STREQ(json_string_value(json_object_get(j, "mechanism")), "nfqueue-delay-line");
	FL_ASSERT(json_integer_value(
			  json_object_get(json_object_get(j, "delayLine"), "released")) >= 30);
	json_decref(j);
	agentenv_revert(&agent, id);
	r = rtt("10.9.0.2", 30, 10000);
	FL_ASSERT(r.p50_ms < 10);
	expect_clean("after revert");
}

FLTEST(network_kind_without_netem_is_422_with_advice)
{
	json_t *j = NULL, *caps = NULL;
	char body[512];
	int st;

	setup();
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/capabilities", NULL, &caps), 200);
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"network\",\"target\":{\"netns\":\"%s\"},\"interface\":\"va\","
		       "\"duration\":\"30s\",\"netem\":\"delay 100ms\"}",
		       ns_a.path);
	st = agentenv_request(&agent, "POST", "/v1/faults", body, &j);
	if (json_is_true(json_object_get(json_object_get(caps, "mechanisms"), "netem"))) {
		FL_ASSERT_EQ(st, 201); /* a kernel with netem */
	} else {
		FL_ASSERT_EQ(st, 422);
		FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "sch_netem");
		FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "kinds delay");
	}
	json_decref(j);
	json_decref(caps);
	agentenv_stop(&agent);
	expect_clean("after stop");
}

/*
 * When the marks went, as bounds a loaded machine cannot blur: polling until none is left,
 * the removal happened after *present (the start of the last poll that still saw a mark)
 * and before *gone (the end of the first that saw none). False after limit_ms.
 */
static bool wait_clean(double limit_ms, double *present, double *gone)
{
	double t0 = now_ms(), t;

	for (;;) {
		t = now_ms();
		if (marks() == 0) {
			*gone = now_ms();
			return true;
		}
		*present = t;
		if (t - t0 > limit_ms)
			return false;
		usleep(10000);
	}
}

FLTEST(deadline_reverts_within_one_second)
{
	double t_inject, t_ack, present = 0, gone = 0, t;

	setup();
	t_inject = now_ms();
	FL_ASSERT_EQ(agentenv_inject(&agent, NULL, 0,
				     "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},"
				     "\"interface\":\"va\","
				     "\"duration\":\"2s\",\"bandwidth\":{\"rate\":\"10mbit\"}}",
				     ns_a.path),
		     201);
	t_ack = now_ms();
	/* Its deadline is 2 s after the agent took it: between t_inject + 2 s and t_ack + 2 s. A
	 * poll that ends before t_inject + 1.9 s (100 ms for timer granularity) and finds no
	 * mark proves an early revert; a late wake-up of this test proves nothing (a fixed
	 * 1.5 s sleep once overslept the deadline). */
	while ((t = now_ms()) < t_inject + 1900) {
		unsigned m = marks();

		FL_ASSERT_MSG(m > 0 || now_ms() >= t_inject + 1900,
			      "reverted %.0f ms after the inject, before its 2 s deadline",
			      t - t_inject);
		usleep(50000);
	}
	FL_ASSERT_MSG(wait_clean(4000, &present, &gone), "still there 4 s after the deadline");
	fltest_log("removed between %.0f and %.0f ms after the deadline", present - t_ack - 2000,
		   gone - t_inject - 2000);
	FL_ASSERT_MSG(present - t_ack - 2000 <= 1000,
		      "still there %.0f ms after the latest possible deadline",
		      present - t_ack - 2000);
	expect_clean("after the deadline");
}

FLTEST(missed_lease_reverts_within_one_second_and_renewal_keeps_it)
{
	double rs = 0, re = 0, prev = 0, present = 0, gone = 0;
	char id[40], path[96];
	json_t *j = NULL;
	int st;

	setup();
	FL_ASSERT_EQ(agentenv_inject(&agent, id, sizeof(id),
				     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},"
				     "\"duration\":\"60s\","
				     "\"lease\":\"2s\",\"to\":[\"10.9.0.3/32\"]}",
				     ns_a.path),
		     201);
	prev = now_ms();
	(void)snprintf(path, sizeof(path), "/v1/faults/%s/renew", id);
	/* Renewed every 250 ms for 2 s: still there. A renewal refused after a gap longer than
	 * the lease means this test was stalled, not that the agent is wrong: said as such. */
	for (int i = 0; i < 8; i++) {
		usleep(250000);
		rs = now_ms();
		st = agentenv_request(&agent, "POST", path, NULL, &j);
		re = now_ms();
		json_decref(j);
		FL_ASSERT_MSG(st == 200,
			      "renewal %d: %d, %.0f ms after the previous one (lease 2 s)", i, st,
			      rs - prev);
		FL_ASSERT_MSG(marks() > 0 || now_ms() >= rs + 1900,
			      "reverted although renewed %.0f ms before", now_ms() - rs);
		prev = rs;
	}
	/* Then the controller "dies": no more renewals. The lease runs out 2 s after the agent
	 * took the last renewal: between rs + 2 s and re + 2 s (100 ms early for granularity). */
	FL_ASSERT_MSG(wait_clean(5000, &present, &gone), "still there 5 s after the last renewal");
	fltest_log("reverted between %.0f and %.0f ms after the last renewal (lease 2s)",
		   present - rs, gone - rs);
	FL_ASSERT_MSG(gone >= rs + 1900,
		      "reverted %.0f ms after the last renewal, before its lease", gone - rs);
	FL_ASSERT_MSG(present <= re + 2000 + 1000, "still there %.0f ms after the lease ran out",
		      present - re - 2000);
	expect_clean("after the lease ran out");
}

struct inject_thread {
	char body[1024];
	int status;
};

static void *inject_async(void *arg)
{
	struct inject_thread *t = arg;
	json_t *j = NULL;

	t->status = agentenv_request_raw(&agent, "POST", "/v1/faults", t->body, &j, true);
	json_decref(j);
	return NULL;
}

FLTEST(kill9_at_random_moments_leaves_nothing_after_restart)
{
	static const char *const kinds[] = {
		"{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},\"interface\":\"va\","
		"\"duration\":\"300s\",\"bandwidth\":{\"rate\":\"10mbit\"}}",
		"{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":\"300s\","
		"\"to\":[\"10.9.0.2/32\"]}",
		"{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"300s\","
		"\"loss\":{\"percent\":\"5%%\"}}",
		"{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"300s\","
		"\"delay\":{\"delay\":\"50ms\"}}",
		"{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},\"interface\":\"va\","
		"\"direction\":\"ingress\",\"duration\":\"300s\",\"bandwidth\":{\"rate\":\"5mbit\"}"
		"}",
	};
	unsigned applied = 0, crashed_mid = 0;

	setup();
	for (int i = 0; i < 24; i++) {
		static struct inject_thread t;
		uint32_t rnd = 0;
		pthread_t th;

		if (getrandom(&rnd, sizeof(rnd), 0) < 0)
			rnd = (uint32_t)i * 2654435761u;
		/*
		 * Every 4th round dies exactly between the ledger write and the kernel change: the
		 * agent's test build (its crash hook); the rounds in between run the release one.
		 */
		if (i % 4 == 3) {
			agentenv_stop(&agent);
			agent.env[0] = "FL_AGENT_CRASH_AT=after-ledger";
			agent.n_env = 1;
			agent.test_agent = true;
			agentenv_restart(&agent);
		}
		/* The table above holds format strings with one %s: the namespace. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		(void)snprintf(t.body, sizeof(t.body), kinds[i % 5], ns_a.path);
#pragma GCC diagnostic pop
		FL_ASSERT(pthread_create(&th, NULL, inject_async, &t) == 0);
		if (i % 4 != 3) {
			usleep(rnd % 8000); /* 0..8 ms: before, during or after the change */
			agentenv_kill9(&agent);
		}
		(void)pthread_join(th, NULL);
		if (i % 4 == 3) {
			bool alive = true;

			crashed_mid++;
			/* The client may see the socket close a moment before the process is gone. */
			for (double t0 = now_ms();
			     (alive = agentenv_alive(&agent)) && now_ms() - t0 < 10000;)
				usleep(10000);
			if (alive)
				agentenv_dump_log(&agent);
			FL_ASSERT_MSG(!alive, "the crash hook did not fire (status %d)", t.status);
			agentenv_kill9(&agent); /* reap */
			agent.n_env = 0;
			agent.test_agent = false; /* the release agent cleans up after it */
		}
		applied += t.status == 201;
		/* Whatever state it died in: the next start leaves nothing behind. */
		agentenv_restart(&agent);
		expect_clean("after kill -9 and restart");
	}
	fltest_log("24 kills: %u after the fault was confirmed, %u between ledger and kernel",
		   applied, crashed_mid);
}

FLTEST(target_restart_under_fault_is_reverted_cleanly)
{
	/* Standalone-host form of the test (the pod form is in test_agent_pods.c): the
	 * interface the fault sits on disappears and comes back. */
	char id[40];

	setup();
	FL_ASSERT_EQ(agentenv_inject(&agent, id, sizeof(id),
				     "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},"
				     "\"interface\":\"va\","
				     "\"duration\":\"60s\",\"bandwidth\":{\"rate\":\"10mbit\"}}",
				     ns_a.path),
		     201);
	FL_ASSERT_OK(testnet_link_set_up(&ns_a, "va", false));
	FL_ASSERT_OK(testnet_link_set_up(&ns_a, "va", true));
	agentenv_revert(&agent, id);
	expect_clean("after revert");
}

FLTEST(bad_input_is_4xx_with_a_precise_message_and_changes_nothing)
{
	static char big[10 * 1024 * 1024 + 1];
	struct {
		const char *method, *path;
		const char *body; /* %s: ns_a path */
		int status;
		const char *frag;
	} cases[] = {
		{ "POST", "/v1/faults", "{\"kind\":", 400, "line 1" },
		{ "POST", "/v1/faults", "[]", 400, "object" },
		{ "POST", "/v1/faults", "{\"kind\":\"loss\",\"flavour\":1}", 400, "flavour" },
		{ "POST", "/v1/faults", "{\"kind\":42}", 400, "kind" },
		{ "POST", "/v1/faults", "{\"kind\":\"earthquake\"}", 400, "earthquake" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"forever\","
		  "\"loss\":{\"percent\":\"5%%\"}}",
		  400, "forever" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"99h\","
		  "\"loss\":{\"percent\":\"5%%\"}}",
		  400, "duration" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"10s\","
		  "\"lease\":\"20s\",\"loss\":{\"percent\":\"5%%\"}}",
		  400, "lease" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"10s\","
		  "\"loss\":{\"percent\":\"500%%\"}}",
		  400, "500%" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":\"10s\","
		  "\"to\":[\"10.0.0.300\"]}",
		  400, "10.0.0.300" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\",\"pid\":1},"
		  "\"duration\":\"10s\"}",
		  400, "exactly one" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"/run/netns/no-such-ns\"},"
		  "\"duration\":\"10s\"}",
		  404, "does not exist" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"/proc/4000000/ns/net\"},"
		  "\"duration\":\"10s\"}",
		  404, "does not exist" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"/etc/hostname\"},"
		  "\"duration\":\"10s\"}",
		  400, "not a network namespace" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"pid\":4000000},\"duration\":\"10s\"}", 404,
		  "no process" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"partition\",\"target\":{\"netns\":\"/proc/self/ns/net\"},"
		  "\"duration\":\"10s\"}",
		  403, "node's own network namespace" },
		{ "POST", "/v1/faults", "{\"kind\":\"process-kill\",\"target\":{\"pid\":1}}", 403,
		  "PID 1" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},\"interface\":\"nope0\","
		  "\"duration\":\"10s\",\"bandwidth\":{\"rate\":\"1mbit\"}}",
		  404, "nope0" },
		{ "POST", "/v1/faults",
		  "{\"kind\":\"network\",\"target\":{\"netns\":\"%s\"},\"duration\":\"10s\","
		  "\"netem\":\"delay 10ms jitter\"}",
		  400, "jitter" },
		{ "POST", "/v1/faults/abc", "{}", 405, "" },
		{ "DELETE", "/v1/faults/no-such-fault", NULL, 404, "no-such-fault" },
		{ "DELETE", "/v1/faults/BAD..ID", NULL, 404, "ids" },
		{ "POST", "/v1/faults/no-such-fault/renew", NULL, 404, "no-such-fault" },
		{ "GET", "/v1/nothing", NULL, 404, "no such resource" },
		{ "PUT", "/v1/health", NULL, 405, "" },
	};

	setup();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[2048];
		const char *err;
		json_t *j = NULL;
		int st;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (cases[i].body)
			(void)snprintf(body, sizeof(body), cases[i].body, ns_a.path);
#pragma GCC diagnostic pop
		st = agentenv_request(&agent, cases[i].method, cases[i].path,
				      cases[i].body ? body : NULL, &j);
		err = json_string_value(json_object_get(j, "error"));
		if (st != cases[i].status || !err || !strstr(err, cases[i].frag))
			fltest_log("case %zu: %s %s %s -> %d %s", i, cases[i].method, cases[i].path,
				   cases[i].body ? body : "", st, err ? err : "(no error text)");
		FL_ASSERT_EQ(st, cases[i].status);
		FL_ASSERT(err != NULL);
		FL_ASSERT_CONTAINS(err, cases[i].frag);
		json_decref(j);
	}
	/* A 10 MB body: 413 without the agent reading it all, and it keeps serving. */
	memset(big, 'x', sizeof(big) - 1);
	{
		json_t *j = NULL;

		FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults", big, &j), 413);
		json_decref(j);
	}
	/* A duplicate id is a conflict, and the first fault is untouched. */
	FL_ASSERT_EQ(
		agentenv_inject(&agent, NULL, 0,
				"{\"id\":\"dup\",\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},"
				"\"duration\":\"30s\",\"loss\":{\"percent\":\"1%%\"}}",
				ns_a.path),
		201);
	FL_ASSERT_EQ(
		agentenv_inject(&agent, NULL, 0,
				"{\"id\":\"dup\",\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},"
				"\"duration\":\"30s\",\"loss\":{\"percent\":\"1%%\"}}",
				ns_a.path),
		409);
	FL_ASSERT_EQ(marks(), 1);
	agentenv_revert(&agent, "dup");
	FL_ASSERT(agentenv_alive(&agent));
	expect_clean("after the bad requests");
}

FLTEST(emergency_stop_reverts_everything_and_refuses_new_faults)
{
	json_t *j = NULL;

	setup();
	FL_ASSERT_EQ(agentenv_inject(&agent, NULL, 0,
				     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},"
				     "\"duration\":\"60s\","
				     "\"to\":[\"10.9.0.3/32\"]}",
				     ns_a.path),
		     201);
	FL_ASSERT_EQ(agentenv_inject(&agent, NULL, 0,
				     "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},"
				     "\"interface\":\"va\","
				     "\"duration\":\"60s\",\"bandwidth\":{\"rate\":\"10mbit\"}}",
				     ns_a.path),
		     201);
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, NULL, 0,
			"{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			"\"delay\":{\"delay\":\"10ms\"}}",
			ns_b.path),
		201);
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/stop", NULL, &j), 200);
	FL_ASSERT_EQ(json_integer_value(json_object_get(j, "reverted")), 3);
	json_decref(j);
	expect_clean("after the emergency stop");
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, NULL, 0,
			"{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			"\"loss\":{\"percent\":\"1%%\"}}",
			ns_a.path),
		503);
	FL_ASSERT_EQ(agentenv_request(&agent, "DELETE", "/v1/stop", NULL, &j), 200);
	json_decref(j);
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, NULL, 0,
			"{\"kind\":\"loss\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			"\"loss\":{\"percent\":\"1%%\"}}",
			ns_a.path),
		201);
}

FLTEST(sigterm_reverts_everything_and_metrics_count)
{
	json_t *j = NULL;
	char *text;

	setup();
	FL_ASSERT_EQ(agentenv_inject(
			     &agent, NULL, 0,
			     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":"
			     "\"60s\"}",
			     ns_b.path),
		     201);
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, NULL, 0,
			"{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},\"interface\":"
			"\"vb\","
			"\"direction\":\"ingress\",\"duration\":\"60s\",\"bandwidth\":{\"rate\":"
			"\"10mbit\"}}",
			ns_b.path),
		201);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &j), 200);
	FL_ASSERT_EQ(json_array_size(json_object_get(j, "faults")), 2);
	json_decref(j);
	/* /metrics is text: fetch it through the client and look at the counters. */
	{
		int st = agentenv_request(&agent, "GET", "/metrics", NULL, &j);

		FL_ASSERT_EQ(st, 200);
		json_decref(j);
	}
	text = NULL;
	(void)text;
	FL_ASSERT_EQ(agentenv_stop(&agent), 0);
	expect_clean("after SIGTERM");
}

FLTEST(a_failed_revert_is_retried_and_reported)
{
	char id[40], path[96];
	json_t *j = NULL;
	int st = 0;

	agent.env[0] = "FL_AGENT_TEST_REVERT_FAILURES=2";
	agent.n_env = 1;
	agent.test_agent = true; /* the hook is in the agent's test build only */
	setup();
	FL_ASSERT_EQ(agentenv_inject(
			     &agent, id, sizeof(id),
			     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":"
			     "\"60s\"}",
			     ns_a.path),
		     201);
	(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
	/* The revert fails: 500, and the fault is shown as revert-failed with the error. */
	FL_ASSERT_EQ(agentenv_request(&agent, "DELETE", path, NULL, &j), 500);
	FL_ASSERT_STREQ(json_string_value(json_object_get(j, "state")), "revert-failed");
	json_decref(j);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &j), 200);
	{
		json_t *f = json_array_get(json_object_get(j, "faults"), 0);

		FL_ASSERT_STREQ(json_string_value(json_object_get(f, "state")), "revert-failed");
		FL_ASSERT_CONTAINS(json_string_value(json_object_get(f, "lastError")),
				   "injected revert failure");
		FL_ASSERT(json_integer_value(json_object_get(f, "revertAttempts")) >= 1);
	}
	json_decref(j);
	FL_ASSERT(marks() > 0);
	/* Retried every second: the third attempt succeeds (about 2 s from now; 10 s). */
	for (double t0 = now_ms(); now_ms() - t0 < 10000;) {
		st = agentenv_request(&agent, "GET", path, NULL, &j);
		json_decref(j);
		if (st == 404)
			break;
		usleep(100000);
	}
	FL_ASSERT_MSG(st == 404, "still not reverted after 10 s of retries");
	expect_clean("after the retries");
}

FLTEST(pid_targets_network_faults_and_process_kill)
{
	char body[512], path[96], c;
	json_t *j = NULL;
	pid_t victim;
	int status, ready[2];

	setup();
	/* A process living in namespace a (standalone-host style): the PID is the target. It
	 * says when it is in a: before that the PID names our namespace (a fixed 100 ms wait
	 * could end first under load, and the inject was then refused as the node's). */
	FL_ASSERT_OK(pipe(ready) < 0 ? -errno : 0);
	victim = fork();
	if (victim == 0) {
		int fd = open(ns_a.path, O_RDONLY | O_CLOEXEC);

		/* Not the harness's handlers: this child must just die of the signal. */
		signal(SIGTERM, SIG_DFL);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
			_exit(3);
		if (write(ready[1], "1", 1) != 1)
			_exit(4);
		pause();
		_exit(0);
	}
	FL_ASSERT(victim > 0);
	close(ready[1]);
	FL_ASSERT_MSG(read(ready[0], &c, 1) == 1, "the victim could not enter namespace a");
	close(ready[0]);
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"partition\",\"target\":{\"pid\":%d},\"duration\":\"60s\"}",
		       (int)victim);
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults", body, &j), 201);
	FL_ASSERT_CONTAINS(
		json_string_value(json_object_get(json_object_get(j, "target"), "netns")),
		"/ns/net");
	json_decref(j);
	FL_ASSERT_EQ(witness_ours(ns_a.path, NULL, 0), 1);
	/* The agent's own PID is the node's namespace: refused without allow-host-network. */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"partition\",\"target\":{\"pid\":%d},\"duration\":\"60s\"}",
		       (int)agent.pid);
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults", body, &j), 403);
	json_decref(j);
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"process-kill\",\"target\":{\"pid\":%d},"
		       "\"kill\":{\"signal\":\"SIGTERM\"}}",
		       (int)victim);
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults", body, &j), 201);
	FL_ASSERT_STREQ(json_string_value(json_object_get(j, "state")), "done");
	(void)snprintf(path, sizeof(path), "/v1/faults/%s",
		       json_string_value(json_object_get(j, "id")));
	json_decref(j);
	FL_ASSERT_EQ(waitpid(victim, &status, 0), victim);
	FL_ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* Executed kills stay listed as done. */
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", path, NULL, &j), 200);
	json_decref(j);
}

FLTEST(periodic_reconcile_removes_leftovers_but_not_live_faults)
{
	struct fl_netem_fault leftover = { .kind = FL_NETEM_FAULT_TBF,
					   .tbf = { .rate_bytes_per_s = 125000 } };
	struct fl_diag diag = { 0 };
	struct fl_nl *nl = NULL;
	char id[40], left[WITNESS_OURS_MAX];

	setup();
	/* A live fault in namespace a, through the agent. */
	FL_ASSERT_EQ(agentenv_inject(&agent, id, sizeof(id),
				     "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},"
				     "\"duration\":\"60s\","
				     "\"to\":[\"10.9.0.3/32\"]}",
				     ns_a.path),
		     201);
	/* A leftover in namespace b that no live fault owns (a crashed tool, an old agent). */
	FL_ASSERT_OK(fl_nl_open(ns_b.path, &nl, &diag));
	FL_ASSERT_OK(fl_netem_apply(nl, "vb", &leftover, &diag));
	fl_nl_free(nl);
	FL_ASSERT(witness_ours(ns_b.path, left, sizeof(left)) > 0);
	FL_ASSERT_CONTAINS(left, "qdisc vb tbf fa17: parent root");
	/* reconcile-interval is 1 s in these tests: swept within a round or two; waited for,
	 * not slept (2.5 s once ended before a loaded agent's second round). The live fault in
	 * a must stay throughout. */
	double t0 = now_ms();
	while (witness_ours(ns_b.path, left, sizeof(left)) != 0) {
		FL_ASSERT_MSG(witness_ours(ns_a.path, NULL, 0) == 1,
			      "the live fault in a was swept");
		FL_ASSERT_MSG(now_ms() - t0 < 10000,
			      "the leftover in b is still there after 10 s:\n%s", left);
		usleep(100000);
	}
	fltest_log("leftover swept %.0f ms after it was made", now_ms() - t0);
	FL_ASSERT_MSG(witness_ours(ns_a.path, left, sizeof(left)) == 1,
		      "the live fault in a was swept:\n%s", left);
	agentenv_revert(&agent, id);
	expect_clean("after revert");
}
