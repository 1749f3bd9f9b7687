/* SPDX-License-Identifier: MIT */
/*
 * libfl-netem — network faults as rtnetlink messages.
 *
 * A fault is a plain value (struct fl_netem_spec for netem, struct fl_tbf_spec for a
 * bandwidth limit, struct fl_netem_fault to say where and for which traffic). The life of
 * a fault:
 *
 *     fl_netem_validate()    -> a precise message naming the field, or 0
 *     fl_netem_encode_*()    -> bytes in a caller-owned buffer (no socket, no globals)
 *     fl_netem_apply()       -> sent through a struct fl_nl (real socket, maybe in another
 *                               network namespace, or any struct fl_nl_transport)
 *     fl_netem_verify()      -> dumped back from the kernel, decoded, compared
 *     fl_netem_remove()      -> gone, and only what Faultline created is touched
 *
 * Everything Faultline creates carries a reserved identifier (below), so that
 * fl_netem_sweep() can find and remove exactly those objects and nothing else.
 *
 * Times are nanoseconds, percentages are 0..100 (doubles, as a user writes them), rates
 * are bytes per second. Library functions never log: they return -errno and, where a
 * struct fl_diag is passed, a message for a human.
 */
#ifndef FL_NETEM_H
#define FL_NETEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fl/diag.h"

/* ---- Reserved identifiers: how reconcile recognises what is ours --------------------- */

/* Root qdisc of every Faultline tree: handle FA17:0 (for a targeted tree the htb root,
 * its class FA17:1 steers matching packets to the child). */
#define FL_NETEM_ROOT_MAJOR 0xFA17u
/* The netem / tbf child under class FA17:1 of a targeted tree: handle FA18:0. */
#define FL_NETEM_CHILD_MAJOR 0xFA18u
/* Priority of the u32 filters Faultline adds: IPv4 steering and the ingress redirect use
 * FA17, IPv6 steering FA18 (the kernel wants one protocol per priority). */
#define FL_NETEM_FILTER_PRIO  0xFA17u
#define FL_NETEM_FILTER_PRIO6 0xFA18u
/* Ingress faults run on an IFB device named "flifb<ifindex of the real device>". */
#define FL_NETEM_IFB_PREFIX "flifb"
/* Cookie on the mirred action that redirects ingress traffic to the IFB device. */
#define FL_NETEM_ACT_COOKIE "faultline"

#define FL_NETEM_HANDLE(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))

/* ---- Limits --------------------------------------------------------------------------- */

#define FL_NETEM_DEFAULT_LIMIT 1000u		/* packets, as tc */
#define FL_NETEM_MAX_DELAY_NS  3600000000000ull /* one hour: anything longer is a typo */
#define FL_NETEM_DIST_ENTRIES  4096		/* size of the generated tables */
#define FL_NETEM_MAX_MATCHES   16		/* destinations of one targeted fault */
/* A request with two distribution tables (delay + slot) and headers fits in this. */
#define FL_NETEM_MSG_MAX 40960

/* ---- Distribution tables (dist.c) ---------------------------------------------------- */

enum fl_netem_dist {
	FL_NETEM_DIST_NONE = 0, /* uniform jitter: the kernel's default */
	FL_NETEM_DIST_NORMAL,
	FL_NETEM_DIST_PARETO,
	FL_NETEM_DIST_PARETONORMAL,
	FL_NETEM_DIST_CUSTOM, /* decoded from a table we did not generate; cannot be encoded */
};

/*
 * Fill ret_table with the FL_NETEM_DIST_ENTRIES entries of a named distribution, computed
 * from the same formulas as iproute2's netem/{normal,pareto,paretonormal}.c (values scaled
 * by NETEM_DIST_SCALE = 8192, clamped to int16). Returns the number of entries, -EINVAL
 * for NONE/CUSTOM, -ENOSPC when n is too small.
 */
int fl_netem_dist_table(enum fl_netem_dist dist, int16_t *ret_table, size_t n) _wur_;
const char *fl_netem_dist_name(enum fl_netem_dist dist);
/* "normal", "pareto", "paretonormal" -> enum; -EINVAL otherwise. */
int fl_netem_dist_from_name(const char *name, enum fl_netem_dist *ret_dist) _wur_;

/* ---- The netem spec ------------------------------------------------------------------ */

enum fl_netem_loss_model {
	FL_NETEM_LOSS_NONE = 0,
	FL_NETEM_LOSS_RANDOM,  /* tc "loss random P [CORR]" */
	FL_NETEM_LOSS_STATE,   /* tc "loss state p13 [p31 [p32 [p23 [p14]]]]" (4-state Markov) */
	FL_NETEM_LOSS_GEMODEL, /* tc "loss gemodel p [r [1-h [1-k]]]" (Gilbert-Elliott) */
};

struct fl_netem_loss {
	enum fl_netem_loss_model model;
	double percent;			/* RANDOM */
	double correlation;		/* RANDOM */
	double p13, p31, p32, p23, p14; /* STATE: transition probabilities, percent */
	double ge_p;			/* GEMODEL: good -> bad */
	double ge_r;			/* GEMODEL: bad -> good */
	double ge_1_h;			/* GEMODEL: loss probability in the bad state ("1-h") */
	double ge_1_k;			/* GEMODEL: loss probability in the good state ("1-k") */
};

/* Slotting (tc "slot MIN [MAX] | slot distribution D DELAY JITTER", "packets", "bytes"). */
struct fl_netem_slot {
	bool enabled;
	uint64_t min_delay_ns, max_delay_ns;
	enum fl_netem_dist dist; /* NONE: uniform between min and max */
	uint64_t dist_delay_ns, dist_jitter_ns;
	int32_t max_packets; /* 0: no limit */
	int32_t max_bytes;   /* 0: no limit */
};

struct fl_netem_spec {
	uint64_t delay_ns;
	uint64_t jitter_ns;
	double delay_correlation;
	enum fl_netem_dist distribution;
	struct fl_netem_loss loss;
	double duplicate, duplicate_correlation;
	double corrupt, corrupt_correlation;
	double reorder, reorder_correlation;
	uint32_t gap;
	uint64_t rate_bytes_per_s; /* 0: no rate limit */
	int32_t rate_packet_overhead;
	uint32_t rate_cell_size;
	int32_t rate_cell_overhead;
	uint32_t limit; /* packets; 0 means FL_NETEM_DEFAULT_LIMIT */
	bool ecn;	/* mark ECN-capable packets instead of dropping them */
	struct fl_netem_slot slot;
};

/* 0 when spec is one the kernel can run as meant; else -EINVAL and diag names the field. */
int fl_netem_validate(const struct fl_netem_spec *spec, struct fl_diag *diag) _wur_;

/*
 * Parse tc's netem syntax ("delay 100ms 10ms 25% distribution normal loss 1%") into
 * ret_spec (zeroed first). Accepts what iproute2 6.1 accepts, with the same defaults;
 * the result is validated. 0 or -EINVAL with diag naming the word and the problem.
 */
int fl_netem_parse_tc(int argc, char *const *argv, struct fl_netem_spec *ret_spec,
		      struct fl_diag *diag) _wur_;

/* Render spec in tc syntax into buf (always NUL-terminated). Returns the length needed. */
size_t fl_netem_format_tc(const struct fl_netem_spec *spec, char *buf, size_t size);

/*
 * Encode the TCA_OPTIONS attribute of a netem qdisc (attribute header included) into buf:
 * struct tc_netem_qopt followed by the TCA_NETEM_* attributes, in iproute2's order, so the
 * bytes equal what `tc qdisc add ... netem <same options>` sends. Deliberate difference:
 * when a delay or jitter is not a whole number of 64 ns scheduler ticks (or exceeds 32 bit
 * ticks), TCA_NETEM_LATENCY64/JITTER64 carry the exact value as well.
 * Returns the attribute length, -EINVAL (invalid spec) or -ENOSPC.
 */
ssize_t fl_netem_encode_options(const struct fl_netem_spec *spec, void *buf, size_t size) _wur_;

/*
 * Decode a netem TCA_OPTIONS payload (the bytes after the attribute header) as sent by tc
 * or dumped by the kernel. A known distribution table is recognised by its contents.
 * Returns 0, or -EINVAL/-EBADMSG with diag saying which attribute is malformed.
 * Never reads outside [payload, payload + len).
 */
int fl_netem_decode_options(const void *payload, size_t len, struct fl_netem_spec *ret_spec,
			    struct fl_diag *diag) _wur_;

/* The kernel's 32-bit probability (0 = never, UINT32_MAX = always) for a percentage. */
uint32_t fl_netem_percent_to_u32(double percent);
double fl_netem_u32_to_percent(uint32_t value);

/* ---- Bandwidth limit (tbf) ----------------------------------------------------------- */

struct fl_tbf_spec {
	uint64_t rate_bytes_per_s;
	uint32_t burst_bytes; /* bucket size; 0: rate/HZ-ish default (see tbf.c) */
	uint32_t limit_bytes; /* queue size; 0: derived from latency_ns */
	uint64_t latency_ns;  /* used when limit_bytes is 0; 0: 200 ms */
};

int fl_tbf_validate(const struct fl_tbf_spec *spec, struct fl_diag *diag) _wur_;
/* tc syntax: "rate 10mbit burst 32kbit [limit 10kb | latency 50ms]". Validated. */
int fl_tbf_parse_tc(int argc, char *const *argv, struct fl_tbf_spec *ret_spec,
		    struct fl_diag *diag) _wur_;
ssize_t fl_tbf_encode_options(const struct fl_tbf_spec *spec, void *buf, size_t size) _wur_;
int fl_tbf_decode_options(const void *payload, size_t len, struct fl_tbf_spec *ret_spec,
			  struct fl_diag *diag) _wur_;

/* ---- Where a fault goes -------------------------------------------------------------- */

enum fl_netem_direction {
	FL_NETEM_EGRESS = 0, /* packets leaving the interface */
	FL_NETEM_INGRESS,    /* packets arriving: redirected through an IFB device */
};

enum fl_netem_fault_kind {
	FL_NETEM_FAULT_NETEM = 0,
	FL_NETEM_FAULT_TBF,
};

/* Only packets matching one of these are affected (empty list: all traffic). */
struct fl_netem_match {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; the first 4 bytes for AF_INET */
	uint8_t prefix_len;
	bool source;	  /* match the source instead of the destination */
	uint8_t ip_proto; /* 0: any; IPPROTO_TCP / IPPROTO_UDP (required with a port) */
	uint16_t port;	  /* host byte order; 0: any */
};

struct fl_netem_fault {
	enum fl_netem_fault_kind kind;
	struct fl_netem_spec netem; /* kind NETEM */
	struct fl_tbf_spec tbf;	    /* kind TBF */
	enum fl_netem_direction direction;
	unsigned n_matches;
	struct fl_netem_match matches[FL_NETEM_MAX_MATCHES];
};

int fl_netem_fault_validate(const struct fl_netem_fault *fault, struct fl_diag *diag) _wur_;
/* "10.0.0.0/24", "10.0.0.2:9092", "[fd00::1]/128:443", "tcp:10.0.0.2:9092" -> match. */
int fl_netem_match_parse(const char *text, bool source, struct fl_netem_match *ret_match,
			 struct fl_diag *diag) _wur_;
size_t fl_netem_match_format(const struct fl_netem_match *match, char *buf, size_t size);

/* ---- Message builders (pure: bytes into a caller buffer) ----------------------------- */

enum fl_nl_op {
	FL_NL_ADD,     /* NLM_F_CREATE | NLM_F_EXCL, as `tc qdisc add` */
	FL_NL_REPLACE, /* NLM_F_CREATE | NLM_F_REPLACE, as `tc qdisc replace` */
	FL_NL_CHANGE,  /* no create flags, as `tc qdisc change` */
	FL_NL_DELETE,
};

/*
 * A complete RTM_NEWQDISC / RTM_DELQDISC request for a netem or tbf qdisc on ifindex with
 * the given parent and handle (kind chosen by fault->kind; options omitted for DELETE).
 * seq goes into the header; portid is 0. Returns the message length or -errno.
 */
ssize_t fl_netem_msg_qdisc(void *buf, size_t size, uint32_t seq, enum fl_nl_op op, int ifindex,
			   uint32_t parent, uint32_t handle,
			   const struct fl_netem_fault *fault) _wur_;

/* ---- The rtnetlink channel (nl.c, transport_*.c) ------------------------------------- */

struct fl_nl;

/* How bytes reach a kernel: a NETLINK_ROUTE socket (libmnl, fl_nl_open) or the caller's own
 * (fl_nl_new: the unit tests' canned kernel lives in tests/lib, not in this library). */
struct fl_nl_transport {
	/* Send one or more netlink messages; 0 or -errno. */
	int (*send)(void *priv, const void *buf, size_t len);
	/* Receive one datagram into buf; its length or -errno (-EAGAIN on timeout). */
	ssize_t (*recv)(void *priv, void *buf, size_t size);
	void (*destroy)(void *priv);
	/* 0 is fine; used to match replies. */
	uint32_t (*portid)(void *priv);
};

/*
 * Open a rtnetlink channel in the network namespace at netns_path ("/proc/PID/ns/net",
 * "/run/netns/NAME"), or in the caller's when netns_path is NULL. The socket is created by
 * a short-lived thread that entered the namespace, so no thread of the caller ever changes
 * namespace. Returns 0 and a new handle (free with fl_nl_free), or -errno with diag.
 */
int fl_nl_open(const char *netns_path, struct fl_nl **ret_nl, struct fl_diag *diag) _wur_;
/* Wrap a transport (steals priv: ops->destroy runs in fl_nl_free). */
int fl_nl_new(const struct fl_nl_transport *ops, void *priv, struct fl_nl **ret_nl) _wur_;
struct fl_nl *fl_nl_free(struct fl_nl *nl);

/*
 * Send one request and wait for its ACK, handing every reply message (dumps) to cb.
 * Kernel errors come back as -errno with the extended ACK text in diag.
 */
typedef int (*fl_nl_cb)(const void *nlh, void *data);
int fl_nl_request(struct fl_nl *nl, void *msg, size_t len, fl_nl_cb cb, void *data,
		  struct fl_diag *diag) _wur_;
/* Interface index of ifname inside nl's namespace, or -ENODEV with diag. */
int fl_nl_ifindex(struct fl_nl *nl, const char *ifname, struct fl_diag *diag) _wur_;
/* Name of ifindex inside nl's namespace into buf (IFNAMSIZ), or -ENODEV. */
int fl_nl_ifname(struct fl_nl *nl, int ifindex, char *buf, size_t size) _wur_;

/*
 * Parse a netlink error reply (struct nlmsgerr + extended ACK attributes) into -errno and a
 * message in diag that keeps the kernel's text. Pure; used on canned replies by the tests.
 */
int fl_nl_parse_error(const void *nlh, size_t len, struct fl_diag *diag);

/* ---- Faults on an interface (tree.c, verify.c, sweep.c) ------------------------------ */

/*
 * Apply fault to ifname in nl's namespace, replacing an earlier Faultline fault in the same
 * direction, then read the state back and verify it (fl_netem_verify). Refuses (-EEXIST)
 * to replace a root qdisc Faultline did not create. On a kernel without sch_netem returns
 * -EOPNOTSUPP and says so, with what to do. On failure nothing Faultline added stays.
 */
int fl_netem_apply(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault,
		   struct fl_diag *diag) _wur_;

#define FL_NETEM_DIFF_MAX 16
struct fl_netem_diff {
	unsigned n;
	struct {
		char field[48];
		char want[96];
		char got[96];
	} entries[FL_NETEM_DIFF_MAX];
};

/*
 * Dump qdiscs, classes and filters of ifname (or of its IFB device for ingress), decode
 * them and compare with fault. 0 when they match; -ENOMSG with ret_diff filled when they
 * do not; other -errno when the dump failed.
 */
int fl_netem_verify(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault,
		    struct fl_netem_diff *ret_diff, struct fl_diag *diag) _wur_;

/*
 * Read back the Faultline fault in direction dir on ifname into ret_fault. Returns 1 when
 * there is one, 0 when there is none, -errno on failure. (Distribution tables are not
 * dumped by the kernel: a distribution reads back as none.)
 */
int fl_netem_read(struct fl_nl *nl, const char *ifname, enum fl_netem_direction dir,
		  struct fl_netem_fault *ret_fault, struct fl_diag *diag) _wur_;

/* Remove Faultline's fault in direction dir from ifname. 0 also when there was none. */
int fl_netem_remove(struct fl_nl *nl, const char *ifname, enum fl_netem_direction dir,
		    struct fl_diag *diag) _wur_;

/* One object Faultline created, as found by fl_netem_list_ours(). */
struct fl_netem_owned {
	int ifindex;
	char ifname[16];
	enum {
		FL_NETEM_OWNED_ROOT_QDISC,     /* root qdisc FA17: on an interface */
		FL_NETEM_OWNED_INGRESS_FILTER, /* our redirect filter on an ingress qdisc */
		FL_NETEM_OWNED_IFB,	       /* an flifb<N> device */
	} what;
	char kind[16]; /* qdisc kind ("netem", "htb", "tbf", "u32", "ifb") */
};

typedef int (*fl_netem_owned_cb)(const struct fl_netem_owned *owned, void *data);
/* Call cb for every Faultline object in nl's namespace. */
int fl_netem_list_ours(struct fl_nl *nl, fl_netem_owned_cb cb, void *data,
		       struct fl_diag *diag) _wur_;
/*
 * Remove one object found by fl_netem_list_ours() (a reconcile removes only those that no
 * live fault owns). 0 also when it is already gone.
 */
int fl_netem_remove_owned(struct fl_nl *nl, const struct fl_netem_owned *owned,
			  struct fl_diag *diag) _wur_;
/* Remove every Faultline object in nl's namespace; returns how many were removed. */
int fl_netem_sweep(struct fl_nl *nl, struct fl_diag *diag) _wur_;

#endif
