/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_REJECT_H
#define _KSVC_REJECT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/types.h>

void ksvc_reject(struct sk_buff *skb, const struct nf_hook_state *state,
		 u8 family, u8 proto);

#endif /* _KSVC_REJECT_H */
