#!/bin/bash
# An interrupted `lab up` ends its readiness probe (root, kcat; no lab, ≈ 10 s). lab.sh's own
# wait_ready, brokers_seen, up_failed and stop_started (taken from lab/lab.sh as they are)
# run in a shell whose EXIT trap is up_failed, as in `up` at step brokers, with kcat asking a
# loopback address nothing listens on — a broker not listening yet: kcat catches SIGTERM and
# ends only when its metadata request times out (-m 2). That shell gets SIGTERM while kcat
# runs, alone or with its whole process group (a terminal's ^C); once it has exited, no kcat
# of it may run. Until this test, brokers_seen ran kcat in a command substitution and a
# pipeline: their subshells ended at once, kcat went on as an orphan of init, no longer below
# `up`, and outlived the lab (test-lab-up-fails.sh's gameday-sigterm, once in a CI run). The
# negative: that former brokers_seen, kept below, leaves its kcat every time. The witness is
# pgrep on the run's own address, not lab.sh. Prints how long each shell took to exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
LAB=$PWD/lab/lab.sh
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

skip() {
	if is_ci; then
		fail "prerequisites" "$1 (CI=true: a missing component is a failure)"
		summary
		exit 1
	fi
	echo "skip lab probe TERM: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (nsenter)"
for t in kcat nsenter setsid pgrep; do
	command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/fl-labprobe-XXXXXX)
addr=""
cleanup() {
	local p
	# Only our kcats: their command line names this run's address.
	[ -z "$addr" ] || for p in $(pgrep -f "kcat -L -b $addr:9092"); do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# lab.sh's function NAME, as written there.
lab_fn() { # name
	awk -v f="$1" 'index($0, f "() {") == 1 { p = 1 } p { print } p && /^}/ { p = 0 }' "$LAB"
}
# brokers_seen before the fix (the negative): kcat in $(...) and a pipeline, called in $(...).
OLD_PROBE='in_netns() { nsenter --net="$NETNS_PATH" -- "$@"; }
brokers_seen() {
	local n
	n=$(in_netns kcat -L -b "$1:9092" -m 2 2>/dev/null | sed -nE "s/^ ([0-9]+) brokers:\$/\\1/p" |
		head -1) || true
	SEEN=${n:-0}
}
old_seen() { brokers_seen "$1"; echo "$SEEN"; }'

# The shell of a `lab up` waiting for brokers at ADDR, into $tmp/up-KIND.sh.
write_up() { # kind(new|old) addr
	local f
	{
		echo 'set -euo pipefail'
		echo "DIR=$tmp/dir-$1 NETNS_PATH=/proc/self/ns/net BROKERS=3 NS=streamforge READY_TIMEOUT=600"
		echo 'UP_STEP=brokers AGENT_PID="" PROBE_PID=""'
		# No runtime: no pod has exited; nothing for `down` to remove.
		echo 'kafka_pods() { :; }; cmd_down_dir() { :; }'
		for f in proc_stat our_child descendants signal_proc stop_started up_failed exited_pod wait_ready brokers_seen; do
			lab_fn "$f" | grep . || echo "echo 'lab.sh has no function $f' >&2; exit 99"
		done
		if [ "$1" = old ]; then
			echo "$OLD_PROBE"
			# the former call in wait_ready: [ "\$(brokers_seen "\$ip")" = ... ]
			echo 'wait_ready() { while :; do [ "$(old_seen '"$2"')" = 3 ] && return 0; sleep 0.5; done; }'
		fi
		echo 'trap up_failed EXIT'
		echo 'wait_ready'
	} >"$tmp/up-$1.sh"
	mkdir -p "$tmp/dir-$1"
	echo "$2:9092" >"$tmp/dir-$1/bootstrap"
}

# One run: the shell, SIGTERM (to its PID or its group) 0.3 s into a kcat, then whether a kcat
# of it is left. Prints "left PIDS" or "none", and the seconds from the TERM to its exit.
run() { # kind target(pid|group)
	local up k="" t0 t1 left i
	addr=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
	write_up "$1" "$addr"
	setsid bash "$tmp/up-$1.sh" >"$tmp/up.out" 2>&1 &
	up=$!
	for ((i = 0; i < 1000; i++)); do
		k=$(pgrep -f "kcat -L -b $addr:9092") || ! kill -0 "$up" 2>/dev/null && break
		sleep 0.01
	done
	if [ -z "$k" ]; then
		kill -KILL -- "-$up" 2>/dev/null
		wait "$up"
		echo "no kcat in 10 s: $(tail -3 "$tmp/up.out")"
		return
	fi
	sleep 0.3 # kcat has set its handlers
	if [ "$2" = group ]; then kill -TERM -- "-$up"; else kill -TERM "$up"; fi
	t0=$(date +%s.%N)
	wait "$up"
	t1=$(date +%s.%N)
	left=$(pgrep -f "kcat -L -b $addr:9092" | tr '\n' ' ')
	echo "${left:+left $left}${left:-none} $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
	# The negative's orphan: ours (its address), ended here.
	for k in $left; do kill -KILL "$k" 2>/dev/null; done
}

times=()
for target in pid group; do
	for i in 1 2 3; do
		out=$(run new "$target")
		times+=("${out##* }")
		[[ "$out" == none* ]] && ok "SIGTERM to up's $target while its kcat runs: none left ($i)" ||
			fail "SIGTERM to up's $target while its kcat runs: none left ($i)" "$out" "$(cat "$tmp/up.out")"
	done
	out=$(run old "$target")
	[[ "$out" == left* ]] && ok "negative: the former brokers_seen leaves its kcat (SIGTERM to $target)" ||
		fail "negative: the former brokers_seen leaves its kcat (SIGTERM to $target)" "$out"
done
echo "measured: up's shell exited after SIGTERM in ${times[*]} s"
summary
