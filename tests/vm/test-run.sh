#!/bin/bash
# VM tier: `faultline run` end to end on Debian's stock kernel (which has sch_netem): an
# experiment with a kind: network fault through the agent, measured on the wire from the
# other side (tests/vm/vm_run.c, in the guest); the runs' JUnit comes out of the VM (vm.sh
# --out) and is validated here against junit-10.xsd, and its verdicts read with XPath.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. tests/lib/shtest.sh
make -s "$BUILD/tests/vm/vm_run" "$BUILD/faultline" "$BUILD/faultline-agent" || exit 1
command -v xmllint >/dev/null || { echo "xmllint is missing (make deps: libxml2-utils)"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/fl-vmrun.XXXXXX")
trap 'rm -rf "$T"' EXIT
tests/vm/vm.sh --timeout 600 --out "$T/out" --bin "$BUILD/tests/vm/vm_run" \
	--bin "$BUILD/faultline" --bin "$BUILD/faultline-agent" -- /bin/vm_run "$@" | tee "$T/console"
rc=${PIPESTATUS[0]}

# The guest's own tally (vm_run's closing line) joins this script's checks below.
guest=$(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$T/console" | tail -1)
if [ -z "$guest" ]; then
	fail "vm_run in the guest" "no closing line (vm.sh exit $rc)"
	guest="0 passed, 0 failed, 0 skipped"
fi
read -r g_pass _ g_fail _ g_skip _ <<<"${guest//,/}"

xpath() { xmllint --xpath "$1" "$2" 2>/dev/null; } # $1 = expression, $2 = file
junit_checks() { # $1 = tag, $2 = failures expected, $3 = verdict of "web-slow [during]"
	local f=$T/out/$1.junit.xml
	[ -f "$f" ] || { fail "$1: JUnit" "not brought out of the VM"; return; }
	expect "$1: JUnit valid against junit-10.xsd" 0 "validates" \
		xmllint --noout --schema tests/data/junit-10.xsd "$f"
	if [ "$(xpath 'string(/testsuites/testsuite/@failures)' "$f")" = "$2" ] &&
		[ "$(xpath 'string(/testsuites/testsuite/@errors)' "$f")" = 0 ]; then
		ok "$1: JUnit has $2 failure(s), 0 errors"
	else
		fail "$1: JUnit failures/errors" "$(xpath '/testsuites/testsuite' "$f" | head -c 600)"
	fi
	local during='/testsuites/testsuite/testcase[@name="web-slow [during]"]'
	local got=pass
	[ -n "$(xpath "$during/failure" "$f")" ] && got=fail
	[ -n "$(xpath "$during" "$f")" ] || got=missing
	if [ "$got" = "$3" ]; then ok "$1: JUnit web-slow [during] is $3"; else
		fail "$1: JUnit web-slow [during]" "is $got, expected $3"; fi
	if [ -n "$(xpath '//testcase[starts-with(@name, "inject slow-web on ")][not(error)]' "$f")" ] &&
		[ -n "$(xpath '//testcase[starts-with(@name, "revert slow-web on ")][not(error)][not(skipped)]' "$f")" ] &&
		[ -z "$(xpath '//testcase[@name="leftovers"]' "$f")" ]; then
		ok "$1: JUnit shows the fault injected and reverted, no leftovers"
	else
		fail "$1: JUnit inject/revert/leftovers" "$(grep -o '<testcase name="[^"]*"' "$f")"
	fi
}
junit_checks netem-pass 0 pass
junit_checks netem-miss 1 fail

passed=$((passed + g_pass)) failed=$((failed + g_fail))
[ "$rc" = 0 ] || [ "$g_fail" != 0 ] || fail "vm.sh" "exit $rc with no failed test in the guest"
echo "$passed passed, $failed failed, $g_skip skipped"
[ "$failed" -eq 0 ]
