/* SPDX-License-Identifier: MIT */
/*
 * Dumping qdiscs, classes and filters, and the small delete/link requests that apply,
 * remove and sweep are built from.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

#define DUMP_MAX_OBJECTS 4096 /* a bound against a runaway dump */

struct dump_state {
	struct fl_tc_list *list;
	int ifindex;
	size_t cap;
	int err;
};

static int dump_cb(const void *buf, void *data)
{
	const struct nlmsghdr *nlh = buf;
	struct dump_state *st = data;
	const struct tcmsg *tcm;
	const struct nlattr *a;
	struct fl_tc_obj *o;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*tcm))
		return 0;
	tcm = mnl_nlmsg_get_payload(nlh);
	if (st->ifindex > 0 && tcm->tcm_ifindex != st->ifindex)
		return 0;
	if (st->list->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 16;
		struct fl_tc_obj *v;

		if (cap > DUMP_MAX_OBJECTS)
			return -E2BIG;
		v = realloc(st->list->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		st->list->v = v;
		st->cap = cap;
	}
	o = &st->list->v[st->list->n];
	memset(o, 0, sizeof(*o));
	o->raw = malloc(nlh->nlmsg_len);
	if (!o->raw)
		return -ENOMEM;
	memcpy(o->raw, nlh, nlh->nlmsg_len);
	st->list->n++;
	nlh = o->raw;
	tcm = mnl_nlmsg_get_payload(nlh);
	o->type = nlh->nlmsg_type;
	o->ifindex = tcm->tcm_ifindex;
	o->handle = tcm->tcm_handle;
	o->parent = tcm->tcm_parent;
	o->info = tcm->tcm_info;
	mnl_attr_for_each (a, nlh, sizeof(*tcm)) {
		switch (mnl_attr_get_type(a)) {
		case TCA_KIND:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
				(void)snprintf(o->kind, sizeof(o->kind), "%s", mnl_attr_get_str(a));
			break;
		case TCA_OPTIONS:
			o->opts = mnl_attr_get_payload(a);
			o->opts_len = mnl_attr_get_payload_len(a);
			break;
		default:
			break;
		}
	}
	return 0;
}

int fl_tc_dump(struct fl_nl *nl, uint16_t get_type, int ifindex, uint32_t parent,
	       struct fl_tc_list *ret_list, struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = fl_msg_start(buf, sizeof(buf), get_type, NLM_F_DUMP, 0);
	struct dump_state st = { .list = ret_list, .ifindex = ifindex };
	int r;

	memset(ret_list, 0, sizeof(*ret_list));
	if (!nlh)
		return -ENOSPC;
	nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK; /* a dump ends with NLMSG_DONE */
	fl_msg_put_tcmsg(nlh, get_type == RTM_GETQDISC ? 0 : ifindex, parent, 0, 0);
	r = fl_nl_request(nl, nlh, nlh->nlmsg_len, dump_cb, &st, diag);
	if (r < 0) {
		fl_tc_list_free(ret_list);
		return r;
	}
	return 0;
}

void fl_tc_list_free(struct fl_tc_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->v[i].raw);
	free(list->v);
	list->v = NULL;
	list->n = 0;
}

const struct fl_tc_obj *fl_tc_find_root(const struct fl_tc_list *qdiscs, int ifindex)
{
	for (size_t i = 0; i < qdiscs->n; i++)
		if (qdiscs->v[i].ifindex == ifindex && qdiscs->v[i].parent == TC_H_ROOT)
			return &qdiscs->v[i];
	return NULL;
}

const struct fl_tc_obj *fl_tc_find_handle(const struct fl_tc_list *list, int ifindex,
					  uint32_t handle)
{
	for (size_t i = 0; i < list->n; i++)
		if (list->v[i].ifindex == ifindex && list->v[i].handle == handle)
			return &list->v[i];
	return NULL;
}

int fl_tc_del_qdisc(struct fl_nl *nl, int ifindex, uint32_t parent, uint32_t handle,
		    struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = fl_msg_start(buf, sizeof(buf), RTM_DELQDISC, 0, 0);

	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, parent, handle, 0);
	return fl_nl_request(nl, nlh, nlh->nlmsg_len, NULL, NULL, diag);
}

int fl_tc_del_filter_prio(struct fl_nl *nl, int ifindex, uint32_t parent, uint32_t prio,
			  uint16_t proto, struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = fl_msg_start(buf, sizeof(buf), RTM_DELTFILTER, 0, 0);

	if (!nlh)
		return -ENOSPC;
	/* Handle 0 with a priority: the whole filter list of that priority goes. */
	fl_msg_put_tcmsg(nlh, ifindex, parent, 0, TC_H_MAKE(prio << 16, proto));
	return fl_nl_request(nl, nlh, nlh->nlmsg_len, NULL, NULL, diag);
}

static struct nlmsghdr *link_msg(char *buf, size_t size, uint16_t type, uint16_t flags, int ifindex)
{
	struct nlmsghdr *nlh = fl_msg_start(buf, size, type, flags, 0);
	struct ifinfomsg *ifi;

	if (!nlh)
		return NULL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

int fl_link_del(struct fl_nl *nl, int ifindex, struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = link_msg(buf, sizeof(buf), RTM_DELLINK, 0, ifindex);

	if (!nlh)
		return -ENOSPC;
	return fl_nl_request(nl, nlh, nlh->nlmsg_len, NULL, NULL, diag);
}

int fl_link_add_ifb(struct fl_nl *nl, const char *name, struct fl_diag *diag)
{
	char buf[256];
	struct nlmsghdr *nlh =
		link_msg(buf, sizeof(buf), RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	struct nlattr *info;
	int r;

	if (!nlh)
		return -ENOSPC;
	if ((r = fl_attr_put_str(nlh, sizeof(buf), IFLA_IFNAME, name)) < 0)
		return r;
	if (!(info = fl_attr_nest_start(nlh, sizeof(buf), IFLA_LINKINFO)))
		return -ENOSPC;
	if ((r = fl_attr_put_str(nlh, sizeof(buf), IFLA_INFO_KIND, "ifb")) < 0)
		return r;
	fl_attr_nest_end(nlh, info);
	r = fl_nl_request(nl, nlh, nlh->nlmsg_len, NULL, NULL, diag);
	if (r == -EOPNOTSUPP || r == -ENOENT)
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "ingress faults need IFB devices and this kernel has no ifb "
				   "driver (load the ifb module, or inject on the egress of the "
				   "peer instead)");
	return r;
}

int fl_link_set_up(struct fl_nl *nl, int ifindex, struct fl_diag *diag)
{
	char buf[128];
	struct nlmsghdr *nlh = link_msg(buf, sizeof(buf), RTM_NEWLINK, 0, ifindex);
	struct ifinfomsg *ifi;

	if (!nlh)
		return -ENOSPC;
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return fl_nl_request(nl, nlh, nlh->nlmsg_len, NULL, NULL, diag);
}

void fl_ifb_name(int ifindex, char *buf, size_t size)
{
	(void)snprintf(buf, size, FL_NETEM_IFB_PREFIX "%d", ifindex);
}
