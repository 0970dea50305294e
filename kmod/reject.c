// SPDX-License-Identifier: GPL-2.0
/*
 * Refusing a new connection at once when its service has no usable
 * backend, from PRE_ROUTING (pods, outside clients; no route yet, so one
 * is looked up back to the source) and from LOCAL_OUT (the node itself):
 * a TCP RST, an SCTP ABORT for an INIT, an ICMP port unreachable for UDP
 * (and for SCTP packets that are not an INIT).
 *
 * SCTP gets an ABORT rather than the ICMP error kube-proxy sends: the
 * client takes an ICMP error as a hard one only with IP_RECVERR and only
 * if its socket is not locked when the error arrives (it usually is: the
 * refusal comes back while connect() is still sending the INIT), and
 * otherwise waits for the INIT to time out. An ABORT is queued to the
 * socket's backlog and refuses the association in every case, as the
 * kernel's own answer to an INIT for a port nobody listens on.
 */

#include <linux/crc32c.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/sctp.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/l3mdev.h>
#include <net/netfilter/ipv4/nf_reject.h>
#include <net/netfilter/ipv6/nf_reject.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include <net/xfrm.h>

#include "reject.h"

#define ABORT_LEN (sizeof(struct sctphdr) + sizeof(struct sctp_chunkhdr))

/*
 * An INIT alone in its packet, as a first packet is: its common header
 * (whose ports the ABORT swaps) and its Initiate Tag (which the ABORT
 * carries as verification tag, with the T bit clear: RFC 9260, 8.4).
 */
static bool sctp_init(struct sk_buff *skb, unsigned int thoff,
		      struct sctphdr *sh, __be32 *tag)
{
	struct {
		struct sctp_chunkhdr ch;
		struct sctp_inithdr init;
	} _c;
	const struct sctphdr *osh;
	const typeof(_c) *c;

	osh = skb_header_pointer(skb, thoff, sizeof(*sh), sh);
	c = skb_header_pointer(skb, thoff + sizeof(*sh), sizeof(_c), &_c);
	if (!osh || !c || osh->vtag || c->ch.type != SCTP_CID_INIT)
		return false;
	if (osh != sh)
		*sh = *osh;
	*tag = c->init.init_tag;
	return true;
}

/* The SCTP part of the ABORT, after the IP header put in @nskb. */
static void abort_put(struct sk_buff *nskb, const struct sctphdr *osh,
		      __be32 tag)
{
	struct sctp_chunkhdr *ch;
	struct sctphdr *sh;

	skb_set_transport_header(nskb, nskb->len);
	sh = skb_put_zero(nskb, sizeof(*sh));
	sh->source = osh->dest;
	sh->dest = osh->source;
	sh->vtag = tag;
	ch = skb_put_zero(nskb, sizeof(*ch));
	ch->type = SCTP_CID_ABORT;
	ch->length = htons(sizeof(*ch));
	/* sctp_compute_cksum() on a linear buffer, without net/sctp's headers. */
	sh->checksum = cpu_to_le32(~crc32c(~0, sh, ABORT_LEN));
}

/* nf_send_reset(), with an ABORT for the RST. */
static void abort4(struct net *net, struct sock *sk, struct sk_buff *oldskb,
		   const struct sctphdr *osh, __be32 tag)
{
	struct sk_buff *nskb;

	if (!skb_dst(oldskb)) {
		struct dst_entry *dst = NULL;
		struct flowi fl = {};

		fl.u.ip4.daddr = ip_hdr(oldskb)->saddr;
		nf_ip_route(net, &dst, &fl, false);
		if (!dst)
			return;
		skb_dst_set(oldskb, dst);
	}
	if (skb_rtable(oldskb)->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST))
		return;

	nskb = alloc_skb(LL_MAX_HEADER + sizeof(struct iphdr) + ABORT_LEN,
			 GFP_ATOMIC);
	if (!nskb)
		return;
	/* ip_route_me_harder() wants a dst to start from. */
	skb_dst_set_noref(nskb, skb_dst(oldskb));
	nskb->mark = IP4_REPLY_MARK(net, oldskb->mark);
	skb_reserve(nskb, LL_MAX_HEADER);
	nf_reject_iphdr_put(nskb, oldskb, IPPROTO_SCTP,
			    ip4_dst_hoplimit(skb_dst(nskb)));
	abort_put(nskb, osh, tag);
	if (ip_route_me_harder(net, sk, nskb, RTN_UNSPEC)) {
		kfree_skb(nskb);
		return;
	}
	nf_ct_attach(nskb, oldskb);
	ip_local_out(net, nskb->sk, nskb);
}

/* nf_send_reset6(), with an ABORT for the RST. */
static void abort6(struct net *net, struct sock *sk, struct sk_buff *oldskb,
		   const struct sctphdr *osh, __be32 tag)
{
	const struct ipv6hdr *oip6h = ipv6_hdr(oldskb);
	struct dst_entry *dst = NULL;
	struct flowi6 fl6 = {};
	struct sk_buff *nskb;

	if (!(ipv6_addr_type(&oip6h->saddr) & IPV6_ADDR_UNICAST) ||
	    !(ipv6_addr_type(&oip6h->daddr) & IPV6_ADDR_UNICAST))
		return;
	fl6.flowi6_proto = IPPROTO_SCTP;
	fl6.saddr = oip6h->daddr;
	fl6.daddr = oip6h->saddr;
	fl6.fl6_sport = osh->dest;
	fl6.fl6_dport = osh->source;
	if (!skb_dst(oldskb)) {
		nf_ip6_route(net, &dst, flowi6_to_flowi(&fl6), false);
		if (!dst)
			return;
		skb_dst_set(oldskb, dst);
	}
	fl6.flowi6_oif = l3mdev_master_ifindex(skb_dst(oldskb)->dev);
	fl6.flowi6_mark = IP6_REPLY_MARK(net, oldskb->mark);
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error) {
		dst_release(dst);
		return;
	}
	dst = xfrm_lookup(net, dst, flowi6_to_flowi(&fl6), NULL, 0);
	if (IS_ERR(dst))
		return;

	nskb = alloc_skb(LL_MAX_HEADER + sizeof(struct ipv6hdr) + ABORT_LEN +
			 dst->trailer_len, GFP_ATOMIC);
	if (!nskb) {
		dst_release(dst);
		return;
	}
	skb_dst_set(nskb, dst);
	nskb->mark = fl6.flowi6_mark;
	skb_reserve(nskb, LL_MAX_HEADER);
	nf_reject_ip6hdr_put(nskb, oldskb, IPPROTO_SCTP, ip6_dst_hoplimit(dst));
	abort_put(nskb, osh, tag);
	nf_ct_attach(nskb, oldskb);
	ip6_local_out(net, sk, nskb);
}

/* The offset of the SCTP header, or -1 (IPv6 extension headers skipped). */
static int sctp_offset(struct sk_buff *skb, u8 family)
{
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	if (family == AF_INET) {
		if (ip_hdr(skb)->frag_off & htons(IP_OFFSET))
			return -1;
		return skb_network_offset(skb) + ip_hdrlen(skb);
	}
	nexthdr = ipv6_hdr(skb)->nexthdr;
	thoff = ipv6_skip_exthdr(skb, skb_network_offset(skb) +
				 sizeof(struct ipv6hdr), &nexthdr, &frag_off);
	if (thoff < 0 || nexthdr != IPPROTO_SCTP || (frag_off & htons(~0x7)))
		return -1;
	return thoff;
}

void ksvc_reject(struct sk_buff *skb, const struct nf_hook_state *state,
		 u8 family, u8 proto)
{
	struct sctphdr sh;
	__be32 tag;
	int thoff;

	if (proto == IPPROTO_TCP) {
		if (family == AF_INET)
			nf_send_reset(state->net, state->sk, skb, state->hook);
		else
			nf_send_reset6(state->net, state->sk, skb, state->hook);
		return;
	}
	if (proto == IPPROTO_SCTP) {
		thoff = sctp_offset(skb, family);
		if (thoff >= 0 && sctp_init(skb, thoff, &sh, &tag)) {
			if (family == AF_INET)
				abort4(state->net, state->sk, skb, &sh, tag);
			else
				abort6(state->net, state->sk, skb, &sh, tag);
			return;
		}
	}
	if (family == AF_INET)
		nf_send_unreach(skb, ICMP_PORT_UNREACH, state->hook);
	else
		nf_send_unreach6(state->net, skb, ICMPV6_PORT_UNREACH,
				 state->hook);
}
