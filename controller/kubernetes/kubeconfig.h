/* SPDX-License-Identifier: MIT */
/*
 * Where the Kubernetes API is and how to authenticate to it: a kubeconfig file, read as
 * kubectl reads one (one file, no merging), or the service account of the pod we run in.
 * Loading checks everything the client will need and reads every file the kubeconfig names
 * (bounded: 1 MiB each), so a connection built from the result fails only on the network.
 *
 * Supported: clusters with server (https://HOST[:PORT], no path), certificate-authority
 * (-data) and insecure-skip-tls-verify; users with token, tokenFile and client-certificate
 * / client-key (-data); contexts with cluster, user and namespace. Refused, naming the
 * field: exec and auth-provider plugins, username/password, impersonation, proxy-url,
 * tls-server-name — anything whose silent omission would change who we are or what we
 * trust.
 *
 * Ownership: a struct fl_kube_conn is returned new and owns every string in it; free it
 * with fl_kube_conn_free(). Paths and names passed in are borrowed for the call. Errors
 * fill diag; diag->file then points to storage valid until the next load on this thread.
 */
#ifndef FL_KUBECONFIG_H
#define FL_KUBECONFIG_H

#include <stdbool.h>

#include "fl/diag.h"
#include "fl/macro.h"

#define FL_KUBE_FILE_MAX      (1024 * 1024) /* the kubeconfig, and each file it names */
#define FL_KUBE_SA_DIR	      "/var/run/secrets/kubernetes.io/serviceaccount"
#define FL_KUBE_INCLUSTER_CTX "(in-cluster)"

struct fl_kube_conn {
	char *server;		  /* "https://host:port" (no trailing slash) */
	char *ca_pem;		  /* the CA bundle in PEM; NULL: the system's CAs */
	char *token;		  /* bearer token (trimmed); NULL: none */
	char *cert_pem, *key_pem; /* client certificate and key in PEM; NULL: none */
	bool insecure;		  /* skip TLS verification (only when the caller allowed it) */
	char *namespace;	  /* the context's namespace, "default" when it names none */
	char *context;		  /* the context used ("(in-cluster)" for in-cluster) */
	char *origin;		  /* for messages: the kubeconfig path or the service-account dir */
};

/*
 * Load the connection of one context of a kubeconfig. path NULL: $KUBECONFIG when set and
 * not empty (one file: a ':' list is refused, there is no merging), else
 * $HOME/.kube/config. context NULL: the file's current-context. allow_insecure lets
 * insecure-skip-tls-verify: true and an http:// server through. Relative file paths in the
 * kubeconfig are taken from its folder. Returns 0 and *ret (new), or -errno with diag:
 * file = the kubeconfig, line/col = the offending node (0 when none), msg naming the field
 * and value ("contexts[1].context.cluster: \"prod\" names no cluster (clusters: kind,
 * lab)"). -ENOENT: the kubeconfig does not exist.
 */
int fl_kubeconfig_load(const char *path, const char *context, bool allow_insecure,
		       struct fl_kube_conn **ret, struct fl_diag *diag) _wur_;

/*
 * The connection of a pod's service account: sa_dir (NULL: FL_KUBE_SA_DIR) holds token,
 * ca.crt (absent: the system's CAs) and namespace (absent: "default"); the server is
 * $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT (an IPv6 host bracketed). Returns 0 and
 * *ret (new), or -errno with diag naming what is missing or wrong.
 */
int fl_kube_incluster(const char *sa_dir, struct fl_kube_conn **ret, struct fl_diag *diag) _wur_;

/* NULL-safe; returns NULL. */
struct fl_kube_conn *fl_kube_conn_free(struct fl_kube_conn *c);

#endif
