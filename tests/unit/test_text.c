// SPDX-License-Identifier: GPL-2.0
/*
 * libksvc's text forms: addresses, endpoints, CIDRs, numbers, names, and
 * the service/list helpers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "ksvc_text.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Addresses: dotted quads and RFC 4291 text only, nothing around them. */
static void text_test_addr(void **state)
{
	static const struct {
		const char *s;
		int ret;
		int family;
	} cases[] = {
		{ "10.96.0.1", 0, AF_INET },
		{ "0.0.0.0", 0, AF_INET },
		{ "255.255.255.255", 0, AF_INET },
		{ "2001:db8::1", 0, AF_INET6 },
		{ "::", 0, AF_INET6 },
		{ "::ffff:1.2.3.4", 0, AF_INET6 },
		{ "", -EINVAL, 0 },
		{ "1.2.3", -EINVAL, 0 },
		{ "1.2.3.256", -EINVAL, 0 },
		{ "1.2.3.4.5", -EINVAL, 0 },
		{ " 1.2.3.4", -EINVAL, 0 },
		{ "1.2.3.4 ", -EINVAL, 0 },
		{ "[::1]", -EINVAL, 0 },
		{ "fe80::1%eth0", -EINVAL, 0 },
		{ "2001:db8::g", -EINVAL, 0 },
		{ "1.2.3.4/32", -EINVAL, 0 },
		{ "localhost", -EINVAL, 0 },
	};
	struct ksvc_addr a;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		why = NULL;
		memset(&a, 0xaa, sizeof(a));
		assert_int_equal(ksvc_parse_addr(cases[i].s, &a, &why),
				 cases[i].ret);
		if (cases[i].ret)
			assert_string_equal(why, "not an IPv4 or IPv6 address");
		else
			assert_int_equal(a.family, cases[i].family);
	}
	ksvc_parse_addr("10.1.2.3", &a, NULL);
	assert_memory_equal(a.raw, "\x0a\x01\x02\x03", 4);
}

/* Ports: decimal 1..65535 (0 only where it means "none"), nothing else. */
static void text_test_port(void **state)
{
	static const struct {
		const char *s;
		bool zero_ok;
		int ret;
		uint16_t port;
		const char *why;
	} cases[] = {
		{ "1", false, 0, 1, NULL },
		{ "80", false, 0, 80, NULL },
		{ "65535", false, 0, 65535, NULL },
		{ "0080", false, 0, 80, NULL },
		{ "0", true, 0, 0, NULL },
		{ "0", false, -ERANGE, 0, "out of range (1..65535)" },
		{ "65536", false, -ERANGE, 0, "out of range (1..65535)" },
		{ "65536", true, -ERANGE, 0, "out of range (0..65535)" },
		{ "99999999999999999999999", false, -ERANGE, 0,
		  "out of range (1..65535)" },
		{ "", false, -EINVAL, 0, "empty number" },
		{ "-1", false, -EINVAL, 0, "not a number" },
		{ "+1", false, -EINVAL, 0, "not a number" },
		{ " 1", false, -EINVAL, 0, "not a number" },
		{ "8O", false, -EINVAL, 0, "not a number" },
		{ "0x50", false, -EINVAL, 0, "not a number" },
	};
	const char *why;
	uint16_t port;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		port = 0xbeef;
		why = NULL;
		assert_int_equal(ksvc_parse_port(cases[i].s, cases[i].zero_ok,
						 &port, &why), cases[i].ret);
		if (cases[i].ret) {
			assert_string_equal(why, cases[i].why);
			assert_int_equal(port, 0xbeef);
		} else {
			assert_int_equal(port, cases[i].port);
		}
	}
}

/* Endpoints: ADDR:PORT or [ADDR]:PORT, optionally @WEIGHT. */
static void text_test_endpoint(void **state)
{
	static const struct {
		const char *s;
		int ret;
		const char *addr;
		uint16_t port;
		uint32_t weight;	/* 7 when not given: untouched */
		const char *why;
	} cases[] = {
		{ "1.2.3.4:80", 0, "1.2.3.4", 80, 7, NULL },
		{ "1.2.3.4:65535@0", 0, "1.2.3.4", 65535, 0, NULL },
		{ "1.2.3.4:80@65535", 0, "1.2.3.4", 80, 65535, NULL },
		{ "[2001:db8::1]:80", 0, "2001:db8::1", 80, 7, NULL },
		{ "[::1]:1@5", 0, "::1", 1, 5, NULL },
		{ "[::ffff:1.2.3.4]:80", 0, "::ffff:1.2.3.4", 80, 7, NULL },
		{ "", -EINVAL, NULL, 0, 0, "missing :PORT" },
		{ "1.2.3.4", -EINVAL, NULL, 0, 0, "missing :PORT" },
		{ "1.2.3.4:", -EINVAL, NULL, 0, 0, "missing port" },
		{ ":80", -EINVAL, NULL, 0, 0, "not an IPv4 or IPv6 address" },
		{ "1.2.3.4:0", -ERANGE, NULL, 0, 0, "port out of range (1..65535)" },
		{ "1.2.3.4:65536", -ERANGE, NULL, 0, 0,
		  "port out of range (1..65535)" },
		{ "1.2.3.4:123456789012", -ERANGE, NULL, 0, 0,
		  "port out of range (1..65535)" },
		{ "1.2.3.4:8a", -EINVAL, NULL, 0, 0, "port is not a number" },
		{ "1.2.3.4:-80", -EINVAL, NULL, 0, 0, "port is not a number" },
		{ "1.2.3.4:80:81", -EINVAL, NULL, 0, 0,
		  "IPv6 address needs brackets: [ADDR]:PORT" },
		{ "2001:db8::1:80", -EINVAL, NULL, 0, 0,
		  "IPv6 address needs brackets: [ADDR]:PORT" },
		{ "::1:80", -EINVAL, NULL, 0, 0,
		  "IPv6 address needs brackets: [ADDR]:PORT" },
		{ "[1.2.3.4]:80", -EINVAL, NULL, 0, 0,
		  "brackets are only for IPv6 addresses" },
		{ "[::1]80", -EINVAL, NULL, 0, 0, "missing :PORT" },
		{ "[::1]", -EINVAL, NULL, 0, 0, "missing :PORT" },
		{ "[::1:80", -EINVAL, NULL, 0, 0, "missing ']'" },
		{ "[::1]:", -EINVAL, NULL, 0, 0, "missing port" },
		{ "[]:80", -EINVAL, NULL, 0, 0, "not an IPv4 or IPv6 address" },
		{ "[fe80::1%eth0]:80", -EINVAL, NULL, 0, 0,
		  "not an IPv4 or IPv6 address" },
		{ "1.2.3.256:80", -EINVAL, NULL, 0, 0,
		  "not an IPv4 or IPv6 address" },
		{ "host:80", -EINVAL, NULL, 0, 0, "not an IPv4 or IPv6 address" },
		{ "1.2.3.4:80@", -EINVAL, NULL, 0, 0, "missing weight after '@'" },
		{ "1.2.3.4:80@65536", -ERANGE, NULL, 0, 0,
		  "weight out of range (0..65535)" },
		{ "1.2.3.4:80@x", -EINVAL, NULL, 0, 0, "weight is not a number" },
		{ "1.2.3.4:80@-1", -EINVAL, NULL, 0, 0, "weight is not a number" },
		{ "1.2.3.4:80@1@2", -EINVAL, NULL, 0, 0, "more than one '@'" },
		{ "1.2.3.4@1:80", -EINVAL, NULL, 0, 0, "weight is not a number" },
		{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", -EINVAL,
		  NULL, 0, 0, "not an IPv4 or IPv6 address" },
	};
	struct ksvc_backend be;
	struct ksvc_addr want;
	bool has_weight;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		memset(&be, 0, sizeof(be));
		be.weight = 7;
		why = NULL;
		has_weight = false;
		assert_int_equal(ksvc_parse_endpoint(cases[i].s, &be,
						     &has_weight, &why),
				 cases[i].ret);
		if (cases[i].ret) {
			assert_non_null(why);
			assert_string_equal(why, cases[i].why);
			assert_int_equal(be.port, 0);
			continue;
		}
		assert_int_equal(ksvc_parse_addr(cases[i].addr, &want, NULL), 0);
		assert_true(ksvc_addr_equal(&be.addr, &want));
		assert_int_equal(be.port, cases[i].port);
		assert_int_equal(be.weight, cases[i].weight);
		assert_int_equal(has_weight, strchr(cases[i].s, '@') != NULL);
	}
}

/* Endpoint flags after commas: the four names, once each, into bits. */
static void text_test_endpoint_flags(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint32_t flags;
		uint32_t weight;
		const char *why;
	} cases[] = {
		{ "10.0.0.1:80", 0, 0, 7, NULL },
		{ "10.0.0.1:80,local", 0, KSVC_BE_F_LOCAL, 7, NULL },
		{ "10.0.0.1:80@3,local,terminating", 0,
		  KSVC_BE_F_LOCAL | KSVC_BE_F_TERMINATING, 3, NULL },
		{ "[fd00::1]:80@0,ready,serving,terminating,local", 0,
		  __KSVC_BE_F_ALL, 0, NULL },
		{ "10.0.0.1:80,", -EINVAL, 0, 0, "empty flag" },
		{ "10.0.0.1:80,local,,ready", -EINVAL, 0, 0, "empty flag" },
		{ "10.0.0.1:80,remote", -EINVAL, 0, 0,
		  "unknown flag (local, ready, serving, terminating)" },
		{ "10.0.0.1:80,local,local", -EINVAL, 0, 0, "flag given twice" },
		{ "10.0.0.1,local", -EINVAL, 0, 0, "missing :PORT" },
	};
	char buf[64];
	struct ksvc_backend be;
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		memset(&be, 0, sizeof(be));
		be.weight = 7;
		why = NULL;
		assert_int_equal(ksvc_parse_endpoint(cases[i].s, &be, NULL, &why),
				 cases[i].ret);
		if (cases[i].ret) {
			assert_string_equal(why, cases[i].why);
			continue;
		}
		assert_int_equal(be.flags, cases[i].flags);
		assert_int_equal(be.weight, cases[i].weight);
	}
	assert_string_equal(ksvc_format_be_flags(0, buf, sizeof(buf)), "-");
	assert_string_equal(ksvc_format_be_flags(KSVC_BE_F_LOCAL |
						 KSVC_BE_F_TERMINATING | 0x100,
						 buf, sizeof(buf)),
			    "local,terminating,0x100");
}

/* CIDRs: a prefix length in range and no host bits. */
static void text_test_cidr(void **state)
{
	static const struct {
		const char *s;
		int ret;
		uint8_t plen;
		const char *why;
	} cases[] = {
		{ "10.0.0.0/8", 0, 8, NULL },
		{ "0.0.0.0/0", 0, 0, NULL },
		{ "10.0.0.128/25", 0, 25, NULL },
		{ "255.255.255.255/32", 0, 32, NULL },
		{ "fd00::/64", 0, 64, NULL },
		{ "::/0", 0, 0, NULL },
		{ "2001:db8::1/128", 0, 128, NULL },
		{ "10.0.0.1/8", -EINVAL, 0, "host bits are set" },
		{ "10.0.0.64/25", -EINVAL, 0, "host bits are set" },
		{ "0.0.0.1/0", -EINVAL, 0, "host bits are set" },
		{ "fd00::1/64", -EINVAL, 0, "host bits are set" },
		{ "10.0.0.0/33", -ERANGE, 0, "prefix length out of range (0..32)" },
		{ "fd00::/129", -ERANGE, 0,
		  "prefix length out of range (0..128)" },
		{ "10.0.0.0", -EINVAL, 0, "missing /PREFIXLEN" },
		{ "10.0.0.0/", -EINVAL, 0, "prefix length is not a number" },
		{ "10.0.0.0/a", -EINVAL, 0, "prefix length is not a number" },
		{ "10.0.0.0/-1", -EINVAL, 0, "prefix length is not a number" },
		{ "10.0.0/8", -EINVAL, 0, "not an IPv4 or IPv6 address" },
		{ "/8", -EINVAL, 0, "not an IPv4 or IPv6 address" },
	};
	struct ksvc_cidr c;
	char buf[KSVC_CIDR_STRLEN];
	const char *why;
	size_t i;

	(void)state;
	for (i = 0; i < N(cases); i++) {
		why = NULL;
		assert_int_equal(ksvc_parse_cidr(cases[i].s, &c, &why),
				 cases[i].ret);
		if (cases[i].ret) {
			assert_string_equal(why, cases[i].why);
			continue;
		}
		assert_int_equal(c.prefixlen, cases[i].plen);
		assert_string_equal(ksvc_format_cidr(&c, buf, sizeof(buf)),
				    cases[i].s);
	}
}

/* Names go both ways; parsing ignores case ("TCP" as Kubernetes has it). */
static void text_test_names(void **state)
{
	bool b;

	(void)state;
	assert_int_equal(ksvc_proto_from_name("tcp"), IPPROTO_TCP);
	assert_int_equal(ksvc_proto_from_name("UDP"), IPPROTO_UDP);
	assert_int_equal(ksvc_proto_from_name("Sctp"), IPPROTO_SCTP);
	assert_int_equal(ksvc_proto_from_name("icmp"), -EINVAL);
	assert_int_equal(ksvc_proto_from_name(""), -EINVAL);
	assert_string_equal(ksvc_proto_name(IPPROTO_SCTP), "sctp");
	assert_null(ksvc_proto_name(1));

	assert_int_equal(ksvc_sched_from_name("random"), KSVC_SCHED_RANDOM);
	assert_int_equal(ksvc_sched_from_name("rr"), KSVC_SCHED_RR);
	assert_int_equal(ksvc_sched_from_name("maglev"), KSVC_SCHED_MAGLEV);
	assert_int_equal(ksvc_sched_from_name("wrr"), -EINVAL);
	assert_string_equal(ksvc_sched_name(KSVC_SCHED_RR), "rr");
	assert_null(ksvc_sched_name(KSVC_SCHED_MAX + 1));

	assert_int_equal(ksvc_fe_kind_from_name("lb-ip"),
			 KSVC_FE_LOAD_BALANCER_IP);
	assert_string_equal(ksvc_fe_kind_name(KSVC_FE_CLUSTER_IP), "cluster-ip");
	assert_string_equal(ksvc_fe_kind_name(KSVC_FE_EXTERNAL_IP),
			    "external-ip");
	assert_null(ksvc_fe_kind_name(0));
	assert_string_equal(ksvc_family_name(AF_INET6), "ipv6");
	assert_null(ksvc_family_name(AF_UNIX));

	assert_int_equal(ksvc_parse_bool("on", &b), 0);
	assert_true(b);
	assert_int_equal(ksvc_parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(ksvc_parse_bool("TRUE", &b), 0);
	assert_true(b);
	assert_int_equal(ksvc_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(ksvc_parse_bool("false", &b), 0);
	assert_false(b);
	assert_int_equal(ksvc_parse_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(ksvc_parse_bool("yes", &b), -EINVAL);
	assert_int_equal(ksvc_parse_bool("", &b), -EINVAL);
	assert_int_equal(ksvc_parse_bool("2", &b), -EINVAL);
}

/* Formatting: brackets for IPv6 endpoints only, "?" for unknown families. */
static void text_test_format(void **state)
{
	char buf[KSVC_ENDPOINT_STRLEN];
	struct ksvc_addr a;

	(void)state;
	ksvc_parse_addr("10.0.0.1", &a, NULL);
	assert_string_equal(ksvc_format_addr(&a, buf, sizeof(buf)), "10.0.0.1");
	assert_string_equal(ksvc_format_endpoint(&a, 8080, buf, sizeof(buf)),
			    "10.0.0.1:8080");
	ksvc_parse_addr("2001:DB8:0:0::1", &a, NULL);
	assert_string_equal(ksvc_format_addr(&a, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_string_equal(ksvc_format_endpoint(&a, 65535, buf, sizeof(buf)),
			    "[2001:db8::1]:65535");
	ksvc_parse_addr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a,
			NULL);
	assert_true(strlen(ksvc_format_endpoint(&a, 65535, buf, sizeof(buf))) <
		    sizeof(buf));
	a.family = AF_UNIX;
	assert_string_equal(ksvc_format_addr(&a, buf, sizeof(buf)), "?");
}

/* Services own growing arrays; lists own services, sort and find them. */
static void text_test_service_helpers(void **state)
{
	struct ksvc_service_list list;
	struct ksvc_service *svc;
	struct ksvc_backend be;
	struct ksvc_frontend fe = { .kind = KSVC_FE_CLUSTER_IP };
	char name[KSVC_NAME_MAX + 1];
	size_t i;

	(void)state;
	ksvc_service_list_init(&list);
	for (i = 0; i < 3; i++) {
		svc = ksvc_service_list_push(&list);
		assert_non_null(svc);
		assert_int_equal(ksvc_service_set_name(svc, i == 0 ? "c" :
						       i == 1 ? "a" : "b"), 0);
	}
	svc = &list.svcs[0];
	ksvc_backend_init(&be);
	assert_int_equal(be.weight, KSVC_WEIGHT_DEFAULT);
	for (i = 0; i < 1000; i++) {
		be.port = (uint16_t)(i + 1);
		assert_int_equal(ksvc_service_add_backend(svc, &be), 0);
	}
	assert_int_equal(ksvc_service_add_frontend(svc, &fe), 0);
	assert_int_equal(svc->nbackends, 1000);
	assert_int_equal(svc->backends[999].port, 1000);

	ksvc_service_list_sort(&list);
	assert_string_equal(list.svcs[0].name, "a");
	assert_string_equal(list.svcs[2].name, "c");
	assert_int_equal(list.svcs[2].nbackends, 1000);
	assert_ptr_equal(ksvc_service_list_find(&list, "b"), &list.svcs[1]);
	assert_null(ksvc_service_list_find(&list, "d"));

	memset(name, 'x', sizeof(name));
	name[KSVC_NAME_MAX] = '\0';
	assert_int_equal(ksvc_service_set_name(&list.svcs[0], name),
			 -ENAMETOOLONG);
	name[KSVC_NAME_MAX - 1] = '\0';
	assert_int_equal(ksvc_service_set_name(&list.svcs[0], name), 0);
	assert_int_equal(ksvc_service_set_name(&list.svcs[0], ""), -EINVAL);
	ksvc_service_list_release(&list);
	assert_int_equal(list.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_test_addr),
		cmocka_unit_test(text_test_port),
		cmocka_unit_test(text_test_endpoint),
		cmocka_unit_test(text_test_endpoint_flags),
		cmocka_unit_test(text_test_cidr),
		cmocka_unit_test(text_test_names),
		cmocka_unit_test(text_test_format),
		cmocka_unit_test(text_test_service_helpers),
	};

	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
