#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-dkms: install kservice through DKMS (make dkms-install), find the
# module DKMS built by its path, check that it is DKMS's build of this tree's
# sources and the one modprobe would load, load that very file in the VM and
# send traffic through a ClusterIP with it (netns.sh's clusterip_from_pod),
# then uninstall (make dkms-uninstall) and check it is gone. Run as root.
#
#   tests/e2e/dkms-check.sh             (KVER from config.mk, or the environment)
#   tests/e2e/dkms-check.sh --selftest  planted faults: this check must fail
#                                       them (no VM; make check-dkms runs it first)
#
# The self-test plants what the old check (`modinfo -k` finds some
# kservice.ko) passed: a kservice.ko left in /lib/modules/$KVER/extra by a
# make install while DKMS installs nothing (a stand-in dkms first in PATH),
# and an old module in DKMS's folder that this run did not build.

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
say() { echo "dkms-check: $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

config_mk() { sed -n "s/^$1[[:space:]]*[:?]*=[[:space:]]*//p" "$repo/config.mk" | head -n1; }
KVER=${KVER:-$(config_mk KVER_PINNED)}
conf() { sed -n "s/^$1=\"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}$/\\1/p" "$repo/dkms.conf"; }
version=$(conf PACKAGE_VERSION)
dest=$(conf 'DEST_MODULE_LOCATION\[0\]')
[[ -n $KVER && -n $version && -n $dest ]] || fail "cannot read KVER, PACKAGE_VERSION or DEST_MODULE_LOCATION"
tree_ko=$repo/kservice.ko
[[ -f $tree_ko ]] || fail "$tree_ko is missing: make module"
# Where DKMS installs the module (dkms.conf), and where it keeps its build.
want_dir=/lib/modules/$KVER${dest%/}
build_dir=/var/lib/dkms/kservice/$version/$KVER/$(uname -m)/module
src_dir=/usr/src/kservice-$version

if [[ ${1:-} == --selftest ]]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/ksvc-dkms-selftest.XXXXXX")
	extra=/lib/modules/$KVER/extra/kservice.ko
	[[ ! -e $extra ]] || fail "$extra exists: the self-test would remove it"
	# Folders it makes, deepest first, to remove again.
	made=()
	for d in "$(dirname "$extra")" "$(dirname "$want_dir")" "$want_dir"; do
		[[ -d $d ]] || made=("$d" "${made[@]}")
	done
	trap 'rm -f "$extra" "$want_dir/kservice.ko"; rmdir "${made[@]}" 2>/dev/null || true
		depmod -a "$KVER" 2>/dev/null || true; rm -rf "$work"' EXIT
	mkdir -p "$work/bin" "$(dirname "$extra")"
	# A dkms that says "installed" and does nothing.
	cat >"$work/bin/dkms" <<-EOS
	#!/bin/sh
	[ "\$1" = status ] && echo "kservice/$version, $KVER, $(uname -m): installed"
	exit 0
	EOS
	chmod +x "$work/bin/dkms"
	cp "$tree_ko" "$extra"
	depmod -a "$KVER" 2>/dev/null
	rc=0
	# What the old check tested passes here:
	if modinfo -k "$KVER" kservice | grep -q '^alias: *net-pf-16-proto-16-family-kservice$'; then
		say "selftest: $extra planted: modinfo -k finds a kservice (the old check passed this)"
	else
		say "selftest: the planted module is not even found by modinfo"
		rc=1
	fi
	planted() {
		local name=$1 want=$2 out
		out=$(PATH=$work/bin:$PATH "$0" 2>&1 >/dev/null) &&
			{ say "selftest: $name: PASSED, must fail"; rc=1; return; }
		if grep -qE -- "$want" <<<"$out"; then
			say "selftest: $name: caught: $(grep -E -- "$want" <<<"$out" | head -n1)"
		else
			say "selftest: $name: failed, but not with '$want':"
			sed 's/^/    /' <<<"$out" >&2
			rc=1
		fi
	}
	planted "make install's module, DKMS installs nothing" \
		"FAIL: no kservice.ko in $want_dir, where dkms.conf says DKMS installs it"
	mkdir -p "$want_dir"
	cp "$tree_ko" "$want_dir/kservice.ko"
	touch -d '1 hour ago' "$want_dir/kservice.ko"
	planted "an old module in DKMS's folder" "FAIL: $want_dir/kservice.ko is older than this run"
	((rc == 0)) && say "selftest: both planted faults caught"
	exit $rc
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ksvc-dkms.XXXXXX")
installed=0
cleanup() {
	local rc=$?
	if ((installed)); then
		make -s -C "$repo" dkms-uninstall KVER="$KVER" >&2 || rc=1
		if compgen -G "$want_dir/kservice.ko*" >/dev/null; then
			say "FAIL: $(echo "$want_dir"/kservice.ko*) is still there after make dkms-uninstall"
			rc=1
		fi
	fi
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT

# What an earlier run or a make install left must not be taken for this
# run's build: the module must be newer than this stamp.
touch "$work/stamp"
sleep 1
installed=1
make -C "$repo" dkms-install KVER="$KVER" >&2 || fail "make dkms-install failed"

status=$(dkms status -m kservice -v "$version" -k "$KVER")
say "dkms status: $status"
[[ $status == *": installed"* ]] || fail "DKMS does not say kservice/$version is installed for $KVER"
ko=$(compgen -G "$want_dir/kservice.ko*" | head -n1) || true
[[ -n $ko ]] || fail "no kservice.ko in $want_dir, where dkms.conf says DKMS installs it"
[[ $ko -nt $work/stamp ]] || fail "$ko is older than this run: not the module DKMS just built"
built=$(compgen -G "$build_dir/kservice.ko*" | head -n1) || true
[[ -n $built ]] || fail "no kservice.ko in DKMS's build folder $build_dir"
[[ $built -nt $work/stamp ]] || fail "$built is older than this run: DKMS did not build it"
cmp -s "$ko" "$built" || fail "$ko is not the module DKMS built ($built)"
[[ $(realpath "$ko") != "$(realpath "$tree_ko")" ]] || fail "$ko is the tree's own kservice.ko"
# What modprobe and the kernel's autoload (genl family alias) would load.
resolved=$(modinfo -k "$KVER" -n kservice)
[[ $resolved == "$ko" ]] || fail "modprobe would load $resolved, not DKMS's $ko"
# The kernel loads it on the first netlink request for the family.
modinfo -F alias "$ko" | grep -qx 'net-pf-16-proto-16-family-kservice' ||
	fail "$ko lacks the generic netlink family alias"
# Built from this tree's sources: what DKMS built from is the tree's.
nsrc=0
while IFS= read -r -d '' f; do
	cmp -s "$src_dir/$f" "$repo/$f" || fail "$src_dir/$f, which DKMS built from, is not the tree's $f"
	nsrc=$((nsrc + 1))
done < <(cd "$src_dir" && find . -type f -printf '%P\0')
((nsrc > 0)) || fail "no sources in $src_dir"
say "$ko: built by DKMS in this run from the tree's $nsrc source files; the one modprobe loads"

# The VM loads exactly that file (vm.sh wants it uncompressed).
case $ko in
*.ko) vm_ko=$ko ;;
*.ko.xz) vm_ko=$work/kservice.ko; xz -dc "$ko" >"$vm_ko" ;;
*.ko.zst) vm_ko=$work/kservice.ko; zstd -qdc "$ko" >"$vm_ko" ;;
*.ko.gz) vm_ko=$work/kservice.ko; gzip -dc "$ko" >"$vm_ko" ;;
*) fail "unknown module file $ko" ;;
esac
"$here/vm.sh" --ko "$vm_ko" --script "$here/netns.sh" --log "$here/out/dkms.log" -- clusterip_from_pod ||
	fail "DKMS's module failed in the VM (tests/e2e/out/dkms.log)"
grep -qaxF "guest: insmod $vm_ko" "$here/out/dkms.log" ||
	fail "the guest did not load $vm_ko (tests/e2e/out/dkms.log)"
grep -qaE '^e2e: 1 passed, 0 failed$' "$here/out/dkms.log" ||
	fail "netns.sh did not run clusterip_from_pod with DKMS's module (tests/e2e/out/dkms.log)"
say "PASS: DKMS's $ko forwards ClusterIP traffic in the VM"
