#!/bin/bash
# Agents found per node, for real, on the one-node cluster of the tests
# (tests/lib/kube-cluster.sh; the tier's, $FL_KUBE_CLUSTER, or one of its own) — and the
# agent DaemonSet of deploy/ running the image `make image` builds:
#   deploy     the agent image imported into the node's containerd; a CA, a server
#              certificate with the node IP in its SANs and a client certificate, as the
#              Secrets deploy/agent/README.md names; deploy/ rendered by the cache's kubectl
#              (kustomize) and applied: the agent pod Ready on node1, on the host network
#              (hostIP = node IP), answering /v1/health over mutual TLS
#   plan       a pods target (a busybox httpd Deployment) shows "on agent node/node1" and
#              its faults "via agent node/node1"
#   run        a partition of the target from a peer pod (verify.wire: the agent sees its
#              connects time out) and a 300 ms delay of its packets to the host (the effect
#              check: an http probe from the host is slower by >= 200 ms) pass; the journal
#              names agent node/node1, inject and revert ok
#   witness    `nft -j list ruleset` inside the target pod's network namespace (entered
#              through its container's PID, from containerd): Faultline's tables seen there
#              during the run, nothing of Faultline after it
#   no agent   an agent selector that matches nothing: plan exits 2 naming node1 ("no Ready
#              agent")
#   bad cert   a client certificate from another CA: the run errors (exit 2, the agent's
#              403) and nothing is injected (journal, nft)
# Everything made here is removed at the end (the test's namespace, deploy/'s objects, the
# node's ledger and socket folders, the imported image when it was not there before, the
# certificates), so the tier's cluster is left as it was found.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
FL=${FAULTLINE:-$ROOT/build/faultline}
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/kubetest.sh
. tests/lib/kubetest.sh
NS=fl-kube-agents-$$
AGENT_SEL=app.kubernetes.io/name=faultline-agent
own='' tmp=$(mktemp -d) D='' applied='' image_was_there=1 node_dirs=''

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
kc() { "$KUBECTL" --kubeconfig "$D/kubeconfig" --request-timeout=20s "$@"; }
ctr_node() { ctr --address "$(cat "$D/cri")" -n k8s.io "$@"; }

# Removes what the test made; prints how long the namespaces took. Run once at the end (a
# check) and again by the trap after a failure (then it is a no-op for what is gone).
teardown() {
	[ -n "$D" ] || return 0
	kc delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1
	[ -z "$applied" ] || kc delete -f "$tmp/deploy.yaml" --ignore-not-found --wait=false \
		>/dev/null 2>&1
	kc wait --for=delete "namespace/$NS" namespace/faultline --timeout=60s >/dev/null 2>&1
	# The agent's hostPath folders, in the node's mount namespace (kube-cluster.sh: its
	# /var/lib and /run are DIR's varlib and run): only those this test made.
	for d in $node_dirs; do rm -rf "${D:?}/$d"; done
	node_dirs=
	[ "$image_was_there" = 1 ] || ctr_node images rm "$AGENT_IMAGE" >/dev/null 2>&1
	image_was_there=1 applied=
}
cleanup() {
	teardown
	[ -z "$own" ] || bash "$KC" stop "$own" --purge
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || skip "needs root (the cluster's namespaces)"
[ -x "$FL" ] || skip "$FL is not built (make)"
for c in certtool ctr nsenter nft python3 curl; do
	command -v "$c" >/dev/null || skip "$c is not installed"
done
KUBECTL=$(bash scripts/k8s-build.sh --print-dir 2>/dev/null)/bin/kubectl
[ -x "$KUBECTL" ] || skip "no kubectl in the Kubernetes cache (scripts/k8s-build.sh)"

t_all=$(now)
kube_cluster "$tmp/cluster"
# shellcheck disable=SC1091
. "$D/env"
NODE_IP=$FL_KUBE_NODE_IP HOST_IP=$FL_KUBE_HOST_IP
if kc get namespace faultline >/dev/null 2>&1; then
	D= # not ours: leave it alone
	fail "setup" "namespace faultline already exists in the cluster (another agent install?)"
	summary
	exit 1
fi

# ---- the image ----------------------------------------------------------------------------
# `make image` rewrites the archives every time (0.7 s); reuse them when newer than the
# agent binary, which is what goes in.
eval "$(make -s print-image-names)"
if ! [ "$AGENT_IMAGE_TAR" -nt build/faultline-agent ]; then
	make -s image >"$tmp/make-image.log" 2>&1 || skip "make image failed: $(tail -3 "$tmp/make-image.log")"
fi
ctr_node images ls -q | grep -qxF "$AGENT_IMAGE" || image_was_there=0
ctr_node images import "$AGENT_IMAGE_TAR" >"$tmp/import.log" 2>&1 ||
	skip "cannot import $AGENT_IMAGE_TAR into the node: $(cat "$tmp/import.log")"

# ---- TLS, as deploy/agent/README.md says ---------------------------------------------------
mk_certs() {
	local c=$tmp/certs k
	mkdir -p "$c" && cd "$c" || return 1
	printf 'cn = "faultline test CA"\nca\ncert_signing_key\nexpiration_days = 1\n' >ca.tmpl
	printf 'cn = "faultline-agent"\nip_address = "%s"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 1\n' \
		"$NODE_IP" >server.tmpl
	printf 'cn = "faultline-controller"\ntls_www_client\nsigning_key\nexpiration_days = 1\n' \
		>client.tmpl
	for k in ca tls client other-ca other-client; do
		certtool --generate-privkey --key-type=ecdsa --outfile $k.key || return 1
	done
	certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.crt &&
		certtool --generate-self-signed --load-privkey other-ca.key --template ca.tmpl \
			--outfile other-ca.crt &&
		certtool --generate-certificate --load-privkey tls.key --load-ca-certificate ca.crt \
			--load-ca-privkey ca.key --template server.tmpl --outfile tls.crt &&
		certtool --generate-certificate --load-privkey client.key --load-ca-certificate ca.crt \
			--load-ca-privkey ca.key --template client.tmpl --outfile client.crt &&
		certtool --generate-certificate --load-privkey other-client.key \
			--load-ca-certificate other-ca.crt --load-ca-privkey other-ca.key \
			--template client.tmpl --outfile other-client.crt
}
(mk_certs) >"$tmp/certtool.log" 2>&1 || skip "certtool failed: $(tail -3 "$tmp/certtool.log")"
C=$tmp/certs

# ---- the workload: a busybox httpd Deployment (the target) and a peer pod ----------------
HTTPD='["/bin/busybox", "sh", "-c",
  "mkdir -p /www && echo ok >/www/index.html && exec /bin/busybox httpd -f -p 80 -h /www"]'
cat >"$tmp/work.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: $NS}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - {name: httpd, image: localhost/faultline-test/busybox:1, imagePullPolicy: Never,
           command: $HTTPD}
---
apiVersion: v1
kind: Pod
metadata: {name: peer, namespace: $NS, labels: {app: peer}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - {name: httpd, image: localhost/faultline-test/busybox:1, imagePullPolicy: Never,
       command: $HTTPD}
EOF
kc apply -f "$tmp/work.yaml" >"$tmp/work.log" 2>&1 || skip "cannot create the workload: $(cat "$tmp/work.log")"

# ---- deploy/, rendered by kustomize, applied ------------------------------------------------
# Two changes for the test node, both because kube-cluster.sh's node is not a whole host
# (nothing else of deploy/ is touched):
# - the CRI socket: the node's containerd listens on DIR/containerd/containerd.sock (its
#   /run is DIR's own and holds no containerd/), so the hostPath is that path; the agent
#   still sees it at /run/containerd/containerd.sock as deploy/ says;
# - /run/netns's mountPropagation: the node's mount namespace is made with
#   `unshare --propagation private` (nothing it mounts may reach the host), and containerd
#   refuses HostToContainer from a private mount ("... is not a shared or slave mount"); on
#   a real node / is shared (systemd). The agent enters pods through /proc/PID/ns/net
#   (hostPID), so nothing here needs /run/netns.
kc kustomize deploy/ >"$tmp/rendered.yaml" 2>"$tmp/kustomize.log" ||
	skip "kubectl kustomize deploy/ failed: $(cat "$tmp/kustomize.log")"
sed -e "s|^\( *path:\) /run/containerd/containerd.sock$|\1 $(cat "$D/cri")|" \
	-e '/mountPropagation: HostToContainer/d' "$tmp/rendered.yaml" >"$tmp/deploy.yaml"
changed=$(diff "$tmp/rendered.yaml" "$tmp/deploy.yaml" | grep -c '^[<>]')
image=$(sed -n 's/^ *image: \(.*faultline-agent.*\)$/\1/p' "$tmp/deploy.yaml")
for d in varlib/faultline run/faultline; do [ -e "$D/$d" ] || node_dirs="$node_dirs $d"; done
applied=1 # from here on teardown deletes deploy/'s objects
if ! { kc apply -f deploy/namespace.yaml &&
	(cd "$C" && kc -n faultline create secret generic faultline-agent-tls \
		--from-file=tls.crt --from-file=tls.key --from-file=ca.crt &&
		kc -n faultline create secret generic faultline-controller-tls \
			--from-file=tls.crt=client.crt --from-file=tls.key=client.key \
			--from-file=ca.crt); } >"$tmp/apply.log" 2>&1; then
	skip "cannot make namespace faultline and its Secrets: $(cat "$tmp/apply.log")"
fi
t_apply=$(now)
kc apply -f "$tmp/deploy.yaml" >>"$tmp/apply.log" 2>&1 ||
	fail "apply deploy/" "$(tail -20 "$tmp/apply.log")"
apply_s=$(since "$t_apply")

# "name ready hostIP node" of each agent pod not being deleted.
agent_pods() {
	kc -n faultline get pods -l "$AGENT_SEL" -o json | python3 -c '
import json, sys
for p in json.load(sys.stdin)["items"]:
    if p["metadata"].get("deletionTimestamp"): continue
    ready = any(c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", []))
    print(p["metadata"]["name"], "ready" if ready else "no", p["status"].get("hostIP", "-"),
          p["spec"].get("nodeName", "-"))'
}
agent=
for _ in $(seq 1 200); do
	agent=$(agent_pods 2>/dev/null | awk '$2 == "ready"')
	[ -n "$agent" ] && break
	sleep 0.2
done
ready_s=$(since "$t_apply")
read -r aname _ ahost anode <<<"$agent"
health=$(curl -sS --max-time 5 --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key" \
	"https://$NODE_IP:9443/v1/health" 2>&1 | tr -d ' \n')
if [ -n "$agent" ] && [ "$ahost" = "$NODE_IP" ] && [ "$anode" = node1 ] &&
	[ "$image" = "$AGENT_IMAGE" ] && [ "$changed" = 3 ] && [[ "$health" == *'"status":"ok"'* ]]; then
	ok "deploy/: agent pod $aname ($image) Ready on node1 ${ready_s} s after apply began (kubectl apply: $apply_s s), hostIP $ahost, /v1/health over mutual TLS: $health"
else
	fail "deploy/ agent Ready" "after ${ready_s} s: pods '$(agent_pods 2>&1)'; image '$image' (make image: $AGENT_IMAGE); $changed lines changed" \
		"health: $health" "$(kc -n faultline describe pods -l "$AGENT_SEL" 2>&1 | tail -15)" \
		"$(kc -n faultline logs -l "$AGENT_SEL" --tail=20 2>&1)"
	summary
	exit 1
fi

for _ in $(seq 1 100); do
	[ "$(kc -n "$NS" get pods -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
		grep -c True)" = 2 ] && break
	sleep 0.2
done
WEB_IP=$(kc -n "$NS" get pods -l app=web -o jsonpath='{.items[0].status.podIP}')
PEER_IP=$(kc -n "$NS" get pod peer -o jsonpath='{.status.podIP}')
WEB=$(kc -n "$NS" get pods -l app=web -o jsonpath='{.items[0].metadata.name}')
cid=$(kc -n "$NS" get pods -l app=web -o jsonpath='{.items[0].status.containerStatuses[0].containerID}')
web_pid=$(ctr_node task ls 2>/dev/null | awk -v c="${cid#containerd://}" '$1 == c { print $2 }')
# The witness: the target pod's network namespace, entered through its container's PID
# (the node shares the host's PID namespace), checked to be the pod's by its address.
pod_nft() { nsenter -t "$web_pid" -n nft -j list ruleset; }
if [ -n "$web_pid" ] && nsenter -t "$web_pid" -n ip -4 -br addr | grep -qF " $WEB_IP/" &&
	[ "$(curl -sS --max-time 3 "http://$WEB_IP/")" = ok ] &&
	[ "$(curl -sS --max-time 3 "http://$PEER_IP/")" = ok ] && pod_nft >"$tmp/nft0.json"; then
	ok "workload: $NS/$WEB ($WEB_IP, its netns by PID $web_pid) and peer ($PEER_IP) serve HTTP"
else
	fail "workload" "web $WEB $WEB_IP pid '$web_pid', peer $PEER_IP" "$(kc -n "$NS" get pods -o wide 2>&1)"
	summary
	exit 1
fi

experiment() { # file [agents' extra line] [client cert] [client key]
	cat >"$tmp/$1.yaml" <<EOF
apiVersion: faultline/v1
kind: Experiment
metadata: {name: $1}
spec:
  agents:
    kubernetes:
      namespace: faultline
      ${2:-port: 9443}
      tls: {cert: $C/${3:-client.crt}, key: $C/${4:-client.key}, ca: $C/ca.crt}
  targets:
    web:
      pods: {namespace: $NS, selector: app=web}
      mode: all
  steadyState:
    probes:
      - {name: web-up, type: http, url: "http://$WEB_IP/", timeout: 2s,
         tolerance: {metric: status, equals: 200}}
  method:
    - fault: {name: cut-peer, target: web, kind: partition, duration: 5s,
              to: ["$PEER_IP:80"], verify: {wire: true}}
      background: true
    - fault: {name: slow-host, target: web, kind: delay, duration: 5s, direction: egress,
              to: ["$HOST_IP/32"], delay: {delay: 300ms}}
      background: true
    - effect: {name: web-slow, type: http, url: "http://$WEB_IP/", timeout: 3s,
               tolerance: {metric: latencyMs, delta: {min: 200}}}
EOF
}
# name agent result per fault of a journal: "name agent inject revert wire-verdict".
journal_faults() {
	python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["experiments"][0].get("faults", []):
    print(f["name"], f.get("agent", "-"), f.get("inject", {}).get("result", "-"),
          f.get("revert", {}).get("result", "-"), f.get("wire", {}).get("verdict", "-"))' "$1" 2>&1
}
# Faultline's nftables tables in the pod's namespace, one a line ("family name").
fl_tables() {
	python3 -c 'import json, sys
for o in json.load(sys.stdin)["nftables"]:
    t = o.get("table")
    if t: print(t["family"], t["name"])' | grep -i 'faultline\|^inet fl\|^ip fl'
}

# ---- plan ---------------------------------------------------------------------------------
experiment agents
"$FL" plan "$tmp/agents.yaml" --kubeconfig "$D/kubeconfig" >"$tmp/plan" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -qF "web → $NS/$WEB on agent node/node1, ip $WEB_IP" "$tmp/plan" &&
	grep -qF "node/node1 (https://$NODE_IP:9443)" "$tmp/plan" &&
	grep -q "fault cut-peer .* on $NS/$WEB via agent node/node1 (background): nftables" "$tmp/plan" &&
	grep -q "fault slow-host .* on $NS/$WEB via agent node/node1 (background): nfqueue-delay-line" "$tmp/plan" &&
	! grep -q DELETE "$tmp/plan"; then
	ok "plan: $NS/$WEB on agent node/node1 (https://$NODE_IP:9443), both faults via agent node/node1"
else
	fail "plan" "exit $rc" "$(cat "$tmp/plan")"
fi

# ---- run, with the witness watching the pod's namespace -------------------------------------
t_run=$(now)
"$FL" run "$tmp/agents.yaml" --kubeconfig "$D/kubeconfig" --quiet --journal "$tmp/run.json" \
	>"$tmp/run" 2>&1 &
run_pid=$!
seen=
while kill -0 "$run_pid" 2>/dev/null; do
	seen=$( (echo "$seen" | tr ',' '\n'; pod_nft 2>/dev/null | fl_tables) | grep . | sort -u |
		paste -sd, -)
	sleep 0.2
done
wait "$run_pid"
rc=$?
run_s=$(since "$t_run")
faults=$(journal_faults "$tmp/run.json")
effect=$(python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["experiments"][0]["checks"]:
    if c.get("phase") == "effect": print(c["verdict"], c.get("message", ""))' "$tmp/run.json" 2>&1)
if [ "$rc" = 0 ] && [ "$(echo "$faults" | grep -c '^cut-peer node/node1 ok ok effect$')" = 1 ] &&
	[ "$(echo "$faults" | grep -c '^slow-host node/node1 ok ok -$')" = 1 ] && [[ "$effect" == pass* ]]; then
	ok "run: passed in $run_s s; journal: cut-peer and slow-host on agent node/node1, inject and revert ok, wire check effect; effect web-slow $effect"
else
	fail "run" "exit $rc, journal faults: $faults, effect: $effect" "$(tail -c 2000 "$tmp/run")"
fi
left=$(pod_nft 2>&1 | fl_tables)
if [ -n "$seen" ] && [ -z "$left" ] && pod_nft >/dev/null 2>&1; then
	ok "witness (nft -j in the pod's netns): Faultline's tables seen during the run ($seen), none left"
else
	fail "witness" "seen during: '$seen'; left after: '$left'" "$(pod_nft 2>&1 | head -c 1500)"
fi

# ---- no agent: a selector that matches no agent pod -----------------------------------------
experiment noagent "selector: app=nope"
"$FL" plan "$tmp/noagent.yaml" --kubeconfig "$D/kubeconfig" >"$tmp/plan2" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -qF "runs on node node1, which has no Ready agent" "$tmp/plan2" &&
	grep -q "CANNOT RUN" "$tmp/plan2"; then
	ok "no agent: plan exits 2: $(grep -o 'pod [^ ]* runs on node node1, which has no Ready agent' "$tmp/plan2")"
else
	fail "no agent" "exit $rc" "$(cat "$tmp/plan2")"
fi

# ---- a client certificate from another CA ----------------------------------------------------
experiment badcert "" other-client.crt other-client.key
"$FL" run "$tmp/badcert.yaml" --kubeconfig "$D/kubeconfig" --quiet --journal "$tmp/bad.json" \
	>"$tmp/run2" 2>&1
rc=$?
faults=$(journal_faults "$tmp/bad.json")
left=$(pod_nft 2>&1 | fl_tables)
if [ "$rc" = 2 ] && grep -q "node/node1: POST /v1/faults: HTTP 403: client certificate rejected" "$tmp/run2" &&
	! echo "$faults" | grep -q ' ok ' && [ -z "$left" ]; then
	ok "bad client certificate: exit 2, the agent's 403, nothing injected (journal: $(echo "$faults" | tr '\n' ';') nft: none)"
else
	fail "bad client certificate" "exit $rc, journal faults: $faults, nft: $left" "$(tail -c 1500 "$tmp/run2")"
fi

# ---- clean up, as a check: the cluster as it was found ---------------------------------------
t_down=$(now)
teardown
down_s=$(since "$t_down")
rest=$(kc get namespace "$NS" --ignore-not-found -o name 2>&1
	kc get -f "$tmp/deploy.yaml" --ignore-not-found -o name 2>&1
	for d in varlib/faultline run/faultline; do [ ! -e "$D/$d" ] || echo "$D/$d"; done)
if [ -z "$rest" ]; then
	ok "clean up: namespace $NS and every object of deploy/ (namespace faultline, cluster roles) gone in $down_s s (whole test $(since "$t_all") s)"
else
	fail "clean up" "left: $rest"
fi
summary
