// SPDX-License-Identifier: GPL-2.0
/*
 * The cluster DNS benchmark (daemon/Makefile's bench and check-bench):
 * dns.c's answers against a store of --slices EndpointSlices, in-process
 * (no socket: the time is the daemon's own).
 *
 * The store: --slices / 2 services in 100 namespaces, every other one
 * headless, each with two IPv4 slices of 4 ready endpoints (half of them
 * with a hostname) and a named port.
 *
 * 1. Queries per second of each kind (the headless service's A, its
 *    SRV, an endpoint's PTR, a cluster IP's PTR, a ClusterIP service's
 *    A), --secs seconds each, the names drawn at random.
 * 2. Latency while full passes happen: --passes rounds of a full pass
 *    (a new store decoded from the objects and swapped in, as the
 *    manifests source does) followed by --per-pass queries of the five
 *    kinds in turn, each timed: p50, p99, p99.9 and max, the first
 *    query after a pass apart (it pays for whatever the store's change
 *    left to do), and the pass's own time (the loop is blocked by it
 *    either way).
 *
 * Every answer is checked (its rcode and record count), so check-bench
 * catches a wrong answer; no time is judged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cjson/cJSON.h>
#include <ldns/ldns.h>

#include "decode.h"
#include "dns.h"
#include "store.h"

#define NAMESPACES	100
#define SLICES_PER_SVC	2
#define EPS_PER_SLICE	4
#define KINDS		5

static const char *const kind_names[KINDS] = {
	"headless A", "headless SRV", "endpoint PTR", "cluster IP PTR",
	"ClusterIP A",
};

struct bench {
	size_t nsvcs;
	cJSON **objs;			/* services, then slices */
	size_t nobjs;
	struct ksd_store st;
	struct ksd_dns dns;
	unsigned int seed;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "dnsbench: %s\n", what);
	exit(1);
}

/* Service i: headless when odd; its cluster IP 10.96.0.0 + i. */
static void svc_addr(size_t i, char *buf, size_t size)
{
	snprintf(buf, size, "10.%zu.%zu.%zu", 96 + (i >> 16), (i >> 8) & 255,
		 i & 255);
}

/* Endpoint e of slice s of service i: 10.128.0.0 + a running number. */
static void ep_addr(size_t i, size_t s, size_t e, unsigned char raw[4])
{
	size_t n = (i * SLICES_PER_SVC + s) * EPS_PER_SLICE + e;

	raw[0] = 10;
	raw[1] = (unsigned char)(128 + (n >> 16));
	raw[2] = (unsigned char)(n >> 8);
	raw[3] = (unsigned char)n;
}

static cJSON *parse(const char *s)
{
	cJSON *o = cJSON_Parse(s);

	if (!o)
		die("cannot parse a generated object");
	return o;
}

static void make_objects(struct bench *b, size_t nslices)
{
	char buf[4096], addr[32];
	size_t i, s, e, len;

	b->nsvcs = nslices / SLICES_PER_SVC;
	if (!b->nsvcs)
		die("--slices must be 2 or more");
	b->nobjs = b->nsvcs * (1 + SLICES_PER_SVC);
	b->objs = calloc(b->nobjs, sizeof(*b->objs));
	if (!b->objs)
		die("out of memory");
	for (i = 0; i < b->nsvcs; i++) {
		svc_addr(i, addr, sizeof(addr));
		snprintf(buf, sizeof(buf),
			 "{\"apiVersion\":\"v1\",\"kind\":\"Service\","
			 "\"metadata\":{\"name\":\"svc%zu\",\"namespace\":"
			 "\"ns%zu\"},\"spec\":{\"clusterIP\":\"%s\","
			 "\"ports\":[{\"name\":\"http\",\"port\":80}]}}",
			 i, i % NAMESPACES, i % 2 ? "None" : addr);
		b->objs[i] = parse(buf);
		for (s = 0; s < SLICES_PER_SVC; s++) {
			len = (size_t)snprintf(buf, sizeof(buf),
				"{\"apiVersion\":\"discovery.k8s.io/v1\","
				"\"kind\":\"EndpointSlice\",\"metadata\":{"
				"\"name\":\"svc%zu-%zu\",\"namespace\":\"ns%zu\","
				"\"labels\":{\"kubernetes.io/service-name\":"
				"\"svc%zu\"}},\"addressType\":\"IPv4\","
				"\"ports\":[{\"name\":\"http\",\"port\":8080}],"
				"\"endpoints\":[", i, s, i % NAMESPACES, i);
			for (e = 0; e < EPS_PER_SLICE; e++) {
				unsigned char r[4];

				ep_addr(i, s, e, r);
				len += (size_t)snprintf(buf + len,
					sizeof(buf) - len,
					"%s{\"addresses\":[\"%u.%u.%u.%u\"]%s",
					e ? "," : "", r[0], r[1], r[2], r[3],
					e % 2 ? "}" : "");
				if (!(e % 2))
					len += (size_t)snprintf(buf + len,
						sizeof(buf) - len,
						",\"hostname\":\"h%zu-%zu\"}",
						s, e);
			}
			snprintf(buf + len, sizeof(buf) - len, "]}");
			b->objs[b->nsvcs + i * SLICES_PER_SVC + s] = parse(buf);
		}
	}
}

/* A store of every object, decoded again (what a full pass does). */
static void load(struct bench *b, struct ksd_store *st)
{
	char why[KSD_WHY_MAX];
	size_t i;

	ksd_store_init(st);
	for (i = 0; i < b->nobjs; i++) {
		struct ksd_service *svc;
		struct ksd_slice *sl;

		if (i < b->nsvcs) {
			if (ksd_decode_service(b->objs[i], &svc, why))
				die(why);
			ksd_store_put_service(st, svc);
		} else {
			if (ksd_decode_slice(b->objs[i], &sl, why))
				die(why);
			ksd_store_put_slice(st, sl);
		}
	}
}

/* A query of a kind, about a random service of the right sort, and the
 * answers it must have. */
static uint8_t *query(struct bench *b, int kind, size_t *len,
		      size_t *want)
{
	char name[256], addr[32];
	size_t i = (size_t)rand_r(&b->seed) % b->nsvcs;
	ldns_rr_type type = LDNS_RR_TYPE_A;
	ldns_pkt *q = NULL;
	uint8_t *w = NULL;

	/* Headless: odd; ClusterIP: even. */
	if (kind == 0 || kind == 1 || kind == 2)
		i |= 1;
	else
		i &= ~(size_t)1;
	if (i >= b->nsvcs)
		i -= 2;
	*want = 1;
	switch (kind) {
	case 0:
		snprintf(name, sizeof(name), "svc%zu.ns%zu.svc.cluster.local",
			 i, i % NAMESPACES);
		*want = SLICES_PER_SVC * EPS_PER_SLICE;
		break;
	case 1:
		snprintf(name, sizeof(name),
			 "_http._tcp.svc%zu.ns%zu.svc.cluster.local", i,
			 i % NAMESPACES);
		type = LDNS_RR_TYPE_SRV;
		*want = SLICES_PER_SVC * EPS_PER_SLICE;
		break;
	case 2: {
		unsigned char r[4];

		ep_addr(i, (size_t)rand_r(&b->seed) % SLICES_PER_SVC,
			(size_t)rand_r(&b->seed) % EPS_PER_SLICE, r);
		snprintf(name, sizeof(name), "%u.%u.%u.%u.in-addr.arpa", r[3],
			 r[2], r[1], r[0]);
		type = LDNS_RR_TYPE_PTR;
		break;
	}
	case 3:
		svc_addr(i, addr, sizeof(addr));
		{
			unsigned int o[4];

			sscanf(addr, "%u.%u.%u.%u", &o[0], &o[1], &o[2], &o[3]);
			snprintf(name, sizeof(name),
				 "%u.%u.%u.%u.in-addr.arpa", o[3], o[2], o[1],
				 o[0]);
		}
		type = LDNS_RR_TYPE_PTR;
		break;
	default:
		snprintf(name, sizeof(name), "svc%zu.ns%zu.svc.cluster.local",
			 i, i % NAMESPACES);
		break;
	}
	if (ldns_pkt_query_new_frm_str(&q, name, type, LDNS_RR_CLASS_IN,
				       LDNS_RD) != LDNS_STATUS_OK)
		die("cannot make a query");
	ldns_pkt_set_edns_udp_size(q, 1232);
	if (ldns_pkt2wire(&w, q, len) != LDNS_STATUS_OK)
		die("cannot write a query");
	ldns_pkt_free(q);
	return w;
}

/* Answers w; checks the reply. */
static void answer(struct bench *b, const uint8_t *w, size_t len,
		   size_t want)
{
	uint8_t *reply;
	size_t rlen;
	ldns_pkt *r = NULL;

	if (ksd_dns_answer(&b->dns, w, len, false, &reply, &rlen))
		die("no answer");
	if (ldns_wire2pkt(&r, reply, rlen) != LDNS_STATUS_OK ||
	    ldns_pkt_get_rcode(r) != LDNS_RCODE_NOERROR ||
	    ldns_pkt_ancount(r) != want)
		die("a wrong answer");
	ldns_pkt_free(r);
	free(reply);
}

/* Queries prepared ahead, so that only the answer is timed. */
struct prepared {
	uint8_t *w;
	size_t len, want;
};

static void prepare(struct bench *b, int kind, struct prepared *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i].w = query(b, kind >= 0 ? kind : (int)(i % KINDS),
			       &p[i].len, &p[i].want);
}

static void unprepare(struct prepared *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].w);
}

static void rate(struct bench *b, double secs)
{
	enum { POOL = 1024 };
	struct prepared p[POOL];
	int kind;

	printf("queries per second, %zu slices, %zu services (in-process, "
	       "one core):\n", b->st.nslices, b->st.nsvcs);
	for (kind = 0; kind < KINDS; kind++) {
		double t0 = now_s(), t;
		size_t n = 0;

		prepare(b, kind, p, POOL);
		do {
			answer(b, p[n % POOL].w, p[n % POOL].len,
			       p[n % POOL].want);
			n++;
			t = now_s() - t0;
		} while (t < secs);
		printf("  %-16s %10.0f\n", kind_names[kind], (double)n / t);
		unprepare(p, POOL);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void passes(struct bench *b, size_t rounds, size_t per)
{
	struct prepared *p = calloc(per, sizeof(*p));
	double *lat = calloc(rounds * per, sizeof(*lat)), pass = 0;
	double first = 0, first_max = 0;
	size_t r, i, n = 0;

	if (!p || !lat)
		die("out of memory");
	for (r = 0; r < rounds; r++) {
		struct ksd_store fresh;
		double t0;

		prepare(b, -1, p, per);
		t0 = now_s();
		load(b, &fresh);
		ksd_store_swap(&b->st, &fresh);
		pass += now_s() - t0;
		for (i = 0; i < per; i++) {
			t0 = now_s();
			answer(b, p[i].w, p[i].len, p[i].want);
			lat[n++] = now_s() - t0;
			if (!i) {
				first += lat[n - 1];
				if (lat[n - 1] > first_max)
					first_max = lat[n - 1];
			}
		}
		unprepare(p, per);
	}
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("latency of %zu queries, %zu after each of %zu full passes "
	       "(the five kinds in turn):\n"
	       "  p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n"
	       "  the first query after a pass: %.1f us on average, max "
	       "%.1f us\n"
	       "  a full pass (decode, swap): %.1f ms on average\n",
	       n, per, rounds, lat[n / 2] * 1e6, lat[n * 99 / 100] * 1e6,
	       lat[n * 999 / 1000] * 1e6, lat[n - 1] * 1e6,
	       first / (double)rounds * 1e6, first_max * 1e6,
	       pass / (double)rounds * 1e3);
	free(lat);
	free(p);
}

int main(int argc, char **argv)
{
	size_t slices = 20000, rounds = 10, per = 2000, i;
	struct bench b = { .seed = 1 };
	double secs = 2;
	int a;

	for (a = 1; a + 1 < argc; a += 2) {
		if (!strcmp(argv[a], "--slices"))
			slices = strtoul(argv[a + 1], NULL, 10);
		else if (!strcmp(argv[a], "--secs"))
			secs = strtod(argv[a + 1], NULL);
		else if (!strcmp(argv[a], "--passes"))
			rounds = strtoul(argv[a + 1], NULL, 10);
		else if (!strcmp(argv[a], "--per-pass"))
			per = strtoul(argv[a + 1], NULL, 10);
		else
			break;
	}
	if (a < argc || !rounds || !per) {
		fprintf(stderr, "usage: dnsbench [--slices N] [--secs S] "
			"[--passes N] [--per-pass N]\n");
		return 2;
	}
	make_objects(&b, slices);
	load(&b, &b.st);
	if (ksd_dns_init(&b.dns, "cluster.local", KSD_DNS_TTL_DEFAULT, &b.st))
		die("ksd_dns_init");
	rate(&b, secs);
	passes(&b, rounds, per);
	ksd_dns_release(&b.dns);
	ksd_store_release(&b.st);
	for (i = 0; i < b.nobjs; i++)
		cJSON_Delete(b.objs[i]);
	free(b.objs);
	return 0;
}
