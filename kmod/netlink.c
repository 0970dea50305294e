// SPDX-License-Identifier: GPL-2.0
/*
 * The "kservice" generic netlink family; uapi/linux/kservice.h is its
 * specification. Policies first, then one handler per command, then the
 * ops and the family.
 *
 * Every request is validated and turned into new objects before the
 * namespace's mutex is taken; the table code then fails before its first
 * visible change or not at all.
 */

#include <linux/inetdevice.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>

#include "compat.h"
#include "kservice.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "stats.h"
#include "table.h"

static struct genl_family ksvc_family;

/* ---- policies ----------------------------------------------------------- */

/* Family checks and "address length matches family" are in parse_addr(). */
static const struct nla_policy fe_policy[KSVC_FE_A_MAX + 1] = {
	[KSVC_FE_A_KIND]	= NLA_POLICY_RANGE(NLA_U8, KSVC_FE_CLUSTER_IP,
						   KSVC_FE_KIND_MAX),
	[KSVC_FE_A_FAMILY]	= { .type = NLA_U16 },
	[KSVC_FE_A_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY,
						   sizeof(struct in_addr),
						   sizeof(struct in6_addr)),
};

/* nla_policy's min and max are s16: larger bounds need a range (not const in 6.1). */
static struct netlink_range_validation weight_range = {
	.max = KSVC_WEIGHT_MAX,
};

static struct netlink_range_validation affinity_range = {
	.max = KSVC_AFFINITY_TIMEOUT_MAX,
};

static struct netlink_range_validation affinity_max_range = {
	.max = INT_MAX,
};

/* KSVC_BE_A_STATS and KSVC_BE_A_PAD are output only: rejected. */
static const struct nla_policy be_policy[KSVC_BE_A_MAX + 1] = {
	[KSVC_BE_A_FAMILY]	= { .type = NLA_U16 },
	[KSVC_BE_A_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY,
						   sizeof(struct in_addr),
						   sizeof(struct in6_addr)),
	[KSVC_BE_A_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[KSVC_BE_A_WEIGHT]	= NLA_POLICY_FULL_RANGE(NLA_U32, &weight_range),
	[KSVC_BE_A_FLAGS]	= { .type = NLA_U32 },
};

static const struct nla_policy cidr_policy[KSVC_CIDR_A_MAX + 1] = {
	[KSVC_CIDR_A_FAMILY]	= { .type = NLA_U16 },
	[KSVC_CIDR_A_ADDR]	= NLA_POLICY_RANGE(NLA_BINARY,
						   sizeof(struct in_addr),
						   sizeof(struct in6_addr)),
	[KSVC_CIDR_A_PREFIXLEN]	= NLA_POLICY_MAX(NLA_U8, 128),
};

/* Service and backend commands; read-only attributes are left out. */
static const struct nla_policy svc_policy[KSVC_A_MAX + 1] = {
	[KSVC_A_SVC_NAME]	= { .type = NLA_NUL_STRING,
				    .len = KSVC_NAME_MAX - 1 },
	[KSVC_A_SVC_PROTO]	= { .type = NLA_U8 },
	[KSVC_A_SVC_PORT]	= NLA_POLICY_MIN(NLA_U16, 1),
	[KSVC_A_SVC_NODE_PORT]	= { .type = NLA_U16 },
	[KSVC_A_SVC_SCHED]	= NLA_POLICY_MAX(NLA_U8, KSVC_SCHED_MAX),
	[KSVC_A_SVC_FLAGS]	= { .type = NLA_U32 },
	[KSVC_A_SVC_GENERATION]	= { .type = NLA_U64 },
	[KSVC_A_SVC_FRONTENDS]	= NLA_POLICY_NESTED_ARRAY(fe_policy),
	[KSVC_A_SVC_BACKENDS]	= NLA_POLICY_NESTED_ARRAY(be_policy),
	[KSVC_A_REQ_FLAGS]	= { .type = NLA_U32 },
	[KSVC_A_SVC_AFFINITY]	= NLA_POLICY_FULL_RANGE(NLA_U32, &affinity_range),
	[KSVC_A_SVC_SOURCE_RANGES] = NLA_POLICY_NESTED_ARRAY(cidr_policy),
};

static const struct nla_policy cfg_policy[KSVC_A_MAX + 1] = {
	[KSVC_A_CFG_CLUSTER_CIDRS]	= NLA_POLICY_NESTED_ARRAY(cidr_policy),
	[KSVC_A_CFG_MASQUERADE_ALL]	= NLA_POLICY_MAX(NLA_U8, 1),
	[KSVC_A_CFG_NODEPORT_LOCALHOST]	= NLA_POLICY_MAX(NLA_U8, 1),
	[KSVC_A_CFG_AFFINITY_MAX]	= NLA_POLICY_FULL_RANGE(NLA_U32,
								&affinity_max_range),
	[KSVC_A_CFG_NODEPORT_CIDRS]	= NLA_POLICY_NESTED_ARRAY(cidr_policy),
};

#define A(attr) BIT_ULL(KSVC_A_##attr)

/* The attributes each command reads; the others are refused, not ignored. */
#define SVC_ATTRS (A(SVC_NAME) | A(SVC_PROTO) | A(SVC_PORT) | \
		   A(SVC_NODE_PORT) | A(SVC_SCHED) | A(SVC_FLAGS) | \
		   A(SVC_GENERATION) | A(SVC_FRONTENDS) | A(SVC_BACKENDS) | \
		   A(SVC_AFFINITY) | A(SVC_SOURCE_RANGES))
#define ONE_BE_ATTRS (A(SVC_NAME) | A(SVC_BACKENDS))

/* ---- request parsing ---------------------------------------------------- */

static int only_attrs(struct nlattr **attrs, u64 allowed,
		      struct netlink_ext_ack *extack)
{
	unsigned int i;

	static_assert(KSVC_A_MAX < 64);
	for (i = 1; i <= KSVC_A_MAX; i++) {
		if (attrs[i] && !(allowed & BIT_ULL(i))) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[i],
					    "Attribute not valid for this command");
			return -EINVAL;
		}
	}
	return 0;
}

static int need(struct nlattr **attrs, unsigned int type,
		struct netlink_ext_ack *extack)
{
	if (attrs[type])
		return 0;
	NL_SET_ERR_ATTR_MISS(extack, NULL, type);
	NL_SET_ERR_MSG(extack, "Missing required attribute");
	return -EINVAL;
}

static int req_flags(struct nlattr **attrs, u32 allowed, u32 *flags,
		     struct netlink_ext_ack *extack)
{
	struct nlattr *attr = attrs[KSVC_A_REQ_FLAGS];

	*flags = attr ? nla_get_u32(attr) : 0;
	if (*flags & ~allowed) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Unknown or unsupported request flags");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int parse_addr(struct nlattr *fam_attr, struct nlattr *addr_attr,
		      bool any_ok, union nf_inet_addr *addr, u8 *family,
		      struct netlink_ext_ack *extack)
{
	u16 fam = nla_get_u16(fam_attr);
	int len;

	if (fam == AF_INET) {
		len = sizeof(struct in_addr);
	} else if (fam == AF_INET6) {
		len = sizeof(struct in6_addr);
	} else {
		NL_SET_ERR_MSG_ATTR(extack, fam_attr,
				    "Family must be AF_INET or AF_INET6");
		return -EINVAL;
	}
	if (nla_len(addr_attr) != len) {
		NL_SET_ERR_MSG_ATTR(extack, addr_attr,
				    "Address length does not match the family");
		return -EINVAL;
	}
	memset(addr, 0, sizeof(*addr));
	nla_memcpy(addr, addr_attr, len);
	if (!any_ok && (fam == AF_INET ? !addr->ip : ipv6_addr_any(&addr->in6))) {
		NL_SET_ERR_MSG_ATTR(extack, addr_attr,
				    "Address must not be unspecified");
		return -EINVAL;
	}
	*family = fam;
	return 0;
}

static u32 members(const struct nlattr *list)
{
	const struct nlattr *m;
	u32 n = 0;
	int rem;

	nla_for_each_nested(m, list, rem)
		n++;
	return n;
}

/*
 * List members were validated against their policy with the request;
 * nla_parse() (not nla_parse_nested()) as a member's NLA_F_NESTED is
 * optional, and it carries no meaning.
 */
static int parse_member(struct nlattr **tb, unsigned int maxtype,
			const struct nlattr *m, const struct nla_policy *pol,
			struct netlink_ext_ack *extack)
{
	return nla_parse(tb, maxtype, nla_data(m), nla_len(m), pol, extack);
}

static int parse_fes(struct nlattr *list, struct ksvc_fe_spec **out,
		     u32 *count, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KSVC_FE_A_MAX + 1];
	u32 n = members(list), i = 0;
	struct ksvc_fe_spec *fes;
	struct nlattr *m;
	int rem, ret;

	if (n > KSVC_FRONTENDS_MAX) {
		NL_SET_ERR_MSG_ATTR(extack, list, "Too many frontends");
		return -E2BIG;
	}
	fes = kcalloc(n, sizeof(*fes), GFP_KERNEL_ACCOUNT);
	if (!fes && n) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return -ENOMEM;
	}
	nla_for_each_nested(m, list, rem) {
		ret = parse_member(tb, KSVC_FE_A_MAX, m, fe_policy, extack);
		if (ret)
			goto err;
		if (!tb[KSVC_FE_A_KIND] || !tb[KSVC_FE_A_FAMILY] ||
		    !tb[KSVC_FE_A_ADDR]) {
			NL_SET_ERR_MSG_ATTR(extack, m,
					    "A frontend needs a kind, a family and an address");
			ret = -EINVAL;
			goto err;
		}
		fes[i].kind = nla_get_u8(tb[KSVC_FE_A_KIND]);
		ret = parse_addr(tb[KSVC_FE_A_FAMILY], tb[KSVC_FE_A_ADDR], false,
				 &fes[i].addr, &fes[i].family, extack);
		if (ret)
			goto err;
		fes[i].nla = m;
		i++;
	}
	*out = fes;
	*count = n;
	return 0;

err:
	kfree(fes);
	return ret;
}

static int parse_bes(struct nlattr *list, struct ksvc_be_spec **out,
		     u32 *count, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KSVC_BE_A_MAX + 1];
	u32 n = members(list), i = 0;
	struct ksvc_be_spec *bes;
	struct nlattr *m;
	int rem, ret;

	if (n > min_t(u32, READ_ONCE(ksvc_max_backends), KSVC_BACKENDS_LIMIT)) {
		NL_SET_ERR_MSG_ATTR(extack, list,
				    "Too many backends (module parameter max_backends)");
		return -E2BIG;
	}
	bes = kvcalloc(n, sizeof(*bes), GFP_KERNEL_ACCOUNT);
	if (!bes && n) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return -ENOMEM;
	}
	nla_for_each_nested(m, list, rem) {
		struct ksvc_be_spec *be = &bes[i];

		ret = parse_member(tb, KSVC_BE_A_MAX, m, be_policy, extack);
		if (ret)
			goto err;
		if (!tb[KSVC_BE_A_FAMILY] || !tb[KSVC_BE_A_ADDR] ||
		    !tb[KSVC_BE_A_PORT]) {
			NL_SET_ERR_MSG_ATTR(extack, m,
					    "A backend needs a family, an address and a port");
			ret = -EINVAL;
			goto err;
		}
		ret = parse_addr(tb[KSVC_BE_A_FAMILY], tb[KSVC_BE_A_ADDR], false,
				 &be->addr, &be->family, extack);
		if (ret)
			goto err;
		be->port = nla_get_u16(tb[KSVC_BE_A_PORT]);
		be->weight = tb[KSVC_BE_A_WEIGHT] ?
			     nla_get_u32(tb[KSVC_BE_A_WEIGHT]) :
			     KSVC_WEIGHT_DEFAULT;
		be->flags = tb[KSVC_BE_A_FLAGS] ?
			    nla_get_u32(tb[KSVC_BE_A_FLAGS]) : 0;
		if (be->flags & ~__KSVC_BE_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KSVC_BE_A_FLAGS],
					    "Unknown backend flags");
			ret = -EOPNOTSUPP;
			goto err;
		}
		be->nla = m;
		i++;
	}
	*out = bes;
	*count = n;
	return 0;

err:
	kvfree(bes);
	return ret;
}

/* A CIDR list of at most @max; an empty one is NULL. */
static int parse_cidrs(struct nlattr *list, u32 max, struct ksvc_cidrs **out,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KSVC_CIDR_A_MAX + 1];
	struct ksvc_cidrs *cidrs;
	u32 n = members(list);
	struct nlattr *m;
	int rem, ret;

	*out = NULL;
	if (n > max) {
		NL_SET_ERR_MSG_ATTR(extack, list, "Too many CIDRs");
		return -E2BIG;
	}
	if (!n)
		return 0;
	cidrs = kzalloc(struct_size(cidrs, cidr, n), GFP_KERNEL_ACCOUNT);
	if (!cidrs) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return -ENOMEM;
	}
	nla_for_each_nested(m, list, rem) {
		struct ksvc_cidr *c = &cidrs->cidr[cidrs->count];
		union nf_inet_addr net;

		ret = parse_member(tb, KSVC_CIDR_A_MAX, m, cidr_policy, extack);
		if (ret)
			goto err;
		if (!tb[KSVC_CIDR_A_FAMILY] || !tb[KSVC_CIDR_A_ADDR] ||
		    !tb[KSVC_CIDR_A_PREFIXLEN]) {
			NL_SET_ERR_MSG_ATTR(extack, m,
					    "A CIDR needs a family, an address and a prefix length");
			ret = -EINVAL;
			goto err;
		}
		ret = parse_addr(tb[KSVC_CIDR_A_FAMILY], tb[KSVC_CIDR_A_ADDR],
				 true, &c->addr, &c->family, extack);
		if (ret)
			goto err;
		c->prefixlen = nla_get_u8(tb[KSVC_CIDR_A_PREFIXLEN]);
		if (c->family == AF_INET && c->prefixlen > 32) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KSVC_CIDR_A_PREFIXLEN],
					    "IPv4 prefix length above 32");
			ret = -ERANGE;
			goto err;
		}
		memset(&net, 0, sizeof(net));
		if (c->family == AF_INET)
			net.ip = c->addr.ip & inet_make_mask(c->prefixlen);
		else
			ipv6_addr_prefix(&net.in6, &c->addr.in6, c->prefixlen);
		if (memcmp(&net, &c->addr, sizeof(net))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KSVC_CIDR_A_ADDR],
					    "Host bits of the CIDR must be zero");
			ret = -EINVAL;
			goto err;
		}
		cidrs->count++;
	}
	*out = cidrs;
	return 0;

err:
	kfree(cidrs);
	return ret;
}

/* Service attributes into @spec; the lists are the caller's to free. */
struct svc_req {
	struct ksvc_svc_spec spec;
	struct ksvc_fe_spec *fes;
	struct ksvc_be_spec *bes;
};

/* After a successful request the service owns spec.ranges. */
static void svc_req_free(struct svc_req *req)
{
	kfree(req->fes);
	kvfree(req->bes);
	kfree(req->spec.ranges);
}

static int parse_svc(struct nlattr **attrs, struct svc_req *req,
		     struct netlink_ext_ack *extack)
{
	struct ksvc_svc_spec *spec = &req->spec;
	int ret;

	memset(req, 0, sizeof(*req));
	spec->name = nla_data(attrs[KSVC_A_SVC_NAME]);
	spec->name_nla = attrs[KSVC_A_SVC_NAME];
	if (attrs[KSVC_A_SVC_PROTO]) {
		spec->proto = nla_get_u8(attrs[KSVC_A_SVC_PROTO]);
		if (spec->proto != IPPROTO_TCP && spec->proto != IPPROTO_UDP &&
		    spec->proto != IPPROTO_SCTP) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[KSVC_A_SVC_PROTO],
					    "Protocol must be TCP, UDP or SCTP");
			return -EINVAL;
		}
		spec->has |= KSVC_SPEC_PROTO;
	}
	if (attrs[KSVC_A_SVC_PORT]) {
		spec->port = nla_get_u16(attrs[KSVC_A_SVC_PORT]);
		spec->has |= KSVC_SPEC_PORT;
	}
	if (attrs[KSVC_A_SVC_NODE_PORT]) {
		spec->node_port = nla_get_u16(attrs[KSVC_A_SVC_NODE_PORT]);
		spec->node_port_nla = attrs[KSVC_A_SVC_NODE_PORT];
		spec->has |= KSVC_SPEC_NODE_PORT;
	}
	if (attrs[KSVC_A_SVC_SCHED]) {
		spec->sched = nla_get_u8(attrs[KSVC_A_SVC_SCHED]);
		spec->has |= KSVC_SPEC_SCHED;
	}
	if (attrs[KSVC_A_SVC_FLAGS]) {
		spec->flags = nla_get_u32(attrs[KSVC_A_SVC_FLAGS]);
		if (spec->flags & ~__KSVC_SVC_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, attrs[KSVC_A_SVC_FLAGS],
					    "Unknown service flags");
			return -EOPNOTSUPP;
		}
		spec->has |= KSVC_SPEC_FLAGS;
	}
	if (attrs[KSVC_A_SVC_GENERATION]) {
		spec->generation = nla_get_u64(attrs[KSVC_A_SVC_GENERATION]);
		spec->has |= KSVC_SPEC_GENERATION;
	}
	if (attrs[KSVC_A_SVC_AFFINITY]) {
		spec->affinity = nla_get_u32(attrs[KSVC_A_SVC_AFFINITY]);
		spec->has |= KSVC_SPEC_AFFINITY;
	}
	if (attrs[KSVC_A_SVC_FRONTENDS]) {
		ret = parse_fes(attrs[KSVC_A_SVC_FRONTENDS], &req->fes,
				&spec->fe_count, extack);
		if (ret)
			return ret;
		spec->fes = req->fes;
		spec->has |= KSVC_SPEC_FRONTENDS;
	}
	if (attrs[KSVC_A_SVC_SOURCE_RANGES]) {
		ret = parse_cidrs(attrs[KSVC_A_SVC_SOURCE_RANGES],
				  KSVC_SOURCE_RANGES_MAX, &spec->ranges, extack);
		if (ret) {
			svc_req_free(req);
			return ret;
		}
		spec->has |= KSVC_SPEC_SOURCE_RANGES;
	}
	if (attrs[KSVC_A_SVC_BACKENDS]) {
		ret = parse_bes(attrs[KSVC_A_SVC_BACKENDS], &req->bes,
				&spec->be_count, extack);
		if (ret) {
			svc_req_free(req);
			return ret;
		}
		spec->bes = req->bes;
		spec->has |= KSVC_SPEC_BACKENDS;
	}
	return 0;
}

static struct ksvc_service *find_svc(struct ksvc_net *ns, struct nlattr **attrs,
				     struct netlink_ext_ack *extack)
{
	struct ksvc_service *svc;

	svc = ksvc_service_find(&ns->tab, nla_data(attrs[KSVC_A_SVC_NAME]));
	if (!svc)
		NL_SET_ERR_MSG_ATTR(extack, attrs[KSVC_A_SVC_NAME],
				    "No such service");
	return svc;
}

/* ---- replies ------------------------------------------------------------ */

static int put_addr(struct sk_buff *skb, int type, u8 family,
		    const union nf_inet_addr *addr)
{
	return nla_put(skb, type, family == AF_INET ? sizeof(struct in_addr) :
						      sizeof(struct in6_addr),
		       addr);
}

static int put_stats(struct sk_buff *skb, int type,
		     const struct ksvc_stats *stats, bool rejects)
{
	struct ksvc_stats_sum sum;
	struct nlattr *nest;

	ksvc_stats_fold(stats, &sum);
	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, KSVC_STATS_A_CONNS, sum.conns,
			      KSVC_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KSVC_STATS_A_PACKETS, sum.packets,
			      KSVC_STATS_A_PAD) ||
	    nla_put_u64_64bit(skb, KSVC_STATS_A_BYTES, sum.bytes,
			      KSVC_STATS_A_PAD) ||
	    (rejects && nla_put_u64_64bit(skb, KSVC_STATS_A_REJECTS,
					  sum.rejects, KSVC_STATS_A_PAD)) ||
	    (rejects && nla_put_u64_64bit(skb, KSVC_STATS_A_DROPS,
					  sum.drops, KSVC_STATS_A_PAD))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int put_fes(struct sk_buff *skb, const struct ksvc_service *svc)
{
	struct nlattr *list, *m;
	u32 i;

	list = nla_nest_start(skb, KSVC_A_SVC_FRONTENDS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < svc->fe_count; i++) {
		const struct ksvc_fe *fe = svc->fes[i];

		m = nla_nest_start(skb, 0);
		if (!m ||
		    nla_put_u8(skb, KSVC_FE_A_KIND, fe->kind) ||
		    nla_put_u16(skb, KSVC_FE_A_FAMILY, fe->key.family) ||
		    put_addr(skb, KSVC_FE_A_ADDR, fe->key.family, &fe->key.addr))
			goto err;
		nla_nest_end(skb, m);
	}
	nla_nest_end(skb, list);
	return 0;

err:
	nla_nest_cancel(skb, list);
	return -EMSGSIZE;
}

static int put_be(struct sk_buff *skb, const struct ksvc_backend *be)
{
	struct nlattr *m;

	m = nla_nest_start(skb, 0);
	if (!m)
		return -EMSGSIZE;
	if (nla_put_u16(skb, KSVC_BE_A_FAMILY, be->family) ||
	    put_addr(skb, KSVC_BE_A_ADDR, be->family, &be->addr) ||
	    nla_put_u16(skb, KSVC_BE_A_PORT, ntohs(be->port)) ||
	    nla_put_u32(skb, KSVC_BE_A_WEIGHT, be->weight) ||
	    nla_put_u32(skb, KSVC_BE_A_FLAGS, be->flags) ||
	    put_stats(skb, KSVC_BE_A_STATS, be->stats, false)) {
		nla_nest_cancel(skb, m);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, m);
	return 0;
}

static int put_cidrs(struct sk_buff *skb, int type,
		     const struct ksvc_cidrs *cidrs)
{
	struct nlattr *list, *m;
	u32 i;

	list = nla_nest_start(skb, type);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; cidrs && i < cidrs->count; i++) {
		const struct ksvc_cidr *c = &cidrs->cidr[i];

		m = nla_nest_start(skb, 0);
		if (!m ||
		    nla_put_u16(skb, KSVC_CIDR_A_FAMILY, c->family) ||
		    put_addr(skb, KSVC_CIDR_A_ADDR, c->family, &c->addr) ||
		    nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, c->prefixlen)) {
			nla_nest_cancel(skb, list);
			return -EMSGSIZE;
		}
		nla_nest_end(skb, m);
	}
	nla_nest_end(skb, list);
	return 0;
}

static int put_svc_attrs(struct sk_buff *skb, const struct ksvc_service *svc,
			 const struct ksvc_conf *conf)
{
	if (nla_put_u8(skb, KSVC_A_SVC_PROTO, svc->proto) ||
	    nla_put_u16(skb, KSVC_A_SVC_PORT, svc->port) ||
	    (svc->node_port &&
	     nla_put_u16(skb, KSVC_A_SVC_NODE_PORT, svc->node_port)) ||
	    nla_put_u8(skb, KSVC_A_SVC_SCHED, conf->sched) ||
	    nla_put_u32(skb, KSVC_A_SVC_FLAGS, conf->flags) ||
	    nla_put_u64_64bit(skb, KSVC_A_SVC_GENERATION, svc->generation,
			      KSVC_A_PAD) ||
	    put_fes(skb, svc) ||
	    nla_put_u32(skb, KSVC_A_SVC_AFFINITY, conf->affinity) ||
	    (conf->ranges &&
	     put_cidrs(skb, KSVC_A_SVC_SOURCE_RANGES, conf->ranges)) ||
	    nla_put_u32(skb, KSVC_A_SVC_BACKEND_COUNT, conf->set->count) ||
	    put_stats(skb, KSVC_A_SVC_STATS, svc->stats, true))
		return -EMSGSIZE;
	return 0;
}

/* ---- KSVC_CMD_SVC_NEW, _SET, _DEL --------------------------------------- */

/*
 * The conntrack cleanup a change needs (ksvc_nat_ct_flush()): now, before
 * the ack, or with KSVC_REQ_F_DEFER_CT at the next request without it,
 * which does it for every change before it; a second after the first
 * deferred one if none comes. Writers' lock held.
 */
static void ct_cleanup(struct ksvc_net *ns, struct genl_info *info, u32 flags)
{
	if (flags & KSVC_REQ_F_DEFER_CT) {
		if (ns->tab.ct_stale)
			queue_delayed_work(system_power_efficient_wq,
					   &ns->ct_work, HZ);
		return;
	}
	ksvc_nat_ct_flush(ns, info->snd_portid);
}

static int svc_new_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct svc_req req;
	u32 flags;
	int ret;

	ret = only_attrs(attrs, SVC_ATTRS | A(REQ_FLAGS), extack);
	if (!ret)
		ret = req_flags(attrs, KSVC_REQ_F_DEFER_CT, &flags, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_NAME, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_PROTO, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_PORT, extack);
	if (ret)
		return ret;
	if (!nla_len(attrs[KSVC_A_SVC_NAME]) ||
	    !*(char *)nla_data(attrs[KSVC_A_SVC_NAME])) {
		NL_SET_ERR_MSG_ATTR(extack, attrs[KSVC_A_SVC_NAME],
				    "Empty service name");
		return -EINVAL;
	}
	ret = parse_svc(attrs, &req, extack);
	if (ret)
		return ret;

	mutex_lock(&ns->lock);
	/* Hooked before the service exists, so no packet misses it. */
	ret = ksvc_net_hooks_get(ns, extack);
	if (!ret)
		ret = ksvc_service_add(&ns->tab, &req.spec, extack);
	if (!ret)
		req.spec.ranges = NULL;
	ct_cleanup(ns, info, flags);
	ksvc_net_hooks_sync(ns);
	mutex_unlock(&ns->lock);

	svc_req_free(&req);
	return ret;
}

static int svc_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct ksvc_service *svc;
	struct svc_req req;
	u32 flags;
	int ret;

	ret = only_attrs(attrs, SVC_ATTRS | A(REQ_FLAGS), extack);
	if (!ret)
		ret = req_flags(attrs, KSVC_REQ_F_DEFER_CT, &flags, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_NAME, extack);
	if (!ret)
		ret = parse_svc(attrs, &req, extack);
	if (ret)
		return ret;

	mutex_lock(&ns->lock);
	svc = find_svc(ns, attrs, extack);
	ret = svc ? ksvc_service_set(&ns->tab, svc, &req.spec, extack) : -ENOENT;
	if (!ret)
		req.spec.ranges = NULL;
	ct_cleanup(ns, info, flags);
	mutex_unlock(&ns->lock);

	svc_req_free(&req);
	return ret;
}

static int svc_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct ksvc_service *svc;
	u32 flags;
	int ret;

	ret = only_attrs(attrs, A(SVC_NAME) | A(REQ_FLAGS), extack);
	if (!ret)
		ret = req_flags(attrs, KSVC_REQ_F_DEFER_CT, &flags, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_NAME, extack);
	if (ret)
		return ret;

	mutex_lock(&ns->lock);
	svc = find_svc(ns, attrs, extack);
	if (svc) {
		ksvc_service_del(&ns->tab, svc);
		ct_cleanup(ns, info, flags);
		ksvc_net_hooks_sync(ns);
	}
	mutex_unlock(&ns->lock);
	return svc ? 0 : -ENOENT;
}

/* ---- KSVC_CMD_SVC_GET --------------------------------------------------- */

/*
 * The cursor of a dump. Services sit on a list in insertion order and the
 * cursor points at the one in progress, so a whole dump is O(N). The
 * pointer is only trusted while the table's generation is the one the
 * previous part saw: any change (a delete included) bumps it, and the dump
 * then stops with NLM_F_DUMP_INTR for the client to start over.
 */
struct dump_ctx {
	struct ksvc_service *svc;
	u32 be_next;			/* next backend of svc to send */
	bool started;
	bool svc_sent;			/* svc's first message went out */
	bool done;
	bool backends;			/* KSVC_REQ_F_BACKENDS */
};

static_assert(sizeof(struct dump_ctx) <=
	      sizeof_field(struct netlink_callback, ctx));

/*
 * The largest first message of a service, its backends aside: its
 * attributes go in one message, which must fit an empty dump part. Sized
 * as put_svc_attrs() fills it, every list at its limit and of IPv6
 * addresses: 5.6 KB, under the 8 KiB netlink asks clients to read with.
 */
static u32 svc_msg_max(void)
{
	const u32 addr = nla_total_size(sizeof(struct in6_addr));
	const u32 fe = nla_total_size(nla_total_size(sizeof(u8)) +
				      nla_total_size(sizeof(u16)) + addr);
	const u32 cidr = nla_total_size(nla_total_size(sizeof(u16)) + addr +
					nla_total_size(sizeof(u8)));

	return nlmsg_total_size(GENL_HDRLEN +
				nla_total_size(KSVC_NAME_MAX) +
				/* protocol, scheduler */
				2 * nla_total_size(sizeof(u8)) +
				/* port, node port */
				2 * nla_total_size(sizeof(u16)) +
				/* flags, affinity, backend count */
				3 * nla_total_size(sizeof(u32)) +
				nla_total_size_64bit(sizeof(u64)) +
				nla_total_size(KSVC_FRONTENDS_MAX * fe) +
				nla_total_size(KSVC_SOURCE_RANGES_MAX * cidr) +
				/* counters: 5 of them, with rejects and drops */
				nla_total_size(5 * nla_total_size_64bit(sizeof(u64))));
}

static int svc_get_start(struct netlink_callback *cb)
{
	struct ksvc_net *ns = ksvc_net_get(sock_net(cb->skb->sk));
	struct dump_ctx *ctx = (struct dump_ctx *)cb->ctx;
	struct nlattr **attrs = ksvc_dump_attrs(cb);
	struct ksvc_service *svc = NULL;
	u32 flags;
	int ret;

	/* cb->extack is NULL here on 6.1: the errno still reaches the ack. */
	ret = only_attrs(attrs, A(SVC_NAME) | A(REQ_FLAGS), cb->extack);
	if (!ret)
		ret = req_flags(attrs, KSVC_REQ_F_BACKENDS, &flags, cb->extack);
	if (ret)
		return ret;
	mutex_lock(&ns->lock);
	if (attrs[KSVC_A_SVC_NAME]) {
		svc = find_svc(ns, attrs, cb->extack);
		if (!svc) {
			mutex_unlock(&ns->lock);
			return -ENOENT;
		}
	}
	/* The live packets and bytes the dump's counters show: one walk. */
	ksvc_nat_ct_count(ns);
	mutex_unlock(&ns->lock);
	memset(ctx, 0, sizeof(*ctx));
	ctx->backends = flags & KSVC_REQ_F_BACKENDS;
	/*
	 * The core makes parts of NLMSG_GOODSIZE (3776 bytes on 4 KiB pages)
	 * for a socket that has not read yet, larger only after a larger
	 * read: a service with many frontends and source ranges would end
	 * such a dump with -EMSGSIZE. The worst case, not the largest
	 * service now: one may grow between this and the first part.
	 */
	cb->min_dump_alloc = svc_msg_max();
	return 0;
}

/*
 * One message of @svc: its attributes and as many backends from
 * ctx->be_next as fit, or (continuation) its name and the next backends.
 * Returns 1 when backends remain, 0 when the service is done, -EMSGSIZE
 * when nothing fit (the message is cancelled).
 */
static int fill_svc(struct sk_buff *skb, struct netlink_callback *cb,
		    struct ksvc_net *ns, struct dump_ctx *ctx)
{
	const struct ksvc_service *svc = ctx->svc;
	const struct ksvc_beset *set = ksvc_service_backends(&ns->tab, svc);
	bool fresh = !skb->len;
	struct nlattr *list;
	u32 i = ctx->be_next;
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &ksvc_family, NLM_F_MULTI, KSVC_CMD_SVC_GET);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (nla_put_string(skb, KSVC_A_SVC_NAME, svc->name) ||
	    (!ctx->svc_sent &&
	     put_svc_attrs(skb, svc, ksvc_service_conf(&ns->tab, svc))))
		goto cancel;

	if (ctx->backends && i < set->count) {
		list = nla_nest_start(skb, KSVC_A_SVC_BACKENDS);
		if (!list)
			goto full;
		for (; i < set->count; i++)
			if (put_be(skb, &set->be[i]))
				break;
		if (i == ctx->be_next)
			nla_nest_cancel(skb, list);
		else
			nla_nest_end(skb, list);
	}
full:
	/*
	 * A continuation without a backend would loop forever; a first
	 * message without one that wanted some goes whole to the next buffer,
	 * unless it has one to itself already.
	 */
	if (ctx->backends && i == ctx->be_next && i < set->count &&
	    (ctx->svc_sent || !fresh))
		goto cancel;
	genlmsg_end(skb, hdr);
	ctx->svc_sent = true;
	ctx->be_next = i;
	return ctx->backends && i < set->count;

cancel:
	genlmsg_cancel(skb, hdr);
	return -EMSGSIZE;
}

static int svc_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct ksvc_net *ns = ksvc_net_get(sock_net(cb->skb->sk));
	struct dump_ctx *ctx = (struct dump_ctx *)cb->ctx;
	struct nlattr **attrs = ksvc_dump_attrs(cb);
	struct nlattr *name = attrs[KSVC_A_SVC_NAME];
	int ret = 0;

	if (ctx->done)
		return 0;
	mutex_lock(&ns->lock);
	if (ctx->started && cb->seq != ns->tab.gen) {
		/* ctx->svc may be gone: end here, NLMSG_DONE says INTR. */
		cb->seq = ns->tab.gen;
		ctx->done = true;
		goto out;
	}
	cb->seq = ns->tab.gen;
	if (!ctx->started) {
		ctx->started = true;
		if (name)
			ctx->svc = ksvc_service_find(&ns->tab, nla_data(name));
		else
			ctx->svc = list_first_entry_or_null(&ns->tab.services,
							    struct ksvc_service,
							    list);
	}
	while (ctx->svc) {
		ret = fill_svc(skb, cb, ns, ctx);
		if (ret)
			break;
		ctx->svc_sent = false;
		ctx->be_next = 0;
		if (name || list_is_last(&ctx->svc->list, &ns->tab.services))
			ctx->svc = NULL;
		else
			ctx->svc = list_next_entry(ctx->svc, list);
	}
	if (!ctx->svc)
		ctx->done = true;
out:
	mutex_unlock(&ns->lock);
	/* Not even one message fits an empty buffer: give up, loudly. */
	if (ret == -EMSGSIZE && !skb->len)
		return -EMSGSIZE;
	return skb->len;
}

/* ---- KSVC_CMD_BE_REPLACE, _ADD, _DEL ------------------------------------ */

static int be_replace_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	struct ksvc_be_spec *bes = NULL;
	struct ksvc_service *svc;
	u32 flags, count = 0;
	int ret;

	ret = req_flags(attrs, KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE |
			KSVC_REQ_F_DEFER_CT, &flags, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_NAME, extack);
	if (ret)
		return ret;
	ret = only_attrs(attrs, ONE_BE_ATTRS | A(REQ_FLAGS), extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_BACKENDS, extack);
	if (!ret)
		ret = parse_bes(attrs[KSVC_A_SVC_BACKENDS], &bes, &count,
				extack);
	if (ret && !(flags & KSVC_REQ_F_CONTINUE))
		return ret;

	mutex_lock(&ns->lock);
	if (ret) {
		/* A refused continuation ends its request here too. */
		svc = ksvc_service_find(&ns->tab,
					nla_data(attrs[KSVC_A_SVC_NAME]));
		if (svc)
			ksvc_stage_drop(&ns->tab, svc, info->snd_portid);
		goto out;
	}
	svc = find_svc(ns, attrs, extack);
	if (!svc) {
		ret = -ENOENT;
		goto out;
	}
	ret = ksvc_backends_part(&ns->tab, svc, bes, count, flags,
				 info->snd_portid, attrs[KSVC_A_REQ_FLAGS],
				 extack);
	ct_cleanup(ns, info, flags);
out:
	mutex_unlock(&ns->lock);
	kvfree(bes);
	return ret;
}

static int one_be(struct genl_info *info, struct ksvc_be_spec **bes,
		  u32 *flags)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **attrs = info->attrs;
	u32 count;
	int ret;

	ret = only_attrs(attrs, ONE_BE_ATTRS | A(REQ_FLAGS), extack);
	if (!ret)
		ret = req_flags(attrs, KSVC_REQ_F_DEFER_CT, flags, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_NAME, extack);
	if (!ret)
		ret = need(attrs, KSVC_A_SVC_BACKENDS, extack);
	if (!ret)
		ret = parse_bes(attrs[KSVC_A_SVC_BACKENDS], bes, &count, extack);
	if (ret)
		return ret;
	if (count != 1) {
		kvfree(*bes);
		NL_SET_ERR_MSG_ATTR(extack, attrs[KSVC_A_SVC_BACKENDS],
				    "Exactly one backend expected");
		return -EINVAL;
	}
	return 0;
}

typedef int (*be_op_t)(struct ksvc_table *tab, struct ksvc_service *svc,
		       const struct ksvc_be_spec *be,
		       struct netlink_ext_ack *extack);

/* BE_ADD and BE_DEL: one backend in, one set swapped. */
static int be_one_doit(struct genl_info *info, be_op_t op)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct ksvc_service *svc;
	struct ksvc_be_spec *be;
	u32 flags;
	int ret;

	ret = one_be(info, &be, &flags);
	if (ret)
		return ret;
	mutex_lock(&ns->lock);
	svc = find_svc(ns, info->attrs, info->extack);
	ret = svc ? op(&ns->tab, svc, be, info->extack) : -ENOENT;
	ct_cleanup(ns, info, flags);
	mutex_unlock(&ns->lock);
	kvfree(be);
	return ret;
}

static int be_add_doit(struct sk_buff *skb, struct genl_info *info)
{
	return be_one_doit(info, ksvc_backend_add);
}

static int be_del_doit(struct sk_buff *skb, struct genl_info *info)
{
	return be_one_doit(info, ksvc_backend_del);
}

/* ---- KSVC_CMD_CT_CLEANUP ------------------------------------------------ */

static int ct_cleanup_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));

	mutex_lock(&ns->lock);
	ksvc_nat_ct_flush(ns, info->snd_portid);
	mutex_unlock(&ns->lock);
	return 0;
}

/* ---- KSVC_CMD_FLUSH ----------------------------------------------------- */

static int flush_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));

	mutex_lock(&ns->lock);
	ksvc_table_flush(&ns->tab);
	ksvc_nat_ct_flush(ns, info->snd_portid);
	ksvc_net_hooks_sync(ns);
	mutex_unlock(&ns->lock);
	return 0;
}

/* ---- KSVC_CMD_CFG_GET, _SET --------------------------------------------- */

static int cfg_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;
	int ret;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		NL_SET_ERR_MSG(info->extack, "Out of memory");
		return -ENOMEM;
	}
	hdr = genlmsg_put_reply(msg, info, &ksvc_family, 0, KSVC_CMD_CFG_GET);
	if (!hdr) {
		ret = -EMSGSIZE;
		goto err;
	}
	mutex_lock(&ns->lock);
	ksvc_nat_ct_count(ns);
	ret = put_cidrs(msg, KSVC_A_CFG_CLUSTER_CIDRS,
			rcu_dereference_protected(ns->cidrs,
						  lockdep_is_held(&ns->lock)));
	if (!ret)
		ret = put_cidrs(msg, KSVC_A_CFG_NODEPORT_CIDRS,
				rcu_dereference_protected(ns->np_cidrs,
							  lockdep_is_held(&ns->lock)));
	if (!ret &&
	    (nla_put_u8(msg, KSVC_A_CFG_MASQUERADE_ALL,
			READ_ONCE(ns->masquerade_all)) ||
	     nla_put_u8(msg, KSVC_A_CFG_NODEPORT_LOCALHOST,
			READ_ONCE(ns->nodeport_localhost)) ||
	     nla_put_u32(msg, KSVC_A_CFG_SERVICES, ns->tab.count) ||
	     nla_put_u8(msg, KSVC_A_CFG_HOOKED, ns->hooked) ||
	     nla_put_u32(msg, KSVC_A_CFG_AFFINITY_MAX,
			 READ_ONCE(ns->aff.max)) ||
	     nla_put_u32(msg, KSVC_A_CFG_AFFINITY_ENTRIES,
			 ksvc_affinity_count(&ns->aff)) ||
	     nla_put_u64_64bit(msg, KSVC_A_CFG_MEMORY,
			       ksvc_table_mem(&ns->tab), KSVC_A_PAD) ||
	     put_stats(msg, KSVC_A_STATS, ns->stats, true)))
		ret = -EMSGSIZE;
	mutex_unlock(&ns->lock);
	if (ret)
		goto err;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

err:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "Reply does not fit");
	return ret;
}

static int cfg_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct ksvc_net *ns = ksvc_net_get(genl_info_net(info));
	struct nlattr **attrs = info->attrs;
	struct ksvc_cidrs *cidrs = NULL, *np_cidrs = NULL;
	int ret;

	if (attrs[KSVC_A_CFG_CLUSTER_CIDRS]) {
		ret = parse_cidrs(attrs[KSVC_A_CFG_CLUSTER_CIDRS],
				  KSVC_CIDRS_MAX, &cidrs,
				  info->extack);
		if (ret)
			return ret;
	}
	if (attrs[KSVC_A_CFG_NODEPORT_CIDRS]) {
		ret = parse_cidrs(attrs[KSVC_A_CFG_NODEPORT_CIDRS],
				  KSVC_CIDRS_MAX, &np_cidrs,
				  info->extack);
		if (ret) {
			kfree(cidrs);
			return ret;
		}
	}
	mutex_lock(&ns->lock);
	if (attrs[KSVC_A_CFG_AFFINITY_MAX]) {
		ret = ksvc_affinity_max_check(ns->net, READ_ONCE(ns->aff.max),
					      nla_get_u32(attrs[KSVC_A_CFG_AFFINITY_MAX]),
					      info->extack);
		if (ret) {
			NL_SET_BAD_ATTR(info->extack,
					attrs[KSVC_A_CFG_AFFINITY_MAX]);
			mutex_unlock(&ns->lock);
			kfree(np_cidrs);
			kfree(cidrs);
			return ret;
		}
	}
	if (attrs[KSVC_A_CFG_CLUSTER_CIDRS])
		ksvc_net_cidrs_set(ns, cidrs);
	if (attrs[KSVC_A_CFG_NODEPORT_CIDRS])
		ksvc_net_np_cidrs_set(ns, np_cidrs);
	if (attrs[KSVC_A_CFG_MASQUERADE_ALL])
		WRITE_ONCE(ns->masquerade_all,
			   nla_get_u8(attrs[KSVC_A_CFG_MASQUERADE_ALL]));
	if (attrs[KSVC_A_CFG_NODEPORT_LOCALHOST])
		WRITE_ONCE(ns->nodeport_localhost,
			   nla_get_u8(attrs[KSVC_A_CFG_NODEPORT_LOCALHOST]));
	if (attrs[KSVC_A_CFG_AFFINITY_MAX])
		WRITE_ONCE(ns->aff.max,
			   nla_get_u32(attrs[KSVC_A_CFG_AFFINITY_MAX]));
	mutex_unlock(&ns->lock);
	return 0;
}

/* ---- the family --------------------------------------------------------- */

static const struct genl_ops ksvc_genl_ops[] = {
	{
		.cmd = KSVC_CMD_SVC_NEW,
		.doit = svc_new_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_SVC_SET,
		.doit = svc_set_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_SVC_DEL,
		.doit = svc_del_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_SVC_GET,
		.start = svc_get_start,
		.dumpit = svc_get_dumpit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_BE_REPLACE,
		.doit = be_replace_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_BE_ADD,
		.doit = be_add_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_BE_DEL,
		.doit = be_del_doit,
		.policy = svc_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* No policy: the core then refuses every attribute. */
		.cmd = KSVC_CMD_FLUSH,
		.doit = flush_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_CFG_GET,
		.doit = cfg_get_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = KSVC_CMD_CFG_SET,
		.doit = cfg_set_doit,
		.policy = cfg_policy,
		.maxattr = KSVC_A_MAX,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		/* No policy: the core then refuses every attribute. */
		.cmd = KSVC_CMD_CT_CLEANUP,
		.doit = ct_cleanup_doit,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

/*
 * parallel_ops: the namespace's mutex serialises what must be, so requests
 * of different namespaces do not queue on genl_mutex.
 */
static struct genl_family ksvc_family __ro_after_init = {
	.ops = ksvc_genl_ops,
	.n_ops = ARRAY_SIZE(ksvc_genl_ops),
	.name = KSVC_GENL_NAME,
	.version = KSVC_GENL_VERSION,
	.module = THIS_MODULE,
	.netnsok = true,
	.parallel_ops = true,
};

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
const struct genl_ops *ksvc_netlink_op(u8 cmd)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ksvc_genl_ops); i++)
		if (ksvc_genl_ops[i].cmd == cmd)
			return &ksvc_genl_ops[i];
	return NULL;
}
#endif

int __init ksvc_netlink_init(void)
{
	return genl_register_family(&ksvc_family);
}

void ksvc_netlink_uninit(void)
{
	genl_unregister_family(&ksvc_family);
}

MODULE_ALIAS_GENL_FAMILY(KSVC_GENL_NAME);
