/* SPDX-License-Identifier: MIT */
/*
 * The other objects of a Faultline tree, cross-checked against what iproute2's tc sends
 * (tests/data/tc-golden/, recorded by scripts/record-tc-golden.sh): the htb root, u32
 * steering filters, the ingress redirect, tbf and the htb class. Where we deliberately
 * differ (no 1 KiB rate tables, exact tick conversion, the action cookie) the comparison is
 * on the fields the kernel reads.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/tc_act/tc_mirred.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "../../netem/src/internal.h"
#include "fl/hex.h"
#include "fltest.h"

static uint8_t tcbuf[8192], ours[8192];

static size_t load(const char *name, const char *what, uint8_t *buf)
{
	char path[256], *text;
	ssize_t n;

	(void)snprintf(path, sizeof(path), "tests/data/tc-golden/%s.%s.hex", name, what);
	text = fltest_read_file(path, NULL);
	if (!text)
		FL_FAIL("cannot read %s", path);
	n = fl_hex_parse(text, buf, 8192);
	free(text);
	FL_ASSERT(n > 0);
	return (size_t)n;
}

static const struct nlattr *find_attr(const void *payload, size_t len, uint16_t type)
{
	const struct nlattr *attr;

	mnl_attr_for_each_payload (payload, len) {
		if (mnl_attr_get_type(attr) == type)
			return attr;
	}
	return NULL;
}

/* TCA_OPTIONS payload of a whole tc message. */
static const struct nlattr *msg_options(const uint8_t *msg)
{
	const struct nlmsghdr *nlh = (const void *)msg;
	const struct nlattr *a;

	mnl_attr_for_each (a, nlh, sizeof(struct tcmsg)) {
		if (mnl_attr_get_type(a) == TCA_OPTIONS)
			return a;
	}
	FL_FAIL("no TCA_OPTIONS");
}

static const struct tcmsg *msg_tcm(const uint8_t *msg)
{
	return mnl_nlmsg_get_payload((const struct nlmsghdr *)msg);
}

FLTEST(htb_root_options_equal_tc)
{
	size_t tlen = load("htb_qdisc_default0", "msg", tcbuf);
	int n = fl_msg_htb_root(ours, sizeof(ours), 0, 1);
	const struct nlattr *t = msg_options(tcbuf), *o = msg_options(ours);

	FL_ASSERT(n > 0);
	(void)tlen;
	FL_ASSERT_MEMEQ(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o),
			mnl_attr_get_payload(t), mnl_attr_get_payload_len(t));
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_handle, msg_tcm(tcbuf)->tcm_handle);
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_parent, msg_tcm(tcbuf)->tcm_parent);
}

static void check_u32(const char *name, struct fl_netem_match m, bool same_prio)
{
	const struct nlattr *t, *o;

	load(name, "msg", tcbuf);
	FL_ASSERT(fl_msg_u32_match(ours, sizeof(ours), 0, 1, &m) > 0);
	t = msg_options(tcbuf);
	o = msg_options(ours);
	if (mnl_attr_get_payload_len(o) != mnl_attr_get_payload_len(t) ||
	    memcmp(mnl_attr_get_payload(o), mnl_attr_get_payload(t), mnl_attr_get_payload_len(t)))
		fltest_log("case %s", name);
	FL_ASSERT_MEMEQ(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o),
			mnl_attr_get_payload(t), mnl_attr_get_payload_len(t));
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_parent, msg_tcm(tcbuf)->tcm_parent);
	if (same_prio)
		FL_ASSERT_EQ(msg_tcm(ours)->tcm_info, msg_tcm(tcbuf)->tcm_info);
	FL_ASSERT_EQ(((struct nlmsghdr *)ours)->nlmsg_type, ((struct nlmsghdr *)tcbuf)->nlmsg_type);
}

static struct fl_netem_match v4(const char *addr, unsigned prefix, bool src, uint8_t proto,
				uint16_t port)
{
	struct fl_netem_match m = { .family = AF_INET,
				    .prefix_len = (uint8_t)prefix,
				    .source = src,
				    .ip_proto = proto,
				    .port = port };

	inet_pton(AF_INET, addr, m.addr);
	return m;
}

FLTEST(u32_filters_equal_tc)
{
	struct fl_netem_match m6 = { .family = AF_INET6, .prefix_len = 128 };

	check_u32("u32_match_ip_dst", v4("10.0.0.2", 32, false, 0, 0), true);
	check_u32("u32_match_ip_dport", v4("0.0.0.0", 0, false, 0, 9092), true);
	check_u32("u32_match_ip_protocol", v4("0.0.0.0", 0, false, IPPROTO_TCP, 0), true);
	check_u32("u32_match_ip_dst_proto_dport", v4("10.0.0.2", 32, false, IPPROTO_TCP, 9092),
		  true);
	check_u32("u32_match_ip_src_subnet", v4("192.168.0.0", 16, true, 0, 0), true);
	inet_pton(AF_INET6, "fd00::2", m6.addr);
	/* IPv6 filters use their own priority (FA18): one protocol per priority. */
	check_u32("u32_match_ip6_dst", m6, false);
}

FLTEST(ingress_redirect_equals_tc_plus_cookie)
{
	const struct nlattr *t, *o, *ts, *os, *tact, *oact;

	load("u32_mirred_redirect_ingress", "msg", tcbuf);
	FL_ASSERT(fl_msg_ingress_redirect(ours, sizeof(ours), 0, 1, 1) > 0);
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_info, msg_tcm(tcbuf)->tcm_info);
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_parent, msg_tcm(tcbuf)->tcm_parent);
	t = msg_options(tcbuf);
	o = msg_options(ours);
	ts = find_attr(mnl_attr_get_payload(t), mnl_attr_get_payload_len(t), TCA_U32_SEL);
	os = find_attr(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o), TCA_U32_SEL);
	FL_ASSERT(ts && os);
	FL_ASSERT_MEMEQ(mnl_attr_get_payload(os), mnl_attr_get_payload_len(os),
			mnl_attr_get_payload(ts), mnl_attr_get_payload_len(ts));
	/* Action 1: same kind and mirred parameters; ours also carries the cookie. */
	tact = find_attr(mnl_attr_get_payload(t), mnl_attr_get_payload_len(t), TCA_U32_ACT);
	oact = find_attr(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o), TCA_U32_ACT);
	FL_ASSERT(tact && oact);
	tact = find_attr(mnl_attr_get_payload(tact), mnl_attr_get_payload_len(tact), 1);
	oact = find_attr(mnl_attr_get_payload(oact), mnl_attr_get_payload_len(oact), 1);
	FL_ASSERT(tact && oact);
	{
		const struct nlattr *tk = find_attr(mnl_attr_get_payload(tact),
						    mnl_attr_get_payload_len(tact), TCA_ACT_KIND);
		const struct nlattr *ok = find_attr(mnl_attr_get_payload(oact),
						    mnl_attr_get_payload_len(oact), TCA_ACT_KIND);
		const struct nlattr *to =
			find_attr(mnl_attr_get_payload(tact), mnl_attr_get_payload_len(tact),
				  TCA_ACT_OPTIONS);
		const struct nlattr *oo =
			find_attr(mnl_attr_get_payload(oact), mnl_attr_get_payload_len(oact),
				  TCA_ACT_OPTIONS);
		const struct nlattr *cookie = find_attr(
			mnl_attr_get_payload(oact), mnl_attr_get_payload_len(oact), TCA_ACT_COOKIE);

		FL_ASSERT(tk && ok && to && oo && cookie);
		FL_ASSERT_STREQ(mnl_attr_get_str(ok), mnl_attr_get_str(tk));
		FL_ASSERT_EQ(to->nla_type, oo->nla_type); /* both NLA_F_NESTED */
		FL_ASSERT_MEMEQ(mnl_attr_get_payload(oo), mnl_attr_get_payload_len(oo),
				mnl_attr_get_payload(to), mnl_attr_get_payload_len(to));
		FL_ASSERT_MEMEQ(mnl_attr_get_payload(cookie), mnl_attr_get_payload_len(cookie),
				"faultline", 9);
	}
}

FLTEST(ingress_qdisc_equals_tc)
{
	size_t tlen = load("ingress_qdisc", "msg", tcbuf);
	int n = fl_msg_ingress_qdisc(ours, sizeof(ours), 0, FL_NL_ADD, 1);

	FL_ASSERT(n > 0);
	/* Everything after the header's seq/pid: tcmsg and TCA_KIND. */
	FL_ASSERT_MEMEQ(ours + 16, (size_t)n - 16, tcbuf + 16, tlen - 16);
	FL_ASSERT_EQ(((struct nlmsghdr *)ours)->nlmsg_flags,
		     ((struct nlmsghdr *)tcbuf)->nlmsg_flags);
}

static void check_tbf(const char *name, struct fl_tbf_spec spec)
{
	struct fl_tbf_spec tc_spec, our_spec;
	const struct nlattr *t;
	ssize_t n;

	load(name, "msg", tcbuf);
	t = msg_options(tcbuf);
	FL_ASSERT_OK(fl_tbf_decode_options(mnl_attr_get_payload(t), mnl_attr_get_payload_len(t),
					   &tc_spec, NULL));
	n = fl_tbf_encode_options(&spec, ours, sizeof(ours));
	FL_ASSERT(n > 4);
	FL_ASSERT_OK(fl_tbf_decode_options(ours + 4, (size_t)n - 4, &our_spec, NULL));
	FL_ASSERT_EQ(our_spec.rate_bytes_per_s, tc_spec.rate_bytes_per_s);
	FL_ASSERT_EQ(our_spec.limit_bytes, tc_spec.limit_bytes);
	FL_ASSERT_EQ(our_spec.burst_bytes, tc_spec.burst_bytes);
}

FLTEST(tbf_equals_tc_in_what_the_kernel_reads)
{
	check_tbf("tbf_basic", (struct fl_tbf_spec){ .rate_bytes_per_s = 1250000,
						     .burst_bytes = 4096,
						     .latency_ns = 50000000 });
	check_tbf("tbf_limit", (struct fl_tbf_spec){ .rate_bytes_per_s = 1250000,
						     .burst_bytes = 4096,
						     .limit_bytes = 30000 });
	check_tbf("tbf_rate64", (struct fl_tbf_spec){ .rate_bytes_per_s = 5000000000ull,
						      .burst_bytes = 1048576,
						      .limit_bytes = 1048576 });
}

FLTEST(htb_class_equals_tc_in_what_the_kernel_reads)
{
	const struct nlattr *t, *o;
	static const uint16_t types[] = { TCA_HTB_RATE64, TCA_HTB_CEIL64 };
	struct tc_htb_opt topt, oopt;

	load("htb_class_100gbit", "msg", tcbuf);
	FL_ASSERT(fl_msg_htb_class(ours, sizeof(ours), 0, 1) > 0);
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_handle, msg_tcm(tcbuf)->tcm_handle);
	FL_ASSERT_EQ(msg_tcm(ours)->tcm_parent, msg_tcm(tcbuf)->tcm_parent);
	t = msg_options(tcbuf);
	o = msg_options(ours);
	for (size_t i = 0; i < 2; i++) {
		const struct nlattr *ta =
			find_attr(mnl_attr_get_payload(t), mnl_attr_get_payload_len(t), types[i]);
		const struct nlattr *oa =
			find_attr(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o), types[i]);

		FL_ASSERT(ta && oa);
		FL_ASSERT_EQ(mnl_attr_get_u64(oa), mnl_attr_get_u64(ta));
	}
	memcpy(&topt,
	       mnl_attr_get_payload(find_attr(mnl_attr_get_payload(t), mnl_attr_get_payload_len(t),
					      TCA_HTB_PARMS)),
	       sizeof(topt));
	memcpy(&oopt,
	       mnl_attr_get_payload(find_attr(mnl_attr_get_payload(o), mnl_attr_get_payload_len(o),
					      TCA_HTB_PARMS)),
	       sizeof(oopt));
	FL_ASSERT_EQ(oopt.quantum, topt.quantum);
	FL_ASSERT_EQ(oopt.rate.rate, topt.rate.rate);
	FL_ASSERT_EQ(oopt.ceil.rate, topt.ceil.rate);
	/* tc rounds the bucket time to whole microseconds first; we do not. Within 2%. */
	FL_ASSERT(oopt.buffer >= topt.buffer * 98 / 100 && oopt.buffer <= topt.buffer * 102 / 100);
}
