// SPDX-License-Identifier: GPL-2.0
/*
 * Planted faults for the VM harness's self-test: a module that misbehaves
 * in one chosen way, so that tests/e2e/faults/selftest.sh can check that
 * vm.sh fails the run, with the right status and reason.
 *
 *   insmod ksvc_fault.ko fault=MODE
 *
 *   none       registers a pernet_operations and does nothing wrong
 *   warn_load  WARNs in module init
 *   warn_exit  WARNs when a network namespace other than init_net is
 *              destroyed, two seconds into its exit: late in the
 *              asynchronous teardown (cleanup_net), after the script ended
 *   hang_load  module init blocks until insmod is killed
 *   hang_exit  a network namespace's exit blocks forever, so the
 *              namespace's teardown never finishes
 *   busy       takes a reference on itself: rmmod fails
 *   leak       allocates 16 objects at load and drops the pointers (kmemleak)
 *
 * Caught only by the debug kernel (tests/e2e/debug-kernel.sh), at load:
 *
 *   uaf           reads an object after freeing it (KASAN)
 *   lock_order    takes two mutexes in one order, then in the other (lockdep)
 *   sleep_atomic  allocates with GFP_KERNEL inside an RCU read-side section
 *                 (DEBUG_ATOMIC_SLEEP)
 *   rcu           dereferences an RCU-protected pointer outside any
 *                 read-side section (PROVE_RCU)
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/net_namespace.h>

enum fault {
	FAULT_NONE,
	FAULT_WARN_LOAD,
	FAULT_WARN_EXIT,
	FAULT_HANG_LOAD,
	FAULT_HANG_EXIT,
	FAULT_BUSY,
	FAULT_LEAK,
	FAULT_UAF,
	FAULT_LOCK_ORDER,
	FAULT_SLEEP_ATOMIC,
	FAULT_RCU,
};

static const char * const fault_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_WARN_LOAD] = "warn_load",
	[FAULT_WARN_EXIT] = "warn_exit",
	[FAULT_HANG_LOAD] = "hang_load",
	[FAULT_HANG_EXIT] = "hang_exit",
	[FAULT_BUSY] = "busy",
	[FAULT_LEAK] = "leak",
	[FAULT_UAF] = "uaf",
	[FAULT_LOCK_ORDER] = "lock_order",
	[FAULT_SLEEP_ATOMIC] = "sleep_atomic",
	[FAULT_RCU] = "rcu",
};

static char *fault = "none";
module_param(fault, charp, 0444);
MODULE_PARM_DESC(fault,
		 "none, warn_load, warn_exit, hang_load, hang_exit, busy, leak, uaf, lock_order, sleep_atomic or rcu");

static enum fault mode;
/* Completed by nothing: what the hangs wait for. */
static DECLARE_COMPLETION(never);
/* Written and then overwritten, so that the allocation is not elided. */
static void *leak_slot;

/* Not __init: the backtrace kmemleak keeps must name this module. */
static noinline void leak_one(void)
{
	WRITE_ONCE(leak_slot, kmalloc(64, GFP_KERNEL));
	if (READ_ONCE(leak_slot))
		memset(READ_ONCE(leak_slot), 0x5a, 64);
	WRITE_ONCE(leak_slot, NULL);
}

/*
 * Sixteen of them: a stale copy of a pointer left on a stack (insmod's,
 * cached for the next task) keeps an object referenced in kmemleak's eyes,
 * and one leaked object was missed so once in a run; the last ones
 * allocated may be hidden that way, the others are not.
 */
static noinline void leak_some(void)
{
	int i;

	for (i = 0; i < 16; i++)
		leak_one();
}

/* Through a global, so that the compiler cannot see the read is after kfree. */
static char *uaf_slot;

static noinline void use_after_free(void)
{
	WRITE_ONCE(uaf_slot, kmalloc(64, GFP_KERNEL));
	if (!READ_ONCE(uaf_slot))
		return;
	kfree(READ_ONCE(uaf_slot));
	pr_info("read after free: %d\n", READ_ONCE(uaf_slot)[8]);
}

static DEFINE_MUTEX(lock_a);
static DEFINE_MUTEX(lock_b);

/* A then B, later B then A: no deadlock here, but lockdep sees the cycle. */
static noinline void lock_inversion(void)
{
	mutex_lock(&lock_a);
	mutex_lock(&lock_b);
	mutex_unlock(&lock_b);
	mutex_unlock(&lock_a);

	mutex_lock(&lock_b);
	mutex_lock(&lock_a);
	mutex_unlock(&lock_a);
	mutex_unlock(&lock_b);
}

static noinline void sleep_in_rcu(void)
{
	void *p;

	rcu_read_lock();
	p = kmalloc(64, GFP_KERNEL);
	rcu_read_unlock();
	kfree(p);
}

static int rcu_value = 1;
static int __rcu *rcu_slot;

static noinline void rcu_unprotected(void)
{
	int *p;

	rcu_assign_pointer(rcu_slot, &rcu_value);
	p = rcu_dereference(rcu_slot);
	pr_info("rcu value %d\n", *p);
}

static void fault_net_exit(struct net *net)
{
	if (net_eq(net, &init_net))
		return;
	switch (mode) {
	case FAULT_WARN_EXIT:
		/* Late, as an exit that waits for something would be. */
		msleep(2000);
		WARN(1, "planted warning at netns exit\n");
		break;
	case FAULT_HANG_EXIT:
		pr_info("netns exit: hanging on purpose\n");
		wait_for_completion(&never);
		break;
	default:
		break;
	}
}

static struct pernet_operations fault_net_ops = {
	.exit = fault_net_exit,
};

static int __init fault_init(void)
{
	int ret;

	ret = match_string(fault_names, ARRAY_SIZE(fault_names), fault);
	if (ret < 0) {
		pr_err("unknown fault '%s'\n", fault);
		return -EINVAL;
	}
	mode = ret;
	pr_info("fault %s\n", fault_names[mode]);

	switch (mode) {
	case FAULT_WARN_LOAD:
		WARN(1, "planted warning at load\n");
		break;
	case FAULT_HANG_LOAD:
		pr_info("init: hanging on purpose until killed\n");
		if (wait_for_completion_killable(&never))
			return -EINTR;
		break;
	case FAULT_BUSY:
		__module_get(THIS_MODULE);
		break;
	case FAULT_LEAK:
		leak_some();
		break;
	case FAULT_UAF:
		use_after_free();
		break;
	case FAULT_LOCK_ORDER:
		lock_inversion();
		break;
	case FAULT_SLEEP_ATOMIC:
		sleep_in_rcu();
		break;
	case FAULT_RCU:
		rcu_unprotected();
		break;
	default:
		break;
	}
	return register_pernet_subsys(&fault_net_ops);
}

static void __exit fault_exit(void)
{
	unregister_pernet_subsys(&fault_net_ops);
}

module_init(fault_init);
module_exit(fault_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kservice's VM harness self-test: planted faults");
