/* SPDX-License-Identifier: MIT */
/*
 * The request/reply engine over a transport: sequence numbers, multi-part dumps, ACKs, and
 * kernel errors with their extended ACK text turned into messages a user understands.
 */
#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

/* Large enough for any dump datagram the kernel sends (it caps them at 32 KiB). */
#define RX_BUF_SIZE 65536

struct fl_nl {
	struct fl_nl_transport ops;
	void *priv;
	uint32_t seq;
	char *rx;
};

int fl_nl_new(const struct fl_nl_transport *ops, void *priv, struct fl_nl **ret_nl)
{
	struct fl_nl *nl = calloc(1, sizeof(*nl));

	if (!nl || !(nl->rx = malloc(RX_BUF_SIZE))) {
		free(nl);
		if (ops->destroy)
			ops->destroy(priv);
		return -ENOMEM;
	}
	nl->ops = *ops;
	nl->priv = priv;
	/* Distinct starting points keep replies of different handles apart in traces. */
	nl->seq = (uint32_t)(uintptr_t)nl ^ 0x5eed0000u;
	*ret_nl = nl;
	return 0;
}

struct fl_nl *fl_nl_free(struct fl_nl *nl)
{
	if (!nl)
		return NULL;
	if (nl->ops.destroy)
		nl->ops.destroy(nl->priv);
	free(nl->rx);
	free(nl);
	return NULL;
}

/* Extended ACK attributes follow the error (and, without NETLINK_CAP_ACK, the request). */
static const char *extack_msg(const struct nlmsghdr *nlh, size_t len)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return NULL;
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	off = MNL_ALIGN(off);
	if (MNL_NLMSG_HDRLEN + off > len || MNL_NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return NULL;
	for (a = (const struct nlattr *)((const char *)err + off);
	     mnl_attr_ok(a, (int)((const char *)nlh + nlh->nlmsg_len - (const char *)a));
	     a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

int fl_nl_parse_error(const void *buf, size_t len, struct fl_diag *diag)
{
	const struct nlmsghdr *nlh = buf;
	const struct nlmsgerr *err;
	const char *ext;
	int e;

	if (len < MNL_NLMSG_HDRLEN + sizeof(*err) || nlh->nlmsg_len > len ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*err))
		return fl_diag_set(diag, -EBADMSG, "netlink: truncated error message");
	err = mnl_nlmsg_get_payload(nlh);
	if (err->error == 0)
		return 0;
	e = err->error < 0 ? -err->error : err->error;
	ext = extack_msg(nlh, len);
	if (ext && *ext)
		return fl_diag_set(diag, -e, "%s (kernel: %s)", strerror(e), ext);
	return fl_diag_set(diag, -e, "%s", strerror(e));
}

int fl_nl_request(struct fl_nl *nl, void *msg, size_t len, fl_nl_cb cb, void *data,
		  struct fl_diag *diag)
{
	struct nlmsghdr *req = msg;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	uint32_t seq = ++nl->seq;
	int cb_err = 0, r;

	req->nlmsg_seq = seq;
	if ((r = nl->ops.send(nl->priv, msg, len)) < 0)
		return fl_diag_set(diag, r, "netlink send: %s", strerror(-r));
	for (;;) {
		ssize_t n = nl->ops.recv(nl->priv, nl->rx, RX_BUF_SIZE);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->rx;
		int left = (int)n;

		if (n == -EAGAIN || n == -ETIMEDOUT)
			return fl_diag_set(diag, -ETIMEDOUT,
					   "netlink: no answer from the kernel in time");
		if (n < 0)
			return fl_diag_set(diag, (int)n, "netlink receive: %s", strerror((int)-n));
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq)
				continue; /* a late reply to an earlier, abandoned request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				r = fl_nl_parse_error(nlh, nlh->nlmsg_len, diag);
				return r < 0 ? r : cb_err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				/* A dump may end with an error code in NLMSG_DONE's payload. */
				if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int)) {
					int e;

					memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
					if (e < 0)
						return fl_diag_set(diag, e, "netlink dump: %s",
								   strerror(-e));
				}
				if (dump)
					return cb_err;
				continue;
			}
			/* Keep draining after a callback error, or the next request desyncs. */
			if (cb && cb_err == 0)
				cb_err = cb(nlh, data);
		}
	}
}

struct link_lookup {
	int ifindex;
	char name[IFNAMSIZ];
};

static int link_cb(const void *buf, void *data)
{
	const struct nlmsghdr *nlh = buf;
	const struct ifinfomsg *ifi;
	struct link_lookup *l = data;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	l->ifindex = ifi->ifi_index;
	mnl_attr_for_each (a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			(void)snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(a));
	}
	return 0;
}

static int get_link(struct fl_nl *nl, int ifindex, const char *ifname, struct link_lookup *ret,
		    struct fl_diag *diag)
{
	char buf[256];
	struct nlmsghdr *nlh = fl_msg_start(buf, sizeof(buf), RTM_GETLINK, 0, 0);
	struct ifinfomsg *ifi;
	int r;

	if (!nlh)
		return -ENOSPC;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (ifname && (r = fl_attr_put_str(nlh, sizeof(buf), IFLA_IFNAME, ifname)) < 0)
		return r;
	/* Skip per-VF stats and the like: a name lookup needs none of it. */
	{
		uint32_t filter = RTEXT_FILTER_SKIP_STATS;

		if ((r = fl_attr_put(nlh, sizeof(buf), IFLA_EXT_MASK, sizeof(filter), &filter)) < 0)
			return r;
	}
	memset(ret, 0, sizeof(*ret));
	ret->ifindex = -1;
	r = fl_nl_request(nl, nlh, nlh->nlmsg_len, link_cb, ret, diag);
	if (r < 0)
		return r;
	return ret->ifindex > 0 ? 0 : -ENODEV;
}

int fl_nl_ifindex(struct fl_nl *nl, const char *ifname, struct fl_diag *diag)
{
	struct link_lookup l;
	int r;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ)
		return fl_diag_set(diag, -EINVAL, "interface: \"%s\" is not a valid name",
				   ifname ? ifname : "");
	r = get_link(nl, 0, ifname, &l, diag);
	if (r == -ENODEV)
		return fl_diag_set(diag, -ENODEV,
				   "interface: no \"%s\" in the target network namespace", ifname);
	if (r < 0)
		return r;
	return l.ifindex;
}

int fl_nl_ifname(struct fl_nl *nl, int ifindex, char *buf, size_t size)
{
	struct link_lookup l;
	int r = get_link(nl, ifindex, NULL, &l, NULL);

	if (r < 0)
		return r;
	(void)snprintf(buf, size, "%s", l.name);
	return 0;
}
