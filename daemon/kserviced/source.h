/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where Services and EndpointSlices come from. A source puts objects into
 * the daemon's store and says when it has changed; the daemon turns the
 * store into the model and programs the kernel. Two sources: the manifests
 * folder (manifests.c) and, next, the Kubernetes API watch, which fits the
 * same shape: start() registers its sockets and timers with the loop,
 * list results and watch events update the store, a relist reports
 * KSD_CHANGED_ALL.
 *
 * Nothing is programmed before the source is synced (it has delivered one
 * complete state): an empty store would otherwise sweep the kernel clean.
 */
#ifndef KSD_SOURCE_H
#define KSD_SOURCE_H

#include <stdbool.h>

#include "loop.h"
#include "store.h"

enum ksd_changed {
	KSD_CHANGED_SOME,	/* objects changed: a pass of changes */
	KSD_CHANGED_ALL,	/* a complete new state: a full pass */
};

struct ksd_source;

struct ksd_source_ops {
	const char *name;
	/* Registers what it waits on; may deliver the first state at once.
	 * Returns 0 or -errno (the daemon exits). */
	int (*start)(struct ksd_source *src, struct ksd_loop *loop);
	/* SIGHUP: read everything again. */
	void (*reload)(struct ksd_source *src);
	/* Unregisters and frees everything. */
	void (*stop)(struct ksd_source *src);
};

struct ksd_source {
	const struct ksd_source_ops *ops;
	struct ksd_store *store;	/* the daemon's */
	/* Set by the daemon: called after the store changed. */
	void (*changed)(struct ksd_source *src, enum ksd_changed what);
	void *daemon;
	bool synced;
	/* Monotonic ms since the API has answered every request with 401
	 * Unauthorized (the source's credentials are refused); 0: not. */
	uint64_t unauthorized_ms;
};

#endif /* KSD_SOURCE_H */
