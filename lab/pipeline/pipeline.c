/* SPDX-License-Identifier: MIT */
/* Shared helpers of the demo pipeline programs (see pipeline.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "pipeline.h"

volatile sig_atomic_t fl_pipe_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	fl_pipe_stop = 1;
}

void fl_pipe_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };

	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	/* A broken stdout pipe must not kill a loader before it flushes. */
	(void)signal(SIGPIPE, SIG_IGN);
}

int fl_pipe_parse_u64(const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *ret,
		      struct fl_diag *diag)
{
	unsigned long long v;
	char *end;

	if (!text || !*text || *text < '0' || *text > '9')
		return fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not a decimal number", flag,
				   text ? text : "");
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return fl_diag_set(diag, -ERANGE, "%s: \"%s\" is out of range", flag, text);
	if (*end)
		return fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not a decimal number", flag, text);
	if (v < min || v > max)
		return fl_diag_set(diag, -ERANGE, "%s: %llu is outside %llu..%llu", flag, v,
				   (unsigned long long)min, (unsigned long long)max);
	*ret = v;
	return 0;
}

int fl_pipe_check_str(const char *flag, const char *text, struct fl_diag *diag)
{
	if (!text || !*text)
		return fl_diag_set(diag, -EINVAL, "%s: must not be empty", flag);
	if (strnlen(text, FL_PIPE_STR_MAX) >= FL_PIPE_STR_MAX)
		return fl_diag_set(diag, -EINVAL, "%s: longer than %d bytes", flag,
				   FL_PIPE_STR_MAX - 1);
	return 0;
}

uint64_t fl_pipe_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t fl_pipe_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fl_pipe_timestamp(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char base[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", base, ts.tv_nsec / 1000000);
}

char *fl_pipe_event_json(const struct fl_pipe_event *ev)
{
	char ts[40];
	json_t *obj;
	char *out;

	fl_pipe_timestamp(ts, sizeof(ts));
	obj = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:b, s:s}", "queue_id", ev->queue_id,
			"producer", ev->producer, "symbol", ev->symbol, "type", ev->type, "status",
			ev->status, "message", ev->message ? ev->message : "", "records_written",
			(json_int_t)ev->records_written, "finished", ev->finished, "timestamp", ts);
	if (!obj)
		return NULL;
	out = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	return out;
}

void fl_pipe_producer_id(const char *program, char *buf, size_t size)
{
	char host[64] = "localhost";

	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(buf, size, "%s@%s:%ld", program, host, (long)getpid());
}

void fl_pipe_send_event(rd_kafka_t *rk, const char *topic, const char *key,
			const struct fl_pipe_event *ev, const char *program)
{
	char *json = fl_pipe_event_json(ev);
	rd_kafka_resp_err_t err;

	if (!json)
		return;
	err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
				RD_KAFKA_V_KEY(key, key ? strlen(key) : 0),
				RD_KAFKA_V_VALUE(json, strlen(json)),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END);
	if (err) {
		fprintf(stderr, "%s: telemetry: %s\n", program, rd_kafka_err2str(err));
		free(json);
	}
}
