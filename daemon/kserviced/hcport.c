// SPDX-License-Identifier: GPL-2.0
/*
 * The healthCheckNodePort servers; see hcport.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "hcport.h"
#include "log.h"

struct ksd_hcport {
	struct ksd_hcports *hc;
	uint16_t port;
	char *ns, *name;
	unsigned int local;
	struct ksd_http *http;		/* NULL: it could not listen */
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
		      const char *healthz_bind, bool (*healthy)(void *arg),
		      void *arg)
{
	struct sockaddr_storage ss;

	memset(hc, 0, sizeof(*hc));
	hc->loop = loop;
	hc->healthy = healthy;
	hc->arg = arg;
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
		     "\t\t\"name\": \"%s\"\n\t},\n\t\"localEndpoints\": %u,\n"
		     "\t\"serviceProxyHealthy\": %s\n}", p->ns, p->name,
		     p->local, healthy ? "true" : "false");
	if (n < 0) {
		*body = NULL;
		return -ENOMEM;
	}
	*len = (size_t)n;
	*status = p->local && healthy ? 200 : 503;
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

static void drop(struct ksd_hcport *p)
{
	ksd_http_stop(p->http);
	free(p->ns);
	free(p->name);
	free(p);
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

static unsigned int local_ready(const struct ksd_model_svc *ms,
				const char *node)
{
	unsigned int n = 0;

	if (!node || !*node)
		return 0;
	for (size_t i = 0; i < ms->neps; i++)
		if (ms->eps[i].ready && ms->eps[i].node_name &&
		    !strcmp(ms->eps[i].node_name, node))
			n++;
	return n;
}

void ksd_hcports_update(struct ksd_hcports *hc, const struct ksd_model *m)
{
	size_t i, j;

	for (i = 0; i < hc->n; i++) {
		hc->ports[i]->seen = false;
		hc->ports[i]->local = 0;
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
			char bind[96];
			int ret;

			p = calloc(1, sizeof(*p));
			arr = realloc(hc->ports,
				      (hc->n + 1) * sizeof(*hc->ports));
			if (!p || !arr)
				abort();
			hc->ports = arr;
			hc->ports[hc->n++] = p;
			p->hc = hc;
			p->port = ms->health_check_node_port;
			snprintf(bind, sizeof(bind), "%s:%u", hc->host,
				 p->port);
			ret = ksd_http_start(&p->http, hc->loop, bind,
					     p->port, serve, p);
			if (ret && !strcmp(hc->host, "[::]")) {
				/* No IPv6 on this host: IPv4 alone. */
				snprintf(bind, sizeof(bind), "0.0.0.0:%u",
					 p->port);
				ret = ksd_http_start(&p->http, hc->loop, bind,
						     p->port, serve, p);
			}
			if (ret)
				ksd_err("healthCheckNodePort %u of %s/%s: "
					"cannot listen on %s: %s", p->port,
					ns, name, bind, strerror(-ret));
			else
				ksd_info("healthCheckNodePort %u of %s/%s: "
					 "listening on %s", p->port, ns, name,
					 bind);
		}
		if (!p->ns || strcmp(p->ns, ns) || strcmp(p->name, name)) {
			free(p->ns);
			free(p->name);
			p->ns = ns;
			p->name = name;
		} else {
			free(ns);
			free(name);
		}
		p->seen = true;
		p->local += local_ready(ms, m->node_name);
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
			return hc->ports[i]->http ?
			       (int)hc->ports[i]->local : -1;
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
