// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced's HTTP servers (http.c, on libmicrohttpd) against slow and
 * idle clients, with real sockets over loopback: 64 idle connections
 * from one client (127.0.0.1) do not keep another (127.0.0.2) from
 * /livez, and an idle connection is closed after the idle time (1 s
 * here). Waits are bounded (LOOP_PATIENCE_MS); nothing is timed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "http.h"
#include "loop.h"
#include "loop_util.h"

#define IDLE_CONNS	64

struct hfx {
	struct ksd_loop loop;
	struct ksd_http *h;
	uint16_t port;
};

static int serve(void *arg, const char *path, unsigned int *status,
		 char **body, size_t *len, const char **ctype)
{
	(void)arg;
	(void)len;
	(void)ctype;
	*status = strcmp(path, "/livez") ? 404 : 200;
	*body = strdup("ok\n");
	return *body ? 0 : -ENOMEM;
}

static struct hfx *start(const struct ksd_http_limits *lim)
{
	struct hfx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(ksd_loop_init(&f->loop), 0);
	assert_int_equal(ksd_http_start_limits(&f->h, &f->loop, "127.0.0.1:0",
					       0, serve, NULL, lim), 0);
	f->port = ksd_http_port(f->h);
	assert_true(f->port > 0);
	return f;
}

static void stop(struct hfx *f)
{
	ksd_http_stop(f->h);
	ksd_loop_release(&f->loop);
	free(f);
}

#define RUN_UNTIL(f, cond) RUN_LOOP_UNTIL(&(f)->loop, cond)

/* A connection to the server from 127.0.0.src. */
static int connect_from(struct hfx *f, uint8_t src)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + src);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(f->port);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* GET path on fd; the status line of the reply, read to its end. */
static void expect_get(struct hfx *f, int fd, const char *path,
		       const char *status)
{
	char req[256], buf[4096];
	size_t got = 0;
	ssize_t n;

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n"
		 "Connection: close\r\n\r\n", path);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL),
			 (ssize_t)strlen(req));
	do {
		RUN_UNTIL(f, fd_readable(fd));
		n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
		assert_true(n >= 0);
		got += (size_t)n;
	} while (n > 0 && got < sizeof(buf) - 1);
	buf[got] = 0;
	assert_true(got >= strlen(status));
	buf[strlen(status)] = 0;
	assert_string_equal(buf, status);
}

static size_t count_closed(const int *fds, size_t n)
{
	size_t i, closed = 0;
	char b;

	for (i = 0; i < n; i++)
		closed += fd_readable(fds[i]) &&
			  recv(fds[i], &b, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
	return closed;
}

/* 64 idle connections from one client (as many as the server takes in
 * all): it keeps KSD_HTTP_CONNS_PER_CLIENT, closes the others at once,
 * and /livez from another client is answered; so is one of the first
 * client's kept connections. The idle time is one no machine reaches. */
static void http_test_per_client_limit(void **state)
{
	const struct ksd_http_limits lim = {
		KSD_HTTP_CONNS, KSD_HTTP_CONNS_PER_CLIENT, 3600,
	};
	struct hfx *f = start(&lim);
	int fds[IDLE_CONNS], other;
	size_t i;

	(void)state;
	assert_true(IDLE_CONNS >= KSD_HTTP_CONNS);
	for (i = 0; i < IDLE_CONNS; i++)
		fds[i] = connect_from(f, 1);
	other = connect_from(f, 2);
	expect_get(f, other, "/livez", "HTTP/1.1 200");
	close(other);
	RUN_UNTIL(f, count_closed(fds, IDLE_CONNS) ==
		  IDLE_CONNS - KSD_HTTP_CONNS_PER_CLIENT);
	for (i = 0; i < IDLE_CONNS; i++)
		if (!fd_readable(fds[i]))
			break;
	assert_true(i < IDLE_CONNS);
	expect_get(f, fds[i], "/livez", "HTTP/1.1 200");
	for (i = 0; i < IDLE_CONNS; i++)
		close(fds[i]);
	stop(f);
}

/* A connection that sends nothing is closed after the idle time. */
static void http_test_idle_closed(void **state)
{
	const struct ksd_http_limits lim = {
		KSD_HTTP_CONNS, KSD_HTTP_CONNS_PER_CLIENT, 1,
	};
	struct hfx *f = start(&lim);
	int fd = connect_from(f, 1);
	char b;

	(void)state;
	RUN_UNTIL(f, fd_readable(fd));
	assert_int_equal(recv(fd, &b, 1, 0), 0);
	close(fd);
	/* A partial request does not keep it either. */
	fd = connect_from(f, 1);
	assert_int_equal(send(fd, "GET /livez HTTP/1.1\r\n", 21, MSG_NOSIGNAL),
			 21);
	RUN_UNTIL(f, fd_readable(fd));
	assert_int_equal(recv(fd, &b, 1, 0), 0);
	close(fd);
	stop(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(http_test_per_client_limit),
		cmocka_unit_test(http_test_idle_closed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
