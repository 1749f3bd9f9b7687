/* SPDX-License-Identifier: MIT */
/* struct fl_sample helpers and the calls every probe answers (probe.h): shared by every
 * probe implementation. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "probe.h"

static struct fl_metric *slot(struct fl_sample *s, const char *name)
{
	if (strlen(name) >= FL_METRIC_NAME_MAX)
		return NULL;
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	if (s->n >= FL_SAMPLE_MAX_METRICS)
		return NULL;
	struct fl_metric *m = &s->m[s->n++];
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, strlen(name) + 1);
	return m;
}

int fl_sample_set(struct fl_sample *s, const char *name, double value)
{
	if (strlen(name) >= FL_METRIC_NAME_MAX)
		return -EINVAL;
	struct fl_metric *m = slot(s, name);
	if (!m)
		return -ENOSPC;
	m->is_text = false;
	m->value = value;
	m->text[0] = '\0';
	return 0;
}

int fl_sample_set_text(struct fl_sample *s, const char *name, const char *text)
{
	if (strlen(name) >= FL_METRIC_NAME_MAX)
		return -EINVAL;
	struct fl_metric *m = slot(s, name);
	if (!m)
		return -ENOSPC;
	m->is_text = true;
	m->value = 0;
	snprintf(m->text, sizeof(m->text), "%s", text);
	return 0;
}

const struct fl_metric *fl_sample_get(const struct fl_sample *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->m[i].name, name) == 0)
			return &s->m[i];
	return NULL;
}

int fl_sample_fail(struct fl_sample *s, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->error, sizeof(s->error), fmt, ap);
	va_end(ap);
	s->err = err;
	return err;
}

void fl_sample_reset(struct fl_sample *s)
{
	if (!s)
		return;
	json_decref(s->detail);
	memset(s, 0, sizeof(*s));
}

int fl_probe_sample(struct fl_probe *probe, struct fl_sample *ret)
{
	int r = probe->ops->sample(probe, ret);

	if (ret->t_ms == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ret->t_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	return r;
}

struct fl_probe *fl_probe_free(struct fl_probe *probe)
{
	if (probe && probe->ops && probe->ops->free)
		probe->ops->free(probe);
	return NULL;
}
