/* SPDX-License-Identifier: MIT */
/*
 * Kafka steady-state measurements for the kafka.* probes, on librdkafka (2.0.2 in Debian 12).
 *
 *   struct fl_kafka          one admin connection to a cluster (a consumer-type handle that
 *                            never joins a group): metadata, ListOffsets, group offsets,
 *                            DescribeConfigs. Thread-safe: probes of one run share it.
 *   fl_kafka_end_offsets     log-end offsets of a topic selection, batched per leader
 *   fl_kafka_lag_snapshot    committed offsets of one or all groups against the log end
 *   fl_kafka_lag_status      Burrow-style status of one partition over a window (pure)
 *   fl_kafka_health          under-replicated / offline / under-min-ISR partitions
 *   fl_kafka_e2e             produce a marker (acks=all), read it back, time it
 *   fl_kafka_probe_new       the struct fl_probe (probe.h) for the four kafka.* types
 *
 * Errors: librdkafka's codes are translated here into -errno; the diag message keeps
 * librdkafka's text (and the last error it logged, e.g. "Connection refused"). Nothing here
 * logs: librdkafka's own log lines go to a small buffer in struct fl_kafka.
 *
 * Costs (what the benchmark measures): a lag snapshot is one Metadata request, one
 * ListConsumerGroups (all groups), one OffsetFetch per group issued concurrently (librdkafka
 * 2.0.2 takes one group per ListConsumerGroupOffsets call), and one ListOffsets request per
 * partition leader (rd_kafka_offsets_for_times groups them). Results are flat arrays.
 */
#ifndef FL_KAFKA_H
#define FL_KAFKA_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"
#include "probe.h"

#define FL_KAFKA_BOOTSTRAP_MAX 1024
#define FL_KAFKA_NO_OFFSET     (-1)  /* a partition without a committed offset */
#define FL_KAFKA_MAX_GROUPS    10000 /* groups in one all-groups snapshot */

struct fl_kafka;

/* Open a client for bootstrap ("host:port,host:port"). No network I/O happens here: an
 * unreachable cluster shows up at the first request. Returns 0 and a new client, or -EINVAL
 * (bad bootstrap) / -ENOMEM with diag. */
int fl_kafka_open(const char *bootstrap, struct fl_kafka **ret, struct fl_diag *diag) _wur_;
/* NULL-safe; returns NULL. */
struct fl_kafka *fl_kafka_free(struct fl_kafka *kafka);
/* The bootstrap string (borrowed). */
const char *fl_kafka_bootstrap(const struct fl_kafka *kafka);

/* Which topics: one by name (internal "__" topics only this way), or a POSIX regex over
 * every non-internal topic's name, compiled by fl_ere_compile_whole (ere.h) so that only
 * whole names match, or all (both NULL). */
struct fl_kafka_select {
	const char *topic;
	const regex_t *regex;
};

/* ---- log-end offsets ----------------------------------------------------------------- */

struct fl_kafka_end {
	const char *topic; /* borrowed from the owning struct fl_kafka_ends */
	int32_t partition;
	int64_t end; /* -1 when the partition's leader could not answer */
};

struct fl_kafka_ends {
	uint64_t t_ns; /* CLOCK_MONOTONIC when the offsets were read */
	unsigned n;
	struct fl_kafka_end *p; /* sorted by topic, partition */
	char *names;		/* the topic names p[].topic point into */
};

/* Log-end offsets of the selected topics. -ENODATA (with diag) when nothing matches or the
 * topics have no partitions; -ETIMEDOUT/-ECONNREFUSED/... when the cluster does not answer
 * within timeout_ms. Returns 0 and a new struct (free with fl_kafka_ends_free). */
int fl_kafka_end_offsets(struct fl_kafka *kafka, const struct fl_kafka_select *sel, int timeout_ms,
			 struct fl_kafka_ends **ret, struct fl_diag *diag) _wur_;
struct fl_kafka_ends *fl_kafka_ends_free(struct fl_kafka_ends *ends);

/* Messages appended between two snapshots (sum of end deltas over the partitions present in
 * both with valid offsets; a partition whose end went back counts 0) and the rate in msg/s.
 * Pure. Returns the number of partitions compared. */
unsigned fl_kafka_throughput(const struct fl_kafka_ends *old, const struct fl_kafka_ends *now,
			     int64_t *ret_messages, double *ret_rate);

/* ---- consumer lag -------------------------------------------------------------------- */

struct fl_lag_entry {
	const char *topic; /* borrowed from the snapshot */
	int32_t partition;
	int64_t committed; /* FL_KAFKA_NO_OFFSET: the group has none here (Kafka's tool: "-") */
	int64_t end;	   /* log-end offset; -1 when its leader could not answer */
	int64_t lag;	   /* end - committed (>= 0); -1 when either is unknown */
};

struct fl_lag_group {
	const char *name;  /* borrowed from the snapshot */
	int err;	   /* 0, or -errno when this group's offsets could not be read */
	unsigned first, n; /* its entries: snapshot->e[first .. first + n) */
};

/*
 * The partitions of a group are those of every topic it committed on: partitions with a
 * commit, and the other partitions of those topics with committed = FL_KAFKA_NO_OFFSET and
 * lag -1 (unknown, as Kafka's tool shows "-"; not counted in lag sums). A committed offset
 * on a topic that no longer exists is left out. Entries are sorted by topic, partition.
 */
struct fl_lag_snapshot {
	uint64_t t_ns; /* CLOCK_MONOTONIC at the end of the snapshot */
	unsigned n_groups;
	struct fl_lag_group *groups; /* sorted by name */
	unsigned n;
	struct fl_lag_entry *e;
	char *names; /* topic and group names */
};

/* Snapshot one group (group != NULL: a group with no committed offsets, e.g. unknown, has
 * n = 0) or every group in the cluster (group == NULL). timeout_ms bounds the whole call.
 * Returns 0 and a new snapshot (free with fl_lag_snapshot_free), or -errno with diag. */
int fl_kafka_lag_snapshot_timeout(struct fl_kafka *kafka, const char *group, int timeout_ms,
				  struct fl_lag_snapshot **ret, struct fl_diag *diag) _wur_;
/* The same with a 5 s limit. */
int fl_kafka_lag_snapshot(struct fl_kafka *kafka, const char *group, struct fl_lag_snapshot **ret,
			  struct fl_diag *diag) _wur_;
struct fl_lag_snapshot *fl_lag_snapshot_free(struct fl_lag_snapshot *snap);
/* The entry of topic/partition in group g, or NULL (borrowed; binary search). */
const struct fl_lag_entry *fl_lag_snapshot_find(const struct fl_lag_snapshot *snap,
						const struct fl_lag_group *g, const char *topic,
						int32_t partition);

/* Ordered from best to worst; the group's status is its worst partition's. */
enum fl_lag_status {
	FL_LAG_OK,
	FL_LAG_WARN,
	FL_LAG_STALL,
	FL_LAG_REWIND,
	FL_LAG_ERR, /* group unknown or no data */
};
const char *fl_lag_status_name(enum fl_lag_status status);

/*
 * Status of one partition over the n samples of a window, oldest first (committed[i],
 * end[i]; committed FL_KAFKA_NO_OFFSET entries must be left out by the caller):
 *   committed went back between two samples          REWIND (even if lag was 0 before:
 *                                                    a reset is what we must not hide)
 *   lag 0 in any sample                              OK (caught up; an idle topic is OK)
 *   n >= 2, committed unchanged, lag > 0 throughout  STALL
 *   n >= 2, lag strictly growing, committed moving   WARN
 *   otherwise (and n < 2)                            OK
 * Pure (Burrow's evaluation rules, with REWIND checked first).
 */
enum fl_lag_status fl_kafka_lag_status(const int64_t *committed, const int64_t *end, unsigned n);

/* ---- partition health ---------------------------------------------------------------- */

struct fl_kafka_bad_partition {
	const char *topic; /* borrowed from the owning report */
	int32_t partition;
	int32_t leader;		    /* -1: offline */
	int replicas, isr, min_isr; /* min_isr 0 when unknown */
};

struct fl_kafka_health {
	unsigned partitions, under_replicated, offline, under_min_isr;
	/* The broker leading the first partition (lowest topic name, then lowest partition id)
	 * of the selection, -1 when it has none: which broker a fault must move leadership
	 * off (the leader effect check of kafka-broker-failure). */
	int32_t leader;
	unsigned n_bad;
	struct fl_kafka_bad_partition *bad; /* each partition with any problem, sorted */
	char *names;
};

struct fl_kafka_min_isr_cache; /* min.insync.replicas per topic, read once per topic */
struct fl_kafka_min_isr_cache *fl_kafka_min_isr_cache_free(struct fl_kafka_min_isr_cache *c);

/* Health of the selected topics from one Metadata request; min.insync.replicas of topics
 * not in *cache (created when NULL) is read with one DescribeConfigs request. -ENODATA when
 * no topic matches. Returns 0 and a new report (fl_kafka_health_free). */
int fl_kafka_health(struct fl_kafka *kafka, const struct fl_kafka_select *sel,
		    struct fl_kafka_min_isr_cache **cache, int timeout_ms,
		    struct fl_kafka_health **ret, struct fl_diag *diag) _wur_;
struct fl_kafka_health *fl_kafka_health_free(struct fl_kafka_health *health);

/* ---- leaders ----------------------------------------------------------------------- */

struct fl_kafka_leader {
	int32_t id;	/* the leading broker's node id */
	char host[256]; /* its advertised host (a name or an address) */
	int port;
};

/* The broker leading topic/partition now (one Metadata request). -ENOENT: no such topic or
 * partition; -ENODATA: no leader (offline); Kafka errors otherwise — each with diag. */
int fl_kafka_leader(struct fl_kafka *kafka, const char *topic, int32_t partition, int timeout_ms,
		    struct fl_kafka_leader *ret, struct fl_diag *diag) _wur_;

/* ---- end to end ---------------------------------------------------------------------- */

struct fl_kafka_e2e; /* a producer (acks=all) and a group-less consumer for one topic */
int fl_kafka_e2e_new(struct fl_kafka *kafka, const char *topic, struct fl_kafka_e2e **ret,
		     struct fl_diag *diag) _wur_;
struct fl_kafka_e2e *fl_kafka_e2e_free(struct fl_kafka_e2e *e2e);
/*
 * Produce a record with a unique key, wait for its delivery report, assign the consumer to
 * that partition at the reported offset and read until the key shows up. *ret_latency_ms is
 * produce() to consumed (ms). Returns 1 and the latency when seen, 0 (lost) when the record
 * was not delivered or not seen within timeout_ms (diag says which), -errno on local errors.
 */
int fl_kafka_e2e_run(struct fl_kafka_e2e *e2e, int timeout_ms, double *ret_latency_ms,
		     struct fl_diag *diag) _wur_;

/* ---- probes -------------------------------------------------------------------------- */

/* The probe (probe.h) for a kafka.* spec, using kafka (borrowed: must outlive the probe).
 * Returns 0 and a new probe, or -EINVAL with diag (missing topic/group, bad regex). */
int fl_kafka_probe_new(struct fl_kafka *kafka, const struct fl_probe_spec *spec,
		       struct fl_probe **ret, struct fl_diag *diag) _wur_;

#endif
