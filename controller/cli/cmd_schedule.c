/* SPDX-License-Identifier: MIT */
/*
 * faultline schedule CONFIG [--once | --dry-run [--from TIME]]: the flags, the schedule
 * file, its suites, --dry-run's listing — and the gameday daemon itself, which lives in
 * schedule/scheduler.c (docs/schedule.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "schedule.h"
#include "scheduler.h"

#define DRY_RUN_COUNT 5

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline schedule CONFIG [--once | --dry-run [--from TIME]]\n"
		"\n"
		"Run gameday suites on cron expressions (kind: Schedule, docs/schedule.md).\n"
		"Each run is `faultline run SUITE --journal --junit --report [args]` with its\n"
		"output in <historyDir>/<entry>/<YYYYmmddTHHMMSSZ>/. Times are local time (TZ).\n"
		"\n"
		"  --once        run every entry that is due now (or missed, per missedRuns), "
		"then exit\n"
		"  --dry-run     print the next %d fire times of each entry and exit\n"
		"  --from TIME   with --dry-run: start from TIME (2024-01-05T16:50[:SS][Z])\n"
		"  --help\n"
		"\n"
		"SIGTERM/SIGINT: a running suite gets SIGTERM (then SIGKILL after killGrace), "
		"then\n"
		"the scheduler exits. Exit codes: 0 ok, 2 config error or already running, 64 "
		"usage.\n",
		DRY_RUN_COUNT);
}

/* ---- the command --------------------------------------------------------------------- */

static int parse_from(const char *text, time_t *ret)
{
	struct tm tm = { 0 };
	const char *end = strptime(text, "%Y-%m-%dT%H:%M", &tm);
	bool utc = false;

	if (end && *end == ':')
		end = strptime(end + 1, "%S", &tm);
	if (end && *end == 'Z') {
		utc = true;
		end++;
	}
	if (!end || *end)
		return -EINVAL;
	tm.tm_isdst = -1;
	*ret = utc ? timegm(&tm) : mktime(&tm);
	return 0;
}

static int dry_run(const struct fl_schedule *s, time_t from)
{
	const char *tz = getenv("TZ");

	printf("schedule %s: next %d fire times per entry (local time, TZ=%s)\n", s->name,
	       DRY_RUN_COUNT, tz && *tz ? tz : "system default");
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct fl_schedule_entry *e = &s->entries[i];
		time_t t = from;

		printf("%s  \"%s\"  %s\n", e->name, e->cron.text, e->suite);
		for (int k = 0; k < DRY_RUN_COUNT; k++) {
			char buf[64];
			struct tm tm;

			if (fl_cron_next(&e->cron, t, &t) < 0) {
				printf("  (no further fire time)\n");
				break;
			}
			localtime_r(&t, &tm);
			strftime(buf, sizeof(buf), "%a %Y-%m-%d %H:%M %Z", &tm);
			printf("  %s\n", buf);
		}
	}
	return FL_EXIT_OK;
}

struct sched_opts {
	bool once, dry;
	const char *from_text;
	time_t from; /* --dry-run's start */
	const char *config;
};

#define FIELD(f) offsetof(struct sched_opts, f)
static const struct fl_cli_flag sched_flags[] = {
	{ "once", 0, NULL, fl_cli_set_switch, FIELD(once), NULL },
	{ "dry-run", 0, NULL, fl_cli_set_switch, FIELD(dry), NULL },
	{ "from", 0, "TIME", fl_cli_set_string, FIELD(from_text), NULL },
};
#undef FIELD

static const struct fl_cli_verb sched_verb = { "schedule", usage, sched_flags,
					       sizeof(sched_flags) / sizeof(sched_flags[0]),
					       false };

/* The flags and the CONFIG file. false when the command ends here, with *ret_code (--help,
 * usage errors). */
static bool parse_args(int argc, char **argv, struct sched_opts *o, int *ret_code)
{
	int first = fl_cli_parse_flags(&sched_verb, argc, argv, o, ret_code);

	if (first < 0)
		return false;
	*ret_code = FL_EXIT_USAGE;
	if (first != argc - 1) {
		fl_cli_usage_error(&sched_verb, "expected one CONFIG file");
		return false;
	}
	if (o->once && o->dry) {
		fl_cli_usage_error(&sched_verb, "--once and --dry-run exclude each other");
		return false;
	}
	if (o->from_text && (!o->dry || parse_from(o->from_text, &o->from) < 0)) {
		fl_cli_usage_error(&sched_verb,
				   "--from \"%s\": expected --dry-run and a time like "
				   "2024-01-05T16:50[:SS][Z]",
				   o->from_text);
		return false;
	}
	o->config = argv[first];
	return true;
}

/* Load CONFIG; a config that does not parse is printed as FILE:LINE:COL: MESSAGE. */
static int load_config(const char *path, struct fl_schedule **ret)
{
	struct fl_diag diag = { 0 };
	int r = fl_schedule_load(path, ret, &diag);

	if (r < 0)
		fl_cli_print_parse_error(path, r, &diag);
	return r;
}

/* Every entry's suite must be readable now; each one that is not is named. */
static int check_suites(const struct fl_schedule *s, const char *path)
{
	int r = 0;

	for (size_t i = 0; i < s->n_entries; i++) {
		const struct fl_schedule_entry *e = &s->entries[i];

		if (access(e->suite, R_OK) < 0) {
			fprintf(stderr, "%s:%d:%d: spec.entries[%zu].suite: \"%s\": %s\n", path,
				e->line, e->col, i, e->suite, strerror(errno));
			r = -ENOENT;
		}
	}
	return r;
}

int fl_cmd_schedule(int argc, char **argv)
{
	struct sched_opts o = { .from = time(NULL) };
	struct fl_schedule *s = NULL;
	int code, r;

	if (!parse_args(argc, argv, &o, &code))
		return code;
	if (load_config(o.config, &s) < 0)
		return FL_EXIT_ERROR;
	r = check_suites(s, o.config);
	if (r >= 0)
		r = o.dry ? dry_run(s, o.from) : fl_scheduler_run(s, o.once);
	fl_schedule_free(s);
	return r < 0 ? FL_EXIT_ERROR : FL_EXIT_OK;
}
