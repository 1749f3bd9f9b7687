#!/bin/bash
# The main job (`make demo`): a gameday against the built-in lab. Brings the lab up (a
# private containerd, 3 Kafka brokers, the demo pipeline, the agent; lab/README.md), runs
# the gameday suite (experiments/lab/gameday.yaml.in) through `faultline run` inside the
# lab's network, writes reports/<time>/{junit.xml,report.html,journal.json,summary.txt},
# prints a summary, and takes the lab down again — also when interrupted or failed.
#
#   scripts/gameday.sh [--dir LAB_DIR] [--reports DIR] [--keep-lab]
#
# Exit status: 0 when every roadmap experiment passed and the control experiment was
# reported as deviated with records lost (as it must be); 1 otherwise; 2 usage; 3 a
# dependency is missing (run `bash scripts/install-deps.sh && make all`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
LAB_DIR=/var/lib/faultline/lab
REPORTS=$ROOT/reports
KEEP=0
CONTROL=control-acks1-data-loss
while [ $# -gt 0 ]; do
	case $1 in
	--dir) LAB_DIR=${2:?}; shift 2 ;;
	--reports) REPORTS=${2:?}; shift 2 ;;
	--keep-lab) KEEP=1; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "gameday: unknown argument $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "gameday: run as root (containerd, namespaces)" >&2; exit 3; }
for f in "$BUILD/faultline" "$BUILD/faultline-agent" "$BUILD/lab/loader" "$BUILD/lab/labctl"; do
	[ -x "$f" ] || { echo "gameday: $f is not built (make all)" >&2; exit 3; }
done
T0=$(date +%s)
say() { echo "gameday: [$(($(date +%s) - T0)) s] $*"; }
LAB=(env BUILD="$BUILD" lab/lab.sh)

OUT=$REPORTS/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT/experiments"
lab_down() {
	local rc=$?
	trap - EXIT INT TERM
	if [ $KEEP = 1 ]; then
		say "the lab stays up in $LAB_DIR (--keep-lab); faultline lab down --dir $LAB_DIR"
	else
		say "taking the lab down"
		"${LAB[@]}" down --dir "$LAB_DIR" | sed 's/^/  /' || rc=1
	fi
	exit $rc
}
trap lab_down EXIT
trap 'exit 130' INT TERM

# A fresh lab every time: a gameday judges a pipeline whose history it knows.
"${LAB[@]}" down --dir "$LAB_DIR" >/dev/null
say "lab up in $LAB_DIR (the broker supervisor restarts after 20 s)"
"${LAB[@]}" up --dir "$LAB_DIR" --restart-delay 20 | sed 's/^/  /'
suite=$(scripts/render-lab-experiments.sh "$LAB_DIR" "$OUT/experiments")
say "running the suite $suite (7 experiments, about 6 minutes)"
rc=0
"${LAB[@]}" exec --dir "$LAB_DIR" "$BUILD/faultline" run "$suite" --junit "$OUT/junit.xml" \
	--journal "$OUT/journal.json" --report "$OUT/report.html" || rc=$?
say "faultline run exited $rc (1 = a hypothesis deviated: the control must)"
[ -f "$OUT/journal.json" ] || { echo "gameday: no journal written" >&2; exit 1; }

# Judge the gameday: the roadmap's experiments pass, the control deviates with records lost.
judged=0
python3 - "$OUT/journal.json" "$CONTROL" "$OUT/summary.txt" <<'PY' || judged=$?
import json, sys
journal, control, out = sys.argv[1], sys.argv[2], sys.argv[3]
exps = json.load(open(journal))["experiments"]
rows, ok = [], True
for e in exps:
    name, outcome = e["name"], e.get("outcome", "?")
    lost = [c for c in e.get("checks", []) if c["probe"] == "records-lost"]
    integ = lost[-1]["message"] if lost else "(no integrity check)"
    if name == control:
        good = outcome == "deviated" and bool(lost) and lost[-1]["verdict"] == "fail"
        expect = "deviated"
    else:
        good = outcome == "passed" and bool(lost)  # every experiment ends with the check
        expect = "passed"
    ok &= good
    rows.append((name, expect, outcome, "yes" if good else "NO", integ))
if len(exps) != 7:
    ok = False
head = ("EXPERIMENT", "EXPECTED", "OUTCOME", "AS EXPECTED", "INTEGRITY")
w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
lines = ["%-*s  %-*s  %-*s  %-*s  %s" % (w[0], head[0], w[1], head[1], w[2], head[2], w[3], head[3], head[4])]
lines += ["%-*s  %-*s  %-*s  %-*s  %s" % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4]) for r in rows]
lines.append("gameday: %s" % ("as expected: every roadmap experiment passed, the control deviated"
                              if ok else "NOT as expected"))
open(out, "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(0 if ok else 1)
PY
say "reports in $OUT: junit.xml report.html journal.json summary.txt"
exit $judged
