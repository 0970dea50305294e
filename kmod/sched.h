/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_SCHED_H
#define _KSVC_SCHED_H

#include <linux/atomic.h>
#include <linux/netfilter.h>
#include <linux/types.h>

struct ksvc_backend;
struct ksvc_beset;

struct ksvc_pool;

void ksvc_sched_prepare(struct ksvc_beset *set, u32 *space);
const struct ksvc_pool *ksvc_sched_pool(const struct ksvc_beset *set,
					u8 family, bool local);
bool ksvc_sched_in_pool(const struct ksvc_pool *pool, u32 i);
const struct ksvc_backend *ksvc_sched_pick_pool(u8 sched,
						const struct ksvc_beset *set,
						const struct ksvc_pool *pool,
						atomic_t *rr, u32 hash);
int ksvc_sched_maglev(struct ksvc_beset *set, u16 *space, u32 m);
u32 ksvc_sched_flow_hash(u8 family, const union nf_inet_addr *saddr,
			 __be16 sport, u8 proto);
const struct ksvc_backend *ksvc_sched_pick(u8 sched,
					   const struct ksvc_beset *set,
					   u8 family, atomic_t *rr);

#endif /* _KSVC_SCHED_H */
