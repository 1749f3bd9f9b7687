#!/bin/bash
# `faultline run` and `plan` as a user meets them before anything runs: bad flags and bad
# files are refused with a precise message and the documented exit code, and nothing runs.
set -uo pipefail
cd "$(dirname "$0")/../.."
FL=${BUILD:-build}/faultline
D=tests/data/experiments
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

expect "run help documents the exit codes" 0 "4 leftovers found" "$FL" run --help
expect "top-level help documents the exit codes" 0 "3 aborted" "$FL" --help
expect "run without a file" 64 "no experiment file given" "$FL" run
expect "run with a bad seed" 64 '--seed: "12x" is not an unsigned integer' \
	"$FL" run --seed 12x $D/valid/minimal/input.yaml
expect "run with an unknown flag" 64 "Usage: faultline run" "$FL" run --frobnicate x.yaml
expect "run a missing file" 2 "nope.yaml: cannot read: No such file or directory" \
	"$FL" run nope.yaml
expect "run an invalid file: position and message, nothing runs" 2 \
	"$D/invalid/duration-words/input.yaml:10:57: spec.method[2].fault.duration: \"5 minutes\" is not a duration" \
	"$FL" run $D/valid/minimal/input.yaml $D/invalid/duration-words/input.yaml
if echo "$LAST" | grep -qE "run [0-9]{8}T"; then
	fail "an invalid file among valid ones runs nothing" "$LAST"
else
	ok "an invalid file among valid ones runs nothing"
fi
expect "plan without a file" 64 "Usage: faultline plan" "$FL" plan
expect "plan with a bad seed" 64 '--seed: "-3" is not an unsigned integer' \
	"$FL" plan --seed -3 $D/valid/minimal/input.yaml
expect "plan an invalid file" 2 "spec.method[2].fault.duration" \
	"$FL" plan $D/invalid/duration-words/input.yaml
# An unreachable agent: plan says so and exits 2, changing nothing.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/x.yaml" <<YAML
apiVersion: faultline/v1
kind: Experiment
metadata: {name: unreachable}
spec:
  agents: [{name: node-a, address: "unix:$tmp/no-agent.sock"}]
  targets:
    t: {netns: /run/netns/none}
  method:
    - fault: {target: t, kind: partition, duration: 1s}
YAML
expect "plan with an unreachable agent" 2 "node-a" "$FL" plan "$tmp/x.yaml"
expect "run with an unreachable agent is an error, not a pass" 2 "error" "$FL" run --quiet "$tmp/x.yaml"
# Hooks: plan lists them and does not start a module to sample its probes (a module may act on
# the system); their probes do not make the experiment "CANNOT RUN".
cat > "$tmp/h.yaml" <<YAML
apiVersion: faultline/v1
kind: Experiment
metadata: {name: hooks}
spec:
  hooks: [{name: t, module: ticker, config: {interval: 10ms}, autoStart: true}]
  steadyState:
    probes: [{name: running, type: hook, hook: t, metric: running, tolerance: {equals: 1}}]
  method:
    - pause: 1s
YAML
expect "plan lists hooks with their module and start" 0 \
	't: module ticker, started before the steady state (autoStart), config {"interval":"10ms"}' \
	"$FL" plan "$tmp/h.yaml"
expect "plan does not sample hook probes, and can run" 0 "not sampled  hook t: its module runs only during a run" \
	"$FL" plan "$tmp/h.yaml"
if echo "$LAST" | grep -q "=> can run"; then ok "plan: an experiment with hook probes can run"; else fail "plan: an experiment with hook probes can run" "$LAST"; fi
expect "run: the autoStart hook's steady state holds" 0 "passed" "$FL" run "$tmp/h.yaml"
summary
