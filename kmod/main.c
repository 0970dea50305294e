// SPDX-License-Identifier: GPL-2.0
/*
 * kservice: an in-kernel Kubernetes Service proxy. Module init and exit,
 * and the module parameters.
 */

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "affinity.h"
#include "kservice.h"
#include "nat.h"
#include "net.h"
#include "netlink.h"
#include "stats.h"

/*
 * Bounds memory per namespace (any user namespace's root may fill its own
 * network namespace). 262144 is 2.6 times the 100k services kservice is
 * built for; an empty service costs well under 1 KiB, tables included.
 */
unsigned int ksvc_max_services __read_mostly = 262144;
module_param_named(max_services, ksvc_max_services, uint, 0644);
MODULE_PARM_DESC(max_services,
		 "Most services in one network namespace (default 262144)");

/*
 * The hard limit by default: large Services have thousands of endpoints,
 * and a set of 65535 backends is about 4 MiB.
 */
unsigned int ksvc_max_backends __read_mostly = KSVC_BACKENDS_LIMIT;

static int max_backends_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, KSVC_BACKENDS_LIMIT);
}

static const struct kernel_param_ops max_backends_ops = {
	.set = max_backends_set,
	.get = param_get_uint,
};

module_param_cb(max_backends, &max_backends_ops, &ksvc_max_backends, 0644);
MODULE_PARM_DESC(max_backends,
		 "Most backends in one service, 1..65535 (default 65535)");

/*
 * The size of Maglev tables: a prime, so every backend's permutation of
 * the entries visits them all. 65537 keeps the spread within 1% for a few
 * hundred backends at 128 KiB per table; larger sets want a larger prime.
 */
unsigned int ksvc_maglev_size __read_mostly = 65537;

static bool is_prime(unsigned int n)
{
	unsigned int d;

	if (n < 2)
		return false;
	for (d = 2; d * d <= n; d++)
		if (!(n % d))
			return false;
	return true;
}

static int maglev_size_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n < 7 || n > KSVC_MAGLEV_SIZE_MAX || !is_prime(n))
		return -EINVAL;
	WRITE_ONCE(ksvc_maglev_size, n);
	return 0;
}

static const struct kernel_param_ops maglev_size_ops = {
	.set = maglev_size_set,
	.get = param_get_uint,
};

module_param_cb(maglev_size, &maglev_size_ops, &ksvc_maglev_size, 0644);
MODULE_PARM_DESC(maglev_size,
		 "Entries of a Maglev table, a prime 7..1048573 (default 65537); sets built later use it");

/*
 * Session affinity bindings (affinity.c): what a namespace starts with as
 * its net.kservice.affinity_max, and what all namespaces may hold
 * together. Each binding is about 96 bytes.
 */
module_param_named(affinity_max, ksvc_affinity_max_netns, uint, 0644);
MODULE_PARM_DESC(affinity_max,
		 "Session affinity bindings a new network namespace may hold: its net.kservice.affinity_max, which only the initial user namespace may raise (default 131072)");
module_param_named(affinity_max_total, ksvc_affinity_max_total, uint, 0644);
MODULE_PARM_DESC(affinity_max_total,
		 "Session affinity bindings all network namespaces together may hold (default 524288)");

static int __init ksvc_init(void)
{
	int ret;

	ret = ksvc_affinity_cache_init();
	if (ret)
		return ret;
	ret = ksvc_nat_init();
	if (ret)
		goto err_nat;
	ret = ksvc_net_init();
	if (ret)
		goto err_net;
	ret = ksvc_netlink_init();
	if (ret)
		goto err_netlink;
	return 0;

err_netlink:
	ksvc_net_uninit();
err_net:
	ksvc_nat_uninit();
err_nat:
	ksvc_stats_uninit();
	ksvc_affinity_cache_uninit();
	return ret;
}

static void __exit ksvc_exit(void)
{
	/* No request runs after this: the family waits for those in flight. */
	ksvc_netlink_uninit();
	/* Every namespace unhooks and frees its tables. */
	ksvc_net_uninit();
	/* No hook of ours is registered anywhere any more. */
	ksvc_nat_uninit();
	/* rcu_barrier(): the RCU callbacks are module code. */
	ksvc_stats_uninit();
	ksvc_affinity_cache_uninit();
}

module_init(ksvc_init);
module_exit(ksvc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel Kubernetes Service proxy");
MODULE_AUTHOR("The kservice authors");
