/* SPDX-License-Identifier: MIT */
/*
 * End to end: a marker record with a unique key, produced with acks=all, read back by a
 * consumer that has no group (assigned to the partition at the offset the delivery report
 * gave). Lost when not delivered or not seen within the time limit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kafka_internal.h"

struct fl_kafka_e2e {
	struct fl_kafka *kafka; /* borrowed: the bootstrap and the error text */
	char *topic;
	rd_kafka_t *producer;
	rd_kafka_t *consumer;
	rd_kafka_topic_t *rkt; /* the consumer's topic handle (legacy API: needs no group) */
	uint64_t seq;
	char key[96]; /* the current marker's key */
	/* Written by the delivery report callback (served by rd_kafka_poll on our thread). */
	struct {
		bool done;
		rd_kafka_resp_err_t err;
		int32_t partition;
		int64_t offset;
	} dr;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	/* The client's opaque is the fl_kafka (log_cb, error_cb); the e2e is the message's. */
	struct fl_kafka_e2e *e2e = m->_private;

	(void)rk;
	(void)opaque;
	/* Late reports of earlier markers (after a timeout) carry another key: ignored. */
	if (!e2e || m->key_len != strlen(e2e->key) || memcmp(m->key, e2e->key, m->key_len) != 0)
		return;
	e2e->dr.done = true;
	e2e->dr.err = m->err;
	e2e->dr.partition = m->partition;
	e2e->dr.offset = m->offset;
}

static rd_kafka_t *client(struct fl_kafka_e2e *e2e, rd_kafka_type_t type, struct fl_diag *diag)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	rd_kafka_t *rk;

	if (!conf) {
		fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		return NULL;
	}
	if (fl_kafka_conf_common(e2e->kafka, conf, diag) < 0)
		goto fail;
	if (type == RD_KAFKA_PRODUCER) {
		/* The verdict is about the cluster: every in-sync replica has the marker, and
		 * librdkafka must not retry past our time limit on its own. */
		if (fl_kafka_conf_set(conf, "acks", "all", diag) < 0 ||
		    fl_kafka_conf_set(conf, "linger.ms", "0", diag) < 0 ||
		    fl_kafka_conf_set(conf, "enable.idempotence", "false", diag) < 0)
			goto fail;
		rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
	} else if (fl_kafka_conf_consumer(conf, diag) < 0 ||
		   fl_kafka_conf_set(conf, "fetch.wait.max.ms", "10", diag) < 0 ||
		   fl_kafka_conf_set(conf, "enable.partition.eof", "false", diag) < 0) {
		goto fail;
	}
	rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
	if (!rk) {
		fl_diag_set(diag, -EINVAL, "kafka e2e: %s", errstr);
		goto fail;
	}
	return rk;
fail:
	rd_kafka_conf_destroy(conf);
	return NULL;
}

struct fl_kafka_e2e *fl_kafka_e2e_free(struct fl_kafka_e2e *e2e)
{
	if (!e2e)
		return NULL;
	if (e2e->rkt)
		rd_kafka_topic_destroy(e2e->rkt);
	if (e2e->consumer)
		rd_kafka_destroy(e2e->consumer);
	if (e2e->producer) {
		/* Do not wait for markers a dead cluster will never take. */
		(void)rd_kafka_purge(e2e->producer,
				     RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(e2e->producer, 0);
		rd_kafka_destroy(e2e->producer);
	}
	free(e2e->topic);
	free(e2e);
	return NULL;
}

int fl_kafka_e2e_new(struct fl_kafka *kafka, const char *topic, struct fl_kafka_e2e **ret,
		     struct fl_diag *diag)
{
	struct fl_kafka_e2e *e2e = calloc(1, sizeof(*e2e));

	if (!e2e || !(e2e->topic = strdup(topic))) {
		free(e2e);
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	}
	e2e->kafka = kafka;
	e2e->producer = client(e2e, RD_KAFKA_PRODUCER, diag);
	if (e2e->producer)
		e2e->consumer = client(e2e, RD_KAFKA_CONSUMER, diag);
	if (e2e->consumer)
		e2e->rkt = rd_kafka_topic_new(e2e->consumer, topic, NULL);
	if (!e2e->producer || !e2e->consumer || !e2e->rkt) {
		int r = diag && diag->msg[0] ? -EINVAL : -ENOMEM;
		fl_kafka_e2e_free(e2e);
		return r;
	}
	*ret = e2e;
	return 0;
}

static double ms_since(uint64_t t0)
{
	return (double)(fl_kafka_now_ns() - t0) / 1e6;
}

int fl_kafka_e2e_run(struct fl_kafka_e2e *e2e, int timeout_ms, double *ret_latency_ms,
		     struct fl_diag *diag)
{
	uint64_t t0 = fl_kafka_now_ns();
	uint64_t deadline = t0 + (uint64_t)timeout_ms * 1000000ull;
	const char *key = e2e->key;
	rd_kafka_resp_err_t err;

	e2e->seq++;
	snprintf(e2e->key, sizeof(e2e->key), "faultline-e2e-%d-%" PRIu64 "-%" PRIu64, (int)getpid(),
		 e2e->seq, t0);
	memset(&e2e->dr, 0, sizeof(e2e->dr));
	err = rd_kafka_producev(e2e->producer, RD_KAFKA_V_TOPIC(e2e->topic),
				RD_KAFKA_V_KEY((void *)key, strlen(key)),
				RD_KAFKA_V_VALUE((void *)key, strlen(key)), RD_KAFKA_V_OPAQUE(e2e),
				RD_KAFKA_V_END);
	if (err)
		return fl_kafka_fail(e2e->kafka, diag, err, "kafka e2e produce");
	while (!e2e->dr.done && fl_kafka_left_ms(deadline) > 0)
		rd_kafka_poll(e2e->producer, FL_MIN(fl_kafka_left_ms(deadline), 100));
	if (!e2e->dr.done || e2e->dr.err) {
		rd_kafka_resp_err_t why = e2e->dr.done ? e2e->dr.err : RD_KAFKA_RESP_ERR__TIMED_OUT;
		/* Drop the marker so that it cannot be delivered after we called it lost. */
		(void)rd_kafka_purge(e2e->producer, RD_KAFKA_PURGE_F_QUEUE);
		fl_kafka_fail(e2e->kafka, diag, why, "kafka e2e: marker not delivered");
		return 0;
	}
	/* rd_kafka_assign() wants a group.id in librdkafka 2.0.2; the legacy consumer API
	 * reads a partition from an offset with no group at all. */
	int32_t partition = e2e->dr.partition;
	if (rd_kafka_consume_start(e2e->rkt, partition, e2e->dr.offset) < 0)
		return fl_kafka_fail(e2e->kafka, diag, rd_kafka_last_error(), "kafka e2e consume");
	int seen = 0;
	while (!seen && fl_kafka_left_ms(deadline) > 0) {
		rd_kafka_message_t *m = rd_kafka_consume(e2e->rkt, partition,
							 FL_MIN(fl_kafka_left_ms(deadline), 100));
		if (!m)
			continue;
		if (!m->err && m->key_len == strlen(key) && memcmp(m->key, key, m->key_len) == 0) {
			*ret_latency_ms = ms_since(t0);
			seen = 1;
		}
		rd_kafka_message_destroy(m);
	}
	(void)rd_kafka_consume_stop(e2e->rkt, partition);
	if (!seen)
		fl_diag_set(diag, 0,
			    "kafka e2e: marker %s delivered to %s [%d] at offset %" PRId64
			    " but not read back within %d ms",
			    key, e2e->topic, (int)e2e->dr.partition, e2e->dr.offset, timeout_ms);
	return seen;
}
