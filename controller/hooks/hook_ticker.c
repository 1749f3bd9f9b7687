/* SPDX-License-Identifier: MIT */
/*
 * The "ticker" hook module: the smallest system under test. A thread counts ticks, one
 * per config.interval (default 100ms), counting every interval that elapsed even when it
 * woke late, so ticks ≈ (time running, unpaused) / interval.
 *
 *   config   {"interval": "50ms"}   (1ms .. 1h)
 *   metrics  ticks, uptimeMs (since start), running (1, 0 while paused), intervalMs
 *   calls    reset (ticks = 0), pause, resume (no args)
 *
 * The thread is the modules' shared timer (hook_timer.h): stop wakes it at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl/units.h"
#include "hook.h"
#include "hook_timer.h"

#define DEFAULT_INTERVAL_NS (100ull * 1000 * 1000)
#define MIN_INTERVAL_NS	    (1ull * 1000 * 1000)
#define MAX_INTERVAL_NS	    (3600ull * 1000 * 1000 * 1000)

struct ticker {
	struct fl_hook_timer timer;
	pthread_mutex_t lock;
	/* under lock */
	bool paused;
	uint64_t ticks;
	/* constant after start */
	uint64_t interval_ns;
	uint64_t started_ns;
};

/* Every interval that elapsed counts, also when the timer woke late. */
static void ticker_tick(void *arg, uint64_t elapsed)
{
	struct ticker *t = arg;

	pthread_mutex_lock(&t->lock);
	if (!t->paused)
		t->ticks += elapsed;
	pthread_mutex_unlock(&t->lock);
}

/* The interval in config (NULL: the default). config holds known fields only (hook.c). */
static int parse_config(const json_t *config, uint64_t *ret_interval, const char **ret_field,
			struct fl_diag *diag)
{
	json_t *value = config ? json_object_get(config, "interval") : NULL;
	uint64_t interval = DEFAULT_INTERVAL_NS;

	if (value) {
		const char *text = json_string_value(value);

		*ret_field = "interval";
		if (!text)
			return fl_diag_set(diag, -EINVAL,
					   "expected a duration string (e.g. \"100ms\")");
		if (fl_parse_duration_strict_ns(text, &interval) < 0 ||
		    interval < MIN_INTERVAL_NS || interval > MAX_INTERVAL_NS)
			return fl_diag_set(diag, -EINVAL,
					   "\"%s\" is not a duration between 1ms and 1h", text);
	}
	*ret_interval = interval;
	return 0;
}

static int ticker_check_config(const json_t *config, const char **ret_field, struct fl_diag *diag)
{
	uint64_t interval;

	return parse_config(config, &interval, ret_field, diag);
}

static int ticker_start(const json_t *config, void **ret_state, struct fl_diag *diag)
{
	uint64_t interval = DEFAULT_INTERVAL_NS;
	const char *field = NULL;
	int r = parse_config(config, &interval, &field, diag);

	if (r < 0)
		return r; /* not reached: hook.c checked the config */
	struct ticker *t = calloc(1, sizeof(*t));
	if (!t)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	t->interval_ns = interval;
	t->started_ns = fl_hook_mono_ns();
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		free(t);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	r = fl_hook_timer_start(&t->timer, interval, ticker_tick, t, diag);
	if (r < 0) {
		pthread_mutex_destroy(&t->lock);
		free(t);
		return r;
	}
	*ret_state = t;
	return 0;
}

static int ticker_query(void *state, const char *metric, double *ret_value, struct fl_diag *diag)
{
	struct ticker *t = state;
	double v;

	(void)diag;
	pthread_mutex_lock(&t->lock);
	if (strcmp(metric, "ticks") == 0)
		v = (double)t->ticks;
	else if (strcmp(metric, "uptimeMs") == 0)
		v = (double)((fl_hook_mono_ns() - t->started_ns) / 1000000ull);
	else if (strcmp(metric, "running") == 0)
		v = t->paused ? 0 : 1;
	else /* intervalMs: hook.c passes listed metrics only */
		v = (double)t->interval_ns / 1e6;
	pthread_mutex_unlock(&t->lock);
	*ret_value = v;
	return 0;
}

static int ticker_check_call(const char *action, const json_t *args, struct fl_diag *diag)
{
	if (strcmp(action, "reset") != 0 && strcmp(action, "pause") != 0 &&
	    strcmp(action, "resume") != 0)
		return fl_diag_set(diag, -ENOTSUP,
				   "unknown action \"%s\" (actions: reset, pause, resume)", action);
	if (args && !json_is_null(args) && !(json_is_object(args) && json_object_size(args) == 0))
		return fl_diag_set(diag, -EINVAL, "%s takes no arguments", action);
	return 0;
}

static int ticker_call(void *state, const char *action, const json_t *args, struct fl_diag *diag)
{
	struct ticker *t = state;

	(void)args;
	(void)diag;
	pthread_mutex_lock(&t->lock);
	if (strcmp(action, "reset") == 0)
		t->ticks = 0;
	else
		t->paused = strcmp(action, "pause") == 0;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

static void ticker_stop(void *state)
{
	struct ticker *t = state;

	if (!t)
		return;
	fl_hook_timer_stop(&t->timer);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

const struct fl_hook_module fl_hook_ticker = {
	.name = "ticker",
	.description = "counts ticks at config.interval (default 100ms); metrics ticks, "
		       "uptimeMs, running, intervalMs; calls reset, pause, resume",
	.config_fields = (const char *const[]){ "interval", NULL },
	.check_config = ticker_check_config,
	.start = ticker_start,
	.metrics = (const char *const[]){ "ticks", "uptimeMs", "running", "intervalMs", NULL },
	.query = ticker_query,
	.check_call = ticker_check_call,
	.call = ticker_call,
	.stop = ticker_stop,
};
