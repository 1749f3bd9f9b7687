/* SPDX-License-Identifier: MIT */
/* Shared by kube_run.c, kube_targets.c and kube_delete.c only: the run's state. */
#ifndef FL_KUBE_RUN_INTERNAL_H
#define FL_KUBE_RUN_INTERNAL_H

#include <pthread.h>
#include <stddef.h>

#include "kube.h"
#include "kube_run.h"

struct kube_pod_ref {
	char *ns, *name, *uid; /* name NULL in `seen` */
};

struct fl_kube_run {
	pthread_mutex_t lock; /* every API call, and the records */
	struct fl_kube *kube;
	char describe[512];
	struct kube_pod_ref *deleted;
	size_t n_deleted;
	struct kube_pod_ref *seen;
	size_t n_seen;
};

int fl_kube_run_record(struct kube_pod_ref **v, size_t *n, const char *ns, const char *name,
		       const char *uid);

#endif
