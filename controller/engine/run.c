/* SPDX-License-Identifier: MIT */
/* The suite loop, signals and the journal's frame (run.h). */
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "exitcode.h"
#include "fl/version.h"
#include "run_internal.h"

struct run {
	pthread_mutex_t lock;
	struct run_exp *cur; /* the experiment running, for the signal thread */
	atomic_int signalled;
	pthread_t sigthread;
};

static void *signal_main(void *arg)
{
	struct run *run = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	for (;;) {
		if (sigwait(&set, &sig) != 0 || sig == SIGUSR1)
			return NULL;
		atomic_store(&run->signalled, sig);
		pthread_mutex_lock(&run->lock);
		if (run->cur)
			fl_run_stop(run->cur, "signal",
				    sig == SIGINT ? "SIGINT received" : "SIGTERM received");
		pthread_mutex_unlock(&run->lock);
	}
}

static void run_id(char *buf, size_t size)
{
	time_t now = time(NULL);
	unsigned short rnd = 0;
	struct tm tm;

	gmtime_r(&now, &tm);
	if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
		rnd = (unsigned short)getpid();
	(void)snprintf(buf, size, "%04d%02d%02dT%02d%02d%02dZ-%04x", tm.tm_year + 1900,
		       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rnd);
}

static uint64_t pick_seed(const struct fl_run_opts *opts)
{
	uint64_t seed;

	if (opts->has_seed)
		return opts->seed;
	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	/* Keep it short enough to type back in with --seed. */
	return seed % 1000000000ull;
}

static int exit_code(json_t *exps)
{
	bool dev = false, err = false, abort = false, left = false;
	size_t i;
	json_t *e;

	json_array_foreach(exps, i, e)
	{
		const char *o = json_string_value(json_object_get(e, "outcome"));
		dev |= strcmp(o, "deviated") == 0;
		err |= strcmp(o, "error") == 0;
		abort |= strcmp(o, "aborted") == 0;
		left |= json_array_size(json_object_get(e, "leftovers")) > 0;
	}
	/* The worst wins: something left behind is worse than anything the run measured. */
	return left    ? FL_EXIT_LEFTOVERS
	       : abort ? FL_EXIT_ABORTED
	       : dev   ? FL_EXIT_DEVIATED
	       : err   ? FL_EXIT_ERROR
		       : FL_EXIT_OK;
}

static const char *outcome_name(int code)
{
	static const char *const names[] = { "passed", "deviated", "error", "aborted",
					     "leftovers" };
	return code >= 0 && code <= 4 ? names[code] : "error";
}

/*
 * The journal's frame: the run (id, host, files, suite, seed, start) and an empty
 * experiments array, both also returned borrowed in *ret_jrun and *ret_exps. Returns new
 * (json_decref), NULL when out of memory.
 */
static json_t *journal_new(struct fl_suite *const *suites, unsigned n_suites,
			   const struct fl_run_opts *opts, const char *id, uint64_t seed,
			   json_t **ret_jrun, json_t **ret_exps)
{
	json_t *journal, *files, *exps, *jrun;
	char host[256] = "";

	(void)gethostname(host, sizeof(host) - 1);
	files = json_array();
	for (unsigned i = 0; i < opts->n_files; i++)
		json_array_append_new(files, json_string(opts->files[i]));
	jrun = json_pack("{s:s, s:s, s:o, s:s, s:I, s:I}", "id", id, "host", host, "files", files,
			 "suite", n_suites ? suites[0]->name : "", "seed", (json_int_t)seed,
			 "startedMs", (json_int_t)fl_run_now_ms());
	exps = json_array();
	journal =
		json_pack("{s:i, s:s, s:s, s:o, s:o}", "journalVersion", 1, "faultline", FL_VERSION,
			  "librdkafka", rd_kafka_version_str(), "run", jrun, "experiments", exps);
	if (!journal)
		return NULL;
	*ret_jrun = jrun;
	*ret_exps = exps;
	return journal;
}

/* Signals go to one thread, which reverts; every other thread (librdkafka's too,
 * created later) inherits the blocked mask. The mask before goes to *old. */
static void signals_start(struct run *run, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, old);
	pthread_create(&run->sigthread, NULL, signal_main, run);
}

/* SIGUSR1 ends the signal thread; then the mask is the caller's again. */
static void signals_stop(struct run *run, const sigset_t *old)
{
	pthread_kill(run->sigthread, SIGUSR1);
	pthread_join(run->sigthread, NULL);
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* x's entry of the journal's experiments before it runs. Returns new, NULL when out of
 * memory. */
static json_t *exp_entry_new(const struct run_exp *x)
{
	const struct fl_experiment *exp = x->exp;
	json_t *je;

	je = json_pack("{s:s, s:s, s:I, s:s, s:[], s:[], s:[], s:[], s:[], s:[]}", "name",
		       exp->name, "file", exp->pos.file ? exp->pos.file : "", "seed",
		       (json_int_t)x->seed, "owner", x->owner, "targets", "checks", "faults",
		       "samples", "hooks", "leftovers");
	if (!je)
		return NULL;
	if (exp->description)
		json_object_set_new(je, "description", json_string(exp->description));
	json_object_set_new(je, "observeIntervalMs",
			    json_integer((json_int_t)(exp->observe_interval_ns / 1000000)));
	return je;
}

/* Run x as the run's current experiment, the one the signal thread stops; a signal that
 * came before it starts stops it at once. */
static void run_current(struct run *run, struct run_exp *x)
{
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->wake, NULL);
	pthread_mutex_lock(&run->lock);
	run->cur = x;
	if (atomic_load(&run->signalled))
		x->stopping = true;
	pthread_mutex_unlock(&run->lock);
	fl_run_experiment(x);
	pthread_mutex_lock(&run->lock);
	run->cur = NULL;
	pthread_mutex_unlock(&run->lock);
	pthread_cond_destroy(&x->wake);
	pthread_mutex_destroy(&x->lock);
}

/* The run's exit code (the worst experiment's; aborted at least when a signal came) and its
 * end into the journal's run. */
static int run_finish(struct run *run, json_t *jrun, json_t *exps)
{
	int code = exit_code(exps);

	if (atomic_load(&run->signalled) && code < FL_EXIT_ABORTED)
		code = FL_EXIT_ABORTED;
	json_object_set_new(jrun, "finishedMs", json_integer((json_int_t)fl_run_now_ms()));
	json_object_set_new(jrun, "outcome", json_string(outcome_name(code)));
	json_object_set_new(jrun, "exitCode", json_integer(code));
	return code;
}

int fl_run_suites(struct fl_suite *const *suites, unsigned n_suites, const struct fl_run_opts *opts,
		  json_t **ret_journal)
{
	struct run run = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct fl_progress *progress;
	json_t *journal, *exps = NULL, *jrun = NULL;
	unsigned total = 0, index = 0;
	uint64_t seed = pick_seed(opts);
	char id[48];
	sigset_t old;
	int code;

	for (unsigned s = 0; s < n_suites; s++)
		total += suites[s]->n_experiments;
	run_id(id, sizeof(id));
	journal = journal_new(suites, n_suites, opts, id, seed, &jrun, &exps);
	if (!journal)
		return FL_EXIT_ERROR;

	signals_start(&run, &old);
	progress = fl_progress_new(stderr, opts->force_tty || isatty(STDERR_FILENO), opts->quiet);
	fl_progress_event(progress, "run %s: %u experiment%s, seed %llu", id, total,
			  total == 1 ? "" : "s", (unsigned long long)seed);

	for (unsigned s = 0; s < n_suites; s++) {
		for (unsigned e = 0; e < suites[s]->n_experiments; e++) {
			const struct fl_experiment *exp = &suites[s]->experiments[e];
			struct run_exp x = {
				.exp = exp, .index = ++index, .total = total, .progress = progress
			};
			json_t *je;

			if (atomic_load(&run.signalled))
				break;
			x.seed = exp->has_seed && !opts->has_seed ? exp->seed : seed;
			x.kube_opts = &opts->kube;
			(void)snprintf(x.owner, sizeof(x.owner), "faultline/%s/%s", id, exp->name);
			je = exp_entry_new(&x);
			if (!je)
				break;
			json_array_append_new(exps, je);
			x.j = je;
			run_current(&run, &x);
			/* A deviation or an error is a finding: the next experiment runs. A
			 * fault left behind is not: nothing more is injected on top of it. */
			if (exit_code(exps) == FL_EXIT_LEFTOVERS && index < total) {
				fl_progress_event(progress,
						  "stopping the run: %s left faults behind",
						  exp->name);
				s = n_suites;
				break;
			}
		}
	}

	code = run_finish(&run, jrun, exps);
	fl_progress_free(progress);
	signals_stop(&run, &old);
	*ret_journal = journal;
	return code;
}
