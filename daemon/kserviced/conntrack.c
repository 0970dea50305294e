// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack tuning; see conntrack.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "conntrack.h"
#include "log.h"

void ksd_conntrack_defaults(struct ksd_conntrack *ct)
{
	memset(ct, 0, sizeof(*ct));
	ct->max_per_core = KSD_CT_MAX_PER_CORE;
	ct->min = KSD_CT_MIN;
	ct->tcp_established_s = KSD_CT_TCP_ESTABLISHED;
	ct->tcp_close_wait_s = KSD_CT_TCP_CLOSE_WAIT;
}

static int read_int(const char *path, int64_t *v)
{
	FILE *f = fopen(path, "re");
	int ok;

	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNd64, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* Writes v to path unless it holds it already; 1 when the kernel said no. */
static int set_int(const char *dir, const char *name, int64_t v)
{
	char path[512];
	int64_t cur;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!read_int(path, &cur) && cur == v)
		return 0;
	f = fopen(path, "we");
	if (!f) {
		err = errno;
	} else {
		if (fprintf(f, "%" PRId64 "\n", v) < 0)
			err = errno ? errno : EIO;
		if (fclose(f) && !err)
			err = errno;
	}
	if (err) {
		ksd_warn("conntrack: %s: cannot set %" PRId64 ": %s; the "
			 "kernel's value stays", path, v, strerror(err));
		return 1;
	}
	ksd_info("conntrack: %s = %" PRId64, name, v);
	return 0;
}

int ksd_conntrack_apply(const struct ksd_conntrack *ct, long ncpus,
			const char *proc_sys, const char *module_params)
{
	char nf[256];
	int refused = 0;

	snprintf(nf, sizeof(nf), "%s/net/netfilter", proc_sys);
	if (ct->max_per_core > 0) {
		int64_t max = ct->max_per_core * (ncpus > 0 ? ncpus : 1);
		char path[512];
		int64_t hashsize;

		if (max < ct->min)
			max = ct->min;
		refused += set_int(nf, "nf_conntrack_max", max);
		/* Only when too small: a write outside the initial network
		 * namespace fails, and one to the same value is no use. */
		snprintf(path, sizeof(path), "%s/hashsize", module_params);
		if (!read_int(path, &hashsize) && hashsize < max / 4)
			refused += set_int(module_params, "hashsize", max / 4);
	}
	if (ct->tcp_established_s)
		refused += set_int(nf, "nf_conntrack_tcp_timeout_established",
				   (int64_t)ct->tcp_established_s);
	if (ct->tcp_close_wait_s)
		refused += set_int(nf, "nf_conntrack_tcp_timeout_close_wait",
				   (int64_t)ct->tcp_close_wait_s);
	if (ct->tcp_be_liberal)
		refused += set_int(nf, "nf_conntrack_tcp_be_liberal", 1);
	if (ct->udp_s)
		refused += set_int(nf, "nf_conntrack_udp_timeout",
				   (int64_t)ct->udp_s);
	if (ct->udp_stream_s)
		refused += set_int(nf, "nf_conntrack_udp_timeout_stream",
				   (int64_t)ct->udp_stream_s);
	return refused;
}
