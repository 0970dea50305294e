// SPDX-License-Identifier: GPL-2.0
/*
 * The load-balancer address pool; see lbpool.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ksvc_text.h"
#include "lbpool.h"
#include "log.h"

static int fam_idx(uint16_t family)
{
	return family == AF_INET6;
}

void ksd_lbpool_init(struct ksd_lbpool *p)
{
	memset(p, 0, sizeof(*p));
}

void ksd_lbpool_release(struct ksd_lbpool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->a[i].ns);
		free(p->a[i].name);
	}
	free(p->a);
	free(p->held);
	ksd_lbpool_init(p);
}

static unsigned int addr_bits(uint16_t family)
{
	return family == AF_INET ? 32 : 128;
}

/* Whether a and b agree on their first plen bits. */
static bool prefix_match(const struct ksvc_addr *a, const struct ksvc_addr *b,
			 unsigned int plen)
{
	unsigned int i;

	if (a->family != b->family)
		return false;
	for (i = 0; i < plen / 8; i++)
		if (a->raw[i] != b->raw[i])
			return false;
	if (plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - plen % 8));

		if ((a->raw[i] ^ b->raw[i]) & mask)
			return false;
	}
	return true;
}

/* A CIDR's addresses from its base: span of them (at most 2^32), of
 * which the first skip_first and the last skip_last are not handed out. */
static void cidr_span(const struct ksvc_cidr *c, uint64_t *span,
		      unsigned int *skip_first, unsigned int *skip_last)
{
	unsigned int host = addr_bits(c->addr.family) - c->prefixlen;

	*span = host >= 32 ? (uint64_t)1 << 32 : (uint64_t)1 << host;
	if (c->addr.family == AF_INET) {
		*skip_first = *skip_last = c->prefixlen < 31;
	} else {
		*skip_first = c->prefixlen < 127;
		*skip_last = 0;
	}
}

static uint64_t cidr_usable(const struct ksvc_cidr *c)
{
	unsigned int sf, sl;
	uint64_t span;

	cidr_span(c, &span, &sf, &sl);
	return span - sf - sl;
}

/* base + off, off below 2^32: only the host bits change. */
static struct ksvc_addr addr_add(const struct ksvc_addr *base, uint64_t off)
{
	struct ksvc_addr a = *base;
	int i = (int)ksvc_addr_len(a.family) - 1;

	for (; i >= 0 && off; i--) {
		off += a.raw[i];
		a.raw[i] = (uint8_t)off;
		off >>= 8;
	}
	return a;
}

int ksd_lbpool_set(struct ksd_lbpool *p, const struct ksvc_cidr *cidrs,
		   size_t n)
{
	size_t i, j;

	if (!n)
		return -E2BIG;
	if (n > KSD_LBPOOL_CIDRS_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++) {
			unsigned int plen = cidrs[i].prefixlen <
					    cidrs[j].prefixlen ?
					    cidrs[i].prefixlen :
					    cidrs[j].prefixlen;

			if (prefix_match(&cidrs[i].addr, &cidrs[j].addr, plen))
				return -EINVAL;
		}
	memcpy(p->cidrs, cidrs, n * sizeof(*cidrs));
	p->ncidrs = n;
	p->size[0] = p->size[1] = 0;
	for (i = 0; i < n; i++)
		p->size[fam_idx(cidrs[i].addr.family)] += cidr_usable(&cidrs[i]);
	return 0;
}

bool ksd_lbpool_contains(const struct ksd_lbpool *p,
			 const struct ksvc_addr *addr)
{
	size_t i;

	for (i = 0; i < p->ncidrs; i++) {
		const struct ksvc_cidr *c = &p->cidrs[i];
		unsigned int bits = addr_bits(c->addr.family), sf, sl, b;
		uint64_t span, off = 0;

		if (!prefix_match(addr, &c->addr, c->prefixlen))
			continue;
		cidr_span(c, &span, &sf, &sl);
		/* The host part, which must fit the span. */
		for (b = c->prefixlen; b < bits; b++) {
			unsigned int bit = (addr->raw[b / 8] >> (7 - b % 8)) & 1;

			if (bits - b > 32 && bit)
				return false;	/* past the first 2^32 */
			off = (off << 1) | bit;
		}
		return off >= sf && off < span - sl;
	}
	return false;
}

/* The idx-th usable address of family f's CIDRs (idx < size[f]). */
static struct ksvc_addr nth(const struct ksd_lbpool *p, int f, uint64_t idx)
{
	size_t i;

	for (i = 0; i < p->ncidrs; i++) {
		const struct ksvc_cidr *c = &p->cidrs[i];
		unsigned int sf, sl;
		uint64_t span, n;

		if (fam_idx(c->addr.family) != f)
			continue;
		cidr_span(c, &span, &sf, &sl);
		n = span - sf - sl;
		if (idx < n)
			return addr_add(&c->addr, idx + sf);
		idx -= n;
	}
	abort();	/* idx is below size[f] */
}

bool ksd_lbpool_wants(const struct ksd_service *svc)
{
	return svc->type == KSD_SVC_LOAD_BALANCER && !svc->ningress &&
	       !svc->headless && svc->ncluster_ips &&
	       !ksd_meta_label(&svc->meta, KSD_LABEL_SERVICE_PROXY_NAME);
}

static int cmp_key(const struct ksd_lb_assign *a, const char *ns,
		   const char *name)
{
	int c = strcmp(a->ns, ns);

	return c ? c : strcmp(a->name, name);
}

/* The index of ns/name, or where it would go (*found false). */
static size_t find(const struct ksd_lbpool *p, const char *ns,
		   const char *name, bool *found)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(&p->a[mid], ns, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct ksd_lb_assign *get_or_add(struct ksd_lbpool *p, const char *ns,
					const char *name)
{
	struct ksd_lb_assign *a;
	bool found;
	size_t i = find(p, ns, name, &found);

	if (found)
		return &p->a[i];
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->a = realloc(p->a, p->cap * sizeof(*p->a));
		if (!p->a)
			abort();
	}
	memmove(&p->a[i + 1], &p->a[i], (p->n - i) * sizeof(*p->a));
	p->n++;
	a = &p->a[i];
	memset(a, 0, sizeof(*a));
	a->ns = strdup(ns);
	a->name = strdup(name);
	if (!a->ns || !a->name)
		abort();
	return a;
}

/* Whether addr is taken: by another assignment than self (its name into
 * who, when given) or by a status. */
static bool taken(const struct ksd_lbpool *p, const struct ksvc_addr *addr,
		  const struct ksd_lb_assign *self, char *who, size_t len)
{
	int f = fam_idx(addr->family);
	size_t i;

	for (i = 0; i < p->nheld; i++)
		if (ksvc_addr_equal(&p->held[i], addr)) {
			if (who)
				snprintf(who, len, "a service's status");
			return true;
		}
	for (i = 0; i < p->n; i++)
		if (&p->a[i] != self && p->a[i].addr[f].family &&
		    ksvc_addr_equal(&p->a[i].addr[f], addr)) {
			if (who)
				snprintf(who, len, "%s/%s", p->a[i].ns,
					 p->a[i].name);
			return true;
		}
	return false;
}

void ksd_lbpool_seed(struct ksd_lbpool *p, const char *ksvc_name,
		     const struct ksvc_addr *addr)
{
	char ns[KSVC_NAME_MAX], name[KSVC_NAME_MAX], buf[KSVC_ADDR_STRLEN];
	const char *slash = strchr(ksvc_name, '/'), *colon;
	struct ksd_lb_assign *a;
	int f = fam_idx(addr->family);

	if (!slash || slash == ksvc_name || !ksd_lbpool_contains(p, addr) ||
	    taken(p, addr, NULL, NULL, 0))
		return;
	colon = strchr(slash + 1, ':');
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - ksvc_name), ksvc_name);
	snprintf(name, sizeof(name), "%.*s", (int)(colon ? colon - slash - 1 :
						    (long)strlen(slash + 1)),
		 slash + 1);
	a = get_or_add(p, ns, name);
	if (a->addr[f].family)
		return;		/* another port of it gave one already */
	a->addr[f] = *addr;
	ksd_log(KSD_LOG_V2, "Service %s/%s: load-balancer IP %s (held in the "
		"kernel already)", ns, name,
		ksvc_format_addr(addr, buf, sizeof(buf)));
}

/* FNV-1a of namespace, name and family. */
static uint64_t hash(const char *ns, const char *name, int f)
{
	uint64_t h = 14695981039346656037ULL;
	const char *parts[] = { ns, "/", name, f ? "/6" : "/4" };
	size_t i;

	for (i = 0; i < 4; i++)
		for (const char *s = parts[i]; *s; s++) {
			h ^= (uint8_t)*s;
			h *= 1099511628211ULL;
		}
	return h;
}

/* A free address for a, probing from its hash; false when none is. */
static bool probe(const struct ksd_lbpool *p, const struct ksd_lb_assign *a,
		  int f, struct ksvc_addr *out)
{
	uint64_t size = p->size[f], start, tries, k;

	/* Only taken addresses make a probe go on: one more try than
	 * there are of them finds a free one if there is any. */
	tries = p->n + p->nheld + 1;
	if (tries > size)
		tries = size;
	start = hash(a->ns, a->name, f) % size;
	for (k = 0; k < tries; k++) {
		struct ksvc_addr c = nth(p, f, (start + k) % size);

		if (!taken(p, &c, a, NULL, 0)) {
			*out = c;
			return true;
		}
	}
	return false;
}

static void assign(struct ksd_lbpool *p, struct ksd_lb_assign *a,
		   const struct ksd_service *svc, int f, unsigned int *changes)
{
	const struct ksvc_addr *req = &svc->lb_ip;
	char buf[KSVC_ADDR_STRLEN], old[KSVC_ADDR_STRLEN], who[600];
	struct ksvc_addr got;

	if (req->family && fam_idx(req->family) == f) {
		bool in = ksd_lbpool_contains(p, req);

		if (a->addr[f].family && ksvc_addr_equal(&a->addr[f], req))
			return;
		if (in && !taken(p, req, a, who, sizeof(who))) {
			if (a->addr[f].family)
				ksd_info("Service %s/%s: load-balancer IP %s "
					 "released for its loadBalancerIP",
					 a->ns, a->name,
					 ksvc_format_addr(&a->addr[f], old,
							  sizeof(old)));
			a->addr[f] = *req;
			a->warned_req[f] = a->warned_full[f] = false;
			ksd_info("Service %s/%s: load-balancer IP %s (its "
				 "loadBalancerIP, from --lb-ip-pool)", a->ns,
				 a->name, ksvc_format_addr(req, buf,
							   sizeof(buf)));
			++*changes;
			return;
		}
		if (!a->warned_req[f])
			ksd_warn("Service %s/%s: spec.loadBalancerIP %s is %s%s;"
				 " an address of the pool instead", a->ns,
				 a->name, ksvc_format_addr(req, buf, sizeof(buf)),
				 in ? "held by " : "not in --lb-ip-pool",
				 in ? who : "");
		a->warned_req[f] = true;
	}
	if (a->addr[f].family)
		return;
	if (!probe(p, a, f, &got)) {
		if (!a->warned_full[f])
			ksd_warn("Service %s/%s: --lb-ip-pool has no free IPv%c "
				 "address: no load-balancer IP until one "
				 "frees", a->ns, a->name, f ? '6' : '4');
		a->warned_full[f] = true;
		return;
	}
	a->addr[f] = got;
	a->warned_full[f] = false;
	ksd_info("Service %s/%s: load-balancer IP %s (from --lb-ip-pool)",
		 a->ns, a->name, ksvc_format_addr(&got, buf, sizeof(buf)));
	++*changes;
}

static void drop(struct ksd_lb_assign *a, int f, unsigned int *changes)
{
	char buf[KSVC_ADDR_STRLEN];

	if (!a->addr[f].family)
		return;
	ksd_info("Service %s/%s: load-balancer IP %s released", a->ns,
		 a->name, ksvc_format_addr(&a->addr[f], buf, sizeof(buf)));
	memset(&a->addr[f], 0, sizeof(a->addr[f]));
	++*changes;
}

static void hold(struct ksd_lbpool *p, const struct ksvc_addr *addr)
{
	if (p->nheld == p->held_cap) {
		p->held_cap = p->held_cap ? 2 * p->held_cap : 16;
		p->held = realloc(p->held, p->held_cap * sizeof(*p->held));
		if (!p->held)
			abort();
	}
	p->held[p->nheld++] = *addr;
}

unsigned int ksd_lbpool_update(struct ksd_lbpool *p,
			       const struct ksd_store *st)
{
	unsigned int changes = 0;
	size_t i, j;
	int f;

	p->nheld = 0;
	for (i = 0; i < st->nsvcs; i++)
		for (j = 0; j < st->svcs[i]->ningress; j++)
			if (st->svcs[i]->ingress[j].has_ip &&
			    ksd_lbpool_contains(p, &st->svcs[i]->ingress[j].ip))
				hold(p, &st->svcs[i]->ingress[j].ip);
	for (i = 0; i < p->n; i++)
		p->a[i].seen = false;

	/* Releases first, so that what they free can go to the others. */
	for (i = 0; i < st->nsvcs; i++) {
		const struct ksd_service *svc = st->svcs[i];
		struct ksd_lb_assign *a;
		bool fam[2] = { false, false }, found;

		if (!ksd_lbpool_wants(svc))
			continue;
		a = &p->a[find(p, svc->meta.namespace, svc->meta.name, &found)];
		if (!found)
			continue;
		a->seen = true;
		for (j = 0; j < svc->ncluster_ips; j++)
			fam[fam_idx(svc->cluster_ips[j].family)] = true;
		for (f = 0; f < 2; f++)
			if (!fam[f] || !p->size[f])
				drop(a, f, &changes);
			else if (a->addr[f].family &&
				 taken(p, &a->addr[f], a, NULL, 0))
				drop(a, f, &changes);	/* a status took it */
	}
	for (i = 0; i < p->n;) {
		if (p->a[i].seen) {
			i++;
			continue;
		}
		for (f = 0; f < 2; f++)
			drop(&p->a[i], f, &changes);
		free(p->a[i].ns);
		free(p->a[i].name);
		memmove(&p->a[i], &p->a[i + 1], (p->n - i - 1) * sizeof(*p->a));
		p->n--;
	}

	for (i = 0; i < st->nsvcs; i++) {
		const struct ksd_service *svc = st->svcs[i];
		struct ksd_lb_assign *a;

		if (!ksd_lbpool_wants(svc))
			continue;
		a = get_or_add(p, svc->meta.namespace, svc->meta.name);
		for (j = 0; j < svc->ncluster_ips; j++) {
			f = fam_idx(svc->cluster_ips[j].family);
			if (p->size[f])
				assign(p, a, svc, f, &changes);
		}
	}
	return changes;
}

size_t ksd_lbpool_get(const struct ksd_lbpool *p, const char *ns,
		      const char *name, struct ksvc_addr out[2])
{
	bool found;
	size_t i = find(p, ns, name, &found), n = 0;
	int f;

	if (!found)
		return 0;
	for (f = 0; f < 2; f++)
		if (p->a[i].addr[f].family)
			out[n++] = p->a[i].addr[f];
	return n;
}
