#!/bin/bash
# The suite's own rules, shown on a stand-in tree (no real test runs):
#  - tests/run.sh counts a test that is missing as a failure naming it: a tests/<tier>/
#    test_*.c whose binary was not built or was deleted, a test script that is not
#    executable; what is there is still run and counted;
#  - CI=1 is CI like CI=true: run.sh fails a root tier it cannot run instead of skipping it
#    (run as nobody here), and the Makefile adds -Werror;
#  - libnl (the tests' witness) is linked into test binaries only, never into faultline or
#    faultline-agent.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

tmp=$(mktemp -d /tmp/fl-run-sh-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- a stand-in tree: two unit tests, one built; two scripts, one executable -------------
tree=$tmp/tree
mkdir -p "$tree/tests/unit" "$tree/tests/integration" "$tree/build/tests/unit"
cp tests/run.sh "$tree/tests/run.sh"
touch "$tree/tests/unit/test_built.c" "$tree/tests/unit/test_gone.c"
printf '#!/bin/sh\necho "ok   one"\necho "1 passed, 0 failed, 0 skipped"\n' \
	>"$tree/build/tests/unit/test_built"
printf '#!/bin/sh\necho "ok   two"\necho "1 passed, 0 failed"\n' >"$tree/tests/unit/test-ok.sh"
cp "$tree/tests/unit/test-ok.sh" "$tree/tests/unit/test-not-executable.sh"
chmod +x "$tree/build/tests/unit/test_built" "$tree/tests/unit/test-ok.sh"
# A binary left from a test whose source is gone is not a test any more.
cp "$tree/build/tests/unit/test_built" "$tree/build/tests/unit/test_stale"

expect "run.sh: a test binary that was not built is a failure naming it" 1 \
	"FAIL unit/test_gone: build/tests/unit/test_gone is not built (from tests/unit/test_gone.c)" \
	env BUILD=build bash "$tree/tests/run.sh" unit
run=$LAST
[[ $run == *"unit/test-not-executable.sh (tests/unit/test-not-executable.sh is not executable)"* ]] &&
	ok "run.sh: a test script that is not executable is a failure naming it" ||
	fail "run.sh: a script that is not executable" "$run"
[[ $run == *"=== unit/test_built"* && $run == *"=== unit/test-ok.sh"* ]] &&
	ok "run.sh: the tests that are there still run" || fail "run.sh: the others run" "$run"
[[ $run != *"test_stale"* ]] && ok "run.sh: a binary without a source is not run" ||
	fail "run.sh: a binary without a source" "$run"
[ "$(echo "$run" | tail -1)" = "2 passed, 2 failed, 0 skipped" ] &&
	ok "run.sh: closing line 2 passed, 2 failed, 0 skipped" ||
	fail "run.sh: closing line" "$(echo "$run" | tail -1)"
rm "$tree/tests/unit/test_gone.c"
chmod +x "$tree/tests/unit/test-not-executable.sh"
expect "run.sh: all there, all passed" 0 "3 passed, 0 failed, 0 skipped" \
	env BUILD=build bash "$tree/tests/run.sh" unit

# ---- CI=1 is CI: a root tier run without root fails instead of skipping -------------------
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
chmod -R a+rX "$tmp"
for ci in 1 true; do
	expect "run.sh: CI=$ci, a root tier run without root fails" 1 \
		"FAIL integration: needs root, and CI=$ci requires it to run" \
		as_nobody env CI="$ci" BUILD=build bash "$tree/tests/run.sh" integration
done
expect "run.sh: without CI it is a skip" 0 "0 passed, 0 failed, 1 skipped" \
	as_nobody env -u CI BUILD=build bash "$tree/tests/run.sh" integration

# ---- the Makefile: CI=1 adds -Werror; libnl only where tests link ---------------------------
src=$(ls common/src/*.c | head -1)
obj=$tmp/mk/obj/${src%.c}.o
for ci in 1 true; do
	[[ $(make -s -n CI="$ci" BUILD="$tmp/mk" "$obj") == *-Werror* ]] &&
		ok "make CI=$ci compiles with -Werror" || fail "make CI=$ci compiles with -Werror"
done
[[ $(make -s -n CI= BUILD="$tmp/mk" "$obj") != *-Werror* ]] &&
	ok "make without CI: no -Werror" || fail "make without CI: no -Werror"
link_line() { # target: the command that links it, from make -n in an empty build dir
	make -s -n -B CI= BUILD="$tmp/mk" "$tmp/mk/$1" | grep -E -- "-o $tmp/mk/$1( |$)"
}
for bin in faultline faultline-agent; do
	line=$(link_line "$bin")
	[ -n "$line" ] && [[ $line != *-lnl* ]] && ok "$bin does not link libnl" ||
		fail "$bin does not link libnl" "${line:-no link command found}"
done
line=$(link_line tests/integration/test_witness)
[[ $line == *-lnl-route-3* && $line == *-lnl-3* ]] && ok "test binaries link libnl-route-3" ||
	fail "test binaries link libnl-route-3" "${line:-no link command found}"
if [ -x build/faultline ]; then
	needed=$(readelf -d build/faultline | grep NEEDED)
	[[ $needed != *libnl* ]] && ok "build/faultline as built needs no libnl" ||
		fail "build/faultline as built needs no libnl" "$needed"
fi
summary
