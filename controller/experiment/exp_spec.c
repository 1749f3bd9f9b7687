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
#define LABELS_MAX	 64
#define POD_NS_MAX	 63
#define POD_NAME_MAX	 253
#define CONTAINER_MAX	 127
#define NETNS_MAX	 255
#define MAX_PID		 4194304
#define FIXED_MAX	 10000
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

static void target_clear(struct fl_target_sel *t)
{
	free(t->name);
	free(t->agent);
	free(t->pod_namespace);
	free(t->pod_name);
	for (unsigned i = 0; i < t->n_labels; i++) {
		free(t->labels[i].key);
		free(t->labels[i].value);
	}
	free(t->labels);
	free(t->container);
	free(t->netns);
	free(t->interface);
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
	free(e->kafka_bootstrap);
	for (unsigned i = 0; i < e->n_targets; i++)
		target_clear(&e->targets[i]);
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

/* ---- targets ------------------------------------------------------------------------------- */

static bool dns_label(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0 || len > max || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* A pod name glob: DNS-1123 characters plus * ? [ ] ! */
static bool pod_glob(const char *s)
{
	if (!*s || strlen(s) > POD_NAME_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      strchr("-.*?[]!", *s)))
			return false;
	return true;
}

static int parse_labels(struct exp_ctx *c, const struct fl_ynode *pod, struct fl_target_sel *t)
{
	const struct fl_ynode *n = fl_ynode_get(pod, "labels");
	size_t old;
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, "labels");
	if ((r = fl_exp_want(c, n, FL_YTYPE_MAP, "a mapping of label: value")) < 0)
		goto out;
	if (n->n > LABELS_MAX) {
		r = fl_exp_err(c, n, "%u labels; at most %d", n->n, LABELS_MAX);
		goto out;
	}
	if (n->n && !(t->labels = calloc(n->n, sizeof(*t->labels)))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n->n; i++) {
		const struct fl_ynode *key = n->keys[i];
		char q[EX_QUOTE];

		t->n_labels = i + 1;
		if (key->len == 0 || key->len > 317 || strlen(key->text) != key->len ||
		    strchr(key->text, ' ')) {
			r = fl_exp_err(c, key, "%s is not a label key",
				       fl_exp_quote(key, q, sizeof(q)));
			goto out;
		}
		if (!(t->labels[i].key = strdup(key->text))) {
			r = -ENOMEM;
			goto out;
		}
		if ((r = fl_exp_str(c, n, key->text, 63, false, &t->labels[i].value)) < 0)
			goto out;
	}
out:
	fl_exp_pop(c, old);
	return r;
}

static int parse_pod(struct exp_ctx *c, const struct fl_ynode *sel, struct fl_target_sel *t)
{
	static const char *const allowed[] = { "namespace", "name", "labels", NULL };
	const struct fl_ynode *n = fl_ynode_get(sel, "pod");
	char q[EX_QUOTE];
	size_t old = fl_exp_push_key(c, "pod");
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0 ||
	    (r = fl_exp_str(c, n, "namespace", 253, true, &t->pod_namespace)) < 0)
		goto out;
	if (!dns_label(t->pod_namespace, POD_NS_MAX)) {
		r = fl_exp_err_key(
			c, fl_ynode_get(n, "namespace"), "namespace",
			"%s is not a namespace (DNS-1123 label: lower-case letters, digits "
			"and '-', at most 63)",
			fl_exp_quote(fl_ynode_get(n, "namespace"), q, sizeof(q)));
		goto out;
	}
	if ((r = fl_exp_str(c, n, "name", 1024, false, &t->pod_name)) < 0)
		goto out;
	if (t->pod_name && !pod_glob(t->pod_name)) {
		r = fl_exp_err_key(c, fl_ynode_get(n, "name"), "name",
				   "%s is not a pod name or glob (lower-case letters, digits, '-', "
				   "'.', and * ? [ ] !)",
				   fl_exp_quote(fl_ynode_get(n, "name"), q, sizeof(q)));
		goto out;
	}
	r = parse_labels(c, n, t);
out:
	fl_exp_pop(c, old);
	return r;
}

static int parse_mode(struct exp_ctx *c, const struct fl_ynode *sel, struct fl_target_sel *t)
{
	const struct fl_ynode *n = fl_ynode_get(sel, "mode");
	char q[EX_QUOTE];
	char *s = NULL, *end;
	int r;

	t->mode = FL_TARGET_ONE;
	if (!n)
		return 0;
	if ((r = fl_exp_str(c, sel, "mode", 32, false, &s)) < 0)
		return r;
	r = -EINVAL;
	if (strcmp(s, "one") == 0) {
		t->mode = FL_TARGET_ONE;
		r = 0;
	} else if (strcmp(s, "all") == 0) {
		t->mode = FL_TARGET_ALL;
		r = 0;
	} else if (strncmp(s, "fixed:", 6) == 0 && s[6] >= '1' && s[6] <= '9') {
		unsigned long v = strtoul(s + 6, &end, 10);

		if (*end == '\0' && v <= FIXED_MAX) {
			t->mode = FL_TARGET_FIXED;
			t->mode_count = (unsigned)v;
			r = 0;
		}
	} else if (strncmp(s, "percent:", 8) == 0 &&
		   ((s[8] >= '0' && s[8] <= '9') || s[8] == '.')) {
		double v = strtod(s + 8, &end);

		if (*end == '%')
			end++;
		if (*end == '\0' && v > 0 && v <= 100) {
			t->mode = FL_TARGET_PERCENT;
			t->mode_percent = v;
			r = 0;
		}
	}
	free(s);
	if (r < 0)
		return fl_exp_err_key(
			c, n, "mode",
			"%s is not one of one, all, fixed:N, percent:P (N 1..%d, P in "
			"(0, 100])",
			fl_exp_quote(n, q, sizeof(q)), FIXED_MAX);
	return 0;
}

static int parse_netns(struct exp_ctx *c, const struct fl_ynode *sel, struct fl_target_sel *t)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	if ((r = fl_exp_str(c, sel, "netns", NETNS_MAX, true, &t->netns)) < 0)
		return r;
	v = fl_ynode_get(sel, "netns");
	if (t->netns[0] != '/' || strstr(t->netns, "/../") ||
	    (strlen(t->netns) >= 3 && strcmp(t->netns + strlen(t->netns) - 3, "/..") == 0))
		return fl_exp_err_key(c, v, "netns",
				      "%s is not an absolute path without \"..\" (expected e.g. "
				      "/run/netns/lab)",
				      fl_exp_quote(v, q, sizeof(q)));
	return 0;
}

static int parse_pid(struct exp_ctx *c, const struct fl_ynode *sel, struct fl_target_sel *t)
{
	const struct fl_ynode *v = fl_ynode_get(sel, "pid");
	int64_t pid = 0;
	size_t old = fl_exp_push_key(c, "pid");
	char q[EX_QUOTE];
	int r;

	if ((r = fl_exp_want(c, v, FL_YTYPE_INT, "an integer (a process id)")) == 0 &&
	    (fl_ynode_int(v, &pid) < 0 || pid < 1 || pid > MAX_PID))
		r = fl_exp_err(c, v, "%s is not a process id (expected 1 to %d)",
			       fl_exp_quote(v, q, sizeof(q)), MAX_PID);
	fl_exp_pop(c, old);
	t->pid = (int)pid;
	return r;
}

/* The ways to select a target; a target uses exactly one. */
static const struct target_way {
	const char *key;
	enum fl_select_kind kind;
	int (*parse)(struct exp_ctx *c, const struct fl_ynode *sel, struct fl_target_sel *t);
} target_ways[] = {
	{ "pod", FL_SELECT_POD, parse_pod },
	{ "netns", FL_SELECT_NETNS, parse_netns },
	{ "pid", FL_SELECT_PID, parse_pid },
};

/* Exactly one of target_ways is given: its index in *ret. */
static int pick_target_way(struct exp_ctx *c, const struct fl_ynode *n, unsigned *ret)
{
	char got[64] = "";
	unsigned given = 0, which = 0;

	for (unsigned i = 0; i < FL_ARRAY_SIZE(target_ways); i++) {
		if (!fl_ynode_get(n, target_ways[i].key))
			continue;
		(void)snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
			       given ? " and " : "", target_ways[i].key);
		given++;
		which = i;
	}
	if (given != 1)
		return fl_exp_err(c, n, "exactly one of pod, netns, pid (got %s)",
				  given ? got : "none");
	*ret = which;
	return 0;
}

static int check_target_agent(struct exp_ctx *c, const struct fl_ynode *n,
			      const struct fl_experiment *e, struct fl_target_sel *t)
{
	int r;

	if ((r = fl_exp_name(c, n, "agent", false, &t->agent)) < 0)
		return r;
	if (t->agent) {
		bool found = false;

		for (unsigned i = 0; i < e->n_agents && !found; i++)
			found = strcmp(e->agents[i].name, t->agent) == 0;
		if (!found)
			return fl_exp_err_key(c, fl_ynode_get(n, "agent"), "agent",
					      "\"%s\" is not defined in spec.agents", t->agent);
	}
	return 0;
}

/* container (pod targets only) and interface. */
static int parse_target_extras(struct exp_ctx *c, const struct fl_ynode *n, struct fl_target_sel *t)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	if ((v = fl_ynode_get(n, "container"))) {
		if (t->kind != FL_SELECT_POD)
			return fl_exp_err_key(c, fl_exp_key_node(n, "container"), "container",
					      "only with pod (a container of the selected pods)");
		if ((r = fl_exp_str(c, n, "container", CONTAINER_MAX, false, &t->container)) < 0)
			return r;
		if (!t->container[0])
			return fl_exp_err_key(c, v, "container", "empty");
	}
	if ((r = fl_exp_str(c, n, "interface", 15, false, &t->interface)) < 0)
		return r;
	if (t->interface && (!t->interface[0] || strpbrk(t->interface, " /:") ||
			     strcmp(t->interface, ".") == 0 || strcmp(t->interface, "..") == 0))
		return fl_exp_err_key(
			c, fl_ynode_get(n, "interface"), "interface",
			"%s is not an interface name (1 to 15 printable characters, no "
			"'/', ':' or space)",
			fl_exp_quote(fl_ynode_get(n, "interface"), q, sizeof(q)));
	return 0;
}

static int parse_target(struct exp_ctx *c, const struct fl_ynode *key, const struct fl_ynode *n,
			const struct fl_experiment *e, struct fl_target_sel *t)
{
	static const char *const allowed[] = { "agent",	    "pod",	 "netns", "pid",
					       "container", "interface", "mode",  NULL };
	unsigned which = 0;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0)
		return r;
	t->pos = fl_exp_pos(c, key);
	if ((r = check_target_agent(c, n, e, t)) < 0 || (r = pick_target_way(c, n, &which)) < 0)
		return r;
	t->kind = target_ways[which].kind;
	if ((r = target_ways[which].parse(c, n, t)) < 0 || (r = parse_target_extras(c, n, t)) < 0)
		return r;
	return parse_mode(c, n, t);
}

static int parse_targets(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e)
{
	const struct fl_ynode *n = fl_ynode_get(spec, "targets");
	char q[EX_QUOTE];
	size_t old;
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, "targets");
	if ((r = fl_exp_want(c, n, FL_YTYPE_MAP, "a mapping of name: selector")) < 0)
		goto out;
	if (n->n > FL_EXP_MAX_ITEMS) {
		r = fl_exp_err(c, n, "%u targets; at most %d", n->n, FL_EXP_MAX_ITEMS);
		goto out;
	}
	if (n->n && !(e->targets = calloc(n->n, sizeof(*e->targets)))) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n->n; i++) {
		const struct fl_ynode *key = n->keys[i];
		size_t o2;

		e->n_targets = i + 1;
		if (strlen(key->text) != key->len || !fl_exp_valid_name(key->text)) {
			r = fl_exp_err(
				c, key,
				"%s is not a target name (lower-case letters, digits and '-', "
				"starting and ending with a letter or digit, at most %d)",
				fl_exp_quote(key, q, sizeof(q)), FL_EXP_NAME_MAX);
			goto out;
		}
		if (!(e->targets[i].name = strdup(key->text))) {
			r = -ENOMEM;
			goto out;
		}
		o2 = fl_exp_push_key(c, key->text);
		r = parse_target(c, key, n->items[i], e, &e->targets[i]);
		fl_exp_pop(c, o2);
		if (r < 0)
			goto out;
	}
out:
	fl_exp_pop(c, old);
	return r;
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
	    (r = parse_agents(c, spec, &e->agents, &e->n_agents)) < 0 ||
	    (r = merge_agents(d, e)) < 0 || (r = parse_kafka(c, spec, &e->kafka_bootstrap)) < 0)
		goto out;
	if (d && !e->has_seed && d->has_seed) {
		e->has_seed = true;
		e->seed = d->seed;
	}
	if (d && !e->kafka_bootstrap &&
	    (r = fl_exp_strdup(d->kafka_bootstrap, &e->kafka_bootstrap)) < 0)
		goto out;
	if ((r = parse_targets(c, spec, e)) < 0 || (r = fl_exp_parse_hooks(c, spec, e)) < 0 ||
	    (r = parse_steady(c, spec, e)) < 0 ||
	    (r = parse_steps(c, spec, "method", false, e)) < 0 ||
	    (r = parse_abort(c, spec, d, e)) < 0 ||
	    (r = parse_steps(c, spec, "rollbacks", true, e)) < 0)
		goto out;
	r = fl_exp_check_hook_lifecycle(c, spec, e);
out:
	fl_exp_pop(c, old);
	return r;
}
