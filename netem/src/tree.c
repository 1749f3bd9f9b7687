/* SPDX-License-Identifier: MIT */
/*
 * Applying and removing a fault on an interface: the untargeted form (the fault is the
 * root qdisc FA17:), the targeted tree (see treemsg.c), and ingress through an IFB device.
 * Every failure path removes what this call added: a half-applied fault is worse than none.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

#define ROOT_HANDLE    FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0)
#define CHILD_HANDLE   FL_NETEM_HANDLE(FL_NETEM_CHILD_MAJOR, 0)
#define CLASS_HANDLE   FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 1)
#define INGRESS_HANDLE FL_NETEM_HANDLE(0xFFFF, 0)

static const char *fault_kind(const struct fl_netem_fault *fault)
{
	return fault->kind == FL_NETEM_FAULT_TBF ? "tbf" : "netem";
}

/* A kernel refusing a qdisc kind it does not know: say which module, and what to do. */
static int explain_missing_kind(int r, const char *kind, struct fl_diag *diag)
{
	if (r != -ENOENT && r != -EOPNOTSUPP)
		return r;
	if (!diag || !strstr(diag->msg, "kind is unknown"))
		return r;
	if (strcmp(kind, "netem") == 0)
		return fl_diag_set(
			diag, -EOPNOTSUPP,
			"this kernel has no sch_netem (the netem qdisc is unknown): load "
			"it with `modprobe sch_netem` (on RHEL/Rocky install "
			"kernel-modules-extra), or use a mechanism that does not need "
			"it: the agent's NFQUEUE delay line or nftables loss");
	return fl_diag_set(diag, -EOPNOTSUPP,
			   "this kernel has no sch_%s (the %s qdisc is unknown): load it with "
			   "`modprobe sch_%s`",
			   kind, kind, kind);
}

static int send_msg(struct fl_nl *nl, char *buf, int len, struct fl_diag *diag)
{
	if (len < 0)
		return fl_diag_set(diag, len, "building the request: %s", strerror(-len));
	return fl_nl_request(nl, buf, (size_t)len, NULL, NULL, diag);
}

/*
 * The root qdisc of ifindex: ours (1), the kernel's default (0), or someone else's
 * (-EEXIST, with the reason). ret_kind gets the kind of our root.
 */
static int inspect_root(struct fl_nl *nl, int ifindex, const char *ifname, char *ret_kind,
			struct fl_diag *diag)
{
	struct fl_tc_list qdiscs;
	const struct fl_tc_obj *root;
	int r;

	if ((r = fl_tc_dump(nl, RTM_GETQDISC, ifindex, 0, &qdiscs, diag)) < 0)
		return r;
	root = fl_tc_find_root(&qdiscs, ifindex);
	if (!root || root->handle == 0) {
		r = 0;
	} else if (TC_H_MAJ(root->handle) == ROOT_HANDLE) {
		(void)snprintf(ret_kind, 16, "%s", root->kind);
		r = 1;
	} else {
		r = fl_diag_set(diag, -EEXIST,
				"%s already has a root qdisc %s %x: that Faultline did not create; "
				"refusing to replace it (remove it first if it is disposable)",
				ifname, root->kind, TC_H_MAJ(root->handle) >> 16);
	}
	fl_tc_list_free(&qdiscs);
	return r;
}

static int build_targeted(struct fl_nl *nl, int ifindex, const struct fl_netem_fault *fault,
			  char *buf, struct fl_diag *diag)
{
	int r;

	if ((r = send_msg(nl, buf, fl_msg_htb_root(buf, FL_NETEM_MSG_MAX, 0, ifindex), diag)) < 0)
		return explain_missing_kind(r, "htb", diag);
	if ((r = send_msg(nl, buf, fl_msg_htb_class(buf, FL_NETEM_MSG_MAX, 0, ifindex), diag)) < 0)
		return r;
	r = (int)fl_netem_msg_qdisc(buf, FL_NETEM_MSG_MAX, 0, FL_NL_ADD, ifindex, CLASS_HANDLE,
				    CHILD_HANDLE, fault);
	if ((r = send_msg(nl, buf, r, diag)) < 0)
		return explain_missing_kind(r, fault_kind(fault), diag);
	for (unsigned i = 0; i < fault->n_matches; i++) {
		r = fl_msg_u32_match(buf, FL_NETEM_MSG_MAX, 0, ifindex, &fault->matches[i]);
		if ((r = send_msg(nl, buf, r, diag)) < 0)
			return fl_diag_prefix(diag, r, "filter for target %u", i);
	}
	return 0;
}

/* Put the fault's tree on ifindex (the device itself, or its IFB for ingress). */
static int build_tree(struct fl_nl *nl, int ifindex, const char *ifname,
		      const struct fl_netem_fault *fault, struct fl_diag *diag)
{
	static __thread char buf[FL_NETEM_MSG_MAX];
	char kind[16] = "";
	int ours, r;

	if ((ours = inspect_root(nl, ifindex, ifname, kind, diag)) < 0)
		return ours;
	/*
	 * Same shape as before: change the parameters in place, atomically. Not for tbf: a
	 * packet queued under a larger burst than the new one can never earn enough tokens
	 * and blocks the queue for good (seen on 6.x kernels), so tbf is rebuilt instead.
	 */
	if (ours && fault->n_matches == 0 && fault->kind == FL_NETEM_FAULT_NETEM &&
	    strcmp(kind, fault_kind(fault)) == 0) {
		r = (int)fl_netem_msg_qdisc(buf, sizeof(buf), 0, FL_NL_REPLACE, ifindex, TC_H_ROOT,
					    ROOT_HANDLE, fault);
		return send_msg(nl, buf, r, diag);
	}
	if (ours && (r = fl_tc_del_qdisc(nl, ifindex, TC_H_ROOT, ROOT_HANDLE, diag)) < 0)
		return fl_diag_prefix(diag, r, "removing the previous fault on %s", ifname);
	if (fault->n_matches == 0) {
		r = (int)fl_netem_msg_qdisc(buf, sizeof(buf), 0, FL_NL_ADD, ifindex, TC_H_ROOT,
					    ROOT_HANDLE, fault);
		if ((r = send_msg(nl, buf, r, diag)) < 0)
			return explain_missing_kind(r, fault_kind(fault), diag);
		return 0;
	}
	return build_targeted(nl, ifindex, fault, buf, diag);
}

/* Create (or reuse) flifb<ifindex>, the ingress qdisc and the redirect filter. */
static int setup_ingress(struct fl_nl *nl, int ifindex, struct fl_diag *diag)
{
	char buf[1024], ifb[16];
	int ifb_index, r;

	fl_ifb_name(ifindex, ifb, sizeof(ifb));
	ifb_index = fl_nl_ifindex(nl, ifb, NULL);
	if (ifb_index < 0) {
		if ((r = fl_link_add_ifb(nl, ifb, diag)) < 0)
			return r;
		if ((ifb_index = fl_nl_ifindex(nl, ifb, diag)) < 0)
			return ifb_index;
	}
	if ((r = fl_link_set_up(nl, ifb_index, diag)) < 0)
		return r;
	r = send_msg(nl, buf, fl_msg_ingress_qdisc(buf, sizeof(buf), 0, FL_NL_ADD, ifindex), diag);
	if (r < 0 && r != -EEXIST)
		return explain_missing_kind(r, "ingress", diag);
	/* Replace our redirect if an earlier run left one (it may point at an old IFB). */
	(void)fl_tc_del_filter_prio(nl, ifindex, INGRESS_HANDLE, FL_NETEM_FILTER_PRIO,
				    htons(ETH_P_ALL), NULL);
	r = fl_msg_ingress_redirect(buf, sizeof(buf), 0, ifindex, ifb_index);
	if ((r = send_msg(nl, buf, r, diag)) < 0)
		return fl_diag_prefix(diag, r, "redirecting ingress traffic to %s", ifb);
	return ifb_index;
}

static int remove_egress(struct fl_nl *nl, int ifindex, struct fl_diag *diag)
{
	char kind[16];
	int r = inspect_root(nl, ifindex, "interface", kind, NULL);

	if (r <= 0)
		return 0; /* nothing of ours (a foreign root is not ours to touch) */
	r = fl_tc_del_qdisc(nl, ifindex, TC_H_ROOT, ROOT_HANDLE, diag);
	return r == -ENOENT || r == -EINVAL ? 0 : r;
}

static int remove_ingress(struct fl_nl *nl, int ifindex, struct fl_diag *diag)
{
	struct fl_tc_list filters = { 0 };
	char ifb[16];
	int ifb_index, r;

	r = fl_tc_del_filter_prio(nl, ifindex, INGRESS_HANDLE, FL_NETEM_FILTER_PRIO,
				  htons(ETH_P_ALL), NULL);
	(void)r; /* absent is fine */
	/* The ingress qdisc goes too unless somebody else's filters still use it. */
	if (fl_tc_dump(nl, RTM_GETTFILTER, ifindex, INGRESS_HANDLE, &filters, NULL) == 0) {
		if (filters.n == 0)
			(void)fl_tc_del_qdisc(nl, ifindex, TC_H_INGRESS, INGRESS_HANDLE, NULL);
		fl_tc_list_free(&filters);
	}
	fl_ifb_name(ifindex, ifb, sizeof(ifb));
	ifb_index = fl_nl_ifindex(nl, ifb, NULL);
	if (ifb_index > 0 && (r = fl_link_del(nl, ifb_index, diag)) < 0 && r != -ENODEV)
		return fl_diag_prefix(diag, r, "removing %s", ifb);
	return 0;
}

int fl_netem_remove(struct fl_nl *nl, const char *ifname, enum fl_netem_direction dir,
		    struct fl_diag *diag)
{
	int ifindex = fl_nl_ifindex(nl, ifname, diag);

	if (ifindex < 0)
		return ifindex;
	if (dir == FL_NETEM_INGRESS)
		return remove_ingress(nl, ifindex, diag);
	return remove_egress(nl, ifindex, diag);
}

static void format_diff(const struct fl_netem_diff *diff, struct fl_diag *diag)
{
	char text[FL_DIAG_MSG_MAX] = "";
	size_t n = 0;

	for (unsigned i = 0; i < diff->n && n < sizeof(text); i++) {
		int w = snprintf(text + n, sizeof(text) - n, "%s%s: want %s, kernel has %s",
				 i ? "; " : "", diff->entries[i].field, diff->entries[i].want,
				 diff->entries[i].got);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	(void)fl_diag_set(diag, -EIO, "read-back does not match the request: %s", text);
}

int fl_netem_apply(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault,
		   struct fl_diag *diag)
{
	struct fl_netem_diff diff;
	int ifindex, target, r;

	if ((r = fl_netem_fault_validate(fault, diag)) < 0)
		return r;
	if ((ifindex = fl_nl_ifindex(nl, ifname, diag)) < 0)
		return ifindex;
	target = ifindex;
	if (fault->direction == FL_NETEM_INGRESS &&
	    (target = setup_ingress(nl, ifindex, diag)) < 0) {
		r = target;
		goto undo;
	}
	if ((r = build_tree(nl, target, ifname, fault, diag)) < 0)
		goto undo;
	r = fl_netem_verify(nl, ifname, fault, &diff, diag);
	if (r == -ENOMSG)
		format_diff(&diff, diag);
	if (r < 0) {
		r = r == -ENOMSG ? -EIO : r;
		goto undo;
	}
	return 0;
undo:
	/* Keep the original error message; the cleanup is best effort on top of it. */
	if (fault->direction == FL_NETEM_INGRESS)
		(void)remove_ingress(nl, ifindex, NULL);
	else
		(void)remove_egress(nl, ifindex, NULL);
	return r;
}
