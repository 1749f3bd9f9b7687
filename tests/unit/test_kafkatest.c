/* SPDX-License-Identifier: MIT */
/*
 * kafkatest when the cluster cannot start (no Kafka is started here: the cluster script is
 * a stand-in that fails the way a missing Java would). kafkatest_bootstrap() then fails the
 * test under CI — CI=true or CI=1 — and skips it elsewhere, both times saying what the
 * script printed on stderr; the stand-in's DIR is removed either way. Under tests/run.sh,
 * whose cluster for the tier did not start, FL_KAFKA_START_ERROR carries that message: the
 * test fails (CI) or skips with it, and starts no cluster of its own.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fltest.h"
#include "kafkatest.h"

enum { EXIT_FAILED = 1, EXIT_SKIPPED = 77 }; /* fltest's exit statuses of a test */

static char scratch[] = "/tmp/fl-kafkatest-unit-XXXXXX";
static char script[sizeof(scratch) + 16];
static pid_t test_pid;

/* Only in the test itself: a child that fails runs the cleanups too, and still needs the
 * script for the "stop" of its exit. */
static void remove_scratch(void *arg)
{
	(void)arg;
	if (getpid() != test_pid)
		return;
	(void)unlink(script);
	(void)rmdir(scratch);
}

static void write_script(void)
{
	FILE *f = fopen(script, "w");

	FL_ASSERT(f != NULL);
	fputs("#!/bin/bash\n"
	      "case $1 in\n"
	      "start) echo 'kafka-cluster.sh: java: command not found' >&2; exit 3 ;;\n"
	      "stop) rm -rf \"$2\" ;;\n"
	      "esac\n",
	      f);
	FL_ASSERT_EQ(fclose(f), 0);
}

/* kafkatest_bootstrap() in a child with CI set to ci (NULL: unset) and FL_KAFKA_START_ERROR
 * to start_error (NULL: unset); its exit status, its output in out. */
static int bootstrap_in_child(const char *ci, const char *start_error, char *out, size_t size)
{
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	write_script();
	FL_ASSERT_OK(pipe(pipefd));
	fflush(stdout);
	pid = fork();
	FL_ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		if (ci)
			setenv("CI", ci, 1);
		else
			unsetenv("CI");
		setenv("FL_KAFKA_CLUSTER_SH", script, 1);
		unsetenv("FL_KAFKA_BOOTSTRAP");
		unsetenv("FL_KAFKA_DIR");
		unsetenv("FL_KAFKA_VERBOSE");
		if (start_error)
			setenv("FL_KAFKA_START_ERROR", start_error, 1);
		else
			unsetenv("FL_KAFKA_START_ERROR");
		(void)kafkatest_bootstrap();
		_exit(0); /* a bootstrap without a cluster: the answer that must never come */
	}
	close(pipefd[1]);
	while (len + 1 < size && (n = read(pipefd[0], out + len, size - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	FL_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	fltest_log("CI=%s: %s", ci ? ci : "(unset)", out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_no_dir_left(const char *out)
{
	const char *d = strstr(out, " start /tmp/fl-kafkatest-");
	char path[64];
	size_t n;

	FL_ASSERT_MSG(d != NULL, "the message names no DIR: %s", out);
	d += strlen(" start ");
	n = strcspn(d, " :");
	FL_ASSERT(n < sizeof(path));
	memcpy(path, d, n);
	path[n] = '\0';
	FL_ASSERT_MSG(access(path, F_OK) < 0 && errno == ENOENT, "%s was left behind", path);
}

FLTEST(a_cluster_that_fails_to_start_fails_under_ci_with_the_reason)
{
	static const char *const cis[] = { "true", "1" };
	char out[2048];

	FL_ASSERT(mkdtemp(scratch) != NULL);
	(void)snprintf(script, sizeof(script), "%s/cluster.sh", scratch);
	test_pid = getpid();
	fltest_defer(remove_scratch, NULL);
	for (size_t i = 0; i < sizeof(cis) / sizeof(cis[0]); i++) {
		FL_ASSERT_EQ(bootstrap_in_child(cis[i], NULL, out, sizeof(out)), EXIT_FAILED);
		FL_ASSERT_CONTAINS(out, "FAIL at ");
		FL_ASSERT_CONTAINS(out, "no Kafka cluster (CI requires one): ");
		FL_ASSERT_CONTAINS(out,
				   "failed (exit 3): kafka-cluster.sh: java: command not found");
		expect_no_dir_left(out);
	}
}

FLTEST(elsewhere_it_is_a_skip_with_the_reason)
{
	char out[2048];

	FL_ASSERT(mkdtemp(scratch) != NULL);
	(void)snprintf(script, sizeof(script), "%s/cluster.sh", scratch);
	test_pid = getpid();
	fltest_defer(remove_scratch, NULL);
	FL_ASSERT_EQ(bootstrap_in_child(NULL, NULL, out, sizeof(out)), EXIT_SKIPPED);
	FL_ASSERT_CONTAINS(out, "SKIP: no Kafka cluster: ");
	FL_ASSERT_CONTAINS(out, "failed (exit 3): kafka-cluster.sh: java: command not found");
	expect_no_dir_left(out);
	FL_ASSERT_EQ(bootstrap_in_child("false", NULL, out, sizeof(out)), EXIT_SKIPPED);
}

/* run.sh's start failed: its message, and no start here (the stand-in would say "java"). */
FLTEST(the_tiers_cluster_that_failed_to_start_fails_under_ci_with_its_message)
{
	static const char msg[] =
		"tests/lib/kafka-cluster.sh start /tmp/fl-kafka-tier-x failed "
		"(exit 4): kafka-cluster: port 19092 on 127.0.0.1 is already in use";
	char out[2048];

	FL_ASSERT(mkdtemp(scratch) != NULL);
	(void)snprintf(script, sizeof(script), "%s/cluster.sh", scratch);
	test_pid = getpid();
	fltest_defer(remove_scratch, NULL);
	FL_ASSERT_EQ(bootstrap_in_child("true", msg, out, sizeof(out)), EXIT_FAILED);
	FL_ASSERT_CONTAINS(out, "no Kafka cluster (CI requires one): the tier's cluster "
				"(tests/run.sh): ");
	FL_ASSERT_CONTAINS(out, msg);
	FL_ASSERT_MSG(!strstr(out, "java"), "a cluster of its own was started: %s", out);
	FL_ASSERT_EQ(bootstrap_in_child(NULL, msg, out, sizeof(out)), EXIT_SKIPPED);
	FL_ASSERT_CONTAINS(out, "SKIP: no Kafka cluster: the tier's cluster (tests/run.sh): ");
	FL_ASSERT_CONTAINS(out, msg);
}
