#!/bin/bash
# Cross-check: the golden bytes in tests/data are still what this machine's iproute2 `tc`
# sends. Re-records every case into a scratch tree and compares (needs root and strace).
set -uo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
for set in netem-golden tc-golden; do
	mkdir -p "$tmp/$set"
	cp "tests/data/$set/cases.txt" "$tmp/$set/"
done
if ! FL_GOLDEN_DATA=$tmp scripts/record-tc-golden.sh > "$tmp/record.log" 2>&1; then
	echo "FAIL recording from tc"; tail -20 "$tmp/record.log"
	echo "0 passed, 1 failed"; exit 1
fi
for set in netem-golden tc-golden; do
	for f in tests/data/$set/*.opts.hex; do
		name=$(basename "$f")
		if cmp -s "$f" "$tmp/$set/$name"; then
			passed=$((passed + 1))
		else
			echo "FAIL $set/$name: tc $(tc -V | sed 's/.*iproute2-//;s/,.*//') now sends other bytes"
			diff "$f" "$tmp/$set/$name" | head -6 | sed 's/^/    /'
			failed=$((failed + 1))
		fi
	done
done
echo "ok   $passed golden TCA_OPTIONS payloads re-recorded from the live tc and unchanged"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
