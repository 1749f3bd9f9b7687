/* SPDX-License-Identifier: MIT */
/*
 * Running a suite: for each experiment, the state machine
 *   steady state before → method (faults through the agents with leases kept alive,
 *   pauses, probes, hook calls; abort probes watched continuously: on a breach every fault
 *   is reverted at once) → revert → steady state after → rollbacks (always) → leftovers
 * SIGINT/SIGTERM: every fault is reverted, rollbacks run, the run ends as aborted.
 * The whole run is recorded in a journal (docs/journal.md) from which every report is made.
 */
#ifndef FL_RUN_H
#define FL_RUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "experiment.h"
#include "kube_run.h"

struct fl_run_opts {
	const char *const *files; /* the files given, for the journal */
	unsigned n_files;
	bool has_seed; /* --seed overrides every experiment's seed */
	uint64_t seed;
	bool quiet;		      /* no progress output */
	bool force_tty;		      /* draw the status line even when stderr is not a terminal */
	struct fl_kube_run_opts kube; /* for experiments that need Kubernetes */
};

/*
 * Run every experiment of the suites in order. Returns the exit code (cli.h: 0 passed,
 * 1 deviated, 2 error, 3 aborted, 4 leftovers) and the journal in *ret_journal (new).
 */
int fl_run_suites(struct fl_suite *const *suites, unsigned n_suites, const struct fl_run_opts *opts,
		  json_t **ret_journal);

#endif
