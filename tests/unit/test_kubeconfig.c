/* SPDX-License-Identifier: MIT */
/*
 * The Kubernetes client's connection settings (controller/kubernetes/kubeconfig.c): the
 * valid kubeconfigs of tests/data/kubeconfig/valid (token, client certificate and key by
 * file and by data, CA by file and by data, relative paths, a named context, the default
 * namespace), the exact message, line and column of each invalid one, allow_insecure, the
 * KUBECONFIG / HOME defaults, the 1 MiB bounds, the in-cluster service account, and a
 * mutation loop over the fixtures (no crash; 0 or an error with a message).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fltest.h"
#include "kubeconfig.h"

#define VALID	"tests/data/kubeconfig/valid/"
#define INVALID "tests/data/kubeconfig/invalid/"

static char *slurp(const char *path)
{
	char *text = fltest_read_file(path, NULL);

	FL_ASSERT_MSG(text, "cannot read %s", path);
	return text;
}

static void write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);

	FL_ASSERT_MSG(fd >= 0, "cannot create %s", path);
	FL_ASSERT_EQ(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static struct fl_kube_conn *load_ok(const char *path, const char *context, bool insecure)
{
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };
	int r = fl_kubeconfig_load(path, context, insecure, &c, &diag);

	FL_ASSERT_MSG(r == 0, "%s: %d %s:%d:%d: %s", path, r, diag.file, diag.line, diag.col,
		      diag.msg);
	return c;
}

FLTEST(token_user_ca_data_and_current_context)
{
	struct fl_kube_conn *c = load_ok(VALID "token.yaml", NULL, false);
	char *ca = slurp(VALID "ca.crt");

	FL_ASSERT_STREQ(c->server, "https://lab.example:6443"); /* the trailing '/' is gone */
	FL_ASSERT_STREQ(c->context, "lab");
	FL_ASSERT_STREQ(c->namespace, "streamforge");
	FL_ASSERT_STREQ(c->token, "abc.def");
	FL_ASSERT_STREQ(c->ca_pem, ca);
	FL_ASSERT(!c->cert_pem && !c->key_pem && !c->insecure);
	FL_ASSERT_STREQ(c->origin, VALID "token.yaml");
	fl_kube_conn_free(c);
	/* a named context instead of current-context; no namespace: default */
	c = load_ok(VALID "token.yaml", "kind", false);
	FL_ASSERT_STREQ(c->server, "https://127.0.0.1:43615");
	FL_ASSERT_STREQ(c->context, "kind");
	FL_ASSERT_STREQ(c->namespace, "default");
	FL_ASSERT_STREQ(c->token, "abc.def");
	FL_ASSERT(fl_kube_conn_free(c) == NULL);
	FL_ASSERT(fl_kube_conn_free(NULL) == NULL);
	free(ca);
}

FLTEST(files_relative_to_the_kubeconfig_and_a_token_file)
{
	struct fl_kube_conn *c = load_ok(VALID "files.yaml", NULL, false);
	char *ca = slurp(VALID "ca.crt"), *crt = slurp(VALID "certs/client.crt");
	char *key = slurp(VALID "certs/client.key");

	FL_ASSERT_STREQ(c->server, "https://[fd00::1]:6443");
	FL_ASSERT_STREQ(c->ca_pem, ca);
	FL_ASSERT_STREQ(c->cert_pem, crt);
	FL_ASSERT_STREQ(c->key_pem, key);
	FL_ASSERT(!c->token);
	FL_ASSERT_STREQ(c->namespace, "default");
	fl_kube_conn_free(c);
	/* tokenFile read and trimmed; namespace: "" is the default too */
	c = load_ok(VALID "files.yaml", "tokfile", false);
	FL_ASSERT_STREQ(c->token, "eyJhbGciOiJSUzI1NiJ9.fixture-token");
	FL_ASSERT_STREQ(c->namespace, "default");
	FL_ASSERT(!c->cert_pem && !c->key_pem);
	fl_kube_conn_free(c);
	free(ca);
	free(crt);
	free(key);
}

FLTEST(relative_paths_from_a_kubeconfig_in_the_current_folder)
{
	struct fl_kube_conn *c;

	FL_ASSERT_OK(chdir(VALID)); /* the test runs in its own process */
	c = load_ok("files.yaml", NULL, false);
	FL_ASSERT(c->ca_pem && c->cert_pem && c->key_pem);
	fl_kube_conn_free(c);
}

FLTEST(cert_and_key_by_data_wrapped_base64_and_an_anonymous_context)
{
	struct fl_kube_conn *c = load_ok(VALID "data.yaml", NULL, false);
	char *ca = slurp(VALID "ca.crt"), *crt = slurp(VALID "certs/client.crt");
	char *key = slurp(VALID "certs/client.key");

	FL_ASSERT_STREQ(c->server, "https://10.0.0.1");
	FL_ASSERT_STREQ(c->ca_pem, ca);
	FL_ASSERT_STREQ(c->cert_pem, crt);
	FL_ASSERT_STREQ(c->key_pem, key);
	fl_kube_conn_free(c);
	c = load_ok(VALID "data.yaml", "anon", false);
	FL_ASSERT(!c->token && !c->cert_pem && !c->key_pem);
	FL_ASSERT_STREQ(c->context, "anon");
	fl_kube_conn_free(c);
	free(ca);
	free(crt);
	free(key);
}

struct bad {
	const char *file;
	int err, line, col;
	const char *msg;
};

static const struct bad bad[] = {
	{ "no-such-cluster.yaml", -EINVAL, 14, 16,
	  "contexts[1].context.cluster: \"prod\" names no cluster (clusters: kind, lab)" },
	{ "bad-base64.yaml", -EINVAL, 9, 32, "users[0].user.client-certificate-data: not base64" },
	{ "missing-key-file.yaml", -ENOENT, 10, 19,
	  "users[0].user.client-key: /x/k.pem: No such file or directory" },
	{ "no-current-context.yaml", -EINVAL, 1, 1, "current-context: missing (contexts: lab)" },
	{ "current-context-unknown.yaml", -EINVAL, 9, 18,
	  "current-context: \"prod\" names no context (contexts: lab)" },
	{ "no-user.yaml", -EINVAL, 11, 33,
	  "contexts[0].context.user: \"u\" names no user (users: other)" },
	{ "context-no-cluster.yaml", -EINVAL, 8, 14, "contexts[0].context.cluster: missing" },
	{ "exec.yaml", -EOPNOTSUPP, 9, 7,
	  "users[0].user.exec: not supported (use token, tokenFile or client-certificate and "
	  "client-key)" },
	{ "auth-provider.yaml", -EOPNOTSUPP, 8, 12,
	  "users[0].user.auth-provider: not supported (use token, tokenFile or "
	  "client-certificate and client-key)" },
	{ "basic-auth.yaml", -EOPNOTSUPP, 8, 12,
	  "users[0].user.username: not supported (use token, tokenFile or client-certificate "
	  "and client-key)" },
	{ "insecure.yaml", -EPERM, 7, 33,
	  "clusters[0].cluster.insecure-skip-tls-verify: true is refused (skipping TLS "
	  "verification must be allowed by the caller)" },
	{ "http-server.yaml", -EINVAL, 5, 23,
	  "clusters[0].cluster.server: \"http://k:8080\" is plain http://, refused unless "
	  "insecure connections are allowed (expected https://HOST[:PORT])" },
	{ "server-path.yaml", -EINVAL, 5, 23,
	  "clusters[0].cluster.server: \"https://k:6443/api\" has a path (expected "
	  "https://HOST[:PORT])" },
	{ "server-port.yaml", -EINVAL, 5, 23,
	  "clusters[0].cluster.server: \"https://k:65536\" has a port that is not 1-65535 "
	  "(expected https://HOST[:PORT])" },
	{ "ca-both.yaml", -EINVAL, 8, 35,
	  "clusters[0].cluster: certificate-authority and certificate-authority-data are both "
	  "set (give one)" },
	{ "ca-missing-file.yaml", -ENOENT, 7, 30,
	  "clusters[0].cluster.certificate-authority: " INVALID
	  "nope.crt: No such file or directory" },
	{ "ca-not-pem.yaml", -EINVAL, 7, 35,
	  "clusters[0].cluster.certificate-authority-data: decodes to something else than PEM "
	  "(no -----BEGIN line)" },
	{ "cert-without-key.yaml", -EINVAL, 9, 7,
	  "users[0].user: a client certificate without its key (client-key or "
	  "client-key-data)" },
	{ "token-both.yaml", -EINVAL, 8, 33,
	  "users[0].user: token and tokenFile are both set (give one)" },
	{ "token-file-empty.yaml", -EINVAL, 8, 23,
	  "users[0].user.tokenFile: " INVALID "empty-token: empty" },
	{ "wrong-kind.yaml", -EINVAL, 2, 7, "kind: \"Pod\" is not Config" },
	{ "duplicate-cluster.yaml", -EINVAL, 6, 11,
	  "clusters[1].name: \"c\" is also clusters[0].name" },
	{ "clusters-not-list.yaml", -EINVAL, 3, 11,
	  "clusters: expected a sequence, got a mapping" },
	{ "yaml-syntax.yaml", -EINVAL, 6, 1,
	  "while parsing a flow mapping: did not find expected ',' or '}'" },
	{ "empty.yaml", -EINVAL, 0, 0,
	  "empty (expected a kubeconfig: apiVersion: v1, kind: Config, clusters, users, "
	  "contexts, current-context)" },
};

FLTEST(each_invalid_kubeconfig_names_the_field_value_and_position)
{
	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++) {
		struct fl_kube_conn *c = (struct fl_kube_conn *)&c; /* never written on error */
		struct fl_diag diag = { 0 };
		char path[256];
		int r;

		(void)snprintf(path, sizeof(path), INVALID "%s", bad[i].file);
		r = fl_kubeconfig_load(path, NULL, false, &c, &diag);
		FL_ASSERT_MSG(r == bad[i].err, "%s: %d, expected %d (%s)", bad[i].file, r,
			      bad[i].err, diag.msg);
		FL_ASSERT_MSG(c == (struct fl_kube_conn *)&c, "%s: *ret written", bad[i].file);
		FL_ASSERT_STREQ(diag.file, path);
		FL_ASSERT_STREQ(diag.msg, bad[i].msg);
		FL_ASSERT_MSG(diag.line == bad[i].line && diag.col == bad[i].col,
			      "%s: at %d:%d, expected %d:%d", bad[i].file, diag.line, diag.col,
			      bad[i].line, bad[i].col);
	}
}

FLTEST(allow_insecure_lets_skip_verify_and_http_through)
{
	struct fl_kube_conn *c = load_ok(INVALID "insecure.yaml", NULL, true);

	FL_ASSERT(c->insecure);
	FL_ASSERT(!c->ca_pem);
	FL_ASSERT_STREQ(c->server, "https://k:6443");
	fl_kube_conn_free(c);
	c = load_ok(INVALID "http-server.yaml", NULL, true);
	FL_ASSERT_STREQ(c->server, "http://k:8080");
	FL_ASSERT(!c->insecure);
	fl_kube_conn_free(c);
	/* what allow_insecure does not let through */
	{
		struct fl_diag diag = { 0 };

		FL_ASSERT_EQ(fl_kubeconfig_load(INVALID "server-path.yaml", NULL, true, &c, &diag),
			     -EINVAL);
	}
}

FLTEST(a_context_not_in_the_file_and_a_missing_file)
{
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT_EQ(fl_kubeconfig_load(VALID "token.yaml", "prod", false, &c, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg,
			"context \"prod\" is not in the kubeconfig (contexts: kind, lab)");
	FL_ASSERT_STREQ(diag.file, VALID "token.yaml");
	FL_ASSERT_EQ(fl_kubeconfig_load(INVALID "nothing-here.yaml", NULL, false, &c, &diag),
		     -ENOENT);
	FL_ASSERT_STREQ(diag.msg, INVALID "nothing-here.yaml: No such file or directory");
	FL_ASSERT_STREQ(diag.file, INVALID "nothing-here.yaml");
	FL_ASSERT_EQ(fl_kubeconfig_load(VALID, NULL, false, &c, &diag), -EISDIR);
	FL_ASSERT(c == NULL);
	/* diag may be NULL */
	FL_ASSERT_EQ(fl_kubeconfig_load(VALID "token.yaml", "prod", false, &c, NULL), -EINVAL);
}

/* The test's environment variables are its process's own (each test is a child). */
FLTEST(kubeconfig_from_the_environment_and_home)
{
	static char dir[128];
	char kube[256], cfg[300], *text = slurp(VALID "token.yaml");
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };

	fltest_scratch_dir(dir, sizeof(dir), "fl-kubecfg");
	(void)snprintf(kube, sizeof(kube), "%s/.kube", dir);
	FL_ASSERT_OK(mkdir(kube, 0700));
	(void)snprintf(cfg, sizeof(cfg), "%s/config", kube);
	write_file(cfg, text, strlen(text));
	free(text);
	/* $HOME/.kube/config when KUBECONFIG is unset or empty */
	FL_ASSERT_OK(unsetenv("KUBECONFIG"));
	FL_ASSERT_OK(setenv("HOME", dir, 1));
	c = load_ok(NULL, NULL, false);
	FL_ASSERT_STREQ(c->origin, cfg);
	c = fl_kube_conn_free(c);
	FL_ASSERT_OK(setenv("KUBECONFIG", "", 1));
	c = load_ok(NULL, NULL, false);
	c = fl_kube_conn_free(c);
	/* KUBECONFIG wins over HOME */
	FL_ASSERT_OK(setenv("KUBECONFIG", VALID "data.yaml", 1));
	c = load_ok(NULL, NULL, false);
	FL_ASSERT_STREQ(c->origin, VALID "data.yaml");
	c = fl_kube_conn_free(c);
	/* a list is refused, not merged */
	FL_ASSERT_OK(setenv("KUBECONFIG", "/a/config:/b/config", 1));
	FL_ASSERT_EQ(fl_kubeconfig_load(NULL, NULL, false, &c, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "KUBECONFIG=\"/a/config:/b/config\" is a list of files: merging "
				  "kubeconfig files is not supported (pass one file with "
				  "--kubeconfig)");
	FL_ASSERT(diag.file == NULL);
	/* an explicit path wins over both */
	c = load_ok(VALID "files.yaml", NULL, false);
	c = fl_kube_conn_free(c);
	/* neither */
	FL_ASSERT_OK(unsetenv("KUBECONFIG"));
	FL_ASSERT_OK(unsetenv("HOME"));
	FL_ASSERT_EQ(fl_kubeconfig_load(NULL, NULL, false, &c, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "KUBECONFIG and HOME are not set");
	FL_ASSERT(c == NULL);
}

FLTEST(files_over_one_mib_are_refused)
{
	static char dir[128];
	char big_cfg[256], big_pem[256], small_cfg[256];
	size_t len = FL_KUBE_FILE_MAX + 1;
	char *big = malloc(len), text[512];
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT(big);
	fltest_scratch_dir(dir, sizeof(dir), "fl-kubecfg");
	memset(big, '#', len);
	(void)snprintf(big_cfg, sizeof(big_cfg), "%s/big.yaml", dir);
	write_file(big_cfg, big, len);
	FL_ASSERT_EQ(fl_kubeconfig_load(big_cfg, NULL, false, &c, &diag), -EFBIG);
	FL_ASSERT_CONTAINS(diag.msg, "big.yaml: larger than 1 MiB");
	/* exactly 1 MiB is read (and is only a comment: empty) */
	write_file(big_cfg, big, len - 1);
	FL_ASSERT_EQ(fl_kubeconfig_load(big_cfg, NULL, false, &c, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "empty");
	(void)snprintf(big_pem, sizeof(big_pem), "%s/big.pem", dir);
	write_file(big_pem, big, len);
	free(big);
	(void)snprintf(text, sizeof(text),
		       "clusters: [{name: c, cluster: {server: \"https://k\", "
		       "certificate-authority: big.pem}}]\n"
		       "contexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n");
	(void)snprintf(small_cfg, sizeof(small_cfg), "%s/small.yaml", dir);
	write_file(small_cfg, text, strlen(text));
	FL_ASSERT_EQ(fl_kubeconfig_load(small_cfg, NULL, false, &c, &diag), -EFBIG);
	(void)snprintf(text, sizeof(text),
		       "clusters[0].cluster.certificate-authority: %s: larger than 1 MiB", big_pem);
	FL_ASSERT_STREQ(diag.msg, text);
	FL_ASSERT(c == NULL);
}

static void make_sa(const char *dir, const char *token, const char *ca, const char *ns)
{
	char path[256];

	if (token) {
		(void)snprintf(path, sizeof(path), "%s/token", dir);
		write_file(path, token, strlen(token));
	}
	if (ca) {
		(void)snprintf(path, sizeof(path), "%s/ca.crt", dir);
		write_file(path, ca, strlen(ca));
	}
	if (ns) {
		(void)snprintf(path, sizeof(path), "%s/namespace", dir);
		write_file(path, ns, strlen(ns));
	}
}

FLTEST(in_cluster_service_account)
{
	static char dir[128];
	char *ca = slurp(VALID "ca.crt"), path[256];
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };

	fltest_scratch_dir(dir, sizeof(dir), "fl-kubecfg");
	make_sa(dir, "tok-123\n", ca, "streamforge\n");
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1));
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_PORT", "443", 1));
	FL_ASSERT_OK(fl_kube_incluster(dir, &c, &diag));
	FL_ASSERT_STREQ(c->server, "https://10.96.0.1:443");
	FL_ASSERT_STREQ(c->token, "tok-123");
	FL_ASSERT_STREQ(c->ca_pem, ca);
	FL_ASSERT_STREQ(c->namespace, "streamforge");
	FL_ASSERT_STREQ(c->context, FL_KUBE_INCLUSTER_CTX);
	FL_ASSERT_STREQ(c->origin, dir);
	FL_ASSERT(!c->cert_pem && !c->key_pem && !c->insecure);
	c = fl_kube_conn_free(c);
	free(ca);
	/* IPv6 bracketed; no namespace file: default */
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1", 1));
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_PORT", "6443", 1));
	(void)snprintf(path, sizeof(path), "%s/namespace", dir);
	FL_ASSERT_OK(unlink(path));
	FL_ASSERT_OK(fl_kube_incluster(dir, &c, &diag));
	FL_ASSERT_STREQ(c->server, "https://[fd00:10:96::1]:6443");
	FL_ASSERT_STREQ(c->namespace, "default");
	fl_kube_conn_free(c);
}

FLTEST(in_cluster_says_what_is_missing)
{
	static char dir[128];
	char want[300];
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };

	fltest_scratch_dir(dir, sizeof(dir), "fl-kubecfg");
	FL_ASSERT_OK(unsetenv("KUBERNETES_SERVICE_HOST"));
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_PORT", "443", 1));
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg,
			"KUBERNETES_SERVICE_HOST is not set (not running in a Kubernetes pod?)");
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1));
	FL_ASSERT_OK(unsetenv("KUBERNETES_SERVICE_PORT"));
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "KUBERNETES_SERVICE_PORT is not set");
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_PORT", "0", 1));
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "KUBERNETES_SERVICE_PORT=\"0\" is not 1-65535");
	FL_ASSERT_OK(setenv("KUBERNETES_SERVICE_PORT", "443", 1));
	/* no token */
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -ENOENT);
	(void)snprintf(want, sizeof(want),
		       "%s/token: No such file or directory (the service account's token)", dir);
	FL_ASSERT_STREQ(diag.msg, want);
	/* an empty one; then a CA that is not PEM */
	make_sa(dir, " \n", NULL, NULL);
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "/token: empty");
	make_sa(dir, "t", "hello", NULL);
	FL_ASSERT_EQ(fl_kube_incluster(dir, &c, &diag), -EINVAL);
	(void)snprintf(want, sizeof(want), "%s/ca.crt: not PEM (no -----BEGIN line)", dir);
	FL_ASSERT_STREQ(diag.msg, want);
	(void)snprintf(want, sizeof(want), "%s/ca.crt", dir);
	FL_ASSERT_STREQ(diag.file, want);
	FL_ASSERT(c == NULL);
}

/*
 * Robustness: every fixture, cut short at each of 64 lengths and with 400 random byte
 * changes each, loads to 0 or to an error with a message — and never crashes (the test's
 * child would die) or leaks past ASan in a sanitizer build.
 */
static void load_mutant(const char *path, const char *text, size_t len)
{
	struct fl_kube_conn *c = NULL;
	struct fl_diag diag = { 0 };
	int r;

	write_file(path, text, len);
	r = fl_kubeconfig_load(path, NULL, true, &c, &diag);
	FL_ASSERT_MSG(r == 0 ? c != NULL : diag.msg[0] != '\0', "%s: %d with no message", path, r);
	fl_kube_conn_free(c);
}

FLTEST(mutated_fixtures_load_or_fail_with_a_message)
{
	static const char *const seeds[] = { VALID "token.yaml", VALID "files.yaml",
					     VALID "data.yaml", INVALID "insecure.yaml",
					     INVALID "no-such-cluster.yaml" };
	static const char bytes[] = ":-[]{}\"'#&*!|>%@` \n\t\0a9/=";
	static char dir[128];
	char path[256];
	unsigned seed = 12;

	fltest_set_timeout(120);
	fltest_scratch_dir(dir, sizeof(dir), "fl-kubecfg");
	(void)snprintf(path, sizeof(path), "%s/mutant.yaml", dir);
	for (size_t s = 0; s < FL_ARRAY_SIZE(seeds); s++) {
		size_t len;
		char *text = fltest_read_file(seeds[s], &len);

		FL_ASSERT(text && len > 0);
		for (size_t cut = 0; cut < len; cut += len / 64 + 1)
			load_mutant(path, text, cut);
		for (unsigned i = 0; i < 400; i++) {
			char *m = malloc(len);
			unsigned n = 1 + rand_r(&seed) % 4;

			FL_ASSERT(m);
			memcpy(m, text, len);
			while (n--)
				m[(size_t)rand_r(&seed) % len] =
					bytes[(size_t)rand_r(&seed) % (sizeof(bytes) - 1)];
			load_mutant(path, m, len);
			free(m);
		}
		free(text);
	}
}
