/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kserviced's metrics, named as kube-proxy's, and its health: what
 * /metrics and /healthz (http.c) answer. Pure data and text, so the tests
 * check the exact output.
 */
#ifndef KSD_METRICS_H
#define KSD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* kube-proxy's network programming histogram has 80 bounds. */
#define KSD_HIST_BOUNDS_MAX	80

struct ksd_histogram {
	const double *bounds;		/* upper bounds, increasing */
	size_t nbounds;
	uint64_t counts[KSD_HIST_BOUNDS_MAX + 1];	/* per bucket; last: +Inf */
	double sum;
	uint64_t count;
};

struct ksd_metrics {
	/* Every pass; full passes; observed change to kernel ack. */
	struct ksd_histogram sync, sync_full, netprog;
	double last_sync_s;		/* Unix time of the last good pass */
	double last_queued_s;		/* of the last change queued */
	uint64_t service_changes;
	uint64_t endpoint_changes;
	/* Frontends and node ports two Services claim (model.h), now. */
	uint64_t frontend_conflicts;
	/* Cluster DNS (dns.h): responses by rcode, KSD_DNS_RCODES of them,
	 * and the name of each (NULL: never sent); NULL when DNS is off. */
	const uint64_t *dns_responses;
	const char *(*dns_rcode_name)(unsigned int rcode);
	unsigned int dns_nrcodes;
};

/* kube-proxy's buckets: exponential 1 ms..16.384 s for the syncs, and
 * 0.25 s..300 s for network programming. */
void ksd_metrics_init(struct ksd_metrics *m);
void ksd_histogram_observe(struct ksd_histogram *h, double v);

/* The Prometheus text format (0.0.4) of m into a malloc'ed string, or
 * NULL when out of memory. */
char *ksd_metrics_text(const struct ksd_metrics *m);

/* A float as Go's strconv.FormatFloat(v, 'g', -1, 64), as Prometheus'
 * text writer prints them: "0.25", "16.384", "1.7e+09", "+Inf". */
void ksd_format_float(double v, char *buf, size_t size);

/*
 * kube-proxy's health: healthy when nothing is pending (queued_ms 0) or
 * the oldest change pending was queued less than timeout_ms (2 x
 * --sync-period) ago. Times are monotonic milliseconds.
 */
bool ksd_health_ok(uint64_t queued_ms, uint64_t now_ms, uint64_t timeout_ms);

/* A time as kube-proxy's clock gives it (time.Now()): Unix nanoseconds
 * (0: Go's zero time, which has no monotonic reading) and the monotonic
 * reading, nanoseconds since the process started. */
struct ksd_go_time {
	int64_t unix_ns;
	int64_t mono_ns;
};

/* The JSON body of /healthz: {"lastUpdated": "...", "currentTime":
 * "...", "nodeEligible": true}; of /livez (node_eligible NULL) the same
 * without nodeEligible, as kube-proxy's. Times as Go's time.Time.String()
 * prints time.Now() in UTC: "2006-01-02 15:04:05.5 +0000 UTC m=+3.000000001".
 * Returns the length. */
#define KSD_HEALTH_BODY_MAX	384	/* what it can take, and more */
int ksd_health_body(char *buf, size_t size, const struct ksd_go_time *last,
		    const struct ksd_go_time *now, const bool *node_eligible);

#endif /* KSD_METRICS_H */
