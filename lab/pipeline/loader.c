/* SPDX-License-Identifier: MIT */
/*
 * loader — the lab's demo producer (README.md). Produces {"symbol","seq","payload"} records
 * at a fixed rate with acks=all and idempotence, appends the seq of every record whose
 * delivery report succeeded to the --acked file (the ground truth the verifier compares
 * the sink with) and reports on queue-events once a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "fl/units.h"
#include "flags.h"
#include "pipeline.h"
#include "sink.h"

/* A record's value, {"symbol":"S","seq":N,"payload":"P"}, must fit a sink slot: the longest
 * symbol, a 20-digit seq and the longest payload make 205 of its 208 bytes. */
#define VALUE_FORMAT "{\"symbol\":\"%s\",\"seq\":%" PRIu64 ",\"payload\":\"%s\"}"
#define VALUE_FIXED  (sizeof("{\"symbol\":\"\",\"seq\":,\"payload\":\"\"}") - 1)
#define SYMBOL_MAX   32
#define PAYLOAD_MAX  120
_Static_assert(VALUE_FIXED + SYMBOL_MAX + 20 + PAYLOAD_MAX <= FL_SINK_VALUE_MAX,
	       "the longest value fits a sink slot");

struct opts {
	const char *bootstrap, *topic, *events_topic, *symbol, *queue_id, *acked;
	uint64_t rate, count, start_seq, payload, flush_ns;
	bool has_start;
	bool acks_one; /* --acks 1: the unsafe setting of the lab's control experiment */
};

struct loader {
	struct opts o;
	rd_kafka_t *rk;
	int acked_fd;
	char buf[8192]; /* acked seqs not yet written to acked_fd */
	size_t buf_len;
	uint64_t acked, failed;
	char producer_id[128];
	char last_error[512];
	bool write_error;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: loader --bootstrap HOST:PORT[,...] --acked FILE [options]\n"
		"  --topic T            workflow topic (default workflow)\n"
		"  --events-topic T     telemetry topic (default queue-events)\n"
		"  --rate N             records per second, 1..100000 (default 200)\n"
		"  --count N            records to produce, 0 = until SIGTERM (default 0)\n"
		"  --symbol S           record key and symbol, 1..%d of A-Z a-z 0-9 . _ -\n"
		"                       (default FLT)\n"
		"  --queue-id ID        telemetry queue_id (default lab)\n"
		"  --acked FILE         append the seq of every acknowledged record (one per "
		"line)\n"
		"  --start-seq N        first seq (default 1 + the highest seq in --acked)\n"
		"  --payload-size N     payload bytes, 1..%d (default 64)\n"
		"  --flush-timeout D    bound on the final flush, e.g. 10s (default 10s)\n"
		"  --acks all|1         all (default: idempotent, acknowledged by the in-sync\n"
		"                       replicas) or 1 (the leader alone, no idempotence: can "
		"lose\n"
		"                       acknowledged records; for the control experiment)\n"
		"Exit: 0 done (count reached or SIGTERM/SIGINT), 1 fatal error, 64 bad flags.\n",
		SYMBOL_MAX, PAYLOAD_MAX);
}

/* Returns -1 to go on, else an exit code. */
static int parse_flags(int argc, char **argv, struct opts *o)
{
	const char *acks = "all";
	const struct fl_pipe_flag flags[] = {
		{ .name = "bootstrap",
		  .kind = FL_PIPE_FLAG_STR,
		  .dest = &o->bootstrap,
		  .required = true },
		{ .name = "topic", .kind = FL_PIPE_FLAG_STR, .dest = &o->topic },
		{ .name = "events-topic", .kind = FL_PIPE_FLAG_STR, .dest = &o->events_topic },
		{ .name = "rate",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->rate,
		  .min = 1,
		  .max = 100000 },
		{ .name = "count",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->count,
		  .max = UINT64_MAX / 2 },
		{ .name = "symbol", .kind = FL_PIPE_FLAG_STR, .dest = &o->symbol },
		{ .name = "queue-id", .kind = FL_PIPE_FLAG_STR, .dest = &o->queue_id },
		{ .name = "acked", .kind = FL_PIPE_FLAG_STR, .dest = &o->acked, .required = true },
		{ .name = "start-seq",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->start_seq,
		  .min = 1,
		  .max = UINT64_MAX / 2,
		  .seen = &o->has_start },
		{ .name = "payload-size",
		  .kind = FL_PIPE_FLAG_U64,
		  .dest = &o->payload,
		  .min = 1,
		  .max = PAYLOAD_MAX },
		{ .name = "flush-timeout", .kind = FL_PIPE_FLAG_DURATION, .dest = &o->flush_ns },
		{ .name = "acks", .kind = FL_PIPE_FLAG_CHOICE, .dest = &acks, .choices = "all|1" },
		{ 0 },
	};
	int r;

	*o = (struct opts){ .topic = "workflow",
			    .events_topic = "queue-events",
			    .symbol = "FLT",
			    .queue_id = "lab",
			    .rate = 200,
			    .payload = 64,
			    .flush_ns = 10000000000ull };
	r = fl_pipe_parse_flags("loader", argc, argv, flags, usage);
	o->acks_one = strcmp(acks, "1") == 0;
	/* The symbol goes into the value's JSON unescaped, and its length into the slot. */
	if (r < 0 && (strlen(o->symbol) > SYMBOL_MAX ||
		      strspn(o->symbol, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					"0123456789._-") != strlen(o->symbol))) {
		fprintf(stderr,
			"loader: --symbol: \"%s\" is not 1..%d characters of A-Z a-z 0-9 . _ - "
			"(see --help)\n",
			o->symbol, SYMBOL_MAX);
		return FL_PIPE_EXIT_USAGE;
	}
	return r;
}

/* The highest seq in an existing acked file (0 when absent or empty). A torn last line
 * (a crash mid-write) is ignored: its record counts as unacknowledged. */
static int acked_max(const char *path, uint64_t *ret)
{
	FILE *f = fopen(path, "re");
	char line[64];
	uint64_t max = 0;

	if (!f) {
		if (errno != ENOENT)
			return -errno;
		*ret = 0;
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long long v = strtoull(line, &end, 10);

		if (end != line && *end == '\n' && v > max)
			max = v;
	}
	fclose(f);
	*ret = max;
	return 0;
}

static void acked_write(struct loader *l)
{
	size_t off = 0;

	while (off < l->buf_len) {
		ssize_t n = write(l->acked_fd, l->buf + off, l->buf_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(l->last_error, sizeof(l->last_error), "write %s: %s", l->o.acked,
				 strerror(errno));
			l->write_error = true;
			break;
		}
		off += (size_t)n;
	}
	l->buf_len = 0;
}

static void acked_sync(struct loader *l)
{
	acked_write(l);
	if (fsync(l->acked_fd) < 0 && !l->write_error) {
		snprintf(l->last_error, sizeof(l->last_error), "fsync %s: %s", l->o.acked,
			 strerror(errno));
		l->write_error = true;
	}
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct loader *l = opaque;
	uint64_t seq = (uint64_t)(uintptr_t)m->_private;

	(void)rk;
	if (seq == 0)
		return; /* telemetry */
	if (m->err) {
		l->failed++;
		snprintf(l->last_error, sizeof(l->last_error), "seq %" PRIu64 ": %s", seq,
			 rd_kafka_err2str(m->err));
		return;
	}
	if (sizeof(l->buf) - l->buf_len < 24)
		acked_write(l);
	l->buf_len += (size_t)snprintf(l->buf + l->buf_len, sizeof(l->buf) - l->buf_len,
				       "%" PRIu64 "\n", seq);
	l->acked++;
}

static void send_event(struct loader *l, const char *status, const char *message, bool finished)
{
	struct fl_pipe_event ev = {
		.queue_id = l->o.queue_id,
		.producer = l->producer_id,
		.symbol = l->o.symbol,
		.type = "loader",
		.status = status,
		.message = message,
		.records_written = l->acked,
		.finished = finished,
	};

	fl_pipe_send_event(l->rk, l->o.events_topic, l->o.symbol, &ev, "loader");
}

static rd_kafka_t *make_producer(struct loader *l)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char errstr[512];
	rd_kafka_t *rk;

	/* Idempotence needs acks=all; --acks 1 turns both off, the classic unsafe producer. */
	const char *idempotence = l->o.acks_one ? "false" : "true";
	const char *acks = l->o.acks_one ? "1" : "all";

	if (rd_kafka_conf_set(conf, "bootstrap.servers", l->o.bootstrap, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "enable.idempotence", idempotence, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "acks", acks, errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof(errstr)) ||
	    rd_kafka_conf_set(conf, "client.id", "faultline-loader", errstr, sizeof(errstr))) {
		fprintf(stderr, "loader: kafka config: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_opaque(conf, l);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "loader: kafka producer: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
	}
	return rk;
}

/* Produce one record; returns 0, -EAGAIN when the local queue is full, or -EIO. */
static int produce_one(struct loader *l, uint64_t seq, const char *payload)
{
	char value[FL_SINK_VALUE_MAX + 1];
	int len;
	rd_kafka_resp_err_t err;

	len = snprintf(value, sizeof(value), VALUE_FORMAT, l->o.symbol, seq, payload);
	err = rd_kafka_producev(l->rk, RD_KAFKA_V_TOPIC(l->o.topic),
				RD_KAFKA_V_KEY(l->o.symbol, strlen(l->o.symbol)),
				RD_KAFKA_V_VALUE(value, (size_t)len),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)seq), RD_KAFKA_V_END);
	if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
		return -EAGAIN;
	if (err) {
		snprintf(l->last_error, sizeof(l->last_error), "produce seq %" PRIu64 ": %s", seq,
			 rd_kafka_err2str(err));
		return -EIO;
	}
	return 0;
}

static bool fatal(struct loader *l)
{
	char errstr[256];

	if (rd_kafka_fatal_error(l->rk, errstr, sizeof(errstr))) {
		snprintf(l->last_error, sizeof(l->last_error), "kafka fatal error: %s", errstr);
		return true;
	}
	return l->write_error;
}

int main(int argc, char **argv)
{
	static struct loader l;
	char payload[PAYLOAD_MAX + 1], msg[768];
	uint64_t max = 0, sent = 0, t0, next_tick, last_send = 0;
	bool failed = false;
	int r;

	r = parse_flags(argc, argv, &l.o);
	if (r >= 0)
		return r;
	r = acked_max(l.o.acked, &max);
	if (r < 0) {
		fprintf(stderr, "loader: --acked %s: %s\n", l.o.acked, strerror(-r));
		return FL_PIPE_EXIT_FAIL;
	}
	if (!l.o.has_start)
		l.o.start_seq = max + 1;
	else if (l.o.start_seq <= max)
		fprintf(stderr,
			"loader: warning: --start-seq %" PRIu64 " reuses seqs up to %" PRIu64
			" already in %s\n",
			l.o.start_seq, max, l.o.acked);
	l.acked_fd = open(l.o.acked, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (l.acked_fd < 0) {
		fprintf(stderr, "loader: --acked %s: %s\n", l.o.acked, strerror(errno));
		return FL_PIPE_EXIT_FAIL;
	}
	for (uint64_t i = 0; i < l.o.payload; i++)
		payload[i] = (char)('a' + i % 26);
	payload[l.o.payload] = '\0';
	fl_pipe_producer_id("loader", l.producer_id, sizeof(l.producer_id));
	fl_pipe_install_signals();
	l.rk = make_producer(&l);
	if (!l.rk)
		return FL_PIPE_EXIT_FAIL;
	fprintf(stderr, "loader: producing to %s at %" PRIu64 " msg/s from seq %" PRIu64 "\n",
		l.o.topic, l.o.rate, l.o.start_seq);

	t0 = fl_pipe_mono_ns();
	next_tick = t0 + 1000000000ull;
	while (!fl_pipe_stop && (l.o.count == 0 || sent < l.o.count)) {
		uint64_t now = fl_pipe_mono_ns();
		/* The schedule, not a sleep per record: a slow poll is caught up next round. */
		uint64_t due = (now - t0) / 1000 * l.o.rate / 1000000 + 1;
		int wait_ms;

		while (sent < due && (l.o.count == 0 || sent < l.o.count)) {
			r = produce_one(&l, l.o.start_seq + sent, payload);
			if (r == -EAGAIN)
				break;
			if (r < 0) {
				failed = true;
				break;
			}
			sent++;
			last_send = fl_pipe_mono_ns();
		}
		if (failed)
			break;
		wait_ms = (int)FL_MIN(100, 1000 / l.o.rate + 1);
		rd_kafka_poll(l.rk, wait_ms);
		acked_write(&l);
		if (fatal(&l)) {
			failed = true;
			break;
		}
		now = fl_pipe_mono_ns();
		if (now >= next_tick) {
			next_tick = now + 1000000000ull;
			acked_sync(&l);
			snprintf(msg, sizeof(msg), "%" PRIu64 " produced, %" PRIu64 " acknowledged",
				 sent, l.acked);
			send_event(&l, "loading", msg, false);
		}
	}

	/* Bounded flush; whatever is still queued afterwards is purged (never acknowledged). */
	rd_kafka_flush(l.rk, (int)(l.o.flush_ns / 1000000));
	(void)rd_kafka_purge(l.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(l.rk, 0);
	acked_sync(&l);
	failed = failed || fatal(&l);
	uint64_t elapsed_ms = (fl_pipe_mono_ns() - t0) / 1000000;
	if (failed) {
		snprintf(msg, sizeof(msg), "%s", l.last_error);
		send_event(&l, "error", msg, false);
	} else {
		snprintf(msg, sizeof(msg),
			 "%" PRIu64 " produced, %" PRIu64 " acknowledged, %" PRIu64
			 " failed in %" PRIu64 " ms",
			 sent, l.acked, l.failed, elapsed_ms);
		send_event(&l, "finished", msg, true);
	}
	rd_kafka_flush(l.rk, 5000);
	/* Delivery reports served by that flush (purged records fail) are recorded too. */
	acked_sync(&l);
	fprintf(stderr, "loader: %s: %s\n", failed ? "error" : "finished", msg);
	/* send_ms: the schedule alone (first to last send), without the acks' latency. */
	printf("produced=%" PRIu64 " acked=%" PRIu64 " failed=%" PRIu64 " elapsed_ms=%" PRIu64
	       " first_seq=%" PRIu64 " send_ms=%" PRIu64 "\n",
	       sent, l.acked, l.failed, elapsed_ms, l.o.start_seq,
	       sent ? (last_send - t0) / 1000000 : 0);
	rd_kafka_destroy(l.rk);
	(void)close(l.acked_fd);
	return failed ? FL_PIPE_EXIT_FAIL : FL_PIPE_EXIT_OK;
}
