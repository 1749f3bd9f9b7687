#!/bin/bash
# Fill the lab's experiment templates (experiments/lab/*.yaml.in) in from a running lab:
#   scripts/render-lab-experiments.sh LAB_DIR OUT_DIR
# @AGENT@ → LAB_DIR/agent.sock, @BOOTSTRAP@ → LAB_DIR/bootstrap, @DIR@ → LAB_DIR,
# @KAFKA0@..@KAFKA2@ → the brokers' pod IPs (LAB_DIR/pods/kafka-N.ip). Writes OUT_DIR/*.yaml
# and prints OUT_DIR/gameday.yaml (the suite). Exit 1 when the lab is not up.
set -euo pipefail
[ $# = 2 ] || { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
lab=$(realpath -m "$1") out=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../experiments/lab" && pwd)
for f in agent.sock bootstrap pods/kafka-0.ip pods/kafka-1.ip pods/kafka-2.ip; do
	[ -e "$lab/$f" ] || { echo "render-lab-experiments: $lab/$f: no lab there (faultline lab up)" >&2; exit 1; }
done
mkdir -p "$out"
for t in "$src"/*.yaml.in; do
	sed -e "s|@AGENT@|$lab/agent.sock|g" -e "s|@BOOTSTRAP@|$(cat "$lab/bootstrap")|g" \
		-e "s|@DIR@|$lab|g" -e "s|@KAFKA0@|$(cat "$lab/pods/kafka-0.ip")|g" \
		-e "s|@KAFKA1@|$(cat "$lab/pods/kafka-1.ip")|g" \
		-e "s|@KAFKA2@|$(cat "$lab/pods/kafka-2.ip")|g" "$t" >"$out/$(basename "$t" .in)"
done
echo "$out/gameday.yaml"
