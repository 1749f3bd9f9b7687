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
# tasks), the supervisor, the agent. Exits 1 when it found none (nothing to check later).
lab_pids() { # dir
	local p id sock
	sock=$(sock_of "$1")
	{
		cat "$1/containerd/containerd.pid" "$1/supervisor.pid" "$1/agent.pid" 2>/dev/null
		for id in $(ls "$1/containerd/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null); do
			cat /sys/fs/cgroup/*/k8s.io/"$id"/cgroup.procs 2>/dev/null
		done | sort -u
		for p in /proc/[0-9]*; do
			case $(readlink "$p/exe" 2>/dev/null) in */containerd-shim*) ;; *) continue ;; esac
			tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qxF "$sock" && echo "${p#/proc/}"
		done
	} | grep .
}
# Nothing of DIR is left: PIDS gone, mounts, netns, cgroups, host interfaces, DIR. Handed
# no PIDs, the process check fails: "none of 0 processes is left" would prove nothing.
check_gone() { # name dir netns-path pids...
	local name=$1 dir=$2 ns=$3 p alive=() m
	shift 3
	for p in "$@"; do exited "$p" || alive+=("$p $(tr '\0' ' ' </proc/"$p"/cmdline | cut -c1-80)"); done
	if [ $# -eq 0 ]; then
		fail "$name: no lab PIDs were recorded, so no process can be shown gone"
	elif [ ${#alive[@]} -eq 0 ]; then
		ok "$name: none of the lab's $# processes is left"
	else
		fail "$name: processes left" "${alive[@]}"
	fi
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

# The count in the control experiment's records-lost failure, as the verdict writes it
# ("integrity lost 2236 != 0 at 12:03:41"; controller/src/verdict.c): printed when the whole
# message is that, with a count of at least 1; exit 1 otherwise.
lost_count() { # message
	local re='^integrity lost ([1-9][0-9]*) != 0 at [0-9]{2}:[0-9]{2}:[0-9]{2}$'
	[[ $1 =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

labcheck_before() {
	links_before=$(links)
	cgroups_before=$(cgroups)
}
