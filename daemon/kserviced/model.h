/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kube-proxy's rules (kubernetes pkg/proxy) turning a Service and its
 * EndpointSlices into what kservice.ko should hold: one kernel service per
 * service port, named "namespace/name:portname" ("namespace/name" when the
 * port has no name), with
 *  - frontends: the cluster IPs (both families of a dual-stack service),
 *    the external IPs, and the load-balancer ingress IPs whose ipMode is
 *    VIP or unset (Proxy-mode ingresses are not DNATed on the node), or
 *    the addresses the --lb-ip-pool gave the service;
 *  - the node port, for NodePort and LoadBalancer services;
 *  - backends: the first address of every endpoint of the service's
 *    IPv4/IPv6 slices whose port of the same name and protocol is set, at
 *    that port (the slice carries targetPort already resolved, named or
 *    not), deduplicated; every one that is ready or both serving and
 *    terminating, flagged with its conditions (KSVC_BE_F_READY, _SERVING,
 *    _TERMINATING) and KSVC_BE_F_LOCAL when its nodeName is this node's:
 *    the kernel applies kube-proxy's ready -> serving+terminating fallback
 *    per family and per set (cluster, local). None at all gives an empty
 *    set, which the kernel answers with a reject;
 *  - sessionAffinity ClientIP: its timeoutSeconds (10800 by default) as
 *    the affinity; none: 0;
 *  - flags: KSVC_SVC_F_INTERNAL_LOCAL for internalTrafficPolicy Local,
 *    KSVC_SVC_F_EXTERNAL_LOCAL for externalTrafficPolicy Local on an
 *    externally accessible service (NodePort, LoadBalancer, or externalIPs;
 *    kube-proxy's ExternalPolicyLocal());
 *  - source ranges: loadBalancerSourceRanges (the kernel applies them to
 *    the load-balancer IPs only).
 * Skipped: ExternalName services, headless ones (clusterIP None), those
 * without a cluster IP, and those labelled
 * service.kubernetes.io/service-proxy-name (another proxy's).
 *
 * Topology, as kube-proxy's pkg/proxy/topology.go, per family: when every
 * ready endpoint carries node hints and one is hinted for this node, the
 * cluster set is the endpoints hinted for this node (PreferSameNode); else
 * when every ready endpoint carries zone hints and one is hinted for this
 * node's zone, those hinted for the zone; else every endpoint. As
 * kube-proxy's today, the hints alone decide (the EndpointSlice controller
 * sets them only for services asking with trafficDistribution or the
 * topology-mode annotation). Topology applies only to a service that
 * uses its cluster set (kube-proxy's UsesClusterEndpoints()). A local
 * endpoint hinted elsewhere is in no cluster set: it is left out, unless
 * the service uses its local set (a Local traffic policy), whose
 * endpoints topology never narrows; then the kernel, which keeps one
 * backend set, has it in the cluster set too (a difference from
 * kube-proxy, README.md).
 *
 * The health-check node port is kept beside each kernel service, with
 * every endpoint's conditions, node and zone.
 *
 * Conflicts: the kernel keeps an IP frontend (family, address, protocol,
 * port) and a node port (protocol, port) unique in a namespace, but two
 * Services may claim the same one (B's external IP or load-balancer IP is
 * A's cluster IP at the same port). Who keeps it is decided the same way
 * on every node: a cluster IP first (the API allocated it to its Service;
 * an external IP, which anyone who may write a Service can set, never
 * takes it over), then a load-balancer IP, then an external IP; among
 * equals, and for node ports, the oldest Service (creationTimestamp; none
 * counts as newest), then namespace/name:port. The others are programmed
 * without it, everything else of theirs included. The model lists each
 * conflict (ksd_model.conflicts) for the daemon to log.
 */
#ifndef KSD_MODEL_H
#define KSD_MODEL_H

#include "decode.h"
#include "lbpool.h"
#include "store.h"
#include "ksvc_types.h"

/* One endpoint of a service port, whether it was chosen or not. */
struct ksd_model_ep {
	struct ksvc_addr addr;
	uint16_t port;
	bool ready, serving, terminating;
	char *node_name;		/* NULL when absent */
	char *zone;			/* NULL when absent */
	bool has_hints;
	char **hint_zones;
	size_t nhint_zones;
	char **hint_nodes;
	size_t nhint_nodes;
};

struct ksd_model_svc {
	/* What the kernel gets: name, proto, port, node port, frontends,
	 * backends (sched, flags and generation are the sync's). */
	struct ksvc_service ksvc;
	/* The Service's own values (the kernel's are in ksvc), and what
	 * is kept for support to come. */
	enum ksd_affinity affinity;
	uint32_t affinity_timeout;
	enum ksd_policy external_policy;
	enum ksd_policy internal_policy;
	enum ksd_traffic_distribution traffic_distribution;
	uint16_t health_check_node_port;
	int64_t created;		/* the Service's, for conflicts */
	struct ksvc_cidr *lb_source_ranges;
	size_t nlb_source_ranges;
	struct ksd_model_ep *eps;	/* every endpoint, chosen or not */
	size_t neps;
};

/* The desired state: kernel services sorted by name. */
struct ksd_model {
	struct ksd_model_svc *svcs;
	size_t n, cap;
	/* This node's name (--hostname-override), set after
	 * ksd_model_init(): endpoints of that nodeName are local. NULL or
	 * "": none is. Not owned. */
	const char *node_name;
	/* This node's zone (its Node's topology.kubernetes.io/zone), for
	 * topology; NULL or "": none. Not owned. */
	const char *zone;
	/* The --lb-ip-pool's assignments (standalone mode), set after
	 * ksd_model_init(): a service's addresses there are load-balancer
	 * IP frontends, as if its status said so. NULL: none. Not owned. */
	const struct ksd_lbpool *lbpool;
	/* What ksd_model_build() left out for a conflict, one line each
	 * ("tcp 10.96.0.10:80: default/a keeps it, default/b goes
	 * without"), sorted. */
	char **conflicts;
	size_t nconflicts;
};

void ksd_model_init(struct ksd_model *m);
void ksd_model_release(struct ksd_model *m);

/*
 * Adds the kernel services of svc given its slices (those labelled with
 * its name; others are ignored). Returns how many it added (0 for a
 * skipped service, with the reason at -v 2). Leaves the model unsorted:
 * call ksd_model_sort() after the last.
 */
int ksd_model_add_service(struct ksd_model *m, const struct ksd_service *svc,
			  const struct ksd_slice *const *slices,
			  size_t nslices);
void ksd_model_sort(struct ksd_model *m);

/* The model of every service of the store, sorted, conflicts resolved. */
void ksd_model_build(struct ksd_model *m, const struct ksd_store *st);
/* Resolves the conflicts of a sorted model (ksd_model_build() does). */
void ksd_model_resolve(struct ksd_model *m);

const struct ksd_model_svc *ksd_model_find(const struct ksd_model *m,
					   const char *name);

#endif /* KSD_MODEL_H */
