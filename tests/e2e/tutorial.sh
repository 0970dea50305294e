#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tutorial (services-tutorial.txt), every step, on kservice: its
# manifests (examples/tutorial/) applied through kserviced's manifests
# folder one step at a time, each step checked with real clients. Run
# inside the test VM (vm.sh). `tutorial.sh --narrate` is the README's demo
# (make demo): the same steps, telling a person what happens at each.
#
#   clusterip     curl the cluster IP from a pod: both my-app pods answer
#   nodeport      the NodePort step: curl node:30080 from the laptop
#   loadbalancer  the LoadBalancer step: an address from --lb-ip-pool,
#                 curled from the laptop
#   externalname  dig my-database: a CNAME to the external name
#   dns           curl http://my-app-service:80 and its FQDN from a pod
#   ingress       the Ingress: nginx behind a LoadBalancer Service routes
#                 Host api.example.com and app.example.com to the two
#                 Services by their DNS names
#   pods_move     a pod replaced by one with a new address: same name,
#                 same cluster IP
#
# ┌─────────────┐┌─────────────┐┌─────────────┐┌─────────────┐┌──────────────────┐┌─────────────┐
# │ my-app-1    ││ my-app-2    ││ api-1       ││ frontend-1  ││ ingress-nginx    ││ client      │
# │ 10.244.1.11 ││ 10.244.1.12 ││ 10.244.1.21 ││ 10.244.1.31 ││ 10.244.1.41      ││ 10.244.1.20 │
# │ httpd :8080 ││ httpd :8080 ││ httpd :8080 ││ httpd :8080 ││ nginx :80        ││ curl, dig   │
# └──────┬──────┘└──────┬──────┘└──────┬──────┘└──────┬──────┘└────────┬─────────┘└──────┬──────┘
#        └──────────────┴──────────────┴───────┬──────┴────────────────┴─────────────────┘
#     ┌────────────────────────────────────────┴───────────────────────────────────────┐
#     │ node: kservice; kserviced --manifests --lb-ip-pool 192.168.60.0/28             │
#     │   --dns-bind 10.244.1.1:53 (behind kube-dns 10.96.0.10)                        │
#     │ 10.244.1.1 to the pods; kube-svc0 (dummy) routes 10.96.0.0/16; 192.168.50.1    │
#     └────────────────────────────────────────┬───────────────────────────────────────┘
#     ┌────────────────────────────────────────┴───────────────────────────────────────┐
#     │ laptop (outside) 192.168.50.2, curl; the LAN's router sends the pool           │
#     │ 192.168.60.0/28 to the node (route via 192.168.50.1)                           │
#     └────────────────────────────────────────────────────────────────────────────────┘
#
# Pods are network namespaces; a pod's /etc/resolv.conf is what kubelet
# writes (search default.svc.cluster.local ..., nameserver 10.96.0.10),
# bind-mounted over the host's in the command's own mount namespace.

set -eE
exec 3>&1
export LANG=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ksctl=${KSCTL:-$repo/daemon/ksctl/ksctl}
kserviced=${KSERVICED:-$repo/daemon/kserviced/kserviced}
ksprobe=$here/ksprobe
examples=$repo/examples/tutorial
narrate=0
if [[ $1 == --narrate ]]; then
	narrate=1
	shift
fi
only="$*"
[[ -x $ksctl && -x $kserviced ]] || { echo "tutorial.sh: ksctl or kserviced is missing: build them first (make tools)"; exit 1; }
[[ -e /sys/module/kservice ]] || { echo "tutorial.sh: kservice.ko is not loaded (vm.sh --ko)"; exit 1; }
for tool in curl dig nginx busybox; do
	command -v $tool >/dev/null || { echo "tutorial.sh: $tool is missing (scripts/deps.sh)"; exit 1; }
done

run=$$
tmp=$(mktemp -d)
manifests=$tmp/manifests
. "$here/lib.sh"

node=tut-node-$run
laptop=tut-laptop-$run
declare -A pod_ns pod_ip pod_k8s_ns
add_pod_names() {
	local name=$1 ip=$2 k8s_ns=$3
	pod_ns[$name]=tut-$name-$run
	pod_ip[$name]=$ip
	pod_k8s_ns[$name]=$k8s_ns
}
add_pod_names my-app-1 10.244.1.11 default
add_pod_names my-app-2 10.244.1.12 default
add_pod_names my-app-3 10.244.1.13 default
add_pod_names api-1 10.244.1.21 default
add_pod_names frontend-1 10.244.1.31 default
add_pod_names ingress-nginx 10.244.1.41 ingress-nginx
add_pod_names client 10.244.1.20 default
# The addresses of examples/tutorial/*.overlay.yaml, kube-dns.yaml.
vip=10.96.0.80
dns_vip=10.96.0.10
node_lan=192.168.50.1
lb_pool=192.168.60.0/28
kserviced_pid=
nginx_pid=

# --- telling -------------------------------------------------------------

bold() { echo -e "\x1b[1m$*\x1b[0m" >&3; }
step() { echo >&3; bold "### $*"; }
# A step's story, for a person: only with --narrate.
tell() { ((!narrate)) || bold "$*"; }
show_file() {
	((narrate)) || return 0
	bold "--- ${1#"$manifests"/}"
	sed 's/^/    /' "$1" >&3
}
# Shows a command as typed at that place's prompt (node, laptop, or a
# pod), then runs it there. A pod runs it with its own resolv.conf.
on() {
	local where=$1 ns
	shift
	echo -e "\x1b[36m$where\$ $(pretty_cmd "$@")\x1b[0m" >&3
	case $where in
	node) ip netns exec $node "$@" ;;
	laptop) ip netns exec $laptop "$@" ;;
	*)
		ns=${pod_ns[$where]}
		ip netns exec "$ns" sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
			"$tmp/resolv.${pod_k8s_ns[$where]}" "$@"
		;;
	esac
}
# The command as a person would type it: words with spaces quoted, this
# run's long paths shortened.
pretty_cmd() {
	local what= w
	for w in "$@"; do
		[[ $w =~ [[:space:]\$\{\}\'] ]] && w="'$w'"
		what+="${what:+ }$w"
	done
	what=${what//$ksctl/ksctl}
	what=${what//$kserviced/kserviced}
	what=${what//$tmp/\$tmp}
	echo "$what"
}
# Prints what the last command answered, indented, for the reader.
answer() { printf '%s\n' "$1" | sed 's/^/    /' >&3; }

# --- the cluster around the tutorial --------------------------------------

cleanup() {
	set +e
	exec 2>/dev/null
	[[ -z $kserviced_pid ]] || kill $kserviced_pid
	for ns in "${pod_ns[@]}" $laptop $node; do
		ip netns pids $ns | xargs -r kill
	done
	wait
	for ns in "${pod_ns[@]}" $laptop $node; do
		ip netns del $ns
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# A pod: its own namespace on a veth to the node, one address, default
# route through the node (as a CNI plugin does).
add_pod() {
	local name=$1 ns=${pod_ns[$1]} ip=${pod_ip[$1]} dev=veth${1//[^0-9a-z]/}
	dev=${dev:0:15}
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

# An app pod: a web server on 8080 that names itself (busybox httpd: the
# lightest there is, which counts under emulation).
start_app() {
	local name=$1 ip=${pod_ip[$1]}
	mkdir -p "$tmp/www/$name"
	echo "Hello from $name ($ip)" >"$tmp/www/$name/index.html"
	ip netns exec ${pod_ns[$name]} busybox httpd -f -p $ip:8080 -h "$tmp/www/$name" \
		>"$tmp/$name.log" 2>&1 &
}

# Polls (30 s at most) until URL answers from the node.
wait_http() {
	local url=$1 end=$((SECONDS + 30))
	while ((SECONDS < end)); do
		ip netns exec $node curl -s -o /dev/null -m 5 "$url" && return 0
		sleep 0.1
	done
	echo "tutorial.sh: nothing answers at $url" >&2
	return 1
}

# The ingress controller's pod: nginx with ingress-nginx.conf, every file
# it writes in a folder of its own (the root is read-only here).
start_nginx() {
	mkdir -p "$tmp/nginx"
	ip netns exec ${pod_ns[ingress-nginx]} nginx -p "$tmp/nginx" -e stderr \
		-c "$examples/ingress-nginx.conf" >"$tmp/nginx.log" 2>&1 &
	nginx_pid=$!
}

# `ksctl dump` on the node. When ksctl cannot read the kernel it says why
# and this fails: a check must never take "could not ask" for "not
# there". Callers take the output with `x=$(kdump) || return 1`, never
# through a pipe (which would hide the failure).
kdump() {
	local out
	if ! out=$(ip netns exec $node "$ksctl" dump); then
		echo "tutorial.sh: ksctl dump failed: kservice's state unknown" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
# Field $2 of kernel service $1's line in the dump; fails when there is
# none.
service_field() {
	local dump v
	dump=$(kdump) || return 1
	v=$(awk -F'\t' -v s="$1" -v f="$2" '$1 == "service" && $2 == s { print $f }' <<<"$dump")
	[[ -n $v ]] || { echo "tutorial.sh: no kernel service $1" >&2; return 1; }
	echo "$v"
}

# Polls `ksctl dump` (60 s at most, by the clock: under load one poll can
# take seconds) until kernel service $1's line holds $2 (kserviced has
# synced); with $2 "-" until it is gone (ksctl answered without it).
# Fails at once when the kernel cannot be read.
wait_for_service() {
	local line dump end=$((SECONDS + 60))
	while ((SECONDS < end)); do
		dump=$(kdump) || return 1
		line=$(awk -F'\t' -v s="$1" '$1 == "service" && $2 == s' <<<"$dump")
		if [[ $2 == - ]]; then
			[[ -z $line ]] && return 0
		else
			[[ $line == *"$2"* ]] && return 0
		fi
		sleep 0.1
	done
	echo "tutorial.sh: kserviced did not program $1 ($2); its log:" >&2
	cat "$tmp/kserviced.log" >&2
	return 1
}

# Polls (60 s at most) until service $1 has backend address $2.
wait_for_backend() {
	local dump end=$((SECONDS + 60))
	while ((SECONDS < end)); do
		dump=$(kdump) || return 1
		awk -F'\t' -v s="$1" -v a="$2" '$1 == "backend" && $2 == s && $3 == a' <<<"$dump" |
			grep -q . && return 0
		sleep 0.1
	done
	echo "tutorial.sh: kserviced did not give $1 the backend $2; its log:" >&2
	cat "$tmp/kserviced.log" >&2
	return 1
}

# The load-balancer IP of kernel service $1 (from the dump's frontends).
lb_ip_of() {
	local fe
	fe=$(service_field "$1" 9) || return 1
	tr ',' '\n' <<<"$fe" | sed -n 's/^lb-ip=//p' | head -n1
}

# "kubectl apply": a manifest into the folder, atomically (kserviced
# reads whole files only), shown to the reader.
apply() {
	local f name
	for f in "$@"; do
		cp "$f" "$manifests/.new"
		mv "$manifests/.new" "$manifests/$(basename "$f")"
		show_file "$manifests/$(basename "$f")"
	done
}
# A step's version of my-app-service (steps/), as my-app-service.yaml.
apply_as_my_app() {
	cp "$1" "$manifests/.new"
	mv "$manifests/.new" "$manifests/my-app-service.yaml"
	tell "--- my-app-service.yaml (now $(basename "$1"))"
	((!narrate)) || sed 's/^/    /' "$manifests/my-app-service.yaml" >&3
}

# curl URL from WHERE until both pods $2 and $3 have answered (20 tries
# at most); every answer must come from one of them.
curl_until_both() {
	local where=$1 url=$2 a=$3 b=$4 i out seen=
	for ((i = 1; i <= 20; i++)); do
		out=$(on $where curl -s -m 20 "$url")
		answer "$out"
		[[ $out == "Hello from $a "* || $out == "Hello from $b "* ]]
		seen+=" ${out#Hello from }"
		if [[ $seen == *" $a "* && $seen == *" $b "* ]]; then
			return 0
		fi
	done
	echo "tutorial.sh: not both $a and $b answered at $url" >&2
	return 1
}

# Polls until NAME resolves to ADDR in pod WHERE (DNS follows the folder
# once kserviced has read it), 30 s at most; then shows it.
wait_dns() {
	local where=$1 name=$2 want=$3 end=$((SECONDS + 30))
	while ((SECONDS < end)); do
		[[ $(ip netns exec ${pod_ns[$where]} dig +short +time=5 +tries=1 \
			@$dns_vip "$name" 2>/dev/null) == *"$want"* ]] && return 0
		sleep 0.2
	done
	echo "tutorial.sh: $name does not resolve to $want" >&2
	return 1
}

# A check that reads kservice must fail when it cannot, never take that
# for "no such service": kservice unloaded (before anything uses it),
# every helper that reads the kernel fails; loaded again, they answer.
# Silent in the demo but for a failure.
check_reads_need_the_kernel() {
	local caught=0
	rmmod kservice
	[[ ! -e /sys/module/kservice ]]
	{
		kdump || caught=$((caught + 1))
		wait_for_service default/my-app-service - || caught=$((caught + 1))
		wait_for_backend default/my-app-service 10.244.1.11 || caught=$((caught + 1))
		service_field default/my-app-service 5 || caught=$((caught + 1))
	} >"$tmp/selftest" 2>&1
	insmod "$KSVC_KO"
	if ((caught != 4)); then
		cat "$tmp/selftest" >&2
		echo "tutorial.sh: without kservice, only $caught of 4 reads of the kernel failed" >&2
		return 1
	fi
	((narrate)) || pretty "" "without kservice, 4 of 4 reads of the kernel failed: $(sort -u "$tmp/selftest" | paste -sd '|')"
	wait_for_service default/my-app-service -
}

# --- the steps -------------------------------------------------------------

test_clusterip() {
	step "ClusterIP, the default"
	tell "The tutorial's ClusterIP Service, as written, with what standalone mode adds:"
	tell "its cluster IP (an Overlay) and its endpoints (the EndpointSlice controller's)."
	apply "$examples/my-app-service.yaml" "$examples/my-app-service.overlay.yaml" \
		"$examples/my-app-service-endpoints.yaml"
	wait_for_service default/my-app-service "cluster-ip=$vip"
	wait_for_backend default/my-app-service ${pod_ip[my-app-2]}
	tell "kserviced programs kservice.ko: one kernel service for the Service's port."
	on node "$ksctl" service list >&3
	tell "From a pod, the cluster IP spreads connections over both pods labelled app: my-app:"
	curl_until_both client http://$vip:80/ my-app-1 my-app-2
	tell "Nothing outside the cluster reaches it: the laptop has no route to 10.96.0.0/16."
	# curl's 7 (could not connect) at once, for want of a route: not a
	# timeout (28), which would say nothing about the route.
	local rc=0
	on laptop curl -s -v -m 20 http://$vip:80/ 2>"$tmp/err" || rc=$?
	answer "$(grep -i 'connect fail' "$tmp/err")"
	[[ $rc == 7 ]]
	grep -q 'Network is unreachable' "$tmp/err"
}

test_nodeport() {
	step "NodePort"
	tell "The NodePort step: the same Service, type NodePort, nodePort 30080."
	apply_as_my_app "$examples/steps/my-app-service.nodeport.yaml"
	wait_for_service default/my-app-service $'\ttcp\t80\t30080\t'
	on node "$ksctl" service list >&3
	tell "From the laptop, through any node's address on port 30080:"
	curl_until_both laptop http://$node_lan:30080/ my-app-1 my-app-2
}

test_loadbalancer() {
	step "LoadBalancer"
	local ip out
	tell "The LoadBalancer step: the same Service, type LoadBalancer. No cloud here:"
	tell "kserviced's --lb-ip-pool $lb_pool gives it an address, as a cloud's controller would."
	apply_as_my_app "$examples/steps/my-app-service.loadbalancer.yaml"
	wait_for_service default/my-app-service "lb-ip="
	ip=$(lb_ip_of default/my-app-service)
	[[ -n $ip ]]
	tell "kserviced says which address it gave (kubectl get svc's EXTERNAL-IP):"
	out=$(grep -F "Service default/my-app-service: load-balancer IP $ip" "$tmp/kserviced.log")
	answer "$out"
	on node "$ksctl" service list >&3
	# No nodePort in the tutorial's LoadBalancer spec, none allocated here.
	[[ $(service_field default/my-app-service 5) == 0 ]]
	tell "From the laptop, the load-balancer address:"
	curl_until_both laptop http://$ip:80/ my-app-1 my-app-2
}

test_externalname() {
	step "ExternalName"
	local out
	tell "ExternalName: my-database is a DNS alias for an outside name; nothing is proxied."
	apply "$examples/my-database.yaml"
	wait_dns client my-database.default.svc.cluster.local my-database.db.example.com
	out=$(on client dig +noall +answer my-database.default.svc.cluster.local)
	answer "$out"
	[[ $out =~ my-database\.default\.svc\.cluster\.local\.[[:space:]]+[0-9]+[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+my-database\.db\.example\.com\. ]]
	tell "By its short name, through the pod's search path:"
	out=$(on client dig +search +noall +answer my-database)
	answer "$out"
	[[ $out == *CNAME*my-database.db.example.com.* ]]
	# No kernel service for it.
	wait_for_service default/my-database -
}

test_dns() {
	step "Service discovery via DNS"
	local out
	tell "Service discovery by DNS: kserviced answers for cluster.local behind kube-dns ($dns_vip);"
	tell "the pod's resolv.conf, as kubelet writes it:"
	((!narrate)) || sed 's/^/    /' "$tmp/resolv.default" >&3
	wait_dns client my-app-service.default.svc.cluster.local $vip
	out=$(on client getent hosts my-app-service)
	answer "$out"
	[[ $out == "$vip "*my-app-service* ]]
	tell "From a pod in the same namespace, by the Service's name:"
	out=$(on client curl -s -m 20 http://my-app-service:80)
	answer "$out"
	[[ $out == "Hello from my-app-"* ]]
	tell "And fully qualified:"
	out=$(on client curl -s -m 20 http://my-app-service.default.svc.cluster.local)
	answer "$out"
	[[ $out == "Hello from my-app-"* ]]
	tell "A pod of another namespace (the ingress controller's) needs the namespace in the name:"
	# getent's 2 is "not found", also what an unreachable server gives:
	# the server's own answer for the name the search path makes
	# (NXDOMAIN, it is authoritative for cluster.local) is the proof.
	local rc=0
	on ingress-nginx getent hosts my-app-service || rc=$?
	[[ $rc == 2 ]]
	answer "(not found: ingress-nginx's search path has my-app-service.ingress-nginx.svc.cluster.local)"
	out=$(ip netns exec ${pod_ns[ingress-nginx]} dig +time=5 +tries=2 @$dns_vip \
		my-app-service.ingress-nginx.svc.cluster.local)
	[[ $out == *"status: NXDOMAIN"* ]]
	out=$(on ingress-nginx getent hosts my-app-service.default)
	answer "$out"
	[[ $out == "$vip "* ]]
}

test_ingress() {
	step "Ingress, smart HTTP routing"
	local ip out
	tell "The Ingress: one load balancer, two hosts. An ingress controller (nginx, in its pod)"
	tell "serves the Ingress's rules; to kservice it is a LoadBalancer Service like any other."
	tell "The two Services it routes to, api-service and frontend-service: ClusterIP Services like"
	tell "my-app-service, with their cluster IPs (overlays) and pods (EndpointSlices):"
	narrate=0 apply "$examples/api-service.yaml" "$examples/api-service.overlay.yaml" \
		"$examples/api-service-endpoints.yaml" "$examples/frontend-service.yaml" \
		"$examples/frontend-service.overlay.yaml" "$examples/frontend-service-endpoints.yaml" \
		"$examples/ingress-nginx.overlay.yaml" "$examples/ingress-nginx-endpoints.yaml"
	tell "The ingress controller's Service and the tutorial's Ingress:"
	apply "$examples/ingress-nginx.yaml" "$examples/my-ingress.yaml"
	tell "kserviced ignores the Ingress itself (layer 7 is the controller's); nginx's configuration"
	tell "has its two rules, the Services by their DNS names (examples/tutorial/ingress-nginx.conf):"
	((!narrate)) || sed -n '/rules\[0\]/,/# Any other host/p' "$examples/ingress-nginx.conf" |
		sed -e '$d' -e 's/^/    /' >&3
	tell "(started with the pods: ingress-nginx\$ nginx -p DIR -e stderr -c examples/tutorial/ingress-nginx.conf)"
	wait_for_service ingress-nginx/ingress-nginx-controller:http "lb-ip="
	wait_for_service default/api-service "cluster-ip=10.96.0.81"
	wait_for_service default/frontend-service "cluster-ip=10.96.0.82"
	ip=$(lb_ip_of ingress-nginx/ingress-nginx-controller:http)
	[[ -n $ip ]]
	out=$(grep -F "Service ingress-nginx/ingress-nginx-controller: load-balancer IP $ip" \
		"$tmp/kserviced.log")
	answer "$out"
	on node "$ksctl" service list >&3
	wait_dns ingress-nginx api-service.default.svc.cluster.local 10.96.0.81
	wait_dns ingress-nginx frontend-service.default.svc.cluster.local 10.96.0.82
	tell "From the laptop, to the ingress's address, by host:"
	out=$(on laptop curl -s -m 20 -H 'Host: api.example.com' http://$ip/)
	answer "$out"
	[[ $out == "Hello from api-1 "* ]]
	out=$(on laptop curl -s -m 20 -H 'Host: app.example.com' http://$ip/)
	answer "$out"
	[[ $out == "Hello from frontend-1 "* ]]
	tell "Any other host has no rule:"
	out=$(on laptop curl -s -m 20 -o /dev/null -w '%{http_code}' -H 'Host: www.example.com' http://$ip/)
	answer "$out"
	[[ $out == 404 ]]
	# nginx reached them through kservice: the services counted it.
	(($(service_field default/api-service 11) >= 1))
	(($(service_field default/frontend-service 11) >= 1))
}

test_pods_move() {
	step "Pods come and go, the Service stays"
	local out
	tell "Pods are ephemeral: my-app-1 goes, my-app-3 takes its place with a new address."
	ip netns pids ${pod_ns[my-app-1]} | xargs -r kill
	add_pod my-app-3
	start_app my-app-3
	wait_http http://${pod_ip[my-app-3]}:8080/
	tell "The EndpointSlice controller would rewrite the slice; here the file is edited:"
	sed "s/${pod_ip[my-app-1]}/${pod_ip[my-app-3]}/" "$examples/my-app-service-endpoints.yaml" \
		>"$manifests/.new"
	mv "$manifests/.new" "$manifests/my-app-service-endpoints.yaml"
	wait_for_backend default/my-app-service ${pod_ip[my-app-3]}
	curl_until_both client http://my-app-service/ my-app-2 my-app-3
	tell "The same name, the same address ($vip), all along."
	on node "$ksctl" stats >&3
}

# --- setup -------------------------------------------------------------------

bold "### A node running kservice, the tutorial's pods, and a laptop outside"
ip netns add $node
ip -n $node link set lo up
check_reads_need_the_kernel
ip netns exec $node sysctl -qw net.ipv4.ip_forward=1
# The service range is routed into a dummy device, as kube-proxy's IPVS
# mode does with kube-ipvs0, so the node itself can reach cluster IPs.
ip -n $node link add kube-svc0 type dummy
ip -n $node link set kube-svc0 up
ip -n $node route add 10.96.0.0/16 dev kube-svc0
for p in my-app-1 my-app-2 api-1 frontend-1 ingress-nginx client; do
	add_pod $p
done
ip netns add $laptop
ip link add ext netns $node type veth peer name eth0 netns $laptop
ip -n $node addr add $node_lan/24 dev ext
ip -n $node link set ext up
ip -n $laptop link set lo up
ip -n $laptop addr add 192.168.50.2/24 dev eth0
ip -n $laptop link set eth0 up
# The LAN's router sends the load-balancer pool to the node (MetalLB's
# layer 2 mode would answer ARP for it instead).
ip -n $laptop route add $lb_pool via $node_lan

# Each pod's resolv.conf, as kubelet writes it for its namespace. The
# host's may be a link into /run (systemd-resolved), which is empty here.
resolv=$(readlink -f /etc/resolv.conf)
if [[ ! -e $resolv ]]; then
	mkdir -p "$(dirname "$resolv")"
	: >"$resolv"
fi
for k8s_ns in default ingress-nginx; do
	printf 'search %s.svc.cluster.local svc.cluster.local cluster.local\nnameserver %s\noptions ndots:5\n' \
		$k8s_ns $dns_vip >"$tmp/resolv.$k8s_ns"
done

for p in my-app-1 my-app-2 api-1 frontend-1; do
	start_app $p
done
start_nginx
for p in my-app-1 my-app-2 api-1 frontend-1; do
	wait_http http://${pod_ip[$p]}:8080/
done
wait_http http://${pod_ip[ingress-nginx]}:80/
tell "Pods: my-app-1 ${pod_ip[my-app-1]} and my-app-2 ${pod_ip[my-app-2]} (app: my-app), api-1 ${pod_ip[api-1]},"
tell "frontend-1 ${pod_ip[frontend-1]} (busybox httpd on 8080), the ingress controller ${pod_ip[ingress-nginx]}"
tell "(nginx on 80), a client pod ${pod_ip[client]}; the laptop 192.168.50.2 outside."

# kserviced follows a folder: the cluster's DNS Service is there from the
# start, the tutorial's manifests come step by step.
mkdir -p "$manifests"
cp "$examples/kube-dns.yaml" "$manifests/"
echo -e "\x1b[36mnode\$ kserviced --manifests \$tmp/manifests --lb-ip-pool $lb_pool --dns-bind 10.244.1.1:53 --min-sync-period 0 &\x1b[0m" >&3
ip netns exec $node "$kserviced" --manifests "$manifests" --lb-ip-pool $lb_pool \
	--dns-bind 10.244.1.1:53 --min-sync-period 0 -v 2 >"$tmp/kserviced.log" 2>&1 &
kserviced_pid=$!
wait_for_service kube-system/kube-dns:dns "cluster-ip=$dns_vip"

for step in clusterip nodeport loadbalancer externalname dns ingress pods_move; do
	scenario $step
done

echo >&3
if ((failed)); then
	bold "tutorial: $passed passed, $failed failed: ${failures[*]}"
	echo "--- kserviced's log" >&3
	cat "$tmp/kserviced.log" >&3
	echo "--- nginx's log" >&3
	cat "$tmp/nginx.log" >&3
	exit 1
fi
bold "tutorial: $passed passed, every step of the tutorial works on kservice"
