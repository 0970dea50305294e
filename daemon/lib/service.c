// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetime of the shared types: services own their frontend and backend
 * arrays, lists own their services.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ksvc_types.h"

void ksvc_service_init(struct ksvc_service *svc)
{
	memset(svc, 0, sizeof(*svc));
}

void ksvc_service_release(struct ksvc_service *svc)
{
	free(svc->frontends);
	free(svc->backends);
	free(svc->source_ranges);
	ksvc_service_init(svc);
}

int ksvc_service_set_name(struct ksvc_service *svc, const char *name)
{
	size_t len = strlen(name);

	if (!len)
		return -EINVAL;
	if (len >= sizeof(svc->name))
		return -ENAMETOOLONG;
	memcpy(svc->name, name, len + 1);
	return 0;
}

/* Grows *arr (of *cap elements of size sz) to hold at least want. */
static int grow(void **arr, size_t *cap, size_t want, size_t sz)
{
	size_t ncap = *cap ? *cap : 8;
	void *p;

	if (want <= *cap)
		return 0;
	while (ncap < want) {
		if (ncap > SIZE_MAX / 2 / sz)
			return -ENOMEM;
		ncap *= 2;
	}
	p = realloc(*arr, ncap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int ksvc_service_add_frontend(struct ksvc_service *svc,
			      const struct ksvc_frontend *fe)
{
	int ret;

	ret = grow((void **)&svc->frontends, &svc->frontends_cap,
		   svc->nfrontends + 1, sizeof(*fe));
	if (ret)
		return ret;
	svc->frontends[svc->nfrontends++] = *fe;
	return 0;
}

int ksvc_service_add_source_range(struct ksvc_service *svc,
				  const struct ksvc_cidr *cidr)
{
	int ret;

	ret = grow((void **)&svc->source_ranges, &svc->source_ranges_cap,
		   svc->nsource_ranges + 1, sizeof(*cidr));
	if (ret)
		return ret;
	svc->source_ranges[svc->nsource_ranges++] = *cidr;
	return 0;
}

int ksvc_service_add_backends(struct ksvc_service *svc,
			      const struct ksvc_backend *be, size_t n)
{
	int ret;

	if (!n)
		return 0;
	if (n > SIZE_MAX - svc->nbackends)
		return -ENOMEM;
	ret = grow((void **)&svc->backends, &svc->backends_cap,
		   svc->nbackends + n, sizeof(*be));
	if (ret)
		return ret;
	memcpy(&svc->backends[svc->nbackends], be, n * sizeof(*be));
	svc->nbackends += n;
	return 0;
}

int ksvc_service_add_backend(struct ksvc_service *svc,
			     const struct ksvc_backend *be)
{
	return ksvc_service_add_backends(svc, be, 1);
}

void ksvc_service_list_init(struct ksvc_service_list *list)
{
	memset(list, 0, sizeof(*list));
}

void ksvc_service_list_release(struct ksvc_service_list *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		ksvc_service_release(&list->svcs[i]);
	free(list->svcs);
	ksvc_service_list_init(list);
}

/* Appends an empty service; NULL when out of memory. */
struct ksvc_service *ksvc_service_list_push(struct ksvc_service_list *list)
{
	struct ksvc_service *svc;

	if (grow((void **)&list->svcs, &list->cap, list->n + 1,
		 sizeof(*list->svcs)))
		return NULL;
	svc = &list->svcs[list->n++];
	ksvc_service_init(svc);
	return svc;
}

struct ksvc_service *ksvc_service_list_find(const struct ksvc_service_list *list,
					    const char *name)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (!strcmp(list->svcs[i].name, name))
			return &list->svcs[i];
	return NULL;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksvc_service *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* By name: the kernel dumps in hash order, people and scripts want one. */
void ksvc_service_list_sort(struct ksvc_service_list *list)
{
	if (list->n > 1)
		qsort(list->svcs, list->n, sizeof(*list->svcs), cmp_name);
}

size_t ksvc_addr_len(uint16_t family)
{
	switch (family) {
	case AF_INET:
		return 4;
	case AF_INET6:
		return 16;
	default:
		return 0;
	}
}

bool ksvc_addr_equal(const struct ksvc_addr *a, const struct ksvc_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->raw, b->raw, ksvc_addr_len(a->family));
}

bool ksvc_cidr_contains(const struct ksvc_cidr *c, const struct ksvc_addr *a)
{
	unsigned int i, plen = c->prefixlen;

	if (a->family != c->addr.family)
		return false;
	for (i = 0; i < plen / 8; i++)
		if (a->raw[i] != c->addr.raw[i])
			return false;
	return !(plen % 8) ||
	       !((a->raw[i] ^ c->addr.raw[i]) & (uint8_t)(0xff << (8 - plen % 8)));
}

/*
 * A total order on backends (family, address, port, weight, flags), for
 * qsort(): sorted sets compare member by member, and the same (address,
 * port) ends up adjacent.
 */
int ksvc_backend_cmp(const void *a, const void *b)
{
	const struct ksvc_backend *x = a, *y = b;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	c = memcmp(x->addr.raw, y->addr.raw, ksvc_addr_len(x->addr.family));
	if (c)
		return c;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	if (x->weight != y->weight)
		return x->weight < y->weight ? -1 : 1;
	return x->flags < y->flags ? -1 : x->flags > y->flags;
}

void ksvc_backend_init(struct ksvc_backend *be)
{
	memset(be, 0, sizeof(*be));
	be->weight = KSVC_WEIGHT_DEFAULT;
}

/* Kubernetes' reading of EndpointSlice conditions: none set is ready. */
bool ksvc_backend_ready(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_READY) ||
	       !(be->flags & (KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING));
}

static bool fallback(const struct ksvc_backend *be)
{
	return (be->flags & KSVC_BE_F_SERVING) &&
	       (be->flags & KSVC_BE_F_TERMINATING);
}

/*
 * The kernel's pools (kmod/sched.c): per family, the ready backends of
 * non-zero weight, or when there are none the serving-and-terminating
 * ones; the local pool the same over local backends.
 */
void ksvc_service_use(const struct ksvc_service *svc, uint8_t *use)
{
	bool ready[2][2] = { { false } };	/* [family][local] */
	size_t i;
	int f, l;

	for (i = 0; i < svc->nbackends; i++) {
		const struct ksvc_backend *be = &svc->backends[i];

		f = be->addr.family == AF_INET6;
		if (!be->weight || !ksvc_backend_ready(be))
			continue;
		ready[f][0] = true;
		if (be->flags & KSVC_BE_F_LOCAL)
			ready[f][1] = true;
	}
	for (i = 0; i < svc->nbackends; i++) {
		const struct ksvc_backend *be = &svc->backends[i];

		use[i] = 0;
		f = be->addr.family == AF_INET6;
		if (!be->weight)
			continue;
		for (l = 0; l < 2; l++) {
			if (l && !(be->flags & KSVC_BE_F_LOCAL))
				continue;
			if (ready[f][l] ? ksvc_backend_ready(be) : fallback(be))
				use[i] |= l ? KSVC_USE_LOCAL : KSVC_USE_CLUSTER;
		}
	}
}
