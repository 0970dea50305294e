/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The objects kservice.ko knows about, as plain C structs shared by ksctl and
 * kserviced. Numbers are in host byte order; addresses in network byte order.
 */
#ifndef KSVC_TYPES_H
#define KSVC_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <linux/kservice.h>

struct ksvc_addr {
	uint16_t family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr in;
		struct in6_addr in6;
		uint8_t raw[16];
	};
};

struct ksvc_stats {
	uint64_t conns;
	uint64_t packets;
	uint64_t bytes;
	uint64_t rejects;		/* services and namespace totals only */
	uint64_t drops;			/* services and namespace totals only */
};

struct ksvc_frontend {
	uint8_t kind;			/* enum ksvc_fe_kind */
	struct ksvc_addr addr;
};

struct ksvc_backend {
	struct ksvc_addr addr;
	uint16_t port;
	uint32_t weight;
	uint32_t flags;			/* enum ksvc_be_flags */
	struct ksvc_stats stats;	/* dumps only */
};

/* Which fields of a struct ksvc_service are meaningful. SVC_NEW and SVC_SET
 * send exactly these (the name, and for SVC_NEW proto and port, always); a
 * parsed dump message sets the bits of the attributes it held. */
enum ksvc_svc_has {
	KSVC_SVC_HAS_PROTO		= 1U << 0,
	KSVC_SVC_HAS_PORT		= 1U << 1,
	KSVC_SVC_HAS_NODE_PORT		= 1U << 2,
	KSVC_SVC_HAS_SCHED		= 1U << 3,
	KSVC_SVC_HAS_FLAGS		= 1U << 4,
	KSVC_SVC_HAS_GENERATION		= 1U << 5,
	KSVC_SVC_HAS_FRONTENDS		= 1U << 6,
	KSVC_SVC_HAS_BACKENDS		= 1U << 7,
	KSVC_SVC_HAS_BACKEND_COUNT	= 1U << 8,	/* dumps only */
	KSVC_SVC_HAS_STATS		= 1U << 9,	/* dumps only */
	KSVC_SVC_HAS_AFFINITY		= 1U << 10,
	KSVC_SVC_HAS_SOURCE_RANGES	= 1U << 11,
};

struct ksvc_cidr {
	struct ksvc_addr addr;
	uint8_t prefixlen;
};

struct ksvc_service {
	char name[KSVC_NAME_MAX];
	uint32_t has;			/* enum ksvc_svc_has */
	uint8_t proto;			/* IPPROTO_TCP, _UDP or _SCTP */
	uint16_t port;
	uint16_t node_port;		/* 0: none */
	uint8_t sched;			/* enum ksvc_sched */
	uint32_t flags;			/* enum ksvc_svc_flags */
	uint64_t generation;
	uint32_t affinity;		/* ClientIP timeout, seconds; 0: none */
	/* loadBalancerSourceRanges; none: no restriction */
	struct ksvc_cidr *source_ranges;
	size_t nsource_ranges, source_ranges_cap;
	struct ksvc_frontend *frontends;
	size_t nfrontends, frontends_cap;
	struct ksvc_backend *backends;
	size_t nbackends, backends_cap;
	uint32_t backend_count;		/* the kernel's size of the set */
	struct ksvc_stats stats;
};

struct ksvc_service_list {
	struct ksvc_service *svcs;
	size_t n, cap;
};


enum ksvc_cfg_has {
	KSVC_CFG_HAS_CLUSTER_CIDRS	= 1U << 0,
	KSVC_CFG_HAS_MASQUERADE_ALL	= 1U << 1,
	KSVC_CFG_HAS_NODEPORT_LOCALHOST	= 1U << 2,
	KSVC_CFG_HAS_SERVICES		= 1U << 3,	/* read only */
	KSVC_CFG_HAS_HOOKED		= 1U << 4,	/* read only */
	KSVC_CFG_HAS_STATS		= 1U << 5,	/* read only */
	KSVC_CFG_HAS_AFFINITY_MAX	= 1U << 6,
	KSVC_CFG_HAS_AFFINITY_ENTRIES	= 1U << 7,	/* read only */
	KSVC_CFG_HAS_NODEPORT_CIDRS	= 1U << 8,
	KSVC_CFG_HAS_MEMORY		= 1U << 9,	/* read only */
};

struct ksvc_config {
	uint32_t has;			/* enum ksvc_cfg_has */
	struct ksvc_cidr cluster_cidrs[KSVC_CIDRS_MAX];
	size_t ncluster_cidrs;
	/* --nodeport-addresses; none: every local address */
	struct ksvc_cidr nodeport_cidrs[KSVC_CIDRS_MAX];
	size_t nnodeport_cidrs;
	bool masquerade_all;
	bool nodeport_localhost;
	uint32_t services;
	bool hooked;
	struct ksvc_stats stats;
	uint32_t affinity_max;
	uint32_t affinity_entries;
	uint64_t memory;		/* bytes the services hold */
};

void ksvc_service_init(struct ksvc_service *svc);
void ksvc_service_release(struct ksvc_service *svc);
int ksvc_service_set_name(struct ksvc_service *svc, const char *name);
int ksvc_service_add_frontend(struct ksvc_service *svc,
			      const struct ksvc_frontend *fe);
int ksvc_service_add_backend(struct ksvc_service *svc,
			     const struct ksvc_backend *be);
int ksvc_service_add_source_range(struct ksvc_service *svc,
				  const struct ksvc_cidr *cidr);
int ksvc_service_add_backends(struct ksvc_service *svc,
			      const struct ksvc_backend *be, size_t n);

void ksvc_service_list_init(struct ksvc_service_list *list);
void ksvc_service_list_release(struct ksvc_service_list *list);
struct ksvc_service *ksvc_service_list_push(struct ksvc_service_list *list);
struct ksvc_service *ksvc_service_list_find(const struct ksvc_service_list *list,
					    const char *name);
void ksvc_service_list_sort(struct ksvc_service_list *list);

/* Where the kernel sends new connections, by the rules in kservice.h. */
enum ksvc_use {
	KSVC_USE_CLUSTER	= 1U << 0,	/* in its family's cluster set */
	KSVC_USE_LOCAL		= 1U << 1,	/* in its family's local set */
};

/* use[i]: enum ksvc_use of svc->backends[i]; O(n). */
void ksvc_service_use(const struct ksvc_service *svc, uint8_t *use);
bool ksvc_backend_ready(const struct ksvc_backend *be);

bool ksvc_addr_equal(const struct ksvc_addr *a, const struct ksvc_addr *b);
/* Whether a is in c (of its family, its first prefixlen bits c's). */
bool ksvc_cidr_contains(const struct ksvc_cidr *c, const struct ksvc_addr *a);
size_t ksvc_addr_len(uint16_t family);
void ksvc_backend_init(struct ksvc_backend *be);
int ksvc_backend_cmp(const void *a, const void *b);

#endif /* KSVC_TYPES_H */
