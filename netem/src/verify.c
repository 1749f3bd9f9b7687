/* SPDX-License-Identifier: MIT */
/*
 * Read-back verification: "injected" means the kernel reports what we asked for, not that
 * a syscall returned 0. Everything is dumped again, decoded and compared field by field.
 *
 * The kernel does not dump distribution tables, so a distribution cannot be verified
 * beyond the delay and jitter it shapes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/tc_act/tc_mirred.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "fl/units.h"
#include "internal.h"

#define ROOT_HANDLE    FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0)
#define CHILD_HANDLE   FL_NETEM_HANDLE(FL_NETEM_CHILD_MAJOR, 0)
#define CLASS_HANDLE   FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 1)
#define INGRESS_HANDLE FL_NETEM_HANDLE(0xFFFF, 0)

static void add_diff(struct fl_netem_diff *diff, const char *field, const char *want,
		     const char *got)
{
	if (diff->n == FL_NETEM_DIFF_MAX)
		return;
	(void)snprintf(diff->entries[diff->n].field, sizeof(diff->entries[0].field), "%s", field);
	(void)snprintf(diff->entries[diff->n].want, sizeof(diff->entries[0].want), "%s", want);
	(void)snprintf(diff->entries[diff->n].got, sizeof(diff->entries[0].got), "%s", got);
	diff->n++;
}

static void cmp_u64(struct fl_netem_diff *diff, const char *field, uint64_t want, uint64_t got)
{
	char w[32], g[32];

	if (want == got)
		return;
	(void)snprintf(w, sizeof(w), "%llu", (unsigned long long)want);
	(void)snprintf(g, sizeof(g), "%llu", (unsigned long long)got);
	add_diff(diff, field, w, g);
}

static void cmp_ns(struct fl_netem_diff *diff, const char *field, uint64_t want, uint64_t got)
{
	char w[32], g[32];

	if (want == got)
		return;
	fl_format_duration(want, w, sizeof(w));
	fl_format_duration(got, g, sizeof(g));
	add_diff(diff, field, w, g);
}

/* Percentages compare as the kernel's 32-bit probabilities: exact, no epsilon games. */
static void cmp_pct(struct fl_netem_diff *diff, const char *field, double want, double got)
{
	char w[32], g[32];

	if (fl_netem_percent_to_u32(want) == fl_netem_percent_to_u32(got))
		return;
	(void)snprintf(w, sizeof(w), "%g%%", want);
	(void)snprintf(g, sizeof(g), "%g%%", got);
	add_diff(diff, field, w, g);
}

static void cmp_netem(struct fl_netem_diff *diff, const struct fl_netem_spec *w,
		      const struct fl_netem_spec *g)
{
	const struct fl_netem_loss *wl = &w->loss, *gl = &g->loss;
	uint32_t want_gap = w->reorder > 0 && w->gap == 0 ? 1 : w->gap;

	cmp_ns(diff, "delay", w->delay_ns, g->delay_ns);
	cmp_ns(diff, "jitter", w->jitter_ns, g->jitter_ns);
	cmp_pct(diff, "delay correlation", w->delay_correlation, g->delay_correlation);
	cmp_u64(diff, "limit", w->limit ? w->limit : FL_NETEM_DEFAULT_LIMIT, g->limit);
	cmp_u64(diff, "gap", want_gap, g->gap);
	cmp_pct(diff, "duplicate", w->duplicate, g->duplicate);
	cmp_pct(diff, "duplicate correlation", w->duplicate_correlation, g->duplicate_correlation);
	cmp_pct(diff, "corrupt", w->corrupt, g->corrupt);
	cmp_pct(diff, "corrupt correlation", w->corrupt_correlation, g->corrupt_correlation);
	cmp_pct(diff, "reorder", w->reorder, g->reorder);
	cmp_pct(diff, "reorder correlation", w->reorder_correlation, g->reorder_correlation);
	cmp_u64(diff, "rate", w->rate_bytes_per_s, g->rate_bytes_per_s);
	if (w->rate_bytes_per_s) {
		cmp_u64(diff, "rate packet overhead", (uint64_t)(int64_t)w->rate_packet_overhead,
			(uint64_t)(int64_t)g->rate_packet_overhead);
		cmp_u64(diff, "rate cell size", w->rate_cell_size, g->rate_cell_size);
		cmp_u64(diff, "rate cell overhead", (uint64_t)(int64_t)w->rate_cell_overhead,
			(uint64_t)(int64_t)g->rate_cell_overhead);
	}
	cmp_u64(diff, "ecn", w->ecn, g->ecn);
	/* A random loss of 0% and no loss model are the same thing to the kernel. */
	if ((wl->model == FL_NETEM_LOSS_RANDOM && wl->percent > 0 ? FL_NETEM_LOSS_RANDOM
	     : wl->model == FL_NETEM_LOSS_RANDOM		  ? FL_NETEM_LOSS_NONE
								  : wl->model) != gl->model) {
		cmp_u64(diff, "loss model", wl->model, gl->model);
		return;
	}
	switch (wl->model) {
	case FL_NETEM_LOSS_RANDOM:
		cmp_pct(diff, "loss", wl->percent, gl->percent);
		cmp_pct(diff, "loss correlation", wl->correlation, gl->correlation);
		break;
	case FL_NETEM_LOSS_STATE:
		cmp_pct(diff, "loss state p13", wl->p13, gl->p13);
		cmp_pct(diff, "loss state p31", wl->p31, gl->p31);
		cmp_pct(diff, "loss state p32", wl->p32, gl->p32);
		cmp_pct(diff, "loss state p23", wl->p23, gl->p23);
		cmp_pct(diff, "loss state p14", wl->p14, gl->p14);
		break;
	case FL_NETEM_LOSS_GEMODEL:
		cmp_pct(diff, "loss gemodel p", wl->ge_p, gl->ge_p);
		cmp_pct(diff, "loss gemodel r", wl->ge_r, gl->ge_r);
		cmp_pct(diff, "loss gemodel 1-h", wl->ge_1_h, gl->ge_1_h);
		cmp_pct(diff, "loss gemodel 1-k", wl->ge_1_k, gl->ge_1_k);
		break;
	case FL_NETEM_LOSS_NONE:
		break;
	}
	cmp_u64(diff, "slot", w->slot.enabled, g->slot.enabled);
	if (w->slot.enabled && g->slot.enabled) {
		cmp_ns(diff, "slot min delay", w->slot.min_delay_ns, g->slot.min_delay_ns);
		cmp_ns(diff, "slot max delay", w->slot.max_delay_ns, g->slot.max_delay_ns);
		cmp_ns(diff, "slot distribution delay", w->slot.dist_delay_ns,
		       g->slot.dist_delay_ns);
		cmp_ns(diff, "slot distribution jitter", w->slot.dist_jitter_ns,
		       g->slot.dist_jitter_ns);
		cmp_u64(diff, "slot packets", (uint64_t)w->slot.max_packets,
			(uint64_t)g->slot.max_packets);
		cmp_u64(diff, "slot bytes", (uint64_t)w->slot.max_bytes,
			(uint64_t)g->slot.max_bytes);
	}
}

static void cmp_tbf(struct fl_netem_diff *diff, const struct fl_tbf_spec *w,
		    const struct fl_tbf_spec *g)
{
	uint32_t want_burst = fl_tbf_burst(w);
	char ws[32], gs[32];

	cmp_u64(diff, "rate", w->rate_bytes_per_s, g->rate_bytes_per_s);
	cmp_u64(diff, "limit", fl_tbf_limit(w), g->limit_bytes);
	/* The kernel keeps the bucket as time: bytes come back within a tick's rounding. */
	if (fabs((double)g->burst_bytes - want_burst) > want_burst * 0.01 + 64) {
		(void)snprintf(ws, sizeof(ws), "%u bytes", want_burst);
		(void)snprintf(gs, sizeof(gs), "%u bytes", g->burst_bytes);
		add_diff(diff, "burst", ws, gs);
	}
}

static void cmp_options(struct fl_netem_diff *diff, const struct fl_netem_fault *fault,
			const struct fl_tc_obj *q, struct fl_diag *diag)
{
	const char *kind = fault->kind == FL_NETEM_FAULT_TBF ? "tbf" : "netem";

	if (strcmp(q->kind, kind) != 0) {
		add_diff(diff, "qdisc kind", kind, q->kind);
		return;
	}
	if (!q->opts) {
		add_diff(diff, "options", "present", "absent");
		return;
	}
	if (fault->kind == FL_NETEM_FAULT_TBF) {
		struct fl_tbf_spec got;

		if (fl_tbf_decode_options(q->opts, q->opts_len, &got, diag) < 0)
			add_diff(diff, "options", "decodable", diag ? diag->msg : "malformed");
		else
			cmp_tbf(diff, &fault->tbf, &got);
	} else {
		struct fl_netem_spec got;

		if (fl_netem_decode_options(q->opts, q->opts_len, &got, diag) < 0)
			add_diff(diff, "options", "decodable", diag ? diag->msg : "malformed");
		else
			cmp_netem(diff, &fault->netem, &got);
	}
}

struct u32_knode {
	bool has_sel;
	uint32_t classid;
	struct tc_u32_key keys[FL_U32_MAX_KEYS];
	unsigned nkeys;
	int redirect_ifindex; /* mirred egress redirect target, -1 if none */
	bool cookie;	      /* our action cookie */
};

static void parse_mirred(const struct nlattr *acts, struct u32_knode *k)
{
	const struct nlattr *act, *a, *o;

	mnl_attr_for_each_nested (act, acts) {
		mnl_attr_for_each_nested (a, act) {
			if (mnl_attr_get_type(a) == TCA_ACT_COOKIE &&
			    mnl_attr_get_payload_len(a) == strlen(FL_NETEM_ACT_COOKIE) &&
			    memcmp(mnl_attr_get_payload(a), FL_NETEM_ACT_COOKIE,
				   strlen(FL_NETEM_ACT_COOKIE)) == 0)
				k->cookie = true;
			if (mnl_attr_get_type(a) != TCA_ACT_OPTIONS)
				continue;
			mnl_attr_for_each_nested (o, a) {
				struct tc_mirred m;

				if (mnl_attr_get_type(o) != TCA_MIRRED_PARMS ||
				    mnl_attr_get_payload_len(o) < sizeof(m))
					continue;
				memcpy(&m, mnl_attr_get_payload(o), sizeof(m));
				if (m.eaction == TCA_EGRESS_REDIR)
					k->redirect_ifindex = (int)m.ifindex;
			}
		}
	}
}

static int u32_attr_cb(const struct nlattr *a, void *data)
{
	struct u32_knode *k = data;

	switch (mnl_attr_get_type(a)) {
	case TCA_U32_CLASSID:
		if (mnl_attr_get_payload_len(a) >= 4)
			k->classid = mnl_attr_get_u32(a);
		break;
	case TCA_U32_SEL: {
		struct tc_u32_sel sel;
		size_t len = mnl_attr_get_payload_len(a);

		if (len < sizeof(sel))
			break;
		memcpy(&sel, mnl_attr_get_payload(a), sizeof(sel));
		if (sel.nkeys > FL_U32_MAX_KEYS ||
		    len < sizeof(sel) + sel.nkeys * sizeof(k->keys[0]))
			break;
		memcpy(k->keys, (const char *)mnl_attr_get_payload(a) + sizeof(sel),
		       sel.nkeys * sizeof(k->keys[0]));
		k->nkeys = sel.nkeys;
		k->has_sel = true;
		break;
	}
	case TCA_U32_ACT:
		parse_mirred(a, k);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static void parse_u32(const struct fl_tc_obj *f, struct u32_knode *k)
{
	memset(k, 0, sizeof(*k));
	k->redirect_ifindex = -1;
	if (strcmp(f->kind, "u32") == 0 && f->opts)
		(void)mnl_attr_parse_payload(f->opts, f->opts_len, u32_attr_cb, k);
}

static bool keys_equal(const struct tc_u32_key *a, unsigned na, const struct tc_u32_key *b,
		       unsigned nb)
{
	if (na != nb)
		return false;
	for (unsigned i = 0; i < na; i++) {
		bool found = false;

		for (unsigned j = 0; j < nb && !found; j++)
			found = a[i].off == b[j].off && a[i].mask == b[j].mask &&
				a[i].val == b[j].val && a[i].offmask == b[j].offmask;
		if (!found)
			return false;
	}
	return true;
}

static int verify_filters(struct fl_nl *nl, int ifindex, const struct fl_netem_fault *fault,
			  struct fl_netem_diff *diff, struct fl_diag *diag)
{
	struct fl_tc_list filters;
	unsigned found = 0, ours = 0;
	int r;

	if ((r = fl_tc_dump(nl, RTM_GETTFILTER, ifindex, ROOT_HANDLE, &filters, diag)) < 0)
		return r;
	for (size_t i = 0; i < filters.n; i++) {
		struct u32_knode k;

		parse_u32(&filters.v[i], &k);
		if (!k.has_sel)
			continue; /* u32 also dumps its hash table nodes */
		ours++;
		for (unsigned m = 0; m < fault->n_matches; m++) {
			struct tc_u32_key want[FL_U32_MAX_KEYS];
			uint32_t prio = fault->matches[m].family == AF_INET6 ? FL_NETEM_FILTER_PRIO6
									     : FL_NETEM_FILTER_PRIO;
			unsigned n;

			if (fl_u32_keys(&fault->matches[m], want, &n) < 0)
				continue;
			if (TC_H_MAJ(filters.v[i].info) >> 16 == prio &&
			    k.classid == CLASS_HANDLE && keys_equal(want, n, k.keys, k.nkeys)) {
				found++;
				break;
			}
		}
	}
	fl_tc_list_free(&filters);
	cmp_u64(diff, "filters matching the targets", fault->n_matches, found);
	cmp_u64(diff, "filters on the Faultline root", fault->n_matches, ours);
	return 0;
}

static int verify_ingress(struct fl_nl *nl, int ifindex, int ifb_index, struct fl_netem_diff *diff,
			  struct fl_diag *diag)
{
	struct fl_tc_list filters;
	bool redirect = false;
	int r;

	if ((r = fl_tc_dump(nl, RTM_GETTFILTER, ifindex, INGRESS_HANDLE, &filters, diag)) < 0)
		return r;
	for (size_t i = 0; i < filters.n; i++) {
		struct u32_knode k;

		parse_u32(&filters.v[i], &k);
		if (k.has_sel && k.cookie && k.redirect_ifindex == ifb_index)
			redirect = true;
	}
	fl_tc_list_free(&filters);
	if (!redirect)
		add_diff(diff, "ingress redirect", "to the IFB device", "missing");
	return 0;
}

int fl_netem_verify(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault,
		    struct fl_netem_diff *ret_diff, struct fl_diag *diag)
{
	struct fl_netem_diff diff = { 0 };
	struct fl_tc_list qdiscs;
	const struct fl_tc_obj *root, *child;
	int ifindex, target, r;
	char ifb[16];

	if ((ifindex = fl_nl_ifindex(nl, ifname, diag)) < 0)
		return ifindex;
	target = ifindex;
	if (fault->direction == FL_NETEM_INGRESS) {
		fl_ifb_name(ifindex, ifb, sizeof(ifb));
		if ((target = fl_nl_ifindex(nl, ifb, NULL)) < 0) {
			add_diff(&diff, "ifb device", ifb, "missing");
			goto out;
		}
		if ((r = verify_ingress(nl, ifindex, target, &diff, diag)) < 0)
			return r;
	}
	if ((r = fl_tc_dump(nl, RTM_GETQDISC, target, 0, &qdiscs, diag)) < 0)
		return r;
	root = fl_tc_find_root(&qdiscs, target);
	if (!root || root->handle != ROOT_HANDLE) {
		add_diff(&diff, "root qdisc", "fa17:", root ? root->kind : "none");
	} else if (fault->n_matches == 0) {
		cmp_options(&diff, fault, root, diag);
	} else if (strcmp(root->kind, "htb") != 0) {
		add_diff(&diff, "root qdisc kind", "htb", root->kind);
	} else if (!(child = fl_tc_find_handle(&qdiscs, target, CHILD_HANDLE)) ||
		   child->parent != CLASS_HANDLE) {
		add_diff(&diff, "child qdisc", "fa18: under fa17:1", "missing");
	} else {
		cmp_options(&diff, fault, child, diag);
	}
	fl_tc_list_free(&qdiscs);
	if (fault->n_matches && (r = verify_filters(nl, target, fault, &diff, diag)) < 0)
		return r;
out:
	*ret_diff = diff;
	return diff.n ? -ENOMSG : 0;
}

/* Inverse of fl_u32_keys() for the keys we create; false for anything else. */
static bool keys_to_match(const struct tc_u32_key *keys, unsigned n, uint16_t ethertype,
			  struct fl_netem_match *ret)
{
	struct fl_netem_match m = { .family = ethertype == ETH_P_IPV6 ? AF_INET6 : AF_INET };
	bool v6 = m.family == AF_INET6;
	int daddr = v6 ? 24 : 16, saddr = v6 ? 8 : 12, ports = v6 ? 40 : 20, proto = v6 ? 4 : 8;
	int naddr = v6 ? 4 : 1;

	for (unsigned i = 0; i < n; i++) {
		uint32_t mask = ntohl(keys[i].mask), val = ntohl(keys[i].val);
		int off = keys[i].off;

		if (keys[i].offmask || (mask == 0 && n > 1))
			return false;
		if (mask == 0)
			continue; /* the match-all key of a /0 */
		if (off == proto) {
			m.ip_proto = (uint8_t)(v6 ? val >> 8 : val >> 16);
		} else if (off == ports) {
			m.source = mask == 0xffff0000u;
			m.port = (uint16_t)(m.source ? val >> 16 : val);
		} else if ((off >= daddr && off < daddr + 4 * naddr) ||
			   (off >= saddr && off < saddr + 4 * naddr)) {
			int base = off >= daddr && off < daddr + 4 * naddr ? daddr : saddr;

			m.source = base == saddr;
			memcpy(m.addr + (off - base), &keys[i].val, 4);
			m.prefix_len = (uint8_t)(m.prefix_len + __builtin_popcount(mask));
		} else {
			return false;
		}
	}
	*ret = m;
	return true;
}

static int read_matches(struct fl_nl *nl, int ifindex, struct fl_netem_fault *f,
			struct fl_diag *diag)
{
	struct fl_tc_list filters;
	int r;

	if ((r = fl_tc_dump(nl, RTM_GETTFILTER, ifindex, ROOT_HANDLE, &filters, diag)) < 0)
		return r;
	for (size_t i = 0; i < filters.n && f->n_matches < FL_NETEM_MAX_MATCHES; i++) {
		struct u32_knode k;

		parse_u32(&filters.v[i], &k);
		if (k.has_sel && keys_to_match(k.keys, k.nkeys, ntohs(TC_H_MIN(filters.v[i].info)),
					       &f->matches[f->n_matches]))
			f->n_matches++;
	}
	fl_tc_list_free(&filters);
	return 0;
}

static int decode_fault_qdisc(const struct fl_tc_obj *q, struct fl_netem_fault *f,
			      struct fl_diag *diag)
{
	if (!q->opts)
		return fl_diag_set(diag, -EBADMSG, "%s qdisc without options", q->kind);
	if (strcmp(q->kind, "tbf") == 0) {
		f->kind = FL_NETEM_FAULT_TBF;
		return fl_tbf_decode_options(q->opts, q->opts_len, &f->tbf, diag);
	}
	if (strcmp(q->kind, "netem") == 0) {
		f->kind = FL_NETEM_FAULT_NETEM;
		return fl_netem_decode_options(q->opts, q->opts_len, &f->netem, diag);
	}
	return fl_diag_set(diag, -EBADMSG, "unexpected qdisc kind %s in a Faultline tree", q->kind);
}

int fl_netem_read(struct fl_nl *nl, const char *ifname, enum fl_netem_direction dir,
		  struct fl_netem_fault *ret_fault, struct fl_diag *diag)
{
	struct fl_netem_fault f = { .direction = dir };
	const struct fl_tc_obj *root, *q;
	struct fl_tc_list qdiscs;
	int ifindex, target, r;
	char ifb[16];

	if ((ifindex = fl_nl_ifindex(nl, ifname, diag)) < 0)
		return ifindex;
	target = ifindex;
	if (dir == FL_NETEM_INGRESS) {
		fl_ifb_name(ifindex, ifb, sizeof(ifb));
		if ((target = fl_nl_ifindex(nl, ifb, NULL)) < 0)
			return 0;
	}
	if ((r = fl_tc_dump(nl, RTM_GETQDISC, target, 0, &qdiscs, diag)) < 0)
		return r;
	root = fl_tc_find_root(&qdiscs, target);
	if (!root || root->handle != ROOT_HANDLE) {
		fl_tc_list_free(&qdiscs);
		return 0;
	}
	q = root;
	if (strcmp(root->kind, "htb") == 0)
		q = fl_tc_find_handle(&qdiscs, target, CHILD_HANDLE);
	r = q ? decode_fault_qdisc(q, &f, diag)
	      : fl_diag_set(diag, -EBADMSG, "Faultline htb root without its fault qdisc");
	if (r >= 0 && q != root)
		r = read_matches(nl, target, &f, diag);
	fl_tc_list_free(&qdiscs);
	if (r < 0)
		return r;
	*ret_fault = f;
	return 1;
}
