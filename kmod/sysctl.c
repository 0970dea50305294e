// SPDX-License-Identifier: GPL-2.0
/*
 * net.kservice.*: per-namespace knobs, the same values as
 * KSVC_A_CFG_MASQUERADE_ALL and KSVC_A_CFG_NODEPORT_LOCALHOST.
 *
 * masquerade_all (0): 1 masquerades every connection kservice translates,
 *	as kube-proxy's --masquerade-all.
 * nodeport_localhost (0): 1 lets node ports answer on 127.0.0.0/8 too,
 *	not only on the node's other local addresses; it also needs
 *	net.ipv4.conf.all.route_localnet=1, as with kube-proxy. Never ::1.
 * affinity_max (module parameter affinity_max, 131072): most session
 *	affinity entries the namespace holds; past it new clients are
 *	scheduled without being remembered. The same value as
 *	KSVC_A_CFG_AFFINITY_MAX. A namespace owned by a user namespace other
 *	than the initial one may lower it, never raise it.
 */

#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "net.h"
#include "sysctl.h"

/*
 * affinity_max: as proc_dointvec_minmax(), but a raise is refused outside
 * the initial user namespace; under the namespace's mutex, as CFG_SET.
 */
static int affinity_max_handler(KSVC_CTL_TABLE *table, int write,
				void *buffer, size_t *lenp, loff_t *ppos)
{
	struct ksvc_net *ns = container_of((int *)table->data, struct ksvc_net,
					   aff.max);
	struct ctl_table tmp = *table;
	int val, ret;

	mutex_lock(&ns->lock);
	val = READ_ONCE(ns->aff.max);
	tmp.data = &val;
	ret = proc_dointvec_minmax(&tmp, write, buffer, lenp, ppos);
	if (!ret && write) {
		ret = ksvc_affinity_max_check(ns->net, READ_ONCE(ns->aff.max),
					      val, NULL);
		if (!ret)
			WRITE_ONCE(ns->aff.max, val);
	}
	mutex_unlock(&ns->lock);
	return ret;
}

static const struct ctl_table ksvc_sysctl_template[] = {
	{
		.procname	= "masquerade_all",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "nodeport_localhost",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= proc_dointvec_minmax,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	{
		.procname	= "affinity_max",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= affinity_max_handler,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_INT_MAX,
	},
	{ }
};

int ksvc_sysctl_register(struct ksvc_net *ns)
{
	struct ctl_table *table;

	/* Every namespace gets its own copy pointing at its own values. */
	table = kmemdup(ksvc_sysctl_template, sizeof(ksvc_sysctl_template),
			GFP_KERNEL_ACCOUNT);
	if (!table)
		return -ENOMEM;
	table[0].data = &ns->masquerade_all;
	table[1].data = &ns->nodeport_localhost;
	table[2].data = &ns->aff.max;
	ns->sysctl = ksvc_register_net_sysctl(ns->net, "net/kservice", table,
					      ARRAY_SIZE(ksvc_sysctl_template));
	if (!ns->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void ksvc_sysctl_unregister(struct ksvc_net *ns)
{
	const struct ctl_table *table = ns->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(ns->sysctl);
	kfree(table);
}
