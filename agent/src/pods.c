/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/pods (pods.h): the runtime's pods and containers through the CRI, with restart
 * counts and, asked for, each pod namespace's TCP counters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pods.h"
#include "target.h"
#include "tcpstats.h"

static int sign64(int64_t a, int64_t b)
{
	return (a > b) - (a < b);
}

/* By sandbox, then name, then newest first (created_at, then attempt, then id: a total
 * order, so equal inputs list the same). */
static int container_cmp(const void *pa, const void *pb)
{
	const struct fl_cri_container *a = pa, *b = pb;
	int c = strcmp(a->sandbox_id, b->sandbox_id);

	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0)
		c = sign64(b->created_at_ns, a->created_at_ns);
	if (c == 0)
		c = sign64(b->attempt, a->attempt);
	return c ? c : strcmp(a->id, b->id);
}

FL_TESTABLE void fl_pods_sort_containers(struct fl_cri_container *cs, unsigned n)
{
	if (n > 1)
		qsort(cs, n, sizeof(*cs), container_cmp);
}

/* The first container of sandbox_id in the sorted cs (a lower bound: n when it has none). */
static unsigned first_of(const struct fl_cri_container *cs, unsigned n, const char *sandbox_id)
{
	unsigned lo = 0, hi = n;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;

		if (strcmp(cs[mid].sandbox_id, sandbox_id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const char *state_name(enum fl_cri_container_state s)
{
	static const char *const names[] = { "created", "running", "exited", "unknown" };

	return (unsigned)s < FL_ARRAY_SIZE(names) ? names[s] : "unknown";
}

static json_t *container_json(const struct fl_cri_container *c)
{
	json_t *v = json_pack("{s:s, s:s, s:s, s:I}", "name", c->name, "id", c->id, "state",
			      state_name(c->state), "restartCount", (json_int_t)c->attempt);

	if (v && c->created_at_ns > 0 &&
	    json_object_set_new(v, "createdAtMs", json_integer(c->created_at_ns / 1000000)) < 0)
		v = (json_decref(v), NULL);
	return v;
}

FL_TESTABLE int fl_pods_add_containers(json_t *pod, const struct fl_cri_container *cs, unsigned n,
				       const char *sandbox_id)
{
	unsigned start = first_of(cs, n, sandbox_id), listed = 0;
	json_t *list = json_array();
	json_int_t restarts = 0;
	bool truncated = false;

	if (json_object_set_new(pod, "containers", list) < 0)
		return -ENOMEM;
	for (unsigned i = start; i < n && strcmp(cs[i].sandbox_id, sandbox_id) == 0; i++) {
		/* Older containers of a name (exited attempts kubelet has not removed yet) follow
		 * the newest: only the newest says how often that container restarted. */
		if (i > start && strcmp(cs[i - 1].name, cs[i].name) == 0)
			continue;
		if (listed == FL_PODS_CONTAINERS_MAX) {
			truncated = true;
			break;
		}
		if (json_array_append_new(list, container_json(&cs[i])) < 0)
			return -ENOMEM;
		restarts += cs[i].attempt;
		listed++;
	}
	if (json_object_set_new(pod, "restarts", json_integer(restarts)) < 0 ||
	    (truncated && json_object_set_new(pod, "containersTruncated", json_true()) < 0))
		return -ENOMEM;
	return 0;
}

/* A message as a JSON string; one that is not UTF-8 (a runtime's text, a path) as fallback. */
static json_t *text_or(const char *msg, const char *fallback)
{
	json_t *v = json_string(msg);

	return v ? v : json_string(fallback);
}

/*
 * "tcp" ({"retransSegs", "outSegs", "inSegs"} of the sandbox's network namespace) or
 * "tcpError" on a ready pod; st NULL: its PodSandboxStatus failed with status_err. Only a
 * failure to build the object is an error (-ENOMEM): the listing answers in any case.
 */
static int add_tcp(json_t *pod, const struct fl_cri_sandbox_status *st, const char *status_err)
{
	struct fl_diag diag = { 0 };
	struct fl_tcpstats ts;
	char path[FL_NETNS_PATH_MAX];
	uint64_t dev, ino;
	json_t *v;

	if (!st)
		(void)fl_diag_set(&diag, -EIO, "CRI PodSandboxStatus: %s", status_err);
	else if (st->host_network)
		(void)fl_diag_set(&diag, -EPERM,
				  "the pod uses the host network: its namespace's counters are "
				  "the whole node's");
	else if (fl_target_sandbox_netns(st, path, sizeof(path), &dev, &ino, &diag) == 0 &&
		 fl_tcpstats_read(path, &ts, &diag) == 0) {
		v = json_pack("{s:I, s:I, s:I}", "retransSegs", (json_int_t)ts.retrans_segs,
			      "outSegs", (json_int_t)ts.out_segs, "inSegs", (json_int_t)ts.in_segs);
		return json_object_set_new(pod, "tcp", v) < 0 ? -ENOMEM : 0;
	}
	v = text_or(diag.msg, "its TCP counters could not be read (the reason is not UTF-8)");
	return json_object_set_new(pod, "tcpError", v) < 0 ? -ENOMEM : 0;
}

/* cs: the node's containers, sorted; NULL when they could not be listed. tcp: ?tcp=1. */
static json_t *pod_json(struct fl_cri *cri, const struct fl_cri_sandbox *sb,
			const struct fl_cri_container *cs, unsigned n_cs, bool tcp)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	json_t *labels = json_object();
	json_t *pod;
	int r;

	if (!labels) /* a pod without its labels would match selectors it should not */
		return NULL;
	/* A label the runtime gave in bytes that are not UTF-8 is left out. */
	for (unsigned i = 0; i < sb->n_labels; i++)
		json_object_set_new(labels, sb->labels[i].key, json_string(sb->labels[i].value));
	pod = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "namespace", sb->namespace, "name",
			sb->name, "uid", sb->uid, "id", sb->id, "state",
			sb->state == FL_CRI_SANDBOX_READY ? "ready" : "notready", "labels", labels);
	/* The IP is what experiments aim "to:" at; a status call per ready pod is cheap. A
	 * sandbox that is not ready has no network namespace left: no IP, no counters. */
	if (pod && sb->state == FL_CRI_SANDBOX_READY) {
		r = fl_cri_sandbox_status(cri, sb->id, &st, &diag);
		if (r == 0 && st.ip[0])
			json_object_set_new(pod, "ip", json_string(st.ip));
		if (tcp && add_tcp(pod, r == 0 ? &st : NULL, diag.msg) < 0)
			pod = (json_decref(pod), NULL);
	}
	if (pod && cs && fl_pods_add_containers(pod, cs, n_cs, sb->id) < 0)
		pod = (json_decref(pod), NULL);
	return pod;
}

/* "containersError": the CRI's message (a runtime's grpc-message need not be UTF-8). */
static int set_containers_error(json_t *out, const char *err)
{
	return json_object_set_new(out, "containersError",
				   text_or(err, "CRI ListContainers failed (its message is not "
						"UTF-8)"));
}

FL_TESTABLE json_t *fl_pods_json(struct fl_cri *cri, const struct fl_cri_sandbox *sbs, unsigned n,
				 const struct fl_cri_container *cs, unsigned n_cs,
				 const char *containers_error, bool tcp)
{
	json_t *out = json_pack("{s:[], s:b}", "pods", "truncated", n > FL_PODS_MAX);
	json_t *pods = out ? json_object_get(out, "pods") : NULL;
	static const struct fl_cri_container none;

	/* NULL: unknown. A node without containers (cs NULL, n_cs 0) has pods with none. */
	cs = containers_error ? NULL : cs ? cs : &none;
	if (pods && containers_error && set_containers_error(out, containers_error) < 0)
		pods = NULL;
	for (unsigned i = 0; pods && i < n && i < FL_PODS_MAX; i++)
		if (json_array_append_new(pods, pod_json(cri, &sbs[i], cs, n_cs, tcp)) < 0)
			pods = NULL;
	if (!pods)
		out = (json_decref(out), NULL);
	return out;
}

int fl_pods_list(const struct fl_agent_config *cfg, bool tcp, json_t **ret, struct fl_diag *diag)
{
	struct fl_cri_container *cs = NULL;
	struct fl_cri_sandbox *sbs = NULL;
	struct fl_diag cdiag = { 0 };
	struct fl_cri *cri = NULL;
	unsigned n = 0, n_cs = 0;
	json_t *out;
	int r;

	if (!cfg->cri_socket[0])
		return fl_diag_set(diag, -ENOTSUP,
				   "this agent has no CRI socket (standalone host): no pods");
	if ((r = fl_cri_open(cfg->cri_socket, 5000, &cri, diag)) < 0)
		return r;
	if ((r = fl_cri_list_sandboxes(cri, &sbs, &n, diag)) < 0)
		goto out;
	/* Every container of the node in one call, after ListPodSandbox: a listed pod's
	 * containers are then all in the reply. A failure leaves the pods listed. */
	r = fl_cri_list_containers(cri, NULL, &cs, &n_cs, &cdiag);
	if (r == 0)
		fl_pods_sort_containers(cs, n_cs);
	out = fl_pods_json(cri, sbs, n, cs, n_cs, r < 0 ? cdiag.msg : NULL, tcp);
	if (!out) {
		r = fl_diag_set(diag, -ENOMEM, "out of memory listing pods");
		goto out;
	}
	*ret = out;
	r = 0;
out:
	free(cs);
	free(sbs);
	fl_cri_close(cri);
	return r;
}
