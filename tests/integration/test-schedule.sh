#!/bin/bash
# `faultline schedule` end to end, with the runner replaced through the test hook
# FAULTLINE_SCHEDULE_RUNNER by a fake that records its arguments and sleeps: --once
# and the history layout, the scheduler lock, the per-suite lock, SIGTERM forwarding,
# timeout and SIGKILL, keep, missed-run policies. The hook is in the test build of the
# controller only ($BUILD/t/faultline); --dry-run, errors and usage, and a run without the
# hook (the release binary runs itself), use the release binary. No root needed.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FL=$PWD/$BUILD/t/faultline  # the test build: runs go to the fake runner
REL=$PWD/$BUILD/faultline   # what we ship
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

tmp=$(mktemp -d /tmp/fl-schedule-XXXXXX)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	# any fake runner still alive (it records its PIDs) is killed too
	for p in $(cat "$tmp"/*/out/pid "$tmp"/*/out/child 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
export TZ=UTC

# The fake `faultline run`: writes its arguments, PIDs and events into $FAKE_OUT.
cat >"$tmp/runner" <<'EOF'
#!/bin/bash
out=$FAKE_OUT
mkdir -p "$out"
printf '%s\n' "$@" >"$out/args"
echo "fake runner: $*"
echo $$ >"$out/pid"
trap 'echo term >>"$out/events"; kill $child 2>/dev/null; exit 143' TERM
[ -n "${RUNNER_IGNORE_TERM:-}" ] && trap '' TERM
sleep "${RUNNER_SLEEP:-0}" &
child=$!
echo $child >"$out/child"
echo started >>"$out/events"
wait $child
exit "${RUNNER_EXIT:-0}"
EOF
chmod +x "$tmp/runner"
export FAULTLINE_SCHEDULE_RUNNER=$tmp/runner

# mkconf CASE NAME ENTRY CRON [spec lines...]: $tmp/CASE/s.yaml, history in $tmp/CASE/h
mkconf() {
	local d=$tmp/$1 name=$2 entry=$3 cron=$4
	shift 4
	mkdir -p "$d"
	: >"$d/suite.yaml"
	{
		printf 'apiVersion: faultline/v1\nkind: Schedule\nmetadata: {name: %s}\nspec:\n' "$name"
		printf '  historyDir: %s\n' "$d/h"
		for l in "$@"; do printf '  %s\n' "$l"; done
		printf '  entries:\n    - {name: %s, cron: "%s", suite: suite.yaml, args: ["--seed", "42"]}\n' \
			"$entry" "$cron"
	} >"$d/${CONF:-s.yaml}"
}
wait_for() { # FILE TEXT: up to 10 s
	for _ in $(seq 100); do grep -qs "$2" "$1" && return 0; sleep 0.1; done
	return 1
}
runs() { find "$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T[0-9]*Z' | sort; }
alive() { kill -0 "$1" 2>/dev/null && [ "$(ps -o stat= -p "$1" | cut -c1)" != Z ]; }
# Whether every PID is gone within 5 s: a signalled process still has to be scheduled to
# die, which a loaded machine delays past the moment its parent exited.
gone() {
	local p deadline=$((SECONDS + 5))
	for p in "$@"; do
		while alive "$p"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
	done
}

# ---- --once runs a due entry and writes the history layout ----------------------------
mkconf once nightly gameday "* * * * *"
export FAKE_OUT=$tmp/once/out
expect "--once runs a due entry" 0 'msg="run finished" entry=gameday exit=0' \
	"$FL" schedule "$tmp/once/s.yaml" --once
run=$(runs "$tmp/once/h/gameday")
if [ "$(echo "$run" | wc -l)" = 1 ] && [[ "$(basename "$run")" =~ ^[0-9]{8}T[0-9]{6}Z$ ]]; then
	ok "one run directory named YYYYmmddTHHMMSSZ"
else fail "one run directory named YYYYmmddTHHMMSSZ" "$run"; fi
want=$(printf '%s\n' run "$tmp/once/suite.yaml" --journal "$run/journal.json" --junit \
	"$run/junit.xml" --report "$run/report.html" --seed 42)
if [ "$(cat "$FAKE_OUT/args")" = "$want" ]; then ok "runner got run SUITE --journal --junit --report ARGS"
else fail "runner arguments" "$(diff <(echo "$want") "$FAKE_OUT/args")"; fi
if [ "$(cat "$run/exit" 2>/dev/null)" = 0 ] && grep -q "exit=0 status=exited" "$run/run.log" &&
	grep -q "^fake runner: run " "$run/run.log"; then
	ok "exit file and run.log (with the run's own output) written"
else fail "exit file and run.log written" "$(ls -la "$run")" "$(cat "$run/run.log")"; fi
expect "--once again in the same minute has nothing due" 0 "scheduler exiting" \
	"$FL" schedule "$tmp/once/s.yaml" --once
[[ "$LAST" != *"run started"* ]] && ok "... and starts nothing" || fail "nothing due" "$LAST"

# ---- a failing run is recorded, and the scheduler still exits 0 ------------------------
mkconf fails f fails "* * * * *"
RUNNER_EXIT=3 FAKE_OUT=$tmp/fails/out expect "a failing run is logged with its code" 0 \
	'msg="run finished" entry=fails exit=3' "$FL" schedule "$tmp/fails/s.yaml" --once
[ "$(cat "$(runs "$tmp/fails/h/fails")"/exit)" = 3 ] && ok "exit file says 3" || fail "exit file says 3"

# ---- two schedulers on one config ------------------------------------------------------
mkconf twice twice e "0 0 1 1 *"
FAKE_OUT=$tmp/twice/out "$FL" schedule "$tmp/twice/s.yaml" 2>"$tmp/twice/a.log" &
a=$!
pids+=("$a")
wait_for "$tmp/twice/a.log" 'msg="waiting" until=20[0-9-]*T00:00:00+0000 entry=e'
expect "a second scheduler on the same config refuses, naming the PID" 2 \
	"schedule \"twice\" is already running (pid $a holds $tmp/twice/h/.schedule-twice.lock)" \
	"$FL" schedule "$tmp/twice/s.yaml" --once
start=$(date +%s.%N)
kill -TERM "$a"
wait "$a"
rc=$?
if [ "$rc" = 0 ] && (($(echo "$(date +%s.%N) - $start < 3" | bc))); then
	ok "an idle scheduler exits 0 on SIGTERM at once"
else fail "idle scheduler exits on SIGTERM" "rc=$rc" "$(cat "$tmp/twice/a.log")"; fi

# ---- the per-suite lock blocks a concurrent run ----------------------------------------
# Another scheduler (other config, same historyDir) holds the suite's lock mid-run: here
# flock(1) holds it, with its PID in the file as a scheduler writes it.
mkconf lock one e "* * * * *"
mkdir -p "$tmp/lock/h/e"
# The holder waits for the lock (not -n): the probe below takes it for an instant while
# looking, and a non-blocking holder that came at that instant gave up (seen under load).
(echo "$BASHPID" >"$tmp/lock/h/e/.lock"; exec flock -F "$tmp/lock/h/e/.lock" sleep 30) &
holder=$!
pids+=("$holder")
held=0
for _ in $(seq 200); do
	flock -n "$tmp/lock/h/e/.lock" true || { held=1; break; }
	sleep 0.05
done
[ $held = 1 ] || fail "the test's holder takes the suite lock within 10 s"
FAKE_OUT=$tmp/lock/out2 expect "the suite lock blocks a concurrent run" 0 \
	"msg=\"run skipped: suite locked by another scheduler\" entry=e lock=$tmp/lock/h/e/.lock holder_pid=$holder" \
	"$FL" schedule "$tmp/lock/s.yaml" --once
[ ! -e "$tmp/lock/out2" ] && [ "$(runs "$tmp/lock/h/e" | wc -l)" = 0 ] &&
	ok "... and nothing ran" || fail "nothing ran" "$(runs "$tmp/lock/h/e")"
kill "$holder"
wait "$holder" 2>/dev/null
FAKE_OUT=$tmp/lock/out3 expect "once the lock is free, the run happens" 0 \
	'msg="run finished" entry=e exit=0' "$FL" schedule "$tmp/lock/s.yaml" --once

# ---- SIGTERM mid-run is forwarded; no process is left ----------------------------------
mkconf term t e "* * * * *"
RUNNER_SLEEP=30 FAKE_OUT=$tmp/term/out "$FL" schedule "$tmp/term/s.yaml" --once 2>"$tmp/term/a.log" &
a=$!
pids+=("$a")
wait_for "$tmp/term/out/events" started
kill -TERM "$a"
start=$(date +%s.%N)
wait "$a"
rc=$?
elapsed=$(echo "$(date +%s.%N) - $start" | bc)
runner=$(cat "$tmp/term/out/pid") child=$(cat "$tmp/term/out/child")
if [ "$rc" = 0 ] && (($(echo "$elapsed < 5" | bc))) && grep -q term "$tmp/term/out/events"; then
	ok "SIGTERM to the scheduler reaches the run; the scheduler exits 0 in ${elapsed}s"
else fail "SIGTERM forwarded" "rc=$rc elapsed=$elapsed" "$(cat "$tmp/term/a.log")"; fi
if gone "$runner" "$child"; then ok "no runner process left (runner and its child)"
else fail "no runner process left" "$(ps -o pid,stat,cmd -p "$runner,$child")"; fi
r=$(runs "$tmp/term/h/e")
[ "$(cat "$r/exit")" = 143 ] && ok "exit file records 143 (SIGTERM)" || fail "exit 143" "$(cat "$r/exit")"
grep -q 'msg="stopping: forwarding SIGTERM to the run" signal=SIGTERM' "$tmp/term/a.log" &&
	ok "the forwarding is logged" || fail "forwarding logged" "$(cat "$tmp/term/a.log")"

# ---- SIGTERM in daemon mode, same guarantees -------------------------------------------
mkconf daemon d e "* * * * *"
RUNNER_SLEEP=30 FAKE_OUT=$tmp/daemon/out "$FL" schedule "$tmp/daemon/s.yaml" 2>"$tmp/daemon/a.log" &
a=$!
pids+=("$a")
if wait_for "$tmp/daemon/out/events" started; then
	kill -TERM "$a"
	wait "$a"
	rc=$?
	runner=$(cat "$tmp/daemon/out/pid") child=$(cat "$tmp/daemon/out/child")
	if [ "$rc" = 0 ] && gone "$runner" "$child" && grep -q term "$tmp/daemon/out/events"; then
		ok "daemon: SIGTERM mid-run forwarded, nothing left, exit 0"
	else fail "daemon SIGTERM" "rc=$rc" "$(cat "$tmp/daemon/a.log")"; fi
else fail "daemon starts a due run" "$(cat "$tmp/daemon/a.log")"; fi

# ---- timeout: SIGTERM, then SIGKILL after killGrace ------------------------------------
mkconf timeout t e "* * * * *" "timeout: 1s"
RUNNER_SLEEP=30 FAKE_OUT=$tmp/timeout/out expect "timeout sends SIGTERM" 0 \
	'msg="run finished" entry=e exit=143 status=timeout' "$FL" schedule "$tmp/timeout/s.yaml" --once
[[ "$LAST" == *'msg="run timed out"'* ]] && ok "timeout logged" || fail "timeout logged" "$LAST"
mkconf kill k e "* * * * *" "timeout: 1s" "killGrace: 1s"
RUNNER_IGNORE_TERM=1 RUNNER_SLEEP=30 FAKE_OUT=$tmp/kill/out expect \
	"a run ignoring SIGTERM is killed after killGrace" 0 \
	'msg="run finished" entry=e exit=137 status=timeout' "$FL" schedule "$tmp/kill/s.yaml" --once
child=$(cat "$tmp/kill/out/child")
gone "$child" && ok "its child (same process group) is gone too" || fail "child gone" "$child"

# ---- keep prunes old runs --------------------------------------------------------------
mkconf keep k e "* * * * *" "keep: 3"
for r in 20200101T000000Z 20200102T000000Z 20200103T000000Z 20200104T000000Z 20200105T000000Z; do
	mkdir -p "$tmp/keep/h/e/$r" && echo 0 >"$tmp/keep/h/e/$r/exit"
done
FAKE_OUT=$tmp/keep/out expect "keep: old runs removed" 0 \
	'msg="old runs removed" entry=e removed=3 keep=3' "$FL" schedule "$tmp/keep/s.yaml" --once
got=$(runs "$tmp/keep/h/e" | head -2 | xargs -n1 basename | tr '\n' ' ')
[ "$got" = "20200104T000000Z 20200105T000000Z " ] && [ "$(runs "$tmp/keep/h/e" | wc -l)" = 3 ] &&
	ok "the newest 3 are kept" || fail "newest kept" "$(runs "$tmp/keep/h/e")"

# ---- missed runs: runOnce runs exactly once after a gap, skip does not -----------------
# An hourly cron at a minute 30 away from now: never due now, missed many times in 2 days.
m=$(((10#$(date -u +%M) + 30) % 60))
last=$(date -u -d '2 days ago' +%Y%m%dT%H%M%SZ)
for policy in runOnce skip; do
	mkconf "missed-$policy" m e "$m * * * *" "missedRuns: $policy"
	mkdir -p "$tmp/missed-$policy/h/e/$last"
done
FAKE_OUT=$tmp/missed-runOnce/out expect "runOnce: a missed fire time runs once" 0 \
	'missed=true' "$FL" schedule "$tmp/missed-runOnce/s.yaml" --once
FAKE_OUT=$tmp/missed-runOnce/out2 "$FL" schedule "$tmp/missed-runOnce/s.yaml" --once 2>/dev/null
[ "$(runs "$tmp/missed-runOnce/h/e" | wc -l)" = 2 ] && [ ! -e "$tmp/missed-runOnce/out2" ] &&
	ok "runOnce: exactly one run, also on the next start" ||
	fail "runOnce exactly once" "$(runs "$tmp/missed-runOnce/h/e")"
FAKE_OUT=$tmp/missed-skip/out expect "skip: a missed fire time is skipped" 0 \
	'msg="missed run skipped (missedRuns: skip)" entry=e' "$FL" schedule "$tmp/missed-skip/s.yaml" --once
[ ! -e "$tmp/missed-skip/out" ] && [ "$(runs "$tmp/missed-skip/h/e" | wc -l)" = 1 ] &&
	ok "skip: nothing ran" || fail "skip: nothing ran" "$(runs "$tmp/missed-skip/h/e")"

# ---- the release binary has no runner hook: a run is `faultline run` itself ------------
mkconf release r e "* * * * *"
FAKE_OUT=$tmp/release/out expect "release binary: the run is faultline itself (empty suite: exit 2)" \
	0 'msg="run finished" entry=e exit=2' "$REL" schedule "$tmp/release/s.yaml" --once
run=$(runs "$tmp/release/h/e")
if [ ! -e "$tmp/release/out" ] && [[ "$LAST" != *"test hook"* ]] &&
	grep -q "suite.yaml:1:1: empty" "$run/run.log" && ! grep -q "fake runner" "$run/run.log"; then
	ok "... it ignores FAULTLINE_SCHEDULE_RUNNER (the fake never ran)"
else fail "release ignores the hook" "$LAST" "$(cat "$run/run.log")"; fi

# The rest checks what the release binary does.
FL=$REL

# ---- --dry-run -------------------------------------------------------------------------
mkconf dry nightly gameday "*/15 9-17 * * mon-fri"
want='schedule nightly: next 5 fire times per entry (local time, TZ=UTC)
gameday  "*/15 9-17 * * mon-fri"  '"$tmp/dry/suite.yaml"'
  Fri 2024-01-05 17:00 UTC
  Fri 2024-01-05 17:15 UTC
  Fri 2024-01-05 17:30 UTC
  Fri 2024-01-05 17:45 UTC
  Mon 2024-01-08 09:00 UTC'
got=$("$FL" schedule "$tmp/dry/s.yaml" --dry-run --from 2024-01-05T16:50 2>&1)
[ "$got" = "$want" ] && ok "--dry-run prints the next 5 fire times exactly" ||
	fail "--dry-run output" "$(diff <(echo "$want") <(echo "$got"))"
[ ! -e "$tmp/dry/h" ] && ok "--dry-run touches nothing" || fail "--dry-run touches nothing"

# ---- errors and usage ------------------------------------------------------------------
mkconf bad b e "61 * * * *"
expect "config error: file:line:col and exit 2" 2 \
	"$tmp/bad/s.yaml:7:23: spec.entries[0].cron: minute: \"61\" is out of range 0-59" \
	"$FL" schedule "$tmp/bad/s.yaml" --once
mkconf nosuite n e "* * * * *"
rm "$tmp/nosuite/suite.yaml"
expect "a missing suite is a config error" 2 \
	"spec.entries[0].suite: \"$tmp/nosuite/suite.yaml\": No such file or directory" \
	"$FL" schedule "$tmp/nosuite/s.yaml" --once
expect "usage: no config" 64 "expected one CONFIG file" "$FL" schedule
expect "usage: --once with --dry-run" 64 "exclude each other" "$FL" schedule x --once --dry-run
expect "usage: bad --from" 64 '--from "yesterday"' "$FL" schedule x --dry-run --from yesterday
expect "help" 0 "--dry-run" "$FL" schedule --help
expect "top-level help lists schedule" 0 "schedule CONFIG" "$FL" --help

summary
