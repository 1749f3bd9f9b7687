#!/bin/bash
# The HTML report in a real browser: every journal fixture rendered by `faultline report
# --html` is loaded by headless Chromium (Debian's package), which must lay it out (the DOM
# it builds keeps the timeline's SVG, the fault windows and the verdict table) and paint a
# screenshot that is not blank. The screenshots stay in build/html-screenshots/ for a look.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FL=$BUILD/faultline
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
	if is_ci; then
		fail "chromium" "not installed (scripts/install-deps.sh installs it)"
		summary
		exit 1
	fi
	echo "skip: chromium not installed"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
out=$BUILD/html-screenshots
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
for j in tests/data/journals/*.json; do
	name=$(basename "$j" .json)
	html=$(realpath "$out")/$name.html
	if ! "$FL" report "$j" --html "$html" >/dev/null 2>&1; then
		fail "$name: report --html" "$("$FL" report "$j" --html "$html" 2>&1)"
		continue
	fi
	# --dump-dom: the document as Chromium parsed and built it.
	dom=$(timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
		--dump-dom "file://$html" 2>/dev/null)
	if echo "$dom" | grep -q "<svg" && echo "$dom" | grep -q "<table"; then
		ok "$name: Chromium builds the document (svg timeline, tables)"
	else
		fail "$name: Chromium's DOM lacks the svg or the tables" "$(echo "$dom" | head -c 300)"
	fi
	injected=$(/usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(1 for e in j["experiments"] for f in e.get("faults", []) if f.get("inject", {}).get("result") == "ok"))' "$j")
	if [ "$injected" -gt 0 ]; then
		windows=$(echo "$dom" | grep -o 'class="fault-window' | wc -l)
		if [ "$windows" -ge 1 ]; then
			ok "$name: fault windows drawn ($windows for $injected injected)"
		else
			fail "$name: fault windows drawn" "no fault-window element in the DOM"
		fi
	fi
	png=$out/$name.png
	rm -f "$png"
	timeout 60 "$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$profile" \
		--hide-scrollbars --window-size=1280,1400 --screenshot="$png" "file://$html" \
		>/dev/null 2>&1
	# A blank page compresses to a few KB; a laid-out report with tables and a chart does not.
	size=$(stat -c %s "$png" 2>/dev/null || echo 0)
	if [ "$size" -gt 30000 ]; then
		ok "$name: screenshot painted ($((size / 1024)) KiB)"
	else
		fail "$name: screenshot painted" "$png is $size bytes"
	fi
done
summary
