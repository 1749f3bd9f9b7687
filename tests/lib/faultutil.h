/* SPDX-License-Identifier: MIT */
/*
 * Shortcuts for tests that apply faults with libfl-netem: a fault from tc-style words and
 * the channel into a test namespace. Failures end the test (FL_FAIL). Whether removal left a
 * namespace as it was is judged by the witness (witness.h), not by libfl-netem's dumps.
 */
#ifndef FL_FAULTUTIL_H
#define FL_FAULTUTIL_H

#include "fl/netem.h"
#include "testnet.h"

/* "delay 100ms loss 1%" or "tbf rate 10mbit"; targets: NULL-terminated "--to" texts. */
struct fl_netem_fault faultutil_parse(const char *words, enum fl_netem_direction dir,
				      const char *const *targets);

/* An fl_nl in ns, freed by a deferred cleanup. */
struct fl_nl *faultutil_nl(const struct testnet_ns *ns);

/* Apply (and verify, as fl_netem_apply does); fails the test on error. */
void faultutil_apply(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault);

#endif
