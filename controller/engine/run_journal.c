/* SPDX-License-Identifier: MIT */
/* Recording what happens into the experiment's journal object (docs/journal.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "run_internal.h"

uint64_t fl_run_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *values_json(const struct fl_sample *s)
{
	json_t *o = json_object();

	for (unsigned i = 0; o && i < s->n; i++)
		json_object_set_new(o, s->m[i].name,
				    s->m[i].is_text ? json_string(s->m[i].text)
						    : json_real(s->m[i].value));
	return o;
}

void fl_run_sample_text(const struct fl_sample *s, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	if (s->err) {
		(void)snprintf(buf, size, "%s", s->err == -ENODATA ? "no data" : "error");
		return;
	}
	for (unsigned i = 0; i < s->n && i < 3 && off < size; i++) {
		if (s->m[i].is_text)
			off += (size_t)snprintf(buf + off, size - off, "%s%s=%s", i ? " " : "",
						s->m[i].name, s->m[i].text);
		else
			off += (size_t)snprintf(buf + off, size - off, "%s%s=%.6g", i ? " " : "",
						s->m[i].name, s->m[i].value);
	}
}

void fl_run_journal_check(struct run_exp *x, const struct fl_probe_spec *spec, const char *phase,
			  const struct fl_sample *s, const struct fl_verdict *v, uint64_t dur_ms)
{
	json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "probe", spec->name,
			      "type", fl_probe_type_name(spec->type), "phase", phase, "verdict",
			      fl_verdict_name(v->kind), "rule", v->rule, "message", v->message,
			      "atMs", (json_int_t)s->t_ms, "durationMs", (json_int_t)dur_ms);

	if (!c)
		return;
	if (v->metric[0])
		json_object_set_new(c, "metric", json_string(v->metric));
	if (v->has_observed)
		json_object_set_new(c, "observed", json_real(v->observed));
	else if (v->observed_text[0])
		json_object_set_new(c, "observed", json_string(v->observed_text));
	if (s->detail)
		json_object_set(c, "detail", s->detail);
	json_array_append_new(json_object_get(x->j, "checks"), c);
	if (v->kind == FL_VERDICT_FAIL)
		x->failed = true;
	else if (v->kind == FL_VERDICT_ERROR)
		x->errored = true;
}

void fl_run_journal_sample(struct run_exp *x, const struct fl_probe_spec *spec, const char *phase,
			   const struct fl_sample *s, const struct fl_verdict *v)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:o*, s:s}", "probe", spec->name, "phase", phase,
			      "atMs", (json_int_t)s->t_ms, "values", values_json(s), "verdict",
			      fl_verdict_name(v->kind));

	if (!o)
		return;
	if (s->err)
		json_object_set_new(o, "error", json_string(s->error));
	json_array_append_new(json_object_get(x->j, "samples"), o);
}

void fl_run_journal_observation(struct run_exp *x, const struct fl_probe_spec *spec,
				const char *phase, const struct fl_sample *s)
{
	/* No verdict: an observation is recorded and drawn, never judged (docs/journal.md). */
	json_t *o = json_pack("{s:s, s:s, s:I, s:o*}", "probe", spec->name, "phase", phase, "atMs",
			      (json_int_t)s->t_ms, "values", values_json(s));

	if (!o)
		return;
	if (s->err)
		json_object_set_new(o, "error", json_string(s->error));
	json_array_append_new(json_object_get(x->j, "samples"), o);
}

void fl_run_journal_hook(struct run_exp *x, const char *name, const char *event, int r,
			 const char *message)
{
	json_array_append_new(json_object_get(x->j, "hooks"),
			      json_pack("{s:s, s:s, s:I, s:s, s:s}", "name", name, "event", event,
					"atMs", (json_int_t)fl_run_now_ms(), "result",
					r < 0 ? "error" : "ok", "message", message ? message : ""));
}

void fl_run_set_error(struct run_exp *x, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->errored = true;
	/* The first error explains the experiment; later ones are in the faults and checks. */
	if (!json_object_get(x->j, "error"))
		json_object_set_new(x->j, "error", json_string(msg));
	fl_progress_event(x->progress, "error: %s", msg);
}
