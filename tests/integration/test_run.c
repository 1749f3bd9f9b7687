/* SPDX-License-Identifier: MIT */
/*
 * `faultline run` end to end against the real agent binary and the host kernel: faults go
 * into a network namespace through the agent, hook probes (the embedded "ticker" module)
 * give values the test controls, and the run's exit code, journal and JUnit are checked.
 *   - a passing run: inject, hold, revert, checks pass, exit 0, JUnit valid against the XSD
 *   - a deviated hypothesis: exit 1 and a JUnit failure stating the value against the rule
 *   - the abort path: a breach reverts every fault within 1 s and the run exits 3
 *   - SIGTERM mid-experiment: everything reverted, exit 3, nothing left in the namespace
 *   - kill -9 of the controller: the agent's lease reverts the fault on its own
 *   - a revert the agent fails: found by the leftover check, exit 4
 *   - plan: targets, mechanisms (the no-sch_netem fallback) and requests; changes nothing
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agentenv.h"
#include "fltest.h"
#include "testnet.h"
#include "witness.h"

static struct testnet_ns ns;
static struct agentenv agent;
static char dir[] = "/tmp/fl-run-XXXXXX";

static void rm_dir(void *arg)
{
	char cmd[256];

	(void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", (const char *)arg);
	if (system(cmd) != 0)
		fltest_log("could not remove %s", (const char *)arg);
}

static void setup(const char *agent_env)
{
	if (testnet_ns_create("run", &ns) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns);
	if (agent_env) { /* a test hook: the agent's test build (agentenv.h) */
		agent.env[agent.n_env++] = agent_env;
		agent.test_agent = true;
	}
	agentenv_start(&agent);
	if (!mkdtemp(dir))
		FL_FAIL("mkdtemp: %s", strerror(errno));
	fltest_defer(rm_dir, dir);
}

static const char *faultline_bin(void)
{
	return access("build/faultline", X_OK) == 0 ? "build/faultline"
						    : "/usr/local/bin/faultline";
}

/* Write an experiment with the agent and namespace filled in; returns its path (static). */
/* An experiment file with these hooks (a `  hooks: [...]` line) and spec body. */
static const char *experiment_with_hooks(const char *name, const char *hooks, const char *body)
{
	static char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s.yaml", dir, name);
	f = fopen(path, "w");
	if (!f)
		FL_FAIL("%s: %s", path, strerror(errno));
	fprintf(f,
		"apiVersion: faultline/v1\n"
		"kind: Experiment\n"
		"metadata: {name: %s}\n"
		"spec:\n"
		"  seed: 7\n"
		"  agents: [{name: node-a, address: \"%s\"}]\n"
		"  targets:\n"
		"    ns: {netns: \"%s\"}\n"
		"%s"
		"%s",
		name, agent.address, ns.path, hooks, body);
	fclose(f);
	return path;
}

static const char *experiment(const char *name, const char *body)
{
	return experiment_with_hooks(
		name, "  hooks: [{name: ticker, module: ticker, config: {interval: 100ms}}]\n",
		body);
}

static pid_t spawn_run(const char *file, const char *tag)
{
	char junit[256], journal[256];
	pid_t pid;

	(void)snprintf(junit, sizeof(junit), "%s/%s.junit.xml", dir, tag);
	(void)snprintf(journal, sizeof(journal), "%s/%s.journal.json", dir, tag);
	pid = fork();
	if (pid == 0) {
		execl(faultline_bin(), "faultline", "run", file, "--junit", junit, "--journal",
		      journal, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		FL_FAIL("fork: %s", strerror(errno));
	return pid;
}

static int wait_exit(pid_t pid, int timeout_s)
{
	for (int i = 0; i < timeout_s * 20; i++) {
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		usleep(50000);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	FL_FAIL("faultline run did not end within %d s", timeout_s);
}

static json_t *journal(const char *tag)
{
	char path[256];
	json_error_t err;
	json_t *j;

	(void)snprintf(path, sizeof(path), "%s/%s.journal.json", dir, tag);
	j = json_load_file(path, 0, &err);
	if (!j)
		FL_FAIL("journal %s: %s", path, err.text);
	return j;
}

static json_t *exp0(json_t *j)
{
	return json_array_get(json_object_get(j, "experiments"), 0);
}

static unsigned active_faults(void)
{
	json_t *body = NULL, *f;
	unsigned n = 0;
	size_t i;

	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &body), 200);
	json_array_foreach(json_object_get(body, "faults"), i,
			   f) if (strcmp(json_string_value(json_object_get(f, "state")) ?: "",
					 "done") != 0) n++;
	json_decref(body);
	return n;
}

static void expect_clean(void)
{
	FL_ASSERT_EQ(active_faults(), 0);
	witness_expect_clean(ns.path, "after the run");
}

static void xsd_valid(const char *tag)
{
	char cmd[600];

	(void)snprintf(cmd, sizeof(cmd),
		       "xmllint --noout --schema tests/data/junit-10.xsd %s/%s.junit.xml 2>&1", dir,
		       tag);
	FL_ASSERT_MSG(system(cmd) == 0, "JUnit of %s is not valid against junit-10.xsd", tag);
}

FLTEST(a_passing_run_injects_holds_reverts_and_exits_0)
{
	const char *file;
	json_t *j, *f;

	setup(NULL);
	file = experiment("pass",
			  "  method:\n"
			  "    - hook: {name: ticker, action: start}\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 1s,\n"
			  "              to: [\"10.9.1.0/24\"]}\n"
			  "    - probe: {name: ticking, type: hook, hook: ticker, metric: ticks,\n"
			  "              tolerance: {min: 1}}\n"
			  "  rollbacks:\n"
			  "    - hook: {name: ticker, action: stop}\n");
	FL_ASSERT_EQ(wait_exit(spawn_run(file, "pass"), 60), 0);
	j = journal("pass");
	FL_ASSERT_STREQ(json_string_value(json_object_get(exp0(j), "outcome")), "passed");
	f = json_array_get(json_object_get(exp0(j), "faults"), 0);
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(f, "inject"), "result")),
			"ok");
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(f, "revert"), "result")),
			"ok");
	FL_ASSERT_STREQ(json_string_value(json_object_get(f, "mechanism")), "nftables");
	/* Held for its duration: the revert came about 1 s after the injection. */
	{
		json_int_t in =
			json_integer_value(json_object_get(json_object_get(f, "inject"), "atMs"));
		json_int_t out =
			json_integer_value(json_object_get(json_object_get(f, "revert"), "atMs"));
		fltest_log("fault held %lld ms (duration 1s)", (long long)(out - in));
		FL_ASSERT(out - in >= 950 && out - in < 2500);
	}
	FL_ASSERT_EQ(json_integer_value(json_object_get(exp0(j), "seed")), 7); /* the file's seed */
	xsd_valid("pass");
	expect_clean();
	json_decref(j);
}

/*
 * autoStart: the hook runs before the steady state is checked and through the check after
 * the method (a module the experiment observes, like a self-healer, from start to end).
 */
FLTEST(an_autostart_hook_runs_through_both_steady_state_checks)
{
	json_t *j, *hooks, *checks, *c;
	json_int_t started = 0, first_check = 0;
	const char *file;
	size_t i;

	setup(NULL);
	file = experiment_with_hooks(
		"auto",
		"  hooks: [{name: ticker, module: ticker, config: {interval: 20ms}, "
		"autoStart: true}]\n",
		"  steadyState:\n"
		"    probes: [{name: running, type: hook, hook: ticker, metric: running,\n"
		"              tolerance: {equals: 1}}]\n"
		"  method:\n"
		"    - hook: {name: ticker, action: call, call: reset}\n"
		"    - pause: 500ms\n"
		"    - probe: {name: ticking, type: hook, hook: ticker, metric: ticks,\n"
		"              tolerance: {min: 10}}\n");
	FL_ASSERT_EQ(wait_exit(spawn_run(file, "auto"), 60), 0);
	j = journal("auto");
	FL_ASSERT_STREQ(json_string_value(json_object_get(exp0(j), "outcome")), "passed");
	hooks = json_object_get(exp0(j), "hooks");
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_array_get(hooks, 0), "event")),
			"start");
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_array_get(hooks, 0), "result")),
			"ok");
	started = json_integer_value(json_object_get(json_array_get(hooks, 0), "atMs"));
	checks = json_object_get(exp0(j), "checks");
	json_array_foreach(checks, i, c)
	{
		const char *phase = json_string_value(json_object_get(c, "phase"));
		if (strcmp(json_string_value(json_object_get(c, "probe")), "running") == 0) {
			FL_ASSERT_MSG(strcmp(json_string_value(json_object_get(c, "verdict")),
					     "pass") == 0,
				      "running [%s] did not pass", phase);
			if (!first_check)
				first_check = json_integer_value(json_object_get(c, "atMs"));
		}
	}
	FL_ASSERT(first_check >= started);
	FL_ASSERT_EQ(json_array_size(checks), 3); /* running before, ticking, running after */
	xsd_valid("auto");
	expect_clean();
	json_decref(j);
}

/* The samples of probe in phase (NULL: any), and how many carry a verdict. */
static unsigned samples_of(json_t *e, const char *probe, const char *phase, unsigned *judged)
{
	json_t *s;
	size_t i;
	unsigned n = 0;

	*judged = 0;
	json_array_foreach(json_object_get(e, "samples"), i, s)
	{
		if (strcmp(json_string_value(json_object_get(s, "probe")), probe) != 0 ||
		    (phase && strcmp(json_string_value(json_object_get(s, "phase")), phase) != 0))
			continue;
		n++;
		*judged += json_object_get(s, "verdict") != NULL;
	}
	return n;
}

static json_t *check_of(json_t *e, const char *probe, const char *phase)
{
	json_t *c;
	size_t i;

	json_array_foreach(
		json_object_get(e, "checks"), i,
		c) if (strcmp(json_string_value(json_object_get(c, "probe")), probe) == 0 &&
		       strcmp(json_string_value(json_object_get(c, "phase")), phase) == 0) return c;
	return NULL;
}

/*
 * An effect check is judged against its baseline, sampled just before the first fault; the
 * steady-state probes are observed (journaled, not judged) every steadyState.interval while
 * the method runs. The ticker's ticks stand in for "what the fault did": the same check with
 * a bound the ticks cannot reach shows the check failing the experiment (exit 1) with the
 * baseline in its JUnit message.
 */
static const char *effect_experiment(const char *name, const char *delta_min)
{
	static char body[1024];

	(void)snprintf(body, sizeof(body),
		       "  steadyState:\n"
		       "    interval: 500ms\n"
		       "    probes: [{name: running, type: hook, hook: ticker, metric: running,\n"
		       "              tolerance: {equals: 1}}]\n"
		       "  method:\n"
		       "    - pause: 300ms\n"
		       "    - fault: {name: cut, target: ns, kind: partition, duration: 1500ms,\n"
		       "              to: [\"10.9.1.0/24\"]}\n"
		       "    - effect: {name: ticked, type: hook, hook: ticker, metric: ticks,\n"
		       "               tolerance: {delta: {min: %s}}}\n",
		       delta_min);
	return experiment_with_hooks(name,
				     "  hooks: [{name: ticker, module: ticker, config: {interval: "
				     "20ms}, autoStart: true}]\n",
				     body);
}

FLTEST(an_effect_check_is_judged_against_a_baseline_taken_before_the_first_fault)
{
	json_t *j, *e, *c, *s, *f;
	json_int_t base_at = 0, inject_at;
	unsigned judged, n;
	size_t i;

	setup(NULL);
	FL_ASSERT_EQ(wait_exit(spawn_run(effect_experiment("effect", "10"), "effect"), 60), 0);
	j = journal("effect");
	e = exp0(j);
	FL_ASSERT_STREQ(json_string_value(json_object_get(e, "outcome")), "passed");
	f = json_array_get(json_object_get(e, "faults"), 0);
	inject_at = json_integer_value(json_object_get(json_object_get(f, "inject"), "atMs"));
	json_array_foreach(
		json_object_get(e, "samples"), i,
		s) if (strcmp(json_string_value(json_object_get(s, "phase")), "baseline") == 0)
		base_at = json_integer_value(json_object_get(s, "atMs"));
	FL_ASSERT_MSG(base_at > 0 && base_at <= inject_at,
		      "baseline at %lld, fault injected at %lld", (long long)base_at,
		      (long long)inject_at);
	FL_ASSERT_EQ(samples_of(e, "ticked", "baseline", &judged), 1);
	FL_ASSERT_EQ(judged, 0); /* a baseline is not a verdict */
	FL_ASSERT((c = check_of(e, "ticked", "effect")) != NULL);
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "verdict")), "pass");
	fltest_log("%s", json_string_value(json_object_get(c, "message")));
	FL_ASSERT(strstr(json_string_value(json_object_get(c, "message")), "from the baseline"));
	/* observed during the method (1.8 s at 500 ms): journaled without a verdict */
	n = samples_of(e, "running", "during", &judged);
	fltest_log("%u observations of the steady-state probe during the method", n);
	FL_ASSERT(n >= 3);
	FL_ASSERT_EQ(judged, 0);
	FL_ASSERT_EQ(json_integer_value(json_object_get(e, "observeIntervalMs")), 500);
	xsd_valid("effect");
	expect_clean();
	json_decref(j);

	/* The same check with a bound the ticks cannot reach: the effect is missing. */
	FL_ASSERT_EQ(wait_exit(spawn_run(effect_experiment("noeffect", "100000"), "noeffect"), 60),
		     1);
	j = journal("noeffect");
	e = exp0(j);
	FL_ASSERT_STREQ(json_string_value(json_object_get(e, "outcome")), "deviated");
	FL_ASSERT((c = check_of(e, "ticked", "effect")) != NULL);
	FL_ASSERT_STREQ(json_string_value(json_object_get(c, "verdict")), "fail");
	xsd_valid("noeffect");
	{
		char cmd[600];

		(void)snprintf(
			cmd, sizeof(cmd),
			"grep -q '<testcase name=\"ticked \\[effect\\]\"' %s/noeffect.junit.xml "
			"&& grep -q 'from the baseline [0-9]*, below +100000 at ' "
			"%s/noeffect.junit.xml",
			dir, dir);
		FL_ASSERT_MSG(system(cmd) == 0, "no JUnit failure of the effect check with its "
						"baseline");
	}
	expect_clean();
	json_decref(j);
}

FLTEST(a_deviated_hypothesis_exits_1_with_the_value_against_the_rule)
{
	char cmd[512];
	const char *file;

	setup(NULL);
	file = experiment("deviate",
			  "  method:\n"
			  "    - hook: {name: ticker, action: start}\n"
			  "    - pause: 600ms\n"
			  "    - probe: {name: ticking, type: hook, hook: ticker, metric: ticks,\n"
			  "              tolerance: {max: 2}}\n");
	FL_ASSERT_EQ(wait_exit(spawn_run(file, "deviate"), 60), 1);
	xsd_valid("deviate");
	(void)snprintf(
		cmd, sizeof(cmd),
		"grep -q '<failure message=\"ticker ticks [0-9]* &gt; 2 at ' %s/deviate.junit.xml",
		dir);
	FL_ASSERT_MSG(system(cmd) == 0, "no failure stating the value against the rule");
	expect_clean();
}

FLTEST(an_abort_breach_reverts_every_fault_within_1s_and_exits_3)
{
	json_t *j, *e, *f;
	json_int_t abort_at, done = 0;
	const char *file;
	size_t i;

	setup(NULL);
	/* ticks pass 5 after ~0.5 s: the abort probe breaches while two faults are held. */
	file = experiment("abort",
			  "  abort:\n"
			  "    interval: 200ms\n"
			  "    probes: [{name: runaway, type: hook, hook: ticker, metric: ticks,\n"
			  "              tolerance: {max: 5}}]\n"
			  "  method:\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 60s,\n"
			  "              to: [\"10.9.1.0/24\"]}\n"
			  "      background: true\n"
			  "    - fault: {name: lossy, target: ns, kind: loss, duration: 60s,\n"
			  "              loss: {percent: 10%}}\n"
			  "      background: true\n"
			  "    - hook: {name: ticker, action: start}\n"
			  "    - pause: 60s\n");
	FL_ASSERT_EQ(wait_exit(spawn_run(file, "abort"), 30), 3);
	j = journal("abort");
	e = exp0(j);
	FL_ASSERT_STREQ(json_string_value(json_object_get(e, "outcome")), "aborted");
	abort_at = json_integer_value(json_object_get(json_object_get(e, "abort"), "atMs"));
	FL_ASSERT(abort_at > 0);
	FL_ASSERT_EQ(json_array_size(json_object_get(e, "faults")), 2);
	json_array_foreach(json_object_get(e, "faults"), i, f)
	{
		json_t *rv = json_object_get(f, "revert");
		json_int_t end = json_integer_value(json_object_get(rv, "atMs")) +
				 json_integer_value(json_object_get(rv, "durationMs"));
		FL_ASSERT_STREQ(json_string_value(json_object_get(rv, "result")), "ok");
		FL_ASSERT_STREQ(json_string_value(json_object_get(rv, "reason")), "abort");
		if (end > done)
			done = end;
	}
	fltest_log("every fault reverted %lld ms after the breach", (long long)(done - abort_at));
	FL_ASSERT(done - abort_at <= 1000);
	xsd_valid("abort");
	expect_clean();
	json_decref(j);
}

static void wait_active(unsigned n)
{
	for (int i = 0; i < 200; i++) {
		if (active_faults() == n)
			return;
		usleep(50000);
	}
	FL_FAIL("the agent never held %u faults", n);
}

FLTEST(a_background_fault_held_to_its_deadline_is_reverted_for_its_deadline)
{
	json_t *j, *f, *rv;
	json_int_t held;

	setup(NULL);
	/* The method ends at once and waits for the deadline; the keeper and the end of the
	 * method race to revert it, and either way the reason is its deadline. */
	FL_ASSERT_EQ(
		wait_exit(
			spawn_run(
				experiment("background",
					   "  method:\n"
					   "    - fault: {name: cut, target: ns, kind: partition,\n"
					   "              duration: 1s, to: [\"10.9.1.0/24\"]}\n"
					   "      background: true\n"),
				"background"),
			30),
		0);
	j = journal("background");
	f = json_array_get(json_object_get(exp0(j), "faults"), 0);
	rv = json_object_get(f, "revert");
	FL_ASSERT_STREQ(json_string_value(json_object_get(rv, "result")), "ok");
	FL_ASSERT_STREQ(json_string_value(json_object_get(rv, "reason")), "deadline");
	held = json_integer_value(json_object_get(rv, "atMs")) -
	       json_integer_value(json_object_get(json_object_get(f, "inject"), "atMs"));
	FL_ASSERT_MSG(held >= 1000 && held < 3000, "held %lld ms for a 1 s fault", (long long)held);
	expect_clean();
	json_decref(j);
}

FLTEST(sigterm_mid_experiment_reverts_everything_and_exits_3)
{
	const char *file;
	json_t *j, *f;
	pid_t pid;

	setup(NULL);
	file = experiment("sigterm",
			  "  method:\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 60s,\n"
			  "              to: [\"10.9.1.0/24\"]}\n");
	pid = spawn_run(file, "sigterm");
	wait_active(1);
	FL_ASSERT(witness_ours(ns.path, NULL, 0) > 0);
	kill(pid, SIGTERM);
	FL_ASSERT_EQ(wait_exit(pid, 10), 3);
	expect_clean();
	j = journal("sigterm");
	f = json_array_get(json_object_get(exp0(j), "faults"), 0);
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(f, "revert"), "reason")),
			"signal");
	xsd_valid("sigterm");
	json_decref(j);
}

FLTEST(kill_9_of_the_controller_leaves_nothing_once_the_lease_runs_out)
{
	struct timespec t0, t1;
	const char *file;
	pid_t pid;

	setup(NULL);
	file = experiment("kill9",
			  "  method:\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 60s,\n"
			  "              lease: 1s, to: [\"10.9.1.0/24\"]}\n");
	pid = spawn_run(file, "kill9");
	wait_active(1);
	kill(pid, SIGKILL);
	(void)waitpid(pid, NULL, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (active_faults() > 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		FL_ASSERT_MSG(t1.tv_sec - t0.tv_sec < 5, "the fault outlived its 1 s lease by 4 s");
		usleep(50000);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fltest_log("fault gone %.2f s after the controller was killed (lease 1s)",
		   (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	expect_clean();
}

FLTEST(a_fault_the_agent_cannot_revert_is_reported_as_a_leftover_exit_4)
{
	const char *file;
	json_t *j, *left;

	setup("FL_AGENT_TEST_REVERT_FAILURES=2");
	/*
	 * Two reverts fail. The agent's own deadline check and the run's revert reach the 500 ms
	 * deadline together, in either order: with one failure the first of them took it and the
	 * second succeeded (exit 0, seen once). With two, the run's revert fails whichever came
	 * first, and its leftover check finds the fault still there.
	 */
	file = experiment("leftover",
			  "  method:\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 500ms,\n"
			  "              to: [\"10.9.1.0/24\"]}\n");
	FL_ASSERT_EQ(wait_exit(spawn_run(file, "leftover"), 30), 4);
	j = journal("leftover");
	left = json_object_get(exp0(j), "leftovers");
	FL_ASSERT_EQ(json_array_size(left), 1);
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_array_get(left, 0), "kind")),
			"partition");
	/* Not "passed", not "error": something was left, and that is the experiment's outcome. */
	FL_ASSERT_STREQ(json_string_value(json_object_get(exp0(j), "outcome")), "leftovers");
	FL_ASSERT_STREQ(json_string_value(json_object_get(json_object_get(j, "run"), "outcome")),
			"leftovers");
	xsd_valid("leftover");
	{
		char cmd[600];

		(void)snprintf(cmd, sizeof(cmd),
			       "grep -A1 '<testcase name=\"leftovers\"' %s/leftover.junit.xml | "
			       "grep -q '<failure message=\"1 fault'",
			       dir);
		FL_ASSERT_MSG(system(cmd) == 0, "no JUnit failure in a testcase named leftovers");
	}
	/* the leftover check reverted it after reporting it, or the agent's retry (every 1 s)
	 * does when the check's revert took the second failure */
	for (int i = 0; i < 40 && active_faults() > 0; i++)
		usleep(100000);
	expect_clean();
	json_decref(j);
}

FLTEST(plan_prints_targets_mechanisms_and_requests_and_changes_nothing)
{
	char cmd[600], out[8192];
	const char *file;
	size_t n;
	FILE *p;

	setup(NULL);
	file = experiment("plan",
			  "  method:\n"
			  "    - fault: {name: slow, target: ns, kind: network, duration: 30s,\n"
			  "              netem: \"delay 100ms 10ms\"}\n"
			  "    - fault: {name: cut, target: ns, kind: partition, duration: 30s}\n");
	(void)snprintf(cmd, sizeof(cmd), "%s plan %s 2>&1; echo exit=$?", faultline_bin(), file);
	p = popen(cmd, "r");
	FL_ASSERT(p != NULL);
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	pclose(p);
	fltest_log("%s", out);
	FL_ASSERT_CONTAINS(out, ns.path);
	FL_ASSERT_CONTAINS(out, "POST /v1/faults");
	FL_ASSERT_CONTAINS(out, "\"kind\":\"partition\"");
	/* This host kernel has no sch_netem: the delay goes to the delay line. */
	FL_ASSERT_CONTAINS(out, "as kind delay");
	FL_ASSERT_CONTAINS(out, "exit=0");
	expect_clean();
}

FLTEST(schedule_once_runs_the_suite_for_real_and_keeps_its_reports)
{
	char cfg[300], cmd[900], run_dir[400] = "";
	const char *file;
	FILE *f, *p;

	setup(NULL);
	file = experiment(
		"nightly",
		"  method:\n"
		"    - fault: {name: cut, target: ns, kind: partition, duration: 300ms}\n");
	(void)snprintf(cfg, sizeof(cfg), "%s/schedule.yaml", dir);
	f = fopen(cfg, "w");
	FL_ASSERT(f != NULL);
	fprintf(f,
		"apiVersion: faultline/v1\nkind: Schedule\nmetadata: {name: test}\n"
		"spec:\n  historyDir: %s/history\n  timeout: 2m\n  entries:\n"
		"    - {name: gameday, cron: \"* * * * *\", suite: %s, args: [\"--seed\", "
		"\"3\"]}\n",
		dir, file);
	fclose(f);
	(void)snprintf(cmd, sizeof(cmd), "%s schedule %s --once", faultline_bin(), cfg);
	FL_ASSERT_EQ(system(cmd), 0);
	(void)snprintf(cmd, sizeof(cmd), "ls -d %s/history/gameday/*T*Z", dir);
	p = popen(cmd, "r");
	FL_ASSERT(p != NULL);
	FL_ASSERT(fgets(run_dir, sizeof(run_dir), p) != NULL);
	pclose(p);
	run_dir[strcspn(run_dir, "\n")] = '\0';
	fltest_log("history: %s", run_dir);
	(void)snprintf(cmd, sizeof(cmd),
		       "grep -qx 0 %s/exit && test -s %s/journal.json && test -s %s/report.html && "
		       "xmllint --noout --schema tests/data/junit-10.xsd %s/junit.xml",
		       run_dir, run_dir, run_dir, run_dir);
	FL_ASSERT_MSG(system(cmd) == 0, "the scheduled run's exit, journal, report or JUnit");
	expect_clean();
}

FLTEST(the_ci_resilience_stage_script_keeps_reports_and_the_exit_code)
{
	char cmd[900];
	const char *file;

	setup(NULL);
	file = experiment("ci",
			  "  method:\n"
			  "    - hook: {name: ticker, action: start}\n"
			  "    - pause: 300ms\n"
			  "    - probe: {name: ticking, type: hook, hook: ticker, metric: ticks,\n"
			  "              tolerance: {max: 0}}\n");
	(void)snprintf(cmd, sizeof(cmd),
		       "FAULTLINE=%s ci/resilience-stage.sh %s %s/reports -- --quiet > %s/ci.out "
		       "2>&1",
		       faultline_bin(), file, dir, dir);
	{
		int st = system(cmd);
		FL_ASSERT(WIFEXITED(st));
		FL_ASSERT_EQ(WEXITSTATUS(st), 1); /* deviated: ticks > 0 */
	}
	(void)snprintf(
		cmd, sizeof(cmd),
		"grep -q 'resilience stage: DEVIATED' %s/ci.out && test -s %s/reports/journal.json "
		"&& test -s %s/reports/report.html && grep -q DEVIATED %s/reports/summary.txt && "
		"xmllint --noout --schema tests/data/junit-10.xsd %s/reports/junit.xml",
		dir, dir, dir, dir, dir);
	FL_ASSERT_MSG(system(cmd) == 0, "the stage's reports or its message");
	expect_clean();
}
