#!/bin/bash
# VM tier: libfl-netem on Debian's stock kernel (which has sch_netem), measured with our own
# probes between two namespaces inside the guest. No tc in the guest.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s "$BUILD/tests/vm/vm_netem"
exec tests/vm/vm.sh --timeout 600 --bin "$BUILD/tests/vm/vm_netem" -- /bin/vm_netem "$@"
