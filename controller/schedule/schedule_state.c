/* SPDX-License-Identifier: MIT */
/*
 * The scheduler's memory is its history directory: the newest run directory of an entry
 * is its last run, so a restart after a crash knows what ran without a state file.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "schedule.h"

void fl_schedule_run_name(time_t start, char buf[static FL_SCHED_RUN_NAME_LEN + 1])
{
	struct tm tm;

	if (!gmtime_r(&start, &tm) || strftime(buf, FL_SCHED_RUN_NAME_LEN + 1, "%Y%m%dT%H%M%SZ",
					       &tm) != FL_SCHED_RUN_NAME_LEN)
		memcpy(buf, "00000000T000000Z", FL_SCHED_RUN_NAME_LEN + 1);
}

int fl_schedule_parse_run_name(const char *name, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end;
	time_t t;

	if (strlen(name) != FL_SCHED_RUN_NAME_LEN)
		return -EINVAL;
	for (int i = 0; i < FL_SCHED_RUN_NAME_LEN; i++) {
		char want = i == 8 ? 'T' : i == 15 ? 'Z' : '0';
		if (want == '0' ? (name[i] < '0' || name[i] > '9') : name[i] != want)
			return -EINVAL;
	}
	end = strptime(name, "%Y%m%dT%H%M%SZ", &tm);
	if (!end || *end)
		return -EINVAL;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -EINVAL;
	*ret = t;
	return 0;
}

/* Run directories of an entry, oldest first (names sort like times). */
static int list_runs(const char *history_dir, const char *entry, char ***ret, size_t *ret_n)
{
	char path[4096];
	struct dirent **names = NULL;
	int n;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", history_dir, entry) >= sizeof(path))
		return -ENAMETOOLONG;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0 && errno == ENOENT) { /* no run yet */
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	if (n < 0)
		return -errno;
	char **runs = calloc((size_t)n + 1, sizeof(*runs));
	size_t k = 0;
	int r = 0;

	for (int i = 0; i < n; i++) {
		time_t t;
		struct stat st;
		char sub[4096 + 512];

		if (!runs || r < 0 || fl_schedule_parse_run_name(names[i]->d_name, &t) < 0) {
			free(names[i]);
			continue;
		}
		(void)snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			runs[k] = strdup(names[i]->d_name);
			if (!runs[k])
				r = -ENOMEM;
			else
				k++;
		}
		free(names[i]);
	}
	free(names);
	if (!runs)
		return -ENOMEM;
	if (r < 0) {
		for (size_t i = 0; i < k; i++)
			free(runs[i]);
		free(runs);
		return r;
	}
	*ret = runs;
	*ret_n = k;
	return 0;
}

static void free_runs(char **runs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(runs[i]);
	free(runs);
}

int fl_schedule_last_run(const char *history_dir, const char *entry, time_t *ret)
{
	char **runs = NULL;
	size_t n = 0;
	time_t t;
	int r = list_runs(history_dir, entry, &runs, &n);

	if (r < 0)
		return r;
	if (n == 0) {
		free_runs(runs, n);
		return -ENOENT;
	}
	r = fl_schedule_parse_run_name(runs[n - 1], &t);
	free_runs(runs, n);
	if (r < 0)
		return r;
	*ret = t;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

int fl_schedule_prune(const char *history_dir, const char *entry, unsigned keep,
		      unsigned *ret_removed)
{
	char **runs = NULL;
	size_t n = 0;
	unsigned removed = 0;
	int r = list_runs(history_dir, entry, &runs, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; n > keep && i < n - keep; i++) {
		char path[8192];

		(void)snprintf(path, sizeof(path), "%s/%s/%s", history_dir, entry, runs[i]);
		/* FTW_PHYS: a symlink inside a run is removed, never followed. */
		if (nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0) {
			r = -errno;
			break;
		}
		removed++;
	}
	free_runs(runs, n);
	if (r < 0)
		return r;
	if (ret_removed)
		*ret_removed = removed;
	return 0;
}

int fl_schedule_decide(const struct fl_cron *cron, enum fl_missed_policy policy, time_t settled,
		       time_t observed_since, time_t now, struct fl_sched_decision *ret)
{
	struct fl_sched_decision d = { .action = FL_SCHED_WAIT };
	time_t lo = observed_since - FL_SCHED_DUE_GRACE, t;
	int r;

	r = fl_cron_next(cron, now, &d.next);
	if (r < 0)
		return r;
	if (settled != FL_SCHED_NEVER && settled > lo)
		lo = settled;
	r = fl_cron_next(cron, lo, &t);
	if (r < 0)
		return r;
	if (t <= now) {
		d.action = FL_SCHED_RUN;
		d.fire = t;
	} else if (settled != FL_SCHED_NEVER && settled < lo) {
		r = fl_cron_next(cron, settled, &t);
		if (r < 0)
			return r;
		if (t <= lo) {
			d.action = policy == FL_MISSED_RUN_ONCE ? FL_SCHED_RUN : FL_SCHED_SKIP;
			d.fire = t;
			d.missed = true;
		}
	}
	*ret = d;
	return 0;
}
