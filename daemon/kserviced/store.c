// SPDX-License-Identifier: GPL-2.0
/*
 * The object store; see store.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

/* The lookups by service and by address; see ksd_store. Each part is
 * made at its first lookup (a headless query after a full pass does not
 * pay for the addresses). */
struct ksd_store_index {
	bool has_by_svc, has_addrs;
	/* The slices with a service-name label, in (namespace, service
	 * name, name) order. */
	struct ksd_slice **by_svc;
	size_t n, cap;
	/* The address references, chained in nbuckets (a power of 2),
	 * taken from chunks (those let go kept on a free list): a full
	 * store's 100,000 are not as many mallocs. */
	struct ksd_addr_ref **bucket;
	size_t nbuckets, nrefs;
	struct ref_chunk *chunks;
	struct ksd_addr_ref *free_refs;
	/* The store's counts as last kept: others mean the arrays were
	 * changed behind the store's back. */
	size_t nsvcs, nslices;
};

#define REFS_PER_CHUNK	1024

struct ref_chunk {
	struct ref_chunk *next;
	size_t used;
	struct ksd_addr_ref refs[REFS_PER_CHUNK];
};

static void idx_free(struct ksd_store_index *x);

void ksd_store_init(struct ksd_store *st)
{
	memset(st, 0, sizeof(*st));
}

void ksd_store_release(struct ksd_store *st)
{
	ksd_store_clear_services(st);
	ksd_store_clear_slices(st);
	ksd_node_free(st->node);
	free(st->svcs);
	free(st->slices);
	ksd_store_init(st);
}

void ksd_store_clear_services(struct ksd_store *st)
{
	idx_free(st->idx);
	st->idx = NULL;
	for (size_t i = 0; i < st->nsvcs; i++)
		ksd_service_free(st->svcs[i]);
	st->nsvcs = 0;
}

void ksd_store_clear_slices(struct ksd_store *st)
{
	idx_free(st->idx);
	st->idx = NULL;
	for (size_t i = 0; i < st->nslices; i++)
		ksd_slice_free(st->slices[i]);
	st->nslices = 0;
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether a and b agree on all that kserviced reads of a Node: the zone
 * (topology), the deletion and the autoscaler's taint (nodeEligible). Its
 * addresses are not used yet; its status conditions and heartbeats never
 * are. */
static bool same_use(const struct ksd_node *a, const struct ksd_node *b)
{
	return a && b && !strcmp(a->meta.name, b->meta.name) &&
	       same_str(a->zone, b->zone) && a->deleting == b->deleting &&
	       a->to_be_deleted == b->to_be_deleted;
}

bool ksd_store_put_node(struct ksd_store *st, struct ksd_node *node)
{
	bool changed;

	if (st->node_name && *st->node_name &&
	    strcmp(node->meta.name, st->node_name)) {
		ksd_node_free(node);
		return false;
	}
	changed = !same_use(st->node, node);
	st->node_gone_ineligible = false;
	ksd_node_free(st->node);
	st->node = node;
	if (changed)
		st->changes++;
	return changed;
}

bool ksd_store_del_node(struct ksd_store *st, const char *name)
{
	if (!st->node || strcmp(st->node->meta.name, name))
		return false;
	st->node_gone_ineligible = st->node->deleting ||
				   st->node->to_be_deleted;
	ksd_node_free(st->node);
	st->node = NULL;
	st->changes++;
	return true;
}

static int cmp_key(const struct ksd_meta *m, const char *ns, const char *name)
{
	int c = strcmp(m->namespace, ns);

	return c ? c : strcmp(m->name, name);
}

/* Index of (ns, name) in a sorted array of objects whose first member is
 * their ksd_meta, or where it would go; *found says which. */
static size_t find(void *const *arr, size_t n, const char *ns,
		   const char *name, bool *found)
{
	size_t lo = 0, hi = n;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_key(arr[mid], ns, name);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void insert(void ***arr, size_t *n, size_t *cap, size_t at, void *obj)
{
	if (*n == *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		void **p = realloc(*arr, ncap * sizeof(*p));

		if (!p)
			abort();
		*arr = p;
		*cap = ncap;
	}
	memmove(*arr + at + 1, *arr + at, (*n - at) * sizeof(**arr));
	(*arr)[at] = obj;
	(*n)++;
}

static void erase(void **arr, size_t *n, size_t at)
{
	memmove(arr + at, arr + at + 1, (*n - at - 1) * sizeof(*arr));
	(*n)--;
}

/* --- the index --- */

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		abort();
	return p;
}

static uint64_t addr_hash(const struct ksvc_addr *a)
{
	uint64_t h = 14695981039346656037ULL ^ a->family;
	size_t i, len = ksvc_addr_len(a->family);

	for (i = 0; i < len; i++)
		h = (h ^ a->raw[i]) * 1099511628211ULL;
	return h;
}

static bool addr_eq(const struct ksvc_addr *a, const struct ksvc_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, ksvc_addr_len(a->family));
}

static struct ksd_addr_ref **chain(const struct ksd_store_index *x,
				   const struct ksvc_addr *a)
{
	return &x->bucket[addr_hash(a) & (x->nbuckets - 1)];
}

/* Rehashes into at least want buckets (a power of 2, 1024 or more). */
static void idx_grow(struct ksd_store_index *x, size_t want)
{
	struct ksd_store_index bigger = *x;
	struct ksd_addr_ref *r, *next, **h;
	size_t i;

	bigger.nbuckets = x->nbuckets ? 2 * x->nbuckets : 1024;
	while (bigger.nbuckets < want)
		bigger.nbuckets *= 2;
	bigger.bucket = xcalloc(bigger.nbuckets, sizeof(*bigger.bucket));
	for (i = 0; i < x->nbuckets; i++)
		for (r = x->bucket[i]; r; r = next) {
			next = r->next;
			h = chain(&bigger, &r->addr);
			r->next = *h;
			*h = r;
		}
	free(x->bucket);
	*x = bigger;
}

/* owner: the service of a cluster IP, else the slice of endpoint ep. */
static void ref_add(struct ksd_store_index *x, const struct ksvc_addr *a,
		    const struct ksd_service *svc,
		    const struct ksd_slice *slice, size_t ep)
{
	struct ksd_addr_ref *r, **h;

	if (x->nrefs >= x->nbuckets)
		idx_grow(x, 0);
	if (x->free_refs) {
		r = x->free_refs;
		x->free_refs = r->next;
	} else {
		if (!x->chunks || x->chunks->used == REFS_PER_CHUNK) {
			struct ref_chunk *c = xcalloc(1, sizeof(*c));

			c->next = x->chunks;
			x->chunks = c;
		}
		r = &x->chunks->refs[x->chunks->used++];
	}
	r->addr = *a;
	r->svc = svc;
	r->slice = slice;
	r->ep = ep;
	h = chain(x, a);
	r->next = *h;
	*h = r;
	x->nrefs++;
}

/* Takes out owner's references to a. */
static void ref_del(struct ksd_store_index *x, const struct ksvc_addr *a,
		    const void *owner)
{
	struct ksd_addr_ref **pr = chain(x, a), *r;

	while ((r = *pr)) {
		if (r->svc == owner || r->slice == owner) {
			*pr = r->next;
			r->next = x->free_refs;
			x->free_refs = r;
			x->nrefs--;
		} else {
			pr = &r->next;
		}
	}
}

static void idx_service(struct ksd_store_index *x,
			const struct ksd_service *svc, bool add)
{
	size_t i;

	for (i = 0; x->has_addrs && i < svc->ncluster_ips; i++) {
		if (add)
			ref_add(x, &svc->cluster_ips[i], svc, NULL, 0);
		else
			ref_del(x, &svc->cluster_ips[i], svc);
	}
}

/* Where (ns, service, name) is or would go in by_svc; name NULL: the
 * service's first slice. */
static size_t by_svc_find(const struct ksd_store_index *x, const char *ns,
			  const char *svc, const char *name)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ksd_slice *sl = x->by_svc[mid];
		int c = strcmp(sl->meta.namespace, ns);

		if (!c)
			c = strcmp(sl->service_name, svc);
		if (!c && name)
			c = strcmp(sl->meta.name, name);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void slice_addrs(struct ksd_store_index *x,
			const struct ksd_slice *sl, bool add)
{
	size_t i, j;

	for (i = 0; i < sl->nendpoints; i++)
		for (j = 0; j < sl->endpoints[i].naddrs; j++) {
			if (add)
				ref_add(x, &sl->endpoints[i].addrs[j], NULL,
					sl, i);
			else
				ref_del(x, &sl->endpoints[i].addrs[j], sl);
		}
}

/* The slice's addresses, and its place in by_svc, as far as made. */
static void idx_slice(struct ksd_store_index *x, struct ksd_slice *sl,
		      bool add)
{
	size_t i;

	if (x->has_addrs)
		slice_addrs(x, sl, add);
	if (!sl->service_name || !x->has_by_svc)
		return;
	i = by_svc_find(x, sl->meta.namespace, sl->service_name,
			sl->meta.name);
	if (add)
		insert((void ***)&x->by_svc, &x->n, &x->cap, i, sl);
	else if (i < x->n && x->by_svc[i] == sl)
		erase((void **)x->by_svc, &x->n, i);
}

static void idx_free(struct ksd_store_index *x)
{
	struct ref_chunk *c, *next;

	if (!x)
		return;
	for (c = x->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(x->bucket);
	free(x->by_svc);
	free(x);
}

/* st's index if it still matches the arrays; else it is dropped. */
static struct ksd_store_index *idx_get(struct ksd_store *st)
{
	struct ksd_store_index *x = st->idx;

	if (x && (x->nsvcs != st->nsvcs || x->nslices != st->nslices)) {
		idx_free(x);
		st->idx = x = NULL;
	}
	return x;
}

/* After a put or del: the counts it now matches. */
static void idx_kept(struct ksd_store *st, struct ksd_store_index *x)
{
	if (x) {
		x->nsvcs = st->nsvcs;
		x->nslices = st->nslices;
	}
}

static int cmp_by_svc(const void *a, const void *b)
{
	const struct ksd_slice *x = *(struct ksd_slice *const *)a;
	const struct ksd_slice *y = *(struct ksd_slice *const *)b;
	int c = strcmp(x->meta.namespace, y->meta.namespace);

	if (!c)
		c = strcmp(x->service_name, y->service_name);
	return c ? c : strcmp(x->meta.name, y->meta.name);
}

static void idx_make_addrs(struct ksd_store_index *x,
			   const struct ksd_store *st)
{
	size_t i, j, nrefs = 0;

	/* Buckets for every reference at once: no rehash while made. */
	for (i = 0; i < st->nsvcs; i++)
		nrefs += st->svcs[i]->ncluster_ips;
	for (i = 0; i < st->nslices; i++)
		for (j = 0; j < st->slices[i]->nendpoints; j++)
			nrefs += st->slices[i]->endpoints[j].naddrs;
	idx_grow(x, nrefs);
	x->has_addrs = true;
	for (i = 0; i < st->nsvcs; i++)
		idx_service(x, st->svcs[i], true);
	for (i = 0; i < st->nslices; i++)
		slice_addrs(x, st->slices[i], true);
}

static void idx_make_by_svc(struct ksd_store_index *x,
			    const struct ksd_store *st)
{
	size_t i;

	x->by_svc = xcalloc(st->nslices + 1, sizeof(*x->by_svc));
	x->cap = st->nslices + 1;
	for (i = 0; i < st->nslices; i++)
		if (st->slices[i]->service_name)
			x->by_svc[x->n++] = st->slices[i];
	qsort(x->by_svc, x->n, sizeof(*x->by_svc), cmp_by_svc);
	x->has_by_svc = true;
}

/* The index with the part asked for made (a cache: hence the cast). */
static struct ksd_store_index *idx(const struct ksd_store *cst, bool addrs)
{
	struct ksd_store *st = (struct ksd_store *)cst;
	struct ksd_store_index *x = idx_get(st);

	if (!x) {
		x = xcalloc(1, sizeof(*x));
		idx_kept(st, x);
		st->idx = x;
	}
	if (addrs && !x->has_addrs)
		idx_make_addrs(x, st);
	if (!addrs && !x->has_by_svc)
		idx_make_by_svc(x, st);
	return x;
}

struct ksd_slice *const *ksd_store_service_slices(const struct ksd_store *st,
						  const char *ns,
						  const char *name, size_t *n)
{
	struct ksd_store_index *x = idx(st, false);
	size_t i = by_svc_find(x, ns, name, NULL), j = i;

	while (j < x->n && !strcmp(x->by_svc[j]->meta.namespace, ns) &&
	       !strcmp(x->by_svc[j]->service_name, name))
		j++;
	*n = j - i;
	return x->by_svc + i;
}

const struct ksd_addr_ref *ksd_store_addr_next(const struct ksd_store *st,
					       const struct ksvc_addr *a,
					       const struct ksd_addr_ref *prev)
{
	struct ksd_store_index *x = idx(st, true);
	const struct ksd_addr_ref *r = prev ? prev->next : *chain(x, a);

	while (r && !addr_eq(&r->addr, a))
		r = r->next;
	return r;
}

/* ksd_meta is the first member of both objects, which find() relies on. */
_Static_assert(offsetof(struct ksd_service, meta) == 0, "meta first");
_Static_assert(offsetof(struct ksd_slice, meta) == 0, "meta first");

bool ksd_store_put_service(struct ksd_store *st, struct ksd_service *svc)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs,
			svc->meta.namespace, svc->meta.name, &found);

	struct ksd_store_index *x = idx_get(st);

	st->changes++;
	if (x)
		idx_service(x, svc, true);
	if (found) {
		if (x)
			idx_service(x, st->svcs[i], false);
		ksd_service_free(st->svcs[i]);
		st->svcs[i] = svc;
		return true;
	}
	insert((void ***)&st->svcs, &st->nsvcs, &st->svcs_cap, i, svc);
	idx_kept(st, x);
	return false;
}

bool ksd_store_put_slice(struct ksd_store *st, struct ksd_slice *slice)
{
	bool found;
	size_t i = find((void *const *)st->slices, st->nslices,
			slice->meta.namespace, slice->meta.name, &found);

	struct ksd_store_index *x = idx_get(st);

	st->changes++;
	if (found) {
		if (x)
			idx_slice(x, st->slices[i], false);
		ksd_slice_free(st->slices[i]);
		st->slices[i] = slice;
	} else {
		insert((void ***)&st->slices, &st->nslices, &st->slices_cap, i,
		       slice);
	}
	if (x)
		idx_slice(x, slice, true);
	idx_kept(st, x);
	return found;
}

bool ksd_store_del_service(struct ksd_store *st, const char *ns,
			   const char *name)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs, ns, name, &found);

	struct ksd_store_index *x = idx_get(st);

	if (!found)
		return false;
	if (x)
		idx_service(x, st->svcs[i], false);
	ksd_service_free(st->svcs[i]);
	erase((void **)st->svcs, &st->nsvcs, i);
	idx_kept(st, x);
	st->changes++;
	return true;
}

bool ksd_store_del_slice(struct ksd_store *st, const char *ns,
			 const char *name)
{
	bool found;
	size_t i = find((void *const *)st->slices, st->nslices, ns, name,
			&found);

	struct ksd_store_index *x = idx_get(st);

	if (!found)
		return false;
	if (x)
		idx_slice(x, st->slices[i], false);
	ksd_slice_free(st->slices[i]);
	erase((void **)st->slices, &st->nslices, i);
	idx_kept(st, x);
	st->changes++;
	return true;
}

const struct ksd_service *ksd_store_service(const struct ksd_store *st,
					    const char *ns, const char *name)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs, ns, name, &found);

	return found ? st->svcs[i] : NULL;
}

bool ksd_store_has_namespace(const struct ksd_store *st, const char *ns)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs, ns, "", &found);

	return i < st->nsvcs && !strcmp(st->svcs[i]->meta.namespace, ns);
}

void ksd_store_swap(struct ksd_store *st, struct ksd_store *src)
{
	unsigned long changes = st->changes;
	const char *node_name = st->node_name;

	ksd_store_release(st);
	*st = *src;
	st->changes = changes + 1;
	st->node_name = node_name;
	ksd_store_init(src);
}
