/* SPDX-License-Identifier: MIT */
/*
 * A fault step: the agent API's inject body (docs/agent-api.md, "POST /v1/faults") minus
 * what the runner fills in per target. The kind's own fields are checked as the agent
 * checks them (with the netem library and the units parsers) and kept, as the user wrote
 * them, in fl_fault_spec.params: a fault that parses here is one the agent accepts.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "exp_internal.h"
#include "fl/netem.h"
#include "fl/nft.h"
#include "fl/units.h"

#define NETEM_TEXT_MAX	 1024
#define NETEM_WORDS_MAX	 96
#define MATCH_TEXT_MAX	 127
#define DELAY_MAX_NS	 (60 * EX_NS_PER_S) /* the agent's delay line */
#define MAX_HELD_LIMIT	 1000000
#define DEFAULT_LEASE_NS (10 * EX_NS_PER_S)
/* The agent's wire check (agent/src/wire.h): what it can tell and how long it waits. */
#define WIRE_LEAST_MIN_NS (20 * 1000000ull)
#define WIRE_DELAY_MAX_NS (1 * EX_NS_PER_S)

enum kind {
	K_NETWORK,
	K_PARTITION,
	K_LOSS,
	K_BANDWIDTH,
	K_DELAY,
	K_CONTAINER_KILL,
	K_PROCESS_KILL,
	K_POD_DELETE,
	K_COUNT,
};

static const char *const kind_names[K_COUNT] = {
	"network", "partition",	     "loss",	     "bandwidth",
	"delay",   "container-kill", "process-kill", "pod-delete",
};

#define KIND_LIST                                                                    \
	"network, partition, loss, bandwidth, delay, container-kill, process-kill, " \
	"pod-delete"

enum field {
	F_NAME,
	F_TARGET,
	F_KIND,
	F_DURATION,
	F_LEASE,
	F_DIRECTION,
	F_INTERFACE,
	F_TO,
	F_FROM,
	F_NETEM,
	F_PARTITION,
	F_LOSS,
	F_BANDWIDTH,
	F_DELAY,
	F_KILL,
	F_VERIFY,
	F_COUNT,
};

static const char *const field_names[F_COUNT] = {
	"name", "target", "kind",      "duration", "lease",	"direction", "interface", "to",
	"from", "netem",  "partition", "loss",	   "bandwidth", "delay",     "kill",	  "verify",
};

#define B(f)   (1u << (f))
#define COMMON (B(F_NAME) | B(F_TARGET) | B(F_KIND))
#define TIMED  (B(F_DURATION) | B(F_LEASE) | B(F_DIRECTION) | B(F_TO))

static const unsigned kind_fields[K_COUNT] = {
	[K_NETWORK] = COMMON | TIMED | B(F_INTERFACE) | B(F_FROM) | B(F_NETEM) | B(F_VERIFY),
	[K_PARTITION] = COMMON | TIMED | B(F_PARTITION) | B(F_VERIFY),
	[K_LOSS] = COMMON | TIMED | B(F_LOSS),
	[K_BANDWIDTH] = COMMON | TIMED | B(F_INTERFACE) | B(F_FROM) | B(F_BANDWIDTH),
	[K_DELAY] = COMMON | TIMED | B(F_DELAY) | B(F_VERIFY),
	[K_CONTAINER_KILL] = COMMON | B(F_KILL),
	[K_PROCESS_KILL] = COMMON | B(F_KILL),
	[K_POD_DELETE] = COMMON | B(F_KILL),
};

void fl_exp_fault_clear(struct fl_fault_spec *f)
{
	free(f->name);
	free(f->target);
	free(f->kind);
	json_decref(f->params);
	memset(f, 0, sizeof(*f));
}

static bool is_kill(enum kind k)
{
	return k == K_CONTAINER_KILL || k == K_PROCESS_KILL || k == K_POD_DELETE;
}

/* Put a string into params (jansson copies it). */
static int put_str(json_t *obj, const char *key, const char *value)
{
	return json_object_set_new(obj, key, json_string(value)) < 0 ? -ENOMEM : 0;
}

/* The netem or nft library's message (in c->diag) said again with the path, at n. */
static int library_error(struct exp_ctx *c, const struct fl_ynode *n, const char *key)
{
	char msg[FL_DIAG_MSG_MAX];

	(void)snprintf(msg, sizeof(msg), "%s", c->diag ? c->diag->msg : "");
	return fl_exp_err_key(c, n, key, "%s", msg);
}

/* A scalar at map[key] that must be a string (numbers accepted where the agent reads a
 * number-like string, e.g. a percentage: then allow_number). */
static int scalar_text(struct exp_ctx *c, const struct fl_ynode *map, const char *key,
		       bool allow_number, const struct fl_ynode **ret_node, char **ret)
{
	const struct fl_ynode *n = fl_ynode_get(map, key);
	enum fl_ytype t;
	size_t old;
	int r;

	*ret_node = n;
	if (!n)
		return 0;
	t = n ? fl_ynode_type(n) : FL_YTYPE_NULL;
	if (allow_number && (t == FL_YTYPE_INT || t == FL_YTYPE_FLOAT)) {
		if (!(*ret = strdup(n->text)))
			return -ENOMEM;
		return 0;
	}
	old = fl_exp_push_key(c, key);
	r = fl_exp_str_node(c, n, 64, false, ret);
	fl_exp_pop(c, old);
	return r;
}

/* ---- the kinds' objects ----------------------------------------------------------------- */

static int parse_netem(struct exp_ctx *c, const struct fl_ynode *f, struct fl_netem_fault *nf,
		       json_t *params)
{
	const struct fl_ynode *n = fl_ynode_get(f, "netem");
	char buf[NETEM_TEXT_MAX + 1], *argv[NETEM_WORDS_MAX], *p;
	char *text = NULL;
	int argc = 0, r;

	if (!n)
		return fl_exp_err_key(c, f, "netem",
				      "required for kind network (tc netem options, e.g. \"delay "
				      "100ms 10ms loss 1%%\")");
	if ((r = fl_exp_str(c, f, "netem", NETEM_TEXT_MAX, false, &text)) < 0)
		return r;
	memcpy(buf, text, strlen(text) + 1);
	r = put_str(params, "netem", text);
	free(text);
	if (r < 0)
		return r;
	for (p = buf; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == NETEM_WORDS_MAX)
			return fl_exp_err_key(c, n, "netem", "more than %d words", NETEM_WORDS_MAX);
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (argc == 0)
		return fl_exp_err_key(
			c, n, "netem",
			"empty (expected tc netem options, e.g. \"delay 100ms 10ms loss "
			"1%%\")");
	if (fl_netem_parse_tc(argc, argv, &nf->netem, c->diag) < 0)
		return library_error(c, n, "netem");
	nf->kind = FL_NETEM_FAULT_NETEM;
	return 0;
}

static int bandwidth_size(struct exp_ctx *c, const struct fl_ynode *n, const char *key,
			  const char *text, uint32_t *ret)
{
	char q[EX_QUOTE];
	uint64_t b;

	if (fl_parse_size(text, &b) < 0)
		return fl_exp_err_key(c, n, key,
				      "%s is not a size (expected e.g. 32kb, 1mb, 15000b)",
				      fl_exp_quote(n, q, sizeof(q)));
	if (b == 0 || b > UINT32_MAX)
		return fl_exp_err_key(c, n, key, "%s is not in 1b..4gb",
				      fl_exp_quote(n, q, sizeof(q)));
	*ret = (uint32_t)b;
	return 0;
}

/* A block of the fault: a kind's own (named after the kind) or verify. */
struct block {
	const struct fl_ynode *n; /* NULL: absent */
	json_t *obj;		  /* params[key], borrowed from params */
	size_t old;		  /* the path's length before the key */
};

/*
 * The fault's block at `key`. Absent: an error when the kind needs it (example: what to
 * write; NULL when optional), else 0 with b->n NULL. Present: only `allowed` keys in it,
 * and a new JSON object params[key] for what it holds. The key is pushed onto the path once
 * the block is found, whatever happens next: the caller pops b->old (a no-op when absent).
 */
static int open_block(struct exp_ctx *c, const struct fl_ynode *f, const char *key,
		      const char *example, const char *const *allowed, json_t *params,
		      struct block *b)
{
	int r;

	*b = (struct block){ .n = fl_ynode_get(f, key), .old = c->len };
	if (!b->n)
		return example ? fl_exp_err_key(c, f, key, "required for kind %s (e.g. %s)", key,
						example)
			       : 0;
	b->old = fl_exp_push_key(c, key);
	if ((r = fl_exp_map(c, b->n, allowed)) < 0)
		return r;
	if (!(b->obj = json_object()) || json_object_set_new(params, key, b->obj) < 0)
		return -ENOMEM;
	return 0;
}

static int parse_bandwidth(struct exp_ctx *c, const struct fl_ynode *f, struct fl_netem_fault *nf,
			   json_t *params)
{
	static const char *const allowed[] = { "rate", "burst", "limit", "latency", NULL };
	struct fl_tbf_spec *tbf = &nf->tbf;
	const struct fl_ynode *n, *v;
	struct block b;
	char q[EX_QUOTE];
	int r;

	if ((r = open_block(c, f, "bandwidth", "{rate: 10mbit}", allowed, params, &b)) < 0)
		goto out;
	n = b.n;
	for (const char *const *key = allowed; *key; key++) {
		char *text = NULL;

		if ((r = scalar_text(c, n, *key, false, &v, &text)) < 0)
			goto out;
		if (!v) {
			if (strcmp(*key, "rate") == 0) {
				r = fl_exp_err_key(c, n, "rate",
						   "required (expected e.g. 10mbit, 1gbit, "
						   "500kbps)");
				goto out;
			}
			continue;
		}
		r = put_str(b.obj, *key, text);
		if (r == 0 && strcmp(*key, "rate") == 0) {
			if (fl_parse_rate_Bps(text, &tbf->rate_bytes_per_s) < 0)
				r = fl_exp_err_key(c, v, "rate",
						   "%s is not a rate (expected e.g. 10mbit, 1gbit, "
						   "500kbps)",
						   fl_exp_quote(v, q, sizeof(q)));
			else if (tbf->rate_bytes_per_s == 0)
				r = fl_exp_err_key(c, v, "rate",
						   "%s: must be at least 8bit (1 byte per second)",
						   fl_exp_quote(v, q, sizeof(q)));
		} else if (r == 0 && strcmp(*key, "burst") == 0) {
			r = bandwidth_size(c, v, "burst", text, &tbf->burst_bytes);
		} else if (r == 0 && strcmp(*key, "limit") == 0) {
			r = bandwidth_size(c, v, "limit", text, &tbf->limit_bytes);
		} else if (r == 0) {
			if (fl_ynode_get(n, "limit"))
				r = fl_exp_err_key(c, v, "latency",
						   "not allowed with limit (the latency sets the "
						   "limit)");
			else
				r = fl_exp_duration(c, n, "latency", FL_NETEM_MAX_DELAY_NS,
						    &tbf->latency_ns);
		}
		free(text);
		if (r < 0)
			goto out;
	}
	if (fl_tbf_validate(tbf, c->diag) < 0) {
		r = library_error(c, n, NULL);
		goto out;
	}
	nf->kind = FL_NETEM_FAULT_TBF;
out:
	fl_exp_pop(c, b.old);
	return r;
}

static int parse_partition(struct exp_ctx *c, const struct fl_ynode *f, struct fl_nft_fault *nft,
			   json_t *params)
{
	static const char *const allowed[] = { "action", NULL };
	const struct fl_ynode *v;
	struct block b;
	char q[EX_QUOTE];
	char *text = NULL;
	int r;

	if ((r = open_block(c, f, "partition", NULL, allowed, params, &b)) < 0 || !b.n ||
	    (r = scalar_text(c, b.n, "action", false, &v, &text)) < 0 || !v)
		goto out;
	if (strcmp(text, "reject") == 0)
		nft->action = FL_NFT_REJECT;
	else if (strcmp(text, "drop") != 0)
		r = fl_exp_err_key(c, v, "action", "%s is not one of drop, reject",
				   fl_exp_quote(v, q, sizeof(q)));
	if (r == 0)
		r = put_str(b.obj, "action", text);
out:
	free(text);
	fl_exp_pop(c, b.old);
	return r;
}

static int parse_loss(struct exp_ctx *c, const struct fl_ynode *f, struct fl_nft_fault *nft,
		      json_t *params)
{
	static const char *const allowed[] = { "percent", NULL };
	const struct fl_ynode *v;
	struct block b;
	char q[EX_QUOTE];
	char *text = NULL;
	double pct;
	int r;

	if ((r = open_block(c, f, "loss", "{percent: 5%}", allowed, params, &b)) < 0 ||
	    (r = scalar_text(c, b.n, "percent", true, &v, &text)) < 0)
		goto out;
	if (!v) {
		r = fl_exp_err_key(c, b.n, "percent", "required (expected e.g. 5%%)");
		goto out;
	}
	r = fl_parse_percent(text, &pct);
	if (r == -ERANGE)
		r = fl_exp_err_key(c, v, "percent", "%s is above 100%%",
				   fl_exp_quote(v, q, sizeof(q)));
	else if (r < 0)
		r = fl_exp_err_key(c, v, "percent",
				   "%s is not a percentage (expected e.g. 5%%, 0.5%%)",
				   fl_exp_quote(v, q, sizeof(q)));
	else if (pct <= 0)
		r = fl_exp_err_key(c, v, "percent",
				   "%s does nothing (expected above 0%% and at most 100%%)",
				   fl_exp_quote(v, q, sizeof(q)));
	if (r < 0)
		goto out;
	nft->action = FL_NFT_DROP;
	nft->percent = pct;
	r = put_str(b.obj, "percent", text);
out:
	free(text);
	fl_exp_pop(c, b.old);
	return r;
}

static int parse_delay(struct exp_ctx *c, const struct fl_ynode *f, struct fl_nft_fault *nft,
		       json_t *params)
{
	static const char *const allowed[] = { "delay", "jitter", "maxHeld", NULL };
	const struct fl_ynode *n, *v;
	uint64_t delay = 0, jitter = 0;
	struct block b;
	char q[EX_QUOTE];
	char *text = NULL;
	int r;

	r = open_block(c, f, "delay", "{delay: 200ms, jitter: 50ms}", allowed, params, &b);
	if (r < 0)
		goto out;
	n = b.n;
	if (!(v = fl_ynode_get(n, "delay"))) {
		r = fl_exp_err_key(c, n, "delay", "required (expected e.g. 200ms)");
		goto out;
	}
	if ((r = fl_exp_duration(c, n, "delay", DELAY_MAX_NS, &delay)) < 0 ||
	    (r = put_str(b.obj, "delay", v->text)) < 0)
		goto out;
	if ((r = scalar_text(c, n, "jitter", false, &v, &text)) < 0)
		goto out;
	if (v) {
		/* 0 jitter is fine (unlike a 0 delay). */
		if (fl_parse_duration_strict_ns(text, &jitter) < 0)
			r = fl_exp_err_key(c, v, "jitter",
					   "%s is not a duration (expected e.g. 50ms)",
					   fl_exp_quote(v, q, sizeof(q)));
		else if (jitter > delay)
			r = fl_exp_err_key(c, v, "jitter",
					   "%s is above the delay (expected jitter <= "
					   "delay)",
					   fl_exp_quote(v, q, sizeof(q)));
		else
			r = put_str(b.obj, "jitter", text);
		if (r < 0)
			goto out;
	}
	if ((v = fl_ynode_get(n, "maxHeld"))) {
		int64_t held = 0;
		size_t o2 = fl_exp_push_key(c, "maxHeld");

		if ((r = fl_exp_want(c, v, FL_YTYPE_INT, "an integer")) == 0 &&
		    (fl_ynode_int(v, &held) < 0 || held < 1 || held > MAX_HELD_LIMIT))
			r = fl_exp_err(c, v, "%s is not a packet count (expected 1 to %d)",
				       fl_exp_quote(v, q, sizeof(q)), MAX_HELD_LIMIT);
		fl_exp_pop(c, o2);
		if (r < 0)
			goto out;
		if (json_object_set_new(b.obj, "maxHeld", json_integer(held)) < 0)
			r = -ENOMEM;
	}
	/* The agent steers packets to its delay line with nft QUEUE (a queue number of its
	 * choosing): check the peers the same way, with a stand-in number. */
	nft->action = FL_NFT_QUEUE;
	nft->queue_num = 1;
	nft->queue_bypass = true;
out:
	free(text);
	fl_exp_pop(c, b.old);
	return r;
}

static const char *const signal_names[] = { "SIGKILL", "SIGTERM", "SIGINT",  "SIGHUP",
					    "SIGQUIT", "SIGUSR1", "SIGUSR2", NULL };

/* kill.signal: a name of signal_names or a number 1..64, kept as written. */
static int parse_kill_signal(struct exp_ctx *c, const struct fl_ynode *sig, json_t *obj)
{
	enum fl_ytype t = fl_ynode_type(sig);
	char q[EX_QUOTE];
	int64_t num;
	bool ok = false;
	int r = 0;

	if (t == FL_YTYPE_INT) {
		ok = fl_ynode_int(sig, &num) == 0 && num >= 1 && num <= 64;
		if (ok && json_object_set_new(obj, "signal", json_integer(num)) < 0)
			r = -ENOMEM;
	} else if (t == FL_YTYPE_STRING) {
		for (const char *const *s = signal_names; *s && !ok; s++)
			ok = strcmp(sig->text, *s) == 0;
		if (ok)
			r = put_str(obj, "signal", sig->text);
	}
	if (r < 0)
		return r;
	if (!ok)
		return fl_exp_err_key(c, sig, "signal",
				      "%s is not a signal (expected SIGKILL, SIGTERM, SIGINT, "
				      "SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or a number 1..64)",
				      fl_exp_quote(sig, q, sizeof(q)));
	return 0;
}

/* kill.gracePeriod: container-kill without a signal only; whole seconds up to a day. */
static int parse_kill_grace(struct exp_ctx *c, const struct fl_ynode *grace, enum kind kind,
			    bool has_signal, json_t *obj)
{
	char q[EX_QUOTE];
	uint64_t ns = 0;

	if (kind == K_PROCESS_KILL)
		return fl_exp_err_key(c, grace, "gracePeriod",
				      "not allowed for kind process-kill (it sends kill.signal at "
				      "once)");
	if (has_signal)
		return fl_exp_err_key(c, grace, "gracePeriod",
				      "not allowed with signal (the grace period is CRI "
				      "StopContainer's; a signal is sent at once)");
	if (fl_ynode_type(grace) != FL_YTYPE_STRING ||
	    fl_parse_duration_strict_ns(grace->text, &ns) < 0 || ns > EX_DAY_NS)
		return fl_exp_err_key(c, grace, "gracePeriod",
				      "%s is not a duration of at most 24h (expected e.g. 10s, 0s)",
				      fl_exp_quote(grace, q, sizeof(q)));
	if (ns % EX_NS_PER_S)
		return fl_exp_err_key(c, grace, "gracePeriod",
				      "%s is not a whole number of seconds (CRI and the "
				      "Kubernetes API count in seconds)",
				      fl_exp_quote(grace, q, sizeof(q)));
	return put_str(obj, "gracePeriod", grace->text);
}

static int parse_kill(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind, json_t *params)
{
	static const char *const allowed[] = { "signal", "gracePeriod", NULL };
	const struct fl_ynode *sig, *grace;
	struct block b;
	int r;

	if ((r = open_block(c, f, "kill", NULL, allowed, params, &b)) < 0 || !b.n)
		goto out;
	sig = fl_ynode_get(b.n, "signal");
	grace = fl_ynode_get(b.n, "gracePeriod");
	if (sig && kind == K_POD_DELETE) {
		r = fl_exp_err_key(c, sig, "signal",
				   "not allowed for kind pod-delete (the kubelet sends SIGTERM, "
				   "then SIGKILL after gracePeriod)");
		goto out;
	}
	if (sig && (r = parse_kill_signal(c, sig, b.obj)) < 0)
		goto out;
	if (grace)
		r = parse_kill_grace(c, grace, kind, sig != NULL, b.obj);
out:
	fl_exp_pop(c, b.old);
	return r;
}

/* ---- where: direction, interface, to / from ------------------------------------------- */

static int parse_direction(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind,
			   struct fl_netem_fault *nf, enum fl_nft_direction *nft_dir,
			   json_t *params)
{
	bool both_ok = kind == K_PARTITION || kind == K_LOSS;
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	char *text = NULL;
	int r;

	*nft_dir = kind == K_PARTITION ? FL_NFT_BOTH : FL_NFT_OUT;
	if ((r = scalar_text(c, f, "direction", false, &v, &text)) < 0 || !v)
		return r;
	if (strcmp(text, "egress") == 0) {
		*nft_dir = FL_NFT_OUT;
		nf->direction = FL_NETEM_EGRESS;
	} else if (strcmp(text, "ingress") == 0) {
		*nft_dir = FL_NFT_IN;
		nf->direction = FL_NETEM_INGRESS;
	} else if (strcmp(text, "both") == 0 && both_ok) {
		*nft_dir = FL_NFT_BOTH;
	} else {
		free(text);
		return fl_exp_err_key(c, v, "direction",
				      "%s is not a direction for kind %s (expected %s)",
				      fl_exp_quote(v, q, sizeof(q)), kind_names[kind],
				      both_ok ? "egress, ingress or both" : "egress or ingress");
	}
	r = put_str(params, "direction", text);
	free(text);
	return r;
}

/* The kernel's dev_valid_name(), restricted to printable ASCII (as the agent). */
static bool valid_ifname(const char *s)
{
	if (!s[0] || strlen(s) > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch <= 0x20 || ch >= 0x7f || ch == '/' || ch == ':')
			return false;
	}
	return true;
}

static int parse_interface(struct exp_ctx *c, const struct fl_ynode *f, json_t *params)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	char *text = NULL;
	int r;

	if ((r = scalar_text(c, f, "interface", false, &v, &text)) < 0 || !v)
		return r;
	if (!valid_ifname(text))
		r = fl_exp_err_key(c, v, "interface",
				   "%s is not an interface name (1 to 15 printable characters, no "
				   "'/', ':' or space)",
				   fl_exp_quote(v, q, sizeof(q)));
	else
		r = put_str(params, "interface", text);
	free(text);
	return r;
}

static int parse_matches(struct exp_ctx *c, const struct fl_ynode *f, const char *key, bool source,
			 struct fl_netem_match *matches, unsigned *n_matches, json_t *params)
{
	const struct fl_ynode *list;
	json_t *arr;
	size_t old;
	int r;

	if ((r = fl_exp_seq(c, f, key, FL_NETEM_MAX_MATCHES, &list)) < 0 || !list)
		return r;
	old = fl_exp_push_key(c, key);
	if (list->n > FL_NETEM_MAX_MATCHES - *n_matches) {
		r = fl_exp_err(c, list, "%u addresses; at most %u in total (to and from together)",
			       list->n + *n_matches, FL_NETEM_MAX_MATCHES);
		goto out;
	}
	if (!(arr = json_array()) || json_object_set_new(params, key, arr) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; r == 0 && i < list->n; i++) {
		size_t o2 = fl_exp_push_index(c, i);
		char *text = NULL;

		r = fl_exp_str_node(c, list->items[i], MATCH_TEXT_MAX, false, &text);
		if (r == 0 &&
		    fl_netem_match_parse(text, source, &matches[*n_matches], c->diag) < 0) {
			char msg[FL_DIAG_MSG_MAX];
			const char *m = c->diag ? c->diag->msg : "";

			/* The library says "target: ..."; here the field has a name. */
			if (strncmp(m, "target: ", 8) == 0)
				m += 8;
			(void)snprintf(msg, sizeof(msg), "%s", m);
			r = fl_exp_err(c, list->items[i], "%s", msg);
		}
		if (r == 0) {
			(*n_matches)++;
			if (json_array_append_new(arr, json_string(text)) < 0)
				r = -ENOMEM;
		}
		free(text);
		fl_exp_pop(c, o2);
	}
out:
	fl_exp_pop(c, old);
	return r;
}

/* ---- verify: the agent's wire check ---------------------------------------------------- */

/* Every "to" one address with a TCP port (the check connects to each). */
static int wire_destinations(struct exp_ctx *c, const struct fl_ynode *w,
			     const struct fl_netem_match *m, unsigned n)
{
	unsigned to = 0;

	for (unsigned i = 0; i < n; i++) {
		if (m[i].source)
			continue;
		if (m[i].prefix_len != (m[i].family == AF_INET6 ? 128 : 32))
			return fl_exp_err_key(
				c, w, "wire",
				"to[%u] is a network (/%u), not one address: the wire "
				"check connects to every destination (expected e.g. "
				"10.0.0.5:9092)",
				to, m[i].prefix_len);
		if (!m[i].port)
			return fl_exp_err_key(
				c, w, "wire",
				"to[%u] has no port: the wire check connects to every "
				"destination, so each needs a TCP port (expected e.g. "
				"10.0.0.5:9092)",
				to);
		if (m[i].ip_proto != IPPROTO_TCP)
			return fl_exp_err_key(c, w, "wire",
					      "to[%u] is UDP: the wire check measures TCP connects",
					      to);
		to++;
	}
	if (to == 0)
		return fl_exp_err_key(c, w, "wire",
				      "needs to with the destinations to measure (address and TCP "
				      "port, e.g. [10.0.0.5:9092])");
	return 0;
}

/* The delay kinds: a delay the check can tell from noise and waits for (as the agent). */
static int wire_delay(struct exp_ctx *c, const struct fl_ynode *w, enum kind kind,
		      const struct fl_netem_spec *netem, json_t *params)
{
	uint64_t delay = 0, jitter = 0, spread, least;
	const char *how = "delay - jitter";
	char d[32], j[32], l[32];

	if (kind == K_NETWORK) {
		if (netem->delay_ns == 0)
			return fl_exp_err_key(
				c, w, "wire",
				"netem without a delay (the wire check measures connect "
				"times: kind network needs a delay above 0)");
		delay = netem->delay_ns;
		jitter = spread = netem->jitter_ns;
		if (netem->distribution != FL_NETEM_DIST_NONE) {
			spread = 2 * jitter;
			how = "delay - 2 x jitter, jitter being a standard deviation with a "
			      "distribution";
		}
	} else {
		json_t *o = json_object_get(params, "delay");
		const char *dt = json_string_value(json_object_get(o, "delay"));
		const char *jt = json_string_value(json_object_get(o, "jitter"));

		if (!dt || fl_parse_duration_strict_ns(dt, &delay) < 0 ||
		    (jt && fl_parse_duration_strict_ns(jt, &jitter) < 0))
			return 0; /* parse_delay has said what is wrong */
		spread = jitter;
	}
	least = delay > spread ? delay - spread : 0;
	fl_format_duration(delay, d, sizeof(d));
	fl_format_duration(jitter, j, sizeof(j));
	if (delay + jitter > WIRE_DELAY_MAX_NS)
		return fl_exp_err_key(c, w, "wire",
				      "delay %s + jitter %s is above what the wire check waits for "
				      "(delay + jitter <= 1s)",
				      d, j);
	fl_format_duration(least, l, sizeof(l));
	if (least < WIRE_LEAST_MIN_NS)
		return fl_exp_err_key(
			c, w, "wire",
			"delay %s with jitter %s leaves %s that every packet is delayed "
			"(%s): too little to tell from noise (the wire check needs at "
			"least 20ms)",
			d, j, l, how);
	return 0;
}

static int parse_verify(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind,
			const struct fl_netem_match *m, unsigned n_matches,
			const struct fl_netem_spec *netem, json_t *params)
{
	static const char *const allowed[] = { "wire", NULL };
	bool wire = false;
	struct block b;
	int r;

	if ((r = open_block(c, f, "verify", NULL, allowed, params, &b)) < 0 || !b.n ||
	    (r = fl_exp_bool(c, b.n, "wire", &wire)) < 0)
		goto out;
	if (json_object_set_new(b.obj, "wire", json_boolean(wire)) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (wire && (r = wire_destinations(c, fl_ynode_get(b.n, "wire"), m, n_matches)) == 0 &&
	    kind != K_PARTITION)
		r = wire_delay(c, fl_ynode_get(b.n, "wire"), kind, netem, params);
out:
	fl_exp_pop(c, b.old);
	return r;
}

/* ---- the fault ------------------------------------------------------------------------- */

/* Every field present belongs to the kind; others are named with the kinds they fit. */
static int check_fields(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind)
{
	const char *allowed[F_COUNT + 1];
	unsigned n = 0;

	for (unsigned i = 0; i < F_COUNT; i++)
		if (kind_fields[kind] & B(i))
			allowed[n++] = field_names[i];
	allowed[n] = NULL;
	for (unsigned i = 0; i < f->n; i++) {
		const struct fl_ynode *key = f->keys[i];
		char only[160] = "";
		const char *hint = "";
		size_t o = 0;
		unsigned fi;

		for (fi = 0; fi < F_COUNT; fi++)
			if (strlen(field_names[fi]) == key->len &&
			    memcmp(field_names[fi], key->text, key->len) == 0)
				break;
		if (fi == F_COUNT)
			return fl_exp_unknown_field(c, key, allowed);
		if (kind_fields[kind] & B(fi))
			continue;
		for (unsigned k = 0; k < K_COUNT; k++) {
			int w;

			if (!(kind_fields[k] & B(fi)))
				continue;
			w = snprintf(only + o, sizeof(only) - o, "%s%s", o ? ", " : "",
				     kind_names[k]);
			if (w > 0 && (size_t)w < sizeof(only) - o)
				o += (size_t)w;
		}
		if (fi == F_INTERFACE)
			hint = "; nftables rules act on every interface of the namespace";
		else if (is_kill(kind) && (fi == F_DURATION || fi == F_LEASE))
			hint = "; a kill happens once";
		else if (fi == F_VERIFY)
			hint = ": the faults a TCP connect shows";
		return fl_exp_err_key(c, key, field_names[fi],
				      "not allowed for kind %s (only for %s%s)", kind_names[kind],
				      only, hint);
	}
	return 0;
}

static int parse_kind(struct exp_ctx *c, const struct fl_ynode *f, enum kind *ret)
{
	const struct fl_ynode *v = fl_ynode_get(f, "kind");
	char q[EX_QUOTE];

	if (!v)
		return fl_exp_err_key(c, f, "kind", "required (one of " KIND_LIST ")");
	for (unsigned k = 0; k < K_COUNT; k++) {
		if (fl_ynode_type(v) == FL_YTYPE_STRING && strcmp(v->text, kind_names[k]) == 0) {
			*ret = (enum kind)k;
			return 0;
		}
	}
	return fl_exp_err_key(c, v, "kind",
			      "%s is not a fault kind (expected one of " KIND_LIST ")",
			      fl_exp_quote(v, q, sizeof(q)));
}

/* What a target selects, for messages. */
static const char *selects(const struct fl_target_sel *t)
{
	switch (t->kind) {
	case FL_SELECT_POD:
		return "pods through the agents' pod listing";
	case FL_SELECT_KUBE:
		return "pods through the Kubernetes API";
	case FL_SELECT_NETNS:
		return "a netns";
	case FL_SELECT_PID:
		return "a pid";
	}
	return "?";
}

static int check_target(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind,
			const struct fl_experiment *e, struct fl_fault_spec *fs)
{
	const struct fl_ynode *v = fl_ynode_get(f, "target");
	const struct fl_target_sel *t = NULL;
	int r;

	if ((r = fl_exp_name(c, f, "target", true, &fs->target)) < 0)
		return r;
	for (unsigned i = 0; i < e->n_targets && !t; i++)
		if (strcmp(e->targets[i].name, fs->target) == 0)
			t = &e->targets[i];
	if (!t)
		return fl_exp_err_key(c, v, "target", "\"%s\" is not defined in spec.targets",
				      fs->target);
	if (kind == K_POD_DELETE && t->kind != FL_SELECT_KUBE)
		return fl_exp_err_key(c, v, "target",
				      "kind pod-delete needs a pods target (pods found through the "
				      "Kubernetes API; \"%s\" selects %s)",
				      fs->target, selects(t));
	if (kind != K_POD_DELETE && t->kind == FL_SELECT_KUBE && !e->kube_agents)
		return fl_exp_err_key(
			c, v, "target",
			"kind %s acts through an agent: on pods found through the "
			"Kubernetes API (\"%s\") it needs spec.agents.kubernetes to find "
			"the agent on each pod's node (without it only pod-delete acts "
			"on them)",
			kind_names[kind], fs->target);
	if (kind == K_CONTAINER_KILL && t->kind != FL_SELECT_POD && t->kind != FL_SELECT_KUBE)
		return fl_exp_err_key(c, v, "target",
				      "kind container-kill needs a pod target (\"%s\" selects %s)",
				      fs->target, selects(t));
	if (kind == K_PROCESS_KILL && t->kind != FL_SELECT_PID)
		return fl_exp_err_key(c, v, "target",
				      "kind process-kill needs a pid target (\"%s\" selects %s)",
				      fs->target, selects(t));
	return 0;
}

static int parse_timing(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind,
			struct fl_fault_spec *fs)
{
	const struct fl_ynode *v;
	char q[EX_QUOTE];
	int r;

	if (is_kill(kind))
		return 0;
	if (!fl_ynode_get(f, "duration"))
		return fl_exp_err_key(c, f, "duration",
				      "required for kind %s (expected e.g. 30s, 5m)",
				      kind_names[kind]);
	if ((r = fl_exp_duration(c, f, "duration", EX_DAY_NS, &fs->duration_ns)) < 0)
		return r;
	/* The agent wants lease <= duration: a short fault gets a lease of its length. */
	fs->lease_ns = FL_MIN(DEFAULT_LEASE_NS, fs->duration_ns);
	if ((v = fl_ynode_get(f, "lease"))) {
		if ((r = fl_exp_duration(c, f, "lease", EX_DAY_NS, &fs->lease_ns)) < 0)
			return r;
		if (fs->lease_ns > fs->duration_ns)
			return fl_exp_err_key(
				c, v, "lease",
				"%s is longer than the duration (a lease must end before "
				"the fault does)",
				fl_exp_quote(v, q, sizeof(q)));
	}
	return 0;
}

static int parse_where_and_kind(struct exp_ctx *c, const struct fl_ynode *f, enum kind kind,
				json_t *params)
{
	struct fl_netem_match matches[FL_NETEM_MAX_MATCHES];
	struct fl_netem_fault nf = { 0 };
	struct fl_nft_fault nft = { 0 };
	enum fl_nft_direction nft_dir;
	unsigned n_matches = 0;
	int r;

	if (is_kill(kind))
		return parse_kill(c, f, kind, params);
	if ((r = parse_direction(c, f, kind, &nf, &nft_dir, params)) < 0 ||
	    (r = parse_interface(c, f, params)) < 0 ||
	    (r = parse_matches(c, f, "to", false, matches, &n_matches, params)) < 0 ||
	    (r = parse_matches(c, f, "from", true, matches, &n_matches, params)) < 0)
		return r;
	switch (kind) {
	case K_NETWORK:
	case K_BANDWIDTH:
		r = kind == K_NETWORK ? parse_netem(c, f, &nf, params)
				      : parse_bandwidth(c, f, &nf, params);
		if (r < 0)
			return r;
		memcpy(nf.matches, matches, n_matches * sizeof(matches[0]));
		nf.n_matches = n_matches;
		r = fl_netem_fault_validate(&nf, c->diag);
		break;
	case K_PARTITION:
	case K_LOSS:
	case K_DELAY:
		nft.action = FL_NFT_DROP;
		nft.percent = 100.0;
		r = kind == K_PARTITION ? parse_partition(c, f, &nft, params)
		    : kind == K_LOSS	? parse_loss(c, f, &nft, params)
					: parse_delay(c, f, &nft, params);
		if (r < 0)
			return r;
		nft.direction = nft_dir;
		memcpy(nft.peers, matches, n_matches * sizeof(matches[0]));
		nft.n_peers = n_matches;
		r = fl_nft_validate(&nft, c->diag);
		break;
	default:
		return 0;
	}
	if (r < 0)
		return library_error(c, f, NULL);
	return parse_verify(c, f, kind, matches, n_matches, &nf.netem, params);
}

int fl_exp_parse_fault(struct exp_ctx *c, const struct fl_ynode *f, unsigned index,
		       const struct fl_experiment *e, struct fl_fault_spec *fs)
{
	enum kind kind = K_NETWORK;
	char name[FL_EXP_NAME_MAX + 1];
	int r;

	if ((r = fl_exp_want(c, f, FL_YTYPE_MAP, "a mapping (a fault)")) < 0 ||
	    (r = parse_kind(c, f, &kind)) < 0 || (r = check_fields(c, f, kind)) < 0)
		return r;
	if (!(fs->kind = strdup(kind_names[kind])) || !(fs->params = json_object()))
		return -ENOMEM;
	if ((r = fl_exp_name(c, f, "name", false, &fs->name)) < 0)
		return r;
	if (!fs->name) {
		(void)snprintf(name, sizeof(name), "%s-%u", kind_names[kind], index);
		if (!(fs->name = strdup(name)))
			return -ENOMEM;
	}
	if ((r = check_target(c, f, kind, e, fs)) < 0 || (r = parse_timing(c, f, kind, fs)) < 0)
		return r;
	return parse_where_and_kind(c, f, kind, fs->params);
}
