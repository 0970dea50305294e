// SPDX-License-Identifier: GPL-2.0
/*
 * The Kubernetes API source; see apiclient.h.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <curl/curl.h>

#include "apiclient.h"
#include "log.h"
#include "watchstream.h"

/* Largest list page or error body kept. */
#define BODY_MAX	(256U << 20)

enum phase { LISTING, WATCHING };

struct apiclient;

struct res {
	struct apiclient *ac;
	const char *path;		/* /api/v1/services, ... */
	const char *kind;		/* for the log */
	enum { RES_SVC, RES_SLICE, RES_NODE } type;
	char *sel;			/* "&fieldSelector=...", or "" */
	enum phase phase;
	CURL *easy;
	struct curl_slist *hdrs;	/* the request's, its token in */
	char *rv;			/* last resourceVersion seen */
	char *cont;			/* the list's continue token */
	struct ksd_store list;		/* the pages listed so far */
	char *body;
	size_t blen;
	struct ksd_ndjson nd;
	bool relist;			/* an ERROR 410 in the stream */
	bool error_event;		/* another ERROR in the stream */
	bool got_data;			/* this watch gave something */
	bool changed;			/* the store changed in this chunk */
	bool listed;			/* listed at least once */
	bool fresh;			/* the next request on a new connection */
	bool from_cache;		/* the next list: resourceVersion=0 */
	uint64_t retry_after_ms;	/* the answer's Retry-After */
	uint64_t rx_ms;			/* when the watch last gave a byte */
	int tfd;			/* backoff; a watch's idle bound */
	struct ksd_backoff backoff;
};

struct apiclient {
	struct ksd_source src;		/* first: the daemon sees this */
	struct ksd_kubeconfig kc;
	struct ksd_api_opts o;
	struct ksd_loop *loop;
	CURLM *multi;
	int tfd;			/* curl's timeout */
	uint64_t token_read_ms;		/* when kc.token_file was read */
	bool token_stale;		/* a 401: read it before the next */
	struct res res[3];
	int nres;			/* 3 with this node's Node */
	struct ksd_bucket bucket;	/* the requests' rate */
};

static const char *meta_str(const cJSON *obj, const char *key)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(m, key);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

/*
 * A resourceVersion to resume from. The API calls it opaque, but what it
 * gives is a decimal unsigned 64-bit number (etcd's revision); whatever it
 * is, the daemon sends it back in a URL, so: 1 to KSD_API_RV_MAX
 * characters that need no escaping, and digits alone only if they fit in
 * 64 bits. Anything else is garbage, never a point to resume from.
 */
static bool rv_ok(const char *rv)
{
	size_t n = rv ? strlen(rv) : 0;
	bool digits = true;

	if (!n || n > KSD_API_RV_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = rv[i];

		if (c >= '0' && c <= '9')
			continue;
		digits = false;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      c == '-' || c == '.' || c == '_' || c == '~'))
			return false;
	}
	if (digits) {
		errno = 0;
		(void)strtoull(rv, NULL, 10);
		if (errno == ERANGE)
			return false;
	}
	return true;
}

static void set_str(char **dst, const char *s)
{
	char *c = s ? strdup(s) : NULL;

	if (s && !c)
		abort();
	free(*dst);
	*dst = c;
}

/* --- requests --- */

/*
 * A token from a file rotates (a projected service account token every
 * hour or so): read again as client-go does, every minute and at once
 * after a 401. A failed read keeps the token there was.
 */
static void refresh_token(struct apiclient *ac)
{
	char why[KSD_KUBECONFIG_WHY_MAX], *token = NULL;
	uint64_t now = ksd_mono_ms();

	if (!ac->kc.token_file ||
	    (!ac->token_stale && now - ac->token_read_ms < KSD_API_TOKEN_MS))
		return;
	ac->token_stale = false;
	ac->token_read_ms = now;
	if (ksd_read_token(ac->kc.token_file, &token, why)) {
		ksd_warn("api: token: %s; keeping the one read before", why);
		return;
	}
	if (ac->kc.token && !strcmp(token, ac->kc.token)) {
		memset(token, 0, strlen(token));
		free(token);
		return;
	}
	ksd_info("api: token: read again from %s (it changed)",
		 ac->kc.token_file);
	if (ac->kc.token) {
		memset(ac->kc.token, 0, strlen(ac->kc.token));
		free(ac->kc.token);
	}
	ac->kc.token = token;
}

/* The headers of one request, with the token as it is now. */
static struct curl_slist *request_headers(struct apiclient *ac)
{
	struct curl_slist *h = curl_slist_append(NULL,
						 "Accept: application/json");
	char *auth;

	refresh_token(ac);
	if (h && ac->kc.token) {
		if (asprintf(&auth, "Authorization: Bearer %s",
			     ac->kc.token) < 0)
			auth = NULL;
		if (!auth || !curl_slist_append(h, auth)) {
			curl_slist_free_all(h);
			h = NULL;
		}
		if (auth) {
			memset(auth, 0, strlen(auth));
			free(auth);
		}
	}
	return h;
}

static void free_headers(struct res *r)
{
	struct curl_slist *h;

	for (h = r->hdrs; h; h = h->next)
		memset(h->data, 0, strlen(h->data));
	curl_slist_free_all(r->hdrs);
	r->hdrs = NULL;
}

/* The request out, if any, taken off the multi handle and freed. */
static void end_transfer(struct res *r)
{
	if (r->easy) {
		curl_multi_remove_handle(r->ac->multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	free_headers(r);
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg);

/* The keepalive count and the user timeout, which curl has no option
 * for (see KSD_API_TCP_USER_TIMEOUT_MS). */
static int on_sockopt(void *arg, curl_socket_t s, curlsocktype purpose)
{
	int cnt = KSD_API_TCP_KEEPCNT;
	unsigned int ut = KSD_API_TCP_USER_TIMEOUT_MS;

	(void)arg;
	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKOPT_OK;
	if (setsockopt(s, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) ||
	    setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &ut, sizeof(ut)))
		ksd_warn("api: cannot bound a silent connection: %m");
	return CURL_SOCKOPT_OK;
}

/*
 * The end of a response's headers: an answer other than 401 means the
 * credentials are taken again (a watch that is answered 200 may then say
 * nothing for minutes, so its end would be too late to know).
 */
static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct res *r = arg;
	size_t n = size * nmemb;
	long code = 0;

	r->rx_ms = ksd_mono_ms();
	if (n > 12 && !strncasecmp(data, "Retry-After:", 12)) {
		/* Seconds (the API server's form; an HTTP date is not
		 * taken). */
		char *end;
		unsigned long sec = strtoul(data + 12, &end, 10);

		if (end != data + 12 && (*end == '\r' || *end == '\n'))
			r->retry_after_ms = sec > KSD_API_RETRY_AFTER_MAX_MS /
					    1000 ? KSD_API_RETRY_AFTER_MAX_MS :
					    sec * 1000;
	}
	if ((n == 2 && data[0] == '\r' && data[1] == '\n') ||
	    (n == 1 && data[0] == '\n')) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 200 && code != 401 && code != 403)
			r->ac->src.unauthorized_ms = 0;
	}
	return n;
}

static int start_request(struct res *r)
{
	struct apiclient *ac = r->ac;
	const struct ksd_kubeconfig *kc = &ac->kc;
	char *url = NULL, *esc = NULL;
	bool need_esc;
	CURL *e;
	int n;

	e = curl_easy_init();
	if (!e)
		return -ENOMEM;
	free_headers(r);
	r->hdrs = request_headers(ac);
	if (!r->hdrs) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	need_esc = r->phase == WATCHING || r->cont;
	if (r->phase == LISTING) {
		if (r->cont)
			esc = curl_easy_escape(e, r->cont, 0);
		/* The first list of a kind comes from the API server's
		 * watch cache, as client-go's reflector asks (it may ignore
		 * limit, and must be given no continue). */
		n = asprintf(&url, "%s%s?limit=%u%s%s%s%s", kc->server,
			     r->path, ac->o.page_limit, r->sel,
			     esc ? "&continue=" : "", esc ? esc : "",
			     r->from_cache && !esc ? "&resourceVersion=0" :
			     "");
	} else {
		esc = curl_easy_escape(e, r->rv ? r->rv : "", 0);
		/* The server ends a watch after timeoutSeconds, as
		 * client-go's reflector asks (5 to 10 minutes). */
		n = asprintf(&url, "%s%s?watch=1&allowWatchBookmarks=true"
			     "&resourceVersion=%s&timeoutSeconds=%d%s",
			     kc->server, r->path, esc ? esc : "",
			     300 + rand() % 300, r->sel);
	}
	if (n < 0 || (need_esc && !esc)) {
		curl_free(esc);
		free(url);
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	curl_free(esc);
	curl_easy_setopt(e, CURLOPT_URL, url);
	free(url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "kserviced/" KSCTL_VERSION);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, (long)KSD_API_TCP_KEEPIDLE_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL,
			 (long)KSD_API_TCP_KEEPINTVL_S);
	curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, r->fresh ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	if (r->phase == LISTING)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
				 (long)ac->o.list_timeout_ms);
	if (kc->ca.data) {
		struct curl_blob b = { kc->ca.data, kc->ca.len,
				       CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	} else if (kc->ca.file) {
		curl_easy_setopt(e, CURLOPT_CAINFO, kc->ca.file);
	}
	if (kc->cert.data) {
		struct curl_blob b = { kc->cert.data, kc->cert.len,
				       CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_SSLCERT_BLOB, &b);
	} else if (kc->cert.file) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, kc->cert.file);
	}
	if (kc->key.data) {
		struct curl_blob b = { kc->key.data, kc->key.len,
				       CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_SSLKEY_BLOB, &b);
	} else if (kc->key.file) {
		curl_easy_setopt(e, CURLOPT_SSLKEY, kc->key.file);
	}
	/* The last answer's body (a list page may be huge) is not kept. */
	free(r->body);
	r->body = NULL;
	r->blen = 0;
	r->relist = r->error_event = r->got_data = false;
	r->retry_after_ms = 0;
	ksd_ndjson_reset(&r->nd);
	if (curl_multi_add_handle(ac->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		return -ENOMEM;
	}
	r->easy = e;
	r->fresh = false;
	if (r->phase == WATCHING) {
		/* The idle bound, on the backoff's timer (unused while a
		 * request is out). */
		r->rx_ms = ksd_mono_ms();
		ksd_timer_arm(r->tfd, ac->o.watch_idle_ms);
	}
	ksd_log(KSD_LOG_V4, "api: %s: %s", r->kind,
		r->phase == LISTING ? "listing" : "watching");
	return 0;
}

void ksd_backoff_init(struct ksd_backoff *b, uint64_t min_ms,
		      uint64_t max_ms)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms;
	b->cur_ms = min_ms;
}

uint64_t ksd_backoff_next(struct ksd_backoff *b, uint64_t rnd)
{
	uint64_t d = b->cur_ms;

	b->cur_ms = d * 2 > b->max_ms ? b->max_ms : d * 2;
	/* Half the backoff, plus up to as much again at random. */
	return d / 2 + rnd % (d / 2 + 1);
}

void ksd_backoff_reset(struct ksd_backoff *b)
{
	b->cur_ms = b->min_ms;
}

void ksd_bucket_init(struct ksd_bucket *b, double qps, unsigned int burst,
		     uint64_t now_ms)
{
	b->qps = qps;
	b->burst = burst ? burst : 1;
	b->tokens = b->burst;
	b->last_ms = now_ms;
}

uint64_t ksd_bucket_take(struct ksd_bucket *b, uint64_t now_ms)
{
	double wait;

	if (b->qps <= 0)
		return 0;
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->qps / 1000;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->last_ms = now_ms;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
		return 0;
	}
	wait = ceil((1 - b->tokens) * 1000 / b->qps);
	return wait < 1 ? 1 : (uint64_t)wait;
}

static void retry_later(struct res *r)
{
	uint64_t wait = ksd_backoff_next(&r->backoff, (uint64_t)rand());

	/* The server said how long at least (429, 5xx), bounded. */
	if (wait < r->retry_after_ms)
		wait = r->retry_after_ms;
	r->retry_after_ms = 0;
	ksd_log(KSD_LOG_V2, "api: %s: trying again in %llu ms", r->kind,
		(unsigned long long)wait);
	ksd_timer_arm(r->tfd, wait ? wait : 1);
}

static void start_or_retry(struct res *r)
{
	uint64_t wait = ksd_bucket_take(&r->ac->bucket, ksd_mono_ms());

	if (wait) {
		/* --kube-api-qps: asked again when a token is there. */
		ksd_log(KSD_LOG_V4, "api: %s: waiting %llu ms for the request "
			"rate", r->kind, (unsigned long long)wait);
		ksd_timer_arm(r->tfd, wait);
		return;
	}
	if (start_request(r)) {
		ksd_err("api: %s: cannot start a request", r->kind);
		retry_later(r);
	}
}

/* --- the store --- */

/* Deletes obj's namespace/name from st; true when it was there. */
static bool del_obj(struct res *r, struct ksd_store *st, const cJSON *obj)
{
	const char *ns = meta_str(obj, "namespace");
	const char *name = meta_str(obj, "name");

	if (!ns || !*ns)
		ns = "default";
	if (!name)
		return false;
	return r->type == RES_NODE ? ksd_store_del_node(st, name) :
	       r->type == RES_SLICE ? ksd_store_del_slice(st, ns, name) :
	       ksd_store_del_service(st, ns, name);
}

/*
 * Puts obj into st; returns whether it decoded. *changed (when given) says
 * whether st changed in what kserviced uses (a Node whose status alone
 * changed, a heartbeat, does not). An object that does not decode is
 * dropped, as it would be from a list: a MODIFIED one takes its older
 * version out of the store.
 */
static bool put_obj(struct res *r, struct ksd_store *st, const cJSON *obj,
		    const char *how, bool *changed)
{
	bool ch = true;
	char why[KSD_WHY_MAX];
	int ret;

	if (r->type == RES_NODE) {
		struct ksd_node *node;

		ret = ksd_decode_node(obj, &node, why);
		if (!ret)
			ch = ksd_store_put_node(st, node);
	} else if (r->type == RES_SLICE) {
		struct ksd_slice *sl;

		ret = ksd_decode_slice(obj, &sl, why);
		if (!ret)
			ksd_store_put_slice(st, sl);
	} else {
		struct ksd_service *svc;

		ret = ksd_decode_service(obj, &svc, why);
		if (!ret)
			ksd_store_put_service(st, svc);
	}
	if (ret) {
		ksd_warn("api: %s: skipped: %s", how, why);
		ch = del_obj(r, st, obj);
	}
	if (changed)
		*changed = ch;
	return !ret;
}

/* The listed objects replace the store's of that kind. */
static void install(struct res *r)
{
	struct ksd_store *st = r->ac->src.store;

	if (r->type == RES_NODE) {
		if (r->list.node) {
			ksd_store_put_node(st, r->list.node);
			r->list.node = NULL;
		} else if (st->node) {
			ksd_store_del_node(st, st->node->meta.name);
		}
	} else if (r->type == RES_SLICE) {
		ksd_store_clear_slices(st);
		for (size_t i = 0; i < r->list.nslices; i++)
			ksd_store_put_slice(st, r->list.slices[i]);
		r->list.nslices = 0;
	} else {
		ksd_store_clear_services(st);
		for (size_t i = 0; i < r->list.nsvcs; i++)
			ksd_store_put_service(st, r->list.svcs[i]);
		r->list.nsvcs = 0;
	}
	st->changes++;
	ksd_store_release(&r->list);
}

/* --- the watch stream --- */

static int on_line(const char *line, size_t len, void *arg)
{
	struct res *r = arg;
	struct ksd_store *st = r->ac->src.store;
	enum ksd_event_type type;
	const cJSON *obj;
	const char *rv;
	cJSON *ev;

	if (ksd_event_parse(line, len, &type, &ev, &obj)) {
		ksd_warn("api: %s: a watch event that does not parse, "
			 "skipped", r->kind);
		return 0;
	}
	r->got_data = true;
	if (type == KSD_EV_ERROR) {
		int code = ksd_status_code(obj);

		if (code == 410) {
			ksd_info("api: %s: 410 Gone: listing again", r->kind);
			r->relist = true;
		} else {
			ksd_warn("api: %s: watch error %d: listing again",
				 r->kind, code);
			r->error_event = true;
		}
		cJSON_Delete(ev);
		return -ECANCELED;
	}
	/* The resume point comes only from an event that was understood:
	 * a bookmark, an object that decoded, a deletion that names one. */
	bool took = type == KSD_EV_BOOKMARK;

	if (type == KSD_EV_ADDED || type == KSD_EV_MODIFIED) {
		bool ch;

		took = put_obj(r, st, obj, type == KSD_EV_ADDED ? "ADDED" :
			       "MODIFIED", &ch);
		if (ch)
			r->changed = true;
	} else if (type == KSD_EV_DELETED) {
		const char *name = meta_str(obj, "name");

		took = name && *name;
		if (!took)
			ksd_warn("api: %s: DELETED: skipped: no name", r->kind);
		else if (del_obj(r, st, obj))
			r->changed = true;
	}
	rv = meta_str(obj, "resourceVersion");
	if (took && rv_ok(rv))
		set_str(&r->rv, rv);
	else if (took && rv)
		ksd_warn("api: %s: an event's resourceVersion is not one to "
			 "resume from (%.40s), kept %s", r->kind, rv,
			 r->rv ? r->rv : "none");
	cJSON_Delete(ev);
	return 0;
}

static int append_body(struct res *r, const char *data, size_t n)
{
	char *b;

	if (r->blen + n > BODY_MAX)
		return -E2BIG;
	b = realloc(r->body, r->blen + n + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b + r->blen, data, n);
	r->body = b;
	r->blen += n;
	b[r->blen] = 0;
	return 0;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct res *r = arg;
	size_t n = size * nmemb;
	unsigned long skipped;
	long code = 0;
	int ret;

	r->rx_ms = ksd_mono_ms();
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	if (r->phase != WATCHING || code != 200)
		return append_body(r, data, n) ? 0 : n;
	r->changed = false;
	skipped = r->nd.skipped;
	ret = ksd_ndjson_feed(&r->nd, data, n, on_line, r);
	if (r->changed && r->ac->src.synced)
		r->ac->src.changed(&r->ac->src, KSD_CHANGED_SOME);
	if (r->nd.skipped != skipped) {
		r->got_data = true;
		ksd_warn("api: %s: a watch event larger than %zu bytes, "
			 "skipped", r->kind, r->nd.max);
	}
	return ret ? 0 : n;	/* 0 ends the transfer */
}

/* --- completed requests --- */

static bool list_page(struct res *r)
{
	cJSON *doc = cJSON_ParseWithLength(r->body ? r->body : "", r->blen);
	const cJSON *items, *item, *meta, *cont;
	const char *rv;

	if (!cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		ksd_err("api: %s: the list is not JSON", r->kind);
		return false;
	}
	items = cJSON_GetObjectItemCaseSensitive(doc, "items");
	meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	rv = meta_str(doc, "resourceVersion");
	if (!rv_ok(rv) || (items && !cJSON_IsArray(items) &&
			    !cJSON_IsNull(items))) {
		cJSON_Delete(doc);
		ksd_err("api: %s: the list has no valid resourceVersion or "
			"items", r->kind);
		return false;
	}
	if (cJSON_IsArray(items))
		cJSON_ArrayForEach(item, items)
			put_obj(r, &r->list, item, "list", NULL);
	set_str(&r->rv, rv);
	cont = cJSON_GetObjectItemCaseSensitive(meta, "continue");
	set_str(&r->cont, cJSON_IsString(cont) && *cont->valuestring ?
		cont->valuestring : NULL);
	cJSON_Delete(doc);
	return true;
}

static void listed(struct res *r)
{
	struct apiclient *ac = r->ac;
	bool was = ac->src.synced;

	install(r);
	r->listed = true;
	/* Lists after the first (410, refused resumes, SIGHUP) are read
	 * from etcd: the cache may be what was behind. */
	r->from_cache = false;
	ksd_info("api: %s: listed at resourceVersion %s (%zu services, %zu "
		 "endpoint slices in the store)", r->kind, r->rv,
		 ac->src.store->nsvcs, ac->src.store->nslices);
	bool all = true;

	for (int i = 0; i < ac->nres; i++)
		all = all && ac->res[i].listed;
	if (all) {
		ac->src.synced = true;
		/* A complete state: a full pass, mark and sweep. */
		ac->src.changed(&ac->src, KSD_CHANGED_ALL);
	}
	(void)was;
	r->phase = WATCHING;
	start_or_retry(r);
}

static void restart_list(struct res *r)
{
	ksd_store_release(&r->list);
	set_str(&r->cont, NULL);
	r->phase = LISTING;
}

/* An answer that says "not now" rather than "not this": the same request
 * is asked again after the backoff. */
static bool transient(long code)
{
	return code == 429 || code == 500 || code == 502 || code == 503;
}

static void done(struct res *r, CURLcode result)
{
	long code = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &code);
	end_transfer(r);
	ksd_timer_arm(r->tfd, 0);	/* no idle bound while none is out */
	/* A transfer that failed (timed out, reset) may have left its
	 * peer's address on a dead path: the next one connects anew. */
	if (result != CURLE_OK)
		r->fresh = true;
	if (code != 429 && code < 500)
		r->retry_after_ms = 0;
	if (code == 401) {
		/* Refused credentials: the token may have rotated. */
		if (!r->ac->src.unauthorized_ms)
			r->ac->src.unauthorized_ms = ksd_mono_ms() ?: 1;
		r->ac->token_stale = true;
		ksd_warn("api: %s: HTTP 401 Unauthorized%s", r->kind,
			 r->ac->kc.token_file ? ": reading the token again" :
			 "");
		retry_later(r);
		return;
	}
	if (r->phase == LISTING) {
		if (result == CURLE_OK && code == 200 && list_page(r)) {
			ksd_backoff_reset(&r->backoff);
			if (r->cont)
				start_or_retry(r);	/* the next page */
			else
				listed(r);
			return;
		}
		if (code == 410)
			ksd_info("api: %s: the list's continue token expired",
				 r->kind);
		else if (result != CURLE_OK)
			ksd_warn("api: %s: list: %s", r->kind,
				 curl_easy_strerror(result));
		else if (code != 200)
			ksd_warn("api: %s: list: HTTP %ld", r->kind, code);
		restart_list(r);
		retry_later(r);
		return;
	}
	if (r->relist || code == 410) {
		if (code == 410)
			ksd_info("api: %s: 410 Gone: listing again", r->kind);
		restart_list(r);
		start_or_retry(r);
		return;
	}
	if (code == 200 && result == CURLE_OK && r->got_data) {
		/* The server ended the watch: go on from where it was. */
		ksd_backoff_reset(&r->backoff);
		start_or_retry(r);
		return;
	}
	if (r->got_data)
		ksd_backoff_reset(&r->backoff);
	if (r->error_event || (code && code != 200 && !transient(code))) {
		/* The server refuses to go on from there (a resourceVersion
		 * too large, not understood, ...): asking the same again
		 * would be refused forever. As client-go's reflector: list
		 * again, after the backoff. */
		if (!r->error_event)
			ksd_warn("api: %s: watch: HTTP %ld: listing again",
				 r->kind, code);
		restart_list(r);
	} else if (code && code != 200) {
		ksd_warn("api: %s: watch: HTTP %ld", r->kind, code);
	} else {
		ksd_warn("api: %s: watch dropped: %s; resuming from "
			 "resourceVersion %s", r->kind,
			 result == CURLE_OK ? "ended" :
			 curl_easy_strerror(result), r->rv);
	}
	retry_later(r);
}

static void check_done(struct apiclient *ac)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(ac->multi, &left))) {
		struct res *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&r);
		done(r, msg->data.result);
	}
}

/* --- curl on the loop --- */

static void on_fd(int fd, uint32_t events, void *arg)
{
	struct apiclient *ac = arg;
	int flags = 0, running;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(ac->multi, fd, flags, &running);
	check_done(ac);
}

static int on_socket(CURL *e, curl_socket_t s, int what, void *userp,
		     void *sockp)
{
	struct apiclient *ac = userp;
	uint32_t ev = 0;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (sockp)
			ksd_loop_del(ac->loop, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev |= EPOLLOUT;
	if (sockp)
		return ksd_loop_mod(ac->loop, s, ev) ? -1 : 0;
	if (ksd_loop_add(ac->loop, s, ev, on_fd, ac))
		return -1;
	curl_multi_assign(ac->multi, s, ac);
	return 0;
}

static int on_curl_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct apiclient *ac = userp;

	(void)m;
	if (timeout_ms < 0)
		return ksd_timer_arm(ac->tfd, 0) ? -1 : 0;
	if (timeout_ms == 0)
		return ksd_timer_arm_now(ac->tfd) ? -1 : 0;
	return ksd_timer_arm(ac->tfd, (uint64_t)timeout_ms) ? -1 : 0;
}

static void on_timeout(int fd, uint32_t events, void *arg)
{
	struct apiclient *ac = arg;
	int running;

	(void)events;
	ksd_timer_ack(fd);
	curl_multi_socket_action(ac->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(ac);
}

/*
 * A watch that has said nothing for the idle bound: the server froze, or
 * the path to it is gone. Ended, and resumed at once on a new
 * connection (its own may be the dead one).
 */
static void check_idle(struct res *r)
{
	struct apiclient *ac = r->ac;
	uint64_t idle = ksd_mono_ms() - r->rx_ms;

	if (idle < ac->o.watch_idle_ms) {
		ksd_timer_arm(r->tfd, ac->o.watch_idle_ms - idle);
		return;
	}
	ksd_warn("api: %s: the watch said nothing for %llu ms: resuming "
		 "from resourceVersion %s on a new connection", r->kind,
		 (unsigned long long)idle, r->rv);
	end_transfer(r);
	r->fresh = true;
	start_or_retry(r);
}

static void on_backoff(int fd, uint32_t events, void *arg)
{
	struct res *r = arg;

	(void)events;
	ksd_timer_ack(fd);
	if (!r->easy)
		start_or_retry(r);
	else if (r->phase == WATCHING)
		check_idle(r);
}

/* --- the source --- */

static void stop(struct ksd_source *src)
{
	struct apiclient *ac = (struct apiclient *)src;

	for (int i = 0; i < ac->nres; i++) {
		struct res *r = &ac->res[i];

		free(r->sel);
		end_transfer(r);
		if (r->tfd >= 0) {
			if (ac->loop)
				ksd_loop_del(ac->loop, r->tfd);
			close(r->tfd);
		}
		ksd_store_release(&r->list);
		ksd_ndjson_release(&r->nd);
		free(r->rv);
		free(r->cont);
		free(r->body);
	}
	if (ac->multi)
		curl_multi_cleanup(ac->multi);
	if (ac->tfd >= 0) {
		if (ac->loop)
			ksd_loop_del(ac->loop, ac->tfd);
		close(ac->tfd);
	}
	ksd_kubeconfig_release(&ac->kc);
	free(ac);
	curl_global_cleanup();
}

static int start(struct ksd_source *src, struct ksd_loop *loop)
{
	struct apiclient *ac = (struct apiclient *)src;
	int ret;

	ac->multi = curl_multi_init();
	if (!ac->multi)
		return -ENOMEM;
	curl_multi_setopt(ac->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(ac->multi, CURLMOPT_SOCKETDATA, ac);
	curl_multi_setopt(ac->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(ac->multi, CURLMOPT_TIMERDATA, ac);
	ac->tfd = ksd_timer_new();
	if (ac->tfd < 0)
		return ac->tfd;
	ret = ksd_loop_add(loop, ac->tfd, EPOLLIN, on_timeout, ac);
	if (ret) {
		close(ac->tfd);
		ac->tfd = -1;
		return ret;
	}
	ac->loop = loop;
	for (int i = 0; i < ac->nres; i++) {
		struct res *r = &ac->res[i];

		r->tfd = ksd_timer_new();
		if (r->tfd < 0)
			return r->tfd;
		ret = ksd_loop_add(loop, r->tfd, EPOLLIN, on_backoff, r);
		if (ret) {
			close(r->tfd);
			r->tfd = -1;
			return ret;
		}
	}
	ksd_info("api: %s", ac->kc.server);
	for (int i = 0; i < ac->nres; i++)
		start_or_retry(&ac->res[i]);
	return 0;
}

/* SIGHUP: both kinds listed again, the store replaced kind by kind. */
static void hup(struct ksd_source *src)
{
	struct apiclient *ac = (struct apiclient *)src;

	for (int i = 0; i < ac->nres; i++) {
		struct res *r = &ac->res[i];

		end_transfer(r);
		restart_list(r);
		ksd_backoff_reset(&r->backoff);
		start_or_retry(r);
	}
}

static const struct ksd_source_ops api_ops = {
	.name = "kubernetes-api",
	.start = start,
	.reload = hup,
	.stop = stop,
};

struct ksd_source *ksd_api_source(struct ksd_kubeconfig *kc,
				  const struct ksd_api_opts *o)
{
	struct apiclient *ac;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		ksd_kubeconfig_release(kc);
		return NULL;
	}
	ac = calloc(1, sizeof(*ac));
	if (!ac) {
		ksd_kubeconfig_release(kc);
		curl_global_cleanup();
		return NULL;
	}
	ac->src.ops = &api_ops;
	ac->kc = *kc;
	memset(kc, 0, sizeof(*kc));
	if (o)
		ac->o = *o;
	if (!ac->o.page_limit)
		ac->o.page_limit = KSD_API_PAGE_LIMIT;
	if (!ac->o.backoff_min_ms)
		ac->o.backoff_min_ms = KSD_API_BACKOFF_MIN_MS;
	if (!ac->o.backoff_max_ms)
		ac->o.backoff_max_ms = KSD_API_BACKOFF_MAX_MS;
	if (!ac->o.watch_idle_ms)
		ac->o.watch_idle_ms = KSD_API_WATCH_IDLE_MS;
	if (!ac->o.list_timeout_ms)
		ac->o.list_timeout_ms = KSD_API_LIST_TIMEOUT_MS;
	ksd_bucket_init(&ac->bucket, ac->o.qps ? ac->o.qps : KSD_API_QPS,
			ac->o.burst ? ac->o.burst : KSD_API_BURST, ksd_mono_ms());
	ac->tfd = -1;
	ac->token_read_ms = ksd_mono_ms();
	ac->nres = ac->o.node_name && *ac->o.node_name ? 3 : 2;
	for (int i = 0; i < ac->nres; i++) {
		static const char *const paths[] = {
			"/api/v1/services",
			"/apis/discovery.k8s.io/v1/endpointslices",
			"/api/v1/nodes",
		};
		static const char *const kinds[] = {
			"services", "endpointslices", "nodes",
		};
		struct res *r = &ac->res[i];

		r->ac = ac;
		r->tfd = -1;
		r->type = i;
		r->path = paths[i];
		r->kind = kinds[i];
		if (r->type == RES_NODE) {
			char *esc = curl_easy_escape(NULL, ac->o.node_name, 0);

			if (!esc || asprintf(&r->sel, "&fieldSelector="
					     "metadata.name%%3D%s", esc) < 0)
				r->sel = NULL;
			curl_free(esc);
		} else {
			r->sel = strdup("");
		}
		if (!r->sel)
			abort();
		r->phase = LISTING;
		r->from_cache = true;
		ksd_backoff_init(&r->backoff, ac->o.backoff_min_ms,
				 ac->o.backoff_max_ms);
		ksd_ndjson_init(&r->nd);
		if (ac->o.event_max)
			r->nd.max = ac->o.event_max;
		ksd_store_init(&r->list);
	}
	srand((unsigned int)time(NULL) ^ (unsigned int)getpid());
	return &ac->src;
}
