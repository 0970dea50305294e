/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The healthCheckNodePort servers, as kube-proxy's (pkg/proxy/healthcheck
 * service_health.go): for every Service with externalTrafficPolicy Local
 * and a spec.healthCheckNodePort, an HTTP server on that port (one
 * libmicrohttpd listener on the daemon's loop) that answers any GET with
 *   {"service":{"namespace":"NS","name":"NAME"},"localEndpoints":N,
 *    "serviceProxyHealthy":true}
 * and 200 when N > 0 (the Service's ready endpoints on this node, over
 * its ports and families) and the proxy is healthy, 503 otherwise, so that
 * a cloud load balancer sends traffic only to nodes with endpoints.
 * Servers are opened and closed as such services come and go, after each
 * model build. With --nodeport-addresses (or the configuration file's
 * nodePortAddresses) they listen, as kube-proxy's, on each address of this
 * node in those CIDRs (getifaddrs() when the server opens; per family, a
 * family without a CIDR keeps every address, as the node ports); without, on
 * every address ("[::]" dual stack), or on the host of
 * --healthz-bind-address when that is a specific address.
 *
 * localEndpoints counts as kube-proxy's LocalReadyEndpoints(): the ready
 * endpoints on this node by address, over the service's ports, so that a
 * pod serving two ports is one.
 */
#ifndef KSD_HCPORT_H
#define KSD_HCPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "loop.h"
#include "model.h"

struct ksd_hcport;

struct ksd_hcports {
	struct ksd_loop *loop;
	char host[64];			/* "[::]", "127.0.0.1", "[::1]" */
	/* --nodeport-addresses; none: host. */
	struct ksvc_cidr cidrs[KSVC_CIDRS_MAX];
	size_t ncidrs;
	/* Whether the proxy is healthy (/healthz's verdict). */
	bool (*healthy)(void *arg);
	void *arg;
	struct ksd_hcport **ports;
	size_t n;
};

/* healthz_bind: --healthz-bind-address (NULL or "": every address);
 * cidrs: --nodeport-addresses (ncidrs 0: none). */
void ksd_hcports_init(struct ksd_hcports *hc, struct ksd_loop *loop,
		      const char *healthz_bind, const struct ksvc_cidr *cidrs,
		      size_t ncidrs, bool (*healthy)(void *arg), void *arg);
/* Opens, updates and closes servers to match the model. */
void ksd_hcports_update(struct ksd_hcports *hc, const struct ksd_model *m);
/* The local endpoint count served on port, or -1 without a server. */
int ksd_hcports_local(const struct ksd_hcports *hc, uint16_t port);
void ksd_hcports_release(struct ksd_hcports *hc);

#endif /* KSD_HCPORT_H */
