/* SPDX-License-Identifier: MIT */
/*
 * The fields of each probe type (exp_probe.c checks which keys a type takes; this file reads
 * and checks their values): Kafka topics, group and bootstrap, http and prometheus urls,
 * hook metrics, pod targets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exp_internal.h"

#define TOPIC_MAX    249 /* Kafka's limit */
#define GROUP_MAX    255
#define URL_MAX	     2048
#define QUERY_MAX    4096
#define JSON_PTR_MAX 512

static int parse_topic(struct exp_ctx *c, const struct fl_ynode *n, struct fl_probe_spec *p)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	if ((r = fl_exp_str(c, n, "topic", TOPIC_MAX, false, &p->topic)) < 0)
		return r;
	if (p->topic) {
		for (const char *s = p->topic; *s; s++)
			if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
				return fl_exp_err_key(
					c, fl_ynode_get(n, "topic"), "topic",
					"%s is not a Kafka topic name (letters, digits, "
					"'.', '_' and '-')",
					fl_exp_quote(fl_ynode_get(n, "topic"), q, sizeof(q)));
	}
	if ((v = fl_ynode_get(n, "topicRegex"))) {
		size_t old;

		if (p->topic)
			return fl_exp_err_key(c, v, "topicRegex",
					      "not allowed with topic (one topic, or a regex over "
					      "topic names)");
		if ((r = fl_exp_str(c, n, "topicRegex", 1024, false, &p->topic_regex)) < 0)
			return r;
		old = fl_exp_push_key(c, "topicRegex");
		r = fl_exp_regex(c, v, p->topic_regex);
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	return 0;
}

/* pod: a target of the experiment that selects pods; optionally one container of each. */
static int parse_pod_fields(struct exp_ctx *c, const struct fl_ynode *n,
			    const struct fl_experiment *e, struct fl_probe_spec *p)
{
	const struct fl_ynode *v;
	const struct fl_target_sel *sel = NULL;
	int r;

	if ((r = fl_exp_name(c, n, "target", true, &p->target)) < 0)
		return r;
	v = fl_ynode_get(n, "target");
	for (unsigned i = 0; i < e->n_targets; i++)
		if (strcmp(e->targets[i].name, p->target) == 0)
			sel = &e->targets[i];
	if (!sel)
		return fl_exp_err_key(c, v, "target", "\"%s\" is not defined in spec.targets",
				      p->target);
	if (sel->kind != FL_SELECT_POD)
		return fl_exp_err_key(
			c, v, "target",
			"\"%s\" selects %s, not pods the agents list (a pod probe counts "
			"containers through the agents' pod listing; for pods through the "
			"Kubernetes API use kubernetes.podsReady or kubernetes.restarts)",
			p->target,
			sel->kind == FL_SELECT_NETNS ? "a network namespace"
			: sel->kind == FL_SELECT_PID ? "a process"
						     : "pods through the Kubernetes API");
	if ((r = fl_exp_str(c, n, "container", FL_EXP_NAME_MAX, false, &p->container)) < 0)
		return r;
	if (p->container && !p->container[0])
		return fl_exp_err_key(c, fl_ynode_get(n, "container"), "container", "empty");
	return 0;
}

/* kafka.throughput, kafka.partitions and kafka.e2e: which topics. */
static int parse_topic_fields(struct exp_ctx *c, const struct fl_ynode *n,
			      const struct fl_experiment *e, struct fl_probe_spec *p)
{
	int r;

	(void)e;
	if ((r = parse_topic(c, n, p)) < 0)
		return r;
	if (p->type == FL_PROBE_KAFKA_THROUGHPUT && !p->topic && !p->topic_regex)
		return fl_exp_err(c, n, "kafka.throughput needs topic or topicRegex");
	if (p->type == FL_PROBE_KAFKA_E2E && !p->topic)
		return fl_exp_err_key(c, n, "topic", "required for kafka.e2e");
	return 0;
}

static int parse_lag_fields(struct exp_ctx *c, const struct fl_ynode *n,
			    const struct fl_experiment *e, struct fl_probe_spec *p)
{
	int r;

	(void)e;
	if ((r = fl_exp_str(c, n, "group", GROUP_MAX, true, &p->group)) < 0)
		return r;
	if (!p->group[0])
		return fl_exp_err_key(c, fl_ynode_get(n, "group"), "group", "empty");
	return 0;
}

/* url: required, http:// or https:// with a host (into *ret). */
static int parse_probe_url(struct exp_ctx *c, const struct fl_ynode *n, char **ret)
{
	char q[EX_QUOTE];
	int r;

	if ((r = fl_exp_str(c, n, "url", URL_MAX, true, ret)) < 0)
		return r;
	if (fl_exp_url(c, fl_ynode_get(n, "url"), *ret) < 0)
		return fl_exp_err_key(c, fl_ynode_get(n, "url"), "url",
				      "%s is not an http:// "
				      "or https:// URL with a host",
				      fl_exp_quote(fl_ynode_get(n, "url"), q, sizeof(q)));
	return 0;
}

static int parse_http_fields(struct exp_ctx *c, const struct fl_ynode *n,
			     const struct fl_experiment *e, struct fl_probe_spec *p)
{
	char q[EX_QUOTE];
	int r;

	(void)e;
	if ((r = parse_probe_url(c, n, &p->url)) < 0)
		return r;
	if ((r = fl_exp_str(c, n, "method", 8, false, &p->method)) < 0)
		return r;
	if (p->method && strcmp(p->method, "GET") != 0 && strcmp(p->method, "HEAD") != 0 &&
	    strcmp(p->method, "POST") != 0)
		return fl_exp_err_key(c, fl_ynode_get(n, "method"), "method",
				      "%s is not one of GET, HEAD, POST",
				      fl_exp_quote(fl_ynode_get(n, "method"), q, sizeof(q)));
	if (!p->method && !(p->method = strdup("GET")))
		return -ENOMEM;
	if ((r = fl_exp_str(c, n, "json", JSON_PTR_MAX, false, &p->json_field)) < 0)
		return r;
	if (p->json_field && p->json_field[0] && p->json_field[0] != '/')
		return fl_exp_err_key(c, fl_ynode_get(n, "json"), "json",
				      "%s is not a JSON pointer (expected \"\" or \"/a/b\")",
				      fl_exp_quote(fl_ynode_get(n, "json"), q, sizeof(q)));
	return 0;
}

static int parse_prometheus_fields(struct exp_ctx *c, const struct fl_ynode *n,
				   const struct fl_experiment *e, struct fl_probe_spec *p)
{
	int r;

	(void)e;
	if ((r = parse_probe_url(c, n, &p->prometheus_url)) < 0)
		return r;
	if ((r = fl_exp_str(c, n, "query", QUERY_MAX, true, &p->query)) < 0)
		return r;
	if (!p->query[0])
		return fl_exp_err_key(c, fl_ynode_get(n, "query"), "query", "empty");
	return 0;
}

/* hook: a hook of spec.hooks and one of its module's metrics. */
static int parse_hook_fields(struct exp_ctx *c, const struct fl_ynode *n,
			     const struct fl_experiment *e, struct fl_probe_spec *p)
{
	const struct fl_hook_module *m;
	const struct fl_ynode *v;
	char q[EX_QUOTE], list[256];
	int r;

	if ((r = fl_exp_name(c, n, "hook", true, &p->hook)) < 0)
		return r;
	if (!(m = fl_exp_hook_module(e, p->hook)))
		return fl_exp_err_key(c, fl_ynode_get(n, "hook"), "hook",
				      "\"%s\" is not defined in spec.hooks", p->hook);
	if ((r = fl_exp_str(c, n, "metric", 47, true, &p->hook_metric)) < 0)
		return r;
	v = fl_ynode_get(n, "metric");
	for (const char *s = p->hook_metric; *s; s++)
		if (*s == ' ')
			return fl_exp_err_key(c, v, "metric", "%s: no spaces in a metric name",
					      fl_exp_quote(v, q, sizeof(q)));
	if (!p->hook_metric[0])
		return fl_exp_err_key(c, v, "metric", "empty");
	if (!fl_hook_listed(m->metrics, p->hook_metric))
		return fl_exp_err_key(c, v, "metric", "module %s: unknown metric %s (metrics: %s)",
				      m->name, fl_exp_quote(v, q, sizeof(q)),
				      fl_hook_list(m->metrics, list, sizeof(list)));
	return 0;
}

/* kubernetes.*: the pods, as a `pods` target selects them (the probe counts every match). */
static int parse_kube_fields(struct exp_ctx *c, const struct fl_ynode *n,
			     const struct fl_experiment *e, struct fl_probe_spec *p)
{
	(void)e;
	if (!(p->kube = calloc(1, sizeof(*p->kube))) || !(p->kube->name = strdup(p->name)))
		return -ENOMEM;
	p->kube->mode = FL_TARGET_ALL;
	return fl_exp_parse_kube_pods(c, n, p->kube);
}

/* The Kafka probes: bootstrap here (checked) or spec.kafka.bootstrap. */
static int parse_kafka_bootstrap(struct exp_ctx *c, const struct fl_ynode *n,
				 const struct fl_experiment *e, struct fl_probe_spec *p)
{
	const struct fl_ynode *v;
	int r;

	if ((v = fl_ynode_get(n, "bootstrap"))) {
		size_t old;

		if ((r = fl_exp_str(c, n, "bootstrap", 1024, false, &p->bootstrap)) < 0)
			return r;
		old = fl_exp_push_key(c, "bootstrap");
		r = fl_exp_bootstrap(c, v, p->bootstrap);
		fl_exp_pop(c, old);
		if (r < 0)
			return r;
	}
	if (!p->bootstrap && !e->kafka_bootstrap)
		return fl_exp_err(
			c, n,
			"%s needs Kafka's address: set bootstrap here or spec.kafka.bootstrap",
			fl_probe_type_name(p->type));
	return 0;
}

/* The fields of each probe type, indexed by enum fl_probe_type. */
static int (*const type_parsers[])(struct exp_ctx *c, const struct fl_ynode *n,
				   const struct fl_experiment *e, struct fl_probe_spec *p) = {
	[FL_PROBE_KAFKA_THROUGHPUT] = parse_topic_fields,
	[FL_PROBE_KAFKA_LAG] = parse_lag_fields,
	[FL_PROBE_KAFKA_PARTITIONS] = parse_topic_fields,
	[FL_PROBE_KAFKA_E2E] = parse_topic_fields,
	[FL_PROBE_HTTP] = parse_http_fields,
	[FL_PROBE_PROMETHEUS] = parse_prometheus_fields,
	[FL_PROBE_HOOK] = parse_hook_fields,
	[FL_PROBE_POD] = parse_pod_fields,
	[FL_PROBE_KUBE_READY] = parse_kube_fields,
	[FL_PROBE_KUBE_RESTARTS] = parse_kube_fields,
};

int fl_exp_parse_probe_fields(struct exp_ctx *c, const struct fl_ynode *n,
			      const struct fl_experiment *e, struct fl_probe_spec *p)
{
	int r;

	if ((unsigned)p->type < FL_ARRAY_SIZE(type_parsers) && type_parsers[p->type] &&
	    (r = type_parsers[p->type](c, n, e, p)) < 0)
		return r;
	if (p->type <= FL_PROBE_KAFKA_E2E)
		return parse_kafka_bootstrap(c, n, e, p);
	return 0;
}
