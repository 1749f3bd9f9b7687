/* SPDX-License-Identifier: MIT */
/*
 * The lab's demo pipeline (lab/pipeline: loader, connector, verify) against a real 3-broker
 * KRaft Kafka (tests/lib/kafka-cluster.sh). Ground truth: the loader's acked file (what
 * Kafka acknowledged), the rate we asked for, queue-events read back with a librdkafka
 * consumer, sinks we damage on purpose so that the verifier must fail, and a delay we
 * inject ourselves (the connector stopped for a measured time) that the latency the
 * `integrity` hook module reads from the sink must show.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include "fltest.h"
#include "hook.h"
#include "kafkatest.h"
#include "latency.h"
#include "sink.h"

extern char **environ;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");

	return b && *b ? b : "build";
}

/* ---- temp dirs and processes, cleaned up even when an assertion fails ---------------- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

static void rm_tree(void *arg)
{
	(void)nftw(arg, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(arg);
}

static const char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/fl-pipeline-XXXXXX");

	if (!dir || !mkdtemp(dir))
		FL_FAIL("mkdtemp: %s", strerror(errno));
	fltest_defer(rm_tree, dir);
	return dir;
}

struct proc {
	pid_t pid;
	int status; /* valid once pid == 0 */
	char out[300], err[300];
};

static void proc_kill(void *arg)
{
	struct proc *p = arg;

	if (p->pid > 0) {
		(void)kill(p->pid, SIGKILL);
		(void)waitpid(p->pid, NULL, 0);
	}
	free(p);
}

/* Spawn build/lab/<prog> argv... with stdout/stderr in DIR/<tag>.{out,err}. */
static struct proc *spawn(const char *dir, const char *tag, const char *prog,
			  const char *const *args)
{
	const char *argv[32];
	char path[256];
	posix_spawn_file_actions_t fa;
	struct proc *p = calloc(1, sizeof(*p));
	size_t n = 0;
	int r;

	FL_ASSERT(p);
	snprintf(path, sizeof(path), "%s/lab/%s", build_dir(), prog);
	snprintf(p->out, sizeof(p->out), "%s/%s.out", dir, tag);
	snprintf(p->err, sizeof(p->err), "%s/%s.err", dir, tag);
	argv[n++] = path;
	for (; args[n - 1] && n < 31; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, p->out, O_WRONLY | O_CREAT | O_APPEND,
					 0644);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, p->err, O_WRONLY | O_CREAT | O_APPEND,
					 0644);
	r = posix_spawn(&p->pid, path, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0) {
		free(p);
		FL_FAIL("posix_spawn %s: %s (run make all first)", path, strerror(r));
	}
	fltest_defer(proc_kill, p);
	return p;
}

/* Wait up to timeout_ms for the process; returns its exit code (128+sig when killed). */
static int proc_wait(struct proc *p, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	int status;

	while (p->pid > 0) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);

		if (w == p->pid) {
			p->pid = 0;
			p->status =
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			break;
		}
		if (now_ms() > deadline) {
			char *err = fltest_read_file(p->err, NULL);

			FL_FAIL("process did not exit within %u ms; stderr: %s", timeout_ms,
				err ? err : "");
		}
		sleep_ms(50);
	}
	return p->status;
}

static void proc_signal(struct proc *p, int sig)
{
	FL_ASSERT(p->pid > 0);
	FL_ASSERT_OK(kill(p->pid, sig) < 0 ? -errno : 0);
}

/* A key=value number from a program's stdout summary line. */
static uint64_t out_value(const struct proc *p, const char *key)
{
	char *out = fltest_read_file(p->out, NULL), pat[64];
	const char *at;
	uint64_t v;

	snprintf(pat, sizeof(pat), "%s=", key);
	at = out ? strstr(out, pat) : NULL;
	if (!at)
		FL_FAIL("%s: no %s in \"%s\"", p->out, key, out ? out : "");
	v = strtoull(at + strlen(pat), NULL, 10);
	free(out);
	return v;
}

/* ---- the verifier -------------------------------------------------------------------- */

static json_t *verify(const char *dir, const char *acked, const char *sink, int *ret_exit)
{
	static unsigned n;
	const char *args[] = { "--acked", acked, "--sink", sink, "--json", NULL };
	char tag[32], *out;
	struct proc *p;
	json_error_t jerr;
	json_t *j;

	snprintf(tag, sizeof(tag), "verify-%u", n++);
	p = spawn(dir, tag, "verify", args);
	*ret_exit = proc_wait(p, 30000);
	out = fltest_read_file(p->out, NULL);
	j = out ? json_loads(out, 0, &jerr) : NULL;
	if (!j) {
		char *err = fltest_read_file(p->err, NULL);

		FL_FAIL("verify printed no JSON (exit %d): %s %s", *ret_exit, out ? out : "",
			err ? err : "");
	}
	free(out);
	return j;
}

static long long jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	if (!json_is_integer(v))
		FL_FAIL("verify JSON has no integer %s", key);
	return (long long)json_integer_value(v);
}

/* Wait until the sink holds every acknowledged record (the connector caught up). */
static json_t *wait_caught_up(const char *dir, const char *acked, const char *sink,
			      unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	json_t *j;
	int ex;

	for (;;) {
		j = verify(dir, acked, sink, &ex);
		if (jint(j, "lost") == 0 || now_ms() > deadline)
			return j;
		json_decref(j);
		sleep_ms(500);
	}
}

/*
 * Wait until the sink holds at least min records; returns how many. Deadline: the connector
 * joins its group (group.initial.rebalance.delay.ms=0 here) and the loader's first records
 * are acknowledged in about a second; 30 s leaves a loaded machine room, and fails a
 * connector that consumes nothing.
 */
static long long wait_sink_holds(const char *dir, const struct proc *conn, const char *acked,
				 const char *sink, long long min)
{
	uint64_t t0 = now_ms(), deadline = t0 + 30000;
	long long n;
	json_t *j;
	int ex;

	for (;;) {
		struct stat st;

		n = 0;
		/* The connector makes the sink as it starts, the loader its acked file: verify
		 * refuses a missing one (under a CPU hog the loader came second, once). */
		if (stat(sink, &st) == 0 && stat(acked, &st) == 0) {
			j = verify(dir, acked, sink, &ex);
			n = jint(j, "in_sink");
			json_decref(j);
		}
		if (n >= min)
			break;
		if (now_ms() > deadline) {
			char *err = fltest_read_file(conn->err, NULL);

			FL_FAIL("the sink holds %lld records after 30 s (waiting for %lld); "
				"connector stderr: %s",
				n, min, err ? err : "");
		}
		sleep_ms(200);
	}
	fltest_log("the sink holds %lld records after %" PRIu64 " ms", n, now_ms() - t0);
	return n;
}

/* Lines in an acked file (0 while it does not exist). */
static long long acked_lines(const char *path)
{
	char *text = fltest_read_file(path, NULL);
	long long n = 0;

	for (const char *c = text; c && *c; c++)
		n += *c == '\n';
	free(text);
	return n;
}

/* ---- queue-events ------------------------------------------------------------------ */

/* Every queue-events record (partition 0 from the beginning, up to its end — the programs
 * have exited and flushed) within wait_ms; a JSON array of the parsed values. */
static json_t *read_events(const char *topic, unsigned wait_ms)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	json_t *all = json_array();
	char errstr[256], group[64];
	rd_kafka_t *rk;
	uint64_t deadline = now_ms() + wait_ms;

	FL_ASSERT(rd_kafka_conf_set(conf, "bootstrap.servers", kafkatest_bootstrap(), errstr,
				    sizeof(errstr)) == RD_KAFKA_CONF_OK);
	/* assign() needs a group; this reader never commits into it. */
	kafkatest_topic_name(group, sizeof(group), "test-pipeline-reader");
	FL_ASSERT(rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof(errstr)) ==
		  RD_KAFKA_CONF_OK);
	FL_ASSERT(rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, sizeof(errstr)) ==
		  RD_KAFKA_CONF_OK);
	FL_ASSERT(rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof(errstr)) ==
		  RD_KAFKA_CONF_OK);
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	FL_ASSERT_MSG(rk, "consumer: %s", errstr);
	parts = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
	FL_ASSERT_EQ(rd_kafka_assign(rk, parts), 0);
	rd_kafka_topic_partition_list_destroy(parts);
	bool eof = false;
	while (now_ms() < deadline && !eof) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		json_t *v;

		if (!m)
			continue;
		eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && json_array_size(all) > 0;
		if (!m->err) {
			v = json_loadb(m->payload, m->len, 0, NULL);
			FL_ASSERT_MSG(v, "queue-events record is not JSON: %.*s", (int)m->len,
				      (const char *)m->payload);
			json_array_append_new(all, v);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return all;
}

/* The platform's fields, with their types. */
static void check_event_fields(json_t *ev)
{
	static const char *const strs[] = { "queue_id", "producer", "symbol",	"type",
					    "status",	"message",  "timestamp" };

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		FL_ASSERT_MSG(json_is_string(json_object_get(ev, strs[i])),
			      "event lacks string %s: %s", strs[i], json_dumps(ev, 0));
	FL_ASSERT_MSG(json_is_integer(json_object_get(ev, "records_written")),
		      "event lacks records_written");
	FL_ASSERT_MSG(json_is_boolean(json_object_get(ev, "finished")), "event lacks finished");
	/* "2026-11-28T17:30:00.123Z" */
	const char *ts = json_string_value(json_object_get(ev, "timestamp"));
	FL_ASSERT_MSG(strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z', "timestamp \"%s\"", ts);
}

/* The last event of type with status, or NULL. */
static json_t *find_event(json_t *events, const char *type, const char *status)
{
	json_t *ev, *found = NULL;
	size_t i;

	json_array_foreach(events, i, ev)
	{
		check_event_fields(ev);
		if (strcmp(json_string_value(json_object_get(ev, "type")), type) == 0 &&
		    strcmp(json_string_value(json_object_get(ev, "status")), status) == 0)
			found = ev;
	}
	return found;
}

/* ---- the lab: topics, a connector, a loader --------------------------------------- */

struct lab {
	const char *dir;
	char topic[64], events[64], group[64], acked[300], sink[300];
};

static void lab_init(struct lab *lab)
{
	lab->dir = make_tmpdir();
	kafkatest_topic_name(lab->topic, sizeof(lab->topic), "workflow");
	kafkatest_topic_name(lab->events, sizeof(lab->events), "queue-events");
	kafkatest_topic_name(lab->group, sizeof(lab->group), "connector");
	snprintf(lab->acked, sizeof(lab->acked), "%s/acked", lab->dir);
	snprintf(lab->sink, sizeof(lab->sink), "%s/sink", lab->dir);
	kafkatest_create_topic(lab->topic, 3, 3, -1);
	kafkatest_create_topic(lab->events, 1, 3, -1);
}

static struct proc *start_connector(const struct lab *lab, const char *tag)
{
	const char *args[] = { "--bootstrap",
			       kafkatest_bootstrap(),
			       "--topic",
			       lab->topic,
			       "--group",
			       lab->group,
			       "--sink",
			       lab->sink,
			       "--events-topic",
			       lab->events,
			       "--queue-id",
			       "q-test",
			       NULL };

	return spawn(lab->dir, tag, "connector", args);
}

static struct proc *start_loader(const struct lab *lab, const char *tag, const char *count)
{
	const char *args[] = { "--bootstrap",
			       kafkatest_bootstrap(),
			       "--topic",
			       lab->topic,
			       "--rate",
			       "200",
			       "--count",
			       count,
			       "--symbol",
			       "FLT",
			       "--acked",
			       lab->acked,
			       "--events-topic",
			       lab->events,
			       "--queue-id",
			       "q-test",
			       NULL };

	return spawn(lab->dir, tag, "loader", args);
}

static void stop_connector(struct proc *c)
{
	proc_signal(c, SIGTERM);
	FL_ASSERT_EQ(proc_wait(c, 20000), 0);
}

/* ---- (a) steady state ------------------------------------------------------------- */

FLTEST(loader_and_connector_lose_nothing_at_200_msgs)
{
	struct lab lab;
	struct proc *conn, *load;
	json_t *v, *events, *ev;
	uint64_t acked, elapsed_ms, send_ms;
	double rate, send_rate;
	int ex;

	fltest_set_timeout(90);
	kafkatest_bootstrap();
	lab_init(&lab);
	conn = start_connector(&lab, "connector");
	load = start_loader(&lab, "loader", "1000");
	FL_ASSERT_EQ(proc_wait(load, 40000), 0);
	acked = out_value(load, "acked");
	elapsed_ms = out_value(load, "elapsed_ms");
	send_ms = out_value(load, "send_ms");
	rate = (double)acked * 1000.0 / (double)elapsed_ms;
	/* The first record goes at 0 ms, record N at (N - 1) / rate. */
	send_rate = send_ms ? (double)(out_value(load, "produced") - 1) * 1000.0 / (double)send_ms
			    : 0.0;
	v = wait_caught_up(lab.dir, lab.acked, lab.sink, 30000);
	stop_connector(conn);
	json_decref(v);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	fltest_log("steady: sent on a schedule of %.1f msg/s (asked 200; %" PRIu64 " ms to the "
		   "last send), acked %" PRIu64 " in %" PRIu64 " ms = %.1f msg/s end to end; "
		   "in sink %lld, lost %lld, duplicates %lld, gaps %lld, re-deliveries %lld",
		   send_rate, send_ms, acked, elapsed_ms, rate, jint(v, "in_sink"), jint(v, "lost"),
		   jint(v, "duplicates"), jint(v, "gaps"), jint(v, "redeliveries"));
	FL_ASSERT_EQ(ex, 0);
	FL_ASSERT_EQ(jint(v, "lost"), 0);
	FL_ASSERT_EQ(jint(v, "duplicates"), 0);
	FL_ASSERT_EQ(jint(v, "acknowledged"), (long long)acked);
	FL_ASSERT_EQ(acked, 1000);
	/*
	 * The pacing, not the machine: never faster than asked (the schedule allows N sends by
	 * (N - 1) / rate; + 0.5 for the millisecond rounding of send_ms), and late by no more
	 * than a starved poll round (250 ms over these 5 s). End to end (the last
	 * acknowledgement's latency included, which a loaded machine stretches) it cannot be
	 * faster either.
	 */
	FL_ASSERT_MSG(send_rate >= 190.0 && send_rate <= 200.5,
		      "sent at %.1f msg/s, not on a 200 msg/s schedule", send_rate);
	FL_ASSERT_MSG(rate <= 200.5, "acked %.1f msg/s, faster than asked", rate);
	json_decref(v);

	/* queue-events: loading and finished from both programs, in the platform's format. */
	events = read_events(lab.events, 10000);
	FL_ASSERT(find_event(events, "loader", "loading"));
	ev = find_event(events, "loader", "finished");
	FL_ASSERT_MSG(ev, "no loader finished event among %zu", json_array_size(events));
	FL_ASSERT(json_is_true(json_object_get(ev, "finished")));
	FL_ASSERT_EQ(json_integer_value(json_object_get(ev, "records_written")), acked);
	FL_ASSERT_STREQ(json_string_value(json_object_get(ev, "queue_id")), "q-test");
	FL_ASSERT_STREQ(json_string_value(json_object_get(ev, "symbol")), "FLT");
	FL_ASSERT(find_event(events, "connector", "loading"));
	ev = find_event(events, "connector", "finished");
	FL_ASSERT_MSG(ev, "no connector finished event");
	FL_ASSERT_EQ(json_integer_value(json_object_get(ev, "records_written")), acked);
	fltest_log("queue-events: %zu records", json_array_size(events));
	json_decref(events);

	/* The verifier can fail: an acknowledged seq the sink never got is lost, and a slot
	 * copied over its neighbour is a duplicate (and its neighbour lost). */
	char path[400], line[32];
	int fd;
	snprintf(path, sizeof(path), "%s/acked", lab.dir);
	fd = open(path, O_WRONLY | O_APPEND);
	FL_ASSERT(fd >= 0);
	snprintf(line, sizeof(line), "%d\n", 3000);
	FL_ASSERT_EQ(write(fd, line, strlen(line)), (long long)strlen(line));
	close(fd);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	FL_ASSERT_EQ(ex, 1);
	FL_ASSERT_EQ(jint(v, "lost"), 1);
	json_decref(v);

	unsigned char slot[256];
	snprintf(path, sizeof(path), "%s/blk-0000000000.dat", lab.sink);
	fd = open(path, O_RDWR);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_EQ(pread(fd, slot, sizeof(slot), 5 * 256), 256);
	FL_ASSERT_EQ(pwrite(fd, slot, sizeof(slot), 7 * 256), 256);
	close(fd);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	FL_ASSERT_EQ(ex, 1);
	FL_ASSERT_EQ(jint(v, "duplicates"), 1);
	FL_ASSERT_EQ(jint(v, "lost"), 2); /* 3000 and 7 */
	json_decref(v);

	/* One flipped byte in a stored value: the slot's CRC no longer matches. */
	fd = open(path, O_RDWR);
	FL_ASSERT(fd >= 0);
	FL_ASSERT_EQ(pread(fd, slot, sizeof(slot), 9 * 256), 256);
	slot[60] ^= 0x20; /* the value starts at byte 48 */
	FL_ASSERT_EQ(pwrite(fd, slot, sizeof(slot), 9 * 256), 256);
	close(fd);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	FL_ASSERT_EQ(ex, 1);
	FL_ASSERT_EQ(jint(v, "corrupt_slots"), 1);
	FL_ASSERT_EQ(jint(v, "lost"), 3); /* 3000, 7 and 9 */
	json_decref(v);
}

/* ---- (b) kill -9 the connector mid-stream ----------------------------------------- */

FLTEST(connector_killed_mid_stream_loses_nothing_after_restart)
{
	struct lab lab;
	struct proc *conn, *load;
	json_t *v;
	uint64_t acked;
	int ex;

	fltest_set_timeout(90);
	kafkatest_bootstrap();
	lab_init(&lab);
	conn = start_connector(&lab, "connector-1");
	load = start_loader(&lab, "loader", "1600");
	/* Mid-stream: once the connector has stored records (not after a fixed time: under
	 * load its group may not have joined yet). */
	wait_sink_holds(lab.dir, conn, lab.acked, lab.sink, 1);
	proc_signal(conn, SIGKILL);
	FL_ASSERT_EQ(proc_wait(conn, 5000), 128 + SIGKILL);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	fltest_log("killed connector: sink held %lld of %lld acknowledged%s", jint(v, "in_sink"),
		   jint(v, "acknowledged"), jint(v, "acknowledged") < 1600 ? "" : " (all)");
	FL_ASSERT(jint(v, "in_sink") > 0);
	json_decref(v);
	sleep_ms(500);
	conn = start_connector(&lab, "connector-2");
	FL_ASSERT_EQ(proc_wait(load, 40000), 0);
	acked = out_value(load, "acked");
	/* The dead member's session (6 s) must expire before the partitions move. */
	v = wait_caught_up(lab.dir, lab.acked, lab.sink, 40000);
	json_decref(v);
	stop_connector(conn);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	fltest_log("kill -9: acked %" PRIu64 ", in sink %lld, lost %lld, duplicates %lld, "
		   "re-deliveries %lld, unacknowledged in sink %lld",
		   acked, jint(v, "in_sink"), jint(v, "lost"), jint(v, "duplicates"),
		   jint(v, "redeliveries"), jint(v, "unacknowledged_in_sink"));
	FL_ASSERT_EQ(ex, 0);
	FL_ASSERT_EQ(acked, 1600);
	FL_ASSERT_EQ(jint(v, "acknowledged"), 1600);
	FL_ASSERT_EQ(jint(v, "lost"), 0);
	FL_ASSERT_EQ(jint(v, "duplicates"), 0);
	FL_ASSERT(jint(v, "redeliveries") >= 0);
	json_decref(v);
}

/* ---- (b') SIGTERM the connector mid-stream: the batch is committed, nothing re-read -- */

FLTEST(connector_sigterm_commits_its_batch_so_a_successor_rereads_nothing)
{
	struct lab lab;
	struct proc *conn, *load;
	json_t *v;
	int ex;

	fltest_set_timeout(90);
	kafkatest_bootstrap();
	lab_init(&lab);
	conn = start_connector(&lab, "connector-1");
	load = start_loader(&lab, "loader", "1200");
	/* Once it has stored records: a fixed 3 s was sometimes before its group had joined. */
	wait_sink_holds(lab.dir, conn, lab.acked, lab.sink, 1);
	stop_connector(conn);
	FL_ASSERT(out_value(conn, "stored") > 0);
	conn = start_connector(&lab, "connector-2");
	FL_ASSERT_EQ(proc_wait(load, 40000), 0);
	v = wait_caught_up(lab.dir, lab.acked, lab.sink, 30000);
	json_decref(v);
	stop_connector(conn);
	v = verify(lab.dir, lab.acked, lab.sink, &ex);
	fltest_log("SIGTERM connector mid-stream: acked %lld, in sink %lld, lost %lld, "
		   "duplicates %lld, re-deliveries %lld",
		   jint(v, "acknowledged"), jint(v, "in_sink"), jint(v, "lost"),
		   jint(v, "duplicates"), jint(v, "redeliveries"));
	FL_ASSERT_EQ(ex, 0);
	FL_ASSERT_EQ(jint(v, "acknowledged"), 1200);
	FL_ASSERT_EQ(jint(v, "lost"), 0);
	FL_ASSERT_EQ(jint(v, "duplicates"), 0);
	FL_ASSERT_EQ(jint(v, "redeliveries"), 0);
	json_decref(v);
}

/* ---- (c) SIGTERM the loader ------------------------------------------------------- */

FLTEST(loader_sigterm_flushes_and_reports_finished)
{
	struct lab lab;
	struct proc *load;
	json_t *events, *ev;
	uint64_t acked, produced, next = 1;
	char *text, *at, *end;

	fltest_set_timeout(60);
	kafkatest_bootstrap();
	lab_init(&lab);
	load = start_loader(&lab, "loader", "0");
	/* Mid-run: once 300 records are acknowledged (1.5 s at 200 msg/s once connected), not
	 * after a fixed 3 s that a slow start could eat. 30 s fails a loader that is stuck. */
	uint64_t deadline = now_ms() + 30000;
	long long seen;
	while ((seen = acked_lines(lab.acked)) < 300) {
		FL_ASSERT_MSG(now_ms() < deadline, "%lld records acknowledged after 30 s", seen);
		sleep_ms(100);
	}
	proc_signal(load, SIGTERM);
	FL_ASSERT_EQ(proc_wait(load, 20000), 0);
	acked = out_value(load, "acked");
	produced = out_value(load, "produced");
	fltest_log("SIGTERM once %lld were acknowledged: produced %" PRIu64
		   ", acknowledged %" PRIu64,
		   seen, produced, acked);
	FL_ASSERT((long long)acked >= seen);
	FL_ASSERT_EQ(acked, produced); /* the flush delivered everything in flight */

	/* The acked file is complete: exactly 1..acked, in order (one key, one partition). */
	text = fltest_read_file(lab.acked, NULL);
	FL_ASSERT(text);
	for (at = text; *at; at = end + 1) {
		FL_ASSERT_EQ(strtoull(at, &end, 10), next++);
		FL_ASSERT_MSG(*end == '\n', "acked line %" PRIu64 " is torn", next - 1);
	}
	FL_ASSERT_EQ(next - 1, acked);
	free(text);

	events = read_events(lab.events, 10000);
	ev = find_event(events, "loader", "finished");
	FL_ASSERT_MSG(ev, "no loader finished event among %zu", json_array_size(events));
	FL_ASSERT(json_is_true(json_object_get(ev, "finished")));
	FL_ASSERT_EQ(json_integer_value(json_object_get(ev, "records_written")), acked);
	json_decref(events);

	/* A restarted loader continues after the highest acknowledged seq. */
	load = start_loader(&lab, "loader-2", "10");
	FL_ASSERT_EQ(proc_wait(load, 30000), 0);
	FL_ASSERT_EQ(out_value(load, "first_seq"), acked + 1);
	FL_ASSERT_EQ(out_value(load, "acked"), 10);
}

/* ---- (e) latency: a known delay shows, none does not ------------------------------- */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_until_wall(int64_t t_ms)
{
	int64_t now = wall_ms();

	if (now < t_ms)
		sleep_ms((unsigned)(t_ms - now));
}

static void stop_hook(void *state)
{
	fl_hook_integrity.stop(state);
}

/* The controller's `integrity` hook module on this lab's files, as an experiment runs it. */
static void *start_hook(const struct lab *lab, const char *window)
{
	struct fl_diag diag = { 0 };
	void *state = NULL;
	json_t *cfg = json_pack("{s:s, s:s, s:s}", "acked", lab->acked, "sink", lab->sink,
				"latencyWindow", window);
	int r = fl_hook_integrity.start(cfg, &state, &diag);

	json_decref(cfg);
	FL_ASSERT_MSG(r == 0, "hook start: %s", diag.msg);
	fltest_defer(stop_hook, state);
	return state;
}

/* A metric's value, or -ENODATA / -errno (then *ret_diag says why). */
static int hook_q(void *m, const char *metric, double *ret, struct fl_diag *ret_diag)
{
	return fl_hook_integrity.query(m, metric, ret, ret_diag);
}

static double hook_v(void *m, const char *metric)
{
	struct fl_diag diag = { 0 };
	double v = 0;

	FL_ASSERT_MSG(hook_q(m, metric, &v, &diag) == 0, "%s: %s", metric, diag.msg);
	return v;
}

/* The pipeline's latency stays below this without a fault; a stall of STALL_MS (longer by
 * its margin, so that a record produced up to 500 ms after the stop still counts) is above. */
#define BOUND_MS  3000
#define STALL_MS  3500
#define WINDOW_MS 2000

/*
 * Baseline: loader at 200 msg/s, connector running; every sample over 5 s has records
 * stored in the 2 s window and latency.max below 3 s. Then the connector is stopped
 * (SIGSTOP) for 3.5 s: after one window without progress, stored is 0 and the figures have
 * no data; after SIGCONT the records produced during the stop arrive at least 3.5 s late,
 * so latency.max reaches 3 s — the same check that held during the baseline now fails.
 */
FLTEST(latency_shows_a_stalled_connector_and_stays_low_without_one)
{
	struct lab lab;
	struct proc *conn, *load;
	struct fl_diag diag = { 0 };
	struct fl_latency base;
	double v, max_seen = 0, p50, p99;
	json_t *j;
	int ex, r;

	fltest_set_timeout(150);
	kafkatest_bootstrap();
	lab_init(&lab);
	conn = start_connector(&lab, "connector");
	load = start_loader(&lab, "loader", "0");
	void *m = start_hook(&lab, "2s");

	/* Settled: the connector has joined and caught up with what was produced before. */
	uint64_t deadline = now_ms() + 60000;
	while ((r = hook_q(m, "latency.max", &v, &diag)) != 0 || v >= BOUND_MS) {
		FL_ASSERT_MSG(now_ms() < deadline, "no settled latency within 60 s: %s",
			      r ? diag.msg : "latency.max still >= the bound");
		sleep_ms(250);
	}
	int64_t t_base = wall_ms();
	for (int i = 0; i < 10; i++) {
		sleep_ms(500);
		v = hook_v(m, "latency.max");
		max_seen = v > max_seen ? v : max_seen;
		FL_ASSERT_MSG(v < BOUND_MS, "baseline sample %d: latency.max %.0f ms >= %d ms", i,
			      v, BOUND_MS);
		FL_ASSERT_MSG(hook_v(m, "stored") > 0, "baseline sample %d: nothing stored", i);
	}
	FL_ASSERT_OK(fl_latency_scan(lab.sink, t_base, &base, &diag));
	fltest_log("baseline (200 msg/s, 3 brokers on loopback, 5 s): %" PRIu64
		   " records, p50 %" PRIu64 " ms, p95 %" PRIu64 " ms, p99 %" PRIu64
		   " ms, max %" PRIu64 " ms; the highest 2 s-window max %.0f ms",
		   base.timed, base.p50_ms, base.p95_ms, base.p99_ms, base.max_ms, max_seen);

	int64_t t_stop = wall_ms();
	proc_signal(conn, SIGSTOP);
	sleep_until_wall(t_stop + WINDOW_MS + 500);
	FL_ASSERT_EQ(hook_v(m, "stored"), 0);
	FL_ASSERT_EQ(hook_q(m, "latency.max", &v, &diag), -ENODATA);
	FL_ASSERT_STREQ(diag.msg, "no record stored in the last 2s");
	sleep_until_wall(t_stop + STALL_MS);
	proc_signal(conn, SIGCONT);
	int64_t stall = wall_ms() - t_stop;

	deadline = now_ms() + 30000;
	while ((r = hook_q(m, "latency.max", &v, &diag)) != 0 || v < BOUND_MS) {
		FL_ASSERT_MSG(now_ms() < deadline,
			      "latency.max did not reach %d ms within 30 s of SIGCONT: %s",
			      BOUND_MS, r ? diag.msg : "below the bound");
		sleep_ms(100);
	}
	p50 = hook_v(m, "latency.p50");
	p99 = hook_v(m, "latency.p99");
	fltest_log("connector stopped %" PRId64 " ms: latency.max %.0f ms, p99 %.0f, p50 %.0f "
		   "in the 2 s window after SIGCONT",
		   stall, v, p99, p50);
	FL_ASSERT(v >= BOUND_MS);
	FL_ASSERT_MSG(v <= (double)stall + 5000, "latency.max %.0f ms is far past the stall", v);

	proc_signal(load, SIGTERM);
	FL_ASSERT_EQ(proc_wait(load, 20000), 0);
	j = wait_caught_up(lab.dir, lab.acked, lab.sink, 30000);
	json_decref(j);
	stop_connector(conn);
	j = verify(lab.dir, lab.acked, lab.sink, &ex);
	json_t *lat = json_object_get(j, "latency");
	fltest_log("whole run: %lld records, p50 %lld ms, p99 %lld ms, max %lld ms, clamped %lld",
		   jint(lat, "records"), jint(lat, "p50_ms"), jint(lat, "p99_ms"),
		   jint(lat, "max_ms"), jint(lat, "clamped"));
	FL_ASSERT_EQ(ex, 0);
	FL_ASSERT_EQ(jint(lat, "records"), jint(j, "in_sink"));
	FL_ASSERT_EQ(jint(lat, "untimed"), 0);
	FL_ASSERT(jint(lat, "max_ms") >= BOUND_MS);
	json_decref(j);
}

/* ---- (d) bad flags ---------------------------------------------------------------- */

static void expect_usage(const char *dir, const char *prog, const char *const *args,
			 const char *needle)
{
	struct proc *p = spawn(dir, prog, prog, args);
	char *err;

	FL_ASSERT_EQ(proc_wait(p, 10000), 64);
	err = fltest_read_file(p->err, NULL);
	FL_ASSERT_CONTAINS(err, needle);
	free(err);
	(void)unlink(p->err);
}

FLTEST(bad_flags_exit_64_naming_the_flag)
{
	const char *dir = make_tmpdir();
	const char *rate[] = { "--bootstrap", "x:1", "--acked", "/tmp/a", "--rate", "fast", NULL };
	const char *zero[] = { "--bootstrap", "x:1", "--acked", "/tmp/a", "--rate", "0", NULL };
	const char *bogus[] = { "--bootstrap", "x:1", "--bogus", NULL };
	const char *noacked[] = { "--bootstrap", "x:1", NULL };
	const char *nosink[] = { "--bootstrap", "x:1", NULL };
	const char *batch[] = { "--bootstrap", "x:1", "--sink", "/tmp/s", "--batch", "-3", NULL };
	const char *vflag[] = { "--acked", "a", "--nope", NULL };
	const char *vsink[] = { "--acked", "a", NULL };
	const char *vwindow[] = { "--acked", "a", "--sink", "s", "--latency-window", "5 s", NULL };
	/* A value must fit a sink slot (208 bytes) and its JSON. */
	const char *payload[] = { "--bootstrap",    "x:1", "--acked", "/tmp/a",
				  "--payload-size", "121", NULL };
	const char *quote[] = {
		"--bootstrap", "x:1", "--acked", "/tmp/a", "--symbol", "A\"B", NULL
	};
	const char *longsym[] = { "--bootstrap", "x:1",	     "--acked",
				  "/tmp/a",	 "--symbol", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456",
				  NULL };

	expect_usage(dir, "loader", rate, "--rate: \"fast\"");
	expect_usage(dir, "loader", zero, "--rate: 0 is outside 1..100000");
	expect_usage(dir, "loader", bogus, "--bogus");
	expect_usage(dir, "loader", noacked, "--acked is required");
	expect_usage(dir, "connector", nosink, "--sink is required");
	expect_usage(dir, "connector", batch, "--batch");
	expect_usage(dir, "verify", vflag, "--nope");
	expect_usage(dir, "verify", vsink, "--sink is required");
	expect_usage(dir, "verify", vwindow, "--latency-window: \"5 s\" is not a duration");
	expect_usage(dir, "loader", payload, "--payload-size: 121 is outside 1..120");
	expect_usage(dir, "loader", quote,
		     "--symbol: \"A\"B\" is not 1..32 characters of A-Z a-z 0-9 . _ -");
	expect_usage(dir, "loader", longsym, "--symbol: \"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456\"");
}

/* A sink of format 1 (no timestamps, a longer value) is never read or written as format 2. */
FLTEST(a_sink_of_format_1_is_refused_by_the_connector_and_verify)
{
	const char *dir = make_tmpdir();
	char sink[300], acked[300], format[400];
	const char *cargs[] = { "--bootstrap", "127.0.0.1:1", "--sink", sink, NULL };
	const char *vargs[] = { "--acked", acked, "--sink", sink, NULL };
	const char *old = "faultline-sink 1 block=4096 slot=256\n";
	struct proc *p;
	char *err;
	FILE *f;

	snprintf(sink, sizeof(sink), "%s/sink", dir);
	snprintf(acked, sizeof(acked), "%s/acked", dir);
	snprintf(format, sizeof(format), "%s/FORMAT", sink);
	FL_ASSERT_OK(mkdir(sink, 0755) < 0 ? -errno : 0);
	f = fopen(format, "w");
	FL_ASSERT(f);
	fputs(old, f);
	fclose(f);
	f = fopen(acked, "w");
	FL_ASSERT(f);
	fclose(f);
	p = spawn(dir, "connector", "connector", cargs);
	FL_ASSERT_EQ(proc_wait(p, 10000), 1);
	err = fltest_read_file(p->err, NULL);
	FL_ASSERT_CONTAINS(err, "FORMAT is \"faultline-sink 1 block=4096 slot=256\", not "
				"\"faultline-sink 2 block=4096 slot=256\"");
	free(err);
	p = spawn(dir, "verify", "verify", vargs);
	FL_ASSERT_EQ(proc_wait(p, 10000), 2);
	err = fltest_read_file(p->err, NULL);
	FL_ASSERT_CONTAINS(err, "FORMAT is \"faultline-sink 1 block=4096 slot=256\"");
	free(err);
	err = fltest_read_file(format, NULL);
	FL_ASSERT_STREQ(err, old); /* left as it was */
	free(err);
}

/* The cluster lives in the parent process, across the forked tests. */
KAFKATEST_CLUSTER()
