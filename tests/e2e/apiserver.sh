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
# ┌─────────────────┐ ┌─────────────────┐            ┌─────────────────┐ ┌─────────────────┐
# │ $pa1 (backend)  │ │ $pa2 (client)   │            │ $pb1 (backend)  │ │ $pb2 (backend)  │
# │ 10.244.1.11/32  │ │ 10.244.1.12/32  │            │ 10.244.2.11/32  │ │ 10.244.2.12/32  │
# │ ksprobe :8080   │ │                 │            │ ksprobe :8080   │ │ ksprobe :8080   │
# │  tcp/udp "a1"   │ │                 │            │  tcp/udp "b1"   │ │  tcp/udp "b2"   │
# └────────┬────────┘ └────────┬────────┘            └────────┬────────┘ └────────┬────────┘
#          │ veth              │ veth                         │ veth              │ veth
# ┌────────┴───────────────────┴────────┐            ┌────────┴───────────────────┴────────┐
# │ $na "node-a": kservice, kserviced   │            │ $nb "node-b": kservice, kserviced   │
# │  pods' gateway 10.244.1.1/32        │            │  pods' gateway 10.244.2.1/32        │
# │  kube-svc0 (dummy): 10.96.0.0/16    │            │  kube-svc0 (dummy): 10.96.0.0/16    │
# │  10.244.2.0/24 via 192.168.60.2     │            │  10.244.1.0/24 via 192.168.60.1     │
# │  eth0 192.168.60.1/24               │            │  eth0 192.168.60.2/24               │
# └──────────────────┬──────────────────┘            └──────────────────┬──────────────────┘
#                    │ veth                                             │ veth
# ┌──────────────────┴──────────────────────────────────────────────────┴──────────────────┐
# │ $lan: bridge br0 (the nodes' network)                                                  │
# └──────────────────┬──────────────────────────────────────────────────┬──────────────────┘
#                    │ veth                                             │ veth
# ┌──────────────────┴──────────────────┐            ┌──────────────────┴──────────────────┐
# │ $api: fake_apiserver.py             │            │ $ext (external client)              │
# │  https://192.168.60.100:PORT        │            │  eth0 192.168.60.200/24             │
# └─────────────────────────────────────┘            └─────────────────────────────────────┘
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
	for ns in $all_ns; do
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

# svc NAME CLUSTER-IP PORTS [TYPE [MORE-SPEC]]: a put of a Service. PORTS:
# "proto:port:target[:nodeport][:name]" separated by spaces.
svc() {
	local name=$1 vip=$2 ports=$3 type=${4:-ClusterIP} more=${5:+,$5} p out=""
	local proto port target np pname
	for p in $ports; do
		IFS=: read -r proto port target np pname <<<"$p"
		out+="${out:+,}{\"protocol\":\"$proto\",\"port\":$port,\"targetPort\":$target${np:+,\"nodePort\":$np}${pname:+,\"name\":\"$pname\"}}"
	done
	echo "{\"op\":\"put\",\"resource\":\"services\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"$name\",\"namespace\":\"default\",\"uid\":\"uid-$name\"},\"spec\":{\"type\":\"$type\",\"clusterIP\":\"$vip\",\"clusterIPs\":[\"$vip\"],\"ports\":[$out]$more}}}"
}
# slice SERVICE PORTS ENDPOINTS: a put of the EndpointSlice SERVICE-1.
# PORTS: "proto:port[:name]"; ENDPOINTS: "addr@node" separated by spaces.
slice() {
	local name=$1 p e ports="" eps="" proto port pname
	for p in $2; do
		IFS=: read -r proto port pname <<<"$p"
		ports+="${ports:+,}{\"name\":\"$pname\",\"protocol\":\"$proto\",\"port\":$port}"
	done
	for e in $3; do
		eps+="${eps:+,}{\"addresses\":[\"${e%@*}\"],\"conditions\":{\"ready\":true},\"nodeName\":\"${e#*@}\"}"
	done
	echo "{\"op\":\"put\",\"resource\":\"endpointslices\",\"object\":{\"apiVersion\":\"discovery.k8s.io/v1\",\"kind\":\"EndpointSlice\",\"metadata\":{\"name\":\"$name-1\",\"namespace\":\"default\",\"labels\":{\"kubernetes.io/service-name\":\"$name\"}},\"addressType\":\"IPv4\",\"ports\":[$ports],\"endpoints\":[$eps]}}"
}
del() { echo "{\"op\":\"delete\",\"resource\":\"$1\",\"name\":\"$2\"}"; }

# ---- the kernel's state -------------------------------------------------------------

# The backends (sorted addresses) of service $2 in node namespace $1, or
# "absent".
backends_of() {
	ip netns exec "$1" "$ksctl" dump 2>/dev/null | awk -F'\t' -v s="$2" '
		$1 == "service" && $2 == s { found = 1 }
		$1 == "backend" && $2 == s { print $3 }
		END { if (!found) print "absent" }' | sort | tr '\n' ' ' | sed 's/ $//'
}
# Polls (30 s at most) until service $2 in node $1 has the backends $3
# ("absent": until it is gone).
wait_backends() {
	local i now
	pretty "" "until $2 on ${1%-$run} has: $3"
	for ((i = 0; i < 300; i++)); do
		now=$(backends_of "$1" "$2")
		[[ $now == "$3" ]] && return 0
		sleep 0.1
	done
	echo "apiserver.sh: $2 in $1 has '$now', not '$3'" >&2
	tail -n 30 "$tmp"/kserviced-*.log >&2
	return 1
}
# Service field $3 (8 generation, 16 drops) of service $2 in node $1.
service_field() {
	ip netns exec "$1" "$ksctl" dump | awk -F'\t' -v s="$2" -v f="$3" '$1 == "service" && $2 == s { print $f }'
}

# Node A's services, one line each: the fields of `ksctl dump` but for the
# generation and the counters (name proto port node-port sched flags
# frontends backend-count).
svc_state() {
	ip netns exec $na "$ksctl" dump | awk -F'\t' '$1 == "service" { print $2, $3, $4, $5, $6, $7, $9, $10 }'
}

# kserviced on node $1 (a or b), following the fake API server.
start_kserviced() {
	local n=$1 ns
	[[ $n == a ]] && ns=$na || ns=$nb
	bg_in $ns node-$n "$tmp/kserviced-$n.log" "$kserviced" --kubeconfig "$tmp/kubeconfig" \
		--hostname-override node-$n --cluster-cidr 10.244.0.0/16 --min-sync-period 0 -v 2
	kd_pid[$n]=$bgpid
	echo "=== kserviced node-$n started" >>"$tmp/kserviced-$n.log.all"
}

# ---- scenarios ------------------------------------------------------------------------

# ---- 1. Following the API ----------------------------------------------------------------

test_following_the_api() {
	local watches
	# Service added: reachable, on its one backend.
	api_apply "$(svc web 10.96.0.10 TCP:80:8080)" "$(slice web TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/web 10.244.1.11
	probe pa2 connect tcp 10.96.0.10 80 -n 6 >"$tmp/out"
	(($(count '^a1 10\.244\.1\.12$' <"$tmp/out") == 6))

	# Endpoints changed: the new backends, on the other node.
	api_apply "$(slice web TCP:8080 "10.244.2.11@node-b 10.244.2.12@node-b")"
	wait_backends $na default/web "10.244.2.11 10.244.2.12"
	probe pa2 connect tcp 10.96.0.10 80 -n 12 >"$tmp/out"
	(($(count '^b[12] 10\.244\.1\.12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]

	# The watch streams cut mid-stream, and a change made meanwhile: the
	# watches come back from where they were and see it.
	watches=$(api_stat watches)
	api_apply '{"op":"drop","resource":"services"}' '{"op":"drop","resource":"endpointslices"}' \
		"$(slice web TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/web 10.244.1.11
	probe pa2 connect tcp 10.96.0.10 80 -n 4 >"$tmp/out"
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
	probe pa2 connect tcp 10.96.0.10 80 -n 4 >"$tmp/out"
	(($(count '^b1 10\.244\.1\.12$' <"$tmp/out") == 4))
	probe pa2 connect tcp 10.96.0.11 81 -n 4 >"$tmp/out"
	(($(count '^b2 10\.244\.1\.12$' <"$tmp/out") == 4))

	# Services deleted: gone from the kernel, the address no longer
	# translated (it is routed into a dummy device: nothing answers).
	api_apply "$(del services web)" "$(del endpointslices web-1)" \
		"$(del services web2)" "$(del endpointslices web2-1)"
	wait_backends $na default/web absent
	wait_backends $na default/web2 absent
	[[ $(probe pa2 connect tcp 10.96.0.10 80 -t 500 || true) == @(timeout|refused) ]]
	[[ $(probe pa2 connect tcp 10.96.0.11 81 -t 500 || true) == @(timeout|refused) ]]
}

# ---- 2. Restart under traffic ----------------------------------------------------------------

test_restart_under_traffic() {
	local tcp_pid udp_pid ct_pid before after conns_tcp
	api_apply "$(svc hold 10.96.0.20 "TCP:80:8080::tcp UDP:53:8080::udp")" \
		"$(slice hold "TCP:8080:tcp UDP:8080:udp" "10.244.1.11@node-a 10.244.2.11@node-b")"
	wait_backends $na default/hold:tcp "10.244.1.11 10.244.2.11"
	wait_backends $na default/hold:udp "10.244.1.11 10.244.2.11"

	bg_in $pa2 pa2 "$tmp/hold-tcp" "$ksprobe" hold tcp 10.96.0.20 80 -i 100
	tcp_pid=$bgpid
	bg_in $pa2 pa2 "$tmp/hold-udp" "$ksprobe" hold udp 10.96.0.20 53 -i 100
	udp_pid=$bgpid
	# Both flows in conntrack, translated.
	for proto in tcp udp; do
		for ((i = 0; i < 100; i++)); do
			ip netns exec $na conntrack -L -p $proto --orig-dst 10.96.0.20 2>/dev/null | grep -q 10.244 && break
			sleep 0.1
		done
	done
	node_a conntrack -L --orig-dst 10.96.0.20 -o id >"$tmp/ct-before" 2>/dev/null
	cat "$tmp/ct-before" >&3
	(($(grep -c 10.244 "$tmp/ct-before") == 2))
	# The services as kservice holds them but for their counters and
	# generation (a full pass marks every service it keeps with its own);
	# their connection counters, which a new service would start afresh.
	before=$(svc_state)
	conns_tcp=$(service_field $na default/hold:tcp 11)
	ip netns exec $na "$ksctl" dump | grep '^backend' | cut -f2-6 >"$tmp/be-before"
	pretty "" "before: $(echo $before), $conns_tcp connections"

	# Conntrack's destroy events in node-a while kserviced restarts.
	bg_in $na node-a "$tmp/ct-events" conntrack -E -e DESTROY --orig-dst 10.96.0.20
	ct_pid=$bgpid

	# (kserviced is the script's child, not this subshell's: polled.)
	pp kill -TERM ${kd_pid[a]}
	while kill -0 ${kd_pid[a]} 2>/dev/null; do sleep 0.05; done
	cat "$tmp/kserviced-a.log" >>"$tmp/kserviced-a.log.all"
	# With kserviced gone, the kernel's services are as they were, and new
	# connections still go through.
	[[ $(svc_state) == "$before" ]]
	probe pa2 connect tcp 10.96.0.20 80 -n 2 >"$tmp/out"
	(($(count '^[ab]1 10\.244\.1\.12$' <"$tmp/out") == 2))

	start_kserviced a
	# Synced again once it has the service made after its restart (and
	# it syncs nothing before its first full list).
	api_apply "$(svc marker 10.96.0.21 TCP:80:8080)" "$(slice marker TCP:8080 10.244.1.11@node-a)"
	wait_backends $na default/marker 10.244.1.11
	sleep 1 # a few more exchanges on both flows after the resync

	after=$(svc_state | grep -v '^default/marker ')
	pretty "" "after: $(echo $after), $(service_field $na default/hold:tcp 11) connections"
	[[ $after == "$before" ]]
	# Not made anew: the counters went on (2 connections while it was down).
	(($(service_field $na default/hold:tcp 11) >= conns_tcp + 2))
	# The restarted kserviced created only the marker, changed and
	# deleted nothing.
	grep 'sync (' "$tmp/kserviced-a.log" >&3
	(($(grep 'sync (' "$tmp/kserviced-a.log" | grep -vc ': [01] created, 0 updated, 0 backend sets replaced, 0 deleted, 0 failed$' || true) == 0))
	(($(grep -o '[0-9]* created' "$tmp/kserviced-a.log" | awk '{ n += $1 } END { print n + 0 }') == 1))
	ip netns exec $na "$ksctl" dump | grep '^backend' | grep -v default/marker | cut -f2-6 >"$tmp/be-after"
	cmp "$tmp/be-before" "$tmp/be-after"
	node_a conntrack -L --orig-dst 10.96.0.20 -o id >"$tmp/ct-after" 2>/dev/null
	cat "$tmp/ct-after" >&3
	# The flows' entries are still there, the same ones (same ids; the
	# connections made meanwhile are new ones), none destroyed.
	[[ -z $(comm -23 <(grep -o 'id=[0-9]*' "$tmp/ct-before" | sort) <(grep -o 'id=[0-9]*' "$tmp/ct-after" | sort)) ]]
	kill $ct_pid
	wait $ct_pid || true
	cat "$tmp/ct-events" >&3
	(($(grep -c 'dst=10.96.0.20' "$tmp/ct-events" || true) == 0))

	# The held connection and flow carried on: no failure, and exchanges
	# all along (10 a second).
	kill -TERM $tcp_pid || true
	kill -TERM $udp_pid || true
	wait $tcp_pid $udp_pid || true
	cat "$tmp/hold-tcp" "$tmp/hold-udp" >&3
	grep -qE '^held ([3-9][0-9]|[0-9]{3,})$' "$tmp/hold-tcp"
	grep -qE '^held ([3-9][0-9]|[0-9]{3,})$' "$tmp/hold-udp"

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
	probe pa2 connect tcp 10.96.0.30 80 -n 12 >"$tmp/out"
	(($(count '^b[12] 10\.244\.1\.12$' <"$tmp/out") == 12))
	[[ $(backends_seen <"$tmp/out") == "b1 b2" ]]

	# NodePort on node B from outside: masqueraded to node B's address
	# toward its pods; on node A, to node A's address on the LAN.
	probe ext connect tcp 192.168.60.2 30080 -n 6 >"$tmp/out"
	(($(count '^b[12] 10\.244\.2\.1$' <"$tmp/out") == 6))
	probe ext connect tcp 192.168.60.1 30080 -n 6 >"$tmp/out"
	(($(count '^b[12] 192\.168\.60\.1$' <"$tmp/out") == 6))

	# externalTrafficPolicy Local: on node B (which has the endpoint) the
	# backend sees the client's own address; node A, without a local
	# endpoint, drops it silently (counted), not refused.
	probe ext connect tcp 192.168.60.2 30081 -n 4 >"$tmp/out"
	(($(count '^b1 192\.168\.60\.200$' <"$tmp/out") == 4))
	drops=$(service_field $na default/local 16)
	[[ $(probe ext connect tcp 192.168.60.1 30081 -t 500 || true) == timeout ]]
	(($(service_field $na default/local 16) > drops))
	# Its cluster IP from a pod on node A still reaches the remote backend.
	[[ $(probe pa2 connect tcp 10.96.0.31 80) == "b1 10.244.1.12" ]]

	api_apply "$(del services cross)" "$(del endpointslices cross-1)" \
		"$(del services local)" "$(del endpointslices local-1)"
	for ns in $na $nb; do
		wait_backends $ns default/cross absent
		wait_backends $ns default/local absent
	done
}

# ---- setup --------------------------------------------------------------------------------

setup_topology() {
	local ns
	for ns in $all_ns; do
		pp ip netns add $ns
		ip -n $ns link set lo up
	done
	lan ip link add br0 type bridge
	lan ip link set br0 up
	# The LAN: node-a .1, node-b .2, the API server .100, the client .200.
	local spec name addr
	for spec in $na:node-a:192.168.60.1 $nb:node-b:192.168.60.2 $api:api:$api_addr $ext:ext:192.168.60.200; do
		IFS=: read -r ns name addr <<<"$spec"
		pp ip link add $name netns $lan type veth peer name eth0 netns $ns
		lan ip link set $name master br0 up
		in_ns $ns "" ip addr add $addr/24 dev eth0
		in_ns $ns "" ip link set eth0 up
	done
	for ns in $na $nb; do
		in_ns $ns "" sysctl -qw net.ipv4.ip_forward=1
		in_ns $ns "" ip link add kube-svc0 type dummy
		in_ns $ns "" ip link set kube-svc0 up
		in_ns $ns "" ip route add 10.96.0.0/16 dev kube-svc0
	done
	node_a ip route add 10.244.2.0/24 via 192.168.60.2
	node_b ip route add 10.244.1.0/24 via 192.168.60.1

	# Pods, point to point as the ptp CNI plugin makes them.
	local node pod ip gw
	for spec in $na:$pa1:pa1:10.244.1.11:10.244.1.1 $na:$pa2:pa2:10.244.1.12:10.244.1.1 \
		$nb:$pb1:pb1:10.244.2.11:10.244.2.1 $nb:$pb2:pb2:10.244.2.12:10.244.2.1; do
		IFS=: read -r node ns pod ip gw <<<"$spec"
		pp ip link add $pod netns $node type veth peer name eth0 netns $ns
		in_ns $node "" ip addr add $gw/32 dev $pod
		in_ns $node "" ip link set $pod up
		in_ns $node "" ip route add $ip/32 dev $pod
		in_ns $ns $pod ip addr add $ip/32 dev eth0
		in_ns $ns $pod ip link set eth0 up
		in_ns $ns $pod ip route add $gw/32 dev eth0
		in_ns $ns $pod ip route add default via $gw
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
	# Across nodes, pod to pod, before any service.
	[[ $(probe pa2 connect tcp 10.244.2.11 8080) == "b1 10.244.1.12" ]]
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

t0=$(usec)
setup_topology
setup_apiserver
echo -e "\x1b[34m\x1b[1m=== setup: $((($(usec) - t0) / 1000)) ms\x1b[0m" >&3

scenario following_the_api
scenario restart_under_traffic
scenario two_nodes

if ((failed)); then
	for n in a b; do
		echo "--- kserviced node-$n" >&3
		cat "$tmp/kserviced-$n.log.all" "$tmp/kserviced-$n.log" 2>/dev/null | tail -n 40 >&3
	done
fi
echo "e2e: $passed passed, $failed failed${failures:+ (${failures[*]})}" >&3
((failed == 0))
