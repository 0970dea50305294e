#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The README's demo (make demo): the tutorial walk-through of tutorial.sh,
# told for a person. The same steps and the same checks: a step that does
# not work fails the demo.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
exec bash "$here/tutorial.sh" --narrate "$@"
