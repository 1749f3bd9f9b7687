/* SPDX-License-Identifier: MIT */
/*
 * The agent, measured: inject -> verified (the 201 of POST /v1/faults) and revert (the 200
 * of DELETE) latencies over its unix socket, side by side with what a user or another tool
 * does per change — spawn `ip netns exec NS nft -f FILE` / `nft delete table` or
 * `tc qdisc replace` / `tc qdisc del` — on the same namespace, interleaved, in one run.
 * Then the agent's resident memory idle and with 500 active faults.
 *
 *   bench_agent [--changes N] [--kind nft|tbf|netem] [--ip P] [--tc P] [--nft P] [--rss]
 *
 * A benchmark: it prints figures and never fails on speed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent_client.h"
#include "benchutil.h"
#include "testnet.h"

static struct fl_agent_client *client;
static pid_t agent_pid;
static char dir[64] = "/tmp/fl-bench-XXXXXX";
static bool dir_made;

static int request(const char *method, const char *path, const char *body, char *ret_id,
		   size_t size)
{
	struct fl_diag diag = { 0 };
	char *resp = NULL;
	int status = 0;

	if (fl_agent_request(client, method, path, body, &status, &resp, &diag) < 0) {
		fprintf(stderr, "bench: %s %s: %s\n", method, path, diag.msg);
		return -1;
	}
	if (ret_id && resp) {
		const char *p = strstr(resp, "\"id\": \"");

		if (p)
			(void)snprintf(ret_id, size, "%.*s", (int)strcspn(p + 7, "\""), p + 7);
	}
	if (status >= 300)
		fprintf(stderr, "bench: %s %s -> %d: %s\n", method, path, status, resp ? resp : "");
	free(resp);
	return status;
}

static long rss_kib(void)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	(void)snprintf(path, sizeof(path), "/proc/%d/status", agent_pid);
	if (!(f = fopen(path, "re")))
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	fclose(f);
	return kib;
}

/* The scratch directory: socket, ledger (empty after a clean stop), log, rules file. */
static void cleanup_dir(void)
{
	static const char *const names[] = { "agent.sock", "agent.log", "rules.nft" };
	char path[128];

	if (!dir_made)
		return;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		(void)unlink(path);
	}
	(void)snprintf(path, sizeof(path), "%s/ledger", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
}

static int start_agent(void)
{
	const char *bin = getenv("FL_AGENT_BIN");
	char sock[128], ledger[128], log[128], address[140];
	struct fl_agent_client_config cfg = { .address = address };
	struct fl_diag diag = { 0 };
	posix_spawn_file_actions_t fa;
	char *argv[8];

	if (!bin)
		bin = access("build/faultline-agent", X_OK) == 0 ? "build/faultline-agent"
								 : "/bin/faultline-agent";
	if (!mkdtemp(dir))
		return -errno;
	dir_made = true;
	(void)snprintf(sock, sizeof(sock), "--unix-socket=%s/agent.sock", dir);
	(void)snprintf(ledger, sizeof(ledger), "--ledger-dir=%s/ledger", dir);
	(void)snprintf(log, sizeof(log), "%s/agent.log", dir);
	(void)snprintf(address, sizeof(address), "unix:%s/agent.sock", dir);
	argv[0] = (char *)bin;
	argv[1] = sock;
	argv[2] = ledger;
	argv[3] = "--cri-socket=";
	argv[4] = "--log-level=warning";
	argv[5] = "--netns-dir=";
	argv[6] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log, O_WRONLY | O_CREAT, 0644);
	if (posix_spawn(&agent_pid, bin, &fa, NULL, argv, environ) != 0)
		return -EIO;
	posix_spawn_file_actions_destroy(&fa);
	if (fl_agent_client_new(&cfg, &client, &diag) < 0)
		return -EIO;
	for (int i = 0; i < 200; i++) {
		struct fl_diag d = { 0 };
		char *resp = NULL;
		int status = 0;

		/* Quietly: connection refused is expected until the socket exists. */
		if (fl_agent_request(client, "GET", "/v1/health", NULL, &status, &resp, &d) == 0 &&
		    status == 200) {
			free(resp);
			return 0;
		}
		free(resp);
		usleep(25000);
	}
	return -ETIMEDOUT;
}

struct sides {
	double *api_in, *api_out, *cli_in, *cli_out;
};

static void report(const char *what, const char *cli, struct sides *s, int n)
{
	double a50 = bench_pct(s->api_in, n, 50), a99 = bench_pct(s->api_in, n, 99);
	double c50 = bench_pct(s->cli_in, n, 50), c99 = bench_pct(s->cli_in, n, 99);
	double r50 = bench_pct(s->api_out, n, 50), r99 = bench_pct(s->api_out, n, 99);
	double d50 = bench_pct(s->cli_out, n, 50), d99 = bench_pct(s->cli_out, n, 99);

	printf("%s, %d faults\n", what, n);
	printf("%-46s %9s %9s\n", "", "p50 ms", "p99 ms");
	printf("%-46s %9.3f %9.3f\n", "agent: POST /v1/faults (inject + verify)", a50, a99);
	printf("%-46s %9.3f %9.3f\n", cli, c50, c99);
	printf("%-46s %8.1fx %8.1fx\n", "  ratio (spawn / agent)", c50 / a50, c99 / a99);
	printf("%-46s %9.3f %9.3f\n", "agent: DELETE /v1/faults/{id} (revert)", r50, r99);
	printf("%-46s %9.3f %9.3f\n", "spawn: remove", d50, d99);
	printf("%-46s %8.1fx %8.1fx\n", "  ratio (spawn / agent)", d50 / r50, d99 / r99);
	printf("BENCH agent %s n=%d api_inject_p50=%.3f api_inject_p99=%.3f spawn_p50=%.3f "
	       "spawn_p99=%.3f api_revert_p50=%.3f api_revert_p99=%.3f spawn_del_p50=%.3f "
	       "spawn_del_p99=%.3f\n",
	       what, n, a50, a99, c50, c99, r50, r99, d50, d99);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "changes", required_argument, NULL, 'n' },
					      { "kind", required_argument, NULL, 'k' },
					      { "ip", required_argument, NULL, 'i' },
					      { "tc", required_argument, NULL, 't' },
					      { "nft", required_argument, NULL, 'f' },
					      { "rss", no_argument, NULL, 'r' },
					      { NULL, 0, NULL, 0 } };
	const char *kind = "nft", *ip = "/usr/sbin/ip", *tc = "/usr/sbin/tc",
		   *nft = "/usr/sbin/nft";
	struct testnet_ns a = { 0 }, b = { 0 };
	struct sides s;
	bool rss = false;
	int n = 200, c, rc = 1;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = (int)strtol(optarg, NULL, 10);
			if (n < 10 || n > 100000)
				return 2;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'i':
			ip = optarg;
			break;
		case 't':
			tc = optarg;
			break;
		case 'f':
			nft = optarg;
			break;
		case 'r':
			rss = true;
			break;
		default:
			fprintf(stderr, "usage: bench_agent [--changes N] [--kind nft|tbf|netem] "
					"[--ip P] [--tc P] [--nft P] [--rss]\n");
			return 2;
		}
	}
	s.api_in = calloc((size_t)n, sizeof(double));
	s.api_out = calloc((size_t)n, sizeof(double));
	s.cli_in = calloc((size_t)n, sizeof(double));
	s.cli_out = calloc((size_t)n, sizeof(double));
	if (!s.api_in || !s.api_out || !s.cli_in || !s.cli_out)
		return 1;
	if (testnet_ns_create("bagA", &a) < 0 || testnet_ns_create("bagB", &b) < 0 ||
	    testnet_veth(&a, "va", "10.9.0.1/24", &b, "vb", "10.9.0.2/24") < 0) {
		fprintf(stderr, "bench: namespaces: %s\n", testnet_last_error());
		goto out;
	}
	if (start_agent() < 0) {
		fprintf(stderr, "bench: cannot start the agent (see %s/agent.log)\n", dir);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char body[512], id[48] = "", path[96], file[128];
		double t0;

		/* The same change both ways: a distinct peer / rate each time. */
		if (strcmp(kind, "nft") == 0)
			(void)snprintf(body, sizeof(body),
				       "{\"kind\":\"partition\",\"target\":{\"netns\":\"%s\"},"
				       "\"duration\":\"10m\",\"direction\":\"egress\","
				       "\"to\":[\"10.77.%d.%d/32\"]}",
				       a.path, i / 250, i % 250 + 1);
		else if (strcmp(kind, "tbf") == 0)
			(void)snprintf(body, sizeof(body),
				       "{\"kind\":\"bandwidth\",\"target\":{\"netns\":\"%s\"},"
				       "\"interface\":\"va\",\"duration\":\"10m\","
				       "\"bandwidth\":{\"rate\":\"%dmbit\",\"burst\":\"32kb\"}}",
				       a.path, 10 + i % 10);
		else
			(void)snprintf(body, sizeof(body),
				       "{\"kind\":\"network\",\"target\":{\"netns\":\"%s\"},"
				       "\"interface\":\"va\",\"duration\":\"10m\","
				       "\"netem\":\"delay %dms\"}",
				       a.path, 10 + i % 10);
		t0 = bench_now_ms();
		if (request("POST", "/v1/faults", body, id, sizeof(id)) != 201)
			goto out;
		s.api_in[i] = bench_now_ms() - t0;
		(void)snprintf(path, sizeof(path), "/v1/faults/%s", id);
		t0 = bench_now_ms();
		if (request("DELETE", path, NULL, NULL, 0) != 200)
			goto out;
		s.api_out[i] = bench_now_ms() - t0;

		if (strcmp(kind, "nft") == 0) {
			char *add[] = { (char *)ip,  "netns", "exec", a.name,
					(char *)nft, "-f",    "-",    NULL };
			char *del[] = { (char *)ip, "netns", "exec", a.name,  (char *)nft,
					"delete",   "table", "inet", "bench", NULL };
			FILE *f;

			(void)snprintf(file, sizeof(file), "%s/rules.nft", dir);
			f = fopen(file, "we");
			if (!f)
				goto out;
			fprintf(f,
				"table inet bench {\n chain out {\n  type filter hook output "
				"priority "
				"-160; policy accept;\n  oifname \"lo\" accept\n  ip daddr "
				"10.77.%d.%d "
				"drop\n }\n}\n",
				i / 250, i % 250 + 1);
			fclose(f);
			t0 = bench_now_ms();
			if (bench_spawn_wait(add, file) < 0) {
				fprintf(stderr, "bench: nft -f failed\n");
				goto out;
			}
			s.cli_in[i] = bench_now_ms() - t0;
			t0 = bench_now_ms();
			if (bench_spawn_wait(del, NULL) < 0)
				goto out;
			s.cli_out[i] = bench_now_ms() - t0;
		} else {
			char rate[32];
			char *add_tbf[] = { (char *)ip, "netns",   "exec", a.name,  (char *)tc,
					    "qdisc",	"replace", "dev",  "va",    "root",
					    "tbf",	"rate",	   rate,   "burst", "32kb",
					    "latency",	"50ms",	   NULL };
			char *add_netem[] = { (char *)ip, "netns",   "exec", a.name, (char *)tc,
					      "qdisc",	  "replace", "dev",  "va",   "root",
					      "netem",	  "delay",   rate,   NULL };
			char *del[] = { (char *)ip, "netns", "exec", a.name, (char *)tc, "qdisc",
					"del",	    "dev",   "va",   "root", NULL };

			if (strcmp(kind, "tbf") == 0)
				(void)snprintf(rate, sizeof(rate), "%dmbit", 10 + i % 10);
			else
				(void)snprintf(rate, sizeof(rate), "%dms", 10 + i % 10);
			t0 = bench_now_ms();
			if (bench_spawn_wait(strcmp(kind, "tbf") == 0 ? add_tbf : add_netem, NULL) <
			    0) {
				fprintf(stderr, "bench: tc qdisc replace failed\n");
				goto out;
			}
			s.cli_in[i] = bench_now_ms() - t0;
			t0 = bench_now_ms();
			if (bench_spawn_wait(del, NULL) < 0)
				goto out;
			s.cli_out[i] = bench_now_ms() - t0;
		}
	}
	report(strcmp(kind, "nft") == 0	  ? "nftables partition"
	       : strcmp(kind, "tbf") == 0 ? "tbf bandwidth"
					  : "netem delay",
	       strcmp(kind, "nft") == 0 ? "spawn: ip netns exec NS nft -f FILE"
					: "spawn: ip netns exec NS tc qdisc replace",
	       &s, n);
	if (rss) {
		long idle = rss_kib(), loaded;

		for (int i = 0; i < 500; i++) {
			char body[512];

			(void)snprintf(body, sizeof(body),
				       "{\"kind\":\"%s\",\"target\":{\"netns\":\"%s\"},"
				       "\"duration\":\"10m\",\"to\":[\"10.78.%d.%d/32\"]%s}",
				       i % 2 ? "partition" : "loss", a.path, i / 250, i % 250 + 1,
				       i % 2 ? "" : ",\"loss\":{\"percent\":\"5%\"}");
			if (request("POST", "/v1/faults", body, NULL, 0) != 201)
				goto out;
		}
		loaded = rss_kib();
		printf("agent RSS: idle %.1f MiB, with 500 active faults %.1f MiB\n", idle / 1024.0,
		       loaded / 1024.0);
		printf("BENCH agent rss idle_kib=%ld loaded_500_kib=%ld\n", idle, loaded);
	}
	rc = 0;
out:
	if (agent_pid > 0) {
		kill(agent_pid, SIGTERM);
		(void)waitpid(agent_pid, NULL, 0);
	}
	fl_agent_client_free(client);
	(void)testnet_ns_destroy(&a);
	(void)testnet_ns_destroy(&b);
	cleanup_dir();
	return rc;
}
