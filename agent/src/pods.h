/* SPDX-License-Identifier: MIT */
/*
 * GET /v1/pods: the pods this node's runtime runs, as the controller needs them to resolve
 * experiment targets (namespace, name, labels) and to see that a container-kill or a pod
 * restart really happened (restart counts) — the agents' CRI view (docs/design.md).
 */
#ifndef FL_PODS_H
#define FL_PODS_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "cri.h"
#include "fl/diag.h"
#include "fl/macro.h"

/* At most this many pods are listed (bounded response). */
#define FL_PODS_MAX 1024
/* At most this many containers (names) per pod; 1024 pods of 16 stay under the controller's
 * 4 MiB reply limit with the usual names (kubelet runs 110 pods a node by default). */
#define FL_PODS_CONTAINERS_MAX 16

/*
 * {"pods": [{"namespace", "name", "uid", "id", "state": "ready"|"notready", "ip",
 *            "labels": {...},
 *            "containers": [{"name", "id", "state": "created"|"running"|"exited"|"unknown",
 *                            "restartCount": N, "createdAtMs": unix ms}],
 *            "restarts": N, "containersTruncated": true,
 *            "tcp": {"retransSegs": N, "outSegs": N, "inSegs": N} | "tcpError": "..."}],
 *  "truncated": false, "containersError": "..."}
 * Ready sandboxes only carry an IP (PodSandboxStatus). One entry per container name: the
 * newest container of that name in the sandbox (CRI created_at), whose restartCount is its
 * ContainerMetadata.attempt — kubelet's meaning: it creates the n-th restart with attempt n.
 * "restarts" is the sum over the pod's entries. createdAtMs is absent when the runtime does
 * not give it; containersTruncated (only when true) says the pod has more than
 * FL_PODS_CONTAINERS_MAX names and restarts sums the listed ones. One ListContainers call
 * serves every pod; when it fails, the pods are listed without "containers" and "restarts"
 * (unknown, not 0) and "containersError" says why.
 * With tcp (GET /v1/pods?tcp=1), every ready pod also has "tcp": the "Tcp:" counters of its
 * sandbox's network namespace, read by a short-lived thread that enters it (one per ready
 * pod, so only when asked) — or "tcpError" when they cannot be read (its namespace cannot be
 * opened or entered, the pod uses the host network: those would be the node's counters, its
 * PodSandboxStatus failed); the listing answers in any case. A pod that is not ready has
 * neither: its namespace is gone with its sandbox.
 * Returns 0 and a new object, or -ENOTSUP when the agent has no CRI socket, or the CRI's
 * -errno with diag.
 */
int fl_pods_list(const struct fl_agent_config *cfg, bool tcp, json_t **ret, struct fl_diag *diag);

#ifdef FL_TEST_BUILD
/* Sort containers as fl_pods_add_containers needs them (by sandbox, name, newest first). */
void fl_pods_sort_containers(struct fl_cri_container *cs, unsigned n);
/* Set "containers" and "restarts" (and "containersTruncated") on pod for sandbox_id from
 * cs, sorted by fl_pods_sort_containers (borrowed). 0, or -ENOMEM. */
int fl_pods_add_containers(json_t *pod, const struct fl_cri_container *cs, unsigned n,
			   const char *sandbox_id);
/* The response for sbs and the sorted cs, or for a failed ListContainers (containers_error
 * != NULL: its message). cri serves the IPs (and with tcp the counters) of ready sandboxes
 * only. New, NULL: no memory. */
json_t *fl_pods_json(struct fl_cri *cri, const struct fl_cri_sandbox *sbs, unsigned n,
		     const struct fl_cri_container *cs, unsigned n_cs, const char *containers_error,
		     bool tcp);
#endif

#endif
