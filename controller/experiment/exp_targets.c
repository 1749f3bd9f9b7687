/* SPDX-License-Identifier: MIT */
/*
 * spec.targets: what a fault acts on and a pod probe counts. Four ways to select, one per
 * target: pods through the agents' CRI view (`pod`), pods through the Kubernetes API
 * (`pods`: namespace, label and field selectors checked with Kubernetes' own grammar, a
 * name glob), a network namespace (`netns`), a process (`pid`); and how many of the
 * matches a run takes (`mode`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"
#include "labelsel.h"

#define LABELS_MAX    64
#define POD_NS_MAX    63
#define POD_NAME_MAX  253
#define CONTAINER_MAX 127
#define NETNS_MAX     255
#define MAX_PID	      4194304
#define FIXED_MAX     10000

void fl_exp_target_clear(struct fl_target_sel *t)
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
	free(t->kube_labels);
	free(t->kube_fields);
	free(t->leader_topic);
	free(t->leader_bootstrap);
	free(t->netns);
	free(t->interface);
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

static int parse_pod(struct exp_ctx *c, const struct fl_ynode *sel, const struct fl_experiment *e,
		     struct fl_target_sel *t)
{
	static const char *const allowed[] = { "namespace", "name", "labels", NULL };
	const struct fl_ynode *n = fl_ynode_get(sel, "pod");
	char q[EX_QUOTE];
	size_t old = fl_exp_push_key(c, "pod");
	int r;

	(void)e;
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

/* A selector refused by labelsel.h: the error points at the offending character. */
static int selector_error(struct exp_ctx *c, const struct fl_ynode *v, const char *key,
			  const struct fl_labelsel_error *le)
{
	int r = fl_exp_err_key(c, v, key, "%s", le->msg);

	/* The column of the character: a single-line scalar, after its opening quote. */
	if (c->diag && v && !strchr(v->text, '\n') && le->offset <= v->len)
		c->diag->col += (int)le->offset + (v->plain ? 0 : 1);
	return r;
}

int fl_exp_selector(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool field,
		    char **ret)
{
	struct fl_labelsel_error le = { 0 };
	struct fl_labelsel sel = { 0 };
	int r;

	if ((r = fl_exp_str(c, map, key, FL_LABELSEL_MAX_LEN, false, ret)) < 0 || !*ret)
		return r;
	if (field) {
		r = fl_fieldsel_check(*ret, &le);
	} else {
		r = fl_labelsel_parse(*ret, &sel, &le);
		fl_labelsel_clear(&sel);
	}
	return r == -EINVAL ? selector_error(c, fl_ynode_get(map, key), key, &le) : r;
}

static int parse_kube_selectors(struct exp_ctx *c, const struct fl_ynode *n,
				struct fl_target_sel *t)
{
	int r;

	if ((r = fl_exp_selector(c, n, "selector", false, &t->kube_labels)) < 0)
		return r;
	return fl_exp_selector(c, n, "fieldSelector", true, &t->kube_fields);
}

int fl_exp_parse_kube_pods(struct exp_ctx *c, const struct fl_ynode *n, struct fl_target_sel *t)
{
	char q[EX_QUOTE];
	int r;

	t->kind = FL_SELECT_KUBE;
	if ((r = fl_exp_str(c, n, "namespace", 253, true, &t->pod_namespace)) < 0)
		return r;
	if (!dns_label(t->pod_namespace, POD_NS_MAX))
		return fl_exp_err_key(
			c, fl_ynode_get(n, "namespace"), "namespace",
			"%s is not a namespace (DNS-1123 label: lower-case letters, digits "
			"and '-', at most 63)",
			fl_exp_quote(fl_ynode_get(n, "namespace"), q, sizeof(q)));
	if ((r = fl_exp_str(c, n, "names", 1024, false, &t->pod_name)) < 0)
		return r;
	if (t->pod_name && !pod_glob(t->pod_name))
		return fl_exp_err_key(c, fl_ynode_get(n, "names"), "names",
				      "%s is not a pod name or glob (lower-case letters, digits, "
				      "'-', '.', and * ? [ ] !)",
				      fl_exp_quote(fl_ynode_get(n, "names"), q, sizeof(q)));
	return parse_kube_selectors(c, n, t);
}

/* kafkaLeader: {topic, partition, bootstrap}: the pod of the partition's leader. */
static int parse_kafka_leader(struct exp_ctx *c, const struct fl_ynode *pods,
			      const struct fl_experiment *e, struct fl_target_sel *t)
{
	static const char *const allowed[] = { "topic", "partition", "bootstrap", NULL };
	const struct fl_ynode *n = fl_ynode_get(pods, "kafkaLeader"), *p;
	size_t old;
	int64_t part = 0;
	char q[EX_QUOTE];
	int r;

	if (!n)
		return 0;
	old = fl_exp_push_key(c, "kafkaLeader");
	if ((r = fl_exp_map(c, n, allowed)) < 0 ||
	    (r = fl_exp_str(c, n, "topic", 249, true, &t->leader_topic)) < 0 ||
	    (r = fl_exp_str(c, n, "bootstrap", 1024, false, &t->leader_bootstrap)) < 0)
		goto out;
	if ((p = fl_ynode_get(n, "partition")) &&
	    (fl_ynode_type(p) != FL_YTYPE_INT || fl_ynode_int(p, &part) < 0 || part < 0 ||
	     part > 1000000)) {
		r = fl_exp_err_key(c, p, "partition", "%s is not a partition number (0..1000000)",
				   fl_exp_quote(p, q, sizeof(q)));
		goto out;
	}
	t->leader_partition = (int)part;
	if (t->leader_bootstrap)
		r = fl_exp_bootstrap(c, fl_ynode_get(n, "bootstrap"), t->leader_bootstrap);
	else if (!e->kafka_bootstrap)
		r = fl_exp_err(c, n,
			       "needs Kafka's address: set bootstrap here or "
			       "spec.kafka.bootstrap");
	else
		r = fl_exp_strdup(e->kafka_bootstrap, &t->leader_bootstrap);
out:
	fl_exp_pop(c, old);
	return r;
}

/* pods: {namespace, selector, fieldSelector, names, kafkaLeader} — through the Kubernetes
 * API. */
static int parse_kube_pods(struct exp_ctx *c, const struct fl_ynode *sel,
			   const struct fl_experiment *e, struct fl_target_sel *t)
{
	static const char *const allowed[] = { "namespace", "selector",	   "fieldSelector",
					       "names",	    "kafkaLeader", NULL };
	const struct fl_ynode *n = fl_ynode_get(sel, "pods");
	size_t old = fl_exp_push_key(c, "pods");
	int r;

	if ((r = fl_exp_map(c, n, allowed)) == 0 && (r = fl_exp_parse_kube_pods(c, n, t)) == 0)
		r = parse_kafka_leader(c, n, e, t);
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

static int parse_netns(struct exp_ctx *c, const struct fl_ynode *sel, const struct fl_experiment *e,
		       struct fl_target_sel *t)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	(void)e;
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

static int parse_pid(struct exp_ctx *c, const struct fl_ynode *sel, const struct fl_experiment *e,
		     struct fl_target_sel *t)
{
	const struct fl_ynode *v = fl_ynode_get(sel, "pid");
	int64_t pid = 0;
	size_t old = fl_exp_push_key(c, "pid");
	char q[EX_QUOTE];
	int r;

	(void)e;
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
	int (*parse)(struct exp_ctx *c, const struct fl_ynode *sel, const struct fl_experiment *e,
		     struct fl_target_sel *t);
} target_ways[] = {
	{ "pod", FL_SELECT_POD, parse_pod },
	{ "pods", FL_SELECT_KUBE, parse_kube_pods },
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
		return fl_exp_err(c, n, "exactly one of pod, pods, netns, pid (got %s)",
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
		/* (a pods target got here only with agents found per node: check_kube_extras) */
		if (t->kind != FL_SELECT_POD && t->kind != FL_SELECT_KUBE)
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

/* A `pods` target's agent is the one on each pod's node (spec.agents.kubernetes), never a
 * named one; without agents found per node, a container or an interface means nothing to
 * it (only pod-delete acts on it, through the API). */
static int check_kube_extras(struct exp_ctx *c, const struct fl_ynode *n,
			     const struct fl_experiment *e, const struct fl_target_sel *t)
{
	static const char *const agent_only[] = { "container", "interface" };

	if (t->kind != FL_SELECT_KUBE)
		return 0;
	if (fl_ynode_get(n, "agent"))
		return fl_exp_err_key(c, fl_exp_key_node(n, "agent"), "agent",
				      "not allowed with pods (a pod found through the Kubernetes "
				      "API is reached through the agent on its node: "
				      "spec.agents.kubernetes)");
	for (unsigned i = 0; i < FL_ARRAY_SIZE(agent_only) && !e->kube_agents; i++)
		if (fl_ynode_get(n, agent_only[i]))
			return fl_exp_err_key(
				c, fl_exp_key_node(n, agent_only[i]), agent_only[i],
				"not allowed with pods unless spec.agents.kubernetes "
				"finds the agents (only pod-delete acts on pods without "
				"an agent)");
	return 0;
}

static int parse_target(struct exp_ctx *c, const struct fl_ynode *key, const struct fl_ynode *n,
			const struct fl_experiment *e, struct fl_target_sel *t)
{
	static const char *const allowed[] = { "agent",	    "pod",	 "pods", "netns", "pid",
					       "container", "interface", "mode", NULL };
	unsigned which = 0;
	int r;

	if ((r = fl_exp_map(c, n, allowed)) < 0)
		return r;
	t->pos = fl_exp_pos(c, key);
	if ((r = check_target_agent(c, n, e, t)) < 0 || (r = pick_target_way(c, n, &which)) < 0)
		return r;
	t->kind = target_ways[which].kind;
	if ((r = target_ways[which].parse(c, n, e, t)) < 0 ||
	    (r = check_kube_extras(c, n, e, t)) < 0 || (r = parse_target_extras(c, n, t)) < 0)
		return r;
	return parse_mode(c, n, t);
}

int fl_exp_parse_targets(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e)
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
