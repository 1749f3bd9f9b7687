/* SPDX-License-Identifier: MIT */
/*
 * libcurl client of the agent API. One easy handle per client, reset before every request
 * (curl_easy_reset keeps the open connection), so no option of one request leaks into the
 * next. Bodies above 1 MiB go with "Expect: 100-continue" (curl's default), which lets the
 * agent answer 413 before the body is sent.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "agent_client.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000L
#define DEFAULT_TIMEOUT_MS	   30000L
#define DEFAULT_MAX_RESPONSE	   (4u * 1024 * 1024)
#define PATH_MAX_LEN		   2048

struct fl_agent_client {
	pthread_mutex_t lock;
	CURL *curl;
	char *address;
	char *unix_path; /* unix: the socket path; NULL for https */
	char *base_url;	 /* "http://localhost" (unix) or "https://host:port" */
	char *tls_cert, *tls_key, *tls_ca;
	char *name;	   /* what messages call the server: "agent" unless the config says */
	char *auth_header; /* "Authorization: Bearer ..." or NULL */
	long connect_timeout_ms, timeout_ms;
	size_t max_response;
};

struct sink {
	char *buf;
	size_t len, cap, max;
	bool too_big;
	/* streaming (fl_agent_call with on_data): a 2xx body goes there as it comes */
	CURL *curl;
	const struct fl_agent_call *call;
	struct fl_diag *diag;
	int stopped; /* on_data's refusal */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int dup_opt(const char *s, char **ret)
{
	*ret = NULL;
	if (!s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

const char *fl_agent_client_address(const struct fl_agent_client *client)
{
	return client ? client->address : NULL;
}

struct fl_agent_client *fl_agent_client_free(struct fl_agent_client *client)
{
	if (!client)
		return NULL;
	if (client->curl)
		curl_easy_cleanup(client->curl);
	pthread_mutex_destroy(&client->lock);
	free(client->address);
	free(client->unix_path);
	free(client->base_url);
	free(client->tls_cert);
	free(client->tls_key);
	free(client->tls_ca);
	free(client->name);
	free(client->auth_header);
	free(client);
	return NULL;
}

/* "https://host:port" with nothing after the port (a trailing '/' is tolerated). */
static bool valid_https(const char *a)
{
	const char *hostport = a + strlen("https://"), *end;
	size_t len = strlen(hostport);

	if (len && hostport[len - 1] == '/')
		len--;
	if (len == 0 || memchr(hostport, '/', len) || memchr(hostport, '?', len) ||
	    memchr(hostport, '@', len))
		return false;
	end = hostport + len;
	for (const char *p = hostport; p < end; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

static int check_file(const char *what, const char *path, struct fl_diag *diag)
{
	if (path && access(path, R_OK) < 0)
		return fl_diag_set(diag, -errno, "agent %s %s: %s", what, path, strerror(errno));
	return 0;
}

/* The address's syntax, and with https that the certificate files can be read. */
static int check_config(const struct fl_agent_client_config *cfg, struct fl_diag *diag)
{
	const char *a = cfg->address;
	int r;

	/* A header line must stay one line. */
	if (cfg->bearer_token && (strpbrk(cfg->bearer_token, "\r\n") || !cfg->bearer_token[0]))
		return fl_diag_set(diag, -EINVAL,
				   "%s %s: the bearer token is empty or holds a "
				   "line break",
				   cfg->name ? cfg->name : "agent", a);

	if (strncmp(a, "unix:", 5) == 0) {
		if (a[5] != '/')
			return fl_diag_set(diag, -EINVAL,
					   "agent \"%s\": expected unix:/absolute/path (e.g. "
					   "unix:/run/faultline/agent.sock)",
					   a);
		if (strlen(a + 5) >= 108)
			return fl_diag_set(diag, -EINVAL,
					   "agent \"%s\": the socket path is longer than 107 bytes",
					   a);
	} else if (strncmp(a, "https://", 8) == 0) {
		if (!valid_https(a))
			return fl_diag_set(diag, -EINVAL,
					   "agent \"%s\": expected https://HOST:PORT (e.g. "
					   "https://10.0.0.5:9443)",
					   a);
		if ((r = check_file("client certificate", cfg->tls_cert, diag)) < 0 ||
		    (r = check_file("client key", cfg->tls_key, diag)) < 0 ||
		    (r = check_file("CA", cfg->tls_ca, diag)) < 0)
			return r;
		if (!cfg->tls_cert != !cfg->tls_key)
			return fl_diag_set(diag, -EINVAL,
					   "agent %s: a client certificate needs its key and the "
					   "key its certificate",
					   a);
	} else if (strncmp(a, "http://", 7) == 0) {
		return fl_diag_set(diag, -EINVAL,
				   "agent \"%s\": plain http is not offered by the agent; use "
				   "https://HOST:PORT or unix:/path",
				   a);
	} else {
		return fl_diag_set(diag, -EINVAL,
				   "agent \"%s\": expected unix:/path/to/agent.sock or "
				   "https://HOST:PORT",
				   a);
	}
	return 0;
}

/* Copy what client keeps of cfg (checked by check_config): the address, and the socket path
 * (unix) or the base URL without a trailing '/' and the TLS files (https). */
static int copy_config(struct fl_agent_client *client, const struct fl_agent_client_config *cfg)
{
	const char *a = cfg->address;
	int r;

	r = dup_opt(a, &client->address);
	if (r == 0 && a[0] == 'u') {
		r = dup_opt(a + 5, &client->unix_path);
		if (r == 0)
			r = dup_opt("http://localhost", &client->base_url);
	} else if (r == 0) {
		size_t len = strlen(a);

		client->base_url = strndup(a, a[len - 1] == '/' ? len - 1 : len);
		if (!client->base_url)
			r = -ENOMEM;
		if (r == 0)
			r = dup_opt(cfg->tls_cert, &client->tls_cert);
		if (r == 0)
			r = dup_opt(cfg->tls_key, &client->tls_key);
		if (r == 0)
			r = dup_opt(cfg->tls_ca, &client->tls_ca);
		if (r == 0 && cfg->bearer_token &&
		    asprintf(&client->auth_header, "Authorization: Bearer %s", cfg->bearer_token) <
			    0)
			r = -ENOMEM;
	}
	if (r == 0)
		r = dup_opt(cfg->name ? cfg->name : "agent", &client->name);
	return r;
}

int fl_agent_client_new(const struct fl_agent_client_config *cfg, struct fl_agent_client **ret,
			struct fl_diag *diag)
{
	struct fl_agent_client *client;
	const char *a;
	int r;

	if (!cfg || !cfg->address || !ret)
		return fl_diag_set(diag, -EINVAL, "agent: no address");
	a = cfg->address;
	r = check_config(cfg, diag);
	if (r < 0)
		return r;

	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return fl_diag_set(diag, -EIO, "agent %s: libcurl initialisation failed: %s", a,
				   curl_easy_strerror(global_rc));
	client = calloc(1, sizeof(*client));
	if (!client)
		return fl_diag_set(diag, -ENOMEM, "agent %s: out of memory", a);
	if (pthread_mutex_init(&client->lock, NULL) != 0) {
		free(client);
		return fl_diag_set(diag, -ENOMEM, "agent %s: out of memory", a);
	}
	client->connect_timeout_ms =
		cfg->connect_timeout_ms > 0 ? cfg->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
	client->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS;
	client->max_response = cfg->max_response ? cfg->max_response : DEFAULT_MAX_RESPONSE;
	r = copy_config(client, cfg);
	if (r == 0 && !(client->curl = curl_easy_init()))
		r = -ENOMEM;
	if (r < 0) {
		fl_agent_client_free(client);
		return fl_diag_set(diag, r, "agent %s: out of memory", a);
	}
	*ret = client;
	return 0;
}

/* A streamed request's piece for the caller when the answer is a 2xx; true: taken (or
 * refused: s->stopped). */
static bool stream(struct sink *s, char *data, size_t n)
{
	long status = 0;

	if (!s->call || !s->call->on_data)
		return false;
	if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
	    status < 200 || status > 299)
		return false;
	s->stopped = s->call->on_data(s->call->opaque, data, n, s->diag);
	if (s->stopped > 0)
		s->stopped = 0;
	return true;
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb, cap;
	char *p;

	if (stream(s, data, n))
		return s->stopped < 0 ? 0 : n; /* 0: curl stops with CURLE_WRITE_ERROR */
	if (n > s->max - s->len) {
		s->too_big = true;
		return 0; /* curl stops with CURLE_WRITE_ERROR */
	}
	if (s->len + n + 1 > s->cap) {
		cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n + 1)
			cap *= 2;
		p = realloc(s->buf, cap);
		if (!p)
			return 0;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

/* Why connecting to a unix socket fails (ENOENT, ECONNREFUSED, EACCES, ...), for messages. */
static int unix_connect_errno(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, e = ECONNREFUSED;

	if (strlen(path) >= sizeof(sa.sun_path))
		return ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		e = errno;
	close(fd);
	return e;
}

static int errno_for(CURLcode rc, bool too_big)
{
	if (too_big)
		return -EFBIG;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return -EPROTO;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Set every option of one request; CURLE_OK or the first failure. */
static CURLcode setup(struct fl_agent_client *client, const char *method, const char *url,
		      const char *json_body, long timeout_ms, struct curl_slist *headers,
		      struct sink *sink, char *errbuf)
{
	CURL *c = client->curl;
	CURLcode rc = CURLE_OK;

#define SET(opt, val)                                       \
	do {                                                \
		if (rc == CURLE_OK)                         \
			rc = curl_easy_setopt(c, opt, val); \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_PROTOCOLS_STR, client->unix_path ? "http" : "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : client->timeout_ms);
	SET(CURLOPT_WRITEFUNCTION, on_data);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_USERAGENT, "faultline-controller");
	if (client->unix_path) {
		SET(CURLOPT_UNIX_SOCKET_PATH, client->unix_path);
	} else {
		SET(CURLOPT_SSL_VERIFYPEER, 1L);
		SET(CURLOPT_SSL_VERIFYHOST, 2L);
		if (client->tls_ca)
			SET(CURLOPT_CAINFO, client->tls_ca);
		if (client->tls_cert) {
			SET(CURLOPT_SSLCERT, client->tls_cert);
			SET(CURLOPT_SSLCERTTYPE, "PEM");
			SET(CURLOPT_SSLKEY, client->tls_key);
			SET(CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
	if (json_body) {
		SET(CURLOPT_POSTFIELDS, json_body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json_body));
		if (strcmp(method, "POST") != 0)
			SET(CURLOPT_CUSTOMREQUEST, method);
	} else if (strcmp(method, "GET") == 0) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "HEAD") == 0) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		SET(CURLOPT_CUSTOMREQUEST, method);
	}
#undef SET
	return rc;
}

static bool valid_method(const char *m)
{
	if (!m || !m[0] || strlen(m) > 16)
		return false;
	for (; *m; m++)
		if (*m < 'A' || *m > 'Z')
			return false;
	return true;
}

/* Accept, and Content-Type with a body, and the bearer token when there is one; NULL:
 * out of memory. */
static struct curl_slist *request_headers(const struct fl_agent_client *client,
					  const char *json_body)
{
	const char *want[] = { "Accept: application/json",
			       json_body ? "Content-Type: application/json" : NULL,
			       client->auth_header };
	struct curl_slist *headers = NULL, *h;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!want[i])
			continue;
		h = curl_slist_append(headers, want[i]);
		if (!h) {
			curl_slist_free_all(headers);
			return NULL;
		}
		headers = h;
	}
	return headers;
}

/* A failed transfer as diag (rc is not CURLE_OK). */
static int transfer_error(struct fl_agent_client *client, const struct fl_agent_call *call,
			  CURLcode rc, const struct sink *sink, const char *errbuf,
			  struct fl_diag *diag)
{
	int r = errno_for(rc, sink->too_big);

	if (sink->stopped < 0)
		return sink->stopped; /* on_data said why */
	if (sink->too_big)
		return fl_diag_set(diag, r, "%s %s: %s %s: response larger than %zu bytes",
				   client->name, client->address, call->method, call->path,
				   client->max_response);
	if (rc == CURLE_COULDNT_CONNECT && client->unix_path) {
		/* curl's own text names "localhost port 80" for a unix socket. */
		int e = unix_connect_errno(client->unix_path);
		return fl_diag_set(diag, r, "%s %s: %s %s: cannot connect to %s: %s%s",
				   client->name, client->address, call->method, call->path,
				   client->unix_path, strerror(e),
				   e == ENOENT || e == ECONNREFUSED
					   ? " (is faultline-agent running with this --socket?)"
					   : "");
	}
	return fl_diag_set(diag, r, "%s %s: %s %s: %s%s%s", client->name, client->address,
			   call->method, call->path, curl_easy_strerror(rc), errbuf[0] ? ": " : "",
			   errbuf);
}

/* The method, the path and the URL they make (url[size]). */
static int check_call(const struct fl_agent_client *client, const struct fl_agent_call *call,
		      char *url, size_t size, struct fl_diag *diag)
{
	const char *method = call->method, *path = call->path;
	int n;

	if (!valid_method(method))
		return fl_diag_set(diag, -EINVAL, "%s %s: \"%s\" is not an HTTP method",
				   client->name, client->address, method ? method : "");
	if (!path || path[0] != '/' || strlen(path) > PATH_MAX_LEN || strpbrk(path, " \r\n"))
		return fl_diag_set(diag, -EINVAL, "%s %s: %s: the path must start with '/'",
				   client->name, client->address, method);
	n = snprintf(url, size, "%s%s", client->base_url, path);
	if (n < 0 || (size_t)n >= size)
		return fl_diag_set(diag, -EINVAL, "%s %s: %s %s: URL too long", client->name,
				   client->address, method, path);
	return 0;
}

int fl_agent_call(struct fl_agent_client *client, const struct fl_agent_call *call,
		  struct fl_agent_answer *ret, struct fl_diag *diag)
{
	char errbuf[CURL_ERROR_SIZE] = "", url[PATH_MAX_LEN + 256];
	struct sink sink = { .call = call, .diag = diag };
	struct curl_slist *headers;
	curl_off_t retry_after = -1;
	long status = 0;
	CURLcode rc;
	int r;

	if (!client || !call || !ret)
		return fl_diag_set(diag, -EINVAL, "agent: no client");
	r = check_call(client, call, url, sizeof(url), diag);
	if (r < 0)
		return r;
	sink.max = client->max_response;
	sink.curl = client->curl;
	headers = request_headers(client, call->json_body);
	if (!headers)
		return fl_diag_set(diag, -ENOMEM, "%s %s: out of memory", client->name,
				   client->address);

	pthread_mutex_lock(&client->lock);
	curl_easy_reset(client->curl);
	rc = setup(client, call->method, url, call->json_body, call->timeout_ms, headers, &sink,
		   errbuf);
	if (rc == CURLE_OK)
		rc = curl_easy_perform(client->curl);
	if (rc == CURLE_OK)
		rc = curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_OK &&
	    curl_easy_getinfo(client->curl, CURLINFO_RETRY_AFTER, &retry_after) != CURLE_OK)
		retry_after = -1;
	/* The handle must not keep pointers to our stack (errbuf, sink) past this call. */
	(void)curl_easy_setopt(client->curl, CURLOPT_ERRORBUFFER, NULL);
	(void)curl_easy_setopt(client->curl, CURLOPT_HTTPHEADER, NULL);
	pthread_mutex_unlock(&client->lock);
	curl_slist_free_all(headers);

	if (rc != CURLE_OK) {
		free(sink.buf);
		return transfer_error(client, call, rc, &sink, errbuf, diag);
	}
	if (!sink.buf && !(sink.buf = strdup("")))
		return fl_diag_set(diag, -ENOMEM, "%s %s: out of memory", client->name,
				   client->address);
	ret->status = (int)status;
	/* curl reads Retry-After's date form too; 0 means none was sent */
	ret->retry_after = retry_after > 0 ? (long)retry_after : -1;
	ret->body = sink.buf;
	return 0;
}

int fl_agent_request(struct fl_agent_client *client, const char *method, const char *path,
		     const char *json_body, int *ret_status, char **ret_body, struct fl_diag *diag)
{
	struct fl_agent_call call = { .method = method, .path = path, .json_body = json_body };
	struct fl_agent_answer answer;
	int r;

	if (!client || !ret_status || !ret_body)
		return fl_diag_set(diag, -EINVAL, "agent: no client");
	r = fl_agent_call(client, &call, &answer, diag);
	if (r < 0)
		return r;
	*ret_status = answer.status;
	*ret_body = answer.body;
	return 0;
}
