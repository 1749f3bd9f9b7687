# shellcheck shell=bash
# What the lab's shell tests share (sourced after tests/lib/shtest.sh, with LAB and LABCTL
# set): the lab's processes, and check_gone — nothing of a lab is left after `lab down`.
# Call `labcheck_before` before the lab comes up (host interfaces and cgroups to compare).
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
links() { ip -o link | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | sort; }
cgroups() { ls -d /sys/fs/cgroup/*/k8s.io/* /sys/fs/cgroup/k8s.io/* 2>/dev/null | sort; }
exited() {
	local st
	st=$(sed 's/^.*) //' 2>/dev/null <"/proc/$1/stat" | cut -d' ' -f1) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}
netns_of() { sed -n 1p "$1/netns"; }
sock_of() { echo "$1/containerd/containerd.sock"; }
# "NAME IP STATE PID" of the lab's Kafka pods
pods() { "$LABCTL" "$(sock_of "$1")" ps | awk '$1 == "streamforge" && $2 ~ /^kafka-/ { print $2, $5, $7, $8 }' | sort; }
# the same for the pipeline's pods (loader, connector, and the unsafe pair)
pipeline_pods() { "$LABCTL" "$(sock_of "$1")" ps | awk '$1 == "streamforge" && $2 !~ /^kafka-/ { print $2, $5, $7, $8 }' | sort; }
brokers_seen() { # dir ip
	"$LAB" exec --dir "$1" kcat -L -b "$2:9092" -m 2 2>/dev/null |
		sed -nE 's/^ ([0-9]+) brokers:$/\1/p' | head -1
}
# Every PID the lab runs: containerd, its shims, the pods' processes (the cgroups of its
# tasks), the supervisor, the agent.
lab_pids() { # dir
	local p id sock
	sock=$(sock_of "$1")
	cat "$1/containerd/containerd.pid" "$1/supervisor.pid" "$1/agent.pid" 2>/dev/null
	for id in $(ls "$1/containerd/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null); do
		cat /sys/fs/cgroup/*/k8s.io/"$id"/cgroup.procs 2>/dev/null
	done | sort -u
	for p in /proc/[0-9]*; do
		case $(readlink "$p/exe" 2>/dev/null) in */containerd-shim*) ;; *) continue ;; esac
		tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$sock" && echo "${p#/proc/}"
	done
	return 0
}
# Nothing of DIR is left: PIDS gone, mounts, netns, cgroups, host interfaces, DIR.
check_gone() { # name dir netns-path pids...
	local name=$1 dir=$2 ns=$3 p alive=() m
	shift 3
	for p in "$@"; do exited "$p" || alive+=("$p $(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-80)"); done
	[ ${#alive[@]} -eq 0 ] && ok "$name: none of the lab's $# processes is left" ||
		fail "$name: processes left" "${alive[@]}"
	m=$(grep -F " $dir" /proc/self/mounts; grep -F " $ns " /proc/self/mounts)
	[ -z "$m" ] && ok "$name: no mounts under DIR, no netns bind" || fail "$name: mounts left" "$m"
	[ ! -e "$ns" ] && ok "$name: the lab netns is gone" || fail "$name: $ns is still there"
	[ "$(cgroups)" = "$cgroups_before" ] && ok "$name: no leftover cgroups" ||
		fail "$name: cgroups differ" "$(diff <(echo "$cgroups_before") <(cgroups))"
	[ "$(links)" = "$links_before" ] && ok "$name: host interfaces as before" ||
		fail "$name: host interfaces differ" "$(diff <(echo "$links_before") <(links))"
	{ [ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ]; } && ok "$name: DIR removed" ||
		fail "$name: DIR left" "$(ls -A "$dir")"
}

labcheck_before() {
	links_before=$(links)
	cgroups_before=$(cgroups)
}
