/* SPDX-License-Identifier: MIT */
/*
 * Parsing the JSON bodies of the agent API into plain values, with messages that name the
 * field, the value and what was expected. Pure (no I/O, no globals); fuzzed.
 *
 * POST /v1/faults body (see docs/agent-api.md):
 *   { "id", "kind", "target": {"pod" | "podUid" | "netns" | "pid", "container"},
 *     "interface", "direction", "duration", "lease", "owner", "to": [..], "from": [..],
 *     "netem": "tc netem options", "bandwidth": {...}, "partition": {...}, "loss": {...},
 *     "delay": {...}, "kill": {...} }
 * Unknown fields are errors. Sizes: bodies <= FL_API_BODY_MAX.
 */
#ifndef FL_APIREQ_H
#define FL_APIREQ_H

#include <stddef.h>
#include <stdint.h>

#include "faultreq.h"
#include "fl/diag.h"

#define FL_API_BODY_MAX (64 * 1024)

/*
 * Parse and validate a fault request. max_duration_ns caps "duration" (the agent's
 * configured maximum): a longer one is an error, not silently shortened.
 * Returns 0, or -EINVAL with diag->msg like
 *   "target.pod: \"kube-system\" ... " / "duration: \"forever\" is not a duration (...)".
 */
int fl_api_parse_fault(const char *body, size_t len, uint64_t max_duration_ns,
		       struct fl_fault_req *ret, struct fl_diag *diag);

/* POST /v1/faults/{id}/renew body: {"lease": "15s"} (or empty: renew by the original lease). */
int fl_api_parse_renew(const char *body, size_t len, uint64_t *ret_lease_ns, struct fl_diag *diag);

/* A fault id as it may appear in a URL or body: [a-z0-9][a-z0-9-]{0,31}. */
bool fl_api_valid_id(const char *id);

#endif
