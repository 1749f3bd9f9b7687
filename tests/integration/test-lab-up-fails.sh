#!/bin/bash
# A `lab up` that fails leaves nothing (root). Each step is broken from outside, with real
# components and no test hook in lab.sh, and each time `up` must exit non-zero naming the
# step, and leave no process of what it started (recorded while it ran: every process below
# it and the lab's, found by PID files and command lines), no mount, netns, cgroup, host
# interface, nor DIR:
#   containerd  a containerd that runs but listens elsewhere (PATH wrapper adding --address):
#               it never answers on DIR's socket; FL_CRI_START_TIMEOUT=2
#   brokers     FL_LAB_BROKERS_TIMEOUT=1: three broker JVMs still starting
#   topics      Kafka refuses one topic (PATH wrapper of nsenter pins it on a broker that does
#               not exist) while the other two topic JVMs run
#   pipeline    a BUILD dir whose loader is the connector binary: it exits at once (usage)
#   agent       DIR/agent.sock is a directory: the agent cannot bind its socket and exits
#   SIGTERM     `up` is sent SIGTERM while its topic-creating JVMs run
# Also: the cause of issue 10's orphaned agent — the agent's child held before its exec (its
# agent.log is a FIFO nobody reads for 3 s) is a starting agent, not an exited one: `up`
# succeeds, and `down` leaves nothing; scripts/gameday.sh sent SIGTERM while `lab up` starts
# the brokers exits 130 and leaves nothing; check_gone itself fails on a live process, a
# cgroup or DIR left, and no record. Prints each `up`'s output and how long it took. Under
# CI=true a missing component fails, never skips. Arguments: the cases to run (default: all).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LAB=$PWD/lab/lab.sh
LABCTL=$PWD/$BUILD/lab/labctl
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/labcheck.sh
. tests/lib/labcheck.sh

skip() {
	if [ "${CI:-}" = true ]; then
		fail "prerequisites" "$1 (CI=true: a missing component is a failure)"
		summary
		exit 1
	fi
	echo "skip lab up failures: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (containerd, namespaces)"
for t in "$LABCTL" "$BUILD/faultline-agent" "$BUILD/lab/loader" "$BUILD/lab/connector"; do
	[ -x "$t" ] || skip "$t is not built (make all)"
done
for t in containerd runc ctr kcat java nsenter curl; do
	command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/fl-labfail-XXXXXX)
live=
cleanup() {
	local d
	[ -z "$live" ] || kill "$live" 2>/dev/null
	for d in "$tmp"/lab-*; do [ ! -e "$d" ] || "$LAB" down --dir "$d" >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT
labcheck_before

# ---- check_gone fails when something is left, or when it was given nothing to check -------
sleep 600 &
live=$!
mkdir -p "$tmp/left"
out=$(check_gone "self-check" "$tmp/left" /run/netns/fl-none "$(proc_id "$live")" "cg:$tmp")
[[ "$out" == *"FAIL self-check: processes left"* ]] && ok "check_gone fails on a live process" ||
	fail "check_gone fails on a live process" "$out"
[[ "$out" == *"FAIL self-check: DIR left"* ]] && ok "check_gone fails on a DIR left" ||
	fail "check_gone fails on a DIR left" "$out"
[[ "$out" == *"FAIL self-check: cgroups left"* ]] && ok "check_gone fails on a cgroup left" ||
	fail "check_gone fails on a cgroup left" "$out"
out=$(check_gone "self-check" "$tmp/none" /run/netns/fl-none)
[[ "$out" == *"FAIL self-check: no lab PIDs were recorded"* ]] &&
	ok "check_gone fails when handed no processes" || fail "check_gone with no processes" "$out"
out=$(check_gone "self-check" "$tmp/none" /run/netns/fl-none "$live:1")
[[ "$out" != *"processes left"* ]] && ok "check_gone takes a PID reused since (another start time) for gone" ||
	fail "check_gone and a reused PID" "$out"
kill "$live"
wait "$live" 2>/dev/null
live=

# ---- the breaks -----------------------------------------------------------------------------
# containerd that runs, in its namespaces, but serves its API on another socket.
mkdir -p "$tmp/wrap-containerd" "$tmp/wrap-nsenter" "$tmp/build/lab"
cat >"$tmp/wrap-containerd/containerd" <<EOF
#!/bin/sh
exec $(command -v containerd) "\$@" --address $tmp/elsewhere.sock
EOF
# nsenter that runs everything, but pins workflow-unsafe's replicas on broker 7 (there are 0-2).
cat >"$tmp/wrap-nsenter/nsenter" <<EOF
#!/bin/bash
args=()
for a in "\$@"; do [ "\$a" = 2:0 ] && a=2:7; args+=("\$a"); done
exec $(command -v nsenter) "\${args[@]}"
EOF
chmod +x "$tmp/wrap-containerd/containerd" "$tmp/wrap-nsenter/nsenter"
# A build whose loader is the connector: it refuses the loader's flags and exits at once.
ln -s "$PWD/$BUILD/faultline-agent" "$tmp/build/faultline-agent"
ln -s "$LABCTL" "$tmp/build/lab/labctl"
cp "$BUILD/lab/connector" "$tmp/build/lab/connector"
cp "$BUILD/lab/connector" "$tmp/build/lab/loader"

# up_fails NAME STEP STATUS TEXT [VAR=VALUE...] -- UP-ARGS...: `lab up --dir $tmp/lab-NAME`
# with those variables exits STATUS (any non-zero: "!0") saying "up failed at step STEP" and
# TEXT, and leaves nothing. With TERM_WHEN set (a pgrep -f pattern, where @DIR@ stands for
# its DIR), it gets SIGTERM once such a process runs.
up_fails() {
	local name=$1 step=$2 status=$3 text=$4 d=$tmp/lab-$1 vars=() up t0 rc took ns
	[ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" $name "* ]] || return 0
	shift 4
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	ns=/run/netns/faultline-lab-$(printf %s "$(realpath -m "$d")" | md5sum | cut -c1-8)
	t0=$(now)
	env ${vars[@]+"${vars[@]}"} "$LAB" up --dir "$d" "$@" >"$tmp/$name.out" 2>&1 &
	up=$!
	record_pids "$d" "$up" "$tmp/$name.pids"
	if [ -n "${TERM_WHEN:-}" ]; then
		local pat=${TERM_WHEN//@DIR@/$d} n=0
		until n=$(pgrep -fc "$pat") || ! kill -0 "$up" 2>/dev/null; do sleep 0.05; done
		kill -TERM "$up" 2>/dev/null && ok "$name: SIGTERM to lab up while $n process(es) ran: $pat"
	fi
	wait "$up"
	rc=$?
	took=$(secs "$t0" "$(now)")
	wait "$RECORDER"
	sed 's/^/    /' "$tmp/$name.out"
	if [ "$rc" != 0 ] && { [ "$status" = '!0' ] || [ "$rc" = "$status" ]; }; then
		ok "$name: lab up exits $rc after $took s"
	else
		fail "$name: lab up exits $status" "exit $rc after $took s" "$(tail -20 "$tmp/$name.out")"
	fi
	grep -q "up failed at step $step;" "$tmp/$name.out" && ok "$name: it names the step ($step)" ||
		fail "$name: names the step $step" "$(tail -20 "$tmp/$name.out")"
	grep -qF -- "$text" "$tmp/$name.out" && ok "$name: it says why: $text" ||
		fail "$name: says $text" "$(tail -20 "$tmp/$name.out")"
	# shellcheck disable=SC2046 # one part a word
	check_gone "$name" "$d" "$ns" $(cat "$tmp/$name.pids")
	times+=("$name $took s")
}
times=()
only=("$@")
up_fails containerd containerd '!0' "containerd did not come up in 2 s" \
	PATH="$tmp/wrap-containerd:$PATH" FL_CRI_START_TIMEOUT=2 -- --no-pipeline
up_fails brokers brokers '!0' "brokers not ready after 1 s" FL_LAB_BROKERS_TIMEOUT=1 -- --no-pipeline
up_fails topics topics '!0' "creating the pipeline's topics failed" PATH="$tmp/wrap-nsenter:$PATH" --
up_fails pipeline pipeline '!0' "pipeline pod streamforge/loader" BUILD="$tmp/build" --
mkdir -p "$tmp/lab-agent/agent.sock"
up_fails agent agent '!0' "the agent exited" -- --no-pipeline
TERM_WHEN="file:@DIR@/tools-log4j.properties .*org.apache.kafka.tools.TopicCommand" \
	up_fails sigterm topics 143 "removing the partial lab" --

# ---- scripts/gameday.sh interrupted while it brings the lab up --------------------------------
# It passes the SIGTERM on to `lab up` (which removes what it started), then takes the lab down.
if [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" gameday-sigterm "* ]]; then
	d=$tmp/lab-gameday-sigterm
	t0=$(now)
	scripts/gameday.sh --dir "$d" --reports "$tmp/reports" >"$tmp/gameday-sigterm.out" 2>&1 &
	gd=$!
	record_pids "$d" "$gd" "$tmp/gameday-sigterm.pids"
	until grep -q "containers started" "$tmp/gameday-sigterm.out" || ! kill -0 "$gd" 2>/dev/null; do
		sleep 0.05
	done
	kill -TERM "$gd"
	t1=$(now)
	wait "$gd"
	rc=$?
	took=$(secs "$t1" "$(now)")
	wait "$RECORDER"
	sed 's/^/    /' "$tmp/gameday-sigterm.out"
	[ "$rc" = 130 ] && grep -q "up failed at step brokers;" "$tmp/gameday-sigterm.out" &&
		ok "gameday-sigterm: SIGTERM during lab up: exit 130 $took s later, up stopped at step brokers" ||
		fail "gameday-sigterm: SIGTERM during lab up" "exit $rc after $took s"
	# shellcheck disable=SC2046
	check_gone gameday-sigterm "$d" "/run/netns/faultline-lab-$(printf %s "$d" | md5sum | cut -c1-8)" \
		$(cat "$tmp/gameday-sigterm.pids")
	times+=("gameday-sigterm(after TERM) $took s")
fi

# ---- an agent slow to exec --------------------------------------------------------------------
# The shell that starts the agent opens agent.log before exec'ing setsid: while that open
# blocks, /proc/PID/cmdline is still lab.sh's and agent.log does not exist as a file. lab.sh
# until 6a44ba8 took that for "the agent exited" (1 in 50 starts on a busy machine) and left
# the agent running. Bounded by timeout: that lab.sh then hung in `tail` on the FIFO.
if [ ${#only[@]} -eq 0 ] || [[ " ${only[*]} " == *" agent-exec "* ]]; then
	d=$tmp/lab-agent-exec
	mkdir -p "$d"
	mkfifo "$d/agent.log"
	t0=$(now)
	timeout 120 "$LAB" up --dir "$d" --no-pipeline >"$tmp/agent-exec.out" 2>&1 &
	up=$!
	record_pids "$d" "$up" "$tmp/agent-exec.pids"
	until [ -s "$d/agent.pid" ] || ! kill -0 "$up" 2>/dev/null; do sleep 0.05; done
	# The hold itself: 3 s with nobody reading agent.log.
	sleep 3
	held=$(tr '\0' ' ' 2>/dev/null <"/proc/$(cat "$d/agent.pid" 2>/dev/null)/cmdline")
	[[ "$held" == *"lab.sh up --dir $d"* ]] && [ ! -f "$d/agent.log" ] &&
		ok "agent-exec: 3 s after agent.pid was written it names a process still running lab.sh, no agent.log file" ||
		fail "agent-exec: the agent's child is held before its exec" "agent.pid: $held"
	cat "$d/agent.log" >"$tmp/agent-exec.agent.log" &
	reader=$!
	wait "$up"
	rc=$?
	took=$(secs "$t0" "$(now)")
	wait "$RECORDER"
	sed 's/^/    /' "$tmp/agent-exec.out"
	[ "$rc" = 0 ] && grep -q "agent up on" "$tmp/agent-exec.out" &&
		ok "agent-exec: an agent held 3 s before its exec is waited for: lab up in $took s" ||
		fail "agent-exec: lab up with an agent slow to exec" "exit $rc after $took s"
	lab_pids "$d" >>"$tmp/agent-exec.pids"
	expect "agent-exec: lab down" 0 "lab down" "$LAB" down --dir "$d"
	# shellcheck disable=SC2046
	check_gone agent-exec "$d" "/run/netns/faultline-lab-$(printf %s "$d" | md5sum | cut -c1-8)" \
		$(cat "$tmp/agent-exec.pids")
	kill "$reader" 2>/dev/null
	wait "$reader" 2>/dev/null
	times+=("agent-exec(up) $took s")
fi

echo "measured: failing lab up (until it had removed everything): ${times[*]}"
summary
