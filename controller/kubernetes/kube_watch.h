/* SPDX-License-Identifier: MIT */
/*
 * Watching the Kubernetes API (docs/kubernetes.md): a collection's changes as the server
 * streams them (GET ...?watch=1&resourceVersion=RV&allowWatchBookmarks=true, one JSON event
 * a line), and, on top, waiting for a condition over a set of pods — list, watch from the
 * list's resourceVersion, list again when it is too old (410), watch again when the server
 * ends a watch — until the condition holds or the deadline passes.
 *
 * Ownership: an event's object is borrowed for the callback; struct fl_kube_wait is the
 * caller's (its strings borrowed for the call); pods handed to a callback are borrowed.
 */
#ifndef FL_KUBE_WATCH_H
#define FL_KUBE_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "kube.h"
#include "kube_pods.h"

#define FL_KUBE_EVENT_MAX (4u << 20) /* one event's line: bigger is refused */
#define FL_KUBE_RV_MAX	  64	     /* a resourceVersion's room, NUL included */

enum fl_kube_event_type {
	FL_KUBE_ADDED,
	FL_KUBE_MODIFIED,
	FL_KUBE_DELETED,
	FL_KUBE_BOOKMARK,
	FL_KUBE_ERROR,
};

struct fl_kube_event {
	enum fl_kube_event_type type;
	json_t *object; /* the object (ERROR: a Status); a new reference from the decoder */
	char rv[FL_KUBE_RV_MAX]; /* object.metadata.resourceVersion; "" for an ERROR */
	int code;		 /* ERROR: the Status' code (410: too old), else 0 */
};

/*
 * One line of a watch stream (len bytes, no newline) into *ret (its object a new reference:
 * json_decref). Returns 0, or -EBADMSG with diag naming what is wrong ("not JSON", "type
 * \"X\" is not ADDED, MODIFIED, DELETED, BOOKMARK or ERROR", "object: missing",
 * "object.metadata.resourceVersion: not a string"); -EMSGSIZE for a line over
 * FL_KUBE_EVENT_MAX.
 */
int fl_kube_watch_decode(const char *line, size_t len, struct fl_kube_event *ret,
			 struct fl_diag *diag) _wur_;

/*
 * Called per event (borrowed). Returns 0 to go on, > 0 to stop the watch (fl_kube_watch
 * returns it), < 0 to stop with that error (diag filled).
 */
typedef int (*fl_kube_watch_fn)(void *opaque, const struct fl_kube_event *ev, struct fl_diag *diag);

/*
 * Watch collection (a path such as "/api/v1/namespaces/x/pods?labelSelector=app%3Dy", its
 * query escaped) from resource version rv (in and out: a BOOKMARK or an event moves it on,
 * so the caller can watch again from there), for at most timeout_s seconds (the server's
 * timeoutSeconds; the transfer is cut 15 s later). One request, not retried (a watch that
 * broke is watched again from rv by its caller, fl_kube_wait_pods does). Returns:
 *   > 0      fn's value (it said stop)
 *   0        the server ended the watch (its timeout): watch again from rv
 *   -ESTALE  rv is too old (a 410, as the answer's status or as an ERROR event): list again
 *   -EBADMSG a line that is not an event (diag quotes it), -EMSGSIZE a line too long,
 *   -EIO     another ERROR event (its Status message in diag), and fl_kube_call's errors.
 */
int fl_kube_watch(struct fl_kube *k, const char *collection, char rv[FL_KUBE_RV_MAX], int timeout_s,
		  fl_kube_watch_fn fn, void *opaque, struct fl_diag *diag) _wur_;

/* What fl_kube_wait_pods waits for, and what it saw. */
struct fl_kube_wait {
	const char *namespace, *labels, *fields; /* the pods (fl_kube_list_pods' meaning) */
	/* true when waiting is over; pods borrowed (in the server's order, then arrivals) */
	bool (*done)(const struct fl_kube_pods *pods, void *opaque);
	void *opaque;
	long timeout_ms; /* 0: 60000 */
	int watch_s;	 /* one watch's timeoutSeconds; 0: 50 */
	/* out: counts, for messages and tests */
	unsigned lists, watches, events, bookmarks, stale;
};

/*
 * Wait until w->done holds over the pods w selects: 0 when it does (ret, when not NULL, gets
 * those pods: fl_kube_pods_clear), -ETIMEDOUT when the deadline passes first (diag says how
 * many pods there were and how many Ready), or -errno with diag for an error that waiting
 * longer cannot mend (403, a selector refused, a pod the decoder refuses). 429, 5xx and
 * transport failures are waited out with fl_kube_backoff_ms() until the deadline.
 */
int fl_kube_wait_pods(struct fl_kube *k, struct fl_kube_wait *w, struct fl_kube_pods *ret,
		      struct fl_diag *diag) _wur_;

/* Conditions for fl_kube_wait.done: no pod has uid opaque (a string); at least
 * *(size_t *)opaque pods are Ready and not terminating. */
bool fl_kube_pods_uid_gone(const struct fl_kube_pods *pods, void *uid);
bool fl_kube_pods_ready_at_least(const struct fl_kube_pods *pods, void *min);

#endif
