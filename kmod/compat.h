/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference kservice has to bridge, and nothing else.
 * The pinned kernel is Debian's 6.1 (6.1.y); later ones are best effort.
 */
#ifndef _KSVC_COMPAT_H
#define _KSVC_COMPAT_H

#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#define KSVC_KERNEL_AT_LEAST(major, minor)				\
	(LINUX_VERSION_MAJOR * 256 + LINUX_VERSION_PATCHLEVEL >=	\
	 (major) * 256 + (minor))

/* get_random_u32_below() arrived in 6.2 and was backported to 6.1.y. */
#if !KSVC_KERNEL_AT_LEAST(6, 1)
#define get_random_u32_below(ceil) prandom_u32_max(ceil)
#endif

/* 6.2 wrapped the parsed attributes of a dump in a struct genl_info. */
#if KSVC_KERNEL_AT_LEAST(6, 2)
static inline struct nlattr **ksvc_dump_attrs(struct netlink_callback *cb)
{
	return genl_info_dump(cb)->attrs;
}
#else
static inline struct nlattr **ksvc_dump_attrs(struct netlink_callback *cb)
{
	return genl_dumpit_info(cb)->attrs;
}
#endif

/* 6.5 made register_net_sysctl() size the table with ARRAY_SIZE(). */
#if KSVC_KERNEL_AT_LEAST(6, 5)
#define ksvc_register_net_sysctl(net, path, table, size) \
	register_net_sysctl_sz(net, path, table, size)
#else
#define ksvc_register_net_sysctl(net, path, table, size) \
	register_net_sysctl(net, path, table)
#endif

/* 6.11 made proc handlers take a const table. */
#if KSVC_KERNEL_AT_LEAST(6, 11)
#define KSVC_CTL_TABLE const struct ctl_table
#else
#define KSVC_CTL_TABLE struct ctl_table
#endif

/* Later kernels dropped NF_DROP_ERR(); a plain drop then says -EPERM. */
#ifndef NF_DROP_ERR
#define NF_DROP_ERR(err) NF_DROP
#endif

#endif /* _KSVC_COMPAT_H */
