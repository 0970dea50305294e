// SPDX-License-Identifier: GPL-2.0
/*
 * Per-namespace state, and the NAT callbacks that come and go with the
 * namespace's services.
 *
 * The callbacks are registered on the first service (IPVS does the same):
 * a namespace without services pays nothing, and pods' namespaces never
 * translate their own traffic, as with kube-proxy. They go when the last
 * service has gone and conntrack holds no translated connection in the
 * namespace any more (the rule: ksvc_nat_ct_any()). Both happen under the
 * namespace's mutex, in process context, never from an RCU reader.
 */

#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_nat.h>
#include <net/netlink.h>

#include "nat.h"
#include "net.h"
#include "stats.h"
#include "sysctl.h"

unsigned int ksvc_net_id __read_mostly;

static bool op_wanted(const struct nf_hook_ops *ops)
{
	return ops->pf == NFPROTO_IPV4 || ipv6_mod_enabled();
}

static int op_register(struct net *net, const struct nf_hook_ops *ops)
{
	if (ops->pf == NFPROTO_IPV4)
		return nf_nat_ipv4_register_fn(net, ops);
	return nf_nat_ipv6_register_fn(net, ops);
}

static void op_unregister(struct net *net, const struct nf_hook_ops *ops)
{
	if (ops->pf == NFPROTO_IPV4)
		nf_nat_ipv4_unregister_fn(net, ops);
	else
		nf_nat_ipv6_unregister_fn(net, ops);
}

static void hooks_put(struct ksvc_net *ns)
{
	unsigned int i = ksvc_nat_ops_count;

	while (i--)
		if (op_wanted(&ksvc_nat_ops[i]))
			op_unregister(ns->net, &ksvc_nat_ops[i]);
	if (ipv6_mod_enabled())
		nf_ct_netns_put(ns->net, NFPROTO_IPV6);
	nf_ct_netns_put(ns->net, NFPROTO_IPV4);
	ns->hooked = false;
}

/*
 * Attaches conntrack to the namespace (nf_ct_get() finds nothing without
 * it) and registers the NAT callbacks, unless they are already.
 */
int ksvc_net_hooks_get(struct ksvc_net *ns, struct netlink_ext_ack *extack)
{
	unsigned int i;
	int ret;

	lockdep_assert_held(&ns->lock);
	if (ns->hooked)
		return 0;
	ksvc_affinity_charge_current(&ns->aff);
	ret = nf_ct_netns_get(ns->net, NFPROTO_IPV4);
	if (ret)
		goto err;
	if (ipv6_mod_enabled()) {
		ret = nf_ct_netns_get(ns->net, NFPROTO_IPV6);
		if (ret)
			goto err_ct4;
	}
	for (i = 0; i < ksvc_nat_ops_count; i++) {
		if (!op_wanted(&ksvc_nat_ops[i]))
			continue;
		ret = op_register(ns->net, &ksvc_nat_ops[i]);
		if (ret)
			goto err_ops;
	}
	ns->hooked = true;
	return 0;

err_ops:
	while (i--)
		if (op_wanted(&ksvc_nat_ops[i]))
			op_unregister(ns->net, &ksvc_nat_ops[i]);
	if (ipv6_mod_enabled())
		nf_ct_netns_put(ns->net, NFPROTO_IPV6);
err_ct4:
	nf_ct_netns_put(ns->net, NFPROTO_IPV4);
err:
	NL_SET_ERR_MSG(extack, "Cannot register the NAT callbacks");
	return ret;
}

/*
 * How often a namespace without services looks again while conntrack holds
 * translated connections in it: nothing tells when the last one goes (no
 * callback of ours is on them), so a walk every few seconds does, and
 * only while the namespace has no service and such connections remain.
 */
#define KSVC_UNHOOK_RECHECK	(5 * HZ)

/*
 * Unregisters the callbacks once nothing needs them any more: no service,
 * and no translated connection left in conntrack's table. That is the
 * table's own word, not a count kept beside it: a connection whose first
 * packet was translated but not yet answered is in it too.
 */
void ksvc_net_hooks_sync(struct ksvc_net *ns)
{
	lockdep_assert_held(&ns->lock);
	if (!ns->hooked || ns->tab.count)
		return;
	/*
	 * A first packet translated before the last service went is, a
	 * grace period later, confirmed (so the walk finds it) or dropped.
	 */
	synchronize_net();
	if (ksvc_nat_ct_any(ns)) {
		queue_delayed_work(system_power_efficient_wq, &ns->unhook_work,
				   KSVC_UNHOOK_RECHECK);
		return;
	}
	hooks_put(ns);
}

static void unhook_work(struct work_struct *work)
{
	struct ksvc_net *ns = container_of(to_delayed_work(work),
					   struct ksvc_net, unhook_work);

	mutex_lock(&ns->lock);
	ksvc_net_hooks_sync(ns);
	mutex_unlock(&ns->lock);
}

void ksvc_net_cidrs_set(struct ksvc_net *ns, struct ksvc_cidrs *cidrs)
{
	struct ksvc_cidrs *old;

	old = rcu_replace_pointer(ns->cidrs, cidrs, lockdep_is_held(&ns->lock));
	if (old)
		kfree_rcu(old, rcu);
}

void ksvc_net_np_cidrs_set(struct ksvc_net *ns, struct ksvc_cidrs *cidrs)
{
	struct ksvc_cidrs *old;

	old = rcu_replace_pointer(ns->np_cidrs, cidrs,
				  lockdep_is_held(&ns->lock));
	if (old)
		kfree_rcu(old, rcu);
}

static void ct_work(struct work_struct *work)
{
	struct ksvc_net *ns = container_of(to_delayed_work(work),
					   struct ksvc_net, ct_work);

	mutex_lock(&ns->lock);
	ksvc_nat_ct_flush(ns, 0);
	mutex_unlock(&ns->lock);
}

/* Everything but the sysctls and the hooks: KUnit fixtures use it too. */
int ksvc_net_setup(struct ksvc_net *ns, struct net *net)
{
	int ret;

	mutex_init(&ns->lock);
	ns->net = net;
	ns->hooked = false;
	ns->masquerade_all = 0;
	ns->nodeport_localhost = 0;
	RCU_INIT_POINTER(ns->cidrs, NULL);
	RCU_INIT_POINTER(ns->np_cidrs, NULL);
	INIT_DELAYED_WORK(&ns->unhook_work, unhook_work);
	INIT_DELAYED_WORK(&ns->ct_work, ct_work);
	ns->stats = ksvc_stats_new();
	if (!ns->stats)
		return -ENOMEM;
	ret = ksvc_table_init(&ns->tab, &ns->lock);
	if (ret)
		goto err_stats;
	ret = ksvc_affinity_init(&ns->aff);
	if (ret)
		goto err_table;
	return 0;

err_table:
	mutex_lock(&ns->lock);
	ksvc_table_destroy(&ns->tab);
	mutex_unlock(&ns->lock);
err_stats:
	ksvc_stats_retire(ns->stats);
	return ret;
}

/* Unhooked and unpublished, a grace period ago. */
void ksvc_net_teardown(struct ksvc_net *ns)
{
	cancel_delayed_work_sync(&ns->unhook_work);
	cancel_delayed_work_sync(&ns->ct_work);
	mutex_lock(&ns->lock);
	WARN_ON(ns->hooked);
	ksvc_table_destroy(&ns->tab);
	ksvc_net_cidrs_set(ns, NULL);
	ksvc_net_np_cidrs_set(ns, NULL);
	mutex_unlock(&ns->lock);
	ksvc_affinity_destroy(&ns->aff);
	ksvc_stats_retire(ns->stats);
	mutex_destroy(&ns->lock);
}

static int __net_init ksvc_net_init_net(struct net *net)
{
	struct ksvc_net *ns = ksvc_net_get(net);
	int ret;

	ret = ksvc_net_setup(ns, net);
	if (ret)
		return ret;
	ret = ksvc_sysctl_register(ns);
	if (ret)
		goto err_setup;
	return 0;

err_setup:
	ksvc_net_teardown(ns);
	return ret;
}

/*
 * Unhook before the namespace's RCU grace period: by .exit no packet is in
 * our callbacks.
 */
static void __net_exit ksvc_net_pre_exit_net(struct net *net)
{
	struct ksvc_net *ns = ksvc_net_get(net);

	mutex_lock(&ns->lock);
	if (ns->hooked)
		hooks_put(ns);
	mutex_unlock(&ns->lock);
}

/*
 * Connections through the namespace's services are not killed: the
 * conntrack entries die with the namespace (or, on module unload, keep
 * working wherever another NAT user keeps the NAT core hooked), and they
 * hold nothing of ours.
 */
static void __net_exit ksvc_net_exit_net(struct net *net)
{
	struct ksvc_net *ns = ksvc_net_get(net);

	ksvc_sysctl_unregister(ns);
	ksvc_net_teardown(ns);
}

static struct pernet_operations ksvc_net_ops = {
	.init = ksvc_net_init_net,
	.pre_exit = ksvc_net_pre_exit_net,
	.exit = ksvc_net_exit_net,
	.id = &ksvc_net_id,
	.size = sizeof(struct ksvc_net),
};

int ksvc_net_init(void)
{
	return register_pernet_subsys(&ksvc_net_ops);
}

void ksvc_net_uninit(void)
{
	unregister_pernet_subsys(&ksvc_net_ops);
}
