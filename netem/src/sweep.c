/* SPDX-License-Identifier: MIT */
/*
 * Finding and removing everything Faultline created in a network namespace, recognised by
 * the reserved identifiers only (netem.h): root qdiscs FA17:, our filter priority on an
 * ingress qdisc, devices named flifb<N>. Nothing else is ever touched. This is what a
 * restarted agent runs in every namespace it knows, so a kill -9 leaves nothing behind.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

#define MAX_LINKS_LIST 4096

struct link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[16];
};

struct link_list {
	struct link *v;
	size_t n, cap;
};

static int link_info_kind(const struct nlattr *info, char *kind, size_t size)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested (a, info) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			(void)snprintf(kind, size, "%s", mnl_attr_get_str(a));
	}
	return 0;
}

static int links_cb(const void *buf, void *data)
{
	const struct nlmsghdr *nlh = buf;
	struct link_list *l = data;
	const struct ifinfomsg *ifi;
	const struct nlattr *a;
	struct link *lk;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifi))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct link *v;

		if (cap > MAX_LINKS_LIST)
			return -E2BIG;
		if (!(v = realloc(l->v, cap * sizeof(*v))))
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	ifi = mnl_nlmsg_get_payload(nlh);
	lk = &l->v[l->n++];
	memset(lk, 0, sizeof(*lk));
	lk->ifindex = ifi->ifi_index;
	mnl_attr_for_each (a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			(void)snprintf(lk->name, sizeof(lk->name), "%s", mnl_attr_get_str(a));
		else if (mnl_attr_get_type(a) == IFLA_LINKINFO)
			(void)link_info_kind(a, lk->kind, sizeof(lk->kind));
	}
	return 0;
}

static int dump_links(struct fl_nl *nl, struct link_list *ret, struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = fl_msg_start(buf, sizeof(buf), RTM_GETLINK, NLM_F_DUMP, 0);
	struct ifinfomsg *ifi;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!nlh)
		return -ENOSPC;
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	r = fl_nl_request(nl, nlh, nlh->nlmsg_len, links_cb, ret, diag);
	if (r < 0) {
		free(ret->v);
		ret->v = NULL;
	}
	return r;
}

static const struct link *find_link(const struct link_list *l, int ifindex)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].ifindex == ifindex)
			return &l->v[i];
	return NULL;
}

static bool is_our_ifb(const struct link *lk)
{
	return strncmp(lk->name, FL_NETEM_IFB_PREFIX, strlen(FL_NETEM_IFB_PREFIX)) == 0 &&
	       strcmp(lk->kind, "ifb") == 0;
}

static int report(fl_netem_owned_cb cb, void *data, const struct link *lk, int what,
		  const char *kind)
{
	struct fl_netem_owned o = { .ifindex = lk ? lk->ifindex : 0 };

	o.what = what;
	if (lk)
		(void)snprintf(o.ifname, sizeof(o.ifname), "%s", lk->name);
	(void)snprintf(o.kind, sizeof(o.kind), "%s", kind);
	return cb(&o, data);
}

/* Does the ingress qdisc of ifindex carry our redirect filter priority? */
static bool has_our_ingress_filter(struct fl_nl *nl, int ifindex)
{
	struct fl_tc_list filters;
	bool ours = false;

	if (fl_tc_dump(nl, RTM_GETTFILTER, ifindex, FL_NETEM_HANDLE(0xFFFF, 0), &filters, NULL) < 0)
		return false;
	for (size_t i = 0; i < filters.n; i++)
		if (TC_H_MAJ(filters.v[i].info) >> 16 == FL_NETEM_FILTER_PRIO &&
		    strcmp(filters.v[i].kind, "u32") == 0)
			ours = true;
	fl_tc_list_free(&filters);
	return ours;
}

int fl_netem_list_ours(struct fl_nl *nl, fl_netem_owned_cb cb, void *data, struct fl_diag *diag)
{
	struct link_list links;
	struct fl_tc_list qdiscs;
	int r;

	if ((r = dump_links(nl, &links, diag)) < 0)
		return r;
	if ((r = fl_tc_dump(nl, RTM_GETQDISC, 0, 0, &qdiscs, diag)) < 0)
		goto out_links;
	for (size_t i = 0; i < qdiscs.n && r >= 0; i++) {
		const struct fl_tc_obj *q = &qdiscs.v[i];
		const struct link *lk = find_link(&links, q->ifindex);

		if (q->parent == TC_H_ROOT &&
		    TC_H_MAJ(q->handle) == FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0))
			r = report(cb, data, lk, FL_NETEM_OWNED_ROOT_QDISC, q->kind);
		else if (q->parent == TC_H_INGRESS && has_our_ingress_filter(nl, q->ifindex))
			r = report(cb, data, lk, FL_NETEM_OWNED_INGRESS_FILTER, "u32");
	}
	for (size_t i = 0; i < links.n && r >= 0; i++)
		if (is_our_ifb(&links.v[i]))
			r = report(cb, data, &links.v[i], FL_NETEM_OWNED_IFB, "ifb");
	fl_tc_list_free(&qdiscs);
out_links:
	free(links.v);
	return r < 0 ? r : 0;
}

struct sweep_state {
	struct fl_nl *nl;
	struct fl_netem_owned found[MAX_LINKS_LIST];
	unsigned n;
};

static int collect_cb(const struct fl_netem_owned *o, void *data)
{
	struct sweep_state *st = data;

	if (st->n == MAX_LINKS_LIST)
		return -E2BIG;
	st->found[st->n++] = *o;
	return 0;
}

int fl_netem_remove_owned(struct fl_nl *nl, const struct fl_netem_owned *o, struct fl_diag *diag)
{
	int r;

	switch (o->what) {
	case FL_NETEM_OWNED_ROOT_QDISC:
		r = fl_tc_del_qdisc(nl, o->ifindex, TC_H_ROOT,
				    FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0), diag);
		break;
	case FL_NETEM_OWNED_INGRESS_FILTER: {
		struct fl_tc_list rest;

		r = fl_tc_del_filter_prio(nl, o->ifindex, FL_NETEM_HANDLE(0xFFFF, 0),
					  FL_NETEM_FILTER_PRIO, htons(ETH_P_ALL), diag);
		/* The ingress qdisc goes too unless somebody else's filters still use it. */
		if (r >= 0 && fl_tc_dump(nl, RTM_GETTFILTER, o->ifindex, FL_NETEM_HANDLE(0xFFFF, 0),
					 &rest, NULL) == 0) {
			if (rest.n == 0)
				(void)fl_tc_del_qdisc(nl, o->ifindex, TC_H_INGRESS,
						      FL_NETEM_HANDLE(0xFFFF, 0), NULL);
			fl_tc_list_free(&rest);
		}
		break;
	}
	case FL_NETEM_OWNED_IFB:
		r = fl_link_del(nl, o->ifindex, diag);
		break;
	default:
		r = 0;
		break;
	}
	/* Gone already (an IFB deleted with its qdiscs) is fine. */
	if (r == -ENOENT || r == -ENODEV || r == -EINVAL)
		r = 0;
	return r;
}

int fl_netem_sweep(struct fl_nl *nl, struct fl_diag *diag)
{
	struct sweep_state *st = calloc(1, sizeof(*st));
	int removed = 0, first_err = 0, r;

	if (!st)
		return -ENOMEM;
	/* Collect first, then delete: deleting while a dump runs confuses the dump. */
	if ((r = fl_netem_list_ours(nl, collect_cb, st, diag)) < 0) {
		free(st);
		return r;
	}
	for (unsigned i = 0; i < st->n; i++) {
		r = fl_netem_remove_owned(nl, &st->found[i], diag);
		if (r < 0 && !first_err)
			first_err = r;
		else if (r >= 0)
			removed++;
	}
	free(st);
	return first_err ? first_err : removed;
}
