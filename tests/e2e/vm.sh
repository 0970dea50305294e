#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs one guest script in a throwaway QEMU VM booted on the pinned Debian
# kernel, and says whether it passed.
#
#   tests/e2e/vm.sh [--ko kservice.ko] --script tests/e2e/netns.sh [options] [-- script args]
#
# The guest mounts the host's root read-only over 9p and chroots into it, so
# every host tool (ip, python3, curl, conntrack, the freshly built ksctl) runs
# in the guest as it is; /run and /tmp are fresh tmpfs. The guest's PID 1
# (guest.sh) loads the netfilter modules from the unpacked Debian image and
# then the given kservice.ko, runs the script, tears down what it left
# (processes, network namespaces, out-of-tree modules; kmemleak where the
# kernel has it), dumps dmesg and prints a result marker. This side fails the
# run when the marker is missing (crash, hang), when the script or the
# teardown failed, or when the guest's kernel log has a warning, oops or
# stall.
#
# The kernel package is downloaded once with apt-get into $KSVC_CACHE and
# re-used. KVER_PINNED and KSVC_CACHE come from config.mk at the top of the
# repo (KSVC_CACHE and KVER may be overridden from the environment).
#
# Exit status: 0 pass, 1 test or teardown failed, 2 kernel log not clean, 3
# no result (crash or timeout), 4 usage or setup error.

set -e

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

die() { echo "vm.sh: $*" >&2; exit 4; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

config_mk() { sed -n "s/^$1[[:space:]]*[:?]*=[[:space:]]*//p" "$repo/config.mk" | head -n1; }
KVER=${KVER:-$(config_mk KVER_PINNED)}
KSVC_CACHE=${KSVC_CACHE:-$(config_mk KSVC_CACHE)}
[[ -n $KVER && -n $KSVC_CACHE ]] || die "cannot read KVER_PINNED/KSVC_CACHE from $repo/config.mk"

# Kernel log lines that only a bug (or a stall) prints: any of them fails the
# run, even when the script passed.
KERNEL_BAD='WARNING:|BUG:|Oops|Call Trace|RCU stall|rcu_sched detected stall|rcu_preempt detected stall|detected stalls on CPUs|UBSAN|KASAN|general protection|refcount_t:|Kernel panic|kernel BUG|blocked for more than|list_(add|del) corruption|possible (recursive|circular) locking|suspicious RCU usage|soft lockup|hard LOCKUP|unreferenced object'

ko=
script=
timeout=600
teardown=60
mem=
kernel=plain
kdir=
smp=2
log=
append=
keep=0
usage() {
	cat <<-EOF
	usage: $0 [--ko FILE] --script FILE [options] [-- ARGS...]
	  --ko FILE        kservice.ko to load after the netfilter modules (optional)
	  --script FILE    guest script, run with bash inside the VM (ARGS passed on)
	  --timeout SECS   whole-run limit, boot included (default $timeout)
	  --teardown SECS  bound of each wait of the guest's teardown after the
	                   script (processes, namespaces, rmmod; default $teardown);
	                   the VM may run that long past --timeout, a few times over
	  --log FILE       console log (default tests/e2e/out/<script>.log)
	  --kernel plain|debug
	                   plain: Debian's linux-image-$KVER (default); debug: the same
	                   source with KASAN, lockdep, PROVE_RCU, DEBUG_ATOMIC_SLEEP and
	                   kmemleak (debug-kernel.sh builds it once; --ko must be built
	                   for it: debug-kernel.sh module)
	  --mem MB         guest memory (default 1024, 2048 with --kernel debug)
	  --smp N          guest CPUs (default $smp)
	  --append ARGS    extra kernel command line
	  --keep           keep the work folder (initramfs) for inspection
	  --prepare        only fetch and unpack the kernel into the cache, then exit
	Environment: KVER, KSVC_CACHE (defaults from config.mk), QEMU (default
	qemu-system-x86_64), QEMU_ACCEL (default tcg,thread=multi: the baseline
	everywhere; KVM on the machines here does not run stock kernels).
	EOF
	exit 4
}
prepare_only=0
while (($#)); do
	case $1 in
	--ko) ko=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--teardown) teardown=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--prepare) prepare_only=1; shift ;;
	--) shift; break ;;
	-h|--help) usage ;;
	*) echo "vm.sh: unknown option: $1" >&2; usage ;;
	esac
done
script_args=("$@")
((prepare_only)) || [[ -n $script ]] || usage
[[ -z $ko || -f $ko ]] || die "no such module: $ko"
[[ -z $script || -f $script ]] || die "no such script: $script"
[[ $timeout =~ ^[0-9]+$ ]] && ((timeout >= 60)) || die "--timeout wants whole seconds, at least 60"
[[ $teardown =~ ^[0-9]+$ ]] && ((teardown >= 5)) || die "--teardown wants whole seconds, at least 5"
# The guest stops the script 40 s before --timeout (booting and shutting
# down), so that a hung script still ends with a dmesg dump and a FAIL. The
# teardown after it has its own time on top: each of its waits (processes,
# namespaces, each rmmod) is bounded by --teardown, the namespaces' one
# stretched by up to 130 s for orphaned TCP sockets; the host allows for it.
script_timeout=$((timeout - 40))
vm_timeout=$((timeout + 3 * teardown + 150))
# The debug kernel is its own build (debug-kernel.sh), cached like the
# plain one: its folder has the same root/, vmlinux and .ready.
machine=pc
case $kernel in
plain) mem=${mem:-1024} ;;
debug)
	mem=${mem:-2048}
	# q35: the pc machine's ACPI _PRT is an AML loop over 128 slots, which
	# the debug kernel's interpreter (KASAN, under TCG) runs into the 30 s
	# loop timeout at every boot; q35's is a table.
	machine=${KSVC_QEMU_MACHINE:-q35}
	kdir=$("$here/debug-kernel.sh" build) || die "cannot build the debug kernel"
	KVER=$(<"$kdir/release")
	;;
*) die "--kernel wants plain or debug, not '$kernel'" ;;
esac
if [[ -n $ko ]]; then
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null) || die "$ko is not a kernel module"
	[[ $vermagic == "$KVER "* ]] ||
		die "$ko is built for '${vermagic%% *}', the VM runs $KVER (--kernel $kernel)"
fi
QEMU=${QEMU:-qemu-system-x86_64}
for tool in "$QEMU" busybox cpio gzip depmod modprobe dpkg-deb xz timeout; do
	command -v "$tool" >/dev/null || die "missing tool: $tool (see tests/e2e/README or packages list)"
done

t_start=$(now)

# ---- The kernel, fetched and unpacked once into the cache ---------------------
#
# $KSVC_CACHE/kernel/$KVER/
#   linux-image-$KVER_*.deb   as apt-get downloaded it
#   root/                     dpkg-deb -x of it, with modules.dep from depmod
#   vmlinux                   the uncompressed ELF cut out of the bzImage (PVH boot)
#   .ready                    written last; its absence means "redo"
kdir=${kdir:-$KSVC_CACHE/kernel/$KVER}
kroot=$kdir/root
vmlinux=$kdir/vmlinux
# The debug kernel boots as a bzImage (debug-kernel.sh says why).
[[ ! -f $kdir/bzImage ]] || vmlinux=$kdir/bzImage

extract_vmlinux() {
	# Debian compresses the image with xz; find the stream and inflate it.
	# xz complains about the data after the stream ends: that is expected.
	local bz=$1 out=$2 off
	for off in $(LC_ALL=C grep -aboP '\xfd7zXZ\x00' "$bz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$bz" | xz -dc >"$out" 2>/dev/null || true
		if [[ $(head -c4 "$out" | od -An -c | tr -d ' ') == '177ELF' ]]; then
			return 0
		fi
	done
	rm -f "$out"
	return 1
}

prepare_kernel() {
	[[ -f $kdir/.ready ]] && return 0
	mkdir -p "$kdir"
	(
		flock 9
		[[ -f $kdir/.ready ]] && exit 0
		echo "vm.sh: preparing linux-image-$KVER in $kdir (once)" >&2
		cd "$kdir"
		if ! compgen -G "linux-image-${KVER}_*.deb" >/dev/null; then
			# apt-get download writes as the _apt user when it can: give it the folder.
			chmod 0777 "$kdir" 2>/dev/null || true
			apt-get download "linux-image-$KVER" >&2 ||
				{ apt-get update >&2 && apt-get download "linux-image-$KVER" >&2; } ||
				{ echo "vm.sh: cannot download linux-image-$KVER" >&2; exit 1; }
			chmod 0755 "$kdir" 2>/dev/null || true
		fi
		deb=$(compgen -G "linux-image-${KVER}_*.deb" | sort -V | tail -n1)
		rm -rf root.new && mkdir root.new
		dpkg-deb -x "$deb" root.new
		depmod -b root.new "$KVER"
		extract_vmlinux "root.new/boot/vmlinuz-$KVER" vmlinux.new ||
			{ echo "vm.sh: cannot find the ELF kernel in vmlinuz-$KVER" >&2; exit 1; }
		rm -rf root && mv root.new root && mv vmlinux.new vmlinux
		date >.ready
	) 9>"$kdir.lock" || die "kernel preparation failed"
}
prepare_kernel
((prepare_only)) && { echo "$kdir"; exit 0; }

# ---- The test tools built from this tree ------------------------------------
make -s -C "$here" ksprobe >&2 || die "building ksprobe failed"

# ---- A tiny initramfs: busybox, the virtio/9p modules, the two init stages ----
work=$(mktemp -d "${TMPDIR:-/tmp}/ksvc-vm.XXXXXX")
cleanup() { ((keep)) && echo "vm.sh: work folder kept: $work" >&2 || rm -rf "$work"; }
trap cleanup EXIT

ird=$work/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,newroot,hosttmp,hostrun,lib/modules}
cp "$(command -v busybox)" "$ird/bin/busybox"
ldd "$ird/bin/busybox" >/dev/null 2>&1 && die "busybox is not static: install busybox-static"
# Module order as modprobe resolves it (dependencies first), decompressed so
# that busybox insmod can load them.
: >"$ird/modules"
while read -r verb path _; do
	[[ $verb == insmod ]] || continue
	name=$(basename "$path")
	case $name in
	*.ko.xz) xz -dc "$path" >"$ird/lib/modules/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$path" >"$ird/lib/modules/${name%.zst}"; name=${name%.zst} ;;
	*.ko.gz) gzip -dc "$path" >"$ird/lib/modules/${name%.gz}"; name=${name%.gz} ;;
	*) cp "$path" "$ird/lib/modules/$name" ;;
	esac
	grep -qxF "$name" "$ird/modules" || echo "$name" >>"$ird/modules"
done < <(modprobe -d "$kroot" -S "$KVER" --show-depends -a virtio_pci 9pnet_virtio 9p)
cp "$here/initramfs-init" "$ird/init"
cp "$here/guest.sh" "$ird/guest.sh"
chmod 0755 "$ird/init" "$ird/guest.sh"

abspath() { [[ -z $1 ]] || echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
script_abs=$(abspath "$script")
ko_abs=$(abspath "$ko")
# What guest.sh needs to know, as shell assignments it sources.
args=
((${#script_args[@]} == 0)) || args=$(printf '%q ' "${script_args[@]}")
{
	printf 'KSVC_KVER=%q\n' "$KVER"
	printf 'KSVC_KROOT=%q\n' "$kroot"
	printf 'KSVC_REPO=%q\n' "$repo"
	printf 'KSVC_KO=%q\n' "$ko_abs"
	printf 'KSVC_SCRIPT=%q\n' "$script_abs"
	printf 'KSVC_SCRIPT_ARGS=(%s)\n' "$args"
	printf 'KSVC_SCRIPT_TIMEOUT=%q\n' "$script_timeout"
	printf 'KSVC_TEARDOWN_TIMEOUT=%q\n' "$teardown"
} >"$ird/config"
# Host folders under /tmp or /run would be hidden by the guest's tmpfs:
# initramfs-init binds them back in.
printf '%s\n' "$repo" "$kdir" "$(dirname "$script_abs")" ${ko_abs:+"$(dirname "$ko_abs")"} |
	grep -E '^/(tmp|run)(/|$)' | sort -u >"$ird/keep-paths" || true
! grep -qxE '/(tmp|run)' "$ird/keep-paths" ||
	die "the guest has its own /tmp and /run: move the script and module into a subfolder"

(cd "$ird" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet | gzip -1) >"$work/initramfs.cpio.gz"

# ---- Boot -------------------------------------------------------------------
if [[ -z $log ]]; then
	mkdir -p "$here/out"
	log=$here/out/$(basename "${script%.sh}").log
fi
mkdir -p "$(dirname "$log")"

cmdline="console=ttyS0 panic=-1 oops=panic quiet log_buf_len=8M mitigations=off"
cmdline+=" random.trust_cpu=on $append"

t_boot=$(now)
echo "vm.sh: booting linux $KVER (TCG, ${smp} CPUs, ${mem} MB) for $(basename "$script"); log: $log" >&2
set +e
# No tty, no stdin, no monitor: the serial console is our only channel. qemu
# exits with (status << 1) | 1 when the guest writes to isa-debug-exit.
timeout -k 10 "$vm_timeout" "$QEMU" \
	-nodefaults -no-user-config -display none -no-reboot \
	-machine "$machine" -accel "${QEMU_ACCEL:-tcg,thread=multi}" -cpu max -smp "$smp" -m "$mem" \
	-nic none -serial stdio -monitor none \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-kernel "$vmlinux" -initrd "$work/initramfs.cpio.gz" -append "$cmdline" \
	</dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
qemu_rc=${PIPESTATUS[0]}
set -e
t_end=$(now)

# ---- Verdict ----------------------------------------------------------------
marker=$(grep -aE '^KSVC-E2E-RESULT: ' "$log" | tail -n1 || true)
dmesg_part=$(sed -n '/^----- dmesg begin -----$/,/^----- dmesg end -----$/p' "$log")
[[ -n $dmesg_part ]] || dmesg_part=$(cat "$log")
bad=$(grep -aE "$KERNEL_BAD" <<<"$dmesg_part" || true)
guest_times=$(grep -aE '^KSVC-E2E-TIMES: ' "$log" | tail -n1 | sed 's/^KSVC-E2E-TIMES: //' || true)

echo >&2
echo "vm.sh: host preparation $(secs "$t_start" "$t_boot")s, VM $(secs "$t_boot" "$t_end")s (qemu exit $qemu_rc)${guest_times:+; guest: $guest_times}" >&2
rc=0
if [[ -z $marker ]]; then
	if ((qemu_rc == 124 || qemu_rc == 137)); then
		echo "vm.sh: FAIL: no result from the guest: timed out after ${vm_timeout}s" >&2
	else
		echo "vm.sh: FAIL: no result from the guest: it crashed or stopped early (qemu exit $qemu_rc)" >&2
	fi
	rc=3
elif [[ $marker != 'KSVC-E2E-RESULT: PASS' ]]; then
	echo "vm.sh: FAIL: $(basename "$script") failed: ${marker#KSVC-E2E-RESULT: FAIL: }" >&2
	rc=1
elif ((qemu_rc != 1)); then
	# PASS was printed but the guest never reached isa-debug-exit with 0.
	echo "vm.sh: FAIL: guest printed PASS but qemu exited $qemu_rc" >&2
	rc=3
fi
if [[ -n $bad ]]; then
	echo "vm.sh: FAIL: the guest's kernel log is not clean:" >&2
	sed 's/^/    /' <<<"$bad" | head -n 40 >&2
	((rc)) || rc=2
fi
((rc)) || echo "vm.sh: PASS: $(basename "$script")" >&2
exit $rc
