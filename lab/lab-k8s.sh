#!/bin/bash
# The lab as a real Kubernetes cluster (issue 12, `faultline lab up --kubernetes`): the
# one-node cluster of tests/lib/kube-cluster.sh, with Kafka (one KRaft controller on the
# node's host network, 3 broker pods of the StatefulSet kafka), the loader as a Job and the
# connector as a Deployment, in namespace streamforge. lab/lab.sh execs this script when it
# is given --kubernetes; the containerd lab (lab.sh alone) stays the default.
#
#   lab-k8s.sh up     [--dir DIR] [--no-pipeline] [--no-agent]
#                                                   bring it up (idempotent)
#   lab-k8s.sh down   [--dir DIR]                   remove everything it made
#   lab-k8s.sh status [--dir DIR]                   cluster, pods, brokers
#   lab-k8s.sh kubectl [--dir DIR] ARGS...          kubectl against the lab's cluster
#   lab-k8s.sh render  [--dir DIR] OUT_DIR          experiments/lab-k8s/*.yaml.in filled in
#                                                   (@BOOTSTRAP@, @KAFKA0@..: the brokers'
#                                                   pod IPs now; @DIR@)
#
# DIR defaults to /var/tmp/faultline/lab-k8s (not under /run, /var/lib or /var/log: inside
# the node those are the cluster's own, and the pods' hostPath volumes live under DIR).
# Kafka addressing without cluster DNS or kube-proxy: the controller listens on the node IP
# (fixed for the cluster's life); each broker takes node.id from its StatefulSet ordinal
# (kafka-N -> N) and advertises its pod IP (downward API); a replaced broker pod gets a new
# IP and registers it with the controller, and clients learn it from the metadata. The host
# reaches pod IPs through the route kube-cluster.sh installs. Exit status: 0 ok, 1 failed,
# 2 usage, 3 a dependency is missing. FL_LAB_BROKERS_TIMEOUT: readiness wait (150 s).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
case ${BUILD:-build} in
/*) BUILD_DIR=$BUILD ;;
*) BUILD_DIR=$ROOT/${BUILD:-build} ;;
esac
CLUSTER_SH=$ROOT/tests/lib/kube-cluster.sh
MKIMAGE=$ROOT/tests/lib/make-oci-image.py
NS=streamforge
BROKERS=3
CONTROLLER_ID=100
KAFKA_IMAGE=localhost/faultline/kafka-k8s:1
PIPELINE_IMAGE=localhost/faultline/pipeline:1
READY_TIMEOUT=${FL_LAB_BROKERS_TIMEOUT:-150}

usage() {
	sed -n '2,/^set -e/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
	exit 2
}
die() { echo "lab-k8s: $*" >&2; exit 1; }
T0=$(date +%s.%N)
elapsed() { awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1f", b - a }'; }
say() { echo "lab-k8s: [$(elapsed) s] $*"; }

set_dir() {
	DIR=$(realpath -m "$1")
	KDIR=$DIR/cluster
}

need() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || [ -x "$t" ] ||
			{ echo "lab-k8s: $t is not installed or built (make all; scripts/install-deps.sh)" >&2; exit 3; }
	done
}

kc() { "$KUBECTL" --kubeconfig "$KDIR/kubeconfig" "$@"; }

find_tools() {
	local j
	j=$(readlink -f "$(command -v java)") || die "java is not installed"
	JAVA_HOME=${j%/bin/java}
	case $JAVA_HOME in /usr/lib/jvm/*) ;; *) die "java at $j: expected /usr/lib/jvm/<jdk>" ;; esac
	JAVA_ETC=$(dirname "$(readlink -f "$JAVA_HOME/lib/jvm.cfg")")
	LIBS=$("$ROOT/scripts/kafka-jars.sh" --print-libs) || exit $?
	KUBECTL=$(bash "$ROOT/scripts/k8s-build.sh" --print-dir)/bin/kubectl
	[ -x "$KUBECTL" ] || { echo "lab-k8s: no $KUBECTL (scripts/k8s-build.sh)" >&2; exit 3; }
}

# ---- Kafka ------------------------------------------------------------------------------
# The image: busybox and an entry script that writes the node's server.properties from the
# pod's environment (ROLE, POD_NAME, POD_IP, NODE_IP) and runs the host's Java, mounted
# read-only as in the containerd lab.
build_kafka_image() {
	local entry=$DIR/images/kafka-entry
	cat >"$entry" <<EOF
#!/bin/sh
# Written by lab/lab-k8s.sh: one Kafka node of the Kubernetes lab.
set -e
c=/tmp/server.properties
cp /config/common.properties \$c
case \$ROLE in
controller)
	echo "node.id=$CONTROLLER_ID" >>\$c
	echo "process.roles=controller" >>\$c
	echo "listeners=CONTROLLER://\$NODE_IP:9093" >>\$c
	echo "log.dirs=/kafka-data/controller/kafka" >>\$c ;;
broker)
	# A StatefulSet's pod kafka-N is broker N; it advertises its pod IP, new at each replacement.
	echo "node.id=\${POD_NAME##*-}" >>\$c
	echo "process.roles=broker" >>\$c
	echo "listeners=PLAINTEXT://\$POD_IP:9092" >>\$c
	echo "advertised.listeners=PLAINTEXT://\$POD_IP:9092" >>\$c
	echo "log.dirs=/kafka-data/\$POD_NAME/kafka" >>\$c ;;
*) echo "kafka-entry: ROLE must be controller or broker" >&2; exit 64 ;;
esac
echo "controller.quorum.voters=$CONTROLLER_ID@\$NODE_IP:9093" >>\$c
exec $JAVA_HOME/bin/java \$JVM_OPTS -Dkafka.logs.dir=/tmp/logs \\
	-Dlog4j.configuration=file:/config/log4j.properties -cp '/kafka/libs/*' kafka.Kafka \$c
EOF
	python3 "$MKIMAGE" "$DIR/images/kafka.tar" "$KAFKA_IMAGE" \
		--file "$entry:/bin/kafka-entry" --cmd /bin/kafka-entry >/dev/null
}

build_pipeline_image() {
	python3 "$MKIMAGE" "$DIR/images/pipeline.tar" "$PIPELINE_IMAGE" \
		--file "$BUILD_DIR/lab/loader:/bin/loader" \
		--file "$BUILD_DIR/lab/connector:/bin/connector" --cmd /bin/loader >/dev/null
}

import_images() {
	local t
	for t in "$DIR"/images/*.tar; do
		ctr --address "$(cat "$KDIR/cri")" -n k8s.io images import --snapshotter overlayfs \
			"$t" >/dev/null || die "importing $t failed"
	done
}

# What every node reads; the controller needs the topic defaults too: in KRaft it creates
# the topics (default.replication.factor, num.partitions) and elects leaders (unclean
# election, rebalancing).
write_kafka_config() {
	local d=$DIR/kafka/config
	mkdir -p "$d"
	cat >"$d/common.properties" <<EOF
# Written by lab/lab-k8s.sh; kafka-entry appends node.id, roles, listeners, log.dirs, voters.
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.partitions=3
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
unclean.leader.election.enable=false
auto.leader.rebalance.enable=false
auto.create.topics.enable=false
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.cleaner.threads=1
EOF
	cat >"$d/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
	cat >"$DIR/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.appender.stderr.Target=System.err
EOF
}

random_uuid() { # never one starting with "-" (see lab.sh)
	local u
	while :; do
		u=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
		[ "${u#-}" = "$u" ] && break
	done
	echo "$u"
}

# One StorageTool JVM formats the controller's directory; the brokers' are copies with
# their node.id and a directory.id of their own (same cluster id). The data lives on the
# host (hostPath DIR/kafka/<pod>): a replaced broker pod finds its log and catches up
# instead of copying every partition again.
format_storage() {
	local cfg=$DIR/format.properties d0=$DIR/kafka/controller/kafka i d
	mkdir -p "$d0"
	{
		cat "$DIR/kafka/config/common.properties"
		echo "node.id=$CONTROLLER_ID"
		echo "process.roles=controller"
		echo "listeners=CONTROLLER://$NODE_IP:9093"
		echo "controller.quorum.voters=$CONTROLLER_ID@$NODE_IP:9093"
		echo "log.dirs=$d0"
	} >"$cfg"
	java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" \
		kafka.tools.StorageTool format -t "$(random_uuid)" -c "$cfg" >"$DIR/format.log" 2>&1 ||
		{ cat "$DIR/format.log" >&2; die "formatting the Kafka storage failed"; }
	for ((i = 0; i < BROKERS; i++)); do
		d=$DIR/kafka/kafka-$i/kafka
		mkdir -p "$d"
		sed -e "s/^node\.id=.*/node.id=$i/" -e "s/^directory\.id=.*/directory.id=$(random_uuid)/" \
			"$d0/meta.properties" >"$d/meta.properties"
	done
}

# The volumes and environment every Kafka pod has (YAML, indented for a pod spec).
kafka_pod_common() { # role xmx
	cat <<EOF
      containers:
        - name: kafka
          image: $KAFKA_IMAGE
          imagePullPolicy: Never
          env:
            - {name: ROLE, value: $1}
            - {name: JVM_OPTS, value: "-Xmx$2 -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:MaxMetaspaceSize=128m -XX:-UsePerfData -Djava.awt.headless=true"}
            - name: POD_NAME
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: POD_IP
              valueFrom: {fieldRef: {fieldPath: status.podIP}}
            - name: NODE_IP
              valueFrom: {fieldRef: {fieldPath: status.hostIP}}
          volumeMounts:
            - {name: jdk, mountPath: $JAVA_HOME, readOnly: true}
            - {name: jdk-etc, mountPath: $JAVA_ETC, readOnly: true}
            - {name: libs, mountPath: /lib/x86_64-linux-gnu, readOnly: true}
            - {name: lib64, mountPath: /lib64, readOnly: true}
            - {name: jars, mountPath: /kafka/libs, readOnly: true}
            - {name: config, mountPath: /config, readOnly: true}
            - {name: data, mountPath: /kafka-data}
EOF
	# A broker is Ready once it serves clients (kubelet probes its pod IP from the node).
	[ "$1" != broker ] || cat <<EOF
          readinessProbe:
            tcpSocket: {port: 9092}
            periodSeconds: 2
EOF
	cat <<EOF
      volumes:
        - {name: jdk, hostPath: {path: $JAVA_HOME, type: Directory}}
        - {name: jdk-etc, hostPath: {path: $JAVA_ETC, type: Directory}}
        - {name: libs, hostPath: {path: /usr/lib/x86_64-linux-gnu, type: Directory}}
        - {name: lib64, hostPath: {path: /usr/lib64, type: Directory}}
        - {name: jars, hostPath: {path: $LIBS, type: Directory}}
        - {name: config, hostPath: {path: $DIR/kafka/config, type: Directory}}
        - {name: data, hostPath: {path: $DIR/kafka, type: Directory}}
EOF
}

write_kafka_manifests() {
	local m=$DIR/manifests
	mkdir -p "$m"
	cat >"$m/00-namespace.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $NS}
EOF
	{
		cat <<EOF
# The KRaft controller: on the node's network, so its address is the node IP for the
# cluster's life and the brokers find it without DNS. Not a target of the experiments.
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka-controller, namespace: $NS, labels: {app: kafka-controller}}
spec:
  serviceName: kafka-controller
  replicas: 1
  selector: {matchLabels: {app: kafka-controller}}
  template:
    metadata: {labels: {app: kafka-controller, faultline.io/lab: kafka}}
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 10
EOF
		kafka_pod_common controller 256m
	} >"$m/10-kafka-controller.yaml"
	{
		cat <<EOF
# The brokers kafka-0..$((BROKERS - 1)): broker N is pod kafka-N (kafkaLeader maps a broker
# id to the pod by the IP it advertises, else by the ordinal). Parallel: all start at once.
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kafka, namespace: $NS, labels: {app: kafka}}
spec:
  serviceName: kafka
  replicas: $BROKERS
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: kafka}}
  template:
    metadata: {labels: {app: kafka, faultline.io/lab: kafka}}
    spec:
      terminationGracePeriodSeconds: 30
EOF
		kafka_pod_common broker 384m
	} >"$m/20-kafka.yaml"
}

# How many brokers IP:9092 lists (0: no answer), from the host through the pod route.
brokers_seen() { # ip
	kcat -L -b "$1:9092" -m 2 2>/dev/null | sed -n 's/^ \([0-9]*\) brokers:$/\1/p' | head -1 || true
}

broker_ips() {
	kc -n "$NS" get pods -l app=kafka \
		-o jsonpath='{range .items[*]}{.metadata.name} {.status.podIP}{"\n"}{end}' | sort
}

wait_brokers() {
	local deadline ok name ip n b
	deadline=$(($(date +%s) + READY_TIMEOUT))
	while :; do
		ok=0 b=""
		while read -r name ip; do
			[ -n "$ip" ] || continue
			n=$(brokers_seen "$ip")
			[ "${n:-0}" = "$BROKERS" ] && ok=$((ok + 1))
			b+="${b:+,}$ip:9092"
		done < <(broker_ips)
		if [ "$ok" = "$BROKERS" ]; then
			echo "$b" >"$DIR/bootstrap"
			return 0
		fi
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kc -n "$NS" get pods -o wide >&2 || true
			for name in kafka-controller-0 kafka-0 kafka-1 kafka-2; do
				echo "== $name" >&2
				kc -n "$NS" logs "$name" --tail=5 >&2 2>&1 || true
			done
			die "brokers not ready after $READY_TIMEOUT s"
		fi
		sleep 1
	done
}

topic() { # args...
	java -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		-Dlog4j.configuration="file:$DIR/tools-log4j.properties" -cp "$LIBS/*" \
		org.apache.kafka.tools.TopicCommand --bootstrap-server "$(cat "$DIR/bootstrap")" "$@"
}

# As in the containerd lab (lab.sh create_topics): workflow pinned to 0,1,2 (kafka-0 leads),
# queue-events RF 3, workflow-unsafe 2,0 with min ISR 1 and unclean election.
create_topics() {
	local pids=() rc=0 p
	mkdir -p "$DIR/logs"
	topic --create --if-not-exists --topic workflow --replica-assignment 0:1:2 \
		>"$DIR/logs/topic-workflow.log" 2>&1 & pids+=($!)
	topic --create --if-not-exists --topic queue-events --partitions 1 --replication-factor 3 \
		>"$DIR/logs/topic-queue-events.log" 2>&1 & pids+=($!)
	topic --create --if-not-exists --topic workflow-unsafe --replica-assignment 2:0 \
		--config min.insync.replicas=1 --config unclean.leader.election.enable=true \
		>"$DIR/logs/topic-workflow-unsafe.log" 2>&1 & pids+=($!)
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	[ $rc = 0 ] || { cat "$DIR"/logs/topic-*.log >&2; die "creating the pipeline's topics failed"; }
}

# ---- the pipeline -------------------------------------------------------------------------
# A pipeline pod's spec: the program, glibc and librdkafka from the host read-only, its
# state (acked file, sink) on the host at DIR/pipeline/NAME — where the integrity hook and
# build/lab/verify read it, and where a replacement pod finds it.
pipeline_pod_spec() { # name kind grace program args...
	local name=$1 kind=$2 grace=$3 a
	shift 3
	cat <<EOF
    metadata: {labels: {app: $name, pipeline: $kind, faultline.io/lab: pipeline}}
    spec:
      terminationGracePeriodSeconds: $grace
EOF
	cat <<EOF
      containers:
        - name: main
          image: $PIPELINE_IMAGE
          imagePullPolicy: Never
          command:
EOF
	for a in "$@"; do printf '            - "%s"\n' "$a"; done
	cat <<EOF
          volumeMounts:
            - {name: libs, mountPath: /lib/x86_64-linux-gnu, readOnly: true}
            - {name: lib64, mountPath: /lib64, readOnly: true}
            - {name: state, mountPath: /state}
      volumes:
        - {name: libs, hostPath: {path: /usr/lib/x86_64-linux-gnu, type: Directory}}
        - {name: lib64, hostPath: {path: /usr/lib64, type: Directory}}
        - {name: state, hostPath: {path: $DIR/pipeline/$name, type: DirectoryOrCreate}}
EOF
}

# The loader as a Job (as in StreamForge): it runs until stopped, so the Job never ends;
# completions is large so that a loader that exits 0 on SIGTERM (a deleted pod) is followed
# by a new one, and podReplacementPolicy Failed makes the new pod wait until the old one has
# flushed and synced its acked file: two loaders never append to it at once.
loader_job() { # name kind args...
	local name=$1 kind=$2
	shift 2
	cat <<EOF
apiVersion: batch/v1
kind: Job
metadata: {name: $name, namespace: $NS, labels: {app: $name}}
spec:
  completions: 1000000
  parallelism: 1
  backoffLimit: 1000000
  podReplacementPolicy: Failed
  template:
EOF
	pipeline_pod_spec "$name" "$kind" 10 /bin/loader "$@" | sed 's/^    spec:$/    spec:\n      restartPolicy: Never/'
}

# The connector as a Deployment. A deleted pod's replacement starts while the old one
# drains; both are in the consumer group "connector" and write the same slots of the sink.
connector_deployment() { # name kind args...
	local name=$1 kind=$2
	shift 2
	cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $name, namespace: $NS, labels: {app: $name}}
spec:
  replicas: 1
  strategy: {type: Recreate}
  selector: {matchLabels: {app: $name}}
  template:
EOF
	pipeline_pod_spec "$name" "$kind" 10 /bin/connector "$@"
}

write_pipeline_manifests() {
	local b m=$DIR/manifests
	b=$(cat "$DIR/bootstrap")
	mkdir -p "$DIR"/pipeline/{loader,connector,loader-unsafe,connector-unsafe}
	{
		loader_job loader safe --bootstrap "$b" --acked /state/acked --topic workflow --rate 200
		echo ---
		connector_deployment connector safe --bootstrap "$b" --sink /state/sink \
			--topic workflow --group connector
		echo ---
		loader_job loader-unsafe unsafe --bootstrap "$b" --acked /state/acked \
			--topic workflow-unsafe --acks 1 --symbol UNS --queue-id lab-unsafe --rate 100
		echo ---
		connector_deployment connector-unsafe unsafe --bootstrap "$b" --sink /state/sink \
			--topic workflow-unsafe --group connector-unsafe --queue-id lab-unsafe
	} >"$m/30-pipeline.yaml"
}

wait_pipeline() {
	local deadline
	deadline=$(($(date +%s) + 90))
	until [ -s "$DIR/pipeline/loader/acked" ] && [ -s "$DIR/pipeline/loader-unsafe/acked" ] &&
		compgen -G "$DIR/pipeline/connector/sink/blk-*" >/dev/null &&
		compgen -G "$DIR/pipeline/connector-unsafe/sink/blk-*" >/dev/null; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			kc -n "$NS" get pods -o wide >&2 || true
			die "the pipeline moves no records after 90 s"
		fi
		sleep 0.5
	done
}

# ---- the agent: deploy/ as it is, with make image's images ---------------------------------
# TLS as deploy/agent/README.md says: a CA, the agent's certificate for the node IP, the
# controller's client certificate (DIR/agent-tls/client.{crt,key} and ca.crt, for an
# experiment's agents: {kubernetes: {tls: ...}}).
make_agent_certs() {
	local c=$DIR/agent-tls k
	mkdir -p "$c"
	(
		cd "$c" || exit 1
		printf 'cn = "faultline lab CA"\nca\ncert_signing_key\nexpiration_days = 30\n' >ca.tmpl
		printf 'cn = "faultline-agent"\nip_address = "%s"\ntls_www_server\nsigning_key\nencryption_key\nexpiration_days = 30\n' \
			"$NODE_IP" >server.tmpl
		printf 'cn = "faultline-controller"\ntls_www_client\nsigning_key\nexpiration_days = 30\n' >client.tmpl
		for k in ca tls client; do
			certtool --generate-privkey --key-type=ecdsa --outfile $k.key || exit 1
		done
		certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.crt &&
			certtool --generate-certificate --load-privkey tls.key --load-ca-certificate ca.crt \
				--load-ca-privkey ca.key --template server.tmpl --outfile tls.crt &&
			certtool --generate-certificate --load-privkey client.key --load-ca-certificate ca.crt \
				--load-ca-privkey ca.key --template client.tmpl --outfile client.crt
	) >"$DIR/certtool.log" 2>&1 || { tail -5 "$DIR/certtool.log" >&2; die "certtool failed"; }
}

# deploy/ rendered by kubectl's kustomize, two lines changed for this node: the CRI socket is
# the node's containerd's (not /run/containerd/containerd.sock), and /run/netns loses its
# HostToContainer propagation (the node's mounts are private: kubelet refuses it there).
install_agent() {
	local c=$DIR/agent-tls
	make_agent_certs
	kc kustomize "$ROOT/deploy" >"$DIR/manifests/40-deploy.rendered.yaml" ||
		die "kubectl kustomize deploy/ failed"
	sed -e "s|^\( *path:\) /run/containerd/containerd.sock$|\1 $(cat "$KDIR/cri")|" \
		-e '/mountPropagation: HostToContainer/d' "$DIR/manifests/40-deploy.rendered.yaml" \
		>"$DIR/manifests/40-deploy.yaml"
	kc apply -f "$ROOT/deploy/namespace.yaml" >/dev/null
	kc -n faultline create secret generic faultline-agent-tls --from-file="$c/tls.crt" \
		--from-file="$c/tls.key" --from-file="$c/ca.crt" >/dev/null
	kc -n faultline create secret generic faultline-controller-tls \
		--from-file=tls.crt="$c/client.crt" --from-file=tls.key="$c/client.key" \
		--from-file="$c/ca.crt" >/dev/null
	kc apply -f "$DIR/manifests/40-deploy.yaml" >/dev/null
}

wait_agent() {
	kc -n faultline rollout status daemonset/faultline-agent --timeout=60s >/dev/null ||
		{ kc -n faultline get pods -o wide >&2; kc -n faultline logs ds/faultline-agent --tail=10 >&2 || true
			die "the agent DaemonSet is not Ready after 60 s"; }
}

# ---- verbs ------------------------------------------------------------------------------
cmd_up() {
	local pipeline=1 agent=1
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		--no-pipeline) pipeline=0; shift ;;
		--no-agent) agent=0; shift ;;
		*) usage ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "lab-k8s: needs root" >&2; exit 3; }
	need kcat java python3 ctr curl
	[ $pipeline = 0 ] || need "$BUILD_DIR/lab/loader" "$BUILD_DIR/lab/connector"
	if [ $agent = 1 ]; then
		need certtool
		eval "$(make -s -C "$ROOT" print-image-names)"
		if ! [ -f "$ROOT/$AGENT_IMAGE_TAR" ] || ! [ -f "$ROOT/$FAULTLINE_IMAGE_TAR" ]; then
			echo "lab-k8s: no $AGENT_IMAGE_TAR or $FAULTLINE_IMAGE_TAR (make image)" >&2
			exit 3
		fi
	fi
	find_tools
	if [ -f "$DIR/lab.env" ] && "$CLUSTER_SH" status "$KDIR" >/dev/null 2>&1; then
		say "already up in $DIR (bootstrap $(cat "$DIR/bootstrap" 2>/dev/null))"
		return 0
	fi
	if [ -e "$DIR" ]; then
		say "a partial lab is in $DIR: removing it first"
		cmd_down_dir
	fi
	trap 'echo "lab-k8s: up failed; removing the partial lab (FL_LAB_KEEP=1 keeps it)" >&2;
		[ -n "${FL_LAB_KEEP:-}" ] || cmd_down_dir' EXIT
	# A signal ends `up` through exit, so that the EXIT trap removes the partial lab.
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	mkdir -p "$DIR/images" "$KDIR"
	echo "NS=$NS BROKERS=$BROKERS PIPELINE=$pipeline AGENT=$agent" >"$DIR/lab.env"
	if [ $agent = 1 ]; then
		cp "$ROOT/$AGENT_IMAGE_TAR" "$DIR/images/faultline-agent.tar"
		cp "$ROOT/$FAULTLINE_IMAGE_TAR" "$DIR/images/faultline.tar"
	fi
	# The images are built while the cluster starts.
	build_kafka_image &
	local img=$!
	[ $pipeline = 0 ] || build_pipeline_image
	wait $img || die "building the Kafka image failed"
	"$CLUSTER_SH" start "$KDIR" || die "the cluster did not start"
	# shellcheck disable=SC1091
	. "$KDIR/env"
	NODE_IP=$FL_KUBE_NODE_IP
	cp "$KDIR/kubeconfig" "$DIR/kubeconfig.tmp"
	sed "s|certificate-authority: ca.crt|certificate-authority: $KDIR/ca.crt|; s|tokenFile: admin.token|tokenFile: $KDIR/admin.token|" \
		"$DIR/kubeconfig.tmp" >"$DIR/kubeconfig" && rm -f "$DIR/kubeconfig.tmp"
	say "cluster up (API https://$NODE_IP:6443, kubeconfig $DIR/kubeconfig)"
	import_images
	say "images imported"
	write_kafka_config
	format_storage
	write_kafka_manifests
	kc apply -f "$DIR/manifests/00-namespace.yaml" >/dev/null
	kc apply -f "$DIR/manifests/10-kafka-controller.yaml" -f "$DIR/manifests/20-kafka.yaml" >/dev/null
	[ $agent = 0 ] || install_agent
	say "Kafka controller and $BROKERS brokers applied$([ $agent = 0 ] || echo ", the agent DaemonSet too"); waiting for them"
	wait_brokers
	say "Kafka ready: bootstrap $(cat "$DIR/bootstrap")"
	if [ $pipeline = 1 ]; then
		create_topics
		say "topics workflow, queue-events, workflow-unsafe created"
		write_pipeline_manifests
		kc apply -f "$DIR/manifests/30-pipeline.yaml" >/dev/null
		wait_pipeline
		say "pipeline running: Job loader → workflow → Deployment connector (and the unsafe pair)"
	fi
	if [ $agent = 1 ]; then
		wait_agent
		say "agent DaemonSet Ready (https://$NODE_IP:9443; client certificate in $DIR/agent-tls)"
	fi
	trap - EXIT
	say "lab up in $DIR; kubectl: lab.sh kubectl --kubernetes --dir $DIR ...; bootstrap $(cat "$DIR/bootstrap")"
}

cmd_down_dir() {
	local left=0
	"$CLUSTER_SH" stop "$KDIR" --purge || left=1
	rm -rf "$DIR" || left=1
	[ ! -e "$DIR" ] || { echo "lab-k8s: $DIR is still there" >&2; left=1; }
	return $left
}

cmd_down() {
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		*) usage ;;
		esac
	done
	[ "$(id -u)" = 0 ] || { echo "lab-k8s: needs root" >&2; exit 3; }
	if [ ! -e "$DIR" ]; then
		say "no lab in $DIR"
		return 0
	fi
	cmd_down_dir
	say "lab down: $DIR removed"
}

cmd_status() {
	local rc=0 name ip n
	while [ $# -gt 0 ]; do
		case $1 in
		--dir) set_dir "${2:?}"; shift 2 ;;
		*) usage ;;
		esac
	done
	find_tools
	"$CLUSTER_SH" status "$KDIR" || rc=1
	[ $rc = 0 ] || return 1
	kc -n "$NS" get pods -o wide || rc=1
	while read -r name ip; do
		n=$(brokers_seen "$ip")
		echo "broker $name at $ip sees ${n:-0}/$BROKERS brokers"
		[ "${n:-0}" = "$BROKERS" ] || rc=1
	done < <(broker_ips)
	return $rc
}

# The experiment templates with the brokers' pod IPs as they are now (a replaced broker
# has a new one; DIR/bootstrap is rewritten too) and DIR. Prints the files written.
cmd_render() {
	local out t b="" name ip subst=()
	if [ "${1:-}" = --dir ]; then set_dir "${2:?}"; shift 2; fi
	out=${1:?lab-k8s: render OUT_DIR}
	find_tools
	while read -r name ip; do
		[ -n "$ip" ] || continue
		b+="${b:+,}$ip:9092"
		subst+=(-e "s|@KAFKA${name#kafka-}@|$ip|g") # @KAFKA0@..: broker N's pod IP
	done < <(broker_ips)
	[ ${#subst[@]} = $((2 * BROKERS)) ] || die "not $BROKERS broker pods with an IP in $DIR (lab.sh up --kubernetes)"
	echo "$b" >"$DIR/bootstrap"
	mkdir -p "$out"
	for t in "$ROOT"/experiments/lab-k8s/*.yaml.in; do
		sed -e "s|@BOOTSTRAP@|$b|g" -e "s|@DIR@|$DIR|g" "${subst[@]}" "$t" >"$out/$(basename "$t" .in)"
		echo "$out/$(basename "$t" .in)"
	done
}

set_dir /var/tmp/faultline/lab-k8s
verb=${1:-}
[ -n "$verb" ] || usage
shift
case $verb in
up) cmd_up "$@" ;;
down) cmd_down "$@" ;;
status) cmd_status "$@" ;;
kubectl)
	if [ "${1:-}" = --dir ]; then set_dir "${2:?}"; shift 2; fi
	find_tools
	exec "$KUBECTL" --kubeconfig "$DIR/kubeconfig" "$@"
	;;
render) cmd_render "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
