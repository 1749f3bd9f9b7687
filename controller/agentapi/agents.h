/* SPDX-License-Identifier: MIT */
/*
 * The agents an experiment talks to, by name (spec.agents), and the few agent API calls
 * the runner and the planner make through them: pods, capabilities, faults of a run.
 * Calls are serialised per agent by its client (agent_client.h).
 */
#ifndef FL_AGENTS_H
#define FL_AGENTS_H

#include <jansson.h>

#include "agent_client.h"
#include "experiment.h"

struct fl_agents;

/* One client per spec.agents entry (nothing connected yet). Returns 0 or -errno + diag. */
int fl_agents_new(const struct fl_experiment *exp, struct fl_agents **ret,
		  struct fl_diag *diag) _wur_;
struct fl_agents *fl_agents_free(struct fl_agents *agents);
unsigned fl_agents_count(const struct fl_agents *agents);
/* Add an agent (one found per node through Kubernetes: "node/NAME" at https://HOST_IP:PORT);
 * strings copied. Returns its index, or -errno with diag. Not while other threads use the
 * set: the runner adds agents while it resolves targets, before its threads start. */
int fl_agents_add(struct fl_agents *agents, const char *name, const char *address,
		  const char *tls_cert, const char *tls_key, const char *tls_ca,
		  struct fl_diag *diag) _wur_;
/* The i-th agent's name / client (borrowed). */
const char *fl_agents_name(const struct fl_agents *agents, unsigned i);
struct fl_agent_client *fl_agents_client(struct fl_agents *agents, unsigned i);
/* Index of the agent called name, or -ENOENT. */
int fl_agents_find(const struct fl_agents *agents, const char *name);

/*
 * A JSON call: method + path (+ body, borrowed) on agent i. Returns the HTTP status (any)
 * with the parsed body in *ret (new; NULL when not JSON), or -errno on a transport error.
 * diag names the agent; for a status >= 400 diag carries the agent's "error" text.
 */
int fl_agents_call(struct fl_agents *agents, unsigned i, const char *method, const char *path,
		   const char *body, json_t **ret, struct fl_diag *diag) _wur_;

/* GET /v1/pods of agent i: the "pods" array (new reference). */
int fl_agents_pods(struct fl_agents *agents, unsigned i, json_t **ret, struct fl_diag *diag) _wur_;
/* GET /v1/capabilities of agent i, cached for the agents' life (borrowed). */
int fl_agents_capabilities(struct fl_agents *agents, unsigned i, json_t **ret,
			   struct fl_diag *diag) _wur_;

#endif
