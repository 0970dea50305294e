// SPDX-License-Identifier: GPL-2.0
/*
 * Metrics and health; see metrics.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"

/* prometheus.ExponentialBuckets(0.001, 2, 15) */
static const double sync_bounds[] = {
	0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256,
	0.512, 1.024, 2.048, 4.096, 8.192, 16.384,
};
/* LinearBuckets(0.25, 0.25, 2), (1, 1, 59), (60, 5, 12), (120, 30, 7) */
static double netprog_bounds[KSD_HIST_BOUNDS_MAX];

static void netprog_init(void)
{
	size_t n = 0;
	int i;

	if (netprog_bounds[0] > 0)
		return;
	for (i = 0; i < 2; i++)
		netprog_bounds[n++] = 0.25 + 0.25 * i;
	for (i = 0; i < 59; i++)
		netprog_bounds[n++] = 1 + i;
	for (i = 0; i < 12; i++)
		netprog_bounds[n++] = 60 + 5 * i;
	for (i = 0; i < 7; i++)
		netprog_bounds[n++] = 120 + 30 * i;
}

void ksd_metrics_init(struct ksd_metrics *m)
{
	memset(m, 0, sizeof(*m));
	netprog_init();
	m->sync.bounds = m->sync_full.bounds = sync_bounds;
	m->sync.nbounds = m->sync_full.nbounds =
		sizeof(sync_bounds) / sizeof(sync_bounds[0]);
	m->netprog.bounds = netprog_bounds;
	m->netprog.nbounds = KSD_HIST_BOUNDS_MAX;
}

void ksd_histogram_observe(struct ksd_histogram *h, double v)
{
	size_t i;

	for (i = 0; i < h->nbounds && v > h->bounds[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

void ksd_format_float(double v, char *buf, size_t size)
{
	char e[40], *p;
	int prec, exp;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, size, "0");
		return;
	}
	/* The fewest digits that read back as v... */
	for (prec = 1; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec - 1, v);
		if (strtod(e, NULL) == v)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", prec - 1, v);
	p = strchr(e, 'e');
	exp = atoi(p + 1);
	/* ...in %e when Go's 'g' with the shortest precision would. */
	if (exp < -4 || exp >= 6) {
		snprintf(buf, size, "%s", e);
		return;
	}
	snprintf(buf, size, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0,
		 v);
}

static void put_float(FILE *f, double v)
{
	char buf[40];

	ksd_format_float(v, buf, sizeof(buf));
	fputs(buf, f);
}

static void header(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void histogram(FILE *f, const char *name, const char *help,
		      const struct ksd_histogram *h)
{
	uint64_t cum = 0;
	char le[40];
	size_t i;

	header(f, name, "histogram", help);
	for (i = 0; i <= h->nbounds; i++) {
		cum += h->counts[i];
		if (i < h->nbounds)
			ksd_format_float(h->bounds[i], le, sizeof(le));
		else
			snprintf(le, sizeof(le), "+Inf");
		fprintf(f, "%s_bucket{le=\"%s\"} %llu\n", name, le,
			(unsigned long long)cum);
	}
	fprintf(f, "%s_sum ", name);
	put_float(f, h->sum);
	fprintf(f, "\n%s_count %llu\n", name, (unsigned long long)h->count);
}

static void gauge(FILE *f, const char *name, const char *type,
		  const char *help, double v)
{
	header(f, name, type, help);
	fprintf(f, "%s ", name);
	put_float(f, v);
	fputc('\n', f);
}

char *ksd_metrics_text(const struct ksd_metrics *m)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (m->dns_responses) {
		unsigned int i;

		header(f, "kserviced_dns_responses_total", "counter",
		       "Cluster DNS responses sent, by rcode");
		for (i = 0; i < m->dns_nrcodes; i++)
			if (m->dns_rcode_name(i))
				fprintf(f, "kserviced_dns_responses_total"
					"{rcode=\"%s\"} %llu\n",
					m->dns_rcode_name(i),
					(unsigned long long)m->dns_responses[i]);
	}
	gauge(f, "kserviced_frontend_conflicts", "gauge",
	      "Frontends and node ports claimed by more than one Service, "
	      "left to the oldest", (double)m->frontend_conflicts);
	histogram(f, "kubeproxy_network_programming_duration_seconds",
		  "In Cluster Network Programming Latency in seconds",
		  &m->netprog);
	histogram(f, "kubeproxy_sync_full_proxy_rules_duration_seconds",
		  "SyncProxyRules latency in seconds for full resyncs",
		  &m->sync_full);
	histogram(f, "kubeproxy_sync_proxy_rules_duration_seconds",
		  "SyncProxyRules latency in seconds", &m->sync);
	gauge(f, "kubeproxy_sync_proxy_rules_endpoint_changes_total",
	      "counter", "Cumulative proxy rules Endpoint changes",
	      (double)m->endpoint_changes);
	gauge(f, "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
	      "gauge", "The last time a sync of proxy rules was queued",
	      m->last_queued_s);
	gauge(f, "kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge",
	      "The last time proxy rules were successfully synced",
	      m->last_sync_s);
	gauge(f, "kubeproxy_sync_proxy_rules_service_changes_total",
	      "counter", "Cumulative proxy rules Service changes",
	      (double)m->service_changes);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

bool ksd_health_ok(uint64_t queued_ms, uint64_t now_ms, uint64_t timeout_ms)
{
	if (!queued_ms)
		return true;
	return now_ms < queued_ms + timeout_ms;
}

/* Go's time.Time.String() in UTC: "2006-01-02 15:04:05.123456789 +0000
 * UTC" (trailing zeros of the fraction dropped, none when it is 0), then
 * the monotonic reading as " m=+S.NNNNNNNNN"; the zero time (unix_ns 0)
 * has none. */
static void go_time(char *buf, size_t size, const struct ksd_go_time *gt)
{
	char frac[16] = "";
	int64_t ns = gt->unix_ns, m = gt->mono_ns;
	struct tm tm;
	time_t t;
	long rem;
	int i;

	if (!ns) {
		snprintf(buf, size, "0001-01-01 00:00:00 +0000 UTC");
		return;
	}
	t = (time_t)(ns / 1000000000);
	rem = (long)(ns % 1000000000);
	gmtime_r(&t, &tm);
	if (rem) {
		snprintf(frac, sizeof(frac), ".%09ld", rem);
		for (i = (int)strlen(frac) - 1; frac[i] == '0'; i--)
			frac[i] = '\0';
	}
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d%s +0000 UTC "
		 "m=%c%lld.%09lld", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac,
		 m < 0 ? '-' : '+', (long long)(m < 0 ? -m : m) / 1000000000,
		 (long long)(m < 0 ? -m : m) % 1000000000);
}

int ksd_health_body(char *buf, size_t size, const struct ksd_go_time *last,
		    const struct ksd_go_time *now, const bool *node_eligible)
{
	char l[96], n[96];

	go_time(l, sizeof(l), last);
	go_time(n, sizeof(n), now);
	if (!node_eligible)
		return snprintf(buf, size, "{\"lastUpdated\": \"%s\","
				"\"currentTime\": \"%s\"}", l, n);
	return snprintf(buf, size, "{\"lastUpdated\": \"%s\",\"currentTime\": "
			"\"%s\", \"nodeEligible\": %s}", l, n,
			*node_eligible ? "true" : "false");
}
