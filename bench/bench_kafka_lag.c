/* SPDX-License-Identifier: MIT */
/*
 * Consumer lag of every group, measured: fl_kafka_lag_snapshot(kafka, NULL) against what a
 * user runs, `kafka-consumer-groups.sh --describe --all-groups` (the harness's
 * `consumer-groups` subcommand, same Kafka jars), interleaved, on the test cluster with
 * topics totalling 1,000 and then 10,000 partitions (replication factor 1 to keep a 2-core
 * machine's cluster light) and a few groups with committed offsets on every partition.
 * Then this process's peak resident memory (VmHWM) while it tracked them: the setup (topic
 * creation, producing, commits) runs in a child process so that it does not count.
 *
 *   bench_kafka_lag [--runs N] [--groups G] [--sizes 1000,10000]
 *
 * A benchmark: it prints figures and fails only when a measurement is not comparable (the
 * tool did not print every partition, a snapshot failed).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "benchutil.h"
#include "fltest.h"
#include "kafkatest.h"

/* kafkatest reports through fltest; a benchmark has no test runner: say it and stop. */
void fltest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_kafka_lag: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void fltest_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench_kafka_lag: cannot run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* No CI mode here: without a cluster fltest_skip above stops the benchmark either way. */
bool fltest_is_ci(void)
{
	return false;
}

static int runs = 5, n_groups = 3;

static double vm_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	double v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtod(line + strlen(field) + 1, NULL);
	if (f)
		fclose(f);
	return v;
}

/* The topics making up `total` partitions: lagbench-a000.. of 100 partitions for the first
 * 1,000, then lagbench-b000.. of 200. Topic i's name into name, its partitions returned;
 * 0 past the end. */
static int topic_at(int total, int i, char *name, size_t size)
{
	int small = FL_MIN(total, 1000) / 100;

	if (i < small) {
		snprintf(name, size, "lagbench-a%03d", i);
		return 100;
	}
	if (i - small < (total - FL_MIN(total, 1000)) / 200) {
		snprintf(name, size, "lagbench-b%03d", i - small);
		return 200;
	}
	return 0;
}

/* The topics between `have` and `total` partitions, records in every partition, and
 * n_groups groups committing on every partition so far. Runs in a child process (its
 * memory is not ours). */
static void setup(int have, int total)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		fltest_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
	if (pid > 0) {
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			fltest_fail(__FILE__, __LINE__, "setup failed");
		return;
	}
	char err[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "bootstrap.servers", kafkatest_bootstrap(), err, sizeof(err));
	rd_kafka_conf_set(conf, "linger.ms", "50", err, sizeof(err));
	rd_kafka_conf_set(conf, "acks", "1", err, sizeof(err));
	rd_kafka_conf_set(conf, "log_level", "0", err, sizeof(err));
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	char names[512][32];
	int parts[512];

	/* One CreateTopics request for all of them. */
	rd_kafka_NewTopic_t *nt[512];
	int n = 0;
	char name[32];
	for (int t = 0; n < 512 && (parts[n] = topic_at(total, t, names[n], sizeof(names[n])));
	     t++) {
		if (topic_at(have, t, name, sizeof(name)))
			continue; /* made for an earlier size */
		nt[n] = rd_kafka_NewTopic_new(names[n], parts[n], 1, err, sizeof(err));
		n++;
	}
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_AdminOptions_t *opt =
		rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_operation_timeout(opt, 120000, err, sizeof(err));
	rd_kafka_AdminOptions_set_request_timeout(opt, 180000, err, sizeof(err));
	rd_kafka_CreateTopics(rk, nt, (size_t)n, opt, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 200000);
	if (!ev || rd_kafka_event_error(ev))
		fltest_fail(__FILE__, __LINE__, "CreateTopics: %s",
			    ev ? rd_kafka_event_error_string(ev) : "no answer");
	size_t cnt;
	const rd_kafka_topic_result_t **res =
		rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
	for (size_t i = 0; i < cnt; i++)
		if (rd_kafka_topic_result_error(res[i]) &&
		    rd_kafka_topic_result_error(res[i]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
			fltest_fail(__FILE__, __LINE__, "create %s: %s",
				    rd_kafka_topic_result_name(res[i]),
				    rd_kafka_topic_result_error_string(res[i]));
	rd_kafka_event_destroy(ev);
	/* Every partition needs a leader before records can go in. */
	for (int tries = 0;; tries++) {
		const struct rd_kafka_metadata *md;
		int leaders = 0, want = 0;
		for (int t = 0; t < n; t++)
			want += parts[t];
		if (rd_kafka_metadata(rk, 1, NULL, &md, 30000) == 0) {
			for (int i = 0; i < md->topic_cnt; i++)
				for (int t = 0; t < n; t++)
					if (strcmp(md->topics[i].topic, names[t]) == 0)
						for (int p = 0; p < md->topics[i].partition_cnt;
						     p++)
							leaders += md->topics[i]
									   .partitions[p]
									   .leader >= 0;
			rd_kafka_metadata_destroy(md);
		}
		if (leaders == want)
			break;
		if (tries > 300)
			fltest_fail(__FILE__, __LINE__, "%d of %d partitions have a leader",
				    leaders, want);
		sleep(1);
	}
	/* 1..7 records per partition (partitions need leaders first: retry on errors). */
	for (int t = 0; t < n; t++)
		for (int p = 0; p < parts[t]; p++)
			for (int k = 0; k <= p % 7; k++)
				while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(names[t]),
							 RD_KAFKA_V_PARTITION(p),
							 RD_KAFKA_V_VALUE("b", 1), RD_KAFKA_V_END))
					rd_kafka_poll(rk, 10);
	if (rd_kafka_flush(rk, 600000))
		fltest_fail(__FILE__, __LINE__, "produce: not flushed in 600 s");
	/* Each group commits offset p % 5 on every partition of every topic so far. */
	for (int g = 0; g < n_groups; g++) {
		char group[32];
		snprintf(group, sizeof(group), "lagbench-g%d", g);
		rd_kafka_conf_t *cc = rd_kafka_conf_new();
		rd_kafka_conf_set(cc, "bootstrap.servers", kafkatest_bootstrap(), err, sizeof(err));
		rd_kafka_conf_set(cc, "group.id", group, err, sizeof(err));
		rd_kafka_conf_set(cc, "log_level", "0", err, sizeof(err));
		rd_kafka_t *c = rd_kafka_new(RD_KAFKA_CONSUMER, cc, err, sizeof(err));
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(total);
		int np;
		for (int t = 0; (np = topic_at(total, t, name, sizeof(name))); t++)
			for (int p = 0; p < np; p++)
				rd_kafka_topic_partition_list_add(l, name, p)->offset = p % 5;
		rd_kafka_resp_err_t e = rd_kafka_commit(c, l, 0);
		if (e)
			fltest_fail(__FILE__, __LINE__, "commit %s: %s", group,
				    rd_kafka_err2str(e));
		rd_kafka_topic_partition_list_destroy(l);
		rd_kafka_destroy(c);
	}
	_exit(0);
}

/* Rows of the Java tool's output that describe a lagbench partition. */
static unsigned tool_rows(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	unsigned n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "lagbench-g", 10) == 0 && strstr(line, " lagbench-"))
			n++;
	if (f)
		fclose(f);
	return n;
}

static void measure(struct fl_kafka *kafka, int total)
{
	double ours[64], tool[64];
	unsigned our_rows = 0, their_rows = 0;
	char out[256];

	snprintf(out, sizeof(out), "%s/.bench-groups.out", kafkatest_dir());
	for (int i = 0; i < runs; i++) {
		struct fl_diag diag = { 0 };
		struct fl_lag_snapshot *snap;
		double t0 = bench_now_ms();
		if (fl_kafka_lag_snapshot_timeout(kafka, NULL, 30000, &snap, &diag) < 0)
			fltest_fail(__FILE__, __LINE__, "snapshot: %s", diag.msg);
		ours[i] = bench_now_ms() - t0;
		our_rows = 0;
		for (unsigned g = 0; g < snap->n_groups; g++)
			if (strncmp(snap->groups[g].name, "lagbench-g", 10) == 0)
				our_rows += snap->groups[g].n;
		fl_lag_snapshot_free(snap);

		const char *args[] = { "consumer-groups", kafkatest_dir(), "--describe",
				       "--all-groups", NULL };
		t0 = bench_now_ms();
		int r = kafkatest_cluster_sh(out, args);
		tool[i] = bench_now_ms() - t0;
		their_rows = tool_rows(out);
		if (r != 0)
			fltest_fail(__FILE__, __LINE__, "consumer-groups exited %d", r);
	}
	unsigned want = (unsigned)(n_groups * total);
	if (our_rows != want || their_rows != want)
		fltest_fail(__FILE__, __LINE__,
			    "not comparable: %u group-partitions expected, faultline %u, tool %u",
			    want, our_rows, their_rows);
	double p50_ours = bench_pct(ours, runs, 50), p50_tool = bench_pct(tool, runs, 50);
	double max_ours = ours[runs - 1], max_tool = tool[runs - 1];
	printf("%d partitions (RF 1), %d groups committed on each: %u group-partitions, %d runs\n",
	       total, n_groups, want, runs);
	printf("                                                  p50 ms    max ms\n");
	printf("faultline: fl_kafka_lag_snapshot (all groups)   %8.1f  %8.1f\n", p50_ours,
	       max_ours);
	printf("kafka-consumer-groups --describe --all-groups   %8.1f  %8.1f\n", p50_tool,
	       max_tool);
	printf("  ratio (tool / faultline)                      %7.1fx  %7.1fx\n",
	       p50_tool / p50_ours, max_tool / max_ours);
	printf("rows: faultline %u, kafka tool %u (all partitions in both)\n", our_rows,
	       their_rows);
	printf("faultline process peak RSS (VmHWM) so far: %.1f MiB\n\n", vm_kib("VmHWM") / 1024);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "runs", required_argument, NULL, 'r' },
					      { "groups", required_argument, NULL, 'g' },
					      { "sizes", required_argument, NULL, 's' },
					      { 0 } };
	const char *sizes = "1000,10000";
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'r')
			runs = (int)strtol(optarg, NULL, 10);
		else if (c == 'g')
			n_groups = (int)strtol(optarg, NULL, 10);
		else if (c == 's')
			sizes = optarg;
		else
			return 2;
	}
	if (runs < 1 || runs > 64 || n_groups < 1 || n_groups > 50)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	kafkatest_setup();
	(void)kafkatest_bootstrap();

	struct fl_diag diag = { 0 };
	struct fl_kafka *kafka = NULL;
	int have = 0;
	for (const char *s = sizes; s && *s;) {
		int total = (int)strtol(s, NULL, 10);
		s = strchr(s, ',');
		s = s ? s + 1 : NULL;
		if (total <= have || total % 100 || (total > 1000 && total % 200) || total > 50000)
			return 2;
		setup(have, total);
		have = total;
		if (!kafka) {
			if (fl_kafka_open(kafkatest_bootstrap(), &kafka, &diag) < 0)
				fltest_fail(__FILE__, __LINE__, "open: %s", diag.msg);
			printf("faultline process RSS before the first snapshot: %.1f MiB\n\n",
			       vm_kib("VmRSS") / 1024);
		}
		measure(kafka, total);
	}
	fl_kafka_free(kafka);
	return 0;
}
