/* SPDX-License-Identifier: MIT */
/*
 * The experiment model: what an `apiVersion: faultline/v1` file says, as plain values.
 *
 * A file holds either `kind: Experiment` or `kind: Suite` (a gameday: an ordered list of
 * experiments with shared defaults). The parser always returns a suite; a lone experiment
 * is a suite of one, so the runner has one shape to walk. Defaults of a suite are already
 * merged into each experiment (an experiment's own value wins).
 *
 * Ownership: everything hangs off the suite and is freed by fl_suite_free(). Strings are
 * malloc'd and NUL-terminated; a NULL string means "not given". Every element keeps the
 * position of its YAML node (struct fl_pos) so that later checks — plan-time target
 * resolution, capabilities — can point at the line that asked for it.
 *
 * The format is documented in docs/experiments.md and described by the JSON Schema in
 * experiments/schema/faultline-v1.schema.json (a test keeps both in step with this parser).
 */
#ifndef FL_EXPERIMENT_H
#define FL_EXPERIMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"

/* Limits on what a user controls (docs/style.md: bound every input). */
#define FL_EXP_FILE_MAX	       (1024 * 1024) /* bytes in one YAML file */
#define FL_EXP_MAX_EXPERIMENTS 256	     /* in one suite */
#define FL_EXP_MAX_ITEMS       256 /* targets, probes, steps, hooks, agents per experiment */
#define FL_EXP_MAX_DEPTH       32  /* YAML nesting */
#define FL_EXP_NAME_MAX	       63  /* names: [a-z0-9]([a-z0-9-]*[a-z0-9])? */

struct fl_pos {
	const char *file; /* borrowed from the suite (fl_suite.files) */
	int line, col;	  /* 1-based */
};

/* ---- agents and Kafka -------------------------------------------------------------- */

/* An agent the experiment may use (spec.agents[]). */
struct fl_agent_ref {
	char *name;	/* required, unique */
	char *address;	/* "unix:/path" or "https://host:port" (agent_client.h) */
	char *tls_cert; /* https only; NULL otherwise */
	char *tls_key;
	char *tls_ca;
	struct fl_pos pos;
};

/*
 * spec.agents: {kubernetes: {...}}: the agents are pods of a DaemonSet, found through the
 * Kubernetes API — for each target pod, the Ready agent pod on its node (spec.nodeName),
 * reached at https://<its status.hostIP>:<port>.
 */
struct fl_kube_agents {
	char *namespace; /* required */
	char *selector;	 /* a label selector; default app.kubernetes.io/name=faultline-agent */
	unsigned port;	 /* default 9443 */
	char *tls_cert, *tls_key, *tls_ca;
	struct fl_pos pos;
};

/* ---- targets ------------------------------------------------------------------------- */

enum fl_select_kind {
	FL_SELECT_POD,	 /* pods through the agents' CRI view: namespace + name glob + labels */
	FL_SELECT_NETNS, /* a network namespace path */
	FL_SELECT_PID,	 /* a process (standalone hosts) */
	FL_SELECT_KUBE,	 /* "pods": pods through the Kubernetes API (selectors, name glob) */
};

enum fl_target_mode {
	FL_TARGET_ONE,	   /* one of the matches, chosen with the run's seed */
	FL_TARGET_ALL,	   /* every match */
	FL_TARGET_FIXED,   /* "fixed:N": N matches (error at plan time when fewer match) */
	FL_TARGET_PERCENT, /* "percent:P": ceil(P% of the matches), at least 1 */
};

struct fl_label {
	char *key;
	char *value;
};

/* spec.targets.<name> */
struct fl_target_sel {
	char *name;  /* the key under targets */
	char *agent; /* NULL: every agent in spec.agents */
	enum fl_select_kind kind;
	/* FL_SELECT_POD, FL_SELECT_KUBE: namespace required; name is a glob ("loader-*") or
	 * NULL (any) */
	char *pod_namespace;
	char *pod_name;
	struct fl_label *labels; /* all must match */
	unsigned n_labels;
	char *container; /* container-kill: the container's name; NULL: the pod's first */
	/* FL_SELECT_KUBE: a label selector and a field selector as the API takes them
	 * (checked with labelsel.h); NULL: none */
	char *kube_labels;
	char *kube_fields;
	/* FL_SELECT_KUBE, kafkaLeader: of the matches, the pod of the broker leading
	 * leader_topic/leader_partition when the target is resolved (by pod IP, pod name =
	 * the advertised host's first label, or a name ending in -<broker id>); NULL: none */
	char *leader_topic;
	int leader_partition;
	char *leader_bootstrap; /* kafkaLeader.bootstrap, else spec.kafka.bootstrap (copied) */
	/* FL_SELECT_NETNS */
	char *netns;
	/* FL_SELECT_PID */
	int pid;
	char *interface; /* network faults: NULL = the agent's default (eth0) */
	enum fl_target_mode mode;
	unsigned mode_count; /* FL_TARGET_FIXED */
	double mode_percent; /* FL_TARGET_PERCENT, (0, 100] */
	struct fl_pos pos;
};

/* ---- probes and tolerances --------------------------------------------------------- */

enum fl_probe_type {
	FL_PROBE_KAFKA_THROUGHPUT, /* "kafka.throughput" */
	FL_PROBE_KAFKA_LAG,	   /* "kafka.consumerLag" */
	FL_PROBE_KAFKA_PARTITIONS, /* "kafka.partitions" */
	FL_PROBE_KAFKA_E2E,	   /* "kafka.e2e" */
	FL_PROBE_HTTP,		   /* "http" */
	FL_PROBE_PROMETHEUS,	   /* "prometheus" */
	FL_PROBE_HOOK,		   /* "hook": a value from an embedded module (hooks[]) */
	FL_PROBE_POD,		   /* "pod": the pods of a target, through the agents */
	FL_PROBE_KUBE_READY,	   /* "kubernetes.podsReady": pods through the Kubernetes API */
	FL_PROBE_KUBE_RESTARTS,	   /* "kubernetes.restarts" */
};

/*
 * One rule on one metric of a probe's sample. Metrics per probe type (docs/experiments.md):
 *   kafka.throughput   rate (msg/s, default), messages, partitions
 *   kafka.consumerLag  lag.max (default), lag.sum, status (OK|WARN|STALL|REWIND|ERR: the
 *                      worst partition), partitions, partitions.stalled,
 *                      partitions.rewound, partitions.warn, committed.advance (offsets
 *                      the group committed over the window, summed over partitions)
 *   kafka.partitions   underReplicated (default), offline, underMinIsr, partitions, leader
 *                      (the broker leading the lowest-numbered partition; -1: none)
 *   kafka.e2e          latencyMs (default), lost (0 or 1)
 *   http               status (default), latencyMs, value (json field, when `json:` given)
 *   prometheus         value (default)
 *   hook               value (default)
 *   pod                restarts (default: container restarts summed over the target's
 *                      pods), pods, running (containers running)
 *   kubernetes.podsReady  ready (default: Ready pods not being deleted), pods,
 *                      deleted.gone (pods this run's pod-delete faults deleted that are
 *                      gone), replacements.ready (Ready pods the pod-delete faults did not
 *                      see when they chose)
 *   kubernetes.restarts   restarts (default: containers' restartCount summed), pods
 * Several bounds in one rule must all hold. A string metric (status) takes equals / regex.
 *
 * delta, changed and percentChange compare with a reference sample of the same probe: the
 * before-injection sample for steady-state probes judged after, the baseline taken before
 * the first fault for effect steps. Elsewhere the parser refuses delta and changed.
 */
struct fl_tolerance {
	char *metric; /* NULL: the probe type's default metric */
	bool has_min, has_max;
	double min, max; /* range = both */
	bool has_equals;
	double equals;	   /* numeric equality (exact) */
	char *equals_text; /* string equality; NULL when numeric */
	char *regex;	   /* POSIX extended, whole value must match; compiled by the parser */
	bool has_change_min, has_change_max;
	double change_min, change_max; /* percent change against the reference sample:
					  100 * (v - before) / before */
	bool has_delta_min, has_delta_max;
	double delta_min, delta_max; /* v - reference (absolute, in the metric's unit) */
	bool changed;		     /* the value differs from the reference (number or text) */
	struct fl_pos pos;
};

enum fl_no_data {
	FL_NODATA_INCONCLUSIVE, /* default: the check says "inconclusive" */
	FL_NODATA_PASS,
	FL_NODATA_FAIL,
};

struct fl_probe_spec {
	char *name; /* unique within the experiment */
	enum fl_probe_type type;
	/* kafka.*: bootstrap NULL = spec.kafka.bootstrap */
	char *bootstrap;
	char *topic;	     /* throughput, partitions, e2e: one topic, or ... */
	char *topic_regex;   /* ... throughput, partitions: a POSIX extended regex over names */
	char *group;	     /* consumerLag: the group (required) */
	uint64_t window_ns;  /* throughput, consumerLag: the window (default 10s) */
	uint64_t timeout_ns; /* every probe: one sample's time limit (default 5s) */
	/* http */
	char *url;
	char *method;	  /* default GET */
	char *json_field; /* a JSON pointer ("/status/ok") into the response; NULL: none */
	/* prometheus */
	char *prometheus_url; /* base URL, e.g. http://127.0.0.1:9090 */
	char *query;
	/* hook */
	char *hook;	   /* name of an entry in hooks[] */
	char *hook_metric; /* what to ask it for */
	/* pod: the pods a target's selector matches now (every match, whatever its mode) */
	char *target;	 /* a key of targets, a pod selector */
	char *container; /* only this container of each pod; NULL: every container */
	/* kubernetes.*: the pods (kind FL_SELECT_KUBE, named after the probe; owned) */
	struct fl_target_sel *kube;
	struct fl_tolerance *tolerances;
	unsigned n_tolerances;
	enum fl_no_data on_no_data;
	/* continuous (abort) probes: breach when `k` of the last `n` samples fail (default 1/1) */
	unsigned debounce_k, debounce_n;
	struct fl_pos pos;
};

/* ---- method -------------------------------------------------------------------------- */

/*
 * A fault: the agent API's inject body (docs/agent-api.md) without id/target/duration/
 * lease/owner, which the runner fills per resolved target. `params` holds the kind's own
 * fields as JSON ("netem", "bandwidth", "partition", "loss", "delay", "kill", "to",
 * "from", "direction", "interface") — checked by the parser against the agent's schema.
 */
struct fl_fault_spec {
	char *name;	      /* unique within the experiment; default "<kind>-<index>" */
	char *target;	      /* a key of targets */
	char *kind;	      /* network | partition | loss | bandwidth | delay | container-kill |
			 process-kill */
	json_t *params;	      /* owned object */
	uint64_t duration_ns; /* required except for kills */
	uint64_t lease_ns;    /* default 10s (renewed every lease/3 while the fault runs) */
};

enum fl_hook_action {
	FL_HOOK_START, /* start the module instance (config from hooks[]) */
	FL_HOOK_STOP,
	FL_HOOK_CALL, /* a module-defined action with args */
};

struct fl_hook_call {
	char *hook; /* name of an entry in hooks[] */
	enum fl_hook_action action;
	char *call;   /* FL_HOOK_CALL: the action's name */
	json_t *args; /* owned; NULL when none */
};

enum fl_step_kind {
	FL_STEP_FAULT, /* inject; without background: hold for its duration, then revert */
	FL_STEP_PAUSE, /* wait (continuous probes keep running) */
	FL_STEP_PROBE, /* sample once, phase "during" */
	FL_STEP_HOOK,
	/* An effect check: a probe whose tolerance says what the faults before it must have
	 * done. Sampled once before the method's first step (its baseline, the reference of
	 * delta / changed / percentChange) and once here, phase "effect". */
	FL_STEP_EFFECT,
};

struct fl_step {
	enum fl_step_kind kind;
	bool background; /* faults: inject and go on; reverted at its deadline or at the end */
	struct fl_fault_spec fault;
	uint64_t pause_ns;
	struct fl_probe_spec probe; /* FL_STEP_PROBE, FL_STEP_EFFECT */
	struct fl_hook_call hook;
	struct fl_pos pos;
};

/* hooks[]: an instance of an embedded system-under-test module (hook.h). */
struct fl_hook_spec {
	char *name;	/* unique within the experiment */
	char *module;	/* registered module name ("ticker", later "healer", "canary") */
	json_t *config; /* owned; NULL when none */
	bool autostart; /* autoStart: started before the steady-state check, stopped at the end */
	struct fl_pos pos;
};

/* ---- experiment and suite --------------------------------------------------------- */

struct fl_experiment {
	char *name; /* metadata.name */
	char *description;
	struct fl_pos pos;

	bool has_seed;
	uint64_t seed; /* spec.seed; without it the run picks one and journals it */

	struct fl_agent_ref *agents;
	unsigned n_agents;
	struct fl_kube_agents *kube_agents; /* spec.agents.kubernetes; NULL: none */
	char *kafka_bootstrap;		    /* spec.kafka.bootstrap: "host:port,host:port" */

	struct fl_target_sel *targets;
	unsigned n_targets;

	struct fl_probe_spec *steady; /* steadyState.probes: before and after */
	unsigned n_steady;
	/* steadyState.interval: while the method runs, every steady-state probe is sampled this
	 * often as an observation (journaled and drawn, not judged). Default 2s. */
	uint64_t observe_interval_ns;

	struct fl_step *method;
	unsigned n_method;

	struct fl_probe_spec *abort_probes; /* abort.probes: sampled every abort.interval */
	unsigned n_abort;
	uint64_t abort_interval_ns; /* default 1s */

	struct fl_step *rollbacks; /* hook calls and pauses only; always run */
	unsigned n_rollbacks;

	struct fl_hook_spec *hooks;
	unsigned n_hooks;
};

struct fl_suite {
	char *name; /* metadata.name of the Suite, or of the lone Experiment */
	char *description;
	char **files; /* every file read (the suite's and the experiments it includes) */
	unsigned n_files;
	struct fl_experiment *experiments;
	unsigned n_experiments;
};

/*
 * Parse a file (kind Experiment or Suite; a suite may include experiment files by path,
 * relative to the suite's directory). Strict: unknown fields, wrong types, bad durations,
 * sizes and percentages, duplicate names, references to undefined targets or hooks are
 * errors. Semantic checks that need no I/O run here too (netem options are parsed with
 * the netem library; regexes are compiled).
 * Returns 0 and a new suite (free with fl_suite_free), or -errno with diag:
 *   diag->file, line, col   where (the file is borrowed from `path` or the suite: copy it
 *                           before freeing either)
 *                           [an error inside an included file: diag->file points to a
 *                           thread-local copy of its path, valid until the next parse on
 *                           the same thread; line and col are 0 when unknown]
 *   diag->msg               "spec.method[2].fault.duration: \"5 minutes\" is not a
 *                           duration (expected e.g. 500ms, 30s, 2m)"
 * -ENOENT/-EACCES (cannot read), -EFBIG (above FL_EXP_FILE_MAX), -EINVAL (invalid),
 * -ENOMEM.
 */
int fl_suite_parse_file(const char *path, struct fl_suite **ret, struct fl_diag *diag) _wur_;

/* The same from memory; `name` is used as the file name in diagnostics. Includes of other
 * files are resolved relative to the current directory. */
int fl_suite_parse_buffer(const char *name, const char *text, size_t len, struct fl_suite **ret,
			  struct fl_diag *diag) _wur_;

/* NULL-safe; returns NULL. */
struct fl_suite *fl_suite_free(struct fl_suite *suite);

/* "kafka.throughput" etc., and back (-EINVAL when unknown). */
const char *fl_probe_type_name(enum fl_probe_type type);
int fl_probe_type_parse(const char *text, enum fl_probe_type *ret) _wur_;

/* The default metric of a probe type ("rate", "lag.max", ...). */
const char *fl_probe_default_metric(enum fl_probe_type type);

#endif
