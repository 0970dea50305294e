// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced against the fake API server (tests/fake_apiserver.py, over
 * HTTPS with a certificate made here by the openssl CLI) and the fake
 * kernel table: after each scripted step (tests/fake_apiserver_steps.json)
 * the kernel holds what the API says: adds, updates, deletes, bookmarks,
 * a dropped stream resumed, a garbage object skipped, 410s (as an ERROR
 * event and as HTTP) relisted with no service deleted and re-created, a
 * slow link. And TLS is verified: another CA never syncs.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "apiclient.h"
#include "daemon.h"
#include "fake_table.h"
#include "loop_util.h"
#include "log.h"

#ifndef KSD_SRCDIR
#error "KSD_SRCDIR: the top of the source tree"
#endif
#define SERVER KSD_SRCDIR "/tests/fake_apiserver.py"
#define STEPS KSD_SRCDIR "/tests/fake_apiserver_steps.json"
#define TOKEN "t0ken-never-logged"

struct fixture {
	char dir[256];
	pid_t pid;
	FILE *to, *from;
	int port;
	struct ksd_daemon d;
	bool started;
	bool token_logged;
	size_t event_max;	/* ksd_api_opts's, 0 by default */
	uint64_t watch_idle_ms;	/* the same */
	double qps;		/* the same */
	unsigned int burst;	/* the same */
	unsigned int idle;	/* "said nothing" log lines */
	unsigned int skipped;	/* "skipped" log lines */
	unsigned int applied;	/* "apply" lines sent to the server */
	/* The waits logged before each retry, kind by kind (-v 2). */
	struct {
		char kind[32];
		uint64_t ms[64];
		unsigned int n;
	} waits[3];
};

static void note_wait(struct fixture *f, const char *line)
{
	unsigned long long ms;
	char kind[32];
	unsigned int i;

	if (sscanf(line, "api: %31[^:]: trying again in %llu ms", kind,
		   &ms) != 2)
		return;
	for (i = 0; i < 3; i++) {
		if (!f->waits[i].kind[0])
			snprintf(f->waits[i].kind, sizeof(f->waits[i].kind),
				 "%s", kind);
		if (!strcmp(f->waits[i].kind, kind))
			break;
	}
	assert_true(i < 3);
	if (f->waits[i].n < 64)
		f->waits[i].ms[f->waits[i].n++] = ms;
}

/* Retries logged for every kind of the fixture (services,
 * endpointslices, nodes), at least n each. */
static bool retried(const struct fixture *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (f->waits[i].n < n)
			return false;
	return true;
}

static void sink(int level, const char *line, void *arg)
{
	struct fixture *f = arg;

	if (strstr(line, TOKEN))
		f->token_logged = true;
	if (strstr(line, "skipped"))
		f->skipped++;
	if (strstr(line, "the watch said nothing for"))
		f->idle++;
	note_wait(f, line);
	if (getenv("KSD_TEST_VERBOSE"))
		fprintf(stderr, "[%d] %s\n", level, line);
}

static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = calloc(1, sizeof(*f));
	int in[2], out[2];
	char line[128];

	snprintf(f->dir, sizeof(f->dir), "%s/ksd-api-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	/* A self-signed certificate for 127.0.0.1: the server's, and the
	 * CA the client trusts; and another CA, for the refusal. */
	sh("cd '%s' && for n in server other; do openssl req -x509 "
	   "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
	   "-keyout $n.key -out $n.pem -days 2 -subj /CN=127.0.0.1 "
	   "-addext subjectAltName=IP:127.0.0.1 2>/dev/null || exit 1; done",
	   f->dir);
	if (pipe(in) || pipe(out))
		return -1;
	f->pid = fork();
	if (f->pid < 0)
		return -1;
	if (!f->pid) {
		char cert[300], key[300];

		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		snprintf(cert, sizeof(cert), "%s/server.pem", f->dir);
		snprintf(key, sizeof(key), "%s/server.key", f->dir);
		execlp("python3", "python3", SERVER, "--cert", cert, "--key",
		       key, "--steps", STEPS, "--token", TOKEN, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->to = fdopen(in[1], "w");
	f->from = fdopen(out[0], "r");
	if (!f->from || !fgets(line, sizeof(line), f->from) ||
	    sscanf(line, "port %d", &f->port) != 1)
		return -1;
	fake_table_reset();
	ksd_log_set_sink(sink, f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int status;

	if (f->started)
		ksd_daemon_release(&f->d);
	fake_table_release();
	ksd_log_set_sink(NULL, NULL);
	ksd_log_set_verbosity(0);
	fclose(f->to);		/* EOF: the server exits */
	fclose(f->from);
	if (waitpid(f->pid, &status, 0) != f->pid)
		return -1;
	sh("rm -rf '%s'", f->dir);
	free(f);
	return 0;
}

#define BACKOFF_MIN	20
#define BACKOFF_MAX	200

/* The token file (f->dir/token) replaced at once, as the kubelet
 * replaces a projected token (a new file renamed over the old). */
static void write_token(struct fixture *f, const char *token)
{
	char path[320], tmp[330];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/token", f->dir);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fp = fopen(tmp, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n", token);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(rename(tmp, path), 0);
}

/* kserviced against the fake, trusting the CA in file ca; its token
 * inline in the kubeconfig, or in a tokenFile (token_file); its sync
 * period sync_ms. */
static void start_with(struct fixture *f, const char *ca, bool token_file,
		       uint64_t sync_ms)
{
	char path[320], why[KSD_KUBECONFIG_WHY_MAX];
	struct ksd_api_opts ao = {
		.page_limit = 1,	/* every list in pages */
		.backoff_min_ms = BACKOFF_MIN,
		.backoff_max_ms = BACKOFF_MAX,
		.node_name = "node-a",
		.event_max = f->event_max,
		.watch_idle_ms = f->watch_idle_ms,
		.qps = f->qps,
		.burst = f->burst,
	};
	struct ksd_opts o = {
		.min_sync_ms = 0,
		.sync_ms = sync_ms,
		.cfg = { .has = KSVC_CFG_HAS_CLUSTER_CIDRS |
				KSVC_CFG_HAS_MASQUERADE_ALL },
		.hostname = "node-a",
	};
	struct ksd_kubeconfig kc;
	struct ksd_source *src;
	FILE *fp;

	if (token_file)
		write_token(f, TOKEN);
	snprintf(path, sizeof(path), "%s/kubeconfig", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "apiVersion: v1\nkind: Config\ncurrent-context: test\n"
		"contexts: [{name: test, context: {cluster: fake, user: "
		"kserviced}}]\nclusters:\n- name: fake\n  cluster:\n"
		"    server: https://127.0.0.1:%d\n"
		"    certificate-authority: %s\n"
		"users: [{name: kserviced, user: {%s: %s}}]\n",
		f->port, ca, token_file ? "tokenFile" : "token",
		token_file ? "token" : TOKEN);
	fclose(fp);
	assert_int_equal(ksd_kubeconfig_load(path, &kc, why), 0);
	src = ksd_api_source(&kc, &ao);
	assert_non_null(src);
	f->started = true;
	assert_int_equal(ksd_daemon_init(&f->d, &o, fake_open, src), 0);
}

static void start(struct fixture *f, const char *ca)
{
	start_with(f, ca, false, 60000);
}

#define run_for(f, ms) RUN_FOR(&(f)->d, ms)
#define RUN_UNTIL(f, cond) RUN_UNTIL_MS(&(f)->d, cond, LOOP_PATIENCE_MS)

static void step(struct fixture *f, int n)
{
	char line[128], want[32];

	fprintf(f->to, "next\n");
	fflush(f->to);
	assert_non_null(fgets(line, sizeof(line), f->from));
	snprintf(want, sizeof(want), "done %d\n", n);
	assert_string_equal(line, want);
}

struct stats {
	int lists, watches, gone, unauthorized, cached, busy, span_ms;
};

static struct stats server_stats(struct fixture *f)
{
	struct stats s = { 0 };
	char line[256];

	fprintf(f->to, "stats\n");
	fflush(f->to);
	assert_non_null(fgets(line, sizeof(line), f->from));
	assert_int_equal(sscanf(line, "stats {\"lists\": %d, \"watches\": %d, "
				"\"gone\": %d, \"unauthorized\": %d, "
				"\"cached\": %d, \"busy\": %d, "
				"\"span_ms\": %d}",
				&s.lists, &s.watches, &s.gone,
				&s.unauthorized, &s.cached, &s.busy,
				&s.span_ms), 7);
	return s;
}

static void api_test_steps(void **state)
{
	struct fixture *f = *state;
	unsigned int news, dels, skipped;
	struct stats s0, s1;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start(f, ca);
	/* The initial lists, from the watch cache (resourceVersion=0),
	 * which serves them whole whatever the limit. */
	RUN_UNTIL(f, backends("default/web") == 2 && backends("default/db") == 1);
	assert_true(f->d.src->synced);
	assert_int_equal(fake_table_writes() > 0, 1);
	s0 = server_stats(f);
	/* One each; this node's Node alone (the fieldSelector). */
	assert_int_equal(s0.lists, 3);
	assert_int_equal(s0.cached, 3);
	assert_non_null(f->d.store.node);
	assert_string_equal(f->d.store.node->meta.name, "node-a");
	assert_string_equal(ksd_daemon_zone(&f->d), "zone-a");
	assert_int_equal(f->d.store.node->naddrs, 2);	/* not the Hostname */
	assert_string_equal(f->d.store.node->addrs[0].type, "InternalIP");
	assert_true(ksd_daemon_node_eligible(&f->d));

	step(f, 1);	/* add */
	RUN_UNTIL(f, backends("default/api") == 1);
	step(f, 2);	/* update */
	RUN_UNTIL(f, backends("default/web") == 3);
	step(f, 3);	/* delete */
	RUN_UNTIL(f, !fake_table_find("default/db"));
	step(f, 4);	/* bookmarks */
	run_for(f, 100);
	step(f, 5);	/* drop both streams */
	run_for(f, 50);
	step(f, 6);	/* changes after the drop: seen once resumed */
	RUN_UNTIL(f, backends("default/cache") == 1);
	s1 = server_stats(f);
	assert_int_equal(s1.lists, s0.lists);	/* resumed, not relisted */
	assert_true(s1.watches >= s0.watches + 2);

	skipped = f->skipped;
	step(f, 7);	/* garbage */
	RUN_UNTIL(f, backends("default/web") == 2);
	assert_null(fake_table_find("default/bad"));
	assert_true(f->skipped > skipped);
	assert_int_equal(backends("default/api"), 1);

	news = ftab.cmds[KSVC_CMD_SVC_NEW];
	dels = ftab.cmds[KSVC_CMD_SVC_DEL];
	step(f, 8);	/* 410: missed history, relisted */
	RUN_UNTIL(f, backends("default/late") == 1);
	s0 = server_stats(f);
	assert_true(s0.gone >= 1);
	/* Relisted from etcd, not the cache: in pages of one (3 services
	 * and 3 slices by now, and the end of each). */
	assert_true(s0.lists >= s1.lists + 6);
	assert_int_equal(s0.cached, s1.cached);
	/* The relist deleted nothing and re-created nothing. */
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], news + 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], dels);
	assert_int_equal(ftab.cmds[KSVC_CMD_FLUSH], 0);
	assert_int_equal(backends("default/web"), 2);
	assert_int_equal(backends("default/api"), 1);
	assert_int_equal(backends("default/cache"), 1);

	step(f, 9);	/* a slow link: events in 5-byte chunks */
	RUN_UNTIL(f, backends("default/api") == 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], dels);
	step(f, 10);	/* node-b's zone (not watched), then node-a's */
	RUN_UNTIL(f, f->d.store.node && f->d.store.node->zone &&
		  !strcmp(f->d.store.node->zone, "zone-c"));
	assert_string_equal(f->d.store.node->meta.name, "node-a");
	assert_int_equal(f->d.store.node->naddrs, 1);
	assert_true(ksd_daemon_node_eligible(&f->d));
	step(f, 11);	/* node-a being deleted; node-b deleted */
	RUN_UNTIL(f, !ksd_daemon_node_eligible(&f->d));
	run_for(f, 50);
	assert_non_null(f->d.store.node);
	assert_false(ksd_daemon_node_eligible(&f->d));
	assert_false(f->token_logged);
}

/* Runs actions (a JSON list, fake_apiserver.py's) on the server now. */
static void apply(struct fixture *f, const char *actions)
{
	char line[128], want[32];

	fprintf(f->to, "apply %s\n", actions);
	fflush(f->to);
	assert_non_null(fgets(line, sizeof(line), f->from));
	snprintf(want, sizeof(want), "applied %u\n", ++f->applied);
	assert_string_equal(line, want);
}

#define SYNC_MS 1000

/*
 * A token from a tokenFile rotates (a projected service account token):
 * the API refuses the old one at once (401), kserviced reads the file
 * again and goes on, /healthz healthy; a token the API keeps refusing
 * makes /healthz fail after 2 x the sync period, and the right one
 * makes it healthy again.
 */
static void api_test_token_rotates(void **state)
{
	struct fixture *f = *state;
	struct stats s;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start_with(f, ca, true, SYNC_MS);
	RUN_UNTIL(f, backends("default/web") == 2 && backends("default/db") == 1);
	assert_int_equal(server_stats(f).unauthorized, 0);
	assert_true(ksd_daemon_healthy(&f->d));

	/* Rotated: the new token in the file, the old one refused from now
	 * on, the watches cut (their new requests need a token). */
	write_token(f, "rotated-1");
	apply(f, "[{\"op\": \"token\", \"token\": \"rotated-1\"}, "
		 "{\"op\": \"drop\", \"resource\": \"services\"}, "
		 "{\"op\": \"drop\", \"resource\": \"endpointslices\"}, "
		 "{\"op\": \"drop\", \"resource\": \"nodes\"}, "
		 "{\"op\": \"put\", \"resource\": \"services\", "
		 "\"object\": {\"metadata\": {\"namespace\": \"default\", "
		 "\"name\": \"after\", \"uid\": \"u-after\", "
		 "\"creationTimestamp\": \"2026-01-01T00:00:00Z\"}, "
		 "\"spec\": {\"type\": \"ClusterIP\", \"clusterIP\": "
		 "\"10.96.0.77\", \"clusterIPs\": [\"10.96.0.77\"], "
		 "\"ports\": [{\"protocol\": \"TCP\", \"port\": 80, "
		 "\"targetPort\": 8080}]}}}]");
	RUN_UNTIL(f, fake_table_find("default/after") != NULL);
	s = server_stats(f);
	/* Refused with the old token at least once, then read again (a
	 * kind's request still out with the old token may be refused after
	 * another's was taken: each retries with the new one). */
	assert_true(s.unauthorized >= 1);
	RUN_UNTIL(f, f->d.src->unauthorized_ms == 0);
	s = server_stats(f);
	run_for(f, 2 * SYNC_MS + 100);
	assert_true(ksd_daemon_healthy(&f->d));

	/* A token the file does not have: refused for as long as it
	 * lasts; healthy until 2 x the sync period has passed, then not. */
	apply(f, "[{\"op\": \"token\", \"token\": \"not-in-the-file\"}, "
		 "{\"op\": \"drop\", \"resource\": \"services\"}]");
	RUN_UNTIL(f, f->d.src->unauthorized_ms != 0);
	RUN_UNTIL(f, !ksd_daemon_healthy(&f->d));
	/* Not before its time (the loop may be stopped at any moment, so
	 * "still healthy just after the first 401" is not a thing to
	 * assert; this is). */
	assert_true(ksd_mono_ms() - f->d.src->unauthorized_ms >= 2 * SYNC_MS);
	assert_true(server_stats(f).unauthorized > s.unauthorized);
	/* The file catches up: healthy again without a restart. */
	write_token(f, "not-in-the-file");
	RUN_UNTIL(f, f->d.src->unauthorized_ms == 0);
	RUN_UNTIL(f, ksd_daemon_healthy(&f->d));
	assert_false(f->token_logged);
}

/*
 * An "apply" action putting Service default/NAME at 10.96.1.IP (one port),
 * with META more of its metadata (JSON members after a comma, or ""),
 * EXTRA more of the action's members (the same), into buf.
 */
static const char *svc_action(char *buf, size_t size, const char *op,
			      const char *name, int ip, const char *meta,
			      const char *extra)
{
	int n = snprintf(buf, size, "{\"op\": \"%s\", \"resource\": "
			 "\"services\"%s%s, \"object\": {\"metadata\": "
			 "{\"namespace\": \"default\", \"name\": \"%s\", "
			 "\"uid\": \"u-%s\", \"creationTimestamp\": "
			 "\"2026-01-01T00:00:00Z\"%s%s}, \"spec\": {\"type\": "
			 "\"ClusterIP\", \"clusterIP\": \"10.96.1.%d\", "
			 "\"clusterIPs\": [\"10.96.1.%d\"], \"ports\": "
			 "[{\"protocol\": \"TCP\", \"port\": 80, "
			 "\"targetPort\": 8080}]}}}", op, *extra ? ", " : "",
			 extra, name, name, *meta ? ", " : "", meta, ip, ip);

	assert_true(n > 0 && (size_t)n < size);
	return buf;
}

/* Applies the actions a, b, ... (NULL-ended) on the fake in one line. */
static void apply_all(struct fixture *f, const char *a, ...)
{
	size_t size = 1 << 20, len = 0;
	char *line = malloc(size);
	const char *s;
	va_list ap;

	assert_non_null(line);
	line[len++] = '[';
	va_start(ap, a);
	for (s = a; s; s = va_arg(ap, const char *)) {
		size_t n = strlen(s);

		assert_true(len + n + 3 < size);
		if (s != a)
			line[len++] = ',';
		memcpy(line + len, s, n);
		len += n;
	}
	va_end(ap);
	line[len++] = ']';
	line[len] = 0;
	apply(f, line);
	free(line);
}

/* Started against the fake (its own CA), synced and its three watches
 * open: the server's stats then. */
static struct stats start_synced(struct fixture *f)
{
	struct stats s;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start(f, ca);
	RUN_UNTIL(f, backends("default/web") == 2 && backends("default/db") == 1);
	RUN_UNTIL(f, (s = server_stats(f)).watches >= 3);
	return s;
}

#define DROP_SERVICES "{\"op\": \"drop\", \"resource\": \"services\"}"

/*
 * A resourceVersion is taken only from an object that decodes, and only
 * if it is one: garbage in a stream (an object that does not decode, or
 * a resourceVersion of 20 nines, past 64 bits) is never the point a
 * dropped stream resumes from. Resumed from there, the daemon would be
 * refused (504, too large) and miss every change.
 */
static void api_test_resume_point(void **state)
{
	struct fixture *f = *state;
	char a[2048], b[2048], c[2048];
	struct stats s0;

	s0 = start_synced(f);
	apply(f, "[{\"op\": \"garbage\", \"resource\": \"services\", "
		 "\"keep_rv\": true, \"object\": {\"metadata\": "
		 "{\"namespace\": \"default\", \"name\": \"bad\", "
		 "\"resourceVersion\": \"99999999999999999999\"}}}]");
	apply_all(f, svc_action(a, sizeof(a), "garbage", "odd", 1,
				"\"resourceVersion\": \"99999999999999999999\"",
				"\"keep_rv\": true"), NULL);
	RUN_UNTIL(f, fake_table_find("default/odd") != NULL);
	apply_all(f, svc_action(b, sizeof(b), "garbage", "odd2", 2,
				"\"resourceVersion\": \"12 34\"",
				"\"keep_rv\": true"), NULL);
	RUN_UNTIL(f, fake_table_find("default/odd2") != NULL);
	apply_all(f, DROP_SERVICES, svc_action(c, sizeof(c), "put", "later", 3,
					       "", ""), NULL);
	RUN_UNTIL(f, fake_table_find("default/later") != NULL);
	/* Resumed, not listed again. */
	assert_int_equal(server_stats(f).lists, s0.lists);
	assert_null(fake_table_find("default/bad"));
}

/*
 * A resume the server refuses (not "not now": 400 here) is not asked
 * again: that kind is listed again, and goes on from the new list.
 */
static void api_test_refused_resume(void **state)
{
	struct fixture *f = *state;
	char a[2048];
	struct stats s0;

	s0 = start_synced(f);
	apply_all(f, "{\"op\": \"reject\", \"resource\": \"services\", "
		     "\"code\": 400}", DROP_SERVICES,
		  svc_action(a, sizeof(a), "put", "later", 3, "", ""), NULL);
	RUN_UNTIL(f, fake_table_find("default/later") != NULL);
	assert_true(server_stats(f).lists > s0.lists);
	assert_int_equal(backends("default/web"), 2);
}

/*
 * An ERROR event other than 410 (500 here) in a watch: that kind is
 * listed again (client-go's reflector does the same), not resumed.
 */
static void api_test_error_event(void **state)
{
	struct fixture *f = *state;
	struct stats s0;
	char a[2048];

	s0 = start_synced(f);
	apply_all(f, "{\"op\": \"error\", \"resource\": \"services\", "
		     "\"code\": 500}", NULL);
	apply_all(f, svc_action(a, sizeof(a), "put", "later", 3, "", ""),
		  NULL);
	RUN_UNTIL(f, fake_table_find("default/later") != NULL);
	RUN_UNTIL(f, server_stats(f).lists > s0.lists);
	assert_int_equal(backends("default/web"), 2);
}

/*
 * A watch event over the limit (64 KiB here: a Service with a 100 KiB
 * annotation) is skipped with a log line; the stream goes on, and the
 * events after it are seen on the same connection.
 */
static void api_test_huge_event(void **state)
{
	struct fixture *f = *state;
	size_t pad = 100 << 10;
	char *meta = malloc(pad + 64), *big = malloc(pad + 2048), c[2048];
	unsigned int skipped;
	struct stats s0;
	int k;

	assert_non_null(meta);
	assert_non_null(big);
	f->event_max = 64 << 10;
	s0 = start_synced(f);
	skipped = f->skipped;
	k = snprintf(meta, 64, "\"annotations\": {\"pad\": \"");
	memset(meta + k, 'x', pad);
	strcpy(meta + k + pad, "\"}");
	apply_all(f, svc_action(big, pad + 2048, "put", "huge", 4, meta, ""),
		  svc_action(c, sizeof(c), "put", "after", 5, "", ""), NULL);
	RUN_UNTIL(f, fake_table_find("default/after") != NULL);
	assert_null(fake_table_find("default/huge"));
	assert_true(f->skipped > skipped);
	/* The same stream: no new watch. */
	assert_int_equal(server_stats(f).watches, s0.watches);
	free(meta);
	free(big);
}

/*
 * A frozen API server (the connection open, nothing sent): the watch is
 * given up after the idle bound (1 s here, 75 s by default), resumed on a
 * new connection from where it was, and the change made meanwhile is
 * seen; nothing is listed again.
 */
static void api_test_frozen_watch(void **state)
{
	struct fixture *f = *state;
	struct stats s0, s1;
	char a[2048];

	f->watch_idle_ms = 1000;
	s0 = start_synced(f);
	apply_all(f, "{\"op\": \"freeze\", \"resource\": \"services\"}",
		  svc_action(a, sizeof(a), "put", "later", 3, "", ""), NULL);
	RUN_UNTIL(f, fake_table_find("default/later") != NULL);
	assert_true(f->idle >= 1);
	s1 = server_stats(f);
	assert_true(s1.watches > s0.watches);
	assert_int_equal(s1.lists, s0.lists);
}

/*
 * A 429 and a 503 with Retry-After: 1 (the backoff here is 20 to 200
 * ms): the next try waits at least the second the server asked for.
 */
static void api_test_retry_after(void **state)
{
	struct fixture *f = *state;
	unsigned int i, n = 0;
	char a[2048];

	ksd_log_set_verbosity(KSD_LOG_V2);
	start_synced(f);
	apply_all(f, "{\"op\": \"busy\", \"resource\": \"services\", "
		     "\"code\": 429, \"retry_after\": 1, \"count\": 1}",
		  DROP_SERVICES, NULL);
	apply_all(f, svc_action(a, sizeof(a), "put", "later", 3, "", ""),
		  NULL);
	RUN_UNTIL(f, fake_table_find("default/later") != NULL);
	apply_all(f, "{\"op\": \"busy\", \"resource\": \"services\", "
		     "\"code\": 503, \"retry_after\": 1, \"count\": 1}",
		  DROP_SERVICES, svc_action(a, sizeof(a), "put", "later2", 4,
					    "", ""), NULL);
	RUN_UNTIL(f, fake_table_find("default/later2") != NULL);
	assert_int_equal(server_stats(f).busy, 2);
	/* The first kind to retry: services. A dropped stream is one
	 * retry (its backoff), a busy answer another: a second at least. */
	assert_string_equal(f->waits[0].kind, "services");
	for (i = 0; i < f->waits[0].n; i++)
		if (f->waits[0].ms[i] >= 1000)
			n++;
	assert_int_equal(n, 2);
}

/*
 * The token bucket: full (burst) at first, then one token each 1/qps s;
 * a request without one is told how long until there is one.
 */
static void api_test_bucket(void **state)
{
	struct ksd_bucket b;
	unsigned int i;

	(void)state;
	ksd_bucket_init(&b, 5, 10, 1000);
	for (i = 0; i < 10; i++)
		assert_int_equal(ksd_bucket_take(&b, 1000), 0);
	assert_int_equal(ksd_bucket_take(&b, 1000), 200);
	assert_int_equal(ksd_bucket_take(&b, 1100), 100);
	assert_int_equal(ksd_bucket_take(&b, 1200), 0);
	assert_int_equal(ksd_bucket_take(&b, 1200), 200);
	/* Idle for long: no more than burst saved up. */
	for (i = 0; i < 10; i++)
		assert_int_equal(ksd_bucket_take(&b, 100000), 0);
	assert_int_equal(ksd_bucket_take(&b, 100000), 200);
	/* Below one a second; burst 0 is 1. */
	ksd_bucket_init(&b, 0.5, 0, 0);
	assert_int_equal(ksd_bucket_take(&b, 0), 0);
	assert_int_equal(ksd_bucket_take(&b, 0), 2000);
	assert_int_equal(ksd_bucket_take(&b, 1500), 500);
	assert_int_equal(ksd_bucket_take(&b, 2000), 0);
	/* No bound. */
	ksd_bucket_init(&b, -1, 1, 0);
	for (i = 0; i < 1000; i++)
		assert_int_equal(ksd_bucket_take(&b, 0), 0);
}

/*
 * --kube-api-qps 2, --kube-api-burst 1: the six requests of the start
 * (a list and a watch of each kind) are sent 500 ms apart at least: the
 * server sees them over 2.5 s, 2 s at least whatever a handshake adds
 * to one and not to another.
 */
static void api_test_qps(void **state)
{
	struct fixture *f = *state;
	struct stats s;

	f->qps = 2;
	f->burst = 1;
	s = start_synced(f);
	assert_int_equal(s.lists + s.watches, 6);
	assert_true(s.span_ms >= 2000);
}

/* Every request the fake kernel got, dumps included. */
static unsigned int kernel_requests(void)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(ftab.cmds) / sizeof(ftab.cmds[0]); i++)
		n += ftab.cmds[i];
	return n;
}

/* Synced, and no change waits for a pass. */
static bool settled(const struct ksd_daemon *d)
{
	return d->src->synced && d->synced_once && !d->want_changes &&
	       !d->want_full && !d->queued_ms;
}

#define NODE_A(zone, heartbeat) "{\"op\": \"put\", \"resource\": \"nodes\", " \
	"\"object\": {\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": " \
	"{\"name\": \"node-a\", \"uid\": \"uid-node-a\", \"labels\": " \
	"{\"kubernetes.io/hostname\": \"node-a\", " \
	"\"topology.kubernetes.io/zone\": \"" zone "\"}}, \"status\": " \
	"{\"conditions\": [{\"type\": \"Ready\", \"status\": \"True\", " \
	"\"lastHeartbeatTime\": \"" heartbeat "\"}], \"addresses\": " \
	"[{\"type\": \"InternalIP\", \"address\": \"192.0.2.1\"}]}}}"
/* A line that is not an event, after the others on the stream: once its
 * "skipped" is logged, the daemon has been told of what came before. */
#define NODES_MARK "{\"op\": \"garbage_line\", \"resource\": \"nodes\"}"

/*
 * A Node's status heartbeat (a MODIFIED event where only the status
 * conditions and resourceVersion change) is no change of what kserviced
 * uses: no pass, no kernel request, not even one queued (kube-proxy
 * only syncs on a Node's topology labels). A zone change is one.
 */
static void api_test_node_heartbeat(void **state)
{
	struct fixture *f = *state;
	unsigned int passes, requests, skipped;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start(f, ca);
	RUN_UNTIL(f, backends("default/web") == 2 && settled(&f->d));
	assert_string_equal(ksd_daemon_zone(&f->d), "zone-a");
	passes = f->d.passes;
	requests = kernel_requests();
	skipped = f->skipped;

	apply(f, "[" NODE_A("zone-a", "2026-12-06T01:00:10Z") ", "
	      NODE_A("zone-a", "2026-12-06T01:00:20Z") ", " NODES_MARK "]");
	RUN_UNTIL(f, f->skipped > skipped);
	assert_int_equal(f->d.passes, passes);
	assert_int_equal(kernel_requests(), requests);
	assert_true(settled(&f->d));
	assert_string_equal(ksd_daemon_zone(&f->d), "zone-a");

	/* What kserviced uses: a pass. */
	apply(f, "[" NODE_A("zone-c", "2026-12-06T01:00:30Z") "]");
	RUN_UNTIL(f, f->d.passes > passes && settled(&f->d));
	assert_string_equal(ksd_daemon_zone(&f->d), "zone-c");
}

/*
 * kube-proxy's SyncNode() on a deleted Node keeps what its last state
 * said: tainted by the autoscaler, then deleted, the node stays
 * ineligible (/healthz 503) rather than going back to "no Node, eligible".
 */
static void api_test_node_deleted_tainted(void **state)
{
	struct fixture *f = *state;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start(f, ca);
	RUN_UNTIL(f, backends("default/web") == 2 && settled(&f->d));
	assert_true(ksd_daemon_node_eligible(&f->d));
	apply(f, "[{\"op\": \"put\", \"resource\": \"nodes\", \"object\": "
	      "{\"apiVersion\": \"v1\", \"kind\": \"Node\", \"metadata\": "
	      "{\"name\": \"node-a\"}, \"spec\": {\"taints\": [{\"key\": "
	      "\"ToBeDeletedByClusterAutoscaler\", \"effect\": "
	      "\"NoSchedule\"}]}}}]");
	RUN_UNTIL(f, !ksd_daemon_node_eligible(&f->d));
	apply(f, "[{\"op\": \"delete\", \"resource\": \"nodes\", "
	      "\"name\": \"node-a\"}]");
	RUN_UNTIL(f, !f->d.store.node);
	assert_false(ksd_daemon_node_eligible(&f->d));
	/* Back, untainted: eligible. */
	apply(f, "[" NODE_A("zone-a", "2026-12-06T01:00:40Z") "]");
	RUN_UNTIL(f, f->d.store.node);
	assert_true(ksd_daemon_node_eligible(&f->d));
}

#define WEB(port) "{\"apiVersion\": \"v1\", \"kind\": \"Service\", " \
	"\"metadata\": {\"name\": \"web\", \"namespace\": \"default\", " \
	"\"uid\": \"uid-web\"}, \"spec\": {\"type\": \"ClusterIP\", " \
	"\"clusterIP\": \"10.96.0.10\", \"clusterIPs\": [\"10.96.0.10\"], " \
	"\"ports\": [{\"protocol\": \"TCP\", \"port\": " port ", " \
	"\"targetPort\": 8080}]}}"

/*
 * An object that no longer decodes is dropped, logged, the same whether
 * it comes as a MODIFIED event or in a list: the older version does not
 * linger in the kernel because it came by watch.
 */
static void api_test_undecodable_modified(void **state)
{
	struct fixture *f = *state;
	unsigned int skipped;
	char ca[300];

	snprintf(ca, sizeof(ca), "%s/server.pem", f->dir);
	start(f, ca);
	RUN_UNTIL(f, backends("default/web") == 2 && settled(&f->d));

	/* By watch: MODIFIED, port 70000. */
	skipped = f->skipped;
	apply(f, "[{\"op\": \"put\", \"resource\": \"services\", "
	      "\"object\": " WEB("70000") "}]");
	RUN_UNTIL(f, f->skipped > skipped && settled(&f->d));
	assert_null(ksd_store_service(&f->d.store, "default", "web"));
	assert_null(fake_table_find("default/web"));

	/* Valid again: back. */
	apply(f, "[{\"op\": \"put\", \"resource\": \"services\", "
	      "\"object\": " WEB("80") "}]");
	RUN_UNTIL(f, backends("default/web") == 2 && settled(&f->d));

	/* By list: the same object, unseen by the watch, relisted. */
	skipped = f->skipped;
	apply(f, "[{\"op\": \"put\", \"resource\": \"services\", "
	      "\"silent\": true, \"object\": " WEB("70000") "}, "
	      "{\"op\": \"gone\", \"resource\": \"services\", "
	      "\"how\": \"event\"}]");
	RUN_UNTIL(f, f->skipped > skipped && settled(&f->d) &&
		  !fake_table_find("default/web"));
	assert_null(ksd_store_service(&f->d.store, "default", "web"));
	assert_non_null(fake_table_find("default/db"));
}

/* The backoff of the n-th failure in a row (from 1): min * 2^(n-1),
 * capped. */
static uint64_t backoff_of(unsigned int n, uint64_t min, uint64_t max)
{
	uint64_t b = min;

	while (--n && b < max)
		b *= 2;
	return b < max ? b : max;
}

/* Every wait of the n-th failure in a row is within [b/2, b] and both
 * ends are reached (apiclient.h); it grows to the cap and stays there; a success sets
 * it back; random values keep every wait within [min/2, max]. */
static void api_test_backoff(void **state)
{
	static const uint64_t mins[] = { BACKOFF_MIN, KSD_API_BACKOFF_MIN_MS,
					 1, 3 };
	static const uint64_t maxs[] = { BACKOFF_MAX, KSD_API_BACKOFF_MAX_MS,
					 1, 1000 };
	struct ksd_backoff b;
	unsigned int i, n, k;

	(void)state;
	for (i = 0; i < sizeof(mins) / sizeof(mins[0]); i++) {
		uint64_t min = mins[i], max = maxs[i];

		ksd_backoff_init(&b, min, max);
		for (n = 1; n <= 20; n++) {
			uint64_t want = backoff_of(n, min, max);
			struct ksd_backoff lo = b, hi = b, any = b;
			uint64_t w;

			/* The jitter's ends: half, and all of it (an odd
			 * backoff: all but 1 ms). */
			assert_int_equal(ksd_backoff_next(&lo, 0), want / 2);
			assert_int_equal(ksd_backoff_next(&hi, want / 2),
					 want / 2 * 2);
			/* Any random value: within them. */
			for (k = 0; k < 200; k++) {
				struct ksd_backoff t = any;

				w = ksd_backoff_next(&t, (uint64_t)random() *
						     (uint64_t)random());
				assert_in_range(w, want / 2, want);
			}
			w = ksd_backoff_next(&b, (uint64_t)random());
			assert_in_range(w, want / 2, want);
			assert_int_equal(b.cur_ms, backoff_of(n + 1, min, max));
		}
		/* Capped: twenty failures in, still max. */
		assert_int_equal(b.cur_ms, max);
		/* A success: the next failure waits as the first did. */
		ksd_backoff_reset(&b);
		assert_int_equal(ksd_backoff_next(&b, 0), min / 2);
		assert_int_equal(b.cur_ms, backoff_of(2, min, max));
	}
	/* Failures and successes at random: never below min/2 nor above
	 * max, and after a success never above min. */
	ksd_backoff_init(&b, BACKOFF_MIN, BACKOFF_MAX);
	for (k = 0; k < 10000; k++) {
		uint64_t w;

		if (random() % 4 == 0) {
			ksd_backoff_reset(&b);
			w = ksd_backoff_next(&b, (uint64_t)random());
			assert_in_range(w, BACKOFF_MIN / 2, BACKOFF_MIN);
			continue;
		}
		w = ksd_backoff_next(&b, (uint64_t)random());
		assert_in_range(w, BACKOFF_MIN / 2, BACKOFF_MAX);
	}
}

/* A server whose certificate the CA does not vouch for is never
 * trusted: no sync, nothing programmed, however often it is tried; each
 * kind's retries wait as its backoff says, with rand()'s jitter. */
static void api_test_tls_verified(void **state)
{
	struct fixture *f = *state;
	unsigned int i, n;
	char ca[300];

	ksd_log_set_verbosity(KSD_LOG_V2);
	snprintf(ca, sizeof(ca), "%s/other.pem", f->dir);
	start(f, ca);
	/* Six failures in a row of every kind: past the cap (20 .. 200). */
	RUN_UNTIL(f, retried(f, 6));
	assert_false(f->d.src->synced);
	assert_int_equal(fake_table_writes(), 0);
	assert_int_equal(server_stats(f).lists, 0);
	for (i = 0; i < 3; i++)
		for (n = 0; n < f->waits[i].n; n++)
			if (f->waits[i].ms[n] < backoff_of(n + 1, BACKOFF_MIN,
							   BACKOFF_MAX) / 2 ||
			    f->waits[i].ms[n] > backoff_of(n + 1, BACKOFF_MIN,
							   BACKOFF_MAX))
				fail_msg("%s: retry %u waited %llu ms",
					 f->waits[i].kind, n + 1,
					 (unsigned long long)f->waits[i].ms[n]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(api_test_backoff),
		cmocka_unit_test(api_test_bucket),
		cmocka_unit_test_setup_teardown(api_test_qps, setup, teardown),
		cmocka_unit_test_setup_teardown(api_test_steps, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_tls_verified, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_token_rotates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_resume_point, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_refused_resume, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_huge_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_error_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_frozen_watch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_retry_after, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_node_heartbeat, setup,
						teardown),
		cmocka_unit_test_setup_teardown(api_test_undecodable_modified,
						setup, teardown),
		cmocka_unit_test_setup_teardown(api_test_node_deleted_tainted,
						setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("apiclient", tests, NULL, NULL);
}
