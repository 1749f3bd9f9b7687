#!/bin/bash
# Functions a reader can hold (docs/style.md, issue 11): none longer than 80 lines in
# agent/, netem/ or controller/ — scripts/longest-functions.sh --max 80 prints the longest
# ten and fails above it; shown failing on a scratch repository with an 81-line function,
# and passing with an 80-line one.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect "no function over 80 lines in agent/, netem/, controller/" 0 "" \
	scripts/longest-functions.sh --max 80 agent netem controller
echo "$LAST" | sed 's/^/    /'

# scratch REPO LINES: a git repository holding the script and one function of LINES lines
# (its name's line to its closing brace) in agent/x.c.
scratch() {
	local d=$tmp/$1 body=$(($2 - 3)) i
	mkdir -p "$d/scripts" "$d/agent"
	cp scripts/longest-functions.sh "$d/scripts/"
	{
		echo "int long_one(void)"
		echo "{"
		for ((i = 0; i < body; i++)); do echo "	(void)0;"; done
		echo "}"
	} >"$d/agent/x.c"
	git -C "$d" init -q && git -C "$d" add -A &&
		git -C "$d" -c user.name=t -c user.email=t@t commit -qm x
	echo "$d"
}
d=$(scratch long 81)
expect "an 81-line function fails --max 80" 1 "1 function(s) longer than 80 lines" \
	"$d/scripts/longest-functions.sh" --max 80 agent
expect "and is listed with its length, name and place" 1 "   81  long_one agent/x.c:1" \
	"$d/scripts/longest-functions.sh" --max 80 agent
d=$(scratch edge 80)
expect "an 80-line function passes" 0 "   80  long_one agent/x.c:1" \
	"$d/scripts/longest-functions.sh" --max 80 agent

summary
