/* SPDX-License-Identifier: MIT */
/*
 * A real 3-broker Kafka cluster (KRaft) for a test: tests/lib/kafka-cluster.sh started in a
 * fresh /tmp/fl-kafka-XXXXXX, stopped and removed by an fltest_defer cleanup even when the
 * test fails. The first start of a machine fetches the jars (scripts/kafka-jars.sh).
 *
 *   struct kafkaenv kenv;
 *   kafkaenv_start(&kenv);                   // skips (fails under CI=true) if impossible
 *   kafkaenv_create_topic(&kenv, "t", 3, 3, NULL);
 *   ... librdkafka / kcat against kenv.bootstrap ...
 */
#ifndef FL_KAFKAENV_H
#define FL_KAFKAENV_H

#include <stdbool.h>

#define KAFKAENV_BROKERS 3

struct kafkaenv {
	char dir[64];	     /* the cluster's directory (see kafka-cluster.sh's header) */
	char bootstrap[128]; /* "127.0.0.1:P,127.0.0.1:P+1,127.0.0.1:P+2" */
	int base_port;	     /* broker n listens on base_port + n */
	double start_s;	     /* how long the start took (the jar fetch included) */
};

/*
 * Start the cluster and register its stop + removal with fltest_defer; extends the test's
 * time limit. Returns 0 once all brokers are ready. When the cluster cannot be started
 * (java/kcat missing, no jars, a broker dies) it does not return: the test is skipped with
 * the reason, or fails under CI=true. Ports: FL_KAFKA_BASE_PORT, else one derived from the
 * PID below the ephemeral range, moved on when taken.
 */
int kafkaenv_start(struct kafkaenv *env);

/* Stop the whole cluster now (SIGTERM, then SIGKILL after 15 s); the deferred cleanup then
 * only removes the directory. 0 or -EIO. */
int kafkaenv_stop(const struct kafkaenv *env);
/* Stop broker n (0..2): SIGTERM (a controlled shutdown), or SIGKILL with kill = true.
 * 0 or -EIO (the script's message is on stderr). */
int kafkaenv_broker_stop(const struct kafkaenv *env, int n, bool kill);
/* Start broker n again; returns once it is back in the cluster. 0 or -EIO. */
int kafkaenv_broker_start(const struct kafkaenv *env, int n);

/*
 * Run "kafka-cluster.sh VERB DIR ARGS..." (VERB: tool, topics, consumer-groups, configs,
 * status; the argument list ends with NULL) and capture its stdout (stderr passes through).
 * Returns the exit status (≥ 0) or -errno; *ret_out (may be NULL) receives the output, a
 * new NUL-terminated string the caller frees, on any exit status.
 */
int kafkaenv_tool(const struct kafkaenv *env, char **ret_out, const char *verb, ...)
	__attribute__((sentinel));
/* The same with an argument vector (NULL-terminated, without VERB and DIR). */
int kafkaenv_toolv(const struct kafkaenv *env, char **ret_out, const char *verb,
		   const char *const *args);

/*
 * Create a topic. configs: NULL or a NULL-terminated list of "key=value" topic configs.
 * 0, or -EIO when kafka-topics failed (its message is on stderr).
 */
int kafkaenv_create_topic(const struct kafkaenv *env, const char *name, int partitions, int rf,
			  const char *const *configs);

#endif
