#!/bin/bash
# The e2e tier: the main job, end to end, judged from its outputs — not from its own judge.
#  1. scripts/gameday.sh (what `make demo` runs) brings the lab up in a temporary DIR and runs
#     the whole gameday suite against the real pipeline (3 Kafka brokers, loader, connector,
#     the agent on the lab's containerd), keeping the lab. From the journal: every
#     experiment's effect check passed (the fault had the effect it claims; figures printed),
#     every roadmap experiment passed, the control deviated with the records lost in its
#     JUnit failure, no experiment left anything, `faultline run` exited exactly 1, the
#     steady state was observed during the method, the agent's wire checks show the delay and
#     the partition. JUnit valid against junit-10.xsd and read back by an independent
#     consumer; the HTML report as Chromium renders it.
#  2. The same suite again on the same lab, NEGATIVE (--negative: every fault aimed where it
#     cannot matter): every experiment must be deviated on its effect check, in the journal
#     and in the JUnit — the effect checks can fail. Then the lab goes down: nothing of it is
#     left (processes, mounts, netns, cgroups, interfaces, DIR).
#  3. `make demo` twice in a row, short: a fresh lab on the same DIR and one experiment, as
#     expected, nothing left.
# Under CI=true a missing component fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LAB=$PWD/lab/lab.sh
LABCTL=$PWD/$BUILD/lab/labctl
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/labcheck.sh
. tests/lib/labcheck.sh

for t in "$BUILD/faultline" "$BUILD/faultline-agent" "$LABCTL" "$BUILD/lab/loader"; do
	if [ ! -x "$t" ]; then
		fail "prerequisites" "$t is not built (make all)"
		summary
		exit 1
	fi
done
tmp=$(mktemp -d /tmp/fl-gameday-XXXXXX)
D=$tmp/lab
R=$tmp/reports
cleanup() {
	"$LAB" down --dir "$D" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
labcheck_before

# A gameday in the background (its output to LOG, and to ours with --tee) while its
# processes and the lab's are added to $tmp/pids every 2 s (check_gone needs them after the
# down): the recorder ends with the gameday, whenever and however it ends. Sets rc.
gameday() { # log --tee|--quiet gameday.sh-args...
	local log=$1 mode=$2 gd
	shift 2
	if [ "$mode" = --tee ]; then
		scripts/gameday.sh "$@" > >(tee "$log") 2>&1 &
	else
		scripts/gameday.sh "$@" >"$log" 2>&1 &
	fi
	gd=$!
	record_pids "$D" "$gd" "$tmp/pids" 2
	wait "$gd"
	rc=$?
	wait "$RECORDER"
}
# The journal checks (tests/e2e/journal_checks.py): its ok/FAIL lines count here.
journal_checks() { # journal positive|negative
	local line
	while IFS= read -r line; do
		case $line in
		"ok   "*) ok "${line#ok   }" ;;
		"FAIL "*) fail "${line#FAIL }" ;;
		*) echo "$line" ;;
		esac
	done < <(python3 tests/e2e/journal_checks.py "$1" "$2" 2>&1 || echo "FAIL journal checks: python failed on $1")
}

start=$(date +%s)
gameday "$tmp/gameday.log" --tee --dir "$D" --reports "$R/main" --keep-lab
took=$(($(date +%s) - start))
[ "$rc" = 0 ] && ok "gameday: as expected (exit 0) in $took s" || fail "gameday exit" "exit $rc"
out=$(ls -d "$R"/main/*/ 2>/dev/null | head -1)
for f in junit.xml report.html journal.json summary.txt; do
	[ -s "$out$f" ] && ok "reports/<time>/$f written" || fail "reports/<time>/$f written"
done

# The verdicts, from the journal.
while read -r name outcome lost; do
	case $name in
	control-*)
		[ "$outcome" = deviated ] && ok "$name: deviated, as the control must ($lost)" ||
			fail "$name: deviated" "$outcome ($lost)" ;;
	*)
		[ "$outcome" = passed ] && ok "$name: passed ($lost)" || fail "$name: passed" "$outcome ($lost)" ;;
	esac
done < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["experiments"]:
    lost = [c for c in e["checks"] if c["probe"] == "records-lost"]
    print(e["name"], e.get("outcome"), lost[-1]["message"].replace(" ", "_") if lost else "no_integrity_check")
' "${out}journal.json")
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["experiments"]))' "${out}journal.json")
[ "$n" = 7 ] && ok "7 experiments ran" || fail "7 experiments ran" "$n"
journal_checks "${out}journal.json" positive

# The JUnit: valid, the control's failure names the records lost, read back the same.
if xmllint --noout --schema tests/data/junit-10.xsd "${out}junit.xml" 2>"$tmp/xsd.err"; then
	ok "JUnit valid against junit-10.xsd"
else
	fail "JUnit valid against junit-10.xsd" "$(cat "$tmp/xsd.err")"
fi
msg=$(python3 - "${out}junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for s in ET.parse(sys.argv[1]).getroot().iter("testsuite"):
    if s.get("name", "").startswith("control-"):
        for c in s.iter("testcase"):
            f = c.find("failure")
            if f is not None and "records-lost" in c.get("name", ""):
                print(f.get("message", ""))
PY
)
if lost=$(lost_count "$msg"); then
	ok "the control's JUnit failure says how many records were lost ($lost): $msg"
else
	fail "the control's JUnit failure names the records lost" "${msg:-no records-lost failure}"
fi
if python3 tests/lib/junit_consumer.py "${out}junit.xml" >"$tmp/consumer.out" 2>&1; then
	ok "an independent JUnit consumer reads it: $(tail -1 "$tmp/consumer.out")"
else
	fail "independent JUnit consumer" "$(cat "$tmp/consumer.out")"
fi
svgs=$(grep -c "<svg" "${out}report.html")
[ "$svgs" -ge 7 ] && ok "HTML report: $svgs timelines (one per experiment at least)" ||
	fail "HTML report timelines" "$svgs <svg> elements"

# The HTML as Chromium renders it (Debian's package, headless): the document it builds, and
# a screenshot that is not blank (kept next to the report).
browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
	fail "chromium" "not installed (scripts/install-deps.sh installs it)"
else
	prof=$tmp/chromium-profile
	dom=$(timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--dump-dom "file://${out}report.html" 2>/dev/null)
	n_svg=$(echo "$dom" | grep -o "<svg" | wc -l)
	n_win=$(echo "$dom" | grep -o 'class="fault-window' | wc -l)
	[ "$n_svg" -ge 7 ] && [ "$n_win" -ge 7 ] &&
		ok "Chromium builds the report: $n_svg charts, $n_win fault windows shaded" ||
		fail "Chromium's DOM of the report" "$n_svg svg, $n_win fault windows"
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$prof" \
		--hide-scrollbars --window-size=1280,2400 --screenshot="${out}report.png" \
		"file://${out}report.html" >/dev/null 2>&1
	size=$(stat -c %s "${out}report.png" 2>/dev/null || echo 0)
	[ "$size" -gt 30000 ] && ok "report screenshot painted ($((size / 1024)) KiB)" ||
		fail "report screenshot painted" "${out}report.png is $size bytes"
	mkdir -p "$BUILD/html-screenshots" && cp "${out}report.png" "$BUILD/html-screenshots/gameday.png" 2>/dev/null
fi

# 2. The negative run, on the lab the first one kept; gameday.sh takes it down after.
start=$(date +%s)
gameday "$tmp/negative.log" --quiet --dir "$D" --reports "$R/negative" --reuse-lab --negative
sed -n '/^EXPERIMENT/,/^gameday:/p' "$tmp/negative.log"
grep -q "reusing the lab" "$tmp/negative.log" && ok "the negative run reused the lab" ||
	fail "the negative run reused the lab" "$(head -5 "$tmp/negative.log")"
[ "$rc" = 0 ] && ok "negative gameday: as expected, every experiment deviated on its effect check (exit 0) in $(($(date +%s) - start)) s" ||
	fail "negative gameday" "exit $rc" "$(tail -n 20 "$tmp/negative.log")"
neg=$(ls -d "$R"/negative/*/ 2>/dev/null | head -1)
if [ -s "${neg}journal.json" ]; then
	journal_checks "${neg}journal.json" negative
	# In the JUnit too: every experiment's suite has a failing effect testcase.
	missing=$(python3 - "${neg}junit.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for s in ET.parse(sys.argv[1]).getroot().iter("testsuite"):
    if not any(c.get("name", "").endswith("[effect]") and c.find("failure") is not None
               for c in s.iter("testcase")):
        print(s.get("name"))
PY
)
	[ -z "$missing" ] && ok "negative JUnit: every suite has a failing [effect] testcase" ||
		fail "negative JUnit: a failing [effect] testcase in every suite" "none in: $missing"
	xmllint --noout --schema tests/data/junit-10.xsd "${neg}junit.xml" 2>/dev/null &&
		ok "negative JUnit valid against junit-10.xsd" || fail "negative JUnit valid"
else
	fail "negative run journal" "no ${neg}journal.json"
fi

# Nothing left: the negative run's gameday.sh took the lab down.
gone_after() { # name
	# shellcheck disable=SC2046 # PIDs are words
	check_gone "$1" "$D" "$(cat "$tmp/netns" 2>/dev/null || echo /run/netns/faultline-lab-$(printf %s "$(realpath -m "$D")" | md5sum | cut -c1-8))" $(cat "$tmp/pids" 2>/dev/null)
}
gone_after "after the gameday and its negative run"

# 3. `make demo` twice in a row: a second gameday sets up again from what the first left
# (cached jars, images rebuilt) on the same lab directory — one experiment is enough for that.
rm -f "$tmp/pids"
start=$(date +%s)
gameday "$tmp/gameday2.log" --quiet --dir "$D" --reports "$R/again" --only pod-delete
tail -n 6 "$tmp/gameday2.log"
[ "$rc" = 0 ] && grep -q "gameday: as expected" "$tmp/gameday2.log" &&
	ok "a second gameday right after (pod-delete): as expected (exit 0) in $(($(date +%s) - start)) s" ||
	fail "a second gameday right after" "exit $rc" "$(tail -n 20 "$tmp/gameday2.log")"
gone_after "after the second gameday"
summary
