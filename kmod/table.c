// SPDX-License-Identifier: GPL-2.0
/*
 * The service tables of one namespace: services by name, IP frontends by
 * (family, address, protocol, port) and node ports by (family, protocol,
 * port), all rhashtables so 100k services stay O(1) to find, plus each
 * service's backend set.
 *
 * Writers hold the table's mutex and build every new object before the
 * first visible change, so a failed request changes nothing. The packet
 * path only looks frontends up and follows fe->svc->conf under RCU: what
 * leaves the tables is freed after a grace period.
 *
 * A change is atomic to a packet (uapi/linux/kservice.h promises it): the
 * service's whole configuration is one object (struct ksvc_conf), and its
 * frontends carry the generation of the configuration they belong to, so
 * a packet never pairs a frontend with a configuration of another moment.
 * A change, past everything that can fail: (1) inserts the objects of the
 * keys it adds, which read as absent until (3); (2) marks the objects it
 * replaces or removes with their last generation, and swaps or unlinks
 * them; (3) publishes the new configuration; (4) frees what it replaced
 * after a grace period.
 */

#include <linux/jhash.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <net/netlink.h>

#include "kservice.h"
#include "net.h"
#include "sched.h"
#include "stats.h"
#include "table.h"

static u32 name_hashfn(const void *data, u32 len, u32 seed)
{
	return jhash(data, strlen(data), seed);
}

static u32 name_obj_hashfn(const void *data, u32 len, u32 seed)
{
	const struct ksvc_service *svc = data;

	return jhash(svc->name, strlen(svc->name), seed);
}

static int name_obj_cmpfn(struct rhashtable_compare_arg *arg, const void *obj)
{
	const struct ksvc_service *svc = obj;

	return strcmp(svc->name, arg->key);
}

static const struct rhashtable_params name_params = {
	.head_offset = offsetof(struct ksvc_service, name_node),
	.hashfn = name_hashfn,
	.obj_hashfn = name_obj_hashfn,
	.obj_cmpfn = name_obj_cmpfn,
	.automatic_shrinking = true,
};

/* The frontend and the node port tables share their layout. */
static const struct rhashtable_params fe_params = {
	.head_offset = offsetof(struct ksvc_fe, node),
	.key_offset = offsetof(struct ksvc_fe, key),
	.key_len = sizeof(struct ksvc_fe_key),
	.automatic_shrinking = true,
};

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
static atomic_long_t yields = ATOMIC_LONG_INIT(0);

void ksvc_cond_resched(void)
{
	atomic_long_inc(&yields);
	cond_resched();
}

/* Calls to ksvc_cond_resched() since boot, from any context. */
unsigned long ksvc_yields(void)
{
	return atomic_long_read(&yields);
}
#endif

static void table_changed(struct ksvc_table *tab)
{
	/* 0 means "not started" to the dump code: skip it. */
	if (!++tab->gen)
		tab->gen = 1;
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
void (*ksvc_change_step)(struct ksvc_table *tab);

static void change_step(struct ksvc_table *tab)
{
	void (*step)(struct ksvc_table *tab) = READ_ONCE(ksvc_change_step);

	if (step)
		step(tab);
}
#else
static void change_step(struct ksvc_table *tab)
{
}
#endif

static struct ksvc_conf *conf_of(const struct ksvc_table *tab,
				 const struct ksvc_service *svc)
{
	return rcu_dereference_protected(svc->conf, lockdep_is_held(tab->lock));
}

static struct ksvc_beset *backends(const struct ksvc_table *tab,
				   const struct ksvc_service *svc)
{
	return conf_of(tab, svc)->set;
}

/* For dumps, which hold the lock. */
const struct ksvc_conf *ksvc_service_conf(const struct ksvc_table *tab,
					  const struct ksvc_service *svc)
{
	return conf_of(tab, svc);
}

struct ksvc_beset *ksvc_service_backends(const struct ksvc_table *tab,
					 const struct ksvc_service *svc)
{
	return backends(tab, svc);
}

const struct ksvc_cidrs *ksvc_service_ranges(const struct ksvc_table *tab,
					     const struct ksvc_service *svc)
{
	return conf_of(tab, svc)->ranges;
}

/*
 * An allocation as the allocator holds it: the slab object, or the pages
 * of a vmalloc() area of @size bytes. What ksvc_table_mem() reports is the
 * sum of these over what the services hold, kept in tab->mem as objects
 * join and leave them.
 */
static size_t alloc_bytes(const void *p, size_t size)
{
	if (!p)
		return 0;
	if (is_vmalloc_addr(p))
		return PAGE_ALIGN(size);
	return ksize(p);
}

/* The next configuration of @svc: a copy of its current one, to edit. */
static struct ksvc_conf *conf_next(const struct ksvc_table *tab,
				   const struct ksvc_service *svc,
				   struct netlink_ext_ack *extack)
{
	struct ksvc_conf *conf;

	conf = kmemdup(conf_of(tab, svc), sizeof(*conf), GFP_KERNEL_ACCOUNT);
	if (!conf) {
		NL_SET_ERR_MSG(extack, "Out of memory for the service");
		return NULL;
	}
	conf->gen++;
	return conf;
}

static void set_retire(struct ksvc_table *tab, struct ksvc_service *svc,
		       struct ksvc_beset *old, struct ksvc_beset *set);

/*
 * Step (3) of a change: @conf replaces the configuration of @svc at once.
 * The old one goes after a grace period, with the set and ranges that
 * @conf no longer names.
 */
static void conf_publish(struct ksvc_table *tab, struct ksvc_service *svc,
			 struct ksvc_conf *conf)
{
	struct ksvc_conf *old = conf_of(tab, svc);

	rcu_assign_pointer(svc->conf, conf);
	change_step(tab);
	if (old->set != conf->set)
		set_retire(tab, svc, old->set, conf->set);
	if (old->ranges != conf->ranges) {
		tab->mem -= alloc_bytes(old->ranges, 0);
		tab->mem += alloc_bytes(conf->ranges, 0);
		if (old->ranges)
			kfree_rcu(old->ranges, rcu);
	}
	kfree_rcu(old, rcu);
}

/* ---- backend sets ------------------------------------------------------- */

static int be_key_cmp(const struct ksvc_backend *be, u8 family,
		      const union nf_inet_addr *addr, __be16 port)
{
	int ret;

	if (be->family != family)
		return be->family < family ? -1 : 1;
	ret = memcmp(&be->addr, addr, sizeof(*addr));
	if (ret)
		return ret;
	if (be->port != port)
		return ntohs(be->port) < ntohs(port) ? -1 : 1;
	return 0;
}

static int sorted_cmp(const void *a, const void *b, const void *priv)
{
	const struct ksvc_beset *set = priv;
	const struct ksvc_backend *y = &set->be[*(const u32 *)b];

	return be_key_cmp(&set->be[*(const u32 *)a], y->family, &y->addr,
			  y->port);
}

/* Index into set->be of the backend (family, addr, port), or -ENOENT. */
int ksvc_beset_find(const struct ksvc_beset *set, u8 family,
		    const union nf_inet_addr *addr, __be16 port)
{
	u32 lo = 0, hi = set->count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		int ret;

		ret = be_key_cmp(&set->be[set->sorted[mid]], family, addr, port);
		if (!ret)
			return set->sorted[mid];
		if (ret < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -ENOENT;
}

/*
 * Builds a set without counters: copies the backends in the caller's order,
 * indexes them by (family, address, port) to find duplicates and to match
 * them against another set later, and lets the scheduler precompute its
 * pools. One allocation: the set, its backends and five u32 arrays.
 */
struct ksvc_beset *ksvc_beset_new(const struct ksvc_be_spec *bes, u32 count,
				  struct netlink_ext_ack *extack)
{
	return ksvc_beset_build(bes, count, KSVC_SCHED_RANDOM, extack);
}

/* The one allocation of a set: the backends, then five u32 arrays (sorted
 * and the pools'), then msize-entry Maglev tables, four of them.
 */
static size_t beset_size(u32 count, u32 msize)
{
	return struct_size_t(struct ksvc_beset, be, count) +
	       5 * sizeof(u32) * count + 4 * sizeof(u16) * (size_t)msize;
}

/*
 * The same for a service of scheduler @sched: Maglev's tables, one per
 * pool, come in the same allocation, after the u32 arrays.
 */
struct ksvc_beset *ksvc_beset_build(const struct ksvc_be_spec *bes, u32 count,
				    u8 sched, struct netlink_ext_ack *extack)
{
	u32 msize = sched == KSVC_SCHED_MAGLEV && count ?
		    READ_ONCE(ksvc_maglev_size) : 0;
	struct ksvc_beset *set;
	size_t size;
	u32 i;

	if (count > min_t(u32, READ_ONCE(ksvc_max_backends),
			  KSVC_BACKENDS_LIMIT)) {
		NL_SET_ERR_MSG(extack,
			       "Too many backends (module parameter max_backends)");
		return ERR_PTR(-E2BIG);
	}
	size = struct_size(set, be, count);
	set = kvzalloc(beset_size(count, msize), GFP_KERNEL_ACCOUNT);
	if (!set) {
		NL_SET_ERR_MSG(extack, "Out of memory for the backend set");
		return ERR_PTR(-ENOMEM);
	}
	set->count = count;
	set->sorted = (u32 *)((char *)set + size);
	for (i = 0; i < count; i++) {
		struct ksvc_backend *be = &set->be[i];

		if (bes[i].weight > KSVC_WEIGHT_MAX) {
			NL_SET_ERR_MSG_ATTR(extack, bes[i].nla,
					    "Backend weight out of range");
			kvfree(set);
			return ERR_PTR(-ERANGE);
		}
		if (bes[i].family == AF_INET)
			be->addr.ip = bes[i].addr.ip;
		else
			be->addr.in6 = bes[i].addr.in6;
		be->family = bes[i].family;
		be->port = htons(bes[i].port);
		be->weight = bes[i].weight;
		be->flags = bes[i].flags;
		set->sorted[i] = i;
	}
	sort_r(set->sorted, count, sizeof(u32), sorted_cmp, NULL, set);
	for (i = 1; i < count; i++) {
		u32 a = set->sorted[i - 1], b = set->sorted[i];

		if (!sorted_cmp(&a, &b, set)) {
			NL_SET_ERR_MSG_ATTR(extack, bes[max(a, b)].nla,
					    "Duplicate backend (address, port) in the set");
			kvfree(set);
			return ERR_PTR(-EEXIST);
		}
	}
	ksvc_sched_prepare(set, set->sorted + count);
	if (msize && ksvc_sched_maglev(set, (u16 *)(set->sorted + 5 * count),
				       msize)) {
		NL_SET_ERR_MSG(extack, "Out of memory for the Maglev table");
		kvfree(set);
		return ERR_PTR(-ENOMEM);
	}
	return set;
}

/* Frees a set that was never published; its counters are not touched. */
void ksvc_beset_free(struct ksvc_beset *set)
{
	kvfree(set);
}

/*
 * Drops the counters a never-published set made for itself (those it shares
 * with @old stay). RCU-deferred like every retirement: a rolled-back request
 * may have let packets see them.
 */
static void beset_unlink_stats(struct ksvc_beset *set,
			       const struct ksvc_beset *old)
{
	u32 i;

	for (i = 0; i < set->count; i++) {
		struct ksvc_backend *be = &set->be[i];

		if (!be->stats)
			continue;
		if (!old || ksvc_beset_find(old, be->family, &be->addr,
					    be->port) < 0)
			ksvc_stats_retire(be->stats);
		be->stats = NULL;
	}
}

/* A backend that stays across a replace keeps its counters. */
static int beset_link_stats(struct ksvc_beset *set,
			    const struct ksvc_beset *old)
{
	u32 i;

	for (i = 0; i < set->count; i++) {
		struct ksvc_backend *be = &set->be[i];
		int j = -ENOENT;

		if (old)
			j = ksvc_beset_find(old, be->family, &be->addr, be->port);
		if (j >= 0) {
			be->stats = old->be[j].stats;
			continue;
		}
		be->stats = ksvc_stats_new();
		if (!be->stats) {
			beset_unlink_stats(set, old);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The bytes of a set with its backends' counters, once they are linked. */
static size_t beset_mem(const struct ksvc_beset *set)
{
	size_t bytes = alloc_bytes(set, beset_size(set->count,
						   set->maglev_size));
	u32 i;

	for (i = 0; i < set->count; i++)
		bytes += ksvc_stats_mem(set->be[i].stats);
	return bytes;
}

static struct ksvc_beset *beset_prepare(const struct ksvc_beset *old,
					const struct ksvc_be_spec *bes,
					u32 count, u8 sched,
					struct netlink_ext_ack *extack)
{
	struct ksvc_beset *set;

	set = ksvc_beset_build(bes, count, sched, extack);
	if (IS_ERR(set))
		return set;
	if (beset_link_stats(set, old)) {
		kvfree(set);
		NL_SET_ERR_MSG(extack, "Out of memory for backend counters");
		return ERR_PTR(-ENOMEM);
	}
	/* Counted once here: the swap then adds it in O(1). */
	set->mem = beset_mem(set);
	return set;
}

static void beset_abort(struct ksvc_beset *set, const struct ksvc_beset *old)
{
	beset_unlink_stats(set, old);
	kvfree_rcu(set, rcu);
}

/*
 * Connectionless protocols never end a flow by themselves: their conntrack
 * entries must go when what they were translated to goes.
 */
static bool ct_proto(u8 proto)
{
	return proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

/*
 * Frees a set that left its service, with the counters only it used.
 * Returns how many backends left with it. A set may be max_backends long:
 * with @may_sleep the loop yields as it goes. A swap passes false, as it
 * may run inside an RCU read-side section (see ksvc_backends_prepare()).
 */
static u32 beset_release(struct ksvc_beset *set, const struct ksvc_beset *kept,
			 bool may_sleep)
{
	u32 i, gone = 0;

	for (i = 0; i < set->count; i++) {
		struct ksvc_backend *be = &set->be[i];

		if (!kept || ksvc_beset_find(kept, be->family, &be->addr,
					     be->port) < 0) {
			ksvc_stats_retire(be->stats);
			gone++;
		}
		if (may_sleep && (i + 1) % KSVC_YIELD_BACKENDS == 0)
			ksvc_cond_resched();
	}
	kvfree_rcu(set, rcu);
	return gone;
}

/*
 * After @set replaced @old in the configuration of @svc. A backend that
 * leaves retires its counters at once, which is how ksvc_nat_ct_flush()
 * tells its connections from the others.
 */
static void set_retire(struct ksvc_table *tab, struct ksvc_service *svc,
		       struct ksvc_beset *old, struct ksvc_beset *set)
{
	tab->mem -= old->mem;
	tab->mem += set->mem;
	/* A first backend: flows that came before it were not translated. */
	if (!old->count && set->count && ct_proto(svc->proto))
		tab->ct_stale = true;
	if (beset_release(old, set, false) && ct_proto(svc->proto))
		tab->ct_stale = true;
}

static struct ksvc_be_spec *current_bes(const struct ksvc_beset *set,
					u32 extra);

/* @old again, for scheduler @sched, its counters kept. */
static struct ksvc_beset *beset_rebuild(const struct ksvc_beset *old, u8 sched,
					struct netlink_ext_ack *extack)
{
	struct ksvc_beset *set;
	struct ksvc_be_spec *bes;

	bes = current_bes(old, 0);
	if (!bes && old->count) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return ERR_PTR(-ENOMEM);
	}
	set = beset_prepare(old, bes, old->count, sched, extack);
	kvfree(bes);
	return set;
}

/* ---- frontends ---------------------------------------------------------- */

/* The frontend objects a request wants, built before anything changes. */
struct fe_plan {
	struct ksvc_fe **fes;
	u32 fe_count;
	struct ksvc_fe *np[2];
};

static struct ksvc_fe *fe_own(const struct ksvc_service *svc,
			      const struct ksvc_fe *fe, bool np);

/* A frontend object of @svc for its configuration generation @gen. */
static struct ksvc_fe *fe_new(struct ksvc_service *svc, u8 kind, u8 family,
			      const union nf_inet_addr *addr, u8 proto,
			      u16 port, u64 gen)
{
	const struct ksvc_fe *own;
	struct ksvc_fe *fe;

	fe = kzalloc(sizeof(*fe), GFP_KERNEL_ACCOUNT);
	if (!fe)
		return NULL;
	if (addr && family == AF_INET)
		fe->key.addr.ip = addr->ip;
	else if (addr)
		fe->key.addr.in6 = addr->in6;
	fe->key.port = htons(port);
	fe->key.family = family;
	fe->key.proto = proto;
	fe->svc = svc;
	fe->kind = kind;
	/* Until @gen is published, it reads as the key did before. */
	own = fe_own(svc, fe, kind == KSVC_FE_NODE_PORT);
	fe->prev_kind = own ? own->kind : KSVC_FE_NONE;
	fe->from = gen;
	fe->to = U64_MAX;
	return fe;
}

static void fe_plan_free(struct fe_plan *plan)
{
	u32 i;

	for (i = 0; i < plan->fe_count; i++)
		kfree_rcu(plan->fes[i], rcu);
	kfree(plan->fes);
	for (i = 0; i < ARRAY_SIZE(plan->np); i++)
		if (plan->np[i])
			kfree_rcu(plan->np[i], rcu);
	memset(plan, 0, sizeof(*plan));
}

static int fe_plan_build(struct fe_plan *plan, struct ksvc_service *svc,
			 u8 proto, u16 port, u16 node_port,
			 const struct ksvc_fe_spec *fes, u32 fe_count, u64 gen,
			 struct netlink_ext_ack *extack)
{
	u32 i, j;

	memset(plan, 0, sizeof(*plan));
	if (fe_count > KSVC_FRONTENDS_MAX) {
		NL_SET_ERR_MSG(extack, "Too many frontends");
		return -E2BIG;
	}
	plan->fes = kcalloc(fe_count, sizeof(*plan->fes), GFP_KERNEL_ACCOUNT);
	if (!plan->fes && fe_count)
		goto nomem;
	for (i = 0; i < fe_count; i++) {
		plan->fes[i] = fe_new(svc, fes[i].kind, fes[i].family,
				      &fes[i].addr, proto, port, gen);
		if (!plan->fes[i])
			goto nomem;
		plan->fe_count++;
		for (j = 0; j < i; j++) {
			if (memcmp(&plan->fes[i]->key, &plan->fes[j]->key,
				   sizeof(struct ksvc_fe_key)))
				continue;
			NL_SET_ERR_MSG_ATTR(extack, fes[i].nla,
					    "Duplicate frontend in the list");
			fe_plan_free(plan);
			return -EEXIST;
		}
	}
	if (node_port) {
		/* One node port serves both families, as in Kubernetes. */
		plan->np[0] = fe_new(svc, KSVC_FE_NODE_PORT, AF_INET, NULL,
				     proto, node_port, gen);
		plan->np[1] = fe_new(svc, KSVC_FE_NODE_PORT, AF_INET6, NULL,
				     proto, node_port, gen);
		if (!plan->np[0] || !plan->np[1])
			goto nomem;
	}
	return 0;

nomem:
	fe_plan_free(plan);
	NL_SET_ERR_MSG(extack, "Out of memory for the frontends");
	return -ENOMEM;
}

static bool fe_key_eq(const struct ksvc_fe *a, const struct ksvc_fe *b)
{
	return !memcmp(&a->key, &b->key, sizeof(a->key));
}

/* The object of @svc that holds @fe's key in the same table, if any. */
static struct ksvc_fe *fe_own(const struct ksvc_service *svc,
			      const struct ksvc_fe *fe, bool np)
{
	u32 i;

	if (np) {
		for (i = 0; i < ARRAY_SIZE(svc->np); i++)
			if (svc->np[i] && fe_key_eq(svc->np[i], fe))
				return svc->np[i];
		return NULL;
	}
	for (i = 0; i < svc->fe_count; i++)
		if (fe_key_eq(svc->fes[i], fe))
			return svc->fes[i];
	return NULL;
}

/* The objects of @plan by index: its IP frontends, then its node ports. */
static u32 plan_size(const struct fe_plan *plan)
{
	return plan->fe_count + ARRAY_SIZE(plan->np);
}

static struct ksvc_fe *plan_at(const struct fe_plan *plan, u32 i, bool *np)
{
	*np = i >= plan->fe_count;
	return *np ? plan->np[i - plan->fe_count] : plan->fes[i];
}

static struct rhashtable *fe_table(struct ksvc_table *tab, bool np)
{
	return np ? &tab->nps : &tab->fes;
}

static void fe_plan_unlink(struct ksvc_table *tab, struct ksvc_service *svc,
			   struct fe_plan *plan, u32 upto)
{
	struct ksvc_fe *fe;
	bool np;
	u32 i;

	for (i = 0; i < upto; i++) {
		fe = plan_at(plan, i, &np);
		if (fe && !fe_own(svc, fe, np))
			rhashtable_remove_fast(fe_table(tab, np), &fe->node,
					       fe_params);
	}
}

/*
 * The fallible half of a frontend change: inserts the keys @svc does not
 * hold yet, or undoes its own inserts and fails. Keys @svc already holds
 * are swapped in place by fe_plan_commit(), so they never go missing.
 */
static int fe_plan_insert(struct ksvc_table *tab, struct ksvc_service *svc,
			  struct fe_plan *plan, const struct ksvc_svc_spec *spec,
			  struct netlink_ext_ack *extack)
{
	struct ksvc_fe *fe;
	bool np;
	u32 i;
	int ret;

	for (i = 0; i < plan_size(plan); i++) {
		struct rhashtable *ht;

		fe = plan_at(plan, i, &np);
		if (!fe || fe_own(svc, fe, np))
			continue;
		ht = fe_table(tab, np);
		if (rhashtable_lookup_fast(ht, &fe->key, fe_params)) {
			if (np)
				NL_SET_ERR_MSG_ATTR(extack, spec->node_port_nla,
						    "Node port is used by another service");
			else if (spec->has & KSVC_SPEC_FRONTENDS)
				NL_SET_ERR_MSG_ATTR(extack, spec->fes[i].nla,
						    "Frontend is used by another service");
			else
				NL_SET_ERR_MSG(extack,
					       "A frontend at the new protocol or port is used by another service");
			ret = -EEXIST;
			goto undo;
		}
		ret = rhashtable_lookup_insert_fast(ht, &fe->node, fe_params);
		if (ret) {
			NL_SET_ERR_MSG(extack, "Cannot insert the frontend");
			goto undo;
		}
	}
	change_step(tab);
	return 0;

undo:
	fe_plan_unlink(tab, svc, plan, i);
	return ret;
}

static bool plan_has_key(const struct fe_plan *plan, const struct ksvc_fe *old,
			 bool np)
{
	const struct ksvc_fe *fe;
	bool fe_np;
	u32 i;

	for (i = 0; i < plan_size(plan); i++) {
		fe = plan_at(plan, i, &fe_np);
		if (fe && fe_np == np && fe_key_eq(fe, old))
			return true;
	}
	return false;
}

/*
 * A UDP or SCTP frontend left the tables: ksvc_nat_ct_flush() deletes the
 * entries translated to it. Without room for the key, every translated
 * entry to no frontend of ours is deleted instead (a NAT rule's own
 * translates its next datagram again).
 */
static void gone_add(struct ksvc_table *tab, const struct ksvc_fe_key *key)
{
	struct ksvc_fe_key *keys;
	u32 cap;

	tab->ct_stale = true;
	if (tab->gone_count == tab->gone_cap) {
		cap = max(16U, tab->gone_cap * 2);
		keys = krealloc_array(tab->gone, cap, sizeof(*keys),
				      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
		if (!keys) {
			tab->gone_lost = true;
			return;
		}
		tab->gone = keys;
		tab->gone_cap = cap;
	}
	tab->gone[tab->gone_count++] = *key;
}

void ksvc_table_gone_clear(struct ksvc_table *tab)
{
	kfree(tab->gone);
	tab->gone = NULL;
	tab->gone_count = 0;
	tab->gone_cap = 0;
	tab->gone_lost = false;
}

static void fe_retire(struct ksvc_table *tab, struct ksvc_fe *old, bool np,
		      const struct fe_plan *plan)
{
	if (!plan || !plan_has_key(plan, old, np)) {
		rhashtable_remove_fast(fe_table(tab, np), &old->node, fe_params);
		if (ct_proto(old->key.proto))
			gone_add(tab, &old->key);
	}
	kfree_rcu(old, rcu);
}

/*
 * Step (2) of a change: swap kept keys, drop the others, adopt @plan. Each
 * object that goes first says that configuration @last is its last one:
 * a packet that found it and then a newer configuration looks again.
 */
static void fe_plan_commit(struct ksvc_table *tab, struct ksvc_service *svc,
			   struct fe_plan *plan, u64 last)
{
	struct ksvc_fe *fe, *old;
	bool np;
	u32 i;

	for (i = 0; i < svc->fe_count; i++)
		WRITE_ONCE(svc->fes[i]->to, last);
	for (i = 0; i < ARRAY_SIZE(svc->np); i++)
		if (svc->np[i])
			WRITE_ONCE(svc->np[i]->to, last);
	for (i = 0; i < plan_size(plan); i++) {
		fe = plan_at(plan, i, &np);
		old = fe ? fe_own(svc, fe, np) : NULL;
		if (old)
			WARN_ON(rhashtable_replace_fast(fe_table(tab, np),
							&old->node, &fe->node,
							fe_params));
	}
	/* Replaced objects are out of their tables already. */
	for (i = 0; i < svc->fe_count; i++)
		fe_retire(tab, svc->fes[i], false, plan);
	for (i = 0; i < ARRAY_SIZE(svc->np); i++)
		if (svc->np[i])
			fe_retire(tab, svc->np[i], true, plan);
	kfree(svc->fes);
	svc->fes = plan->fes;
	svc->fe_count = plan->fe_count;
	memcpy(svc->np, plan->np, sizeof(svc->np));
	memset(plan, 0, sizeof(*plan));
	change_step(tab);
}

/* ---- services ----------------------------------------------------------- */

int ksvc_table_init(struct ksvc_table *tab, struct mutex *lock)
{
	int ret;

	tab->lock = lock;
	INIT_LIST_HEAD(&tab->services);
	tab->count = 0;
	tab->mem = 0;
	tab->gen = 1;
	tab->ct_stale = false;
	tab->gone = NULL;
	tab->gone_count = 0;
	tab->gone_cap = 0;
	tab->gone_lost = false;
	ret = rhashtable_init(&tab->names, &name_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&tab->fes, &fe_params);
	if (ret)
		goto err_names;
	ret = rhashtable_init(&tab->nps, &fe_params);
	if (ret)
		goto err_fes;
	return 0;

err_fes:
	rhashtable_destroy(&tab->fes);
err_names:
	rhashtable_destroy(&tab->names);
	return ret;
}

/* With the lock held, and no packet path reader left (namespace exit). */
void ksvc_table_destroy(struct ksvc_table *tab)
{
	ksvc_table_flush(tab);
	ksvc_table_gone_clear(tab);
	rhashtable_destroy(&tab->nps);
	rhashtable_destroy(&tab->fes);
	rhashtable_destroy(&tab->names);
}

struct ksvc_service *ksvc_service_find(struct ksvc_table *tab, const char *name)
{
	lockdep_assert_held(tab->lock);
	return rhashtable_lookup_fast(&tab->names, name, name_params);
}

static void stage_free(struct ksvc_stage *st);

static size_t stage_mem(const struct ksvc_stage *st)
{
	return alloc_bytes(st->bes, sizeof(*st->bes) * st->cap);
}

/* The frontend objects of @svc and its array of them. */
static size_t fes_mem(const struct ksvc_service *svc)
{
	size_t bytes = alloc_bytes(svc->fes, 0);
	u32 i;

	for (i = 0; i < svc->fe_count; i++)
		bytes += alloc_bytes(svc->fes[i], 0);
	for (i = 0; i < ARRAY_SIZE(svc->np); i++)
		bytes += alloc_bytes(svc->np[i], 0);
	return bytes;
}

/* All @svc holds; O(frontends), its set counted when it was built. */
static size_t svc_mem(const struct ksvc_table *tab,
		      const struct ksvc_service *svc)
{
	const struct ksvc_conf *conf = conf_of(tab, svc);

	return alloc_bytes(svc, 0) + ksvc_stats_mem(svc->stats) +
	       fes_mem(svc) + alloc_bytes(conf, 0) +
	       alloc_bytes(conf->ranges, 0) + stage_mem(&svc->stage) +
	       conf->set->mem;
}

/* Frees a service that is in no table any more. */
static void svc_release(struct ksvc_service *svc)
{
	struct ksvc_conf *conf = rcu_dereference_protected(svc->conf, true);

	if (conf->ranges)
		kfree_rcu(conf->ranges, rcu);
	beset_release(conf->set, NULL, true);
	kfree_rcu(conf, rcu);
	ksvc_stats_retire(svc->stats);
	stage_free(&svc->stage);
	kfree(svc->fes);
	kfree_rcu(svc, rcu);
}

int ksvc_service_add(struct ksvc_table *tab, const struct ksvc_svc_spec *spec,
		     struct netlink_ext_ack *extack)
{
	struct ksvc_service *svc;
	struct ksvc_conf *conf;
	struct ksvc_beset *set;
	struct fe_plan plan;
	u16 node_port;
	int ret;

	lockdep_assert_held(tab->lock);
	if (tab->count >= READ_ONCE(ksvc_max_services)) {
		NL_SET_ERR_MSG(extack,
			       "Too many services (module parameter max_services)");
		return -ENOSPC;
	}
	if (ksvc_service_find(tab, spec->name)) {
		NL_SET_ERR_MSG_ATTR(extack, spec->name_nla, "Service exists");
		return -EEXIST;
	}

	svc = kzalloc(struct_size(svc, name, strlen(spec->name) + 1),
		      GFP_KERNEL_ACCOUNT);
	if (!svc)
		goto nomem;
	strcpy(svc->name, spec->name);
	node_port = spec->has & KSVC_SPEC_NODE_PORT ? spec->node_port : 0;
	svc->proto = spec->proto;
	svc->port = spec->port;
	svc->node_port = node_port;
	svc->generation = spec->has & KSVC_SPEC_GENERATION ? spec->generation : 0;
	conf = kzalloc(sizeof(*conf), GFP_KERNEL_ACCOUNT);
	svc->stats = ksvc_stats_new();
	if (!conf || !svc->stats) {
		kfree(conf);
		ksvc_stats_retire(svc->stats);
		kfree(svc);
		goto nomem;
	}
	conf->gen = 1;
	conf->sched = spec->has & KSVC_SPEC_SCHED ? spec->sched :
						    KSVC_SCHED_RANDOM;
	conf->flags = spec->has & KSVC_SPEC_FLAGS ? spec->flags : 0;
	conf->affinity = spec->has & KSVC_SPEC_AFFINITY ? spec->affinity : 0;
	set = beset_prepare(NULL, spec->bes,
			    spec->has & KSVC_SPEC_BACKENDS ? spec->be_count : 0,
			    conf->sched, extack);
	if (IS_ERR(set)) {
		kfree(conf);
		ksvc_stats_retire(svc->stats);
		kfree(svc);
		return PTR_ERR(set);
	}
	conf->set = set;
	/* Whole before a frontend can lead a packet to it. */
	RCU_INIT_POINTER(svc->conf, conf);

	ret = fe_plan_build(&plan, svc, svc->proto, svc->port, node_port,
			    spec->fes,
			    spec->has & KSVC_SPEC_FRONTENDS ? spec->fe_count : 0,
			    conf->gen, extack);
	if (ret)
		goto err_svc;
	/* String keys: the _key variant (the _fast one BUG()s on obj_hashfn). */
	ret = rhashtable_lookup_insert_key(&tab->names, svc->name,
					   &svc->name_node, name_params);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot insert the service name");
		goto err_plan;
	}
	/* Taken only now: the caller frees them if the request fails. */
	if (spec->has & KSVC_SPEC_SOURCE_RANGES)
		conf->ranges = spec->ranges;
	ret = fe_plan_insert(tab, svc, &plan, spec, extack);
	if (ret)
		goto err_name;
	fe_plan_commit(tab, svc, &plan, 0);
	list_add_tail(&svc->list, &tab->services);
	tab->count++;
	tab->mem += svc_mem(tab, svc);
	/* Flows to its frontends that came before it were not translated. */
	if (set->count && ct_proto(svc->proto))
		tab->ct_stale = true;
	table_changed(tab);
	return 0;

err_name:
	rhashtable_remove_fast(&tab->names, &svc->name_node, name_params);
err_plan:
	fe_plan_free(&plan);
err_svc:
	conf->ranges = NULL;
	svc_release(svc);
	return ret;

nomem:
	NL_SET_ERR_MSG(extack, "Out of memory for the service");
	return -ENOMEM;
}

/* The frontends @svc has now, as a request would give them. */
static struct ksvc_fe_spec *current_fes(const struct ksvc_service *svc)
{
	struct ksvc_fe_spec *fes;
	u32 i;

	fes = kcalloc(svc->fe_count, sizeof(*fes), GFP_KERNEL);
	if (!fes)
		return NULL;
	for (i = 0; i < svc->fe_count; i++) {
		fes[i].addr = svc->fes[i]->key.addr;
		fes[i].family = svc->fes[i]->key.family;
		fes[i].kind = svc->fes[i]->kind;
	}
	return fes;
}

int ksvc_service_set(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_svc_spec *spec,
		     struct netlink_ext_ack *extack)
{
	const u32 refe = KSVC_SPEC_PROTO | KSVC_SPEC_PORT |
			 KSVC_SPEC_NODE_PORT | KSVC_SPEC_FRONTENDS;
	const struct ksvc_conf *cur = conf_of(tab, svc);
	struct ksvc_fe_spec *synth = NULL;
	struct ksvc_beset *set = NULL;
	const struct ksvc_fe_spec *fes;
	struct fe_plan plan = {};
	struct ksvc_conf *conf;
	u16 port, node_port;
	u32 fe_count;
	u8 proto, sched;
	int ret;

	lockdep_assert_held(tab->lock);
	proto = spec->has & KSVC_SPEC_PROTO ? spec->proto : svc->proto;
	port = spec->has & KSVC_SPEC_PORT ? spec->port : svc->port;
	node_port = spec->has & KSVC_SPEC_NODE_PORT ? spec->node_port :
						     svc->node_port;

	sched = spec->has & KSVC_SPEC_SCHED ? spec->sched : cur->sched;
	if (spec->has & KSVC_SPEC_BACKENDS) {
		set = beset_prepare(cur->set, spec->bes, spec->be_count, sched,
				    extack);
		if (IS_ERR(set))
			return PTR_ERR(set);
	} else if ((sched == KSVC_SCHED_MAGLEV) !=
		   (cur->sched == KSVC_SCHED_MAGLEV)) {
		/* The set gains or loses its tables: rebuilt, as it is. */
		set = beset_rebuild(cur->set, sched, extack);
		if (IS_ERR(set))
			return PTR_ERR(set);
	}
	conf = conf_next(tab, svc, extack);
	if (!conf) {
		ret = -ENOMEM;
		goto err_set;
	}
	conf->sched = sched;
	if (set)
		conf->set = set;
	if (spec->has & KSVC_SPEC_FLAGS)
		conf->flags = spec->flags;
	if (spec->has & KSVC_SPEC_AFFINITY)
		conf->affinity = spec->affinity;
	if (spec->has & KSVC_SPEC_SOURCE_RANGES)
		conf->ranges = spec->ranges;
	if (spec->has & refe) {
		if (spec->has & KSVC_SPEC_FRONTENDS) {
			fes = spec->fes;
			fe_count = spec->fe_count;
		} else {
			synth = current_fes(svc);
			if (!synth && svc->fe_count) {
				NL_SET_ERR_MSG(extack, "Out of memory");
				ret = -ENOMEM;
				goto err_conf;
			}
			fes = synth;
			fe_count = svc->fe_count;
		}
		ret = fe_plan_build(&plan, svc, proto, port, node_port, fes,
				    fe_count, conf->gen, extack);
		kfree(synth);
		if (ret)
			goto err_conf;
		ret = fe_plan_insert(tab, svc, &plan, spec, extack);
		if (ret)
			goto err_plan;
		tab->mem -= fes_mem(svc);
		fe_plan_commit(tab, svc, &plan, cur->gen);
		tab->mem += fes_mem(svc);
	}
	conf_publish(tab, svc, conf);

	/* Connections to a frontend that moved lost their service. */
	if ((spec->has & refe) && ct_proto(svc->proto))
		tab->ct_stale = true;
	if (spec->has & KSVC_SPEC_GENERATION)
		svc->generation = spec->generation;
	svc->proto = proto;
	svc->port = port;
	svc->node_port = node_port;
	table_changed(tab);
	return 0;

err_plan:
	fe_plan_free(&plan);
err_conf:
	kfree(conf);
err_set:
	if (set)
		beset_abort(set, cur->set);
	return ret;
}

void ksvc_service_del(struct ksvc_table *tab, struct ksvc_service *svc)
{
	u32 i;

	lockdep_assert_held(tab->lock);
	/* Before its frontends go: they are counted through svc->fes. */
	tab->mem -= svc_mem(tab, svc);
	rhashtable_remove_fast(&tab->names, &svc->name_node, name_params);
	for (i = 0; i < svc->fe_count; i++)
		fe_retire(tab, svc->fes[i], false, NULL);
	for (i = 0; i < ARRAY_SIZE(svc->np); i++)
		if (svc->np[i])
			fe_retire(tab, svc->np[i], true, NULL);
	list_del(&svc->list);
	tab->count--;
	table_changed(tab);
	if (ct_proto(svc->proto))
		tab->ct_stale = true;
	svc_release(svc);
}

/*
 * Every service, max_services of them at most: the loop yields after each
 * (the writers' mutex may be held across, RCU readers do not block it).
 */
void ksvc_table_flush(struct ksvc_table *tab)
{
	struct ksvc_service *svc, *tmp;

	lockdep_assert_held(tab->lock);
	list_for_each_entry_safe(svc, tmp, &tab->services, list) {
		ksvc_service_del(tab, svc);
		ksvc_cond_resched();
	}
}

static size_t ht_bytes(const struct rhashtable *ht)
{
	const struct bucket_table *tbl;
	size_t size;

	/* The table may be resized under us: RCU keeps the one we read. */
	rcu_read_lock();
	tbl = rcu_dereference(ht->tbl);
	size = alloc_bytes(tbl, struct_size(tbl, buckets, tbl->size));
	rcu_read_unlock();
	return size;
}

/* O(1): CFG_GET asks for it, and a walk would be O(services + backends). */
u64 ksvc_table_mem(const struct ksvc_table *tab)
{
	lockdep_assert_held(tab->lock);
	return ht_bytes(&tab->names) + ht_bytes(&tab->fes) +
	       ht_bytes(&tab->nps) + tab->mem;
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
/* What tab->mem should be, walked and summed afresh, cached sizes ignored. */
u64 ksvc_table_mem_recount(const struct ksvc_table *tab)
{
	const struct ksvc_service *svc;
	u64 bytes = 0;

	lockdep_assert_held(tab->lock);
	list_for_each_entry(svc, &tab->services, list) {
		const struct ksvc_beset *set = backends(tab, svc);
		u32 i;

		bytes += ksize(svc) + alloc_bytes(svc->fes, 0) +
			 ksvc_stats_mem(svc->stats);
		for (i = 0; i < svc->fe_count; i++)
			bytes += ksize(svc->fes[i]);
		for (i = 0; i < ARRAY_SIZE(svc->np); i++)
			bytes += alloc_bytes(svc->np[i], 0);
		bytes += ksize(conf_of(tab, svc));
		bytes += alloc_bytes(ksvc_service_ranges(tab, svc), 0);
		bytes += alloc_bytes(svc->stage.bes,
				     sizeof(*svc->stage.bes) * svc->stage.cap);
		bytes += beset_mem(set);
	}
	return bytes;
}
#endif

/* ---- backends ----------------------------------------------------------- */

/*
 * ksvc_backends_replace() in its two steps: the first allocates and may
 * sleep, the second only swaps the set in, so a caller can run it inside an
 * RCU read-side section (the KUnit suite does, to look at the old set). A
 * prepared set must be committed before the lock is dropped.
 */
struct ksvc_conf *ksvc_backends_prepare(struct ksvc_table *tab,
					struct ksvc_service *svc,
					const struct ksvc_be_spec *bes,
					u32 count,
					struct netlink_ext_ack *extack)
{
	const struct ksvc_conf *cur = conf_of(tab, svc);
	struct ksvc_beset *set;
	struct ksvc_conf *conf;

	lockdep_assert_held(tab->lock);
	set = beset_prepare(cur->set, bes, count, cur->sched, extack);
	if (IS_ERR(set))
		return ERR_CAST(set);
	conf = conf_next(tab, svc, extack);
	if (!conf) {
		beset_abort(set, cur->set);
		return ERR_PTR(-ENOMEM);
	}
	conf->set = set;
	return conf;
}

void ksvc_backends_commit(struct ksvc_table *tab, struct ksvc_service *svc,
			  struct ksvc_conf *conf)
{
	lockdep_assert_held(tab->lock);
	conf_publish(tab, svc, conf);
	table_changed(tab);
}

int ksvc_backends_replace(struct ksvc_table *tab, struct ksvc_service *svc,
			  const struct ksvc_be_spec *bes, u32 count,
			  struct netlink_ext_ack *extack)
{
	struct ksvc_conf *conf;

	conf = ksvc_backends_prepare(tab, svc, bes, count, extack);
	if (IS_ERR(conf))
		return PTR_ERR(conf);
	ksvc_backends_commit(tab, svc, conf);
	return 0;
}

/* The set of @svc as a request, with room for @extra more backends. */
static struct ksvc_be_spec *current_bes(const struct ksvc_beset *set,
					u32 extra)
{
	struct ksvc_be_spec *bes;
	u32 i;

	bes = kvcalloc(set->count + extra, sizeof(*bes), GFP_KERNEL);
	if (!bes)
		return NULL;
	for (i = 0; i < set->count; i++) {
		bes[i].addr = set->be[i].addr;
		bes[i].port = ntohs(set->be[i].port);
		bes[i].family = set->be[i].family;
		bes[i].weight = set->be[i].weight;
		bes[i].flags = set->be[i].flags;
	}
	return bes;
}

int ksvc_backend_add(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_be_spec *be,
		     struct netlink_ext_ack *extack)
{
	const struct ksvc_beset *old = backends(tab, svc);
	struct ksvc_be_spec *bes;
	int ret;

	if (ksvc_beset_find(old, be->family, &be->addr, htons(be->port)) >= 0) {
		NL_SET_ERR_MSG_ATTR(extack, be->nla, "Backend exists");
		return -EEXIST;
	}
	bes = current_bes(old, 1);
	if (!bes) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return -ENOMEM;
	}
	bes[old->count] = *be;
	ret = ksvc_backends_replace(tab, svc, bes, old->count + 1, extack);
	kvfree(bes);
	return ret;
}

int ksvc_backend_del(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_be_spec *be,
		     struct netlink_ext_ack *extack)
{
	const struct ksvc_beset *old = backends(tab, svc);
	struct ksvc_be_spec *bes;
	int i, ret;

	i = ksvc_beset_find(old, be->family, &be->addr, htons(be->port));
	if (i < 0) {
		NL_SET_ERR_MSG_ATTR(extack, be->nla, "No such backend");
		return -ENOENT;
	}
	bes = current_bes(old, 0);
	if (!bes) {
		NL_SET_ERR_MSG(extack, "Out of memory");
		return -ENOMEM;
	}
	memmove(&bes[i], &bes[i + 1], (old->count - i - 1) * sizeof(*bes));
	ret = ksvc_backends_replace(tab, svc, bes, old->count - 1, extack);
	kvfree(bes);
	return ret;
}

/* ---- staged parts of a backend set ---------------------------------------- */

/*
 * Appends one part of a multi-message set. The staged copy drops the
 * attribute pointers: they die with their message.
 */
static int stage_append(struct ksvc_stage *st, const struct ksvc_be_spec *bes,
			u32 count, struct netlink_ext_ack *extack)
{
	u32 total = st->count + count, i;

	if (total < st->count ||
	    total > min_t(u32, READ_ONCE(ksvc_max_backends),
			  KSVC_BACKENDS_LIMIT)) {
		NL_SET_ERR_MSG(extack,
			       "Too many backends (module parameter max_backends)");
		return -E2BIG;
	}
	if (total > st->cap) {
		/* Doubling keeps a set sent in many parts O(N) to stage. */
		u32 cap = max3(total, 2 * st->cap, 64U);
		struct ksvc_be_spec *grown;

		grown = kvmalloc_array(cap, sizeof(*grown), GFP_KERNEL_ACCOUNT);
		if (!grown) {
			NL_SET_ERR_MSG(extack, "Out of memory for staged backends");
			return -ENOMEM;
		}
		if (st->count)
			memcpy(grown, st->bes, st->count * sizeof(*grown));
		kvfree(st->bes);
		st->bes = grown;
		st->cap = cap;
	}
	if (count)
		memcpy(&st->bes[st->count], bes, count * sizeof(*bes));
	for (i = st->count; i < total; i++)
		st->bes[i].nla = NULL;
	st->count = total;
	return 0;
}

static void stage_free(struct ksvc_stage *st)
{
	kvfree(st->bes);
	memset(st, 0, sizeof(*st));
}

/*
 * One KSVC_CMD_BE_REPLACE message: a whole set, or a part of one
 * (KSVC_REQ_F_MORE, KSVC_REQ_F_CONTINUE in @flags). A refused part ends its
 * request, and the parts it staged go with it: kept, they would hold memory
 * until the service's next replace, and a client starts over from a first
 * part anyway. A refused first part, like any failed request, changes
 * nothing: what another request staged stays.
 */
int ksvc_backends_part(struct ksvc_table *tab, struct ksvc_service *svc,
		       const struct ksvc_be_spec *bes, u32 count, u32 flags,
		       u32 portid, const struct nlattr *flags_nla,
		       struct netlink_ext_ack *extack)
{
	struct ksvc_stage *st = &svc->stage;
	size_t held = stage_mem(st);
	struct ksvc_stage fresh = {};
	int ret;

	lockdep_assert_held(tab->lock);
	if (flags & KSVC_REQ_F_CONTINUE) {
		/* Parts of one set come from one socket; another's are not ours. */
		if (!st->active || st->portid != portid) {
			NL_SET_ERR_MSG_ATTR(extack, flags_nla,
					    "Nothing staged to continue");
			return -EINVAL;
		}
		ret = stage_append(st, bes, count, extack);
		if (!ret && !(flags & KSVC_REQ_F_MORE))
			ret = ksvc_backends_replace(tab, svc, st->bes, st->count,
						    extack);
		/* Swapped in or refused, the request is over. */
		if (ret || !(flags & KSVC_REQ_F_MORE))
			stage_free(st);
		goto out;
	}

	/*
	 * A first part discards what was staged before, but only once it
	 * succeeds: it is staged apart until then.
	 */
	if (flags & KSVC_REQ_F_MORE)
		ret = stage_append(&fresh, bes, count, extack);
	else
		ret = ksvc_backends_replace(tab, svc, bes, count, extack);
	if (ret)
		goto out;
	stage_free(st);
	if (flags & KSVC_REQ_F_MORE) {
		fresh.portid = portid;
		fresh.active = true;
		*st = fresh;
	}
out:
	tab->mem -= held;
	tab->mem += stage_mem(st);
	return ret;
}

/*
 * A continuation from @portid was refused before it reached
 * ksvc_backends_part(): its request is over as well.
 */
void ksvc_stage_drop(struct ksvc_table *tab, struct ksvc_service *svc,
		     u32 portid)
{
	lockdep_assert_held(tab->lock);
	if (svc->stage.active && svc->stage.portid == portid) {
		tab->mem -= stage_mem(&svc->stage);
		stage_free(&svc->stage);
	}
}

/* ---- the packet path ---------------------------------------------------- */

/*
 * A packet that finds an object a change has just replaced looks again; a
 * third try means changes keep racing it: the key is taken as absent.
 */
#define KSVC_FE_TRIES	3

/*
 * Under RCU. What the key leads to now, by the rule of a change (see the
 * top of this file): the object found pairs with the configuration read
 * after it, unless that configuration is newer than the object's last one.
 */
static bool fe_view(struct rhashtable *ht, const struct ksvc_fe_key *key,
		    struct ksvc_fe_view *view)
{
	unsigned int tries;

	for (tries = 0; tries < KSVC_FE_TRIES; tries++) {
		const struct ksvc_fe *fe;
		const struct ksvc_conf *conf;

		fe = rhashtable_lookup(ht, key, fe_params);
		if (!fe)
			return false;
		conf = rcu_dereference(fe->svc->conf);
		/* A change writes @to before it publishes its configuration. */
		smp_rmb();
		if (conf->gen > READ_ONCE(fe->to))
			continue;
		view->kind = conf->gen < fe->from ? fe->prev_kind : fe->kind;
		if (view->kind == KSVC_FE_NONE)
			return false;
		view->svc = fe->svc;
		view->conf = conf;
		return true;
	}
	return false;
}

/* Under RCU. */
bool ksvc_fe_find(struct ksvc_table *tab, const struct ksvc_fe_key *key,
		  struct ksvc_fe_view *view)
{
	return fe_view(&tab->fes, key, view);
}

/* Under RCU. */
bool ksvc_np_find(struct ksvc_table *tab, u8 family, u8 proto, __be16 port,
		  struct ksvc_fe_view *view)
{
	const struct ksvc_fe_key key = {
		.port = port,
		.family = family,
		.proto = proto,
	};

	return fe_view(&tab->nps, &key, view);
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
/* ---- KUnit: the tables' invariants ---------------------------------------- */

static __printf(3, 4) int check_fail(char *why, size_t size, const char *fmt,
				     ...)
{
	va_list args;

	va_start(args, fmt);
	vscnprintf(why, size, fmt, args);
	va_end(args);
	return -EUCLEAN;
}

/* An address of @family as the tables keep it: IPv4 zero-padded. */
static bool check_addr(u8 family, const union nf_inet_addr *addr)
{
	if (family == AF_INET)
		return !addr->all[1] && !addr->all[2] && !addr->all[3];
	return family == AF_INET6;
}

/* The bits of @addr past @plen (of @bytes bytes) are zero. */
static bool check_host_bits(const union nf_inet_addr *addr, u8 plen,
			    unsigned int bytes)
{
	const u8 *a = (const u8 *)addr;
	unsigned int i;

	if (plen > 8 * bytes)
		return false;
	for (i = 0; i < bytes; i++) {
		int keep = clamp_t(int, plen - 8 * i, 0, 8);

		if (a[i] & (u8)(0xff >> keep))
			return false;
	}
	return true;
}

static int check_ranges(const struct ksvc_cidrs *ranges, const char *name,
			char *why, size_t size)
{
	u32 i;

	if (!ranges)
		return 0;
	/* An empty list is kept as none. */
	if (!ranges->count || ranges->count > KSVC_SOURCE_RANGES_MAX)
		return check_fail(why, size, "%s: %u source ranges", name,
				  ranges->count);
	for (i = 0; i < ranges->count; i++) {
		const struct ksvc_cidr *c = &ranges->cidr[i];

		if (!check_addr(c->family, &c->addr) ||
		    !check_host_bits(&c->addr, c->prefixlen,
				     c->family == AF_INET ? 4 : 16))
			return check_fail(why, size,
					  "%s: source range %u is not a CIDR",
					  name, i);
	}
	return 0;
}

/* One frontend object of @svc: its key follows the service, and its
 * table finds it.
 */
static int check_fe(struct ksvc_table *tab, const struct ksvc_service *svc,
		    const struct ksvc_fe *fe, bool np, char *why, size_t size)
{
	u16 port = np ? svc->node_port : svc->port;

	if (!fe)
		return check_fail(why, size, "%s: a NULL frontend", svc->name);
	if (fe->svc != svc)
		return check_fail(why, size,
				  "%s: a frontend points at another service",
				  svc->name);
	if (fe->key.proto != svc->proto || fe->key.port != htons(port) ||
	    !check_addr(fe->key.family, &fe->key.addr))
		return check_fail(why, size,
				  "%s: frontend key (family %u, proto %u, port %u) does not follow the service (proto %u, port %u)",
				  svc->name, fe->key.family, fe->key.proto,
				  ntohs(fe->key.port), svc->proto, port);
	/* A node port has no address; an IP frontend has a kind of the uapi. */
	if (np ? (fe->kind != KSVC_FE_NODE_PORT ||
		  memchr_inv(&fe->key.addr, 0, sizeof(fe->key.addr))) :
		 (fe->kind < KSVC_FE_CLUSTER_IP ||
		  fe->kind > KSVC_FE_KIND_MAX))
		return check_fail(why, size, "%s: frontend of kind %u",
				  svc->name, fe->kind);
	/* Current: no last configuration, and one already published. */
	if (fe->to != U64_MAX || fe->from > conf_of(tab, svc)->gen)
		return check_fail(why, size,
				  "%s: a current frontend for generations %llu to %llu, at %llu",
				  svc->name, fe->from, fe->to,
				  conf_of(tab, svc)->gen);
	if (rhashtable_lookup_fast(np ? &tab->nps : &tab->fes, &fe->key,
				   fe_params) != fe)
		return check_fail(why, size,
				  "%s: a %s is not found in its table",
				  svc->name, np ? "node port" : "frontend");
	return 0;
}

static bool check_ready(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_READY) ||
	       !(be->flags & (KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING));
}

static bool check_fallback(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_SERVING) &&
	       (be->flags & KSVC_BE_F_TERMINATING);
}

/*
 * A pool holds exactly the backends of its family (and locality) that may
 * take new connections, by the rule of uapi/linux/kservice.h, in set
 * order, with their cumulative weights.
 */
static int check_pool(const struct ksvc_service *svc,
		      const struct ksvc_beset *set,
		      const struct ksvc_pool *pool, unsigned int f, bool local,
		      char *why, size_t size)
{
	bool ready = false, fallback = false, term;
	u32 i, k = 0, total = 0;

	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (ksvc_fam_idx(be->family) != f || !be->weight ||
		    (local && !(be->flags & KSVC_BE_F_LOCAL)))
			continue;
		ready |= check_ready(be);
		fallback |= check_fallback(be);
	}
	term = !ready && fallback;
	if (pool->terminating != term)
		return check_fail(why, size,
				  "%s: pool %u%s terminating %d, want %d",
				  svc->name, f, local ? " local" : "",
				  pool->terminating, term);
	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (ksvc_fam_idx(be->family) != f || !be->weight ||
		    (local && !(be->flags & KSVC_BE_F_LOCAL)) ||
		    !(term ? check_fallback(be) : check_ready(be)))
			continue;
		total += be->weight;
		if (k >= pool->count || pool->idx[k] != i ||
		    pool->cum[k] != total)
			return check_fail(why, size,
					  "%s: pool %u%s entry %u is not backend %u of cumulative weight %u",
					  svc->name, f, local ? " local" : "",
					  k, i, total);
		k++;
	}
	if (k != pool->count || pool->total != total)
		return check_fail(why, size,
				  "%s: pool %u%s has %u backends of weight %u, want %u of %u",
				  svc->name, f, local ? " local" : "",
				  pool->count, pool->total, k, total);
	if (!pool->maglev) {
		if (set->maglev_size && pool->count &&
		    pool->count < set->maglev_size)
			return check_fail(why, size,
					  "%s: pool %u%s has no Maglev table",
					  svc->name, f, local ? " local" : "");
		return 0;
	}
	if (!set->maglev_size || !pool->count)
		return check_fail(why, size,
				  "%s: pool %u%s has a Maglev table it cannot use",
				  svc->name, f, local ? " local" : "");
	for (i = 0; i < set->maglev_size; i++)
		if (pool->maglev[i] >= pool->count)
			return check_fail(why, size,
					  "%s: Maglev entry %u of pool %u%s is %u of %u",
					  svc->name, i, f, local ? " local" : "",
					  pool->maglev[i], pool->count);
	return 0;
}

static int check_set(struct ksvc_table *tab, const struct ksvc_service *svc,
		     char *why, size_t size)
{
	const struct ksvc_beset *set = backends(tab, svc);
	unsigned int f;
	u32 i;
	int ret;

	if (!set)
		return check_fail(why, size, "%s: no backend set", svc->name);
	if (set->count > KSVC_BACKENDS_LIMIT)
		return check_fail(why, size, "%s: %u backends", svc->name,
				  set->count);
	/* Maglev tables exactly where the scheduler wants them. */
	if (!set->maglev_size !=
	    (conf_of(tab, svc)->sched != KSVC_SCHED_MAGLEV || !set->count))
		return check_fail(why, size,
				  "%s: scheduler %u with %u backends has Maglev size %u",
				  svc->name, conf_of(tab, svc)->sched, set->count,
				  set->maglev_size);
	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (!check_addr(be->family, &be->addr) || !be->port ||
		    be->weight > KSVC_WEIGHT_MAX ||
		    (be->flags & ~__KSVC_BE_F_ALL) || !be->stats)
			return check_fail(why, size,
					  "%s: backend %u (family %u, port %u, weight %u, flags %#x) is not valid",
					  svc->name, i, be->family,
					  ntohs(be->port), be->weight,
					  be->flags);
		if (set->sorted[i] >= set->count)
			return check_fail(why, size,
					  "%s: sorted[%u] is %u of %u",
					  svc->name, i, set->sorted[i],
					  set->count);
		/* Strictly ascending: a permutation, without duplicates. */
		if (i && sorted_cmp(&set->sorted[i - 1], &set->sorted[i],
				    set) >= 0)
			return check_fail(why, size,
					  "%s: sorted[%u] and sorted[%u] are out of order or equal",
					  svc->name, i - 1, i);
	}
	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (ksvc_beset_find(set, be->family, &be->addr, be->port) != i)
			return check_fail(why, size,
					  "%s: backend %u is not found in its set",
					  svc->name, i);
	}
	for (f = 0; f < ARRAY_SIZE(set->pool); f++) {
		ret = check_pool(svc, set, &set->pool[f], f, false, why, size);
		if (!ret)
			ret = check_pool(svc, set, &set->local[f], f, true, why,
					 size);
		if (ret)
			return ret;
	}
	return 0;
}

/* Staged parts are there only while a multi-part replace is open. */
static int check_stage(const struct ksvc_service *svc, char *why, size_t size)
{
	const struct ksvc_stage *st = &svc->stage;

	if (st->count > st->cap || !st->bes != !st->cap ||
	    (!st->active && (st->count || st->cap)))
		return check_fail(why, size,
				  "%s: stage active %d with %u of %u backends%s",
				  svc->name, st->active, st->count, st->cap,
				  st->bes ? "" : " (no array)");
	return 0;
}

static int check_service(struct ksvc_table *tab,
			 const struct ksvc_service *svc, char *why,
			 size_t size)
{
	size_t len = strnlen(svc->name, KSVC_NAME_MAX);
	const struct ksvc_conf *conf = conf_of(tab, svc);
	u32 i;
	int ret;

	if (!len || len >= KSVC_NAME_MAX)
		return check_fail(why, size, "a service name of %zu bytes",
				  len);
	if (rhashtable_lookup_fast(&tab->names, svc->name, name_params) != svc)
		return check_fail(why, size,
				  "%s: not found by its name", svc->name);
	if ((svc->proto != IPPROTO_TCP && svc->proto != IPPROTO_UDP &&
	     svc->proto != IPPROTO_SCTP) || !svc->port ||
	    !conf || !conf->gen || conf->sched > KSVC_SCHED_MAX ||
	    (conf->flags & ~__KSVC_SVC_F_ALL) ||
	    conf->affinity > KSVC_AFFINITY_TIMEOUT_MAX || !svc->stats)
		return check_fail(why, size,
				  "%s: proto %u, port %u, generation %llu, scheduler %u, flags %#x, affinity %u",
				  svc->name, svc->proto, svc->port,
				  conf ? conf->gen : 0, conf ? conf->sched : 0,
				  conf ? conf->flags : 0,
				  conf ? conf->affinity : 0);
	if (svc->fe_count > KSVC_FRONTENDS_MAX)
		return check_fail(why, size, "%s: %u frontends", svc->name,
				  svc->fe_count);
	for (i = 0; i < svc->fe_count; i++) {
		ret = check_fe(tab, svc, svc->fes[i], false, why, size);
		if (ret)
			return ret;
	}
	/* A node port is entered for both families, or not at all. */
	for (i = 0; i < ARRAY_SIZE(svc->np); i++) {
		if (!svc->node_port != !svc->np[i])
			return check_fail(why, size,
					  "%s: node port %u, family %u entry %s",
					  svc->name, svc->node_port, i,
					  svc->np[i] ? "present" : "missing");
		if (!svc->np[i])
			continue;
		if (svc->np[i]->key.family != (i ? AF_INET6 : AF_INET))
			return check_fail(why, size,
					  "%s: node port entry %u of family %u",
					  svc->name, i, svc->np[i]->key.family);
		ret = check_fe(tab, svc, svc->np[i], true, why, size);
		if (ret)
			return ret;
	}
	ret = check_ranges(ksvc_service_ranges(tab, svc), svc->name, why,
			   size);
	if (!ret)
		ret = check_set(tab, svc, why, size);
	if (!ret)
		ret = check_stage(svc, why, size);
	return ret;
}

static bool check_listed(struct ksvc_table *tab,
			 const struct ksvc_service *svc)
{
	const struct ksvc_service *s;

	list_for_each_entry(s, &tab->services, list)
		if (s == svc)
			return true;
	return false;
}

enum { CHECK_NAMES, CHECK_FES, CHECK_NPS };

/* An object of a table, which must belong to a service of the list. */
static bool check_owned(struct ksvc_table *tab, void *obj, int which)
{
	const struct ksvc_fe *fe = obj;
	u32 i;

	if (which == CHECK_NAMES)
		return check_listed(tab, obj);
	/* Only a listed service is dereferenced. */
	if (!check_listed(tab, fe->svc))
		return false;
	if (which == CHECK_NPS)
		return fe == fe->svc->np[0] || fe == fe->svc->np[1];
	for (i = 0; i < fe->svc->fe_count; i++)
		if (fe == fe->svc->fes[i])
			return true;
	return false;
}

/*
 * Walks @ht: as many objects as @want, each one a listed service's. A
 * resize under way (the writers' lock does not stop the deferred worker)
 * makes the walk go on into the new bucket table, where an object already
 * seen in the old one may come again: then at least @want.
 */
static int check_walk(struct ksvc_table *tab, struct rhashtable *ht,
		      int which, u32 want, char *why, size_t size)
{
	static const char *const what[] = { "names", "frontends",
					    "node ports" };
	struct rhashtable_iter iter;
	bool resized = false;
	u32 n = 0, nelems;
	void *obj;
	int ret = 0;

	rhashtable_walk_enter(ht, &iter);
	rhashtable_walk_start(&iter);
	while ((obj = rhashtable_walk_next(&iter))) {
		if (IS_ERR(obj)) {
			if (PTR_ERR(obj) == -EAGAIN) {
				resized = true;
				continue;
			}
			ret = check_fail(why, size, "walking the %s: %ld",
					 what[which], PTR_ERR(obj));
			break;
		}
		n++;
		if (!check_owned(tab, obj, which)) {
			ret = check_fail(why, size,
					 "the %s table holds an object of no listed service",
					 what[which]);
			break;
		}
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
	if (ret)
		return ret;
	nelems = atomic_read(&ht->nelems);
	if (n < want || (n > want && !resized) || nelems != want)
		return check_fail(why, size,
				  "the %s table holds %u objects (%u counted), want %u",
				  what[which], nelems, n, want);
	return 0;
}

/*
 * The invariants of @tab, checked whole after each request of the netlink
 * fuzz run: every service of the list is found by its name, each of its
 * frontends and node ports by its key, and its backend set is sorted,
 * free of duplicates and pooled by the rules; the tables hold nothing
 * else, and every count matches a recount. Writers' lock held. Returns 0,
 * or -EUCLEAN with the first violation described in @why.
 */
int ksvc_table_check(struct ksvc_table *tab, char *why, size_t size)
{
	const struct ksvc_service *svc;
	u32 n = 0, fes = 0, nps = 0;
	int ret;

	lockdep_assert_held(tab->lock);
	list_for_each_entry(svc, &tab->services, list) {
		/* A corrupt list could loop: stop past the count. */
		if (++n > tab->count)
			return check_fail(why, size,
					  "more services listed than the count, %u",
					  tab->count);
		ret = check_service(tab, svc, why, size);
		if (ret)
			return ret;
		fes += svc->fe_count;
		nps += svc->node_port ? ARRAY_SIZE(svc->np) : 0;
	}
	if (n != tab->count)
		return check_fail(why, size, "%u services listed, count %u",
				  n, tab->count);
	if (!tab->gen)
		return check_fail(why, size, "generation 0");
	ret = check_walk(tab, &tab->names, CHECK_NAMES, n, why, size);
	if (!ret)
		ret = check_walk(tab, &tab->fes, CHECK_FES, fes, why, size);
	if (!ret)
		ret = check_walk(tab, &tab->nps, CHECK_NPS, nps, why, size);
	if (!ret && tab->mem != ksvc_table_mem_recount(tab))
		ret = check_fail(why, size,
				 "memory counted %llu bytes, walked %llu",
				 (unsigned long long)tab->mem,
				 (unsigned long long)ksvc_table_mem_recount(tab));
	return ret;
}
#endif
