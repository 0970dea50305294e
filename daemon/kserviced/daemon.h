/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemon's wiring: a source feeding the store, the model built from
 * it, and the sync programming the kernel, on one event loop (loop.c).
 *
 * Passes of changes run when the source reports a change, at most once per
 * min_sync_ms (coalescing a burst into one pass); a full pass runs first,
 * every sync_ms, after a reload and after the netlink socket failed. A
 * pass that failed is tried again after a backoff from 1 s, doubling, up
 * to sync_ms. Nothing is programmed before the source is synced.
 */
#ifndef KSD_DAEMON_H
#define KSD_DAEMON_H

#include "ksvc.h"
#include "conntrack.h"
#include "dns.h"
#include "dnsserver.h"
#include "hcport.h"
#include "http.h"
#include "lbpool.h"
#include "loop.h"
#include "metrics.h"
#include "source.h"
#include "store.h"
#include "sync.h"

#define KSD_RETRY_MIN_MS	1000
/* Longest node name: a DNS subdomain, as Kubernetes' object names. */
#define KSD_HOSTNAME_MAX	253

/* What the command line sets (flags.c). */
struct ksd_opts {
	const char *manifests;
	/* The API source (the default): --kubeconfig FILE, --master URL;
	 * neither: in-cluster. */
	const char *kubeconfig;
	const char *master;
	/* --kube-api-qps, --kube-api-burst: 0 for the defaults (5, 10); a
	 * negative QPS: no bound. */
	double api_qps;
	unsigned int api_burst;
	uint64_t min_sync_ms;		/* --min-sync-period, 1 s */
	uint64_t sync_ms;		/* --sync-period, 30 s */
	struct ksvc_config cfg;		/* --cluster-cidr, --masquerade-all,
					 * --nodeport-addresses */
	/* This node's name: --hostname-override, else the host's name;
	 * trimmed and lowercased as kube-proxy's. Endpoints whose nodeName
	 * it is are local. */
	char hostname[KSD_HOSTNAME_MAX + 1];
	bool cleanup;
	/* --healthz-bind-address, --metrics-bind-address: NULL or "" for
	 * no server. */
	const char *healthz_bind;
	const char *metrics_bind;
	/* Cluster DNS: --dns-bind (NULL or "": off), --cluster-domain,
	 * --dns-ttl (seconds). */
	const char *dns_bind;
	const char *cluster_domain;
	uint32_t dns_ttl;
	/* --lb-ip-pool (standalone mode): load-balancer IPs to hand out. */
	struct ksvc_cidr lb_pool[KSD_LBPOOL_CIDRS_MAX];
	size_t nlb_pool;
	/* --conntrack-*: applied at start (conntrack.h). */
	struct ksd_conntrack ct;
};

#define KSD_HEALTHZ_PORT	10256
#define KSD_METRICS_PORT	10249

struct ksd_daemon {
	struct ksd_opts o;
	struct ksd_loop loop;
	struct ksd_store store;
	struct ksd_sync sync;
	struct ksd_source *src;
	int sfd, sync_tfd, full_tfd;
	bool want_changes, want_full;
	bool cfg_done;
	bool synced_once;
	uint64_t last_sync_ms;		/* monotonic, of the last pass */
	uint64_t retry_ms;		/* backoff after a failed pass */
	unsigned long passes;		/* passes run, for tests */
	/* The model's conflicts at the last pass (model.h), each logged
	 * once when it appeared. */
	char **conflicts;
	size_t nconflicts;
	/* Operations (http.c, metrics.c). */
	struct ksd_metrics metrics;
	struct ksd_http *healthz, *metrics_http;
	struct ksd_hcports hcports;	/* healthCheckNodePort servers */
	struct ksd_dns dns;		/* cluster DNS, when dns_server */
	struct ksd_dns_server *dns_server;
	struct ksd_lbpool lbpool;	/* --lb-ip-pool; ncidrs 0: none */
	bool lbpool_seeded;		/* from the kernel's, once */
	uint64_t queued_ms;		/* monotonic, oldest change pending */
	int64_t last_updated_ns;	/* Unix, of the last good pass */
	/* Monotonic: the daemon's start, and the last good pass since
	 * then (Go's monotonic reading of kube-proxy's lastUpdated). */
	uint64_t start_mono_ns;
	int64_t last_updated_mono_ns;
};

/*
 * Sets up the loop and timers, and starts src (which the daemon then owns)
 * over the kernel that open opens (ksvc_open, or a fake in tests).
 * Returns 0 or -errno; ksd_daemon_release() undoes either way.
 */
int ksd_daemon_init(struct ksd_daemon *d, const struct ksd_opts *o,
		    int (*open)(struct ksvc **ksp, struct ksvc_err *err),
		    struct ksd_source *src);
/* SIGHUP, SIGTERM and SIGINT through a signalfd on the loop. */
int ksd_daemon_signals(struct ksd_daemon *d);
/* Runs the loop until d->loop.stop (a signal) or a loop error. */
int ksd_daemon_run(struct ksd_daemon *d);
void ksd_daemon_release(struct ksd_daemon *d);

/* The proxy's health as /healthz reports it (node eligibility aside):
 * nothing queued for longer than 2 x --sync-period, and the API not
 * refusing our credentials (401) for as long. */
bool ksd_daemon_healthy(const struct ksd_daemon *d);
/* kube-proxy's nodeEligible: false while this node's Node is being
 * deleted (it has a deletionTimestamp) or carries the cluster
 * autoscaler's ToBeDeletedByClusterAutoscaler taint, and after it is
 * deleted in that state; true without a Node otherwise. */
bool ksd_daemon_node_eligible(const struct ksd_daemon *d);
/* This node's zone (its Node's topology.kubernetes.io/zone), or NULL. */
const char *ksd_daemon_zone(const struct ksd_daemon *d);

#endif /* KSD_DAEMON_H */
