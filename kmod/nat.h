/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_NAT_H
#define _KSVC_NAT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/types.h>

struct ksvc_cidrs;
struct ksvc_net;
struct nf_conn;

/* The NAT-core callbacks; net.c registers them per namespace. */
extern const struct nf_hook_ops ksvc_nat_ops[];
extern const unsigned int ksvc_nat_ops_count;

int ksvc_nat_init(void);
void ksvc_nat_ct_flush(struct ksvc_net *ns, u32 portid);
bool ksvc_nat_ct_any(struct ksvc_net *ns);
void ksvc_nat_ct_count(struct ksvc_net *ns);
void ksvc_nat_uninit(void);

/* What POST_ROUTING does with a connection's first packet. */
enum {
	KSVC_SNAT_NONE,
	KSVC_SNAT_MASQUERADE,
	KSVC_SNAT_DROP,
};

/* What the masquerade decision looks at. */
/* What kube-proxy's rules look at for a new connection to a service. */
struct ksvc_masq_in {
	u8 family;
	u8 kind;			/* of the frontend that matched */
	bool masquerade_all;
	bool node;			/* from one of the node's addresses */
	bool internal_local;		/* internalTrafficPolicy Local */
	bool external_local;		/* externalTrafficPolicy Local */
	const union nf_inet_addr *saddr;
	const union nf_inet_addr *backend;	/* the pick, for the masquerade */
	const struct ksvc_cidrs *cidrs;
};

bool ksvc_nat_local_pool(const struct ksvc_masq_in *in);
bool ksvc_nat_masq_wanted(const struct ksvc_masq_in *in);
bool ksvc_nat_in_cluster(const struct ksvc_cidrs *cidrs, u8 family,
			 const union nf_inet_addr *addr);

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
unsigned int ksvc_nat_dnat(struct ksvc_net *ns, struct sk_buff *skb,
			   const struct nf_hook_state *state, u8 family);
int ksvc_nat_snat_decide(struct ksvc_net *ns, struct net *net,
			 struct nf_conn *ct);
extern unsigned long ksvc_nat_ct_walks;
#endif

#endif /* _KSVC_NAT_H */
