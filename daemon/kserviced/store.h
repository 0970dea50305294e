/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The objects kserviced knows: Services and EndpointSlices by namespace and
 * name, as a source (the manifests folder, later the API watch) reports
 * them. The store owns what is put in it. Arrays are kept sorted by key so
 * that lookups are binary searches and the model walks them in a stable
 * order.
 */
#ifndef KSD_STORE_H
#define KSD_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "decode.h"

/* Who has an address: a service (one of its cluster IPs) or an endpoint
 * of a slice (one of its addresses), whatever its readiness. */
struct ksd_addr_ref {
	struct ksvc_addr addr;
	const struct ksd_service *svc;	/* NULL for an endpoint's */
	const struct ksd_slice *slice;	/* NULL for a cluster IP's */
	size_t ep;			/* the endpoint's index in slice */
	struct ksd_addr_ref *next;
};

struct ksd_store_index;

struct ksd_store {
	struct ksd_service **svcs;
	size_t nsvcs, svcs_cap;
	struct ksd_slice **slices;
	size_t nslices, slices_cap;
	/* The lookups by service and by address (the cluster DNS's): each
	 * made at its first use, then kept by every put and del; dropped and
	 * made again when the arrays were changed around these functions
	 * (their counts tell). NULL until then. */
	struct ksd_store_index *idx;
	/* This node's Node object, or NULL. When node_name is set (not
	 * owned), a Node of another name is dropped. */
	struct ksd_node *node;
	const char *node_name;
	/* Whether the last Node deleted was not eligible (being deleted,
	 * the autoscaler's taint): kube-proxy's SyncNode() of a deleted
	 * Node keeps what its last state said. */
	bool node_gone_ineligible;
	/* Bumped on every change, so a loop can tell whether to sync. */
	unsigned long changes;
};

void ksd_store_init(struct ksd_store *st);
void ksd_store_release(struct ksd_store *st);
/* Every Service (or every EndpointSlice) freed and gone from the store,
 * its index with them: the start of a relist's install. */
void ksd_store_clear_services(struct ksd_store *st);
void ksd_store_clear_slices(struct ksd_store *st);

/* Takes svc (or slice); one with the same namespace and name is replaced
 * (and freed). Returns true when it replaced one. */
bool ksd_store_put_service(struct ksd_store *st, struct ksd_service *svc);
bool ksd_store_put_slice(struct ksd_store *st, struct ksd_slice *slice);
/* Takes node: this node's (replaced), or freed when its name is not
 * node_name. Returns true when this node's Node changed in what kserviced
 * uses (none before, the zone, deletion, the autoscaler's taint), and only
 * then counts a change: a status heartbeat is none. */
bool ksd_store_put_node(struct ksd_store *st, struct ksd_node *node);
/* Returns false when there was none. */
bool ksd_store_del_node(struct ksd_store *st, const char *name);
bool ksd_store_del_service(struct ksd_store *st, const char *ns,
			   const char *name);
bool ksd_store_del_slice(struct ksd_store *st, const char *ns,
			 const char *name);
const struct ksd_service *ksd_store_service(const struct ksd_store *st,
					    const char *ns, const char *name);
/* The slices labelled for service ns/name, in name order: *n of them.
 * Valid until the store changes. */
struct ksd_slice *const *ksd_store_service_slices(const struct ksd_store *st,
						  const char *ns,
						  const char *name, size_t *n);
/* Whether a service of namespace ns exists. */
bool ksd_store_has_namespace(const struct ksd_store *st, const char *ns);
/* The references to address a: the first (prev NULL), then the one after
 * prev; NULL past the last. Valid until the store changes. */
const struct ksd_addr_ref *ksd_store_addr_next(const struct ksd_store *st,
					       const struct ksvc_addr *a,
					       const struct ksd_addr_ref *prev);
/* Moves everything of src into st, which is emptied first (its
 * node_name stays); src is left empty. */
void ksd_store_swap(struct ksd_store *st, struct ksd_store *src);

#endif /* KSD_STORE_H */
