/* SPDX-License-Identifier: MIT */
/*
 * What this node can really do — probed, not assumed: each mechanism is tried once in a
 * throw-away network namespace (netem, tbf, the htb/u32 tree, IFB ingress, nf_tables and
 * its parts, an NFQUEUE delay line), and the CRI is asked for its version.
 */
#ifndef FL_CAPS_H
#define FL_CAPS_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "fl/diag.h"

struct fl_caps {
	bool netem, tbf, targeted, ifb;
	bool nftables, nft_owner, numgen, reject, nfqueue_target, nfqueue;
	char netem_error[FL_DIAG_MSG_MAX];
	bool cri;
	char cri_runtime[64], cri_version[64];
	char cri_error[FL_DIAG_MSG_MAX];
	char kernel[96];
};

/* Probe everything (about 10-50 ms). Needs CAP_SYS_ADMIN and CAP_NET_ADMIN. */
void fl_caps_probe(const struct fl_agent_config *cfg, struct fl_caps *ret);
/* The JSON of GET /v1/capabilities, with per-kind mechanism choices (new reference). */
json_t *fl_caps_json(const struct fl_caps *caps);

#endif
