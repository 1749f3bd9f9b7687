/* SPDX-License-Identifier: MIT */
/*
 * From an experiment file to the inject body the agent gets (fault_body.c), through the
 * parser and target resolution: where the interface comes from, and the no-sch_netem
 * fallback. No agent is contacted (netns targets resolve without one).
 */
#include <string.h>

#include "agents.h"
#include "fault_body.h"
#include "fltest.h"
#include "targets.h"

struct built {
	struct fl_suite *suite;
	struct fl_agents *agents;
	struct fl_target_set set;
	json_t *body;
	char note[256];
};

static void built_free(void *arg)
{
	struct built *b = arg;

	json_decref(b->body);
	fl_target_set_clear(&b->set);
	fl_agents_free(b->agents);
	fl_suite_free(b->suite);
}

/* The body of the experiment's first method step for its first target. caps: JSON text. */
static json_t *body_of(const char *target, const char *fault, const char *caps_text)
{
	static struct built b;
	struct fl_diag diag = { 0 };
	const struct fl_experiment *x;
	char text[1024];
	json_t *caps = caps_text ? json_loads(caps_text, 0, NULL) : NULL;
	int n;

	memset(&b, 0, sizeof(b));
	fltest_defer(built_free, &b);
	n = snprintf(text, sizeof(text),
		     "apiVersion: faultline/v1\nkind: Experiment\nmetadata: {name: x}\nspec:\n"
		     "  agents: [{name: a, address: \"unix:/nonexistent.sock\"}]\n"
		     "  targets: {t: %s}\n  method:\n    - fault: %s\n",
		     target, fault);
	FL_ASSERT(n > 0 && (size_t)n < sizeof(text));
	if (fl_suite_parse_buffer("x.yaml", text, (size_t)n, &b.suite, &diag) < 0)
		FL_FAIL("parse: %d:%d: %s", diag.line, diag.col, diag.msg);
	x = &b.suite->experiments[0];
	if (fl_agents_new(x, &b.agents, &diag) < 0 ||
	    fl_targets_resolve(b.agents, &x->targets[0], 1, &b.set, &diag) < 0 ||
	    fl_fault_body(&x->method[0].fault, &b.set.t[0], caps, "faultline/test", &b.body, b.note,
			  sizeof(b.note), &diag) < 0)
		FL_FAIL("%s", diag.msg);
	json_decref(caps);
	return b.body;
}

static const char *field(json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

#define NETNS_VT "{netns: /run/netns/x, interface: vt}"

FLTEST(a_network_fault_takes_the_targets_interface)
{
	json_t *b = body_of(NETNS_VT,
			    "{target: t, kind: network, duration: 5s, netem: \"delay 1ms\"}", NULL);

	FL_ASSERT_STREQ(field(b, "kind"), "network");
	FL_ASSERT_STREQ(field(b, "interface"), "vt");
}

FLTEST(a_bandwidth_fault_takes_the_targets_interface)
{
	json_t *b = body_of(NETNS_VT,
			    "{target: t, kind: bandwidth, duration: 5s, bandwidth: {rate: 1mbit}}",
			    NULL);

	FL_ASSERT_STREQ(field(b, "interface"), "vt");
}

FLTEST(the_faults_own_interface_wins)
{
	json_t *b = body_of(NETNS_VT,
			    "{target: t, kind: network, duration: 5s, netem: \"delay 1ms\", "
			    "interface: eth1}",
			    NULL);

	FL_ASSERT_STREQ(field(b, "interface"), "eth1");
}

FLTEST(without_an_interface_the_agent_default_applies)
{
	json_t *b = body_of("{netns: /run/netns/x}",
			    "{target: t, kind: network, duration: 5s, netem: \"delay 1ms\"}", NULL);

	FL_ASSERT(!json_object_get(b, "interface"));
}

FLTEST(kinds_without_an_interface_get_none)
{
	/* nftables acts on the whole namespace: the agent refuses `interface` there. */
	json_t *b = body_of(NETNS_VT, "{target: t, kind: partition, duration: 5s}", NULL);

	FL_ASSERT_STREQ(field(b, "kind"), "partition");
	FL_ASSERT(!json_object_get(b, "interface"));
}

FLTEST(the_delay_line_fallback_drops_the_interface)
{
	json_t *b = body_of(NETNS_VT,
			    "{target: t, kind: network, duration: 5s, netem: \"delay 100ms 10ms\"}",
			    "{\"kinds\": {\"network\": \"unavailable: no sch_netem\", "
			    "\"delay\": \"nfqueue delay line\"}}");

	FL_ASSERT_STREQ(field(b, "kind"), "delay");
	FL_ASSERT(!json_object_get(b, "interface"));
	FL_ASSERT(!json_object_get(b, "netem"));
	FL_ASSERT_STREQ(field(json_object_get(b, "delay"), "delay"), "100ms");
}
