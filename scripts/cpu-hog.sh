#!/bin/bash
# Load for flakiness hunts: one busy loop per requested core, at the caller's priority (not
# niced), so that tests run as on a loaded CI machine.
#
#   scripts/cpu-hog.sh [--cores N] [--timeout SECONDS] [--owner PID]
#
# --cores     busy loops to run (default: every core, nproc)
# --timeout   stop after this long (default 600 s; 0: only when the owner ends)
# --owner     stop once this process has ended (default: the caller, our parent)
#
# It never outlives its owner: every loop checks, between bursts of about 0.1 s of work,
# that the owner is still the process it was (PID and start time), and ends by itself when
# not; so a SIGKILL of this script or of its owner leaves no loop behind for longer than
# a burst. SIGTERM/SIGINT end it at once. Exit status: 0 stopped, 2 usage.
set -euo pipefail

usage() {
	sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}
cores=$(nproc)
timeout=600
owner=$PPID
while [ $# -gt 0 ]; do
	case $1 in
	--cores) cores=${2:-}; shift 2 || usage ;;
	--timeout) timeout=${2:-}; shift 2 || usage ;;
	--owner) owner=${2:-}; shift 2 || usage ;;
	-h | --help) usage ;;
	*) echo "cpu-hog: unknown argument $1" >&2; usage ;;
	esac
done
[[ "$cores" =~ ^[1-9][0-9]*$ ]] || { echo "cpu-hog: --cores $cores: expected a count >= 1" >&2; exit 2; }
[[ "$timeout" =~ ^[0-9]+$ ]] || { echo "cpu-hog: --timeout $timeout: expected whole seconds" >&2; exit 2; }
[[ "$owner" =~ ^[1-9][0-9]*$ ]] || { echo "cpu-hog: --owner $owner: expected a PID" >&2; exit 2; }

# A process's start time (field 22 of /proc/PID/stat), read with builtins only: a loop that
# forked to check would not be a busy loop. Empty when the process is gone.
start_time() { # pid
	local line rest
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	rest=${line##*) } # after the command name, which may hold spaces
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $rest
	echo "${20}"
}
owner_start=$(start_time "$owner")
[ -n "$owner_start" ] || { echo "cpu-hog: --owner $owner: no such process" >&2; exit 2; }

# True while the owner is the process it was when we started.
owner_alive() {
	local line rest
	read -r line 2>/dev/null <"/proc/$owner/stat" || return 1
	rest=${line##*) }
	# shellcheck disable=SC2086
	set -- $rest
	[ "${20}" = "$owner_start" ] && [ "$1" != Z ]
}

burn() {
	local i end=$((SECONDS + timeout))
	trap - TERM INT
	while owner_alive && { [ "$timeout" = 0 ] || [ $SECONDS -lt $end ]; }; do
		for ((i = 0; i < 20000; i++)); do :; done
	done
}

loops=()
stop() {
	trap - EXIT TERM INT
	[ ${#loops[@]} -eq 0 ] || kill "${loops[@]}" 2>/dev/null || true
	wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 0' TERM INT
for ((c = 0; c < cores; c++)); do
	burn &
	loops+=($!)
done
echo "cpu-hog: $cores busy loop(s) (pids ${loops[*]}) until PID $owner ends" \
	"$([ "$timeout" = 0 ] && echo "" || echo "or $timeout s have passed")" >&2
# Our own watch, so that this script (and its EXIT trap) also ends with the owner.
end=$((SECONDS + timeout))
while owner_alive && { [ "$timeout" = 0 ] || [ $SECONDS -lt $end ]; }; do
	sleep 0.2
done
