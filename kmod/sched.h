/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_SCHED_H
#define _KSVC_SCHED_H

#include <linux/atomic.h>
#include <linux/types.h>

struct ksvc_backend;
struct ksvc_beset;

bool ksvc_sched_usable(const struct ksvc_beset *set, u32 i, u8 family);
void ksvc_sched_prepare(struct ksvc_beset *set, u32 *space);
const struct ksvc_backend *ksvc_sched_pick(u8 sched,
					   const struct ksvc_beset *set,
					   u8 family, atomic_t *rr);

#endif /* _KSVC_SCHED_H */
