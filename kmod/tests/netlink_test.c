// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: netlink requests, parsed with the real policies and given to the
 * real handlers, in init_net, as the generic netlink core would.
 */

#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "kservice.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "table.h"

#define NAME "kunit/netlink:http"

static struct sk_buff *msg_new(struct kunit *test, u8 cmd)
{
	struct genlmsghdr *hdr;
	struct sk_buff *skb;
	struct nlmsghdr *nlh;

	skb = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	nlh = nlmsg_put(skb, 0, 1, GENL_MIN_ID, GENL_HDRLEN, NLM_F_REQUEST);
	KUNIT_ASSERT_NOT_NULL(test, nlh);
	hdr = nlmsg_data(nlh);
	hdr->cmd = cmd;
	hdr->version = KSVC_GENL_VERSION;
	return skb;
}

/* Parse as genl_family_rcv_msg_doit() does, then call the handler. */
static int run(struct kunit *test, u8 cmd, struct sk_buff *skb,
	       struct netlink_ext_ack *extack)
{
	const struct genl_ops *op = ksvc_netlink_op(cmd);
	struct genl_info info = {};
	struct nlmsghdr *nlh;
	struct nlattr **attrs;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, op);
	KUNIT_ASSERT_NOT_NULL(test, op->doit);
	KUNIT_ASSERT_NOT_NULL(test, op->policy);
	KUNIT_EXPECT_TRUE(test, op->flags & GENL_UNS_ADMIN_PERM);
	nlh = nlmsg_hdr(skb);
	nlh->nlmsg_len = skb->len;
	attrs = kunit_kcalloc(test, op->maxattr + 1, sizeof(*attrs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, attrs);
	ret = __nlmsg_parse(nlh, GENL_HDRLEN, attrs, op->maxattr, op->policy,
			    NL_VALIDATE_STRICT, extack);
	if (ret)
		return ret;
	info.snd_seq = nlh->nlmsg_seq;
	info.nlhdr = nlh;
	info.genlhdr = nlmsg_data(nlh);
	info.attrs = attrs;
	info.extack = extack;
	genl_info_net_set(&info, &init_net);
	return op->doit(skb, &info);
}

/* ---- attribute builders ------------------------------------------------- */

static void put_svc(struct sk_buff *skb, const char *name)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, name);
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 80);
}

static void put_fe(struct sk_buff *skb, u16 family, int len, int kind)
{
	static const u8 a[17] = { 10, 96, 0, 10, 1 };
	struct nlattr *list, *m;

	list = nla_nest_start(skb, KSVC_A_SVC_FRONTENDS);
	m = nla_nest_start(skb, 0);
	if (kind >= 0)
		nla_put_u8(skb, KSVC_FE_A_KIND, kind);
	nla_put_u16(skb, KSVC_FE_A_FAMILY, family);
	nla_put(skb, KSVC_FE_A_ADDR, len, a);
	nla_nest_end(skb, m);
	nla_nest_end(skb, list);
}

struct be_attrs {
	u16 family;
	int len;
	int port;		/* < 0: left out */
	s64 weight;		/* < 0: left out */
	s64 flags;		/* < 0: left out */
	u8 last;		/* last address byte */
};

static void put_be_member(struct sk_buff *skb, const struct be_attrs *b)
{
	u8 a[16] = { 10, 244, 1, b->last };
	struct nlattr *m;

	if (b->len == 16) {
		a[0] = 0xfd;
		a[15] = b->last;
	}
	m = nla_nest_start(skb, 0);
	nla_put_u16(skb, KSVC_BE_A_FAMILY, b->family);
	nla_put(skb, KSVC_BE_A_ADDR, b->len, a);
	if (b->port >= 0)
		nla_put_u16(skb, KSVC_BE_A_PORT, b->port);
	if (b->weight >= 0)
		nla_put_u32(skb, KSVC_BE_A_WEIGHT, b->weight);
	if (b->flags >= 0)
		nla_put_u32(skb, KSVC_BE_A_FLAGS, b->flags);
	nla_nest_end(skb, m);
}

static void put_bes(struct sk_buff *skb, const struct be_attrs *b,
		    unsigned int n)
{
	struct nlattr *list;
	unsigned int i;

	list = nla_nest_start(skb, KSVC_A_SVC_BACKENDS);
	for (i = 0; i < n; i++)
		put_be_member(skb, &b[i]);
	nla_nest_end(skb, list);
}

static void put_be(struct sk_buff *skb, u16 family, int len, int port,
		   s64 weight, s64 flags)
{
	const struct be_attrs b = { family, len, port, weight, flags, 11 };

	put_bes(skb, &b, 1);
}

static void put_cidr_list(struct sk_buff *skb, int type, u16 family,
			  const char *addr, int len, u8 plen)
{
	struct nlattr *list, *m;
	u8 a[16] = {};

	if (family == AF_INET)
		in4_pton(addr, -1, a, -1, NULL);
	else
		in6_pton(addr, -1, a, -1, NULL);
	list = nla_nest_start(skb, type);
	m = nla_nest_start(skb, 0);
	nla_put_u16(skb, KSVC_CIDR_A_FAMILY, family);
	nla_put(skb, KSVC_CIDR_A_ADDR, len, a);
	nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, plen);
	nla_nest_end(skb, m);
	nla_nest_end(skb, list);
}

static void put_cidr(struct sk_buff *skb, u16 family, const char *addr,
		     int len, u8 plen)
{
	put_cidr_list(skb, KSVC_A_CFG_CLUSTER_CIDRS, family, addr, len, plen);
}

/* ---- rejected requests --------------------------------------------------- */

static void b_fe_v4_len16(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, AF_INET, 16, KSVC_FE_CLUSTER_IP);
}

static void b_fe_v6_len4(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, AF_INET6, 4, KSVC_FE_CLUSTER_IP);
}

static void b_fe_len17(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, AF_INET6, 17, KSVC_FE_CLUSTER_IP);
}

static void b_fe_family(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, 3, 4, KSVC_FE_CLUSTER_IP);
}

static void b_fe_kind0(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, AF_INET, 4, 0);
}

static void b_fe_no_kind(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_fe(skb, AF_INET, 4, -1);
}

static void b_fe_not_nested(struct sk_buff *skb)
{
	struct nlattr *list;

	put_svc(skb, NAME);
	list = nla_nest_start_noflag(skb, KSVC_A_SVC_FRONTENDS);
	nla_nest_end(skb, list);
}

static void b_port0(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 0);
}

static void b_sched(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u8(skb, KSVC_A_SVC_SCHED, KSVC_SCHED_MAX + 1);
}

static void b_svc_flags(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u32(skb, KSVC_A_SVC_FLAGS, __KSVC_SVC_F_ALL + 1);
}

static void b_proto_icmp(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_ICMP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 80);
}

static void b_no_port(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
}

static void b_no_name(struct sk_buff *skb)
{
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 80);
}

static void b_empty_name(struct sk_buff *skb)
{
	put_svc(skb, "");
}

static void b_name_no_nul(struct sk_buff *skb)
{
	nla_put(skb, KSVC_A_SVC_NAME, 4, "abcd");
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 80);
}

static void b_name_long(struct sk_buff *skb)
{
	char name[KSVC_NAME_MAX + 1];

	memset(name, 'a', KSVC_NAME_MAX);
	name[KSVC_NAME_MAX] = 0;
	put_svc(skb, name);
}

static void b_be_port0(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_be(skb, AF_INET, 4, 0, -1, -1);
}

static void b_be_weight(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_be(skb, AF_INET, 4, 8080, KSVC_WEIGHT_MAX + 1, -1);
}

static void b_be_flags(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_be(skb, AF_INET, 4, 8080, -1, __KSVC_BE_F_ALL + 1);
}

static void b_be_len(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_be(skb, AF_INET6, 4, 8080, -1, -1);
}

static void b_be_no_port(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_be(skb, AF_INET, 4, -1, -1, -1);
}

static void b_read_only(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u32(skb, KSVC_A_SVC_BACKEND_COUNT, 1);
}

static void b_cfg_on_svc(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u8(skb, KSVC_A_CFG_MASQUERADE_ALL, 1);
}

static void b_req_flags_on_new(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u32(skb, KSVC_A_REQ_FLAGS, KSVC_REQ_F_BACKENDS);
}

static void b_replace_unknown_flag(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	put_be(skb, AF_INET, 4, 8080, -1, -1);
	nla_put_u32(skb, KSVC_A_REQ_FLAGS, 1U << 31);
}

static void b_replace_backends_flag(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	put_be(skb, AF_INET, 4, 8080, -1, -1);
	nla_put_u32(skb, KSVC_A_REQ_FLAGS, KSVC_REQ_F_BACKENDS);
}

static void b_add_two(struct sk_buff *skb)
{
	static const struct be_attrs b[] = {
		{ AF_INET, 4, 8080, -1, -1, 11 },
		{ AF_INET, 4, 8080, -1, -1, 12 },
	};

	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
	put_bes(skb, b, ARRAY_SIZE(b));
}

static void b_name_only(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, "kunit/no-such-service");
}

static void b_affinity_long(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u32(skb, KSVC_A_SVC_AFFINITY, KSVC_AFFINITY_TIMEOUT_MAX + 1);
}

static void b_range_host_bits(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_cidr_list(skb, KSVC_A_SVC_SOURCE_RANGES, AF_INET, "192.0.2.1", 4,
		      24);
}

static void b_ranges_many(struct sk_buff *skb)
{
	struct nlattr *list, *m;
	u8 a[4] = { 192, 0, 2, 0 };
	int i;

	put_svc(skb, NAME);
	list = nla_nest_start(skb, KSVC_A_SVC_SOURCE_RANGES);
	for (i = 0; i <= KSVC_SOURCE_RANGES_MAX; i++) {
		m = nla_nest_start(skb, 0);
		nla_put_u16(skb, KSVC_CIDR_A_FAMILY, AF_INET);
		nla_put(skb, KSVC_CIDR_A_ADDR, 4, a);
		nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, 24);
		nla_nest_end(skb, m);
	}
	nla_nest_end(skb, list);
}

static void b_sched_unknown(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	nla_put_u8(skb, KSVC_A_SVC_SCHED, KSVC_SCHED_MAX + 1);
}

static void b_affinity_entries(struct sk_buff *skb)
{
	nla_put_u32(skb, KSVC_A_CFG_AFFINITY_ENTRIES, 1);
}

static void b_memory(struct sk_buff *skb)
{
	nla_put_u64_64bit(skb, KSVC_A_CFG_MEMORY, 1, KSVC_A_PAD);
}

static void b_cidr_host_bits(struct sk_buff *skb)
{
	put_cidr(skb, AF_INET, "10.244.0.1", 4, 16);
}

static void b_cidr_v4_plen33(struct sk_buff *skb)
{
	put_cidr(skb, AF_INET, "10.244.0.0", 4, 33);
}

static void b_cidr_plen129(struct sk_buff *skb)
{
	put_cidr(skb, AF_INET6, "fd00::", 16, 129);
}

static void b_cidr_len(struct sk_buff *skb)
{
	put_cidr(skb, AF_INET6, "10.244.0.0", 4, 16);
}

static void b_np_cidr_host_bits(struct sk_buff *skb)
{
	put_cidr_list(skb, KSVC_A_CFG_NODEPORT_CIDRS, AF_INET, "192.0.2.1", 4,
		      24);
}

static void b_np_cidrs_many(struct sk_buff *skb)
{
	struct nlattr *list, *m;
	u8 a[4] = { 192, 0, 2, 0 };
	int i;

	list = nla_nest_start(skb, KSVC_A_CFG_NODEPORT_CIDRS);
	for (i = 0; i <= KSVC_CIDRS_MAX; i++) {
		m = nla_nest_start(skb, 0);
		nla_put_u16(skb, KSVC_CIDR_A_FAMILY, AF_INET);
		nla_put(skb, KSVC_CIDR_A_ADDR, 4, a);
		nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, 24);
		nla_nest_end(skb, m);
	}
	nla_nest_end(skb, list);
}

static void b_np_cidrs_on_svc(struct sk_buff *skb)
{
	put_svc(skb, NAME);
	put_cidr_list(skb, KSVC_A_CFG_NODEPORT_CIDRS, AF_INET, "192.0.2.0", 4,
		      24);
}

static void b_masq_2(struct sk_buff *skb)
{
	nla_put_u8(skb, KSVC_A_CFG_MASQUERADE_ALL, 2);
}

static void b_svc_on_cfg(struct sk_buff *skb)
{
	nla_put_string(skb, KSVC_A_SVC_NAME, NAME);
}

struct bad_case {
	const char *name;
	u8 cmd;
	void (*build)(struct sk_buff *skb);
	int err;
	int miss;		/* attribute reported missing, or 0 */
};

static const struct bad_case bad_cases[] = {
	{ "frontend AF_INET with 16 bytes", KSVC_CMD_SVC_NEW, b_fe_v4_len16,
	  -EINVAL },
	{ "frontend AF_INET6 with 4 bytes", KSVC_CMD_SVC_NEW, b_fe_v6_len4,
	  -EINVAL },
	{ "frontend address of 17 bytes", KSVC_CMD_SVC_NEW, b_fe_len17,
	  -ERANGE },
	{ "frontend family 3", KSVC_CMD_SVC_NEW, b_fe_family, -EINVAL },
	{ "frontend kind 0", KSVC_CMD_SVC_NEW, b_fe_kind0, -ERANGE },
	{ "frontend without kind", KSVC_CMD_SVC_NEW, b_fe_no_kind, -EINVAL },
	{ "frontend list without NLA_F_NESTED", KSVC_CMD_SVC_NEW,
	  b_fe_not_nested, -EINVAL },
	{ "port 0", KSVC_CMD_SVC_NEW, b_port0, -ERANGE },
	{ "unknown scheduler", KSVC_CMD_SVC_NEW, b_sched, -ERANGE },
	{ "unknown service flag", KSVC_CMD_SVC_NEW, b_svc_flags, -EOPNOTSUPP },
	{ "protocol ICMP", KSVC_CMD_SVC_NEW, b_proto_icmp, -EINVAL },
	{ "no port", KSVC_CMD_SVC_NEW, b_no_port, -EINVAL, KSVC_A_SVC_PORT },
	{ "no name", KSVC_CMD_SVC_NEW, b_no_name, -EINVAL, KSVC_A_SVC_NAME },
	{ "empty name", KSVC_CMD_SVC_NEW, b_empty_name, -EINVAL },
	{ "name without NUL", KSVC_CMD_SVC_NEW, b_name_no_nul, -EINVAL },
	{ "name of 256 characters", KSVC_CMD_SVC_NEW, b_name_long, -EINVAL },
	{ "backend port 0", KSVC_CMD_SVC_NEW, b_be_port0, -ERANGE },
	{ "backend weight 65536", KSVC_CMD_SVC_NEW, b_be_weight, -ERANGE },
	{ "unknown backend flag", KSVC_CMD_SVC_NEW, b_be_flags, -EOPNOTSUPP },
	{ "backend AF_INET6 with 4 bytes", KSVC_CMD_SVC_NEW, b_be_len, -EINVAL },
	{ "backend without port", KSVC_CMD_SVC_NEW, b_be_no_port, -EINVAL },
	{ "read-only attribute", KSVC_CMD_SVC_NEW, b_read_only, -EINVAL },
	{ "configuration attribute", KSVC_CMD_SVC_NEW, b_cfg_on_svc, -EINVAL },
	{ "dump flag on SVC_NEW", KSVC_CMD_SVC_NEW, b_req_flags_on_new,
	  -EOPNOTSUPP },
	{ "unknown request flag", KSVC_CMD_BE_REPLACE, b_replace_unknown_flag,
	  -EOPNOTSUPP },
	{ "KSVC_REQ_F_BACKENDS on BE_REPLACE", KSVC_CMD_BE_REPLACE,
	  b_replace_backends_flag, -EOPNOTSUPP },
	{ "BE_ADD with two backends", KSVC_CMD_BE_ADD, b_add_two, -EINVAL },
	{ "BE_REPLACE without backends", KSVC_CMD_BE_REPLACE, b_name_only,
	  -EINVAL, KSVC_A_SVC_BACKENDS },
	{ "SVC_DEL of no service", KSVC_CMD_SVC_DEL, b_name_only, -ENOENT },
	{ "SVC_SET of no service", KSVC_CMD_SVC_SET, b_name_only, -ENOENT },
	{ "CIDR with host bits", KSVC_CMD_CFG_SET, b_cidr_host_bits, -EINVAL },
	{ "affinity above a day", KSVC_CMD_SVC_NEW, b_affinity_long, -ERANGE },
	{ "source range with host bits", KSVC_CMD_SVC_NEW, b_range_host_bits,
	  -EINVAL },
	{ "65 source ranges", KSVC_CMD_SVC_NEW, b_ranges_many, -E2BIG },
	{ "scheduler past maglev", KSVC_CMD_SVC_NEW, b_sched_unknown, -ERANGE },
	{ "affinity entries are read only", KSVC_CMD_CFG_SET,
	  b_affinity_entries, -EINVAL },
	{ "memory is read only", KSVC_CMD_CFG_SET, b_memory, -EINVAL },
	{ "IPv4 CIDR /33", KSVC_CMD_CFG_SET, b_cidr_v4_plen33, -ERANGE },
	{ "CIDR /129", KSVC_CMD_CFG_SET, b_cidr_plen129, -ERANGE },
	{ "CIDR address length", KSVC_CMD_CFG_SET, b_cidr_len, -EINVAL },
	{ "masquerade_all 2", KSVC_CMD_CFG_SET, b_masq_2, -ERANGE },
	{ "node-port CIDR with host bits", KSVC_CMD_CFG_SET,
	  b_np_cidr_host_bits, -EINVAL },
	{ "17 node-port CIDRs", KSVC_CMD_CFG_SET, b_np_cidrs_many, -E2BIG },
	{ "node-port CIDRs on SVC_NEW", KSVC_CMD_SVC_NEW, b_np_cidrs_on_svc,
	  -EINVAL },
	{ "service attribute on CFG_SET", KSVC_CMD_CFG_SET, b_svc_on_cfg,
	  -EINVAL },
};

static void bad_case_desc(const struct bad_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(bad, bad_cases, bad_case_desc);

/* A bad request -> its exact errno, an extack message, nothing created. */
static void netlink_test_rejects(struct kunit *test)
{
	const struct bad_case *c = test->param_value;
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	struct netlink_ext_ack extack = {};
	struct sk_buff *skb;
	u32 count = ns->tab.count;
	int ret;

	skb = msg_new(test, c->cmd);
	c->build(skb);
	ret = run(test, c->cmd, skb, &extack);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, ret, c->err);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	if (c->miss)
		KUNIT_EXPECT_EQ(test, extack.miss_type, (u16)c->miss);
	KUNIT_EXPECT_EQ(test, ns->tab.count, count);
}

/* ---- accepted requests ---------------------------------------------------- */

static int send(struct kunit *test, u8 cmd, const char *name,
		const struct be_attrs *b, unsigned int n, int flags,
		struct netlink_ext_ack *extack)
{
	struct sk_buff *skb = msg_new(test, cmd);
	int ret;

	nla_put_string(skb, KSVC_A_SVC_NAME, name);
	if (cmd == KSVC_CMD_SVC_NEW) {
		nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_TCP);
		nla_put_u16(skb, KSVC_A_SVC_PORT, 80);
		put_fe(skb, AF_INET, 4, KSVC_FE_CLUSTER_IP);
	}
	if (b)
		put_bes(skb, b, n);
	if (flags >= 0)
		nla_put_u32(skb, KSVC_A_REQ_FLAGS, flags);
	memset(extack, 0, sizeof(*extack));
	ret = run(test, cmd, skb, extack);
	kfree_skb(skb);
	return ret;
}

static u32 set_count(struct ksvc_net *ns, const char *name)
{
	struct ksvc_service *svc;
	u32 count = U32_MAX;

	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, name);
	if (svc)
		count = ksvc_service_backends(&ns->tab, svc)->count;
	mutex_unlock(&ns->lock);
	return count;
}

/*
 * CFG_SET with node-port CIDRs -> the list replaced (v4 and v6 members
 * kept); an empty nest -> cleared; a refused one -> the list as it was.
 */
static void netlink_test_nodeport_cidrs(struct kunit *test)
{
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	struct netlink_ext_ack extack = {};
	const struct ksvc_cidrs *c;
	struct nlattr *list, *m;
	struct sk_buff *skb;
	u8 a4[4] = { 192, 0, 2, 0 };
	u8 a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	int ret;

	skb = msg_new(test, KSVC_CMD_CFG_SET);
	list = nla_nest_start(skb, KSVC_A_CFG_NODEPORT_CIDRS);
	m = nla_nest_start(skb, 0);
	nla_put_u16(skb, KSVC_CIDR_A_FAMILY, AF_INET);
	nla_put(skb, KSVC_CIDR_A_ADDR, 4, a4);
	nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, 24);
	nla_nest_end(skb, m);
	m = nla_nest_start(skb, 0);
	nla_put_u16(skb, KSVC_CIDR_A_FAMILY, AF_INET6);
	nla_put(skb, KSVC_CIDR_A_ADDR, 16, a6);
	nla_put_u8(skb, KSVC_CIDR_A_PREFIXLEN, 32);
	nla_nest_end(skb, m);
	nla_nest_end(skb, list);
	ret = run(test, KSVC_CMD_CFG_SET, skb, &extack);
	kfree_skb(skb);
	KUNIT_ASSERT_EQ(test, ret, 0);
	mutex_lock(&ns->lock);
	c = rcu_dereference_protected(ns->np_cidrs, lockdep_is_held(&ns->lock));
	KUNIT_EXPECT_NOT_NULL(test, c);
	if (c) {
		KUNIT_EXPECT_EQ(test, c->count, 2U);
		KUNIT_EXPECT_EQ(test, c->cidr[0].family, (u8)AF_INET);
		KUNIT_EXPECT_EQ(test, c->cidr[0].prefixlen, (u8)24);
		KUNIT_EXPECT_EQ(test, c->cidr[1].family, (u8)AF_INET6);
		KUNIT_EXPECT_EQ(test, c->cidr[1].prefixlen, (u8)32);
	}
	/* The cluster CIDRs are another list. */
	KUNIT_EXPECT_NULL(test, rcu_dereference_protected(ns->cidrs,
							  lockdep_is_held(&ns->lock)));
	mutex_unlock(&ns->lock);

	skb = msg_new(test, KSVC_CMD_CFG_SET);
	b_np_cidr_host_bits(skb);
	ret = run(test, KSVC_CMD_CFG_SET, skb, &extack);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	mutex_lock(&ns->lock);
	c = rcu_dereference_protected(ns->np_cidrs, lockdep_is_held(&ns->lock));
	KUNIT_EXPECT_TRUE(test, c && c->count == 2);
	mutex_unlock(&ns->lock);

	skb = msg_new(test, KSVC_CMD_CFG_SET);
	nla_nest_end(skb, nla_nest_start(skb, KSVC_A_CFG_NODEPORT_CIDRS));
	ret = run(test, KSVC_CMD_CFG_SET, skb, &extack);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, ret, 0);
	mutex_lock(&ns->lock);
	KUNIT_EXPECT_NULL(test, rcu_dereference_protected(ns->np_cidrs,
							  lockdep_is_held(&ns->lock)));
	mutex_unlock(&ns->lock);
}

/*
 * No service -> one created (hooks on), a set sent in parts (swapped in
 * only by the last), a refused part ending its request -> deleted (hooks
 * off).
 */
static void netlink_test_staged_replace(struct kunit *test)
{
	static const struct be_attrs part1[] = {
		{ AF_INET, 4, 8080, -1, -1, 11 },
		{ AF_INET6, 16, 8080, 5, -1, 12 },
	};
	static const struct be_attrs part2[] = {
		{ AF_INET, 4, 8080, 0, -1, 13 },
	};
	static const struct be_attrs last[] = {
		{ AF_INET, 4, 9090, -1, -1, 14 },
	};
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	struct netlink_ext_ack extack;
	bool hooked = ns->hooked;
	int ret;

	ret = send(test, KSVC_CMD_SVC_NEW, NAME, NULL, 0, -1, &extack);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, ns->hooked);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_SVC_NEW, NAME, NULL, 0, -1,
				   &extack), -EEXIST);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	/* CONTINUE with nothing staged. */
	ret = send(test, KSVC_CMD_BE_REPLACE, NAME, last, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, part2, 1,
				   KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 0U);

	/* A last part repeating a staged backend: refused, stage gone. */
	ret = send(test, KSVC_CMD_BE_REPLACE, NAME, part1, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EEXIST);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 0U);
	ret = send(test, KSVC_CMD_BE_REPLACE, NAME, last, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	/* Sent again from its first part: swapped in whole by the last. */
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, part2, 1,
				   KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 0U);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, last, 1,
				   KSVC_REQ_F_CONTINUE, &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 4U);

	/* The stage went with the swap. */
	ret = send(test, KSVC_CMD_BE_REPLACE, NAME, last, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	/* A first part discards an unfinished stage. */
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, NAME, last, 1, 0,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 1U);

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_ADD, NAME, last, 1, -1,
				   &extack), -EEXIST);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_ADD, NAME, part2, 1, -1,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_DEL, NAME, part1, 1, -1,
				   &extack), -ENOENT);
	KUNIT_EXPECT_NOT_NULL(test, extack._msg);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_DEL, NAME, last, 1, -1,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), 1U);

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_SVC_DEL, NAME, NULL, 0, -1,
				   &extack), 0);
	KUNIT_EXPECT_EQ(test, set_count(ns, NAME), U32_MAX);
	KUNIT_EXPECT_EQ(test, ns->hooked, hooked);
}

/* What a refused multi-part request must leave as it found. */
struct stage_snap {
	u64 mem;			/* the memory figure of CFG_GET */
	struct ksvc_stage stage;
	u32 set_count;
};

static void stage_snap(struct kunit *test, struct ksvc_net *ns,
		       const char *name, struct stage_snap *snap)
{
	struct ksvc_service *svc;

	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, name);
	if (svc) {
		snap->mem = ksvc_table_mem(&ns->tab);
		snap->stage = svc->stage;
		snap->set_count = ksvc_service_backends(&ns->tab, svc)->count;
	}
	mutex_unlock(&ns->lock);
	KUNIT_ASSERT_NOT_NULL(test, svc);
}

static void expect_snap(struct kunit *test, const char *when,
			const struct stage_snap *before,
			const struct stage_snap *now)
{
	KUNIT_EXPECT_EQ_MSG(test, now->mem, before->mem,
			    "%s: %lld bytes left behind", when,
			    (s64)(now->mem - before->mem));
	KUNIT_EXPECT_PTR_EQ_MSG(test, now->stage.bes, before->stage.bes,
				"%s: staged array", when);
	KUNIT_EXPECT_EQ_MSG(test, now->stage.count, before->stage.count,
			    "%s: staged backends", when);
	KUNIT_EXPECT_EQ_MSG(test, now->stage.cap, before->stage.cap,
			    "%s: staged capacity", when);
	KUNIT_EXPECT_EQ_MSG(test, now->stage.active, before->stage.active,
			    "%s: stage active", when);
	KUNIT_EXPECT_EQ_MSG(test, now->set_count, before->set_count,
			    "%s: the set", when);
}

/*
 * A set sent in parts, one part refused (the parts together over
 * max_backends, one part over it alone, a last part repeating a staged
 * backend) -> the memory figure, the stage and the set exactly as before
 * the first part: the refused request is over, its staged parts went.
 */
static void netlink_test_refused_part_leaves_nothing(struct kunit *test)
{
	static const struct be_attrs part1[] = {
		{ AF_INET, 4, 8080, -1, -1, 11 },
		{ AF_INET, 4, 8080, -1, -1, 12 },
	};
	static const struct be_attrs part2[] = {
		{ AF_INET, 4, 8080, -1, -1, 13 },
		{ AF_INET, 4, 8080, -1, -1, 14 },
	};
	static const struct be_attrs five[] = {
		{ AF_INET, 4, 8080, -1, -1, 21 },
		{ AF_INET, 4, 8080, -1, -1, 22 },
		{ AF_INET, 4, 8080, -1, -1, 23 },
		{ AF_INET, 4, 8080, -1, -1, 24 },
		{ AF_INET, 4, 8080, -1, -1, 25 },
	};
	const char *name = "kunit/netlink:staged";
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	unsigned int max = ksvc_max_backends;
	struct stage_snap before, now;
	struct netlink_ext_ack extack;
	int ret;

	ret = send(test, KSVC_CMD_SVC_NEW, name, NULL, 0, -1, &extack);
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* A resize of a hash table would move the figure: none pending. */
	flush_work(&ns->tab.names.run_work);
	flush_work(&ns->tab.fes.run_work);
	flush_work(&ns->tab.nps.run_work);
	stage_snap(test, ns, name, &before);
	ksvc_max_backends = 4;

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, name, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, name, part2, 2,
				   KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE,
				   &extack), 0);
	ret = send(test, KSVC_CMD_BE_REPLACE, name, five, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -E2BIG);
	stage_snap(test, ns, name, &now);
	expect_snap(test, "parts over max_backends", &before, &now);

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, name, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	ret = send(test, KSVC_CMD_BE_REPLACE, name, five, 5,
		   KSVC_REQ_F_MORE | KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -E2BIG);
	stage_snap(test, ns, name, &now);
	expect_snap(test, "one part over max_backends", &before, &now);

	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_BE_REPLACE, name, part1, 2,
				   KSVC_REQ_F_MORE, &extack), 0);
	ret = send(test, KSVC_CMD_BE_REPLACE, name, part1, 1,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EEXIST);
	stage_snap(test, ns, name, &now);
	expect_snap(test, "a duplicate in the last part", &before, &now);

	/* Nothing staged any more: a continuation is refused. */
	ret = send(test, KSVC_CMD_BE_REPLACE, name, part2, 2,
		   KSVC_REQ_F_CONTINUE, &extack);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	ksvc_max_backends = max;
	mutex_lock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ns->tab.mem, ksvc_table_mem_recount(&ns->tab));
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_SVC_DEL, name, NULL, 0, -1,
				   &extack), 0);
}

/* KSVC_CMD_CT_CLEANUP: no attributes, so no policy to parse them with. */
static int run_ct_cleanup(struct kunit *test)
{
	const struct genl_ops *op = ksvc_netlink_op(KSVC_CMD_CT_CLEANUP);
	struct genl_info info = {};

	KUNIT_ASSERT_NOT_NULL(test, op);
	KUNIT_ASSERT_NOT_NULL(test, op->doit);
	KUNIT_EXPECT_NULL(test, op->policy);
	KUNIT_EXPECT_TRUE(test, op->flags & GENL_UNS_ADMIN_PERM);
	genl_info_net_set(&info, &init_net);
	return op->doit(NULL, &info);
}

/*
 * Five backend changes of a UDP service with KSVC_REQ_F_DEFER_CT -> no
 * conntrack walk, the cleanup pending and its work item armed; then
 * CT_CLEANUP -> one walk for all five, nothing left pending. Deferred
 * changes, then one without the flag -> one walk too.
 */
static void netlink_test_deferred_ct_cleanup(struct kunit *test)
{
	static const struct be_attrs a[] = { { AF_INET, 4, 53, -1, -1, 21 } };
	static const struct be_attrs b[] = { { AF_INET, 4, 53, -1, -1, 22 } };
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	struct netlink_ext_ack extack = {};
	unsigned long walks;
	struct sk_buff *skb;
	int i, round;

	skb = msg_new(test, KSVC_CMD_SVC_NEW);
	nla_put_string(skb, KSVC_A_SVC_NAME, "test/dns");
	nla_put_u8(skb, KSVC_A_SVC_PROTO, IPPROTO_UDP);
	nla_put_u16(skb, KSVC_A_SVC_PORT, 53);
	put_fe(skb, AF_INET, 4, KSVC_FE_CLUSTER_IP);
	KUNIT_ASSERT_EQ(test, run(test, KSVC_CMD_SVC_NEW, skb, &extack), 0);
	kfree_skb(skb);

	for (round = 0; round < 2; round++) {
		walks = ksvc_nat_ct_walks;
		for (i = 0; i < 5; i++)
			KUNIT_EXPECT_EQ(test,
					send(test, KSVC_CMD_BE_REPLACE, "test/dns",
					     i % 2 ? a : b, 1,
					     KSVC_REQ_F_DEFER_CT, &extack), 0);
		KUNIT_EXPECT_EQ(test, ksvc_nat_ct_walks, walks);
		KUNIT_EXPECT_TRUE(test, ns->tab.ct_stale);
		KUNIT_EXPECT_TRUE(test, delayed_work_pending(&ns->ct_work));
		if (round)
			KUNIT_EXPECT_EQ(test,
					send(test, KSVC_CMD_BE_REPLACE, "test/dns",
					     a, 1, 0, &extack), 0);
		else
			KUNIT_EXPECT_EQ(test, run_ct_cleanup(test), 0);
		KUNIT_EXPECT_EQ(test, ksvc_nat_ct_walks, walks + 1);
		KUNIT_EXPECT_FALSE(test, ns->tab.ct_stale);
		KUNIT_EXPECT_EQ(test, ns->tab.gone_count, 0U);
	}
	KUNIT_EXPECT_EQ(test, send(test, KSVC_CMD_SVC_DEL, "test/dns", NULL, 0,
				   -1, &extack), 0);
}

static struct kunit_case netlink_test_cases[] = {
	KUNIT_CASE_PARAM(netlink_test_rejects, bad_gen_params),
	KUNIT_CASE(netlink_test_staged_replace),
	KUNIT_CASE(netlink_test_refused_part_leaves_nothing),
	KUNIT_CASE(netlink_test_nodeport_cidrs),
	KUNIT_CASE(netlink_test_deferred_ct_cleanup),
	{}
};

static struct kunit_suite netlink_test_suite = {
	.name = "kservice_netlink",
	.test_cases = netlink_test_cases,
};

kunit_test_suite(netlink_test_suite);
