#!/bin/bash
# The lab: a real 3-broker Apache Kafka (KRaft) and the demo pipeline (loader, connector) as
# pods on a private containerd, with the Faultline agent running against that CRI socket, as
# on a Kubernetes node. See lab/README.md.
#
#   lab.sh up     [--dir DIR] [--restart-delay SECONDS] [--no-pipeline]
#                                                         bring it up (idempotent)
#   lab.sh down   [--dir DIR]                             remove everything it made
#   lab.sh status [--dir DIR]                             pods, brokers, agent
#   lab.sh tool   [--dir DIR] CLASS ARGS...               a Kafka CLI class in the lab netns
#   lab.sh topics [--dir DIR] ARGS...                     kafka-topics.sh (adds the bootstrap)
#   lab.sh exec   [--dir DIR] COMMAND...                  COMMAND in the lab's network namespace
#   lab.sh VERB --kubernetes ...                          the lab on a Kubernetes cluster
#                                                         (lab/lab-k8s.sh: up, down, status)
#
# DIR defaults to /var/lib/faultline/lab. Exit status: 0 ok, 1 failed, 2 usage, 3 a
# dependency is missing. Environment: FL_LAB_BROKERS_TIMEOUT (readiness wait, default 150 s),
# FL_LAB_KEEP=1 (a failed up leaves what it made), BUILD (the build directory: under the
# source tree, default build, or an absolute path).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
case ${BUILD:-build} in
/*) BUILD_DIR=$BUILD ;;
*) BUILD_DIR=$ROOT/${BUILD:-build} ;;
esac
LABCTL=$BUILD_DIR/lab/labctl
AGENT=$BUILD_DIR/faultline-agent
CONTAINERD_SH=$ROOT/tests/lib/containerd.sh
MKIMAGE=$ROOT/tests/lib/make-oci-image.py
NS=streamforge
BROKERS=3
KAFKA_IMAGE=localhost/faultline/kafka:1
PIPELINE_IMAGE=localhost/faultline/pipeline:1
PIPELINE_BIN=$BUILD_DIR/lab
# A restarted loader or connector comes back after this long (brokers: --restart-delay).
PIPELINE_RESTART_DELAY=3
READY_TIMEOUT=${FL_LAB_BROKERS_TIMEOUT:-150}

usage() {
	sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() { echo "lab: $*" >&2; exit 1; }

T0=$(date +%s.%N)
now() { date +%s.%N; }
elapsed() { awk -v a="$T0" -v b="$(now)" 'BEGIN { printf "%5.1f", b - a }'; }
say() { echo "lab: [$(elapsed) s] $*"; }

# ---- paths -----------------------------------------------------------------------------
set_dir() {
	DIR=$(realpath -m "$1")
	CDIR=$DIR/containerd
	SOCK=$CDIR/containerd.sock
	# The lab network's name: faultline-lab for the default DIR, else one per DIR.
	if [ "$DIR" = /var/lib/faultline/lab ]; then
		NETNS_NAME=faultline-lab
	else
		NETNS_NAME=faultline-lab-$(printf %s "$DIR" | md5sum | cut -c1-8)
	fi
	NETNS_PATH=/run/netns/$NETNS_NAME
}

# A PID from FILE if that process still is what we started: its command line holds MARK.
our_pid() { # file mark
	local pid
	[ -f "$1" ] || return 1
	pid=$(cat "$1")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
	echo "$pid"
}
containerd_pid() { our_pid "$CDIR/containerd.pid" "$CDIR/config.toml"; }
agent_pid() { our_pid "$DIR/agent.pid" "--unix-socket=$DIR/agent.sock"; }
supervisor_pid() { our_pid "$DIR/supervisor.pid" "$DIR"; }

# The lab's supervisor and agent found by their command lines, not by a PID file under DIR:
# `down` must find them also when DIR or a PID file is gone. Their arguments name DIR whole:
# the supervisor's "_supervise --dir DIR", the agent's "--unix-socket=DIR/agent.sock" (as its
# own argv or setsid's). Builtins only (mapfile -d ''), so a scan costs no process per PID.
lab_procs() {
	local p args a prev sup
	for p in /proc/[0-9]*; do
		mapfile -d '' -t args 2>/dev/null <"$p/cmdline" || continue
		prev="" sup=0
		for a in "${args[@]}"; do
			if [ "$a" = "--unix-socket=$DIR/agent.sock" ]; then echo "${p#/proc/}"; break; fi
			[ "$a" != _supervise ] || sup=1
			if [ $sup = 1 ] && [ "$prev" = --dir ] && [ "$a" = "$DIR" ]; then echo "${p#/proc/}"; break; fi
			prev=$a
		done
	done
	return 0
}

labctl() { "$LABCTL" "$SOCK" "$@"; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
			{ echo "lab: $t is not installed or built (make all; scripts/install-deps.sh)" >&2; exit 3; }
	done
}

# ---- Java and Kafka from the host, read-only -------------------------------------------
find_java() {
	local j
	j=$(readlink -f "$(command -v java)") || die "java is not installed"
	JAVA_HOME=${j%/bin/java}
	case $JAVA_HOME in /usr/lib/jvm/*) ;; *) die "java at $j: expected /usr/lib/jvm/<jdk>" ;; esac
	# Debian's JDK links its config (jvm.cfg, security) into /etc/java-N-openjdk.
	JAVA_ETC=$(dirname "$(readlink -f "$JAVA_HOME/lib/jvm.cfg")")
	LIBS=$("$ROOT/scripts/kafka-jars.sh" --print-libs) || exit $?
}

build_image() {
	local tar=$DIR/images/kafka.tar entry=$DIR/images/kafka-entry
	mkdir -p "$DIR/images"
	# The entrypoint: the host's java (bind-mounted at the same path) with the jar cache at
	# /kafka/libs, the node's config at /config and its data at /data.
	cat >"$entry" <<EOF
#!/bin/sh
exec $JAVA_HOME/bin/java \$(cat /config/jvm.opts) -Dkafka.logs.dir=/data/logs \\
	-Dlog4j.configuration=file:/config/log4j.properties -cp '/kafka/libs/*' \\
	kafka.Kafka /config/server.properties
EOF
	python3 "$MKIMAGE" "$tar" "$KAFKA_IMAGE" --file "$entry:/bin/kafka-entry" \
		--cmd /bin/kafka-entry >/dev/null
	ctr --address "$SOCK" -n k8s.io images import --snapshotter overlayfs "$tar" >/dev/null
}

# Never one that starts with "-": Kafka's own Uuid.randomUuid() redraws those, because
# the tools' argument parser takes "-xyz..." for an option (a 1-in-64 failure otherwise).
random_uuid() {
	local u
	while :; do
		u=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		[ "${u#-}" = "$u" ] && break
	done
	echo "$u"
}

write_node() { # i voters ip
	local i=$1 voters=$2 ip=$3 d=$DIR/nodes/kafka-$1
	mkdir -p "$d/config" "$d/data"
	cat >"$d/config/server.properties" <<EOF
# Written by lab/lab.sh: pod $NS/kafka-$i, combined broker+controller (KRaft).
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://$ip:9092,CONTROLLER://$ip:9093
advertised.listeners=PLAINTEXT://$ip:9092
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=/data/kafka
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
# Leadership moves only when a broker fails, never by a rebalance on a 5-minute tick: the
# experiments' effect checks ("the partition's leader changed") must see their fault's work.
auto.leader.rebalance.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
EOF
	echo "-Xmx384m -Xms128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=128m -XX:-UsePerfData -Djava.awt.headless=true" \
		>"$d/config/jvm.opts"
	cat >"$d/config/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
	cat >"$DIR/pods/kafka-$i.spec" <<EOF
image $KAFKA_IMAGE
mount $JAVA_HOME:$JAVA_HOME:ro
mount $JAVA_ETC:$JAVA_ETC:ro
mount /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro
mount /usr/lib64:/lib64:ro
mount $LIBS:/kafka/libs:ro
mount $d/config:/config:ro
mount $d/data:/data
cmd /bin/kafka-entry
EOF
}

tools_log4j() {
	cat >"$DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

# Format node 0 on the host (log.dirs pointed at its data dir), copy to the others with
# their node.id and a directory.id of their own: one JVM instead of three.
format_storage() {
	local i d0=$DIR/nodes/kafka-0/data/kafka d tmpcfg=$DIR/format.properties
	sed "s|^log.dirs=.*|log.dirs=$d0|" "$DIR/nodes/kafka-0/config/server.properties" >"$tmpcfg"
	if ! java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" \
		kafka.tools.StorageTool format -t "$(random_uuid)" -c "$tmpcfg" \
		>"$DIR/format.log" 2>&1; then
		cat "$DIR/format.log" >&2
		die "formatting the Kafka storage failed"
	fi
	rm -f "$tmpcfg"
	for ((i = 1; i < BROKERS; i++)); do
		d=$DIR/nodes/kafka-$i/data/kafka
		mkdir -p "$d"
		cp "$d0/bootstrap.checkpoint" "$d/"
		sed -e "s/^node\.id=.*/node.id=$i/" -e "s/^directory\.id=.*/directory.id=$(random_uuid)/" \
			"$d0/meta.properties" >"$d/meta.properties"
	done
}

# How many brokers IP:9092 lists in a metadata response into SEEN (0: no answer). Called in
# this shell, never in $(...), and kcat runs as this shell's own child (nsenter execs it; no
# function, pipe or subshell in between), answering through a file: an interrupted `up`
# must find the probe below itself (stop_started). kcat catches TERM and ends only when its
# metadata request does (-m 2); run below the subshells of a command substitution and a
# pipeline, which end at once on the TERM (or SIGINT to the whole group), it went on as an
# orphan of init, no longer below `up`, and outlived the lab (test-lab-up-fails.sh's
# gameday-sigterm in a CI run). A failed `up` kills it at once (up_failed; PROBE_PID).
brokers_seen() { # ip
	local out=$DIR/probe.$BASHPID line
	SEEN=0
	nsenter --net="$NETNS_PATH" -- kcat -L -b "$1:9092" -m 2 >"$out" 2>/dev/null &
	PROBE_PID=$!
	wait "$PROBE_PID" || true
	while IFS= read -r line; do
		if [[ "$line" =~ ^\ ([0-9]+)\ brokers:$ ]]; then
			SEEN=${BASH_REMATCH[1]}
			break
		fi
	done <"$out"
	rm -f "$out"
}

# Lines "NAME IP STATE PID" of our Kafka pods, from the runtime.
kafka_pods() {
	labctl ps | awk -v ns="$NS" '$1 == ns && $2 ~ /^kafka-/ { print $2, $5, $7, $8 }' | sort
}

# The same for the loader and connector pods.
pipeline_pods() {
	labctl ps | awk -v ns="$NS" '$1 == ns && $2 !~ /^kafka-/ { print $2, $5, $7, $8 }' | sort
}

# The first of the pods a lister (kafka_pods, pipeline_pods) names whose container has exited:
# nothing restarts it during `up` (the supervisor starts last), so waiting on is pointless.
exited_pod() { # lister
	"$1" | awk '$3 == "exited" { print $1; exit }'
}

wait_ready() {
	local deadline ip ok pod
	deadline=$(($(date +%s) + READY_TIMEOUT))
	while :; do
		ok=1
		for ip in $(tr ',' ' ' <"$DIR/bootstrap" | sed 's/:9092//g'); do
			brokers_seen "$ip"
			[ "$SEEN" = "$BROKERS" ] || { ok=0; break; }
		done
		[ $ok = 1 ] && return 0
		pod=$(exited_pod kafka_pods)
		if [ -n "$pod" ]; then
			echo "lab: broker $NS/$pod exited while starting; the end of its log:" >&2
			tail -5 "$DIR/logs/$pod/main.log" >&2 || true
			exit 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "lab: brokers not ready after $READY_TIMEOUT s; the end of each log:" >&2
			for f in "$DIR"/logs/kafka-*/main.log; do echo "== $f" >&2; tail -5 "$f" >&2; done
			exit 1
		fi
		sleep 0.5
	done
}

# ---- the demo pipeline (lab/pipeline/README.md) ----------------------------------------
# Topics: "workflow" has one partition (the loader writes one key) led by kafka-0, RF 3, the
# cluster's min.insync.replicas 2; "workflow-unsafe" is the control experiment's: RF 2 led by
# kafka-2, min.insync.replicas 1, unclean leader election on, written with acks=1. Pinned
# replicas make "the broker leading the topic" a known pod for the experiments.
create_topics() {
	local b pids=() rc=0 p
	b=$(cat "$DIR/bootstrap")
	# One JVM per topic, in parallel: about 4 s instead of 12.
	cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --create \
		--if-not-exists --topic workflow --replica-assignment 0:1:2 \
		>"$DIR/logs/topic-workflow.log" 2>&1 & pids+=($!)
	cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --create \
		--if-not-exists --topic queue-events --partitions 1 --replication-factor 3 \
		>"$DIR/logs/topic-queue-events.log" 2>&1 & pids+=($!)
	cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$b" --create \
		--if-not-exists --topic workflow-unsafe --replica-assignment 2:0 \
		--config min.insync.replicas=1 --config unclean.leader.election.enable=true \
		>"$DIR/logs/topic-workflow-unsafe.log" 2>&1 & pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	if [ $rc != 0 ]; then
		cat "$DIR"/logs/topic-*.log >&2
		die "creating the pipeline's topics failed"
	fi
}

build_pipeline_image() {
	local tar=$DIR/images/pipeline.tar
	# Our own binaries in the image; glibc and librdkafka come from the host, read-only (the
	# same mounts as the brokers').
	python3 "$MKIMAGE" "$tar" "$PIPELINE_IMAGE" --file "$PIPELINE_BIN/loader:/bin/loader" \
		--file "$PIPELINE_BIN/connector:/bin/connector" --cmd /bin/loader >/dev/null
	ctr --address "$SOCK" -n k8s.io images import --snapshotter overlayfs "$tar" >/dev/null
}

# One pipeline pod: NAME, then its program's arguments. Its state (acked file, sink) is
# DIR/pipeline/NAME, mounted at /state, so that it outlives the container.
pipeline_pod() { # name safe|unsafe program args...
	local name=$1 kind=$2 sb ip a
	shift 2
	mkdir -p "$DIR/logs/$name" "$DIR/pipeline/$name"
	read -r sb ip < <(labctl sandbox "$NS" "$name" "$DIR/logs/$name" "app=$name" \
		faultline.io/lab=pipeline "pipeline=$kind")
	[ -n "$ip" ] && [ "$ip" != - ] || die "pod $name got no IP"
	echo "$sb" >"$DIR/pods/$name.sandbox"
	echo "$ip" >"$DIR/pods/$name.ip"
	echo "$PIPELINE_RESTART_DELAY" >"$DIR/pods/$name.restart-delay"
	{
		echo "image $PIPELINE_IMAGE"
		echo "mount /usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu:ro"
		echo "mount /usr/lib64:/lib64:ro"
		echo "mount $DIR/pipeline/$name:/state"
		for a in "$@"; do echo "cmd $a"; done
	} >"$DIR/pods/$name.spec"
	labctl start "$sb" "$DIR/logs/$name" "$DIR/pods/$name.spec" >/dev/null
}

start_pipeline() {
	local b
	b=$(cat "$DIR/bootstrap")
	pipeline_pod loader safe /bin/loader --bootstrap "$b" --acked /state/acked --topic workflow \
		--rate 200
	pipeline_pod connector safe /bin/connector --bootstrap "$b" --sink /state/sink --topic workflow \
		--group connector
	pipeline_pod loader-unsafe unsafe /bin/loader --bootstrap "$b" --acked /state/acked \
		--topic workflow-unsafe --acks 1 --symbol UNS --queue-id lab-unsafe --rate 100
	pipeline_pod connector-unsafe unsafe /bin/connector --bootstrap "$b" --sink /state/sink \
		--topic workflow-unsafe --group connector-unsafe --queue-id lab-unsafe
	# The decoy: an idle pod nothing talks to. A negative gameday (gameday.sh --negative) aims
	# every fault at it, to show that each experiment's effect check fails when its fault did
	# nothing. It exits at once on SIGTERM, as a well-behaved pod does.
	pipeline_pod decoy decoy /bin/sh -c 'trap "exit 0" TERM; while :; do sleep 1; done'
}

# The highest seq in a sink would need a scan; the connector's log says what it stored. Here:
# whether the loader has acknowledged records and the connector's group has committed.
wait_pipeline() {
	local deadline pod
	deadline=$(($(date +%s) + 60))
	until [ -s "$DIR/pipeline/loader/acked" ] && [ -s "$DIR/pipeline/loader-unsafe/acked" ] &&
		[ -n "$(ls "$DIR/pipeline/connector/sink" 2>/dev/null | grep '^blk-')" ] &&
		[ -n "$(ls "$DIR/pipeline/connector-unsafe/sink" 2>/dev/null | grep '^blk-')" ]; do
		pod=$(exited_pod pipeline_pods)
		if [ -n "$pod" ]; then
			echo "lab: pipeline pod $NS/$pod exited while starting; the end of its log:" >&2
			tail -5 "$DIR/logs/$pod/main.log" >&2 || true
			exit 1
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "lab: the pipeline moves no records after 60 s; the end of each log:" >&2
			for f in "$DIR"/logs/{loader,connector}*/main.log; do echo "== $f" >&2; tail -5 "$f" >&2; done
			exit 1
		fi
		sleep 0.5
	done
}

# ---- the supervisor (the kubelet's restart loop) ----------------------------------------
# Every second: a lab pod whose container has exited (or is missing) gets a new container in
# the same sandbox, so it keeps its IP, once DELAY seconds have passed since it exited.
supervise() { # delay_s
	local default_ns delay_ns line ns name sb ip cid state pid code fin attempt ncid t spec
	default_ns=$(awk -v d="$1" 'BEGIN { printf "%.0f", d * 1e9 }')
	declare -A seen
	while :; do
		while read -r ns name sb _ ip cid state pid code fin attempt; do
			spec=$DIR/pods/$name.spec
			[ "$ns" = "$NS" ] && [ -f "$spec" ] || continue
			if [ "$state" = running ] || [ "$state" = created ]; then
				unset "seen[$sb]"
				continue
			fi
			t=$(date +%s%N)
			# When it exited: the runtime's finished_at, else when we first saw it so.
			if [ "$state" = exited ] && [ "${fin:-0}" -gt 0 ] 2>/dev/null; then
				seen[$sb]=$fin
			fi
			[ -n "${seen[$sb]:-}" ] || seen[$sb]=$t
			# A pod's own delay (the pipeline's) or the lab's --restart-delay. (%.0f: mawk
			# clamps %d to 2^31-1, which made every delay above 2.1 s a 2.1 s one.)
			delay_ns=$default_ns
			if [ -f "$DIR/pods/$name.restart-delay" ]; then
				delay_ns=$(awk -v d="$(cat "$DIR/pods/$name.restart-delay")" \
					'BEGIN { printf "%.0f", d * 1e9 }')
			fi
			[ $((t - seen[$sb])) -ge "$delay_ns" ] || continue
			echo "$(date -u +%FT%T.%3NZ) $ns/$name: container $state (exit ${code}), restarting"
			# As kubelet: the restart is a new container with the next attempt (its restart
			# count, GET /v1/pods' restartCount); the old one goes once the new one runs.
			[[ "$attempt" =~ ^[0-9]+$ ]] && attempt=$((attempt + 1)) || attempt=0
			if ncid=$(labctl start "$sb" "$DIR/logs/$name" "$spec" "$attempt"); then
				echo "$(date -u +%FT%T.%3NZ) $ns/$name: started container ${ncid:0:12} ip $ip attempt $attempt"
				unset "seen[$sb]"
				[ "$cid" = - ] || labctl rm "$cid" || true
			fi
		done < <(labctl ps 2>/dev/null || true)
		sleep 1
	done
}

# ---- what `up` started, and its failure path ---------------------------------------------
# A failed or interrupted `up` ends exactly what it started, found from this process, never
# only through PID files under DIR: a file may be missing, or name a child that has not yet
# exec'd its program (until then /proc/PID/cmdline is this script's, so the agent's mark
# does not match and agent.log may not exist yet). That window once made `up` report "the
# agent exited" for an agent just starting, and its clean-up, which looked for the agent
# through agent.pid and its mark, left it running with parent PID 1 (issue 10).
UP_STEP=""
AGENT_PID=""
PROBE_PID=""
ST="" PARENT="" PGRP=""

# The state letter, parent and process group of PID into ST, PARENT, PGRP (ST empty: gone).
# Builtins only, here and in descendants: the scan must not add processes of its own.
proc_stat() { # pid
	local line
	ST="" PARENT="" PGRP=""
	read -r line 2>/dev/null <"/proc/$1/stat" || return 0
	line=${line##*) } # after the command name, which may hold spaces and parentheses
	# shellcheck disable=SC2086 # fields: a state letter, then numbers
	set -- $line
	ST=$1 PARENT=$2 PGRP=$3
}

# Whether PID is a child of this shell that has not exited: what `up` started, whatever its
# command line says yet.
our_child() { # pid
	proc_stat "$1"
	[ "$PARENT" = "$$" ] && [ "$ST" != Z ] && [ "$ST" != X ]
}

# Every live process below this shell (children, theirs, ...) into DESCENDANTS.
descendants() {
	local p line q
	local -A kids=()
	local -a queue=("$$")
	DESCENDANTS=()
	for p in /proc/[0-9]*; do
		read -r line 2>/dev/null <"$p/stat" || continue
		line=${line##*) }
		# shellcheck disable=SC2086
		set -- $line
		[ "$1" = Z ] || [ "$1" = X ] || kids[$2]+=" ${p#/proc/}"
	done
	while [ ${#queue[@]} -gt 0 ]; do
		q=${queue[0]}
		queue=("${queue[@]:1}")
		for p in ${kids[$q]:-}; do
			DESCENDANTS+=("$p")
			queue+=("$p")
		done
	done
}

# SIGNAL to PID, and to the process group it leads (setsid made the agent and the supervisor
# leaders: the supervisor's sleep and labctl go with it). Never our own group: no descendant
# has our PID.
signal_proc() { # signal pid
	proc_stat "$2"
	[ -n "$ST" ] || return 0
	[ "$PGRP" != "$2" ] || kill -"$1" -- "-$2" 2>/dev/null || true
	kill -"$1" "$2" 2>/dev/null || true
}

# End every process below this shell: TERM, KILL to what is left after 5 s, until none is
# left (what a dying process started meanwhile is found by the next scan). Each scan names
# only processes that are ours at that moment, so a PID reused since is never signalled.
stop_started() {
	local p i
	descendants
	for p in "${DESCENDANTS[@]}"; do signal_proc TERM "$p"; done
	for ((i = 0; i < 140 && ${#DESCENDANTS[@]} > 0; i++)); do
		[ "$i" -lt 100 ] || for p in "${DESCENDANTS[@]}"; do signal_proc KILL "$p"; done
		sleep 0.05
		descendants
	done
	[ ${#DESCENDANTS[@]} -eq 0 ] || echo "lab: processes $(echo "${DESCENDANTS[@]}") did not end" >&2
}

# The EXIT trap of `up`. Runs only on failure (success removes it): by `exit`, by set -e, or
# by a signal — then $? is the last command's, often 0, so it is not looked at.
up_failed() {
	trap - EXIT
	if [ -n "${FL_LAB_KEEP:-}" ]; then
		echo "lab: up failed at step $UP_STEP; the partial lab stays in $DIR (lab.sh down --dir $DIR)" >&2
		return 0
	fi
	echo "lab: up failed at step $UP_STEP; removing the partial lab (FL_LAB_KEEP=1 keeps it)" >&2
	# A readiness probe only reads: KILL, not TERM and up to 2 s more (kcat waits out -m 2).
	[ -z "$PROBE_PID" ] || ! our_child "$PROBE_PID" || kill -KILL "$PROBE_PID" 2>/dev/null || true
	stop_started
	cmd_down_dir >/dev/null 2>&1 ||
		echo "lab: the partial lab in $DIR is not entirely removed (lab.sh down --dir $DIR)" >&2
}

# ---- verbs -----------------------------------------------------------------------------
cmd_up() {
	local delay=2 i ip sb voters="" b="" pid pipeline=1
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		--restart-delay) delay=${2:?}; shift 2 ;;
		--no-pipeline) pipeline=0; shift ;;
		*) usage ;;
		esac
	done
	[[ "$delay" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--restart-delay $delay: expected seconds"
	[ "$(id -u)" = 0 ] || { echo "lab: needs root (containerd, namespaces)" >&2; exit 3; }
	[ $pipeline = 0 ] || need "$PIPELINE_BIN/loader" "$PIPELINE_BIN/connector"
	need "$LABCTL" "$AGENT" containerd ctr runc kcat nsenter java python3 curl
	if [ -f "$DIR/lab.env" ] && containerd_pid >/dev/null && supervisor_pid >/dev/null &&
		agent_pid >/dev/null; then
		say "already up in $DIR (bootstrap $(cat "$DIR/bootstrap"))"
		return 0
	fi
	if [ -e "$DIR/lab.env" ] || [ -e "$CDIR" ] || [ -n "$(lab_procs)" ]; then
		say "a partial lab is in $DIR: removing it first"
		cmd_down_dir >/dev/null
	fi
	# A failed up removes what it made (FL_LAB_KEEP=1 keeps it for a look at the logs).
	trap up_failed EXIT
	UP_STEP=containerd
	mkdir -p "$DIR"/{pods,logs,nodes,ledger}
	echo "NS=$NS BROKERS=$BROKERS RESTART_DELAY=$delay PIPELINE=$pipeline" >"$DIR/lab.env"
	find_java
	"$CONTAINERD_SH" start "$CDIR" >/dev/null
	say "containerd up (CRI socket $SOCK)"
	# Name the lab network: containerd's own network namespace, where the CNI bridge is.
	pid=$(containerd_pid) || die "containerd (pid file $CDIR/containerd.pid) is not running"
	mkdir -p /run/netns
	[ -e "$NETNS_PATH" ] || touch "$NETNS_PATH"
	mount --bind "/proc/$pid/ns/net" "$NETNS_PATH"
	echo "$NETNS_PATH" >"$DIR/netns"
	UP_STEP=images
	build_image
	[ $pipeline = 0 ] || build_pipeline_image
	say "images imported"
	UP_STEP=sandboxes
	for ((i = 0; i < BROKERS; i++)); do
		mkdir -p "$DIR/logs/kafka-$i"
		read -r sb ip < <(labctl sandbox "$NS" "kafka-$i" "$DIR/logs/kafka-$i" app=kafka \
			faultline.io/lab=kafka)
		[ -n "$ip" ] && [ "$ip" != - ] || die "pod kafka-$i got no IP"
		echo "$sb" >"$DIR/pods/kafka-$i.sandbox"
		echo "$ip" >"$DIR/pods/kafka-$i.ip"
		voters+="${voters:+,}$i@$ip:9093"
		b+="${b:+,}$ip:9092"
	done
	say "sandboxes $NS/kafka-0..$((BROKERS - 1)) at $(echo "$b" | sed 's/:9092//g')"
	UP_STEP=storage
	for ((i = 0; i < BROKERS; i++)); do
		write_node "$i" "$voters" "$(cat "$DIR/pods/kafka-$i.ip")"
	done
	tools_log4j
	format_storage
	say "storage formatted"
	UP_STEP=brokers
	for ((i = 0; i < BROKERS; i++)); do
		labctl start "$(cat "$DIR/pods/kafka-$i.sandbox")" "$DIR/logs/kafka-$i" \
			"$DIR/pods/kafka-$i.spec" >/dev/null
	done
	echo "$b" >"$DIR/bootstrap"
	say "containers started; waiting for $BROKERS brokers"
	wait_ready
	say "Kafka ready: bootstrap $b"
	if [ $pipeline = 1 ]; then
		UP_STEP=topics
		create_topics
		say "topics workflow, queue-events, workflow-unsafe created"
		UP_STEP=pipeline
		start_pipeline
		wait_pipeline
		say "pipeline running: loader → workflow → connector (and the unsafe pair)"
	fi
	# The supervisor and the agent: own sessions, so a terminal's ^C does not reach them.
	# The agent's pods come from its CRI; no --netns-dir (default /run/netns): it would sweep
	# every other lab's and test's named namespace on this machine as its own leftovers.
	UP_STEP=supervisor
	setsid "$0" _supervise --dir "$DIR" --restart-delay "$delay" \
		>>"$DIR/supervisor.log" 2>&1 </dev/null &
	echo $! >"$DIR/supervisor.pid"
	UP_STEP=agent
	setsid "$AGENT" --cri-socket="$SOCK" --unix-socket="$DIR/agent.sock" \
		--ledger-dir="$DIR/ledger" --netns-dir= >>"$DIR/agent.log" 2>&1 </dev/null &
	AGENT_PID=$!
	echo "$AGENT_PID" >"$DIR/agent.pid"
	wait_agent
	say "agent up on $DIR/agent.sock; supervisor (restart delay ${delay}s) pid $(cat "$DIR/supervisor.pid")"
	trap - EXIT
	say "lab up in $DIR; reach it with: nsenter --net=$(cat "$DIR/netns") kcat -L -b $b"
}

# The agent answers GET /v1/health. Whether it still runs is asked of its PID as our child,
# not of agent.pid and its mark: between fork and exec neither says "the agent" yet.
wait_agent() {
	local deadline
	deadline=$(($(date +%s) + 30))
	until curl -sf --unix-socket "$DIR/agent.sock" http://lab/v1/health >/dev/null 2>&1; do
		if ! our_child "$AGENT_PID"; then
			[ ! -f "$DIR/agent.log" ] || tail -5 "$DIR/agent.log" >&2
			die "the agent exited"
		fi
		[ "$(date +%s)" -lt "$deadline" ] || die "the agent does not answer on $DIR/agent.sock after 30 s"
		sleep 0.1
	done
}

# Whether a process has exited: gone, or a zombie (init here reaps orphans lazily).
exited() {
	proc_stat "$1"
	[ -z "$ST" ] || [ "$ST" = Z ] || [ "$ST" = X ]
}

# Stop a process we started (found by PID file and mark) and its process group (setsid made
# it the leader: the supervisor's sleep and labctl go too): TERM, then KILL after 5 s, and
# wait until it has exited (2 s more at most) so that nothing of it is seen after `down`.
stop_pid() { # pid
	local i
	kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null || return 0
	for ((i = 0; i < 140; i++)); do
		exited "$1" && return 0
		[ "$i" != 100 ] || kill -KILL -- "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
		sleep 0.05
	done
	echo "lab: process $1 did not end" >&2
}

cmd_down_dir() {
	local pid left=0
	# The supervisor and the agent: by PID file, and by command line for when a file is gone.
	if pid=$(supervisor_pid); then stop_pid "$pid"; fi
	if pid=$(agent_pid); then stop_pid "$pid"; fi
	for pid in $(lab_procs); do stop_pid "$pid"; done
	# Pods first (CNI DEL takes their veths off the bridge), while containerd still runs.
	if containerd_pid >/dev/null && [ -x "$LABCTL" ]; then
		timeout 30 "$LABCTL" "$SOCK" rm-all >/dev/null 2>&1 || true
	fi
	if grep -q " $NETNS_PATH " /proc/self/mounts; then umount "$NETNS_PATH" || umount -l "$NETNS_PATH"; fi
	[ -e "$NETNS_PATH" ] && rm -f "$NETNS_PATH"
	# containers, shims, cgroups, mounts of the runtime, and containerd itself (also after a
	# kill -9 of containerd). Also when CDIR is gone: containerd.sh finds it by command line.
	"$CONTAINERD_SH" stop "$CDIR" || left=1
	rm -rf "$DIR" || left=1
	if [ -e "$DIR" ]; then echo "lab: $DIR is still there" >&2; left=1; fi
	return $left
}

cmd_down() {
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		*) usage ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "lab: needs root" >&2; exit 3; }
	if [ ! -e "$DIR" ] && [ ! -e "$NETNS_PATH" ] && [ -z "$(lab_procs)" ]; then
		say "no lab in $DIR"
		return 0
	fi
	cmd_down_dir
	say "lab down: $DIR removed"
}

cmd_status() {
	local rc=0 name ip state pid n r ns a
	declare -A restarts
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		*) usage ;;
		esac
	done
	if ! containerd_pid >/dev/null; then
		echo "lab: not running in $DIR"
		return 1
	fi
	echo "containerd pid $(containerd_pid) socket $SOCK; network $NETNS_PATH"
	# Restarts as the runtime counts them: the container's attempt (see supervise).
	while read -r ns name _ _ _ _ _ _ _ _ a; do
		[ "$ns" != "$NS" ] || restarts[$name]=$a
	done < <(labctl ps 2>/dev/null || true)
	while read -r name ip state pid; do
		brokers_seen "$ip"
		n=$SEEN
		r=${restarts[$name]:--}
		echo "pod $NS/$name ip $ip container $state pid $pid restarts $r" \
			"broker sees $n/$BROKERS brokers"
		[ "$state" = running ] && [ "$n" = "$BROKERS" ] || rc=1
	done < <(kafka_pods)
	while read -r name ip state pid; do
		r=${restarts[$name]:--}
		n=""
		[ ! -f "$DIR/pipeline/$name/acked" ] ||
			n=" acknowledged $(wc -l <"$DIR/pipeline/$name/acked")"
		echo "pod $NS/$name ip $ip container $state pid $pid restarts $r$n"
		[ "$state" = running ] || rc=1
	done < <(pipeline_pods)
	if supervisor_pid >/dev/null; then
		echo "supervisor pid $(supervisor_pid)"
	else
		echo "supervisor not running"
		rc=1
	fi
	if agent_pid >/dev/null &&
		curl -sf --unix-socket "$DIR/agent.sock" http://lab/v1/health >/dev/null 2>&1; then
		echo "agent pid $(agent_pid) healthy on $DIR/agent.sock"
	else
		echo "agent not healthy (see $DIR/agent.log)"
		rc=1
	fi
	return $rc
}

cmd_tool() {
	local class=${1:?}
	shift
	find_java
	exec nsenter --net="$NETNS_PATH" -- java -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" "$class" "$@"
}

# --kubernetes anywhere: the lab as a real one-node Kubernetes cluster (lab/lab-k8s.sh).
for a in "$@"; do
	if [ "$a" = --kubernetes ]; then
		args=()
		for a in "$@"; do [ "$a" = --kubernetes ] || args+=("$a"); done
		exec "$HERE/lab-k8s.sh" "${args[@]}"
	fi
done
set_dir /var/lib/faultline/lab
verb=${1:-}
[ -n "$verb" ] || usage
shift
# --dir may come first for every verb.
if [ "${1:-}" = --dir ] && [ "$verb" != up ] && [ "$verb" != down ] && [ "$verb" != status ]; then
	set_dir "${2:?}"
	shift 2
fi
case $verb in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
status) cmd_status "$@" ;;
tool) cmd_tool "$@" ;;
topics) cmd_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$DIR/bootstrap")" "$@" ;;
exec) exec nsenter --net="$NETNS_PATH" -- "$@" ;;
_supervise)
	delay=2
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		--restart-delay) delay=${2:?}; shift 2 ;;
		*) usage ;;
		esac
	done
	supervise "$delay"
	;;
-h | --help | help) usage ;;
*) usage ;;
esac
