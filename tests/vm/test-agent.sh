#!/bin/bash
# VM tier: faultline-agent on Debian's stock kernel (which has sch_netem): a netem fault
# through the agent's API, verified, measured, reverted, and cleaned up after kill -9; the
# agent's wire check (verify.wire) on real netem.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s "$BUILD/tests/vm/vm_agent" "$BUILD/faultline-agent"
exec tests/vm/vm.sh --timeout 600 --bin "$BUILD/tests/vm/vm_agent" \
	--bin "$BUILD/faultline-agent" -- /bin/vm_agent "$@"
