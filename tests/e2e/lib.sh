# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the guest scripts (netns.sh, apiserver.sh), sourced after
# they set $ksctl, $ksprobe, $tmp, $only (and $kserviced where they use it).
# Output for a person goes to fd 3.

shopt -s extglob

# Shows what runs, with the long paths of this run shortened.
pretty() {
	local who=$1 what=$2
	what=${what//$ksctl/ksctl}
	what=${what//$ksprobe/ksprobe}
	[[ -z ${kserviced:-} ]] || what=${what//$kserviced/kserviced}
	what=${what//$tmp/\$tmp}
	((${#what} < 200)) || what="${what:0:160} ... (${#what} characters)"
	echo -e "\x1b[32m\x1b[1m[+] ${who:+$who: }${what}\x1b[0m" >&3
}
pp() { pretty "" "$*"; "$@"; }
# Runs a command in a namespace (iproute2 itself with -n: one exec less,
# which counts under emulation).
in_ns() {
	local ns=$1 who=$2
	shift 2
	pretty "$who" "$*"
	if [[ $1 == ip ]]; then
		ip -n "$ns" "${@:2}"
	else
		ip netns exec "$ns" "$@"
	fi
}
# ksprobe in a namespace; what it printed goes to the log too, counted.
probe() {
	local who=$1 out rc=0
	shift
	out=$($who "$ksprobe" "$@") || rc=$?
	[[ -z $out ]] || { printf '%s\n' "$out" | sort | uniq -c | sed 's/^ */    /' >&3; printf '%s\n' "$out"; }
	return $rc
}
# Starts "CMD..." in namespace NS in the background, output to FILE; sets
# $bgpid to the process itself (not a subshell), so it can be signalled.
bg_in() {
	local ns=$1 who=$2 out=$3
	shift 3
	pretty "$who" "$* &"
	ip netns exec "$ns" "$@" >"$out" 2>&1 &
	bgpid=$!
}
# Polls (never sleeps for a fixed time) until FILE has a line matching
# PATTERN, for at most 60 seconds (a bound for a hang: a loaded machine
# under emulation has taken more than 10 s to start a listener).
wait_for_line() {
	local file=$1 pattern=$2 i
	for ((i = 0; i < 1200; i++)); do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matching '$pattern' in $file after 60 s:" >&2
	cat "$file" >&2
	return 1
}
# Number of lines of stdin matching the extended regex $1.
count() {
	local n=0 line
	while IFS= read -r line; do
		[[ $line =~ $1 ]] && n=$((n + 1))
	done
	echo $n
}
# Distinct backends (first word) among the answers on stdin.
backends_seen() { awk '{ print $1 }' | sort -u | tr '\n' ' ' | sed 's/ $//'; }
usec() { echo "${EPOCHREALTIME/./}"; }
passed=0
failed=0
failures=()
# On a kernel with kmemleak (vm.sh --kernel debug), a scan after each
# scenario: an unreferenced object allocated by one of our modules fails
# the scenario in which it is found. A scan takes 10-25 s under emulation,
# so it runs beside the next scenario, and that scenario's end reads what
# it found, then starts the next scan; scenarios_done, at the script's
# end, waits for the last and scans twice more. kmemleak reports an object
# once it is older than 5 s and unchanged over two scans, so a leak is
# found up to three scenarios after the one that made it (the message says
# so); the teardown after the script scans twice more, after rmmod.
. "$(dirname "${BASH_SOURCE[0]}")/kmemleak.sh"
kmemleak_seen=
kmemleak_pid=
kmemleak_rc=/run/ksvc/kmemleak-scan.rc
# kmemleak_collect NAME: waits for the scan running beside NAME, reports
# (with NAME) what it found that was not reported before, starts the next
# scan unless told "final" as $2, where it scans twice more and waits.
kmemleak_collect() {
	local name=$1 final=${2:-} found
	[[ -e $kmemleak ]] || return 0
	if [[ -z $kmemleak_pid ]]; then
		# The first: what the run started with is judged too.
		(echo scan >$kmemleak; echo $? >$kmemleak_rc) &
		kmemleak_pid=$!
	fi
	wait "$kmemleak_pid" 2>/dev/null
	kmemleak_pid=
	if [[ $(<$kmemleak_rc) != 0 ]]; then
		echo -e "\x1b[31m\x1b[1m[!] $name: kmemleak is present but does not scan\x1b[0m" >&3
		return 1
	fi
	list_ours
	found=$(ksvc_kmemleak_scan "$([[ -n $final ]] && echo 2 || echo 0)" "$kmemleak_seen") || {
		echo -e "\x1b[31m\x1b[1m[!] $name: kmemleak is present but does not scan\x1b[0m" >&3
		return 1
	}
	if [[ -z $final ]]; then
		(echo scan >$kmemleak; echo $? >$kmemleak_rc) &
		kmemleak_pid=$!
	fi
	[[ -n $found ]] || return 0
	kmemleak_seen+=" $(awk '/^unreferenced object / { print $3 }' <<<"$found" | tr '\n' ' ')"
	echo -e "\x1b[31m\x1b[1m[!] $name: kmemleak: $(grep -c '^unreferenced object' <<<"$found") unreferenced objects of ${ours[*]}, made by this scenario or one of the three before it:\x1b[0m" >&3
	sed 's/^/    /' <<<"$found" >&3
	return 1
}
# The end of a script's scenarios: the last scans, waited for; a leak found
# then fails the run as a scenario of its own.
scenarios_done() {
	kmemleak_collect "after the last scenario" final && return 0
	failed=$((failed + 1))
	failures+=("kmemleak")
	scenario_failed kmemleak
}

# A failed scenario's name is also kept where guest.sh reads it, so that the
# last line of a run (all a CI log may show) names it.
KSVC_FAILED_LIST=${KSVC_FAILED_LIST:-/run/ksvc-e2e-failed}
scenario_failed() { echo "$1" >>"$KSVC_FAILED_LIST" 2>/dev/null || true; }

scenario() {
	local name=$1 rc
	# $only: the names to run, or "-NAME" to run all but those.
	if [[ " $only " == *" -$name "* ]] ||
	   [[ -n ${only//@(-+([a-z0-9_])| )/} && " $only " != *" $name "* ]]; then
		return 0
	fi
	echo -e "\x1b[34m\x1b[1m=== $name\x1b[0m" >&3
	local t0=$(usec)
	set +e
	(
		set -eE
		trap 'echo -e "\x1b[31m\x1b[1m[!] $name: failed at line $LINENO: $BASH_COMMAND\x1b[0m" >&3' ERR
		"test_$name"
	)
	rc=$?
	set -e
	kmemleak_collect "$name" || rc=1
	local took=$((($(usec) - t0) / 100000))
	took="$((took / 10)).$((took % 10)) s"
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo -e "\x1b[34m\x1b[1m=== $name: ok ($took)\x1b[0m" >&3
	else
		failed=$((failed + 1))
		failures+=("$name")
		scenario_failed "$name"
		# A script's own account of the state it failed in, at once:
		# a later timeout would lose it.
		if declare -F on_failure >/dev/null; then
			on_failure "$name" >&3 2>&1 || true
		fi
		echo -e "\x1b[31m\x1b[1m=== $name: FAILED ($took)\x1b[0m" >&3
	fi
}
