/* SPDX-License-Identifier: MIT */
/*
 * Decoding netem's TCA_OPTIONS, from tc's requests and from the kernel's dumps (read-back
 * and reconcile). The input is untrusted (a fuzz target drives this file): every length is
 * checked before a read, unknown attributes are ignored (newer kernels add some).
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "internal.h"

struct decode_state {
	const struct nlattr *tb[TCA_NETEM_MAX + 1];
	struct fl_diag *diag;
};

static int collect(const struct nlattr *attr, void *data)
{
	struct decode_state *st = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= TCA_NETEM_MAX)
		st->tb[type] = attr;
	return MNL_CB_OK;
}

/* Copy an attribute's payload into a struct, requiring at least its size. */
static int get_struct(struct decode_state *st, int type, const char *name, void *dst, size_t len)
{
	const struct nlattr *a = st->tb[type];

	if (!a)
		return 0;
	if (mnl_attr_get_payload_len(a) < len)
		return fl_diag_set(st->diag, -EBADMSG, "%s: %u bytes, expected at least %zu", name,
				   (unsigned)mnl_attr_get_payload_len(a), len);
	memcpy(dst, mnl_attr_get_payload(a), len);
	return 1;
}

static int get_s64_ns(struct decode_state *st, int type, const char *name, uint64_t *ret)
{
	int64_t v;
	int r = get_struct(st, type, name, &v, sizeof(v));

	if (r <= 0)
		return r;
	if (v < 0)
		return fl_diag_set(st->diag, -EBADMSG, "%s: negative time %lld", name,
				   (long long)v);
	*ret = (uint64_t)v;
	return 1;
}

/* Recognise one of our generated tables; anything else is a custom table. */
static enum fl_netem_dist identify_table(const struct nlattr *a)
{
	static const enum fl_netem_dist known[] = { FL_NETEM_DIST_NORMAL, FL_NETEM_DIST_PARETO,
						    FL_NETEM_DIST_PARETONORMAL };
	int16_t table[FL_NETEM_DIST_ENTRIES];
	size_t len = mnl_attr_get_payload_len(a);

	if (len != sizeof(table))
		return FL_NETEM_DIST_CUSTOM;
	for (size_t i = 0; i < FL_ARRAY_SIZE(known); i++) {
		if (fl_netem_dist_table(known[i], table, FL_ARRAY_SIZE(table)) < 0)
			continue;
		if (memcmp(table, mnl_attr_get_payload(a), sizeof(table)) == 0)
			return known[i];
	}
	return FL_NETEM_DIST_CUSTOM;
}

static int decode_loss_model(struct decode_state *st, struct fl_netem_spec *s)
{
	const struct nlattr *nest = st->tb[TCA_NETEM_LOSS], *a;

	if (!nest)
		return 0;
	/*
	 * The kernel dumps an empty nest for the random model. With a state or gemodel model the
	 * random loss percentage of the qopt struct is ignored by the kernel: so it is here.
	 */
	mnl_attr_for_each_nested (a, nest) {
		size_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == NETEM_LOSS_GI) {
			struct tc_netem_gimodel gi;

			if (len < sizeof(gi))
				return fl_diag_set(st->diag, -EBADMSG,
						   "loss state: %zu bytes, expected %zu", len,
						   sizeof(gi));
			memcpy(&gi, mnl_attr_get_payload(a), sizeof(gi));
			s->loss = (struct fl_netem_loss){ 0 };
			s->loss.model = FL_NETEM_LOSS_STATE;
			s->loss.p13 = fl_netem_u32_to_percent(gi.p13);
			s->loss.p31 = fl_netem_u32_to_percent(gi.p31);
			s->loss.p32 = fl_netem_u32_to_percent(gi.p32);
			s->loss.p14 = fl_netem_u32_to_percent(gi.p14);
			s->loss.p23 = fl_netem_u32_to_percent(gi.p23);
		} else if (mnl_attr_get_type(a) == NETEM_LOSS_GE) {
			struct tc_netem_gemodel ge;

			if (len < sizeof(ge))
				return fl_diag_set(st->diag, -EBADMSG,
						   "loss gemodel: %zu bytes, expected %zu", len,
						   sizeof(ge));
			memcpy(&ge, mnl_attr_get_payload(a), sizeof(ge));
			s->loss = (struct fl_netem_loss){ 0 };
			s->loss.model = FL_NETEM_LOSS_GEMODEL;
			s->loss.ge_p = fl_netem_u32_to_percent(ge.p);
			s->loss.ge_r = fl_netem_u32_to_percent(ge.r);
			s->loss.ge_1_h = fl_netem_u32_to_percent(UINT32_MAX - ge.h);
			s->loss.ge_1_k = fl_netem_u32_to_percent(ge.k1);
		}
	}
	return 0;
}

static int decode_attrs(struct decode_state *st, const struct tc_netem_qopt *q,
			struct fl_netem_spec *s)
{
	struct tc_netem_corr corr = { 0 };
	struct tc_netem_reorder reorder = { 0 };
	struct tc_netem_corrupt corrupt = { 0 };
	struct tc_netem_rate rate = { 0 };
	struct tc_netem_slot slot = { 0 };
	uint64_t rate64 = 0;
	uint32_t ecn = 0;
	int r, have_rate, have_slot;

	if ((r = get_struct(st, TCA_NETEM_CORR, "correlation", &corr, sizeof(corr))) < 0 ||
	    (r = get_struct(st, TCA_NETEM_REORDER, "reorder", &reorder, sizeof(reorder))) < 0 ||
	    (r = get_struct(st, TCA_NETEM_CORRUPT, "corrupt", &corrupt, sizeof(corrupt))) < 0 ||
	    (r = get_struct(st, TCA_NETEM_ECN, "ecn", &ecn, sizeof(ecn))) < 0 ||
	    (r = get_struct(st, TCA_NETEM_RATE64, "rate64", &rate64, sizeof(rate64))) < 0)
		return r;
	if ((have_rate = get_struct(st, TCA_NETEM_RATE, "rate", &rate, sizeof(rate))) < 0)
		return have_rate;
	if ((have_slot = get_struct(st, TCA_NETEM_SLOT, "slot", &slot, sizeof(slot))) < 0)
		return have_slot;
	if ((r = get_s64_ns(st, TCA_NETEM_LATENCY64, "latency64", &s->delay_ns)) < 0 ||
	    (r = get_s64_ns(st, TCA_NETEM_JITTER64, "jitter64", &s->jitter_ns)) < 0)
		return r;

	s->delay_correlation = fl_netem_u32_to_percent(corr.delay_corr);
	s->duplicate_correlation = fl_netem_u32_to_percent(corr.dup_corr);
	if (q->loss)
		s->loss.correlation = fl_netem_u32_to_percent(corr.loss_corr);
	if ((r = decode_loss_model(st, s)) < 0)
		return r;
	s->reorder = fl_netem_u32_to_percent(reorder.probability);
	s->reorder_correlation = fl_netem_u32_to_percent(reorder.correlation);
	s->corrupt = fl_netem_u32_to_percent(corrupt.probability);
	s->corrupt_correlation = fl_netem_u32_to_percent(corrupt.correlation);
	s->ecn = ecn != 0;
	if (have_rate) {
		s->rate_bytes_per_s = rate64 ? rate64 : rate.rate;
		s->rate_packet_overhead = rate.packet_overhead;
		s->rate_cell_size = rate.cell_size;
		s->rate_cell_overhead = rate.cell_overhead;
	}
	if (have_slot && (slot.min_delay || slot.max_delay || slot.dist_jitter)) {
		if (slot.min_delay < 0 || slot.max_delay < 0 || slot.dist_delay < 0 ||
		    slot.dist_jitter < 0)
			return fl_diag_set(st->diag, -EBADMSG, "slot: negative time");
		s->slot.enabled = true;
		s->slot.min_delay_ns = (uint64_t)slot.min_delay;
		s->slot.max_delay_ns = (uint64_t)slot.max_delay;
		s->slot.max_packets = slot.max_packets;
		s->slot.max_bytes = slot.max_bytes;
		s->slot.dist_delay_ns = (uint64_t)slot.dist_delay;
		s->slot.dist_jitter_ns = (uint64_t)slot.dist_jitter;
	}
	if (st->tb[TCA_NETEM_DELAY_DIST])
		s->distribution = identify_table(st->tb[TCA_NETEM_DELAY_DIST]);
	if (st->tb[TCA_NETEM_SLOT_DIST])
		s->slot.dist = identify_table(st->tb[TCA_NETEM_SLOT_DIST]);
	return 0;
}

int fl_netem_decode_options(const void *payload, size_t len, struct fl_netem_spec *ret_spec,
			    struct fl_diag *diag)
{
	struct decode_state st = { .diag = diag };
	struct fl_netem_spec s = { 0 };
	struct tc_netem_qopt q;
	int r;

	if (len < sizeof(q))
		return fl_diag_set(diag, -EBADMSG,
				   "netem options: %zu bytes, shorter than tc_netem_qopt (%zu)",
				   len, sizeof(q));
	memcpy(&q, payload, sizeof(q));
	s.delay_ns = (uint64_t)q.latency * FL_PSCHED_NS_PER_TICK;
	s.jitter_ns = (uint64_t)q.jitter * FL_PSCHED_NS_PER_TICK;
	s.limit = q.limit;
	s.gap = q.gap;
	s.duplicate = fl_netem_u32_to_percent(q.duplicate);
	if (q.loss) {
		s.loss.model = FL_NETEM_LOSS_RANDOM;
		s.loss.percent = fl_netem_u32_to_percent(q.loss);
	}

	if (len > sizeof(q)) {
		/* The attributes start right after the (4-byte aligned) struct. */
		r = mnl_attr_parse_payload((const char *)payload + sizeof(q), len - sizeof(q),
					   collect, &st);
		if (r < 0)
			return fl_diag_set(diag, -EBADMSG,
					   "netem options: malformed attribute after the qopt "
					   "struct");
		if ((r = decode_attrs(&st, &q, &s)) < 0)
			return r;
	}
	*ret_spec = s;
	return 0;
}
