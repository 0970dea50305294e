// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop; see loop.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include "loop.h"

struct ksd_watch {
	int fd;
	ksd_loop_fn fn;
	void *arg;
	bool dead;
	struct ksd_watch *next;
};

int ksd_loop_init(struct ksd_loop *l)
{
	memset(l, 0, sizeof(*l));
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

static void free_list(struct ksd_watch *w)
{
	while (w) {
		struct ksd_watch *next = w->next;

		free(w);
		w = next;
	}
}

void ksd_loop_release(struct ksd_loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	free_list(l->watches);
	free_list(l->dead);
	memset(l, 0, sizeof(*l));
	l->epfd = -1;
}

int ksd_loop_add(struct ksd_loop *l, int fd, uint32_t events,
		 ksd_loop_fn fn, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct ksd_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->fn = fn;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		int ret = -errno;

		free(w);
		return ret;
	}
	w->next = l->watches;
	l->watches = w;
	return 0;
}

static struct ksd_watch **find(struct ksd_loop *l, int fd)
{
	struct ksd_watch **pw;

	for (pw = &l->watches; *pw; pw = &(*pw)->next)
		if ((*pw)->fd == fd)
			return pw;
	return NULL;
}

int ksd_loop_mod(struct ksd_loop *l, int fd, uint32_t events)
{
	struct ksd_watch **pw = find(l, fd);
	struct epoll_event ev = { .events = events };

	if (!pw)
		return -ENOENT;
	ev.data.ptr = *pw;
	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) ? -errno : 0;
}

void ksd_loop_del(struct ksd_loop *l, int fd)
{
	struct ksd_watch **pw = find(l, fd), *w;

	if (!pw)
		return;
	w = *pw;
	*pw = w->next;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
	/* Events of this batch may still point at it: freed after. */
	w->dead = true;
	w->next = l->dead;
	l->dead = w;
}

int ksd_loop_run_once(struct ksd_loop *l, int timeout_ms)
{
	struct epoll_event evs[32];
	int n, i;

	n = epoll_wait(l->epfd, evs, 32, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct ksd_watch *w = evs[i].data.ptr;

		if (!w->dead)
			w->fn(w->fd, evs[i].events, w->arg);
	}
	free_list(l->dead);
	l->dead = NULL;
	return 0;
}

uint64_t ksd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

uint64_t ksd_mono_ms(void)
{
	return ksd_mono_ns() / 1000000;
}

int ksd_timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int arm_ns(int fd, uint64_t ns)
{
	struct itimerspec its = {
		.it_value = {
			.tv_sec = (time_t)(ns / 1000000000ULL),
			.tv_nsec = (long)(ns % 1000000000ULL),
		},
	};

	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

int ksd_timer_arm(int fd, uint64_t ms)
{
	return arm_ns(fd, ms * 1000000ULL);
}

int ksd_timer_arm_now(int fd)
{
	return arm_ns(fd, 1);
}

void ksd_timer_ack(int fd)
{
	uint64_t n;

	while (read(fd, &n, sizeof(n)) == sizeof(n))
		;
}
