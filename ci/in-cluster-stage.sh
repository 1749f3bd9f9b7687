#!/bin/sh
# The CI resilience stage inside the cluster: `faultline run` as the Job of ci/kubernetes/
# (the faultline-controller ServiceAccount, the experiments of the faultline-experiments
# ConfigMap, the image deploy/kustomization.yaml names), waited for, its JUnit copied out,
# its verdict as this script's exit code. Needs deploy/ installed (`kubectl apply -k
# deploy/`) and kubectl with rights to create Jobs and read pods and logs in the namespace.
#
#   ci/in-cluster-stage.sh [REPORT_DIR]
#
# REPORT_DIR (default reports/) gets junit.xml and log.txt (the pod's log: the summary,
# then the JUnit, which the Job prints with `--junit -` — a finished pod's emptyDir cannot
# be copied out), also when the run fails. The exit code is faultline run's, read from the
# pod: 0 passed, 1 deviated, 2 error, 3 aborted, 4 leftovers; 2 also when the Job failed
# without a run (image not pulled, deadline, the pod never started).
# KUBECTL (default kubectl), FL_NAMESPACE (default faultline: deploy/kustomization.yaml's),
# FL_TIMEOUT seconds (default 3900: the Job's activeDeadlineSeconds and some); then the Job is
# deleted (its pod's SIGTERM makes faultline revert every fault) and the exit code is 3.
# FL_POLL: seconds between two looks at the Job (default 5).
set -u
KUBECTL=${KUBECTL:-kubectl}
ns=${FL_NAMESPACE:-faultline}
timeout=${FL_TIMEOUT:-3900}
poll=${FL_POLL:-5}
job=faultline-resilience
dir=${1:-reports}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir" || exit 2
k() { $KUBECTL -n "$ns" "$@"; }

# A Job runs once: the previous run's goes first (pipelines sharing a cluster take turns:
# GitLab resource_group, GitHub concurrency).
k delete job "$job" --ignore-not-found --wait=true >&2 || exit 2
$KUBECTL apply -k "$here/kubernetes" -l app.kubernetes.io/component=resilience-ci >&2 || exit 2

# Complete or Failed, whichever comes first (kubectl wait takes one condition).
state='' waited=0
while [ "$waited" -lt "$timeout" ]; do
	state=$(k get job "$job" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{" "}{end}') ||
		exit 2
	case " $state " in
	*" Complete "* | *" Failed "*) break ;;
	esac
	sleep "$poll"
	waited=$((waited + poll))
done

# By label, not job/NAME: that form waits 20 s for a pod that may never have existed.
k logs -l "batch.kubernetes.io/job-name=$job" -c faultline --tail=-1 >"$dir/log.txt" 2>&1
sed -n '/^<?xml/,/^<\/testsuites>/p' "$dir/log.txt" >"$dir/junit.xml"
[ -s "$dir/junit.xml" ] || { echo "resilience stage: no JUnit in the Job's log" >&2; rm -f "$dir/junit.xml"; }
sed '/^<?xml/,$d' "$dir/log.txt"

rc=$(k get pods -l "batch.kubernetes.io/job-name=$job" \
	-o jsonpath='{.items[0].status.containerStatuses[?(@.name=="faultline")].state.terminated.exitCode}' \
	2>/dev/null)
case " $state " in
*" Complete "*) rc=0 ;;
*" Failed "*) case $rc in [1-9] | [1-9][0-9] | [1-9][0-9][0-9]) ;; *) rc=2 ;; esac ;;
*)
	echo "resilience stage: the Job did not finish in $timeout s: deleted" >&2
	k delete job "$job" --ignore-not-found --wait=false >&2
	rc=3
	;;
esac
case $rc in
0) echo "resilience stage: passed — the steady-state hypothesis held through every fault" ;;
1) echo "resilience stage: DEVIATED — a hypothesis did not hold (see the JUnit failures)" ;;
2) echo "resilience stage: ERROR — the suite could not run (agents, probes, faults, the Job: $state)" ;;
3) echo "resilience stage: ABORTED — an abort condition fired, or the Job did not finish" ;;
4) echo "resilience stage: LEFTOVERS — a fault was still on an agent after the run" ;;
*) echo "resilience stage: faultline run exited $rc" ;;
esac
exit "$rc"
