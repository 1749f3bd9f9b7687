/* SPDX-License-Identifier: MIT */
/*
 * Shared between the files of libfl-netem; not installed. Message builders append to a
 * struct nlmsghdr in a caller buffer of `size` bytes and return 0 or -ENOSPC.
 */
#ifndef FL_NETEM_INTERNAL_H
#define FL_NETEM_INTERNAL_H

#include <linux/netlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "fl/netem.h"

/*
 * The kernel's packet scheduler clock: PSCHED_SHIFT = 6, one tick = 64 ns, fixed since
 * Linux 2.6.x (/proc/net/psched prints 000003e8 00000040 ...). tc derives the same factor.
 */
#define FL_PSCHED_NS_PER_TICK 64ull

/* 32-bit tick value for ns (saturated), and whether it loses precision. */
uint32_t fl_ns_to_ticks(uint64_t ns, bool *ret_inexact);

/* Start a request header: type, NLM_F_REQUEST | NLM_F_ACK | flags. */
struct nlmsghdr *fl_msg_start(void *buf, size_t size, uint16_t type, uint16_t flags, uint32_t seq);
/* NLM_F_* creation flags for an operation. */
uint16_t fl_op_flags(enum fl_nl_op op);
/* Append a struct tcmsg. */
struct tcmsg *fl_msg_put_tcmsg(struct nlmsghdr *nlh, int ifindex, uint32_t parent, uint32_t handle,
			       uint32_t info);
/* mnl_attr_put with a bounds check against the buffer size; 0 or -ENOSPC. */
int fl_attr_put(struct nlmsghdr *nlh, size_t size, uint16_t type, size_t len, const void *data);
int fl_attr_put_str(struct nlmsghdr *nlh, size_t size, uint16_t type, const char *str);
struct nlattr *fl_attr_nest_start(struct nlmsghdr *nlh, size_t size, uint16_t type);
void fl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start);

/* Append TCA_OPTIONS for netem / tbf. */
int fl_netem_put_options(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *spec);
int fl_tbf_put_options(struct nlmsghdr *nlh, size_t size, const struct fl_tbf_spec *spec);

/* tbf's derived values, shared by the encoder and verify. */
uint32_t fl_tbf_burst(const struct fl_tbf_spec *spec);
uint32_t fl_tbf_limit(const struct fl_tbf_spec *spec);

/* The targeted tree: htb root, its class, u32 filters, the ingress redirect. */
#define FL_HTB_CLASS_RATE_BPS 12500000000ull /* 100 Gbit/s: never the bottleneck */
#define FL_HTB_CLASS_BURST    1048576u
#define FL_HTB_QUANTUM	      60000u
int fl_msg_htb_root(void *buf, size_t size, uint32_t seq, int ifindex);
int fl_msg_htb_class(void *buf, size_t size, uint32_t seq, int ifindex);
int fl_msg_u32_match(void *buf, size_t size, uint32_t seq, int ifindex,
		     const struct fl_netem_match *m);
int fl_msg_ingress_qdisc(void *buf, size_t size, uint32_t seq, enum fl_nl_op op, int ifindex);
int fl_msg_ingress_redirect(void *buf, size_t size, uint32_t seq, int ifindex, int ifb_ifindex);

/* u32 selector keys for a match (network byte order values, as the kernel stores them). */
#define FL_U32_MAX_KEYS 8
int fl_u32_keys(const struct fl_netem_match *m, struct tc_u32_key *ret_keys, unsigned *ret_n);
uint16_t fl_match_ethertype(const struct fl_netem_match *m);

/* ---- Dumps of tc objects (tcdump.c) ---- */

/* One qdisc, class or filter as the kernel dumped it (copied; owned by the list). */
struct fl_tc_obj {
	uint16_t type; /* RTM_NEWQDISC / RTM_NEWTCLASS / RTM_NEWTFILTER */
	int ifindex;
	uint32_t handle, parent, info;
	char kind[16];
	const void *opts; /* TCA_OPTIONS payload, NULL if absent */
	size_t opts_len;
	void *raw; /* the whole message */
};

struct fl_tc_list {
	struct fl_tc_obj *v;
	size_t n;
};

/*
 * Dump qdiscs (RTM_GETQDISC: every device; filter on ifindex if > 0), classes or filters
 * (ifindex and parent required) of nl's namespace.
 */
int fl_tc_dump(struct fl_nl *nl, uint16_t get_type, int ifindex, uint32_t parent,
	       struct fl_tc_list *ret_list, struct fl_diag *diag) _wur_;
void fl_tc_list_free(struct fl_tc_list *list);
const struct fl_tc_obj *fl_tc_find_root(const struct fl_tc_list *qdiscs, int ifindex);
const struct fl_tc_obj *fl_tc_find_handle(const struct fl_tc_list *list, int ifindex,
					  uint32_t handle);

/* Simple requests used by tree.c and sweep.c. */
int fl_tc_del_qdisc(struct fl_nl *nl, int ifindex, uint32_t parent, uint32_t handle,
		    struct fl_diag *diag);
int fl_tc_del_filter_prio(struct fl_nl *nl, int ifindex, uint32_t parent, uint32_t prio,
			  uint16_t proto, struct fl_diag *diag);
int fl_link_del(struct fl_nl *nl, int ifindex, struct fl_diag *diag);
int fl_link_add_ifb(struct fl_nl *nl, const char *name, struct fl_diag *diag);
int fl_link_set_up(struct fl_nl *nl, int ifindex, struct fl_diag *diag);

/* "flifb<ifindex>" */
void fl_ifb_name(int ifindex, char *buf, size_t size);

#endif
