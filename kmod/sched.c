// SPDX-License-Identifier: GPL-2.0
/*
 * Backend choice for new connections.
 *
 * Every set carries, per family, the backends whose weight is not 0 and
 * their cumulative weights, computed once when the set is built. A
 * scheduler only draws a ticket in [0, total weight); the backend is the
 * first whose cumulative weight exceeds it, found by binary search, so a
 * pick is O(log n) whatever the weights. Weight 0 drains a backend: it is
 * in no pool, so it gets no new connection while its old ones carry on.
 */

#include <linux/kernel.h>
#include <linux/random.h>

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

static const struct ksvc_scheduler *const schedulers[] = {
	[KSVC_SCHED_RANDOM] = &sched_random,
	[KSVC_SCHED_RR] = &sched_rr,
};

static_assert(ARRAY_SIZE(schedulers) == KSVC_SCHED_MAX + 1);

/* @space: 2 * set->count u32s that live as long as the set. */
void ksvc_sched_prepare(struct ksvc_beset *set, u32 *space)
{
	u32 *cum = space, *idx = space + set->count;
	unsigned int f;
	u32 i;

	for (f = 0; f < ARRAY_SIZE(set->pool); f++) {
		struct ksvc_pool *pool = &set->pool[f];

		pool->cum = cum;
		pool->idx = idx;
		pool->count = 0;
		pool->total = 0;
		for (i = 0; i < set->count; i++) {
			const struct ksvc_backend *be = &set->be[i];

			if (ksvc_fam_idx(be->family) != f || !be->weight)
				continue;
			/* No overflow: 65535 backends of weight 65535 fit. */
			pool->total += be->weight;
			pool->cum[pool->count] = pool->total;
			pool->idx[pool->count] = i;
			pool->count++;
		}
		cum += pool->count;
		idx += pool->count;
	}
}

/* Whether be[@i] of @set may take a new connection of @family. */
bool ksvc_sched_usable(const struct ksvc_beset *set, u32 i, u8 family)
{
	return set->be[i].family == family && set->be[i].weight;
}

/* Under RCU. NULL when the family has no usable backend. */
const struct ksvc_backend *ksvc_sched_pick(u8 sched,
					   const struct ksvc_beset *set,
					   u8 family, atomic_t *rr)
{
	const struct ksvc_pool *pool = &set->pool[ksvc_fam_idx(family)];
	const struct ksvc_scheduler *s;
	u32 ticket, lo, hi;

	if (!pool->total)
		return NULL;
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
