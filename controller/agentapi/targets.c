/* SPDX-License-Identifier: MIT */
/*
 * Target selectors to concrete targets on agents (targets.h): the agents' pod lists
 * matched by namespace, name glob and labels, then picked by mode with the run's seed.
 */
#include <errno.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets.h"

/* splitmix64: small, well distributed, and the same everywhere (no libc rand()). */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

unsigned fl_targets_pick_count(const struct fl_target_sel *sel, unsigned n)
{
	switch (sel->mode) {
	case FL_TARGET_ONE:
		return n ? 1 : 0;
	case FL_TARGET_ALL:
		return n;
	case FL_TARGET_FIXED:
		return sel->mode_count;
	case FL_TARGET_PERCENT: {
		unsigned k = (unsigned)ceil(sel->mode_percent * n / 100.0 - 1e-9);
		return n && k == 0 ? 1 : k;
	}
	}
	return 0;
}

static bool labels_match(const struct fl_target_sel *sel, const json_t *labels)
{
	for (unsigned i = 0; i < sel->n_labels; i++) {
		const char *v = json_string_value(json_object_get(labels, sel->labels[i].key));
		if (!v || strcmp(v, sel->labels[i].value) != 0)
			return false;
	}
	return true;
}

int fl_target_set_add(struct fl_target_set *set, unsigned agent, json_t *target, const char *label,
		      const char *ip)
{
	const char *iface = set->sel->interface;
	struct fl_target *t = realloc(set->t, (set->n + 1) * sizeof(*t));

	if (!t || !target) {
		json_decref(target);
		if (t)
			set->t = t;
		return -ENOMEM;
	}
	set->t = t;
	t = &set->t[set->n++];
	t->agent = agent;
	t->target = target;
	(void)snprintf(t->label, sizeof(t->label), "%s", label);
	(void)snprintf(t->ip, sizeof(t->ip), "%s", ip ? ip : "");
	(void)snprintf(t->interface, sizeof(t->interface), "%s", iface ? iface : "");
	return 0;
}

static int cmp_target(const void *a, const void *b)
{
	const struct fl_target *x = a, *y = b;

	if (x->agent != y->agent)
		return x->agent < y->agent ? -1 : 1;
	return strcmp(x->label, y->label);
}

bool fl_targets_pod_matches(const struct fl_target_sel *sel, const json_t *pod)
{
	const char *ns = json_string_value(json_object_get(pod, "namespace"));
	const char *name = json_string_value(json_object_get(pod, "name"));

	if (sel->kind != FL_SELECT_POD || !ns || !name || strcmp(ns, sel->pod_namespace) != 0)
		return false;
	if (sel->pod_name && fnmatch(sel->pod_name, name, 0) != 0)
		return false;
	return labels_match(sel, json_object_get(pod, "labels"));
}

static int match_pods(struct fl_agents *agents, unsigned ai, const struct fl_target_sel *sel,
		      struct fl_target_set *set, unsigned *listed, struct fl_diag *diag)
{
	json_t *pods = NULL, *pod;
	size_t i;
	int r;

	if ((r = fl_agents_pods(agents, ai, &pods, diag)) < 0)
		return r;
	json_array_foreach(pods, i, pod)
	{
		const char *ns = json_string_value(json_object_get(pod, "namespace"));
		const char *name = json_string_value(json_object_get(pod, "name"));
		const char *state = json_string_value(json_object_get(pod, "state"));
		char label[192];
		json_t *target;

		if (!ns || !name)
			continue;
		(*listed)++;
		if (!state || strcmp(state, "ready") != 0 || !fl_targets_pod_matches(sel, pod))
			continue;
		(void)snprintf(label, sizeof(label), "%s/%s", ns, name);
		target = json_pack("{s:s}", "pod", label);
		if (target && sel->container)
			json_object_set_new(target, "container", json_string(sel->container));
		if ((r = fl_target_set_add(set, ai, target, label,
					   json_string_value(json_object_get(pod, "ip")))) < 0)
			break;
	}
	json_decref(pods);
	return r < 0 ? fl_diag_set(diag, r, "out of memory") : 0;
}

static void describe(const struct fl_target_sel *sel, char *buf, size_t size)
{
	size_t off = (size_t)snprintf(buf, size, "namespace=%s", sel->pod_namespace);

	if (sel->pod_name && off < size)
		off += (size_t)snprintf(buf + off, size - off, " name=%s", sel->pod_name);
	for (unsigned i = 0; i < sel->n_labels && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, " %s=%s", sel->labels[i].key,
					sel->labels[i].value);
}

void fl_target_set_pick(struct fl_target_set *set, unsigned k, uint64_t seed, const char *name)
{
	uint64_t state = seed ^ fnv1a(name);

	for (unsigned i = 0; i + 1 < set->n && i < k; i++) {
		unsigned j = i + (unsigned)(splitmix64(&state) % (set->n - i));
		struct fl_target tmp = set->t[i];
		set->t[i] = set->t[j];
		set->t[j] = tmp;
	}
	for (unsigned i = k; i < set->n; i++)
		json_decref(set->t[i].target);
	set->n = k;
	qsort(set->t, set->n, sizeof(*set->t), cmp_target);
}

int fl_targets_resolve(struct fl_agents *agents, const struct fl_target_sel *sel, uint64_t seed,
		       struct fl_target_set *ret, struct fl_diag *diag)
{
	struct fl_target_set set = { .sel = sel };
	unsigned first = 0, last = fl_agents_count(agents), listed = 0, k;
	char label[192];
	int r = 0;

	if (sel->agent) {
		if ((r = fl_agents_find(agents, sel->agent)) < 0)
			return fl_diag_set(diag, -ENOENT, "targets.%s.agent: no agent \"%s\"",
					   sel->name, sel->agent);
		first = (unsigned)r;
		last = first + 1;
	}
	if (first == last)
		return fl_diag_set(diag, -ENOENT, "targets.%s: no agents in spec.agents",
				   sel->name);
	if (sel->kind != FL_SELECT_POD && sel->kind != FL_SELECT_KUBE && last - first != 1)
		return fl_diag_set(diag, -EINVAL,
				   "targets.%s: a netns or pid target needs `agent:` (there are %u "
				   "agents)",
				   sel->name, last - first);
	switch (sel->kind) {
	case FL_SELECT_POD:
		for (unsigned ai = first; ai < last && r >= 0; ai++)
			r = match_pods(agents, ai, sel, &set, &listed, diag);
		if (r < 0)
			goto fail;
		break;
	case FL_SELECT_NETNS:
		r = fl_target_set_add(&set, first, json_pack("{s:s}", "netns", sel->netns),
				      sel->netns, NULL);
		break;
	case FL_SELECT_PID:
		(void)snprintf(label, sizeof(label), "pid %d", sel->pid);
		r = fl_target_set_add(&set, first, json_pack("{s:i}", "pid", sel->pid), label,
				      NULL);
		break;
	case FL_SELECT_KUBE:
		return fl_diag_set(diag, -EINVAL,
				   "targets.%s: pods are found through the Kubernetes API, not the "
				   "agents (kubernetes/kube_targets.h)",
				   sel->name);
	}
	if (r < 0) {
		fl_diag_set(diag, r, "out of memory");
		goto fail;
	}
	qsort(set.t, set.n, sizeof(*set.t), cmp_target);
	set.n_matches = set.n;
	if (set.n == 0) {
		describe(sel, label, sizeof(label));
		r = fl_diag_set(diag, -ENOENT,
				"targets.%s: no ready pod matches %s on %s%s (%u pods listed)",
				sel->name, label, sel->agent ? "agent " : "",
				sel->agent ? sel->agent : "any agent", listed);
		goto fail;
	}
	k = fl_targets_pick_count(sel, set.n);
	if (k > set.n) {
		r = fl_diag_set(diag, -ENOENT, "targets.%s: fixed:%u needs %u targets, %u match",
				sel->name, sel->mode_count, k, set.n);
		goto fail;
	}
	fl_target_set_pick(&set, k, seed, sel->name);
	*ret = set;
	return 0;
fail:
	fl_target_set_clear(&set);
	return r;
}

void fl_target_set_clear(struct fl_target_set *set)
{
	for (unsigned i = 0; i < set->n; i++)
		json_decref(set->t[i].target);
	free(set->t);
	set->t = NULL;
	set->n = 0;
}

const char *fl_target_mode_text(const struct fl_target_sel *sel, char *buf, size_t size)
{
	switch (sel->mode) {
	case FL_TARGET_ONE:
		return "one";
	case FL_TARGET_ALL:
		return "all";
	case FL_TARGET_FIXED:
		(void)snprintf(buf, size, "fixed:%u", sel->mode_count);
		return buf;
	case FL_TARGET_PERCENT:
		(void)snprintf(buf, size, "percent:%g", sel->mode_percent);
		return buf;
	}
	return "?";
}

json_t *fl_target_set_json(const struct fl_target_set *set, const struct fl_agents *agents)
{
	char buf[32];
	json_t *resolved = json_array();

	for (unsigned i = 0; resolved && i < set->n; i++) {
		json_t *t = json_deep_copy(set->t[i].target);
		if (!t)
			continue;
		json_object_set_new(t, "agent",
				    json_string(set->t[i].agent == FL_TARGET_NO_AGENT
							? "kubernetes"
							: fl_agents_name(agents, set->t[i].agent)));
		json_object_set_new(t, "label", json_string(set->t[i].label));
		if (set->t[i].ip[0])
			json_object_set_new(t, "ip", json_string(set->t[i].ip));
		json_array_append_new(resolved, t);
	}
	return json_pack("{s:s, s:s, s:i, s:o*}", "selector", set->sel->name, "mode",
			 fl_target_mode_text(set->sel, buf, sizeof(buf)), "matched",
			 (json_int_t)set->n_matches, "resolved", resolved);
}
