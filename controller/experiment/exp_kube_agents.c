/* SPDX-License-Identifier: MIT */
/*
 * spec.agents as a mapping: {kubernetes: {namespace, selector, port, tls: {cert, key, ca}}} —
 * agents found per node through the Kubernetes API (a DaemonSet's pods), instead of a list
 * of addresses. The selector is checked with Kubernetes' grammar like a target's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"

#define DEFAULT_AGENT_SELECTOR "app.kubernetes.io/name=faultline-agent"
#define DEFAULT_AGENT_PORT     9443
#define PATH_MAX_LEN	       4096

void fl_exp_kube_agents_free(struct fl_kube_agents *ka)
{
	if (!ka)
		return;
	free(ka->namespace);
	free(ka->selector);
	free(ka->tls_cert);
	free(ka->tls_key);
	free(ka->tls_ca);
	free(ka);
}

static int parse_port(struct exp_ctx *c, const struct fl_ynode *n, struct fl_kube_agents *ka)
{
	const struct fl_ynode *v = fl_ynode_get(n, "port");
	char q[EX_QUOTE];
	int64_t port;

	ka->port = DEFAULT_AGENT_PORT;
	if (!v)
		return 0;
	if (fl_ynode_type(v) != FL_YTYPE_INT || fl_ynode_int(v, &port) < 0 || port < 1 ||
	    port > 65535)
		return fl_exp_err_key(c, v, "port", "%s is not a TCP port (1..65535)",
				      fl_exp_quote(v, q, sizeof(q)));
	ka->port = (unsigned)port;
	return 0;
}

static int parse_tls(struct exp_ctx *c, const struct fl_ynode *n, struct fl_kube_agents *ka)
{
	static const char *const allowed[] = { "cert", "key", "ca", NULL };
	const struct fl_ynode *tls = fl_ynode_get(n, "tls");
	size_t old;
	int r;

	if (!tls)
		return 0;
	old = fl_exp_push_key(c, "tls");
	if ((r = fl_exp_map(c, tls, allowed)) == 0 &&
	    (r = fl_exp_str(c, tls, "cert", PATH_MAX_LEN, false, &ka->tls_cert)) == 0 &&
	    (r = fl_exp_str(c, tls, "key", PATH_MAX_LEN, false, &ka->tls_key)) == 0 &&
	    (r = fl_exp_str(c, tls, "ca", PATH_MAX_LEN, false, &ka->tls_ca)) == 0 &&
	    !ka->tls_cert != !ka->tls_key)
		r = fl_exp_err(c, tls,
			       "cert and key go together (the agent wants a client certificate)");
	fl_exp_pop(c, old);
	return r;
}

static int parse_selector(struct exp_ctx *c, const struct fl_ynode *n, struct fl_kube_agents *ka)
{
	int r;

	if ((r = fl_exp_selector(c, n, "selector", false, &ka->selector)) < 0 || ka->selector)
		return r;
	return fl_exp_strdup(DEFAULT_AGENT_SELECTOR, &ka->selector);
}

int fl_exp_parse_kube_agents(struct exp_ctx *c, const struct fl_ynode *agents,
			     struct fl_experiment *e)
{
	static const char *const allowed[] = { "kubernetes", NULL };
	static const char *const k_allowed[] = { "namespace", "selector", "port", "tls", NULL };
	const struct fl_ynode *n = fl_ynode_get(agents, "kubernetes");
	size_t old = fl_exp_push_key(c, "agents");
	struct fl_kube_agents *ka;
	int r;

	if ((r = fl_exp_map(c, agents, allowed)) < 0)
		goto out;
	if (!n) {
		r = fl_exp_err_key(c, agents, "kubernetes",
				   "required (agents are a list of {name, address}, or "
				   "{kubernetes: {namespace, selector, port, tls}})");
		goto out;
	}
	(void)fl_exp_push_key(c, "kubernetes"); /* popped with "agents" below */
	if (!(ka = e->kube_agents = calloc(1, sizeof(*ka)))) {
		r = -ENOMEM;
		goto out;
	}
	ka->pos = fl_exp_pos(c, n);
	if ((r = fl_exp_map(c, n, k_allowed)) < 0 ||
	    (r = fl_exp_str(c, n, "namespace", 63, true, &ka->namespace)) < 0 ||
	    (r = parse_selector(c, n, ka)) < 0 || (r = parse_port(c, n, ka)) < 0)
		goto out;
	r = parse_tls(c, n, ka);
out:
	fl_exp_pop(c, old);
	return r;
}
