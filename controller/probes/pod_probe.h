/* SPDX-License-Identifier: MIT */
/*
 * The `pod` probe: what the agents' pod listing (GET /v1/pods) says of the pods a target
 * selects — how often their containers restarted, how many run. Its use is the effect check
 * of container kills: a kill that did nothing leaves the restart count where it was.
 *
 * Every sample lists the pods again and counts every pod the target's selector matches now
 * (namespace, name glob, labels; the target's mode is not applied: a "one of" target was
 * resolved once for the fault, the probe watches all of them). Metrics:
 *   restarts         the containers' restartCount summed (kubelet's meaning: the CRI attempt
 *                    of the newest container of that name in the pod); only `container`
 *                    when given
 *   pods             pods matched
 *   running          containers running
 *   tcp.retransmits  RetransSegs of the matched ready pods' network namespaces, summed (a
 *                    pod once, whatever its containers: they share the sandbox's namespace)
 *   tcp.segments     OutSegs, the same way
 * The tcp.* metrics are the evidence of packet loss (TCP retransmits next to nothing on a
 * pod network without it); reading them costs the agent a namespace entry per pod, so the
 * probe asks for them (GET /v1/pods?tcp=1) only when one of its tolerances uses one. They
 * are counters since the pod's sandbox started: compare them with a baseline (delta).
 * No pod matched (with tcp.*: no ready pod): no data (onNoData decides). An agent that does
 * not list containers, or the counters (one older than this controller), or cannot read a
 * pod's counters (its tcpError) is an error naming it and the pod.
 */
#ifndef FL_POD_PROBE_H
#define FL_POD_PROBE_H

#include "agents.h"
#include "experiment.h"
#include "probe.h"

/* A pod probe for spec (type pod) over exp's target spec->target; agents and exp are
 * borrowed and must outlive the probe. Returns 0 and a new probe, or -errno with diag. */
int fl_pod_probe_new(struct fl_agents *agents, const struct fl_experiment *exp,
		     const struct fl_probe_spec *spec, struct fl_probe **ret,
		     struct fl_diag *diag) _wur_;

#endif
