/* SPDX-License-Identifier: MIT */
/*
 * The netlink engine against canned kernel replies (fake transport): ACKs, errors with and
 * without extended ACK text, dumps, stale replies, and a whole apply against a kernel that
 * has no sch_netem.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "fl/netem.h"
#include "fltest.h"
#include "nlfake.h"

static uint8_t msg[4096];

/* An NLMSG_ERROR reply; with text: extack TLVs (capped = without the request echoed). */
static size_t make_error(int error, const char *text, bool capped, const struct nlmsghdr *req)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	struct nlmsgerr *err = (struct nlmsgerr *)(nlh + 1);
	size_t off = sizeof(*nlh) + sizeof(*err);

	memset(msg, 0, sizeof(msg));
	nlh->nlmsg_type = NLMSG_ERROR;
	err->error = error;
	if (req) {
		err->msg = *req;
		if (!capped) {
			size_t plen = req->nlmsg_len - sizeof(*req);

			memcpy(msg + off, req + 1, plen);
			off += (plen + 3) & ~3u;
		}
	}
	if (capped)
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	if (text) {
		struct nlattr *a = (struct nlattr *)(msg + off);

		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = (uint16_t)(sizeof(*a) + strlen(text) + 1);
		memcpy(a + 1, text, strlen(text) + 1);
		off += (a->nla_len + 3u) & ~3u;
	}
	nlh->nlmsg_len = (uint32_t)off;
	return off;
}

FLTEST(parse_error_ack_is_success)
{
	struct fl_diag diag = { 0 };
	size_t len = make_error(0, NULL, true, NULL);

	FL_ASSERT_EQ(fl_nl_parse_error(msg, len, &diag), 0);
}

FLTEST(parse_error_plain_errno)
{
	struct fl_diag diag = { 0 };
	size_t len = make_error(-EPERM, NULL, true, NULL);

	FL_ASSERT_EQ(fl_nl_parse_error(msg, len, &diag), -EPERM);
	FL_ASSERT_CONTAINS(diag.msg, "Operation not permitted");
}

FLTEST(parse_error_extack_capped_and_uncapped)
{
	struct {
		struct nlmsghdr h;
		uint8_t body[20];
	} req = { .h = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_NEWQDISC } };
	struct fl_diag diag = { 0 };
	size_t len;

	len = make_error(-ENOENT, "Specified qdisc kind is unknown.", true, &req.h);
	FL_ASSERT_EQ(fl_nl_parse_error(msg, len, &diag), -ENOENT);
	FL_ASSERT_CONTAINS(diag.msg, "kernel: Specified qdisc kind is unknown.");

	memset(req.body, 0xab, sizeof(req.body));
	len = make_error(-EINVAL, "Invalid qdisc name", false, &req.h);
	FL_ASSERT_EQ(fl_nl_parse_error(msg, len, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "kernel: Invalid qdisc name");
}

FLTEST(parse_error_rejects_truncated_and_bogus_tlvs)
{
	struct fl_diag diag = { 0 };
	size_t len = make_error(-EINVAL, "x", true, NULL);
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;

	FL_ASSERT_EQ(fl_nl_parse_error(msg, 10, &diag), -EBADMSG);
	/* A TLV claiming more bytes than the message has: the text is ignored, not read. */
	((struct nlattr *)(msg + sizeof(*nlh) + sizeof(struct nlmsgerr)))->nla_len = 4000;
	FL_ASSERT_EQ(fl_nl_parse_error(msg, len, &diag), -EINVAL);
	FL_ASSERT(strstr(diag.msg, "kernel:") == NULL);
}

static void free_nl(void *nl)
{
	fl_nl_free(nl);
}

static struct fl_nl *fake(struct fl_nl_fake **ret_fake)
{
	struct fl_nl *nl;

	FL_ASSERT_OK(fl_nl_fake_new(&nl, ret_fake));
	fltest_defer(free_nl, nl);
	return nl;
}

static size_t make_link_reply(int ifindex, const char *name)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;
	struct ifinfomsg *ifi = (struct ifinfomsg *)(nlh + 1);
	struct nlattr *a = (struct nlattr *)(ifi + 1);

	memset(msg, 0, sizeof(msg));
	nlh->nlmsg_type = RTM_NEWLINK;
	ifi->ifi_index = ifindex;
	a->nla_type = IFLA_IFNAME;
	a->nla_len = (uint16_t)(sizeof(*a) + strlen(name) + 1);
	memcpy(a + 1, name, strlen(name) + 1);
	nlh->nlmsg_len = (uint32_t)(sizeof(*nlh) + sizeof(*ifi) + ((a->nla_len + 3u) & ~3u));
	return nlh->nlmsg_len;
}

FLTEST(request_returns_kernel_error_with_text)
{
	struct fl_nl_fake *f;
	struct fl_nl *nl = fake(&f);
	struct fl_diag diag = { 0 };
	struct nlmsghdr req = { .nlmsg_len = sizeof(req),
				.nlmsg_type = RTM_NEWQDISC,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK };

	FL_ASSERT_OK(fl_nl_fake_queue_reply(
		f, msg, make_error(-EEXIST, "Exclusivity flag on", true, &req)));
	FL_ASSERT_EQ(fl_nl_request(nl, &req, sizeof(req), NULL, NULL, &diag), -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "Exclusivity flag on");
	/* Without a queued reply the fake ACKs. */
	FL_ASSERT_EQ(fl_nl_request(nl, &req, sizeof(req), NULL, NULL, &diag), 0);
	FL_ASSERT_EQ(fl_nl_fake_n_requests(f), 2);
}

FLTEST(ifindex_lookup_and_missing_device)
{
	struct fl_nl_fake *f;
	struct fl_nl *nl = fake(&f);
	struct fl_diag diag = { 0 };
	const struct nlmsghdr *req;

	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_link_reply(7, "veth0")));
	FL_ASSERT_EQ(fl_nl_ifindex(nl, "veth0", &diag), 7);
	req = fl_nl_fake_request(f, 0, NULL);
	FL_ASSERT_EQ(req->nlmsg_type, RTM_GETLINK);

	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_error(-ENODEV, NULL, true, NULL)));
	FL_ASSERT_EQ(fl_nl_ifindex(nl, "nope0", &diag), -ENODEV);
	FL_ASSERT_CONTAINS(diag.msg, "no \"nope0\"");
	FL_ASSERT_EQ(fl_nl_ifindex(nl, "much-too-long-interface-name", &diag), -EINVAL);
}

FLTEST(stale_replies_are_skipped)
{
	struct fl_nl_fake *f;
	struct fl_nl *nl = fake(&f);
	struct fl_diag diag = { 0 };
	struct nlmsghdr req = { .nlmsg_len = sizeof(req),
				.nlmsg_type = RTM_NEWQDISC,
				.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK };
	uint8_t two[256];
	size_t n1 = make_error(-EIO, NULL, true, NULL), n2;

	/* One datagram: an error for an earlier, abandoned request, then our ACK. */
	((struct nlmsghdr *)msg)->nlmsg_seq = 12345;
	memcpy(two, msg, n1);
	n2 = make_error(0, NULL, true, NULL);
	memcpy(two + n1, msg, n2);
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, two, n1 + n2));
	FL_ASSERT_EQ(fl_nl_request(nl, &req, sizeof(req), NULL, NULL, &diag), 0);
}

static size_t make_done(void)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)msg;

	memset(msg, 0, 32);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_len = sizeof(*nlh) + sizeof(int);
	return nlh->nlmsg_len;
}

FLTEST(apply_on_kernel_without_netem_explains_and_leaves_nothing)
{
	struct fl_nl_fake *f;
	struct fl_nl *nl = fake(&f);
	struct fl_diag diag = { 0 };
	struct fl_netem_fault fault = { .kind = FL_NETEM_FAULT_NETEM,
					.netem = { .delay_ns = 100000000 } };
	struct nlmsghdr nreq = { .nlmsg_len = sizeof(nreq), .nlmsg_type = RTM_NEWQDISC };
	const struct nlmsghdr *req;
	const struct tcmsg *tcm;

	/* GETLINK -> link + ACK; qdisc dump -> empty; NEWQDISC -> the refusal tc also gets. */
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_link_reply(3, "eth0")));
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_error(0, NULL, true, NULL)));
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_done()));
	FL_ASSERT_OK(fl_nl_fake_queue_reply(
		f, msg, make_error(-ENOENT, "Specified qdisc kind is unknown.", true, &nreq)));
	/* Then the undo's GETLINK and dump: the fake answers (empty: nothing to remove). */
	FL_ASSERT_EQ(fl_netem_apply(nl, "eth0", &fault, &diag), -EOPNOTSUPP);
	FL_ASSERT_CONTAINS(diag.msg, "no sch_netem");
	FL_ASSERT_CONTAINS(diag.msg, "modprobe sch_netem");
	FL_ASSERT_CONTAINS(diag.msg, "kernel-modules-extra");

	req = fl_nl_fake_request(f, 2, NULL);
	FL_ASSERT(req != NULL);
	FL_ASSERT_EQ(req->nlmsg_type, RTM_NEWQDISC);
	FL_ASSERT_EQ(req->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL), NLM_F_CREATE | NLM_F_EXCL);
	tcm = (const struct tcmsg *)(req + 1);
	FL_ASSERT_EQ(tcm->tcm_ifindex, 3);
	FL_ASSERT_EQ(tcm->tcm_handle, 0xFA170000u);
	FL_ASSERT_EQ(tcm->tcm_parent, TC_H_ROOT);
	/* Nothing was created, so nothing is deleted: no RTM_DELQDISC anywhere. */
	for (unsigned i = 0; i < fl_nl_fake_n_requests(f); i++)
		FL_ASSERT(((const struct nlmsghdr *)fl_nl_fake_request(f, i, NULL))->nlmsg_type !=
			  RTM_DELQDISC);
}

FLTEST(apply_refuses_a_foreign_root_qdisc)
{
	struct fl_nl_fake *f;
	struct fl_nl *nl = fake(&f);
	struct fl_diag diag = { 0 };
	struct fl_netem_fault fault = { .kind = FL_NETEM_FAULT_NETEM,
					.netem = { .delay_ns = 100000000 } };
	struct {
		struct nlmsghdr h;
		struct tcmsg t;
		struct nlattr a;
		char kind[4];
	} q = { .h = { .nlmsg_len = sizeof(q), .nlmsg_type = RTM_NEWQDISC },
		.t = { .tcm_ifindex = 3, .tcm_handle = 0x00010000, .tcm_parent = TC_H_ROOT },
		.a = { .nla_len = sizeof(struct nlattr) + 4, .nla_type = TCA_KIND },
		.kind = "htb" };

	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_link_reply(3, "eth0")));
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, msg, make_error(0, NULL, true, NULL)));
	FL_ASSERT_OK(fl_nl_fake_queue_reply(f, &q, sizeof(q)));
	FL_ASSERT_EQ(fl_netem_apply(nl, "eth0", &fault, &diag), -EEXIST);
	FL_ASSERT_CONTAINS(diag.msg, "root qdisc htb 1:");
	FL_ASSERT_CONTAINS(diag.msg, "refusing to replace it");
	for (unsigned i = 0; i < fl_nl_fake_n_requests(f); i++) {
		uint16_t t = ((const struct nlmsghdr *)fl_nl_fake_request(f, i, NULL))->nlmsg_type;

		FL_ASSERT(t != RTM_DELQDISC && t != RTM_NEWQDISC);
	}
}
