/* SPDX-License-Identifier: MIT */
/*
 * faultline lab up|down|status [...]: the embedded lab (lab/README.md). The orchestration
 * is lab/lab.sh; this verb finds it and execs it with the same arguments. (The controller
 * may exec; the agent never does.)
 */
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void lab_usage(FILE *out)
{
	fprintf(out, "Usage: faultline lab up [--dir DIR] [--restart-delay SECONDS]\n"
		     "       faultline lab down [--dir DIR]\n"
		     "       faultline lab status [--dir DIR]\n"
		     "       faultline lab topics|tool|exec [--dir DIR] ARGS...\n"
		     "\n"
		     "A real StreamForge on this host: 3 Kafka brokers as pods on a private "
		     "containerd,\n"
		     "the agent on its CRI socket. DIR defaults to /var/lib/faultline/lab. Runs "
		     "lab.sh from\n"
		     "$FAULTLINE_LAB_SH, <binary's dir>/../lab/lab.sh or "
		     "/usr/local/share/faultline/lab/lab.sh.\n");
}

/* The first candidate that is an executable file; ret has room for PATH_MAX bytes. */
static int find_lab_sh(char *ret, size_t size)
{
	char exe[PATH_MAX], *slash;
	const char *env = getenv("FAULTLINE_LAB_SH");
	ssize_t n;

	if (env && *env) {
		if (access(env, X_OK) < 0)
			return -errno;
		(void)snprintf(ret, size, "%s", env);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if ((size_t)snprintf(ret, size, "%s/../lab/lab.sh", exe) < size &&
			    access(ret, X_OK) == 0)
				return 0;
		}
	}
	(void)snprintf(ret, size, "/usr/local/share/faultline/lab/lab.sh");
	return access(ret, X_OK) == 0 ? 0 : -ENOENT;
}

int fl_cmd_lab(int argc, char **argv)
{
	static const char *const verbs[] = { "up", "down", "status", "topics", "tool", "exec" };
	char path[PATH_MAX];
	bool known = false;
	int r;

	if (argc < 2) {
		lab_usage(stderr);
		return FL_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		lab_usage(stdout);
		return FL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known = known || strcmp(argv[1], verbs[i]) == 0;
	if (!known) {
		fprintf(stderr, "faultline lab: unknown command \"%s\" (up, down, status)\n",
			argv[1]);
		return FL_EXIT_USAGE;
	}
	r = find_lab_sh(path, sizeof(path));
	if (r < 0) {
		fprintf(stderr,
			"faultline lab: lab.sh not found ($FAULTLINE_LAB_SH, ../lab/lab.sh next to "
			"the binary, /usr/local/share/faultline/lab/lab.sh): %s\n",
			strerror(-r));
		return FL_EXIT_ERROR;
	}
	/* argv[0] becomes the script; argv is NULL-terminated as main's is. */
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr, "faultline lab: exec %s: %s\n", path, strerror(errno));
	return FL_EXIT_ERROR;
}
