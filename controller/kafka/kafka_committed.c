/* SPDX-License-Identifier: MIT */
/*
 * One group's committed offsets through the consumer protocol (kafka_internal.h says why not the
 * Admin API). A handle per group, made on first use and kept for the client's life: a
 * consumer handle with a group.id that never subscribes only looks up its coordinator and
 * sends OffsetFetch; it never joins the group, so the group's members see nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_internal.h"

#define COMMITTED_CHUNK 500

static int reader_new(struct fl_kafka *kafka, const char *group, rd_kafka_t **ret,
		      struct fl_diag *diag)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	int r;

	if (!conf)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	if ((r = fl_kafka_conf_common(kafka, conf, diag)) < 0 ||
	    (r = fl_kafka_conf_consumer(conf, diag)) < 0 ||
	    (r = fl_kafka_conf_set(conf, "group.id", group, diag)) < 0) {
		rd_kafka_conf_destroy(conf);
		return r;
	}
	*ret = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!*ret) {
		rd_kafka_conf_destroy(conf);
		return fl_diag_set(diag, -ENOMEM, "kafka: group %s: %s", group, errstr);
	}
	return 0;
}

/* kafka->readers_free: fl_kafka_free destroys the cache through it, without a call into this
 * file (kafka_internal.h). */
static void readers_free(struct fl_kafka *kafka)
{
	for (unsigned i = 0; i < FL_KAFKA_GROUP_READERS && kafka->readers[i].group; i++) {
		rd_kafka_destroy(kafka->readers[i].rk);
		free(kafka->readers[i].group);
		kafka->readers[i] = (struct fl_kafka_group_reader){ 0 };
	}
}

/* The cached reader of group, made if missing; *ret_owned when the cache is full and the
 * caller must destroy it. */
static int reader_get(struct fl_kafka *kafka, const char *group, rd_kafka_t **ret, bool *ret_owned,
		      struct fl_diag *diag)
{
	rd_kafka_t *rk = NULL;
	unsigned i;
	int r = 0;

	*ret_owned = false;
	pthread_mutex_lock(&kafka->readers_lock);
	for (i = 0; i < FL_KAFKA_GROUP_READERS && kafka->readers[i].group; i++)
		if (strcmp(kafka->readers[i].group, group) == 0) {
			rk = kafka->readers[i].rk;
			goto out;
		}
	r = reader_new(kafka, group, &rk, diag);
	if (r < 0)
		goto out;
	if (i == FL_KAFKA_GROUP_READERS) {
		*ret_owned = true;
		goto out;
	}
	kafka->readers[i].group = strdup(group);
	if (!kafka->readers[i].group) {
		*ret_owned = true;
	} else {
		kafka->readers[i].rk = rk;
		kafka->readers_free = readers_free;
	}
out:
	pthread_mutex_unlock(&kafka->readers_lock);
	*ret = rk;
	return r;
}

int fl_kafka_group_committed(struct fl_kafka *kafka, const char *group,
			     rd_kafka_topic_partition_list_t *parts, int timeout_ms,
			     struct fl_diag *diag)
{
	uint64_t deadline =
		fl_kafka_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
	rd_kafka_topic_partition_list_t *chunk = NULL;
	rd_kafka_t *rk;
	bool owned;
	int r = reader_get(kafka, group, &rk, &owned, diag);

	if (r < 0)
		return r;
	for (int at = 0; at < parts->cnt; at += COMMITTED_CHUNK) {
		int n = parts->cnt - at < COMMITTED_CHUNK ? parts->cnt - at : COMMITTED_CHUNK;
		chunk = rd_kafka_topic_partition_list_new(n);
		if (!chunk) {
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			break;
		}
		for (int i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(chunk, parts->elems[at + i].topic,
							  parts->elems[at + i].partition);
		rd_kafka_resp_err_t err =
			rd_kafka_committed(rk, chunk, FL_MAX(fl_kafka_left_ms(deadline), 1));
		if (err) {
			r = fl_kafka_fail(kafka, diag, err, "kafka consumer group offsets");
			break;
		}
		/* rd_kafka_committed keeps the list's order. */
		for (int i = 0; i < n; i++)
			parts->elems[at + i].offset = chunk->elems[i].err ? RD_KAFKA_OFFSET_INVALID
									  : chunk->elems[i].offset;
		rd_kafka_topic_partition_list_destroy(chunk);
		chunk = NULL;
	}
	if (chunk)
		rd_kafka_topic_partition_list_destroy(chunk);
	if (owned)
		rd_kafka_destroy(rk);
	return r;
}
