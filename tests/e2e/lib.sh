# SPDX-License-Identifier: GPL-2.0
#
# Helpers shared by the guest scripts (netns.sh, apiserver.sh), sourced after
# they set $ksctl, $ksprobe, $tmp, $only (and $kserviced where they use it).
# Output for a person goes to fd 3.

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
# PATTERN, for at most 10 seconds.
wait_for_line() {
	local file=$1 pattern=$2 i
	for ((i = 0; i < 200; i++)); do
		grep -qE "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "no line matching '$pattern' in $file after 10 s:" >&2
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
scenario() {
	local name=$1 rc
	if [[ -n $only && " $only " != *" $name "* ]]; then
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
	local took=$((($(usec) - t0) / 100000))
	took="$((took / 10)).$((took % 10)) s"
	if ((rc == 0)); then
		passed=$((passed + 1))
		echo -e "\x1b[34m\x1b[1m=== $name: ok ($took)\x1b[0m" >&3
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo -e "\x1b[31m\x1b[1m=== $name: FAILED ($took)\x1b[0m" >&3
	fi
}
