#!/bin/bash
# The longest functions of the product's C, longest first (docs/style.md: functions a
# reader can hold, about 80 lines at most).
#
#   scripts/longest-functions.sh [-n N] [--max LINES] [DIR...]
#
# -n       how many to print (default 10)
# --max    exit 1 when a function is longer than LINES (default: never)
# DIR      folders to read (default: agent netem controller common lab)
#
# A function is what clang-format's kernel style makes of one: a definition whose body
# opens with "{" alone in column 0 and closes with "}" in column 0; its length is the lines
# from its name to that "}" (the name's line included). Exit status: 0, 1 (--max
# exceeded), 2 usage.
set -euo pipefail
cd "$(dirname "$0")/.."
n=10 max=0 dirs=()
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=${2:?-n needs a number}; shift 2 ;;
	--max) max=${2:?--max needs a number of lines}; shift 2 ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "longest-functions: unknown flag $1" >&2; exit 2 ;;
	*) dirs+=("$1"); shift ;;
	esac
done
[[ "$n" =~ ^[0-9]+$ && "$max" =~ ^[0-9]+$ ]] || { echo "longest-functions: -n and --max take numbers" >&2; exit 2; }
[ ${#dirs[@]} -gt 0 ] || dirs=(agent netem controller common lab)

list=$(git ls-files -- "${dirs[@]}" | { grep -E '\.c$' || true; } | while read -r f; do
	awk -v file="$f" '
		# a line that can name a function: starts in column 0 with a letter, has "("
		/^[A-Za-z_].*\(/ && !/;[[:space:]]*$/ { name = $0; start = NR; next_ok = 1; next }
		next_ok && /^\{/ { in_fn = 1; next_ok = 0; next }
		!/^\{/ && !/^[[:space:]]/ && !/\)[[:space:]]*$/ && !/,[[:space:]]*$/ { next_ok = 0 }
		in_fn && /^\}/ {
			fn = name; sub(/\(.*/, "", fn); sub(/.*[ *]/, "", fn)
			printf "%d %s:%d %s\n", NR - start + 1, file, start, fn
			in_fn = 0
		}' "$f"
done | sort -rn)

# a here-string, not a pipe from echo: head stops reading early, and under pipefail the
# writer's SIGPIPE (exit 141) would be the script's status
[ -z "$list" ] || head -n "$n" <<<"$list" | awk '{ printf "%5d  %-8s %s\n", $1, $3, $2 }'
if [ "$max" -gt 0 ]; then
	over=$(awk -v m="$max" '$1 > m' <<<"$list" | wc -l)
	if [ "$over" -gt 0 ]; then
		echo "longest-functions: $over function(s) longer than $max lines" >&2
		exit 1
	fi
fi
