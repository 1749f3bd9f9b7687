/* SPDX-License-Identifier: MIT */
/*
 * The plan of an experiment: what `faultline run` would do, resolved against the live
 * agents and probes, written for people (`faultline plan`, docs/run.md). The engine owns it
 * so that any program running experiments can show its plan; the verb only parses flags.
 */
#ifndef FL_PLAN_H
#define FL_PLAN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "experiment.h"
#include "kube_run.h"

/*
 * Write exp's plan with seed (the target choice) to out: agents and their fault kinds,
 * targets, hooks, each method step with the exact inject body per target, and every probe
 * sampled once with the verdict it would get. Every part is tried whatever the one before
 * found, so all that is wrong shows at once. exp is borrowed. true when the experiment can
 * run (every agent reachable, every target resolved, every fault has a mechanism, no probe
 * errors). kube: where the Kubernetes API is, for experiments that use it.
 */
bool fl_plan_experiment(FILE *out, const struct fl_experiment *exp, uint64_t seed,
			const struct fl_kube_run_opts *kube);

#endif
