// SPDX-License-Identifier: GPL-2.0
/*
 * The model; see model.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ksvc_text.h"
#include "log.h"
#include "model.h"

void ksd_model_init(struct ksd_model *m)
{
	memset(m, 0, sizeof(*m));
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void free_svc(struct ksd_model_svc *ms)
{
	size_t i;

	ksvc_service_release(&ms->ksvc);
	free(ms->lb_source_ranges);
	for (i = 0; i < ms->neps; i++) {
		free(ms->eps[i].node_name);
		free(ms->eps[i].zone);
		free_strv(ms->eps[i].hint_zones, ms->eps[i].nhint_zones);
		free_strv(ms->eps[i].hint_nodes, ms->eps[i].nhint_nodes);
	}
	free(ms->eps);
}

void ksd_model_release(struct ksd_model *m)
{
	free_strv(m->conflicts, m->nconflicts);
	size_t i;

	for (i = 0; i < m->n; i++)
		free_svc(&m->svcs[i]);
	free(m->svcs);
	ksd_model_init(m);
}

static void *xrealloc(void *p, size_t n, size_t sz)
{
	p = realloc(p, (n ? n : 1) * sz);
	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		abort();
	return d;
}

static char **dup_strv(char *const *v, size_t n)
{
	char **d = xrealloc(NULL, n, sizeof(*d));
	size_t i;

	for (i = 0; i < n; i++)
		d[i] = xstrdup(v[i]);
	return d;
}

static struct ksd_model_svc *push(struct ksd_model *m)
{
	struct ksd_model_svc *ms;

	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 64;
		m->svcs = xrealloc(m->svcs, m->cap, sizeof(*m->svcs));
	}
	ms = &m->svcs[m->n++];
	memset(ms, 0, sizeof(*ms));
	return ms;
}

static void add_frontend(struct ksd_model_svc *ms, uint8_t kind,
			 const struct ksvc_addr *addr)
{
	struct ksvc_frontend fe = { .kind = kind, .addr = *addr };
	size_t i;

	/* An address given twice (an external IP that is also the LB's)
	 * is one frontend, of the first kind it came as. */
	for (i = 0; i < ms->ksvc.nfrontends; i++)
		if (ksvc_addr_equal(&ms->ksvc.frontends[i].addr, addr))
			return;
	if (ms->ksvc.nfrontends == KSVC_FRONTENDS_MAX) {
		ksd_log(KSD_LOG_V2, "service %s: more than %d frontends, "
			"the rest are left out", ms->ksvc.name,
			KSVC_FRONTENDS_MAX);
		return;
	}
	if (ksvc_service_add_frontend(&ms->ksvc, &fe))
		abort();
}

static void frontends(struct ksd_model_svc *ms, const struct ksd_service *svc,
		      const struct ksd_lbpool *pool)
{
	struct ksvc_addr lb[2];
	size_t i, n;

	for (i = 0; i < svc->ncluster_ips; i++)
		add_frontend(ms, KSVC_FE_CLUSTER_IP, &svc->cluster_ips[i]);
	for (i = 0; i < svc->nexternal_ips; i++)
		add_frontend(ms, KSVC_FE_EXTERNAL_IP, &svc->external_ips[i]);
	/* A Proxy-mode load balancer sends traffic to the nodes itself;
	 * DNATing its address here would short-circuit it. */
	for (i = 0; i < svc->ningress; i++)
		if (svc->ingress[i].has_ip &&
		    svc->ingress[i].ip_mode != KSD_IP_MODE_PROXY)
			add_frontend(ms, KSVC_FE_LOAD_BALANCER_IP,
				     &svc->ingress[i].ip);
	/* What a cloud would have written into the status. */
	n = pool ? ksd_lbpool_get(pool, svc->meta.namespace, svc->meta.name,
				  lb) : 0;
	for (i = 0; i < n; i++)
		add_frontend(ms, KSVC_FE_LOAD_BALANCER_IP, &lb[i]);
	ms->ksvc.has |= KSVC_SVC_HAS_FRONTENDS;
}

static const struct ksd_slice_port *slice_port(const struct ksd_slice *sl,
					       const struct ksd_svc_port *sp)
{
	size_t i;

	for (i = 0; i < sl->nports; i++)
		if (sl->ports[i].port && sl->ports[i].proto == sp->proto &&
		    !strcmp(sl->ports[i].name, sp->name))
			return &sl->ports[i];
	return NULL;
}

static void add_ep(struct ksd_model_svc *ms, const struct ksd_endpoint *ep,
		   uint16_t port)
{
	struct ksd_model_ep *me;
	size_t i;

	/* An endpoint in two slices (while the controller moves it) is
	 * one: the first seen wins. */
	for (i = 0; i < ms->neps; i++)
		if (ms->eps[i].port == port &&
		    ksvc_addr_equal(&ms->eps[i].addr, &ep->addrs[0]))
			return;
	ms->eps = xrealloc(ms->eps, ms->neps + 1, sizeof(*ms->eps));
	me = &ms->eps[ms->neps++];
	memset(me, 0, sizeof(*me));
	me->addr = ep->addrs[0];
	me->port = port;
	me->ready = ksd_endpoint_ready(ep);
	me->serving = ksd_endpoint_serving(ep);
	me->terminating = ksd_endpoint_terminating(ep);
	me->node_name = xstrdup(ep->node_name);
	me->zone = xstrdup(ep->zone);
	me->has_hints = ep->has_hints;
	me->hint_zones = dup_strv(ep->hint_zones, ep->nhint_zones);
	me->nhint_zones = ep->nhint_zones;
	me->hint_nodes = dup_strv(ep->hint_nodes, ep->nhint_nodes);
	me->nhint_nodes = ep->nhint_nodes;
}

/* The flags a backend carries: its conditions, and whether it is on this
 * node. Never none of READY, SERVING and TERMINATING for the endpoints
 * sent (the kernel would read that as ready). */
static uint32_t be_flags(const struct ksd_model_ep *e, const char *node)
{
	uint32_t f = 0;

	if (e->ready)
		f |= KSVC_BE_F_READY;
	if (e->serving)
		f |= KSVC_BE_F_SERVING;
	if (e->terminating)
		f |= KSVC_BE_F_TERMINATING;
	if (node && *node && e->node_name && !strcmp(e->node_name, node))
		f |= KSVC_BE_F_LOCAL;
	return f;
}

static bool has_str(char *const *v, size_t n, const char *s)
{
	if (!s || !*s)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/*
 * kube-proxy's topologyModeFromHints (pkg/proxy/topology.go), over the
 * ready endpoints of one family: PreferSameNode when every one carries
 * node hints and one is hinted for this node; else PreferSameZone when
 * every one carries zone hints and one is hinted for this node's zone;
 * else none (every endpoint).
 */
enum topo { TOPO_NONE, TOPO_NODE, TOPO_ZONE };

static enum topo topo_mode(const struct ksd_model_svc *ms, uint16_t family,
			   const char *node, const char *zone)
{
	bool any = false, all_node = true, for_node = false;
	bool all_zone = true, for_zone = false;

	for (size_t i = 0; i < ms->neps; i++) {
		const struct ksd_model_ep *e = &ms->eps[i];

		if (e->addr.family != family || !e->ready)
			continue;
		any = true;
		if (!e->nhint_nodes)
			all_node = false;
		else if (has_str(e->hint_nodes, e->nhint_nodes, node))
			for_node = true;
		if (!e->nhint_zones)
			all_zone = false;
		else if (has_str(e->hint_zones, e->nhint_zones, zone))
			for_zone = true;
	}
	if (!any)
		return TOPO_NONE;
	if (all_node && for_node)
		return TOPO_NODE;
	if (all_zone && for_zone)
		return TOPO_ZONE;
	if (all_zone)
		ksd_log(KSD_LOG_V2, "model: %s: ignoring same-zone topology "
			"hints: %s", ms->ksvc.name, zone && *zone ?
			"none for this node's zone" :
			"this node has no zone label");
	return TOPO_NONE;
}

static bool topo_available(const struct ksd_model_ep *e, enum topo mode,
			   const char *node, const char *zone)
{
	switch (mode) {
	case TOPO_NODE:
		return has_str(e->hint_nodes, e->nhint_nodes, node);
	case TOPO_ZONE:
		return has_str(e->hint_zones, e->nhint_zones, zone);
	default:
		return true;
	}
}

/* kube-proxy's ExternallyAccessible(): eTP only applies to these. */
static bool externally_accessible(const struct ksd_service *svc)
{
	return svc->type == KSD_SVC_NODE_PORT ||
	       svc->type == KSD_SVC_LOAD_BALANCER ||
	       (svc->type == KSD_SVC_CLUSTER_IP && svc->nexternal_ips);
}

/* kube-proxy's ServicePort.UsesClusterEndpoints() and
 * UsesLocalEndpoints(): which of the two sets some traffic goes to. */
static bool uses_cluster(const struct ksd_service *svc)
{
	return svc->internal_policy != KSD_POLICY_LOCAL ||
	       (externally_accessible(svc) &&
		svc->external_policy != KSD_POLICY_LOCAL);
}

static bool uses_local(const struct ksd_service *svc)
{
	return svc->internal_policy == KSD_POLICY_LOCAL ||
	       (externally_accessible(svc) &&
		svc->external_policy == KSD_POLICY_LOCAL);
}

static void backends(struct ksd_model_svc *ms, const struct ksd_service *svc,
		     const struct ksd_svc_port *sp,
		     const struct ksd_slice *const *slices, size_t nslices,
		     const char *node, const char *zone)
{
	const struct ksd_slice_port *port;
	struct ksvc_backend be;
	enum topo mode4 = TOPO_NONE, mode6 = TOPO_NONE;
	bool cluster = uses_cluster(svc), local = uses_local(svc);
	size_t i, j;

	for (i = 0; i < nslices; i++) {
		/* FQDN slices name hosts, which a proxy cannot DNAT to. */
		if (!slices[i]->family)
			continue;
		port = slice_port(slices[i], sp);
		if (!port)
			continue;
		for (j = 0; j < slices[i]->nendpoints; j++)
			if (slices[i]->endpoints[j].naddrs)
				add_ep(ms, &slices[i]->endpoints[j],
				       port->port);
	}
	/*
	 * The kernel picks, per family and for the cluster and local sets
	 * apart, the ready backends or else the serving-and-terminating
	 * ones: it gets every endpoint that may be either, with its
	 * conditions. Those kube-proxy never uses (not ready, and not both
	 * serving and terminating) are left out.
	 */
	/* As kube-proxy's, topology only shapes a cluster set in use. */
	if (cluster) {
		mode4 = topo_mode(ms, AF_INET, node, zone);
		mode6 = topo_mode(ms, AF_INET6, node, zone);
	}
	for (i = 0; i < ms->neps; i++) {
		const struct ksd_model_ep *e = &ms->eps[i];
		enum topo mode = e->addr.family == AF_INET ? mode4 : mode6;

		if (!e->ready && !(e->serving && e->terminating))
			continue;
		/*
		 * Topology narrows the cluster set to the endpoints hinted
		 * for this node (zone); with a mode there is a ready one,
		 * so the serving+terminating fallback never applies to the
		 * cluster set. The local set ignores topology: a local
		 * endpoint hinted elsewhere stays when the service uses
		 * its local set (then in both sets, as the kernel has no
		 * "local set only" flag), and goes when it does not.
		 */
		if (!topo_available(e, mode, node, zone) &&
		    !(local && (be_flags(e, node) & KSVC_BE_F_LOCAL)))
			continue;
		ksvc_backend_init(&be);
		be.addr = e->addr;
		be.port = e->port;
		be.flags = be_flags(e, node);
		if (ksvc_service_add_backend(&ms->ksvc, &be))
			abort();
	}
	if (ms->ksvc.nbackends > 1)
		qsort(ms->ksvc.backends, ms->ksvc.nbackends,
		      sizeof(*ms->ksvc.backends), ksvc_backend_cmp);
	ms->ksvc.has |= KSVC_SVC_HAS_BACKENDS;
}

/* Session affinity, the traffic policies and the source ranges. */
static void policies(struct ksd_model_svc *ms, const struct ksd_service *svc)
{
	size_t i;

	ms->ksvc.affinity = 0;
	if (svc->affinity == KSD_AFFINITY_CLIENT_IP)
		ms->ksvc.affinity = svc->affinity_timeout ?
				    svc->affinity_timeout :
				    KSVC_AFFINITY_TIMEOUT_DEFAULT;
	if (ms->ksvc.affinity > KSVC_AFFINITY_TIMEOUT_MAX)
		ms->ksvc.affinity = KSVC_AFFINITY_TIMEOUT_MAX;
	ms->ksvc.flags = 0;
	if (svc->external_policy == KSD_POLICY_LOCAL &&
	    externally_accessible(svc))
		ms->ksvc.flags |= KSVC_SVC_F_EXTERNAL_LOCAL;
	if (svc->internal_policy == KSD_POLICY_LOCAL)
		ms->ksvc.flags |= KSVC_SVC_F_INTERNAL_LOCAL;
	for (i = 0; i < svc->nlb_source_ranges; i++) {
		if (i == KSVC_SOURCE_RANGES_MAX) {
			/* Fewer ranges admit fewer sources: never more. */
			ksd_log(KSD_LOG_V2, "service %s: more than %d "
				"loadBalancerSourceRanges, the rest are left "
				"out", ms->ksvc.name, KSVC_SOURCE_RANGES_MAX);
			break;
		}
		if (ksvc_service_add_source_range(&ms->ksvc,
						  &svc->lb_source_ranges[i]))
			abort();
	}
	ms->ksvc.has |= KSVC_SVC_HAS_AFFINITY | KSVC_SVC_HAS_FLAGS |
			KSVC_SVC_HAS_SOURCE_RANGES;
}

static const char *skip_reason(const struct ksd_service *svc)
{
	if (svc->type == KSD_SVC_EXTERNAL_NAME)
		return "ExternalName";
	if (ksd_meta_label(&svc->meta, KSD_LABEL_SERVICE_PROXY_NAME))
		return "labelled " KSD_LABEL_SERVICE_PROXY_NAME;
	if (svc->headless)
		return "headless";
	if (!svc->ncluster_ips)
		return "no cluster IP";
	return NULL;
}

int ksd_model_add_service(struct ksd_model *m, const struct ksd_service *svc,
			  const struct ksd_slice *const *slices,
			  size_t nslices)
{
	const struct ksd_slice **mine;
	const char *why = skip_reason(svc);
	char name[KSVC_NAME_MAX + 1];
	size_t i, n = 0;
	int added = 0;

	if (why) {
		ksd_log(KSD_LOG_V2, "Service %s/%s: skipped: %s",
			svc->meta.namespace, svc->meta.name, why);
		return 0;
	}
	mine = xrealloc(NULL, nslices, sizeof(*mine));
	for (i = 0; i < nslices; i++)
		if (slices[i]->service_name &&
		    !strcmp(slices[i]->service_name, svc->meta.name) &&
		    !strcmp(slices[i]->meta.namespace, svc->meta.namespace))
			mine[n++] = slices[i];

	for (i = 0; i < svc->nports; i++) {
		const struct ksd_svc_port *sp = &svc->ports[i];
		struct ksd_model_svc *ms;

		if (*sp->name)
			snprintf(name, sizeof(name), "%s/%s:%s",
				 svc->meta.namespace, svc->meta.name, sp->name);
		else
			snprintf(name, sizeof(name), "%s/%s",
				 svc->meta.namespace, svc->meta.name);
		ms = push(m);
		if (ksvc_service_set_name(&ms->ksvc, name)) {
			ksd_log(KSD_LOG_V2, "Service %s/%s: port %s skipped: "
				"name too long", svc->meta.namespace,
				svc->meta.name, sp->name);
			m->n--;
			continue;
		}
		ms->ksvc.has = KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |
			       KSVC_SVC_HAS_NODE_PORT;
		ms->ksvc.proto = sp->proto;
		ms->ksvc.port = sp->port;
		if (svc->type == KSD_SVC_NODE_PORT ||
		    svc->type == KSD_SVC_LOAD_BALANCER)
			ms->ksvc.node_port = sp->node_port;
		frontends(ms, svc, m->lbpool);
		backends(ms, svc, sp, mine, n, m->node_name, m->zone);
		policies(ms, svc);
		ms->affinity = svc->affinity;
		ms->affinity_timeout = svc->affinity_timeout;
		ms->external_policy = svc->external_policy;
		ms->internal_policy = svc->internal_policy;
		ms->traffic_distribution = svc->traffic_distribution;
		ms->health_check_node_port = svc->health_check_node_port;
		ms->created = svc->meta.created;
		ms->nlb_source_ranges = svc->nlb_source_ranges;
		ms->lb_source_ranges = xrealloc(NULL, svc->nlb_source_ranges,
						sizeof(*ms->lb_source_ranges));
		memcpy(ms->lb_source_ranges, svc->lb_source_ranges,
		       svc->nlb_source_ranges * sizeof(*ms->lb_source_ranges));
		added++;
	}
	free(mine);
	return added;
}

static int cmp_svc(const void *a, const void *b)
{
	const struct ksd_model_svc *x = a, *y = b;

	return strcmp(x->ksvc.name, y->ksvc.name);
}

void ksd_model_sort(struct ksd_model *m)
{
	if (m->n > 1)
		qsort(m->svcs, m->n, sizeof(*m->svcs), cmp_svc);
}

/* Slices by (namespace, service name), for a range per service. */
static int cmp_owner(const void *a, const void *b)
{
	const struct ksd_slice *x = *(const struct ksd_slice *const *)a;
	const struct ksd_slice *y = *(const struct ksd_slice *const *)b;
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	if (c)
		return c;
	c = strcmp(x->service_name, y->service_name);
	return c ? c : strcmp(x->meta.name, y->meta.name);
}

static int cmp_owner_key(const struct ksd_slice *s, const char *ns,
			 const char *name)
{
	int c = strcmp(s->meta.namespace, ns);

	return c ? c : strcmp(s->service_name, name);
}

void ksd_model_build(struct ksd_model *m, const struct ksd_store *st)
{
	const struct ksd_slice **idx;
	size_t i, n = 0, lo, hi;

	idx = xrealloc(NULL, st->nslices, sizeof(*idx));
	for (i = 0; i < st->nslices; i++)
		if (st->slices[i]->service_name)
			idx[n++] = st->slices[i];
	if (n > 1)
		qsort(idx, n, sizeof(*idx), cmp_owner);

	for (i = 0; i < st->nsvcs; i++) {
		const struct ksd_meta *meta = &st->svcs[i]->meta;

		lo = 0;
		hi = n;
		while (lo < hi) {	/* first slice at or after the key */
			size_t mid = lo + (hi - lo) / 2;

			if (cmp_owner_key(idx[mid], meta->namespace,
					  meta->name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (hi = lo; hi < n && !cmp_owner_key(idx[hi], meta->namespace,
						       meta->name); hi++)
			;
		ksd_model_add_service(m, st->svcs[i], idx + lo, hi - lo);
	}
	free(idx);
	ksd_model_sort(m);
	ksd_model_resolve(m);
}

/* One claim on a key the kernel keeps unique: an IP frontend of m->svcs[svc]
 * (its frontends[fe]) or, with np, its node port. */
struct claim {
	const struct ksd_model_svc *owner;
	size_t svc, fe;
	bool np;
	uint16_t port;		/* the service port, or the node port */
};

static const struct ksvc_addr *claim_addr(const struct claim *c)
{
	static const struct ksvc_addr none;

	return c->np ? &none : &c->owner->ksvc.frontends[c->fe].addr;
}

static int cmp_key(const struct claim *x, const struct claim *y)
{
	const struct ksvc_addr *a = claim_addr(x), *b = claim_addr(y);

	if (x->np != y->np)
		return x->np - y->np;
	if (x->owner->ksvc.proto != y->owner->ksvc.proto)
		return x->owner->ksvc.proto - y->owner->ksvc.proto;
	if (x->port != y->port)
		return x->port - y->port;
	if (a->family != b->family)
		return a->family - b->family;
	return memcmp(a->raw, b->raw, ksvc_addr_len(a->family));
}

/* Who keeps a key: a cluster IP (the API allocated it to its Service),
 * then a load-balancer IP, then an external IP (anyone may write one). */
static int claim_rank(const struct claim *c)
{
	if (c->np)
		return 0;
	switch (c->owner->ksvc.frontends[c->fe].kind) {
	case KSVC_FE_CLUSTER_IP:
		return 0;
	case KSVC_FE_LOAD_BALANCER_IP:
		return 1;
	default:
		return 2;
	}
}

/* By key, then the claim that wins first: by rank, the oldest, by name. */
static int cmp_claim(const void *p, const void *q)
{
	const struct claim *x = p, *y = q;
	int c = cmp_key(x, y);

	if (c)
		return c;
	if (claim_rank(x) != claim_rank(y))
		return claim_rank(x) - claim_rank(y);
	if (x->owner->created != y->owner->created)
		return x->owner->created < y->owner->created ? -1 : 1;
	return x->svc < y->svc ? -1 : x->svc > y->svc;
}

static void note_conflict(struct ksd_model *m, const struct claim *won,
			  const struct claim *lost)
{
	const struct ksvc_service *k = &won->owner->ksvc;
	char addr[64], line[3 * KSVC_NAME_MAX + 128];

	if (won->np)
		snprintf(line, sizeof(line), "%s node port %u: %s keeps it, "
			 "%s goes without", ksvc_proto_name(k->proto),
			 k->node_port, k->name, lost->owner->ksvc.name);
	else
		snprintf(line, sizeof(line), "%s %s%s%s:%u: %s keeps it, "
			 "%s goes without", ksvc_proto_name(k->proto),
			 claim_addr(won)->family == AF_INET6 ? "[" : "",
			 ksvc_format_addr(claim_addr(won), addr, sizeof(addr)),
			 claim_addr(won)->family == AF_INET6 ? "]" : "",
			 k->port, k->name, lost->owner->ksvc.name);
	m->conflicts = xrealloc(m->conflicts, m->nconflicts + 1,
				sizeof(*m->conflicts));
	m->conflicts[m->nconflicts++] = xstrdup(line);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ksd_model_resolve(struct ksd_model *m)
{
	struct claim *c;
	size_t i, j, n = 0, nclaims = 0;

	for (i = 0; i < m->n; i++)
		nclaims += m->svcs[i].ksvc.nfrontends + 1;
	c = xrealloc(NULL, nclaims, sizeof(*c));
	for (i = 0; i < m->n; i++) {
		const struct ksd_model_svc *ms = &m->svcs[i];

		for (j = 0; j < ms->ksvc.nfrontends; j++)
			c[n++] = (struct claim){ ms, i, j, false,
						 ms->ksvc.port };
		if (ms->ksvc.node_port)
			c[n++] = (struct claim){ ms, i, 0, true,
						 ms->ksvc.node_port };
	}
	if (n > 1)
		qsort(c, n, sizeof(*c), cmp_claim);
	/* The first of each key wins; the others lose their node port, or
	 * their frontend is marked (kind 0) and dropped below. Keys compare
	 * by what the claims hold, so neither changes the grouping. */
	for (i = 0; i + 1 < n; i = j) {
		for (j = i + 1; j < n && !cmp_key(&c[i], &c[j]); j++) {
			struct ksvc_service *ks = &m->svcs[c[j].svc].ksvc;

			note_conflict(m, &c[i], &c[j]);
			if (c[j].np)
				ks->node_port = 0;
			else
				ks->frontends[c[j].fe].kind = 0;
		}
	}
	free(c);
	for (i = 0; i < m->n; i++) {
		struct ksvc_service *ks = &m->svcs[i].ksvc;
		size_t w = 0;

		for (j = 0; j < ks->nfrontends; j++)
			if (ks->frontends[j].kind)
				ks->frontends[w++] = ks->frontends[j];
		ks->nfrontends = w;
	}
	if (m->nconflicts > 1)
		qsort(m->conflicts, m->nconflicts, sizeof(*m->conflicts),
		      cmp_str);
}

const struct ksd_model_svc *ksd_model_find(const struct ksd_model *m,
					   const char *name)
{
	struct ksd_model_svc key;

	if (strlen(name) >= sizeof(key.ksvc.name))
		return NULL;
	strcpy(key.ksvc.name, name);
	if (!m->n)
		return NULL;
	return bsearch(&key, m->svcs, m->n, sizeof(*m->svcs), cmp_svc);
}
