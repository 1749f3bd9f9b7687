#!/bin/bash
# pod-delete through the Kubernetes API, end to end on the one-node cluster of the tests
# (tests/lib/kube-cluster.sh; the tier's, $FL_KUBE_CLUSTER, or one of its own): `faultline
# plan` and `faultline run` with a `pods` target chosen by label selector and name glob,
# the delete with a uid precondition, and the effect check that proves it —
# kubernetes.podsReady's deleted.gone and replacements.ready.
#   positive  a Deployment's pod is deleted; its ReplicaSet makes a new one, Ready: passed
#   negative  a bare pod (nothing replaces it) is deleted: the effect check fails, the run
#             deviates (exit 1) — the check can fail
#   seed      two plans with the same --seed choose the same pod; the journal's target is
#             one of the Deployment's pods
#   no match  a selector that matches nothing: plan exits 2 naming the selector
#   RBAC      a kubeconfig of a user with no rights: the run errors (exit 2) with the API's
#             403 naming the verb and resource, and deletes nothing
# Witness: the pods' uids are read with curl, not with the code under test.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
FL=${FAULTLINE:-$ROOT/build/faultline}
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
# shellcheck source=tests/lib/kubetest.sh
. tests/lib/kubetest.sh
NS=fl-pod-delete-$$
own= tmp=$(mktemp -d)

cleanup() {
	[ -z "${D:-}" ] || api DELETE "/api/v1/namespaces/$NS" >/dev/null 2>&1
	[ -z "$own" ] || bash "$KC" stop "$own" --purge
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ "$(id -u)" = 0 ] || skip "needs root (the cluster's namespaces)"
[ -x "$FL" ] || skip "$FL is not built (make)"

# "uid name ready" per pod not being deleted, sorted by name.
pods() { # selector
	api GET "/api/v1/namespaces/$NS/pods?labelSelector=$1" | python3 -c '
import json, sys
for p in sorted(json.load(sys.stdin)["items"], key=lambda p: p["metadata"]["name"]):
    if p["metadata"].get("deletionTimestamp"): continue
    ready = any(c["type"] == "Ready" and c["status"] == "True"
                for c in p.get("status", {}).get("conditions", []))
    print(p["metadata"]["uid"], p["metadata"]["name"], "ready" if ready else "no")'
}
wait_ready() { # selector count
	for _ in $(seq 1 150); do
		[ "$(pods "$1" | grep -c ' ready$')" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

kube_cluster "$tmp/cluster"

POD_SPEC='"terminationGracePeriodSeconds": 1, "containers": [{"name": "c",
  "image": "localhost/faultline-test/busybox:1", "imagePullPolicy": "Never",
  "command": ["/bin/busybox", "sleep", "3600"]}]'
api POST /api/v1/namespaces "{\"metadata\": {\"name\": \"$NS\"}}" >/dev/null ||
	skip "cannot create namespace $NS"
api POST "/apis/apps/v1/namespaces/$NS/deployments" "{\"metadata\": {\"name\": \"loader\"},
  \"spec\": {\"replicas\": 2, \"selector\": {\"matchLabels\": {\"app\": \"loader\"}},
  \"template\": {\"metadata\": {\"labels\": {\"app\": \"loader\", \"tier\": \"ingest\"}},
  \"spec\": {$POD_SPEC}}}}" >/dev/null
api POST "/api/v1/namespaces/$NS/pods" "{\"metadata\": {\"name\": \"lonely\",
  \"labels\": {\"app\": \"lonely\"}}, \"spec\": {$POD_SPEC}}" >/dev/null
wait_ready app=loader 2 && wait_ready app=lonely 1 ||
	skip "the Deployment's pods and the bare pod did not become Ready"
ok "setup: a Deployment of 2 loader pods and a bare pod, Ready"

experiment() { # name app tolerance-min-replacements
	cat >"$tmp/$1.yaml" <<EOF
apiVersion: faultline/v1
kind: Experiment
metadata: {name: $1}
spec:
  targets:
    victims:
      pods: {namespace: $NS, selector: "app=$2,tier!=db", names: "$3"}
      mode: one
  steadyState:
    probes:
      - {name: ready, type: kubernetes.podsReady, namespace: $NS, selector: app=$2,
         tolerance: {min: 1}}
  method:
    - fault: {name: delete, target: victims, kind: pod-delete, kill: {gracePeriod: 1s}}
    - pause: 6s
    - effect: {name: replaced, type: kubernetes.podsReady, namespace: $NS, selector: app=$2,
               tolerance: [{metric: deleted.gone, min: 1}, {metric: replacements.ready, min: 1}]}
EOF
}

# ---- plan: the choice, the seed -------------------------------------------------------
experiment replaced loader 'loader-*'
"$FL" plan "$tmp/replaced.yaml" --kubeconfig "$D/kubeconfig" --seed 7 >"$tmp/plan1" 2>&1
rc=$?
"$FL" plan "$tmp/replaced.yaml" --kubeconfig "$D/kubeconfig" --seed 7 >"$tmp/plan2" 2>&1
chosen=$(grep -o "victims → $NS/loader-[a-z0-9-]*" "$tmp/plan1" | head -1)
if [ "$rc" = 0 ] && [ -n "$chosen" ] && grep -q "DELETE /api/v1/namespaces/$NS/pods/" "$tmp/plan1" &&
	[ "$chosen" = "$(grep -o "victims → $NS/loader-[a-z0-9-]*" "$tmp/plan2" | head -1)" ]; then
	ok "plan: $chosen (of 2 matched), the same with the same seed, and the DELETE it would send"
else
	fail "plan" "exit $rc; $(head -c 1500 "$tmp/plan1")"
fi

# ---- run, positive --------------------------------------------------------------------
before=$(pods app=loader | awk '{print $1}' | sort)
t0=$(date +%s.%N)
"$FL" run "$tmp/replaced.yaml" --kubeconfig "$D/kubeconfig" --seed 7 --quiet \
	--journal "$tmp/replaced.json" >"$tmp/run1" 2>&1
rc=$?
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
deleted=$(python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
for f in j["experiments"][0]["faults"]:
    print(f["request"]["pod"]["uid"], f["inject"]["result"], f["target"])' "$tmp/replaced.json" 2>/dev/null)
after=$(pods app=loader | awk '{print $1}' | sort)
read -r uid result target <<<"$deleted"
if [ "$rc" = 0 ] && [ "$result" = ok ] && echo "$before" | grep -qx "$uid" &&
	[ "victims → $target" = "$chosen" ] &&
	! echo "$after" | grep -qx "$uid" && [ "$(echo "$after" | wc -l)" = 2 ]; then
	ok "run: passed in $took s — deleted $target (the pod plan chose with that seed), uid $uid gone (curl), 2 loader pods again"
else
	fail "run" "exit $rc, deleted '$deleted'; before: $before; after: $after; $(tail -c 1500 "$tmp/run1")"
fi

# ---- run, negative: nothing replaces a bare pod -------------------------------------------
experiment unreplaced lonely 'lonely'
"$FL" run "$tmp/unreplaced.yaml" --kubeconfig "$D/kubeconfig" --quiet \
	--journal "$tmp/unreplaced.json" >"$tmp/run2" 2>&1
rc=$?
verdict=$(python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
for c in j["experiments"][0]["checks"]:
    if c.get("phase") == "effect": print(c["verdict"], c.get("message", ""))' \
	"$tmp/unreplaced.json" 2>/dev/null)
if [ "$rc" = 1 ] && [[ "$verdict" == fail* ]] && [ -z "$(pods app=lonely)" ]; then
	ok "negative: a bare pod deleted, nothing replaced it: effect check fails, exit 1 ($verdict)"
else
	fail "negative" "exit $rc, effect '$verdict'; $(tail -c 1500 "$tmp/run2")"
fi

# ---- no match -------------------------------------------------------------------------------
experiment nomatch nobody 'x-*'
"$FL" plan "$tmp/nomatch.yaml" --kubeconfig "$D/kubeconfig" >"$tmp/plan3" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q "no running pod matches namespace=$NS selector app=nobody,tier!=db" \
	"$tmp/plan3"; then
	ok "no match: plan exits 2 naming the selector"
else
	fail "no match" "exit $rc; $(head -c 1200 "$tmp/plan3")"
fi

# ---- no rights ------------------------------------------------------------------------------
sed "s|tokenFile: admin.token|tokenFile: $D/nobody.token|; s|certificate-authority: ca.crt|certificate-authority: $D/ca.crt|" \
	"$D/kubeconfig" >"$tmp/nobody.kubeconfig"
before=$(pods app=loader | awk '{print $1}' | sort)
"$FL" run "$tmp/replaced.yaml" --kubeconfig "$tmp/nobody.kubeconfig" --quiet >"$tmp/run3" 2>&1
rc=$?
if [ "$rc" = 2 ] && grep -q '403' "$tmp/run3" && grep -q 'cannot list resource \\\?"pods\\\?"' "$tmp/run3" &&
	[ "$before" = "$(pods app=loader | awk '{print $1}' | sort)" ]; then
	ok "no rights: exit 2 with the API's 403 (list pods), nothing deleted"
else
	fail "no rights" "exit $rc; $(tail -c 1200 "$tmp/run3")"
fi
summary
