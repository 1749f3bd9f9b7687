/* SPDX-License-Identifier: MIT */
/*
 * The nftables faults of libfl-netem on the host kernel (needs root), in two namespaces this
 * test creates, measured with real sockets:
 *
 *   ns a: va 10.9.0.1/24 fd00:9::1/64  <-- veth -->  ns b: vb 10.9.0.2/24 10.9.0.3/24 fd00:9::2/64
 *
 *  - what fl_nft_probe() finds on this kernel;
 *  - DROP partitions one peer: a TCP connect to it times out, another peer still answers;
 *  - REJECT refuses at once: connect fails with ECONNREFUSED (tcp reset), over IPv4 and
 *    IPv6; UDP gets ECONNREFUSED (icmpx port-unreachable) when rejected on arrival, and
 *    EPERM from send() when the sender's own output hook rejects it;
 *  - direction IN drops what arrives, OUT what leaves (an echo server's counter tells which);
 *  - random loss of 20 % (and 36 % when both directions lose 20 %) on 1000 UDP probes, within
 *    five standard deviations of the binomial expectation; on the output hook every lost
 *    datagram is an EPERM from send(), on the input hook the loss is silent;
 *  - QUEUE with bypass and no listener fails open (and the rule is there); without bypass
 *    the same rule drops everything — so it does queue;
 *  - verify sees a rule gone; another process's socket cannot touch an owned table;
 *  - remove and sweep leave the namespace's ruleset exactly as before; sweep leaves foreign
 *    tables alone (also one named faultline_* in another family); apply twice: -EEXIST;
 *  - an owner-flagged table disappears when the handle that made it closes.
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "../../netem/src/nft_internal.h"
#include "fltest.h"
#include "netprobe.h"
#include "testnet.h"
#include "witness.h"

#define TCP_PORT  7200
#define ECHO_PORT 7201
#define SNAP_MAX  16384

struct lab {
	struct testnet_ns a, b;
	struct fl_nft *nft_a, *nft_b;
	int listen_fd;
	struct netprobe_echo *echo;
};

static void close_nft_cb(void *p)
{
	struct fl_nft **nft = p;

	*nft = fl_nft_close(*nft);
}

static void close_fd_cb(void *p)
{
	int *fd = p;

	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static struct fl_nft *open_nft(const struct testnet_ns *ns, struct fl_nft **slot)
{
	struct fl_diag diag = { 0 };

	if (fl_nft_open(ns->path, slot, &diag) < 0)
		FL_FAIL("fl_nft_open(%s): %s", ns->path, diag.msg);
	fltest_defer(close_nft_cb, slot);
	return *slot;
}

/* Namespaces, veth, a TCP listener and a UDP echo server in b, nft handles in both. */
static struct lab *lab_up(void)
{
	static struct lab lab = { .listen_fd = -1 };
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(TCP_PORT) };
	int zero = 0;

	if (geteuid() != 0)
		FL_SKIP("needs root (network namespaces, nftables)");
	fltest_set_timeout(120);
	if (testnet_ns_create("flnA", &lab.a) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab.a);
	if (testnet_ns_create("flnB", &lab.b) < 0)
		FL_FAIL("netns: %s", testnet_last_error());
	fltest_defer(testnet_ns_destroy_cb, &lab.b);
	if (testnet_veth(&lab.a, "va", "10.9.0.1/24", &lab.b, "vb", "10.9.0.2/24") < 0 ||
	    testnet_addr_add(&lab.b, "vb", "10.9.0.3/24") < 0 ||
	    testnet_addr_add(&lab.a, "va", "fd00:9::1/64") < 0 ||
	    testnet_addr_add(&lab.b, "vb", "fd00:9::2/64") < 0)
		FL_FAIL("veth: %s", testnet_last_error());

	/* One listener for IPv4 and IPv6; connections complete in the kernel's accept queue. */
	lab.listen_fd = testnet_socket(&lab.b, AF_INET6, SOCK_STREAM, 0);
	if (lab.listen_fd < 0)
		FL_FAIL("socket: %s", testnet_last_error());
	fltest_defer(close_fd_cb, &lab.listen_fd);
	if (setsockopt(lab.listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) < 0 ||
	    bind(lab.listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lab.listen_fd, 64) < 0)
		FL_FAIL("listen: %s", strerror(errno));
	if (netprobe_echo_start(&lab.b, "0.0.0.0", ECHO_PORT, &lab.echo) < 0)
		FL_FAIL("echo: %s", testnet_last_error());
	fltest_defer(netprobe_echo_stop_cb, &lab.echo);

	open_nft(&lab.a, &lab.nft_a);
	open_nft(&lab.b, &lab.nft_b);
	return &lab;
}

static struct fl_netem_match peer(const char *text)
{
	struct fl_netem_match m;
	struct fl_diag diag = { 0 };

	if (fl_netem_match_parse(text, false, &m, &diag) < 0)
		FL_FAIL("peer %s: %s", text, diag.msg);
	return m;
}

static double apply(struct fl_nft *nft, const char *id, const struct fl_nft_fault *f)
{
	struct fl_diag diag = { 0 };
	double t0 = now_ms(), ms;
	int r = fl_nft_apply(nft, id, f, &diag);

	ms = now_ms() - t0;
	if (r < 0)
		FL_FAIL("apply %s: %s (%d)", id, diag.msg, r);
	fltest_log("apply %s: %.2f ms (batch, read-back and verify)", id, ms);
	return ms;
}

static void remove_fault(struct fl_nft *nft, const char *id)
{
	struct fl_diag diag = { 0 };
	double t0 = now_ms();
	int r = fl_nft_remove(nft, id, &diag);

	if (r < 0)
		FL_FAIL("remove %s: %s (%d)", id, diag.msg, r);
	fltest_log("remove %s: %.2f ms", id, now_ms() - t0);
}

/* TCP connect from ns to addr:TCP_PORT: 0, -ECONNREFUSED, -ETIMEDOUT (after timeout_ms). */
static int tcp_connect(const struct testnet_ns *ns, const char *addr, int timeout_ms,
		       double *ret_ms)
{
	struct sockaddr_storage sa;
	struct pollfd pfd = { .events = POLLOUT };
	socklen_t len, elen = sizeof(int);
	double t0 = now_ms();
	int err = 0, r;

	if (netprobe_sockaddr(ns, addr, TCP_PORT, &sa, &len) < 0)
		FL_FAIL("address %s: %s", addr, testnet_last_error());
	pfd.fd = testnet_socket(ns, sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (pfd.fd < 0)
		FL_FAIL("socket: %s", testnet_last_error());
	if (connect(pfd.fd, (struct sockaddr *)&sa, len) < 0) {
		if (errno != EINPROGRESS) {
			err = -errno;
		} else if ((r = poll(&pfd, 1, timeout_ms)) == 0) {
			err = -ETIMEDOUT;
		} else if (r < 0 || getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0) {
			err = -errno;
		} else {
			err = -err;
		}
	}
	*ret_ms = now_ms() - t0;
	(void)close(pfd.fd);
	return err;
}

static void expect_connect(const struct testnet_ns *ns, const char *addr, int want)
{
	double ms;
	int r = tcp_connect(ns, addr, 1000, &ms);

	fltest_log("connect to %s: %s after %.1f ms", addr, r ? strerror(-r) : "connected", ms);
	FL_ASSERT_MSG(r == want, "connect to %s: %s, expected %s", addr,
		      r ? strerror(-r) : "connected", want ? strerror(-want) : "connected");
	/* At once (a reset), not at the 1 s a dropped SYN would take: half of it tells them
	 * apart on a loaded machine too. */
	if (want == -ECONNREFUSED)
		FL_ASSERT_MSG(ms < 500, "refused only after %.0f ms: not at once", ms);
}

/* One UDP datagram to addr:port and its fate: 0 (answered), -ECONNREFUSED, -ETIMEDOUT. */
static int udp_once(const struct testnet_ns *ns, const char *addr, uint16_t port)
{
	struct sockaddr_storage sa;
	struct pollfd pfd = { .events = POLLIN };
	socklen_t len;
	char buf[64] = "faultline";
	int r;

	if (netprobe_sockaddr(ns, addr, port, &sa, &len) < 0)
		FL_FAIL("address %s: %s", addr, testnet_last_error());
	pfd.fd = testnet_socket(ns, sa.ss_family, SOCK_DGRAM, 0);
	if (pfd.fd < 0)
		FL_FAIL("socket: %s", testnet_last_error());
	if (connect(pfd.fd, (struct sockaddr *)&sa, len) < 0 || send(pfd.fd, buf, 16, 0) < 0)
		r = -errno;
	else if ((r = poll(&pfd, 1, 500)) == 0)
		r = -ETIMEDOUT;
	else
		r = recv(pfd.fd, buf, sizeof(buf), 0) < 0 ? -errno : 0;
	(void)close(pfd.fd);
	return r;
}

static struct netprobe_rtt probes(const struct testnet_ns *from, const char *dst, unsigned count)
{
	struct netprobe_rtt rtt;

	if (netprobe_udp_rtt(from, dst, ECHO_PORT, count, 200, 500, &rtt) < 0)
		FL_FAIL("udp probes: %s", testnet_last_error());
	return rtt;
}

/* ---- libfl-netem's own text of a namespace's rules -------------------------------------
 * For what nft -j cannot show (an xt target's info bytes). Whether anything is left, and
 * whether a ruleset is back to what it was, is the witness's to say (witness.h). */

struct snap {
	char *buf;
	size_t size, n;
};

static void snap_add(struct snap *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void snap_add(struct snap *s, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (s->n >= s->size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(s->buf + s->n, s->size - s->n, fmt, ap);
	va_end(ap);
	if (w > 0)
		s->n = FL_MIN(s->n + (size_t)w, s->size - 1);
}

static int snap_cb(const struct nlmsghdr *nlh, void *data)
{
	struct snap *s = data;
	const struct nfgenmsg *nfg = mnl_nlmsg_get_payload(nlh);

	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		if (t && nftnl_table_nlmsg_parse(nlh, t) == 0)
			snap_add(s, "table %u %s flags %u\n", nfg->nfgen_family,
				 nftnl_table_get_str(t, NFTNL_TABLE_NAME),
				 nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS));
		nftnl_table_free(t);
		break;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (c && nftnl_chain_nlmsg_parse(nlh, c) == 0)
			snap_add(s, "chain %u %s %s hook %u prio %d\n", nfg->nfgen_family,
				 nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE),
				 nftnl_chain_get_str(c, NFTNL_CHAIN_NAME),
				 nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM),
				 nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO));
		nftnl_chain_free(c);
		break;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();
		struct nftnl_expr_iter *it;
		struct nftnl_expr *e;
		char text[256];

		if (!r || nftnl_rule_nlmsg_parse(nlh, r) < 0) {
			nftnl_rule_free(r);
			break;
		}
		snap_add(s, "rule %u %s %s:", nfg->nfgen_family,
			 nftnl_rule_get_str(r, NFTNL_RULE_TABLE),
			 nftnl_rule_get_str(r, NFTNL_RULE_CHAIN));
		it = nftnl_expr_iter_create(r);
		while (it && (e = nftnl_expr_iter_next(it))) {
			(void)fl_nft_expr_text(e, text, sizeof(text));
			snap_add(s, " [%s]", text);
		}
		nftnl_expr_iter_destroy(it);
		snap_add(s, "\n");
		nftnl_rule_free(r);
		break;
	}
	}
	return 0;
}

/* Text listing every table, chain and rule of every family in nft's namespace. */
static void rules_text(struct fl_nft *nft, char *buf, size_t size)
{
	static const uint16_t types[] = { NFT_MSG_GETTABLE, NFT_MSG_GETCHAIN, NFT_MSG_GETRULE };
	static uint8_t req[FL_NFT_MSG_MAX];
	struct snap s = { .buf = buf, .size = size };
	struct fl_diag diag = { 0 };

	buf[0] = '\0';
	for (size_t i = 0; i < FL_ARRAY_SIZE(types); i++) {
		ssize_t len =
			fl_nft_msg_get(req, sizeof(req), types[i], NFPROTO_UNSPEC, NULL, true);

		FL_ASSERT(len > 0);
		if (fl_nft_request(nft, req, (size_t)len, snap_cb, &s, &diag) < 0)
			FL_FAIL("ruleset dump: %s", diag.msg);
	}
}

/* A table Faultline did not make (plain, no owner flag: it stays after its handle). */
static void foreign_table(struct fl_nft *nft, uint16_t family, const char *name)
{
	static uint8_t buf[FL_NFT_BATCH_MAX];
	struct fl_nft_batch b;
	struct fl_diag diag = { 0 };
	int failed = -1;

	FL_ASSERT_OK(fl_nft_batch_init(&b, buf, sizeof(buf)));
	FL_ASSERT_OK(fl_nft_batch_add_table(&b, family, name, 0));
	if (fl_nft_send_batch(nft, &b, &failed, &diag) < 0)
		FL_FAIL("foreign table %s: %s", name, diag.msg);
}

static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/* ---- tests ---------------------------------------------------------------------------- */

FLTEST(probe_reports_this_kernel)
{
	struct lab *lab = lab_up();
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	unsigned caps;
	double t0;

	witness_snapshot(lab->a.path, before, sizeof(before));
	t0 = now_ms();
	caps = fl_nft_probe(lab->nft_a);
	fltest_log("fl_nft_probe: 0x%x (tables %d, owner %d, numgen %d, reject %d, nfqueue %d) in "
		   "%.1f ms",
		   caps, !!(caps & FL_NFT_CAP_TABLES), !!(caps & FL_NFT_CAP_OWNER),
		   !!(caps & FL_NFT_CAP_NUMGEN), !!(caps & FL_NFT_CAP_REJECT),
		   !!(caps & FL_NFT_CAP_NFQUEUE), now_ms() - t0);
	/* Measured on this host: nf_tables with numgen, reject, nft_compat + xt_NFQUEUE. */
	FL_ASSERT_EQ(caps & (FL_NFT_CAP_TABLES | FL_NFT_CAP_NUMGEN | FL_NFT_CAP_REJECT |
			     FL_NFT_CAP_NFQUEUE),
		     FL_NFT_CAP_TABLES | FL_NFT_CAP_NUMGEN | FL_NFT_CAP_REJECT |
			     FL_NFT_CAP_NFQUEUE);
	if (kernel_at_least(5, 12))
		FL_ASSERT(caps & FL_NFT_CAP_OWNER);
	/* The throw-away tables left nothing. */
	witness_snapshot(lab->a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
}

FLTEST(drop_partitions_one_peer_only)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_DROP, .direction = FL_NFT_OUT, .percent = 100, .n_peers = 1
	};
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct netprobe_rtt rtt;

	expect_connect(&lab->a, "10.9.0.2", 0);
	witness_snapshot(lab->a.path, before, sizeof(before));
	f.peers[0] = peer("10.9.0.2/32");
	apply(lab->nft_a, "partition", &f);

	expect_connect(&lab->a, "10.9.0.2", -ETIMEDOUT);
	expect_connect(&lab->a, "10.9.0.3", 0);
	expect_connect(&lab->a, "fd00:9::2", 0);
	expect_connect(&lab->a, "127.0.0.1", -ECONNREFUSED); /* lo untouched: nobody listens */
	rtt = probes(&lab->a, "10.9.0.2", 50);
	FL_ASSERT_EQ(rtt.received, 0);
	rtt = probes(&lab->a, "10.9.0.3", 50);
	FL_ASSERT_EQ(rtt.received, 50);

	remove_fault(lab->nft_a, "partition");
	witness_snapshot(lab->a.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
	expect_connect(&lab->a, "10.9.0.2", 0);
}

FLTEST(reject_refuses_at_once)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_REJECT, .direction = FL_NFT_OUT, .percent = 100, .n_peers = 2
	};
	int r;

	FL_ASSERT_EQ(udp_once(&lab->a, "10.9.0.2", ECHO_PORT), 0);
	f.peers[0] = peer("10.9.0.2/32");
	f.peers[1] = peer("[fd00:9::2]/128");
	apply(lab->nft_a, "reject", &f);
	expect_connect(&lab->a, "10.9.0.2", -ECONNREFUSED); /* tcp reset */
	expect_connect(&lab->a, "fd00:9::2", -ECONNREFUSED);
	expect_connect(&lab->a, "10.9.0.3", 0);
	/* A datagram the sender's own output hook refuses fails in send() already. */
	r = udp_once(&lab->a, "10.9.0.2", ECHO_PORT);
	fltest_log("UDP to 10.9.0.2, rejected on a's output: %s", r ? strerror(-r) : "answered");
	FL_ASSERT_EQ(r, -EPERM);
	FL_ASSERT_EQ(udp_once(&lab->a, "10.9.0.3", ECHO_PORT), 0);
	remove_fault(lab->nft_a, "reject");
	expect_connect(&lab->a, "10.9.0.2", 0);

	/* Rejected on arrival at b: a tcp reset and an ICMP port unreachable travel back. */
	f.direction = FL_NFT_IN;
	f.n_peers = 1;
	f.peers[0] = peer("10.9.0.1/32");
	apply(lab->nft_b, "reject-in", &f);
	expect_connect(&lab->a, "10.9.0.2", -ECONNREFUSED);
	r = udp_once(&lab->a, "10.9.0.2", ECHO_PORT); /* icmpx port-unreachable */
	fltest_log("UDP to 10.9.0.2, rejected on b's input: %s", r ? strerror(-r) : "answered");
	FL_ASSERT_EQ(r, -ECONNREFUSED);
	remove_fault(lab->nft_b, "reject-in");
	FL_ASSERT_EQ(udp_once(&lab->a, "10.9.0.2", ECHO_PORT), 0);
}

FLTEST(direction_in_drops_arrivals_out_drops_departures)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = { .action = FL_NFT_DROP, .percent = 100, .n_peers = 1 };
	struct netprobe_rtt rtt;
	uint64_t seen;

	f.peers[0] = peer("10.9.0.1/32");
	rtt = probes(&lab->a, "10.9.0.2", 20); /* neighbours resolved */
	FL_ASSERT_EQ(rtt.received, 20);

	/* On b, IN: a's probes never reach the echo server. */
	f.direction = FL_NFT_IN;
	apply(lab->nft_b, "in", &f);
	seen = netprobe_echo_packets(lab->echo);
	rtt = probes(&lab->a, "10.9.0.2", 100);
	fltest_log("IN:  echo server saw %llu of 100, a got %u answers",
		   (unsigned long long)(netprobe_echo_packets(lab->echo) - seen), rtt.received);
	FL_ASSERT_EQ(netprobe_echo_packets(lab->echo) - seen, 0);
	FL_ASSERT_EQ(rtt.received, 0);
	remove_fault(lab->nft_b, "in");

	/* On b, OUT: the server sees every probe, its answers are dropped. */
	f.direction = FL_NFT_OUT;
	apply(lab->nft_b, "out", &f);
	seen = netprobe_echo_packets(lab->echo);
	rtt = probes(&lab->a, "10.9.0.2", 100);
	fltest_log("OUT: echo server saw %llu of 100, a got %u answers",
		   (unsigned long long)(netprobe_echo_packets(lab->echo) - seen), rtt.received);
	FL_ASSERT_EQ(netprobe_echo_packets(lab->echo) - seen, 100);
	FL_ASSERT_EQ(rtt.received, 0);
	remove_fault(lab->nft_b, "out");

	rtt = probes(&lab->a, "10.9.0.2", 100);
	FL_ASSERT_EQ(rtt.received, 100);
}

static void expect_loss(const struct netprobe_rtt *rtt, double p)
{
	double n = rtt->sent, loss = 1.0 - (double)rtt->received / n;
	double sd = sqrt(p * (1 - p) / n);

	fltest_log("loss %.1f%% of %u probes (expected %.1f%% +- %.1f%% at 5 sd)", 100 * loss,
		   rtt->sent, 100 * p, 500 * sd);
	FL_ASSERT_MSG(fabs(loss - p) <= 5 * sd, "loss %.3f is not within 5 sd (%.3f) of %.3f", loss,
		      5 * sd, p);
}

FLTEST(random_loss_matches_the_percentage)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_DROP, .direction = FL_NFT_OUT, .percent = 20, .n_peers = 1
	};
	struct netprobe_rtt rtt;

	rtt = probes(&lab->a, "10.9.0.2", 100);
	FL_ASSERT_EQ(rtt.received, 100);

	/* Lost on a's output: the sender's send() fails with EPERM for each lost datagram. */
	f.peers[0] = peer("udp:10.9.0.2:7201");
	apply(lab->nft_a, "loss", &f);
	rtt = probes(&lab->a, "10.9.0.2", 1000);
	expect_loss(&rtt, 0.20);
	fltest_log("send() refused %u probes (EPERM from the output hook)", rtt.send_errors);
	FL_ASSERT_EQ(rtt.send_errors, rtt.sent - rtt.received);
	/* Other ports of the same peer are spared. */
	FL_ASSERT_EQ(udp_once(&lab->a, "10.9.0.2", 7202), -ECONNREFUSED); /* closed port: ICMP */
	FL_ASSERT_EQ(tcp_connect(&lab->a, "10.9.0.2", 1000, &(double){ 0 }), 0);
	remove_fault(lab->nft_a, "loss");

	/* Lost on arrival at b: silent for the sender, as on a wire. */
	f.direction = FL_NFT_IN;
	f.peers[0] = peer("10.9.0.1/32");
	apply(lab->nft_b, "loss-in", &f);
	rtt = probes(&lab->a, "10.9.0.2", 1000);
	expect_loss(&rtt, 0.20);
	FL_ASSERT_EQ(rtt.send_errors, 0);
	remove_fault(lab->nft_b, "loss-in");

	/* Both directions: the request and the answer each lose 20 %: 1 - 0.8^2 = 36 %. */
	f.direction = FL_NFT_BOTH;
	f.peers[0] = peer("10.9.0.2/32");
	apply(lab->nft_a, "loss2", &f);
	rtt = probes(&lab->a, "10.9.0.2", 1000);
	expect_loss(&rtt, 0.36);
	remove_fault(lab->nft_a, "loss2");
}

FLTEST(queue_with_bypass_fails_open)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = { .action = FL_NFT_QUEUE,
				  .direction = FL_NFT_OUT,
				  .percent = 100,
				  .queue_num = 4711,
				  .queue_bypass = true,
				  .n_peers = 1 };
	char snap[SNAP_MAX];
	struct fl_diag diag = { 0 };
	struct netprobe_rtt rtt;

	f.peers[0] = peer("10.9.0.2/32");
	apply(lab->nft_a, "delay", &f);
	rules_text(lab->nft_a, snap, sizeof(snap));
	/* queue 4711 = 0x1267, one queue, flags NFQ_FLAG_BYPASS */
	FL_ASSERT_CONTAINS(snap, "[target name NFQUEUE rev 3 info 6712010001000000]");
	FL_ASSERT_OK(fl_nft_verify(lab->nft_a, "delay", &f, &diag));
	/* Nobody listens on queue 4711: the kernel lets packets pass. */
	expect_connect(&lab->a, "10.9.0.2", 0);
	rtt = probes(&lab->a, "10.9.0.2", 200);
	FL_ASSERT_EQ(rtt.received, 200);
	remove_fault(lab->nft_a, "delay");

	/* The same without bypass: packets wait for a listener that never comes. */
	f.queue_bypass = false;
	apply(lab->nft_a, "delay", &f);
	rtt = probes(&lab->a, "10.9.0.2", 100);
	fltest_log("without bypass: %u of 100 answered, %u send errors", rtt.received,
		   rtt.send_errors);
	FL_ASSERT_EQ(rtt.received, 0);
	remove_fault(lab->nft_a, "delay");
	rtt = probes(&lab->a, "10.9.0.2", 100);
	FL_ASSERT_EQ(rtt.received, 100);
}

FLTEST(verify_detects_tampering_and_owner_protects)
{
	static struct fl_nft *other;
	static struct fl_nft_state st;
	static uint8_t buf[FL_NFT_BATCH_MAX];
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_DROP, .direction = FL_NFT_OUT, .percent = 50, .n_peers = 2
	};
	struct fl_nft_batch b;
	struct fl_diag diag = { 0 };
	uint64_t handle = 0;
	int failed = -1, r;

	f.peers[0] = peer("10.9.0.2/32");
	f.peers[1] = peer("tcp:10.9.0.3:80");
	apply(lab->nft_a, "tamper", &f);
	FL_ASSERT_OK(fl_nft_verify(lab->nft_a, "tamper", &f, &diag));

	/* Another socket (another agent) cannot change or delete an owner-flagged table. */
	open_nft(&lab->a, &other);
	if (fl_nft_probe(other) & FL_NFT_CAP_OWNER) {
		r = fl_nft_remove(other, "tamper", &diag);
		fltest_log("remove from another socket: %s", diag.msg);
		FL_ASSERT_EQ(r, -EPERM);
		FL_ASSERT_CONTAINS(diag.msg, "belongs to another process's netlink socket");
		FL_ASSERT_EQ(fl_nft_sweep(other, &diag), -EPERM);
		/* Its verify sees whose table it is. */
		FL_ASSERT_EQ(fl_nft_verify(other, "tamper", &f, &diag), -ENOMSG);
		FL_ASSERT_CONTAINS(diag.msg, "belongs to another netlink socket");
	}

	/* Tamper through the owning socket: the second rule of "out" goes. */
	st.table = "faultline_tamper";
	FL_ASSERT_OK(fl_nft_read_state(lab->nft_a, "faultline_tamper", &st, &diag));
	FL_ASSERT_EQ(st.n_rules, 3);
	handle = nftnl_rule_get_u64(st.rules[1], NFTNL_RULE_HANDLE);
	fl_nft_state_clear(&st);
	FL_ASSERT_OK(fl_nft_batch_init(&b, buf, sizeof(buf)));
	FL_ASSERT_OK(fl_nft_batch_del_rule(&b, NFPROTO_INET, "faultline_tamper", "out", handle));
	if (fl_nft_send_batch(lab->nft_a, &b, &failed, &diag) < 0)
		FL_FAIL("deleting rule %llu: %s", (unsigned long long)handle, diag.msg);
	r = fl_nft_verify(lab->nft_a, "tamper", &f, &diag);
	fltest_log("verify after tampering: %s", diag.msg);
	FL_ASSERT_EQ(r, -ENOMSG);
	FL_ASSERT_CONTAINS(diag.msg, "chain out: want 3 rules, kernel has 2");
	remove_fault(lab->nft_a, "tamper");
	FL_ASSERT_EQ(fl_nft_verify(lab->nft_a, "tamper", &f, &diag), -ENOENT);
}

static int count_cb(const char *table, void *data)
{
	unsigned *n = data;

	(void)table;
	(*n)++;
	return 0;
}

FLTEST(remove_and_sweep_restore_the_ruleset_and_spare_foreign_tables)
{
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_DROP, .direction = FL_NFT_BOTH, .percent = 100, .n_peers = 1
	};
	char before[WITNESS_SNAPSHOT_MAX], after[WITNESS_SNAPSHOT_MAX];
	struct fl_diag diag = { 0 };
	unsigned n = 0;
	int r;

	/* Somebody else's tables: a firewall, a name close to ours, our prefix in family ip. */
	foreign_table(lab->nft_b, NFPROTO_INET, "filter");
	foreign_table(lab->nft_b, NFPROTO_INET, "faultline");
	foreign_table(lab->nft_b, NFPROTO_IPV4, "faultline_ip");
	witness_snapshot(lab->b.path, before, sizeof(before));
	fltest_log("ruleset before:\n%s", before);

	f.peers[0] = peer("10.9.0.1/32");
	apply(lab->nft_b, "one", &f);
	f.action = FL_NFT_REJECT;
	apply(lab->nft_b, "two", &f);
	FL_ASSERT_EQ(fl_nft_apply(lab->nft_b, "two", &f, &diag), -EEXIST);
	fltest_log("apply twice: %s", diag.msg);
	FL_ASSERT_CONTAINS(diag.msg, "table inet faultline_two already exists");
	FL_ASSERT_OK(fl_nft_verify(lab->nft_b, "two", &f, &diag)); /* untouched by the attempt */
	FL_ASSERT_OK(fl_nft_list_ours(lab->nft_b, count_cb, &n, &diag));
	FL_ASSERT_EQ(n, 2);

	remove_fault(lab->nft_b, "one");
	FL_ASSERT_OK(fl_nft_remove(lab->nft_b, "one", &diag)); /* again: nothing to do */
	r = fl_nft_sweep(lab->nft_b, &diag);
	FL_ASSERT_EQ(r, 1);
	witness_snapshot(lab->b.path, after, sizeof(after));
	FL_ASSERT_STREQ(after, before);
	FL_ASSERT_CONTAINS(after, "faultline_ip");
	FL_ASSERT_EQ(fl_nft_sweep(lab->nft_b, &diag), 0);
}

FLTEST(owned_table_goes_with_its_handle)
{
	static struct fl_nft *agent;
	struct lab *lab = lab_up();
	struct fl_nft_fault f = {
		.action = FL_NFT_DROP, .direction = FL_NFT_OUT, .percent = 100, .n_peers = 1
	};
	struct fl_diag diag = { 0 };
	unsigned n = 0;
	double t0;

	if (!(fl_nft_probe(lab->nft_a) & FL_NFT_CAP_OWNER))
		FL_SKIP("this kernel has no NFT_TABLE_F_OWNER (Linux < 5.12)");
	open_nft(&lab->a, &agent);
	f.peers[0] = peer("10.9.0.2/32");
	apply(agent, "crash", &f);
	expect_connect(&lab->a, "10.9.0.2", -ETIMEDOUT);
	FL_ASSERT_OK(fl_nft_list_ours(lab->nft_a, count_cb, &n, &diag));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_EQ(witness_ours(lab->a.path, NULL, 0), 1);

	/* The agent dies: its socket closes. */
	t0 = now_ms();
	agent = fl_nft_close(agent);
	while ((n = witness_ours(lab->a.path, NULL, 0)) && now_ms() - t0 < 2000)
		;
	fltest_log("table gone %.2f ms after the socket closed (seen by the witness)",
		   now_ms() - t0);
	witness_expect_clean(lab->a.path, "after the owning socket closed");
	expect_connect(&lab->a, "10.9.0.2", 0);
}
