/* SPDX-License-Identifier: MIT */
/*
 * Messages of a targeted tree:
 *
 *   root htb FA17: (default 0: unclassified packets bypass shaping, as "direct" traffic)
 *     class FA17:1 at 100 Gbit/s (never the bottleneck)
 *       qdisc FA18: netem | tbf    <- the fault
 *   filter u32 prio FA17/FA18 on FA17: "dst in CIDR [and port]" -> FA17:1
 *
 * and of ingress faults: an ingress qdisc on the device with one u32 filter (prio FA17,
 * all protocols) whose mirred action redirects every packet to the IFB device, where the
 * tree above runs on egress.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

int fl_msg_htb_root(void *buf, size_t size, uint32_t seq, int ifindex)
{
	struct tc_htb_glob glob = { .version = 3, .rate2quantum = 10, .defcls = 0 };
	struct nlmsghdr *nlh = fl_msg_start(buf, size, RTM_NEWQDISC, fl_op_flags(FL_NL_ADD), seq);
	struct nlattr *nest;
	int r;

	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, TC_H_ROOT, FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0), 0);
	if ((r = fl_attr_put_str(nlh, size, TCA_KIND, "htb")) < 0)
		return r;
	if (!(nest = fl_attr_nest_start(nlh, size, TCA_OPTIONS)))
		return -ENOSPC;
	if ((r = fl_attr_put(nlh, size, TCA_HTB_INIT, sizeof(glob), &glob)) < 0)
		return r;
	fl_attr_nest_end(nlh, nest);
	return (int)nlh->nlmsg_len;
}

int fl_msg_htb_class(void *buf, size_t size, uint32_t seq, int ifindex)
{
	uint64_t rate = FL_HTB_CLASS_RATE_BPS;
	/* Bucket in ticks for FL_HTB_CLASS_BURST bytes at the class rate. */
	uint32_t buffer = fl_ns_to_ticks(FL_HTB_CLASS_BURST * 1000000000ull / rate, NULL);
	struct tc_htb_opt opt = {
		.rate = { .rate = UINT32_MAX, .linklayer = TC_LINKLAYER_ETHERNET },
		.ceil = { .rate = UINT32_MAX, .linklayer = TC_LINKLAYER_ETHERNET },
		.buffer = buffer,
		.cbuffer = buffer,
		.quantum = FL_HTB_QUANTUM,
	};
	struct nlmsghdr *nlh = fl_msg_start(buf, size, RTM_NEWTCLASS, fl_op_flags(FL_NL_ADD), seq);
	struct nlattr *nest;
	int r;

	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0),
			 FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 1), 0);
	if ((r = fl_attr_put_str(nlh, size, TCA_KIND, "htb")) < 0)
		return r;
	if (!(nest = fl_attr_nest_start(nlh, size, TCA_OPTIONS)))
		return -ENOSPC;
	if ((r = fl_attr_put(nlh, size, TCA_HTB_PARMS, sizeof(opt), &opt)) < 0 ||
	    (r = fl_attr_put(nlh, size, TCA_HTB_RATE64, sizeof(rate), &rate)) < 0 ||
	    (r = fl_attr_put(nlh, size, TCA_HTB_CEIL64, sizeof(rate), &rate)) < 0)
		return r;
	fl_attr_nest_end(nlh, nest);
	return (int)nlh->nlmsg_len;
}

static int put_u32_sel(struct nlmsghdr *nlh, size_t size, const struct tc_u32_key *keys, unsigned n)
{
	/* struct tc_u32_sel ends in a flexible array: lay it out in a plain byte buffer. */
	uint8_t raw[sizeof(struct tc_u32_sel) + FL_U32_MAX_KEYS * sizeof(struct tc_u32_key)];
	struct tc_u32_sel sel = { .flags = TC_U32_TERMINAL, .nkeys = (unsigned char)n };

	if (n > FL_U32_MAX_KEYS)
		return -E2BIG;
	memcpy(raw, &sel, sizeof(sel));
	memcpy(raw + sizeof(sel), keys, n * sizeof(keys[0]));
	return fl_attr_put(nlh, size, TCA_U32_SEL, sizeof(sel) + n * sizeof(keys[0]), raw);
}

int fl_msg_u32_match(void *buf, size_t size, uint32_t seq, int ifindex,
		     const struct fl_netem_match *m)
{
	uint32_t prio = m->family == AF_INET6 ? FL_NETEM_FILTER_PRIO6 : FL_NETEM_FILTER_PRIO;
	uint32_t classid = FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 1);
	struct tc_u32_key keys[FL_U32_MAX_KEYS];
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	unsigned n;
	int r;

	if ((r = fl_u32_keys(m, keys, &n)) < 0)
		return r;
	nlh = fl_msg_start(buf, size, RTM_NEWTFILTER, fl_op_flags(FL_NL_ADD), seq);
	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0), 0,
			 TC_H_MAKE(prio << 16, htons(fl_match_ethertype(m))));
	if ((r = fl_attr_put_str(nlh, size, TCA_KIND, "u32")) < 0)
		return r;
	if (!(nest = fl_attr_nest_start(nlh, size, TCA_OPTIONS)))
		return -ENOSPC;
	if ((r = fl_attr_put(nlh, size, TCA_U32_CLASSID, sizeof(classid), &classid)) < 0 ||
	    (r = put_u32_sel(nlh, size, keys, n)) < 0)
		return r;
	fl_attr_nest_end(nlh, nest);
	return (int)nlh->nlmsg_len;
}

int fl_msg_ingress_qdisc(void *buf, size_t size, uint32_t seq, enum fl_nl_op op, int ifindex)
{
	bool del = op == FL_NL_DELETE;
	struct nlmsghdr *nlh =
		fl_msg_start(buf, size, del ? RTM_DELQDISC : RTM_NEWQDISC, fl_op_flags(op), seq);
	int r;

	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, TC_H_INGRESS, FL_NETEM_HANDLE(0xFFFF, 0), 0);
	if (!del && (r = fl_attr_put_str(nlh, size, TCA_KIND, "ingress")) < 0)
		return r;
	return (int)nlh->nlmsg_len;
}

int fl_msg_ingress_redirect(void *buf, size_t size, uint32_t seq, int ifindex, int ifb_ifindex)
{
	struct tc_mirred mirred = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (uint32_t)ifb_ifindex,
	};
	struct tc_u32_key all = { 0 }; /* mask 0: every packet matches */
	struct nlattr *opts, *acts, *act, *act_opts;
	struct nlmsghdr *nlh;
	int r;

	nlh = fl_msg_start(buf, size, RTM_NEWTFILTER, fl_op_flags(FL_NL_ADD), seq);
	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, FL_NETEM_HANDLE(0xFFFF, 0), 0,
			 TC_H_MAKE(FL_NETEM_FILTER_PRIO << 16, htons(ETH_P_ALL)));
	if ((r = fl_attr_put_str(nlh, size, TCA_KIND, "u32")) < 0)
		return r;
	if (!(opts = fl_attr_nest_start(nlh, size, TCA_OPTIONS)) ||
	    !(acts = fl_attr_nest_start(nlh, size, TCA_U32_ACT)) ||
	    !(act = fl_attr_nest_start(nlh, size, 1)))
		return -ENOSPC;
	if ((r = fl_attr_put_str(nlh, size, TCA_ACT_KIND, "mirred")) < 0)
		return r;
	if (!(act_opts = fl_attr_nest_start(nlh, size, TCA_ACT_OPTIONS | NLA_F_NESTED)))
		return -ENOSPC;
	if ((r = fl_attr_put(nlh, size, TCA_MIRRED_PARMS, sizeof(mirred), &mirred)) < 0)
		return r;
	fl_attr_nest_end(nlh, act_opts);
	/* The cookie marks the action as ours in dumps (reconcile). */
	if ((r = fl_attr_put(nlh, size, TCA_ACT_COOKIE, strlen(FL_NETEM_ACT_COOKIE),
			     FL_NETEM_ACT_COOKIE)) < 0)
		return r;
	fl_attr_nest_end(nlh, act);
	fl_attr_nest_end(nlh, acts);
	if ((r = put_u32_sel(nlh, size, &all, 1)) < 0)
		return r;
	fl_attr_nest_end(nlh, opts);
	return (int)nlh->nlmsg_len;
}
