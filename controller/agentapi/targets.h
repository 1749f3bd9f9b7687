/* SPDX-License-Identifier: MIT */
/*
 * Resolving an experiment's target selectors to concrete targets on agents: pods through
 * each agent's CRI view (GET /v1/pods: namespace, name glob, labels), network namespaces
 * and PIDs as given. The mode (one / all / fixed:N / percent:P) picks among the matches
 * with a PRNG seeded by the run's seed and the selector's name, over the matches in a
 * stable order (agent, namespace, name): the same seed and the same pods give the same
 * choice, so a journaled run can be replayed.
 */
#ifndef FL_TARGETS_H
#define FL_TARGETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "agents.h"
#include "experiment.h"

/* A target acted on through the Kubernetes API (pod-delete), not through an agent. */
#define FL_TARGET_NO_AGENT UINT32_MAX

struct fl_target {
	unsigned agent;	    /* index into the agents set, or FL_TARGET_NO_AGENT */
	json_t *target;	    /* owned: the agent API's "target" object ({"pod": "ns/name"} ...) */
	char label[192];    /* for people: "streamforge/loader-0", "/run/netns/x", "pid 123" */
	char ip[64];	    /* the pod's IP when known, else "" */
	char interface[16]; /* the selector's `interface` (network faults), else "" */
};

struct fl_target_set {
	const struct fl_target_sel *sel; /* borrowed */
	unsigned n_matches;		 /* how many matched before the mode picked */
	unsigned n;
	struct fl_target *t;
};

/*
 * Resolve sel. Returns 0 and fills *ret (free with fl_target_set_clear), or -errno with
 * diag: "targets.loaders: no pod matches namespace=streamforge name=loader-* on agent
 * node-a (3 pods listed)", "targets.x: fixed:3 needs 3 targets, 2 match", agent errors.
 */
int fl_targets_resolve(struct fl_agents *agents, const struct fl_target_sel *sel, uint64_t seed,
		       struct fl_target_set *ret, struct fl_diag *diag) _wur_;
void fl_target_set_clear(struct fl_target_set *set);

/* The journal's view of a set: {"selector", "mode", "matched", "resolved": [...]} (new). */
json_t *fl_target_set_json(const struct fl_target_set *set, const struct fl_agents *agents);

/* Whether a pod of an agent's listing (GET /v1/pods) matches sel: namespace, name glob and
 * labels, whatever the pod's state (the pod probe counts pods that are not ready too). */
bool fl_targets_pod_matches(const struct fl_target_sel *sel, const json_t *pod);

/* For other resolvers (kubernetes/kube_targets.c): append a match (target owned by the
 * set, even on failure: -ENOMEM), and keep k of the set's n matches, chosen with seed and
 * the selector's name as fl_targets_resolve does, in stable (agent, label) order. */
int fl_target_set_add(struct fl_target_set *set, unsigned agent, json_t *target, const char *label,
		      const char *ip) _wur_;
void fl_target_set_pick(struct fl_target_set *set, unsigned k, uint64_t seed, const char *name);

/* "one", "all", "fixed:3", "percent:50" (buf holds the last two). */
const char *fl_target_mode_text(const struct fl_target_sel *sel, char *buf, size_t size);

/* How many of n matches a mode picks (pure; exposed for tests). */
unsigned fl_targets_pick_count(const struct fl_target_sel *sel, unsigned n);

#endif
