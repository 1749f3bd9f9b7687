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
 * The thread sleeps on a condition variable (CLOCK_MONOTONIC), so stop wakes it at once.
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

#define DEFAULT_INTERVAL_NS (100ull * 1000 * 1000)
#define MIN_INTERVAL_NS	    (1ull * 1000 * 1000)
#define MAX_INTERVAL_NS	    (3600ull * 1000 * 1000 * 1000)

struct ticker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	bool stopping, paused;
	uint64_t ticks;
	uint64_t next_ns; /* monotonic deadline of the next tick */
	/* constant after start */
	uint64_t interval_ns;
	uint64_t started_ns;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *ticker_main(void *arg)
{
	struct ticker *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		struct timespec until = { .tv_sec = (time_t)(t->next_ns / 1000000000ull),
					  .tv_nsec = (long)(t->next_ns % 1000000000ull) };
		(void)pthread_cond_timedwait(&t->cond, &t->lock, &until);
		if (t->stopping)
			break;
		uint64_t now = mono_ns();
		while (t->next_ns <= now) {
			if (!t->paused)
				t->ticks++;
			t->next_ns += t->interval_ns;
		}
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
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
	pthread_condattr_t attr;
	int r = parse_config(config, &interval, &field, diag);

	if (r < 0)
		return r; /* not reached: hook.c checked the config */
	struct ticker *t = calloc(1, sizeof(*t));
	if (!t)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	t->interval_ns = interval;
	t->started_ns = mono_ns();
	t->next_ns = t->started_ns + interval;
	if (pthread_condattr_init(&attr) != 0)
		goto out_free;
	(void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (r != 0)
		goto out_free;
	if (pthread_mutex_init(&t->lock, NULL) != 0)
		goto out_cond;
	r = pthread_create(&t->thread, NULL, ticker_main, t);
	if (r != 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		free(t);
		return fl_diag_set(diag, -r, "cannot start the ticker thread: %s", strerror(r));
	}
	*ret_state = t;
	return 0;

out_cond:
	pthread_cond_destroy(&t->cond);
out_free:
	free(t);
	return fl_diag_set(diag, -ENOMEM, "out of memory");
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
		v = (double)((mono_ns() - t->started_ns) / 1000000ull);
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
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
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
