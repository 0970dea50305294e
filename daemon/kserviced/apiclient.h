/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Kubernetes API source: v1 Services, discovery.k8s.io/v1
 * EndpointSlices and this node's v1 Node (fieldSelector
 * metadata.name=NODE), each listed (the first time from the watch cache,
 * resourceVersion=0; in pages of `limit`, following `continue`)
 * then watched from the list's resourceVersion (watch=1,
 * allowWatchBookmarks=true), over libcurl's multi socket API on the
 * daemon's epoll loop: curl's sockets are loop watches, its timeout a
 * timerfd; no thread.
 *
 *  - Watch events are parsed as the chunks arrive (watchstream.c) and go
 *    through the decoders into the store; an object that does not decode
 *    is skipped with one log line.
 *  - A dropped stream (or one the server ended) is resumed from the last
 *    resourceVersion seen (an event's or a bookmark's); a silent one too
 *    (see KSD_API_WATCH_IDLE_MS), on a fresh connection.
 *  - 410 Gone (the HTTP status, or an ERROR event with code 410): that
 *    kind is listed again and replaces the store's objects of that kind
 *    whole; the daemon is told KSD_CHANGED_ALL and its full pass (mark and
 *    sweep) corrects the kernel: nothing is flushed, a service still there
 *    is neither deleted nor re-created.
 *  - Failures are retried after a capped exponential backoff with jitter
 *    (struct ksd_backoff, below), kind by kind; an answer 429 or 5xx with
 *    Retry-After waits at least that long (up to a minute).
 *  - The source is synced once every kind has been listed.
 */
#ifndef KSD_APICLIENT_H
#define KSD_APICLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "kubeconfig.h"
#include "source.h"

#define KSD_API_PAGE_LIMIT	500
#define KSD_API_BACKOFF_MIN_MS	800
#define KSD_API_BACKOFF_MAX_MS	30000
/*
 * A silent API server is noticed. A black-holed path (a load balancer's
 * failover, a peer gone without a reset): TCP keepalive after 15 s idle,
 * every 10 s, and TCP_USER_TIMEOUT 45 s: the kernel ends the connection
 * 45 s after the peer last answered, idle or with data unacknowledged.
 * A frozen peer (TCP alive, nothing sent): a watch that gives not one
 * byte for KSD_API_WATCH_IDLE_MS is ended and resumed on a fresh
 * connection. The API server sends a watcher that allows bookmarks one
 * at least every minute (the watch cache's bookmark frequency), so a
 * healthy quiet watch is never idle that long: 60 s and the 15 s the
 * server itself keeps as a margin. A list is bounded by
 * KSD_API_LIST_TIMEOUT_MS as a whole.
 */
#define KSD_API_WATCH_IDLE_MS	75000
#define KSD_API_LIST_TIMEOUT_MS	60000
#define KSD_API_TCP_KEEPIDLE_S	15
#define KSD_API_TCP_KEEPINTVL_S	10
#define KSD_API_TCP_KEEPCNT	3
#define KSD_API_TCP_USER_TIMEOUT_MS 45000
#define KSD_API_QPS		5
#define KSD_API_BURST		10
/* The longest Retry-After waited for (an answer 429 or 5xx). */
#define KSD_API_RETRY_AFTER_MAX_MS 60000
/* Longest resourceVersion resumed from (one is 20 digits at most). */
#define KSD_API_RV_MAX		64
/* A token from a file is read again this often (client-go: a minute). */
#define KSD_API_TOKEN_MS	60000

struct ksd_api_opts {
	unsigned int page_limit;	/* 0: KSD_API_PAGE_LIMIT */
	uint64_t backoff_min_ms;	/* 0: KSD_API_BACKOFF_MIN_MS */
	uint64_t backoff_max_ms;	/* 0: KSD_API_BACKOFF_MAX_MS */
	/* This node's name: its Node is watched too (fieldSelector
	 * metadata.name=node_name) for its addresses and zone. NULL or "":
	 * no Node. Read at once. */
	const char *node_name;
	/* Longest watch event kept; a longer one is skipped with a log
	 * line. 0: KSD_NDJSON_LINE_MAX. */
	size_t event_max;
	uint64_t watch_idle_ms;		/* 0: KSD_API_WATCH_IDLE_MS */
	uint64_t list_timeout_ms;	/* 0: KSD_API_LIST_TIMEOUT_MS */
	/* The requests' rate (every list page, every watch), as
	 * kube-proxy's --kube-api-qps and --kube-api-burst: 0 for
	 * KSD_API_QPS, KSD_API_BURST; a negative qps: no bound. */
	double qps;
	unsigned int burst;
};

/*
 * The reconnect backoff of one kind. A failure waits between half and all
 * of the backoff (the jitter), then the backoff doubles, up to max_ms; a
 * success (a list page, a watch that gave something) sets it back to
 * min_ms. So the n-th failure in a row waits between b / 2 and b, where
 * b = min(min_ms * 2^(n-1), max_ms).
 */
struct ksd_backoff {
	uint64_t min_ms, max_ms;
	uint64_t cur_ms;		/* the next failure's backoff */
};

void ksd_backoff_init(struct ksd_backoff *b, uint64_t min_ms,
		      uint64_t max_ms);
/* A failure: the wait before trying again, its jitter from rnd (any
 * value, rand()'s in the daemon); the backoff then grows. */
uint64_t ksd_backoff_next(struct ksd_backoff *b, uint64_t rnd);
/* A success. */
void ksd_backoff_reset(struct ksd_backoff *b);

/*
 * A token bucket, as client-go's: it holds up to burst tokens, filled at
 * qps a second; each request takes one, and waits for it when there is
 * none. Full at first.
 */
struct ksd_bucket {
	double qps, burst, tokens;
	uint64_t last_ms;
};

/* qps <= 0: no bound; burst 0 is 1. */
void ksd_bucket_init(struct ksd_bucket *b, double qps, unsigned int burst,
		     uint64_t now_ms);
/* 0: a token was taken; else the ms until there is one (nothing taken). */
uint64_t ksd_bucket_take(struct ksd_bucket *b, uint64_t now_ms);

/* The source over kc (taken, released by stop or on failure); o may be
 * NULL. NULL if out of memory. */
struct ksd_source *ksd_api_source(struct ksd_kubeconfig *kc,
				  const struct ksd_api_opts *o);

#endif /* KSD_APICLIENT_H */
