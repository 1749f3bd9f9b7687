/* SPDX-License-Identifier: MIT */
/*
 * Pods through the Kubernetes API (kube.h): listed by namespace, label selector and field
 * selector — the server does the selecting, with its own syntax and errors — a page of
 * 500 at a time, decoded into what targets need. An answer missing a field a pod must have
 * is refused naming it ("items[3].metadata.uid: missing"), never guessed.
 *
 * Ownership: struct fl_kube_pods owns its pods and their strings; fl_kube_pods_clear().
 */
#ifndef FL_KUBE_PODS_H
#define FL_KUBE_PODS_H

#include <stdbool.h>
#include <stddef.h>

#include "fl/diag.h"
#include "kube.h"

struct fl_kube_pod {
	char *namespace, *name, *uid;
	char *node;	   /* spec.nodeName; NULL: not scheduled */
	char *phase;	   /* status.phase; "Unknown" when the server gives none */
	char *pod_ip;	   /* status.podIP or NULL */
	char *host_ip;	   /* status.hostIP or NULL */
	bool ready;	   /* the Ready condition is True */
	bool terminating;  /* metadata.deletionTimestamp is set */
	unsigned restarts; /* status.containerStatuses[].restartCount, summed */
};

struct fl_kube_pods {
	struct fl_kube_pod *v;
	size_t n;
};

/*
 * The pods of namespace (NULL: every namespace) that match labels (a label selector such as
 * "app=loader,tier!=db" or "env in (a,b)"; NULL: all) and fields (a field selector such as
 * "status.phase=Running"; NULL: none), in the server's order. Returns 0 and *ret (cleared
 * first), or -errno with diag: fl_kube_call's errors (a selector the server refuses is its
 * 400 message), -EBADMSG for an answer that is not a PodList.
 */
int fl_kube_list_pods(struct fl_kube *k, const char *namespace, const char *labels,
		      const char *fields, struct fl_kube_pods *ret, struct fl_diag *diag) _wur_;

/* Free the pods; *pods is empty after. */
void fl_kube_pods_clear(struct fl_kube_pods *pods);
/* Free one pod's strings; *pod is zeroed after. */
void fl_kube_pod_clear(struct fl_kube_pod *pod);

/*
 * Decode one Pod object (a watch event's, kube_watch.h) as a list's items are decoded:
 * returns 0 and *ret (its strings new: fl_kube_pod_clear()), or -EBADMSG with diag naming
 * the field ("object.metadata.uid: missing").
 */
int fl_kube_decode_pod(const json_t *obj, struct fl_kube_pod *ret, struct fl_diag *diag) _wur_;

/* Decode a PodList's items into pods (appended). */
int fl_kube_decode_pods(const json_t *list, struct fl_kube_pods *pods, struct fl_diag *diag) _wur_;

#endif
