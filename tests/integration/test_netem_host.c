/* SPDX-License-Identifier: MIT */
/*
 * libfl-netem on the host kernel, in namespaces this test creates (needs root). The host
 * kernel has tbf, htb, u32, ingress, mirred and IFB but no sch_netem, so here:
 *
 *  - tbf bandwidth limits are applied and their effect measured with TCP;
 *  - the targeted tree (htb + u32 + tbf child) limits one destination and spares another;
 *  - ingress limits go through an IFB device;
 *  - netem itself fails with the clear "no sch_netem" message (on a kernel that has netem
 *    the test checks that it applies and verifies instead);
 *  - removing leaves the namespace exactly as it was; sweep removes ours and only ours;
 *  - a root qdisc Faultline did not create is never replaced.
 *
 *   ns a: va 10.9.0.1/24  <-- veth -->  ns b: vb 10.9.0.2/24, 10.9.0.3/24
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../../netem/src/internal.h"
#include "faultutil.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

struct lab {
	struct testnet_ns a, b;
	struct fl_nl *nl_a, *nl_b;
};

static uint16_t next_port = 7100;

static void lab_up(struct lab *lab)
{
	if (geteuid() != 0)
		FL_SKIP("needs root (network namespaces)");
	fltest_set_timeout(120);
	if (testnet_ns_create("flA", &lab->a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab->a);
	if (testnet_ns_create("flB", &lab->b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab->b);
	if (testnet_veth(&lab->a, "va", "10.9.0.1/24", &lab->b, "vb", "10.9.0.2/24") < 0 ||
	    testnet_addr_add(&lab->b, "vb", "10.9.0.3/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	lab->nl_a = faultutil_nl(&lab->a);
	lab->nl_b = faultutil_nl(&lab->b);
}

/* TCP goodput a -> b to dst in Mbit/s over 1.5 s. */
static double mbit(struct lab *lab, const char *dst)
{
	double bytes_per_s;

	if (netprobe_tcp_throughput(&lab->a, &lab->b, dst, next_port++, 1500, &bytes_per_s) < 0)
		FL_FAIL("throughput to %s: %s", dst, testnet_last_error());
	fltest_log("throughput to %s: %.2f Mbit/s", dst, bytes_per_s * 8 / 1e6);
	return bytes_per_s * 8 / 1e6;
}

/* Not limited: well above the limits these tests set (20 Mbit/s at most), whatever a loaded
 * machine's veth manages (gigabits here; a fixed 200 Mbit/s measured the machine). */
#define UNLIMITED_MBIT (3 * 20.0)

static void expect_rate(double got, double want)
{
	/* TCP goodput under a token bucket: a little below the rate (headers, ramp-up). */
	FL_ASSERT_MSG(got >= 0.75 * want && got <= 1.10 * want,
		      "measured %.2f Mbit/s, expected %.0f Mbit/s (-25%%/+10%%)", got, want);
}

FLTEST(tbf_limits_bandwidth_and_removal_restores_the_namespace)
{
	static struct lab lab;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_netem_fault f;
	struct fl_diag diag = { 0 };
	double base;

	lab_up(&lab);
	base = mbit(&lab, "10.9.0.2");
	FL_ASSERT_MSG(base > UNLIMITED_MBIT,
		      "baseline only %.1f Mbit/s: the measurement is not credible", base);
	witness_snapshot(lab.a.path, before, sizeof(before));

	f = faultutil_parse("tbf rate 20mbit burst 32kb", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	expect_rate(mbit(&lab, "10.9.0.2"), 20);

	/* Replacing changes the limit in place. */
	f = faultutil_parse("tbf rate 5mbit burst 16kb", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	expect_rate(mbit(&lab, "10.9.0.2"), 5);

	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	witness_snapshot(lab.a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
	FL_ASSERT(mbit(&lab, "10.9.0.2") > UNLIMITED_MBIT);
	/* Removing again is a no-op, not an error. */
	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
}

FLTEST(targeted_tree_limits_one_destination_only)
{
	static const char *const targets[] = { "10.9.0.2/32", NULL };
	static struct lab lab;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_netem_fault f, got;
	struct fl_netem_diff diff;
	struct fl_diag diag = { 0 };
	double hit, spared;

	lab_up(&lab);
	witness_snapshot(lab.a.path, before, sizeof(before));
	f = faultutil_parse("tbf rate 10mbit burst 32kb", FL_NETEM_EGRESS, targets);
	faultutil_apply(lab.nl_a, "va", &f);
	hit = mbit(&lab, "10.9.0.2");
	spared = mbit(&lab, "10.9.0.3");
	expect_rate(hit, 10);
	FL_ASSERT_MSG(spared > UNLIMITED_MBIT, "10.9.0.3 was limited too: %.1f Mbit/s", spared);

	FL_ASSERT_OK(fl_netem_verify(lab.nl_a, "va", &f, &diff, &diag));
	FL_ASSERT_EQ(fl_netem_read(lab.nl_a, "va", FL_NETEM_EGRESS, &got, &diag), 1);
	FL_ASSERT_EQ(got.kind, FL_NETEM_FAULT_TBF);
	FL_ASSERT_EQ(got.tbf.rate_bytes_per_s, 1250000);
	FL_ASSERT_EQ(got.n_matches, 1);

	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	witness_snapshot(lab.a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(targeted_tree_with_port_spares_other_ports)
{
	static const char *const targets[] = { "10.9.0.2:7301", NULL };
	static struct lab lab;
	struct fl_netem_fault f;
	double bytes_per_s;

	lab_up(&lab);
	f = faultutil_parse("tbf rate 8mbit burst 32kb", FL_NETEM_EGRESS, targets);
	faultutil_apply(lab.nl_a, "va", &f);
	FL_ASSERT_OK(netprobe_tcp_throughput(&lab.a, &lab.b, "10.9.0.2", 7301, 1500, &bytes_per_s));
	fltest_log("to port 7301: %.2f Mbit/s", bytes_per_s * 8 / 1e6);
	expect_rate(bytes_per_s * 8 / 1e6, 8);
	FL_ASSERT_OK(netprobe_tcp_throughput(&lab.a, &lab.b, "10.9.0.2", 7302, 1500, &bytes_per_s));
	fltest_log("to port 7302: %.2f Mbit/s", bytes_per_s * 8 / 1e6);
	FL_ASSERT(bytes_per_s * 8 / 1e6 > UNLIMITED_MBIT);
}

FLTEST(ingress_limit_goes_through_ifb_and_is_removed)
{
	static struct lab lab;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_netem_fault f;
	struct fl_diag diag = { 0 };

	lab_up(&lab);
	witness_snapshot(lab.b.path, before, sizeof(before));
	/*
	 * Limit what b receives: the sender a sees the bottleneck on b's ingress. The queue is
	 * generous on purpose: with 32kb/50ms TCP goodput through the IFB swung between 45% and
	 * 100% of the rate from run to run (GRO'd bursts overflow a small queue at once).
	 */
	f = faultutil_parse("tbf rate 10mbit burst 64kb latency 200ms", FL_NETEM_INGRESS, NULL);
	faultutil_apply(lab.nl_b, "vb", &f);
	FL_ASSERT(fl_nl_ifindex(lab.nl_b, "flifb2", NULL) > 0 ||
		  fl_nl_ifindex(lab.nl_b, "flifb3", NULL) > 0 ||
		  fl_nl_ifindex(lab.nl_b, "flifb4", NULL) > 0);
	expect_rate(mbit(&lab, "10.9.0.2"), 10);
	FL_ASSERT_OK(fl_netem_remove(lab.nl_b, "vb", FL_NETEM_INGRESS, &diag));
	witness_snapshot(lab.b.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(netem_on_this_kernel_is_clear_about_sch_netem)
{
	static struct lab lab;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_netem_fault f;
	struct fl_diag diag = { 0 };
	int r;

	lab_up(&lab);
	witness_snapshot(lab.a.path, before, sizeof(before));
	f = faultutil_parse("delay 100ms", FL_NETEM_EGRESS, NULL);
	r = fl_netem_apply(lab.nl_a, "va", &f, &diag);
	if (r == 0) {
		fltest_log("this kernel has sch_netem: the fault applied and verified");
		FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	} else {
		fltest_log("message: %s", diag.msg);
		FL_ASSERT_EQ(r, -EOPNOTSUPP);
		FL_ASSERT_CONTAINS(diag.msg, "this kernel has no sch_netem");
		FL_ASSERT_CONTAINS(diag.msg, "modprobe sch_netem");
		FL_ASSERT_CONTAINS(diag.msg, "kernel-modules-extra");
	}
	/* Also for a targeted tree: the htb root it built first is gone again. */
	{
		static const char *const targets[] = { "10.9.0.2/32", NULL };

		f = faultutil_parse("delay 100ms", FL_NETEM_EGRESS, targets);
		r = fl_netem_apply(lab.nl_a, "va", &f, &diag);
		if (r == 0)
			FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
		else
			FL_ASSERT_CONTAINS(diag.msg, "no sch_netem");
	}
	witness_snapshot(lab.a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(a_foreign_root_qdisc_is_never_replaced)
{
	static struct lab lab;
	struct fl_netem_fault foreign, f;
	struct fl_diag diag = { 0 };
	char buf[4096], snap[WITNESS_SNAPSHOT_MAX];
	ssize_t n;

	lab_up(&lab);
	/* Somebody's own tbf, handle 1: (built with our encoder, as `tc` would). */
	foreign = faultutil_parse("tbf rate 100mbit burst 64kb", FL_NETEM_EGRESS, NULL);
	n = fl_netem_msg_qdisc(buf, sizeof(buf), 0, FL_NL_ADD, testnet_ifindex(&lab.a, "va"),
			       TC_H_ROOT, 0x00010000, &foreign);
	FL_ASSERT(n > 0);
	FL_ASSERT_OK(fl_nl_request(lab.nl_a, buf, (size_t)n, NULL, NULL, &diag));

	f = faultutil_parse("tbf rate 1mbit", FL_NETEM_EGRESS, NULL);
	FL_ASSERT_EQ(fl_netem_apply(lab.nl_a, "va", &f, &diag), -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "root qdisc tbf 1:");
	/* Nor removed, nor swept. */
	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	FL_ASSERT_EQ(fl_netem_sweep(lab.nl_a, &diag), 0);
	witness_snapshot(lab.a.path, snap, sizeof(snap));
	FL_ASSERT_CONTAINS(snap, "qdisc va tbf 1: parent root");
}

static int count_owned(const struct fl_netem_owned *o, void *data)
{
	fltest_log("ours: %s %d %s", o->ifname, (int)o->what, o->kind);
	(*(int *)data)++;
	return 0;
}

FLTEST(sweep_removes_ours_and_only_ours)
{
	static const char *const targets[] = { "10.9.0.1/32", NULL };
	static struct lab lab;
	struct fl_netem_fault f;
	struct fl_diag diag = { 0 };
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	int n = 0, r;

	lab_up(&lab);
	witness_snapshot(lab.b.path, before, sizeof(before));
	f = faultutil_parse("tbf rate 10mbit", FL_NETEM_EGRESS, targets);
	faultutil_apply(lab.nl_b, "vb", &f);
	f = faultutil_parse("tbf rate 20mbit", FL_NETEM_INGRESS, NULL);
	faultutil_apply(lab.nl_b, "vb", &f);
	FL_ASSERT_OK(fl_netem_list_ours(lab.nl_b, count_owned, &n, &diag));
	/* vb's root, vb's ingress redirect, the IFB and the IFB's root. */
	FL_ASSERT_EQ(n, 4);
	r = fl_netem_sweep(lab.nl_b, &diag);
	FL_ASSERT_MSG(r >= 3, "sweep: %d (%s)", r, diag.msg);
	witness_snapshot(lab.b.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}
