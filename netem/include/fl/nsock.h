/* SPDX-License-Identifier: MIT */
/*
 * A netlink socket of any protocol created inside a network namespace (NETLINK_NETFILTER for
 * nf_tables, NETLINK_ROUTE for rtnetlink), or plain sockets (the agent's TCP wire check).
 * Same thread trick as transport_mnl.c: a short-lived thread setns()'s into the namespace,
 * creates the socket and exits, so no thread of the caller ever changes namespace. Also a
 * file opened there (a namespace's /proc/thread-self/net counters: the agent's pod listing).
 */
#ifndef FL_NSOCK_H
#define FL_NSOCK_H

#include <libmnl/libmnl.h>

#include "fl/diag.h"

/*
 * Create a netlink socket of `protocol` (SOCK_CLOEXEC) in the namespace at netns_path (NULL:
 * the caller's own), unconfigured and unbound, for callers with their own needs (the delay
 * line's queue socket). Returns 0 and a new socket (mnl_socket_close() it), or -errno with
 * diag; -EPROTONOSUPPORT when the kernel lacks the protocol.
 */
int fl_nsock_create(const char *netns_path, int protocol, struct mnl_socket **ret_sock,
		    struct fl_diag *diag) _wur_;

/*
 * Create n plain sockets socket(domain, type | SOCK_CLOEXEC, 0) in the namespace at
 * netns_path (NULL: the caller's own): a TCP socket made there connects, routes and is
 * filtered there for its whole life, whichever thread uses it (the agent's wire check).
 * Returns 0 and n new descriptors in ret_fds (all or none), or -errno with diag.
 */
int fl_nsock_sockets(const char *netns_path, int domain, int type, unsigned n, int *ret_fds,
		     struct fl_diag *diag) _wur_;

/*
 * Open path read-only (O_CLOEXEC) from a thread inside the namespace at netns_path (NULL: the
 * caller's own). For the per-namespace files of procfs: "/proc/thread-self/net/snmp" opened
 * there shows that namespace's counters for as long as the descriptor is open, read from any
 * thread. Returns 0 and a new descriptor (close() it), or -errno with diag.
 */
int fl_nsock_open_file(const char *netns_path, const char *path, int *ret_fd,
		       struct fl_diag *diag) _wur_;

/*
 * Open a netlink socket of `protocol` in the namespace at netns_path ("/proc/PID/ns/net",
 * "/run/netns/NAME"; NULL: the caller's own), configured for request/reply use: extended ACK
 * text, capped ACKs, strict checking, a receive timeout of recv_timeout_sec, bound to an
 * automatic port id. Returns 0 and a new socket (mnl_socket_close() it), or -errno with diag.
 */
int fl_nsock_open(const char *netns_path, int protocol, unsigned recv_timeout_sec,
		  struct mnl_socket **ret_sock, struct fl_diag *diag) _wur_;

#endif
