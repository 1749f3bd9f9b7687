/* SPDX-License-Identifier: MIT */
/*
 * Debian's Prometheus (`prometheus`, 2.42) run by a test: a scratch directory for its
 * configuration, TSDB and log, a free port on 127.0.0.1, scrape_interval 1s, a job
 * "prometheus" scraping itself plus the test's own jobs. Never a system instance: the
 * binary is started by the test and ended by its PID (fltest_defer), the directory removed,
 * also when the test fails. No binary: the test is skipped (a failure under CI=true).
 *
 * Prometheus 2.42 hands new targets to its scrapers on a fixed 5 s tick (discovery and
 * scrape manager), so the first scrape of a job comes 5 to 10 s after the start, whatever
 * scrape_interval says; queries that need no scraped data work as soon as it is ready.
 */
#ifndef FL_PROMENV_H
#define FL_PROMENV_H

#include <sys/types.h>

struct promenv {
	char dir[64]; /* /tmp/fl-prom-XXXXXX: prometheus.yml, data/, prometheus.log */
	char url[64]; /* http://127.0.0.1:<port> */
	unsigned port;
	pid_t pid;
	double ready_s; /* from spawn to /-/ready answering 200 */
};

/*
 * Start and wait (at most 30 s) for /-/ready. jobs: more scrape_configs entries as YAML
 * list items indented by two spaces ("  - job_name: agent\n    ..."), or NULL. env must
 * outlive the test function (static storage).
 */
void promenv_start(struct promenv *env, const char *jobs);

/* SIGCONT (a test may have stopped it), SIGTERM, at most 10 s, then SIGKILL; reaped.
 * Does nothing when not running. */
void promenv_stop(struct promenv *env);

/* SIGSTOP, returning once every thread has stopped (the kernel still accepts connections
 * on its socket; nobody answers); promenv_thaw() continues it. */
void promenv_freeze(struct promenv *env);
void promenv_thaw(struct promenv *env);

/*
 * Wait until query returns a value (a prometheus probe sample without error), polling
 * every 100 ms, at most timeout_s; returns the seconds waited. The test fails after that
 * with the last sample's error and the end of Prometheus' log.
 */
double promenv_wait_value(struct promenv *env, const char *query, double timeout_s);

/* The last lines of Prometheus' log, for failure messages. */
void promenv_dump_log(const struct promenv *env);

#endif
