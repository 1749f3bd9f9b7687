/* SPDX-License-Identifier: MIT */
/*
 * netem on a real kernel (Debian's stock kernel, booted by tests/vm/vm.sh): faults applied
 * with libfl-netem only — no tc anywhere — and their effect measured with our own UDP
 * probes between two network namespaces joined by a veth pair:
 *
 *   ns a: va 10.9.0.1/24  <-- veth -->  ns b: vb 10.9.0.2/24, 10.9.0.3/24 (UDP echo)
 *
 * Timing allowances: TCG emulation adds a few ms of noise (baseline RTT is measured first
 * and allowed for), so a delay D must show up as an RTT within [0.8 D, 1.2 D + baseline +
 * 10 ms].
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "faultutil.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

#define ECHO_PORT 7007

struct lab {
	struct testnet_ns a, b;
	struct netprobe_echo *echo;
	struct fl_nl *nl_a, *nl_b;
};

static void stop_echo(void *echo)
{
	netprobe_echo_stop(echo);
}

static void lab_up(struct lab *lab)
{
	fltest_set_timeout(180);
	if (testnet_ns_create("vmA", &lab->a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab->a);
	if (testnet_ns_create("vmB", &lab->b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab->b);
	if (testnet_veth(&lab->a, "va", "10.9.0.1/24", &lab->b, "vb", "10.9.0.2/24") < 0 ||
	    testnet_addr_add(&lab->b, "vb", "10.9.0.3/24") < 0)
		FL_FAIL("veth: %s", testnet_last_error());
	if (netprobe_echo_start(&lab->b, "0.0.0.0", ECHO_PORT, &lab->echo) < 0)
		FL_FAIL("echo: %s", testnet_last_error());
	fltest_defer(stop_echo, lab->echo);
	lab->nl_a = faultutil_nl(&lab->a);
	lab->nl_b = faultutil_nl(&lab->b);
}

static struct netprobe_rtt rtt(struct lab *lab, const char *dst, unsigned count,
			       unsigned interval_us)
{
	struct netprobe_rtt r;

	if (netprobe_udp_rtt(&lab->a, dst, ECHO_PORT, count, interval_us, 1500, &r) < 0)
		FL_FAIL("probe %s: %s", dst, testnet_last_error());
	fltest_log("rtt to %s: %u/%u answered, min %.2f p50 %.2f avg %.2f p99 %.2f max %.2f ms",
		   dst, r.received, r.sent, r.min_ms, r.p50_ms, r.avg_ms, r.p99_ms, r.max_ms);
	return r;
}

static void expect_delay(const struct netprobe_rtt *r, double delay_ms, double base_ms)
{
	FL_ASSERT_MSG(r->received > 0, "no answers at all");
	FL_ASSERT_MSG(r->p50_ms >= 0.8 * delay_ms && r->p50_ms <= 1.2 * delay_ms + base_ms + 10,
		      "median RTT %.2f ms, expected %.0f ms (+%.2f ms baseline, -20%%/+20%%)",
		      r->p50_ms, delay_ms, base_ms);
}

FLTEST(delay_is_measured_and_removed)
{
	static struct lab lab;
	struct fl_netem_fault f;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct netprobe_rtt base, r;
	struct fl_diag diag = { 0 };

	lab_up(&lab);
	base = rtt(&lab, "10.9.0.2", 20, 20000);
	witness_snapshot(lab.a.path, before, sizeof(before));

	f = faultutil_parse("delay 100ms", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	r = rtt(&lab, "10.9.0.2", 20, 20000);
	expect_delay(&r, 100, base.p50_ms);

	/* Replace in place: a new delay, same qdisc. */
	f = faultutil_parse("delay 50ms", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	r = rtt(&lab, "10.9.0.2", 20, 20000);
	expect_delay(&r, 50, base.p50_ms);

	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	r = rtt(&lab, "10.9.0.2", 20, 20000);
	FL_ASSERT_MSG(r.p50_ms < base.p50_ms + 10, "delay still there after remove: %.2f ms",
		      r.p50_ms);
	witness_snapshot(lab.a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(loss_ratio_is_measured_on_600_packets)
{
	static struct lab lab;
	struct fl_netem_fault f;
	struct netprobe_rtt r;
	double ratio;

	lab_up(&lab);
	/* 4 ms apart: an emulated CPU keeps up, so every loss is netem's. */
	r = rtt(&lab, "10.9.0.2", 600, 4000);
	FL_ASSERT_MSG(r.received == r.sent, "baseline already loses %u of %u", r.sent - r.received,
		      r.sent);
	f = faultutil_parse("loss 20%", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	r = rtt(&lab, "10.9.0.2", 600, 4000);
	ratio = 1.0 - (double)r.received / r.sent;
	fltest_log("loss: %u of %u lost = %.1f%% (configured 20%%)", r.sent - r.received, r.sent,
		   ratio * 100);
	/* Binomial, n=600, p=0.2: sd 1.6 points; +-6 points is ~3.7 sd. */
	FL_ASSERT_MSG(ratio >= 0.14 && ratio <= 0.26, "loss ratio %.3f outside 0.14..0.26", ratio);
}

FLTEST(targeted_delay_spares_other_destinations)
{
	static const char *const targets[] = { "10.9.0.2/32", NULL };
	static struct lab lab;
	struct fl_netem_fault f, got;
	struct netprobe_rtt base, hit, spared;
	struct fl_netem_diff diff;
	struct fl_diag diag = { 0 };

	lab_up(&lab);
	base = rtt(&lab, "10.9.0.3", 20, 20000);
	f = faultutil_parse("delay 100ms", FL_NETEM_EGRESS, targets);
	faultutil_apply(lab.nl_a, "va", &f);
	hit = rtt(&lab, "10.9.0.2", 20, 20000);
	spared = rtt(&lab, "10.9.0.3", 20, 20000);
	expect_delay(&hit, 100, base.p50_ms);
	FL_ASSERT_MSG(spared.p50_ms < base.p50_ms + 10,
		      "traffic to 10.9.0.3 was delayed too: %.2f ms", spared.p50_ms);

	/* Read back: the tree verifies, and decodes to the fault we applied. */
	FL_ASSERT_OK(fl_netem_verify(lab.nl_a, "va", &f, &diff, &diag));
	FL_ASSERT_EQ(fl_netem_read(lab.nl_a, "va", FL_NETEM_EGRESS, &got, &diag), 1);
	FL_ASSERT_EQ(got.netem.delay_ns, 100000000);
	FL_ASSERT_EQ(got.n_matches, 1);
	FL_ASSERT_EQ(got.matches[0].prefix_len, 32);
	FL_ASSERT_OK(fl_netem_remove(lab.nl_a, "va", FL_NETEM_EGRESS, &diag));
	hit = rtt(&lab, "10.9.0.2", 20, 20000);
	FL_ASSERT_MSG(hit.p50_ms < base.p50_ms + 10, "delay still there: %.2f ms", hit.p50_ms);
}

FLTEST(verify_reports_a_tampered_fault)
{
	static struct lab lab;
	struct fl_netem_fault f, other;
	struct fl_netem_diff diff;
	struct fl_diag diag = { 0 };

	lab_up(&lab);
	f = faultutil_parse("delay 100ms 10ms 25% loss 1% duplicate 2% rate 10mbit",
			    FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	FL_ASSERT_OK(fl_netem_verify(lab.nl_a, "va", &f, &diff, &diag));
	/* Someone changes the qdisc behind our back: verify must say what differs. */
	other = faultutil_parse("delay 100ms 10ms 25% loss 3% duplicate 2% rate 10mbit",
				FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &other);
	FL_ASSERT_EQ(fl_netem_verify(lab.nl_a, "va", &f, &diff, &diag), -ENOMSG);
	FL_ASSERT_EQ(diff.n, 1);
	FL_ASSERT_STREQ(diff.entries[0].field, "loss");
	FL_ASSERT_STREQ(diff.entries[0].want, "1%");
	FL_ASSERT_STREQ(diff.entries[0].got, "3%");
}

FLTEST(ingress_delay_through_ifb)
{
	static struct lab lab;
	struct fl_netem_fault f;
	struct netprobe_rtt base, r;
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_diag diag = { 0 };

	lab_up(&lab);
	base = rtt(&lab, "10.9.0.2", 20, 20000);
	witness_snapshot(lab.b.path, before, sizeof(before));
	/* Delay what b receives: requests from a are held on vb's ingress. */
	f = faultutil_parse("delay 80ms", FL_NETEM_INGRESS, NULL);
	faultutil_apply(lab.nl_b, "vb", &f);
	r = rtt(&lab, "10.9.0.2", 20, 20000);
	expect_delay(&r, 80, base.p50_ms);
	FL_ASSERT_OK(fl_netem_remove(lab.nl_b, "vb", FL_NETEM_INGRESS, &diag));
	witness_snapshot(lab.b.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(jitter_with_a_distribution_spreads_delays)
{
	static struct lab lab;
	struct fl_netem_fault f;
	struct netprobe_rtt r;

	lab_up(&lab);
	f = faultutil_parse("delay 60ms 20ms distribution normal", FL_NETEM_EGRESS, NULL);
	faultutil_apply(lab.nl_a, "va", &f);
	r = rtt(&lab, "10.9.0.2", 100, 5000);
	expect_delay(&r, 60, 0);
	/* A normal spread with sigma 20 ms: min and max of 100 draws are far apart. */
	FL_ASSERT_MSG(r.max_ms - r.min_ms > 30, "no spread: %.2f..%.2f ms", r.min_ms, r.max_ms);
}

FLTEST(sweep_removes_every_faultline_object)
{
	static const char *const targets[] = { "10.9.0.3/32", NULL };
	static struct lab lab;
	struct fl_netem_fault f;
	struct fl_diag diag = { 0 };
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	int r;

	lab_up(&lab);
	witness_snapshot(lab.b.path, before, sizeof(before));
	f = faultutil_parse("delay 10ms", FL_NETEM_EGRESS, targets);
	faultutil_apply(lab.nl_b, "vb", &f);
	f = faultutil_parse("loss 1%", FL_NETEM_INGRESS, NULL);
	faultutil_apply(lab.nl_b, "vb", &f);
	r = fl_netem_sweep(lab.nl_b, &diag);
	FL_ASSERT_MSG(r >= 3, "sweep removed %d objects: %s", r, diag.msg);
	witness_snapshot(lab.b.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}
