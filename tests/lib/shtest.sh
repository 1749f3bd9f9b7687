# shellcheck shell=bash
# Shell tests' harness (sourced): ok / fail / expect, and the closing line the tier counts.
#   expect NAME EXIT-CODE TEXT COMMAND...   runs COMMAND; passes when it exits EXIT-CODE and
#                                           its output contains TEXT; the output is in $LAST
passed=0 failed=0
LAST=
# CI=true and CI=1 both mean CI: there a test whose component cannot run fails, never skips.
is_ci() { [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; }
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; shift; printf '    %s\n' "$@"; failed=$((failed + 1)); }
expect() {
	local name=$1 code=$2 text=$3 rc
	shift 3
	LAST=$("$@" 2>&1); rc=$?
	if [ "$rc" -ne "$code" ]; then fail "$name" "exit $rc, expected $code" "$LAST"
	elif [[ "$LAST" != *"$text"* ]]; then fail "$name" "output lacks: $text" "$LAST"
	else ok "$name"; fi
}
# The closing line and the exit status.
summary() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
