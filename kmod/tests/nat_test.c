// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the NAT callbacks on real sk_buffs and real conntrack entries.
 *
 * Each case builds the first packet of a connection, runs it through
 * nf_conntrack_in() in init_net (conntrack attached for the suite), calls
 * the DNAT callback on a private table and nf_nat_packet() as the NAT core
 * would, and checks the rewritten packet and the conntrack entry.
 */

#include <kunit/test.h>
#include <linux/crc32c.h>
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/sctp.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_acct.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_helper.h>
#include <net/netfilter/nf_nat.h>

#include "affinity.h"
#include "kservice.h"
#include "nat.h"
#include "net.h"
#include "stats.h"
#include "table.h"

#define CLIENT4		"10.0.0.1"
#define CLIENT6		"fd00::1"
#define SVC4		"10.96.0.10"
#define SVC6		"fd00:96::10"
#define BACKEND4	"10.244.1.11"
#define BACKEND6	"fd00:244:1::11"
#define SVC_PORT	80
#define EMPTY_PORT	81
#define NODE_PORT	30080
#define BACKEND_PORT	8080
#define CLIENT_PORT	40000

static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };

static union nf_inet_addr addr(u8 family, const char *s)
{
	union nf_inet_addr a = {};

	if (family == AF_INET)
		in4_pton(s, -1, (u8 *)&a.ip, -1, NULL);
	else
		in6_pton(s, -1, (u8 *)&a.in6, -1, NULL);
	return a;
}

static bool addr_eq(u8 family, const union nf_inet_addr *a,
		    const union nf_inet_addr *b)
{
	return family == AF_INET ? a->ip == b->ip :
				   ipv6_addr_equal(&a->in6, &b->in6);
}

static const char *proto_name(u8 proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" :
				      "sctp";
}

/* ---- fixture: a private namespace state with one service per protocol --- */

static int add_svc(struct ksvc_net *ns, u8 proto, u16 port, bool backends)
{
	struct ksvc_be_spec bes[2] = {};
	struct ksvc_fe_spec fes[2] = {};
	struct ksvc_svc_spec spec = {};
	char name[32];
	int ret;

	snprintf(name, sizeof(name), "test/%s:%u", proto_name(proto), port);
	fes[0].addr = addr(AF_INET, SVC4);
	fes[0].family = AF_INET;
	fes[0].kind = KSVC_FE_CLUSTER_IP;
	fes[1].addr = addr(AF_INET6, SVC6);
	fes[1].family = AF_INET6;
	fes[1].kind = KSVC_FE_CLUSTER_IP;
	bes[0].addr = addr(AF_INET, BACKEND4);
	bes[0].family = AF_INET;
	bes[0].port = BACKEND_PORT;
	bes[0].weight = 1;
	bes[1].addr = addr(AF_INET6, BACKEND6);
	bes[1].family = AF_INET6;
	bes[1].port = BACKEND_PORT;
	bes[1].weight = 1;
	spec.name = name;
	spec.proto = proto;
	spec.port = port;
	spec.fes = fes;
	spec.fe_count = 2;
	spec.bes = bes;
	spec.be_count = backends ? 2 : 0;
	spec.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_BACKENDS;
	if (backends) {
		spec.node_port = NODE_PORT;
		spec.has |= KSVC_SPEC_NODE_PORT;
	}
	mutex_lock(&ns->lock);
	ret = ksvc_service_add(&ns->tab, &spec, NULL);
	mutex_unlock(&ns->lock);
	return ret;
}

static struct ksvc_service *svc_of(struct ksvc_net *ns, u8 proto, u16 port)
{
	struct ksvc_service *svc;
	char name[32];

	snprintf(name, sizeof(name), "test/%s:%u", proto_name(proto), port);
	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, name);
	mutex_unlock(&ns->lock);
	return svc;
}

struct nat_fixture {
	struct ksvc_net ns;
	bool setup;
	bool ct4;
	bool ct6;
};

static int nat_test_init(struct kunit *test)
{
	struct nat_fixture *f;
	unsigned int i;
	int ret;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	test->priv = f;
	ret = ksvc_net_setup(&f->ns, &init_net);
	if (ret)
		return ret;
	f->setup = true;
	/* Conntrack in init_net, as the hooks would attach it. */
	ret = nf_ct_netns_get(&init_net, NFPROTO_IPV4);
	if (ret)
		return ret;
	f->ct4 = true;
	ret = nf_ct_netns_get(&init_net, NFPROTO_IPV6);
	if (ret)
		return ret;
	f->ct6 = true;
	for (i = 0; i < ARRAY_SIZE(protos) && !ret; i++) {
		ret = add_svc(&f->ns, protos[i], SVC_PORT, true);
		if (!ret)
			ret = add_svc(&f->ns, protos[i], EMPTY_PORT, false);
	}
	return ret;
}

static int kill_any(struct nf_conn *ct, void *arg)
{
	return 1;
}

static void nat_test_exit(struct kunit *test)
{
	struct nat_fixture *f = test->priv;
	struct nf_ct_iter_data iter = { .net = &init_net };

	if (!f)
		return;
	/* A case that failed hooked: its connections go, then the hooks. */
	if (f->ns.hooked) {
		nf_ct_iterate_cleanup_net(kill_any, &iter);
		mutex_lock(&f->ns.lock);
		ksvc_table_flush(&f->ns.tab);
		ksvc_net_hooks_sync(&f->ns);
		mutex_unlock(&f->ns.lock);
	}
	if (f->ct6)
		nf_ct_netns_put(&init_net, NFPROTO_IPV6);
	if (f->ct4)
		nf_ct_netns_put(&init_net, NFPROTO_IPV4);
	if (f->setup)
		ksvc_net_teardown(&f->ns);
}

/* ---- packets ------------------------------------------------------------ */

static unsigned int l4_len(u8 proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return sizeof(struct tcphdr);
	case IPPROTO_UDP:
		return sizeof(struct udphdr) + 8;
	default:
		/* Common header, then an INIT chunk alone, as conntrack wants. */
		return sizeof(struct sctphdr) + sizeof(struct sctp_chunkhdr) +
		       sizeof(struct sctp_inithdr);
	}
}

/* sctp_compute_cksum() for a linear skb, checksum field taken as 0. */
static __le32 sctp_csum(struct sk_buff *skb)
{
	struct sctphdr *sh = sctp_hdr(skb);
	__le32 old = sh->checksum;
	u32 crc;

	sh->checksum = 0;
	crc = crc32c(~0, sh, skb->len - skb_transport_offset(skb));
	sh->checksum = old;
	return cpu_to_le32(~crc);
}

static __sum16 l4_csum(const struct sk_buff *skb, u8 family, u8 proto)
{
	unsigned int len = skb->len - skb_transport_offset(skb);
	__wsum sum = csum_partial(skb_transport_header(skb), len, 0);

	if (family == AF_INET)
		return csum_tcpudp_magic(ip_hdr(skb)->saddr, ip_hdr(skb)->daddr,
					 len, proto, sum);
	return csum_ipv6_magic(&ipv6_hdr(skb)->saddr, &ipv6_hdr(skb)->daddr,
			       len, proto, sum);
}

/* The first packet of a connection (a SYN, an INIT), checksums right. */
static struct sk_buff *build_pkt(u8 family, u8 proto,
				 const union nf_inet_addr *src,
				 const union nf_inet_addr *dst, u16 sport,
				 u16 dport)
{
	unsigned int l4 = l4_len(proto);
	struct sk_buff *skb;
	void *th;

	skb = alloc_skb(LL_MAX_HEADER + sizeof(struct ipv6hdr) + l4, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	if (family == AF_INET) {
		struct iphdr *iph = skb_put_zero(skb, sizeof(*iph));

		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(sizeof(*iph) + l4);
		iph->ttl = 64;
		iph->protocol = proto;
		iph->saddr = src->ip;
		iph->daddr = dst->ip;
		iph->check = ip_fast_csum(iph, iph->ihl);
		skb->protocol = htons(ETH_P_IP);
	} else {
		struct ipv6hdr *ip6h = skb_put_zero(skb, sizeof(*ip6h));

		ip6h->version = 6;
		ip6h->payload_len = htons(l4);
		ip6h->nexthdr = proto;
		ip6h->hop_limit = 64;
		ip6h->saddr = src->in6;
		ip6h->daddr = dst->in6;
		skb->protocol = htons(ETH_P_IPV6);
	}
	skb_set_transport_header(skb, skb->len);
	th = skb_put_zero(skb, l4);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp = th;

		tcp->source = htons(sport);
		tcp->dest = htons(dport);
		tcp->seq = htonl(1);
		tcp->doff = sizeof(*tcp) / 4;
		tcp->syn = 1;
		tcp->window = htons(65535);
		tcp->check = l4_csum(skb, family, proto);
	} else if (proto == IPPROTO_UDP) {
		struct udphdr *udp = th;

		udp->source = htons(sport);
		udp->dest = htons(dport);
		udp->len = htons(l4);
		memcpy(udp + 1, "kservice", 8);
		udp->check = l4_csum(skb, family, proto) ?: CSUM_MANGLED_0;
	} else {
		struct sctphdr *sh = th;
		struct sctp_chunkhdr *ch = (void *)(sh + 1);
		struct sctp_inithdr *init = (void *)(ch + 1);

		sh->source = htons(sport);
		sh->dest = htons(dport);
		ch->type = SCTP_CID_INIT;
		ch->length = htons(sizeof(*ch) + sizeof(*init));
		init->init_tag = htonl(0x12345678);
		init->a_rwnd = htonl(65535);
		init->num_outbound_streams = htons(1);
		init->num_inbound_streams = htons(1);
		init->initial_tsn = htonl(1);
		sh->checksum = sctp_csum(skb);
	}
	skb->dev = init_net.loopback_dev;
	skb->ip_summed = CHECKSUM_NONE;
	return skb;
}

static bool l4_csum_ok(struct sk_buff *skb, u8 family, u8 proto)
{
	if (proto == IPPROTO_SCTP)
		return sctp_hdr(skb)->checksum == sctp_csum(skb);
	return !l4_csum(skb, family, proto);
}

static __be16 dport_of(const struct sk_buff *skb)
{
	/* TCP, UDP and SCTP all start with the source and destination ports. */
	return ((const __be16 *)skb_transport_header(skb))[1];
}

static const union nf_inet_addr *daddr_of(struct sk_buff *skb, u8 family)
{
	if (family == AF_INET)
		return (const union nf_inet_addr *)&ip_hdr(skb)->daddr;
	return (const union nf_inet_addr *)&ipv6_hdr(skb)->daddr;
}

struct run {
	unsigned int ct_verdict;
	unsigned int verdict;
	unsigned int nat_verdict;
	struct nf_conn *ct;
	enum ip_conntrack_info ctinfo;
};

/* Conntrack, then our DNAT decision, then the NAT core's rewrite. */
static void run_prerouting(struct ksvc_net *ns, struct sk_buff *skb, u8 family,
			   struct run *r)
{
	struct nf_hook_state state;

	nf_hook_state_init(&state, NF_INET_PRE_ROUTING,
			   family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6,
			   skb->dev, NULL, NULL, &init_net, NULL);
	memset(r, 0, sizeof(*r));
	local_bh_disable();
	rcu_read_lock();
	r->ct_verdict = nf_conntrack_in(skb, &state);
	r->ct = nf_ct_get(skb, &r->ctinfo);
	if (r->ct_verdict == NF_ACCEPT && r->ct) {
		r->verdict = ksvc_nat_dnat(ns, skb, &state, family);
		if (r->verdict == NF_ACCEPT)
			r->nat_verdict = nf_nat_packet(r->ct, r->ctinfo,
						       state.hook, skb);
	}
	rcu_read_unlock();
	local_bh_enable();
}

/*
 * What our POST_ROUTING callback does with @ct's first packet, as it
 * would decide it there.
 */
static int snat_of(struct ksvc_net *ns, struct nf_conn *ct)
{
	int ret;

	local_bh_disable();
	rcu_read_lock();
	ret = ksvc_nat_snat_decide(ns, &init_net, ct);
	rcu_read_unlock();
	local_bh_enable();
	return ret;
}

/* ---- cases -------------------------------------------------------------- */

struct pkt_case {
	const char *name;
	u8 family;
	u8 proto;
};

static const struct pkt_case pkt_cases[] = {
	{ "ipv4 tcp", AF_INET, IPPROTO_TCP },
	{ "ipv4 udp", AF_INET, IPPROTO_UDP },
	{ "ipv4 sctp", AF_INET, IPPROTO_SCTP },
	{ "ipv6 tcp", AF_INET6, IPPROTO_TCP },
	{ "ipv6 udp", AF_INET6, IPPROTO_UDP },
	{ "ipv6 sctp", AF_INET6, IPPROTO_SCTP },
};

static void pkt_case_desc(const struct pkt_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pkt, pkt_cases, pkt_case_desc);

/*
 * First packet to a cluster IP -> its destination is the backend's, the
 * checksums still hold, the reply tuple comes from the backend, no helper
 * is on the connection (the slot stays free for others), conntrack counts
 * its packets, and one connection is counted.
 */
static void nat_test_dnat_rewrites(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, c->family == AF_INET ? SVC4 : SVC6);
	union nf_inet_addr be = addr(c->family, c->family == AF_INET ?
				     BACKEND4 : BACKEND6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	const struct nf_conntrack_tuple *reply;
	struct ksvc_stats_sum sum;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);

	run_prerouting(ns, skb, c->family, &r);
	KUNIT_EXPECT_EQ(test, r.ct_verdict, NF_ACCEPT);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.ctinfo, IP_CT_NEW);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, r.nat_verdict, NF_ACCEPT);

	KUNIT_EXPECT_TRUE(test, addr_eq(c->family, daddr_of(skb, c->family), &be));
	KUNIT_EXPECT_EQ(test, ntohs(dport_of(skb)), BACKEND_PORT);
	if (c->family == AF_INET)
		KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), ip_hdr(skb)->ihl),
				(__sum16)0);
	KUNIT_EXPECT_TRUE(test, l4_csum_ok(skb, c->family, c->proto));

	reply = &r.ct->tuplehash[IP_CT_DIR_REPLY].tuple;
	KUNIT_EXPECT_TRUE(test, addr_eq(c->family, &reply->src.u3, &be));
	KUNIT_EXPECT_EQ(test, ntohs(reply->src.u.all), BACKEND_PORT);
	KUNIT_EXPECT_TRUE(test, addr_eq(c->family, &reply->dst.u3, &client));
	KUNIT_EXPECT_EQ(test, ntohs(reply->dst.u.all), CLIENT_PORT);
	KUNIT_EXPECT_TRUE(test, nf_nat_initialized(r.ct, NF_NAT_MANIP_DST));
	KUNIT_EXPECT_FALSE(test, test_bit(IPS_HELPER_BIT, &r.ct->status));
	KUNIT_EXPECT_NULL(test, nfct_help(r.ct));
	KUNIT_EXPECT_NOT_NULL(test, nf_conn_acct_find(r.ct));
	/* Pod-like client, no cluster CIDR: no masquerade. */
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct), KSVC_SNAT_NONE);

	ksvc_stats_fold(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.rejects, 0ULL);
	kfree_skb(skb);
}

/*
 * First packet to a service without backends -> NF_DROP with
 * -ECONNREFUSED for a local sender (a RST, an ABORT or an ICMP unreachable
 * goes back when there is a route), no NAT, one reject counted for the
 * service and for the namespace.
 */
static void nat_test_no_backend_rejects(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, c->family == AF_INET ? SVC4 : SVC6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_stats_sum sum, nsum;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;

	svc = svc_of(ns, c->proto, EMPTY_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT,
			EMPTY_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);

	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.verdict & NF_VERDICT_MASK, NF_DROP);
	KUNIT_EXPECT_EQ(test, NF_DROP_GETERR(r.verdict), -ECONNREFUSED);
	KUNIT_EXPECT_FALSE(test, nf_nat_initialized(r.ct, NF_NAT_MANIP_DST));
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct), KSVC_SNAT_NONE);
	ksvc_stats_fold(svc->stats, &sum);
	ksvc_stats_fold(ns->stats, &nsum);
	KUNIT_EXPECT_EQ(test, sum.rejects, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.conns, 0ULL);
	KUNIT_EXPECT_EQ(test, nsum.rejects, 1ULL);
	kfree_skb(skb);
}

/*
 * A packet to an address and port no service has -> untouched.
 * A node port on 127.0.0.1 -> translated only once nodeport_localhost is
 * 1; on ::1 -> never (kube-proxy's localhost node ports are IPv4 only).
 */
static void nat_test_nodeport_localhost(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	union nf_inet_addr lo = addr(c->family, c->family == AF_INET ?
				     "127.0.0.1" : "::1");
	union nf_inet_addr be = addr(c->family, c->family == AF_INET ?
				     BACKEND4 : BACKEND6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct sk_buff *skb;
	struct run r;

	skb = build_pkt(c->family, c->proto, &client, &lo, CLIENT_PORT,
			NODE_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_EXPECT_FALSE(test, nf_nat_initialized(r.ct, NF_NAT_MANIP_DST));
	KUNIT_EXPECT_TRUE(test, addr_eq(c->family, daddr_of(skb, c->family), &lo));
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct), KSVC_SNAT_NONE);
	kfree_skb(skb);

	WRITE_ONCE(ns->nodeport_localhost, 1);
	skb = build_pkt(c->family, c->proto, &client, &lo, CLIENT_PORT + 1,
			NODE_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	if (c->family == AF_INET6) {
		KUNIT_EXPECT_FALSE(test, nf_nat_initialized(r.ct,
							    NF_NAT_MANIP_DST));
		KUNIT_EXPECT_TRUE(test, addr_eq(c->family,
						daddr_of(skb, c->family), &lo));
		kfree_skb(skb);
		return;
	}
	KUNIT_EXPECT_TRUE(test, addr_eq(c->family, daddr_of(skb, c->family), &be));
	KUNIT_EXPECT_EQ(test, ntohs(dport_of(skb)), BACKEND_PORT);
	KUNIT_EXPECT_TRUE(test, l4_csum_ok(skb, c->family, c->proto));
	/* Client outside any cluster CIDR, to a node port: masquerade. */
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct), KSVC_SNAT_MASQUERADE);
	kfree_skb(skb);
}

static void np_cidrs_set(struct ksvc_net *ns, u8 family, const char *a,
			 u8 plen)
{
	struct ksvc_cidrs *cidrs = NULL;

	if (a) {
		cidrs = kzalloc(struct_size(cidrs, cidr, 1), GFP_KERNEL);
		if (cidrs) {
			cidrs->count = 1;
			cidrs->cidr[0].family = family;
			cidrs->cidr[0].prefixlen = plen;
			cidrs->cidr[0].addr = addr(family, a);
		}
	}
	mutex_lock(&ns->lock);
	ksvc_net_np_cidrs_set(ns, cidrs);
	mutex_unlock(&ns->lock);
}

/* Whether a node-port packet to @dst was translated. */
static bool np_translated(struct kunit *test, struct ksvc_net *ns,
			  const struct pkt_case *c,
			  const union nf_inet_addr *dst, u16 sport)
{
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct sk_buff *skb;
	struct run r;
	bool ret;

	skb = build_pkt(c->family, c->proto, &client, dst, sport, NODE_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	ret = nf_nat_initialized(r.ct, NF_NAT_MANIP_DST);
	/* Not translated: the packet goes on as it came. */
	if (!ret)
		KUNIT_EXPECT_TRUE(test, addr_eq(c->family,
						daddr_of(skb, c->family), dst));
	kfree_skb(skb);
	return ret;
}

/*
 * Node-port CIDRs (--nodeport-addresses), on the loopback address with
 * nodeport_localhost: a list of the family without it -> untranslated; one
 * with it -> translated; a list of the other family only -> every address
 * of this one; cleared -> every address again. ::1 is never a node-port
 * address, whatever the list says.
 */
static void nat_test_nodeport_cidrs(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr lo = addr(c->family, v4 ? "127.0.0.1" : "::1");
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;

	WRITE_ONCE(ns->nodeport_localhost, 1);
	np_cidrs_set(ns, c->family, v4 ? "192.0.2.0" : "2001:db8::", v4 ? 24 : 32);
	KUNIT_EXPECT_FALSE(test, np_translated(test, ns, c, &lo, CLIENT_PORT));

	np_cidrs_set(ns, c->family, v4 ? "127.0.0.0" : "::1", v4 ? 8 : 128);
	KUNIT_EXPECT_EQ(test, np_translated(test, ns, c, &lo, CLIENT_PORT + 1),
			v4);

	np_cidrs_set(ns, v4 ? AF_INET6 : AF_INET, v4 ? "2001:db8::" : "192.0.2.0",
		     v4 ? 32 : 24);
	KUNIT_EXPECT_EQ(test, np_translated(test, ns, c, &lo, CLIENT_PORT + 2),
			v4);

	np_cidrs_set(ns, c->family, v4 ? "192.0.2.0" : "2001:db8::", v4 ? 24 : 32);
	KUNIT_EXPECT_FALSE(test, np_translated(test, ns, c, &lo, CLIENT_PORT + 3));
	np_cidrs_set(ns, 0, NULL, 0);
	KUNIT_EXPECT_EQ(test, np_translated(test, ns, c, &lo, CLIENT_PORT + 4),
			v4);
}

/* A pod reaching its own service (source == backend) -> masqueraded. */
static void nat_test_hairpin_masquerade(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr vip = addr(c->family, c->family == AF_INET ? SVC4 : SVC6);
	union nf_inet_addr be = addr(c->family, c->family == AF_INET ?
				     BACKEND4 : BACKEND6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct sk_buff *skb;
	struct run r;

	skb = build_pkt(c->family, c->proto, &be, &vip, CLIENT_PORT, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct), KSVC_SNAT_MASQUERADE);
	kfree_skb(skb);
}

/*
 * A translated packet through nf_confirm(), then a walk for a dump ->
 * conntrack's accounting gives one packet of the IP length to the
 * namespace, the service and the backend; the connection gone, the next
 * walk gives none (the counters are those of the connections held).
 */
static void nat_test_counts_from_conntrack(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, c->family == AF_INET ? SVC4 : SVC6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_stats_sum sum, nsum, bsum, gone;
	const struct ksvc_beset *set;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	unsigned int verdict, len;
	struct run r;
	int i;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT + 2,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	len = skb->len;
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);

	local_bh_disable();
	rcu_read_lock();
	verdict = nf_confirm(skb, skb_transport_offset(skb), r.ct, r.ctinfo);
	rcu_read_unlock();
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, verdict, NF_ACCEPT);

	mutex_lock(&ns->lock);
	ksvc_nat_ct_count(ns);
	set = ksvc_service_backends(&ns->tab, svc);
	i = ksvc_beset_find(set, c->family,
			    &r.ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3,
			    htons(BACKEND_PORT));
	KUNIT_EXPECT_GE(test, i, 0);
	if (i >= 0)
		ksvc_stats_fold(set->be[i].stats, &bsum);
	mutex_unlock(&ns->lock);
	ksvc_stats_fold(svc->stats, &sum);
	ksvc_stats_fold(ns->stats, &nsum);

	/* Confirmed now, in init_net's table: take it out again. */
	if (nf_ct_is_confirmed(r.ct))
		nf_ct_kill(r.ct);
	kfree_skb(skb);

	mutex_lock(&ns->lock);
	ksvc_nat_ct_count(ns);
	mutex_unlock(&ns->lock);
	ksvc_stats_fold(svc->stats, &gone);
	KUNIT_EXPECT_EQ(test, gone.packets, 0ULL);
	KUNIT_EXPECT_EQ(test, gone.conns, 1ULL);

	KUNIT_EXPECT_EQ(test, sum.packets, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.bytes, (u64)len);
	KUNIT_EXPECT_EQ(test, nsum.packets, 1ULL);
	KUNIT_EXPECT_EQ(test, nsum.conns, 1ULL);
	if (i >= 0) {
		KUNIT_EXPECT_EQ(test, bsum.packets, 1ULL);
		KUNIT_EXPECT_EQ(test, bsum.conns, 1ULL);
	}
}

/* Confirms @r's connection, as nf_confirm() does at POST_ROUTING. */
static void confirm(struct sk_buff *skb, struct run *r)
{
	local_bh_disable();
	rcu_read_lock();
	nf_confirm(skb, skb_transport_offset(skb), r->ct, r->ctinfo);
	rcu_read_unlock();
	local_bh_enable();
}

static int replace_backends(struct ksvc_net *ns, struct ksvc_service *svc,
			    u8 family, const char *const *addrs, u32 n)
{
	struct ksvc_be_spec bes[2] = {};
	int ret;
	u32 i;

	for (i = 0; i < n; i++) {
		bes[i].addr = addr(family, addrs[i]);
		bes[i].family = family;
		bes[i].port = BACKEND_PORT;
		bes[i].weight = 1;
	}
	mutex_lock(&ns->lock);
	ret = ksvc_backends_replace(&ns->tab, svc, bes, n, NULL);
	ksvc_nat_ct_flush(ns, 0);
	mutex_unlock(&ns->lock);
	return ret;
}

/*
 * A confirmed connection to a service, then a new set that keeps its
 * backend -> the connection lives; a set without it -> a UDP or SCTP
 * connection is deleted in the same call, a TCP one lives on.
 */
static void nat_test_stale_ct_flushed(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr client = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	const char *const keep[] = { v4 ? BACKEND4 : BACKEND6,
				     v4 ? "10.244.1.12" : "fd00:244:1::12" };
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT + 3,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);
	confirm(skb, &r);
	KUNIT_ASSERT_TRUE(test, nf_ct_is_confirmed(r.ct));

	KUNIT_EXPECT_EQ(test, replace_backends(ns, svc, c->family, keep, 2), 0);
	KUNIT_EXPECT_FALSE(test, nf_ct_is_dying(r.ct));
	KUNIT_EXPECT_EQ(test, replace_backends(ns, svc, c->family, keep + 1, 1),
			0);
	KUNIT_EXPECT_EQ(test, nf_ct_is_dying(r.ct), c->proto != IPPROTO_TCP);
	if (!nf_ct_is_dying(r.ct))
		nf_ct_kill(r.ct);
	kfree_skb(skb);
}

/*
 * The first packet of a flow translated to a backend, then a set without
 * it committed and flushed before that packet reaches POST_ROUTING (6.1
 * keeps no list of unconfirmed entries, so the walk cannot see it) -> for
 * UDP and SCTP our POST_ROUTING callback, in the hook run that would
 * confirm it, drops the packet and no entry survives: nothing reaches a
 * removed backend after the change's ack. TCP's goes on (its backend
 * resets it).
 */
static void nat_test_stale_ct_unconfirmed(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr client = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	const char *const other[] = { v4 ? "10.244.1.12" : "fd00:244:1::12" };
	const char *const first[] = { v4 ? BACKEND4 : BACKEND6 };
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	bool gone = c->proto != IPPROTO_TCP;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_ASSERT_EQ(test, replace_backends(ns, svc, c->family, first, 1), 0);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT + 5,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_ASSERT_TRUE(test, r.ct->status & IPS_DST_NAT);
	KUNIT_ASSERT_FALSE(test, nf_ct_is_confirmed(r.ct));

	KUNIT_EXPECT_EQ(test, replace_backends(ns, svc, c->family, other, 1), 0);
	KUNIT_EXPECT_EQ(test, snat_of(ns, r.ct),
			gone ? KSVC_SNAT_DROP : KSVC_SNAT_NONE);
	if (!gone) {
		confirm(skb, &r);
		KUNIT_EXPECT_TRUE(test, nf_ct_is_confirmed(r.ct));
		nf_ct_kill(r.ct);
	}
	kfree_skb(skb);
}

/*
 * A confirmed connection, then its service deleted -> UDP and SCTP
 * connections are deleted with it, TCP ones live on.
 */
static void nat_test_stale_ct_service_deleted(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr client = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT + 4,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);
	confirm(skb, &r);
	KUNIT_ASSERT_TRUE(test, nf_ct_is_confirmed(r.ct));

	mutex_lock(&ns->lock);
	ksvc_service_del(&ns->tab, svc);
	ksvc_nat_ct_flush(ns, 0);
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, nf_ct_is_dying(r.ct), c->proto != IPPROTO_TCP);
	if (!nf_ct_is_dying(r.ct))
		nf_ct_kill(r.ct);
	kfree_skb(skb);
}

/* ---- session affinity ------------------------------------------------------ */

#define AFF_PORT	90

static const char *const aff_be4[] = { "10.244.1.11", "10.244.1.12",
				       "10.244.1.13" };
static const char *const aff_be6[] = { "fd00:244:1::11", "fd00:244:1::12",
				       "fd00:244:1::13" };

/* "test/aff": three backends of @family from @first on, @timeout seconds. */
static struct ksvc_service *add_aff_svc(struct kunit *test,
					struct ksvc_net *ns, u8 family,
					u8 proto, u8 sched, u32 timeout,
					u32 first)
{
	const char *const *a = family == AF_INET ? aff_be4 : aff_be6;
	struct ksvc_svc_spec spec = {};
	struct ksvc_be_spec bes[3] = {};
	struct ksvc_fe_spec fe = {};
	struct ksvc_service *svc;
	u32 i, n = 0;
	int ret;

	fe.addr = addr(family, family == AF_INET ? SVC4 : SVC6);
	fe.family = family;
	fe.kind = KSVC_FE_CLUSTER_IP;
	for (i = first; i < ARRAY_SIZE(bes); i++, n++) {
		bes[n].addr = addr(family, a[i]);
		bes[n].family = family;
		bes[n].port = BACKEND_PORT;
		bes[n].weight = 1;
	}
	spec.name = "test/aff";
	spec.proto = proto;
	spec.port = AFF_PORT;
	spec.sched = sched;
	spec.affinity = timeout;
	spec.fes = &fe;
	spec.fe_count = 1;
	spec.bes = bes;
	spec.be_count = n;
	spec.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_BACKENDS |
		   KSVC_SPEC_SCHED | KSVC_SPEC_AFFINITY;
	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, "test/aff");
	ret = svc ? ksvc_service_set(&ns->tab, svc, &spec, NULL) :
		    ksvc_service_add(&ns->tab, &spec, NULL);
	svc = ksvc_service_find(&ns->tab, "test/aff");
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	return svc;
}

/*
 * One new connection from @client port @sport to test/aff: its backend's
 * address into *be. False when it was not translated. @confirmed: its
 * first packet passes our POST_ROUTING callback (the binding is made
 * there) and is confirmed; else it is dropped on its way before that.
 */
static bool aff_conn_as(struct kunit *test, struct ksvc_net *ns, u8 family,
			u8 proto, const union nf_inet_addr *client, u16 sport,
			union nf_inet_addr *be, bool confirmed)
{
	union nf_inet_addr vip = addr(family, family == AF_INET ? SVC4 : SVC6);
	struct sk_buff *skb;
	bool ok;
	struct run r;

	skb = build_pkt(family, proto, client, &vip, sport, AFF_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, family, &r);
	ok = r.ct && r.verdict == NF_ACCEPT &&
	     nf_nat_initialized(r.ct, NF_NAT_MANIP_DST);
	if (ok)
		*be = r.ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3;
	if (ok && confirmed) {
		KUNIT_EXPECT_NE(test, snat_of(ns, r.ct), KSVC_SNAT_DROP);
		confirm(skb, &r);
		KUNIT_EXPECT_TRUE(test, nf_ct_is_confirmed(r.ct));
		nf_ct_kill(r.ct);
	}
	kfree_skb(skb);
	return ok;
}

static bool aff_conn(struct kunit *test, struct ksvc_net *ns, u8 family,
		     u8 proto, const union nf_inet_addr *client, u16 sport,
		     union nf_inet_addr *be)
{
	return aff_conn_as(test, ns, family, proto, client, sport, be, true);
}

/*
 * A service with affinity, random scheduler -> twelve connections of a
 * client all reach one backend, one binding held; that backend out of
 * the set -> the next goes to another, and the client sticks to that one.
 */
static void nat_test_affinity_sticks(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	const char *const *a = c->family == AF_INET ? aff_be4 : aff_be6;
	union nf_inet_addr first, be, gone;
	struct ksvc_be_spec rest[3] = {};
	struct ksvc_service *svc;
	u32 i, n;

	add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RANDOM, 60, 0);
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
					 &client, CLIENT_PORT + 10, &first));
	for (i = 1; i < 12; i++) {
		KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
						 &client, CLIENT_PORT + 10 + i,
						 &be));
		KUNIT_EXPECT_TRUE(test, addr_eq(c->family, &be, &first));
	}
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);

	/* Take the bound backend out: the set keeps the other two. */
	for (i = 0, n = 0; i < 3; i++) {
		union nf_inet_addr x = addr(c->family, a[i]);

		if (addr_eq(c->family, &x, &first))
			continue;
		rest[n].addr = x;
		rest[n].family = c->family;
		rest[n].port = BACKEND_PORT;
		rest[n].weight = 1;
		n++;
	}
	KUNIT_ASSERT_EQ(test, n, 2U);
	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, "test/aff");
	KUNIT_EXPECT_EQ(test, ksvc_backends_replace(&ns->tab, svc, rest, n,
						    NULL), 0);
	mutex_unlock(&ns->lock);
	gone = first;
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
					 &client, CLIENT_PORT + 30, &first));
	KUNIT_EXPECT_FALSE(test, addr_eq(c->family, &first, &gone));
	for (i = 0; i < 6; i++) {
		KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
						 &client, CLIENT_PORT + 31 + i,
						 &be));
		KUNIT_EXPECT_TRUE(test, addr_eq(c->family, &be, &first));
	}
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);
}

/*
 * affinity_max 0 (the bound reached) -> round-robin connections of one
 * client are all translated, spread over the backends, nothing held.
 */
static void nat_test_affinity_full(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	union nf_inet_addr first, be;
	bool moved = false;
	u32 i;

	WRITE_ONCE(ns->aff.max, 0);
	add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RR, 60, 0);
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
					 &client, CLIENT_PORT + 10, &first));
	for (i = 1; i < 6; i++) {
		KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
						 &client, CLIENT_PORT + 10 + i,
						 &be));
		moved |= !addr_eq(c->family, &be, &first);
	}
	KUNIT_EXPECT_TRUE(test, moved);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 0U);
}

/*
 * A one-second affinity, then two seconds without traffic -> the binding
 * is expired: a reap removes it.
 */
static void nat_test_affinity_expires(struct kunit *test)
{
	union nf_inet_addr client = addr(AF_INET, CLIENT4);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	union nf_inet_addr be;

	add_aff_svc(test, ns, AF_INET, IPPROTO_UDP, KSVC_SCHED_RANDOM, 1, 0);
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, AF_INET, IPPROTO_UDP,
					 &client, CLIENT_PORT + 10, &be));
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);
	ksvc_affinity_gc_run(&ns->aff);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);
	msleep(2100);
	ksvc_affinity_gc_run(&ns->aff);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 0U);
}

/* A binding, then its service deleted -> the next reap removes it. */
static void nat_test_affinity_service_deleted(struct kunit *test)
{
	union nf_inet_addr client = addr(AF_INET6, CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_service *svc;
	union nf_inet_addr be;

	svc = add_aff_svc(test, ns, AF_INET6, IPPROTO_TCP, KSVC_SCHED_RR,
			  KSVC_AFFINITY_TIMEOUT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, AF_INET6, IPPROTO_TCP,
					 &client, CLIENT_PORT + 10, &be));
	ksvc_affinity_gc_run(&ns->aff);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);
	mutex_lock(&ns->lock);
	ksvc_service_del(&ns->tab, svc);
	mutex_unlock(&ns->lock);
	ksvc_affinity_gc_run(&ns->aff);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 0U);
}

/*
 * A connection whose first packet is dropped before it reaches POST_ROUTING
 * (filtering, routing) -> no binding (before: one per connection, so a
 * sender whose packets are all dropped filled the table); once its first
 * packet gets there -> one.
 */
static void nat_test_affinity_needs_confirm(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	union nf_inet_addr be;
	u32 i;

	add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RANDOM, 60, 0);
	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_TRUE(test, aff_conn_as(test, ns, c->family, c->proto,
						    &client, CLIENT_PORT + 40 + i,
						    &be, false));
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 0U);
	KUNIT_ASSERT_TRUE(test, aff_conn(test, ns, c->family, c->proto,
					 &client, CLIENT_PORT + 50, &be));
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 1U);
}

/*
 * affinity_max_total two above what all namespaces hold -> five clients
 * get two bindings, the other three are translated unremembered.
 */
static void nat_test_affinity_total_bound(struct kunit *test)
{
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	unsigned int saved = READ_ONCE(ksvc_affinity_max_total);
	union nf_inet_addr client, be;
	u32 i;

	add_aff_svc(test, ns, AF_INET, IPPROTO_UDP, KSVC_SCHED_RANDOM, 60, 0);
	WRITE_ONCE(ksvc_affinity_max_total, ksvc_affinity_total() + 2);
	for (i = 0; i < 5; i++) {
		client = addr(AF_INET, CLIENT4);
		client.ip = htonl(ntohl(client.ip) + 100 + i);
		KUNIT_EXPECT_TRUE(test, aff_conn(test, ns, AF_INET, IPPROTO_UDP,
						 &client, CLIENT_PORT + 60, &be));
	}
	WRITE_ONCE(ksvc_affinity_max_total, saved);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 2U);
}

/*
 * affinity_max: the initial user namespace may raise or lower it; a
 * namespace owned by another user namespace may only lower it.
 */
static void nat_test_affinity_max_raise(struct kunit *test)
{
	struct user_namespace *other;
	struct net *net;

	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(&init_net, 10, 20, NULL),
			0);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(&init_net, 20, 10, NULL),
			0);
	/* Only the owner is read: a stand-in for a child namespace. */
	net = kunit_kzalloc(test, sizeof(*net), GFP_KERNEL);
	other = kunit_kzalloc(test, sizeof(*other), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, net);
	KUNIT_ASSERT_NOT_NULL(test, other);
	net->user_ns = other;
	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(net, 20, 10, NULL), 0);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(net, 20, 20, NULL), 0);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(net, 20, 21, NULL),
			-EPERM);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_max_check(net, 0, INT_MAX, NULL),
			-EPERM);
}

/* ---- hooks outlive the services while connections need them ------------- */

/* The fixture's namespace with its NAT hooks, as its first service gets them. */
static void hook(struct kunit *test, struct ksvc_net *ns)
{
	mutex_lock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ksvc_net_hooks_get(ns, NULL), 0);
	mutex_unlock(&ns->lock);
}

/* Every service gone, then the namespace asks whether its hooks may go. */
static bool flush_and_sync(struct ksvc_net *ns)
{
	bool hooked;

	mutex_lock(&ns->lock);
	ksvc_table_flush(&ns->tab);
	ksvc_net_hooks_sync(ns);
	hooked = ns->hooked;
	mutex_unlock(&ns->lock);
	return hooked;
}

static bool sync_hooked(struct ksvc_net *ns)
{
	bool hooked;

	mutex_lock(&ns->lock);
	ksvc_net_hooks_sync(ns);
	hooked = ns->hooked;
	mutex_unlock(&ns->lock);
	return hooked;
}

/*
 * A translated first packet, confirmed, not answered yet (a SYN whose
 * SYN-ACK is on its way), then the last service deleted -> the hooks stay
 * for its reply (before: unhooked, the reply went back untranslated);
 * the connection gone -> they go.
 */
static void nat_test_hooks_wait_unanswered(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr client = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct sk_buff *skb;
	struct run r;

	hook(test, ns);
	skb = build_pkt(c->family, c->proto, &client, &vip, CLIENT_PORT + 70,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);
	confirm(skb, &r);
	KUNIT_ASSERT_TRUE(test, nf_ct_is_confirmed(r.ct));
	nf_conntrack_get(&r.ct->ct_general);
	kfree_skb(skb);

	KUNIT_EXPECT_TRUE(test, flush_and_sync(ns));
	nf_ct_kill(r.ct);
	nf_ct_put(r.ct);
	KUNIT_EXPECT_FALSE(test, sync_hooked(ns));
}

static int other_help(struct sk_buff *skb, unsigned int protoff,
		      struct nf_conn *ct, enum ip_conntrack_info ctinfo)
{
	return NF_ACCEPT;
}

static const struct nf_conntrack_expect_policy other_policy = {
	.name = "kunit-other",
};

/* Another user's helper, as a raw-table "CT --helper" rule assigns one. */
static struct nf_conntrack_helper other_helper = {
	.name = "kunit-other",
	.me = THIS_MODULE,
	.help = other_help,
	.expect_policy = &other_policy,
	.tuple.src.l3num = NFPROTO_UNSPEC,
};

/*
 * A pod reaching its own service (hairpin, which must be masqueraded)
 * whose connection got another helper before our DNAT (a raw-table
 * "CT --helper" rule) -> translated, masqueraded at POST_ROUTING and
 * counted, the other helper left in place (before: our helper could not
 * be attached, and the connection went on unmasqueraded and uncounted).
 */
static void nat_test_other_helper_first(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	union nf_inet_addr be = addr(c->family, v4 ? BACKEND4 : BACKEND6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct nf_hook_state state;
	struct nf_conn_help *help;
	enum ip_conntrack_info ctinfo;
	struct ksvc_stats_sum sum;
	struct ksvc_service *svc;
	unsigned int verdict;
	struct sk_buff *skb;
	struct nf_conn *ct;

	svc = svc_of(ns, c->proto, SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	skb = build_pkt(c->family, c->proto, &be, &vip, CLIENT_PORT + 72,
			SVC_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	if (nf_conntrack_helper_register(&other_helper)) {
		kfree_skb(skb);
		KUNIT_FAIL(test, "cannot register the other helper");
		return;
	}
	nf_hook_state_init(&state, NF_INET_PRE_ROUTING,
			   v4 ? NFPROTO_IPV4 : NFPROTO_IPV6, skb->dev, NULL,
			   NULL, &init_net, NULL);
	local_bh_disable();
	rcu_read_lock();
	verdict = nf_conntrack_in(skb, &state);
	ct = nf_ct_get(skb, &ctinfo);
	if (verdict == NF_ACCEPT && ct) {
		help = nf_ct_helper_ext_add(ct, GFP_ATOMIC);
		if (help)
			rcu_assign_pointer(help->helper, &other_helper);
		verdict = ksvc_nat_dnat(ns, skb, &state, c->family);
	}
	rcu_read_unlock();
	local_bh_enable();
	KUNIT_EXPECT_EQ(test, verdict, NF_ACCEPT);
	if (ct) {
		KUNIT_EXPECT_TRUE(test, nf_nat_initialized(ct, NF_NAT_MANIP_DST));
		KUNIT_EXPECT_TRUE(test, addr_eq(c->family,
						&ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3,
						&be));
		help = nfct_help(ct);
		KUNIT_EXPECT_TRUE(test, help &&
				  rcu_access_pointer(help->helper) == &other_helper);
		KUNIT_EXPECT_EQ(test, snat_of(ns, ct), KSVC_SNAT_MASQUERADE);
	}
	ksvc_stats_fold(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 1ULL);
	kfree_skb(skb);
	nf_conntrack_helper_unregister(&other_helper);
}

/*
 * 4096 bindings of a service that is gone -> one reap removes them all, and
 * gives the CPU up at least once per KSVC_AFFINITY_GC_BATCH of them: the
 * walk leaves its RCU read-side section to do so, and must not lose its
 * place (or an entry) on the way.
 */
static void nat_test_affinity_gc_yields(struct kunit *test)
{
	const u32 n = 4096;
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	struct ksvc_backend be = { .family = AF_INET, .port = htons(8080) };
	struct ksvc_ref gone = {};	/* id 0: names no live service */
	union nf_inet_addr client = {};
	unsigned long yields;
	u32 i;

	be.addr.ip = htonl(0x0af40101);
	for (i = 0; i < n; i++) {
		client.ip = htonl(0xc0000000 | i);
		rcu_read_lock();
		ksvc_affinity_remember(&ns->aff, &gone, AF_INET, &client,
				       &be.addr, be.port, 60);
		rcu_read_unlock();
	}
	/* Only the reap below runs: the periodic one would race it. */
	cancel_delayed_work_sync(&ns->aff.gc);
	KUNIT_ASSERT_EQ(test, ksvc_affinity_count(&ns->aff), n);

	yields = ksvc_yields();
	ksvc_affinity_gc_run(&ns->aff);
	yields = ksvc_yields() - yields;
	kunit_info(test, "%lu yields reaping %u bindings\n", yields, n);
	KUNIT_EXPECT_EQ(test, ksvc_affinity_count(&ns->aff), 0U);
	KUNIT_EXPECT_GE(test, yields, (unsigned long)(n / KSVC_AFFINITY_GC_BATCH));
}

/*
 * Datagrams to a frontend before its service could translate them (the
 * "DNS blackhole at node boot": a client with a fixed source port keeps
 * its untranslated entry alive forever) -> the entry is deleted in the
 * request that gives the frontend its first backend, whether the service
 * is new or had none; a service without backends leaves it (every new
 * flow would be refused anyway). TCP entries stay: the handshake decides.
 */
static struct nf_conn *untranslated(struct kunit *test, struct ksvc_net *ns,
				    const struct pkt_case *c, u16 sport)
{
	bool v4 = c->family == AF_INET;
	union nf_inet_addr client = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	struct sk_buff *skb;
	struct run r;

	skb = build_pkt(c->family, c->proto, &client, &vip, sport, AFF_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	KUNIT_ASSERT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_ASSERT_FALSE(test, r.ct->status & IPS_DST_NAT);
	confirm(skb, &r);
	KUNIT_ASSERT_TRUE(test, nf_ct_is_confirmed(r.ct));
	nf_conntrack_get(&r.ct->ct_general);
	kfree_skb(skb);
	return r.ct;
}

static void flush_all(struct ksvc_net *ns)
{
	mutex_lock(&ns->lock);
	ksvc_nat_ct_flush(ns, 0);
	mutex_unlock(&ns->lock);
}

static void nat_test_stale_ct_untranslated(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	bool gone = c->proto != IPPROTO_TCP;
	struct ksvc_service *svc;
	struct nf_conn *a, *b;

	/* A service created with backends. */
	a = untranslated(test, ns, c, CLIENT_PORT + 30);
	svc = add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RR, 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	flush_all(ns);
	KUNIT_EXPECT_EQ(test, nf_ct_is_dying(a), gone);

	/* A service created without, then given one. */
	mutex_lock(&ns->lock);
	ksvc_service_del(&ns->tab, svc);
	ksvc_nat_ct_flush(ns, 0);
	mutex_unlock(&ns->lock);
	b = untranslated(test, ns, c, CLIENT_PORT + 31);
	svc = add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RR, 0, 3);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	flush_all(ns);
	KUNIT_EXPECT_FALSE(test, nf_ct_is_dying(b));
	svc = add_aff_svc(test, ns, c->family, c->proto, KSVC_SCHED_RR, 0, 2);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	flush_all(ns);
	KUNIT_EXPECT_EQ(test, nf_ct_is_dying(b), gone);

	nf_ct_kill(a);
	nf_ct_kill(b);
	nf_ct_put(a);
	nf_ct_put(b);
}

/* ---- traffic policies ------------------------------------------------------ */

#define POL_PORT	91
#define EXT4		"198.51.100.10"
#define EXT6		"2001:db8::10"

/*
 * "test/pol": cluster IP and external IP of @family, @flags, and @remote
 * backends elsewhere then @local ones here (".11"... then ".21"...).
 */
static struct ksvc_service *pol_svc(struct kunit *test, struct ksvc_net *ns,
				    u8 family, u8 proto, u32 flags, u32 remote,
				    u32 local)
{
	struct ksvc_svc_spec spec = {};
	struct ksvc_be_spec bes[4] = {};
	struct ksvc_fe_spec fes[2] = {};
	struct ksvc_service *svc;
	char a[48];
	u32 i;
	int ret;

	fes[0].addr = addr(family, family == AF_INET ? SVC4 : SVC6);
	fes[0].family = family;
	fes[0].kind = KSVC_FE_CLUSTER_IP;
	fes[1].addr = addr(family, family == AF_INET ? EXT4 : EXT6);
	fes[1].family = family;
	fes[1].kind = KSVC_FE_EXTERNAL_IP;
	for (i = 0; i < remote + local; i++) {
		u32 host = i < remote ? 11 + i : 21 + i - remote;

		snprintf(a, sizeof(a), family == AF_INET ? "10.244.1.%u" :
			 "fd00:244:1::%u", host);
		bes[i].addr = addr(family, a);
		bes[i].family = family;
		bes[i].port = BACKEND_PORT;
		bes[i].weight = 1;
		bes[i].flags = i < remote ? 0 : KSVC_BE_F_LOCAL;
	}
	spec.name = "test/pol";
	spec.proto = proto;
	spec.port = POL_PORT;
	spec.flags = flags;
	spec.fes = fes;
	spec.fe_count = 2;
	spec.bes = bes;
	spec.be_count = remote + local;
	spec.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_BACKENDS | KSVC_SPEC_FLAGS;
	mutex_lock(&ns->lock);
	ret = ksvc_service_add(&ns->tab, &spec, NULL);
	svc = ksvc_service_find(&ns->tab, "test/pol");
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	return svc;
}

/* One new connection from @src to @dst:POL_PORT, in PRE_ROUTING. */
static unsigned int pol_conn(struct kunit *test, struct ksvc_net *ns,
			     const struct pkt_case *c,
			     const union nf_inet_addr *src, const char *dst,
			     u16 sport, union nf_inet_addr *be, int *masq)
{
	union nf_inet_addr d = addr(c->family, dst);
	struct sk_buff *skb;
	unsigned int verdict;
	struct run r;

	skb = build_pkt(c->family, c->proto, src, &d, sport, POL_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_ASSERT_NOT_NULL(test, r.ct);
	verdict = r.verdict;
	if (verdict == NF_ACCEPT) {
		*be = r.ct->tuplehash[IP_CT_DIR_REPLY].tuple.src.u3;
		*masq = snat_of(ns, r.ct);
	}
	kfree_skb(skb);
	return verdict;
}

static bool is_local_be(u8 family, const union nf_inet_addr *be)
{
	if (family == AF_INET)
		return (ntohl(be->ip) & 0xff) >= 21;
	return be->in6.s6_addr[15] >= 0x21;
}

/*
 * externalTrafficPolicy Local, a client outside the cluster, to the
 * external IP -> only local backends, not masqueraded; to the cluster IP
 * -> any backend.
 */
static void nat_test_policy_external_local(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	const char *ext = c->family == AF_INET ? EXT4 : EXT6;
	const char *vip = c->family == AF_INET ? SVC4 : SVC6;
	union nf_inet_addr be;
	bool remote = false;
	int masq, i;

	pol_svc(test, ns, c->family, c->proto, KSVC_SVC_F_EXTERNAL_LOCAL, 2, 1);
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, pol_conn(test, ns, c, &client, ext,
					       CLIENT_PORT + 40 + i, &be, &masq),
				NF_ACCEPT);
		KUNIT_EXPECT_TRUE(test, is_local_be(c->family, &be));
		KUNIT_EXPECT_EQ(test, masq, 0);
	}
	for (i = 0; i < 24; i++) {
		KUNIT_ASSERT_EQ(test, pol_conn(test, ns, c, &client, vip,
					       CLIENT_PORT + 50 + i, &be, &masq),
				NF_ACCEPT);
		remote |= !is_local_be(c->family, &be);
	}
	KUNIT_EXPECT_TRUE(test, remote);
}

/*
 * externalTrafficPolicy Local and no local backend -> traffic from
 * outside is dropped (NF_DROP, no refusal), counted as a drop; a pod's
 * (source in a cluster CIDR) goes to the cluster set.
 */
static void nat_test_policy_external_no_local_drops(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	const char *ext = c->family == AF_INET ? EXT4 : EXT6;
	struct ksvc_stats_sum sum;
	struct ksvc_service *svc;
	struct ksvc_cidrs *cidrs;
	union nf_inet_addr be;
	int masq;

	svc = pol_svc(test, ns, c->family, c->proto, KSVC_SVC_F_EXTERNAL_LOCAL,
		      2, 0);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_EXPECT_EQ(test, pol_conn(test, ns, c, &client, ext,
				       CLIENT_PORT + 40, &be, &masq), NF_DROP);
	ksvc_stats_fold(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.rejects, 0ULL);

	cidrs = kzalloc(struct_size(cidrs, cidr, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cidrs);
	cidrs->count = 1;
	cidrs->cidr[0].family = c->family;
	cidrs->cidr[0].prefixlen = 8;
	cidrs->cidr[0].addr = addr(c->family, c->family == AF_INET ?
				   "10.0.0.0" : "fd00::");
	mutex_lock(&ns->lock);
	ksvc_net_cidrs_set(ns, cidrs);
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, pol_conn(test, ns, c, &client, ext,
				       CLIENT_PORT + 41, &be, &masq), NF_ACCEPT);
	KUNIT_EXPECT_FALSE(test, is_local_be(c->family, &be));
}

/*
 * internalTrafficPolicy Local -> cluster IP traffic to local backends
 * only; none here -> dropped; no backend at all -> refused.
 */
static void nat_test_policy_internal_local(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	union nf_inet_addr client = addr(c->family, c->family == AF_INET ?
					 CLIENT4 : CLIENT6);
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	const char *vip = c->family == AF_INET ? SVC4 : SVC6;
	struct ksvc_service *svc;
	union nf_inet_addr be;
	unsigned int verdict;
	int masq, i;

	svc = pol_svc(test, ns, c->family, c->proto, KSVC_SVC_F_INTERNAL_LOCAL,
		      2, 1);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	for (i = 0; i < 8; i++) {
		KUNIT_ASSERT_EQ(test, pol_conn(test, ns, c, &client, vip,
					       CLIENT_PORT + 40 + i, &be, &masq),
				NF_ACCEPT);
		KUNIT_EXPECT_TRUE(test, is_local_be(c->family, &be));
	}
	mutex_lock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ksvc_backends_replace(&ns->tab, svc, NULL, 0,
						    NULL), 0);
	mutex_unlock(&ns->lock);
	verdict = pol_conn(test, ns, c, &client, vip, CLIENT_PORT + 50, &be,
			   &masq);
	KUNIT_EXPECT_EQ(test, verdict & NF_VERDICT_MASK, NF_DROP);
	KUNIT_EXPECT_EQ(test, NF_DROP_GETERR(verdict), -ECONNREFUSED);
	mutex_lock(&ns->lock);
	ksvc_service_del(&ns->tab, svc);
	mutex_unlock(&ns->lock);
	pol_svc(test, ns, c->family, c->proto, KSVC_SVC_F_INTERNAL_LOCAL, 2, 0);
	KUNIT_EXPECT_EQ(test, pol_conn(test, ns, c, &client, vip,
				       CLIENT_PORT + 51, &be, &masq), NF_DROP);
}

/* ---- load-balancer source ranges ---------------------------------------- */

#define LB_PORT		92
#define LB4		"203.0.113.10"
#define LB6		"2001:db8::20"

/*
 * Source ranges 10.0.0.0/8 only, on a service with a cluster IP and an LB
 * IP -> to the LB IP, an IPv4 client inside is let in, one outside is
 * dropped and counted, and IPv6 (no range of its own) is dropped whole;
 * the cluster IP is open to all.
 */
static void nat_test_source_ranges(struct kunit *test)
{
	const struct pkt_case *c = test->param_value;
	bool v4 = c->family == AF_INET;
	union nf_inet_addr in = addr(c->family, v4 ? CLIENT4 : CLIENT6);
	union nf_inet_addr out = addr(c->family, v4 ? "192.0.2.1" :
				      "2001:db8:ff::1");
	struct ksvc_net *ns = &((struct nat_fixture *)test->priv)->ns;
	union nf_inet_addr lb = addr(c->family, v4 ? LB4 : LB6);
	union nf_inet_addr vip = addr(c->family, v4 ? SVC4 : SVC6);
	struct ksvc_svc_spec spec = {};
	struct ksvc_fe_spec fes[2] = {};
	struct ksvc_be_spec be = {};
	struct ksvc_stats_sum sum;
	struct ksvc_service *svc;
	struct sk_buff *skb;
	struct run r;
	int ret;

	fes[0].addr = vip;
	fes[0].family = c->family;
	fes[0].kind = KSVC_FE_CLUSTER_IP;
	fes[1].addr = lb;
	fes[1].family = c->family;
	fes[1].kind = KSVC_FE_LOAD_BALANCER_IP;
	be.addr = addr(c->family, v4 ? BACKEND4 : BACKEND6);
	be.family = c->family;
	be.port = BACKEND_PORT;
	be.weight = 1;
	spec.name = "test/lb";
	spec.proto = c->proto;
	spec.port = LB_PORT;
	spec.fes = fes;
	spec.fe_count = 2;
	spec.bes = &be;
	spec.be_count = 1;
	spec.ranges = kzalloc(struct_size(spec.ranges, cidr, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, spec.ranges);
	spec.ranges->count = 1;
	spec.ranges->cidr[0].family = AF_INET;
	spec.ranges->cidr[0].prefixlen = 8;
	spec.ranges->cidr[0].addr = addr(AF_INET, "10.0.0.0");
	spec.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_BACKENDS |
		   KSVC_SPEC_SOURCE_RANGES;
	mutex_lock(&ns->lock);
	ret = ksvc_service_add(&ns->tab, &spec, NULL);
	svc = ksvc_service_find(&ns->tab, "test/lb");
	mutex_unlock(&ns->lock);
	if (ret)
		kfree(spec.ranges);
	KUNIT_ASSERT_EQ(test, ret, 0);

	skb = build_pkt(c->family, c->proto, &in, &lb, CLIENT_PORT + 60,
			LB_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_EXPECT_EQ(test, r.verdict, v4 ? NF_ACCEPT : NF_DROP);
	kfree_skb(skb);

	skb = build_pkt(c->family, c->proto, &out, &lb, CLIENT_PORT + 61,
			LB_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_DROP);
	kfree_skb(skb);
	ksvc_stats_fold(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops, v4 ? 1ULL : 2ULL);
	KUNIT_EXPECT_EQ(test, sum.rejects, 0ULL);

	skb = build_pkt(c->family, c->proto, &out, &vip, CLIENT_PORT + 62,
			LB_PORT);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	run_prerouting(ns, skb, c->family, &r);
	KUNIT_EXPECT_EQ(test, r.verdict, NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, nf_nat_initialized(r.ct, NF_NAT_MANIP_DST));
	kfree_skb(skb);
}

/* ---- the masquerade decision -------------------------------------------- */

/*
 * kube-proxy's TestInternalExternalMasquerade (pkg/proxy/iptables and
 * nftables, proxier_test.go), row for row: a pod (in the cluster CIDR), the
 * node itself (LOCAL_OUT, from its own address) and a client outside to a
 * cluster IP, a node port and an LB IP of a service whose traffic policies
 * are both Cluster, or externalTrafficPolicy Local, or
 * internalTrafficPolicy Local; in its four setups: with a cluster CIDR
 * (kube-proxy's local traffic detector), without one, with masquerade_all,
 * with masquerade_all and without a CIDR. Each row says, per setup, whether
 * the connection is masqueraded and whether it goes to the node-local
 * backends only. The values are kube-proxy's expectations, written out.
 */
enum { SRC_POD, SRC_NODE, SRC_EXT };
enum { SETUP_BASE, SETUP_NO_CIDR, SETUP_ALL, SETUP_ALL_NO_CIDR, SETUPS };

struct masq_case {
	const char *name;
	u8 src;
	u8 kind;
	u32 flags;		/* KSVC_SVC_F_{INTERNAL,EXTERNAL}_LOCAL */
	bool masq[SETUPS];
	bool local[SETUPS];
};

#define CIP KSVC_FE_CLUSTER_IP
#define NP KSVC_FE_NODE_PORT
#define LB KSVC_FE_LOAD_BALANCER_IP
#define ETPL KSVC_SVC_F_EXTERNAL_LOCAL
#define ITPL KSVC_SVC_F_INTERNAL_LOCAL
#define T4 { true, true, true, true }
#define F4 { false, false, false, false }

static const struct masq_case masq_cases[] = {
	/* base: masqueraded from outside the CIDR; without one, never */
	{ "pod to ClusterIP", SRC_POD, CIP, 0,
	  { false, false, true, true }, F4 },
	{ "pod to NodePort", SRC_POD, NP, 0, T4, F4 },
	{ "pod to LB", SRC_POD, LB, 0, T4, F4 },
	{ "node to ClusterIP", SRC_NODE, CIP, 0,
	  { true, false, true, true }, F4 },
	{ "node to NodePort", SRC_NODE, NP, 0, T4, F4 },
	{ "node to LB", SRC_NODE, LB, 0, T4, F4 },
	{ "external to ClusterIP", SRC_EXT, CIP, 0,
	  { true, false, true, true }, F4 },
	{ "external to NodePort", SRC_EXT, NP, 0, T4, F4 },
	{ "external to LB", SRC_EXT, LB, 0, T4, F4 },
	/*
	 * eTP:Local: pods short-circuit to the cluster set, unmasqueraded even
	 * with masquerade_all (without a CIDR they are not told apart: local
	 * set); the node masqueraded to the cluster set; outside to the local
	 * set, unmasqueraded
	 */
	{ "pod to ClusterIP with eTP:Local", SRC_POD, CIP, ETPL,
	  { false, false, true, true }, F4 },
	{ "pod to NodePort with eTP:Local", SRC_POD, NP, ETPL,
	  F4, { false, true, false, true } },
	{ "pod to LB with eTP:Local", SRC_POD, LB, ETPL,
	  F4, { false, true, false, true } },
	{ "node to ClusterIP with eTP:Local", SRC_NODE, CIP, ETPL,
	  { true, false, true, true }, F4 },
	{ "node to NodePort with eTP:Local", SRC_NODE, NP, ETPL,
	  T4, F4 },
	{ "node to LB with eTP:Local", SRC_NODE, LB, ETPL,
	  T4, F4 },
	{ "external to ClusterIP with eTP:Local", SRC_EXT, CIP, ETPL,
	  { true, false, true, true }, F4 },
	{ "external to NodePort with eTP:Local", SRC_EXT, NP, ETPL,
	  F4, T4 },
	{ "external to LB with eTP:Local", SRC_EXT, LB, ETPL,
	  F4, T4 },
	/* iTP:Local: the cluster IP to the local set; the rest as base */
	{ "pod to ClusterIP with iTP:Local", SRC_POD, CIP, ITPL,
	  { false, false, true, true }, T4 },
	{ "pod to NodePort with iTP:Local", SRC_POD, NP, ITPL,
	  T4, F4 },
	{ "pod to LB with iTP:Local", SRC_POD, LB, ITPL,
	  T4, F4 },
	{ "node to ClusterIP with iTP:Local", SRC_NODE, CIP, ITPL,
	  { true, false, true, true }, T4 },
	{ "node to NodePort with iTP:Local", SRC_NODE, NP, ITPL,
	  T4, F4 },
	{ "node to LB with iTP:Local", SRC_NODE, LB, ITPL,
	  T4, F4 },
	{ "external to ClusterIP with iTP:Local", SRC_EXT, CIP, ITPL,
	  { true, false, true, true }, T4 },
	{ "external to NodePort with iTP:Local", SRC_EXT, NP, ITPL,
	  T4, F4 },
	{ "external to LB with iTP:Local", SRC_EXT, LB, ITPL,
	  T4, F4 },
};

static void masq_case_desc(const struct masq_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(masq, masq_cases, masq_case_desc);

/* The list of the one CIDR @cidr ("addr/len"), or NULL for "". */
static struct ksvc_cidrs *one_cidr(struct kunit *test, const char *cidr)
{
	struct ksvc_cidrs *cidrs;
	unsigned int plen;
	char buf[64];
	char *slash;
	u8 family;

	if (!*cidr)
		return NULL;
	family = strchr(cidr, ':') ? AF_INET6 : AF_INET;
	strscpy(buf, cidr, sizeof(buf));
	slash = strchr(buf, '/');
	KUNIT_ASSERT_NOT_NULL(test, slash);
	*slash = 0;
	KUNIT_ASSERT_EQ(test, kstrtouint(slash + 1, 10, &plen), 0);
	cidrs = kunit_kzalloc(test, struct_size(cidrs, cidr, 1), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cidrs);
	cidrs->count = 1;
	cidrs->cidr[0].family = family;
	cidrs->cidr[0].prefixlen = plen;
	cidrs->cidr[0].addr = addr(family, buf);
	return cidrs;
}

/* Each row in each setup, IPv4 and IPv6 alike. */
static void nat_test_masquerade_decision(struct kunit *test)
{
	static const char *const src4[] = { "10.244.1.14", "192.168.50.1",
					    "192.168.50.2" };
	static const char *const src6[] = { "fd00:244:1::14", "fd00:50::1",
					    "fd00:50::2" };
	const struct masq_case *c = test->param_value;
	int f, setup;

	for (f = 0; f < 2; f++) {
		u8 family = f ? AF_INET6 : AF_INET;
		union nf_inet_addr src = addr(family, f ? src6[c->src] :
					      src4[c->src]);
		union nf_inet_addr be = addr(family, f ? "fd00:244:2::11" :
					     "10.244.2.11");

		for (setup = 0; setup < SETUPS; setup++) {
			bool cidr = setup == SETUP_BASE || setup == SETUP_ALL;
			struct ksvc_masq_in in = {
				.family = family,
				.kind = c->kind,
				.masquerade_all = setup >= SETUP_ALL,
				.node = c->src == SRC_NODE,
				.internal_local = c->flags & ITPL,
				.external_local = c->flags & ETPL,
				.saddr = &src,
				.backend = &be,
				.cidrs = one_cidr(test, !cidr ? "" : f ?
						  "fd00:244::/32" :
						  "10.244.0.0/16"),
			};

			KUNIT_EXPECT_EQ_MSG(test, ksvc_nat_masq_wanted(&in),
					    c->masq[setup],
					    "masquerade, IPv%d, setup %d",
					    f ? 6 : 4, setup);
			KUNIT_EXPECT_EQ_MSG(test, ksvc_nat_local_pool(&in),
					    c->local[setup],
					    "local set, IPv%d, setup %d",
					    f ? 6 : 4, setup);
		}
	}
}

/*
 * Hairpin (kube-proxy's endpoint chains): a backend reaching itself
 * through any frontend, in any setup, is masqueraded; and a CIDR of the
 * other family is no CIDR (kube-proxy's detectors are per family).
 */
static void nat_test_masquerade_hairpin_and_family(struct kunit *test)
{
	static const u8 kinds[] = { CIP, NP, LB, KSVC_FE_EXTERNAL_IP };
	union nf_inet_addr pod6 = addr(AF_INET6, "fd00:244:1::11");
	union nf_inet_addr ext6 = addr(AF_INET6, "fd00:50::2");
	struct ksvc_masq_in in = {
		.family = AF_INET6,
		.saddr = &pod6,
		.backend = &pod6,
	};
	u32 k, flags;

	for (k = 0; k < ARRAY_SIZE(kinds); k++) {
		for (flags = 0; flags <= (ETPL | ITPL); flags++) {
			in.kind = kinds[k];
			in.internal_local = flags & ITPL;
			in.external_local = flags & ETPL;
			in.cidrs = one_cidr(test, "fd00:244::/32");
			KUNIT_EXPECT_TRUE(test, ksvc_nat_masq_wanted(&in));
			in.cidrs = NULL;
			KUNIT_EXPECT_TRUE(test, ksvc_nat_masq_wanted(&in));
		}
	}
	/* Outside to a cluster IP: only a CIDR of its own family counts. */
	in.kind = CIP;
	in.internal_local = false;
	in.external_local = false;
	in.saddr = &ext6;
	in.cidrs = one_cidr(test, "10.244.0.0/16");
	KUNIT_EXPECT_FALSE(test, ksvc_nat_masq_wanted(&in));
	in.cidrs = one_cidr(test, "fd00:244::/32");
	KUNIT_EXPECT_TRUE(test, ksvc_nat_masq_wanted(&in));
}

#undef CIP
#undef NP
#undef LB
#undef ETPL
#undef ITPL
#undef T4
#undef F4

static struct kunit_case nat_test_cases[] = {
	KUNIT_CASE_PARAM(nat_test_dnat_rewrites, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_no_backend_rejects, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_nodeport_localhost, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_nodeport_cidrs, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_hairpin_masquerade, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_counts_from_conntrack, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_stale_ct_flushed, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_stale_ct_service_deleted, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_stale_ct_untranslated, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_stale_ct_unconfirmed, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_affinity_sticks, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_affinity_full, pkt_gen_params),
	KUNIT_CASE(nat_test_affinity_expires),
	KUNIT_CASE(nat_test_affinity_service_deleted),
	KUNIT_CASE_PARAM(nat_test_affinity_needs_confirm, pkt_gen_params),
	KUNIT_CASE(nat_test_affinity_total_bound),
	KUNIT_CASE(nat_test_affinity_max_raise),
	KUNIT_CASE_PARAM(nat_test_hooks_wait_unanswered, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_other_helper_first, pkt_gen_params),
	KUNIT_CASE(nat_test_affinity_gc_yields),
	KUNIT_CASE_PARAM(nat_test_policy_external_local, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_policy_external_no_local_drops,
			 pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_policy_internal_local, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_source_ranges, pkt_gen_params),
	KUNIT_CASE_PARAM(nat_test_masquerade_decision, masq_gen_params),
	KUNIT_CASE(nat_test_masquerade_hairpin_and_family),
	{}
};

static struct kunit_suite nat_test_suite = {
	.name = "kservice_nat",
	.init = nat_test_init,
	.exit = nat_test_exit,
	.test_cases = nat_test_cases,
};

kunit_test_suite(nat_test_suite);
