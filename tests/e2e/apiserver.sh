#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kserviced following a Kubernetes API server, end to end, inside the test
# VM (vm.sh): the fake API server (tests/fake_apiserver.py, HTTPS with a
# certificate made here, a bearer token) runs in its own namespace on the
# "LAN"; two node namespaces each run kservice (its tables are per network
# namespace) and their own kserviced (--hostname-override node-a, node-b),
# both following it. The script changes the API's objects as it goes
# ("apply [ACTION...]" lines on the server's stdin, through a FIFO) and
# checks after each step that real traffic from a pod reaches the right
# backends. Every namespace is made here and removed on exit; no traffic
# leaves them.
#
# ┌──────────────────┐ ┌──────────────────┐          ┌──────────────────┐ ┌──────────────────┐
# │ $pa1 (backend)   │ │ $pa2 (client)    │          │ $pb1 (backend)   │ │ $pb2 (backend)   │
# │ 10.244.1.11/32   │ │ 10.244.1.12/32   │          │ 10.244.2.11/32   │ │ 10.244.2.12/32   │
# │ fd00:244:1::11   │ │ fd00:244:1::12   │          │ fd00:244:2::11   │ │ fd00:244:2::12   │
# │ ksprobe :8080    │ │                  │          │ ksprobe :8080    │ │ ksprobe :8080    │
# │  tcp/udp "a1"    │ │                  │          │  tcp/udp "b1"    │ │  tcp/udp "b2"    │
# └────────┬─────────┘ └────────┬─────────┘          └────────┬─────────┘ └────────┬─────────┘
#          │ veth               │ veth                        │ veth               │ veth
# ┌────────┴────────────────────┴────────┐           ┌────────┴────────────────────┴────────┐
# │ $na "node-a": kservice, kserviced    │           │ $nb "node-b": kservice, kserviced    │
# │  pods' gateway 10.244.1.1/32,        │           │  pods' gateway 10.244.2.1/32,        │
# │   fd00:244:1::1/128                  │           │   fd00:244:2::1/128                  │
# │  kube-svc0 (dummy): 10.96.0.0/16,    │           │  kube-svc0 (dummy): 10.96.0.0/16,    │
# │   fd00:96::/112                      │           │   fd00:96::/112                      │
# │  10.244.2.0/24 via 192.168.60.2      │           │  10.244.1.0/24 via 192.168.60.1      │
# │  fd00:244:2::/64 via fd00:60::2      │           │  fd00:244:1::/64 via fd00:60::1      │
# │  eth0 192.168.60.1/24 fd00:60::1/64  │           │  eth0 192.168.60.2/24 fd00:60::2/64  │
# └──────────────────┬───────────────────┘           └──────────────────┬───────────────────┘
#                    │ veth                                             │ veth
# ┌──────────────────┴──────────────────────────────────────────────────┴───────────────────┐
# │ $lan: bridge br0 (the nodes' network)                                                   │
# └──────────────────┬──────────────────────────────────────────────────┬───────────────────┘
#                    │ veth                                             │ veth
# ┌──────────────────┴───────────────────┐           ┌──────────────────┴───────────────────┐
# │ $api: fake_apiserver.py              │           │ $ext (external client)               │
# │  https://192.168.60.100:PORT         │           │  eth0 192.168.60.200/24              │
# │                                      │           │   fd00:60::200/64                    │
# └──────────────────────────────────────┘           └──────────────────────────────────────┘
#
# Each scenario runs in its own subshell with `set -e`; the run ends with
# "e2e: N passed, N failed". `apiserver.sh NAME...` runs only the named
# scenarios (after the setup); they share the API server's objects, each
# cleans up the services it made.

set -eE
shopt -s extglob
exec 3>&1
export LANG=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ksctl=${KSCTL:-$repo/daemon/ksctl/ksctl}
kserviced=${KSERVICED:-$repo/daemon/kserviced/kserviced}
fake=$repo/tests/fake_apiserver.py
ksprobe=$here/ksprobe
: "${KSVC_KO:?apiserver.sh runs in the test VM: tests/e2e/vm.sh --ko kservice.ko --script tests/e2e/apiserver.sh}"
for f in "$ksctl" "$kserviced" "$ksprobe"; do
	[[ -x $f ]] || { echo "apiserver.sh: $f is missing: build it first (make tools; make -C tests/e2e ksprobe)"; exit 1; }
done

only="$*"
run=$$
na=ka-node-a-$run
nb=ka-node-b-$run
lan=ka-lan-$run
api=ka-api-$run
ext=ka-ext-$run
pa1=ka-pa1-$run
pa2=ka-pa2-$run
pb1=ka-pb1-$run
pb2=ka-pb2-$run
all_ns="$pa1 $pa2 $pb1 $pb2 $ext $api $na $nb $lan"
st=ka-selftest-$run
tmp=$(mktemp -d)
# Helpers: tests/e2e/lib.sh.
. "$here/lib.sh"
token=e2e-token-$run
api_addr=192.168.60.100
declare -A kd_pid=()

node_a() { in_ns $na node-a "$@"; }
node_b() { in_ns $nb node-b "$@"; }
pa1() { in_ns $pa1 pa1 "$@"; }
pa2() { in_ns $pa2 pa2 "$@"; }
pb1() { in_ns $pb1 pb1 "$@"; }
pb2() { in_ns $pb2 pb2 "$@"; }
ext() { in_ns $ext ext "$@"; }
lan() { in_ns $lan lan "$@"; }

cleanup() {
	set +eE
	trap - ERR
	exec 2>/dev/null
	exec 7>&-
	for ns in $all_ns; do
		ip netns pids $ns | xargs -r kill
	done
	wait
	for ns in $all_ns $st; do
		ip netns del $ns
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo -e "\x1b[31m\x1b[1m[!] failed at line $LINENO: $BASH_COMMAND\x1b[0m" >&3' ERR

# ---- the API's objects ------------------------------------------------------------

# Sends "apply [ACTIONS]" to the fake API server and waits for its answer.
applied=0
api_apply() {
	local actions="[$(
		IFS=,
		echo "$*"
	)]"
	pretty api "apply $actions"
	echo "apply $actions" >&7
	applied=$((applied + 1))
	wait_for_line "$tmp/api.out" "^applied $applied\$"
}
# The fake server's counters: lists, watches, gone (watches answered 410).
api_stat() {
	local before
	before=$(grep -c '^stats ' "$tmp/api.out" || true)
	echo stats >&7
	while (($(grep -c '^stats ' "$tmp/api.out") <= before)); do sleep 0.05; done
	grep '^stats ' "$tmp/api.out" | tail -n 1 | sed 's/^stats //' |
		python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# svc NAME CLUSTER-IPS PORTS [TYPE [MORE-SPEC]]: a put of a Service, with
# the fields the API server fills in (ipFamilies from the addresses,
# ipFamilyPolicy $policy or SingleStack). CLUSTER-IPS: one address, or
# two of two families separated by a comma (dual-stack, the first is
# clusterIP). PORTS: "proto:port:target[:nodeport][:name]" separated by
# spaces.
svc() {
	local name=$1 ports=$3 type=${4:-ClusterIP} more=${5:+,$5} p out="" ip ips="" fams=""
	local proto port target np pname
	for ip in ${2//,/ }; do
		ips+="${ips:+,}\"$ip\""
		[[ $ip == *:* ]] && fams+="${fams:+,}\"IPv6\"" || fams+="${fams:+,}\"IPv4\""
	done
	for p in $ports; do
		IFS=: read -r proto port target np pname <<<"$p"
		out+="${out:+,}{\"protocol\":\"$proto\",\"port\":$port,\"targetPort\":$target${np:+,\"nodePort\":$np}${pname:+,\"name\":\"$pname\"}}"
	done
	echo "{\"op\":\"put\",\"resource\":\"services\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"default\",\"uid\":\"uid-$name\"},\"spec\":{\"type\":\"$type\",\"clusterIP\":\"${2%%,*}\",\"clusterIPs\":[$ips],\"ipFamilies\":[$fams],\"ipFamilyPolicy\":\"${policy:-SingleStack}\",\"ports\":[$out]$more}}}"
}
# slice SERVICE PORTS ENDPOINTS [SUFFIX]: a put of the EndpointSlice
# SERVICE-SUFFIX (SERVICE-1 by default). PORTS: "proto:port[:name]";
# ENDPOINTS: "addr@node" separated by spaces, all of one family (the
# slice's addressType: IPv6 when they are IPv6 addresses).
slice() {
	local name=$1 p e ports="" eps="" proto port pname type=IPv4
	for p in $2; do
		IFS=: read -r proto port pname <<<"$p"
		ports+="${ports:+,}{\"name\":\"$pname\",\"protocol\":\"$proto\",\"port\":$port}"
	done
	for e in $3; do
		[[ ${e%@*} != *:* ]] || type=IPv6
		eps+="${eps:+,}{\"addresses\":[\"${e%@*}\"],\"conditions\":{\"ready\":true},\"nodeName\":\"${e#*@}\"}"
	done
	echo "{\"op\":\"put\",\"resource\":\"endpointslices\",\"object\":{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"$name-${4:-1}\",\"namespace\":\"default\",\"labels\":{\"kubernetes.io/service-name\":\"$name\"}},\"addressType\":\"$type\",\"ports\":[$ports],\"endpoints\":[$eps]}}"
}
del() { echo "{\"op\":\"delete\",\"resource\":\"$1\",\"name\":\"$2\"}"; }

# ---- the kernel's state -------------------------------------------------------------

# `ksctl dump [NAME]` in node namespace $1. When ksctl cannot read the
# kernel it says why and this fails: a check must never take "could not
# ask" for "not there". Callers take the output with `x=$(kdump ...) ||
# return 1`, never through a pipe (which would hide the failure).
kdump() {
	local out
	if ! out=$(ip netns exec "$1" "$ksctl" dump "${@:2}"); then
		echo "apiserver.sh: ksctl dump in $1 failed: kservice's state unknown" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
# The backends (sorted addresses) of service $2 in node namespace $1, or
# "absent" when ksctl answered and has no such service.
backends_of() {
	local dump
	dump=$(kdump "$1") || return 1
	awk -F'\t' -v s="$2" '
		$1 == "service" && $2 == s { found = 1 }
		$1 == "backend" && $2 == s { print $3 }
		END { if (!found) print "absent" }' <<<"$dump" | sort | tr '\n' ' ' | sed 's/ $//'
}
# Polls (60 s at most, by the clock: under load one poll can take
# seconds) until service $2 in node $1 has the backends $3 ("absent":
# until it is gone). Fails at once when the kernel cannot be read.
wait_backends() {
	local now end=$((SECONDS + 60))
	pretty "" "until $2 on ${1%-$run} has: $3"
	while ((SECONDS < end)); do
		now=$(backends_of "$1" "$2") || return 1
		[[ $now == "$3" ]] && return 0
		sleep 0.1
	done
	echo "apiserver.sh: $2 in $1 has '$now', not '$3', after 60 s" >&2
	tail -n 30 "$tmp"/kserviced-*.log >&2
	return 1
}
# Service field $3 (8 generation, 9 frontends, 11 connections, 14
# rejects, 16 drops) of service $2 in node $1; fails when there is no
# such service.
service_field() {
	local dump v
	dump=$(kdump "$1") || return 1
	v=$(awk -F'\t' -v s="$2" -v f="$3" '$1 == "service" && $2 == s { print $f }' <<<"$dump")
	[[ -n $v ]] || { echo "apiserver.sh: no service $2 in $1" >&2; return 1; }
	echo "$v"
}
# The backend lines of service $2 in node $1 but for their counters
# (name address port weight flags), of family $3 (4 or 6) only if given.
backend_lines() {
	local dump
	dump=$(kdump "$1") || return 1
	awk -F'\t' -v s="$2" -v fam="${3:-}" '$1 == "backend" && $2 == s &&
		(fam == "" || (fam == 6) == ($3 ~ /:/)) { print $2, $3, $4, $5, $6 }' <<<"$dump"
}

# Node A's services, one line each: the fields of `ksctl dump` but for the
# generation and the counters (name proto port node-port sched flags
# frontends backend-count).
svc_state() {
	local dump
	dump=$(kdump $na) || return 1
	awk -F'\t' '$1 == "service" { print $2, $3, $4, $5, $6, $7, $9, $10 }' <<<"$dump"
}

# ksprobe connect from $1 (PROTO ADDR PORT [OPTION...]) where every
# attempt must be answered: a generous timeout (a loaded machine under
# emulation can take seconds for one exchange).
reach() { probe "$1" connect "${@:2}" -t 20000; }
# Packets node $1 routed into the dummy device the service range goes to:
# untranslated ones (a translated packet goes to its backend instead).
dummy_tx() { ip -n "$1" -s link show dev kube-svc0 | awk '/TX:/ { getline; print $2; exit }'; }
# A connection from $1 to ADDR $3 PORT $4 that no service may translate
# any more (on node $2): unanswered (no backend, and no refusal, which
# would be kservice's for a service without backends), and, whatever the
# time it took, its packets left node $2 untranslated into the dummy
# device.
untranslated() {
	local who=$1 node=$2 addr=$3 port=$4 before
	before=$(dummy_tx "$node")
	[[ $(probe "$who" connect tcp "$addr" "$port" -t 2000 || true) == timeout ]]
	(($(dummy_tx "$node") > before))
}

# Polls (180 s at most: a bound, never a verdict on speed) until FILE has
# at least N lines matching PATTERN; on failure, shows its last lines.
wait_for_count() {
	local file=$1 pattern=$2 n=$3 end=$((SECONDS + 180))
	while ((SECONDS < end)); do
		(($(grep -c "$pattern" "$file" || true) >= n)) && return 0
		sleep 0.1
	done
	echo "apiserver.sh: fewer than $n lines matching '$pattern' in $file after 180 s; its last lines:" >&2
	tail -n 5 "$file" | sed 's/^/    /' >&2
	return 1
}
# A conntrack entry in node-a made and destroyed by hand (UDP 10.244.1.99
# port $1 to 10.96.0.20 port 9, no service's), then polled for in the
# destroy events' listener's output: proof that it listens. A listener
# just started may not have subscribed yet (seconds on a loaded machine),
# so the canary is sent again each second until one is seen, for 180 s.
ct_canary() {
	local end=$((SECONDS + 180)) i
	while ((SECONDS < end)); do
		node_a conntrack -I -p udp -s 10.244.1.99 -d 10.96.0.20 --sport $1 --dport 9 -t 60 2>&3
		node_a conntrack -D -p udp -s 10.244.1.99 -d 10.96.0.20 --sport $1 --dport 9 2>&3 >/dev/null
		for ((i = 0; i < 20; i++)); do
			grep -qE "dst=10\.96\.0\.20 sport=$1 dport=9 " "$tmp/ct-events" && return 0
			sleep 0.05
		done
	done
	echo "apiserver.sh: no destroy event of a canary to port 9 from port $1 after 180 s" >&2
	cat "$tmp/ct-events" >&2
	return 1
}

# kserviced on node $1 (a or b), following the fake API server. Node A
# takes flags; node B runs as kubeadm runs kube-proxy, from its ConfigMap
# (examples/kubeadm: config.conf, and kubeconfig.conf with a tokenFile),
# with one flag of our own on top (flags override the file).
start_kserviced() {
	local n=$1 ns
	[[ $n == a ]] && ns=$na || ns=$nb
	if [[ $n == a ]]; then
		bg_in $ns node-$n "$tmp/kserviced-$n.log" "$kserviced" --kubeconfig "$tmp/kubeconfig" \
			--hostname-override node-$n --cluster-cidr 10.244.0.0/16,fd00:244::/32 \
			--min-sync-period 0 -v 2
	else
		bg_in $ns node-$n "$tmp/kserviced-$n.log" "$kserviced" \
			--config="$tmp/kube-proxy/config.conf" --hostname-override=node-$n \
			--min-sync-period 0 -v=2
	fi
	kd_pid[$n]=$bgpid
	echo "=== kserviced node-$n started" >>"$tmp/kserviced-$n.log.all"
}

# ---- scenarios ------------------------------------------------------------------------

# ---- 0. The checks need the kernel -------------------------------------------------------

# A check that reads kservice must fail when it cannot, never take the
# failure for "absent". kservice unloaded (before anything uses it, in a
# namespace of its own): every helper that reads the kernel fails; loaded
# again, the same namespace has no such service.
test_unreadable_kernel_fails() {
	local caught=0
	pp ip netns add $st
	pp rmmod kservice
	[[ ! -e /sys/module/kservice ]]
	backends_of $st default/web || caught=$((caught + 1))
	wait_backends $st default/web absent || caught=$((caught + 1))
	service_field $st default/web 16 || caught=$((caught + 1))
	backend_lines $st default/web || caught=$((caught + 1))
	pp insmod "$KSVC_KO"
	pretty "" "without kservice, $caught of 4 helpers failed"
	((caught == 4))
	[[ $(backends_of $st default/web) == absent ]]
	wait_backends $st default/web absent
	pp ip netns del $st
}

# ---- 1. Following the API ----------------------------------------------------------------

test_following_the_api() {
	local watches
	# Service added: reachable, on its one backend.
	api_apply "$(svc web 10.96.0.10 TCP:80:8080)" "$(slice web TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/web 10.244.1.11
	reach pa2 tcp 10.96.0.10 80 -n 6 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 6))

	# Endpoints changed: the new backends, on the other node.
	api_apply "$(slice web TCP:8080 "10.244.2.11@node-b 10.244.2.12@node-b")"
	wait_backends $na default/web "10.244.2.11 10.244.2.12"
	reach pa2 tcp 10.96.0.10 80 -n 12 >"$tmp/out"
	(($(count '^b[12] 10\.244\.1\.12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]

	# The watch streams cut mid-stream, and a change made meanwhile: the
	# watches come back from where they were and see it.
	watches=$(api_stat watches)
	api_apply '{"op":"drop","resource":"services"}' '{"op":"drop","resource":"endpointslices"}' \
		"$(slice web TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/web 10.244.1.11
	reach pa2 tcp 10.96.0.10 80 -n 4 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 4))
	(($(api_stat watches) > watches))

	# History compacted: the slices' watch is cut and comes back to an
	# HTTP 410, the services' gets an ERROR event with code 410; both
	# relist, and what changed meanwhile (silently, no event) is seen.
	api_apply '{"op":"gone","how":"http","resource":"endpointslices"}' \
		'{"op":"gone","how":"event","resource":"services"}' \
		"$(slice web TCP:8080 10.244.2.11@node-b | sed 's/"op":"put"/"silent":true,"op":"put"/')" \
		"$(svc web2 10.96.0.11 TCP:81:8080 | sed 's/"op":"put"/"silent":true,"op":"put"/')" \
		"$(slice web2 TCP:8080 10.244.2.12@node-b | sed 's/"op":"put"/"silent":true,"op":"put"/')"
	wait_backends $na default/web 10.244.2.11
	wait_backends $na default/web2 10.244.2.12
	(($(api_stat gone) >= 1))
	reach pa2 tcp 10.96.0.10 80 -n 4 >"$tmp/out"
	(($(count '^b1 10\.244\.1\.12$' <"$tmp/out") == 4))
	reach pa2 tcp 10.96.0.11 81 -n 4 >"$tmp/out"
	(($(count '^b2 10\.244\.1\.12$' <"$tmp/out") == 4))

	# Services deleted: gone from the kernel, the address no longer
	# translated (it is routed into a dummy device: nothing answers).
	api_apply "$(del services web)" "$(del endpointslices web-1)" \
		"$(del services web2)" "$(del endpointslices web2-1)"
	wait_backends $na default/web absent
	wait_backends $na default/web2 absent
	untranslated pa2 $na 10.96.0.10 80
	untranslated pa2 $na 10.96.0.11 81
}

# ---- 2. Restart under traffic ----------------------------------------------------------------

test_restart_under_traffic() {
	local tcp_pid udp_pid ct_pid before after conns_tcp now n_tcp n_udp
	api_apply "$(svc hold 10.96.0.20 "TCP:80:8080::tcp UDP:53:8080::udp")" \
		"$(slice hold "TCP:8080:tcp UDP:8080:udp" "10.244.1.11@node-a 10.244.2.11@node-b")"
	wait_backends $na default/hold:tcp "10.244.1.11 10.244.2.11"
	wait_backends $na default/hold:udp "10.244.1.11 10.244.2.11"

	# Conntrack's destroy events in node-a, from before the flows start
	# (the kernel gives an entry events only when a listener was there as
	# it was made) until after the restart. Listening once it reports the
	# destruction of an entry made for that (a canary, to port 9): every
	# later event reaches it.
	bg_in $na node-a "$tmp/ct-events" conntrack -E -e DESTROY --orig-dst 10.96.0.20
	ct_pid=$bgpid
	ct_canary 9
	# The flows: held until SIGTERM (not the 5 s default), each exchange
	# given 60 s on a loaded machine.
	bg_in $pa2 pa2 "$tmp/hold-tcp" "$ksprobe" hold tcp 10.96.0.20 80 -i 100 -d 3600 -t 60000
	tcp_pid=$bgpid
	bg_in $pa2 pa2 "$tmp/hold-udp" "$ksprobe" hold udp 10.96.0.20 53 -i 100 -d 3600 -t 60000
	udp_pid=$bgpid
	# Both flows answered, so in conntrack, translated.
	wait_for_line "$tmp/hold-tcp" '^[ab]1 10\.244\.1\.12$'
	wait_for_line "$tmp/hold-udp" '^[ab]1 10\.244\.1\.12$'
	node_a conntrack -L --orig-dst 10.96.0.20 -o id >"$tmp/ct-before"
	cat "$tmp/ct-before" >&3
	(($(grep -c 'src=10\.244\.1\.12 .* id=[0-9]' "$tmp/ct-before") == 2))
	# The services as kservice holds them but for their counters and
	# generation (a full pass marks every service it keeps with its own);
	# their connection counters, which a new service would start afresh.
	before=$(svc_state)
	[[ $before == *'default/hold:tcp '*'default/hold:udp '* ]]
	conns_tcp=$(service_field $na default/hold:tcp 11)
	backend_lines $na default/hold:tcp >"$tmp/be-before"
	backend_lines $na default/hold:udp >>"$tmp/be-before"
	(($(wc -l <"$tmp/be-before") == 4))
	pretty "" "before: $(echo $before), $conns_tcp connections"

	# (kserviced is the script's child, not this subshell's: polled.)
	pp kill -TERM ${kd_pid[a]}
	while kill -0 ${kd_pid[a]} 2>/dev/null; do sleep 0.05; done
	cat "$tmp/kserviced-a.log" >>"$tmp/kserviced-a.log.all"
	# With kserviced gone, the kernel's services are as they were, and new
	# connections still go through.
	now=$(svc_state)
	[[ $now == "$before" ]]
	reach pa2 tcp 10.96.0.20 80 -n 2 >"$tmp/out"
	(($(count '^[ab]1 10\.244\.1\.12$' <"$tmp/out") == 2))

	start_kserviced a
	# Synced again once it has the service made after its restart (and
	# it syncs nothing before its first full list).
	api_apply "$(svc marker 10.96.0.21 TCP:80:8080)" "$(slice marker TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/marker 10.244.1.11
	# Both flows still answered after the resync: a few more exchanges
	# than there were by now (counted, not timed).
	n_tcp=$(grep -c '^[ab]1 ' "$tmp/hold-tcp")
	n_udp=$(grep -c '^[ab]1 ' "$tmp/hold-udp")
	wait_for_count "$tmp/hold-tcp" '^[ab]1 ' $((n_tcp + 3))
	wait_for_count "$tmp/hold-udp" '^[ab]1 ' $((n_udp + 3))

	after=$(svc_state)
	after=$(grep -v '^default/marker ' <<<"$after")
	pretty "" "after: $(echo $after), $(service_field $na default/hold:tcp 11) connections"
	[[ $after == "$before" ]]
	# Not made anew: the counters went on (2 connections while it was down).
	(($(service_field $na default/hold:tcp 11) >= conns_tcp + 2))
	# The restarted kserviced synced, created only the marker, changed and
	# deleted nothing.
	grep 'sync (' "$tmp/kserviced-a.log" >&3
	(($(grep -c 'sync (' "$tmp/kserviced-a.log") >= 1))
	(($(grep 'sync (' "$tmp/kserviced-a.log" | grep -vc ': [01] created, 0 updated, 0 backend sets replaced, 0 deleted, 0 failed, 0 refused$' || true) == 0))
	(($(grep -o '[0-9]* created' "$tmp/kserviced-a.log" | awk '{ n += $1 } END { print n + 0 }') == 1))
	backend_lines $na default/hold:tcp >"$tmp/be-after"
	backend_lines $na default/hold:udp >>"$tmp/be-after"
	cmp "$tmp/be-before" "$tmp/be-after"
	node_a conntrack -L --orig-dst 10.96.0.20 -o id >"$tmp/ct-after"
	cat "$tmp/ct-after" >&3
	# The flows' entries are still there, the same ones (same ids; the
	# connections made meanwhile are new ones), none destroyed.
	[[ -z $(comm -23 <(grep -o 'id=[0-9]*' "$tmp/ct-before" | sort) <(grep -o 'id=[0-9]*' "$tmp/ct-after" | sort)) ]]
	# The listener still listening (a second canary reported), and it saw
	# no destruction but the canaries'.
	ct_canary 10
	kill $ct_pid
	wait $ct_pid || true
	cat "$tmp/ct-events" >&3
	# (Canaries sent again before the listener was there may show too.)
	(($(grep -c 'dst=10\.96\.0\.20 sport=10 dport=9 ' "$tmp/ct-events") >= 1))
	(($(grep -c 'dst=10\.96\.0\.20 ' "$tmp/ct-events") == $(grep -c 'dst=10\.96\.0\.20 sport=\(9\|10\) dport=9 ' "$tmp/ct-events")))

	# The held connection and flow carried on: still running, and no
	# failure when stopped.
	kill -TERM $tcp_pid
	kill -TERM $udp_pid
	wait $tcp_pid $udp_pid || true
	cat "$tmp/hold-tcp" "$tmp/hold-udp" >&3
	grep -qE "^held $(grep -c '^[ab]1 ' "$tmp/hold-tcp")\$" "$tmp/hold-tcp"
	grep -qE "^held $(grep -c '^[ab]1 ' "$tmp/hold-udp")\$" "$tmp/hold-udp"

	api_apply "$(del services hold)" "$(del endpointslices hold-1)" \
		"$(del services marker)" "$(del endpointslices marker-1)"
	wait_backends $na default/hold:tcp absent
	wait_backends $na default/marker absent
}

# ---- 3. Two nodes --------------------------------------------------------------------------

test_two_nodes() {
	local drops
	api_apply "$(svc cross 10.96.0.30 TCP:80:8080:30080 NodePort)" \
		"$(slice cross TCP:8080 "10.244.2.11@node-b 10.244.2.12@node-b")" \
		"$(svc local 10.96.0.31 TCP:80:8080:30081 NodePort '"externalTrafficPolicy":"Local"')" \
		"$(slice local TCP:8080 10.244.2.11@node-b)"
	for ns in $na $nb; do
		wait_backends $ns default/cross "10.244.2.11 10.244.2.12"
		wait_backends $ns default/local 10.244.2.11
	done

	# Pod on node A to the cluster IP, backends on node B: translated on
	# node A, routed to node B, the pod's address kept.
	reach pa2 tcp 10.96.0.30 80 -n 12 >"$tmp/out"
	(($(count '^b[12] 10\.244\.1\.12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]

	# NodePort on node B from outside: masqueraded to node B's address
	# toward its pods; on node A, to node A's address on the LAN.
	reach ext tcp 192.168.60.2 30080 -n 6 >"$tmp/out"
	(($(count '^b[12] 10\.244\.2\.1$' <"$tmp/out") == 6))
	reach ext tcp 192.168.60.1 30080 -n 6 >"$tmp/out"
	(($(count '^b[12] 192\.168\.60\.1$' <"$tmp/out") == 6))

	# externalTrafficPolicy Local: on node B (which has the endpoint) the
	# backend sees the client's own address; node A, without a local
	# endpoint, drops it silently (counted), not refused.
	reach ext tcp 192.168.60.2 30081 -n 4 >"$tmp/out"
	(($(count '^b1 192\.168\.60\.200$' <"$tmp/out") == 4))
	# The counter is the proof of the drop; the probe's 2 s only say that
	# nothing answered meanwhile, refusal included.
	drops=$(service_field $na default/local 16)
	[[ $(probe ext connect tcp 192.168.60.1 30081 -t 2000 || true) == timeout ]]
	(($(service_field $na default/local 16) > drops))
	# Its cluster IP from a pod on node A still reaches the remote backend.
	[[ $(reach pa2 tcp 10.96.0.31 80) == "b1 10.244.1.12" ]]

	api_apply "$(del services cross)" "$(del endpointslices cross-1)" \
		"$(del services local)" "$(del endpointslices local-1)"
	for ns in $na $nb; do
		wait_backends $ns default/cross absent
		wait_backends $ns default/local absent
	done
}

# HTTP status of http://ADDR$2 in node namespace $1 (from inside it).
http_code() { ip netns exec "$1" curl -s -o /dev/null -m 10 -w '%{http_code}' "http://$2" || true; }

# ---- 3a. kubeadm's configuration --------------------------------------------------------------

# Node B runs from kubeadm's kube-proxy ConfigMap (start_kserviced): it
# follows the API as node A does (every scenario shows that), and tuned
# conntrack as kube-proxy would with kubeadm's defaults (null: 24 h
# established, 1 h close-wait), in its own namespace; nf_conntrack_max and
# the hashsize belong to the initial namespace, read-only here: a warning
# each, and the daemon runs on. Every field of kubeadm's file is known;
# the ones that mean nothing to kservice are named in one log line.
test_kubeadm_configuration() {
	local ns
	for ns in $na $nb; do
		[[ $(ip netns exec $ns sysctl -n net.netfilter.nf_conntrack_tcp_timeout_established) == 86400 ]]
		[[ $(ip netns exec $ns sysctl -n net.netfilter.nf_conntrack_tcp_timeout_close_wait) == 3600 ]]
	done
	# 131072 already (nothing to write), or the warning.
	[[ $(ip netns exec $nb sysctl -n net.netfilter.nf_conntrack_max) == 131072 ]] ||
		grep -q 'conntrack: /proc/sys/net/netfilter/nf_conntrack_max: cannot set' "$tmp/kserviced-b.log"
	# kubeadm's file is read whole: no field unknown; those that mean
	# nothing here (bindAddress, logging.options) named in one line.
	(($(grep -c 'unknown field' "$tmp/kserviced-b.log" || true) == 0))
	(($(grep -c 'config.conf: not used by kservice: .*bindAddress=0\.0\.0\.0' "$tmp/kserviced-b.log") == 1))
	kill -0 "${kd_pid[b]}"
	[[ $(http_code $nb 127.0.0.1:10256/livez) == 200 ]]
}

# ---- 3b. Conflicting Services -------------------------------------------------------------

# with_created TIME: a Service put (on stdin) with metadata.creationTimestamp.
with_created() { sed "s/\"uid\":\"\([^\"]*\)\"/\"uid\":\"\\1\",\"creationTimestamp\":\"$1\"/"; }

# Two Services claim one frontend, legally: intruder's external IP is
# owner's cluster IP at the same port, and both have the external IP
# 192.168.60.50. Each node programs everything but the contested keys
# and gives each to the same Service (model.h: a cluster IP stays its
# Service's, among equals the oldest wins): owner keeps 10.96.0.40 though
# intruder is older; intruder, older, keeps 192.168.60.50; intruder's own
# cluster IP works. The pass succeeds, so /healthz stays 200 past 2 x
# --sync-period (60 s; before, every pass failed with EEXIST and it went
# 503 on every node); each conflict is logged once, and counted.
test_conflicting_services() {
	local ns end ok=0
	api_apply "$(svc owner 10.96.0.40 TCP:80:8080 ClusterIP '"externalIPs":["192.168.60.50"]' |
			with_created 2026-02-01T00:00:00Z)" \
		"$(slice owner TCP:8080 10.244.1.11@node-a)" \
		"$(svc intruder 10.96.0.41 TCP:80:8080 ClusterIP '"externalIPs":["10.96.0.40","192.168.60.50"]' |
			with_created 2026-01-01T00:00:00Z)" \
		"$(slice intruder TCP:8080 10.244.2.11@node-b)"
	local t0=$SECONDS
	for ns in $na $nb; do
		wait_backends $ns default/owner 10.244.1.11
		wait_backends $ns default/intruder 10.244.2.11
		[[ $(service_field $ns default/owner 9) == cluster-ip=10.96.0.40 ]]
		[[ $(service_field $ns default/intruder 9) == "cluster-ip=10.96.0.41,external-ip=192.168.60.50" ]]
	done
	reach pa2 tcp 10.96.0.40 80 -n 6 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 6))
	reach pa2 tcp 10.96.0.41 80 -n 3 >"$tmp/out"
	(($(count '^b1 10\.244\.1\.12$' <"$tmp/out") == 3))
	# Counted and logged once each, whatever the passes since.
	[[ $(ip netns exec $na curl -s -m 10 http://127.0.0.1:10249/metrics |
		awk '$1 == "kserviced_frontend_conflicts" { print $2 }') == 2 ]]
	pretty "" "/healthz on both nodes, every 2 s, the last at least 65 s after the change"
	end=$((t0 + 65))
	while :; do
		for ns in $na $nb; do
			[[ $(http_code $ns 127.0.0.1:10256/healthz) == 200 ]] ||
				{ echo "apiserver.sh: /healthz of $ns is not 200 at $((SECONDS - t0)) s" >&2; return 1; }
		done
		ok=$((ok + 1))
		((SECONDS < end)) || break
		sleep 2
	done
	pretty "" "/healthz answered 200 $ok times on both, the last $((SECONDS - t0)) s after the change"
	for n in a b; do
		[[ $(grep -c 'conflict: tcp 10\.96\.0\.40:80: default/owner keeps it, default/intruder goes without' \
			"$tmp/kserviced-$n.log") == 1 ]]
		[[ $(grep -c 'conflict: tcp 192\.168\.60\.50:80: default/intruder keeps it, default/owner goes without' \
			"$tmp/kserviced-$n.log") == 1 ]]
	done

	api_apply "$(del services intruder)" "$(del endpointslices intruder-1)"
	wait_backends $na default/intruder absent
	# Owner gets the external IP back once no one contests it.
	local end2=$((SECONDS + 60))
	until [[ $(service_field $na default/owner 9) == cluster-ip=10.96.0.40,external-ip=192.168.60.50 ]]; do
		((SECONDS < end2)) || return 1
		sleep 0.2
	done
	grep -q 'conflicts: none left' "$tmp/kserviced-a.log"
	api_apply "$(del services owner)" "$(del endpointslices owner-1)"
	for ns in $na $nb; do
		wait_backends $ns default/owner absent
	done
}

# ---- 4. IPv6 -------------------------------------------------------------------------------

# An IPv6-only Service (ipFamilies [IPv6], an IPv6 EndpointSlice), with a
# node port.
test_ipv6_only() {
	api_apply "$(svc v6 fd00:96::50 TCP:80:8080:30090 NodePort)" \
		"$(slice v6 TCP:8080 "fd00:244:2::11@node-b fd00:244:2::12@node-b")"
	for ns in $na $nb; do
		wait_backends $ns default/v6 "fd00:244:2::11 fd00:244:2::12"
		[[ $(service_field $ns default/v6 9) == cluster-ip=fd00:96::50 ]]
	done
	# A pod on node A to the cluster IP, backends on node B: the pod's
	# address kept (fd00:244::/32 is a cluster CIDR).
	reach pa2 tcp fd00:96::50 80 -n 12 >"$tmp/out"
	(($(count '^b[12] fd00:244:1::12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]
	# The node port over IPv6 from outside: node B masquerades to its
	# address toward its pods, node A to its address on the LAN.
	reach ext tcp fd00:60::2 30090 -n 6 >"$tmp/out"
	(($(count '^b[12] fd00:244:2::1$' <"$tmp/out") == 6))
	reach ext tcp fd00:60::1 30090 -n 6 >"$tmp/out"
	(($(count '^b[12] fd00:60::1$' <"$tmp/out") == 6))

	# The slice changed: its new endpoint alone, on both nodes.
	api_apply "$(slice v6 TCP:8080 fd00:244:1::11@node-a)"
	wait_backends $na default/v6 fd00:244:1::11
	wait_backends $nb default/v6 fd00:244:1::11
	reach pa2 tcp fd00:96::50 80 -n 4 >"$tmp/out"
	(($(count '^a1 fd00:244:1::12$' <"$tmp/out") == 4))

	api_apply "$(del services v6)" "$(del endpointslices v6-1)"
	wait_backends $na default/v6 absent
	wait_backends $nb default/v6 absent
	untranslated pa2 $na fd00:96::50 80
}

# A dual-stack Service (ipFamilies [IPv4, IPv6], RequireDualStack, a
# cluster IP of each family, a node port), its endpoints in two
# EndpointSlices, one per family: each family's traffic goes to that
# family's endpoints, and a change to one slice changes only its family.
test_dual_stack() {
	local rejects
	api_apply "$(policy=RequireDualStack svc ds 10.96.0.40,fd00:96::40 TCP:80:8080:30091 NodePort)" \
		"$(slice ds TCP:8080 10.244.1.11@node-a v4)" \
		"$(slice ds TCP:8080 "fd00:244:2::11@node-b fd00:244:2::12@node-b" v6)"
	for ns in $na $nb; do
		wait_backends $ns default/ds "10.244.1.11 fd00:244:2::11 fd00:244:2::12"
		[[ $(service_field $ns default/ds 9 | tr , '\n' | sort | paste -sd ,) == \
			cluster-ip=10.96.0.40,cluster-ip=fd00:96::40 ]]
	done
	reach pa2 tcp 10.96.0.40 80 -n 6 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 6))
	reach pa2 tcp fd00:96::40 80 -n 12 >"$tmp/out"
	(($(count '^b[12] fd00:244:1::12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]
	# The node port on both families of both nodes, from outside,
	# masqueraded: IPv4 to a1 on node A, IPv6 to b1 and b2 on node B.
	reach ext tcp 192.168.60.1 30091 -n 4 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.1$' <"$tmp/out") == 4))
	reach ext tcp 192.168.60.2 30091 -n 4 >"$tmp/out"
	(($(count '^a1 192\.168\.60\.2$' <"$tmp/out") == 4))
	reach ext tcp fd00:60::1 30091 -n 4 >"$tmp/out"
	(($(count '^b[12] fd00:60::1$' <"$tmp/out") == 4))
	reach ext tcp fd00:60::2 30091 -n 4 >"$tmp/out"
	(($(count '^b[12] fd00:244:2::1$' <"$tmp/out") == 4))

	# The IPv6 slice changed: IPv6's backends change, IPv4's stay as
	# they were.
	backend_lines $na default/ds 4 >"$tmp/v4-before"
	api_apply "$(slice ds TCP:8080 fd00:244:1::11@node-a v6)"
	wait_backends $na default/ds "10.244.1.11 fd00:244:1::11"
	wait_backends $nb default/ds "10.244.1.11 fd00:244:1::11"
	backend_lines $na default/ds 4 >"$tmp/v4-after"
	[[ -s $tmp/v4-before ]]
	cmp "$tmp/v4-before" "$tmp/v4-after"
	reach pa2 tcp fd00:96::40 80 -n 4 >"$tmp/out"
	(($(count '^a1 fd00:244:1::12$' <"$tmp/out") == 4))
	reach pa2 tcp 10.96.0.40 80 -n 4 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 4))

	# The IPv4 slice changed: the other way round.
	backend_lines $na default/ds 6 >"$tmp/v6-before"
	api_apply "$(slice ds TCP:8080 "10.244.2.11@node-b 10.244.2.12@node-b" v4)"
	wait_backends $na default/ds "10.244.2.11 10.244.2.12 fd00:244:1::11"
	wait_backends $nb default/ds "10.244.2.11 10.244.2.12 fd00:244:1::11"
	backend_lines $na default/ds 6 >"$tmp/v6-after"
	[[ -s $tmp/v6-before ]]
	cmp "$tmp/v6-before" "$tmp/v6-after"
	reach pa2 tcp 10.96.0.40 80 -n 12 >"$tmp/out"
	(($(count '^b[12] 10\.244\.1\.12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]
	reach pa2 tcp fd00:96::40 80 -n 4 >"$tmp/out"
	(($(count '^a1 fd00:244:1::12$' <"$tmp/out") == 4))

	# The IPv4 slice deleted: the Service stays; an IPv4 connection finds
	# no endpoint of its family and is refused (by kservice: counted),
	# IPv6 goes on.
	rejects=$(service_field $na default/ds 14)
	api_apply "$(del endpointslices ds-v4)"
	wait_backends $na default/ds fd00:244:1::11
	[[ $(probe pa2 connect tcp 10.96.0.40 80 -t 20000 || true) == refused ]]
	(($(service_field $na default/ds 14) > rejects))
	reach pa2 tcp fd00:96::40 80 -n 2 >"$tmp/out"
	(($(count '^a1 fd00:244:1::12$' <"$tmp/out") == 2))

	api_apply "$(del services ds)" "$(del endpointslices ds-v6)"
	wait_backends $na default/ds absent
	wait_backends $nb default/ds absent
	untranslated pa2 $na 10.96.0.40 80
	untranslated pa2 $na fd00:96::40 80
}

# ---- setup --------------------------------------------------------------------------------

# ---- 5. A silent API server -------------------------------------------------------------------

# The API server's address black-holed while the watches are open (every
# packet to and from it dropped in its namespace, as a load balancer's
# failover or a dead peer leaves it: no reset, nothing): kserviced notices
# (the kernel's keepalive, TCP_USER_TIMEOUT 45 s, or the watch's idle
# bound, 75 s; the wait is the helper's bound, never a verdict on speed,
# and the time it took is printed), retries, and once the path is back
# sees the change made meanwhile.
test_silent_api_server() {
	local t0 before pattern='api: endpointslices: \(watch dropped\|the watch said nothing\)'
	api_apply "$(svc quiet 10.96.0.30 TCP:80:8080)" "$(slice quiet TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/quiet 10.244.1.11
	before=$(grep -c "$pattern" "$tmp/kserviced-a.log" || true)
	t0=$SECONDS
	# The API server's port of the LAN's bridge down: nothing gets
	# through either way, and nothing says so (no reset, no ICMP), as on
	# a path black-holed by a failing load balancer. (A link, not nft:
	# the debug kernel that make check runs this on has no nf_tables.)
	lan ip link set api down
	# Made while nothing gets through: the server has it, the watch
	# cannot tell.
	api_apply "$(slice quiet TCP:8080 10.244.2.11@node-b)"
	wait_for_count "$tmp/kserviced-a.log" "$pattern" $((before + 1))
	pretty "" "node-a noticed the silent API server after $((SECONDS - t0)) s"
	grep "$pattern" "$tmp/kserviced-a.log" | tail -n 1 | sed 's/^/    /' >&3
	lan ip link set api up
	wait_backends $na default/quiet 10.244.2.11
	wait_backends $nb default/quiet 10.244.2.11
	reach pa2 tcp 10.96.0.30 80 -n 4 >"$tmp/out"
	(($(count '^b1 10\.244\.1\.12$' <"$tmp/out") == 4))
	api_apply "$(del services quiet)" "$(del endpointslices quiet-1)"
	wait_backends $na default/quiet absent
}

setup_topology() {
	local ns
	for ns in $all_ns; do
		pp ip netns add $ns
		ip -n $ns link set lo up
	done
	lan ip link add br0 type bridge
	lan ip link set br0 up
	# The LAN: node-a .1, node-b .2, the API server .100, the client .200
	# (and the same in fd00:60::/64 but for the API server). No duplicate
	# address detection: nothing else is on these links, and it would hold
	# the addresses back for seconds.
	local spec name addr addr6
	for spec in $na:node-a:192.168.60.1:fd00:60::1 $nb:node-b:192.168.60.2:fd00:60::2 \
		$api:api:$api_addr: $ext:ext:192.168.60.200:fd00:60::200; do
		IFS=: read -r ns name addr addr6 <<<"$spec"
		pp ip link add $name netns $lan type veth peer name eth0 netns $ns
		lan ip link set $name master br0 up
		in_ns $ns "" ip addr add $addr/24 dev eth0
		[[ -z $addr6 ]] || in_ns $ns "" ip addr add $addr6/64 dev eth0 nodad
		in_ns $ns "" ip link set eth0 up
	done
	for ns in $na $nb; do
		in_ns $ns "" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		in_ns $ns "" ip link add kube-svc0 type dummy
		in_ns $ns "" ip link set kube-svc0 up
		in_ns $ns "" ip route add 10.96.0.0/16 dev kube-svc0
		in_ns $ns "" ip -6 route add fd00:96::/112 dev kube-svc0
	done
	node_a ip route add 10.244.2.0/24 via 192.168.60.2
	node_a ip -6 route add fd00:244:2::/64 via fd00:60::2
	node_b ip route add 10.244.1.0/24 via 192.168.60.1
	node_b ip -6 route add fd00:244:1::/64 via fd00:60::1

	# Pods, point to point as the ptp CNI plugin makes them, dual-stack:
	# 10.244.N.X and fd00:244:N::X, gateways 10.244.N.1 and fd00:244:N::1.
	local node pod ip gw ip6 gw6
	for spec in $na:$pa1:pa1:1.11 $na:$pa2:pa2:1.12 $nb:$pb1:pb1:2.11 $nb:$pb2:pb2:2.12; do
		IFS=: read -r node ns pod ip <<<"$spec"
		ip6=fd00:244:${ip%.*}::${ip#*.}
		gw6=fd00:244:${ip%.*}::1
		gw=10.244.${ip%.*}.1
		ip=10.244.$ip
		pp ip link add $pod netns $node type veth peer name eth0 netns $ns
		in_ns $node "" ip addr add $gw/32 dev $pod
		in_ns $node "" ip addr add $gw6/128 dev $pod nodad
		in_ns $node "" ip link set $pod up
		in_ns $node "" ip route add $ip/32 dev $pod
		in_ns $node "" ip -6 route add $ip6/128 dev $pod
		in_ns $ns $pod ip addr add $ip/32 dev eth0
		in_ns $ns $pod ip addr add $ip6/128 dev eth0 nodad
		in_ns $ns $pod ip link set eth0 up
		in_ns $ns $pod ip route add $gw/32 dev eth0
		in_ns $ns $pod ip route add default via $gw
		in_ns $ns $pod ip -6 route add $gw6/128 dev eth0
		in_ns $ns $pod ip -6 route add default via $gw6
	done
	for spec in $pa1:a1 $pb1:b1 $pb2:b2; do
		IFS=: read -r ns name <<<"$spec"
		for proto in tcp udp; do
			bg_in $ns $name "$tmp/serve-$name-$proto" "$ksprobe" serve $proto 8080 $name
		done
	done
	for name in a1 b1 b2; do
		for proto in tcp udp; do
			wait_for_line "$tmp/serve-$name-$proto" '^listening'
		done
	done
	# Across nodes, pod to pod, both families, before any service.
	[[ $(reach pa2 tcp 10.244.2.11 8080) == "b1 10.244.1.12" ]]
	[[ $(reach pa2 tcp fd00:244:2::11 8080) == "b1 fd00:244:1::12" ]]
}

setup_apiserver() {
	# A certificate for the server's address, its own CA; a token.
	pp openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$tmp/server.key" -out "$tmp/server.pem" -days 2 -subj /CN=$api_addr \
		-addext subjectAltName=IP:$api_addr 2>/dev/null
	mkfifo "$tmp/api.in"
	echo '{"initial": {}, "steps": []}' >"$tmp/steps.json"
	# Opened read-write: no wait for the other end (the server's stdin).
	exec 7<>"$tmp/api.in"
	# (Not bg_in: a background command's stdin would be /dev/null.)
	pretty api "python3 $fake --address $api_addr --token $token ... <\$tmp/api.in &"
	ip netns exec $api python3 "$fake" --cert "$tmp/server.pem" --key "$tmp/server.key" \
		--steps "$tmp/steps.json" --token "$token" --address $api_addr <&7 >"$tmp/api.out" 2>&1 &
	wait_for_line "$tmp/api.out" '^port '
	local port
	port=$(sed -n 's/^port //p' "$tmp/api.out")
	cat >"$tmp/kubeconfig" <<-EOF
		apiVersion: v1
		kind: Config
		current-context: e2e
		contexts: [{name: e2e, context: {cluster: fake, user: kserviced}}]
		clusters:
		- name: fake
		  cluster:
		    server: https://$api_addr:$port
		    certificate-authority: $tmp/server.pem
		users: [{name: kserviced, user: {token: $token}}]
	EOF
	# kubeadm's kube-proxy ConfigMap, its paths and addresses made ours.
	mkdir -p "$tmp/kube-proxy"
	sed -e "s|/var/lib/kube-proxy/|$tmp/kube-proxy/|" \
		-e "s|^clusterCIDR: .*|clusterCIDR: 10.244.0.0/16,fd00:244::/32|" \
		"$repo/examples/kubeadm/config.conf" >"$tmp/kube-proxy/config.conf"
	sed -e "s|/var/run/secrets/kubernetes.io/serviceaccount/ca.crt|$tmp/server.pem|" \
		-e "s|/var/run/secrets/kubernetes.io/serviceaccount/token|$tmp/kube-proxy/token|" \
		-e "s|https://control-plane.example:6443|https://$api_addr:$port|" \
		"$repo/examples/kubeadm/kubeconfig.conf" >"$tmp/kube-proxy/kubeconfig.conf"
	echo "$token" >"$tmp/kube-proxy/token"
	grep -q "kubeconfig: $tmp/kube-proxy/kubeconfig.conf" "$tmp/kube-proxy/config.conf"
	grep -q "tokenFile: $tmp/kube-proxy/token" "$tmp/kube-proxy/kubeconfig.conf"
	start_kserviced a
	start_kserviced b
	# Both follow the API: a service made now reaches both kernels.
	api_apply "$(svc probe 10.96.0.2 TCP:80:8080)" "$(slice probe TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/probe 10.244.1.11
	wait_backends $nb default/probe 10.244.1.11
	api_apply "$(del services probe)" "$(del endpointslices probe-1)"
	wait_backends $na default/probe absent
	wait_backends $nb default/probe absent
}

scenario unreadable_kernel_fails
t0=$(usec)
setup_topology
setup_apiserver
echo -e "\x1b[34m\x1b[1m=== setup: $((($(usec) - t0) / 1000)) ms\x1b[0m" >&3

scenario following_the_api
scenario restart_under_traffic
scenario two_nodes
scenario kubeadm_configuration
scenario conflicting_services
scenario ipv6_only
scenario dual_stack
scenario silent_api_server
scenarios_done

if ((failed)); then
	for n in a b; do
		echo "--- kserviced node-$n" >&3
		cat "$tmp/kserviced-$n.log.all" "$tmp/kserviced-$n.log" 2>/dev/null | tail -n 40 >&3
	done
fi
echo "e2e: $passed passed, $failed failed${failures:+ (${failures[*]})}" >&3
((failed == 0))
