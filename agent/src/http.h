/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP/1.1 server (libmicrohttpd): a unix socket for local callers, and
 * optionally TCP with TLS where a client certificate signed by the configured CA is
 * required — a connection without one (or with one from another CA) is refused before any
 * handler runs. Bodies are collected up to max_body bytes (then 413, without reading the
 * rest). The handler sees whole requests and fills a response; routing is the caller's.
 */
#ifndef FL_HTTP_H
#define FL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "fl/diag.h"

struct fl_http_request {
	const char *method; /* "GET", "POST", "DELETE", ... */
	const char *path;   /* "/v1/faults/abc/renew" (no query string) */
	const char *query;  /* raw query string or NULL */
	const char *body;   /* NUL-terminated; "" when empty */
	size_t body_len;
	const char *peer; /* "unix" or the client certificate's subject DN */
};

struct fl_http_response {
	int status;		  /* default 200 */
	char *body;		  /* malloc'd by the handler, freed by the server; may be NULL */
	const char *content_type; /* static string; default "application/json" */
};

typedef void (*fl_http_handler)(void *ctx, const struct fl_http_request *req,
				struct fl_http_response *resp);
/* Whether a request may take seconds: it then runs on a thread of its own, not a worker. */
typedef bool (*fl_http_slow_fn)(const struct fl_http_request *req);

struct fl_http_config {
	const char *unix_path;	/* NULL: no unix socket. Created 0660, replaced if stale. */
	const char *tcp_listen; /* "ADDR:PORT" (e.g. "127.0.0.1:9443", "[::1]:9443") or NULL */
	const char *tls_cert;	/* PEM files; all three required with tcp_listen */
	const char *tls_key;
	const char *tls_client_ca;
	size_t max_body;      /* 0: 64 KiB */
	unsigned threads;     /* worker threads; 0: 2 */
	fl_http_slow_fn slow; /* NULL: every handler runs on a worker */
};

struct fl_http_server;

int fl_http_start(const struct fl_http_config *cfg, fl_http_handler handler, void *ctx,
		  struct fl_http_server **ret, struct fl_diag *diag);
/* The bound TCP port (useful with port 0), or 0. */
unsigned fl_http_tcp_port(const struct fl_http_server *srv);
/* Stop accepting, finish in-flight requests, close, unlink the unix socket. NULL-safe. */
struct fl_http_server *fl_http_stop(struct fl_http_server *srv);

/* A JSON error body {"error": msg, "status": status} into resp (for handlers and server). */
void fl_http_error(struct fl_http_response *resp, int status, const char *msg);

#endif
