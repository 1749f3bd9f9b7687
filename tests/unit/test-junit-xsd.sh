#!/bin/bash
# `faultline report` on every journal fixture (tests/data/journals/*.json):
#  - the JUnit XML validates against junit-10.xsd (tests/data/junit-10.xsd, a copy of
#    ../shared/data/junit-10.xsd kept in the repository so a fresh clone can run this),
#  - an independent reader (tests/lib/junit_consumer.py, the way GitLab reads JUnit) finds
#    the counts the journal itself implies, and no disagreement between attributes and cases,
#  - the HTML parses (libxml2's HTML parser; also well-formed XML) and, for a journal with
#    an injected fault, holds an inline <svg> with the fault's window,
#  - the CLI's errors and exit codes for bad journals and bad usage.
set -uo pipefail
cd "$(dirname "$0")/../.."
FL=${BUILD:-build}/faultline
XSD=tests/data/junit-10.xsd
PY=/usr/bin/python3
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

if ! command -v xmllint >/dev/null; then
	fail "xmllint is required (apt-get install libxml2-utils; scripts/install-deps.sh)"
	summary
	exit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for journal in tests/data/journals/*.json; do
	n=$(basename "$journal" .json)
	if ! out=$("$FL" report "$journal" --junit "$tmp/$n.xml" --html "$tmp/$n.html" 2>&1); then
		fail "$n: report" "$out"
		continue
	fi
	if out=$(xmllint --noout --schema "$XSD" "$tmp/$n.xml" 2>&1); then ok "$n: JUnit validates against junit-10.xsd"
	else fail "$n: JUnit validates against junit-10.xsd" "$out"; fi

	if got=$("$PY" tests/lib/junit_consumer.py "$tmp/$n.xml" 2>&1); then
		want=$("$PY" tests/lib/junit_consumer.py --journal "$journal")
		if [ "$(head -1 <<<"$got")" = "$want" ]; then ok "$n: JUnit reader counts $want"
		else fail "$n: JUnit reader counts" "reader:  $(head -1 <<<"$got")" "journal: $want"; fi
	else
		fail "$n: JUnit reader finds no inconsistency" "$got"
	fi

	# libxml2's HTML parser knows HTML 4 only: HTML5/SVG element names are reported as
	# "Tag ... invalid"; anything else (broken nesting, bad entities) is a real error.
	errs=$(xmllint --html --noout "$tmp/$n.html" 2>&1 | grep -E 'error' |
		grep -vE 'Tag (header|section|footer|details|summary|svg|g|line|text|rect|polyline|title) invalid')
	if [ -z "$errs" ]; then ok "$n: HTML parses"; else fail "$n: HTML parses" "$errs"; fi
	if out=$(xmllint --noout "$tmp/$n.html" 2>&1); then ok "$n: HTML is well-formed XML"
	else fail "$n: HTML is well-formed XML" "$out"; fi

	injected=$("$PY" -c 'import json,sys
j=json.load(open(sys.argv[1]))
print(sum(1 for e in j["experiments"] for f in e.get("faults", []) if f["inject"]["result"] == "ok"))' "$journal")
	rects=$(grep -o '<rect class="fault-window"' "$tmp/$n.html" | wc -l)
	if grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$tmp/$n.html" && [ "$rects" -eq "$injected" ]; then
		ok "$n: HTML chart has $injected fault window(s)"
	else
		fail "$n: HTML chart has $injected fault window(s)" "found $rects"
	fi
done

# The CLI: outputs, stdin/stdout, errors and exit codes.
expect "help" 0 "--junit FILE" "$FL" report --help
expect "top-level help lists report" 0 "report         rebuild" "$FL" --help
expect "no journal" 64 "JOURNAL is required" "$FL" report
expect "no output" 64 "say which report" "$FL" report tests/data/journals/passed.json
expect "unknown option" 64 'unknown option "--pdf"' "$FL" report tests/data/journals/passed.json --pdf x
expect "missing file argument" 64 "--junit needs a FILE" "$FL" report tests/data/journals/passed.json --junit
expect "text summary" 0 "broker-latency  passed" "$FL" report tests/data/journals/passed.json --text
expect "junit to stdout" 0 '<testsuites name="broker-latency"' "$FL" report tests/data/journals/passed.json --junit -
expect "journal from stdin" 0 "DEVIATED (exit 1)" sh -c "\"$FL\" report - --text < tests/data/journals/deviated.json"
expect "bad verdict named" 2 'experiments[0].checks[3].verdict: "maybe" is not one of pass, fail, inconclusive, error' \
	"$FL" report tests/data/journals/invalid/bad-verdict.json --text
expect "not JSON: file, line, column" 2 "tests/data/journals/invalid/not-json.json:2:" \
	"$FL" report tests/data/journals/invalid/not-json.json --junit "$tmp/x.xml"
[ -e "$tmp/x.xml" ] && fail "a bad journal leaves no report" || ok "a bad journal leaves no report"
expect "missing journal" 2 "cannot open: No such file or directory" "$FL" report "$tmp/none.json" --text
expect "unwritable report" 2 "--junit $tmp/no/dir/r.xml: cannot create" \
	"$FL" report tests/data/journals/passed.json --junit "$tmp/no/dir/r.xml"
leftover=$(find "$tmp" -name '*.tmp.*' | head -1)
[ -z "$leftover" ] && ok "no temporary files left behind" || fail "no temporary files left behind" "$leftover"

summary
