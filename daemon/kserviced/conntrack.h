/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack tuning at start, as kube-proxy does it (its --conntrack-*
 * flags, the conntrack section of its configuration file):
 *  - nf_conntrack_max = max(maxPerCore x CPUs, min), when maxPerCore is
 *    not 0; the table's hashsize raised to a quarter of it if lower;
 *  - nf_conntrack_tcp_timeout_established and _close_wait, when not 0;
 *  - nf_conntrack_tcp_be_liberal 1, when asked;
 *  - nf_conntrack_udp_timeout and _udp_timeout_stream, when not 0.
 * A value already right is not written. kube-proxy's defaults: 32768 per
 * core, at least 131072, 24 h established, 1 h close-wait.
 *
 * Where kservice differs on purpose: a value the kernel refuses (outside
 * the initial network namespace nf_conntrack_max and hashsize are
 * read-only) is a warning, not a failure to start: the node still
 * proxies, with the kernel's own value.
 */
#ifndef KSD_CONNTRACK_H
#define KSD_CONNTRACK_H

#include <stdbool.h>
#include <stdint.h>

struct ksd_conntrack {
	int64_t max_per_core;		/* 0: leave nf_conntrack_max alone */
	int64_t min;
	uint64_t tcp_established_s;	/* 0: leave the kernel's */
	uint64_t tcp_close_wait_s;
	bool tcp_be_liberal;
	uint64_t udp_s;
	uint64_t udp_stream_s;
};

#define KSD_CT_MAX_PER_CORE	32768
#define KSD_CT_MIN		131072
#define KSD_CT_TCP_ESTABLISHED	(24 * 3600)
#define KSD_CT_TCP_CLOSE_WAIT	3600

void ksd_conntrack_defaults(struct ksd_conntrack *ct);

/*
 * Applies ct for a machine of ncpus CPUs: sysctls under proc_sys
 * ("/proc/sys"), the hashsize under module_params
 * ("/sys/module/nf_conntrack/parameters"). Returns how many writes the
 * kernel refused (each logged as a warning).
 */
int ksd_conntrack_apply(const struct ksd_conntrack *ct, long ncpus,
			const char *proc_sys, const char *module_params);

#endif /* KSD_CONNTRACK_H */
