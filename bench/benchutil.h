/* SPDX-License-Identifier: MIT */
/*
 * What every benchmark here needs: a monotonic clock in ms, percentiles, and running the
 * tool a user would use instead (the only place a program is spawned: benchmarks, never
 * the agent). Header only; each bench_*.c is one program.
 */
#ifndef FL_BENCHUTIL_H
#define FL_BENCHUTIL_H

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static inline double bench_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile of v[0..n) (sorts v). */
static inline double bench_pct(double *v, int n, double p)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return v[(int)(p / 100.0 * (n - 1) + 0.5)];
}

/* Run argv[0] (absolute path) with stdin from stdin_path (NULL: inherited); 0 if it exits 0. */
static inline int bench_spawn_wait(char *const argv[], const char *stdin_path)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status, r;

	posix_spawn_file_actions_init(&fa);
	if (stdin_path)
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, stdin_path, O_RDONLY, 0);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0 || waitpid(pid, &status, 0) < 0)
		return -EIO;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

#endif
