#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest script of the harness's self-test (selftest.sh): plants one fault of
# ksvc_fault.ko and does what sets it off, then ends with status 0, so that
# only the harness can fail the run.
#
#   faults.sh MODE [KO]  insmod KO (default: ksvc_fault.ko here) fault=MODE;
#                        make a network namespace, bring its loopback up,
#                        delete it
#
# The modes are listed in ksvc_fault.c.

set -e
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mode=${1:?usage: faults.sh MODE [KO]}
ko=${2:-$here/ksvc_fault.ko}
ns=fault-$$

echo "faults.sh: insmod $ko fault=$mode"
insmod "$ko" "fault=$mode"
ip netns add $ns
ip -n $ns link set lo up
ip netns del $ns
echo "faults.sh: $mode planted; the namespace is deleted, its teardown goes on"
