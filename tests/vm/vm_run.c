/* SPDX-License-Identifier: MIT */
/*
 * The whole product on a kernel that has sch_netem (Debian's stock kernel in qemu): an
 * experiment file with a `kind: network` fault ("delay 100ms 10ms loss 5%") run by the real
 * `faultline run` through the real faultline-agent; the fault's effect measured on the wire
 * by this test from the other end of the link, not taken from the agent's word; the run's
 * exit code and journal checked here, its JUnit validated on the host
 * (tests/vm/test-run.sh: the files leave the VM through /fl/out, see tests/vm/README.md).
 *
 *   ns vrT (the target): vt 10.9.0.1/24   HTTP server :8080, UDP echo :7007
 *                        netem on vt's egress, injected by the agent for the controller
 *   ns vrP (the peer):   vp 10.9.0.2/24   `faultline run` (so its http probes cross the
 *                                         veth), this test's UDP probes
 *
 * The agent runs in the VM's initial namespace and reaches the target by its /run/netns
 * path; the controller reaches the agent over a unix socket (a path: any namespace).
 *
 * Thresholds, derived from the fault rather than tuned:
 *   - delay: only the target's egress is delayed, so a round trip from the peer gains the
 *     delay once: median RTT >= 0.9 x DELAY_MS (the ask of the experiment too: the method
 *     probe's tolerance), and < 1.5 x DELAY_MS, half way to the 2 x DELAY_MS that a delay
 *     in both directions would add;
 *   - loss: only the echo's reply crosses the netem, so each probe is lost with probability
 *     LOSS_PCT, independently: the count lost of LOSS_PROBES must lie within the binomial's
 *     central range that leaves out at most LOSS_ALPHA on each side (computed below);
 *   - the baseline with the same probes must lose nothing, so every loss seen is netem's.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "agentenv.h"
#include "faultutil.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

#define TARGET_IP  "10.9.0.1"
#define HTTP_PORT  8080
#define ECHO_PORT  7007
#define DELAY_MS   100
#define JITTER_MS  10
#define LOSS_PCT   5.0
#define NETEM_TEXT "delay 100ms 10ms loss 5%"
/* A destination on the target's link that nobody talks to: the fault that cannot matter. */
#define NOBODY "10.9.0.99/32"
/*
 * Loss: 400 probes at 5% expect 20 lost, and the 1e-6 range is 3..44, so "some lost, not
 * too many" is decided in 2 s (5 ms apart). 1% would need 2000 probes for the same range,
 * and TCG cannot send them faster: 1 ms apart, the baseline's RTT p50 was 23 ms, p99 447 ms.
 */
#define LOSS_PROBES	 400u
#define LOSS_INTERVAL_US 5000u
#define LOSS_ALPHA	 1e-6
/* How long an answer may take: the delay + jitter, with TCG's hiccups far below 1 s. */
#define PROBE_TIMEOUT_MS 1000u
/* The fault must outlast the run's start and inject (1.5 s here) and the loss measurement
 * (400 x 5 ms + the 1 s answer timeout): 10 s leaves twice that for a loaded machine; the
 * test fails, saying so, if the fault ended first. The negative case sends 20 probes. */
#define FAULT_SECONDS	   10
#define MISS_FAULT_SECONDS 4
/* Where vm.sh collects files for the host (tests/vm/README.md, --out). */
#define OUT_DIR "/fl/out"

/* ---- a minimal HTTP server in the target namespace --------------------------------- */

struct web {
	int lfd, stop[2];
	pthread_t thread;
	bool running;
	/* Requests answered, by path: the steady-state probe asks /up (before, after, and the
	 * observations in between), the method probe /slow. */
	atomic_uint up, slow;
};

/* Answers one request; returns its counter (by path), or NULL when nothing was answered. */
static atomic_uint *web_serve(struct web *w, int fd)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				   "Content-Length: 3\r\nConnection: close\r\n\r\nok\n";
	struct timeval tv = { .tv_sec = 10 };
	char req[4096];
	size_t len = 0;
	ssize_t n;

	/* A lost segment is retransmitted within a second or two; 10 s is a dead client. */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (len < sizeof(req) - 1 && (n = read(fd, req + len, sizeof(req) - 1 - len)) > 0) {
		len += (size_t)n;
		req[len] = '\0';
		if (strstr(req, "\r\n\r\n")) {
			if (write(fd, resp, sizeof(resp) - 1) != (ssize_t)sizeof(resp) - 1)
				return NULL;
			return strncmp(req, "GET /slow ", 10) == 0 ? &w->slow : &w->up;
		}
	}
	return NULL;
}

static void *web_main(void *arg)
{
	struct web *w = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = w->lfd, .events = POLLIN },
				       { .fd = w->stop[0], .events = POLLIN } };
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			atomic_uint *counter = web_serve(w, fd);

			if (counter)
				atomic_fetch_add(counter, 1);
			close(fd);
		}
	}
	return NULL;
}

static void web_stop_cb(void *arg)
{
	struct web *w = arg;

	if (w->running) {
		(void)!write(w->stop[1], "x", 1);
		pthread_join(w->thread, NULL);
		w->running = false;
	}
	close(w->lfd);
	close(w->stop[0]);
	close(w->stop[1]);
}

static void web_start(const struct testnet_ns *ns, struct web *w)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(HTTP_PORT) };
	int one = 1;

	inet_pton(AF_INET, TARGET_IP, &sa.sin_addr);
	w->lfd = testnet_socket(ns, AF_INET, SOCK_STREAM, 0);
	if (w->lfd < 0)
		FL_FAIL("web socket: %s", testnet_last_error());
	if (pipe2(w->stop, O_CLOEXEC) < 0)
		FL_FAIL("pipe: %s", strerror(errno));
	fltest_defer(web_stop_cb, w);
	(void)setsockopt(w->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(w->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(w->lfd, 16) < 0)
		FL_FAIL("web listen on %s:%d: %s", TARGET_IP, HTTP_PORT, strerror(errno));
	if (pthread_create(&w->thread, NULL, web_main, w) != 0)
		FL_FAIL("web thread");
	w->running = true;
}

/* ---- the two namespaces, the agent, the experiment ---------------------------------- */

static struct testnet_ns ns_t, ns_p;
static struct netprobe_echo *echo;
static struct web web;
static struct agentenv agent;
static struct fl_nl *nl_t;
static char dir[] = "/tmp/fl-vmrun-XXXXXX";
/* The target namespace before the run, as the witness sees it (tests/lib/witness.h). */
static char before[WITNESS_SNAPSHOT_MAX];

static pid_t run_pid; /* a `faultline run` not reaped yet */

/* The scratch directory holds only files: the experiment, its reports and output. */
static void rm_dir(void *arg)
{
	struct dirent *de;
	DIR *d = opendir(arg);

	while (d && (de = readdir(d)))
		if (de->d_type == DT_REG)
			(void)unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	(void)rmdir(arg);
}

/* A test that fails mid-run does not leave its controller running. */
static void kill_run(void *arg)
{
	(void)arg;
	if (run_pid > 0) {
		kill(run_pid, SIGKILL);
		(void)waitpid(run_pid, NULL, 0);
		run_pid = 0;
	}
}

static void setup(void)
{
	fltest_set_timeout(240);
	if (testnet_ns_create("vrT", &ns_t) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_t);
	if (testnet_ns_create("vrP", &ns_p) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_p);
	if (testnet_veth(&ns_t, "vt", TARGET_IP "/24", &ns_p, "vp", "10.9.0.2/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	if (netprobe_echo_start(&ns_t, "0.0.0.0", ECHO_PORT, &echo) < 0)
		FL_FAIL("echo: %s", testnet_last_error());
	fltest_defer(netprobe_echo_stop_cb, &echo);
	web_start(&ns_t, &web);
	nl_t = faultutil_nl(&ns_t);
	agent.extra[agent.n_extra++] = "--cri-socket=";
	agentenv_start(&agent);
	if (!mkdtemp(dir))
		FL_FAIL("mkdtemp: %s", strerror(errno));
	fltest_defer(rm_dir, dir);
	fltest_defer(kill_run, NULL);
	witness_snapshot(ns_t.path, before, sizeof(before));
}

/*
 * The experiment: steady state = the web answers 200; method = the netem fault in the
 * background for `seconds`, then an http probe during it that expects the delay (>= 0.9 x).
 * `to` aims the fault (NULL: all traffic).
 */
static const char *experiment(const char *tag, const char *to, int seconds)
{
	static char path[256];
	char aim[64] = "";
	FILE *f;

	if (to)
		(void)snprintf(aim, sizeof(aim), ", to: [\"%s\"]", to);
	(void)snprintf(path, sizeof(path), "%s/%s.yaml", dir, tag);
	f = fopen(path, "w");
	if (!f)
		FL_FAIL("%s: %s", path, strerror(errno));
	fprintf(f,
		"apiVersion: faultline/v1\n"
		"kind: Experiment\n"
		"metadata: {name: %s, description: \"the web stays up while it is %d ms away\"}\n"
		"spec:\n"
		"  seed: 1\n"
		"  agents: [{name: vm, address: \"%s\"}]\n"
		"  targets:\n"
		"    web: {netns: \"%s\", interface: vt}\n"
		"  steadyState:\n"
		"    probes:\n"
		"      - {name: web-up, type: http, url: \"http://%s:%d/up\",\n"
		"         tolerance: {metric: status, equals: 200}}\n"
		"  method:\n"
		"    - fault: {name: slow-web, target: web, kind: network, duration: %ds,\n"
		"              netem: \"%s\"%s}\n"
		"      background: true\n"
		"    - probe: {name: web-slow, type: http, url: \"http://%s:%d/slow\", timeout: "
		"10s,\n"
		"              tolerance: {metric: latencyMs, min: %g}}\n",
		tag, DELAY_MS, agent.address, ns_t.path, TARGET_IP, HTTP_PORT, seconds, NETEM_TEXT,
		aim, TARGET_IP, HTTP_PORT, 0.9 * DELAY_MS);
	fclose(f);
	return path;
}

static const char *faultline_bin(void)
{
	return access("build/faultline", X_OK) == 0 ? "build/faultline" : "/bin/faultline";
}

/* `faultline run FILE` inside the peer namespace, its output into <tag>.out. */
static pid_t spawn_run(const char *file, const char *tag)
{
	char junit[256], journal[256], out[256];
	pid_t pid;

	(void)snprintf(junit, sizeof(junit), "%s/%s.junit.xml", dir, tag);
	(void)snprintf(journal, sizeof(journal), "%s/%s.journal.json", dir, tag);
	(void)snprintf(out, sizeof(out), "%s/%s.out", dir, tag);
	pid = fork();
	if (pid == 0) {
		int nsfd = open(ns_p.path, O_RDONLY | O_CLOEXEC);
		int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (nsfd < 0 || ofd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
			_exit(126);
		(void)dup2(ofd, STDOUT_FILENO);
		(void)dup2(ofd, STDERR_FILENO);
		execl(faultline_bin(), "faultline", "run", file, "--junit", junit, "--journal",
		      journal, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		FL_FAIL("fork: %s", strerror(errno));
	run_pid = pid;
	return pid;
}

static void show_output(const char *tag)
{
	char path[256], *text, *save = NULL;

	(void)snprintf(path, sizeof(path), "%s/%s.out", dir, tag);
	text = fltest_read_file(path, NULL);
	for (char *l = text ? strtok_r(text, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save))
		fltest_log("| %s", l);
	free(text);
}

static int wait_exit(pid_t pid, const char *tag, int timeout_s)
{
	for (int i = 0; i < timeout_s * 20; i++) {
		int st;

		if (waitpid(pid, &st, WNOHANG) == pid) {
			run_pid = 0;
			show_output(tag);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(50000);
	}
	kill_run(NULL);
	show_output(tag);
	FL_FAIL("faultline run did not end within %d s", timeout_s);
}

/* ---- what the wire and the kernel say --------------------------------------------- */

static struct netprobe_rtt rtt(const char *what, unsigned count, unsigned interval_us)
{
	struct netprobe_rtt r;

	if (netprobe_udp_rtt(&ns_p, TARGET_IP, ECHO_PORT, count, interval_us, PROBE_TIMEOUT_MS,
			     &r) < 0)
		FL_FAIL("probe: %s", testnet_last_error());
	fltest_log("wire, %s: %u/%u answered (%u lost), RTT min %.2f p50 %.2f avg %.2f p99 %.2f "
		   "max %.2f ms",
		   what, r.received, r.sent, r.sent - r.received, r.min_ms, r.p50_ms, r.avg_ms,
		   r.p99_ms, r.max_ms);
	return r;
}

/* 1 when Faultline's egress fault is on vt (read straight from the kernel), else 0. */
static int fault_on_wire(struct fl_netem_fault *ret)
{
	struct fl_netem_fault got;
	struct fl_diag diag = { 0 };
	int r = fl_netem_read(nl_t, "vt", FL_NETEM_EGRESS, &got, &diag);

	if (r < 0)
		FL_FAIL("read back vt: %s", diag.msg);
	if (r == 1 && ret)
		*ret = got;
	return r;
}

/* Faults the agent lists as active: its list holds a fault only once it was applied and
 * verified, so the tree on vt is complete (read it before and see a half-built one). */
static unsigned agent_active_faults(void)
{
	json_t *body = NULL, *f;
	unsigned n = 0;
	size_t i;

	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &body), 200);
	json_array_foreach(json_object_get(body, "faults"), i, f)
	{
		if (strcmp(json_string_value(json_object_get(f, "state")) ?: "", "active") == 0)
			n++;
	}
	json_decref(body);
	return n;
}

static void expect_running(pid_t run, const char *tag, const char *what)
{
	int st;

	if (waitpid(run, &st, WNOHANG) == run) {
		run_pid = 0;
		show_output(tag);
		FL_FAIL("faultline run ended (status %d) before %s",
			WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), what);
	}
}

/*
 * Waits (30 s at most) for the run's fault to be in place, then reads it back from the
 * kernel: the agent's list only says when to look. Every 100 ms: under TCG each request
 * costs the emulated CPU the run's probes share. Fails if the run ends first.
 */
static struct fl_netem_fault wait_fault(pid_t run, const char *tag)
{
	struct fl_netem_fault got;

	for (int i = 0; i < 300; i++) {
		if (agent_active_faults() > 0) {
			FL_ASSERT_MSG(fault_on_wire(&got) == 1,
				      "the agent lists the fault, but vt has none");
			return got;
		}
		expect_running(run, tag, "its fault was in place");
		usleep(100000);
	}
	FL_FAIL("no fault in place 30 s after faultline run started");
}

/*
 * Waits (30 s at most) until the web has answered the run's method probe: the measurements
 * start after it, so that the two do not share the emulated CPU.
 */
static void wait_method_probe(pid_t run, const char *tag)
{
	for (int i = 0; i < 1500 && atomic_load(&web.slow) == 0; i++) {
		expect_running(run, tag, "its method probe was answered");
		usleep(20000);
	}
	FL_ASSERT_MSG(atomic_load(&web.slow) > 0, "the method probe never reached the web");
}

/* The run's probes came through the veth: the method probe once, the steady state's at
 * least before and after. */
static void expect_served(void)
{
	FL_ASSERT_EQ(atomic_load(&web.slow), 1);
	FL_ASSERT_MSG(atomic_load(&web.up) >= 2, "the steady-state probe was answered %u times",
		      atomic_load(&web.up));
}

static void expect_read_back(const struct fl_netem_fault *got, unsigned n_matches)
{
	FL_ASSERT_EQ(got->kind, FL_NETEM_FAULT_NETEM);
	FL_ASSERT_EQ(got->netem.delay_ns, DELAY_MS * 1000000ull);
	FL_ASSERT_EQ(got->netem.jitter_ns, JITTER_MS * 1000000ull);
	FL_ASSERT_EQ(got->netem.loss.model, FL_NETEM_LOSS_RANDOM);
	FL_ASSERT_MSG(fabs(got->netem.loss.percent - LOSS_PCT) < 1e-6, "loss %g%%, asked %g%%",
		      got->netem.loss.percent, LOSS_PCT);
	FL_ASSERT_EQ(got->n_matches, n_matches);
}

/* P(X = k) for X ~ Binomial(n, p), through logarithms (n = 2000 overflows the factorials). */
static double binomial_pmf(unsigned n, unsigned k, double p)
{
	return exp(lgamma(n + 1.0) - lgamma(k + 1.0) - lgamma((double)(n - k) + 1.0) + k * log(p) +
		   (double)(n - k) * log1p(-p));
}

/*
 * The central range [lo, hi] of Binomial(n, p) that leaves out at most alpha on each side:
 * P(X < lo) <= alpha and P(X > hi) <= alpha (exact sums of the probabilities).
 */
static void binomial_range(unsigned n, double p, double alpha, unsigned *lo, unsigned *hi)
{
	double cum = 0;

	for (*lo = 0; *lo < n && cum + binomial_pmf(n, *lo, p) <= alpha; (*lo)++)
		cum += binomial_pmf(n, *lo, p);
	cum = 0;
	for (*hi = n; *hi > 0 && cum + binomial_pmf(n, *hi, p) <= alpha; (*hi)--)
		cum += binomial_pmf(n, *hi, p);
}

/* ---- what the run says -------------------------------------------------------------- */

static json_t *load_journal(const char *tag)
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

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key)) ?: "(none)";
}

/* The check of probe in phase (exactly one). */
static json_t *check(json_t *x, const char *probe, const char *phase)
{
	json_t *c, *found = NULL;
	size_t i;

	json_array_foreach(json_object_get(x, "checks"), i, c)
	{
		if (strcmp(jstr(c, "probe"), probe) == 0 && strcmp(jstr(c, "phase"), phase) == 0) {
			FL_ASSERT_MSG(!found, "two checks of %s [%s]", probe, phase);
			found = c;
		}
	}
	FL_ASSERT_MSG(found, "no check of %s [%s] in the journal", probe, phase);
	return found;
}

/*
 * What both runs share: one experiment with the given outcome, the steady state passed
 * before and after, one fault injected as netem (not a fallback) with the asked options and
 * reverted at its deadline, no leftovers. Returns the during check's latency.
 */
static double expect_journal(json_t *j, const char *outcome, int exit_code, const char *to)
{
	json_t *x = json_array_get(json_object_get(j, "experiments"), 0), *f, *c, *req;

	FL_ASSERT_STREQ(jstr(json_object_get(j, "run"), "outcome"), outcome);
	FL_ASSERT_EQ(json_integer_value(json_object_get(json_object_get(j, "run"), "exitCode")),
		     exit_code);
	FL_ASSERT_EQ(json_array_size(json_object_get(j, "experiments")), 1);
	FL_ASSERT_STREQ(jstr(x, "outcome"), outcome);
	FL_ASSERT_STREQ(jstr(check(x, "web-up", "before"), "verdict"), "pass");
	FL_ASSERT_STREQ(jstr(check(x, "web-up", "after"), "verdict"), "pass");

	FL_ASSERT_EQ(json_array_size(json_object_get(x, "faults")), 1);
	f = json_array_get(json_object_get(x, "faults"), 0);
	req = json_object_get(f, "request");
	FL_ASSERT_STREQ(jstr(f, "kind"), "network");
	FL_ASSERT_STREQ(jstr(f, "mechanism"), "netem");
	FL_ASSERT_STREQ(jstr(req, "netem"), NETEM_TEXT);
	FL_ASSERT_STREQ(jstr(req, "interface"), "vt");
	FL_ASSERT_STREQ(jstr(json_object_get(req, "target"), "netns"), ns_t.path);
	if (to)
		FL_ASSERT_STREQ(json_string_value(json_array_get(json_object_get(req, "to"), 0)),
				to);
	else
		FL_ASSERT(!json_object_get(req, "to"));
	FL_ASSERT_STREQ(jstr(json_object_get(f, "inject"), "result"), "ok");
	FL_ASSERT_STREQ(jstr(json_object_get(f, "revert"), "result"), "ok");
	FL_ASSERT_STREQ(jstr(json_object_get(f, "revert"), "reason"), "deadline");
	FL_ASSERT_EQ(json_array_size(json_object_get(x, "leftovers")), 0);

	c = check(x, "web-slow", "during");
	FL_ASSERT_STREQ(jstr(c, "metric"), "latencyMs");
	FL_ASSERT_MSG(json_is_number(json_object_get(c, "observed")), "no latency observed");
	fltest_log("run: %s, exit %d; during: %s (%s)", outcome, exit_code, jstr(c, "verdict"),
		   jstr(c, "message"));
	return json_number_value(json_object_get(c, "observed"));
}

/* The during sample's HTTP status: the slow answers were answers. */
static double during_status(json_t *j)
{
	json_t *x = json_array_get(json_object_get(j, "experiments"), 0), *s;
	size_t i;

	json_array_foreach(json_object_get(x, "samples"), i, s)
	{
		if (strcmp(jstr(s, "probe"), "web-slow") == 0)
			return json_number_value(
				json_object_get(json_object_get(s, "values"), "status"));
	}
	FL_FAIL("no sample of web-slow in the journal");
}

/* Nothing of the run is left: the witness sees the target as it was, the agent holds none. */
static void expect_clean(void)
{
	static char after[WITNESS_SNAPSHOT_MAX];
	json_t *body = NULL, *f;
	size_t i;

	witness_expect_clean(ns_t.path, "after the run");
	witness_snapshot(ns_t.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
	FL_ASSERT_EQ(agentenv_request(&agent, "GET", "/v1/faults", NULL, &body), 200);
	json_array_foreach(json_object_get(body, "faults"), i, f)
	{
		FL_ASSERT_MSG(strcmp(jstr(f, "state"), "done") == 0, "fault %s is still %s",
			      jstr(f, "id"), jstr(f, "state"));
	}
	json_decref(body);
}

/* The run's JUnit and journal to /fl/out for the host (outside vm.sh: nothing to do). */
static void export(const char *tag)
{
	static const char *const ext[] = { ".junit.xml", ".journal.json" };
	char from[256], to[256];
	struct stat st;

	if (stat(OUT_DIR, &st) < 0)
		return;
	for (unsigned i = 0; i < 2; i++) {
		size_t len;
		char *text;
		FILE *f;

		(void)snprintf(from, sizeof(from), "%s/%s%s", dir, tag, ext[i]);
		(void)snprintf(to, sizeof(to), "%s/%s%s", OUT_DIR, tag, ext[i]);
		text = fltest_read_file(from, &len);
		FL_ASSERT_MSG(text, "%s: %s", from, strerror(errno));
		f = fopen(to, "w");
		FL_ASSERT_MSG(f && fwrite(text, 1, len, f) == len && fclose(f) == 0, "%s: %s", to,
			      strerror(errno));
		free(text);
	}
}

/* ---- the tests ------------------------------------------------------------------------ */

FLTEST(netem_experiment_runs_end_to_end_and_shows_on_the_wire)
{
	struct netprobe_rtt base, hit, after;
	struct fl_netem_fault got;
	unsigned lo, hi, lost;
	double latency;
	json_t *j;
	pid_t run;

	setup();
	binomial_range(LOSS_PROBES, LOSS_PCT / 100, LOSS_ALPHA, &lo, &hi);
	base = rtt("baseline", LOSS_PROBES, LOSS_INTERVAL_US);
	FL_ASSERT_MSG(base.received == base.sent, "the baseline already loses %u of %u",
		      base.sent - base.received, base.sent);

	run = spawn_run(experiment("netem-pass", NULL, FAULT_SECONDS), "netem-pass");
	got = wait_fault(run, "netem-pass");
	expect_read_back(&got, 0);
	wait_method_probe(run, "netem-pass");
	hit = rtt("netem on", LOSS_PROBES, LOSS_INTERVAL_US);
	FL_ASSERT_MSG(fault_on_wire(NULL) == 1,
		      "the fault was gone before the measurement ended: raise FAULT_SECONDS");
	lost = hit.sent - hit.received;
	fltest_log("asked delay %d ms (jitter %d ms), loss %.1f%%: measured RTT p50 %.2f ms "
		   "(baseline %.2f), lost %u of %u (expected %.0f, bounds %u..%u)",
		   DELAY_MS, JITTER_MS, LOSS_PCT, hit.p50_ms, base.p50_ms, lost, hit.sent,
		   hit.sent * LOSS_PCT / 100, lo, hi);
	FL_ASSERT_MSG(hit.p50_ms >= 0.9 * DELAY_MS && hit.p50_ms < 1.5 * DELAY_MS,
		      "median RTT %.2f ms; a %d ms egress delay gives %.0f..%.0f ms", hit.p50_ms,
		      DELAY_MS, 0.9 * DELAY_MS, 1.5 * DELAY_MS);
	FL_ASSERT_MSG(lost >= lo && lost <= hi, "lost %u of %u at %.1f%%, outside %u..%u", lost,
		      hit.sent, LOSS_PCT, lo, hi);

	FL_ASSERT_EQ(wait_exit(run, "netem-pass", 90), 0);
	expect_served();
	j = load_journal("netem-pass");
	latency = expect_journal(j, "passed", 0, NULL);
	FL_ASSERT_MSG(latency >= 0.9 * DELAY_MS, "the run's during latency %.1f ms", latency);
	FL_ASSERT_EQ(during_status(j), 200);
	FL_ASSERT_STREQ(jstr(check(json_array_get(json_object_get(j, "experiments"), 0), "web-slow",
				   "during"),
			     "verdict"),
			"pass");
	json_decref(j);

	expect_clean();
	after = rtt("after the run", 20, 20000);
	FL_ASSERT_MSG(after.received == after.sent && after.p50_ms < base.p50_ms + 10,
		      "the wire is not back to its baseline: p50 %.2f ms, %u of %u answered",
		      after.p50_ms, after.received, after.sent);
	export("netem-pass");
}

/* The check can fail: the same ask, with the fault aimed where no traffic goes. */
FLTEST(netem_aimed_where_it_cannot_matter_is_reported_deviated)
{
	struct netprobe_rtt spared;
	struct fl_netem_fault got;
	double latency;
	json_t *j;
	pid_t run;

	setup();
	run = spawn_run(experiment("netem-miss", NOBODY, MISS_FAULT_SECONDS), "netem-miss");
	got = wait_fault(run, "netem-miss");
	expect_read_back(&got, 1);
	wait_method_probe(run, "netem-miss");
	spared = rtt("netem on, aimed at " NOBODY, 20, 20000);
	FL_ASSERT_MSG(fault_on_wire(NULL) == 1, "the fault was gone before the measurement ended");
	FL_ASSERT_MSG(spared.received == spared.sent && spared.p50_ms < 0.9 * DELAY_MS,
		      "traffic to the peer was hit: p50 %.2f ms, %u of %u answered", spared.p50_ms,
		      spared.received, spared.sent);

	FL_ASSERT_EQ(wait_exit(run, "netem-miss", 90), 1);
	expect_served();
	j = load_journal("netem-miss");
	latency = expect_journal(j, "deviated", 1, NOBODY);
	FL_ASSERT_MSG(latency < 0.9 * DELAY_MS, "the run's during latency %.1f ms", latency);
	FL_ASSERT_STREQ(jstr(check(json_array_get(json_object_get(j, "experiments"), 0), "web-slow",
				   "during"),
			     "verdict"),
			"fail");
	json_decref(j);
	expect_clean();
	export("netem-miss");
}
