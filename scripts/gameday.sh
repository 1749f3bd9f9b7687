#!/bin/bash
# The main job (`make demo`): a gameday against the built-in lab. Brings the lab up (a
# private containerd, 3 Kafka brokers, the demo pipeline, the agent; lab/README.md), runs
# the gameday suite (experiments/lab/gameday.yaml.in) through `faultline run` inside the
# lab's network, writes reports/<time>/{junit.xml,report.html,journal.json,summary.txt},
# prints a summary, and takes the lab down again — also when interrupted or failed.
#
#   scripts/gameday.sh [--dir LAB_DIR] [--reports DIR] [--keep-lab] [--reuse-lab]
#                      [--only NAME[,NAME...]] [--negative]
#
#   --keep-lab    leave the lab up at the end (look around: faultline lab status)
#   --reuse-lab   run against the lab already up in LAB_DIR instead of a fresh one
#   --only NAMES  run only these experiments of the suite (comma-separated)
#   --negative    the same suite with every fault aimed where it cannot matter
#                 (render-lab-experiments.sh --negative): proves each effect check can fail
#
# Judged by scripts/gameday-judge.py from the journal: every roadmap experiment passed with
# its effect check shown, the control experiment deviated with records lost, no experiment
# left anything on an agent, and `faultline run` exited exactly 1 (0 without the control).
# With --negative: every experiment deviated on its effect check.
# Exit status: 0 as expected; 1 otherwise; 2 usage; 3 a dependency is missing (run
# `bash scripts/install-deps.sh && make all`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
LAB_DIR=/var/lib/faultline/lab
REPORTS=$ROOT/reports
KEEP=0 REUSE=0 NEGATIVE=0 ONLY=""
CONTROL=control-acks1-data-loss
while [ $# -gt 0 ]; do
	case $1 in
	--dir) LAB_DIR=${2:?}; shift 2 ;;
	--reports) REPORTS=${2:?}; shift 2 ;;
	--keep-lab) KEEP=1; shift ;;
	--reuse-lab) REUSE=1; shift ;;
	--negative) NEGATIVE=1; shift ;;
	--only) ONLY=${2:?}; shift 2 ;;
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
# The long steps (lab up, faultline run) run in the background while we wait for them, so
# that an INT or TERM is handled at once and passed on to the step: lab up then removes what
# it started, faultline run reverts its faults; only then is the lab taken down.
CHILD=""
step() {
	local rc=0
	"$@" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	return $rc
}
lab_down() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CHILD" ]; then
		say "stopping the running step (pid $CHILD)"
		kill -TERM "$CHILD" 2>/dev/null || true
		while kill -0 "$CHILD" 2>/dev/null; do wait "$CHILD" 2>/dev/null || true; done
	fi
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

if [ $REUSE = 1 ] && "${LAB[@]}" status --dir "$LAB_DIR" >/dev/null 2>&1; then
	say "reusing the lab up in $LAB_DIR"
else
	# A fresh lab: a gameday judges a pipeline whose history it knows.
	"${LAB[@]}" down --dir "$LAB_DIR" >/dev/null
	say "lab up in $LAB_DIR (the broker supervisor restarts after 20 s)"
	step "${LAB[@]}" up --dir "$LAB_DIR" --restart-delay 20
fi
render=(scripts/render-lab-experiments.sh)
[ $NEGATIVE = 0 ] || render+=(--negative)
suite=$("${render[@]}" "$LAB_DIR" "$OUT/experiments")
if [ -n "$ONLY" ]; then
	# A suite of just these, with the gameday's defaults.
	python3 - "$suite" "$ONLY" "$OUT/experiments/only.yaml" <<'PY' || exit 2
import sys, yaml
suite, names, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
doc = yaml.safe_load(open(suite))
have = [e["file"][:-5] for e in doc["spec"]["experiments"]]
bad = [n for n in names if n not in have]
if bad:
    sys.exit("gameday: --only: no experiment %s in the suite (it has %s)" % (", ".join(bad), ", ".join(have)))
doc["spec"]["experiments"] = [e for e in doc["spec"]["experiments"] if e["file"][:-5] in names]
yaml.safe_dump(doc, open(out, "w"), sort_keys=False)
PY
	suite=$OUT/experiments/only.yaml
fi
n_exp=$(python3 -c 'import sys, yaml; print(len(yaml.safe_load(open(sys.argv[1]))["spec"]["experiments"]))' "$suite")
say "running the suite $suite ($n_exp experiments$([ $NEGATIVE = 0 ] || echo ", NEGATIVE: faults aimed where they cannot matter"))"
rc=0
step "${LAB[@]}" exec --dir "$LAB_DIR" "$BUILD/faultline" run "$suite" --junit "$OUT/junit.xml" \
	--journal "$OUT/journal.json" --report "$OUT/report.html" || rc=$?
say "faultline run exited $rc (1 = a hypothesis deviated: the control must; 4 = leftovers)"
[ -f "$OUT/journal.json" ] || { echo "gameday: no journal written" >&2; exit 1; }

# Judge the gameday from its journal (scripts/gameday-judge.py says what "as expected" is).
judge=(python3 scripts/gameday-judge.py "$OUT/journal.json" --run-exit "$rc" --control "$CONTROL"
	--experiments "$n_exp" --summary "$OUT/summary.txt")
[ $NEGATIVE = 0 ] || judge+=(--negative)
judged=0
"${judge[@]}" || judged=$?
say "reports in $OUT: junit.xml report.html journal.json summary.txt"
exit $judged
