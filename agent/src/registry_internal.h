/* SPDX-License-Identifier: MIT */
/* The registry's inside, shared by registry.c, reconcile.c and metrics.c only. */
#ifndef FL_REGISTRY_INTERNAL_H
#define FL_REGISTRY_INTERNAL_H

#include <pthread.h>

#include "mech.h"
#include "registry.h"

enum fl_revert_reason {
	FL_REVERT_REQUESTED = 0, /* DELETE /v1/faults/{id} */
	FL_REVERT_DEADLINE,
	FL_REVERT_LEASE,
	FL_REVERT_STOP, /* emergency stop */
	FL_REVERT_SHUTDOWN,
	FL_REVERT_TARGET_GONE,
	FL_REVERT_WIRE_CHECK, /* verify.wire: the fault did not show on the wire */
	FL_REVERT_REASON_COUNT,
};

struct fl_counters {
	uint64_t injected[FL_FAULT_KIND_COUNT];
	uint64_t inject_errors;
	uint64_t reverted[FL_REVERT_REASON_COUNT];
	uint64_t revert_failures;
	uint64_t reconcile_runs;
	uint64_t reconcile_removed; /* marks and ledger records nobody owned */
	uint64_t inject_ns_sum;	    /* apply + verify time of successful injects */
	uint64_t inject_count;
};

struct fl_registry {
	pthread_mutex_t lock;
	const struct fl_agent_config *cfg;
	struct fl_ledger *ledger;
	struct fl_fault *faults; /* active, revert-failed, and recently done kills */
	bool stopped;
	uint64_t serial; /* numbers faults, so a wire check finds its own one again */
	struct fl_counters c;
};

const char *fl_revert_reason_name(enum fl_revert_reason reason);

/* With reg->lock held: revert f; 1 when done (f is freed), 0 when it failed (kept, retried). */
int fl_registry_revert_locked(struct fl_registry *reg, struct fl_fault *f,
			      enum fl_revert_reason why);

#endif
