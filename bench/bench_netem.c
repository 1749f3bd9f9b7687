/* SPDX-License-Identifier: MIT */
/*
 * Apply-and-verify and remove latency of a fault in a network namespace, through
 * libfl-netem, side by side with what other chaos tools do: spawn
 * `ip netns exec NS tc qdisc replace ...` (and `... tc qdisc del ...`) per change.
 *
 *   bench_netem [--changes N] [--kind tbf|netem] [--ip PATH] [--tc PATH]
 *
 * Both sides make the same changes to the same interface, interleaved in one run. Our
 * apply includes the read-back verification (a dump and a compare); tc's does not.
 * Prints p50/p99 per side and the ratio. A benchmark, not a test: it never fails on speed.
 */
#include <errno.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fl/netem.h"
#include "benchutil.h"
#include "testnet.h"

static void fault_words(const char *kind, int i, char *buf, size_t size)
{
	/* Ten distinct values, so every change really changes something. */
	if (strcmp(kind, "tbf") == 0)
		snprintf(buf, size, "rate %dmbit burst 32kb latency 50ms", 10 + i % 10);
	else
		snprintf(buf, size, "delay %dms", 10 + i % 10);
}

static int parse_fault(const char *kind, const char *words, struct fl_netem_fault *f)
{
	char buf[256], *argv[32], *save = NULL;
	struct fl_diag diag = { 0 };
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	memset(f, 0, sizeof(*f));
	if (strcmp(kind, "tbf") == 0) {
		f->kind = FL_NETEM_FAULT_TBF;
		return fl_tbf_parse_tc(argc, argv, &f->tbf, &diag);
	}
	f->kind = FL_NETEM_FAULT_NETEM;
	return fl_netem_parse_tc(argc, argv, &f->netem, &diag);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "changes", required_argument, NULL, 'n' },
					      { "kind", required_argument, NULL, 'k' },
					      { "ip", required_argument, NULL, 'i' },
					      { "tc", required_argument, NULL, 't' },
					      { NULL, 0, NULL, 0 } };
	const char *kind = "tbf", *ip = "/usr/sbin/ip", *tc = "/usr/sbin/tc";
	int n = 200, c, rc = 1;
	struct testnet_ns a = { 0 }, b = { 0 };
	double *lib_apply, *lib_remove, *tc_apply, *tc_remove;
	struct fl_diag diag = { 0 };
	struct fl_nl *nl = NULL;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = (int)strtol(optarg, NULL, 10);
			if (n < 10 || n > 100000) {
				fprintf(stderr, "bench: --changes must be 10..100000\n");
				return 2;
			}
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
		default:
			fprintf(stderr, "usage: bench_netem [--changes N] [--kind tbf|netem] "
					"[--ip PATH] [--tc PATH]\n");
			return 2;
		}
	}
	lib_apply = calloc((size_t)n, sizeof(double));
	lib_remove = calloc((size_t)n, sizeof(double));
	tc_apply = calloc((size_t)n, sizeof(double));
	tc_remove = calloc((size_t)n, sizeof(double));
	if (!lib_apply || !lib_remove || !tc_apply || !tc_remove)
		return 1;
	if (testnet_ns_create("bench", &a) < 0 || testnet_ns_create("benchp", &b) < 0 ||
	    testnet_veth(&a, "va", "10.9.0.1/24", &b, "vb", "10.9.0.2/24") < 0) {
		fprintf(stderr, "bench: setting up namespaces: %s\n", testnet_last_error());
		goto out;
	}
	if (fl_nl_open(a.path, &nl, &diag) < 0) {
		fprintf(stderr, "bench: %s\n", diag.msg);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		char words[128], cmd_words[160];
		struct fl_netem_fault f;
		double t0;

		fault_words(kind, i, words, sizeof(words));
		if (parse_fault(kind, words, &f) < 0)
			goto out;
		/* libfl-netem: apply (send + dump + compare), then remove. */
		t0 = bench_now_ms();
		if (fl_netem_apply(nl, "va", &f, &diag) < 0) {
			fprintf(stderr, "bench: apply: %s\n", diag.msg);
			goto out;
		}
		lib_apply[i] = bench_now_ms() - t0;
		t0 = bench_now_ms();
		if (fl_netem_remove(nl, "va", FL_NETEM_EGRESS, &diag) < 0) {
			fprintf(stderr, "bench: remove: %s\n", diag.msg);
			goto out;
		}
		lib_remove[i] = bench_now_ms() - t0;

		/* The spawn-per-change way: ip netns exec NS tc qdisc replace|del ... */
		snprintf(cmd_words, sizeof(cmd_words), "%s %s", kind, words);
		{
			char *args[32], buf[160], *save = NULL;
			int k = 0;

			args[k++] = (char *)ip;
			args[k++] = "netns";
			args[k++] = "exec";
			args[k++] = a.name;
			args[k++] = (char *)tc;
			args[k++] = "qdisc";
			args[k++] = "replace";
			args[k++] = "dev";
			args[k++] = "va";
			args[k++] = "root";
			args[k++] = "handle";
			args[k++] = "fa17:";
			snprintf(buf, sizeof(buf), "%s", cmd_words);
			for (char *w = strtok_r(buf, " ", &save); w && k < 30;
			     w = strtok_r(NULL, " ", &save))
				args[k++] = w;
			args[k] = NULL;
			t0 = bench_now_ms();
			if (bench_spawn_wait(args, NULL) < 0) {
				fprintf(stderr, "bench: tc qdisc replace failed\n");
				goto out;
			}
			tc_apply[i] = bench_now_ms() - t0;
			args[6] = "del";
			args[12] = NULL;
			t0 = bench_now_ms();
			if (bench_spawn_wait(args, NULL) < 0) {
				fprintf(stderr, "bench: tc qdisc del failed\n");
				goto out;
			}
			tc_remove[i] = bench_now_ms() - t0;
		}
	}
	{
		double la50 = bench_pct(lib_apply, n, 50), la99 = bench_pct(lib_apply, n, 99);
		double lr50 = bench_pct(lib_remove, n, 50), lr99 = bench_pct(lib_remove, n, 99);
		double ta50 = bench_pct(tc_apply, n, 50), ta99 = bench_pct(tc_apply, n, 99);
		double tr50 = bench_pct(tc_remove, n, 50), tr99 = bench_pct(tc_remove, n, 99);

		printf("changes: %d, kind: %s (e.g. \"%s ...\")\n", n, kind,
		       strcmp(kind, "tbf") == 0 ? "rate 10mbit burst 32kb latency 50ms"
						: "delay 10ms");
		printf("%-42s %9s %9s\n", "", "p50 ms", "p99 ms");
		printf("%-42s %9.3f %9.3f\n", "faultline apply + read-back verify", la50, la99);
		printf("%-42s %9.3f %9.3f\n", "ip netns exec NS tc qdisc replace", ta50, ta99);
		printf("%-42s %8.1fx %8.1fx\n", "  ratio (tc / faultline)", ta50 / la50,
		       ta99 / la99);
		printf("%-42s %9.3f %9.3f\n", "faultline remove", lr50, lr99);
		printf("%-42s %9.3f %9.3f\n", "ip netns exec NS tc qdisc del", tr50, tr99);
		printf("%-42s %8.1fx %8.1fx\n", "  ratio (tc / faultline)", tr50 / lr50,
		       tr99 / lr99);
		printf("BENCH kind=%s n=%d lib_apply_p50=%.3f lib_apply_p99=%.3f tc_apply_p50=%.3f "
		       "tc_apply_p99=%.3f lib_remove_p50=%.3f lib_remove_p99=%.3f "
		       "tc_remove_p50=%.3f tc_remove_p99=%.3f\n",
		       kind, n, la50, la99, ta50, ta99, lr50, lr99, tr50, tr99);
	}
	rc = 0;
out:
	fl_nl_free(nl);
	(void)testnet_ns_destroy(&a);
	(void)testnet_ns_destroy(&b);
	free(lib_apply);
	free(lib_remove);
	free(tc_apply);
	free(tc_remove);
	return rc;
}
