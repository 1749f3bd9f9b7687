/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdlib.h>

#include "cri.h"
#include "pods.h"

static json_t *pod_json(struct fl_cri *cri, const struct fl_cri_sandbox *sb)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	json_t *labels = json_object();
	json_t *pod;

	for (unsigned i = 0; labels && i < sb->n_labels; i++)
		json_object_set_new(labels, sb->labels[i].key, json_string(sb->labels[i].value));
	pod = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o*}", "namespace", sb->namespace, "name",
			sb->name, "uid", sb->uid, "id", sb->id, "state",
			sb->state == FL_CRI_SANDBOX_READY ? "ready" : "notready", "labels", labels);
	/* The IP is what experiments aim "to:" at; a status call per ready pod is cheap. */
	if (pod && sb->state == FL_CRI_SANDBOX_READY &&
	    fl_cri_sandbox_status(cri, sb->id, &st, &diag) == 0 && st.ip[0])
		json_object_set_new(pod, "ip", json_string(st.ip));
	return pod;
}

int fl_pods_list(const struct fl_agent_config *cfg, json_t **ret, struct fl_diag *diag)
{
	struct fl_cri_sandbox *sbs = NULL;
	struct fl_cri *cri = NULL;
	unsigned n = 0;
	json_t *out = NULL, *pods;
	int r;

	if (!cfg->cri_socket[0])
		return fl_diag_set(diag, -ENOTSUP,
				   "this agent has no CRI socket (standalone host): no pods");
	if ((r = fl_cri_open(cfg->cri_socket, 5000, &cri, diag)) < 0)
		return r;
	if ((r = fl_cri_list_sandboxes(cri, &sbs, &n, diag)) < 0)
		goto out;
	out = json_pack("{s:[], s:b}", "pods", "truncated", n > FL_PODS_MAX);
	pods = out ? json_object_get(out, "pods") : NULL;
	for (unsigned i = 0; pods && i < n && i < FL_PODS_MAX; i++)
		if (json_array_append_new(pods, pod_json(cri, &sbs[i])) < 0)
			pods = NULL;
	if (!pods) {
		json_decref(out);
		r = fl_diag_set(diag, -ENOMEM, "out of memory listing pods");
		goto out;
	}
	*ret = out;
	r = 0;
out:
	free(sbs);
	fl_cri_close(cri);
	return r;
}
