#!/bin/sh
# The CI resilience stage: validate a suite, run it, keep every report, and say what the
# exit code means. Used by the GitLab and GitHub templates beside this file.
#
#   ci/resilience-stage.sh SUITE [REPORT_DIR] [-- faultline run flags...]
#
# REPORT_DIR (default reports/) gets junit.xml, journal.json, report.html and summary.txt —
# also when the run fails, so the CI system can show the test report. The exit code is
# faultline run's: 0 passed, 1 deviated, 2 error, 3 aborted, 4 leftovers.
# FAULTLINE: the faultline binary (default: faultline on PATH).
set -u
FAULTLINE=${FAULTLINE:-faultline}
[ $# -ge 1 ] || { echo "usage: $0 SUITE [REPORT_DIR] [-- faultline run flags...]" >&2; exit 64; }
suite=$1
shift
dir=reports
if [ $# -ge 1 ] && [ "$1" != "--" ]; then
	dir=$1
	shift
fi
[ "${1:-}" = "--" ] && shift
mkdir -p "$dir" || exit 2
"$FAULTLINE" validate "$suite" || exit 2
"$FAULTLINE" run "$suite" --junit "$dir/junit.xml" --journal "$dir/journal.json" \
	--report "$dir/report.html" "$@" >"$dir/summary.txt"
rc=$?
cat "$dir/summary.txt"
case $rc in
0) echo "resilience stage: passed — the steady-state hypothesis held through every fault" ;;
1) echo "resilience stage: DEVIATED — a hypothesis did not hold (see the JUnit failures)" ;;
2) echo "resilience stage: ERROR — the suite could not run (agents, probes, faults)" ;;
3) echo "resilience stage: ABORTED — an abort condition fired or the job was cancelled" ;;
4) echo "resilience stage: LEFTOVERS — a fault was still on an agent after the run" ;;
*) echo "resilience stage: faultline run exited $rc" ;;
esac
exit $rc
