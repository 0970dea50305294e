// SPDX-License-Identifier: GPL-2.0
/*
 * benchsrv: the backends of the benchmark. Listens on 0.0.0.0:PORT and
 * answers every connection with the 4 bytes of the IPv4 address it was
 * accepted on, then closes it. In a namespace with a local route for a
 * prefix (ip route add local 10.244.0.0/20 dev lo), one server answers for
 * every address of it, and the client knows which endpoint it reached.
 *
 *   benchsrv PORT
 *
 * One thread, epoll, non-blocking accept until EAGAIN; the answer fits the
 * socket buffer, so nothing is ever queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1, lfd, ep;

	if (argc != 2) {
		fprintf(stderr, "usage: benchsrv PORT\n");
		return 2;
	}
	sin.sin_port = htons(atoi(argv[1]));
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 4096)) {
		perror("benchsrv: listen");
		return 1;
	}
	ep = epoll_create1(0);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
		perror("benchsrv: epoll");
		return 1;
	}
	printf("listening on %s\n", argv[1]);
	fflush(stdout);
	for (;;) {
		struct epoll_event got;
		int n = epoll_wait(ep, &got, 1, -1);

		if (n < 0 && errno != EINTR) {
			perror("benchsrv: epoll_wait");
			return 1;
		}
		for (;;) {
			struct sockaddr_in local;
			socklen_t len = sizeof(local);
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

			if (fd < 0) {
				if (errno == EAGAIN || errno == ECONNABORTED)
					break;
				if (errno == EMFILE || errno == ENFILE || errno == EINTR)
					break;
				perror("benchsrv: accept");
				return 1;
			}
			if (!getsockname(fd, (struct sockaddr *)&local, &len) &&
			    write(fd, &local.sin_addr.s_addr, 4) != 4)
				perror("benchsrv: write");
			close(fd);
		}
	}
}
