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

static struct kunit_case sched_test_cases[] = {
	KUNIT_CASE(sched_test_random_spread),
	KUNIT_CASE_PARAM(sched_test_weights_proportional, weight_gen_params),
	KUNIT_CASE(sched_test_weight_zero_never_picked),
	KUNIT_CASE(sched_test_rr_cycles),
	KUNIT_CASE(sched_test_family_pools),
	{}
};

static struct kunit_suite sched_test_suite = {
	.name = "kservice_sched",
	.test_cases = sched_test_cases,
};

kunit_test_suite(sched_test_suite);
