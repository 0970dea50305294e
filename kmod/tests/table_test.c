// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the service tables. Each case starts from an empty table with its
 * own mutex and leaves it flushed.
 */

#include <kunit/test.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include <net/netlink.h>

#include "kservice.h"
#include "net.h"
#include "sched.h"
#include "table.h"

struct table_fixture {
	struct mutex lock;		/* the table's writers' lock */
	struct ksvc_table tab;
};

static int table_test_init(struct kunit *test)
{
	struct table_fixture *f;
	int ret;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	ret = ksvc_table_init(&f->tab, &f->lock);
	if (ret)
		return ret;
	test->priv = f;
	return 0;
}

static void table_test_exit(struct kunit *test)
{
	struct table_fixture *f = test->priv;

	mutex_lock(&f->lock);
	ksvc_table_destroy(&f->tab);
	mutex_unlock(&f->lock);
	mutex_destroy(&f->lock);
}

static union nf_inet_addr addr4(const char *s)
{
	union nf_inet_addr a = {};

	in4_pton(s, -1, (u8 *)&a.ip, -1, NULL);
	return a;
}

static union nf_inet_addr addr6(const char *s)
{
	union nf_inet_addr a = {};

	in6_pton(s, -1, (u8 *)&a.in6, -1, NULL);
	return a;
}

static struct ksvc_fe_key fe_key(u8 family, const union nf_inet_addr *addr,
				 u8 proto, u16 port)
{
	struct ksvc_fe_key key = {};

	key.addr = *addr;
	key.family = family;
	key.proto = proto;
	key.port = htons(port);
	return key;
}

/* The service an IP frontend leads to, looked up as the packet path does. */
static struct ksvc_service *fe_svc(struct table_fixture *f, u8 family,
				   const union nf_inet_addr *addr, u8 proto,
				   u16 port)
{
	struct ksvc_fe_key key = fe_key(family, addr, proto, port);
	struct ksvc_service *svc = NULL;
	struct ksvc_fe_view v;

	rcu_read_lock();
	if (ksvc_fe_find(&f->tab, &key, &v))
		svc = v.svc;
	rcu_read_unlock();
	return svc;
}

static struct ksvc_service *np_svc(struct table_fixture *f, u8 family,
				   u8 proto, u16 port)
{
	struct ksvc_service *svc = NULL;
	struct ksvc_fe_view v;

	rcu_read_lock();
	if (ksvc_np_find(&f->tab, family, proto, htons(port), &v))
		svc = v.svc;
	rcu_read_unlock();
	return svc;
}

static int add(struct table_fixture *f, struct ksvc_svc_spec *spec)
{
	int ret;

	mutex_lock(&f->lock);
	ret = ksvc_service_add(&f->tab, spec, NULL);
	mutex_unlock(&f->lock);
	return ret;
}

static struct ksvc_service *find(struct table_fixture *f, const char *name)
{
	struct ksvc_service *svc;

	mutex_lock(&f->lock);
	svc = ksvc_service_find(&f->tab, name);
	mutex_unlock(&f->lock);
	return svc;
}

/* A TCP service at port 80 with one IPv4 and one IPv6 cluster IP. */
static void web_spec(struct ksvc_svc_spec *spec, struct ksvc_fe_spec *fes,
		     const char *name, const char *ip4, const char *ip6)
{
	memset(spec, 0, sizeof(*spec));
	memset(fes, 0, 2 * sizeof(*fes));
	fes[0].addr = addr4(ip4);
	fes[0].family = AF_INET;
	fes[0].kind = KSVC_FE_CLUSTER_IP;
	fes[1].addr = addr6(ip6);
	fes[1].family = AF_INET6;
	fes[1].kind = KSVC_FE_CLUSTER_IP;
	spec->name = name;
	spec->proto = IPPROTO_TCP;
	spec->port = 80;
	spec->fes = fes;
	spec->fe_count = 2;
	spec->has = KSVC_SPEC_FRONTENDS;
}

static void be_spec(struct ksvc_be_spec *be, u8 family, const char *addr,
		    u16 port, u32 weight)
{
	memset(be, 0, sizeof(*be));
	be->addr = family == AF_INET ? addr4(addr) : addr6(addr);
	be->family = family;
	be->port = port;
	be->weight = weight;
}

/* Empty table -> one service found by name, by both IPs and by node port. */
static void table_test_insert_lookup(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	union nf_inet_addr ip4 = addr4("10.96.0.10");
	union nf_inet_addr ip6 = addr6("fd00:96::10");
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	struct ksvc_service *svc;

	web_spec(&spec, fes, "default/web:http", "10.96.0.10", "fd00:96::10");
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);

	svc = find(f, "default/web:http");
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_EXPECT_EQ(test, f->tab.count, 1U);
	KUNIT_EXPECT_PTR_EQ(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 80), svc);
	KUNIT_EXPECT_PTR_EQ(test, fe_svc(f, AF_INET6, &ip6, IPPROTO_TCP, 80), svc);
	KUNIT_EXPECT_PTR_EQ(test, np_svc(f, AF_INET, IPPROTO_TCP, 30080), svc);
	KUNIT_EXPECT_PTR_EQ(test, np_svc(f, AF_INET6, IPPROTO_TCP, 30080), svc);
	/* Other protocol, port or family: nothing. */
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip4, IPPROTO_UDP, 80));
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 81));
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET6, &ip4, IPPROTO_TCP, 80));
	KUNIT_EXPECT_NULL(test, np_svc(f, AF_INET, IPPROTO_UDP, 30080));
	KUNIT_EXPECT_NULL(test, find(f, "default/web"));
}

/* A taken name, IP frontend or node port -> -EEXIST, table unchanged. */
static void table_test_duplicate_frontend(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	union nf_inet_addr ip4 = addr4("10.96.0.10");
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	struct ksvc_service *svc;
	u32 gen;

	web_spec(&spec, fes, "default/a", "10.96.0.10", "fd00:96::10");
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	svc = find(f, "default/a");
	gen = f->tab.gen;

	/* Same name, nothing else in common. */
	web_spec(&spec, fes, "default/a", "10.96.0.11", "fd00:96::11");
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);
	/* Same IPv6 cluster IP, at the same protocol and port. */
	web_spec(&spec, fes, "default/b", "10.96.0.11", "fd00:96::10");
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);
	/* Same node port. */
	web_spec(&spec, fes, "default/b", "10.96.0.11", "fd00:96::11");
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_NODE_PORT;
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);
	/* The same address twice in one list. */
	web_spec(&spec, fes, "default/b", "10.96.0.12", "fd00:96::12");
	fes[1] = fes[0];
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);

	KUNIT_EXPECT_EQ(test, f->tab.count, 1U);
	KUNIT_EXPECT_EQ(test, f->tab.gen, gen);
	KUNIT_EXPECT_NULL(test, find(f, "default/b"));
	KUNIT_EXPECT_PTR_EQ(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 80), svc);
	KUNIT_EXPECT_PTR_EQ(test, np_svc(f, AF_INET, IPPROTO_TCP, 30080), svc);

	/* Same address at another protocol is another frontend. */
	web_spec(&spec, fes, "default/c", "10.96.0.10", "fd00:96::10");
	spec.proto = IPPROTO_UDP;
	KUNIT_EXPECT_EQ(test, add(f, &spec), 0);
}

/* One service -> deleted: no name, no frontend, no node port left. */
static void table_test_delete(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	union nf_inet_addr ip4 = addr4("10.96.0.10");
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	struct ksvc_service *svc;

	web_spec(&spec, fes, "default/web", "10.96.0.10", "fd00:96::10");
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	svc = find(f, "default/web");
	KUNIT_ASSERT_NOT_NULL(test, svc);

	mutex_lock(&f->lock);
	ksvc_service_del(&f->tab, svc);
	mutex_unlock(&f->lock);

	KUNIT_EXPECT_EQ(test, f->tab.count, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&f->tab.services));
	KUNIT_EXPECT_NULL(test, find(f, "default/web"));
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 80));
	KUNIT_EXPECT_NULL(test, np_svc(f, AF_INET, IPPROTO_TCP, 30080));
	/* The name and the frontends are free again. */
	KUNIT_EXPECT_EQ(test, add(f, &spec), 0);
}

/* Port 80 -> 8080 and a new frontend list: old keys gone, new ones found. */
static void table_test_set_moves_frontends(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	union nf_inet_addr ip4 = addr4("10.96.0.10");
	union nf_inet_addr ext = addr4("198.51.100.7");
	struct ksvc_fe_spec fes[2], nfes[1];
	struct ksvc_svc_spec spec, set;
	struct ksvc_service *svc;
	int ret;

	web_spec(&spec, fes, "default/web", "10.96.0.10", "fd00:96::10");
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	svc = find(f, "default/web");

	memset(&set, 0, sizeof(set));
	set.port = 8080;
	set.node_port = 0;
	set.has = KSVC_SPEC_PORT | KSVC_SPEC_NODE_PORT;
	mutex_lock(&f->lock);
	ret = ksvc_service_set(&f->tab, svc, &set, NULL);
	mutex_unlock(&f->lock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 80));
	KUNIT_EXPECT_PTR_EQ(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 8080), svc);
	KUNIT_EXPECT_NULL(test, np_svc(f, AF_INET, IPPROTO_TCP, 30080));
	KUNIT_EXPECT_EQ(test, svc->fe_count, 2U);

	memset(nfes, 0, sizeof(nfes));
	nfes[0].addr = ext;
	nfes[0].family = AF_INET;
	nfes[0].kind = KSVC_FE_EXTERNAL_IP;
	set.fes = nfes;
	set.fe_count = 1;
	set.has = KSVC_SPEC_FRONTENDS;
	mutex_lock(&f->lock);
	ret = ksvc_service_set(&f->tab, svc, &set, NULL);
	mutex_unlock(&f->lock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip4, IPPROTO_TCP, 8080));
	KUNIT_EXPECT_PTR_EQ(test, fe_svc(f, AF_INET, &ext, IPPROTO_TCP, 8080), svc);
	KUNIT_EXPECT_EQ(test, svc->fe_count, 1U);
}

/* A set -> replaced: the new one is published, counters of kept backends stay. */
static void table_test_replace_backends(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	struct ksvc_be_spec bes[3];
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	struct ksvc_service *svc;
	struct ksvc_beset *set;
	struct ksvc_stats *kept;
	int ret, i;

	web_spec(&spec, fes, "default/web", "10.96.0.10", "fd00:96::10");
	be_spec(&bes[0], AF_INET, "10.244.1.11", 8080, 1);
	be_spec(&bes[1], AF_INET, "10.244.1.12", 8080, 1);
	spec.bes = bes;
	spec.be_count = 2;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	svc = find(f, "default/web");

	mutex_lock(&f->lock);
	set = ksvc_service_backends(&f->tab, svc);
	KUNIT_EXPECT_EQ(test, set->count, 2U);
	kept = set->be[1].stats;

	/* Keep .12, drop .11, add an IPv6 backend. */
	be_spec(&bes[0], AF_INET6, "fd00:244:1::13", 8080, 2);
	ret = ksvc_backends_replace(&f->tab, svc, bes, 2, NULL);
	KUNIT_EXPECT_EQ(test, ret, 0);
	set = ksvc_service_backends(&f->tab, svc);
	KUNIT_EXPECT_EQ(test, set->count, 2U);
	i = ksvc_beset_find(set, AF_INET, &bes[1].addr, htons(8080));
	KUNIT_EXPECT_GE(test, i, 0);
	if (i >= 0)
		KUNIT_EXPECT_PTR_EQ(test, set->be[i].stats, kept);
	KUNIT_EXPECT_EQ(test, set->pool[0].total, 1U);
	KUNIT_EXPECT_EQ(test, set->pool[1].total, 2U);

	/* A duplicate (address, port) is refused and changes nothing. */
	bes[2] = bes[1];
	ret = ksvc_backends_replace(&f->tab, svc, bes, 3, NULL);
	KUNIT_EXPECT_EQ(test, ret, -EEXIST);
	KUNIT_EXPECT_PTR_EQ(test, ksvc_service_backends(&f->tab, svc), set);

	/* One backend added, then removed again; a missing one is -ENOENT. */
	be_spec(&bes[2], AF_INET, "10.244.1.14", 8080, 1);
	KUNIT_EXPECT_EQ(test, ksvc_backend_add(&f->tab, svc, &bes[2], NULL), 0);
	KUNIT_EXPECT_EQ(test, ksvc_backend_add(&f->tab, svc, &bes[2], NULL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, ksvc_service_backends(&f->tab, svc)->count, 3U);
	KUNIT_EXPECT_EQ(test, ksvc_backend_del(&f->tab, svc, &bes[2], NULL), 0);
	KUNIT_EXPECT_EQ(test, ksvc_backend_del(&f->tab, svc, &bes[2], NULL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, ksvc_service_backends(&f->tab, svc)->count, 2U);

	/* An empty set is a set: new connections get refused. */
	KUNIT_EXPECT_EQ(test, ksvc_backends_replace(&f->tab, svc, NULL, 0, NULL),
			0);
	set = ksvc_service_backends(&f->tab, svc);
	KUNIT_EXPECT_EQ(test, set->count, 0U);
	KUNIT_EXPECT_NULL(test, ksvc_sched_pick(KSVC_SCHED_RANDOM, set, AF_INET,
						&svc->rr[0]));
	mutex_unlock(&f->lock);
}

/*
 * A reader's set -> replaced under it: the reader's set is another object,
 * untouched, until a grace period ends. The test is that reader: it holds
 * rcu_read_lock() from before the swap until it has looked at the old set,
 * so no grace period can free it meanwhile. Only the swap runs inside; the
 * replace's allocations, which may sleep, come before.
 */
static void table_test_swap_keeps_old_set(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	struct ksvc_be_spec bes[2];
	struct ksvc_fe_spec fes[2];
	struct ksvc_backend snap[2];
	struct ksvc_svc_spec spec;
	struct ksvc_beset *old, *cur;
	struct ksvc_conf *conf;
	struct ksvc_service *svc;
	u32 old_count, old_total, cur_count;
	int same;

	web_spec(&spec, fes, "default/web", "10.96.0.10", "fd00:96::10");
	be_spec(&bes[0], AF_INET, "10.244.1.11", 8080, 1);
	be_spec(&bes[1], AF_INET, "10.244.1.12", 8080, 3);
	spec.bes = bes;
	spec.be_count = 2;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	svc = find(f, "default/web");
	KUNIT_ASSERT_NOT_NULL(test, svc);

	be_spec(&bes[0], AF_INET, "10.244.1.13", 9090, 7);
	mutex_lock(&f->lock);
	conf = ksvc_backends_prepare(&f->tab, svc, bes, 1, NULL);
	if (IS_ERR(conf)) {
		mutex_unlock(&f->lock);
		KUNIT_FAIL(test, "ksvc_backends_prepare: %ld", PTR_ERR(conf));
		return;
	}

	/* No KUNIT_EXPECT in here: a failing one allocates, and may sleep. */
	rcu_read_lock();
	old = rcu_dereference(svc->conf)->set;
	memcpy(snap, old->be, sizeof(snap));
	ksvc_backends_commit(&f->tab, svc, conf);
	old_count = old->count;
	same = memcmp(old->be, snap, sizeof(snap));
	old_total = old->pool[0].total;
	rcu_read_unlock();

	cur = ksvc_service_backends(&f->tab, svc);
	cur_count = cur->count;
	mutex_unlock(&f->lock);

	KUNIT_EXPECT_PTR_EQ(test, cur, conf->set);
	KUNIT_EXPECT_PTR_NE(test, cur, old);
	KUNIT_EXPECT_EQ(test, cur_count, 1U);
	KUNIT_EXPECT_EQ(test, old_count, 2U);
	KUNIT_EXPECT_EQ(test, same, 0);
	KUNIT_EXPECT_EQ(test, old_total, 4U);
}

/* Empty table -> 8192 services: every frontend and node port still found. */
static void table_test_growth(struct kunit *test)
{
	const unsigned int n = 8192;
	struct table_fixture *f = test->priv;
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	union nf_inet_addr ip;
	char name[32], a4[16], a6[40];
	unsigned int i, found = 0, np_found = 0;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ns/svc-%u", i);
		snprintf(a4, sizeof(a4), "10.96.%u.%u", i / 256, i % 256);
		snprintf(a6, sizeof(a6), "fd00:96::%x", i);
		web_spec(&spec, fes, name, a4, a6);
		spec.node_port = 30000 + (i % 2000);
		spec.proto = i < 2000 ? IPPROTO_TCP : IPPROTO_UDP;
		spec.has |= i < 4000 ? KSVC_SPEC_NODE_PORT : 0;
		KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	}
	KUNIT_EXPECT_EQ(test, f->tab.count, n);
	for (i = 0; i < n; i++) {
		struct ksvc_service *svc;
		u8 proto = i < 2000 ? IPPROTO_TCP : IPPROTO_UDP;

		snprintf(name, sizeof(name), "ns/svc-%u", i);
		svc = find(f, name);
		snprintf(a4, sizeof(a4), "10.96.%u.%u", i / 256, i % 256);
		ip = addr4(a4);
		if (svc && fe_svc(f, AF_INET, &ip, proto, 80) == svc)
			found++;
		if (i < 4000 && svc && np_svc(f, AF_INET6, proto, 30000 + (i % 2000)) == svc)
			np_found++;
	}
	KUNIT_EXPECT_EQ(test, found, n);
	KUNIT_EXPECT_EQ(test, np_found, 4000U);
	ip = addr4("10.96.200.200");
	KUNIT_EXPECT_NULL(test, fe_svc(f, AF_INET, &ip, IPPROTO_TCP, 80));
}

static u64 mem(struct table_fixture *f)
{
	u64 bytes;

	mutex_lock(&f->lock);
	bytes = ksvc_table_mem(&f->tab);
	mutex_unlock(&f->lock);
	return bytes;
}

/*
 * Empty table -> its buckets only; a service with two frontends and 100
 * backends -> at least what those take; a set of 1000 -> more; the service
 * deleted -> the empty table's figure again.
 */
static void table_test_memory(struct kunit *test)
{
	const unsigned int n = 1000;
	struct table_fixture *f = test->priv;
	struct ksvc_be_spec *bes;
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	char a[16];
	u64 empty, small, big;
	unsigned int i;
	int ret;

	bes = kunit_kcalloc(test, n, sizeof(*bes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bes);
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "10.244.%u.%u", i / 256, i % 256);
		be_spec(&bes[i], AF_INET, a, 8080, 1);
	}
	empty = mem(f);
	KUNIT_EXPECT_GT(test, empty, 0ULL);

	web_spec(&spec, fes, "default/web", "10.96.0.10", "fd00:96::10");
	spec.bes = bes;
	spec.be_count = 100;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	small = mem(f);
	KUNIT_EXPECT_GE(test, small - empty,
			(u64)(sizeof(struct ksvc_service) + 2 * sizeof(struct ksvc_fe) +
			      100 * sizeof(struct ksvc_backend)));

	mutex_lock(&f->lock);
	ret = ksvc_backends_replace(&f->tab, ksvc_service_find(&f->tab, "default/web"),
				    bes, n, NULL);
	mutex_unlock(&f->lock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	big = mem(f);
	KUNIT_EXPECT_GE(test, big - small,
			(u64)(900 * sizeof(struct ksvc_backend)));

	mutex_lock(&f->lock);
	ksvc_service_del(&f->tab, ksvc_service_find(&f->tab, "default/web"));
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ(test, mem(f), empty);
}

/* The count kept as the table changes against a walk's recount. */
static void expect_mem(struct kunit *test, struct table_fixture *f,
		       const char *after)
{
	u64 kept, walked;

	mutex_lock(&f->lock);
	kept = f->tab.mem;
	walked = ksvc_table_mem_recount(&f->tab);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ_MSG(test, kept, walked, "after %s", after);
}

static struct ksvc_cidrs *ranges_new(struct kunit *test, u32 n)
{
	struct ksvc_cidrs *c;
	u32 i;

	c = kzalloc(struct_size(c, cidr, n), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c);
	c->count = n;
	for (i = 0; i < n; i++) {
		c->cidr[i].family = AF_INET;
		c->cidr[i].addr.ip = htonl(0xc6336400 + (i << 8));
		c->cidr[i].prefixlen = 24;
	}
	return c;
}

static int set_svc(struct table_fixture *f, const char *name,
		   const struct ksvc_svc_spec *spec)
{
	int ret;

	mutex_lock(&f->lock);
	ret = ksvc_service_set(&f->tab, ksvc_service_find(&f->tab, name), spec,
			       NULL);
	mutex_unlock(&f->lock);
	return ret;
}

static int send_part(struct table_fixture *f, const char *name,
		     const struct ksvc_be_spec *bes, u32 count, u32 flags,
		     u32 portid)
{
	int ret;

	mutex_lock(&f->lock);
	ret = ksvc_backends_part(&f->tab, ksvc_service_find(&f->tab, name),
				 bes, count, flags, portid, NULL, NULL);
	mutex_unlock(&f->lock);
	return ret;
}

/*
 * Services added, changed and deleted in every way a request can, sets
 * sent whole and in parts, requests refused at each step -> after each,
 * the memory count kept as the table changed equals a walk's recount.
 */
static void table_test_memory_count(struct kunit *test)
{
	const unsigned int n = 300, more = KSVC_REQ_F_MORE,
			   cont = KSVC_REQ_F_CONTINUE;
	struct table_fixture *f = test->priv;
	unsigned int max = ksvc_max_backends, i;
	struct ksvc_fe_spec fes[2], nfes[2];
	struct ksvc_svc_spec spec, chg;
	struct ksvc_service *svc;
	struct ksvc_be_spec *bes;
	char a[16];
	int ret;

	bes = kunit_kcalloc(test, n, sizeof(*bes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bes);
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "10.244.%u.%u", i / 256, i % 256);
		be_spec(&bes[i], AF_INET, a, 8080, 1 + i % 3);
	}
	expect_mem(test, f, "nothing");

	web_spec(&spec, fes, "default/a", "10.96.0.10", "fd00:96::10");
	spec.bes = bes;
	spec.be_count = 100;
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_BACKENDS | KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	expect_mem(test, f, "an add");

	web_spec(&spec, fes, "default/b", "10.96.0.11", "fd00:96::11");
	spec.ranges = ranges_new(test, 3);
	spec.has |= KSVC_SPEC_SOURCE_RANGES;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	expect_mem(test, f, "an add with ranges");

	/* Refused: a taken name, a taken address, too many backends. */
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);
	web_spec(&spec, fes, "default/c", "10.96.0.12", "fd00:96::11");
	spec.bes = bes;
	spec.be_count = 50;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_EXPECT_EQ(test, add(f, &spec), -EEXIST);
	web_spec(&spec, fes, "default/c", "10.96.0.12", "fd00:96::12");
	spec.bes = bes;
	spec.be_count = 50;
	spec.has |= KSVC_SPEC_BACKENDS;
	ksvc_max_backends = 10;
	KUNIT_EXPECT_EQ(test, add(f, &spec), -E2BIG);
	ksvc_max_backends = max;
	expect_mem(test, f, "refused adds");

	mutex_lock(&f->lock);
	svc = ksvc_service_find(&f->tab, "default/a");
	ret = ksvc_backends_replace(&f->tab, svc, bes, n, NULL);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_mem(test, f, "a replace");

	/* New frontends, port, no node port, ranges, Maglev: all at once. */
	memset(&chg, 0, sizeof(chg));
	memset(nfes, 0, sizeof(nfes));
	nfes[0].addr = addr4("198.51.100.7");
	nfes[0].family = AF_INET;
	nfes[0].kind = KSVC_FE_LOAD_BALANCER_IP;
	nfes[1].addr = addr4("10.96.0.20");
	nfes[1].family = AF_INET;
	nfes[1].kind = KSVC_FE_CLUSTER_IP;
	chg.fes = nfes;
	chg.fe_count = 2;
	chg.port = 8080;
	chg.node_port = 0;
	chg.sched = KSVC_SCHED_MAGLEV;
	chg.ranges = ranges_new(test, 2);
	chg.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_PORT | KSVC_SPEC_NODE_PORT |
		  KSVC_SPEC_SCHED | KSVC_SPEC_SOURCE_RANGES;
	KUNIT_ASSERT_EQ(test, set_svc(f, "default/a", &chg), 0);
	expect_mem(test, f, "a set of everything");

	/* Refused: an address of default/b; then ranges dropped, random. */
	chg.ranges = NULL;
	nfes[1].addr = addr4("10.96.0.11");
	chg.port = 80;
	KUNIT_EXPECT_EQ(test, set_svc(f, "default/a", &chg), -EEXIST);
	expect_mem(test, f, "a refused set");
	memset(&chg, 0, sizeof(chg));
	chg.sched = KSVC_SCHED_RANDOM;
	chg.has = KSVC_SPEC_SCHED | KSVC_SPEC_SOURCE_RANGES;
	KUNIT_ASSERT_EQ(test, set_svc(f, "default/a", &chg), 0);
	expect_mem(test, f, "a set dropping tables and ranges");

	/* A set in three parts; the stage grows, then goes with the swap. */
	ret = send_part(f, "default/b", bes, 40, more, 1);
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_mem(test, f, "a first part");
	ret = send_part(f, "default/b", bes + 40, 100, more | cont, 1);
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_mem(test, f, "a second part");
	ret = send_part(f, "default/b", bes + 140, 160, cont, 1);
	KUNIT_EXPECT_EQ(test, ret, 0);
	expect_mem(test, f, "a last part");

	/* Staged, discarded by another first part, refused, dropped. */
	KUNIT_EXPECT_EQ(test, send_part(f, "default/b", bes, 100, more, 1), 0);
	KUNIT_EXPECT_EQ(test, send_part(f, "default/b", bes, 10, more, 2), 0);
	expect_mem(test, f, "a first part over a stage");
	ret = send_part(f, "default/b", bes, 10, more | cont, 1);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	ksvc_max_backends = 20;
	ret = send_part(f, "default/b", bes + 10, 100, cont, 2);
	ksvc_max_backends = max;
	KUNIT_EXPECT_EQ(test, ret, -E2BIG);
	expect_mem(test, f, "a refused part");
	KUNIT_EXPECT_EQ(test, send_part(f, "default/b", bes, 100, more, 2), 0);
	mutex_lock(&f->lock);
	ksvc_stage_drop(&f->tab, ksvc_service_find(&f->tab, "default/b"), 2);
	mutex_unlock(&f->lock);
	expect_mem(test, f, "a dropped stage");

	/* One backend in, one out; a service deleted with a stage. */
	mutex_lock(&f->lock);
	svc = ksvc_service_find(&f->tab, "default/a");
	KUNIT_EXPECT_EQ(test, ksvc_backend_add(&f->tab, svc, &bes[0], NULL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, ksvc_backend_del(&f->tab, svc, &bes[0], NULL), 0);
	KUNIT_EXPECT_EQ(test, ksvc_backend_add(&f->tab, svc, &bes[0], NULL), 0);
	mutex_unlock(&f->lock);
	expect_mem(test, f, "a backend deleted and added");
	KUNIT_EXPECT_EQ(test, send_part(f, "default/a", bes, 100, more, 3), 0);
	mutex_lock(&f->lock);
	ksvc_service_del(&f->tab, ksvc_service_find(&f->tab, "default/a"));
	mutex_unlock(&f->lock);
	expect_mem(test, f, "a delete");

	mutex_lock(&f->lock);
	ksvc_table_flush(&f->tab);
	mutex_unlock(&f->lock);
	expect_mem(test, f, "a flush");
	KUNIT_EXPECT_EQ(test, f->tab.mem, 0ULL);
}

/* @n services "ns/y-<i>" without frontends or backends. */
static void add_many(struct kunit *test, struct table_fixture *f,
		     unsigned int n)
{
	struct ksvc_svc_spec spec = {};
	char name[32];
	unsigned int i;

	spec.name = name;
	spec.proto = IPPROTO_TCP;
	spec.port = 80;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "ns/y-%u", i);
		KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	}
}

/* 1000 services -> flushed: the flush gave the CPU up once per service. */
static void table_test_flush_yields(struct kunit *test)
{
	const unsigned int n = 1000;
	struct table_fixture *f = test->priv;
	unsigned long yields;

	add_many(test, f, n);
	mutex_lock(&f->lock);
	yields = ksvc_yields();
	ksvc_table_flush(&f->tab);
	yields = ksvc_yields() - yields;
	mutex_unlock(&f->lock);
	kunit_info(test, "%lu yields flushing %u services\n", yields, n);
	KUNIT_EXPECT_EQ(test, f->tab.count, 0U);
	KUNIT_EXPECT_GE(test, yields, (unsigned long)n);
}

/* 1000 services -> the table destroyed (namespace exit): the same. */
static void table_test_destroy_yields(struct kunit *test)
{
	const unsigned int n = 1000;
	struct table_fixture *f = test->priv;
	unsigned long yields;
	int ret;

	add_many(test, f, n);
	mutex_lock(&f->lock);
	yields = ksvc_yields();
	ksvc_table_destroy(&f->tab);
	yields = ksvc_yields() - yields;
	/* The fixture's exit destroys it again: an empty one, then. */
	ret = ksvc_table_init(&f->tab, &f->lock);
	mutex_unlock(&f->lock);
	KUNIT_ASSERT_EQ(test, ret, 0);
	kunit_info(test, "%lu yields destroying %u services\n", yields, n);
	KUNIT_EXPECT_GE(test, yields, (unsigned long)n);
}

/*
 * A service with 8192 backends -> deleted: the release of its set yields
 * once per KSVC_YIELD_BACKENDS of them, a set may be max_backends long.
 */
static void table_test_delete_set_yields(struct kunit *test)
{
	const unsigned int n = 8192;
	struct table_fixture *f = test->priv;
	struct ksvc_be_spec *bes;
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	unsigned long yields;
	unsigned int i;
	char a[16];

	bes = kunit_kcalloc(test, n, sizeof(*bes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bes);
	for (i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "10.244.%u.%u", i / 256, i % 256);
		be_spec(&bes[i], AF_INET, a, 8080, 1);
	}
	web_spec(&spec, fes, "default/big", "10.96.0.10", "fd00:96::10");
	spec.bes = bes;
	spec.be_count = n;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);

	mutex_lock(&f->lock);
	yields = ksvc_yields();
	ksvc_service_del(&f->tab, ksvc_service_find(&f->tab, "default/big"));
	yields = ksvc_yields() - yields;
	mutex_unlock(&f->lock);
	kunit_info(test, "%lu yields deleting %u backends\n", yields, n);
	KUNIT_EXPECT_GE(test, yields, (unsigned long)(n / KSVC_YIELD_BACKENDS));
}

/*
 * Services with frontends, node ports, ranges and sets -> the memory
 * figure is kept as they change, not walked: with the list of services
 * out of its sight it stays the same.
 */
static void table_test_memory_no_walk(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	struct ksvc_be_spec bes[2];
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;
	LIST_HEAD(hidden);
	u64 seen, unseen;

	be_spec(&bes[0], AF_INET, "10.244.1.11", 8080, 1);
	be_spec(&bes[1], AF_INET6, "fd00:244:1::12", 8080, 1);
	web_spec(&spec, fes, "default/a", "10.96.0.10", "fd00:96::10");
	spec.bes = bes;
	spec.be_count = 2;
	spec.node_port = 30080;
	spec.has |= KSVC_SPEC_BACKENDS | KSVC_SPEC_NODE_PORT;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	web_spec(&spec, fes, "default/b", "10.96.0.11", "fd00:96::11");
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);

	mutex_lock(&f->lock);
	seen = ksvc_table_mem(&f->tab);
	list_splice_init(&f->tab.services, &hidden);
	unseen = ksvc_table_mem(&f->tab);
	list_splice(&hidden, &f->tab.services);
	mutex_unlock(&f->lock);
	KUNIT_EXPECT_EQ(test, unseen, seen);
}

/* Limits: max_services reached -> -ENOSPC. */
static void table_test_max_services(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	unsigned int saved = ksvc_max_services;
	struct ksvc_fe_spec fes[2];
	struct ksvc_svc_spec spec;

	ksvc_max_services = 1;
	web_spec(&spec, fes, "default/a", "10.96.0.10", "fd00:96::10");
	KUNIT_EXPECT_EQ(test, add(f, &spec), 0);
	web_spec(&spec, fes, "default/b", "10.96.0.11", "fd00:96::11");
	KUNIT_EXPECT_EQ(test, add(f, &spec), -ENOSPC);
	ksvc_max_services = saved;
	KUNIT_EXPECT_EQ(test, add(f, &spec), 0);
}

/*
 * What a packet to one key sees, looked up as the packet path does: the
 * frontend's kind and its service's configuration.
 */
struct seen {
	bool found;
	u8 kind;
	bool ranged;
	u32 flags;
	u32 affinity;
	u32 backends;
};

/* Keys 0-2: IP frontends; key 3: the node port. */
#define WATCH_KEYS	4

static struct {
	struct ksvc_fe_key key[WATCH_KEYS];
	struct seen seen[8][WATCH_KEYS];
	unsigned int steps;
} watch;

static void look(struct ksvc_table *tab, struct seen *out)
{
	unsigned int k;

	memset(out, 0, WATCH_KEYS * sizeof(*out));
	rcu_read_lock();
	for (k = 0; k < WATCH_KEYS; k++) {
		const struct ksvc_fe_key *key = &watch.key[k];
		struct ksvc_fe_view v;

		out[k].found = k < WATCH_KEYS - 1 ?
			       ksvc_fe_find(tab, key, &v) :
			       ksvc_np_find(tab, key->family, key->proto,
					    key->port, &v);
		if (!out[k].found)
			continue;
		out[k].kind = v.kind;
		out[k].ranged = v.conf->ranges;
		out[k].flags = v.conf->flags;
		out[k].affinity = v.conf->affinity;
		out[k].backends = v.conf->set->count;
	}
	rcu_read_unlock();
}

/* ksvc_change_step: runs inside the change, the writers' lock held. */
static void watch_step(struct ksvc_table *tab)
{
	if (watch.steps < ARRAY_SIZE(watch.seen))
		look(tab, watch.seen[watch.steps]);
	watch.steps++;
}

/* Each step of the last change showed each key as before it or after it. */
static void expect_whole(struct kunit *test, const struct seen *before,
			 const struct seen *after, const char *change)
{
	unsigned int step, k;

	KUNIT_EXPECT_GE_MSG(test, watch.steps, 3U, "%s: steps", change);
	KUNIT_ASSERT_LE(test, watch.steps, ARRAY_SIZE(watch.seen));
	for (k = 0; k < WATCH_KEYS; k++)
		KUNIT_EXPECT_NE_MSG(test, memcmp(&before[k], &after[k],
						 sizeof(before[k])), 0,
				    "%s: key %u does not change", change, k);
	for (step = 0; step < watch.steps; step++) {
		for (k = 0; k < WATCH_KEYS; k++) {
			const struct seen *s = &watch.seen[step][k];

			KUNIT_EXPECT_TRUE_MSG(test,
					      !memcmp(s, &before[k], sizeof(*s)) ||
					      !memcmp(s, &after[k], sizeof(*s)),
					      "%s, step %u, key %u: found %d, kind %u, ranges %d, flags %#x, affinity %u, %u backends",
					      change, step, k, s->found, s->kind,
					      s->ranged, s->flags, s->affinity,
					      s->backends);
		}
	}
}

/*
 * A change seen by packets between its steps: every key leads to the
 * service as it was before or as it is after, never a mix (a new load
 * balancer IP without its source ranges, an address of a new kind with
 * the old flags). There and back: a kept key whose kind changes, a key
 * that comes and goes, a node port, with the set, flags, affinity and
 * ranges changing in the same request.
 */
static void table_test_change_is_atomic(struct kunit *test)
{
	struct table_fixture *f = test->priv;
	struct seen before[WATCH_KEYS], there[WATCH_KEYS], back[WATCH_KEYS];
	struct ksvc_svc_spec spec, chg;
	struct ksvc_fe_spec fes[3];
	struct ksvc_be_spec bes[3];
	union nf_inet_addr lb = addr4("198.51.100.10");
	union nf_inet_addr ext = addr4("192.0.2.10");
	union nf_inet_addr cip = addr4("10.96.0.10");

	memset(&watch, 0, sizeof(watch));
	watch.key[0] = fe_key(AF_INET, &cip, IPPROTO_TCP, 80);
	watch.key[1] = fe_key(AF_INET, &ext, IPPROTO_TCP, 80);
	watch.key[2] = fe_key(AF_INET, &lb, IPPROTO_TCP, 80);
	watch.key[3].family = AF_INET;
	watch.key[3].proto = IPPROTO_TCP;
	watch.key[3].port = htons(30080);

	/* Before: a cluster IP and an external IP, two backends. */
	web_spec(&spec, fes, "default/lb", "10.96.0.10", "fd00:96::10");
	fes[1].addr = ext;
	fes[1].family = AF_INET;
	fes[1].kind = KSVC_FE_EXTERNAL_IP;
	be_spec(&bes[0], AF_INET, "10.244.1.11", 8080, 1);
	be_spec(&bes[1], AF_INET, "10.244.1.12", 8080, 1);
	be_spec(&bes[2], AF_INET, "10.244.1.13", 8080, 1);
	spec.bes = bes;
	spec.be_count = 2;
	spec.has |= KSVC_SPEC_BACKENDS;
	KUNIT_ASSERT_EQ(test, add(f, &spec), 0);
	look(&f->tab, before);

	/* After: the external IP is a load balancer IP, plus a new one. */
	memset(&chg, 0, sizeof(chg));
	chg.has = KSVC_SPEC_FRONTENDS | KSVC_SPEC_BACKENDS | KSVC_SPEC_FLAGS |
		  KSVC_SPEC_AFFINITY | KSVC_SPEC_SOURCE_RANGES |
		  KSVC_SPEC_NODE_PORT;
	fes[1].kind = KSVC_FE_LOAD_BALANCER_IP;
	fes[2].addr = lb;
	fes[2].family = AF_INET;
	fes[2].kind = KSVC_FE_LOAD_BALANCER_IP;
	chg.fes = fes;
	chg.fe_count = 3;
	chg.bes = bes;
	chg.be_count = 3;
	chg.flags = KSVC_SVC_F_EXTERNAL_LOCAL;
	chg.affinity = 60;
	chg.ranges = ranges_new(test, 1);
	chg.node_port = 30080;
	watch.steps = 0;
	WRITE_ONCE(ksvc_change_step, watch_step);
	KUNIT_EXPECT_EQ(test, set_svc(f, "default/lb", &chg), 0);
	WRITE_ONCE(ksvc_change_step, NULL);
	look(&f->tab, there);
	KUNIT_EXPECT_TRUE(test, there[2].found && there[2].ranged);
	KUNIT_EXPECT_EQ(test, there[1].kind, KSVC_FE_LOAD_BALANCER_IP);
	KUNIT_EXPECT_TRUE(test, there[3].found);
	expect_whole(test, before, there, "there");

	/* And back, the ranges and the node port dropped. */
	fes[1].kind = KSVC_FE_EXTERNAL_IP;
	chg.fe_count = 2;
	chg.be_count = 2;
	chg.flags = 0;
	chg.affinity = 0;
	chg.ranges = NULL;
	chg.node_port = 0;
	watch.steps = 0;
	WRITE_ONCE(ksvc_change_step, watch_step);
	KUNIT_EXPECT_EQ(test, set_svc(f, "default/lb", &chg), 0);
	WRITE_ONCE(ksvc_change_step, NULL);
	look(&f->tab, back);
	KUNIT_EXPECT_EQ(test, memcmp(back, before, sizeof(back)), 0);
	expect_whole(test, there, back, "back");
}

static struct kunit_case table_test_cases[] = {
	KUNIT_CASE(table_test_insert_lookup),
	KUNIT_CASE(table_test_duplicate_frontend),
	KUNIT_CASE(table_test_delete),
	KUNIT_CASE(table_test_set_moves_frontends),
	KUNIT_CASE(table_test_replace_backends),
	KUNIT_CASE(table_test_swap_keeps_old_set),
	KUNIT_CASE(table_test_change_is_atomic),
	KUNIT_CASE(table_test_growth),
	KUNIT_CASE(table_test_max_services),
	KUNIT_CASE(table_test_memory),
	KUNIT_CASE(table_test_memory_no_walk),
	KUNIT_CASE(table_test_memory_count),
	KUNIT_CASE(table_test_flush_yields),
	KUNIT_CASE(table_test_destroy_yields),
	KUNIT_CASE(table_test_delete_set_yields),
	{}
};

static struct kunit_suite table_test_suite = {
	.name = "kservice_table",
	.init = table_test_init,
	.exit = table_test_exit,
	.test_cases = table_test_cases,
};

kunit_test_suite(table_test_suite);
