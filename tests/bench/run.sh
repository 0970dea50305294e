#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of the benchmark: generates the service sets (gen.py), boots the
# VM once for all of them (bench.sh), and writes the report (report.py).
#
#   tests/bench/run.sh [--n "100 1000 10000 50000"] [--docs DIR] [--readme FILE]
#                      [--mem MB] [--timeout SECS] [--check] [-- BENCH.SH ARGS]
#
# --docs DIR     write the Markdown tables and gnuplot PNGs there
# --readme FILE  and put the summary between its bench markers
# --check        bench.sh --check: fail when a mode fails to program or a
#                connection does not reach one of its service's endpoints
#
# The console log and the raw results stay in tests/bench/out/.

set -e
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
ns_list="100 1000 10000 50000"
docs=
readme=
mem=6144
timeout=10800
check=
while (($#)); do
	case $1 in
	--n) ns_list=$2; shift 2 ;;
	--docs) docs=$2; shift 2 ;;
	--readme) readme=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--check) check=--check; shift ;;
	--) shift; break ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 4 ;;
	esac
done

out=$here/out
mkdir -p "$out/gen"
for n in $ns_list; do
	if [[ ! -f $out/gen/$n/ready || $here/gen.py -nt $out/gen/$n/ready ]]; then
		echo "run.sh: generating $n services" >&2
		rm -rf "$out/gen/$n"
		python3 "$here/gen.py" "$n" "$out/gen/$n"
	fi
done

log=$out/bench.log
started=$(date -u '+%Y-%m-%d %H:%M UTC')
rc=0
"$repo/tests/e2e/vm.sh" --ko "$repo/kservice.ko" --script "$here/bench.sh" \
	--mem "$mem" --timeout "$timeout" --log "$log" -- \
	--n "$ns_list" $check "$@" >/dev/null || rc=$?
grep -a '^KSVC-BENCH ' "$log" >"$out/results.txt" || true
grep -a '^bench.sh: ' "$log" >&2 || true
if [[ -n $docs ]]; then
	python3 "$here/report.py" --results "$out/results.txt" --docs "$docs" \
		${readme:+--readme "$readme"} --date "$started"
fi
exit $rc
