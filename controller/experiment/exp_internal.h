/* SPDX-License-Identifier: MIT */
/*
 * Inside the experiment parser (experiment.c, exp_fields.c, exp_spec.c, exp_probe.c,
 * exp_probe_fields.c, exp_fault.c): a context that knows the file and the path of the node
 * being read ("spec.method[2].fault"), so that every error names both; typed field getters
 * on the YAML tree. Not for use outside the parser.
 *
 * Errors: every getter returns 0, -EINVAL (diag filled: file, line, col of the offending
 * node, "PATH: message") or -ENOMEM. Strings handed out are new (malloc'd); nothing is
 * written to ret_* on failure or when the field is absent.
 */
#ifndef FL_EXP_INTERNAL_H
#define FL_EXP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "hook.h"
#include "yaml_tree.h"

#define EX_PATH_MAX 256
#define EX_QUOTE    128 /* buffer for a quoted user value */
#define EX_NS_PER_S UINT64_C(1000000000)
#define EX_DAY_NS   (24 * 3600 * EX_NS_PER_S)

struct exp_ctx {
	const char *file; /* borrowed (from the suite's files) */
	struct fl_diag *diag;
	char path[EX_PATH_MAX];
	size_t len;
};

/* Path: push returns the old length for fl_exp_pop. A path that would overflow is cut. */
size_t fl_exp_push_key(struct exp_ctx *c, const char *key);
size_t fl_exp_push_index(struct exp_ctx *c, unsigned index);
void fl_exp_pop(struct exp_ctx *c, size_t old_len);

/* "PATH: message" at node n (n NULL: no position). Returns -EINVAL. */
int fl_exp_err(struct exp_ctx *c, const struct fl_ynode *n, const char *fmt, ...) _printf_(3, 4);
/* "PATH.key: message" at node n. */
int fl_exp_err_key(struct exp_ctx *c, const struct fl_ynode *n, const char *key, const char *fmt,
		   ...) _printf_(4, 5);
/* A scalar as "text" for messages (escaped, cut at 80 bytes); a collection as its type. */
const char *fl_exp_quote(const struct fl_ynode *n, char *buf, size_t size);
struct fl_pos fl_exp_pos(const struct exp_ctx *c, const struct fl_ynode *n);

/* n is of the type, else "PATH: expected <what>, got <type>". */
int fl_exp_want(struct exp_ctx *c, const struct fl_ynode *n, enum fl_ytype type, const char *what);
/* n is a mapping whose keys are all in allowed (NULL-terminated). */
int fl_exp_map(struct exp_ctx *c, const struct fl_ynode *n, const char *const *allowed);
/* The unknown-field error itself (at the key node), listing allowed. */
int fl_exp_unknown_field(struct exp_ctx *c, const struct fl_ynode *key, const char *const *allowed);
/* The key node of a mapping entry (for positions), or NULL. */
const struct fl_ynode *fl_exp_key_node(const struct fl_ynode *map, const char *key);

/* A string node: at most max bytes, no control characters but (when multiline) \n \t. */
int fl_exp_str_node(struct exp_ctx *c, const struct fl_ynode *n, size_t max, bool multiline,
		    char **ret);
/* map[key] as a string; absent: 0 (and "PATH.key: required" when required). */
int fl_exp_str(struct exp_ctx *c, const struct fl_ynode *map, const char *key, size_t max,
	       bool required, char **ret);
/* map[key] as a name: [a-z0-9]([a-z0-9-]*[a-z0-9])?, at most FL_EXP_NAME_MAX. */
int fl_exp_name(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool required,
		char **ret);
bool fl_exp_valid_name(const char *s);
/* map[key] as a duration with unit, in (0, max]; absent: 0 without touching ret. */
int fl_exp_duration(struct exp_ctx *c, const struct fl_ynode *map, const char *key, uint64_t max,
		    uint64_t *ret);
int fl_exp_bool(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool *ret);
/* map[key] as a list of at most max entries; absent: *ret = NULL. */
int fl_exp_seq(struct exp_ctx *c, const struct fl_ynode *map, const char *key, unsigned max,
	       const struct fl_ynode **ret);
/* A POSIX extended regex that compiles (nothing is kept). */
int fl_exp_regex(struct exp_ctx *c, const struct fl_ynode *n, const char *text);
/* "https://..." / "http://..." with a host. */
int fl_exp_url(struct exp_ctx *c, const struct fl_ynode *n, const char *text);
/* "host:port[,host:port...]" */
int fl_exp_bootstrap(struct exp_ctx *c, const struct fl_ynode *n, const char *text);
/* strdup that may be given NULL (then NULL and 0). */
int fl_exp_strdup(const char *s, char **ret);

/* ---- parts of an experiment --------------------------------------------------------- */

enum exp_probe_where {
	EXP_PROBE_STEADY, /* steadyState.probes: tolerance required */
	EXP_PROBE_METHOD, /* a method step: tolerance optional */
	EXP_PROBE_ABORT,  /* abort.probes: tolerance required, debounce allowed */
	EXP_PROBE_EFFECT, /* an effect step: tolerance required, compared with its baseline */
};

/* A list at map[key] (absent: 0 entries, *ret_array NULL) and a zeroed array for it. */
int fl_exp_list_alloc(struct exp_ctx *c, const struct fl_ynode *map, const char *key, size_t size,
		      const struct fl_ynode **ret_list, void **ret_array);

/* ---- hooks (exp_hooks.c) ---- */

/* spec.hooks: names, modules, configs (checked by each module). */
int fl_exp_parse_hooks(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e);
/* A hook step {name, action, call, args}: the hook exists, its module takes the call. */
int fl_exp_parse_hook_call(struct exp_ctx *c, const struct fl_ynode *n,
			   const struct fl_experiment *e, struct fl_hook_call *h);
/*
 * Once steadyState and method are parsed: each hook runs where it is used (steady-state
 * probes, method calls and probes), and no method step starts a running one.
 */
int fl_exp_check_hook_lifecycle(struct exp_ctx *c, const struct fl_ynode *spec,
				const struct fl_experiment *e);
/* The module of e's hook called hook (parsed, so known), or NULL when e has no such hook. */
const struct fl_hook_module *fl_exp_hook_module(const struct fl_experiment *e, const char *hook);

/* A probe's type-specific fields (exp_probe_fields.c), once check_fields passed. */
int fl_exp_parse_probe_fields(struct exp_ctx *c, const struct fl_ynode *n,
			      const struct fl_experiment *e, struct fl_probe_spec *p);
/* A probe; hook names are checked against e->hooks (already parsed). */
int fl_exp_parse_probe(struct exp_ctx *c, const struct fl_ynode *n, enum exp_probe_where where,
		       const struct fl_experiment *e, struct fl_probe_spec *p);
void fl_exp_probe_clear(struct fl_probe_spec *p);

/* spec.agents as {kubernetes: {...}} (exp_kube_agents.c) into e->kube_agents. */
int fl_exp_parse_kube_agents(struct exp_ctx *c, const struct fl_ynode *agents,
			     struct fl_experiment *e);
void fl_exp_kube_agents_free(struct fl_kube_agents *ka);

/* spec.targets (exp_targets.c): every selector checked; agents must be parsed first. */
int fl_exp_parse_targets(struct exp_ctx *c, const struct fl_ynode *spec, struct fl_experiment *e);
void fl_exp_target_clear(struct fl_target_sel *t);
/* A label selector (field: a field selector) at map[key] into *ret (absent: NULL), checked
 * with Kubernetes' grammar (labelsel.h); a refusal points at the offending character. */
int fl_exp_selector(struct exp_ctx *c, const struct fl_ynode *map, const char *key, bool field,
		    char **ret);
/* The Kubernetes pod fields of map n (namespace, selector, fieldSelector, names) into t,
 * whose kind becomes FL_SELECT_KUBE: a `pods` target, a kubernetes.* probe. */
int fl_exp_parse_kube_pods(struct exp_ctx *c, const struct fl_ynode *n, struct fl_target_sel *t);

/* A fault of method[index]; its target is checked against e->targets. */
int fl_exp_parse_fault(struct exp_ctx *c, const struct fl_ynode *n, unsigned index,
		       const struct fl_experiment *e, struct fl_fault_spec *f);
void fl_exp_fault_clear(struct fl_fault_spec *f);

/* What a Suite's spec.defaults give every experiment (owned; see exp_spec.c). */
struct exp_defaults {
	bool has_seed;
	uint64_t seed;
	struct fl_agent_ref *agents;
	unsigned n_agents;
	char *kafka_bootstrap;
	uint64_t abort_interval_ns; /* 0: not given */
};

int fl_exp_parse_defaults(struct exp_ctx *c, const struct fl_ynode *n, struct exp_defaults *d);
void fl_exp_defaults_clear(struct exp_defaults *d);

/* metadata: {name, description} (the path gets ".metadata"). */
int fl_exp_parse_metadata(struct exp_ctx *c, const struct fl_ynode *n, char **ret_name,
			  char **ret_description);

/* An experiment from its metadata and spec nodes (of a file or a suite entry at `at`). */
int fl_exp_parse_experiment(struct exp_ctx *c, const struct fl_ynode *at,
			    const struct fl_ynode *metadata, const struct fl_ynode *spec,
			    const struct exp_defaults *d, struct fl_experiment *e);
void fl_exp_experiment_clear(struct fl_experiment *e);

#endif
