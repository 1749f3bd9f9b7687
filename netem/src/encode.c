/* SPDX-License-Identifier: MIT */
/*
 * netem's TCA_OPTIONS: unlike other qdiscs it is not a pure nest but a struct
 * tc_netem_qopt followed by TCA_NETEM_* attributes, with the outer length covering both.
 * The attribute order is iproute2's, so golden bytes recorded from tc compare equal.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

static int put_table(struct nlmsghdr *nlh, size_t size, uint16_t type, enum fl_netem_dist dist)
{
	int16_t table[FL_NETEM_DIST_ENTRIES];
	int n = fl_netem_dist_table(dist, table, FL_ARRAY_SIZE(table));

	if (n < 0)
		return n;
	return fl_attr_put(nlh, size, type, (size_t)n * sizeof(table[0]), table);
}

static int put_loss_model(struct nlmsghdr *nlh, size_t size, const struct fl_netem_loss *l)
{
	struct nlattr *nest;
	int r;

	if (l->model != FL_NETEM_LOSS_STATE && l->model != FL_NETEM_LOSS_GEMODEL)
		return 0;
	nest = fl_attr_nest_start(nlh, size, TCA_NETEM_LOSS | NLA_F_NESTED);
	if (!nest)
		return -ENOSPC;
	if (l->model == FL_NETEM_LOSS_STATE) {
		struct tc_netem_gimodel gi = {
			.p13 = fl_netem_percent_to_u32(l->p13),
			.p31 = fl_netem_percent_to_u32(l->p31),
			.p32 = fl_netem_percent_to_u32(l->p32),
			.p14 = fl_netem_percent_to_u32(l->p14),
			.p23 = fl_netem_percent_to_u32(l->p23),
		};
		r = fl_attr_put(nlh, size, NETEM_LOSS_GI, sizeof(gi), &gi);
	} else {
		/* Users give "1-h" (loss in the bad state); the kernel wants h. */
		struct tc_netem_gemodel ge = {
			.p = fl_netem_percent_to_u32(l->ge_p),
			.r = fl_netem_percent_to_u32(l->ge_r),
			.h = UINT32_MAX - fl_netem_percent_to_u32(l->ge_1_h),
			.k1 = fl_netem_percent_to_u32(l->ge_1_k),
		};
		r = fl_attr_put(nlh, size, NETEM_LOSS_GE, sizeof(ge), &ge);
	}
	if (r < 0)
		return r;
	fl_attr_nest_end(nlh, nest);
	return 0;
}

static int put_rate(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	struct tc_netem_rate rate = {
		.packet_overhead = s->rate_packet_overhead,
		.cell_size = s->rate_cell_size,
		.cell_overhead = s->rate_cell_overhead,
	};
	int r;

	if (s->rate_bytes_per_s == 0)
		return 0;
	if (s->rate_bytes_per_s >= (1ull << 32)) {
		uint64_t rate64 = s->rate_bytes_per_s;

		if ((r = fl_attr_put(nlh, size, TCA_NETEM_RATE64, sizeof(rate64), &rate64)) < 0)
			return r;
		rate.rate = UINT32_MAX;
	} else {
		rate.rate = (uint32_t)s->rate_bytes_per_s;
	}
	return fl_attr_put(nlh, size, TCA_NETEM_RATE, sizeof(rate), &rate);
}

static int put_slot(struct nlmsghdr *nlh, size_t size, const struct fl_netem_slot *slot)
{
	struct tc_netem_slot ks = {
		.min_delay = (int64_t)slot->min_delay_ns,
		.max_delay = (int64_t)slot->max_delay_ns,
		.max_packets = slot->max_packets,
		.max_bytes = slot->max_bytes,
		.dist_delay = (int64_t)slot->dist_delay_ns,
		.dist_jitter = (int64_t)slot->dist_jitter_ns,
	};

	if (!slot->enabled)
		return 0;
	return fl_attr_put(nlh, size, TCA_NETEM_SLOT, sizeof(ks), &ks);
}

/* The struct tc_netem_qopt at the head of TCA_OPTIONS; whether delay and jitter fit ticks. */
static int put_qopt(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s,
		    bool *ret_latency_inexact, bool *ret_jitter_inexact)
{
	struct tc_netem_qopt qopt = {
		.latency = fl_ns_to_ticks(s->delay_ns, ret_latency_inexact),
		.limit = s->limit ? s->limit : FL_NETEM_DEFAULT_LIMIT,
		.loss = s->loss.model == FL_NETEM_LOSS_RANDOM
				? fl_netem_percent_to_u32(s->loss.percent)
				: 0,
		/* Without a gap the kernel never reorders; tc defaults it to 1. */
		.gap = s->reorder > 0 && s->gap == 0 ? 1 : s->gap,
		.duplicate = fl_netem_percent_to_u32(s->duplicate),
		.jitter = fl_ns_to_ticks(s->jitter_ns, ret_jitter_inexact),
	};

	return fl_attr_put(nlh, size, TCA_OPTIONS, sizeof(qopt), &qopt);
}

static int put_corr(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	struct tc_netem_corr corr = {
		.delay_corr = fl_netem_percent_to_u32(s->delay_correlation),
		.loss_corr = s->loss.model == FL_NETEM_LOSS_RANDOM
				     ? fl_netem_percent_to_u32(s->loss.correlation)
				     : 0,
		.dup_corr = fl_netem_percent_to_u32(s->duplicate_correlation),
	};

	/*
	 * tc emits TCA_NETEM_CORR whenever a delay, loss, reorder or corrupt correlation was
	 * given; the kernel reads only the three fields of struct tc_netem_corr from it.
	 */
	if (corr.delay_corr || corr.loss_corr || corr.dup_corr || s->reorder_correlation > 0 ||
	    s->corrupt_correlation > 0)
		return fl_attr_put(nlh, size, TCA_NETEM_CORR, sizeof(corr), &corr);
	return 0;
}

static int put_reorder(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	struct tc_netem_reorder reorder = {
		.probability = fl_netem_percent_to_u32(s->reorder),
		.correlation = fl_netem_percent_to_u32(s->reorder_correlation),
	};

	if (!(s->reorder > 0)) /* not "<= 0": a NaN puts nothing either */
		return 0;
	return fl_attr_put(nlh, size, TCA_NETEM_REORDER, sizeof(reorder), &reorder);
}

static int put_ecn(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	uint32_t one = 1;

	if (!s->ecn)
		return 0;
	return fl_attr_put(nlh, size, TCA_NETEM_ECN, sizeof(one), &one);
}

static int put_corrupt(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	struct tc_netem_corrupt corrupt = {
		.probability = fl_netem_percent_to_u32(s->corrupt),
		.correlation = fl_netem_percent_to_u32(s->corrupt_correlation),
	};

	if (!(s->corrupt > 0))
		return 0;
	return fl_attr_put(nlh, size, TCA_NETEM_CORRUPT, sizeof(corrupt), &corrupt);
}

/* The delay's and the slot's distribution tables, when they have one. */
static int put_dist_tables(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	int r;

	if (s->distribution != FL_NETEM_DIST_NONE &&
	    (r = put_table(nlh, size, TCA_NETEM_DELAY_DIST, s->distribution)) < 0)
		return r;
	if (s->slot.enabled && s->slot.dist != FL_NETEM_DIST_NONE &&
	    (r = put_table(nlh, size, TCA_NETEM_SLOT_DIST, s->slot.dist)) < 0)
		return r;
	return 0;
}

/*
 * Our addition to tc's encoding: the exact value when 32-bit ticks cannot carry it
 * (not a multiple of 64 ns, or longer than ~274 s). The kernel prefers these.
 */
static int put_exact_times(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s,
			   bool latency_inexact, bool jitter_inexact)
{
	int r;

	if (latency_inexact) {
		int64_t v = (int64_t)s->delay_ns;

		if ((r = fl_attr_put(nlh, size, TCA_NETEM_LATENCY64, sizeof(v), &v)) < 0)
			return r;
	}
	if (jitter_inexact) {
		int64_t v = (int64_t)s->jitter_ns;

		if ((r = fl_attr_put(nlh, size, TCA_NETEM_JITTER64, sizeof(v), &v)) < 0)
			return r;
	}
	return 0;
}

int fl_netem_put_options(struct nlmsghdr *nlh, size_t size, const struct fl_netem_spec *s)
{
	struct nlattr *opts = mnl_nlmsg_get_payload_tail(nlh);
	bool latency_inexact, jitter_inexact;
	int r;

	/* In iproute2's order, so golden bytes recorded from tc compare equal. */
	if ((r = put_qopt(nlh, size, s, &latency_inexact, &jitter_inexact)) < 0 ||
	    (r = put_corr(nlh, size, s)) < 0 || (r = put_reorder(nlh, size, s)) < 0 ||
	    (r = put_ecn(nlh, size, s)) < 0 || (r = put_corrupt(nlh, size, s)) < 0 ||
	    (r = put_slot(nlh, size, &s->slot)) < 0 ||
	    (r = put_loss_model(nlh, size, &s->loss)) < 0 || (r = put_rate(nlh, size, s)) < 0 ||
	    (r = put_dist_tables(nlh, size, s)) < 0 ||
	    (r = put_exact_times(nlh, size, s, latency_inexact, jitter_inexact)) < 0)
		return r;
	if (nlh->nlmsg_len - ((char *)opts - (char *)nlh) > UINT16_MAX)
		return -ENOSPC;
	opts->nla_len = (uint16_t)((char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)opts);
	return 0;
}

ssize_t fl_netem_encode_options(const struct fl_netem_spec *spec, void *buf, size_t size)
{
	struct nlmsghdr *nlh;
	size_t len;
	int r;

	if (fl_netem_validate(spec, NULL) < 0)
		return -EINVAL;
	if (size < MNL_NLMSG_HDRLEN)
		return -ENOSPC;
	/* Build behind a scratch header in the caller's buffer, then slide it to the front. */
	memset(buf, 0, MNL_NLMSG_HDRLEN);
	nlh = mnl_nlmsg_put_header(buf);
	if ((r = fl_netem_put_options(nlh, size, spec)) < 0)
		return r;
	len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	memmove(buf, (char *)buf + MNL_NLMSG_HDRLEN, len);
	return (ssize_t)len;
}

ssize_t fl_netem_msg_qdisc(void *buf, size_t size, uint32_t seq, enum fl_nl_op op, int ifindex,
			   uint32_t parent, uint32_t handle, const struct fl_netem_fault *fault)
{
	bool del = op == FL_NL_DELETE;
	const char *kind = fault->kind == FL_NETEM_FAULT_TBF ? "tbf" : "netem";
	struct nlmsghdr *nlh;
	int r;

	nlh = fl_msg_start(buf, size, del ? RTM_DELQDISC : RTM_NEWQDISC, fl_op_flags(op), seq);
	if (!nlh)
		return -ENOSPC;
	fl_msg_put_tcmsg(nlh, ifindex, parent, handle, 0);
	if (del)
		return nlh->nlmsg_len;
	if ((r = fl_attr_put_str(nlh, size, TCA_KIND, kind)) < 0)
		return r;
	if (fault->kind == FL_NETEM_FAULT_TBF)
		r = fl_tbf_put_options(nlh, size, &fault->tbf);
	else
		r = fl_netem_put_options(nlh, size, &fault->netem);
	if (r < 0)
		return r;
	return nlh->nlmsg_len;
}
