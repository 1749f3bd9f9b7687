/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "agentenv.h"
#include "fltest.h"

extern char **environ;

/* The binary to run (static storage); fails the test when the test build is not there. */
static const char *agent_binary(const struct agentenv *env)
{
	static char path[256];
	const char *b = getenv("FL_AGENT_BIN"), *build = getenv("BUILD");

	if (!build || !*build)
		build = "build";
	if (env->test_agent) {
		(void)snprintf(path, sizeof(path), "%s/t/faultline-agent", build);
		if (access(path, X_OK) < 0)
			FL_FAIL("%s: %s (the agent's test build: make %s)", path, strerror(errno),
				path);
		return path;
	}
	if (b)
		return b;
	(void)snprintf(path, sizeof(path), "%s/faultline-agent", build);
	return access(path, X_OK) == 0 ? path : "/bin/faultline-agent";
}

static void kill_cb(void *arg)
{
	struct agentenv *env = arg;

	if (env->pid > 0) {
		kill(env->pid, SIGKILL);
		(void)waitpid(env->pid, NULL, 0);
		env->pid = 0;
	}
}

static void rmdir_cb(void *arg)
{
	struct agentenv *env = arg;
	char path[256];
	struct dirent *de;
	DIR *d;

	if (!env->dir[0])
		return;
	if ((d = opendir(env->ledger))) {
		while ((de = readdir(d)))
			if (de->d_name[0] != '.' || strlen(de->d_name) > 2) {
				(void)snprintf(path, sizeof(path), "%s/%s", env->ledger,
					       de->d_name);
				(void)unlink(path);
			}
		closedir(d);
	}
	(void)rmdir(env->ledger);
	(void)unlink(env->sock);
	(void)unlink(env->log);
	(void)rmdir(env->dir);
}

static void spawn(struct agentenv *env)
{
	const char *argv[AGENTENV_MAX_ARGS + 8];
	char *envp[64];
	char a_sock[200], a_ledger[200];
	posix_spawn_file_actions_t fa;
	unsigned n = 0, ne = 0;
	int r;

	for (unsigned i = 0; i < env->n_env; i++)
		if (strncmp(env->env[i], "FL_AGENT_", 9) == 0 && !env->test_agent)
			FL_FAIL("%s: a test hook, only in the agent's test build (set test_agent)",
				env->env[i]);
	(void)snprintf(a_sock, sizeof(a_sock), "--unix-socket=%s", env->sock);
	(void)snprintf(a_ledger, sizeof(a_ledger), "--ledger-dir=%s", env->ledger);
	argv[n++] = agent_binary(env);
	argv[n++] = a_sock;
	argv[n++] = a_ledger;
	argv[n++] = "--log-level=debug";
	argv[n++] = "--reconcile-interval=1s";
	for (unsigned i = 0; i < env->n_extra; i++)
		argv[n++] = env->extra[i];
	argv[n] = NULL;
	for (char **e = environ; *e && ne < 50; e++)
		if (strncmp(*e, "FAULTLINE_AGENT_", 16) != 0 && strncmp(*e, "FL_AGENT_", 9) != 0)
			envp[ne++] = *e;
	for (unsigned i = 0; i < env->n_env; i++)
		envp[ne++] = (char *)env->env[i];
	envp[ne] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, env->log,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&env->pid, argv[0], &fa, NULL, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		FL_FAIL("cannot start %s: %s", argv[0], strerror(r));
}

static void wait_healthy(struct agentenv *env)
{
	for (int i = 0; i < 200; i++) {
		json_t *j = NULL;
		int st;

		if (waitpid(env->pid, &st, WNOHANG) == env->pid) {
			env->pid = 0;
			agentenv_dump_log(env);
			FL_FAIL("the agent exited during start-up (status %d)", st);
		}
		if (agentenv_request_raw(env, "GET", "/v1/health", NULL, &j, true) == 200) {
			json_decref(j);
			return;
		}
		json_decref(j);
		usleep(25000);
	}
	agentenv_dump_log(env);
	FL_FAIL("the agent did not answer /v1/health within 5 s");
}

void agentenv_start(struct agentenv *env)
{
	(void)snprintf(env->dir, sizeof(env->dir), "/tmp/fl-agent-XXXXXX");
	if (!mkdtemp(env->dir))
		FL_FAIL("mkdtemp: %s", strerror(errno));
	(void)snprintf(env->sock, sizeof(env->sock), "%s/agent.sock", env->dir);
	(void)snprintf(env->address, sizeof(env->address), "unix:%s", env->sock);
	(void)snprintf(env->ledger, sizeof(env->ledger), "%s/ledger", env->dir);
	(void)snprintf(env->log, sizeof(env->log), "%s/agent.log", env->dir);
	fltest_defer(rmdir_cb, env);
	fltest_defer(kill_cb, env);
	spawn(env);
	wait_healthy(env);
}

void agentenv_restart(struct agentenv *env)
{
	spawn(env);
	wait_healthy(env);
}

int agentenv_stop(struct agentenv *env)
{
	int st = 0;

	if (env->pid <= 0)
		return -1;
	kill(env->pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(env->pid, &st, WNOHANG) == env->pid) {
			env->pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(25000);
	}
	agentenv_dump_log(env);
	FL_FAIL("the agent did not stop within 5 s of SIGTERM");
}

void agentenv_kill9(struct agentenv *env)
{
	if (env->pid > 0) {
		kill(env->pid, SIGKILL);
		(void)waitpid(env->pid, NULL, 0);
		env->pid = 0;
	}
}

bool agentenv_alive(struct agentenv *env)
{
	if (env->pid <= 0)
		return false;
	if (waitpid(env->pid, NULL, WNOHANG) == 0)
		return true;
	env->pid = 0; /* reaped: never signal that number again, it may be reused */
	return false;
}

int agentenv_request_raw(struct agentenv *env, const char *method, const char *path,
			 const char *body, json_t **ret_json, bool allow_error)
{
	struct fl_agent_client_config cfg = { .address = env->address, .timeout_ms = 30000 };
	struct fl_agent_client *client;
	struct fl_diag diag = { 0 };
	char *resp = NULL;
	int status = 0;

	*ret_json = NULL;
	if (fl_agent_client_new(&cfg, &client, &diag) < 0)
		FL_FAIL("client: %s", diag.msg);
	if (fl_agent_request(client, method, path, body, &status, &resp, &diag) < 0) {
		fl_agent_client_free(client);
		if (allow_error)
			return -1;
		agentenv_dump_log(env);
		FL_FAIL("%s %s: %s", method, path, diag.msg);
	}
	fl_agent_client_free(client);
	if (resp) {
		json_error_t jerr;

		*ret_json = json_loads(resp, 0, &jerr);
		free(resp);
	}
	return status;
}

int agentenv_request(struct agentenv *env, const char *method, const char *path, const char *body,
		     json_t **ret_json)
{
	return agentenv_request_raw(env, method, path, body, ret_json, false);
}

int agentenv_inject(struct agentenv *env, char *ret_id, size_t size, const char *fmt, ...)
{
	char body[2048];
	json_t *j = NULL;
	va_list ap;
	int st;

	va_start(ap, fmt);
	(void)vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	st = agentenv_request(env, "POST", "/v1/faults", body, &j);
	if (ret_id) {
		const char *id = json_string_value(json_object_get(j, "id"));

		(void)snprintf(ret_id, size, "%s", id ? id : "");
	}
	if (st != 201) {
		const char *err = json_string_value(json_object_get(j, "error"));

		fltest_log("inject %s -> %d: %s", body, st, err ? err : "");
	}
	json_decref(j);
	return st;
}

void agentenv_revert(struct agentenv *env, const char *id)
{
	char path[96];
	json_t *j = NULL;
	int st;

	(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
	st = agentenv_request(env, "DELETE", path, NULL, &j);
	json_decref(j);
	FL_ASSERT_MSG(st == 200, "DELETE %s -> %d", path, st);
}

unsigned agentenv_ledger_records(struct agentenv *env)
{
	struct dirent *de;
	unsigned n = 0;
	DIR *d = opendir(env->ledger);

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".json"))
			n++;
	closedir(d);
	return n;
}

void agentenv_dump_log(struct agentenv *env)
{
	char *log = fltest_read_file(env->log, NULL);
	size_t len;

	if (!log)
		return;
	len = strlen(log);
	fltest_log("agent log (last 3000 bytes):\n%s", len > 3000 ? log + len - 3000 : log);
	free(log);
}
