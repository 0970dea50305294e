// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP on libmicrohttpd inside the loop; see http.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <microhttpd.h>

#include "http.h"
#include "log.h"

#if MHD_VERSION < 0x00097002
typedef int MHD_Result_t;
#else
typedef enum MHD_Result MHD_Result_t;
#endif

struct ksd_http {
	struct MHD_Daemon *mhd;
	struct ksd_loop *loop;
	int epfd, tfd;
	uint16_t port;
	ksd_http_fn fn;
	void *arg;
};

int ksd_parse_bind(const char *s, uint16_t default_port,
		   struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 1];
	const char *port = NULL, *colon;
	unsigned long p = default_port;
	size_t hlen;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		s++;
		if (close[1] == ':')
			port = close + 2;
	} else {
		colon = strrchr(s, ':');
		/* One colon: IPv4:port; more: a bare IPv6 address. */
		if (colon && colon == strchr(s, ':')) {
			hlen = (size_t)(colon - s);
			port = colon + 1;
		} else {
			hlen = strlen(s);
		}
	}
	if (!hlen || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (port) {
		if (*port < '0' || *port > '9')
			return -EINVAL;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (*end || errno || p > 65535)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		return 0;
	}
	return -EINVAL;
}

/* After MHD ran: wake it again when it says so (0: it has work ready). */
static void rearm(struct ksd_http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (MHD_get_timeout(h->mhd, &ms) != MHD_YES)
		ksd_timer_arm(h->tfd, 0);
	else if (!ms)
		ksd_timer_arm_now(h->tfd);
	else
		ksd_timer_arm(h->tfd, ms);
}

static void on_ready(int fd, uint32_t events, void *arg)
{
	struct ksd_http *h = arg;

	(void)events;
	if (fd == h->tfd)
		ksd_timer_ack(fd);
	MHD_run(h->mhd);
	rearm(h);
}

static MHD_Result_t answer(void *cls, struct MHD_Connection *c,
			   const char *url, const char *method,
			   const char *version, const char *upload,
			   size_t *upload_size, void **con_cls)
{
	static char oom[] = "out of memory\n";
	const char *ctype = "text/plain; charset=utf-8";
	struct ksd_http *h = cls;
	struct MHD_Response *r;
	unsigned int status = 500;
	MHD_Result_t ret;
	char *body = NULL;
	size_t len = 0;

	(void)version;
	(void)upload;
	if (strcmp(method, MHD_HTTP_METHOD_GET) &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* A body is not read: the connection is closed after. */
		*upload_size = 0;
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		body = strdup("method not allowed\n");
	} else if (!*con_cls && *upload_size) {
		*upload_size = 0;	/* a GET with a body: ignored */
		*con_cls = h;
		return MHD_YES;
	} else if (h->fn(h->arg, url, &status, &body, &len, &ctype)) {
		status = 500;
		free(body);
		body = NULL;
	}
	if (body) {
		if (!len)
			len = strlen(body);
		r = MHD_create_response_from_buffer(len, body,
						    MHD_RESPMEM_MUST_FREE);
	} else {
		status = 500;
		r = MHD_create_response_from_buffer(sizeof(oom) - 1, oom,
						    MHD_RESPMEM_PERSISTENT);
	}
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int ksd_http_start(struct ksd_http **hp, struct ksd_loop *loop,
		   const char *bind, uint16_t default_port, ksd_http_fn fn,
		   void *arg)
{
	static const struct ksd_http_limits lim = {
		KSD_HTTP_CONNS, KSD_HTTP_CONNS_PER_CLIENT, KSD_HTTP_IDLE_S,
	};

	return ksd_http_start_limits(hp, loop, bind, default_port, fn, arg,
				     &lim);
}

int ksd_http_start_limits(struct ksd_http **hp, struct ksd_loop *loop,
			  const char *bind, uint16_t default_port,
			  ksd_http_fn fn, void *arg,
			  const struct ksd_http_limits *lim)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	struct ksd_http *h;
	unsigned int flags = MHD_USE_EPOLL;
	int ret;

	*hp = NULL;
	if (ksd_parse_bind(bind, default_port, &ss))
		return -EINVAL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* "[::]": IPv4 too (not IPV6_V6ONLY), as Go's ":port". */
	if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(
			&((struct sockaddr_in6 *)&ss)->sin6_addr))
		flags |= MHD_USE_DUAL_STACK;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->loop = loop;
	h->fn = fn;
	h->arg = arg;
	h->epfd = h->tfd = -1;
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, answer, h,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_TIMEOUT, lim->idle_s,
				  MHD_OPTION_CONNECTION_LIMIT, lim->conns,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  lim->per_client,
				  MHD_OPTION_END);
	if (!h->mhd) {
		ret = errno ? -errno : -EADDRNOTAVAIL;
		ksd_err("http: cannot listen on %s", bind);
		free(h);
		return ret;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->epfd = info ? info->epoll_fd : -1;
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = info ? info->port : 0;
	h->tfd = ksd_timer_new();
	if (h->epfd < 0 || h->tfd < 0) {
		ksd_http_stop(h);
		return -EIO;
	}
	ret = ksd_loop_add(loop, h->epfd, EPOLLIN, on_ready, h);
	if (!ret)
		ret = ksd_loop_add(loop, h->tfd, EPOLLIN, on_ready, h);
	if (ret) {
		ksd_http_stop(h);
		return ret;
	}
	rearm(h);
	*hp = h;
	return 0;
}

uint16_t ksd_http_port(const struct ksd_http *h)
{
	return h->port;
}

void ksd_http_stop(struct ksd_http *h)
{
	if (!h)
		return;
	if (h->epfd >= 0)
		ksd_loop_del(h->loop, h->epfd);	/* MHD closes it */
	if (h->tfd >= 0) {
		ksd_loop_del(h->loop, h->tfd);
		close(h->tfd);
	}
	MHD_stop_daemon(h->mhd);
	free(h);
}
