// SPDX-License-Identifier: GPL-2.0
/*
 * ksprobe: the backends and clients of the end-to-end tests.
 *
 *   ksprobe serve tcp|udp|sctp PORT NAME
 *	Listens on every address (IPv4 and IPv6) and answers each line received
 *	on a connection, and each datagram, with "NAME PEER", PEER being the
 *	source address it saw. One process, one epoll loop: no fork per
 *	connection (forks are slow under emulation). Prints "listening" once
 *	it is ready.
 *
 *   ksprobe connect tcp|udp|sctp ADDR PORT [-n COUNT] [-t TIMEOUT_MS] [-m] [-p SPORT]
 *	Makes COUNT (default 1) sequential connections, or exchanges from a
 *	fresh socket for UDP (from source port SPORT + i for the i-th with -p,
 *	so a run can be repeated flow for flow), and prints one line for each:
 *	the answer, or
 *	"refused" (RST, or an ICMP unreachable), "timeout", or "error WHAT";
 *	-m appends how long the attempt took ("refused 3ms"). Exits 0 when
 *	every attempt was answered, 1 otherwise. TIMEOUT_MS (default 20000)
 *	bounds each attempt: long, since an answer or a refusal ends the wait
 *	at once and only a failure pays for it, so a slow machine does not
 *	turn an answer into "timeout". A caller that expects silence passes
 *	its own, and should not take "timeout" alone as its proof.
 *
 *   ksprobe hold tcp|udp|sctp ADDR PORT [-i INTERVAL_MS] [-d SECONDS] [-t TIMEOUT_MS]
 *	Keeps one connection for SECONDS (default 5) or until SIGTERM/SIGINT,
 *	exchanging a line every INTERVAL_MS (default 100), and prints each
 *	answer as it comes (the first one tells which backend holds the
 *	connection) or the failure. Ends with "held N" (exchanges) or
 *	"broken after N"; exits 0 when nothing failed. For UDP the
 *	"connection" is one connected socket, so one source port: one flow
 *	through conntrack, a datagram every INTERVAL_MS. TIMEOUT_MS (default
 *	20000) bounds the handshake and each exchange.
 *
 *   ksprobe knock udp ADDR PORT [-i INTERVAL_MS] [-d SECONDS]
 *	From one socket (one source port, so one flow), sends a datagram every
 *	INTERVAL_MS (default 100) for SECONDS (default 5) or until
 *	SIGTERM/SIGINT, answered or not: a client that keeps asking. Prints
 *	"sent N" after each and each answer as it comes, so the order of the
 *	lines tells which datagram an answer followed. Exits 0.
 *
 *   ksprobe spray udp ADDR PORT -s FIRST_SOURCE -n SOURCES [-c PER_SOURCE]
 *	From each of SOURCES consecutive IPv4 source addresses from
 *	FIRST_SOURCE on (which must be local: e.g. a "local" route for the
 *	range), sends PER_SOURCE (default 2) datagrams to ADDR PORT from one
 *	socket, answers not awaited: many clients, each one flow. Prints
 *	"sprayed N sources, M datagrams, E errors"; exits 0 when E is 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sctp.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct proto {
	const char *name;
	int type, protocol;
};

static const struct proto protos[] = {
	{ "tcp", SOCK_STREAM, IPPROTO_TCP },
	{ "udp", SOCK_DGRAM, IPPROTO_UDP },
	{ "sctp", SOCK_STREAM, IPPROTO_SCTP },
};

static void usage(void)
{
	fprintf(stderr,
		"usage: ksprobe serve tcp|udp|sctp PORT NAME\n"
		"       ksprobe connect tcp|udp|sctp ADDR PORT [-n COUNT] [-t TIMEOUT_MS] [-m] [-p SPORT]\n"
		"       ksprobe hold tcp|udp|sctp ADDR PORT [-i INTERVAL_MS] [-d SECONDS] [-t TIMEOUT_MS]\n"
		"       ksprobe knock udp ADDR PORT [-i INTERVAL_MS] [-d SECONDS]\n"
		"       ksprobe spray udp ADDR PORT -s FIRST_SOURCE -n SOURCES [-c PER_SOURCE]\n");
	exit(2);
}

static void die(const char *what)
{
	fprintf(stderr, "ksprobe: %s: %s\n", what, strerror(errno));
	exit(2);
}

static const struct proto *parse_proto(const char *s)
{
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(s, protos[i].name))
			return &protos[i];
	usage();
	return NULL;
}

static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > max)
		usage();
	return v;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The peer as the backend saw it, IPv4-mapped addresses shown as IPv4. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	const struct sockaddr_in *sin = (const void *)ss;

	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &sin6->sin6_addr, buf, len);
	else
		inet_ntop(AF_INET, &sin->sin_addr, buf, len);
}

/* ---- serve --------------------------------------------------------------- */

static void reply(int fd, const char *name, const struct sockaddr_storage *peer,
		  socklen_t peerlen, int lines)
{
	char addr[INET6_ADDRSTRLEN], msg[512];
	int len;

	format_addr(peer, addr, sizeof(addr));
	len = snprintf(msg, sizeof(msg), "%s %s\n", name, addr);
	while (lines-- > 0) {
		/* Answers are tiny: a full socket buffer means a dead peer. */
		if (peerlen)
			sendto(fd, msg, len, MSG_DONTWAIT, (const void *)peer, peerlen);
		else
			send(fd, msg, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
}

static int count_lines(const char *buf, ssize_t len)
{
	int n = 0;

	for (ssize_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	return n;
}

/* Per accepted socket: has it had its answer? (diagnostics only) */
static bool answered[4096];

static _Noreturn void serve(const struct proto *p, int port, const char *name)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port),
				     .sin6_addr = IN6ADDR_ANY_INIT };
	struct epoll_event ev = { .events = EPOLLIN }, evs[64];
	int one = 1, zero = 0, lfd, ep;

	lfd = socket(AF_INET6, p->type | SOCK_NONBLOCK | SOCK_CLOEXEC, p->protocol);
	if (lfd < 0)
		die("socket");
	/* One socket for both families. */
	setsockopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0)
		die("bind");
	if (p->type == SOCK_STREAM && listen(lfd, 1024) < 0)
		die("listen");
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	ev.data.fd = lfd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll_ctl");
	printf("listening %s %d %s\n", p->name, port, name);
	fflush(stdout);

	for (;;) {
		int n = epoll_wait(ep, evs, 64, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			struct sockaddr_storage peer;
			socklen_t peerlen = sizeof(peer);
			int fd = evs[i].data.fd;
			char buf[4096];
			ssize_t len;

			if (fd == lfd && p->type == SOCK_DGRAM) {
				while ((len = recvfrom(lfd, buf, sizeof(buf), 0,
						       (struct sockaddr *)&peer, &peerlen)) >= 0) {
					reply(lfd, name, &peer, peerlen, 1);
					peerlen = sizeof(peer);
				}
			} else if (fd == lfd) {
				int cfd;

				while ((cfd = accept4(lfd, NULL, NULL,
						      SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
					ev.data.fd = cfd;
					if (cfd < (int)sizeof(answered))
						answered[cfd] = false;
					if (epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev) < 0)
						close(cfd);
				}
			} else {
				len = recv(fd, buf, sizeof(buf), 0);
				if (len < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				if (len <= 0 || getpeername(fd, (struct sockaddr *)&peer, &peerlen) < 0) {
					/* The log says why a client got no answer. */
					if (fd < (int)sizeof(answered) && !answered[fd]) {
						printf("closed before a request: %s\n",
						       len < 0 ? strerror(errno) : "end of stream");
						fflush(stdout);
					}
					close(fd); /* also leaves the epoll set */
					continue;
				}
				reply(fd, name, &peer, 0, count_lines(buf, len));
				if (fd < (int)sizeof(answered))
					answered[fd] = true;
			}
		}
	}
}

/* ---- connect and hold ---------------------------------------------------- */

enum outcome { OK, REFUSED, TIMEOUT, FAILED };

static int parse_addr(const char *s, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (void *)ss;
	struct sockaddr_in *sin = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static enum outcome classify(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case EHOSTUNREACH:
	case ENETUNREACH:
		return REFUSED;
	case ETIMEDOUT:
		return TIMEOUT;
	default:
		errno = err;
		return FAILED;
	}
}

/* Waits for fd to be ready for events until deadline; sets errno. */
static enum outcome wait_for(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int err = 0;
	socklen_t len = sizeof(err);

	for (;;) {
		long long left = deadline - now_ms();
		int n;

		if (left <= 0)
			return TIMEOUT;
		n = poll(&pfd, 1, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return classify(errno);
		if (n == 0)
			return TIMEOUT;
		if (pfd.revents & (POLLERR | POLLHUP) || events == POLLOUT) {
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			if (err)
				return classify(err);
		}
		return OK;
	}
}

/*
 * An SCTP socket is writable long before its association is up (data waits
 * in the INIT exchange), so POLLOUT says nothing: watch the association's
 * state, and the errors an ABORT or an ICMP error leave on the socket.
 */
static enum outcome sctp_wait_established(int fd, long long deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd }; /* errors only */
		struct sctp_status st = { 0 };
		socklen_t len = sizeof(st);
		long long left;
		int err = 0;

		if (!getsockopt(fd, IPPROTO_SCTP, SCTP_STATUS, &st, &len) &&
		    st.sstat_state == SCTP_ESTABLISHED)
			return OK;
		len = sizeof(err);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err)
			return classify(err);
		left = deadline - now_ms();
		if (left <= 0)
			return TIMEOUT;
		poll(&pfd, 1, left < 10 ? left : 10);
	}
}

/*
 * Opens a connected socket (TCP/SCTP handshake done, UDP just bound to the
 * peer). IP_RECVERR makes an ICMP error end an SCTP handshake at once (SCTP
 * otherwise takes it as a soft error and retries INIT), and a connected UDP
 * socket reports ICMP port unreachable as ECONNREFUSED.
 */
static int sport_next;	/* -p: the source port of the next socket, 0: any */

static enum outcome open_conn(const struct proto *p, const struct sockaddr_storage *dst,
			      socklen_t dstlen, long long deadline, int *fdp)
{
	int one = 1, fd;
	enum outcome o;

	fd = socket(dst->ss_family, p->type | SOCK_NONBLOCK | SOCK_CLOEXEC, p->protocol);
	if (fd < 0)
		return classify(errno);
	if (sport_next) {
		struct sockaddr_storage src = { .ss_family = dst->ss_family };

		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (dst->ss_family == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons(sport_next);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons(sport_next);
		sport_next++;
		if (bind(fd, (struct sockaddr *)&src, dstlen) < 0) {
			o = classify(errno);
			close(fd);
			return o;
		}
	}
	if (dst->ss_family == AF_INET)
		setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	if (p->protocol == IPPROTO_SCTP) {
		/*
		 * An ICMP error that arrives while the socket is busy in a
		 * system call (connect() itself, often, on a fast path) only
		 * counts as a soft error. Retransmit INIT soon, so the next
		 * ICMP error finds the socket idle.
		 */
		struct sctp_rtoinfo rto = { .srto_initial = 100, .srto_max = 400,
					    .srto_min = 50 };

		setsockopt(fd, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto));
	}
	if (connect(fd, (const struct sockaddr *)dst, dstlen) < 0) {
		if (errno != EINPROGRESS) {
			o = classify(errno);
			close(fd);
			return o;
		}
		if (p->protocol == IPPROTO_SCTP)
			o = sctp_wait_established(fd, deadline);
		else
			o = wait_for(fd, POLLOUT, deadline);
		if (o != OK) {
			close(fd);
			return o;
		}
	}
	*fdp = fd;
	return OK;
}

/* Sends one line and reads the answer (one line) into buf. */
static enum outcome exchange(int fd, long long deadline, char *buf, size_t size)
{
	size_t got = 0;
	enum outcome o;
	ssize_t len;

	if (send(fd, "ping\n", 5, MSG_NOSIGNAL) < 0)
		return classify(errno);
	while (got < size - 1) {
		o = wait_for(fd, POLLIN, deadline);
		if (o != OK)
			return o;
		len = recv(fd, buf + got, size - 1 - got, MSG_DONTWAIT);
		if (len < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (len < 0)
			return classify(errno);
		if (len == 0) {
			errno = ECONNRESET;
			return FAILED;
		}
		got += len;
		buf[got] = '\0';
		if (strchr(buf, '\n'))
			break;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return OK;
}

/* One line per attempt; with ms >= 0, the attempt's duration follows. */
static void print_outcome(enum outcome o, const char *answer, long long ms)
{
	switch (o) {
	case OK: printf("%s", answer); break;
	case REFUSED: printf("refused"); break;
	case TIMEOUT: printf("timeout"); break;
	case FAILED: printf("error %s", strerror(errno)); break;
	}
	if (ms >= 0)
		printf(" %lldms", ms);
	printf("\n");
	fflush(stdout);
}

static int do_connect(const struct proto *p, const struct sockaddr_storage *dst,
		      socklen_t dstlen, int count, int timeout_ms, bool timed)
{
	int failures = 0;

	for (int i = 0; i < count; i++) {
		long long start = now_ms(), deadline = start + timeout_ms;
		char answer[512] = "";
		enum outcome o;
		int fd;

		o = open_conn(p, dst, dstlen, deadline, &fd);
		if (o == OK) {
			o = exchange(fd, deadline, answer, sizeof(answer));
			close(fd);
		}
		print_outcome(o, answer, timed ? now_ms() - start : -1);
		failures += o != OK;
	}
	return failures ? 1 : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* SIGTERM and SIGINT set stop. No SA_RESTART: they cut a wait short. */
static void stop_on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

static int do_hold(const struct proto *p, const struct sockaddr_storage *dst,
		   socklen_t dstlen, int interval_ms, int seconds, int timeout_ms)
{
	long long end = now_ms() + seconds * 1000LL;
	int held = 0, fd;
	enum outcome o;

	stop_on_signals();

	o = open_conn(p, dst, dstlen, now_ms() + timeout_ms, &fd);
	if (o != OK)
		print_outcome(o, "", -1);
	while (o == OK && now_ms() < end && !stop) {
		long long next = now_ms() + interval_ms;
		char answer[512] = "";

		o = exchange(fd, now_ms() + timeout_ms, answer, sizeof(answer));
		print_outcome(o, answer, -1);
		if (o != OK)
			break;
		held++;
		/*
		 * The wait is computed once per pass: "next - now_ms()" taken
		 * after a check that passed can be negative on a loaded
		 * machine, and poll() takes a negative timeout as "forever".
		 */
		for (long long left; (left = next - now_ms()) > 0 && !stop;)
			poll(NULL, 0, left);
	}
	if (o == OK) {
		printf("held %d\n", held);
		close(fd);
		return 0;
	}
	printf("broken after %d\n", held);
	return 1;
}

static int do_knock(const struct proto *p, const struct sockaddr_storage *dst,
		    socklen_t dstlen, int interval_ms, int seconds)
{
	long long end = now_ms() + seconds * 1000LL;
	int sent = 0, fd;
	enum outcome o;

	stop_on_signals();
	o = open_conn(p, dst, dstlen, now_ms() + 1000, &fd);
	if (o != OK) {
		print_outcome(o, "", -1);
		return 1;
	}
	while (now_ms() < end && !stop) {
		long long next = now_ms() + interval_ms;
		char answer[512];
		ssize_t len;

		/* An ICMP error of an earlier one may fail it: sent anyway. */
		if (send(fd, "knock\n", 6, MSG_NOSIGNAL) < 0)
			printf("error %s\n", strerror(errno));
		printf("sent %d\n", ++sent);
		for (long long left; (left = next - now_ms()) > 0 && !stop;) {
			o = wait_for(fd, POLLIN, next);
			if (o == REFUSED || o == FAILED) {
				/* An ICMP error (IP_RECVERR): taken, not fatal. */
				print_outcome(o, "", -1);
				recv(fd, answer, sizeof(answer),
				     MSG_ERRQUEUE | MSG_DONTWAIT);
			}
			if (o != OK)
				continue;
			len = recv(fd, answer, sizeof(answer) - 1, MSG_DONTWAIT);
			if (len < 0)
				continue;
			answer[len] = '\0';
			answer[strcspn(answer, "\n")] = '\0';
			printf("%s\n", answer);
		}
	}
	close(fd);
	return 0;
}

static int do_spray(const struct sockaddr_storage *dst, socklen_t dstlen,
		    const char *first, int sources, int per_source)
{
	struct sockaddr_in src = { .sin_family = AF_INET };
	int sent = 0, errors = 0;
	uint32_t base;

	if (dst->ss_family != AF_INET || inet_pton(AF_INET, first, &src.sin_addr) != 1)
		usage();
	base = ntohl(src.sin_addr.s_addr);
	for (int i = 0; i < sources; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (fd < 0)
			die("socket");
		src.sin_addr.s_addr = htonl(base + i);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
			errors++;
			close(fd);
			continue;
		}
		for (int j = 0; j < per_source; j++) {
			if (sendto(fd, "spray\n", 6, 0, (const struct sockaddr *)dst,
				   dstlen) == 6)
				sent++;
			else
				errors++;
		}
		close(fd);
	}
	printf("sprayed %d sources, %d datagrams, %d errors\n", sources, sent, errors);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int count = 1, timeout_ms = 20000, interval_ms = 100, seconds = 5, port, opt;
	struct sockaddr_storage dst;
	const struct proto *p;
	bool timed = false;
	const char *mode, *first = NULL;
	int per_source = 2;
	socklen_t dstlen;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		usage();
	mode = argv[1];
	p = parse_proto(argv[2]);

	if (!strcmp(mode, "serve")) {
		if (argc != 5)
			usage();
		serve(p, parse_num(argv[3], 1, 65535), argv[4]);
	}
	if (strcmp(mode, "connect") && strcmp(mode, "hold") &&
	    strcmp(mode, "spray") && strcmp(mode, "knock"))
		usage();
	if (argc < 5)
		usage();
	port = parse_num(argv[4], 1, 65535);
	if (parse_addr(argv[3], port, &dst, &dstlen) < 0)
		usage();
	optind = 5;
	while ((opt = getopt(argc, argv, "n:t:i:d:mp:s:c:")) != -1) {
		switch (opt) {
		case 's': first = optarg; break;
		case 'c': per_source = parse_num(optarg, 1, 1000); break;
		case 'p': sport_next = parse_num(optarg, 1, 65535); break;
		case 'm': timed = true; break;
		case 'n': count = parse_num(optarg, 1, 1000000); break;
		case 't': timeout_ms = parse_num(optarg, 1, 3600000); break;
		case 'i': interval_ms = parse_num(optarg, 1, 3600000); break;
		case 'd': seconds = parse_num(optarg, 1, 3600); break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (!strcmp(mode, "spray")) {
		if (!first || p->type != SOCK_DGRAM)
			usage();
		return do_spray(&dst, dstlen, first, count, per_source);
	}
	if (!strcmp(mode, "knock")) {
		if (p->type != SOCK_DGRAM || p->protocol == IPPROTO_SCTP)
			usage();
		return do_knock(p, &dst, dstlen, interval_ms, seconds);
	}
	if (!strcmp(mode, "connect"))
		return do_connect(p, &dst, dstlen, count, timeout_ms, timed);
	return do_hold(p, &dst, dstlen, interval_ms, seconds, timeout_ms);
}
