/* SPDX-License-Identifier: MIT */
/*
 * The controller's Kubernetes API client (docs/kubernetes.md): the connection of
 * kubeconfig.h over the controller's HTTPS/JSON client (agent_client.h, called
 * "kubernetes" in messages), answers parsed as JSON, and the API's errors (a Status
 * object) turned into a message that names the request, the status and the server's reason:
 *
 *   kubernetes https://10.0.0.1:6443: GET /api/v1/namespaces/x/pods: 403 Forbidden:
 *   pods is forbidden: User "system:serviceaccount:x:y" cannot list resource "pods" ...
 *
 * Debian 12's libcurl (GnuTLS) takes certificates only from files: PEM the connection holds
 * in memory (certificate-authority-data, client-*-data, an in-cluster CA) is written to a
 * private directory (0700, files 0600) that fl_kube_close() removes.
 *
 * One client serves one thread at a time (requests are serialised).
 */
#ifndef FL_KUBE_H
#define FL_KUBE_H

#include <jansson.h>
#include <stdbool.h>

#include "fl/diag.h"
#include "kubeconfig.h"

struct fl_kube;

/*
 * A client for conn (borrowed: what the client needs is copied). Nothing is connected yet.
 * Returns 0 and a new client (fl_kube_close()), or -errno with diag (a file that cannot be
 * written, out of memory).
 */
int fl_kube_open(const struct fl_kube_conn *conn, struct fl_kube **ret, struct fl_diag *diag) _wur_;
/* Close, remove the private files, free. NULL-safe; returns NULL. */
struct fl_kube *fl_kube_close(struct fl_kube *k);

/*
 * Retries (docs/kubernetes.md). A try is sent again when the server answers 429 Too Many
 * Requests (after its Retry-After, at most FL_KUBE_RETRY_AFTER_MAX_MS; none: the back-off)
 * or, for an idempotent request, 500/502/503/504 or a transport failure (connection refused
 * or reset, a timeout, a name not resolved) after fl_kube_backoff_ms(). GET, HEAD and DELETE
 * are idempotent; POST, PUT and PATCH only with FL_KUBE_IDEMPOTENT. Nothing else is retried
 * (4xx but 429, TLS, an answer that is not JSON). Each retry is logged (fl/log.h, warning):
 *   msg="kubernetes: 429 Too Many Requests, retrying in 2.0 s (attempt 2/6)" server=...
 * Within one deadline for all tries and waits: a wait that would pass it is not made.
 */
#define FL_KUBE_ATTEMPTS	   6	 /* tries in all, by default */
#define FL_KUBE_DEADLINE_MS	   30000 /* all tries and waits, by default */
#define FL_KUBE_RETRY_AFTER_MAX_MS 10000 /* the longest Retry-After obeyed */
#define FL_KUBE_BACKOFF_FIRST_MS   200
#define FL_KUBE_BACKOFF_MAX_MS	   5000

struct fl_kube_retry {
	int attempts;	  /* tries in all; 0: FL_KUBE_ATTEMPTS; 1: no retry */
	long deadline_ms; /* 0: FL_KUBE_DEADLINE_MS */
};

/* The client's retry policy from now on (NULL: the defaults). */
void fl_kube_set_retry(struct fl_kube *k, const struct fl_kube_retry *retry);

/*
 * The wait after failed try number attempt (1, 2, ...): FL_KUBE_BACKOFF_FIRST_MS doubling
 * per try up to FL_KUBE_BACKOFF_MAX_MS, with jitter: d/2 + rnd % (d/2 + 1), so tries of
 * many clients spread out. 1: 100-200 ms, 2: 200-400, 3: 400-800, ..., 6 on: 2.5-5 s.
 */
long fl_kube_backoff_ms(int attempt, unsigned rnd);

/*
 * Whether a failed try is sent again, and the wait before it (ms) in *ret_wait_ms:
 * status the HTTP status (0: no answer, err the transport's -errno), retry_after the
 * answer's Retry-After in seconds (-1: none).
 */
bool fl_kube_should_retry(const char *method, bool idempotent, int status, int err,
			  long retry_after, int attempt, unsigned rnd, long *ret_wait_ms);

/*
 * One request: method on path (with its query, escaped by the caller), body JSON text or
 * NULL, retried per the client's policy. *ret_status (when not NULL) gets the HTTP status
 * of the last answer (0: none).
 * A 2xx answer: returns 0 and *ret, the answer's JSON (new reference).
 * Any other answer: -errno with diag naming the server, the request line, the status and
 * the server's whole Status message (the RBAC verb and resource of a 403; for a 401 the
 * credentials refused and the kubeconfig context they came from) —
 *   401 -EACCES, 403 -EPERM, 404 -ENOENT, 409 -EEXIST, 410 -ESTALE (a watch's or list's
 *   resourceVersion is too old: list again), 422 -EINVAL, 429 -EAGAIN (still, after the
 *   retries), 5xx and others -EIO.
 * A 2xx answer that is not JSON (an HTML page of a proxy): -EBADMSG, the start of the body
 * in the message (another status's non-JSON body is quoted the same way). Transport
 * failures: agent_client.h's -errno values. After retries the message ends
 * "(gave up after N tries in S s)".
 */
int fl_kube_call(struct fl_kube *k, const char *method, const char *path, const char *body,
		 int *ret_status, json_t **ret, struct fl_diag *diag) _wur_;

/* fl_kube_call with flags: */
#define FL_KUBE_IDEMPOTENT (1u << 0) /* POST/PUT/PATCH safe to send again (5xx, transport) */
#define FL_KUBE_NO_RETRY   (1u << 1) /* one try, whatever the policy */
int fl_kube_request(struct fl_kube *k, const char *method, const char *path, const char *body,
		    unsigned flags, int *ret_status, json_t **ret, struct fl_diag *diag) _wur_;

/* The client's server ("https://host:port"), borrowed. */
const char *fl_kube_server(const struct fl_kube *k);

#endif
