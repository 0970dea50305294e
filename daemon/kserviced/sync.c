// SPDX-License-Identifier: GPL-2.0
/*
 * Diff and mark-and-sweep; see sync.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sync.h"

void ksd_sync_init(struct ksd_sync *s,
		   int (*open)(struct ksvc **ksp, struct ksvc_err *err))
{
	memset(s, 0, sizeof(*s));
	s->open = open;
	s->need_full = true;
	ksvc_service_list_init(&s->known);
}

static void close_handle(struct ksd_sync *s)
{
	if (s->ks)
		ksvc_close(s->ks);
	s->ks = NULL;
	s->need_full = true;
}

void ksd_sync_release(struct ksd_sync *s)
{
	close_handle(s);
	ksvc_service_list_release(&s->known);
}

/* Errors after which the socket cannot be trusted (see ksvc.h). */
static bool handle_broken(int ret)
{
	return ret == -EPROTO || ret == -EIO || ret == -ENOBUFS;
}

static int ensure_open(struct ksd_sync *s)
{
	struct ksvc_err err;
	int ret;

	if (s->ks)
		return 0;
	ret = s->open(&s->ks, &err);
	if (ret) {
		ksd_err("kernel: %s", err.msg);
		s->ks = NULL;
	}
	return ret;
}

static void copy_svc(struct ksvc_service *dst, const struct ksvc_service *src)
{
	ksvc_service_init(dst);
	memcpy(dst->name, src->name, sizeof(dst->name));
	dst->has = src->has;
	dst->proto = src->proto;
	dst->port = src->port;
	dst->node_port = src->node_port;
	dst->sched = src->sched;
	dst->flags = src->flags;
	dst->generation = src->generation;
	dst->affinity = src->affinity;
	dst->backend_count = src->backend_count;
	for (size_t i = 0; i < src->nsource_ranges; i++)
		if (ksvc_service_add_source_range(dst, &src->source_ranges[i]))
			abort();
	if (ksvc_service_add_backends(dst, src->backends, src->nbackends))
		abort();
	for (size_t i = 0; i < src->nfrontends; i++)
		if (ksvc_service_add_frontend(dst, &src->frontends[i]))
			abort();
}

static bool same_frontends(const struct ksvc_service *a,
			   const struct ksvc_service *b)
{
	size_t i, j;

	if (a->nfrontends != b->nfrontends)
		return false;
	for (i = 0; i < a->nfrontends; i++) {
		for (j = 0; j < b->nfrontends; j++)
			if (a->frontends[i].kind == b->frontends[j].kind &&
			    ksvc_addr_equal(&a->frontends[i].addr,
					    &b->frontends[j].addr))
				break;
		if (j == b->nfrontends)
			return false;
	}
	return true;
}

static bool same_cidr(const struct ksvc_cidr *a, const struct ksvc_cidr *b)
{
	return a->prefixlen == b->prefixlen && ksvc_addr_equal(&a->addr, &b->addr);
}

/* Source ranges as sets: the order they are listed in means nothing. */
static bool same_ranges(const struct ksvc_service *a,
			const struct ksvc_service *b)
{
	size_t i, j;

	if (a->nsource_ranges != b->nsource_ranges)
		return false;
	for (i = 0; i < a->nsource_ranges; i++) {
		for (j = 0; j < b->nsource_ranges; j++)
			if (same_cidr(&a->source_ranges[i],
				      &b->source_ranges[j]))
				break;
		if (j == b->nsource_ranges)
			return false;
	}
	for (i = 0; i < b->nsource_ranges; i++) {
		for (j = 0; j < a->nsource_ranges; j++)
			if (same_cidr(&b->source_ranges[i],
				      &a->source_ranges[j]))
				break;
		if (j == a->nsource_ranges)
			return false;
	}
	return true;
}

/* Backend sets are compared in order: both sides are sorted first. */
static bool same_backends(const struct ksvc_service *a,
			  const struct ksvc_service *b)
{
	size_t i;

	if (a->nbackends != b->nbackends)
		return false;
	for (i = 0; i < a->nbackends; i++)
		if (ksvc_backend_cmp(&a->backends[i], &b->backends[i]))
			return false;
	return true;
}

static void sort_backends(struct ksvc_service *svc)
{
	if (svc->nbackends > 1)
		qsort(svc->backends, svc->nbackends, sizeof(*svc->backends),
		      ksvc_backend_cmp);
}

/* The fields of want that cur does not have. */
static uint32_t diff(const struct ksvc_service *cur,
		     const struct ksvc_service *want)
{
	uint32_t has = 0;

	if (cur->proto != want->proto || cur->port != want->port)
		has |= KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT;
	if (cur->node_port != want->node_port)
		has |= KSVC_SVC_HAS_NODE_PORT;
	if (cur->sched != want->sched)
		has |= KSVC_SVC_HAS_SCHED;
	if (cur->flags != want->flags)
		has |= KSVC_SVC_HAS_FLAGS;
	if (cur->affinity != want->affinity)
		has |= KSVC_SVC_HAS_AFFINITY;
	if (!same_ranges(cur, want))
		has |= KSVC_SVC_HAS_SOURCE_RANGES;
	if (!same_frontends(cur, want))
		has |= KSVC_SVC_HAS_FRONTENDS;
	if (!same_backends(cur, want))
		has |= KSVC_SVC_HAS_BACKENDS;
	if (cur->generation != want->generation)
		has |= KSVC_SVC_HAS_GENERATION;
	return has;
}

enum op { OP_NONE, OP_NEW, OP_SET, OP_REPLACE, OP_MARK };

static const char *op_name(enum op op)
{
	static const char *const names[] = { "check", "create", "update",
					     "replace backends of", "mark" };

	return names[op];
}

/*
 * Makes the kernel's service cur (NULL: none) into want (a full
 * description with the pass's generation). Returns 0 or -errno; on
 * success *after is what the kernel now holds.
 */
static int apply(struct ksd_sync *s, const struct ksvc_service *cur,
		 const struct ksvc_service *want, struct ksvc_service *after)
{
	struct ksvc_service part;
	struct ksvc_err err = { "" };
	enum op op = OP_NONE;
	uint32_t has = 0;
	int ret = 0;

	if (!cur) {
		op = OP_NEW;
		ret = ksvc_service_new(s->ks, want, &err);
	} else {
		has = diff(cur, want);
		if (has == KSVC_SVC_HAS_GENERATION)
			op = OP_MARK;
		else if (has == KSVC_SVC_HAS_BACKENDS)
			op = OP_REPLACE;
		else if (has)
			op = OP_SET;
	}
	if (op == OP_REPLACE) {
		ret = ksvc_backend_replace(s->ks, want->name, want->backends,
					   want->nbackends, &err);
	} else if (op == OP_SET || op == OP_MARK) {
		part = *want;
		part.has = has;
		ret = ksvc_service_set(s->ks, &part, &err);
	}
	if (ret == -ENOENT && op != OP_NEW) {
		/* Deleted behind our back (ksctl): make it again. */
		ksd_warn("service %s: gone from the kernel, creating it again",
			 want->name);
		op = OP_NEW;
		ret = ksvc_service_new(s->ks, want, &err);
	}
	if (ret) {
		ksd_err("service %s: %s failed: %s%s%s", want->name,
			op_name(op), strerror(-ret), *err.msg ? ": " : "",
			err.msg);
		return ret;
	}
	switch (op) {
	case OP_NEW:
		s->last.created++;
		break;
	case OP_SET:
		s->last.updated++;
		break;
	case OP_REPLACE:
		s->last.replaced++;
		break;
	case OP_MARK:
		s->last.marked++;
		break;
	case OP_NONE:
		break;
	}
	if (op != OP_NONE && op != OP_MARK)
		ksd_log(KSD_LOG_V2, "service %s: %s (%zu frontends, "
			"%zu backends)", want->name, op_name(op),
			want->nfrontends, want->nbackends);
	copy_svc(after, want);
	return 0;
}

static int del(struct ksd_sync *s, const char *name)
{
	struct ksvc_err err = { "" };
	int ret;

	ret = ksvc_service_del(s->ks, name, &err);
	if (ret == -ENOENT)
		ret = 0;
	if (ret) {
		ksd_err("service %s: delete failed: %s%s%s", name,
			strerror(-ret), *err.msg ? ": " : "", err.msg);
		return ret;
	}
	s->last.deleted++;
	ksd_log(KSD_LOG_V2, "service %s: deleted", name);
	return 0;
}

/* The full description the kernel gets for a model entry. */
static void wanted(const struct ksd_model_svc *ms, uint64_t gen,
		   struct ksvc_service *out)
{
	*out = ms->ksvc;
	out->sched = KSVC_SCHED_RANDOM;
	out->generation = gen;
	/* flags (the traffic policies), affinity and source ranges are the
	 * model's. */
	out->has |= KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |
		    KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_SCHED |
		    KSVC_SVC_HAS_FLAGS | KSVC_SVC_HAS_GENERATION |
		    KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_BACKENDS |
		    KSVC_SVC_HAS_AFFINITY | KSVC_SVC_HAS_SOURCE_RANGES;
}

static int cmp_name(const void *key, const void *elem)
{
	const struct ksvc_service *svc = elem;

	return strcmp(key, svc->name);
}

/* In a list sorted by name. */
static struct ksvc_service *lookup(const struct ksvc_service_list *l,
				   const char *name)
{
	if (!l->n)
		return NULL;
	return bsearch(name, l->svcs, l->n, sizeof(*l->svcs), cmp_name);
}

static void push_copy(struct ksvc_service_list *l,
		      const struct ksvc_service *svc)
{
	struct ksvc_service *dst = ksvc_service_list_push(l);

	if (!dst)
		abort();
	copy_svc(dst, svc);
}

/*
 * The kernel refused the object itself (a value, its size, a frontend
 * held outside the model): the same request fails until the object
 * changes. Not the node's failure: the pass programs all the rest.
 */
static bool refused(int ret)
{
	return ret == -EINVAL || ret == -E2BIG || ret == -ERANGE ||
	       ret == -EEXIST || ret == -EOPNOTSUPP;
}

/*
 * After apply() failed with @ret: the slot it pushed goes, and what the
 * kernel holds (@cur, unless it had none) stays known, for the next pass.
 */
static void keep_old(struct ksd_sync *s, struct ksvc_service_list *next,
		     const struct ksvc_service *cur, int ret)
{
	next->n--;
	if (cur)
		push_copy(next, cur);
	if (refused(ret))
		s->last.refused++;
	else
		s->last.failed++;
}

/*
 * The end of a pass's batch (see ksvc.h): one conntrack cleanup for all
 * its changes. Not on a broken socket, which the pass gives up (the
 * kernel does the cleanup itself a second after the first change). A
 * failed cleanup is said here, once; only a broken socket fails the pass
 * for it, since the changes are made and the kernel cleans up by itself.
 * Returns the pass's error, ret, or the cleanup's broken socket.
 */
static int end_batch(struct ksd_sync *s, int ret)
{
	struct ksvc_err err = { "" };
	int end;

	if (handle_broken(ret))
		return ret;
	end = ksvc_batch_end(s->ks, &err);
	if (!end)
		return ret;
	ksd_err("kernel: conntrack cleanup failed: %s%s%s; the kernel does "
		"it itself within a second", strerror(-end),
		*err.msg ? ": " : "", err.msg);
	return handle_broken(end) ? end : ret;
}

/* Ends a pass: next becomes what is known, the result is logged. */
static int finish(struct ksd_sync *s, struct ksvc_service_list *next,
		  int ret, const char *kind)
{
	const struct ksd_sync_stats *st = &s->last;

	ksvc_service_list_release(&s->known);
	if (ret && handle_broken(ret)) {
		ksvc_service_list_release(next);
		close_handle(s);
		ksd_err("kernel: sync aborted: %s; next pass is a full one",
			strerror(-ret));
		return ret;
	}
	ksvc_service_list_sort(next);
	s->known = *next;
	if (st->created || st->updated || st->replaced || st->deleted ||
	    st->failed || st->refused)
		ksd_info("sync (%s, generation %llu): %u created, %u updated, "
			 "%u backend sets replaced, %u deleted, %u failed, "
			 "%u refused", kind, (unsigned long long)s->generation,
			 st->created, st->updated, st->replaced, st->deleted,
			 st->failed, st->refused);
	else
		ksd_log(KSD_LOG_V4, "sync (%s, generation %llu): no change",
			kind, (unsigned long long)s->generation);
	return st->failed ? -EAGAIN : 0;
}

int ksd_sync_full(struct ksd_sync *s, const struct ksd_model *m)
{
	struct ksvc_service_list cur, next;
	struct ksvc_service want, *c;
	struct ksvc_err err = { "" };
	bool *retry;
	uint64_t gen;
	size_t i;
	int ret;

	memset(&s->last, 0, sizeof(s->last));
	ret = ensure_open(s);
	if (ret)
		return ret;
	ksvc_service_list_init(&cur);
	ksvc_service_list_init(&next);
	ret = ksvc_service_list(s->ks, NULL, KSVC_LIST_BACKENDS, &cur, &err);
	if (ret) {
		ksd_err("kernel: dump failed: %s%s%s", strerror(-ret),
			*err.msg ? ": " : "", err.msg);
		ksvc_service_list_release(&cur);
		if (handle_broken(ret))
			close_handle(s);
		return ret;
	}
	ksvc_service_list_sort(&cur);
	ksvc_batch_begin(s->ks);
	/* The generation goes on from what the kernel holds, so that a
	 * restarted daemon never reuses one. */
	gen = s->generation;
	for (i = 0; i < cur.n; i++) {
		sort_backends(&cur.svcs[i]);
		if (cur.svcs[i].generation > gen)
			gen = cur.svcs[i].generation;
	}
	s->generation = ++gen;
	retry = calloc(m->n + 1, sizeof(*retry));
	if (!retry)
		abort();

	/* Mark. */
	for (i = 0; i < m->n && !handle_broken(ret); i++) {
		wanted(&m->svcs[i], gen, &want);
		c = lookup(&cur, want.name);
		ret = apply(s, c, &want, ksvc_service_list_push(&next));
		if (!ret)
			continue;
		if (ret == -EEXIST) {
			next.n--;	/* the pushed slot stays empty */
			retry[i] = true;
			continue;
		}
		keep_old(s, &next, c, ret);
	}
	/*
	 * Sweep: what has an older generation is deleted, unless it is a
	 * desired service whose marking failed (kept for the next pass).
	 * Every desired service is one or the other, so the test is
	 * whether the model has it.
	 */
	for (i = 0; i < cur.n && !handle_broken(ret); i++) {
		if (cur.svcs[i].generation == gen ||
		    ksd_model_find(m, cur.svcs[i].name))
			continue;
		ret = del(s, cur.svcs[i].name);
		if (ret) {
			push_copy(&next, &cur.svcs[i]);
			s->last.failed++;
		}
	}
	/* Creations and changes that met a frontend the sweep has freed. */
	for (i = 0; i < m->n && !handle_broken(ret); i++) {
		if (!retry[i])
			continue;
		wanted(&m->svcs[i], gen, &want);
		c = lookup(&cur, want.name);
		ret = apply(s, c, &want, ksvc_service_list_push(&next));
		if (ret)
			keep_old(s, &next, c, ret);
	}
	free(retry);
	ksvc_service_list_release(&cur);
	ret = end_batch(s, handle_broken(ret) ? ret : 0);
	ret = finish(s, &next, ret, "full");
	if (!handle_broken(ret))
		s->need_full = false;
	return ret;
}

int ksd_sync_changes(struct ksd_sync *s, const struct ksd_model *m)
{
	struct ksvc_service_list next;
	struct ksvc_service want;
	const struct ksvc_service *c;
	int ret = 0, round;
	bool *retry;
	size_t i;

	if (s->need_full || !s->ks)
		return ksd_sync_full(s, m);
	memset(&s->last, 0, sizeof(s->last));
	ksvc_service_list_init(&next);
	ksvc_batch_begin(s->ks);
	/* Deletions first: their frontends may be someone else's now. */
	for (i = 0; i < s->known.n && !handle_broken(ret); i++) {
		c = &s->known.svcs[i];
		if (ksd_model_find(m, c->name))
			continue;
		ret = del(s, c->name);
		if (ret) {
			push_copy(&next, c);
			s->last.failed++;
		}
	}
	retry = calloc(m->n + 1, sizeof(*retry));
	if (!retry)
		abort();
	for (round = 0; round < 2; round++) {
		/* The second round: what met a frontend another change of
		 * this pass was still to free (a service later in name order
		 * handing its address over). */
		for (i = 0; i < m->n && !handle_broken(ret); i++) {
			if (round && !retry[i])
				continue;
			wanted(&m->svcs[i], s->generation, &want);
			c = lookup(&s->known, want.name);
			ret = apply(s, c, &want, ksvc_service_list_push(&next));
			if (!ret)
				continue;
			if (ret == -EEXIST && !round) {
				next.n--;
				retry[i] = true;
				continue;
			}
			keep_old(s, &next, c, ret);
		}
	}
	free(retry);
	ret = end_batch(s, handle_broken(ret) ? ret : 0);
	return finish(s, &next, ret, "changes");
}

int ksd_sync_config(struct ksd_sync *s, const struct ksvc_config *cfg)
{
	struct ksvc_err err = { "" };
	int ret = ensure_open(s);

	if (ret)
		return ret;
	ret = ksvc_config_set(s->ks, cfg, &err);
	if (ret) {
		ksd_err("kernel: configuration failed: %s%s%s", strerror(-ret),
			*err.msg ? ": " : "", err.msg);
		if (handle_broken(ret))
			close_handle(s);
	}
	return ret;
}

int ksd_sync_cleanup(struct ksd_sync *s)
{
	struct ksvc_err err = { "" };
	int ret = ensure_open(s);

	if (ret)
		return ret;
	ret = ksvc_flush(s->ks, &err);
	if (ret)
		ksd_err("kernel: cleanup failed: %s%s%s", strerror(-ret),
			*err.msg ? ": " : "", err.msg);
	ksvc_service_list_release(&s->known);
	s->need_full = true;
	return ret;
}
