/* SPDX-License-Identifier: MIT */
/*
 * A namespace's TCP counters (agent/src/tcpstats.c): the "Tcp:" lines of real /proc/net/snmp
 * texts, malformed ones refused with what is wrong (never read as other counters), and the
 * reading path on this process's own namespace (no root: the thread enters no namespace).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fltest.h"
#include "tcpstats.h"

/* /proc/net/snmp of Linux 6.18 (this machine), as read. */
static const char snmp_6_18[] =
	"Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams "
	"InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout "
	"ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits\n"
	"Ip: 2 64 415270 0 0 0 0 0 415270 411839 0 0 0 0 0 0 0 0 0 411839\n"
	"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs "
	"InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps "
	"OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds "
	"OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps "
	"OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
	"Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"IcmpMsg: InType3\n"
	"IcmpMsg: 1\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
	"EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 3085 1970 1093 220 0 414534 410452 701 0 1333 0\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors "
	"IgnoredMulti MemErrors\n"
	"Udp: 735 0 0 736 0 0 0 0 0\n"
	"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
	"InCsumErrors IgnoredMulti MemErrors\n"
	"UdpLite: 0 0 0 0 0 0 0 0 0\n";

/* A Linux 4.19 node's (Debian 10): no OutTransmits, no IcmpMsg, fewer Udp fields; the same
 * 15 "Tcp:" fields, counters past 2^32. */
static const char snmp_4_19[] =
	"Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams "
	"InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout "
	"ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates\n"
	"Ip: 1 64 9876543210 0 12 0 0 0 9876543198 9012345678 5 0 0 0 0 0 0 0 0\n"
	"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs "
	"InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps "
	"OutMsgs OutErrors OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects "
	"OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
	"Icmp: 10 0 0 10 0 0 0 0 0 0 0 0 0 0 10 0 10 0 0 0 0 0 0 0 0 0 0\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails "
	"EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 123456 654321 17 42 88 8589934597 8589934612 4294967301 3 99 0\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors "
	"IgnoredMulti\n"
	"Udp: 5 0 0 5 0 0 0 0\n";

static struct fl_tcpstats parse_ok(const char *text)
{
	struct fl_diag diag = { 0 };
	struct fl_tcpstats st;

	FL_ASSERT_MSG(fl_tcpstats_parse(text, strlen(text), &st, &diag) == 0, "refused: %s",
		      diag.msg);
	return st;
}

/* text (len bytes) must be refused with a message containing want, ret left as it was. */
static void parse_fails_n(const char *what, const char *text, size_t len, const char *want)
{
	struct fl_tcpstats st = { 7, 7, 7 };
	struct fl_diag diag = { 0 };

	FL_ASSERT_MSG(fl_tcpstats_parse(text, len, &st, &diag) == -EINVAL, "%s: parsed", what);
	FL_ASSERT_MSG(strstr(diag.msg, want), "%s: \"%s\" does not contain \"%s\"", what, diag.msg,
		      want);
	FL_ASSERT_MSG(st.retrans_segs == 7 && st.out_segs == 7 && st.in_segs == 7,
		      "%s: ret written on error", what);
}

static void parse_fails(const char *what, const char *text, const char *want)
{
	parse_fails_n(what, text, strlen(text), want);
}

FLTEST(real_snmp_texts_give_their_tcp_counters)
{
	struct fl_tcpstats st = parse_ok(snmp_6_18);

	FL_ASSERT_EQ(st.retrans_segs, 701);
	FL_ASSERT_EQ(st.out_segs, 410452);
	FL_ASSERT_EQ(st.in_segs, 414534);
	st = parse_ok(snmp_4_19);
	FL_ASSERT(st.retrans_segs == 4294967301ull);
	FL_ASSERT(st.out_segs == 8589934612ull);
	FL_ASSERT(st.in_segs == 8589934597ull);
	/* The counters by name, not by place: a kernel that added or moved fields. */
	st = parse_ok("Tcp: New RetransSegs InSegs Other OutSegs\nTcp: 5 3 2 -7 1\n");
	FL_ASSERT_EQ(st.retrans_segs, 3);
	FL_ASSERT_EQ(st.in_segs, 2);
	FL_ASSERT_EQ(st.out_segs, 1);
	/* only the first Tcp: pair counts; UINT64_MAX still is a counter */
	st = parse_ok("Tcp: RetransSegs OutSegs InSegs\nTcp: 18446744073709551615 0 1\n"
		      "Tcp: RetransSegs OutSegs InSegs\nTcp: 9 9 9\n");
	FL_ASSERT(st.retrans_segs == UINT64_MAX);
}

FLTEST(malformed_snmp_texts_are_refused_saying_why)
{
	static const char nul[] = "Tcp: RetransSegs OutSegs InSegs\nTcp: 3\0 4 5\n";

	parse_fails("empty", "", "no \"Tcp:\" lines");
	parse_fails_n("no Tcp", snmp_6_18, (size_t)(strstr(snmp_6_18, "Tcp:") - snmp_6_18),
		      "no \"Tcp:\" lines");
	parse_fails("names only", "Tcp: RetransSegs OutSegs InSegs\n",
		    "not followed by a \"Tcp:\" line of values");
	parse_fails("values elsewhere", "Tcp: RetransSegs OutSegs InSegs\nUdp: 1 2 3\n",
		    "not followed by a \"Tcp:\" line of values");
	/* A read cut short would turn 50 into 5: a cut line is no line. */
	parse_fails("cut", "Tcp: RetransSegs OutSegs InSegs\nTcp: 3 4 50", "cut short");
	parse_fails_n("cut in the text", snmp_6_18,
		      (size_t)(strstr(snmp_6_18, "1333 0\n") - snmp_6_18) + 4, "cut short");
	parse_fails("fewer values", "Tcp: RetransSegs OutSegs InSegs\nTcp: 1 2\n",
		    "names 3 fields but has 2 values");
	parse_fails("more values", "Tcp: RetransSegs OutSegs InSegs\nTcp: 1 2 3 4\n",
		    "names 3 fields but has 4 values");
	parse_fails("no RetransSegs", "Tcp: OutSegs InSegs\nTcp: 1 2\n",
		    "\"Tcp:\" has no RetransSegs");
	parse_fails("negative", "Tcp: RetransSegs OutSegs InSegs\nTcp: -1 2 3\n",
		    "Tcp RetransSegs \"-1\" is not a counter");
	parse_fails("not a number", "Tcp: RetransSegs OutSegs InSegs\nTcp: 1 2x 3\n",
		    "Tcp OutSegs \"2x\" is not a counter");
	parse_fails("beyond 64 bits",
		    "Tcp: RetransSegs OutSegs InSegs\nTcp: 1 2 18446744073709551616\n",
		    "Tcp InSegs \"18446744073709551616\" is not a counter");
	parse_fails_n("NUL byte", nul, sizeof(nul) - 1, "Tcp RetransSegs \"3?\" is not a counter");
	parse_fails("binary shown safely", "Tcp: RetransSegs OutSegs InSegs\nTcp: \xff\x01 2 3\n",
		    "\"??\" is not a counter");
}

FLTEST(bounds_on_what_is_parsed)
{
	static char big[FL_TCPSTATS_FILE_MAX + 2];
	char many[2048] = "Tcp:";
	size_t o = 4;

	/* a file larger than any snmp is not one */
	memset(big, ' ', sizeof(big));
	memcpy(big, snmp_6_18, strlen(snmp_6_18));
	parse_fails_n("too large", big, FL_TCPSTATS_FILE_MAX + 1, "more than a /proc/net/snmp");
	/* the same text up to the limit parses (blanks after the last line are no line) */
	FL_ASSERT_EQ(fl_tcpstats_parse(big, FL_TCPSTATS_FILE_MAX, &(struct fl_tcpstats){ 0 }, NULL),
		     0);
	for (int i = 0; i < 65; i++)
		o += (size_t)snprintf(many + o, sizeof(many) - o, " F%d", i);
	(void)snprintf(many + o, sizeof(many) - o, "\nTcp: 1\n");
	parse_fails("too many fields", many, "more than 64 fields");
}

/* The reading path: a thread opens /proc/thread-self/net/snmp (here: in our own namespace,
 * which it needs no privilege to "enter") and the counters parse; they only grow. */
FLTEST(the_own_namespace_is_read_through_its_thread)
{
	struct fl_tcpstats a, b;
	struct fl_diag diag = { 0 };
	char *text;
	size_t len;

	FL_ASSERT_MSG(fl_tcpstats_read(NULL, &a, &diag) == 0, "read: %s", diag.msg);
	text = fltest_read_file("/proc/self/net/snmp", &len);
	FL_ASSERT(text != NULL);
	b = parse_ok(text);
	free(text);
	fltest_log("own namespace: retransSegs %llu outSegs %llu inSegs %llu",
		   (unsigned long long)a.retrans_segs, (unsigned long long)a.out_segs,
		   (unsigned long long)a.in_segs);
	FL_ASSERT(b.retrans_segs >= a.retrans_segs && b.out_segs >= a.out_segs &&
		  b.in_segs >= a.in_segs);
	/* a path that is no namespace: the error names it, nothing is read */
	FL_ASSERT(fl_tcpstats_read("/nonexistent/ns/net", &a, &diag) == -ENOENT);
	FL_ASSERT_STREQ(diag.msg, "netns /nonexistent/ns/net: No such file or directory");
}
