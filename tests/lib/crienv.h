/* SPDX-License-Identifier: MIT */
/*
 * Real pods for integration tests: a private containerd (tests/lib/containerd.sh) started
 * for the test and removed after it, and helpers that run a pod (sandbox on the CNI bridge
 * + one busybox container) through our own CRI client. Everything is registered with
 * fltest_defer, so a failing test leaves no container, shim, mount or cgroup behind.
 */
#ifndef FL_CRIENV_H
#define FL_CRIENV_H

#include <stdbool.h>
#include <stdint.h>

#include "cri.h"
#include "testnet.h"

struct crienv_pod {
	char namespace[64], name[64], uid[96];
	char sandbox_id[FL_CRI_ID_MAX], container_id[FL_CRI_ID_MAX];
	uint32_t attempt; /* of the container "main" (its restarts, as kubelet counts them) */
	int sandbox_pid, container_pid;
	char ip[64];
	/* The pod's network namespace as a testnet_ns (path /proc/<sandbox pid>/ns/net), for
	 * netprobe and testnet_socket: measurements "from inside the pod". */
	struct testnet_ns ns;
	bool host_network;
	void *cleanup; /* private: the deferred removal (heap), so pods may live on a stack */
};

/*
 * Start the private containerd under /tmp/fl-cri-<pid> (once per test process) and register
 * its stop. Skips the test without root or when containerd, runc or the CNI plugins are
 * not installed (a failure under CI=true).
 */
void crienv_start(void);
const char *crienv_socket(void);
/* A CRI client (closed by a deferred cleanup). */
struct fl_cri *crienv_cri(void);

/*
 * Run a pod (CNI bridge network, or the host's network) with one container "main" running
 * cmd (NULL: sleep forever); returns once both are running with their PIDs, IP and netns
 * filled in. Its removal is registered with fltest_defer.
 */
void crienv_run_pod(const char *namespace, const char *name, const char *const *cmd,
		    bool host_network, struct crienv_pod *ret);
/*
 * Restart the pod's container as kubelet does: stop it (SIGKILL) if it still runs, create
 * and start "main" again in the same sandbox with the next attempt, and leave the exited
 * one there (kubelet removes it later). container_id, container_pid, attempt follow.
 */
void crienv_restart_container(struct crienv_pod *pod);
/* One more container, name running sleep, with the given attempt; its id in ret_id. */
void crienv_add_container(struct crienv_pod *pod, const char *name, uint32_t attempt,
			  char ret_id[FL_CRI_ID_MAX]);
/* Stop and remove the pod now (also done by the deferred cleanup). */
void crienv_remove_pod(struct crienv_pod *pod);

#endif
