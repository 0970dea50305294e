// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing what the kernel sends back: dumped services (and their
 * continuations), the configuration, the controller's family reply.
 * Attributes this version does not know are skipped (the protocol only
 * grows); known ones of the wrong size are -EPROTO.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ksvc_msg.h"

/* Exact sizes: libnl only checks the minimum on its own. */
#define U8	{ .type = NLA_U8, .maxlen = 1 }
#define U16	{ .type = NLA_U16, .maxlen = 2 }
#define U32	{ .type = NLA_U32, .maxlen = 4 }
#define U64	{ .type = NLA_U64, .maxlen = 8 }
#define NESTED	{ .type = NLA_NESTED }
/* Checked against the family beside it. */
#define ADDR	{ .minlen = 4, .maxlen = 16 }

static struct nla_policy svc_policy[KSVC_A_MAX + 1] = {
	[KSVC_A_SVC_NAME]		= { .type = NLA_STRING,
					    .maxlen = KSVC_NAME_MAX },
	[KSVC_A_SVC_PROTO]		= U8,
	[KSVC_A_SVC_PORT]		= U16,
	[KSVC_A_SVC_NODE_PORT]		= U16,
	[KSVC_A_SVC_SCHED]		= U8,
	[KSVC_A_SVC_FLAGS]		= U32,
	[KSVC_A_SVC_GENERATION]		= U64,
	[KSVC_A_SVC_FRONTENDS]		= NESTED,
	[KSVC_A_SVC_BACKENDS]		= NESTED,
	[KSVC_A_SVC_BACKEND_COUNT]	= U32,
	[KSVC_A_SVC_STATS]		= NESTED,
	[KSVC_A_CFG_CLUSTER_CIDRS]	= NESTED,
	[KSVC_A_CFG_NODEPORT_CIDRS]	= NESTED,
	[KSVC_A_CFG_MASQUERADE_ALL]	= U8,
	[KSVC_A_CFG_NODEPORT_LOCALHOST]	= U8,
	[KSVC_A_CFG_SERVICES]		= U32,
	[KSVC_A_CFG_HOOKED]		= U8,
	[KSVC_A_STATS]			= NESTED,
	[KSVC_A_SVC_AFFINITY]		= U32,
	[KSVC_A_CFG_AFFINITY_MAX]	= U32,
	[KSVC_A_CFG_AFFINITY_ENTRIES]	= U32,
	[KSVC_A_CFG_MEMORY]		= U64,
	[KSVC_A_SVC_SOURCE_RANGES]	= NESTED,
};

static struct nla_policy fe_policy[KSVC_FE_A_MAX + 1] = {
	[KSVC_FE_A_KIND]	= U8,
	[KSVC_FE_A_FAMILY]	= U16,
	[KSVC_FE_A_ADDR]	= ADDR,
};

static struct nla_policy be_policy[KSVC_BE_A_MAX + 1] = {
	[KSVC_BE_A_FAMILY]	= U16,
	[KSVC_BE_A_ADDR]	= ADDR,
	[KSVC_BE_A_PORT]	= U16,
	[KSVC_BE_A_WEIGHT]	= U32,
	[KSVC_BE_A_FLAGS]	= U32,
	[KSVC_BE_A_STATS]	= NESTED,
};

static struct nla_policy stats_policy[KSVC_STATS_A_MAX + 1] = {
	[KSVC_STATS_A_CONNS]	= U64,
	[KSVC_STATS_A_PACKETS]	= U64,
	[KSVC_STATS_A_BYTES]	= U64,
	[KSVC_STATS_A_REJECTS]	= U64,
	[KSVC_STATS_A_DROPS]	= U64,
};

static struct nla_policy cidr_policy[KSVC_CIDR_A_MAX + 1] = {
	[KSVC_CIDR_A_FAMILY]	= U16,
	[KSVC_CIDR_A_ADDR]	= ADDR,
	[KSVC_CIDR_A_PREFIXLEN]	= U8,
};

static struct nla_policy ctrl_policy[CTRL_ATTR_MAX + 1] = {
	[CTRL_ATTR_FAMILY_ID]	= U16,
	[CTRL_ATTR_FAMILY_NAME]	= { .type = NLA_STRING },
	[CTRL_ATTR_VERSION]	= U32,
};

static int parse_top(const struct nlmsghdr *nlh, struct nlattr **tb,
		     int maxtype, struct nla_policy *policy)
{
	struct nlmsghdr *h = (struct nlmsghdr *)nlh;

	if (!genlmsg_valid_hdr(h, 0) ||
	    genlmsg_parse(h, 0, tb, maxtype, policy) < 0)
		return -EPROTO;
	return 0;
}

static int parse_addr(const struct nlattr *fam, const struct nlattr *addr,
		      struct ksvc_addr *out)
{
	size_t len;

	if (!fam || !addr)
		return -EPROTO;
	out->family = nla_get_u16((struct nlattr *)fam);
	len = ksvc_addr_len(out->family);
	if (!len || (size_t)nla_len(addr) != len)
		return -EPROTO;
	memset(out->raw, 0, sizeof(out->raw));
	memcpy(out->raw, nla_data(addr), len);
	return 0;
}

static int parse_stats(struct nlattr *nest, struct ksvc_stats *st)
{
	struct nlattr *tb[KSVC_STATS_A_MAX + 1];

	if (nla_parse_nested(tb, KSVC_STATS_A_MAX, nest, stats_policy) < 0)
		return -EPROTO;
	if (tb[KSVC_STATS_A_CONNS])
		st->conns = nla_get_u64(tb[KSVC_STATS_A_CONNS]);
	if (tb[KSVC_STATS_A_PACKETS])
		st->packets = nla_get_u64(tb[KSVC_STATS_A_PACKETS]);
	if (tb[KSVC_STATS_A_BYTES])
		st->bytes = nla_get_u64(tb[KSVC_STATS_A_BYTES]);
	if (tb[KSVC_STATS_A_REJECTS])
		st->rejects = nla_get_u64(tb[KSVC_STATS_A_REJECTS]);
	if (tb[KSVC_STATS_A_DROPS])
		st->drops = nla_get_u64(tb[KSVC_STATS_A_DROPS]);
	return 0;
}

static int parse_cidrs(struct nlattr *list, struct ksvc_cidr *out,
		       size_t *n, size_t max);

static int parse_frontends(struct nlattr *list, struct ksvc_service *svc)
{
	struct nlattr *tb[KSVC_FE_A_MAX + 1], *m;
	struct ksvc_frontend fe;
	int rem, ret;

	nla_for_each_nested(m, list, rem) {
		memset(&fe, 0, sizeof(fe));
		if (nla_parse_nested(tb, KSVC_FE_A_MAX, m, fe_policy) < 0 ||
		    !tb[KSVC_FE_A_KIND])
			return -EPROTO;
		fe.kind = nla_get_u8(tb[KSVC_FE_A_KIND]);
		ret = parse_addr(tb[KSVC_FE_A_FAMILY], tb[KSVC_FE_A_ADDR],
				 &fe.addr);
		if (!ret)
			ret = ksvc_service_add_frontend(svc, &fe);
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_backends(struct nlattr *list, struct ksvc_service *svc)
{
	struct nlattr *tb[KSVC_BE_A_MAX + 1], *m;
	struct ksvc_backend be;
	int rem, ret;

	nla_for_each_nested(m, list, rem) {
		ksvc_backend_init(&be);
		if (nla_parse_nested(tb, KSVC_BE_A_MAX, m, be_policy) < 0 ||
		    !tb[KSVC_BE_A_PORT])
			return -EPROTO;
		ret = parse_addr(tb[KSVC_BE_A_FAMILY], tb[KSVC_BE_A_ADDR],
				 &be.addr);
		if (ret)
			return ret;
		be.port = nla_get_u16(tb[KSVC_BE_A_PORT]);
		if (tb[KSVC_BE_A_WEIGHT])
			be.weight = nla_get_u32(tb[KSVC_BE_A_WEIGHT]);
		if (tb[KSVC_BE_A_FLAGS])
			be.flags = nla_get_u32(tb[KSVC_BE_A_FLAGS]);
		if (tb[KSVC_BE_A_STATS]) {
			ret = parse_stats(tb[KSVC_BE_A_STATS], &be.stats);
			if (ret)
				return ret;
		}
		ret = ksvc_service_add_backend(svc, &be);
		if (ret)
			return ret;
	}
	return 0;
}

int ksvc_parse_service(const struct nlmsghdr *nlh, struct ksvc_service *svc)
{
	struct nlattr *tb[KSVC_A_MAX + 1];
	int ret;

	ret = parse_top(nlh, tb, KSVC_A_MAX, svc_policy);
	if (ret)
		return ret;
	if (!tb[KSVC_A_SVC_NAME] ||
	    ksvc_service_set_name(svc, nla_get_string(tb[KSVC_A_SVC_NAME])))
		return -EPROTO;
	if (tb[KSVC_A_SVC_PROTO]) {
		svc->proto = nla_get_u8(tb[KSVC_A_SVC_PROTO]);
		svc->has |= KSVC_SVC_HAS_PROTO;
	}
	if (tb[KSVC_A_SVC_PORT]) {
		svc->port = nla_get_u16(tb[KSVC_A_SVC_PORT]);
		svc->has |= KSVC_SVC_HAS_PORT;
	}
	if (tb[KSVC_A_SVC_NODE_PORT]) {
		svc->node_port = nla_get_u16(tb[KSVC_A_SVC_NODE_PORT]);
		svc->has |= KSVC_SVC_HAS_NODE_PORT;
	}
	if (tb[KSVC_A_SVC_SCHED]) {
		svc->sched = nla_get_u8(tb[KSVC_A_SVC_SCHED]);
		svc->has |= KSVC_SVC_HAS_SCHED;
	}
	if (tb[KSVC_A_SVC_FLAGS]) {
		svc->flags = nla_get_u32(tb[KSVC_A_SVC_FLAGS]);
		svc->has |= KSVC_SVC_HAS_FLAGS;
	}
	if (tb[KSVC_A_SVC_GENERATION]) {
		svc->generation = nla_get_u64(tb[KSVC_A_SVC_GENERATION]);
		svc->has |= KSVC_SVC_HAS_GENERATION;
	}
	if (tb[KSVC_A_SVC_AFFINITY]) {
		svc->affinity = nla_get_u32(tb[KSVC_A_SVC_AFFINITY]);
		svc->has |= KSVC_SVC_HAS_AFFINITY;
	}
	if (tb[KSVC_A_SVC_SOURCE_RANGES]) {
		struct ksvc_cidr r[KSVC_SOURCE_RANGES_MAX];
		size_t i, n;

		ret = parse_cidrs(tb[KSVC_A_SVC_SOURCE_RANGES], r, &n,
				  KSVC_SOURCE_RANGES_MAX);
		for (i = 0; !ret && i < n; i++)
			ret = ksvc_service_add_source_range(svc, &r[i]);
		if (ret)
			return ret;
		svc->has |= KSVC_SVC_HAS_SOURCE_RANGES;
	}
	if (tb[KSVC_A_SVC_BACKEND_COUNT]) {
		svc->backend_count = nla_get_u32(tb[KSVC_A_SVC_BACKEND_COUNT]);
		svc->has |= KSVC_SVC_HAS_BACKEND_COUNT;
	}
	if (tb[KSVC_A_SVC_STATS]) {
		ret = parse_stats(tb[KSVC_A_SVC_STATS], &svc->stats);
		if (ret)
			return ret;
		svc->has |= KSVC_SVC_HAS_STATS;
	}
	if (tb[KSVC_A_SVC_FRONTENDS]) {
		ret = parse_frontends(tb[KSVC_A_SVC_FRONTENDS], svc);
		if (ret)
			return ret;
		svc->has |= KSVC_SVC_HAS_FRONTENDS;
	}
	if (tb[KSVC_A_SVC_BACKENDS]) {
		ret = parse_backends(tb[KSVC_A_SVC_BACKENDS], svc);
		if (ret)
			return ret;
		svc->has |= KSVC_SVC_HAS_BACKENDS;
	}
	return 0;
}

int ksvc_dump_add(struct ksvc_service_list *list, const struct nlmsghdr *nlh)
{
	struct ksvc_service part, *last, *svc;
	int ret;

	ksvc_service_init(&part);
	ret = ksvc_parse_service(nlh, &part);
	if (ret)
		goto out;

	/* Names are unique, so the same name again is a continuation. */
	last = list->n ? &list->svcs[list->n - 1] : NULL;
	if (last && !strcmp(last->name, part.name)) {
		ret = ksvc_service_add_backends(last, part.backends,
						part.nbackends);
		last->has |= part.has & KSVC_SVC_HAS_BACKENDS;
		goto out;
	}

	svc = ksvc_service_list_push(list);
	if (!svc) {
		ret = -ENOMEM;
		goto out;
	}
	*svc = part;		/* the list takes the arrays */
	return 0;
out:
	ksvc_service_release(&part);
	return ret;
}

static int parse_cidrs(struct nlattr *list, struct ksvc_cidr *out,
		       size_t *n, size_t max)
{
	struct nlattr *tb[KSVC_CIDR_A_MAX + 1], *m;
	struct ksvc_cidr *c;
	int rem, ret;

	*n = 0;
	nla_for_each_nested(m, list, rem) {
		if (*n == max)
			return -EPROTO;
		c = &out[*n];
		if (nla_parse_nested(tb, KSVC_CIDR_A_MAX, m, cidr_policy) < 0 ||
		    !tb[KSVC_CIDR_A_PREFIXLEN])
			return -EPROTO;
		ret = parse_addr(tb[KSVC_CIDR_A_FAMILY], tb[KSVC_CIDR_A_ADDR],
				 &c->addr);
		if (ret)
			return ret;
		c->prefixlen = nla_get_u8(tb[KSVC_CIDR_A_PREFIXLEN]);
		if (c->prefixlen > 8 * ksvc_addr_len(c->addr.family))
			return -EPROTO;
		(*n)++;
	}
	return 0;
}

int ksvc_parse_config(const struct nlmsghdr *nlh, struct ksvc_config *cfg)
{
	struct nlattr *tb[KSVC_A_MAX + 1];
	int ret;

	ret = parse_top(nlh, tb, KSVC_A_MAX, svc_policy);
	if (ret)
		return ret;
	if (tb[KSVC_A_CFG_CLUSTER_CIDRS]) {
		ret = parse_cidrs(tb[KSVC_A_CFG_CLUSTER_CIDRS],
				  cfg->cluster_cidrs, &cfg->ncluster_cidrs,
				  KSVC_CIDRS_MAX);
		if (ret)
			return ret;
		cfg->has |= KSVC_CFG_HAS_CLUSTER_CIDRS;
	}
	if (tb[KSVC_A_CFG_NODEPORT_CIDRS]) {
		ret = parse_cidrs(tb[KSVC_A_CFG_NODEPORT_CIDRS],
				  cfg->nodeport_cidrs, &cfg->nnodeport_cidrs,
				  KSVC_CIDRS_MAX);
		if (ret)
			return ret;
		cfg->has |= KSVC_CFG_HAS_NODEPORT_CIDRS;
	}
	if (tb[KSVC_A_CFG_MASQUERADE_ALL]) {
		cfg->masquerade_all = nla_get_u8(tb[KSVC_A_CFG_MASQUERADE_ALL]);
		cfg->has |= KSVC_CFG_HAS_MASQUERADE_ALL;
	}
	if (tb[KSVC_A_CFG_NODEPORT_LOCALHOST]) {
		cfg->nodeport_localhost =
			nla_get_u8(tb[KSVC_A_CFG_NODEPORT_LOCALHOST]);
		cfg->has |= KSVC_CFG_HAS_NODEPORT_LOCALHOST;
	}
	if (tb[KSVC_A_CFG_SERVICES]) {
		cfg->services = nla_get_u32(tb[KSVC_A_CFG_SERVICES]);
		cfg->has |= KSVC_CFG_HAS_SERVICES;
	}
	if (tb[KSVC_A_CFG_HOOKED]) {
		cfg->hooked = nla_get_u8(tb[KSVC_A_CFG_HOOKED]);
		cfg->has |= KSVC_CFG_HAS_HOOKED;
	}
	if (tb[KSVC_A_STATS]) {
		ret = parse_stats(tb[KSVC_A_STATS], &cfg->stats);
		if (ret)
			return ret;
		cfg->has |= KSVC_CFG_HAS_STATS;
	}
	if (tb[KSVC_A_CFG_AFFINITY_MAX]) {
		cfg->affinity_max = nla_get_u32(tb[KSVC_A_CFG_AFFINITY_MAX]);
		cfg->has |= KSVC_CFG_HAS_AFFINITY_MAX;
	}
	if (tb[KSVC_A_CFG_AFFINITY_ENTRIES]) {
		cfg->affinity_entries =
			nla_get_u32(tb[KSVC_A_CFG_AFFINITY_ENTRIES]);
		cfg->has |= KSVC_CFG_HAS_AFFINITY_ENTRIES;
	}
	if (tb[KSVC_A_CFG_MEMORY]) {
		cfg->memory = nla_get_u64(tb[KSVC_A_CFG_MEMORY]);
		cfg->has |= KSVC_CFG_HAS_MEMORY;
	}
	return 0;
}

int ksvc_parse_ctrl_family(const struct nlmsghdr *nlh, const char *name,
			   uint16_t *id, uint32_t *version)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	int ret;

	ret = parse_top(nlh, tb, CTRL_ATTR_MAX, ctrl_policy);
	if (ret)
		return ret;
	if (!tb[CTRL_ATTR_FAMILY_ID] || !tb[CTRL_ATTR_FAMILY_NAME] ||
	    strcmp(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]), name))
		return -EPROTO;
	*id = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	*version = tb[CTRL_ATTR_VERSION] ?
		   nla_get_u32(tb[CTRL_ATTR_VERSION]) : 0;
	return 0;
}
