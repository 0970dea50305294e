// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced as a whole (flags.c, daemon.c): the command line, and the
 * daemon running its loop over a manifests folder and the fake kernel
 * table: the tutorial programmed, edits followed, bursts coalesced by
 * --min-sync-period, a missing kernel retried, periodic full passes,
 * SIGHUP and SIGTERM.
 */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "daemon.h"
#include "fake_table.h"
#include "loop_util.h"
#include "flags.h"
#include "ksvc_text.h"
#include "log.h"
#include "manifests.h"

#ifndef KSD_SRCDIR
#error "KSD_SRCDIR: the top of the source tree"
#endif
#define TUTORIAL KSD_SRCDIR "/examples/tutorial"
#define SVC "default/my-app-service"

static void quiet(int level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

/* --- the command line --- */

static int parse_argv(int argc, char **argv, struct ksd_opts *o)
{
	FILE *saved_err = stderr, *saved_out = stdout;
	int ret;

	/* Its messages and --help are not the test's output. */
	stderr = fopen("/dev/null", "w");
	stdout = fopen("/dev/null", "w");
	ret = ksd_flags_parse(argc, argv, o);
	fclose(stderr);
	fclose(stdout);
	stderr = saved_err;
	stdout = saved_out;
	return ret;
}

static int parse(const char *line, struct ksd_opts *o)
{
	static char buf[512];	/* o points into it */
	char *argv[32], *save = NULL, *tok;
	int argc = 0;

	snprintf(buf, sizeof(buf), "kserviced %s", line);
	for (tok = strtok_r(buf, " ", &save); tok && argc < 31;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return parse_argv(argc, argv, o);
}

static void flags_test_parse(void **state)
{
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse("--manifests dir", &o), 0);
	assert_string_equal(o.manifests, "dir");
	assert_int_equal(o.min_sync_ms, 1000);
	assert_int_equal(o.sync_ms, 30000);
	assert_false(o.cleanup);
	assert_false(o.cfg.masquerade_all);
	assert_int_equal(o.cfg.ncluster_cidrs, 0);
	assert_int_equal(o.cfg.nnodeport_cidrs, 0);
	assert_int_equal(o.cfg.has, KSVC_CFG_HAS_CLUSTER_CIDRS |
				    KSVC_CFG_HAS_MASQUERADE_ALL |
				    KSVC_CFG_HAS_NODEPORT_CIDRS);

	assert_int_equal(parse("--manifests=d --min-sync-period=0 "
			       "--sync-period 1m30s --cluster-cidr "
			       "10.244.0.0/16,fd00:244::/48 --masquerade-all "
			       "--v=3", &o), 0);
	assert_int_equal(o.min_sync_ms, 0);
	assert_int_equal(o.sync_ms, 90000);
	assert_int_equal(o.cfg.ncluster_cidrs, 2);
	assert_int_equal(o.cfg.cluster_cidrs[1].prefixlen, 48);
	assert_true(o.cfg.masquerade_all);
	assert_int_equal(ksd_log_verbosity(), 3);
	ksd_log_set_verbosity(0);

	assert_int_equal(parse("--manifests d --masquerade-all=false", &o), 0);
	assert_false(o.cfg.masquerade_all);
	assert_int_equal(parse("--cleanup", &o), 0);
	assert_true(o.cleanup);
	assert_int_equal(parse("--help", &o), 1);
	assert_int_equal(parse("--version", &o), 1);

	/* No source: the API, in-cluster. */
	assert_int_equal(parse("", &o), 0);
	assert_null(o.manifests);
	assert_int_equal(parse("--kubeconfig kc --master https://m:6443", &o),
			 0);
	assert_string_equal(o.kubeconfig, "kc");
	assert_string_equal(o.master, "https://m:6443");
	assert_int_equal(parse("--manifests d extra", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --sync-period 0", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --min-sync-period 1", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d --cluster-cidr 10.244.0.1/16",
			       &o), -EINVAL);	/* host bits */
	assert_int_equal(parse("--manifests d --nodeport-addresses "
			       "192.0.2.0/24,2001:db8::/64", &o), 0);
	assert_int_equal(o.cfg.nnodeport_cidrs, 2);
	assert_int_equal(o.cfg.nodeport_cidrs[0].prefixlen, 24);
	assert_int_equal(o.cfg.nodeport_cidrs[1].addr.family, AF_INET6);
	assert_int_equal(o.cfg.ncluster_cidrs, 0);
	/* kube-proxy's ParseCIDRSloppy: leading zeros, decimal. */
	assert_int_equal(parse("--manifests d --nodeport-addresses "
			       "010.000.000.000/008 --cluster-cidr "
			       "010.244.000.000/16", &o), 0);
	assert_int_equal(o.cfg.nnodeport_cidrs, 1);
	assert_int_equal(o.cfg.nodeport_cidrs[0].prefixlen, 8);
	assert_int_equal(o.cfg.nodeport_cidrs[0].addr.raw[0], 10);
	assert_int_equal(o.cfg.cluster_cidrs[0].addr.raw[1], 244);
	assert_int_equal(parse("--manifests d --nodeport-addresses "
			       "010.000.000.001/8", &o), -EINVAL); /* host bits */
	assert_int_equal(parse("--manifests d --nodeport-addresses primary",
			       &o), -EINVAL);	/* not supported */
	assert_int_equal(parse("--manifests d --nodeport-addresses "
			       "192.0.2.1/24", &o), -EINVAL);	/* host bits */
	assert_int_equal(parse("--manifests d --nodeport-addresses 192.0.2.0",
			       &o), -EINVAL);
	assert_int_equal(parse("--manifests d --masquerade-all=maybe", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d -v loud", &o), -EINVAL);
	/* One source. */
	assert_int_equal(parse("--manifests d --kubeconfig x", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --master https://m", &o),
			 -EINVAL);

	/* --lb-ip-pool: standalone only, CIDRs that do not overlap. */
	assert_int_equal(parse("--manifests d", &o), 0);
	assert_int_equal(o.nlb_pool, 0);
	assert_int_equal(parse("--manifests d --lb-ip-pool "
			       "192.168.60.0/28,fd00:60::/120", &o), 0);
	assert_int_equal(o.nlb_pool, 2);
	assert_int_equal(o.lb_pool[0].prefixlen, 28);
	assert_int_equal(o.lb_pool[1].addr.family, AF_INET6);
	assert_int_equal(parse("--lb-ip-pool 192.168.60.0/28", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --lb-ip-pool 192.168.60.1/28",
			       &o), -EINVAL);	/* host bits */
	assert_int_equal(parse("--manifests d --lb-ip-pool "
			       "192.168.60.0/24,192.168.60.16/28", &o),
			 -EINVAL);	/* overlap */
	assert_int_equal(parse("--manifests d --lb-ip-pool ,", &o), -EINVAL);
}

/* kubeadm's kube-proxy ConfigMap, config.conf, as kubeadm writes it. */
#define KUBEADM_CONF KSD_SRCDIR "/examples/kubeadm/config.conf"

/* Writes text to a file of its own; returns its path (static). */
static const char *conf_file(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/ksd-conf-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static int parse_conf(const char *text, const char *flags, struct ksd_opts *o)
{
	char line[512];
	const char *path = conf_file(text);
	int ret;

	snprintf(line, sizeof(line), "--config %s %s", path, flags);
	ret = parse(line, o);
	unlink(path);
	return ret;
}

/*
 * --config numbers too large for the integer they become are refused, as
 * other bad values, without converting them first (undefined behaviour,
 * which fuzz_kpconfig's UBSan caught: -fsanitize=float-cast-overflow).
 */
static void flags_test_config_huge_numbers(void **state)
{
	static const char *const huge[] = {
		"logging: {verbosity: 1.0e+20}\n",
		"logging: {verbosity: 2147483648}\n",
		"conntrack: {min: 1.0e+30}\n",
		"linux: {conntrack: {maxPerCore: 9223372036854775808}}\n",
	};
	struct ksd_opts o;
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		snprintf(text, sizeof(text), "apiVersion: "
			 "kubeproxy.config.k8s.io/v1alpha1\n"
			 "kind: KubeProxyConfiguration\n%s", huge[i]);
		assert_int_equal(parse_conf(text, "", &o), -EINVAL);
	}
	/* The largest that fit are still numbers. */
	assert_int_equal(parse_conf("apiVersion: "
				    "kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "conntrack: {min: 2147483647}\n", "", &o), 0);
	assert_int_equal(o.ct.min, 2147483647);
}

/*
 * --kube-api-qps and --kube-api-burst, and clientConnection's qps and
 * burst in --config: the API source's rate (0: its defaults, as kubeadm
 * writes them); not numbers are refused.
 */
static void flags_test_api_rate(void **state)
{
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse("--manifests d", &o), 0);
	assert_true(o.api_qps == 0 && o.api_burst == 0);
	assert_int_equal(parse("--manifests d --kube-api-qps 2.5 "
			       "--kube-api-burst 3", &o), 0);
	assert_true(o.api_qps == 2.5 && o.api_burst == 3);
	assert_int_equal(parse("--manifests d --kube-api-qps -1", &o), 0);
	assert_true(o.api_qps == -1);
	assert_int_equal(parse("--manifests d --kube-api-qps x", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --kube-api-burst -1", &o),
			 -EINVAL);
	assert_int_equal(parse("--config=" KUBEADM_CONF, &o), 0);
	assert_true(o.api_qps == 0 && o.api_burst == 0);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "clientConnection: {qps: 7.5, burst: 20}\n",
				    "", &o), 0);
	assert_true(o.api_qps == 7.5 && o.api_burst == 20);
	/* The flags override the file. */
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "clientConnection: {qps: 7.5, burst: 20}\n",
				    "--kube-api-burst 4", &o), 0);
	assert_true(o.api_qps == 7.5 && o.api_burst == 4);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "clientConnection: {qps: fast}\n", "", &o),
			 -EINVAL);
}

/*
 * --config: kube-proxy's KubeProxyConfiguration, kubeadm's as it is; the
 * fields that apply become their flags (the mode's sync periods, a bind
 * address without a port, lists), the flags override the file; an unknown
 * field, another detectLocalMode or a bad value is refused. kube-proxy's
 * flags that mean nothing here are accepted, and -v=N works.
 */
static void flags_test_config(void **state)
{
	struct ksd_opts o;
	char text[4096];

	(void)state;
	assert_int_equal(parse("--config=" KUBEADM_CONF
			       " --hostname-override=Node-1", &o), 0);
	assert_string_equal(o.kubeconfig, "/var/lib/kube-proxy/kubeconfig.conf");
	assert_int_equal(o.cfg.ncluster_cidrs, 1);
	assert_int_equal(o.cfg.cluster_cidrs[0].prefixlen, 16);
	assert_int_equal(o.sync_ms, 30000);
	assert_int_equal(o.min_sync_ms, 1000);
	assert_string_equal(o.healthz_bind, "0.0.0.0:10256");
	assert_string_equal(o.metrics_bind, "127.0.0.1:10249");
	assert_false(o.cfg.masquerade_all);
	assert_int_equal(o.cfg.nnodeport_cidrs, 0);
	assert_string_equal(o.hostname, "node-1");
	assert_int_equal(ksd_log_verbosity(), 0);

	/* Set fields; ipvs mode takes the ipvs section's periods. */
	snprintf(text, sizeof(text), "%s",
		 "apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
		 "kind: KubeProxyConfiguration\n"
		 "mode: ipvs\n"
		 "hostnameOverride: from-file\n"
		 "healthzBindAddress: 0.0.0.0\n"
		 "metricsBindAddress: '::1'\n"
		 "nodePortAddresses: [192.0.2.0/24, '2001:db8::/64']\n"
		 "iptables: {syncPeriod: 10s, minSyncPeriod: 2s}\n"
		 "ipvs: {syncPeriod: 20s, minSyncPeriod: 3s, scheduler: rr}\n"
		 "linux: {masqueradeAll: true}\n"
		 "logging: {verbosity: 4}\n");
	assert_int_equal(parse_conf(text, "", &o), 0);
	assert_int_equal(o.sync_ms, 20000);
	assert_int_equal(o.min_sync_ms, 3000);
	assert_string_equal(o.healthz_bind, "0.0.0.0:10256");
	assert_string_equal(o.metrics_bind, "[::1]:10249");
	assert_int_equal(o.cfg.nnodeport_cidrs, 2);
	assert_true(o.cfg.masquerade_all);
	assert_string_equal(o.hostname, "from-file");
	assert_int_equal(ksd_log_verbosity(), 4);
	/* The flags win. */
	assert_int_equal(parse_conf(text, "--sync-period 5s "
				    "--hostname-override flag -v=1", &o), 0);
	assert_int_equal(o.sync_ms, 5000);
	assert_int_equal(o.min_sync_ms, 3000);
	assert_string_equal(o.hostname, "flag");
	assert_int_equal(ksd_log_verbosity(), 1);
	/* The top level's period over the mode's. */
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "syncPeriod: 1m\n"
				    "iptables: {syncPeriod: 10s}\n", "", &o), 0);
	assert_int_equal(o.sync_ms, 60000);

	/* Refused, naming what. */
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "iptables: {syncPeriodd: 10s}\n", "", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "detectLocalMode: NodeCIDR\n", "", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "iptables: {syncPeriod: soon}\n", "", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "clusterCIDR: 10.244.0.1/16\n", "", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha2\n"
				    "kind: KubeProxyConfiguration\n", "", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: v1\nkind: ConfigMap\n", "",
				    &o), -EINVAL);
	assert_int_equal(parse("--config /nonexistent/config.conf", &o),
			 -EINVAL);

	/* kube-proxy's own flags: accepted, with a warning. */
	assert_int_equal(parse("--manifests d --proxy-mode=ipvs "
			       "--ipvs-scheduler rr --profiling "
			       "--conntrack-max-per-core 0 --iptables-sync-period "
			       "15s", &o), 0);
	assert_int_equal(o.sync_ms, 15000);
	assert_int_equal(parse("--manifests d -v 2", &o), 0);
	assert_int_equal(ksd_log_verbosity(), 2);
	assert_int_equal(parse("--manifests d -v=3", &o), 0);
	assert_int_equal(ksd_log_verbosity(), 3);
	assert_int_equal(parse("--manifests d --v=4", &o), 0);
	assert_int_equal(ksd_log_verbosity(), 4);
	ksd_log_set_verbosity(0);
}

/* A file with text in it, made for the test. */
static void put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static long long got(const char *dir, const char *name)
{
	char path[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lld", &v), 1);
	fclose(f);
	return v;
}

/*
 * Conntrack tuning as kube-proxy's: from the flags and the file (null the
 * default, 0 "leave it"), then applied to a /proc/sys and a module
 * parameters folder of the test's: nf_conntrack_max = max(perCore x CPUs,
 * min), hashsize a quarter of it when lower, the TCP timeouts; what is
 * right is not written; a refusal is counted, not fatal.
 */
static void conntrack_test_tuning(void **state)
{
	char root[] = "/tmp/ksd-ct-XXXXXX", nf[128], params[128], path[160];
	struct ksd_conntrack ct;
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse("--config=" KUBEADM_CONF, &o), 0);
	assert_int_equal(o.ct.max_per_core, 32768);
	assert_int_equal(o.ct.min, 131072);
	assert_int_equal(o.ct.tcp_established_s, 86400);
	assert_int_equal(o.ct.tcp_close_wait_s, 3600);
	assert_false(o.ct.tcp_be_liberal);
	assert_int_equal(o.ct.udp_s, 0);
	assert_int_equal(parse("--manifests d --conntrack-max-per-core 0 "
			       "--conntrack-tcp-timeout-established 1h "
			       "--conntrack-tcp-be-liberal "
			       "--conntrack-udp-timeout 30s", &o), 0);
	assert_int_equal(o.ct.max_per_core, 0);
	assert_int_equal(o.ct.tcp_established_s, 3600);
	assert_true(o.ct.tcp_be_liberal);
	assert_int_equal(o.ct.udp_s, 30);
	assert_int_equal(parse("--manifests d --conntrack-min -1", &o),
			 -EINVAL);
	assert_int_equal(parse_conf("apiVersion: kubeproxy.config.k8s.io/v1alpha1\n"
				    "kind: KubeProxyConfiguration\n"
				    "conntrack: {maxPerCore: 0, min: null, "
				    "tcpEstablishedTimeout: 2h0m0s, "
				    "tcpCloseWaitTimeout: 0s, tcpBeLiberal: true}\n",
				    "", &o), 0);
	assert_int_equal(o.ct.max_per_core, 0);
	assert_int_equal(o.ct.min, 131072);
	assert_int_equal(o.ct.tcp_established_s, 7200);
	assert_int_equal(o.ct.tcp_close_wait_s, 0);
	assert_true(o.ct.tcp_be_liberal);

	assert_non_null(mkdtemp(root));
	snprintf(nf, sizeof(nf), "%s/net", root);
	assert_int_equal(mkdir(nf, 0700), 0);
	snprintf(nf, sizeof(nf), "%s/net/netfilter", root);
	assert_int_equal(mkdir(nf, 0700), 0);
	snprintf(params, sizeof(params), "%s/params", root);
	assert_int_equal(mkdir(params, 0700), 0);
	put_file(nf, "nf_conntrack_max", "65536\n");
	put_file(nf, "nf_conntrack_tcp_timeout_established", "432000\n");
	put_file(nf, "nf_conntrack_tcp_timeout_close_wait", "60\n");
	put_file(nf, "nf_conntrack_tcp_be_liberal", "0\n");
	put_file(nf, "nf_conntrack_udp_timeout", "30\n");
	put_file(params, "hashsize", "16384\n");
	ksd_conntrack_defaults(&ct);
	assert_int_equal(ksd_conntrack_apply(&ct, 8, root, params), 0);
	assert_int_equal(got(nf, "nf_conntrack_max"), 262144);
	assert_int_equal(got(params, "hashsize"), 65536);
	assert_int_equal(got(nf, "nf_conntrack_tcp_timeout_established"),
			 86400);
	assert_int_equal(got(nf, "nf_conntrack_tcp_timeout_close_wait"), 3600);
	assert_int_equal(got(nf, "nf_conntrack_tcp_be_liberal"), 0);
	assert_int_equal(got(nf, "nf_conntrack_udp_timeout"), 30);
	/* Two CPUs: the minimum wins; a larger hashsize stays. */
	assert_int_equal(ksd_conntrack_apply(&ct, 2, root, params), 0);
	assert_int_equal(got(nf, "nf_conntrack_max"), 131072);
	assert_int_equal(got(params, "hashsize"), 65536);
	/* 0 per core: nf_conntrack_max left alone; liberal, UDP asked. */
	ct.max_per_core = 0;
	ct.tcp_be_liberal = true;
	ct.udp_s = 10;
	put_file(nf, "nf_conntrack_max", "1000\n");
	assert_int_equal(ksd_conntrack_apply(&ct, 8, root, params), 0);
	assert_int_equal(got(nf, "nf_conntrack_max"), 1000);
	assert_int_equal(got(nf, "nf_conntrack_tcp_be_liberal"), 1);
	assert_int_equal(got(nf, "nf_conntrack_udp_timeout"), 10);
	/* What the kernel refuses (here: not a file) is counted. */
	ct.udp_stream_s = 120;
	snprintf(path, sizeof(path), "%s/nf_conntrack_udp_timeout_stream", nf);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(ksd_conntrack_apply(&ct, 8, root, params), 1);
	rmdir(path);
	snprintf(path, sizeof(path), "rm -r %s", root);
	assert_int_equal(system(path), 0);
}

/* --hostname-override, trimmed and lowercased as kube-proxy's; without
 * it, the host's name. */
static void flags_test_hostname(void **state)
{
	char host[KSD_HOSTNAME_MAX + 2] = "";
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse("--manifests d --hostname-override Node-A", &o),
			 0);
	assert_string_equal(o.hostname, "node-a");
	assert_int_equal(parse("--manifests d --hostname-override=node-b.Example",
			       &o), 0);
	assert_string_equal(o.hostname, "node-b.example");

	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	assert_int_equal(parse("--manifests d", &o), 0);
	assert_string_equal(o.hostname, host);
	/* Empty: the host's name, as kube-proxy's. */
	assert_int_equal(parse("--manifests d --hostname-override=", &o), 0);
	assert_string_equal(o.hostname, host);

	/* Spaces around it are trimmed; only spaces, or too long: refused. */
	{
		char name[KSD_HOSTNAME_MAX + 2];
		char *argv[] = { "kserviced", "--manifests", "d",
				 "--hostname-override", " Node-C\t", NULL };

		assert_int_equal(parse_argv(5, argv, &o), 0);
		assert_string_equal(o.hostname, "node-c");
		argv[4] = "  ";
		assert_int_equal(parse_argv(5, argv, &o), -EINVAL);
		memset(name, 'a', KSD_HOSTNAME_MAX);
		name[KSD_HOSTNAME_MAX] = '\0';
		argv[4] = name;
		assert_int_equal(parse_argv(5, argv, &o), 0);
		assert_int_equal(strlen(o.hostname), KSD_HOSTNAME_MAX);
		name[KSD_HOSTNAME_MAX] = 'a';
		name[KSD_HOSTNAME_MAX + 1] = '\0';
		assert_int_equal(parse_argv(5, argv, &o), -EINVAL);
	}
}

/* The cluster DNS flags: off by default, cluster.local, TTL 5 s. */
static void flags_test_dns(void **state)
{
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse("--manifests d", &o), 0);
	assert_null(o.dns_bind);
	assert_string_equal(o.cluster_domain, "cluster.local");
	assert_int_equal(o.dns_ttl, 5);
	assert_int_equal(parse("--manifests d --dns-bind 10.96.0.10:53 "
			       "--cluster-domain example.internal "
			       "--dns-ttl 30", &o), 0);
	assert_string_equal(o.dns_bind, "10.96.0.10:53");
	assert_string_equal(o.cluster_domain, "example.internal");
	assert_int_equal(o.dns_ttl, 30);
	assert_int_equal(parse("--manifests d --dns-bind [::1]:5353 "
			       "--dns-ttl 1m", &o), 0);
	assert_int_equal(o.dns_ttl, 60);
	assert_int_equal(parse("--manifests d --dns-bind 10.96.0.10", &o), 0);
	assert_int_equal(parse("--manifests d --dns-ttl 0", &o), 0);
	assert_int_equal(o.dns_ttl, 0);
	assert_int_equal(parse("--manifests d --dns-bind nowhere", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d --dns-bind 10.0.0.1:99999", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d --cluster-domain a..b", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d --cluster-domain .", &o),
			 -EINVAL);
	assert_int_equal(parse("--manifests d --dns-ttl 2h", &o), -EINVAL);
	assert_int_equal(parse("--manifests d --dns-ttl -1", &o), -EINVAL);
}

static void flags_test_durations(void **state)
{
	static const struct { const char *s; int ret; uint64_t ms; } t[] = {
		{ "0", 0, 0 }, { "1s", 0, 1000 }, { "500ms", 0, 500 },
		{ "1m30s", 0, 90000 }, { "1.5s", 0, 1500 }, { "2h", 0, 7200000 },
		{ "250us", 0, 0 }, { "1500000ns", 0, 2 }, { ".5s", 0, 500 },
		{ "1h1m1s1ms", 0, 3661001 },
		{ "", -EINVAL, 0 }, { "1", -EINVAL, 0 }, { "s", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 }, { "1 s", -EINVAL, 0 },
		{ "1d", -EINVAL, 0 }, { "1.2.3s", -EINVAL, 0 },
		{ ".s", -EINVAL, 0 }, { "1s2", -EINVAL, 0 },
		{ "99999999999h", -ERANGE, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ms = 12345;
		int ret = ksd_parse_duration(t[i].s, &ms);

		if (ret != t[i].ret || (!ret && ms != t[i].ms))
			fail_msg("\"%s\": %d %llu, want %d %llu", t[i].s, ret,
				 (unsigned long long)ms, t[i].ret,
				 (unsigned long long)t[i].ms);
	}
}

/* --- the daemon --- */

struct fixture {
	const char *dns_bind;		/* for start_on() */
	char dir[256];
	struct ksd_daemon d;
	bool started;
	struct ksvc_cidr lb_pool[KSD_LBPOOL_CIDRS_MAX];	/* --lb-ip-pool */
	size_t nlb_pool;
};

static void put(const struct fixture *f, const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", f->dir, name);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	assert_int_equal(rename(tmp, path), 0);
}

static void copy_in(const struct fixture *f, const char *name)
{
	char path[512], buf[8192];
	FILE *fp;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", TUTORIAL, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = 0;
	fclose(fp);
	put(f, name, buf);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "%s/ksd-daemon-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	copy_in(f, "my-app-service.yaml");
	copy_in(f, "my-app-service.overlay.yaml");
	copy_in(f, "my-app-service-endpoints.yaml");
	fake_table_reset();
	ksd_log_set_sink(quiet, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];

	if (f->started)
		ksd_daemon_release(&f->d);
	fake_table_release();
	ksd_log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void start_on(struct fixture *f, uint64_t min_sync_ms,
		     uint64_t sync_ms, const char *hostname)
{
	struct ksd_opts o = {
		.manifests = f->dir,
		.min_sync_ms = min_sync_ms,
		.sync_ms = sync_ms,
		.dns_bind = f->dns_bind,
		.cluster_domain = "cluster.local",
		.dns_ttl = 5,
		.cfg = { .has = KSVC_CFG_HAS_CLUSTER_CIDRS |
				KSVC_CFG_HAS_MASQUERADE_ALL |
				KSVC_CFG_HAS_NODEPORT_CIDRS },
	};
	struct ksd_source *src = ksd_manifests_source(f->dir, 20);

	assert_non_null(src);
	assert_int_equal(ksvc_parse_cidr("10.244.0.0/16",
					 &o.cfg.cluster_cidrs[0], NULL), 0);
	o.cfg.ncluster_cidrs = 1;
	assert_int_equal(ksvc_parse_cidr("192.0.2.0/24",
					 &o.cfg.nodeport_cidrs[0], NULL), 0);
	assert_int_equal(ksvc_parse_cidr("2001:db8::/64",
					 &o.cfg.nodeport_cidrs[1], NULL), 0);
	o.cfg.nnodeport_cidrs = 2;
	snprintf(o.hostname, sizeof(o.hostname), "%s", hostname);
	memcpy(o.lb_pool, f->lb_pool, sizeof(o.lb_pool));
	o.nlb_pool = f->nlb_pool;
	f->started = true;
	assert_int_equal(ksd_daemon_init(&f->d, &o, fake_open, src), 0);
}

static void start(struct fixture *f, uint64_t min_sync_ms, uint64_t sync_ms)
{
	start_on(f, min_sync_ms, sync_ms, "");
}

#define RUN_UNTIL(f, cond) RUN_UNTIL_MS(&(f)->d, cond, LOOP_PATIENCE_MS)

static const char one_pod[] =
	"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: my-app-service-abc12\n"
	"  labels: {kubernetes.io/service-name: my-app-service}\n"
	"addressType: IPv4\nports: [{name: '', port: 8080}]\n"
	"endpoints: [{addresses: [10.244.1.11]}]\n";

/* The tutorial's folder is programmed, then edits to it are followed with
 * only what changed: a backend set, then the service gone. */
static void daemon_test_follow(void **state)
{
	struct fixture *f = *state;

	start(f, 0, 30000);
	RUN_UNTIL(f, backends(SVC) == 2);
	assert_int_equal(ftab.cfg.ncluster_cidrs, 1);
	/* --nodeport-addresses programmed with the rest at startup. */
	assert_true(ftab.cfg.has & KSVC_CFG_HAS_NODEPORT_CIDRS);
	assert_int_equal(ftab.cfg.nnodeport_cidrs, 2);
	assert_int_equal(fake_table_find(SVC)->port, 80);
	assert_int_equal(fake_table_find(SVC)->nfrontends, 1);

	put(f, "my-app-service-endpoints.yaml", one_pod);
	RUN_UNTIL(f, backends(SVC) == 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 0);

	/* Without the overlay the Service has no cluster IP: it goes. */
	{
		char path[512];

		snprintf(path, sizeof(path), "%s/my-app-service.overlay.yaml",
			 f->dir);
		assert_int_equal(unlink(path), 0);
	}
	RUN_UNTIL(f, !fake_table_find(SVC));
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_FLUSH], 0);
}

/* On node-a the tutorial's pods (nodeName node-a) are local; an overlay
 * giving the Service internalTrafficPolicy Local and ClientIP affinity is
 * one SVC_SET, the backends left alone. */
static void daemon_test_node(void **state)
{
	const uint32_t local = KSVC_BE_F_LOCAL | KSVC_BE_F_READY |
			       KSVC_BE_F_SERVING;
	struct fixture *f = *state;
	struct ksvc_service *k;

	start_on(f, 0, 30000, "node-a");
	RUN_UNTIL(f, backends(SVC) == 2);
	k = fake_table_find(SVC);
	assert_int_equal(k->backends[0].flags, local);
	assert_int_equal(k->backends[1].flags, local);
	assert_int_equal(k->flags, 0);
	assert_int_equal(k->affinity, 0);

	put(f, "zz-policy.overlay.yaml",
	    "apiVersion: kserviced.kservice.io/v1alpha1\nkind: Overlay\n"
	    "target: {kind: Service, namespace: default, "
	    "name: my-app-service}\n"
	    "patch:\n  spec: {internalTrafficPolicy: Local, "
	    "sessionAffinity: ClientIP}\n");
	RUN_UNTIL(f, fake_table_find(SVC)->flags == KSVC_SVC_F_INTERNAL_LOCAL);
	k = fake_table_find(SVC);
	assert_int_equal(k->affinity, KSVC_AFFINITY_TIMEOUT_DEFAULT);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 0);
}

/* --lb-ip-pool across a restart: the address the kernel's service holds
 * (a daemon before this one gave it) stays that Service's, though the
 * pool's one address would otherwise go to the first Service in order;
 * the service is only marked, never changed. */
static void daemon_test_lb_pool_restart(void **state)
{
	static const char lb_svc[] =
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: %s, namespace: default}\n"
		"spec: {type: LoadBalancer, clusterIP: %s, ports: [{port: 80}]}\n";
	struct fixture *f = *state;
	struct ksvc_service pre, *k;
	struct ksvc_frontend fe = { .kind = KSVC_FE_CLUSTER_IP };
	char text[512];

	snprintf(text, sizeof(text), lb_svc, "a-lb", "10.96.0.21");
	put(f, "a-lb.yaml", text);
	snprintf(text, sizeof(text), lb_svc, "b-lb", "10.96.0.22");
	put(f, "b-lb.yaml", text);
	/* What the daemon before this one programmed for b-lb. */
	ksvc_service_init(&pre);
	assert_int_equal(ksvc_service_set_name(&pre, "default/b-lb"), 0);
	pre.has = KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT;
	pre.proto = IPPROTO_TCP;
	pre.port = 80;
	assert_int_equal(ksvc_parse_addr("10.96.0.22", &fe.addr, NULL), 0);
	assert_int_equal(ksvc_service_add_frontend(&pre, &fe), 0);
	fe.kind = KSVC_FE_LOAD_BALANCER_IP;
	assert_int_equal(ksvc_parse_addr("192.168.60.7", &fe.addr, NULL), 0);
	assert_int_equal(ksvc_service_add_frontend(&pre, &fe), 0);
	pre.generation = 3;
	fake_table_add(&pre);
	ksvc_service_release(&pre);

	assert_int_equal(ksvc_parse_cidr("192.168.60.7/32", &f->lb_pool[0],
					 NULL), 0);
	f->nlb_pool = 1;
	start(f, 0, 30000);
	RUN_UNTIL(f, fake_table_find("default/a-lb") &&
		     fake_table_find("default/b-lb")->generation > 3);
	k = fake_table_find("default/b-lb");
	assert_int_equal(k->nfrontends, 2);
	assert_int_equal(k->frontends[1].kind, KSVC_FE_LOAD_BALANCER_IP);
	assert_true(ksvc_addr_equal(&k->frontends[1].addr, &fe.addr));
	assert_int_equal(fake_table_find("default/a-lb")->nfrontends, 1);
}

/* Where timer fd is due, in now_ms()'s clock; 0 when disarmed. */
static uint64_t timer_due_ms(int fd)
{
	struct itimerspec it;
	uint64_t left;

	assert_int_equal(timerfd_gettime(fd, &it), 0);
	left = (uint64_t)it.it_value.tv_sec * 1000 +
	       (uint64_t)it.it_value.tv_nsec / 1000000;
	if (!left && !it.it_value.tv_nsec)
		return 0;
	return now_ms() + left;
}

/*
 * A burst of changes within --min-sync-period is one pass, after it: each
 * change is taken in as it comes and nothing is programmed; the pass is
 * set for the end of the period, counted from the last pass; when it
 * runs, it has all of them. No wall-clock window: the period is 30 s and
 * the last pass is moved 20 s back (what a fake clock would do), so that
 * the burst falls inside the period however slow the machine, and where
 * the timer is set is read rather than waited for.
 */
static void daemon_test_coalesce(void **state)
{
	struct fixture *f = *state;
	unsigned long passes, changes;
	uint64_t t0, due, end;

	start(f, 30000, 30000);
	RUN_UNTIL(f, backends(SVC) == 2);
	passes = f->d.passes;
	f->d.last_sync_ms -= 20000;
	end = f->d.last_sync_ms + 30000;
	t0 = now_ms();
	changes = f->d.store.changes;
	put(f, "a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: a}\n"
	    "spec: {clusterIP: 10.96.0.1, ports: [{port: 80}]}\n");
	RUN_UNTIL(f, f->d.store.changes > changes);
	changes = f->d.store.changes;
	put(f, "b.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: b}\n"
	    "spec: {clusterIP: 10.96.0.2, ports: [{port: 80}]}\n");
	RUN_UNTIL(f, f->d.store.changes > changes);
	changes = f->d.store.changes;
	put(f, "my-app-service-endpoints.yaml", one_pod);
	RUN_UNTIL(f, f->d.store.changes > changes);
	assert_int_equal(f->d.store.nsvcs, 3);
	/* Nothing programmed within the period... */
	assert_int_equal(f->d.passes, passes);
	assert_null(fake_table_find("default/a"));
	assert_int_equal(backends(SVC), 2);
	/* ...the pass set for its end (to the ms; the last change set it
	 * some time between t0 and now)... */
	due = timer_due_ms(f->d.sync_tfd);
	if (due + 2 < end || due > end + (now_ms() - t0) + 2)
		fail_msg("the pass is due %lld ms after the period's end "
			 "(0 to %llu wanted)", (long long)(due - end),
			 (unsigned long long)(now_ms() - t0));
	/* ...then, when it comes, one pass with all of it. */
	assert_int_equal(ksd_timer_arm_now(f->d.sync_tfd), 0);
	RUN_UNTIL(f, f->d.passes > passes);
	assert_int_equal(f->d.passes, passes + 1);
	assert_non_null(fake_table_find("default/a"));
	assert_non_null(fake_table_find("default/b"));
	assert_int_equal(backends(SVC), 1);
}

/* No kernel at start: the pass fails, is tried again after the backoff,
 * and the configuration goes with it. */
static void daemon_test_no_kernel(void **state)
{
	struct fixture *f = *state;

	fake.family = 0;
	start(f, 0, 30000);
	RUN_UNTIL(f, f->d.passes >= 1);
	assert_int_equal(ftab.svcs.n, 0);
	assert_int_equal(f->d.retry_ms, KSD_RETRY_MIN_MS);
	fake.family = FAKE_FAMILY;
	RUN_UNTIL(f, backends(SVC) == 2);
	assert_int_equal(ftab.cfg.ncluster_cidrs, 1);
	assert_int_equal(f->d.retry_ms, 0);
}

/* Full passes come every --sync-period, each a dump, and put back what
 * was changed behind the daemon's back. Three of them after the first
 * take three periods or more (never fewer, however fast; as long as the
 * machine needs, when it is slow). */
static void daemon_test_periodic(void **state)
{
	struct fixture *f = *state;
	unsigned int dumps;
	uint64_t t0 = now_ms();

	start(f, 0, 150);
	RUN_UNTIL(f, backends(SVC) == 2);
	dumps = ftab.cmds[KSVC_CMD_SVC_GET];
	fake_table_find(SVC)->nbackends = 0;	/* someone's ksctl */
	RUN_UNTIL(f, ftab.cmds[KSVC_CMD_SVC_GET] >= dumps + 3);
	assert_true(now_ms() - t0 >= 3 * 150);
	assert_int_equal(backends(SVC), 2);
}

/* SIGHUP reloads and does a full pass; SIGTERM stops the loop and the
 * kernel keeps its services. */
static void daemon_test_signals(void **state)
{
	struct fixture *f = *state;
	unsigned int dumps;

	start(f, 0, 30000);
	assert_int_equal(ksd_daemon_signals(&f->d), 0);
	RUN_UNTIL(f, backends(SVC) == 2);
	dumps = ftab.cmds[KSVC_CMD_SVC_GET];
	assert_int_equal(kill(getpid(), SIGHUP), 0);
	RUN_UNTIL(f, ftab.cmds[KSVC_CMD_SVC_GET] > dumps);
	assert_int_equal(kill(getpid(), SIGTERM), 0);
	RUN_UNTIL(f, f->d.loop.stop);
	assert_int_equal(ksd_daemon_run(&f->d), 0);	/* returns at once */
	ksd_daemon_release(&f->d);
	f->started = false;
	assert_int_equal(backends(SVC), 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_FLUSH], 0);
}

/* A query to the daemon's DNS server over UDP or TCP (the loop runs
 * meanwhile); the answer section as "TYPE RDATA" lines, or the rcode's
 * name when it is empty. */
static char *dig(struct fixture *f, const char *name, ldns_rr_type type,
		 bool tcp)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint8_t *w, buf[4096];
	ldns_pkt *q = NULL, *r = NULL;
	char *out = calloc(1, 4096);
	size_t len, got = 0, i;
	int fd;

	a.sin_port = htons(ksd_dns_server_port(f->d.dns_server));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type,
						    LDNS_RR_CLASS_IN, 0),
			 LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt2wire(&w, q, &len), LDNS_STATUS_OK);
	fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (tcp) {
		uint8_t hdr[2] = { (uint8_t)(len >> 8), (uint8_t)len };

		assert_int_equal(send(fd, hdr, 2, 0), 2);
	}
	assert_int_equal(send(fd, w, len, 0), (ssize_t)len);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		RUN_UNTIL(f, poll(&p, 1, 0) == 1);
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
		if (!tcp || (got >= 2 && got >= 2 + (size_t)(buf[0] << 8 |
							    buf[1])))
			break;
	}
	close(fd);
	assert_int_equal(ldns_wire2pkt(&r, buf + (tcp ? 2 : 0),
				       got - (tcp ? 2 : 0)), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(r), ldns_pkt_id(q));
	len = 0;
	for (i = 0; i < ldns_pkt_ancount(r); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(r), i);
		char *t = ldns_rr_type2str(ldns_rr_get_type(rr));
		char *d = ldns_rdf2str(ldns_rr_rdf(rr, 0));

		len += (size_t)snprintf(out + len, 4096 - len, "%s%s %s",
					i ? "\n" : "", t, d);
		free(t);
		free(d);
	}
	if (!i) {
		char *rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(r));

		snprintf(out, 4096, "%s", rc);
		free(rc);
	}
	ldns_pkt_free(q);
	ldns_pkt_free(r);
	free(w);
	return out;
}

#define expect_dig(f, name, type, tcp, want) do {			\
	char *got_ = dig(f, name, type, tcp);				\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static const char others[] =
	"apiVersion: v1\nkind: Service\n"
	"metadata: {name: db}\n"
	"spec: {type: ExternalName, externalName: db.example.com}\n"
	"---\napiVersion: v1\nkind: Service\n"
	"metadata: {name: web}\n"
	"spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
	"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
	"metadata:\n  name: web-1\n"
	"  labels: {kubernetes.io/service-name: web}\n"
	"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
	"endpoints: [{addresses: [10.244.1.20], hostname: web-0}]\n";

/* --dns-bind: the daemon answers cluster DNS from the objects it
 * follows, over UDP and TCP on its loop. ExternalName and headless
 * services are kept for it, and still not programmed. */
static void daemon_test_dns(void **state)
{
	struct fixture *f = *state;

	f->dns_bind = "127.0.0.1:0";
	put(f, "others.yaml", others);
	start(f, 0, 30000);
	RUN_UNTIL(f, backends(SVC) == 2);
	assert_non_null(f->d.dns_server);
	assert_int_equal(f->d.store.nsvcs, 3);
	assert_null(fake_table_find("default/db"));
	assert_null(fake_table_find("default/web"));
	assert_null(fake_table_find("default/web:http"));
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 1);

	expect_dig(f, "my-app-service.default.svc.cluster.local",
		   LDNS_RR_TYPE_A, false, "A 10.96.0.80");
	expect_dig(f, "my-app-service.default.svc.cluster.local",
		   LDNS_RR_TYPE_A, true, "A 10.96.0.80");
	expect_dig(f, "db.default.svc.cluster.local", LDNS_RR_TYPE_A, false,
		   "CNAME db.example.com.");
	expect_dig(f, "web.default.svc.cluster.local", LDNS_RR_TYPE_A, true,
		   "A 10.244.1.20");
	expect_dig(f, "web-0.web.default.svc.cluster.local", LDNS_RR_TYPE_A,
		   false, "A 10.244.1.20");
	expect_dig(f, "my-app-service.default.svc.cluster.local."
		   "cluster.local", LDNS_RR_TYPE_A, false, "NXDOMAIN");
	expect_dig(f, "example.com", LDNS_RR_TYPE_A, false, "REFUSED");
	/* The server's own name has its address. */
	expect_dig(f, "ns.dns.cluster.local", LDNS_RR_TYPE_A, false,
		   "A 127.0.0.1");
	/* An edit is answered at once, before any pass. */
	put(f, "others.yaml", "kind: List\nitems: []\n");
	RUN_UNTIL(f, f->d.store.nsvcs == 1);
	expect_dig(f, "db.default.svc.cluster.local", LDNS_RR_TYPE_A, false,
		   "NXDOMAIN");
	assert_true(f->d.dns.responses[LDNS_RCODE_NOERROR] >= 5);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(flags_test_parse),
		cmocka_unit_test(flags_test_config),
		cmocka_unit_test(flags_test_config_huge_numbers),
		cmocka_unit_test(flags_test_api_rate),
		cmocka_unit_test(conntrack_test_tuning),
		cmocka_unit_test(flags_test_hostname),
		cmocka_unit_test(flags_test_durations),
		cmocka_unit_test(flags_test_dns),
		T(daemon_test_dns),
		T(daemon_test_follow),
		T(daemon_test_node),
		T(daemon_test_lb_pool_restart),
		T(daemon_test_coalesce),
		T(daemon_test_no_kernel),
		T(daemon_test_periodic),
		T(daemon_test_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
