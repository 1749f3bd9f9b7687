/* SPDX-License-Identifier: MIT */
/*
 * Listing pods (kube_pods.h): the request with escaped selectors, the pages, and the
 * decoding of each pod, strict about what a pod must have.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/macro.h"
#include "kube_pods.h"

#define PAGE_SIZE 500
#define PATH_MAX_ 4096
#define PODS_MAX  1000000 /* a list beyond this is refused, not followed forever */

void fl_kube_pod_clear(struct fl_kube_pod *p)
{
	free(p->namespace);
	free(p->name);
	free(p->uid);
	free(p->node);
	free(p->phase);
	free(p->pod_ip);
	free(p->host_ip);
	memset(p, 0, sizeof(*p));
}

void fl_kube_pods_clear(struct fl_kube_pods *pods)
{
	for (size_t i = 0; i < pods->n; i++)
		fl_kube_pod_clear(&pods->v[i]);
	free(pods->v);
	pods->v = NULL;
	pods->n = 0;
}

/* A string field: a copy in *ret; missing and optional: NULL; missing and required: error.
 * item names the pod in messages ("items[3]", or "object" for a watch event's). */
static int take(const json_t *obj, const char *key, bool required, char **ret, const char *item,
		const char *where, struct fl_diag *diag)
{
	const json_t *v = json_object_get(obj, key);

	*ret = NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		return fl_diag_set(diag, -EBADMSG, "kubernetes: %s.%s%s: missing", item, where,
				   key);
	}
	if (!json_is_string(v))
		return fl_diag_set(diag, -EBADMSG, "kubernetes: %s.%s%s: not a string", item, where,
				   key);
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
}

static bool is_ready(const json_t *status)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(status, "conditions"), i, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *st = json_string_value(json_object_get(c, "status"));

		if (type && st && strcmp(type, "Ready") == 0)
			return strcmp(st, "True") == 0;
	}
	return false;
}

/* The pod's containers' restartCount, summed (kubelet's count: what a crash-looping or
 * killed container shows); a count that is not a small non-negative integer is refused. */
static int sum_restarts(const json_t *status, const char *item, unsigned *ret, struct fl_diag *diag)
{
	const json_t *c, *n;
	size_t i;

	*ret = 0;
	json_array_foreach(json_object_get(status, "containerStatuses"), i, c)
	{
		if (!(n = json_object_get(c, "restartCount")))
			continue;
		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) > 1000000000)
			return fl_diag_set(diag, -EBADMSG,
					   "kubernetes: %s.status.containerStatuses[%zu]."
					   "restartCount: not a count",
					   item, i);
		*ret += (unsigned)json_integer_value(n);
	}
	return 0;
}

static int decode_pod(const json_t *item, const char *i, struct fl_kube_pod *p,
		      struct fl_diag *diag)
{
	const json_t *md = json_object_get(item, "metadata");
	const json_t *spec = json_object_get(item, "spec"), *st = json_object_get(item, "status");
	int r;

	if (!json_is_object(md))
		return fl_diag_set(diag, -EBADMSG, "kubernetes: %s.metadata: missing", i);
	if ((r = take(md, "namespace", true, &p->namespace, i, "metadata.", diag)) < 0 ||
	    (r = take(md, "name", true, &p->name, i, "metadata.", diag)) < 0 ||
	    (r = take(md, "uid", true, &p->uid, i, "metadata.", diag)) < 0 ||
	    (r = take(spec, "nodeName", false, &p->node, i, "spec.", diag)) < 0 ||
	    (r = take(st, "phase", false, &p->phase, i, "status.", diag)) < 0 ||
	    (r = take(st, "podIP", false, &p->pod_ip, i, "status.", diag)) < 0 ||
	    (r = take(st, "hostIP", false, &p->host_ip, i, "status.", diag)) < 0)
		return r;
	if (!p->phase && !(p->phase = strdup("Unknown")))
		return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	if ((r = sum_restarts(st, i, &p->restarts, diag)) < 0)
		return r;
	p->ready = is_ready(st);
	p->terminating = json_object_get(md, "deletionTimestamp") != NULL &&
			 !json_is_null(json_object_get(md, "deletionTimestamp"));
	return 0;
}

int fl_kube_decode_pod(const json_t *obj, struct fl_kube_pod *ret, struct fl_diag *diag)
{
	struct fl_kube_pod p = { 0 };
	int r;

	if (!json_is_object(obj))
		return fl_diag_set(diag, -EBADMSG, "kubernetes: object: not an object");
	r = decode_pod(obj, "object", &p, diag);
	if (r < 0) {
		fl_kube_pod_clear(&p);
		return r;
	}
	*ret = p;
	return 0;
}

int fl_kube_decode_pods(const json_t *list, struct fl_kube_pods *pods, struct fl_diag *diag)
{
	const json_t *items = json_object_get(list, "items"), *item;
	struct fl_kube_pod *v;
	size_t i;
	int r;

	if (!json_is_array(items) && !json_is_null(items))
		return fl_diag_set(diag, -EBADMSG, "kubernetes: a PodList without items");
	if (json_array_size(items) == 0)
		return 0;
	v = realloc(pods->v, (pods->n + json_array_size(items)) * sizeof(*v));
	if (!v)
		return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	pods->v = v;
	json_array_foreach(items, i, item)
	{
		struct fl_kube_pod *p = &pods->v[pods->n];
		char where[32];

		memset(p, 0, sizeof(*p));
		pods->n++; /* counted before it is filled: a failure frees what it holds */
		if (!json_is_object(item))
			return fl_diag_set(diag, -EBADMSG, "kubernetes: items[%zu]: not an object",
					   i);
		(void)snprintf(where, sizeof(where), "items[%zu]", i);
		if ((r = decode_pod(item, where, p, diag)) < 0)
			return r;
	}
	return 0;
}

/* path[size] = the list's URL for one page: /api/v1[/namespaces/NS]/pods?limit=...&... */
static int list_path(char *path, size_t size, const char *namespace, const char *labels,
		     const char *fields, const char *cont, struct fl_diag *diag)
{
	const char *vals[] = { labels, fields, cont };
	static const char *const keys[] = { "labelSelector", "fieldSelector", "continue" };
	size_t o;
	int n;

	n = namespace ? snprintf(path, size, "/api/v1/namespaces/%s/pods?limit=%d", namespace,
				 PAGE_SIZE)
		      : snprintf(path, size, "/api/v1/pods?limit=%d", PAGE_SIZE);
	for (size_t i = 0; i < 3 && n > 0 && (size_t)n < size; i++) {
		char *e;

		if (!vals[i] || !vals[i][0])
			continue;
		e = curl_easy_escape(NULL, vals[i], 0);
		if (!e)
			return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
		o = (size_t)n;
		n += snprintf(path + o, size - o, "&%s=%s", keys[i], e);
		curl_free(e);
	}
	if (n < 0 || (size_t)n >= size)
		return fl_diag_set(diag, -E2BIG, "kubernetes: a pod list's selectors are too long");
	return 0;
}

/* The next page's continue token into *cont (NULL: the last page). A server that answers
 * the token it was given, or more pods than any cluster has, would page forever. */
static int next_page(const json_t *page, const struct fl_kube_pods *pods, char **cont,
		     struct fl_diag *diag)
{
	const char *next =
		json_string_value(json_object_get(json_object_get(page, "metadata"), "continue"));
	char *prev = *cont;
	int r = 0;

	*cont = NULL;
	if (next && next[0] && prev && strcmp(next, prev) == 0)
		r = fl_diag_set(diag, -EBADMSG,
				"kubernetes: the server answered the same "
				"continue token again (\"%.40s\")",
				next);
	else if (pods->n > PODS_MAX)
		r = fl_diag_set(diag, -E2BIG, "kubernetes: more than %d pods in one list",
				PODS_MAX);
	else if (next && next[0] && !(*cont = strdup(next)))
		r = fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	free(prev);
	return r;
}

int fl_kube_list_pods(struct fl_kube *k, const char *namespace, const char *labels,
		      const char *fields, struct fl_kube_pods *ret, struct fl_diag *diag)
{
	char path[PATH_MAX_];
	char *cont = NULL;
	int r;

	fl_kube_pods_clear(ret);
	do {
		json_t *page = NULL;

		r = list_path(path, sizeof(path), namespace, labels, fields, cont, diag);
		if (r == 0)
			r = fl_kube_call(k, "GET", path, NULL, NULL, &page, diag);
		if (r == 0)
			r = fl_kube_decode_pods(page, ret, diag);
		if (r == 0)
			r = next_page(page, ret, &cont, diag);
		json_decref(page);
	} while (r == 0 && cont);
	free(cont);
	if (r < 0)
		fl_kube_pods_clear(ret);
	return r;
}
