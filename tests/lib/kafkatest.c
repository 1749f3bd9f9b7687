/* SPDX-License-Identifier: MIT */
/* Ground truth for the Kafka probe tests (kafkatest.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "fltest.h"
#include "kafkatest.h"

extern char **environ;

static char dir[256];
static char boot[512];
static char setup_error[512];
static pid_t owner; /* the process that started the cluster (stops it at exit) */

static const char *script(void)
{
	const char *s = getenv("FL_KAFKA_CLUSTER_SH");

	return s && s[0] ? s : "tests/lib/kafka-cluster.sh";
}

/* The script with stdout into out_path (NULL: /dev/null) and stderr into err_path (NULL:
 * /dev/null, or the terminal with FL_KAFKA_VERBOSE); its exit status or -1. */
static int cluster_sh(const char *out_path, const char *err_path, const char *const *args)
{
	const char *argv[32];
	posix_spawn_file_actions_t fa;
	unsigned n = 0;
	pid_t pid;
	int status;

	argv[n++] = "/bin/bash";
	argv[n++] = script();
	for (; *args && n < 30; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, out_path ? out_path : "/dev/null",
					 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (err_path)
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, err_path,
						 O_WRONLY | O_CREAT | O_TRUNC, 0600);
	else if (!getenv("FL_KAFKA_VERBOSE"))
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	int r = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int kafkatest_cluster_sh(const char *out_path, const char *const *args)
{
	return cluster_sh(out_path, NULL, args);
}

/* The end of what the start script said on stderr: why the cluster did not start. (stdio,
 * not fltest_read_file: bench_kafka_lag links this file with its own fltest_fail/skip.) */
static void tail_of(const char *path, char *buf, size_t size)
{
	char text[320];
	size_t len = 0;
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (!f)
		return;
	if (fseek(f, 0, SEEK_END) == 0 && ftell(f) > (long)sizeof(text) - 1)
		(void)fseek(f, -(long)(sizeof(text) - 1), SEEK_END);
	else
		rewind(f);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == ' '))
		len--;
	text[len] = '\0';
	(void)snprintf(buf, size, "%s", text);
}

static void stop_cluster(void)
{
	if (owner != getpid() || !dir[0])
		return;
	const char *args[] = { "stop", dir, "--purge", NULL };
	(void)kafkatest_cluster_sh(NULL, args);
}

/* Start (or adopt) the cluster; called once from the test binary's parent process. */
static void setup(void)
{
	const char *b = getenv("FL_KAFKA_BOOTSTRAP"), *d = getenv("FL_KAFKA_DIR");
	const char *start_error = getenv("FL_KAFKA_START_ERROR");
	char out[300], err[300];

	/* tests/run.sh could not start the tier's cluster: starting another would fail alike. */
	if (start_error && start_error[0]) {
		snprintf(setup_error, sizeof(setup_error), "the tier's cluster (tests/run.sh): %s",
			 start_error);
		return;
	}
	if (b && b[0] && d && d[0]) {
		snprintf(boot, sizeof(boot), "%s", b);
		snprintf(dir, sizeof(dir), "%s", d);
		return;
	}
	snprintf(dir, sizeof(dir), "/tmp/fl-kafkatest-XXXXXX");
	if (!mkdtemp(dir)) {
		snprintf(setup_error, sizeof(setup_error), "mkdtemp: %s", strerror(errno));
		dir[0] = '\0';
		return;
	}
	owner = getpid();
	atexit(stop_cluster);
	snprintf(out, sizeof(out), "%s/.start.out", dir);
	snprintf(err, sizeof(err), "%s/.start.err", dir);
	char pid[16];
	(void)snprintf(pid, sizeof(pid), "%d", (int)owner);
	/* --owner: the brokers do not outlive this binary, even killed with SIGKILL. */
	const char *args[] = { "start", dir, "--owner", pid, NULL };
	int r = cluster_sh(out, err, args);
	if (r != 0) {
		char why[320];

		tail_of(err, why, sizeof(why));
		snprintf(setup_error, sizeof(setup_error), "%s start %s failed (exit %d): %s",
			 script(), dir, r, why[0] ? why : "(nothing on stderr)");
		return;
	}
	/* The script writes DIR/bootstrap ("host:port,..."). */
	snprintf(out, sizeof(out), "%s/bootstrap", dir);
	FILE *f = fopen(out, "r");
	if (f && fgets(boot, sizeof(boot), f))
		boot[strcspn(boot, "\r\n")] = '\0';
	if (f)
		fclose(f);
	if (!boot[0])
		snprintf(setup_error, sizeof(setup_error), "%s start %s wrote no DIR/bootstrap",
			 script(), dir);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

void kafkatest_setup(void)
{
	pthread_once(&once, setup);
}

const char *kafkatest_bootstrap(void)
{
	kafkatest_setup();
	/* Under CI a cluster that fails to start is a failure of its own, saying why. */
	if (!boot[0] && fltest_is_ci())
		FL_FAIL("no Kafka cluster (CI requires one): %s", setup_error);
	if (!boot[0])
		FL_SKIP("no Kafka cluster: %s", setup_error);
	return boot;
}

const char *kafkatest_dir(void)
{
	kafkatest_setup();
	return dir;
}

void kafkatest_topic_name(char *buf, size_t size, const char *prefix)
{
	static atomic_uint n;
	uint32_t r = 0;

	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)time(NULL);
	snprintf(buf, size, "%s-%d-%u-%08" PRIx32, prefix, (int)getpid(), atomic_fetch_add(&n, 1),
		 r);
}

static rd_kafka_conf_t *client_conf(rd_kafka_type_t type, const char *group)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	rd_kafka_conf_set(conf, "bootstrap.servers", kafkatest_bootstrap(), err, sizeof(err));
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	if (group) {
		rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
		rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
	}
	if (type == RD_KAFKA_PRODUCER) {
		rd_kafka_conf_set(conf, "linger.ms", "1", err, sizeof(err));
		rd_kafka_conf_set(conf, "acks", "all", err, sizeof(err));
	}
	return conf;
}

static rd_kafka_t *new_client(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
	char err[256];
	rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
	if (!rk)
		FL_FAIL("rd_kafka_new: %s", err);
	return rk;
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *group)
{
	return new_client(type, client_conf(type, group));
}

static const rd_kafka_metadata_topic_t *find_topic(const struct rd_kafka_metadata *md,
						   const char *topic)
{
	for (int i = 0; i < md->topic_cnt; i++)
		if (strcmp(md->topics[i].topic, topic) == 0)
			return &md->topics[i];
	return NULL;
}

void kafkatest_create_topic(const char *topic, int partitions, int rf, int only_broker)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	char err[256];
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
		topic, partitions, only_broker >= 0 ? -1 : rf, err, sizeof(err));

	if (!nt)
		FL_FAIL("NewTopic %s: %s", topic, err);
	if (only_broker >= 0) {
		int32_t b = only_broker;
		for (int p = 0; p < partitions; p++)
			if (rd_kafka_NewTopic_set_replica_assignment(nt, p, &b, 1, err,
								     sizeof(err)))
				FL_FAIL("replica assignment: %s", err);
	}
	rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
	if (!ev)
		FL_FAIL("CreateTopics %s: no answer", topic);
	size_t n;
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
	if (rd_kafka_event_error(ev) || n != 1 || rd_kafka_topic_result_error(res[0]))
		FL_FAIL("CreateTopics %s: %s %s", topic, rd_kafka_event_error_string(ev),
			n == 1 ? rd_kafka_topic_result_error_string(res[0]) : "");
	rd_kafka_event_destroy(ev);
	rd_kafka_NewTopic_destroy(nt);
	rd_kafka_queue_destroy(q);
	/* Wait until every partition has a leader. */
	for (int tries = 0;; tries++) {
		const struct rd_kafka_metadata *md;
		bool ready = false;
		if (rd_kafka_metadata(rk, 1, NULL, &md, 5000) == 0) {
			const rd_kafka_metadata_topic_t *t = find_topic(md, topic);
			ready = t && !t->err && t->partition_cnt == partitions;
			for (int p = 0; ready && p < t->partition_cnt; p++)
				ready = t->partitions[p].leader >= 0;
			rd_kafka_metadata_destroy(md);
		}
		if (ready)
			break;
		if (tries > 100)
			FL_FAIL("topic %s: partitions have no leader after 20 s", topic);
		struct timespec ts = { 0, 200000000 };
		nanosleep(&ts, NULL);
	}
	rd_kafka_destroy(rk);
}

static void delivered(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	(void)rk;
	(void)opaque;
	atomic_uint_fast64_t *count = m->_private;
	if (!m->err && count)
		atomic_fetch_add(count, 1);
}

/* What the delivery reports of kafkatest_produce said. */
struct produced {
	atomic_int ok;
	atomic_int last_err; /* rd_kafka_resp_err_t of the last failed record */
};

static void produce_report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct produced *p = m->_private;

	(void)rk, (void)opaque;
	if (m->err)
		atomic_store(&p->last_err, m->err);
	else
		atomic_fetch_add(&p->ok, 1);
}

/*
 * n records, every one acknowledged. A flush only says each record was *reported*: a
 * producer whose first metadata came from a broker that did not yet know the topic created
 * a moment before fails its records at once ("Unknown partition"; seen in CI: the partition
 * was empty when the test read it). The records that failed are sent again, for 30 s.
 */
void kafkatest_produce(const char *topic, int partition, int n)
{
	rd_kafka_conf_t *conf = client_conf(RD_KAFKA_PRODUCER, NULL);
	struct produced done = { 0 };
	rd_kafka_t *rk;
	int sent = 0;

	rd_kafka_conf_set_dr_msg_cb(conf, produce_report);
	rk = new_client(RD_KAFKA_PRODUCER, conf);
	for (int round = 0; atomic_load(&done.ok) < n; round++) {
		if (round > 0) {
			if (round > 30)
				FL_FAIL("produce %s/%d: %d of %d records acknowledged in 30 s "
					"(last "
					"error: %s)",
					topic, partition, atomic_load(&done.ok), n,
					rd_kafka_err2str(atomic_load(&done.last_err)));
			sleep(1);
		}
		for (sent = atomic_load(&done.ok); sent < n; sent++) {
			rd_kafka_resp_err_t err;

			while ((err = rd_kafka_producev(
					rk, RD_KAFKA_V_TOPIC(topic),
					RD_KAFKA_V_PARTITION(partition), RD_KAFKA_V_VALUE("x", 1),
					RD_KAFKA_V_OPAQUE(&done), RD_KAFKA_V_END)) ==
			       RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(rk, 10);
			if (err)
				FL_FAIL("produce %s/%d: %s", topic, partition,
					rd_kafka_err2str(err));
		}
		if (rd_kafka_flush(rk, 30000))
			FL_FAIL("produce %s/%d: not flushed in 30 s", topic, partition);
	}
	if (atomic_load(&done.ok) != n)
		FL_FAIL("produce %s/%d: %d records acknowledged, %d asked", topic, partition,
			atomic_load(&done.ok), n);
	rd_kafka_destroy(rk);
}

void kafkatest_commit(const char *group, const char *topic, const int64_t *offsets, int n)
{
	rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, group);
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);

	for (int p = 0; p < n; p++)
		if (offsets[p] >= 0)
			rd_kafka_topic_partition_list_add(l, topic, p)->offset = offsets[p];
	/* A commit without a subscription: a "simple" consumer's commit, no group join. */
	rd_kafka_resp_err_t err;
	/* A fresh cluster is still electing the coordinators of __consumer_offsets; a topic
	 * created a moment ago may not have reached the coordinator's metadata yet (seen once:
	 * "Unknown topic or partition" committing to a topic kafkatest_create_topic had made). */
	for (int tries = 0; (err = rd_kafka_commit(rk, l, 0)) && tries < 60; tries++) {
		if (err != RD_KAFKA_RESP_ERR_NOT_COORDINATOR &&
		    err != RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE &&
		    err != RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS &&
		    err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
			break;
		struct timespec ts = { 0, 500000000 };
		nanosleep(&ts, NULL);
	}
	if (err)
		FL_FAIL("commit %s: %s", group, rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
}

struct kafkatest_rate {
	pthread_t thread;
	char topic[128];
	int rate;
	atomic_bool stop;
	atomic_uint_fast64_t delivered;
	rd_kafka_t *rk;
	struct timespec t0; /* the schedule's start */
};

static void *rate_main(void *arg)
{
	struct kafkatest_rate *r = arg;
	struct timespec t0 = r->t0, ts;
	uint64_t i = 0;

	while (!atomic_load(&r->stop)) {
		/* The i-th record at t0 + i / rate: an absolute schedule does not drift. */
		uint64_t at = (uint64_t)t0.tv_sec * 1000000000ull + (uint64_t)t0.tv_nsec +
			      i * 1000000000ull / (uint64_t)r->rate;
		ts.tv_sec = (time_t)(at / 1000000000ull);
		ts.tv_nsec = (long)(at % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		(void)rd_kafka_producev(r->rk, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_VALUE("r", 1),
					RD_KAFKA_V_OPAQUE(&r->delivered), RD_KAFKA_V_END);
		rd_kafka_poll(r->rk, 0);
		i++;
	}
	rd_kafka_flush(r->rk, 10000);
	return NULL;
}

struct kafkatest_rate *kafkatest_rate_start(const char *topic, int rate)
{
	struct kafkatest_rate *r = calloc(1, sizeof(*r));
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	if (!r)
		FL_FAIL("out of memory");
	snprintf(r->topic, sizeof(r->topic), "%s", topic);
	r->rate = rate;
	rd_kafka_conf_set(conf, "bootstrap.servers", kafkatest_bootstrap(), err, sizeof(err));
	/* Batches of ~40 records and leader-only acks: a loaded 2-core test machine keeps up
	 * with thousands of records a second (one request per connection is in flight at the
	 * broker; tiny acks=all batches cannot). 20 ms of batching is 0.4 % of a 5 s window. */
	rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err));
	rd_kafka_conf_set(conf, "acks", "1", err, sizeof(err));
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	rd_kafka_conf_set_dr_msg_cb(conf, delivered);
	r->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	if (!r->rk)
		FL_FAIL("rd_kafka_new: %s", err);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	if (pthread_create(&r->thread, NULL, rate_main, r))
		FL_FAIL("pthread_create");
	return r;
}

void kafkatest_rate_wait_steady(struct kafkatest_rate *r)
{
	struct timespec t0, now, ts = { 0, 50000000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &now);
		double secs = (double)(now.tv_sec - r->t0.tv_sec) +
			      (double)(now.tv_nsec - r->t0.tv_nsec) / 1e9;
		double behind = secs * r->rate - (double)atomic_load(&r->delivered);
		/* Delivered within 100 ms of the schedule, for a second of it at least. */
		if (secs > 1 && behind < r->rate / 10.0)
			return;
		if (now.tv_sec - t0.tv_sec > 60)
			FL_FAIL("producer at %d msg/s is %.0f records behind after 60 s", r->rate,
				behind);
	}
}

uint64_t kafkatest_rate_delivered(struct kafkatest_rate *r)
{
	return atomic_load(&r->delivered);
}

uint64_t kafkatest_rate_stop(struct kafkatest_rate *r)
{
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	uint64_t n = atomic_load(&r->delivered);
	rd_kafka_destroy(r->rk);
	free(r);
	return n;
}

/* Run argv with stdout into a temp file; returns the file's text (malloc'd). */
static char *capture(const char *const *argv, bool via_script)
{
	char path[] = "/tmp/fl-kafkatest-out-XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		FL_FAIL("mkstemp: %s", strerror(errno));
	close(fd);
	int r;
	if (via_script) {
		r = kafkatest_cluster_sh(path, argv);
	} else {
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int status = 0;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, path, O_WRONLY | O_TRUNC, 0);
		posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
		r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
		posix_spawn_file_actions_destroy(&fa);
		if (r == 0 && waitpid(pid, &status, 0) > 0)
			r = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	if (f) {
		text = malloc(1 << 20);
		if (text) {
			len = fread(text, 1, (1 << 20) - 1, f);
			text[len] = '\0';
		}
		fclose(f);
	}
	unlink(path);
	if (r != 0 || !text)
		FL_FAIL("%s %s: exit %d: %s", argv[0], argv[1], r, text ? text : "");
	return text;
}

char *kafkatest_cluster_out(const char *verb, ...)
{
	const char *argv[32];
	unsigned n = 0;
	va_list ap;

	argv[n++] = verb;
	argv[n++] = kafkatest_dir();
	va_start(ap, verb);
	for (const char *a; n < 31 && (a = va_arg(ap, const char *));)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	return capture(argv, true);
}

int64_t kafkatest_kcat_end(const char *topic, int partition)
{
	char tp[200];

	/* -Q with timestamp -1: the latest offset (ListOffsets), as kcat documents. */
	snprintf(tp, sizeof(tp), "%s:%d:-1", topic, partition);
	const char *argv[] = { "kcat", "-b", kafkatest_bootstrap(), "-Q", "-t", tp, NULL };
	char *out = capture(argv, false);
	char *at = strstr(out, "offset ");
	if (!at)
		FL_FAIL("kcat -Q %s: %s", tp, out);
	int64_t v = strtoll(at + 7, NULL, 10);
	free(out);
	return v;
}

/* Next line of *text (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **text)
{
	char *line = *text, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl) {
		*nl = '\0';
		*text = nl + 1;
	} else {
		*text = NULL;
	}
	return line;
}

int64_t kafkatest_tool_committed(const char *group, const char *topic, int partition)
{
	const char *argv[] = { "consumer-groups", dir, "--describe", "--group", group, NULL };
	char *out = capture(argv, true), *cur = out, *line;
	int64_t v = -1; /* the tool leaves out partitions without a commit when nobody is in */

	/* GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ... */
	while ((line = next_line(&cur))) {
		char g[256], t[256], off[32];
		int p;
		if (sscanf(line, "%255s %255s %d %31s", g, t, &p, off) == 4 &&
		    strcmp(g, group) == 0 && strcmp(t, topic) == 0 && p == partition)
			v = strcmp(off, "-") == 0 ? -1 : strtoll(off, NULL, 10);
	}
	free(out);
	return v;
}

static int i32_cmp(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return x < y ? -1 : x > y;
}

unsigned kafkatest_partitions_on(const char *topic, int broker, int32_t *ret, unsigned max)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
	const struct rd_kafka_metadata *md;
	unsigned n = 0;

	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000))
		FL_FAIL("metadata: no answer");
	const rd_kafka_metadata_topic_t *t = find_topic(md, topic);
	if (!t)
		FL_FAIL("metadata: no topic %s", topic);
	for (int p = 0; p < t->partition_cnt; p++)
		for (int k = 0; k < t->partitions[p].replica_cnt; k++)
			if (t->partitions[p].replicas[k] == broker && n < max)
				ret[n++] = t->partitions[p].id;
	rd_kafka_metadata_destroy(md);
	rd_kafka_destroy(rk);
	qsort(ret, n, sizeof(*ret), i32_cmp);
	return n;
}

unsigned kafkatest_tool_under_replicated(const char *topic, int32_t *ret, unsigned max)
{
	const char *argv[] = { "topics",  dir,	 "--describe", "--under-replicated-partitions",
			       "--topic", topic, NULL };
	char *out = capture(argv, true), *cur = out, *line;
	unsigned n = 0;

	/* "\tTopic: T\tPartition: 3\tLeader: 1\tReplicas: 3,1\tIsr: 1..." */
	while ((line = next_line(&cur))) {
		char *p = strstr(line, "Partition: ");
		if (p && strstr(line, topic) && n < max)
			ret[n++] = (int32_t)strtol(p + 11, NULL, 10);
	}
	free(out);
	qsort(ret, n, sizeof(*ret), i32_cmp);
	return n;
}

static void broker_verb(const char *verb, int broker)
{
	char b[16];

	snprintf(b, sizeof(b), "%d", broker);
	const char *argv[] = { verb, dir, b, NULL };
	int r = kafkatest_cluster_sh(NULL, argv);
	if (r != 0)
		FL_FAIL("%s %s %s %d: exit %d", script(), verb, dir, broker, r);
}

void kafkatest_broker_stop(int broker)
{
	broker_verb("broker-stop", broker);
}

void kafkatest_broker_start(int broker)
{
	broker_verb("broker-start", broker);
}

/* ---- a cluster left whole (kafkatest.h) ------------------------------------------------ */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fltest_log's format; kafkatest links into bench_kafka_lag too, without fltest's runner. */
static void say(const char *fmt, ...)
{
	va_list ap;

	printf("    ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The brokers the cluster has: DIR/cluster.env's BROKERS=N (kafka-cluster.sh), else one per
 * entry of the bootstrap list. */
static int brokers_expected(void)
{
	char path[300];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cluster.env", kafkatest_dir());
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "BROKERS=%d", &n) != 1)
			n = 0;
		fclose(f);
	}
	if (n > 0)
		return n;
	n = 1;
	for (const char *c = kafkatest_bootstrap(); *c; c++)
		n += *c == ',';
	return n;
}

enum { WHOLE, LEADERS_ONLY, BROKEN, NO_ANSWER };

/* One look at the metadata of every topic: WHOLE; LEADERS_ONLY when all that differs is
 * partitions led by another than their preferred replica (what a preferred election
 * fixes); BROKEN for a missing broker, a partition without a leader or a replica out of its
 * ISR; NO_ANSWER. why: the first difference of the worst kind. */
static int look(rd_kafka_t *rk, char *why, size_t size)
{
	const struct rd_kafka_metadata *md;
	int worst = WHOLE, want = brokers_expected();

	if (rd_kafka_metadata(rk, 1, NULL, &md, 10000)) {
		snprintf(why, size, "no metadata answer in 10 s");
		return NO_ANSWER;
	}
	if (md->broker_cnt != want) {
		int len = snprintf(why, size, "%d of %d brokers registered:", md->broker_cnt, want);
		for (int i = 0; i < md->broker_cnt && len > 0 && (size_t)len < size; i++)
			len += snprintf(why + len, size - (size_t)len, " %d", md->brokers[i].id);
		worst = BROKEN;
	}
	for (int t = 0; t < md->topic_cnt && worst != BROKEN; t++) {
		const rd_kafka_metadata_topic_t *tp = &md->topics[t];
		if (tp->err) {
			snprintf(why, size, "%s: %s", tp->topic, rd_kafka_err2str(tp->err));
			worst = BROKEN;
		}
		for (int i = 0; i < tp->partition_cnt && worst != BROKEN; i++) {
			const rd_kafka_metadata_partition_t *p = &tp->partitions[i];
			if (p->leader < 0 || p->isr_cnt != p->replica_cnt) {
				snprintf(why, size,
					 "%s/%d: leader %d, %d of %d replicas in the ISR",
					 tp->topic, p->id, p->leader, p->isr_cnt, p->replica_cnt);
				worst = BROKEN;
			} else if (p->replica_cnt > 0 && p->leader != p->replicas[0] &&
				   worst == WHOLE) {
				snprintf(why, size, "%s/%d: led by broker %d, its preferred is %d",
					 tp->topic, p->id, p->leader, p->replicas[0]);
				worst = LEADERS_ONLY;
			}
		}
	}
	rd_kafka_metadata_destroy(md);
	return worst;
}

bool kafkatest_cluster_whole(char *why, size_t size)
{
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
	int r = look(rk, why, size);

	rd_kafka_destroy(rk);
	return r == WHOLE;
}

/* Start every node the script's status lists as stopped; broker-start returns once it is
 * back in the cluster. */
static void start_stopped_nodes(void)
{
	char path[] = "/tmp/fl-kafkatest-status-XXXXXX", line[256];
	int fd = mkstemp(path);

	if (fd < 0)
		FL_FAIL("mkstemp: %s", strerror(errno));
	close(fd);
	const char *args[] = { "status", dir, NULL };
	/* Exit 1 when a node is stopped: the lines say which. */
	(void)kafkatest_cluster_sh(path, args);
	FILE *f = fopen(path, "r");
	unlink(path);
	if (!f)
		FL_FAIL("%s status %s: no output", script(), dir);
	int n, end, stopped[16], n_stopped = 0;
	while (fgets(line, sizeof(line), f)) {
		end = 0; /* set only when the whole "node N stopped" matched */
		if (sscanf(line, "node %d stopped%n", &n, &end) == 1 && end > 0 && n_stopped < 16)
			stopped[n_stopped++] = n;
	}
	fclose(f);
	for (int i = 0; i < n_stopped; i++) {
		say("kafkatest: node %d is stopped: starting it again", stopped[i]);
		kafkatest_broker_start(stopped[i]);
	}
}

/* kafka-leader-election --election-type PREFERRED for every partition. */
static void elect_preferred(void)
{
	const char *args[] = { "tool",
			       dir,
			       "org.apache.kafka.tools.LeaderElectionCommand",
			       "--bootstrap-server",
			       kafkatest_bootstrap(),
			       "--election-type",
			       "PREFERRED",
			       "--all-topic-partitions",
			       NULL };
	int r = kafkatest_cluster_sh(NULL, args);

	if (r != 0)
		say("kafkatest: the preferred leader election exited %d (looking again)", r);
}

void kafkatest_restore(void)
{
	char why[256];
	double t0 = now_s(), elected = 0;
	int r;

	kafkatest_bootstrap();
	start_stopped_nodes();
	rd_kafka_t *rk = client(RD_KAFKA_PRODUCER, NULL);
	while ((r = look(rk, why, sizeof(why))) != WHOLE) {
		if (now_s() - t0 > 180)
			FL_FAIL("the cluster is not whole 180 s after the restore began: %s", why);
		/* Once every replica is in sync; again if leaders have not moved 15 s later. */
		if (r == LEADERS_ONLY && (!elected || now_s() - elected > 15)) {
			say("kafkatest: %s: electing the preferred leaders", why);
			elect_preferred();
			elected = now_s();
		}
		sleep_ms(500);
	}
	rd_kafka_destroy(rk);
	if (now_s() - t0 > 1)
		say("kafkatest: cluster whole again after %.1f s", now_s() - t0);
}

void kafkatest_restore_cb(void *arg)
{
	(void)arg;
	kafkatest_restore();
}

void kafkatest_expect_whole(int grace_s)
{
	char why[256];
	double t0 = now_s();

	kafkatest_bootstrap();
	while (!kafkatest_cluster_whole(why, sizeof(why))) {
		if (now_s() - t0 >= grace_s) {
			kafkatest_restore();
			FL_FAIL("the tests left the cluster different (restored for the next "
				"tests): %s",
				why);
		}
		sleep_ms(1000);
	}
}
