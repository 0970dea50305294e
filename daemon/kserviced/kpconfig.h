/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kube-proxy's configuration file (--config): a KubeProxyConfiguration of
 * kubeproxy.config.k8s.io/v1alpha1, as kubeadm writes it into the
 * kube-proxy ConfigMap (config.conf). Each field that means something to
 * kserviced becomes the flag of the same meaning, so one validation serves
 * both and flags given on the command line override the file, as with
 * kube-proxy. A zero value (0, "", 0s, null, false) is kube-proxy's "the
 * default" and sets nothing.
 *
 * The sync periods come from the top level (syncPeriod, minSyncPeriod) or
 * else the section of the configured mode (iptables for "", ipvs,
 * nftables); masqueradeAll from linux, else that section; the conntrack
 * tuning (conntrack.h) from conntrack or linux.conntrack, where null is
 * the default and 0 "leave the kernel's value", as kube-proxy has it.
 * Fields that mean nothing to kservice (mode, ipvs.scheduler,
 * oomScoreAdj, ...) are accepted and, when set, named in one log line. A field the version does not have is an error naming
 * it, as is a detectLocalMode other than ClusterCIDR.
 */
#ifndef KSD_KPCONFIG_H
#define KSD_KPCONFIG_H

#include <stddef.h>

#define KSD_KPCONFIG_WHY_MAX	512

/*
 * Called for each flag the file sets: the long option's name
 * ("sync-period", "v" ...), its value as the command line would give it,
 * and the field it came from ("iptables.syncPeriod"), for messages.
 * Returns 0 or -EINVAL (having said why).
 */
typedef int (*ksd_kpconfig_set)(void *arg, const char *flag,
				const char *value, const char *field);

/*
 * Reads the configuration in text (len bytes; path names it in messages)
 * and calls set for every flag it sets. Returns 0, or -EINVAL with the
 * reason in why (empty when set refused a value: set says why), or
 * -ENOMEM.
 */
int ksd_kpconfig_parse(const char *text, size_t len, const char *path,
		       ksd_kpconfig_set set, void *arg, char *why);
int ksd_kpconfig_load(const char *path, ksd_kpconfig_set set, void *arg,
		      char *why);

#endif /* KSD_KPCONFIG_H */
