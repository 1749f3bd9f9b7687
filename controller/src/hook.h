/* SPDX-License-Identifier: MIT */
/*
 * Hooks: embedded system-under-test modules that an experiment starts, queries, pokes and
 * stops (experiment.h: hooks[], hook steps, `hook` probes). A module is compiled in and
 * listed in a static registry (hook.c); the ticker (hook_ticker.c) is the minimal one,
 * the self-healing and canary modules plug in the same way.
 *
 * Module contract (struct fl_hook_module):
 *   config_fields, check_config
 *          the keys a config may have, and a side-effect-free check of their values: both
 *          run at `faultline validate` time (exp_spec.c) and again before start (hook.c),
 *          so a bad config is an error naming the field long before a run. check_config
 *          sees an object holding known keys only, or NULL (no config); on error it
 *          returns -EINVAL, sets *ret_field to the key at fault (static text) and a diag
 *          that does not repeat the field.
 *   start  parse config (already checked), start the module's own thread(s), return its
 *          state. A module that works periodically runs a struct fl_hook_timer
 *          (hook_timer.h), which stops at once when asked.
 *   metrics
 *          the names query knows; hook.c refuses others before calling query, and the
 *          parser refuses a `hook` probe asking for another.
 *   query  a named numeric value now. Must be quick (it runs on a probe's thread) and must
 *          not block on the module's thread for long.
 *   check_call
 *          whether an action with JSON args (may be NULL) is one the module takes:
 *          -ENOTSUP with diag for an unknown action, -EINVAL for bad args. Used by the
 *          parser and before every call, so call only sees what passed.
 *   call   run the action.
 *   stop   stop the threads promptly (bounded by the module, well under a second) and
 *          free state. Called exactly once per successful start.
 *   query and call may run concurrently with each other (different threads) and with the
 *   module's own threads; start and stop never overlap anything else on one instance.
 *   Module diags do not name the module: hook.c prefixes "hook <name>: <module>: ".
 *
 * struct fl_hooks holds the instances of one experiment (one per hooks[] entry). It is
 * thread-safe: a probe thread may query while the runner starts, calls or stops.
 */
#ifndef FL_HOOK_H
#define FL_HOOK_H

#include <jansson.h>

#include "experiment.h"
#include "fl/diag.h"
#include "probe.h"

struct fl_hook_module {
	const char *name;
	const char *description;
	const char *const *config_fields; /* NULL-terminated */
	int (*check_config)(const json_t *config, const char **ret_field, struct fl_diag *diag);
	int (*start)(const json_t *config, void **ret_state, struct fl_diag *diag);
	const char *const *metrics; /* NULL-terminated */
	int (*query)(void *state, const char *metric, double *ret_value, struct fl_diag *diag);
	int (*check_call)(const char *action, const json_t *args, struct fl_diag *diag);
	int (*call)(void *state, const char *action, const json_t *args, struct fl_diag *diag);
	void (*stop)(void *state);
};

/* The registered module called name, or NULL. Borrowed (static). */
const struct fl_hook_module *fl_hook_module_find(const char *name);
/* The i-th registered module, or NULL past the end (for `faultline hooks`-style listings). */
const struct fl_hook_module *fl_hook_module_at(unsigned i);

/* "a, b, c": the registered modules' names, for error messages. */
const char *fl_hook_module_names(char *buf, size_t size);
/* "a, b, c": a NULL-terminated list (a module's config fields, metrics), for messages. */
const char *fl_hook_list(const char *const *names, char *buf, size_t size);
/* Whether name is in the NULL-terminated list. */
bool fl_hook_listed(const char *const *names, const char *name);

/*
 * A config as start will see it: an object (or NULL) with the module's config_fields
 * only, then the module's own check. Errors are -EINVAL with diag "config: ..." or
 * "config.<field>: ...". No side effects.
 */
int fl_hook_check_config(const struct fl_hook_module *m, const json_t *config,
			 struct fl_diag *diag) _wur_;

/* The minimal module (hook_ticker.c). */
extern const struct fl_hook_module fl_hook_ticker;
/* The lab pipeline's data-integrity check (hook_integrity.c). */
extern const struct fl_hook_module fl_hook_integrity;

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
