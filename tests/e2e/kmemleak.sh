# SPDX-License-Identifier: GPL-2.0
#
# kmemleak, for the guest (sourced by guest.sh after each script and by
# lib.sh after each scenario): which unreferenced objects are ours, those of
# the out-of-tree modules the test loaded (kservice.ko, the planted faults).

kmemleak=/sys/kernel/debug/kmemleak

# The out-of-tree modules loaded now (taint O), in $ours, and their core's
# address ranges (/proc/modules) in $ranges, to know their leaks once they
# are gone and their symbols with them.
list_ours() {
	local t m size state base
	ours=()
	ranges=
	for t in /sys/module/*/taint; do
		# None matches once every loadable module is gone; and reading a
		# missing file in [[ ]] ends a `set -e` script.
		[[ -e $t && $(<"$t") == *O* ]] || continue
		m=${t#/sys/module/}
		ours+=("${m%/taint}")
	done
	[[ -r /proc/modules ]] || return 0
	while read -r m size _ _ state base _; do
		[[ " ${ours[*]} " == *" $m "* && $base == 0x* ]] || continue
		ranges+="$(printf '%016x:%016x' $((base)) $((base + size))) "
	done </proc/modules
}

# ksvc_kmemleak_ours [SEEN]: the record of each object kmemleak reports
# whose allocation backtrace runs through one of $ours (by name while
# loaded, by address in $ranges after), but not those whose address is in
# SEEN.
ksvc_kmemleak_ours() {
	local seen=${1:-}
	awk -v mods="${ours[*]}" -v ranges="$ranges" -v seen="$seen" '
		BEGIN {
			split(mods, m, " "); for (i in m) mod[m[i]] = 1
			nr = split(ranges, r, " ")
			for (i = 1; i <= nr; i++) { split(r[i], b, ":"); lo[i] = b[1]; hi[i] = b[2] }
			split(seen, s, " "); for (i in s) skip[s[i]] = 1
		}
		function flush() { if (rec != "" && ours && !(obj in skip)) printf "%s", rec; rec = ""; ours = 0 }
		/^unreferenced object / { flush(); obj = $3 }
		{ rec = rec $0 "\n" }
		/^    \[<[^>]*>\] / {
			if ($NF ~ /^\[[^]]+\]$/ && (substr($NF, 2, length($NF) - 2) in mod))
				ours = 1
			if ($2 ~ /^0x[0-9a-f]+$/) {
				a = substr($2, 3); while (length(a) < 16) a = "0" a
				for (i = 1; i <= nr; i++) if (a >= lo[i] && a < hi[i]) ours = 1
			}
		}
		END { flush() }' $kmemleak
}

# ksvc_kmemleak_scan SCANS [SEEN]: scans SCANS times (kmemleak reports an
# object unreferenced for more than 5 seconds, its minimum age, and unchanged
# since the scan before), then prints ksvc_kmemleak_ours. An object found
# is judged by one more scan: one that was taken out of its structure and
# waits for a grace period to be freed (an xarray node does) is
# unreferenced at a scan yet no leak, and is gone by the next; a leak
# stays. Fails only when kmemleak does not scan.
ksvc_kmemleak_scan() {
	local scans=$1 seen=${2:-} i found again
	for ((i = 0; i < scans; i++)); do
		echo scan >$kmemleak || return 1
	done
	found=$(ksvc_kmemleak_ours "$seen")
	[[ -n $found ]] || return 0
	echo scan >$kmemleak || return 1
	again=$(ksvc_kmemleak_ours "$seen" | awk '/^unreferenced object / { printf "%s ", $3 }')
	awk -v again="$again" '
		BEGIN { n = split(again, a, " "); for (i = 1; i <= n; i++) still[a[i]] = 1 }
		/^unreferenced object / { keep = ($3 in still) }
		keep' <<<"$found"
}
