/* SPDX-License-Identifier: MIT */
/* The test binaries' API server (kubetest.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kubetest.h"

static char dir[64], setup_error[512];
static pid_t owner;

static void stop_server(void)
{
	char cmd[256];

	if (getpid() != owner || !dir[0])
		return; /* a forked test's exit */
	(void)snprintf(cmd, sizeof(cmd), "bash tests/lib/kube-api.sh stop '%s' --purge", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "kubetest: stopping the API server in %s failed\n", dir);
}

static void setup(void)
{
	char cmd[512], err[128];
	const char *port;
	FILE *f;
	int st;

	owner = getpid();
	(void)snprintf(dir, sizeof(dir), "/tmp/fl-kubeapi-XXXXXX");
	if (!mkdtemp(dir)) {
		(void)snprintf(setup_error, sizeof(setup_error), "mkdtemp failed");
		dir[0] = '\0';
		return;
	}
	(void)snprintf(err, sizeof(err), "%s.err", dir);
	atexit(stop_server);
	/* FL_KUBE_TEST_PORT: another port than kube-api.sh's 16443 (binaries run side by
	 * side, each in its range); digits only, it goes into a command line. */
	port = getenv("FL_KUBE_TEST_PORT");
	if (port && (!port[0] || strspn(port, "0123456789") != strlen(port) || strlen(port) > 5))
		port = NULL;
	(void)snprintf(cmd, sizeof(cmd),
		       "bash tests/lib/kube-api.sh start '%s' --owner %d%s%s >&2 2>'%s'", dir,
		       (int)owner, port ? " --port " : "", port ? port : "", err);
	st = system(cmd);
	if (st == 0) {
		(void)unlink(err);
		return;
	}
	(void)snprintf(setup_error, sizeof(setup_error),
		       "tests/lib/kube-api.sh start failed "
		       "(exit %d)",
		       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	f = fopen(err, "r");
	if (f) {
		size_t n = strlen(setup_error);

		(void)snprintf(setup_error + n, sizeof(setup_error) - n, ": ");
		n = strlen(setup_error);
		n += fread(setup_error + n, 1, sizeof(setup_error) - n - 1, f);
		setup_error[n] = '\0';
		fclose(f);
		(void)unlink(err);
	}
	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "kubetest: could not remove %s\n", dir);
	dir[0] = '\0';
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

void kubetest_setup(void)
{
	pthread_once(&once, setup);
}

const char *kubetest_dir(void)
{
	kubetest_setup();
	if (!dir[0] && fltest_is_ci())
		FL_FAIL("no Kubernetes API server (CI requires one): %s", setup_error);
	if (!dir[0])
		FL_SKIP("no Kubernetes API server: %s", setup_error);
	return dir;
}

const char *kubetest_file(const char *name)
{
	static char buf[4096];
	char path[256];
	size_t n = 0;
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s", kubetest_dir(), name);
	f = fopen(path, "r");
	if (!f)
		FL_FAIL("kubetest: %s cannot be read", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}
