/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the experiment parser (controller/experiment/experiment.c, exp_*.c,
 * yaml_tree.c) on arbitrary bytes. The input is copied into a buffer of exactly its size
 * (no NUL after it), so reading past len is caught by ASan. Whatever parses must be a
 * whole suite whose faults the agent accepts (agent/src/apireq.c); whatever fails must say
 * why, with a position inside the input.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apireq.h"
#include "experiment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_fault(const struct fl_experiment *e, const struct fl_fault_spec *f)
{
	const struct fl_target_sel *t = NULL;
	struct fl_fault_req q;
	struct fl_diag diag = { 0 };
	json_t *body, *target;
	char buf[320], *text;

	for (unsigned i = 0; i < e->n_targets; i++)
		if (strcmp(e->targets[i].name, f->target) == 0)
			t = &e->targets[i];
	if (!t || !f->name || !f->kind || !json_is_object(f->params))
		abort();
	/* pod-delete goes to the Kubernetes API, never to an agent; only on a pods target,
	 * whose other faults go to the agent of the pod's node, as a pod. */
	if (strcmp(f->kind, "pod-delete") == 0) {
		if (t->kind != FL_SELECT_KUBE)
			abort();
		return;
	}
	if (t->kind == FL_SELECT_KUBE && !e->kube_agents)
		abort();
	body = json_deep_copy(f->params);
	target = json_object();
	if (!body || !target)
		abort();
	if (t->kind == FL_SELECT_POD || t->kind == FL_SELECT_KUBE) {
		(void)snprintf(buf, sizeof(buf), "%s/x-0", t->pod_namespace);
		json_object_set_new(target, "pod", json_string(buf));
	} else if (t->kind == FL_SELECT_NETNS) {
		json_object_set_new(target, "netns", json_string(t->netns));
	} else {
		json_object_set_new(target, "pid", json_integer(t->pid));
	}
	json_object_set_new(body, "target", target);
	json_object_set_new(body, "kind", json_string(f->kind));
	if (f->duration_ns) {
		if (f->lease_ns == 0 || f->lease_ns > f->duration_ns)
			abort();
		(void)snprintf(buf, sizeof(buf), "%" PRIu64 "ns", f->duration_ns);
		json_object_set_new(body, "duration", json_string(buf));
		(void)snprintf(buf, sizeof(buf), "%" PRIu64 "ns", f->lease_ns);
		json_object_set_new(body, "lease", json_string(buf));
	}
	text = json_dumps(body, 0);
	if (!text)
		abort();
	/* What the parser accepts, the agent must accept (24 h is the parser's maximum). */
	if (fl_api_parse_fault(text, strlen(text), 24ull * 3600 * 1000000000ull, &q, &diag) < 0) {
		fprintf(stderr, "agent refuses %s: %s\n", text, diag.msg);
		abort();
	}
	free(text);
	json_decref(body);
}

static void check_suite(const struct fl_suite *s)
{
	if (!s->name || s->n_experiments == 0 || s->n_experiments > FL_EXP_MAX_EXPERIMENTS)
		abort();
	for (unsigned x = 0; x < s->n_experiments; x++) {
		const struct fl_experiment *e = &s->experiments[x];

		if (!e->name || strlen(e->name) > FL_EXP_NAME_MAX || e->n_method == 0 ||
		    e->abort_interval_ns == 0)
			abort();
		for (unsigned i = 0; i < e->n_method; i++)
			if (e->method[i].kind == FL_STEP_FAULT)
				check_fault(e, &e->method[i].fault);
		for (unsigned i = 0; i < e->n_abort; i++)
			if (e->abort_probes[i].debounce_k < 1 ||
			    e->abort_probes[i].debounce_k > e->abort_probes[i].debounce_n ||
			    e->abort_probes[i].n_tolerances == 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	char *copy;
	int r;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	r = fl_suite_parse_buffer("fuzz.yaml", copy, size, &suite, &diag);
	if (r == 0) {
		check_suite(suite);
		fl_suite_free(suite);
	} else if (suite || !diag.msg[0] || !memchr(diag.msg, '\0', sizeof(diag.msg)) ||
		   diag.line < 0 || diag.col < 0 || (r != -EINVAL && r != -ENOMEM && r < -200)) {
		abort();
	}
	free(copy);
	return 0;
}
