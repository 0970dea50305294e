// SPDX-License-Identifier: GPL-2.0
/*
 * Session affinity (Kubernetes' sessionAffinity: ClientIP): a service with
 * an affinity timeout sends every new connection of a client address to
 * the backend its previous one went to, until the timeout passes without
 * traffic from that client or the backend can no longer take new
 * connections.
 *
 * One rhashtable per namespace, keyed by (service, family, client). The
 * service is named by its counters' (id, cookie), as connections name it,
 * so an entry never points at a freed service: the entries of a deleted
 * one just stop being found, and the next reap takes them. The packet path looks entries up
 * and inserts them under RCU; a new entry is refused once the namespace
 * holds affinity_max of them (the scheduler's choice then stands alone, so
 * forwarding never depends on room here). A work item reaps expired
 * entries every KSVC_AFFINITY_GC_PERIOD while there are any.
 */

#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "affinity.h"
#include "stats.h"
#include "table.h"

#define KSVC_AFFINITY_GC_PERIOD	(2 * HZ)

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

/* Under RCU: binds @client to @be, the scheduler's new choice. */
void ksvc_affinity_remember(struct ksvc_affinity *aff,
			    const struct ksvc_ref *svc, u8 family,
			    const union nf_inet_addr *client,
			    const struct ksvc_backend *be, u32 timeout)
{
	struct aff_entry *e, *old;

	e = kzalloc(sizeof(*e), GFP_ATOMIC);
	if (!e)
		return;
	make_key(&e->key, svc, family, client);
	e->be_addr = be->addr;
	e->be_port = be->port;
	e->timeout = timeout;
	e->last = jiffies;

	old = rhashtable_lookup(&aff->ht, &e->key, aff_params);
	if (old) {
		/* Replaced whole: readers see the old binding or the new. */
		if (!rhashtable_replace_fast(&aff->ht, &old->node, &e->node,
					     aff_params)) {
			kfree_rcu(old, rcu);
			return;
		}
		kfree(e);
		return;
	}
	/* Full: the connection goes on, only unremembered. */
	if (atomic_read(&aff->count) >= READ_ONCE(aff->max) ||
	    rhashtable_lookup_insert_fast(&aff->ht, &e->node, aff_params)) {
		kfree(e);
		return;
	}
	atomic_inc(&aff->count);
	gc_kick(aff);
}

/*
 * Under RCU, for every packet of a connection that affinity placed: the
 * client's traffic keeps its entry alive (rewritten at most once a second).
 */
void ksvc_affinity_touch(struct ksvc_affinity *aff, const struct ksvc_ref *svc,
			 u8 family, const union nf_inet_addr *client,
			 const union nf_inet_addr *be_addr, __be16 be_port)
{
	unsigned long now = jiffies;
	struct aff_entry *e;
	struct aff_key key;

	make_key(&key, svc, family, client);
	e = rhashtable_lookup(&aff->ht, &key, aff_params);
	if (!e || e->be_port != be_port ||
	    memcmp(&e->be_addr, be_addr, sizeof(e->be_addr)))
		return;
	if (time_after(now, READ_ONCE(e->last) + HZ))
		WRITE_ONCE(e->last, now);
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
		if (!expired(e, now) && ksvc_stats_ref_alive(&e->key.svc))
			continue;
		/* A concurrent replace took it out already: its to free. */
		if (rhashtable_remove_fast(&aff->ht, &e->node, aff_params))
			continue;
		atomic_dec(&aff->count);
		kfree_rcu(e, rcu);
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
	aff->max = KSVC_AFFINITY_MAX_DEFAULT;
	INIT_DELAYED_WORK(&aff->gc, gc_work);
	return rhashtable_init(&aff->ht, &aff_params);
}

static void free_entry(void *ptr, void *arg)
{
	kfree(ptr);
}

/* No packet path reader left (namespace exit, a grace period ago). */
void ksvc_affinity_destroy(struct ksvc_affinity *aff)
{
	cancel_delayed_work_sync(&aff->gc);
	rhashtable_free_and_destroy(&aff->ht, free_entry, NULL);
}
