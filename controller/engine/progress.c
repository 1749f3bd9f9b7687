/* SPDX-License-Identifier: MIT */
/*
 * The live view of a run (progress.h): a redrawn status line on a terminal, plain
 * timestamped lines elsewhere.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

#define MAX_VALUES 8

struct fl_progress {
	FILE *out;
	bool tty, quiet;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t ticker;
	bool ticking, stop;
	char experiment[80], phase[24];
	unsigned index, total;
	struct timespec run_start, phase_start;
	struct {
		char probe[64];
		char text[96];
	} values[MAX_VALUES];
	unsigned n_values;
	struct timespec last_values_line;
};

static double since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void stamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}

/* Caller holds the lock. */
static void draw_status(struct fl_progress *p)
{
	double e = since(&p->phase_start);
	char line[512];
	int off;

	if (!p->experiment[0])
		return;
	off = snprintf(line, sizeof(line), "[%u/%u] %s  %s %02d:%02d", p->index, p->total,
		       p->experiment, p->phase, (int)e / 60, (int)e % 60);
	for (unsigned i = 0; i < p->n_values && off > 0 && (size_t)off < sizeof(line); i++)
		off += snprintf(line + off, sizeof(line) - (size_t)off, " | %s %s",
				p->values[i].probe, p->values[i].text);
	fprintf(p->out, "\r\033[K%s", line);
	fflush(p->out);
}

static void *tick(void *arg)
{
	struct fl_progress *p = arg;
	struct timespec until;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		draw_status(p);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cond, &p->lock, &until);
	}
	fprintf(p->out, "\r\033[K");
	fflush(p->out);
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct fl_progress *fl_progress_new(FILE *out, bool tty, bool quiet)
{
	struct fl_progress *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->out = out;
	p->tty = tty && !quiet;
	p->quiet = quiet;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	clock_gettime(CLOCK_MONOTONIC, &p->run_start);
	p->phase_start = p->run_start;
	if (p->tty && pthread_create(&p->ticker, NULL, tick, p) == 0)
		p->ticking = true;
	return p;
}

struct fl_progress *fl_progress_free(struct fl_progress *p)
{
	if (!p)
		return NULL;
	if (p->ticking) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->ticker, NULL);
	}
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
	return NULL;
}

static void line_locked(struct fl_progress *p, const char *text)
{
	char ts[16];

	if (p->quiet)
		return;
	stamp(ts, sizeof(ts));
	if (p->tty)
		fprintf(p->out, "\r\033[K");
	fprintf(p->out, "%s %s\n", ts, text);
	if (p->tty)
		draw_status(p);
	fflush(p->out);
}

void fl_progress_phase(struct fl_progress *p, const char *experiment, unsigned index,
		       unsigned total, const char *phase)
{
	char text[256];

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	if (strcmp(p->experiment, experiment) != 0)
		p->n_values = 0;
	(void)snprintf(p->experiment, sizeof(p->experiment), "%s", experiment);
	(void)snprintf(p->phase, sizeof(p->phase), "%s", phase);
	p->index = index;
	p->total = total;
	clock_gettime(CLOCK_MONOTONIC, &p->phase_start);
	(void)snprintf(text, sizeof(text), "[%u/%u] %s: %s (run %.1f s)", index, total, experiment,
		       phase, since(&p->run_start));
	line_locked(p, text);
	pthread_mutex_unlock(&p->lock);
}

void fl_progress_value(struct fl_progress *p, const char *probe, const char *text)
{
	unsigned i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	for (i = 0; i < p->n_values; i++)
		if (strcmp(p->values[i].probe, probe) == 0)
			break;
	if (i == p->n_values && i < MAX_VALUES)
		p->n_values++;
	if (i < MAX_VALUES) {
		(void)snprintf(p->values[i].probe, sizeof(p->values[i].probe), "%s", probe);
		(void)snprintf(p->values[i].text, sizeof(p->values[i].text), "%s", text);
	}
	/* Not a terminal: a values line now and then keeps CI logs readable but informative. */
	if (!p->tty && !p->quiet && since(&p->last_values_line) >= 5.0) {
		char line[512];
		int off = snprintf(line, sizeof(line), "  %s %02d:%02d", p->phase,
				   (int)since(&p->phase_start) / 60,
				   (int)since(&p->phase_start) % 60);
		for (unsigned k = 0; k < p->n_values && off > 0 && (size_t)off < sizeof(line); k++)
			off += snprintf(line + off, sizeof(line) - (size_t)off, " | %s %s",
					p->values[k].probe, p->values[k].text);
		line_locked(p, line);
		clock_gettime(CLOCK_MONOTONIC, &p->last_values_line);
	}
	pthread_mutex_unlock(&p->lock);
}

void fl_progress_event(struct fl_progress *p, const char *fmt, ...)
{
	char text[768];
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&p->lock);
	line_locked(p, text);
	pthread_mutex_unlock(&p->lock);
}
