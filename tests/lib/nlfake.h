/* SPDX-License-Identifier: MIT */
/*
 * A fake netlink transport for unit tests: a struct fl_nl whose requests are recorded and
 * whose replies come from a script (default: an ACK, or NLMSG_DONE for a dump). Test-only:
 * linked from libfltest.a, never part of libfl-netem nor its installed header
 * (tests/unit/test-release-clean.sh checks both).
 */
#ifndef FL_NLFAKE_H
#define FL_NLFAKE_H

#include <stddef.h>

#include "fl/netem.h"

struct fl_nl_fake;
/* A new handle on a new fake; the fake is owned by the handle (freed by fl_nl_free). */
int fl_nl_fake_new(struct fl_nl **ret_nl, struct fl_nl_fake **ret_fake) _wur_;
/* Queue a raw reply datagram (copied) returned by the next recv. */
int fl_nl_fake_queue_reply(struct fl_nl_fake *fake, const void *buf, size_t len) _wur_;
/* The n-th request sent so far (borrowed, valid until the next send); NULL past the end. */
const void *fl_nl_fake_request(const struct fl_nl_fake *fake, unsigned n, size_t *ret_len);
unsigned fl_nl_fake_n_requests(const struct fl_nl_fake *fake);

#endif
