#!/bin/bash
# deploy/ proven against a real kube-apiserver (tests/lib/kube-api.sh, RBAC on), with the
# kubectl scripts/k8s-build.sh builds (never the machine's): the kustomizations render;
# every object is accepted by server-side dry-run, then applied for real; the images are
# the ones `make image` builds; namespace and tag change everywhere from
# deploy/kustomization.yaml alone; the controller's ServiceAccount can do each thing it
# needs and nothing it must not (SubjectAccessReview: the server's own authorizer); and a
# copy of the role without `delete pods`, applied under another ServiceAccount, is caught.
#
#   tests/integration/test-deploy.sh        FL_DEPLOY_TEST_PORT: the API server's port
#                                           (default 17443; it takes the next three too)
# Under CI=true an API server or kubectl that cannot be had fails the test; elsewhere the
# test skips saying why.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
PORT=${FL_DEPLOY_TEST_PORT:-17443}
SA=system:serviceaccount:faultline:faultline-controller
t_start=$(date +%s.%N)

tmp=$(mktemp -d /tmp/fl-deploy-XXXXXX)
cleanup() {
	bash "$ROOT/tests/lib/kube-api.sh" stop "$tmp/api" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

skip_all() {
	if is_ci; then
		fail "deploy: $1"
		echo "$passed passed, $failed failed, 0 skipped"
		exit 1
	fi
	echo "skip deploy: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}

bins=$(bash scripts/k8s-build.sh --print-dir 2>"$tmp/build.err") ||
	skip_all "scripts/k8s-build.sh: $(tail -n 3 "$tmp/build.err")"
KUBECTL_BIN=$bins/bin/kubectl
[ -x "$KUBECTL_BIN" ] || skip_all "no kubectl in $bins/bin"
bash tests/lib/kube-api.sh start "$tmp/api" --port "$PORT" --owner $$ 2>"$tmp/api.err" ||
	skip_all "no API server: $(tail -n 5 "$tmp/api.err")"
kc() { "$KUBECTL_BIN" --kubeconfig "$tmp/api/kubeconfig" --cache-dir "$tmp/kcache" "$@"; }

# --- rendering ---------------------------------------------------------------------------
expect "kustomize deploy/ renders" 0 "kind: DaemonSet" kc kustomize deploy/
printf '%s\n' "$LAST" >"$tmp/base.yaml"
expect "kustomize ci/kubernetes (the CI Job) renders" 0 "kind: Job" kc kustomize ci/kubernetes
printf '%s\n' "$LAST" >"$tmp/ci.yaml"

# kinds FILE: KIND/NAME of each object of a rendered file, one a line
kinds() {
	python3 - "$1" <<'EOF'
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d:
        print(f"{d['kind']}/{d['metadata']['name']}")
EOF
}
want_objects="ClusterRole/faultline-controller-act
ClusterRole/faultline-controller-observe
ClusterRoleBinding/faultline-controller-act
ClusterRoleBinding/faultline-controller-observe
ConfigMap/faultline-experiments
CronJob/faultline-gameday
DaemonSet/faultline-agent
Namespace/faultline
Service/faultline-agent
ServiceAccount/faultline-controller"
got=$(kinds "$tmp/base.yaml" | sort)
if [ "$got" = "$want_objects" ]; then ok "deploy/ holds every object of the install"
else fail "deploy/ holds every object of the install" "$(diff <(echo "$want_objects") <(echo "$got"))"; fi

# The ConfigMap's experiments are ones faultline accepts.
FL=build/faultline
if [ -x "$FL" ]; then
	expect "the faultline-experiments sample validates" 0 ": ok" "$FL" validate deploy/experiments/*.yaml
	sed 's/^kind: Experiment$/kind: Experimentt/' deploy/experiments/resilience.yaml >"$tmp/bad-exp.yaml"
	expect "validate refuses a broken copy (the check can fail)" 2 "Experimentt" "$FL" validate "$tmp/bad-exp.yaml"
elif is_ci; then fail "the faultline-experiments sample validates" "$FL is not built (make all)"
else echo "skip the sample's validation: $FL is not built"; fi

# --- images: the names `make image` builds --------------------------------------------------
# The version: the Makefile's VERSION when it defines one (make image's), else FL_VERSION
# of common/include/fl/version.h, which `faultline --version` prints.
# shellcheck disable=SC2016 # $(VERSION) is make's, not the shell's
version=$(printf 'fl-test-print-version:\n\t@echo $(VERSION)\n' |
	make -s --no-print-directory -f Makefile -f - fl-test-print-version 2>/dev/null)
[ -n "$version" ] ||
	version=$(sed -n 's/^#define FL_VERSION "\(.*\)"$/\1/p' common/include/fl/version.h)
if [ -x build/faultline ] && [ "$(build/faultline --version)" != "faultline $version" ]; then
	fail "the version" "build/faultline --version: $(build/faultline --version), expected $version"
fi
# check_images FILE VERSION: every image reference is localhost/faultline/<name>:VERSION of
# a name make image builds, and each of those is used.
check_images() {
	python3 - "$1" "$2" <<'EOF'
import sys, yaml
path, version = sys.argv[1], sys.argv[2]
want = {f"localhost/faultline/{n}:{version}" for n in ("faultline", "faultline-agent")}
bad, seen = [], set()
def walk(x, where):
    if isinstance(x, dict):
        for k, v in x.items():
            if k == "image" and isinstance(v, str):
                seen.add(v)
                if v not in want:
                    bad.append(f"{where}: image {v} is not one of make image's {sorted(want)}")
            walk(v, where)
    elif isinstance(x, list):
        for v in x:
            walk(v, where)
for d in yaml.safe_load_all(open(path)):
    if d:
        walk(d, f"{d['kind']}/{d['metadata']['name']}")
for w in sorted(want - seen):
    bad.append(f"{w} is used by no object")
print("\n".join(bad))
sys.exit(1 if bad else 0)
EOF
}
for f in base ci; do
	if out=$(check_images "$tmp/$f.yaml" "$version"); then
		ok "$f: every image is make image's (version $version)"
	else fail "$f: every image is make image's (version $version)" "$out"; fi
done
# Negative: a tag that is not the version is named.
sed 's/:'"$version"'$/:0.0.0-other/' "$tmp/base.yaml" >"$tmp/base-other.yaml"
expect "a tag that is not make image's is named" 1 \
	"DaemonSet/faultline-agent: image localhost/faultline/faultline-agent:0.0.0-other" \
	check_images "$tmp/base-other.yaml" "$version"

# One place: a copy of deploy/ and ci/ with only deploy/kustomization.yaml's namespace and
# tags changed renders no other namespace or tag anywhere (ServiceAccount subjects and the
# CI Job included).
mkdir -p "$tmp/copy"
cp -r deploy ci "$tmp/copy/"
sed -i 's/^namespace: faultline$/namespace: fl-elsewhere/; s/newTag: ".*"/newTag: "9.8.7"/' \
	"$tmp/copy/deploy/kustomization.yaml"
kc kustomize "$tmp/copy/ci/kubernetes" >"$tmp/copy.yaml" 2>&1
out=$(python3 - "$tmp/copy.yaml" <<'EOF'
import sys, yaml
bad = []
for d in yaml.safe_load_all(open(sys.argv[1])):
    if not d:
        continue
    what, md = f"{d['kind']}/{d['metadata']['name']}", d["metadata"]
    ns = md["name"] if d["kind"] == "Namespace" else md.get("namespace")
    if d["kind"] not in ("ClusterRole", "ClusterRoleBinding") and ns != "fl-elsewhere":
        bad.append(f"{what}: namespace {ns}")
    for s in d.get("subjects", []):
        if s.get("namespace") != "fl-elsewhere":
            bad.append(f"{what}: subject {s['name']} in {s.get('namespace')}")
    text = yaml.safe_dump(d)
    for line in text.splitlines():
        if "image: " in line and not line.endswith(":9.8.7"):
            bad.append(f"{what}: {line.strip()}")
print("\n".join(bad) or "ok")
sys.exit(1 if bad else 0)
EOF
)
if [ "$out" = ok ]; then ok "namespace and tag are set in deploy/kustomization.yaml alone"
else fail "namespace and tag are set in deploy/kustomization.yaml alone" "$out"; fi

# --- the server: dry-run, then for real ------------------------------------------------------
# The namespace first: a namespaced object's dry-run needs its namespace to exist.
expect "namespace applied" 0 "namespace/faultline created" kc apply -f deploy/namespace.yaml
# dry_run NAME DIR: every object of DIR's render answered "(server dry run)", no error.
dry_run() {
	local n rendered
	LAST=$(kc apply -k "$2" --dry-run=server 2>&1)
	local rc=$?
	rendered=$(kinds "$tmp/$3.yaml" | wc -l)
	n=$(grep -c '(server dry run)$' <<<"$LAST")
	if [ $rc -ne 0 ] || [ "$n" -ne "$rendered" ]; then
		fail "$1" "exit $rc, $n of $rendered objects accepted" "$LAST"
	else ok "$1 ($n objects)"; fi
}
dry_run "server-side dry-run of deploy/" deploy/ base
dry_run "server-side dry-run of ci/kubernetes" ci/kubernetes ci
# Negative: the dry-run does reach the server's validation (a Job with backoffLimit -1).
sed 's/backoffLimit: 0/backoffLimit: -1/' "$tmp/ci.yaml" >"$tmp/ci-bad.yaml"
expect "server-side dry-run refuses an invalid object" 1 "spec.backoffLimit" \
	kc apply -f "$tmp/ci-bad.yaml" --dry-run=server
expect "deploy/ applied" 0 "daemonset.apps/faultline-agent created" kc apply -k deploy/
expect "the CI Job alone applied from ci/kubernetes" 0 "job.batch/faultline-resilience created" \
	kc apply -k ci/kubernetes -l app.kubernetes.io/component=resilience-ci
expect "the CI Job's image is the CronJob's" 0 "localhost/faultline/faultline:$version" \
	kc -n faultline get job faultline-resilience -o jsonpath='{.spec.template.spec.containers[0].image}'

# --- RBAC: SubjectAccessReview, the API server's authorizer ----------------------------------
# sar_doc USER VERB GROUP RESOURCE SUBRESOURCE NAMESPACE: a SubjectAccessReview (a
# ServiceAccount's groups as the API server gives them).
sar_doc() {
	local sa=${1#system:serviceaccount:}
	cat <<EOF
---
apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: $1
  groups: ["system:serviceaccounts", "system:serviceaccounts:${sa%%:*}", "system:authenticated"]
  resourceAttributes: {verb: "$2", group: "$3", resource: "$4", subresource: "$5", namespace: "$6"}
EOF
}
# sar USER VERB GROUP RESOURCE SUBRESOURCE NAMESPACE: prints true or false.
sar() { sar_doc "$@" | kc create -o jsonpath='{.status.allowed}' -f -; }
# VERB GROUP RESOURCE SUBRESOURCE NAMESPACE ("-" = empty); what the controller needs.
NEEDS="get - pods - streamforge
list - pods - streamforge
watch - pods - streamforge
list - pods - -
watch - pods - faultline
delete - pods - streamforge
get - nodes - -
list - nodes - -
watch - nodes - -
get batch jobs - streamforge
list batch jobs - streamforge
watch batch jobs - streamforge
create batch jobs - streamforge
delete batch jobs - streamforge
get apps deployments - streamforge
get apps deployments scale streamforge
patch apps deployments scale streamforge
update apps deployments scale streamforge
get gateway.networking.k8s.io httproutes - streamforge
patch gateway.networking.k8s.io httproutes - streamforge"
MUST_NOT="delete - namespaces - -
get - secrets - faultline
list - secrets - streamforge
list - secrets - -
create - pods exec streamforge
get - pods exec streamforge
delete - nodes - -
create rbac.authorization.k8s.io clusterrolebindings - -
create - pods - streamforge
update - pods - streamforge
patch apps deployments - streamforge
delete apps deployments - streamforge
delete gateway.networking.k8s.io httproutes - streamforge"
# check USER LIST WANT: the lines of LIST whose answer is not WANT, one a line. One
# request for all of them (each kubectl costs ~0.3 s); fewer answers than questions is an
# error, never a "no".
check() {
	local verb group res sub ns a i=0 n answers
	n=$(wc -l <<<"$2")
	answers=$(while read -r verb group res sub ns; do
		[ "$group" = - ] && group=
		[ "$sub" = - ] && sub=
		[ "$ns" = - ] && ns=
		sar_doc "$1" "$verb" "$group" "$res" "$sub" "$ns"
	done <<<"$2" | kc create -o jsonpath='{.status.allowed}{"\n"}' -f - 2>&1)
	if [ "$(grep -cxE 'true|false' <<<"$answers")" -ne "$n" ]; then
		echo "SubjectAccessReview: not $n answers: $answers"
		return
	fi
	while read -r verb group res sub ns; do
		i=$((i + 1))
		a=$(sed -n "${i}p" <<<"$answers")
		[ "$group" = - ] && group=
		[ "$sub" = - ] && sub=
		[ "$ns" = - ] && ns=
		[ "$a" = "$3" ] || echo "$verb ${group:+$group/}$res${sub:+/$sub}${ns:+ -n $ns}: allowed=$a"
	done <<<"$2"
}
# The yes answers come from deploy/'s bindings, not from a server that allows everyone.
expect "a ServiceAccount without bindings may not list pods" 0 false \
	sar system:serviceaccount:faultline:nobody list "" pods "" streamforge
out=$(check "$SA" "$NEEDS" true)
if [ -z "$out" ]; then ok "faultline-controller may do each thing it needs ($(wc -l <<<"$NEEDS"))"
else fail "faultline-controller may do each thing it needs" "$out"; fi
out=$(check "$SA" "$MUST_NOT" false)
if [ -z "$out" ]; then ok "faultline-controller may do nothing it must not ($(wc -l <<<"$MUST_NOT"))"
else fail "faultline-controller may do nothing it must not" "$out"; fi

# Negative, kept: the role without its `delete pods` rule, applied under another
# ServiceAccount and other names; the same check must name exactly that verb.
python3 - deploy/controller/rbac.yaml "$tmp/broken" <<'EOF'
import os, sys
text = open(sys.argv[1]).read()
rule = '  - apiGroups: [""]\n    resources: [pods]\n    verbs: [delete]\n'
if rule not in text:
    sys.exit("the delete-pods rule is not in rbac.yaml as expected")
os.makedirs(sys.argv[2])
open(os.path.join(sys.argv[2], "rbac.yaml"), "w").write(text.replace(rule, ""))
open(os.path.join(sys.argv[2], "kustomization.yaml"), "w").write(
    "namespace: faultline-broken\nnameSuffix: -broken\nresources: [rbac.yaml]\n")
EOF
kc create namespace faultline-broken >/dev/null 2>&1
expect "the broken copy applied" 0 "clusterrole.rbac.authorization.k8s.io/faultline-controller-act-broken created" \
	kc apply -k "$tmp/broken"
out=$(check system:serviceaccount:faultline-broken:faultline-controller-broken "$NEEDS" true)
if [ "$out" = "delete pods -n streamforge: allowed=false" ]; then
	ok "a role without delete pods is caught: $out"
else fail "a role without delete pods is caught" "expected only: delete pods -n streamforge: allowed=false" "got: ${out:-nothing}"; fi

# --- ci/in-cluster-stage.sh -------------------------------------------------------------------
# The bare API server runs no Job controller and no kubelet: the test plays their part,
# writing the Job's and its pod's status the way they would.
export KUBECTL="$KUBECTL_BIN --kubeconfig $tmp/api/kubeconfig --cache-dir $tmp/kcache"
expect "in-cluster stage: a Job that does not finish is deleted, exit 3" 3 "did not finish in 2 s" \
	env FL_TIMEOUT=2 FL_POLL=1 ci/in-cluster-stage.sh "$tmp/reports-timeout"
expect "in-cluster stage: the timed-out Job is gone" 1 "NotFound" \
	kc -n faultline get job faultline-resilience
# fail_job EXIT: once the stage has created the Job, its pod ends with EXIT and the Job
# is Failed.
fail_job() {
	local now t=0
	now=$(date -u +%FT%TZ)
	until kc -n faultline get job faultline-resilience >/dev/null 2>&1; do
		sleep 0.2
		t=$((t + 1))
		[ $t -lt 100 ] || return 1
	done
	kc -n faultline create -f - >/dev/null <<EOF || return 1
apiVersion: v1
kind: Pod
metadata: {name: faultline-resilience-t1, labels: {batch.kubernetes.io/job-name: faultline-resilience}}
spec:
  serviceAccountName: faultline-controller
  restartPolicy: Never
  containers: [{name: faultline, image: "localhost/faultline/faultline:$version"}]
EOF
	kc -n faultline patch pod faultline-resilience-t1 --subresource=status --type=merge -p \
		'{"status": {"phase": "Failed", "containerStatuses": [{"name": "faultline",
		"image": "x", "imageID": "", "ready": false, "restartCount": 0, "state": {"terminated":
		{"exitCode": '"$1"', "reason": "Error", "startedAt": "'"$now"'",
		"finishedAt": "'"$now"'"}}}]}}' >/dev/null || return 1
	kc -n faultline patch job faultline-resilience --subresource=status --type=merge -p \
		'{"status": {"startTime": "'"$now"'", "failed": 1, "conditions": [
		{"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
		"lastTransitionTime": "'"$now"'", "lastProbeTime": "'"$now"'"},
		{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
		"lastTransitionTime": "'"$now"'", "lastProbeTime": "'"$now"'"}]}}' >/dev/null
}
FL_TIMEOUT=60 FL_POLL=1 ci/in-cluster-stage.sh "$tmp/reports" >"$tmp/stage.out" 2>&1 &
stage=$!
fail_job 1 || fail "in-cluster stage: the test could not end the Job" "$(cat "$tmp/stage.out")"
wait $stage
rc=$?
LAST=$(cat "$tmp/stage.out")
if [ $rc -eq 1 ] && [[ "$LAST" == *"DEVIATED"* ]] && [[ "$LAST" == *"no JUnit in the Job's log"* ]]; then
	ok "in-cluster stage: a Job whose run deviated exits 1, and says the log had no JUnit"
else fail "in-cluster stage: a Job whose run deviated exits 1" "exit $rc" "$LAST"; fi

awk -v t0="$t_start" -v t="$(date +%s.%N)" 'BEGIN { printf "test-deploy: %.1f s\n", t - t0 }'
echo "$passed passed, $failed failed, 0 skipped"
[ "$failed" -eq 0 ]
