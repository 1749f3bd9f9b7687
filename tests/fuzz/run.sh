#!/bin/bash
# Run every libFuzzer target for a bounded time (FUZZ_SECONDS each, default 30), seeded
# from the golden data. A crash, leak, property violation or one input running over 10 s
# fails the run; the input is kept in build/fuzz/artifacts/. Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
SECONDS_EACH=${FUZZ_SECONDS:-30}
passed=0 failed=0

TARGETS="fuzz_netem_decode fuzz_tc_args fuzz_agent_api fuzz_cri_pb fuzz_experiment fuzz_ere fuzz_kube fuzz_labelsel"
# shellcheck disable=SC2086 # a word list
make -s $(for t in $TARGETS; do echo "$BUILD/fuzz/$t"; done) || {
	echo "FAIL fuzz: could not build the fuzz targets (clang with libFuzzer needed)"
	echo "0 passed, 1 failed"
	exit 1
}
mkdir -p "$BUILD/fuzz/artifacts"

seed_corpus() { # $1 = target, $2 = corpus dir
	mkdir -p "$2"
	case $1 in
	fuzz_netem_decode)
		for f in tests/data/netem-golden/*.opts.hex tests/data/tc-golden/*.opts.hex; do
			[ -f "$f" ] || continue
			xxd -r -p "$f" > "$2/$(basename "$f" .opts.hex)" 2>/dev/null ||
				python3 -c 'import sys;sys.stdout.buffer.write(bytes.fromhex(open(sys.argv[1]).read()))' "$f" > "$2/$(basename "$f" .opts.hex)"
		done
		# Inputs that once failed stay in the corpus for good.
		cp tests/data/fuzz-regressions/decode-* "$2/" 2>/dev/null || true ;;
	fuzz_kube)
		cp tests/data/kube/*.json tests/data/kube/*.jsonl "$2/" ;; # lists, watch streams
	fuzz_agent_api)
		cp tests/data/agent-api/valid/*.json tests/data/agent-api/invalid/*.json "$2/" 2>/dev/null || true
		# query strings too (the same bytes go to the query parser)
		printf 'tcp=1' > "$2/query-tcp"
		printf '%%74cp=%%31&x=a+b&&' > "$2/query-escapes"
		printf 'tcp=1&tcp=0&y=%%zz' > "$2/query-bad" ;;
	fuzz_experiment)
		# Every fixture, and inputs that once failed (kept for good).
		for f in tests/data/experiments/*/*/input.yaml; do
			cp "$f" "$2/$(basename "$(dirname "$f")")-$(basename "$(dirname "$(dirname "$f")")").yaml"
		done
		cp tests/data/fuzz-regressions/experiment-* "$2/" 2>/dev/null || true ;;
	fuzz_ere)
		# The regexes of the fixtures, and patterns that once ran away (kept for good).
		grep -rhoE '(topicRegex|regex): "[^"]*"' tests/data/experiments experiments |
			sed -E 's/^[a-zA-Z]+: "(.*)"$/\1/' | sort -u | split -l 1 - "$2/fixture-"
		for f in "$2"/fixture-*; do truncate -s -1 "$f"; done # no newline
		cp tests/data/fuzz-regressions/ere-* "$2/" 2>/dev/null || true ;;
	fuzz_labelsel)
		# Selectors of the kinds experiments write (labelsel.h), good and bad.
		local i=0 s
		for s in 'app=loader,tier!=db' 'env in (a,b),!canary' 'x notin (abc,,def),bar,z in (),w' \
			'example.com/MyName=v,x>1,y<07' 'status.phase=Running,spec.nodeName!=n\,1' \
			'in in (in)' 'x=a||y=b' 'a in (xyz),' '!x=a'; do
			printf '%s' "$s" > "$2/sel-$i"
			i=$((i + 1))
		done ;;
	fuzz_tc_args)
		[ -f tests/data/netem-golden/cases.txt ] &&
			grep -v '^#' tests/data/netem-golden/cases.txt | cut -f2 | split -l 1 - "$2/case-" ;;
	esac
}

for target in $TARGETS; do
	corpus=$(mktemp -d)
	seed_corpus "$target" "$corpus"
	budget=$SECONDS_EACH
	# A small grammar: 20 s is ~600,000 inputs (~30,000/s under ASan on the 2-core CI box)
	[ "$target" = fuzz_labelsel ] && [ "$budget" -gt 20 ] && budget=20
	echo "=== $target for ${budget}s ($(ls "$corpus" | wc -l) seeds)"
	if "$BUILD/fuzz/$target" -max_total_time="$budget" -max_len=20000 -timeout=10 \
		-artifact_prefix="$BUILD/fuzz/artifacts/$target-" -print_final_stats=1 \
		"$corpus" > "$BUILD/fuzz/$target.log" 2>&1; then
		echo "ok   $target: $(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$BUILD/fuzz/$target.log" | grep -Eo '[0-9]+$') inputs, no crash"
		passed=$((passed + 1))
	else
		echo "FAIL $target (see $BUILD/fuzz/$target.log)"
		tail -30 "$BUILD/fuzz/$target.log"
		failed=$((failed + 1))
	fi
	rm -rf "$corpus"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
