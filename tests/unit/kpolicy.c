// SPDX-License-Identifier: GPL-2.0
/*
 * Strict request validation as kservice.ko does it; see kpolicy.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/genetlink.h>

#include "kpolicy.h"

#define U(t)		{ .type = (t) }
#define RANGE(t, lo, hi) { .type = (t), .range = true, .min = (lo), .max = (hi) }
#define NEST(t, p, m)	{ .type = (t), .nested = (p), .nested_max = (m) }

static const struct kp_policy stats_policy[KSVC_STATS_A_MAX + 1] = {
	[KSVC_STATS_A_CONNS]	= U(KP_U64),
	[KSVC_STATS_A_PACKETS]	= U(KP_U64),
	[KSVC_STATS_A_BYTES]	= U(KP_U64),
	[KSVC_STATS_A_REJECTS]	= U(KP_U64),
	[KSVC_STATS_A_PAD]	= U(KP_NONE),
	[KSVC_STATS_A_DROPS]	= U(KP_U64),
};

static const struct kp_policy fe_policy[KSVC_FE_A_MAX + 1] = {
	[KSVC_FE_A_KIND]	= RANGE(KP_U8, 1, KSVC_FE_KIND_MAX),
	[KSVC_FE_A_FAMILY]	= U(KP_U16),
	[KSVC_FE_A_ADDR]	= RANGE(KP_BINARY, 4, 16),
};

static const struct kp_policy be_policy[KSVC_BE_A_MAX + 1] = {
	[KSVC_BE_A_FAMILY]	= U(KP_U16),
	[KSVC_BE_A_ADDR]	= RANGE(KP_BINARY, 4, 16),
	[KSVC_BE_A_PORT]	= RANGE(KP_U16, 1, 65535),
	[KSVC_BE_A_WEIGHT]	= RANGE(KP_U32, 0, KSVC_WEIGHT_MAX),
	[KSVC_BE_A_FLAGS]	= U(KP_U32),
	/* KSVC_BE_A_STATS and _PAD are output only: refused. */
};

static const struct kp_policy cidr_policy[KSVC_CIDR_A_MAX + 1] = {
	[KSVC_CIDR_A_FAMILY]	= U(KP_U16),
	[KSVC_CIDR_A_ADDR]	= RANGE(KP_BINARY, 4, 16),
	[KSVC_CIDR_A_PREFIXLEN]	= RANGE(KP_U8, 0, 128),
};

const struct kp_policy kp_top_policy[KSVC_A_MAX + 1] = {
	[KSVC_A_SVC_NAME]	= RANGE(KP_NUL_STRING, 0, KSVC_NAME_MAX - 1),
	[KSVC_A_SVC_PROTO]	= U(KP_U8),
	[KSVC_A_SVC_PORT]	= RANGE(KP_U16, 1, 65535),
	[KSVC_A_SVC_NODE_PORT]	= U(KP_U16),
	[KSVC_A_SVC_SCHED]	= RANGE(KP_U8, 0, KSVC_SCHED_MAX),
	[KSVC_A_SVC_FLAGS]	= U(KP_U32),
	[KSVC_A_SVC_GENERATION]	= U(KP_U64),
	[KSVC_A_SVC_FRONTENDS]	= NEST(KP_NESTED_ARRAY, fe_policy, KSVC_FE_A_MAX),
	[KSVC_A_SVC_BACKENDS]	= NEST(KP_NESTED_ARRAY, be_policy, KSVC_BE_A_MAX),
	[KSVC_A_SVC_BACKEND_COUNT] = U(KP_U32),
	[KSVC_A_SVC_STATS]	= NEST(KP_NESTED, stats_policy, KSVC_STATS_A_MAX),
	[KSVC_A_REQ_FLAGS]	= U(KP_U32),
	[KSVC_A_CFG_CLUSTER_CIDRS] = NEST(KP_NESTED_ARRAY, cidr_policy,
					  KSVC_CIDR_A_MAX),
	[KSVC_A_CFG_MASQUERADE_ALL] = RANGE(KP_U8, 0, 1),
	[KSVC_A_CFG_NODEPORT_LOCALHOST] = RANGE(KP_U8, 0, 1),
	[KSVC_A_CFG_SERVICES]	= U(KP_U32),
	[KSVC_A_CFG_HOOKED]	= U(KP_U8),
	[KSVC_A_STATS]		= NEST(KP_NESTED, stats_policy, KSVC_STATS_A_MAX),
	[KSVC_A_PAD]		= U(KP_NONE),
	[KSVC_A_SVC_AFFINITY]	= RANGE(KP_U32, 0, KSVC_AFFINITY_TIMEOUT_MAX),
	[KSVC_A_CFG_NODEPORT_CIDRS] = NEST(KP_NESTED_ARRAY, cidr_policy,
					   KSVC_CIDR_A_MAX),
	[KSVC_A_CFG_AFFINITY_MAX] = RANGE(KP_U32, 0, 0x7fffffff),
	[KSVC_A_CFG_AFFINITY_ENTRIES] = U(KP_U32),
	[KSVC_A_SVC_SOURCE_RANGES] = NEST(KP_NESTED_ARRAY, cidr_policy,
					  KSVC_CIDR_A_MAX),
};

static int fail(char *why, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, KP_WHY_MAX, fmt, ap);
	va_end(ap);
	return err;
}

static uint64_t get_uint(const struct nlattr *a, enum kp_type t)
{
	const void *d = (const char *)a + NLA_HDRLEN;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (t) {
	case KP_U8:
		memcpy(&u8, d, 1);
		return u8;
	case KP_U16:
		memcpy(&u16, d, 2);
		return u16;
	case KP_U32:
		memcpy(&u32, d, 4);
		return u32;
	default:
		memcpy(&u64, d, 8);
		return u64;
	}
}

static int parse(const struct nlattr **tb, int maxtype, const void *head,
		 int len, const struct kp_policy *policy, char *why);

static int validate(const struct nlattr *a, const struct kp_policy *pt,
		    int type, char *why)
{
	static const int size[] = { [KP_U8] = 1, [KP_U16] = 2, [KP_U32] = 4,
				    [KP_U64] = 8 };
	int len = a->nla_len - NLA_HDRLEN;
	bool nested = a->nla_type & NLA_F_NESTED;
	const struct nlattr *m;
	const struct nlattr *sub[64];
	const char *s;
	uint64_t v;
	int rem, ret;

	if (nested != (pt->type == KP_NESTED || pt->type == KP_NESTED_ARRAY))
		return fail(why, -EINVAL, "attribute %d: NLA_F_NESTED %s",
			    type, nested ? "not expected" : "is missing");
	switch (pt->type) {
	case KP_NONE:
		return fail(why, -EINVAL, "attribute %d: not accepted", type);
	case KP_U8:
	case KP_U16:
	case KP_U32:
	case KP_U64:
		if (len != size[pt->type])
			return fail(why, -EINVAL, "attribute %d: invalid length %d",
				    type, len);
		v = get_uint(a, pt->type);
		if (pt->range && (v < pt->min || v > pt->max))
			return fail(why, -ERANGE, "attribute %d: %llu out of range",
				    type, (unsigned long long)v);
		return 0;
	case KP_NUL_STRING:
		/* As 6.1: a NUL within the first max + 1 bytes (so a string
		 * too long is -EINVAL), then at most max bytes besides a
		 * final NUL. */
		s = (const char *)a + NLA_HDRLEN;
		if (len < 1 || !memchr(s, '\0', (uint64_t)len <= pt->max ?
				       (size_t)len : (size_t)pt->max + 1))
			return fail(why, -EINVAL, "attribute %d: not NUL-terminated",
				    type);
		if ((uint64_t)(len - !s[len - 1]) > pt->max)
			return fail(why, -ERANGE, "attribute %d: string too long",
				    type);
		return 0;
	case KP_BINARY:
		if ((uint64_t)len > pt->max)
			return fail(why, -ERANGE, "attribute %d: too long", type);
		if (pt->range && (uint64_t)len < pt->min)
			return fail(why, -ERANGE, "attribute %d: too short", type);
		return 0;
	case KP_NESTED:
		return parse(sub, pt->nested_max, (const char *)a + NLA_HDRLEN,
			     len, pt->nested, why);
	case KP_NESTED_ARRAY:
		for (m = (const void *)((const char *)a + NLA_HDRLEN), rem = len;
		     rem >= NLA_HDRLEN && m->nla_len >= NLA_HDRLEN &&
		     m->nla_len <= rem;
		     rem -= NLA_ALIGN(m->nla_len),
		     m = (const void *)((const char *)m + NLA_ALIGN(m->nla_len))) {
			if (!(m->nla_type & NLA_F_NESTED))
				return fail(why, -EINVAL, "attribute %d: member without NLA_F_NESTED",
					    type);
			ret = parse(sub, pt->nested_max,
				    (const char *)m + NLA_HDRLEN,
				    m->nla_len - NLA_HDRLEN, pt->nested, why);
			if (ret)
				return ret;
		}
		if (rem)
			return fail(why, -EINVAL, "attribute %d: %d bytes left over",
				    type, rem);
		return 0;
	}
	return -EINVAL;
}

/* nla_parse() with NL_VALIDATE_STRICT. */
static int parse(const struct nlattr **tb, int maxtype, const void *head,
		 int len, const struct kp_policy *policy, char *why)
{
	const struct nlattr *a = head;
	int rem = len, type, ret;

	memset(tb, 0, sizeof(*tb) * (size_t)(maxtype + 1));
	while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= rem) {
		type = a->nla_type & NLA_TYPE_MASK;
		if (type == 0 || type > maxtype)
			return fail(why, -EINVAL, "unknown attribute type %d", type);
		ret = validate(a, &policy[type], type, why);
		if (ret)
			return ret;
		tb[type] = a;
		rem -= NLA_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len));
	}
	if (rem)
		return fail(why, -EINVAL, "%d bytes leftover after parsing attributes",
			    rem);
	return 0;
}

#define for_each_member(m, list, rem)					\
	for (m = (const void *)((const char *)(list) + NLA_HDRLEN),	\
	     rem = (list)->nla_len - NLA_HDRLEN;			\
	     rem >= NLA_HDRLEN && m->nla_len >= NLA_HDRLEN &&		\
	     m->nla_len <= rem;						\
	     rem -= NLA_ALIGN(m->nla_len),				\
	     m = (const void *)((const char *)m + NLA_ALIGN(m->nla_len)))

static const void *data(const struct nlattr *a)
{
	return (const char *)a + NLA_HDRLEN;
}

static int addr(const struct nlattr *fam, const struct nlattr *a,
		struct ksvc_addr *out, char *why)
{
	int len;

	if (!fam || !a)
		return fail(why, -EINVAL, "missing family or address");
	memset(out, 0, sizeof(*out));
	memcpy(&out->family, data(fam), 2);
	len = a->nla_len - NLA_HDRLEN;
	if ((out->family != AF_INET && out->family != AF_INET6) ||
	    len != (out->family == AF_INET ? 4 : 16))
		return fail(why, -EINVAL, "address does not match family %u",
			    out->family);
	memcpy(out->raw, data(a), (size_t)len);
	return 0;
}

size_t kp_count(const struct nlattr *list)
{
	const struct nlattr *m;
	size_t n = 0;
	int rem;

	for_each_member(m, list, rem)
		n++;
	return n;
}

/* What the handlers check in each list member, beyond the policy. */
static int check_frontends(const struct nlattr *list, char *why)
{
	const struct nlattr *tb[KSVC_FE_A_MAX + 1], *m;
	struct ksvc_addr a;
	int rem, ret;

	if (kp_count(list) > KSVC_FRONTENDS_MAX)
		return fail(why, -E2BIG, "too many frontends");
	for_each_member(m, list, rem) {
		parse(tb, KSVC_FE_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      fe_policy, why);
		if (!tb[KSVC_FE_A_KIND])
			return fail(why, -EINVAL, "frontend without kind");
		ret = addr(tb[KSVC_FE_A_FAMILY], tb[KSVC_FE_A_ADDR], &a, why);
		if (ret)
			return ret;
	}
	return 0;
}

static int check_backends(const struct nlattr *list, char *why)
{
	const struct nlattr *tb[KSVC_BE_A_MAX + 1], *m;
	struct ksvc_addr a;
	uint32_t flags;
	int rem, ret;

	for_each_member(m, list, rem) {
		parse(tb, KSVC_BE_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      be_policy, why);
		ret = addr(tb[KSVC_BE_A_FAMILY], tb[KSVC_BE_A_ADDR], &a, why);
		if (ret)
			return ret;
		if (!tb[KSVC_BE_A_PORT])
			return fail(why, -EINVAL, "backend without port");
		if (tb[KSVC_BE_A_FLAGS]) {
			memcpy(&flags, data(tb[KSVC_BE_A_FLAGS]), 4);
			if (flags & ~(uint32_t)__KSVC_BE_F_ALL)
				return fail(why, -EOPNOTSUPP, "backend flags");
		}
	}
	return 0;
}

/* As the module's parse_cidrs(): at most max, family, address and prefix
 * length each, host bits zero. */
static int check_cidrs(const struct nlattr *list, size_t max, char *why)
{
	const struct nlattr *tb[KSVC_CIDR_A_MAX + 1], *m;
	struct ksvc_addr a;
	uint8_t plen;
	size_t i;
	int rem, ret;

	if (kp_count(list) > max)
		return fail(why, -E2BIG, "too many CIDRs");
	for_each_member(m, list, rem) {
		parse(tb, KSVC_CIDR_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      cidr_policy, why);
		ret = addr(tb[KSVC_CIDR_A_FAMILY], tb[KSVC_CIDR_A_ADDR], &a, why);
		if (ret)
			return ret;
		if (!tb[KSVC_CIDR_A_PREFIXLEN])
			return fail(why, -EINVAL, "CIDR without prefix length");
		plen = *(const uint8_t *)data(tb[KSVC_CIDR_A_PREFIXLEN]);
		if (plen > (a.family == AF_INET ? 32 : 128))
			return fail(why, -ERANGE, "prefix length");
		for (i = plen; i < (a.family == AF_INET ? 32u : 128u); i++)
			if (a.raw[i / 8] & (0x80 >> (i % 8)))
				return fail(why, -EINVAL, "host bits set");
	}
	return 0;
}

/* Attributes each command takes: anything else is a client bug. */
static const uint64_t allowed[__KSVC_CMD_MAX] = {
#define A(x) (1ULL << KSVC_A_##x)
	[KSVC_CMD_SVC_NEW] = A(SVC_NAME) | A(SVC_PROTO) | A(SVC_PORT) |
			     A(SVC_FRONTENDS) | A(SVC_NODE_PORT) |
			     A(SVC_SCHED) | A(SVC_FLAGS) | A(SVC_GENERATION) |
			     A(SVC_BACKENDS) | A(SVC_AFFINITY) |
			     A(SVC_SOURCE_RANGES) | A(REQ_FLAGS),
	[KSVC_CMD_SVC_SET] = A(SVC_NAME) | A(SVC_PROTO) | A(SVC_PORT) |
			     A(SVC_FRONTENDS) | A(SVC_NODE_PORT) |
			     A(SVC_SCHED) | A(SVC_FLAGS) | A(SVC_GENERATION) |
			     A(SVC_BACKENDS) | A(SVC_AFFINITY) |
			     A(SVC_SOURCE_RANGES) | A(REQ_FLAGS),
	[KSVC_CMD_SVC_DEL] = A(SVC_NAME) | A(REQ_FLAGS),
	[KSVC_CMD_SVC_GET] = A(SVC_NAME) | A(REQ_FLAGS),
	[KSVC_CMD_BE_REPLACE] = A(SVC_NAME) | A(SVC_BACKENDS) | A(REQ_FLAGS),
	[KSVC_CMD_BE_ADD] = A(SVC_NAME) | A(SVC_BACKENDS) | A(REQ_FLAGS),
	[KSVC_CMD_BE_DEL] = A(SVC_NAME) | A(SVC_BACKENDS) | A(REQ_FLAGS),
	[KSVC_CMD_FLUSH] = 0,
	[KSVC_CMD_CFG_GET] = 0,
	[KSVC_CMD_CT_CLEANUP] = 0,
	[KSVC_CMD_CFG_SET] = A(CFG_CLUSTER_CIDRS) | A(CFG_MASQUERADE_ALL) |
			     A(CFG_NODEPORT_LOCALHOST) | A(CFG_AFFINITY_MAX) |
			     A(CFG_NODEPORT_CIDRS),
};

/* KSVC_A_REQ_FLAGS each command takes: BACKENDS for a dump, the parts of
 * BE_REPLACE, DEFER_CT for every change. */
static const uint32_t req_flags[__KSVC_CMD_MAX] = {
	[KSVC_CMD_SVC_NEW] = KSVC_REQ_F_DEFER_CT,
	[KSVC_CMD_SVC_SET] = KSVC_REQ_F_DEFER_CT,
	[KSVC_CMD_SVC_DEL] = KSVC_REQ_F_DEFER_CT,
	[KSVC_CMD_SVC_GET] = KSVC_REQ_F_BACKENDS,
	[KSVC_CMD_BE_REPLACE] = KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE |
				KSVC_REQ_F_DEFER_CT,
	[KSVC_CMD_BE_ADD] = KSVC_REQ_F_DEFER_CT,
	[KSVC_CMD_BE_DEL] = KSVC_REQ_F_DEFER_CT,
};

static const uint64_t required[__KSVC_CMD_MAX] = {
	[KSVC_CMD_SVC_NEW] = A(SVC_NAME) | A(SVC_PROTO) | A(SVC_PORT),
	[KSVC_CMD_SVC_SET] = A(SVC_NAME),
	[KSVC_CMD_SVC_DEL] = A(SVC_NAME),
	[KSVC_CMD_BE_REPLACE] = A(SVC_NAME) | A(SVC_BACKENDS),
	[KSVC_CMD_BE_ADD] = A(SVC_NAME) | A(SVC_BACKENDS),
	[KSVC_CMD_BE_DEL] = A(SVC_NAME) | A(SVC_BACKENDS),
#undef A
};

uint64_t kp_allowed(uint8_t cmd)
{
	return cmd < __KSVC_CMD_MAX ? allowed[cmd] : 0;
}

int kp_check_request(const struct nlmsghdr *nlh, int family,
		     struct kp_req *req, char *why)
{
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	const struct nlattr **tb = req->tb;
	uint32_t flags = 0;
	uint8_t proto;
	int type, ret;

	memset(req, 0, sizeof(*req));
	why[0] = '\0';
	if (nlh->nlmsg_type != family)
		return fail(why, -ENOENT, "wrong family %u", nlh->nlmsg_type);
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return fail(why, -EINVAL, "not a request");
	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return fail(why, -EINVAL, "short message");
	if (g->cmd == 0 || g->cmd > KSVC_CMD_MAX)
		return fail(why, -EOPNOTSUPP, "unknown command %u", g->cmd);
	if (g->reserved)
		return fail(why, -EINVAL, "genl header reserved field");
	req->cmd = g->cmd;
	req->nlflags = nlh->nlmsg_flags;
	if ((g->cmd == KSVC_CMD_SVC_GET) != !!(nlh->nlmsg_flags & NLM_F_DUMP))
		return fail(why, -EOPNOTSUPP, "dump flag and command disagree");

	ret = parse(tb, KSVC_A_MAX,
		    (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		    (int)(nlh->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN),
		    kp_top_policy, why);
	if (ret)
		return ret;
	for (type = 1; type <= KSVC_A_MAX; type++) {
		if (tb[type] && !(allowed[g->cmd] & (1ULL << type)))
			return fail(why, -EINVAL, "attribute %d not taken by command %u",
				    type, g->cmd);
		if (!tb[type] && (required[g->cmd] & (1ULL << type)))
			return fail(why, -EINVAL, "missing attribute %d", type);
	}
	if (tb[KSVC_A_SVC_PROTO]) {
		proto = *(const uint8_t *)data(tb[KSVC_A_SVC_PROTO]);
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
		    proto != IPPROTO_SCTP)
			return fail(why, -EINVAL, "protocol %u", proto);
	}
	if (tb[KSVC_A_SVC_FLAGS] &&
	    *(const uint32_t *)data(tb[KSVC_A_SVC_FLAGS]) & ~(uint32_t)__KSVC_SVC_F_ALL)
		return fail(why, -EOPNOTSUPP, "service flags");
	if (tb[KSVC_A_REQ_FLAGS]) {
		memcpy(&flags, data(tb[KSVC_A_REQ_FLAGS]), 4);
		if (flags & ~(uint32_t)__KSVC_REQ_F_ALL)
			return fail(why, -EOPNOTSUPP, "request flags");
		if (flags & ~req_flags[g->cmd])
			return fail(why, -EOPNOTSUPP,
				    "request flags %#x for command %u", flags,
				    g->cmd);
	}
	if (tb[KSVC_A_SVC_FRONTENDS]) {
		ret = check_frontends(tb[KSVC_A_SVC_FRONTENDS], why);
		if (ret)
			return ret;
	}
	if (tb[KSVC_A_SVC_BACKENDS]) {
		ret = check_backends(tb[KSVC_A_SVC_BACKENDS], why);
		if (ret)
			return ret;
		if ((g->cmd == KSVC_CMD_BE_ADD || g->cmd == KSVC_CMD_BE_DEL) &&
		    kp_count(tb[KSVC_A_SVC_BACKENDS]) != 1)
			return fail(why, -EINVAL, "not exactly one backend");
	}
	if (tb[KSVC_A_SVC_SOURCE_RANGES]) {
		ret = check_cidrs(tb[KSVC_A_SVC_SOURCE_RANGES],
				  KSVC_SOURCE_RANGES_MAX, why);
		if (ret)
			return ret;
	}
	if (tb[KSVC_A_CFG_CLUSTER_CIDRS]) {
		ret = check_cidrs(tb[KSVC_A_CFG_CLUSTER_CIDRS], KSVC_CIDRS_MAX,
				  why);
		if (ret)
			return ret;
	}
	if (tb[KSVC_A_CFG_NODEPORT_CIDRS])
		return check_cidrs(tb[KSVC_A_CFG_NODEPORT_CIDRS],
				   KSVC_CIDRS_MAX, why);
	return 0;
}

void kp_frontends(const struct nlattr *list, struct ksvc_service *svc)
{
	const struct nlattr *tb[KSVC_FE_A_MAX + 1], *m;
	struct ksvc_frontend fe;
	char why[KP_WHY_MAX];
	int rem;

	for_each_member(m, list, rem) {
		parse(tb, KSVC_FE_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      fe_policy, why);
		fe.kind = *(const uint8_t *)data(tb[KSVC_FE_A_KIND]);
		addr(tb[KSVC_FE_A_FAMILY], tb[KSVC_FE_A_ADDR], &fe.addr, why);
		ksvc_service_add_frontend(svc, &fe);
	}
}

void kp_source_ranges(const struct nlattr *list, struct ksvc_service *svc)
{
	const struct nlattr *tb[KSVC_CIDR_A_MAX + 1], *m;
	struct ksvc_cidr c;
	char why[KP_WHY_MAX];
	int rem;

	for_each_member(m, list, rem) {
		memset(&c, 0, sizeof(c));
		parse(tb, KSVC_CIDR_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      cidr_policy, why);
		addr(tb[KSVC_CIDR_A_FAMILY], tb[KSVC_CIDR_A_ADDR], &c.addr, why);
		c.prefixlen = *(const uint8_t *)data(tb[KSVC_CIDR_A_PREFIXLEN]);
		ksvc_service_add_source_range(svc, &c);
	}
}

void kp_backends(const struct nlattr *list, struct ksvc_service *svc)
{
	const struct nlattr *tb[KSVC_BE_A_MAX + 1], *m;
	struct ksvc_backend be;
	char why[KP_WHY_MAX];
	int rem;

	for_each_member(m, list, rem) {
		memset(&be, 0, sizeof(be));
		be.weight = KSVC_WEIGHT_DEFAULT;
		parse(tb, KSVC_BE_A_MAX, data(m), m->nla_len - NLA_HDRLEN,
		      be_policy, why);
		addr(tb[KSVC_BE_A_FAMILY], tb[KSVC_BE_A_ADDR], &be.addr, why);
		memcpy(&be.port, data(tb[KSVC_BE_A_PORT]), 2);
		if (tb[KSVC_BE_A_WEIGHT])
			memcpy(&be.weight, data(tb[KSVC_BE_A_WEIGHT]), 4);
		if (tb[KSVC_BE_A_FLAGS])
			memcpy(&be.flags, data(tb[KSVC_BE_A_FLAGS]), 4);
		ksvc_service_add_backend(svc, &be);
	}
}
