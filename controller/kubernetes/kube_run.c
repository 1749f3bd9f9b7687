/* SPDX-License-Identifier: MIT */
/*
 * A run's Kubernetes client and records (kube_run.h): the connection chosen as kubectl
 * chooses it, one lock around every API call (the client serves one thread at a time),
 * and the pods the run's pod-deletes saw and deleted.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_run_internal.h"

bool fl_kube_run_needed(const struct fl_experiment *exp)
{
	for (unsigned i = 0; i < exp->n_targets; i++)
		if (exp->targets[i].kind == FL_SELECT_KUBE)
			return true;
	for (unsigned i = 0; i < exp->n_steady; i++)
		if (exp->steady[i].kube)
			return true;
	for (unsigned i = 0; i < exp->n_abort; i++)
		if (exp->abort_probes[i].kube)
			return true;
	for (unsigned i = 0; i < exp->n_method; i++)
		if (exp->method[i].probe.kube)
			return true;
	return false;
}

/* kubectl's order: an explicit kubeconfig; else $KUBECONFIG; else the pod's service
 * account when we run in one; else ~/.kube/config. */
static int load_conn(const struct fl_kube_run_opts *opts, struct fl_kube_conn **conn,
		     struct fl_diag *diag)
{
	const char *env = getenv("KUBECONFIG");

	if (!opts->kubeconfig && (!env || !env[0]) && getenv("KUBERNETES_SERVICE_HOST")) {
		if (opts->context)
			return fl_diag_set(diag, -EINVAL,
					   "--context %s: running in a pod without a kubeconfig, "
					   "there are no contexts (the service account is used)",
					   opts->context);
		return fl_kube_incluster(NULL, conn, diag);
	}
	return fl_kubeconfig_load(opts->kubeconfig, opts->context, opts->allow_insecure, conn,
				  diag);
}

/* The kubeconfig's position into the message ("FILE:LINE:COL: field: ..."), once. */
static int where(struct fl_diag *diag, int r)
{
	char file[256];

	if (!diag || !diag->file || strncmp(diag->msg, diag->file, strlen(diag->file)) == 0)
		return r;
	(void)snprintf(file, sizeof(file), "%s", diag->file);
	if (diag->line > 0)
		return fl_diag_prefix(diag, r, "%s:%d:%d", file, diag->line, diag->col);
	return fl_diag_prefix(diag, r, "%s", file);
}

int fl_kube_run_open(const struct fl_kube_run_opts *opts, struct fl_kube_run **ret,
		     struct fl_diag *diag)
{
	struct fl_kube_conn *conn = NULL;
	struct fl_kube_run *kr;
	int r;

	if ((r = load_conn(opts, &conn, diag)) < 0)
		return where(diag, r);
	if (!(kr = calloc(1, sizeof(*kr)))) {
		fl_kube_conn_free(conn);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	pthread_mutex_init(&kr->lock, NULL);
	(void)snprintf(kr->describe, sizeof(kr->describe), "%s (context %s of %s)", conn->server,
		       conn->context, conn->origin);
	r = fl_kube_open(conn, &kr->kube, diag);
	fl_kube_conn_free(conn);
	if (r < 0) {
		fl_kube_run_close(kr);
		return r;
	}
	*ret = kr;
	return 0;
}

static void records_clear(struct kube_pod_ref *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].ns);
		free(v[i].name);
		free(v[i].uid);
	}
	free(v);
}

struct fl_kube_run *fl_kube_run_close(struct fl_kube_run *kr)
{
	if (!kr)
		return NULL;
	fl_kube_close(kr->kube);
	records_clear(kr->deleted, kr->n_deleted);
	records_clear(kr->seen, kr->n_seen);
	pthread_mutex_destroy(&kr->lock);
	free(kr);
	return NULL;
}

const char *fl_kube_run_describe(const struct fl_kube_run *kr)
{
	return kr->describe;
}

/* Append {ns, name, uid} to a record list (caller holds kr->lock). name may be NULL. */
int fl_kube_run_record(struct kube_pod_ref **v, size_t *n, const char *ns, const char *name,
		       const char *uid)
{
	struct kube_pod_ref *nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n] = (struct kube_pod_ref){ .ns = strdup(ns),
					.name = name ? strdup(name) : NULL,
					.uid = strdup(uid) };
	if (!nv[*n].ns || !nv[*n].uid || (name && !nv[*n].name)) {
		free(nv[*n].ns);
		free(nv[*n].name);
		free(nv[*n].uid);
		return -ENOMEM;
	}
	(*n)++;
	return 0;
}

bool fl_kube_run_seen(struct fl_kube_run *kr, const char *ns, const char *uid)
{
	bool seen = false;

	pthread_mutex_lock(&kr->lock);
	for (size_t i = 0; i < kr->n_seen && !seen; i++)
		seen = strcmp(kr->seen[i].uid, uid) == 0 && strcmp(kr->seen[i].ns, ns) == 0;
	pthread_mutex_unlock(&kr->lock);
	return seen;
}
