#!/bin/bash
# The JSON Schema (experiments/schema/faultline-v1.schema.json) and the C parser describe
# the same format: every valid fixture and every example in experiments/ must pass both
# `faultline validate` and the schema (checked by python3-jsonschema, an independent
# implementation); the structural invalid fixtures below must fail both. The parser is
# stricter than the schema (durations bounded, netem options, references, regexes): the
# invalid fixtures that only it can catch are not listed.
set -uo pipefail
cd "$(dirname "$0")/../.."
FL=${BUILD:-build}/faultline
PY=/usr/bin/python3 # not a pyenv shim: Debian's python3-jsonschema / python3-yaml
SCHEMA=experiments/schema/faultline-v1.schema.json
D=tests/data/experiments
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

if ! $PY -c 'import jsonschema, yaml' 2>/dev/null; then
	fail "python3-jsonschema and python3-yaml are installed (make deps)"
	summary
	exit 1
fi

STRUCTURAL="unknown-top-field unknown-spec-field probe-typo-field wrong-api-version unknown-kind
missing-spec bad-name name-too-long empty-method seed-negative seed-string duration-words
duration-bare-number duration-missing mode-unknown target-two-selectors target-no-selector
target-bad-namespace target-label-not-string agent-http-address fault-unknown-kind
fault-field-of-other-kind fault-from-on-partition fault-kill-with-duration
fault-kill-grace-and-signal fault-bandwidth-limit-and-latency fault-direction-both-network
background-on-pause step-two-kinds rollback-fault probe-unknown-type probe-field-of-other-type
probe-throughput-topic-and-regex probe-throughput-no-topic probe-lag-no-group
probe-prometheus-no-query probe-http-bad-url probe-no-tolerance probe-on-no-data-bad
tolerance-empty tolerance-range-and-min tolerance-max-not-number hook-bad-action
hook-call-without-call hook-args-without-call hook-unknown-module
hook-config-unknown-field hook-config-required hook-latency-window-not-duration
suite-entry-file-and-spec suite-unknown-default suite-no-experiments not-a-mapping
fault-verify-wire-loss fault-verify-wire-not-bool fault-verify-unknown-key"

valid=()
for f in $D/valid/*/input.yaml experiments/*.yaml experiments/*/*.yaml; do
	# Schedule configs (kind: Schedule) have their own reader and tests.
	[ -f "$f" ] && ! grep -q '^kind: Schedule' "$f" && valid+=("$f")
done
# The lab's gameday templates (experiments/lab/*.yaml.in), filled in by
# scripts/render-lab-experiments.sh from a stand-in for a running lab's directory (the files
# it reads: the agent's socket, the bootstrap list, the brokers' pod IPs).
lab_tmp=$(mktemp -d)
trap 'rm -rf "$lab_tmp"' EXIT
mkdir -p "$lab_tmp/lab/pods"
touch "$lab_tmp/lab/agent.sock"
echo "10.88.0.2:9092,10.88.0.3:9092,10.88.0.4:9092" >"$lab_tmp/lab/bootstrap"
for n in 0 1 2; do echo "10.88.0.$((n + 2))" >"$lab_tmp/lab/pods/kafka-$n.ip"; done
echo "10.88.0.5" >"$lab_tmp/lab/pods/loader.ip"
if scripts/render-lab-experiments.sh "$lab_tmp/lab" "$lab_tmp/out" >/dev/null; then
	for f in "$lab_tmp"/out/*.yaml; do valid+=("$f"); done
	if grep -l '@[A-Z0-9]*@' "$lab_tmp"/out/*.yaml; then
		fail "render-lab-experiments fills every placeholder" "$(grep -n '@[A-Z0-9]*@' "$lab_tmp"/out/*.yaml)"
	else
		ok "render-lab-experiments fills every placeholder"
	fi
else
	fail "render-lab-experiments renders the templates of a lab"
fi
[ "$(ls "$lab_tmp/out" | wc -l)" -ge 8 ] && ok "experiments/lab has the suite and 7 experiments" ||
	fail "experiments/lab has the suite and 7 experiments" "$(ls "$lab_tmp/out")"
# The negative rendering (gameday.sh --negative): valid too, and every fault re-aimed — kills
# at the decoy, every `to` at the decoy's address, no wire check; the effect checks unchanged.
echo "10.88.0.9" >"$lab_tmp/lab/pods/decoy.ip"
if scripts/render-lab-experiments.sh --negative "$lab_tmp/lab" "$lab_tmp/neg" >/dev/null; then
	for f in "$lab_tmp"/neg/*.yaml; do valid+=("$f"); done
	why=$($PY - "$lab_tmp/out" "$lab_tmp/neg" <<'PY'
import glob, os, sys, yaml
out, neg = sys.argv[1], sys.argv[2]
for path in sorted(glob.glob(neg + "/*.yaml")):
    n, o = yaml.safe_load(open(path)), yaml.safe_load(open(os.path.join(out, os.path.basename(path))))
    if n.get("kind") != "Experiment":
        continue
    name = n["metadata"]["name"]
    steps = n["spec"]["method"]
    for st in steps:
        f = st.get("fault")
        if not f:
            continue
        if "verify" in f:
            print("%s: fault %s keeps its wire check" % (name, f["name"]))
        if f["kind"].endswith("-kill") and f["target"] != "decoy":
            print("%s: kill %s not aimed at the decoy" % (name, f["name"]))
        for t in f.get("to", []):
            if "10.88.0.9" not in t:
                print("%s: fault %s still aims at %s" % (name, f["name"], t))
    effects = lambda d: [st["effect"] for st in d["spec"]["method"] if "effect" in st]
    if not effects(n) or effects(n) != effects(o):
        print("%s: effect checks missing or changed" % name)
PY
)
	[ -z "$why" ] && ok "render-lab-experiments --negative aims every fault where it cannot matter" ||
		fail "render-lab-experiments --negative aims every fault where it cannot matter" "$why"
else
	fail "render-lab-experiments --negative renders the templates of a lab"
fi

n_examples=$(grep -L '^kind: Schedule' experiments/*.yaml experiments/*/*.yaml 2>/dev/null | wc -l)
if [ "$n_examples" -ge 2 ]; then ok "experiments/ has $n_examples examples"; else fail "experiments/ has examples" "found $n_examples"; fi

for f in "${valid[@]}"; do
	if ! out=$("$FL" validate "$f" 2>&1); then
		fail "parser accepts $f" "$out"
	elif ! out=$($PY tests/lib/schema-check.py $SCHEMA "$f" 2>&1); then
		fail "schema accepts $f" "$out"
	else
		ok "both accept $f"
	fi
done

for c in $STRUCTURAL; do
	f=$D/invalid/$c/input.yaml
	if "$FL" validate "$f" >/dev/null 2>&1; then
		fail "parser rejects $c"
	elif out=$($PY tests/lib/schema-check.py $SCHEMA "$f" 2>&1); then
		fail "schema rejects $c" "$out"
	else
		ok "both reject $c"
	fi
done
summary
