#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs kservice's KUnit suites in a User Mode Linux kernel.
#
#   tests/kunit/run.sh [default|debug|all|prepare|clean]   (default: default)
#
# default  the kunitconfig beside this script
# debug    the same plus debug.config (KASAN, lockdep, PROVE_RCU, UBSAN, ...)
# all      both, one after the other
# prepare  only extract the tree (if needed) and hook kmod/ into it
# clean    delete the build dirs (under the lock; ccache is kept)
#
# The kernel tree is Debian's linux-source-<major.minor> tarball
# (/usr/src/linux-source-X.Y.tar.xz, package linux-source-X.Y, the version
# taken from KVER_PINNED in config.mk), extracted once into $KSVC_CACHE. The
# repo's kmod/ is hooked into it as net/kservice (a symlink, re-pointed on
# every run, so any clone can use the shared tree) plus one line each in
# net/Kconfig and net/Makefile. Each variant builds in
# $KSVC_CACHE/kunit-build/<variant>, through ccache ($KSVC_CACHE/ccache).
#
# A variant passes when kunit.py passes AND ktap_check.py finds, in the raw
# console log from the first boot line on (kservice's built-in init runs
# before the tests), no BUG:/WARNING:/UBSAN:/KASAN/lockdep/RCU/panic/stall
# report but UML's own virt-pci boot WARNING, no skipped suite, no skipped
# case or parameter unless the case is on skip-allow (beside this script),
# AND every kunit_suite declared in the test sources (KSVC_TEST_OBJS in
# kmod/objs.mk) ran. ktap_check_test.py tests ktap_check.py itself against
# planted logs (fixtures/; `make check-kunit` runs it first). The last line
# printed is "N passed, N failed" (test cases, summed over the variants run).
#
# Environment: KSVC_CACHE (default from config.mk), KSVC_KUNIT_TIMEOUT
# (seconds for the test run itself, default 600), KSVC_KUNIT_LOCK_WAIT
# (seconds to wait for another run holding the shared tree, default 3600),
# KSVC_KUNIT_KERNEL_ARGS (words for the UML kernel's command line, e.g.
# "kservice.fuzz_seed=7 kservice.fuzz_requests=1000000" to run the netlink
# fuzz suite from another seed, or longer).

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
kmod=$repo/kmod

say() { printf '%s\n' "kunit: $*"; }
die() { printf '%s\n' "kunit: error: $*" >&2; exit 2; }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

clean='' prepare_only=''
case "${1:-default}" in
	default) variants=(default) ;;
	debug) variants=(debug) ;;
	all) variants=(default debug) ;;
	clean) clean=1 ;;
	prepare) prepare_only=1 ;;
	-h|--help) sed -n '3,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) die "unknown argument '$1' (want default, debug, all, prepare or clean)" ;;
esac

# Make must not inherit an outer make's jobserver/flags, nor a stray
# cross-compile setup.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES GNUMAKEFLAGS \
	ARCH CROSS_COMPILE O KBUILD_OUTPUT KCONFIG_CONFIG KBUILD_EXTMOD || true

# Prints make variable $2 as defined by makefile $1 (the environment's value
# wins for ?= assignments, as in the project's own make).
mkvar() {
	make -s --no-print-directory -C "$(dirname "$1")" -f "$1" -f - ksvc-print-var <<EOF
ksvc-print-var: ; @echo \$($2)
EOF
}

[ -f "$repo/config.mk" ] || die "$repo/config.mk is missing"
KSVC_CACHE=$(mkvar "$repo/config.mk" KSVC_CACHE)
kver=$(mkvar "$repo/config.mk" KVER_PINNED)
[ -n "$KSVC_CACHE" ] || die "KSVC_CACHE is empty (config.mk)"
[ -n "$kver" ] || die "KVER_PINNED is empty (config.mk)"
srcver=$(printf '%s' "$kver" | cut -d. -f1,2)           # 6.1.0-56-amd64 -> 6.1
mkdir -p "$KSVC_CACHE"
KSVC_CACHE=$(cd "$KSVC_CACHE" && pwd -P)
export KSVC_CACHE

tarball=/usr/src/linux-source-$srcver.tar.xz
srcname=linux-source-$srcver
src=$KSVC_CACHE/$srcname
marker=$KSVC_CACHE/.src-extracted
tarball_id_file=$KSVC_CACHE/.src-tarball-id

# ---- tools ---------------------------------------------------------------
missing=()
for t in make gcc flex bison bc python3 ccache flock tar xz perl; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
[ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (apt-get install build-essential flex bison bc python3 ccache util-linux xz-utils perl)"

# ---- one run at a time on this cache ---------------------------------------
# The source tree and its net/kservice symlink are shared by every clone using
# this cache: hold the lock from re-pointing the symlink until the last test
# ran, so no other clone's sources can slip into this build.
t_lock=$(now)
exec 9>"$KSVC_CACHE/kunit.lock"
if ! flock -n 9; then
	say "another KUnit run holds $KSVC_CACHE/kunit.lock; waiting..."
	flock -w "${KSVC_KUNIT_LOCK_WAIT:-3600}" 9 || die "timed out waiting for $KSVC_CACHE/kunit.lock"
	say "got the lock after $(secs "$t_lock" "$(now)")s"
fi

if [ -n "$clean" ]; then
	rm -rf "$KSVC_CACHE/kunit-build"
	say "removed $KSVC_CACHE/kunit-build"
	exit 0
fi

# ---- kmod contract ---------------------------------------------------------
for f in Kconfig Makefile objs.mk; do
	[ -f "$kmod/$f" ] || die "kmod/$f does not exist yet: nothing to hook up"
done
grep -q '^[[:space:]]*config[[:space:]]\+KSERVICE_KUNIT_TEST\b' "$kmod/Kconfig" ||
	die "kmod/Kconfig has no 'config KSERVICE_KUNIT_TEST'"
test_objs=$(mkvar "$kmod/objs.mk" KSVC_TEST_OBJS)
test_srcs=()
for o in $test_objs; do
	c=$kmod/${o%.o}.c
	[ -f "$c" ] || die "KSVC_TEST_OBJS names $o but kmod/${o%.o}.c does not exist"
	test_srcs+=("$c")
done
[ ${#test_srcs[@]} -gt 0 ] || die "KSVC_TEST_OBJS in kmod/objs.mk is empty: no KUnit test to run"

t_prep=$(now)

# ---- kernel source tree ----------------------------------------------------
extract_source() {
	[ -f "$tarball" ] || die "$tarball is missing (apt-get install linux-source-$srcver)"
	say "extracting $tarball into $src (about a minute)..."
	local tmp
	rm -rf "$KSVC_CACHE"/.extract.*	# left by an interrupted run (we hold the lock)
	tmp=$(mktemp -d "$KSVC_CACHE/.extract.XXXXXX")
	tar -xJf "$tarball" -C "$tmp"
	[ -d "$tmp/$srcname" ] || die "$tarball has no $srcname/ folder"
	rm -f "$marker"
	rm -rf "$src"
	mv "$tmp/$srcname" "$src"
	rmdir "$tmp"
	# Build dirs hold objects of the old tree whose sources may look older
	# (tar keeps mtimes): start them afresh.
	rm -rf "$KSVC_CACHE/kunit-build"
	echo ok >"$marker"
}

tarball_id=
[ -f "$tarball" ] && tarball_id=$(stat -c '%s %Y' "$tarball")
if [ -d "$src" ] && [ -f "$marker" ]; then
	if [ -n "$tarball_id" ] && [ -f "$tarball_id_file" ] &&
		[ "$(cat "$tarball_id_file")" != "$tarball_id" ]; then
		say "$tarball changed since the cached tree was extracted"
		extract_source
	fi
elif [ -d "$src" ]; then
	# Present but not marked complete: someone may be extracting it right now
	# (then it keeps growing), or an extraction was interrupted.
	waited=0 before=-1
	while [ ! -f "$marker" ] && [ $waited -lt 900 ]; do
		count=$(find "$src" 2>/dev/null | wc -l)
		[ "$count" -eq "$before" ] && break
		[ $waited -eq 10 ] && say "$src is being extracted by someone else; waiting..."
		before=$count
		sleep 10
		waited=$((waited + 10))
	done
	[ -f "$marker" ] || extract_source
else
	extract_source
fi
[ -n "$tarball_id" ] && printf '%s\n' "$tarball_id" >"$tarball_id_file"
[ -x "$src/tools/testing/kunit/kunit.py" ] || [ -f "$src/tools/testing/kunit/kunit.py" ] ||
	die "$src has no tools/testing/kunit/kunit.py"
if [ -e "$src/.config" ] || [ -d "$src/include/config" ]; then
	die "$src has been configured in place (.config or include/config): kunit.py's O= builds need it clean ('make -C $src mrproper')"
fi

# ---- hook kmod/ into the tree ----------------------------------------------
link=$src/net/kservice
if [ -e "$link" ] && [ ! -L "$link" ]; then
	die "$link exists and is not a symlink; remove it"
fi
if [ "$(readlink "$link" 2>/dev/null || true)" != "$kmod" ]; then
	# atomic replacement: the link is never missing or half-made
	ln -s "$kmod" "$link.new.$$"
	mv -T "$link.new.$$" "$link"
	say "net/kservice -> $kmod"
fi
add_line() {	# file line: append once
	grep -qxF "$2" "$1" || printf '\n%s\n' "$2" >>"$1"
}
add_line "$src/net/Kconfig" 'source "net/kservice/Kconfig"'
# shellcheck disable=SC2016 # a make variable, literally
add_line "$src/net/Makefile" 'obj-$(CONFIG_KSERVICE) += kservice/'

# ---- environment for the builds and UML ------------------------------------
export CCACHE_DIR=$KSVC_CACHE/ccache
export CCACHE_BASEDIR=$KSVC_CACHE
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
mkdir -p "$CCACHE_DIR"
# UML maps its memory from a file in $TMPDIR (then /dev/shm, then /tmp): it
# must allow exec.
export TMPDIR=$KSVC_CACHE/tmp
mkdir -p "$TMPDIR"
probe=$TMPDIR/exec-probe.$$
printf '#!/bin/sh\nexit 0\n' >"$probe"
chmod +x "$probe"
"$probe" 2>/dev/null || { rm -f "$probe"; die "$TMPDIR is on a noexec mount: UML cannot run from it"; }
rm -f "$probe"

t_prep_end=$(now)
say "prepared $src in $(secs "$t_prep" "$t_prep_end")s"
[ -z "$prepare_only" ] || exit 0

# ---- one variant -----------------------------------------------------------
total_pass=0 total_fail=0 total_skip=0
status=0
summary=()

run_variant() {
	local v=$1 bdir=$KSVC_CACHE/kunit-build/$1
	local cfgs=(--kunitconfig="$here/kunitconfig") karg
	[ "$v" = debug ] && cfgs+=(--kunitconfig="$here/debug.config")
	for karg in ${KSVC_KUNIT_KERNEL_ARGS:-}; do
		cfgs+=(--kernel_args="$karg")
	done
	mkdir -p "$bdir"

	# The objects of net/kservice were built from whatever the link pointed at
	# last time; another clone's files can be older than them, so make would
	# not notice the switch: rebuild those few objects (ccache makes it cheap).
	local stamp=$bdir/.kservice-src
	if [ "$(cat "$stamp" 2>/dev/null || true)" != "$kmod" ]; then
		rm -rf "$bdir/net/kservice"
		printf '%s\n' "$kmod" >"$stamp"
	fi

	local out=$bdir/kunit-run.txt
	local t0 t1 rc=0
	say "== variant $v: building and running in $bdir"
	t0=$(now)
	rm -f "$bdir/test.log"
	ccache -z >/dev/null 2>&1 || true
	set +e
	PYTHONUNBUFFERED=1 python3 "$src/tools/testing/kunit/kunit.py" run --arch=um \
		"${cfgs[@]}" --build_dir="$bdir" --jobs="$(nproc)" \
		--make_options="CC=ccache gcc" --make_options="HOSTCC=ccache gcc" \
		--timeout="${KSVC_KUNIT_TIMEOUT:-600}" </dev/null 9>&- 2>&1 |
		grep -v -e "^stty: 'standard input': Inappropriate ioctl for device$" \
			-e '^/usr/bin/ld: warning: .*\(missing .note.GNU-stack section\|has a LOAD segment with RWX permissions\)' \
			-e '^/usr/bin/ld: NOTE: This behaviour is deprecated' |
		tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	t1=$(now)
	local cstats
	cstats=$(ccache --print-stats 2>/dev/null |
		awk -F'\t' '$1=="direct_cache_hit"||$1=="preprocessed_cache_hit"{h+=$2} $1=="cache_miss"{m=$2} END{printf "ccache %d hits, %d misses", h, m}' || true)

	local counts chk=0 p=0 f=0 s=0
	if [ -f "$bdir/test.log" ]; then
		python3 "$here/ktap_check.py" --skip-allow "$here/skip-allow" \
			"$bdir/test.log" "${test_srcs[@]}" >"$bdir/ktap-check.txt" || chk=$?
		grep -v '^COUNTS ' "$bdir/ktap-check.txt" || true
		counts=$(sed -n 's/^COUNTS //p' "$bdir/ktap-check.txt" | tail -n1)
		read -r p f s <<<"${counts:-0 0 0}"
	else
		say "variant $v: the kernel never ran (no fresh $bdir/test.log)"
		chk=1
	fi

	local elapsed
	elapsed=$(grep -o 'Elapsed time: .*' "$out" | tail -n1 || true)
	local verdict=PASS
	[ "$rc" -eq 0 ] || verdict=FAIL
	[ "$chk" -eq 0 ] || verdict=FAIL
	[ "$verdict" = PASS ] || status=1
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	summary+=("$(printf '%-8s %s: %d passed, %d failed, %d skipped; kunit.py exit %d; %ss (%s)' \
		"$v" "$verdict" "$p" "$f" "$s" "$rc" "$(secs "$t0" "$t1")" "${elapsed:-no timing from kunit.py}; $cstats")")
}

for v in "${variants[@]}"; do
	run_variant "$v"
done

say "summary (preparing the tree took $(secs "$t_prep" "$t_prep_end")s):"
for l in "${summary[@]}"; do
	say "  $l"
done
if [ "$total_skip" -gt 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
exit $status
