/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: Kubernetes API answers. The input goes, whole, through the PodList
 * decoder (kube_pods.c), and, as a watch stream, through fl_kube_watch (kube_watch.c) fed by
 * a fake transport in pieces whose size the first byte picks: line buffering, the 4 MiB
 * cap, each line's event decoder (malformed JSON, a missing object, wrong types) and the pod
 * decoder on every event's object. A malformed answer must be refused with a message,
 * never crash or leak.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "kube_internal.h"
#include "kube_pods.h"
#include "kube_watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *body;
static size_t body_len, piece;

static int fake_transport(const struct fl_agent_call *call, struct fl_agent_answer *ret,
			  struct fl_diag *diag)
{
	for (size_t o = 0; o < body_len; o += piece) {
		int r = call->on_data(call->opaque, (const char *)body + o,
				      body_len - o < piece ? body_len - o : piece, diag);
		if (r < 0)
			return r;
	}
	ret->status = 200;
	ret->retry_after = -1;
	ret->body = strdup("");
	return ret->body ? 0 : -ENOMEM;
}

/* Every event's object through the pod decoder, as fl_kube_wait_pods does. */
static int on_event(void *opaque, const struct fl_kube_event *ev, struct fl_diag *diag)
{
	struct fl_kube_pod pod;

	(void)opaque;
	if (!ev->rv[0])
		__builtin_trap(); /* every event but ERROR has its resourceVersion */
	if (ev->type == FL_KUBE_BOOKMARK)
		return 0;
	if (fl_kube_decode_pod(ev->object, &pod, diag) == 0)
		fl_kube_pod_clear(&pod);
	else if (!diag->msg[0])
		__builtin_trap();
	return 0;
}

static void watch_stream(const uint8_t *data, size_t size)
{
	static struct fl_kube *k;
	struct fl_kube_conn conn = { .server = "https://127.0.0.1:1", .token = "t" };
	struct fl_diag diag = { 0 };
	char rv[FL_KUBE_RV_MAX] = "1";
	int r;

	if (!k && fl_kube_open(&conn, &k, &diag) < 0)
		__builtin_trap();
	fl_kube_test_transport = fake_transport;
	piece = size ? 1 + data[0] % 64 : 1;
	body = data;
	body_len = size;
	r = fl_kube_watch(k, "/api/v1/pods", rv, 5, on_event, NULL, &diag);
	if (r < 0 && !diag.msg[0])
		__builtin_trap(); /* every refusal says why */
	if (!rv[0] || strlen(rv) >= FL_KUBE_RV_MAX)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	watch_stream(data, size);
	if (!j)
		return 0;
	if (fl_kube_decode_pods(j, &pods, &diag) < 0 && !diag.msg[0])
		__builtin_trap(); /* every refusal says why */
	fl_kube_pods_clear(&pods);
	json_decref(j);
	return 0;
}
