/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Driving the daemon's event loop from a test: run it for a while, or until
 * a condition holds. The fixture only needs a `struct ksd_daemon d`.
 */
#ifndef LOOP_UTIL_H
#define LOOP_UTIL_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fake_table.h"
#include "loop.h"

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * How long a test waits for what must come: far more than it ever takes,
 * so that a loaded machine is only slower, never a failure. A test must
 * not wait for something not to happen within a window either: it checks
 * the order of events (or where a timer is set) instead.
 */
#define LOOP_PATIENCE_MS	60000

/* Runs the loop of daemon @d for @ms milliseconds. */
#define RUN_FOR(d, ms) do {						\
	uint64_t end_ = now_ms() + (ms);				\
	while (now_ms() < end_)						\
		assert_int_equal(ksd_loop_run_once(&(d)->loop, 5), 0);	\
} while (0)

/* Runs the loop of daemon @d until @cond holds, for up to @ms milliseconds. */
#define RUN_UNTIL_MS(d, cond, ms) do {					\
	uint64_t end_ = now_ms() + (ms);				\
	while (!(cond) && now_ms() < end_)				\
		assert_int_equal(ksd_loop_run_once(&(d)->loop, 5), 0);	\
	if (!(cond))							\
		fail_msg("timed out waiting for %s", #cond);		\
} while (0)

/* Runs @loop (a struct ksd_loop *) until @cond holds, LOOP_PATIENCE_MS
 * at most. */
#define RUN_LOOP_UNTIL(loop, cond) do {					\
	uint64_t end_ = now_ms() + LOOP_PATIENCE_MS;			\
	while (!(cond) && now_ms() < end_)				\
		assert_int_equal(ksd_loop_run_once(loop, 1), 0);	\
	if (!(cond))							\
		fail_msg("timed out waiting for %s", #cond);		\
} while (0)

/* Whether @fd has something to read (or its end). */
static inline bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

/* Backends of the fake kernel's service @name; (size_t)-1 when absent. */
static inline size_t backends(const char *name)
{
	struct ksvc_service *s = fake_table_find(name);

	return s ? s->nbackends : (size_t)-1;
}

#endif /* LOOP_UTIL_H */
