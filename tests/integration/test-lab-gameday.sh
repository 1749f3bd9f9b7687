#!/bin/bash
# A roadmap experiment end to end against the lab: `faultline lab up` (3 Kafka brokers as
# pods on a private containerd, the agent on its CRI socket, the supervisor), then
# experiments/lab/kafka-broker-failure.yaml.in run by `faultline run` inside the lab's
# network: one broker container killed through the agent, the topic (RF 3, min ISR 2)
# keeps serving (no marker lost, no partition offline) during the fault and is fully
# replicated after;
# the run exits 0 with a valid JUnit report; `lab down` leaves nothing.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FL=$(realpath "$BUILD/faultline")
LAB=lab/lab.sh
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

tmp=$(mktemp -d /tmp/fl-gameday-XXXXXX)
D=$tmp/lab
cleanup() {
	"$LAB" down --dir "$D" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# The killed broker stays down 25 s: well past the 10-12 s Kafka takes to shrink the ISRs.
if ! "$FL" lab up --dir "$D" --restart-delay 25 >"$tmp/up.log" 2>&1; then
	fail "lab up" "$(tail -5 "$tmp/up.log")"
	summary
	exit 1
fi
ok "lab up"
BOOT=$(cat "$D/bootstrap")
"$LAB" topics --dir "$D" --create --topic workflow --partitions 3 --replication-factor 3 \
	--config min.insync.replicas=2 >/dev/null 2>&1 && ok "topic workflow (RF 3, min ISR 2)" ||
	fail "create topic workflow"
sed -e "s|@AGENT@|$D/agent.sock|" -e "s|@BOOTSTRAP@|$BOOT|" \
	experiments/lab/kafka-broker-failure.yaml.in >"$tmp/exp.yaml"
expect "the experiment validates" 0 "ok" "$FL" validate "$tmp/exp.yaml"

start=$(date +%s)
"$LAB" exec --dir "$D" "$FL" run "$tmp/exp.yaml" --seed 5 --junit "$tmp/junit.xml" \
	--journal "$tmp/journal.json" --report "$tmp/report.html" >"$tmp/run.log" 2>&1
rc=$?
cat "$tmp/run.log"
if [ "$rc" = 0 ]; then ok "kafka-broker-failure passed (exit 0) in $(($(date +%s) - start)) s"; else
	fail "kafka-broker-failure passed" "exit $rc"; fi

verdict() { # probe phase
	/usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
for c in j["experiments"][0]["checks"]:
    if c["probe"] == sys.argv[2] and c["phase"] == sys.argv[3]:
        print(c["verdict"], c.get("message", ""))
        break
' "$tmp/journal.json" "$1" "$2"
}
for check in "replicas before" "e2e before" "replicas-during during" "e2e-during during" \
	"replicas after" "e2e after"; do
	# shellcheck disable=SC2086 # two words
	v=$(verdict $check)
	case $v in pass*) ok "$check: $v" ;; *) fail "$check" "${v:-no such check}" ;; esac
done
killed=$(/usr/bin/python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["experiments"][0]["faults"][0]
print(f["target"], f["inject"]["result"], f.get("mechanism", ""))' "$tmp/journal.json")
case $killed in
streamforge/kafka-?\ ok\ *) ok "killed through the agent: $killed" ;;
*) fail "the broker kill" "$killed" ;;
esac
if xmllint --noout --schema tests/data/junit-10.xsd "$tmp/junit.xml" 2>/dev/null; then
	ok "JUnit valid against junit-10.xsd"
else
	fail "JUnit valid against junit-10.xsd"
fi
# the replacement broker is back: every pod running
expect "lab status after the run" 0 "kafka-2" "$LAB" status --dir "$D"
expect "lab down" 0 "" "$LAB" down --dir "$D"
[ -e "$D" ] && fail "lab down removes its directory" || ok "lab down removes its directory"
summary
