/* SPDX-License-Identifier: MIT */
/*
 * runtime.v1.RuntimeService over the CRI unix socket: gRPC by hand with libcurl (HTTP/2
 * prior knowledge, POST /runtime.v1.RuntimeService/<Method>, 5-byte frame + protobuf), the
 * grpc-status trailer deciding success. Field numbers are those of k8s.io/cri-api
 * pkg/apis/runtime/v1/api.proto. Response decoders are separate pure functions (fuzzed).
 *
 * Strings from the runtime: identities (sandbox and container ids, pod name, namespace,
 * uid, container name) must fit their struct field and contain no NUL — every valid
 * Kubernetes value does — otherwise the reply is refused (-EPROTO): a truncated id would
 * be taken by containerd as the prefix of an id. Labels whose key or value does not fit
 * are left out rather than truncated (a selector never matches a cut key), labels past
 * FL_CRI_MAX_LABELS are dropped. Informational strings (versions, reason, grpc-message)
 * are truncated. A netns path that does not fit is reported as unknown (""), never cut.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cri.h"
#include "cri_decode.h"
#include "pb.h"

#define SERVICE	     "runtime.v1.RuntimeService"
#define MAX_RESPONSE (32u << 20) /* a node's full container list fits many times over */
#define MAX_ITEMS    16384	 /* sandboxes or containers in one list reply */
#define MAX_GRACE_S  86400	 /* StopContainer timeouts above a day are a caller's bug */

struct fl_cri {
	char socket_path[256];
	long timeout_ms;
	/* Per call. */
	uint8_t *resp;
	size_t resp_len, resp_cap;
	bool resp_too_big, resp_nomem;
	int grpc_status; /* -1: no grpc-status seen, -2: not a number */
	char grpc_message[256];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fl_cri_open(const char *socket_path, unsigned timeout_ms, struct fl_cri **ret,
		struct fl_diag *diag)
{
	struct fl_cri *cri;
	struct stat st;

	if (!socket_path || !*socket_path)
		return fl_diag_set(diag, -EINVAL, "CRI: no socket path configured");
	if (strlen(socket_path) >= sizeof(cri->socket_path))
		return fl_diag_set(diag, -ENAMETOOLONG, "CRI socket %.64s...: path too long",
				   socket_path);
	if (stat(socket_path, &st) < 0)
		return fl_diag_set(diag, -ECONNREFUSED, "CRI socket %s: %s", socket_path,
				   strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fl_diag_set(diag, -EINVAL, "CRI socket %s: not a socket", socket_path);
	pthread_once(&curl_once, curl_init_once);
	cri = calloc(1, sizeof(*cri));
	if (!cri) {
		return fl_diag_set(diag, -ENOMEM, "CRI socket %s: out of memory", socket_path);
	}
	(void)snprintf(cri->socket_path, sizeof(cri->socket_path), "%s", socket_path);
	cri->timeout_ms = timeout_ms ? (long)timeout_ms : 5000;
	*ret = cri;
	return 0;
}

struct fl_cri *fl_cri_close(struct fl_cri *cri)
{
	if (cri) {
		free(cri->resp);
		free(cri);
	}
	return NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fl_cri *cri = userdata;
	size_t n = size * nmemb;

	if (n > MAX_RESPONSE - cri->resp_len) {
		cri->resp_too_big = true;
		return 0; /* aborts the transfer */
	}
	if (cri->resp_len + n > cri->resp_cap) {
		size_t cap = cri->resp_cap ? cri->resp_cap : 4096;
		uint8_t *nr;

		while (cap < cri->resp_len + n)
			cap *= 2;
		nr = realloc(cri->resp, cap);
		if (!nr) {
			cri->resp_nomem = true;
			return 0;
		}
		cri->resp = nr;
		cri->resp_cap = cap;
	}
	memcpy(cri->resp + cri->resp_len, ptr, n);
	cri->resp_len += n;
	return n;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : tolower((unsigned char)c) - 'a' + 10;
}

/* grpc-message is percent-encoded (gRPC over HTTP/2 spec); a stray '%' stays as it is. */
FL_TESTABLE void fl_cri_percent_decode(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (in[i] == '%' && i + 2 < len && isxdigit((unsigned char)in[i + 1]) &&
		    isxdigit((unsigned char)in[i + 2])) {
			out[o++] = (char)(hexval(in[i + 1]) << 4 | hexval(in[i + 2]));
			i += 2;
			continue;
		}
		out[o++] = in[i];
	}
	out[o] = '\0';
}

/* A gRPC status code: 1 to 3 digits (0..16 today); -2 for anything else. */
FL_TESTABLE int fl_cri_parse_grpc_status(const char *v, size_t len)
{
	int st = 0;

	if (len == 0 || len > 3)
		return -2;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -2;
		st = st * 10 + (v[i] - '0');
	}
	return st;
}

/* Headers and trailers both come here (curl hands trailers to the header callback). */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct fl_cri *cri = userdata;
	size_t n = size * nitems, vlen;
	const char *v;

	while (n && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
		n--;
	if (n >= 12 && strncasecmp(buf, "grpc-status:", 12) == 0) {
		v = buf + 12;
		vlen = n - 12;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		cri->grpc_status = fl_cri_parse_grpc_status(v, vlen);
	} else if (n >= 13 && strncasecmp(buf, "grpc-message:", 13) == 0) {
		v = buf + 13;
		vlen = n - 13;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		fl_cri_percent_decode(v, vlen, cri->grpc_message, sizeof(cri->grpc_message));
	}
	return size * nitems;
}

static int grpc_errno(int status)
{
	switch (status) {
	case 3: /* INVALID_ARGUMENT */
		return -EINVAL;
	case 4: /* DEADLINE_EXCEEDED */
		return -ETIMEDOUT;
	case 5: /* NOT_FOUND */
		return -ENOENT;
	case 14: /* UNAVAILABLE */
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

static int curl_errno(const struct fl_cri *cri, CURLcode cc)
{
	if (cri->resp_too_big)
		return -E2BIG;
	if (cri->resp_nomem)
		return -ENOMEM;
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return -ECONNREFUSED; /* the runtime is down or restarting */
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* The request in a gRPC frame: a compressed flag (0) and the length, big-endian. */
static int frame_request(const struct fl_pb_buf *req, const char *method, uint8_t **ret,
			 struct fl_diag *diag)
{
	uint8_t *frame;

	if (req->err || req->len > UINT32_MAX - 5)
		return fl_diag_set(diag, -ENOMEM, "CRI %s: cannot build the request", method);
	frame = malloc(5 + req->len);
	if (!frame)
		return fl_diag_set(diag, -ENOMEM, "CRI %s: out of memory", method);
	frame[0] = 0; /* not compressed */
	frame[1] = (uint8_t)(req->len >> 24);
	frame[2] = (uint8_t)(req->len >> 16);
	frame[3] = (uint8_t)(req->len >> 8);
	frame[4] = (uint8_t)req->len;
	if (req->len)
		memcpy(frame + 5, req->data, req->len);
	*ret = frame;
	return 0;
}

/*
 * A new handle, hence a new connection, per call: reusing the HTTP/2 connection after a
 * completed gRPC stream fails with "Error in the HTTP2 framing layer" (curl 7.88 with
 * containerd 1.6), and curl reuses it even with CURLOPT_FRESH_CONNECT. A unix-socket
 * connect costs microseconds. NULL when out of memory.
 */
static CURL *new_handle(struct fl_cri *cri, const char *url, const uint8_t *frame, size_t frame_len,
			struct curl_slist *hdrs, char *errbuf)
{
	CURL *curl = curl_easy_init();

	if (!curl)
		return NULL;
	(void)curl_easy_setopt(curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, cri->socket_path);
	(void)curl_easy_setopt(curl, CURLOPT_HTTP_VERSION,
			       (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	(void)curl_easy_setopt(curl, CURLOPT_POST, 1L);
	(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, frame);
	(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)frame_len);
	(void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, cri);
	(void)curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(curl, CURLOPT_HEADERDATA, cri);
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, cri->timeout_ms);
	(void)curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	(void)curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	return curl;
}

/* The reply's grpc-status, then its one message out of the gRPC frame in cri->resp. */
static int unframe_reply(const struct fl_cri *cri, const char *method, long http,
			 const uint8_t **ret, size_t *ret_len, struct fl_diag *diag)
{
	uint32_t mlen;

	if (cri->grpc_status == -1)
		return fl_diag_set(diag, -EPROTO, "CRI %s: HTTP %ld without a grpc-status", method,
				   http);
	if (cri->grpc_status == -2)
		return fl_diag_set(diag, -EPROTO, "CRI %s: HTTP %ld with a malformed grpc-status",
				   method, http);
	if (cri->grpc_status != 0)
		return fl_diag_set(diag, grpc_errno(cri->grpc_status), "CRI %s: grpc-status %d: %s",
				   method, cri->grpc_status, cri->grpc_message);
	if (cri->resp_len == 0) {
		*ret = (const uint8_t *)"";
		*ret_len = 0;
		return 0;
	}
	if (cri->resp_len < 5 || cri->resp[0] != 0)
		return fl_diag_set(diag, -EPROTO, "CRI %s: malformed or compressed gRPC frame",
				   method);
	mlen = (uint32_t)cri->resp[1] << 24 | (uint32_t)cri->resp[2] << 16 |
	       (uint32_t)cri->resp[3] << 8 | cri->resp[4];
	if (mlen > cri->resp_len - 5)
		return fl_diag_set(diag, -EPROTO, "CRI %s: truncated gRPC frame", method);
	*ret = cri->resp + 5;
	*ret_len = mlen;
	return 0;
}

/*
 * One unary call. On success *ret / *ret_len point into cri->resp (the message after the
 * 5-byte frame header), valid until the next call.
 */
static int call(struct fl_cri *cri, const char *method, const struct fl_pb_buf *req,
		const uint8_t **ret, size_t *ret_len, struct fl_diag *diag)
{
	struct curl_slist *hdrs = NULL, *h;
	char url[128], errbuf[CURL_ERROR_SIZE] = "";
	uint8_t *frame = NULL;
	long http = 0;
	CURLcode cc;
	CURL *curl;
	int r;

	if ((r = frame_request(req, method, &frame, diag)) < 0)
		return r;
	cri->resp_len = 0;
	cri->resp_too_big = cri->resp_nomem = false;
	cri->grpc_status = -1;
	cri->grpc_message[0] = '\0';
	(void)snprintf(url, sizeof(url), "http://localhost/" SERVICE "/%s", method);
	h = curl_slist_append(NULL, "content-type: application/grpc");
	if (h)
		hdrs = curl_slist_append(h, "te: trailers");
	if (!hdrs) {
		curl_slist_free_all(h);
		free(frame);
		return fl_diag_set(diag, -ENOMEM, "CRI %s: out of memory", method);
	}
	curl = new_handle(cri, url, frame, 5 + req->len, hdrs, errbuf);
	if (!curl) {
		curl_slist_free_all(hdrs);
		free(frame);
		return fl_diag_set(diag, -ENOMEM, "CRI %s: out of memory", method);
	}
	cc = curl_easy_perform(curl);
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
	curl_easy_cleanup(curl);
	curl_slist_free_all(hdrs);
	free(frame);
	if (cc != CURLE_OK)
		return fl_diag_set(diag, curl_errno(cri, cc), "CRI %s at %s: %s%s", method,
				   cri->socket_path, errbuf[0] ? errbuf : curl_easy_strerror(cc),
				   cri->resp_too_big ? " (reply above 32 MiB)" : "");
	return unframe_reply(cri, method, http, ret, ret_len, diag);
}

/* ---- pure decoders -------------------------------------------------------------------- */

/* An identity string: it fits (with its NUL) and holds no NUL of its own, or -EBADMSG. */
static int copy_exact(const struct fl_pb_field *f, char *dst, size_t size)
{
	if (f->wire != FL_PB_BYTES || f->len >= size || memchr(f->data, '\0', f->len))
		return -EBADMSG;
	memcpy(dst, f->data, f->len);
	dst[f->len] = '\0';
	return 0;
}

static bool field_equals(const struct fl_pb_field *f, const char *s)
{
	size_t n = strlen(s);

	return f->wire == FL_PB_BYTES && f->len == n && memcmp(f->data, s, n) == 0;
}

/* A map<string, string> entry: borrowed key and value (empty when absent). */
static int decode_map_entry(const struct fl_pb_field *f, struct fl_pb_field *key,
			    struct fl_pb_field *val)
{
	struct fl_pb_reader r;
	struct fl_pb_field e;
	int n;

	memset(key, 0, sizeof(*key));
	memset(val, 0, sizeof(*val));
	key->wire = val->wire = FL_PB_BYTES;
	key->data = val->data = (const uint8_t *)"";
	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &e)) > 0) {
		if (e.wire != FL_PB_BYTES)
			continue;
		if (e.num == 1)
			*key = e;
		else if (e.num == 2)
			*val = e;
	}
	return n < 0 ? -EBADMSG : 0;
}

static int decode_label(const struct fl_pb_field *f, struct fl_cri_sandbox *sb)
{
	struct fl_pb_field k, v;
	struct fl_cri_label *l;

	if (decode_map_entry(f, &k, &v) < 0)
		return -EBADMSG;
	if (sb->n_labels == FL_CRI_MAX_LABELS)
		return 0;
	l = &sb->labels[sb->n_labels];
	if (copy_exact(&k, l->key, sizeof(l->key)) == 0 &&
	    copy_exact(&v, l->value, sizeof(l->value)) == 0)
		sb->n_labels++;
	return 0;
}

/* PodSandboxMetadata: name 1, uid 2, namespace 3. */
static int decode_sandbox_metadata(const struct fl_pb_field *f, struct fl_cri_sandbox *sb)
{
	struct fl_pb_reader r;
	struct fl_pb_field m;
	int n;

	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &m)) > 0) {
		if (m.wire != FL_PB_BYTES)
			continue;
		if ((m.num == 1 && copy_exact(&m, sb->name, sizeof(sb->name)) < 0) ||
		    (m.num == 2 && copy_exact(&m, sb->uid, sizeof(sb->uid)) < 0) ||
		    (m.num == 3 && copy_exact(&m, sb->namespace, sizeof(sb->namespace)) < 0))
			return -EBADMSG;
	}
	return n < 0 ? -EBADMSG : 0;
}

/*
 * PodSandbox (ListPodSandbox) and PodSandboxStatus share id 1, metadata 2, state 3; labels
 * are 5 in PodSandbox, 7 in PodSandboxStatus.
 */
static int decode_sandbox(const uint8_t *p, size_t len, uint32_t labels_num,
			  struct fl_cri_sandbox *sb)
{
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int n;

	memset(sb, 0, sizeof(*sb));
	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire == FL_PB_BYTES) {
			if (copy_exact(&f, sb->id, sizeof(sb->id)) < 0)
				return -EBADMSG;
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			if (decode_sandbox_metadata(&f, sb) < 0)
				return -EBADMSG;
		} else if (f.num == 3 && f.wire == FL_PB_VARINT) {
			sb->state = f.varint == 0 ? FL_CRI_SANDBOX_READY : FL_CRI_SANDBOX_NOTREADY;
		} else if (f.num == labels_num && f.wire == FL_PB_BYTES) {
			if (decode_label(&f, sb) < 0)
				return -EBADMSG;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

/*
 * A List*Response: its repeated field 1, each item decoded by item() into a new array of
 * item_size elements (at most MAX_ITEMS; -E2BIG above). *ret is malloc'd (free()), written
 * only on success with *ret_n.
 */
static int decode_list(const uint8_t *p, size_t len, size_t item_size,
		       int (*item)(const uint8_t *p, size_t len, void *out), void **ret,
		       unsigned *ret_n)
{
	unsigned n = 0, cap = 0;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	char *v = NULL;
	int k;

	fl_pb_reader_init(&r, p, len);
	while ((k = fl_pb_next(&r, &f)) > 0) {
		if (f.num != 1 || f.wire != FL_PB_BYTES)
			continue;
		if (n == cap) {
			char *nv;

			if (cap == MAX_ITEMS) {
				free(v);
				return -E2BIG;
			}
			cap = cap ? cap * 2 : 16;
			nv = realloc(v, cap * item_size);
			if (!nv) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		if (item(f.data, f.len, v + (size_t)n * item_size) < 0) {
			free(v);
			return -EBADMSG;
		}
		n++;
	}
	if (k < 0) {
		free(v);
		return -EBADMSG;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

/* A PodSandbox of ListPodSandboxResponse: its labels are field 5. */
static int sandbox_item(const uint8_t *p, size_t len, void *out)
{
	return decode_sandbox(p, len, 5, out);
}

FL_TESTABLE int fl_cri_decode_list_sandboxes(const uint8_t *p, size_t len,
					     struct fl_cri_sandbox **ret, unsigned *ret_n)
{
	void *v;
	int r = decode_list(p, len, sizeof(**ret), sandbox_item, &v, ret_n);

	if (r == 0)
		*ret = v;
	return r;
}

/*
 * The verbose "info" JSON (containerd): .pid, and for sandboxes the network namespace in
 * .runtimeSpec.linux.namespaces[type=network].path. Parsed in place (json_loadb), so its
 * size is bounded by the reply's only. Anything missing or odd leaves the value unknown.
 */
static void parse_info_json(const uint8_t *json, size_t len, int *ret_pid, char *netns,
			    size_t netns_size)
{
	json_t *root = json_loadb((const char *)json, len, 0, NULL), *nss, *ns, *pid;
	size_t i;

	if (!root)
		return;
	pid = json_object_get(root, "pid");
	if (json_is_integer(pid) && json_integer_value(pid) > 0 &&
	    json_integer_value(pid) <= INT_MAX)
		*ret_pid = (int)json_integer_value(pid);
	nss = json_object_get(json_object_get(json_object_get(root, "runtimeSpec"), "linux"),
			      "namespaces");
	json_array_foreach(nss, i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *path = json_string_value(json_object_get(ns, "path"));

		if (netns && type && path && strcmp(type, "network") == 0 &&
		    strlen(path) < netns_size) {
			memcpy(netns, path, strlen(path) + 1);
			break;
		}
	}
	json_decref(root);
}

static int decode_info(const struct fl_pb_field *f, int *ret_pid, char *netns, size_t netns_size)
{
	struct fl_pb_field k, v;

	if (decode_map_entry(f, &k, &v) < 0)
		return -EBADMSG;
	if (field_equals(&k, "info"))
		parse_info_json(v.data, v.len, ret_pid, netns, netns_size);
	return 0;
}

/* Field num of a message, the last one if repeated: 1, 0 when absent, -EBADMSG. */
static int find_field(const uint8_t *p, size_t len, uint32_t num, int wire, struct fl_pb_field *ret)
{
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int n, found = 0;

	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == num && f.wire == wire) {
			*ret = f;
			found = 1;
		}
	}
	return n < 0 ? -EBADMSG : found;
}

/* PodSandboxStatus.linux (6) -> namespaces (1) -> options (2) -> network (1) == NODE (2). */
static int decode_host_network(const struct fl_pb_field *linux_f, bool *ret)
{
	struct fl_pb_field ns, opt, net;
	int r;

	*ret = false;
	if ((r = find_field(linux_f->data, linux_f->len, 1, FL_PB_BYTES, &ns)) <= 0 ||
	    (r = find_field(ns.data, ns.len, 2, FL_PB_BYTES, &opt)) <= 0 ||
	    (r = find_field(opt.data, opt.len, 1, FL_PB_VARINT, &net)) <= 0)
		return r;
	*ret = net.varint == 2;
	return 0;
}

/* PodSandboxStatus: network (5) -> ip (1), linux (6). */
static int decode_sandbox_status_msg(const struct fl_pb_field *f, void *out)
{
	struct fl_cri_sandbox_status *st = out;
	struct fl_pb_reader r;
	struct fl_pb_field g, ip;
	int n, k;

	if (decode_sandbox(f->data, f->len, 7, &st->sb) < 0)
		return -EBADMSG;
	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &g)) > 0) {
		if (g.num == 5 && g.wire == FL_PB_BYTES) {
			if ((k = find_field(g.data, g.len, 1, FL_PB_BYTES, &ip)) < 0)
				return -EBADMSG;
			if (k > 0)
				fl_pb_copy_string(&ip, st->ip, sizeof(st->ip));
		} else if (g.num == 6 && g.wire == FL_PB_BYTES) {
			if (decode_host_network(&g, &st->host_network) < 0)
				return -EBADMSG;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

/*
 * A PodSandboxStatusResponse or ContainerStatusResponse: its status (1) read by status(),
 * its verbose info map (2) for the PID and, for a sandbox, the netns path.
 */
static int decode_status_reply(const uint8_t *p, size_t len,
			       int (*status)(const struct fl_pb_field *f, void *st), void *st,
			       int *ret_pid, char *netns, size_t netns_size)
{
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int n;

	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.wire != FL_PB_BYTES)
			continue;
		if (f.num == 1 && status(&f, st) < 0)
			return -EBADMSG;
		if (f.num == 2 && decode_info(&f, ret_pid, netns, netns_size) < 0)
			return -EBADMSG;
	}
	return n < 0 ? -EBADMSG : 0;
}

FL_TESTABLE int fl_cri_decode_sandbox_status(const uint8_t *p, size_t len,
					     struct fl_cri_sandbox_status *ret)
{
	struct fl_cri_sandbox_status st = { 0 };
	int e = decode_status_reply(p, len, decode_sandbox_status_msg, &st, &st.pid, st.netns_path,
				    sizeof(st.netns_path));

	if (e == 0)
		*ret = st;
	return e;
}

/* ContainerMetadata: name 1, attempt 2. */
static int decode_container_metadata(const struct fl_pb_field *f, struct fl_cri_container *c)
{
	struct fl_pb_reader r;
	struct fl_pb_field m;
	int n;

	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &m)) > 0) {
		if (m.num == 1 && m.wire == FL_PB_BYTES) {
			if (copy_exact(&m, c->name, sizeof(c->name)) < 0)
				return -EBADMSG;
		} else if (m.num == 2 && m.wire == FL_PB_VARINT) {
			c->attempt = (uint32_t)m.varint;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

static enum fl_cri_container_state container_state(uint64_t v)
{
	return v <= FL_CRI_CONTAINER_UNKNOWN ? (enum fl_cri_container_state)v
					     : FL_CRI_CONTAINER_UNKNOWN;
}

/* Container (ListContainers): id 1, pod_sandbox_id 2, metadata 3, state 6, created_at 7. */
static int decode_container(const uint8_t *p, size_t len, struct fl_cri_container *c)
{
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int n;

	memset(c, 0, sizeof(*c));
	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire == FL_PB_BYTES) {
			if (copy_exact(&f, c->id, sizeof(c->id)) < 0)
				return -EBADMSG;
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			if (copy_exact(&f, c->sandbox_id, sizeof(c->sandbox_id)) < 0)
				return -EBADMSG;
		} else if (f.num == 3 && f.wire == FL_PB_BYTES) {
			if (decode_container_metadata(&f, c) < 0)
				return -EBADMSG;
		} else if (f.num == 6 && f.wire == FL_PB_VARINT) {
			c->state = container_state(f.varint);
		} else if (f.num == 7 && f.wire == FL_PB_VARINT) {
			c->created_at_ns = (int64_t)f.varint;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

static int container_item(const uint8_t *p, size_t len, void *out)
{
	return decode_container(p, len, out);
}

FL_TESTABLE int fl_cri_decode_list_containers(const uint8_t *p, size_t len,
					      struct fl_cri_container **ret, unsigned *ret_n)
{
	void *v;
	int r = decode_list(p, len, sizeof(**ret), container_item, &v, ret_n);

	if (r == 0)
		*ret = v;
	return r;
}

/*
 * ContainerStatus: id 1, metadata 2, state 3, finished_at 6, exit_code 7 (int32: a
 * negative one arrives sign-extended to 64 bits), reason 10. The sandbox id is not in it.
 */
static int decode_container_status_msg(const struct fl_pb_field *f, void *out)
{
	struct fl_cri_container_status *st = out;
	struct fl_pb_reader r;
	struct fl_pb_field g;
	int n;

	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &g)) > 0) {
		if (g.num == 1 && g.wire == FL_PB_BYTES) {
			if (copy_exact(&g, st->c.id, sizeof(st->c.id)) < 0)
				return -EBADMSG;
		} else if (g.num == 2 && g.wire == FL_PB_BYTES) {
			if (decode_container_metadata(&g, &st->c) < 0)
				return -EBADMSG;
		} else if (g.num == 3 && g.wire == FL_PB_VARINT) {
			st->c.state = container_state(g.varint);
		} else if (g.num == 6 && g.wire == FL_PB_VARINT) {
			st->finished_at_ns = (int64_t)g.varint;
		} else if (g.num == 7 && g.wire == FL_PB_VARINT) {
			st->exit_code = (int32_t)(uint32_t)g.varint;
		} else if (g.num == 10 && g.wire == FL_PB_BYTES) {
			fl_pb_copy_string(&g, st->reason, sizeof(st->reason));
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

FL_TESTABLE int fl_cri_decode_container_status(const uint8_t *p, size_t len,
					       struct fl_cri_container_status *ret)
{
	struct fl_cri_container_status st = { 0 };
	int e = decode_status_reply(p, len, decode_container_status_msg, &st, &st.pid, NULL, 0);

	if (e == 0)
		*ret = st;
	return e;
}

/* VersionResponse: runtime_name 2, runtime_version 3, runtime_api_version 4. */
static int decode_version(const uint8_t *p, size_t len, void *ret, unsigned *ret_n _unused_)
{
	struct fl_cri_version v = { 0 };
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int e;

	fl_pb_reader_init(&r, p, len);
	while ((e = fl_pb_next(&r, &f)) > 0) {
		if (f.wire != FL_PB_BYTES)
			continue;
		if (f.num == 2)
			fl_pb_copy_string(&f, v.runtime_name, sizeof(v.runtime_name));
		else if (f.num == 3)
			fl_pb_copy_string(&f, v.runtime_version, sizeof(v.runtime_version));
		else if (f.num == 4)
			fl_pb_copy_string(&f, v.runtime_api_version, sizeof(v.runtime_api_version));
	}
	if (e < 0)
		return e;
	memcpy(ret, &v, sizeof(v));
	return 0;
}

/* The id (field 1) of a RunPodSandbox / CreateContainer reply, into ret[FL_CRI_ID_MAX]. */
static int decode_reply_id(const uint8_t *p, size_t len, void *ret, unsigned *ret_n _unused_)
{
	char id[FL_CRI_ID_MAX];
	struct fl_pb_field f;

	if (find_field(p, len, 1, FL_PB_BYTES, &f) <= 0 || copy_exact(&f, id, FL_CRI_ID_MAX) < 0 ||
	    !id[0])
		return -EBADMSG;
	memcpy(ret, id, strlen(id) + 1);
	return 0;
}

/* The typed reply decoders in the one shape call_decode() takes. */
static int sandboxes_reply(const uint8_t *p, size_t len, void *ret, unsigned *ret_n)
{
	return fl_cri_decode_list_sandboxes(p, len, ret, ret_n);
}

static int containers_reply(const uint8_t *p, size_t len, void *ret, unsigned *ret_n)
{
	return fl_cri_decode_list_containers(p, len, ret, ret_n);
}

static int sandbox_status_reply(const uint8_t *p, size_t len, void *ret, unsigned *ret_n _unused_)
{
	return fl_cri_decode_sandbox_status(p, len, ret);
}

static int container_status_reply(const uint8_t *p, size_t len, void *ret, unsigned *ret_n _unused_)
{
	return fl_cri_decode_container_status(p, len, ret);
}

/* ---- calls -------------------------------------------------------------------------- */

static int decode_error(struct fl_diag *diag, const char *method, int e)
{
	switch (e) {
	case -E2BIG:
		return fl_diag_set(diag, -E2BIG, "CRI %s: more than %u items in the reply", method,
				   MAX_ITEMS);
	case -ENOMEM:
		return fl_diag_set(diag, -ENOMEM, "CRI %s: out of memory", method);
	default:
		return fl_diag_set(diag, -EPROTO, "CRI %s: malformed protobuf reply", method);
	}
}

/* An id for a request: present, and short enough to be a real one. */
static int check_id(struct fl_diag *diag, const char *method, const char *id)
{
	if (!id || !*id)
		return fl_diag_set(diag, -EINVAL, "CRI %s: no id given", method);
	if (strnlen(id, FL_CRI_ID_MAX) >= FL_CRI_ID_MAX)
		return fl_diag_set(diag, -EINVAL, "CRI %s: id %.16s... is longer than %d", method,
				   id, FL_CRI_ID_MAX - 1);
	return 0;
}

/*
 * One call; the request is freed. decode() reads the reply into ret (and ret_n, a list's
 * length), written only on success; NULL when the reply is not read. A reply it refuses
 * fails the call in the method's name.
 */
static int call_decode(struct fl_cri *cri, const char *method, struct fl_pb_buf *req,
		       int (*decode)(const uint8_t *p, size_t len, void *ret, unsigned *ret_n),
		       void *ret, unsigned *ret_n, struct fl_diag *diag)
{
	const uint8_t *p;
	size_t len;
	int e = call(cri, method, req, &p, &len, diag);

	fl_pb_free(req);
	if (e < 0 || !decode)
		return e;
	e = decode(p, len, ret, ret_n);
	return e < 0 ? decode_error(diag, method, e) : 0;
}

/*
 * A request of one id (field 1). The *Status calls, whose reply decode() reads, ask for
 * verbose (2): the PID and, for a sandbox, the namespace paths. The others reply nothing.
 */
static int id_call(struct fl_cri *cri, const char *method, const char *id,
		   int (*decode)(const uint8_t *p, size_t len, void *ret, unsigned *ret_n),
		   void *ret, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	int e;

	if ((e = check_id(diag, method, id)) < 0)
		return e;
	fl_pb_string(&req, 1, id);
	if (decode)
		fl_pb_varint(&req, 2, 1); /* verbose */
	return call_decode(cri, method, &req, decode, ret, NULL, diag);
}

int fl_cri_version(struct fl_cri *cri, struct fl_cri_version *ret, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };

	fl_pb_string(&req, 1, "v1");
	return call_decode(cri, "Version", &req, decode_version, ret, NULL, diag);
}

int fl_cri_list_sandboxes(struct fl_cri *cri, struct fl_cri_sandbox **ret, unsigned *ret_n,
			  struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };

	return call_decode(cri, "ListPodSandbox", &req, sandboxes_reply, ret, ret_n, diag);
}

int fl_cri_sandbox_status(struct fl_cri *cri, const char *sandbox_id,
			  struct fl_cri_sandbox_status *ret, struct fl_diag *diag)
{
	return id_call(cri, "PodSandboxStatus", sandbox_id, sandbox_status_reply, ret, diag);
}

int fl_cri_list_containers(struct fl_cri *cri, const char *sandbox_id,
			   struct fl_cri_container **ret, unsigned *ret_n, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, filter = { 0 };
	int e;

	if (sandbox_id) {
		if ((e = check_id(diag, "ListContainers", sandbox_id)) < 0)
			return e;
		fl_pb_string(&filter, 3, sandbox_id); /* ContainerFilter.pod_sandbox_id */
		fl_pb_message(&req, 1, &filter);
		fl_pb_free(&filter);
	}
	return call_decode(cri, "ListContainers", &req, containers_reply, ret, ret_n, diag);
}

int fl_cri_container_status(struct fl_cri *cri, const char *container_id,
			    struct fl_cri_container_status *ret, struct fl_diag *diag)
{
	return id_call(cri, "ContainerStatus", container_id, container_status_reply, ret, diag);
}

int fl_cri_stop_container(struct fl_cri *cri, const char *container_id, int64_t timeout_s,
			  struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	long saved = cri->timeout_ms;
	int e;

	if ((e = check_id(diag, "StopContainer", container_id)) < 0)
		return e;
	if (timeout_s < 0 || timeout_s > MAX_GRACE_S)
		return fl_diag_set(diag, -EINVAL,
				   "CRI StopContainer: timeout %" PRId64 " s is not in 0..%d",
				   timeout_s, MAX_GRACE_S);
	fl_pb_string(&req, 1, container_id);
	fl_pb_varint(&req, 2, (uint64_t)timeout_s);
	/* The call lasts up to the grace period: give curl that much more. */
	cri->timeout_ms = saved + (long)timeout_s * 1000;
	e = call_decode(cri, "StopContainer", &req, NULL, NULL, NULL, diag);
	cri->timeout_ms = saved;
	return e;
}

int fl_cri_start_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag)
{
	return id_call(cri, "StartContainer", container_id, NULL, NULL, diag);
}

int fl_cri_remove_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag)
{
	return id_call(cri, "RemoveContainer", container_id, NULL, NULL, diag);
}

int fl_cri_stop_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag)
{
	return id_call(cri, "StopPodSandbox", sandbox_id, NULL, NULL, diag);
}

int fl_cri_remove_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag)
{
	return id_call(cri, "RemovePodSandbox", sandbox_id, NULL, NULL, diag);
}

static int check_pod(struct fl_diag *diag, const char *method, const struct fl_cri_pod_config *pod)
{
	if (!pod || !pod->name || !*pod->name || !pod->namespace || !*pod->namespace || !pod->uid ||
	    !*pod->uid)
		return fl_diag_set(diag, -EINVAL, "CRI %s: the pod needs a name, namespace and uid",
				   method);
	if (pod->log_directory && pod->log_directory[0] != '/')
		return fl_diag_set(diag, -EINVAL, "CRI %s: log directory %s is not absolute",
				   method, pod->log_directory);
	if (pod->n_labels > FL_CRI_MAX_LABELS || (pod->n_labels && !pod->labels))
		return fl_diag_set(diag, -EINVAL, "CRI %s: %u labels (at most %d)", method,
				   pod->n_labels, FL_CRI_MAX_LABELS);
	return 0;
}

/* PodSandboxConfig: metadata 1, log_directory 3, labels 6, linux 8. */
static void sandbox_config(struct fl_pb_buf *b, const struct fl_cri_pod_config *pod)
{
	struct fl_pb_buf meta = { 0 }, ns = { 0 }, sec = { 0 }, linux_cfg = { 0 };

	fl_pb_string(&meta, 1, pod->name);
	fl_pb_string(&meta, 2, pod->uid);
	fl_pb_string(&meta, 3, pod->namespace);
	fl_pb_message(b, 1, &meta);
	/* No hostname (2): runc cannot set one without a UTS namespace (host network). */
	if (pod->log_directory)
		fl_pb_string(b, 3, pod->log_directory);
	for (unsigned i = 0; i < pod->n_labels; i++)
		fl_pb_map_entry(b, 6, pod->labels[i].key, pod->labels[i].value);
	/* LinuxPodSandboxConfig.security_context (2).namespace_options (1): NamespaceOption
	 * network (1) NODE (2) for host network, pid (2) CONTAINER (1). */
	if (pod->host_network)
		fl_pb_varint(&ns, 1, 2);
	fl_pb_varint(&ns, 2, 1);
	fl_pb_message(&sec, 1, &ns);
	fl_pb_message(&linux_cfg, 2, &sec);
	fl_pb_message(b, 8, &linux_cfg);
	fl_pb_free(&meta);
	fl_pb_free(&ns);
	fl_pb_free(&sec);
	fl_pb_free(&linux_cfg);
}

int fl_cri_run_sandbox(struct fl_cri *cri, const struct fl_cri_pod_config *pod, char *ret_id,
		       struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, cfg = { 0 };
	long saved = cri->timeout_ms;
	int e;

	if ((e = check_pod(diag, "RunPodSandbox", pod)) < 0)
		return e;
	sandbox_config(&cfg, pod);
	fl_pb_message(&req, 1, &cfg);
	cri->timeout_ms = saved < 30000 ? 30000 : saved; /* CNI set-up can take a while */
	e = call_decode(cri, "RunPodSandbox", &req, decode_reply_id, ret_id, NULL, diag);
	cri->timeout_ms = saved;
	fl_pb_free(&cfg);
	return e;
}

/* Mount (ContainerConfig.mounts 7) from "host_path:container_path[:ro]". */
static int add_mount(struct fl_pb_buf *cfg, const char *spec, struct fl_diag *diag)
{
	struct fl_pb_buf m = { 0 };
	const char *colon = strchr(spec, ':'), *ctr, *end;
	size_t clen;

	if (!colon || spec[0] != '/' || colon[1] != '/')
		return fl_diag_set(diag, -EINVAL,
				   "CRI CreateContainer: mount %s: expected "
				   "/host/path:/container/path[:ro]",
				   spec);
	ctr = colon + 1;
	end = strchr(ctr, ':');
	clen = end ? (size_t)(end - ctr) : strlen(ctr);
	if (end && strcmp(end, ":ro") != 0)
		return fl_diag_set(diag, -EINVAL,
				   "CRI CreateContainer: mount %s: unknown option %s", spec,
				   end + 1);
	fl_pb_bytes(&m, 1, ctr, clen);			  /* container_path */
	fl_pb_bytes(&m, 2, spec, (size_t)(colon - spec)); /* host_path */
	if (end)
		fl_pb_varint(&m, 3, 1); /* readonly */
	fl_pb_message(cfg, 7, &m);
	fl_pb_free(&m);
	return 0;
}

/*
 * ContainerConfig: metadata 1 (name 1, attempt 2), image 2, command 3, args 4, mounts 7,
 * log_path 11, linux 15. Attempt 0 is left out, as proto3 encoders do.
 */
FL_TESTABLE int fl_cri_encode_container_config(struct fl_pb_buf *cfg,
					       const struct fl_cri_container_config *c,
					       struct fl_diag *diag)
{
	struct fl_pb_buf meta = { 0 }, image = { 0 }, ns = { 0 }, sec = { 0 }, linux_cfg = { 0 };
	int e = 0;

	fl_pb_string(&meta, 1, c->name);
	if (c->attempt)
		fl_pb_varint(&meta, 2, c->attempt);
	fl_pb_message(cfg, 1, &meta);
	fl_pb_string(&image, 1, c->image);
	fl_pb_message(cfg, 2, &image);
	for (const char *const *s = c->command; s && *s; s++)
		fl_pb_string(cfg, 3, *s);
	for (const char *const *s = c->args; s && *s; s++)
		fl_pb_string(cfg, 4, *s);
	for (const char *const *m = c->mounts; m && *m && e == 0; m++)
		e = add_mount(cfg, *m, diag);
	if (c->log_path)
		fl_pb_string(cfg, 11, c->log_path);
	/* LinuxContainerConfig.security_context (2).namespace_options (3): the pod's network,
	 * a PID namespace of its own (pid CONTAINER): the command is PID 1 there. */
	fl_pb_varint(&ns, 2, 1);
	fl_pb_message(&sec, 3, &ns);
	fl_pb_message(&linux_cfg, 2, &sec);
	fl_pb_message(cfg, 15, &linux_cfg);
	fl_pb_free(&meta);
	fl_pb_free(&image);
	fl_pb_free(&ns);
	fl_pb_free(&sec);
	fl_pb_free(&linux_cfg);
	return e;
}

int fl_cri_create_container(struct fl_cri *cri, const char *sandbox_id,
			    const struct fl_cri_pod_config *pod,
			    const struct fl_cri_container_config *c, char *ret_id,
			    struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, cfg = { 0 }, sb = { 0 };
	int e;

	if ((e = check_id(diag, "CreateContainer", sandbox_id)) < 0 ||
	    (e = check_pod(diag, "CreateContainer", pod)) < 0)
		return e;
	if (!c || !c->name || !*c->name || !c->image || !*c->image)
		return fl_diag_set(diag, -EINVAL,
				   "CRI CreateContainer: the container needs a name and an image");
	if ((e = fl_cri_encode_container_config(&cfg, c, diag)) < 0) {
		fl_pb_free(&cfg);
		return e;
	}
	sandbox_config(&sb, pod);
	fl_pb_string(&req, 1, sandbox_id);
	fl_pb_message(&req, 2, &cfg);
	fl_pb_message(&req, 3, &sb);
	e = call_decode(cri, "CreateContainer", &req, decode_reply_id, ret_id, NULL, diag);
	fl_pb_free(&cfg);
	fl_pb_free(&sb);
	return e;
}
