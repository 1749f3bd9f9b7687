# shellcheck shell=bash
# The --owner watchdog of the test servers' scripts (kafka-cluster.sh, kube-api.sh), sourced
# by them. It runs in a session of its own (like the servers, so a test's process group
# being signalled does not end it), polls once a second, and when the owner is gone while
# DIR still holds the servers (DIR/MARKER exists), it becomes `SCRIPT stop DIR --purge`.

watch_owner() { # owner dir marker script
	# shellcheck disable=SC2016
	setsid bash -c 'echo $$ >"$2/watchdog.pid"
		while kill -0 "$1" 2>/dev/null && [ -f "$2/$3" ]; do sleep 1; done
		[ -f "$2/$3" ] && exec bash "$4" stop "$2" --purge' _ "$1" "$2" "$3" "$4" \
		>>"$2/watchdog.log" 2>&1 </dev/null &
	local t=0
	while [ ! -s "$2/watchdog.pid" ] && [ $t -lt 100 ]; do sleep 0.05; t=$((t + 1)); done
}

# End the watchdog of dir (a normal stop needs it no longer); never the process running this.
end_watchdog() { # dir
	local pid
	pid=$(cat "$1/watchdog.pid" 2>/dev/null) || return 0
	rm -f "$1/watchdog.pid"
	[[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" != $$ ] || return 0
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$1" && kill "$pid" 2>/dev/null || true
}
