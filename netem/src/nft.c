/* SPDX-License-Identifier: MIT */
/*
 * The nftables handle: a NETLINK_NETFILTER socket bound to a network namespace, the
 * batch/dump engine over it, kernel errors turned into messages a user can act on, and the
 * operations of fl/nft.h.
 *
 * Batches: every message between NFNL_MSG_BATCH_BEGIN and _END carries NLM_F_ACK, so the
 * kernel answers each one — with 0, or with its error — even when the batch as a whole is
 * aborted (nfnetlink processes the whole batch to report every error, then rolls it back).
 * The first failing message is the cause; later ones usually fail because of it (a rule
 * whose chain was refused). A failure of the batch itself (no CAP_NET_ADMIN, no nf_tables,
 * a failed commit, out of memory) is answered on the BEGIN message's sequence number.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft_internal.h"
#include "fl/nsock.h"

#define RECV_TIMEOUT_SEC 5
/* Large enough for any datagram the kernel sends (dumps are capped at 32 KiB). */
#define RX_BUF_SIZE 65536
/* A namespace with more Faultline tables than this is broken beyond what sweep handles. */
#define LIST_MAX 1024
/* Dumps interrupted by a concurrent ruleset change are retried this often. */
#define DUMP_TRIES 3
/* Table of fl_nft_probe(): "faultline_" + "_probe" can never be a fault's (ids start with
 * [a-z0-9]), yet sweep would find it; it never outlives its batch anyway. */
#define PROBE_TABLE FL_NFT_TABLE_PREFIX "_probe"

enum owner_support {
	OWNER_UNKNOWN = 0,
	OWNER_YES,
	OWNER_NO,
};

struct fl_nft {
	struct fl_nl_transport ops;
	void *priv;
	uint32_t seq;
	uint8_t *rx;
	uint8_t *tx;		/* FL_NFT_BATCH_MAX: batches and requests are built here */
	unsigned buffers_depth; /* rx/tx exist while > 0 (buffers_get/put) */
	enum owner_support owner;
};

/* ---- the real transport --------------------------------------------------------------- */

static int sock_send(void *priv, const void *buf, size_t len)
{
	if (mnl_socket_sendto(priv, buf, len) < 0)
		return -errno;
	return 0;
}

static ssize_t sock_recv(void *priv, void *buf, size_t size)
{
	ssize_t n = mnl_socket_recvfrom(priv, buf, size);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static void sock_destroy(void *priv)
{
	if (priv)
		mnl_socket_close(priv);
}

static uint32_t sock_portid(void *priv)
{
	return mnl_socket_get_portid(priv);
}

static const struct fl_nl_transport sock_ops = {
	.send = sock_send,
	.recv = sock_recv,
	.destroy = sock_destroy,
	.portid = sock_portid,
};

/* ---- the handle ----------------------------------------------------------------------- */

/*
 * The 64 KiB receive and 128 KiB batch buffers exist only while an operation runs: an
 * agent keeps one handle per active fault (the owner of its table), and 500 idle handles
 * must not cost 100 MB. Operations nest (apply verifies), hence the depth count.
 */
static int buffers_get(struct fl_nft *nft)
{
	if (nft->buffers_depth++ > 0)
		return 0;
	nft->rx = malloc(RX_BUF_SIZE);
	nft->tx = malloc(FL_NFT_BATCH_MAX);
	if (!nft->rx || !nft->tx) {
		free(nft->rx);
		free(nft->tx);
		nft->rx = nft->tx = NULL;
		nft->buffers_depth = 0;
		return -ENOMEM;
	}
	return 0;
}

static void buffers_put(struct fl_nft *nft)
{
	if (--nft->buffers_depth > 0)
		return;
	free(nft->rx);
	free(nft->tx);
	nft->rx = nft->tx = NULL;
}

int fl_nft_new(const struct fl_nl_transport *ops, void *priv, struct fl_nft **ret_nft)
{
	struct fl_nft *nft = calloc(1, sizeof(*nft));

	if (!nft) {
		if (ops->destroy)
			ops->destroy(priv);
		return -ENOMEM;
	}
	nft->ops = *ops;
	nft->priv = priv;
	/* Distinct starting points keep replies of different handles apart in traces. */
	nft->seq = (uint32_t)(uintptr_t)nft ^ 0x0f7a0000u;
	*ret_nft = nft;
	return 0;
}

int fl_nft_open(const char *netns_path, struct fl_nft **ret_nft, struct fl_diag *diag)
{
	struct mnl_socket *sock;
	int r;

	r = fl_nsock_open(netns_path, NETLINK_NETFILTER, RECV_TIMEOUT_SEC, &sock, diag);
	if (r == -EPROTONOSUPPORT)
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "this kernel has no nfnetlink (CONFIG_NETFILTER_NETLINK), so no "
				   "nftables: %s",
				   strerror(-r));
	if (r < 0)
		return r;
	return fl_nft_new(&sock_ops, sock, ret_nft);
}

struct fl_nft *fl_nft_close(struct fl_nft *nft)
{
	if (!nft)
		return NULL;
	/* Closing the socket is what makes the kernel drop our owner-flagged tables. */
	if (nft->ops.destroy)
		nft->ops.destroy(nft->priv);
	free(nft->rx);
	free(nft->tx);
	free(nft);
	return NULL;
}

uint32_t fl_nft_portid(const struct fl_nft *nft)
{
	return nft->ops.portid ? nft->ops.portid(nft->priv) : 0;
}

/* ---- the engine ----------------------------------------------------------------------- */

static ssize_t recv_or_timeout(struct fl_nft *nft, struct fl_diag *diag)
{
	ssize_t n = nft->ops.recv(nft->priv, nft->rx, RX_BUF_SIZE);

	if (n == -EAGAIN || n == -ETIMEDOUT)
		return fl_diag_set(diag, -ETIMEDOUT, "netlink: no answer from the kernel in %d s",
				   RECV_TIMEOUT_SEC);
	if (n < 0)
		return fl_diag_set(diag, (int)n, "netlink receive: %s", strerror((int)-n));
	return n;
}

static int nft_send_batch(struct fl_nft *nft, struct fl_nft_batch *b, int *ret_failed,
			  struct fl_diag *diag)
{
	bool answered[FL_NFT_BATCH_MSGS_MAX] = { false };
	struct nlmsghdr *nlh = (struct nlmsghdr *)b->buf;
	uint32_t seq0 = nft->seq + 1;
	unsigned n_answered = 0;
	int left, r, first_err = 0, failed = -1;
	ssize_t len = fl_nft_batch_end(b);

	if (len < 0)
		return fl_diag_set(diag, (int)len, "nftables batch: %s", strerror((int)-len));
	/* BEGIN = seq0, message i = seq0 + 1 + i, END = seq0 + n + 1. */
	left = (int)len;
	for (uint32_t s = seq0; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		nlh->nlmsg_seq = s++;
	nft->seq = seq0 + b->n + 1;
	if ((r = nft->ops.send(nft->priv, b->buf, (size_t)len)) < 0)
		return fl_diag_set(diag, r, "netlink send: %s", strerror(-r));

	while (n_answered < b->n) {
		ssize_t n = recv_or_timeout(nft, diag);

		if (n < 0)
			return (int)n;
		left = (int)n;
		for (nlh = (struct nlmsghdr *)nft->rx; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			/* Offset from BEGIN, unsigned: sequence numbers may wrap. */
			uint32_t d = nlh->nlmsg_seq - seq0;
			struct fl_diag here = { 0 };
			unsigned i;

			if (nlh->nlmsg_type != NLMSG_ERROR || d > b->n + 1)
				continue; /* not an answer to this batch */
			r = fl_nl_parse_error(nlh, nlh->nlmsg_len, &here);
			if (d == 0 || d == b->n + 1) {
				if (r == 0)
					continue;
				/* The batch as a whole: nothing else will be answered reliably. */
				if (diag)
					memcpy(diag->msg, here.msg, sizeof(diag->msg));
				if (ret_failed)
					*ret_failed = -1;
				return r;
			}
			i = d - 1;
			if (answered[i])
				continue;
			answered[i] = true;
			n_answered++;
			if (r < 0 && (failed < 0 || (int)i < failed)) {
				failed = (int)i;
				first_err = r;
				if (diag)
					memcpy(diag->msg, here.msg, sizeof(diag->msg));
			}
		}
	}
	if (first_err < 0 && ret_failed)
		*ret_failed = failed;
	return first_err;
}

int fl_nft_send_batch(struct fl_nft *nft, struct fl_nft_batch *b, int *ret_failed,
		      struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_send_batch(nft, b, ret_failed, diag);
	buffers_put(nft);
	return r;
}

static int nft_request(struct fl_nft *nft, void *msg, size_t len, fl_nft_msg_cb cb, void *data,
		       struct fl_diag *diag)
{
	struct nlmsghdr *req = msg;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP, intr = false;
	uint32_t seq = ++nft->seq;
	int cb_err = 0, r;

	req->nlmsg_seq = seq;
	if ((r = nft->ops.send(nft->priv, msg, len)) < 0)
		return fl_diag_set(diag, r, "netlink send: %s", strerror(-r));
	for (;;) {
		ssize_t n = recv_or_timeout(nft, diag);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)nft->rx;
		int left = (int)n;

		if (n < 0)
			return (int)n;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != seq)
				continue; /* a late reply to an earlier request */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				r = fl_nl_parse_error(nlh, nlh->nlmsg_len, diag);
				if (r < 0)
					return r;
				if (!dump)
					return intr ? -EINTR : cb_err;
				continue;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				int e = 0;

				if (nlh->nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(int))
					memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
				if (e < 0)
					return fl_diag_set(diag, e, "netlink dump: %s",
							   strerror(-e));
				if (intr)
					return fl_diag_set(
						diag, -EINTR,
						"netlink dump: the ruleset changed meanwhile");
				return cb_err;
			}
			/* Keep draining after a callback error, or the next request desyncs. */
			if (cb && cb_err == 0)
				cb_err = cb(nlh, data);
		}
	}
}

int fl_nft_request(struct fl_nft *nft, void *msg, size_t len, fl_nft_msg_cb cb, void *data,
		   struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_request(nft, msg, len, cb, data, diag);
	buffers_put(nft);
	return r;
}

/* Build a get/dump request in nft->tx and run it. */
static int request(struct fl_nft *nft, uint16_t type, const char *table, bool dump,
		   fl_nft_msg_cb cb, void *data, struct fl_diag *diag)
{
	ssize_t len = fl_nft_msg_get(nft->tx, FL_NFT_BATCH_MAX, type, NFPROTO_INET, table, dump);

	if (len < 0)
		return fl_diag_set(diag, (int)len, "nftables request: %s", strerror((int)-len));
	return fl_nft_request(nft, nft->tx, (size_t)len, cb, data, diag);
}

static int nft_read_state(struct fl_nft *nft, const char *table, struct fl_nft_state *st,
			  struct fl_diag *diag)
{
	int r = 0;

	for (int attempt = 0; attempt < DUMP_TRIES; attempt++) {
		st->table = table;
		fl_nft_state_clear(st);
		r = request(nft, NFT_MSG_GETTABLE, table, false, fl_nft_state_add, st, diag);
		if (r == -ENOENT)
			return 0; /* st->found stays false */
		if (r == 0)
			r = request(nft, NFT_MSG_GETCHAIN, NULL, true, fl_nft_state_add, st, diag);
		if (r == 0)
			r = request(nft, NFT_MSG_GETRULE, table, true, fl_nft_state_add, st, diag);
		if (r != -EINTR)
			break;
	}
	if (r < 0)
		return fl_diag_prefix(diag, r, "reading table %s back", table);
	return 0;
}

int fl_nft_read_state(struct fl_nft *nft, const char *table, struct fl_nft_state *st,
		      struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_read_state(nft, table, st, diag);
	buffers_put(nft);
	return r;
}

/* ---- what a failed batch means ----------------------------------------------------- */

static unsigned probe(struct fl_nft *nft);

static const char *hook_word(const struct fl_nft_chain_plan *c)
{
	return c->hooknum == NF_INET_LOCAL_OUT ? "output" : "input";
}

/* No message to blame: the batch as a whole failed. */
static int explain_batch(int err, const char *table, const char *kernel, struct fl_diag *diag)
{
	if (err == -EPERM)
		return fl_diag_set(
			diag, err,
			"nftables: changing the ruleset needs CAP_NET_ADMIN in the target "
			"network namespace: %s",
			kernel);
	if (err == -EOPNOTSUPP || err == -EPROTONOSUPPORT)
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "this kernel lacks nf_tables (CONFIG_NF_TABLES; modprobe "
				   "nf_tables): %s",
				   kernel);
	return fl_diag_set(diag, err, "nftables batch for table %s: %s", table, kernel);
}

static int explain_table(int err, const char *table, const char *kernel, struct fl_diag *diag)
{
	if (err == -EEXIST)
		return fl_diag_set(diag, err,
				   "table inet %s already exists: this fault is applied already "
				   "(remove it first, or use another id): %s",
				   table, kernel);
	if (err == -EAFNOSUPPORT)
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "this kernel's nf_tables lacks the inet family "
				   "(CONFIG_NF_TABLES_INET): %s",
				   kernel);
	if (err == -EPERM)
		return fl_diag_set(diag, err,
				   "table inet %s exists and belongs to another process's netlink "
				   "socket (NFT_TABLE_F_OWNER): %s",
				   table, kernel);
	return fl_diag_set(diag, err, "table inet %s: %s", table, kernel);
}

static int explain_chain(const struct fl_nft_chain_plan *c, int err, const char *table,
			 const char *kernel, struct fl_diag *diag)
{
	if (err == -ENOENT || err == -EOPNOTSUPP)
		return fl_diag_set(
			diag, -EOPNOTSUPP,
			"this kernel cannot hook a filter chain on %s for the inet family "
			"(CONFIG_NF_TABLES_INET): chain %s: %s",
			hook_word(c), c->name, kernel);
	return fl_diag_set(diag, err, "table %s: chain %s (type filter hook %s priority %d): %s",
			   table, c->name, hook_word(c), FL_NFT_PRIORITY, kernel);
}

/* The expressions a rule may need that a kernel may lack, in the order they are blamed. */
static const struct {
	unsigned cap;
	const char *lack;
} rule_caps[] = {
	{ FL_NFT_CAP_NFQUEUE,
	  "this kernel lacks the xtables NFQUEUE target (nft_compat / xt_NFQUEUE): the QUEUE "
	  "action needs CONFIG_NFT_COMPAT and CONFIG_NETFILTER_XT_TARGET_NFQUEUE (modprobe "
	  "nft_compat xt_NFQUEUE)" },
	{ FL_NFT_CAP_NUMGEN, "this kernel lacks the nft numgen expression (nft_numgen, "
			     "CONFIG_NFT_NUMGEN): a percent below 100 needs it" },
	{ FL_NFT_CAP_REJECT,
	  "this kernel lacks the nft reject expression for the inet family (nft_reject_inet, "
	  "CONFIG_NFT_REJECT_INET): the REJECT action needs it" },
};

static int explain_rule(struct fl_nft *nft, const struct fl_nft_plan *plan,
			const struct fl_nft_msg_ref *ref, int err, const char *kernel,
			struct fl_diag *diag)
{
	const struct fl_nft_chain_plan *c = &plan->chains[ref->chain];
	const struct fl_nft_rule_plan *rp = &c->rules[ref->rule];
	unsigned missing;

	if (err != -ENOENT && err != -EOPNOTSUPP)
		return fl_diag_set(diag, err, "table %s: chain %s, rule %d (%s): %s", plan->table,
				   c->name, ref->rule + 1, rp->what, kernel);
	/* Which expression is unknown? The kernel does not say: ask it feature by
	 * feature in throw-away tables. */
	missing = plan->caps & ~probe(nft);
	for (size_t i = 0; i < FL_ARRAY_SIZE(rule_caps); i++)
		if (missing & rule_caps[i].cap)
			return fl_diag_set(diag, -EOPNOTSUPP, "%s: %s", rule_caps[i].lack, kernel);
	return fl_diag_set(diag, err, "table %s: chain %s, rule %d (%s): %s", plan->table, c->name,
			   ref->rule + 1, rp->what, kernel);
}

/* Message of the failure of a batch that creates `table`; diag holds the kernel's text. */
static int explain(struct fl_nft *nft, const struct fl_nft_plan *plan, const struct fl_nft_batch *b,
		   int failed, int err, struct fl_diag *diag)
{
	char kernel[FL_DIAG_MSG_MAX / 2] = "";
	const struct fl_nft_msg_ref *ref = failed >= 0 ? &b->refs[failed] : NULL;
	const char *table = plan->table;

	if (diag)
		(void)snprintf(kernel, sizeof(kernel), "%.*s", (int)sizeof(kernel) - 1, diag->msg);
	if (!ref)
		return explain_batch(err, table, kernel, diag);
	switch (ref->kind) {
	case FL_NFT_MSG_NEWTABLE:
		return explain_table(err, table, kernel, diag);
	case FL_NFT_MSG_NEWCHAIN:
		return explain_chain(&plan->chains[ref->chain], err, table, kernel, diag);
	case FL_NFT_MSG_NEWRULE:
		return explain_rule(nft, plan, ref, err, kernel, diag);
	}
	return fl_diag_set(diag, err, "table %s: %s", table, kernel);
}

/* ---- operations ----------------------------------------------------------------------- */

static int send_plan(struct fl_nft *nft, const struct fl_nft_plan *plan, bool owner, int *failed,
		     struct fl_nft_batch *b, struct fl_diag *diag)
{
	int r;

	if ((r = fl_nft_batch_init(b, nft->tx, FL_NFT_BATCH_MAX)) < 0 ||
	    (r = fl_nft_batch_add_plan(b, plan, owner ? NFT_TABLE_F_OWNER : 0)) < 0)
		return fl_diag_set(diag, r, "table %s: cannot build the batch: %s", plan->table,
				   strerror(-r));
	return fl_nft_send_batch(nft, b, failed, diag);
}

static int del_table(struct fl_nft *nft, const char *table, struct fl_diag *diag)
{
	struct fl_nft_batch b;
	int r, failed = -1;

	if ((r = fl_nft_batch_init(&b, nft->tx, FL_NFT_BATCH_MAX)) < 0 ||
	    (r = fl_nft_batch_del_table(&b, NFPROTO_INET, table)) < 0)
		return fl_diag_set(diag, r, "table %s: cannot build the batch: %s", table,
				   strerror(-r));
	r = fl_nft_send_batch(nft, &b, &failed, diag);
	if (r == -ENOENT && failed == 0)
		return 0;
	if (r == -EPERM && failed == 0)
		return fl_diag_prefix(diag, r,
				      "table inet %s belongs to another process's netlink socket "
				      "(NFT_TABLE_F_OWNER): it goes away when that socket closes",
				      table);
	if (r < 0)
		return fl_diag_prefix(diag, r, "deleting table inet %s", table);
	return 0;
}

static int verify_plan(struct fl_nft *nft, const struct fl_nft_plan *plan, struct fl_diag *diag)
{
	struct fl_nft_state *st = calloc(1, sizeof(*st));
	int r;

	if (!st)
		return -ENOMEM;
	st->table = plan->table;
	r = fl_nft_read_state(nft, plan->table, st, diag);
	if (r == 0)
		r = fl_nft_compare(plan, st, fl_nft_portid(nft), nft->owner == OWNER_YES, diag);
	fl_nft_state_clear(st);
	free(st);
	return r;
}

static int nft_apply(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		     struct fl_diag *diag)
{
	struct fl_nft_plan *plan = NULL;
	struct fl_nft_batch b;
	char table[FL_NFT_TABLE_NAME_MAX];
	bool owner;
	int r, failed = -1;

	if ((r = fl_nft_table_name(id, table, sizeof(table), diag)) < 0 ||
	    (r = fl_nft_plan_new(table, fault, &plan, diag)) < 0)
		return r;
	for (;;) {
		owner = nft->owner != OWNER_NO;
		r = send_plan(nft, plan, owner, &failed, &b, diag);
		if (r == 0)
			break;
		/* Before Linux 5.12 an unknown table flag is refused (-EOPNOTSUPP; older:
		 * -EINVAL): learn it once per handle and make a plain table. */
		if (owner && nft->owner == OWNER_UNKNOWN && failed >= 0 &&
		    b.refs[failed].kind == FL_NFT_MSG_NEWTABLE &&
		    (r == -EOPNOTSUPP || r == -EINVAL)) {
			nft->owner = OWNER_NO;
			continue;
		}
		r = explain(nft, plan, &b, failed, r, diag);
		goto out;
	}
	if (owner)
		nft->owner = OWNER_YES;
	r = verify_plan(nft, plan, diag);
	if (r < 0) {
		/* Never leave a fault we cannot vouch for. */
		(void)del_table(nft, table, NULL);
		r = fl_diag_prefix(diag, r,
				   "table %s was created but does not read back as "
				   "sent (removed again)",
				   table);
	}
out:
	fl_nft_plan_free(plan);
	return r;
}

int fl_nft_apply(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		 struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_apply(nft, id, fault, diag);
	buffers_put(nft);
	return r;
}

static int nft_verify(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		      struct fl_diag *diag)
{
	struct fl_nft_plan *plan = NULL;
	char table[FL_NFT_TABLE_NAME_MAX];
	int r;

	if ((r = fl_nft_table_name(id, table, sizeof(table), diag)) < 0 ||
	    (r = fl_nft_plan_new(table, fault, &plan, diag)) < 0)
		return r;
	r = verify_plan(nft, plan, diag);
	fl_nft_plan_free(plan);
	return r;
}

int fl_nft_verify(struct fl_nft *nft, const char *id, const struct fl_nft_fault *fault,
		  struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_verify(nft, id, fault, diag);
	buffers_put(nft);
	return r;
}

static int nft_remove(struct fl_nft *nft, const char *id, struct fl_diag *diag)
{
	char table[FL_NFT_TABLE_NAME_MAX];
	int r;

	if ((r = fl_nft_table_name(id, table, sizeof(table), diag)) < 0)
		return r;
	return del_table(nft, table, diag);
}

int fl_nft_remove(struct fl_nft *nft, const char *id, struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_remove(nft, id, diag);
	buffers_put(nft);
	return r;
}

struct table_names {
	char (*v)[FL_NFT_TABLE_NAME_MAX];
	unsigned n, cap;
};

static int collect_ours(const struct nlmsghdr *nlh, void *data)
{
	struct table_names *names = data;
	struct nftnl_table *t;
	const char *name;
	int r = 0;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWTABLE)
		return 0;
	if (!(t = nftnl_table_alloc()))
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return -EBADMSG;
	}
	name = nftnl_table_get_str(t, NFTNL_TABLE_NAME);
	if (name && strncmp(name, FL_NFT_TABLE_PREFIX, strlen(FL_NFT_TABLE_PREFIX)) == 0 &&
	    strlen(name) < FL_NFT_TABLE_NAME_MAX) {
		if (names->n == names->cap) {
			unsigned cap = names->cap ? 2 * names->cap : 16;
			void *v =
				cap <= LIST_MAX ? realloc(names->v, cap * sizeof(*names->v)) : NULL;

			if (!v) {
				r = cap <= LIST_MAX ? -ENOMEM : -E2BIG;
				goto out;
			}
			names->v = v;
			names->cap = cap;
		}
		memcpy(names->v[names->n++], name, strlen(name) + 1);
	}
out:
	nftnl_table_free(t);
	return r;
}

static int list_names(struct fl_nft *nft, struct table_names *names, struct fl_diag *diag)
{
	int r = 0;

	for (int attempt = 0; attempt < DUMP_TRIES; attempt++) {
		names->n = 0;
		r = request(nft, NFT_MSG_GETTABLE, NULL, true, collect_ours, names, diag);
		if (r != -EINTR)
			break;
	}
	if (r == -E2BIG)
		return fl_diag_set(diag, r, "more than %d %s* tables in the namespace", LIST_MAX,
				   FL_NFT_TABLE_PREFIX);
	if (r < 0)
		return fl_diag_prefix(diag, r, "listing nftables tables");
	return 0;
}

static int nft_list_ours(struct fl_nft *nft, fl_nft_table_cb cb, void *data, struct fl_diag *diag)
{
	struct table_names names = { 0 };
	int r;

	/* Collected first: cb may use nft (remove a table) without breaking the dump. */
	r = list_names(nft, &names, diag);
	for (unsigned i = 0; r >= 0 && i < names.n; i++)
		r = cb(names.v[i], data);
	free(names.v);
	return r < 0 ? r : 0;
}

int fl_nft_list_ours(struct fl_nft *nft, fl_nft_table_cb cb, void *data, struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_list_ours(nft, cb, data, diag);
	buffers_put(nft);
	return r;
}

static int nft_sweep(struct fl_nft *nft, struct fl_diag *diag)
{
	struct table_names names = { 0 };
	struct fl_diag first = { 0 };
	int r, first_err = 0, removed = 0;

	if ((r = list_names(nft, &names, diag)) < 0)
		return r;
	for (unsigned i = 0; i < names.n; i++) {
		r = del_table(nft, names.v[i], first_err ? NULL : &first);
		if (r < 0 && !first_err)
			first_err = r;
		else if (r >= 0)
			removed++;
	}
	free(names.v);
	if (first_err)
		return fl_diag_set(diag, first_err, "%s (%d other table%s removed)", first.msg,
				   removed, removed == 1 ? "" : "s");
	return removed;
}

int fl_nft_sweep(struct fl_nft *nft, struct fl_diag *diag)
{
	int r;

	if (buffers_get(nft) < 0)
		return -ENOMEM;
	r = nft_sweep(nft, diag);
	buffers_put(nft);
	return r;
}

/* ---- probing ---------------------------------------------------------------------------- */

/* Create the probe table (with fault's rules, if any) and delete it in the same batch: the
 * kernel checks everything and commits nothing that outlives the batch. */
static int try_batch(struct fl_nft *nft, uint32_t table_flags, const struct fl_nft_fault *fault)
{
	struct fl_nft_plan *plan = NULL;
	struct fl_nft_batch b;
	int r, failed;

	if (fault && (r = fl_nft_plan_new(PROBE_TABLE, fault, &plan, NULL)) < 0)
		return r;
	r = fl_nft_batch_init(&b, nft->tx, FL_NFT_BATCH_MAX);
	if (r == 0)
		r = plan ? fl_nft_batch_add_plan(&b, plan, table_flags)
			 : fl_nft_batch_add_table(&b, NFPROTO_INET, PROBE_TABLE, table_flags);
	if (r == 0)
		r = fl_nft_batch_del_table(&b, NFPROTO_INET, PROBE_TABLE);
	if (r == 0)
		r = fl_nft_send_batch(nft, &b, &failed, NULL);
	fl_nft_plan_free(plan);
	return r;
}

static unsigned probe(struct fl_nft *nft)
{
	static const struct fl_netem_match any4 = { .family = AF_INET };
	struct fl_nft_fault f = { .direction = FL_NFT_OUT, .n_peers = 1, .peers = { any4 } };
	unsigned caps = 0;

	if (try_batch(nft, 0, NULL) < 0)
		return 0;
	caps |= FL_NFT_CAP_TABLES;
	if (try_batch(nft, NFT_TABLE_F_OWNER, NULL) == 0)
		caps |= FL_NFT_CAP_OWNER;
	if (nft->owner == OWNER_UNKNOWN)
		nft->owner = (caps & FL_NFT_CAP_OWNER) ? OWNER_YES : OWNER_NO;
	f.action = FL_NFT_DROP;
	f.percent = 50;
	if (try_batch(nft, 0, &f) == 0)
		caps |= FL_NFT_CAP_NUMGEN;
	f.action = FL_NFT_REJECT;
	f.percent = 100;
	if (try_batch(nft, 0, &f) == 0)
		caps |= FL_NFT_CAP_REJECT;
	f.action = FL_NFT_QUEUE;
	f.queue_num = 1;
	f.queue_bypass = true;
	if (try_batch(nft, 0, &f) == 0)
		caps |= FL_NFT_CAP_NFQUEUE;
	return caps;
}

static unsigned nft_probe(struct fl_nft *nft)
{
	return probe(nft);
}

unsigned fl_nft_probe(struct fl_nft *nft)
{
	unsigned r;

	if (buffers_get(nft) < 0)
		return 0;
	r = nft_probe(nft);
	buffers_put(nft);
	return r;
}
