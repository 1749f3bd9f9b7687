#!/bin/sh
# Runs inside the demo VM (Debian's stock kernel, busybox userland): a client and a
# "kafka" namespace joined by a veth, faults applied with the faultline CLI, effects shown
# with ping. Real tools are called by absolute path (busybox shadows ip).
set -e
IP=/sbin/ip
FL=/bin/faultline

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
rtt() { # $1 = destination, $2 = count
	ip netns exec client ping -c "${2:-5}" -i 0.2 -W 2 "$1" | tail -2 | sed 's/^/   /'
}
ip() { $IP "$@"; }

step "lab: namespace client (10.10.0.1) <-veth-> namespace kafka (10.10.0.2 and 10.10.0.3)"
ip netns add client
ip netns add kafka
ip link add eth0 netns client type veth peer name eth0 netns kafka
ip -n client addr add 10.10.0.1/24 dev eth0
ip -n kafka addr add 10.10.0.2/24 dev eth0
ip -n kafka addr add 10.10.0.3/24 dev eth0
for ns in client kafka; do ip -n $ns link set lo up; ip -n $ns link set eth0 up; done

step "baseline round trip to kafka 10.10.0.2"
rtt 10.10.0.2

step "faultline netem apply --netns client --dev eth0 delay 100ms 20ms distribution normal"
$FL netem apply --netns client --dev eth0 delay 100ms 20ms distribution normal
rtt 10.10.0.2 10

step "faultline netem apply ... loss 10%   (replaces the fault in place; 100 pings)"
$FL netem apply --netns client --dev eth0 loss 10%
ip netns exec client ping -c 100 -i 0.02 -W 2 10.10.0.2 | tail -2 | sed 's/^/   /'

step "targeted: only traffic to 10.10.0.2 gets 200ms; 10.10.0.3 is untouched"
$FL netem apply --netns client --dev eth0 --to 10.10.0.2/32 delay 200ms
echo "   to 10.10.0.2:"; rtt 10.10.0.2
echo "   to 10.10.0.3:"; rtt 10.10.0.3

step "ingress on the kafka side: delay what kafka receives by 50ms (IFB device)"
$FL netem apply --netns kafka --dev eth0 --ingress delay 50ms
rtt 10.10.0.3

step "what Faultline has in place (read back from the kernel)"
$FL netem show --netns client --dev eth0
$FL netem show --netns kafka --dev eth0
$FL netem list --netns kafka

step "remove / sweep: everything back as it was"
$FL netem remove --netns client --dev eth0
$FL netem sweep --netns kafka
$FL netem list --netns client
$FL netem list --netns kafka
rtt 10.10.0.2
echo
echo "demo: done (no tc was run: every change above was a netlink message from faultline)"
