/* SPDX-License-Identifier: MIT */
/*
 * spec.hooks and hook steps (exp_internal.h): every module, config, call and hook probe
 * metric is checked against the module's declaration (hook.h), and the hooks' lifecycle
 * against the order of the method, so that `faultline validate` finds what would
 * otherwise fail only when a run gets there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"

const struct fl_hook_module *fl_exp_hook_module(const struct fl_experiment *e, const char *hook)
{
	for (unsigned i = 0; hook && i < e->n_hooks; i++)
		if (e->hooks[i].name && strcmp(e->hooks[i].name, hook) == 0)
			return fl_hook_module_find(e->hooks[i].module);
	return NULL;
}

/*
 * The module exists and takes this config: checked here, so `faultline validate` finds what
 * would otherwise only fail when a run starts the hook.
 */
static int check_hook_module(struct exp_ctx *c, const struct fl_ynode *n, struct fl_hook_spec *h)
{
	const struct fl_hook_module *m = fl_hook_module_find(h->module);
	const struct fl_ynode *config = fl_ynode_get(n, "config"), *at;
	struct fl_diag d = { 0 };
	const char *field = NULL;
	char list[256];
	size_t old;
	int r;

	if (!m)
		return fl_exp_err_key(c, fl_ynode_get(n, "module"), "module",
				      "\"%s\" is not a hook module (modules: %s)", h->module,
				      fl_hook_module_names(list, sizeof(list)));
	old = fl_exp_push_key(c, "config");
	if (config && ((r = fl_exp_map(c, config, m->config_fields)) < 0 ||
		       (r = fl_ynode_to_json(config, &h->config)) < 0))
		goto out;
	r = m->check_config(h->config, &field, &d);
	if (r == -ENOMEM)
		goto out;
	at = config ? config : n;
	if (r < 0 && field)
		r = fl_exp_err_key(
			c, config && fl_ynode_get(config, field) ? fl_ynode_get(config, field) : at,
			field, "%s", d.msg);
	else if (r < 0)
		r = fl_exp_err(c, at, "%s", d.msg);
out:
	fl_exp_pop(c, old);
	return r;
}

int fl_exp_parse_hooks(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e)
{
	static const char *const allowed[] = { "name", "module", "config", "autoStart", NULL };
	const struct fl_ynode *list;
	size_t old;
	int r;

	if ((r = fl_exp_list_alloc(c, spec, "hooks", sizeof(*e->hooks), &list,
				   (void **)&e->hooks)) < 0 ||
	    !list)
		return r;
	old = fl_exp_push_key(c, "hooks");
	for (unsigned i = 0; i < list->n && r == 0; i++) {
		const struct fl_ynode *n = list->items[i];
		struct fl_hook_spec *h = &e->hooks[i];
		size_t o2 = fl_exp_push_index(c, i);

		e->n_hooks = i + 1;
		if ((r = fl_exp_map(c, n, allowed)) == 0 &&
		    (r = fl_exp_name(c, n, "name", true, &h->name)) == 0 &&
		    (r = fl_exp_name(c, n, "module", true, &h->module)) == 0) {
			h->pos = fl_exp_pos(c, n);
			for (unsigned j = 0; j < i && r == 0; j++)
				if (strcmp(e->hooks[j].name, h->name) == 0)
					r = fl_exp_err_key(
						c, fl_ynode_get(n, "name"), "name",
						"\"%s\" is already the name of hooks[%u]", h->name,
						j);
			if (r == 0)
				r = check_hook_module(c, n, h);
			if (r == 0)
				r = fl_exp_bool(c, n, "autoStart", &h->autostart);
		}
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

/* The action is one the hook's module takes, with args it accepts (its check_call). */
static int check_hook_call(struct exp_ctx *c, const struct fl_ynode *n,
			   const struct fl_hook_module *m, const struct fl_hook_call *h)
{
	const struct fl_ynode *args = fl_ynode_get(n, "args");
	struct fl_diag d = { 0 };
	int r;

	if (!m) /* not reached: parse_hooks refused unknown modules */
		return fl_exp_err_key(c, fl_ynode_get(n, "name"), "name", "no module");
	r = m->check_call(h->call, h->args, &d);
	if (r == -EINVAL && args)
		return fl_exp_err_key(c, args, "args", "module %s: %s", m->name, d.msg);
	if (r < 0)
		return fl_exp_err_key(c, fl_ynode_get(n, "call"), "call", "module %s: %s", m->name,
				      d.msg);
	return 0;
}

int fl_exp_parse_hook_call(struct exp_ctx *c, const struct fl_ynode *n,
			   const struct fl_experiment *e, struct fl_hook_call *h)
{
	static const char *const allowed[] = { "name", "action", "call", "args", NULL };
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	char *action = NULL;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0 ||
	    (r = fl_exp_name(c, n, "name", true, &h->hook)) < 0)
		return r;
	if (!fl_exp_hook_module(e, h->hook))
		return fl_exp_err_key(c, fl_ynode_get(n, "name"), "name",
				      "\"%s\" is not defined in spec.hooks", h->hook);
	if ((r = fl_exp_str(c, n, "action", 16, true, &action)) < 0)
		return r;
	if (strcmp(action, "start") == 0)
		h->action = FL_HOOK_START;
	else if (strcmp(action, "stop") == 0)
		h->action = FL_HOOK_STOP;
	else if (strcmp(action, "call") == 0)
		h->action = FL_HOOK_CALL;
	else
		r = fl_exp_err_key(c, fl_ynode_get(n, "action"), "action",
				   "%s is not one of start, stop, call",
				   fl_exp_quote(fl_ynode_get(n, "action"), q, sizeof(q)));
	free(action);
	if (r < 0)
		return r;
	if (h->action != FL_HOOK_CALL) {
		if ((v = fl_exp_key_node(n, "call")) || (v = fl_exp_key_node(n, "args")))
			return fl_exp_err_key(c, v, v->text, "only with action: call");
		return 0;
	}
	if ((r = fl_exp_name(c, n, "call", true, &h->call)) < 0)
		return r;
	if ((v = fl_ynode_get(n, "args"))) {
		size_t old = fl_exp_push_key(c, "args");

		if ((r = fl_exp_want(c, v, FL_YTYPE_MAP, "a mapping")) == 0)
			r = fl_ynode_to_json(v, &h->args);
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	return check_hook_call(c, n, fl_exp_hook_module(e, h->hook), h);
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static unsigned hook_index(const struct fl_experiment *e, const char *name)
{
	unsigned k = 0;

	while (k < e->n_hooks && strcmp(e->hooks[k].name, name) != 0)
		k++;
	return k; /* < n_hooks: references were checked while parsing */
}

/* What last started or stopped each hook while walking the method: -1 autoStart or nothing. */
struct hook_state {
	bool running[FL_EXP_MAX_ITEMS];
	int changed_at[FL_EXP_MAX_ITEMS]; /* method index */
};

static const char *why_not_running(const struct hook_state *st, unsigned k, bool in_method,
				   char *buf, size_t size)
{
	if (st->changed_at[k] >= 0)
		(void)snprintf(buf, size, "stopped by spec.method[%d]", st->changed_at[k]);
	else if (in_method)
		(void)snprintf(buf, size,
			       "not started: add a start step before this one, or autoStart: true "
			       "on spec.hooks[%u]",
			       k);
	else
		(void)snprintf(buf, size,
			       "method steps start hooks; autoStart: true on spec.hooks[%u] starts "
			       "it before the steady state",
			       k);
	return buf;
}

#define AT_THIS_STEP NULL /* need_running's `when` for a method step */

/* A hook probe (or call) at node n, field key, needs hook k running; when says where
 * (a steady-state check), or AT_THIS_STEP. */
static int need_running(struct exp_ctx *c, const struct fl_ynode *n, const char *key,
			const struct fl_experiment *e, const struct hook_state *st, unsigned k,
			const char *when)
{
	char why[160];

	if (st->running[k])
		return 0;
	return fl_exp_err_key(c, fl_ynode_get(n, key), key, "hook \"%s\" is not running %s (%s)",
			      e->hooks[k].name, when ? when : "at this step",
			      why_not_running(st, k, when == AT_THIS_STEP, why, sizeof(why)));
}

static int check_steady(struct exp_ctx *c, const struct fl_ynode *spec,
			const struct fl_experiment *e, const struct hook_state *st,
			const char *when)
{
	const struct fl_ynode *list = fl_ynode_get(fl_ynode_get(spec, "steadyState"), "probes");
	size_t old = fl_exp_push_key(c, "steadyState");
	size_t o2 = fl_exp_push_key(c, "probes");
	int r = 0;

	for (unsigned i = 0; i < e->n_steady && r == 0; i++) {
		size_t o3 = fl_exp_push_index(c, i);

		if (e->steady[i].type == FL_PROBE_HOOK)
			r = need_running(c, list->items[i], "hook", e, st,
					 hook_index(e, e->steady[i].hook), when);
		fl_exp_pop(c, o3);
	}
	fl_exp_pop(c, o2);
	fl_exp_pop(c, old);
	return r;
}

/*
 * Effect checks take their baseline just before the method's first fault (step `first`):
 * a hook they ask must be running then too, not only at their own step. The context's path
 * is at "method" here.
 */
static int check_effect_baselines(struct exp_ctx *c, const struct fl_ynode *method,
				  const struct fl_experiment *e, unsigned first,
				  const struct hook_state *st)
{
	char when[96];
	int r = 0;

	(void)snprintf(when, sizeof(when),
		       "when its baseline is taken, before the first fault (spec.method[%u])",
		       first);
	for (unsigned j = first + 1; j < e->n_method && r == 0; j++) {
		const struct fl_step *s = &e->method[j];
		size_t old;

		if (s->kind != FL_STEP_EFFECT || s->probe.type != FL_PROBE_HOOK)
			continue;
		/* The error points at the effect step (path and position), not at the fault. */
		old = fl_exp_push_index(c, j);
		fl_exp_push_key(c, "effect");
		r = need_running(c, fl_ynode_get(method->items[j], "effect"), "hook", e, st,
				 hook_index(e, s->probe.hook), when);
		fl_exp_pop(c, old);
	}
	return r;
}

static int check_method_step(struct exp_ctx *c, const struct fl_ynode *n,
			     const struct fl_experiment *e, unsigned i, struct hook_state *st)
{
	const struct fl_step *s = &e->method[i];
	const struct fl_ynode *v;
	unsigned k;
	size_t old;
	int r = 0;

	if ((s->kind == FL_STEP_PROBE || s->kind == FL_STEP_EFFECT) &&
	    s->probe.type == FL_PROBE_HOOK) {
		const char *key = s->kind == FL_STEP_PROBE ? "probe" : "effect";

		old = fl_exp_push_key(c, key);
		r = need_running(c, fl_ynode_get(n, key), "hook", e, st,
				 hook_index(e, s->probe.hook), AT_THIS_STEP);
		fl_exp_pop(c, old);
		return r;
	}
	if (s->kind != FL_STEP_HOOK)
		return 0;
	k = hook_index(e, s->hook.hook);
	v = fl_ynode_get(n, "hook");
	old = fl_exp_push_key(c, "hook");
	switch (s->hook.action) {
	case FL_HOOK_START:
		if (st->running[k] && st->changed_at[k] < 0)
			r = fl_exp_err_key(
				c, fl_ynode_get(v, "action"), "action",
				"hook \"%s\" is already running here (autoStart: true on "
				"spec.hooks[%u])",
				e->hooks[k].name, k);
		else if (st->running[k])
			r = fl_exp_err_key(c, fl_ynode_get(v, "action"), "action",
					   "hook \"%s\" is already running here (started by "
					   "spec.method[%d])",
					   e->hooks[k].name, st->changed_at[k]);
		st->running[k] = true;
		st->changed_at[k] = (int)i;
		break;
	case FL_HOOK_STOP:
		st->running[k] = false;
		st->changed_at[k] = (int)i;
		break;
	case FL_HOOK_CALL:
		r = need_running(c, v, "call", e, st, k, AT_THIS_STEP);
		break;
	}
	fl_exp_pop(c, old);
	return r;
}

int fl_exp_check_hook_lifecycle(struct exp_ctx *c, const struct fl_ynode *spec,
				const struct fl_experiment *e)
{
	const struct fl_ynode *method = fl_ynode_get(spec, "method");
	struct hook_state *st;
	size_t old;
	int r;

	if (e->n_hooks == 0)
		return 0;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	for (unsigned k = 0; k < e->n_hooks; k++) {
		st->running[k] = e->hooks[k].autostart;
		st->changed_at[k] = -1;
	}
	r = check_steady(c, spec, e, st, "when the steady state is checked before the method");
	old = fl_exp_push_key(c, "method");
	for (unsigned i = 0, faults = 0; i < e->n_method && r == 0; i++) {
		size_t o2;

		if (e->method[i].kind == FL_STEP_FAULT && faults++ == 0 &&
		    (r = check_effect_baselines(c, method, e, i, st)) < 0)
			break;
		o2 = fl_exp_push_index(c, i);
		r = check_method_step(c, method->items[i], e, i, st);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	if (r == 0)
		r = check_steady(c, spec, e, st,
				 "when the steady state is checked after the method");
	free(st);
	return r;
}
