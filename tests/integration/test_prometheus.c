/* SPDX-License-Identifier: MIT */
/*
 * The `prometheus` probe against a real Prometheus (Debian's 2.42, tests/lib/promenv.h)
 * scraping real targets: itself, and the faultline-agent's /metrics over TLS with a client
 * certificate (made by certtool), plus the same agent without a client certificate (a
 * target that is down: the agent refuses the handshake). Each case is an experiment file's
 * probe, parsed by the experiment parser, sampled by the probe code (fl_probe_new /
 * fl_probe_sample) and judged by fl_verdict_eval.
 *
 * Every test runs in a network namespace of its own (unshare, only lo): the agent's sweep
 * of "the node's namespace" sees only this one, nothing here can meet a system Prometheus
 * or another engineer's ports, and everything in it ends with the test. Needs root; under
 * CI=true a Prometheus, agent or certtool that cannot start fails the test.
 */
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "experiment.h"
#include "faultreq.h"
#include "fltest.h"
#include "probe_ctx.h"
#include "promenv.h"
#include "testcerts.h"
#include "verdict.h"

#define AGENT_PORT     19443
#define AGENT_INSTANCE "127.0.0.1:19443"

static struct promenv prom;
static struct testcerts certs;
static struct agentenv agent;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This test process (and what it starts) in a new network namespace with lo up. */
static void private_net(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };

	if (geteuid() != 0)
		FL_SKIP("needs root (a private network namespace for Prometheus and the agent)");
	FL_ASSERT_MSG(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_MSG(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0, "SIOCGIFFLAGS lo: %s", strerror(errno));
	ifr.ifr_flags |= IFF_UP;
	FL_ASSERT_MSG(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0, "SIOCSIFFLAGS lo: %s", strerror(errno));
	close(fd);
}

/* Prometheus alone: for queries that need no scraped data (ready is enough). */
static void start_prometheus(void)
{
	private_net();
	promenv_start(&prom, NULL);
	fltest_log("prometheus %s: ready %.3f s after start", prom.url, prom.ready_s);
}

/* ---- a probe as an experiment file declares it ---------------------------------------- */

struct pcase {
	struct fl_suite *suite;
	const struct fl_probe_spec *spec; /* borrowed from suite */
	struct fl_probe *probe;
	struct fl_sample sample;
	struct fl_verdict verdict;
};

/* YAML single-quoted scalar: ' is written twice. */
static void yaml_quote(char *buf, size_t size, const char *text)
{
	size_t n = 0;

	buf[n++] = '\'';
	for (const char *p = text; *p && n + 3 < size; p++) {
		if (*p == '\'')
			buf[n++] = '\'';
		buf[n++] = *p;
	}
	buf[n++] = '\'';
	buf[n] = '\0';
}

/*
 * Parse an experiment with one prometheus probe on url with query, plus more probe fields
 * (flow-style YAML: "tolerance: {max: 0}, onNoData: pass"), and make the probe. A probe
 * with a tolerance is the steady state's; one without (which the steady state refuses) is a
 * probe step of the method.
 */
static void pcase_open(struct pcase *pc, const char *url, const char *query, const char *fields)
{
	static char yaml[16384];
	char q[9000], probe[9300];
	struct fl_diag diag = { 0 };
	struct fl_probe_ctx *ctx = NULL;
	bool steady = fields && strstr(fields, "tolerance:");

	memset(pc, 0, sizeof(*pc));
	yaml_quote(q, sizeof(q), query);
	(void)snprintf(probe, sizeof(probe),
		       "{name: p, type: prometheus, url: '%s', query: %s%s%s}", url, q,
		       fields ? ", " : "", fields ? fields : "");
	int n = snprintf(yaml, sizeof(yaml),
			 "apiVersion: faultline/v1\nkind: Experiment\nmetadata: {name: prom}\n"
			 "spec:\n%s%s%s  method:\n    - %s%s\n",
			 steady ? "  steadyState:\n    probes:\n      - " : "", steady ? probe : "",
			 steady ? "\n" : "", steady ? "pause: 1s" : "probe: ", steady ? "" : probe);
	FL_ASSERT((size_t)n < sizeof(yaml));
	FL_ASSERT_MSG(fl_suite_parse_buffer("prom.yaml", yaml, (size_t)n, &pc->suite, &diag) == 0,
		      "prom.yaml:%d:%d: %s\n%s", diag.line, diag.col, diag.msg, yaml);
	const struct fl_experiment *exp = &pc->suite->experiments[0];
	pc->spec = steady ? &exp->steady[0] : &exp->method[0].probe;
	FL_ASSERT_EQ(pc->spec->type, FL_PROBE_PROMETHEUS);
	FL_ASSERT_STREQ(pc->spec->query, query);
	FL_ASSERT_OK(fl_probe_ctx_new(&ctx));
	FL_ASSERT_MSG(fl_probe_new(ctx, pc->spec, NULL, &pc->probe, &diag) == 0, "%s", diag.msg);
	(void)fl_probe_ctx_free(ctx); /* http probes keep nothing of it */
}

static int pcase_sample(struct pcase *pc)
{
	fl_sample_reset(&pc->sample);
	int r = fl_probe_sample(pc->probe, &pc->sample);
	FL_ASSERT_EQ(r, pc->sample.err);
	fl_verdict_eval(pc->spec, &pc->sample, NULL, &pc->verdict);
	return r;
}

static void pcase_close(struct pcase *pc)
{
	fl_sample_reset(&pc->sample);
	pc->probe = fl_probe_free(pc->probe);
	pc->suite = fl_suite_free(pc->suite);
}

/* One sample of query judged by fields; the case stays open for more asserts. */
static int sample_of(struct pcase *pc, const char *query, const char *fields)
{
	pcase_open(pc, prom.url, query, fields);
	int r = pcase_sample(pc);
	fltest_log("%-40s -> %s: %s", query, fl_verdict_name(pc->verdict.kind),
		   pc->verdict.message);
	return r;
}

static double value_of(const struct pcase *pc)
{
	const struct fl_metric *m = fl_sample_get(&pc->sample, "value");

	FL_ASSERT_MSG(m && !m->is_text, "no numeric value in the sample: %s", pc->sample.error);
	return m->value;
}

static const char *label_of(const struct pcase *pc, const char *name)
{
	return json_string_value(
		json_object_get(json_object_get(pc->sample.detail, "labels"), name));
}

/* ---- the agent behind TLS, scraped with and without a client certificate -------------- */

static void start_agent_and_prometheus(void)
{
	static char listen[64], cert[160], key[160], ca[160], jobs[2048];

	private_net();
	testcerts_make(&certs);
	/* free: nothing else lives in this namespace */
	unsigned port = AGENT_PORT;
	(void)snprintf(listen, sizeof(listen), "--listen=127.0.0.1:%u", port);
	(void)snprintf(cert, sizeof(cert), "--tls-cert=%s", testcerts_path(&certs, "server.pem"));
	(void)snprintf(key, sizeof(key), "--tls-key=%s", testcerts_path(&certs, "server.key"));
	(void)snprintf(ca, sizeof(ca), "--tls-client-ca=%s", testcerts_path(&certs, "ca.pem"));
	static const char *const fixed[] = { "--cri-socket=", "--netns-dir=" };
	for (size_t i = 0; i < FL_ARRAY_SIZE(fixed); i++)
		agent.extra[agent.n_extra++] = fixed[i];
	agent.extra[agent.n_extra++] = listen;
	agent.extra[agent.n_extra++] = cert;
	agent.extra[agent.n_extra++] = key;
	agent.extra[agent.n_extra++] = ca;
	agentenv_start(&agent);
	(void)snprintf(jobs, sizeof(jobs),
		       "  - job_name: agent\n"
		       "    scheme: https\n"
		       "    tls_config:\n"
		       "      ca_file: %s\n"
		       "      cert_file: %s\n"
		       "      key_file: %s\n"
		       "    static_configs:\n"
		       "      - targets: ['127.0.0.1:%u']\n"
		       "  - job_name: agent-nocert\n"
		       "    scheme: https\n"
		       "    tls_config:\n"
		       "      ca_file: %s\n"
		       "    static_configs:\n"
		       "      - targets: ['127.0.0.1:%u']\n",
		       testcerts_path(&certs, "ca.pem"), testcerts_path(&certs, "client.pem"),
		       testcerts_path(&certs, "client.key"), port, testcerts_path(&certs, "ca.pem"),
		       port);
	double t0 = now_s();
	promenv_start(&prom, jobs);
	/* every job's first scrape: each target's loop starts at its own offset in the interval */
	double waited = promenv_wait_value(&prom, "up{job=\"agent\"}", 30);
	double first = now_s() - t0;
	(void)promenv_wait_value(&prom, "up{job=\"agent-nocert\"}", 10);
	(void)promenv_wait_value(&prom, "up{job=\"prometheus\"}", 10);
	fltest_log("prometheus %s: ready %.3f s after start, first agent scrape %.1f s after "
		   "start (%.1f s after ready), all three jobs scraped %.1f s after start",
		   prom.url, prom.ready_s, first, waited, now_s() - t0);
}

static void agent_is_up(void)
{
	struct pcase pc;

	FL_ASSERT_OK(sample_of(&pc, "up{job=\"agent\"}", "tolerance: {equals: 1}"));
	FL_ASSERT(value_of(&pc) == 1);
	FL_ASSERT_STREQ(label_of(&pc, "job"), "agent");
	FL_ASSERT_STREQ(label_of(&pc, "instance"), AGENT_INSTANCE);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	FL_ASSERT_STREQ(pc.verdict.message, "value 1 == 1");
	pcase_close(&pc);

	/* no client certificate: the agent refuses the handshake, Prometheus says down */
	FL_ASSERT_OK(sample_of(&pc, "up{job=\"agent-nocert\"}", "tolerance: {min: 1}"));
	FL_ASSERT(value_of(&pc) == 0);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(pc.verdict.message, "value 0 < 1 at ");
	pcase_close(&pc);

	/* the agent's own metric, as scraped */
	FL_ASSERT_OK(sample_of(&pc, "faultline_agent_emergency_stop{job=\"agent\"}",
			       "tolerance: {max: 0}"));
	FL_ASSERT(value_of(&pc) == 0);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);
}

static void agent_state_reaches_the_probe(void)
{
	struct pcase pc;
	json_t *j = NULL;

	pcase_open(&pc, prom.url, "faultline_agent_emergency_stop{job=\"agent\"}",
		   "tolerance: {max: 0}");
	FL_ASSERT_OK(pcase_sample(&pc));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	/* an emergency stop on the agent: the next scrape (1 s) carries it to the probe */
	FL_ASSERT_EQ(agentenv_request(&agent, "POST", "/v1/stop", NULL, &j), 200);
	json_decref(j);
	double t0 = now_s();
	while (pcase_sample(&pc) == 0 && value_of(&pc) == 0 && now_s() - t0 < 10)
		usleep(100000);
	fltest_log("emergency stop seen by the probe %.1f s after the request: %s", now_s() - t0,
		   pc.verdict.message);
	FL_ASSERT(value_of(&pc) == 1);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(pc.verdict.message, "value 1 > 0 at ");
	FL_ASSERT_EQ(agentenv_request(&agent, "DELETE", "/v1/stop", NULL, &j), 200);
	json_decref(j);
	pcase_close(&pc);
}

static void several_series_are_an_error(void)
{
	struct pcase pc;
	char want[128];

	/* up: prometheus, agent, agent-nocert */
	FL_ASSERT_EQ(sample_of(&pc, "up", "tolerance: {min: 1}"), -ERANGE);
	FL_ASSERT_CONTAINS(pc.sample.error, "prometheus http://127.0.0.1:");
	FL_ASSERT_CONTAINS(pc.sample.error, ", query 'up': 3 series, the probe needs one: "
					    "aggregate (sum, max, ...) or select one by its "
					    "labels; the first: up{instance=\"127.0.0.1:");
	FL_ASSERT_CONTAINS(pc.sample.error, "\", job=\""); /* which one: storage order */
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(pc.verdict.message, pc.sample.error);
	pcase_close(&pc);

	/* one series per fault kind */
	FL_ASSERT_EQ(sample_of(&pc, "faultline_agent_faults_active{job=\"agent\"}", NULL), -ERANGE);
	snprintf(want, sizeof(want), ": %d series, the probe needs one", FL_FAULT_KIND_COUNT);
	FL_ASSERT_CONTAINS(pc.sample.error, want);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR); /* even without a tolerance */
	pcase_close(&pc);

	/* aggregated, as the message says */
	FL_ASSERT_OK(sample_of(&pc, "sum(faultline_agent_faults_active{job=\"agent\"})",
			       "tolerance: {equals: 0}"));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);
	FL_ASSERT_OK(sample_of(&pc, "count(up)", "tolerance: {equals: 3}"));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);
	FL_ASSERT_OK(sample_of(&pc, "min(up)", "tolerance: {min: 1}"));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_FAIL); /* the certless target is down */
	pcase_close(&pc);
}

/*
 * One Prometheus for the cases that need scraped data: its first scrape comes 5-10 s after
 * the start (promenv.h), too long to pay for each.
 */
FLTEST(agent_scraped_by_prometheus)
{
	fltest_set_timeout(120);
	start_agent_and_prometheus();
	agent_is_up();
	several_series_are_an_error();
	agent_state_reaches_the_probe();
}

/* ---- no scraped data needed ------------------------------------------------------------ */

FLTEST(empty_vector_follows_on_no_data)
{
	static const struct {
		const char *on_no_data;
		enum fl_verdict_kind kind;
	} cases[] = {
		{ NULL, FL_VERDICT_INCONCLUSIVE },
		{ "inconclusive", FL_VERDICT_INCONCLUSIVE },
		{ "pass", FL_VERDICT_PASS },
		{ "fail", FL_VERDICT_FAIL },
	};
	struct pcase pc;
	char fields[96];

	start_prometheus();
	for (size_t i = 0; i < FL_ARRAY_SIZE(cases); i++) {
		snprintf(fields, sizeof(fields), "tolerance: {max: 0}%s%s",
			 cases[i].on_no_data ? ", onNoData: " : "",
			 cases[i].on_no_data ? cases[i].on_no_data : "");
		FL_ASSERT_EQ(sample_of(&pc, "faultline_no_such_metric", fields), -ENODATA);
		FL_ASSERT_CONTAINS(pc.sample.error,
				   ", query 'faultline_no_such_metric': empty vector (no series)");
		FL_ASSERT_EQ(pc.verdict.kind, cases[i].kind);
		FL_ASSERT_CONTAINS(pc.verdict.message, "no data: prometheus http://127.0.0.1:");
		pcase_close(&pc);
	}
}

FLTEST(nan_fails_every_numeric_rule)
{
	static const struct {
		const char *query, *fields;
		enum fl_verdict_kind kind;
		const char *message;
	} cases[] = {
		/* a scalar and a vector NaN, as 0/0 gives them */
		{ "0/0", "tolerance: {max: 0.01}", FL_VERDICT_FAIL,
		  "value NaN is not a number: value <= 0.01 cannot hold at " },
		{ "vector(0)/0", "tolerance: {max: 0.01}", FL_VERDICT_FAIL,
		  "value NaN is not a number: value <= 0.01 cannot hold at " },
		/* NaN is a value, not an absence: onNoData does not apply */
		{ "vector(0)/0", "tolerance: {max: 0.01}, onNoData: pass", FL_VERDICT_FAIL,
		  "value NaN is not a number: value <= 0.01 cannot hold at " },
		{ "vector(0)/0", "tolerance: {min: 0}", FL_VERDICT_FAIL,
		  "value NaN is not a number: value >= 0 cannot hold at " },
		{ "vector(0)/0", "tolerance: {range: [0, 1]}", FL_VERDICT_FAIL,
		  "value NaN is not a number: value in [0, 1] cannot hold at " },
		{ "vector(0)/0", "tolerance: {equals: 0}", FL_VERDICT_FAIL,
		  "value NaN is not a number: value == 0 cannot hold at " },
		{ "vector(0)/0", "tolerance: {percentChange: {max: 10}}", FL_VERDICT_FAIL,
		  "value NaN is not a number: percent change of value <= 10% cannot hold at " },
		/* what the user asks for explicitly */
		{ "vector(0)/0", NULL, FL_VERDICT_PASS, "value NaN (no tolerance)" },
	};
	struct pcase pc;

	start_prometheus();
	for (size_t i = 0; i < FL_ARRAY_SIZE(cases); i++) {
		FL_ASSERT_OK(sample_of(&pc, cases[i].query, cases[i].fields));
		FL_ASSERT(isnan(value_of(&pc)));
		FL_ASSERT_EQ(pc.verdict.kind, cases[i].kind);
		FL_ASSERT_CONTAINS(pc.verdict.message, cases[i].message);
		pcase_close(&pc);
	}
	/* the documented way to make NaN "no data": filter it out in PromQL */
	FL_ASSERT_EQ(
		sample_of(&pc, "vector(0)/0 >= -Inf", "tolerance: {max: 0.01}, onNoData: pass"),
		-ENODATA);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);
}

FLTEST(scalar_inf_string_and_matrix_results)
{
	struct pcase pc;

	start_prometheus();
	FL_ASSERT_OK(sample_of(&pc, "7", "tolerance: {equals: 7}"));
	FL_ASSERT(value_of(&pc) == 7);
	FL_ASSERT(pc.sample.detail == NULL); /* a scalar has no labels */
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);

	/* evaluated by the server now: its clock, to the millisecond */
	double t = (double)time(NULL);
	FL_ASSERT_OK(sample_of(&pc, "time()", NULL));
	FL_ASSERT(fabs(value_of(&pc) - t) < 5);
	pcase_close(&pc);

	FL_ASSERT_OK(sample_of(&pc, "1/0", "tolerance: {max: 1000}"));
	FL_ASSERT(isinf(value_of(&pc)) && value_of(&pc) > 0);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_FAIL);
	FL_ASSERT_CONTAINS(pc.verdict.message, "value +Inf > 1000 at ");
	pcase_close(&pc);
	FL_ASSERT_OK(sample_of(&pc, "-1/0", "tolerance: {max: 1000}"));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);

	FL_ASSERT_EQ(sample_of(&pc, "\"hello\"", NULL), -EINVAL);
	FL_ASSERT_CONTAINS(pc.sample.error,
			   ", query '\"hello\"': resultType string: the probe needs a vector of "
			   "one series or a scalar");
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	pcase_close(&pc);

	FL_ASSERT_EQ(sample_of(&pc, "up[1m]", NULL), -EINVAL);
	FL_ASSERT_CONTAINS(pc.sample.error,
			   ", query 'up[1m]': resultType matrix (a range vector): the probe needs "
			   "a vector of one series or a scalar");
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	pcase_close(&pc);
}

FLTEST(query_reaches_prometheus_byte_for_byte)
{
	/* absent() returns the equality matchers' labels: what Prometheus parsed comes back */
	static const char value[] = "a&b=c+d #%25/?\\\"q\\\" é;";
	static const char want[] = "a&b=c+d #%25/?\"q\" é;";
	struct pcase pc;
	char query[128];

	start_prometheus();
	snprintf(query, sizeof(query), "absent(faultline_nope{x=\"%s\"})", value);
	FL_ASSERT_OK(sample_of(&pc, query, "tolerance: {equals: 1}"));
	FL_ASSERT(value_of(&pc) == 1);
	FL_ASSERT_STREQ(label_of(&pc, "x"), want);
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);
	pcase_close(&pc);
}

FLTEST(query_error_names_the_query_and_prometheus_message)
{
	struct pcase pc;

	start_prometheus();
	FL_ASSERT_EQ(sample_of(&pc, "sum(", "tolerance: {max: 1}"), -EREMOTEIO);
	FL_ASSERT_CONTAINS(pc.sample.error,
			   ", query 'sum(': Prometheus: HTTP 400, bad_data: invalid parameter "
			   "\"query\": 1:5: parse error: unclosed left parenthesis");
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(pc.verdict.message, pc.sample.error);
	pcase_close(&pc);

	FL_ASSERT_EQ(sample_of(&pc, "rate(up)", NULL), -EREMOTEIO);
	FL_ASSERT_CONTAINS(pc.sample.error, "expected type range vector in call to function "
					    "\"rate\", got instant vector");
	pcase_close(&pc);

	/* a long query is cut in the message; Prometheus' text still fits */
	char query[300];
	size_t n = (size_t)snprintf(query, sizeof(query), "sum(");
	while (n < 200)
		n += (size_t)snprintf(query + n, sizeof(query) - n, "up + ");
	(void)snprintf(query + n, sizeof(query) - n, "(");
	FL_ASSERT_EQ(sample_of(&pc, query, NULL), -EREMOTEIO);
	FL_ASSERT_CONTAINS(pc.sample.error, ", query 'sum(up + up + ");
	FL_ASSERT_CONTAINS(pc.sample.error, "...': Prometheus: HTTP 400, bad_data: ");
	FL_ASSERT_CONTAINS(pc.sample.error, "parse error: ");
	pcase_close(&pc);
}

FLTEST(unresponsive_then_stopped_server_is_an_error_naming_the_url)
{
	struct pcase pc;

	start_prometheus();
	pcase_open(&pc, prom.url, "vector(1)", "tolerance: {equals: 1}, timeout: 300ms");
	FL_ASSERT_OK(pcase_sample(&pc));
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_PASS);

	/* stopped (SIGSTOP): the kernel still accepts, nobody answers */
	promenv_freeze(&prom);
	double t0 = now_s();
	FL_ASSERT_EQ(pcase_sample(&pc), -ETIMEDOUT);
	double took = now_s() - t0;
	fltest_log("stopped server: %.3f s: %s", took, pc.sample.error);
	FL_ASSERT(took >= 0.29 && took < 2);
	FL_ASSERT_CONTAINS(pc.sample.error, prom.url);
	FL_ASSERT_CONTAINS(pc.sample.error, "timed out");
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	promenv_thaw(&prom);
	FL_ASSERT_OK(pcase_sample(&pc));

	/* gone: connection refused */
	promenv_stop(&prom);
	FL_ASSERT_EQ(pcase_sample(&pc), -ECONNREFUSED);
	fltest_log("%s", pc.sample.error);
	FL_ASSERT_CONTAINS(pc.sample.error, prom.url);
	FL_ASSERT_CONTAINS(pc.sample.error, "Connection refused");
	FL_ASSERT_EQ(pc.verdict.kind, FL_VERDICT_ERROR);
	FL_ASSERT_STREQ(pc.verdict.message, pc.sample.error);
	pcase_close(&pc);
}
