/* SPDX-License-Identifier: MIT */
/* Test certificates with certtool (testcerts.h). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fltest.h"
#include "testcerts.h"

extern char **environ;

const char *testcerts_path(const struct testcerts *certs, const char *name)
{
	static __thread char paths[32][128]; /* thread-local: server workers call this too */
	static __thread unsigned n;
	char *p = paths[n++ % 32];

	(void)snprintf(p, 128, "%s/%s", certs->dir, name);
	return p;
}

/* certtool's output goes to certtool.log in the directory. 0, or -errno / -EIO. */
static int certtool(const struct testcerts *certs, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, testcerts_path(certs, "certtool.log"),
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -r;
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

static void must(const struct testcerts *certs, char *const argv[], const char *what)
{
	FL_ASSERT_MSG(certtool(certs, argv) == 0, "certtool could not make %s (see %s)", what,
		      testcerts_path(certs, "certtool.log"));
}

static void write_template(const struct testcerts *certs, const char *name, const char *text)
{
	FILE *f = fopen(testcerts_path(certs, name), "w");

	FL_ASSERT_MSG(f, "%s: %s", testcerts_path(certs, name), strerror(errno));
	fputs(text, f);
	FL_ASSERT_MSG(fclose(f) == 0, "%s: %s", testcerts_path(certs, name), strerror(errno));
}

static void key(const struct testcerts *certs, const char *name)
{
	char *argv[] = { "certtool",
			 "--generate-privkey",
			 "--key-type=ecdsa",
			 "--sec-param=high",
			 "--outfile",
			 (char *)testcerts_path(certs, name),
			 NULL };

	must(certs, argv, name);
}

static void self_signed(const struct testcerts *certs, const char *name, const char *keyname,
			const char *tmpl)
{
	char *argv[] = { "certtool",
			 "--generate-self-signed",
			 "--load-privkey",
			 (char *)testcerts_path(certs, keyname),
			 "--template",
			 (char *)testcerts_path(certs, tmpl),
			 "--outfile",
			 (char *)testcerts_path(certs, name),
			 NULL };

	must(certs, argv, name);
}

static void signed_by(const struct testcerts *certs, const char *name, const char *keyname,
		      const char *tmpl, const char *ca, const char *ca_key)
{
	char *argv[] = { "certtool",
			 "--generate-certificate",
			 "--load-privkey",
			 (char *)testcerts_path(certs, keyname),
			 "--load-ca-certificate",
			 (char *)testcerts_path(certs, ca),
			 "--load-ca-privkey",
			 (char *)testcerts_path(certs, ca_key),
			 "--template",
			 (char *)testcerts_path(certs, tmpl),
			 "--outfile",
			 (char *)testcerts_path(certs, name),
			 NULL };

	must(certs, argv, name);
}

void testcerts_make(struct testcerts *certs)
{
	char *version[] = { "certtool", "--version", NULL };

	fltest_scratch_dir(certs->dir, sizeof(certs->dir), "fl-certs");
	if (certtool(certs, version) != 0)
		FL_SKIP("certtool (gnutls-bin) is not installed: cannot make test certificates");
	write_template(certs, "ca.tmpl",
		       "cn = \"Faultline Test CA\"\nca\ncert_signing_key\nexpiration_days = 2\n");
	write_template(certs, "other-ca.tmpl",
		       "cn = \"Some Other CA\"\nca\ncert_signing_key\nexpiration_days = 2\n");
	write_template(certs, "server.tmpl",
		       "cn = \"localhost\"\ndns_name = \"localhost\"\nip_address = \"127.0.0.1\"\n"
		       "tls_www_server\nsigning_key\nencryption_key\nexpiration_days = 2\n");
	write_template(certs, "client.tmpl",
		       "cn = \"controller-test\"\norganization = \"Faultline\"\ntls_www_client\n"
		       "signing_key\nexpiration_days = 2\n");
	key(certs, "ca.key");
	self_signed(certs, "ca.pem", "ca.key", "ca.tmpl");
	key(certs, "other-ca.key");
	self_signed(certs, "other-ca.pem", "other-ca.key", "other-ca.tmpl");
	key(certs, "server.key");
	signed_by(certs, "server.pem", "server.key", "server.tmpl", "ca.pem", "ca.key");
	key(certs, "client.key");
	signed_by(certs, "client.pem", "client.key", "client.tmpl", "ca.pem", "ca.key");
	key(certs, "other-client.key");
	signed_by(certs, "other-client.pem", "other-client.key", "client.tmpl", "other-ca.pem",
		  "other-ca.key");
}
