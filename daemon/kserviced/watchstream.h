/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A Kubernetes watch response is newline-delimited JSON: one event per
 * line, {"type": "ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR",
 * "object": {...}}. Chunks arrive as the network cuts them, so an event
 * may span any number of chunks; ksd_ndjson_feed() keeps the unfinished
 * line and calls back once per complete one.
 */
#ifndef KSD_WATCHSTREAM_H
#define KSD_WATCHSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* Longest line (one event) accepted by default. */
#define KSD_NDJSON_LINE_MAX	(64U << 20)
/* A buffer grown past this for one long line is freed once the line is
 * done: one huge event does not pin its size for the stream's life. */
#define KSD_NDJSON_KEEP		(64U << 10)

struct ksd_ndjson {
	char *buf;
	size_t len, cap;
	size_t max;		/* longest line: KSD_NDJSON_LINE_MAX by init */
	bool skipping;		/* in a line longer than max, up to its \n */
	unsigned long skipped;	/* lines longer than max, skipped so far */
};

/* Called with each complete line (no newline, NUL-terminated, maybe
 * empty lines skipped). A non-zero return stops the feed and is returned. */
typedef int (*ksd_ndjson_fn)(const char *line, size_t len, void *arg);

void ksd_ndjson_init(struct ksd_ndjson *p);
void ksd_ndjson_reset(struct ksd_ndjson *p);	/* drops a partial line */
void ksd_ndjson_release(struct ksd_ndjson *p);
/* Returns 0, what fn returned, or -ENOMEM. A line longer than p->max is
 * not kept: it is skipped up to its newline and counted in p->skipped,
 * and the lines after it go on. */
int ksd_ndjson_feed(struct ksd_ndjson *p, const char *data, size_t n,
		    ksd_ndjson_fn fn, void *arg);

enum ksd_event_type {
	KSD_EV_ADDED,
	KSD_EV_MODIFIED,
	KSD_EV_DELETED,
	KSD_EV_BOOKMARK,
	KSD_EV_ERROR,
};

/*
 * Parses one line into its type and object (*objp, the whole event's
 * tree is returned in *evp for the caller to cJSON_Delete). Returns 0 or
 * -EINVAL (not JSON, no known type, no object).
 */
int ksd_event_parse(const char *line, size_t len, enum ksd_event_type *type,
		    cJSON **evp, const cJSON **objp);

/* The "code" of an ERROR event's Status object, or 0. */
int ksd_status_code(const cJSON *status);

#endif /* KSD_WATCHSTREAM_H */
