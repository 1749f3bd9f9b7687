/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked message building on top of libmnl. libmnl's mnl_attr_put() trusts the
 * caller's buffer; every helper here checks against the buffer size first.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

uint32_t fl_ns_to_ticks(uint64_t ns, bool *ret_inexact)
{
	uint64_t ticks = ns / FL_PSCHED_NS_PER_TICK;
	bool inexact = ns % FL_PSCHED_NS_PER_TICK != 0;

	if (ticks > UINT32_MAX) {
		ticks = UINT32_MAX;
		inexact = true;
	}
	if (ret_inexact)
		*ret_inexact = inexact;
	return (uint32_t)ticks;
}

struct nlmsghdr *fl_msg_start(void *buf, size_t size, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (size < MNL_NLMSG_HDRLEN + sizeof(struct tcmsg))
		return NULL;
	memset(buf, 0, MNL_NLMSG_HDRLEN);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	return nlh;
}

uint16_t fl_op_flags(enum fl_nl_op op)
{
	switch (op) {
	case FL_NL_ADD:
		return NLM_F_CREATE | NLM_F_EXCL;
	case FL_NL_REPLACE:
		return NLM_F_CREATE | NLM_F_REPLACE;
	case FL_NL_CHANGE:
	case FL_NL_DELETE:
		return 0;
	}
	return 0;
}

struct tcmsg *fl_msg_put_tcmsg(struct nlmsghdr *nlh, int ifindex, uint32_t parent, uint32_t handle,
			       uint32_t info)
{
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	tcm->tcm_handle = handle;
	tcm->tcm_info = info;
	return tcm;
}

int fl_attr_put(struct nlmsghdr *nlh, size_t size, uint16_t type, size_t len, const void *data)
{
	if (len > UINT16_MAX - MNL_ATTR_HDRLEN ||
	    nlh->nlmsg_len + MNL_ATTR_HDRLEN + MNL_ALIGN(len) > size)
		return -ENOSPC;
	mnl_attr_put(nlh, type, len, data);
	return 0;
}

int fl_attr_put_str(struct nlmsghdr *nlh, size_t size, uint16_t type, const char *str)
{
	return fl_attr_put(nlh, size, type, strlen(str) + 1, str);
}

/*
 * Unlike mnl_attr_nest_start(), the type is taken as given: iproute2 sets NLA_F_NESTED on
 * some nests (TCA_NETEM_LOSS) and not on others (TCA_OPTIONS), and we send the same bytes.
 */
struct nlattr *fl_attr_nest_start(struct nlmsghdr *nlh, size_t size, uint16_t type)
{
	struct nlattr *start = mnl_nlmsg_get_payload_tail(nlh);

	if (nlh->nlmsg_len + MNL_ATTR_HDRLEN > size)
		return NULL;
	start->nla_type = type;
	start->nla_len = MNL_ATTR_HDRLEN;
	nlh->nlmsg_len += MNL_ATTR_HDRLEN;
	return start;
}

void fl_attr_nest_end(struct nlmsghdr *nlh, struct nlattr *start)
{
	mnl_attr_nest_end(nlh, start);
}
