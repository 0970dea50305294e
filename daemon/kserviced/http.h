/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kserviced's HTTP servers (/healthz, /livez, /metrics) on libmicrohttpd,
 * driven by the daemon's loop: MHD runs with its own epoll fd and no
 * thread; that fd is watched on the loop and a timerfd wakes MHD for its
 * timeouts (and for work it has left ready). MHD does all the HTTP.
 */
#ifndef KSD_HTTP_H
#define KSD_HTTP_H

#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

/*
 * Answers a GET or HEAD of path: sets *status, *body (malloc'ed, taken)
 * and *ctype. Returns 0, or -ENOMEM (a 500).
 */
typedef int (*ksd_http_fn)(void *arg, const char *path, unsigned int *status,
			   char **body, size_t *len, const char **ctype);

struct ksd_http;

/*
 * "IP:PORT", "[IPv6]:PORT" or an IP alone (default_port); port 0 asks
 * for an ephemeral one. Returns 0 or -EINVAL.
 */
int ksd_parse_bind(const char *s, uint16_t default_port,
		   struct sockaddr_storage *ss);

/*
 * What slow or idle clients may hold: connections at once, those from one
 * address (so that one client, 64 idle connections or a slow reader,
 * cannot keep a probe of /livez out), and the seconds a connection may
 * stay idle before it is closed.
 */
struct ksd_http_limits {
	unsigned int conns, per_client, idle_s;
};

#define KSD_HTTP_CONNS		64
#define KSD_HTTP_CONNS_PER_CLIENT 8
#define KSD_HTTP_IDLE_S		10

/* Listens on bind, serving through fn, with the limits above. Returns 0
 * or -errno. */
int ksd_http_start(struct ksd_http **hp, struct ksd_loop *loop,
		   const char *bind, uint16_t default_port, ksd_http_fn fn,
		   void *arg);
/* The same with other limits (the tests' short idle time). */
int ksd_http_start_limits(struct ksd_http **hp, struct ksd_loop *loop,
			  const char *bind, uint16_t default_port,
			  ksd_http_fn fn, void *arg,
			  const struct ksd_http_limits *lim);
/* The port it listens on (what port 0 became). */
uint16_t ksd_http_port(const struct ksd_http *h);
/* Closes every connection and the listening socket; NULL is fine. */
void ksd_http_stop(struct ksd_http *h);

#endif /* KSD_HTTP_H */
