/* SPDX-License-Identifier: MIT */
/*
 * libfl-netem, nftables part: partition (drop/reject), probabilistic loss without netem
 * (numgen), and steering packets to a userspace delay line (the xtables NFQUEUE target through
 * nft_compat: this kernel family has no native nft "queue" expression), all as nf_tables
 * netlink batches built with libnftnl and sent with libmnl.
 *
 * Every fault is one table "faultline_<id>" (family inet) with base chains on the output and/or
 * input hooks and one rule per peer. The table is created with NFT_TABLE_F_OWNER where the
 * kernel supports it (5.12+): it then belongs to the netlink socket that created it and the
 * kernel deletes it when that socket closes — a killed agent leaves no nft rule behind.
 * Older kernels get a plain table, removed by fl_nft_sweep() on reconcile.
 *
 * Rules apply to traffic of the namespace's own sockets (output hook) and to traffic
 * delivered to them (input hook) — the view of a pod. Loopback traffic is never affected.
 *
 * The kernel tells a local sender about a packet dropped or rejected on the output hook: a
 * UDP send() of such a datagram fails with EPERM (TCP retransmits and hides it). Loss that
 * is silent for the sender, as on a wire, belongs on the receiving namespace's input hook.
 */
#ifndef FL_NFT_H
#define FL_NFT_H

#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"
#include "fl/netem.h"

#define FL_NFT_TABLE_PREFIX "faultline_"
#define FL_NFT_ID_MAX	    32 /* fault ids: [a-z0-9][a-z0-9-]{0,31} */

enum fl_nft_action {
	FL_NFT_DROP = 0, /* silently: connections time out */
	FL_NFT_REJECT,	 /* TCP reset / ICMP unreachable: connections fail at once */
	FL_NFT_QUEUE,	 /* to NFQUEUE queue_num (the delay line) */
};

enum fl_nft_direction {
	FL_NFT_OUT = 1, /* packets the namespace sends (output hook) */
	FL_NFT_IN = 2,	/* packets it receives (input hook) */
	FL_NFT_BOTH = 3,
};

struct fl_nft_fault {
	enum fl_nft_action action;
	enum fl_nft_direction direction;
	/* Share of matching packets affected: 100 = all (partition); below: random loss
	 * (numgen random mod 10000 < percent*100). */
	double percent;
	uint16_t queue_num; /* QUEUE only: 1..65535 (0: not set, refused) */
	bool queue_bypass;  /* QUEUE: let packets pass when no program listens (fail open) */
	/* Peers: a packet matches when its remote address (daddr on output, saddr on input)
	 * and port match one of these. Empty: all non-loopback traffic. matches[].source is
	 * ignored (the direction decides). */
	unsigned n_peers;
	struct fl_netem_match peers[FL_NETEM_MAX_MATCHES];
};

int fl_nft_validate(const struct fl_nft_fault *fault, struct fl_diag *diag) _wur_;

/* A NETLINK_NETFILTER socket in a network namespace (same thread trick as fl_nl_open). */
struct fl_nft;
int fl_nft_open(const char *netns_path, struct fl_nft **ret_nft, struct fl_diag *diag) _wur_;
/* Closing the socket deletes the owner-flagged tables it created. */
struct fl_nft *fl_nft_close(struct fl_nft *nft);

/*
 * Create table faultline_<id> with its chains and rules in one atomic batch, then list it
 * back and verify. id must be [a-z0-9][a-z0-9-]{0,31}. -EEXIST if the table exists;
 * -EOPNOTSUPP with a precise message when the kernel lacks nf_tables, numgen, reject or the
 * NFQUEUE target.
 */
int fl_nft_apply(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		 struct fl_diag *diag) _wur_;
/* 0 if table faultline_<id> holds exactly the rules of fault; -ENOMSG (diag says what
 * differs) or -ENOENT if it is gone. */
int fl_nft_verify(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		  struct fl_diag *diag) _wur_;
/* Delete table faultline_<id>; 0 also when it does not exist. */
int fl_nft_remove(struct fl_nft *nft, const char *id, struct fl_diag *diag) _wur_;

/* Every faultline_* table in the namespace: cb(name) ; and delete them all (count). */
typedef int (*fl_nft_table_cb)(const char *table, void *data);
int fl_nft_list_ours(struct fl_nft *nft, fl_nft_table_cb cb, void *data,
		     struct fl_diag *diag) _wur_;
int fl_nft_sweep(struct fl_nft *nft, struct fl_diag *diag) _wur_;

/* What this kernel supports (probed in the namespace of nft): bit set of FL_NFT_CAP_*. */
#define FL_NFT_CAP_TABLES  (1u << 0)
#define FL_NFT_CAP_OWNER   (1u << 1)
#define FL_NFT_CAP_NUMGEN  (1u << 2)
#define FL_NFT_CAP_REJECT  (1u << 3)
#define FL_NFT_CAP_NFQUEUE (1u << 4) /* xt NFQUEUE target via nft_compat */
unsigned fl_nft_probe(struct fl_nft *nft);

#endif
