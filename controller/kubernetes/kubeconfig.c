/* SPDX-License-Identifier: MIT */
/*
 * The connection settings of the Kubernetes client (kubeconfig.h): a kubeconfig file read
 * as kubectl reads one — the context, its cluster and user, the files they name (relative
 * to the kubeconfig's folder), the base64 *-data fields — or a pod's service account.
 * Everything is checked here, each error naming the field path and value at its line, so
 * the client that uses the result never meets a half-valid configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fl/base64.h"
#include "fl/quote.h"
#include "kubeconfig.h"
#include "yaml_tree.h"

#define MAX_DEPTH   32
#define QUOTE_MAX   128 /* a user's value quoted in a message */
#define NAMES_MAX   200 /* the names listed when a name is not found */
#define FIELD_MAX   96	/* a field path: "contexts[12].context" */
#define SERVER_FORM "(expected https://HOST[:PORT])"

/* diag->file points here: the path must outlive a load that failed (kubeconfig.h). */
static __thread char error_file[PATH_MAX];

struct kload {
	const char *file;   /* the kubeconfig (error_file) */
	char dir[PATH_MAX]; /* its folder with a final '/' ("" for the current one) */
	bool allow_insecure;
	struct fl_diag *diag;
};

struct fl_kube_conn *fl_kube_conn_free(struct fl_kube_conn *c)
{
	if (!c)
		return NULL;
	free(c->server);
	free(c->ca_pem);
	free(c->token);
	free(c->cert_pem);
	free(c->key_pem);
	free(c->namespace);
	free(c->context);
	free(c->origin);
	free(c);
	return NULL;
}

static int err_at(struct kload *k, const struct fl_ynode *at, int err, const char *fmt, ...)
	_printf_(4, 5);
static int err_at(struct kload *k, const struct fl_ynode *at, int err, const char *fmt, ...)
{
	va_list ap;

	k->diag->file = k->file;
	k->diag->line = at ? at->line : 0;
	k->diag->col = at ? at->col : 0;
	va_start(ap, fmt);
	(void)vsnprintf(k->diag->msg, sizeof(k->diag->msg), fmt, ap);
	va_end(ap);
	return err;
}

/* s in double quotes, control characters escaped, cut after 80 bytes (fl/quote.h). */
static const char *quote(const char *s, char *buf, size_t size)
{
	return fl_quote(s, strlen(s), 80, false, buf, size);
}

static const char *read_error(int r)
{
	return r == -EFBIG ? "larger than 1 MiB" : strerror(-r);
}

/* Read a whole file of at most FL_KUBE_FILE_MAX bytes, NUL-terminated (new). -errno. */
static int read_bounded(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_(fl_closep) int fd = -1;
	_cleanup_(fl_freep) char *buf = NULL;
	struct stat st;
	size_t len = 0;
	char *small;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (S_ISREG(st.st_mode) && st.st_size > FL_KUBE_FILE_MAX)
		return -EFBIG;
	if (!(buf = malloc(FL_KUBE_FILE_MAX + 1)))
		return -ENOMEM;
	/* pipes (kubectl --kubeconfig <(...)) say no size: read until EOF, never past the limit */
	while (len <= FL_KUBE_FILE_MAX) {
		ssize_t n = read(fd, buf + len, FL_KUBE_FILE_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FL_KUBE_FILE_MAX)
		return -EFBIG;
	buf[len] = '\0';
	if ((small = realloc(buf, len + 1)))
		buf = small;
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

/* Whitespace off both ends, in place. */
static void trim(char *s)
{
	size_t start = strspn(s, " \t\r\n"), len = strlen(s);

	while (len > start && strchr(" \t\r\n", s[len - 1]))
		len--;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
}

static int dup_to(char **dst, const char *s)
{
	return (*dst = strdup(s)) ? 0 : -ENOMEM;
}

/* The key node of map[key] (where a refused field is reported), or NULL. */
static const struct fl_ynode *key_node(const struct fl_ynode *map, const char *key)
{
	for (unsigned i = 0; map->kind == FL_YNODE_MAP && i < map->n; i++)
		if (strcmp(map->keys[i]->text, key) == 0)
			return map->keys[i];
	return NULL;
}

/* A mapping, or an error naming field ("clusters[0].cluster: expected a mapping, ..."). */
static int want_map(struct kload *k, const struct fl_ynode *n, const char *field)
{
	if (n->kind == FL_YNODE_MAP)
		return 0;
	return err_at(k, n, -EINVAL, "%s: expected a mapping, got %s", field,
		      fl_ytype_desc(fl_ynode_type(n)));
}

/*
 * map[key] as text: 0 and *ret borrowed (NULL when absent or null), or -EINVAL naming
 * field.key (key alone at the top: field "") when it is not a scalar or holds a NUL byte.
 */
static int get_text(struct kload *k, const struct fl_ynode *map, const char *field, const char *key,
		    const char **ret)
{
	const struct fl_ynode *v = fl_ynode_get(map, key);

	*ret = NULL;
	if (!v || fl_ynode_type(v) == FL_YTYPE_NULL)
		return 0;
	if (v->kind != FL_YNODE_SCALAR)
		return err_at(k, v, -EINVAL, "%s%s%s: expected a string, got %s", field,
			      field[0] ? "." : "", key, fl_ytype_desc(fl_ynode_type(v)));
	if (strlen(v->text) != v->len)
		return err_at(k, v, -EINVAL, "%s%s%s: holds a NUL byte", field, field[0] ? "." : "",
			      key);
	*ret = v->text;
	return 0;
}

/* Refuse the first of keys that map has: it would change who we are or what we trust. */
static int refuse_keys(struct kload *k, const struct fl_ynode *map, const char *field,
		       const char *const *keys, const char *instead)
{
	for (const char *const *key = keys; *key; key++) {
		const struct fl_ynode *at = key_node(map, *key);

		if (at)
			return err_at(k, at, -EOPNOTSUPP, "%s.%s: not supported (%s)", field, *key,
				      instead);
	}
	return 0;
}

/* A file the kubeconfig names, read (bounded): path relative to the kubeconfig's folder. */
static int read_ref(struct kload *k, const struct fl_ynode *at, const char *field, const char *key,
		    const char *name, char path[PATH_MAX], char **ret)
{
	size_t len;
	int r, w;

	if (!name[0])
		return err_at(k, at, -EINVAL, "%s.%s: empty (expected a file)", field, key);
	w = snprintf(path, PATH_MAX, "%s%s", name[0] == '/' ? "" : k->dir, name);
	if (w < 0 || w >= PATH_MAX)
		return err_at(k, at, -ENAMETOOLONG, "%s.%s: the path is too long", field, key);
	if ((r = read_bounded(path, ret, &len)) < 0)
		return err_at(k, at, r, "%s.%s: %s: %s", field, key, path, read_error(r));
	return 0;
}

/* PEM is text with a "-----BEGIN " line; anything else is a mistake worth naming now. */
static bool is_pem(const char *s)
{
	return strstr(s, "-----BEGIN ") != NULL;
}

/*
 * One of a pair of fields: file_key (a file, read) or data_key (base64, decoded), both
 * holding PEM. *ret is new, or NULL when neither is set.
 */
static int pem_field(struct kload *k, const struct fl_ynode *map, const char *field,
		     const char *file_key, const char *data_key, char **ret)
{
	const struct fl_ynode *fnode = fl_ynode_get(map, file_key);
	const struct fl_ynode *dnode = fl_ynode_get(map, data_key);
	const char *file, *data;
	_cleanup_(fl_freep) char *pem = NULL;
	char path[PATH_MAX];
	ssize_t n;
	int r;

	if ((r = get_text(k, map, field, file_key, &file)) < 0 ||
	    (r = get_text(k, map, field, data_key, &data)) < 0)
		return r;
	if (file && data)
		return err_at(k, dnode, -EINVAL, "%s: %s and %s are both set (give one)", field,
			      file_key, data_key);
	if (file) {
		if ((r = read_ref(k, fnode, field, file_key, file, path, &pem)) < 0)
			return r;
		if (!is_pem(pem))
			return err_at(k, fnode, -EINVAL, "%s.%s: %s: not PEM (no -----BEGIN line)",
				      field, file_key, path);
	} else if (data) {
		if (!(pem = malloc(FL_BASE64_DECODED_MAX(strlen(data)) + 1)))
			return -ENOMEM;
		n = fl_base64_decode(data, strlen(data), pem, FL_BASE64_DECODED_MAX(strlen(data)));
		if (n < 0)
			return err_at(k, dnode, -EINVAL, "%s.%s: not base64", field, data_key);
		pem[n] = '\0';
		if ((size_t)n != strlen(pem) || !is_pem(pem))
			return err_at(k, dnode, -EINVAL,
				      "%s.%s: decodes to something else than PEM (no -----BEGIN "
				      "line)",
				      field, data_key);
	}
	*ret = TAKE_PTR(pem);
	return 0;
}

/* A port: 1-65535 in decimal digits. */
static bool good_port(const char *s, size_t len)
{
	unsigned long v = 0;

	if (len == 0 || len > 5)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* What is wrong with HOST[:PORT] (host a name, an IPv4 or a bracketed IPv6), or NULL. */
static const char *bad_authority(const char *a, size_t len)
{
	const char *colon;
	size_t host_len;

	if (len == 0)
		return "has no host";
	if (strcspn(a, "/") < len)
		return "has a path";
	if (strcspn(a, "?#@ \t") < len)
		return "has a query, fragment, user or space";
	if (a[0] == '[') {
		const char *end = memchr(a, ']', len);

		if (!end || end == a + 1)
			return "has an unclosed or empty [IPv6] host";
		host_len = (size_t)(end - a) + 1;
		if (host_len == len)
			return NULL;
		colon = a[host_len] == ':' ? a + host_len : NULL;
		if (!colon)
			return "has something after its [IPv6] host";
	} else {
		colon = memchr(a, ':', len);
		host_len = colon ? (size_t)(colon - a) : len;
		if (host_len == 0)
			return "has no host";
	}
	if (colon && !good_port(colon + 1, len - (size_t)(colon + 1 - a)))
		return "has a port that is not 1-65535";
	return NULL;
}

/* clusters[i].cluster.server: https://HOST[:PORT] (http:// when allowed), one '/' off. */
static int load_server(struct kload *k, const struct fl_ynode *cluster, const char *field,
		       struct fl_kube_conn *c)
{
	const struct fl_ynode *at = fl_ynode_get(cluster, "server");
	const char *server, *why = NULL, *rest;
	char q[QUOTE_MAX];
	size_t len;
	int r;

	if ((r = get_text(k, cluster, field, "server", &server)) < 0)
		return r;
	if (!server)
		return err_at(k, cluster, -EINVAL, "%s.server: missing " SERVER_FORM, field);
	len = strlen(server);
	if (strncasecmp(server, "https://", 8) == 0) {
		rest = server + 8;
	} else if (strncasecmp(server, "http://", 7) == 0) {
		rest = server + 7;
		if (!k->allow_insecure)
			why = "is plain http://, refused unless insecure connections are allowed";
	} else {
		rest = server;
		why = "is not an https:// URL";
	}
	if (len > 0 && server[len - 1] == '/')
		len--;
	if (!why)
		why = bad_authority(rest, len - (size_t)(rest - server));
	if (why)
		return err_at(k, at, -EINVAL, "%s.server: %s %s " SERVER_FORM, field,
			      quote(server, q, sizeof(q)), why);
	if (!(c->server = strndup(server, len)))
		return -ENOMEM;
	return 0;
}

/* The cluster's server, TLS verification and CA bundle into c. */
static int load_cluster(struct kload *k, const struct fl_ynode *cluster, const char *field,
			struct fl_kube_conn *c)
{
	static const char *const refused[] = { "proxy-url", "tls-server-name", NULL };
	const struct fl_ynode *v = fl_ynode_get(cluster, "insecure-skip-tls-verify");
	int r;

	if ((r = want_map(k, cluster, field)) < 0 ||
	    (r = refuse_keys(k, cluster, field, refused, "connect to the server directly")) < 0 ||
	    (r = load_server(k, cluster, field, c)) < 0)
		return r;
	if (v && fl_ynode_type(v) != FL_YTYPE_NULL) {
		if (fl_ynode_type(v) != FL_YTYPE_BOOL)
			return err_at(k, v, -EINVAL,
				      "%s.insecure-skip-tls-verify: expected true or false, got %s",
				      field, fl_ytype_desc(fl_ynode_type(v)));
		c->insecure = v->text[0] == 't' || v->text[0] == 'T';
	}
	if (c->insecure && !k->allow_insecure)
		return err_at(k, v, -EPERM,
			      "%s.insecure-skip-tls-verify: true is refused (skipping TLS "
			      "verification must be allowed by the caller)",
			      field);
	if ((r = pem_field(k, cluster, field, "certificate-authority", "certificate-authority-data",
			   &c->ca_pem)) < 0)
		return r;
	if (c->insecure && c->ca_pem)
		return err_at(k, v, -EINVAL,
			      "%s: insecure-skip-tls-verify: true with a certificate authority "
			      "(give one)",
			      field);
	return 0;
}

/* token or tokenFile (read, trimmed) into c->token. */
static int load_token(struct kload *k, const struct fl_ynode *user, const char *field,
		      struct fl_kube_conn *c)
{
	const struct fl_ynode *at = fl_ynode_get(user, "tokenFile");
	const char *token, *file;
	char path[PATH_MAX];
	int r;

	if ((r = get_text(k, user, field, "token", &token)) < 0 ||
	    (r = get_text(k, user, field, "tokenFile", &file)) < 0)
		return r;
	if (token && file)
		return err_at(k, at, -EINVAL, "%s: token and tokenFile are both set (give one)",
			      field);
	if (token && token[0])
		return dup_to(&c->token, token);
	if (!file)
		return 0;
	if ((r = read_ref(k, at, field, "tokenFile", file, path, &c->token)) < 0)
		return r;
	trim(c->token);
	if (!c->token[0])
		return err_at(k, at, -EINVAL, "%s.tokenFile: %s: empty", field, path);
	return 0;
}

/* The user's credentials into c: a token, a client certificate and key, or none. */
static int load_user(struct kload *k, const struct fl_ynode *user, const char *field,
		     struct fl_kube_conn *c)
{
	static const char *const refused[] = {
		"exec",	  "auth-provider", "username",	    "password", "as",
		"as-uid", "as-groups",	   "as-user-extra", NULL
	};
	int r;

	if ((r = want_map(k, user, field)) < 0 ||
	    (r = refuse_keys(k, user, field, refused,
			     "use token, tokenFile or client-certificate and client-key")) < 0 ||
	    (r = load_token(k, user, field, c)) < 0 ||
	    (r = pem_field(k, user, field, "client-certificate", "client-certificate-data",
			   &c->cert_pem)) < 0 ||
	    (r = pem_field(k, user, field, "client-key", "client-key-data", &c->key_pem)) < 0)
		return r;
	if (!c->cert_pem != !c->key_pem)
		return err_at(k, user, -EINVAL, "%s: %s without %s", field,
			      c->cert_pem ? "a client certificate" : "a client key",
			      c->cert_pem ? "its key (client-key or client-key-data)"
					  : "its certificate (client-certificate or "
					    "client-certificate-data)");
	return 0;
}

/* The names in root[list] ("kind, lab"; "none"), for a message: never fails. */
static const char *list_names(const struct fl_ynode *root, const char *list, char *buf, size_t size)
{
	const struct fl_ynode *seq = fl_ynode_get(root, list);
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; seq && seq->kind == FL_YNODE_SEQ && i < seq->n; i++) {
		const struct fl_ynode *n = fl_ynode_get(seq->items[i], "name");
		int w;

		if (!n || n->kind != FL_YNODE_SCALAR)
			continue;
		w = snprintf(buf + o, size - o, "%s%s", o ? ", " : "", n->text);
		if (w < 0 || (size_t)w >= size - o) {
			(void)snprintf(buf + (o < size - 6 ? o : size - 6), 6, ", ...");
			return buf;
		}
		o += (size_t)w;
	}
	return o ? buf : "none";
}

/*
 * The entry of root[list] ("clusters") named name: its `what` mapping ("cluster") and its
 * index. ref and ref_field are the field that named it, for the message when none does
 * (ref_field NULL: the caller's context argument).
 */
static int find_entry(struct kload *k, const struct fl_ynode *root, const char *list,
		      const char *what, const char *name, const struct fl_ynode *ref,
		      const char *ref_field, const struct fl_ynode **ret, unsigned *ret_i)
{
	const struct fl_ynode *seq = fl_ynode_get(root, list), *found = NULL, *v;
	char names[NAMES_MAX], q[QUOTE_MAX], field[FIELD_MAX];
	unsigned at = 0;
	int r;

	if (seq && fl_ynode_type(seq) != FL_YTYPE_NULL && seq->kind != FL_YNODE_SEQ)
		return err_at(k, seq, -EINVAL, "%s: expected a sequence, got %s", list,
			      fl_ytype_desc(fl_ynode_type(seq)));
	for (unsigned i = 0; seq && seq->kind == FL_YNODE_SEQ && i < seq->n; i++) {
		const char *n;

		(void)snprintf(field, sizeof(field), "%s[%u]", list, i);
		if ((r = want_map(k, seq->items[i], field)) < 0 ||
		    (r = get_text(k, seq->items[i], field, "name", &n)) < 0)
			return r;
		if (!n)
			return err_at(k, seq->items[i], -EINVAL, "%s.name: missing", field);
		if (strcmp(n, name) != 0)
			continue;
		if (found)
			return err_at(k, fl_ynode_get(seq->items[i], "name"), -EINVAL,
				      "%s.name: %s is also %s[%u].name", field,
				      quote(n, q, sizeof(q)), list, at);
		found = seq->items[i];
		at = i;
	}
	if (!found && ref_field)
		return err_at(k, ref, -EINVAL, "%s: %s names no %s (%s: %s)", ref_field,
			      quote(name, q, sizeof(q)), what, list,
			      list_names(root, list, names, sizeof(names)));
	if (!found)
		return err_at(k, NULL, -EINVAL, "context %s is not in the kubeconfig (%s: %s)",
			      quote(name, q, sizeof(q)), list,
			      list_names(root, list, names, sizeof(names)));
	(void)snprintf(field, sizeof(field), "%s[%u].%s", list, at, what);
	if (!(v = fl_ynode_get(found, what)))
		return err_at(k, found, -EINVAL, "%s: missing", field);
	if ((r = want_map(k, v, field)) < 0)
		return r;
	*ret = v;
	*ret_i = at;
	return 0;
}

/* The context (argument, or current-context), its namespace, cluster and user, into c. */
static int load_context(struct kload *k, const struct fl_ynode *root, const char *name,
			struct fl_kube_conn *c)
{
	const char *from = name ? NULL : "current-context"; /* the field that named it */
	const struct fl_ynode *ctx, *entry;
	const char *cluster, *user, *ns;
	char field[FIELD_MAX], ref[FIELD_MAX + 16], names[NAMES_MAX];
	unsigned ci, i;
	int r;

	if (!name && (r = get_text(k, root, "", "current-context", &name)) < 0)
		return r;
	if (!name || !name[0])
		return err_at(k, root, -EINVAL, "current-context: missing (contexts: %s)",
			      list_names(root, "contexts", names, sizeof(names)));
	if ((r = find_entry(k, root, "contexts", "context", name,
			    fl_ynode_get(root, "current-context"), from, &ctx, &ci)) < 0 ||
	    (r = dup_to(&c->context, name)) < 0)
		return r;
	(void)snprintf(field, sizeof(field), "contexts[%u].context", ci);
	if ((r = get_text(k, ctx, field, "cluster", &cluster)) < 0 ||
	    (r = get_text(k, ctx, field, "user", &user)) < 0 ||
	    (r = get_text(k, ctx, field, "namespace", &ns)) < 0 ||
	    (r = dup_to(&c->namespace, ns && ns[0] ? ns : "default")) < 0)
		return r;
	if (!cluster || !cluster[0])
		return err_at(k, ctx, -EINVAL, "%s.cluster: missing", field);
	(void)snprintf(ref, sizeof(ref), "%s.cluster", field);
	if ((r = find_entry(k, root, "clusters", "cluster", cluster, fl_ynode_get(ctx, "cluster"),
			    ref, &entry, &i)) < 0)
		return r;
	(void)snprintf(ref, sizeof(ref), "clusters[%u].cluster", i);
	if ((r = load_cluster(k, entry, ref, c)) < 0)
		return r;
	/* a context without a user is anonymous, as in kubectl */
	if (!user || !user[0])
		return 0;
	(void)snprintf(ref, sizeof(ref), "%s.user", field);
	if ((r = find_entry(k, root, "users", "user", user, fl_ynode_get(ctx, "user"), ref, &entry,
			    &i)) < 0)
		return r;
	(void)snprintf(ref, sizeof(ref), "users[%u].user", i);
	return load_user(k, entry, ref, c);
}

/* apiVersion and kind, when given, are kubectl's: v1, Config. */
static int check_header(struct kload *k, const struct fl_ynode *root)
{
	const char *version, *kind;
	char q[QUOTE_MAX];
	int r;

	if (root->kind != FL_YNODE_MAP)
		return err_at(k, root, -EINVAL,
			      "expected a kubeconfig (a mapping: apiVersion: v1, kind: Config, "
			      "clusters, users, contexts), got %s",
			      fl_ytype_desc(fl_ynode_type(root)));
	if ((r = get_text(k, root, "", "apiVersion", &version)) < 0 ||
	    (r = get_text(k, root, "", "kind", &kind)) < 0)
		return r;
	if (version && strcmp(version, "v1") != 0)
		return err_at(k, fl_ynode_get(root, "apiVersion"), -EINVAL,
			      "apiVersion: %s is not v1", quote(version, q, sizeof(q)));
	if (kind && strcmp(kind, "Config") != 0)
		return err_at(k, fl_ynode_get(root, "kind"), -EINVAL, "kind: %s is not Config",
			      quote(kind, q, sizeof(q)));
	return 0;
}

/* path, or $KUBECONFIG (one file), or $HOME/.kube/config into error_file; k->dir. */
static int kubeconfig_path(struct kload *k, const char *path)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char q[QUOTE_MAX], *slash;
	int w;

	if (path)
		w = snprintf(error_file, sizeof(error_file), "%s", path);
	else if (env && env[0] && strchr(env, ':'))
		return err_at(k, NULL, -EINVAL,
			      "KUBECONFIG=%s is a list of files: merging kubeconfig files is not "
			      "supported (pass one file with --kubeconfig)",
			      quote(env, q, sizeof(q)));
	else if (env && env[0])
		w = snprintf(error_file, sizeof(error_file), "%s", env);
	else if (home && home[0])
		w = snprintf(error_file, sizeof(error_file), "%s/.kube/config", home);
	else
		return err_at(k, NULL, -ENOENT,
			      "no kubeconfig: KUBECONFIG and HOME are not set (pass one file with "
			      "--kubeconfig)");
	if (w < 0 || (size_t)w >= sizeof(error_file))
		return err_at(k, NULL, -ENAMETOOLONG, "the kubeconfig's path is too long");
	if (!error_file[0])
		return err_at(k, NULL, -ENOENT, "the kubeconfig's path is empty");
	k->file = error_file;
	slash = strrchr(error_file, '/');
	(void)snprintf(k->dir, sizeof(k->dir), "%.*s", slash ? (int)(slash - error_file) + 1 : 0,
		       error_file);
	return 0;
}

int fl_kubeconfig_load(const char *path, const char *context, bool allow_insecure,
		       struct fl_kube_conn **ret, struct fl_diag *diag)
{
	struct fl_diag scratch;
	struct kload k = { .allow_insecure = allow_insecure, .diag = diag ? diag : &scratch };
	_cleanup_(fl_freep) char *text = NULL;
	struct fl_ynode *root = NULL;
	struct fl_kube_conn *c = NULL;
	size_t len;
	int r;

	fl_diag_clear(k.diag);
	if ((r = kubeconfig_path(&k, path)) < 0)
		return r;
	if ((r = read_bounded(k.file, &text, &len)) < 0)
		return err_at(&k, NULL, r, "%s: %s", k.file, read_error(r));
	r = fl_ytree_load(text, len, MAX_DEPTH, &root, k.diag);
	k.diag->file = k.file;
	if (r == -ENODATA)
		return err_at(&k, NULL, -EINVAL,
			      "empty (expected a kubeconfig: apiVersion: v1, kind: Config, "
			      "clusters, users, contexts, current-context)");
	if (r < 0)
		return r;
	if (!(c = calloc(1, sizeof(*c))))
		r = -ENOMEM;
	if (r == 0 && (r = check_header(&k, root)) == 0 &&
	    (r = load_context(&k, root, context, c)) == 0)
		r = dup_to(&c->origin, k.file);
	fl_ynode_free(root);
	if (r < 0) {
		if (r == -ENOMEM)
			(void)err_at(&k, NULL, r, "out of memory");
		fl_kube_conn_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/*
 * dir/name (a service-account file) into *ret (new), trimmed of whitespace if asked. An
 * absent file is *ret NULL when optional, an error otherwise; an empty one is an error.
 * diag->file: the file.
 */
static int read_sa_file(const char *dir, const char *name, bool optional, bool trimmed, char **ret,
			struct fl_diag *diag)
{
	size_t len;
	int r, w;

	*ret = NULL;
	w = snprintf(error_file, sizeof(error_file), "%s/%s", dir, name);
	if (w < 0 || (size_t)w >= sizeof(error_file))
		return fl_diag_set(diag, -ENAMETOOLONG, "%s: the path is too long", dir);
	if ((r = read_bounded(error_file, ret, &len)) == -ENOENT && optional)
		return 0;
	if (r < 0) {
		diag->file = error_file;
		return fl_diag_set(diag, r, "%s: %s (the service account's %s)", error_file,
				   read_error(r), name);
	}
	if (trimmed)
		trim(*ret);
	if ((*ret)[0])
		return 0;
	free(*ret);
	*ret = NULL;
	diag->file = error_file;
	return fl_diag_set(diag, -EINVAL, "%s: empty (the service account's %s)", error_file, name);
}

/* https://HOST:PORT from the variables the kubelet sets in every pod. */
static int incluster_server(struct fl_kube_conn *c, struct fl_diag *diag)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	char q[QUOTE_MAX];
	bool v6;

	if (!host || !host[0] || !port || !port[0])
		return fl_diag_set(
			diag, -ENOENT, "%s is not set (not running in a Kubernetes pod?)",
			!host || !host[0] ? "KUBERNETES_SERVICE_HOST" : "KUBERNETES_SERVICE_PORT");
	if (strcspn(host, "/?#@[] \t\r\n") != strlen(host))
		return fl_diag_set(diag, -EINVAL, "KUBERNETES_SERVICE_HOST=%s is not a host",
				   quote(host, q, sizeof(q)));
	if (!good_port(port, strlen(port)))
		return fl_diag_set(diag, -EINVAL, "KUBERNETES_SERVICE_PORT=%s is not 1-65535",
				   quote(port, q, sizeof(q)));
	v6 = strchr(host, ':') != NULL;
	if (asprintf(&c->server, "https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port) <
	    0) {
		c->server = NULL;
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	return 0;
}

int fl_kube_incluster(const char *sa_dir, struct fl_kube_conn **ret, struct fl_diag *diag)
{
	struct fl_diag scratch;
	struct fl_kube_conn *c;
	int r;

	if (!diag)
		diag = &scratch;
	fl_diag_clear(diag);
	if (!sa_dir)
		sa_dir = FL_KUBE_SA_DIR;
	if (!(c = calloc(1, sizeof(*c))))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	if ((r = incluster_server(c, diag)) < 0 ||
	    (r = read_sa_file(sa_dir, "token", false, true, &c->token, diag)) < 0 ||
	    (r = read_sa_file(sa_dir, "ca.crt", true, false, &c->ca_pem, diag)) < 0 ||
	    (r = read_sa_file(sa_dir, "namespace", true, true, &c->namespace, diag)) < 0)
		goto fail;
	if (c->ca_pem && !is_pem(c->ca_pem)) {
		diag->file = error_file;
		(void)snprintf(error_file, sizeof(error_file), "%s/ca.crt", sa_dir);
		r = fl_diag_set(diag, -EINVAL, "%s: not PEM (no -----BEGIN line)", error_file);
		goto fail;
	}
	if (!c->namespace)
		c->namespace = strdup("default");
	c->context = strdup(FL_KUBE_INCLUSTER_CTX);
	c->origin = strdup(sa_dir);
	if (!c->namespace || !c->context || !c->origin) {
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	fl_kube_conn_free(c);
	return r;
}
