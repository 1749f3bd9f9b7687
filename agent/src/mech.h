/* SPDX-License-Identifier: MIT */
/*
 * An injected fault as the agent tracks it, and the mechanisms that apply and revert it.
 * Shared by registry.c (the registry: API verbs, deadlines, leases, retries), mech.c (the
 * kernel/runtime side) and reconcile.c.
 */
#ifndef FL_MECH_H
#define FL_MECH_H

#include <stdbool.h>
#include <stdint.h>

#include "delayline.h"
#include "faultreq.h"
#include "fl/nft.h"
#include "ledger.h"
#include "target.h"
#include "wire.h"

enum fl_fault_state {
	FL_FAULT_ACTIVE = 0,
	FL_FAULT_REVERT_FAILED, /* retried every second; shown by GET /v1/faults */
	FL_FAULT_DONE,		/* kills: executed, nothing to revert; kept for a while for GET */
};

struct fl_fault {
	char id[FL_FAULT_ID_MAX];
	struct fl_fault_req req;
	struct fl_resolved res;
	enum fl_fault_state state;
	const char
		*mechanism; /* "netem", "tbf", "nftables", "nfqueue-delay-line", "cri", "signal" */
	/* Handles kept for the fault's life. */
	struct fl_nft *nft;	 /* partition, loss, delay (owner of the table) */
	struct fl_delayline *dl; /* delay */
	uint16_t queue_num;	 /* delay */
	int ifindex;		 /* network, bandwidth */
	/* Time: wall clock for the API and the ledger, monotonic for enforcement. */
	int64_t created_unix_ms, deadline_unix_ms;
	uint64_t deadline_mono_ns;
	uint64_t lease_ns, lease_expiry_mono_ns; /* 0: no lease */
	/* Revert retries. */
	unsigned revert_attempts;
	uint64_t next_retry_mono_ns;
	char revert_reason[32];
	char last_error[FL_DIAG_MSG_MAX];
	char result[256];     /* kills: what happened */
	struct fl_wire *wire; /* verify.wire: the figures (owned); NULL without */
	uint64_t serial;      /* unique per registry (ids can be reused once reverted) */
	uint64_t done_mono_ns;
	struct fl_fault *next;
};

/* Apply f (resolved, ledger record written). Sets f->mechanism and the handles. */
int fl_mech_apply(struct fl_fault *f, const struct fl_agent_config *cfg, struct fl_diag *diag);
/* Undo f and release its handles; 0 also when the target is gone (nothing left to undo). */
int fl_mech_revert(struct fl_fault *f, struct fl_diag *diag);
/* Undo what a ledger record describes, for a fault no running agent knows (restart). */
int fl_mech_revert_record(const struct fl_ledger_record *rec, struct fl_diag *diag);
/* Is the namespace at path (still) the one identified by dev/ino? */
bool fl_mech_netns_is(const char *path, uint64_t dev, uint64_t ino);

#endif
