/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the agent API body parsers (agent/src/apireq.c) on arbitrary bytes.
 * The input is copied into a buffer of exactly its size (no NUL after it), so reading past
 * len is caught by ASan. Whatever parses must hold the invariants the registry relies on;
 * whatever fails must say why. The same bytes as a query string (agent/src/apiquery.c):
 * its messages quote the user's bytes and must stay JSON text (UTF-8), or the 400 would
 * have no body.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apiquery.h"
#include "apireq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_DURATION_NS (3600ull * 1000000000ull)

static void check_terminated(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

static void check_fault(const struct fl_fault_req *q)
{
	check_terminated(q->id, sizeof(q->id));
	check_terminated(q->owner, sizeof(q->owner));
	check_terminated(q->ifname, sizeof(q->ifname));
	check_terminated(q->target.pod_namespace, sizeof(q->target.pod_namespace));
	check_terminated(q->target.pod_name, sizeof(q->target.pod_name));
	check_terminated(q->target.pod_uid, sizeof(q->target.pod_uid));
	check_terminated(q->target.container, sizeof(q->target.container));
	check_terminated(q->target.netns, sizeof(q->target.netns));
	if ((unsigned)q->kind >= FL_FAULT_KIND_COUNT)
		abort();
	if (q->id[0] && !fl_api_valid_id(q->id))
		abort();
	switch (q->kind) {
	case FL_FAULT_CONTAINER_KILL:
	case FL_FAULT_PROCESS_KILL:
		if (q->duration_ns || q->lease_ns || q->u.kill.signal < 0 || q->u.kill.signal > 64)
			abort();
		if (q->kind == FL_FAULT_PROCESS_KILL &&
		    (q->target.type != FL_TARGET_PID || q->target.pid <= 0 || !q->u.kill.signal))
			abort();
		return;
	case FL_FAULT_NETWORK:
	case FL_FAULT_BANDWIDTH:
		if (!q->ifname[0] || q->u.net.n_matches > FL_NETEM_MAX_MATCHES ||
		    fl_netem_fault_validate(&q->u.net, NULL) < 0)
			abort();
		break;
	case FL_FAULT_PARTITION:
	case FL_FAULT_LOSS:
		if (fl_nft_validate(&q->u.nft, NULL) < 0)
			abort();
		break;
	case FL_FAULT_DELAY:
		if (q->u.delay.steer.action != FL_NFT_QUEUE || q->u.delay.steer.queue_num != 0 ||
		    fl_delayline_validate(&q->u.delay.spec, NULL) < 0)
			abort();
		break;
	default:
		abort();
	}
	if (q->duration_ns == 0 || q->duration_ns > MAX_DURATION_NS || q->lease_ns > q->duration_ns)
		abort();
}

static void fuzz_query(const uint8_t *data, size_t size)
{
	struct fl_api_param params[] = { { .name = "tcp" }, { .name = "x" } };
	struct fl_diag diag = { 0 };
	char *query = malloc(size + 1);
	json_t *msg;
	bool flag;
	int r;

	if (!query)
		return;
	memcpy(query, data, size);
	query[size] = '\0';
	r = fl_api_parse_query(query, "GET /v1/pods", params, 2, &diag);
	if (r == 0) {
		for (unsigned i = 0; i < 2; i++) {
			check_terminated(params[i].value, sizeof(params[i].value));
			if (!params[i].given && params[i].value[0])
				abort();
		}
		r = fl_api_param_flag(&params[0], &flag, &diag);
	}
	if (r < 0) {
		if (r != -EINVAL || !diag.msg[0] || !memchr(diag.msg, '\0', sizeof(diag.msg)))
			abort();
		msg = json_string(diag.msg);
		if (!msg)
			abort();
		json_decref(msg);
	}
	free(query);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_fault_req q;
	struct fl_diag diag = { 0 };
	uint64_t lease;
	char *copy;
	int r;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	r = fl_api_parse_fault(copy, size, MAX_DURATION_NS, &q, &diag);
	if (r == 0)
		check_fault(&q);
	else if ((r != -EINVAL && r != -ENOMEM) || !diag.msg[0] ||
		 !memchr(diag.msg, '\0', sizeof(diag.msg)))
		abort();

	diag.msg[0] = '\0';
	r = fl_api_parse_renew(copy, size, &lease, &diag);
	if (r == 0 && lease > 24ull * 3600 * 1000000000ull)
		abort();
	if (r < 0 && !diag.msg[0])
		abort();
	free(copy);
	fuzz_query(data, size);
	return 0;
}
