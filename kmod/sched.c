// SPDX-License-Identifier: GPL-2.0
/*
 * Backend choice for new connections.
 *
 * Every set carries, per family, two pools: the cluster pool and the local
 * pool (backends flagged KSVC_BE_F_LOCAL only). Each holds the ready
 * backends whose weight is not 0, or when there are none the serving and
 * terminating ones (kube-proxy's rule), with their cumulative weights,
 * computed once when the set is built. A
 * scheduler only draws a ticket in [0, total weight); the backend is the
 * first whose cumulative weight exceeds it, found by binary search, so a
 * pick is O(log n) whatever the weights. Weight 0 drains a backend: it is
 * in no pool, so it gets no new connection while its old ones carry on.
 */

#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "compat.h"
#include "kservice.h"
#include "sched.h"
#include "table.h"

struct ksvc_scheduler {
	const char *name;
	u32 (*ticket)(const struct ksvc_pool *pool, atomic_t *rr);
};

/* Weighted random: each backend gets new connections in its weight's share. */
static u32 random_ticket(const struct ksvc_pool *pool, atomic_t *rr)
{
	return get_random_u32_below(pool->total);
}

static const struct ksvc_scheduler sched_random = {
	.name = "random",
	.ticket = random_ticket,
};

/*
 * Weighted round-robin: the service's counter walks the tickets in order,
 * so a backend of weight w gets w connections in a row, each cycle.
 */
static u32 rr_ticket(const struct ksvc_pool *pool, atomic_t *rr)
{
	return (u32)atomic_fetch_inc(rr) % pool->total;
}

static const struct ksvc_scheduler sched_rr = {
	.name = "rr",
	.ticket = rr_ticket,
};

/* Maglev picks by its table; without one it draws as random does. */
static const struct ksvc_scheduler *const schedulers[] = {
	[KSVC_SCHED_RANDOM] = &sched_random,
	[KSVC_SCHED_RR] = &sched_rr,
	[KSVC_SCHED_MAGLEV] = &sched_random,
};

static_assert(ARRAY_SIZE(schedulers) == KSVC_SCHED_MAX + 1);

/* Kubernetes' reading of EndpointSlice conditions: none set is ready. */
static bool be_ready(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_READY) ||
	       !(be->flags & (KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING));
}

static bool be_fallback(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_SERVING) &&
	       (be->flags & KSVC_BE_F_TERMINATING);
}

static bool in_pool(const struct ksvc_backend *be, unsigned int f, bool local,
		    bool terminating)
{
	if (ksvc_fam_idx(be->family) != f || !be->weight)
		return false;
	if (local && !(be->flags & KSVC_BE_F_LOCAL))
		return false;
	return terminating ? be_fallback(be) : be_ready(be);
}

/* Fills @pool from @cum and @idx on; returns how many entries it took. */
static u32 fill(struct ksvc_pool *pool, const struct ksvc_beset *set,
		unsigned int f, bool local, u32 *cum, u32 *idx)
{
	u32 i;

	pool->cum = cum;
	pool->idx = idx;
	pool->count = 0;
	pool->total = 0;
	pool->terminating = false;
	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (!in_pool(be, f, local, false))
			continue;
		/* No overflow: 65535 backends of weight 65535 fit. */
		pool->total += be->weight;
		pool->cum[pool->count] = pool->total;
		pool->idx[pool->count] = i;
		pool->count++;
	}
	if (pool->count)
		return pool->count;
	/* None ready: kube-proxy's fallback to serving, terminating ones. */
	pool->terminating = true;
	for (i = 0; i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		if (!in_pool(be, f, local, true))
			continue;
		pool->total += be->weight;
		pool->cum[pool->count] = pool->total;
		pool->idx[pool->count] = i;
		pool->count++;
	}
	pool->terminating = pool->count > 0;
	return pool->count;
}

/*
 * @space: 4 * set->count u32s that live as long as the set. A backend is
 * in at most one cluster and one local pool.
 */
void ksvc_sched_prepare(struct ksvc_beset *set, u32 *space)
{
	u32 n = set->count, c = 0, l = 0;
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(set->pool); f++) {
		c += fill(&set->pool[f], set, f, false, space + c,
			  space + n + c);
		l += fill(&set->local[f], set, f, true, space + 2 * n + l,
			  space + 3 * n + l);
	}
}

/* The pool a new connection of @family draws from. */
const struct ksvc_pool *ksvc_sched_pool(const struct ksvc_beset *set,
					u8 family, bool local)
{
	unsigned int f = ksvc_fam_idx(family);

	return local ? &set->local[f] : &set->pool[f];
}

/* Whether be[@i] is in @pool: a binary search, its indices ascend. */
bool ksvc_sched_in_pool(const struct ksvc_pool *pool, u32 i)
{
	u32 lo = 0, hi = pool->count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (pool->idx[mid] == i)
			return true;
		if (pool->idx[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- Maglev --------------------------------------------------------------- */

/*
 * Fixed seeds: every node, and every rebuild of a set, gives a backend the
 * same permutation of the entries.
 */
#define MAGLEV_SEED_OFFSET	0x6d61676c
#define MAGLEV_SEED_SKIP	0x65763121
#define MAGLEV_EMPTY		0xffff

static u32 be_hash(const struct ksvc_backend *be, u32 seed)
{
	u32 key[6];

	memcpy(key, &be->addr, sizeof(be->addr));
	key[4] = (__force u32)be->port;
	key[5] = be->family;
	return jhash2(key, ARRAY_SIZE(key), seed);
}

/*
 * Maglev's population (Eisenbud et al., NSDI 2016), weighted by stride
 * scheduling: a backend of weight w takes its next entry (the next free one
 * in its own permutation) every 2^32 / w units of a virtual clock, and the
 * backend due first goes next. So each holds m * w / W entries of the m,
 * give or take one, whatever the weights (at least one: all start due at
 * once), where handing out weight/gcd entries per turn gave nothing to the
 * last backends of a heavy set. Ties go to the backend first in the set's
 * sorted order, never to the order of the requests, so every node builds
 * the same table from the same set.
 */
struct mh_turn {
	u64 due;		/* the virtual time of its next entry */
	u64 stride;		/* 2^32 / weight */
	u32 order;		/* its rank in the set's sorted order */
	u32 pos;		/* its position in the pool's idx[] */
	u32 offset;
	u32 skip;
	u32 next;		/* how far along its permutation it is */
};

static bool mh_before(const struct mh_turn *a, const struct mh_turn *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

/* The root of the min-heap @h of @n turns moved later: sinks it. */
static void mh_sift_down(struct mh_turn *h, u32 n)
{
	u32 i = 0, c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && mh_before(&h[c + 1], &h[c]))
			c++;
		if (!mh_before(&h[c], &h[i]))
			return;
		swap(h[i], h[c]);
		i = c;
	}
}

/* be[@i]'s position in @pool's idx[] (ascending); the caller knows it is in. */
static u32 pool_pos(const struct ksvc_pool *pool, u32 i)
{
	u32 lo = 0, hi = pool->count - 1;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (pool->idx[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int maglev_build(const struct ksvc_beset *set, struct ksvc_pool *pool,
			u16 *table, u32 m)
{
	u32 n = pool->count, filled, s, k = 0, c;
	struct mh_turn *h;

	pool->maglev = NULL;
	if (!n || n >= m)
		return 0;
	h = kvmalloc_array(n, sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	/* All due at 0, in sorted order: already a min-heap. */
	for (s = 0; s < set->count; s++) {
		u32 i = set->sorted[s];
		const struct ksvc_backend *be = &set->be[i];

		if (!ksvc_sched_in_pool(pool, i))
			continue;
		h[k] = (struct mh_turn) {
			.stride = div_u64(1ULL << 32, be->weight),
			.order = k,
			.pos = pool_pos(pool, i),
			.offset = be_hash(be, MAGLEV_SEED_OFFSET) % m,
			.skip = be_hash(be, MAGLEV_SEED_SKIP) % (m - 1) + 1,
		};
		k++;
	}
	memset(table, 0xff, m * sizeof(*table));
	for (filled = 0; filled < m; filled++) {
		struct mh_turn *t = &h[0];

		/* m is prime: a free entry is found within m steps. */
		do {
			c = (t->offset + (u64)t->next * t->skip) % m;
			t->next++;
		} while (table[c] != MAGLEV_EMPTY);
		table[c] = t->pos;
		t->due += t->stride;
		mh_sift_down(h, n);
		if (!(filled & 4095))
			cond_resched();
	}
	kvfree(h);
	pool->maglev = table;
	return 0;
}

/*
 * @space: 4 tables of @m u16s that live as long as the set. -ENOMEM when
 * a table cannot be built: never a silent fall back to random picks.
 */
int ksvc_sched_maglev(struct ksvc_beset *set, u16 *space, u32 m)
{
	unsigned int f;
	int err;

	set->maglev_size = m;
	for (f = 0; f < ARRAY_SIZE(set->pool); f++) {
		err = maglev_build(set, &set->pool[f], space + 2 * f * m, m);
		if (!err)
			err = maglev_build(set, &set->local[f],
					   space + (2 * f + 1) * m, m);
		if (err)
			return err;
	}
	return 0;
}

/* The flow a Maglev pick hashes: the client's address and port. */
u32 ksvc_sched_flow_hash(u8 family, const union nf_inet_addr *saddr,
			 __be16 sport, u8 proto)
{
	u32 key[6];

	memcpy(key, saddr, sizeof(*saddr));
	key[4] = (__force u32)sport;
	key[5] = family << 8 | proto;
	return jhash2(key, ARRAY_SIZE(key), 0);
}

/* Under RCU. NULL when the family's cluster set is empty. */
const struct ksvc_backend *ksvc_sched_pick(u8 sched,
					   const struct ksvc_beset *set,
					   u8 family, atomic_t *rr)
{
	return ksvc_sched_pick_pool(sched, set, ksvc_sched_pool(set, family,
								false), rr,
				    get_random_u32());
}

/* Under RCU. NULL when @pool is empty. @hash: the flow's, for Maglev. */
const struct ksvc_backend *ksvc_sched_pick_pool(u8 sched,
						const struct ksvc_beset *set,
						const struct ksvc_pool *pool,
						atomic_t *rr, u32 hash)
{
	const struct ksvc_scheduler *s;
	u32 ticket, lo, hi;

	if (!pool->total)
		return NULL;
	if (sched == KSVC_SCHED_MAGLEV && pool->maglev)
		return &set->be[pool->idx[pool->maglev[hash %
							set->maglev_size]]];
	s = schedulers[sched < ARRAY_SIZE(schedulers) ? sched : KSVC_SCHED_RANDOM];
	ticket = s->ticket(pool, rr);
	lo = 0;
	hi = pool->count - 1;
	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (pool->cum[mid] > ticket)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &set->be[pool->idx[lo]];
}
