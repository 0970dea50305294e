#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM harness's self-test: vm.sh must fail a run, with the right exit
# status and reason, for each planted fault of ksvc_fault.ko, and pass a
# clean one. Run by `make -C tests/e2e selftest` (make check-harness, part of
# make check-e2e).
#
#   selftest.sh [--kernel plain|debug] [--ko ksvc_fault.ko] [CASE...]
#
# Cases (vm.sh's exit status, what it must print):
#   clean      smoke.sh with ksvc_fault.ko (fault=none) loaded: 0, PASS;
#              the teardown unloads it
#   warn_load  a WARN in module init: 2, the WARNING in the kernel log
#   warn_exit  a WARN in a network namespace's exit, 2 s into the
#              asynchronous teardown after the script ended: 2, the WARNING
#   hang_exit  a namespace's exit that never returns: 1, the teardown's
#              namespace barrier gives up after --teardown seconds
#   busy       a module that cannot be unloaded: 1, rmmod failed
#   hang_load  insmod that blocks until killed: 1, the script timed out
#   leak       (debug kernel only: kmemleak) an object dropped at load: 1,
#              kmemleak's report of it
# One VM boot each; the hangs run with short timeouts. Logs and vm.sh's
# verdicts go to tests/e2e/out/selftest-CASE.{log,err}.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e=$(cd "$here/.." && pwd)
out=$e2e/out
kernel=plain
kargs=()
ko=$here/ksvc_fault.ko
while (($#)); do
	case $1 in
	--kernel) kernel=$2; kargs=(--kernel "$2"); shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	-h|--help) sed -n '3,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "selftest.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
cases=("$@")
if ((${#cases[@]} == 0)); then
	cases=(clean warn_load warn_exit hang_exit busy hang_load)
	if [[ $kernel == debug ]]; then
		cases+=(leak)
	else
		echo "selftest: leak not run: the plain kernel has no kmemleak (--kernel debug runs it)"
	fi
fi
[[ -f $ko ]] || { echo "selftest.sh: $ko is missing: make -C tests/e2e/faults" >&2; exit 2; }
mkdir -p "$out"

failed=()
# check CASE STATUS REGEX... -- VM.SH-ARGS...: every REGEX must match a line
# of vm.sh's verdict (its stderr).
check() {
	local name=$1 want=$2 rc=0 re t0=$SECONDS
	local log=$out/selftest-$name.log err=$out/selftest-$name.err
	shift 2
	local res=()
	while [[ $1 != -- ]]; do res+=("$1"); shift; done
	shift
	"$e2e/vm.sh" "${kargs[@]}" --log "$log" "$@" >/dev/null 2>"$err" || rc=$?
	local bad=
	((rc == want)) || bad="exit status $rc, not $want"
	for re in "${res[@]}"; do
		grep -qaE -- "$re" "$err" || bad+="${bad:+; }no line matching '$re'"
	done
	if [[ -n $bad ]]; then
		failed+=("$name")
		echo "selftest: $name: FAILED: $bad ($((SECONDS - t0)) s); vm.sh said:"
		sed 's/^/    /' "$err"
	else
		echo "selftest: $name: as expected: exit $rc, $(grep -aE -- "${res[-1]}" "$err" | head -n1 | sed 's/^ *//') ($((SECONDS - t0)) s)"
	fi
}

for c in "${cases[@]}"; do
	case $c in
	clean)
		check clean 0 '^vm\.sh: PASS: smoke\.sh$' -- \
			--ko "$ko" --script "$e2e/smoke.sh" ;;
	warn_load)
		check warn_load 2 "^vm\.sh: FAIL: the guest's kernel log is not clean:" \
			'WARNING: CPU: [0-9]+ PID: [0-9]+ at .*fault_init\+.*\[ksvc_fault\]' -- \
			--script "$here/faults.sh" -- warn_load "$ko" ;;
	warn_exit)
		check warn_exit 2 "^vm\.sh: FAIL: the guest's kernel log is not clean:" \
			'WARNING: CPU: [0-9]+ PID: [0-9]+ at .*fault_net_exit\+.*\[ksvc_fault\]' -- \
			--script "$here/faults.sh" -- warn_exit "$ko" ;;
	hang_exit)
		check hang_exit 1 '^vm\.sh: FAIL: faults\.sh failed: teardown: network namespaces still being destroyed after 5s' -- \
			--teardown 5 --timeout 90 --script "$here/faults.sh" -- hang_exit "$ko" ;;
	busy)
		check busy 1 '^vm\.sh: FAIL: faults\.sh failed: teardown: rmmod ksvc_fault failed: .*in use' -- \
			--script "$here/faults.sh" -- busy "$ko" ;;
	hang_load)
		check hang_load 1 '^vm\.sh: FAIL: faults\.sh failed: timed out after 10s' -- \
			--teardown 10 --timeout 60 --script "$here/faults.sh" -- hang_load "$ko" ;;
	leak)
		check leak 1 '^vm\.sh: FAIL: faults\.sh failed: teardown: kmemleak: [0-9]+ unreferenced objects of .*ksvc_fault' -- \
			--script "$here/faults.sh" -- leak "$ko" ;;
	*) echo "selftest.sh: no case '$c'" >&2; exit 2 ;;
	esac
done

if ((${#failed[@]})); then
	echo "selftest: the harness missed: ${failed[*]}"
	exit 1
fi
echo "selftest: the harness catches every planted fault (${cases[*]}) in $SECONDS s"
