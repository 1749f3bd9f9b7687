/* SPDX-License-Identifier: MIT */
/*
 * Targets resolved the one way `plan` and `run` share: a pod, netns or pid selector through
 * the agents (agentapi/targets.h); a `pods` selector through the Kubernetes API
 * (kubernetes/kube_run.h) — its kafkaLeader mapped to the leading broker's pod (asked of
 * Kafka now), and, with spec.agents.kubernetes, each pod given the agent of its node.
 */
#ifndef FL_RESOLVE_H
#define FL_RESOLVE_H

#include <stdbool.h>
#include <stdint.h>

#include "agents.h"
#include "experiment.h"
#include "kube_run.h"
#include "targets.h"

/*
 * Resolve sel of exp into *ret with seed. kube may be NULL when exp needs no Kubernetes.
 * for_delete: a pod-delete's resolution when it runs (its listing remembered; no agents
 * attached — agents are added only before a run's threads start). Returns 0, or -errno
 * with diag.
 */
int fl_resolve_target(struct fl_agents *agents, struct fl_kube_run *kube,
		      const struct fl_experiment *exp, const struct fl_target_sel *sel,
		      uint64_t seed, bool for_delete, struct fl_target_set *ret,
		      struct fl_diag *diag) _wur_;

#endif
