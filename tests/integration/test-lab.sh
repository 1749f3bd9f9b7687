#!/bin/bash
# The lab end to end (root): `faultline lab up` in a temporary DIR gives 3 Kafka pods with
# IPs; a topic with RF 3 takes 100 records and gives them back through the lab network; the
# agent lists the pods; a killed kafka-1 container is restarted by the supervisor in the same
# sandbox (same IP) and the broker rejoins, and the agent's GET /v1/pods counts that restart
# (restartCount 0 -> 1, a new container id; so does `lab status`); `labctl start` refuses a
# bad attempt; `faultline lab down` leaves nothing: processes,
# mounts, netns, cgroups, host interfaces, DIR. Then the same after kill -9 of containerd,
# the supervisor and the agent. Prints up, down and restart times. Under CI=true a missing
# component is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FL=$PWD/$BUILD/faultline
LAB=$PWD/lab/lab.sh
LABCTL=$PWD/$BUILD/lab/labctl
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

skip() {
	if is_ci; then
		fail "prerequisites" "$1 (CI=$CI: a missing component is a failure)"
		summary
		exit 1
	fi
	echo "skip lab: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	[ "$failed" -eq 0 ]
	exit
}
[ -x "$FL" ] || skip "$FL is not built (make all)"
# The verb itself (no root needed): usage errors, and a lab.sh that cannot be found.
expect "faultline lab without a command is a usage error" 64 "Usage: faultline lab" "$FL" lab
expect "faultline lab bogus is a usage error" 64 'unknown command "bogus"' "$FL" lab bogus
expect "faultline lab with a missing FAULTLINE_LAB_SH" 2 "lab.sh not found" \
	env FAULTLINE_LAB_SH=/nonexistent/lab.sh "$FL" lab status
expect "faultline lab status of no lab" 1 "not running" "$FL" lab status --dir /nonexistent/lab
[ "$(id -u)" = 0 ] || skip "needs root (containerd, namespaces)"
for t in "$LABCTL" "$BUILD/faultline-agent"; do
	[ -x "$t" ] || skip "$t is not built (make all)"
done
for t in containerd runc ctr kcat java nsenter curl jq; do
	command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/fl-lab-XXXXXX)
D=$tmp/lab
D2=$tmp/lab2
cleanup() {
	"$LAB" down --dir "$D" >/dev/null 2>&1
	"$LAB" down --dir "$D2" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# shellcheck source=tests/lib/labcheck.sh
. tests/lib/labcheck.sh

labcheck_before

# ---- up -------------------------------------------------------------------------------
t0=$(now)
expect "faultline lab up" 0 "lab up in $D" "$FL" lab up --dir "$D" --restart-delay 2
t_up=$(secs "$t0" "$(now)")
echo "$LAST" | sed 's/^/    /'
[ -s "$D/bootstrap" ] || { fail "bootstrap written"; summary; exit 1; }
BOOT=$(cat "$D/bootstrap")
expect "lab up again is a no-op" 0 "already up" "$FL" lab up --dir "$D"
expect "lab status: every pod and the agent are well" 0 "agent pid" "$FL" lab status --dir "$D"

P=$(pods "$D")
if [ "$(echo "$P" | awk '$3 == "running" && $2 ~ /^10\.88\./ { n++ } END { print n + 0 }')" = 3 ] &&
	[ "$(echo "$P" | cut -d' ' -f1 | tr '\n' ' ')" = "kafka-0 kafka-1 kafka-2 " ]; then
	ok "3 kafka pods run with pod IPs"
else
	fail "3 kafka pods run with pod IPs" "$P"
fi
P=$(pipeline_pods "$D")
# The pipeline's four pods and the negative gameday's idle decoy.
if [ "$(echo "$P" | awk '$3 == "running" { n++ } END { print n + 0 }')" = 5 ] &&
	[ "$(echo "$P" | cut -d' ' -f1 | tr '\n' ' ')" = "connector connector-unsafe decoy loader loader-unsafe " ] &&
	[ -s "$D/pipeline/loader/acked" ] && [ -d "$D/pipeline/connector/sink" ]; then
	ok "the pipeline's 4 pods and the decoy run; the loader acknowledges, the connector fills its sink"
else
	fail "the pipeline's 4 pods and the decoy run" "$P" "$(ls -R "$D/pipeline" 2>&1 | head -12)"
fi
P=$(pods "$D")
ready=1
for ip in $(echo "$P" | cut -d' ' -f2); do [ "$(brokers_seen "$D" "$ip")" = 3 ] || ready=0; done
[ $ready = 1 ] && ok "every broker lists 3 brokers" || fail "every broker lists 3 brokers"

# ---- Kafka through the lab network -------------------------------------------------------
expect "topic with RF 3 created" 0 "Created topic" \
	"$LAB" topics --dir "$D" --create --topic lab-test --partitions 3 --replication-factor 3
expect "topic described with RF 3" 0 "ReplicationFactor: 3" \
	"$LAB" topics --dir "$D" --describe --topic lab-test
seq 1 100 | "$LAB" exec --dir "$D" kcat -P -b "$BOOT" -t lab-test -X acks=all 2>"$tmp/produce.err" &&
	ok "100 records produced (acks=all)" || fail "100 records produced" "$(cat "$tmp/produce.err")"
got=$("$LAB" exec --dir "$D" kcat -C -b "$BOOT" -t lab-test -o beginning -e -q 2>/dev/null | sort -n)
[ "$got" = "$(seq 1 100)" ] && ok "the 100 records consumed back" ||
	fail "the 100 records consumed back" "got $(echo "$got" | grep -c .) records"

# ---- the agent ---------------------------------------------------------------------------
names=$(curl -sf --unix-socket "$D/agent.sock" http://lab/v1/pods |
	jq -r '.pods[] | select(.namespace == "streamforge" and .labels.app == "kafka") | .name' | sort | tr '\n' ' ')
[ "$names" = "kafka-0 kafka-1 kafka-2 " ] && ok "agent GET /v1/pods lists kafka-0..2 (app=kafka)" ||
	fail "agent GET /v1/pods lists kafka-0..2" "got: $names"

# agent_main POD: "RESTARTS RESTART_COUNT ID STATE": the pod's restarts and its container
# "main" as the agent's GET /v1/pods lists them.
agent_main() { # pod
	curl -sf --unix-socket "$D/agent.sock" http://lab/v1/pods | jq -r --arg p "$1" \
		'.pods[] | select(.namespace == "streamforge" and .name == $p) | "\(.restarts) " +
		(.containers[] | select(.name == "main") | "\(.restartCount) \(.id) \(.state)")'
}
# agent_restarted POD ID-BEFORE: the agent lists POD's main as restarted once (a new container,
# running, restartCount 1, pod restarts 1), waited for up to 10 s (the supervisor removes
# the old container right after starting the new one).
agent_restarted() { # pod id-before
	local r rc id st
	for _ in $(seq 100); do
		read -r r rc id st < <(agent_main "$1")
		[ "$r $rc $st" = "1 1 running" ] && [ "$id" != "$2" ] && break
		sleep 0.1
	done
	if [ "$r $rc $st" = "1 1 running" ] && [ "$id" != "$2" ]; then
		ok "$1: the agent counts the restart (restartCount 0 -> 1, new container ${id:0:12})"
	else
		fail "$1: the agent counts the restart" "got restarts $r restartCount $rc ${id:0:12} $st" \
			"$(curl -s --unix-socket "$D/agent.sock" http://lab/v1/pods | head -c 3000)"
	fi
}
json_pod=$(curl -sf --unix-socket "$D/agent.sock" http://lab/v1/pods |
	jq -c '.pods[] | select(.name == "kafka-1")')
read -r r1 rc1 cid1 st1 < <(agent_main kafka-1)
read -r r2 rc2 cid2 st2 < <(agent_main kafka-2)
[ "$r1 $rc1 $st1 $r2 $rc2 $st2" = "0 0 running 0 0 running" ] &&
	ok "agent GET /v1/pods: kafka-1 and kafka-2 run with restartCount 0" ||
	fail "agent GET /v1/pods: restartCount 0 at first" "kafka-1: $r1 $rc1 $st1, kafka-2: $r2 $rc2 $st2" \
		"$json_pod"

# ---- the supervisor: a killed broker container comes back in its sandbox ------------------
# restart_check POD HOW: after HOW ran (at $t0), the pod's container runs again with a new
# PID within restart-delay + 5 s, in the same sandbox (same IP), and its broker rejoins.
# Sets t_cont and t_rejoin.
restart_check() { # pod how pid-before ip-before
	local pod=$1 how=$2 pid0=$3 ip0=$4 ip pid
	t_cont= t_rejoin=
	for _ in $(seq 600); do
		read -r _ ip _ pid < <(pods "$D" | grep "^$pod ")
		if [ -z "$t_cont" ] && [ "$pid" != "$pid0" ] && [ "$pid" != - ] && [ "$pid" != 0 ] &&
			[ -e "/proc/$pid" ]; then
			t_cont=$(secs "$t0" "$(now)")
		fi
		if [ -n "$t_cont" ] && [ "$(brokers_seen "$D" "$ip0")" = 3 ]; then
			t_rejoin=$(secs "$t0" "$(now)")
			break
		fi
		sleep 0.1
	done
	if [ -n "$t_cont" ] && awk -v t="$t_cont" 'BEGIN { exit !(t <= 2 + 5) }'; then
		ok "$pod ($how): container restarted by the supervisor in $t_cont s (delay 2 s)"
	else
		fail "$pod ($how): container restarted within 7 s" "after: ${t_cont:-never}" \
			"$(cat "$D/supervisor.log")"
	fi
	[ "$ip" = "$ip0" ] && ok "$pod kept its IP $ip0" || fail "$pod kept its IP" "$ip0 -> $ip"
	[ -n "$t_rejoin" ] && ok "$pod: broker rejoined (lists 3 brokers) in $t_rejoin s" ||
		fail "$pod: broker rejoined" "$(tail -5 "$D/logs/$pod/main.log")"
}
read -r _ ip1 _ pid1 < <(echo "$P" | grep '^kafka-1 ')
t0=$(now)
kill -9 "$pid1"
restart_check kafka-1 "kill -9 of its JVM" "$pid1" "$ip1"
t_restart1=$t_cont t_rejoin1=$t_rejoin
agent_restarted kafka-1 "$cid1"

# The same through the agent: a container-kill fault (CRI StopContainer, SIGKILL at once).
read -r _ ip2 _ pid2 < <(pods "$D" | grep '^kafka-2 ')
t0=$(now)
code=$(curl -s -o "$tmp/kill.json" -w '%{http_code}' --unix-socket "$D/agent.sock" \
	-H 'content-type: application/json' -X POST http://lab/v1/faults \
	-d '{"kind":"container-kill","target":{"pod":"streamforge/kafka-2","container":"main"},"kill":{"gracePeriod":"0s"}}')
[ "$code" = 201 ] && ok "agent accepted a container-kill of streamforge/kafka-2" ||
	fail "agent container-kill of kafka-2" "HTTP $code $(cat "$tmp/kill.json")"
restart_check kafka-2 "agent container-kill" "$pid2" "$ip2"
t_restart2=$t_cont t_rejoin2=$t_rejoin
agent_restarted kafka-2 "$cid2"
echo "    kafka-2 as the agent lists it after the restart:"
curl -sf --unix-socket "$D/agent.sock" http://lab/v1/pods |
	jq -c '.pods[] | select(.name == "kafka-2")' | sed 's/^/    /'
# (its exit status also says whether every pipeline pod runs right now: not what is tested)
LAST=$("$FL" lab status --dir "$D" 2>&1)
st=$(echo "$LAST" | grep -E '^pod streamforge/kafka-[0-9] ' | sed -E 's/.* restarts ([^ ]+) .*/\1/' | tr '\n' ' ')
[ "$st" = "0 1 1 " ] && ok "lab status: restarts 0 1 1 for kafka-0..2" ||
	fail "lab status: restarts 0 1 1 for kafka-0..2" "got: $st" "$LAST"
SOCK=$D/containerd/containerd.sock
expect "labctl start refuses ATTEMPT -1" 2 "ATTEMPT -1: expected a number 0..4294967295" \
	"$LABCTL" "$SOCK" start "$cid2" "$tmp" "$tmp/no.spec" -1
expect "labctl start refuses ATTEMPT 4294967296" 2 "ATTEMPT 4294967296: expected" \
	"$LABCTL" "$SOCK" start "$cid2" "$tmp" "$tmp/no.spec" 4294967296
got=$("$LAB" exec --dir "$D" kcat -C -b "$BOOT" -t lab-test -o beginning -e -q 2>/dev/null | grep -c .)
[ "$got" = 100 ] && ok "the records are still all there" || fail "the records are still there" "$got"

# ---- down ----------------------------------------------------------------------------------
pids=$(lab_pids "$D")
ns=$(netns_of "$D")
t0=$(now)
expect "faultline lab down" 0 "lab down" "$FL" lab down --dir "$D"
t_down=$(secs "$t0" "$(now)")
# shellcheck disable=SC2086
check_gone "down" "$D" "$ns" $pids
expect "lab status after down says not running" 1 "not running" "$FL" lab status --dir "$D"
expect "lab down again is a no-op" 0 "no lab" "$FL" lab down --dir "$D"

# ---- down after kill -9 of containerd, the supervisor and the agent --------------------------
t0=$(now)
expect "lab up (second)" 0 "lab up in $D2" "$LAB" up --dir "$D2"
t_up2=$(secs "$t0" "$(now)")
pids=$(lab_pids "$D2")
ns=$(netns_of "$D2")
kill -9 "$(cat "$D2/containerd/containerd.pid")" "$(cat "$D2/supervisor.pid")" "$(cat "$D2/agent.pid")"
sleep 0.5
t0=$(now)
expect "lab down after kill -9" 0 "lab down" "$LAB" down --dir "$D2"
t_down2=$(secs "$t0" "$(now)")
# shellcheck disable=SC2086
check_gone "down after kill -9" "$D2" "$ns" $pids

echo "measured: up $t_up s, down $t_down s; kill -9: container restart ${t_restart1:-?} s," \
	"broker rejoin ${t_rejoin1:-?} s; agent container-kill: restart ${t_restart2:-?} s," \
	"rejoin ${t_rejoin2:-?} s; second up $t_up2 s, down after kill -9 $t_down2 s"
rm -rf "$tmp"
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
