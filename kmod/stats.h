/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_STATS_H
#define _KSVC_STATS_H

#include <linux/types.h>

#include "kservice.h"

struct ksvc_stats;

struct ksvc_stats_sum {
	u64 conns;
	u64 packets;
	u64 bytes;
	u64 rejects;
	u64 drops;
};

struct ksvc_stats *ksvc_stats_new(void);
void ksvc_stats_retire(struct ksvc_stats *stats);
/* Bytes one set of counters holds: the object and its per-CPU part. */
size_t ksvc_stats_mem(const struct ksvc_stats *stats);
void ksvc_stats_ref(const struct ksvc_stats *stats, struct ksvc_ref *ref);
void ksvc_stats_conn(struct ksvc_stats *stats);
void ksvc_stats_reject(struct ksvc_stats *stats);
void ksvc_stats_drop(struct ksvc_stats *stats);
struct ksvc_stats *ksvc_stats_find(const struct ksvc_ref *ref);
void ksvc_stats_live_reset(struct ksvc_stats *stats);
void ksvc_stats_live_add(struct ksvc_stats *stats, u64 packets, u64 bytes);
void ksvc_stats_fold(const struct ksvc_stats *stats, struct ksvc_stats_sum *sum);
void ksvc_stats_uninit(void);
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
unsigned long ksvc_stats_live(void);
#endif

#endif /* _KSVC_STATS_H */
