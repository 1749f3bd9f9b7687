/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP server on libmicrohttpd (0.9.75): one MHD daemon per listening socket
 * (the unix socket, and the TLS TCP socket), each with an internal thread pool. We create,
 * bind and listen the sockets ourselves and hand them to MHD (MHD_OPTION_LISTEN_SOCKET), so
 * that the unix socket gets its mode before anyone can connect and the TCP port is known.
 *
 * Per request (MHD's access handler, called several times per request):
 *   1st call  (headers read)  TLS: verify the client certificate, or 403 + close.
 *                             Content-Length above max_body: 413 + close, body never read.
 *   n calls   (body pieces)   appended up to max_body; a chunked body that grows past it
 *                             is discarded (not buffered) and answered 413 at its end.
 *   last call (body complete) the handler runs, exactly once, and its response is queued.
 * A response queued at the 1st call makes MHD close the connection without reading the body
 * (connection->discard_request in MHD), which is what "refuse" and "413 early" need.
 *
 * Slow requests (fl_http_config.slow says which: an inject whose wire check measures for
 * seconds) do not hold a worker: at the last call the connection is suspended
 * (MHD_suspend_connection), a thread of their own runs the handler, stores the response and
 * resumes the connection; MHD then calls the access handler once more and the stored
 * response is queued. A worker's other connections go on meanwhile (a pool worker serves
 * every connection it accepted, so a blocking handler would stall them all). Stopping waits
 * for those threads: MHD may not be stopped with a connection suspended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>

#include "http.h"

#define DEFAULT_MAX_BODY    (64 * 1024)
#define MAX_BODY_LIMIT	    (64 * 1024 * 1024)
#define DEFAULT_THREADS	    2u
#define MAX_THREADS	    64u
#define PEM_MAX		    (1024 * 1024) /* larger is not a certificate or key file */
#define CONN_TIMEOUT_S	    30u		  /* idle / slow connections are closed after this */
#define CONN_LIMIT	    512u	  /* concurrent connections per listener */
#define CONN_MEMORY	    (64 * 1024)	  /* MHD's per-connection pool: request line + headers */
#define CHUNKED_DISCARD_MAX (1024 * 1024) /* past max_body, then the connection is closed */
#define STOP_GRACE_MS	    2000	  /* fl_http_stop waits this long for requests in flight */
#define TLS_PRIORITIES	    "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct listener {
	struct fl_http_server *srv;
	struct MHD_Daemon *daemon;
	int fd; /* ours until MHD_start_daemon succeeded; then MHD's until quiesce */
	bool tls;
};

struct fl_http_server {
	fl_http_handler handler;
	void *ctx;
	fl_http_slow_fn slow;
	size_t max_body;
	unsigned threads;
	struct listener unix_l, tcp_l;
	char *unix_path; /* unlinked at stop */
	unsigned tcp_port;
	char *tls_cert, *tls_key, *tls_ca; /* PEM, alive as long as the daemon */
	size_t tls_key_len;
	atomic_uint in_flight;	  /* requests between their request line and their completion */
	atomic_uint slow_running; /* handler threads of suspended connections */
};

/* One request's state (MHD's con_cls), from the request line to its completion. */
struct request {
	struct fl_http_server *srv;
	bool started; /* the first access-handler call happened */
	bool too_big; /* the body passed max_body: answer 413 at its end */
	bool oom;     /* the query string could not be copied: answer 500 */
	bool handled; /* the handler ran: never twice for one request */
	char *query;  /* raw query string (after '?') or NULL */
	char *peer;   /* "unix" or the client certificate's subject */
	char *body;
	size_t body_len, body_cap;
	size_t discarded; /* chunked body bytes dropped after too_big */
	/* A slow request: its handler's thread, and the response it left for the next call. */
	struct MHD_Connection *conn;
	struct fl_http_request req;
	char *method, *path;
	struct fl_http_response resp;
	atomic_bool answered;
};

/* ---- responses ---------------------------------------------------------------------- */

void fl_http_error(struct fl_http_response *resp, int status, const char *msg)
{
	json_t *obj;

	free(resp->body);
	resp->body = NULL;
	resp->status = status;
	resp->content_type = "application/json";
	obj = json_pack("{s:s, s:i}", "error", msg ? msg : "", "status", status);
	if (obj) {
		resp->body = json_dumps(obj, JSON_COMPACT);
		json_decref(obj);
	}
}

/* Queue resp (its body is taken over: freed by MHD). Returns MHD_YES/MHD_NO. */
static enum MHD_Result queue(struct MHD_Connection *conn, struct fl_http_response *resp, bool close)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;
	char *body = TAKE_PTR(resp->body);

	if (body) {
		mr = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
		if (!mr)
			free(body);
	} else {
		mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	}
	if (!mr)
		return MHD_NO;
	if (MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
				    resp->content_type ? resp->content_type : "application/json") ==
		    MHD_NO ||
	    (close && MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close") == MHD_NO)) {
		MHD_destroy_response(mr);
		return MHD_NO;
	}
	ret = MHD_queue_response(conn, (unsigned)resp->status, mr);
	MHD_destroy_response(mr);
	return ret;
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, int status, const char *msg,
				   bool close)
{
	struct fl_http_response resp = { 0 };

	fl_http_error(&resp, status, msg);
	return queue(conn, &resp, close);
}

/* ---- TLS peer verification ---------------------------------------------------------- */

/*
 * The client certificate must exist and chain to the configured CA (MHD only *requests*
 * one: GNUTLS_CERT_REQUEST). Returns the subject DN (malloc'd) or NULL with why in msg.
 */
static char *verify_peer(struct MHD_Connection *conn, char *msg, size_t size)
{
	const union MHD_ConnectionInfo *info;
	gnutls_session_t session;
	const gnutls_datum_t *certs;
	unsigned n_certs = 0, status = 0;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t dn = { NULL, 0 };
	char *peer = NULL;
	int r;

	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!info || !info->tls_session) {
		(void)snprintf(msg, size, "no TLS session");
		return NULL;
	}
	session = (gnutls_session_t)info->tls_session;
	if (gnutls_certificate_type_get(session) != GNUTLS_CRT_X509 ||
	    !(certs = gnutls_certificate_get_peers(session, &n_certs)) || n_certs == 0) {
		(void)snprintf(msg, size, "a client certificate is required");
		return NULL;
	}
	r = gnutls_certificate_verify_peers2(session, &status);
	if (r < 0) {
		(void)snprintf(msg, size, "client certificate: %s", gnutls_strerror(r));
		return NULL;
	}
	if (status != 0) {
		gnutls_datum_t why = { NULL, 0 };

		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why,
								 0) == 0 &&
		    why.data)
			(void)snprintf(msg, size, "client certificate rejected: %s",
				       (const char *)why.data);
		else
			(void)snprintf(msg, size, "client certificate rejected (status 0x%x)",
				       status);
		gnutls_free(why.data);
		return NULL;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) < 0 ||
	    gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0 || !dn.data) {
		(void)snprintf(msg, size, "client certificate: cannot read its subject");
		goto out;
	}
	peer = strndup((const char *)dn.data, dn.size);
	if (!peer)
		(void)snprintf(msg, size, "out of memory");
out:
	gnutls_free(dn.data);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return peer;
}

/* ---- MHD callbacks ------------------------------------------------------------------ */

/* Called right after the request line: the raw URI still has its query string. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct listener *l = cls;
	struct request *rq;
	const char *q;

	(void)conn;
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return NULL;
	rq->srv = l->srv;
	atomic_fetch_add(&l->srv->in_flight, 1);
	q = uri ? strchr(uri, '?') : NULL;
	/* Without its query the request would mean something else: fail it (first call). */
	if (q && !(rq->query = strdup(q + 1)))
		rq->oom = true;
	return rq;
}

static void free_request(struct request *rq)
{
	if (!rq)
		return;
	free(rq->method);
	free(rq->path);
	free(rq->resp.body);
	free(rq->query);
	free(rq->peer);
	free(rq->body);
	free(rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct request *rq = *con_cls;

	(void)conn;
	(void)toe;
	if (rq) {
		atomic_fetch_sub(&l->srv->in_flight, 1);
		free_request(rq);
	}
	*con_cls = NULL;
}

/* Parse Content-Length (MHD has checked its syntax); false if absent. */
static bool content_length(struct MHD_Connection *conn, unsigned long long *ret)
{
	const char *v =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!v || !*v)
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || *end)
		n = ULLONG_MAX;
	*ret = n;
	return true;
}

static enum MHD_Result first_call(struct listener *l, struct MHD_Connection *conn,
				  struct request *rq)
{
	struct fl_http_server *srv = l->srv;
	unsigned long long len;
	char msg[256];

	rq->started = true;
	if (rq->oom)
		return queue_error(conn, 500, "out of memory", true);
	if (l->tls) {
		rq->peer = verify_peer(conn, msg, sizeof(msg));
		if (!rq->peer)
			return queue_error(conn, 403, msg, true);
	} else {
		rq->peer = strdup("unix");
		if (!rq->peer)
			return queue_error(conn, 500, "out of memory", true);
	}
	if (content_length(conn, &len) && len > srv->max_body) {
		(void)snprintf(msg, sizeof(msg),
			       "request body of %llu bytes is above the limit of %zu bytes", len,
			       srv->max_body);
		return queue_error(conn, 413, msg, true);
	}
	return MHD_YES;
}

static enum MHD_Result append_body(struct fl_http_server *srv, struct request *rq, const char *data,
				   size_t n)
{
	size_t cap;
	char *p;

	if (rq->too_big || n > srv->max_body - rq->body_len) {
		/* Only a chunked body gets here (Content-Length was checked): drop it. */
		rq->too_big = true;
		rq->discarded += n;
		return rq->discarded > CHUNKED_DISCARD_MAX ? MHD_NO : MHD_YES;
	}
	if (rq->body_len + n + 1 > rq->body_cap) {
		cap = rq->body_cap ? rq->body_cap : 1024;
		while (cap < rq->body_len + n + 1)
			cap *= 2;
		if (cap > srv->max_body + 1)
			cap = srv->max_body + 1;
		p = realloc(rq->body, cap);
		if (!p)
			return MHD_NO;
		rq->body = p;
		rq->body_cap = cap;
	}
	memcpy(rq->body + rq->body_len, data, n);
	rq->body_len += n;
	rq->body[rq->body_len] = '\0';
	return MHD_YES;
}

static void check_status(struct fl_http_response *resp)
{
	if (resp->status < 100 || resp->status > 599) {
		free(resp->body);
		resp->body = NULL;
		fl_http_error(resp, 500, "handler returned an invalid HTTP status");
	}
}

static void *slow_main(void *arg)
{
	struct request *rq = arg;
	struct fl_http_server *srv = rq->srv;
	struct MHD_Connection *conn = rq->conn;

	rq->resp = (struct fl_http_response){ .status = 200, .content_type = "application/json" };
	srv->handler(srv->ctx, &rq->req, &rq->resp);
	check_status(&rq->resp);
	atomic_store(&rq->answered, true);
	/* From here on rq is MHD's again (it may complete and free it at once). */
	MHD_resume_connection(conn);
	atomic_fetch_sub(&srv->slow_running, 1);
	return NULL;
}

/* Suspend conn and run the handler on a thread of its own; -errno to run it inline. */
static int run_slow(struct fl_http_server *srv, struct MHD_Connection *conn, struct request *rq,
		    const struct fl_http_request *req)
{
	pthread_attr_t attr;
	pthread_t thread;
	int r;

	/* The method and path live in MHD's connection pool; copies do not depend on that. */
	if (!(rq->method = strdup(req->method)) || !(rq->path = strdup(req->path)))
		return -ENOMEM;
	rq->req = *req;
	rq->req.method = rq->method;
	rq->req.path = rq->path;
	rq->conn = conn;
	atomic_fetch_add(&srv->slow_running, 1);
	MHD_suspend_connection(conn);
	(void)pthread_attr_init(&attr);
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&thread, &attr, slow_main, rq);
	(void)pthread_attr_destroy(&attr);
	if (r != 0) {
		MHD_resume_connection(conn);
		atomic_fetch_sub(&srv->slow_running, 1);
		return -r;
	}
	return 0;
}

static enum MHD_Result final_call(struct listener *l, struct MHD_Connection *conn,
				  struct request *rq, const char *url, const char *method)
{
	struct fl_http_server *srv = l->srv;
	struct fl_http_response resp = { .status = 200, .content_type = "application/json" };
	struct fl_http_request req = {
		.method = method,
		.path = url,
		.query = rq->query,
		.body = rq->body ? rq->body : "",
		.body_len = rq->body_len,
		.peer = rq->peer,
	};
	char msg[160];

	if (rq->handled) {
		/* Resumed after a slow handler: its response, once. */
		if (!atomic_exchange(&rq->answered, false))
			return MHD_NO;
		resp = rq->resp;
		rq->resp.body = NULL;
		return queue(conn, &resp, false);
	}
	rq->handled = true;
	if (rq->too_big) {
		(void)snprintf(msg, sizeof(msg),
			       "request body is above the limit of %zu bytes (chunked upload)",
			       srv->max_body);
		return queue_error(conn, 413, msg, true);
	}
	if (srv->slow && srv->slow(&req) && run_slow(srv, conn, rq, &req) == 0)
		return MHD_YES;
	srv->handler(srv->ctx, &req, &resp);
	check_status(&resp);
	return queue(conn, &resp, false);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct request *rq = *con_cls;

	(void)version;
	if (!rq) {
		/* on_uri failed to allocate: nothing to track this request with. */
		return MHD_NO;
	}
	if (!rq->started)
		return first_call(l, conn, rq);
	if (*upload_data_size > 0) {
		enum MHD_Result ret = append_body(l->srv, rq, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return ret;
	}
	return final_call(l, conn, rq, url, method);
}

/* ---- sockets ------------------------------------------------------------------------ */

static int unix_listen(const char *path, int *ret_fd, struct fl_diag *diag)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return fl_diag_set(diag, -ENAMETOOLONG,
				   "unix socket %s: path longer than %zu bytes", path,
				   sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fl_diag_set(diag, -errno, "unix socket %s: socket: %s", path,
				   strerror(errno));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			(void)close(fd);
			return fl_diag_set(diag, -EEXIST,
					   "unix socket %s: exists and is not a socket; not "
					   "replacing it",
					   path);
		}
		/* A socket someone still listens on is another agent: do not steal it. */
		{
			int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

			if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
				(void)close(probe);
				(void)close(fd);
				return fl_diag_set(diag, -EADDRINUSE,
						   "unix socket %s: another process is listening "
						   "on it",
						   path);
			}
			if (probe >= 0)
				(void)close(probe);
		}
		if (unlink(path) < 0 && errno != ENOENT) {
			r = -errno;
			(void)close(fd);
			return fl_diag_set(diag, r, "unix socket %s: removing the stale socket: %s",
					   path, strerror(-r));
		}
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		(void)close(fd);
		return fl_diag_set(diag, r, "unix socket %s: bind: %s", path, strerror(-r));
	}
	/* Mode before listen(): nobody can connect in between. */
	if (chmod(path, 0660) < 0 || listen(fd, 128) < 0) {
		r = -errno;
		(void)unlink(path);
		(void)close(fd);
		return fl_diag_set(diag, r, "unix socket %s: %s", path, strerror(-r));
	}
	*ret_fd = fd;
	return 0;
}

/* "ADDR:PORT" or "[V6ADDR]:PORT" into host and port (caller buffers). */
static int split_host_port(const char *text, char *host, size_t host_size, char *port,
			   size_t port_size)
{
	const char *colon, *h = text;
	size_t hlen;

	if (text[0] == '[') {
		const char *end = strchr(text, ']');

		if (!end || end[1] != ':')
			return -EINVAL;
		h = text + 1;
		hlen = (size_t)(end - h);
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || strchr(text, ':') != colon)
			return -EINVAL;
		hlen = (size_t)(colon - text);
	}
	if (hlen == 0 || hlen >= host_size || strlen(colon + 1) == 0 ||
	    strlen(colon + 1) >= port_size || strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, colon + 1, strlen(colon + 1) + 1);
	return 0;
}

static int tcp_listen(const char *addr, int *ret_fd, unsigned *ret_port, struct fl_diag *diag)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[8];
	int fd = -1, r = -EADDRNOTAVAIL, one = 1;
	unsigned long p;

	if (split_host_port(addr, host, sizeof(host), port, sizeof(port)) < 0 ||
	    (p = strtoul(port, NULL, 10)) > 65535)
		return fl_diag_set(diag, -EINVAL,
				   "tcp listen: \"%s\" is not ADDR:PORT (expected e.g. "
				   "0.0.0.0:9443, [::]:9443)",
				   addr);
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return fl_diag_set(diag, -EADDRNOTAVAIL, "tcp listen %s: %s", addr,
				   gai_strerror(r));
	r = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
			    ai->ai_protocol);
		if (fd < 0) {
			r = -errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 128) == 0)
			break;
		r = -errno;
		(void)close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return fl_diag_set(diag, r, "tcp listen %s: %s", addr, strerror(-r));
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = -errno;
		(void)close(fd);
		return fl_diag_set(diag, r, "tcp listen %s: getsockname: %s", addr, strerror(-r));
	}
	*ret_port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	*ret_fd = fd;
	return 0;
}

/* ---- TLS material ------------------------------------------------------------------- */

static int read_pem(const char *what, const char *path, char **ret, size_t *ret_len,
		    struct fl_diag *diag)
{
	char *buf;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fl_diag_set(diag, -errno, "%s %s: %s", what, path, strerror(errno));
	buf = malloc(PEM_MAX + 1);
	if (!buf) {
		(void)close(fd);
		return fl_diag_set(diag, -ENOMEM, "%s %s: out of memory", what, path);
	}
	while ((n = read(fd, buf + len, PEM_MAX + 1 - len)) > 0 && len + (size_t)n <= PEM_MAX)
		len += (size_t)n;
	r = n < 0 ? -errno : 0;
	(void)close(fd);
	if (r == 0 && n > 0)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return fl_diag_set(diag, r, "%s %s: %s", what, path,
				   r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
	}
	buf[len] = '\0';
	if (len == 0) {
		free(buf);
		return fl_diag_set(diag, -EINVAL, "%s %s: empty file", what, path);
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* MHD says only "failed" when TLS setup fails: try the material with gnutls first. */
static int check_tls(const struct fl_http_config *cfg, const struct fl_http_server *srv,
		     struct fl_diag *diag)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)srv->tls_cert, (unsigned)strlen(srv->tls_cert) };
	gnutls_datum_t key = { (unsigned char *)srv->tls_key, (unsigned)srv->tls_key_len };
	gnutls_datum_t ca = { (unsigned char *)srv->tls_ca, (unsigned)strlen(srv->tls_ca) };
	int r;

	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return fl_diag_set(diag, -ENOMEM, "tls: out of memory");
	r = gnutls_certificate_set_x509_key_mem(cred, &cert, &key, GNUTLS_X509_FMT_PEM);
	if (r < 0) {
		gnutls_certificate_free_credentials(cred);
		return fl_diag_set(diag, -EINVAL, "tls certificate %s / key %s: %s", cfg->tls_cert,
				   cfg->tls_key, gnutls_strerror(r));
	}
	r = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
	gnutls_certificate_free_credentials(cred);
	if (r <= 0)
		return fl_diag_set(diag, -EINVAL, "tls client CA %s: %s", cfg->tls_client_ca,
				   r < 0 ? gnutls_strerror(r) : "no certificate in the file");
	return 0;
}

/* ---- life cycle --------------------------------------------------------------------- */

static int start_daemon(struct fl_http_server *srv, struct listener *l, struct fl_diag *diag,
			const char *where)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
	struct stat before, st;

	l->srv = srv;
	if (fstat(l->fd, &before) < 0)
		return fl_diag_set(diag, -errno, "http %s: fstat: %s", where, strerror(errno));
	if (l->tls) {
		flags |= MHD_USE_TLS;
		l->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, l->fd,
			MHD_OPTION_THREAD_POOL_SIZE, srv->threads, MHD_OPTION_URI_LOG_CALLBACK,
			on_uri, l, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
			MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
			CONN_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			MHD_OPTION_HTTPS_MEM_CERT, srv->tls_cert, MHD_OPTION_HTTPS_MEM_KEY,
			srv->tls_key, MHD_OPTION_HTTPS_MEM_TRUST, srv->tls_ca,
			MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES, MHD_OPTION_END);
	} else {
		l->daemon = MHD_start_daemon(
			flags, 0, NULL, NULL, on_request, l, MHD_OPTION_LISTEN_SOCKET, l->fd,
			MHD_OPTION_THREAD_POOL_SIZE, srv->threads, MHD_OPTION_URI_LOG_CALLBACK,
			on_uri, l, MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
			MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
			CONN_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
			MHD_OPTION_END);
	}
	if (!l->daemon) {
		/* MHD closes the socket on some failure paths and not on others: close it only
		 * if the descriptor still is our socket (fd numbers are reused at once). */
		if (fstat(l->fd, &st) == 0 && st.st_ino == before.st_ino &&
		    st.st_dev == before.st_dev)
			(void)close(l->fd);
		l->fd = -1;
		return fl_diag_set(diag, -EIO, "http %s: libmicrohttpd failed to start", where);
	}
	return 0;
}

static void stop_listener(struct listener *l)
{
	MHD_socket fd;

	if (l->daemon) {
		fd = MHD_quiesce_daemon(l->daemon);
		if (fd != MHD_INVALID_SOCKET)
			(void)close(fd);
	} else if (l->fd >= 0) {
		(void)close(l->fd);
	}
	l->fd = -1;
}

struct fl_http_server *fl_http_stop(struct fl_http_server *srv)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	if (!srv)
		return NULL;
	/* No new connections; then give the requests in flight a moment to be answered. */
	stop_listener(&srv->unix_l);
	stop_listener(&srv->tcp_l);
	if (srv->unix_path)
		(void)unlink(srv->unix_path);
	for (int waited = 0; waited < STOP_GRACE_MS && atomic_load(&srv->in_flight) > 0;
	     waited += 10)
		(void)nanosleep(&ts, NULL);
	/* A suspended connection must be resumed before MHD stops (it panics otherwise); slow
	 * handlers are bounded (a wire check: seconds), as a blocked worker was before. */
	while (atomic_load(&srv->slow_running) > 0)
		(void)nanosleep(&ts, NULL);
	if (srv->unix_l.daemon)
		MHD_stop_daemon(srv->unix_l.daemon);
	if (srv->tcp_l.daemon)
		MHD_stop_daemon(srv->tcp_l.daemon);
	free(srv->unix_path);
	free(srv->tls_cert);
	free(srv->tls_ca);
	if (srv->tls_key) {
		explicit_bzero(srv->tls_key, srv->tls_key_len);
		free(srv->tls_key);
	}
	free(srv);
	return NULL;
}

int fl_http_start(const struct fl_http_config *cfg, fl_http_handler handler, void *ctx,
		  struct fl_http_server **ret, struct fl_diag *diag)
{
	struct fl_http_server *srv;
	size_t len;
	int r;

	if (!cfg || !handler || !ret)
		return fl_diag_set(diag, -EINVAL, "http: no configuration or handler");
	if (!cfg->unix_path && !cfg->tcp_listen)
		return fl_diag_set(diag, -EINVAL,
				   "http: nothing to listen on (neither a unix socket nor TCP)");
	if (cfg->tcp_listen && (!cfg->tls_cert || !cfg->tls_key || !cfg->tls_client_ca))
		return fl_diag_set(diag, -EINVAL,
				   "http: TCP %s needs a TLS certificate, key and client CA "
				   "(plain TCP is not offered)",
				   cfg->tcp_listen);
	if (cfg->max_body > MAX_BODY_LIMIT)
		return fl_diag_set(diag, -EINVAL,
				   "http: max_body %zu is above the maximum %d bytes",
				   cfg->max_body, MAX_BODY_LIMIT);
	if (cfg->threads > MAX_THREADS)
		return fl_diag_set(diag, -EINVAL, "http: %u threads is above the maximum %u",
				   cfg->threads, MAX_THREADS);
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return fl_diag_set(diag, -ENOMEM, "http: out of memory");
	srv->handler = handler;
	srv->ctx = ctx;
	srv->slow = cfg->slow;
	srv->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
	srv->threads = cfg->threads ? cfg->threads : DEFAULT_THREADS;
	srv->unix_l.fd = srv->tcp_l.fd = -1;
	srv->tcp_l.tls = true;
	atomic_init(&srv->in_flight, 0);
	atomic_init(&srv->slow_running, 0);

	if (cfg->tcp_listen) {
		if ((r = read_pem("tls certificate", cfg->tls_cert, &srv->tls_cert, &len, diag)) <
			    0 ||
		    (r = read_pem("tls key", cfg->tls_key, &srv->tls_key, &srv->tls_key_len,
				  diag)) < 0 ||
		    (r = read_pem("tls client CA", cfg->tls_client_ca, &srv->tls_ca, &len, diag)) <
			    0 ||
		    (r = check_tls(cfg, srv, diag)) < 0)
			goto fail;
	}
	if (cfg->unix_path) {
		if (!(srv->unix_path = strdup(cfg->unix_path))) {
			r = fl_diag_set(diag, -ENOMEM, "http: out of memory");
			goto fail;
		}
		if ((r = unix_listen(cfg->unix_path, &srv->unix_l.fd, diag)) < 0) {
			free(TAKE_PTR(srv->unix_path)); /* not ours to unlink */
			goto fail;
		}
		if ((r = start_daemon(srv, &srv->unix_l, diag, cfg->unix_path)) < 0)
			goto fail;
	}
	if (cfg->tcp_listen) {
		if ((r = tcp_listen(cfg->tcp_listen, &srv->tcp_l.fd, &srv->tcp_port, diag)) < 0 ||
		    (r = start_daemon(srv, &srv->tcp_l, diag, cfg->tcp_listen)) < 0)
			goto fail;
	}
	*ret = srv;
	return 0;
fail:
	(void)fl_http_stop(srv);
	return r;
}

unsigned fl_http_tcp_port(const struct fl_http_server *srv)
{
	return srv ? srv->tcp_port : 0;
}
