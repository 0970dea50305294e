/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KSVC_TABLE_H
#define _KSVC_TABLE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netfilter.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

struct ksvc_cidrs;
struct ksvc_stats;
struct netlink_ext_ack;
struct nlattr;

/*
 * The lookup key of a frontend: (family, address, protocol, port) for IP
 * frontends, (family, protocol, node port) with a zero address for node
 * ports. No padding: the whole struct is hashed and compared.
 */
struct ksvc_fe_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 family;
	u8 proto;
};

/* No frontend: what ksvc_fe.prev_kind says of a key new to its service. */
#define KSVC_FE_NONE		0

/*
 * One entry of the frontend or the node port table. A change that adds a
 * key, or gives a key of its service another kind, inserts its object
 * before it publishes the service's new configuration: until then the
 * object reads as it was before (prev_kind). The object a change replaces
 * or removes holds @to, the last configuration it belongs to.
 */
struct ksvc_fe {
	struct rhash_head node;
	struct ksvc_fe_key key;
	struct ksvc_service *svc;
	u8 kind;			/* enum ksvc_fe_kind or KSVC_FE_NODE_PORT */
	u8 prev_kind;			/* before @from; KSVC_FE_NONE: absent */
	u64 from;			/* the ksvc_conf.gen it came with */
	u64 to;				/* U64_MAX while current; WRITE_ONCE() */
	struct rcu_head rcu;
};

struct ksvc_backend {
	union nf_inet_addr addr;	/* zero-padded for IPv4 */
	__be16 port;
	u8 family;
	u32 weight;
	u32 flags;
	struct ksvc_stats *stats;	/* shared with the set it replaced */
};

/*
 * The backends of one family that may take new connections: the ready
 * ones, or when there are none the serving-and-terminating ones.
 */
struct ksvc_pool {
	u32 count;
	u32 total;			/* sum of their weights */
	u32 *cum;			/* cum[i]: weights of idx[0..i] summed */
	u32 *idx;			/* indices into be[], ascending */
	bool terminating;		/* the fallback to terminating ones */
	u16 *maglev;			/* Maglev table: positions in idx[] */
};

/*
 * A backend set never changes once published: an update builds a new set
 * and swaps the service's pointer, so a packet sees one whole set.
 */
struct ksvc_beset {
	struct rcu_head rcu;
	u32 count;
	u32 maglev_size;		/* entries of each pool's table, 0: none */
	size_t mem;			/* bytes, its backends' counters included */
	struct ksvc_pool pool[2];	/* by ksvc_fam_idx() */
	struct ksvc_pool local[2];	/* the same over KSVC_BE_F_LOCAL ones */
	u32 *sorted;			/* be[] indices in (family, addr, port) order */
	struct ksvc_backend be[];
};

/* Backends staged by KSVC_CMD_BE_REPLACE messages with KSVC_REQ_F_MORE. */
struct ksvc_stage {
	struct ksvc_be_spec *bes;
	u32 count;
	u32 cap;
	u32 portid;			/* of the socket that staged them */
	bool active;
};

/*
 * What the packet path reads of a service, as one whole: a change builds a
 * new one and publishes it with one rcu_assign_pointer(), so a packet sees
 * the service's set, scheduler, flags, affinity and source ranges as they
 * were before the change or as they are after it, never a mix. It owns
 * nothing: the set and the ranges belong to the service while its current
 * configuration names them, and are freed a grace period after a newer one
 * replaced them.
 */
struct ksvc_conf {
	struct ksvc_beset *set;		/* never NULL */
	struct ksvc_cidrs *ranges;	/* LB source ranges, NULL: any */
	u64 gen;			/* the service's count of changes */
	u32 flags;
	u32 affinity;			/* seconds, 0: none */
	u8 sched;
	struct rcu_head rcu;
};

struct ksvc_service {
	struct rhash_head name_node;
	struct list_head list;		/* ksvc_table.services, insertion order */
	struct ksvc_conf __rcu *conf;	/* never NULL */
	struct ksvc_stats *stats;
	atomic_t rr[2];			/* round-robin position, by family */
	u8 proto;
	u16 port;
	u16 node_port;
	u64 generation;
	u32 fe_count;
	struct ksvc_fe **fes;
	struct ksvc_fe *np[2];		/* node port entries, by family */
	struct ksvc_stage stage;
	struct rcu_head rcu;
	char name[];
};

/*
 * The services of one namespace. Writers hold *lock; the packet path only
 * looks frontends up under RCU.
 */
struct ksvc_table {
	struct mutex *lock;		/* the namespace's, held by writers */
	struct rhashtable names;
	struct rhashtable fes;
	struct rhashtable nps;
	struct list_head services;
	u32 count;
	u32 gen;			/* bumped on every change, never 0 */
	u64 mem;			/* bytes its services hold, kept as they change */
	/*
	 * A UDP or SCTP service lost a backend or a frontend, or went, or
	 * a frontend of one got its first backend (came with one, or the
	 * set had none): ksvc_nat_ct_flush() has conntrack entries to delete.
	 */
	bool ct_stale;
	/* The UDP and SCTP frontend keys that left since, for the flush. */
	struct ksvc_fe_key *gone;
	u32 gone_count;
	u32 gone_cap;
	bool gone_lost;			/* some did, without room to say which */
};

/* What a request asks for; the nlattr pointers only name culprits. */
struct ksvc_fe_spec {
	union nf_inet_addr addr;
	u8 family;
	u8 kind;
	const struct nlattr *nla;
};

struct ksvc_be_spec {
	union nf_inet_addr addr;
	u16 port;
	u8 family;
	u32 weight;
	u32 flags;
	const struct nlattr *nla;
};

enum {
	KSVC_SPEC_PROTO = BIT(0),
	KSVC_SPEC_PORT = BIT(1),
	KSVC_SPEC_NODE_PORT = BIT(2),
	KSVC_SPEC_SCHED = BIT(3),
	KSVC_SPEC_FLAGS = BIT(4),
	KSVC_SPEC_GENERATION = BIT(5),
	KSVC_SPEC_FRONTENDS = BIT(6),
	KSVC_SPEC_BACKENDS = BIT(7),
	KSVC_SPEC_AFFINITY = BIT(8),
	KSVC_SPEC_SOURCE_RANGES = BIT(9),
};

struct ksvc_svc_spec {
	const char *name;
	u32 has;			/* KSVC_SPEC_* of the fields given */
	u8 proto;
	u16 port;
	u16 node_port;
	u8 sched;
	u32 flags;
	u32 affinity;
	u64 generation;
	/* Taken by the service when the request succeeds; NULL: none. */
	struct ksvc_cidrs *ranges;
	const struct ksvc_fe_spec *fes;
	u32 fe_count;
	const struct ksvc_be_spec *bes;
	u32 be_count;
	const struct nlattr *name_nla;
	const struct nlattr *node_port_nla;
};

/* Releasing a set yields once per this many backends. */
#define KSVC_YIELD_BACKENDS	1024

int ksvc_table_init(struct ksvc_table *tab, struct mutex *lock);
void ksvc_table_destroy(struct ksvc_table *tab);
void ksvc_table_flush(struct ksvc_table *tab);
void ksvc_table_gone_clear(struct ksvc_table *tab);
/*
 * Bytes the table holds, as the allocators hold them: its hash tables'
 * buckets, and each service with its frontends, node ports, source ranges,
 * backend set, staged backends and counters (per-CPU parts included).
 * Writers' lock held.
 */
u64 ksvc_table_mem(const struct ksvc_table *tab);
#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
u64 ksvc_table_mem_recount(const struct ksvc_table *tab);
#endif

struct ksvc_service *ksvc_service_find(struct ksvc_table *tab, const char *name);
int ksvc_service_add(struct ksvc_table *tab, const struct ksvc_svc_spec *spec,
		     struct netlink_ext_ack *extack);
int ksvc_service_set(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_svc_spec *spec,
		     struct netlink_ext_ack *extack);
void ksvc_service_del(struct ksvc_table *tab, struct ksvc_service *svc);
/* The configuration of @svc and parts of it, to writers and dumps. */
const struct ksvc_conf *ksvc_service_conf(const struct ksvc_table *tab,
					  const struct ksvc_service *svc);
struct ksvc_beset *ksvc_service_backends(const struct ksvc_table *tab,
					 const struct ksvc_service *svc);
const struct ksvc_cidrs *ksvc_service_ranges(const struct ksvc_table *tab,
					     const struct ksvc_service *svc);

int ksvc_backends_replace(struct ksvc_table *tab, struct ksvc_service *svc,
			  const struct ksvc_be_spec *bes, u32 count,
			  struct netlink_ext_ack *extack);
struct ksvc_conf *ksvc_backends_prepare(struct ksvc_table *tab,
					struct ksvc_service *svc,
					const struct ksvc_be_spec *bes,
					u32 count,
					struct netlink_ext_ack *extack);
void ksvc_backends_commit(struct ksvc_table *tab, struct ksvc_service *svc,
			  struct ksvc_conf *conf);
int ksvc_backend_add(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_be_spec *be,
		     struct netlink_ext_ack *extack);
int ksvc_backend_del(struct ksvc_table *tab, struct ksvc_service *svc,
		     const struct ksvc_be_spec *be,
		     struct netlink_ext_ack *extack);

int ksvc_backends_part(struct ksvc_table *tab, struct ksvc_service *svc,
		       const struct ksvc_be_spec *bes, u32 count, u32 flags,
		       u32 portid, const struct nlattr *flags_nla,
		       struct netlink_ext_ack *extack);
void ksvc_stage_drop(struct ksvc_table *tab, struct ksvc_service *svc,
		     u32 portid);

struct ksvc_beset *ksvc_beset_new(const struct ksvc_be_spec *bes, u32 count,
				  struct netlink_ext_ack *extack);
struct ksvc_beset *ksvc_beset_build(const struct ksvc_be_spec *bes, u32 count,
				    u8 sched, struct netlink_ext_ack *extack);
void ksvc_beset_free(struct ksvc_beset *set);
int ksvc_beset_find(const struct ksvc_beset *set, u8 family,
		    const union nf_inet_addr *addr, __be16 port);

/*
 * What a packet finds at a frontend: the service, its configuration and
 * the frontend's kind, all as of one moment (see struct ksvc_conf).
 */
struct ksvc_fe_view {
	struct ksvc_service *svc;
	const struct ksvc_conf *conf;
	u8 kind;
};

bool ksvc_fe_find(struct ksvc_table *tab, const struct ksvc_fe_key *key,
		  struct ksvc_fe_view *view);
bool ksvc_np_find(struct ksvc_table *tab, u8 family, u8 proto, __be16 port,
		  struct ksvc_fe_view *view);

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
/*
 * KUnit: called by a change after each step a packet could see (the
 * writers' lock held), so a suite can look at the tables in between.
 */
extern void (*ksvc_change_step)(struct ksvc_table *tab);
#endif

#if IS_ENABLED(CONFIG_KSERVICE_KUNIT_TEST)
int ksvc_table_check(struct ksvc_table *tab, char *why, size_t size);
#endif

#endif /* _KSVC_TABLE_H */
