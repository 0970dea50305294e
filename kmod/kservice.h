/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every part of kservice.ko shares: the tunables, the internal frontend
 * kind of node ports, and the marker of functions the KUnit suites call.
 */
#ifndef _KSVC_KSERVICE_H
#define _KSVC_KSERVICE_H

#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/types.h>
#include <linux/kservice.h>

/* Module parameters (main.c); read with READ_ONCE(), they may change. */
extern unsigned int ksvc_max_services;
extern unsigned int ksvc_max_backends;
extern unsigned int ksvc_maglev_size;

/*
 * The hard limit of max_backends: the cumulative weights of a backend set
 * (at most KSVC_WEIGHT_MAX each) must fit in a u32.
 */
#define KSVC_BACKENDS_LIMIT	65535

/* The largest prime below 2^20: Maglev tables stay a few MiB at most. */
#define KSVC_MAGLEV_SIZE_MAX	1048573

/* A node port is a frontend too; its kind never leaves the kernel. */
#define KSVC_FE_NODE_PORT	(KSVC_FE_KIND_MAX + 1)

/*
 * How a connection names an object that may be gone by its next packet:
 * an id in an xarray, and a cookie in case the id was reused since.
 */
struct ksvc_ref {
	u32 id;
	u32 cookie;
};

/* Per-family arrays: [0] IPv4, [1] IPv6. */
static inline unsigned int ksvc_fam_idx(u8 family)
{
	return family == AF_INET6;
}

/*
 * cond_resched() for the loops that can run over a whole table (every
 * service, a set of max_backends, every affinity binding): Debian's kernel
 * preempts only where asked to, and such a loop at the limits would hold a
 * CPU for hundreds of milliseconds. The KUnit suites count the calls, to
 * prove those loops yield.
 */
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
void ksvc_cond_resched(void);
unsigned long ksvc_yields(void);
#else
static inline void ksvc_cond_resched(void)
{
	cond_resched();
}
#endif

/* Static unless the KUnit suites need to call it. */
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
#define KSVC_TESTABLE
#else
#define KSVC_TESTABLE static
#endif

#endif /* _KSVC_KSERVICE_H */
