// SPDX-License-Identifier: GPL-2.0
/*
 * The NAT-core callbacks: which service a new connection is for, which
 * backend takes it, whether it must be masqueraded, or a refusal (reject.c)
 * when the service has no usable backend; and the conntrack helper that
 * follows every translated connection to count its packets.
 *
 * The NAT core calls the DNAT callback only for connections whose
 * destination NAT is not set up yet, i.e. on their first packet; conntrack
 * then translates every later packet and un-NATs the replies without us.
 *
 * What the first packet decided is kept in the connection's helper
 * extension (struct nf_conn_help, data[32] in 6.1), our helper attached to
 * it after nf_nat_setup_info(): nf_conntrack_alter_reply() no longer
 * re-assigns helpers in 6.1, and nf_ct_helper_ext_add() sets IPS_HELPER_BIT,
 * which makes __nf_ct_try_assign_helper() keep it. nf_confirm() then calls
 * the helper for every packet, both ways: that is where packets and bytes
 * are counted. ct->mark stays the user's.
 */

#include <linux/inetdevice.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_helper.h>
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

/*
 * What a translated connection remembers, in the 32 bytes of help->data.
 * The namespace and the counters are found by id, not held by pointer: an
 * unconfirmed conntrack that is dropped gets no destroy callback, so it
 * could never give a reference back.
 */
struct ksvc_ct {
	unsigned long bits;		/* KSVC_CT_* bit numbers, atomic */
	struct ksvc_ref ns;
	struct ksvc_ref svc;
	struct ksvc_ref be;
};

enum {
	KSVC_CT_MASQUERADE,		/* masquerade at POST_ROUTING */
	KSVC_CT_AFFINITY,		/* its packets keep a binding alive */
	KSVC_CT_BIND,			/* bind its client once confirmed */
};

/*
 * The affinity timeout a binding made for the connection gets, above the
 * flag bits: written before the extension is attached, read-only after.
 */
#define KSVC_CT_TIMEOUT_SHIFT	8
static_assert(KSVC_AFFINITY_TIMEOUT_MAX < (1UL << (BITS_PER_LONG - KSVC_CT_TIMEOUT_SHIFT)));

static_assert(sizeof(struct ksvc_ct) <=
	      sizeof_field(struct nf_conn_help, data));

static int ksvc_help(struct sk_buff *skb, unsigned int protoff,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo);
static void ksvc_destroy(struct nf_conn *ct);

static const struct nf_conntrack_expect_policy ksvc_expect_policy = {
	.name = "kservice",
};

/*
 * One global helper, attached by hand. Its protocol number is 0, so rules
 * and ctnetlink, which find helpers by (name, family, protocol), cannot put
 * it on TCP, UDP or SCTP connections of their own; `conntrack -L` shows
 * helper=kservice on ours.
 */
static struct nf_conntrack_helper ksvc_helper __read_mostly = {
	.name = "kservice",
	.me = THIS_MODULE,
	.help = ksvc_help,
	.destroy = ksvc_destroy,
	.expect_policy = &ksvc_expect_policy,
	.tuple.src.l3num = NFPROTO_UNSPEC,
};

static struct ksvc_ct *ct_data(const struct nf_conn *ct)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (!help || rcu_access_pointer(help->helper) != &ksvc_helper)
		return NULL;
	return (struct ksvc_ct *)help->data;
}

/*
 * nf_confirm() calls this for every packet of the connection, both ways, at
 * POST_ROUTING and LOCAL_IN, before it confirms the connection on its
 * first. A looped-back packet passes both: count it once, on its way out.
 */
static int ksvc_help(struct sk_buff *skb, unsigned int protoff,
		     struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	struct ksvc_ct *data = ct_data(ct);
	const struct nf_conntrack_tuple *o, *r;
	struct ksvc_stats *be;
	struct ksvc_net *ns;

	if (!data)
		return NF_ACCEPT;
	be = ksvc_stats_find(&data->be);
	o = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	r = &ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	/*
	 * A UDP or SCTP flow whose backend left the set: ksvc_nat_ct_flush()
	 * deleted it before the change's ack, unless its first packet was
	 * translated before the change and reaches here after the walk
	 * passed (6.1 lists no unconfirmed entries). Its packets stop here,
	 * and the entry goes: the next datagram is scheduled afresh.
	 */
	if ((o->dst.protonum == IPPROTO_UDP ||
	     o->dst.protonum == IPPROTO_SCTP) && !be) {
		if (nf_ct_is_confirmed(ct))
			nf_ct_kill(ct);
		return NF_DROP;
	}
	ns = ksvc_net_lookup(&data->ns);
	/*
	 * The first packet seen after the confirmation makes the binding
	 * the scheduler's choice asked for: a connection whose first packet
	 * was dropped on its way (filtering, routing, a full table) is never
	 * confirmed, and leaves nothing behind.
	 */
	if (ns && test_bit(KSVC_CT_BIND, &data->bits) &&
	    nf_ct_is_confirmed(ct) &&
	    test_and_clear_bit(KSVC_CT_BIND, &data->bits))
		ksvc_affinity_remember(&ns->aff, &data->svc, nf_ct_l3num(ct),
				       &o->src.u3, &r->src.u3, r->src.u.all,
				       READ_ONCE(data->bits) >>
				       KSVC_CT_TIMEOUT_SHIFT);
	if (nf_is_loopback_packet(skb))
		return NF_ACCEPT;
	if (ns && test_bit(KSVC_CT_AFFINITY, &data->bits))
		ksvc_affinity_touch(&ns->aff, &data->svc, nf_ct_l3num(ct),
				    &o->src.u3, &r->src.u3, r->src.u.all);
	if (ns)
		ksvc_stats_packet(ns->stats, skb->len);
	ksvc_stats_packet_ref(&data->svc, skb->len);
	ksvc_stats_packet(be, skb->len);
	return NF_ACCEPT;
}

/*
 * A confirmed connection is deleted (under RCU, any context): when it was
 * one of the last of a namespace without services, the namespace's hooks
 * may go.
 */
static void ksvc_destroy(struct nf_conn *ct)
{
	struct ksvc_ct *data = ct_data(ct);
	struct ksvc_net *ns;

	if (!data)
		return;
	ns = ksvc_net_lookup(&data->ns);
	if (ns)
		ksvc_net_conn_gone(ns);
}

/* Unconfirmed @ct: add the helper extension unless another helper has it. */
static int ct_attach(struct nf_conn *ct, const struct ksvc_ct *data)
{
	struct nf_conn_help *help = nfct_help(ct);

	if (help && rcu_access_pointer(help->helper))
		return -EBUSY;
	if (!help) {
		help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
		if (!help)
			return -ENOMEM;
	}
	memcpy(help->data, data, sizeof(*data));
	rcu_assign_pointer(help->helper, &ksvc_helper);
	set_bit(IPS_HELPER_BIT, &ct->status);
	return 0;
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
int ksvc_nat_ct_flags(const struct nf_conn *ct)
{
	const struct ksvc_ct *data = ct_data(ct);

	if (!data)
		return -ENOENT;
	return test_bit(KSVC_CT_MASQUERADE, &data->bits) ? KSVC_CT_F_MASQUERADE : 0;
}
#endif

/* ---- stale connections -------------------------------------------------- */

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

/*
 * Under RCU. Whether a UDP or SCTP flow that no one translated goes to a
 * frontend of @ns that has backends now: it began before its service (or
 * before the service's first backend), and its entry would keep every
 * later datagram of it untranslated, as long as the client keeps sending
 * from the same port (kube-proxy deletes these too: the "DNS blackhole at
 * node boot").
 */
static bool ct_untranslated(struct ksvc_net *ns, const struct nf_conn *ct,
			    const struct ksvc_fe_key *key)
{
	struct ksvc_fe_view v;

	if (ct->status & IPS_DST_NAT)
		return false;
	return frontend_find(ns, ns->net, key, &v) && v.conf->set->count;
}

/*
 * Whether a UDP or SCTP connection of @ns would no longer be translated as
 * it was: its backend left the set (its counters were retired with it: a
 * backend that stays keeps them), or its original destination no longer
 * leads to the service that translated it; or no one translated it and
 * it goes to one of our frontends (ct_untranslated()). Called with a
 * conntrack bucket lock held and bottom halves off.
 */
static int ct_stale(struct nf_conn *ct, void *arg)
{
	struct ksvc_net *ns = arg;
	const struct nf_conntrack_tuple *t;
	const struct ksvc_ct *data;
	struct ksvc_fe_key key = {};
	struct ksvc_fe_view v;
	bool stale;

	t = &ct->tuplehash[IP_CT_DIR_ORIGINAL].tuple;
	if (t->dst.protonum != IPPROTO_UDP && t->dst.protonum != IPPROTO_SCTP)
		return 0;
	key.family = nf_ct_l3num(ct);
	key.proto = t->dst.protonum;
	key.port = t->dst.u.all;
	key.addr = t->dst.u3;
	data = ct_data(ct);
	if (!data) {
		rcu_read_lock();
		stale = ct_untranslated(ns, ct, &key);
		rcu_read_unlock();
		return stale;
	}
	if (data->ns.id != ns->ref.id || data->ns.cookie != ns->ref.cookie)
		return 0;
	rcu_read_lock();
	stale = !ksvc_stats_ref_alive(&data->be);
	if (!stale)
		stale = (!ksvc_fe_find(&ns->tab, &key, &v) &&
			 !ksvc_np_find(&ns->tab, key.family, key.proto,
				       key.port, &v)) ||
			!ksvc_stats_ref_is(v.svc->stats, &data->svc);
	rcu_read_unlock();
	return stale;
}

/*
 * Whether @ct is a connection kservice translated in @ns that conntrack
 * still holds: its helper extension carries our data, whether our helper
 * is still attached or an admin detached it (ctnetlink's CTA_HELP "",
 * after which no destroy callback comes). Under a bucket lock.
 */
static int ct_ours(struct nf_conn *ct, void *arg)
{
	struct ksvc_net *ns = arg;
	const struct nf_conntrack_helper *helper;
	const struct nf_conn_help *help;
	const struct ksvc_ct *data;

	if (nf_ct_is_dying(ct) || !(ct->status & IPS_DST_NAT))
		return 0;
	help = nfct_help(ct);
	if (!help)
		return 0;
	helper = rcu_access_pointer(help->helper);
	if (helper && helper != &ksvc_helper)
		return 0;
	data = (const struct ksvc_ct *)help->data;
	if (data->ns.id == ns->ref.id && data->ns.cookie == ns->ref.cookie)
		ns->ct_found = true;
	return 0;
}

/*
 * Whether conntrack holds a connection kservice translated in @ns: while
 * one does, the namespace's NAT hooks must stay, or its replies would go
 * back untranslated. A connection whose first packet was translated a
 * grace period ago is confirmed by now, or dropped.
 */
bool ksvc_nat_ct_any(struct ksvc_net *ns)
{
	struct nf_ct_iter_data iter = {
		.net = ns->net,
		.data = ns,
	};

	lockdep_assert_held(&ns->lock);
	ns->ct_found = false;
	nf_ct_iterate_cleanup_net(ct_ours, &iter);
	return ns->ct_found;
}

/*
 * After a change that took a backend or a frontend from a UDP or SCTP
 * service (or the service itself): deletes the conntrack entries it left
 * pointing nowhere, before the request is acknowledged, so the next
 * datagram of a long-lived flow is scheduled afresh. TCP needs none of
 * this: the backend's RST or the client's timeout ends the connection.
 */
void ksvc_nat_ct_flush(struct ksvc_net *ns, u32 portid)
{
	struct nf_ct_iter_data iter = {
		.net = ns->net,
		.data = ns,
		.portid = portid,
	};

	lockdep_assert_held(&ns->lock);
	if (!ns->tab.ct_stale)
		return;
	ns->tab.ct_stale = false;
	nf_ct_iterate_cleanup_net(ct_stale, &iter);
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
 * Under RCU. The backend of a new connection from @client: the one its
 * affinity binding names while that may take new connections, else the
 * scheduler's choice. *bound: affinity placed it, or the choice is to be
 * remembered (*timeout non-zero) once the connection is confirmed.
 */
static const struct ksvc_backend *pick(struct ksvc_net *ns,
				       const struct ksvc_fe_view *v,
				       const struct ksvc_pool *pool, u8 family,
				       const struct nf_conntrack_tuple *t,
				       bool *bound, u32 *bind_timeout)
{
	const union nf_inet_addr *client = &t->src.u3;
	const struct ksvc_beset *set = v->conf->set;
	u32 timeout = v->conf->affinity;
	u8 sched = v->conf->sched;
	struct ksvc_service *svc = v->svc;
	const struct ksvc_backend *be;
	struct ksvc_ref ref;
	int i;

	*bound = false;
	*bind_timeout = 0;
	if (timeout) {
		ksvc_stats_ref(svc->stats, &ref);
		i = ksvc_affinity_lookup(&ns->aff, &ref, set, family, client,
					 timeout);
		if (i >= 0 && ksvc_sched_in_pool(pool, i)) {
			*bound = true;
			return &set->be[i];
		}
	}
	be = ksvc_sched_pick_pool(sched, set, pool,
				  &svc->rr[ksvc_fam_idx(family)],
				  sched == KSVC_SCHED_MAGLEV ?
				  ksvc_sched_flow_hash(family, client,
						       t->src.u.all,
						       t->dst.protonum) : 0);
	if (be && timeout) {
		*bind_timeout = timeout;
		*bound = true;
	}
	return be;
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
	struct ksvc_fe_key key = {};
	enum ip_conntrack_info ctinfo;
	struct ksvc_masq_in masq;
	struct ksvc_service *svc;
	struct ksvc_ct data = {};
	struct ksvc_fe_view v;
	struct nf_conn *ct;
	bool bound, local;
	unsigned int ret;
	u32 bind_timeout;
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

	key.port = t->dst.u.all;
	key.family = family;
	key.proto = proto;
	if (family == AF_INET)
		key.addr.ip = t->dst.u3.ip;
	else
		key.addr.in6 = t->dst.u3.in6;
	if (!frontend_find(ns, state->net, &key, &v))
		return NF_ACCEPT;
	svc = v.svc;
	set = v.conf->set;
	masq.family = family;
	masq.kind = v.kind;
	masq.masquerade_all = READ_ONCE(ns->masquerade_all);
	masq.node = state->hook == NF_INET_LOCAL_OUT;
	masq.internal_local = v.conf->flags & KSVC_SVC_F_INTERNAL_LOCAL;
	masq.external_local = v.conf->flags & KSVC_SVC_F_EXTERNAL_LOCAL;
	masq.saddr = &t->src.u3;
	masq.cidrs = rcu_dereference(ns->cidrs);

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

	be = pick(ns, &v, pool, family, t, &bound, &bind_timeout);
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

	masq.backend = &be->addr;
	if (ksvc_nat_masq_wanted(&masq))
		__set_bit(KSVC_CT_MASQUERADE, &data.bits);
	if (bound)
		__set_bit(KSVC_CT_AFFINITY, &data.bits);
	if (bind_timeout) {
		__set_bit(KSVC_CT_BIND, &data.bits);
		data.bits |= (unsigned long)bind_timeout << KSVC_CT_TIMEOUT_SHIFT;
	}
	data.ns = ns->ref;
	ksvc_stats_ref(svc->stats, &data.svc);
	ksvc_stats_ref(be->stats, &data.be);
	/*
	 * Without the extension a masquerade would be lost: drop, the
	 * client's retransmission gets another chance. A connection another
	 * helper follows (an explicit "ct helper" rule) goes on uncounted
	 * and unmasqueraded.
	 */
	if (ct_attach(ct, &data) == -ENOMEM)
		return NF_DROP;

	ksvc_stats_conn(ns->stats);
	ksvc_stats_conn(svc->stats);
	ksvc_stats_conn(be->stats);
	return NF_ACCEPT;
}

/* ---- masquerade --------------------------------------------------------- */

KSVC_TESTABLE unsigned int ksvc_nat_snat(struct sk_buff *skb,
					 const struct nf_hook_state *state,
					 u8 family)
{
	/* Random source ports, as kube-proxy's --random-fully. */
	const struct nf_nat_range2 range = {
		.flags = NF_NAT_RANGE_PROTO_RANDOM_FULLY,
	};
	enum ip_conntrack_info ctinfo;
	const struct ksvc_ct *data;
	struct nf_conn *ct;

	ct = nf_ct_get(skb, &ctinfo);
	if (!ct || ctinfo != IP_CT_NEW)
		return NF_ACCEPT;
	data = ct_data(ct);
	if (!data || !test_bit(KSVC_CT_MASQUERADE, &data->bits))
		return NF_ACCEPT;
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
	return ksvc_nat_snat(skb, state, AF_INET);
}

static unsigned int snat6(void *priv, struct sk_buff *skb,
			  const struct nf_hook_state *state)
{
	return ksvc_nat_snat(skb, state, AF_INET6);
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
	int ret;

	ret = nf_conntrack_helper_register(&ksvc_helper);
	if (ret)
		return ret;
	/*
	 * Masquerading needs the NAT core to drop connections whose device or
	 * address goes away. Held for the module's life, not per hooked
	 * namespace: unregistering takes pernet_ops_rwsem for writing, which
	 * a namespace's exit, running under it, cannot.
	 */
	ret = nf_nat_masquerade_inet_register_notifiers();
	if (ret)
		nf_conntrack_helper_unregister(&ksvc_helper);
	return ret;
}

void ksvc_nat_uninit(void)
{
	nf_nat_masquerade_inet_unregister_notifiers();
	/*
	 * Detaches the helper from every connection and waits for RCU
	 * readers: no packet calls into the module afterwards. Translated
	 * connections keep working; they are just no longer counted.
	 */
	nf_conntrack_helper_unregister(&ksvc_helper);
}
