/* SPDX-License-Identifier: MIT */
/* Hook instances, the ticker module and the hook probe. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"
#include "hook_run.h"
#include "verdict.h"

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static double q(struct fl_hooks *h, const char *name, const char *metric)
{
	struct fl_diag diag = { 0 };
	double v = -1;
	int r = fl_hooks_query(h, name, metric, &v, &diag);
	FL_ASSERT_MSG(r == 0, "query %s %s: %d %s", name, metric, r, diag.msg);
	return v;
}

/* Two tickers: "tk" every 20ms, "slow" every hour (to time stop). */
static struct fl_hook_spec specs[2];

static struct fl_hooks *two_hooks(void)
{
	struct fl_hooks *h = NULL;
	struct fl_diag diag = { 0 };

	specs[0] = (struct fl_hook_spec){ .name = (char *)"tk",
					  .module = (char *)"ticker",
					  .config = json_pack("{s:s}", "interval", "20ms") };
	specs[1] = (struct fl_hook_spec){ .name = (char *)"slow",
					  .module = (char *)"ticker",
					  .config = json_pack("{s:s}", "interval", "1h") };
	FL_ASSERT_MSG(fl_hooks_new(specs, 2, &h, &diag) == 0, "%s", diag.msg);
	return h;
}

FLTEST(registry)
{
	FL_ASSERT(fl_hook_module_find("ticker") == &fl_hook_ticker);
	FL_ASSERT(fl_hook_module_find("healer") == NULL);
	FL_ASSERT(fl_hook_module_find(NULL) == NULL);
	FL_ASSERT(fl_hook_module_at(0) == &fl_hook_ticker);
	FL_ASSERT(fl_hook_module_find("integrity") == &fl_hook_integrity);
	FL_ASSERT(fl_hook_module_at(1) == &fl_hook_integrity);
	FL_ASSERT(fl_hook_module_at(2) == NULL);
}

FLTEST(unknown_module_is_reported_at_its_line)
{
	struct fl_hook_spec spec = { .name = (char *)"h1",
				     .module = (char *)"nope",
				     .pos = { .file = "x.yaml", .line = 12, .col = 5 } };
	struct fl_hooks *h = NULL;
	struct fl_diag diag = { 0 };

	FL_ASSERT_EQ(fl_hooks_new(&spec, 1, &h, &diag), -ENOENT);
	FL_ASSERT(h == NULL);
	FL_ASSERT_STREQ(diag.msg, "hooks[0] (h1): no module \"nope\" (modules: ticker, integrity)");
	FL_ASSERT_STREQ(diag.file, "x.yaml");
	FL_ASSERT_EQ(diag.line, 12);
}

FLTEST(ticks_advance_at_the_configured_rate)
{
	struct fl_hooks *h = two_hooks();
	struct fl_diag diag = { 0 };

	FL_ASSERT(!fl_hooks_running(h, "tk"));
	uint64_t t0 = mono_ms(); /* before the start: elapsed bounds the uptime */
	FL_ASSERT_MSG(fl_hooks_start(h, "tk", &diag) == 0, "%s", diag.msg);
	FL_ASSERT(fl_hooks_running(h, "tk"));
	sleep_ms(600);
	double ticks = q(h, "tk", "ticks");
	double up = q(h, "tk", "uptimeMs");
	uint64_t elapsed = mono_ms() - t0;
	fltest_log("20ms ticker: %.0f ticks in %.0f ms uptime (%" PRIu64 " ms measured)", ticks, up,
		   elapsed);
	/*
	 * The timer counts elapsed intervals, so a late wake-up catches up: at least 20 of the
	 * 30 intervals in the 600 ms slept (a wake-up 200 ms late is still fine), and never
	 * more than have really elapsed — however long a loaded machine made the sleep (a
	 * fixed upper bound of 40 failed when it lasted 800 ms).
	 */
	FL_ASSERT_MSG(ticks >= 20 && ticks <= (double)elapsed / 20 + 1,
		      "%.0f ticks in %" PRIu64 " ms", ticks, elapsed);
	FL_ASSERT(up >= 600 && up <= (double)elapsed);
	FL_ASSERT(q(h, "tk", "running") == 1);
	FL_ASSERT(q(h, "tk", "intervalMs") == 20);
	fl_hooks_free(h);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}

FLTEST(calls_pause_resume_reset)
{
	struct fl_hooks *h = two_hooks();
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	sleep_ms(100);
	FL_ASSERT_OK(fl_hooks_call(h, "tk", "pause", NULL, &diag));
	double paused_at = q(h, "tk", "ticks");
	FL_ASSERT(q(h, "tk", "running") == 0);
	sleep_ms(150);
	FL_ASSERT(q(h, "tk", "ticks") == paused_at);
	FL_ASSERT_OK(fl_hooks_call(h, "tk", "resume", NULL, &diag));
	FL_ASSERT(q(h, "tk", "running") == 1);
	/* Ticking again: 3 ticks within 5 s (60 ms when the machine is idle). */
	for (uint64_t t0 = mono_ms(); q(h, "tk", "ticks") < paused_at + 3;) {
		FL_ASSERT_MSG(mono_ms() - t0 < 5000, "no 3 ticks in 5 s after resume");
		sleep_ms(10);
	}
	json_t *empty = json_object();
	FL_ASSERT_OK(fl_hooks_call(h, "tk", "reset", empty, &diag));
	json_decref(empty);
	FL_ASSERT(q(h, "tk", "ticks") <= 1);

	/* errors name the hook, the module's words follow */
	FL_ASSERT_EQ(fl_hooks_call(h, "tk", "explode", NULL, &diag), -ENOTSUP);
	FL_ASSERT_STREQ(diag.msg, "hook tk: ticker: unknown action \"explode\" (actions: reset, "
				  "pause, resume)");
	json_t *args = json_pack("{s:i}", "n", 1);
	FL_ASSERT_EQ(fl_hooks_call(h, "tk", "reset", args, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "hook tk: ticker: reset takes no arguments");
	json_decref(args);
	double v;
	FL_ASSERT_EQ(fl_hooks_query(h, "tk", "temperature", &v, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "hook tk: ticker: unknown metric \"temperature\" (metrics: "
				  "ticks, uptimeMs, running, intervalMs)");
	FL_ASSERT_EQ(fl_hooks_query(h, "zz", "ticks", &v, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "no hook named \"zz\" (hooks: tk, slow)");
	FL_ASSERT_EQ(fl_hooks_start(h, "zz", &diag), -ENOENT);
	FL_ASSERT_EQ(fl_hooks_stop(h, "zz", &diag), -ENOENT);
	FL_ASSERT_EQ(fl_hooks_call(h, "zz", "reset", NULL, &diag), -ENOENT);
	/* not running */
	FL_ASSERT_EQ(fl_hooks_query(h, "slow", "ticks", &v, &diag), -ESRCH);
	FL_ASSERT_STREQ(diag.msg, "hook slow: not running (query ticks)");
	FL_ASSERT_EQ(fl_hooks_call(h, "slow", "pause", NULL, &diag), -ESRCH);
	fl_hooks_free(h);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}

FLTEST(start_twice_stop_idempotent_restart)
{
	struct fl_hooks *h = two_hooks();
	struct fl_diag diag = { 0 };
	double v;

	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	FL_ASSERT_EQ(fl_hooks_start(h, "tk", &diag), -EALREADY);
	FL_ASSERT_STREQ(diag.msg, "hook tk: already running");
	sleep_ms(100);
	FL_ASSERT_OK(fl_hooks_stop(h, "tk", &diag));
	FL_ASSERT_OK(fl_hooks_stop(h, "tk", &diag));
	FL_ASSERT(!fl_hooks_running(h, "tk"));
	FL_ASSERT_EQ(fl_hooks_query(h, "tk", "ticks", &v, &diag), -ESRCH);
	/* a new start is a new module instance: the count starts over */
	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	FL_ASSERT(q(h, "tk", "ticks") <= 1);
	fl_hooks_free(h);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}

FLTEST(stop_is_prompt_and_stop_all)
{
	struct fl_hooks *h = two_hooks();
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	FL_ASSERT_OK(fl_hooks_start(h, "slow", &diag));
	sleep_ms(20);
	uint64_t t0 = mono_ms();
	FL_ASSERT_OK(fl_hooks_stop(h, "slow", &diag)); /* its thread sleeps for an hour */
	uint64_t took = mono_ms() - t0;
	fltest_log("stopping a 1h ticker took %" PRIu64 " ms", took);
	/* At once, not at its next tick in an hour: 1 s tells them apart by 3600x, also when
	 * a loaded machine is slow to run the woken thread. */
	FL_ASSERT_MSG(took < 1000, "stop took %" PRIu64 " ms", took);
	FL_ASSERT_OK(fl_hooks_start(h, "slow", &diag));
	fl_hooks_stop_all(h);
	FL_ASSERT(!fl_hooks_running(h, "tk"));
	FL_ASSERT(!fl_hooks_running(h, "slow"));
	fl_hooks_stop_all(h);
	/* free after stop_all, and free of running instances (the last test's ASan run
	 * would report a leaked thread state) */
	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	FL_ASSERT(fl_hooks_free(h) == NULL);
	FL_ASSERT(fl_hooks_free(NULL) == NULL);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}

FLTEST(bad_config)
{
	struct fl_hook_spec spec = { .name = (char *)"bad", .module = (char *)"ticker" };
	struct fl_hooks *h = NULL;
	struct fl_diag diag = { 0 };

	spec.config = json_pack("{s:s}", "interval", "fast");
	FL_ASSERT_OK(fl_hooks_new(&spec, 1, &h, &diag)); /* nothing starts yet */
	FL_ASSERT_EQ(fl_hooks_start(h, "bad", &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "hook bad (ticker): config.interval: \"fast\" is not a duration "
				  "between 1ms and 1h");
	FL_ASSERT(!fl_hooks_running(h, "bad"));
	json_decref(spec.config);
	spec.config = json_pack("{s:s}", "intervall", "1s");
	FL_ASSERT_EQ(fl_hooks_start(h, "bad", &diag), -EINVAL);
	FL_ASSERT_STREQ(
		diag.msg,
		"hook bad (ticker): config: unknown field \"intervall\" (expected interval)");
	json_decref(spec.config);
	spec.config = NULL; /* defaults: 100ms */
	FL_ASSERT_OK(fl_hooks_start(h, "bad", &diag));
	FL_ASSERT(q(h, "bad", "intervalMs") == 100);
	fl_hooks_free(h);
}

FLTEST(hook_probe)
{
	struct fl_hooks *h = two_hooks();
	struct fl_diag diag = { 0 };
	struct fl_probe_spec spec = { .name = (char *)"ticks",
				      .type = FL_PROBE_HOOK,
				      .hook = (char *)"tk",
				      .hook_metric = (char *)"ticks" };
	struct fl_probe *probe = NULL;
	struct fl_sample s;

	FL_ASSERT_MSG(fl_hook_probe_new(h, &spec, &probe, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ESRCH);
	FL_ASSERT_STREQ(s.error, "hook tk: not running (query ticks)");
	FL_ASSERT_OK(fl_hooks_start(h, "tk", &diag));
	const struct fl_metric *m = NULL;
	/* 2 ticks: 40 ms when idle; waited for, 5 s at most. */
	for (uint64_t t0 = mono_ms();; sleep_ms(10)) {
		FL_ASSERT_OK(probe->ops->sample(probe, &s));
		m = fl_sample_get(&s, "value");
		FL_ASSERT(m && !m->is_text);
		if (m->value >= 2)
			break;
		FL_ASSERT_MSG(mono_ms() - t0 < 5000, "the hook probe saw %.0f ticks after 5 s",
			      m->value);
	}
	FL_ASSERT(s.t_ms > 1700000000000ull);

	/* judged like any probe */
	struct fl_tolerance t = { .has_min = true, .min = 1 };
	spec.tolerances = &t;
	spec.n_tolerances = 1;
	struct fl_verdict v;
	fl_verdict_eval(&spec, &s, NULL, &v);
	FL_ASSERT_EQ(v.kind, FL_VERDICT_PASS);
	FL_ASSERT_CONTAINS(v.message, "tk ticks "); /* named after the hook and its metric */
	probe->ops->free(probe);

	spec.hook_metric = (char *)"nope";
	FL_ASSERT_OK(fl_hook_probe_new(h, &spec, &probe, &diag));
	FL_ASSERT_EQ(probe->ops->sample(probe, &s), -ENOENT);
	FL_ASSERT_CONTAINS(s.error, "unknown metric \"nope\"");
	probe->ops->free(probe);

	spec.hook = (char *)"zz";
	FL_ASSERT_EQ(fl_hook_probe_new(h, &spec, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe ticks: no hook named \"zz\" (hooks: tk, slow)");
	FL_ASSERT_EQ(fl_hook_probe_new(NULL, &spec, &probe, &diag), -EINVAL);
	FL_ASSERT_STREQ(diag.msg, "probe ticks: hook probes need the experiment's hooks");
	spec.hook = (char *)"tk";
	spec.hook_metric = NULL;
	FL_ASSERT_EQ(fl_hook_probe_new(h, &spec, &probe, &diag), -EINVAL);
	fl_hooks_free(h);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}

/* A probe thread queries in a loop while the runner starts and stops the instance. */
static atomic_bool querying_done;
static unsigned n_ok, n_srch, n_other;

static void *query_loop(void *arg)
{
	struct fl_hooks *h = arg;
	while (!querying_done) {
		double v;
		int r = fl_hooks_query(h, "tk", "ticks", &v, NULL);
		if (r == 0)
			n_ok++;
		else if (r == -ESRCH)
			n_srch++;
		else
			n_other++;
	}
	return NULL;
}

FLTEST(query_while_starting_and_stopping)
{
	struct fl_hooks *h = two_hooks();
	pthread_t thread;
	uint64_t t0 = mono_ms();

	FL_ASSERT_EQ(pthread_create(&thread, NULL, query_loop, h), 0);
	for (int i = 0; i < 200; i++) {
		FL_ASSERT_OK(fl_hooks_start(h, "tk", NULL));
		sleep_ms(1);
		FL_ASSERT_OK(fl_hooks_stop(h, "tk", NULL));
	}
	querying_done = true;
	pthread_join(thread, NULL);
	uint64_t took = mono_ms() - t0;
	fltest_log("200 start/stop cycles under concurrent queries in %" PRIu64
		   " ms: %u answered, %u not running, %u other",
		   took, n_ok, n_srch, n_other);
	FL_ASSERT(n_ok > 0 && n_srch > 0);
	FL_ASSERT_EQ(n_other, 0);
	FL_ASSERT(took < 5000);
	fl_hooks_free(h);
	json_decref(specs[0].config);
	json_decref(specs[1].config);
}
