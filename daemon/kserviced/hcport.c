// SPDX-License-Identifier: GPL-2.0
/*
 * The healthCheckNodePort servers; see hcport.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "hcport.h"
#include "ksvc_text.h"
#include "log.h"

struct ksd_hcport {
	struct ksd_hcports *hc;
	uint16_t port;
	char *ns, *name;
	/* The addresses of its ready endpoints on this node, over its
	 * ports: localEndpoints is how many. */
	struct ksvc_addr *local;
	size_t nlocal;
	struct ksd_http **http;		/* one per address; none: it could
					 * not listen */
	size_t nhttp;
	bool seen;			/* in this update */
};

static char *xstrndup(const char *s, size_t n)
{
	char *c = strndup(s, n);

	if (!c)
		abort();
	return c;
}

void ksd_hcports_init(struct ksd_hcports *hc, struct ksd_loop *loop,
		      const char *healthz_bind, const struct ksvc_cidr *cidrs,
		      size_t ncidrs, bool (*healthy)(void *arg), void *arg)
{
	struct sockaddr_storage ss;

	memset(hc, 0, sizeof(*hc));
	hc->loop = loop;
	hc->healthy = healthy;
	hc->arg = arg;
	if (ncidrs > KSVC_CIDRS_MAX)
		ncidrs = KSVC_CIDRS_MAX;
	memcpy(hc->cidrs, cidrs, ncidrs * sizeof(*cidrs));
	hc->ncidrs = ncidrs;
	strcpy(hc->host, "[::]");
	if (!healthz_bind || !*healthz_bind ||
	    ksd_parse_bind(healthz_bind, 0, &ss))
		return;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)&ss;

		if (s4->sin_addr.s_addr != htonl(INADDR_ANY))
			inet_ntop(AF_INET, &s4->sin_addr, hc->host,
				  sizeof(hc->host));
	} else {
		const struct sockaddr_in6 *s6 = (const void *)&ss;
		char buf[INET6_ADDRSTRLEN];

		if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) &&
		    inet_ntop(AF_INET6, &s6->sin6_addr, buf, sizeof(buf)))
			snprintf(hc->host, sizeof(hc->host), "[%s]", buf);
	}
}

static int serve(void *arg, const char *path, unsigned int *status,
		 char **body, size_t *len, const char **ctype)
{
	struct ksd_hcport *p = arg;
	bool healthy = p->hc->healthy ? p->hc->healthy(p->hc->arg) : true;
	int n;

	(void)path;	/* kube-proxy answers every path */
	n = asprintf(body, "{\n\t\"service\": {\n\t\t\"namespace\": \"%s\",\n"
		     "\t\t\"name\": \"%s\"\n\t},\n\t\"localEndpoints\": %zu,\n"
		     "\t\"serviceProxyHealthy\": %s\n}", p->ns, p->name,
		     p->nlocal, healthy ? "true" : "false");
	if (n < 0) {
		*body = NULL;
		return -ENOMEM;
	}
	*len = (size_t)n;
	*status = p->nlocal && healthy ? 200 : 503;
	*ctype = "application/json";
	return 0;
}

static struct ksd_hcport *find(struct ksd_hcports *hc, uint16_t port)
{
	for (size_t i = 0; i < hc->n; i++)
		if (hc->ports[i]->port == port)
			return hc->ports[i];
	return NULL;
}

static void stop_all(struct ksd_hcport *p)
{
	for (size_t i = 0; i < p->nhttp; i++)
		ksd_http_stop(p->http[i]);
	free(p->http);
	p->http = NULL;
	p->nhttp = 0;
}

static void drop(struct ksd_hcport *p)
{
	stop_all(p);
	free(p->local);
	free(p->ns);
	free(p->name);
	free(p);
}

/* One more server of p, on bind ("IP:PORT", "[IPv6]:PORT"). */
static int listen_on(struct ksd_hcport *p, const char *bind)
{
	struct ksd_http *h;
	int ret = ksd_http_start(&h, p->hc->loop, bind, p->port, serve, p);

	if (ret)
		return ret;
	p->http = realloc(p->http, (p->nhttp + 1) * sizeof(*p->http));
	if (!p->http)
		abort();
	p->http[p->nhttp++] = h;
	return 0;
}

/* Per family, as the node ports (and kube-proxy's per-family
 * NodePortAddresses): a family without a CIDR keeps every address. */
static bool in_cidrs(const struct ksd_hcports *hc, const struct ksvc_addr *a)
{
	bool listed = false;

	for (size_t i = 0; i < hc->ncidrs; i++) {
		if (hc->cidrs[i].addr.family != a->family)
			continue;
		if (ksvc_cidr_contains(&hc->cidrs[i], a))
			return true;
		listed = true;
	}
	return !listed;
}

/* The address of i into a: false when it has none to listen on (not
 * IP, or IPv6 link-local: those cannot be bound without their
 * interface). */
static bool if_addr(const struct ifaddrs *i, struct ksvc_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!i->ifa_addr)
		return false;
	if (i->ifa_addr->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)i->ifa_addr;

		memcpy(a->raw, &s4->sin_addr, 4);
	} else if (i->ifa_addr->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)i->ifa_addr;

		if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
			return false;
		memcpy(a->raw, &s6->sin6_addr, 16);
	} else {
		return false;
	}
	a->family = i->ifa_addr->sa_family;
	return true;
}

/* Whether an entry of ifs before i has the address a already. */
static bool listed_before(const struct ifaddrs *ifs, const struct ifaddrs *i,
			  const struct ksvc_addr *a)
{
	struct ksvc_addr b;

	for (; ifs != i; ifs = ifs->ifa_next)
		if (if_addr(ifs, &b) && ksvc_addr_equal(a, &b))
			return true;
	return false;
}

/*
 * kube-proxy's with --nodeport-addresses: a server on each address of
 * this node in one of its CIDRs. Any that fails closes the others, as
 * kube-proxy's closeAll(). Returns 0 or -errno, with bind the address
 * that failed.
 */
static int listen_nodeport_addresses(struct ksd_hcport *p, char *bind,
				     size_t size)
{
	struct ifaddrs *ifs, *i;
	char buf[KSVC_ADDR_STRLEN];
	struct ksvc_addr a;
	int ret = 0;

	snprintf(bind, size, "the --nodeport-addresses of this node");
	if (getifaddrs(&ifs))
		return -errno;
	for (i = ifs; i && !ret; i = i->ifa_next) {
		if (!if_addr(i, &a) || !in_cidrs(p->hc, &a) ||
		    listed_before(ifs, i, &a))
			continue;
		ksvc_format_addr(&a, buf, sizeof(buf));
		snprintf(bind, size, a.family == AF_INET6 ? "[%s]:%u" :
			 "%s:%u", buf, p->port);
		ret = listen_on(p, bind);
	}
	freeifaddrs(ifs);
	if (!ret && !p->nhttp) {
		snprintf(bind, size, "the --nodeport-addresses of this node "
			 "(none matches)");
		ret = -EADDRNOTAVAIL;
	}
	if (ret)
		stop_all(p);
	return ret;
}

/* Opens p's servers: on --nodeport-addresses when set, else on every
 * address (or --healthz-bind-address's). */
static void open_servers(struct ksd_hcport *p)
{
	struct ksd_hcports *hc = p->hc;
	char bind[96];
	int ret;

	if (hc->ncidrs) {
		ret = listen_nodeport_addresses(p, bind, sizeof(bind));
	} else {
		snprintf(bind, sizeof(bind), "%s:%u", hc->host, p->port);
		ret = listen_on(p, bind);
		if (ret && !strcmp(hc->host, "[::]")) {
			/* No IPv6 on this host: IPv4 alone. */
			snprintf(bind, sizeof(bind), "0.0.0.0:%u", p->port);
			ret = listen_on(p, bind);
		}
	}
	if (ret)
		ksd_err("healthCheckNodePort %u of %s/%s: cannot listen on %s: "
			"%s", p->port, p->ns, p->name, bind, strerror(-ret));
	else
		ksd_info("healthCheckNodePort %u of %s/%s: listening on %s%s",
			 p->port, p->ns, p->name, p->nhttp > 1 ?
			 "every --nodeport-addresses address, the last " : "",
			 bind);
}

/* "ns/name:port" or "ns/name" */
static void split(const char *kname, char **ns, char **name)
{
	const char *slash = strchr(kname, '/');
	const char *colon = slash ? strchr(slash, ':') : NULL;

	if (!slash) {
		*ns = xstrndup("", 0);
		*name = xstrndup(kname, strlen(kname));
		return;
	}
	*ns = xstrndup(kname, (size_t)(slash - kname));
	*name = xstrndup(slash + 1, colon ? (size_t)(colon - slash - 1) :
			 strlen(slash + 1));
}

/*
 * kube-proxy's LocalReadyEndpoints(): the service's ready endpoints on
 * this node, by address, so that one serving two ports counts once.
 */
static void add_local_ready(struct ksd_hcport *p,
			    const struct ksd_model_svc *ms, const char *node)
{
	if (!node || !*node)
		return;
	for (size_t i = 0; i < ms->neps; i++) {
		const struct ksd_model_ep *e = &ms->eps[i];
		size_t j;

		if (!e->ready || !e->node_name || strcmp(e->node_name, node))
			continue;
		for (j = 0; j < p->nlocal; j++)
			if (ksvc_addr_equal(&p->local[j], &e->addr))
				break;
		if (j < p->nlocal)
			continue;
		p->local = realloc(p->local, (p->nlocal + 1) *
				   sizeof(*p->local));
		if (!p->local)
			abort();
		p->local[p->nlocal++] = e->addr;
	}
}

void ksd_hcports_update(struct ksd_hcports *hc, const struct ksd_model *m)
{
	size_t i, j;

	for (i = 0; i < hc->n; i++) {
		hc->ports[i]->seen = false;
		hc->ports[i]->nlocal = 0;
	}
	for (i = 0; i < m->n; i++) {
		const struct ksd_model_svc *ms = &m->svcs[i];
		struct ksd_hcport *p;
		char *ns, *name;

		if (!ms->health_check_node_port ||
		    ms->external_policy != KSD_POLICY_LOCAL)
			continue;
		split(ms->ksvc.name, &ns, &name);
		p = find(hc, ms->health_check_node_port);
		if (p && p->seen && (strcmp(p->ns, ns) ||
				     strcmp(p->name, name))) {
			ksd_warn("healthCheckNodePort %u: both %s/%s and "
				 "%s/%s ask for it; %s/%s keeps it",
				 p->port, p->ns, p->name, ns, name, p->ns,
				 p->name);
			free(ns);
			free(name);
			continue;
		}
		if (!p) {
			struct ksd_hcport **arr;

			p = calloc(1, sizeof(*p));
			arr = realloc(hc->ports,
				      (hc->n + 1) * sizeof(*hc->ports));
			if (!p || !arr)
				abort();
			hc->ports = arr;
			hc->ports[hc->n++] = p;
			p->hc = hc;
			p->port = ms->health_check_node_port;
			p->ns = ns;
			p->name = name;
			open_servers(p);
		} else if (strcmp(p->ns, ns) || strcmp(p->name, name)) {
			free(p->ns);
			free(p->name);
			p->ns = ns;
			p->name = name;
		} else {
			free(ns);
			free(name);
		}
		p->seen = true;
		add_local_ready(p, ms, m->node_name);
	}
	for (i = j = 0; i < hc->n; i++) {
		struct ksd_hcport *p = hc->ports[i];

		if (p->seen) {
			hc->ports[j++] = p;
			continue;
		}
		ksd_info("healthCheckNodePort %u of %s/%s: closed", p->port,
			 p->ns, p->name);
		drop(p);
	}
	hc->n = j;
}

int ksd_hcports_local(const struct ksd_hcports *hc, uint16_t port)
{
	for (size_t i = 0; i < hc->n; i++)
		if (hc->ports[i]->port == port)
			return hc->ports[i]->nhttp ?
			       (int)hc->ports[i]->nlocal : -1;
	return -1;
}

void ksd_hcports_release(struct ksd_hcports *hc)
{
	for (size_t i = 0; i < hc->n; i++)
		drop(hc->ports[i]);
	free(hc->ports);
	hc->ports = NULL;
	hc->n = 0;
}
