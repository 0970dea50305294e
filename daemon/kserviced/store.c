// SPDX-License-Identifier: GPL-2.0
/*
 * The object store; see store.h.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"

void ksd_store_init(struct ksd_store *st)
{
	memset(st, 0, sizeof(*st));
}

void ksd_store_release(struct ksd_store *st)
{
	size_t i;

	for (i = 0; i < st->nsvcs; i++)
		ksd_service_free(st->svcs[i]);
	for (i = 0; i < st->nslices; i++)
		ksd_slice_free(st->slices[i]);
	ksd_node_free(st->node);
	free(st->svcs);
	free(st->slices);
	ksd_store_init(st);
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

/* ksd_meta is the first member of both objects, which find() relies on. */
_Static_assert(offsetof(struct ksd_service, meta) == 0, "meta first");
_Static_assert(offsetof(struct ksd_slice, meta) == 0, "meta first");

bool ksd_store_put_service(struct ksd_store *st, struct ksd_service *svc)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs,
			svc->meta.namespace, svc->meta.name, &found);

	st->changes++;
	if (found) {
		ksd_service_free(st->svcs[i]);
		st->svcs[i] = svc;
		return true;
	}
	insert((void ***)&st->svcs, &st->nsvcs, &st->svcs_cap, i, svc);
	return false;
}

bool ksd_store_put_slice(struct ksd_store *st, struct ksd_slice *slice)
{
	bool found;
	size_t i = find((void *const *)st->slices, st->nslices,
			slice->meta.namespace, slice->meta.name, &found);

	st->changes++;
	if (found) {
		ksd_slice_free(st->slices[i]);
		st->slices[i] = slice;
		return true;
	}
	insert((void ***)&st->slices, &st->nslices, &st->slices_cap, i, slice);
	return false;
}

bool ksd_store_del_service(struct ksd_store *st, const char *ns,
			   const char *name)
{
	bool found;
	size_t i = find((void *const *)st->svcs, st->nsvcs, ns, name, &found);

	if (!found)
		return false;
	ksd_service_free(st->svcs[i]);
	erase((void **)st->svcs, &st->nsvcs, i);
	st->changes++;
	return true;
}

bool ksd_store_del_slice(struct ksd_store *st, const char *ns,
			 const char *name)
{
	bool found;
	size_t i = find((void *const *)st->slices, st->nslices, ns, name,
			&found);

	if (!found)
		return false;
	ksd_slice_free(st->slices[i]);
	erase((void **)st->slices, &st->nslices, i);
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
