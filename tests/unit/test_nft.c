/* SPDX-License-Identifier: MIT */
/*
 * The nftables half of libfl-netem without root or a kernel:
 *
 *  - validation and id messages name the field and the value;
 *  - the plan: chains, rules and capabilities per fault;
 *  - batch bytes: structure (BEGIN, ACK on every message, inet family, owner flag, hook and
 *    priority, END), and byte-for-byte cross-checks against what nft 1.0.6 (libnftnl 1.2.4)
 *    sent for `nft -f` of the same rules (recorded with strace -e write=3 in a throw-away
 *    namespace; the chain's attributes come in another order, compared as a set);
 *  - read-back comparison: our own messages parsed back compare equal; a changed rule, a
 *    missing rule, an extra chain, a missing table do not, and the message says where;
 *  - the engine against a fake nf_tables (a small in-memory kernel answering batches and
 *    dumps): apply/verify/remove/list/sweep, -EEXIST, the owner-flag fallback, and the
 *    messages for kernels without the NFQUEUE target, numgen, reject, or CAP_NET_ADMIN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "../../netem/src/nft_internal.h"
#include "fl/hex.h"
#include "fltest.h"

/* ---- helpers -------------------------------------------------------------------------- */

static struct fl_netem_match peer(const char *addr, unsigned prefix, uint8_t proto, uint16_t port)
{
	struct fl_netem_match m = { .prefix_len = (uint8_t)prefix,
				    .ip_proto = proto,
				    .port = port };

	if (inet_pton(AF_INET, addr, m.addr) == 1)
		m.family = AF_INET;
	else if (inet_pton(AF_INET6, addr, m.addr) == 1)
		m.family = AF_INET6;
	else
		FL_FAIL("bad address %s", addr);
	return m;
}

static struct fl_nft_fault drop_all(void)
{
	return (struct fl_nft_fault){ .action = FL_NFT_DROP,
				      .direction = FL_NFT_OUT,
				      .percent = 100 };
}

static void expect_invalid(const struct fl_nft_fault *f, const char *want)
{
	struct fl_diag diag = { 0 };

	FL_ASSERT_EQ(fl_nft_validate(f, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, want);
}

/* ---- validation ----------------------------------------------------------------------- */

FLTEST(validate_accepts_sane_faults)
{
	struct fl_nft_fault f = drop_all();
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_nft_validate(&f, &diag));
	f = (struct fl_nft_fault){ .action = FL_NFT_QUEUE,
				   .direction = FL_NFT_BOTH,
				   .percent = 0.01,
				   .queue_num = 65535,
				   .queue_bypass = true,
				   .n_peers = 2 };
	f.peers[0] = peer("10.0.0.0", 8, 0, 0);
	f.peers[1] = peer("fd00::1", 128, IPPROTO_UDP, 53);
	FL_ASSERT_OK(fl_nft_validate(&f, &diag));
}

FLTEST(validate_names_the_field)
{
	struct fl_nft_fault f;

	f = drop_all(), f.percent = 120;
	expect_invalid(&f, "percent: 120 is above 100");
	f = drop_all(), f.percent = 0;
	expect_invalid(&f, "percent: 0 affects no packet");
	f = drop_all(), f.percent = -5;
	expect_invalid(&f, "percent: -5 affects no packet");
	f = drop_all(), f.percent = NAN;
	expect_invalid(&f, "percent: not a number");
	f = drop_all(), f.percent = 0.001;
	expect_invalid(&f, "percent: 0.001 is below the 0.01% resolution");
	f = drop_all(), f.action = 7;
	expect_invalid(&f, "action: 7 is not DROP, REJECT or QUEUE");
	f = drop_all(), f.direction = 0;
	expect_invalid(&f, "direction: 0 is not OUT (1), IN (2) or BOTH (3)");
	f = drop_all(), f.action = FL_NFT_QUEUE;
	expect_invalid(&f, "queue_num: action QUEUE needs a queue number");
	f = drop_all(), f.queue_num = 3;
	expect_invalid(&f, "queue_num: 3 given for action DROP");
	f = drop_all(), f.action = FL_NFT_REJECT, f.queue_bypass = true;
	expect_invalid(&f, "queue_bypass: set for action REJECT");
	f = drop_all(), f.n_peers = FL_NETEM_MAX_MATCHES + 1;
	expect_invalid(&f, "peers: 17 given, at most 16");
}

FLTEST(validate_peers)
{
	struct fl_nft_fault f = drop_all();

	f.n_peers = 2;
	f.peers[0] = peer("10.0.0.1", 32, 0, 0);
	f.peers[1] = peer("10.0.0.2", 32, 0, 0);
	f.peers[1].family = 99;
	expect_invalid(&f, "peers[1].family: 99 is not AF_INET (2) or AF_INET6 (10)");
	f.peers[1] = peer("10.0.0.2", 33, 0, 0);
	expect_invalid(&f, "peers[1].prefix_len: 33 is above 32 for IPv4");
	f.peers[1] = peer("fd00::2", 129, 0, 0);
	expect_invalid(&f, "peers[1].prefix_len: 129 is above 128 for IPv6");
	f.peers[1] = peer("10.0.0.2", 32, 1, 0);
	expect_invalid(&f, "peers[1].ip_proto: 1 is not TCP (6) or UDP (17)");
	f.peers[1] = peer("10.0.0.2", 32, 0, 80);
	expect_invalid(&f, "peers[1].port: 80 needs ip_proto TCP or UDP");
}

FLTEST(ids)
{
	static const char *const good[] = { "a", "0", "kafka-partition-1",
					    "abcdefghijklmnopqrstuvwxyz012345" };
	char table[FL_NFT_TABLE_NAME_MAX];
	struct fl_diag diag = { 0 };

	for (size_t i = 0; i < FL_ARRAY_SIZE(good); i++)
		FL_ASSERT_OK(fl_nft_table_name(good[i], table, sizeof(table), &diag));
	FL_ASSERT_STREQ(table, "faultline_abcdefghijklmnopqrstuvwxyz012345");
	FL_ASSERT_EQ(fl_nft_table_name("", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "id: \"\" must be 1..32 characters [a-z0-9-] (it is empty)");
	FL_ASSERT_EQ(fl_nft_table_name(NULL, table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_EQ(
		fl_nft_table_name("abcdefghijklmnopqrstuvwxyz0123456", table, sizeof(table), &diag),
		-EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "must be 1..32 characters");
	FL_ASSERT_EQ(fl_nft_table_name("-x", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "id: \"-x\": character 1 ('-') is not allowed");
	FL_ASSERT_EQ(fl_nft_table_name("Kafka", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "character 1 ('K')");
	FL_ASSERT_EQ(fl_nft_table_name("a_b", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "character 2 ('_')");
	FL_ASSERT_EQ(fl_nft_table_name("a b", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_EQ(fl_nft_table_name("a\n", table, sizeof(table), &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "('?')");
}

/* ---- plans ---------------------------------------------------------------------------- */

static struct fl_nft_plan *plan_of(const struct fl_nft_fault *f)
{
	struct fl_nft_plan *plan = NULL;
	struct fl_diag diag = { 0 };

	if (fl_nft_plan_new("faultline_x", f, &plan, &diag) < 0)
		FL_FAIL("plan: %s", diag.msg);
	return plan;
}

/* The expressions of rule i of chain c as "a | b | c". */
static void rule_text(const struct fl_nft_plan *plan, unsigned c, unsigned i, char *buf,
		      size_t size)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(plan->chains[c].rules[i].rule);
	struct nftnl_expr *e;
	size_t n = 0;

	buf[0] = '\0';
	FL_ASSERT(it);
	while ((e = nftnl_expr_iter_next(it)) && n + 4 < size) {
		if (n)
			n += (size_t)snprintf(buf + n, size - n, " | ");
		n += fl_nft_expr_text(e, buf + n, size - n);
	}
	nftnl_expr_iter_destroy(it);
}

FLTEST(plan_shapes)
{
	struct fl_nft_fault f = drop_all();
	struct fl_nft_plan *plan;

	/* No peers: loopback exemption + one rule for everything. */
	plan = plan_of(&f);
	FL_ASSERT_EQ(plan->n_chains, 1);
	FL_ASSERT_STREQ(plan->chains[0].name, "out");
	FL_ASSERT_EQ(plan->chains[0].hooknum, NF_INET_LOCAL_OUT);
	FL_ASSERT_EQ(plan->chains[0].n_rules, 2);
	FL_ASSERT_EQ(plan->caps, FL_NFT_CAP_TABLES);
	fl_nft_plan_free(plan);

	/* BOTH with two peers and random loss. */
	f.direction = FL_NFT_BOTH;
	f.percent = 20;
	f.n_peers = 2;
	f.peers[0] = peer("10.9.0.2", 32, 0, 0);
	f.peers[1] = peer("fd00::2", 128, IPPROTO_TCP, 443);
	plan = plan_of(&f);
	FL_ASSERT_EQ(plan->n_chains, 2);
	FL_ASSERT_STREQ(plan->chains[1].name, "in");
	FL_ASSERT_EQ(plan->chains[1].hooknum, NF_INET_LOCAL_IN);
	FL_ASSERT_EQ(plan->chains[0].n_rules, 3);
	FL_ASSERT_EQ(plan->chains[1].n_rules, 3);
	FL_ASSERT_EQ(plan->chains[1].rules[2].peer, 1);
	FL_ASSERT_EQ(plan->caps, FL_NFT_CAP_TABLES | FL_NFT_CAP_NUMGEN);
	fl_nft_plan_free(plan);

	/* REJECT: TCP peer -> reset; UDP peer -> icmpx; any protocol -> both, split on l4proto. */
	f = drop_all();
	f.action = FL_NFT_REJECT;
	f.n_peers = 3;
	f.peers[0] = peer("10.9.0.2", 32, IPPROTO_TCP, 0);
	f.peers[1] = peer("10.9.0.3", 32, IPPROTO_UDP, 0);
	f.peers[2] = peer("10.9.0.4", 32, 0, 0);
	plan = plan_of(&f);
	FL_ASSERT_EQ(plan->chains[0].n_rules, 5);
	FL_ASSERT_STREQ(plan->chains[0].rules[1].what, "reject with tcp reset");
	FL_ASSERT_STREQ(plan->chains[0].rules[2].what, "reject with icmpx port-unreachable");
	FL_ASSERT_STREQ(plan->chains[0].rules[3].what, "reject with tcp reset");
	FL_ASSERT_STREQ(plan->chains[0].rules[4].what, "reject with icmpx port-unreachable");
	FL_ASSERT_EQ(plan->chains[0].rules[4].peer, 2);
	FL_ASSERT_EQ(plan->caps, FL_NFT_CAP_TABLES | FL_NFT_CAP_REJECT);
	fl_nft_plan_free(plan);

	f = drop_all();
	f.action = FL_NFT_QUEUE;
	f.queue_num = 7;
	f.direction = FL_NFT_IN;
	plan = plan_of(&f);
	FL_ASSERT_EQ(plan->n_chains, 1);
	FL_ASSERT_STREQ(plan->chains[0].name, "in");
	FL_ASSERT_EQ(plan->caps, FL_NFT_CAP_TABLES | FL_NFT_CAP_NFQUEUE);
	fl_nft_plan_free(plan);
}

FLTEST(rule_expressions_as_nft_writes_them)
{
	struct fl_nft_fault f = drop_all();
	struct fl_nft_plan *plan;
	char text[2048];

	f.direction = FL_NFT_BOTH;
	f.percent = 20;
	f.n_peers = 1;
	f.peers[0] = peer("10.9.0.0", 24, IPPROTO_TCP, 80);
	plan = plan_of(&f);
	rule_text(plan, 0, 0, text, sizeof(text));
	FL_ASSERT_STREQ(text, "meta load oifname => reg 1 | "
			      "cmp eq reg 1 0x00006f6c 0x00000000 0x00000000 0x00000000 | "
			      "immediate reg 0 accept");
	/* `nft --debug=netlink`: ip daddr 10.9.0.0/24 tcp dport 80 numgen random mod 10000 <
	 * 2000 drop */
	rule_text(plan, 0, 1, text, sizeof(text));
	FL_ASSERT_STREQ(text, "meta load nfproto => reg 1 | cmp eq reg 1 0x00000002 | "
			      "payload load 3b @ network header + 16 => reg 1 | "
			      "cmp eq reg 1 0x0000090a | "
			      "meta load l4proto => reg 1 | cmp eq reg 1 0x00000006 | "
			      "payload load 2b @ transport header + 2 => reg 1 | "
			      "cmp eq reg 1 0x00005000 | "
			      "numgen reg 1 = random mod 10000 | "
			      "byteorder reg 1 = hton(reg 1, 4, 4) | "
			      "cmp lt reg 1 0xd0070000 | "
			      "immediate reg 0 drop");
	/* Input: the peer is the source. */
	rule_text(plan, 1, 0, text, sizeof(text));
	FL_ASSERT_CONTAINS(text, "meta load iifname => reg 1");
	rule_text(plan, 1, 1, text, sizeof(text));
	FL_ASSERT_CONTAINS(text, "payload load 3b @ network header + 12 => reg 1");
	FL_ASSERT_CONTAINS(text, "payload load 2b @ transport header + 0 => reg 1");
	fl_nft_plan_free(plan);

	/* A prefix off a byte boundary loads the address and masks it; IPv6 addresses at 24. */
	f = drop_all();
	f.action = FL_NFT_REJECT;
	f.n_peers = 2;
	f.peers[0] = peer("10.9.0.0", 23, 0, 0);
	f.peers[1] = peer("fd00::", 61, IPPROTO_UDP, 0);
	plan = plan_of(&f);
	rule_text(plan, 0, 1, text, sizeof(text));
	FL_ASSERT_STREQ(text, "meta load nfproto => reg 1 | cmp eq reg 1 0x00000002 | "
			      "payload load 4b @ network header + 16 => reg 1 | "
			      "bitwise reg 1 = ( reg 1 & 0x00feffff ) ^ 0x00000000 | "
			      "cmp eq reg 1 0x0000090a | "
			      "meta load l4proto => reg 1 | cmp eq reg 1 0x00000006 | "
			      "reject type 1 code 0");
	rule_text(plan, 0, 2, text, sizeof(text));
	FL_ASSERT_CONTAINS(text, "cmp neq reg 1 0x00000006 | reject type 2 code 1");
	rule_text(plan, 0, 3, text, sizeof(text));
	FL_ASSERT_CONTAINS(text,
			   "payload load 16b @ network header + 24 => reg 1 | bitwise reg 1 = "
			   "( reg 1 & 0xffffffff 0xf8ffffff 0x00000000 0x00000000 )");
	FL_ASSERT_CONTAINS(text, "cmp eq reg 1 0x00000011 | reject type 2 code 1");
	fl_nft_plan_free(plan);

	/* The NFQUEUE target: xt_NFQ_info_v3 {queuenum 7, queues_total 1, flags BYPASS}. */
	f = drop_all();
	f.action = FL_NFT_QUEUE;
	f.queue_num = 7;
	f.queue_bypass = true;
	plan = plan_of(&f);
	rule_text(plan, 0, 1, text, sizeof(text));
	FL_ASSERT_STREQ(text, "target name NFQUEUE rev 3 info 0700010001000000");
	fl_nft_plan_free(plan);
	f.queue_bypass = false;
	f.queue_num = 0x1234;
	plan = plan_of(&f);
	rule_text(plan, 0, 1, text, sizeof(text));
	FL_ASSERT_STREQ(text, "target name NFQUEUE rev 3 info 3412010000000000");
	fl_nft_plan_free(plan);
}

/* ---- batch bytes ---------------------------------------------------------------------- */

static uint8_t batch_buf[FL_NFT_BATCH_MAX];

static ssize_t build_batch(const struct fl_nft_plan *plan, uint32_t table_flags,
			   struct fl_nft_batch *b)
{
	FL_ASSERT_OK(fl_nft_batch_init(b, batch_buf, sizeof(batch_buf)));
	FL_ASSERT_OK(fl_nft_batch_add_plan(b, plan, table_flags));
	return fl_nft_batch_end(b);
}

/* The n-th netlink message of buf (0 = BEGIN); fails the test if there is none. */
static const struct nlmsghdr *nth_msg(const void *buf, size_t len, unsigned n)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	for (unsigned i = 0; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), i++)
		if (i == n)
			return nlh;
	FL_FAIL("the batch has no message %u", n);
}

static const struct nlattr *find_attr(const struct nlmsghdr *nlh, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) == type)
			return a;
	return NULL;
}

FLTEST(batch_structure)
{
	struct fl_nft_fault f = drop_all();
	struct fl_nft_plan *plan;
	struct fl_nft_batch b;
	const struct nlmsghdr *nlh;
	const struct nfgenmsg *nfg;
	const struct nlattr *a, *h;
	unsigned n = 0, rules = 0;
	ssize_t len;
	int left;

	f.direction = FL_NFT_BOTH;
	f.n_peers = 1;
	f.peers[0] = peer("10.9.0.2", 32, 0, 0);
	plan = plan_of(&f);
	len = build_batch(plan, NFT_TABLE_F_OWNER, &b);
	FL_ASSERT(len > 0);
	FL_ASSERT_EQ(b.n, 1 + 2 + 4);

	nlh = (const struct nlmsghdr *)batch_buf;
	left = (int)len;
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), n++) {
		nfg = mnl_nlmsg_get_payload(nlh);
		FL_ASSERT(nlh->nlmsg_flags & NLM_F_REQUEST);
		if (n == 0) {
			FL_ASSERT_EQ(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
			FL_ASSERT_EQ(ntohs(nfg->res_id), NFNL_SUBSYS_NFTABLES);
			continue;
		}
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			break;
		/* Every message asks for its own answer, and is about family inet. */
		FL_ASSERT(nlh->nlmsg_flags & NLM_F_ACK);
		FL_ASSERT_EQ(nfg->nfgen_family, NFPROTO_INET);
		FL_ASSERT_EQ(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		switch (nlh->nlmsg_type & 0xff) {
		case NFT_MSG_NEWTABLE:
			FL_ASSERT_EQ(n, 1);
			FL_ASSERT(nlh->nlmsg_flags & NLM_F_EXCL); /* apply twice: -EEXIST */
			FL_ASSERT_STREQ(mnl_attr_get_str(find_attr(nlh, NFTA_TABLE_NAME)),
					"faultline_x");
			FL_ASSERT_EQ(ntohl(mnl_attr_get_u32(find_attr(nlh, NFTA_TABLE_FLAGS))),
				     NFT_TABLE_F_OWNER);
			break;
		case NFT_MSG_NEWCHAIN:
			FL_ASSERT_STREQ(mnl_attr_get_str(find_attr(nlh, NFTA_CHAIN_NAME)),
					n == 2 ? "out" : "in");
			FL_ASSERT_STREQ(mnl_attr_get_str(find_attr(nlh, NFTA_CHAIN_TYPE)),
					"filter");
			FL_ASSERT_EQ(ntohl(mnl_attr_get_u32(find_attr(nlh, NFTA_CHAIN_POLICY))),
				     NF_ACCEPT);
			h = find_attr(nlh, NFTA_CHAIN_HOOK);
			FL_ASSERT(h);
			mnl_attr_for_each_nested (a, h) {
				uint32_t v = ntohl(mnl_attr_get_u32(a));

				if (mnl_attr_get_type(a) == NFTA_HOOK_HOOKNUM)
					FL_ASSERT_EQ(v,
						     n == 2 ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN);
				if (mnl_attr_get_type(a) == NFTA_HOOK_PRIORITY)
					FL_ASSERT_EQ((int32_t)v, -160);
			}
			break;
		case NFT_MSG_NEWRULE:
			FL_ASSERT(nlh->nlmsg_flags & NLM_F_APPEND);
			FL_ASSERT(nlh->nlmsg_len < FL_NFT_MSG_MAX);
			rules++;
			break;
		default:
			FL_FAIL("unexpected message type 0x%x", nlh->nlmsg_type);
		}
	}
	FL_ASSERT_EQ(nlh->nlmsg_type, NFNL_MSG_BATCH_END);
	FL_ASSERT_EQ(n, 1 + 1 + 2 + 4);
	FL_ASSERT_EQ(rules, 4);
	/* The batch ends exactly at END. */
	FL_ASSERT_EQ((const uint8_t *)nlh + nlh->nlmsg_len - batch_buf, len);
	fl_nft_plan_free(plan);
}

FLTEST(largest_fault_fits)
{
	struct fl_nft_fault f = { .action = FL_NFT_REJECT,
				  .direction = FL_NFT_BOTH,
				  .percent = 33.33,
				  .n_peers = FL_NETEM_MAX_MATCHES };
	struct fl_nft_plan *plan;
	struct fl_nft_batch b;
	ssize_t len;

	for (unsigned i = 0; i < f.n_peers; i++)
		f.peers[i] = peer("fd00:1234:5678:9abc::1", 61, 0, 0);
	plan = plan_of(&f);
	FL_ASSERT_EQ(plan->chains[0].n_rules, FL_NFT_RULES_MAX);
	len = build_batch(plan, 0, &b);
	FL_ASSERT(len > 0);
	FL_ASSERT_EQ(b.n, 1 + 2 + 2 * FL_NFT_RULES_MAX);
	fltest_log("largest batch: %zd bytes, %u messages", len, b.n);
	for (unsigned i = 1; i <= b.n; i++)
		FL_ASSERT(nth_msg(batch_buf, (size_t)len, i)->nlmsg_len < FL_NFT_MSG_MAX / 2);
	fl_nft_plan_free(plan);

	f.action = FL_NFT_QUEUE;
	f.queue_num = 1;
	for (unsigned i = 0; i < f.n_peers; i++)
		f.peers[i] = peer("fd00:1234:5678:9abc::1", 61, IPPROTO_TCP, 65535);
	plan = plan_of(&f);
	len = build_batch(plan, 0, &b);
	FL_ASSERT(len > 0);
	for (unsigned i = 1; i <= b.n; i++)
		FL_ASSERT(nth_msg(batch_buf, (size_t)len, i)->nlmsg_len < FL_NFT_MSG_MAX / 2);
	fl_nft_plan_free(plan);
}

/*
 * What nft 1.0.6 sent (payload after the nlmsghdr: nfgenmsg + attributes) for
 *   add table inet faultline_x
 *   add chain inet faultline_x out { type filter hook output priority -160; policy accept; }
 *   add rule inet faultline_x out oifname "lo" accept
 *   add rule inet faultline_x out ip daddr 10.9.0.0/24 meta l4proto tcp th dport 80 \
 *       numgen random mod 10000 < 2000 drop
 *   add rule inet faultline_x out ip6 daddr fd00::/61 meta l4proto udp \
 *       reject with icmpx port-unreachable
 */
static const char nft_table[] =
	"01 00 00 00 10 00 01 00 66 61 75 6c 74 6c 69 6e 65 5f 78 00 08 00 02 00 00 00 00 00";
static const char nft_chain[] = "01 00 00 00 10 00 01 00 66 61 75 6c 74 6c 69 6e 65 5f 78 00 08 00 "
				"03 00 6f 75 74 00 0b 00 07 00"
				"66 69 6c 74 65 72 00 00 08 00 05 00 00 00 00 01 14 00 04 80 08 00 "
				"01 00 00 00 00 03 08 00 02 00"
				"ff ff ff 60";
static const char nft_rule_lo[] = "01 00 00 00 10 00 01 00 66 61 75 6c 74 6c 69 6e 65 5f 78 00 08 "
				  "00 02 00 6f 75 74 00 90 00 04 80"
				  "24 00 01 80 09 00 01 00 6d 65 74 61 00 00 00 00 14 00 02 80 08 "
				  "00 02 00 00 00 00 07 08 00 01 00"
				  "00 00 00 01 38 00 01 80 08 00 01 00 63 6d 70 00 2c 00 02 80 08 "
				  "00 01 00 00 00 00 01 08 00 02 00"
				  "00 00 00 00 18 00 03 80 14 00 01 00 6c 6f 00 00 00 00 00 00 00 "
				  "00 00 00 00 00 00 00 30 00 01 80"
				  "0e 00 01 00 69 6d 6d 65 64 69 61 74 65 00 00 00 1c 00 02 80 08 "
				  "00 01 00 00 00 00 00 10 00 02 80"
				  "0c 00 02 80 08 00 01 00 00 00 00 01";
static const char nft_rule_drop[] = "01 00 00 00 10 00 01 00 66 61 75 6c 74 6c 69 6e 65 5f 78 00 "
				    "08 00 02 00 6f 75 74 00 34 02 04 80"
				    "24 00 01 80 09 00 01 00 6d 65 74 61 00 00 00 00 14 00 02 80 "
				    "08 00 02 00 00 00 00 0f 08 00 01 00"
				    "00 00 00 01 2c 00 01 80 08 00 01 00 63 6d 70 00 20 00 02 80 "
				    "08 00 01 00 00 00 00 01 08 00 02 00"
				    "00 00 00 00 0c 00 03 80 05 00 01 00 02 00 00 00 34 00 01 80 "
				    "0c 00 01 00 70 61 79 6c 6f 61 64 00"
				    "24 00 02 80 08 00 01 00 00 00 00 01 08 00 02 00 00 00 00 01 "
				    "08 00 03 00 00 00 00 10 08 00 04 00"
				    "00 00 00 03 2c 00 01 80 08 00 01 00 63 6d 70 00 20 00 02 80 "
				    "08 00 01 00 00 00 00 01 08 00 02 00"
				    "00 00 00 00 0c 00 03 80 07 00 01 00 0a 09 00 00 24 00 01 80 "
				    "09 00 01 00 6d 65 74 61 00 00 00 00"
				    "14 00 02 80 08 00 02 00 00 00 00 10 08 00 01 00 00 00 00 01 "
				    "2c 00 01 80 08 00 01 00 63 6d 70 00"
				    "20 00 02 80 08 00 01 00 00 00 00 01 08 00 02 00 00 00 00 00 "
				    "0c 00 03 80 05 00 01 00 06 00 00 00"
				    "34 00 01 80 0c 00 01 00 70 61 79 6c 6f 61 64 00 24 00 02 80 "
				    "08 00 01 00 00 00 00 01 08 00 02 00"
				    "00 00 00 02 08 00 03 00 00 00 00 02 08 00 04 00 00 00 00 02 "
				    "2c 00 01 80 08 00 01 00 63 6d 70 00"
				    "20 00 02 80 08 00 01 00 00 00 00 01 08 00 02 00 00 00 00 00 "
				    "0c 00 03 80 06 00 01 00 00 50 00 00"
				    "34 00 01 80 0b 00 01 00 6e 75 6d 67 65 6e 00 00 24 00 02 80 "
				    "08 00 01 00 00 00 00 01 08 00 02 00"
				    "00 00 27 10 08 00 03 00 00 00 00 01 08 00 04 00 00 00 00 00 "
				    "40 00 01 80 0e 00 01 00 62 79 74 65"
				    "6f 72 64 65 72 00 00 00 2c 00 02 80 08 00 01 00 00 00 00 01 "
				    "08 00 02 00 00 00 00 01 08 00 03 00"
				    "00 00 00 01 08 00 04 00 00 00 00 04 08 00 05 00 00 00 00 04 "
				    "2c 00 01 80 08 00 01 00 63 6d 70 00"
				    "20 00 02 80 08 00 01 00 00 00 00 01 08 00 02 00 00 00 00 02 "
				    "0c 00 03 80 08 00 01 00 00 00 07 d0"
				    "30 00 01 80 0e 00 01 00 69 6d 6d 65 64 69 61 74 65 00 00 00 "
				    "1c 00 02 80 08 00 01 00 00 00 00 00"
				    "10 00 02 80 0c 00 02 80 08 00 01 00 00 00 00 00";
static const char nft_rule_icmpx[] = "01 00 00 00 10 00 01 00 66 61 75 6c 74 6c 69 6e 65 5f 78 00 "
				     "08 00 02 00 6f 75 74 00 90 01 04 80"
				     "24 00 01 80 09 00 01 00 6d 65 74 61 00 00 00 00 14 00 02 80 "
				     "08 00 02 00 00 00 00 0f 08 00 01 00"
				     "00 00 00 01 2c 00 01 80 08 00 01 00 63 6d 70 00 20 00 02 80 "
				     "08 00 01 00 00 00 00 01 08 00 02 00"
				     "00 00 00 00 0c 00 03 80 05 00 01 00 0a 00 00 00 34 00 01 80 "
				     "0c 00 01 00 70 61 79 6c 6f 61 64 00"
				     "24 00 02 80 08 00 01 00 00 00 00 01 08 00 02 00 00 00 00 01 "
				     "08 00 03 00 00 00 00 18 08 00 04 00"
				     "00 00 00 10 5c 00 01 80 0c 00 01 00 62 69 74 77 69 73 65 00 "
				     "4c 00 02 80 08 00 01 00 00 00 00 01"
				     "08 00 02 00 00 00 00 01 08 00 03 00 00 00 00 10 18 00 04 80 "
				     "14 00 01 00 ff ff ff ff ff ff ff f8"
				     "00 00 00 00 00 00 00 00 18 00 05 80 14 00 01 00 00 00 00 00 "
				     "00 00 00 00 00 00 00 00 00 00 00 00"
				     "38 00 01 80 08 00 01 00 63 6d 70 00 2c 00 02 80 08 00 01 00 "
				     "00 00 00 01 08 00 02 00 00 00 00 00"
				     "18 00 03 80 14 00 01 00 fd 00 00 00 00 00 00 00 00 00 00 00 "
				     "00 00 00 00 24 00 01 80 09 00 01 00"
				     "6d 65 74 61 00 00 00 00 14 00 02 80 08 00 02 00 00 00 00 10 "
				     "08 00 01 00 00 00 00 01 2c 00 01 80"
				     "08 00 01 00 63 6d 70 00 20 00 02 80 08 00 01 00 00 00 00 01 "
				     "08 00 02 00 00 00 00 00 0c 00 03 80"
				     "05 00 01 00 11 00 00 00 24 00 01 80 0b 00 01 00 72 65 6a 65 "
				     "63 74 00 00 14 00 02 80 08 00 01 00"
				     "00 00 00 02 05 00 02 00 01 00 00 00";

static size_t golden(const char *hex, uint8_t *buf, size_t size)
{
	ssize_t n = fl_hex_parse(hex, buf, size);

	FL_ASSERT_MSG(n > 0, "bad golden hex");
	return (size_t)n;
}

static void expect_payload(const struct nlmsghdr *nlh, const char *hex, const char *what)
{
	uint8_t want[1024];
	size_t n = golden(hex, want, sizeof(want));

	fltest_memeq(__FILE__, __LINE__, what, mnl_nlmsg_get_payload(nlh),
		     nlh->nlmsg_len - MNL_NLMSG_HDRLEN, want, n);
}

/* Attribute type -> bytes, for messages whose attribute order may differ. */
static void expect_same_attrs(const struct nlmsghdr *nlh, const char *hex)
{
	uint8_t want[512];
	size_t n = golden(hex, want, sizeof(want));
	const struct nlattr *a;
	unsigned got_n = 0, want_n = 0;

	FL_ASSERT_EQ(nlh->nlmsg_len - MNL_NLMSG_HDRLEN, n);
	FL_ASSERT_MEMEQ(mnl_nlmsg_get_payload(nlh), sizeof(struct nfgenmsg), want,
			sizeof(struct nfgenmsg));
	for (size_t off = sizeof(struct nfgenmsg); off + 4 <= n;) {
		const struct nlattr *w = (const struct nlattr *)(want + off);
		const struct nlattr *g = find_attr(nlh, mnl_attr_get_type(w));

		FL_ASSERT_MSG(g, "attribute %u missing", mnl_attr_get_type(w));
		FL_ASSERT_MEMEQ(g, g->nla_len, w, w->nla_len);
		off += MNL_ALIGN(w->nla_len);
		want_n++;
	}
	mnl_attr_for_each (a, nlh, sizeof(struct nfgenmsg))
		got_n++;
	FL_ASSERT_EQ(got_n, want_n);
}

FLTEST(bytes_equal_what_nft_sends)
{
	struct fl_nft_fault f = drop_all();
	struct fl_nft_plan *plan;
	struct fl_nft_batch b;
	ssize_t len;

	f.percent = 20;
	f.n_peers = 1;
	f.peers[0] = peer("10.9.0.0", 24, IPPROTO_TCP, 80);
	plan = plan_of(&f);
	len = build_batch(plan, 0, &b);
	/* BEGIN, table, chain, lo rule, the drop rule, END. */
	expect_payload(nth_msg(batch_buf, (size_t)len, 1), nft_table, "table");
	/* nft sends type, policy, hook; libnftnl writes hook, policy, type: same attributes. */
	expect_same_attrs(nth_msg(batch_buf, (size_t)len, 2), nft_chain);
	expect_payload(nth_msg(batch_buf, (size_t)len, 3), nft_rule_lo, "loopback rule");
	expect_payload(nth_msg(batch_buf, (size_t)len, 4), nft_rule_drop, "drop rule");
	fl_nft_plan_free(plan);

	f = drop_all();
	f.action = FL_NFT_REJECT;
	f.n_peers = 1;
	f.peers[0] = peer("fd00::", 61, IPPROTO_UDP, 0);
	plan = plan_of(&f);
	len = build_batch(plan, 0, &b);
	expect_payload(nth_msg(batch_buf, (size_t)len, 4), nft_rule_icmpx, "icmpx rule");
	fl_nft_plan_free(plan);
}

/* ---- read-back comparison ------------------------------------------------------------- */

/* Feed the NEW* messages of a batch to a state, as if the kernel had dumped them. */
static void state_from_batch(struct fl_nft_state *st, const char *table, ssize_t len, int skip_msg)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)batch_buf;
	int left = (int)len;

	memset(st, 0, sizeof(*st));
	st->table = table;
	for (int i = 0; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), i++)
		if (i != skip_msg)
			FL_ASSERT_OK(fl_nft_state_add(nlh, st));
}

FLTEST(compare_round_trip_and_differences)
{
	static struct fl_nft_state st;
	struct fl_nft_fault f = drop_all(), g;
	struct fl_nft_plan *plan, *other;
	struct fl_nft_batch b;
	struct fl_diag diag = { 0 };
	ssize_t len;

	f.direction = FL_NFT_BOTH;
	f.percent = 20;
	f.n_peers = 2;
	f.peers[0] = peer("10.9.0.2", 32, 0, 0);
	f.peers[1] = peer("fd00::", 64, IPPROTO_UDP, 53);
	plan = plan_of(&f);
	len = build_batch(plan, NFT_TABLE_F_OWNER, &b);

	state_from_batch(&st, "faultline_x", len, -1);
	FL_ASSERT(st.found);
	FL_ASSERT_EQ(st.n_chains, 2);
	FL_ASSERT_EQ(st.n_rules, 6);
	FL_ASSERT_OK(fl_nft_compare(plan, &st, 0, true, &diag));

	/* Another percent: the random draw's bound differs. */
	g = f;
	g.percent = 30;
	other = plan_of(&g);
	FL_ASSERT_EQ(fl_nft_compare(other, &st, 0, true, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "chain out, rule 2 (drop, peers[0]): expression 7: want "
				     "[cmp lt reg 1 0xb80b0000], kernel has [cmp lt reg 1 "
				     "0xd0070000]");
	fl_nft_plan_free(other);

	/* Another action. */
	g = f;
	g.action = FL_NFT_QUEUE;
	g.queue_num = 3;
	other = plan_of(&g);
	FL_ASSERT_EQ(fl_nft_compare(other, &st, 0, true, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "want [target name NFQUEUE rev 3 info");
	FL_ASSERT_CONTAINS(diag.msg, "kernel has [immediate reg 0 drop]");
	fl_nft_plan_free(other);

	/* Only OUT: the kernel has a chain too many. */
	g = f;
	g.direction = FL_NFT_OUT;
	other = plan_of(&g);
	FL_ASSERT_EQ(fl_nft_compare(other, &st, 0, true, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "want 1 chain (out), kernel has 2");
	fl_nft_plan_free(other);

	/* Not created with the owner flag, but this handle made it with one. */
	fl_nft_state_clear(&st);
	len = build_batch(plan, 0, &b);
	state_from_batch(&st, "faultline_x", len, -1);
	FL_ASSERT_EQ(fl_nft_compare(plan, &st, 0, true, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "flags: want owner, kernel has none");
	FL_ASSERT_OK(fl_nft_compare(plan, &st, 0, false, &diag));

	/* A rule gone (message 1 + 1 + 2 + 1: the first peer rule of "out"). */
	fl_nft_state_clear(&st);
	state_from_batch(&st, "faultline_x", len, 5);
	FL_ASSERT_EQ(fl_nft_compare(plan, &st, 0, false, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "chain out: want 3 rules, kernel has 2");

	/* Messages of another table only: ours is gone. */
	fl_nft_state_clear(&st);
	state_from_batch(&st, "faultline_y", len, -1);
	FL_ASSERT(!st.found);
	FL_ASSERT_EQ(st.n_rules, 0);
	FL_ASSERT_EQ(fl_nft_compare(plan, &st, 0, false, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "table inet faultline_x is gone");
	fl_nft_state_clear(&st);
	fl_nft_plan_free(plan);
}

/* ---- a fake nf_tables ------------------------------------------------------------------- */

#define FAKE_OBJS    256
#define FAKE_REPLIES 16

struct fake_obj {
	uint16_t type; /* NFT_MSG_NEWTABLE / NEWCHAIN / NEWRULE */
	char table[64], name[64];
	uint32_t flags;
	uint8_t *msg;
	size_t len;
};

struct fake {
	/* What this "kernel" lacks or refuses. */
	bool no_owner, no_target, no_numgen, no_reject, eperm;
	const char *extack; /* text attached to every error */

	struct fake_obj objs[FAKE_OBJS];
	unsigned n_objs;
	struct {
		uint8_t *buf;
		size_t len;
	} replies[FAKE_REPLIES];
	unsigned r_head, r_tail;
	unsigned n_batches, n_failed_batches;
	uint8_t out[65536];
	size_t out_len;
};

static void out_msg(struct fake *k, const void *msg, size_t len, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(k->out + k->out_len);

	FL_ASSERT(k->out_len + MNL_ALIGN(len) <= sizeof(k->out));
	memcpy(nlh, msg, len);
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = flags;
	k->out_len += MNL_ALIGN(len);
}

static void out_error(struct fake *k, const struct nlmsghdr *req, int error)
{
	uint8_t buf[256] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlmsgerr *err = (struct nlmsgerr *)(nlh + 1);
	size_t len = sizeof(*nlh) + sizeof(*err);

	nlh->nlmsg_type = NLMSG_ERROR;
	err->error = error;
	err->msg = *req;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	if (error && k->extack) {
		struct nlattr *a = (struct nlattr *)(buf + len);

		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = (uint16_t)(sizeof(*a) + strlen(k->extack) + 1);
		memcpy(a + 1, k->extack, strlen(k->extack) + 1);
		len += MNL_ALIGN(a->nla_len);
	}
	nlh->nlmsg_len = (uint32_t)len;
	out_msg(k, buf, len, req->nlmsg_seq, nlh->nlmsg_flags);
}

static void out_done(struct fake *k, uint32_t seq)
{
	struct {
		struct nlmsghdr h;
		int err;
	} done = { .h = { .nlmsg_len = sizeof(done), .nlmsg_type = NLMSG_DONE } };

	out_msg(k, &done, sizeof(done), seq, NLM_F_MULTI);
}

static void out_flush(struct fake *k)
{
	unsigned slot = k->r_tail++ % FAKE_REPLIES;

	FL_ASSERT(k->r_tail - k->r_head <= FAKE_REPLIES);
	k->replies[slot].buf = malloc(k->out_len);
	FL_ASSERT(k->replies[slot].buf);
	memcpy(k->replies[slot].buf, k->out, k->out_len);
	k->replies[slot].len = k->out_len;
	k->out_len = 0;
}

static int find_obj(const struct fake_obj *objs, unsigned n, uint16_t type, const char *table,
		    const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (objs[i].type == type && strcmp(objs[i].table, table) == 0 &&
		    (!name || strcmp(objs[i].name, name) == 0))
			return (int)i;
	return -1;
}

static bool owned_by(const struct fake_obj *objs, unsigned n, const uint8_t *msg)
{
	for (unsigned i = 0; i < n; i++)
		if (objs[i].msg == msg)
			return true;
	return false;
}

/* One message of a batch against the working copy; 0 or -errno. */
static int fake_apply(struct fake *k, struct fake_obj *work, unsigned *n,
		      const struct nlmsghdr *nlh)
{
	struct fake_obj o = { .type = nlh->nlmsg_type & 0xff };
	int r = 0;

	switch (o.type) {
	case NFT_MSG_NEWTABLE:
	case NFT_MSG_DELTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		FL_ASSERT(t && nftnl_table_nlmsg_parse(nlh, t) == 0);
		(void)snprintf(o.table, sizeof(o.table), "%s",
			       nftnl_table_get_str(t, NFTNL_TABLE_NAME));
		o.flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
		nftnl_table_free(t);
		if (o.type == NFT_MSG_DELTABLE) {
			unsigned j = 0;

			if (find_obj(work, *n, NFT_MSG_NEWTABLE, o.table, NULL) < 0)
				return -ENOENT;
			for (unsigned i = 0; i < *n; i++) {
				if (strcmp(work[i].table, o.table) != 0)
					work[j++] = work[i];
				else if (!owned_by(k->objs, k->n_objs, work[i].msg))
					free(work[i].msg); /* created and deleted in this batch */
			}
			*n = j;
			return 0;
		}
		if (k->no_owner && (o.flags & NFT_TABLE_F_OWNER))
			return -EOPNOTSUPP;
		if (find_obj(work, *n, NFT_MSG_NEWTABLE, o.table, NULL) >= 0)
			return -EEXIST;
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		FL_ASSERT(c && nftnl_chain_nlmsg_parse(nlh, c) == 0);
		(void)snprintf(o.table, sizeof(o.table), "%s",
			       nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE));
		(void)snprintf(o.name, sizeof(o.name), "%s",
			       nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
		nftnl_chain_free(c);
		if (find_obj(work, *n, NFT_MSG_NEWTABLE, o.table, NULL) < 0)
			return -ENOENT;
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *rule = nftnl_rule_alloc();
		struct nftnl_expr_iter *it;
		struct nftnl_expr *e;

		FL_ASSERT(rule && nftnl_rule_nlmsg_parse(nlh, rule) == 0);
		(void)snprintf(o.table, sizeof(o.table), "%s",
			       nftnl_rule_get_str(rule, NFTNL_RULE_TABLE));
		(void)snprintf(o.name, sizeof(o.name), "%s",
			       nftnl_rule_get_str(rule, NFTNL_RULE_CHAIN));
		if (find_obj(work, *n, NFT_MSG_NEWCHAIN, o.table, o.name) < 0)
			r = -ENOENT;
		it = nftnl_expr_iter_create(rule);
		while (r == 0 && (e = nftnl_expr_iter_next(it))) {
			const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

			if ((k->no_target && strcmp(name, "target") == 0) ||
			    (k->no_numgen && strcmp(name, "numgen") == 0) ||
			    (k->no_reject && strcmp(name, "reject") == 0))
				r = -ENOENT;
		}
		nftnl_expr_iter_destroy(it);
		nftnl_rule_free(rule);
		if (r < 0)
			return r;
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	FL_ASSERT(*n < FAKE_OBJS);
	o.msg = malloc(nlh->nlmsg_len);
	FL_ASSERT(o.msg);
	memcpy(o.msg, nlh, nlh->nlmsg_len);
	o.len = nlh->nlmsg_len;
	work[(*n)++] = o;
	return 0;
}

static void fake_batch(struct fake *k, const struct nlmsghdr *nlh, int left)
{
	static struct fake_obj work[FAKE_OBJS];
	unsigned n = k->n_objs;
	bool failed = false;

	k->n_batches++;
	if (k->eperm) {
		out_error(k, nlh, -EPERM);
		out_flush(k);
		return;
	}
	memcpy(work, k->objs, sizeof(work));
	for (nlh = mnl_nlmsg_next(nlh, &left); mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left)) {
		int r;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			break;
		r = fake_apply(k, work, &n, nlh);
		failed |= r < 0;
		if (r < 0 || (nlh->nlmsg_flags & NLM_F_ACK))
			out_error(k, nlh, r);
	}
	if (failed) {
		/* Abort: free what the batch added. */
		for (unsigned i = 0; i < n; i++)
			if (!owned_by(k->objs, k->n_objs, work[i].msg))
				free(work[i].msg);
		k->n_failed_batches++;
	} else {
		for (unsigned i = 0; i < k->n_objs; i++)
			if (!owned_by(work, n, k->objs[i].msg))
				free(k->objs[i].msg);
		memcpy(k->objs, work, sizeof(work));
		k->n_objs = n;
	}
	out_flush(k);
}

static void fake_get(struct fake *k, const struct nlmsghdr *req)
{
	uint16_t type = req->nlmsg_type & 0xff;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	char table[64] = "";

	if (type == NFT_MSG_GETTABLE && !dump) {
		struct nftnl_table *t = nftnl_table_alloc();
		int i;

		FL_ASSERT(t && nftnl_table_nlmsg_parse(req, t) == 0);
		(void)snprintf(table, sizeof(table), "%s",
			       nftnl_table_get_str(t, NFTNL_TABLE_NAME));
		nftnl_table_free(t);
		i = find_obj(k->objs, k->n_objs, NFT_MSG_NEWTABLE, table, NULL);
		if (i < 0) {
			out_error(k, req, -ENOENT);
		} else {
			out_msg(k, k->objs[i].msg, k->objs[i].len, req->nlmsg_seq, 0);
			out_error(k, req, 0);
		}
		out_flush(k);
		return;
	}
	if (type == NFT_MSG_GETRULE) {
		struct nftnl_rule *rule = nftnl_rule_alloc();

		FL_ASSERT(rule && nftnl_rule_nlmsg_parse(req, rule) == 0);
		if (nftnl_rule_is_set(rule, NFTNL_RULE_TABLE))
			(void)snprintf(table, sizeof(table), "%s",
				       nftnl_rule_get_str(rule, NFTNL_RULE_TABLE));
		nftnl_rule_free(rule);
	}
	for (unsigned i = 0; i < k->n_objs; i++) {
		const struct fake_obj *o = &k->objs[i];

		if ((type == NFT_MSG_GETTABLE && o->type == NFT_MSG_NEWTABLE) ||
		    (type == NFT_MSG_GETCHAIN && o->type == NFT_MSG_NEWCHAIN) ||
		    (type == NFT_MSG_GETRULE && o->type == NFT_MSG_NEWRULE &&
		     (!table[0] || strcmp(o->table, table) == 0)))
			out_msg(k, o->msg, o->len, req->nlmsg_seq, NLM_F_MULTI);
	}
	out_done(k, req->nlmsg_seq);
	out_flush(k);
}

static int fake_send(void *priv, const void *buf, size_t len)
{
	struct fake *k = priv;
	const struct nlmsghdr *nlh = buf;

	FL_ASSERT(mnl_nlmsg_ok(nlh, (int)len));
	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN)
		fake_batch(k, nlh, (int)len);
	else
		fake_get(k, nlh);
	return 0;
}

static ssize_t fake_recv(void *priv, void *buf, size_t size)
{
	struct fake *k = priv;
	unsigned slot;
	size_t len;

	if (k->r_head == k->r_tail)
		return -EAGAIN;
	slot = k->r_head++ % FAKE_REPLIES;
	len = k->replies[slot].len;
	FL_ASSERT(len <= size);
	memcpy(buf, k->replies[slot].buf, len);
	free(k->replies[slot].buf);
	return (ssize_t)len;
}

static void fake_destroy(void *priv)
{
	struct fake *k = priv;

	for (unsigned i = 0; i < k->n_objs; i++)
		free(k->objs[i].msg);
	while (k->r_head != k->r_tail)
		free(k->replies[k->r_head++ % FAKE_REPLIES].buf);
	free(k);
}

static const struct fl_nl_transport fake_ops = {
	.send = fake_send,
	.recv = fake_recv,
	.destroy = fake_destroy,
};

static void close_cb(void *p)
{
	struct fl_nft **nft = p;

	*nft = fl_nft_close(*nft);
}

/* A handle on a new fake kernel; closed by a deferred cleanup. */
static struct fl_nft *fake_nft(struct fake **ret_k)
{
	static struct fl_nft *nft;
	struct fake *k = calloc(1, sizeof(*k));

	FL_ASSERT(k);
	FL_ASSERT_OK(fl_nft_new(&fake_ops, k, &nft));
	fltest_defer(close_cb, &nft);
	*ret_k = k;
	return nft;
}

static unsigned fake_tables(const struct fake *k)
{
	unsigned n = 0;

	for (unsigned i = 0; i < k->n_objs; i++)
		n += k->objs[i].type == NFT_MSG_NEWTABLE;
	return n;
}

static int count_cb(const char *table, void *data)
{
	unsigned *n = data;

	FL_ASSERT(strncmp(table, "faultline_", 10) == 0);
	(*n)++;
	return 0;
}

/* ---- the engine against the fake ------------------------------------------------------ */

FLTEST(fake_apply_verify_remove)
{
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all(), g;
	struct fl_diag diag = { 0 };
	unsigned n = 0;

	f.direction = FL_NFT_BOTH;
	f.n_peers = 1;
	f.peers[0] = peer("10.9.0.2", 32, 0, 0);
	FL_ASSERT_OK(fl_nft_apply(nft, "p1", &f, &diag));
	FL_ASSERT_EQ(k->n_batches, 1);
	FL_ASSERT_EQ(k->n_objs, 1 + 2 + 4);
	FL_ASSERT_EQ(k->objs[0].flags, NFT_TABLE_F_OWNER);
	FL_ASSERT_OK(fl_nft_verify(nft, "p1", &f, &diag));

	/* Applying the same id again. */
	FL_ASSERT_EQ(fl_nft_apply(nft, "p1", &f, &diag), -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "table inet faultline_p1 already exists");
	FL_ASSERT_EQ(k->n_objs, 7);

	/* Verify against another fault. */
	g = f;
	g.peers[0] = peer("10.9.0.3", 32, 0, 0);
	FL_ASSERT_EQ(fl_nft_verify(nft, "p1", &g, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "chain out, rule 2 (drop, peers[0]): expression 4");

	/* Tamper: the last rule of "in" disappears. */
	free(k->objs[--k->n_objs].msg);
	FL_ASSERT_EQ(fl_nft_verify(nft, "p1", &f, &diag), -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "chain in: want 2 rules, kernel has 1");

	FL_ASSERT_OK(fl_nft_list_ours(nft, count_cb, &n, &diag));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_OK(fl_nft_remove(nft, "p1", &diag));
	FL_ASSERT_EQ(k->n_objs, 0);
	FL_ASSERT_OK(fl_nft_remove(nft, "p1", &diag)); /* gone already: fine */
	FL_ASSERT_EQ(fl_nft_verify(nft, "p1", &f, &diag), -ENOENT);
	FL_ASSERT_EQ(fl_nft_remove(nft, "P1", &diag), -EINVAL);
	FL_ASSERT_EQ(fl_nft_apply(nft, "p_1", &f, &diag), -EINVAL);
	f.percent = 200;
	FL_ASSERT_EQ(fl_nft_apply(nft, "p1", &f, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "percent: 200 is above 100");
}

FLTEST(fake_without_owner_flag_falls_back_once)
{
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all();
	struct fl_diag diag = { 0 };

	k->no_owner = true;
	FL_ASSERT_OK(fl_nft_apply(nft, "a", &f, &diag));
	FL_ASSERT_EQ(k->n_batches, 2);
	FL_ASSERT_EQ(k->n_failed_batches, 1);
	FL_ASSERT_EQ(k->objs[0].flags, 0);
	FL_ASSERT_OK(fl_nft_verify(nft, "a", &f, &diag));
	/* Learnt: the next table goes plain at once. */
	FL_ASSERT_OK(fl_nft_apply(nft, "b", &f, &diag));
	FL_ASSERT_EQ(k->n_batches, 3);
	FL_ASSERT_EQ(fl_nft_probe(nft), FL_NFT_CAP_TABLES | FL_NFT_CAP_NUMGEN | FL_NFT_CAP_REJECT |
						FL_NFT_CAP_NFQUEUE);
	FL_ASSERT_EQ(fake_tables(k), 2); /* the probe left nothing behind */
}

FLTEST(fake_kernel_without_nfqueue_target)
{
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all();
	struct fl_diag diag = { 0 };

	k->no_target = true;
	k->extack = "";
	f.action = FL_NFT_QUEUE;
	f.queue_num = 5;
	f.queue_bypass = true;
	FL_ASSERT_EQ(fl_nft_apply(nft, "q", &f, &diag), -EOPNOTSUPP);
	fltest_log("message: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "this kernel lacks the xtables NFQUEUE target (nft_compat / "
				     "xt_NFQUEUE)");
	FL_ASSERT_CONTAINS(diag.msg, "modprobe nft_compat xt_NFQUEUE");
	FL_ASSERT_CONTAINS(diag.msg, "No such file or directory");
	FL_ASSERT_EQ(k->n_objs, 0);
	FL_ASSERT_EQ(fl_nft_probe(nft),
		     FL_NFT_CAP_TABLES | FL_NFT_CAP_OWNER | FL_NFT_CAP_NUMGEN | FL_NFT_CAP_REJECT);
	/* Other actions still work. */
	f = drop_all();
	FL_ASSERT_OK(fl_nft_apply(nft, "d", &f, &diag));
}

FLTEST(fake_kernel_without_numgen_or_reject)
{
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all();
	struct fl_diag diag = { 0 };

	k->no_numgen = true;
	k->no_reject = true;
	f.percent = 10;
	FL_ASSERT_EQ(fl_nft_apply(nft, "l", &f, &diag), -EOPNOTSUPP);
	FL_ASSERT_CONTAINS(diag.msg, "this kernel lacks the nft numgen expression (nft_numgen");
	f = drop_all();
	f.action = FL_NFT_REJECT;
	FL_ASSERT_EQ(fl_nft_apply(nft, "r", &f, &diag), -EOPNOTSUPP);
	FL_ASSERT_CONTAINS(diag.msg, "this kernel lacks the nft reject expression for the inet "
				     "family (nft_reject_inet");
	FL_ASSERT_EQ(k->n_objs, 0);
	/* A partition needs neither. */
	f = drop_all();
	FL_ASSERT_OK(fl_nft_apply(nft, "p", &f, &diag));
}

FLTEST(fake_kernel_refusing_the_batch)
{
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all();
	struct fl_diag diag = { 0 };

	k->eperm = true;
	k->extack = "need CAP_NET_ADMIN";
	FL_ASSERT_EQ(fl_nft_apply(nft, "p", &f, &diag), -EPERM);
	FL_ASSERT_CONTAINS(diag.msg, "needs CAP_NET_ADMIN in the target network namespace");
	FL_ASSERT_CONTAINS(diag.msg, "(kernel: need CAP_NET_ADMIN)");
	FL_ASSERT_EQ(fl_nft_probe(nft), 0);
}

FLTEST(fake_sweep_removes_ours_only)
{
	static uint8_t buf[FL_NFT_BATCH_MAX];
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_fault f = drop_all();
	struct fl_nft_batch b;
	struct fl_diag diag = { 0 };
	int failed = -1;
	unsigned n = 0;

	FL_ASSERT_OK(fl_nft_apply(nft, "a", &f, &diag));
	FL_ASSERT_OK(fl_nft_apply(nft, "b", &f, &diag));
	/* Foreign tables, one with a name close to ours. */
	FL_ASSERT_OK(fl_nft_batch_init(&b, buf, sizeof(buf)));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, NFPROTO_INET, "filter", 0));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, NFPROTO_INET, "faultline", 0));
	FL_ASSERT_OK(fl_nft_send_batch(nft, &b, &failed, &diag));
	FL_ASSERT_EQ(fake_tables(k), 4);

	FL_ASSERT_OK(fl_nft_list_ours(nft, count_cb, &n, &diag));
	FL_ASSERT_EQ(n, 2);
	FL_ASSERT_EQ(fl_nft_sweep(nft, &diag), 2);
	FL_ASSERT_EQ(fake_tables(k), 2);
	FL_ASSERT(find_obj(k->objs, k->n_objs, NFT_MSG_NEWTABLE, "filter", NULL) >= 0);
	FL_ASSERT(find_obj(k->objs, k->n_objs, NFT_MSG_NEWTABLE, "faultline", NULL) >= 0);
	FL_ASSERT_EQ(fl_nft_sweep(nft, &diag), 0);
}

FLTEST(batch_errors_name_the_first_failing_message)
{
	static uint8_t buf[FL_NFT_BATCH_MAX];
	struct fake *k;
	struct fl_nft *nft = fake_nft(&k);
	struct fl_nft_batch b;
	struct fl_diag diag = { 0 };
	int failed = -1;

	/* Table 2 exists already; everything after it is answered too. */
	FL_ASSERT_OK(fl_nft_batch_init(&b, buf, sizeof(buf)));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, NFPROTO_INET, "t2", 0));
	FL_ASSERT_OK(fl_nft_send_batch(nft, &b, &failed, &diag));
	k->extack = "exists";
	FL_ASSERT_OK(fl_nft_batch_init(&b, buf, sizeof(buf)));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, NFPROTO_INET, "t1", 0));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, NFPROTO_INET, "t2", 0));
	FL_ASSERT_OK(fl_nft_batch_del_table(&b, NFPROTO_INET, "t3"));
	FL_ASSERT_EQ(fl_nft_send_batch(nft, &b, &failed, &diag), -EEXIST);
	FL_ASSERT_EQ(failed, 1);
	FL_ASSERT_CONTAINS(diag.msg, "File exists (kernel: exists)");
	FL_ASSERT_EQ(fake_tables(k), 1); /* rolled back: no t1 */
}
