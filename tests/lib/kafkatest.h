/* SPDX-License-Identifier: MIT */
/*
 * Ground-truth helpers for Kafka probe tests and benchmarks: the cluster, topics,
 * producing, committing, and the independent views of kcat and Kafka's own tools.
 * Failures fail the current test (FL_FAIL); a cluster that cannot start fails every test
 * under CI=true and skips them elsewhere.
 *
 * Which cluster: a test binary run alone starts its own 3-broker cluster through
 * tests/lib/kafka-cluster.sh (its parent process owns it and stops it at exit). Under
 * tests/run.sh the integration tier starts ONE cluster for all its Kafka tests and exports
 * FL_KAFKA_BOOTSTRAP + FL_KAFKA_DIR, which every binary adopts instead (FL_KAFKA_CLUSTER_SH:
 * the kafka-cluster.sh-compatible script to drive it); when that start failed it exports
 * FL_KAFKA_START_ERROR instead, the script's message, and every test fails (CI) or skips
 * with it. A shared cluster outlives each binary, so a Kafka test:
 *  - names its topics and groups with kafkatest_topic_name() (unique across binaries);
 *  - leaves the cluster whole (kafkatest_cluster_whole): a test that stops a broker calls
 *    kafkatest_restore() before it ends, and defers it for the paths that fail;
 *  - declares KAFKATEST_CLUSTER() once, whose last check fails the binary when the cluster
 *    is not whole after its tests (and restores it for the next binary).
 */
#ifndef FL_KAFKATEST_H
#define FL_KAFKATEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fltest.h"

/* Start the cluster (or adopt FL_KAFKA_BOOTSTRAP/FL_KAFKA_DIR) once per process; call it
 * from the binary's parent process (a constructor) so that it outlives each forked test. A
 * cluster it started is stopped when that process exits; an adopted one is left running. */
void kafkatest_setup(void);
/* Once in every test binary that uses the cluster: starts (or adopts) it in the parent
 * process before the first test, and after the last one checks that it is left whole. */
#define KAFKATEST_CLUSTER()                                                 \
	__attribute__((constructor(200))) static void kafkatest_start(void) \
	{                                                                   \
		kafkatest_setup();                                          \
	}                                                                   \
	FLTEST_LAST(kafka_cluster_is_left_whole)                            \
	{                                                                   \
		fltest_set_timeout(300);                                    \
		kafkatest_expect_whole(30);                                 \
	}

/* "host:port,..." of the test cluster. Without one the test fails under CI (CI=true or
 * CI=1) and skips elsewhere, either way with the start script's error. */
const char *kafkatest_bootstrap(void);
/* The cluster's directory (the script's DIR argument). */
const char *kafkatest_dir(void);
/* A topic or group name no other test of the run uses: "<prefix>-<pid>-<n>-<random>" (PIDs
 * recycle within a run: pid_max is 32768 here). */
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
/* Records delivered (acknowledged) so far. */
uint64_t kafkatest_rate_delivered(struct kafkatest_rate *r);
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

/* Whether the cluster is as a test must leave it: every broker registered, every partition
 * of every topic (__consumer_offsets too) with all its replicas in its ISR and led by its
 * preferred (first) replica. One metadata request; false names the first difference in why. */
bool kafkatest_cluster_whole(char *why, size_t size);
/* Make the cluster whole: start every stopped node again, wait until every replica is back
 * in its ISR, then elect the preferred leaders (kafka-leader-election). Fails the test when
 * it is not whole within 180 s. Cheap when it is whole already. */
void kafkatest_restore(void);
/* kafkatest_restore() for fltest_defer() (arg unused). */
void kafkatest_restore_cb(void *arg);
/* Fail the test unless the cluster is whole within grace_s seconds (KAFKATEST_CLUSTER()'s
 * last check gives 30: a loaded machine may drop a follower from an ISR for a moment),
 * naming the difference; the cluster is restored first, for the tests after this one. */
void kafkatest_expect_whole(int grace_s);

/* Run the cluster script (verb DIR args..., NULL-terminated) and return its stdout (malloc'd);
 * a non-zero exit fails the test. E.g. kafkatest_cluster_out("topics", "--describe", NULL). */
char *kafkatest_cluster_out(const char *verb, ...) __attribute__((sentinel));
/* Run the cluster script (verb DIR args...) with stdout into out_path (NULL: /dev/null);
 * returns its exit status or -1. */
int kafkatest_cluster_sh(const char *out_path, const char *const *args);

#endif
