/* SPDX-License-Identifier: MIT */
/*
 * What the Kubernetes client's files share (kube.c serves kube_watch.c): a streamed GET.
 * Ownership: nothing returned is owned by the caller.
 */
#ifndef FL_KUBE_INTERNAL_H
#define FL_KUBE_INTERNAL_H

#include <stddef.h>

#include "kube.h"

/*
 * One try of GET path whose 2xx body goes to on_data as it arrives (agent_client.h's
 * fl_agent_call) — a watch. Not retried: a watch's path holds the resourceVersion the events
 * already moved past, so its caller watches again. Returns 0 when the server ended the
 * body; on_data's refusal; fl_kube_call's errors for another status (a Status message quoted)
 * and for the transport. *ret_status (not NULL) gets the status (0: none);
 * *ret_retry_after (not NULL) the Retry-After in seconds (-1: none).
 */
int fl_kube_stream(struct fl_kube *k, const char *path, long timeout_ms,
		   int (*on_data)(void *opaque, const char *data, size_t len, struct fl_diag *diag),
		   void *opaque, int *ret_status, long *ret_retry_after,
		   struct fl_diag *diag) _wur_;

#ifdef FL_TEST_BUILD
struct fl_agent_call;
struct fl_agent_answer;
/* Test hooks (unit tests' fakes): the transport of every try, and the waits between. */
extern int (*fl_kube_test_transport)(const struct fl_agent_call *call, struct fl_agent_answer *ret,
				     struct fl_diag *diag);
extern void (*fl_kube_test_sleep)(long ms);
#endif

#endif
