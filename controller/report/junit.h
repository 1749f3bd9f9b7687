/* SPDX-License-Identifier: MIT */
/*
 * The JUnit XML report of a run, built from its journal (docs/journal.md, docs/reports.md).
 *
 * One <testsuite> per experiment; one <testcase> per check (probe x phase) and per fault
 * inject / revert, plus "abort", "leftovers" and "experiment" test cases when the
 * experiment was aborted, left faults behind, or failed with an error no test case shows.
 * Valid against the Jenkins xUnit junit-10.xsd (tests/data/junit-10.xsd) and read by
 * GitLab and the GitHub JUnit report actions.
 *
 * A library: never logs. The journal is borrowed and only read.
 */
#ifndef FL_JUNIT_H
#define FL_JUNIT_H

#include <jansson.h>
#include <stdio.h>

#include "fl/diag.h"

/*
 * Write the report to out (borrowed: not closed; flushed). The journal is checked first
 * (fl_journal_check). Returns 0, or -EINVAL (journal not valid, diag says where), -ENOMEM,
 * -EIO (writing failed; diag says so).
 */
int fl_junit_write(const json_t *journal, FILE *out, struct fl_diag *diag) _wur_;

#endif
