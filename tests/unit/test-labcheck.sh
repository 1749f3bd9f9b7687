#!/bin/bash
# The lab's shared checks (tests/lib/labcheck.sh, tests/lib/shtest.sh) catch what they are
# for, shown without a lab:
#  - check_gone handed no PIDs fails (it would prove nothing), passes for PIDs that have
#    exited and fails for one that runs; lab_pids of a directory with no lab finds none and
#    says so;
#  - lost_count takes the count from the control's records-lost failure only when the whole
#    message is "integrity lost N != 0 at HH:MM:SS" with N >= 1 (an unanchored
#    [1-9][0-9]* also matched "integrity lost 0 != 0 at 12:03:41": the clock has digits);
#  - is_ci: CI=true and CI=1 are CI, other values are not.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/labcheck.sh
. tests/lib/labcheck.sh

tmp=$(mktemp -d /tmp/fl-labcheck-XXXXXX)
sleeper=
cleanup() {
	[ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null && wait "$sleeper" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# check_gone in a subshell with its own counters: its output, then "failed=N".
gone() { # pids...
	(
		passed=0 failed=0
		labcheck_before
		check_gone "t" "$tmp/dir" "$tmp/netns" "$@"
		echo "failed=$failed"
	)
}

out=$(gone)
[[ $out == *"FAIL t: no lab PIDs were recorded"* && $out == *"failed=1" ]] &&
	ok "check_gone with no PIDs fails" || fail "check_gone with no PIDs fails" "$out"

sleep 0 &
dead=$!
wait "$dead"
out=$(gone "$dead")
[[ $out == *"ok   t: none of the lab's 1 processes is left"* && $out == *"failed=0" ]] &&
	ok "check_gone passes for a PID that has exited" || fail "check_gone, exited PID" "$out"

sleep 60 &
sleeper=$!
out=$(gone "$dead" "$sleeper")
[[ $out == *"FAIL t: processes left"* && $out == *"$sleeper sleep 60"* && $out == *"failed=1" ]] &&
	ok "check_gone fails for a PID that still runs" || fail "check_gone, running PID" "$out"

mkdir -p "$tmp/nolab"
if pids=$(lab_pids "$tmp/nolab"); then
	fail "lab_pids of a directory without a lab" "exit 0: $pids"
elif [ -n "$pids" ]; then
	fail "lab_pids of a directory without a lab" "printed: $pids"
else
	ok "lab_pids of a directory without a lab finds none and exits 1"
fi

while IFS='|' read -r want msg; do
	got=$(lost_count "$msg")
	rc=$?
	if [ "$want" = - ]; then
		[ "$rc" -ne 0 ] && [ -z "$got" ] && ok "lost_count refuses \"$msg\"" ||
			fail "lost_count refuses \"$msg\"" "took $got"
	else
		[ "$rc" -eq 0 ] && [ "$got" = "$want" ] && ok "lost_count \"$msg\" -> $want" ||
			fail "lost_count \"$msg\" -> $want" "got '$got' (exit $rc)"
	fi
done <<'EOF'
2236|integrity lost 2236 != 0 at 12:03:41
1|integrity lost 1 != 0 at 00:00:00
-|integrity lost 0 != 0 at 12:03:41
-|integrity lost 012 != 0 at 12:03:41
-|integrity lost 2236 != 0
-|integrity lost 2236 == 0 at 12:03:41
-|integrity duplicates 12 != 0 at 12:03:41
-|consumer lag max 18342 > 5000 at 12:03:41
-|integrity lost -5 != 0 at 12:03:41
-|integrity lost 2236 != 0 at 12:03:41 (and more)
-|
EOF
two=$'integrity lost 5 != 0 at 12:03:41\nintegrity lost 7 != 0 at 12:03:42'
got=$(lost_count "$two") && fail "lost_count refuses two messages" "took $got" ||
	ok "lost_count refuses two messages in one"

for v in true 1; do
	(CI=$v is_ci) && ok "CI=$v is CI" || fail "CI=$v is CI"
done
for v in "" false 0 yes TRUE; do
	(CI=$v is_ci) && fail "CI='$v' is not CI" || ok "CI='$v' is not CI"
done
(unset CI; is_ci) && fail "no CI variable is not CI" || ok "no CI variable is not CI"
summary
