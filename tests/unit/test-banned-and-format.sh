#!/bin/bash
# Source hygiene (docs/style.md): no banned functions, and the tree is clang-formatted.
#  - nowhere: sprintf, vsprintf, strcpy, strcat, strtok, atoi, atol, gets
#  - not in netem/ or agent/ (code the privileged agent runs): system, popen, exec*, fork
set -uo pipefail
cd "$(dirname "$0")/../.."
passed=0 failed=0
check() { # $1 = name, $2 = pattern, rest = paths
	local name=$1 pattern=$2 hits
	shift 2
	hits=$(git ls-files "$@" | grep -E '\.(c|h)$' | grep -v '^third_party/' |
		xargs -r grep -nE "$pattern" | grep -vE '^\S+:[0-9]+:\s*(\*|/\*|//)')
	if [ -n "$hits" ]; then
		echo "FAIL $name"; echo "$hits" | sed 's/^/    /'; failed=$((failed + 1))
	else
		echo "ok   $name"; passed=$((passed + 1))
	fi
}
check "no unbounded string functions" \
	'(^|[^_a-z])(sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets)\(' .
check "no process spawning in netem/ and agent/" \
	'(^|[^_a-z])(system|popen|execl|execlp|execle|execv|execvp|execvpe|fork|posix_spawn)\(' \
	netem agent common
if clang-format --dry-run -Werror $(git ls-files '*.c' '*.h' | grep -v '^third_party/') 2>/dev/null; then
	echo "ok   clang-format clean"; passed=$((passed + 1))
else
	echo "FAIL clang-format: run 'make format'"; failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
