// SPDX-License-Identifier: GPL-2.0
/*
 * kstime: one change of kservice timed inside the process, through libksvc
 * directly, so that the figure is the request's (library, netlink, kernel)
 * and not the start of a program, which dominates a small change under
 * emulation.
 *
 *   kstime NAME ADDR:PORT...
 *
 * Opens the handle (not timed), replaces NAME's backend set (timed), and
 * prints "usecs=N".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ksvc.h"
#include "ksvc_text.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	struct ksvc_backend *be;
	struct ksvc_err err;
	struct ksvc *ks;
	const char *why;
	double t0, t1;
	int i, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: kstime NAME ADDR:PORT...\n");
		return 2;
	}
	be = calloc(argc, sizeof(*be));
	if (!be)
		return 1;
	for (i = 2; i < argc; i++) {
		be[i - 2].weight = 1;
		if (ksvc_parse_endpoint(argv[i], &be[i - 2], NULL, &why)) {
			fprintf(stderr, "kstime: %s: %s\n", argv[i], why);
			return 2;
		}
	}
	ret = ksvc_open(&ks, &err);
	if (ret) {
		fprintf(stderr, "kstime: open: %s\n", strerror(-ret));
		return 1;
	}
	t0 = now_us();
	ret = ksvc_backend_replace(ks, argv[1], be, argc - 2, &err);
	t1 = now_us();
	ksvc_close(ks);
	free(be);
	if (ret) {
		fprintf(stderr, "kstime: %s: %s %s\n", argv[1], strerror(-ret), err.msg);
		return 1;
	}
	printf("usecs=%.1f\n", t1 - t0);
	return 0;
}
