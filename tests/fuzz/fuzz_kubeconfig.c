// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a kubeconfig file, read by
 * ksd_kubeconfig_parse() (kubeconfig.c, over yamldoc.c) as
 * ksd_kubeconfig_load() does after reading the file. The file is said to
 * be in a folder that does not exist, so a relative tokenFile is not
 * found (an absolute one is read: keep the fuzzer's stdin from a
 * terminal, as check-fuzz does).
 *
 * Besides the sanitizers: a refusal says why and leaves nothing set; an
 * accepted file gives an https:// server without a trailing slash, a
 * client certificate only with its key, and PEM data of its length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "kubeconfig.h"

static void check_pem(const struct ksd_pem *p)
{
	/* Decoded data is NUL-terminated after its length. */
	if (p->data)
		fuzz_assert(!p->data[p->len]);
	else
		fuzz_assert(!p->len);
	if (p->file)
		fuzz_assert(*p->file);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ksd_kubeconfig zero;
	char why[KSD_KUBECONFIG_WHY_MAX] = "";
	struct ksd_kubeconfig kc;
	size_t len;

	if (ksd_kubeconfig_parse((const char *)data, size,
				 "/nonexistent/kserviced-fuzz/kubeconfig",
				 &kc, why)) {
		fuzz_assert(*why && strnlen(why, sizeof(why)) < sizeof(why));
		fuzz_assert(!memcmp(&kc, &zero, sizeof(kc)));
		return 0;
	}
	fuzz_assert(kc.server && !strncmp(kc.server, "https://", 8));
	len = strlen(kc.server);
	fuzz_assert(len == 8 || kc.server[len - 1] != '/');
	check_pem(&kc.ca);
	check_pem(&kc.cert);
	check_pem(&kc.key);
	fuzz_assert(!(kc.cert.file || kc.cert.data) ==
		    !(kc.key.file || kc.key.data));
	ksd_kubeconfig_release(&kc);
	fuzz_assert(!memcmp(&kc, &zero, sizeof(kc)));
	return 0;
}
