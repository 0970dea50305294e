// SPDX-License-Identifier: GPL-2.0
/*
 * connload: the new-connection load of the benchmark. Keeps CONC
 * non-blocking TCP connections in flight to the services of a targets file,
 * visited in turn; each connection is connect(), the 4-byte answer of
 * benchsrv (the endpoint address it reached), close(). No retries: a
 * connection that fails, times out or is answered by an address that is not
 * one of its service's endpoints is counted as such.
 *
 *   connload -f TARGETS [-t SECS] [-w WARMUP] [-c CONC] [-T TIMEOUT]
 *
 * TARGETS has one service a line: "VIP PORT EP1,EP2,...". Connections begun
 * during the first WARMUP seconds are not counted; then the run lasts SECS
 * seconds, and the ones still in flight at the end are waited for (up to
 * TIMEOUT) and checked, but not counted in the rate. The latency of a
 * connection is from connect() to its completion (the SYN-ACK handled:
 * writable). One line of key=value goes to stdout:
 *
 *   started answered wrong failed timeouts rate p50_us p90_us p99_us
 *   max_us targets_hit targets
 *
 * started == answered means every counted connection reached one of its
 * service's endpoints; rate is answered connections per second begun and
 * finished inside the window.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_EPS		16
#define MAX_CONC	1024

struct target {
	struct sockaddr_in sin;
	uint32_t eps[MAX_EPS];
	int neps;
	uint64_t answered;
};

struct slot {
	int fd;			/* -1: free */
	bool connected;
	bool counted;		/* begun after the warm-up */
	int target;
	uint64_t start;		/* ns */
};

static struct target *targets;
static int ntargets;
static struct slot slots[MAX_CONC];
static uint64_t *lat;		/* ns, counted connections in the window */
static size_t nlat, lat_cap;
static uint64_t started, answered, wrong, failed, timeouts, in_window;
static uint64_t window_start, window_end;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void read_targets(const char *path)
{
	char line[1024], vip[64], eps[900];
	FILE *f = fopen(path, "r");
	int cap = 0, port;

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		struct target *t;
		char *tok, *save;

		if (sscanf(line, "%63s %d %899s", vip, &port, eps) != 3)
			continue;
		if (ntargets == cap) {
			cap = cap ? 2 * cap : 64;
			targets = realloc(targets, cap * sizeof(*targets));
			if (!targets)
				die("realloc");
		}
		t = &targets[ntargets];
		memset(t, 0, sizeof(*t));
		t->sin.sin_family = AF_INET;
		t->sin.sin_port = htons(port);
		if (inet_pton(AF_INET, vip, &t->sin.sin_addr) != 1) {
			fprintf(stderr, "connload: bad address %s\n", vip);
			exit(2);
		}
		for (tok = strtok_r(eps, ",", &save); tok && t->neps < MAX_EPS;
		     tok = strtok_r(NULL, ",", &save))
			if (inet_pton(AF_INET, tok, &t->eps[t->neps]) == 1)
				t->neps++;
		ntargets++;
	}
	fclose(f);
	if (!ntargets) {
		fprintf(stderr, "connload: no targets in %s\n", path);
		exit(2);
	}
}

static void add_lat(uint64_t ns)
{
	if (nlat == lat_cap) {
		lat_cap = lat_cap ? 2 * lat_cap : 65536;
		lat = realloc(lat, lat_cap * sizeof(*lat));
		if (!lat)
			die("realloc");
	}
	lat[nlat++] = ns;
}

static int next_target;

static void begin(int ep, struct slot *s, uint64_t t)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN };
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	s->fd = fd;
	s->connected = false;
	s->counted = t >= window_start && t < window_end;
	s->target = next_target;
	next_target = (next_target + 1) % ntargets;
	s->start = now_ns();
	if (s->counted)
		started++;
	ev.data.ptr = s;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
		die("epoll_ctl");
	if (connect(fd, (struct sockaddr *)&targets[s->target].sin,
		    sizeof(struct sockaddr_in)) && errno != EINPROGRESS) {
		/* Refused or unreachable at once: a failure like any other. */
		if (s->counted)
			failed++;
		close(fd);
		s->fd = -1;
	}
}

static void end(struct slot *s)
{
	close(s->fd);
	s->fd = -1;
}

static void answer(struct slot *s, uint32_t addr, uint64_t t)
{
	struct target *tg = &targets[s->target];
	int i;

	for (i = 0; i < tg->neps; i++)
		if (tg->eps[i] == addr)
			break;
	if (i == tg->neps) {
		if (s->counted)
			wrong++;
		return;
	}
	tg->answered++;
	if (s->counted) {
		answered++;
		if (t < window_end)
			in_window++;
	}
}

static void handle(int ep, struct slot *s, uint32_t events)
{
	uint64_t t = now_ns();
	uint32_t addr;
	ssize_t n;

	if (!s->connected) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err) {
			if (s->counted)
				failed++;
			end(s);
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLIN)))
			return;
		s->connected = true;
		if (s->counted && t < window_end)
			add_lat(t - s->start);
	}
	n = read(s->fd, &addr, sizeof(addr));
	if (n < 0 && errno == EAGAIN) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = s };

		if (epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev))
			die("epoll_ctl");
		return;
	}
	if (n == sizeof(addr))
		answer(s, addr, t);
	else if (s->counted)
		failed++;
	end(s);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct(double p)
{
	size_t i;

	if (!nlat)
		return 0;
	i = (size_t)(p * (nlat - 1) + 0.5);
	return lat[i] / 1000.0;
}

int main(int argc, char **argv)
{
	double secs = 5, warmup = 1, timeout = 5;
	const char *file = NULL;
	struct rlimit rl = { 65536, 65536 };
	int conc = 16, opt, ep, i, hit = 0;
	uint64_t t, drain_end;

	while ((opt = getopt(argc, argv, "f:t:w:c:T:")) != -1) {
		switch (opt) {
		case 'f': file = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'w': warmup = atof(optarg); break;
		case 'c': conc = atoi(optarg); break;
		case 'T': timeout = atof(optarg); break;
		default: goto usage;
		}
	}
	if (!file || secs <= 0 || warmup < 0 || conc < 1 || conc > MAX_CONC ||
	    timeout <= 0)
		goto usage;
	setrlimit(RLIMIT_NOFILE, &rl);
	read_targets(file);
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	for (i = 0; i < conc; i++)
		slots[i].fd = -1;

	t = now_ns();
	window_start = t + (uint64_t)(warmup * 1e9);
	window_end = window_start + (uint64_t)(secs * 1e9);
	drain_end = window_end + (uint64_t)(timeout * 1e9);
	for (;;) {
		struct epoll_event evs[64];
		int n, busy = 0;

		t = now_ns();
		for (i = 0; i < conc; i++) {
			struct slot *s = &slots[i];

			if (s->fd >= 0 && t - s->start > (uint64_t)(timeout * 1e9)) {
				if (s->counted) {
					failed++;
					timeouts++;
				}
				end(s);
			}
			if (s->fd < 0 && t < window_end)
				begin(ep, s, t);
			busy += s->fd >= 0;
		}
		if (!busy || t > drain_end)
			break;
		n = epoll_wait(ep, evs, 64, 100);
		if (n < 0 && errno != EINTR)
			die("epoll_wait");
		for (i = 0; i < n; i++)
			handle(ep, evs[i].data.ptr, evs[i].events);
	}
	for (i = 0; i < conc; i++)
		if (slots[i].fd >= 0) {
			/* Still in flight after the drain: a timeout. */
			if (slots[i].counted) {
				failed++;
				timeouts++;
			}
			end(&slots[i]);
		}
	for (i = 0; i < ntargets; i++)
		hit += targets[i].answered > 0;
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	printf("started=%llu answered=%llu wrong=%llu failed=%llu timeouts=%llu "
	       "rate=%.1f p50_us=%.1f p90_us=%.1f p99_us=%.1f max_us=%.1f "
	       "targets_hit=%d targets=%d\n",
	       (unsigned long long)started, (unsigned long long)answered,
	       (unsigned long long)wrong, (unsigned long long)failed,
	       (unsigned long long)timeouts, in_window / secs, pct(0.5),
	       pct(0.9), pct(0.99), nlat ? lat[nlat - 1] / 1000.0 : 0.0, hit,
	       ntargets);
	return 0;
usage:
	fprintf(stderr, "usage: connload -f TARGETS [-t SECS] [-w WARMUP] [-c CONC] [-T TIMEOUT]\n");
	return 2;
}
