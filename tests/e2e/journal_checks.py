#!/usr/bin/env python3
"""What the e2e tier asserts from a gameday's journal, one line per check (tests/e2e).

    journal_checks.py JOURNAL positive|negative

Prints "ok <what>" or "FAIL <what>: <why>" lines (test-gameday.sh counts them), and
"  <figure>" lines with what was measured, for the log and the closing note:
  - every experiment has an effect check: in a positive run every one passed (its message,
    with the observed value against its baseline, is printed); in a negative run (faults
    aimed where they cannot matter) the experiment deviated and an effect check failed;
  - no experiment had leftovers, and the run's exit code is exactly 1;
  - the steady-state probes were observed during the method (samples without a verdict);
  - the agent's wire check figures (baseline vs faulted connect time) of every fault that
    asked for one (positive run).
Independent of scripts/gameday-judge.py on purpose: the gameday's own judge is part of
what this tier tests.
"""
import json
import sys


def out(ok, what, why=""):
    print(("ok   %s" % what) if ok else ("FAIL %s: %s" % (what, why)))


def figure(text):
    print("    " + text)


def effects(e):
    return [c for c in e.get("checks", []) if c.get("phase") == "effect"]


def wire_text(w):
    parts = []
    for d in w.get("destinations", []):
        after = ("%.2f ms" % d["faultedMs"]) if "faultedMs" in d else d.get("faulted", "?")
        parts.append("%s %.2f ms -> %s" % (d.get("to", "?"), d.get("baselineMs", -1), after))
    return "; ".join(parts)


def observations(e):
    steady = {c["probe"] for c in e.get("checks", []) if c.get("phase") == "before"}
    obs = [s for s in e.get("samples", [])
           if s.get("phase") == "during" and s.get("probe") in steady and "verdict" not in s]
    return steady, obs


def main():
    journal, mode = json.load(open(sys.argv[1])), sys.argv[2]
    exps = journal.get("experiments", [])
    code = journal.get("run", {}).get("exitCode")
    out(code == 1, "the run's exit code is exactly 1", "journal says %s" % code)
    for e in exps:
        name, eff = e["name"], effects(e)
        out(not e.get("leftovers"), "%s: nothing left on an agent" % name,
            "%d leftover(s): %s" % (len(e.get("leftovers", [])), e.get("leftovers")))
        if not eff:
            out(False, "%s: has an effect check" % name, "none in the journal")
            continue
        for c in eff:
            figure("%s effect %s: %s — %s" % (name, c["probe"], c["verdict"], c.get("message")))
        if mode == "positive":
            out(all(c["verdict"] == "pass" for c in eff), "%s: every effect check passed" % name,
                "; ".join(c.get("message", "") for c in eff))
            for f in e.get("faults", []):
                if f.get("request", {}).get("verify", {}).get("wire"):
                    w = f.get("wire")
                    out(bool(w) and w.get("verdict") == "effect",
                        "%s: %s wire check shows the fault" % (name, f["name"]), repr(w))
                    if w:
                        figure("%s wire %s on %s: %s" % (name, f["name"], f.get("target"),
                                                         wire_text(w)))
            steady, obs = observations(e)
            out(not steady or len(obs) >= 3,
                "%s: steady-state probes observed during the method (%d samples, no verdict)"
                % (name, len(obs)), "only %d" % len(obs))
        else:
            out(e.get("outcome") == "deviated", "%s: deviated" % name, e.get("outcome"))
            out(any(c["verdict"] == "fail" for c in eff),
                "%s: deviated on its effect check" % name,
                "no effect check failed although the faults were aimed elsewhere")
    return 0


if __name__ == "__main__":
    sys.exit(main())
