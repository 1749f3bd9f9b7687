#!/bin/bash
# The main job until the lab exists: Debian's stock kernel (which has sch_netem) booted
# under qemu, and real netem faults applied to network namespaces with the faultline CLI,
# their effect shown with ping. See scripts/demo-guest.sh for what runs in the VM.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (qemu, network namespaces)" >&2; exit 1; }
echo "demo: building faultline"
make -s "$BUILD/faultline"
echo "demo: booting Debian's stock kernel under qemu (first run downloads it: ~15 s)"
exec tests/vm/vm.sh --timeout 300 --bin "$BUILD/faultline" --bin scripts/demo-guest.sh -- \
	/bin/sh /bin/demo-guest.sh
