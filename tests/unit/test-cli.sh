#!/bin/bash
# The faultline CLI as a user meets it: help, version, precise errors and exit codes, and
# `netem encode` printing the bytes tc sends for the same options.
set -uo pipefail
cd "$(dirname "$0")/../.."
FL=${BUILD:-build}/faultline
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

expect "help" 0 "netem apply" "$FL" --help
expect "netem help" 0 "--to TARGET" "$FL" netem --help
expect "version" 0 "faultline 0." "$FL" --version
expect "no command" 64 "Usage" "$FL"
expect "unknown command" 64 'unknown command "frobnicate"' "$FL" frobnicate
expect "unknown verb" 64 'unknown verb "explode"' "$FL" netem explode
expect "bad option names the word" 64 '"jitter": unknown netem option' \
	"$FL" netem encode --ifindex 1 delay 10ms jitter 5ms
expect "bad percentage names field and value" 64 'loss: "120%" is above 100%' \
	"$FL" netem encode --ifindex 1 loss 120%
expect "impossible combination" 64 "reorder: 25% needs a delay" \
	"$FL" netem encode --ifindex 1 reorder 25%
expect "flags after options are explained" 64 "flags go before the fault options" \
	"$FL" netem encode --ifindex 1 delay 10ms --to 10.0.0.1
expect "bad target" 64 '--to: target: "10.0.0.300"' \
	"$FL" netem encode --ifindex 1 --to 10.0.0.300 delay 10ms
expect "encode needs a device" 64 "--dev or --ifindex is required" "$FL" netem encode delay 1ms
expect "unknown device" 64 'no interface "nosuchif0"' "$FL" netem encode --dev nosuchif0 delay 1ms
expect "apply needs a device" 64 "--dev is required" "$FL" netem apply delay 1ms
expect "missing netns is an error, not a crash" 2 "netns /run/netns/does-not-exist" \
	"$FL" netem show --netns does-not-exist --dev eth0

# encode --options-only prints exactly tc's TCA_OPTIONS payload (golden file).
# shellcheck disable=SC2046 # the case's options are words
got=$("$FL" netem encode --options-only $(grep '^combo_full	' tests/data/netem-golden/cases.txt | cut -f2))
want=$(cat tests/data/netem-golden/combo_full.opts.hex)
if [ "$got" = "$want" ]; then ok "encode --options-only equals tc's bytes (combo_full)"
else fail "encode --options-only equals tc's bytes" "$(diff <(echo "$want") <(echo "$got") | head)"; fi

# encode prints the whole request: header fields of an RTM_NEWQDISC for ifindex 1.
got=$("$FL" netem encode --ifindex 1 delay 100ms | sed -n 2p)
# bytes 4..7: type 0x24 (RTM_NEWQDISC), flags 0x605 (REQUEST|ACK|EXCL|CREATE, as `tc qdisc add`)
if [[ "$got" == "4c 00 00 00 24 00 05 06 "* ]]; then ok "encode prints an RTM_NEWQDISC request"
else fail "encode prints an RTM_NEWQDISC request" "$got"; fi

summary
