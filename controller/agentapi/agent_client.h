/* SPDX-License-Identifier: MIT */
/*
 * The controller's client of the agent API (HTTP/JSON, see docs/agent-api.md), on libcurl.
 *
 * Addresses (the --agent flag):
 *   "unix:/run/faultline/agent.sock"   the agent's unix socket (local use, no TLS)
 *   "https://HOST:PORT"                TLS; the agent requires a client certificate
 *                                      signed by its configured CA (tls_cert / tls_key),
 *                                      and its own certificate is checked against tls_ca
 * Plain "http://" is refused: the agent does not offer it.
 *
 * A client keeps one connection open between requests. Requests on one client are
 * serialised (a mutex); use one client per thread to talk to an agent in parallel.
 */
#ifndef FL_AGENT_CLIENT_H
#define FL_AGENT_CLIENT_H

#include <stddef.h>

#include "fl/diag.h"

struct fl_agent_client_config {
	const char *address;	 /* required; copied */
	const char *tls_cert;	 /* https: client certificate (PEM file) or NULL; copied */
	const char *tls_key;	 /* https: its private key (PEM file) or NULL; copied */
	const char *tls_ca;	 /* https: CA file for the agent's certificate; NULL: system */
	long connect_timeout_ms; /* 0: 5000 */
	long timeout_ms;	 /* the whole request; 0: 30000 */
	size_t max_response;	 /* response body limit in bytes; 0: 4 MiB */
	/* The same client serves other HTTPS/JSON servers (the Kubernetes API): */
	const char *name;	  /* what messages call the server; NULL: "agent"; copied */
	const char *bearer_token; /* https: sent as "Authorization: Bearer"; NULL: none; copied */
};

struct fl_agent_client;

/*
 * Check cfg (address syntax; with https, that the certificate files exist) and make a client.
 * Returns 0 and a new client (free with fl_agent_client_free), or -EINVAL/-ENOENT/-ENOMEM
 * with diag naming the address or file. Nothing is connected yet.
 */
int fl_agent_client_new(const struct fl_agent_client_config *cfg, struct fl_agent_client **ret,
			struct fl_diag *diag) _wur_;
/* Close the connection and free. NULL-safe; returns NULL. */
struct fl_agent_client *fl_agent_client_free(struct fl_agent_client *client);
/* The address as configured (borrowed, lives as long as the client). */
const char *fl_agent_client_address(const struct fl_agent_client *client);

/*
 * One request: method ("GET", "POST", "DELETE", ...) on path ("/v1/faults"), with
 * json_body (borrowed; NUL-terminated; sent as application/json) or NULL for none.
 * On an HTTP answer — whatever its status, 4xx and 5xx included — returns 0, the status
 * in *ret_status and the body in *ret_body (new, malloc'd, NUL-terminated, "" when empty;
 * the caller frees it). On a transport failure returns -errno and diag names the address,
 * the request and curl's error text:
 *   -ECONNREFUSED (nobody listens), -ETIMEDOUT, -EHOSTUNREACH (name not resolved),
 *   -EPROTO (TLS handshake / certificate), -ECONNRESET (connection dropped), -EFBIG
 *   (response above max_response), -ENOMEM, -EIO (other).
 * ret_status and ret_body are written only on success.
 */
int fl_agent_request(struct fl_agent_client *client, const char *method, const char *path,
		     const char *json_body, int *ret_status, char **ret_body,
		     struct fl_diag *diag) _wur_;

/*
 * A request with more control (the Kubernetes API client's retries and watches): what
 * fl_agent_request does, plus a timeout of its own, the answer's Retry-After, and a 2xx
 * body handed over as it arrives instead of kept.
 */
struct fl_agent_call {
	const char *method, *path, *json_body; /* as fl_agent_request's; borrowed */
	long timeout_ms;		       /* this request; 0: the client's */
	/* NULL: the body is kept in ret->body. Else a 2xx body goes to on_data piece by piece
	 * as it arrives (ret->body stays ""); another status's body is kept. A negative
	 * return ends the transfer and is the request's result (on_data fills diag). */
	int (*on_data)(void *opaque, const char *data, size_t len, struct fl_diag *diag);
	void *opaque;
};

struct fl_agent_answer {
	int status;	  /* the HTTP status */
	long retry_after; /* Retry-After in seconds; -1: none */
	char *body;	  /* new, NUL-terminated, "" when empty or streamed; free() */
};

/* Returns 0 and *ret, or -errno with diag as fl_agent_request (an on_data refusal: its
 * value; the transfer ended by call->timeout_ms: -ETIMEDOUT). *ret is written only on
 * success. */
int fl_agent_call(struct fl_agent_client *client, const struct fl_agent_call *call,
		  struct fl_agent_answer *ret, struct fl_diag *diag) _wur_;

#endif
