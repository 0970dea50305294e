// SPDX-License-Identifier: GPL-2.0
/*
 * The NAT-core callbacks: which service a new connection is for, which
 * backend takes it, whether it must be masqueraded, or a refusal (reject.c)
 * when the service has no usable backend.
 *
 * The NAT core calls them only for connections whose NAT is not set up
 * yet, i.e. on their first packet; conntrack then translates every later
 * packet and un-NATs the replies without us. kservice adds nothing to a
 * connection but its NAT and conntrack's own accounting: the helper slot
 * stays free for the FTP, SIP or TFTP helper a rule assigns, and flowtable
 * offload takes the connection like any other. What a later step needs is
 * read off conntrack and the tables: the original tuple's destination is
 * the frontend, the reply tuple's source the backend.
 *
 * The first packet passes DNAT at PRE_ROUTING or LOCAL_OUT and then, in
 * the same hook chain run as conntrack's confirmation, the masquerade
 * callback at POST_ROUTING: there the decision is made again from the
 * frontend's configuration (kube-proxy's rules), a UDP or SCTP packet whose
 * backend left the set meanwhile is dropped, and an affinity binding is
 * made, so a first packet dropped on its way leaves none behind.
 */

#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sort.h>
#include <linux/bsearch.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_nat.h>
#include <net/netfilter/nf_nat_masquerade.h>

#include "affinity.h"
#include "compat.h"
#include "kservice.h"
#include "nat.h"
#include "net.h"
#include "reject.h"
#include "sched.h"
#include "stats.h"
#include "table.h"

/* ---- the namespace's conntrack entries ---------------------------------- */

static bool dst_is_local(const struct ksvc_net *ns, struct net *net,
			 u8 family, const union nf_inet_addr *addr);

/*
 * Under RCU. The frontend a packet to @key meets in @ns, as the packet
 * sees it (struct ksvc_conf): an IP frontend, else a node port when the
 * address is one of @net's own.
 */
static bool frontend_find(struct ksvc_net *ns, struct net *net,
			  const struct ksvc_fe_key *key,
			  struct ksvc_fe_view *v)
{
	return ksvc_fe_find(&ns->tab, key, v) ||
	       (ksvc_np_find(&ns->tab, key->family, key->proto, key->port, v) &&
		dst_is_local(ns, net, key->family, &key->addr));
}

/* The frontend key of @ct's original destination. */
static void ct_key(const struct nf_conn *ct, struct ksvc_fe_key *key)
{
	const struct nf_conntrack_tuple *t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;

	memset(key, 0, sizeof(*key));
	key->family = nf_ct_l3num(ct);
	key->proto = t->dst.protonum;
	key->port = t->dst.u.all;
	if (key->family == AF_INET)
		key->addr.ip = t->dst.u3.ip;
	else
		key->addr.in6 = t->dst.u3.in6;
}

/*
 * Under RCU. The frontend @ct's original destination names in @ns (its
 * key into *key), as ksvc_nat_dnat() found it for the first packet.
 */
static bool ct_frontend(struct ksvc_net *ns, struct net *net,
			const struct nf_conn *ct, struct ksvc_fe_key *key,
			struct ksvc_fe_view *v)
{
	ct_key(ct, key);
	return frontend_find(ns, net, key, v);
}

/*
 * Under RCU. The backend of @v's set that @ct's replies come from, or -1:
 * the reply tuple's source is where the DNAT sent the connection.
 */
static int ct_backend(const struct nf_conn *ct, const struct ksvc_fe_view *v)
{
	const struct nf_conntrack_tuple *r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;

	return ksvc_beset_find(v->conf->set, nf_ct_l3num(ct), &r->src.u3,
			       r->src.u.all);
}

enum { CT_NEXT, CT_DELETE, CT_STOP };

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
/* KUnit: the walks made, every namespace's (writers serialise their own). */
unsigned long ksvc_nat_ct_walks;
#endif

/* Entries one bucket's visit deletes at most before it takes the lock again. */
#define CT_WALK_BATCH	16

/*
 * Calls @fn for every entry conntrack holds in @ns's namespace, a bucket
 * lock held and bottom halves off, and deletes those it answers CT_DELETE
 * for. Bucket by bucket, as ctnetlink dumps, without the mutex that
 * nf_ct_iterate_cleanup_net() takes for every namespace: a walk here never
 * waits for another namespace's, nor makes one wait. Process context.
 */
static void ct_walk(struct ksvc_net *ns, int (*fn)(struct nf_conn *ct, void *arg),
		    void *arg, u32 portid)
{
	struct nf_conn *batch[CT_WALK_BATCH];
	struct nf_conntrack_tuple_hash *h;
	struct hlist_nulls_node *n;
	unsigned int bucket, i, count;
	bool stop = false, full;
	spinlock_t *lockp;		/* the bucket's, conntrack's own */
	struct nf_conn *ct;

	might_sleep();
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
	ksvc_nat_ct_walks++;
#endif
	if (!nf_conntrack_count(ns->net))
		return;
	for (bucket = 0; !stop; bucket++) {
		count = 0;
		full = false;
		lockp = &nf_conntrack_locks[bucket % CONNTRACK_LOCKS];
		local_bh_disable();
		nf_conntrack_lock(lockp);
		/* A resize swaps the table with every bucket lock held. */
		if (bucket >= nf_conntrack_htable_size) {
			stop = true;
			goto unlock;
		}
		hlist_nulls_for_each_entry(h, n, &nf_conntrack_hash[bucket],
					   hnnode) {
			/* Each entry once: by its reply tuple, always hashed. */
			if (NF_CT_DIRECTION(h) != IP_CT_DIR_REPLY)
				continue;
			ct = nf_ct_tuplehash_to_ctrack(h);
			if (!net_eq(ns->net, nf_ct_net(ct)) || nf_ct_is_dying(ct))
				continue;
			switch (fn(ct, arg)) {
			case CT_STOP:
				stop = true;
				goto unlock;
			case CT_DELETE:
				if (!refcount_inc_not_zero(&ct->ct_general.use))
					break;
				batch[count++] = ct;
				full = count == ARRAY_SIZE(batch);
				if (full)
					goto unlock;
			}
		}
unlock:
		spin_unlock(lockp);
		local_bh_enable();
		for (i = 0; i < count; i++) {
			nf_ct_delete(batch[i], portid, 0);
			nf_ct_put(batch[i]);
		}
		/* The same bucket again: what was deleted has left it. */
		if (full)
			bucket--;
		cond_resched();
	}
}

static int fe_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ksvc_fe_key));
}

/* Whether @key is one of the frontends the changes since the last flush removed. */
static bool key_gone(const struct ksvc_table *tab, const struct ksvc_fe_key *key)
{
	return bsearch(key, tab->gone, tab->gone_count, sizeof(*key),
		       fe_key_cmp);
}

/*
 * Whether a UDP or SCTP entry of @ns would no longer be translated as it
 * was, as kube-proxy's conntrack cleanup sees it:
 * - translated to a frontend of ours whose set no longer holds the backend
 *   its replies come from;
 * - translated to a frontend that a change since the last flush removed
 *   (its service went, or the address or node port left it; any frontend
 *   of no service of ours if there was no room to say which);
 * - not translated, to a frontend of ours that has backends now: it began
 *   before its service (or before the service's first backend), and its
 *   entry would keep every later datagram of it untranslated, as long as
 *   the client keeps sending from the same port (the "DNS blackhole at node
 *   boot" kube-proxy deletes these for).
 * Under a bucket lock.
 */
static int ct_stale(struct nf_conn *ct, void *arg)
{
	struct ksvc_net *ns = arg;
	struct ksvc_fe_key key;
	struct ksvc_fe_view v;
	bool found, stale;

	if (nf_ct_protonum(ct) != IPPROTO_UDP &&
	    nf_ct_protonum(ct) != IPPROTO_SCTP)
		return CT_NEXT;
	rcu_read_lock();
	found = ct_frontend(ns, ns->net, ct, &key, &v);
	if (!(ct->status & IPS_DST_NAT)) {
		stale = found && v.conf->set->count;
	} else if (found) {
		stale = ct_backend(ct, &v) < 0;
	} else {
		stale = ns->tab.gone_lost || key_gone(&ns->tab, &key);
		if (!stale && dst_is_local(ns, ns->net, key.family, &key.addr)) {
			memset(&key.addr, 0, sizeof(key.addr));
			stale = key_gone(&ns->tab, &key);
		}
	}
	rcu_read_unlock();
	return stale ? CT_DELETE : CT_NEXT;
}

/*
 * The rule for a namespace's hooks, in one place: they are registered
 * while it has a service, or while conntrack holds a connection in it
 * whose destination was translated (ours, or for all we can tell ours:
 * nothing marks them). The NAT core's own hooks, which un-NAT every later
 * packet of such a connection, live only while the namespace has a NAT
 * user.
 */
static int ct_translated(struct nf_conn *ct, void *arg)
{
	if (!(ct->status & IPS_DST_NAT))
		return CT_NEXT;
	*(bool *)arg = true;
	return CT_STOP;
}

bool ksvc_nat_ct_any(struct ksvc_net *ns)
{
	bool found = false;

	lockdep_assert_held(&ns->lock);
	ct_walk(ns, ct_translated, &found, 0);
	return found;
}

/*
 * After the changes of a request that took backends or frontends from UDP
 * or SCTP services (or the services themselves), or gave frontends their
 * first backends: deletes the conntrack entries they left pointing
 * nowhere, before the request is acknowledged, so the next datagram of a
 * long-lived flow is scheduled afresh. One walk for all of them. TCP needs
 * none of this: the backend's RST or the client's timeout ends the
 * connection.
 *
 * A first packet translated before the change meets the new tables at its
 * POST_ROUTING (ksvc_nat_snat(), which drops it if its backend left), in
 * the hook run that confirms it: a grace period after the change, every
 * such packet has been dropped there or confirmed, and the walk finds it.
 */
void ksvc_nat_ct_flush(struct ksvc_net *ns, u32 portid)
{
	struct ksvc_table *tab = &ns->tab;

	lockdep_assert_held(&ns->lock);
	if (!tab->ct_stale)
		return;
	tab->ct_stale = false;
	sort(tab->gone, tab->gone_count, sizeof(*tab->gone), fe_key_cmp, NULL);
	synchronize_net();
	ct_walk(ns, ct_stale, ns, portid);
	ksvc_table_gone_clear(tab);
}

/* Adds @ct's accounting to its service's and backend's live counters. */
static int ct_count(struct nf_conn *ct, void *arg)
{
	struct ksvc_net *ns = arg;
	const struct nf_conn_acct *acct;
	struct ksvc_fe_key key;
	struct ksvc_fe_view v;
	u64 packets, bytes;
	int i;

	if (!(ct->status & IPS_DST_NAT))
		return CT_NEXT;
	acct = nf_conn_acct_find(ct);
	if (!acct)
		return CT_NEXT;
	packets = atomic64_read(&acct->counter[IP_CT_DIR_ORIGINAL].packets) +
		  atomic64_read(&acct->counter[IP_CT_DIR_REPLY].packets);
	bytes = atomic64_read(&acct->counter[IP_CT_DIR_ORIGINAL].bytes) +
		atomic64_read(&acct->counter[IP_CT_DIR_REPLY].bytes);
	rcu_read_lock();
	if (ct_frontend(ns, ns->net, ct, &key, &v)) {
		ksvc_stats_live_add(ns->stats, packets, bytes);
		ksvc_stats_live_add(v.svc->stats, packets, bytes);
		i = ct_backend(ct, &v);
		if (i >= 0)
			ksvc_stats_live_add(v.conf->set->be[i].stats, packets,
					    bytes);
	}
	rcu_read_unlock();
	return CT_NEXT;
}

/*
 * Packets and bytes of the connections conntrack holds now, from its
 * accounting, into the live counters of the namespace, its services and
 * their backends: one walk, for a dump or a stats request.
 */
void ksvc_nat_ct_count(struct ksvc_net *ns)
{
	struct ksvc_service *svc;
	const struct ksvc_beset *set;
	u32 i;

	lockdep_assert_held(&ns->lock);
	ksvc_stats_live_reset(ns->stats);
	list_for_each_entry(svc, &ns->tab.services, list) {
		ksvc_stats_live_reset(svc->stats);
		set = ksvc_service_backends(&ns->tab, svc);
		for (i = 0; i < set->count; i++)
			ksvc_stats_live_reset(set->be[i].stats);
	}
	ct_walk(ns, ct_count, ns, 0);
}

/* ---- masquerade decision ------------------------------------------------ */

static bool addr_eq(u8 family, const union nf_inet_addr *a,
		    const union nf_inet_addr *b)
{
	if (family == AF_INET)
		return a->ip == b->ip;
	return ipv6_addr_equal(&a->in6, &b->in6);
}

/* Whether @addr is in a cluster CIDR; *known: whether @family has any. */
static bool in_cluster(const struct ksvc_cidrs *cidrs, u8 family,
		       const union nf_inet_addr *addr, bool *known)
{
	u32 i;

	*known = false;
	if (!cidrs)
		return false;
	for (i = 0; i < cidrs->count; i++) {
		const struct ksvc_cidr *c = &cidrs->cidr[i];

		if (c->family != family)
			continue;
		*known = true;
		if (family == AF_INET) {
			if (!((addr->ip ^ c->addr.ip) & inet_make_mask(c->prefixlen)))
				return true;
		} else if (ipv6_prefix_equal(&addr->in6, &c->addr.in6,
					     c->prefixlen)) {
			return true;
		}
	}
	return false;
}

/*
 * Whether the source ranges let @addr in: no list lets everyone in; a list
 * without a range of @family lets none of that family in.
 */
static bool ranges_allow(const struct ksvc_cidrs *ranges, u8 family,
			 const union nf_inet_addr *addr)
{
	bool known;

	return !ranges || in_cluster(ranges, family, addr, &known);
}

/* Whether @addr is in one of the cluster CIDRs of its family. */
bool ksvc_nat_in_cluster(const struct ksvc_cidrs *cidrs, u8 family,
			 const union nf_inet_addr *addr)
{
	bool known;

	return in_cluster(cidrs, family, addr, &known);
}

/*
 * kube-proxy's chains, per family like its proxiers (a cluster CIDR is its
 * local traffic detector): whether a new connection goes to the node-local
 * backends only. A cluster IP follows internalTrafficPolicy. Node ports,
 * external and load-balancer IPs ("external destinations") follow
 * externalTrafficPolicy, where Local keeps only traffic from outside: pods
 * (a cluster CIDR) and the node itself are sent to the cluster set, as
 * kube-proxy's external chain short-circuits them to its service chain.
 */
bool ksvc_nat_local_pool(const struct ksvc_masq_in *in)
{
	bool known;

	if (in->kind == KSVC_FE_CLUSTER_IP)
		return in->internal_local;
	return in->external_local && !in->node &&
	       !in_cluster(in->cidrs, in->family, in->saddr, &known);
}

/* And whether it is masqueraded: kube-proxy's KUBE-MARK-MASQ rules. */
bool ksvc_nat_masq_wanted(const struct ksvc_masq_in *in)
{
	bool known, inside;

	/*
	 * Hairpin (each endpoint chain): the backend would answer its own
	 * address straight back, past the un-DNAT.
	 */
	if (addr_eq(in->family, in->saddr, in->backend))
		return true;
	inside = in_cluster(in->cidrs, in->family, in->saddr, &known);
	/*
	 * The service chain: masqueradeAll, or "! -s clusterCIDR", which
	 * exists only with a cluster CIDR.
	 */
	if (in->kind == KSVC_FE_CLUSTER_IP)
		return in->masquerade_all || (known && !inside);
	/*
	 * The external chain, policy Cluster: every packet, whatever its
	 * source. The backend may be on a third node: its answer must come
	 * back through this one, which holds the translation.
	 */
	if (!in->external_local)
		return true;
	/*
	 * Policy Local: a pod's goes to the cluster set unmasqueraded
	 * (masqueradeAll plays no part here), the node's own is masqueraded,
	 * and from outside the local backend sees the client.
	 */
	return in->node && !inside;
}

/* ---- DNAT --------------------------------------------------------------- */

/*
 * Under RCU. Whether a node port answers on @addr: a local address (an
 * IPv4 loopback one only with nodeport_localhost) inside the node-port CIDRs of
 * its family, when there are any (kube-proxy's --nodeport-addresses).
 */
static bool dst_is_local(const struct ksvc_net *ns, struct net *net,
			 u8 family, const union nf_inet_addr *addr)
{
	bool known;

	if (!in_cluster(rcu_dereference(ns->np_cidrs), family, addr, &known) &&
	    known)
		return false;
	if (family == AF_INET) {
		if (ipv4_is_loopback(addr->ip))
			return READ_ONCE(ns->nodeport_localhost);
		return inet_addr_type(net, addr->ip) == RTN_LOCAL;
	}
	/*
	 * Never ::1, as kube-proxy: IPv6 has no route_localnet, so the
	 * reply to a translated ::1 connection is dropped on its way back
	 * and the client would hang instead of being refused.
	 */
	if (ipv6_addr_loopback(&addr->in6))
		return false;
	return ipv6_chk_addr(net, &addr->in6, NULL, 0);
}

/*
 * Under RCU. Whether @addr, a new connection's source, is one of the
 * node's own: kube-proxy's "-m addrtype --src-type LOCAL", its test for
 * traffic the node itself sends, at PRE_ROUTING and at POST_ROUTING alike.
 */
static bool src_is_local(struct net *net, u8 family,
			 const union nf_inet_addr *addr)
{
	if (family == AF_INET)
		return inet_addr_type(net, addr->ip) == RTN_LOCAL;
	return ipv6_addr_loopback(&addr->in6) ||
	       ipv6_chk_addr(net, &addr->in6, NULL, 0);
}

/*
 * Under RCU. What kube-proxy's rules look at for a connection from @saddr
 * to the frontend @v: the same at DNAT and at POST_ROUTING, read from the
 * same configuration.
 */
static void masq_in_init(struct ksvc_masq_in *in, struct ksvc_net *ns,
			 struct net *net, const struct ksvc_fe_view *v,
			 u8 family, const union nf_inet_addr *saddr)
{
	in->family = family;
	in->kind = v->kind;
	in->masquerade_all = READ_ONCE(ns->masquerade_all);
	in->internal_local = v->conf->flags & KSVC_SVC_F_INTERNAL_LOCAL;
	in->external_local = v->conf->flags & KSVC_SVC_F_EXTERNAL_LOCAL;
	in->saddr = saddr;
	in->cidrs = rcu_dereference(ns->cidrs);
	in->backend = NULL;
	/* Looked at only for external destinations with policy Local. */
	in->node = v->kind != KSVC_FE_CLUSTER_IP && in->external_local &&
		   src_is_local(net, family, saddr);
}

/*
 * Under RCU. The backend of a new connection from @client: the one its
 * affinity binding names while that may take new connections, else the
 * scheduler's choice (which ksvc_nat_snat() binds the client to).
 */
static const struct ksvc_backend *pick(struct ksvc_net *ns,
				       const struct ksvc_fe_view *v,
				       const struct ksvc_pool *pool, u8 family,
				       const struct nf_conntrack_tuple *t)
{
	const union nf_inet_addr *client = &t->src.u3;
	const struct ksvc_beset *set = v->conf->set;
	u8 sched = v->conf->sched;
	struct ksvc_service *svc = v->svc;
	struct ksvc_ref ref;
	int i;

	if (v->conf->affinity) {
		ksvc_stats_ref(svc->stats, &ref);
		i = ksvc_affinity_lookup(&ns->aff, &ref, set, family, client,
					 v->conf->affinity);
		if (i >= 0 && ksvc_sched_in_pool(pool, i))
			return &set->be[i];
	}
	return ksvc_sched_pick_pool(sched, set, pool,
				    &svc->rr[ksvc_fam_idx(family)],
				    sched == KSVC_SCHED_MAGLEV ?
				    ksvc_sched_flow_hash(family, client,
							 t->src.u.all,
							 t->dst.protonum) : 0);
}

/* Under RCU, as every netfilter hook. */
KSVC_TESTABLE unsigned int ksvc_nat_dnat(struct ksvc_net *ns,
					 struct sk_buff *skb,
					 const struct nf_hook_state *state,
					 u8 family)
{
	struct nf_nat_range2 range = {};
	const struct nf_conntrack_tuple *t;
	const struct ksvc_backend *be;
	const struct ksvc_beset *set;
	const struct ksvc_pool *pool;
	enum ip_conntrack_info ctinfo;
	struct ksvc_masq_in masq;
	struct ksvc_service *svc;
	struct ksvc_fe_key key;
	struct ksvc_fe_view v;
	struct nf_conn *ct;
	unsigned int ret;
	bool local;
	u8 proto;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW || nf_ct_is_confirmed(ct) ||
	    nf_nat_initialized(ct, NF_NAT_MANIP_DST))
		return NF_ACCEPT;
	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	proto = t->dst.protonum;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
	    proto != IPPROTO_SCTP)
		return NF_ACCEPT;

	if (!ct_frontend(ns, state->net, ct, &key, &v))
		return NF_ACCEPT;
	svc = v.svc;
	set = v.conf->set;
	masq_in_init(&masq, ns, state->net, &v, family, &t->src.u3);

	/* loadBalancerSourceRanges: a firewall on the LB IPs only. */
	if (v.kind == KSVC_FE_LOAD_BALANCER_IP &&
	    !ranges_allow(v.conf->ranges, family, &t->src.u3)) {
		ksvc_stats_drop(svc->stats);
		ksvc_stats_drop(ns->stats);
		return NF_DROP;
	}

	/* The traffic policies. */
	local = ksvc_nat_local_pool(&masq);
	pool = ksvc_sched_pool(set, family, local);

	be = pick(ns, &v, pool, family, t);
	if (!be && local && ksvc_sched_pool(set, family, false)->count) {
		/* Backends elsewhere, none here: drop, as kube-proxy. */
		ksvc_stats_drop(svc->stats);
		ksvc_stats_drop(ns->stats);
		return NF_DROP;
	}
	if (!be) {
		ksvc_stats_reject(svc->stats);
		ksvc_stats_reject(ns->stats);
		ksvc_reject(skb, state, family, proto);
		/*
		 * A node-local sender gets the refusal from its send() or
		 * connect() at once, not -EPERM.
		 */
		return NF_DROP_ERR(-ECONNREFUSED);
	}

	range.flags = NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED;
	range.min_addr = be->addr;
	range.max_addr = be->addr;
	range.min_proto.all = be->port;
	range.max_proto.all = be->port;
	ret = nf_nat_setup_info(ct, &range, NF_NAT_MANIP_DST);
	if (ret != NF_ACCEPT)
		return ret;

	/*
	 * Packets and bytes are conntrack's to count, as for any connection
	 * when net.netfilter.nf_conntrack_acct is on, and for ours whatever
	 * it says (ksvc_nat_ct_count() reads them). Added now, the
	 * extension missed this first packet: it is counted here. Without
	 * room the connection goes on, uncounted.
	 */
	if (!nf_conn_acct_find(ct) && nf_ct_ext_add(ct, NF_CT_EXT_ACCT, GFP_ATOMIC))
		nf_ct_acct_add(ct, CTINFO2DIR(ctinfo), 1, skb->len);

	ksvc_stats_conn(ns->stats);
	ksvc_stats_conn(svc->stats);
	ksvc_stats_conn(be->stats);
	return NF_ACCEPT;
}

/* ---- masquerade --------------------------------------------------------- */

/*
 * Under RCU: the first packet of @ct, at POST_ROUTING, in the hook run
 * that confirms it. Nothing was kept from its DNAT: the frontend its
 * original destination names and the backend its replies come from are
 * looked up again. A connection to no frontend of ours was not translated
 * by us (or its service went since: the flush deletes it) and is left
 * alone. What to do with the packet: KSVC_SNAT_*.
 */
KSVC_TESTABLE int ksvc_nat_snat_decide(struct ksvc_net *ns, struct net *net,
				       struct nf_conn *ct)
{
	const struct nf_conntrack_tuple *t, *r;
	struct ksvc_masq_in masq;
	struct ksvc_fe_key key;
	struct ksvc_fe_view v;
	struct ksvc_ref ref;
	int i;

	if (!(ct->status & IPS_DST_NAT))
		return KSVC_SNAT_NONE;
	if (!ct_frontend(ns, net, ct, &key, &v))
		return KSVC_SNAT_NONE;
	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	i = ct_backend(ct, &v);
	/*
	 * A UDP or SCTP flow whose backend left the set since its DNAT: a
	 * change's flush deletes the entries of those that got here first;
	 * this packet stops here, and the next is scheduled afresh.
	 */
	if (i < 0 && (key.proto == IPPROTO_UDP || key.proto == IPPROTO_SCTP))
		return KSVC_SNAT_DROP;
	/*
	 * The binding the scheduler's choice asks for, now that the first
	 * packet made it through filtering and routing.
	 */
	if (i >= 0 && v.conf->affinity) {
		ksvc_stats_ref(v.svc->stats, &ref);
		if (ksvc_affinity_lookup(&ns->aff, &ref, v.conf->set, key.family,
					 &t->src.u3, v.conf->affinity) != i)
			ksvc_affinity_remember(&ns->aff, &ref, key.family,
					       &t->src.u3, &r->src.u3,
					       r->src.u.all, v.conf->affinity);
	}
	masq_in_init(&masq, ns, net, &v, key.family, &t->src.u3);
	masq.backend = &r->src.u3;
	return ksvc_nat_masq_wanted(&masq) ? KSVC_SNAT_MASQUERADE :
					      KSVC_SNAT_NONE;
}

static unsigned int snat(struct ksvc_net *ns, struct sk_buff *skb,
			 const struct nf_hook_state *state, u8 family)
{
	/* Random source ports, as kube-proxy's --random-fully. */
	const struct nf_nat_range2 range = {
		.flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY,
	};
	enum ip_conntrack_info ctinfo;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	switch (ksvc_nat_snat_decide(ns, state->net, ct)) {
	case KSVC_SNAT_DROP:
		return NF_DROP;
	case KSVC_SNAT_MASQUERADE:
		break;
	default:
		return NF_ACCEPT;
	}
	if (family == AF_INET)
		return nf_nat_masquerade_ipv4(skb, state->hook, &range,
					      state->out);
	return nf_nat_masquerade_ipv6(skb, &range, state->out);
}

/* ---- hooks -------------------------------------------------------------- */

static unsigned int dnat4(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	return ksvc_nat_dnat(ksvc_net_get(state->net), skb, state, AF_INET);
}

static unsigned int dnat6(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	return ksvc_nat_dnat(ksvc_net_get(state->net), skb, state, AF_INET6);
}

static unsigned int snat4(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	return snat(ksvc_net_get(state->net), skb, state, AF_INET);
}

static unsigned int snat6(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	return snat(ksvc_net_get(state->net), skb, state, AF_INET6);
}

/*
 * Registered through the NAT core (nf_nat_ipv{4,6}_register_fn()), which
 * calls them only while a connection's NAT is not set up, in priority
 * order with other NAT users (iptables and nftables nat chains).
 */
const struct nf_hook_ops ksvc_nat_ops[] = {
	/*
	 * Traffic entering the node (pods, outside clients): decide where
	 * kube-proxy's nat PREROUTING does, after conntrack (-200) and before
	 * filtering and routing, so the packet is routed to the backend.
	 */
	{
		.hook		= dnat4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_NAT_DST,
	},
	/*
	 * Node-local clients: the same decision at the same priority in
	 * LOCAL_OUT; the NAT core reroutes the rewritten packet.
	 */
	{
		.hook		= dnat4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_NAT_DST,
	},
	/*
	 * Masquerade last, after filtering, once the output device (and so
	 * the address to use) is known.
	 */
	{
		.hook		= snat4,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP_PRI_NAT_SRC,
	},
	/* IPv6: the same three, at the same places. */
	{
		.hook		= dnat6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_NAT_DST,
	},
	{
		.hook		= dnat6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_NAT_DST,
	},
	{
		.hook		= snat6,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_POST_ROUTING,
		.priority	= NF_IP6_PRI_NAT_SRC,
	},
};

const unsigned int ksvc_nat_ops_count = ARRAY_SIZE(ksvc_nat_ops);

int ksvc_nat_init(void)
{
	/*
	 * Masquerading needs the NAT core to drop connections whose device or
	 * address goes away. Held for the module's life, not per hooked
	 * namespace: unregistering takes pernet_ops_rwsem for writing, which
	 * a namespace's exit, running under it, cannot.
	 */
	return nf_nat_masquerade_inet_register_notifiers();
}

void ksvc_nat_uninit(void)
{
	nf_nat_masquerade_inet_unregister_notifiers();
}
