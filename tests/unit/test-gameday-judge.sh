#!/bin/bash
# scripts/gameday-judge.py, the main job's verdict (what `make demo` exits with), on journals
# made here: a good gameday passes; a leftover, a run that exited 4, an experiment without an
# effect check or whose effect check failed, a control that did not lose records — each one
# alone — makes it "NOT as expected"; and the negative mode fails when an effect check
# passed although the faults were aimed elsewhere.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# journal NAME MUTATION: a 3-experiment gameday (two roadmap ones and the control), changed
# by one python statement on `exps` / `j`.
journal() {
	python3 - "$tmp/$1.json" "$2" <<'PY'
import json, sys
def chk(probe, phase, verdict, msg="m"):
    return {"probe": probe, "phase": phase, "verdict": verdict, "message": msg}
def exp(name, outcome, lost_verdict):
    return {"name": name, "outcome": outcome, "leftovers": [],
            "checks": [chk("restarted", "effect", "pass", "container restarts 1: +1"),
                       chk("records-lost", "during", lost_verdict,
                           "integrity lost %s" % ("0 == 0" if lost_verdict == "pass" else "9 != 0"))]}
j = {"run": {"exitCode": 1}, "experiments": [exp("pod-delete", "passed", "pass"),
     exp("container-kill", "passed", "pass"), exp("control-x", "deviated", "fail")]}
exps = j["experiments"]
exec(sys.argv[2])
json.dump(j, open(sys.argv[1], "w"))
PY
}
judge() { # name exit [--negative]: the judge's exit status
	python3 scripts/gameday-judge.py "$tmp/$1.json" --run-exit "$2" --control control-x \
		--experiments 3 "${@:3}" >"$tmp/$1.out" 2>&1
	echo $?
}
case_() { # what name mutation run-exit want [--negative]
	journal "$2" "$3"
	got=$(judge "$2" "$4" "${@:6}")
	[ "$got" = "$5" ] && ok "$1 (exit $got)" || fail "$1" "exit $got, want $5" "$(cat "$tmp/$2.out")"
}

case_ "a good gameday is as expected" good "pass" 1 0
case_ "a leftover is not as expected" left \
	'exps[0]["outcome"] = "leftovers"; exps[0]["leftovers"] = [{"id": "f1"}]; j["run"]["exitCode"] = 4' 4 1
case_ "faultline run's exit 4 alone is not as expected" exit4 'j["run"]["exitCode"] = 4' 4 1
case_ "an experiment without an effect check is not" noeffect \
	'exps[1]["checks"] = [c for c in exps[1]["checks"] if c["phase"] != "effect"]' 1 1
case_ "a failed effect check is not, even with the experiment passed" effectfail \
	'exps[0]["checks"][0]["verdict"] = "fail"' 1 1
case_ "a control that lost nothing is not" nolost \
	'exps[2]["checks"][1]["verdict"] = "pass"; exps[2]["outcome"] = "passed"' 1 1
case_ "an exit 0 with the control in the run is not" exit0 'j["run"]["exitCode"] = 0' 0 1
grep -q "NOT as expected" "$tmp/left.out" && grep -q "leftover" "$tmp/left.out" &&
	ok "the summary says NOT as expected and names the leftover" ||
	fail "the summary names the leftover" "$(cat "$tmp/left.out")"
case_ "negative: every experiment deviated on its effect check is as expected" neg \
	'for e in exps: e["outcome"] = "deviated"; e["checks"][0]["verdict"] = "fail"' 1 0 --negative
case_ "negative: an effect check that passed is not" negpass \
	'for e in exps: e["outcome"] = "deviated"; e["checks"][0]["verdict"] = "fail"
exps[1]["checks"][0]["verdict"] = "pass"' 1 1 --negative
summary
