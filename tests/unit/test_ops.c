// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced's operations surface: the metrics' text (exact), the health
 * decision and body, the bind addresses, the HTTP servers running in the
 * daemon's loop over the fake kernel (fetched with a plain socket on
 * loopback), and deploy/'s YAML parsing.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "daemon.h"
#include "fake_kernel.h"
#include "fake_table.h"
#include "loop_util.h"
#include "flags.h"
#include "http.h"
#include "ksvc_text.h"
#include "log.h"
#include "manifests.h"
#include "metrics.h"
#include "dns.h"
#include "yamldoc.h"

#ifndef KSD_SRCDIR
#error "KSD_SRCDIR: the top of the source tree"
#endif

static void quiet(int level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

/* --- metrics text --- */

static void ops_test_float(void **state)
{
	static const struct { double v; const char *s; } t[] = {
		{ 0, "0" }, { 1, "1" }, { 0.25, "0.25" }, { 0.001, "0.001" },
		{ 16.384, "16.384" }, { 300, "300" }, { 123456, "123456" },
		{ 1e6, "1e+06" }, { 1.5e9, "1.5e+09" },
		{ 1700000000.25, "1.70000000025e+09" }, { 0.0001, "0.0001" },
		{ 0.00001, "1e-05" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ -2.5, "-2.5" },
	};
	char buf[40];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ksd_format_float(t[i].v, buf, sizeof(buf));
		if (strcmp(buf, t[i].s))
			fail_msg("%.17g: \"%s\", want \"%s\"", t[i].v, buf,
				 t[i].s);
	}
	ksd_format_float(1.0 / 0.0, buf, sizeof(buf));
	assert_string_equal(buf, "+Inf");
}

static const char want_sync[] =
"# HELP kubeproxy_sync_proxy_rules_duration_seconds SyncProxyRules latency in seconds\n"
"# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.001\"} 1\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.002\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.004\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.008\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.016\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.032\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.064\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.128\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.256\"} 2\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"0.512\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"1.024\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"2.048\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"4.096\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"8.192\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"16.384\"} 3\n"
"kubeproxy_sync_proxy_rules_duration_seconds_bucket{le=\"+Inf\"} 4\n"
"kubeproxy_sync_proxy_rules_duration_seconds_sum 20.5025\n"
"kubeproxy_sync_proxy_rules_duration_seconds_count 4\n";

static const char want_tail[] =
"# HELP kubeproxy_sync_proxy_rules_endpoint_changes_total Cumulative proxy rules Endpoint changes\n"
"# TYPE kubeproxy_sync_proxy_rules_endpoint_changes_total counter\n"
"kubeproxy_sync_proxy_rules_endpoint_changes_total 7\n"
"# HELP kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds The last time a sync of proxy rules was queued\n"
"# TYPE kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds gauge\n"
"kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds 1.7000000005e+09\n"
"# HELP kubeproxy_sync_proxy_rules_last_timestamp_seconds The last time proxy rules were successfully synced\n"
"# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge\n"
"kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.700000001e+09\n"
"# HELP kubeproxy_sync_proxy_rules_service_changes_total Cumulative proxy rules Service changes\n"
"# TYPE kubeproxy_sync_proxy_rules_service_changes_total counter\n"
"kubeproxy_sync_proxy_rules_service_changes_total 3\n";

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void ops_test_metrics_text(void **state)
{
	struct ksd_metrics m;
	const char *p;
	char *text;

	(void)state;
	ksd_metrics_init(&m);
	/* On a bound counts in its bucket (le), above the last in +Inf. */
	ksd_histogram_observe(&m.sync, 0.001);
	ksd_histogram_observe(&m.sync, 0.0015);
	ksd_histogram_observe(&m.sync, 0.5);
	ksd_histogram_observe(&m.sync, 20);
	ksd_histogram_observe(&m.netprog, 0.3);
	ksd_histogram_observe(&m.netprog, 1000);
	m.endpoint_changes = 7;
	m.service_changes = 3;
	m.last_queued_s = 1700000000.5;
	m.last_sync_s = 1700000001;
	m.frontend_conflicts = 2;
	text = ksd_metrics_text(&m);
	assert_non_null(text);

	assert_non_null(strstr(text, want_sync));
	/* kservice's own before kube-proxy's, in name order. */
	assert_non_null(strstr(text,
		"# TYPE kserviced_frontend_conflicts gauge\n"
		"kserviced_frontend_conflicts 2\n"
		"# HELP kubeproxy_network_programming_duration_seconds "));
	/* The counters and gauges end the text, in name order. */
	assert_true(strlen(text) > strlen(want_tail));
	assert_string_equal(text + strlen(text) - strlen(want_tail),
			    want_tail);
	/* Three histograms (80, 15 and 15 bounds, each with +Inf, _sum,
	 * _count, HELP and TYPE) and five single values. */
	assert_int_equal(count_lines(text), (80 + 5) + 2 * (15 + 5) + 5 * 3);
	p = strstr(text, "# TYPE kubeproxy_network_programming_duration_seconds"
		   " histogram\n"
		   "kubeproxy_network_programming_duration_seconds_bucket"
		   "{le=\"0.25\"} 0\n"
		   "kubeproxy_network_programming_duration_seconds_bucket"
		   "{le=\"0.5\"} 1\n"
		   "kubeproxy_network_programming_duration_seconds_bucket"
		   "{le=\"1\"} 1\n");
	assert_non_null(p);
	assert_non_null(strstr(p, "_bucket{le=\"59\"} 1\n"
			"kubeproxy_network_programming_duration_seconds_bucket"
			"{le=\"60\"} 1\n"));
	assert_non_null(strstr(p, "_bucket{le=\"300\"} 1\n"
			"kubeproxy_network_programming_duration_seconds_bucket"
			"{le=\"+Inf\"} 2\n"
			"kubeproxy_network_programming_duration_seconds_sum "
			"1000.3\n"
			"kubeproxy_network_programming_duration_seconds_count"
			" 2\n"));
	assert_non_null(strstr(text,
		"kubeproxy_sync_full_proxy_rules_duration_seconds_bucket"
		"{le=\"+Inf\"} 0\n"
		"kubeproxy_sync_full_proxy_rules_duration_seconds_sum 0\n"
		"kubeproxy_sync_full_proxy_rules_duration_seconds_count 0\n"));
	free(text);
}

/* With cluster DNS on, its responses by rcode come first (name order),
 * one line per rcode it can send. */
static void ops_test_metrics_dns(void **state)
{
	static const char want[] =
		"# HELP kserviced_dns_responses_total Cluster DNS responses "
		"sent, by rcode\n"
		"# TYPE kserviced_dns_responses_total counter\n"
		"kserviced_dns_responses_total{rcode=\"NOERROR\"} 7\n"
		"kserviced_dns_responses_total{rcode=\"FORMERR\"} 0\n"
		"kserviced_dns_responses_total{rcode=\"SERVFAIL\"} 0\n"
		"kserviced_dns_responses_total{rcode=\"NXDOMAIN\"} 2\n"
		"kserviced_dns_responses_total{rcode=\"NOTIMP\"} 0\n"
		"kserviced_dns_responses_total{rcode=\"REFUSED\"} 0\n"
		"kserviced_dns_responses_total{rcode=\"BADVERS\"} 1\n"
		"# HELP kserviced_frontend_conflicts ";
	uint64_t responses[KSD_DNS_RCODES] = { [0] = 7, [3] = 2, [16] = 1 };
	struct ksd_metrics m;
	char *text;

	(void)state;
	ksd_metrics_init(&m);
	m.dns_responses = responses;
	m.dns_rcode_name = ksd_dns_rcode_name;
	m.dns_nrcodes = KSD_DNS_RCODES;
	text = ksd_metrics_text(&m);
	assert_non_null(text);
	assert_int_equal(strncmp(text, want, strlen(want)), 0);
	free(text);
}

/* --- health --- */

static void ops_test_health(void **state)
{
	/* kube-proxy: healthy when nothing is pending, or the oldest change
	 * pending was queued less than 2 x sync-period ago. */
	static const struct {
		uint64_t queued, now, timeout;
		bool ok;
	} t[] = {
		{ 0, 5, 60000, true },		/* nothing pending */
		{ 0, 999999, 60000, true },	/* idle for long: still */
		{ 1000, 1000, 60000, true },	/* just queued */
		{ 1000, 60999, 60000, true },
		{ 1000, 61000, 60000, false },	/* 2 x sync-period gone */
		{ 1000, 500000, 60000, false },
		{ 1000, 1100, 100, false },
	};
	static const struct ksd_go_time never = { 0, 0 },
		t1 = { 1700000000123456789LL, 4000001 },
		t2 = { 1700000000000000000LL, 3000000000LL },
		t3 = { 1700000000500000000LL, 3500000000LL },
		far = { INT64_MAX, INT64_MAX };
	const bool yes = true, no = false;
	char buf[KSD_HEALTH_BODY_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (ksd_health_ok(t[i].queued, t[i].now, t[i].timeout) !=
		    t[i].ok)
			fail_msg("case %zu: want %d", i, t[i].ok);

	ksd_health_body(buf, sizeof(buf), &never, &t1, &yes);
	assert_string_equal(buf, "{\"lastUpdated\": \"0001-01-01 00:00:00 "
			    "+0000 UTC\",\"currentTime\": \"2023-11-14 "
			    "22:13:20.123456789 +0000 UTC m=+0.004000001\", "
			    "\"nodeEligible\": true}");
	ksd_health_body(buf, sizeof(buf), &t2, &t3, &no);
	assert_string_equal(buf, "{\"lastUpdated\": \"2023-11-14 22:13:20 "
			    "+0000 UTC m=+3.000000000\",\"currentTime\": "
			    "\"2023-11-14 22:13:20.5 +0000 UTC m=+3.500000000\", "
			    "\"nodeEligible\": false}");
	/* /livez's: no nodeEligible, as kube-proxy's livezHandler. */
	ksd_health_body(buf, sizeof(buf), &t2, &t3, NULL);
	assert_string_equal(buf, "{\"lastUpdated\": \"2023-11-14 22:13:20 "
			    "+0000 UTC m=+3.000000000\",\"currentTime\": "
			    "\"2023-11-14 22:13:20.5 +0000 UTC m=+3.500000000\"}");
	/* The longest: within KSD_HEALTH_BODY_MAX. */
	assert_true(ksd_health_body(buf, sizeof(buf), &far, &far, &yes) <
		    KSD_HEALTH_BODY_MAX);
}

static void ops_test_bind(void **state)
{
	static const struct { const char *s; int ret; int family;
			      uint16_t port; } t[] = {
		{ "0.0.0.0:10256", 0, AF_INET, 10256 },
		{ "127.0.0.1:0", 0, AF_INET, 0 },
		{ "127.0.0.1", 0, AF_INET, 99 },
		{ "[::1]:8080", 0, AF_INET6, 8080 },
		{ "[::]", 0, AF_INET6, 99 },
		{ "::", 0, AF_INET6, 99 },
		{ "", -EINVAL, 0, 0 }, { "localhost:80", -EINVAL, 0, 0 },
		{ "1.2.3.4:65536", -EINVAL, 0, 0 },
		{ "1.2.3.4:", -EINVAL, 0, 0 }, { "1.2.3.4:-1", -EINVAL, 0, 0 },
		{ "[::1", -EINVAL, 0, 0 }, { "[::1]x", -EINVAL, 0, 0 },
		{ ":80", -EINVAL, 0, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sockaddr_storage ss;
		int ret = ksd_parse_bind(t[i].s, 99, &ss);
		uint16_t port;

		if (ret != t[i].ret)
			fail_msg("\"%s\": %d, want %d", t[i].s, ret, t[i].ret);
		if (ret)
			continue;
		assert_int_equal(ss.ss_family, t[i].family);
		port = ntohs(ss.ss_family == AF_INET ?
			     ((struct sockaddr_in *)&ss)->sin_port :
			     ((struct sockaddr_in6 *)&ss)->sin6_port);
		assert_int_equal(port, t[i].port);
	}
}

static int parse(int argc, char **argv, struct ksd_opts *o)
{
	FILE *saved = stderr;
	int ret;

	stderr = fopen("/dev/null", "w");
	ret = ksd_flags_parse(argc, argv, o);
	fclose(stderr);
	stderr = saved;
	return ret;
}

static void ops_test_flags(void **state)
{
	char *a[] = { "kserviced", "--manifests", "d", NULL, NULL, NULL, NULL,
		      NULL };
	struct ksd_opts o;

	(void)state;
	assert_int_equal(parse(3, a, &o), 0);
	assert_string_equal(o.healthz_bind, "0.0.0.0:10256");
	assert_string_equal(o.metrics_bind, "127.0.0.1:10249");
	a[3] = "--healthz-bind-address";
	a[4] = "";
	a[5] = "--metrics-bind-address=[::1]:9100";
	assert_int_equal(parse(6, a, &o), 0);
	assert_string_equal(o.healthz_bind, "");
	assert_string_equal(o.metrics_bind, "[::1]:9100");
	a[4] = "nowhere";
	assert_int_equal(parse(6, a, &o), -EINVAL);
}

/* --- end to end: the servers in the daemon's loop --- */

struct fixture {
	char dir[256];
	struct ksd_daemon d;
	bool started;
};

#define RUN_UNTIL(f, cond) RUN_UNTIL_MS(&(f)->d, cond, LOOP_PATIENCE_MS)

static const char service[] =
	"apiVersion: v1\nkind: Service\nmetadata: {name: web}\n"
	"spec: {clusterIP: 10.96.0.10, ports: [{port: 80}]}\n";

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fixture *f = calloc(1, sizeof(*f));
	char path[300];
	FILE *fp;

	snprintf(f->dir, sizeof(f->dir), "%s/ksd-ops-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/web.yaml", f->dir);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fputs(service, fp);
	fclose(fp);
	fake_table_reset();
	ksd_log_set_sink(quiet, NULL);
	signal(SIGPIPE, SIG_IGN);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[300];

	if (f->started)
		ksd_daemon_release(&f->d);
	fake_table_release();
	fake.family = FAKE_FAMILY;
	ksd_log_set_sink(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd))
		return -1;
	free(f);
	return 0;
}

static void start(struct fixture *f, uint64_t sync_ms, const char *healthz,
		  const char *metrics)
{
	struct ksd_opts o = {
		.manifests = f->dir,
		.min_sync_ms = 0,
		.sync_ms = sync_ms,
		.healthz_bind = healthz,
		.metrics_bind = metrics,
	};
	struct ksd_source *src = ksd_manifests_source(f->dir, 20);

	assert_non_null(src);
	f->started = true;
	assert_int_equal(ksd_daemon_init(&f->d, &o, fake_open, src), 0);
}

/* /healthz on an ephemeral port of 127.0.0.1, so that the
 * healthCheckNodePort servers listen on 127.0.0.1; as node. */
static void start_node(struct fixture *f, const char *node)
{
	struct ksd_opts o = {
		.manifests = f->dir,
		.min_sync_ms = 0,
		.sync_ms = 30000,
		.healthz_bind = "127.0.0.1:0",
	};
	struct ksd_source *src = ksd_manifests_source(f->dir, 20);

	snprintf(o.hostname, sizeof(o.hostname), "%s", node);
	assert_non_null(src);
	f->started = true;
	assert_int_equal(ksd_daemon_init(&f->d, &o, fake_open, src), 0);
}

/*
 * GET path from 127.0.0.1:port with a plain socket, running the daemon's
 * loop while waiting (the server lives in it). Returns the whole response
 * (malloc'ed): status line, headers, body.
 */
static char *get(struct fixture *f, uint16_t port, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap), req[256];
	uint64_t end = now_ms() + LOOP_PATIENCE_MS;
	int fd, n;

	assert_non_null(buf);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		assert_int_equal(errno, EINPROGRESS);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1"
		     "\r\nConnection: close\r\n\r\n", path);
	while (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
		assert_true(errno == EAGAIN || errno == ENOTCONN);
		assert_true(now_ms() < end);
		assert_int_equal(ksd_loop_run_once(&f->d.loop, 5), 0);
	}
	for (;;) {
		ssize_t r = recv(fd, buf + len, cap - 1 - len, 0);

		if (r == 0)
			break;
		if (r > 0) {
			len += (size_t)r;
			assert_true(len < cap - 1);
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		if (now_ms() > end)
			fail_msg("no answer for %s", path);
		assert_int_equal(ksd_loop_run_once(&f->d.loop, 5), 0);
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

static const char *body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

/* Healthy, kube-proxy answers lastUpdated = currentTime, the two read
 * at once: the same text. */
static void assert_health_now(const char *body)
{
	char last[64], now[64];

	if (sscanf(body, "{\"lastUpdated\": \"%63[^\"]\",\"currentTime\": "
		   "\"%63[^\"]\"", last, now) != 2)
		fail_msg("not a health body: %s", body);
	assert_string_equal(last, now);
}

static void ops_test_http(void **state)
{
	struct fixture *f = *state;
	uint16_t hport, mport;
	char *r;

	start(f, 30000, "127.0.0.1:0", "127.0.0.1:0");
	hport = ksd_http_port(f->d.healthz);
	mport = ksd_http_port(f->d.metrics_http);
	assert_true(hport && mport && hport != mport);
	RUN_UNTIL(f, fake_table_find("default/web"));

	r = get(f, hport, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(r, "Content-Type: application/json\r\n"));
	assert_true(!strncmp(body_of(r), "{\"lastUpdated\": \"20", 19));
	assert_non_null(strstr(body_of(r), "\",\"currentTime\": \"20"));
	assert_non_null(strstr(body_of(r), " +0000 UTC m=+"));
	assert_non_null(strstr(body_of(r), "\", \"nodeEligible\": true}"));
	assert_health_now(body_of(r));
	free(r);
	r = get(f, hport, "/livez");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_null(strstr(body_of(r), "nodeEligible"));
	assert_health_now(body_of(r));
	free(r);
	r = get(f, hport, "/metrics");	/* not on this server */
	assert_true(!strncmp(r, "HTTP/1.1 404 ", 13));
	free(r);

	r = get(f, mport, "/metrics");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(r, "Content-Type: text/plain; version=0.0.4; "
			       "charset=utf-8\r\n"));
	assert_non_null(strstr(body_of(r),
		"\nkubeproxy_sync_proxy_rules_duration_seconds_count 1\n"));
	assert_non_null(strstr(body_of(r),
		"\nkubeproxy_sync_full_proxy_rules_duration_seconds_count 1\n"));
	assert_non_null(strstr(body_of(r),
		"\nkubeproxy_network_programming_duration_seconds_count 1\n"));
	assert_non_null(strstr(body_of(r),
		"\nkubeproxy_sync_proxy_rules_service_changes_total 1\n"));
	assert_null(strstr(body_of(r),
		"\nkubeproxy_sync_proxy_rules_last_timestamp_seconds 0\n"));
	free(r);
	r = get(f, mport, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 404 ", 13));
	free(r);
}

/* A change the kernel cannot take for more than 2 x sync-period: 503,
 * until it is programmed. Only /healthz's server runs. The period is 30 s
 * and the change is made a minute older by moving the time it was queued
 * back (what a fake clock would do): no window a slow machine can miss. */
static void ops_test_http_unhealthy(void **state)
{
	struct fixture *f = *state;
	uint16_t port;
	char *r;

	fake.family = 0;	/* no kernel */
	start(f, 30000, "127.0.0.1:0", "");
	assert_null(f->d.metrics_http);
	port = ksd_http_port(f->d.healthz);
	RUN_UNTIL(f, f->d.passes >= 1);
	assert_true(f->d.queued_ms > 0);
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	free(r);
	f->d.queued_ms -= 2 * 30000;
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 503 ", 13));
	assert_true(!strncmp(body_of(r), "{\"lastUpdated\": \"0001-01-01 "
			     "00:00:00 +0000 UTC\"", 46));
	free(r);
	fake.family = FAKE_FAMILY;
	/* The retry, now rather than after its backoff. */
	assert_int_equal(ksd_timer_arm_now(f->d.sync_tfd), 0);
	RUN_UNTIL(f, fake_table_find("default/web"));
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	free(r);
	r = get(f, port, "/livez");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	free(r);
}

/* kube-proxy's SyncNode: the cluster autoscaler's taint on this node's
 * Node makes /healthz 503, nodeEligible false (load balancers drain the
 * node before it goes); /livez stays 200. Without it, 200 again. */
static void ops_test_http_autoscaler_taint(void **state)
{
	struct fixture *f = *state;
	char path[300];
	uint16_t port;
	FILE *fp;
	char *r;

	snprintf(path, sizeof(path), "%s/node.yaml", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("apiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n"
	      "spec: {taints: [{key: ToBeDeletedByClusterAutoscaler, "
	      "value: '1700000000', effect: NoSchedule}]}\n", fp);
	fclose(fp);
	start_node(f, "node-a");
	port = ksd_http_port(f->d.healthz);
	RUN_UNTIL(f, fake_table_find("default/web") && f->d.store.node);
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 503 ", 13));
	assert_non_null(strstr(body_of(r), "\"nodeEligible\": false}"));
	free(r);
	r = get(f, port, "/livez");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_null(strstr(body_of(r), "nodeEligible"));
	free(r);

	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("apiVersion: v1\nkind: Node\nmetadata: {name: node-a}\n"
	      "spec: {taints: [{key: node.kubernetes.io/unschedulable, "
	      "effect: NoSchedule}]}\n", fp);
	fclose(fp);
	RUN_UNTIL(f, ksd_daemon_node_eligible(&f->d));
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(body_of(r), "\"nodeEligible\": true}"));
	free(r);
}

/* An address taken already: the daemon does not start. */
static void ops_test_http_busy(void **state)
{
	struct fixture *f = *state;
	struct ksd_opts o = { .manifests = f->dir, .sync_ms = 30000 };
	struct ksd_daemon d2;
	char bind[64];

	start(f, 30000, "127.0.0.1:0", "");
	snprintf(bind, sizeof(bind), "127.0.0.1:%u",
		 ksd_http_port(f->d.healthz));
	o.metrics_bind = bind;
	assert_true(ksd_daemon_init(&d2, &o, fake_open,
				    ksd_manifests_source(f->dir, 20)) < 0);
	ksd_daemon_release(&d2);
}

/* --- healthCheckNodePort --- */

/* A port free right now on 127.0.0.1 (a fixed healthCheckNodePort cannot
 * be 0): bound, read and closed. */
static uint16_t free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* The LoadBalancer service lb (eTP Local, healthCheckNodePort hcport, ports
 * http and https) with its slice's ports and endpoints; hcport 0 removes
 * it. */
static void write_lb_slice(struct fixture *f, uint16_t hcport,
			   const char *slice)
{
	char path[300];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/lb.yaml", f->dir);
	if (!hcport) {
		assert_int_equal(unlink(path), 0);
		return;
	}
	fp = fopen(path, "w");
	assert_non_null(fp);
	fprintf(fp, "apiVersion: v1\nkind: Service\n"
		"metadata: {name: lb, namespace: shop}\n"
		"spec: {type: LoadBalancer, clusterIP: 10.96.0.20, "
		"externalTrafficPolicy: Local, healthCheckNodePort: %u,\n"
		"  ports: [{name: http, port: 80, nodePort: 30080}, "
		"{name: https, port: 443, nodePort: 30443}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata: {name: lb-1, namespace: shop, labels: "
		"{kubernetes.io/service-name: lb}}\naddressType: IPv4\n%s",
		hcport, slice);
	fclose(fp);
}

static void write_lb(struct fixture *f, uint16_t hcport, const char *node)
{
	char slice[512];

	snprintf(slice, sizeof(slice), "ports: [{name: http, port: 8080}]\n"
		 "endpoints:\n"
		 "- {addresses: [10.244.1.5], nodeName: %s}\n"
		 "- {addresses: [10.244.1.6], nodeName: %s, "
		 "conditions: {ready: false}}\n"
		 "- {addresses: [10.244.2.5], nodeName: node-b}\n",
		 node, node);
	write_lb_slice(f, hcport, slice);
}

/* Whether a connection to addr (IPv4, host order) at port is refused. */
static bool refused_at(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool r;

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(addr);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    errno == ECONNREFUSED;
	close(fd);
	return r;
}

static bool has_ipv6_loopback(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool r = fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa));

	if (fd >= 0)
		close(fd);
	return r;
}

/* Whether [::1]:port accepts a connection (the server is on the loop, but
 * the kernel completes the handshake into its backlog). */
static bool answers_ipv6_loopback(uint16_t port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6,
				   .sin6_port = htons(port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool r;

	assert_true(fd >= 0);
	r = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r;
}

static bool refused(uint16_t port)
{
	return refused_at(INADDR_LOOPBACK, port);
}

/* kube-proxy's answer on the healthCheckNodePort of an
 * externalTrafficPolicy Local service: 200 with local endpoints, 503
 * without; the server opens and closes with the service. */
static void ops_test_hcport(void **state)
{
	struct fixture *f = *state;
	uint16_t port = free_port();
	char want[256];
	char *r;

	write_lb(f, port, "node-a");
	start_node(f, "node-a");
	RUN_UNTIL(f, ksd_hcports_local(&f->d.hcports, port) == 1);
	r = get(f, port, "/");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(r, "Content-Type: application/json\r\n"));
	snprintf(want, sizeof(want), "{\n\t\"service\": {\n\t\t\"namespace\": "
		 "\"shop\",\n\t\t\"name\": \"lb\"\n\t},\n\t\"localEndpoints\": "
		 "1,\n\t\"serviceProxyHealthy\": true\n}");
	assert_string_equal(body_of(r), want);
	free(r);

	/* Its endpoints move to another node: 503, none local. */
	write_lb(f, port, "node-c");
	RUN_UNTIL(f, ksd_hcports_local(&f->d.hcports, port) == 0);
	r = get(f, port, "/healthz");
	assert_true(!strncmp(r, "HTTP/1.1 503 ", 13));
	assert_non_null(strstr(body_of(r), "\"localEndpoints\": 0,"));
	free(r);

	/* The service goes: so does its server. */
	write_lb(f, 0, NULL);
	RUN_UNTIL(f, ksd_hcports_local(&f->d.hcports, port) == -1);
	assert_true(refused(port));
	assert_int_equal(f->d.hcports.n, 0);
}

/*
 * With --nodeport-addresses, kube-proxy's healthCheckNodePort servers
 * listen on this node's addresses in it only: 127.0.0.1/32 here, so
 * 127.0.0.2 (loopback too) is refused, where a server on every address
 * would answer. localEndpoints counts the ready local endpoints by
 * address: one serving both ports is one; a terminating one, or another
 * node's, none.
 */
static void ops_test_hcport_nodeport_addresses(void **state)
{
	struct fixture *f = *state;
	uint16_t port = free_port();
	struct ksd_opts o = {
		.manifests = f->dir,
		.sync_ms = 30000,
		.healthz_bind = "",	/* else the hc servers take its host */
		.hostname = "node-a",
	};
	char *r;

	assert_int_equal(ksvc_parse_cidr("127.0.0.1/32",
					 &o.cfg.nodeport_cidrs[0], NULL), 0);
	o.cfg.nnodeport_cidrs = 1;
	o.cfg.has = KSVC_CFG_HAS_NODEPORT_CIDRS;
	write_lb_slice(f, port, "ports: [{name: http, port: 8080}, "
		       "{name: https, port: 8443}]\nendpoints:\n"
		       "- {addresses: [10.244.1.5], nodeName: node-a}\n"
		       "- {addresses: [10.244.1.6], nodeName: node-a}\n"
		       "- {addresses: [10.244.1.7], nodeName: node-a, "
		       "conditions: {ready: false, serving: true, "
		       "terminating: true}}\n"
		       "- {addresses: [10.244.2.5], nodeName: node-b}\n");
	f->started = true;
	assert_int_equal(ksd_daemon_init(&f->d, &o, fake_open,
					 ksd_manifests_source(f->dir, 20)), 0);
	RUN_UNTIL(f, ksd_hcports_local(&f->d.hcports, port) >= 0);
	assert_int_equal(ksd_hcports_local(&f->d.hcports, port), 2);
	r = get(f, port, "/");
	assert_true(!strncmp(r, "HTTP/1.1 200 OK\r\n", 17));
	assert_non_null(strstr(body_of(r), "\"localEndpoints\": 2,"));
	free(r);
	assert_true(refused_at(INADDR_LOOPBACK + 1, port));
	/* No IPv6 CIDR: every IPv6 address keeps it, ::1 too (where this
	 * host has IPv6). */
	if (has_ipv6_loopback())
		assert_true(answers_ipv6_loopback(port));
}

/* --- deploy/ --- */

static void parse_file(const char *name, size_t want_docs, const char *kinds)
{
	char path[512], why[KSD_YAML_WHY_MAX] = "", *buf;
	cJSON *docs = NULL, *doc;
	size_t len;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/deploy/%s", KSD_SRCDIR, name);
	fp = fopen(path, "r");
	assert_non_null(fp);
	buf = malloc(1 << 20);
	assert_non_null(buf);
	len = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	if (ksd_yaml_parse(buf, len, &docs, why))
		fail_msg("%s: %s", name, why);
	free(buf);
	assert_int_equal((size_t)cJSON_GetArraySize(docs), want_docs);
	cJSON_ArrayForEach(doc, docs) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(doc, "kind");

		assert_true(cJSON_IsString(k));
		if (!strstr(kinds, k->valuestring))
			fail_msg("%s: unexpected kind %s", name,
				 k->valuestring);
	}
	cJSON_Delete(docs);
}

static void ops_test_deploy_yaml(void **state)
{
	(void)state;
	char path[512], *buf;
	size_t len;
	FILE *fp;

	parse_file("kserviced.yaml", 4, "ServiceAccount ClusterRole "
		   "ClusterRoleBinding DaemonSet");
	/* The API mode, in-cluster: no folder, no ConfigMap, no
	 * kubeconfig. */
	snprintf(path, sizeof(path), "%s/deploy/kserviced.yaml", KSD_SRCDIR);
	fp = fopen(path, "r");
	assert_non_null(fp);
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	len = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	assert_true(len > 0);
	assert_null(strstr(buf, "--manifests"));
	assert_null(strstr(buf, "configMap"));
	assert_null(strstr(buf, "- --kubeconfig"));
	assert_null(strstr(buf, "- --master"));
	assert_non_null(strstr(buf, "--hostname-override=$(NODE_NAME)"));
	assert_non_null(strstr(buf, "resources: [nodes]"));
	free(buf);
}

/* The systemd unit: sections and Key=Value lines only, with the three
 * sections and what starts the daemon. */
static void ops_test_deploy_unit(void **state)
{
	char path[512], line[512];
	unsigned int sections = 0, exec = 0;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "%s/deploy/kserviced.service",
		 KSD_SRCDIR);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			assert_true(!strcmp(line, "[Unit]") ||
				    !strcmp(line, "[Service]") ||
				    !strcmp(line, "[Install]"));
			sections++;
			continue;
		}
		if (!strchr(line, '=') || strchr(line, '=') == line)
			fail_msg("kserviced.service: \"%s\"", line);
		exec += !strncmp(line, "ExecStart=", 10) ||
			!strncmp(line, "ExecStartPre=", 13);
	}
	fclose(fp);
	assert_int_equal(sections, 3);
	assert_int_equal(exec, 2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ops_test_float),
		cmocka_unit_test(ops_test_metrics_text),
		cmocka_unit_test(ops_test_metrics_dns),
		cmocka_unit_test(ops_test_health),
		cmocka_unit_test(ops_test_bind),
		cmocka_unit_test(ops_test_flags),
		T(ops_test_http),
		T(ops_test_http_unhealthy),
		T(ops_test_http_autoscaler_taint),
		T(ops_test_http_busy),
		T(ops_test_hcport),
		T(ops_test_hcport_nodeport_addresses),
		cmocka_unit_test(ops_test_deploy_yaml),
		cmocka_unit_test(ops_test_deploy_unit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
