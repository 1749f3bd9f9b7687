/* SPDX-License-Identifier: MIT */
/*
 * Probes: something that, asked now, returns a sample — named metric values with the time
 * they were taken. A probe instance keeps what it needs between samples (a throughput
 * probe keeps the log-end offsets of its window). Verdicts are computed from samples by
 * verdict.h; probes never judge.
 *
 * Implementations: kafka/kafka_probe.c (kafka.*), http_probe.c (http, prometheus),
 * engine/hook_run.c (hook), pod_probe.c (pod). Each fills a struct fl_probe with its ops;
 * fl_probe_new() (engine/probe_ctx.h) picks one by the spec's type.
 *
 * Threads: a probe is used by one thread at a time. The context (Kafka clients shared by
 * the probes of one cluster, the hook instances) is shared by the probes of one run.
 */
#ifndef FL_PROBE_H
#define FL_PROBE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "fl/diag.h"

#define FL_SAMPLE_MAX_METRICS 32
#define FL_METRIC_NAME_MAX    48
#define FL_METRIC_TEXT_MAX    64

struct fl_metric {
	char name[FL_METRIC_NAME_MAX];
	bool is_text;
	double value;		       /* when !is_text */
	char text[FL_METRIC_TEXT_MAX]; /* when is_text ("OK", "STALL", ...) */
};

struct fl_sample {
	uint64_t t_ms; /* unix time in ms when the sample was complete */
	/*
	 * 0: the metrics are data. -ENODATA: the probe ran but there is nothing to measure
	 * (topic without partitions, group unknown, empty Prometheus vector) — the verdict
	 * follows onNoData. Any other -errno: the probe could not run (error says why).
	 */
	int err;
	char error[256];
	unsigned n;
	struct fl_metric m[FL_SAMPLE_MAX_METRICS];
	json_t *detail; /* owned, optional: e.g. per-partition lag {"topic/0": {...}}; journaled */
};

/* Set a metric (replaces one with the same name). -ENOSPC when full, -EINVAL on a name
 * longer than FL_METRIC_NAME_MAX - 1. Text is truncated to FL_METRIC_TEXT_MAX - 1. */
int fl_sample_set(struct fl_sample *s, const char *name, double value);
int fl_sample_set_text(struct fl_sample *s, const char *name, const char *text);
/* The metric called name, or NULL (borrowed from s). */
const struct fl_metric *fl_sample_get(const struct fl_sample *s, const char *name);
/* Mark the sample failed: err (< 0) and a formatted message. Returns err. */
int fl_sample_fail(struct fl_sample *s, int err, const char *fmt, ...) _printf_(3, 4);
/* Free detail and zero the sample (NULL-safe). */
void fl_sample_reset(struct fl_sample *s);

struct fl_probe;
struct fl_probe_ops {
	/* Take a sample now. Windowed probes (throughput, consumerLag) with no history as
	 * old as their window take a first snapshot and wait for the window to pass (bounded
	 * by window + timeout) before returning; later calls use the history they keep.
	 * Always fills *ret (zeroed first); returns ret->err. */
	int (*sample)(struct fl_probe *probe, struct fl_sample *ret);
	void (*free)(struct fl_probe *probe);
};

struct fl_probe {
	const struct fl_probe_ops *ops;
	const struct fl_probe_spec *spec; /* borrowed from the suite */
};

/* Same as probe->ops->sample. */
int fl_probe_sample(struct fl_probe *probe, struct fl_sample *ret);
/* NULL-safe; returns NULL. */
struct fl_probe *fl_probe_free(struct fl_probe *probe);

#endif
