#!/bin/bash
# Fill the lab's experiment templates (experiments/lab/*.yaml.in) in from a running lab:
#   scripts/render-lab-experiments.sh [--negative] LAB_DIR OUT_DIR
# @AGENT@ → LAB_DIR/agent.sock, @BOOTSTRAP@ → LAB_DIR/bootstrap, @DIR@ → LAB_DIR,
# @KAFKA0@..@KAFKA2@ → the brokers' pod IPs (LAB_DIR/pods/kafka-N.ip), @LOADER@ → the loader's
# pod IP (LAB_DIR/pods/loader.ip). Writes OUT_DIR/*.yaml
# and prints OUT_DIR/gameday.yaml (the suite). Exit 1 when the lab is not up.
#
# --negative: the same suite with every fault aimed where it cannot matter, to show that each
# experiment's effect check fails when its fault did nothing (issue 10): a `to` names the
# lab's idle decoy pod instead of the brokers (ports kept: traffic to it there is none), a
# kill stops the decoy's container instead of the pipeline's or a broker's, and the agent's
# wire check is left off (it would refuse such a no-op fault at inject; its own tests show
# that). Everything else — steady state, effect checks, integrity checks — is unchanged.
set -euo pipefail
negative=0
if [ "${1:-}" = --negative ]; then
	negative=1
	shift
fi
[ $# = 2 ] || { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
lab=$(realpath -m "$1") out=$2
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../experiments/lab" && pwd)
need=(agent.sock bootstrap pods/kafka-0.ip pods/kafka-1.ip pods/kafka-2.ip pods/loader.ip)
[ $negative = 0 ] || need+=(pods/decoy.ip)
for f in "${need[@]}"; do
	[ -e "$lab/$f" ] || { echo "render-lab-experiments: $lab/$f: no lab there (faultline lab up)" >&2; exit 1; }
done
mkdir -p "$out"
for t in "$src"/*.yaml.in; do
	sed -e "s|@AGENT@|$lab/agent.sock|g" -e "s|@BOOTSTRAP@|$(cat "$lab/bootstrap")|g" \
		-e "s|@DIR@|$lab|g" -e "s|@KAFKA0@|$(cat "$lab/pods/kafka-0.ip")|g" \
		-e "s|@KAFKA1@|$(cat "$lab/pods/kafka-1.ip")|g" \
		-e "s|@KAFKA2@|$(cat "$lab/pods/kafka-2.ip")|g" \
		-e "s|@LOADER@|$(cat "$lab/pods/loader.ip")|g" "$t" >"$out/$(basename "$t" .in)"
done
if [ $negative = 1 ]; then
	python3 - "$out" "$(cat "$lab/pods/decoy.ip")" <<'PY'
import glob, re, sys, yaml
out, decoy = sys.argv[1], sys.argv[2]
DECOY_TARGET = {"pod": {"namespace": "streamforge", "name": "decoy"}, "container": "main"}

def aim_elsewhere(to):
    # "10.88.0.5:9092" -> "DECOY:9092", "10.88.0.5" -> "DECOY", "10.88.0.0/16" -> "DECOY/32"
    m = re.fullmatch(r"(tcp:|udp:)?([0-9.]+)(/[0-9]+)?(:[0-9]+)?", to)
    if not m:
        sys.exit("render-lab-experiments: --negative: cannot re-aim to: %r" % to)
    return "%s%s%s%s" % (m.group(1) or "", decoy, "/32" if m.group(3) else "", m.group(4) or "")

for path in glob.glob(out + "/*.yaml"):
    doc = yaml.safe_load(open(path))
    if doc.get("kind") != "Experiment":
        continue
    spec = doc["spec"]
    for step in spec.get("method", []):
        f = step.get("fault")
        if not f:
            continue
        f.pop("verify", None)
        if f["kind"] in ("container-kill", "process-kill"):
            spec["targets"]["decoy"] = DECOY_TARGET
            f["target"] = "decoy"
        elif "to" in f:
            f["to"] = [aim_elsewhere(t) for t in f["to"]]
        else:
            sys.exit("render-lab-experiments: --negative: fault %s has no `to` to re-aim"
                     % f.get("name"))
    doc["metadata"]["description"] = "NEGATIVE (faults aimed where they cannot matter): " + \
        doc["metadata"].get("description", "")
    with open(path, "w") as fh:
        fh.write("# Rendered by scripts/render-lab-experiments.sh --negative: every fault is\n"
                 "# aimed where it cannot matter; each effect check must fail.\n")
        yaml.safe_dump(doc, fh, sort_keys=False, width=100)
PY
fi
echo "$out/gameday.yaml"
