/* SPDX-License-Identifier: MIT */
/*
 * The gameday daemon (scheduler.h, docs/schedule.md). One run at a time; each run is
 * `faultline run SUITE ...` in its own process group with its output in the history
 * directory. The decisions live in schedule_state.c; this file owns the clock, the locks,
 * the child and the signals. The command line (cli/cmd_schedule.c) only parses flags,
 * loads the schedule and calls fl_scheduler_run.
 *
 * Test hook, in the test build only ($(BUILD)/t/faultline, -DFL_TEST_BUILD):
 * FAULTLINE_SCHEDULE_RUNNER=/path/to/program replaces the controller's own binary as the
 * runner (it receives the same arguments, "run SUITE --journal ..."), logged as a warning.
 * The release binary does not read it (tests/unit/test-release-clean.sh).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fl/fs.h"
#include "fl/log.h"
#include "scheduler.h"

#define IDLE_TICK_S 30 /* longest sleep: also how fast a suspension is noticed */

struct sched {
	struct fl_schedule *s;
	const char *runner;	  /* the program a run executes */
	const char *runner_argv0; /* and its argv[0] */
	sigset_t blocked, old_mask;
	bool stop;	       /* SIGTERM/SIGINT received */
	time_t observed_since; /* watching the clock without a gap since */
	time_t *settled;       /* per entry (schedule.h: fl_schedule_decide) */
};

static void fmt_local(time_t t, char *buf, size_t size)
{
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm))
		(void)snprintf(buf, size, "@%lld", (long long)t);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- locks --------------------------------------------------------------------------- */

/*
 * Take an flock on path and write our PID into it. -EWOULDBLOCK when someone else holds
 * it: *ret_holder is then their PID (0 if unknown). The fd is O_CLOEXEC, so runs never
 * inherit it.
 */
static int lock_file(const char *path, int *ret_fd, long *ret_holder)
{
	char buf[32];
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		*ret_holder = 0;
		if (n > 0) {
			buf[n] = '\0';
			*ret_holder = strtol(buf, NULL, 10);
		}
		close(fd);
		return r == -EAGAIN ? -EWOULDBLOCK : r;
	}
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		int r = -errno;
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* ---- one run ------------------------------------------------------------------------- */

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * Wait for the child; SIGTERM it on timeout or when we are told to stop, SIGKILL after the
 * grace. Returns its wait status.
 */
static int wait_child(struct sched *sc, pid_t pid, bool *ret_timed_out)
{
	double start = mono_now(), timeout = (double)sc->s->timeout_ns / 1e9;
	double grace = (double)sc->s->kill_grace_ns / 1e9, kill_at = 0;
	bool term_sent = false;
	int status = 0;

	*ret_timed_out = false;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return 0;
		double now = mono_now();
		if (!term_sent && (sc->stop || now - start >= timeout)) {
			if (!sc->stop) {
				*ret_timed_out = true;
				fl_log(LOG_WARNING, "run timed out", "pid=%d timeout=%.0fs", pid,
				       timeout);
			}
			(void)kill(-pid, SIGTERM);
			term_sent = true;
			kill_at = now + grace;
		}
		if (term_sent && now >= kill_at) {
			fl_log(LOG_WARNING, "run did not stop, killing it", "pid=%d grace=%.0fs",
			       pid, grace);
			(void)kill(-pid, SIGKILL);
			kill_at = now + 3600; /* once */
		}
		struct timespec ts = { .tv_sec = 0, .tv_nsec = 200 * 1000000 };
		int sig = sigtimedwait(&sc->blocked, NULL, &ts);

		if (sig == SIGTERM || sig == SIGINT) {
			if (!sc->stop)
				fl_log(LOG_INFO, "stopping: forwarding SIGTERM to the run",
				       "signal=%s pid=%d", sig == SIGTERM ? "SIGTERM" : "SIGINT",
				       pid);
			sc->stop = true;
		}
	}
}

static void child_exec(struct sched *sc, int log_fd, char **argv)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	(void)setpgid(0, 0);
	if (null_fd >= 0)
		(void)dup2(null_fd, 0);
	(void)dup2(log_fd, 1);
	(void)dup2(log_fd, 2);
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	(void)signal(SIGHUP, SIG_DFL);
	(void)sigprocmask(SIG_SETMASK, &sc->old_mask, NULL);
	execv(sc->runner, argv);
	dprintf(2, "faultline schedule: cannot execute %s: %s\n", sc->runner, strerror(errno));
	_exit(127);
}

/*
 * Lock the entry's suite (<historyDir>/<entry>/.lock, the directory made first, its path
 * left in edir). -EWOULDBLOCK when another scheduler holds it. Failures are logged here.
 */
static int lock_suite(const struct sched *sc, const struct fl_schedule_entry *e, char *edir,
		      size_t size, int *ret_fd)
{
	char path[4300], q[4200];
	long holder = 0;
	int r;

	(void)snprintf(edir, size, "%s/%s", sc->s->history_dir, e->name);
	r = fl_mkdir_p(edir, 0755);
	if (r < 0)
		return fl_log_errno(LOG_ERR, r, "cannot create history directory",
				    "entry=%s dir=%s", e->name, fl_log_quote(edir, q, sizeof(q)));
	(void)snprintf(path, sizeof(path), "%s/.lock", edir);
	r = lock_file(path, ret_fd, &holder);
	if (r == -EWOULDBLOCK) {
		fl_log(LOG_WARNING, "run skipped: suite locked by another scheduler",
		       "entry=%s lock=%s holder_pid=%ld", e->name, fl_log_quote(path, q, sizeof(q)),
		       holder);
		return r;
	}
	if (r < 0)
		return fl_log_errno(LOG_ERR, r, "cannot lock suite", "entry=%s", e->name);
	return 0;
}

/* Make the run's directory (its path left in dir) and open its run.log. Failures logged. */
static int open_run_log(const struct fl_schedule_entry *e, const char *edir, time_t start,
			char *dir, size_t size, int *ret_fd)
{
	char path[4300], name[FL_SCHED_RUN_NAME_LEN + 1], q[4200];
	int fd;

	fl_schedule_run_name(start, name);
	(void)snprintf(dir, size, "%s/%s", edir, name);
	if (mkdir(dir, 0755) < 0)
		return fl_log_errno(LOG_ERR, -errno, "cannot create run directory",
				    "entry=%s dir=%s", e->name, fl_log_quote(dir, q, sizeof(q)));
	(void)snprintf(path, sizeof(path), "%s/run.log", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return fl_log_errno(LOG_ERR, -errno, "cannot create run.log", "entry=%s", e->name);
	*ret_fd = fd;
	return 0;
}

/* A run's command line: `RUNNER run SUITE --journal --junit --report` into dir, then the
 * entry's own args. The paths live here, as long as argv. */
struct run_argv {
	char journal[4300], junit[4300], report[4300];
	char *argv[FL_SCHED_MAX_ARGS + 12];
};

static void build_argv(const struct sched *sc, const struct fl_schedule_entry *e, const char *dir,
		       struct run_argv *ra)
{
	size_t n = 0;

	(void)snprintf(ra->journal, sizeof(ra->journal), "%s/journal.json", dir);
	(void)snprintf(ra->junit, sizeof(ra->junit), "%s/junit.xml", dir);
	(void)snprintf(ra->report, sizeof(ra->report), "%s/report.html", dir);
	ra->argv[n++] = (char *)sc->runner_argv0;
	ra->argv[n++] = (char *)"run";
	ra->argv[n++] = e->suite;
	ra->argv[n++] = (char *)"--journal";
	ra->argv[n++] = ra->journal;
	ra->argv[n++] = (char *)"--junit";
	ra->argv[n++] = ra->junit;
	ra->argv[n++] = (char *)"--report";
	ra->argv[n++] = ra->report;
	for (size_t j = 0; j < e->n_args; j++)
		ra->argv[n++] = e->args[j];
	ra->argv[n] = NULL;
}

/* The run ended: its exit file, the last line of run.log and the log line. */
static void record_exit(const struct fl_schedule_entry *e, const char *dir, int log_fd, int status,
			bool timed_out, double secs)
{
	char path[4300], text[16], q[4200];
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	int r;

	(void)snprintf(path, sizeof(path), "%s/exit", dir);
	(void)snprintf(text, sizeof(text), "%d\n", code);
	r = write_file(path, text);
	if (r < 0)
		fl_log_errno(LOG_ERR, r, "cannot write exit file", "entry=%s", e->name);
	const char *how = timed_out ? "timeout" : WIFSIGNALED(status) ? "signaled" : "exited";
	dprintf(log_fd, "faultline schedule: entry=%s exit=%d status=%s duration=%.1fs\n", e->name,
		code, how, secs);
	fl_log(code == 0 ? LOG_INFO : LOG_WARNING, "run finished",
	       "entry=%s exit=%d status=%s duration=%.1fs dir=%s", e->name, code, how, secs,
	       fl_log_quote(dir, q, sizeof(q)));
}

/* Fork the run into dir with its output in log_fd, wait for it, record how it ended. */
static int spawn_run(struct sched *sc, const struct fl_schedule_entry *e,
		     const struct fl_sched_decision *d, time_t start, const char *dir, int log_fd)
{
	struct run_argv ra;
	char fire[40], q[4200];
	bool timed_out;
	int status;
	double t0;
	pid_t pid;

	build_argv(sc, e, dir, &ra);
	fmt_local(d->fire, fire, sizeof(fire));
	long delayed = d->missed ? 0 : (long)(start - d->fire);
	dprintf(log_fd, "faultline schedule: entry=%s fire=%s delayed=%lds missed=%s suite=%s\n",
		e->name, fire, delayed, d->missed ? "true" : "false", e->suite);
	t0 = mono_now();
	pid = fork();
	if (pid < 0)
		return fl_log_errno(LOG_ERR, -errno, "cannot fork", "entry=%s", e->name);
	if (pid == 0)
		child_exec(sc, log_fd, ra.argv);
	(void)setpgid(pid, pid); /* also here: no window where a signal misses the group */
	fl_log(LOG_INFO, "run started", "entry=%s pid=%d fire=%s delayed=%lds missed=%s dir=%s",
	       e->name, pid, fire, delayed, d->missed ? "true" : "false",
	       fl_log_quote(dir, q, sizeof(q)));
	status = wait_child(sc, pid, &timed_out);
	/* Nothing the run started outlives it: its whole process group goes. */
	(void)kill(-pid, SIGKILL);
	record_exit(e, dir, log_fd, status, timed_out, mono_now() - t0);
	return 0;
}

static void prune_history(const struct sched *sc, const struct fl_schedule_entry *e)
{
	unsigned removed = 0;
	int pr = fl_schedule_prune(sc->s->history_dir, e->name, sc->s->keep, &removed);

	if (pr < 0)
		fl_log_errno(LOG_ERR, pr, "cannot prune history", "entry=%s", e->name);
	else if (removed)
		fl_log(LOG_INFO, "old runs removed", "entry=%s removed=%u keep=%u", e->name,
		       removed, sc->s->keep);
}

/*
 * Run entry i now. Sets *ret_start to the run's start time (or to now when the suite is
 * locked by someone else and the run is skipped). Failures are logged here.
 */
static int run_entry(struct sched *sc, size_t i, const struct fl_sched_decision *d,
		     time_t *ret_start)
{
	const struct fl_schedule_entry *e = &sc->s->entries[i];
	char edir[4096], dir[4200];
	int lock_fd = -1, log_fd = -1, r;
	time_t start = time(NULL);

	*ret_start = start;
	r = lock_suite(sc, e, edir, sizeof(edir), &lock_fd);
	if (r < 0)
		return r;
	r = open_run_log(e, edir, start, dir, sizeof(dir), &log_fd);
	if (r >= 0)
		r = spawn_run(sc, e, d, start, dir, log_fd);
	if (log_fd >= 0)
		close(log_fd);
	close(lock_fd); /* releases the suite lock */
	prune_history(sc, e);
	return r;
}

/* ---- the loop ------------------------------------------------------------------------ */

/* Sleep until `until` (or a signal); notice suspensions and clock jumps. */
static void sleep_until(struct sched *sc, time_t until)
{
	time_t before = time(NULL);
	double mono_before = mono_now();
	long secs = (long)(until - before);
	struct timespec ts = { .tv_sec = secs < 0	      ? 0
					 : secs > IDLE_TICK_S ? IDLE_TICK_S
							      : secs,
			       .tv_nsec = secs <= 0 ? 10 * 1000000 : 0 };
	int sig = sigtimedwait(&sc->blocked, NULL, &ts);

	if (sig == SIGTERM || sig == SIGINT) {
		fl_log(LOG_INFO, "stopping", "signal=%s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
		sc->stop = true;
	} else if (sig == SIGHUP) {
		fl_log(LOG_INFO, "SIGHUP ignored: restart the scheduler to reload its config",
		       NULL);
	}
	double wall = (double)(time(NULL) - before), mono = mono_now() - mono_before;
	if (wall - mono > FL_SCHED_DUE_GRACE || wall < -FL_SCHED_DUE_GRACE) {
		sc->observed_since = time(NULL);
		fl_log(LOG_WARNING, "clock jump or suspension detected",
		       "wall=%.0fs monotonic=%.0fs", wall, mono);
	}
}

static int loop(struct sched *sc, bool once)
{
	struct fl_schedule *s = sc->s;
	bool *done = calloc(s->n_entries, sizeof(*done));
	time_t logged_until = 0;
	size_t logged_entry = (size_t)-1;

	if (!done)
		return -ENOMEM;
	while (!sc->stop) {
		time_t now = time(NULL), next = 0, fire = 0;
		size_t best = (size_t)-1, next_entry = 0;
		struct fl_sched_decision best_d = { 0 };

		for (size_t i = 0; i < s->n_entries; i++) {
			struct fl_sched_decision d;
			char at[40];
			int r;

			if (done[i])
				continue;
			r = fl_schedule_decide(&s->entries[i].cron, s->missed, sc->settled[i],
					       sc->observed_since, now, &d);
			if (r < 0) {
				fl_log_errno(LOG_ERR, r, "no next fire time", "entry=%s",
					     s->entries[i].name);
				done[i] = true;
				continue;
			}
			if (d.action == FL_SCHED_SKIP) {
				fmt_local(d.fire, at, sizeof(at));
				fl_log(LOG_INFO, "missed run skipped (missedRuns: skip)",
				       "entry=%s missed=%s", s->entries[i].name, at);
				sc->settled[i] = now;
			}
			if (d.action == FL_SCHED_RUN && (best == (size_t)-1 || d.fire < fire)) {
				best = i;
				fire = d.fire;
				best_d = d;
			}
			if (!once && (next == 0 || d.next < next)) {
				next = d.next;
				next_entry = i;
			}
		}
		if (best != (size_t)-1) {
			time_t start;

			(void)run_entry(sc, best, &best_d, &start);
			sc->settled[best] = start;
			if (once)
				done[best] = true;
			continue;
		}
		if (once || next == 0)
			break;
		if (next != logged_until || next_entry != logged_entry) {
			char at[40];

			fmt_local(next, at, sizeof(at));
			fl_log(LOG_INFO, "waiting", "until=%s entry=%s", at,
			       s->entries[next_entry].name);
			logged_until = next;
			logged_entry = next_entry;
		}
		sleep_until(sc, next);
	}
	free(done);
	return 0;
}

#ifdef FL_TEST_BUILD
#define RUNNER_ENV "FAULTLINE_SCHEDULE_RUNNER"
/* The test hook (top of this file). */
static void runner_hook(struct sched *sc)
{
	const char *hook = getenv(RUNNER_ENV);
	char q[4200];

	if (!hook || !*hook)
		return;
	sc->runner = sc->runner_argv0 = hook;
	fl_log(LOG_WARNING, "test hook in use: runs execute " RUNNER_ENV, "runner=%s",
	       fl_log_quote(hook, q, sizeof(q)));
}
#endif

/* One scheduler per schedule: <historyDir>/.schedule-NAME.lock (the directory made first). */
static int lock_schedule(const struct sched *sc, int *ret_fd)
{
	char path[4200];
	long holder = 0;
	int r = fl_mkdir_p(sc->s->history_dir, 0755);

	if (r < 0) {
		fprintf(stderr, "faultline schedule: historyDir %s: %s\n", sc->s->history_dir,
			strerror(-r));
		return r;
	}
	(void)snprintf(path, sizeof(path), "%s/.schedule-%s.lock", sc->s->history_dir, sc->s->name);
	r = lock_file(path, ret_fd, &holder);
	if (r == -EWOULDBLOCK) {
		fprintf(stderr,
			"faultline schedule: schedule \"%s\" is already running (pid %ld holds "
			"%s)\n",
			sc->s->name, holder, path);
		return r;
	}
	if (r < 0)
		fprintf(stderr, "faultline schedule: cannot lock %s: %s\n", path, strerror(-r));
	return r;
}

/* Each entry's last run from the history directory: settled[] (FL_SCHED_NEVER: none). */
static int read_history(struct sched *sc)
{
	sc->settled = calloc(sc->s->n_entries, sizeof(*sc->settled));
	if (!sc->settled)
		return -ENOMEM;
	for (size_t i = 0; i < sc->s->n_entries; i++) {
		time_t t;
		int r = fl_schedule_last_run(sc->s->history_dir, sc->s->entries[i].name, &t);

		if (r < 0 && r != -ENOENT) {
			fl_log_errno(LOG_ERR, r, "cannot read history", "entry=%s",
				     sc->s->entries[i].name);
			return r;
		}
		sc->settled[i] = r < 0 ? FL_SCHED_NEVER : t;
	}
	return 0;
}

/* The loop takes its signals with sigtimedwait; runs get the old mask back (child_exec). */
static void block_signals(struct sched *sc)
{
	sigemptyset(&sc->blocked);
	sigaddset(&sc->blocked, SIGTERM);
	sigaddset(&sc->blocked, SIGINT);
	sigaddset(&sc->blocked, SIGHUP);
	sigaddset(&sc->blocked, SIGCHLD);
	sigprocmask(SIG_BLOCK, &sc->blocked, &sc->old_mask);
}

int fl_scheduler_run(struct fl_schedule *s, bool once)
{
	struct sched sc = { .s = s, .runner = "/proc/self/exe", .runner_argv0 = "faultline" };
	int r, lock_fd = -1;

#ifdef FL_TEST_BUILD
	runner_hook(&sc);
#endif
	r = lock_schedule(&sc, &lock_fd);
	if (r < 0)
		goto out;
	r = read_history(&sc);
	if (r < 0)
		goto out;
	block_signals(&sc);
	sc.observed_since = time(NULL);
	fl_log(LOG_INFO, "scheduler started", "schedule=%s entries=%zu mode=%s pid=%ld", sc.s->name,
	       sc.s->n_entries, once ? "once" : "daemon", (long)getpid());
	r = loop(&sc, once);
	fl_log(LOG_INFO, "scheduler exiting", "schedule=%s", sc.s->name);
out:
	if (lock_fd >= 0)
		close(lock_fd);
	free(sc.settled);
	return r < 0 ? r : 0;
}
