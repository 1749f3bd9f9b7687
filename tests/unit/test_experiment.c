/* SPDX-License-Identifier: MIT */
/*
 * The experiment parser (controller/experiment/experiment.c and exp_*.c), data-driven:
 *   tests/data/experiments/valid/<case>/input.yaml     parses
 *   tests/data/experiments/invalid/<case>/input.yaml   fails; <case>/expected holds the exact
 *                                                      diagnostic "FILE:LINE:COL: MESSAGE"
 *                                                      (FILE as its basename)
 * plus what some valid files become (values, suite defaults merged), that every fault the
 * parser accepts is one the agent accepts too (agent/src/apireq.c), and the file limits.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apireq.h"
#include "experiment.h"
#include "yaml_tree.h"
#include "fltest.h"

#define DATA  "tests/data/experiments"
#define S(n)  ((uint64_t)(n)*1000000000ull)
#define MS(n) ((uint64_t)(n)*1000000ull)

/* Calls fn(case directory) for every case of a kind; returns how many. */
static unsigned for_each_case(const char *kind, void (*fn)(const char *dir))
{
	char path[512];
	struct dirent **names;
	int n;

	(void)snprintf(path, sizeof(path), "%s/%s", DATA, kind);
	n = scandir(path, &names, NULL, alphasort);
	FL_ASSERT_MSG(n >= 0, "cannot list %s (run from the repository root)", path);
	unsigned count = 0;
	for (int i = 0; i < n; i++) {
		char dir[1024];

		if (names[i]->d_name[0] != '.') {
			(void)snprintf(dir, sizeof(dir), "%s/%s", path, names[i]->d_name);
			fn(dir);
			count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

static struct fl_suite *parse_ok(const char *path)
{
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	int r = fl_suite_parse_file(path, &suite, &diag);

	FL_ASSERT_MSG(r == 0, "%s:%d:%d: %s (%d)", diag.file ? diag.file : path, diag.line,
		      diag.col, diag.msg, r);
	FL_ASSERT(suite && suite->n_experiments >= 1 && suite->name);
	return suite;
}

static void valid_case(const char *dir)
{
	char path[1100];

	(void)snprintf(path, sizeof(path), "%s/input.yaml", dir);
	fl_suite_free(parse_ok(path));
}

FLTEST(valid_fixtures_parse)
{
	unsigned n = for_each_case("valid", valid_case);

	fltest_log("%u valid fixtures", n);
	FL_ASSERT(n >= 8);
}

static void invalid_case(const char *dir)
{
	char path[1100], got[FL_DIAG_MSG_MAX + 1200], file[1100];
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	char *want;
	size_t len;
	int r;

	(void)snprintf(path, sizeof(path), "%s/expected", dir);
	want = fltest_read_file(path, &len);
	FL_ASSERT_MSG(want, "%s: missing", path);
	while (len && (want[len - 1] == '\n' || want[len - 1] == '\r'))
		want[--len] = '\0';
	(void)snprintf(path, sizeof(path), "%s/input.yaml", dir);
	r = fl_suite_parse_file(path, &suite, &diag);
	FL_ASSERT_MSG(r < 0, "%s parsed, expected: %s", path, want);
	FL_ASSERT(suite == NULL);
	FL_ASSERT(diag.file != NULL);
	(void)snprintf(file, sizeof(file), "%s", diag.file);
	(void)snprintf(got, sizeof(got), "%s:%d:%d: %s", basename(file), diag.line, diag.col,
		       diag.msg);
	FL_ASSERT_MSG(strcmp(got, want) == 0, "%s:\n     got: %s\n    want: %s", dir, got, want);
	free(want);
}

FLTEST(invalid_fixtures_fail_with_their_diagnostic)
{
	unsigned n = for_each_case("invalid", invalid_case);

	fltest_log("%u invalid fixtures", n);
	FL_ASSERT(n >= 35);
}

/* ---- what the files become ---------------------------------------------------------- */

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = json_loads(want_text, 0, NULL);
	char *dump = got ? json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT) : NULL;

	FL_ASSERT(want);
	FL_ASSERT_MSG(got && json_equal(got, want), "json %s, expected %s", dump ? dump : "NULL",
		      want_text);
	free(dump);
	json_decref(want);
}

FLTEST(full_example_values)
{
	struct fl_suite *suite = parse_ok(DATA "/valid/full-example/input.yaml");
	const struct fl_experiment *e = &suite->experiments[0];
	const struct fl_target_sel *t;

	FL_ASSERT_STREQ(suite->name, "broker-latency");
	FL_ASSERT_EQ(suite->n_files, 1);
	FL_ASSERT_EQ(suite->n_experiments, 1);
	FL_ASSERT_STREQ(e->description, "Loaders keep up while the brokers are 200 ms away");
	FL_ASSERT(e->has_seed);
	FL_ASSERT_EQ(e->seed, 42);
	FL_ASSERT_EQ(e->n_agents, 2);
	FL_ASSERT_STREQ(e->agents[1].address, "https://10.0.0.2:7443");
	FL_ASSERT_STREQ(e->agents[1].tls_ca, "ca.pem");
	FL_ASSERT(e->agents[0].tls_cert == NULL);
	FL_ASSERT_STREQ(e->kafka_bootstrap, "127.0.0.1:19092,127.0.0.1:19093");

	FL_ASSERT_EQ(e->n_targets, 3);
	t = &e->targets[0];
	FL_ASSERT_STREQ(t->name, "loaders");
	FL_ASSERT_STREQ(t->agent, "node-a");
	FL_ASSERT_EQ(t->kind, FL_SELECT_POD);
	FL_ASSERT_STREQ(t->pod_namespace, "streamforge");
	FL_ASSERT_STREQ(t->pod_name, "loader-*");
	FL_ASSERT_EQ(t->n_labels, 1);
	FL_ASSERT_STREQ(t->labels[0].key, "app");
	FL_ASSERT_STREQ(t->labels[0].value, "loader");
	FL_ASSERT_STREQ(t->container, "loader");
	FL_ASSERT_STREQ(t->interface, "eth0");
	FL_ASSERT_EQ(t->mode, FL_TARGET_ONE);
	FL_ASSERT_EQ(t->pos.line, 16);
	FL_ASSERT_EQ(t->pos.col, 5);
	FL_ASSERT_EQ(e->targets[1].kind, FL_SELECT_NETNS);
	FL_ASSERT_STREQ(e->targets[1].netns, "/run/netns/lab");
	FL_ASSERT_EQ(e->targets[1].mode, FL_TARGET_ALL);
	FL_ASSERT_EQ(e->targets[2].kind, FL_SELECT_PID);
	FL_ASSERT_EQ(e->targets[2].pid, 1234);
	FL_ASSERT_EQ(e->targets[2].mode, FL_TARGET_PERCENT);
	FL_ASSERT(e->targets[2].mode_percent == 50.0);

	FL_ASSERT_EQ(e->n_steady, 8);
	FL_ASSERT_EQ(e->steady[0].type, FL_PROBE_KAFKA_THROUGHPUT);
	FL_ASSERT_STREQ(e->steady[0].topic, "workflow");
	FL_ASSERT_EQ(e->steady[0].window_ns, S(10));
	FL_ASSERT_EQ(e->steady[0].timeout_ns, S(5));
	FL_ASSERT_EQ(e->steady[0].n_tolerances, 1);
	FL_ASSERT(e->steady[0].tolerances[0].metric == NULL);
	FL_ASSERT(e->steady[0].tolerances[0].has_min && !e->steady[0].tolerances[0].has_max);
	FL_ASSERT(e->steady[0].tolerances[0].min == 900);
	FL_ASSERT_EQ(e->steady[1].n_tolerances, 2);
	FL_ASSERT_STREQ(e->steady[1].tolerances[1].metric, "status");
	FL_ASSERT_STREQ(e->steady[1].tolerances[1].regex, "OK|WARN");
	FL_ASSERT_EQ(e->steady[1].on_no_data, FL_NODATA_FAIL);
	FL_ASSERT_STREQ(e->steady[2].topic_regex, "^workflow");
	FL_ASSERT(e->steady[2].tolerances[0].has_equals && e->steady[2].tolerances[0].equals == 0);
	FL_ASSERT_STREQ(e->steady[4].json_field, "/status");
	FL_ASSERT_STREQ(e->steady[4].method, "GET");
	FL_ASSERT_STREQ(e->steady[4].tolerances[0].equals_text, "ok");
	FL_ASSERT_STREQ(e->steady[5].prometheus_url, "http://127.0.0.1:9090");
	FL_ASSERT_STREQ(e->steady[5].query, "sum(rate(x[1m]))");
	FL_ASSERT(e->steady[5].tolerances[0].min == 0 && e->steady[5].tolerances[0].max == 0.05);
	FL_ASSERT(e->steady[6].tolerances[0].has_change_min);
	FL_ASSERT(!e->steady[6].tolerances[0].has_change_max);
	FL_ASSERT(e->steady[6].tolerances[0].change_min == -20);
	FL_ASSERT_STREQ(e->steady[7].hook, "ticker");
	FL_ASSERT_STREQ(e->steady[7].hook_metric, "ticks");

	FL_ASSERT_EQ(e->n_method, 5);
	FL_ASSERT_EQ(e->method[0].kind, FL_STEP_FAULT);
	FL_ASSERT(e->method[0].background);
	FL_ASSERT_STREQ(e->method[0].fault.name, "slow-brokers");
	FL_ASSERT_STREQ(e->method[0].fault.kind, "delay");
	FL_ASSERT_STREQ(e->method[0].fault.target, "loaders");
	FL_ASSERT_EQ(e->method[0].fault.duration_ns, S(30));
	FL_ASSERT_EQ(e->method[0].fault.lease_ns, S(10));
	assert_json(e->method[0].fault.params,
		    "{\"to\": [\"10.88.0.10:9092\"], \"delay\": {\"delay\": \"200ms\", "
		    "\"jitter\": \"50ms\"}}");
	FL_ASSERT_EQ(e->method[1].kind, FL_STEP_PAUSE);
	FL_ASSERT_EQ(e->method[1].pause_ns, S(10));
	FL_ASSERT_EQ(e->method[2].kind, FL_STEP_PROBE);
	FL_ASSERT_STREQ(e->method[2].probe.group, "connector");
	FL_ASSERT_EQ(e->method[3].kind, FL_STEP_HOOK);
	FL_ASSERT_EQ(e->method[3].hook.action, FL_HOOK_CALL);
	FL_ASSERT_STREQ(e->method[3].hook.call, "reset");
	FL_ASSERT_STREQ(e->method[4].fault.name, "network-4"); /* "<kind>-<index>" */
	FL_ASSERT(!e->method[4].background);
	assert_json(e->method[4].fault.params, "{\"netem\": \"delay 100ms 10ms loss 1%\"}");
	FL_ASSERT_EQ(e->method[4].pos.line, 40);

	FL_ASSERT_EQ(e->abort_interval_ns, S(1));
	FL_ASSERT_EQ(e->n_abort, 1);
	FL_ASSERT_EQ(e->abort_probes[0].debounce_k, 2);
	FL_ASSERT_EQ(e->abort_probes[0].debounce_n, 3);
	FL_ASSERT_EQ(e->steady[0].debounce_k, 1);
	FL_ASSERT_EQ(e->n_rollbacks, 2);
	FL_ASSERT_EQ(e->rollbacks[0].hook.action, FL_HOOK_STOP);
	FL_ASSERT_EQ(e->rollbacks[1].pause_ns, S(1));
	FL_ASSERT_EQ(e->n_hooks, 1);
	assert_json(e->hooks[0].config, "{\"interval\": \"100ms\"}");
	FL_ASSERT(e->hooks[0].autostart);
	fl_suite_free(suite);
}

FLTEST(other_values)
{
	struct fl_suite *suite = parse_ok(DATA "/valid/network-kinds/input.yaml");
	const struct fl_experiment *e = &suite->experiments[0];

	FL_ASSERT_EQ(e->seed, UINT64_MAX);
	assert_json(e->method[0].fault.params,
		    "{\"direction\": \"both\", \"to\": [\"10.0.0.0/24\", \"udp:10.0.0.2:53\"], "
		    "\"partition\": {\"action\": \"reject\"}}");
	assert_json(e->method[2].fault.params, "{\"loss\": {\"percent\": \"0.5\"}}");
	assert_json(
		e->method[3].fault.params,
		"{\"direction\": \"ingress\", \"interface\": \"eth1\", \"from\": [\"10.0.0.5\"], "
		"\"bandwidth\": {\"rate\": \"10mbit\", \"burst\": \"64kb\", \"latency\": "
		"\"200ms\"}}");
	FL_ASSERT_EQ(e->method[3].fault.lease_ns, S(30));
	/* A fault shorter than the default lease gets a lease of its length (agent: <=). */
	FL_ASSERT_EQ(e->method[6].fault.duration_ns, S(5));
	FL_ASSERT_EQ(e->method[6].fault.lease_ns, S(5));
	assert_json(e->method[6].fault.params,
		    "{\"delay\": {\"delay\": \"1s\", \"maxHeld\": 5000}}");
	assert_json(e->method[7].fault.params, "{}");
	/* verify goes to the agent as written. */
	assert_json(e->method[8].fault.params,
		    "{\"to\": [\"10.0.0.5:9092\"], \"delay\": {\"delay\": \"200ms\"}, "
		    "\"verify\": {\"wire\": true}}");
	FL_ASSERT_STREQ(e->method[9].fault.kind, "partition");
	fl_suite_free(suite);

	suite = parse_ok(DATA "/valid/kills/input.yaml");
	e = &suite->experiments[0];
	FL_ASSERT_EQ(e->method[0].fault.duration_ns, 0);
	FL_ASSERT_EQ(e->method[0].fault.lease_ns, 0);
	assert_json(e->method[0].fault.params, "{\"kill\": {\"gracePeriod\": \"5s\"}}");
	assert_json(e->method[3].fault.params, "{\"kill\": {\"signal\": 9}}");
	FL_ASSERT_EQ(e->targets[2].mode, FL_TARGET_FIXED);
	FL_ASSERT_EQ(e->targets[2].mode_count, 2);
	FL_ASSERT(e->targets[2].pod_name == NULL);
	fl_suite_free(suite);

	suite = parse_ok(DATA "/valid/kubernetes/input.yaml");
	e = &suite->experiments[0];
	FL_ASSERT_STREQ(e->targets[0].leader_topic, "workflow");
	FL_ASSERT_EQ(e->targets[0].leader_partition, 0);
	FL_ASSERT_STREQ(e->targets[0].leader_bootstrap, "kafka-0.kafka:9092");
	FL_ASSERT(e->targets[1].leader_topic == NULL);
	FL_ASSERT_EQ(e->targets[1].kind, FL_SELECT_KUBE);
	FL_ASSERT_STREQ(e->targets[1].pod_namespace, "streamforge");
	FL_ASSERT_STREQ(e->targets[1].kube_labels,
			"app in (loader, arango-connector),tier!=db,!canary");
	FL_ASSERT_STREQ(e->targets[1].kube_fields, "status.phase=Running");
	FL_ASSERT_STREQ(e->targets[1].pod_name, "loader-*");
	FL_ASSERT_EQ(e->targets[2].mode, FL_TARGET_PERCENT);
	FL_ASSERT_STREQ(e->method[0].fault.kind, "pod-delete");
	FL_ASSERT_EQ(e->method[0].fault.duration_ns, 0);
	assert_json(e->method[0].fault.params, "{\"kill\": {\"gracePeriod\": \"1s\"}}");
	assert_json(e->method[1].fault.params, "{}");
	FL_ASSERT_EQ(e->steady[0].type, FL_PROBE_KUBE_READY);
	FL_ASSERT_EQ(e->steady[0].kube->kind, FL_SELECT_KUBE);
	FL_ASSERT_EQ(e->steady[0].kube->mode, FL_TARGET_ALL);
	FL_ASSERT_STREQ(e->steady[0].kube->kube_labels, "app=loader");
	FL_ASSERT_EQ(e->method[3].probe.type, FL_PROBE_KUBE_READY);
	FL_ASSERT_STREQ(e->method[3].probe.tolerances[1].metric, "replacements.ready");
	FL_ASSERT_EQ(e->method[4].probe.type, FL_PROBE_KUBE_RESTARTS);
	fl_suite_free(suite);

	suite = parse_ok(DATA "/valid/hooks/input.yaml");
	e = &suite->experiments[0];
	assert_json(e->hooks[0].config, "{\"interval\": \"100ms\"}");
	assert_json(e->hooks[1].config, "{\"acked\": \"/var/lib/lab/acked\", "
					"\"sink\": \"/var/lib/lab/sink\", \"settle\": \"0s\", "
					"\"latencyWindow\": \"2s\"}");
	FL_ASSERT_STREQ(e->hooks[1].module, "integrity");
	FL_ASSERT(e->hooks[0].autostart);
	FL_ASSERT(!e->hooks[1].autostart);
	FL_ASSERT_EQ(e->method[1].hook.action, FL_HOOK_CALL);
	FL_ASSERT_STREQ(e->method[1].hook.call, "pause");
	assert_json(e->method[1].hook.args, "{}");
	FL_ASSERT(e->method[2].hook.args == NULL);
	FL_ASSERT_EQ(e->method[3].probe.n_tolerances, 0);
	fl_suite_free(suite);
}

/* Hook configs and call args reach the module as JSON of the YAML's own types. */
FLTEST(yaml_to_json_keeps_types_and_nesting)
{
	static const char text[] = "{interval: 100ms, labels: [a, b], "
				   "nested: {deep: true, n: 3, x: 1.5, none: null, big: "
				   "18446744073709551616, s: '3'}}";
	struct fl_diag diag = { 0 };
	struct fl_ynode *root = NULL;
	json_t *got = NULL;

	FL_ASSERT_EQ(fl_ytree_load(text, strlen(text), 8, &root, &diag), 0);
	FL_ASSERT_EQ(fl_ynode_to_json(root, &got), 0);
	assert_json(got, "{\"interval\": \"100ms\", \"labels\": [\"a\", \"b\"], \"nested\": "
			 "{\"deep\": true, \"n\": 3, \"x\": 1.5, \"none\": null, "
			 "\"big\": 18446744073709551616.0, \"s\": \"3\"}}");
	json_decref(got);
	fl_ynode_free(root);
}

FLTEST(suite_defaults_merge_into_experiments)
{
	struct fl_suite *suite = parse_ok(DATA "/valid/suite-includes/input.yaml");
	const struct fl_experiment *pd, *bd, *in;

	FL_ASSERT_STREQ(suite->name, "gameday");
	FL_ASSERT_STREQ(suite->description, "The Friday gameday");
	FL_ASSERT_EQ(suite->n_experiments, 3);
	FL_ASSERT_EQ(suite->n_files, 3);
	FL_ASSERT_CONTAINS(suite->files[1], "suite-includes/pod-delete.yaml");
	pd = &suite->experiments[0];
	bd = &suite->experiments[1];
	in = &suite->experiments[2];
	FL_ASSERT_STREQ(pd->name, "pod-delete");
	FL_ASSERT_STREQ(bd->name, "broker-delay");
	FL_ASSERT_STREQ(in->name, "inline-pause");
	FL_ASSERT(pd->pos.file == suite->files[1]);
	FL_ASSERT(in->pos.file == suite->files[0]);

	/* seed: the default, unless the experiment has its own */
	FL_ASSERT(pd->has_seed && pd->seed == 7);
	FL_ASSERT(in->has_seed && in->seed == 99);
	/* agents: its own first (same name wins), then the defaults' others */
	FL_ASSERT_EQ(pd->n_agents, 2);
	FL_ASSERT_STREQ(pd->agents[0].name, "node-a");
	FL_ASSERT_STREQ(pd->agents[0].address, "unix:/tmp/own.sock");
	FL_ASSERT_STREQ(pd->agents[1].name, "node-b");
	FL_ASSERT_STREQ(pd->agents[1].tls_key, "k.pem");
	FL_ASSERT(pd->agents[1].pos.file == suite->files[0]);
	FL_ASSERT_EQ(bd->n_agents, 2);
	FL_ASSERT_STREQ(bd->agents[0].address, "unix:/run/faultline/agent.sock");
	FL_ASSERT_STREQ(pd->targets[0].agent, "node-b");
	/* kafka and abort.interval */
	FL_ASSERT_STREQ(pd->kafka_bootstrap, "127.0.0.1:19092");
	FL_ASSERT_STREQ(bd->kafka_bootstrap, "10.0.0.9:9092");
	FL_ASSERT_EQ(pd->abort_interval_ns, S(2));
	FL_ASSERT_EQ(bd->abort_interval_ns, S(2));
	FL_ASSERT_EQ(bd->n_abort, 1);
	fl_suite_free(suite);

	/* Without a suite the defaults are the model's. */
	suite = parse_ok(DATA "/valid/minimal/input.yaml");
	FL_ASSERT(!suite->experiments[0].has_seed);
	FL_ASSERT_EQ(suite->experiments[0].n_agents, 0);
	FL_ASSERT_EQ(suite->experiments[0].abort_interval_ns, S(1));
	FL_ASSERT(suite->description == NULL);
	fl_suite_free(suite);
}

/* ---- the agent accepts every fault the parser accepts --------------------------------- */

static void fault_to_agent(const struct fl_experiment *e, const struct fl_fault_spec *f)
{
	const struct fl_target_sel *t = NULL;
	struct fl_fault_req q;
	struct fl_diag diag = { 0 };
	json_t *body = json_deep_copy(f->params), *target = json_object();
	char buf[64], *text;
	int r;

	for (unsigned i = 0; i < e->n_targets; i++)
		if (strcmp(e->targets[i].name, f->target) == 0)
			t = &e->targets[i];
	FL_ASSERT(t && body && target);
	/* pod-delete goes to the Kubernetes API, never to an agent; only on a pods target. */
	if (strcmp(f->kind, "pod-delete") == 0) {
		FL_ASSERT(t->kind == FL_SELECT_KUBE);
		json_decref(body);
		json_decref(target);
		return;
	}
	/* A pods target's other faults go to the agent of the pod's node, as a pod. */
	FL_ASSERT(t->kind != FL_SELECT_KUBE || e->kube_agents);
	if (t->kind == FL_SELECT_POD || t->kind == FL_SELECT_KUBE) {
		(void)snprintf(buf, sizeof(buf), "%s/x-0", t->pod_namespace);
		json_object_set_new(target, "pod", json_string(buf));
		if (t->container && strcmp(f->kind, "container-kill") == 0)
			json_object_set_new(target, "container", json_string(t->container));
	} else if (t->kind == FL_SELECT_NETNS) {
		json_object_set_new(target, "netns", json_string(t->netns));
	} else {
		json_object_set_new(target, "pid", json_integer(t->pid));
	}
	json_object_set_new(body, "target", target);
	json_object_set_new(body, "kind", json_string(f->kind));
	if (f->duration_ns) {
		(void)snprintf(buf, sizeof(buf), "%" PRIu64 "ns", f->duration_ns);
		json_object_set_new(body, "duration", json_string(buf));
		(void)snprintf(buf, sizeof(buf), "%" PRIu64 "ns", f->lease_ns);
		json_object_set_new(body, "lease", json_string(buf));
	}
	text = json_dumps(body, 0);
	r = fl_api_parse_fault(text, strlen(text), S(24 * 3600), &q, &diag);
	FL_ASSERT_MSG(r == 0, "agent refuses %s: %s", text, diag.msg);
	free(text);
	json_decref(body);
}

static unsigned n_agent_checked;

static void agent_case(const char *dir)
{
	char path[1100];
	struct fl_suite *suite;

	(void)snprintf(path, sizeof(path), "%s/input.yaml", dir);
	suite = parse_ok(path);
	for (unsigned x = 0; x < suite->n_experiments; x++) {
		const struct fl_experiment *e = &suite->experiments[x];

		for (unsigned i = 0; i < e->n_method; i++) {
			if (e->method[i].kind == FL_STEP_FAULT) {
				fault_to_agent(e, &e->method[i].fault);
				n_agent_checked++;
			}
		}
	}
	fl_suite_free(suite);
}

FLTEST(every_parsed_fault_is_accepted_by_the_agent)
{
	for_each_case("valid", agent_case);
	fltest_log("%u faults checked against the agent's parser", n_agent_checked);
	FL_ASSERT(n_agent_checked >= 15);
}

/* ---- API corners ------------------------------------------------------------------------ */

FLTEST(buffer_and_names)
{
	static const char text[] = "apiVersion: faultline/v1\nkind: Experiment\nmetadata: {name: "
				   "b}\nspec: {method: [{pause: 2m}]}\n";
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	enum fl_probe_type type;

	FL_ASSERT_OK(fl_suite_parse_buffer("mem", text, sizeof(text) - 1, &suite, NULL));
	FL_ASSERT_EQ(suite->experiments[0].method[0].pause_ns, S(120));
	FL_ASSERT_STREQ(suite->files[0], "mem");
	FL_ASSERT(fl_suite_free(suite) == NULL);
	FL_ASSERT(fl_suite_free(NULL) == NULL);

	/* Not NUL-terminated: only len bytes are read. */
	suite = NULL;
	FL_ASSERT_EQ(fl_suite_parse_buffer("mem", text, 30, &suite, &diag), -EINVAL);
	FL_ASSERT(suite == NULL);
	FL_ASSERT_STREQ(diag.file, "mem");

	for (int t = FL_PROBE_KAFKA_THROUGHPUT; t <= FL_PROBE_HOOK; t++) {
		FL_ASSERT_OK(fl_probe_type_parse(fl_probe_type_name((enum fl_probe_type)t), &type));
		FL_ASSERT_EQ(type, t);
	}
	FL_ASSERT_EQ(fl_probe_type_parse("kafka.lag", &type), -EINVAL);
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_KAFKA_THROUGHPUT), "rate");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_KAFKA_LAG), "lag.max");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_KAFKA_PARTITIONS), "underReplicated");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_KAFKA_E2E), "latencyMs");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_HTTP), "status");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_PROMETHEUS), "value");
	FL_ASSERT_STREQ(fl_probe_default_metric(FL_PROBE_HOOK), "value");
}

static char tmpdir[] = "/tmp/fl-exp-XXXXXX";

static void rm_tmpdir(void *arg)
{
	char path[128];

	(void)arg;
	(void)snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	(void)unlink(path);
	(void)rmdir(tmpdir);
}

FLTEST(file_limits_and_errors)
{
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	char path[128];
	FILE *f;

	FL_ASSERT_EQ(fl_suite_parse_file(DATA "/no/such/file.yaml", &suite, &diag), -ENOENT);
	FL_ASSERT_STREQ(diag.file, DATA "/no/such/file.yaml");
	FL_ASSERT_CONTAINS(diag.msg, "No such file");
	FL_ASSERT_EQ(fl_suite_parse_file(DATA, &suite, &diag), -EISDIR);

	FL_ASSERT(mkdtemp(tmpdir));
	fltest_defer(rm_tmpdir, NULL);
	(void)snprintf(path, sizeof(path), "%s/big.yaml", tmpdir);
	f = fopen(path, "w");
	FL_ASSERT(f);
	fputs("apiVersion: faultline/v1\nkind: Experiment\nmetadata: {name: big}\n"
	      "spec: {method: [{pause: 1s}]}\n",
	      f);
	for (int i = 0; i < FL_EXP_FILE_MAX / 64; i++)
		fputs("# padding padding padding padding padding padding padding paddin\n", f);
	fclose(f);
	FL_ASSERT_EQ(fl_suite_parse_file(path, &suite, &diag), -EFBIG);
	FL_ASSERT(suite == NULL);
	FL_ASSERT_EQ(fl_suite_parse_buffer("x", "", FL_EXP_FILE_MAX + 1, &suite, &diag), -EFBIG);
	/* Exactly at the limit is fine. */
	FL_ASSERT_EQ(truncate(path, FL_EXP_FILE_MAX), 0);
	FL_ASSERT_OK(fl_suite_parse_file(path, &suite, &diag));
	fl_suite_free(suite);
}

FLTEST(diag_file_of_an_included_file_outlives_the_suite)
{
	struct fl_suite *suite = NULL;
	struct fl_diag diag = { 0 };
	char file[512];

	FL_ASSERT_EQ(fl_suite_parse_file(DATA "/invalid/suite-error-in-included/input.yaml", &suite,
					 &diag),
		     -EINVAL);
	(void)snprintf(file, sizeof(file), "%s", diag.file);
	FL_ASSERT_STREQ(file, DATA "/invalid/suite-error-in-included/child.yaml");
	FL_ASSERT_EQ(diag.line, 6);
}
