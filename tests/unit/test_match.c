/* SPDX-License-Identifier: MIT */
/* Targets of a targeted fault: parsing, rendering, and the u32 keys they become. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "fl/netem.h"
#include "fltest.h"

static struct fl_netem_match parse_ok(const char *text, bool source)
{
	struct fl_netem_match m;
	struct fl_diag diag = { 0 };

	if (fl_netem_match_parse(text, source, &m, &diag) < 0)
		FL_FAIL("\"%s\": %s", text, diag.msg);
	return m;
}

static void round_trip(const char *text, const char *want)
{
	struct fl_netem_match m = parse_ok(text, false);
	char buf[128];

	fl_netem_match_format(&m, buf, sizeof(buf));
	FL_ASSERT_STREQ(buf, want);
}

FLTEST(parses_cidrs_ports_protocols)
{
	struct fl_netem_match m = parse_ok("10.0.0.0/24", false);

	FL_ASSERT_EQ(m.family, AF_INET);
	FL_ASSERT_EQ(m.prefix_len, 24);
	FL_ASSERT_EQ(m.port, 0);
	m = parse_ok("10.0.0.2:9092", false);
	FL_ASSERT_EQ(m.prefix_len, 32);
	FL_ASSERT_EQ(m.port, 9092);
	FL_ASSERT_EQ(m.ip_proto, IPPROTO_TCP); /* a port without protocol means TCP */
	m = parse_ok("udp:10.0.0.2:53", true);
	FL_ASSERT_EQ(m.ip_proto, IPPROTO_UDP);
	FL_ASSERT(m.source);
	m = parse_ok("[fd00::1]/64:443", false);
	FL_ASSERT_EQ(m.family, AF_INET6);
	FL_ASSERT_EQ(m.prefix_len, 64);
	FL_ASSERT_EQ(m.port, 443);
	m = parse_ok("fd00::2", false);
	FL_ASSERT_EQ(m.prefix_len, 128);
	round_trip("10.1.2.3/16:80", "tcp:10.1.2.3/16:80");
	round_trip("[fd00::1]:443", "tcp:[fd00::1]/128:443");
}

FLTEST(refuses_bad_targets_with_reason)
{
	static const struct {
		const char *text, *frag;
	} bad[] = {
		{ "10.0.0.300", "not an IPv4/IPv6 address" },
		{ "10.0.0.1/33", "prefix length \"33\" is not in 0..32" },
		{ "10.0.0.1:0", "port \"0\"" },
		{ "10.0.0.1:70000", "port \"70000\"" },
		{ "[fd00::1", "missing ']'" },
		{ "fd00::1/129", "0..128" },
		{ "kafka-0", "not an IPv4/IPv6 address" },
		{ "", "not an IPv4/IPv6" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fl_netem_match m;
		struct fl_diag diag = { 0 };

		FL_ASSERT_MSG(fl_netem_match_parse(bad[i].text, false, &m, &diag) == -EINVAL,
			      "\"%s\" accepted", bad[i].text);
		FL_ASSERT_CONTAINS(diag.msg, bad[i].frag);
	}
}

FLTEST(fault_validation_bounds_targets)
{
	struct fl_netem_fault f = { .netem = { .delay_ns = 1000000 } };
	struct fl_diag diag = { 0 };

	f.n_matches = FL_NETEM_MAX_MATCHES + 1;
	FL_ASSERT_EQ(fl_netem_fault_validate(&f, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "at most");
	f.n_matches = 1;
	f.matches[0] = (struct fl_netem_match){ .family = AF_INET, .prefix_len = 32, .port = 80 };
	FL_ASSERT_EQ(fl_netem_fault_validate(&f, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "targets[0]: a port needs tcp or udp");
	f.matches[0].ip_proto = IPPROTO_TCP;
	FL_ASSERT_OK(fl_netem_fault_validate(&f, &diag));
	f.direction = 7;
	FL_ASSERT_EQ(fl_netem_fault_validate(&f, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "direction");
}
