/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "kafkaenv.h"

extern char **environ;

#define SCRIPT	 "tests/lib/kafka-cluster.sh"
#define MAX_ARGS 64
/* A tool's answer (a topic description, a group listing) is small; bound it anyway. */
#define MAX_OUTPUT (16u << 20)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int wait_child(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/*
 * Run the script with argv; stdout goes to out_path (NULL: inherited), or into a pipe when
 * ret_out is given. Returns the exit status or -errno.
 */
static int run(char *const *argv, const char *out_path, char **ret_out)
{
	posix_spawn_file_actions_t fa;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int pfd[2] = { -1, -1 }, r, status;
	pid_t pid;

	if (ret_out && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	if (ret_out)
		posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	else if (out_path) {
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path,
						 O_WRONLY | O_CREAT | O_APPEND, 0644);
		posix_spawn_file_actions_adddup2(&fa, STDOUT_FILENO, STDERR_FILENO);
	}
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (ret_out)
		close(pfd[1]);
	if (r != 0) {
		if (ret_out)
			close(pfd[0]);
		return -r;
	}
	if (ret_out) {
		for (;;) {
			ssize_t n;

			if (cap - len < 4096) {
				char *nb;

				cap = cap ? cap * 2 : 8192;
				nb = cap <= MAX_OUTPUT ? realloc(buf, cap + 1) : NULL;
				if (!nb)
					break; /* drained below, the output is cut */
				buf = nb;
			}
			n = read(pfd[0], buf + len, cap - len);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			len += (size_t)n;
		}
		/* A cut output: keep reading so the child never blocks on a full pipe. */
		for (char sink[4096];;) {
			ssize_t n = read(pfd[0], sink, sizeof(sink));

			if (n == 0 || (n < 0 && errno != EINTR))
				break;
		}
		close(pfd[0]);
	}
	status = wait_child(pid);
	if (ret_out) {
		if (!buf)
			buf = malloc(1);
		if (!buf)
			return -ENOMEM;
		buf[len] = '\0';
		*ret_out = buf;
	}
	return status;
}

int kafkaenv_toolv(const struct kafkaenv *env, char **ret_out, const char *verb,
		   const char *const *args)
{
	char *argv[MAX_ARGS + 4];
	char *out = NULL;
	size_t n = 0;
	int r;

	argv[n++] = SCRIPT;
	argv[n++] = (char *)verb;
	argv[n++] = (char *)env->dir;
	for (size_t i = 0; args && args[i]; i++) {
		if (n == MAX_ARGS + 3)
			return -E2BIG;
		argv[n++] = (char *)args[i];
	}
	argv[n] = NULL;
	r = run(argv, NULL, ret_out ? &out : NULL);
	if (r >= 0 && ret_out)
		*ret_out = out;
	else
		free(out);
	return r;
}

int kafkaenv_tool(const struct kafkaenv *env, char **ret_out, const char *verb, ...)
{
	const char *args[MAX_ARGS + 1];
	size_t n = 0;
	va_list ap;
	const char *a;

	va_start(ap, verb);
	while ((a = va_arg(ap, const char *)) != NULL) {
		if (n == MAX_ARGS) {
			va_end(ap);
			return -E2BIG;
		}
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	return kafkaenv_toolv(env, ret_out, verb, args);
}

/* The deferred stop owns a copy of the directory: the env may live on the test's stack. */
static void stop_cb(void *arg)
{
	char *dir = arg;
	char *argv[] = { SCRIPT, "stop", dir, "--purge", NULL };

	(void)run(argv, NULL, NULL);
	free(dir);
}

/* The last non-empty line of the start log: the script's reason. */
static void last_line(const char *path, char *buf, size_t size)
{
	char *text = fltest_read_file(path, NULL);
	char *end, *start;

	(void)snprintf(buf, size, "(no message)");
	if (!text)
		return;
	end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(text, '\n');
	start = start ? start + 1 : text;
	if (*start)
		(void)snprintf(buf, size, "%s", start);
	free(text);
}

static void give_up(const char *why, const char *log)
{
	char *text = fltest_read_file(log, NULL);

	if (text) {
		fltest_log("%s:\n%s", log, text);
		free(text);
	}
	if (fltest_is_ci())
		FL_FAIL("Kafka cluster: %s (CI=true requires it)", why);
	FL_SKIP("Kafka cluster: %s", why);
}

static int first_port(void)
{
	const char *e = getenv("FL_KAFKA_BASE_PORT");
	char *end;
	long p;

	if (e && *e) {
		errno = 0;
		p = strtol(e, &end, 10);
		if (errno == 0 && *end == '\0' && p >= 1024 && p <= 65300)
			return (int)p;
	}
	/* Below the ephemeral range (32768+); broker ports P..P+2, controllers P+100..P+102. */
	return 20000 + (int)(getpid() % 500) * 4;
}

int kafkaenv_start(struct kafkaenv *env)
{
	char log[96], port[16], owner[16], why[512], bootstrap_path[96], *bootstrap;
	/* --owner: brokers do not outlive a test killed with SIGKILL (its cleanups never run). */
	char *argv[] = { SCRIPT, "start", env->dir, "--base-port", port, "--owner", owner, NULL };
	double t0 = now_s();
	int r = 4;

	memset(env, 0, sizeof(*env));
	(void)snprintf(env->dir, sizeof(env->dir), "/tmp/fl-kafka-XXXXXX");
	if (!mkdtemp(env->dir))
		FL_FAIL("mkdtemp %s: %s", env->dir, strerror(errno));
	fltest_defer(stop_cb, strdup(env->dir));
	/* Fetching the jars the first time, three JVMs on two cores, a restart or two. */
	fltest_set_timeout(600);
	(void)snprintf(log, sizeof(log), "%s/start.log", env->dir);
	env->base_port = first_port();
	(void)snprintf(owner, sizeof(owner), "%d", (int)getpid());
	/* Exit 4: a port is taken (another cluster, another test binary): move on. */
	for (int attempt = 0; attempt < 5 && r == 4; attempt++) {
		if (attempt > 0)
			env->base_port = 20000 + (env->base_port - 20000 + 7 * 4) % 2000;
		(void)snprintf(port, sizeof(port), "%d", env->base_port);
		r = run(argv, log, NULL);
	}
	if (r != 0) {
		last_line(log, why, sizeof(why));
		give_up(why, log);
	}
	(void)snprintf(bootstrap_path, sizeof(bootstrap_path), "%s/bootstrap", env->dir);
	bootstrap = fltest_read_file(bootstrap_path, NULL);
	if (!bootstrap)
		FL_FAIL("%s: cannot read it after a successful start", bootstrap_path);
	bootstrap[strcspn(bootstrap, "\n")] = '\0';
	(void)snprintf(env->bootstrap, sizeof(env->bootstrap), "%s", bootstrap);
	free(bootstrap);
	env->start_s = now_s() - t0;
	fltest_log("Kafka cluster (%d brokers) ready at %s in %.1f s", KAFKAENV_BROKERS,
		   env->bootstrap, env->start_s);
	return 0;
}

int kafkaenv_stop(const struct kafkaenv *env)
{
	return kafkaenv_tool(env, NULL, "stop", NULL) == 0 ? 0 : -EIO;
}

int kafkaenv_broker_stop(const struct kafkaenv *env, int n, bool kill)
{
	char id[16];

	(void)snprintf(id, sizeof(id), "%d", n);
	return kafkaenv_tool(env, NULL, "broker-stop", id, kill ? "--kill" : NULL, NULL) == 0
		       ? 0
		       : -EIO;
}

int kafkaenv_broker_start(const struct kafkaenv *env, int n)
{
	char id[16];

	(void)snprintf(id, sizeof(id), "%d", n);
	return kafkaenv_tool(env, NULL, "broker-start", id, NULL) == 0 ? 0 : -EIO;
}

int kafkaenv_create_topic(const struct kafkaenv *env, const char *name, int partitions, int rf,
			  const char *const *configs)
{
	const char *args[MAX_ARGS + 1];
	char p[16], f[16];
	size_t n = 0;

	(void)snprintf(p, sizeof(p), "%d", partitions);
	(void)snprintf(f, sizeof(f), "%d", rf);
	args[n++] = "--create";
	args[n++] = "--topic";
	args[n++] = name;
	args[n++] = "--partitions";
	args[n++] = p;
	args[n++] = "--replication-factor";
	args[n++] = f;
	for (size_t i = 0; configs && configs[i]; i++) {
		if (n + 2 > MAX_ARGS)
			return -E2BIG;
		args[n++] = "--config";
		args[n++] = configs[i];
	}
	args[n] = NULL;
	return kafkaenv_toolv(env, NULL, "topics", args) == 0 ? 0 : -EIO;
}
