/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kserviced's one event loop: epoll over every file descriptor the daemon
 * waits on (signalfd, timerfds, the manifests' inotify, later the API
 * client's sockets through curl's multi socket callbacks). Callbacks run
 * on the loop's thread, one at a time; a callback may add or remove
 * watches, its own included.
 */
#ifndef KSD_LOOP_H
#define KSD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef void (*ksd_loop_fn)(int fd, uint32_t events, void *arg);

struct ksd_watch;

struct ksd_loop {
	int epfd;
	struct ksd_watch *watches;	/* live ones */
	struct ksd_watch *dead;		/* removed during a dispatch */
	bool stop;
};

int ksd_loop_init(struct ksd_loop *l);
/* Closes the epoll fd; the watched fds are their owners' to close. */
void ksd_loop_release(struct ksd_loop *l);

/* events: EPOLLIN, EPOLLOUT, ... Returns 0 or -errno. */
int ksd_loop_add(struct ksd_loop *l, int fd, uint32_t events,
		 ksd_loop_fn fn, void *arg);
int ksd_loop_mod(struct ksd_loop *l, int fd, uint32_t events);
void ksd_loop_del(struct ksd_loop *l, int fd);

/* Waits up to timeout_ms (-1: forever) and runs the callbacks of what is
 * ready. Returns 0, or -errno when epoll fails (EINTR is not a failure). */
int ksd_loop_run_once(struct ksd_loop *l, int timeout_ms);

/* One-shot timers on timerfd (CLOCK_MONOTONIC): arm after ms (0 disarms;
 * use ksd_timer_arm_now() to fire at once). */
int ksd_timer_new(void);
int ksd_timer_arm(int fd, uint64_t ms);
int ksd_timer_arm_now(int fd);
/* Reads the expiry count so the fd stops being readable. */
void ksd_timer_ack(int fd);

/* The timers' clock (CLOCK_MONOTONIC), in ns and in ms. */
uint64_t ksd_mono_ns(void);
uint64_t ksd_mono_ms(void);

#endif /* KSD_LOOP_H */
