// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes as a watch response body, cut into
 * chunks as the network might cut it (the cuts drawn from the input's own
 * hash, so that a crash replays), through ksd_ndjson_feed() and
 * ksd_event_parse() to the decoders and the store, as apiclient.c's
 * on_line() takes them: ADDED and MODIFIED decode and put, DELETED
 * deletes by namespace/name, BOOKMARK only moves the resourceVersion, an
 * ERROR (410 Gone or another) ends the stream. The resource is the
 * object's kind (Service unless it says Node or EndpointSlice).
 *
 * Besides the sanitizers: the lines of the chunked feed are those of the
 * same bytes fed at once (count, lengths and contents), no line holds a
 * newline, and the store keeps its invariants (fuzz_util.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "watchstream.h"

struct watch {
	struct ksd_store st;
	char *rv;
	uint64_t hash;			/* of the lines seen, in order */
	size_t lines;
	int stopped;			/* the code of the ERROR that ended it */
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The object's kind, as the resource it would come from. */
static const char *kind_of(const cJSON *obj)
{
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");

	if (cJSON_IsString(k) && (!strcmp(k->valuestring, "Node") ||
				  !strcmp(k->valuestring, "EndpointSlice")))
		return k->valuestring;
	return "Service";
}

static void delete(struct ksd_store *st, const cJSON *obj)
{
	const char *kind = kind_of(obj);
	const char *ns = fuzz_meta_str(obj, "namespace");
	const char *name = fuzz_meta_str(obj, "name");

	if (!ns || !*ns)
		ns = "default";
	if (!name)
		return;
	if (!strcmp(kind, "Node")) {
		ksd_store_del_node(st, name);
		fuzz_assert(!st->node || strcmp(st->node->meta.name, name));
	} else if (!strcmp(kind, "EndpointSlice")) {
		ksd_store_del_slice(st, ns, name);
	} else {
		ksd_store_del_service(st, ns, name);
		fuzz_assert(!ksd_store_service(st, ns, name));
	}
}

static void put(struct ksd_store *st, const cJSON *obj)
{
	const char *kind = kind_of(obj);
	char why[KSD_WHY_MAX];

	if (!strcmp(kind, "Node")) {
		struct ksd_node *node;

		if (ksd_decode_node(obj, &node, why))
			goto refused;
		fuzz_check_node(node);
		ksd_store_put_node(st, node);
	} else if (!strcmp(kind, "EndpointSlice")) {
		struct ksd_slice *sl;

		if (ksd_decode_slice(obj, &sl, why))
			goto refused;
		fuzz_check_slice(sl);
		ksd_store_put_slice(st, sl);
	} else {
		struct ksd_service *svc;

		if (ksd_decode_service(obj, &svc, why))
			goto refused;
		fuzz_check_service(svc);
		ksd_store_put_service(st, svc);
	}
	return;
refused:
	fuzz_check_why(why, kind);
}

static int on_line(const char *line, size_t len, void *arg)
{
	struct watch *w = arg;
	enum ksd_event_type type;
	const cJSON *obj;
	const char *rv;
	cJSON *ev;

	fuzz_assert(len && !line[len] && !memchr(line, '\n', len));
	w->hash = fnv(fnv(w->hash, &len, sizeof(len)), line, len);
	w->lines++;
	if (ksd_event_parse(line, len, &type, &ev, &obj)) {
		fuzz_assert(!ev);
		return 0;
	}
	fuzz_assert(ev && cJSON_IsObject(obj) && type <= KSD_EV_ERROR);
	if (type == KSD_EV_ERROR) {
		w->stopped = ksd_status_code(obj);
		cJSON_Delete(ev);
		return -ECANCELED;
	}
	rv = fuzz_meta_str(obj, "resourceVersion");
	if (rv && *rv) {
		free(w->rv);
		w->rv = strdup(rv);
		if (!w->rv)
			abort();
	}
	if (type == KSD_EV_ADDED || type == KSD_EV_MODIFIED)
		put(&w->st, obj);
	else if (type == KSD_EV_DELETED)
		delete(&w->st, obj);
	cJSON_Delete(ev);
	return 0;
}

/* Feeds data in chunks (whole when cuts is 0) until an ERROR ends it. */
static void run(struct watch *w, const uint8_t *data, size_t size,
		uint64_t cuts)
{
	struct ksd_ndjson nd;
	int ret = 0;

	memset(w, 0, sizeof(*w));
	ksd_store_init(&w->st);
	w->st.node_name = "node-1";
	ksd_ndjson_init(&nd);
	while (size && !ret) {
		size_t n = size;

		if (cuts) {
			cuts = cuts * 6364136223846793005ULL +
			       1442695040888963407ULL;
			/* Mostly small pieces, now and then a large one. */
			n = (cuts >> 60) ? 1 + (cuts >> 33) % 16 :
					   1 + (cuts >> 33) % 4096;
			if (n > size)
				n = size;
		}
		ret = ksd_ndjson_feed(&nd, (const char *)data, n, on_line, w);
		fuzz_assert(!ret || ret == -ECANCELED);
		data += n;
		size -= n;
	}
	ksd_ndjson_release(&nd);
	fuzz_check_store(&w->st);
}

static void done(struct watch *w)
{
	ksd_store_release(&w->st);
	free(w->rv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct watch whole, chunked;

	run(&whole, data, size, 0);
	run(&chunked, data, size, fnv(0xcbf29ce484222325ULL, data, size) | 1);
	fuzz_assert(whole.lines == chunked.lines &&
		    whole.hash == chunked.hash &&
		    whole.stopped == chunked.stopped &&
		    whole.st.nsvcs == chunked.st.nsvcs &&
		    whole.st.nslices == chunked.st.nslices &&
		    !whole.st.node == !chunked.st.node);
	fuzz_assert(!whole.rv == !chunked.rv &&
		    (!whole.rv || !strcmp(whole.rv, chunked.rv)));
	done(&whole);
	done(&chunked);
	return 0;
}
