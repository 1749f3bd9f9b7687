/* SPDX-License-Identifier: MIT */
/*
 * kafkaLeader targets against a real Kafka (the tier's 3 brokers, kafkatest.h) and a real
 * one-node Kubernetes cluster (kubetest.h): three pods named like a StatefulSet's brokers
 * (kafka-0, kafka-1, kafka-2) stand for the brokers; a topic whose only replica is put on
 * broker B (so B leads it — the witness is Kafka's own assignment, not the code under
 * test) must resolve to pod kafka-B, for two different B; and with the pod of the leader
 * missing the resolution fails naming the broker, never choosing another pod. The brokers
 * advertise 127.0.0.1 here, so it is the "-<id>" rule that maps them (the IP and DNS-label
 * rules are unit-tested with the resolution's other rules in the plan/run tests).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fltest.h"
#include "kafkatest.h"
#include "kube.h"
#include "kube_pods.h"
#include "kube_run.h"
#include "kubeconfig.h"
#include "kubetest.h"
#include "resolve.h"

KAFKATEST_CLUSTER()
KUBETEST_CLUSTER()

static struct fl_kube_run *open_run(void)
{
	struct fl_kube_run_opts opts = { 0 };
	struct fl_kube_run *kr = NULL;
	struct fl_diag diag = { 0 };
	static char path[512];

	(void)snprintf(path, sizeof(path), "%s/kubeconfig", kubetest_dir());
	opts.kubeconfig = path;
	if (fl_kube_run_open(&opts, &kr, &diag) < 0)
		FL_FAIL("fl_kube_run_open %s: %s", path, diag.msg);
	return kr;
}

static void close_run(void *kr)
{
	fl_kube_run_close(kr);
}

static struct fl_kube *admin;
static const char *ns;

static void call(const char *method, const char *path, const char *body)
{
	struct fl_diag diag = { 0 };
	json_t *answer = NULL;

	if (fl_kube_call(admin, method, path, body, NULL, &answer, &diag) < 0)
		FL_FAIL("%s %s: %s", method, path, diag.msg);
	json_decref(answer);
}

/* A namespace of this test with busybox pods named kafka-<id> for each id, all Running. */
static void broker_pods(const int *ids, int n)
{
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	char path[512], body[1024];

	admin = kubetest_admin();
	ns = kubetest_namespace(admin, "fl-leader");
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	for (int i = 0; i < n; i++) {
		(void)snprintf(
			body, sizeof(body),
			"{\"metadata\": {\"name\": \"kafka-%d\", \"labels\": {\"app\": "
			"\"kafka\"}}, \"spec\": {\"terminationGracePeriodSeconds\": 0, "
			"\"containers\": [{\"name\": \"c\", \"image\": "
			"\"localhost/faultline-test/busybox:1\", \"imagePullPolicy\": "
			"\"Never\", \"command\": [\"/bin/busybox\", \"sleep\", \"3600\"]}]}}",
			ids[i]);
		call("POST", path, body);
	}
	for (int t = 0; t < 600; t++) {
		unsigned running = 0;

		if (fl_kube_list_pods(admin, ns, "app=kafka", NULL, &pods, &diag) < 0)
			FL_FAIL("list: %s", diag.msg);
		for (size_t i = 0; i < pods.n; i++)
			running += strcmp(pods.v[i].phase, "Running") == 0;
		fl_kube_pods_clear(&pods);
		if (running == (unsigned)n)
			return;
		usleep(100 * 1000);
	}
	FL_FAIL("the broker pods in %s are not Running after 60 s", ns);
}

/* Resolve a kafkaLeader target for topic/0; 0 and the pod's label, or -errno and diag. */
static int resolve(struct fl_kube_run *kr, const char *topic, char *label, size_t size,
		   struct fl_diag *diag)
{
	struct fl_target_sel sel = { .name = (char *)"leader",
				     .kind = FL_SELECT_KUBE,
				     .pod_namespace = (char *)ns,
				     .kube_labels = (char *)"app=kafka",
				     .leader_topic = (char *)topic,
				     .leader_bootstrap = (char *)kafkatest_bootstrap(),
				     .mode = FL_TARGET_ONE };
	struct fl_experiment exp = { .name = (char *)"leader" };
	struct fl_target_set set = { 0 };
	int r = fl_resolve_target(NULL, kr, &exp, &sel, 1, false, &set, diag);

	if (r == 0) {
		FL_ASSERT_EQ(set.n, 1);
		(void)snprintf(label, size, "%s", set.t[0].label);
		fl_target_set_clear(&set);
	}
	return r;
}

FLTEST(the_pod_of_the_leading_broker_whoever_it_is)
{
	static const int ids[] = { 0, 1, 2 };
	struct fl_kube_run *kr;
	char topic[64], label[192], want[192];
	struct fl_diag diag = { 0 };

	broker_pods(ids, 3);
	kr = open_run();
	fltest_defer(close_run, kr);
	for (int b = 1; b <= 2; b++) {
		kafkatest_topic_name(topic, sizeof(topic), "leader");
		kafkatest_create_topic(topic, 1, 1, b); /* its one replica, so its leader: b */
		if (resolve(kr, topic, label, sizeof(label), &diag) < 0)
			FL_FAIL("resolve %s: %s", topic, diag.msg);
		(void)snprintf(want, sizeof(want), "%s/kafka-%d", ns, b);
		FL_ASSERT_STREQ(label, want);
	}
}

FLTEST(no_pod_for_the_leader_is_an_error_naming_the_broker)
{
	static const int ids[] = { 0, 1 };
	struct fl_kube_run *kr;
	char topic[64], label[192];
	struct fl_diag diag = { 0 };

	broker_pods(ids, 2);
	kr = open_run();
	fltest_defer(close_run, kr);
	kafkatest_topic_name(topic, sizeof(topic), "leader");
	kafkatest_create_topic(topic, 1, 1, 2);
	FL_ASSERT_MSG(resolve(kr, topic, label, sizeof(label), &diag) < 0,
		      "resolved to %s, though no pod is broker 2's", label);
	FL_ASSERT_MSG(strstr(diag.msg, "led by broker 2") && strstr(diag.msg, "none of the 2"),
		      "message: %s", diag.msg);
}
