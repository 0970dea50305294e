#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds and caches the e2e VM's debug kernel: Debian's linux-source-6.1 with
# KASAN, lockdep (PROVE_LOCKING, PROVE_RCU), DEBUG_ATOMIC_SLEEP and kmemleak,
# configured as allnoconfig plus debug-kernel.config (only what the VM uses,
# everything built in), so that it builds in minutes rather than hours.
#
#   tests/e2e/debug-kernel.sh [build]   build it unless cached; print its folder
#   tests/e2e/debug-kernel.sh dir       print its folder; fail if not built
#   tests/e2e/debug-kernel.sh kdir      print the build folder (KDIR for
#                                       out-of-tree modules); builds if needed
#   tests/e2e/debug-kernel.sh release   print its release (uname -r); builds if needed
#   tests/e2e/debug-kernel.sh module OUT [DIR]
#                                       build kservice.ko for it in OUT (Kbuild,
#                                       kmod/ and uapi/ mirrored as symlinks, so the
#                                       objects stay apart from the plain build's),
#                                       or the out-of-tree module in DIR (its
#                                       Kbuild, *.c, *.h); prints the .ko paths
#   tests/e2e/debug-kernel.sh clean     delete every cached debug kernel
#
# The cache, $KSVC_CACHE/kernel-debug/:
#   src-<id>/linux-source-X.Y/   our own copy of the tarball's tree: the KUnit
#                                runner's shared tree gets symlinks and lines
#                                added and may be re-extracted under a running
#                                build, and out-of-tree modules built against
#                                this kernel need a source tree that stays put
#   <release>-<hash>/            one per configuration: <hash> covers the
#                                fragment, the tarball, the compiler and this
#                                script's recipe version
#     build/                     the O= build folder (KDIR)
#     root/lib/modules/<release> modules_install + depmod: modprobe resolves
#                                the built-in ones through modules.builtin
#     bzImage                    what qemu boots: not the ELF vmlinux through
#                                PVH as for the plain kernel, because the PVH
#                                entry runs instrumented C (xen_prepare_pvh,
#                                memcmp) before KASAN has its early shadow,
#                                and faults; the bzImage path sets it up first
#     release, config, build.log, build-time, .ready (written last)
# Objects go through ccache ($KSVC_CACHE/ccache, shared with the KUnit runner);
# KSVC_DEBUG_KERNEL_JOBS sets make's -j (default: nproc).
#
# Exit status: 0 done, 1 failed (the log says why), 2 usage.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
fragment=$here/debug-kernel.config
# Bump when the build steps below change what ends up in the cache.
recipe=2

say() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", b - a }'; }

config_mk() { sed -n "s/^$1[[:space:]]*[:?]*=[[:space:]]*//p" "$repo/config.mk" | head -n1; }
kver=${KVER:-$(config_mk KVER_PINNED)}
KSVC_CACHE=${KSVC_CACHE:-$(config_mk KSVC_CACHE)}
[[ -n $kver && -n $KSVC_CACHE ]] || die "cannot read KVER_PINNED/KSVC_CACHE from $repo/config.mk"
srcver=$(cut -d. -f1,2 <<<"$kver")		# 6.1.0-56-amd64 -> 6.1
tarball=/usr/src/linux-source-$srcver.tar.xz
srcname=linux-source-$srcver

# An outer make's jobserver and flags, or a stray cross setup, must not leak
# into the kernel's make.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS \
	ARCH CROSS_COMPILE O KBUILD_OUTPUT KCONFIG_CONFIG KBUILD_EXTMOD || true

cmd=${1:-build}
case $cmd in
build | dir | kdir | release | clean) ;;
module) [[ $# -eq 2 || $# -eq 3 ]] || { echo "usage: $0 module OUT [DIR]" >&2; exit 2; } ;;
-h | --help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
*) echo "usage: $0 [build|dir|kdir|release|module OUT [DIR]|clean]" >&2; exit 2 ;;
esac

cache=$KSVC_CACHE/kernel-debug
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)

if [[ $cmd == clean ]]; then
	exec 9>"$cache.lock"
	flock 9
	rm -rf "$cache"
	say "removed $cache"
	exit 0
fi

[[ -f $fragment ]] || die "$fragment is missing"
[[ -f $tarball ]] || die "$tarball is missing (apt-get install linux-source-$srcver)"

# What the build depends on, in one short hash. The tarball is taken by size
# and mtime (as the KUnit runner does): hashing 130 MB on every VM start costs
# more than it is worth.
tarball_id=$(stat -c '%s %Y' "$tarball")
cc_id=$(gcc --version | head -n1)
hash=$({
	echo "recipe $recipe"
	echo "tarball $tarball_id"
	echo "cc $cc_id"
	cat "$fragment"
} | sha256sum | cut -c1-12)
src_id=$(sha256sum <<<"$tarball_id" | cut -c1-8)
srcdir=$cache/src-$src_id
src=$srcdir/$srcname

# The release string: the tree's version plus the fragment's LOCALVERSION.
localversion=$(sed -n 's/^CONFIG_LOCALVERSION="\(.*\)"$/\1/p' "$fragment")

find_ready() {	# the ready folder for this hash, if any
	local d
	for d in "$cache"/*-"$hash"; do
		[[ -f $d/.ready ]] && { echo "$d"; return 0; }
	done
	return 1
}

if [[ $cmd == dir ]]; then
	find_ready || die "not built yet for this configuration ($hash): run $0 build"
	exit 0
fi

export CCACHE_DIR=$KSVC_CACHE/ccache
export CCACHE_BASEDIR=$KSVC_CACHE
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
mkdir -p "$CCACHE_DIR"
cc="gcc"
command -v ccache >/dev/null && cc="ccache gcc"
jobs=${KSVC_DEBUG_KERNEL_JOBS:-$(nproc)}

extract_source() {
	[[ -f $srcdir/.extracted ]] && return 0
	say "extracting $tarball into $srcdir (about a minute)"
	rm -rf "$srcdir"
	mkdir -p "$srcdir.tmp"
	tar -xJf "$tarball" -C "$srcdir.tmp"
	[[ -d $srcdir.tmp/$srcname ]] || die "$tarball has no $srcname/ folder"
	mv "$srcdir.tmp" "$srcdir"
	echo "$tarball_id" >"$srcdir/.extracted"
}

# Every line of the fragment must hold in .config: an option whose
# dependencies are missing is dropped silently by kconfig, and a debug
# kernel without its checks would pass everything.
verify_config() {
	local cfg=$1 line name have bad=0
	while IFS= read -r line; do
		[[ $line =~ ^(CONFIG_[A-Z0-9_]+)=|^#\ (CONFIG_[A-Z0-9_]+)\ is\ not\ set$ ]] || continue
		name=${BASH_REMATCH[1]:-${BASH_REMATCH[2]}}
		grep -qxF "$line" "$cfg" && continue
		have=$(grep -E "^$name=|^# $name is not set" "$cfg" || true)
		say "config: asked for '$line', got '${have:-nothing (unknown or unmet dependencies)}'"
		bad=1
	done <"$fragment"
	return $bad
}

build() {
	local t0 t1 out b rel
	t0=$(now)
	extract_source
	version=$(sed -n 's/^VERSION = //p; s/^PATCHLEVEL = //p; s/^SUBLEVEL = //p' "$src/Makefile" | paste -sd.)
	rel=$version$localversion
	out=$cache/$rel-$hash
	b=$out/build
	mkdir -p "$b"
	rm -f "$out/.ready"
	say "building $rel ($hash) in $out; log: $out/build.log"
	{
		make -C "$src" O="$b" KCONFIG_ALLCONFIG="$fragment" allnoconfig
		make -C "$src" O="$b" olddefconfig
	} >"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; die "configuring failed"; }
	verify_config "$b/.config" || die "$fragment does not hold in the configured kernel"
	[[ $(make -s -C "$src" O="$b" kernelrelease 2>/dev/null) == "$rel" ]] ||
		die "the kernel's release is not $rel"
	# Fixed build stamps: the image does not change with the hour or host.
	KBUILD_BUILD_TIMESTAMP=$(date -u -d "@$(cut -d' ' -f2 <<<"$tarball_id")")
	export KBUILD_BUILD_USER=kservice KBUILD_BUILD_HOST=e2e KBUILD_BUILD_TIMESTAMP
	make -C "$src" O="$b" -j"$jobs" CC="$cc" HOSTCC="$cc" bzImage modules \
		>>"$out/build.log" 2>&1 || { grep -E 'error|Error' "$out/build.log" | tail -n 30 >&2; die "the build failed"; }
	rm -rf "$out/root"
	make -C "$src" O="$b" INSTALL_MOD_PATH="$out/root" DEPMOD=true modules_install \
		>>"$out/build.log" 2>&1 || die "modules_install failed"
	depmod -b "$out/root" "$rel" || die "depmod failed"
	cp "$b/arch/x86/boot/bzImage" "$out/bzImage.new" && mv "$out/bzImage.new" "$out/bzImage"
	cp "$b/.config" "$out/config"
	echo "$rel" >"$out/release"
	t1=$(now)
	secs "$t0" "$t1" >"$out/build-time"
	date >"$out/.ready"
	say "built $rel in $(secs "$t0" "$t1")s"
	# Older configurations and trees are of no further use.
	local d
	for d in "$cache"/*; do
		[[ -d $d && $d != "$out" && $d != "$srcdir" ]] || continue
		say "removing the stale $d"
		rm -rf "$d"
	done
	echo "$out"
}

ready=$(find_ready || true)
if [[ -z $ready ]]; then
	exec 9>"$cache.lock"
	if ! flock -n 9; then
		say "another build holds $cache.lock; waiting"
		flock 9
	fi
	ready=$(find_ready || true)
	[[ -n $ready ]] || ready=$(build)
	exec 9>&-
fi

case $cmd in
build) echo "$ready" ;;
kdir) echo "$ready/build" ;;
release) cat "$ready/release" ;;
module)
	# The out-of-tree build writes its objects next to the sources: mirror
	# the sources as symlinks in OUT so they never mix with the plain build.
	out=$2
	mkdir -p "$out"
	out=$(cd "$out" && pwd -P)
	if (($# == 3)); then
		base=$(cd "$3" && pwd -P)
		sources=(.)
	else
		base=$repo
		sources=(Kbuild kmod uapi)
	fi
	[[ $out != "$base" ]] || die "OUT must not be the sources' own folder"
	# Only sources: objects built there for the plain kernel must not be seen.
	find "$out" -type l -delete
	(cd "$base" && find "${sources[@]}" -path "./${out#"$base"/}" -prune -o -type f \
		\( -name '*.[ch]' -o -name '*.mk' -o -name Kbuild \) ! -name '*.mod.c' -print) |
		while read -r f; do
			f=${f#./}
			mkdir -p "$out/$(dirname "$f")"
			ln -s "$base/$f" "$out/$f"
		done
	make -C "$ready/build" M="$out" -j"$jobs" modules >&2 ||
		die "building $out against $ready/build failed"
	sed 's/\.o$/.ko/; s|^|'"$out"'/|' "$out/modules.order"
	;;
esac
