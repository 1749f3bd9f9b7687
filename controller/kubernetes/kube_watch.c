/* SPDX-License-Identifier: MIT */
/*
 * Watches (kube_watch.h): the event stream cut into lines as libcurl hands it over, each
 * line decoded strictly, the resourceVersion carried on; and waiting for pods on top —
 * list, watch, list again on 410, watch again when a watch ends, back-off on 429/5xx.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl/clock.h"
#include "kube_internal.h"
#include "kube_watch.h"

#define PATH_MAX_     4096
#define PAGE_SIZE     500
#define CUT_AFTER_S   15 /* a watch's transfer is cut this long after its timeoutSeconds */
#define QUOTE_MAX     80 /* bytes of a bad line shown in a message */
#define WAIT_DEFAULT  60000
#define WATCH_DEFAULT 50

static const char *const type_names[] = {
	[FL_KUBE_ADDED] = "ADDED",     [FL_KUBE_MODIFIED] = "MODIFIED",
	[FL_KUBE_DELETED] = "DELETED", [FL_KUBE_BOOKMARK] = "BOOKMARK",
	[FL_KUBE_ERROR] = "ERROR",
};

static int event_type(const json_t *ev, enum fl_kube_event_type *ret, struct fl_diag *diag)
{
	const char *type = json_string_value(json_object_get(ev, "type"));

	if (!type)
		return fl_diag_set(diag, -EBADMSG, "kubernetes: a watch event: type: %s",
				   json_object_get(ev, "type") ? "not a string" : "missing");
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(type, type_names[i]) == 0) {
			*ret = (enum fl_kube_event_type)i;
			return 0;
		}
	return fl_diag_set(diag, -EBADMSG,
			   "kubernetes: a watch event: type \"%.40s\" is not ADDED, MODIFIED, "
			   "DELETED, BOOKMARK or ERROR",
			   type);
}

/* e->rv from the object's metadata.resourceVersion, which every event but ERROR has. */
static int event_rv(const json_t *obj, struct fl_kube_event *e, struct fl_diag *diag)
{
	const json_t *v = json_object_get(json_object_get(obj, "metadata"), "resourceVersion");
	const char *rv = json_string_value(v);

	if (!rv)
		return fl_diag_set(
			diag, -EBADMSG,
			"kubernetes: a %s watch event: object.metadata.resourceVersion: %s",
			type_names[e->type], v ? "not a string" : "missing");
	if (!rv[0] || strlen(rv) >= sizeof(e->rv))
		return fl_diag_set(diag, -EBADMSG,
				   "kubernetes: a %s watch event: object.metadata.resourceVersion: "
				   "empty or longer than %zu bytes",
				   type_names[e->type], sizeof(e->rv) - 1);
	memcpy(e->rv, rv, strlen(rv) + 1);
	return 0;
}

int fl_kube_watch_decode(const char *line, size_t len, struct fl_kube_event *ret,
			 struct fl_diag *diag)
{
	struct fl_kube_event e = { 0 };
	json_error_t jerr;
	json_t *ev, *obj;
	int r;

	if (len > FL_KUBE_EVENT_MAX)
		return fl_diag_set(diag, -EMSGSIZE,
				   "kubernetes: a watch event of %zu bytes (at most %u): \"%.*s\"",
				   len, FL_KUBE_EVENT_MAX, QUOTE_MAX, line);
	ev = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!ev)
		return fl_diag_set(diag, -EBADMSG,
				   "kubernetes: a watch event that is not JSON (%s): \"%.*s\"",
				   jerr.text, (int)(len < QUOTE_MAX ? len : QUOTE_MAX), line);
	r = json_is_object(ev) ? event_type(ev, &e.type, diag)
			       : fl_diag_set(diag, -EBADMSG,
					     "kubernetes: a watch event that is not an object");
	obj = json_object_get(ev, "object");
	if (r == 0 && !json_is_object(obj))
		r = fl_diag_set(diag, -EBADMSG, "kubernetes: a %s watch event: object: %s",
				type_names[e.type], obj ? "not an object" : "missing");
	if (r == 0 && e.type == FL_KUBE_ERROR)
		e.code = (int)json_integer_value(json_object_get(obj, "code"));
	else if (r == 0)
		r = event_rv(obj, &e, diag);
	if (r == 0) {
		e.object = json_incref(obj);
		*ret = e;
	}
	json_decref(ev);
	return r;
}

/* A watch in progress: the bytes of an unfinished line, where events go. */
struct stream {
	char *buf;
	size_t len, cap;
	char *rv; /* the caller's, moved on by each event */
	fl_kube_watch_fn fn;
	void *opaque;
	int stop;	/* fn's > 0 value */
	int error_code; /* an ERROR event's Status code */
	const char *path;
	const char *server;
};

/* An ERROR event: 410 is a resourceVersion too old; others are the server's message. */
static int error_event(struct stream *st, const struct fl_kube_event *e, struct fl_diag *diag)
{
	const char *msg = json_string_value(json_object_get(e->object, "message"));
	const char *reason = json_string_value(json_object_get(e->object, "reason"));

	st->error_code = e->code;
	return fl_diag_set(diag,
			   e->code == 410   ? -ESTALE
			   : e->code == 429 ? -EAGAIN
					    : -EIO,
			   "kubernetes %s: watch %s: ERROR %d %s: %s", st->server, st->path,
			   e->code, reason ? reason : "", msg ? msg : "(no message)");
}

static int one_line(struct stream *st, const char *line, size_t len, struct fl_diag *diag)
{
	struct fl_kube_event e;
	int r;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	r = fl_kube_watch_decode(line, len, &e, diag);
	if (r < 0)
		return r;
	if (e.type == FL_KUBE_ERROR) {
		r = error_event(st, &e, diag);
	} else {
		memcpy(st->rv, e.rv, sizeof(e.rv));
		r = st->fn(st->opaque, &e, diag);
	}
	json_decref(e.object);
	if (r > 0) {
		st->stop = r;
		return -ECANCELED; /* ends the transfer; fl_kube_watch returns st->stop */
	}
	return r;
}

/* libcurl's pieces of the stream: complete lines are events, the rest waits for more. */
static int on_data(void *opaque, const char *data, size_t n, struct fl_diag *diag)
{
	struct stream *st = opaque;
	size_t start = 0, scan;
	char *nl;
	int r;

	if (n > FL_KUBE_EVENT_MAX + 1 - st->len && !memchr(data, '\n', n))
		return fl_diag_set(
			diag, -EMSGSIZE,
			"kubernetes %s: watch %s: an event longer than %u bytes: \"%.*s\"",
			st->server, st->path, FL_KUBE_EVENT_MAX, QUOTE_MAX,
			st->len ? st->buf : data);
	if (st->len + n + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 65536;
		char *p;

		while (cap < st->len + n + 1)
			cap *= 2;
		if (!(p = realloc(st->buf, cap)))
			return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
		st->buf = p;
		st->cap = cap;
	}
	scan = st->len;
	memcpy(st->buf + st->len, data, n);
	st->len += n;
	st->buf[st->len] = '\0';
	while ((nl = memchr(st->buf + scan, '\n', st->len - scan))) {
		r = one_line(st, st->buf + start, (size_t)(nl - st->buf) - start, diag);
		if (r < 0)
			return r;
		start = scan = (size_t)(nl - st->buf) + 1;
	}
	memmove(st->buf, st->buf + start, st->len - start);
	st->len -= start;
	st->buf[st->len] = '\0';
	if (st->len > FL_KUBE_EVENT_MAX)
		return fl_diag_set(
			diag, -EMSGSIZE,
			"kubernetes %s: watch %s: an event longer than %u bytes: \"%.*s\"",
			st->server, st->path, FL_KUBE_EVENT_MAX, QUOTE_MAX, st->buf);
	return 0;
}

/* "&key=escaped value" appended at path[*off] (size bytes in all). */
static int add_query(char *path, size_t size, size_t *off, const char *key, const char *value,
		     struct fl_diag *diag)
{
	char *e;
	int n;

	if (!value || !value[0])
		return 0;
	if (!(e = curl_easy_escape(NULL, value, 0)))
		return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	n = snprintf(path + *off, size - *off, "&%s=%s", key, e);
	curl_free(e);
	if (n < 0 || (size_t)n >= size - *off)
		return fl_diag_set(diag, -E2BIG, "kubernetes: a watch's path is too long");
	*off += (size_t)n;
	return 0;
}

/* One watch; *ret_code: the answer's status or an ERROR event's code (0: none). */
static int watch_once(struct fl_kube *k, const char *collection, char rv[FL_KUBE_RV_MAX],
		      int timeout_s, long cut_ms, fl_kube_watch_fn fn, void *opaque, int *ret_code,
		      struct fl_diag *diag)
{
	struct stream st = { .rv = rv, .fn = fn, .opaque = opaque, .server = fl_kube_server(k) };
	char path[PATH_MAX_], t[16];
	size_t off;
	int n, r, status = 0;

	n = snprintf(path, sizeof(path), "%s%swatch=1&allowWatchBookmarks=true", collection,
		     strchr(collection, '?') ? "&" : "?");
	if (n < 0 || (size_t)n >= sizeof(path))
		return fl_diag_set(diag, -E2BIG, "kubernetes: a watch's path is too long");
	off = (size_t)n;
	(void)snprintf(t, sizeof(t), "%d", timeout_s > 0 ? timeout_s : 1);
	if ((r = add_query(path, sizeof(path), &off, "resourceVersion", rv, diag)) < 0 ||
	    (r = add_query(path, sizeof(path), &off, "timeoutSeconds", t, diag)) < 0)
		return r;
	st.path = path;
	r = fl_kube_stream(k, path, cut_ms, on_data, &st, &status, NULL, diag);
	if (r == 0 && st.len)
		r = one_line(&st, st.buf, st.len, diag); /* the last line lacked its newline */
	free(st.buf);
	*ret_code = st.error_code ? st.error_code : status;
	return r == -ECANCELED && st.stop > 0 ? st.stop : r;
}

int fl_kube_watch(struct fl_kube *k, const char *collection, char rv[FL_KUBE_RV_MAX], int timeout_s,
		  fl_kube_watch_fn fn, void *opaque, struct fl_diag *diag)
{
	int code;

	return watch_once(k, collection, rv, timeout_s, (timeout_s + CUT_AFTER_S) * 1000L, fn,
			  opaque, &code, diag);
}

/* A wait in progress: the pods as the server last told, and the caller's condition. */
struct waiter {
	struct fl_kube_wait *w;
	struct fl_kube_pods pods;
};

static size_t find_uid(const struct fl_kube_pods *pods, const char *uid)
{
	size_t i;

	for (i = 0; i < pods->n; i++)
		if (strcmp(pods->v[i].uid, uid) == 0)
			break;
	return i;
}

/* An event applied to the pods; 1 once the condition holds. */
static int on_pod_event(void *opaque, const struct fl_kube_event *ev, struct fl_diag *diag)
{
	struct waiter *wt = opaque;
	struct fl_kube_pods *pods = &wt->pods;
	struct fl_kube_pod p;
	size_t i;
	int r;

	wt->w->events++;
	if (ev->type == FL_KUBE_BOOKMARK) {
		wt->w->bookmarks++;
		return 0;
	}
	r = fl_kube_decode_pod(ev->object, &p, diag);
	if (r < 0)
		return fl_diag_prefix(diag, r, "a %s watch event", type_names[ev->type]);
	i = find_uid(pods, p.uid);
	if (i < pods->n)
		fl_kube_pod_clear(&pods->v[i]);
	if (ev->type == FL_KUBE_DELETED) {
		fl_kube_pod_clear(&p);
		if (i < pods->n)
			pods->v[i] = pods->v[--pods->n];
	} else if (i < pods->n) {
		pods->v[i] = p;
	} else {
		struct fl_kube_pod *v = realloc(pods->v, (pods->n + 1) * sizeof(*v));

		if (!v) {
			fl_kube_pod_clear(&p);
			return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
		}
		pods->v = v;
		pods->v[pods->n++] = p;
	}
	return wt->w->done(pods, wt->w->opaque) ? 1 : 0;
}

/* The collection's path and its selectors' query: "/api/v1/namespaces/NS/pods[?x=y&...]"
 * (a list adds its limit and continue token, a watch its own parameters). */
static int collection_path(const struct fl_kube_wait *w, char *path, size_t size,
			   struct fl_diag *diag)
{
	size_t off, base;
	int n = w->namespace ? snprintf(path, size, "/api/v1/namespaces/%s/pods", w->namespace)
			     : snprintf(path, size, "/api/v1/pods");
	int r;

	if (n < 0 || (size_t)n >= size)
		return fl_diag_set(diag, -E2BIG, "kubernetes: a pod list's path is too long");
	off = base = (size_t)n;
	if ((r = add_query(path, size, &off, "labelSelector", w->labels, diag)) < 0 ||
	    (r = add_query(path, size, &off, "fieldSelector", w->fields, diag)) < 0)
		return r;
	if (off > base)
		path[base] = '?'; /* the first parameter's '&' */
	return 0;
}

/* The pods, page by page, and the list's resourceVersion (rv) to watch from. One try per
 * page: the wait's loop retries within its own deadline. */
static int list_pods(struct fl_kube *k, const char *collection, struct fl_kube_pods *pods,
		     char rv[FL_KUBE_RV_MAX], int *ret_code, struct fl_diag *diag)
{
	char path[PATH_MAX_ + 1024], *cont = NULL;
	int r;

	fl_kube_pods_clear(pods);
	rv[0] = '\0';
	do {
		size_t off = (size_t)snprintf(path, sizeof(path), "%s%climit=%d", collection,
					      strchr(collection, '?') ? '&' : '?', PAGE_SIZE);
		json_t *page = NULL;
		const json_t *md;
		const char *v;

		r = add_query(path, sizeof(path), &off, "continue", cont, diag);
		free(cont);
		cont = NULL;
		if (r == 0)
			r = fl_kube_request(k, "GET", path, NULL, FL_KUBE_NO_RETRY, ret_code, &page,
					    diag);
		if (r == 0)
			r = fl_kube_decode_pods(page, pods, diag);
		md = json_object_get(page, "metadata");
		v = json_string_value(json_object_get(md, "resourceVersion"));
		if (r == 0 && !rv[0] && (!v || !v[0] || strlen(v) >= FL_KUBE_RV_MAX))
			r = fl_diag_set(diag, -EBADMSG,
					"kubernetes: a PodList without a usable "
					"metadata.resourceVersion");
		if (r == 0 && !rv[0])
			memcpy(rv, v, strlen(v) + 1);
		v = json_string_value(json_object_get(md, "continue"));
		if (r == 0 && v && v[0] && !(cont = strdup(v)))
			r = fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
		json_decref(page);
	} while (r == 0 && cont);
	free(cont);
	return r;
}

bool fl_kube_pods_uid_gone(const struct fl_kube_pods *pods, void *uid)
{
	return find_uid(pods, uid) == pods->n;
}

static size_t count_ready(const struct fl_kube_pods *pods)
{
	size_t n = 0;

	for (size_t i = 0; i < pods->n; i++)
		n += pods->v[i].ready && !pods->v[i].terminating;
	return n;
}

bool fl_kube_pods_ready_at_least(const struct fl_kube_pods *pods, void *min)
{
	return count_ready(pods) >= *(const size_t *)min;
}

static long left_ms(uint64_t deadline)
{
	uint64_t now = fl_now_mono_ns();

	return now >= deadline ? 0 : (long)((deadline - now) / 1000000);
}

/* The back-off's jitter: the monotonic clock's low bits, so waiters of many controllers
 * (and threads: rand() is shared) spread out. */
static unsigned jitter(void)
{
	uint64_t t = fl_now_mono_ns();

	return (unsigned)(t ^ (t >> 32)) * 2654435761u;
}

/* After a failed list or watch: the wait before trying again, or -1 (give up now). */
static long retry_wait(int r, int code, int *attempt, uint64_t deadline)
{
	long wait;

	if (r == -ESTALE || (r == -ETIMEDOUT && code == 0))
		return 0; /* list again / our cut of a silent watch: at once */
	if (!fl_kube_should_retry("GET", true, code, r, -1, ++*attempt, jitter(), &wait) &&
	    !(code == 0 && r == -EIO)) /* an ERROR event without a code */
		return -1;
	if (code == 0 && r == -EIO)
		wait = fl_kube_backoff_ms(*attempt, jitter());
	return wait < left_ms(deadline) ? wait : -1;
}

static void sleep_for(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One round: a list when there is no resourceVersion to watch from, then a watch. */
static int wait_round(struct fl_kube *k, struct waiter *wt, const char *collection,
		      char rv[FL_KUBE_RV_MAX], uint64_t deadline, int *code, struct fl_diag *diag)
{
	struct fl_kube_wait *w = wt->w;
	long left;
	int r, watch_s = w->watch_s > 0 ? w->watch_s : WATCH_DEFAULT;

	*code = 0;
	if (!rv[0]) {
		w->lists++;
		r = list_pods(k, collection, &wt->pods, rv, code, diag);
		if (r < 0) {
			rv[0] = '\0';
			return r;
		}
		if (w->done(&wt->pods, w->opaque))
			return 1;
	}
	/* the last watch may be shorter than a second: cut at the deadline */
	left = left_ms(deadline);
	if (left <= 0)
		return -ETIMEDOUT;
	if (watch_s > (left + 999) / 1000)
		watch_s = (int)((left + 999) / 1000);
	w->watches++;
	r = watch_once(k, collection, rv, watch_s,
		       left < (watch_s + CUT_AFTER_S) * 1000L ? left
							      : (watch_s + CUT_AFTER_S) * 1000L,
		       on_pod_event, wt, code, diag);
	if (r == -ESTALE) {
		w->stale++;
		rv[0] = '\0';
	}
	return r;
}

int fl_kube_wait_pods(struct fl_kube *k, struct fl_kube_wait *w, struct fl_kube_pods *ret,
		      struct fl_diag *diag)
{
	uint64_t deadline = fl_now_mono_ns() +
			    (uint64_t)(w->timeout_ms > 0 ? w->timeout_ms : WAIT_DEFAULT) * 1000000;
	struct waiter wt = { .w = w };
	char collection[PATH_MAX_], rv[FL_KUBE_RV_MAX] = "";
	int r, code, attempt = 0;
	long wait;

	r = collection_path(w, collection, sizeof(collection), diag);
	while (r == 0) {
		uint64_t t0 = fl_now_mono_ns();

		r = wait_round(k, &wt, collection, rv, deadline, &code, diag);
		if (r > 0)
			break;
		if (r == 0 && fl_now_mono_ns() - t0 >= 1000000000ull) {
			attempt = 0; /* the server ended the watch: watch again */
		} else if (r == 0) {
			/* ended at once: a server that does so again must not be hammered */
			wait = fl_kube_backoff_ms(++attempt, jitter());
			sleep_for(wait < left_ms(deadline) ? wait : left_ms(deadline));
		} else if (r == -ETIMEDOUT && left_ms(deadline) == 0) {
			break;
		} else if ((wait = retry_wait(r, code, &attempt, deadline)) >= 0) {
			sleep_for(wait);
			r = 0;
		} else {
			break; /* waiting longer cannot mend it */
		}
		if (left_ms(deadline) == 0)
			r = -ETIMEDOUT;
	}
	if (r == -ETIMEDOUT)
		fl_diag_set(
			diag, r,
			"kubernetes %s: waited %ld ms for pods (namespace %s, selector \"%s\"): "
			"%zu pods, %zu Ready",
			fl_kube_server(k), w->timeout_ms > 0 ? w->timeout_ms : WAIT_DEFAULT,
			w->namespace ? w->namespace : "(all)", w->labels ? w->labels : "",
			wt.pods.n, count_ready(&wt.pods));
	if (r > 0 && ret) {
		fl_kube_pods_clear(ret);
		*ret = wt.pods;
		return 0;
	}
	fl_kube_pods_clear(&wt.pods);
	return r > 0 ? 0 : r;
}
