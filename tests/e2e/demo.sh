#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's demo, run inside the test VM (make demo): the tutorial's
# my-app-service from its YAML manifest through kserviced, a ClusterIP on
# port 80 (then the NodePort 30080 step) in front of
# Pods serving HTTP on 8080, reached with curl from a Pod and from outside.
# It narrates each step for a human, and checks each answer like a test.
#
# ┌────────────────────┐ ┌────────────────────┐ ┌────────────────────┐ ┌────────────────────┐
# │ my-app-1           │ │ my-app-2           │ │ my-app-3 (later)   │ │ client pod         │
# │ 10.244.1.11        │ │ 10.244.1.12        │ │ 10.244.1.13        │ │ 10.244.1.20        │
# │ python3 http :8080 │ │ python3 http :8080 │ │ python3 http :8080 │ │ curl               │
# └─────────┬──────────┘ └─────────┬──────────┘ └─────────┬──────────┘ └─────────┬──────────┘
#           └──────────────────────┴───────────┬──────────┴──────────────────────┘
#                     ┌────────────────────────┴───────────────────────┐
#                     │ node: kservice; gateway 10.244.1.1 to the pods │
#                     │ 192.168.50.1 to the outside                    │
#                     └────────────────────────┬───────────────────────┘
#                     ┌────────────────────────┴───────────────────────┐
#                     │ laptop (external client) 192.168.50.2, curl    │
#                     └────────────────────────────────────────────────┘
#
# The Service comes from the tutorial's YAML manifest (examples/tutorial/),
# through kserviced's manifests folder.

set -e
exec 3>&1
export LANG=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ksctl=${KSCTL:-$repo/daemon/ksctl/ksctl}
kserviced=${KSERVICED:-$repo/daemon/kserviced/kserviced}
[[ -x $ksctl && -x $kserviced ]] || { echo "demo.sh: ksctl or kserviced is missing: build them first (make tools)"; exit 1; }
[[ -e /sys/module/kservice ]] || { echo "demo.sh: kservice.ko is not loaded (vm.sh --ko)"; exit 1; }

run=$$
node=demo-node-$run
laptop=demo-laptop-$run
declare -A pod_ns=([my-app-1]=demo-app1-$run [my-app-2]=demo-app2-$run
	[my-app-3]=demo-app3-$run [client]=demo-client-$run)
declare -A pod_ip=([my-app-1]=10.244.1.11 [my-app-2]=10.244.1.12
	[my-app-3]=10.244.1.13 [client]=10.244.1.20)
www=$(mktemp -d)
manifests=$(mktemp -d)
# The cluster IP that examples/tutorial/my-app-service.overlay.yaml gives
# the tutorial's Service.
vip=10.96.0.80
kserviced_pid=

bold() { echo -e "\x1b[1m$*\x1b[0m" >&3; }
say() { echo >&3; bold "### $*"; }
# Shows a command as a person would type it at that place's prompt (node,
# client-pod, laptop), then runs it there.
on() {
	local where=$1 ns
	shift
	case $where in
	node) ns=$node ;;
	laptop) ns=$laptop ;;
	*) ns=${pod_ns[${where%-pod}]} ;;
	esac
	echo -e "\x1b[36m$where\$ ${*//$ksctl/ksctl}\x1b[0m" >&3
	ip netns exec "$ns" "$@"
}
quiet() { ip netns exec "$@" >/dev/null 2>&1; }

cleanup() {
	set +e
	exec 2>/dev/null
	for ns in "${pod_ns[@]}" $laptop $node; do
		ip netns pids $ns | xargs -r kill
	done
	wait
	for ns in "${pod_ns[@]}" $laptop $node; do
		ip netns del $ns
	done
	[[ -z $kserviced_pid ]] || kill $kserviced_pid
	wait
	rm -rf "$www" "$manifests"
}
trap cleanup EXIT

# A pod: its own namespace on a veth to the node, one address, default route
# through the node (what a CNI plugin does).
add_pod() {
	local name=$1 ns=${pod_ns[$1]} ip=${pod_ip[$1]} dev=veth-${1#my-app-}
	ip netns add $ns
	ip link add $dev netns $node type veth peer name eth0 netns $ns
	ip -n $node addr add 10.244.1.1/32 dev $dev
	ip -n $node link set $dev up
	ip -n $node route add $ip/32 dev $dev
	ip -n $ns link set lo up
	ip -n $ns addr add $ip/32 dev eth0
	ip -n $ns link set eth0 up
	ip -n $ns route add 10.244.1.1/32 dev eth0
	ip -n $ns route add default via 10.244.1.1
}

# An app pod runs a real HTTP server on 8080 that names itself.
start_app() {
	local name=$1 ip=${pod_ip[$1]}
	mkdir -p "$www/$name"
	echo "Hello from $name ($ip)" >"$www/$name/index.html"
	ip netns exec ${pod_ns[$name]} python3 -m http.server 8080 --bind $ip \
		--directory "$www/$name" >"$www/$name.log" 2>&1 &
	# Ready when it answers; polled, never slept for.
	local i
	for ((i = 0; i < 300; i++)); do
		quiet $node curl -sf -m 1 http://$ip:8080/ && return 0
		sleep 0.1
	done
	echo "demo.sh: $name did not start: $(cat "$www/$name.log")"
	return 1
}

# Polls `ksctl dump` until service $1's line holds the text $2 (kserviced
# has synced), for 30 s at most.
wait_for_service() {
	local i
	for ((i = 0; i < 300; i++)); do
		ip netns exec $node "$ksctl" dump 2>/dev/null |
			awk -F'\t' -v s="$1" '$1 == "service" && $2 == s' | grep -qF -- "$2" && return 0
		sleep 0.1
	done
	echo "demo.sh: kserviced did not program $1 ($2):"
	cat "$www/kserviced.log"
	return 1
}

# Polls until service $1 has backend address $2.
wait_for_backend() {
	local i
	for ((i = 0; i < 300; i++)); do
		ip netns exec $node "$ksctl" dump 2>/dev/null |
			awk -F'\t' -v s="$1" -v a="$2" '$1 == "backend" && $2 == s && $3 == a' | grep -q . && return 0
		sleep 0.1
	done
	echo "demo.sh: kserviced did not give $1 the backend $2:"
	cat "$www/kserviced.log"
	return 1
}

# curl the ClusterIP from the client pod a few times: every answer comes
# from pod $1 or $2, and both answer (the scheduler is random: ask until
# both did, 20 times at most).
curl_until_both() {
	local i out seen=
	for ((i = 1; i <= 20; i++)); do
		out=$(on client-pod curl -s -m 5 http://$vip/)
		echo "$out" >&3
		[[ $out == "Hello from $1 "* || $out == "Hello from $2 "* ]]
		seen+=" ${out:11:8}"
		((i < 4)) || [[ $seen != *$1* || $seen != *$2* ]] || return 0
	done
	return 1
}

say "A node running kservice, two Pods labelled app=my-app, a client Pod, and a laptop outside"
ip netns add $node
ip -n $node link set lo up
ip netns exec $node sysctl -qw net.ipv4.ip_forward=1
# The service range is routed into a dummy device, as kube-proxy's IPVS mode
# does with kube-ipvs0, so the node itself can connect to cluster IPs.
ip -n $node link add kube-svc0 type dummy
ip -n $node link set kube-svc0 up
ip -n $node route add 10.96.0.0/16 dev kube-svc0
add_pod my-app-1
add_pod my-app-2
add_pod client
ip netns add $laptop
ip link add ext netns $node type veth peer name eth0 netns $laptop
ip -n $node addr add 192.168.50.1/24 dev ext
ip -n $node link set ext up
ip -n $laptop link set lo up
ip -n $laptop addr add 192.168.50.2/24 dev eth0
ip -n $laptop link set eth0 up
start_app my-app-1
start_app my-app-2
bold "Pods: my-app-1 ${pod_ip[my-app-1]}:8080 and my-app-2 ${pod_ip[my-app-2]}:8080 (python3 -m http.server), client ${pod_ip[client]}; laptop 192.168.50.2"

say "The Service from the tutorial, as written, in kserviced's manifests folder"
# The guest's root is read-only: the folder is a copy, so the demo can edit
# it as a person (or a controller) would.
cp "$repo"/examples/tutorial/*.yaml "$manifests/"
for f in my-app-service.yaml my-app-service.overlay.yaml my-app-service-endpoints.yaml; do
	bold "--- $f"
	sed 's/^/    /' "$manifests/$f" >&3
done
bold "kserviced follows the folder and programs kservice.ko; the tutorial's ClusterIP becomes one service port:"
echo -e "\x1b[36mnode\$ kserviced --manifests $manifests --min-sync-period 0 &\x1b[0m" >&3
ip netns exec $node "$kserviced" --manifests "$manifests" --min-sync-period 0 -v 2 \
	>"$www/kserviced.log" 2>&1 &
kserviced_pid=$!
wait_for_service 'default/my-app-service' "cluster-ip=$vip"
on node "$ksctl" service list >&3

say "From the client Pod, the ClusterIP load-balances over both Pods"
curl_until_both my-app-1 my-app-2
bold "(DNS comes later; curl's --resolve stands in for CoreDNS here)"
out=$(on client-pod curl -s -m 5 --resolve my-app-service:80:$vip http://my-app-service:80/)
echo "$out" >&3
[[ $out == "Hello from my-app-"* ]]

say "The tutorial's NodePort step: the same Service with type NodePort and nodePort 30080"
sed -e 's/type: ClusterIP .*/type: NodePort/' \
	-e 's/targetPort: 8080 .*/targetPort: 8080\n      nodePort: 30080/' \
	"$repo/examples/tutorial/my-app-service.yaml" >"$manifests/.my-app-service.yaml"
mv "$manifests/.my-app-service.yaml" "$manifests/my-app-service.yaml"
sed 's/^/    /' "$manifests/my-app-service.yaml" >&3
wait_for_service 'default/my-app-service' $'\ttcp\t80\t30080\t'
on node "$ksctl" service list >&3
bold "From the laptop, through the NodePort on the node's address:"
for i in 1 2 3; do
	out=$(on laptop curl -s -m 5 http://192.168.50.1:30080/)
	echo "$out" >&3
	[[ $out == "Hello from my-app-"* ]]
done

say "Pods are ephemeral: my-app-1 goes away, my-app-3 takes its place with a new address"
ip netns pids ${pod_ns[my-app-1]} | xargs -r kill
add_pod my-app-3
start_app my-app-3
bold "The EndpointSlice controller would rewrite the slice; here we edit the file:"
sed "s/${pod_ip[my-app-1]}/${pod_ip[my-app-3]}/" "$repo/examples/tutorial/my-app-service-endpoints.yaml" \
	>"$manifests/.endpoints.yaml"
mv "$manifests/.endpoints.yaml" "$manifests/my-app-service-endpoints.yaml"
wait_for_backend 'default/my-app-service' "${pod_ip[my-app-3]}"
curl_until_both my-app-2 my-app-3
bold "The same address, $vip, all along."

say "What kservice holds, and what it counted"
on node "$ksctl" service list >&3
on node "$ksctl" stats >&3
bold "(my-app-1's own counts left with it; the service keeps its totals)"
say "Done."
