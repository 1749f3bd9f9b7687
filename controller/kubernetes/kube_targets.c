/* SPDX-License-Identifier: MIT */
/*
 * `pods` targets through the Kubernetes API (kube_run.h): the server selects by label and
 * field, the name glob is applied here, and the mode chooses among the running pods with
 * the run's seed exactly as agent targets are chosen (targets.h), so a rerun with the same
 * seed over the same pods deletes the same ones.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_run_internal.h"

/* "namespace=x selector app=loader fieldSelector ... names loader-*" for messages. */
static void describe_sel(const struct fl_target_sel *sel, char *buf, size_t size)
{
	(void)snprintf(buf, size, "namespace=%s%s%s%s%s%s%s", sel->pod_namespace,
		       sel->kube_labels ? " selector " : "", sel->kube_labels ?: "",
		       sel->kube_fields ? " fieldSelector " : "", sel->kube_fields ?: "",
		       sel->pod_name ? " names " : "", sel->pod_name ?: "");
}

/* Drop the pods whose name the glob does not match, keeping the order. */
static void filter_names(const char *glob, struct fl_kube_pods *pods)
{
	size_t k = 0;

	for (size_t i = 0; i < pods->n; i++) {
		if (!glob || fnmatch(glob, pods->v[i].name, 0) == 0) {
			pods->v[k++] = pods->v[i];
			continue;
		}
		struct fl_kube_pod *drop = &pods->v[i];

		/* the dropped pod's strings; the array stays */
		free(drop->namespace);
		free(drop->name);
		free(drop->uid);
		free(drop->node);
		free(drop->phase);
		free(drop->pod_ip);
		free(drop->host_ip);
	}
	pods->n = k;
}

int fl_kube_run_list(struct fl_kube_run *kr, const struct fl_target_sel *sel,
		     struct fl_kube_pods *ret, struct fl_diag *diag)
{
	int r;

	fl_kube_pods_clear(ret);
	pthread_mutex_lock(&kr->lock);
	r = fl_kube_list_pods(kr->kube, sel->pod_namespace, sel->kube_labels, sel->kube_fields, ret,
			      diag);
	pthread_mutex_unlock(&kr->lock);
	if (r < 0)
		return r;
	filter_names(sel->pod_name, ret);
	return 0;
}

static json_t *target_json(const struct fl_kube_pod *p)
{
	json_t *k = json_pack("{s:s, s:s, s:s}", "namespace", p->namespace, "name", p->name, "uid",
			      p->uid);

	if (k && p->node)
		json_object_set_new(k, "node", json_string(p->node));
	if (k && p->host_ip)
		json_object_set_new(k, "hostIP", json_string(p->host_ip));
	return k ? json_pack("{s:o}", "kubernetes", k) : NULL;
}

/* Remember every listed uid as seen by a pod-delete (replacements are the others). */
static int remember_seen(struct fl_kube_run *kr, const struct fl_kube_pods *pods)
{
	int r = 0;

	pthread_mutex_lock(&kr->lock);
	for (size_t i = 0; i < pods->n && r == 0; i++)
		r = fl_kube_run_record(&kr->seen, &kr->n_seen, pods->v[i].namespace, NULL,
				       pods->v[i].uid);
	pthread_mutex_unlock(&kr->lock);
	return r;
}

static int add_running(const struct fl_kube_pods *pods, struct fl_target_set *set)
{
	for (size_t i = 0; i < pods->n; i++) {
		const struct fl_kube_pod *p = &pods->v[i];
		char label[192];
		int r;

		if (p->terminating || strcmp(p->phase, "Running") != 0)
			continue;
		(void)snprintf(label, sizeof(label), "%s/%s", p->namespace, p->name);
		if ((r = fl_target_set_add(set, FL_TARGET_NO_AGENT, target_json(p), label,
					   p->pod_ip)) < 0)
			return r;
	}
	return 0;
}

int fl_kube_run_resolve(struct fl_kube_run *kr, const struct fl_target_sel *sel, uint64_t seed,
			bool for_delete, struct fl_target_set *ret, struct fl_diag *diag)
{
	struct fl_target_set set = { .sel = sel };
	struct fl_kube_pods pods = { 0 };
	char what[512];
	unsigned k;
	int r;

	if ((r = fl_kube_run_list(kr, sel, &pods, diag)) < 0)
		return fl_diag_prefix(diag, r, "targets.%s", sel->name);
	if ((for_delete && (r = remember_seen(kr, &pods)) < 0) ||
	    (r = add_running(&pods, &set)) < 0) {
		r = fl_diag_set(diag, r, "out of memory");
		goto out;
	}
	set.n_matches = set.n;
	describe_sel(sel, what, sizeof(what));
	if (set.n == 0) {
		r = fl_diag_set(diag, -ENOENT,
				"targets.%s: no running pod matches %s (%zu pods listed, none "
				"running and not being deleted)",
				sel->name, what, pods.n);
		goto out;
	}
	k = fl_targets_pick_count(sel, set.n);
	if (k > set.n) {
		r = fl_diag_set(diag, -ENOENT, "targets.%s: fixed:%u needs %u pods, %u match %s",
				sel->name, sel->mode_count, k, set.n, what);
		goto out;
	}
	fl_target_set_pick(&set, k, seed, sel->name);
	*ret = set;
	set = (struct fl_target_set){ 0 };
out:
	fl_target_set_clear(&set);
	fl_kube_pods_clear(&pods);
	return r;
}
