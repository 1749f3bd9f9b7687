#!/bin/bash
# A real Apache Kafka 3.9.1 cluster (KRaft, combined broker+controller nodes) on 127.0.0.1 for
# tests, benchmarks and the lab, run from the jars scripts/kafka-jars.sh caches:
#
#   kafka-cluster.sh start DIR [--brokers N] [--base-port P] [--set KEY=VALUE]... [--owner PID]
#       Create DIR, format N nodes (default 3; node.id 0..N-1, client port P+i, controller
#       port P+100+i, default P=19092), start them and wait until every broker answers a
#       metadata request listing all N brokers. Writes DIR/bootstrap (host:port,...), prints
#       the elapsed time. --set adds a server property to every node (e.g.
#       --set replica.lag.time.max.ms=5000). A DIR that holds a stopped cluster is started
#       again as it was (its options are ignored). Refuses when a port is taken.
#       --owner PID: a watchdog (DIR/watchdog.pid) stops the cluster and removes DIR once PID
#       is gone, so a test binary (or tests/run.sh, whose integration tier shares one
#       cluster) killed with SIGKILL (no cleanup of its own) leaves no broker and no data
#       behind.
#   kafka-cluster.sh stop DIR [--purge]
#       SIGTERM every node it started (by its recorded PID), SIGKILL what is left after 15 s;
#       --purge then removes DIR.
#   kafka-cluster.sh broker-stop DIR N [--kill]
#       Stop node N: SIGTERM (a controlled shutdown; SIGKILL after 15 s) or, with --kill,
#       SIGKILL at once (a crash).
#   kafka-cluster.sh broker-start DIR N
#       Start node N again; returns once it is back in the cluster (it and another broker
#       both list all brokers).
#   kafka-cluster.sh status DIR
#       One line per node: id, pid, state, port, RSS. Exit 0 when all nodes run.
#   kafka-cluster.sh tool DIR CLASS ARGS...
#       Run a Kafka CLI class with the cached jars and a quiet log4j configuration, e.g.
#       org.apache.kafka.tools.TopicCommand, org.apache.kafka.tools.consumer.group.
#       ConsumerGroupCommand, kafka.admin.ConfigCommand, org.apache.kafka.tools.
#       MetadataQuorumCommand, kafka.admin.BrokerApiVersionsCommand.
#   kafka-cluster.sh topics DIR ARGS...            kafka-topics.sh
#   kafka-cluster.sh consumer-groups DIR ARGS...   kafka-consumer-groups.sh
#   kafka-cluster.sh configs DIR ARGS...           kafka-configs.sh
#       These add --bootstrap-server $(cat DIR/bootstrap) unless ARGS name one.
#
# Exit status: 0 ok, 1 failed (the node's server.log is quoted), 2 usage, 3 a dependency is
# missing (java, kcat, maven), 4 a port is taken or DIR's cluster already runs.
#
# Layout: DIR/nodeN/{server.properties,data/,server.log,pid}, DIR/format.log, DIR/log4j.properties (brokers:
# INFO into server.log, nothing on the terminal), DIR/tools-log4j.properties (CLI: WARN on
# stderr), DIR/cluster.env (N, base port), DIR/bootstrap.
# Environment: FL_KAFKA_CACHE (jar cache, see scripts/kafka-jars.sh), FL_KAFKA_HEAP (default
# "-Xmx384m -Xms128m"), FL_KAFKA_JIT (c1, the default, or full: see below),
# FL_KAFKA_JVM_OPTS (more JVM options), FL_KAFKA_START_TIMEOUT
# (seconds to wait for readiness, default 120).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/owner-watchdog.sh
. "$HERE/owner-watchdog.sh"
ROOT=$(cd "$HERE/../.." && pwd)
HEAP=${FL_KAFKA_HEAP:--Xmx384m -Xms128m}
TIMEOUT=${FL_KAFKA_START_TIMEOUT:-120}
# Three JVMs share two cores: the serial collector and few threads keep them from fighting.
JVM_OPTS="-XX:+UseSerialGC -XX:MaxMetaspaceSize=128m -Djava.awt.headless=true"
# The C1 compiler alone: measured 17 s instead of 27 s to a ready cluster on two busy cores,
# and no C2 compilations eating the CPU for minutes after. FL_KAFKA_JIT=full for peak
# throughput (benchmarks that measure Kafka itself).
case ${FL_KAFKA_JIT:-c1} in
c1) JVM_OPTS+=" -XX:TieredStopAtLevel=1" ;;
full) ;;
*) echo "kafka-cluster: FL_KAFKA_JIT=${FL_KAFKA_JIT}: expected c1 or full" >&2; exit 2 ;;
esac
JVM_OPTS+=" ${FL_KAFKA_JVM_OPTS:-}"

usage() {
	sed -n '2,/^$/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() { echo "kafka-cluster: $*" >&2; exit 1; }

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null ||
			{ echo "kafka-cluster: $t is not installed (scripts/install-deps.sh)" >&2; exit 3; }
	done
}

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The jar cache, fetched on first use (scripts/kafka-jars.sh does nothing when it is there).
libs() {
	local r=0
	LIBS=$("$ROOT/scripts/kafka-jars.sh" --print-libs) || r=$?
	[ "$r" -eq 0 ] || exit "$r"
}

load_env() {
	[ -f "$DIR/cluster.env" ] || die "$DIR holds no cluster (no cluster.env)"
	# shellcheck source=/dev/null
	. "$DIR/cluster.env"
}

node_dir() { echo "$DIR/node$1"; }

# The PID recorded for node N if that process is still the broker we started: a recycled
# PID belonging to something else is never signalled.
node_pid() {
	local pidf pid
	pidf=$(node_dir "$1")/pid
	[ -f "$pidf" ] || return 1
	pid=$(cat "$pidf")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$(node_dir "$1")/server.properties" ||
		return 1
	echo "$pid"
}

port_taken() { [ -n "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]; }

write_config() {
	local i voters=""
	mkdir -p "$DIR"
	for ((i = 0; i < BROKERS; i++)); do
		voters+="${voters:+,}$i@127.0.0.1:$((BASE_PORT + 100 + i))"
	done
	for ((i = 0; i < BROKERS; i++)); do
		mkdir -p "$(node_dir $i)/data"
		cat >"$(node_dir $i)/server.properties" <<EOF
# Written by tests/lib/kafka-cluster.sh: node $i of $BROKERS, combined broker+controller.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$((BASE_PORT + i)),CONTROLLER://127.0.0.1:$((BASE_PORT + 100 + i))
advertised.listeners=PLAINTEXT://127.0.0.1:$((BASE_PORT + i))
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$(node_dir $i)/data
num.partitions=3
default.replication.factor=$((BROKERS < 3 ? BROKERS : 3))
min.insync.replicas=$((BROKERS < 2 ? 1 : 2))
offsets.topic.replication.factor=$((BROKERS < 3 ? BROKERS : 3))
transaction.state.log.replication.factor=$((BROKERS < 3 ? BROKERS : 3))
transaction.state.log.min.isr=$((BROKERS < 2 ? 1 : 2))
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
unclean.leader.election.enable=false
# Few threads: three brokers on two cores.
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
EOF
		local kv
		for kv in "${SETS[@]+"${SETS[@]}"}"; do
			echo "$kv" >>"$(node_dir $i)/server.properties"
		done
	done
	cat >"$DIR/log4j.properties" <<'EOF'
# Brokers: everything at INFO to stdout, which kafka-cluster.sh sends to nodeN/server.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
	cat >"$DIR/tools-log4j.properties" <<'EOF'
# CLI tools: warnings only, on stderr, so stdout carries just the tool's answer.
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
	echo "BROKERS=$BROKERS BASE_PORT=$BASE_PORT" >"$DIR/cluster.env"
}

# A Kafka Uuid (cluster.id, directory.id): 16 random bytes, URL-safe base64 without padding
# (what "kafka-storage.sh random-uuid" prints), without starting a JVM for it.
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

# Format node 0 with Kafka's StorageTool, then give every other node a copy: the
# bootstrap.checkpoint (metadata.version) is the same for all, and meta.properties differs
# only in node.id and directory.id. One JVM instead of N saves seconds on two busy cores.
format_all() {
	local i d0 d
	d0=$(node_dir 0)/data
	if ! java $JVM_OPTS -XX:TieredStopAtLevel=1 -Xmx128m \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" \
		kafka.tools.StorageTool format -t "$(random_uuid)" -c "$(node_dir 0)/server.properties" \
		>"$DIR/format.log" 2>&1; then
		echo "kafka-cluster: formatting the storage failed:" >&2
		cat "$DIR/format.log" >&2
		exit 1
	fi
	for ((i = 1; i < BROKERS; i++)); do
		d=$(node_dir $i)/data
		cp "$d0/bootstrap.checkpoint" "$d/"
		sed -e "s/^node\.id=.*/node.id=$i/" -e "s/^directory\.id=.*/directory.id=$(random_uuid)/" \
			"$d0/meta.properties" >"$d/meta.properties"
	done
}

launch() { # node
	local d
	d=$(node_dir "$1")
	# setsid: the broker has its own session, so a terminal's ^C or a test's process group
	# does not reach it; only stop/broker-stop end it, by the PID written here. bash writes
	# its own PID and then becomes java (exec), so the PID is java's whether or not setsid
	# had to fork.
	# shellcheck disable=SC2016
	setsid bash -c 'echo $$ >"$1/pid"; shift; exec "$@"' _ "$d" \
		java $HEAP $JVM_OPTS -Dkafka.logs.dir="$d" \
		-Dlog4j.configuration="file:$DIR/log4j.properties" -cp "$LIBS/*" \
		kafka.Kafka "$d/server.properties" >>"$d/server.log" 2>&1 </dev/null &
	local t=0
	while [ ! -s "$d/pid" ] && [ $t -lt 100 ]; do sleep 0.05; t=$((t + 1)); done
}

# How many brokers node N's client port lists in a metadata response (0: none/no answer).
brokers_seen() {
	kcat -L -b "127.0.0.1:$((BASE_PORT + $1))" -m 2 2>/dev/null |
		sed -nE 's/^ ([0-9]+) brokers:$/\1/p' | head -1 || true
}

died() { # node
	echo "kafka-cluster: node $1 exited; the end of $(node_dir "$1")/server.log:" >&2
	tail -n 25 "$(node_dir "$1")/server.log" >&2
	exit 1
}

# Why a cluster did not form, said on stderr before the directory (and its logs) can go:
# what each node's port answers and the last warnings and errors of its log.
not_ready() { # nodes...
	local n
	echo "kafka-cluster: not ready after ${TIMEOUT} s (see $DIR/node*/server.log)" >&2
	for n in "$@"; do
		echo "kafka-cluster: node $n (port $((BASE_PORT + n))) lists" \
			"$(brokers_seen "$n" | grep . || echo no) broker(s) of $BROKERS; the last" \
			"warnings and errors of its log:" >&2
		grep -E '\] (WARN|ERROR) ' "$(node_dir "$n")/server.log" | tail -n 4 | cut -c1-300 >&2
	done
	exit 1
}

wait_ready() { # nodes...
	local deadline n ok
	deadline=$(($(date +%s) + TIMEOUT))
	while :; do
		ok=1
		for n in "$@"; do
			node_pid "$n" >/dev/null || died "$n"
			[ "$(brokers_seen "$n")" = "$BROKERS" ] || { ok=0; break; }
		done
		[ "$ok" = 1 ] && return 0
		[ "$(date +%s)" -lt "$deadline" ] || not_ready "$@"
		sleep 0.5
	done
}

write_bootstrap() {
	local i b=""
	for ((i = 0; i < BROKERS; i++)); do b+="${b:+,}127.0.0.1:$((BASE_PORT + i))"; done
	echo "$b" >"$DIR/bootstrap"
}

# Whether a process has exited: gone, or a zombie (its sockets and memory are released; the
# reaper, init here, collects it when it will).
exited() {
	local st
	st=$(sed 's/^.*) //' 2>/dev/null <"/proc/$1/stat" | cut -d' ' -f1) || return 0
	[ -z "$st" ] || [ "$st" = Z ] || [ "$st" = X ]
}

# SIGTERM (or SIGKILL) the given nodes, wait up to 15 s, then SIGKILL what is left; returns
# when every one has exited.
stop_nodes() { # signal nodes...
	local sig=$1 n pid deadline left pids=()
	shift
	for n in "$@"; do
		pid=$(node_pid "$n") && pids+=("$pid") && kill "-$sig" "$pid" 2>/dev/null || true
	done
	deadline=$(($(date +%s) + 15))
	while :; do
		left=()
		for pid in "${pids[@]+"${pids[@]}"}"; do exited "$pid" || left+=("$pid"); done
		[ ${#left[@]} -eq 0 ] && break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			[ "$sig" = KILL ] && die "pid(s) ${left[*]} survive SIGKILL"
			echo "kafka-cluster: pid(s) ${left[*]} ignored SIGTERM for 15 s: SIGKILL" >&2
			kill -KILL "${left[@]}" 2>/dev/null || true
			deadline=$(($(date +%s) + 5))
			sig=KILL
		fi
		sleep 0.1
	done
	for n in "$@"; do rm -f "$(node_dir "$n")/pid"; done
}

all_nodes() { seq 0 $((BROKERS - 1)); }


cmd_start() {
	BROKERS=3 BASE_PORT=19092 SETS=() OWNER=
	while [ $# -gt 0 ]; do
		case $1 in
		--owner) OWNER=${2:?}; shift 2 ;;
		--brokers) BROKERS=${2:?}; shift 2 ;;
		--base-port) BASE_PORT=${2:?}; shift 2 ;;
		--set) SETS+=("${2:?}"); shift 2 ;;
		*) usage ;;
		esac
	done
	[[ "$BROKERS" =~ ^[1-9]$ ]] || die "--brokers $BROKERS: expected 1..9"
	[[ "$BASE_PORT" =~ ^[0-9]+$ ]] && [ "$BASE_PORT" -ge 1024 ] && [ "$BASE_PORT" -le 65300 ] ||
		die "--base-port $BASE_PORT: expected 1024..65300"
	[ -z "$OWNER" ] || { [[ "$OWNER" =~ ^[1-9][0-9]*$ ]] && kill -0 "$OWNER" 2>/dev/null; } ||
		die "--owner $OWNER: expected the PID of a running process"
	need java kcat ss
	local t0 n p fresh=1
	t0=$(now)
	if [ -f "$DIR/cluster.env" ]; then
		load_env
		fresh=0
		for n in $(all_nodes); do
			if node_pid "$n" >/dev/null; then
				echo "kafka-cluster: $DIR: node $n already runs (pid $(node_pid "$n"))" >&2
				exit 4
			fi
		done
	fi
	for n in $(all_nodes); do
		for p in $((BASE_PORT + n)) $((BASE_PORT + 100 + n)); do
			if port_taken "$p"; then
				echo "kafka-cluster: port $p on 127.0.0.1 is already in use" \
					"($(ss -Hltnp "sport = :$p" | sed -nE 's/.*users:\(\("([^"]+)",pid=([0-9]+).*/\1 pid \2/p' | head -1));" \
					"stop that cluster or choose another --base-port" >&2
				exit 4
			fi
		done
	done
	libs
	if [ "$fresh" = 1 ]; then
		write_config
		format_all
	fi
	if [ -n "$OWNER" ]; then
		end_watchdog "$DIR"
		watch_owner "$OWNER" "$DIR" cluster.env "$HERE/kafka-cluster.sh"
	fi
	for n in $(all_nodes); do launch "$n"; done
	wait_ready $(all_nodes)
	write_bootstrap
	echo "kafka-cluster: $BROKERS brokers ready in $(since "$t0") s at $(cat "$DIR/bootstrap")"
}

cmd_stop() {
	local purge=0
	[ "${1:-}" = --purge ] && purge=1
	if [ -f "$DIR/cluster.env" ]; then
		load_env
		end_watchdog "$DIR"
		stop_nodes TERM $(all_nodes)
	fi
	if [ "$purge" = 1 ]; then
		rm -rf "$DIR"
	fi
}

node_arg() {
	[[ "${1:-}" =~ ^[0-9]$ ]] && [ "$1" -lt "$BROKERS" ] ||
		die "node '${1:-}': expected 0..$((BROKERS - 1))"
}

cmd_broker_stop() {
	load_env
	node_arg "${1:-}"
	local sig=TERM
	[ "${2:-}" = --kill ] && sig=KILL
	node_pid "$1" >/dev/null || die "node $1 is not running"
	stop_nodes "$sig" "$1"
}

cmd_broker_start() {
	load_env
	node_arg "${1:-}"
	need java kcat
	local n=$1 other t0
	node_pid "$n" >/dev/null && { echo "kafka-cluster: node $n already runs" >&2; exit 4; }
	port_taken $((BASE_PORT + n)) && { echo "kafka-cluster: port $((BASE_PORT + n)) is taken" >&2; exit 4; }
	libs
	t0=$(now)
	launch "$n"
	other=$(((n + 1) % BROKERS))
	wait_ready "$n" "$other"
	echo "kafka-cluster: node $n back in the cluster in $(since "$t0") s"
}

cmd_status() {
	load_env
	local n pid rss all=0
	for n in $(all_nodes); do
		if pid=$(node_pid "$n"); then
			rss=$(awk '/^VmRSS:/ { printf "%d MiB", $2 / 1024 }' "/proc/$pid/status")
			echo "node $n pid $pid running port $((BASE_PORT + n)) rss $rss"
		else
			echo "node $n stopped port $((BASE_PORT + n))"
			all=1
		fi
	done
	return $all
}

cmd_tool() {
	[ $# -ge 1 ] || usage
	need java
	libs
	local class=$1
	shift
	# Short-lived: the C1 compiler alone starts faster (also with FL_KAFKA_JIT=full).
	exec java -Xmx256m $JVM_OPTS -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" "$class" "$@"
}

with_bootstrap() { # class args...
	local class=$1 a
	shift
	for a in "$@"; do
		[ "$a" = --bootstrap-server ] && cmd_tool "$class" "$@"
	done
	[ -f "$DIR/bootstrap" ] || die "$DIR/bootstrap missing: start the cluster first"
	cmd_tool "$class" --bootstrap-server "$(cat "$DIR/bootstrap")" "$@"
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
shift 2
DIR=$(realpath -m "$DIR")
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
broker-stop) cmd_broker_stop "$@" ;;
broker-start) cmd_broker_start "$@" ;;
status) cmd_status ;;
tool) cmd_tool "$@" ;;
topics) with_bootstrap org.apache.kafka.tools.TopicCommand "$@" ;;
consumer-groups) with_bootstrap org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" ;;
configs) with_bootstrap kafka.admin.ConfigCommand "$@" ;;
*) usage ;;
esac
