/* SPDX-License-Identifier: MIT */
/*
 * The controller's Kubernetes client against a real one-node cluster (KUBETEST_CLUSTER():
 * the tier's, else one of this binary's, tests/lib/kube-cluster.sh): the cluster's
 * kubeconfig loaded by kubeconfig.c, node1 Ready, and a pod that a scheduler places and a
 * kubelet runs — listed by selector as Running and Ready on node1 with a pod IP in the
 * node's pod CIDR and the node's IP as its host IP, what agents-per-node and pod-delete
 * build on. The test's namespace is deleted after it, failed or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "kube.h"
#include "kube_pods.h"
#include "kubeconfig.h"
#include "kubetest.h"

KUBETEST_CLUSTER()

static json_t *call(struct fl_kube *k, const char *method, const char *path, const char *body)
{
	struct fl_diag diag = { 0 };
	json_t *answer = NULL;

	if (fl_kube_call(k, method, path, body, NULL, &answer, &diag) < 0)
		FL_FAIL("%s %s: %s", method, path, diag.msg);
	return answer;
}

/* The value of NAME in DIR/env (kube-cluster.sh writes NAME=VALUE lines). */
static const char *env_value(const char *name)
{
	static char value[256];
	char path[512], line[512];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/env", kubetest_dir());
	f = fopen(path, "r");
	if (!f)
		FL_FAIL("%s cannot be read", path);
	value[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == '=') {
			(void)snprintf(value, sizeof(value), "%s", line + strlen(name) + 1);
			value[strcspn(value, "\n")] = '\0';
		}
	fclose(f);
	if (!value[0])
		FL_FAIL("%s has no %s", path, name);
	return value;
}

static bool node_ready(json_t *node)
{
	json_t *conds = json_object_get(json_object_get(node, "status"), "conditions"), *c;
	size_t i;

	json_array_foreach(conds, i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready") == 0)
			return strcmp(json_string_value(json_object_get(c, "status")) ?: "",
				      "True") == 0;
	}
	return false;
}

FLTEST(node1_ready_through_the_clusters_kubeconfig)
{
	struct fl_kube *k = kubetest_admin();
	json_t *node = call(k, "GET", "/api/v1/nodes/node1", NULL);

	FL_ASSERT_STREQ(fl_kube_server(k), kubetest_file("server"));
	FL_ASSERT_MSG(node_ready(node), "node1 is not Ready");
	json_decref(node);
}

static const char *ns;

/* Polls the pod every 100 ms for up to 60 s until it is Ready; its last listing in ret. */
static void wait_ready(struct fl_kube *k, struct fl_kube_pods *ret)
{
	struct fl_diag diag = { 0 };

	for (int i = 0; i < 600; i++) {
		if (fl_kube_list_pods(k, ns, "app=sleeper", NULL, ret, &diag) < 0)
			FL_FAIL("list pods in %s: %s", ns, diag.msg);
		if (ret->n == 1 && ret->v[0].ready)
			return;
		fl_kube_pods_clear(ret);
		usleep(100 * 1000);
	}
	FL_FAIL("the pod in %s is not Ready after 60 s", ns);
}

FLTEST(a_pod_runs_on_node1_and_is_listed_with_its_ips)
{
	struct fl_kube *k = kubetest_admin();
	struct fl_kube_pods pods = { 0 };
	char body[1024], path[256], cidr[64];

	ns = kubetest_namespace(k, "fl-kcl");
	(void)snprintf(body, sizeof(body),
		       "{\"metadata\":{\"name\":\"sleeper\",\"labels\":{\"app\":\"sleeper\"}},"
		       "\"spec\":{\"terminationGracePeriodSeconds\":1,\"containers\":[{"
		       "\"name\":\"c\",\"image\":\"localhost/faultline-test/busybox:1\","
		       "\"imagePullPolicy\":\"Never\"}]}}");
	(void)snprintf(path, sizeof(path), "/api/v1/namespaces/%s/pods", ns);
	json_decref(call(k, "POST", path, body));

	wait_ready(k, &pods);
	FL_ASSERT_STREQ(pods.v[0].phase, "Running");
	FL_ASSERT_STREQ(pods.v[0].node, "node1");
	FL_ASSERT_STREQ(pods.v[0].host_ip, env_value("FL_KUBE_NODE_IP"));
	/* 10.244.N.0/24: the pod IP shares the CIDR's first three numbers */
	(void)snprintf(cidr, sizeof(cidr), "%s", env_value("FL_KUBE_POD_CIDR"));
	*strrchr(cidr, '.') = '\0';
	FL_ASSERT_MSG(pods.v[0].pod_ip && strncmp(pods.v[0].pod_ip, cidr, strlen(cidr)) == 0,
		      "pod IP %s outside %s", pods.v[0].pod_ip ? pods.v[0].pod_ip : "(none)",
		      env_value("FL_KUBE_POD_CIDR"));
	FL_ASSERT(!pods.v[0].terminating && strlen(pods.v[0].uid) == 36);
	fl_kube_pods_clear(&pods);
}
