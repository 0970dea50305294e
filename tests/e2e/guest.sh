#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the guest, inside the host's root (see initramfs-init): load the
# modules, run the test script, dump the kernel log, print the result marker
# the host looks for, and stop the VM with the status on isa-debug-exit.

. /run/ksvc/config
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
	printf 'KSVC-E2E-TIMES: boot %.1fs, setup %.1fs, script %.1fs\n' \
		"$t_init" "$(echo "${t_script:-$t_end} - $t_init" | awk '{ print $1 - $3 }')" \
		"$(echo "$t_end - ${t_script:-$t_end}" | awk '{ print $1 - $3 }')"
	if ((rc == 0)); then
		echo "KSVC-E2E-RESULT: PASS"
		finish 0
	else
		echo "KSVC-E2E-RESULT: FAIL: $why"
		finish 1
	fi
}

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
	insmod "$KSVC_KO" || result 1 "insmod $KSVC_KO failed"
fi

export KSVC_KO KSVC_REPO KSVC_KVER KSVC_KROOT
t_script=$(uptime)
echo "guest: kernel $(uname -r) up in ${t_init}s, modules in $(awk "BEGIN { print $t_script - $t_init }")s; running $KSVC_SCRIPT ${KSVC_SCRIPT_ARGS[*]}"
cd "$(dirname "$KSVC_SCRIPT")"
timeout -k 5 "$KSVC_SCRIPT_TIMEOUT" bash "$KSVC_SCRIPT" "${KSVC_SCRIPT_ARGS[@]}"
rc=$?
if ((rc == 124 || rc == 137)); then
	# Show where everything is stuck before giving up.
	echo w >/proc/sysrq-trigger
	result 1 "timed out after ${KSVC_SCRIPT_TIMEOUT}s"
fi
result $rc "exit status $rc"
