/* SPDX-License-Identifier: MIT */
/*
 * A run's side of Kubernetes (docs/kubernetes.md): one API client shared by the run's
 * threads (the method's faults, the observer's and abort watcher's probes — calls are
 * serialised here), the `pods` targets resolved through it, pod-delete faults, and what
 * those faults did, kept so that kubernetes.podsReady can say whether the deleted pods are
 * gone and replaced (effect checks):
 *   deleted  the pods a pod-delete deleted (namespace, name, uid)
 *   seen     every pod uid the pod-deletes' listings returned when they chose: a Ready
 *            pod the probe finds whose uid was never seen is a replacement
 *
 * Ownership: fl_kube_run_open() returns a new object the engine frees with
 * fl_kube_run_close(); everything handed out is new unless said otherwise.
 */
#ifndef FL_KUBE_RUN_H
#define FL_KUBE_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "fl/diag.h"
#include "kube_pods.h"
#include "agents.h"
#include "targets.h"

struct fl_kube_run;

/* Where the API is: --kubeconfig / --context of the verb (NULL: $KUBECONFIG, else the
 * service account when running in a pod, else ~/.kube/config). */
struct fl_kube_run_opts {
	const char *kubeconfig;
	const char *context;
	bool allow_insecure; /* --kube-insecure: insecure-skip-tls-verify and http:// allowed */
};

/* Whether an experiment needs Kubernetes (a `pods` target or a kubernetes.* probe). */
bool fl_kube_run_needed(const struct fl_experiment *exp);

/*
 * Load the connection (kubeconfig.h) and make a client; nothing is sent yet. Returns 0 and
 * *ret, or -errno with diag; its message starts with the kubeconfig and, when known, the
 * line and column ("/root/.kube/config:7:5: users[0].user.token: ...").
 */
int fl_kube_run_open(const struct fl_kube_run_opts *opts, struct fl_kube_run **ret,
		     struct fl_diag *diag) _wur_;
/* NULL-safe; returns NULL. */
struct fl_kube_run *fl_kube_run_close(struct fl_kube_run *kr);
/* "https://10.0.0.1:6443 (context lab of /root/.kube/config)", for plans and journals. */
const char *fl_kube_run_describe(const struct fl_kube_run *kr);

/*
 * The pods of sel (kind FL_SELECT_KUBE) now: listed by the server with sel's namespace,
 * label and field selectors, then kept when their name matches sel's name glob. Returns 0
 * and *ret (cleared first), or -errno with diag.
 */
int fl_kube_run_list(struct fl_kube_run *kr, const struct fl_target_sel *sel,
		     struct fl_kube_pods *ret, struct fl_diag *diag) _wur_;

/*
 * Resolve sel to targets: the listed pods that are Running and not being deleted, chosen
 * by sel's mode with seed as agents' targets are (targets.h), each target
 * {"kubernetes": {"namespace", "name", "uid", "node", "hostIP"}} with agent
 * FL_TARGET_NO_AGENT. for_delete: the uids of every listed pod are remembered as seen.
 * No match: -ENOENT, the message naming the namespace and selectors ("targets.loaders: no
 * running pod matches namespace=streamforge selector app=loader (3 pods listed, 0 running)").
 */
int fl_kube_run_resolve(struct fl_kube_run *kr, const struct fl_target_sel *sel, uint64_t seed,
			bool for_delete, struct fl_target_set *ret, struct fl_diag *diag) _wur_;

/* A Kafka broker to find among the pods (kafkaLeader): its id and advertised host. */
struct fl_kube_broker {
	int id;
	const char *host;
	const char *what; /* "workflow/0", for messages */
};

/*
 * The same for a kafkaLeader target: of the running pods, the one of broker b — the pod
 * whose IP is b's host, else whose name is the host's first DNS label (Strimzi's
 * "<cluster>-kafka-<id>.<cluster>-kafka-brokers..."), else the one whose name ends in
 * "-<id>" (a StatefulSet's ordinal). None, or several by the last rule: -ENOENT naming
 * the broker and the pods.
 */
int fl_kube_run_resolve_broker(struct fl_kube_run *kr, const struct fl_target_sel *sel,
			       const struct fl_kube_broker *b, bool for_delete,
			       struct fl_target_set *ret, struct fl_diag *diag) _wur_;

/*
 * Delete the pod of t (a target of fl_kube_run_resolve): DELETE with
 * preconditions.uid = its uid (a pod of the same name made since is never hit) and
 * gracePeriodSeconds (< 0: the pod's own). Remembered as deleted once the server took it.
 * Returns 0, or -errno with diag: -ENOENT the pod is gone already, -EEXIST its uid changed
 * (409), the API's other errors.
 */
int fl_kube_run_delete_pod(struct fl_kube_run *kr, const struct fl_target *t, int grace_s,
			   struct fl_diag *diag) _wur_;

/*
 * Agents found per node: each target of set (resolved by fl_kube_run_resolve) gets the
 * agent on its pod's node — the Ready pod of ka's namespace and selector whose
 * spec.nodeName is the target's — added to agents as "node/NODE" at
 * https://HOST_IP:PORT (once per node), and an agent target {"pod": "ns/name"} (+ sel's
 * container). A target on a node without a Ready agent: -ENOENT naming the node.
 */
int fl_kube_run_attach_agents(struct fl_kube_run *kr, const struct fl_kube_agents *ka,
			      struct fl_agents *agents, struct fl_target_set *set,
			      struct fl_diag *diag) _wur_;

/*
 * For kubernetes.podsReady, in namespace ns: *n_deleted the pods deleted there, *n_gone how
 * many of those the API no longer has (404, or the name now has another uid — asked now),
 * and whether uid was seen by a pod-delete's listing. -errno with diag when the API fails.
 */
int fl_kube_run_deleted_gone(struct fl_kube_run *kr, const char *ns, unsigned *n_deleted,
			     unsigned *n_gone, struct fl_diag *diag) _wur_;
bool fl_kube_run_seen(struct fl_kube_run *kr, const char *ns, const char *uid);

#endif
