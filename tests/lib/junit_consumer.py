#!/usr/bin/python3
"""An independent reader of Faultline's JUnit XML, and the counts a journal should give.

  junit_consumer.py REPORT.xml        read the report the way GitLab's JUnit parser does
                                      (testsuites/testsuite/testcase; a case's status from
                                      its failure/error/skipped child; name from classname
                                      and name; time in seconds) and print
                                      "tests=N failures=N errors=N skipped=N", then one line
                                      per case: STATUS<TAB>CLASSNAME<TAB>NAME<TAB>TIME.
                                      Exits 1 when a testsuite's attributes disagree with its
                                      cases or a case lacks what CI readers need.
  junit_consumer.py --journal J.json  the counts docs/reports.md promises for a journal,
                                      computed here from the journal on its own.
Only the standard library: runs with /usr/bin/python3 on a bare Debian.
"""
import json
import sys
import xml.etree.ElementTree as ET


def read_report(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.iter("testsuite")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    lines, problems = [], []
    for suite in suites:
        own = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        for case in suite.findall("testcase"):
            # GitLab: failure or error -> failed/error, skipped -> skipped, else success
            if case.find("failure") is not None:
                status = "failed"
                own["failures"] += 1
            elif case.find("error") is not None:
                status = "error"
                own["errors"] += 1
            elif case.find("skipped") is not None:
                status = "skipped"
                own["skipped"] += 1
            else:
                status = "success"
            own["tests"] += 1
            name, classname = case.get("name"), case.get("classname")
            if not name or not classname:
                problems.append(f"testcase without name/classname in {suite.get('name')}")
            try:
                t = float(case.get("time", "0"))
            except ValueError:
                problems.append(f"{classname} {name}: time {case.get('time')!r}")
                t = 0.0
            for child in case:
                if child.tag in ("failure", "error", "skipped") and child.get("message") is None:
                    problems.append(f"{classname} {name}: {child.tag} without message")
            lines.append(f"{status}\t{classname}\t{name}\t{t:.3f}")
        for key, value in own.items():
            if suite.get(key) != str(value):
                problems.append(f"testsuite {suite.get('name')}: {key}={suite.get(key)} "
                                f"but it holds {value}")
            totals[key] += value
    if root.tag == "testsuites":
        for key in ("tests", "failures", "errors"):
            if root.get(key) != str(totals[key]):
                problems.append(f"testsuites: {key}={root.get(key)} but {totals[key]} counted")
    return totals, lines, problems


def journal_counts(path):
    """docs/reports.md: check -> case; fault -> inject case (+ revert case when journaled);
    abort/aborted -> "abort" failure; leftovers -> one failure; outcome error with no error
    case -> "experiment" error."""
    with open(path, encoding="utf-8") as f:
        journal = json.load(f)
    c = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    status_of = {"pass": None, "fail": "failures", "error": "errors", "inconclusive": "skipped"}
    for e in journal["experiments"]:
        errors_before = c["errors"]

        def case(kind):
            c["tests"] += 1
            if kind:
                c[kind] += 1

        for check in e.get("checks", []):
            case(status_of[check["verdict"]])
        for fault in e.get("faults", []):
            case(None if fault["inject"]["result"] == "ok" else "errors")
            if "revert" in fault:
                case({"ok": None, "skipped": "skipped"}.get(fault["revert"]["result"], "errors"))
        if "abort" in e or e["outcome"] == "aborted":
            case("failures")
        if e.get("leftovers"):
            case("failures")
        if e["outcome"] == "error" and c["errors"] == errors_before:
            case("errors")
    return c


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--journal":
        c = journal_counts(sys.argv[2])
        print(f"tests={c['tests']} failures={c['failures']} errors={c['errors']} "
              f"skipped={c['skipped']}")
        return 0
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 64
    totals, lines, problems = read_report(sys.argv[1])
    print(f"tests={totals['tests']} failures={totals['failures']} errors={totals['errors']} "
          f"skipped={totals['skipped']}")
    for line in lines:
        print(line)
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
