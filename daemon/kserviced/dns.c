// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster DNS answers; see dns.h. A query is parsed by ldns; the name is
 * lowercased and cut into the labels below the zone, which decide what it
 * names; the records come from the store; ldns writes the reply.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <ldns/ldns.h>

#include "dns.h"
#include "log.h"
#include "ksvc_text.h"

/* SOA timers, as CoreDNS's: refresh 2 h, retry 30 min, expire 1 day. */
#define SOA_REFRESH	7200
#define SOA_RETRY	1800
#define SOA_EXPIRE	86400
#define RCODE_BADVERS	16
/* Longest name the spec makes: 5 labels below the zone. */
#define LABELS_MAX	8
/* ExternalName services pointing at each other in the zone: at most so
 * many CNAMEs followed (RFC 1034 loops end here). */
#define CHASE_MAX	8

struct label {
	const char *p;
	size_t len;
};

/* What one query needs while it is answered. */
/* The records of a section, by hash, to leave duplicates out in
 * constant time (a headless service may have thousands of endpoints). */
struct seen {
	const ldns_rr **slot;
	size_t cap, n;			/* cap: 0 or a power of 2 */
};

struct query {
	struct ksd_dns *dns;
	const ldns_rdf *qname;		/* as asked: owner of the answers */
	ldns_rr_type qtype;
	struct label l[LABELS_MAX];	/* below the zone, leftmost first */
	size_t n;
	ldns_rr_list *an, *ns, *ar;
	struct seen seen[3];		/* of an, ns, ar */
	/* More answers than this cannot fit the reply: stop, truncate. */
	size_t max_rrs;
	bool truncated;
	ldns_pkt_rcode rcode;
	bool aa;
	bool exists;			/* the name exists (NODATA, not NX) */
	/* An ExternalName's target, to follow when it is in the zone. */
	const ldns_rdf *cname;
};

const char *ksd_dns_rcode_name(unsigned int rcode)
{
	static const char *const names[KSD_DNS_RCODES] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", [RCODE_BADVERS] = "BADVERS",
	};

	return rcode < KSD_DNS_RCODES ? names[rcode] : NULL;
}

static ldns_rdf *dname(const char *s)
{
	ldns_rdf *d = ldns_dname_new_frm_str(s);

	if (d)
		ldns_dname2canonical(d);
	return d;
}

int ksd_dns_init(struct ksd_dns *dns, const char *domain, uint32_t ttl,
		 const struct ksd_store *store)
{
	char buf[LDNS_MAX_DOMAINLEN + 32];
	size_t len = strlen(domain);

	memset(dns, 0, sizeof(*dns));
	dns->ttl = ttl;
	dns->store = store;
	if (len && domain[len - 1] == '.')
		len--;
	if (!len || len > LDNS_MAX_DOMAINLEN - 16 || domain[0] == '.')
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%.*s.", (int)len, domain);
	dns->zone = dname(buf);
	snprintf(buf, sizeof(buf), "ns.dns.%.*s.", (int)len, domain);
	dns->mname = dname(buf);
	snprintf(buf, sizeof(buf), "hostmaster.%.*s.", (int)len, domain);
	dns->rname = dname(buf);
	if (!dns->zone || !dns->mname || !dns->rname ||
	    ldns_dname_label_count(dns->zone) < 1) {
		ksd_dns_release(dns);
		return -EINVAL;
	}
	return 0;
}

void ksd_dns_release(struct ksd_dns *dns)
{
	ldns_rdf_deep_free(dns->zone);
	ldns_rdf_deep_free(dns->mname);
	ldns_rdf_deep_free(dns->rname);
	dns->zone = dns->mname = dns->rname = NULL;
}

/* --- names --- */

static bool is(const struct label *l, const char *s)
{
	return l->len == strlen(s) && !strncasecmp(l->p, s, l->len);
}

/* A label as a C string, for the store's lookups; false when it cannot
 * be a Kubernetes name (too long, a NUL inside). */
static bool cstr(const struct label *l, char *buf, size_t size)
{
	if (l->len >= size || memchr(l->p, 0, l->len))
		return false;
	memcpy(buf, l->p, l->len);
	buf[l->len] = 0;
	return true;
}

/* The first n labels of a wire-format name (ldns checked it). */
static size_t labels(const ldns_rdf *name, struct label *l, size_t n)
{
	const uint8_t *d = ldns_rdf_data(name);
	size_t size = ldns_rdf_size(name), off = 0, i;

	for (i = 0; i < n && off < size && d[off]; i++) {
		l[i].len = d[off];
		l[i].p = (const char *)d + off + 1;
		off += 1 + d[off];
	}
	return i;
}

/* "name.ns.svc.ZONE." (prefix: "ep." or ""), as a dname. */
static ldns_rdf *svc_name(const struct query *qr, const char *prefix,
			  const struct ksd_service *svc)
{
	char buf[LDNS_MAX_DOMAINLEN * 4 + 1], *zone;
	ldns_rdf *d;

	zone = ldns_rdf2str(qr->dns->zone);
	if (!zone)
		return NULL;
	snprintf(buf, sizeof(buf), "%s%s%s.%s.svc.%s", prefix,
		 *prefix ? "." : "", svc->meta.name, svc->meta.namespace,
		 zone);
	free(zone);
	d = ldns_dname_new_frm_str(buf);
	return d;
}

/* --- records --- */

static ldns_rr *rr_new(const struct query *qr, const ldns_rdf *owner,
		       ldns_rr_type type)
{
	ldns_rr *rr = ldns_rr_new();

	if (!rr)
		return NULL;
	ldns_rr_set_type(rr, type);
	ldns_rr_set_owner(rr, ldns_rdf_clone(owner));
	ldns_rr_set_ttl(rr, qr->dns->ttl);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	return rr;
}

/* Takes rdf; pushes and returns false when out of memory. */
static bool push_rdf(ldns_rr *rr, ldns_rdf *rdf)
{
	if (!rdf)
		return false;
	if (!ldns_rr_push_rdf(rr, rdf)) {
		ldns_rdf_deep_free(rdf);
		return false;
	}
	return true;
}

/* Same type, owner and data. ldns_rr_compare() would write both to wire
 * form for each pair: too dear for a headless service's thousand
 * endpoints. */
static bool same_rr(const ldns_rr *a, const ldns_rr *b)
{
	size_t i;

	if (ldns_rr_get_type(a) != ldns_rr_get_type(b) ||
	    ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return false;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)))
			return false;
	return !ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b));
}

/* FNV-1a over the type, the data and the owner (case folded). */
static uint64_t rr_hash(const ldns_rr *rr)
{
	const ldns_rdf *owner = ldns_rr_owner(rr);
	uint64_t h = 14695981039346656037ULL ^ ldns_rr_get_type(rr);
	size_t i, j;

	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *d = ldns_rr_rdf(rr, i);

		for (j = 0; j < ldns_rdf_size(d); j++)
			h = (h ^ ldns_rdf_data(d)[j]) * 1099511628211ULL;
	}
	for (j = 0; j < ldns_rdf_size(owner); j++) {
		uint8_t c = ldns_rdf_data(owner)[j];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211ULL;
	}
	return h;
}

/* Adds rr to s: 1 when an equal one is there already, 0, -ENOMEM. */
static int seen_add(struct seen *s, const ldns_rr *rr)
{
	size_t i;

	if (2 * (s->n + 1) > s->cap) {
		struct seen bigger = { .cap = s->cap ? 2 * s->cap : 64 };

		bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
		if (!bigger.slot)
			return -ENOMEM;
		for (i = 0; i < s->cap; i++)
			if (s->slot[i])
				seen_add(&bigger, s->slot[i]);
		free(s->slot);
		*s = bigger;
	}
	for (i = rr_hash(rr) & (s->cap - 1); s->slot[i];
	     i = (i + 1) & (s->cap - 1))
		if (same_rr(s->slot[i], rr))
			return 1;
	s->slot[i] = rr;
	s->n++;
	return 0;
}

/* Takes rr into a section of qr, unless an equal one is there. Past
 * max_rrs answers the reply cannot fit: -E2BIG, and it is truncated;
 * additional records past it are only left out. */
static int add(struct query *qr, ldns_rr_list *list, ldns_rr *rr)
{
	struct seen *s = &qr->seen[list == qr->an ? 0 : list == qr->ns ? 1 : 2];
	int ret;

	if (!rr)
		return -ENOMEM;
	if (ldns_rr_list_rr_count(list) >= qr->max_rrs) {
		ldns_rr_free(rr);
		if (list != qr->an)
			return 0;
		qr->truncated = true;
		return -E2BIG;
	}
	ret = seen_add(s, rr);
	if (ret) {
		ldns_rr_free(rr);
		return ret < 0 ? ret : 0;
	}
	if (!ldns_rr_list_push_rr(list, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

static ldns_rr_type addr_type(const struct ksvc_addr *a)
{
	return a->family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
}

/* An A or AAAA record of a, when the query asks for that type (or ANY),
 * into list. */
static int add_addr(struct query *qr, ldns_rr_list *list,
		    const ldns_rdf *owner, const struct ksvc_addr *a,
		    bool always)
{
	ldns_rr_type t = addr_type(a);
	ldns_rr *rr;

	if (!always && qr->qtype != t && qr->qtype != LDNS_RR_TYPE_ANY)
		return 0;
	rr = rr_new(qr, owner, t);
	if (rr && !push_rdf(rr, ldns_rdf_new_frm_data(t == LDNS_RR_TYPE_A ?
						       LDNS_RDF_TYPE_A :
						       LDNS_RDF_TYPE_AAAA,
						       ksvc_addr_len(a->family),
						       a->raw))) {
		ldns_rr_free(rr);
		rr = NULL;
	}
	return add(qr, list, rr);
}

/* Every address of an endpoint of the type asked, into the answer. */
static int add_addrs(struct query *qr, const ldns_rdf *owner,
		     const struct ksd_endpoint *ep)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < ep->naddrs && !ret; i++)
		ret = add_addr(qr, qr->an, owner, &ep->addrs[i], false);
	return ret;
}

static int add_soa(struct query *qr, ldns_rr_list *list)
{
	ldns_rr *rr = rr_new(qr, qr->dns->zone, LDNS_RR_TYPE_SOA);
	/* A serial that moves when the objects do. */
	uint32_t serial = (uint32_t)qr->dns->store->changes;

	if (rr && !(push_rdf(rr, ldns_rdf_clone(qr->dns->mname)) &&
		    push_rdf(rr, ldns_rdf_clone(qr->dns->rname)) &&
		    push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_INT32,
						       serial)) &&
		    push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD,
						       SOA_REFRESH)) &&
		    push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD,
						       SOA_RETRY)) &&
		    push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD,
						       SOA_EXPIRE)) &&
		    push_rdf(rr, ldns_native2rdf_int32(LDNS_RDF_TYPE_PERIOD,
						       qr->dns->ttl)))) {
		ldns_rr_free(rr);
		rr = NULL;
	}
	return add(qr, list, rr);
}

/* Takes target; none (a name longer than DNS allows, from a long
 * cluster domain) leaves the record out. */
static int add_name_rr(struct query *qr, ldns_rr_list *list,
		       const ldns_rdf *owner, ldns_rr_type type,
		       ldns_rdf *target)
{
	ldns_rr *rr;

	if (!target)
		return 0;
	rr = rr_new(qr, owner, type);
	if (!rr) {
		ldns_rdf_deep_free(target);
		return -ENOMEM;
	}
	if (!push_rdf(rr, target)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return add(qr, list, rr);
}

/* Takes target (none: left out, as add_name_rr()). */
static int add_srv(struct query *qr, uint16_t weight, uint16_t port,
		   ldns_rdf *target)
{
	ldns_rr *rr;

	if (!target)
		return 0;
	rr = rr_new(qr, qr->qname, LDNS_RR_TYPE_SRV);
	if (!rr) {
		ldns_rdf_deep_free(target);
		return -ENOMEM;
	}
	if (!(push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 0)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
						 weight)) &&
	      push_rdf(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port)) &&
	      push_rdf(rr, target))) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return add(qr, qr->an, rr);
}

/* --- the store --- */

static const struct ksd_service *find_svc(const struct query *qr,
					  const struct label *name,
					  const struct label *ns)
{
	char n[254], s[254];

	if (!cstr(name, n, sizeof(n)) || !cstr(ns, s, sizeof(s)))
		return NULL;
	return ksd_store_service(qr->dns->store, s, n);
}

static bool ns_exists(const struct query *qr, const struct label *ns)
{
	char s[254];

	return cstr(ns, s, sizeof(s)) &&
	       ksd_store_has_namespace(qr->dns->store, s);
}

/* The service's slices, from the store's index: those of an address
 * family (an FQDN slice names hosts, not addresses) are the caller's. */
static struct ksd_slice *const *slices_of(const struct query *qr,
					  const struct ksd_service *svc,
					  size_t *n)
{
	return ksd_store_service_slices(qr->dns->store, svc->meta.namespace,
					svc->meta.name, n);
}

/* The name of a headless endpoint under its service: its hostname, else
 * its address with '-' for '.' and ':' (as CoreDNS's). */
static void ep_label(const struct ksd_endpoint *ep, char *buf, size_t size)
{
	char *c;

	if (ep->hostname && *ep->hostname) {
		snprintf(buf, size, "%s", ep->hostname);
		return;
	}
	ksvc_format_addr(&ep->addrs[0], buf, size);
	for (c = buf; *c; c++)
		if (*c == '.' || *c == ':')
			*c = '-';
}

static bool ep_usable(const struct ksd_endpoint *ep)
{
	return ep->naddrs && ksd_endpoint_ready(ep);
}

/* A cursor over the usable endpoints of a service's slices. */
struct ep_iter {
	struct ksd_slice *const *sl;
	size_t n, slice, ep;
};

static void ep_iter_init(struct ep_iter *it, const struct query *qr,
			 const struct ksd_service *svc)
{
	memset(it, 0, sizeof(*it));
	it->sl = slices_of(qr, svc, &it->n);
}

static const struct ksd_endpoint *next_ep(struct ep_iter *it)
{
	for (; it->slice < it->n; it->slice++, it->ep = 0) {
		const struct ksd_slice *sl = it->sl[it->slice];

		if (!sl->family)
			continue;
		while (it->ep < sl->nendpoints) {
			const struct ksd_endpoint *ep = &sl->endpoints[it->ep++];

			if (ep_usable(ep))
				return ep;
		}
	}
	return NULL;
}

/* --- what the names answer --- */

static bool has_cluster_ips(const struct ksd_service *svc)
{
	return svc->type != KSD_SVC_EXTERNAL_NAME && !svc->headless &&
	       svc->ncluster_ips;
}

/* The CNAME of an ExternalName service, whatever the type asked: the
 * name is an alias (RFC 1034 3.6.2). A target in the zone is followed
 * here (resolve()); one outside is the client's to follow. */
static int answer_external(struct query *qr, const struct ksd_service *svc)
{
	char buf[LDNS_MAX_DOMAINLEN + 2];
	size_t len, n;
	ldns_rdf *target;
	int ret;

	if (!svc->external_name || !*svc->external_name)
		return 0;
	len = strlen(svc->external_name);
	if (len > LDNS_MAX_DOMAINLEN)
		return 0;
	snprintf(buf, sizeof(buf), "%s%s", svc->external_name,
		 svc->external_name[len - 1] == '.' ? "" : ".");
	target = ldns_dname_new_frm_str(buf);
	if (!target)
		return 0;	/* not a name: NODATA */
	n = ldns_rr_list_rr_count(qr->an);
	ret = add_name_rr(qr, qr->an, qr->qname, LDNS_RR_TYPE_CNAME, target);
	/* A new one (not a loop back to a CNAME given already): follow. */
	if (!ret && ldns_rr_list_rr_count(qr->an) > n)
		qr->cname = ldns_rr_rdf(ldns_rr_list_rr(qr->an, n), 0);
	return ret;
}

/* SVC.NS.svc.ZONE */
static int answer_service(struct query *qr, const struct ksd_service *svc)
{
	const struct ksd_endpoint *ep;
	struct ep_iter it;
	size_t i;
	int ret = 0;

	if (svc->type == KSD_SVC_EXTERNAL_NAME)
		return answer_external(qr, svc);
	if (!svc->headless) {
		for (i = 0; i < svc->ncluster_ips && !ret; i++)
			ret = add_addr(qr, qr->an, qr->qname,
				       &svc->cluster_ips[i], false);
		return ret;
	}
	/* Headless: every address of every ready endpoint. Without one
	 * the name does not exist (the spec's NXDOMAIN). */
	qr->exists = false;
	ep_iter_init(&it, qr, svc);
	while (!ret && (ep = next_ep(&it))) {
		qr->exists = true;
		ret = add_addrs(qr, qr->qname, ep);
	}
	return ret;
}

/* EP.SVC.NS.svc.ZONE: a headless service's endpoint. */
static int answer_endpoint(struct query *qr, const struct ksd_service *svc,
			   const struct label *ep_name)
{
	char buf[KSVC_ADDR_STRLEN + 256];
	const struct ksd_endpoint *ep;
	struct ep_iter it;
	int ret = 0;

	if (!svc->headless || svc->type == KSD_SVC_EXTERNAL_NAME)
		return 0;
	ep_iter_init(&it, qr, svc);
	while (!ret && (ep = next_ep(&it))) {
		ep_label(ep, buf, sizeof(buf));
		if (!is(ep_name, buf))
			continue;
		qr->exists = true;
		ret = add_addrs(qr, qr->qname, ep);
	}
	return ret;
}

static const char *proto_label(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "_tcp";
	case IPPROTO_UDP:
		return "_udp";
	case IPPROTO_SCTP:
		return "_sctp";
	}
	return "";
}

/* _PROTO.SVC... (port NULL: does a named port of that protocol exist?) or
 * _PORT._PROTO.SVC...: the named port, or NULL. */
static const struct ksd_svc_port *find_port(const struct ksd_service *svc,
					    const struct label *port,
					    const struct label *proto)
{
	size_t i;

	if (proto->len < 2 || proto->p[0] != '_' ||
	    (port && (port->len < 2 || port->p[0] != '_')))
		return NULL;
	for (i = 0; i < svc->nports; i++) {
		const struct ksd_svc_port *sp = &svc->ports[i];
		struct label pn = { port ? port->p + 1 : NULL,
				    port ? port->len - 1 : 0 };

		if (!*sp->name || !is(proto, proto_label(sp->proto)))
			continue;
		if (!port || is(&pn, sp->name))
			return sp;
	}
	return NULL;
}

/* The additional A/AAAA records of an SRV target. */
static int glue(struct query *qr, const ldns_rdf *target,
		const struct ksvc_addr *a)
{
	return add_addr(qr, qr->ar, target, a, true);
}

/* _PORT._PROTO.SVC.NS.svc.ZONE */
static int answer_srv(struct query *qr, const struct ksd_service *svc,
		      const struct ksd_svc_port *sp)
{
	char buf[KSVC_ADDR_STRLEN + 256];
	struct ksd_slice *const *slices;
	size_t i, j, k, n, nslices;
	ldns_rdf *target;
	int ret = 0;

	if (qr->qtype != LDNS_RR_TYPE_SRV && qr->qtype != LDNS_RR_TYPE_ANY)
		return 0;
	if (!svc->headless) {
		if (!svc->ncluster_ips)
			return 0;
		target = svc_name(qr, "", svc);
		if (!target)
			return 0;
		ret = add_srv(qr, 100, sp->port, ldns_rdf_clone(target));
		for (i = 0; !ret && i < svc->ncluster_ips; i++)
			ret = glue(qr, target, &svc->cluster_ips[i]);
		ldns_rdf_deep_free(target);
		return ret;
	}
	/* Headless: one record per ready endpoint (a dual-stack one's two
	 * addresses are one target), at the slice's port of that name and
	 * protocol; CoreDNS's weights, 100 shared out, set once counted. */
	slices = slices_of(qr, svc, &nslices);
	for (i = 0; i < nslices && !ret; i++) {
		const struct ksd_slice *sl = slices[i];
		const struct ksd_slice_port *port = NULL;

		if (!sl->family)
			continue;
		for (j = 0; j < sl->nports; j++)
			if (sl->ports[j].port &&
			    sl->ports[j].proto == sp->proto &&
			    !strcmp(sl->ports[j].name, sp->name))
				port = &sl->ports[j];
		for (j = 0; port && j < sl->nendpoints && !ret; j++) {
			const struct ksd_endpoint *ep = &sl->endpoints[j];

			if (!ep_usable(ep))
				continue;
			ep_label(ep, buf, sizeof(buf));
			target = svc_name(qr, buf, svc);
			if (!target)
				continue;
			ret = add_srv(qr, 0, port->port,
				      ldns_rdf_clone(target));
			for (k = 0; !ret && k < ep->naddrs; k++)
				ret = glue(qr, target, &ep->addrs[k]);
			ldns_rdf_deep_free(target);
		}
	}
	/* Truncated (-E2BIG) too: those that go have their weights. */
	n = ldns_rr_list_rr_count(qr->an);
	for (k = 0; (!ret || ret == -E2BIG) && k < n; k++) {
		ldns_rdf *w = ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
						    (uint16_t)(100 / n));

		if (!w)
			return -ENOMEM;
		ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_rr_list_rr(qr->an, k),
						   w, 1));
	}
	return ret;
}

/* A-B-C-D.NS.pod.ZONE: the spec's deprecated (and still required) pod
 * records, as CoreDNS's "pods insecure": the address the name spells,
 * pod or not. IPv6 with '-' for ':'. */
static int answer_pod(struct query *qr, const struct label *name)
{
	char buf[KSVC_ADDR_STRLEN + 1], *c;
	struct ksvc_addr a;
	size_t dashes = 0;
	bool v4;

	if (!cstr(name, buf, sizeof(buf)) || strpbrk(buf, ".:"))
		return 0;
	for (c = buf; *c; c++)
		dashes += *c == '-';
	/* Three dashes and no hex letter: IPv4; else IPv6. */
	v4 = dashes == 3 && !strpbrk(buf, "abcdefABCDEF");
	for (c = buf; *c; c++)
		if (*c == '-')
			*c = v4 ? '.' : ':';
	if (ksvc_parse_addr(buf, &a, NULL))
		return 0;
	qr->exists = true;
	return add_addr(qr, qr->an, qr->qname, &a, false);
}

/* Names of the zone: l[] are the labels below it. */
static int answer_zone(struct query *qr)
{
	const struct label *l = qr->l;
	const struct ksd_service *svc;
	const struct ksd_svc_port *sp;
	size_t n = qr->n;

	qr->aa = true;
	if (!n) {
		qr->exists = true;
		if (qr->qtype == LDNS_RR_TYPE_SOA ||
		    qr->qtype == LDNS_RR_TYPE_ANY)
			if (add_soa(qr, qr->an))
				return -ENOMEM;
		if ((qr->qtype == LDNS_RR_TYPE_NS ||
		     qr->qtype == LDNS_RR_TYPE_ANY) &&
		    add_name_rr(qr, qr->an, qr->qname, LDNS_RR_TYPE_NS,
				ldns_rdf_clone(qr->dns->mname)))
			return -ENOMEM;
		if (qr->qtype == LDNS_RR_TYPE_NS && qr->dns->has_ns_addr)
			return glue(qr, qr->dns->mname, &qr->dns->ns_addr);
		return 0;
	}
	if (n == 1 && is(&l[0], "dns-version")) {
		ldns_rdf *txt;

		qr->exists = true;
		if (qr->qtype != LDNS_RR_TYPE_TXT &&
		    qr->qtype != LDNS_RR_TYPE_ANY)
			return 0;
		txt = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_STR,
					   KSD_DNS_SCHEMA_VERSION);
		return add_name_rr(qr, qr->an, qr->qname, LDNS_RR_TYPE_TXT,
				   txt);
	}
	/* ns.dns.ZONE, the SOA's and NS's name, and dns.ZONE above it. */
	if (n == 1 && is(&l[0], "dns")) {
		qr->exists = true;
		return 0;
	}
	if (n == 2 && is(&l[0], "ns") && is(&l[1], "dns")) {
		qr->exists = true;
		if (!qr->dns->has_ns_addr)
			return 0;
		return add_addr(qr, qr->an, qr->qname, &qr->dns->ns_addr,
				false);
	}
	if (n == 3 && is(&l[2], "pod"))
		return answer_pod(qr, &l[0]);
	if (!is(&l[n - 1], "svc"))
		return 0;
	if (n == 1) {
		qr->exists = true;
		return 0;
	}
	if (n == 2) {
		qr->exists = ns_exists(qr, &l[0]);
		return 0;
	}
	svc = find_svc(qr, &l[n - 3], &l[n - 2]);
	if (!svc)
		return 0;
	switch (n) {
	case 3:
		qr->exists = true;
		return answer_service(qr, svc);
	case 4:
		if (svc->type == KSD_SVC_EXTERNAL_NAME)
			return 0;
		if (find_port(svc, NULL, &l[0])) {
			qr->exists = true;	/* _PROTO.SVC...: in between */
			return 0;
		}
		return answer_endpoint(qr, svc, &l[0]);
	case 5:
		if (svc->type == KSD_SVC_EXTERNAL_NAME)
			return 0;
		sp = find_port(svc, &l[0], &l[1]);
		if (!sp)
			return 0;
		qr->exists = true;
		return answer_srv(qr, svc, sp);
	}
	return 0;
}

/* --- reverse names --- */

/* d.c.b.a.in-addr.arpa or the 32 nibbles of ip6.arpa; false when the
 * name is not a whole address's. */
static bool reverse_addr(const ldns_rdf *name, struct ksvc_addr *a)
{
	struct label l[35];
	size_t n = labels(name, l, 35), i;

	memset(a, 0, sizeof(*a));
	if (n == 6 && is(&l[4], "in-addr") && is(&l[5], "arpa")) {
		for (i = 0; i < 4; i++) {
			unsigned int v = 0;
			size_t k;

			if (!l[i].len || l[i].len > 3 ||
			    (l[i].len > 1 && l[i].p[0] == '0'))
				return false;
			for (k = 0; k < l[i].len; k++) {
				if (l[i].p[k] < '0' || l[i].p[k] > '9')
					return false;
				v = v * 10 + (unsigned int)(l[i].p[k] - '0');
			}
			if (v > 255)
				return false;
			a->raw[3 - i] = (uint8_t)v;
		}
		a->family = AF_INET;
		return true;
	}
	if (n == 34 && is(&l[32], "ip6") && is(&l[33], "arpa")) {
		for (i = 0; i < 32; i++) {
			char c = l[i].len == 1 ? l[i].p[0] : 0;
			unsigned int v;

			if (c >= '0' && c <= '9')
				v = (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = (unsigned int)(c - 'a' + 10);
			else
				return false;
			a->raw[15 - i / 2] |= (uint8_t)(i % 2 ? v << 4 : v);
		}
		a->family = AF_INET6;
		return true;
	}
	return false;
}

/* A PTR for every service with that cluster IP, and every ready
 * endpoint of a headless service at that address: its name under the
 * service, the hostname or else the name its A and SRV records use (the
 * spec's 2.4.3, with 2.1's "hostname": the endpoint's, or a system-
 * assigned one). Returns -ENOENT when none is: not ours to answer. */
static int answer_reverse(struct query *qr, const struct ksvc_addr *a)
{
	char buf[KSVC_ADDR_STRLEN + 256];
	const struct ksd_store *st = qr->dns->store;
	const struct ksd_addr_ref *ref = NULL;
	bool ptr = qr->qtype == LDNS_RR_TYPE_PTR ||
		   qr->qtype == LDNS_RR_TYPE_ANY;
	int ret = 0;

	while (!ret && (ref = ksd_store_addr_next(st, a, ref))) {
		const struct ksd_service *svc = ref->svc;
		const char *prefix = "";

		if (svc) {
			if (!has_cluster_ips(svc))
				continue;
		} else {
			const struct ksd_endpoint *ep =
				&ref->slice->endpoints[ref->ep];

			svc = ksd_store_service(st, ref->slice->meta.namespace,
						ref->slice->service_name ?
						ref->slice->service_name : "");
			if (!ref->slice->family || !svc || !svc->headless ||
			    svc->type == KSD_SVC_EXTERNAL_NAME ||
			    !ep_usable(ep))
				continue;
			ep_label(ep, buf, sizeof(buf));
			prefix = buf;
		}
		qr->exists = true;
		if (ptr)
			ret = add_name_rr(qr, qr->an, qr->qname,
					  LDNS_RR_TYPE_PTR,
					  svc_name(qr, prefix, svc));
	}
	if (!ret && !qr->exists)
		return -ENOENT;
	qr->aa = true;
	return ret;
}

/* --- the message --- */

static bool ready(const struct ksd_dns *dns)
{
	return !dns->ready || dns->ready(dns->ready_arg);
}

/* Fills qr's sections and rcode for the one question. */
/* A name of the zone (canonical, n labels below it) into qr. */
static int answer_name(struct query *qr, const ldns_rdf *name, size_t n)
{
	if (n > LABELS_MAX)
		return 0;	/* deeper than any name: NXDOMAIN */
	qr->n = n;
	labels(name, qr->l, n);
	return answer_zone(qr);
}

static int resolve(struct query *qr)
{
	struct ksd_dns *dns = qr->dns;
	ldns_rdf *name = ldns_rdf_clone(qr->qname);
	size_t total, zl, depth, before = 0;
	struct ksvc_addr a;
	int ret = 0;

	if (!name)
		return -ENOMEM;
	ldns_dname2canonical(name);
	total = ldns_dname_label_count(name);
	zl = ldns_dname_label_count(dns->zone);
	if (!ldns_dname_compare(name, dns->zone) ||
	    ldns_dname_is_subdomain(name, dns->zone)) {
		if (!ready(dns)) {
			qr->rcode = LDNS_RCODE_SERVFAIL;
			goto out;
		}
		qr->aa = true;
		ret = answer_name(qr, name, total - zl);
		/* Then the CNAMEs into the zone, unless the CNAME was asked;
		 * the rcode is the last name's (RFC 6604). */
		for (depth = 0; !ret && qr->cname && depth < CHASE_MAX &&
		     qr->qtype != LDNS_RR_TYPE_CNAME &&
		     qr->qtype != LDNS_RR_TYPE_ANY; depth++) {
			ldns_rdf *t = ldns_rdf_clone(qr->cname);

			qr->qname = qr->cname;
			qr->cname = NULL;
			qr->exists = false;
			if (!t) {
				ret = -ENOMEM;
				break;
			}
			ldns_dname2canonical(t);
			if (!ldns_dname_is_subdomain(t, dns->zone)) {
				ldns_rdf_deep_free(t);
				qr->exists = true;	/* not ours to say */
				break;
			}
			before = ldns_rr_list_rr_count(qr->an);
			ret = answer_name(qr, t, ldns_dname_label_count(t) -
					  zl);
			ldns_rdf_deep_free(t);
		}
		if (!ret && ldns_rr_list_rr_count(qr->an) == before) {
			qr->rcode = qr->exists ? LDNS_RCODE_NOERROR :
						 LDNS_RCODE_NXDOMAIN;
			ret = add_soa(qr, qr->ns);
		}
		goto out;
	}
	if (reverse_addr(name, &a)) {
		if (!ready(dns)) {
			qr->rcode = LDNS_RCODE_SERVFAIL;
			goto out;
		}
		/* A type other than PTR is NODATA, without an SOA: the
		 * cluster zone's would be out of the reverse name's tree. */
		ret = answer_reverse(qr, &a);
		if (ret != -ENOENT)
			goto out;
		ret = 0;
	}
	qr->rcode = LDNS_RCODE_REFUSED;
out:
	ldns_rdf_deep_free(name);
	return ret;
}

/* The reply's header from the query's. */
static ldns_pkt *reply_new(const uint8_t *q, ldns_pkt_rcode rcode)
{
	ldns_pkt *r = ldns_pkt_new();

	if (!r)
		return NULL;
	ldns_pkt_set_id(r, (uint16_t)(q[0] << 8 | q[1]));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, (ldns_pkt_opcode)((q[2] >> 3) & 0xf));
	ldns_pkt_set_rd(r, q[2] & 1);
	ldns_pkt_set_cd(r, q[3] & 0x10);
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	return r;
}

/* Empties a section of r. */
static int clear(ldns_pkt *r, ldns_pkt_section s)
{
	ldns_rr_list *empty = ldns_rr_list_new();

	if (!empty)
		return -ENOMEM;
	switch (s) {
	case LDNS_SECTION_ANSWER:
		ldns_rr_list_deep_free(ldns_pkt_answer(r));
		ldns_pkt_set_answer(r, empty);
		ldns_pkt_set_ancount(r, 0);
		break;
	case LDNS_SECTION_AUTHORITY:
		ldns_rr_list_deep_free(ldns_pkt_authority(r));
		ldns_pkt_set_authority(r, empty);
		ldns_pkt_set_nscount(r, 0);
		break;
	default:
		ldns_rr_list_deep_free(ldns_pkt_additional(r));
		ldns_pkt_set_additional(r, empty);
		ldns_pkt_set_arcount(r, 0);
		break;
	}
	return 0;
}

/* Drops the last n answers of r. */
static void drop_answers(ldns_pkt *r, size_t n)
{
	ldns_rr_list *an = ldns_pkt_answer(r);

	while (n-- && ldns_rr_list_rr_count(an))
		ldns_rr_free(ldns_rr_list_pop_rr(an));
	ldns_pkt_set_ancount(r, (uint16_t)ldns_rr_list_rr_count(an));
}

/* Writes r within max bytes: whole; else without the additional section
 * (which a client can do without: RFC 2181 9); else truncated, TC set,
 * without authority and additional records, with as many whole answers
 * as fit, as CoreDNS's: a client that does not ask again over TCP (musl
 * before 1.2.4) still has those. A reply already known to be truncated
 * (TC set by the caller) goes straight to the last step. */
static int wire(ldns_pkt *r, size_t max, uint8_t **out, size_t *len)
{
	int step;

	for (step = ldns_pkt_tc(r) ? 2 : 0; step < 3; step++) {
		*out = NULL;
		if (step == 1 && !ldns_pkt_arcount(r))
			continue;
		if (step == 1 && clear(r, LDNS_SECTION_ADDITIONAL))
			return -ENOMEM;
		if (step == 2) {
			if (clear(r, LDNS_SECTION_ADDITIONAL) ||
			    clear(r, LDNS_SECTION_AUTHORITY))
				return -ENOMEM;
			ldns_pkt_set_tc(r, true);
		}
		if (ldns_pkt2wire(out, r, len) != LDNS_STATUS_OK)
			return -ENOMEM;
		if (*len <= max)
			return 0;
		free(*out);
	}
	/* Answers off the end until it fits, so many a round as the
	 * excess over the average record (header and question counted in,
	 * so it errs towards too few): for records of one size, exact. */
	for (;;) {
		size_t n = ldns_pkt_ancount(r);

		drop_answers(r, n ? (*len - max) / (*len / n) + 1 : 0);
		*out = NULL;
		if (ldns_pkt2wire(out, r, len) != LDNS_STATUS_OK)
			return -ENOMEM;
		if (*len <= max || !n)
			return 0;
		free(*out);
	}
}

static void malformed(struct ksd_dns *dns, const char *why)
{
	if (!dns->warned)
		ksd_warn("dns: %s (logged once; -v 4 logs every one)", why);
	else
		ksd_log(KSD_LOG_V4, "dns: %s", why);
	dns->warned = true;
}

static void count(struct ksd_dns *dns, ldns_pkt *r)
{
	unsigned int rc = ldns_pkt_get_rcode(r) |
			  (unsigned int)ldns_pkt_edns_extended_rcode(r) << 4;

	if (rc < KSD_DNS_RCODES)
		dns->responses[rc]++;
}

static void move_list(ldns_pkt *r, ldns_pkt_section s, ldns_rr_list *l)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++)
		ldns_pkt_push_rr(r, s, ldns_rr_list_rr(l, i));
	ldns_rr_list_free(l);	/* the records now belong to r */
}

int ksd_dns_answer(struct ksd_dns *dns, const uint8_t *q, size_t qlen,
		   bool tcp, uint8_t **out, size_t *outlen)
{
	struct query qr = { .dns = dns, .rcode = LDNS_RCODE_NOERROR };
	size_t max = tcp ? 65535 : KSD_DNS_UDP_MIN;
	ldns_pkt *query = NULL, *r = NULL;
	const ldns_rr *question;
	int ret = -ENOMEM;
	bool parsed;
	size_t i;

	*out = NULL;
	*outlen = 0;
	if (qlen < LDNS_HEADER_SIZE || (q[2] & 0x80)) {
		/* Not a query: answering could loop two servers. */
		dns->dropped++;
		malformed(dns, qlen < LDNS_HEADER_SIZE ?
			  "message shorter than a header dropped" :
			  "response dropped");
		return -EINVAL;
	}
	parsed = ldns_wire2pkt(&query, q, qlen) == LDNS_STATUS_OK;
	if ((q[2] >> 3 & 0xf) != LDNS_PACKET_QUERY) {
		r = reply_new(q, LDNS_RCODE_NOTIMPL);
		goto edns;
	}
	/* One question; at most one OPT (RFC 6891 6.1.1), which ldns
	 * counts as it takes them out of the additional section. */
	if (!parsed || ldns_pkt_qdcount(query) != 1 ||
	    ldns_rr_list_rr_count(ldns_pkt_question(query)) != 1 ||
	    query->_edns_present > 1) {
		malformed(dns, "malformed query answered FORMERR");
		r = reply_new(q, LDNS_RCODE_FORMERR);
		goto edns;
	}
	r = reply_new(q, LDNS_RCODE_NOERROR);
	question = ldns_rr_list_rr(ldns_pkt_question(query), 0);
	if (!r || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION,
				    ldns_rr_clone(question)))
		goto fail;
	if (ldns_pkt_edns(query)) {
		uint16_t size = ldns_pkt_edns_udp_size(query);

		if (!tcp)
			max = size < KSD_DNS_UDP_MIN ? KSD_DNS_UDP_MIN :
			      size > KSD_DNS_UDP_MAX ? KSD_DNS_UDP_MAX : size;
		ldns_pkt_set_edns_udp_size(r, KSD_DNS_UDP_MAX);
		if (ldns_pkt_edns_version(query) > 0) {
			/* RFC 6891 6.1.3: BADVERS, version 0 offered. */
			ldns_pkt_set_edns_extended_rcode(r, RCODE_BADVERS >> 4);
			goto send;
		}
	}
	if (ldns_rr_get_class(question) != LDNS_RR_CLASS_IN &&
	    ldns_rr_get_class(question) != LDNS_RR_CLASS_ANY) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
		goto send;
	}
	qr.qname = ldns_rr_owner(question);
	qr.qtype = ldns_rr_get_type(question);
	switch (qr.qtype) {
	case LDNS_RR_TYPE_AXFR:
	case LDNS_RR_TYPE_IXFR:
	case LDNS_RR_TYPE_OPT:
		/* Transfers are not served; OPT is no question. */
		ldns_pkt_set_rcode(r, qr.qtype == LDNS_RR_TYPE_OPT ?
				   LDNS_RCODE_FORMERR : LDNS_RCODE_REFUSED);
		goto send;
	default:
		break;
	}
	qr.an = ldns_rr_list_new();
	qr.ns = ldns_rr_list_new();
	qr.ar = ldns_rr_list_new();
	/* The smallest record takes 12 bytes (a compressed owner, type,
	 * class, TTL, length): past max / 12 answers, truncation is sure. */
	qr.max_rrs = max / 12;
	ret = qr.an && qr.ns && qr.ar ? resolve(&qr) : -ENOMEM;
	for (i = 0; i < 3; i++)
		free(qr.seen[i].slot);
	if (ret == -E2BIG) {
		/* More answers than can fit: what fits goes, with TC. */
		ldns_pkt_set_tc(r, true);
		ret = 0;
	}
	if (ret) {
		ldns_rr_list_deep_free(qr.an);
		ldns_rr_list_deep_free(qr.ns);
		ldns_rr_list_deep_free(qr.ar);
		ret = -ENOMEM;
		goto fail;
	}
	ldns_pkt_set_rcode(r, (uint8_t)qr.rcode);
	ldns_pkt_set_aa(r, qr.aa);
	move_list(r, LDNS_SECTION_ANSWER, qr.an);
	move_list(r, LDNS_SECTION_AUTHORITY, qr.ns);
	move_list(r, LDNS_SECTION_ADDITIONAL, qr.ar);
	goto send;
edns:
	/* An error to a query that parsed with EDNS has an OPT too. */
	if (r && parsed && ldns_pkt_edns(query))
		ldns_pkt_set_edns_udp_size(r, KSD_DNS_UDP_MAX);
send:
	if (!r)
		goto fail;
	ret = wire(r, max, out, outlen);
	if (!ret)
		count(dns, r);
fail:
	ldns_pkt_free(r);
	ldns_pkt_free(query);
	return ret;
}
