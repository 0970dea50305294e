#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmark, run as root inside the VM (tests/e2e/vm.sh): the same N
# services programmed four ways, each way in its own set of namespaces (a
# node, a client pod, four server pods; the same addresses in every set),
# and the same traffic through each. The four are loaded one after the
# other (each load timed and its kernel memory measured alone), then the
# traffic runs in rounds, one run per way per round, the order turning
# each round, so that whatever else the machine does falls on all four
# alike; then the changes; then all four are cleared. Results go to the
# console as lines
#
#   KSVC-BENCH <record> key=value...
#
# which tests/bench/report.py turns into docs/bench/. The service sets come
# from gen.py, run on the host before the VM boots, in $BENCH_GEN/N/.
#
# One set of namespaces (WAY: ks, ipt, nft, ipvs):
# ┌──────────────────────┐ ┌────────────────────────────────────────────────┐
# │ bn-WAY-client        │ │ bn-WAY-srv0..3: benchsrv on 0.0.0.0:8080        │
# │ eth0 10.244.100.2/24 │ │ eth0 10.244.20s.2/24, local route               │
# │ connload             │ │ 10.244.(16s).0/20 dev lo (4,000 endpoints each) │
# └──────────┬───────────┘ └──────────┬─────────────────────────────────────┘
#            │ veth                   │ veth (one per server)
# ┌──────────┴────────────────────────┴─────────────────────────────────────┐
# │ bn-WAY-node: forwarding; kservice | iptables-nft | nftables | IPVS      │
# │ 10.244.100.1/24, 10.244.20s.1/24, 10.244.(16s).0/20 via 10.244.20s.2    │
# └─────────────────────────────────────────────────────────────────────────┘
#
#   bench.sh [--n "100 1000"] [--modes "kservice iptables nftables ipvs"]
#            [--secs S] [--lat-secs S] [--warmup S] [--reps R] [--change-reps R]
#            [--conc C] [--mode-timeout S]
#            [--check] [--perf]
#
# --check: exit non-zero when any mode fails to program, or any counted
# connection of any mode was not answered by one of its service's endpoints.
# --perf: also profile each way's load and traffic (perf record -a -g over a
# second load and one more rate run, neither counted) and print the top of
# the reports.

set -eE
exec 3>&1
export LANG=C LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ksctl=${KSCTL:-$repo/daemon/ksctl/ksctl}
gen=${BENCH_GEN:-$here/out/gen}
ns_list="100"
modes="kservice iptables nftables ipvs"
secs=5
lat_secs=2
warmup=1
reps=3
change_reps=3
conc=16
mode_timeout=900
check=0
perf=0
while (($#)); do
	case $1 in
	--n) ns_list=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--secs) secs=$2; shift 2 ;;
	--lat-secs) lat_secs=$2; shift 2 ;;
	--warmup) warmup=$2; shift 2 ;;
	--reps) reps=$2; shift 2 ;;
	--change-reps) change_reps=$2; shift 2 ;;
	--conc) conc=$2; shift 2 ;;
	--mode-timeout) mode_timeout=$2; shift 2 ;;
	--check) check=1; shift ;;
	--perf) perf=1; shift ;;
	*) echo "bench.sh: unknown argument $1"; exit 2 ;;
	esac
done
for tool in "$ksctl" "$here/connload" "$here/benchsrv" "$here/kstime"; do
	[[ -x $tool ]] || { echo "bench.sh: $tool is missing (make bench builds it)"; exit 1; }
done

declare -A short=([kservice]=ks [iptables]=ipt [nftables]=nft [ipvs]=ipvs)
for mode in $modes; do
	[[ -n ${short[$mode]} ]] || { echo "bench.sh: unknown mode $mode"; exit 2; }
done
tmp=$(mktemp -d)
problems=()

say() { echo -e "\x1b[34m\x1b[1m=== $*\x1b[0m" >&3; }
rec() { echo "KSVC-BENCH $*"; }
# $node and $client are those of the way at hand (use_way).
n0() { ip netns exec $node "$@"; }
use_way() {
	node=bn-${short[$1]}-node
	client=bn-${short[$1]}-client
}
usec() { echo "${EPOCHREALTIME/./}"; }
# Wall time of a command in seconds (6 decimals), into $took; the command's
# status is returned.
timed() {
	local t0 t1 rc=0
	t0=$(usec)
	"$@" || rc=$?
	t1=$(usec)
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e6 }')
	return $rc
}

cleanup() {
	set +eE
	trap - ERR
	for ns in $(ip netns list | awk '$1 ~ /^bn-/ { print $1 }'); do
		ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null
	done
	wait 2>/dev/null
	for ns in $(ip netns list | awk '$1 ~ /^bn-/ { print $1 }'); do
		ip netns del $ns 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo -e "\x1b[31m\x1b[1m[!] failed at line $LINENO: $BASH_COMMAND\x1b[0m" >&3' ERR

# ---- the modules of the four ways ---------------------------------------------
# guest.sh loaded conntrack, NAT, veth and dummy, and kservice.ko. iptables
# is measured with the nft backend (iptables-nft, Debian's default, as
# kube-proxy on a Debian host uses it), so no legacy x_tables table is ever
# instantiated.
mods="nf_tables nft_compat nft_chain_nat nft_nat nft_numgen nft_ct nft_masq
      nft_fib_ipv4 nft_reject_ipv4 nft_reject_inet xt_statistic xt_comment xt_mark
      xt_conntrack xt_addrtype xt_nat xt_MASQUERADE xt_tcpudp ip_vs ip_vs_rr"
for m in $mods; do
	/run/ksvc/modprobe "$m" 2>/dev/null || grep -qw "$m" /lib/modules/"$(uname -r)"/modules.builtin 2>/dev/null ||
		echo "bench.sh: module $m not loaded (built in?)" >&3
done
# Room for every connection of a run in conntrack, whatever the mode.
sysctl -qw net.netfilter.nf_conntrack_max=1048576

# ---- namespaces -----------------------------------------------------------------
way_setup() {
	local s ns
	use_way $1
	ip netns add $node
	ip netns add $client
	ip -n $node link set lo up
	n0 sysctl -qw net.ipv4.ip_forward=1
	ip link add eth0 netns $client type veth peer name client netns $node
	ip -n $client link set lo up
	ip -n $client addr add 10.244.100.2/24 dev eth0
	ip -n $client link set eth0 up
	ip -n $client route add default via 10.244.100.1
	ip netns exec $client sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
	ip -n $node addr add 10.244.100.1/24 dev client
	ip -n $node link set client up
	for s in 0 1 2 3; do
		ns=bn-${short[$1]}-srv$s
		ip netns add $ns
		ip link add eth0 netns $ns type veth peer name srv$s netns $node
		ip -n $ns link set lo up
		ip -n $ns addr add 10.244.20$s.2/24 dev eth0
		ip -n $ns link set eth0 up
		ip -n $ns route add default via 10.244.20$s.1
		ip -n $ns route add local 10.244.$((16 * s)).0/20 dev lo
		ip netns exec $ns sysctl -qw net.ipv4.tcp_max_syn_backlog=8192 net.core.somaxconn=8192
		ip -n $node addr add 10.244.20$s.1/24 dev srv$s
		ip -n $node link set srv$s up
		ip -n $node route add 10.244.$((16 * s)).0/20 via 10.244.20$s.2
		ip netns exec $ns "$here/benchsrv" 8080 >"$tmp/$ns.log" 2>&1 &
	done
	for s in 0 1 2 3; do
		ns=bn-${short[$1]}-srv$s
		for ((i = 0; i < 100; i++)); do
			grep -q listening "$tmp/$ns.log" && break
			sleep 0.05
		done
		grep -q listening "$tmp/$ns.log" || { echo "bench.sh: benchsrv in $ns did not start"; exit 1; }
	done
}
for mode in $modes; do
	way_setup $mode
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
rec meta "kernel=$(uname -r)" "cpus=$(nproc)" "mem_kb=$(awk '/MemTotal/ { print $2 }' /proc/meminfo)" \
	"secs=$secs" "lat_secs=$lat_secs" "warmup=$warmup" "reps=$reps" "conc=$conc" "guest_cpu=${cpu// /_}"

# ---- each way: load, unload, change -------------------------------------------

load_kservice() { n0 "$ksctl" restore <"$1/ksctl.txt"; }
change_kservice() { n0 "$ksctl" restore <"$1/ksctl-$2.txt"; }
clear_kservice() { n0 "$ksctl" flush; }

load_iptables() { n0 iptables-nft-restore <"$1/ipt.txt"; }
change_iptables() { n0 iptables-nft-restore --noflush <"$1/ipt-$2.txt"; }
clear_iptables() { n0 nft flush ruleset; }

load_nftables() { n0 nft -f "$1/nft.txt"; }
change_nftables() { n0 nft -f "$1/nft-$2.txt"; }
clear_nftables() { n0 nft flush ruleset; }

# kube-proxy's IPVS mode: the cluster IPs on the kube-ipvs0 dummy, a virtual
# server each. Its iptables/ipset rules only masquerade traffic from outside
# the cluster CIDR, which this benchmark does not send: left out.
load_ipvs() {
	n0 sysctl -qw net.ipv4.vs.conntrack=1 net.ipv4.vs.conn_reuse_mode=0 \
		net.ipv4.vs.expire_nodest_conn=1 net.ipv4.vs.expire_quiescent_template=1 &&
	ip -n $node link add kube-ipvs0 type dummy &&
	ip -n $node -batch "$1/ipvs-addrs.txt" &&
	n0 ipvsadm --restore <"$1/ipvs.txt"
}
change_ipvs() { n0 ipvsadm --restore <"$1/ipvs-$2.txt"; }
clear_ipvs() { n0 ipvsadm -C; ip -n $node link del kube-ipvs0 2>/dev/null || true; }
# timed, for a function, stopped after $mode_timeout seconds (timeout(1)
# runs programs only, and a bash around the function would be timed too).
# Only the function is timed: the watchdog is started after the clock and
# taken down after it stops.
timed_bounded() {
	local pid wd t0 t1 rc=0
	t0=$(usec)
	"$@" &
	pid=$!
	{ sleep "$mode_timeout"; pkill -P $pid; kill $pid; } 2>/dev/null &
	wd=$!
	wait $pid || rc=$?
	t1=$(usec)
	{ pkill -P $wd; kill $wd; wait $wd; } 2>/dev/null || true
	took=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e6 }')
	return $rc
}

# Kernel memory (kB) as /proc/meminfo says it.
meminfo() { awk '/^(Slab|SUnreclaim|VmallocUsed|Percpu):/ { printf "%s=%s ", $1, $2 }' /proc/meminfo | tr -d :; }
# Before a measurement: no connections left, caches dropped, RCU-freed
# objects of the previous way given back, then the tools of the way to be
# timed read once, so that their start is not a cold read over 9p.
settle() {
	n0 conntrack -F >/dev/null 2>&1 || true
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	case $1 in
	kservice) n0 "$ksctl" --version ;;
	iptables) n0 iptables-nft-restore --version ;;
	nftables) n0 nft --version ;;
	ipvs) n0 ipvsadm --version; ip -n $node -batch /dev/null ;;
	esac >/dev/null 2>&1
}
mem_delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		for (i in x) { split(x[i], p, "="); before[p[1]] = p[2] }
		for (i in y) { split(y[i], p, "="); printf "%s_kb=%d ", p[1], p[2] - before[p[1]] }
	}'
}

# Every counted connection answered by one of its service's endpoints.
check_out() {
	local what=$1 out=" $2 " started answered
	started=$(sed 's/.* started=\([0-9]*\) .*/\1/' <<<"$out")
	answered=$(sed 's/.* answered=\([0-9]*\) .*/\1/' <<<"$out")
	if [[ $out != *" wrong=0 failed=0 "* || $started != "$answered" || $started == 0 ]]; then
		problems+=("$what: not every connection reached a backend:$out")
	fi
}

perf_top() {
	echo "----- perf $1 -----"
	perf report -q -i "$tmp/perf.data" --stdio --no-children --percent-limit 0.7 \
		--sort dso,sym -g none 2>/dev/null | grep -v '\] 0x0000' | head -n 40
	echo "----- perf $1 (callers) -----"
	perf report -q -i "$tmp/perf.data" --stdio --children --percent-limit 3 \
		--sort sym -g none 2>/dev/null | grep -v '\] 0x0000' | head -n 50
	echo "----- perf $1 (by module) -----"
	perf report -q -i "$tmp/perf.data" --stdio --no-children --percent-limit 0.1 \
		--sort dso -g none 2>/dev/null | head -n 20
	echo "----- perf $1 (netfilter, NAT, IPVS, kservice symbols) -----"
	perf report -q -i "$tmp/perf.data" --stdio --no-children --percent-limit 0.02 \
		--sort sym -g none 2>/dev/null |
		grep -E 'ksvc|ip_vs|nf_nat|nf_conntrack|nf_ct|nf_hook|nft_|nf_confirm|helper' | head -n 40
}

# Loads N services the way $mode into its node, alone: timed, its kernel
# memory measured. Returns non-zero when the way is out of this N.
load_way() {
	local mode=$1 n=$2 dir=$tmp/gen before after
	use_way $mode
	say "$mode: loading $n services"
	settle $mode
	before=$(meminfo)
	if ! timed_bounded "load_$mode" "$dir"; then
		rec load "mode=$mode" "n=$n" "secs=$took" "ok=0"
		problems+=("$mode/$n: loading failed or took over ${mode_timeout}s")
		"clear_$mode" >/dev/null 2>&1 || true
		return 1
	fi
	rec load "mode=$mode" "n=$n" "secs=$took" "ok=1"
	sleep 1
	after=$(meminfo)
	rec mem "mode=$mode" "n=$n" $(mem_delta "$before" "$after")
	if [[ $mode == kservice ]]; then
		rec kservice_mem "n=$n" "$(n0 "$ksctl" config show | awk -F': *' '$1 == "memory" { print "bytes=" $2 }')"
	fi
	if ((perf)); then
		# The load again, profiled: cleared, then loaded under perf.
		"clear_$mode" "$dir" >/dev/null 2>&1
		perf record -q -a -g -o "$tmp/perf.data" -- bash -c \
			"$(declare -f n0 "load_$mode"); node=$node ksctl=$ksctl load_$mode $dir" >/dev/null 2>&1
		perf_top "load $mode $n"
	fi
}

# One round of traffic through $mode: a rate run, then a latency run.
traffic() {
	local mode=$1 n=$2 r=$3 dir=$tmp/gen out
	use_way $mode
	out=$(ip netns exec $client "$here/connload" -f "$dir/targets.txt" \
		-t "$secs" -w "$warmup" -c "$conc")
	rec conn "mode=$mode" "n=$n" "rep=$r" "conc=$conc" $out
	n0 conntrack -F >/dev/null 2>&1 || true
	check_out "$mode/$n rep $r (rate)" "$out"
	# First-packet latency without queueing: one connection at a time.
	out=$(ip netns exec $client "$here/connload" -f "$dir/targets.txt" \
		-t "$lat_secs" -w "$warmup" -c 1)
	rec lat "mode=$mode" "n=$n" "rep=$r" "conc=1" $out
	n0 conntrack -F >/dev/null 2>&1 || true
	check_out "$mode/$n rep $r (latency)" "$out"
	if ((perf && r == 0)); then
		perf record -q -a -g -o "$tmp/perf.data" -- ip netns exec $client \
			"$here/connload" -f "$dir/targets.txt" -t "$secs" -w 0 -c "$conc" >/dev/null 2>&1
		perf_top "traffic $mode $n"
		n0 conntrack -F >/dev/null 2>&1 || true
	fi
}

# The change, back and forth: $change_reps times, each timed.
changes() {
	local mode=$1 n=$2 dir=$tmp/gen r way
	use_way $mode
	for ((r = 0; r < change_reps; r++)); do
		way=change
		((r % 2 == 0)) || way=back
		if timed_bounded "change_$mode" "$dir" $way; then
			rec change "mode=$mode" "n=$n" "rep=$r" "secs=$took" "ok=1"
		else
			rec change "mode=$mode" "n=$n" "rep=$r" "secs=$took" "ok=0"
			problems+=("$mode/$n: the change failed")
			break
		fi
	done
	# kservice's change once more, timed inside the process (kstime, over
	# libksvc): the request itself, without a program's start.
	if [[ $mode == kservice ]]; then
		for ((r = 0; r < change_reps; r++)); do
			way=change
			((r % 2 == 0)) || way=back
			out=$(n0 "$here/kstime" $(cut -d' ' -f3- "$dir/ksctl-$way.txt")) ||
				problems+=("kservice/$n: kstime failed")
			rec change_inproc "mode=kservice" "n=$n" "rep=$r" $out
		done
	fi
}

for n in $ns_list; do
	src=$gen/$n
	[[ -f $src/ready ]] || { echo "bench.sh: no generated set in $src (gen.py $n $src)"; exit 1; }
	# Read from tmpfs, not 9p: loading times are the tools', not the share's.
	rm -rf "$tmp/gen"
	cp -r "$src" "$tmp/gen"
	loaded=()
	for mode in $modes; do
		load_way $mode $n && loaded+=($mode)
	done
	# Rounds: every loaded way once per round, starting one further on
	# each time.
	for ((r = 0; r < reps; r++)); do
		say "$n services: round $((r + 1)) of $reps"
		for ((i = 0; i < ${#loaded[@]}; i++)); do
			traffic ${loaded[(i + r) % ${#loaded[@]}]} $n $r
		done
	done
	for mode in "${loaded[@]}"; do
		changes $mode $n
	done
	for mode in "${loaded[@]}"; do
		use_way $mode
		timed "clear_$mode" "$tmp/gen" >/dev/null 2>&1 || true
		rec clear "mode=$mode" "n=$n" "secs=$took"
	done
	if [[ " $modes " == *" kservice "* ]]; then
		# The target's own case: N services of 10 endpoints each.
		use_way kservice
		settle kservice
		if timed n0 "$ksctl" restore <"$tmp/gen/ksctl10.txt"; then
			rec load10 "mode=kservice" "n=$n" "secs=$took" "ok=1"
		else
			rec load10 "mode=kservice" "n=$n" "secs=$took" "ok=0"
			problems+=("kservice/$n: loading 10 endpoints each failed")
		fi
		n0 "$ksctl" flush
		# The same input parsed only (a bad last line: nothing is sent):
		# what of the load is ksctl's own work under emulation.
		{ cat "$tmp/gen/ksctl10.txt"; echo frob; } >"$tmp/parse10.txt"
		timed n0 "$ksctl" restore <"$tmp/parse10.txt" 2>/dev/null || true
		rec parse10 "mode=kservice" "n=$n" "secs=$took"
	fi
	# What starting each tool costs here (ip netns exec, exec, dynamic
	# linking: most of a small change under emulation), the same way.
	use_way ${loaded[0]:-kservice}
	for tool in "$ksctl" iptables-nft-restore nft ipvsadm; do
		for ((r = 0; r < change_reps; r++)); do
			timed n0 "$tool" --version >/dev/null
			rec exec "tool=${tool##*/}" "n=$n" "rep=$r" "secs=$took"
		done
	done
done

if ((${#problems[@]})); then
	printf 'bench.sh: %s\n' "${problems[@]}"
	((check)) && exit 1
fi
echo "bench.sh: done"
