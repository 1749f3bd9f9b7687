/* SPDX-License-Identifier: MIT */
/*
 * testnet — throw-away network namespaces and veth links for tests, built with netlink
 * (libmnl) only: no `ip`, no other tool, so it also works in the busybox test VM.
 *
 *   struct testnet_ns a, b;
 *
 *   FL_ASSERT_OK(testnet_ns_create("fl", &a));
 *   fltest_defer(testnet_ns_destroy_cb, &a);
 *   FL_ASSERT_OK(testnet_ns_create("fl", &b));
 *   fltest_defer(testnet_ns_destroy_cb, &b);
 *   FL_ASSERT_OK(testnet_veth(&a, "va", "10.9.0.1/24", &b, "vb", "10.9.0.2/24"));
 *   int fd = testnet_socket(&b, AF_INET, SOCK_DGRAM, 0);   // a socket living in b
 *
 * A namespace is a file /run/netns/<name> with the namespace bind-mounted on it, exactly as
 * `ip netns add` makes it, so `ip netns exec <name> ...` and the agent's netns code see it.
 *
 * Threads: the calling thread never changes namespace. Work inside a namespace is done by a
 * short-lived thread that setns()'s into it (the only thing it does there is create a
 * socket, or for a new namespace: create it, mount it, bring lo up). A socket keeps the
 * namespace it was created in for its whole life, whichever thread uses it afterwards.
 * All functions may be called from any thread; the name counter is atomic.
 *
 * Errors: every int-returning function returns >= 0 on success and -errno on failure;
 * testnet_last_error() then describes what failed (with the kernel's extended ACK text for
 * netlink errors). Nothing here logs. Needs CAP_SYS_ADMIN + CAP_NET_ADMIN (root).
 *
 * Depends on libc, pthreads and libmnl only.
 */
#ifndef FL_TESTNET_H
#define FL_TESTNET_H

#include <stdbool.h>

#define TESTNET_RUN_DIR "/run/netns"
/* The prefix given to testnet_ns_create(): at most this many bytes, [A-Za-z0-9_.-]. */
#define TESTNET_PREFIX_MAX 19

/*
 * A named namespace: a plain value owned by the caller (static, heap, or inside another
 * struct). It must stay at the same address while a fltest_defer(testnet_ns_destroy_cb)
 * refers to it — fltest runs deferred cleanups after the test function has returned, so
 * not in that function's stack frame. An all-zero struct is "no namespace": destroying it
 * does nothing.
 */
struct testnet_ns {
	char name[40]; /* <prefix>-<pid>-<counter> */
	char path[80]; /* /run/netns/<name> */
};

/*
 * Creates a new network namespace named <prefix>-<pid>-<counter>, bind-mounted at
 * /run/netns/<name> (the directory is created, and made a shared mount point as iproute2
 * does), with lo up (127.0.0.1 and ::1 usable). The namespace contains nothing else.
 * *ret_ns is written only on success; the caller must testnet_ns_destroy() it.
 */
int testnet_ns_create(const char *prefix, struct testnet_ns *ret_ns)
	__attribute__((warn_unused_result));

/*
 * Unmounts and unlinks /run/netns/<name>, then zeroes *ns, so a second call (or a deferred
 * call after an explicit one) is a no-op. Kills nothing: the kernel frees the namespace —
 * and with it its interfaces, so a veth's peer in another namespace disappears too — once
 * nothing else holds it (open sockets from testnet_socket(), processes inside it). That
 * happens asynchronously in the kernel, shortly after the last reference goes.
 * NULL is accepted. Returns 0, or the first -errno (the remaining steps are still done);
 * -EINVAL, touching nothing, when *ns is not as testnet_ns_create() filled it (path must
 * be /run/netns/<name>).
 */
int testnet_ns_destroy(struct testnet_ns *ns);

/* fltest_defer()-compatible: testnet_ns_destroy(arg), result ignored. arg is borrowed. */
void testnet_ns_destroy_cb(void *ns);

/* True if /run/netns/<name> still exists for a namespace created by testnet_ns_create. */
bool testnet_ns_exists(const struct testnet_ns *ns);

/*
 * Creates a veth pair: a_ifname in namespace a, b_ifname in namespace b (a and b may be the
 * same namespace), brings both up and gives them the addresses a_cidr / b_cidr (IPv4 or
 * IPv6 "addr/prefixlen", or NULL for none; see testnet_addr_add). The pair is created
 * through a netlink socket inside a; the peer is created directly in b (IFLA_NET_NS_FD).
 * Returns when both ends are operationally up and their addresses usable (at most a few
 * seconds; milliseconds normally). The two ends get distinct interface indexes, above any
 * in either namespace (equal ones make the kernel delay the carrier change by up to 1 s).
 * On a failure after the pair exists, it is deleted again.
 */
int testnet_veth(const struct testnet_ns *a, const char *a_ifname, const char *a_cidr,
		 const struct testnet_ns *b, const char *b_ifname, const char *b_cidr)
	__attribute__((warn_unused_result));

/*
 * Adds an address to ifname in ns: "10.0.0.1/24", "fd00::1/64"; without "/len" the prefix
 * is /32 or /128. IPv6 addresses are added with IFA_F_NODAD (no duplicate address
 * detection, never "tentative"), and this returns only after the kernel announced the
 * address (at most 2 s): before that it does not answer neighbour solicitations, and the
 * first packets to it would wait a second for the next one.
 */
int testnet_addr_add(const struct testnet_ns *ns, const char *ifname, const char *cidr)
	__attribute__((warn_unused_result));

/* Brings ifname in ns up (IFF_UP), or down. */
int testnet_link_set_up(const struct testnet_ns *ns, const char *ifname, bool up)
	__attribute__((warn_unused_result));

/*
 * socket(domain, type | SOCK_CLOEXEC, protocol) created inside ns (ns == NULL: the
 * caller's own namespace). Returns a new file descriptor the caller must close(); while it
 * is open it keeps the namespace alive even after testnet_ns_destroy().
 */
int testnet_socket(const struct testnet_ns *ns, int domain, int type, int protocol)
	__attribute__((warn_unused_result));

/* Interface index of ifname inside ns (> 0), or -ENODEV. */
int testnet_ifindex(const struct testnet_ns *ns, const char *ifname)
	__attribute__((warn_unused_result));

/*
 * What the last failing testnet_*() or netprobe_*() call of this thread failed at, e.g.
 * "RTM_NEWLINK veth va/vb: File exists". Borrowed, thread-local, valid until the next call
 * from this thread; "" if nothing failed yet.
 */
const char *testnet_last_error(void);

/* For netprobe.c (same library): records "<what>: strerror(-r)" for testnet_last_error()
 * and returns r. */
int testnet_set_error(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
