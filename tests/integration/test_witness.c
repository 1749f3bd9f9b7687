/* SPDX-License-Identifier: MIT */
/*
 * The witness (tests/lib/witness.h) that other tests judge leftovers with, shown to catch
 * them (root). Every kind of object Faultline marks is made here with tc, ip and nft — as
 * Faultline would make it, but not with libfl-netem — and:
 *
 *  - witness_ours() reports it, and no longer once it is removed; the snapshot is then back
 *    to what it was;
 *  - objects with other handles, priorities, names or families are not Faultline's, yet the
 *    snapshot holds them, and removing or re-creating one of them changes the snapshot;
 *  - a witness that cannot look (no such namespace, not a namespace) fails the test instead
 *    of saying "clean".
 *
 *   ns w: va 10.9.0.1/24 fd00:9::1/64  <-- veth -->  ns p: vb 10.9.0.2/24
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fltest.h"
#include "testnet.h"
#include "witness.h"

extern char **environ;

static struct testnet_ns ns_w, ns_p;

static void setup(void)
{
	if (geteuid() != 0)
		FL_SKIP("needs root (network namespaces, tc, nft)");
	if (testnet_ns_create("flW", &ns_w) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_w);
	if (testnet_ns_create("flWp", &ns_p) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &ns_p);
	if (testnet_veth(&ns_w, "va", "10.9.0.1/24", &ns_p, "vb", "10.9.0.2/24") < 0 ||
	    testnet_addr_add(&ns_w, "va", "fd00:9::1/64") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
}

/*
 * Run a shell command line with NS replaced by the namespace's name ("tc -n NS ...",
 * "ip netns exec NS nft ..."); fails the test with its output when it does not exit 0.
 */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[1024], full[1200], out_path[] = "/tmp/fl-witness-sh-XXXXXX";
	posix_spawn_file_actions_t fa;
	va_list ap;
	pid_t pid;
	int status, fd;

	va_start(ap, fmt);
	(void)vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	(void)snprintf(full, sizeof(full), "NS=%s; %s", ns_w.name, cmd);
	fd = mkstemp(out_path);
	FL_ASSERT(fd >= 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, fd, STDERR_FILENO);
	const char *argv[] = { "/bin/sh", "-c", full, NULL };
	FL_ASSERT_EQ(posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fd);
	while (waitpid(pid, &status, 0) < 0)
		FL_ASSERT(errno == EINTR);
	char *out = fltest_read_file(out_path, NULL);
	unlink(out_path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FL_FAIL("`%s` failed (status %d): %s", cmd, status, out ? out : "");
	free(out);
}

/* One kind of Faultline object, made and removed the way tc/ip/nft users would. */
struct mark_case {
	const char *what;
	const char *make;   /* shell, NS = the namespace */
	const char *seen;   /* a line witness_ours() must print */
	const char *unseen; /* a line it must not print (a foreign object next to ours) */
	const char *remove;
};

static const struct mark_case mark_cases[] = {
	{ "root tbf FA17: (an untargeted fault)",
	  "tc -n $NS qdisc add dev va root handle fa17: tbf rate 10mbit burst 32kb latency 50ms",
	  "qdisc va tbf fa17: parent root", NULL, "tc -n $NS qdisc del dev va root" },
	{ "targeted tree: htb FA17:, class FA17:1, child FA18:",
	  "tc -n $NS qdisc add dev va root handle fa17: htb default 0 && "
	  "tc -n $NS class add dev va parent fa17: classid fa17:1 htb rate 100gbit && "
	  "tc -n $NS qdisc add dev va parent fa17:1 handle fa18: tbf rate 1mbit burst 32kb "
	  "latency 50ms",
	  "class va htb fa17:1 parent root", NULL, "tc -n $NS qdisc del dev va root" },
	{ "child FA18: under somebody's htb 1:",
	  "tc -n $NS qdisc add dev va root handle 1: htb && "
	  "tc -n $NS class add dev va parent 1: classid 1:1 htb rate 100mbit && "
	  "tc -n $NS qdisc add dev va parent 1:1 handle fa18: tbf rate 1mbit burst 32kb latency "
	  "50ms",
	  "qdisc va tbf fa18: parent 1:1", "qdisc va htb 1: parent root",
	  "tc -n $NS qdisc del dev va root" },
	{ "u32 filter prio FA17 (IPv4 steering) on somebody's htb",
	  "tc -n $NS qdisc add dev va root handle 1: htb && "
	  "tc -n $NS class add dev va parent 1: classid 1:1 htb rate 100mbit && "
	  "tc -n $NS filter add dev va parent 1: prio 0xfa17 protocol ip u32 "
	  "match ip dst 10.9.0.2/32 flowid 1:1",
	  "filter va u32 parent 1: prio fa17 protocol 0800", "qdisc va htb 1: parent root",
	  "tc -n $NS qdisc del dev va root" },
	{ "u32 filter prio FA18 (IPv6 steering) on somebody's htb",
	  "tc -n $NS qdisc add dev va root handle 1: htb && "
	  "tc -n $NS class add dev va parent 1: classid 1:1 htb rate 100mbit && "
	  "tc -n $NS filter add dev va parent 1: prio 0xfa18 protocol ipv6 u32 "
	  "match ip6 dst fd00:9::2/128 flowid 1:1",
	  "filter va u32 parent 1: prio fa18 protocol 86dd", "qdisc va htb 1: parent root",
	  "tc -n $NS qdisc del dev va root" },
	{ "ingress redirect: prio FA17 on ffff:, mirred to an IFB",
	  "ip -n $NS link add ifbw type ifb && tc -n $NS qdisc add dev va ingress && "
	  "tc -n $NS filter add dev va parent ffff: prio 0xfa17 protocol all u32 match u32 0 0 "
	  "action mirred egress redirect dev ifbw cookie 6661756c746c696e65",
	  "filter va u32 parent ffff: prio fa17 protocol 0003", "qdisc va ingress ffff: parent",
	  "tc -n $NS qdisc del dev va ingress && ip -n $NS link del ifbw" },
	{ "IFB device flifb<N>", "ip -n $NS link add flifb2 type ifb", "link flifb2 ifb", NULL,
	  "ip -n $NS link del flifb2" },
	{ "nft table inet faultline_<id> with a chain and a rule",
	  "ip netns exec $NS nft add table inet faultline_w1 && "
	  "ip netns exec $NS nft add chain inet faultline_w1 out "
	  "'{ type filter hook output priority 0; }' && "
	  "ip netns exec $NS nft add rule inet faultline_w1 out ip daddr 10.9.0.2 drop",
	  "nft table inet faultline_w1", NULL,
	  "ip netns exec $NS nft delete table inet faultline_w1" },
};

FLTEST(each_faultline_mark_is_seen_until_removed)
{
	static char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	char ours[WITNESS_OURS_MAX];

	setup();
	witness_expect_clean(ns_w.path, "a new namespace");
	witness_snapshot(ns_w.path, before, sizeof(before));
	for (size_t i = 0; i < sizeof(mark_cases) / sizeof(mark_cases[0]); i++) {
		const struct mark_case *c = &mark_cases[i];
		unsigned n;

		sh("%s", c->make);
		n = witness_ours(ns_w.path, ours, sizeof(ours));
		fltest_log("%s: %u seen\n%s", c->what, n, ours);
		FL_ASSERT_MSG(n > 0, "%s: the witness saw nothing", c->what);
		FL_ASSERT_CONTAINS(ours, c->seen);
		if (c->unseen)
			FL_ASSERT_MSG(!strstr(ours, c->unseen), "%s: \"%s\" taken for Faultline's",
				      c->what, c->unseen);
		sh("%s", c->remove);
		witness_expect_clean(ns_w.path, c->what);
		witness_snapshot(ns_w.path, after, sizeof(after));
		FL_ASSERT_STREQ(after, before);
	}
	/* The other namespace never saw any of it. */
	witness_expect_clean(ns_p.path, "the peer namespace");
}

FLTEST(foreign_objects_are_not_ours_but_the_snapshot_holds_them)
{
	static char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	static const char *const foreign[] = {
		"qdisc va tbf 1: parent root",
		"qdisc va ingress ffff: parent ffff:fff1",
		"filter va u32 parent ffff: prio 1 protocol 0003",
		" ifbw ifb\n",
		"nft table {\"family\":\"inet\",\"handle\":",
		"\"name\":\"faultline\"}",    /* no underscore: not a fault's table */
		"\"name\":\"faultline_ip\"}", /* our prefix, family ip: not ours either */
		"\"name\":\"filter\"}",
	};

	setup();
	sh("tc -n $NS qdisc add dev va root handle 1: tbf rate 100mbit burst 64kb latency 50ms && "
	   "ip -n $NS link add ifbw type ifb && tc -n $NS qdisc add dev va ingress && "
	   "tc -n $NS filter add dev va parent ffff: prio 1 protocol all u32 match u32 0 0 "
	   "action mirred egress redirect dev ifbw && "
	   "ip netns exec $NS nft add table inet filter && "
	   "ip netns exec $NS nft add table inet faultline && "
	   "ip netns exec $NS nft add table ip faultline_ip");
	witness_expect_clean(ns_w.path, "foreign objects only");
	witness_snapshot(ns_w.path, before, sizeof(before));
	fltest_log("snapshot:\n%s", before);
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		FL_ASSERT_CONTAINS(before, foreign[i]);

	/* Somebody's tbf replaced by an equal one: same text, the snapshot cannot tell... */
	sh("tc -n $NS qdisc replace dev va root handle 1: tbf rate 100mbit burst 64kb latency "
	   "50ms");
	witness_snapshot(ns_w.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
	/* ...but a table deleted and made again has a new handle, and a removed qdisc is gone. */
	sh("ip netns exec $NS nft delete table inet filter && "
	   "ip netns exec $NS nft add table inet filter");
	witness_snapshot(ns_w.path, after, sizeof(after));
	FL_ASSERT_MSG(strcmp(after, before) != 0, "a re-created table went unnoticed:\n%s", after);
	sh("tc -n $NS qdisc del dev va root");
	witness_snapshot(ns_w.path, after, sizeof(after));
	FL_ASSERT_MSG(!strstr(after, foreign[0]), "a removed qdisc is still seen:\n%s", after);
}

/* witness_ours() on path in a child; its exit status and what it printed. */
static int look_in_child(const char *path, char *out, size_t size)
{
	int pipefd[2], status;
	pid_t pid;
	ssize_t n;

	FL_ASSERT_OK(pipe(pipefd));
	fflush(stdout);
	pid = fork();
	FL_ASSERT(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		(void)witness_ours(path, NULL, 0);
		_exit(0); /* "clean": the answer a witness that cannot look must never give */
	}
	close(pipefd[1]);
	n = read(pipefd[0], out, size - 1);
	out[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	FL_ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FLTEST(a_witness_that_cannot_look_fails)
{
	char out[1024];

	/* No setup: nothing deferred yet that the child would run as it fails. */
	if (geteuid() != 0)
		FL_SKIP("needs root (setns)");
	FL_ASSERT_EQ(look_in_child("/run/netns/fl-witness-no-such-ns", out, sizeof(out)), 1);
	fltest_log("%s", out);
	FL_ASSERT_CONTAINS(out, "witness: open /run/netns/fl-witness-no-such-ns");
	FL_ASSERT_EQ(look_in_child("/dev/null", out, sizeof(out)), 1);
	fltest_log("%s", out);
	FL_ASSERT_CONTAINS(out, "witness: setns /dev/null: Invalid argument");
}
