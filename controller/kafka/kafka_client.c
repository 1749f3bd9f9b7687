/* SPDX-License-Identifier: MIT */
/* struct fl_kafka: the admin connection, error translation, metadata and topic selection. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "kafka_internal.h"

uint64_t fl_kafka_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int fl_kafka_left_ms(uint64_t deadline_ns)
{
	uint64_t now = fl_kafka_now_ns();

	if (now >= deadline_ns)
		return 0;
	uint64_t ms = (deadline_ns - now + 999999) / 1000000;
	return ms > 3600000 ? 3600000 : (int)ms;
}

int fl_kafka_tp_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb)
{
	int c = strcmp(ta, tb);

	if (c)
		return c;
	return pa < pb ? -1 : pa > pb;
}

int fl_kafka_errno(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
		return 0;
	case RD_KAFKA_RESP_ERR__TIMED_OUT:
	case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
	case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
	case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
		return -ETIMEDOUT;
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		return -ECONNREFUSED;
	case RD_KAFKA_RESP_ERR__RESOLVE:
		return -EHOSTUNREACH;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
	case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
	case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
	case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
	case RD_KAFKA_RESP_ERR__NOENT:
		return -ENODATA;
	case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
	case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
	case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
	case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
	case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
		return -EAGAIN;
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
	case RD_KAFKA_RESP_ERR__INVALID_TYPE:
	case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
	case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
		return -EINVAL;
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR__AUTHENTICATION:
		return -EACCES;
	case RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED:
	case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
	case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
		return -EOPNOTSUPP;
	case RD_KAFKA_RESP_ERR__DESTROY:
		return -ECANCELED;
	case RD_KAFKA_RESP_ERR__QUEUE_FULL:
		return -ENOBUFS;
	default:
		return -EIO;
	}
}

int fl_kafka_fail(struct fl_kafka *kafka, struct fl_diag *diag, rd_kafka_resp_err_t err,
		  const char *what)
{
	char last[sizeof(kafka->last_log)];
	int r = fl_kafka_errno(err);

	pthread_mutex_lock(&kafka->lock);
	memcpy(last, kafka->last_log, sizeof(last));
	pthread_mutex_unlock(&kafka->lock);
	/* A request that times out because no broker takes connections is "refused": say so,
	 * the run journal should not blame a slow cluster for a dead one. */
	if (r == -ETIMEDOUT && strstr(last, "Connection refused"))
		r = -ECONNREFUSED;
	if (last[0] && r != -ENODATA)
		return fl_diag_set(diag, r, "%s (%s): %s (last error: %s)", what, kafka->bootstrap,
				   rd_kafka_err2str(err), last);
	return fl_diag_set(diag, r, "%s (%s): %s", what, kafka->bootstrap, rd_kafka_err2str(err));
}

/* librdkafka's log lines: keep the last error (for the diag), drop the rest. Runs on
 * librdkafka's threads. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct fl_kafka *kafka = rd_kafka_opaque(rk);

	(void)fac;
	if (!kafka || level > LOG_ERR)
		return;
	pthread_mutex_lock(&kafka->lock);
	snprintf(kafka->last_log, sizeof(kafka->last_log), "%s", buf);
	pthread_mutex_unlock(&kafka->lock);
}

/* Errors also arrive through error_cb (served by rd_kafka_poll); same place. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)err;
	struct fl_kafka *kafka = opaque;

	if (!kafka)
		return;
	pthread_mutex_lock(&kafka->lock);
	snprintf(kafka->last_log, sizeof(kafka->last_log), "%s", reason);
	pthread_mutex_unlock(&kafka->lock);
}

int fl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		      struct fl_diag *diag)
{
	char errstr[256];

	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
		return fl_diag_set(diag, -EINVAL, "kafka: %s=\"%s\": %s", name, value, errstr);
	return 0;
}

int fl_kafka_conf_common(struct fl_kafka *kafka, rd_kafka_conf_t *conf, struct fl_diag *diag)
{
	static const char *const props[][2] = {
		{ "log.connection.close", "false" },
		/* A broker that comes back is found within a second, not after a 10 s backoff. */
		{ "reconnect.backoff.max.ms", "1000" },
		{ "socket.connection.setup.timeout.ms", "3000" },
	};
	int r;

	r = fl_kafka_conf_set(conf, "bootstrap.servers", kafka->bootstrap, diag);
	if (r < 0)
		return r;
	for (size_t i = 0; i < FL_ARRAY_SIZE(props); i++) {
		r = fl_kafka_conf_set(conf, props[i][0], props[i][1], diag);
		if (r < 0)
			return r;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	rd_kafka_conf_set_opaque(conf, kafka);
	return 0;
}

int fl_kafka_conf_consumer(rd_kafka_conf_t *conf, struct fl_diag *diag)
{
	static const char *const props[][2] = {
		/* The log end is the high watermark, as Kafka's tools report it. */
		{ "isolation.level", "read_uncommitted" },
		{ "enable.auto.commit", "false" },
		{ "allow.auto.create.topics", "false" },
	};

	for (size_t i = 0; i < FL_ARRAY_SIZE(props); i++) {
		int r = fl_kafka_conf_set(conf, props[i][0], props[i][1], diag);
		if (r < 0)
			return r;
	}
	return 0;
}

int fl_kafka_open(const char *bootstrap, struct fl_kafka **ret, struct fl_diag *diag)
{
	struct fl_kafka *kafka;
	rd_kafka_conf_t *conf;
	char errstr[512];
	int r;

	if (!bootstrap || !bootstrap[0])
		return fl_diag_set(diag, -EINVAL, "kafka: bootstrap is empty (expected host:port)");
	if (strlen(bootstrap) > FL_KAFKA_BOOTSTRAP_MAX)
		return fl_diag_set(diag, -EINVAL, "kafka: bootstrap is longer than %d bytes",
				   FL_KAFKA_BOOTSTRAP_MAX);
	kafka = calloc(1, sizeof(*kafka));
	if (!kafka)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	pthread_mutex_init(&kafka->lock, NULL);
	pthread_mutex_init(&kafka->readers_lock, NULL);
	kafka->bootstrap = strdup(bootstrap);
	conf = rd_kafka_conf_new();
	if (!kafka->bootstrap || !conf) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto fail;
	}
	r = fl_kafka_conf_common(kafka, conf, diag);
	if (r < 0)
		goto fail;
	r = fl_kafka_conf_consumer(conf, diag);
	if (r < 0)
		goto fail;
	kafka->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!kafka->rk) {
		r = fl_diag_set(diag, -EINVAL, "kafka: %s: %s", bootstrap, errstr);
		goto fail;
	}
	*ret = kafka;
	return 0;
fail:
	if (conf)
		rd_kafka_conf_destroy(conf);
	fl_kafka_free(kafka);
	return r;
}

struct fl_kafka *fl_kafka_free(struct fl_kafka *kafka)
{
	if (!kafka)
		return NULL;
	/* The group readers kafka_committed.c cached, if any (it set readers_free then). */
	if (kafka->readers_free)
		kafka->readers_free(kafka);
	if (kafka->rk)
		rd_kafka_destroy(kafka->rk);
	pthread_mutex_destroy(&kafka->readers_lock);
	pthread_mutex_destroy(&kafka->lock);
	free(kafka->bootstrap);
	free(kafka);
	return NULL;
}

const char *fl_kafka_bootstrap(const struct fl_kafka *kafka)
{
	return kafka->bootstrap;
}

int fl_kafka_metadata(struct fl_kafka *kafka, int timeout_ms, const struct rd_kafka_metadata **ret,
		      struct fl_diag *diag)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err;

	err = rd_kafka_metadata(kafka->rk, 1, NULL, &md, timeout_ms > 0 ? timeout_ms : 1);
	if (err)
		return fl_kafka_fail(kafka, diag, err, "kafka metadata");
	*ret = md;
	return 0;
}

bool fl_kafka_is_internal(const char *name)
{
	return strncmp(name, "__", 2) == 0;
}

bool fl_kafka_selected(const struct fl_kafka_select *sel, const char *name)
{
	if (sel->topic)
		return strcmp(sel->topic, name) == 0;
	if (fl_kafka_is_internal(name))
		return false;
	/* compiled by fl_ere_compile_whole: the whole name must match, as tolerances' do */
	return !sel->regex || regexec(sel->regex, name, 0, NULL, 0) == 0;
}
