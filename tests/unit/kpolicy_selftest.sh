#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# test_kpolicy must fail when either side's policy changes: each planted
# change below (to a copy of kmod/netlink.c or of tests/unit/kpolicy.c) is
# built into test_kpolicy again, which must then report the difference.
# A planted change that no longer applies (the sed changed nothing) or a
# mutant that does not build fails this script too.
#
# From daemon/Makefile (make -C daemon check), which sets:
#   KPS_OUT      a scratch folder
#   KPS_UNIT     tests/unit
#   KPS_NETLINK  kmod/netlink.c
#   KPS_CC, KPS_CFLAGS, KPS_LIBS   the sanitized build's compiler and flags
#   KPS_OBJS     every object of test_kpolicy but test_kpolicy.o and
#                kpolicy.o
#   KPS_TEST_O, KPS_KPOLICY_O      those two, as built for make check
set -eu

: "${KPS_OUT:?}" "${KPS_UNIT:?}" "${KPS_NETLINK:?}" "${KPS_CC:?}"
rm -rf "$KPS_OUT"
mkdir -p "$KPS_OUT"
n=0
failed=0

# mutant SIDE DESCRIPTION SED-SCRIPT
mutant() {
	side=$1 what=$2 script=$3
	n=$((n + 1))
	dir=$KPS_OUT/$n
	mkdir -p "$dir"
	if [ "$side" = module ]; then
		src=$KPS_NETLINK
	else
		src=$KPS_UNIT/kpolicy.c
	fi
	sed "$script" "$src" >"$dir/mutant.c"
	if cmp -s "$src" "$dir/mutant.c"; then
		echo "kpolicy self-test $n ($side: $what): the change no longer applies" >&2
		failed=1
		return
	fi
	if [ "$side" = module ]; then
		awk -f "$KPS_UNIT/cut_policy.awk" "$dir/mutant.c" \
			>"$dir/netlink_policy.inc"
		# shellcheck disable=SC2086
		$KPS_CC $KPS_CFLAGS -I"$dir" \
			-DKPOLICY_NETLINK_INC='"netlink_policy.inc"' \
			-c -o "$dir/test.o" "$KPS_UNIT/test_kpolicy.c"
		objs="$dir/test.o $KPS_KPOLICY_O"
	else
		# shellcheck disable=SC2086
		$KPS_CC $KPS_CFLAGS -c -o "$dir/kpolicy.o" "$dir/mutant.c"
		objs="$KPS_TEST_O $dir/kpolicy.o"
	fi
	# shellcheck disable=SC2086
	$KPS_CC $KPS_CFLAGS -o "$dir/test_kpolicy" $objs $KPS_OBJS $KPS_LIBS
	if "$dir/test_kpolicy" >"$dir/out" 2>&1; then
		echo "kpolicy self-test $n ($side: $what): NOT caught" >&2
		failed=1
	elif ! grep -q 'kpolicy differs from kmod/netlink.c' "$dir/out"; then
		echo "kpolicy self-test $n ($side: $what): failed, but not on the difference:" >&2
		cat "$dir/out" >&2
		failed=1
	else
		echo "kpolicy self-test $n ($side: $what): caught: $(grep -m1 'kpolicy differs' "$dir/out")"
	fi
}

mutant module "SVC_NAME one byte shorter" \
	's/\.len = KSVC_NAME_MAX - 1/.len = KSVC_NAME_MAX - 2/'
mutant module "CIDR prefix length up to 127" \
	's/NLA_POLICY_MAX(NLA_U8, 128)/NLA_POLICY_MAX(NLA_U8, 127)/'
mutant module "backend weight range one less" \
	'/^static struct netlink_range_validation weight_range/,/^};/s/\.max = KSVC_WEIGHT_MAX/.max = KSVC_WEIGHT_MAX - 1/'
mutant module "backend flags a u16" \
	's/\(\[KSVC_BE_A_FLAGS\][[:space:]]*= { \.type = \)NLA_U32/\1NLA_U16/'
mutant module "SVC_GENERATION dropped from svc_policy" \
	'/^\t\[KSVC_A_SVC_GENERATION\]/d'
mutant module "frontend address from 2 bytes" \
	'/^static const struct nla_policy fe_policy/,/^};/s/sizeof(struct in_addr)/2/'
mutant kpolicy "SVC_NAME one byte longer" \
	's/RANGE(KP_NUL_STRING, 0, KSVC_NAME_MAX - 1)/RANGE(KP_NUL_STRING, 0, KSVC_NAME_MAX)/'
mutant kpolicy "backend weight one more" \
	's/RANGE(KP_U32, 0, KSVC_WEIGHT_MAX)/RANGE(KP_U32, 0, KSVC_WEIGHT_MAX + 1)/'
mutant kpolicy "SVC_DEL takes SVC_STATS" \
	's/\[KSVC_CMD_SVC_DEL\] = A(SVC_NAME) | A(REQ_FLAGS),/[KSVC_CMD_SVC_DEL] = A(SVC_NAME) | A(REQ_FLAGS) | A(SVC_STATS),/'
mutant kpolicy "CIDR prefix length up to 129" \
	's/RANGE(KP_U8, 0, 128)/RANGE(KP_U8, 0, 129)/'

if [ "$failed" != 0 ]; then
	echo "kpolicy self-test: FAILED" >&2
	exit 1
fi
echo "kpolicy self-test: all $n planted changes caught"
