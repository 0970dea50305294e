#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The VM harness's self-test: vm.sh must fail a run, with the right exit
# status and reason, for each planted fault of ksvc_fault.ko, and pass a
# clean one. Run by `make -C tests/e2e selftest` (make check-harness, part of
# make check-e2e).
#
#   selftest.sh [-j N] [--kernel plain|debug] [--ko ksvc_fault.ko] [CASE...]
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
#   leak       (debug kernel only: kmemleak) 16 objects dropped at load: 1,
#              kmemleak's report of them
#   leak_scenario (debug kernel only) the same leak under lib.sh's scenarios
#              (scenarios.sh): 1, and the scan beside wait_min_age or next
#              fails that scenario with kmemleak's report; loading passed
# Debug kernel only (../debug-kernel.sh), each at load: 2, the report:
#   uaf           a read after kfree: KASAN's use-after-free
#   lock_order    two mutexes taken A-B, then B-A: lockdep's circular dependency
#   sleep_atomic  a GFP_KERNEL allocation under rcu_read_lock(): sleeping
#                 function called from invalid context
#   rcu           rcu_dereference() outside rcu_read_lock(): suspicious RCU usage
# One VM boot each, N at a time (default 2, one CPU each); the hangs run
# with short timeouts. Logs and vm.sh's verdicts go to
# tests/e2e/out/selftest-CASE.{log,err}.

set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
e2e=$(cd "$here/.." && pwd)
out=$e2e/out
kernel=plain
kargs=()
ko=
jobs=2
while (($#)); do
	case $1 in
	-j) jobs=$2; shift 2 ;;
	--kernel) kernel=$2; kargs=(--kernel "$2"); shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	-h|--help) sed -n '3,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "selftest.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { echo "selftest.sh: -j wants a number" >&2; exit 2; }
# The debug kernel's build of the module: make -C tests/e2e/faults debug.
[[ -n $ko ]] || { [[ $kernel == debug ]] && ko=$here/build-debug/ksvc_fault.ko || ko=$here/ksvc_fault.ko; }
cases=("$@")
if ((${#cases[@]} == 0)); then
	cases=(hang_load clean warn_load warn_exit hang_exit busy)
	if [[ $kernel == debug ]]; then
		cases+=(leak leak_scenario uaf lock_order sleep_atomic rcu)
	else
		echo "selftest: leak not run: the plain kernel has no kmemleak (--kernel debug runs it)"
	fi
fi
[[ -f $ko ]] || { echo "selftest.sh: $ko is missing: make -C tests/e2e/faults" >&2; exit 2; }
mkdir -p "$out"
((jobs == 1)) || kargs+=(--smp 1)

# What each case runs and expects: $want, vm.sh's exit status; $res, regexes
# that must each match a line of vm.sh's verdict (its stderr); $logres, regexes
# that must each match a line of the guest's output; $args, vm.sh's arguments.
define() {
	local fault=(--script "$here/faults.sh")
	case $1 in
	clean)
		want=0 res=('^vm\.sh: PASS: smoke\.sh$')
		args=(--ko "$ko" --script "$e2e/smoke.sh") ;;
	warn_load)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'WARNING: CPU: [0-9]+ PID: [0-9]+ at .*fault_init\+.*\[ksvc_fault\]')
		args=("${fault[@]}" -- warn_load "$ko") ;;
	warn_exit)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'WARNING: CPU: [0-9]+ PID: [0-9]+ at .*fault_net_exit\+.*\[ksvc_fault\]')
		args=("${fault[@]}" -- warn_exit "$ko") ;;
	hang_exit)
		want=1 res=('^vm\.sh: FAIL: faults\.sh failed: teardown: network namespaces still being destroyed after 5s')
		args=(--teardown 5 --timeout 90 "${fault[@]}" -- hang_exit "$ko") ;;
	busy)
		want=1 res=('^vm\.sh: FAIL: faults\.sh failed: teardown: rmmod ksvc_fault failed: .*in use')
		args=("${fault[@]}" -- busy "$ko") ;;
	hang_load)
		want=1 res=('^vm\.sh: FAIL: faults\.sh failed: timed out after 20s')
		args=(--timeout 60 "${fault[@]}" -- hang_load "$ko") ;;
	leak)
		want=1 res=('^vm\.sh: FAIL: faults\.sh failed: teardown: kmemleak: [0-9]+ unreferenced objects of .*ksvc_fault')
		args=("${fault[@]}" -- leak "$ko") ;;
	leak_scenario)
		want=1 res=('^vm\.sh: FAIL: scenarios\.sh failed: exit status 1; failed scenarios: (wait_min_age|next)( |;|$)')
		logres=('=== leak_planted: ok' '=== (wait_min_age|next): FAILED'
			'\[!\] (wait_min_age|next): kmemleak: [0-9]+ unreferenced objects of .*ksvc_fault, made by this scenario'
			'scenarios\.sh: [1-3] passed, [1-3] failed: (wait_min_age|next)')
		args=(--script "$here/scenarios.sh" -- "$ko") ;;
	uaf)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'BUG: KASAN: [a-z-]*use-after-free in use_after_free\+.*\[ksvc_fault\]')
		args=("${fault[@]}" -- uaf "$ko") ;;
	lock_order)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'WARNING: possible circular locking dependency detected')
		args=("${fault[@]}" -- lock_order "$ko") ;;
	sleep_atomic)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'BUG: sleeping function called from invalid context')
		args=("${fault[@]}" -- sleep_atomic "$ko") ;;
	rcu)
		want=2 res=("^vm\\.sh: FAIL: the guest's kernel log is not clean:"
			'WARNING: suspicious RCU usage')
		args=("${fault[@]}" -- rcu "$ko") ;;
	*) return 1 ;;
	esac
}
for c in "${cases[@]}"; do
	define "$c" || { echo "selftest.sh: no case '$c'" >&2; exit 2; }
done

# Runs one case; its verdict goes to $out/selftest-CASE.verdict, first word
# "ok" or "FAILED".
run() {
	local name=$1 want res logres=() args rc=0 re t0=$SECONDS bad=
	local log=$out/selftest-$name.log err=$out/selftest-$name.err
	define "$name"
	"$e2e/vm.sh" "${kargs[@]}" --log "$log" "${args[@]}" >/dev/null 2>"$err" || rc=$?
	((rc == want)) || bad="exit status $rc, not $want"
	for re in "${res[@]}"; do
		grep -qaE -- "$re" "$err" || bad+="${bad:+; }no line matching '$re'"
	done
	for re in "${logres[@]}"; do
		grep -qaE -- "$re" "$log" || bad+="${bad:+; }no line matching '$re' in the guest's output"
	done
	if [[ -n $bad ]]; then
		echo "FAILED: $bad ($((SECONDS - t0)) s); vm.sh said:" >"$out/selftest-$name.verdict"
		sed 's/^/    /' "$err" >>"$out/selftest-$name.verdict"
	else
		echo "ok: exit $rc, $(grep -aE -- "${res[-1]}" "$err" | head -n1 | sed 's/^ *//') ($((SECONDS - t0)) s)" \
			>"$out/selftest-$name.verdict"
	fi
	echo "selftest: $name: $(head -n1 "$out/selftest-$name.verdict")"
}

for c in "${cases[@]}"; do
	rm -f "$out/selftest-$c.verdict"
	while (($(jobs -pr | wc -l) >= jobs)); do
		wait -n
	done
	run "$c" &
done
wait

failed=()
for c in "${cases[@]}"; do
	if [[ $(head -c2 "$out/selftest-$c.verdict" 2>/dev/null) != ok ]]; then
		failed+=("$c")
		echo "selftest: $c:"
		cat "$out/selftest-$c.verdict" 2>/dev/null || echo "    no verdict"
	fi
done
if ((${#failed[@]})); then
	echo "selftest: the harness missed: ${failed[*]}"
	exit 1
fi
echo "selftest: the harness catches every planted fault (${cases[*]}) in $SECONDS s"
