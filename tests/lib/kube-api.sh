#!/bin/bash
# A real Kubernetes API server for the tests (issue 12): Debian's etcd and kube-apiserver
# built by scripts/k8s-build.sh, on loopback ports, in a directory of their own.
#
#   kube-api.sh start DIR [--port P] [--owner PID]
#       etcd on P+1..P+3 and kube-apiserver on P (default 16443), RBAC on, two static
#       tokens: DIR/admin.token (group system:masters) and DIR/nobody.token (no rights).
#       Writes DIR/kubeconfig (the admin, the server's self-signed certificate as CA),
#       DIR/server and DIR/ca.crt; returns when /readyz answers ok (about 3-5 s).
#       --owner PID: a watchdog stops everything and removes DIR once PID is gone.
#       $FL_KUBE_APISERVER_ARGS: extra kube-apiserver flags, space-separated (a test that
#       needs one, e.g. --watch-cache-sizes=configmaps#0 so a watch reads etcd and meets
#       its compaction as a real 410).
#   kube-api.sh stop DIR [--purge]
#       kube-apiserver first (the other order makes it wait ~10 s for etcd), then etcd;
#       SIGKILL after 15 s; --purge removes DIR.
#
# The binaries: $FL_K8S_BIN, else the cache of scripts/k8s-build.sh (built when missing:
# ~12 min the first time on this machine). Exit status: 0 ok, 1 failed (with why), 2 usage,
# 3 the binaries cannot be had, 4 a port is taken.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/owner-watchdog.sh
. "$HERE/owner-watchdog.sh"
# shellcheck source=tests/lib/daemons.sh
. "$HERE/daemons.sh"
ROOT=$(cd "$HERE/../.." && pwd)
ME=kube-api

die() { echo "kube-api: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

port_taken() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

start_etcd() { # bins port
	spawn etcd "$1/etcd" --name fl --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$(($2 + 1))" \
		--advertise-client-urls "http://127.0.0.1:$(($2 + 1))" \
		--listen-peer-urls "http://127.0.0.1:$(($2 + 2))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$(($2 + 2))" \
		--initial-cluster "fl=http://127.0.0.1:$(($2 + 2))" \
		--listen-metrics-urls "http://127.0.0.1:$(($2 + 3))"
}

start_apiserver() { # bins port
	# shellcheck disable=SC2086 # FL_KUBE_APISERVER_ARGS is a word list
	spawn apiserver "$1/kube-apiserver" --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
		--secure-port="$2" --cert-dir="$DIR/certs" \
		--etcd-servers="http://127.0.0.1:$(($2 + 1))" --service-cluster-ip-range=10.96.0.0/24 \
		--service-account-issuer=https://kubernetes.default.svc \
		--service-account-key-file="$DIR/sa.pub" \
		--service-account-signing-key-file="$DIR/sa.key" --token-auth-file="$DIR/tokens.csv" \
		--authorization-mode=RBAC --endpoint-reconciler-type=none \
		${FL_KUBE_APISERVER_ARGS:-}
}

cmd_start() {
	local port=16443 owner= bins t0 admin
	while [ $# -gt 0 ]; do
		case $1 in
		--port) port=${2:?}; shift 2 ;;
		--owner) owner=${2:?}; shift 2 ;;
		*) usage ;;
		esac
	done
	for p in "$port" $((port + 1)) $((port + 2)) $((port + 3)); do
		port_taken "$p" && { echo "kube-api: port $p on 127.0.0.1 is already in use" >&2; exit 4; }
	done
	bins=$(bin_dir) || exit 3
	mkdir -p "$DIR/certs" || die "cannot create $DIR"
	t0=$(date +%s.%N)
	make_credentials
	admin=$(cat "$DIR/admin.token")
	# DIR/server marks a server to stop: the watchdog watches while it is there.
	echo "https://127.0.0.1:$port" >"$DIR/server"
	[ -n "$owner" ] && watch_owner "$owner" "$DIR" server "$HERE/kube-api.sh"
	start_etcd "$bins" "$port"
	start_apiserver "$bins" "$port"
	for _ in $(seq 1 120); do
		if [ -f "$DIR/certs/apiserver.crt" ] &&
			curl -sf --cacert "$DIR/certs/apiserver.crt" -H "Authorization: Bearer $admin" \
				"https://127.0.0.1:$port/readyz" 2>/dev/null | grep -qx ok; then
			cp "$DIR/certs/apiserver.crt" "$DIR/ca.crt"
			write_kubeconfig "https://127.0.0.1:$port"
			awk -v p="$port" -v t="$(date +%s.%N)" -v t0="$t0" -v d="$DIR" 'BEGIN {
				printf "kube-api: ready at https://127.0.0.1:%s in %.1f s (%s)\n",
					p, t - t0, d }' >&2
			return 0
		fi
		ours apiserver >/dev/null || break
		sleep 0.25
	done
	echo "kube-api: kube-apiserver not ready; its log's end:" >&2
	tail -n 15 "$DIR/apiserver.log" >&2
	cmd_stop
	exit 1
}

cmd_stop() {
	local purge=${1:-}
	end_watchdog "$DIR"
	stop_one apiserver
	stop_one etcd
	rm -f "$DIR/server"
	[ "$purge" = --purge ] && rm -rf "$DIR"
	return 0
}

[ $# -ge 2 ] || usage
verb=$1 DIR=$2
shift 2
case $verb in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
*) usage ;;
esac
