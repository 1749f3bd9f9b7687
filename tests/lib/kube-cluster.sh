#!/bin/bash
# A real one-node Kubernetes cluster for the tests (issue 12): etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, a private containerd and kubelet (node "node1"),
# all in a network and mount namespace of their own, state in DIR. The measured recipe is
# ../shared/recipes/kube-node/ (facts: kubelet rewrites three host sysctls, hard-codes
# /var/lib/kubelet and /var/log/containers, needs failCgroupV1: false on this host).
#
#   kube-cluster.sh start DIR [--owner PID]
#       Returns when node1 is Ready and the default ServiceAccount exists (~5-10 s with
#       the binaries cached), printing the time taken. Writes DIR/kubeconfig (the admin,
#       server https://NODE_IP:6443, the server's certificate as CA), DIR/admin.token
#       (group system:masters), DIR/nobody.token (no rights), DIR/ca.crt, DIR/server,
#       DIR/cri (the node containerd's socket: `ctr --address $(cat DIR/cri) -n k8s.io
#       images import X.tar` adds images) and DIR/env (shell variables FL_KUBE_*: node IP,
#       host IP, pod CIDR, host link, cgroup root, holder PID). Images in the node:
#       localhost/faultline-test/pause:1 (the sandbox) and localhost/faultline-test/busybox:1.
#       --owner PID: a watchdog stops everything and removes DIR once PID is gone.
#   kube-cluster.sh stop DIR [--purge]
#       Leaves nothing: kubelet, the pods (through containerd, then by cgroup), the shims,
#       containerd, scheduler, controller-manager, apiserver, etcd, any process left in the
#       node's namespaces, the holder, the host link and route, the cgroup trees, mounts
#       under DIR. --purge removes DIR.
#   kube-cluster.sh status DIR
#       Each process alive or not, and whether node1 is Ready; exit 0 when all are.
#
# Network: a holder process owns the node's namespaces; a veth joins it to the host: host
# side "flk8sN" 10.250.N.254/24, node side 10.250.N.1/24 (the node IP; the API server
# listens there), pods on a CNI bridge inside the node on 10.244.N.0/24, routed from the
# host via the node IP (ip_forward is on inside the node only). N is the first free slot
# (0-9), so a test may start a cluster of its own beside the tier's. kubelet's cgroups go
# under /flk8sN in every hierarchy (not /kubepods, shared by all clusters on the host).
# The host's vm.overcommit_memory, kernel.panic and kernel.panic_on_oops are never changed:
# inside the node's mount namespace files of DIR are bind-mounted over them.
#
# The binaries: $FL_K8S_BIN, else the cache of scripts/k8s-build.sh. Exit status: 0 ok,
# 1 failed (with why), 2 usage, 3 the binaries or a dependency cannot be had, 4 no free slot.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/owner-watchdog.sh
. "$HERE/owner-watchdog.sh"
# shellcheck source=tests/lib/daemons.sh
. "$HERE/daemons.sh"
ME=kube-cluster
ROOT=$(cd "$HERE/../.." && pwd)
CNI_BIN=${FL_CNI_BIN:-/usr/lib/cni}
LOCK=/run/lock/faultline-kube-cluster.lock
PAUSE=localhost/faultline-test/pause:1
BUSYBOX=localhost/faultline-test/busybox:1

die() { echo "kube-cluster: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -u/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The slot's names and addresses (DIR/slot holds N once chosen).
slot_vars() { # N
	N=$1 LINK=flk8s$1 CGROUP=flk8s$1
	NODE_IP=10.250.$1.1 HOST_IP=10.250.$1.254 POD_CIDR=10.244.$1.0/24 POD_GW=10.244.$1.1
	SOCK=$DIR/containerd/containerd.sock
}

kill_wait() { # pids...: SIGKILL, then wait until they are gone
	[ $# -gt 0 ] || return 0
	kill -KILL "$@" 2>/dev/null
	local p
	for p in "$@"; do
		while ! gone "$p"; do sleep 0.05; done
	done
}

in_node() { nsenter -t "$HOLDER" -m -n -- "$@"; }

# The holder: a private mount namespace where /run, /var/lib and /var/log are DIR's and
# files of DIR cover the three sysctls kubelet would rewrite on the host (the values it
# wants, so it has nothing to write), and a network namespace with ip_forward on. It then
# sleeps, named after DIR (exec -a) so that `ours` knows it.
start_holder() {
	mkdir -p "$DIR/run" "$DIR/varlib" "$DIR/varlog" "$DIR/sysctl"
	echo 1 >"$DIR/sysctl/overcommit_memory"
	echo 10 >"$DIR/sysctl/panic"
	echo 1 >"$DIR/sysctl/panic_on_oops"
	# shellcheck disable=SC2016
	spawn holder unshare --mount --net --propagation private -- bash -c 'set -e; D=$1
		mount --bind "$D/run" /run
		mount --bind "$D/varlib" /var/lib
		mount --bind "$D/varlog" /var/log
		mount --bind "$D/sysctl/overcommit_memory" /proc/sys/vm/overcommit_memory
		mount --bind "$D/sysctl/panic" /proc/sys/kernel/panic
		mount --bind "$D/sysctl/panic_on_oops" /proc/sys/kernel/panic_on_oops
		ip link set lo up
		echo 1 >/proc/sys/net/ipv4/ip_forward
		touch "$D/holder.ready"
		exec -a "flk8s-holder $D" sleep infinity' _ "$DIR"
	local t=0
	while [ ! -f "$DIR/holder.ready" ] && [ $t -lt 100 ]; do sleep 0.05; t=$((t + 1)); done
	HOLDER=$(ours holder) && [ -f "$DIR/holder.ready" ] ||
		{ cat "$DIR/holder.log" >&2; return 1; }
	# Every server after the holder runs inside its namespaces.
	SPAWN_IN=(nsenter -t "$HOLDER" -m -n --)
}

# The first free slot, and its veth, under a lock: two starts at once get two slots.
start_network() {
	local n free=
	exec 8>"$LOCK"
	flock 8
	for n in 0 1 2 3 4 5 6 7 8 9; do
		ip link show "flk8s$n" >/dev/null 2>&1 || [ -d "/sys/fs/cgroup/cpu/flk8s$n" ] ||
			[ -n "$(ip route show "10.244.$n.0/24")" ] || { free=$n; break; }
	done
	[ -n "$free" ] ||
		{ exec 8>&-; echo "kube-cluster: no free slot (flk8s0-9 all taken)" >&2; return 4; }
	slot_vars "$free"
	echo "$n" >"$DIR/slot"
	ip link add "$LINK" type veth peer name node0 netns "$HOLDER" || { exec 8>&-; return 1; }
	exec 8>&-
	ip addr add "$HOST_IP/24" dev "$LINK" && ip link set "$LINK" up &&
		in_node ip addr add "$NODE_IP/24" dev node0 && in_node ip link set node0 up &&
		ip route add "$POD_CIDR" via "$NODE_IP" dev "$LINK"
}

# kubelet's cgroup root in every hierarchy; cpuset needs its CPUs and memory nodes set
# before a task may join it (cgroup v1 does not inherit them).
make_cgroups() {
	local h
	for h in /sys/fs/cgroup/*; do
		[ -d "$h" ] && [ ! -L "$h" ] || continue
		mkdir -p "$h/$CGROUP" || return 1
	done
	if [ -f /sys/fs/cgroup/cpuset/cpuset.cpus ]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$CGROUP/cpuset.cpus" &&
			cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$CGROUP/cpuset.mems"
	fi
}

start_control_plane() { # bins
	local b=$1
	mkdir -p "$DIR/certs"
	make_credentials
	# etcd on the node's loopback: every cluster has its own, no port to choose.
	spawn etcd "$b/etcd" --name fl --data-dir "$DIR/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster fl=http://127.0.0.1:2380
	spawn apiserver "$b/kube-apiserver" --bind-address="$NODE_IP" --advertise-address="$NODE_IP" \
		--secure-port=6443 --cert-dir="$DIR/certs" --etcd-servers=http://127.0.0.1:2379 \
		--service-cluster-ip-range=10.96.0.0/24 \
		--service-account-issuer=https://kubernetes.default.svc \
		--service-account-key-file="$DIR/sa.pub" \
		--service-account-signing-key-file="$DIR/sa.key" --token-auth-file="$DIR/tokens.csv" \
		--authorization-mode=RBAC --endpoint-reconciler-type=none \
		--kubelet-preferred-address-types=InternalIP
}

# From the host, through the veth: the same way the tests reach it. The API server indents
# its JSON for a user agent "curl/*"; ours gets it on one line, for grep.
api() { # path
	curl -sf --max-time 5 -A kube-cluster.sh --cacert "$DIR/ca.crt" \
		-H "Authorization: Bearer $(cat "$DIR/admin.token")" "https://$NODE_IP:6443$1"
}

wait_apiserver() {
	local t
	for t in $(seq 1 240); do
		if [ -f "$DIR/certs/apiserver.crt" ] &&
			curl -sf --max-time 5 --cacert "$DIR/certs/apiserver.crt" \
				-H "Authorization: Bearer $(cat "$DIR/admin.token")" \
				"https://$NODE_IP:6443/readyz" 2>/dev/null | grep -qx ok; then
			cp "$DIR/certs/apiserver.crt" "$DIR/ca.crt"
			return 0
		fi
		ours apiserver >/dev/null || break
		sleep 0.25
	done
	echo "kube-cluster: kube-apiserver not ready; its log's end:" >&2
	tail -n 15 "$DIR/apiserver.log" >&2
	return 1
}

start_controllers() { # bins
	local k=$DIR/kubeconfig
	spawn kcm "$1/kube-controller-manager" --kubeconfig="$k" --leader-elect=false \
		--secure-port=0 --service-account-private-key-file="$DIR/sa.key" \
		--use-service-account-credentials=false --controllers='*'
	spawn scheduler "$1/kube-scheduler" --kubeconfig="$k" --authentication-kubeconfig="$k" \
		--authorization-kubeconfig="$k" --leader-elect=false --secure-port=0
}

# containerd as in the recipe: CRI on, the pods' network a CNI bridge in the node.
start_containerd() {
	local c=$DIR/containerd
	mkdir -p "$c/root" "$c/state" "$c/net.d"
	cat >"$c/config.toml" <<TOML
version = 2
root = "$c/root"
state = "$c/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  disable_apparmor = true
  disable_tcp_service = true
  sandbox_image = "$PAUSE"
  netns_mounts_under_state_dir = true
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN"
    conf_dir = "$c/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$c/state/runc"
        SystemdCgroup = false
TOML
	cat >"$c/net.d/10-flk8s.conflist" <<CNI
{ "cniVersion": "1.0.0", "name": "flk8s",
  "plugins": [ { "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false,
    "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GW" }]],
      "routes": [{ "dst": "0.0.0.0/0" }] } } ] }
CNI
	rm -f "$SOCK"
	spawn containerd containerd --config "$c/config.toml"
}

# pause and busybox from the host's busybox-static, built while containerd starts.
import_images() {
	local t
	mkdir -p "$DIR/images"
	python3 "$HERE/make-oci-image.py" "$DIR/images/pause.tar" "$PAUSE" >/dev/null &&
		python3 "$HERE/make-oci-image.py" "$DIR/images/busybox.tar" "$BUSYBOX" >/dev/null ||
		{ echo "kube-cluster: make-oci-image.py failed" >&2; return 1; }
	for t in $(seq 1 200); do
		[ -S "$SOCK" ] && ctr --connect-timeout 2s --address "$SOCK" version >/dev/null 2>&1 && break
		ours containerd >/dev/null || break
		sleep 0.05
	done
	for t in pause busybox; do
		ctr --address "$SOCK" -n k8s.io images import --snapshotter overlayfs \
			"$DIR/images/$t.tar" >>"$DIR/images.log" 2>&1 ||
			{ echo "kube-cluster: importing $t failed; containerd's log:" >&2
				tail -n 10 "$DIR/containerd.log" >&2; return 1; }
	done
}

start_kubelet() { # bins
	mkdir -p "$DIR/kubelet"
	cat >"$DIR/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
containerRuntimeEndpoint: unix://$SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: true
enforceNodeAllocatable: ["pods"]
cgroupRoot: /$CGROUP
protectKernelDefaults: false
oomScoreAdj: 0
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: true}
  webhook: {enabled: false}
  x509: {}
authorization:
  mode: AlwaysAllow
resolvConf: /etc/resolv.conf
serializeImagePulls: false
registerNode: true
nodeStatusUpdateFrequency: 10s
syncFrequency: 10s
fileCheckFrequency: 10s
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%"}
localStorageCapacityIsolation: true
podPidsLimit: -1
YAML
	spawn kubelet "$1/kubelet" --config="$DIR/kubelet/config.yaml" \
		--kubeconfig="$DIR/kubeconfig" --hostname-override=node1 --node-ip="$NODE_IP" --v=1
}

wait_node() {
	local t
	for t in $(seq 1 600); do
		api /api/v1/nodes/node1 2>/dev/null | grep -q '"type":"Ready","status":"True"' &&
			api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1 &&
			return 0
		ours kubelet >/dev/null || break
		sleep 0.1
	done
	echo "kube-cluster: node1 not Ready with a default ServiceAccount; kubelet's log:" >&2
	grep -E '^E|rror' "$DIR/kubelet.log" | tail -n 15 >&2
	return 1
}

write_env() {
	cat >"$DIR/env" <<ENV
FL_KUBE_CLUSTER=$DIR
FL_KUBE_SERVER=https://$NODE_IP:6443
FL_KUBE_NODE=node1
FL_KUBE_NODE_IP=$NODE_IP
FL_KUBE_HOST_IP=$HOST_IP
FL_KUBE_POD_CIDR=$POD_CIDR
FL_KUBE_LINK=$LINK
FL_KUBE_CGROUP=$CGROUP
FL_KUBE_HOLDER=$HOLDER
FL_KUBE_CRI=$SOCK
ENV
}

check_deps() {
	local c
	[ "$(id -u)" -eq 0 ] || { echo "kube-cluster: needs root" >&2; exit 3; }
	for c in containerd runc ctr curl openssl python3 unshare nsenter ip flock; do
		command -v "$c" >/dev/null || { echo "kube-cluster: $c is missing" >&2; exit 3; }
	done
	for c in bridge host-local loopback; do
		[ -x "$CNI_BIN/$c" ] || { echo "kube-cluster: no CNI plugin $CNI_BIN/$c" \
			"(Debian's containernetworking-plugins)" >&2; exit 3; }
	done
}

cmd_start() {
	local owner= bins t0 rc c
	while [ $# -gt 0 ]; do
		case $1 in
		--owner) owner=${2:?}; shift 2 ;;
		*) usage ;;
		esac
	done
	check_deps
	bins=$(bin_dir) || exit 3
	for c in etcd kube-apiserver kube-controller-manager kube-scheduler kubelet; do
		[ -x "$bins/$c" ] || { echo "kube-cluster: no $bins/$c (scripts/k8s-build.sh)" >&2; exit 3; }
	done
	[ ! -e "$DIR/server" ] || die "$DIR holds a cluster already (stop it first)"
	# A stopped cluster's state would come back (old pods, an old node): a cold start.
	rm -rf "${DIR:?}"/{etcd,certs,containerd,varlib,varlog,run,kubelet,images,sysctl}
	t0=$(now)
	# DIR/server marks a cluster to stop: the watchdog watches while it is there.
	echo starting >"$DIR/server"
	[ -n "$owner" ] && watch_owner "$owner" "$DIR" server "$HERE/kube-cluster.sh"
	trap 'cmd_stop >/dev/null; exit 1' INT TERM HUP
	start_holder || { cmd_stop; die "the node's namespaces could not be made"; }
	start_network
	rc=$?
	[ $rc -eq 0 ] || { cmd_stop; [ $rc -eq 4 ] && exit 4; die "the node's network failed"; }
	make_cgroups || { cmd_stop; die "cannot make the cgroups /$CGROUP"; }
	start_control_plane "$bins"
	start_containerd
	import_images || { cmd_stop; exit 1; }
	wait_apiserver || { cmd_stop; exit 1; }
	write_kubeconfig "https://$NODE_IP:6443"
	echo "https://$NODE_IP:6443" >"$DIR/server"
	echo "$SOCK" >"$DIR/cri"
	write_env
	start_controllers "$bins"
	start_kubelet "$bins"
	wait_node || { cmd_stop; exit 1; }
	trap - INT TERM HUP
	echo "kube-cluster: node1 Ready at https://$NODE_IP:6443 in $(since "$t0") s ($DIR)" >&2
}

# Pods through containerd (kubelet is gone, nobody restarts them): every task killed and
# deleted, every container removed. Then anything still in the cgroup tree is killed.
remove_pods() {
	local id
	if ours containerd >/dev/null && [ -S "$SOCK" ]; then
		for id in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
			ctr --address "$SOCK" -n k8s.io tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1
		done
		for id in $(ctr --address "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do
			ctr --address "$SOCK" -n k8s.io tasks rm -f "$id" >/dev/null 2>&1
		done
		for id in $(ctr --address "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do
			ctr --address "$SOCK" -n k8s.io containers rm "$id" >/dev/null 2>&1
		done
	fi
	kill_cgroup_procs
	# The shims name the socket; after their containers they have nothing left to do.
	# shellcheck disable=SC2046
	kill_wait $(ps -eo pid=,args= | awk -v a="-address $SOCK" \
		'$2 ~ /containerd-shim/ && index($0, a) { print $1 }')
}

kill_cgroup_procs() {
	local pids
	[ -n "${CGROUP:-}" ] || return 0
	pids=$(find /sys/fs/cgroup/*/"$CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null |
		sort -u)
	# shellcheck disable=SC2086
	kill_wait $pids
}

# Whatever still lives in the node's network or mount namespace (a process that escaped
# its PID file): compared by namespace inode, never by name.
kill_node_procs() {
	local h=$1 net mnt p left=()
	net=$(readlink "/proc/$h/ns/net") && mnt=$(readlink "/proc/$h/ns/mnt") || return 0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" != "$h" ] || continue
		if [ "$(readlink "/proc/$p/ns/net" 2>/dev/null)" = "$net" ] ||
			[ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$mnt" ]; then
			left+=("$p")
		fi
	done
	[ ${#left[@]} -eq 0 ] && return 0
	echo "kube-cluster: left in the node's namespaces, killed: ${left[*]}" >&2
	kill_wait "${left[@]}"
}

remove_cgroups() {
	local h d
	[ -n "${CGROUP:-}" ] || return 0
	for h in /sys/fs/cgroup/*; do
		[ -d "$h/$CGROUP" ] && [ ! -L "$h" ] || continue
		# Leaf-first; a cgroup whose last task just exited may refuse once: try again.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			find "$h/$CGROUP" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$h/$CGROUP" ] || break
			sleep 0.1
		done
		[ -d "$h/$CGROUP" ] && echo "kube-cluster: $h/$CGROUP could not be removed" >&2
	done
	for d in /sys/fs/cgroup/*/"$CGROUP"; do [ -d "$d" ] && return 1; done
	return 0
}

cmd_stop() {
	local purge=${1:-} holder m
	end_watchdog "$DIR"
	[ -s "$DIR/slot" ] && slot_vars "$(cat "$DIR/slot")"
	SOCK=$DIR/containerd/containerd.sock
	stop_one kubelet
	remove_pods
	stop_one containerd
	stop_one scheduler
	stop_one kcm
	stop_one apiserver
	stop_one etcd
	if holder=$(ours holder); then
		kill_node_procs "$holder"
		stop_one holder 20
	fi
	kill_cgroup_procs
	if [ -n "${LINK:-}" ]; then
		ip route del "$POD_CIDR" via "$NODE_IP" 2>/dev/null
		ip link del "$LINK" 2>/dev/null
	fi
	remove_cgroups
	# The node's mounts died with its mount namespace; any on the host under DIR is a bug
	# elsewhere, removed all the same (deepest first).
	for m in $(awk -v d="$DIR" 'index($5, d "/") == 1 || $5 == d { print $5 }' \
		/proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -f "$DIR/server" "$DIR/holder.ready" "$DIR/slot"
	[ "$purge" = --purge ] && rm -rf "$DIR"
	return 0
}

cmd_status() {
	local n rc=0
	[ -s "$DIR/slot" ] && slot_vars "$(cat "$DIR/slot")"
	for n in holder etcd apiserver kcm scheduler containerd kubelet; do
		if ours "$n" >/dev/null; then echo "$n: running, pid $(ours "$n")"
		else echo "$n: not running"; rc=1; fi
	done
	if [ -n "${NODE_IP:-}" ] && api /api/v1/nodes/node1 2>/dev/null |
		grep -q '"type":"Ready","status":"True"'; then
		echo "node1: Ready at https://$NODE_IP:6443 (host link $LINK)"
	else
		echo "node1: not Ready"; rc=1
	fi
	return $rc
}

[ $# -ge 2 ] || usage
verb=$1 DIR=$2
shift 2
case $verb in
start) mkdir -p "$DIR" || die "cannot create $DIR" ;;
stop | status) [ -d "$DIR" ] || { [ "$verb" = stop ] && exit 0; die "no $DIR"; } ;;
*) usage ;;
esac
DIR=$(cd "$DIR" && pwd)
# Inside the node /run, /var/lib and /var/log are DIR's own: DIR cannot be under them.
case $DIR/ in
/run/* | /var/lib/* | /var/log/*) die "$DIR: under /run, /var/lib or /var/log (hidden in the node)" ;;
esac
case $verb in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status ;;
esac
