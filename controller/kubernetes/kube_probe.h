/* SPDX-License-Identifier: MIT */
/*
 * The kubernetes.* probes: pods through the API, listed again at every sample with the
 * probe's namespace, selectors and name glob (every match counts, as for the pod probe).
 *   kubernetes.podsReady
 *     ready               pods whose Ready condition is True, not being deleted (default)
 *     pods                pods not being deleted
 *     deleted.gone        of the pods this run's pod-deletes deleted in the namespace, how
 *                         many the API no longer has (asked by name: 404 or another uid)
 *     replacements.ready  Ready pods (not being deleted) whose uid no pod-delete's listing
 *                         returned when it chose: pods made since, i.e. replacements
 *     The last two exist only once a pod-delete deleted a pod in the namespace; before,
 *     a tolerance on them has no data — an effect check of a delete that never happened
 *     cannot pass.
 *   kubernetes.restarts
 *     restarts            containers' restartCount summed over the pods (default)
 *     pods                pods listed; none: no data
 * The detail names up to 32 pods (name, uid, phase, ready, restarts) for the journal.
 */
#ifndef FL_KUBE_PROBE_H
#define FL_KUBE_PROBE_H

#include "kube_run.h"
#include "probe.h"

/* A probe for spec (type kubernetes.*, spec->kube set); kr borrowed, outlives the probe. */
int fl_kube_probe_new(struct fl_kube_run *kr, const struct fl_probe_spec *spec,
		      struct fl_probe **ret, struct fl_diag *diag) _wur_;

#endif
