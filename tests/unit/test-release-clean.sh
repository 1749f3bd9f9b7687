#!/bin/bash
# Test-only code stays out of what we ship. The release binaries ($BUILD/faultline,
# $BUILD/faultline-agent, $BUILD/lab/*) and what `make install` puts into a scratch DESTDIR
# (the binaries, libfl-netem.a, libfl-common.a, include/fl/*.h) hold none of the names
# below, in their bytes (strings, debug info) nor their symbol tables (nm). The negative
# half: the same scan finds every name in the test build that must have it ($BUILD/t/), and
# a test header planted into the installed tree is found, so the check can fail.
# Builds nothing: `make check` builds all of it first; a missing or stale file fails here.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

# NAME|the test build that holds it (relative to $BUILD). The one list of test-only names.
FORBIDDEN=(
	"FL_AGENT_CRASH_AT|t/faultline-agent"              # agent/src/registry.c, test build only
	"FL_AGENT_TEST_REVERT_FAILURES|t/faultline-agent"  # same
	"injected revert failure|t/faultline-agent"        # that hook's error message
	"FAULTLINE_SCHEDULE_RUNNER|t/faultline"            # controller/schedule/scheduler.c
	"test hook in use|t/faultline"                     # its warning
	"fl_nl_fake_new|t/libfltest.a"                     # the fake netlink transport:
	"fl_nl_fake_queue_reply|t/libfltest.a"             # tests/lib/nlfake.{c,h}
	"fl_nl_fake_request|t/libfltest.a"
	"fl_nl_fake_n_requests|t/libfltest.a"
	"struct fl_nl_fake|../tests/lib/nlfake.h"          # its header's type ...
	"nlfake|t/libfltest.a"                             # ... and file names (nlfake.h, .o)
	"fl_kube_test_transport|t/libfl-controller.a"      # kubernetes/kube.c's fake transport
	"fl_kube_test_sleep|t/libfl-controller.a"          # and its clock, test builds only
)

# scan FILE...: prints "FILE: NAME" for every forbidden name in a file's bytes, its symbol
# table or its path.
scan() {
	local f
	for f in "$@"; do
		{
			grep -aoF -f "$names" -- "$f"
			nm -a "$f" 2>/dev/null | grep -oF -f "$names"
			grep -oF -f "$names" <<<"$f"
		} | sort -u | while read -r n; do echo "$f: $n"; done
	done
}

tmp=$(mktemp -d /tmp/fl-release-clean-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
names=$tmp/names dest=$tmp/root
printf '%s\n' "${FORBIDDEN[@]%%|*}" >"$names"

release=("$BUILD/faultline" "$BUILD/faultline-agent" "$BUILD"/lab/*)
libs=("$BUILD/libfl-netem.a" "$BUILD/libfl-common.a")
tests=("$BUILD/t/faultline" "$BUILD/t/faultline-agent" "$BUILD/t/libfltest.a")
unset MAKEFLAGS MFLAGS MAKELEVEL # a make of our own, not a job of `make check`'s
if ! make -q BUILD="$BUILD" "${release[@]}" "${libs[@]}" "${tests[@]}" 2>/dev/null; then
	fail "release and test builds are built and current" \
		"missing or stale: run 'make check' (it builds them) or 'make BUILD=$BUILD'"
	summary
	exit
fi
ok "release and test builds are built and current (${#release[@]} release binaries)"

# ---- what we ship holds none of them -------------------------------------------------
for f in "${release[@]}"; do
	hits=$(scan "$f")
	[ -z "$hits" ] && ok "$f: no test-only name" || fail "$f holds test-only code" "$hits"
done

if ! out=$(make -s BUILD="$BUILD" DESTDIR="$dest" install 2>&1); then
	fail "make install DESTDIR=$dest" "$out"
	summary
	exit
fi
mapfile -t installed < <(find "$dest" -type f | sort)
want="$dest/usr/local/bin/faultline $dest/usr/local/sbin/faultline-agent"
want+=" $dest/usr/local/lib/libfl-netem.a $dest/usr/local/lib/libfl-common.a"
want+=" $dest/usr/local/include/fl/netem.h"
missing=$(for w in $want; do [ -f "$w" ] || echo "$w"; done)
[ -z "$missing" ] && ok "make install: ${#installed[@]} files (binaries, libraries, headers)" ||
	fail "make install put what we ship into DESTDIR" "missing: $missing"
hits=$(scan "${installed[@]}")
[ -z "$hits" ] && ok "installed tree: no test-only name in ${#installed[@]} files" ||
	fail "the installed tree holds test-only code" "$hits"

# ---- negative half: the same scan finds them where they belong -------------------------
for entry in "${FORBIDDEN[@]}"; do
	name=${entry%%|*} where=$BUILD/${entry#*|}
	hits=$(scan "$where")
	grep -qF -- ": $name" <<<"$hits" && ok "found where it belongs: $name in $where" ||
		fail "\"$name\" not found in $where: a stale name in FORBIDDEN, or the scan is broken"
done
cp tests/lib/nlfake.h "$dest/usr/local/include/fl/"
hits=$(scan "$dest"/usr/local/include/fl/*.h)
[[ "$hits" == *"include/fl/nlfake.h: nlfake"* && "$hits" == *"struct fl_nl_fake"* ]] &&
	ok "a test header planted into the installed tree is found" ||
	fail "planted nlfake.h not found" "$hits"

summary
