/* SPDX-License-Identifier: MIT */
/*
 * A Faultline table as the kernel dumps it, and its comparison with the plan it should
 * hold. Dumped objects are parsed with libnftnl; a rule is compared expression by expression
 * through libnftnl's own rendering of each expression ("payload load 4b @ network header +
 * 16 => reg 1"), which shows every key value (register, offset, length, data, verdict)
 * and nothing volatile (handles, counters). The NFQUEUE target's info bytes, which
 * libnftnl does not print, are appended in hex. Pure: no socket here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft_internal.h"

#define EXPR_TEXT_MAX 256

static size_t append(char *buf, size_t size, size_t n, const char *fmt, ...) _printf_(4, 5);
static size_t append(char *buf, size_t size, size_t n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (n >= size)
		return n;
	va_start(ap, fmt);
	w = vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	if (w < 0)
		return n;
	return FL_MIN(n + (size_t)w, size - 1);
}

size_t fl_nft_expr_text(const struct nftnl_expr *expr, char *buf, size_t size)
{
	const char *name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
	size_t n;
	int w;

	if (size == 0)
		return 0;
	buf[0] = '\0';
	n = append(buf, size, 0, "%s ", name ? name : "?");
	w = nftnl_expr_snprintf(buf + n, size - n, expr, NFTNL_OUTPUT_DEFAULT, 0);
	if (w > 0)
		n = FL_MIN(n + (size_t)w, size - 1);
	/* libnftnl pads some renderings with a trailing space. */
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
	if (name && strcmp(name, "target") == 0 && nftnl_expr_is_set(expr, NFTNL_EXPR_TG_INFO)) {
		uint32_t len = 0;
		const uint8_t *info = nftnl_expr_get(expr, NFTNL_EXPR_TG_INFO, &len);

		n = append(buf, size, n, " info ");
		for (uint32_t i = 0; info && i < len; i++)
			n = append(buf, size, n, "%02x", info[i]);
	}
	return n;
}

/* ---- the state, one dump message at a time -------------------------------------------- */

void fl_nft_state_clear(struct fl_nft_state *st)
{
	const char *table = st->table;

	for (unsigned i = 0; i < st->n_chains; i++)
		nftnl_chain_free(st->chains[i]);
	for (unsigned i = 0; i < st->n_rules; i++)
		nftnl_rule_free(st->rules[i]);
	memset(st, 0, sizeof(*st));
	st->table = table;
}

static bool same_table(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int fl_nft_state_add(const struct nlmsghdr *nlh, void *data)
{
	struct fl_nft_state *st = data;
	const struct nfgenmsg *nfg;
	uint16_t type = nlh->nlmsg_type & 0xff;

	if ((nlh->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES ||
	    nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*nfg))
		return 0;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != NFPROTO_INET)
		return 0;
	switch (type) {
	case NFT_MSG_NEWTABLE: {
		struct nftnl_table *t = nftnl_table_alloc();

		if (!t)
			return -ENOMEM;
		if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
			nftnl_table_free(t);
			return -EBADMSG;
		}
		if (same_table(nftnl_table_get_str(t, NFTNL_TABLE_NAME), st->table)) {
			st->found = true;
			st->flags = nftnl_table_get_u32(t, NFTNL_TABLE_FLAGS);
			st->has_owner = nftnl_table_is_set(t, NFTNL_TABLE_OWNER);
			st->owner = st->has_owner ? nftnl_table_get_u32(t, NFTNL_TABLE_OWNER) : 0;
		}
		nftnl_table_free(t);
		return 0;
	}
	case NFT_MSG_NEWCHAIN: {
		struct nftnl_chain *c = nftnl_chain_alloc();

		if (!c)
			return -ENOMEM;
		if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
			nftnl_chain_free(c);
			return -EBADMSG;
		}
		if (!same_table(nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE), st->table)) {
			nftnl_chain_free(c);
			return 0;
		}
		st->n_chains_seen++;
		if (st->n_chains < FL_NFT_STATE_CHAINS_MAX)
			st->chains[st->n_chains++] = c;
		else
			nftnl_chain_free(c);
		return 0;
	}
	case NFT_MSG_NEWRULE: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r)
			return -ENOMEM;
		if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
			nftnl_rule_free(r);
			return -EBADMSG;
		}
		if (!same_table(nftnl_rule_get_str(r, NFTNL_RULE_TABLE), st->table)) {
			nftnl_rule_free(r);
			return 0;
		}
		st->n_rules_seen++;
		if (st->n_rules < FL_NFT_STATE_RULES_MAX)
			st->rules[st->n_rules++] = r;
		else
			nftnl_rule_free(r);
		return 0;
	}
	}
	return 0;
}

/* ---- comparison ----------------------------------------------------------------------- */

static const char *hook_name(uint32_t hooknum)
{
	switch (hooknum) {
	case NF_INET_PRE_ROUTING:
		return "prerouting";
	case NF_INET_LOCAL_IN:
		return "input";
	case NF_INET_FORWARD:
		return "forward";
	case NF_INET_LOCAL_OUT:
		return "output";
	case NF_INET_POST_ROUTING:
		return "postrouting";
	}
	return "?";
}

static const struct nftnl_chain *find_chain(const struct fl_nft_state *st, const char *name)
{
	for (unsigned i = 0; i < st->n_chains; i++)
		if (same_table(nftnl_chain_get_str(st->chains[i], NFTNL_CHAIN_NAME), name))
			return st->chains[i];
	return NULL;
}

static int compare_chain(const struct fl_nft_chain_plan *want, const struct nftnl_chain *got,
			 struct fl_diag *diag)
{
	uint32_t hook = nftnl_chain_get_u32(got, NFTNL_CHAIN_HOOKNUM);
	int32_t prio = nftnl_chain_get_s32(got, NFTNL_CHAIN_PRIO);
	const char *type = nftnl_chain_get_str(got, NFTNL_CHAIN_TYPE);
	uint32_t policy = nftnl_chain_get_u32(got, NFTNL_CHAIN_POLICY);

	if (!nftnl_chain_is_set(got, NFTNL_CHAIN_HOOKNUM))
		return fl_diag_set(diag, -ENOMSG,
				   "chain %s: want a base chain on hook %s, kernel has a regular "
				   "chain",
				   want->name, hook_name(want->hooknum));
	if (hook != want->hooknum)
		return fl_diag_set(diag, -ENOMSG, "chain %s: hook: want %s, kernel has %s",
				   want->name, hook_name(want->hooknum), hook_name(hook));
	if (prio != FL_NFT_PRIORITY)
		return fl_diag_set(diag, -ENOMSG, "chain %s: priority: want %d, kernel has %d",
				   want->name, FL_NFT_PRIORITY, prio);
	if (!type || strcmp(type, FL_NFT_CHAIN_TYPE) != 0)
		return fl_diag_set(diag, -ENOMSG, "chain %s: type: want %s, kernel has %s",
				   want->name, FL_NFT_CHAIN_TYPE, type ? type : "none");
	if (nftnl_chain_is_set(got, NFTNL_CHAIN_POLICY) && policy != NF_ACCEPT)
		return fl_diag_set(diag, -ENOMSG, "chain %s: policy: want accept, kernel has %s",
				   want->name, policy == NF_DROP ? "drop" : "another verdict");
	return 0;
}

/* The expressions of a rule as texts; returns how many (at most max). */
static unsigned rule_texts(const struct nftnl_rule *rule, char (*texts)[EXPR_TEXT_MAX],
			   unsigned max)
{
	struct nftnl_expr_iter *it = nftnl_expr_iter_create(rule);
	struct nftnl_expr *e;
	unsigned n = 0;

	if (!it)
		return 0;
	while ((e = nftnl_expr_iter_next(it))) {
		if (n < max)
			(void)fl_nft_expr_text(e, texts[n], EXPR_TEXT_MAX);
		n++;
	}
	nftnl_expr_iter_destroy(it);
	return n;
}

#define RULE_EXPRS_MAX 24

static int compare_rule(const char *chain, unsigned index, const struct fl_nft_rule_plan *want,
			const struct nftnl_rule *got, struct fl_diag *diag)
{
	char(*w)[EXPR_TEXT_MAX] = calloc(2 * RULE_EXPRS_MAX, EXPR_TEXT_MAX);
	char(*g)[EXPR_TEXT_MAX];
	char label[64];
	unsigned nw, ng;
	int r = 0;

	if (!w)
		return -ENOMEM;
	if (want->peer >= 0)
		(void)snprintf(label, sizeof(label), "%s, peers[%d]", want->what, want->peer);
	else
		(void)snprintf(label, sizeof(label), "%s", want->what);
	g = w + RULE_EXPRS_MAX;
	nw = rule_texts(want->rule, w, RULE_EXPRS_MAX);
	ng = rule_texts(got, g, RULE_EXPRS_MAX);
	for (unsigned i = 0; i < FL_MIN(FL_MAX(nw, ng), (unsigned)RULE_EXPRS_MAX); i++) {
		if (i < nw && i < ng && strcmp(w[i], g[i]) == 0)
			continue;
		r = fl_diag_set(diag, -ENOMSG,
				"chain %s, rule %u (%s): expression %u: want [%s], kernel has [%s]",
				chain, index + 1, label, i + 1, i < nw ? w[i] : "nothing",
				i < ng ? g[i] : "nothing");
		break;
	}
	if (r == 0 && nw != ng)
		r = fl_diag_set(diag, -ENOMSG,
				"chain %s, rule %u (%s): want %u expressions, kernel has %u", chain,
				index + 1, label, nw, ng);
	free(w);
	return r;
}

int fl_nft_compare(const struct fl_nft_plan *plan, const struct fl_nft_state *st, uint32_t portid,
		   bool want_owner, struct fl_diag *diag)
{
	int r;

	if (!st->found)
		return fl_diag_set(diag, -ENOENT, "table inet %s is gone", plan->table);
	if (st->flags & NFT_TABLE_F_OWNER) {
		if (portid && st->has_owner && st->owner != portid)
			return fl_diag_set(diag, -ENOMSG,
					   "table %s: belongs to another netlink socket (port %u; "
					   "this handle is port %u)",
					   plan->table, st->owner, portid);
	} else if (want_owner) {
		return fl_diag_set(diag, -ENOMSG,
				   "table %s: flags: want owner, kernel has none (the table was "
				   "re-created by someone else)",
				   plan->table);
	}
	if (st->n_chains_seen != plan->n_chains)
		return fl_diag_set(
			diag, -ENOMSG, "table %s: want %u chain%s (%s%s%s), kernel has %u",
			plan->table, plan->n_chains, plan->n_chains == 1 ? "" : "s",
			plan->chains[0].name, plan->n_chains > 1 ? ", " : "",
			plan->n_chains > 1 ? plan->chains[1].name : "", st->n_chains_seen);
	for (unsigned c = 0; c < plan->n_chains; c++) {
		const struct fl_nft_chain_plan *want = &plan->chains[c];
		const struct nftnl_chain *got = find_chain(st, want->name);
		unsigned n = 0;

		if (!got)
			return fl_diag_set(diag, -ENOMSG, "table %s: chain %s is missing",
					   plan->table, want->name);
		if ((r = compare_chain(want, got, diag)) < 0)
			return r;
		for (unsigned i = 0; i < st->n_rules; i++)
			if (same_table(nftnl_rule_get_str(st->rules[i], NFTNL_RULE_CHAIN),
				       want->name))
				n++;
		if (st->n_rules_seen != st->n_rules)
			n += st->n_rules_seen - st->n_rules; /* too many to keep: a difference */
		if (n != want->n_rules)
			return fl_diag_set(diag, -ENOMSG, "chain %s: want %u rules, kernel has %u",
					   want->name, want->n_rules, n);
		n = 0;
		for (unsigned i = 0; i < st->n_rules; i++) {
			if (!same_table(nftnl_rule_get_str(st->rules[i], NFTNL_RULE_CHAIN),
					want->name))
				continue;
			if ((r = compare_rule(want->name, n, &want->rules[n], st->rules[i], diag)) <
			    0)
				return r;
			n++;
		}
	}
	return 0;
}
