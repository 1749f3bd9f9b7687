/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/pods: the pods this node's runtime runs, as the controller needs them to resolve
 * experiment targets (namespace, name, labels) — the agents' CRI view (DESIGN.md).
 */
#ifndef FL_PODS_H
#define FL_PODS_H

#include <jansson.h>

#include "config.h"
#include "fl/diag.h"

/* At most this many pods are listed (bounded response). */
#define FL_PODS_MAX 1024

/*
 * {"pods": [{"namespace", "name", "uid", "id", "state": "ready"|"notready", "ip",
 *            "labels": {...}}], "truncated": false}
 * Ready sandboxes only carry an IP (PodSandboxStatus). Returns 0 and a new object, or
 * -ENOTSUP when the agent has no CRI socket, or the CRI's -errno with diag.
 */
int fl_pods_list(const struct fl_agent_config *cfg, json_t **ret, struct fl_diag *diag);

#endif
