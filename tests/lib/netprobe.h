/* SPDX-License-Identifier: MIT */
/*
 * netprobe — measures what crosses a test network with real sockets: UDP round-trip time
 * and loss against an echo server, TCP bulk throughput. Sockets are created inside the
 * namespaces given (testnet_socket()); a NULL namespace means the caller's own.
 *
 *   struct netprobe_echo *echo = NULL;
 *   struct netprobe_rtt rtt;
 *
 *   FL_ASSERT_OK(netprobe_echo_start(&b, "10.9.0.2", 7000, &echo));
 *   fltest_defer(netprobe_echo_stop_cb, &echo);
 *   FL_ASSERT_OK(netprobe_udp_rtt(&a, "10.9.0.2", 7000, 100, 1000, 500, &rtt));
 *
 * Addresses are numeric: "10.9.0.2", "fd00::2", or a link-local "fe80::1%va" (the scope is
 * an interface name inside the namespace that sends, or a number).
 *
 * Errors: -errno, with testnet_last_error() saying what failed. Lost packets are results,
 * not errors. Worker threads block all signals; the caller's thread never changes
 * namespace. Depends on libc, pthreads and testnet.
 */
#ifndef FL_NETPROBE_H
#define FL_NETPROBE_H

#include <stdint.h>
#include <sys/socket.h>

#include "testnet.h"

/* Bounds on what a caller may ask for. */
#define NETPROBE_MAX_COUNT	 1000000u
#define NETPROBE_MAX_TIMEOUT_MS	 600000u
#define NETPROBE_MIN_DURATION_MS 50u
#define NETPROBE_MAX_DURATION_MS 600000u
/* Bytes of UDP payload in each probe. */
#define NETPROBE_PROBE_SIZE 64u

/*
 * Parses a numeric address (see above) into a sockaddr_in/sockaddr_in6 with port.
 * ns is where a "%ifname" scope is looked up. Writes *ret_sa and *ret_len on success.
 */
int netprobe_sockaddr(const struct testnet_ns *ns, const char *addr, uint16_t port,
		      struct sockaddr_storage *ret_sa, socklen_t *ret_len)
	__attribute__((warn_unused_result));

/*
 * A UDP echo server: a thread that sends every datagram received on addr:port (inside ns)
 * back to its sender, unchanged, from the address it was sent to (so "0.0.0.0" or "::"
 * serve every address of the namespace). port 0 picks a free port (netprobe_echo_port()).
 * A full send buffer drops the echo, as a router would. *ret is new, owned by the caller, and
 * must be given to netprobe_echo_stop().
 */
struct netprobe_echo;
int netprobe_echo_start(const struct testnet_ns *ns, const char *addr, uint16_t port,
			struct netprobe_echo **ret) __attribute__((warn_unused_result));
/* The port it listens on (host byte order). */
uint16_t netprobe_echo_port(const struct netprobe_echo *echo);
/* Datagrams received so far (each is echoed once). */
uint64_t netprobe_echo_packets(const struct netprobe_echo *echo);
/* Stops the thread, closes the socket, frees echo. Accepts NULL; returns NULL. */
struct netprobe_echo *netprobe_echo_stop(struct netprobe_echo *echo);
/* fltest_defer()-compatible: arg is a struct netprobe_echo ** (borrowed); stops *arg and
 * sets it to NULL, so an explicit netprobe_echo_stop() before must also clear it. */
void netprobe_echo_stop_cb(void *echop);

/*
 * Result of netprobe_udp_rtt(). A reply counts as received when it comes back within
 * timeout_ms of its probe; RTT statistics are over received probes only, and all zero when
 * none was received. loss = 1 - received / sent.
 */
struct netprobe_rtt {
	unsigned sent;	      /* probes attempted (== count) */
	unsigned received;    /* probes answered in time, each counted once */
	unsigned duplicates;  /* further copies of an answer already counted */
	unsigned late;	      /* answers that came after their timeout_ms */
	unsigned send_errors; /* probes the local stack refused (no route, full queue, EPERM) */
	double min_ms, p50_ms, avg_ms, p99_ms, max_ms;
};

/*
 * Sends count UDP probes (NETPROBE_PROBE_SIZE bytes: sequence number, send time, a
 * per-run cookie) from namespace `from` to dst:port, one every interval_us (0: as fast as
 * possible) on a fixed schedule — never waiting for a reply — and collects echoes until
 * timeout_ms after the last probe (or until every probe is answered). Replies are matched
 * by sequence number, so reordered, duplicated and late replies are all accounted for.
 * count is 1..NETPROBE_MAX_COUNT, timeout_ms at most NETPROBE_MAX_TIMEOUT_MS.
 * The first probes to a fresh neighbour also wait for ARP/ND, which a delaying qdisc delays
 * too (with netem "delay 200ms" on the sender, the first ~200 ms of probes see up to
 * 400 ms): measure a short baseline first when that matters.
 * *ret is written on success (even if every probe was lost).
 */
int netprobe_udp_rtt(const struct testnet_ns *from, const char *dst, uint16_t port, unsigned count,
		     unsigned interval_us, unsigned timeout_ms, struct netprobe_rtt *ret)
	__attribute__((warn_unused_result));

/*
 * Starts a TCP sink listening on dst:port inside `to`, connects to it from `from` and
 * sends as fast as the path allows. The sink measures for duration_ms from its first
 * received byte and stops; *ret_bytes_per_s is the goodput it saw after the first fifth of
 * that time (slow start excluded). Takes about duration_ms plus one RTT; gives up with
 * -ETIMEDOUT if no connection or no data arrives within 10 s.
 */
int netprobe_tcp_throughput(const struct testnet_ns *from, const struct testnet_ns *to,
			    const char *dst, uint16_t port, unsigned duration_ms,
			    double *ret_bytes_per_s) __attribute__((warn_unused_result));

#endif
