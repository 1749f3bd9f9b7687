/* SPDX-License-Identifier: MIT */
/*
 * faultline-agent: the node daemon. Start-up order matters:
 *
 *   1. config, ledger;
 *   2. reconcile BEFORE serving: undo what a previous (killed) agent left, sweep marks;
 *   3. probe capabilities, start the API;
 *   4. a timer thread enforces deadlines and leases every 100 ms and reconciles every
 *      reconcile-interval;
 *   5. SIGTERM/SIGINT: stop serving, revert every fault, exit.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fl/clock.h"
#include "api.h"
#include "config.h"
#include "mech.h"
#include "registry.h"
#include "fl/log.h"
#include "fl/version.h"
#include "http.h"
#include "ledger.h"

#define TICK_NS 100000000ull

static atomic_bool quit;

struct timer_ctx {
	struct fl_registry *reg;
	uint64_t reconcile_interval_ns;
};

static void *timer_thread(void *arg)
{
	struct timer_ctx *t = arg;
	uint64_t next_reconcile = fl_now_mono_ns() + t->reconcile_interval_ns;

	while (!atomic_load(&quit)) {
		struct timespec ts = { 0, (long)TICK_NS };

		(void)nanosleep(&ts, NULL);
		fl_registry_tick(t->reg);
		if (fl_now_mono_ns() >= next_reconcile) {
			json_decref(fl_registry_reconcile(t->reg, false));
			next_reconcile = fl_now_mono_ns() + t->reconcile_interval_ns;
		}
	}
	return NULL;
}

/* The unix socket's directory (e.g. /run/faultline) may not exist yet. */
static void make_parent_dir(const char *path)
{
	char dir[FL_CFG_PATH_MAX];
	char *slash;

	(void)snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0750);
}

/* Every thread inherits this mask; the main thread alone waits for the signals. */
static void block_signals(sigset_t *sigs)
{
	sigemptyset(sigs);
	sigaddset(sigs, SIGTERM);
	sigaddset(sigs, SIGINT);
	sigaddset(sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void probe_caps(const struct fl_agent_config *cfg, struct fl_api *api)
{
	fl_caps_probe(cfg, &api->caps);
	fl_log(LOG_INFO, "capabilities",
	       "kernel=%s netem=%d tbf=%d ifb=%d nftables=%d nfqueue=%d cri=%d runtime=\"%s %s\"",
	       api->caps.kernel, api->caps.netem, api->caps.tbf, api->caps.ifb, api->caps.nftables,
	       api->caps.nfqueue && api->caps.nfqueue_target, api->caps.cri, api->caps.cri_runtime,
	       api->caps.cri_version);
}

/* The API on the unix socket and/or TCP with TLS, as configured. */
static int start_api(const struct fl_agent_config *cfg, struct fl_api *api,
		     struct fl_http_server **ret_srv, struct fl_diag *diag)
{
	struct fl_http_config http = { 0 };

	if (cfg->unix_socket[0]) {
		make_parent_dir(cfg->unix_socket);
		http.unix_path = cfg->unix_socket;
	}
	if (cfg->listen[0]) {
		http.tcp_listen = cfg->listen;
		http.tls_cert = cfg->tls_cert;
		http.tls_key = cfg->tls_key;
		http.tls_client_ca = cfg->tls_client_ca;
	}
	http.threads = cfg->http_threads;
	http.slow = fl_api_slow;
	return fl_http_start(&http, fl_api_handle, api, ret_srv, diag);
}

/* SIGTERM or SIGINT; SIGHUP is logged and ignored. */
static int wait_for_stop(const sigset_t *sigs)
{
	int sig = 0;

	for (;;) {
		if (sigwait(sigs, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			fl_log(LOG_INFO, "SIGHUP: configuration is read at start only; ignoring",
			       NULL);
			continue;
		}
		return sig;
	}
}

/* Stop serving and the timer, then revert every fault; returns how many could not be. */
static int stop(struct fl_http_server **srv, pthread_t timer, struct fl_registry *reg)
{
	int failed;

	*srv = fl_http_stop(*srv);
	atomic_store(&quit, true);
	(void)pthread_join(timer, NULL);
	failed = fl_registry_revert_all(reg);
	if (failed)
		fl_log(LOG_ERR, "some faults could not be reverted; the next start reconciles them",
		       "count=%d", failed);
	return failed;
}

int main(int argc, char **argv)
{
	static struct fl_agent_config cfg;
	static struct fl_api api;
	struct fl_http_server *srv = NULL;
	struct fl_ledger *ledger = NULL;
	struct fl_registry *reg = NULL;
	struct fl_diag diag = { 0 };
	struct timer_ctx tctx;
	const char *action;
	pthread_t timer;
	sigset_t sigs;
	json_t *report;
	int sig, failed;

	fl_agent_config_defaults(&cfg);
	if (fl_agent_config_load(&cfg, argc, argv, &action, &diag) < 0) {
		fprintf(stderr, "faultline-agent: %s\n", diag.msg);
		return 64;
	}
	if (action && strcmp(action, "help") == 0) {
		fl_agent_config_usage(stdout);
		return 0;
	}
	if (action && strcmp(action, "version") == 0) {
		printf("faultline-agent %s\n", FL_VERSION);
		return 0;
	}
	fl_log_set_level(cfg.log_level);
	block_signals(&sigs);

	if (fl_ledger_open(cfg.ledger_dir, &ledger, &diag) < 0 ||
	    fl_registry_new(&cfg, ledger, &reg) < 0) {
		fl_log(LOG_ERR, "cannot start", "error=\"%s\"", diag.msg);
		return 2;
	}
	fl_log(LOG_INFO, "starting", "version=%s ledger=%s cri=%s", FL_VERSION, cfg.ledger_dir,
	       cfg.cri_socket[0] ? cfg.cri_socket : "none");
	report = fl_registry_reconcile(reg, true);
	json_decref(report);

	api.cfg = &cfg;
	api.reg = reg;
	probe_caps(&cfg, &api);
	if (start_api(&cfg, &api, &srv, &diag) < 0) {
		fl_log(LOG_ERR, "cannot serve the API", "error=\"%s\"", diag.msg);
		fl_registry_free(reg);
		fl_ledger_close(ledger);
		return 2;
	}
	fl_log(LOG_INFO, "serving", "unix=%s tls=%s", cfg.unix_socket[0] ? cfg.unix_socket : "-",
	       cfg.listen[0] ? cfg.listen : "-");

	tctx.reg = reg;
	tctx.reconcile_interval_ns = cfg.reconcile_interval_ns;
	if (pthread_create(&timer, NULL, timer_thread, &tctx) != 0) {
		fl_log(LOG_ERR, "cannot start the timer thread", NULL);
		return 2;
	}

	sig = wait_for_stop(&sigs);
	fl_log(LOG_INFO, "stopping: reverting every fault", "signal=%d", sig);
	failed = stop(&srv, timer, reg);
	fl_registry_free(reg);
	fl_ledger_close(ledger);
	fl_log(LOG_INFO, "stopped", NULL);
	return failed ? 1 : 0;
}
