/* SPDX-License-Identifier: MIT */
/*
 * Ground-truth helpers for Kafka probe tests and benchmarks: the cluster (started once per
 * test binary through tests/lib/kafka-cluster.sh, stopped when the binary exits), topics,
 * producing, committing, and the independent views of kcat and Kafka's own tools.
 * Failures fail the current test (FL_FAIL); a cluster that cannot start fails every test
 * under CI=true and skips them elsewhere.
 *
 * Environment: FL_KAFKA_BOOTSTRAP + FL_KAFKA_DIR use an already running cluster (its
 * kafka-cluster.sh-compatible script in FL_KAFKA_CLUSTER_SH) instead of starting one.
 */
#ifndef FL_KAFKATEST_H
#define FL_KAFKATEST_H

#include <stddef.h>
#include <stdint.h>

/* Start the cluster (or adopt FL_KAFKA_BOOTSTRAP/FL_KAFKA_DIR) once per process; call it
 * from the binary's parent process (a constructor) so that it outlives each forked test. It
 * is stopped when that process exits. */
void kafkatest_setup(void);
/* "host:port,..." of the test cluster. Without one the test fails under CI (CI=true or
 * CI=1) and skips elsewhere, either way with the start script's error. */
const char *kafkatest_bootstrap(void);
/* The cluster's directory (the script's DIR argument). */
const char *kafkatest_dir(void);
/* A name unique to this run: "<prefix>-<pid>-<n>". */
void kafkatest_topic_name(char *buf, size_t size, const char *prefix);
/* Create a topic and wait until every partition has a leader. only_broker >= 0: every
 * replica on that broker (rf must be 1). */
void kafkatest_create_topic(const char *topic, int partitions, int rf, int only_broker);
/* Produce n records to a partition and wait for their delivery. */
void kafkatest_produce(const char *topic, int partition, int n);
/* Commit offsets[p] for partitions 0..n-1 of topic in group (-1: none), without joining. */
void kafkatest_commit(const char *group, const char *topic, const int64_t *offsets, int n);

/* A producer thread sending `rate` msg/s to topic (round robin over partitions). */
struct kafkatest_rate;
struct kafkatest_rate *kafkatest_rate_start(const char *topic, int rate);
/* Wait until its deliveries keep up with the schedule (a cold cluster first falls behind,
 * then catches up in a burst that would inflate a measured rate). */
void kafkatest_rate_wait_steady(struct kafkatest_rate *r);
/* Stops it; returns the number of records delivered. */
uint64_t kafkatest_rate_stop(struct kafkatest_rate *r);

/* kcat -Q: the log-end offset of topic/partition. */
int64_t kafkatest_kcat_end(const char *topic, int partition);
/* kafka-consumer-groups --describe: CURRENT-OFFSET of topic/partition, -1 for "-". */
int64_t kafkatest_tool_committed(const char *group, const char *topic, int partition);
/* Partitions of topic with a replica on broker (sorted); returns how many. */
unsigned kafkatest_partitions_on(const char *topic, int broker, int32_t *ret, unsigned max);
/* kafka-topics --describe --under-replicated-partitions for topic (sorted partitions). */
unsigned kafkatest_tool_under_replicated(const char *topic, int32_t *ret, unsigned max);
void kafkatest_broker_stop(int broker);
void kafkatest_broker_start(int broker);

/* Run the cluster script (verb DIR args..., NULL-terminated) and return its stdout (malloc'd);
 * a non-zero exit fails the test. E.g. kafkatest_cluster_out("topics", "--describe", NULL). */
char *kafkatest_cluster_out(const char *verb, ...) __attribute__((sentinel));
/* Run the cluster script (verb DIR args...) with stdout into out_path (NULL: /dev/null);
 * returns its exit status or -1. */
int kafkatest_cluster_sh(const char *out_path, const char *const *args);

#endif
