/* SPDX-License-Identifier: MIT */
/*
 * The fault registry: every verb of the API, and the enforcement of deadlines and leases.
 *
 * Order of an inject: resolve the target (CRI, allow-list) -> write the intent record to the
 * ledger (fsync) -> apply and verify -> registry. Any failure after the record undoes the
 * change and removes the record. A revert removes the record only once it succeeded; a
 * failed revert is retried every second and shown by list().
 *
 * Thread safety: every function may be called from any thread (one registry mutex; kernel
 * changes are fast, CRI lookups happen before it is taken).
 */
#ifndef FL_REGISTRY_H
#define FL_REGISTRY_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "faultreq.h"
#include "ledger.h"

struct fl_registry;

int fl_registry_new(const struct fl_agent_config *cfg, struct fl_ledger *ledger,
		    struct fl_registry **ret);
/* Reverts nothing (see fl_registry_revert_all); frees. NULL-safe. */
struct fl_registry *fl_registry_free(struct fl_registry *reg);

/*
 * Inject. Returns 0 and the fault's JSON view (new reference), or -errno with diag:
 * -EINVAL bad request, -ENOENT target not found, -EPERM allow-list, -EEXIST duplicate id,
 * -ESHUTDOWN emergency stop in force, -EOPNOTSUPP the kernel lacks the mechanism;
 * with verify_wire also FL_WIRE_ERR (-EREMOTEIO: the path did not work before the change,
 * or the change did not show on it; reverted) and -ECANCELED (reverted by a stop or its
 * deadline while it was measured). On FL_WIRE_ERR *ret_view holds {"wire": ...} too (new
 * reference) for the error answer. A wire check holds the calling thread (not the registry)
 * for its measurement: at most 1 + 3 x 2.5 s (wire.h).
 */
int fl_registry_inject(struct fl_registry *reg, const struct fl_fault_req *req, json_t **ret_view,
		       struct fl_diag *diag);
/* Renew the lease (lease_ns 0: by the fault's own lease). -ENOENT, -EINVAL (no lease). */
int fl_registry_renew(struct fl_registry *reg, const char *id, uint64_t lease_ns, json_t **ret_view,
		      struct fl_diag *diag);
/* Revert now. -ENOENT if unknown; a failed revert stays listed and is retried. */
int fl_registry_revert(struct fl_registry *reg, const char *id, json_t **ret_view,
		       struct fl_diag *diag);
/* New references. get returns NULL for an unknown id. */
json_t *fl_registry_list(struct fl_registry *reg);
json_t *fl_registry_get(struct fl_registry *reg, const char *id);

/* Emergency stop: revert everything at once and refuse injects until cleared. */
json_t *fl_registry_emergency_stop(struct fl_registry *reg);
void fl_registry_clear_stop(struct fl_registry *reg);
bool fl_registry_stopped(struct fl_registry *reg);

/* Deadlines, leases, retries: call every ~100 ms. */
void fl_registry_tick(struct fl_registry *reg);
/* Revert every fault (shutdown). Returns how many could not be reverted. */
int fl_registry_revert_all(struct fl_registry *reg);

/*
 * Reconcile: on startup, undo every ledger record (the agent that wrote them is gone);
 * always, remove every Faultline mark (qdisc, filter, IFB, nft table) in every known
 * namespace (the node's, every CRI sandbox's, netns-dir's, the ledger's) that no live fault
 * owns, and revert faults whose target pod is gone. Returns a JSON report (new reference).
 */
json_t *fl_registry_reconcile(struct fl_registry *reg, bool startup);

/* Prometheus text exposition of the registry's counters (malloc'd). */
char *fl_registry_metrics(struct fl_registry *reg);

#endif
