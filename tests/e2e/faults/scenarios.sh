#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest script of the harness's self-test (selftest.sh, case leak_scenario,
# debug kernel): the scans lib.sh runs beside the scenarios must fail the
# scenario that finds a leak of one of our modules.
#
#   scenarios.sh [KO]   KO: ksvc_fault.ko built for the debug kernel
#
# leak_planted loads KO with fault=leak (16 objects dropped at load); the
# scan after it (the first, waited for) sees their contents for the first
# time; wait_min_age outlives kmemleak's minimum age (5 s); the scan beside
# wait_min_age or the one beside next reports them (which one depends on
# how long the first scan took; a straggler hidden by a stale pointer may
# come a scan later): that scenario fails, leak_planted passes.

set -eE
exec 3>&1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ko=${1:-$here/ksvc_fault.ko}
[[ -e /sys/kernel/debug/kmemleak ]] || { echo "scenarios.sh: this kernel has no kmemleak"; exit 2; }
# What lib.sh's helpers expect of a guest script.
only=
ksctl=/nonexistent/ksctl ksprobe=/nonexistent/ksprobe tmp=/nonexistent/tmp
. "$here/../lib.sh"

test_leak_planted() {
	insmod "$ko" fault=leak
	loaded_at=$(cut -d' ' -f1 /proc/uptime)
	echo "$loaded_at" >/run/ksvc/leak-planted-at
}
test_wait_min_age() {
	# kmemleak's minimum age is the point here, not a wait for an event.
	local t0
	t0=$(</run/ksvc/leak-planted-at)
	while awk -v t0="$t0" '{ exit !($1 - t0 < 6) }' /proc/uptime; do
		sleep 0.5
	done
}
test_next() { :; }
test_after() { :; }

scenario leak_planted
scenario wait_min_age
scenario next
scenario after
scenarios_done
echo "scenarios.sh: $passed passed, $failed failed${failures[0]:+: ${failures[*]}}"
((failed == 0))
