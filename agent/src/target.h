/* SPDX-License-Identifier: MIT */
/*
 * Resolving what a fault targets: a pod (through the CRI: its sandbox's network namespace
 * and PIDs, so network faults are anchored on the sandbox and survive an application
 * container restart), a network namespace path, or a PID. Also where the allow-list is
 * enforced: denied Kubernetes namespaces, host-network pods, the node's own namespace.
 */
#ifndef FL_TARGET_H
#define FL_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "cri.h"
#include "faultreq.h"

#define FL_TARGET_MAX_CONTAINERS 16

struct fl_resolved {
	char netns_path[FL_NETNS_PATH_MAX]; /* openable from the agent's mount namespace */
	uint64_t netns_dev, netns_ino;
	int pid; /* sandbox (pause) PID, or the target PID */
	char sandbox_id[72];
	char pod[FL_POD_NS_MAX + FL_POD_NAME_MAX];
	bool host_network;
	unsigned n_containers; /* container-kill: the containers to stop */
	struct {
		char id[72];
		char name[FL_CONTAINER_NAME_MAX];
		int pid;
	} containers[FL_TARGET_MAX_CONTAINERS];
	char describe[512]; /* for messages and the API: "pod default/loader (sandbox ab12...)" */
};

/*
 * Resolve t for a fault of kind. -ENOENT (not found, e.g. no ready sandbox, dead PID),
 * -EPERM (the allow-list says no; diag says which rule), -EINVAL (not a network namespace),
 * -ECONNREFUSED etc. (the CRI is unreachable) — always with diag.
 */
int fl_target_resolve(const struct fl_agent_config *cfg, const struct fl_target *t,
		      enum fl_fault_kind kind, struct fl_resolved *ret, struct fl_diag *diag);

/*
 * The network namespace of the pod sandbox whose CRI status is st, as a path this process can
 * open: the sandbox (pause) process's /proc/PID/ns/net first (the CRI's own path may live in
 * the runtime's mount namespace), else the CRI's path. Host-network sandboxes are the
 * caller's to refuse. Returns 0 with the path (size bytes at most) and the namespace's
 * device and inode, or -ENOENT with diag ("cannot open its network namespace (pid ...)").
 */
int fl_target_sandbox_netns(const struct fl_cri_sandbox_status *st, char *ret_path, size_t size,
			    uint64_t *ret_dev, uint64_t *ret_ino, struct fl_diag *diag);

/* Device and inode of a network namespace file; -EINVAL if it is not one. */
int fl_netns_identify(const char *path, uint64_t *ret_dev, uint64_t *ret_ino);

#endif
