/* SPDX-License-Identifier: MIT */
/*
 * connector — the lab's demo consumer (README.md). Consumes the workflow topic in a
 * consumer group, upserts every record into the sink (sink.h) by seq, fsyncs the sink and
 * only then commits the batch's offsets synchronously: a kill -9 at any moment can make
 * Kafka re-deliver records, never skip one that was not durably stored.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "flags.h"
#include "pipeline.h"
#include "sink.h"

struct opts {
	const char *bootstrap, *topic, *group, *sink, *events_topic, *queue_id;
	uint64_t batch, session_ms;
};

struct connector {
	struct opts o;
	rd_kafka_t *consumer, *producer;
	struct fl_sink *sink;
	uint64_t stored, rejected, commit_failures;
	char symbol[64];
	char producer_id[128];
};

static void usage(FILE *f)
{
	fprintf(f, "usage: connector --bootstrap HOST:PORT[,...] --sink DIR [options]\n"
		   "  --topic T            workflow topic (default workflow)\n"
		   "  --group G            consumer group (default connector)\n"
		   "  --sink DIR           the durable sink (created if missing)\n"
		   "  --events-topic T     telemetry topic (default queue-events)\n"
		   "  --queue-id ID        telemetry queue_id (default lab)\n"
		   "  --batch N            records per write+commit batch, 1..10000 (default 500)\n"
		   "  --session-timeout-ms N  group session timeout, 6000..300000 (default 6000)\n"
		   "Exit: 0 stopped by SIGTERM/SIGINT, 1 fatal error, 64 bad flags.\n");
}

/* Returns -1 to go on, else an exit code. */
static int parse_flags(int argc, char **argv, struct opts *o)
{
	const struct fl_pipe_flag flags[] = {
		{ .name = "bootstrap",
		  .kind = FL_PIPE_FLAG_STR,
		  .dest = &o->bootstrap,
		  .required = true },
		{ .name = "topic", .kind = FL_PIPE_FLAG_STR, .dest = &o->topic },
		{ .name = "group", .kind = FL_PIPE_FLAG_STR, .dest = &o->group },
		{ .name = "sink", .kind = FL_PIPE_FLAG_STR, .dest = &o->sink, .required = true },
		{ .name = "events-topic", .kind = FL_PIPE_FLAG_STR, .dest = &o->events_topic },
		{ .name = "queue-id", .kind = FL_PIPE_FLAG_STR, .dest = &o->queue_id },
		{ .name = "batch",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->batch,
		  .min = 1,
		  .max = 10000 },
		{ .name = "session-timeout-ms",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->session_ms,
		  .min = 6000,
		  .max = 300000 },
		{ 0 },
	};

	*o = (struct opts){ .topic = "workflow",
			    .group = "connector",
			    .events_topic = "queue-events",
			    .queue_id = "lab",
			    .batch = 500,
			    .session_ms = 6000 };
	return fl_pipe_parse_flags("connector", argc, argv, flags, usage);
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char errstr[512];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "connector: kafka config %s: %s\n", name, errstr);
		return -EINVAL;
	}
	return 0;
}

static int make_clients(struct connector *c)
{
	rd_kafka_conf_t *cconf = rd_kafka_conf_new(), *pconf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *topics;
	char errstr[512], session[24];
	rd_kafka_resp_err_t err;

	snprintf(session, sizeof(session), "%" PRIu64, c->o.session_ms);
	if (conf_set(cconf, "bootstrap.servers", c->o.bootstrap) < 0 ||
	    conf_set(cconf, "group.id", c->o.group) < 0 ||
	    conf_set(cconf, "enable.auto.commit", "false") < 0 ||
	    conf_set(cconf, "auto.offset.reset", "earliest") < 0 ||
	    conf_set(cconf, "session.timeout.ms", session) < 0 ||
	    conf_set(cconf, "heartbeat.interval.ms", "1000") < 0 ||
	    /* A request on a connection a partition silently broke (dropped packets, no RST)
	     * waits socket.timeout.ms: librdkafka's 60 s default held the synchronous commit
	     * past the end of a 30 s partition, and the lag grew for a minute after the heal
	     * (found by the lab's network-partition experiment). */
	    conf_set(cconf, "socket.timeout.ms", "10000") < 0 ||
	    conf_set(cconf, "client.id", "faultline-connector") < 0 ||
	    conf_set(pconf, "bootstrap.servers", c->o.bootstrap) < 0 ||
	    conf_set(pconf, "acks", "all") < 0 || conf_set(pconf, "linger.ms", "5") < 0) {
		rd_kafka_conf_destroy(cconf);
		rd_kafka_conf_destroy(pconf);
		return -EINVAL;
	}
	c->producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr));
	if (!c->producer) {
		fprintf(stderr, "connector: kafka producer: %s\n", errstr);
		rd_kafka_conf_destroy(pconf);
		rd_kafka_conf_destroy(cconf);
		return -EINVAL;
	}
	c->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr));
	if (!c->consumer) {
		fprintf(stderr, "connector: kafka consumer: %s\n", errstr);
		rd_kafka_conf_destroy(cconf);
		return -EINVAL;
	}
	rd_kafka_poll_set_consumer(c->consumer);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, c->o.topic, RD_KAFKA_PARTITION_UA);
	err = rd_kafka_subscribe(c->consumer, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (err) {
		fprintf(stderr, "connector: subscribe %s: %s\n", c->o.topic, rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

static void send_event(struct connector *c, const char *status, const char *message, bool finished)
{
	struct fl_pipe_event ev = {
		.queue_id = c->o.queue_id,
		.producer = c->producer_id,
		.symbol = c->symbol,
		.type = "connector",
		.status = status,
		.message = message,
		.records_written = c->stored,
		.finished = finished,
	};

	fl_pipe_send_event(c->producer, c->o.events_topic, NULL, &ev, "connector");
	rd_kafka_poll(c->producer, 0);
}

/* Parse the record's value and upsert it. Returns 0, 1 for a rejected (foreign) record,
 * or < 0 when the sink failed (fatal: nothing of this batch may be committed). */
static int store(struct connector *c, const rd_kafka_message_t *m, struct fl_diag *diag)
{
	json_error_t jerr;
	json_t *v, *seq, *sym;
	bool existed;
	int r;

	v = json_loadb(m->payload, m->len, 0, &jerr);
	seq = v ? json_object_get(v, "seq") : NULL;
	if (!seq || !json_is_integer(seq) || json_integer_value(seq) < 1 ||
	    m->len > FL_SINK_VALUE_MAX) {
		fprintf(stderr,
			"connector: rejected record %s[%" PRId32 "]@%" PRId64
			": value is not {\"seq\": N >= 1, ...} within %u bytes\n",
			c->o.topic, m->partition, m->offset, FL_SINK_VALUE_MAX);
		json_decref(v);
		c->rejected++;
		return 1;
	}
	sym = json_object_get(v, "symbol");
	if (json_is_string(sym))
		snprintf(c->symbol, sizeof(c->symbol), "%s", json_string_value(sym));
	/* The pipeline's latency is stored_ms - produced_ms (README.md, "Latency"): the
	 * producer's CreateTime only, not a broker's LogAppendTime. */
	rd_kafka_timestamp_type_t tstype;
	int64_t produced_ms = rd_kafka_message_timestamp(m, &tstype);
	struct fl_sink_record rec = {
		.seq = (uint64_t)json_integer_value(seq),
		.partition = m->partition,
		.offset = m->offset,
		.produced_ms = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME && produced_ms >= 0
				       ? produced_ms
				       : FL_SINK_NO_TIME,
		.stored_ms = fl_pipe_wall_ms(),
		.value = m->payload,
		.len = (uint32_t)m->len,
	};
	json_decref(v);
	r = fl_sink_put(c->sink, &rec, &existed, diag);
	if (r < 0)
		return r;
	if (!existed)
		c->stored++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct connector c;
	struct fl_diag diag = { 0 };
	char msg[768];
	uint64_t next_tick;
	bool failed = false;
	int r;

	r = parse_flags(argc, argv, &c.o);
	if (r >= 0)
		return r;
	fl_pipe_producer_id("connector", c.producer_id, sizeof(c.producer_id));
	fl_pipe_install_signals();
	r = fl_sink_open(c.o.sink, true, &c.sink, &diag);
	if (r < 0) {
		fprintf(stderr, "connector: %s\n", diag.msg);
		return FL_PIPE_EXIT_FAIL;
	}
	if (make_clients(&c) < 0)
		return FL_PIPE_EXIT_FAIL;
	fprintf(stderr, "connector: consuming %s as group %s into %s\n", c.o.topic, c.o.group,
		c.o.sink);

	next_tick = fl_pipe_mono_ns() + 1000000000ull;
	while (!fl_pipe_stop && !failed) {
		rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(8);
		uint64_t deadline = fl_pipe_mono_ns() + 200000000ull, n = 0;

		/* One batch: up to --batch records or 200 ms. A signal ends the batch early;
		 * what was read is still written, synced and committed below. */
		while (n < c.o.batch && !fl_pipe_stop) {
			uint64_t now = fl_pipe_mono_ns();
			rd_kafka_message_t *m;

			if (now >= deadline)
				break;
			m = rd_kafka_consumer_poll(c.consumer,
						   (int)((deadline - now) / 1000000) + 1);
			if (!m)
				continue;
			if (m->err) {
				if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
					fprintf(stderr, "connector: consume: %s\n",
						rd_kafka_message_errstr(m));
				rd_kafka_message_destroy(m);
				continue;
			}
			r = store(&c, m, &diag);
			if (r < 0) {
				rd_kafka_message_destroy(m);
				failed = true;
				break;
			}
			/* Commit the next offset to read; records arrive in order per partition. */
			rd_kafka_topic_partition_list_t *l = offsets;
			rd_kafka_topic_partition_t *p = rd_kafka_topic_partition_list_find(
				l, rd_kafka_topic_name(m->rkt), m->partition);
			if (!p)
				p = rd_kafka_topic_partition_list_add(
					l, rd_kafka_topic_name(m->rkt), m->partition);
			p->offset = m->offset + 1;
			rd_kafka_message_destroy(m);
			n++;
		}
		if (!failed && offsets->cnt > 0) {
			r = fl_sink_sync(c.sink, &diag);
			if (r < 0) {
				failed = true;
			} else {
				/* Only now: the records are durable, the offsets may move past them. */
				rd_kafka_resp_err_t err = rd_kafka_commit(c.consumer, offsets, 0);

				if (err) {
					c.commit_failures++;
					fprintf(stderr,
						"connector: commit (records will be "
						"re-delivered): %s\n",
						rd_kafka_err2str(err));
				}
			}
		}
		rd_kafka_topic_partition_list_destroy(offsets);
		rd_kafka_poll(c.producer, 0);
		if (fl_pipe_mono_ns() >= next_tick) {
			next_tick = fl_pipe_mono_ns() + 1000000000ull;
			snprintf(msg, sizeof(msg),
				 "%" PRIu64 " stored, %" PRIu64 " re-deliveries, %" PRIu64
				 " rejected, %" PRIu64 " commit failures",
				 c.stored, fl_sink_redeliveries(c.sink), c.rejected,
				 c.commit_failures);
			send_event(&c, "loading", msg, false);
		}
	}

	if (failed) {
		snprintf(msg, sizeof(msg), "%s", diag.msg);
		fprintf(stderr, "connector: error: %s\n", msg);
		send_event(&c, "error", msg, false);
	} else {
		/* Leave the group now so that a successor gets the partitions at once. */
		rd_kafka_consumer_close(c.consumer);
		snprintf(msg, sizeof(msg),
			 "%" PRIu64 " stored, %" PRIu64 " re-deliveries, %" PRIu64 " rejected",
			 c.stored, fl_sink_redeliveries(c.sink), c.rejected);
		send_event(&c, "finished", msg, true);
		fprintf(stderr, "connector: finished: %s\n", msg);
	}
	rd_kafka_flush(c.producer, 5000);
	printf("stored=%" PRIu64 " redeliveries=%" PRIu64 " rejected=%" PRIu64 "\n", c.stored,
	       fl_sink_redeliveries(c.sink), c.rejected);
	rd_kafka_destroy(c.consumer);
	rd_kafka_destroy(c.producer);
	fl_sink_close(c.sink);
	return failed ? FL_PIPE_EXIT_FAIL : FL_PIPE_EXIT_OK;
}
