/* SPDX-License-Identifier: MIT */
/*
 * pod-delete through the API (kube_run.h), as `kubectl delete pod` does it but aimed: the
 * DELETE carries preconditions.uid, so the pod chosen is the pod deleted — a StatefulSet's
 * replacement of the same name made in between answers 409 and is left alone. And whether
 * the deleted pods are gone, asked of the API by name.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube_run_internal.h"

#define PATH_LEN 640

static int pod_path(char *path, const char *ns, const char *name)
{
	int n = snprintf(path, PATH_LEN, "/api/v1/namespaces/%s/pods/%s", ns, name);

	return n > 0 && n < PATH_LEN ? 0 : -ENAMETOOLONG;
}

int fl_kube_run_delete_pod(struct fl_kube_run *kr, const struct fl_target *t, int grace_s,
			   struct fl_diag *diag)
{
	const json_t *k = json_object_get(t->target, "kubernetes");
	const char *ns = json_string_value(json_object_get(k, "namespace"));
	const char *name = json_string_value(json_object_get(k, "name"));
	const char *uid = json_string_value(json_object_get(k, "uid"));
	char path[PATH_LEN], *body;
	json_t *opts, *resp = NULL;
	int r;

	if (!ns || !name || !uid)
		return fl_diag_set(diag, -EINVAL, "%s: not a pod found through the API", t->label);
	if (pod_path(path, ns, name) < 0)
		return fl_diag_set(diag, -ENAMETOOLONG, "%s: name too long", t->label);
	opts = json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "DeleteOptions",
			 "preconditions", "uid", uid);
	if (opts && grace_s >= 0)
		json_object_set_new(opts, "gracePeriodSeconds", json_integer(grace_s));
	body = opts ? json_dumps(opts, JSON_COMPACT) : NULL;
	json_decref(opts);
	if (!body)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	pthread_mutex_lock(&kr->lock);
	r = fl_kube_call(kr->kube, "DELETE", path, body, NULL, &resp, diag);
	if (r == 0)
		r = fl_kube_run_record(&kr->deleted, &kr->n_deleted, ns, name, uid);
	pthread_mutex_unlock(&kr->lock);
	free(body);
	json_decref(resp);
	if (r == -ENOENT)
		return fl_diag_prefix(diag, r, "pod %s is gone already", t->label);
	if (r == -EEXIST)
		return fl_diag_prefix(diag, r, "pod %s is not the pod chosen (uid %s): left alone",
				      t->label, uid);
	return r == -ENOMEM ? fl_diag_set(diag, r, "out of memory") : r;
}

/* Whether the API still has the pod ns/name with uid (caller holds kr->lock). */
static int still_there(struct fl_kube_run *kr, const struct kube_pod_ref *d, bool *ret,
		       struct fl_diag *diag)
{
	char path[PATH_LEN];
	json_t *pod = NULL;
	int r;

	*ret = false;
	if (pod_path(path, d->ns, d->name) < 0)
		return 0;
	r = fl_kube_call(kr->kube, "GET", path, NULL, NULL, &pod, diag);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	const char *uid =
		json_string_value(json_object_get(json_object_get(pod, "metadata"), "uid"));
	*ret = uid && strcmp(uid, d->uid) == 0;
	json_decref(pod);
	return 0;
}

int fl_kube_run_deleted_gone(struct fl_kube_run *kr, const char *ns, unsigned *n_deleted,
			     unsigned *n_gone, struct fl_diag *diag)
{
	int r = 0;

	*n_deleted = *n_gone = 0;
	pthread_mutex_lock(&kr->lock);
	for (size_t i = 0; i < kr->n_deleted && r == 0; i++) {
		bool there;

		if (strcmp(kr->deleted[i].ns, ns) != 0)
			continue;
		(*n_deleted)++;
		if ((r = still_there(kr, &kr->deleted[i], &there, diag)) == 0 && !there)
			(*n_gone)++;
	}
	pthread_mutex_unlock(&kr->lock);
	return r;
}
