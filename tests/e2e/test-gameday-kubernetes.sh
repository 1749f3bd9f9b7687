#!/bin/bash
# The gameday on the Kubernetes lab (issue 12), end to end, judged from its outputs:
#  1. `lab.sh up --kubernetes` in a temporary DIR: the one-node cluster, a KRaft controller on
#     the node's network, 3 broker pods (kcat -L from the host lists 3 brokers at pod IPs),
#     `workflow` with 3 replicas, the loader Job and the connector Deployment moving records,
#     the agent DaemonSet answering /v1/health over mutual TLS.
#  2. The suite experiments/lab-k8s/gameday.yaml.in: pod-delete of a loader-*/connector-* pod
#     through the API (effect: the deleted uid gone, a replacement Ready), network-latency on
#     both pipeline pods through the agent DaemonSet found on their node (effect: the
#     pipeline's p50 latency up by >= 160 ms), kafka-broker-failure on the workflow leader's
#     pod (kafkaLeader; effect: the leader changed); from the journal: all passed, every fault
#     where it says, integrity lost 0, nothing left.
#  3. Negative: the broker-failure experiment aimed at a broker that does NOT lead the
#     partition must deviate on its effect check (the leader did not change): the check can fail.
#  4. `down`: nothing of the lab left — processes naming DIR, the host link and route of its
#     slot, the /flk8sN cgroups, mounts under DIR, DIR.
# Budget ≤ 5 min. Under CI=true a missing component fails.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BUILD=${BUILD:-build}
LAB=$ROOT/lab/lab.sh
FL=$ROOT/$BUILD/faultline
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

skip() {
	if is_ci; then
		fail "prerequisites" "$1 (CI=$CI: a missing component is a failure)"
		summary
		exit 1
	fi
	echo "skip gameday-kubernetes: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root"
for t in "$FL" "$BUILD/faultline-agent" "$BUILD/lab/loader" "$BUILD/lab/connector"; do
	[ -x "$t" ] || skip "$t is not built (make all)"
done
for c in kcat java certtool ctr curl python3; do
	command -v "$c" >/dev/null || skip "$c is not installed"
done
bins=$(bash scripts/k8s-build.sh --print-dir 2>/dev/null)/bin
if ! [ -x "$bins/kubelet" ] || ! [ -x "$bins/kubectl" ]; then
	skip "no Kubernetes binaries (scripts/k8s-build.sh)"
fi
make -s image >/dev/null 2>&1 || skip "make image failed"

tmp=$(mktemp -d /tmp/fl-gameday-k8s-XXXXXX)
D=$tmp/lab
cleanup() {
	"$LAB" down --kubernetes --dir "$D" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
kc() { "$LAB" kubectl --kubernetes --dir "$D" "$@"; }
secs() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- 1. up -------------------------------------------------------------------------------
t0=$(date +%s.%N)
if "$LAB" up --kubernetes --dir "$D" >"$tmp/up.log" 2>&1; then
	ok "up --kubernetes in $(secs "$t0") s: $(grep -c . "$tmp/up.log") lines, last: $(tail -1 "$tmp/up.log" | cut -c1-80)"
else
	fail "up --kubernetes" "$(tail -20 "$tmp/up.log")"
	summary
	exit 1
fi
slot=$(cat "$D/cluster/slot")
b=$(cat "$D/bootstrap")
meta=$(kcat -L -b "${b%%,*}" -t workflow -m 5 2>&1)
pod_ips=$(kc -n streamforge get pods -l app=kafka -o jsonpath='{.items[*].status.podIP}')
n_at_pods=0
for ip in $pod_ips; do grep -q "at $ip:9092" <<<"$meta" && n_at_pods=$((n_at_pods + 1)); done
if grep -q '^ 3 brokers:' <<<"$meta" && [ "$n_at_pods" = 3 ] &&
	grep -q 'partition 0, leader [0-2], replicas: [0-2],[0-2],[0-2], isrs: [0-2],[0-2],[0-2]$' <<<"$meta"; then
	ok "kcat from the host: 3 brokers at the 3 pod IPs ($pod_ips); workflow 3 replicas, 3 in sync"
else
	fail "brokers" "pod IPs: $pod_ips" "$meta"
fi
acked1=$(wc -l <"$D/pipeline/loader/acked")
sleep 2
acked2=$(wc -l <"$D/pipeline/loader/acked")
jobpods=$(kc -n streamforge get pods -l app=loader -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}')
deppods=$(kc -n streamforge get pods -l app=connector -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}')
if [ "$acked2" -gt "$acked1" ] && [ "$jobpods" = Job ] && [ "$deppods" = ReplicaSet ] &&
	compgen -G "$D/pipeline/connector/sink/blk-*" >/dev/null; then
	ok "pipeline: the loader (owned by a Job) acknowledged $((acked2 - acked1)) records in 2 s; the connector (owned by a ReplicaSet) fills the sink"
else
	fail "pipeline" "acked $acked1 -> $acked2, loader owner '$jobpods', connector owner '$deppods'"
fi
C=$D/agent-tls
node_ip=10.250.$slot.1
if curl -sf --cert "$C/client.crt" --key "$C/client.key" --cacert "$C/ca.crt" \
	"https://$node_ip:9443/v1/health" | grep -q '"status": *"ok"' &&
	[ "$(kc -n faultline get ds faultline-agent -o jsonpath='{.status.numberReady}')" = 1 ]; then
	ok "the agent DaemonSet (deploy/, make image's image) Ready and healthy at https://$node_ip:9443"
else
	fail "agent" "$(kc -n faultline get pods -o wide 2>&1)"
fi

# ---- 2. the suite ------------------------------------------------------------------------
"$LAB" render --kubernetes --dir "$D" "$tmp/exp" >/dev/null
t0=$(date +%s.%N)
"$FL" run "$tmp/exp/gameday.yaml" --kubeconfig "$D/kubeconfig" --seed 1 --quiet \
	--journal "$tmp/journal.json" >"$tmp/run.log" 2>&1
rc=$?
verdict=$(python3 - "$tmp/journal.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
out = []
for e in d["experiments"]:
    fs = e["faults"]
    eff = [c for c in e["checks"] if c["phase"] == "effect"]
    lost = [c for c in e["checks"] if c["probe"] == "records-lost"]
    ok = (e["outcome"] == "passed" and fs and all(f["inject"]["result"] == "ok" for f in fs)
          and eff and all(c["verdict"] == "pass" for c in eff)
          and lost and lost[0]["verdict"] == "pass" and lost[0]["observed"] == 0
          and not e["leftovers"])
    # pod-delete: the API deleted the pod named; an agent fault: which agent, reverted.
    how = ",".join(f["request"]["pod"]["name"] if f["agent"] == "kubernetes"
                   else "%s@%s:%s" % (f["target"].split("/")[-1].split("-")[0], f["agent"],
                                      f["revert"]["result"]) for f in fs)
    out.append("%s %s %s %s effects=[%s]" % ("OK" if ok else "BAD", e["name"], e["outcome"], how,
               "; ".join(c["message"] for c in eff)))
print("\n".join(out))
PY
)
if [ "$rc" = 0 ] && [ "$(grep -c '^OK ' <<<"$verdict")" = 3 ] &&
	grep -q '^OK pod-delete passed \(loader-\|connector-\)' <<<"$verdict" &&
	grep -Eq '^OK network-latency passed (connector|loader)@node/node1:ok,(connector|loader)@node/node1:ok ' <<<"$verdict" &&
	grep -q '^OK kafka-broker-failure passed kafka-[0-2] ' <<<"$verdict"; then
	ok "suite passed in $(secs "$t0") s, through the API:"$'\n'"     ${verdict//$'\n'/$'\n'     }"
else
	fail "suite" "exit $rc" "$verdict" "$(tail -30 "$tmp/run.log")"
fi

# ---- 3. negative: a broker that does not lead --------------------------------------------
# Rendered again first: the replaced broker's old pod IP is dead (the bootstrap as it is now).
"$LAB" render --kubernetes --dir "$D" "$tmp/exp2" >/dev/null
leader=$(kcat -L -b "$(cat "$D/bootstrap")" -t workflow -m 5 2>/dev/null |
	sed -n 's/.*partition 0, leader \([0-9]\).*/\1/p')
[ -n "$leader" ] || fail "negative: the workflow partition's leader" "kcat -L -b $(cat "$D/bootstrap") found none"
other=$(((${leader:-0} + 1) % 3))
# Only the effect check matters here: the pause for the broker's return is cut short.
sed -e "s|kafkaLeader: {topic: workflow, partition: 0}|names: kafka-$other|" \
	-e 's|^    - pause: 45s$|    - pause: 1s|' "$tmp/exp2/kafka-broker-failure.yaml" >"$tmp/exp2/negative.yaml"
"$FL" run "$tmp/exp2/negative.yaml" --kubeconfig "$D/kubeconfig" --quiet \
	--journal "$tmp/negative.json" >"$tmp/negative.log" 2>&1
rc=$?
neg=$(python3 - "$tmp/negative.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
c = [c for c in e["checks"] if c["probe"] == "leader-moved"]
print(e["outcome"], e["faults"][0]["request"]["pod"]["name"], c[0]["verdict"] if c else "-",
      c[0]["message"] if c else "")
PY
)
if [ "$rc" = 1 ] && [[ "$neg" == "deviated kafka-$other fail "* ]]; then
	ok "negative: kafka-$other (not the leader, broker $leader is) deleted → leader-moved fails: ${neg#* * fail }"
else
	fail "negative" "exit $rc; $neg" "$(tail -15 "$tmp/negative.log")"
fi

# ---- 4. down -----------------------------------------------------------------------------
t0=$(date +%s.%N)
"$LAB" down --kubernetes --dir "$D" >"$tmp/down.log" 2>&1
rc=$?
took=$(secs "$t0")
left=""
for p in /proc/[0-9]*; do
	tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF "$D" && left+=" pid ${p#/proc/}"
done
ip link show "flk8s$slot" >/dev/null 2>&1 && left+=" link flk8s$slot"
[ -z "$(ip route show "10.244.$slot.0/24")" ] || left+=" route 10.244.$slot.0/24"
for h in /sys/fs/cgroup/*/flk8s"$slot"; do [ -d "$h" ] && left+=" cgroup $h"; done
grep -qF " $D" /proc/self/mountinfo && left+=" mounts under $D"
[ -e "$D" ] && left+=" $D"
if [ "$rc" = 0 ] && [ -z "$left" ]; then
	ok "down in $took s: no process, link, route, cgroup, mount or DIR left"
else
	fail "down" "exit $rc; left:$left" "$(cat "$tmp/down.log")"
fi
summary
