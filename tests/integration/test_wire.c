/* SPDX-License-Identifier: MIT */
/*
 * The agent's wire check ("verify": {"wire": true}) on the host kernel, through the real
 * faultline-agent binary (root):
 *
 *   ns a (the target): va 10.9.5.1/24  <-- veth -->  ns b: vb 10.9.5.2/24, TCP :9092
 *
 * A delay line of 200 ms and a partition (drop and reject) are shown on the wire and the
 * inject answers 201 with baseline vs faulted connect times (also in GET /v1/faults); the
 * same faults aimed so that the kernel does not apply them to the measured path (the
 * destination written as an IPv4-mapped IPv6 address: the rule matches ip6 packets, the
 * connect sends IPv4 ones) fail with 422 "no effect" and leave nothing behind, as an
 * independent `nft -j list ruleset` in the namespace confirms; a destination nobody listens
 * on is "cannot judge" and changes nothing; the API answers other requests while a wire
 * check runs, even with a single HTTP worker.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "fltest.h"
#include "testnet.h"
#include "witness.h"

#define PORT	  9092
#define DEAD_PORT 9093 /* nobody listens there */
#define SERVER	  "10.9.5.2"

static struct testnet_ns ns_a, ns_b;
static struct agentenv agent;
static int listen_fd = -1;
static pthread_t acceptor;
static bool acceptor_running;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Accept and close at once, as a server that the check's connects do not bother. */
static void *accept_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept(listen_fd, NULL, NULL);

		if (fd >= 0)
			(void)close(fd);
		else if (errno != EINTR && errno != ECONNABORTED)
			return NULL; /* shut down */
	}
}

static void server_stop_cb(void *arg)
{
	(void)arg;
	if (acceptor_running) {
		(void)shutdown(listen_fd, SHUT_RDWR);
		(void)pthread_join(acceptor, NULL);
		acceptor_running = false;
	}
	if (listen_fd >= 0)
		(void)close(listen_fd);
	listen_fd = -1;
}

static void setup(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int one = 1;

	if (geteuid() != 0)
		FL_SKIP("needs root (network namespaces, nftables, the agent's capabilities)");
	fltest_set_timeout(180);
	if (testnet_ns_create("wireA", &ns_a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_a);
	if (testnet_ns_create("wireB", &ns_b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_b);
	if (testnet_veth(&ns_a, "va", "10.9.5.1/24", &ns_b, "vb", SERVER "/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	listen_fd = testnet_socket(&ns_b, AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0)
		FL_FAIL("socket: %s", testnet_last_error());
	fltest_defer(server_stop_cb, NULL);
	(void)inet_pton(AF_INET, SERVER, &sa.sin_addr);
	if (setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 64) < 0)
		FL_FAIL("listen: %s", strerror(errno));
	if (pthread_create(&acceptor, NULL, accept_main, NULL) != 0)
		FL_FAIL("acceptor thread");
	acceptor_running = true;
	agent.extra[agent.n_extra++] = "--cri-socket=";
	/* One HTTP worker: a wire check that held it would stall every other request. */
	agent.extra[agent.n_extra++] = "--http-threads=1";
	agentenv_start(&agent);
}

/* `nft -j list ruleset` inside ns a, by the nft program: a look that is not our library. */
static void expect_no_nft_table(const char *when)
{
	char cmd[256], buf[8192];
	size_t n;
	FILE *p;

	(void)snprintf(cmd, sizeof(cmd), "ip netns exec %s nft -j list ruleset 2>&1", ns_a.name);
	p = popen(cmd, "r");
	FL_ASSERT_MSG(p != NULL, "popen %s", cmd);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	FL_ASSERT_MSG(pclose(p) == 0, "%s: %s", cmd, buf);
	FL_ASSERT_MSG(strstr(buf, "\"nftables\"") != NULL, "%s: not nft's JSON: %s", cmd, buf);
	FL_ASSERT_MSG(strstr(buf, "faultline") == NULL, "%s: a Faultline table is left: %s", when,
		      buf);
}

static void expect_clean(const char *when)
{
	unsigned l = agentenv_ledger_records(&agent);
	json_t *j = NULL;

	if (l || witness_ours(ns_a.path, NULL, 0) > 0)
		agentenv_dump_log(&agent);
	/* Marks judged by the independent witness (libnl, nft -j), not by the agent's code. */
	witness_expect_clean(ns_a.path, when);
	FL_ASSERT_MSG(l == 0, "%s: %u ledger records left", when, l);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &j), 200);
	FL_ASSERT_MSG(json_array_size(json_object_get(j, "faults")) == 0,
		      "%s: the agent still lists a fault", when);
	json_decref(j);
	expect_no_nft_table(when);
}

/* POST a fault; returns the status and the answer (new reference) in *ret. */
static int inject(const char *body, json_t **ret, double *ret_ms)
{
	double t0 = now_ms();
	int status = agentenv_request(&agent, "POST", "/v1/faults", body, ret);

	if (ret_ms)
		*ret_ms = now_ms() - t0;
	if (status != 201 && *ret)
		fltest_log("inject answered %d: %s", status,
			   json_string_value(json_object_get(*ret, "error")));
	return status;
}

static const json_t *dest0(const json_t *answer)
{
	return json_array_get(json_object_get(json_object_get(answer, "wire"), "destinations"), 0);
}

static double num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	FL_ASSERT_MSG(json_is_number(v), "\"%s\" is not a number", key);
	return json_number_value(v);
}

FLTEST(delay_line_200ms_shows_on_the_wire)
{
	char body[512];
	json_t *j = NULL, *list = NULL;
	double base, faulted, took, plain;
	const json_t *d;

	setup();
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"" SERVER ":%d\"],\"delay\":{\"delay\":\"200ms\"}%s}",
		       ns_a.path, PORT, ",\"verify\":{\"wire\":true}");
	FL_ASSERT_EQ(inject(body, &j, &took), 201);
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(j, "wire"), "verdict")),
			"effect");
	d = dest0(j);
	FL_ASSERT_STREQ(json_string_value(json_object_get(d, "to")), SERVER ":9092");
	base = num(d, "baselineMs");
	faulted = num(d, "faultedMs");
	fltest_log("delay line 200ms: connect %.2f ms before, %.2f ms after; inject took %.0f ms",
		   base, faulted, took);
	FL_ASSERT_MSG(faulted >= 200.0, "faulted %.2f ms < the 200 ms delay", faulted);
	FL_ASSERT_MSG(faulted - base >= 100.0, "rise %.2f ms", faulted - base);
	/* The listing shows the same figures. */
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &list), 200);
	d = json_object_get(json_array_get(json_object_get(list, "faults"), 0), "wire");
	FL_ASSERT_STREQ(json_string_value(json_object_get(d, "verdict")), "effect");
	FL_ASSERT(num(dest0(json_array_get(json_object_get(list, "faults"), 0)), "faultedMs") ==
		  faulted);
	agentenv_revert(&agent, json_string_value(json_object_get(j, "id")));
	json_decref(list);
	json_decref(j);
	expect_clean("after revert");

	/* What the check adds: the same inject without it. */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"" SERVER ":%d\"],\"delay\":{\"delay\":\"200ms\"}}",
		       ns_a.path, PORT);
	FL_ASSERT_EQ(inject(body, &j, &plain), 201);
	fltest_log("the same inject without the wire check: %.0f ms (the check added %.0f ms)",
		   plain, took - plain);
	agentenv_revert(&agent, json_string_value(json_object_get(j, "id")));
	json_decref(j);
}

struct health_probe {
	double worst_ms;
	unsigned answered;
	volatile bool stop;
};

/* GET /v1/health every 50 ms while a wire check runs: the API must keep answering. */
static void *health_main(void *arg)
{
	struct health_probe *h = arg;
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	while (!h->stop) {
		double t0 = now_ms(), dt;
		json_t *j = NULL;

		if (agentenv_request_raw(&agent, "GET", "/v1/health", NULL, &j, true) == 200)
			h->answered++;
		json_decref(j);
		dt = now_ms() - t0;
		if (dt > h->worst_ms)
			h->worst_ms = dt;
		(void)nanosleep(&ts, NULL);
	}
	return NULL;
}

FLTEST(partition_shows_connect_timed_out_and_the_api_stays_responsive)
{
	struct health_probe h = { 0 };
	char body[512];
	json_t *j = NULL;
	pthread_t t;
	double took;
	const json_t *d;

	setup();
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"" SERVER ":%d\"],\"verify\":{\"wire\":true}}",
		       ns_a.path, PORT);
	FL_ASSERT_EQ(pthread_create(&t, NULL, health_main, &h), 0);
	FL_ASSERT_EQ(inject(body, &j, &took), 201);
	h.stop = true;
	(void)pthread_join(t, NULL);
	d = dest0(j);
	fltest_log("partition (drop): connect %.2f ms before, after: %s; inject took %.0f ms; "
		   "meanwhile %u health answers, the slowest in %.1f ms",
		   num(d, "baselineMs"), json_string_value(json_object_get(d, "faulted")), took,
		   h.answered, h.worst_ms);
	FL_ASSERT_STREQ(json_string_value(json_object_get(d, "faulted")),
			"connect timed out after 1000 ms");
	FL_ASSERT(json_object_get(d, "faultedMs") == NULL);
	FL_ASSERT_MSG(h.answered >= 10, "only %u health answers during a %.0f ms wire check",
		      h.answered, took);
	FL_ASSERT_MSG(h.worst_ms < 1000, "a health request took %.0f ms during the wire check",
		      h.worst_ms);
	agentenv_revert(&agent, json_string_value(json_object_get(j, "id")));
	json_decref(j);
	expect_clean("after revert");

	/* reject: connects fail at once instead of timing out. */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"" SERVER ":%d\"],\"partition\":{\"action\":\"reject\"},"
		       "\"verify\":{\"wire\":true}}",
		       ns_a.path, PORT);
	FL_ASSERT_EQ(inject(body, &j, &took), 201);
	d = dest0(j);
	fltest_log("partition (reject): after: %s; inject took %.0f ms",
		   json_string_value(json_object_get(d, "faulted")), took);
	FL_ASSERT_STREQ(json_string_value(json_object_get(d, "faulted")), "Connection refused");
	agentenv_revert(&agent, json_string_value(json_object_get(j, "id")));
	json_decref(j);
	expect_clean("after revert (reject)");
}

/*
 * A fault the kernel does not apply to the measured path: "[::ffff:10.9.5.2]:9092" makes an
 * ip6 rule, while a connect to that address leaves as IPv4. The check must see through it.
 */
FLTEST(a_fault_that_misses_the_path_fails_with_no_effect_and_is_reverted)
{
	static const char *const kinds[] = {
		"\"kind\":\"delay\",\"delay\":{\"delay\":\"200ms\"}",
		"\"kind\":\"partition\"",
	};
	char body[512];
	json_t *j = NULL;
	const char *msg;
	double took;

	setup();
	for (unsigned i = 0; i < 2; i++) {
		(void)snprintf(body, sizeof(body),
			       "{%s,\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
			       "\"to\":[\"[::ffff:" SERVER "]:%d\"],\"verify\":{\"wire\":true}}",
			       kinds[i], ns_a.path, PORT);
		FL_ASSERT_EQ(inject(body, &j, &took), 422);
		msg = json_string_value(json_object_get(j, "error"));
		fltest_log("%s: %s (%.0f ms)", i ? "partition" : "delay line", msg, took);
		FL_ASSERT_CONTAINS(msg, "wire check: connect to [::ffff:" SERVER "]:9092 took ");
		FL_ASSERT_CONTAINS(msg, "the fault has no effect on this path (reverted)");
		FL_ASSERT_STREQ(
			json_string_value(json_object_get(json_object_get(j, "wire"), "verdict")),
			"no-effect");
		json_decref(j);
		expect_clean("after a no-effect inject");
	}
}

FLTEST(a_destination_nobody_listens_on_cannot_be_judged_and_changes_nothing)
{
	char body[512];
	json_t *j = NULL;
	const char *msg;

	setup();
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"delay\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"" SERVER ":%d\"],\"delay\":{\"delay\":\"200ms\"},"
		       "\"verify\":{\"wire\":true}}",
		       ns_a.path, DEAD_PORT);
	FL_ASSERT_EQ(inject(body, &j, NULL), 422);
	msg = json_string_value(json_object_get(j, "error"));
	fltest_log("%s", msg);
	FL_ASSERT_STREQ(msg, "wire check: cannot judge " SERVER ":9093: connect before the fault "
			     "failed (Connection refused: nothing listens there); nothing was "
			     "changed");
	json_decref(j);
	expect_clean("after cannot-judge");

	/* And a request the check cannot measure is a 400 that changes nothing. */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},\"duration\":\"60s\","
		       "\"to\":[\"10.9.5.0/24\"],\"verify\":{\"wire\":true}}",
		       ns_a.path);
	FL_ASSERT_EQ(inject(body, &j, NULL), 400);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")),
			   "verify.wire: to[0] is a network (/24), not one address");
	json_decref(j);
	expect_clean("after a 400");
}
