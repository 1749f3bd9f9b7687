#!/bin/bash
# The one-node cluster of the tests (tests/lib/kube-cluster.sh), with curl and the admin
# token against the real API, from the host over the node's veth: node1 Ready; a
# Deployment of 2 busybox pods in a namespace of this test, both Ready and serving HTTP to
# the host at their pod IPs; a deleted pod replaced by one with a new uid, Ready (3 rounds,
# the time from DELETE printed); a Job Complete; the namespace deleted. It uses the tier's
# cluster ($FL_KUBE_CLUSTER, tests/run.sh) when there is one, else starts its own.
# Then a cluster of its own in a temporary DIR is started and stopped, and independent
# witnesses (/proc, `ip -j`, /sys/fs/cgroup, /proc/sys) find nothing of it left: no process
# naming DIR, no mount under DIR in any mount namespace, no host link, no route to its pod
# CIDR, no cgroup, the host's sysctls as before. Each witness is first run before the stop
# and must see what it looks for. Under CI=true a cluster that cannot start is a failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/kubetest.sh
. tests/lib/kubetest.sh
SYSCTLS="vm/overcommit_memory kernel/panic kernel/panic_on_oops"
own= own2=

cleanup() {
	[ -z "$own" ] || bash "$KC" stop "$own" --purge
	[ -z "$own2" ] || bash "$KC" stop "$own2" --purge
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || skip "needs root (namespaces, cgroups, a host link)"
for t in curl python3 ip; do
	command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps.sh)"
done
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# ---- the API, with curl --------------------------------------------------------------
# Python reads the JSON: one line per pod "uid ready ip", pods being deleted left out.
pods() { # selector
	api GET "/api/v1/namespaces/$NS/pods?labelSelector=$1" | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    if p["metadata"].get("deletionTimestamp"): continue
    ready = any(c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", []))
    print(p["metadata"]["uid"], "ready" if ready else "not-ready",
          p["status"].get("podIP", "-"), p["metadata"]["name"])'
}
until_true() { # seconds command...: poll every 0.1 s
	local end
	end=$(awk -v t="$(now)" -v s="$1" 'BEGIN { printf "%.0f", t * 10 + s * 10 }')
	shift
	while ! "$@"; do
		[ "$(awk -v t="$(now)" 'BEGIN { printf "%.0f", t * 10 }')" -lt "$end" ] || return 1
		sleep 0.1
	done
}
two_ready_without() { # uid: 2 Ready pods, none of them the uid
	local l
	l=$(pods app=sleeper) || return 1
	[ "$(grep -c ' ready ' <<<"$l")" -eq 2 ] && ! grep -q "^$1 " <<<"$l"
}

deployment() {
	cat <<JSON
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "sleeper"},
 "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "sleeper"}},
  "template": {"metadata": {"labels": {"app": "sleeper"}},
   "spec": {"terminationGracePeriodSeconds": 1, "containers": [{"name": "c",
    "image": "localhost/faultline-test/busybox:1", "imagePullPolicy": "Never",
    "command": ["sh", "-c", "httpd -p 8080 -h /etc; exec sleep 3600"]}]}}}}
JSON
}
job() {
	cat <<JSON
{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
 "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
  "terminationGracePeriodSeconds": 1, "containers": [{"name": "c",
   "image": "localhost/faultline-test/busybox:1", "imagePullPolicy": "Never",
   "command": ["sh", "-c", "echo done"]}]}}}}
JSON
}

# ---- the cluster: the tier's, else one of this test's --------------------------------
if [ -n "${FL_KUBE_CLUSTER:-}" ]; then
	D=$FL_KUBE_CLUSTER
	echo "the tier's cluster: $D"
else
	own=$(mktemp -d /tmp/fl-kc-test-XXXXXX)
	t0=$(now)
	bash "$KC" start "$own" --owner $$ || skip "tests/lib/kube-cluster.sh start failed"
	echo "own cluster started in $(since "$t0") s"
	D=$own
fi
[ -s "$D/server" ] && [ -s "$D/admin.token" ] || skip "no cluster in $D"
NS=fl-kc-$$-$RANDOM

node_ready() {
	api GET /api/v1/nodes/node1 | python3 -c '
import json, sys
n = json.load(sys.stdin)
sys.exit(not any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]))'
}
if node_ready; then ok "node1 is Ready"; else fail "node1 is Ready" "$(api GET /api/v1/nodes/node1)"; fi
expect "the nobody token may not list pods" 22 "403" \
	curl -sS -f --cacert "$D/ca.crt" -H "Authorization: Bearer $(cat "$D/nobody.token")" \
	"$(cat "$D/server")/api/v1/pods"

api POST /api/v1/namespaces "{\"metadata\": {\"name\": \"$NS\"}}" >/dev/null &&
	ok "namespace $NS created" || fail "namespace $NS created"
t0=$(now)
api POST "/apis/apps/v1/namespaces/$NS/deployments" "$(deployment)" >/dev/null ||
	fail "Deployment created"
if until_true 60 two_ready_without none; then
	ok "Deployment: 2 pods Ready in $(since "$t0") s"
else
	fail "Deployment: 2 pods Ready" "$(pods app=sleeper)"
fi

# The host reaches a pod at its IP: the route through the node, the CNI bridge.
ip=$(pods app=sleeper | awk 'NR == 1 { print $3 }')
expect "the host reaches pod $ip over HTTP" 0 "root:x:0:0" \
	curl -sS --max-time 5 "http://$ip:8080/passwd"

times=()
for round in 1 2 3; do
	read -r uid _ _ name < <(pods app=sleeper | head -1)
	t0=$(now)
	api DELETE "/api/v1/namespaces/$NS/pods/$name" >/dev/null
	if until_true 60 two_ready_without "$uid"; then
		times+=("$(since "$t0")")
		ok "round $round: $name deleted, a new uid Ready ${times[-1]} s after the DELETE"
	else
		fail "round $round: replacement of $name Ready" "$(pods app=sleeper)"
	fi
done
[ ${#times[@]} -eq 0 ] ||
	echo "DELETE -> replacement Ready: $(printf '%s\n' "${times[@]}" | sort -n | head -1)" \
		"- $(printf '%s\n' "${times[@]}" | sort -n | tail -1) s over ${#times[@]} rounds"

job_complete() {
	api GET "/apis/batch/v1/namespaces/$NS/jobs/once" | python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(not any(c["type"] == "Complete" and c["status"] == "True"
                 for c in j.get("status", {}).get("conditions", [])))'
}
t0=$(now)
api POST "/apis/batch/v1/namespaces/$NS/jobs" "$(job)" >/dev/null || fail "Job created"
if until_true 60 job_complete; then ok "Job Complete in $(since "$t0") s"
else fail "Job Complete" "$(api GET "/apis/batch/v1/namespaces/$NS/jobs/once")"; fi

# The pods first, without grace: the namespace controller then finds nothing to wait for
# (with them still there it retries on a back-off: ~8 s).
api DELETE "/apis/apps/v1/namespaces/$NS/deployments/sleeper" >/dev/null
api DELETE "/api/v1/namespaces/$NS/pods?gracePeriodSeconds=0" >/dev/null
ns_gone() { ! api GET "/api/v1/namespaces/$NS" >/dev/null 2>&1; }
t0=$(now)
api DELETE "/api/v1/namespaces/$NS" >/dev/null
if until_true 60 ns_gone; then ok "namespace $NS deleted in $(since "$t0") s"
else fail "namespace $NS deleted" "$(api GET "/api/v1/namespaces/$NS")"; fi
if [ -n "$own" ]; then
	bash "$KC" stop "$own" --purge
	own=
fi

# ---- nothing left: witnesses that owe nothing to kube-cluster.sh ---------------------
# Each prints what it finds, nothing when nothing is left.
procs_naming() { # dir
	local p
	for p in /proc/[0-9]*; do
		tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF "$1" && echo "${p#/proc/}"
	done
}
# In every mount namespace a process is in, a mount whose mount point or whose source (a
# bind mount of DIR/run shows /run, from DIR/run) names DIR's unique base name.
mounts_of() { # dir
	local p
	for p in /proc/self /proc/[0-9]*; do
		awk -v d="$(basename "$1")" 'index($4, d) || index($5, d) { print $4, $5 }' \
			2>/dev/null <"$p/mountinfo"
	done | sort -u
}
link_named() { ip -j link show | python3 -c '
import json, sys
print("\n".join(l["ifname"] for l in json.load(sys.stdin) if l["ifname"] == sys.argv[1]))' "$1"; }
route_to() { ip -j route show | python3 -c '
import json, sys
print("\n".join(r["dst"] for r in json.load(sys.stdin) if r["dst"] == sys.argv[1]))' "$1"; }
cgroups_of() { # cgroup root name: it, and kubelet's default /kubepods (never ours)
	ls -d /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/*/kubepods 2>/dev/null
}
sysctl_values() { local s; for s in $SYSCTLS; do echo "$s=$(cat "/proc/sys/$s")"; done; }
sysctls_changed() { diff <(echo "$1") <(sysctl_values) | grep '^[<>]'; }

before=$(sysctl_values)
own2=$(mktemp -d /tmp/fl-kc-own-XXXXXX)
t0=$(now)
if ! bash "$KC" start "$own2" --owner $$; then
	fail "a second cluster starts" "see above"
	summary
	exit
fi
echo "cold start -> node1 Ready: $(since "$t0") s"
# shellcheck source=/dev/null
. "$own2/env"
echo "its host link $FL_KUBE_LINK, pod CIDR $FL_KUBE_POD_CIDR, cgroups /$FL_KUBE_CGROUP"
rss=$(for f in "$own2"/*.pid; do ps -o rss= -p "$(cat "$f")"; done | awk '{ s += $1 } END { print int(s / 1024) }')
echo "RSS of the cluster's processes (holder, etcd, apiserver, kcm, scheduler, containerd, kubelet): $rss MB"

seen() { # name output
	if [ -n "$2" ]; then ok "witness sees the running cluster: $1"
	else fail "witness sees the running cluster: $1" "it found nothing"; fi
}
# A pod, so that the stop has containers, shims and pod cgroups to remove.
D=$own2 NS=default
t0=$(now)
api POST /api/v1/namespaces/default/pods '{"metadata": {"name": "p", "labels": {"app": "p"}},
 "spec": {"terminationGracePeriodSeconds": 1, "containers": [{"name": "c",
  "image": "localhost/faultline-test/busybox:1", "imagePullPolicy": "Never"}]}}' >/dev/null
one_ready() { pods app=p | grep -q ' ready '; }
if until_true 60 one_ready; then ok "a pod Ready on the second cluster in $(since "$t0") s"
else fail "a pod Ready on the second cluster" "$(pods app=p)"; fi
# Its processes, known by the cgroups kubelet made, as "pid start-time" (a PID may be reused).
pod_procs() { # cgroup root name
	local p
	for p in $(cat /sys/fs/cgroup/pids/"$1"/kubepods/*/pod*/*/cgroup.procs \
		/sys/fs/cgroup/pids/"$1"/kubepods/pod*/*/cgroup.procs 2>/dev/null); do
		echo "$p $(awk '{ print $22 }' "/proc/$p/stat" 2>/dev/null)"
	done
}
alive_of() { # "pid start-time" lines: those still alive
	local p st
	while read -r p st; do
		[ "$(awk '{ print $22 }' "/proc/$p/stat" 2>/dev/null)" = "$st" ] && echo "$p"
	done <<<"$1"
}
pod_pids=$(pod_procs "$FL_KUBE_CGROUP")

# The witnesses see a running cluster (each is shown able to fail).
seen "the pod's processes" "$(alive_of "$pod_pids")"
seen "processes naming DIR" "$(procs_naming "$own2")"
seen "mounts of DIR (in the node's mount namespace)" "$(mounts_of "$own2")"
seen "host link $FL_KUBE_LINK" "$(link_named "$FL_KUBE_LINK")"
seen "route to $FL_KUBE_POD_CIDR" "$(route_to "$FL_KUBE_POD_CIDR")"
seen "cgroups /$FL_KUBE_CGROUP" "$(cgroups_of "$FL_KUBE_CGROUP")"
seen "a changed sysctl (against a wrong expectation)" \
	"$(sysctls_changed "$(echo "$before" | sed 's/^kernel\/panic=.*/kernel\/panic=99/')")"
expect "the host's sysctls unchanged while the node runs" 1 "" sysctls_changed "$before"

t0=$(now)
bash "$KC" stop "$own2"
echo "stop: $(since "$t0") s"
none() { # name output
	if [ -z "$2" ]; then ok "nothing left: $1"; else fail "nothing left: $1" "$2"; fi
}
none "processes naming DIR" "$(procs_naming "$own2")"
none "the pod's processes" "$(alive_of "$pod_pids")"
none "mounts of DIR" "$(mounts_of "$own2")"
none "host link $FL_KUBE_LINK" "$(link_named "$FL_KUBE_LINK")"
none "route to $FL_KUBE_POD_CIDR" "$(route_to "$FL_KUBE_POD_CIDR")"
none "cgroups /$FL_KUBE_CGROUP or /kubepods" "$(cgroups_of "$FL_KUBE_CGROUP")"
none "a changed host sysctl" "$(sysctls_changed "$before")"
rm -rf "$own2"
own2=
summary
