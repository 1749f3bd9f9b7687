/* SPDX-License-Identifier: MIT */
/*
 * runtime.v1.RuntimeService over the CRI unix socket: gRPC by hand with libcurl (HTTP/2
 * prior knowledge, POST /runtime.v1.RuntimeService/<Method>, 5-byte frame + protobuf), the
 * grpc-status trailer deciding success. Field numbers are those of k8s.io/cri-api
 * pkg/apis/runtime/v1/api.proto. Response decoders are separate pure functions (fuzzed).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
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

struct fl_cri {
	CURL *curl;
	char socket_path[256];
	long timeout_ms;
	/* Per call. */
	uint8_t *resp;
	size_t resp_len;
	bool resp_too_big;
	int grpc_status; /* -1: no grpc-status seen */
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

	if (!socket_path || !*socket_path || strlen(socket_path) >= sizeof(cri->socket_path))
		return fl_diag_set(diag, -EINVAL, "CRI: no socket path configured");
	if (stat(socket_path, &st) < 0)
		return fl_diag_set(diag, -ECONNREFUSED, "CRI socket %s: %s", socket_path,
				   strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return fl_diag_set(diag, -EINVAL, "CRI socket %s: not a socket", socket_path);
	pthread_once(&curl_once, curl_init_once);
	cri = calloc(1, sizeof(*cri));
	if (!cri || !(cri->curl = curl_easy_init())) {
		free(cri);
		return -ENOMEM;
	}
	(void)snprintf(cri->socket_path, sizeof(cri->socket_path), "%s", socket_path);
	cri->timeout_ms = timeout_ms ? (long)timeout_ms : 5000;
	*ret = cri;
	return 0;
}

struct fl_cri *fl_cri_close(struct fl_cri *cri)
{
	if (cri) {
		curl_easy_cleanup(cri->curl);
		free(cri->resp);
		free(cri);
	}
	return NULL;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct fl_cri *cri = userdata;
	size_t n = size * nmemb;
	uint8_t *nr;

	if (cri->resp_len + n > MAX_RESPONSE) {
		cri->resp_too_big = true;
		return 0; /* aborts the transfer */
	}
	nr = realloc(cri->resp, cri->resp_len + n);
	if (!nr)
		return 0;
	memcpy(nr + cri->resp_len, ptr, n);
	cri->resp = nr;
	cri->resp_len += n;
	return n;
}

/* grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
static void percent_decode(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++) {
		if (in[i] == '%' && i + 2 < len) {
			char hex[3] = { in[i + 1], in[i + 2], 0 };
			char *end;
			long v = strtol(hex, &end, 16);

			if (*end == '\0') {
				out[o++] = (char)v;
				i += 2;
				continue;
			}
		}
		out[o++] = in[i];
	}
	out[o] = '\0';
}

/* Headers and trailers both come here: pick grpc-status and grpc-message. */
static size_t on_header(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct fl_cri *cri = userdata;
	size_t n = size * nitems, vlen;
	const char *v;

	while (n && (buf[n - 1] == '\r' || buf[n - 1] == '\n'))
		n--;
	if (n > 12 && strncasecmp(buf, "grpc-status:", 12) == 0) {
		v = buf + 12;
		vlen = n - 12;
		while (vlen && *v == ' ')
			v++, vlen--;
		cri->grpc_status = 0;
		for (size_t i = 0; i < vlen && v[i] >= '0' && v[i] <= '9'; i++)
			cri->grpc_status = cri->grpc_status * 10 + (v[i] - '0');
	} else if (n > 13 && strncasecmp(buf, "grpc-message:", 13) == 0) {
		v = buf + 13;
		vlen = n - 13;
		while (vlen && *v == ' ')
			v++, vlen--;
		percent_decode(v, vlen, cri->grpc_message, sizeof(cri->grpc_message));
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
	case 6: /* ALREADY_EXISTS */
		return -EEXIST;
	case 7: /* PERMISSION_DENIED */
		return -EPERM;
	case 12: /* UNIMPLEMENTED */
		return -EOPNOTSUPP;
	case 14: /* UNAVAILABLE */
		return -ECONNREFUSED;
	default:
		return -EIO;
	}
}

/*
 * One unary call. On success *ret / *ret_len point into cri->resp (the message after the
 * 5-byte frame header), valid until the next call.
 */
static int call(struct fl_cri *cri, const char *method, const struct fl_pb_buf *req,
		const uint8_t **ret, size_t *ret_len, struct fl_diag *diag)
{
	struct curl_slist *hdrs = NULL;
	char url[128], errbuf[CURL_ERROR_SIZE] = "";
	uint8_t *frame;
	uint32_t mlen;
	long http = 0;
	CURLcode cc;

	if (req->err)
		return -ENOMEM;
	frame = malloc(5 + req->len);
	if (!frame)
		return -ENOMEM;
	frame[0] = 0; /* not compressed */
	frame[1] = (uint8_t)(req->len >> 24);
	frame[2] = (uint8_t)(req->len >> 16);
	frame[3] = (uint8_t)(req->len >> 8);
	frame[4] = (uint8_t)req->len;
	if (req->len)
		memcpy(frame + 5, req->data, req->len);
	free(cri->resp);
	cri->resp = NULL;
	cri->resp_len = 0;
	cri->resp_too_big = false;
	cri->grpc_status = -1;
	cri->grpc_message[0] = '\0';
	(void)snprintf(url, sizeof(url), "http://localhost/" SERVICE "/%s", method);
	hdrs = curl_slist_append(hdrs, "content-type: application/grpc");
	hdrs = curl_slist_append(hdrs, "te: trailers");
	curl_easy_reset(cri->curl);
	curl_easy_setopt(cri->curl, CURLOPT_URL, url);
	curl_easy_setopt(cri->curl, CURLOPT_UNIX_SOCKET_PATH, cri->socket_path);
	curl_easy_setopt(cri->curl, CURLOPT_HTTP_VERSION,
			 (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE);
	curl_easy_setopt(cri->curl, CURLOPT_POST, 1L);
	curl_easy_setopt(cri->curl, CURLOPT_POSTFIELDS, frame);
	curl_easy_setopt(cri->curl, CURLOPT_POSTFIELDSIZE, (long)(5 + req->len));
	curl_easy_setopt(cri->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(cri->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cri->curl, CURLOPT_WRITEDATA, cri);
	curl_easy_setopt(cri->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(cri->curl, CURLOPT_HEADERDATA, cri);
	curl_easy_setopt(cri->curl, CURLOPT_TIMEOUT_MS, cri->timeout_ms);
	curl_easy_setopt(cri->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(cri->curl, CURLOPT_NOSIGNAL, 1L);
	/*
	 * A fresh connection per call: reusing the HTTP/2 connection after a completed gRPC
	 * stream fails with "Error in the HTTP2 framing layer" (curl 7.88 + containerd 1.6).
	 * A unix-socket connect costs microseconds.
	 */
	curl_easy_setopt(cri->curl, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(cri->curl, CURLOPT_FORBID_REUSE, 1L);
	cc = curl_easy_perform(cri->curl);
	curl_slist_free_all(hdrs);
	free(frame);
	if (cc != CURLE_OK) {
		int e = cc == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -ECONNREFUSED;

		if (cri->resp_too_big)
			e = -E2BIG;
		return fl_diag_set(diag, e, "CRI %s at %s: %s", method, cri->socket_path,
				   errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	curl_easy_getinfo(cri->curl, CURLINFO_RESPONSE_CODE, &http);
	if (cri->grpc_status < 0)
		return fl_diag_set(diag, -EPROTO, "CRI %s: HTTP %ld without a grpc-status", method,
				   http);
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

/* ---- pure decoders -------------------------------------------------------------------- */

static int decode_map_entry(const struct fl_pb_field *f, char *key, size_t ksize, char *val,
			    size_t vsize)
{
	struct fl_pb_reader r;
	struct fl_pb_field e;
	int n;

	key[0] = val[0] = '\0';
	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &e)) > 0) {
		if (e.num == 1 && e.wire == FL_PB_BYTES)
			fl_pb_copy_string(&e, key, ksize);
		else if (e.num == 2 && e.wire == FL_PB_BYTES)
			fl_pb_copy_string(&e, val, vsize);
	}
	return n;
}

static int decode_sandbox_metadata(const struct fl_pb_field *f, struct fl_cri_sandbox *sb)
{
	struct fl_pb_reader r;
	struct fl_pb_field m;
	int n;

	fl_pb_reader_init(&r, f->data, f->len);
	while ((n = fl_pb_next(&r, &m)) > 0) {
		if (m.wire != FL_PB_BYTES)
			continue;
		if (m.num == 1)
			fl_pb_copy_string(&m, sb->name, sizeof(sb->name));
		else if (m.num == 2)
			fl_pb_copy_string(&m, sb->uid, sizeof(sb->uid));
		else if (m.num == 3)
			fl_pb_copy_string(&m, sb->namespace, sizeof(sb->namespace));
	}
	return n;
}

/* PodSandbox (ListPodSandbox) and PodSandboxStatus share id/metadata/state/labels numbers,
 * except labels: 5 in PodSandbox, 7 in PodSandboxStatus. */
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
			fl_pb_copy_string(&f, sb->id, sizeof(sb->id));
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			if (decode_sandbox_metadata(&f, sb) < 0)
				return -EBADMSG;
		} else if (f.num == 3 && f.wire == FL_PB_VARINT) {
			sb->state = f.varint == 0 ? FL_CRI_SANDBOX_READY : FL_CRI_SANDBOX_NOTREADY;
		} else if (f.num == labels_num && f.wire == FL_PB_BYTES &&
			   sb->n_labels < FL_CRI_MAX_LABELS) {
			struct fl_cri_label *l = &sb->labels[sb->n_labels];

			if (decode_map_entry(&f, l->key, sizeof(l->key), l->value,
					     sizeof(l->value)) < 0)
				return -EBADMSG;
			sb->n_labels++;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

FL_TESTABLE int fl_cri_decode_list_sandboxes(const uint8_t *p, size_t len,
					     struct fl_cri_sandbox **ret, unsigned *ret_n)
{
	struct fl_cri_sandbox *v = NULL;
	unsigned n = 0, cap = 0;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int k;

	fl_pb_reader_init(&r, p, len);
	while ((k = fl_pb_next(&r, &f)) > 0) {
		if (f.num != 1 || f.wire != FL_PB_BYTES)
			continue;
		if (n == cap) {
			struct fl_cri_sandbox *nv;

			cap = cap ? cap * 2 : 16;
			if (cap > 100000 || !(nv = realloc(v, cap * sizeof(*v)))) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		if (decode_sandbox(f.data, f.len, 5, &v[n]) < 0) {
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

/* The verbose "info" JSON: the sandbox/container PID and, for sandboxes, the netns path. */
static void parse_info_json(const char *json, int *ret_pid, char *netns, size_t netns_size)
{
	json_t *root = json_loads(json, JSON_DECODE_ANY, NULL), *nss;
	size_t i;
	json_t *ns;

	if (!root)
		return;
	if (json_is_integer(json_object_get(root, "pid")))
		*ret_pid = (int)json_integer_value(json_object_get(root, "pid"));
	nss = json_object_get(json_object_get(json_object_get(root, "runtimeSpec"), "linux"),
			      "namespaces");
	json_array_foreach(nss, i, ns)
	{
		const char *type = json_string_value(json_object_get(ns, "type"));
		const char *path = json_string_value(json_object_get(ns, "path"));

		if (netns && type && path && strcmp(type, "network") == 0)
			(void)snprintf(netns, netns_size, "%s", path);
	}
	json_decref(root);
}

/* PodSandboxStatus.linux (6) -> namespaces (1) -> options (2) -> network (1) == NODE (2). */
static bool decode_host_network(const struct fl_pb_field *linux_f)
{
	static const uint32_t path[] = { 1, 2 };
	const uint8_t *p = linux_f->data;
	size_t len = linux_f->len;
	struct fl_pb_reader r;
	struct fl_pb_field f;

	for (size_t depth = 0; depth < 2; depth++) {
		bool found = false;

		fl_pb_reader_init(&r, p, len);
		while (fl_pb_next(&r, &f) > 0) {
			if (f.num == path[depth] && f.wire == FL_PB_BYTES) {
				p = f.data;
				len = f.len;
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	fl_pb_reader_init(&r, p, len);
	while (fl_pb_next(&r, &f) > 0)
		if (f.num == 1 && f.wire == FL_PB_VARINT)
			return f.varint == 2;
	return false;
}

FL_TESTABLE int fl_cri_decode_sandbox_status(const uint8_t *p, size_t len,
					     struct fl_cri_sandbox_status *ret)
{
	struct fl_cri_sandbox_status st = { 0 };
	struct fl_pb_reader r, s;
	struct fl_pb_field f, g;
	int n;

	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire == FL_PB_BYTES) {
			if (decode_sandbox(f.data, f.len, 7, &st.sb) < 0)
				return -EBADMSG;
			fl_pb_reader_init(&s, f.data, f.len);
			while (fl_pb_next(&s, &g) > 0) {
				if (g.num == 5 && g.wire == FL_PB_BYTES) {
					struct fl_pb_reader ip;
					struct fl_pb_field h;

					fl_pb_reader_init(&ip, g.data, g.len);
					while (fl_pb_next(&ip, &h) > 0)
						if (h.num == 1 && h.wire == FL_PB_BYTES)
							fl_pb_copy_string(&h, st.ip, sizeof(st.ip));
				} else if (g.num == 6 && g.wire == FL_PB_BYTES) {
					st.host_network = decode_host_network(&g);
				}
			}
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			char key[32];
			char *val = malloc(1 << 20);

			if (!val)
				return -ENOMEM;
			if (decode_map_entry(&f, key, sizeof(key), val, 1 << 20) == 0 &&
			    strcmp(key, "info") == 0)
				parse_info_json(val, &st.pid, st.netns_path, sizeof(st.netns_path));
			free(val);
		}
	}
	if (n < 0)
		return -EBADMSG;
	*ret = st;
	return 0;
}

static int decode_container(const uint8_t *p, size_t len, struct fl_cri_container *c)
{
	struct fl_pb_reader r, m;
	struct fl_pb_field f, g;
	int n;

	memset(c, 0, sizeof(*c));
	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire == FL_PB_BYTES) {
			fl_pb_copy_string(&f, c->id, sizeof(c->id));
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			fl_pb_copy_string(&f, c->sandbox_id, sizeof(c->sandbox_id));
		} else if (f.num == 3 && f.wire == FL_PB_BYTES) {
			fl_pb_reader_init(&m, f.data, f.len);
			while (fl_pb_next(&m, &g) > 0) {
				if (g.num == 1 && g.wire == FL_PB_BYTES)
					fl_pb_copy_string(&g, c->name, sizeof(c->name));
				else if (g.num == 2 && g.wire == FL_PB_VARINT)
					c->attempt = (uint32_t)g.varint;
			}
		} else if (f.num == 6 && f.wire == FL_PB_VARINT) {
			c->state = f.varint <= 3 ? (enum fl_cri_container_state)f.varint
						 : FL_CRI_CONTAINER_UNKNOWN;
		}
	}
	return n < 0 ? -EBADMSG : 0;
}

FL_TESTABLE int fl_cri_decode_list_containers(const uint8_t *p, size_t len,
					      struct fl_cri_container **ret, unsigned *ret_n)
{
	struct fl_cri_container *v = NULL;
	unsigned n = 0, cap = 0;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	int k;

	fl_pb_reader_init(&r, p, len);
	while ((k = fl_pb_next(&r, &f)) > 0) {
		if (f.num != 1 || f.wire != FL_PB_BYTES)
			continue;
		if (n == cap) {
			struct fl_cri_container *nv;

			cap = cap ? cap * 2 : 16;
			if (cap > 100000 || !(nv = realloc(v, cap * sizeof(*v)))) {
				free(v);
				return -ENOMEM;
			}
			v = nv;
		}
		if (decode_container(f.data, f.len, &v[n]) < 0) {
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

FL_TESTABLE int fl_cri_decode_container_status(const uint8_t *p, size_t len,
					       struct fl_cri_container_status *ret)
{
	struct fl_cri_container_status st = { 0 };
	struct fl_pb_reader r, s, m;
	struct fl_pb_field f, g, h;
	int n;

	fl_pb_reader_init(&r, p, len);
	while ((n = fl_pb_next(&r, &f)) > 0) {
		if (f.num == 1 && f.wire == FL_PB_BYTES) {
			fl_pb_reader_init(&s, f.data, f.len);
			while (fl_pb_next(&s, &g) > 0) {
				if (g.num == 1 && g.wire == FL_PB_BYTES) {
					fl_pb_copy_string(&g, st.c.id, sizeof(st.c.id));
				} else if (g.num == 2 && g.wire == FL_PB_BYTES) {
					fl_pb_reader_init(&m, g.data, g.len);
					while (fl_pb_next(&m, &h) > 0) {
						if (h.num == 1 && h.wire == FL_PB_BYTES)
							fl_pb_copy_string(&h, st.c.name,
									  sizeof(st.c.name));
						else if (h.num == 2 && h.wire == FL_PB_VARINT)
							st.c.attempt = (uint32_t)h.varint;
					}
				} else if (g.num == 3 && g.wire == FL_PB_VARINT) {
					st.c.state = g.varint <= 3
							     ? (enum fl_cri_container_state)g.varint
							     : FL_CRI_CONTAINER_UNKNOWN;
				} else if (g.num == 6 && g.wire == FL_PB_VARINT) {
					st.finished_at_ns = (int64_t)g.varint;
				} else if (g.num == 7 && g.wire == FL_PB_VARINT) {
					st.exit_code = (int32_t)(uint32_t)g.varint;
				} else if (g.num == 10 && g.wire == FL_PB_BYTES) {
					fl_pb_copy_string(&g, st.reason, sizeof(st.reason));
				}
			}
		} else if (f.num == 2 && f.wire == FL_PB_BYTES) {
			char key[32];
			char *val = malloc(1 << 20);

			if (!val)
				return -ENOMEM;
			if (decode_map_entry(&f, key, sizeof(key), val, 1 << 20) == 0 &&
			    strcmp(key, "info") == 0)
				parse_info_json(val, &st.pid, NULL, 0);
			free(val);
		}
	}
	if (n < 0)
		return -EBADMSG;
	*ret = st;
	return 0;
}

/* ---- calls -------------------------------------------------------------------------- */

static int bad_reply(struct fl_diag *diag, const char *method)
{
	return fl_diag_set(diag, -EPROTO, "CRI %s: malformed protobuf reply", method);
}

int fl_cri_version(struct fl_cri *cri, struct fl_cri_version *ret, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	struct fl_cri_version v = { 0 };
	struct fl_pb_reader r;
	struct fl_pb_field f;
	const uint8_t *p;
	size_t len;
	int e;

	fl_pb_string(&req, 1, "v1");
	e = call(cri, "Version", &req, &p, &len, diag);
	fl_pb_free(&req);
	if (e < 0)
		return e;
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
		return bad_reply(diag, "Version");
	*ret = v;
	return 0;
}

int fl_cri_list_sandboxes(struct fl_cri *cri, struct fl_cri_sandbox **ret, unsigned *ret_n,
			  struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	const uint8_t *p;
	size_t len;
	int e = call(cri, "ListPodSandbox", &req, &p, &len, diag);

	if (e < 0)
		return e;
	e = fl_cri_decode_list_sandboxes(p, len, ret, ret_n);
	return e == -EBADMSG ? bad_reply(diag, "ListPodSandbox") : e;
}

int fl_cri_sandbox_status(struct fl_cri *cri, const char *sandbox_id,
			  struct fl_cri_sandbox_status *ret, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	const uint8_t *p;
	size_t len;
	int e;

	fl_pb_string(&req, 1, sandbox_id);
	fl_pb_varint(&req, 2, 1); /* verbose: the PID and the namespace paths */
	e = call(cri, "PodSandboxStatus", &req, &p, &len, diag);
	fl_pb_free(&req);
	if (e < 0)
		return e;
	e = fl_cri_decode_sandbox_status(p, len, ret);
	return e == -EBADMSG ? bad_reply(diag, "PodSandboxStatus") : e;
}

int fl_cri_list_containers(struct fl_cri *cri, const char *sandbox_id,
			   struct fl_cri_container **ret, unsigned *ret_n, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, filter = { 0 };
	const uint8_t *p;
	size_t len;
	int e;

	if (sandbox_id) {
		fl_pb_string(&filter, 3, sandbox_id);
		fl_pb_message(&req, 1, &filter);
		fl_pb_free(&filter);
	}
	e = call(cri, "ListContainers", &req, &p, &len, diag);
	fl_pb_free(&req);
	if (e < 0)
		return e;
	e = fl_cri_decode_list_containers(p, len, ret, ret_n);
	return e == -EBADMSG ? bad_reply(diag, "ListContainers") : e;
}

int fl_cri_container_status(struct fl_cri *cri, const char *container_id,
			    struct fl_cri_container_status *ret, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	const uint8_t *p;
	size_t len;
	int e;

	fl_pb_string(&req, 1, container_id);
	fl_pb_varint(&req, 2, 1);
	e = call(cri, "ContainerStatus", &req, &p, &len, diag);
	fl_pb_free(&req);
	if (e < 0)
		return e;
	e = fl_cri_decode_container_status(p, len, ret);
	return e == -EBADMSG ? bad_reply(diag, "ContainerStatus") : e;
}

static int id_call(struct fl_cri *cri, const char *method, const char *id, int64_t timeout,
		   bool with_timeout, struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 };
	const uint8_t *p;
	size_t len;
	long saved = cri->timeout_ms;
	int e;

	fl_pb_string(&req, 1, id);
	if (with_timeout) {
		fl_pb_varint(&req, 2, (uint64_t)timeout);
		/* The call lasts up to the grace period: give curl that much more. */
		cri->timeout_ms = saved + (long)timeout * 1000;
	}
	e = call(cri, method, &req, &p, &len, diag);
	cri->timeout_ms = saved;
	fl_pb_free(&req);
	return e;
}

int fl_cri_stop_container(struct fl_cri *cri, const char *container_id, int64_t timeout_s,
			  struct fl_diag *diag)
{
	return id_call(cri, "StopContainer", container_id, timeout_s, true, diag);
}

int fl_cri_start_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag)
{
	return id_call(cri, "StartContainer", container_id, 0, false, diag);
}

int fl_cri_remove_container(struct fl_cri *cri, const char *container_id, struct fl_diag *diag)
{
	return id_call(cri, "RemoveContainer", container_id, 0, false, diag);
}

int fl_cri_stop_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag)
{
	return id_call(cri, "StopPodSandbox", sandbox_id, 0, false, diag);
}

int fl_cri_remove_sandbox(struct fl_cri *cri, const char *sandbox_id, struct fl_diag *diag)
{
	return id_call(cri, "RemovePodSandbox", sandbox_id, 0, false, diag);
}

/* PodSandboxConfig: metadata, log directory, labels, linux.security_context.namespaces. */
static void sandbox_config(struct fl_pb_buf *b, const struct fl_cri_pod_config *pod)
{
	struct fl_pb_buf meta = { 0 }, ns = { 0 }, sec = { 0 }, linux_cfg = { 0 };

	fl_pb_string(&meta, 1, pod->name);
	fl_pb_string(&meta, 2, pod->uid);
	fl_pb_string(&meta, 3, pod->namespace);
	fl_pb_message(b, 1, &meta);
	if (pod->log_directory)
		fl_pb_string(b, 3, pod->log_directory);
	for (unsigned i = 0; i < pod->n_labels; i++)
		fl_pb_map_entry(b, 6, pod->labels[i].key, pod->labels[i].value);
	/* NamespaceOption: network NODE (2) for host network; pid CONTAINER (1). */
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

static int reply_id(const uint8_t *p, size_t len, char *ret_id)
{
	struct fl_pb_reader r;
	struct fl_pb_field f;

	ret_id[0] = '\0';
	fl_pb_reader_init(&r, p, len);
	while (fl_pb_next(&r, &f) > 0)
		if (f.num == 1 && f.wire == FL_PB_BYTES)
			fl_pb_copy_string(&f, ret_id, FL_CRI_ID_MAX);
	return ret_id[0] ? 0 : -EPROTO;
}

int fl_cri_run_sandbox(struct fl_cri *cri, const struct fl_cri_pod_config *pod, char *ret_id,
		       struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, cfg = { 0 };
	const uint8_t *p;
	size_t len;
	long saved = cri->timeout_ms;
	int e;

	sandbox_config(&cfg, pod);
	fl_pb_message(&req, 1, &cfg);
	cri->timeout_ms = saved < 30000 ? 30000 : saved; /* CNI set-up can take a while */
	e = call(cri, "RunPodSandbox", &req, &p, &len, diag);
	cri->timeout_ms = saved;
	fl_pb_free(&cfg);
	fl_pb_free(&req);
	if (e < 0)
		return e;
	return reply_id(p, len, ret_id) < 0 ? bad_reply(diag, "RunPodSandbox") : 0;
}

int fl_cri_create_container(struct fl_cri *cri, const char *sandbox_id,
			    const struct fl_cri_pod_config *pod,
			    const struct fl_cri_container_config *c, char *ret_id,
			    struct fl_diag *diag)
{
	struct fl_pb_buf req = { 0 }, cfg = { 0 }, meta = { 0 }, image = { 0 }, sb = { 0 };
	struct fl_pb_buf ns = { 0 }, sec = { 0 }, linux_cfg = { 0 };
	const uint8_t *p;
	size_t len;
	int e;

	fl_pb_string(&meta, 1, c->name);
	fl_pb_message(&cfg, 1, &meta);
	fl_pb_string(&image, 1, c->image);
	fl_pb_message(&cfg, 2, &image);
	for (const char *const *s = c->command; s && *s; s++)
		fl_pb_string(&cfg, 3, *s);
	for (const char *const *s = c->args; s && *s; s++)
		fl_pb_string(&cfg, 4, *s);
	for (const char *const *m = c->mounts; m && *m; m++) {
		struct fl_pb_buf mount = { 0 };
		char host[256], ctr[256];
		const char *colon = strchr(*m, ':');
		bool ro = strstr(*m, ":ro") != NULL;

		if (!colon)
			continue;
		(void)snprintf(host, sizeof(host), "%.*s", (int)(colon - *m), *m);
		(void)snprintf(ctr, sizeof(ctr), "%.*s", (int)strcspn(colon + 1, ":"), colon + 1);
		fl_pb_string(&mount, 1, ctr);
		fl_pb_string(&mount, 2, host);
		if (ro)
			fl_pb_varint(&mount, 3, 1);
		fl_pb_message(&cfg, 7, &mount);
		fl_pb_free(&mount);
	}
	if (c->log_path)
		fl_pb_string(&cfg, 11, c->log_path);
	/* The container shares the pod's network; its PID namespace is its own. */
	fl_pb_varint(&ns, 2, 1);
	fl_pb_message(&sec, 3, &ns);
	fl_pb_message(&linux_cfg, 2, &sec);
	fl_pb_message(&cfg, 15, &linux_cfg);
	sandbox_config(&sb, pod);
	fl_pb_string(&req, 1, sandbox_id);
	fl_pb_message(&req, 2, &cfg);
	fl_pb_message(&req, 3, &sb);
	e = call(cri, "CreateContainer", &req, &p, &len, diag);
	fl_pb_free(&req);
	fl_pb_free(&cfg);
	fl_pb_free(&meta);
	fl_pb_free(&image);
	fl_pb_free(&sb);
	fl_pb_free(&ns);
	fl_pb_free(&sec);
	fl_pb_free(&linux_cfg);
	if (e < 0)
		return e;
	return reply_id(p, len, ret_id) < 0 ? bad_reply(diag, "CreateContainer") : 0;
}
