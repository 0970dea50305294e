#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Smoke test of the VM harness alone, no kservice needed: the netfilter
# modules are loaded, namespaces can be made, and ksprobe's TCP, UDP and SCTP
# cross a veth pair over IPv4 and IPv6 (and closed ports give "refused").
#
# ┌─────────────────────┐        ┌─────────────────────┐
# │ $ns1                │        │ $ns2                │
# │  veth1 ─────────────┼────────┼── veth2             │
# │  10.0.0.1/24        │        │  10.0.0.2/24        │
# │  fd00::1/64         │        │  fd00::2/64         │
# └─────────────────────┘        └─────────────────────┘
#
# The harness's self-test (faults/selftest.sh) runs it with ksvc_fault.ko
# loaded as the clean case: the run must pass.

set -e
exec 3>&1
export LANG=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ksprobe=$here/ksprobe
tmp=$(mktemp -d)
ns1="smoke-1-$$"
ns2="smoke-2-$$"
pretty() { echo -e "\x1b[32m\x1b[1m[+] ${1:+NS$1: }${2}\x1b[0m" >&3; }
pp() { pretty "" "$*"; "$@"; }
n1() { pretty 1 "$*"; ip netns exec $ns1 "$@"; }
n2() { pretty 2 "$*"; ip netns exec $ns2 "$@"; }

cleanup() {
	set +e
	exec 2>/dev/null
	ip netns pids $ns1 | xargs -r kill
	ip netns pids $ns2 | xargs -r kill
	ip netns del $ns1
	ip netns del $ns2
	rm -rf "$tmp"
}
trap cleanup EXIT

# Loaded, or built in (the debug kernel: modules.builtin).
for m in nf_conntrack nf_nat veth dummy sctp; do
	[[ -d /sys/module/$m ]] || grep -q "/$m\.ko$" "$KSVC_KROOT/lib/modules/$KSVC_KVER/modules.builtin"
done

pp ip netns add $ns1
pp ip netns add $ns2
pp ip link add veth1 netns $ns1 type veth peer name veth2 netns $ns2
n1 ip addr add 10.0.0.1/24 dev veth1
n2 ip addr add 10.0.0.2/24 dev veth2
n1 ip addr add fd00::1/64 dev veth1 nodad
n2 ip addr add fd00::2/64 dev veth2 nodad
n1 ip link set veth1 up
n2 ip link set veth2 up

for proto in tcp udp sctp; do
	n2 "$ksprobe" serve $proto 8080 server-$proto >"$tmp/$proto" &
done
for proto in tcp udp sctp; do
	while ! grep -q listening "$tmp/$proto"; do sleep 0.05; done
done

for proto in tcp udp sctp; do
	[[ $(n1 "$ksprobe" connect $proto 10.0.0.2 8080) == "server-$proto 10.0.0.1" ]]
	[[ $(n1 "$ksprobe" connect $proto fd00::2 8080) == "server-$proto fd00::1" ]]
	[[ $(n1 "$ksprobe" connect $proto 10.0.0.2 8081 || true) == refused ]]
	[[ $(n1 "$ksprobe" connect $proto fd00::2 8081 || true) == refused ]]
done
# An ICMP error ends an SCTP handshake at once (ksprobe has to work for
# that): ns2 routes 10.1.0.0/16 nowhere and says so. Once only: a router
# sends "unreachable" about twice a second per host at most.
n2 sysctl -qw net.ipv4.ip_forward=1
n2 ip route add unreachable 10.1.0.0/16
n1 ip route add 10.1.0.0/16 via 10.0.0.2
[[ $(n1 "$ksprobe" connect sctp 10.1.0.1 80 -t 2000 || true) == refused ]]
[[ $(n1 "$ksprobe" connect tcp 10.0.0.2 8080 -n 20 | sort | uniq -c) =~ ^\ *20\ server-tcp\ 10.0.0.1$ ]]
n1 "$ksprobe" hold tcp 10.0.0.2 8080 -i 50 -d 1 >"$tmp/hold"
[[ $(tail -n1 "$tmp/hold") == "held "* ]]

# Last, a connection left across a broken path: both ends close into the
# void, and their orphaned sockets retransmit FINs for minutes, holding the
# namespaces after they are deleted. That is the kernel's TCP, not a bug:
# the guest's teardown must still finish (the self-test's clean case).
n1 bash -c "exec 5<>/dev/tcp/10.0.0.2/8080
	echo one >&5; read -r -t 10 answer <&5; [[ \$answer == 'server-tcp 10.0.0.1' ]]
	ip -n $ns2 link set veth2 down
	echo two >&5; exec 5>&-"
