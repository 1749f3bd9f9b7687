/* SPDX-License-Identifier: MIT */
/*
 * The witness: what is in a network namespace, seen by code that shares nothing with
 * libfl-netem. Tests judge "nothing of Faultline's is left" and "what was there before is
 * still there" with it, while libfl-netem's own dumps and sweeps stay the thing under test
 * (a bug in them would otherwise hide itself).
 *
 *   - links, qdiscs, classes and filters: libnl-route-3, on a socket created in the
 *     namespace by a short-lived thread;
 *   - nftables: `nft -j list ruleset` run in the namespace, its JSON read with jansson.
 *
 * Faultline's objects are recognised by the marks docs/netem.md and fl/nft.h promise: qdisc
 * and class handles FA17: / FA18:, filter priorities 0xFA17 / 0xFA18, links "flifb<N>",
 * tables "faultline_<id>" of family inet.
 *
 * A witness that cannot look never says "clean": every failure (namespace cannot be
 * entered, a netlink dump fails, nft fails or prints what is not its JSON, the text does
 * not fit buf) fails the test (FL_FAIL). One exception, stated where it is made: without
 * an nft program, a kernel that has not loaded nf_tables has no table to see (the busybox
 * test VM).
 *
 * Links with libnl-3 and libnl-route-3: tests only, never a binary Faultline ships.
 */
#ifndef FL_WITNESS_H
#define FL_WITNESS_H

#include <stddef.h>

/* Enough for the namespaces tests build (a snapshot of a busy one is ~2 KiB). */
#define WITNESS_SNAPSHOT_MAX 32768
#define WITNESS_OURS_MAX     4096

/*
 * Everything in the namespace at netns_path (NULL: the caller's own), one object per line,
 * sorted: "link <ifindex> <name> <type>", "qdisc <dev> <kind> <handle> parent <handle>",
 * "class ...", "filter <dev> <kind> parent <handle> prio <prio> protocol <proto> handle <h>",
 * "nft <table|chain|rule|set|...> <its JSON object, keys sorted>". Two snapshots are equal
 * when nothing was added, removed or replaced (handles included). Written into buf.
 */
void witness_snapshot(const char *netns_path, char *buf, size_t size);

/*
 * Faultline's objects in the namespace at netns_path, one line each ("qdisc va htb fa17:
 * parent root", "filter ...", "link flifb3 ifb", "nft table inet faultline_x"), sorted,
 * into buf (NULL: count only). Returns how many there are.
 */
unsigned witness_ours(const char *netns_path, char *buf, size_t size);

/* Fails the test when Faultline objects are in the namespace, listing them after `when`. */
void witness_expect_clean(const char *netns_path, const char *when);

#endif
