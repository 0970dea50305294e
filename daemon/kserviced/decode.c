// SPDX-License-Identifier: GPL-2.0
/*
 * cJSON to Service and EndpointSlice; see decode.h. Each decoder walks the
 * fields it knows and stops at the first one that does not validate, with
 * the message in ctx->why.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "decode.h"
#include "ksvc_text.h"

struct ctx {
	char *why;
	const char *kind;
	const char *ns;
	const char *name;
};

/* Writes "Kind ns/name: path: problem" and returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int bad(struct ctx *c, const char *path, const char *fmt, ...)
{
	char problem[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	/* Kubernetes names: namespaces up to 63 bytes, names up to 253. */
	snprintf(c->why, KSD_WHY_MAX, "%s %.63s/%.253s: %.150s: %s", c->kind,
		 c->ns ? c->ns : "default", c->name ? c->name : "(unnamed)",
		 path, problem);
	return -EINVAL;
}

static const char *json_type(const cJSON *j)
{
	if (cJSON_IsString(j))
		return "a string";
	if (cJSON_IsNumber(j))
		return "a number";
	if (cJSON_IsBool(j))
		return "a boolean";
	if (cJSON_IsArray(j))
		return "a list";
	if (cJSON_IsObject(j))
		return "an object";
	return "null";
}

/* A member, or NULL when absent or null (the API's "unset"). */
static const cJSON *member(const cJSON *obj, const char *key)
{
	const cJSON *j = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	return cJSON_IsNull(j) ? NULL : j;
}

static void join(char *out, size_t len, const char *path, const char *key)
{
	snprintf(out, len, "%s%s%s", path, *path ? "." : "", key);
}

static char *dup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();	/* as cJSON's own allocations: no partial state */
	return d;
}

static void *zalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		abort();
	return p;
}

static int want_type(struct ctx *c, const cJSON *j, const char *path,
		     int (*is)(const cJSON *), const char *what)
{
	if (is(j))
		return 0;
	return bad(c, path, "must be %s, not %s", what, json_type(j));
}

static int is_string(const cJSON *j) { return cJSON_IsString(j); }
static int is_object(const cJSON *j) { return cJSON_IsObject(j); }
static int is_array(const cJSON *j) { return cJSON_IsArray(j); }
static int is_bool(const cJSON *j) { return cJSON_IsBool(j); }

/* An optional string member; *out stays NULL when absent. */
static int get_string(struct ctx *c, const cJSON *obj, const char *path,
		      const char *key, const char **out)
{
	const cJSON *j = member(obj, key);
	char p[256];

	*out = NULL;
	if (!j)
		return 0;
	join(p, sizeof(p), path, key);
	if (want_type(c, j, p, is_string, "a string"))
		return -EINVAL;
	*out = j->valuestring;
	return 0;
}

/* An integer in min..max; a non-integer or a value out of range is
 * refused, and so is a string holding digits (the API's types are strict). */
static int want_int(struct ctx *c, const cJSON *j, const char *path,
		    long long min, long long max, long long *out)
{
	double d;

	if (!cJSON_IsNumber(j))
		return bad(c, path, "must be an integer, not %s", json_type(j));
	d = j->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return bad(c, path, "%g is not an integer", d);
	if (d < (double)min || d > (double)max)
		return bad(c, path, "%.0f is out of range (%lld..%lld)", d, min,
			   max);
	*out = (long long)d;
	return 0;
}

static int get_int(struct ctx *c, const cJSON *obj, const char *path,
		   const char *key, long long min, long long max,
		   long long *out, bool *present)
{
	const cJSON *j = member(obj, key);
	char p[256];

	if (present)
		*present = j != NULL;
	if (!j)
		return 0;
	join(p, sizeof(p), path, key);
	return want_int(c, j, p, min, max, out);
}

/* One of names[] (exact, as the API's enums), its index in *out; absent
 * leaves *out alone. */
static int get_enum(struct ctx *c, const cJSON *obj, const char *path,
		    const char *key, const char *const *names, size_t n,
		    int *out)
{
	const char *s;
	char p[256];
	size_t i;

	if (get_string(c, obj, path, key, &s))
		return -EINVAL;
	if (!s)
		return 0;
	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(s, names[i])) {
			*out = (int)i;
			return 0;
		}
	join(p, sizeof(p), path, key);
	return bad(c, p, "unknown value \"%s\"", s);
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Drops the leading zeros of a dotted quad that ends s, alone or after
 * its last ':', into out (as long as s): false when s has none. */
static bool strip_quad_zeros(const char *s, char *out)
{
	const char *colon = strrchr(s, ':');
	const char *p = colon ? colon + 1 : s;
	size_t o = (size_t)(p - s);

	memcpy(out, s, o);
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (*p++ != '.')
				return false;
			out[o++] = '.';
		}
		if (!is_digit(*p))
			return false;
		while (*p == '0' && is_digit(p[1]))
			p++;
		while (is_digit(*p))
			out[o++] = *p++;
	}
	out[o] = 0;
	return !*p;
}

int ksd_parse_ip_sloppy(const char *s, struct ksvc_addr *addr)
{
	char *stripped;
	int ret;

	if (!ksvc_parse_addr(s, addr, NULL))
		return 0;
	stripped = malloc(strlen(s) + 1);
	if (!stripped)
		abort();
	ret = strip_quad_zeros(s, stripped) ?
	      ksvc_parse_addr(stripped, addr, NULL) : -EINVAL;
	free(stripped);
	return ret ? -EINVAL : 0;
}

int ksd_parse_cidr_sloppy(const char *s, struct ksvc_cidr *cidr,
			  const char **why)
{
	const char *slash = strchr(s, '/');
	char *host, *joined, buf[KSVC_ADDR_STRLEN];
	struct ksvc_addr a;
	int ret = ksvc_parse_cidr(s, cidr, why), sloppy;

	if (!ret || !slash)
		return ret;
	host = strndup(s, (size_t)(slash - s));
	if (!host)
		abort();
	sloppy = ksd_parse_ip_sloppy(host, &a);
	free(host);
	if (sloppy)
		return ret;	/* the address is not the trouble */
	if (asprintf(&joined, "%s%s", ksvc_format_addr(&a, buf, sizeof(buf)),
		     slash) < 0)
		abort();
	ret = ksvc_parse_cidr(joined, cidr, why);
	free(joined);
	return ret;
}

static int want_addr(struct ctx *c, const cJSON *j, const char *path,
		     struct ksvc_addr *addr)
{
	if (want_type(c, j, path, is_string, "a string"))
		return -EINVAL;
	if (ksd_parse_ip_sloppy(j->valuestring, addr))
		return bad(c, path, "\"%s\" is not an IP address",
			   j->valuestring);
	return 0;
}

/* Kubernetes' protocols, by their API names. */
static int want_proto(struct ctx *c, const cJSON *obj, const char *path,
		      uint8_t *proto)
{
	static const char *const names[] = { "TCP", "UDP", "SCTP" };
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP,
					  IPPROTO_SCTP };
	int i = 0;

	if (get_enum(c, obj, path, "protocol", names, 3, &i))
		return -EINVAL;
	*proto = protos[i];
	return 0;
}

/* A list member: absent is an empty list. */
static int get_list(struct ctx *c, const cJSON *obj, const char *path,
		    const char *key, const cJSON **out, size_t *n)
{
	const cJSON *j = member(obj, key);
	char p[256];

	*out = NULL;
	*n = 0;
	if (!j)
		return 0;
	join(p, sizeof(p), path, key);
	if (want_type(c, j, p, is_array, "a list"))
		return -EINVAL;
	*out = j;
	*n = (size_t)cJSON_GetArraySize(j);
	return 0;
}

static int get_object(struct ctx *c, const cJSON *obj, const char *path,
		      const char *key, const cJSON **out)
{
	const cJSON *j = member(obj, key);
	char p[256];

	*out = j;
	if (!j)
		return 0;
	join(p, sizeof(p), path, key);
	return want_type(c, j, p, is_object, "an object");
}

static void free_labels(struct ksd_label *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(l[i].key);
		free(l[i].value);
	}
	free(l);
}

/* A map of strings to strings (labels, selector). */
static int get_string_map(struct ctx *c, const cJSON *obj, const char *path,
			  const char *key, struct ksd_label **out, size_t *n)
{
	const cJSON *map, *j;
	struct ksd_label *l;
	char p[256], q[512];
	size_t i = 0;

	if (get_object(c, obj, path, key, &map))
		return -EINVAL;
	if (!map)
		return 0;
	join(p, sizeof(p), path, key);
	l = zalloc((size_t)cJSON_GetArraySize(map), sizeof(*l));
	cJSON_ArrayForEach(j, map) {
		if (!cJSON_IsString(j)) {
			snprintf(q, sizeof(q), "%s[%s]", p, j->string);
			free_labels(l, i);
			return bad(c, q, "must be a string, not %s",
				   json_type(j));
		}
		l[i].key = dup(j->string);
		l[i].value = dup(j->valuestring);
		i++;
	}
	*out = l;
	*n = i;
	return 0;
}

static void free_meta(struct ksd_meta *m)
{
	free(m->name);
	free(m->namespace);
	free(m->uid);
	free(m->resource_version);
	free_labels(m->labels, m->nlabels);
}

/*
 * An RFC 3339 time as the API writes metadata.creationTimestamp
 * ("2026-12-05T10:00:00Z", a fraction or an offset allowed), in seconds
 * since the epoch; KSD_CREATED_UNKNOWN when it is not one.
 */
int64_t ksd_parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p;
	int64_t t;

	if (!s)
		return KSD_CREATED_UNKNOWN;
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return KSD_CREATED_UNKNOWN;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	t = (int64_t)timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return p[1] ? KSD_CREATED_UNKNOWN : t;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h, mi;

		if (sscanf(p + 1, "%2d:%2d", &h, &mi) != 2 || h > 23 || mi > 59)
			return KSD_CREATED_UNKNOWN;
		return t - (*p == '+' ? 1 : -1) * (h * 3600 + mi * 60);
	}
	return KSD_CREATED_UNKNOWN;
}

static int decode_meta(struct ctx *c, const cJSON *obj,
		       const char *api_version, struct ksd_meta *m)
{
	const char *name, *ns, *uid, *rv, *av, *created;
	const cJSON *meta;

	if (!cJSON_IsObject(obj))
		return bad(c, "(object)", "must be an object, not %s",
			   json_type(obj));
	if (get_object(c, obj, "", "metadata", &meta))
		return -EINVAL;
	/* The name first, so that every later message can say it. */
	if (meta) {
		if (get_string(c, meta, "metadata", "namespace", &ns))
			return -EINVAL;
		c->ns = ns && *ns ? ns : NULL;
		if (get_string(c, meta, "metadata", "name", &name))
			return -EINVAL;
		c->name = name && *name ? name : NULL;
	}
	if (!meta || !c->name)
		return bad(c, "metadata.name", "missing");
	if (get_string(c, obj, "", "apiVersion", &av))
		return -EINVAL;
	if (av && strcmp(av, api_version))
		return bad(c, "apiVersion", "\"%s\" is not %s", av,
			   api_version);
	if (get_string(c, meta, "metadata", "uid", &uid) ||
	    get_string(c, meta, "metadata", "resourceVersion", &rv) ||
	    get_string(c, meta, "metadata", "creationTimestamp", &created))
		return -EINVAL;
	if (get_string_map(c, meta, "metadata", "labels", &m->labels,
			   &m->nlabels))
		return -EINVAL;
	m->name = dup(c->name);
	m->namespace = dup(c->ns ? c->ns : "default");
	m->uid = uid ? dup(uid) : NULL;
	m->resource_version = rv ? dup(rv) : NULL;
	m->created = ksd_parse_time(created);
	return 0;
}

const char *ksd_meta_label(const struct ksd_meta *meta, const char *key)
{
	size_t i;

	for (i = 0; i < meta->nlabels; i++)
		if (!strcmp(meta->labels[i].key, key))
			return meta->labels[i].value;
	return NULL;
}

/* An IANA service name, as a named targetPort must be: 1..15 of [a-z0-9-],
 * at least one letter, no leading, trailing or double '-'. */
static bool iana_svc_name(const char *s)
{
	size_t len = strlen(s), i;
	bool letter = false;

	if (!len || len > 15 || s[0] == '-' || s[len - 1] == '-' ||
	    strstr(s, "--"))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static int decode_svc_port(struct ctx *c, const cJSON *j, const char *path,
			   struct ksd_svc_port *p)
{
	const cJSON *tp;
	const char *name;
	long long v = 0;
	bool present;
	char q[256];

	if (want_type(c, j, path, is_object, "an object") ||
	    get_string(c, j, path, "name", &name) ||
	    want_proto(c, j, path, &p->proto) ||
	    get_int(c, j, path, "port", 1, 65535, &v, &present))
		return -EINVAL;
	if (!present) {
		join(q, sizeof(q), path, "port");
		return bad(c, q, "missing");
	}
	p->port = (uint16_t)v;
	v = 0;
	if (get_int(c, j, path, "nodePort", 0, 65535, &v, NULL))
		return -EINVAL;
	p->node_port = (uint16_t)v;

	tp = member(j, "targetPort");
	join(q, sizeof(q), path, "targetPort");
	if (!tp) {
		p->target_port = p->port;
	} else if (cJSON_IsString(tp)) {
		if (!iana_svc_name(tp->valuestring))
			return bad(c, q, "\"%s\" is not a port name",
				   tp->valuestring);
		p->target_port_name = dup(tp->valuestring);
	} else if (cJSON_IsNumber(tp)) {
		if (want_int(c, tp, q, 1, 65535, &v))
			return -EINVAL;
		p->target_port = (uint16_t)v;
	} else {
		return bad(c, q, "must be an integer or a port name, not %s",
			   json_type(tp));
	}
	p->name = dup(name ? name : "");
	return 0;
}

static void free_svc_ports(struct ksd_svc_port *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		free(p[i].name);
		free(p[i].target_port_name);
	}
	free(p);
}

static int decode_svc_ports(struct ctx *c, const cJSON *spec,
			    struct ksd_service *s)
{
	const cJSON *list, *j;
	char path[64];
	size_t n, i = 0, k;

	if (get_list(c, spec, "spec", "ports", &list, &n))
		return -EINVAL;
	s->ports = zalloc(n, sizeof(*s->ports));
	cJSON_ArrayForEach(j, list) {
		snprintf(path, sizeof(path), "spec.ports[%zu]", i);
		if (decode_svc_port(c, j, path, &s->ports[i])) {
			s->nports = i + 1;
			return -EINVAL;
		}
		s->nports = ++i;
		/* Names make the kernel's service names: unique, and set
		 * when there are several, as the API requires. */
		if (n > 1 && !*s->ports[i - 1].name)
			return bad(c, path, "name is required when a service "
				   "has several ports");
		for (k = 0; k + 1 < i; k++)
			if (!strcmp(s->ports[k].name, s->ports[i - 1].name))
				return bad(c, path, "duplicate port name "
					   "\"%s\"", s->ports[k].name);
	}
	return 0;
}

static int decode_addr_list(struct ctx *c, const cJSON *obj,
			    const char *path, const char *key,
			    struct ksvc_addr **out, size_t *nout)
{
	const cJSON *list, *j;
	char p[256];
	size_t n, i = 0;

	if (get_list(c, obj, path, key, &list, &n))
		return -EINVAL;
	*out = zalloc(n, sizeof(**out));
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "%s%s%s[%zu]", path, *path ? "." : "",
			 key, i);
		if (want_addr(c, j, p, &(*out)[i]))
			return -EINVAL;
		*nout = ++i;
	}
	return 0;
}

/* clusterIP and clusterIPs: "None" (headless), "" (unset, ExternalName),
 * else addresses; clusterIPs[0] is clusterIP when both are given. */
static int decode_cluster_ips(struct ctx *c, const cJSON *spec,
			      struct ksd_service *s)
{
	const cJSON *list, *j;
	struct ksvc_addr a = { 0 };
	const char *ip;
	char p[64];
	size_t n, i = 0;

	if (get_string(c, spec, "spec", "clusterIP", &ip) ||
	    get_list(c, spec, "spec", "clusterIPs", &list, &n))
		return -EINVAL;
	if (ip && !strcmp(ip, "None"))
		s->headless = true;
	else if (ip && *ip && ksd_parse_ip_sloppy(ip, &a))
		return bad(c, "spec.clusterIP", "\"%s\" is not an IP address",
			   ip);
	if (n > 2)
		return bad(c, "spec.clusterIPs", "more than 2 addresses");
	s->cluster_ips = zalloc(n ? n : 1, sizeof(*s->cluster_ips));
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "spec.clusterIPs[%zu]", i);
		if (want_type(c, j, p, is_string, "a string"))
			return -EINVAL;
		if (!strcmp(j->valuestring, "None")) {
			if (n > 1)
				return bad(c, p, "None must be the only one");
			s->headless = true;
			i++;
			continue;
		}
		if (want_addr(c, j, p, &s->cluster_ips[s->ncluster_ips]))
			return -EINVAL;
		if (!i && ip && *ip && strcmp(ip, j->valuestring))
			return bad(c, p, "\"%s\" is not spec.clusterIP \"%s\"",
				   j->valuestring, ip);
		if (i && s->cluster_ips[0].family ==
			 s->cluster_ips[s->ncluster_ips].family)
			return bad(c, p, "two addresses of one family");
		s->ncluster_ips++;
		i++;
	}
	if (!n && ip && *ip && !s->headless) {
		s->cluster_ips[0] = a;
		s->ncluster_ips = 1;
	}
	return 0;
}

static int decode_families(struct ctx *c, const cJSON *spec,
			   struct ksd_service *s)
{
	static const char *const names[] = { "IPv4", "IPv6" };
	const cJSON *list, *j;
	char p[64];
	size_t n, i = 0;
	int f;

	if (get_list(c, spec, "spec", "ipFamilies", &list, &n))
		return -EINVAL;
	if (n > 2)
		return bad(c, "spec.ipFamilies", "more than 2 families");
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "spec.ipFamilies[%zu]", i++);
		if (want_type(c, j, p, is_string, "a string"))
			return -EINVAL;
		for (f = 0; f < 2; f++)
			if (!strcmp(j->valuestring, names[f]))
				break;
		if (f == 2)
			return bad(c, p, "unknown value \"%s\"",
				   j->valuestring);
		s->ip_families[s->nip_families++] = f ? AF_INET6 : AF_INET;
	}
	return 0;
}

/* A CIDR as the API takes it: surrounding spaces and host bits allowed
 * (kube-proxy trims and masks them). */
static int parse_range(const char *in, struct ksvc_cidr *cidr)
{
	char buf[KSVC_CIDR_STRLEN + 1], *slash;
	size_t len, i, bytes;
	uint32_t plen;

	while (*in == ' ')
		in++;
	len = strlen(in);
	while (len && in[len - 1] == ' ')
		len--;
	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, in, len);
	buf[len] = 0;
	slash = strchr(buf, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	if (ksd_parse_ip_sloppy(buf, &cidr->addr))
		return -EINVAL;
	if (ksvc_parse_u32(slash + 1, cidr->addr.family == AF_INET ? 32 : 128,
			   &plen, NULL))
		return -EINVAL;
	cidr->prefixlen = (uint8_t)plen;
	bytes = ksvc_addr_len(cidr->addr.family);
	for (i = 0; i < bytes; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			cidr->addr.raw[i] = 0;
		else
			cidr->addr.raw[i] &= (uint8_t)(0xff << (8 - plen % 8));
	}
	return 0;
}

static int decode_ranges(struct ctx *c, const cJSON *spec,
			 struct ksd_service *s)
{
	const cJSON *list, *j;
	char p[64];
	size_t n, i = 0;

	if (get_list(c, spec, "spec", "loadBalancerSourceRanges", &list, &n))
		return -EINVAL;
	s->lb_source_ranges = zalloc(n, sizeof(*s->lb_source_ranges));
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "spec.loadBalancerSourceRanges[%zu]", i);
		if (want_type(c, j, p, is_string, "a string"))
			return -EINVAL;
		if (parse_range(j->valuestring, &s->lb_source_ranges[i]))
			return bad(c, p, "\"%s\" is not a CIDR",
				   j->valuestring);
		s->nlb_source_ranges = ++i;
	}
	return 0;
}

static int decode_affinity(struct ctx *c, const cJSON *spec,
			   struct ksd_service *s)
{
	static const char *const names[] = { "None", "ClientIP" };
	const cJSON *cfg, *cip;
	long long v = KSD_AFFINITY_TIMEOUT_DEFAULT;
	int a = KSD_AFFINITY_NONE;

	if (get_enum(c, spec, "spec", "sessionAffinity", names, 2, &a) ||
	    get_object(c, spec, "spec", "sessionAffinityConfig", &cfg) ||
	    get_object(c, cfg, "spec.sessionAffinityConfig", "clientIP", &cip) ||
	    get_int(c, cip, "spec.sessionAffinityConfig.clientIP",
		    "timeoutSeconds", 1, KSD_AFFINITY_TIMEOUT_MAX, &v, NULL))
		return -EINVAL;
	s->affinity = (enum ksd_affinity)a;
	s->affinity_timeout = a == KSD_AFFINITY_CLIENT_IP ? (uint32_t)v : 0;
	return 0;
}

static int decode_ingress(struct ctx *c, const cJSON *obj,
			  struct ksd_service *s)
{
	static const char *const modes[] = { NULL, "VIP", "Proxy" };
	const char *path = "status.loadBalancer";
	const cJSON *status, *lb, *list, *j, *ip;
	char p[96];
	size_t n, i = 0;
	int mode;

	if (get_object(c, obj, "", "status", &status) ||
	    get_object(c, status, "status", "loadBalancer", &lb) ||
	    get_list(c, lb, path, "ingress", &list, &n))
		return -EINVAL;
	s->ingress = zalloc(n, sizeof(*s->ingress));
	cJSON_ArrayForEach(j, list) {
		struct ksd_lb_ingress *in = &s->ingress[i];

		snprintf(p, sizeof(p), "%s.ingress[%zu]", path, i);
		if (want_type(c, j, p, is_object, "an object"))
			return -EINVAL;
		mode = KSD_IP_MODE_UNSET;
		if (get_enum(c, j, p, "ipMode", modes, 3, &mode))
			return -EINVAL;
		in->ip_mode = (enum ksd_ip_mode)mode;
		ip = member(j, "ip");
		if (ip) {
			snprintf(p, sizeof(p), "%s.ingress[%zu].ip", path, i);
			if (want_addr(c, ip, p, &in->ip))
				return -EINVAL;
			in->has_ip = true;
		}
		s->ningress = ++i;
	}
	return 0;
}

void ksd_service_free(struct ksd_service *s)
{
	if (!s)
		return;
	free_meta(&s->meta);
	free(s->cluster_ips);
	free_svc_ports(s->ports, s->nports);
	free_labels(s->selector, s->nselector);
	free(s->external_ips);
	free(s->lb_source_ranges);
	free(s->external_name);
	free(s->ingress);
	free(s);
}

int ksd_decode_service(const cJSON *obj, struct ksd_service **svcp,
		       char *why)
{
	static const char *const types[] = { "ClusterIP", "NodePort",
					     "LoadBalancer", "ExternalName" };
	static const char *const policies[] = { "Cluster", "Local" };
	static const char *const tds[] = { NULL, "PreferClose",
					   "PreferSameZone", "PreferSameNode" };
	struct ctx c = { .why = why, .kind = "Service" };
	struct ksd_service *s = zalloc(1, sizeof(*s));
	const cJSON *spec;
	const char *str;
	long long v = 0;
	int e;

	if (decode_meta(&c, obj, "v1", &s->meta) ||
	    get_object(&c, obj, "", "spec", &spec))
		goto fail;
	e = KSD_SVC_CLUSTER_IP;
	if (get_enum(&c, spec, "spec", "type", types, 4, &e))
		goto fail;
	s->type = (enum ksd_svc_type)e;
	if (decode_cluster_ips(&c, spec, s) || decode_families(&c, spec, s) ||
	    decode_svc_ports(&c, spec, s) ||
	    get_string_map(&c, spec, "spec", "selector", &s->selector,
			   &s->nselector) ||
	    decode_addr_list(&c, spec, "spec", "externalIPs", &s->external_ips,
			     &s->nexternal_ips) ||
	    decode_affinity(&c, spec, s) || decode_ranges(&c, spec, s))
		goto fail;
	e = KSD_POLICY_CLUSTER;
	if (get_enum(&c, spec, "spec", "externalTrafficPolicy", policies, 2,
		     &e))
		goto fail;
	s->external_policy = (enum ksd_policy)e;
	e = KSD_POLICY_CLUSTER;
	if (get_enum(&c, spec, "spec", "internalTrafficPolicy", policies, 2,
		     &e))
		goto fail;
	s->internal_policy = (enum ksd_policy)e;
	if (get_string(&c, spec, "spec", "externalName", &str))
		goto fail;
	s->external_name = str ? dup(str) : NULL;
	if (get_int(&c, spec, "spec", "healthCheckNodePort", 0, 65535, &v,
		    NULL))
		goto fail;
	s->health_check_node_port = (uint16_t)v;
	if (get_string(&c, spec, "spec", "loadBalancerIP", &str))
		goto fail;
	if (str && *str && ksd_parse_ip_sloppy(str, &s->lb_ip)) {
		bad(&c, "spec.loadBalancerIP", "\"%s\" is not an IP address",
		    str);
		goto fail;
	}
	/* New distributions keep coming: an unknown one is not an error,
	 * kube-proxy ignores it too. */
	if (get_string(&c, spec, "spec", "trafficDistribution", &str))
		goto fail;
	s->traffic_distribution = KSD_TD_NONE;
	if (str) {
		s->traffic_distribution = KSD_TD_OTHER;
		for (e = 1; e < 4; e++)
			if (!strcmp(str, tds[e]))
				s->traffic_distribution =
					(enum ksd_traffic_distribution)e;
	}
	if (decode_ingress(&c, obj, s))
		goto fail;
	*svcp = s;
	return 0;
fail:
	ksd_service_free(s);
	return -EINVAL;
}

static void free_strings(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* hints.forZones / forNodes: lists of {name: string}. */
static int decode_hint_list(struct ctx *c, const cJSON *hints,
			    const char *path, const char *key, char ***out,
			    size_t *nout)
{
	const cJSON *list, *j;
	const char *name;
	char p[160];
	size_t n, i = 0;

	if (get_list(c, hints, path, key, &list, &n))
		return -EINVAL;
	*out = zalloc(n, sizeof(**out));
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "%s.%s[%zu]", path, key, i);
		if (want_type(c, j, p, is_object, "an object") ||
		    get_string(c, j, p, "name", &name))
			return -EINVAL;
		if (!name) {
			snprintf(p, sizeof(p), "%s.%s[%zu].name", path, key, i);
			return bad(c, p, "missing");
		}
		(*out)[i] = dup(name);
		*nout = ++i;
	}
	return 0;
}

static int get_cond(struct ctx *c, const cJSON *conds, const char *path,
		    const char *key, enum ksd_cond *out)
{
	const cJSON *j = member(conds, key);
	char p[160];

	*out = KSD_COND_UNSET;
	if (!j)
		return 0;
	join(p, sizeof(p), path, key);
	if (want_type(c, j, p, is_bool, "a boolean"))
		return -EINVAL;
	*out = cJSON_IsTrue(j) ? KSD_COND_TRUE : KSD_COND_FALSE;
	return 0;
}

static int decode_endpoint(struct ctx *c, const cJSON *j, const char *path,
			   uint16_t family, struct ksd_endpoint *ep)
{
	const cJSON *addrs, *a, *conds, *hints;
	const char *node, *zone, *host;
	char p[160];
	size_t n, i = 0;

	if (want_type(c, j, path, is_object, "an object") ||
	    get_list(c, j, path, "addresses", &addrs, &n))
		return -EINVAL;
	if (!n) {
		join(p, sizeof(p), path, "addresses");
		return bad(c, p, "missing");
	}
	ep->addrs = zalloc(family ? n : 0, sizeof(*ep->addrs));
	cJSON_ArrayForEach(a, addrs) {
		snprintf(p, sizeof(p), "%s.addresses[%zu]", path, i++);
		if (want_type(c, a, p, is_string, "a string"))
			return -EINVAL;
		if (!family)
			continue;	/* FQDN: names, not for a proxy */
		if (want_addr(c, a, p, &ep->addrs[ep->naddrs]))
			return -EINVAL;
		if (ep->addrs[ep->naddrs].family != family)
			return bad(c, p, "\"%s\" is not an %s address",
				   a->valuestring,
				   family == AF_INET ? "IPv4" : "IPv6");
		ep->naddrs++;
	}
	snprintf(p, sizeof(p), "%s.conditions", path);
	if (get_object(c, j, path, "conditions", &conds) ||
	    get_cond(c, conds, p, "ready", &ep->ready) ||
	    get_cond(c, conds, p, "serving", &ep->serving) ||
	    get_cond(c, conds, p, "terminating", &ep->terminating) ||
	    get_string(c, j, path, "nodeName", &node) ||
	    get_string(c, j, path, "zone", &zone) ||
	    get_string(c, j, path, "hostname", &host) ||
	    get_object(c, j, path, "hints", &hints))
		return -EINVAL;
	ep->node_name = node ? dup(node) : NULL;
	ep->zone = zone ? dup(zone) : NULL;
	ep->hostname = host ? dup(host) : NULL;
	if (hints) {
		ep->has_hints = true;
		snprintf(p, sizeof(p), "%s.hints", path);
		if (decode_hint_list(c, hints, p, "forZones", &ep->hint_zones,
				     &ep->nhint_zones) ||
		    decode_hint_list(c, hints, p, "forNodes", &ep->hint_nodes,
				     &ep->nhint_nodes))
			return -EINVAL;
	}
	return 0;
}

void ksd_slice_free(struct ksd_slice *sl)
{
	size_t i;

	if (!sl)
		return;
	free_meta(&sl->meta);
	for (i = 0; sl->endpoints && i < sl->nendpoints; i++) {
		struct ksd_endpoint *ep = &sl->endpoints[i];

		free(ep->addrs);
		free(ep->node_name);
		free(ep->zone);
		free(ep->hostname);
		free_strings(ep->hint_zones, ep->nhint_zones);
		free_strings(ep->hint_nodes, ep->nhint_nodes);
	}
	free(sl->endpoints);
	for (i = 0; sl->ports && i < sl->nports; i++)
		free(sl->ports[i].name);
	free(sl->ports);
	free(sl);
}

int ksd_decode_slice(const cJSON *obj, struct ksd_slice **slicep, char *why)
{
	static const char *const types[] = { "IPv4", "IPv6", "FQDN" };
	static const uint16_t families[] = { AF_INET, AF_INET6, 0 };
	struct ctx c = { .why = why, .kind = "EndpointSlice" };
	struct ksd_slice *sl = zalloc(1, sizeof(*sl));
	const cJSON *list, *j;
	const char *name;
	char p[64];
	long long v;
	size_t n, i;
	bool present;
	int t = -1;

	if (decode_meta(&c, obj, "discovery.k8s.io/v1", &sl->meta) ||
	    get_enum(&c, obj, "", "addressType", types, 3, &t))
		goto fail;
	if (t < 0) {
		bad(&c, "addressType", "missing");
		goto fail;
	}
	sl->family = families[t];
	sl->service_name = ksd_meta_label(&sl->meta, KSD_LABEL_SERVICE_NAME);

	if (get_list(&c, obj, "", "endpoints", &list, &n))
		goto fail;
	sl->endpoints = zalloc(n, sizeof(*sl->endpoints));
	i = 0;
	cJSON_ArrayForEach(j, list) {
		snprintf(p, sizeof(p), "endpoints[%zu]", i);
		sl->nendpoints = i + 1;
		if (decode_endpoint(&c, j, p, sl->family, &sl->endpoints[i]))
			goto fail;
		i++;
	}

	if (get_list(&c, obj, "", "ports", &list, &n))
		goto fail;
	sl->ports = zalloc(n, sizeof(*sl->ports));
	i = 0;
	cJSON_ArrayForEach(j, list) {
		struct ksd_slice_port *sp = &sl->ports[i];

		snprintf(p, sizeof(p), "ports[%zu]", i);
		v = 0;
		if (want_type(&c, j, p, is_object, "an object") ||
		    get_string(&c, j, p, "name", &name) ||
		    want_proto(&c, j, p, &sp->proto) ||
		    get_int(&c, j, p, "port", 1, 65535, &v, &present))
			goto fail;
		sp->port = (uint16_t)v;
		sp->name = dup(name ? name : "");
		sl->nports = ++i;
	}
	*slicep = sl;
	return 0;
fail:
	ksd_slice_free(sl);
	return -EINVAL;
}

bool ksd_endpoint_ready(const struct ksd_endpoint *ep)
{
	return ep->ready != KSD_COND_FALSE;
}

bool ksd_endpoint_serving(const struct ksd_endpoint *ep)
{
	return ep->serving != KSD_COND_FALSE;
}

bool ksd_endpoint_terminating(const struct ksd_endpoint *ep)
{
	return ep->terminating == KSD_COND_TRUE;
}

/* --- v1 Node --- */

void ksd_node_free(struct ksd_node *n)
{
	if (!n)
		return;
	free_meta(&n->meta);
	for (size_t i = 0; i < n->naddrs; i++)
		free(n->addrs[i].type);
	free(n->addrs);
	free(n);
}

int ksd_decode_node(const cJSON *obj, struct ksd_node **nodep, char *why)
{
	struct ctx c = { .why = why, .kind = "Node" };
	struct ksd_node *n = zalloc(1, sizeof(*n));
	const cJSON *meta, *spec, *status, *list, *j, *dts;
	const char *type;
	char p[64];
	size_t cnt, i = 0;

	if (decode_meta(&c, obj, "v1", &n->meta))
		goto fail;
	meta = member(obj, "metadata");
	dts = member(meta, "deletionTimestamp");
	if (dts) {
		if (want_type(&c, dts, "metadata.deletionTimestamp",
			      is_string, "a string"))
			goto fail;
		n->deleting = true;
	}
	n->zone = ksd_meta_label(&n->meta, KSD_LABEL_ZONE);
	if (get_object(&c, obj, "", "spec", &spec) ||
	    get_list(&c, spec, "spec", "taints", &list, &cnt))
		goto fail;
	cJSON_ArrayForEach(j, list) {
		const char *key;

		snprintf(p, sizeof(p), "spec.taints[%zu]", i++);
		if (want_type(&c, j, p, is_object, "an object") ||
		    get_string(&c, j, p, "key", &key))
			goto fail;
		if (key && !strcmp(key, KSD_TAINT_TO_BE_DELETED))
			n->to_be_deleted = true;
	}
	i = 0;
	if (get_object(&c, obj, "", "status", &status) ||
	    get_list(&c, status, "status", "addresses", &list, &cnt))
		goto fail;
	n->addrs = zalloc(cnt, sizeof(*n->addrs));
	cJSON_ArrayForEach(j, list) {
		struct ksd_node_addr *a = &n->addrs[n->naddrs];
		const char *addr;

		snprintf(p, sizeof(p), "status.addresses[%zu]", i++);
		if (want_type(&c, j, p, is_object, "an object") ||
		    get_string(&c, j, p, "type", &type) ||
		    get_string(&c, j, p, "address", &addr))
			goto fail;
		/* Hostnames and DNS names are not addresses to program. */
		if (!addr || ksd_parse_ip_sloppy(addr, &a->addr))
			continue;
		a->type = dup(type ? type : "");
		n->naddrs++;
	}
	*nodep = n;
	return 0;
fail:
	ksd_node_free(n);
	return -EINVAL;
}
