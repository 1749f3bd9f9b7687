#!/bin/bash
# `faultline validate` as a user meets it: one line per file, FILE:LINE:COL: MESSAGE on
# stderr, exit 0 (all valid), 2 (any invalid), 64 (usage).
set -uo pipefail
cd "$(dirname "$0")/../.."
FL=${BUILD:-build}/faultline
FLABS=$(realpath "$FL")
D=tests/data/experiments
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

expect "help" 0 "Usage: faultline validate" "$FL" validate --help
expect "top-level help lists validate" 0 "validate FILE" "$FL" --help
expect "no file is a usage error" 64 "no FILE given" "$FL" validate
expect "unknown option is a usage error" 64 'unknown option "--frobnicate"' \
	"$FL" validate --frobnicate $D/valid/minimal/input.yaml
expect "valid experiment" 0 "$D/valid/minimal/input.yaml: ok (suite minimal: 1 experiment)" \
	"$FL" validate $D/valid/minimal/input.yaml
expect "valid suite counts its experiments" 0 "ok (suite gameday: 3 experiments)" \
	"$FL" validate $D/valid/suite-includes/input.yaml
expect "invalid file: position and message" 2 \
	"$D/invalid/duration-words/input.yaml:10:57: spec.method[2].fault.duration: \"5 minutes\" is not a duration (expected e.g. 500ms, 30s, 2m)" \
	"$FL" validate $D/invalid/duration-words/input.yaml
expect "an error in an included file names that file" 2 \
	"$D/invalid/suite-error-in-included/child.yaml:6:14: spec.method[0].pause" \
	"$FL" validate $D/invalid/suite-error-in-included/input.yaml
expect "missing file" 2 "nope.yaml: cannot read: No such file or directory" "$FL" validate nope.yaml
expect "one invalid among valid ones fails the run" 2 "ok (suite minimal" \
	"$FL" validate $D/valid/minimal/input.yaml $D/invalid/alias/input.yaml $D/valid/hooks/input.yaml

# --quiet prints nothing for valid files; errors go to stderr only.
out=$("$FL" validate --quiet $D/valid/minimal/input.yaml $D/valid/kills/input.yaml 2>&1); rc=$?
if [ "$rc" -eq 0 ] && [ -z "$out" ]; then ok "--quiet is quiet"; else fail "--quiet is quiet" "exit $rc" "$out"; fi
out=$("$FL" validate $D/invalid/alias/input.yaml 2>/dev/null); rc=$?
if [ "$rc" -eq 2 ] && [ -z "$out" ]; then ok "errors go to stderr"; else fail "errors go to stderr" "exit $rc" "$out"; fi

# Every fixture: valid ones exit 0, invalid ones exit 2 with their expected line.
bad=0 n=0
for f in $D/valid/*/input.yaml experiments/*.yaml experiments/*/*.yaml; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	"$FL" validate --quiet "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); echo "    rejected: $f"; }
done
if [ "$bad" -eq 0 ]; then ok "all $n valid fixtures and examples exit 0"; else fail "valid files" "$bad rejected"; fi
bad=0 n=0
for d in $D/invalid/*/; do
	n=$((n + 1))
	got=$(cd "$d" && "$FLABS" validate input.yaml 2>&1); rc=$?
	if [ "$rc" -ne 2 ] || [ "$got" != "$(cat "$d/expected")" ]; then
		bad=$((bad + 1)); echo "    $d: exit $rc: $got"
	fi
done
if [ "$bad" -eq 0 ]; then ok "all $n invalid fixtures exit 2 with their expected line"; else fail "invalid fixtures" "$bad differ"; fi
summary
