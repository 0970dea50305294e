/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_NET_H
#define _KSVC_NET_H

#include <linux/atomic.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "affinity.h"
#include "kservice.h"
#include "table.h"

struct ctl_table_header;
struct netlink_ext_ack;
struct ksvc_stats;

struct ksvc_cidr {
	union nf_inet_addr addr;	/* host bits zero */
	u8 family;
	u8 prefixlen;
};

/* The cluster (or node-port) CIDRs of a namespace, swapped whole under RCU. */
struct ksvc_cidrs {
	struct rcu_head rcu;
	u32 count;
	struct ksvc_cidr cidr[];
};

/* kservice's state in one network namespace. */
struct ksvc_net {
	struct mutex lock;		/* serialises every writer */
	struct ksvc_table tab;
	struct net *net;
	bool hooked;			/* NAT callbacks registered */
	int masquerade_all;		/* sysctls: READ_ONCE() */
	int nodeport_localhost;
	struct ksvc_cidrs __rcu *cidrs;	/* NULL: none configured */
	struct ksvc_cidrs __rcu *np_cidrs; /* node ports; NULL: every address */
	struct ksvc_stats *stats;	/* namespace totals */
	struct ctl_table_header *sysctl;
	struct ksvc_affinity aff;	/* ClientIP session affinity */
	/* Without services: whether the hooks may go yet (ksvc_net_hooks_sync). */
	struct delayed_work unhook_work;
	/* A conntrack cleanup deferred (KSVC_REQ_F_DEFER_CT) and not claimed. */
	struct delayed_work ct_work;
};

extern unsigned int ksvc_net_id;

static inline struct ksvc_net *ksvc_net_get(const struct net *net)
{
	return net_generic(net, ksvc_net_id);
}

int ksvc_net_setup(struct ksvc_net *ns, struct net *net);
void ksvc_net_teardown(struct ksvc_net *ns);
int ksvc_net_hooks_get(struct ksvc_net *ns, struct netlink_ext_ack *extack);
void ksvc_net_hooks_sync(struct ksvc_net *ns);
void ksvc_net_cidrs_set(struct ksvc_net *ns, struct ksvc_cidrs *cidrs);
void ksvc_net_np_cidrs_set(struct ksvc_net *ns, struct ksvc_cidrs *cidrs);
int ksvc_net_init(void);
void ksvc_net_uninit(void);

#endif /* _KSVC_NET_H */
