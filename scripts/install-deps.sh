#!/bin/bash
# Install every Debian package Faultline's build, tests, benchmarks and demo need.
# Idempotent: installs only what is missing; runs apt-get update only when needed.
# Works on a fresh Debian 12 as root (this is what the README's commands and .ci/run call).
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config libmnl-dev libnftnl-dev libmicrohttpd-dev libjansson-dev
	libcurl4-gnutls-dev libgnutls28-dev
	# tests: fuzzing (libFuzzer), formatting, the tc/ip the golden bytes are checked against
	clang libclang-rt-14-dev clang-format iproute2 strace
	# tests: the independent witness of leftovers (tests/lib/witness.c) reads tc state with libnl
	libnl-3-dev libnl-route-3-dev
	# tests/vm and the demo: Debian's stock kernel under qemu with a busybox initramfs
	qemu-system-x86 qemu-system-data busybox-static cpio xz-utils gzip
	# the VM/host measurements use our own probes; ping is for the demo's human-readable part
	iputils-ping
	# agent tests: a private containerd with the CRI plugin, CNI, certificates for mTLS;
	# nft/iptables only as what users would run instead (benchmarks) and test set-up
	containerd runc containernetworking-plugins gnutls-bin nftables iptables python3
	# the controller: YAML experiments, Kafka probes (librdkafka), JUnit checked by xmllint,
	# the JSON Schema checked by an independent validator, kcat as an independent Kafka client
	libyaml-dev librdkafka-dev kcat libxml2-utils python3-jsonschema
	python3-yaml # tests/unit/test-schema-sync.sh reads the YAML fixtures for the schema check
	# Kafka for the probe tests, the benchmark and the lab: Java 17 runs the brokers, Maven
	# fetches the jars from Maven Central once into /var/cache/faultline/kafka
	openjdk-17-jre-headless maven
	# the HTML report is checked in a real browser (headless Chromium)
	chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package lists may be absent (fresh container) or stale: update once, then install.
if ! apt-get install -y -q --no-install-recommends "${missing[@]}"; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
