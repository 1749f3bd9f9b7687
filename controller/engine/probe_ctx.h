/* SPDX-License-Identifier: MIT */
/*
 * The probes of one run: a context that shares one Kafka client per bootstrap string among
 * them (a client is a set of broker connections and threads: one per cluster, not one per
 * probe), lends them the run's hook instances and agents, and fl_probe_new, which picks the
 * implementation for a spec's type — http/prometheus (probes/), pod (probes/), kafka.*
 * (kafka/), kubernetes.* (kubernetes/), hook (engine/hook_run.h). The engine owns it because it is the one place that
 * may know every kind; a probe kind knows only probes/probe.h.
 */
#ifndef FL_PROBE_CTX_H
#define FL_PROBE_CTX_H

#include "experiment.h"
#include "fl/diag.h"
#include "fl/macro.h"
#include "probe.h"

struct fl_probe_ctx;
struct fl_hooks;
struct fl_agents;
struct fl_kube_run;

/* A context for the probes of one run. Returns 0 or -ENOMEM. */
int fl_probe_ctx_new(struct fl_probe_ctx **ret) _wur_;
/* Frees the Kafka clients it opened; the hooks are the caller's. NULL-safe; returns NULL. */
struct fl_probe_ctx *fl_probe_ctx_free(struct fl_probe_ctx *ctx);
/* Hook instances for `hook` probes (borrowed; may be NULL until set). */
void fl_probe_ctx_set_hooks(struct fl_probe_ctx *ctx, struct fl_hooks *hooks);
/* The agents and the experiment (its targets) for `pod` probes (borrowed). */
void fl_probe_ctx_set_agents(struct fl_probe_ctx *ctx, struct fl_agents *agents,
			     const struct fl_experiment *exp);

/* The run's Kubernetes side for kubernetes.* probes (borrowed; NULL: none). */
void fl_probe_ctx_set_kube(struct fl_probe_ctx *ctx, struct fl_kube_run *kube);

/*
 * A probe for spec (borrowed: it must outlive the probe). default_bootstrap is the
 * experiment's spec.kafka.bootstrap (used when spec->bootstrap is NULL). Connecting is lazy
 * where it can be: an unreachable cluster shows up as a sample error, not here.
 * Returns 0 and a new probe, or -errno with diag (e.g. a kafka.* probe without bootstrap).
 */
int fl_probe_new(struct fl_probe_ctx *ctx, const struct fl_probe_spec *spec,
		 const char *default_bootstrap, struct fl_probe **ret, struct fl_diag *diag) _wur_;

#endif
