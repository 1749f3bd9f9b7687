/* SPDX-License-Identifier: MIT */
/*
 * Which broker leads a partition now (kafka.h, fl_kafka_leader): one Metadata request,
 * the partition's leader id and that broker's advertised host and port — what a
 * `kafkaLeader` target maps to a pod, so that a broker-failure experiment hits the leader,
 * whoever it is at the time.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "kafka_internal.h"

static const rd_kafka_metadata_broker_t *broker_of(const struct rd_kafka_metadata *md, int32_t id)
{
	for (int i = 0; i < md->broker_cnt; i++)
		if (md->brokers[i].id == id)
			return &md->brokers[i];
	return NULL;
}

static int leader_in(const struct rd_kafka_metadata *md, const char *topic, int32_t partition,
		     struct fl_kafka_leader *ret, struct fl_diag *diag)
{
	const rd_kafka_metadata_broker_t *b;

	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];

		if (strcmp(mt->topic, topic) != 0)
			continue;
		for (int p = 0; p < mt->partition_cnt; p++) {
			if (mt->partitions[p].id != partition)
				continue;
			ret->id = mt->partitions[p].leader;
			if (ret->id < 0)
				return fl_diag_set(diag, -ENODATA,
						   "kafka: %s/%d has no leader now (offline)",
						   topic, (int)partition);
			if (!(b = broker_of(md, ret->id)))
				return fl_diag_set(diag, -ENODATA,
						   "kafka: %s/%d is led by broker %d, which the "
						   "metadata does not list",
						   topic, (int)partition, (int)ret->id);
			(void)snprintf(ret->host, sizeof(ret->host), "%s", b->host);
			ret->port = b->port;
			return 0;
		}
		return fl_diag_set(diag, -ENOENT,
				   "kafka: topic %s has no partition %d (%d partitions)", topic,
				   (int)partition, mt->partition_cnt);
	}
	return fl_diag_set(diag, -ENOENT, "kafka: no topic %s", topic);
}

/* A topic just made, or a partition between leaders (its broker just failed), is not in the
 * metadata for a moment: asked again every 200 ms until timeout_ms. */
int fl_kafka_leader(struct fl_kafka *kafka, const char *topic, int32_t partition, int timeout_ms,
		    struct fl_kafka_leader *ret, struct fl_diag *diag)
{
	const struct timespec pause = { .tv_nsec = 200 * 1000 * 1000 };
	const struct rd_kafka_metadata *md = NULL;
	int r, waited = 0;

	for (;;) {
		memset(ret, 0, sizeof(*ret));
		if ((r = fl_kafka_metadata(kafka, timeout_ms - waited, &md, diag)) < 0)
			return r;
		r = leader_in(md, topic, partition, ret, diag);
		rd_kafka_metadata_destroy(md);
		if ((r != -ENOENT && r != -ENODATA) || waited + 200 > timeout_ms)
			return r;
		nanosleep(&pause, NULL);
		waited += 200;
	}
}
