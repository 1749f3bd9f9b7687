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
# The prometheus probe's tests run Debian's Prometheus (started by the test on a free
# loopback port): installed on its own below, never as a service.
SERVICE_LESS=(prometheus)

installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=() missing_sl=()
for p in "${PACKAGES[@]}"; do
	installed "$p" || missing+=("$p")
done
for p in "${SERVICE_LESS[@]}"; do
	installed "$p" || missing_sl+=("$p")
done
if [ ${#missing[@]} -eq 0 ] && [ ${#missing_sl[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]} ${missing_sl[*]}; run as root to" \
		"install them" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
updated=false
# Package lists may be absent (fresh container) or stale: update once, then install.
apt_install() {
	if ! apt-get install -y -q --no-install-recommends "$@"; then
		$updated || apt-get update -q
		updated=true
		apt-get install -y -q --no-install-recommends "$@"
	fi
}
if [ ${#missing[@]} -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	apt_install "${missing[@]}"
fi
if [ ${#missing_sl[@]} -gt 0 ]; then
	# Debian's prometheus postinst starts a system Prometheus on :9090 (invoke-rc.d, or
	# deb-systemd-invoke under systemd) and enables it at boot. The tests start their own on
	# a free loopback port and must never meet a system one, and a CI machine has no use
	# for a daemon growing a TSDB in /var/lib: a policy-rc.d that refuses every start
	# (exit 101, both helpers obey it) for this install only — any policy-rc.d already there
	# is put back afterwards — then the boot-time links are disabled.
	echo "install-deps: installing ${missing_sl[*]} (no service started or enabled)"
	policy=/usr/sbin/policy-rc.d
	saved=""
	if [ -e "$policy" ]; then
		saved=$(mktemp)
		cp -p "$policy" "$saved"
	fi
	restore_policy() {
		if [ -n "$saved" ]; then
			mv -f "$saved" "$policy"
		else
			rm -f "$policy"
		fi
	}
	trap restore_policy EXIT
	printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' \
		>"$policy"
	chmod 755 "$policy"
	apt_install "${missing_sl[@]}"
	restore_policy
	trap - EXIT
	for p in "${missing_sl[@]}"; do
		if [ -x "/etc/init.d/$p" ]; then
			update-rc.d "$p" disable >/dev/null 2>&1 || true
		fi
		if command -v deb-systemd-helper >/dev/null; then
			deb-systemd-helper disable "$p.service" >/dev/null 2>&1 || true
		fi
	done
fi
