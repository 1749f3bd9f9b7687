/* SPDX-License-Identifier: MIT */
/*
 * The wire check (a fault's "verify": {"wire": true}): TCP connect times from inside the
 * target's network namespace to the fault's destinations, measured before and after the
 * change, and the verdict whether the fault shows on that path. No program is run: the
 * sockets are created in the namespace by a short-lived thread (fl_nsock_sockets) and
 * connected, non-blocking, from the caller's thread, which never changes namespace.
 *
 * fl_wire_prepare, fl_wire_judge_* and fl_wire_json are pure (no I/O; unit-tested);
 * fl_wire_measure talks to the network. The rules and bounds are stated in
 * docs/agent-api.md ("verify.wire"); the numbers are here.
 */
#ifndef FL_WIRE_H
#define FL_WIRE_H

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "faultreq.h"
#include "fl/diag.h"

#define FL_WIRE_ATTEMPTS	  3u		/* connects per destination and phase */
#define FL_WIRE_BEFORE_TIMEOUT_NS 1000000000ull /* per attempt before the change */
#define FL_WIRE_MIN_TIMEOUT_NS	  1000000000ull /* per attempt after: at least this */
#define FL_WIRE_TIMEOUT_SLACK_NS  500000000ull	/* after: 2 x (delay + jitter) + this */
#define FL_WIRE_DELAY_MAX_NS	  1000000000ull /* delay + jitter the check waits for */
#define FL_WIRE_LEAST_MIN_NS	  20000000ull	/* guaranteed delay it tells from noise */
#define FL_WIRE_ERR		  (-EREMOTEIO)	/* no effect / cannot judge: HTTP 422 */

enum fl_wire_verdict {
	FL_WIRE_MEASURING = 0, /* measured before; the change is being measured */
	FL_WIRE_EFFECT,
	FL_WIRE_NO_EFFECT,
	FL_WIRE_CANNOT_JUDGE, /* the path did not work before the change */
};

struct fl_wire_attempt {
	int err;     /* 0 connected; -ETIMEDOUT; -ECONNREFUSED, -EHOSTUNREACH, ... */
	uint64_t ns; /* from connect() to its outcome (the timeout for -ETIMEDOUT) */
};

struct fl_wire_dest {
	char to[64]; /* "10.0.0.5:9092", "[fd00::5]:9092" */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	unsigned n_before, n_after;
	struct fl_wire_attempt before[FL_WIRE_ATTEMPTS], after[FL_WIRE_ATTEMPTS];
};

struct fl_wire {
	bool cut;		      /* partition: every attempt after must fail */
	uint64_t delay_ns, jitter_ns; /* the delay kinds, as asked */
	uint64_t least_ns;	      /* the delay every packet gets at least */
	uint64_t timeout_ns;	      /* per attempt after the change */
	unsigned n;
	struct fl_wire_dest d[FL_NETEM_MAX_MATCHES];
	enum fl_wire_verdict verdict;
	uint64_t took_ns; /* both phases */
};

/*
 * From a parsed request with verify_wire: the destinations ("to", each one address and a
 * TCP port) and what the fault should do to them. -EINVAL with diag "verify.wire: ..." when
 * the request cannot be checked on the wire (kind, no port, a delay too small or too large).
 */
int fl_wire_prepare(const struct fl_fault_req *req, struct fl_wire *ret, struct fl_diag *diag);

/*
 * Measure every destination FL_WIRE_ATTEMPTS times (destinations in parallel, attempts one
 * after the other) from inside the namespace at netns_path: before (after = false) or after
 * the change. Before stops at the first failed attempt (the verdict cannot judge anyway).
 * -errno with diag only when the namespace or a socket cannot be had.
 */
int fl_wire_measure(struct fl_wire *w, const char *netns_path, bool after, struct fl_diag *diag);

/* Before the change: every attempt must have connected, else FL_WIRE_CANNOT_JUDGE and msg. */
enum fl_wire_verdict fl_wire_judge_before(struct fl_wire *w, char *msg, size_t size);
/* After: FL_WIRE_EFFECT, or FL_WIRE_NO_EFFECT with msg naming the destination and figures. */
enum fl_wire_verdict fl_wire_judge_after(struct fl_wire *w, char *msg, size_t size);

/* The figures as the API shows them (new reference). */
json_t *fl_wire_json(const struct fl_wire *w);

#endif
