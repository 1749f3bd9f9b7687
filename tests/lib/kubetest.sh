# shellcheck shell=bash
# The Kubernetes shell tests' common part (tests/integration/test-kube-*.sh), sourced after
# tests/lib/shtest.sh from the repository root: skip() under the CI rule, api() (curl with
# the admin token of the cluster in $D) and the cluster a test runs on. The test owns $D,
# $own and its cleanup (`bash "$KC" stop "$own" --purge` when $own is set).
KC=$PWD/tests/lib/kube-cluster.sh
# The test's name in its messages: test-kube-agents.sh says "kube-agents".
KUBE_TEST=${0##*/test-}
KUBE_TEST=${KUBE_TEST%.sh}

# A component the test needs is missing: under CI a failure, elsewhere a skip.
skip() { # why
	if is_ci; then
		fail "prerequisites" "$1 (CI=$CI: a missing component is a failure)"
		summary
		exit 1
	fi
	echo "skip $KUBE_TEST: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}

# The body on stdout; fails on an HTTP error. The user agent is not curl's: the API server
# indents JSON for "curl/*".
api() { # METHOD PATH [JSON]
	curl -sS -f --max-time 10 -A "test-$KUBE_TEST" --cacert "$D/ca.crt" \
		-H "Authorization: Bearer $(cat "$D/admin.token")" -H 'Content-Type: application/json' \
		-X "$1" ${3:+--data "$3"} "$(cat "$D/server")$2"
}

# D: the tier's cluster (tests/run.sh's $FL_KUBE_CLUSTER) when it holds one, else one of
# this test's own started in DIR (then $own, stopped by the test's cleanup).
kube_cluster() { # DIR
	if [ -n "${FL_KUBE_CLUSTER:-}" ] && [ -s "$FL_KUBE_CLUSTER/server" ]; then
		D=$FL_KUBE_CLUSTER
	else
		own=$1
		bash "$KC" start "$own" --owner $$ || skip "the cluster did not start"
		D=$own
	fi
}
