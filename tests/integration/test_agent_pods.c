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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "crienv.h"
#include "targets.h"
#include "fltest.h"
#include "netprobe.h"
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
	for (int i = 0; i < 40; i++) {
		st = agentenv_request(&agent, "GET", path, NULL, &j);
		json_decref(j);
		if (st == 404)
			break;
		usleep(100000);
	}
	FL_ASSERT_MSG(st == 404, "the fault of a deleted pod is still listed after 4 s");
	FL_ASSERT_EQ(agentenv_ledger_records(&agent), 0);
}
