/* SPDX-License-Identifier: MIT */
/*
 * From an experiment's fault to the agent API's inject body for one target, choosing the
 * mechanism the target's node really has (GET /v1/capabilities): a `network` fault on a
 * node without sch_netem falls back to the delay line (netem "delay X [Y]") or to
 * nftables loss (netem "loss P"); anything else netem-only is an error that says why.
 * Shared by `plan` (prints it) and `run` (sends it).
 */
#ifndef FL_FAULT_BODY_H
#define FL_FAULT_BODY_H

#include <jansson.h>

#include "experiment.h"
#include "targets.h"

/*
 * caps: the agent's capabilities (borrowed; may be NULL = assume everything works).
 * owner: written into the body so leftovers can be told apart per run.
 * Returns 0, the body in *ret (new) and in note a short human text of the mechanism
 * ("delay line (no sch_netem: netem delay 200ms 50ms → kind delay)"), or -errno + diag.
 */
int fl_fault_body(const struct fl_fault_spec *fault, const struct fl_target *target, json_t *caps,
		  const char *owner, json_t **ret, char *note, size_t note_size,
		  struct fl_diag *diag) _wur_;

/* Whether a fault kind is a one-shot kill (nothing to revert, no duration). */
bool fl_fault_is_kill(const char *kind);

#endif
