#!/bin/bash
# Run test tiers and print one closing line for all of them:
#   tests/run.sh unit integration vm fuzz e2e
# Each test binary prints "N passed, N failed, N skipped" as its last line; this script sums
# them. A binary that dies without that line counts as one failure. Under CI=true nothing
# may be skipped (the binaries turn skips into failures; tier scripts do the same).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
passed=0 failed=0 skipped=0
failures=()

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
	local label=$1 log rc
	shift
	log=$(mktemp)
	echo "=== $label"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	tally "$label" "$log" "$rc"
	rm -f "$log"
}

need_root() { # a tier that needs root: fail under CI, skip elsewhere
	if [ "$(id -u)" -ne 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL $1: needs root, and CI=true requires it to run"
			failed=$((failed + 1)); failures+=("$1 (not root)")
		else
			echo "skip $1: needs root"
			skipped=$((skipped + 1))
		fi
		return 1
	fi
}

for tier in "$@"; do
	echo "##### tier: $tier"
	case $tier in
	unit)
		for t in "$BUILD"/tests/unit/test_*; do
			[ -x "$t" ] && run_bin "unit/$(basename "$t")" "$t"
		done
		for t in tests/unit/*.sh; do
			[ -x "$t" ] && run_bin "unit/$(basename "$t")" "$t"
		done ;;
	integration)
		need_root integration || continue
		for t in "$BUILD"/tests/integration/test_*; do
			[ -x "$t" ] && run_bin "integration/$(basename "$t")" "$t"
		done
		for t in tests/integration/*.sh; do
			[ -x "$t" ] && run_bin "integration/$(basename "$t")" "$t"
		done ;;
	vm)
		need_root vm || continue
		for t in tests/vm/test-*.sh; do
			[ -x "$t" ] && run_bin "vm/$(basename "$t")" "$t"
		done ;;
	fuzz)
		run_bin "fuzz" tests/fuzz/run.sh ;;
	e2e)
		# The main job end to end against the lab (≈ 9 min): scripts/gameday.sh.
		need_root e2e || continue
		for t in tests/e2e/test-*.sh; do
			[ -x "$t" ] && run_bin "e2e/$(basename "$t")" "$t"
		done ;;
	*)
		echo "unknown tier $tier"; failed=$((failed + 1)) ;;
	esac
done

echo
if [ ${#failures[@]} -gt 0 ]; then
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
