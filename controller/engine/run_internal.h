/* SPDX-License-Identifier: MIT */
/* Shared by run*.c only: one experiment's state while it runs. */
#ifndef FL_RUN_INTERNAL_H
#define FL_RUN_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "agents.h"
#include "hook_run.h"
#include "kube_run.h"
#include "probe_ctx.h"
#include "progress.h"
#include "run.h"
#include "targets.h"
#include "verdict.h"

struct run_fault {
	char name[FL_EXP_NAME_MAX + 1];
	char kind[24];
	char id[48];
	unsigned agent;
	char target[192];
	uint64_t deadline_ms; /* wall clock; 0: a kill (nothing to revert) */
	uint64_t lease_ms;
	uint64_t next_renew_ms;
	bool active;
	json_t *j; /* the journal entry (borrowed from the experiment's "faults") */
};

struct run_exp {
	const struct fl_experiment *exp;
	unsigned index, total;
	struct fl_progress *progress; /* borrowed */
	char owner[96];		      /* the agents' owner field: this run and experiment */
	uint64_t seed;

	struct fl_agents *agents;
	const struct fl_kube_run_opts *kube_opts; /* borrowed */
	struct fl_kube_run *kube;		  /* when the experiment needs Kubernetes */
	struct fl_target_set *sets;		  /* one per exp->targets */
	struct fl_probe_ctx *pctx;
	struct fl_hooks *hooks;
	struct fl_sample *before; /* per steady probe: the before-injection sample */
	/* per steady probe: the instance of the before-check, which the observer thread then
	 * samples during the method (one thread at a time: main, then observer) */
	struct fl_probe **steady_probes;
	struct fl_sample *baselines; /* per method step: an effect check's baseline */
	bool baselines_taken;	     /* before the first fault */

	pthread_mutex_t lock; /* journal, faults, stop flags */
	pthread_cond_t wake;  /* a stop request or the end of the method */
	json_t *j;	      /* the experiment's journal object */
	struct run_fault *faults;
	unsigned n_faults;

	bool stopping;	    /* abort breach or signal: the method ends now */
	char stop_kind[16]; /* "abort" | "signal" */
	bool watchers_stop; /* the keeper and abort threads end */
	bool failed, errored, leftovers;
};

uint64_t fl_run_now_ms(void);

/* run_journal.c: appends under x->lock (callers hold it or are the only thread). */
void fl_run_journal_check(struct run_exp *x, const struct fl_probe_spec *spec, const char *phase,
			  const struct fl_sample *s, const struct fl_verdict *v, uint64_t dur_ms);
void fl_run_journal_sample(struct run_exp *x, const struct fl_probe_spec *spec, const char *phase,
			   const struct fl_sample *s, const struct fl_verdict *v);
/* A sample taken to be looked at, not judged (a steady-state probe observed "during" the
 * method, an effect check's "baseline"): journaled without a verdict. */
void fl_run_journal_observation(struct run_exp *x, const struct fl_probe_spec *spec,
				const char *phase, const struct fl_sample *s);
void fl_run_journal_hook(struct run_exp *x, const char *name, const char *event, int r,
			 const char *message);
void fl_run_set_error(struct run_exp *x, const char *fmt, ...) _printf_(2, 3);
/* "lag.max=12 status=OK" from a sample, for progress lines. */
void fl_run_sample_text(const struct fl_sample *s, char *buf, size_t size);

/* run_faults.c */
/* Inject fault (all its resolved targets); 0 or -errno (journaled, x->errored set). */
int fl_run_fault_inject(struct run_exp *x, const struct fl_fault_spec *fault, bool background);
/* Revert every active fault (this step's only when only_names non-NULL). Caller holds lock. */
void fl_run_faults_revert_locked(struct run_exp *x, const char *only_name, const char *reason);
void fl_run_faults_revert(struct run_exp *x, const char *only_name, const char *reason);
/* Latest deadline among active faults (0 when none). */
uint64_t fl_run_faults_last_deadline(struct run_exp *x);
/* The keeper: renews leases, reverts at deadlines. */
void *fl_run_keeper_main(void *arg);
/* Ask the agents for faults of this run still there; revert and journal them. */
void fl_run_leftovers(struct run_exp *x);

/* run_kube.c: pod-delete through the Kubernetes API — the target resolved again now (with
 * the run's seed), each chosen pod deleted and journaled like a kill. Caller holds x->lock. */
int fl_run_pod_delete(struct run_exp *x, const struct fl_fault_spec *fault,
		      const struct fl_target_sel *sel);
/* A target set for sel: through the agents, or the Kubernetes API for `pods`. */
int fl_run_resolve(struct run_exp *x, const struct fl_target_sel *sel, bool for_delete,
		   struct fl_target_set *ret, struct fl_diag *diag);
/* "agent NAME" or "the Kubernetes API", for progress lines. */
const char *fl_run_target_via(const struct run_exp *x, const struct fl_target *t);

/* run_watch.c: the abort probes' thread (arg: struct run_exp). */
void *fl_run_abort_main(void *arg);
/* run_observe.c: the steady-state probes sampled during the method (arg: struct run_exp);
 * ends when watchers_stop or stopping is set. */
void *fl_run_observe_main(void *arg);
/* Stop the method now: revert everything, wake the main thread. Takes the lock. */
void fl_run_stop(struct run_exp *x, const char *kind, const char *message);

/* Wait until ms (wall clock) or a stop; returns false when stopped. Caller holds no lock. */
bool fl_run_wait_until(struct run_exp *x, uint64_t until_ms);

/* run_exp.c */
/* Run one experiment; fills x->j. */
void fl_run_experiment(struct run_exp *x);

#endif
