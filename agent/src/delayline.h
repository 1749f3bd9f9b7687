/* SPDX-License-Identifier: MIT */
/*
 * The userspace delay line: what delays packets on kernels without sch_netem. An nft rule
 * (fl/nft.h, FL_NFT_QUEUE) sends the matching packets of a namespace to NFQUEUE queue_num;
 * this module, bound to that queue inside the same namespace, holds each packet and accepts
 * it after delay ± jitter. Packets are held in a bounded queue ordered by release time and
 * released by a timer — never by sleeping per packet, which would serialise them.
 *
 * One thread per delay line. The queue is configured fail-open (when the program's queue
 * is full, or nobody listens because the agent died, packets pass instead of being dropped).
 */
#ifndef FL_DELAYLINE_H
#define FL_DELAYLINE_H

#include <stdint.h>

#include "fl/diag.h"

struct fl_delayline_spec {
	uint64_t delay_ns;
	uint64_t jitter_ns; /* uniform in [delay - jitter, delay + jitter]; must be <= delay */
	uint32_t max_held;  /* packets held at once; 0 = 10000. Beyond it: fail open (pass). */
};

struct fl_delayline_stats {
	uint64_t received; /* packets handed to us by the kernel */
	uint64_t released; /* accepted after their delay */
	uint64_t overflow; /* passed without delay because max_held was reached */
	uint32_t held;	   /* currently held */
	uint64_t enobufs;  /* times our socket overflowed; the kernel passed those packets */
};

struct fl_delayline;

int fl_delayline_validate(const struct fl_delayline_spec *spec, struct fl_diag *diag);

/*
 * Bind NFQUEUE queue_num inside the namespace at netns_path (NULL: the caller's) and start
 * the thread. Returns 0 and a new handle, or -errno with diag (-EBUSY if another program
 * holds the queue).
 */
int fl_delayline_start(const char *netns_path, uint16_t queue_num,
		       const struct fl_delayline_spec *spec, struct fl_delayline **ret,
		       struct fl_diag *diag);

void fl_delayline_get_stats(struct fl_delayline *dl, struct fl_delayline_stats *ret);

/* Accept every held packet at once, unbind the queue, join the thread, free. NULL-safe. */
struct fl_delayline *fl_delayline_stop(struct fl_delayline *dl);

#endif
