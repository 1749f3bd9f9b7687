/* SPDX-License-Identifier: MIT */
/*
 * The hook instances of one experiment (one per hooks[] entry, experiment.h) and the `hook`
 * probe that queries them. struct fl_hooks is thread-safe: a probe thread may query while
 * the runner starts, calls or stops. The modules themselves: hooks/hook.h.
 */
#ifndef FL_HOOK_RUN_H
#define FL_HOOK_RUN_H

#include <jansson.h>
#include <stdbool.h>

#include "experiment.h"
#include "fl/diag.h"
#include "hook.h"
#include "probe.h"

struct fl_hooks;

/*
 * Instances for specs (borrowed: they must outlive h). Checks that every module exists
 * (-ENOENT with diag at the spec's position otherwise); starts nothing.
 * Returns 0 and new hooks (free with fl_hooks_free), or -errno with diag.
 */
int fl_hooks_new(const struct fl_hook_spec *specs, unsigned n, struct fl_hooks **ret,
		 struct fl_diag *diag) _wur_;

/*
 * Start the instance called name with its spec's config. -ENOENT (no such hook),
 * -EALREADY (running), or the module's error (diag prefixed with "hook <name>").
 * A stopped instance may be started again.
 */
int fl_hooks_start(struct fl_hooks *h, const char *name, struct fl_diag *diag) _wur_;
/* Stop it; 0 when it was not running (idempotent). -ENOENT for an unknown name. */
int fl_hooks_stop(struct fl_hooks *h, const char *name, struct fl_diag *diag);
/* A module action. -ENOENT (no hook), -ESRCH (not running), -ENOTSUP (unknown action). */
int fl_hooks_call(struct fl_hooks *h, const char *name, const char *action, const json_t *args,
		  struct fl_diag *diag) _wur_;
/* A module value. -ENOENT (no hook, or unknown metric), -ESRCH (not running). */
int fl_hooks_query(struct fl_hooks *h, const char *name, const char *metric, double *ret,
		   struct fl_diag *diag) _wur_;
/* Whether the instance runs (false for unknown names). */
bool fl_hooks_running(struct fl_hooks *h, const char *name);
/* Stop every running instance, in reverse order of the specs. Idempotent. */
void fl_hooks_stop_all(struct fl_hooks *h);
/* Stops what runs, frees. NULL-safe; returns NULL. */
struct fl_hooks *fl_hooks_free(struct fl_hooks *h);

/*
 * A `hook` probe (FL_PROBE_HOOK): its sample has metric "value" = query(spec->hook_metric)
 * of the instance spec->hook. h is required and borrowed (it must outlive the probe).
 * Sample errors: the hook not running (-ESRCH), an unknown metric (-ENOENT); a NaN value
 * is no data (-ENODATA). -EINVAL with diag when spec->hook is not in h or hook_metric is
 * missing.
 */
int fl_hook_probe_new(struct fl_hooks *h, const struct fl_probe_spec *spec, struct fl_probe **ret,
		      struct fl_diag *diag) _wur_;

#endif
