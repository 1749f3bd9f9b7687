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
 * One request: method on path (with its query, escaped by the caller), body JSON text or
 * NULL. *ret_status (when not NULL) gets the HTTP status of any answer.
 * A 2xx answer: returns 0 and *ret, the answer's JSON (new reference).
 * Any other answer: -errno with diag quoting the Status message —
 *   401 -EACCES, 403 -EPERM, 404 -ENOENT, 409 -EEXIST, 410 -ESTALE (a watch's or list's
 *   resourceVersion is too old: list again), 422 -EINVAL, 429 -EAGAIN, other -EIO.
 * An answer that is not JSON (an HTML page of a proxy): -EBADMSG, the start of the body
 * in the message. Transport failures: agent_client.h's -errno values.
 */
int fl_kube_call(struct fl_kube *k, const char *method, const char *path, const char *body,
		 int *ret_status, json_t **ret, struct fl_diag *diag) _wur_;

/* The client's server ("https://host:port"), borrowed. */
const char *fl_kube_server(const struct fl_kube *k);

#endif
