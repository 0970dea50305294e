/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Load-balancer addresses without a cloud (--lb-ip-pool CIDR[,CIDR]...),
 * standalone mode only: what a cloud's controller (or MetalLB) does in a
 * cluster, writing status.loadBalancer.ingress, done here for the Services
 * of the manifests folder.
 *
 * A Service of type LoadBalancer with no status.loadBalancer.ingress (and
 * a cluster IP, not another proxy's) gets one address of the pool for each
 * family of its cluster IPs that the pool has:
 *  - spec.loadBalancerIP when it is in the pool and free; otherwise (not
 *    in the pool, or another's) that is logged once and the service gets
 *    one from the pool as if it had asked for none;
 *  - else the first free address probing from a hash of the service's
 *    namespace, name and family: the same service lands on the same
 *    address whatever order services come in, so a restarted daemon gives
 *    back what its predecessor gave, but for collisions.
 * An address is kept while the service wants it (edits keep it, and so
 * does a restart: the daemon seeds the pool with the load-balancer IPs
 * the kernel's services hold before its first update) and
 * released when the service goes, stops being a LoadBalancer or gets a
 * status of its own. Addresses the store's services hold by their status
 * are never handed out. An exhausted pool is logged once per service,
 * which is left without an address of that family (and gets one when an
 * address frees).
 *
 * Usable addresses: every address of the CIDRs but, for IPv4 CIDRs wider
 * than /31, the first and the last (network and broadcast), and for IPv6
 * CIDRs wider than /127, the first (subnet-router anycast). At most the
 * first 2^32 of a CIDR are used.
 */
#ifndef KSD_LBPOOL_H
#define KSD_LBPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "store.h"
#include "ksvc_types.h"

#define KSD_LBPOOL_CIDRS_MAX	16

struct ksd_lb_assign {
	char *ns, *name;
	struct ksvc_addr addr[2];	/* [0] IPv4, [1] IPv6; family 0: none */
	bool warned_full[2];		/* exhaustion logged */
	bool warned_req[2];		/* a refused loadBalancerIP logged */
	bool seen;
};

struct ksd_lbpool {
	struct ksvc_cidr cidrs[KSD_LBPOOL_CIDRS_MAX];
	size_t ncidrs;
	uint64_t size[2];		/* usable addresses per family */
	struct ksd_lb_assign *a;	/* sorted by namespace, name */
	size_t n, cap;
	/* Addresses services hold by their status, this update. */
	struct ksvc_addr *held;
	size_t nheld, held_cap;
};

void ksd_lbpool_init(struct ksd_lbpool *p);
void ksd_lbpool_release(struct ksd_lbpool *p);
/* The pool's CIDRs (host bits clear); -EINVAL for too many or overlapping
 * ones, -E2BIG for none. Only before the first update. */
int ksd_lbpool_set(struct ksd_lbpool *p, const struct ksvc_cidr *cidrs,
		   size_t n);
/* Before the first update: the kernel's service ksvc_name
 * ("namespace/name[:port]") holds addr as a load-balancer IP (a daemon
 * before this one gave it): the Service keeps it, if it is in the pool
 * and no other has it, and still wants one at the first update. */
void ksd_lbpool_seed(struct ksd_lbpool *p, const char *ksvc_name,
		     const struct ksvc_addr *addr);
/* Whether svc is one the pool gives an address to. */
bool ksd_lbpool_wants(const struct ksd_service *svc);
/* Brings the assignments in line with the store's services (logged).
 * Returns how many addresses were assigned or released. */
unsigned int ksd_lbpool_update(struct ksd_lbpool *p,
			       const struct ksd_store *st);
/* The addresses of ns/name into out (IPv4 first); returns how many. */
size_t ksd_lbpool_get(const struct ksd_lbpool *p, const char *ns,
		      const char *name, struct ksvc_addr out[2]);
/* Whether addr is a usable address of the pool. */
bool ksd_lbpool_contains(const struct ksd_lbpool *p,
			 const struct ksvc_addr *addr);

#endif /* KSD_LBPOOL_H */
