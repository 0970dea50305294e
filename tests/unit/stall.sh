#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stall.sh CMD [ARG]...: runs CMD while stopping it (SIGSTOP, SIGCONT) for
# 100 to 500 ms at random, every 10 to 90 ms: a machine too loaded to
# schedule it, worse than a CPU hog (which the scheduler shares fairly).
# A test that waits for a wall-clock window fails under it; one that
# checks the order of events does not. Exits with CMD's status.
"$@" &
pid=$!
(
	while kill -0 "$pid" 2>/dev/null; do
		sleep "0.0$((RANDOM % 9 + 1))"
		kill -STOP "$pid" 2>/dev/null
		sleep "0.$((RANDOM % 5 + 1))"
		kill -CONT "$pid" 2>/dev/null
	done
) &
staller=$!
wait "$pid"
rc=$?
kill "$staller" 2>/dev/null
wait "$staller" 2>/dev/null
kill -CONT "$pid" 2>/dev/null
exit "$rc"
