#!/bin/bash
# Flakiness hunt: run a test tier N times, optionally under load, and list every test that
# failed in any run, with how often.
#
#   scripts/test-loop.sh TIER N [--hog] [--logs DIR]
#
# TIER        what tests/run.sh takes: unit, integration, vm, fuzz, e2e, or A+B
# N           how many runs
# --hog       run them beside scripts/cpu-hog.sh --cores 1: one core kept busy at normal
#             priority (issue 10: green under load), ended with us
# --logs DIR  keep each run's output as DIR/run-K.log (default: a temporary directory,
#             removed unless something failed)
#
# A failure is a "FAIL name" line of a test binary or script (shown as "tier/binary: name"),
# or a binary that ended without its summary line. Exit status: 0 nothing failed, 1 something
# did, 2 usage.
set -uo pipefail
cd "$(dirname "$0")/.."

usage() {
	sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}
[ $# -ge 2 ] || usage
tier=$1 runs=$2
shift 2
hog=0 logs=""
while [ $# -gt 0 ]; do
	case $1 in
	--hog) hog=1; shift ;;
	--logs) logs=${2:-}; [ -n "$logs" ] || usage; shift 2 ;;
	*) echo "test-loop: unknown argument $1" >&2; usage ;;
	esac
done
for t in ${tier//+/ }; do
	case $t in unit | integration | vm | fuzz | e2e) ;; *) echo "test-loop: TIER $tier: expected unit, integration, vm, fuzz or e2e (or A+B, as tests/run.sh takes)" >&2; exit 2 ;; esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "test-loop: N $runs: expected a count >= 1" >&2; exit 2; }

keep=1
if [ -z "$logs" ]; then
	logs=$(mktemp -d /tmp/fl-test-loop-XXXXXX)
	keep=0
fi
mkdir -p "$logs"
hog_pid=""
cleanup() {
	if [ -n "$hog_pid" ]; then kill "$hog_pid" 2>/dev/null; wait "$hog_pid" 2>/dev/null; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ $hog = 1 ]; then
	scripts/cpu-hog.sh --cores 1 --timeout 0 &
	hog_pid=$!
fi

# The failures of one run's log, one per line, each once; a temporary directory in a name
# (/tmp/tmp.XXXX/..., /tmp/fl-lab-XXXX/...) is shown as /tmp/* so that runs add up.
failures_of() { # log
	awk '
		/^=== / { label = $2; next }
		/^FAIL / {
			name = substr($0, 6); sub(/ \([0-9.]+ ms\)$/, "", name)
			gsub(/\/tmp\/[^\/ ]+/, "/tmp/*", name)
			print label ": " name; next
		}
		/^Failed:$/ { tail = 1; next }
		tail && /^  .*no summary line\)$/ { sub(/^  /, ""); print }
	' "$1" | sort -u
}

declare -A count=()
total_failed_runs=0
start=$SECONDS
for ((k = 1; k <= runs; k++)); do
	t0=$SECONDS
	tests/run.sh "$tier" >"$logs/run-$k.log" 2>&1
	rc=$?
	n=0
	while IFS= read -r f; do
		[ -n "$f" ] || continue
		count[$f]=$((${count[$f]:-0} + 1))
		n=$((n + 1))
	done < <(failures_of "$logs/run-$k.log")
	[ "$rc" = 0 ] || total_failed_runs=$((total_failed_runs + 1))
	echo "test-loop: run $k/$runs of $tier$([ $hog = 1 ] && echo " (under cpu-hog)"): exit $rc," \
		"$n failure(s), $((SECONDS - t0)) s; $(tail -1 "$logs/run-$k.log")"
done

echo
echo "test-loop: $runs run(s) of tier $tier in $((SECONDS - start)) s, $total_failed_runs failed"
if [ ${#count[@]} -eq 0 ]; then
	echo "test-loop: no test failed"
	[ $keep = 1 ] || rm -rf "$logs"
	exit 0
fi
echo "test-loop: failed tests (runs failed / runs), logs in $logs:"
for f in "${!count[@]}"; do printf '%6s  %s\n' "${count[$f]}/$runs" "$f"; done | sort -t/ -k1,1nr
exit 1
