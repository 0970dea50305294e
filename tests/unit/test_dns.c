// SPDX-License-Identifier: GPL-2.0
/*
 * Cluster DNS (dns.c, dnsserver.c): queries built with ldns against the
 * fixture's store (dns_fixture.c), each reply case of the spec checked,
 * then the real UDP and TCP servers on a loop over 127.0.0.1.
 *
 * A section is checked as text, one record a line: "TYPE RDATA" (owner
 * and TTL checked apart), e.g. "A 10.96.0.80".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <ldns/ldns.h>

#include "dns.h"
#include "dns_fixture.h"
#include "dnsserver.h"
#include "ksvc_text.h"
#include "yamldoc.h"
#include "loop.h"
#include "loop_util.h"

struct fx {
	struct ksd_store st;
	struct ksd_dns dns;
	bool ready;
};

static bool fx_ready(void *arg)
{
	return ((struct fx *)arg)->ready;
}

static int setup(void **state)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	char why[KSD_WHY_MAX];

	ksd_store_init(&fx->st);
	if (dns_fixture_load(&fx->st, why))
		fail_msg("fixture: %s", why);
	assert_int_equal(ksd_dns_init(&fx->dns, "cluster.local",
				      KSD_DNS_TTL_DEFAULT, &fx->st), 0);
	fx->ready = true;
	fx->dns.ready = fx_ready;
	fx->dns.ready_arg = fx;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	ksd_dns_release(&fx->dns);
	ksd_store_release(&fx->st);
	free(fx);
	return 0;
}

/* A query's wire form: edns 0 for none, else the UDP size offered. */
static uint8_t *query_wire(const char *name, ldns_rr_type type,
			   uint16_t edns, uint8_t version, size_t *len)
{
	ldns_pkt *q = NULL;
	uint8_t *w = NULL;

	assert_int_equal(ldns_pkt_query_new_frm_str(&q, name, type,
						    LDNS_RR_CLASS_IN, LDNS_RD),
			 LDNS_STATUS_OK);
	ldns_pkt_set_id(q, 0x1234);
	if (edns) {
		ldns_pkt_set_edns_udp_size(q, edns);
		ldns_pkt_set_edns_version(q, version);
	}
	assert_int_equal(ldns_pkt2wire(&w, q, len), LDNS_STATUS_OK);
	ldns_pkt_free(q);
	return w;
}

/* Answers raw bytes; the reply parsed, and its size in *rlen. */
static ldns_pkt *answer_raw(struct fx *fx, const uint8_t *w, size_t len,
			    bool tcp, size_t *rlen)
{
	uint8_t *reply;
	ldns_pkt *r = NULL;
	size_t n;

	assert_int_equal(ksd_dns_answer(&fx->dns, w, len, tcp, &reply, &n),
			 0);
	assert_int_equal(ldns_wire2pkt(&r, reply, n), LDNS_STATUS_OK);
	free(reply);
	assert_int_equal(ldns_pkt_id(r), w[0] << 8 | w[1]);
	assert_true(ldns_pkt_qr(r));
	if (rlen)
		*rlen = n;
	return r;
}

static ldns_pkt *ask_full(struct fx *fx, const char *name, ldns_rr_type type,
			  uint16_t edns, uint8_t version, bool tcp,
			  size_t *rlen)
{
	size_t len;
	uint8_t *w = query_wire(name, type, edns, version, &len);
	ldns_pkt *r = answer_raw(fx, w, len, tcp, rlen);

	free(w);
	return r;
}

static ldns_pkt *ask(struct fx *fx, const char *name, ldns_rr_type type)
{
	return ask_full(fx, name, type, 0, 0, false, NULL);
}

/* A section as "TYPE RDATA" lines. */
static char *section(const ldns_pkt *r, ldns_pkt_section s)
{
	ldns_rr_list *l = ldns_pkt_get_section_clone(r, s);
	char *out = calloc(1, 1 << 16);
	size_t i, j, len = 0;

	for (i = 0; i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		char *t = ldns_rr_type2str(ldns_rr_get_type(rr));

		len += (size_t)sprintf(out + len, "%s%s", i ? "\n" : "", t);
		free(t);
		for (j = 0; j < ldns_rr_rd_count(rr); j++) {
			char *d = ldns_rdf2str(ldns_rr_rdf(rr, j));

			len += (size_t)sprintf(out + len, " %s", d);
			free(d);
		}
	}
	ldns_rr_list_deep_free(l);
	return out;
}

#define expect_section(r, s, want) do {				\
	char *got_ = section(r, s);					\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

static const char soa[] = "SOA ns.dns.cluster.local. "
			  "hostmaster.cluster.local. %u 7200 1800 86400 5";

/* rcode, aa, and the SOA alone in authority (negative answers). */
static void expect_negative(struct fx *fx, ldns_pkt *r, ldns_pkt_rcode rc)
{
	char want[256];

	assert_int_equal(ldns_pkt_get_rcode(r), rc);
	assert_true(ldns_pkt_aa(r));
	assert_int_equal(ldns_pkt_ancount(r), 0);
	snprintf(want, sizeof(want), soa, (unsigned int)fx->st.changes);
	expect_section(r, LDNS_SECTION_AUTHORITY, want);
}

/* A of a ClusterIP service: its IP, authoritative, TTL 5, the question
 * echoed. */
static void dns_test_a(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "my-app-service.default.svc.cluster.local", 1);
	ldns_rr *rr;
	char *s;

	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_true(ldns_pkt_aa(r));
	assert_true(ldns_pkt_rd(r));
	assert_false(ldns_pkt_tc(r));
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.80");
	rr = ldns_rr_list_rr(ldns_pkt_answer(r), 0);
	assert_int_equal(ldns_rr_ttl(rr), 5);
	s = ldns_rdf2str(ldns_rr_owner(rr));
	assert_string_equal(s, "my-app-service.default.svc.cluster.local.");
	free(s);
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	rr = ldns_rr_list_rr(ldns_pkt_question(r), 0);
	assert_int_equal(ldns_rr_get_type(rr), LDNS_RR_TYPE_A);
	assert_false(ldns_pkt_edns(r));
	ldns_pkt_free(r);
	assert_int_equal(fx->dns.responses[LDNS_RCODE_NOERROR], 1);
}

/* Dual stack: A gives the IPv4 cluster IP, AAAA the IPv6 one. */
static void dns_test_aaaa(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "dual.shop.svc.cluster.local",
			  LDNS_RR_TYPE_AAAA);

	expect_section(r, LDNS_SECTION_ANSWER, "AAAA fd00::90");
	ldns_pkt_free(r);
	r = ask(fx, "dual.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.90");
	ldns_pkt_free(r);
}

/* Names of any case match; the question keeps the client's. */
static void dns_test_case(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "My-App-Service.DEFAULT.Svc.Cluster.Local",
			  LDNS_RR_TYPE_A);
	char *s;

	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.80");
	s = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r),
						       0)));
	assert_string_equal(s, "My-App-Service.DEFAULT.Svc.Cluster.Local.");
	free(s);
	ldns_pkt_free(r);
}

/* An existing name without the type: NODATA (NOERROR, SOA). */
static void dns_test_nodata(void **state)
{
	static const struct { const char *name; ldns_rr_type t; } c[] = {
		{ "my-app-service.default.svc.cluster.local",
		  LDNS_RR_TYPE_AAAA },
		{ "my-app-service.default.svc.cluster.local",
		  LDNS_RR_TYPE_MX },
		{ "default.svc.cluster.local", LDNS_RR_TYPE_A },
		{ "svc.cluster.local", LDNS_RR_TYPE_A },
		{ "_tcp.my-app-service.default.svc.cluster.local",
		  LDNS_RR_TYPE_SRV },
		{ "_http._tcp.my-app-service.default.svc.cluster.local",
		  LDNS_RR_TYPE_A },
		{ "cluster.local", LDNS_RR_TYPE_A },
		{ "web-0.web.shop.svc.cluster.local", LDNS_RR_TYPE_TXT },
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		ldns_pkt *r = ask(fx, c[i].name, c[i].t);

		expect_negative(fx, r, LDNS_RCODE_NOERROR);
		ldns_pkt_free(r);
	}
}

/* Names of the zone that do not exist: NXDOMAIN with the SOA, including
 * what a pod's search path tries past the right name. */
static void dns_test_nxdomain(void **state)
{
	static const char *const names[] = {
		"nope.default.svc.cluster.local",
		"my-app-service.default.svc.cluster.local.cluster.local",
		"my-app-service.default.svc.cluster.local.svc.cluster.local",
		"my-app-service.svc.cluster.local",
		"my-app-service.cluster.local",
		"nons.svc.cluster.local",
		"_http._udp.my-app-service.default.svc.cluster.local",
		"_nope._tcp.my-app-service.default.svc.cluster.local",
		"x._http._tcp.my-app-service.default.svc.cluster.local",
		"10-244-2-7.web.shop.svc.cluster.local",	/* not ready */
		"web-1.web.shop.svc.cluster.local",
		"x.db.shop.svc.cluster.local",
		"empty.shop.svc.cluster.local",	/* headless, no endpoint */
		"1-2-3.default.pod.cluster.local",
		"1.2.3.4.default.pod.cluster.local",
		"a.b.c.d.e.f.g.h.i.cluster.local",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_pkt *r = ask(fx, names[i], LDNS_RR_TYPE_A);

		expect_negative(fx, r, LDNS_RCODE_NXDOMAIN);
		ldns_pkt_free(r);
	}
}

/* The search path of a pod in default: the short name's first try is
 * the answer. */
static void dns_test_search_path(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "my-app-service.default.svc.cluster.local.",
			  LDNS_RR_TYPE_A);

	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.80");
	ldns_pkt_free(r);
}

/* Headless: the ready endpoints; each endpoint by hostname or dashed
 * address, per family. */
static void dns_test_headless(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "web.shop.svc.cluster.local", LDNS_RR_TYPE_A);

	expect_section(r, LDNS_SECTION_ANSWER, "A 10.244.2.5\nA 10.244.2.6\n"
		       "A 10.244.2.8\nA 10.244.2.9");
	ldns_pkt_free(r);
	/* An endpoint's every address. */
	r = ask(fx, "web-2.web.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.244.2.8\nA 10.244.2.9");
	ldns_pkt_free(r);
	r = ask(fx, "web.shop.svc.cluster.local", LDNS_RR_TYPE_AAAA);
	expect_section(r, LDNS_SECTION_ANSWER, "AAAA fd00:244::5");
	ldns_pkt_free(r);
	r = ask(fx, "WEB-0.web.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.244.2.5");
	ldns_pkt_free(r);
	r = ask(fx, "web-0.web.shop.svc.cluster.local", LDNS_RR_TYPE_AAAA);
	expect_section(r, LDNS_SECTION_ANSWER, "AAAA fd00:244::5");
	ldns_pkt_free(r);
	r = ask(fx, "10-244-2-6.web.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.244.2.6");
	ldns_pkt_free(r);
}

/* SRV of a named port: the service, or each ready endpoint of a
 * headless one at the slice's port, addresses in additional. */
static void dns_test_srv(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "_http._tcp.my-app-service.default.svc."
			  "cluster.local", LDNS_RR_TYPE_SRV);

	expect_section(r, LDNS_SECTION_ANSWER,
		       "SRV 0 100 80 my-app-service.default.svc.cluster.local.");
	expect_section(r, LDNS_SECTION_ADDITIONAL, "A 10.96.0.80");
	ldns_pkt_free(r);
	r = ask(fx, "_dns._udp.dual.shop.svc.cluster.local",
		LDNS_RR_TYPE_SRV);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "SRV 0 100 53 dual.shop.svc.cluster.local.");
	expect_section(r, LDNS_SECTION_ADDITIONAL,
		       "A 10.96.0.90\nAAAA fd00::90");
	ldns_pkt_free(r);
	r = ask(fx, "_http._tcp.web.shop.svc.cluster.local",
		LDNS_RR_TYPE_SRV);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "SRV 0 33 8080 web-0.web.shop.svc.cluster.local.\n"
		       "SRV 0 33 8080 10-244-2-6.web.shop.svc.cluster.local.\n"
		       "SRV 0 33 8080 web-2.web.shop.svc.cluster.local.");
	expect_section(r, LDNS_SECTION_ADDITIONAL,
		       "A 10.244.2.5\nA 10.244.2.6\nA 10.244.2.8\n"
		       "A 10.244.2.9\nAAAA fd00:244::5");
	ldns_pkt_free(r);
}

/* The spec's deprecated pod records: the address the name spells. */
static void dns_test_pod(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "10-244-1-9.any.pod.cluster.local",
			  LDNS_RR_TYPE_A);

	expect_section(r, LDNS_SECTION_ANSWER, "A 10.244.1.9");
	ldns_pkt_free(r);
	r = ask(fx, "fd00-244--9.default.pod.cluster.local",
		LDNS_RR_TYPE_AAAA);
	expect_section(r, LDNS_SECTION_ANSWER, "AAAA fd00:244::9");
	ldns_pkt_free(r);
	r = ask(fx, "10-244-1-9.default.pod.cluster.local", LDNS_RR_TYPE_AAAA);
	expect_negative(fx, r, LDNS_RCODE_NOERROR);
	ldns_pkt_free(r);
}

/* ExternalName: the CNAME alone, whatever the type; not followed. */
static void dns_test_cname(void **state)
{
	static const ldns_rr_type types[] = { LDNS_RR_TYPE_A,
		LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_CNAME, LDNS_RR_TYPE_SRV };
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		ldns_pkt *r = ask(fx, "db.shop.svc.cluster.local", types[i]);

		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		assert_true(ldns_pkt_aa(r));
		expect_section(r, LDNS_SECTION_ANSWER,
			       "CNAME db.example.com.");
		assert_int_equal(ldns_pkt_nscount(r), 0);
		assert_int_equal(ldns_pkt_arcount(r), 0);
		ldns_pkt_free(r);
	}
}

/* An ExternalName into the zone is followed: the CNAME, then the target's
 * records; the rcode is the target's (RFC 6604); a loop ends. CNAME
 * asked: the CNAME alone. */
static void dns_test_cname_chase(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "alias.shop.svc.cluster.local", LDNS_RR_TYPE_A);

	expect_section(r, LDNS_SECTION_ANSWER,
		       "CNAME my-app-service.default.svc.cluster.local.\n"
		       "A 10.96.0.80");
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	ldns_pkt_free(r);
	r = ask(fx, "alias.shop.svc.cluster.local", LDNS_RR_TYPE_AAAA);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "CNAME my-app-service.default.svc.cluster.local.");
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_nscount(r), 1);	/* SOA: NODATA */
	ldns_pkt_free(r);
	r = ask(fx, "alias.shop.svc.cluster.local", LDNS_RR_TYPE_CNAME);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "CNAME my-app-service.default.svc.cluster.local.");
	ldns_pkt_free(r);
	r = ask(fx, "ghost.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "CNAME nope.default.svc.cluster.local.");
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
	assert_true(ldns_pkt_aa(r));
	ldns_pkt_free(r);
	r = ask(fx, "loop-a.shop.svc.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "CNAME loop-b.shop.svc.cluster.local.\n"
		       "CNAME loop-a.shop.svc.cluster.local.");
	ldns_pkt_free(r);
}

/* PTR of cluster IPs (both families) and of every ready headless
 * endpoint, by hostname or else its address-made name; another
 * address's reverse name is not ours. */
static void dns_test_ptr(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "80.0.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR);

	assert_true(ldns_pkt_aa(r));
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR my-app-service.default.svc.cluster.local.");
	ldns_pkt_free(r);
	r = ask(fx, "0.9.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0."
		"0.0.d.f.ip6.arpa", LDNS_RR_TYPE_PTR);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR dual.shop.svc.cluster.local.");
	ldns_pkt_free(r);
	r = ask(fx, "5.2.244.10.IN-ADDR.ARPA", LDNS_RR_TYPE_PTR);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR web-0.web.shop.svc.cluster.local.");
	ldns_pkt_free(r);
	/* Without a hostname: the name its A and SRV records use. */
	r = ask(fx, "6.2.244.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_true(ldns_pkt_aa(r));
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR 10-244-2-6.web.shop.svc.cluster.local.");
	ldns_pkt_free(r);
	/* An endpoint's second address, and the IPv6 slice's. */
	r = ask(fx, "9.2.244.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR web-2.web.shop.svc.cluster.local.");
	ldns_pkt_free(r);
	r = ask(fx, "5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.4.2.0."
		"0.0.d.f.ip6.arpa", LDNS_RR_TYPE_PTR);
	expect_section(r, LDNS_SECTION_ANSWER,
		       "PTR web-0.web.shop.svc.cluster.local.");
	ldns_pkt_free(r);
	/* A not-ready endpoint has none. */
	r = ask(fx, "7.2.244.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	r = ask(fx, "80.0.96.10.in-addr.arpa", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	assert_int_equal(ldns_pkt_nscount(r), 0);
	ldns_pkt_free(r);
	r = ask(fx, "81.0.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	r = ask(fx, "0.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
}

/* Outside the zone: REFUSED, not authoritative, no records. */
static void dns_test_refused(void **state)
{
	static const char *const names[] = {
		"example.com", "local", ".", "cluster.local.example.com",
		"xcluster.local",
	};
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_pkt *r = ask(fx, names[i], LDNS_RR_TYPE_A);

		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
		assert_false(ldns_pkt_aa(r));
		assert_int_equal(ldns_pkt_ancount(r) + ldns_pkt_nscount(r) +
				 ldns_pkt_arcount(r), 0);
		ldns_pkt_free(r);
	}
	assert_int_equal(fx->dns.responses[LDNS_RCODE_REFUSED], 5);
}

/* The apex: SOA, NS; dns-version TXT. */
static void dns_test_apex(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask(fx, "cluster.local", LDNS_RR_TYPE_SOA);
	char want[256];

	snprintf(want, sizeof(want), soa, (unsigned int)fx->st.changes);
	expect_section(r, LDNS_SECTION_ANSWER, want);
	ldns_pkt_free(r);
	r = ask(fx, "cluster.local", LDNS_RR_TYPE_NS);
	expect_section(r, LDNS_SECTION_ANSWER, "NS ns.dns.cluster.local.");
	ldns_pkt_free(r);
	/* ns.dns.ZONE: no address until the server's is known. */
	r = ask(fx, "ns.dns.cluster.local", LDNS_RR_TYPE_A);
	expect_negative(fx, r, LDNS_RCODE_NOERROR);
	ldns_pkt_free(r);
	fx->dns.has_ns_addr = true;
	assert_int_equal(ksvc_parse_addr("10.96.0.10", &fx->dns.ns_addr, NULL),
			 0);
	r = ask(fx, "ns.dns.cluster.local", LDNS_RR_TYPE_A);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.10");
	ldns_pkt_free(r);
	r = ask(fx, "cluster.local", LDNS_RR_TYPE_NS);
	expect_section(r, LDNS_SECTION_ADDITIONAL, "A 10.96.0.10");
	ldns_pkt_free(r);
	r = ask(fx, "dns-version.cluster.local", LDNS_RR_TYPE_TXT);
	expect_section(r, LDNS_SECTION_ANSWER, "TXT \"1.1.0\"");
	ldns_pkt_free(r);
}

/* Malformed messages: FORMERR with the id; no reply to what is shorter
 * than a header or is a response; NOTIMP for other opcodes. */
static void dns_test_formerr(void **state)
{
	struct fx *fx = *state;
	uint8_t *reply, *w;
	size_t len, n;
	ldns_pkt *r;

	w = query_wire("my-app-service.default.svc.cluster.local",
		       LDNS_RR_TYPE_A, 0, 0, &len);
	/* Cut in the question. */
	r = answer_raw(fx, w, len - 3, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);
	/* Two questions announced, one there. */
	w[5] = 2;
	r = answer_raw(fx, w, len, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);
	/* None. */
	w[5] = 0;
	r = answer_raw(fx, w, 12, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	ldns_pkt_free(r);
	w[5] = 1;
	/* NOTIFY (4) and UPDATE (5). */
	w[2] = (uint8_t)(4 << 3);
	r = answer_raw(fx, w, len, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(r);
	w[2] = (uint8_t)(5 << 3);
	r = answer_raw(fx, w, len, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
	ldns_pkt_free(r);
	/* A response: dropped. */
	w[2] = 0x80;
	assert_int_equal(ksd_dns_answer(&fx->dns, w, len, false, &reply, &n),
			 -EINVAL);
	assert_null(reply);
	assert_int_equal(ksd_dns_answer(&fx->dns, w, 11, false, &reply, &n),
			 -EINVAL);
	assert_int_equal(fx->dns.dropped, 2);
	assert_int_equal(fx->dns.responses[LDNS_RCODE_FORMERR], 3);
	assert_int_equal(fx->dns.responses[LDNS_RCODE_NOTIMPL], 2);
	free(w);
}

/* A truncated UDP reply (TC) carries the whole answers that fit, the
 * first ones of the full answer, as CoreDNS's: without EDNS in 512 bytes,
 * with it in the client's size. A compressed A record takes 16 bytes, so
 * one more would not have fit. Over TCP all 40 come. */
static void expect_truncated_prefix(ldns_pkt *r, size_t n, size_t limit,
				    const ldns_pkt *full)
{
	size_t i;

	assert_true(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_qdcount(r), 1);
	assert_true(n <= limit);
	assert_true(n + 16 > limit);
	assert_true(ldns_pkt_ancount(r) > 0);
	assert_true(ldns_pkt_ancount(r) < ldns_pkt_ancount(full));
	assert_int_equal(ldns_pkt_nscount(r), 0);
	for (i = 0; i < ldns_pkt_ancount(r); i++)
		assert_int_equal(ldns_rr_compare(
				ldns_rr_list_rr(ldns_pkt_answer(r), i),
				ldns_rr_list_rr(ldns_pkt_answer(full), i)), 0);
}

static void dns_test_truncated(void **state)
{
	static const uint16_t sizes[] = { 0, 100, 512, 600, 650 };
	struct fx *fx = *state;
	ldns_pkt *full, *r;
	size_t n, i;

	full = ask_full(fx, "big.shop.svc.cluster.local", LDNS_RR_TYPE_A, 0, 0,
			true, &n);
	assert_false(ldns_pkt_tc(full));
	assert_int_equal(ldns_pkt_ancount(full), DNS_FIXTURE_BIG);
	assert_true(n > 512);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t limit = sizes[i] < 512 ? 512 : sizes[i];

		r = ask_full(fx, "big.shop.svc.cluster.local", LDNS_RR_TYPE_A,
			     sizes[i], 0, false, &n);
		expect_truncated_prefix(r, n, limit, full);
		assert_int_equal(ldns_pkt_edns(r), sizes[i] != 0);
		ldns_pkt_free(r);
	}
	ldns_pkt_free(full);
}

/* An answer that fits in 512 bytes without its additional records is
 * sent without them, not truncated. */
static void dns_test_additional_dropped(void **state)
{
	struct fx *fx = *state;
	size_t n;
	ldns_pkt *r = ask_full(fx, "_http._tcp.mid.shop.svc.cluster.local",
			       LDNS_RR_TYPE_SRV, 0, 0, true, &n);

	assert_true(n > 512);
	assert_int_equal(ldns_pkt_ancount(r), DNS_FIXTURE_MID);
	assert_int_equal(ldns_pkt_arcount(r), DNS_FIXTURE_MID);
	ldns_pkt_free(r);
	r = ask_full(fx, "_http._tcp.mid.shop.svc.cluster.local",
		     LDNS_RR_TYPE_SRV, 0, 0, false, &n);
	assert_true(n <= 512);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), DNS_FIXTURE_MID);
	assert_int_equal(ldns_pkt_arcount(r), 0);
	ldns_pkt_free(r);
}

/* EDNS: the client's size is honoured (at most 1232, at least 512), the
 * reply has an OPT. */
static void dns_test_edns(void **state)
{
	struct fx *fx = *state;
	size_t n;
	ldns_pkt *r = ask_full(fx, "big.shop.svc.cluster.local",
			       LDNS_RR_TYPE_A, 4096, 0, false, &n);

	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), DNS_FIXTURE_BIG);
	assert_true(n > 512 && n <= KSD_DNS_UDP_MAX);
	assert_true(ldns_pkt_edns(r));
	assert_int_equal(ldns_pkt_edns_udp_size(r), KSD_DNS_UDP_MAX);
	assert_int_equal(ldns_pkt_edns_version(r), 0);
	ldns_pkt_free(r);
	/* Less than 512 is read as 512. */
	r = ask_full(fx, "my-app-service.default.svc.cluster.local",
		     LDNS_RR_TYPE_A, 100, 0, false, &n);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 1);
	ldns_pkt_free(r);
}

/* EDNS version 1: BADVERS (extended rcode 1, header 0), version 0. */
static void dns_test_badvers(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r = ask_full(fx, "my-app-service.default.svc.cluster.local",
			       LDNS_RR_TYPE_A, 1232, 1, false, NULL);

	assert_int_equal(ldns_pkt_get_rcode(r), 0);
	assert_int_equal(ldns_pkt_edns_extended_rcode(r), 1);
	assert_int_equal(ldns_pkt_edns_version(r), 0);
	assert_int_equal(ldns_pkt_ancount(r), 0);
	ldns_pkt_free(r);
	assert_int_equal(fx->dns.responses[16], 1);
}

/* Two OPT records: FORMERR (RFC 6891 6.1.1), with an OPT; NOTIMP to an
 * EDNS query has one too. */
static void dns_test_edns_errors(void **state)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	struct fx *fx = *state;
	uint8_t w2[1024], *w;
	size_t len;
	ldns_pkt *r;

	w = query_wire("my-app-service.default.svc.cluster.local",
		       LDNS_RR_TYPE_A, 1232, 0, &len);
	assert_int_equal(w[11], 1);
	memcpy(w2, w, len);
	memcpy(w2 + len, opt, sizeof(opt));
	w2[11] = 2;
	r = answer_raw(fx, w2, len + sizeof(opt), false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
	assert_true(ldns_pkt_edns(r));
	ldns_pkt_free(r);
	w[2] = (uint8_t)(5 << 3);
	r = answer_raw(fx, w, len, false, NULL);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
	assert_true(ldns_pkt_edns(r));
	ldns_pkt_free(r);
	free(w);
}

/* The Services and EndpointSlices of a YAML stream into st. */
static void put_yaml(struct ksd_store *st, const char *yaml, size_t len)
{
	char why[KSD_YAML_WHY_MAX];
	cJSON *docs, *d;

	assert_int_equal(ksd_yaml_parse(yaml, len, &docs, why), 0);
	cJSON_ArrayForEach(d, docs) {
		char dwhy[KSD_WHY_MAX];
		struct ksd_service *svc;
		struct ksd_slice *sl;

		if (!ksd_decode_service(d, &svc, dwhy))
			ksd_store_put_service(st, svc);
		else if (!ksd_decode_slice(d, &sl, dwhy))
			ksd_store_put_slice(st, sl);
	}
	cJSON_Delete(docs);
}

/* The answer section of a query, as text (freed by the caller). */
static char *answers(struct fx *fx, const char *name, ldns_rr_type type)
{
	ldns_pkt *r = ask(fx, name, type);
	char *got = section(r, LDNS_SECTION_ANSWER);

	ldns_pkt_free(r);
	return got;
}

#define expect_answers(fx, name, type, want) do {			\
	char *got_ = answers(fx, name, type);				\
	assert_string_equal(got_, want);				\
	free(got_);							\
} while (0)

/* The store's lookups by service and address (kept by every put and
 * del, made again when the arrays were changed around the store, as
 * the API source's relist does) follow each change: a slice replaced
 * with another address, a slice moved to another service, one deleted,
 * a service's cluster IP changed, the whole slice array replaced. */
static void dns_test_index_follows(void **state)
{
	static const char svc[] =
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: idx, namespace: ix}\n"
		"spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
		"---\napiVersion: v1\nkind: Service\n"
		"metadata: {name: cip, namespace: ix}\n"
		"spec: {clusterIP: 10.96.7.1}\n";
	static const char slice[] =
		"apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata:\n  name: %s\n  namespace: ix\n"
		"  labels: {kubernetes.io/service-name: %s}\n"
		"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
		"endpoints:\n- {addresses: [%s]}\n";
	struct fx *fx = *state;
	char y[1024];
	ldns_pkt *r;

	put_yaml(&fx->st, svc, sizeof(svc) - 1);
	snprintf(y, sizeof(y), slice, "idx-a", "idx", "10.250.0.1");
	put_yaml(&fx->st, y, strlen(y));
	/* The first lookups make the index. */
	expect_answers(fx, "idx.ix.svc.cluster.local", LDNS_RR_TYPE_A,
		       "A 10.250.0.1");
	expect_answers(fx, "1.0.250.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		       "PTR 10-250-0-1.idx.ix.svc.cluster.local.");
	expect_answers(fx, "1.7.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		       "PTR cip.ix.svc.cluster.local.");
	/* Replaced with another address; a second slice. */
	snprintf(y, sizeof(y), slice, "idx-a", "idx", "10.250.0.2");
	put_yaml(&fx->st, y, strlen(y));
	snprintf(y, sizeof(y), slice, "idx-b", "idx", "10.250.0.3");
	put_yaml(&fx->st, y, strlen(y));
	expect_answers(fx, "idx.ix.svc.cluster.local", LDNS_RR_TYPE_A,
		       "A 10.250.0.2\nA 10.250.0.3");
	expect_answers(fx, "_http._tcp.idx.ix.svc.cluster.local",
		       LDNS_RR_TYPE_SRV,
		       "SRV 0 50 8080 10-250-0-2.idx.ix.svc.cluster.local.\n"
		       "SRV 0 50 8080 10-250-0-3.idx.ix.svc.cluster.local.");
	r = ask(fx, "1.0.250.10.in-addr.arpa", LDNS_RR_TYPE_PTR);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
	ldns_pkt_free(r);
	expect_answers(fx, "2.0.250.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		       "PTR 10-250-0-2.idx.ix.svc.cluster.local.");
	/* Moved to another service (no such one); deleted. */
	snprintf(y, sizeof(y), slice, "idx-a", "other", "10.250.0.2");
	put_yaml(&fx->st, y, strlen(y));
	expect_answers(fx, "idx.ix.svc.cluster.local", LDNS_RR_TYPE_A,
		       "A 10.250.0.3");
	assert_true(ksd_store_del_slice(&fx->st, "ix", "idx-b"));
	expect_answers(fx, "idx.ix.svc.cluster.local", LDNS_RR_TYPE_A, "");
	/* A cluster IP changed; the service deleted. */
	snprintf(y, sizeof(y), "apiVersion: v1\nkind: Service\n"
		 "metadata: {name: cip, namespace: ix}\n"
		 "spec: {clusterIP: 10.96.7.2}\n");
	put_yaml(&fx->st, y, strlen(y));
	expect_answers(fx, "2.7.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		       "PTR cip.ix.svc.cluster.local.");
	assert_true(ksd_store_del_service(&fx->st, "ix", "cip"));
	expect_answers(fx, "1.7.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR, "");
	expect_answers(fx, "2.7.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR, "");
	/* Every slice cleared as a relist's install does, then one put: no
	 * stale reference is followed (ASan would tell), the new one
	 * answers. */
	ksd_store_clear_slices(&fx->st);
	snprintf(y, sizeof(y), slice, "idx-c", "idx", "10.250.0.9");
	put_yaml(&fx->st, y, strlen(y));
	fx->st.changes++;
	expect_answers(fx, "idx.ix.svc.cluster.local", LDNS_RR_TYPE_A,
		       "A 10.250.0.9");
	expect_answers(fx, "web.shop.svc.cluster.local", LDNS_RR_TYPE_A, "");
	expect_answers(fx, "9.0.250.10.in-addr.arpa", LDNS_RR_TYPE_PTR,
		       "PTR 10-250-0-9.idx.ix.svc.cluster.local.");
}

/* A headless service of 3000 endpoints: over UDP truncated at once (the
 * answers that fit, not 3000 made first); over TCP its 3000 addresses
 * (48 KB), and its SRV records (too many for 64 KB) truncated. Each a
 * fraction of a second, not a scan per record. */
static void dns_test_huge(void **state)
{
	struct fx *fx = *state;
	char *yaml = malloc(1 << 17);
	size_t len, n, i;
	ldns_pkt *r;

	len = (size_t)sprintf(yaml,
		"apiVersion: v1\nkind: Service\n"
		"metadata: {name: huge, namespace: shop}\n"
		"spec: {clusterIP: None, ports: [{name: http, port: 80}]}\n"
		"---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\n"
		"metadata:\n  name: huge-1\n  namespace: shop\n"
		"  labels: {kubernetes.io/service-name: huge}\n"
		"addressType: IPv4\nports: [{name: http, port: 8080}]\n"
		"endpoints:\n");
	for (i = 0; i < 3000; i++)
		len += (size_t)sprintf(yaml + len,
				       "- {addresses: [10.245.%zu.%zu]}\n",
				       i / 256, i % 256);
	put_yaml(&fx->st, yaml, len);
	free(yaml);

	r = ask_full(fx, "huge.shop.svc.cluster.local", LDNS_RR_TYPE_A, 1232,
		     0, false, &n);
	assert_true(ldns_pkt_tc(r));
	assert_true(n <= 1232 && n + 16 > 1232);
	assert_true(ldns_pkt_ancount(r) > 0);
	ldns_pkt_free(r);
	r = ask_full(fx, "huge.shop.svc.cluster.local", LDNS_RR_TYPE_A, 0, 0,
		     true, &n);
	assert_false(ldns_pkt_tc(r));
	assert_int_equal(ldns_pkt_ancount(r), 3000);
	ldns_pkt_free(r);
	r = ask_full(fx, "_http._tcp.huge.shop.svc.cluster.local",
		     LDNS_RR_TYPE_SRV, 0, 0, true, &n);
	assert_true(ldns_pkt_tc(r));
	assert_true(n <= 65535);
	ldns_pkt_free(r);
}

/* Before the source's first state: SERVFAIL, never NXDOMAIN. */
static void dns_test_not_ready(void **state)
{
	struct fx *fx = *state;
	ldns_pkt *r;

	fx->ready = false;
	r = ask(fx, "nope.default.svc.cluster.local", LDNS_RR_TYPE_A);
	assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
	ldns_pkt_free(r);
}

/* Another cluster domain, with a trailing dot; a bad one refused. */
static void dns_test_domain(void **state)
{
	struct fx *fx = *state;
	struct ksd_dns d;
	uint8_t *reply, *w;
	size_t len, n;
	ldns_pkt *r = NULL;

	assert_int_equal(ksd_dns_init(&d, "Example.Internal.", 30, &fx->st),
			 0);
	w = query_wire("dual.shop.svc.example.internal", LDNS_RR_TYPE_A, 0, 0,
		       &len);
	assert_int_equal(ksd_dns_answer(&d, w, len, false, &reply, &n), 0);
	assert_int_equal(ldns_wire2pkt(&r, reply, n), LDNS_STATUS_OK);
	expect_section(r, LDNS_SECTION_ANSWER, "A 10.96.0.90");
	assert_int_equal(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)),
			 30);
	ldns_pkt_free(r);
	free(reply);
	free(w);
	ksd_dns_release(&d);
	/* A domain so long that a PTR's target would pass 255 bytes: the
	 * record is left out (NODATA), nothing breaks. */
	{
		char dom[240];

		memset(dom, 'a', sizeof(dom));
		dom[56] = dom[113] = dom[170] = '.';
		dom[228] = 0;
		assert_int_equal(ksd_dns_init(&d, dom, 5, &fx->st), 0);
		w = query_wire("80.0.96.10.in-addr.arpa", LDNS_RR_TYPE_PTR, 0,
			       0, &len);
		assert_int_equal(ksd_dns_answer(&d, w, len, false, &reply, &n),
				 0);
		r = NULL;
		assert_int_equal(ldns_wire2pkt(&r, reply, n), LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
		assert_int_equal(ldns_pkt_ancount(r), 0);
		ldns_pkt_free(r);
		free(reply);
		free(w);
		ksd_dns_release(&d);
	}
	assert_int_equal(ksd_dns_init(&d, "", 5, NULL), -EINVAL);
	assert_int_equal(ksd_dns_init(&d, ".", 5, NULL), -EINVAL);
	assert_int_equal(ksd_dns_init(&d, "a..b", 5, NULL), -EINVAL);
}

/* --- the servers, on a loop over 127.0.0.1 --- */

struct srv {
	struct fx *fx;
	struct ksd_loop loop;
	struct ksd_dns_server *s;
	struct sockaddr_in addr;
};

static int srv_setup(void **state)
{
	struct srv *v = calloc(1, sizeof(*v));

	setup((void **)&v->fx);
	assert_int_equal(ksd_loop_init(&v->loop), 0);
	assert_int_equal(ksd_dns_server_start(&v->s, &v->loop,
					      "127.0.0.1:0", &v->fx->dns), 0);
	v->addr.sin_family = AF_INET;
	v->addr.sin_port = htons(ksd_dns_server_port(v->s));
	v->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(ksd_dns_server_port(v->s) > 0);
	*state = v;
	return 0;
}

static int srv_teardown(void **state)
{
	struct srv *v = *state;
	void *fx = v->fx;

	ksd_dns_server_stop(v->s);
	ksd_loop_release(&v->loop);
	teardown(&fx);
	free(v);
	return 0;
}

/* Runs the loop until cond holds (LOOP_PATIENCE_MS at most). */
#define RUN_UNTIL(v, cond) RUN_LOOP_UNTIL(&(v)->loop, cond)

/* Runs the loop until fd is readable. */
static void run_until_readable(struct srv *v, int fd)
{
	RUN_UNTIL(v, fd_readable(fd));
}

/* Runs the loop ms times (a millisecond or more each). */
static void run_for(struct srv *v, int ms)
{
	int i;

	for (i = 0; i < ms; i++)
		assert_int_equal(ksd_loop_run_once(&v->loop, 1), 0);
}

static void expect_reply(const uint8_t *buf, size_t n, uint16_t id,
			 const char *want)
{
	ldns_pkt *r = NULL;

	assert_int_equal(ldns_wire2pkt(&r, buf, n), LDNS_STATUS_OK);
	assert_int_equal(ldns_pkt_id(r), id);
	expect_section(r, LDNS_SECTION_ANSWER, want);
	ldns_pkt_free(r);
}

/* UDP: a query, its answer. */
static void dns_test_udp(void **state)
{
	struct srv *v = *state;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t buf[2048], *w;
	size_t len;
	ssize_t n;

	w = query_wire("my-app-service.default.svc.cluster.local",
		       LDNS_RR_TYPE_A, 0, 0, &len);
	assert_int_equal(sendto(fd, w, len, 0, (struct sockaddr *)&v->addr,
				sizeof(v->addr)), (ssize_t)len);
	run_until_readable(v, fd);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	expect_reply(buf, (size_t)n, 0x1234, "A 10.96.0.80");
	/* Garbage gets nothing back and harms nothing: the next query's
	 * answer is the first datagram back, and the only one. */
	assert_int_equal(sendto(fd, "\x80", 1, 0, (struct sockaddr *)&v->addr,
				sizeof(v->addr)), 1);
	w[0] = 0x43;
	assert_int_equal(sendto(fd, w, len, 0, (struct sockaddr *)&v->addr,
				sizeof(v->addr)), (ssize_t)len);
	run_until_readable(v, fd);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	expect_reply(buf, (size_t)n, 0x4334, "A 10.96.0.80");
	assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	free(w);
	close(fd);
}

/* A TCP connection from 127.0.0.src. */
static int tcp_connect_from(struct srv *v, unsigned int src)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + src);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&v->addr,
				 sizeof(v->addr)), 0);
	return fd;
}

static int tcp_connect(struct srv *v)
{
	return tcp_connect_from(v, 1);
}

/* Reads one framed reply (running the loop meanwhile). */
static size_t tcp_read(struct srv *v, int fd, uint8_t *buf, size_t size)
{
	size_t got = 0, want = 2;

	while (got < want) {
		ssize_t n;

		run_until_readable(v, fd);
		n = recv(fd, buf + got, want - got, 0);
		assert_true(n > 0);
		got += (size_t)n;
		if (got == 2 && want == 2) {
			want = 2 + (size_t)(buf[0] << 8 | buf[1]);
			assert_true(want <= size);
		}
	}
	return want - 2;
}

/* TCP: two queries pipelined, the first sent in pieces; answered in
 * order on the one connection; then a large reply, whole. */
static void dns_test_tcp(void **state)
{
	struct srv *v = *state;
	uint8_t out[1024], buf[4096], *w1, *w2, *w3;
	int fd = tcp_connect(v);
	size_t l1, l2, l3, n, k;

	w1 = query_wire("my-app-service.default.svc.cluster.local",
			LDNS_RR_TYPE_A, 0, 0, &l1);
	w2 = query_wire("dual.shop.svc.cluster.local", LDNS_RR_TYPE_AAAA, 0,
			0, &l2);
	w2[1] = 0x35;
	n = 0;
	out[n++] = (uint8_t)(l1 >> 8);
	out[n++] = (uint8_t)l1;
	memcpy(out + n, w1, l1);
	n += l1;
	out[n++] = (uint8_t)(l2 >> 8);
	out[n++] = (uint8_t)l2;
	memcpy(out + n, w2, l2);
	n += l2;
	/* One byte of the length, then half the first query, then the
	 * rest with the second query. */
	assert_int_equal(send(fd, out, 1, 0), 1);
	run_for(v, 10);
	k = 2 + l1 / 2;
	assert_int_equal(send(fd, out + 1, k - 1, 0), (ssize_t)(k - 1));
	run_for(v, 10);
	assert_int_equal(send(fd, out + k, n - k, 0), (ssize_t)(n - k));
	n = tcp_read(v, fd, buf, sizeof(buf));
	expect_reply(buf + 2, n, 0x1234, "A 10.96.0.80");
	n = tcp_read(v, fd, buf, sizeof(buf));
	expect_reply(buf + 2, n, 0x1235, "AAAA fd00::90");
	/* Over TCP nothing is truncated. */
	w3 = query_wire("big.shop.svc.cluster.local", LDNS_RR_TYPE_A, 0, 0,
			&l3);
	out[0] = (uint8_t)(l3 >> 8);
	out[1] = (uint8_t)l3;
	memcpy(out + 2, w3, l3);
	assert_int_equal(send(fd, out, l3 + 2, 0), (ssize_t)(l3 + 2));
	n = tcp_read(v, fd, buf, sizeof(buf));
	assert_true(n > 512);
	assert_int_equal(ksd_dns_server_conns(v->s), 1);
	free(w1);
	free(w2);
	free(w3);
	close(fd);
	RUN_UNTIL(v, ksd_dns_server_conns(v->s) == 0);
}

/* A replies the client does not read: the server stops reading, keeps
 * the rest, and answers everything once the client reads. */
static void dns_test_tcp_backpressure(void **state)
{
	struct srv *v = *state;
	uint8_t frame[512], buf[4096], *w;
	int fd = tcp_connect(v), rcv = 4096, i, got = 0;
	size_t l;
	const int queries = 300;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	w = query_wire("big.shop.svc.cluster.local", LDNS_RR_TYPE_A, 0, 0, &l);
	frame[0] = (uint8_t)(l >> 8);
	frame[1] = (uint8_t)l;
	memcpy(frame + 2, w, l);
	for (i = 0; i < queries; i++) {
		assert_int_equal(send(fd, frame, l + 2, MSG_DONTWAIT),
				 (ssize_t)(l + 2));
		if (i % 20 == 0)
			run_for(v, 1);
	}
	for (got = 0; got < queries; got++) {
		size_t n = tcp_read(v, fd, buf, sizeof(buf));
		ldns_pkt *r = NULL;

		assert_int_equal(ldns_wire2pkt(&r, buf + 2, n),
				 LDNS_STATUS_OK);
		assert_int_equal(ldns_pkt_ancount(r), DNS_FIXTURE_BIG);
		ldns_pkt_free(r);
	}
	free(w);
	close(fd);
}

/* A query over fd, answered. */
static void tcp_query(struct srv *v, int fd)
{
	uint8_t buf[1024], *w;
	size_t len;

	w = query_wire("my-app-service.default.svc.cluster.local",
		       LDNS_RR_TYPE_A, 0, 0, &len);
	buf[0] = (uint8_t)(len >> 8);
	buf[1] = (uint8_t)len;
	memcpy(buf + 2, w, len);
	free(w);
	assert_int_equal(send(fd, buf, len + 2, MSG_NOSIGNAL),
			 (ssize_t)(len + 2));
	len = tcp_read(v, fd, buf, sizeof(buf));
	expect_reply(buf + 2, len, 0x1234, "A 10.96.0.80");
}

static bool closed(int fd)
{
	uint8_t b;

	return fd_readable(fd) &&
	       recv(fd, &b, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

/*
 * One client (127.0.0.1) with as many idle connections as the server
 * takes in all: it keeps KSD_DNS_TCP_CONNS_PER_CLIENT, the others are
 * closed at once, and another client (127.0.0.2) is answered. The idle
 * time is one no machine reaches.
 */
static void dns_test_tcp_per_client(void **state)
{
	struct srv *v = *state;
	int fds[KSD_DNS_TCP_CONNS_MAX], other, i, n;

	ksd_dns_server_set_idle_ms(v->s, 3600 * 1000);
	for (i = 0; i < KSD_DNS_TCP_CONNS_MAX; i++)
		fds[i] = tcp_connect_from(v, 1);
	other = tcp_connect_from(v, 2);
	tcp_query(v, other);
	RUN_UNTIL(v, ksd_dns_server_conns(v->s) ==
		  KSD_DNS_TCP_CONNS_PER_CLIENT + 1);
	for (i = n = 0; i < KSD_DNS_TCP_CONNS_MAX; i++) {
		RUN_UNTIL(v, i < KSD_DNS_TCP_CONNS_PER_CLIENT ||
			  closed(fds[i]));
		n += closed(fds[i]);
	}
	assert_int_equal(n, KSD_DNS_TCP_CONNS_MAX -
			 KSD_DNS_TCP_CONNS_PER_CLIENT);
	/* The first client's kept connections are served. */
	tcp_query(v, fds[0]);
	for (i = 0; i < KSD_DNS_TCP_CONNS_MAX; i++)
		close(fds[i]);
	close(other);
}

/*
 * Past the limit, new connections are closed at once; an idle one is
 * closed after the idle time, even with a partial frame in. The limit is
 * checked with an idle time no machine reaches (so that nothing is closed
 * for idleness meanwhile), from as many clients as it takes, the idle
 * closing with 100 ms, against the time of the connection's last answer:
 * never sooner.
 */
static void dns_test_tcp_limits(void **state)
{
	struct srv *v = *state;
	int fds[KSD_DNS_TCP_CONNS_MAX + 1], i;
	uint64_t t0;
	uint8_t b;

	ksd_dns_server_set_idle_ms(v->s, 3600 * 1000);
	for (i = 0; i <= KSD_DNS_TCP_CONNS_MAX; i++)
		fds[i] = tcp_connect_from(v, 1 + (unsigned int)i /
					  KSD_DNS_TCP_CONNS_PER_CLIENT);
	/* The last one is closed: EOF; the others stay. */
	run_until_readable(v, fds[KSD_DNS_TCP_CONNS_MAX]);
	assert_int_equal(recv(fds[KSD_DNS_TCP_CONNS_MAX], &b, 1, 0), 0);
	assert_int_equal(ksd_dns_server_conns(v->s), KSD_DNS_TCP_CONNS_MAX);
	for (i = 0; i < KSD_DNS_TCP_CONNS_MAX; i++)
		assert_false(fd_readable(fds[i]));
	/* A partial frame does not keep a connection alive forever: a
	 * query answered, then one byte of the next. */
	t0 = now_ms();
	tcp_query(v, fds[0]);
	assert_int_equal(send(fds[0], "\x00", 1, 0), 1);
	ksd_dns_server_set_idle_ms(v->s, 100);
	RUN_UNTIL(v, ksd_dns_server_conns(v->s) == 0);
	assert_true(now_ms() - t0 >= 100);
	run_until_readable(v, fds[0]);
	assert_int_equal(recv(fds[0], &b, 1, 0), 0);
	for (i = 0; i <= KSD_DNS_TCP_CONNS_MAX; i++)
		close(fds[i]);
	/* An idle connection lasts the idle time, not less. */
	t0 = now_ms();
	fds[0] = tcp_connect(v);
	RUN_UNTIL(v, ksd_dns_server_conns(v->s) == 1);
	RUN_UNTIL(v, ksd_dns_server_conns(v->s) == 0);
	assert_true(now_ms() - t0 >= 100);
	close(fds[0]);
}

/* On 0.0.0.0 the reply comes from the address the query went to
 * (127.0.0.2 here), not the route's source (127.0.0.1): a connected
 * client, as conntrack undoing a DNAT, takes nothing else. */
static void dns_test_udp_wildcard(void **state)
{
	struct srv *v = *state;
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct ksd_dns_server *s;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint8_t buf[2048], *w;
	size_t len;
	ssize_t n;

	assert_int_equal(ksd_dns_server_start(&s, &v->loop, "0.0.0.0:0",
					      &v->fx->dns), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	a.sin_port = htons(ksd_dns_server_port(s));
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	w = query_wire("my-app-service.default.svc.cluster.local",
		       LDNS_RR_TYPE_A, 0, 0, &len);
	assert_int_equal(send(fd, w, len, 0), (ssize_t)len);
	run_until_readable(v, fd);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	expect_reply(buf, (size_t)n, 0x1234, "A 10.96.0.80");
	ksd_dns_server_stop(s);
	free(w);
	close(fd);
}

/* "[::1]:0": the same over IPv6 (skipped without IPv6). */
static void dns_test_udp6(void **state)
{
	struct srv *v = *state;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct ksd_dns_server *s6;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	uint8_t buf[2048], *w;
	size_t len;
	ssize_t n;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	assert_int_equal(ksd_dns_server_start(&s6, &v->loop, "[::1]:0",
					      &v->fx->dns), 0);
	a.sin6_port = htons(ksd_dns_server_port(s6));
	w = query_wire("dual.shop.svc.cluster.local", LDNS_RR_TYPE_AAAA, 1232,
		       0, &len);
	assert_int_equal(sendto(fd, w, len, 0, (struct sockaddr *)&a,
				sizeof(a)), (ssize_t)len);
	run_until_readable(v, fd);
	n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	expect_reply(buf, (size_t)n, 0x1234, "AAAA fd00::90");
	ksd_dns_server_stop(s6);
	free(w);
	close(fd);
}

/* An address taken by another server: the start fails, cleanly. */
static void dns_test_bind_busy(void **state)
{
	struct srv *v = *state;
	struct ksd_dns_server *s2;
	char bind[32];

	snprintf(bind, sizeof(bind), "127.0.0.1:%u",
		 ksd_dns_server_port(v->s));
	assert_int_equal(ksd_dns_server_start(&s2, &v->loop, bind,
					      &v->fx->dns), -EADDRINUSE);
	assert_null(s2);
	assert_int_equal(ksd_dns_server_start(&s2, &v->loop, "nonsense",
					      &v->fx->dns), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(n) cmocka_unit_test_setup_teardown(dns_test_##n, setup, teardown)
		T(a), T(aaaa), T(case), T(nodata), T(nxdomain),
		T(search_path), T(headless), T(srv), T(pod), T(cname), T(cname_chase), T(ptr),
		T(refused), T(apex), T(formerr), T(truncated), T(additional_dropped), T(edns),
		T(badvers), T(edns_errors), T(huge), T(index_follows),
		T(not_ready), T(domain),
#undef T
#define S(n) cmocka_unit_test_setup_teardown(dns_test_##n, srv_setup, \
					     srv_teardown)
		S(udp), S(udp_wildcard), S(udp6), S(tcp), S(tcp_backpressure), S(tcp_limits),
		S(tcp_per_client), S(bind_busy),
#undef S
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
