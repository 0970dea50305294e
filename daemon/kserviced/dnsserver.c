// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster DNS server; see dnsserver.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "dnsserver.h"
#include "http.h"
#include "log.h"

/* Datagrams read per wakeup, so that TCP and the rest get their turn. */
#define UDP_BATCH	64
#define FRAME_MAX	(2 + 65535)

/* A client's address, as accept() gave it (an IPv4 client of "[::]"
 * is ::ffff:a.b.c.d each time). */
struct peer {
	sa_family_t family;
	uint8_t addr[16];
};

struct conn {
	struct ksd_dns_server *srv;
	int fd;
	struct peer peer;
	uint8_t in[FRAME_MAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	uint64_t last_ms;
	bool writing;			/* watching EPOLLOUT */
	struct conn *next;
};

struct ksd_dns_server {
	struct ksd_loop *loop;
	struct ksd_dns *dns;
	int udp, tcp, tfd;
	uint16_t port;
	uint64_t idle_ms;
	struct conn *conns;
	unsigned int nconns;
	bool timer_armed, warned_full, warned_client;
	bool paused;			/* accept failed (EMFILE): retry later */
	uint8_t buf[65536];
};

/* Replies go out from the address the query came to (IP_PKTINFO): on a
 * wildcard socket the kernel would pick the route's source otherwise,
 * which the client (and conntrack, undoing a cluster IP's DNAT) would
 * not take for the server's. */
union pktinfo_cmsg {
	struct cmsghdr align;
	uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		    CMSG_SPACE(sizeof(struct in_pktinfo))];
};

/* Keeps the one pktinfo of what was received, rewritten to be sent. */
static size_t reply_cmsg(struct msghdr *in, union pktinfo_cmsg *out)
{
	struct cmsghdr *c, *o = (struct cmsghdr *)out->buf;

	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			pi.ipi_spec_dst = pi.ipi_addr;
			pi.ipi_ifindex = 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			return CMSG_SPACE(sizeof(pi));
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c),
			       sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

static void on_udp(int fd, uint32_t events, void *arg)
{
	struct ksd_dns_server *s = arg;
	struct sockaddr_storage peer;
	union pktinfo_cmsg cin, cout;
	int i;

	(void)events;
	for (i = 0; i < UDP_BATCH; i++) {
		struct iovec iov = { s->buf, sizeof(s->buf) };
		struct msghdr m = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cin.buf,
			.msg_controllen = sizeof(cin.buf),
		};
		uint8_t *reply;
		size_t rlen;
		ssize_t n;

		n = recvmsg(fd, &m, 0);
		if (n < 0)
			return;		/* EAGAIN, or an ICMP error: next */
		if (ksd_dns_answer(s->dns, s->buf, (size_t)n, false, &reply,
				   &rlen))
			continue;
		iov.iov_base = reply;
		iov.iov_len = rlen;
		memset(cout.buf, 0, sizeof(cout.buf));
		m.msg_controllen = reply_cmsg(&m, &cout);
		m.msg_control = m.msg_controllen ? cout.buf : NULL;
		m.msg_flags = 0;
		/* Dropped when the socket is full: UDP, the client retries. */
		sendmsg(fd, &m, MSG_DONTWAIT);
		free(reply);
	}
}

static void conn_close(struct conn *c)
{
	struct ksd_dns_server *s = c->srv;
	struct conn **pc;

	for (pc = &s->conns; *pc; pc = &(*pc)->next)
		if (*pc == c) {
			*pc = c->next;
			break;
		}
	ksd_loop_del(s->loop, c->fd);
	close(c->fd);
	s->nconns--;
	free(c->out);
	free(c);
}

static int out_append(struct conn *c, const uint8_t *p, size_t len)
{
	if (c->outoff && c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + len > c->outcap) {
		size_t cap = (c->outlen + len) * 2;
		uint8_t *n = realloc(c->out, cap);

		if (!n)
			return -ENOMEM;
		c->out = n;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
	return 0;
}

/* Answers the whole frames read, while the replies waiting stay under a
 * frame's size. */
static int frames(struct conn *c)
{
	size_t off = 0;
	int ret = 0;

	while (!ret && c->inlen - off >= 2 &&
	       c->outlen - c->outoff <= FRAME_MAX) {
		size_t len = (size_t)c->in[off] << 8 | c->in[off + 1];
		uint8_t hdr[2], *reply;
		size_t rlen;

		if (c->inlen - off < 2 + len)
			break;
		if (!ksd_dns_answer(c->srv->dns, c->in + off + 2, len, true,
				    &reply, &rlen)) {
			hdr[0] = (uint8_t)(rlen >> 8);
			hdr[1] = (uint8_t)rlen;
			ret = out_append(c, hdr, 2);
			if (!ret)
				ret = out_append(c, reply, rlen);
			free(reply);
		}
		off += 2 + len;
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
	return ret;
}

/* Writes what waits; watches EPOLLOUT (and stops reading) while some is
 * left. Returns 0, or -errno to close. */
static int flush(struct conn *c)
{
	bool writing;

	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff,
				 c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		c->outoff += (size_t)n;
	}
	writing = c->outoff < c->outlen;
	if (writing != c->writing) {
		c->writing = writing;
		return ksd_loop_mod(c->srv->loop, c->fd,
				    writing ? EPOLLOUT : EPOLLIN);
	}
	return 0;
}

/* Answers and writes until the socket is full or no whole frame is left. */
static int pump(struct conn *c)
{
	for (;;) {
		size_t before = c->inlen;
		int ret = frames(c);

		if (!ret)
			ret = flush(c);
		if (ret || c->writing || c->inlen == before)
			return ret;
	}
}

static void on_conn(int fd, uint32_t events, void *arg)
{
	struct conn *c = arg;
	bool eof = false;

	c->last_ms = ksd_mono_ms();
	if (events & EPOLLERR)
		goto close;
	if (c->writing) {
		/* Drained: answer what was read meanwhile, then read. */
		if (flush(c) || (!c->writing && pump(c)))
			goto close;
		if (c->writing)
			return;
	}
	while (c->inlen < sizeof(c->in)) {
		ssize_t n = read(fd, c->in + c->inlen, sizeof(c->in) - c->inlen);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			goto close;
		}
		if (!n) {
			eof = true;
			break;
		}
		c->inlen += (size_t)n;
		if (pump(c))
			goto close;
		if (c->writing)
			return;
	}
	if (!eof && !(events & EPOLLHUP))
		return;
close:
	conn_close(c);
}

static void arm(struct ksd_dns_server *s)
{
	if (s->timer_armed || (!s->conns && !s->paused))
		return;
	s->timer_armed = !ksd_timer_arm(s->tfd, s->idle_ms < 1000 ?
					s->idle_ms / 2 + 1 : 1000);
}

/* Closes the connections idle too long. */
static void on_timer(int fd, uint32_t events, void *arg)
{
	struct ksd_dns_server *s = arg;
	uint64_t now = ksd_mono_ms();
	struct conn *c, *next;

	(void)events;
	ksd_timer_ack(fd);
	s->timer_armed = false;
	if (s->paused && !ksd_loop_mod(s->loop, s->tcp, EPOLLIN))
		s->paused = false;
	for (c = s->conns; c; c = next) {
		next = c->next;
		if (now - c->last_ms >= s->idle_ms)
			conn_close(c);
	}
	arm(s);
}

static void peer_of(const struct sockaddr_storage *ss, struct peer *p)
{
	memset(p, 0, sizeof(*p));
	p->family = ss->ss_family;
	if (ss->ss_family == AF_INET6)
		memcpy(p->addr, &((const struct sockaddr_in6 *)ss)->sin6_addr,
		       16);
	else if (ss->ss_family == AF_INET)
		memcpy(p->addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
}

/* The connections open from p's address. */
static unsigned int conns_of(const struct ksd_dns_server *s,
			     const struct peer *p)
{
	const struct conn *c;
	unsigned int n = 0;

	for (c = s->conns; c; c = c->next)
		n += !memcmp(&c->peer, p, sizeof(*p));
	return n;
}

/* Whether a new connection from p must be closed at once; warns once of
 * each limit. */
static bool over_limit(struct ksd_dns_server *s, const struct peer *p)
{
	if (s->nconns >= KSD_DNS_TCP_CONNS_MAX) {
		if (!s->warned_full)
			ksd_warn("dns: %d TCP connections open: new ones are "
				 "closed at once", KSD_DNS_TCP_CONNS_MAX);
		s->warned_full = true;
		return true;
	}
	if (conns_of(s, p) >= KSD_DNS_TCP_CONNS_PER_CLIENT) {
		if (!s->warned_client)
			ksd_warn("dns: a client has %d TCP connections open: "
				 "its new ones are closed at once",
				 KSD_DNS_TCP_CONNS_PER_CLIENT);
		s->warned_client = true;
		return true;
	}
	return false;
}

static void on_accept(int fd, uint32_t events, void *arg)
{
	struct ksd_dns_server *s = arg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct peer p;
	struct conn *c;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, (struct sockaddr *)&ss, &sslen,
			      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		sslen = sizeof(ss);
		peer_of(&ss, &p);
		if (over_limit(s, &p)) {
			close(cfd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c || ksd_loop_add(s->loop, cfd, EPOLLIN, on_conn, c)) {
			free(c);
			close(cfd);
			continue;
		}
		c->srv = s;
		c->fd = cfd;
		c->peer = p;
		c->last_ms = ksd_mono_ms();
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
	}
	/* Out of file descriptors (or memory): the pending connection stays
	 * and the socket stays readable; stop watching it for a while rather
	 * than spin. */
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ECONNABORTED) {
		ksd_warn("dns: accept: %s; trying again in a second",
			 strerror(errno));
		if (!ksd_loop_mod(s->loop, s->tcp, 0))
			s->paused = true;
	}
	arm(s);
}

static int open_socket(const struct sockaddr_storage *ss, int type,
		       uint16_t port)
{
	struct sockaddr_storage a = *ss;
	socklen_t len = ss->ss_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) :
			sizeof(struct sockaddr_in);
	int fd, one = 1, zero = 0, ret;

	if (a.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&a)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)&a)->sin_port = htons(port);
	fd = socket(a.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* "[::]" answers IPv4 too. */
	if (a.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (type == SOCK_DGRAM) {
		setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
		if (a.ss_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				   sizeof(one));
	}
	if (bind(fd, (struct sockaddr *)&a, len) ||
	    (type == SOCK_STREAM && listen(fd, 128))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static uint16_t bound_port(int fd)
{
	struct sockaddr_storage a;
	socklen_t len = sizeof(a);

	if (getsockname(fd, (struct sockaddr *)&a, &len))
		return 0;
	return ntohs(a.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&a)->sin6_port :
		     ((struct sockaddr_in *)&a)->sin_port);
}

int ksd_dns_server_start(struct ksd_dns_server **sp, struct ksd_loop *loop,
			 const char *bind, struct ksd_dns *dns)
{
	struct sockaddr_storage ss;
	struct ksd_dns_server *s;
	uint16_t want;
	int ret, tries;

	*sp = NULL;
	if (ksd_parse_bind(bind, KSD_DNS_PORT, &ss))
		return -EINVAL;
	want = ntohs(ss.ss_family == AF_INET6 ?
		     ((struct sockaddr_in6 *)&ss)->sin6_port :
		     ((struct sockaddr_in *)&ss)->sin_port);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->loop = loop;
	s->dns = dns;
	s->idle_ms = KSD_DNS_TCP_IDLE_MS;
	s->udp = s->tcp = s->tfd = -1;
	/* An ephemeral port must be free for both: try a few. */
	for (tries = 0; tries < 16; tries++) {
		s->udp = open_socket(&ss, SOCK_DGRAM, want);
		if (s->udp < 0) {
			ret = s->udp;
			goto fail;
		}
		s->port = bound_port(s->udp);
		s->tcp = open_socket(&ss, SOCK_STREAM, s->port);
		if (s->tcp >= 0)
			break;
		ret = s->tcp;
		close(s->udp);
		s->udp = -1;
		if (want || ret != -EADDRINUSE)
			goto fail;
	}
	if (s->tcp < 0)
		goto fail;
	s->tfd = ksd_timer_new();
	if (s->tfd < 0) {
		ret = s->tfd;
		goto fail;
	}
	ret = ksd_loop_add(loop, s->udp, EPOLLIN, on_udp, s);
	if (!ret)
		ret = ksd_loop_add(loop, s->tcp, EPOLLIN, on_accept, s);
	if (!ret)
		ret = ksd_loop_add(loop, s->tfd, EPOLLIN, on_timer, s);
	if (ret)
		goto fail;
	*sp = s;
	return 0;
fail:
	ksd_dns_server_stop(s);
	return ret;
}

uint16_t ksd_dns_server_port(const struct ksd_dns_server *s)
{
	return s->port;
}

void ksd_dns_server_set_idle_ms(struct ksd_dns_server *s, uint64_t ms)
{
	s->idle_ms = ms ? ms : 1;
}

unsigned int ksd_dns_server_conns(const struct ksd_dns_server *s)
{
	return s->nconns;
}

void ksd_dns_server_stop(struct ksd_dns_server *s)
{
	int *fds[3], i;

	if (!s)
		return;
	while (s->conns)
		conn_close(s->conns);
	fds[0] = &s->udp;
	fds[1] = &s->tcp;
	fds[2] = &s->tfd;
	for (i = 0; i < 3; i++)
		if (*fds[i] >= 0) {
			ksd_loop_del(s->loop, *fds[i]);
			close(*fds[i]);
		}
	free(s);
}
