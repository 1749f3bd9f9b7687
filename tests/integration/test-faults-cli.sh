#!/bin/bash
# `faultline faults ...` against a real faultline-agent: inject (flags and --json), list,
# get, renew, revert, emergency stop, health, capabilities, and precise errors. Root: the
# agent injects into a network namespace this script creates (and removes, whatever happens).
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FL=$BUILD/faultline
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

if [ "$(id -u)" -ne 0 ]; then
	if is_ci; then echo "FAIL faults CLI: needs root"; echo "0 passed, 1 failed"; exit 1; fi
	echo "skip faults CLI: needs root"; echo "0 passed, 0 failed, 1 skipped"; exit 0
fi
dir=$(mktemp -d /tmp/fl-cli-XXXXXX)
ns=flcli-$$
agent_pid=
listener_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	# shellcheck disable=SC2086 # two PIDs
	[ -n "$listener_pid" ] && kill $listener_pid 2>/dev/null && wait $listener_pid 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	ip netns del "$ns-peer" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up
"$BUILD/faultline-agent" --unix-socket="$dir/agent.sock" --ledger-dir="$dir/ledger" \
	--cri-socket= --netns-dir= 2>"$dir/agent.log" &
agent_pid=$!
export FAULTLINE_AGENT=unix:$dir/agent.sock
for _ in $(seq 100); do "$FL" faults health >/dev/null 2>&1 && break; sleep 0.05; done

expect "health" 0 '"status": "ok"' "$FL" faults health
expect "capabilities" 0 '"mechanisms"' "$FL" faults capabilities
expect "inject with flags" 0 '"mechanism": "nftables"' \
	"$FL" faults inject --kind loss --netns "/run/netns/$ns" --duration 60s --lease 30s \
	--percent 5% --id cli-loss --owner "cli test"
expect "inject with --json" 0 '"id": "cli-part"' "$FL" faults inject --json \
	"{\"id\":\"cli-part\",\"kind\":\"partition\",\"target\":{\"netns\":\"/run/netns/$ns\"},\"duration\":\"60s\",\"to\":[\"10.0.0.0/8\"]}"
expect "list shows both" 0 '"cli-part"' "$FL" faults list
expect "get" 0 '"owner": "cli test"' "$FL" faults get cli-loss
expect "renew" 0 '"lease": "45s"' "$FL" faults renew cli-loss --lease 45s
expect "duplicate id is 409" 2 "answered 409" "$FL" faults inject --kind loss \
	--netns "/run/netns/$ns" --duration 60s --percent 5% --id cli-loss
expect "bad field names it" 2 'loss.percent: "500%" is above 100%' "$FL" faults inject --kind loss \
	--netns "/run/netns/$ns" --duration 60s --percent 500%
expect "revert" 0 '"state": "reverted"' "$FL" faults revert cli-loss
expect "revert unknown is 404" 2 "answered 404" "$FL" faults revert cli-loss
expect "emergency stop" 0 '"reverted": 1' "$FL" faults stop
expect "refused while stopped" 2 "answered 503" "$FL" faults inject --kind loss \
	--netns "/run/netns/$ns" --duration 60s --percent 5%
expect "stop --clear" 0 '"emergencyStop": false' "$FL" faults stop --clear
expect "unreachable agent" 2 "cannot connect to /nonexistent.sock: No such file or directory" "$FL" faults list --agent unix:/nonexistent.sock
expect "kind required" 64 "--kind is required" "$FL" faults inject --netns /x

# --verify-wire: a TCP listener in a peer namespace behind a veth, and one on the loopback.
ip netns add "$ns-peer" && ip -n "$ns-peer" link set lo up
ip link add flcli$$a netns "$ns" type veth peer name flcli$$b netns "$ns-peer"
ip -n "$ns" addr add 10.9.7.1/24 dev flcli$$a && ip -n "$ns" link set flcli$$a up
ip -n "$ns-peer" addr add 10.9.7.2/24 dev flcli$$b && ip -n "$ns-peer" link set flcli$$b up
ip netns exec "$ns-peer" /usr/bin/python3 -c 'import socket, time
a = socket.socket(); a.bind(("10.9.7.2", 9092)); a.listen(64)
b = socket.socket(); b.bind(("127.0.0.1", 9092)); b.listen(64)
time.sleep(300)' &
listener_pid=$!
ip netns exec "$ns" /usr/bin/python3 -c 'import socket, time
b = socket.socket(); b.bind(("127.0.0.1", 9092)); b.listen(64)
time.sleep(300)' &
listener_pid="$listener_pid $!"
for _ in $(seq 100); do ip netns exec "$ns" ss -Hltn 2>/dev/null | grep -q 127.0.0.1:9092 && \
	ip netns exec "$ns-peer" ss -Hltn 2>/dev/null | grep -q 10.9.7.2:9092 && break; sleep 0.05; done
expect "--verify-wire shows the partition on the wire" 0 '"faulted": "connect timed out after 1000 ms"' \
	"$FL" faults inject --kind partition --netns "/run/netns/$ns" --duration 60s \
	--to 10.9.7.2:9092 --verify-wire --id cli-wire
expect "get keeps the wire figures" 0 '"baselineMs"' "$FL" faults get cli-wire
expect "revert the checked one" 0 '"state": "reverted"' "$FL" faults revert cli-wire
# nftables faults exempt the loopback ("oifname lo accept"): a partition of a loopback
# destination is accepted by the kernel and changes nothing on the wire.
expect "--verify-wire sees a partition of the loopback do nothing" 2 \
	"the fault has no effect on this path (reverted)" \
	"$FL" faults inject --kind partition --netns "/run/netns/$ns" --duration 60s \
	--to 127.0.0.1:9092 --verify-wire
expect "--verify-wire where nobody listens cannot judge" 2 \
	"answered 422: wire check: cannot judge 127.0.0.1:9: connect before the fault failed (Connection refused: nothing listens there); nothing was changed" \
	"$FL" faults inject --kind partition --netns "/run/netns/$ns" --duration 60s \
	--to 127.0.0.1:9 --verify-wire
expect "--verify-wire on loss is 400" 2 "verify: not allowed for kind loss" \
	"$FL" faults inject --kind loss --netns "/run/netns/$ns" --duration 60s --percent 5% \
	--to 127.0.0.1:9092 --verify-wire

# Judged by nft itself (not the agent's code); an nft that cannot list is a failure, not "0".
if tables=$(ip netns exec "$ns" nft list tables 2>&1); then
	left=$(echo "$tables" | grep -E '^table inet faultline_')
	[ -z "$left" ] && ok "nothing left in the namespace (nft list tables)" ||
		fail "nothing left in the namespace" "$left"
else
	fail "nft list tables in the namespace" "$tables"
fi
summary
