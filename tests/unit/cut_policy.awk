# SPDX-License-Identifier: GPL-2.0
#
# Cuts kmod/netlink.c's policy tables (its "---- policies" section) and its
# genl_ops array, without the handlers, for test_kpolicy.c (knl_stub.h).
# Fails when either is not found, so a reshuffled netlink.c breaks the
# build rather than the comparison.

/---- policies ----/ { pol = 1 }
/---- request parsing ----/ { if (pol) got_pol = 1; pol = 0 }
pol { print; next }

/^static const struct genl_ops ksvc_genl_ops\[\] = \{/ { ops = 1 }
ops {
	if ($0 ~ /^[ \t]*\.(doit|start|dumpit|done)[ \t]*=/)
		next
	print
	if ($0 ~ /^};/) {
		ops = 0
		got_ops = 1
	}
}

END {
	if (!got_pol || !got_ops) {
		print "cut_policy.awk: no policies or no genl_ops array in " \
		      FILENAME > "/dev/stderr"
		exit 1
	}
}
