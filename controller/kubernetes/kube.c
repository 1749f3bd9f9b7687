/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes API client (kube.h): the connection's PEM written where libcurl can read
 * it, requests through agent_client.c, answers parsed and errors explained.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_client.h"
#include "kube.h"

#define KUBE_TIMEOUT_MS 30000
#define KUBE_MAX_ANSWER (64u << 20) /* a list of 10,000 pods is ~50 MB of JSON */
#define QUOTED_BODY_MAX 200	    /* bytes of a non-JSON answer shown in a message */

struct fl_kube {
	struct fl_agent_client *http;
	char *server;
	char dir[64]; /* the private directory of PEM files; "" when none was needed */
};

/* pem into DIR/name (0600), the path into path[size]. */
static int write_pem(struct fl_kube *k, const char *name, const char *pem, char *path, size_t size,
		     struct fl_diag *diag)
{
	size_t len = strlen(pem);
	int fd;

	if (!k->dir[0]) {
		(void)snprintf(k->dir, sizeof(k->dir), "/tmp/faultline-kube-XXXXXX");
		if (!mkdtemp(k->dir)) {
			k->dir[0] = '\0';
			return fl_diag_set(diag, -errno,
					   "kubernetes: a private directory in /tmp: %s",
					   strerror(errno));
		}
	}
	(void)snprintf(path, size, "%s/%s", k->dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, pem, len) != (ssize_t)len) {
		int e = errno ? errno : EIO;

		if (fd >= 0)
			close(fd);
		return fl_diag_set(diag, -e, "kubernetes: writing %s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

static void remove_dir(struct fl_kube *k)
{
	static const char *const names[] = { "ca.crt", "client.crt", "client.key" };
	char path[128];

	if (!k->dir[0])
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", k->dir, names[i]);
		(void)unlink(path);
	}
	(void)rmdir(k->dir);
	k->dir[0] = '\0';
}

int fl_kube_open(const struct fl_kube_conn *conn, struct fl_kube **ret, struct fl_diag *diag)
{
	char ca[128] = "", cert[128] = "", key[128] = "";
	struct fl_agent_client_config cfg = { .address = conn->server,
					      .name = "kubernetes",
					      .bearer_token = conn->token,
					      .timeout_ms = KUBE_TIMEOUT_MS,
					      .max_response = KUBE_MAX_ANSWER };
	struct fl_kube *k;
	int r = 0;

	if (conn->insecure)
		return fl_diag_set(diag, -ENOTSUP,
				   "kubernetes %s: insecure-skip-tls-verify is "
				   "not supported: give the cluster's CA",
				   conn->server);
	k = calloc(1, sizeof(*k));
	if (!k || !(k->server = strdup(conn->server))) {
		free(k);
		return fl_diag_set(diag, -ENOMEM, "kubernetes: out of memory");
	}
	if (conn->ca_pem)
		r = write_pem(k, "ca.crt", conn->ca_pem, ca, sizeof(ca), diag);
	if (r == 0 && conn->cert_pem && conn->key_pem) {
		r = write_pem(k, "client.crt", conn->cert_pem, cert, sizeof(cert), diag);
		if (r == 0)
			r = write_pem(k, "client.key", conn->key_pem, key, sizeof(key), diag);
	}
	cfg.tls_ca = ca[0] ? ca : NULL;
	cfg.tls_cert = cert[0] ? cert : NULL;
	cfg.tls_key = key[0] ? key : NULL;
	if (r == 0)
		r = fl_agent_client_new(&cfg, &k->http, diag);
	if (r < 0) {
		fl_kube_close(k);
		return r;
	}
	*ret = k;
	return 0;
}

struct fl_kube *fl_kube_close(struct fl_kube *k)
{
	if (!k)
		return NULL;
	fl_agent_client_free(k->http);
	remove_dir(k);
	free(k->server);
	free(k);
	return NULL;
}

const char *fl_kube_server(const struct fl_kube *k)
{
	return k->server;
}

static int errno_for_status(int status)
{
	switch (status) {
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 409:
		return -EEXIST;
	case 410:
		return -ESTALE;
	case 422:
		return -EINVAL;
	case 429:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

/* A non-2xx answer as diag: the Status object's reason and message when it is one. */
static int status_error(const struct fl_kube *k, const char *method, const char *path, int status,
			const json_t *answer, struct fl_diag *diag)
{
	const char *reason = json_string_value(json_object_get(answer, "reason"));
	const char *msg = json_string_value(json_object_get(answer, "message"));

	return fl_diag_set(diag, errno_for_status(status), "kubernetes %s: %s %s: %d%s%s: %s",
			   k->server, method, path, status, reason ? " " : "", reason ? reason : "",
			   msg ? msg : "(no Status in the answer)");
}

int fl_kube_call(struct fl_kube *k, const char *method, const char *path, const char *body,
		 int *ret_status, json_t **ret, struct fl_diag *diag)
{
	json_error_t jerr;
	json_t *answer;
	char *text = NULL;
	int status = 0, r;

	r = fl_agent_request(k->http, method, path, body, &status, &text, diag);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = status;
	answer = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!answer) {
		r = fl_diag_set(diag, -EBADMSG,
				"kubernetes %s: %s %s: %d: the answer is not JSON (%s): \"%.*s\"",
				k->server, method, path, status, jerr.text, QUOTED_BODY_MAX, text);
		free(text);
		return r;
	}
	free(text);
	if (status < 200 || status > 299) {
		r = status_error(k, method, path, status, answer, diag);
		json_decref(answer);
		return r;
	}
	*ret = answer;
	return 0;
}
