/* SPDX-License-Identifier: MIT */
/* Debian's Prometheus in tests (promenv.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "http_probe.h"
#include "probe.h"
#include "promenv.h"

extern char **environ;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *path_in(const struct promenv *env, const char *name)
{
	static char paths[4][128];
	static unsigned n;
	char *p = paths[n++ % 4];

	(void)snprintf(p, 128, "%s/%s", env->dir, name);
	return p;
}

/* A port nobody listens on now: bind one, note it, close it. */
static unsigned free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	FL_ASSERT_MSG(fd >= 0, "socket: %s", strerror(errno));
	FL_ASSERT_MSG(bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
			      getsockname(fd, (struct sockaddr *)&sin, &len) == 0,
		      "a free port on 127.0.0.1: %s", strerror(errno));
	close(fd);
	return ntohs(sin.sin_port);
}

static void write_config(struct promenv *env, const char *jobs)
{
	FILE *f = fopen(path_in(env, "prometheus.yml"), "w");

	FL_ASSERT_MSG(f, "%s: %s", path_in(env, "prometheus.yml"), strerror(errno));
	fprintf(f,
		"global:\n"
		"  scrape_interval: 1s\n"
		"  scrape_timeout: 1s\n"
		"  evaluation_interval: 1s\n"
		"scrape_configs:\n"
		"  - job_name: prometheus\n"
		"    static_configs:\n"
		"      - targets: ['127.0.0.1:%u']\n"
		"%s",
		env->port, jobs ? jobs : "");
	FL_ASSERT_MSG(fclose(f) == 0, "prometheus.yml: %s", strerror(errno));
}

static void stop_cb(void *arg)
{
	promenv_stop(arg);
}

void promenv_dump_log(const struct promenv *env)
{
	size_t len = 0;
	char *log = fltest_read_file(path_in(env, "prometheus.log"), &len);

	if (!log)
		return;
	/* the last 15 lines */
	const char *from = log + len;
	for (int lines = 0; from > log && lines < 16;)
		if (*--from == '\n')
			lines++;
	if (from > log)
		from++;
	fltest_log("prometheus.log (end):\n%s", from);
	free(log);
}

void promenv_stop(struct promenv *env)
{
	int st;

	if (env->pid <= 0)
		return;
	(void)kill(env->pid, SIGCONT);
	(void)kill(env->pid, SIGTERM);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(env->pid, &st, WNOHANG) == env->pid) {
			env->pid = 0;
			return;
		}
		usleep(10000);
	}
	fltest_log("prometheus (pid %d) ignored SIGTERM for 10 s: SIGKILL", (int)env->pid);
	(void)kill(env->pid, SIGKILL);
	(void)waitpid(env->pid, NULL, 0);
	env->pid = 0;
}

void promenv_freeze(struct promenv *env)
{
	int st = 0;

	FL_ASSERT(env->pid > 0);
	FL_ASSERT_OK(kill(env->pid, SIGSTOP));
	/* kill() returns before the group stop completes: a Go thread already running may
	 * still answer. The parent hears of the stop once every thread took part in it. */
	FL_ASSERT_MSG(waitpid(env->pid, &st, WUNTRACED) == env->pid && WIFSTOPPED(st),
		      "prometheus (pid %d) did not stop: status 0x%x", (int)env->pid, st);
}

void promenv_thaw(struct promenv *env)
{
	FL_ASSERT(env->pid > 0);
	FL_ASSERT_OK(kill(env->pid, SIGCONT));
}

static void spawn(struct promenv *env)
{
	char a_config[160], a_tsdb[160], a_listen[64];
	char *argv[] = { "prometheus", a_config, a_tsdb, a_listen, "--log.level=info", NULL };
	posix_spawn_file_actions_t fa;
	int r;

	(void)snprintf(a_config, sizeof(a_config), "--config.file=%s",
		       path_in(env, "prometheus.yml"));
	(void)snprintf(a_tsdb, sizeof(a_tsdb), "--storage.tsdb.path=%s", path_in(env, "data"));
	(void)snprintf(a_listen, sizeof(a_listen), "--web.listen-address=127.0.0.1:%u", env->port);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, path_in(env, "prometheus.log"),
					 O_WRONLY | O_CREAT | O_APPEND, 0600);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&env->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r == ENOENT)
		FL_SKIP("prometheus is not installed (scripts/install-deps.sh installs Debian's)");
	FL_ASSERT_MSG(r == 0, "cannot start prometheus: %s", strerror(r));
}

/* /-/ready through an http probe: 200 once the TSDB is open and the web API serves. */
static void wait_ready(struct promenv *env, double t0)
{
	static char url[96];
	static struct fl_probe_spec spec;
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };
	struct fl_sample s;
	const struct fl_metric *m;
	int st;

	(void)snprintf(url, sizeof(url), "%s/-/ready", env->url);
	spec = (struct fl_probe_spec){ .name = (char *)"prometheus-ready",
				       .type = FL_PROBE_HTTP,
				       .url = url,
				       .timeout_ns = 1000ull * 1000 * 1000 };
	FL_ASSERT_MSG(fl_http_probe_new(&spec, &probe, &diag) == 0, "%s", diag.msg);
	while (now_s() - t0 < 30) {
		if (waitpid(env->pid, &st, WNOHANG) == env->pid) {
			env->pid = 0;
			probe->ops->free(probe);
			promenv_dump_log(env);
			FL_FAIL("prometheus exited during start-up (status 0x%x)", st);
		}
		int r = probe->ops->sample(probe, &s);
		m = r == 0 ? fl_sample_get(&s, "status") : NULL;
		bool ready = m && m->value == 200;
		fl_sample_reset(&s);
		if (ready) {
			env->ready_s = now_s() - t0;
			probe->ops->free(probe);
			return;
		}
		usleep(20000);
	}
	probe->ops->free(probe);
	promenv_dump_log(env);
	FL_FAIL("prometheus did not answer %s with 200 within 30 s", url);
}

void promenv_start(struct promenv *env, const char *jobs)
{
	fltest_scratch_dir(env->dir, sizeof(env->dir), "fl-prom");
	env->port = free_port();
	(void)snprintf(env->url, sizeof(env->url), "http://127.0.0.1:%u", env->port);
	write_config(env, jobs);
	double t0 = now_s();
	spawn(env);
	fltest_defer(stop_cb, env);
	wait_ready(env, t0);
}

double promenv_wait_value(struct promenv *env, const char *query, double timeout_s)
{
	static struct fl_probe_spec spec;
	struct fl_probe *probe = NULL;
	struct fl_diag diag = { 0 };
	struct fl_sample s = { 0 };
	double t0 = now_s();

	spec = (struct fl_probe_spec){ .name = (char *)"prometheus-wait",
				       .type = FL_PROBE_PROMETHEUS,
				       .prometheus_url = env->url,
				       .query = (char *)query };
	FL_ASSERT_MSG(fl_http_probe_new(&spec, &probe, &diag) == 0, "%s", diag.msg);
	for (;;) {
		fl_sample_reset(&s);
		if (probe->ops->sample(probe, &s) == 0)
			break;
		if (now_s() - t0 > timeout_s) {
			promenv_dump_log(env);
			FL_FAIL("%s returned no value within %.0f s; last: %s", query, timeout_s,
				s.error);
		}
		usleep(100000);
	}
	fl_sample_reset(&s);
	probe->ops->free(probe);
	return now_s() - t0;
}
