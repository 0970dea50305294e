/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_AFFINITY_H
#define _KSVC_AFFINITY_H

#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "kservice.h"

struct ksvc_beset;
struct mem_cgroup;
struct net;
struct netlink_ext_ack;

/* Default of net.kservice.affinity_max: about 12 MiB of entries. */
#define KSVC_AFFINITY_MAX_DEFAULT	131072
/* Default of the module parameter affinity_max_total: about 48 MiB. */
#define KSVC_AFFINITY_MAX_TOTAL		524288

/* Module parameters (main.c); READ_ONCE(). */
extern unsigned int ksvc_affinity_max_total;
extern unsigned int ksvc_affinity_max_netns;

/*
 * The reaper leaves its RCU read-side section and yields once per this many
 * bindings: a namespace may hold affinity_max of them.
 */
#define KSVC_AFFINITY_GC_BATCH		256

/* The ClientIP affinity entries of one namespace. */
struct ksvc_affinity {
	struct rhashtable ht;
	atomic_t count;
	int max;			/* sysctl affinity_max: READ_ONCE() */
	struct mem_cgroup *memcg;	/* entries are charged to it */
	struct delayed_work gc;
};

int ksvc_affinity_init(struct ksvc_affinity *aff);
void ksvc_affinity_destroy(struct ksvc_affinity *aff);

int ksvc_affinity_lookup(struct ksvc_affinity *aff, const struct ksvc_ref *svc,
			 const struct ksvc_beset *set, u8 family,
			 const union nf_inet_addr *client, u32 timeout);
void ksvc_affinity_remember(struct ksvc_affinity *aff,
			    const struct ksvc_ref *svc, u8 family,
			    const union nf_inet_addr *client,
			    const union nf_inet_addr *be_addr, __be16 be_port,
			    u32 timeout);
u32 ksvc_affinity_count(struct ksvc_affinity *aff);
u32 ksvc_affinity_total(void);
void ksvc_affinity_charge_current(struct ksvc_affinity *aff);
int ksvc_affinity_max_check(const struct net *net, int old, int new,
			    struct netlink_ext_ack *extack);
int ksvc_affinity_cache_init(void);
void ksvc_affinity_cache_uninit(void);
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
void ksvc_affinity_gc_run(struct ksvc_affinity *aff);
#endif

#endif /* _KSVC_AFFINITY_H */
