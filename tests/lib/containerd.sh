#!/bin/bash
# A private containerd with the CRI plugin for tests (and, later, the lab):
#
#   tests/lib/containerd.sh start DIR   start (idempotent); prints the CRI socket path
#   tests/lib/containerd.sh stop DIR    stop and remove everything it made, also after a
#                                       kill -9 of containerd: containers, shims, cgroups
#   tests/lib/containerd.sh env DIR     print the socket path (also: socket DIR)
#
# Exit status: 0 ok, 1 containerd did not come up, 2 usage, 3 a dependency is missing.
# A start that fails (or is interrupted by SIGTERM/SIGHUP) stops what it started, as `stop`
# does. Environment: FL_CRI_START_TIMEOUT (seconds until containerd must answer, default 30),
# FL_CRI_SUBNET (the pods' subnet, default 10.88.0.0/16).
#
# Facts this relies on (../shared/recipes, measured here): Debian's containerd 1.6 + runc;
# shim sockets go to /run/containerd/s whatever the config says, so containerd runs in its
# own mount namespace with DIR/run bind-mounted over /run; it also gets its own network
# namespace so the CNI bridge and pod veths never touch the host's network. Pods reach each
# other on a CNI bridge (10.88.0.0/16). No registry is reachable: images are built locally
# (make-oci-image.py) and imported. The sandbox image is localhost/faultline/pause:1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
cmd=${1:-}
DIR=${2:-}
[ -n "$cmd" ] && [ -n "$DIR" ] || { echo "usage: $0 start|stop|env DIR" >&2; exit 2; }
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
SOCK=$DIR/containerd.sock
PIDFILE=$DIR/containerd.pid
CHILD=""
SUBNET=${FL_CRI_SUBNET:-10.88.0.0/16}
START_TIMEOUT=${FL_CRI_START_TIMEOUT:-30}
[[ "$START_TIMEOUT" =~ ^[1-9][0-9]*$ ]] ||
	{ echo "containerd.sh: FL_CRI_START_TIMEOUT=$START_TIMEOUT: expected whole seconds >= 1" >&2; exit 2; }

# Whether containerd answers on SOCK. ctr alone waits 10 s for a socket that is not there.
answers() {
	[ -S "$SOCK" ] && ctr --connect-timeout 2s --address "$SOCK" version >/dev/null 2>&1
}

running() {
	[ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && answers
}

write_config() {
	mkdir -p "$DIR"/{root,state,run,logs,cni/net.d,cni/ipam,images}
	cat > "$DIR/config.toml" <<EOF
version = 2
root = "$DIR/root"
state = "$DIR/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$SOCK"
[ttrpc]
  address = ""
[debug]
  address = ""
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  disable_apparmor = true
  disable_tcp_service = true
  sandbox_image = "localhost/faultline/pause:1"
  netns_mounts_under_state_dir = true
  # No CAP_SYS_RESOURCE here: the sandbox's oom_score_adj -998 would fail.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "$DIR/state/runc"
        SystemdCgroup = false
EOF
	cat > "$DIR/cni/net.d/10-faultline.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "faultline-test",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "fl0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$SUBNET" }]],
        "routes": [{ "dst": "0.0.0.0/0" }],
        "dataDir": "$DIR/cni/ipam"
      }
    }
  ]
}
EOF
}

import_images() {
	local tar
	for img in pause busybox; do
		tar=$DIR/images/$img.tar
		if [ ! -s "$tar" ]; then
			if [ "$img" = pause ]; then
				python3 "$HERE/make-oci-image.py" "$tar" localhost/faultline/pause:1 >/dev/null
			else
				python3 "$HERE/make-oci-image.py" "$tar" localhost/faultline/busybox:1 \
					--cmd /bin/sh >/dev/null
			fi
		fi
		ctr --address "$SOCK" -n k8s.io images import --snapshotter overlayfs "$tar" >/dev/null
	done
}

start() {
	local deadline
	if running; then
		echo "$SOCK"
		return
	fi
	for b in containerd ctr runc unshare ip python3 /usr/lib/cni/bridge /usr/lib/cni/host-local
	do
		command -v "$b" >/dev/null 2>&1 || [ -x "$b" ] ||
			{ echo "containerd.sh: $b is not installed (scripts/install-deps.sh)" >&2; exit 3; }
	done
	write_config
	rm -f "$SOCK"
	# Until it answers with its images imported, a failure or a signal removes what we made.
	trap stop EXIT
	# Own mount namespace (/run private to it) and own network namespace (lo up).
	unshare --mount --net --propagation private -- sh -c \
		"mount --bind '$DIR/run' /run && ip link set lo up && exec containerd --config '$DIR/config.toml'" \
		>>"$DIR/logs/containerd.log" 2>&1 &
	CHILD=$!
	echo "$CHILD" > "$PIDFILE"
	deadline=$((SECONDS + START_TIMEOUT))
	until answers; do
		if [ $SECONDS -ge $deadline ] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
			echo "containerd.sh: containerd did not come up" \
				"$(kill -0 "$(cat "$PIDFILE")" 2>/dev/null && echo "in $START_TIMEOUT s" || echo "(it exited)");" \
				"last log lines:" >&2
			tail -20 "$DIR/logs/containerd.log" >&2
			exit 1
		fi
		sleep 0.05
	done
	import_images
	trap - EXIT
	echo "$SOCK"
}

# Whether PID is our containerd at any stage of its start: unshare, then sh -c, then
# containerd itself (the same PID throughout), each with our config path in its arguments —
# as one argument (--config PATH), or quoted inside the sh -c command.
ours() { # pid
	local a args
	mapfile -d '' -t args 2>/dev/null < "/proc/$1/cmdline" || return 1
	for a in "${args[@]}"; do
		[ "$a" != "$DIR/config.toml" ] && [[ "$a" != *"'$DIR/config.toml'"* ]] || return 0
	done
	return 1
}

# Our containerd: the PID in PIDFILE if it is still ours, else any process that is (PIDFILE
# removed with DIR while it ran).
our_containerd() {
	local p
	if [ -f "$PIDFILE" ] && ours "$(cat "$PIDFILE")"; then
		cat "$PIDFILE"
		return
	fi
	for p in /proc/[0-9]*; do
		ours "${p#/proc/}" && echo "${p#/proc/}"
	done
	return 0
}

# Our shims: a containerd-shim* executable with our socket path as one of its arguments
# (-address SOCK). Not merely any process naming the socket (an agent under test does).
our_shims() {
	local p exe args
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case ${exe##*/} in
		containerd-shim*) ;;
		*) continue ;;
		esac
		args=$(tr '\0' '\n' < "$p/cmdline" 2>/dev/null) || continue
		if grep -qxF -- "$SOCK" <<< "$args"; then
			echo "${p#/proc/}"
		fi
	done
	return 0
}

# Only what our containerd started: the containers in our runc root, our shims, and the
# cgroups of the tasks whose bundles are in DIR. Works after a kill -9 of containerd.
stop() {
	local pid shims id p
	trap - EXIT
	# SIGKILL at once: everything it leaves is removed below anyway, and a graceful stop
	# costs 1.3 s (measured) for nothing. The pid must still be our containerd.
	for pid in $(our_containerd) ${CHILD:-}; do
		# The child a failed start made, also before it exec'd unshare: still our child.
		[ "$pid" != "${CHILD:-}" ] || [ "$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null)" = $$ ] ||
			continue
		kill -9 "$pid" 2>/dev/null || true
		for _ in $(seq 100); do [ -e "/proc/$pid/exe" ] || break; sleep 0.02; done
		# Reap our child quietly (bash would report "Killed" with its command line).
		[ "$pid" != "${CHILD:-}" ] || wait "$pid" 2>/dev/null || true
	done
	rm -f "$PIDFILE"
	# Containers (sandbox and app) in our runc root: delete -f kills them (SIGKILL), waits,
	# and removes their cgroups.
	if [ -d "$DIR/state/runc/k8s.io" ]; then
		for id in $(runc --root "$DIR/state/runc/k8s.io" list -q 2>/dev/null); do
			runc --root "$DIR/state/runc/k8s.io" delete -f "$id" 2>/dev/null || true
		done
	fi
	shims=$(our_shims)
	for pid in $shims; do
		kill -9 "$pid" 2>/dev/null || true
	done
	# Container cgroups (cgroupfs driver: /k8s.io/<id> under each controller).
	for cg in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do
		[ -d "$cg" ] || continue
		for d in "$cg"/*/; do
			[ -d "$d" ] || continue
			id=$(basename "$d")
			[ -e "$DIR/root/io.containerd.runtime.v2.task/k8s.io/$id" ] ||
				[ -e "$DIR/state/io.containerd.runtime.v2.task/k8s.io/$id" ] || continue
			# A process runc did not reach (its state gone with a half-dead shim).
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do
				kill -9 "$p" 2>/dev/null || true
			done
			rmdir "$d" 2>/dev/null || { sleep 0.2; rmdir "$d" 2>/dev/null; } || true
		done
	done
	# Anything still mounted under DIR in our namespace (none normally: they lived in
	# containerd's private mount namespace, which is gone with its processes).
	{ grep " $DIR/" /proc/self/mounts 2>/dev/null || true; } | awk '{print $2}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	# The per-runtime cgroup parents, if nothing else uses them any more.
	for cg in /sys/fs/cgroup/*/k8s.io /sys/fs/cgroup/k8s.io; do
		[ -d "$cg" ] && rmdir "$cg" 2>/dev/null || true
	done
	rm -rf "$DIR"
}

case $cmd in
start) start ;;
stop) stop ;;
env | socket) echo "$SOCK" ;;
*) echo "usage: $0 start|stop|env DIR" >&2; exit 2 ;;
esac
