// SPDX-License-Identifier: GPL-2.0
/*
 * The manifests folder; see manifests.h for its convention.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "log.h"
#include "manifests.h"
#include "yamldoc.h"

/* An object waiting to be decoded, with the file it came from. */
struct raw {
	cJSON *obj;			/* owned */
	const char *file;		/* the name in the scan */
	bool is_slice;
};

struct load {
	struct raw *objs;
	size_t n;
	struct raw *overlays;
	size_t noverlays;
	struct raw *nodes;
	size_t nnodes;
};

static const char *str_member(const cJSON *obj, const char *key)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void push(struct raw **arr, size_t *n, cJSON *obj, const char *file,
		 bool is_slice)
{
	struct raw *p = realloc(*arr, (*n + 1) * sizeof(*p));

	if (!p)
		abort();
	*arr = p;
	p[*n].obj = obj;
	p[*n].file = file;
	p[*n].is_slice = is_slice;
	(*n)++;
}

/* Sorts one document (taking it) into objects and overlays. */
static void take_doc(struct load *ld, cJSON *doc, const char *file,
		     const char *list_kind, const char *list_api)
{
	const char *kind, *api;
	cJSON *items, *item;
	size_t len;

	if (!cJSON_IsObject(doc)) {
		ksd_warn("manifests: %s: a document that is not an object, "
			 "ignored", file);
		cJSON_Delete(doc);
		return;
	}
	kind = str_member(doc, "kind");
	api = str_member(doc, "apiVersion");
	/* Items of a typed list (ServiceList) may leave kind out. */
	if (!kind && list_kind) {
		kind = list_kind;
		cJSON_AddStringToObject(doc, "kind", kind);
		if (!api && list_api)
			cJSON_AddStringToObject(doc, "apiVersion", list_api);
		kind = str_member(doc, "kind");
	}
	len = kind ? strlen(kind) : 0;
	if (len >= 4 && !strcmp(kind + len - 4, "List")) {
		char item_kind[128];

		snprintf(item_kind, sizeof(item_kind), "%.*s", (int)(len - 4),
			 kind);
		items = cJSON_DetachItemFromObjectCaseSensitive(doc, "items");
		if (items && !cJSON_IsArray(items))
			ksd_warn("manifests: %s: %s.items is not a list, "
				 "ignored", file, kind);
		while (cJSON_IsArray(items) &&
		       (item = cJSON_DetachItemFromArray(items, 0)))
			take_doc(ld, item, file, *item_kind ? item_kind : NULL,
				 api);
		cJSON_Delete(items);
		cJSON_Delete(doc);
		return;
	}
	if (kind && !strcmp(kind, "Service")) {
		push(&ld->objs, &ld->n, doc, file, false);
	} else if (kind && !strcmp(kind, "EndpointSlice")) {
		push(&ld->objs, &ld->n, doc, file, true);
	} else if (kind && !strcmp(kind, "Node")) {
		push(&ld->nodes, &ld->nnodes, doc, file, false);
	} else if (kind && !strcmp(kind, "Overlay") && api &&
		   !strcmp(api, KSD_OVERLAY_API_VERSION)) {
		push(&ld->overlays, &ld->noverlays, doc, file, false);
	} else {
		ksd_log(KSD_LOG_V2, "manifests: %s: kind %s ignored", file,
			kind ? kind : "(none)");
		cJSON_Delete(doc);
	}
}

static int read_file(int dfd, const char *name, char **buf, size_t *len)
{
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd, ret = 0;

	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > KSD_MANIFEST_MAX) {
		ret = S_ISREG(st.st_mode) ? -EFBIG : -EISDIR;
		goto out;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, *buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;	/* shrank while read: what there is */
		off += (size_t)r;
	}
	(*buf)[off] = 0;
	*len = off;
out:
	close(fd);
	return ret;
}

static bool is_json(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && !strcmp(name + len - 5, ".json");
}

static bool wanted(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.')
		return false;
	return (len > 5 && !strcmp(name + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(name + len - 4, ".yml")) || is_json(name);
}

static int parse_file(struct load *ld, int dfd, const char *name)
{
	char why[KSD_YAML_WHY_MAX];
	const char *end = NULL;
	cJSON *docs, *doc;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = read_file(dfd, name, &buf, &len);
	if (ret == -EISDIR)
		return 0;
	if (ret) {
		ksd_err("manifests: %s: %s", name, strerror(-ret));
		return ret;
	}
	if (is_json(name)) {
		doc = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
		if (!doc) {
			ksd_err("manifests: %s: JSON syntax error at byte %zu",
				name, end ? (size_t)(end - buf) : 0);
			free(buf);
			return -EINVAL;
		}
		take_doc(ld, doc, name, NULL, NULL);
		free(buf);
		return 0;
	}
	ret = ksd_yaml_parse(buf, len, &docs, why);
	free(buf);
	if (ret) {
		ksd_err("manifests: %s: %s", name, why);
		return ret;
	}
	while ((doc = cJSON_DetachItemFromArray(docs, 0)))
		take_doc(ld, doc, name, NULL, NULL);
	cJSON_Delete(docs);
	return 0;
}

/* RFC 7386: objects merge member by member, null removes, anything else
 * replaces. Takes patch's values by copy. */
static cJSON *merge_patch(cJSON *target, const cJSON *patch)
{
	const cJSON *p;

	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, 1);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		target = cJSON_CreateObject();
	}
	cJSON_ArrayForEach(p, patch) {
		cJSON *cur = cJSON_DetachItemFromObjectCaseSensitive(target,
								      p->string);

		if (cJSON_IsNull(p)) {
			cJSON_Delete(cur);
			continue;
		}
		cur = merge_patch(cur, p);
		if (!cur)
			abort();
		cJSON_AddItemToObject(target, p->string, cur);
	}
	return target;
}

static const char *ns_of(const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *ns = str_member(meta, "namespace");

	return ns && *ns ? ns : "default";
}

static const char *name_of(const cJSON *obj)
{
	return str_member(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
			  "name");
}

static void apply_overlays(struct load *ld, struct ksd_manifests_stats *stats)
{
	for (size_t i = 0; i < ld->noverlays; i++) {
		const cJSON *ov = ld->overlays[i].obj;
		const cJSON *target = cJSON_GetObjectItemCaseSensitive(ov,
								       "target");
		const cJSON *patch = cJSON_GetObjectItemCaseSensitive(ov,
								      "patch");
		const char *kind = str_member(target, "kind");
		const char *name = str_member(target, "name");
		const char *ns = str_member(target, "namespace");
		bool slice, found = false;

		if (!kind || !name || !cJSON_IsObject(patch) ||
		    (strcmp(kind, "Service") && strcmp(kind, "EndpointSlice"))) {
			ksd_warn("manifests: %s: Overlay needs target.kind "
				 "(Service or EndpointSlice), target.name and "
				 "an object patch; ignored",
				 ld->overlays[i].file);
			continue;
		}
		slice = !strcmp(kind, "EndpointSlice");
		if (!ns || !*ns)
			ns = "default";
		for (size_t j = 0; j < ld->n; j++) {
			struct raw *r = &ld->objs[j];
			const char *rn = name_of(r->obj);

			if (r->is_slice != slice || !rn || strcmp(rn, name) ||
			    strcmp(ns_of(r->obj), ns))
				continue;
			r->obj = merge_patch(r->obj, patch);
			found = true;
		}
		if (found)
			stats->overlays++;
		else
			ksd_warn("manifests: %s: Overlay target %s %s/%s not "
				 "found", ld->overlays[i].file, kind, ns, name);
	}
}

static void decode_all(struct load *ld, struct ksd_store *st,
		       struct ksd_manifests_stats *stats)
{
	char why[KSD_WHY_MAX];

	/* Nodes: the store keeps this node's only (its node_name), the
	 * later of two. */
	for (size_t i = 0; i < ld->nnodes; i++) {
		const struct raw *r = &ld->nodes[i];
		struct ksd_node *node;
		bool again;

		if (ksd_decode_node(r->obj, &node, why)) {
			ksd_warn("manifests: %s: %s", r->file, why);
			stats->skipped++;
			continue;
		}
		again = st->node && !strcmp(st->node->meta.name,
					    node->meta.name);
		if (ksd_store_put_node(st, node) && again)
			ksd_warn("manifests: %s: Node %s defined again, this "
				 "one wins", r->file, st->node->meta.name);
	}
	stats->nodes = st->node ? 1 : 0;
	for (size_t i = 0; i < ld->n; i++) {
		const struct raw *r = &ld->objs[i];

		if (r->is_slice) {
			struct ksd_slice *sl;

			if (ksd_decode_slice(r->obj, &sl, why)) {
				ksd_warn("manifests: %s: %s", r->file, why);
				stats->skipped++;
				continue;
			}
			if (!sl->service_name)
				ksd_warn("manifests: %s: EndpointSlice %s/%s has "
					 "no label %s: it serves no Service",
					 r->file, sl->meta.namespace,
					 sl->meta.name, KSD_LABEL_SERVICE_NAME);
			if (ksd_store_put_slice(st, sl))
				ksd_warn("manifests: %s: EndpointSlice %s/%s "
					 "defined again, this one wins",
					 r->file, sl->meta.namespace,
					 sl->meta.name);
			else
				stats->slices++;
		} else {
			struct ksd_service *svc;

			if (ksd_decode_service(r->obj, &svc, why)) {
				ksd_warn("manifests: %s: %s", r->file, why);
				stats->skipped++;
				continue;
			}
			/* Nothing assigns one here; see manifests.h. */
			if (svc->type != KSD_SVC_EXTERNAL_NAME &&
			    !svc->headless && !svc->ncluster_ips) {
				ksd_warn("manifests: %s: Service %s/%s: "
					 "skipped: spec.clusterIP is required "
					 "in standalone mode (add it, or an "
					 "Overlay)", r->file,
					 svc->meta.namespace, svc->meta.name);
				ksd_service_free(svc);
				stats->skipped++;
				continue;
			}
			if (ksd_store_put_service(st, svc))
				ksd_warn("manifests: %s: Service %s/%s defined "
					 "again, this one wins", r->file,
					 svc->meta.namespace, svc->meta.name);
			else
				stats->services++;
		}
	}
}

static void free_load(struct load *ld)
{
	for (size_t i = 0; i < ld->n; i++)
		cJSON_Delete(ld->objs[i].obj);
	for (size_t i = 0; i < ld->noverlays; i++)
		cJSON_Delete(ld->overlays[i].obj);
	for (size_t i = 0; i < ld->nnodes; i++)
		cJSON_Delete(ld->nodes[i].obj);
	free(ld->nodes);
	free(ld->objs);
	free(ld->overlays);
}

int ksd_manifests_load(const char *dir, struct ksd_store *st,
		       struct ksd_manifests_stats *stats)
{
	struct load ld = { 0 };
	struct dirent **names = NULL;
	int dfd, n, i, ret = 0;

	memset(stats, 0, sizeof(*stats));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		ret = -errno;
		ksd_err("manifests: %s: %s", dir, strerror(-ret));
		return ret;
	}
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		ret = -errno;
		ksd_err("manifests: %s: %s", dir, strerror(-ret));
		close(dfd);
		return ret;
	}
	for (i = 0; i < n && !ret; i++) {
		if (!wanted(names[i]->d_name))
			continue;
		ret = parse_file(&ld, dfd, names[i]->d_name);
		stats->files++;
	}
	if (!ret) {
		apply_overlays(&ld, stats);
		decode_all(&ld, st, stats);
	}
	free_load(&ld);	/* before the names the raws point at */
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(dfd);
	if (ret)
		ksd_store_release(st);
	return ret;
}

/* The source: inotify on the folder, a debounce timer. */
struct manifests {
	struct ksd_source src;		/* first: the daemon sees this */
	char *dir;
	unsigned int debounce_ms;
	struct ksd_loop *loop;
	int ifd, tfd;
};

static void reload(struct ksd_source *src)
{
	struct manifests *mf = (struct manifests *)src;
	struct ksd_manifests_stats stats;
	struct ksd_store st;

	ksd_store_init(&st);
	st.node_name = src->store->node_name;
	if (ksd_manifests_load(mf->dir, &st, &stats)) {
		ksd_err("manifests: %s: reload abandoned, the objects of the "
			"last good load stay", mf->dir);
		return;
	}
	ksd_info("manifests: %s: %u files, %u services, %u endpoint slices, "
		 "%u overlays, %u objects skipped", mf->dir, stats.files,
		 stats.services, stats.slices, stats.overlays, stats.skipped);
	ksd_store_swap(src->store, &st);
	src->synced = true;
	src->changed(src, KSD_CHANGED_SOME);
}

static void on_inotify(int fd, uint32_t events, void *arg)
{
	struct manifests *mf = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool gone = false;
	ssize_t len;

	(void)events;
	while ((len = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + len;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF |
					IN_IGNORED))
				gone = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	if (gone)
		ksd_warn("manifests: %s was removed or moved: no longer "
			 "watched; SIGHUP reads it again", mf->dir);
	/* Quiet for debounce_ms, then one reload for the whole burst. */
	ksd_timer_arm(mf->tfd, mf->debounce_ms ? mf->debounce_ms : 1);
}

static void on_timer(int fd, uint32_t events, void *arg)
{
	(void)events;
	ksd_timer_ack(fd);
	reload(arg);
}

static int add_watch(struct manifests *mf)
{
	int wd = inotify_add_watch(mf->ifd, mf->dir,
				   IN_CREATE | IN_DELETE | IN_MOVED_FROM |
				   IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
				   IN_DELETE_SELF | IN_MOVE_SELF |
				   IN_ONLYDIR);

	return wd < 0 ? -errno : 0;
}

static void stop(struct ksd_source *src)
{
	struct manifests *mf = (struct manifests *)src;

	if (mf->loop) {
		ksd_loop_del(mf->loop, mf->ifd);
		ksd_loop_del(mf->loop, mf->tfd);
	}
	if (mf->ifd >= 0)
		close(mf->ifd);
	if (mf->tfd >= 0)
		close(mf->tfd);
	free(mf->dir);
	free(mf);
}

static int start(struct ksd_source *src, struct ksd_loop *loop)
{
	struct manifests *mf = (struct manifests *)src;
	int ret;

	mf->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (mf->ifd < 0)
		return -errno;
	mf->tfd = ksd_timer_new();
	if (mf->tfd < 0)
		return mf->tfd;
	ret = add_watch(mf);
	if (ret) {
		ksd_err("manifests: %s: cannot watch: %s", mf->dir,
			strerror(-ret));
		return ret;
	}
	ret = ksd_loop_add(loop, mf->ifd, EPOLLIN, on_inotify, mf);
	if (ret)
		return ret;
	ret = ksd_loop_add(loop, mf->tfd, EPOLLIN, on_timer, mf);
	if (ret) {
		ksd_loop_del(loop, mf->ifd);
		return ret;
	}
	mf->loop = loop;
	reload(src);
	return 0;
}

static void hup(struct ksd_source *src)
{
	struct manifests *mf = (struct manifests *)src;

	/* The folder may have been replaced: watch it again. */
	if (add_watch(mf))
		ksd_warn("manifests: %s: cannot watch", mf->dir);
	reload(src);
}

static const struct ksd_source_ops manifests_ops = {
	.name = "manifests",
	.start = start,
	.reload = hup,
	.stop = stop,
};

struct ksd_source *ksd_manifests_source(const char *dir,
					unsigned int debounce_ms)
{
	struct manifests *mf = calloc(1, sizeof(*mf));

	if (!mf)
		return NULL;
	mf->dir = strdup(dir);
	if (!mf->dir) {
		free(mf);
		return NULL;
	}
	mf->src.ops = &manifests_ops;
	mf->debounce_ms = debounce_ms;
	mf->ifd = mf->tfd = -1;
	return &mf->src;
}
