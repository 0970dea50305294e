// SPDX-License-Identifier: GPL-2.0
/*
 * The command line; see flags.h.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "flags.h"
#include "http.h"
#include "kpconfig.h"
#include "ksvc_text.h"
#include "log.h"

int ksd_parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; double ms; } units[] = {
		/* Longer names first: "ms" is not "m" then "s". */
		{ "ms", 1 }, { "us", 1e-3 }, { "ns", 1e-6 },
		{ "h", 3600e3 }, { "m", 60e3 }, { "s", 1e3 },
	};
	double total = 0;
	char *end;

	if (!strcmp(s, "0")) {
		*ms = 0;
		return 0;
	}
	if (!*s)
		return -EINVAL;
	while (*s) {
		double v;
		size_t i;
		int dots;

		/* Digits and a dot only: no sign, no spaces, no hex. */
		if ((*s < '0' || *s > '9') && *s != '.')
			return -EINVAL;
		dots = 0;
		for (end = (char *)s; (*end >= '0' && *end <= '9') ||
				      *end == '.'; end++)
			dots += *end == '.';
		if (dots > 1 || (end == s + 1 && *s == '.'))
			return -EINVAL;
		v = strtod(s, NULL);
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(end, units[i].unit,
				     strlen(units[i].unit)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[i].ms;
		if (total > 1e12)
			return -ERANGE;
		s = end + strlen(units[i].unit);
	}
	*ms = (uint64_t)(total + 0.5);
	return 0;
}

static int parse_cidrs(const char *flag, const char *arg,
		       struct ksvc_cidr *cidrs, size_t *n)
{
	char *copy = strdup(arg), *tok, *save = NULL;
	const char *why = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		if (*n == KSVC_CIDRS_MAX) {
			fprintf(stderr, "kserviced: %s: more than "
				"%d CIDRs\n", flag, KSVC_CIDRS_MAX);
			ret = -EINVAL;
		} else if (!strcmp(tok, "primary")) {
			/* kube-proxy's "the node's primary IPs": those come
			 * from the Node object, which kserviced does not read. */
			fprintf(stderr, "kserviced: %s: \"primary\" is not "
				"supported; give the node's CIDRs\n", flag);
			ret = -EINVAL;
		} else if (ksd_parse_cidr_sloppy(tok, &cidrs[(*n)++], &why)) {
			fprintf(stderr, "kserviced: %s: \"%s\": "
				"%s\n", flag, tok, why);
			ret = -EINVAL;
		}
	}
	free(copy);
	return ret;
}

/*
 * kube-proxy's GetHostname(): the override, else the host's name; spaces
 * around it trimmed, lowercased, and not empty.
 */
static int set_hostname(const char *override, struct ksd_opts *o)
{
	char host[KSD_HOSTNAME_MAX + 2] = "";
	const char *s = override;
	size_t len, i;

	if (!s || !*s) {
		if (gethostname(host, sizeof(host) - 1)) {
			fprintf(stderr, "kserviced: gethostname: %s\n",
				strerror(errno));
			return -EINVAL;
		}
		s = host;
	}
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (!len) {
		fprintf(stderr, "kserviced: empty hostname is invalid\n");
		return -EINVAL;
	}
	if (len > KSD_HOSTNAME_MAX) {
		fprintf(stderr, "kserviced: --hostname-override: longer than "
			"%d characters\n", KSD_HOSTNAME_MAX);
		return -EINVAL;
	}
	for (i = 0; i < len; i++)
		o->hostname[i] = (char)tolower((unsigned char)s[i]);
	o->hostname[len] = '\0';
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: kserviced [--kubeconfig FILE] [--master URL] [options]\n"
"       kserviced --manifests DIR [options]\n"
"       kserviced --cleanup\n"
"\n"
"Programs kservice.ko with the Services and EndpointSlices of a source,\n"
"following kube-proxy's rules.\n"
"\n"
"  --kubeconfig FILE        the API server and credentials (in-cluster\n"
"                           service account without it)\n"
"  --master URL             the API server (https://...), over the\n"
"                           kubeconfig's\n"
"  --kube-api-qps N, --kube-api-burst N  the API requests' rate, a token\n"
"                           bucket (5 a second, bursts of 10; a negative\n"
"                           QPS: no bound)\n"
"  --config FILE            kube-proxy's KubeProxyConfiguration (kubeadm's\n"
"                           config.conf); the flags override it\n"
"  --manifests DIR          standalone: the manifests of DIR, watched\n"
"                           (see daemon/kserviced/README.md)\n"
"  --min-sync-period D      least time between syncs of changes (1s; 0 ok)\n"
"  --sync-period D          time between full passes (30s)\n"
"  --cluster-cidr LIST      the pods' CIDRs, comma-separated: traffic from\n"
"                           elsewhere to a cluster IP is masqueraded\n"
"  --nodeport-addresses LIST  node ports and healthCheckNodePort servers\n"
"                           only on the node's addresses in these CIDRs,\n"
"                           comma-separated (all: every local address;\n"
"                           \"primary\" is not supported)\n"
"  --masquerade-all[=BOOL]  masquerade all traffic to services\n"
"  --lb-ip-pool LIST        standalone: load-balancer IPs for LoadBalancer\n"
"                           services without a status, from these CIDRs\n"
"  --hostname-override NAME this node's name (the host's): endpoints of\n"
"                           that nodeName are local\n"
"  --healthz-bind-address A /healthz and /livez on A, IP:PORT\n"
"                           (0.0.0.0:10256; \"\" for none)\n"
"  --metrics-bind-address A /metrics on A (127.0.0.1:10249; \"\" for none)\n"
"  --dns-bind A             serve cluster DNS on A, UDP and TCP (IP:PORT,\n"
"                           [IPv6]:PORT, or an IP for port 53; off)\n"
"  --cluster-domain D       the cluster's DNS domain (cluster.local)\n"
"  --dns-ttl T              TTL of the DNS answers, seconds or a\n"
"                           duration (5)\n"
"  --conntrack-max-per-core N, --conntrack-min N (32768, 131072)\n"
"  --conntrack-tcp-timeout-established D (24h), ...-close-wait D (1h)\n"
"  --conntrack-tcp-be-liberal, --conntrack-udp-timeout[-stream] D\n"
"                           conntrack tuning at start, as kube-proxy's\n"
"  --cleanup                delete every kernel service, then exit\n"
"  -v, --v LEVEL            log verbosity (0; 2 skipped objects; 4 syncs)\n"
"kube-proxy's other flags are accepted; those that mean nothing to\n"
"kservice with a warning.\n"
"  -h, --help               this text\n"
"      --version\n"
"D is a duration: 0, 500ms, 1s, 2m, 1m30s.\n");
}

/* Strings from the --config file that options point into. */
static char **config_strings;
static size_t nconfig_strings;

static void config_strings_keep(char *str)
{
	char **grown = realloc(config_strings, (nconfig_strings + 1) *
			       sizeof(*config_strings));

	if (!grown)
		abort();	/* an option points there: it cannot go */
	config_strings = grown;
	config_strings[nconfig_strings++] = str;
}

/* Only between parses (tests parse many times): no option points there. */
static void config_strings_release(void)
{
	for (size_t i = 0; i < nconfig_strings; i++)
		free(config_strings[i]);
	free(config_strings);
	config_strings = NULL;
	nconfig_strings = 0;
}

enum { O_MANIFESTS = 256, O_MIN_SYNC, O_SYNC, O_CIDR, O_MASQ, O_CLEANUP,
       O_VERSION, O_HOSTNAME, O_HEALTHZ, O_METRICS, O_KUBECONFIG, O_MASTER,
       O_NP_ADDRS, O_DNS_BIND, O_DOMAIN, O_DNS_TTL, O_LB_POOL, O_CONFIG,
       O_CT_MAX_PER_CORE, O_CT_MIN, O_CT_ESTABLISHED, O_CT_CLOSE_WAIT,
       O_CT_LIBERAL, O_CT_UDP, O_CT_UDP_STREAM, O_API_QPS, O_API_BURST,
       O_KUBE_PROXY };

static const struct option longs[] = {
	{ "manifests", required_argument, NULL, O_MANIFESTS },
	{ "kubeconfig", required_argument, NULL, O_KUBECONFIG },
	{ "master", required_argument, NULL, O_MASTER },
	{ "config", required_argument, NULL, O_CONFIG },
	{ "kube-api-qps", required_argument, NULL, O_API_QPS },
	{ "kube-api-burst", required_argument, NULL, O_API_BURST },
	{ "min-sync-period", required_argument, NULL, O_MIN_SYNC },
	{ "sync-period", required_argument, NULL, O_SYNC },
	/* kube-proxy's names for the same in its default (iptables) mode. */
	{ "iptables-min-sync-period", required_argument, NULL, O_MIN_SYNC },
	{ "iptables-sync-period", required_argument, NULL, O_SYNC },
	{ "cluster-cidr", required_argument, NULL, O_CIDR },
	{ "nodeport-addresses", required_argument, NULL, O_NP_ADDRS },
	{ "masquerade-all", optional_argument, NULL, O_MASQ },
	{ "lb-ip-pool", required_argument, NULL, O_LB_POOL },
	{ "hostname-override", required_argument, NULL, O_HOSTNAME },
	{ "healthz-bind-address", required_argument, NULL, O_HEALTHZ },
	{ "metrics-bind-address", required_argument, NULL, O_METRICS },
	{ "dns-bind", required_argument, NULL, O_DNS_BIND },
	{ "cluster-domain", required_argument, NULL, O_DOMAIN },
	{ "dns-ttl", required_argument, NULL, O_DNS_TTL },
	{ "cleanup", no_argument, NULL, O_CLEANUP },
	/* kube-proxy's conntrack tuning (conntrack.h). */
	{ "conntrack-max-per-core", required_argument, NULL, O_CT_MAX_PER_CORE },
	{ "conntrack-min", required_argument, NULL, O_CT_MIN },
	{ "conntrack-tcp-timeout-established", required_argument, NULL,
	  O_CT_ESTABLISHED },
	{ "conntrack-tcp-timeout-close-wait", required_argument, NULL,
	  O_CT_CLOSE_WAIT },
	{ "conntrack-tcp-be-liberal", optional_argument, NULL, O_CT_LIBERAL },
	{ "conntrack-udp-timeout", required_argument, NULL, O_CT_UDP },
	{ "conntrack-udp-timeout-stream", required_argument, NULL,
	  O_CT_UDP_STREAM },
	{ "v", required_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	/*
	 * kube-proxy's flags that mean nothing to kservice: accepted with a
	 * warning, so that its DaemonSet's command line works as it is.
	 */
	{ "proxy-mode", required_argument, NULL, O_KUBE_PROXY },
	{ "bind-address", required_argument, NULL, O_KUBE_PROXY },
	{ "bind-address-hard-fail", optional_argument, NULL, O_KUBE_PROXY },
	{ "config-sync-period", required_argument, NULL, O_KUBE_PROXY },
	{ "detect-local-mode", required_argument, NULL, O_KUBE_PROXY },
	{ "feature-gates", required_argument, NULL, O_KUBE_PROXY },
	{ "iptables-localhost-nodeports", optional_argument, NULL,
	  O_KUBE_PROXY },
	{ "iptables-masquerade-bit", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-exclude-cidrs", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-min-sync-period", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-scheduler", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-strict-arp", optional_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-sync-period", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-tcp-timeout", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-tcpfin-timeout", required_argument, NULL, O_KUBE_PROXY },
	{ "ipvs-udp-timeout", required_argument, NULL, O_KUBE_PROXY },
	{ "kube-api-content-type", required_argument, NULL, O_KUBE_PROXY },
	{ "logging-format", required_argument, NULL, O_KUBE_PROXY },
	{ "oom-score-adj", required_argument, NULL, O_KUBE_PROXY },
	{ "pod-bridge-interface", required_argument, NULL, O_KUBE_PROXY },
	{ "pod-interface-name-prefix", required_argument, NULL, O_KUBE_PROXY },
	{ "profiling", optional_argument, NULL, O_KUBE_PROXY },
	{ "proxy-port-range", required_argument, NULL, O_KUBE_PROXY },
	{ "show-hidden-metrics-for-version", required_argument, NULL,
	  O_KUBE_PROXY },
	{ 0 }
};

/*
 * One option, from the command line or the --config file: lbl names it in
 * messages ("--sync-period", "config.conf: iptables.syncPeriod").
 */
static int set_opt(struct ksd_opts *o, int c, const char *arg,
		   const char *lbl, const char **hostname)
{
	uint32_t level;

	switch (c) {
	case O_MANIFESTS:
		o->manifests = arg;
		break;
	case O_KUBECONFIG:
		o->kubeconfig = arg;
		break;
	case O_MASTER:
		o->master = arg;
		break;
	case O_MIN_SYNC:
	case O_SYNC:
		if (ksd_parse_duration(arg, c == O_SYNC ?
				       &o->sync_ms : &o->min_sync_ms)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"duration\n", lbl, arg);
			return -EINVAL;
		}
		break;
	case O_CIDR:
		if (parse_cidrs(lbl, arg, o->cfg.cluster_cidrs,
				&o->cfg.ncluster_cidrs))
			return -EINVAL;
		break;
	case O_NP_ADDRS:
		if (parse_cidrs(lbl, arg, o->cfg.nodeport_cidrs,
				&o->cfg.nnodeport_cidrs))
			return -EINVAL;
		break;
	case O_LB_POOL: {
		struct ksd_lbpool pool;

		if (parse_cidrs(lbl, arg, o->lb_pool, &o->nlb_pool))
			return -EINVAL;
		ksd_lbpool_init(&pool);
		if (ksd_lbpool_set(&pool, o->lb_pool, o->nlb_pool)) {
			fprintf(stderr, "kserviced: %s: \"%s\": %s\n", lbl,
				arg, o->nlb_pool ?
				"CIDRs overlap" : "no CIDR");
			return -EINVAL;
		}
		ksd_lbpool_release(&pool);
		break;
	}
	case O_MASQ:
		o->cfg.masquerade_all = true;
		if (arg && ksvc_parse_bool(arg,
					   &o->cfg.masquerade_all)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not "
				"a boolean\n", lbl, arg);
			return -EINVAL;
		}
		break;
	case O_HOSTNAME:
		*hostname = arg;
		break;
	case O_API_QPS: {
		char *end;

		errno = 0;
		o->api_qps = strtod(arg, &end);
		if (!*arg || *end || errno || o->api_qps != o->api_qps) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"number\n", lbl, arg);
			return -EINVAL;
		}
		break;
	}
	case O_API_BURST: {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(arg, &end, 10);
		if (!*arg || *end || errno || *arg == '-' || v > 1000000) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"number from 0 to 1000000\n", lbl, arg);
			return -EINVAL;
		}
		o->api_burst = (unsigned int)v;
		break;
	}
	case O_HEALTHZ:
	case O_METRICS: {
		struct sockaddr_storage ss;

		if (*arg && ksd_parse_bind(arg, 0, &ss)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not "
				"IP:PORT\n", lbl, arg);
			return -EINVAL;
		}
		if (c == O_HEALTHZ)
			o->healthz_bind = arg;
		else
			o->metrics_bind = arg;
		break;
	}
	case O_DNS_BIND: {
		struct sockaddr_storage ss;

		if (*arg && ksd_parse_bind(arg, 53, &ss)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not "
				"IP:PORT\n", lbl, arg);
			return -EINVAL;
		}
		o->dns_bind = arg;
		break;
	}
	case O_DOMAIN: {
		struct ksd_dns dns;

		if (ksd_dns_init(&dns, arg, 0, NULL)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"domain name\n", lbl, arg);
			return -EINVAL;
		}
		ksd_dns_release(&dns);
		o->cluster_domain = arg;
		break;
	}
	case O_DNS_TTL: {
		uint64_t ms;
		uint32_t v;

		if (!ksvc_parse_u32(arg, KSD_DNS_TTL_MAX, &v, NULL)) {
			o->dns_ttl = v;
			break;
		}
		if (ksd_parse_duration(arg, &ms) ||
		    ms > KSD_DNS_TTL_MAX * 1000ULL) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"TTL (0..%d s)\n", lbl, arg,
				KSD_DNS_TTL_MAX);
			return -EINVAL;
		}
		o->dns_ttl = (uint32_t)(ms / 1000);
		break;
	}
	case O_CLEANUP:
		o->cleanup = true;
		break;
	case 'v':
		/* -v=2 as kube-proxy's flag library takes it. */
		if (ksvc_parse_u32(arg + (*arg == '='), 100, &level,
				   NULL)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"level (0..100)\n", lbl, arg);
			return -EINVAL;
		}
		ksd_log_set_verbosity((int)level);
		break;
	case O_CT_MAX_PER_CORE:
	case O_CT_MIN: {
		uint32_t v;

		if (ksvc_parse_u32(arg, INT32_MAX, &v, NULL)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a count\n",
				lbl, arg);
			return -EINVAL;
		}
		if (c == O_CT_MIN)
			o->ct.min = v;
		else
			o->ct.max_per_core = v;
		break;
	}
	case O_CT_ESTABLISHED:
	case O_CT_CLOSE_WAIT:
	case O_CT_UDP:
	case O_CT_UDP_STREAM: {
		uint64_t ms, *secs = c == O_CT_ESTABLISHED ?
				     &o->ct.tcp_established_s :
				     c == O_CT_CLOSE_WAIT ?
				     &o->ct.tcp_close_wait_s :
				     c == O_CT_UDP ? &o->ct.udp_s :
				     &o->ct.udp_stream_s;

		if (ksd_parse_duration(arg, &ms) || ms / 1000 > INT32_MAX) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"duration\n", lbl, arg);
			return -EINVAL;
		}
		*secs = ms / 1000;
		break;
	}
	case O_CT_LIBERAL:
		o->ct.tcp_be_liberal = true;
		if (arg && ksvc_parse_bool(arg, &o->ct.tcp_be_liberal)) {
			fprintf(stderr, "kserviced: %s: \"%s\" is not a "
				"boolean\n", lbl, arg);
			return -EINVAL;
		}
		break;
	case O_CONFIG:		/* read before the other flags */
		break;
	case O_KUBE_PROXY:
		fprintf(stderr, "kserviced: %s: kube-proxy's, means nothing "
			"to kservice: ignored\n", lbl);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

struct config_ctx {
	struct ksd_opts *o;
	const char **hostname;
	const char *path;
};

/* ksd_kpconfig_set: a field of the --config file, as its flag. */
static int config_set(void *arg, const char *flag, const char *value,
		      const char *field)
{
	struct config_ctx *cx = arg;
	char lbl[256];
	char *kept;

	for (const struct option *l = longs; l->name; l++) {
		if (strcmp(l->name, flag))
			continue;
		/* Options point into the strings they are given: these stay
		 * until the next parse, as argv does. */
		kept = strdup(value);
		if (!kept) {
			fprintf(stderr, "kserviced: out of memory\n");
			return -ENOMEM;
		}
		snprintf(lbl, sizeof(lbl), "%s: %s", cx->path, field);
		if (set_opt(cx->o, l->val, kept, lbl, cx->hostname)) {
			free(kept);
			return -EINVAL;
		}
		config_strings_keep(kept);
		return 0;
	}
	fprintf(stderr, "kserviced: %s: %s: no flag --%s\n", cx->path, field,
		flag);
	return -EINVAL;
}

/* The --config file, if the command line names one, before the flags. */
static int read_config(int argc, char **argv, struct ksd_opts *o,
		       const char **hostname)
{
	char why[KSD_KPCONFIG_WHY_MAX] = "";
	struct config_ctx cx = { o, hostname, NULL };
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strncmp(argv[i], "--config=", 9))
			cx.path = argv[i] + 9;
		else if (!strcmp(argv[i], "--config") && i + 1 < argc)
			cx.path = argv[++i];
	}
	if (!cx.path)
		return 0;
	if (ksd_kpconfig_load(cx.path, config_set, &cx, why)) {
		/* Empty: a refused value, which set_opt() reported. */
		if (*why)
			fprintf(stderr, "kserviced: --config %s\n", why);
		return -EINVAL;
	}
	return 0;
}

int ksd_flags_parse(int argc, char **argv, struct ksd_opts *o)
{
	const char *hostname = NULL;
	char lbl[64];
	int c, idx, ret;

	memset(o, 0, sizeof(*o));
	config_strings_release();
	o->min_sync_ms = 1000;
	o->sync_ms = 30000;
	o->healthz_bind = "0.0.0.0:10256";
	o->metrics_bind = "127.0.0.1:10249";
	o->cluster_domain = KSD_DNS_DOMAIN_DEFAULT;
	o->dns_ttl = KSD_DNS_TTL_DEFAULT;
	ksd_conntrack_defaults(&o->ct);
	/* Always set: what the flags say is what the kernel has. */
	o->cfg.has = KSVC_CFG_HAS_CLUSTER_CIDRS | KSVC_CFG_HAS_MASQUERADE_ALL |
		     KSVC_CFG_HAS_NODEPORT_CIDRS;
	/* The file first: the flags override it, as kube-proxy's. */
	if (read_config(argc, argv, o, &hostname))
		return -EINVAL;
	optind = 0;	/* glibc: start over, for tests that parse twice */
	while ((c = getopt_long(argc, argv, "v:h", longs, &idx)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 1;
		case O_VERSION:
			printf("kserviced %s\n", KSCTL_VERSION);
			return 1;
		case '?':
			usage(stderr);
			return -EINVAL;
		default:
			if (c == 'v')
				snprintf(lbl, sizeof(lbl), "-v");
			else
				snprintf(lbl, sizeof(lbl), "--%s",
					 longs[idx].name);
			ret = set_opt(o, c, optarg, lbl, &hostname);
			if (ret)
				return ret;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kserviced: unexpected argument \"%s\"\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->manifests && ((o->kubeconfig && *o->kubeconfig) ||
			     (o->master && *o->master))) {
		fprintf(stderr, "kserviced: --manifests or the API "
			"(--kubeconfig, --master), not both\n");
		return -EINVAL;
	}
	/* In a cluster the load-balancer controller (a cloud's, MetalLB)
	 * writes the status, which kserviced only reads. */
	if (o->nlb_pool && !o->manifests) {
		fprintf(stderr, "kserviced: --lb-ip-pool is for standalone "
			"mode (--manifests); in a cluster, a load-balancer "
			"controller writes status.loadBalancer.ingress\n");
		return -EINVAL;
	}
	if (!o->sync_ms) {
		fprintf(stderr, "kserviced: --sync-period must be more than "
			"0\n");
		return -EINVAL;
	}
	if (set_hostname(hostname, o))
		return -EINVAL;
	return 0;
}
