// SPDX-License-Identifier: GPL-2.0
/*
 * Session affinity (Kubernetes' sessionAffinity: ClientIP): a service with
 * an affinity timeout sends every new connection of a client address to
 * the backend its previous one went to, until the timeout passes without
 * a new connection from that client (kube-proxy's "recent" match, which
 * each new connection sets) or the backend can no longer take new
 * connections.
 *
 * One rhashtable per namespace, keyed by (service, family, client). The
 * service is named by its counters' (id, cookie), so an entry never
 * points at a freed service: the entries of a deleted one just stop being
 * found, and the next reap takes them. The packet path
 * looks entries up and inserts them under RCU. A work item reaps expired
 * entries every KSVC_AFFINITY_GC_PERIOD while there are any.
 *
 * Any user may own a network namespace with services in it (the family is
 * GENL_UNS_ADMIN_PERM), and its clients' addresses are its to choose, so
 * what bindings may cost is bounded twice: affinity_max per namespace
 * (which a namespace owned by another user namespace than the initial one
 * may lower, never raise), and the module parameter affinity_max_total for
 * all namespaces together. Past either, a new client is scheduled without
 * being remembered: forwarding never depends on room here. Entries come
 * from their own accounted cache and are charged to the memory cgroup of
 * the process that gave the namespace its first service (most are made in
 * softirq, where no task's cgroup applies). A binding is made only once the
 * first packet of its connection reached POST_ROUTING (nat.c), which a
 * first packet dropped on its way never does.
 */

#include <linux/jiffies.h>
#include <linux/memcontrol.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <net/net_namespace.h>
#include <net/netlink.h>

#include "affinity.h"
#include "stats.h"
#include "table.h"

#define KSVC_AFFINITY_GC_PERIOD	(2 * HZ)

unsigned int ksvc_affinity_max_total __read_mostly = KSVC_AFFINITY_MAX_TOTAL;
unsigned int ksvc_affinity_max_netns __read_mostly = KSVC_AFFINITY_MAX_DEFAULT;

/* Bindings held by all namespaces together. */
static atomic_t aff_total = ATOMIC_INIT(0);
static struct kmem_cache *aff_cache __read_mostly;

/* No padding: the whole key is hashed and compared. */
struct aff_key {
	union nf_inet_addr client;
	struct ksvc_ref svc;
	u32 family;
};

struct aff_entry {
	struct rhash_head node;
	struct aff_key key;
	union nf_inet_addr be_addr;
	__be16 be_port;
	u32 timeout;			/* seconds */
	unsigned long last;		/* jiffies of the last use */
	struct rcu_head rcu;
};

static const struct rhashtable_params aff_params = {
	.head_offset = offsetof(struct aff_entry, node),
	.key_offset = offsetof(struct aff_entry, key),
	.key_len = sizeof(struct aff_key),
	.automatic_shrinking = true,
};

static void make_key(struct aff_key *key, const struct ksvc_ref *svc,
		     u8 family, const union nf_inet_addr *client)
{
	memset(key, 0, sizeof(*key));
	if (family == AF_INET)
		key->client.ip = client->ip;
	else
		key->client.in6 = client->in6;
	key->svc = *svc;
	key->family = family;
}

static bool expired(const struct aff_entry *e, unsigned long now)
{
	return time_after(now, READ_ONCE(e->last) + e->timeout * HZ);
}

/*
 * Under RCU. The index in @set of the backend @client is bound to, or
 * -ENOENT: no entry, expired, or its backend left the set. The caller
 * checks the backend may still take new connections; the entry's clock
 * restarts.
 */
int ksvc_affinity_lookup(struct ksvc_affinity *aff, const struct ksvc_ref *svc,
			 const struct ksvc_beset *set, u8 family,
			 const union nf_inet_addr *client, u32 timeout)
{
	unsigned long now = jiffies;
	struct aff_entry *e;
	struct aff_key key;
	int i;

	make_key(&key, svc, family, client);
	e = rhashtable_lookup(&aff->ht, &key, aff_params);
	if (!e || expired(e, now))
		return -ENOENT;
	i = ksvc_beset_find(set, family, &e->be_addr, e->be_port);
	if (i < 0)
		return i;
	/* A shorter timeout set on the service applies at once. */
	if (time_after(now, READ_ONCE(e->last) + timeout * HZ))
		return -ENOENT;
	WRITE_ONCE(e->last, now);
	return i;
}

static void gc_kick(struct ksvc_affinity *aff)
{
	if (!delayed_work_pending(&aff->gc))
		queue_delayed_work(system_power_efficient_wq, &aff->gc,
				   KSVC_AFFINITY_GC_PERIOD);
}

/* Takes room for one entry in @aff and in the total, or says there is none. */
static bool room_get(struct ksvc_affinity *aff)
{
	if (atomic_inc_return(&aff->count) > READ_ONCE(aff->max))
		goto full;
	if (atomic_inc_return(&aff_total) > READ_ONCE(ksvc_affinity_max_total)) {
		atomic_dec(&aff_total);
		goto full;
	}
	return true;
full:
	atomic_dec(&aff->count);
	return false;
}

static void room_put(struct ksvc_affinity *aff)
{
	atomic_dec(&aff->count);
	atomic_dec(&aff_total);
}

static void entry_free_rcu(struct rcu_head *head)
{
	kmem_cache_free(aff_cache, container_of(head, struct aff_entry, rcu));
}

/*
 * Under RCU, once the first packet of the connection it placed reached
 * POST_ROUTING: binds @client to the backend at @be_addr, @be_port.
 */
void ksvc_affinity_remember(struct ksvc_affinity *aff,
			    const struct ksvc_ref *svc, u8 family,
			    const union nf_inet_addr *client,
			    const union nf_inet_addr *be_addr, __be16 be_port,
			    u32 timeout)
{
	struct aff_entry *e, *old;
	struct mem_cgroup *memcg;

	memcg = set_active_memcg(aff->memcg);
	e = kmem_cache_zalloc(aff_cache, GFP_ATOMIC | __GFP_NOWARN);
	set_active_memcg(memcg);
	if (!e)
		return;
	make_key(&e->key, svc, family, client);
	e->be_addr = *be_addr;
	e->be_port = be_port;
	e->timeout = timeout;
	e->last = jiffies;

	old = rhashtable_lookup(&aff->ht, &e->key, aff_params);
	if (old) {
		/* Replaced whole: readers see the old binding or the new. */
		if (!rhashtable_replace_fast(&aff->ht, &old->node, &e->node,
					     aff_params)) {
			call_rcu(&old->rcu, entry_free_rcu);
			return;
		}
		kmem_cache_free(aff_cache, e);
		return;
	}
	/* Full: the connection goes on, only unremembered. */
	if (!room_get(aff)) {
		kmem_cache_free(aff_cache, e);
		return;
	}
	if (rhashtable_lookup_insert_fast(&aff->ht, &e->node, aff_params)) {
		room_put(aff);
		kmem_cache_free(aff_cache, e);
		return;
	}
	gc_kick(aff);
}

u32 ksvc_affinity_count(struct ksvc_affinity *aff)
{
	return atomic_read(&aff->count);
}

/*
 * Reaps what expired, and what a deleted service left. The table may hold
 * affinity_max bindings: the walk leaves its RCU read-side section every
 * KSVC_AFFINITY_GC_BATCH of them to yield. It pauses before it looks at an
 * entry, so the iterator's place is one still in the table (unless a
 * replace took it meanwhile: then the walk goes on from its slot), and
 * resumes from that entry. A resize in between restarts the walk: entries
 * may come twice, and a second look finds them removed or still live.
 */
static void gc_run(struct ksvc_affinity *aff)
{
	unsigned long now = jiffies;
	struct rhashtable_iter iter;
	struct aff_entry *e;
	u32 seen = 0;

	rhashtable_walk_enter(&aff->ht, &iter);
	rhashtable_walk_start(&iter);
	while ((e = rhashtable_walk_next(&iter))) {
		if (!IS_ERR(e) && ++seen % KSVC_AFFINITY_GC_BATCH == 0) {
			rhashtable_walk_stop(&iter);
			ksvc_cond_resched();
			/* -EAGAIN: the table was replaced, the walk restarts. */
			rhashtable_walk_start_check(&iter);
			e = rhashtable_walk_peek(&iter);
			if (!e)
				break;
		}
		if (IS_ERR(e)) {
			/* -EAGAIN: a resize; entries may come twice. */
			continue;
		}
		/* A deleted service's bindings go with the next reap. */
		if (!expired(e, now) && ksvc_stats_find(&e->key.svc))
			continue;
		/* A concurrent replace took it out already: theirs to free. */
		if (rhashtable_remove_fast(&aff->ht, &e->node, aff_params))
			continue;
		room_put(aff);
		call_rcu(&e->rcu, entry_free_rcu);
	}
	rhashtable_walk_stop(&iter);
	rhashtable_walk_exit(&iter);
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
void ksvc_affinity_gc_run(struct ksvc_affinity *aff)
{
	gc_run(aff);
}
#endif

static void gc_work(struct work_struct *work)
{
	struct ksvc_affinity *aff = container_of(to_delayed_work(work),
						 struct ksvc_affinity, gc);

	gc_run(aff);
	if (atomic_read(&aff->count))
		gc_kick(aff);
}

int ksvc_affinity_init(struct ksvc_affinity *aff)
{
	atomic_set(&aff->count, 0);
	aff->memcg = NULL;
	aff->max = min_t(unsigned int, READ_ONCE(ksvc_affinity_max_netns),
			 INT_MAX);
	INIT_DELAYED_WORK(&aff->gc, gc_work);
	return rhashtable_init(&aff->ht, &aff_params);
}

static void free_entry(void *ptr, void *arg)
{
	kmem_cache_free(aff_cache, ptr);
	atomic_dec(&aff_total);
}

/* No packet path reader left (namespace exit, a grace period ago). */
void ksvc_affinity_destroy(struct ksvc_affinity *aff)
{
	cancel_delayed_work_sync(&aff->gc);
	rhashtable_free_and_destroy(&aff->ht, free_entry, NULL);
	atomic_set(&aff->count, 0);
	mem_cgroup_put(aff->memcg);
	aff->memcg = NULL;
}

/*
 * In process context, from the request that gives the namespace its first
 * service: what its bindings will be charged to, from then on.
 */
void ksvc_affinity_charge_current(struct ksvc_affinity *aff)
{
	if (!aff->memcg)
		aff->memcg = get_mem_cgroup_from_mm(current->mm);
}

/*
 * Whether a namespace's affinity_max may go from @old to @new: only the
 * initial user namespace may raise it (nf_conntrack_max is read-only
 * outside it for the same reason: the memory is the host's).
 */
int ksvc_affinity_max_check(const struct net *net, int old, int new,
			    struct netlink_ext_ack *extack)
{
	if (new > old && net->user_ns != &init_user_ns) {
		NL_SET_ERR_MSG(extack,
			       "Only the initial user namespace may raise affinity_max");
		return -EPERM;
	}
	return 0;
}

/* Bindings of all namespaces together (module parameter affinity_total). */
u32 ksvc_affinity_total(void)
{
	return atomic_read(&aff_total);
}

int ksvc_affinity_cache_init(void)
{
	aff_cache = kmem_cache_create("ksvc_affinity", sizeof(struct aff_entry),
				      0, SLAB_ACCOUNT, NULL);
	return aff_cache ? 0 : -ENOMEM;
}

/* After every namespace's destroy: waits for the entries freed by RCU. */
void ksvc_affinity_cache_uninit(void)
{
	rcu_barrier();
	kmem_cache_destroy(aff_cache);
}
