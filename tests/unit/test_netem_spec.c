/* SPDX-License-Identifier: MIT */
/*
 * Validation and tc-syntax parsing: every impossible combination is refused with a message
 * that names the field and the value; good input parses to the values tc would use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fl/netem.h"
#include "fltest.h"

static int parse_line(const char *line, struct fl_netem_spec *spec, struct fl_diag *diag)
{
	static char buf[512];
	char *words[64], *save = NULL;
	int n = 0;

	(void)snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w && n < 64; w = strtok_r(NULL, " ", &save))
		words[n++] = w;
	memset(diag, 0, sizeof(*diag));
	return fl_netem_parse_tc(n, words, spec, diag);
}

/* The input is refused, and the message contains each of the given fragments. */
static void expect_error(const char *line, const char *frag1, const char *frag2)
{
	struct fl_netem_spec spec;
	struct fl_diag diag;
	int r = parse_line(line, &spec, &diag);

	FL_ASSERT_MSG(r == -EINVAL, "\"%s\" was accepted (r=%d)", line, r);
	FL_ASSERT_CONTAINS(diag.msg, frag1);
	if (frag2)
		FL_ASSERT_CONTAINS(diag.msg, frag2);
}

FLTEST(parses_delay_jitter_correlation_distribution)
{
	struct fl_netem_spec s;
	struct fl_diag diag;

	FL_ASSERT_OK(parse_line("delay 100ms 10ms 25% distribution normal", &s, &diag));
	FL_ASSERT_EQ(s.delay_ns, 100000000);
	FL_ASSERT_EQ(s.jitter_ns, 10000000);
	FL_ASSERT(s.delay_correlation == 25);
	FL_ASSERT_EQ(s.distribution, FL_NETEM_DIST_NORMAL);
	FL_ASSERT_EQ(s.limit, 1000);
}

FLTEST(parses_abbreviations_like_tc)
{
	struct fl_netem_spec s;
	struct fl_diag diag;

	/* tc's matches(): any prefix, first keyword in tc's order wins. */
	FL_ASSERT_OK(parse_line("lat 5ms dup 1% corr 2% reo 10% lim 50", &s, &diag));
	FL_ASSERT_EQ(s.delay_ns, 5000000);
	FL_ASSERT(s.duplicate == 1 && s.corrupt == 2 && s.reorder == 10);
	FL_ASSERT_EQ(s.limit, 50);
	FL_ASSERT_EQ(s.gap, 1); /* tc's default with reorder */
}

FLTEST(parses_loss_models_with_tc_defaults)
{
	struct fl_netem_spec s;
	struct fl_diag diag;

	FL_ASSERT_OK(parse_line("loss 1%", &s, &diag));
	FL_ASSERT_EQ(s.loss.model, FL_NETEM_LOSS_RANDOM);
	FL_ASSERT_OK(parse_line("loss random 5% 25%", &s, &diag));
	FL_ASSERT(s.loss.percent == 5 && s.loss.correlation == 25);
	FL_ASSERT_OK(parse_line("loss state 5%", &s, &diag));
	FL_ASSERT_EQ(s.loss.model, FL_NETEM_LOSS_STATE);
	FL_ASSERT(s.loss.p13 == 5 && s.loss.p31 > 94.99 && s.loss.p31 < 95.01);
	FL_ASSERT(s.loss.p23 == 100 && s.loss.p32 == 0 && s.loss.p14 == 0);
	FL_ASSERT_OK(parse_line("loss gemodel 1% 10% 70% 0.1%", &s, &diag));
	FL_ASSERT_EQ(s.loss.model, FL_NETEM_LOSS_GEMODEL);
	FL_ASSERT(s.loss.ge_p == 1 && s.loss.ge_r == 10 && s.loss.ge_1_h == 70 &&
		  s.loss.ge_1_k == 0.1);
}

FLTEST(parses_rate_and_slot)
{
	struct fl_netem_spec s;
	struct fl_diag diag;

	FL_ASSERT_OK(parse_line("rate 1mbit 20 100 -4", &s, &diag));
	FL_ASSERT_EQ(s.rate_bytes_per_s, 125000);
	FL_ASSERT_EQ(s.rate_packet_overhead, 20);
	FL_ASSERT_EQ(s.rate_cell_size, 100);
	FL_ASSERT_EQ(s.rate_cell_overhead, -4);
	FL_ASSERT_OK(parse_line("slot 1ms 2ms packets 10 bytes 6000", &s, &diag));
	FL_ASSERT(s.slot.enabled);
	FL_ASSERT_EQ(s.slot.min_delay_ns, 1000000);
	FL_ASSERT_EQ(s.slot.max_delay_ns, 2000000);
	FL_ASSERT_EQ(s.slot.max_packets, 10);
	FL_ASSERT_EQ(s.slot.max_bytes, 6000);
	FL_ASSERT_OK(parse_line("slot distribution pareto 1ms 500us", &s, &diag));
	FL_ASSERT_EQ(s.slot.dist, FL_NETEM_DIST_PARETO);
	FL_ASSERT_EQ(s.slot.dist_jitter_ns, 500000);
}

FLTEST(refuses_impossible_combinations_naming_the_field)
{
	expect_error("reorder 25%", "reorder", "needs a delay");
	expect_error("delay 10ms gap 5", "gap", "without a reorder");
	expect_error("delay 50ms 80ms", "jitter", "80ms is larger than the delay 50ms");
	expect_error("delay 10ms distribution normal", "distribution",
		     "needs both a delay and a jitter");
	expect_error("ecn", "ecn", "needs a loss model");
	expect_error("loss 120%", "loss", "above 100%");
	expect_error("duplicate 101%", "duplicate", "above 100%");
	expect_error("corrupt -1%", "corrupt", "not a percentage");
	expect_error("delay 10ms 1ms 150%", "delay correlation", "above 100%");
	expect_error("delay 2h", "delay", "1h maximum");
	expect_error("delay fast", "delay", "\"fast\" is not a duration");
	expect_error("delay 10ms distribution gaussian", "distribution", "\"gaussian\"");
	expect_error("loss", "loss", "missing value");
	expect_error("loss bursty 5%", "loss", "\"bursty\"");
	expect_error("loss 1% loss 2%", "loss", "given twice");
	expect_error("rate 50%", "rate", "link speed");
	expect_error("rate 10furlongs", "rate", "\"10furlongs\"");
	expect_error("slot 2ms 1ms", "slot max delay", "below the min delay");
	expect_error("slot distribution normal 1ms 0ms", "slot distribution jitter", "positive");
	expect_error("limit many", "limit", "\"many\"");
	expect_error("jitter 5ms", "\"jitter\"", "unknown netem option");
	expect_error("--to 10.0.0.1", "\"--to\"", "unknown netem option");
}

FLTEST(validate_catches_what_parse_cannot_express)
{
	struct fl_netem_spec s = { .delay_ns = 0, .jitter_ns = 5000000 };
	struct fl_diag diag = { 0 };

	FL_ASSERT_EQ(fl_netem_validate(&s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "jitter: 5ms given without a delay");

	s = (struct fl_netem_spec){ .delay_ns = 1000000,
				    .jitter_ns = 100000,
				    .delay_correlation = 10,
				    .loss = { .model = FL_NETEM_LOSS_NONE, .percent = 3 } };
	FL_ASSERT_EQ(fl_netem_validate(&s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "no loss model");

	s = (struct fl_netem_spec){ .loss = { .model = FL_NETEM_LOSS_STATE,
					      .p13 = 80,
					      .p14 = 30,
					      .p31 = 10,
					      .p23 = 100 } };
	FL_ASSERT_EQ(fl_netem_validate(&s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "p13 (80%) + p14 (30%) exceed 100%");

	s = (struct fl_netem_spec){ .distribution = FL_NETEM_DIST_CUSTOM,
				    .delay_ns = 10,
				    .jitter_ns = 5 };
	FL_ASSERT_EQ(fl_netem_validate(&s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "distribution");

	s = (struct fl_netem_spec){ .rate_cell_size = 100 };
	FL_ASSERT_EQ(fl_netem_validate(&s, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "rate");
}

FLTEST(encode_refuses_invalid_spec_and_small_buffers)
{
	struct fl_netem_spec bad = { .reorder = 10 }, good = {
		.delay_ns = 1000000, .jitter_ns = 100000, .distribution = FL_NETEM_DIST_PARETO
	};
	uint8_t buf[64];

	FL_ASSERT_EQ(fl_netem_encode_options(&bad, buf, sizeof(buf)), -EINVAL);
	/* The pareto table alone is 8 KiB: 64 bytes cannot hold it. */
	FL_ASSERT_EQ(fl_netem_encode_options(&good, buf, sizeof(buf)), -ENOSPC);
	FL_ASSERT_EQ(fl_netem_encode_options(&good, buf, 8), -ENOSPC);
}

FLTEST(percent_conversion_matches_tc)
{
	/* tc: rint(percent / 100 * UINT32_MAX). */
	FL_ASSERT_EQ(fl_netem_percent_to_u32(1), 0x028f5c29);
	FL_ASSERT_EQ(fl_netem_percent_to_u32(25), 0x40000000);
	FL_ASSERT_EQ(fl_netem_percent_to_u32(100), 0xffffffffu);
	FL_ASSERT_EQ(fl_netem_percent_to_u32(0), 0);
	for (uint32_t v = 0; v < 0xffffff00u; v += 0x01010101u)
		FL_ASSERT_EQ(fl_netem_percent_to_u32(fl_netem_u32_to_percent(v)), v);
}

FLTEST(tbf_parse_and_validate)
{
	char *ok[] = { "rate", "10mbit", "burst", "32kbit", "latency", "50ms" };
	char *small[] = { "rate", "10mbit", "burst", "100" };
	char *norate[] = { "burst", "32kb" };
	struct fl_tbf_spec t;
	struct fl_diag diag = { 0 };

	FL_ASSERT_OK(fl_tbf_parse_tc(6, ok, &t, &diag));
	FL_ASSERT_EQ(t.rate_bytes_per_s, 1250000);
	FL_ASSERT_EQ(t.burst_bytes, 4096);
	FL_ASSERT_EQ(fl_tbf_parse_tc(4, small, &t, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "burst: 100 bytes");
	FL_ASSERT_EQ(fl_tbf_parse_tc(2, norate, &t, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "rate");
}
