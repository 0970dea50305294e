// SPDX-License-Identifier: GPL-2.0
/*
 * The watch stream's lines and events; see watchstream.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "watchstream.h"

void ksd_ndjson_init(struct ksd_ndjson *p)
{
	memset(p, 0, sizeof(*p));
	p->max = KSD_NDJSON_LINE_MAX;
}

/* The line is done: a buffer grown for a long one is given back. */
static void line_done(struct ksd_ndjson *p)
{
	p->len = 0;
	p->skipping = false;
	if (p->cap > KSD_NDJSON_KEEP) {
		free(p->buf);
		p->buf = NULL;
		p->cap = 0;
	}
}

void ksd_ndjson_reset(struct ksd_ndjson *p)
{
	line_done(p);
}

void ksd_ndjson_release(struct ksd_ndjson *p)
{
	size_t max = p->max;

	free(p->buf);
	ksd_ndjson_init(p);
	p->max = max;
}

static int append(struct ksd_ndjson *p, const char *data, size_t n)
{
	if (p->skipping)
		return 0;
	if (p->len + n > p->max) {
		/* Too long: dropped, the rest of it too. */
		p->skipping = true;
		p->skipped++;
		p->len = 0;
		return 0;
	}
	if (p->len + n + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < p->len + n + 1)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, n);
	p->len += n;
	p->buf[p->len] = 0;
	return 0;
}

/* The line of len bytes in p->buf, which append() NUL-terminated (no
 * buffer at all for an empty line). */
static int emit(struct ksd_ndjson *p, size_t len, ksd_ndjson_fn fn,
		void *arg)
{
	/* A line may end in \r\n: the \r goes, so that the line stays
	 * NUL-terminated after len; blank lines are keep-alives. */
	if (len && p->buf[len - 1] == '\r')
		p->buf[--len] = 0;
	if (!len)
		return 0;
	return fn(p->buf, len, arg);
}

int ksd_ndjson_feed(struct ksd_ndjson *p, const char *data, size_t n,
		    ksd_ndjson_fn fn, void *arg)
{
	while (n) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		bool skipped;
		int ret = append(p, data, take);

		if (ret) {
			line_done(p);
			return ret;
		}
		if (!nl)
			return 0;
		data += take + 1;
		n -= take + 1;
		take = p->len;
		skipped = p->skipping;
		p->len = 0;	/* before fn, which may feed no more */
		p->skipping = false;
		ret = skipped ? 0 : emit(p, take, fn, arg);
		line_done(p);
		if (ret)
			return ret;
	}
	return 0;
}

int ksd_event_parse(const char *line, size_t len, enum ksd_event_type *type,
		    cJSON **evp, const cJSON **objp)
{
	static const char *const names[] = {
		[KSD_EV_ADDED] = "ADDED", [KSD_EV_MODIFIED] = "MODIFIED",
		[KSD_EV_DELETED] = "DELETED", [KSD_EV_BOOKMARK] = "BOOKMARK",
		[KSD_EV_ERROR] = "ERROR",
	};
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *t, *obj;

	*evp = NULL;
	if (!ev)
		return -EINVAL;
	t = cJSON_GetObjectItemCaseSensitive(ev, "type");
	obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	if (!cJSON_IsString(t) || !cJSON_IsObject(obj))
		goto bad;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(t->valuestring, names[i])) {
			*type = (enum ksd_event_type)i;
			*evp = ev;
			*objp = obj;
			return 0;
		}
	}
bad:
	cJSON_Delete(ev);
	return -EINVAL;
}

int ksd_status_code(const cJSON *status)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(status, "code");

	return cJSON_IsNumber(c) ? c->valueint : 0;
}
