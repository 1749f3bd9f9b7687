# shellcheck shell=bash
# The process helpers of the Kubernetes test servers' scripts (kube-api.sh, kube-cluster.sh),
# sourced by them: each server a PID file in $DIR, started in a session of its own and
# stopped by that file. The sourcing script owns $DIR, $ROOT, $ME (its name in messages)
# and die(); $SPAWN_IN (an array, empty by default) is the command a server is run
# through (kube-cluster.sh: nsenter into its node's namespaces).
SPAWN_IN=()

# The Kubernetes binaries: $FL_K8S_BIN, else the cache of scripts/k8s-build.sh.
bin_dir() {
	if [ -n "${FL_K8S_BIN:-}" ]; then echo "$FL_K8S_BIN"; return; fi
	local d
	d=$(bash "$ROOT/scripts/k8s-build.sh" --print-dir) || exit 3
	echo "$d/bin"
}

# Processes of DIR: their PID files, checked against the command line (a PID may be reused).
ours() { # name
	local pid
	pid=$(cat "$DIR/$1.pid" 2>/dev/null) || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$DIR" &&
		echo "$pid"
}

gone() { # pid: exited (a zombie counts as exited: its parent reaps it, not us)
	[ ! -r "/proc/$1/stat" ] || awk '{ exit !($3 == "Z") }' "/proc/$1/stat" 2>/dev/null
}

stop_one() { # name [tenths of a second before SIGKILL]
	local pid t=0
	pid=$(ours "$1") || { rm -f "$DIR/$1.pid"; return 0; }
	kill -TERM "$pid" 2>/dev/null
	while ! gone "$pid" && [ $t -lt "${2:-150}" ]; do sleep 0.1; t=$((t + 1)); done
	gone "$pid" || { kill -KILL "$pid" 2>/dev/null; echo "$ME: SIGKILLed $1" >&2; }
	while ! gone "$pid"; do sleep 0.05; done
	rm -f "$DIR/$1.pid"
}

# setsid: each server has a session of its own, so a test's process group being signalled
# (timeout(1) does that) cannot take etcd away under a running API server; the shell writes
# its own PID, then becomes the program (exec, and $SPAWN_IN's nsenter execs too): the PID
# file is the server's.
spawn() { # name program args...
	local name=$1
	shift
	# shellcheck disable=SC2016
	setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$DIR/$name.pid" "${SPAWN_IN[@]}" "$@" \
		>"$DIR/$name.log" 2>&1 </dev/null &
	local t=0
	while [ ! -s "$DIR/$name.pid" ] && [ $t -lt 100 ]; do sleep 0.05; t=$((t + 1)); done
}

# The API server's credentials in DIR: the service-account key pair and two static tokens,
# DIR/admin.token (group system:masters) and DIR/nobody.token (no rights), in tokens.csv.
make_credentials() {
	local admin nobody
	openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null &&
		openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null ||
		die "openssl could not make the service-account key pair"
	admin=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	nobody=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
	printf '%s\n' "$admin" >"$DIR/admin.token"
	printf '%s\n' "$nobody" >"$DIR/nobody.token"
	printf '%s,admin,admin-uid,"system:masters"\n%s,nobody,nobody-uid\n' "$admin" "$nobody" \
		>"$DIR/tokens.csv"
	chmod 600 "$DIR"/*.token "$DIR/tokens.csv" "$DIR/sa.key"
}

# DIR/kubeconfig: the admin (its token file), the server's certificate (DIR/ca.crt) as CA.
write_kubeconfig() { # server URL
	cat >"$DIR/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: faultline-test
  cluster:
    server: $1
    certificate-authority: ca.crt
users:
- name: admin
  user:
    tokenFile: admin.token
contexts:
- name: faultline-test
  context: {cluster: faultline-test, user: admin}
current-context: faultline-test
KC
}
