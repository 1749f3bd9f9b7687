#!/bin/bash
# Benchmarks, each side by side with what a user would use instead, in one run.
# Writes bench/RESULTS.md (the figures of this machine) and prints it.
#
#   bench/run.sh                    all
#   FL_BENCH_CHANGES=500 bench/run.sh
#   FL_BENCH_KUBE_PORT=19443 bench/run.sh   the API server's ports (P..P+3) of bench_kube_select
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${FL_BENCH_CHANGES:-200}
OUT=bench/RESULTS.md
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (network namespaces)" >&2; exit 1; }
make -s "$BUILD/bench/bench_netem" "$BUILD/bench/bench_agent" "$BUILD/faultline-agent" \
	"$BUILD/bench/bench_kafka_lag" "$BUILD/bench/bench_kube_select"

echo "== host kernel ($(uname -r)): tbf through libfl-netem vs spawning tc, $N changes"
host=$("$BUILD/bench/bench_netem" --changes "$N" --kind tbf | tee /dev/stderr)
echo "== Debian kernel in qemu (TCG): netem through libfl-netem vs spawning tc, $N changes"
vm=$(tests/vm/vm.sh --with-tc --timeout 1500 --bin "$BUILD/bench/bench_netem" -- \
	/bin/bench_netem --changes "$N" --kind netem --ip /sbin/ip --tc /sbin/tc | tee /dev/stderr)

echo "== agent on the host: nftables partition (+ RSS) and tbf through the API vs spawning nft/tc"
agent_nft=$("$BUILD/bench/bench_agent" --changes "$N" --kind nft --rss | tee /dev/stderr)
agent_tbf=$("$BUILD/bench/bench_agent" --changes "$N" --kind tbf | tee /dev/stderr)
echo "== agent in qemu (TCG): netem through the API vs spawning tc"
agent_vm=$(tests/vm/vm.sh --with-tc --timeout 1500 --bin "$BUILD/bench/bench_agent" \
	--bin "$BUILD/faultline-agent" -- /bin/bench_agent --changes "$N" --kind netem \
	--ip /sbin/ip --tc /sbin/tc | tee /dev/stderr)

echo "== Kafka (3 KRaft brokers, tests/lib/kafka-cluster.sh): lag of all groups vs kafka-consumer-groups"
kafka_lag=$("$BUILD/bench/bench_kafka_lag" --sizes 1000,10000 --runs "${FL_BENCH_KAFKA_RUNS:-5}" |
	tee /dev/stderr)

echo "== Kubernetes (etcd + kube-apiserver, tests/lib/kube-api.sh): pods target over 10,000 pods vs kubectl"
kube_select=$("$BUILD/bench/bench_kube_select" --pods 10000 --rounds "${FL_BENCH_KUBE_ROUNDS:-10}" \
	--port "${FL_BENCH_KUBE_PORT:-16443}" | tee /dev/stderr)

table() { # $1 = bench output
	echo '```'
	echo "$1" | grep -v '^BENCH' | grep -v '^fl-vm:' | grep -v 'FL_VM_RESULT'
	echo '```'
}
{
	echo "# Benchmark results"
	echo
	echo "Produced by \`make bench\` (bench/run.sh) on $(date -u +%Y-%m-%d), $(nproc) cores,"
	echo "host kernel $(uname -r), iproute2 $(tc -V | sed 's/.*iproute2-//; s/,.*//')."
	echo
	echo "## Apply-and-verify / remove latency of a fault in a network namespace"
	echo
	echo "libfl-netem (one netlink request, then a dump and compare) against what other chaos"
	echo "tools do per change: spawn \`ip netns exec NS tc qdisc replace|del ...\`. Same"
	echo "changes on the same veth, interleaved, $N each. Our apply includes the read-back"
	echo "verification; tc's does not."
	echo
	echo "### Host kernel (no sch_netem here): tbf"
	echo
	table "$host"
	echo
	echo "### Debian's stock kernel under qemu TCG (emulated CPU, so everything is slower): netem"
	echo
	table "$vm"
	echo
	echo "## faultline-agent: inject -> verified and revert, through its API"
	echo
	echo "The 201 of \`POST /v1/faults\` (target resolution, the ledger record written and"
	echo "fsynced, the change, the read-back verification) and the 200 of \`DELETE\`, over the"
	echo "unix socket, against spawning the tool per change. $N faults each, one run."
	echo
	echo "### Host kernel: nftables partition, and the agent's memory"
	echo
	table "$agent_nft"
	echo
	echo "### Host kernel: tbf bandwidth"
	echo
	table "$agent_tbf"
	echo
	echo "### Debian's stock kernel under qemu TCG: netem"
	echo
	table "$agent_vm"
	echo
	echo "## Kafka consumer lag of every group: faultline vs kafka-consumer-groups"
	echo
	echo "\`fl_kafka_lag_snapshot(kafka, NULL)\` (what kafka.consumerLag runs: one Metadata"
	echo "request, ListConsumerGroups, one OffsetFetch per group in flight together, one"
	echo "ListOffsets per partition leader) against \`kafka-consumer-groups.sh --describe"
	echo "--all-groups\` from the same Kafka jars, interleaved, on the 3-broker test cluster."
	echo "Topics are created with replication factor 1 to keep the cluster light on this"
	echo "machine; 3 groups have committed offsets on every partition. Both outputs are checked"
	echo "to hold every group-partition. RSS is the benchmark process's peak (VmHWM), the"
	echo "setup (topics, records, commits) being done in a child process."
	echo
	table "$kafka_lag"
	echo
	echo "## Kubernetes pods target over 10,000 pods: faultline vs kubectl"
	echo
	echo "\`fl_kube_run_resolve\` (what a \`pods\` target runs at plan and inject time: the"
	echo "server lists by label selector in pages of 500, the names glob is applied here, one"
	echo "Running pod is chosen with the run's seed) against \`kubectl get pods -n NS [-l SEL]"
	echo "-o name|json\` of the same v1.37.2 build, interleaved, on a bare etcd + kube-apiserver"
	echo "holding 10,000 Running pod objects. CPU is the side's own user + system time; RSS"
	echo "each whole process's peak (ru_maxrss): faultline's is this benchmark spawned again"
	echo "to resolve once; kubectl's discovery cache is warm. Counts are checked to agree."
	echo
	table "$kube_select"
} > "$OUT"
echo "bench: wrote $OUT"
