#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the guest, inside the host's root (see initramfs-init): load the
# modules, run the test script, tear everything down, dump the kernel log,
# print the result marker the host looks for, and stop the VM with the status
# on isa-debug-exit.
#
# The teardown runs after every script, passed or failed, so that what the
# kernel does once a test is over is judged too: network namespaces are torn
# down asynchronously (cleanup_net, on a workqueue), and a splat there comes
# after the script has ended. It kills every process the script left, aborts
# TCP connections left behind, deletes every network namespace, waits until
# the kernel has finished destroying them, scans for leaks (kmemleak, where the kernel has it), unloads every
# out-of-tree module, and only then reads the kernel log. Each wait is
# bounded by KSVC_TEARDOWN_TIMEOUT: a teardown that does not finish, a module
# that does not unload, a process that does not die or a leak of one of the
# out-of-tree modules fails the run.

. /run/ksvc/config
: "${KSVC_TEARDOWN_TIMEOUT:=60}"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8
exec </dev/null >/dev/console 2>&1

uptime() { cut -d' ' -f1 /proc/uptime; }
t_init=$(uptime)

# isa-debug-exit turns the byte written at 0xf4 into qemu's exit status
# (byte << 1 | 1); powering off is the fallback when that port is missing
# (then the host goes by the marker alone), and sysrq the fallback of that.
finish() {
	local status=$1
	printf "\\x$(printf %02x "$status")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 10
}

result() {
	local rc=$1 why=$2 t_end
	t_end=$(uptime)
	echo "----- dmesg begin -----"
	dmesg
	echo "----- dmesg end -----"
	printf 'KSVC-E2E-TIMES: boot %.1fs, setup %.1fs, script %.1fs%s\n' \
		"$t_init" "$(echo "${t_script:-$t_end} - $t_init" | awk '{ print $1 - $3 }')" \
		"$(echo "${t_teardown:-$t_end} - ${t_script:-$t_end}" | awk '{ print $1 - $3 }')" \
		"${t_teardown:+$(echo "$t_end - $t_teardown" | awk '{ printf ", teardown %.1fs", $1 - $3 }')}"
	if ((rc == 0)); then
		echo "KSVC-E2E-RESULT: PASS"
		finish 0
	else
		echo "KSVC-E2E-RESULT: FAIL: $why"
		finish 1
	fi
}

# ---- Teardown ------------------------------------------------------------------

# What went wrong, in the order found; the run fails when this is not empty.
why=()
teardown_fail() {
	echo "guest: teardown: $*"
	why+=("teardown: $*")
}
# Each wait of the teardown is bounded by KSVC_TEARDOWN_TIMEOUT seconds.
start_wait() { local t=${EPOCHREALTIME/./}; deadline=$((t / 1000 + KSVC_TEARDOWN_TIMEOUT * 1000)); }
before_deadline() { local t=${EPOCHREALTIME/./}; ((t / 1000 < deadline)); }

# User processes other than this one, as "PID:COMM:STATE" words in $procs.
# Kernel threads (PF_KTHREAD) and zombies hold nothing.
list_procs() {
	local d stat state flags comm
	procs=()
	for d in /proc/[0-9]*; do
		[[ $d != /proc/1 ]] || continue
		read -r stat 2>/dev/null <"$d/stat" || continue
		read -r state _ _ _ _ _ flags _ <<<"${stat##*) }"
		((flags & 0x200000)) && continue
		[[ $state != [ZX] ]] || continue
		comm=${stat#*(}
		procs+=("${d#/proc/}:${comm%)*}:$state")
	done
}

# Everything the script left running (kill(-1) spares only PID 1, this
# shell): SIGTERM, a moment to exit, then SIGKILL. One that still lives is
# stuck in the kernel.
kill_leftovers() {
	local i
	list_procs
	((${#procs[@]})) || return 0
	echo "guest: teardown: stopping what the script left running: ${procs[*]}"
	name_netns
	start_wait
	kill -TERM -1 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		list_procs
		((${#procs[@]})) || return 0
		sleep 0.1
	done
	kill -KILL -1 2>/dev/null
	while list_procs && ((${#procs[@]})) && before_deadline; do
		sleep 0.1
	done
	((${#procs[@]} == 0)) || teardown_fail "processes that would not die: ${procs[*]}"
}

# A name for every network namespace a leftover process is in, taken
# before the processes go, so that their sockets can still be reached.
name_netns() {
	local p pid ns init seen=" "
	init=$(readlink /proc/1/ns/net)
	for p in "${procs[@]}"; do
		pid=${p%%:*}
		ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null) || continue
		[[ $ns != "$init" && $seen != *" $ns "* ]] || continue
		seen+="$ns "
		ip netns attach "teardown-$pid" "$pid" 2>/dev/null
	done
}

# TCP sockets whose process is gone but whose connection is not (FINs
# retransmitted across a path the script already took down) hold their
# namespace for minutes: ordinary TCP, not what the barrier is after. Those
# in a namespace still named are aborted (SOCK_DESTROY), and any other one
# is aborted by the kernel at its next retransmission: the orphan limit is
# global.
abort_tcp() {
	local ns n
	echo 0 >/proc/sys/net/ipv4/tcp_max_orphans
	for ns in $(ip netns list | awk '{ print $1 }'); do
		n=$(ss -N "$ns" -K -t -a -n -H 2>/dev/null | wc -l)
		((n == 0)) || echo "guest: teardown: aborted $n TCP sockets in $ns"
	done
}

# Named namespaces (/run/netns) and any other nsfs bind mount; namespaces
# held only by processes went with them.
delete_netns() {
	local mnt
	ip -all netns delete >/dev/null 2>&1
	for mnt in $(awk '{ for (i = 7; i < NF && $i != "-"; i++); if ($(i + 1) == "nsfs") print $5 }' /proc/self/mountinfo); do
		umount -l "$mnt" 2>/dev/null
	done
	ip -all netns delete >/dev/null 2>&1
	[[ -z $(ip netns list 2>/dev/null) ]] || teardown_fail "cannot delete network namespaces: $(ip netns list | tr '\n' ' ')"
}

# Whether every network namespace but the first is gone, destroyed to the
# end. The kernel counts the namespaces each user made (a ucount) and drops
# one from the count at the very end of cleanup_net(), after every pernet
# exit and an rcu_barrier(). With the limit at 1, making a namespace works
# only when the count is 0: an exact barrier, and the probe's own empty
# namespace goes the same way (rmmod below waits for it). The
# net_namespace slab would not do: 6.1 frees a struct net only in the next
# cleanup round.
netns_max=/proc/sys/user/max_net_namespaces
netns_settled() {
	local max rc=0 limit=${1:-1}
	read -r max <$netns_max
	echo "$limit" >$netns_max || return 2
	unshare --net true 2>/dev/null || rc=1
	echo "$max" >$netns_max
	return $rc
}
# Orphaned TCP sockets, kernel-wide (/proc/net/sockstat), in $orphans.
count_orphans() {
	local proto rest
	orphans=0
	while read -r proto rest; do
		[[ $proto == TCP: ]] || continue
		set -- $rest
		orphans=${4:-0}
	done </proc/net/sockstat
}
# An orphan no longer reachable (its namespace deleted by the script) is
# aborted at its next retransmission, within TCP_RTO_MAX (120 s): while there
# are orphans, the wait goes on, for at most 130 s; then the bound applies.
wait_netns_gone() {
	local t0=${EPOCHREALTIME/./} now cap most=0
	cap=$((t0 / 1000 + 130000))
	start_wait
	until netns_settled; do
		count_orphans
		now=${EPOCHREALTIME/./}
		now=$((now / 1000))
		if ((orphans && now < cap)); then
			((orphans > most)) && most=$orphans
			start_wait
		elif ! before_deadline; then
			((orphans == 0)) || orphans=" ($orphans orphaned TCP sockets)"
			teardown_fail "network namespaces still being destroyed after ${KSVC_TEARDOWN_TIMEOUT}s${orphans#0} (blocked tasks below, sysrq-w)"
			echo w >/proc/sysrq-trigger
			return 1
		fi
		sleep 0.1
	done
	((most == 0)) || echo "guest: teardown: waited $(((${EPOCHREALTIME/./} - t0) / 1000000)) s for $most orphaned TCP sockets" \
		"(connections left across a broken path; ss -K in a namespace before deleting it spares this wait)"
}

# Our modules and kmemleak's filter for them: tests/e2e/kmemleak.sh.
. "$KSVC_REPO/tests/e2e/kmemleak.sh"
kmemleak_ours() {
	local pass=$1 seen=$2
	ksvc_kmemleak_scan 2 "$seen" >/run/ksvc/kmemleak.$pass ||
		{ teardown_fail "kmemleak is present but does not scan"; return 1; }
	[[ -s /run/ksvc/kmemleak.$pass ]] || return 0
	teardown_fail "kmemleak: $(grep -c '^unreferenced object' /run/ksvc/kmemleak.$pass) unreferenced objects of ${ours[*]} ($pass unload):"
	sed 's/^/    /' /run/ksvc/kmemleak.$pass
}

# rmmod in the background, so that one stuck in the kernel cannot hold the
# VM past the deadline.
running() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	read -r stat _ <<<"${stat##*) }"
	[[ $stat != [ZX] ]]
}
unload_ours() {
	local m pid
	unloaded=()
	for m in "${ours[@]}"; do
		[[ -e /sys/module/$m ]] || continue
		start_wait
		rmmod "$m" >/run/ksvc/rmmod.out 2>&1 &
		pid=$!
		while running $pid && before_deadline; do
			sleep 0.1
		done
		if running $pid; then
			teardown_fail "rmmod $m did not finish in ${KSVC_TEARDOWN_TIMEOUT}s (blocked tasks below, sysrq-w)"
			echo w >/proc/sysrq-trigger
			return 1
		fi
		if ! wait $pid; then
			teardown_fail "rmmod $m failed: $(head -n1 /run/ksvc/rmmod.out)"
		elif [[ -e /sys/module/$m ]]; then
			teardown_fail "$m is still loaded after rmmod"
		else
			unloaded+=("$m")
		fi
	done
}

teardown() {
	local settled=0 seen t0
	kill_leftovers
	abort_tcp
	delete_netns
	t0=${EPOCHREALTIME/./}
	wait_netns_gone && settled=1
	t0=$(((${EPOCHREALTIME/./} - t0) / 1000))
	list_ours
	if [[ -e $kmemleak ]]; then
		kmemleak_ran=1
		# The youngest object that may be leaked (allocated in a namespace's
		# exit, say) is old enough to be reported.
		sleep 5
		kmemleak_ours before
		seen=$(awk '/^unreferenced object / { print $3 }' /run/ksvc/kmemleak.before 2>/dev/null)
	fi
	if ((!settled)); then
		# rmmod would wait forever on the namespaces' teardown.
		((${#ours[@]} == 0)) || echo "guest: teardown: not unloading ${ours[*]}: the namespaces' teardown is stuck"
		return
	fi
	unload_ours
	[[ ! -e $kmemleak ]] || kmemleak_ours after "$seen"
	echo "guest: teardown: namespaces destroyed (${t0} ms)${unloaded[0]:+, unloaded ${unloaded[*]}}${kmemleak_ran:+, kmemleak scanned}"
}

# ---- Setup -------------------------------------------------------------------

echo kservice-e2e >/proc/sys/kernel/hostname
ip link set lo up

# The kernel's own module requests (genl family aliases, crypto, conntrack
# helpers) must look in the unpacked Debian image too, not in the host's
# /lib/modules, which has no modules for this kernel.
cat >/run/ksvc/modprobe <<EOF
#!/bin/sh
exec /sbin/modprobe -d '$KSVC_KROOT' -S '$KSVC_KVER' "\$@"
EOF
chmod 0755 /run/ksvc/modprobe
echo /run/ksvc/modprobe >/proc/sys/kernel/modprobe

# Everything kservice.ko and the tests need; crc32c for SCTP's checksums.
modules="nf_conntrack nf_nat nf_reject_ipv4 nf_reject_ipv6 nf_conntrack_netlink nfnetlink veth dummy sctp crc32c_generic"
/run/ksvc/modprobe -a $modules || result 1 "cannot load $modules"
if [[ -n $KSVC_KO ]]; then
	echo "guest: insmod $KSVC_KO"
	insmod "$KSVC_KO" || result 1 "insmod $KSVC_KO failed"
fi

# The teardown's barrier must be able to say both "done" and "not yet": no
# namespace but the first is alive now, and with no room left a new one is
# refused.
netns_settled
case $? in
0) ;;
1) result 1 "cannot make a network namespace (unshare --net), or one is left from the boot" ;;
*) result 1 "cannot write $netns_max" ;;
esac
netns_settled 0
(($? == 1)) || result 1 "$netns_max is not obeyed: the teardown could not wait for namespaces"
if [[ -e /sys/kernel/debug ]] && ! mountpoint -q /sys/kernel/debug; then
	mount -t debugfs debugfs /sys/kernel/debug
fi

KSVC_FAILED_LIST=/run/ksvc-e2e-failed
rm -f "$KSVC_FAILED_LIST"
export KSVC_KO KSVC_REPO KSVC_KVER KSVC_KROOT KSVC_FAILED_LIST
t_script=$(uptime)
echo "guest: kernel $(uname -r) up in ${t_init}s, modules in $(awk "BEGIN { print $t_script - $t_init }")s; running $KSVC_SCRIPT ${KSVC_SCRIPT_ARGS[*]}"
cd "$(dirname "$KSVC_SCRIPT")"
timeout -k 5 "$KSVC_SCRIPT_TIMEOUT" bash "$KSVC_SCRIPT" "${KSVC_SCRIPT_ARGS[@]}"
rc=$?
cd /
if ((rc == 124 || rc == 137)); then
	# Show where everything is stuck before giving up.
	echo w >/proc/sysrq-trigger
	why+=("timed out after ${KSVC_SCRIPT_TIMEOUT}s")
elif ((rc)); then
	why+=("exit status $rc")
fi
if [[ -s $KSVC_FAILED_LIST ]]; then
	why+=("failed scenarios: $(tr '\n' ' ' <"$KSVC_FAILED_LIST" | sed 's/ $//')")
fi
t_teardown=$(uptime)
echo "guest: script ended (status $rc); teardown"
teardown
((${#why[@]} == 0)) || { printf -v msg '%s; ' "${why[@]}"; result 1 "${msg%; }"; }
result 0
