/* SPDX-License-Identifier: MIT */
/*
 * Agents found per node (kube_run.h, spec.agents.kubernetes): the agent DaemonSet's pods
 * listed once per resolution, and each target pod given the Ready agent pod of its node,
 * reached at https://<the agent pod's status.hostIP>:<port> (the agent runs on the host's
 * network). A target on a node without a Ready agent is refused naming the node: a fault
 * must never go to another node's agent.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kube_run_internal.h"

static const struct fl_kube_pod *agent_on(const struct fl_kube_pods *agents, const char *node)
{
	for (size_t i = 0; i < agents->n; i++) {
		const struct fl_kube_pod *a = &agents->v[i];

		if (a->node && strcmp(a->node, node) == 0 && a->ready && !a->terminating &&
		    a->host_ip)
			return a;
	}
	return NULL;
}

/* The index of the agent of node (added to agents the first time). */
static int node_agent(const struct fl_kube_agents *ka, const struct fl_kube_pod *a,
		      struct fl_agents *agents, struct fl_diag *diag)
{
	char name[320], address[128];
	int r;

	(void)snprintf(name, sizeof(name), "node/%s", a->node);
	if ((r = fl_agents_find(agents, name)) >= 0)
		return r;
	(void)snprintf(address, sizeof(address),
		       strchr(a->host_ip, ':') ? "https://[%s]:%u" : "https://%s:%u", a->host_ip,
		       ka->port);
	return fl_agents_add(agents, name, address, ka->tls_cert, ka->tls_key, ka->tls_ca, diag);
}

static int attach_one(const struct fl_kube_agents *ka, const struct fl_kube_pods *found,
		      struct fl_agents *agents, const struct fl_target_sel *sel,
		      struct fl_target *t, struct fl_diag *diag)
{
	const char *node = json_string_value(
		json_object_get(json_object_get(t->target, "kubernetes"), "node"));
	const struct fl_kube_pod *a;
	int r;

	if (!node)
		return fl_diag_set(diag, -ENOENT, "targets.%s: pod %s is not on a node yet",
				   sel->name, t->label);
	if (!(a = agent_on(found, node)))
		return fl_diag_set(diag, -ENOENT,
				   "targets.%s: pod %s runs on node %s, which has no Ready agent "
				   "(spec.agents.kubernetes: namespace %s, selector %s; %zu agent "
				   "pods listed)",
				   sel->name, t->label, node, ka->namespace, ka->selector,
				   found->n);
	if ((r = node_agent(ka, a, agents, diag)) < 0)
		return r;
	t->agent = (unsigned)r;
	if (json_object_set_new(t->target, "pod", json_string(t->label)) < 0 ||
	    (sel->container &&
	     json_object_set_new(t->target, "container", json_string(sel->container)) < 0))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	return 0;
}

int fl_kube_run_attach_agents(struct fl_kube_run *kr, const struct fl_kube_agents *ka,
			      struct fl_agents *agents, struct fl_target_set *set,
			      struct fl_diag *diag)
{
	struct fl_kube_pods found = { 0 };
	int r;

	pthread_mutex_lock(&kr->lock);
	r = fl_kube_list_pods(kr->kube, ka->namespace, ka->selector, NULL, &found, diag);
	pthread_mutex_unlock(&kr->lock);
	if (r < 0) {
		fl_kube_pods_clear(&found);
		return fl_diag_prefix(diag, r, "spec.agents.kubernetes");
	}
	for (unsigned i = 0; i < set->n && r == 0; i++)
		r = attach_one(ka, &found, agents, set->sel, &set->t[i], diag);
	fl_kube_pods_clear(&found);
	return r;
}
