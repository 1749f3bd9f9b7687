/* SPDX-License-Identifier: MIT */
/*
 * One experiment's metadata and spec (agents, kafka, targets, hooks, steadyState, method,
 * abort, rollbacks), a Suite's defaults, and how the defaults merge into an experiment.
 * The parts are read in dependency order (agents before targets, targets and hooks before
 * the steps that name them), so a reference is checked where it is read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"

#define ADDRESS_MAX	 512
#define PATH_MAX_LEN	 4096
#define DESCRIPTION_MAX	 4096
#define DEFAULT_ABORT_NS EX_NS_PER_S
#define MAX_ABORT_NS	 (3600 * EX_NS_PER_S)
/* Steady-state observations during the method: often enough to draw the fault's shape,
 * rarely enough that a rescanning probe (the integrity hook) costs little. */
#define DEFAULT_OBSERVE_NS (2 * EX_NS_PER_S)
#define MIN_OBSERVE_NS	   (EX_NS_PER_S / 2)
#define MAX_OBSERVE_NS	   (3600 * EX_NS_PER_S)
#define CALL_MAX	   63

/* ---- freeing ----------------------------------------------------------------------------- */

static void agents_clear(struct fl_agent_ref *agents, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		free(agents[i].name);
		free(agents[i].address);
		free(agents[i].tls_cert);
		free(agents[i].tls_key);
		free(agents[i].tls_ca);
	}
	free(agents);
}

static void steps_clear(struct fl_step *steps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		fl_exp_fault_clear(&steps[i].fault);
		fl_exp_probe_clear(&steps[i].probe);
		free(steps[i].hook.hook);
		free(steps[i].hook.call);
		json_decref(steps[i].hook.args);
	}
	free(steps);
}

static void probes_clear(struct fl_probe_spec *probes, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		fl_exp_probe_clear(&probes[i]);
	free(probes);
}

void fl_exp_experiment_clear(struct fl_experiment *e)
{
	free(e->name);
	free(e->description);
	agents_clear(e->agents, e->n_agents);
	fl_exp_kube_agents_free(e->kube_agents);
	free(e->kafka_bootstrap);
	for (unsigned i = 0; i < e->n_targets; i++)
		fl_exp_target_clear(&e->targets[i]);
	free(e->targets);
	probes_clear(e->steady, e->n_steady);
	steps_clear(e->method, e->n_method);
	probes_clear(e->abort_probes, e->n_abort);
	steps_clear(e->rollbacks, e->n_rollbacks);
	for (unsigned i = 0; i < e->n_hooks; i++) {
		free(e->hooks[i].name);
		free(e->hooks[i].module);
		json_decref(e->hooks[i].config);
	}
	free(e->hooks);
	memset(e, 0, sizeof(*e));
}

void fl_exp_defaults_clear(struct exp_defaults *d)
{
	agents_clear(d->agents, d->n_agents);
	free(d->kafka_bootstrap);
	memset(d, 0, sizeof(*d));
}

/* ---- small pieces ----------------------------------------------------------------------- */

static int parse_seed(struct exp_ctx *c, const struct fl_ynode *spec, bool *has, uint64_t *seed)
{
	const struct fl_ynode *n = fl_ynode_get(spec, "seed");
	char q[EX_QUOTE];
	int r;

	if (!n)
		return 0;
	if (fl_ynode_type(n) != FL_YTYPE_INT)
		return fl_exp_err_key(
			c, n, "seed", "expected an unsigned integer, got %s%s%s%s",
			fl_ytype_desc(fl_ynode_type(n)), n->kind == FL_YNODE_SCALAR ? " (" : "",
			n->kind == FL_YNODE_SCALAR ? fl_exp_quote(n, q, sizeof(q)) : "",
			n->kind == FL_YNODE_SCALAR ? ")" : "");
	r = fl_ynode_uint(n, seed);
	if (r < 0)
		return fl_exp_err_key(c, n, "seed", "%s is not an unsigned 64-bit integer",
				      fl_exp_quote(n, q, sizeof(q)));
	*has = true;
	return 0;
}

static int parse_agent(struct exp_ctx *c, const struct fl_ynode *n, struct fl_agent_ref *a)
{
	static const char *const allowed[] = { "name", "address", "tls", NULL };
	static const char *const tls_allowed[] = { "cert", "key", "ca", NULL };
	const struct fl_ynode *tls, *addr;
	char q[EX_QUOTE];
	bool https;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0)
		return r;
	a->pos = fl_exp_pos(c, n);
	if ((r = fl_exp_name(c, n, "name", true, &a->name)) < 0 ||
	    (r = fl_exp_str(c, n, "address", ADDRESS_MAX, true, &a->address)) < 0)
		return r;
	addr = fl_ynode_get(n, "address");
	https = strncmp(a->address, "https://", 8) == 0 && a->address[8] && a->address[8] != '/';
	if (!https && !(strncmp(a->address, "unix:/", 6) == 0 && a->address[6]))
		return fl_exp_err_key(
			c, addr, "address",
			"%s is not an agent address (expected "
			"\"unix:/run/faultline/agent.sock\" or \"https://HOST:PORT\")",
			fl_exp_quote(addr, q, sizeof(q)));
	if ((tls = fl_ynode_get(n, "tls"))) {
		size_t old = fl_exp_push_key(c, "tls");

		if (!https)
			r = fl_exp_err(c, tls, "only for https:// addresses");
		else if ((r = fl_exp_map(c, tls, tls_allowed)) == 0 &&
			 (r = fl_exp_str(c, tls, "cert", PATH_MAX_LEN, false, &a->tls_cert)) == 0 &&
			 (r = fl_exp_str(c, tls, "key", PATH_MAX_LEN, false, &a->tls_key)) == 0 &&
			 (r = fl_exp_str(c, tls, "ca", PATH_MAX_LEN, false, &a->tls_ca)) == 0 &&
			 !a->tls_cert != !a->tls_key)
			r = fl_exp_err(c, tls,
				       "cert and key go together (the agent wants a client "
				       "certificate)");
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_agents(struct exp_ctx *c, const struct fl_ynode *spec,
			struct fl_agent_ref **ret_agents, unsigned *ret_n)
{
	const struct fl_ynode *list;
	struct fl_agent_ref *agents;
	size_t old;
	int r;

	if ((r = fl_exp_list_alloc(c, spec, "agents", sizeof(*agents), &list, (void **)&agents)) <
		    0 ||
	    !list)
		return r;
	*ret_agents = agents;
	old = fl_exp_push_key(c, "agents");
	for (unsigned i = 0; i < list->n && r == 0; i++) {
		size_t o2 = fl_exp_push_index(c, i);

		*ret_n = i + 1;
		r = parse_agent(c, list->items[i], &agents[i]);
		for (unsigned j = 0; j < i && r == 0; j++)
			if (strcmp(agents[j].name, agents[i].name) == 0)
				r = fl_exp_err_key(c, fl_ynode_get(list->items[i], "name"), "name",
						   "\"%s\" is already the name of agents[%u]",
						   agents[i].name, j);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

/* spec.agents: a list of addresses, or {kubernetes: {...}} (agents found per node). */
static int parse_spec_agents(struct exp_ctx *c, const struct fl_ynode *spec,
			     struct fl_experiment *e)
{
	const struct fl_ynode *n = fl_ynode_get(spec, "agents");

	if (n && n->kind == FL_YNODE_MAP)
		return fl_exp_parse_kube_agents(c, n, e);
	return parse_agents(c, spec, &e->agents, &e->n_agents);
}

static int parse_kafka(struct exp_ctx *c, const struct fl_ynode *spec, char **ret)
{
	static const char *const allowed[] = { "bootstrap", NULL };
	const struct fl_ynode *n = fl_ynode_get(spec, "kafka");
	size_t old;
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, "kafka");
	if ((r = fl_exp_map(c, n, allowed)) == 0 &&
	    (r = fl_exp_str(c, n, "bootstrap", 1024, true, ret)) == 0) {
		size_t o2 = fl_exp_push_key(c, "bootstrap");

		r = fl_exp_bootstrap(c, fl_ynode_get(n, "bootstrap"), *ret);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

/* abort.interval of a spec or of the defaults (0: not given). */
static int parse_abort_interval(struct exp_ctx *c, const struct fl_ynode *abort_node, uint64_t *ret)
{
	return fl_exp_duration(c, abort_node, "interval", MAX_ABORT_NS, ret);
}

/* ---- steps ------------------------------------------------------------------------------- */

static bool probe_name_taken(const struct fl_experiment *e, const struct fl_probe_spec *p,
			     char *where, size_t size)
{
	for (unsigned i = 0; i < e->n_steady; i++)
		if (&e->steady[i] != p && e->steady[i].name &&
		    strcmp(e->steady[i].name, p->name) == 0)
			return snprintf(where, size, "spec.steadyState.probes[%u]", i) > 0;
	for (unsigned i = 0; i < e->n_method; i++)
		if (&e->method[i].probe != p &&
		    (e->method[i].kind == FL_STEP_PROBE || e->method[i].kind == FL_STEP_EFFECT) &&
		    e->method[i].probe.name && strcmp(e->method[i].probe.name, p->name) == 0)
			return snprintf(where, size, "spec.method[%u].%s", i,
					e->method[i].kind == FL_STEP_PROBE ? "probe" : "effect") >
			       0;
	for (unsigned i = 0; i < e->n_abort; i++)
		if (&e->abort_probes[i] != p && e->abort_probes[i].name &&
		    strcmp(e->abort_probes[i].name, p->name) == 0)
			return snprintf(where, size, "spec.abort.probes[%u]", i) > 0;
	return false;
}

static int parse_probe_checked(struct exp_ctx *c, const struct fl_ynode *n,
			       enum exp_probe_where where, const struct fl_experiment *e,
			       struct fl_probe_spec *p)
{
	char other[64];
	int r;

	if ((r = fl_exp_parse_probe(c, n, where, e, p)) < 0)
		return r;
	if (probe_name_taken(e, p, other, sizeof(other)))
		return fl_exp_err_key(
			c, fl_ynode_get(n, "name"), "name",
			"\"%s\" is already the name of %s (probe names are unique in an "
			"experiment)",
			p->name, other);
	return 0;
}

/*
 * An effect check says what the faults before it must have done; with no fault before it,
 * it would judge the system's normal state and pass or fail for nothing.
 */
static int parse_effect(struct exp_ctx *c, const struct fl_ynode *step, const struct fl_ynode *v,
			unsigned index, struct fl_experiment *e, struct fl_step *s)
{
	bool fault_before = false;
	size_t old;
	int r;

	s->kind = FL_STEP_EFFECT;
	for (unsigned i = 0; i < index; i++)
		fault_before |= e->method[i].kind == FL_STEP_FAULT;
	if (!fault_before)
		return fl_exp_err_key(
			c, fl_exp_key_node(step, "effect"), "effect",
			"no fault before it in the method (an effect check judges what "
			"the faults before it did)");
	old = fl_exp_push_key(c, "effect");
	r = parse_probe_checked(c, v, EXP_PROBE_EFFECT, e, &s->probe);
	fl_exp_pop(c, old);
	return r;
}

static int parse_step(struct exp_ctx *c, const struct fl_ynode *n, unsigned index, bool rollback,
		      struct fl_experiment *e, struct fl_step *s)
{
	static const char *const allowed[] = { "fault",	 "pause",      "probe", "hook",
					       "effect", "background", NULL };
	static const char *const kinds[] = { "fault", "pause", "probe", "hook", "effect" };
	const struct fl_ynode *v = NULL;
	char got[64] = "";
	unsigned given = 0, which = 0;
	size_t old;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0)
		return r;
	s->pos = fl_exp_pos(c, n);
	for (unsigned i = 0; i < FL_ARRAY_SIZE(kinds); i++) {
		if (!fl_ynode_get(n, kinds[i]))
			continue;
		(void)snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			       given ? " and " : "", kinds[i]);
		given++;
		which = i;
	}
	if (given != 1)
		return fl_exp_err(
			c, n, "expected exactly one of fault, pause, probe, hook, effect (got %s)",
			given ? got : "none");
	if (rollback && (which == 0 || which == 2 || which == 4))
		return fl_exp_err_key(c, fl_exp_key_node(n, kinds[which]), kinds[which],
				      "not allowed in rollbacks (only hook and pause steps)");
	if ((v = fl_exp_key_node(n, "background")) && which != 0)
		return fl_exp_err_key(c, v, "background", "only with fault");
	if ((r = fl_exp_bool(c, n, "background", &s->background)) < 0)
		return r;
	v = fl_ynode_get(n, kinds[which]);
	switch (which) {
	case 0:
		s->kind = FL_STEP_FAULT;
		old = fl_exp_push_key(c, "fault");
		r = fl_exp_parse_fault(c, v, index, e, &s->fault);
		for (unsigned i = 0; r == 0 && i < index; i++)
			if (e->method[i].kind == FL_STEP_FAULT &&
			    strcmp(e->method[i].fault.name, s->fault.name) == 0)
				r = fl_exp_err_key(
					c, fl_ynode_get(v, "name") ? fl_ynode_get(v, "name") : v,
					"name",
					"\"%s\" is already the name of spec.method[%u].fault",
					s->fault.name, i);
		fl_exp_pop(c, old);
		return r;
	case 1:
		s->kind = FL_STEP_PAUSE;
		return fl_exp_duration(c, n, "pause", EX_DAY_NS, &s->pause_ns);
	case 2:
		s->kind = FL_STEP_PROBE;
		old = fl_exp_push_key(c, "probe");
		r = parse_probe_checked(c, v, EXP_PROBE_METHOD, e, &s->probe);
		fl_exp_pop(c, old);
		return r;
	case 3:
		s->kind = FL_STEP_HOOK;
		old = fl_exp_push_key(c, "hook");
		r = fl_exp_parse_hook_call(c, v, e, &s->hook);
		fl_exp_pop(c, old);
		return r;
	default:
		return parse_effect(c, n, v, index, e, s);
	}
}

static int parse_steps(struct exp_ctx *c, const struct fl_ynode *spec, const char *key,
		       bool rollback, struct fl_experiment *e)
{
	struct fl_step **steps = rollback ? &e->rollbacks : &e->method;
	unsigned *n_steps = rollback ? &e->n_rollbacks : &e->n_method;
	const struct fl_ynode *list;
	size_t old;
	int r;

	if ((r = fl_exp_list_alloc(c, spec, key, sizeof(**steps), &list, (void **)steps)) < 0)
		return r;
	if (!rollback && (!list || list->n == 0))
		return fl_exp_err_key(
			c, list ? list : spec, "method",
			"required: at least one step (fault, pause, probe, hook or effect)");
	if (!list)
		return 0;
	old = fl_exp_push_key(c, key);
	for (unsigned i = 0; i < list->n && r == 0; i++) {
		size_t o2 = fl_exp_push_index(c, i);

		*n_steps = i + 1;
		r = parse_step(c, list->items[i], i, rollback, e, &(*steps)[i]);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

static int parse_probe_list(struct exp_ctx *c, const struct fl_ynode *map,
			    enum exp_probe_where where, struct fl_experiment *e,
			    struct fl_probe_spec **ret, unsigned *ret_n)
{
	const struct fl_ynode *list;
	size_t old;
	int r;

	if ((r = fl_exp_list_alloc(c, map, "probes", sizeof(**ret), &list, (void **)ret)) < 0 ||
	    !list)
		return r;
	old = fl_exp_push_key(c, "probes");
	for (unsigned i = 0; i < list->n && r == 0; i++) {
		size_t o2 = fl_exp_push_index(c, i);

		*ret_n = i + 1;
		r = parse_probe_checked(c, list->items[i], where, e, &(*ret)[i]);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

static int parse_steady(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e)
{
	static const char *const allowed[] = { "interval", "probes", NULL };
	const struct fl_ynode *n = fl_ynode_get(spec, "steadyState");
	size_t old;
	int r;

	e->observe_interval_ns = DEFAULT_OBSERVE_NS;
	if (!n)
		return 0;
	old = fl_exp_push_key(c, "steadyState");
	if ((r = fl_exp_map(c, n, allowed)) == 0 &&
	    (r = fl_exp_duration(c, n, "interval", MAX_OBSERVE_NS, &e->observe_interval_ns)) == 0 &&
	    e->observe_interval_ns < MIN_OBSERVE_NS)
		r = fl_exp_err_key(c, fl_ynode_get(n, "interval"), "interval",
				   "\"%.*s\" is below the minimum 500ms",
				   (int)fl_ynode_get(n, "interval")->len,
				   fl_ynode_get(n, "interval")->text);
	if (r == 0)
		r = parse_probe_list(c, n, EXP_PROBE_STEADY, e, &e->steady, &e->n_steady);
	fl_exp_pop(c, old);
	return r;
}

static int parse_abort(struct exp_ctx *c, const struct fl_ynode *spec, const struct exp_defaults *d,
		       struct fl_experiment *e)
{
	static const char *const allowed[] = { "interval", "probes", NULL };
	const struct fl_ynode *n = fl_ynode_get(spec, "abort");
	size_t old;
	int r = 0;

	e->abort_interval_ns = d && d->abort_interval_ns ? d->abort_interval_ns : DEFAULT_ABORT_NS;
	if (!n)
		return 0;
	old = fl_exp_push_key(c, "abort");
	if ((r = fl_exp_map(c, n, allowed)) == 0 &&
	    (r = parse_abort_interval(c, n, &e->abort_interval_ns)) == 0)
		r = parse_probe_list(c, n, EXP_PROBE_ABORT, e, &e->abort_probes, &e->n_abort);
	fl_exp_pop(c, old);
	return r;
}

/* ---- defaults ------------------------------------------------------------------------------ */

int fl_exp_parse_defaults(struct exp_ctx *c, const struct fl_ynode *n, struct exp_defaults *d)
{
	static const char *const allowed[] = { "seed", "agents", "kafka", "abort", NULL };
	static const char *const abort_allowed[] = { "interval", NULL };
	const struct fl_ynode *a;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0 ||
	    (r = parse_seed(c, n, &d->has_seed, &d->seed)) < 0 ||
	    (r = parse_agents(c, n, &d->agents, &d->n_agents)) < 0 ||
	    (r = parse_kafka(c, n, &d->kafka_bootstrap)) < 0)
		return r;
	if ((a = fl_ynode_get(n, "abort"))) {
		size_t old = fl_exp_push_key(c, "abort");

		if ((r = fl_exp_map(c, a, abort_allowed)) == 0)
			r = parse_abort_interval(c, a, &d->abort_interval_ns);
		fl_exp_pop(c, old);
	}
	return r;
}

static int copy_agent(const struct fl_agent_ref *from, struct fl_agent_ref *to)
{
	to->pos = from->pos;
	if (fl_exp_strdup(from->name, &to->name) < 0 ||
	    fl_exp_strdup(from->address, &to->address) < 0 ||
	    fl_exp_strdup(from->tls_cert, &to->tls_cert) < 0 ||
	    fl_exp_strdup(from->tls_key, &to->tls_key) < 0 ||
	    fl_exp_strdup(from->tls_ca, &to->tls_ca) < 0)
		return -ENOMEM;
	return 0;
}

/* The experiment's own agents first, then the defaults' that it does not name. */
static int merge_agents(const struct exp_defaults *d, struct fl_experiment *e)
{
	struct fl_agent_ref *all;
	unsigned n = e->n_agents;

	if (!d || d->n_agents == 0)
		return 0;
	all = realloc(e->agents, (e->n_agents + d->n_agents) * sizeof(*all));
	if (!all)
		return -ENOMEM;
	e->agents = all;
	for (unsigned i = 0; i < d->n_agents; i++) {
		bool own = false;

		for (unsigned j = 0; j < n && !own; j++)
			own = strcmp(all[j].name, d->agents[i].name) == 0;
		if (own)
			continue;
		memset(&all[e->n_agents], 0, sizeof(all[0]));
		e->n_agents++;
		if (copy_agent(&d->agents[i], &all[e->n_agents - 1]) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* ---- the experiment ------------------------------------------------------------------------ */

int fl_exp_parse_metadata(struct exp_ctx *c, const struct fl_ynode *n, char **ret_name,
			  char **ret_description)
{
	static const char *const allowed[] = { "name", "description", NULL };
	const struct fl_ynode *v;
	size_t old = fl_exp_push_key(c, "metadata");
	int r;

	if ((r = fl_exp_map(c, n, allowed)) == 0 &&
	    (r = fl_exp_name(c, n, "name", true, ret_name)) == 0 &&
	    (v = fl_ynode_get(n, "description"))) {
		size_t o2 = fl_exp_push_key(c, "description");

		r = fl_exp_str_node(c, v, DESCRIPTION_MAX, true, ret_description);
		fl_exp_pop(c, o2);
	}
	fl_exp_pop(c, old);
	return r;
}

int fl_exp_parse_experiment(struct exp_ctx *c, const struct fl_ynode *at,
			    const struct fl_ynode *metadata, const struct fl_ynode *spec,
			    const struct exp_defaults *d, struct fl_experiment *e)
{
	static const char *const allowed[] = { "seed",	      "agents", "kafka", "targets",
					       "steadyState", "method", "abort", "rollbacks",
					       "hooks",	      NULL };
	size_t old;
	int r;

	e->pos = fl_exp_pos(c, at);
	if (!metadata)
		return fl_exp_err_key(c, at, "metadata", "required (at least {name: ...})");
	if (!spec)
		return fl_exp_err_key(c, at, "spec", "required (at least a method)");
	if ((r = fl_exp_parse_metadata(c, metadata, &e->name, &e->description)) < 0)
		return r;
	old = fl_exp_push_key(c, "spec");
	if ((r = fl_exp_map(c, spec, allowed)) < 0 ||
	    (r = parse_seed(c, spec, &e->has_seed, &e->seed)) < 0 ||
	    (r = parse_spec_agents(c, spec, e)) < 0 || (r = merge_agents(d, e)) < 0 ||
	    (r = parse_kafka(c, spec, &e->kafka_bootstrap)) < 0)
		goto out;
	if (d && !e->has_seed && d->has_seed) {
		e->has_seed = true;
		e->seed = d->seed;
	}
	if (d && !e->kafka_bootstrap &&
	    (r = fl_exp_strdup(d->kafka_bootstrap, &e->kafka_bootstrap)) < 0)
		goto out;
	if ((r = fl_exp_parse_targets(c, spec, e)) < 0 ||
	    (r = fl_exp_parse_hooks(c, spec, e)) < 0 || (r = parse_steady(c, spec, e)) < 0 ||
	    (r = parse_steps(c, spec, "method", false, e)) < 0 ||
	    (r = parse_abort(c, spec, d, e)) < 0 ||
	    (r = parse_steps(c, spec, "rollbacks", true, e)) < 0)
		goto out;
	r = fl_exp_check_hook_lifecycle(c, spec, e);
out:
	fl_exp_pop(c, old);
	return r;
}
