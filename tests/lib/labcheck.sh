# shellcheck shell=bash
# What the lab's shell tests share (sourced after tests/lib/shtest.sh, with LAB and LABCTL
# set): the lab's processes and cgroups (lab_pids, record_pids), and check_gone — nothing
# of a lab is left after `lab down` or a failed `lab up`. Call `labcheck_before` before the
# lab comes up (host interfaces to compare).
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
links() { ip -o link | sed -E 's/^[0-9]+: ([^:@]+).*/\1/' | sort; }
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
# A process as "PID:START" (START: its start time in clock ticks since boot, /proc/PID/stat
# field 22), so that a PID recorded now and reused by another process later is not taken for
# the lab's. Nothing when it is gone.
proc_id() { # pid
	local pid=$1 line
	read -r line 2>/dev/null <"/proc/$pid/stat" || return 0
	line=${line##*) }
	# shellcheck disable=SC2086 # numeric fields
	set -- $line
	echo "$pid:${20}"
}
# What the lab runs, one per line: its processes as PID:START — containerd, its shims, the
# pods' processes, the supervisor, the agent, found by their PID files and also by their
# command lines (which name DIR), so that a PID file removed too early hides nothing — and
# its tasks' cgroups as cg:PATH. Exits 1 when it found no process (nothing to check later).
lab_pids() { # dir
	local p id sock dir a args prev sup pid cg
	dir=$(realpath -m "$1")
	sock=$(sock_of "$dir")
	for id in $(ls "$dir/containerd/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null); do
		for cg in /sys/fs/cgroup/*/k8s.io/"$id" /sys/fs/cgroup/k8s.io/"$id"; do
			[ ! -d "$cg" ] || echo "cg:$cg"
		done
	done
	{
		cat "$dir/containerd/containerd.pid" "$dir/supervisor.pid" "$dir/agent.pid" 2>/dev/null
		for id in $(ls "$dir/containerd/state/io.containerd.runtime.v2.task/k8s.io" 2>/dev/null); do
			cat /sys/fs/cgroup/*/k8s.io/"$id"/cgroup.procs /sys/fs/cgroup/k8s.io/"$id"/cgroup.procs 2>/dev/null
		done
		for p in /proc/[0-9]*; do
			mapfile -d '' -t args 2>/dev/null <"$p/cmdline" || continue
			prev="" sup=0
			for a in "${args[@]}"; do
				case $a in
				"$sock" | "$dir/containerd/config.toml" | *"'$dir/containerd/config.toml'"* | \
					"--unix-socket=$dir/agent.sock")
					echo "${p#/proc/}"
					break ;;
				_supervise) sup=1 ;;
				esac
				if [ $sup = 1 ] && [ "$prev" = --dir ] && [ "$a" = "$dir" ]; then echo "${p#/proc/}"; break; fi
				prev=$a
			done
		done
	} | sort -un | while read -r pid; do proc_id "$pid"; done | grep .
}
# PID:START of every live process below PID (its children, theirs, ...), PID included.
tree_pids() { # pid
	local p line q
	local -A kids=()
	local -a queue=("$1")
	for p in /proc/[0-9]*; do
		read -r line 2>/dev/null <"$p/stat" || continue
		line=${line##*) }
		# shellcheck disable=SC2086
		set -- $line
		kids[$2]+=" ${p#/proc/}"
	done
	proc_id "${queue[0]}"
	while [ ${#queue[@]} -gt 0 ]; do
		q=${queue[0]}
		queue=("${queue[@]:1}")
		for p in ${kids[$q]:-}; do
			proc_id "$p"
			queue+=("$p")
		done
	done
}
# In the background: every INTERVAL seconds (default 0.2) until PID has ended, add to FILE
# the lab's parts (lab_pids DIR) and every process below PID — what a `lab up` started
# before it failed, whatever PID files say. Ends by itself with its caller too; wait for
# $RECORDER before reading FILE.
record_pids() { # dir pid file [interval]
	local dir=$1 pid=$2 file=$3 every=${4:-0.2} caller=$$
	(
		while kill -0 "$pid" 2>/dev/null && kill -0 "$caller" 2>/dev/null; do
			{ lab_pids "$dir"; tree_pids "$pid"; } >>"$file"
			sleep "$every"
		done
		lab_pids "$dir" >>"$file"
		sort -u -o "$file" "$file"
	) &
	RECORDER=$!
}
# Whether a process given as PID or PID:START is gone: no such process, a zombie, or a
# process started at another time (its PID reused).
proc_gone() { # pid[:start]
	local pid=${1%%:*} start line
	[ "$pid" != "$1" ] && start=${1#*:} || start=""
	read -r line 2>/dev/null <"/proc/$pid/stat" || return 0
	line=${line##*) }
	# shellcheck disable=SC2086
	set -- $line
	[ "$1" = Z ] || [ "$1" = X ] || { [ -n "$start" ] && [ "${20}" != "$start" ]; }
}
# Nothing of DIR is left: PARTS gone (processes as PID or PID:START, cgroups as cg:PATH),
# no mounts, no netns, host interfaces as before, DIR removed. No process among PARTS at all
# is a failure (a recorder that saw nothing proves nothing). Cgroups are checked by name, not
# by comparing every runtime's with labcheck_before's: another lab or test running on the
# machine at the same time has its own; no cg: part means the lab made no container.
check_gone() { # name dir netns-path parts...
	local name=$1 dir=$2 ns=$3 p alive=() cgs=() cgleft=() m
	shift 3
	for p in "$@"; do
		case $p in
		cg:*) cgs+=("${p#cg:}"); [ ! -e "${p#cg:}" ] || cgleft+=("${p#cg:}") ;;
		*) proc_gone "$p" || alive+=("$p $(tr '\0' ' ' </proc/"${p%%:*}"/cmdline | cut -c1-80)") ;;
		esac
	done
	if [ $(($# - ${#cgs[@]})) -eq 0 ]; then
		fail "$name: no lab PIDs were recorded, so no process can be shown gone"
	else
		[ ${#alive[@]} -eq 0 ] && ok "$name: none of the lab's $(($# - ${#cgs[@]})) processes is left" ||
			fail "$name: processes left" "${alive[@]}"
	fi
	m=$(grep -F " $dir" /proc/self/mounts; grep -F " $ns " /proc/self/mounts)
	[ -z "$m" ] && ok "$name: no mounts under DIR, no netns bind" || fail "$name: mounts left" "$m"
	[ ! -e "$ns" ] && ok "$name: the lab netns is gone" || fail "$name: $ns is still there"
	[ ${#cgleft[@]} -eq 0 ] && ok "$name: none of the lab's ${#cgs[@]} container cgroups is left" ||
		fail "$name: cgroups left" "${cgleft[@]}"
	[ "$(links)" = "$links_before" ] && ok "$name: host interfaces as before" ||
		fail "$name: host interfaces differ" "$(diff <(echo "$links_before") <(links))"
	[ ! -e "$dir" ] && ok "$name: DIR removed" || fail "$name: DIR left" "$(ls -A "$dir")"
}

# The count in the control experiment's records-lost failure, as the verdict writes it
# ("integrity lost 2236 != 0 at 12:03:41"; controller/probes/verdict.c): printed when the whole
# message is that, with a count of at least 1; exit 1 otherwise.
lost_count() { # message
	local re='^integrity lost ([1-9][0-9]*) != 0 at [0-9]{2}:[0-9]{2}:[0-9]{2}$'
	[[ $1 =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

labcheck_before() {
	links_before=$(links)
}
