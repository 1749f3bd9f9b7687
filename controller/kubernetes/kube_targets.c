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

/* The running pods of sel into *set (n_matches counted); none: -ENOENT naming the selector. */
static int running_set(struct fl_kube_run *kr, const struct fl_target_sel *sel, bool for_delete,
		       struct fl_target_set *set, struct fl_diag *diag)
{
	struct fl_kube_pods pods = { 0 };
	char what[512];
	int r;

	*set = (struct fl_target_set){ .sel = sel };
	if ((r = fl_kube_run_list(kr, sel, &pods, diag)) < 0)
		return fl_diag_prefix(diag, r, "targets.%s", sel->name);
	if ((for_delete && (r = remember_seen(kr, &pods)) < 0) ||
	    (r = add_running(&pods, set)) < 0) {
		r = fl_diag_set(diag, r, "out of memory");
	} else if ((set->n_matches = set->n) == 0) {
		describe_sel(sel, what, sizeof(what));
		r = fl_diag_set(diag, -ENOENT,
				"targets.%s: no running pod matches %s (%zu pods listed, none "
				"running and not being deleted)",
				sel->name, what, pods.n);
	}
	fl_kube_pods_clear(&pods);
	if (r < 0)
		fl_target_set_clear(set);
	return r;
}

int fl_kube_run_resolve(struct fl_kube_run *kr, const struct fl_target_sel *sel, uint64_t seed,
			bool for_delete, struct fl_target_set *ret, struct fl_diag *diag)
{
	struct fl_target_set set;
	char what[512];
	unsigned k;
	int r;

	if ((r = running_set(kr, sel, for_delete, &set, diag)) < 0)
		return r;
	k = fl_targets_pick_count(sel, set.n);
	if (k > set.n) {
		describe_sel(sel, what, sizeof(what));
		r = fl_diag_set(diag, -ENOENT, "targets.%s: fixed:%u needs %u pods, %u match %s",
				sel->name, sel->mode_count, k, set.n, what);
		fl_target_set_clear(&set);
		return r;
	}
	fl_target_set_pick(&set, k, seed, sel->name);
	*ret = set;
	return 0;
}

/* Whether pod t is broker b by rule 0 (its IP), 1 (the host's first label) or 2 ("-<id>"). */
static bool is_broker(const struct fl_target *t, const struct fl_kube_broker *b, int rule)
{
	const char *name = strchr(t->label, '/') + 1;
	size_t first = strcspn(b->host, ".");
	char suffix[24];
	size_t n = strlen(name);

	switch (rule) {
	case 0:
		return t->ip[0] && strcmp(t->ip, b->host) == 0;
	case 1:
		return strlen(name) == first && strncmp(name, b->host, first) == 0;
	default:
		(void)snprintf(suffix, sizeof(suffix), "-%d", b->id);
		return n > strlen(suffix) && strcmp(name + n - strlen(suffix), suffix) == 0;
	}
}

/* Keep only set->t[keep]. */
static void keep_one(struct fl_target_set *set, unsigned keep)
{
	struct fl_target t = set->t[keep];

	for (unsigned i = 0; i < set->n; i++)
		if (i != keep)
			json_decref(set->t[i].target);
	set->t[0] = t;
	set->n = 1;
}

int fl_kube_run_resolve_broker(struct fl_kube_run *kr, const struct fl_target_sel *sel,
			       const struct fl_kube_broker *b, bool for_delete,
			       struct fl_target_set *ret, struct fl_diag *diag)
{
	struct fl_target_set set;
	unsigned hits = 0, at = 0;
	char what[512];
	int r;

	if ((r = running_set(kr, sel, for_delete, &set, diag)) < 0)
		return r;
	for (int rule = 0; rule < 3 && hits == 0; rule++)
		for (unsigned i = 0; i < set.n; i++)
			if (is_broker(&set.t[i], b, rule) && hits++ == 0)
				at = i;
	if (hits == 1) {
		keep_one(&set, at);
		*ret = set;
		return 0;
	}
	describe_sel(sel, what, sizeof(what));
	r = fl_diag_set(
		diag, -ENOENT,
		"targets.%s: %s is led by broker %d (%s), and %s of the %u running pods "
		"matching %s is its pod (by IP, by the host's first label, by a name ending "
		"in -%d)",
		sel->name, b->what, b->id, b->host, hits ? "more than one" : "none", set.n, what,
		b->id);
	fl_target_set_clear(&set);
	return r;
}
