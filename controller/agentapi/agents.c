/* SPDX-License-Identifier: MIT */
/*
 * The agents of an experiment (agents.h): one client per spec.agents entry, and the
 * calls the runner and the planner make through them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agents.h"

struct agent {
	char *name;
	struct fl_agent_client *client;
	json_t *caps; /* cached GET /v1/capabilities */
};

/* The array grows (agents found per node are added as targets are resolved); nobody keeps
 * a pointer into it: callers hold indexes, and clients are allocated on their own. */
struct fl_agents {
	unsigned n;
	struct agent *a;
};

int fl_agents_add(struct fl_agents *agents, const char *name, const char *address,
		  const char *tls_cert, const char *tls_key, const char *tls_ca,
		  struct fl_diag *diag)
{
	struct fl_agent_client_config cfg = { .address = address,
					      .tls_cert = tls_cert,
					      .tls_key = tls_key,
					      .tls_ca = tls_ca,
					      .timeout_ms = 15000 };
	struct agent *a = realloc(agents->a, (agents->n + 1) * sizeof(*a));
	int r;

	if (!a)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	agents->a = a;
	a = &agents->a[agents->n];
	memset(a, 0, sizeof(*a));
	if (!(a->name = strdup(name)))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	if ((r = fl_agent_client_new(&cfg, &a->client, diag)) < 0) {
		free(a->name);
		return r;
	}
	return (int)agents->n++;
}

int fl_agents_new(const struct fl_experiment *exp, struct fl_agents **ret, struct fl_diag *diag)
{
	struct fl_agents *agents = calloc(1, sizeof(*agents));
	int r;

	if (!agents)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < exp->n_agents; i++) {
		const struct fl_agent_ref *ref = &exp->agents[i];

		if ((r = fl_agents_add(agents, ref->name, ref->address, ref->tls_cert, ref->tls_key,
				       ref->tls_ca, diag)) < 0) {
			fl_diag_prefix(diag, r, "spec.agents.%s", ref->name);
			fl_agents_free(agents);
			return r;
		}
	}
	*ret = agents;
	return 0;
}

struct fl_agents *fl_agents_free(struct fl_agents *agents)
{
	if (!agents)
		return NULL;
	for (unsigned i = 0; i < agents->n; i++) {
		fl_agent_client_free(agents->a[i].client);
		json_decref(agents->a[i].caps);
		free(agents->a[i].name);
	}
	free(agents->a);
	free(agents);
	return NULL;
}

unsigned fl_agents_count(const struct fl_agents *agents)
{
	return agents ? agents->n : 0;
}

const char *fl_agents_name(const struct fl_agents *agents, unsigned i)
{
	return agents->a[i].name;
}

struct fl_agent_client *fl_agents_client(struct fl_agents *agents, unsigned i)
{
	return agents->a[i].client;
}

int fl_agents_find(const struct fl_agents *agents, const char *name)
{
	for (unsigned i = 0; i < agents->n; i++)
		if (strcmp(agents->a[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

int fl_agents_call(struct fl_agents *agents, unsigned i, const char *method, const char *path,
		   const char *body, json_t **ret, struct fl_diag *diag)
{
	char *text = NULL;
	json_t *v;
	int status, r;

	r = fl_agent_request(agents->a[i].client, method, path, body, &status, &text, diag);
	if (r < 0)
		return fl_diag_prefix(diag, r, "agent %s", agents->a[i].name);
	v = json_loads(text, 0, NULL);
	free(text);
	if (status >= 400) {
		const char *err = json_string_value(json_object_get(v, "error"));
		fl_diag_set(diag, 0, "agent %s: %s %s: HTTP %d: %s", agents->a[i].name, method,
			    path, status, err ? err : "(no message)");
	}
	*ret = v;
	return status;
}

int fl_agents_pods(struct fl_agents *agents, unsigned i, json_t **ret, struct fl_diag *diag)
{
	json_t *v = NULL, *pods;
	int status = fl_agents_call(agents, i, "GET", "/v1/pods", NULL, &v, diag);

	if (status < 0)
		return status;
	pods = json_object_get(v, "pods");
	if (status != 200 || !json_is_array(pods)) {
		json_decref(v);
		if (status == 200)
			fl_diag_set(diag, 0, "agent %s: GET /v1/pods: no \"pods\" array",
				    agents->a[i].name);
		return -EPROTO;
	}
	*ret = json_incref(pods);
	json_decref(v);
	return 0;
}

int fl_agents_capabilities(struct fl_agents *agents, unsigned i, json_t **ret, struct fl_diag *diag)
{
	json_t *v = NULL;
	int status;

	if (!agents->a[i].caps) {
		status = fl_agents_call(agents, i, "GET", "/v1/capabilities", NULL, &v, diag);
		if (status < 0)
			return status;
		if (status != 200 || !json_is_object(v)) {
			json_decref(v);
			return -EPROTO;
		}
		agents->a[i].caps = v;
	}
	*ret = agents->a[i].caps;
	return 0;
}
