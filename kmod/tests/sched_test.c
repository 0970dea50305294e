// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: backend choice. Sets are built without counters, as the
 * scheduler never looks at them.
 */

#include <kunit/test.h>
#include <linux/slab.h>

#include "kservice.h"
#include "sched.h"
#include "table.h"

#define PICKS 60000

static struct ksvc_beset *make_set(struct kunit *test, const u32 *weights,
				   unsigned int n, u8 family)
{
	struct ksvc_be_spec *bes;
	struct ksvc_beset *set;
	unsigned int i;

	bes = kunit_kcalloc(test, n, sizeof(*bes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bes);
	for (i = 0; i < n; i++) {
		bes[i].family = family;
		if (family == AF_INET)
			bes[i].addr.ip = htonl(0x0af40100 + i + 1);
		else
			bes[i].addr.in6.s6_addr[15] = i + 1;
		bes[i].port = 8080;
		bes[i].weight = weights[i];
	}
	set = ksvc_beset_new(bes, n, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	return set;
}

/* How often each backend of @set is picked in @picks tries. */
static void histogram(const struct ksvc_beset *set, u8 sched, u8 family,
		      unsigned int picks, unsigned int *hits)
{
	atomic_t rr = ATOMIC_INIT(0);
	unsigned int i;

	for (i = 0; i < picks; i++) {
		const struct ksvc_backend *be;

		be = ksvc_sched_pick(sched, set, family, &rr);
		if (be)
			hits[be - set->be]++;
	}
}

/* 4 equal backends, random -> each gets a quarter, within 10%. */
static void sched_test_random_spread(struct kunit *test)
{
	static const u32 weights[] = { 1, 1, 1, 1 };
	unsigned int hits[4] = {}, i;
	struct ksvc_beset *set;

	set = make_set(test, weights, ARRAY_SIZE(weights), AF_INET);
	histogram(set, KSVC_SCHED_RANDOM, AF_INET, PICKS, hits);
	for (i = 0; i < ARRAY_SIZE(hits); i++) {
		KUNIT_EXPECT_GT(test, hits[i], PICKS / 4 * 9 / 10);
		KUNIT_EXPECT_LT(test, hits[i], PICKS / 4 * 11 / 10);
	}
	ksvc_beset_free(set);
}

struct weight_case {
	const char *name;
	u8 sched;
	u32 weights[5];
};

static const struct weight_case weight_cases[] = {
	{ "random 1:2:3:4", KSVC_SCHED_RANDOM, { 1, 2, 3, 4 } },
	{ "random 10:0:30:0:60", KSVC_SCHED_RANDOM, { 10, 0, 30, 0, 60 } },
	{ "random 65535:1", KSVC_SCHED_RANDOM, { 65535, 1 } },
	{ "rr 1:2:3:4", KSVC_SCHED_RR, { 1, 2, 3, 4 } },
	{ "rr 0:5:0:1", KSVC_SCHED_RR, { 0, 5, 0, 1 } },
};

static void weight_case_desc(const struct weight_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(weight, weight_cases, weight_case_desc);

/*
 * Weights w[i] -> backend i gets w[i]/sum of the picks (within 5%, exactly
 * for round-robin over whole cycles); weight 0 gets none.
 */
static void sched_test_weights_proportional(struct kunit *test)
{
	const struct weight_case *c = test->param_value;
	unsigned int hits[5] = {}, i, n, picks;
	struct ksvc_beset *set;
	u32 sum = 0;

	/* Trailing zeros only fill the array. */
	for (n = ARRAY_SIZE(c->weights); n && !c->weights[n - 1]; n--)
		;
	for (i = 0; i < n; i++)
		sum += c->weights[i];
	/* Whole cycles for round-robin. */
	picks = c->sched == KSVC_SCHED_RR ? PICKS / sum * sum : PICKS;
	set = make_set(test, c->weights, n, AF_INET);
	histogram(set, c->sched, AF_INET, picks, hits);
	for (i = 0; i < n; i++) {
		u64 want = (u64)picks * c->weights[i] / sum;

		if (!c->weights[i]) {
			KUNIT_EXPECT_EQ(test, hits[i], 0U);
		} else if (c->sched == KSVC_SCHED_RR) {
			KUNIT_EXPECT_EQ(test, (u64)hits[i], want);
		} else if (want >= 1000) {
			KUNIT_EXPECT_GT(test, (u64)hits[i], want * 95 / 100);
			KUNIT_EXPECT_LT(test, (u64)hits[i], want * 105 / 100);
		}
	}
	ksvc_beset_free(set);
}

/* Every weight 0 (or no backend of the family) -> no usable backend. */
static void sched_test_weight_zero_never_picked(struct kunit *test)
{
	static const u32 zeros[] = { 0, 0, 0 };
	static const u32 mixed[] = { 0, 1, 0 };
	unsigned int hits[3] = {};
	atomic_t rr = ATOMIC_INIT(0);
	struct ksvc_beset *set;

	set = make_set(test, zeros, ARRAY_SIZE(zeros), AF_INET);
	KUNIT_EXPECT_NULL(test, ksvc_sched_pick(KSVC_SCHED_RANDOM, set, AF_INET,
						&rr));
	KUNIT_EXPECT_NULL(test, ksvc_sched_pick(KSVC_SCHED_RR, set, AF_INET, &rr));
	ksvc_beset_free(set);

	set = make_set(test, mixed, ARRAY_SIZE(mixed), AF_INET);
	histogram(set, KSVC_SCHED_RANDOM, AF_INET, 10000, hits);
	KUNIT_EXPECT_EQ(test, hits[0], 0U);
	KUNIT_EXPECT_EQ(test, hits[1], 10000U);
	KUNIT_EXPECT_EQ(test, hits[2], 0U);
	/* IPv4-only set: an IPv6 connection has nothing to go to. */
	KUNIT_EXPECT_NULL(test, ksvc_sched_pick(KSVC_SCHED_RANDOM, set,
						AF_INET6, &rr));
	ksvc_beset_free(set);
}

/* 5 equal backends, round-robin -> 0,1,2,3,4,0,1,... exactly. */
static void sched_test_rr_cycles(struct kunit *test)
{
	static const u32 weights[] = { 1, 1, 1, 1, 1 };
	static const u32 weighted[] = { 2, 1 };
	static const unsigned int order[] = { 0, 0, 1, 0, 0, 1 };
	atomic_t rr = ATOMIC_INIT(0);
	struct ksvc_beset *set;
	unsigned int i;

	set = make_set(test, weights, ARRAY_SIZE(weights), AF_INET6);
	for (i = 0; i < 3 * ARRAY_SIZE(weights); i++) {
		const struct ksvc_backend *be;

		be = ksvc_sched_pick(KSVC_SCHED_RR, set, AF_INET6, &rr);
		KUNIT_ASSERT_NOT_NULL(test, be);
		KUNIT_EXPECT_EQ(test, (unsigned int)(be - set->be),
				i % (unsigned int)ARRAY_SIZE(weights));
	}
	ksvc_beset_free(set);

	atomic_set(&rr, 0);
	set = make_set(test, weighted, ARRAY_SIZE(weighted), AF_INET);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		const struct ksvc_backend *be;

		be = ksvc_sched_pick(KSVC_SCHED_RR, set, AF_INET, &rr);
		KUNIT_ASSERT_NOT_NULL(test, be);
		KUNIT_EXPECT_EQ(test, (unsigned int)(be - set->be), order[i]);
	}
	ksvc_beset_free(set);
}

/* A dual-stack set -> each family picks only its own backends. */
static void sched_test_family_pools(struct kunit *test)
{
	struct ksvc_be_spec bes[4] = {};
	const struct ksvc_backend *be;
	atomic_t rr = ATOMIC_INIT(0);
	struct ksvc_beset *set;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bes); i++) {
		bes[i].family = i % 2 ? AF_INET6 : AF_INET;
		if (i % 2)
			bes[i].addr.in6.s6_addr[15] = i;
		else
			bes[i].addr.ip = htonl(0x0af40100 + i);
		bes[i].port = 80;
		bes[i].weight = 1;
	}
	set = ksvc_beset_new(bes, ARRAY_SIZE(bes), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	KUNIT_EXPECT_EQ(test, set->pool[0].count, 2U);
	KUNIT_EXPECT_EQ(test, set->pool[1].count, 2U);
	for (i = 0; i < 100; i++) {
		be = ksvc_sched_pick(i % 2 ? KSVC_SCHED_RR : KSVC_SCHED_RANDOM,
				     set, AF_INET6, &rr);
		KUNIT_ASSERT_NOT_NULL(test, be);
		KUNIT_EXPECT_EQ(test, be->family, (u8)AF_INET6);
		be = ksvc_sched_pick(KSVC_SCHED_RANDOM, set, AF_INET, &rr);
		KUNIT_ASSERT_NOT_NULL(test, be);
		KUNIT_EXPECT_EQ(test, be->family, (u8)AF_INET);
	}
	ksvc_beset_free(set);
}

/* ---- conditions and locality ------------------------------------------- */

#define R	KSVC_BE_F_READY
#define S	KSVC_BE_F_SERVING
#define T	KSVC_BE_F_TERMINATING
#define L	KSVC_BE_F_LOCAL

struct pool_case {
	const char *name;
	u32 flags[4];
	u32 weights[4];
	u32 cluster;		/* bit i: be[i] in the cluster pool */
	bool cluster_term;
	u32 local;		/* bit i: be[i] in the local pool */
	bool local_term;
};

static const struct pool_case pool_cases[] = {
	{ "no conditions is ready", { 0, 0, L, 0 }, { 1, 1, 1, 0 },
	  0x7, false, 0x4, false },
	{ "ready ones only", { R, R | S | L, S | T, T }, { 1, 1, 1, 1 },
	  0x3, false, 0x2, false },
	{ "none ready: serving and terminating", { S | T, S | T | L, T, R },
	  { 1, 1, 1, 0 }, 0x3, true, 0x2, true },
	{ "local falls back on its own", { R, S | T | L, T | L, 0 },
	  { 1, 1, 1, 0 }, 0x1, false, 0x2, true },
	{ "terminating, not serving: never", { T, T | L, S | T, R | T },
	  { 1, 1, 0, 0 }, 0x0, false, 0x0, false },
	{ "not ready, serving, not terminating: never", { S, S | L, S, S },
	  { 1, 1, 1, 1 }, 0x0, false, 0x0, false },
};

#undef R
#undef S
#undef T
#undef L

static void pool_case_desc(const struct pool_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(pool, pool_cases, pool_case_desc);

static u32 pool_bits(const struct ksvc_pool *pool)
{
	u32 i, bits = 0;

	for (i = 0; i < pool->count; i++)
		bits |= BIT(pool->idx[i]);
	return bits;
}

/*
 * A set with EndpointSlice conditions and local flags -> the cluster and
 * local pools hold kube-proxy's choice; picks stay in the pool, and
 * membership answers the same.
 */
static void sched_test_condition_pools(struct kunit *test)
{
	const struct pool_case *c = test->param_value;
	struct ksvc_be_spec bes[4] = {};
	const struct ksvc_pool *cl, *lo;
	const struct ksvc_backend *be;
	atomic_t rr = ATOMIC_INIT(0);
	struct ksvc_beset *set;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bes); i++) {
		bes[i].family = AF_INET;
		bes[i].addr.ip = htonl(0x0af40100 + i + 1);
		bes[i].port = 80;
		bes[i].weight = c->weights[i];
		bes[i].flags = c->flags[i];
	}
	set = ksvc_beset_new(bes, ARRAY_SIZE(bes), NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	cl = ksvc_sched_pool(set, AF_INET, false);
	lo = ksvc_sched_pool(set, AF_INET, true);
	KUNIT_EXPECT_EQ(test, pool_bits(cl), c->cluster);
	KUNIT_EXPECT_EQ(test, cl->terminating, c->cluster_term);
	KUNIT_EXPECT_EQ(test, pool_bits(lo), c->local);
	KUNIT_EXPECT_EQ(test, lo->terminating, c->local_term);
	for (i = 0; i < ARRAY_SIZE(bes); i++) {
		KUNIT_EXPECT_EQ(test, ksvc_sched_in_pool(cl, i),
				!!(c->cluster & BIT(i)));
		KUNIT_EXPECT_EQ(test, ksvc_sched_in_pool(lo, i),
				!!(c->local & BIT(i)));
	}
	for (i = 0; i < 20; i++) {
		be = ksvc_sched_pick_pool(KSVC_SCHED_RR, set, lo, &rr, 0);
		KUNIT_EXPECT_EQ(test, !!be, !!c->local);
		if (be)
			KUNIT_EXPECT_TRUE(test, c->local & BIT(be - set->be));
		be = ksvc_sched_pick(KSVC_SCHED_RANDOM, set, AF_INET, &rr);
		KUNIT_EXPECT_EQ(test, !!be, !!c->cluster);
		if (be)
			KUNIT_EXPECT_TRUE(test, c->cluster & BIT(be - set->be));
	}
	/* The other family has nothing. */
	KUNIT_EXPECT_EQ(test, ksvc_sched_pool(set, AF_INET6, true)->count, 0U);
	ksvc_beset_free(set);
}

/* ---- Maglev ------------------------------------------------------------- */

/*
 * Backends 10.244.x.y:8080 numbered from @first, of @weights; listed in
 * the request backwards when @reversed (be[0] is then the last one).
 */
static struct ksvc_beset *maglev_set_listed(struct kunit *test, u32 first,
					    u32 n, const u32 *weights,
					    bool reversed)
{
	struct ksvc_be_spec *bes;
	struct ksvc_beset *set;
	u32 i;

	bes = kunit_kcalloc(test, n, sizeof(*bes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bes);
	for (i = 0; i < n; i++) {
		u32 at = reversed ? n - 1 - i : i;

		bes[at].family = AF_INET;
		bes[at].addr.ip = htonl(0x0af40000 + first + i);
		bes[at].port = 8080;
		bes[at].weight = weights ? weights[i] : 1;
	}
	set = ksvc_beset_build(bes, n, KSVC_SCHED_MAGLEV, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, set);
	KUNIT_ASSERT_NOT_NULL(test, set->pool[0].maglev);
	KUNIT_ASSERT_EQ(test, set->maglev_size, ksvc_maglev_size);
	return set;
}

static struct ksvc_beset *maglev_set(struct kunit *test, u32 first, u32 n,
				     const u32 *weights)
{
	return maglev_set_listed(test, first, n, weights, false);
}

/* The address of the backend entry @e of @set's IPv4 table names. */
static __be32 maglev_entry(const struct ksvc_beset *set, u32 e)
{
	const struct ksvc_pool *pool = &set->pool[0];

	return set->be[pool->idx[pool->maglev[e]]].addr.ip;
}

/* Entries of backend i, into shares[i]. */
static void maglev_shares(const struct ksvc_beset *set, u32 *shares)
{
	const struct ksvc_pool *pool = &set->pool[0];
	u32 e;

	for (e = 0; e < set->maglev_size; e++)
		shares[pool->idx[pool->maglev[e]]]++;
}

/*
 * 10 backends of equal weight -> every entry is taken, each backend holds
 * M/10 of them, give or take one; a pick follows the table for a flow hash.
 */
static void sched_test_maglev_spread(struct kunit *test)
{
	const u32 n = 10;
	struct ksvc_beset *set = maglev_set(test, 1, n, NULL);
	atomic_t rr = ATOMIC_INIT(0);
	u32 shares[10] = {}, m = set->maglev_size, i, total = 0;

	maglev_shares(set, shares);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_GE(test, shares[i], m / n - 1);
		KUNIT_EXPECT_LE(test, shares[i], m / n + 1);
		total += shares[i];
	}
	KUNIT_EXPECT_EQ(test, total, m);
	for (i = 0; i < 1000; i++) {
		const struct ksvc_backend *be;

		be = ksvc_sched_pick_pool(KSVC_SCHED_MAGLEV, set, &set->pool[0],
					  &rr, i * 7919);
		KUNIT_ASSERT_NOT_NULL(test, be);
		KUNIT_EXPECT_EQ(test, be->addr.ip, maglev_entry(set, i * 7919 % m));
	}
	ksvc_beset_free(set);
}

/* Weights 1:2:3:4 -> table shares in proportion, within 1%. */
static void sched_test_maglev_weights(struct kunit *test)
{
	static const u32 weights[] = { 10, 20, 30, 40 };
	struct ksvc_beset *set = maglev_set(test, 1, 4, weights);
	u32 shares[4] = {}, m = set->maglev_size, i;

	maglev_shares(set, shares);
	for (i = 0; i < 4; i++) {
		u32 want = m / 100 * weights[i];

		KUNIT_EXPECT_GE(test, shares[i], want - m / 100);
		KUNIT_EXPECT_LE(test, shares[i], want + m / 100);
	}
	ksvc_beset_free(set);
}

static u32 maglev_moved(const struct ksvc_beset *a, const struct ksvc_beset *b);

/*
 * Each backend of @set (built by maglev_set from @weights) holds its share
 * of the table, m * w / W entries, within 2% or one entry.
 */
static void expect_maglev_fair(struct kunit *test,
			       const struct ksvc_beset *set,
			       const u32 *weights, u32 n)
{
	u64 total = 0, m = set->maglev_size;
	u32 *shares, i, starved = 0;

	shares = kunit_kcalloc(test, n, sizeof(*shares), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, shares);
	maglev_shares(set, shares);
	for (i = 0; i < n; i++)
		total += weights[i];
	for (i = 0; i < n; i++) {
		/* In units of 1/total entry: no rounding. */
		u64 got = shares[i] * total, want = m * weights[i];
		u64 tol = max(want / 50, total);

		starved += !shares[i];
		KUNIT_EXPECT_LE_MSG(test, got, want + tol,
				    "backend %u (weight %u): %u entries of %llu",
				    i, weights[i], shares[i], m);
		KUNIT_EXPECT_GE_MSG(test, got + tol, want,
				    "backend %u (weight %u): %u entries of %llu",
				    i, weights[i], shares[i], m);
	}
	KUNIT_EXPECT_EQ_MSG(test, starved, 0U, "backends with no entry");
}

/*
 * 100 backends weighted 1000..1099 -> each holds its share within 2%
 * (handing out weight/gcd entries per turn filled the table before the
 * last 36 had a turn).
 */
static void sched_test_maglev_heavy_weights(struct kunit *test)
{
	const u32 n = 100;
	struct ksvc_beset *set;
	u32 *weights, i;

	weights = kunit_kcalloc(test, n, sizeof(*weights), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, weights);
	for (i = 0; i < n; i++)
		weights[i] = 1000 + i;
	set = maglev_set(test, 1, n, weights);
	expect_maglev_fair(test, set, weights, n);
	ksvc_beset_free(set);
}

/*
 * Weights 65535, 65534, 1, 1 -> the first two hold half the table each
 * (the second held 2 entries), the last two one entry each.
 */
static void sched_test_maglev_skewed_weights(struct kunit *test)
{
	static const u32 weights[] = { 65535, 65534, 1, 1 };
	struct ksvc_beset *set = maglev_set(test, 1, 4, weights);

	expect_maglev_fair(test, set, weights, ARRAY_SIZE(weights));
	ksvc_beset_free(set);
}

/*
 * The same backends and weights listed in the opposite order -> the same
 * table, entry for entry: two nodes that got them in different orders
 * send a flow to the same backend.
 */
static void sched_test_maglev_order_free(struct kunit *test)
{
	const u32 n = 24;
	struct ksvc_beset *fwd, *rev;
	u32 *weights, i;

	weights = kunit_kcalloc(test, n, sizeof(*weights), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, weights);
	for (i = 0; i < n; i++)
		weights[i] = 1 + i % 5;
	fwd = maglev_set_listed(test, 1, n, weights, false);
	rev = maglev_set_listed(test, 1, n, weights, true);
	KUNIT_EXPECT_EQ(test, maglev_moved(fwd, rev), 0U);
	ksvc_beset_free(fwd);
	ksvc_beset_free(rev);
}

/* Entries of @a and @b that name different backends. */
static u32 maglev_moved(const struct ksvc_beset *a, const struct ksvc_beset *b)
{
	u32 e, moved = 0;

	for (e = 0; e < a->maglev_size; e++)
		moved += maglev_entry(a, e) != maglev_entry(b, e);
	return moved;
}

/*
 * N = 20 backends, one removed or one added -> the flows that move are
 * about 1/N of all: those of the removed backend (or those the new one
 * takes) and at most a few percent more; the same set built twice gives
 * the same table.
 */
static void sched_test_maglev_disruption(struct kunit *test)
{
	const u32 n = 20;
	struct ksvc_beset *all = maglev_set(test, 1, n, NULL);
	struct ksvc_beset *again = maglev_set(test, 1, n, NULL);
	struct ksvc_beset *less = maglev_set(test, 2, n - 1, NULL);
	struct ksvc_beset *more = maglev_set(test, 1, n + 1, NULL);
	u32 m = all->maglev_size, removed, added;

	KUNIT_EXPECT_EQ(test, maglev_moved(all, again), 0U);
	removed = maglev_moved(all, less);
	added = maglev_moved(all, more);
	kunit_info(test, "M %u, N %u: removing one moves %u.%02u%%, adding one %u.%02u%% (1/N = %u%%)",
		   m, n, removed * 100 / m, removed * 10000 / m % 100,
		   added * 100 / m, added * 10000 / m % 100, 100 / n);
	/* At least the removed backend's share, at most 1.5 times 1/N. */
	KUNIT_EXPECT_GE(test, removed, m / n - 1);
	KUNIT_EXPECT_LE(test, removed, m / n * 3 / 2);
	KUNIT_EXPECT_GE(test, added, m / (n + 1) - 1);
	KUNIT_EXPECT_LE(test, added, m / (n + 1) * 3 / 2);
	ksvc_beset_free(all);
	ksvc_beset_free(again);
	ksvc_beset_free(less);
	ksvc_beset_free(more);
}

/* Other schedulers build no table; a pool larger than the table none. */
static void sched_test_maglev_only_when_asked(struct kunit *test)
{
	static const u32 weights[] = { 1, 1 };
	struct ksvc_beset *set = make_set(test, weights, 2, AF_INET);

	KUNIT_EXPECT_NULL(test, set->pool[0].maglev);
	KUNIT_EXPECT_EQ(test, set->maglev_size, 0U);
	ksvc_beset_free(set);
}

static struct kunit_case sched_test_cases[] = {
	KUNIT_CASE(sched_test_random_spread),
	KUNIT_CASE_PARAM(sched_test_weights_proportional, weight_gen_params),
	KUNIT_CASE(sched_test_weight_zero_never_picked),
	KUNIT_CASE(sched_test_rr_cycles),
	KUNIT_CASE(sched_test_family_pools),
	KUNIT_CASE_PARAM(sched_test_condition_pools, pool_gen_params),
	KUNIT_CASE(sched_test_maglev_spread),
	KUNIT_CASE(sched_test_maglev_weights),
	KUNIT_CASE(sched_test_maglev_heavy_weights),
	KUNIT_CASE(sched_test_maglev_skewed_weights),
	KUNIT_CASE(sched_test_maglev_order_free),
	KUNIT_CASE(sched_test_maglev_disruption),
	KUNIT_CASE(sched_test_maglev_only_when_asked),
	{}
};

static struct kunit_suite sched_test_suite = {
	.name = "kservice_sched",
	.test_cases = sched_test_cases,
};

kunit_test_suite(sched_test_suite);
