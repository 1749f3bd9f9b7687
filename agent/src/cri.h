/* SPDX-License-Identifier: MIT */
/*
 * A client of the Kubernetes Container Runtime Interface (runtime.v1.RuntimeService) over
 * its unix socket: gRPC = HTTP/2 (libcurl, prior knowledge) + 5-byte framing + protobuf
 * (pb.c, messages hand-encoded from the published field numbers of api.proto). The
 * grpc-status trailer decides success; a gRPC error becomes -errno plus the grpc-message.
 *
 * The agent uses the read side (resolve a pod to its sandbox network namespace and PIDs)
 * and StopContainer; tests and the lab also use the lifecycle calls.
 *
 * Thread safety: a struct fl_cri may be used by one thread at a time; open one per thread.
 */
#ifndef FL_CRI_H
#define FL_CRI_H

#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"

#define FL_CRI_ID_MAX	  72 /* 64 hex digits + slack */
#define FL_CRI_NAME_MAX	  254
#define FL_CRI_MAX_LABELS 16

struct fl_cri;

/* Connect lazily: only checks the path. Calls time out after timeout_ms (0: 5000). */
int fl_cri_open(const char *socket_path, unsigned timeout_ms, struct fl_cri **ret,
		struct fl_diag *diag);
struct fl_cri *fl_cri_close(struct fl_cri *cri);

struct fl_cri_version {
	char runtime_name[64];	      /* "containerd" */
	char runtime_version[64];     /* "1.6.20~ds1" */
	char runtime_api_version[16]; /* "v1" */
};
int fl_cri_version(struct fl_cri *cri, struct fl_cri_version *ret, struct fl_diag *diag);

struct fl_cri_label {
	char key[64];
	char value[128];
};

enum fl_cri_sandbox_state { FL_CRI_SANDBOX_READY = 0, FL_CRI_SANDBOX_NOTREADY = 1 };

struct fl_cri_sandbox {
	char id[FL_CRI_ID_MAX];
	char name[FL_CRI_NAME_MAX];
	char namespace[64];
	char uid[128];
	enum fl_cri_sandbox_state state;
	unsigned n_labels;
	struct fl_cri_label labels[FL_CRI_MAX_LABELS];
};

/* All sandboxes (ListPodSandbox). *ret is malloc'd (free()), *ret_n entries. */
int fl_cri_list_sandboxes(struct fl_cri *cri, struct fl_cri_sandbox **ret, unsigned *ret_n,
			  struct fl_diag *diag);

struct fl_cri_sandbox_status {
	struct fl_cri_sandbox sb;
	char ip[64];	      /* pod IP, "" if none */
	bool host_network;    /* namespace_options.network == NODE */
	int pid;	      /* the sandbox (pause) process, from verbose info; 0 if unknown */
	char netns_path[256]; /* from verbose info runtimeSpec; "" for host network */
};
/* PodSandboxStatus with verbose=true. */
int fl_cri_sandbox_status(struct fl_cri *cri, const char *sandbox_id,
			  struct fl_cri_sandbox_status *ret, struct fl_diag *diag);

enum fl_cri_container_state {
	FL_CRI_CONTAINER_CREATED = 0,
	FL_CRI_CONTAINER_RUNNING = 1,
	FL_CRI_CONTAINER_EXITED = 2,
	FL_CRI_CONTAINER_UNKNOWN = 3,
};

struct fl_cri_container {
	char id[FL_CRI_ID_MAX];
	char sandbox_id[FL_CRI_ID_MAX];
	char name[FL_CRI_NAME_MAX];
	uint32_t attempt;      /* ContainerMetadata.attempt: kubelet's restart number */
	int64_t created_at_ns; /* unix ns; 0 when the runtime does not say */
	enum fl_cri_container_state state;
};
/* All containers, or those of one sandbox (sandbox_id != NULL). malloc'd like above. */
int fl_cri_list_containers(struct fl_cri *cri, const char *sandbox_id,
			   struct fl_cri_container **ret, unsigned *ret_n, struct fl_diag *diag);

struct fl_cri_container_status {
	struct fl_cri_container c;
	int pid; /* from verbose info; 0 when not running */
	int32_t exit_code;
	char reason[64];
	int64_t finished_at_ns;
};
int fl_cri_container_status(struct fl_cri *cri, const char *container_id,
			    struct fl_cri_container_status *ret, struct fl_diag *diag);

/* StopContainer with a grace period in seconds (0: SIGKILL at once). */
int fl_cri_stop_container(struct fl_cri *cri, const char *container_id, int64_t timeout_s,
			  struct fl_diag *diag);

/* ---- lifecycle (tests, the lab) ---- */

struct fl_cri_pod_config {
	const char *name, *namespace, *uid;
	const char *log_directory; /* absolute; may be NULL */
	bool host_network;
	const struct fl_cri_label *labels;
	unsigned n_labels;
};
int fl_cri_run_sandbox(struct fl_cri *cri, const struct fl_cri_pod_config *pod, char *ret_id,
		       struct fl_diag *diag);

struct fl_cri_container_config {
	const char *name;
	const char *image;	    /* a locally imported image reference */
	const char *const *command; /* NULL-terminated; may be NULL (image default) */
	const char *const *args;    /* NULL-terminated; may be NULL */
	const char *log_path;	    /* relative to the pod's log_directory; may be NULL */
	const char *const *mounts;  /* NULL-terminated "host_path:container_path[:ro]" */
	/* ContainerMetadata.attempt: 0 for the first container of this name in the sandbox,
	 * n for its n-th restart (as kubelet does; GET /v1/pods reports it as restartCount).
	 * containerd refuses a second container of the same name and attempt in a sandbox. */
	uint32_t attempt;
};
int fl_cri_create_container(struct fl_cri *cri, const char *sandbox_id,
			    const struct fl_cri_pod_config *pod,
			    const struct fl_cri_container_config *cfg, char *ret_id,
			    struct fl_diag *diag);
int fl_cri_start_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag);
int fl_cri_remove_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag);
int fl_cri_stop_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag);
int fl_cri_remove_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag);

#endif
