/* SPDX-License-Identifier: MIT */
/*
 * What the kafka_*.c files share and nobody else sees: the client struct, librdkafka error
 * translation, the metadata and topic-selection helpers.
 */
#ifndef FL_KAFKA_INTERNAL_H
#define FL_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>

#include "kafka.h"

/* Consumer handles that read one group's committed offsets (kafka_committed.c). */
#define FL_KAFKA_GROUP_READERS 8

struct fl_kafka_group_reader {
	char *group;
	rd_kafka_t *rk; /* consumer type with group.id = group; never subscribes, never joins */
};

struct fl_kafka {
	rd_kafka_t *rk; /* consumer type, no group.id: never joins a group */
	char *bootstrap;
	pthread_mutex_t lock; /* guards last_log */
	char last_log[256];   /* the last error librdkafka logged (e.g. "Connection refused") */
	pthread_mutex_t readers_lock; /* guards readers[] and readers_free */
	struct fl_kafka_group_reader readers[FL_KAFKA_GROUP_READERS];
	/*
	 * Destroys readers[]; set by kafka_committed.c when it caches its first reader, called
	 * by fl_kafka_free when set. kafka_committed.c builds its readers with kafka_client.c's
	 * helpers (fl_kafka_conf_*, fl_kafka_fail); were fl_kafka_free to call into
	 * kafka_committed.c as well, each file would need the other. Through this pointer the
	 * dependency goes one way only: kafka_committed.c uses kafka_client.c, never back.
	 */
	void (*readers_free)(struct fl_kafka *kafka);
};

/* -errno for a librdkafka error code. */
int fl_kafka_errno(rd_kafka_resp_err_t err);
/* Fill diag with "<what>: <librdkafka's text>[ (<last logged error>)]" and return the
 * translated -errno; a timeout after "Connection refused" becomes -ECONNREFUSED. */
int fl_kafka_fail(struct fl_kafka *kafka, struct fl_diag *diag, rd_kafka_resp_err_t err,
		  const char *what);
/* Copy librdkafka's configuration defaults we always want (log_cb into kafka, timeouts). */
int fl_kafka_conf_common(struct fl_kafka *kafka, rd_kafka_conf_t *conf, struct fl_diag *diag);
/* What every consumer-type client here sets (no auto commit, read_uncommitted). */
int fl_kafka_conf_consumer(rd_kafka_conf_t *conf, struct fl_diag *diag);
/* Set a configuration property or fill diag. */
int fl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		      struct fl_diag *diag);

/* Metadata of every topic (one request). */
int fl_kafka_metadata(struct fl_kafka *kafka, int timeout_ms, const struct rd_kafka_metadata **ret,
		      struct fl_diag *diag);
/* Whether topic t is selected by sel. */
bool fl_kafka_selected(const struct fl_kafka_select *sel, const char *name);
/* Internal topics ("__consumer_offsets", "__transaction_state", ...). */
bool fl_kafka_is_internal(const char *name);

/* Log-end offsets of list's partitions (topic, partition set; offsets overwritten): one
 * ListOffsets request per leader, or per 500 partitions of a leader, all concurrent.
 * leaders[i] is the leader of list->elems[i] (from the metadata). Failed partitions get -1. */
int fl_kafka_query_ends(struct fl_kafka *kafka, rd_kafka_topic_partition_list_t *list,
			const int32_t *leaders, int timeout_ms, struct fl_diag *diag);

/*
 * The committed offsets of group for parts' partitions (offsets overwritten; -1001 where
 * the group has none), through the consumer protocol (rd_kafka_committed on a handle
 * with that group.id, cached per group) rather than the Admin API: librdkafka's
 * coordinator-targeted Admin requests abort the process when the coordinator's connection
 * drops mid-request (librdkafka PR #5397, unfixed in 2.0.2; seen here when a gameday
 * killed a broker). Asked in chunks of 500 (librdkafka merges answers in O(n^2)).
 */
int fl_kafka_group_committed(struct fl_kafka *kafka, const char *group,
			     rd_kafka_topic_partition_list_t *parts, int timeout_ms,
			     struct fl_diag *diag);

/* Monotonic clock. */
uint64_t fl_kafka_now_ns(void);
/* Milliseconds left until deadline_ns (at least 1 while time remains, 0 when past). */
int fl_kafka_left_ms(uint64_t deadline_ns);

/* Compare (topic, partition) pairs. */
int fl_kafka_tp_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb);

#endif
