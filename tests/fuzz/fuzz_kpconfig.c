// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as kube-proxy's configuration file,
 * given to ksd_flags_parse() as "kserviced --config FILE" (flags.c), so
 * that what kpconfig.c reads goes on through the flags' own validation
 * as in the daemon. The file is a memfd, named by /proc/self/fd/N.
 * flags.c says what it refuses on stderr: run with -close_fd_mask=2, as
 * check-fuzz does.
 *
 * Besides the sanitizers: the parse accepts (0) or refuses (-EINVAL),
 * never answers as for --help, and an accepted file leaves a sync period
 * above 0 and a hostname that is set, trimmed and lowercase.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "flags.h"
#include "fuzz_util.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet_log();
	fd = memfd_create("kpconfig", MFD_CLOEXEC);
	if (fd < 0) {
		perror("fuzz_kpconfig: memfd_create");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "kserviced", "--config", path, NULL };
	struct ksd_opts o;
	size_t len;
	int ret;

	if (ftruncate(fd, 0) ||
	    (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_kpconfig: memfd");
		abort();
	}
	ret = ksd_flags_parse(3, argv, &o);
	fuzz_assert(!ret || ret == -EINVAL);
	if (ret)
		return 0;
	fuzz_assert(o.sync_ms > 0);
	len = strlen(o.hostname);
	fuzz_assert(len && !isspace((unsigned char)o.hostname[0]) &&
		    !isspace((unsigned char)o.hostname[len - 1]));
	for (size_t i = 0; i < len; i++)
		fuzz_assert(!isupper((unsigned char)o.hostname[i]));
	return 0;
}
