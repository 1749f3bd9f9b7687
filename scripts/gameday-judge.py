#!/usr/bin/env python3
"""Judge a lab gameday from its journal (scripts/gameday.sh; the e2e tier reads it too).

    gameday-judge.py JOURNAL --run-exit RC --control NAME [--negative] [--summary FILE]
                     [--experiments N]

A green gameday means more than "no check failed" (issue 10): for every experiment
  - its fault had the effect it claims: at least one effect check (phase "effect"), and
    every one passed;
  - the system held: a roadmap experiment passed, with its data-integrity check
    (records-lost) present; the control experiment deviated with records lost;
  - nothing was left: no leftovers on any agent (outcome "leftovers");
and `faultline run` exited exactly 1 (only the control deviated; 0 when the control was not
part of the run), as its journal says too.

--negative judges the same suite rendered with every fault aimed where it cannot matter
(scripts/render-lab-experiments.sh --negative): every experiment must be reported deviated
ON ITS EFFECT CHECK, nothing left, and the run must exit 1. This proves the effect checks
can fail.

Prints a table (also written to --summary) and exits 0 when as expected, 1 otherwise.
"""
import argparse
import json
import sys


def checks(e, phase=None, probe=None):
    return [c for c in e.get("checks", [])
            if (phase is None or c.get("phase") == phase)
            and (probe is None or c.get("probe") == probe)]


def effect_text(effects):
    if not effects:
        return "(no effect check)"
    return "; ".join("%s %s: %s" % (c["probe"], c["verdict"], c.get("message", ""))
                     for c in effects)


def judge(e, control, negative):
    """Returns (expected, good, why) for one experiment."""
    name, outcome = e["name"], e.get("outcome", "?")
    effects = checks(e, phase="effect")
    lost = checks(e, probe="records-lost")
    why = []
    if e.get("leftovers"):
        why.append("%d leftover(s)" % len(e["leftovers"]))
    if not effects:
        why.append("no effect check")
    if negative:
        expected = "deviated (no effect)"
        if outcome != "deviated":
            why.append("outcome %s" % outcome)
        if effects and not any(c["verdict"] == "fail" for c in effects):
            why.append("every effect check passed although the faults were aimed elsewhere")
        return expected, not why, why
    if effects and any(c["verdict"] != "pass" for c in effects):
        why.append("an effect check did not pass: the fault did not do what it claims")
    if not lost:
        why.append("no integrity check")
    if name == control:
        expected = "deviated"
        if outcome != "deviated":
            why.append("outcome %s" % outcome)
        if lost and lost[-1]["verdict"] != "fail":
            why.append("no records lost")
    else:
        expected = "passed"
        if outcome != "passed":
            why.append("outcome %s" % outcome)
    return expected, not why, why


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("journal")
    ap.add_argument("--run-exit", type=int, required=True, help="faultline run's exit status")
    ap.add_argument("--control", required=True, help="the control experiment's name")
    ap.add_argument("--negative", action="store_true")
    ap.add_argument("--summary", help="also write the table here")
    ap.add_argument("--experiments", type=int, default=7, help="how many must have run")
    a = ap.parse_args()

    try:
        journal = json.load(open(a.journal))
    except (OSError, ValueError) as err:
        print("gameday: cannot read the journal %s: %s" % (a.journal, err), file=sys.stderr)
        return 1
    exps = journal.get("experiments", [])
    rows, ok, notes = [], True, []
    for e in exps:
        expected, good, why = judge(e, a.control, a.negative)
        ok &= good
        lost = checks(e, probe="records-lost")
        rows.append((e["name"], expected, e.get("outcome", "?"), "yes" if good else "NO",
                     effect_text(checks(e, phase="effect")),
                     lost[-1]["message"] if lost else "(no integrity check)"))
        if why:
            notes.append("%s: %s" % (e["name"], "; ".join(why)))
    if len(exps) != a.experiments:
        ok = False
        notes.append("%d experiments ran, %d expected" % (len(exps), a.experiments))
    code = journal.get("run", {}).get("exitCode")
    with_control = any(e["name"] == a.control for e in exps)
    want = 1 if a.negative or with_control else 0
    if a.run_exit != want or code != want:
        ok = False
        notes.append("faultline run exited %d (journal: %s); %d expected (%s)" %
                     (a.run_exit, code, want, "deviations on effect checks" if a.negative
                      else "only the control deviated" if with_control
                      else "every experiment passed"))

    head = ("EXPERIMENT", "EXPECTED", "OUTCOME", "AS EXPECTED", "EFFECT", "INTEGRITY")
    w = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
    fmt = "%-*s  %-*s  %-*s  %-*s  %s | %s"
    lines = [fmt % (w[0], head[0], w[1], head[1], w[2], head[2], w[3], head[3], head[4],
                    head[5])]
    lines += [fmt % (w[0], r[0], w[1], r[1], w[2], r[2], w[3], r[3], r[4], r[5]) for r in rows]
    lines += ["  " + n for n in notes]
    if a.negative:
        verdict = ("as expected: with every fault aimed where it cannot matter, every "
                   "experiment deviated on its effect check")
    else:
        verdict = ("as expected: every roadmap experiment passed with its effect shown, "
                   "the control deviated, nothing was left")
    lines.append("gameday: %s" % (verdict if ok else "NOT as expected"))
    text = "\n".join(lines) + "\n"
    if a.summary:
        with open(a.summary, "w") as f:
            f.write(text)
    sys.stdout.write(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
