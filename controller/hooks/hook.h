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
 *          run at `faultline validate` time (exp_spec.c) and again before start
 *          (engine/hook_run.c),
 *          so a bad config is an error naming the field long before a run. check_config
 *          sees an object holding known keys only, or NULL (no config); on error it
 *          returns -EINVAL, sets *ret_field to the key at fault (static text) and a diag
 *          that does not repeat the field.
 *   start  parse config (already checked), start the module's own thread(s), return its
 *          state. A module that works periodically runs a struct fl_hook_timer
 *          (hook_timer.h), which stops at once when asked.
 *   metrics
 *          the names query knows; hook_run.c refuses others before calling query, and the
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
 *   Module diags do not name the module: hook_run.c prefixes "hook <name>: <module>: ".
 *
 * Modules and this registry know nothing of experiments or probes: the parser
 * (experiment/) checks configs and calls against them, the engine runs instances of them
 * (engine/hook_run.h).
 */
#ifndef FL_HOOK_H
#define FL_HOOK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fl/diag.h"

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

#endif
