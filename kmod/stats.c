// SPDX-License-Identifier: GPL-2.0
/*
 * Counters of services, backends and namespaces: per-CPU ones for what
 * the first packet of a connection decides (scheduled, refused, dropped),
 * and the packets and bytes of the connections conntrack holds, summed
 * from its accounting by a walk (ksvc_nat_ct_count()) for each dump: no
 * packet after the first costs kservice anything.
 *
 * Every set has an (id, cookie) in one xarray, which session affinity
 * names a service by: a retired set leaves the xarray at once and is
 * freed after a grace period, so a lookup either finds a live set or
 * nothing.
 */

#include <linux/percpu.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/u64_stats_sync.h>
#include <linux/xarray.h>

#include "stats.h"

struct ksvc_pcpu_stats {
	u64_stats_t conns;
	u64_stats_t rejects;
	u64_stats_t drops;
	struct u64_stats_sync syncp;
};

struct ksvc_stats {
	struct ksvc_pcpu_stats __percpu *cpu;
	u32 id;
	u32 cookie;
	/* Of the connections conntrack held at the last walk; WRITE_ONCE(). */
	u64 live_packets;
	u64 live_bytes;
	struct rcu_head rcu;
};

/* Index 0 is never handed out: a zeroed reference finds nothing. */
static DEFINE_XARRAY_FLAGS(stats_xa, XA_FLAGS_ALLOC1);
static u32 stats_next_id;

struct ksvc_stats *ksvc_stats_new(void)
{
	struct ksvc_stats *stats;
	int cpu;

	stats = kzalloc(sizeof(*stats), GFP_KERNEL_ACCOUNT);
	if (!stats)
		return NULL;
	stats->cpu = alloc_percpu_gfp(struct ksvc_pcpu_stats, GFP_KERNEL_ACCOUNT);
	if (!stats->cpu)
		goto err_free;
	for_each_possible_cpu(cpu)
		u64_stats_init(&per_cpu_ptr(stats->cpu, cpu)->syncp);
	/* The cookie catches an id reused after the 32-bit space wrapped. */
	stats->cookie = get_random_u32();
	/* Fully set up before it can be found. */
	if (xa_alloc_cyclic(&stats_xa, &stats->id, stats, xa_limit_32b,
			    &stats_next_id, GFP_KERNEL_ACCOUNT) < 0)
		goto err_percpu;
	return stats;

err_percpu:
	free_percpu(stats->cpu);
err_free:
	kfree(stats);
	return NULL;
}

size_t ksvc_stats_mem(const struct ksvc_stats *stats)
{
	if (!stats)
		return 0;
	return ksize(stats) +
	       sizeof(struct ksvc_pcpu_stats) * num_possible_cpus();
}

static void stats_free_rcu(struct rcu_head *rcu)
{
	struct ksvc_stats *stats = container_of(rcu, struct ksvc_stats, rcu);

	free_percpu(stats->cpu);
	kfree(stats);
}

/* Process context: the xarray's lock is not taken from softirq anywhere. */
void ksvc_stats_retire(struct ksvc_stats *stats)
{
	if (!stats)
		return;
	xa_erase(&stats_xa, stats->id);
	call_rcu(&stats->rcu, stats_free_rcu);
}

void ksvc_stats_ref(const struct ksvc_stats *stats, struct ksvc_ref *ref)
{
	ref->id = stats ? stats->id : 0;
	ref->cookie = stats ? stats->cookie : 0;
}

/*
 * Writers run in softirq and, for LOCAL_OUT and POST_ROUTING of local
 * traffic, in process context with bottom halves enabled: pin the CPU and
 * keep the (32-bit only) seqcount safe from interrupting writers.
 */
static void stats_add(struct ksvc_stats *stats, u64 conns, u64 rejects,
		      u64 drops)
{
	struct ksvc_pcpu_stats *c;
	unsigned long flags;

	c = get_cpu_ptr(stats->cpu);
	flags = u64_stats_update_begin_irqsave(&c->syncp);
	u64_stats_add(&c->conns, conns);
	u64_stats_add(&c->rejects, rejects);
	u64_stats_add(&c->drops, drops);
	u64_stats_update_end_irqrestore(&c->syncp, flags);
	put_cpu_ptr(stats->cpu);
}

void ksvc_stats_conn(struct ksvc_stats *stats)
{
	if (stats)
		stats_add(stats, 1, 0, 0);
}

void ksvc_stats_reject(struct ksvc_stats *stats)
{
	if (stats)
		stats_add(stats, 0, 1, 0);
}

void ksvc_stats_drop(struct ksvc_stats *stats)
{
	if (stats)
		stats_add(stats, 0, 0, 1);
}

/* Under RCU: the set @ref names, or NULL once it was retired. */
struct ksvc_stats *ksvc_stats_find(const struct ksvc_ref *ref)
{
	struct ksvc_stats *stats;

	if (!ref->id)
		return NULL;
	stats = xa_load(&stats_xa, ref->id);
	return stats && stats->cookie == ref->cookie ? stats : NULL;
}

/* The walk's sums: its writer holds the namespace's lock. */
void ksvc_stats_live_reset(struct ksvc_stats *stats)
{
	if (!stats)
		return;
	WRITE_ONCE(stats->live_packets, 0);
	WRITE_ONCE(stats->live_bytes, 0);
}

void ksvc_stats_live_add(struct ksvc_stats *stats, u64 packets, u64 bytes)
{
	if (!stats)
		return;
	WRITE_ONCE(stats->live_packets, stats->live_packets + packets);
	WRITE_ONCE(stats->live_bytes, stats->live_bytes + bytes);
}

void ksvc_stats_fold(const struct ksvc_stats *stats, struct ksvc_stats_sum *sum)
{
	int cpu;

	memset(sum, 0, sizeof(*sum));
	if (!stats)
		return;
	sum->packets = READ_ONCE(stats->live_packets);
	sum->bytes = READ_ONCE(stats->live_bytes);
	for_each_possible_cpu(cpu) {
		const struct ksvc_pcpu_stats *c = per_cpu_ptr(stats->cpu, cpu);
		u64 conns, rejects, drops;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&c->syncp);
			conns = u64_stats_read(&c->conns);
			rejects = u64_stats_read(&c->rejects);
			drops = u64_stats_read(&c->drops);
		} while (u64_stats_fetch_retry(&c->syncp, start));
		sum->conns += conns;
		sum->rejects += rejects;
		sum->drops += drops;
	}
}

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
/*
 * KUnit: the sets not retired yet, every namespace's. Each service and
 * each backend of a published set has its own, so a test that knows its
 * tables can tell a leaked set from a live one.
 */
unsigned long ksvc_stats_live(void)
{
	struct ksvc_stats *stats;
	unsigned long id, n = 0;

	xa_for_each(&stats_xa, id, stats)
		n++;
	return n;
}
#endif

/* Module exit: every set has been retired; wait for their frees. */
void ksvc_stats_uninit(void)
{
	rcu_barrier();
	WARN_ON(!xa_empty(&stats_xa));
	xa_destroy(&stats_xa);
}
