/* SPDX-License-Identifier: MIT */
/*
 * The agent against real pods: a private containerd (CRI plugin, CNI bridge, locally built
 * images) runs pods; the agent resolves them through the CRI exactly as on a Kubernetes
 * node. Each fault is injected into a pod's network namespace through the API and measured
 * from another pod; container-kill goes through the CRI; kill -9 of the agent leaves nothing
 * in any pod after a restart; a fault survives a container restart and is reverted cleanly;
 * the allow-list refuses kube-system and host-network pods; a deleted pod's fault is reverted;
 * GET /v1/pods counts container restarts as kubelet does (CRI attempt).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "agents.h"
#include "crienv.h"
#include "experiment.h"
#include "pod_probe.h"
#include "probe.h"
#include "targets.h"
#include "verdict.h"
#include "fltest.h"
#include "netprobe.h"
#include "tcpstats.h"
#include "witness.h"

#define ECHO_PORT 7007

static struct crienv_pod client, server;
static struct agentenv agent;
static struct netprobe_echo *echo;
static char cri_flag[200];

static void setup(void)
{
	crienv_start();
	crienv_run_pod("streamforge", "loader-0", NULL, false, &client);
	crienv_run_pod("streamforge", "kafka-0", NULL, false, &server);
	if (netprobe_echo_start(&server.ns, "0.0.0.0", ECHO_PORT, &echo) < 0)
		FL_FAIL("echo in kafka-0: %s", testnet_last_error());
	fltest_defer(netprobe_echo_stop_cb, &echo);
	(void)snprintf(cri_flag, sizeof(cri_flag), "--cri-socket=%s", crienv_socket());
	agent.extra[agent.n_extra++] = cri_flag;
	agent.extra[agent.n_extra++] = "--netns-dir=";
	agentenv_start(&agent);
}

static struct netprobe_rtt rtt(unsigned count, unsigned interval_us)
{
	struct netprobe_rtt r;

	if (netprobe_udp_rtt(&client.ns, server.ip, ECHO_PORT, count, interval_us, 1500, &r) < 0)
		FL_FAIL("probe: %s", testnet_last_error());
	fltest_log("loader-0 -> kafka-0 (%s): %u/%u answered, p50 %.2f ms", server.ip, r.received,
		   r.sent, r.p50_ms);
	return r;
}

/* Faultline objects in both pods, as the witness sees them (not the agent's code). */
static unsigned pod_marks(void)
{
	return witness_ours(client.ns.path, NULL, 0) + witness_ours(server.ns.path, NULL, 0);
}

static void expect_clean(const char *when)
{
	char left_c[WITNESS_OURS_MAX], left_s[WITNESS_OURS_MAX];
	unsigned m = witness_ours(client.ns.path, left_c, sizeof(left_c)) +
		     witness_ours(server.ns.path, left_s, sizeof(left_s));
	unsigned l = agentenv_ledger_records(&agent);

	if (m || l)
		agentenv_dump_log(&agent);
	FL_ASSERT_MSG(m == 0, "%s: %u Faultline objects left in the pods:\n%s%s", when, m, left_c,
		      left_s);
	FL_ASSERT_MSG(l == 0, "%s: %u ledger records left", when, l);
}

/* GET /v1/pods: the CRI view the controller resolves experiment targets against. */
static json_t *find_pod(json_t *pods, const char *name)
{
	size_t i;
	json_t *p;

	json_array_foreach(pods, i,
			   p) if (strcmp(json_string_value(json_object_get(p, "name")) ?: "",
					 name) == 0) return p;
	return NULL;
}

FLTEST(pods_are_listed_with_labels_and_ips)
{
	json_t *body = NULL, *pods, *p;

	setup();
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/pods", NULL, &body), 200);
	pods = json_object_get(body, "pods");
	FL_ASSERT(json_array_size(pods) >= 2);
	p = find_pod(pods, "kafka-0");
	FL_ASSERT(p != NULL);
	FL_ASSERT_STREQ(json_string_value(json_object_get(p, "namespace")), "streamforge");
	FL_ASSERT_STREQ(json_string_value(json_object_get(p, "state")), "ready");
	FL_ASSERT_STREQ(json_string_value(json_object_get(p, "ip")), server.ip);
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(p, "labels"), "app")),
			"kafka");
	p = find_pod(pods, "loader-0");
	FL_ASSERT(p != NULL);
	FL_ASSERT_STREQ(json_string_value(json_object_get(p, "ip")), client.ip);
	json_decref(body);
	body = NULL;
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/pods", "{}", &body), 405);
	json_decref(body);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* GET /v1/pods: the pod named name (a new reference), the whole body checked on the way. */
static json_t *listed_pod(const char *name)
{
	json_t *body = NULL, *p;

	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/pods", NULL, &body), 200);
	FL_ASSERT(json_is_false(json_object_get(body, "truncated")));
	FL_ASSERT_MSG(json_object_get(body, "containersError") == NULL, "containersError: %s",
		      json_string_value(json_object_get(body, "containersError")));
	p = json_incref(find_pod(json_object_get(body, "pods"), name));
	json_decref(body);
	FL_ASSERT_MSG(p != NULL, "pod %s not listed", name);
	return p;
}

/*
 * The shape docs/agent-api.md gives: each container's name, a 64-hex-digit id, a state of
 * four, restartCount >= 0, createdAtMs within [t0_ms, now]; restarts their sum.
 */
static void check_containers_shape(json_t *pod, long long t0_ms)
{
	static const char *const states[] = { "created", "running", "exited", "unknown" };
	json_t *cs = json_object_get(pod, "containers"), *c;
	long long sum = 0, t1_ms = now_ms();
	size_t i;

	FL_ASSERT(json_is_array(cs));
	json_array_foreach(cs, i, c)
	{
		const char *id = json_string_value(json_object_get(c, "id"));
		const char *state = json_string_value(json_object_get(c, "state"));
		json_t *rc = json_object_get(c, "restartCount");
		json_t *created = json_object_get(c, "createdAtMs");
		bool known = false;

		FL_ASSERT(json_string_length(json_object_get(c, "name")) > 0);
		FL_ASSERT_MSG(id && strlen(id) == 64 && strspn(id, "0123456789abcdef") == 64,
			      "container id %s", id ?: "(none)");
		for (unsigned k = 0; state && k < FL_ARRAY_SIZE(states); k++)
			known |= strcmp(state, states[k]) == 0;
		FL_ASSERT_MSG(known, "container state %s", state ?: "(none)");
		FL_ASSERT(json_is_integer(rc) && json_integer_value(rc) >= 0);
		FL_ASSERT_MSG(json_is_integer(created) &&
				      json_integer_value(created) >= t0_ms - 1000 &&
				      json_integer_value(created) <= t1_ms + 1000,
			      "createdAtMs %lld not within [%lld, %lld] (+-1 s)",
			      (long long)json_integer_value(created), t0_ms, t1_ms);
		sum += json_integer_value(rc);
	}
	FL_ASSERT(json_is_integer(json_object_get(pod, "restarts")));
	FL_ASSERT_EQ(json_integer_value(json_object_get(pod, "restarts")), sum);
	FL_ASSERT(json_object_get(pod, "containersTruncated") == NULL);
}

/* The one container of that name in a listed pod (borrowed). */
static json_t *listed_container(json_t *pod, const char *name)
{
	json_t *c, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(pod, "containers"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", name) == 0) {
			FL_ASSERT_MSG(!found, "container %s listed twice", name);
			found = c;
		}
	}
	FL_ASSERT_MSG(found, "no container %s listed", name);
	return found;
}

static void expect_container(json_t *pod, const char *name, const char *id, const char *state,
			     long long restart_count)
{
	json_t *c = listed_container(pod, name);

	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "id")), id);
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "state")), state);
	FL_ASSERT_EQ(json_integer_value(json_object_get(c, "restartCount")), restart_count);
}

static void log_pod(const char *what, json_t *pod)
{
	char *text = json_dumps(pod, JSON_COMPACT);

	fltest_log("%s: %s", what, text ?: "?");
	free(text);
}

static void kill_container(const char *pod, const char *container)
{
	char body[256];
	json_t *j = NULL;

	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"container-kill\",\"target\":{\"pod\":\"%s\",\"container\":"
		       "\"%s\"},\"kill\":{\"gracePeriod\":\"0s\"}}",
		       pod, container);
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults", body, &j), 201);
	json_decref(j);
}

/*
 * Issue 10: a container-kill proves itself by a restart. Killed through the agent and
 * re-created as kubelet does (same sandbox, attempt + 1, the exited one left in place), the
 * container is listed once, with the new id and restartCount 1; a pod's restarts sum over
 * its containers.
 */
FLTEST(pods_report_restarts_as_kubelet_counts_them)
{
	struct fl_cri_container *cs = NULL;
	struct fl_diag diag = { 0 };
	char old_id[FL_CRI_ID_MAX], side_id[FL_CRI_ID_MAX];
	long long t0_ms = now_ms();
	unsigned n = 0;
	json_t *p;

	setup();
	p = listed_pod("kafka-0");
	FL_ASSERT_EQ(json_array_size(json_object_get(p, "containers")), 1);
	expect_container(p, "main", server.container_id, "running", 0);
	check_containers_shape(p, t0_ms);
	json_decref(p);

	/* killed: exited, not yet restarted */
	memcpy(old_id, server.container_id, sizeof(old_id));
	kill_container("streamforge/kafka-0", "main");
	p = listed_pod("kafka-0");
	expect_container(p, "main", old_id, "exited", 0);
	FL_ASSERT_EQ(json_integer_value(json_object_get(p, "restarts")), 0);
	json_decref(p);

	/* re-created with attempt 1: the new container, counted once */
	crienv_restart_container(&server);
	FL_ASSERT(strcmp(server.container_id, old_id) != 0);
	FL_ASSERT_OK(fl_cri_list_containers(crienv_cri(), server.sandbox_id, &cs, &n, &diag));
	free(cs);
	FL_ASSERT_MSG(n == 2,
		      "the runtime holds %u containers in kafka-0, expected the exited "
		      "one and its restart",
		      n);
	p = listed_pod("kafka-0");
	FL_ASSERT_EQ(json_array_size(json_object_get(p, "containers")), 1);
	expect_container(p, "main", server.container_id, "running", 1);
	FL_ASSERT_EQ(json_integer_value(json_object_get(p, "restarts")), 1);
	check_containers_shape(p, t0_ms);
	log_pod("kafka-0 after one restart", p);
	json_decref(p);
	crienv_restart_container(&server);
	p = listed_pod("kafka-0");
	expect_container(p, "main", server.container_id, "running", 2);
	json_decref(p);

	/* two containers: main restarted once, a sidecar killed and re-created once */
	crienv_add_container(&client, "sidecar", 0, side_id);
	kill_container("streamforge/loader-0", "sidecar");
	crienv_add_container(&client, "sidecar", 1, side_id);
	crienv_restart_container(&client);
	p = listed_pod("loader-0");
	FL_ASSERT_EQ(json_array_size(json_object_get(p, "containers")), 2);
	expect_container(p, "main", client.container_id, "running", 1);
	expect_container(p, "sidecar", side_id, "running", 1);
	FL_ASSERT_EQ(json_integer_value(json_object_get(p, "restarts")), 2);
	check_containers_shape(p, t0_ms);
	log_pod("loader-0 with two containers", p);
	json_decref(p);
}

/* The controller's target resolution against this agent's real pods (targets.h). */
static int resolve(struct fl_agents *agents, struct fl_target_sel *sel, uint64_t seed,
		   struct fl_target_set *set, struct fl_diag *diag)
{
	memset(set, 0, sizeof(*set));
	return fl_targets_resolve(agents, sel, seed, set, diag);
}

FLTEST(experiment_targets_resolve_through_the_agents_pod_view)
{
	struct fl_agent_ref ref = { .name = "node-a", .address = agent.address };
	struct fl_experiment exp = { .name = "t", .agents = &ref, .n_agents = 1 };
	struct fl_label kafka_label = { .key = "app", .value = "kafka" };
	struct fl_target_sel sel = { .name = "pods",
				     .kind = FL_SELECT_POD,
				     .pod_namespace = "streamforge",
				     .pod_name = "*",
				     .mode = FL_TARGET_ONE };
	struct fl_diag diag = { 0 };
	struct fl_target_set set;
	struct fl_agents *agents;
	char first[192];
	bool seen[2] = { false, false };

	setup();
	FL_ASSERT_OK(fl_agents_new(&exp, &agents, &diag));
	/* mode one: the same seed picks the same pod every time; seeds spread the choice. */
	FL_ASSERT_OK(resolve(agents, &sel, 42, &set, &diag));
	FL_ASSERT_EQ(set.n, 1);
	FL_ASSERT_EQ(set.n_matches, 2);
	(void)snprintf(first, sizeof(first), "%s", set.t[0].label);
	fl_target_set_clear(&set);
	for (int i = 0; i < 5; i++) {
		FL_ASSERT_OK(resolve(agents, &sel, 42, &set, &diag));
		FL_ASSERT_STREQ(set.t[0].label, first);
		fl_target_set_clear(&set);
	}
	for (uint64_t seed = 0; seed < 32; seed++) {
		FL_ASSERT_OK(resolve(agents, &sel, seed, &set, &diag));
		seen[strcmp(set.t[0].label, "streamforge/kafka-0") == 0] = true;
		fl_target_set_clear(&set);
	}
	FL_ASSERT_MSG(seen[0] && seen[1], "32 seeds always picked the same pod");
	/* all, a name glob, labels, and the agent API's target object with the pod's IP */
	sel.mode = FL_TARGET_ALL;
	FL_ASSERT_OK(resolve(agents, &sel, 1, &set, &diag));
	FL_ASSERT_EQ(set.n, 2);
	fl_target_set_clear(&set);
	sel.pod_name = "kafka-*";
	FL_ASSERT_OK(resolve(agents, &sel, 1, &set, &diag));
	FL_ASSERT_EQ(set.n, 1);
	FL_ASSERT_STREQ(set.t[0].ip, server.ip);
	FL_ASSERT_STREQ(json_string_value(json_object_get(set.t[0].target, "pod")),
			"streamforge/kafka-0");
	fl_target_set_clear(&set);
	sel.pod_name = NULL;
	sel.labels = &kafka_label;
	sel.n_labels = 1;
	FL_ASSERT_OK(resolve(agents, &sel, 1, &set, &diag));
	FL_ASSERT_EQ(set.n, 1);
	FL_ASSERT_STREQ(set.t[0].label, "streamforge/kafka-0");
	fl_target_set_clear(&set);
	/* percent:50 of 2 is 1; fixed:3 of 2 is an error that says so; no match says why. */
	sel.n_labels = 0;
	sel.mode = FL_TARGET_PERCENT;
	sel.mode_percent = 50;
	FL_ASSERT_OK(resolve(agents, &sel, 1, &set, &diag));
	FL_ASSERT_EQ(set.n, 1);
	fl_target_set_clear(&set);
	sel.mode = FL_TARGET_FIXED;
	sel.mode_count = 3;
	FL_ASSERT_EQ(resolve(agents, &sel, 1, &set, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "targets.pods: fixed:3 needs 3 targets, 2 match");
	sel.mode = FL_TARGET_ALL;
	sel.pod_namespace = "nowhere";
	FL_ASSERT_EQ(resolve(agents, &sel, 1, &set, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "targets.pods: no ready pod matches namespace=nowhere");
	fl_agents_free(agents);
}

FLTEST(faults_on_a_real_pod_measured_from_another_pod)
{
	struct netprobe_rtt r;
	double bps, ratio;
	char id[40];

	setup();
	/* partition: kafka-0 unreachable from loader-0 (both directions), then back. */
	FL_ASSERT_EQ(agentenv_inject(
			     &agent, id, sizeof(id),
			     "{\"kind\":\"partition\",\"target\":{\"pod\":\"streamforge/kafka-0\"},"
			     "\"duration\":\"60s\",\"to\":[\"%s/32\"]}",
			     client.ip),
		     201);
	r = rtt(50, 5000);
	FL_ASSERT_MSG(r.received == 0, "partition: %u probes still answered", r.received);
	agentenv_revert(&agent, id);
	r = rtt(50, 5000);
	FL_ASSERT_EQ(r.received, r.sent);

	/* loss 20% on kafka-0's ingress, on 600 packets. */
	FL_ASSERT_EQ(agentenv_inject(
			     &agent, id, sizeof(id),
			     "{\"kind\":\"loss\",\"target\":{\"pod\":\"streamforge/kafka-0\"},"
			     "\"direction\":\"ingress\",\"duration\":\"60s\",\"loss\":{\"percent\":"
			     "\"20%%\"}}"),
		     201);
	r = rtt(600, 2000);
	ratio = 1.0 - (double)r.received / r.sent;
	fltest_log("loss %.1f%% (configured 20%%)", ratio * 100);
	FL_ASSERT(ratio >= 0.14 && ratio <= 0.26);
	agentenv_revert(&agent, id);

	/* delay (the NFQUEUE delay line) on loader-0 towards kafka-0. */
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, id, sizeof(id),
			"{\"kind\":\"delay\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
			"\"duration\":\"60s\",\"to\":[\"%s/32\"],\"delay\":{\"delay\":\"100ms\"}}",
			server.ip),
		201);
	r = rtt(30, 10000);
	FL_ASSERT_MSG(r.received == r.sent && r.p50_ms >= 100 && r.p50_ms < 115,
		      "delay line: p50 %.2f ms", r.p50_ms);
	agentenv_revert(&agent, id);
	r = rtt(30, 10000);
	FL_ASSERT(r.p50_ms < 10);

	/* bandwidth (tbf) on loader-0's eth0: TCP to kafka-0. */
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, id, sizeof(id),
			"{\"kind\":\"bandwidth\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
			"\"duration\":\"60s\",\"bandwidth\":{\"rate\":\"10mbit\",\"burst\":"
			"\"32kb\"}}"),
		201);
	FL_ASSERT_OK(netprobe_tcp_throughput(&client.ns, &server.ns, server.ip, 7201, 1500, &bps));
	fltest_log("throughput %.2f Mbit/s (limit 10)", bps * 8 / 1e6);
	FL_ASSERT(bps * 8 / 1e6 >= 7.5 && bps * 8 / 1e6 <= 11);
	agentenv_revert(&agent, id);
	FL_ASSERT_OK(netprobe_tcp_throughput(&client.ns, &server.ns, server.ip, 7202, 1000, &bps));
	FL_ASSERT(bps * 8 / 1e6 > 100);
	expect_clean("after the reverts");
}

FLTEST(container_kill_goes_through_the_cri)
{
	struct fl_cri_container_status st;
	struct fl_diag diag = { 0 };
	json_t *j = NULL;
	int code;

	setup();
	code = agentenv_request(
		&agent, "POST", "/v1/faults",
		"{\"kind\":\"container-kill\",\"target\":{\"pod\":\"streamforge/kafka-0\","
		"\"container\":\"main\"},\"kill\":{\"gracePeriod\":\"0s\"}}",
		&j);
	FL_ASSERT_EQ(code, 201);
	FL_ASSERT_STREQ(json_string_value(json_object_get(j, "mechanism")), "cri");
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "result")), "exit code 137");
	json_decref(j);
	FL_ASSERT_OK(fl_cri_container_status(crienv_cri(), server.container_id, &st, &diag));
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(st.exit_code, 137);

	/* By signal to the container's PID instead. */
	code = agentenv_request(
		&agent, "POST", "/v1/faults",
		"{\"kind\":\"container-kill\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
		"\"kill\":{\"signal\":\"SIGKILL\"}}",
		&j);
	FL_ASSERT_EQ(code, 201);
	FL_ASSERT_STREQ(json_string_value(json_object_get(j, "mechanism")), "signal");
	json_decref(j);
	for (int i = 0; i < 50; i++) {
		FL_ASSERT_OK(
			fl_cri_container_status(crienv_cri(), client.container_id, &st, &diag));
		if (st.c.state == FL_CRI_CONTAINER_EXITED)
			break;
		usleep(100000);
	}
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(st.exit_code, 137);
	/* Now nothing is running in that pod: a precise 404. */
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/faults",
				      "{\"kind\":\"container-kill\",\"target\":{\"pod\":"
				      "\"streamforge/loader-0\"}}",
				      &j),
		     404);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "no running container");
	json_decref(j);
}

FLTEST(kill9_with_pod_faults_leaves_nothing_in_any_pod)
{
	static char body[1024];
	static const char *const kinds[] = {
		"{\"kind\":\"bandwidth\",\"target\":{\"pod\":\"streamforge/kafka-0\"},"
		"\"duration\":\"300s\",\"bandwidth\":{\"rate\":\"10mbit\"}}",
		"{\"kind\":\"partition\",\"target\":{\"pod\":\"streamforge/kafka-0\"},"
		"\"duration\":\"300s\"}",
		"{\"kind\":\"loss\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
		"\"duration\":\"300s\",\"loss\":{\"percent\":\"5%\"}}",
		"{\"kind\":\"delay\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
		"\"duration\":\"300s\",\"delay\":{\"delay\":\"50ms\"}}",
		"{\"kind\":\"bandwidth\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
		"\"direction\":\"ingress\",\"duration\":\"300s\",\"bandwidth\":{\"rate\":\"5mbit\"}"
		"}",
	};
	unsigned confirmed = 0;

	setup();
	for (int i = 0; i < 20; i++) {
		uint32_t rnd = 0;
		json_t *j = NULL;

		if (getrandom(&rnd, sizeof(rnd), 0) < 0)
			rnd = (uint32_t)i * 2654435761u;
		(void)snprintf(body, sizeof(body), "%s", kinds[i % 5]);
		if (i % 2) {
			/* Killed right after the fault was confirmed. */
			confirmed +=
				agentenv_request(&agent, "POST", "/v1/faults", body, &j) == 201;
			json_decref(j);
			usleep(rnd % 20000);
		}
		agentenv_kill9(&agent);
		agentenv_restart(&agent);
		expect_clean("after kill -9 and restart");
	}
	fltest_log("20 kills with pod targets, %u of them with a confirmed fault", confirmed);
}

FLTEST(fault_survives_a_container_restart_and_is_reverted_cleanly)
{
	char id[40];
	double bps;

	setup();
	FL_ASSERT_EQ(
		agentenv_inject(
			&agent, id, sizeof(id),
			"{\"kind\":\"bandwidth\",\"target\":{\"pod\":\"streamforge/loader-0\"},"
			"\"duration\":\"60s\",\"bandwidth\":{\"rate\":\"10mbit\",\"burst\":"
			"\"32kb\"}}"),
		201);
	/* The application container restarts; the fault sits on the sandbox's namespace. */
	crienv_restart_container(&client);
	FL_ASSERT(pod_marks() > 0);
	FL_ASSERT_OK(netprobe_tcp_throughput(&client.ns, &server.ns, server.ip, 7203, 1500, &bps));
	fltest_log("after the container restart: %.2f Mbit/s (limit 10)", bps * 8 / 1e6);
	FL_ASSERT(bps * 8 / 1e6 <= 11);
	agentenv_revert(&agent, id);
	expect_clean("after revert");
}

FLTEST(allow_list_and_unknown_pods)
{
	struct crienv_pod sys, host;
	json_t *j = NULL;

	setup();
	crienv_run_pod("kube-system", "coredns", NULL, false, &sys);
	crienv_run_pod("default", "hostnet", NULL, true, &host);
	FL_ASSERT_EQ(agentenv_request(
			     &agent, "POST", "/v1/faults",
			     "{\"kind\":\"partition\",\"target\":{\"pod\":\"kube-system/coredns\"},"
			     "\"duration\":\"10s\"}",
			     &j),
		     403);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "kube-system");
	json_decref(j);
	FL_ASSERT_EQ(
		agentenv_request(&agent, "POST", "/v1/faults",
				 "{\"kind\":\"partition\",\"target\":{\"pod\":\"default/hostnet\"},"
				 "\"duration\":\"10s\"}",
				 &j),
		403);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "host network");
	json_decref(j);
	FL_ASSERT_EQ(agentenv_request(
			     &agent, "POST", "/v1/faults",
			     "{\"kind\":\"partition\",\"target\":{\"pod\":\"streamforge/nope\"},"
			     "\"duration\":\"10s\"}",
			     &j),
		     404);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(j, "error")), "streamforge/nope");
	json_decref(j);
	FL_ASSERT_EQ(pod_marks(), 0);
	/* The same pod by its UID. */
	{
		char id[40];

		FL_ASSERT_EQ(
			agentenv_inject(&agent, id, sizeof(id),
					"{\"kind\":\"partition\",\"target\":{\"podUid\":\"%s\"},"
					"\"duration\":\"10s\"}",
					client.uid),
			201);
		FL_ASSERT_EQ(witness_ours(client.ns.path, NULL, 0), 1);
		agentenv_revert(&agent, id);
	}
}

FLTEST(a_deleted_pods_fault_is_reverted_by_reconcile)
{
	char id[40], path[96];
	json_t *j = NULL;
	int st = 0;

	setup();
	FL_ASSERT_EQ(agentenv_inject(
			     &agent, id, sizeof(id),
			     "{\"kind\":\"partition\",\"target\":{\"pod\":\"streamforge/kafka-0\"},"
			     "\"duration\":\"300s\"}"),
		     201);
	crienv_remove_pod(&server);
	(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
	/* Reconcile runs every second here (and asks the CRI each time): a deadline of 10
	 * rounds, not 40 polls, whose total a loaded machine stretches or shrinks. */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		st = agentenv_request(&agent, "GET", path, NULL, &j);
		json_decref(j);
		if (st == 404)
			break;
		usleep(100000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 10);
	FL_ASSERT_MSG(st == 404, "the fault of a deleted pod is still listed after 10 s");
	FL_ASSERT_EQ(agentenv_ledger_records(&agent), 0);
}

/* ---- TCP counters of each pod's own namespace (GET /v1/pods?tcp=1, issue 10) ------------ */

#define STREAM_PORT	7301
#define STREAM_CHUNK	(64 * 1024) /* what the sink reads at once */
#define STREAM_WRITE	4096
#define STREAM_EVERY_MS 5
#define STREAM_MS	2000
/* Retransmissions 2 s of the stream must at least show under 30 % loss on the way (below). */
#define LOSS_RETRANS_MIN 10
/* The longest a loss stream runs waiting for its retransmissions (stream_with_loss). */
#define STREAM_MAX_MS 10000

/* A TCP connection from loader-0 to kafka-0, made before any fault (its handshake must not
 * be what a loss hits); a thread in kafka-0 reads and drops what arrives. */
static struct stream {
	int lfd, cfd;
	pthread_t sink;
	bool sink_started;
	atomic_bool stop;
} stream = { .lfd = -1, .cfd = -1 };

static void *sink_main(void *arg)
{
	struct stream *st = arg;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	static char buf[STREAM_CHUNK];
	int fd = -1;

	while (fd < 0 && !atomic_load(&st->stop)) {
		struct pollfd p = { .fd = st->lfd, .events = POLLIN };

		if (poll(&p, 1, 200) > 0)
			fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	if (fd < 0)
		return NULL;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (!atomic_load(&st->stop)) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	close(fd);
	return NULL;
}

static void stream_close_cb(void *arg)
{
	struct stream *st = arg;

	if (st->cfd >= 0)
		close(st->cfd);
	atomic_store(&st->stop, true);
	if (st->sink_started)
		(void)pthread_join(st->sink, NULL);
	if (st->lfd >= 0)
		close(st->lfd);
	st->cfd = st->lfd = -1;
	st->sink_started = false;
}

static void stream_open(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(STREAM_PORT) };
	int one = 1;

	FL_ASSERT(inet_pton(AF_INET, server.ip, &sa.sin_addr) == 1);
	fltest_defer(stream_close_cb, &stream);
	stream.lfd = testnet_socket(&server.ns, AF_INET, SOCK_STREAM, 0);
	FL_ASSERT_MSG(stream.lfd >= 0, "socket in kafka-0: %s", testnet_last_error());
	(void)setsockopt(stream.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	FL_ASSERT_OK(bind(stream.lfd, (struct sockaddr *)&sa, sizeof(sa)));
	FL_ASSERT_OK(listen(stream.lfd, 1));
	FL_ASSERT_OK(-pthread_create(&stream.sink, NULL, sink_main, &stream));
	stream.sink_started = true;
	stream.cfd = testnet_socket(&client.ns, AF_INET, SOCK_STREAM, 0);
	FL_ASSERT_MSG(stream.cfd >= 0, "socket in loader-0: %s", testnet_last_error());
	FL_ASSERT_OK(connect(stream.cfd, (struct sockaddr *)&sa, sizeof(sa)));
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A paced stream, as a pipeline's producer writes: STREAM_WRITE bytes every STREAM_EVERY_MS
 * for ms milliseconds (not as fast as possible: a saturated veth drops in its own queues and
 * TCP retransmits without any fault — 14441 retransmissions in 2 s of bulk here). The bytes
 * the socket took.
 */
static unsigned long long stream_pump(unsigned ms)
{
	static char buf[STREAM_WRITE];
	long long start = mono_ms(), next = start;
	unsigned long long sent = 0;

	while (next < start + ms) {
		ssize_t n = send(stream.cfd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			sent += (unsigned long long)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			FL_FAIL("send loader-0 -> kafka-0: %s", strerror(errno));
		next += STREAM_EVERY_MS;
		if (next > mono_ms())
			usleep((useconds_t)(next - mono_ms()) * 1000);
	}
	return sent;
}

/* Wait until kafka-0 acknowledged everything sent (lost segments retransmitted and all). */
static void stream_drain(void)
{
	long long end = mono_ms() + 20000;
	struct tcp_info ti;
	socklen_t len;
	int queued = 0;

	do {
		len = sizeof(ti);
		FL_ASSERT_OK(getsockopt(stream.cfd, IPPROTO_TCP, TCP_INFO, &ti, &len));
		FL_ASSERT_OK(ioctl(stream.cfd, SIOCOUTQ, &queued));
		if (queued == 0 && ti.tcpi_unacked == 0)
			return;
		usleep(10000);
	} while (mono_ms() < end);
	FL_FAIL("loader-0 -> kafka-0: %d bytes still unacknowledged after 20 s", queued);
}

/* What the kernel says of a pod's namespace, read by the test through /proc/PID/net/snmp of
 * its sandbox process — not the agent's way in (a thread that enters it). */
static struct fl_tcpstats witness_tcp(const struct crienv_pod *pod)
{
	struct fl_diag diag = { 0 };
	struct fl_tcpstats st;
	char path[64], *text;
	size_t len;

	(void)snprintf(path, sizeof(path), "/proc/%d/net/snmp", pod->sandbox_pid);
	text = fltest_read_file(path, &len);
	FL_ASSERT_MSG(text, "cannot read %s", path);
	FL_ASSERT_MSG(fl_tcpstats_parse(text, len, &st, &diag) == 0, "%s: %s", path, diag.msg);
	free(text);
	return st;
}

/* The agent's "tcp" of a pod in GET /v1/pods?tcp=1 (the pod must have no tcpError). */
static struct fl_tcpstats agent_tcp(json_t *body, const char *name)
{
	json_t *p = find_pod(json_object_get(body, "pods"), name), *t;
	struct fl_tcpstats st;

	FL_ASSERT_MSG(p, "pod %s not listed", name);
	FL_ASSERT_MSG(!json_object_get(p, "tcpError"), "%s: tcpError %s", name,
		      json_string_value(json_object_get(p, "tcpError")));
	t = json_object_get(p, "tcp");
	FL_ASSERT_MSG(json_is_integer(json_object_get(t, "retransSegs")) &&
			      json_is_integer(json_object_get(t, "outSegs")) &&
			      json_is_integer(json_object_get(t, "inSegs")),
		      "%s: no tcp counters", name);
	st.retrans_segs = (uint64_t)json_integer_value(json_object_get(t, "retransSegs"));
	st.out_segs = (uint64_t)json_integer_value(json_object_get(t, "outSegs"));
	st.in_segs = (uint64_t)json_integer_value(json_object_get(t, "inSegs"));
	return st;
}

static bool within(const struct fl_tcpstats *lo, const struct fl_tcpstats *v,
		   const struct fl_tcpstats *hi)
{
	return lo->retrans_segs <= v->retrans_segs && v->retrans_segs <= hi->retrans_segs &&
	       lo->out_segs <= v->out_segs && v->out_segs <= hi->out_segs &&
	       lo->in_segs <= v->in_segs && v->in_segs <= hi->in_segs;
}

struct tcp_snapshot {
	struct fl_tcpstats loader, kafka, bystander;
};

/* The three pods' counters as the agent lists them, each between the witness's reading of
 * that pod's namespace just before and just after the listing. */
static struct tcp_snapshot tcp_snapshot(const struct crienv_pod *bystander, const char *when)
{
	const struct crienv_pod *pods[] = { &client, &server, bystander };
	struct fl_tcpstats before[3], after[3], got[3];
	struct tcp_snapshot s;
	json_t *body = NULL;

	for (int i = 0; i < 3; i++)
		before[i] = witness_tcp(pods[i]);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/pods?tcp=1", NULL, &body), 200);
	for (int i = 0; i < 3; i++)
		got[i] = agent_tcp(body, pods[i]->name);
	json_decref(body);
	for (int i = 0; i < 3; i++) {
		after[i] = witness_tcp(pods[i]);
		FL_ASSERT_MSG(within(&before[i], &got[i], &after[i]),
			      "%s: %s: the agent's retransSegs %llu outSegs %llu inSegs %llu are "
			      "not its namespace's (%llu/%llu/%llu before, %llu/%llu/%llu after)",
			      when, pods[i]->name, (unsigned long long)got[i].retrans_segs,
			      (unsigned long long)got[i].out_segs,
			      (unsigned long long)got[i].in_segs,
			      (unsigned long long)before[i].retrans_segs,
			      (unsigned long long)before[i].out_segs,
			      (unsigned long long)before[i].in_segs,
			      (unsigned long long)after[i].retrans_segs,
			      (unsigned long long)after[i].out_segs,
			      (unsigned long long)after[i].in_segs);
	}
	s.loader = got[0];
	s.kafka = got[1];
	s.bystander = got[2];
	return s;
}

static void log_delta(const char *what, const struct tcp_snapshot *a, const struct tcp_snapshot *b)
{
	fltest_log("%s: loader-0 retransSegs +%llu outSegs +%llu; kafka-0 retransSegs +%llu "
		   "inSegs +%llu; connector-0 retransSegs +%llu outSegs +%llu inSegs +%llu",
		   what, (unsigned long long)(b->loader.retrans_segs - a->loader.retrans_segs),
		   (unsigned long long)(b->loader.out_segs - a->loader.out_segs),
		   (unsigned long long)(b->kafka.retrans_segs - a->kafka.retrans_segs),
		   (unsigned long long)(b->kafka.in_segs - a->kafka.in_segs),
		   (unsigned long long)(b->bystander.retrans_segs - a->bystander.retrans_segs),
		   (unsigned long long)(b->bystander.out_segs - a->bystander.out_segs),
		   (unsigned long long)(b->bystander.in_segs - a->bystander.in_segs));
}

static char loss_id[40];

/* percent of the packets pod (loader-0 or kafka-0) sends (egress) or receives (ingress) to or
 * from the other one dropped, through the agent (kind loss: nftables in the pod's namespace). */
static void inject_loss(const char *pod, const char *direction, const char *percent)
{
	const char *peer = strcmp(pod, "loader-0") == 0 ? server.ip : client.ip;

	FL_ASSERT_EQ(agentenv_inject(&agent, loss_id, sizeof(loss_id),
				     "{\"kind\":\"loss\",\"target\":{\"pod\":\"streamforge/%s\"},"
				     "\"direction\":\"%s\",\"duration\":\"60s\",\"to\":[\"%s/32\"],"
				     "\"loss\":{\"percent\":\"%s\"}}",
				     pod, direction, peer, percent),
		     201);
}

/*
 * The paced stream with 30 % loss on pod's direction, reverted and drained; the milliseconds
 * it ran. STREAM_MS, and with wait_retrans, longer — up to STREAM_MAX_MS — until loader-0's
 * namespace (the test's own reading) counts 2 x LOSS_RETRANS_MIN retransmissions: a loss
 * that hits a retransmission twice stalls TCP in RTO backoff (200, 400, 800 ms...) for most
 * of 2 s on a busy host, and then 2 s show 8 retransmissions where most runs show hundreds.
 * The loss is as real either way; what is asked of it is that it shows.
 */
static long long stream_with_loss(const char *pod, const char *direction, bool wait_retrans)
{
	uint64_t from = witness_tcp(&client).retrans_segs;
	long long start = mono_ms();

	inject_loss(pod, direction, "30%");
	(void)stream_pump(STREAM_MS);
	while (wait_retrans && mono_ms() - start < STREAM_MAX_MS &&
	       witness_tcp(&client).retrans_segs - from < 2 * LOSS_RETRANS_MIN)
		(void)stream_pump(STREAM_MS / 4);
	agentenv_revert(&agent, loss_id);
	stream_drain();
	return mono_ms() - start;
}

/*
 * Issue 10: packet loss proves itself by TCP retransmissions, counted in the namespace of the
 * pod whose segments are lost on the way. loader-0 streams to kafka-0 (paced, 800 KB/s)
 * for 2 s without a fault, 2 s with 30 % of what kafka-0 receives from it dropped (kind loss
 * on kafka-0's ingress, through the agent), and 2 s with 30 % of what loader-0 sends to
 * kafka-0 dropped on loader-0's own egress:
 *   - without a fault loader-0 retransmits next to nothing (the negative);
 *   - a loss on the way (the receiver's ingress) makes loader-0 retransmit, at least a
 *     tenth of what it sends, while kafka-0 (the same connection, but it sends only ACKs)
 *     and connector-0 (no traffic) stay put;
 *   - a loss on the sender's own egress is no loss to its TCP: nftables drops the segment
 *     inside the sender's stack (output hook), the send fails and TCP sends the data again
 *     as new — OutSegs rise, RetransSegs barely (docs/agent-api.md says so).
 * Every figure the agent lists lies between the test's own readings of that pod's
 * namespace (/proc/PID/net/snmp of its sandbox) just before and just after the listing.
 */
FLTEST(tcp_counters_come_from_each_pods_own_namespace)
{
	static struct crienv_pod bystander;
	struct tcp_snapshot s0, s1, s2, s3;
	uint64_t quiet_out, in_out, in_retrans, eg_out, eg_retrans;
	json_t *body = NULL, *p;
	long long loss_ms;

	setup();
	crienv_run_pod("streamforge", "connector-0", NULL, false, &bystander);
	stream_open();
	s0 = tcp_snapshot(&bystander, "at the start");
	(void)stream_pump(STREAM_MS);
	stream_drain();
	s1 = tcp_snapshot(&bystander, "without a fault");
	log_delta("2 s without a fault", &s0, &s1);
	loss_ms = stream_with_loss("kafka-0", "ingress", true);
	s2 = tcp_snapshot(&bystander, "with loss on kafka-0's ingress");
	fltest_log("the loss on kafka-0's ingress ran %.1f s", (double)loss_ms / 1000);
	log_delta("30% loss on kafka-0's ingress", &s1, &s2);
	stream_with_loss("loader-0", "egress", false);
	s3 = tcp_snapshot(&bystander, "with loss on loader-0's egress");
	log_delta("2 s with 30% loss on loader-0's egress", &s2, &s3);

	quiet_out = s1.loader.out_segs - s0.loader.out_segs;
	in_out = s2.loader.out_segs - s1.loader.out_segs;
	in_retrans = s2.loader.retrans_segs - s1.loader.retrans_segs;
	eg_out = s3.loader.out_segs - s2.loader.out_segs;
	eg_retrans = s3.loader.retrans_segs - s2.loader.retrans_segs;
	/* The negative: the same stream without a loss retransmits next to nothing on a veth
	 * (0 mostly; a loss probe when this busy host holds an ACK back: +1 once in 16 runs),
	 * below what a loss must show. */
	FL_ASSERT_MSG(quiet_out >= 100, "only %llu segments sent in 2 s",
		      (unsigned long long)quiet_out);
	FL_ASSERT_MSG(s1.loader.retrans_segs - s0.loader.retrans_segs < LOSS_RETRANS_MIN,
		      "without a fault: %llu retransmissions",
		      (unsigned long long)(s1.loader.retrans_segs - s0.loader.retrans_segs));
	/* Every packet lost on the way is sent again before the drain ends. How many segments
	 * that is varies with how TCP packs them after a stall (an RTO backoff can take most
	 * of 2 s): 26 to 461 in 14 runs of 2 s here, 8 once under CI, against 0 or 1 without
	 * the loss — hence a stream that runs on until they show (stream_with_loss). */
	FL_ASSERT_MSG(in_retrans >= LOSS_RETRANS_MIN,
		      "30%% loss on the way: %llu retransmissions of %llu segments sent",
		      (unsigned long long)in_retrans, (unsigned long long)in_out);
	/* Lost on the sender's own egress: the failed sends are sent again as new segments. */
	FL_ASSERT_MSG(eg_retrans * 10 < eg_out && eg_out >= quiet_out + quiet_out / 10,
		      "30%% loss on the sender's egress: %llu retransmissions, %llu segments "
		      "sent (%llu without a fault)",
		      (unsigned long long)eg_retrans, (unsigned long long)eg_out,
		      (unsigned long long)quiet_out);
	/* The peer and a bystander have counters of their own. */
	FL_ASSERT(s3.kafka.in_segs - s0.kafka.in_segs >= quiet_out / 3);
	FL_ASSERT_EQ(s3.kafka.retrans_segs - s0.kafka.retrans_segs, 0);
	FL_ASSERT_EQ(s3.bystander.retrans_segs - s0.bystander.retrans_segs, 0);
	FL_ASSERT_EQ(s3.bystander.out_segs - s0.bystander.out_segs, 0);
	FL_ASSERT_EQ(s3.bystander.in_segs - s0.bystander.in_segs, 0);

	/* Without ?tcp=1 the listing is what it was: no counters, no namespace entered. */
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/pods", NULL, &body), 200);
	p = find_pod(json_object_get(body, "pods"), "loader-0");
	FL_ASSERT(p && !json_object_get(p, "tcp") && !json_object_get(p, "tcpError"));
	json_decref(body);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/pods?tcp=1&verbose=1", NULL, &body), 400);
	FL_ASSERT_STREQ(json_string_value(json_object_get(body, "error")),
			"query: unknown parameter \"verbose\" (GET /v1/pods takes tcp)");
	json_decref(body);
	expect_clean("after the losses");
}

/* The controller's pod probe on this agent, from an experiment's text. */
static struct fl_suite *probe_suite;
static struct fl_agents *probe_agents;

static void probe_cleanup(void *arg)
{
	(void)arg;
	probe_agents = fl_agents_free(probe_agents);
	probe_suite = fl_suite_free(probe_suite);
}

/* The effect step named name of the experiment parsed by probe_setup, as a new probe. */
static struct fl_probe *effect_probe(const char *name)
{
	struct fl_experiment *exp = &probe_suite->experiments[0];
	struct fl_diag diag = { 0 };
	struct fl_probe *probe = NULL;

	for (unsigned i = 0; i < exp->n_method; i++) {
		if (exp->method[i].kind != FL_STEP_EFFECT ||
		    strcmp(exp->method[i].probe.name, name) != 0)
			continue;
		FL_ASSERT_MSG(fl_pod_probe_new(probe_agents, exp, &exp->method[i].probe, &probe,
					       &diag) == 0,
			      "probe %s: %s", name, diag.msg);
		return probe;
	}
	FL_FAIL("no effect step %s", name);
}

static void probe_setup(void)
{
	static char yaml[2048];
	struct fl_diag diag = { 0 };
	int n;

	n = snprintf(
		yaml, sizeof(yaml),
		"apiVersion: faultline/v1\n"
		"kind: Experiment\n"
		"metadata: {name: tcp}\n"
		"spec:\n"
		"  agents: [{name: node, address: \"%s\"}]\n"
		"  targets:\n"
		"    loader: {pod: {namespace: streamforge, name: loader-0}}\n"
		"    hostnet: {pod: {namespace: default, name: hostnet}}\n"
		"  method:\n"
		"    - fault: {target: loader, kind: loss, duration: 30s, loss: {percent: 30%%}}\n"
		"    - effect: {name: retransmitted, type: pod, target: loader,\n"
		"               tolerance: {metric: tcp.retransmits, delta: {min: %d}}}\n"
		"    - effect: {name: hostnet-tcp, type: pod, target: hostnet,\n"
		"               tolerance: {metric: tcp.segments, delta: {min: 1}}}\n"
		"    - effect: {name: hostnet-restarts, type: pod, target: hostnet,\n"
		"               tolerance: {metric: restarts, max: 0}}\n",
		agent.address, LOSS_RETRANS_MIN);
	FL_ASSERT(n > 0 && (size_t)n < sizeof(yaml));
	fltest_defer(probe_cleanup, NULL);
	FL_ASSERT_MSG(fl_suite_parse_buffer("tcp.yaml", yaml, (size_t)n, &probe_suite, &diag) == 0,
		      "tcp.yaml:%d:%d: %s", diag.line, diag.col, diag.msg);
	FL_ASSERT_MSG(fl_agents_new(&probe_suite->experiments[0], &probe_agents, &diag) == 0,
		      "agents: %s", diag.msg);
}

/* A sample of probe judged against baseline (its effect step's rule); the verdict. */
static enum fl_verdict_kind judge(struct fl_probe *probe, const struct fl_sample *baseline,
				  struct fl_sample *ret, const char *what)
{
	struct fl_verdict v;

	(void)fl_probe_sample(probe, ret);
	fl_verdict_eval_baseline(probe->spec, ret, baseline, &v);
	fltest_log("%s: %s: %s", what, fl_verdict_name(v.kind), v.message);
	return v.kind;
}

/*
 * The pod probe's tcp.retransmits as an effect check (issue 10): judged against a baseline
 * with delta >= LOSS_RETRANS_MIN, it passes after loader-0's stream with 30 % loss on the way
 * to kafka-0 and fails after as long a stream without a fault (the negative: a loss that did
 * nothing). A pod
 * whose counters the agent cannot read (a host-network pod: they would be the node's) makes
 * a tcp.* sample an error naming it; a probe without a tcp.* tolerance does not ask for
 * counters and samples that pod as before.
 */
FLTEST(pod_probe_tcp_retransmits_sees_a_loss_and_not_its_absence)
{
	static struct crienv_pod host;
	struct fl_sample base = { 0 }, s = { 0 };
	const struct fl_metric *m;
	struct fl_probe *probe;
	long long loss_ms;

	setup();
	crienv_run_pod("default", "hostnet", NULL, true, &host);
	stream_open();
	probe_setup();
	probe = effect_probe("retransmitted");

	FL_ASSERT_OK(fl_probe_sample(probe, &base));
	FL_ASSERT((m = fl_sample_get(&base, "tcp.retransmits")) != NULL);
	FL_ASSERT(fl_sample_get(&base, "tcp.segments") != NULL);
	loss_ms = stream_with_loss("kafka-0", "ingress", true);
	FL_ASSERT_EQ(judge(probe, &base, &s, "30% loss on the way"), FL_VERDICT_PASS);

	/* The negative: as long a stream, drained, without the loss. */
	fl_sample_reset(&base);
	base = s;
	memset(&s, 0, sizeof(s));
	(void)stream_pump((unsigned)loss_ms);
	stream_drain();
	FL_ASSERT_EQ(judge(probe, &base, &s, "as long without a fault"), FL_VERDICT_FAIL);
	FL_ASSERT(fl_sample_get(&s, "tcp.segments")->value >=
		  fl_sample_get(&base, "tcp.segments")->value + 100);
	fl_sample_reset(&base);
	fl_sample_reset(&s);
	fl_probe_free(probe);

	/* The host-network pod: no counters of its own, and the sample says whose and why. */
	probe = effect_probe("hostnet-tcp");
	FL_ASSERT_EQ(fl_probe_sample(probe, &s), -EIO);
	FL_ASSERT_STREQ(s.error,
			"agent node: pod default/hostnet: its TCP counters cannot be read: "
			"the pod uses the host network: its namespace's counters are the "
			"whole node's");
	fl_sample_reset(&s);
	fl_probe_free(probe);
	probe = effect_probe("hostnet-restarts");
	FL_ASSERT_OK(fl_probe_sample(probe, &s));
	FL_ASSERT(fl_sample_get(&s, "restarts") != NULL);
	FL_ASSERT(fl_sample_get(&s, "tcp.retransmits") == NULL);
	fl_sample_reset(&s);
	fl_probe_free(probe);
}
