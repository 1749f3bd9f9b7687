/* SPDX-License-Identifier: MIT */
/* The pod probe (pod_probe.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pod_probe.h"
#include "targets.h"

struct pod_probe {
	struct fl_probe base;
	struct fl_agents *agents;	 /* borrowed */
	const struct fl_target_sel *sel; /* borrowed from the experiment */
	bool tcp;			 /* a tolerance asks for a tcp.* metric: list with ?tcp=1 */
};

struct pod_counts {
	unsigned pods, running, tcp_pods;
	double restarts, retransmits, segments;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Count one pod's containers (only `container` when given). -EPROTO: no containers field. */
static int count_pod(const json_t *pod, const char *container, struct pod_counts *c)
{
	const json_t *list = json_object_get(pod, "containers"), *ct;
	size_t i;

	if (!json_is_array(list))
		return -EPROTO;
	c->pods++;
	json_array_foreach(list, i, ct)
	{
		const char *name = json_string_value(json_object_get(ct, "name"));
		const char *state = json_string_value(json_object_get(ct, "state"));
		const json_t *rc = json_object_get(ct, "restartCount");

		if (container && (!name || strcmp(name, container) != 0))
			continue;
		if (json_is_integer(rc) && json_integer_value(rc) > 0)
			c->restarts += (double)json_integer_value(rc);
		if (state && strcmp(state, "running") == 0)
			c->running++;
	}
	return 0;
}

/*
 * Add one pod's TCP counters. Its containers share the sandbox's network namespace, so a pod
 * counts once. A pod that is not ready has no namespace left (and the agent no counters).
 */
static int count_tcp(struct pod_probe *pp, unsigned ai, const json_t *pod, struct pod_counts *c,
		     struct fl_sample *s)
{
	const char *state = json_string_value(json_object_get(pod, "state"));
	const char *ns = json_string_value(json_object_get(pod, "namespace"));
	const char *name = json_string_value(json_object_get(pod, "name"));
	const char *err = json_string_value(json_object_get(pod, "tcpError"));
	const json_t *tcp = json_object_get(pod, "tcp");
	const json_t *rs = json_object_get(tcp, "retransSegs"),
		     *os = json_object_get(tcp, "outSegs");

	if (!state || strcmp(state, "ready") != 0)
		return 0;
	if (err)
		return fl_sample_fail(
			s, -EIO, "agent %s: pod %s/%s: its TCP counters cannot be read: %s",
			fl_agents_name(pp->agents, ai), ns ? ns : "?", name ? name : "?", err);
	if (!json_is_integer(rs) || !json_is_integer(os))
		return fl_sample_fail(s, -EPROTO,
				      "agent %s lists pod %s/%s without its TCP counters (an agent "
				      "older than this controller?)",
				      fl_agents_name(pp->agents, ai), ns ? ns : "?",
				      name ? name : "?");
	c->retransmits += (double)json_integer_value(rs);
	c->segments += (double)json_integer_value(os);
	c->tcp_pods++;
	return 0;
}

static int count_agent(struct pod_probe *pp, unsigned ai, struct pod_counts *c, struct fl_sample *s)
{
	const char *container = pp->base.spec->container;
	struct fl_diag diag = { 0 };
	json_t *resp = NULL, *pod;
	size_t i;
	int status;

	/* The counters cost the agent a namespace entry per pod: only when they are needed. */
	status = fl_agents_call(pp->agents, ai, "GET", pp->tcp ? "/v1/pods?tcp=1" : "/v1/pods",
				NULL, &resp, &diag);
	if (status != 200) {
		json_decref(resp);
		return fl_sample_fail(s, status < 0 ? status : -EIO, "%s", diag.msg);
	}
	json_array_foreach(json_object_get(resp, "pods"), i, pod)
	{
		if (!fl_targets_pod_matches(pp->sel, pod))
			continue;
		if (count_pod(pod, container, c) < 0) {
			/* The agent says why when its runtime could not list them. */
			const char *why =
				json_string_value(json_object_get(resp, "containersError"));
			fl_sample_fail(s, -EPROTO,
				       "agent %s lists pods without their containers: %s",
				       fl_agents_name(pp->agents, ai),
				       why ? why : "an agent older than this controller?");
			json_decref(resp);
			return -EPROTO;
		}
		if (pp->tcp && count_tcp(pp, ai, pod, c, s) < 0) {
			json_decref(resp);
			return s->err;
		}
	}
	json_decref(resp);
	return 0;
}

static int pod_sample(struct fl_probe *probe, struct fl_sample *s)
{
	struct pod_probe *pp = (struct pod_probe *)probe;
	unsigned first = 0, last = fl_agents_count(pp->agents);
	struct pod_counts c = { 0 };
	int r;

	memset(s, 0, sizeof(*s));
	if (pp->sel->agent) {
		if ((r = fl_agents_find(pp->agents, pp->sel->agent)) < 0)
			return fl_sample_fail(s, -ENOENT, "target %s: no agent \"%s\"",
					      pp->sel->name, pp->sel->agent);
		first = (unsigned)r;
		last = first + 1;
	}
	for (unsigned ai = first; ai < last; ai++)
		if ((r = count_agent(pp, ai, &c, s)) < 0)
			break;
	s->t_ms = now_ms();
	if (s->err)
		return s->err;
	if (c.pods == 0)
		return fl_sample_fail(s, -ENODATA, "target %s: no pod matches its selector now",
				      pp->sel->name);
	if (pp->tcp && c.tcp_pods == 0)
		return fl_sample_fail(
			s, -ENODATA,
			"target %s: no ready pod matches its selector now (TCP counters "
			"are a ready pod's)",
			pp->sel->name);
	/* First when asked for: a progress line shows a sample's first three metrics. */
	if (pp->tcp) {
		(void)fl_sample_set(s, "tcp.retransmits", c.retransmits);
		(void)fl_sample_set(s, "tcp.segments", c.segments);
	}
	(void)fl_sample_set(s, "restarts", c.restarts);
	(void)fl_sample_set(s, "pods", c.pods);
	(void)fl_sample_set(s, "running", c.running);
	return 0;
}

/* Whether a tolerance of spec asks for a tcp.* metric. */
static bool wants_tcp(const struct fl_probe_spec *spec)
{
	for (unsigned i = 0; i < spec->n_tolerances; i++)
		if (spec->tolerances[i].metric &&
		    strncmp(spec->tolerances[i].metric, "tcp.", 4) == 0)
			return true;
	return false;
}

static void pod_free(struct fl_probe *probe)
{
	free(probe);
}

static const struct fl_probe_ops pod_ops = { .sample = pod_sample, .free = pod_free };

int fl_pod_probe_new(struct fl_agents *agents, const struct fl_experiment *exp,
		     const struct fl_probe_spec *spec, struct fl_probe **ret, struct fl_diag *diag)
{
	const char *pname = spec->name ? spec->name : "?";
	const struct fl_target_sel *sel = NULL;
	struct pod_probe *pp;

	if (spec->type != FL_PROBE_POD || !spec->target)
		return fl_diag_set(diag, -EINVAL, "probe %s: not a pod probe with a target", pname);
	if (!agents || !exp)
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: a pod probe needs the run's agents "
				   "(fl_probe_ctx_set_agents)",
				   pname);
	for (unsigned i = 0; i < exp->n_targets; i++)
		if (strcmp(exp->targets[i].name, spec->target) == 0)
			sel = &exp->targets[i];
	if (!sel || sel->kind != FL_SELECT_POD)
		return fl_diag_set(diag, -EINVAL, "probe %s: target %s is not a pod selector",
				   pname, spec->target);
	if (!(pp = calloc(1, sizeof(*pp))))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	pp->base.ops = &pod_ops;
	pp->base.spec = spec;
	pp->agents = agents;
	pp->sel = sel;
	pp->tcp = wants_tcp(spec);
	*ret = &pp->base;
	return 0;
}
