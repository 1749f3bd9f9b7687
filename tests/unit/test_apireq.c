/* SPDX-License-Identifier: MIT */
/*
 * The agent API's body parser (agent/src/apireq.c), data-driven:
 *   tests/data/agent-api/valid/<case>.json     parses; checks[] below says what it became
 *   tests/data/agent-api/invalid/<case>.json   fails; <case>.expected holds a substring the
 *                                              message must contain
 * Every valid file needs an entry in checks[] (and every entry a file), so that a fixture is
 * never only "it parsed".
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apireq.h"
#include "fltest.h"

#define DATA		"tests/data/agent-api"
#define MAX_DURATION_NS (3600ull * 1000000000ull)
#define S(n)		((uint64_t)(n)*1000000000ull)
#define MS(n)		((uint64_t)(n)*1000000ull)

/* ---- valid fixtures: what each must become ------------------------------------------ */

static void check_network_minimal(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_NETWORK);
	FL_ASSERT_STREQ(q->id, "");
	FL_ASSERT_EQ(q->target.type, FL_TARGET_POD);
	FL_ASSERT_STREQ(q->target.pod_namespace, "kafka");
	FL_ASSERT_STREQ(q->target.pod_name, "broker-0");
	FL_ASSERT_STREQ(q->ifname, "eth0");
	FL_ASSERT_EQ(q->duration_ns, S(30));
	FL_ASSERT_EQ(q->lease_ns, 0);
	FL_ASSERT_EQ(q->u.net.kind, FL_NETEM_FAULT_NETEM);
	FL_ASSERT_EQ(q->u.net.direction, FL_NETEM_EGRESS);
	FL_ASSERT_EQ(q->u.net.n_matches, 0);
	FL_ASSERT_EQ(q->u.net.netem.delay_ns, MS(100));
}

static void check_network_full(const struct fl_fault_req *q)
{
	FL_ASSERT_STREQ(q->id, "broker-0-wan");
	FL_ASSERT_EQ(q->target.type, FL_TARGET_POD);
	FL_ASSERT_STREQ(q->target.pod_uid, "6f1d2c3a-1b2c-4d5e-8f90-123456789abc");
	FL_ASSERT_STREQ(q->target.pod_name, "");
	FL_ASSERT_STREQ(q->ifname, "ens3");
	FL_ASSERT_EQ(q->u.net.direction, FL_NETEM_INGRESS);
	FL_ASSERT_EQ(q->duration_ns, S(300));
	FL_ASSERT_EQ(q->lease_ns, S(30));
	FL_ASSERT_STREQ(q->owner, "gameday run 2024-05-01 (alice)");
	FL_ASSERT_EQ(q->u.net.n_matches, 4);
	FL_ASSERT_EQ(q->u.net.matches[0].prefix_len, 24);
	FL_ASSERT(!q->u.net.matches[0].source);
	FL_ASSERT_EQ(q->u.net.matches[1].port, 9092);
	FL_ASSERT_EQ(q->u.net.matches[2].family, AF_INET6);
	FL_ASSERT_EQ(q->u.net.matches[2].port, 443);
	FL_ASSERT(q->u.net.matches[3].source);
	FL_ASSERT_EQ(q->u.net.matches[3].ip_proto, IPPROTO_UDP);
	FL_ASSERT_EQ(q->u.net.netem.delay_ns, MS(100));
	FL_ASSERT_EQ(q->u.net.netem.jitter_ns, MS(10));
	FL_ASSERT_EQ(q->u.net.netem.distribution, FL_NETEM_DIST_NORMAL);
	FL_ASSERT_EQ(q->u.net.netem.loss.model, FL_NETEM_LOSS_RANDOM);
	FL_ASSERT(q->u.net.netem.loss.percent == 1.0);
	FL_ASSERT_EQ(q->u.net.netem.gap, 3);
	FL_ASSERT_EQ(q->u.net.netem.rate_bytes_per_s, 1250000);
	FL_ASSERT_EQ(q->u.net.netem.limit, 2000);
}

static void check_network_netns_ipv6(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->target.type, FL_TARGET_NETNS);
	FL_ASSERT_STREQ(q->target.netns, "/run/netns/lab-broker-1");
	FL_ASSERT_EQ(q->duration_ns, MS(500));
	FL_ASSERT_EQ(q->u.net.n_matches, 2);
	FL_ASSERT_EQ(q->u.net.matches[0].prefix_len, 64);
	FL_ASSERT_EQ(q->u.net.matches[1].prefix_len, 128);
	FL_ASSERT_EQ(q->u.net.netem.loss.model, FL_NETEM_LOSS_GEMODEL);
}

static void check_partition_default(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_PARTITION);
	FL_ASSERT_EQ(q->target.type, FL_TARGET_NETNS);
	FL_ASSERT_STREQ(q->ifname, "");
	FL_ASSERT_EQ(q->duration_ns, S(120));
	FL_ASSERT_EQ(q->u.nft.action, FL_NFT_DROP);
	FL_ASSERT_EQ(q->u.nft.direction, FL_NFT_BOTH);
	FL_ASSERT(q->u.nft.percent == 100.0);
	FL_ASSERT_EQ(q->u.nft.n_peers, 2);
	FL_ASSERT_EQ(q->u.nft.peers[1].port, 9092);
	FL_ASSERT_EQ(q->u.nft.queue_num, 0);
}

static void check_partition_reject_pid(const struct fl_fault_req *q)
{
	FL_ASSERT_STREQ(q->id, "p1");
	FL_ASSERT_EQ(q->target.type, FL_TARGET_PID);
	FL_ASSERT_EQ(q->target.pid, 4242);
	FL_ASSERT_EQ(q->u.nft.action, FL_NFT_REJECT);
	FL_ASSERT_EQ(q->u.nft.direction, FL_NFT_IN);
	FL_ASSERT_EQ(q->duration_ns, S(3600));
	FL_ASSERT_EQ(q->lease_ns, S(60));
	FL_ASSERT_STREQ(q->owner, "ci");
	FL_ASSERT_EQ(q->u.nft.n_peers, 0);
}

static void check_loss_default(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_LOSS);
	FL_ASSERT_EQ(q->u.nft.action, FL_NFT_DROP);
	FL_ASSERT_EQ(q->u.nft.direction, FL_NFT_OUT);
	FL_ASSERT(q->u.nft.percent == 5.0);
	FL_ASSERT_EQ(q->duration_ns, S(45));
}

static void check_loss_both_peers(const struct fl_fault_req *q)
{
	FL_ASSERT_STREQ(q->target.pod_uid, "abc-123");
	FL_ASSERT_EQ(q->u.nft.direction, FL_NFT_BOTH);
	FL_ASSERT(q->u.nft.percent == 0.5);
	FL_ASSERT_EQ(q->u.nft.n_peers, 1);
	FL_ASSERT_EQ(q->u.nft.peers[0].ip_proto, IPPROTO_UDP);
	FL_ASSERT_EQ(q->u.nft.peers[0].port, 53);
	FL_ASSERT_EQ(q->lease_ns, S(15));
}

static void check_bandwidth_full(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_BANDWIDTH);
	FL_ASSERT_STREQ(q->target.pod_namespace, "streamforge");
	FL_ASSERT_STREQ(q->target.pod_name, "loader-7c9f");
	FL_ASSERT_STREQ(q->ifname, "eth1");
	FL_ASSERT_EQ(q->u.net.kind, FL_NETEM_FAULT_TBF);
	FL_ASSERT_EQ(q->u.net.tbf.rate_bytes_per_s, 1250000);
	FL_ASSERT_EQ(q->u.net.tbf.burst_bytes, 32 * 1024);
	FL_ASSERT_EQ(q->u.net.tbf.limit_bytes, 64 * 1024);
	FL_ASSERT_EQ(q->u.net.tbf.latency_ns, 0);
	FL_ASSERT_EQ(q->u.net.n_matches, 2);
	FL_ASSERT(!q->u.net.matches[0].source);
	FL_ASSERT(q->u.net.matches[1].source);
}

static void check_bandwidth_latency_ingress(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->target.type, FL_TARGET_PID);
	FL_ASSERT_EQ(q->target.pid, 1);
	FL_ASSERT_EQ(q->u.net.direction, FL_NETEM_INGRESS);
	FL_ASSERT_EQ(q->u.net.tbf.rate_bytes_per_s, 125000000);
	FL_ASSERT_EQ(q->u.net.tbf.latency_ns, MS(20));
	FL_ASSERT_EQ(q->u.net.tbf.limit_bytes, 0);
}

static void check_delay_full(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_DELAY);
	FL_ASSERT_STREQ(q->id, "dl-broker-1");
	FL_ASSERT_EQ(q->u.delay.spec.delay_ns, MS(200));
	FL_ASSERT_EQ(q->u.delay.spec.jitter_ns, MS(50));
	FL_ASSERT_EQ(q->u.delay.spec.max_held, 5000);
	FL_ASSERT_EQ(q->u.delay.steer.action, FL_NFT_QUEUE);
	FL_ASSERT(q->u.delay.steer.queue_bypass);
	FL_ASSERT_EQ(q->u.delay.steer.queue_num, 0); /* the agent assigns it */
	FL_ASSERT_EQ(q->u.delay.steer.direction, FL_NFT_IN);
	FL_ASSERT(q->u.delay.steer.percent == 100.0);
	FL_ASSERT_EQ(q->u.delay.steer.n_peers, 2);
	FL_ASSERT_EQ(q->duration_ns, S(90));
	FL_ASSERT_EQ(q->lease_ns, S(20));
	FL_ASSERT_STREQ(q->owner, "faultline/gameday");
}

static void check_delay_minimal(const struct fl_fault_req *q)
{
	FL_ASSERT_STREQ(q->target.netns, "/proc/1234/ns/net");
	FL_ASSERT_EQ(q->u.delay.spec.delay_ns, MS(50));
	FL_ASSERT_EQ(q->u.delay.spec.jitter_ns, 0);
	FL_ASSERT_EQ(q->u.delay.spec.max_held, 0);
	FL_ASSERT_EQ(q->u.delay.steer.direction, FL_NFT_OUT);
	FL_ASSERT_EQ(q->u.delay.steer.n_peers, 0);
}

static void check_container_kill_stop(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_CONTAINER_KILL);
	FL_ASSERT_STREQ(q->target.container, "kafka");
	FL_ASSERT_EQ(q->u.kill.signal, 0);
	FL_ASSERT_EQ(q->u.kill.grace_s, 10);
	FL_ASSERT_EQ(q->duration_ns, 0);
	FL_ASSERT_STREQ(q->ifname, "");
}

static void check_container_kill_grace(const struct fl_fault_req *q)
{
	FL_ASSERT_STREQ(q->target.pod_uid, "uid-1");
	FL_ASSERT_STREQ(q->target.container, "");
	FL_ASSERT_EQ(q->u.kill.signal, 0);
	FL_ASSERT_EQ(q->u.kill.grace_s, 0);
	FL_ASSERT_STREQ(q->owner, "healer test");
}

static void check_container_kill_signal(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->u.kill.signal, SIGTERM);
	FL_ASSERT_STREQ(q->target.pod_namespace, "ns1");
	FL_ASSERT_STREQ(q->target.container, "loader");
}

static void check_process_kill_default(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_PROCESS_KILL);
	FL_ASSERT_EQ(q->target.pid, 31337);
	FL_ASSERT_EQ(q->u.kill.signal, SIGKILL);
}

static void check_process_kill_number(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->u.kill.signal, SIGUSR1);
	FL_ASSERT_STREQ(q->owner, "lab");
}

static void check_delay_verify_wire(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_DELAY);
	FL_ASSERT(q->verify_wire);
	FL_ASSERT_EQ(q->u.delay.steer.n_peers, 2);
}

static void check_partition_verify_wire(const struct fl_fault_req *q)
{
	FL_ASSERT_EQ(q->kind, FL_FAULT_PARTITION);
	FL_ASSERT(q->verify_wire);
	FL_ASSERT_EQ(q->u.nft.n_peers, 2);
}

static void check_network_verify_wire_off(const struct fl_fault_req *q)
{
	/* wire: false checks nothing: a prefix without a port and a netem without a delay. */
	FL_ASSERT_EQ(q->kind, FL_FAULT_NETWORK);
	FL_ASSERT(!q->verify_wire);
}

static const struct {
	const char *name;
	void (*check)(const struct fl_fault_req *q);
} checks[] = {
	{ "network-minimal", check_network_minimal },
	{ "network-full", check_network_full },
	{ "network-netns-ipv6", check_network_netns_ipv6 },
	{ "partition-default", check_partition_default },
	{ "partition-reject-pid", check_partition_reject_pid },
	{ "loss-default", check_loss_default },
	{ "loss-both-peers", check_loss_both_peers },
	{ "bandwidth-full", check_bandwidth_full },
	{ "bandwidth-latency-ingress", check_bandwidth_latency_ingress },
	{ "delay-full", check_delay_full },
	{ "delay-minimal", check_delay_minimal },
	{ "delay-verify-wire", check_delay_verify_wire },
	{ "partition-verify-wire", check_partition_verify_wire },
	{ "network-verify-wire-off", check_network_verify_wire_off },
	{ "container-kill-stop", check_container_kill_stop },
	{ "container-kill-grace", check_container_kill_grace },
	{ "container-kill-signal", check_container_kill_signal },
	{ "process-kill-default", check_process_kill_default },
	{ "process-kill-number", check_process_kill_number },
};

/* ---- helpers ------------------------------------------------------------------------ */

/* Names of the *.json files in dir (without the extension), sorted; returns the count. */
static size_t list_cases(const char *dir, char names[][128], size_t max)
{
	struct dirent **ents;
	size_t n = 0;
	int count = scandir(dir, &ents, NULL, alphasort);

	if (count < 0)
		FL_FAIL("cannot list %s: %s", dir, strerror(errno));
	for (int i = 0; i < count; i++) {
		size_t len = strlen(ents[i]->d_name);

		if (len > 5 && strcmp(ents[i]->d_name + len - 5, ".json") == 0 && n < max &&
		    len - 5 < 128) {
			memcpy(names[n], ents[i]->d_name, len - 5);
			names[n][len - 5] = '\0';
			n++;
		}
		free(ents[i]);
	}
	free(ents);
	return n;
}

static char *read_case(const char *dir, const char *name, const char *ext, size_t *ret_len)
{
	char path[512];
	char *buf;

	(void)snprintf(path, sizeof(path), "%s/%s%s", dir, name, ext);
	buf = fltest_read_file(path, ret_len);
	if (!buf)
		FL_FAIL("cannot read %s", path);
	return buf;
}

/* ---- the fixtures ------------------------------------------------------------------- */

FLTEST(valid_fixtures_parse_to_what_they_say)
{
	static char names[256][128];
	size_t n = list_cases(DATA "/valid", names, 256), len;

	FL_ASSERT_MSG(n >= 10, "only %zu valid fixtures", n);
	for (size_t i = 0; i < n; i++) {
		struct fl_diag diag = { 0 };
		struct fl_fault_req q;
		char *body = read_case(DATA "/valid", names[i], ".json", &len);
		bool found = false;
		int r = fl_api_parse_fault(body, len, MAX_DURATION_NS, &q, &diag);

		free(body);
		FL_ASSERT_MSG(r == 0, "valid/%s.json: %s", names[i], diag.msg);
		for (size_t c = 0; c < FL_ARRAY_SIZE(checks); c++) {
			if (strcmp(checks[c].name, names[i]) == 0) {
				fltest_log("valid/%s.json", names[i]);
				checks[c].check(&q);
				found = true;
			}
		}
		FL_ASSERT_MSG(found, "valid/%s.json has no entry in checks[]", names[i]);
	}
	for (size_t c = 0; c < FL_ARRAY_SIZE(checks); c++) {
		bool found = false;

		for (size_t i = 0; i < n && !found; i++)
			found = strcmp(checks[c].name, names[i]) == 0;
		FL_ASSERT_MSG(found, "checks[] names %s, but valid/%s.json does not exist",
			      checks[c].name, checks[c].name);
	}
}

FLTEST(invalid_fixtures_fail_with_their_message)
{
	static char names[512][128];
	size_t n = list_cases(DATA "/invalid", names, 512), len, elen;
	unsigned failed = 0;

	FL_ASSERT_MSG(n >= 40, "only %zu invalid fixtures", n);
	for (size_t i = 0; i < n; i++) {
		struct fl_diag diag = { 0 };
		struct fl_fault_req q;
		char *body = read_case(DATA "/invalid", names[i], ".json", &len);
		char *expected = read_case(DATA "/invalid", names[i], ".expected", &elen);
		int r;

		while (elen > 0 && (expected[elen - 1] == '\n' || expected[elen - 1] == '\r'))
			expected[--elen] = '\0';
		r = fl_api_parse_fault(body, len, MAX_DURATION_NS, &q, &diag);
		if (r != -EINVAL) {
			fltest_log("FAIL invalid/%s.json: returned %d (%s), expected -EINVAL",
				   names[i], r, r == 0 ? "accepted" : diag.msg);
			failed++;
		} else if (elen == 0 || !strstr(diag.msg, expected)) {
			fltest_log(
				"FAIL invalid/%s.json:\n    got:      %s\n    expected: ...%s...",
				names[i], diag.msg, expected);
			failed++;
		}
		free(body);
		free(expected);
	}
	FL_ASSERT_MSG(failed == 0, "%u of %zu invalid fixtures did not fail as expected", failed,
		      n);
}

/* ---- beyond the fixtures ------------------------------------------------------------ */

static int parse(const char *json, struct fl_fault_req *q, struct fl_diag *diag)
{
	return fl_api_parse_fault(json, strlen(json), MAX_DURATION_NS, q, diag);
}

FLTEST(json_syntax_errors_carry_line_and_column)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;

	FL_ASSERT_EQ(parse("{\n  \"kind\": \"network\",\n  \"target\": {pod}\n}", &q, &diag),
		     -EINVAL);
	FL_ASSERT_EQ(diag.line, 3);
	FL_ASSERT(diag.col > 0);
	FL_ASSERT_CONTAINS(diag.msg, "invalid JSON at line 3");
}

FLTEST(bodies_over_the_limit_are_refused_unread)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;
	size_t len = FL_API_BODY_MAX + 1;
	char *big = malloc(len);

	FL_ASSERT(big);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	FL_ASSERT_EQ(fl_api_parse_fault(big, len, MAX_DURATION_NS, &q, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "is above the maximum 65536");
	FL_ASSERT_EQ(fl_api_parse_renew(big, len, &(uint64_t){ 0 }, &diag), -EINVAL);
	free(big);
	/* Exactly at the limit is fine (whitespace is JSON). */
	len = FL_API_BODY_MAX;
	big = malloc(len);
	FL_ASSERT(big);
	memset(big, ' ', len);
	memcpy(big, "{\"kind\":\"process-kill\",\"target\":{\"pid\":5}}",
	       strlen("{\"kind\":\"process-kill\",\"target\":{\"pid\":5}}"));
	FL_ASSERT_OK(fl_api_parse_fault(big, len, MAX_DURATION_NS, &q, &diag));
	free(big);
}

FLTEST(body_is_not_read_past_len)
{
	/* Not NUL-terminated and followed by garbage: only len bytes count. */
	const char text[] = "{\"kind\":\"process-kill\",\"target\":{\"pid\":5}}GARBAGE";
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;

	FL_ASSERT_OK(fl_api_parse_fault(text, strlen(text) - 7, MAX_DURATION_NS, &q, &diag));
	FL_ASSERT_EQ(q.target.pid, 5);
}

FLTEST(duration_limit_is_the_callers)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;
	const char *body = "{\"kind\":\"partition\",\"target\":{\"pid\":5},\"duration\":\"10m\"}";

	FL_ASSERT_OK(fl_api_parse_fault(body, strlen(body), S(600), &q, &diag));
	FL_ASSERT_EQ(fl_api_parse_fault(body, strlen(body), S(300), &q, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "duration: \"10m\" is above the maximum 5m");
}

FLTEST(ret_is_untouched_on_error_and_null_diag_is_fine)
{
	struct fl_fault_req q;

	memset(&q, 0xAB, sizeof(q));
	FL_ASSERT_EQ(parse("{\"kind\":\"network\"}", &q, NULL), -EINVAL);
	FL_ASSERT_EQ(((unsigned char *)&q)[0], 0xAB);
	FL_ASSERT_EQ(((unsigned char *)&q)[sizeof(q) - 1], 0xAB);
	FL_ASSERT_EQ(fl_api_parse_fault(NULL, 0, 0, &q, NULL), -EINVAL);
}

FLTEST(every_kill_signal_name)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = { { "SIGKILL", SIGKILL }, { "SIGTERM", SIGTERM }, { "SIGINT", SIGINT },
		     { "SIGHUP", SIGHUP },   { "SIGQUIT", SIGQUIT }, { "SIGUSR1", SIGUSR1 },
		     { "SIGUSR2", SIGUSR2 } };
	char body[256];

	for (size_t i = 0; i < FL_ARRAY_SIZE(sigs); i++) {
		struct fl_diag diag = { 0 };
		struct fl_fault_req q;

		(void)snprintf(body, sizeof(body),
			       "{\"kind\":\"process-kill\",\"target\":{\"pid\":9},"
			       "\"kill\":{\"signal\":\"%s\"}}",
			       sigs[i].name);
		FL_ASSERT_MSG(parse(body, &q, &diag) == 0, "%s: %s", sigs[i].name, diag.msg);
		FL_ASSERT_EQ(q.u.kill.signal, sigs[i].sig);
	}
}

FLTEST(strings_at_their_struct_size_fit_one_more_does_not)
{
	char owner[FL_FAULT_OWNER_MAX + 1], body[512];
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;

	memset(owner, 'o', sizeof(owner));
	owner[FL_FAULT_OWNER_MAX - 1] = '\0'; /* 127 bytes */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"process-kill\",\"target\":{\"pid\":9},\"owner\":\"%s\"}",
		       owner);
	FL_ASSERT_OK(parse(body, &q, &diag));
	FL_ASSERT_EQ(strlen(q.owner), FL_FAULT_OWNER_MAX - 1);
	owner[FL_FAULT_OWNER_MAX - 1] = 'o';
	owner[FL_FAULT_OWNER_MAX] = '\0'; /* 128 bytes */
	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"process-kill\",\"target\":{\"pid\":9},\"owner\":\"%s\"}",
		       owner);
	FL_ASSERT_EQ(parse(body, &q, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "owner: too long (128 bytes, at most 127)");

	/* The longest id and interface name. */
	FL_ASSERT_OK(parse("{\"kind\":\"network\",\"target\":{\"pid\":9},\"duration\":\"1s\","
			   "\"netem\":\"delay 1ms\",\"interface\":\"abcdefghijklmno\","
			   "\"id\":\"a234567890123456789012345678901z\"}",
			   &q, &diag));
	FL_ASSERT_STREQ(q.ifname, "abcdefghijklmno");
	FL_ASSERT_EQ(strlen(q.id), 32);
}

FLTEST(messages_quote_user_values_safely)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req q;
	char body[1024], kind[300];

	memset(kind, 'k', sizeof(kind));
	kind[sizeof(kind) - 1] = '\0';
	(void)snprintf(body, sizeof(body), "{\"kind\":\"%s\"}", kind);
	FL_ASSERT_EQ(parse(body, &q, &diag), -EINVAL); /* too long: said, not echoed whole */
	FL_ASSERT_CONTAINS(diag.msg, "kind: too long");
	FL_ASSERT_EQ(parse("{\"kind\":\"network\",\"target\":{\"pid\":9},\"duration\":\"1s\","
			   "\"netem\":\"delay 1ms\",\"interface\":\"a\\\"b\\\\c d\"}",
			   &q, &diag),
		     -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "interface: \"a\\\"b\\\\c d\" is not an interface name");
}

/* ---- renew and ids ------------------------------------------------------------------ */

static int renew(const char *body, uint64_t *lease, struct fl_diag *diag)
{
	return fl_api_parse_renew(body, body ? strlen(body) : 0, lease, diag);
}

FLTEST(renew_bodies)
{
	struct fl_diag diag = { 0 };
	uint64_t lease = 123;

	FL_ASSERT_OK(renew("", &lease, &diag));
	FL_ASSERT_EQ(lease, 0);
	lease = 123;
	FL_ASSERT_OK(renew(NULL, &lease, &diag));
	FL_ASSERT_EQ(lease, 0);
	lease = 123;
	FL_ASSERT_OK(renew(" \r\n\t", &lease, &diag));
	FL_ASSERT_EQ(lease, 0);
	lease = 123;
	FL_ASSERT_OK(renew("{}", &lease, &diag));
	FL_ASSERT_EQ(lease, 0);
	FL_ASSERT_OK(renew("{\"lease\": \"15s\"}", &lease, &diag));
	FL_ASSERT_EQ(lease, S(15));
	FL_ASSERT_OK(renew("{\"lease\": \"24h\"}", &lease, &diag));
	FL_ASSERT_EQ(lease, S(86400));

	static const struct {
		const char *body, *frag;
	} bad[] = {
		{ "{\"lease\": \"0s\"}", "lease: \"0s\": must be above 0" },
		{ "{\"lease\": \"soon\"}", "lease: \"soon\" is not a duration" },
		{ "{\"lease\": \"15\"}", "lease: \"15\" is not a duration" },
		{ "{\"lease\": 15}", "lease: expected a string, got an integer" },
		{ "{\"lease\": \"25h\"}", "lease: \"25h\" is above the maximum 24h" },
		{ "{\"lease\": \"1s\", \"lease\": \"2s\"}", "duplicate object key" },
		{ "{\"ttl\": \"15s\"}", "unknown field \"ttl\" (expected lease)" },
		{ "[\"15s\"]", "body: expected a JSON object, got an array" },
		{ "{\"lease\": ", "invalid JSON" },
		{ "15s", "invalid JSON" },
	};
	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++) {
		lease = 77;
		FL_ASSERT_MSG(renew(bad[i].body, &lease, &diag) == -EINVAL, "%s was accepted",
			      bad[i].body);
		FL_ASSERT_CONTAINS(diag.msg, bad[i].frag);
		FL_ASSERT_EQ(lease, 77);
	}
}

FLTEST(fault_ids)
{
	static const char *const good[] = { "a",  "0",	    "broker-0-delay",
					    "a-", "x1-2-3", "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *const bad[] = { "",	  "-a",	 "A",
					   "a_b", "a.b", "a/b",
					   "a b", "é",	 "abcdefghijklmnopqrstuvwxyz0123456" };

	for (size_t i = 0; i < FL_ARRAY_SIZE(good); i++)
		FL_ASSERT_MSG(fl_api_valid_id(good[i]), "\"%s\" refused", good[i]);
	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++)
		FL_ASSERT_MSG(!fl_api_valid_id(bad[i]), "\"%s\" accepted", bad[i]);
	FL_ASSERT(!fl_api_valid_id(NULL));
}
