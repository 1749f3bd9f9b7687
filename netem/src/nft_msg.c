/* SPDX-License-Identifier: MIT */
/*
 * nftables faults as data: validation, the plan (the rules a fault becomes, as libnftnl
 * objects), and the batch bytes that create or delete it. No socket here.
 *
 * A fault becomes table inet faultline_<id> with base chain "out" (hook output) and/or "in"
 * (hook input), type filter, priority FL_NFT_PRIORITY, policy accept, holding:
 *
 *   oifname "lo" accept                                 (iifname on input)
 *   meta nfproto ipv4 ip daddr 10.9.0.0/24 meta l4proto tcp th dport 80 \
 *       numgen random mod 10000 < 2000 drop               (saddr / sport on input)
 *
 * one rule per peer (none: one rule for all traffic), ending in drop; or reject (a tcp reset
 * for TCP, icmpx port-unreachable for everything else: two rules for a peer of any protocol,
 * split on meta l4proto so each packet draws its random number once); or the xtables NFQUEUE
 * target through nft_compat (kernels without CONFIG_NFT_QUEUE have no native "queue").
 * Expressions follow what nft 1.0.6 emits for the same rule (prefixes on a byte boundary
 * load only the prefix bytes; others load the address and mask it; the random number is
 * converted to big endian before "<", because cmp compares bytes).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/xt_NFQUEUE.h>

#include "nft_internal.h"

/* ---- validation ----------------------------------------------------------------------- */

static bool id_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (!first && c == '-');
}

int fl_nft_table_name(const char *id, char *buf, size_t size, struct fl_diag *diag)
{
	size_t len = id ? strnlen(id, FL_NFT_ID_MAX + 1) : 0;
	int n;

	if (len == 0 || len > FL_NFT_ID_MAX)
		return fl_diag_set(diag, -EINVAL,
				   "id: \"%.40s\" must be 1..%d characters [a-z0-9-]%s",
				   id ? id : "", FL_NFT_ID_MAX, len ? "" : " (it is empty)");
	for (size_t i = 0; i < len; i++)
		if (!id_char(id[i], i == 0))
			return fl_diag_set(diag, -EINVAL,
					   "id: \"%s\": character %zu ('%c') is not allowed "
					   "(expected [a-z0-9][a-z0-9-]{0,%d})",
					   id, i + 1, id[i] >= 0x20 && id[i] < 0x7f ? id[i] : '?',
					   FL_NFT_ID_MAX - 1);
	n = snprintf(buf, size, "%s%s", FL_NFT_TABLE_PREFIX, id);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return 0;
}

static const char *action_name(enum fl_nft_action a)
{
	switch (a) {
	case FL_NFT_DROP:
		return "DROP";
	case FL_NFT_REJECT:
		return "REJECT";
	case FL_NFT_QUEUE:
		return "QUEUE";
	}
	return "?";
}

static int validate_peer(const struct fl_netem_match *m, unsigned i, struct fl_diag *diag)
{
	unsigned max_prefix;

	if (m->family != AF_INET && m->family != AF_INET6)
		return fl_diag_set(diag, -EINVAL,
				   "peers[%u].family: %d is not AF_INET (%d) or AF_INET6 (%d)", i,
				   m->family, AF_INET, AF_INET6);
	max_prefix = m->family == AF_INET ? 32 : 128;
	if (m->prefix_len > max_prefix)
		return fl_diag_set(diag, -EINVAL, "peers[%u].prefix_len: %u is above %u for %s", i,
				   m->prefix_len, max_prefix,
				   m->family == AF_INET ? "IPv4" : "IPv6");
	if (m->ip_proto && m->ip_proto != IPPROTO_TCP && m->ip_proto != IPPROTO_UDP)
		return fl_diag_set(diag, -EINVAL,
				   "peers[%u].ip_proto: %u is not TCP (6) or UDP (17) (0: any)", i,
				   m->ip_proto);
	if (m->port && !m->ip_proto)
		return fl_diag_set(diag, -EINVAL,
				   "peers[%u].port: %u needs ip_proto TCP or UDP (a port means "
				   "nothing without a transport protocol)",
				   i, m->port);
	return 0;
}

int fl_nft_validate(const struct fl_nft_fault *fault, struct fl_diag *diag)
{
	int r;

	if (!fault)
		return fl_diag_set(diag, -EINVAL, "fault: missing");
	if (fault->action != FL_NFT_DROP && fault->action != FL_NFT_REJECT &&
	    fault->action != FL_NFT_QUEUE)
		return fl_diag_set(diag, -EINVAL, "action: %d is not DROP, REJECT or QUEUE",
				   (int)fault->action);
	if (fault->direction != FL_NFT_OUT && fault->direction != FL_NFT_IN &&
	    fault->direction != FL_NFT_BOTH)
		return fl_diag_set(diag, -EINVAL,
				   "direction: %d is not OUT (1), IN (2) or BOTH (3)",
				   (int)fault->direction);
	if (isnan(fault->percent))
		return fl_diag_set(diag, -EINVAL, "percent: not a number (expected 0.01..100)");
	if (fault->percent > 100)
		return fl_diag_set(diag, -EINVAL, "percent: %g is above 100", fault->percent);
	if (fault->percent <= 0)
		return fl_diag_set(diag, -EINVAL,
				   "percent: %g affects no packet (expected above 0, at most 100)",
				   fault->percent);
	if (lround(fault->percent * (FL_NFT_MODULUS / 100)) < 1)
		return fl_diag_set(diag, -EINVAL,
				   "percent: %g is below the 0.01%% resolution of the random draw",
				   fault->percent);
	if (fault->action == FL_NFT_QUEUE && fault->queue_num == 0)
		return fl_diag_set(diag, -EINVAL,
				   "queue_num: action QUEUE needs a queue number (1..65535: the "
				   "NFQUEUE the delay line listens on)");
	if (fault->action != FL_NFT_QUEUE && fault->queue_num)
		return fl_diag_set(
			diag, -EINVAL,
			"queue_num: %u given for action %s; only QUEUE sends packets to a "
			"queue",
			fault->queue_num, action_name(fault->action));
	if (fault->action != FL_NFT_QUEUE && fault->queue_bypass)
		return fl_diag_set(
			diag, -EINVAL,
			"queue_bypass: set for action %s; only QUEUE has a queue to bypass",
			action_name(fault->action));
	if (fault->n_peers > FL_NETEM_MAX_MATCHES)
		return fl_diag_set(diag, -EINVAL, "peers: %u given, at most %u", fault->n_peers,
				   FL_NETEM_MAX_MATCHES);
	for (unsigned i = 0; i < fault->n_peers; i++)
		if ((r = validate_peer(&fault->peers[i], i, diag)) < 0)
			return r;
	return 0;
}

/* ---- expressions ---------------------------------------------------------------------- */

/* Builds one rule; the first allocation failure sticks (checked once at the end). */
struct rb {
	struct nftnl_rule *rule;
	bool oom;
};

static struct nftnl_expr *expr_new(struct rb *rb, const char *name)
{
	struct nftnl_expr *e = rb->oom ? NULL : nftnl_expr_alloc(name);

	if (!e)
		rb->oom = true;
	return e;
}

static void expr_add(struct rb *rb, struct nftnl_expr *e)
{
	if (e)
		nftnl_rule_add_expr(rb->rule, e);
}

static void expr_data(struct rb *rb, struct nftnl_expr *e, uint16_t type, const void *data,
		      uint32_t len)
{
	if (e && nftnl_expr_set(e, type, data, len) < 0)
		rb->oom = true;
}

static void meta_load(struct rb *rb, uint32_t key)
{
	struct nftnl_expr *e = expr_new(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	expr_add(rb, e);
}

static void cmp(struct rb *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	expr_data(rb, e, NFTNL_EXPR_CMP_DATA, data, len);
	expr_add(rb, e);
}

static void cmp_u8(struct rb *rb, uint32_t op, uint8_t v)
{
	cmp(rb, op, &v, sizeof(v));
}

static void payload_load(struct rb *rb, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = expr_new(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	expr_add(rb, e);
}

static void bitwise_mask(struct rb *rb, const uint8_t *mask, uint32_t len)
{
	static const uint8_t zero[16];
	struct nftnl_expr *e = expr_new(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	expr_data(rb, e, NFTNL_EXPR_BITWISE_MASK, mask, len);
	expr_data(rb, e, NFTNL_EXPR_BITWISE_XOR, zero, len);
	expr_add(rb, e);
}

/* numgen random mod 10000 < n, as nft writes it: the number is host endian, cmp compares
 * bytes, so it is turned big endian first. */
static void random_below(struct rb *rb, uint32_t n)
{
	struct nftnl_expr *e = expr_new(rb, "numgen");
	uint32_t be = htonl(n);

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_MODULUS, FL_NFT_MODULUS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NG_OFFSET, 0); /* sent by nft too */
		expr_add(rb, e);
	}
	e = expr_new(rb, "byteorder");
	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, sizeof(uint32_t));
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, sizeof(uint32_t));
		expr_add(rb, e);
	}
	cmp(rb, NFT_CMP_LT, &be, sizeof(be));
}

static void verdict(struct rb *rb, int code)
{
	struct nftnl_expr *e = expr_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)code);
	expr_add(rb, e);
}

static void reject(struct rb *rb, uint32_t type, uint8_t code)
{
	struct nftnl_expr *e = expr_new(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, type);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, code);
	expr_add(rb, e);
}

/* Size of the target's info as xtables passes it: XT_ALIGN(sizeof(struct xt_NFQ_info_v3)). */
#define NFQ_INFO_LEN ((sizeof(struct xt_NFQ_info_v3) + 7u) & ~7u)

/* -j NFQUEUE --queue-num N [--queue-bypass], as iptables-nft writes it (revision 3). */
static void nfqueue(struct rb *rb, uint16_t num, bool bypass)
{
	struct nftnl_expr *e = expr_new(rb, "target");
	struct xt_NFQ_info_v3 *info;

	if (!e)
		return;
	/* libnftnl takes this buffer over (freed with the expression), as iptables relies on. */
	info = calloc(1, NFQ_INFO_LEN);
	if (!info) {
		nftnl_expr_free(e);
		rb->oom = true;
		return;
	}
	info->queuenum = num;
	info->queues_total = 1;
	info->flags = bypass ? NFQ_FLAG_BYPASS : 0;
	if (nftnl_expr_set_str(e, NFTNL_EXPR_TG_NAME, "NFQUEUE") < 0)
		rb->oom = true;
	nftnl_expr_set_u32(e, NFTNL_EXPR_TG_REV, FL_NFT_NFQUEUE_REV);
	if (nftnl_expr_set(e, NFTNL_EXPR_TG_INFO, info, NFQ_INFO_LEN) < 0) {
		free(info);
		rb->oom = true;
	}
	expr_add(rb, e);
}

/* ---- rules ---------------------------------------------------------------------------- */

enum l4_split {
	L4_ANY = 0,
	L4_TCP,	    /* meta l4proto tcp */
	L4_NOT_TCP, /* meta l4proto != tcp */
};

enum verdict_kind {
	V_DROP,
	V_TCP_RESET,
	V_ICMPX,
	V_QUEUE,
	V_ACCEPT,
};

static const char *verdict_name(enum verdict_kind v)
{
	switch (v) {
	case V_DROP:
		return "drop";
	case V_TCP_RESET:
		return "reject with tcp reset";
	case V_ICMPX:
		return "reject with icmpx port-unreachable";
	case V_QUEUE:
		return "queue";
	case V_ACCEPT:
		return "loopback exemption";
	}
	return "?";
}

/* ip/ip6 saddr or daddr within m's prefix. */
static void match_addr(struct rb *rb, const struct fl_netem_match *m, bool out)
{
	bool v4 = m->family == AF_INET;
	uint32_t alen = v4 ? 4 : 16;
	/* IPv4: saddr at 12, daddr at 16; IPv6: saddr at 8, daddr at 24. */
	uint32_t off = v4 ? (out ? 16 : 12) : (out ? 24 : 8);
	uint8_t addr[16] = { 0 }, mask[16] = { 0 };
	unsigned bits = m->prefix_len;

	cmp_u8(rb, NFT_CMP_EQ, v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	if (bits == 0)
		return; /* the whole family: the nfproto match says it all */
	for (unsigned i = 0; i < alen; i++) {
		unsigned b = bits >= 8 * (i + 1) ? 8 : (bits > 8 * i ? bits - 8 * i : 0);

		mask[i] = (uint8_t)(0xff00u >> b);
		addr[i] = m->addr[i] & mask[i];
	}
	if (bits % 8 == 0) {
		payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, off, bits / 8);
		cmp(rb, NFT_CMP_EQ, addr, bits / 8);
	} else {
		payload_load(rb, NFT_PAYLOAD_NETWORK_HEADER, off, alen);
		bitwise_mask(rb, mask, alen);
		cmp(rb, NFT_CMP_EQ, addr, alen);
	}
}

static int build_rule(struct nftnl_rule **ret, const char *table, const char *chain, bool out,
		      const struct fl_nft_fault *f, const struct fl_netem_match *m,
		      enum l4_split split, enum verdict_kind v)
{
	struct rb rb = { .rule = nftnl_rule_alloc() };
	uint32_t n = (uint32_t)lround(f->percent * (FL_NFT_MODULUS / 100));

	if (!rb.rule)
		return -ENOMEM;
	if (nftnl_rule_set_str(rb.rule, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(rb.rule, NFTNL_RULE_CHAIN, chain) < 0)
		rb.oom = true;
	nftnl_rule_set_u32(rb.rule, NFTNL_RULE_FAMILY, NFPROTO_INET);

	if (v == V_ACCEPT) {
		char lo[IFNAMSIZ] = "lo"; /* nft compares the whole zero-padded name */

		meta_load(&rb, out ? NFT_META_OIFNAME : NFT_META_IIFNAME);
		cmp(&rb, NFT_CMP_EQ, lo, sizeof(lo));
		verdict(&rb, NF_ACCEPT);
		goto out;
	}
	if (m) {
		meta_load(&rb, NFT_META_NFPROTO);
		match_addr(&rb, m, out);
		if (m->ip_proto) {
			meta_load(&rb, NFT_META_L4PROTO);
			cmp_u8(&rb, NFT_CMP_EQ, m->ip_proto);
		}
		if (m->port) {
			uint16_t port = htons(m->port);

			/* th sport at 0, dport at 2: the same for TCP and UDP. */
			payload_load(&rb, NFT_PAYLOAD_TRANSPORT_HEADER, out ? 2 : 0, 2);
			cmp(&rb, NFT_CMP_EQ, &port, sizeof(port));
		}
	}
	if (split != L4_ANY) {
		meta_load(&rb, NFT_META_L4PROTO);
		cmp_u8(&rb, split == L4_TCP ? NFT_CMP_EQ : NFT_CMP_NEQ, IPPROTO_TCP);
	}
	if (n < FL_NFT_MODULUS)
		random_below(&rb, n);
	switch (v) {
	case V_DROP:
		verdict(&rb, NF_DROP);
		break;
	case V_TCP_RESET:
		reject(&rb, NFT_REJECT_TCP_RST, 0);
		break;
	case V_ICMPX:
		reject(&rb, NFT_REJECT_ICMPX_UNREACH, NFT_REJECT_ICMPX_PORT_UNREACH);
		break;
	case V_QUEUE:
		nfqueue(&rb, f->queue_num, f->queue_bypass);
		break;
	case V_ACCEPT:
		break;
	}
out:
	if (rb.oom) {
		nftnl_rule_free(rb.rule);
		return -ENOMEM;
	}
	*ret = rb.rule;
	return 0;
}

static int plan_rule(struct fl_nft_plan *plan, struct fl_nft_chain_plan *c,
		     const struct fl_nft_fault *f, int peer, enum l4_split split,
		     enum verdict_kind v)
{
	struct fl_nft_rule_plan *rp;
	const struct fl_netem_match *m = peer >= 0 ? &f->peers[peer] : NULL;
	bool out = c->hooknum == NF_INET_LOCAL_OUT;
	int r;

	if (c->n_rules == FL_NFT_RULES_MAX)
		return -E2BIG;
	rp = &c->rules[c->n_rules];
	r = build_rule(&rp->rule, plan->table, c->name, out, f, m, split, v);
	if (r < 0)
		return r;
	rp->peer = peer;
	rp->what = verdict_name(v);
	c->n_rules++;
	if (v == V_TCP_RESET || v == V_ICMPX)
		plan->caps |= FL_NFT_CAP_REJECT;
	if (v == V_QUEUE)
		plan->caps |= FL_NFT_CAP_NFQUEUE;
	if (v != V_ACCEPT && lround(f->percent * (FL_NFT_MODULUS / 100)) < FL_NFT_MODULUS)
		plan->caps |= FL_NFT_CAP_NUMGEN;
	return 0;
}

static int plan_chain(struct fl_nft_plan *plan, const struct fl_nft_fault *f, bool out)
{
	struct fl_nft_chain_plan *c = &plan->chains[plan->n_chains++];
	unsigned n_targets = f->n_peers ? f->n_peers : 1;
	int r;

	c->name = out ? FL_NFT_CHAIN_OUT : FL_NFT_CHAIN_IN;
	c->hooknum = out ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN;
	if ((r = plan_rule(plan, c, f, -1, L4_ANY, V_ACCEPT)) < 0)
		return r;
	for (unsigned i = 0; i < n_targets; i++) {
		int peer = f->n_peers ? (int)i : -1;
		uint8_t proto = peer >= 0 ? f->peers[peer].ip_proto : 0;

		switch (f->action) {
		case FL_NFT_DROP:
			r = plan_rule(plan, c, f, peer, L4_ANY, V_DROP);
			break;
		case FL_NFT_QUEUE:
			r = plan_rule(plan, c, f, peer, L4_ANY, V_QUEUE);
			break;
		case FL_NFT_REJECT:
			if (proto == IPPROTO_TCP)
				r = plan_rule(plan, c, f, peer, L4_ANY, V_TCP_RESET);
			else if (proto)
				r = plan_rule(plan, c, f, peer, L4_ANY, V_ICMPX);
			else if ((r = plan_rule(plan, c, f, peer, L4_TCP, V_TCP_RESET)) == 0)
				r = plan_rule(plan, c, f, peer, L4_NOT_TCP, V_ICMPX);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

struct fl_nft_plan *fl_nft_plan_free(struct fl_nft_plan *plan)
{
	if (!plan)
		return NULL;
	for (unsigned c = 0; c < plan->n_chains; c++)
		for (unsigned i = 0; i < plan->chains[c].n_rules; i++)
			nftnl_rule_free(plan->chains[c].rules[i].rule);
	free(plan);
	return NULL;
}

int fl_nft_plan_new(const char *table, const struct fl_nft_fault *fault,
		    struct fl_nft_plan **ret_plan, struct fl_diag *diag)
{
	struct fl_nft_plan *plan;
	int r, n;

	if ((r = fl_nft_validate(fault, diag)) < 0)
		return r;
	plan = calloc(1, sizeof(*plan));
	if (!plan)
		return -ENOMEM;
	n = snprintf(plan->table, sizeof(plan->table), "%s", table);
	if (n < 0 || (size_t)n >= sizeof(plan->table)) {
		free(plan);
		return fl_diag_set(diag, -EINVAL, "table: \"%s\" is too long", table);
	}
	plan->caps = FL_NFT_CAP_TABLES;
	if ((fault->direction & FL_NFT_OUT) && (r = plan_chain(plan, fault, true)) < 0)
		goto fail;
	if ((fault->direction & FL_NFT_IN) && (r = plan_chain(plan, fault, false)) < 0)
		goto fail;
	*ret_plan = plan;
	return 0;
fail:
	fl_nft_plan_free(plan);
	return fl_diag_set(diag, r, "table %s: cannot build its rules: %s", table, strerror(-r));
}

/* ---- batches -------------------------------------------------------------------------- */

int fl_nft_batch_init(struct fl_nft_batch *b, void *buf, size_t size)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->buf = buf;
	b->size = size;
	if (size < 2 * FL_NFT_MSG_MAX)
		return -ENOSPC;
	memset(buf, 0, FL_NFT_MSG_MAX);
	nlh = nftnl_batch_begin((char *)buf, 0);
	b->len = MNL_ALIGN(nlh->nlmsg_len);
	return 0;
}

/* Room for one more message of at most FL_NFT_MSG_MAX bytes, plus the END after it. */
static struct nlmsghdr *msg_start(struct fl_nft_batch *b, uint16_t type, uint16_t family,
				  uint16_t flags, struct fl_nft_msg_ref ref)
{
	if (b->ended || b->n == FL_NFT_BATCH_MSGS_MAX ||
	    b->size - b->len < FL_NFT_MSG_MAX + MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return NULL;
	b->refs[b->n] = ref;
	/* libmnl 1.0.4 does not zero attribute padding: without this, bytes of an earlier
	 * batch in the same buffer would travel to the kernel (harmless, but not reproducible). */
	memset(b->buf + b->len, 0, FL_NFT_MSG_MAX);
	return nftnl_nlmsg_build_hdr((char *)b->buf + b->len, type, family, flags | NLM_F_ACK, 0);
}

static int msg_done(struct fl_nft_batch *b, struct nlmsghdr *nlh)
{
	/* libnftnl cannot bound its writes: a message past the limit means memory is already
	 * corrupt; FL_NFT_MSG_MAX is far above the largest rule we build (tests check). */
	if (nlh->nlmsg_len > FL_NFT_MSG_MAX)
		abort();
	b->len += MNL_ALIGN(nlh->nlmsg_len);
	b->n++;
	return 0;
}

int fl_nft_batch_add_table(struct fl_nft_batch *b, uint16_t family, const char *name,
			   uint32_t table_flags)
{
	struct fl_nft_msg_ref ref = { .kind = FL_NFT_MSG_NEWTABLE, .chain = -1, .rule = -1 };
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (strlen(name) >= FL_NFT_TABLE_NAME_MAX)
		return -EINVAL;
	if (!(nlh = msg_start(b, NFT_MSG_NEWTABLE, family, NLM_F_CREATE | NLM_F_EXCL, ref)))
		return -ENOSPC;
	if (!(t = nftnl_table_alloc()))
		return -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, table_flags);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return msg_done(b, nlh);
}

static int add_chain(struct fl_nft_batch *b, const char *table, const struct fl_nft_chain_plan *c,
		     int index)
{
	struct fl_nft_msg_ref ref = { .kind = FL_NFT_MSG_NEWCHAIN,
				      .chain = (int8_t)index,
				      .rule = -1 };
	struct nftnl_chain *ch;
	struct nlmsghdr *nlh;

	if (!(nlh = msg_start(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL, ref)))
		return -ENOSPC;
	if (!(ch = nftnl_chain_alloc()))
		return -ENOMEM;
	if (nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, table) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, c->name) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, FL_NFT_CHAIN_TYPE) < 0) {
		nftnl_chain_free(ch);
		return -ENOMEM;
	}
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, c->hooknum);
	nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, FL_NFT_PRIORITY);
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nftnl_chain_nlmsg_build_payload(nlh, ch);
	nftnl_chain_free(ch);
	return msg_done(b, nlh);
}

int fl_nft_batch_add_rule(struct fl_nft_batch *b, const struct nftnl_rule *rule,
			  struct fl_nft_msg_ref ref)
{
	struct nlmsghdr *nlh;

	ref.kind = FL_NFT_MSG_NEWRULE;
	if (!(nlh = msg_start(b, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND, ref)))
		return -ENOSPC;
	/* Only reads the rule; libnftnl's prototype lacks the const. */
	nftnl_rule_nlmsg_build_payload(nlh, (struct nftnl_rule *)(uintptr_t)rule);
	return msg_done(b, nlh);
}

int fl_nft_batch_add_plan(struct fl_nft_batch *b, const struct fl_nft_plan *plan,
			  uint32_t table_flags)
{
	int r;

	if ((r = fl_nft_batch_add_table(b, NFPROTO_INET, plan->table, table_flags)) < 0)
		return r;
	for (unsigned c = 0; c < plan->n_chains; c++)
		if ((r = add_chain(b, plan->table, &plan->chains[c], (int)c)) < 0)
			return r;
	for (unsigned c = 0; c < plan->n_chains; c++) {
		for (unsigned i = 0; i < plan->chains[c].n_rules; i++) {
			struct fl_nft_msg_ref ref = { .chain = (int8_t)c, .rule = (int16_t)i };

			if ((r = fl_nft_batch_add_rule(b, plan->chains[c].rules[i].rule, ref)) < 0)
				return r;
		}
	}
	return 0;
}

int fl_nft_batch_del_rule(struct fl_nft_batch *b, uint16_t family, const char *table,
			  const char *chain, uint64_t handle)
{
	struct fl_nft_msg_ref ref = { .kind = FL_NFT_MSG_DELRULE, .chain = -1, .rule = -1 };
	struct nftnl_rule *rule;
	struct nlmsghdr *nlh;

	if (!(nlh = msg_start(b, NFT_MSG_DELRULE, family, 0, ref)))
		return -ENOSPC;
	if (!(rule = nftnl_rule_alloc()))
		return -ENOMEM;
	if (nftnl_rule_set_str(rule, NFTNL_RULE_TABLE, table) < 0 ||
	    nftnl_rule_set_str(rule, NFTNL_RULE_CHAIN, chain) < 0) {
		nftnl_rule_free(rule);
		return -ENOMEM;
	}
	nftnl_rule_set_u64(rule, NFTNL_RULE_HANDLE, handle);
	nftnl_rule_nlmsg_build_payload(nlh, rule);
	nftnl_rule_free(rule);
	return msg_done(b, nlh);
}

int fl_nft_batch_del_table(struct fl_nft_batch *b, uint16_t family, const char *name)
{
	struct fl_nft_msg_ref ref = { .kind = FL_NFT_MSG_DELTABLE, .chain = -1, .rule = -1 };
	struct nftnl_table *t;
	struct nlmsghdr *nlh;

	if (strlen(name) >= FL_NFT_TABLE_NAME_MAX)
		return -EINVAL;
	if (!(nlh = msg_start(b, NFT_MSG_DELTABLE, family, 0, ref)))
		return -ENOSPC;
	if (!(t = nftnl_table_alloc()))
		return -ENOMEM;
	if (nftnl_table_set_str(t, NFTNL_TABLE_NAME, name) < 0) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return msg_done(b, nlh);
}

ssize_t fl_nft_batch_end(struct fl_nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->ended)
		return (ssize_t)b->len;
	/* msg_start always leaves room for the END. */
	memset(b->buf + b->len, 0, MNL_NLMSG_HDRLEN + sizeof(struct nfgenmsg));
	nlh = nftnl_batch_end((char *)b->buf + b->len, 0);
	b->len += MNL_ALIGN(nlh->nlmsg_len);
	b->ended = true;
	return (ssize_t)b->len;
}

ssize_t fl_nft_msg_get(void *buf, size_t size, uint16_t type, uint16_t family, const char *table,
		       bool dump)
{
	struct nlmsghdr *nlh;

	if (size < FL_NFT_MSG_MAX || (table && strlen(table) >= FL_NFT_TABLE_NAME_MAX))
		return -ENOSPC;
	memset(buf, 0, FL_NFT_MSG_MAX);
	nlh = nftnl_nlmsg_build_hdr(buf, type, family, dump ? NLM_F_DUMP : NLM_F_ACK, 0);
	if (type == NFT_MSG_GETTABLE && !dump && table) {
		struct nftnl_table *t = nftnl_table_alloc();

		if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, table) < 0) {
			nftnl_table_free(t);
			return -ENOMEM;
		}
		nftnl_table_nlmsg_build_payload(nlh, t);
		nftnl_table_free(t);
	} else if (type == NFT_MSG_GETRULE && table) {
		/* The kernel filters a rule dump by table. */
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r || nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table) < 0) {
			nftnl_rule_free(r);
			return -ENOMEM;
		}
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nftnl_rule_free(r);
	}
	return (ssize_t)nlh->nlmsg_len;
}
