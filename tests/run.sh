#!/bin/bash
# Run test tiers and print one closing line for all of them:
#   tests/run.sh unit integration vm fuzz e2e
#   tests/run.sh unit integration e2e+vm+fuzz   (vm then fuzz run beside e2e)
# A tier written A+B+C runs A, and beside it (a second run.sh, at the same time) B then C:
# for tiers that mostly wait (the e2e gameday's pauses) next to tiers that mostly compute.
# The side's output follows A's; its tests count in the closing line like any other.
# Each test binary prints "N passed, N failed, N skipped" as its last line; this script sums
# them. A binary that dies without that line counts as one failure, and so does a test that
# is missing: every tests/<tier>/test_*.c must have its binary in $BUILD/tests/<tier>/, every
# test script must be executable. Under CI=true (or CI=1) nothing may be skipped (the
# binaries turn skips into failures; tier scripts do the same).
# Every test's wall time is printed after it, and at the end a table of each tier's total
# and its slowest tests, so that whoever adds a test sees where the time goes.
# The integration tier's C tests share one Kafka cluster (kafka_up below): each binary that
# uses Kafka (tests/lib/kafkatest.h) adopts it instead of starting and stopping its own;
# likewise one Kubernetes cluster (kube_up below) for all of the tier's tests.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0 skipped=0
failures=()
timings=() # "tier seconds label" per test
tier_names=()
now_s() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

tally() { # $1 = label, $2 = log file, $3 = exit status
	local line p f s
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$2" | tail -1)
	if [ -z "$line" ]; then
		failed=$((failed + 1))
		failures+=("$1 (exit $3, no summary line)")
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped$/\1/p')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	if [ "$f" -gt 0 ] || { [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		[ "$f" -eq 0 ] && failed=$((failed + 1))
		failures+=("$1")
	fi
}

run_bin() { # $1 = label, rest = command
	local label=$1 log rc t0 took
	shift
	log=$(mktemp)
	echo "=== $label"
	t0=$(now_s)
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	took=$(secs "$t0" "$(now_s)")
	echo "--- $label: ${took} s"
	timings+=("${label%%/*} $took $label")
	tally "$label" "$log" "$rc"
	rm -f "$log"
}

is_ci() { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }

# A test that is not there to run is a failure that names it, not a silent skip.
missing() { # $1 = label, $2 = why
	echo "=== $1"
	echo "FAIL $1: $2"
	failed=$((failed + 1))
	failures+=("$1 ($2)")
}

run_c_tests() { # $1 = tier: the binary of every tests/<tier>/test_*.c
	local src t
	for src in tests/"$1"/test_*.c; do
		[ -e "$src" ] || continue
		t=$BUILD/tests/$1/$(basename "$src" .c)
		if [ -x "$t" ]; then
			run_bin "$1/$(basename "$t")" "$t"
		else
			missing "$1/$(basename "$t")" "$t is not built (from $src)"
		fi
	done
}

run_scripts() { # $1 = glob of test scripts
	local t
	for t in $1; do
		[ -e "$t" ] || continue
		if [ -x "$t" ]; then
			run_bin "${t#tests/}" "$t"
		else
			missing "${t#tests/}" "$t is not executable"
		fi
	done
}

# The time table: per tier its wall time and its three slowest tests.
time_table() {
	local i t total=0
	echo
	echo "Time by tier (wall clock):"
	printf '  %-18s %8s  %s\n' TIER SECONDS "SLOWEST TESTS"
	for i in "${!tier_names[@]}"; do
		t=${tier_names[$i]}
		printf '  %-18s %8s  %s\n' "$t" "${tier_secs[$i]}" "$(printf '%s\n' "${timings[@]}" |
			awk -v t="${t%%+*}" '$1 == t { print $2, $3 }' | sort -rn | head -3 |
			awk '{ printf "%s%s %ss", sep, $2, $1; sep = ", " }')"
		total=$(awk -v a="$total" -v b="${tier_secs[$i]}" 'BEGIN { printf "%.1f", a + b }')
	done
	printf '  %-18s %8s\n' total "$total"
}

# ---- the tier's fixtures (one Kafka and one Kubernetes cluster, below) ---------------------
# A fixture's step timed: its "--- integration/NAME: S s" line and its entry in the timings.
fixture_took() { # name t0
	local took
	took=$(secs "$2" "$(now_s)")
	echo "--- integration/$1: $took s"
	timings+=("integration $took integration/$1")
}

# `bash SCRIPT start DIR --owner $$` (its watchdog stops it once this script is gone), its
# stderr shown after it. stderr goes into a file: the servers, whose stdout and stderr the
# script sends to their logs, must not hold a pipe of ours open. The script's exit status;
# when it failed, fixture_error holds the end of its stderr (why).
fixture_start() { # script dir
	local err rc=0
	err=$(mktemp /tmp/fl-tier-err-XXXXXX)
	bash "$1" start "$2" --owner $$ 2>"$err" || rc=$?
	cat "$err"
	fixture_error=$(tail -c 300 "$err")
	rm -f "$err"
	return "$rc"
}

# ---- one Kafka cluster for the integration tier's C tests --------------------------------
# A 3-broker cluster (tests/lib/kafka-cluster.sh, or FL_KAFKA_CLUSTER_SH) started once; the
# tests adopt it from FL_KAFKA_BOOTSTRAP and FL_KAFKA_DIR, leave it whole (kafkatest.h) and
# each binary checks that last. --owner $$: its watchdog stops it once this script is gone,
# even killed with SIGKILL; kafka_down stops it after the tests, failed or not, and the
# traps below on INT, TERM and exit. A start that fails exports FL_KAFKA_START_ERROR, the
# script's message: every Kafka test fails with it under CI and skips with it elsewhere. A
# cluster given in FL_KAFKA_BOOTSTRAP + FL_KAFKA_DIR is used as it is and left running.
KAFKA_SH=${FL_KAFKA_CLUSTER_SH:-tests/lib/kafka-cluster.sh}
kafka_dir=

kafka_up() {
	local t0 rc=0
	if [ -n "${FL_KAFKA_BOOTSTRAP:-}" ] && [ -n "${FL_KAFKA_DIR:-}" ]; then
		echo "=== kafka: the given cluster $FL_KAFKA_DIR at $FL_KAFKA_BOOTSTRAP"
		return
	fi
	kafka_dir=$(mktemp -d /tmp/fl-kafka-tier-XXXXXX)
	echo "=== kafka: one cluster for the tier's Kafka tests, in $kafka_dir"
	t0=$(now_s)
	fixture_start "$KAFKA_SH" "$kafka_dir" || rc=$?
	if [ "$rc" -eq 0 ]; then
		FL_KAFKA_BOOTSTRAP=$(cat "$kafka_dir/bootstrap") FL_KAFKA_DIR=$kafka_dir
		export FL_KAFKA_BOOTSTRAP FL_KAFKA_DIR
	else
		FL_KAFKA_START_ERROR="$KAFKA_SH start $kafka_dir failed (exit $rc): $fixture_error"
		export FL_KAFKA_START_ERROR
		echo "kafka: the tier has no cluster; its Kafka tests $(is_ci && echo fail || echo skip)"
	fi
	fixture_took kafka-cluster-start "$t0"
}

kafka_down() {
	local t0 left
	[ -n "$kafka_dir" ] || return 0
	t0=$(now_s)
	bash "$KAFKA_SH" stop "$kafka_dir" --purge
	# Nothing of it may outlive the tier: its brokers and its watchdog name its directory.
	left=$(pgrep -f -- "$kafka_dir")
	if [ -n "$left" ]; then
		echo "FAIL integration/kafka-cluster: outlived its stop: $(ps -o pid=,args= -p "$(echo $left)")"
		kill -KILL $left 2>/dev/null
		failed=$((failed + 1))
		failures+=("integration/kafka-cluster (processes outlived its stop)")
	fi
	rm -rf "$kafka_dir"
	unset FL_KAFKA_BOOTSTRAP FL_KAFKA_DIR FL_KAFKA_START_ERROR
	kafka_dir=
	fixture_took kafka-cluster-stop "$t0"
}

# ---- one Kubernetes cluster for the integration tier -------------------------------------
# A one-node cluster (tests/lib/kube-cluster.sh: API server, scheduler, kubelet, containerd)
# started once, like Kafka's, for the C tests (KUBETEST_CLUSTER(), tests/lib/kubetest.h) and
# the scripts: FL_KUBE_CLUSTER is its directory; each test works in a Kubernetes namespace
# of its own. A failed start exports FL_KUBE_START_ERROR.
kube_dir=

kube_up() {
	local t0 rc=0
	kube_dir=$(mktemp -d /tmp/fl-kube-tier-XXXXXX)
	echo "=== kubernetes: one cluster for the tier, in $kube_dir"
	t0=$(now_s)
	fixture_start tests/lib/kube-cluster.sh "$kube_dir" || rc=$?
	if [ "$rc" -eq 0 ]; then
		export FL_KUBE_CLUSTER=$kube_dir
	else
		FL_KUBE_START_ERROR="tests/lib/kube-cluster.sh start failed (exit $rc): $fixture_error"
		export FL_KUBE_START_ERROR
		echo "kubernetes: the tier has no cluster; its tests $(is_ci && echo fail || echo skip)"
	fi
	fixture_took kube-cluster-start "$t0"
}

kube_down() {
	local t0 left link
	[ -n "$kube_dir" ] || return 0
	t0=$(now_s)
	link=$(sed -n 's/^FL_KUBE_LINK=//p' "$kube_dir/env" 2>/dev/null)
	bash tests/lib/kube-cluster.sh stop "$kube_dir" --purge
	# Nothing of it may outlive the tier: its processes name its directory; its host link.
	left=$(pgrep -f -- "$kube_dir")
	[ -n "$link" ] && ip link show "$link" >/dev/null 2>&1 || link=
	if [ -n "$left$link" ]; then
		echo "FAIL integration/kube-cluster: outlived its stop:" \
			"${left:+$(ps -o pid=,args= -p "$(echo $left)")}${link:+ host link $link}"
		kill -KILL $left 2>/dev/null
		failed=$((failed + 1))
		failures+=("integration/kube-cluster (outlived its stop)")
	fi
	rm -rf "$kube_dir"
	unset FL_KUBE_CLUSTER FL_KUBE_START_ERROR
	kube_dir=
	fixture_took kube-cluster-stop "$t0"
}
trap 'kafka_down; kube_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- the Kubernetes binaries of the integration tier's API-server tests ------------------
# scripts/k8s-build.sh: nothing to do when cached; ~12 min on a machine that never built
# them (said here, not inside a test's time limit). A build that fails leaves the tests that
# need it to fail under CI (and skip elsewhere) with the script's message.
k8s_binaries() {
	local t0 took
	t0=$(now_s)
	echo "=== kubernetes: the binaries (scripts/k8s-build.sh; cached after the first build)"
	bash scripts/k8s-build.sh || echo "kubernetes: no binaries; the API-server tests" \
		"$(is_ci && echo fail || echo skip)"
	took=$(secs "$t0" "$(now_s)")
	echo "--- integration/k8s-binaries: $took s"
	timings+=("integration $took integration/k8s-binaries")
}

need_root() { # a tier that needs root: fail under CI, skip elsewhere
	if [ "$(id -u)" -ne 0 ]; then
		if is_ci; then
			echo "FAIL $1: needs root, and CI=$CI requires it to run"
			failed=$((failed + 1)); failures+=("$1 (not root)")
		else
			echo "skip $1: needs root"
			skipped=$((skipped + 1))
		fi
		return 1
	fi
}

run_tier() { # tier
	case $1 in
	unit)
		run_c_tests unit
		run_scripts 'tests/unit/*.sh' ;;
	integration)
		need_root integration || return 0
		k8s_binaries
		kube_up
		kafka_up
		run_c_tests integration
		kafka_down
		run_scripts 'tests/integration/*.sh'
		kube_down ;;
	vm)
		need_root vm || return 0
		run_scripts 'tests/vm/test-*.sh' ;;
	fuzz)
		run_bin "fuzz" tests/fuzz/run.sh ;;
	e2e)
		# The main job end to end against the lab: scripts/gameday.sh, and its negative.
		need_root e2e || return 0
		run_scripts 'tests/e2e/test-*.sh' ;;
	*)
		echo "unknown tier $1"; failed=$((failed + 1)); failures+=("unknown tier $1") ;;
	esac
}

tier_secs=()
for arg in "$@"; do
	tier=${arg%%+*} side=""
	[ "$tier" = "$arg" ] || side=${arg#*+}
	echo "##### tier: $tier${side:+ (beside it: ${side//+/, })}"
	tier_t0=$(now_s)
	if [ -n "$side" ]; then
		side_log=$(mktemp)
		# shellcheck disable=SC2086 # the side's tiers are words
		"$0" ${side//+/ } >"$side_log" 2>&1 &
		side_pid=$!
	fi
	run_tier "$tier"
	if [ -n "$side" ]; then
		wait "$side_pid"
		side_rc=$?
		echo "##### tiers run beside $tier: ${side//+/, }"
		cat "$side_log"
		tally "${side//+/,} (beside $tier)" "$side_log" "$side_rc"
		rm -f "$side_log"
	fi
	tier_names+=("$arg")
	tier_secs+=("$(secs "$tier_t0" "$(now_s)")")
done
[ ${#tier_names[@]} -eq 0 ] || time_table

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
