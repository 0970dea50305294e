// SPDX-License-Identifier: GPL-2.0
/*
 * kube-proxy's configuration file; see kpconfig.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpconfig.h"
#include "kubeconfig.h"
#include "log.h"
#include "yamldoc.h"

#define KPC_API_VERSION	"kubeproxy.config.k8s.io/v1alpha1"

enum use {
	U_CHECKED,	/* apiVersion, kind: checked on their own */
	U_SECTION,	/* a mapping of more fields */
	U_ANY,		/* accepted whatever it holds (featureGates) */
	U_IGNORED,	/* means nothing to kservice: named when set */
	U_FLAG,		/* a string, the flag's value */
	U_NUMBER,	/* an integer, the flag's value */
	U_REAL,		/* a number, the flag's value */
	U_LIST,		/* strings, joined by commas for the flag */
	U_BIND,		/* IP or IP:PORT: the flag's, port defaulted */
	U_PERIOD,	/* a sync period, of the top level or of a mode */
	U_MASQ,		/* masqueradeAll, of linux or of a mode */
	U_MODE,
	U_DETECT,
	U_CT,		/* conntrack: null is the default, 0 "leave it" */
};

struct field {
	const char *path;
	enum use use;
	const char *flag;	/* U_FLAG ... U_BIND; the port for U_BIND */
	const char *port;
};

/* The fields of v1alpha1 (Kubernetes 1.29 to 1.34), by path. */
static const struct field fields[] = {
	{ "apiVersion", U_CHECKED, NULL, NULL },
	{ "kind", U_CHECKED, NULL, NULL },
	{ "bindAddress", U_IGNORED, NULL, NULL },
	{ "bindAddressHardFail", U_IGNORED, NULL, NULL },
	{ "clientConnection", U_SECTION, NULL, NULL },
	{ "clientConnection.acceptContentTypes", U_IGNORED, NULL, NULL },
	{ "clientConnection.burst", U_NUMBER, "kube-api-burst", NULL },
	{ "clientConnection.contentType", U_IGNORED, NULL, NULL },
	{ "clientConnection.kubeconfig", U_FLAG, "kubeconfig", NULL },
	{ "clientConnection.qps", U_REAL, "kube-api-qps", NULL },
	{ "clusterCIDR", U_FLAG, "cluster-cidr", NULL },
	{ "configSyncPeriod", U_IGNORED, NULL, NULL },
	{ "conntrack", U_SECTION, NULL, NULL },
	{ "conntrack.maxPerCore", U_CT, "conntrack-max-per-core", NULL },
	{ "conntrack.min", U_CT, "conntrack-min", NULL },
	{ "conntrack.tcpBeLiberal", U_CT, "conntrack-tcp-be-liberal", NULL },
	{ "conntrack.tcpCloseWaitTimeout", U_CT, "conntrack-tcp-timeout-close-wait", NULL },
	{ "conntrack.tcpEstablishedTimeout", U_CT, "conntrack-tcp-timeout-established", NULL },
	{ "conntrack.udpStreamTimeout", U_CT, "conntrack-udp-timeout-stream", NULL },
	{ "conntrack.udpTimeout", U_CT, "conntrack-udp-timeout", NULL },
	{ "detectLocal", U_SECTION, NULL, NULL },
	{ "detectLocal.bridgeInterface", U_IGNORED, NULL, NULL },
	{ "detectLocal.interfaceNamePrefix", U_IGNORED, NULL, NULL },
	{ "detectLocalMode", U_DETECT, NULL, NULL },
	{ "enableProfiling", U_IGNORED, NULL, NULL },
	{ "featureGates", U_ANY, NULL, NULL },
	{ "healthzBindAddress", U_BIND, "healthz-bind-address", "10256" },
	{ "hostnameOverride", U_FLAG, "hostname-override", NULL },
	{ "iptables", U_SECTION, NULL, NULL },
	{ "iptables.localhostNodePorts", U_IGNORED, NULL, NULL },
	{ "iptables.masqueradeAll", U_MASQ, NULL, NULL },
	{ "iptables.masqueradeBit", U_IGNORED, NULL, NULL },
	{ "iptables.minSyncPeriod", U_PERIOD, NULL, NULL },
	{ "iptables.syncPeriod", U_PERIOD, NULL, NULL },
	{ "ipvs", U_SECTION, NULL, NULL },
	{ "ipvs.excludeCIDRs", U_IGNORED, NULL, NULL },
	{ "ipvs.minSyncPeriod", U_PERIOD, NULL, NULL },
	{ "ipvs.scheduler", U_IGNORED, NULL, NULL },
	{ "ipvs.strictARP", U_IGNORED, NULL, NULL },
	{ "ipvs.syncPeriod", U_PERIOD, NULL, NULL },
	{ "ipvs.tcpFinTimeout", U_IGNORED, NULL, NULL },
	{ "ipvs.tcpTimeout", U_IGNORED, NULL, NULL },
	{ "ipvs.udpTimeout", U_IGNORED, NULL, NULL },
	{ "linux", U_SECTION, NULL, NULL },
	{ "linux.conntrack", U_SECTION, NULL, NULL },
	{ "linux.conntrack.maxPerCore", U_CT, "conntrack-max-per-core", NULL },
	{ "linux.conntrack.min", U_CT, "conntrack-min", NULL },
	{ "linux.conntrack.tcpBeLiberal", U_CT, "conntrack-tcp-be-liberal", NULL },
	{ "linux.conntrack.tcpCloseWaitTimeout", U_CT, "conntrack-tcp-timeout-close-wait", NULL },
	{ "linux.conntrack.tcpEstablishedTimeout", U_CT, "conntrack-tcp-timeout-established", NULL },
	{ "linux.conntrack.udpStreamTimeout", U_CT, "conntrack-udp-timeout-stream", NULL },
	{ "linux.conntrack.udpTimeout", U_CT, "conntrack-udp-timeout", NULL },
	{ "linux.masqueradeAll", U_MASQ, NULL, NULL },
	{ "linux.oomScoreAdj", U_IGNORED, NULL, NULL },
	{ "logging", U_SECTION, NULL, NULL },
	{ "logging.flushFrequency", U_IGNORED, NULL, NULL },
	{ "logging.format", U_IGNORED, NULL, NULL },
	{ "logging.options", U_ANY, NULL, NULL },
	{ "logging.verbosity", U_NUMBER, "v", NULL },
	{ "logging.vmodule", U_ANY, NULL, NULL },
	{ "metricsBindAddress", U_BIND, "metrics-bind-address", "10249" },
	{ "minSyncPeriod", U_PERIOD, NULL, NULL },
	{ "mode", U_MODE, NULL, NULL },
	{ "nftables", U_SECTION, NULL, NULL },
	{ "nftables.masqueradeAll", U_MASQ, NULL, NULL },
	{ "nftables.masqueradeBit", U_IGNORED, NULL, NULL },
	{ "nftables.minSyncPeriod", U_PERIOD, NULL, NULL },
	{ "nftables.syncPeriod", U_PERIOD, NULL, NULL },
	{ "nodePortAddresses", U_LIST, "nodeport-addresses", NULL },
	{ "oomScoreAdj", U_IGNORED, NULL, NULL },
	{ "portRange", U_IGNORED, NULL, NULL },
	{ "showHiddenMetricsForVersion", U_IGNORED, NULL, NULL },
	{ "syncPeriod", U_PERIOD, NULL, NULL },
	{ "windowsRunAsService", U_IGNORED, NULL, NULL },
	{ "winkernel", U_SECTION, NULL, NULL },
	{ "winkernel.enableDSR", U_IGNORED, NULL, NULL },
	{ "winkernel.forwardHealthCheckVip", U_IGNORED, NULL, NULL },
	{ "winkernel.networkName", U_IGNORED, NULL, NULL },
	{ "winkernel.rootHnsEndpointName", U_IGNORED, NULL, NULL },
	{ "winkernel.sourceVip", U_IGNORED, NULL, NULL },
};

struct walk {
	const char *path;		/* the file, for messages */
	char *why;
	const cJSON *values[sizeof(fields) / sizeof(fields[0])];
	char ignored[KSD_KPCONFIG_WHY_MAX];
};

static int fail(char *why, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, KSD_KPCONFIG_WHY_MAX, fmt, ap);
	va_end(ap);
	return ret;
}

static const struct field *field_of(const char *path, size_t *idx)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(fields[i].path, path)) {
			*idx = i;
			return &fields[i];
		}
	return NULL;
}

/* kube-proxy's zero value, which means "the default". */
static bool is_zero(const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return true;
	if (cJSON_IsTrue(v))
		return false;
	if (cJSON_IsNumber(v))
		return v->valuedouble == 0;
	if (cJSON_IsString(v))
		return !*v->valuestring || !strcmp(v->valuestring, "0") ||
		       !strcmp(v->valuestring, "0s");
	return !cJSON_GetArraySize(v);
}

static int walk(struct walk *w, const cJSON *obj, const char *prefix)
{
	const cJSON *v;

	if (!cJSON_IsObject(obj))
		return fail(w->why, -EINVAL, "%s: %s%smust be a mapping",
			    w->path, prefix, *prefix ? ": " : "");
	cJSON_ArrayForEach(v, obj) {
		char path[256];
		const struct field *f;
		size_t idx;
		int ret;

		snprintf(path, sizeof(path), "%s%s%s", prefix,
			 *prefix ? "." : "", v->string);
		f = field_of(path, &idx);
		if (!f)
			return fail(w->why, -EINVAL, "%s: unknown field \"%s\" "
				    "(not in %s)", w->path, path,
				    KPC_API_VERSION);
		w->values[idx] = v;
		if (f->use == U_SECTION && !cJSON_IsNull(v)) {
			ret = walk(w, v, path);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static const cJSON *value(const struct walk *w, const char *path)
{
	size_t idx;

	return field_of(path, &idx) ? w->values[idx] : NULL;
}

static int want_string(const struct walk *w, const char *path,
		       const cJSON *v)
{
	if (cJSON_IsString(v))
		return 0;
	return fail(w->why, -EINVAL, "%s: %s must be a string", w->path,
		    path);
}

static int call(struct walk *w, ksd_kpconfig_set set, void *arg,
		const char *flag, const char *val, const char *path)
{
	if (!set(arg, flag, val, path))
		return 0;
	w->why[0] = '\0';	/* set() said why */
	return -EINVAL;
}

/* Notes a set field that means nothing to kservice, for the log line. */
static void note_ignored(struct walk *w, const char *path, const cJSON *v)
{
	size_t len = strlen(w->ignored);
	char val[64];

	if (cJSON_IsString(v))
		snprintf(val, sizeof(val), "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(val, sizeof(val), "%g", v->valuedouble);
	else if (cJSON_IsTrue(v))
		snprintf(val, sizeof(val), "true");
	else
		snprintf(val, sizeof(val), "(set)");
	snprintf(w->ignored + len, sizeof(w->ignored) - len, "%s%s=%s",
		 len ? ", " : "", path, val);
}

/* 0 <= d < end: a number that converts to the integer of that end (NaN
 * and infinities excluded) before it is compared with the conversion. */
static bool in_range(double d, double end)
{
	return d >= 0 && d < end;
}

/*
 * A conntrack field: kube-proxy's pointer fields, where null is the
 * default and a zero "leave the kernel's value" (so 0 is passed on).
 */
static int conntrack_field(struct walk *w, ksd_kpconfig_set set, void *arg,
			   const struct field *f, const cJSON *v)
{
	char buf[64];

	if (cJSON_IsBool(v))
		snprintf(buf, sizeof(buf), "%s", cJSON_IsTrue(v) ? "true" :
								     "false");
	else if (cJSON_IsNumber(v) && in_range(v->valuedouble, 0x1p63) &&
		 v->valuedouble == (double)(int64_t)v->valuedouble)
		snprintf(buf, sizeof(buf), "%lld",
			 (long long)v->valuedouble);
	else if (cJSON_IsString(v))
		snprintf(buf, sizeof(buf), "%s", v->valuestring);
	else
		return fail(w->why, -EINVAL, "%s: %s: not a value", w->path,
			    f->path);
	return call(w, set, arg, f->flag, buf, f->path);
}

/* A sync period: the top level's, else that of the mode's section. */
static int period(struct walk *w, ksd_kpconfig_set set, void *arg,
		  const char *mode, const char *name, const char *flag)
{
	char path[64];
	const cJSON *v = value(w, name);

	if (is_zero(v)) {
		snprintf(path, sizeof(path), "%s.%s", mode, name);
		v = value(w, path);
	} else {
		snprintf(path, sizeof(path), "%s", name);
	}
	if (is_zero(v))
		return 0;
	if (want_string(w, path, v))
		return -EINVAL;
	return call(w, set, arg, flag, v->valuestring, path);
}

static int apply(struct walk *w, ksd_kpconfig_set set, void *arg)
{
	const cJSON *v = value(w, "mode");
	const char *mode = "iptables";
	char path[64], buf[1024];
	int ret;

	if (!is_zero(v)) {
		if (want_string(w, "mode", v))
			return -EINVAL;
		if (!strcmp(v->valuestring, "ipvs") ||
		    !strcmp(v->valuestring, "nftables"))
			mode = v->valuestring;
	}
	v = value(w, "detectLocalMode");
	if (!is_zero(v) && (!cJSON_IsString(v) ||
			    strcmp(v->valuestring, "ClusterCIDR")))
		return fail(w->why, -EINVAL, "%s: detectLocalMode: only "
			    "ClusterCIDR (or none) is supported: kservice "
			    "tells local traffic by clusterCIDR", w->path);

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		const struct field *f = &fields[i];

		v = w->values[i];
		if (f->use == U_CT && v && !cJSON_IsNull(v)) {
			ret = conntrack_field(w, set, arg, f, v);
			if (ret)
				return ret;
			continue;
		}
		if (is_zero(v))
			continue;
		switch (f->use) {
		case U_IGNORED:
		case U_MODE:
			note_ignored(w, f->path, v);
			break;
		case U_FLAG:
			if (want_string(w, f->path, v))
				return -EINVAL;
			ret = call(w, set, arg, f->flag, v->valuestring,
				   f->path);
			if (ret)
				return ret;
			break;
		case U_REAL:
			if (!cJSON_IsNumber(v))
				return fail(w->why, -EINVAL, "%s: %s must be "
					    "a number", w->path, f->path);
			snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
			ret = call(w, set, arg, f->flag, buf, f->path);
			if (ret)
				return ret;
			break;
		case U_NUMBER:
			if (!cJSON_IsNumber(v) ||
			    !in_range(v->valuedouble, (double)INT_MAX + 1) ||
			    v->valuedouble != (int)v->valuedouble)
				return fail(w->why, -EINVAL, "%s: %s must be "
					    "a number, 0 or more", w->path,
					    f->path);
			snprintf(buf, sizeof(buf), "%d", (int)v->valuedouble);
			ret = call(w, set, arg, f->flag, buf, f->path);
			if (ret)
				return ret;
			break;
		case U_LIST: {
			const cJSON *e;
			size_t len = 0;

			if (!cJSON_IsArray(v))
				return fail(w->why, -EINVAL, "%s: %s must be a "
					    "list", w->path, f->path);
			buf[0] = '\0';
			cJSON_ArrayForEach(e, v) {
				if (want_string(w, f->path, e))
					return -EINVAL;
				len += snprintf(buf + len, sizeof(buf) - len,
						"%s%s", len ? "," : "",
						e->valuestring);
				if (len >= sizeof(buf))
					return fail(w->why, -EINVAL, "%s: %s: "
						    "too long", w->path,
						    f->path);
			}
			ret = call(w, set, arg, f->flag, buf, f->path);
			if (ret)
				return ret;
			break;
		}
		case U_BIND:
			if (want_string(w, f->path, v))
				return -EINVAL;
			/* An address alone takes kube-proxy's port. */
			if (strchr(v->valuestring, '.') &&
			    !strchr(v->valuestring, ':'))
				snprintf(buf, sizeof(buf), "%s:%s",
					 v->valuestring, f->port);
			else if (v->valuestring[0] != '[' &&
				 strchr(v->valuestring, ':') !=
				 strrchr(v->valuestring, ':'))
				snprintf(buf, sizeof(buf), "[%s]:%s",
					 v->valuestring, f->port);
			else
				snprintf(buf, sizeof(buf), "%s",
					 v->valuestring);
			ret = call(w, set, arg, f->flag, buf, f->path);
			if (ret)
				return ret;
			break;
		default:
			break;
		}
	}
	ret = period(w, set, arg, mode, "syncPeriod", "sync-period");
	if (!ret)
		ret = period(w, set, arg, mode, "minSyncPeriod",
			     "min-sync-period");
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s.masqueradeAll", mode);
	v = value(w, "linux.masqueradeAll");
	if (is_zero(v))
		v = value(w, path);
	if (!is_zero(v)) {
		if (!cJSON_IsBool(v))
			return fail(w->why, -EINVAL, "%s: masqueradeAll must "
				    "be a boolean", w->path);
		ret = call(w, set, arg, "masquerade-all", "true", path);
		if (ret)
			return ret;
	}
	if (*w->ignored)
		ksd_info("%s: not used by kservice: %s", w->path, w->ignored);
	return 0;
}

int ksd_kpconfig_parse(const char *text, size_t len, const char *path,
		       ksd_kpconfig_set set, void *arg, char *why)
{
	char ywhy[KSD_YAML_WHY_MAX];
	struct walk w = { .path = path, .why = why };
	const cJSON *doc, *av, *kind;
	cJSON *docs = NULL;
	int ret;

	if (ksd_yaml_parse(text, len, &docs, ywhy))
		return fail(why, -EINVAL, "%s: %s", path, ywhy);
	ret = -EINVAL;
	doc = cJSON_GetArrayItem(docs, 0);
	if (cJSON_GetArraySize(docs) != 1 || !cJSON_IsObject(doc)) {
		fail(why, ret, "%s: not one KubeProxyConfiguration", path);
		goto out;
	}
	av = cJSON_GetObjectItemCaseSensitive(doc, "apiVersion");
	kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
	if (!cJSON_IsString(kind) ||
	    strcmp(kind->valuestring, "KubeProxyConfiguration") ||
	    !cJSON_IsString(av) || strcmp(av->valuestring, KPC_API_VERSION)) {
		fail(why, ret, "%s: not a KubeProxyConfiguration of %s", path,
		     KPC_API_VERSION);
		goto out;
	}
	ret = walk(&w, doc, "");
	if (!ret)
		ret = apply(&w, set, arg);
out:
	cJSON_Delete(docs);
	return ret;
}

int ksd_kpconfig_load(const char *path, ksd_kpconfig_set set, void *arg,
		      char *why)
{
	char *buf;
	size_t len;
	int ret = ksd_read_file(path, &buf, &len);

	if (ret)
		return fail(why, ret, "%s: %s", path, strerror(-ret));
	ret = ksd_kpconfig_parse(buf, len, path, set, arg, why);
	free(buf);
	return ret;
}
