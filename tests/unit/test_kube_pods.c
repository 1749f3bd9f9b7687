/* SPDX-License-Identifier: MIT */
/*
 * A PodList decoded into what targets need (kube_pods.c): names, uid, node, phase, IPs,
 * readiness, termination — and answers that are not a PodList refused with the field they
 * lack, never guessed and never a crash (tests/fuzz/fuzz_kube.c goes further).
 */
#include <errno.h>
#include <string.h>

#include "fltest.h"
#include "kube_pods.h"

static json_t *load(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, 0, &err);

	if (!j)
		FL_FAIL("test JSON: %s", err.text);
	fltest_defer((void (*)(void *))json_decref, j);
	return j;
}

static void clear(void *pods)
{
	fl_kube_pods_clear(pods);
}

FLTEST(a_podlist_gives_what_targets_need)
{
	static struct fl_kube_pods pods;
	struct fl_diag diag = { 0 };
	json_error_t err;
	json_t *list = json_load_file("tests/data/kube/podlist.json", 0, &err);

	FL_ASSERT_MSG(list != NULL, "podlist.json: %s", err.text);
	fltest_defer((void (*)(void *))json_decref, list);
	fltest_defer(clear, &pods);
	FL_ASSERT_EQ(fl_kube_decode_pods(list, &pods, &diag), 0);
	FL_ASSERT_EQ(pods.n, 3);
	FL_ASSERT_STREQ(pods.v[0].name, "loader-0");
	FL_ASSERT_STREQ(pods.v[0].namespace, "streamforge");
	FL_ASSERT_STREQ(pods.v[0].uid, "0d4a5e38-6a3c-4a55-9f56-2f8d3f0c1a01");
	FL_ASSERT_STREQ(pods.v[0].node, "node-a");
	FL_ASSERT_STREQ(pods.v[0].phase, "Running");
	FL_ASSERT_STREQ(pods.v[0].pod_ip, "10.88.0.7");
	FL_ASSERT_STREQ(pods.v[0].host_ip, "192.168.1.10");
	FL_ASSERT(pods.v[0].ready && !pods.v[0].terminating);
	FL_ASSERT(!pods.v[1].ready && pods.v[1].terminating);
	FL_ASSERT(pods.v[1].pod_ip == NULL);
	FL_ASSERT(pods.v[2].node == NULL);
	FL_ASSERT_STREQ(pods.v[2].phase, "Unknown");
}

FLTEST(an_empty_list_is_no_pods)
{
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };

	FL_ASSERT_EQ(fl_kube_decode_pods(load("{\"items\":null}"), &pods, &diag), 0);
	FL_ASSERT_EQ(fl_kube_decode_pods(load("{\"items\":[]}"), &pods, &diag), 0);
	FL_ASSERT_EQ(pods.n, 0);
}

FLTEST(answers_that_are_not_a_podlist_name_what_they_lack)
{
	static const struct {
		const char *json, *msg;
	} cases[] = {
		{ "{\"items\":{}}", "kubernetes: a PodList without items" },
		{ "{\"items\":[3]}", "kubernetes: items[0]: not an object" },
		{ "{\"items\":[{\"spec\":{}}]}", "kubernetes: items[0].metadata: missing" },
		{ "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\"}}]}",
		  "kubernetes: items[0].metadata.uid: missing" },
		{ "{\"items\":[{\"metadata\":{\"name\":7,\"namespace\":\"n\",\"uid\":\"u\"}}]}",
		  "kubernetes: items[0].metadata.name: not a string" },
		{ "{\"items\":[{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\",\"uid\":\"u\"}},"
		  "{\"metadata\":{\"name\":\"b\",\"namespace\":\"n\",\"uid\":\"u\"},"
		  "\"status\":{\"podIP\":[]}}]}",
		  "kubernetes: items[1].status.podIP: not a string" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fl_kube_pods pods = { 0 };
		struct fl_diag diag = { 0 };

		FL_ASSERT_EQ(fl_kube_decode_pods(load(cases[i].json), &pods, &diag), -EBADMSG);
		FL_ASSERT_STREQ(diag.msg, cases[i].msg);
		fl_kube_pods_clear(&pods); /* what was decoded before the error is freed */
		FL_ASSERT(pods.n == 0 && pods.v == NULL);
	}
}
