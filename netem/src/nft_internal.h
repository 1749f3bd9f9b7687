/* SPDX-License-Identifier: MIT */
/*
 * Shared between the nft*.c files of libfl-netem and their tests; not installed.
 *
 *   nft_msg.c     validation; a fault as a plan (libnftnl rules per chain); batch bytes
 *   nft_verify.c  a table as the kernel dumps it, compared with a plan
 *   nft.c         the handle: socket, batch and dump engine, kernel errors explained,
 *                 apply / verify / remove / list / sweep / probe
 *
 * Builders write into caller buffers and never touch a socket. Every message they write
 * carries sequence number 0: the engine numbers a batch when it sends it.
 */
#ifndef FL_NFT_INTERNAL_H
#define FL_NFT_INTERNAL_H

#include <netinet/in.h> /* before the kernel headers: glibc's definitions win */
#include <stdio.h>	/* libnftnl's headers use FILE without including it */
#include <sys/types.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>

#include "fl/nft.h"

/*
 * Priority of our base chains on both hooks: NF_IP_PRI_MANGLE - 10 ("mangle - 10" in nft's
 * words), so that on the way of a packet:
 *   -300 raw, -200 conntrack  come first: a packet we reject already has its conntrack entry,
 *                             so the TCP reset / ICMP error we generate is attached to it (and
 *                             NATed back like the original would be);
 *   -160 Faultline
 *   -150 mangle, -100 dstnat  come after: we see the addresses the application used, before
 *                             an in-namespace DNAT (a service-mesh redirect) rewrites them,
 *                             and mark-based rerouting cannot move a packet around us;
 *      0 filter               (iptables' and nft's usual filter chains), 50 security, 100
 *                             srcnat come after: a user's drop or queue rule there cannot hide
 *                             a packet from the delay line, and their counters do not count
 *                             what the fault dropped.
 * An accept verdict in one base chain does not stop later base chains on the same hook, so
 * the order matters only for drop, reject, queue and rewrites: the cases above.
 */
#define FL_NFT_PRIORITY	  (-160)
#define FL_NFT_CHAIN_OUT  "out"
#define FL_NFT_CHAIN_IN	  "in"
#define FL_NFT_CHAIN_TYPE "filter"
/* Random loss: numgen random mod 10000 < percent * 100 (0.01 % resolution). */
#define FL_NFT_MODULUS 10000u
/* NFQUEUE target revision: xt_NFQ_info_v3 (queue, queues_total, flags), Linux 3.10+. */
#define FL_NFT_NFQUEUE_REV 3u

/* "faultline_" + id + NUL, and room for the probe's table name. */
#define FL_NFT_TABLE_NAME_MAX 64
/* Per chain: the loopback exemption, then up to two rules per peer (REJECT of any protocol:
 * a TCP reset rule and an ICMP rule for everything else). */
#define FL_NFT_RULES_MAX (1 + 2 * FL_NETEM_MAX_MATCHES)
/* Upper bound of one message (libnftnl writes without a bounds check: we check before). */
#define FL_NFT_MSG_MAX 4096
/* Messages between BEGIN and END of one batch; a whole apply needs 3 + 2 * RULES_MAX. */
#define FL_NFT_BATCH_MSGS_MAX 96
/* A batch buffer: a full apply (about 50 KiB at most) plus a message of headroom. */
#define FL_NFT_BATCH_MAX (128 * 1024)

/* ---- nft_msg.c: validation and plans ------------------------------------------------- */

/* "faultline_<id>" into buf (FL_NFT_TABLE_NAME_MAX), or -EINVAL naming the id. */
int fl_nft_table_name(const char *id, char *buf, size_t size, struct fl_diag *diag) _wur_;

struct fl_nft_rule_plan {
	struct nftnl_rule *rule; /* owned by the plan */
	int peer;		 /* index in fault->peers; -1: loopback exemption or all traffic */
	const char *what;	 /* "loopback exemption", "drop", "tcp reset", ... (static) */
};

struct fl_nft_chain_plan {
	const char *name; /* FL_NFT_CHAIN_OUT / _IN (static) */
	uint32_t hooknum; /* NF_INET_LOCAL_OUT / NF_INET_LOCAL_IN */
	unsigned n_rules;
	struct fl_nft_rule_plan rules[FL_NFT_RULES_MAX];
};

/* A fault as the kernel should hold it: table name, chains in order, rules in order. */
struct fl_nft_plan {
	char table[FL_NFT_TABLE_NAME_MAX];
	unsigned n_chains;
	struct fl_nft_chain_plan chains[2];
	unsigned caps; /* FL_NFT_CAP_* the rules need */
};

/*
 * Build the plan of a fault (validated first) for table `table`. Returns 0 and a new plan
 * (free with fl_nft_plan_free), -EINVAL with diag, or -ENOMEM.
 */
int fl_nft_plan_new(const char *table, const struct fl_nft_fault *fault,
		    struct fl_nft_plan **ret_plan, struct fl_diag *diag) _wur_;
/* Accepts NULL; returns NULL. */
struct fl_nft_plan *fl_nft_plan_free(struct fl_nft_plan *plan);

/* ---- nft_msg.c: batches -------------------------------------------------------------- */

enum fl_nft_msg_kind {
	FL_NFT_MSG_NEWTABLE = 1,
	FL_NFT_MSG_NEWCHAIN,
	FL_NFT_MSG_NEWRULE,
	FL_NFT_MSG_DELTABLE,
	FL_NFT_MSG_DELRULE,
};

/* What the n-th message of a batch is: errors are reported per message. */
struct fl_nft_msg_ref {
	uint8_t kind; /* enum fl_nft_msg_kind */
	int8_t chain; /* index in plan->chains, -1 if none */
	int16_t rule; /* index in the chain's rules, -1 if none */
};

/*
 * A batch being written into a caller buffer: NFNL_MSG_BATCH_BEGIN, messages (each with
 * NLM_F_ACK, so the kernel answers each one), NFNL_MSG_BATCH_END.
 */
struct fl_nft_batch {
	uint8_t *buf;
	size_t size, len;
	unsigned n; /* messages between BEGIN and END */
	struct fl_nft_msg_ref refs[FL_NFT_BATCH_MSGS_MAX];
	bool ended;
};

/* Start a batch in buf (BEGIN written). 0 or -ENOSPC. */
int fl_nft_batch_init(struct fl_nft_batch *b, void *buf, size_t size) _wur_;
/* NFT_MSG_NEWTABLE family/name with table flags (NFT_TABLE_F_*), create-exclusive. */
int fl_nft_batch_add_table(struct fl_nft_batch *b, uint16_t family, const char *name,
			   uint32_t table_flags) _wur_;
/* The whole plan: its table (inet, create-exclusive, table_flags), chains and rules. */
int fl_nft_batch_add_plan(struct fl_nft_batch *b, const struct fl_nft_plan *plan,
			  uint32_t table_flags) _wur_;
/* NFT_MSG_NEWRULE for rule (appended to its chain); ref says what it is. */
int fl_nft_batch_add_rule(struct fl_nft_batch *b, const struct nftnl_rule *rule,
			  struct fl_nft_msg_ref ref) _wur_;
/* NFT_MSG_DELRULE of the rule with the given handle (tests tamper with tables this way). */
int fl_nft_batch_del_rule(struct fl_nft_batch *b, uint16_t family, const char *table,
			  const char *chain, uint64_t handle) _wur_;
/* NFT_MSG_DELTABLE family/name. */
int fl_nft_batch_del_table(struct fl_nft_batch *b, uint16_t family, const char *name) _wur_;
/* END written; returns the total length or -ENOSPC. */
ssize_t fl_nft_batch_end(struct fl_nft_batch *b) _wur_;

/*
 * A request outside any batch: NFT_MSG_GETTABLE / GETCHAIN / GETRULE. dump: NLM_F_DUMP
 * (table, if not NULL, filters rules; tables and chains are filtered by the caller); else a
 * get of one table by name, with NLM_F_ACK. Returns the length or -ENOSPC.
 */
ssize_t fl_nft_msg_get(void *buf, size_t size, uint16_t type, uint16_t family, const char *table,
		       bool dump) _wur_;

/* ---- nft_verify.c: a table read back ------------------------------------------------- */

#define FL_NFT_STATE_CHAINS_MAX 8
#define FL_NFT_STATE_RULES_MAX	(2 * FL_NFT_RULES_MAX + 16)

/* One table as dumped: objects parsed with libnftnl (owned). Counts include what did not
 * fit (a table someone filled with rules still compares as "too many"). */
struct fl_nft_state {
	const char *table; /* borrowed: which table the messages are filtered for */
	bool found;
	uint32_t flags;
	bool has_owner;
	uint32_t owner; /* netlink port id of the owning socket (NFT_TABLE_F_OWNER) */
	unsigned n_chains, n_chains_seen;
	struct nftnl_chain *chains[FL_NFT_STATE_CHAINS_MAX];
	unsigned n_rules, n_rules_seen;
	struct nftnl_rule *rules[FL_NFT_STATE_RULES_MAX];
};

/* Take one dump message (NEWTABLE / NEWCHAIN / NEWRULE of family inet); others, and those
 * of other tables, are skipped. 0, -EBADMSG or -ENOMEM. */
int fl_nft_state_add(const struct nlmsghdr *nlh, void *state);
/* Free what the state holds; keeps `table`. */
void fl_nft_state_clear(struct fl_nft_state *st);

/*
 * 0 when st holds exactly the plan (chains: hook, priority, type, policy; rules per chain:
 * every expression's key values), -ENOENT when the table is gone, else -ENOMSG and diag
 * says the first difference. portid: our socket's; an owner-flagged table must be ours.
 * want_owner: the table was created with NFT_TABLE_F_OWNER.
 */
int fl_nft_compare(const struct fl_nft_plan *plan, const struct fl_nft_state *st, uint32_t portid,
		   bool want_owner, struct fl_diag *diag) _wur_;

/* "name key values": one expression as text (libnftnl's rendering, plus the target's info
 * bytes, which libnftnl does not print). Returns the length (truncated to size). */
size_t fl_nft_expr_text(const struct nftnl_expr *expr, char *buf, size_t size);

/* ---- nft.c: the handle's engine ------------------------------------------------------ */

/* Wrap a transport (steals priv: ops->destroy runs in fl_nft_close). */
int fl_nft_new(const struct fl_nl_transport *ops, void *priv, struct fl_nft **ret_nft) _wur_;

/*
 * Send a finished batch and wait for the answer to each message. 0, or the error of the
 * first failing message (-errno, diag with the kernel's text) and *ret_failed its index
 * (-1: the batch as a whole: permissions, nf_tables missing, commit).
 */
int fl_nft_send_batch(struct fl_nft *nft, struct fl_nft_batch *b, int *ret_failed,
		      struct fl_diag *diag) _wur_;

/* Send one request (dump or get) and hand each reply message to cb until the end. */
typedef int (*fl_nft_msg_cb)(const struct nlmsghdr *nlh, void *data);
int fl_nft_request(struct fl_nft *nft, void *msg, size_t len, fl_nft_msg_cb cb, void *data,
		   struct fl_diag *diag) _wur_;

/* Read table `table` (family inet) into st: cleared first, so st must be zeroed or hold an
 * earlier state. -ENOENT is not an error here: st->found stays false. */
int fl_nft_read_state(struct fl_nft *nft, const char *table, struct fl_nft_state *st,
		      struct fl_diag *diag) _wur_;

/* Port id of the handle's socket (0 for a fake transport without one). */
uint32_t fl_nft_portid(const struct fl_nft *nft);

#endif
