/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/pods' containers (agent/src/pods.c) from a canned ListContainers reply: one entry
 * per container name, the newest one, its attempt as restartCount (kubelet's meaning), the
 * pod's restarts summed, other sandboxes' containers left out, the per-pod bound; pods that
 * are not ready have no TCP counters (the ready ones' are in test_agent_pods).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "failmalloc.h"
#include "fltest.h"
#include "pods.h"

#define MS 1000000ll

static struct fl_cri_container ctr(const char *sandbox, const char *name, const char *id,
				   uint32_t attempt, int64_t created_ms,
				   enum fl_cri_container_state state)
{
	struct fl_cri_container c = { .attempt = attempt,
				      .created_at_ns = created_ms * MS,
				      .state = state };

	(void)snprintf(c.sandbox_id, sizeof(c.sandbox_id), "%s", sandbox);
	(void)snprintf(c.name, sizeof(c.name), "%s", name);
	(void)snprintf(c.id, sizeof(c.id), "%s", id);
	return c;
}

/* pod_of(cs, n, sandbox): a pod object with what fl_pods_add_containers set (new). */
static json_t *pod_of(struct fl_cri_container *cs, unsigned n, const char *sandbox)
{
	json_t *pod = json_object();

	FL_ASSERT(pod != NULL);
	fl_pods_sort_containers(cs, n);
	FL_ASSERT_OK(fl_pods_add_containers(pod, cs, n, sandbox));
	return pod;
}

static json_t *entry(json_t *pod, const char *name)
{
	size_t i;
	json_t *c;

	json_array_foreach(json_object_get(pod, "containers"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", name) == 0)
			return c;
	}
	FL_FAIL("no container %s in %s", name, json_dumps(pod, JSON_COMPACT));
}

static long long num(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	FL_ASSERT_MSG(json_is_integer(v), "%s is not an integer", key);
	return (long long)json_integer_value(v);
}

FLTEST(a_restarted_container_is_its_newest_attempt)
{
	/* kubelet leaves the exited attempt 0 until it garbage-collects it; listed in any order */
	struct fl_cri_container cs[] = {
		ctr("sbB", "main", "b-old", 0, 1000, FL_CRI_CONTAINER_EXITED),
		ctr("sbA", "main", "a-new", 1, 5000, FL_CRI_CONTAINER_RUNNING),
		ctr("sbA", "main", "a-old", 0, 1000, FL_CRI_CONTAINER_EXITED),
		ctr("sbB", "main", "b-new", 4, 9000, FL_CRI_CONTAINER_RUNNING),
	};
	json_t *pod = pod_of(cs, FL_ARRAY_SIZE(cs), "sbA"), *c;

	FL_ASSERT_EQ(json_array_size(json_object_get(pod, "containers")), 1);
	c = entry(pod, "main");
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "id")), "a-new");
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "state")), "running");
	FL_ASSERT_EQ(num(c, "restartCount"), 1);
	FL_ASSERT_EQ(num(c, "createdAtMs"), 5000);
	FL_ASSERT_EQ(num(pod, "restarts"), 1);
	FL_ASSERT(json_object_get(pod, "containersTruncated") == NULL);
	json_decref(pod);
}

FLTEST(newest_is_by_creation_time_not_by_attempt)
{
	/* A pod re-created from scratch by something that starts at attempt 0 again: the
	 * container created last is the one that runs, whatever the attempt numbers say. */
	struct fl_cri_container cs[] = {
		ctr("sb", "main", "old", 3, 1000, FL_CRI_CONTAINER_EXITED),
		ctr("sb", "main", "new", 0, 2000, FL_CRI_CONTAINER_RUNNING),
	};
	json_t *pod = pod_of(cs, 2, "sb");

	FL_ASSERT_STREQ(json_string_value(json_object_get(entry(pod, "main"), "id")), "new");
	FL_ASSERT_EQ(num(pod, "restarts"), 0);
	json_decref(pod);
}

FLTEST(restarts_sum_over_the_pods_containers)
{
	struct fl_cri_container cs[] = {
		ctr("sb", "sidecar", "s2", 2, 3000, FL_CRI_CONTAINER_CREATED),
		ctr("sb", "main", "m1", 1, 2000, FL_CRI_CONTAINER_RUNNING),
		ctr("other", "main", "x", 7, 2000, FL_CRI_CONTAINER_RUNNING),
		ctr("sb", "sidecar", "s1", 1, 2000, FL_CRI_CONTAINER_EXITED),
		ctr("sb", "main", "m0", 0, 1000, FL_CRI_CONTAINER_EXITED),
		ctr("sb", "init", "i0", 0, 0, 42), /* no created_at; a state from the future */
	};
	json_t *pod = pod_of(cs, FL_ARRAY_SIZE(cs), "sb"), *c;

	FL_ASSERT_EQ(json_array_size(json_object_get(pod, "containers")), 3);
	FL_ASSERT_EQ(num(entry(pod, "main"), "restartCount"), 1);
	FL_ASSERT_EQ(num(entry(pod, "sidecar"), "restartCount"), 2);
	FL_ASSERT_STREQ(json_string_value(json_object_get(entry(pod, "sidecar"), "state")),
			"created");
	c = entry(pod, "init");
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "state")), "unknown");
	FL_ASSERT(json_object_get(c, "createdAtMs") == NULL);
	FL_ASSERT_EQ(num(pod, "restarts"), 3);
	json_decref(pod);
}

FLTEST(a_pod_without_containers_has_none_and_no_restarts)
{
	struct fl_cri_container cs[] = {
		ctr("sbA", "main", "a", 2, 1, FL_CRI_CONTAINER_RUNNING),
		ctr("sbC", "main", "c", 2, 1, FL_CRI_CONTAINER_RUNNING),
	};
	json_t *pod = pod_of(cs, 2, "sbB"), *none;

	FL_ASSERT(json_is_array(json_object_get(pod, "containers")));
	FL_ASSERT_EQ(json_array_size(json_object_get(pod, "containers")), 0);
	FL_ASSERT_EQ(num(pod, "restarts"), 0);
	json_decref(pod);
	/* an empty node: no list at all */
	none = json_object();
	FL_ASSERT_OK(fl_pods_add_containers(none, NULL, 0, "sbA"));
	FL_ASSERT_EQ(json_array_size(json_object_get(none, "containers")), 0);
	json_decref(none);
}

FLTEST(containers_per_pod_are_bounded)
{
	static struct fl_cri_container cs[FL_PODS_CONTAINERS_MAX + 3];
	char name[16];
	json_t *pod;

	for (unsigned i = 0; i < FL_ARRAY_SIZE(cs); i++) {
		(void)snprintf(name, sizeof(name), "c%02u", i);
		cs[i] = ctr("sb", name, name, 1, 1000, FL_CRI_CONTAINER_RUNNING);
	}
	pod = pod_of(cs, FL_ARRAY_SIZE(cs), "sb");
	FL_ASSERT_EQ(json_array_size(json_object_get(pod, "containers")), FL_PODS_CONTAINERS_MAX);
	FL_ASSERT(json_is_true(json_object_get(pod, "containersTruncated")));
	FL_ASSERT_EQ(num(pod, "restarts"), FL_PODS_CONTAINERS_MAX);
	json_decref(pod);
	/* exactly at the bound: all listed, not truncated */
	pod = pod_of(cs, FL_PODS_CONTAINERS_MAX, "sb");
	FL_ASSERT_EQ(json_array_size(json_object_get(pod, "containers")), FL_PODS_CONTAINERS_MAX);
	FL_ASSERT(json_object_get(pod, "containersTruncated") == NULL);
	json_decref(pod);
}

static struct fl_cri_sandbox sandbox(const char *id, const char *name)
{
	/* not ready: fl_pods_json then asks no runtime for an IP */
	struct fl_cri_sandbox sb = { .state = FL_CRI_SANDBOX_NOTREADY };

	(void)snprintf(sb.id, sizeof(sb.id), "%s", id);
	(void)snprintf(sb.name, sizeof(sb.name), "%s", name);
	(void)snprintf(sb.namespace, sizeof(sb.namespace), "streamforge");
	(void)snprintf(sb.uid, sizeof(sb.uid), "uid-%s", name);
	return sb;
}

FLTEST(pods_are_listed_even_when_their_containers_cannot_be)
{
	struct fl_cri_sandbox sbs[] = { sandbox("sbA", "kafka-0"), sandbox("sbB", "loader-0") };
	struct fl_cri_container cs[] = {
		ctr("sbA", "main", "a1", 1, 2000, FL_CRI_CONTAINER_RUNNING),
	};
	json_t *out, *pods, *p;
	size_t i;

	/* listed: every pod has containers and restarts, a pod with none [] and 0 */
	out = fl_pods_json(NULL, sbs, 2, cs, 1, NULL, false);
	FL_ASSERT(out != NULL);
	FL_ASSERT(json_object_get(out, "containersError") == NULL);
	FL_ASSERT(json_is_false(json_object_get(out, "truncated")));
	pods = json_object_get(out, "pods");
	FL_ASSERT_EQ(json_array_size(pods), 2);
	FL_ASSERT_EQ(num(json_array_get(pods, 0), "restarts"), 1);
	FL_ASSERT_EQ(num(json_array_get(pods, 1), "restarts"), 0);
	FL_ASSERT_EQ(json_array_size(json_object_get(json_array_get(pods, 1), "containers")), 0);
	json_decref(out);
	/* a node without any container: the same, not unknown */
	out = fl_pods_json(NULL, sbs, 2, NULL, 0, NULL, false);
	FL_ASSERT(out != NULL);
	FL_ASSERT_EQ(num(json_array_get(json_object_get(out, "pods"), 0), "restarts"), 0);
	json_decref(out);

	/* ListContainers failed: the pods are there, their containers unknown (absent, not 0) */
	out = fl_pods_json(NULL, sbs, 2, NULL, 0, "CRI ListContainers: grpc-status 14: down",
			   false);
	FL_ASSERT(out != NULL);
	FL_ASSERT_STREQ(json_string_value(json_object_get(out, "containersError")),
			"CRI ListContainers: grpc-status 14: down");
	pods = json_object_get(out, "pods");
	FL_ASSERT_EQ(json_array_size(pods), 2);
	json_array_foreach(pods, i, p)
	{
		FL_ASSERT(json_string_value(json_object_get(p, "name")) != NULL);
		FL_ASSERT(json_object_get(p, "containers") == NULL);
		FL_ASSERT(json_object_get(p, "restarts") == NULL);
	}
	json_decref(out);
	/* a runtime's message that is not UTF-8 is still an answer, not "out of memory" */
	out = fl_pods_json(NULL, sbs, 2, NULL, 0, "CRI ListContainers: \xff\xfe", false);
	FL_ASSERT(out != NULL);
	FL_ASSERT_CONTAINS(json_string_value(json_object_get(out, "containersError")), "not UTF-8");
	json_decref(out);
}

/* ?tcp=1 reads the counters of ready pods' namespaces; a sandbox that is not ready has none
 * left: neither "tcp" nor "tcpError" (it is no error of the listing), and no runtime asked. */
FLTEST(pods_that_are_not_ready_have_no_tcp_counters)
{
	struct fl_cri_sandbox sbs[] = { sandbox("sbA", "kafka-0"), sandbox("sbB", "loader-0") };
	json_t *out = fl_pods_json(NULL, sbs, 2, NULL, 0, NULL, true), *p;
	size_t i;

	FL_ASSERT(out != NULL);
	json_array_foreach(json_object_get(out, "pods"), i, p)
	{
		FL_ASSERT_STREQ(json_string_value(json_object_get(p, "state")), "notready");
		FL_ASSERT(json_object_get(p, "tcp") == NULL);
		FL_ASSERT(json_object_get(p, "tcpError") == NULL);
	}
	FL_ASSERT_EQ(json_array_size(json_object_get(out, "pods")), 2);
	json_decref(out);
}

FLTEST(pods_beyond_the_bound_are_cut_and_say_so)
{
	static struct fl_cri_sandbox sbs[FL_PODS_MAX + 1];
	char id[16];
	json_t *out;

	for (unsigned i = 0; i < FL_ARRAY_SIZE(sbs); i++) {
		(void)snprintf(id, sizeof(id), "sb%04u", i);
		sbs[i] = sandbox(id, id);
	}
	out = fl_pods_json(NULL, sbs, FL_PODS_MAX + 1, NULL, 0, NULL, false);
	FL_ASSERT(out != NULL);
	FL_ASSERT_EQ(json_array_size(json_object_get(out, "pods")), FL_PODS_MAX);
	FL_ASSERT(json_is_true(json_object_get(out, "truncated")));
	json_decref(out);
}

/* Every allocation failing in turn: -ENOMEM or NULL, never a pod with a part left out of
 * its containers (under ASan: no leak either). */
FLTEST(allocation_failures_fail_cleanly)
{
	struct fl_cri_sandbox sbs[] = { sandbox("sbA", "kafka-0"), sandbox("sbB", "loader-0") };
	struct fl_cri_container cs[] = {
		ctr("sbA", "main", "a1", 1, 2000, FL_CRI_CONTAINER_RUNNING),
		ctr("sbA", "main", "a0", 0, 1000, FL_CRI_CONTAINER_EXITED),
		ctr("sbA", "side", "s0", 2, 1000, FL_CRI_CONTAINER_RUNNING),
		ctr("sbB", "main", "b0", 0, 1000, FL_CRI_CONTAINER_RUNNING),
	};
	json_t *want, *got;
	char *want_text;
	long n;

	fl_pods_sort_containers(cs, FL_ARRAY_SIZE(cs));
	want = fl_pods_json(NULL, sbs, 2, cs, FL_ARRAY_SIZE(cs), NULL, false);
	FL_ASSERT(want != NULL);
	want_text = json_dumps(want, JSON_SORT_KEYS);
	FL_ASSERT(want_text != NULL);
	for (n = 0;; n++) {
		json_t *pod = json_object();
		bool hit;
		int r;

		FL_ASSERT(pod != NULL);
		fl_failmalloc_arm(n);
		r = fl_pods_add_containers(pod, cs, FL_ARRAY_SIZE(cs), "sbA");
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		FL_ASSERT_MSG(hit ? r == -ENOMEM : r == 0, "allocation %ld: %d", n, r);
		json_decref(pod);
		if (!hit)
			break;
	}
	fltest_log("fl_pods_add_containers: %ld allocations, each failing cleanly", n);
	for (n = 0;; n++) {
		bool hit;
		char *text;

		fl_failmalloc_arm(n);
		got = fl_pods_json(NULL, sbs, 2, cs, FL_ARRAY_SIZE(cs), NULL, false);
		hit = fl_failmalloc_fired();
		fl_failmalloc_disarm();
		FL_ASSERT_MSG(got || hit, "allocation %ld: NULL", n);
		if (got) {
			text = json_dumps(got, JSON_SORT_KEYS);
			FL_ASSERT(text != NULL);
			FL_ASSERT_MSG(strcmp(text, want_text) == 0, "allocation %ld: %s", n, text);
			free(text);
		}
		json_decref(got);
		if (!hit)
			break;
	}
	fltest_log("fl_pods_json: %ld allocations, each failing cleanly", n);
	free(want_text);
	json_decref(want);
}
