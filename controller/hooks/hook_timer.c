/* SPDX-License-Identifier: MIT */
/* A hook module's periodic thread (hook_timer.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "hook_timer.h"

uint64_t fl_hook_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *timer_main(void *arg)
{
	struct fl_hook_timer *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		struct timespec until = { .tv_sec = (time_t)(t->next_ns / 1000000000ull),
					  .tv_nsec = (long)(t->next_ns % 1000000000ull) };
		(void)pthread_cond_timedwait(&t->cond, &t->lock, &until);
		if (t->stopping)
			break;
		uint64_t now = fl_hook_mono_ns(), elapsed = 0;
		while (t->next_ns <= now) {
			elapsed++;
			t->next_ns += t->interval_ns;
		}
		if (elapsed == 0)
			continue; /* woken early (spuriously) */
		pthread_mutex_unlock(&t->lock);
		t->tick(t->arg, elapsed);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

int fl_hook_timer_start(struct fl_hook_timer *t, uint64_t interval_ns,
			void (*tick)(void *arg, uint64_t elapsed), void *arg, struct fl_diag *diag)
{
	pthread_condattr_t attr;
	int r;

	memset(t, 0, sizeof(*t));
	t->interval_ns = interval_ns ? interval_ns : 1;
	t->tick = tick;
	t->arg = arg;
	t->next_ns = fl_hook_mono_ns() + t->interval_ns;
	if (pthread_condattr_init(&attr) != 0)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	(void)pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (r != 0)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	if (pthread_mutex_init(&t->lock, NULL) != 0) {
		pthread_cond_destroy(&t->cond);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	r = pthread_create(&t->thread, NULL, timer_main, t);
	if (r != 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		return fl_diag_set(diag, -r, "cannot start the module's thread: %s", strerror(r));
	}
	return 0;
}

void fl_hook_timer_stop(struct fl_hook_timer *t)
{
	pthread_mutex_lock(&t->lock);
	t->stopping = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
}
