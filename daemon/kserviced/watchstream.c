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
}

void ksd_ndjson_reset(struct ksd_ndjson *p)
{
	p->len = 0;
}

void ksd_ndjson_release(struct ksd_ndjson *p)
{
	free(p->buf);
	ksd_ndjson_init(p);
}

static int append(struct ksd_ndjson *p, const char *data, size_t n)
{
	if (p->len + n > KSD_NDJSON_LINE_MAX)
		return -E2BIG;
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

/* The line of len bytes in p->buf, which append() NUL-terminated. */
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
		int ret = append(p, data, take);

		if (ret) {
			p->len = 0;
			return ret;
		}
		if (!nl)
			return 0;
		data += take + 1;
		n -= take + 1;
		take = p->len;
		p->len = 0;	/* before fn, which may feed no more */
		ret = emit(p, take, fn, arg);
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
