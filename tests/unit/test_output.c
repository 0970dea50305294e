// SPDX-License-Identifier: GPL-2.0
/*
 * What ksctl prints: the dump format and JSON that scripts and the VM tests
 * parse, exactly, and the tables people read; then the same through
 * ksctl_main() over the fake kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cJSON.h>
#include <cmocka.h>
#include <netlink/attr.h>

#include "cmdline.h"
#include "fake_kernel.h"
#include "ksvc_msg.h"
#include "ksvc_text.h"

static void fe(struct ksvc_service *svc, uint8_t kind, const char *addr)
{
	struct ksvc_frontend f = { .kind = kind };

	assert_int_equal(ksvc_parse_addr(addr, &f.addr, NULL), 0);
	ksvc_service_add_frontend(svc, &f);
}

static void be(struct ksvc_service *svc, const char *ep, uint64_t conns)
{
	struct ksvc_backend b;

	ksvc_backend_init(&b);
	assert_int_equal(ksvc_parse_endpoint(ep, &b, NULL, NULL), 0);
	b.stats.conns = conns;
	b.stats.packets = conns * 10;
	b.stats.bytes = conns * 1000;
	ksvc_service_add_backend(svc, &b);
}

static void range(struct ksvc_service *svc, const char *cidr)
{
	struct ksvc_cidr c;

	assert_int_equal(ksvc_parse_cidr(cidr, &c, NULL), 0);
	assert_int_equal(ksvc_service_add_source_range(svc, &c), 0);
}

/* Two services in name order, and one with values ksctl does not know. */
static void sample(struct ksvc_service_list *list)
{
	struct ksvc_service *s;

	ksvc_service_list_init(list);
	s = ksvc_service_list_push(list);
	ksvc_service_set_name(s, "default/dns:udp");
	s->proto = IPPROTO_UDP;
	s->port = 53;
	s->sched = KSVC_SCHED_RR;
	s->generation = UINT64_MAX;
	s->stats.rejects = 5;

	s = ksvc_service_list_push(list);
	ksvc_service_set_name(s, "default/web:http");
	s->proto = IPPROTO_TCP;
	s->port = 80;
	s->node_port = 30080;
	s->generation = 7;
	s->affinity = 10800;
	s->flags = KSVC_SVC_F_EXTERNAL_LOCAL;
	range(s, "192.0.2.0/24");
	range(s, "2001:db8::/32");
	s->stats.drops = 4;
	fe(s, KSVC_FE_CLUSTER_IP, "10.96.0.10");
	fe(s, KSVC_FE_EXTERNAL_IP, "2001:db8::5");
	s->backend_count = 2;
	s->stats.conns = 3;
	s->stats.packets = 30;
	s->stats.bytes = 3000;
	be(s, "10.0.0.1:8080", 3);
	be(s, "[fd00::2]:8080@2,local,serving,terminating", 0);

	s = ksvc_service_list_push(list);
	ksvc_service_set_name(s, "x/future");
	s->proto = 99;
	s->port = 1;
	s->sched = 9;
	fe(s, 7, "192.0.2.1");
	fe(s, KSVC_FE_LOAD_BALANCER_IP, "192.0.2.2");
}

static char *capture(void (*print)(FILE *f, const struct ksvc_service_list *l),
		     const struct ksvc_service_list *list)
{
	char *s = NULL;
	size_t len;
	FILE *f = open_memstream(&s, &len);

	print(f, list);
	fclose(f);
	return s;
}

static const char dump_want[] =
	"service\tdefault/dns:udp\tudp\t53\t0\trr\t0\t18446744073709551615\t-\t0\t0\t0\t0\t5\t0\t0\t-\n"
	"service\tdefault/web:http\ttcp\t80\t30080\trandom\t1\t7\t"
	"cluster-ip=10.96.0.10,external-ip=2001:db8::5\t2\t3\t30\t3000\t0\t10800\t4\t192.0.2.0/24,2001:db8::/32\n"
	"backend\tdefault/web:http\t10.0.0.1\t8080\t1\t0\t3\t30\t3000\n"
	"backend\tdefault/web:http\tfd00::2\t8080\t2\t13\t0\t0\t0\n"
	"service\tx/future\t99\t1\t0\t9\t0\t0\t7=192.0.2.1,lb-ip=192.0.2.2\t0\t0\t0\t0\t0\t0\t0\t-\n";

/* The dump format, byte for byte, as documented in dump.c. */
static void output_test_dump(void **state)
{
	struct ksvc_service_list list;
	char *s;

	(void)state;
	sample(&list);
	s = capture(dump_services, &list);
	assert_string_equal(s, dump_want);
	free(s);
	ksvc_service_list_release(&list);
}

static void json_list(FILE *f, const struct ksvc_service_list *l)
{
	assert_int_equal(json_services(f, l), 0);
}

static void json_stats_list(FILE *f, const struct ksvc_service_list *l)
{
	assert_int_equal(json_stats(f, l), 0);
}

static const cJSON *get(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!v)
		fail_msg("no \"%s\"", key);
	return v;
}

static void is_str(const cJSON *obj, const char *key, const char *want)
{
	const cJSON *v = get(obj, key);

	assert_true(cJSON_IsString(v));
	assert_string_equal(v->valuestring, want);
}

static void is_num(const cJSON *obj, const char *key, double want)
{
	const cJSON *v = get(obj, key);

	assert_true(cJSON_IsNumber(v));
	assert_true(v->valuedouble == want);
}

/* JSON of services: every documented key, names for known values, bare
 * numbers for unknown ones, 64-bit integers exact. */
static void output_test_json_services(void **state)
{
	struct ksvc_service_list list;
	const cJSON *svc, *fes, *bes, *b, *st;
	cJSON *root;
	char *s;

	(void)state;
	sample(&list);
	s = capture(json_list, &list);
	assert_non_null(strstr(s, "\"generation\":\t18446744073709551615"));
	root = cJSON_Parse(s);
	assert_non_null(root);
	assert_true(cJSON_IsArray(root));
	assert_int_equal(cJSON_GetArraySize(root), 3);

	svc = cJSON_GetArrayItem(root, 1);
	is_str(svc, "name", "default/web:http");
	is_str(svc, "proto", "tcp");
	is_num(svc, "port", 80);
	is_num(svc, "node_port", 30080);
	is_str(svc, "sched", "random");
	is_num(svc, "flags", KSVC_SVC_F_EXTERNAL_LOCAL);
	is_str(svc, "external_policy", "local");
	is_str(svc, "internal_policy", "cluster");
	is_num(svc, "affinity", 10800);
	assert_int_equal(cJSON_GetArraySize(get(svc, "source_ranges")), 2);
	assert_string_equal(cJSON_GetArrayItem(get(svc, "source_ranges"),
					       1)->valuestring, "2001:db8::/32");
	is_num(svc, "generation", 7);
	is_num(svc, "backend_count", 2);
	st = get(svc, "stats");
	is_num(st, "conns", 3);
	is_num(st, "packets", 30);
	is_num(st, "bytes", 3000);
	is_num(st, "rejects", 0);
	is_num(st, "drops", 4);
	fes = get(svc, "frontends");
	assert_int_equal(cJSON_GetArraySize(fes), 2);
	is_str(cJSON_GetArrayItem(fes, 1), "kind", "external-ip");
	is_str(cJSON_GetArrayItem(fes, 1), "family", "ipv6");
	is_str(cJSON_GetArrayItem(fes, 1), "addr", "2001:db8::5");
	bes = get(svc, "backends");
	assert_int_equal(cJSON_GetArraySize(bes), 2);
	b = cJSON_GetArrayItem(bes, 1);
	is_str(b, "family", "ipv6");
	is_str(b, "addr", "fd00::2");
	is_num(b, "port", 8080);
	is_num(b, "weight", 2);
	is_num(b, "flags", KSVC_BE_F_LOCAL | KSVC_BE_F_SERVING |
		   KSVC_BE_F_TERMINATING);
	assert_true(cJSON_IsTrue(get(b, "local")));
	assert_true(cJSON_IsFalse(get(b, "ready")));
	assert_true(cJSON_IsTrue(get(b, "serving")));
	assert_true(cJSON_IsTrue(get(b, "terminating")));
	assert_true(cJSON_IsTrue(get(cJSON_GetArrayItem(bes, 0), "ready")));
	assert_true(cJSON_IsTrue(get(b, "new_conns_cluster")));
	assert_true(cJSON_IsTrue(get(b, "new_conns_local")));
	assert_true(cJSON_IsFalse(get(cJSON_GetArrayItem(bes, 0),
				      "new_conns_local")));
	is_num(get(b, "stats"), "conns", 0);
	assert_null(cJSON_GetObjectItem(get(b, "stats"), "rejects"));

	svc = cJSON_GetArrayItem(root, 0);
	is_num(svc, "node_port", 0);
	is_num(get(svc, "stats"), "rejects", 5);
	assert_int_equal(cJSON_GetArraySize(get(svc, "frontends")), 0);
	assert_int_equal(cJSON_GetArraySize(get(svc, "backends")), 0);

	svc = cJSON_GetArrayItem(root, 2);
	is_num(svc, "proto", 99);
	is_num(svc, "sched", 9);
	is_num(cJSON_GetArrayItem(get(svc, "frontends"), 0), "kind", 7);
	cJSON_Delete(root);
	free(s);
	ksvc_service_list_release(&list);
}

/* JSON of stats: name, totals, and per backend its endpoint and counters. */
static void output_test_json_stats(void **state)
{
	struct ksvc_service_list list;
	const cJSON *svc, *b;
	cJSON *root;
	char *s;

	(void)state;
	sample(&list);
	s = capture(json_stats_list, &list);
	root = cJSON_Parse(s);
	assert_non_null(root);
	svc = cJSON_GetArrayItem(root, 1);
	is_str(svc, "name", "default/web:http");
	is_num(get(svc, "stats"), "bytes", 3000);
	b = cJSON_GetArrayItem(get(svc, "backends"), 0);
	is_str(b, "addr", "10.0.0.1");
	is_num(b, "port", 8080);
	is_num(get(b, "stats"), "packets", 30);
	assert_null(cJSON_GetObjectItem(b, "weight"));
	cJSON_Delete(root);
	free(s);
	ksvc_service_list_release(&list);
}

/* JSON of the configuration, byte for byte. */
static void output_test_json_config(void **state)
{
	static const char want[] =
		"{\n"
		"\t\"cluster_cidrs\":\t[\"10.0.0.0/8\", \"fd00::/64\"],\n"
		"\t\"masquerade_all\":\tfalse,\n"
		"\t\"nodeport_localhost\":\ttrue,\n"
		"\t\"nodeport_addresses\":\t[\"192.0.2.0/24\"],\n"
		"\t\"services\":\t2,\n"
		"\t\"hooked\":\ttrue,\n"
		"\t\"affinity_max\":\t131072,\n"
		"\t\"affinity_entries\":\t3,\n"
		"\t\"memory\":\t123456,\n"
		"\t\"stats\":\t{\n"
		"\t\t\"conns\":\t3,\n"
		"\t\t\"packets\":\t30,\n"
		"\t\t\"bytes\":\t3000,\n"
		"\t\t\"rejects\":\t18446744073709551615,\n"
		"\t\t\"drops\":\t0\n"
		"\t}\n"
		"}\n";
	struct ksvc_config cfg = { 0 };
	char *s = NULL;
	size_t len;
	FILE *f;

	(void)state;
	ksvc_parse_cidr("10.0.0.0/8", &cfg.cluster_cidrs[0], NULL);
	ksvc_parse_cidr("fd00::/64", &cfg.cluster_cidrs[1], NULL);
	cfg.ncluster_cidrs = 2;
	cfg.nodeport_localhost = true;
	ksvc_parse_cidr("192.0.2.0/24", &cfg.nodeport_cidrs[0], NULL);
	cfg.nnodeport_cidrs = 1;
	cfg.services = 2;
	cfg.hooked = true;
	cfg.affinity_max = 131072;
	cfg.affinity_entries = 3;
	cfg.memory = 123456;
	cfg.stats.conns = 3;
	cfg.stats.packets = 30;
	cfg.stats.bytes = 3000;
	cfg.stats.rejects = UINT64_MAX;
	f = open_memstream(&s, &len);
	assert_int_equal(json_config(f, &cfg), 0);
	fclose(f);
	assert_string_equal(s, want);
	free(s);
}

/* The tables, exactly: aligned columns, "-" and "none" for nothing. */
static void output_test_tables(void **state)
{
	static const char list_want[] =
		"NAME              PROTO  PORT  FRONTENDS                   NODE-PORT  SCHED   BACKENDS  CONNS\n"
		"default/dns:udp   udp    53    -                           -          rr      0         0\n"
		"default/web:http  tcp    80    10.96.0.10,ext:2001:db8::5  30080      random  2         3\n"
		"x/future          99     1     192.0.2.1,lb:192.0.2.2      -          9       0         0\n";
	static const char stats_want[] =
		"SERVICE / BACKEND  CONNS  PACKETS  BYTES  REJECTS  DROPS\n"
		"default/dns:udp    0      0        0      5        0\n"
		"default/web:http   3      30       3000   0        4\n"
		"  10.0.0.1:8080    3      30       3000   -        -\n"
		"  [fd00::2]:8080   0      0        0      -        -\n"
		"x/future           0      0        0      0        0\n";
	static const char show_want[] =
		"service: default/web:http\n"
		"  proto:            tcp\n"
		"  port:             80\n"
		"  node-port:        30080\n"
		"  sched:            random\n"
		"  flags:            0x1\n"
		"  external-policy:  local\n"
		"  internal-policy:  cluster\n"
		"  source-ranges:    192.0.2.0/24,2001:db8::/32\n"
		"  affinity:         client-ip 10800s\n"
		"  generation:       7\n"
		"  conns:            3\n"
		"  packets:          30\n"
		"  bytes:            3000\n"
		"  rejects:          0\n"
		"  drops:            4\n"
		"  frontends:\n"
		"    cluster-ip   10.96.0.10\n"
		"    external-ip  2001:db8::5\n"
		"  backends: 2\n"
		"    ENDPOINT        WEIGHT  FLAGS                      NEW-CONNS      CONNS  PACKETS  BYTES\n"
		"    10.0.0.1:8080   1       -                          cluster        3      30       3000\n"
		"    [fd00::2]:8080  2       local,serving,terminating  cluster,local  0      0        0\n";
	struct ksvc_service_list list;
	char *s = NULL;
	size_t len;
	FILE *f;

	(void)state;
	sample(&list);
	s = capture(table_services, &list);
	assert_string_equal(s, list_want);
	free(s);
	s = capture(table_stats, &list);
	assert_string_equal(s, stats_want);
	free(s);
	f = open_memstream(&s, &len);
	table_service(f, &list.svcs[1]);
	fclose(f);
	assert_string_equal(s, show_want);
	free(s);
	ksvc_service_list_release(&list);
}

/* Through ksctl_main(): the kernel's dump order is not the printed one. */
static void put_svc(const struct nlmsghdr *req, const struct ksvc_service *s)
{
	struct nl_msg *msg = fake_reply(req, KSVC_CMD_SVC_GET, NLM_F_MULTI);
	struct nlattr *l, *m, *st;
	size_t i;

	nla_put_string(msg, KSVC_A_SVC_NAME, s->name);
	nla_put_u8(msg, KSVC_A_SVC_PROTO, s->proto);
	nla_put_u16(msg, KSVC_A_SVC_PORT, s->port);
	if (s->node_port)
		nla_put_u16(msg, KSVC_A_SVC_NODE_PORT, s->node_port);
	nla_put_u8(msg, KSVC_A_SVC_SCHED, s->sched);
	nla_put_u32(msg, KSVC_A_SVC_FLAGS, s->flags);
	nla_put_u64(msg, KSVC_A_SVC_GENERATION, s->generation);
	nla_put_u32(msg, KSVC_A_SVC_AFFINITY, s->affinity);
	if (s->nsource_ranges) {
		l = nla_nest_start(msg, KSVC_A_SVC_SOURCE_RANGES);
		for (i = 0; i < s->nsource_ranges; i++) {
			m = nla_nest_start(msg, 0);
			nla_put_u16(msg, KSVC_CIDR_A_FAMILY,
				    s->source_ranges[i].addr.family);
			nla_put(msg, KSVC_CIDR_A_ADDR,
				(int)ksvc_addr_len(s->source_ranges[i].addr.family),
				s->source_ranges[i].addr.raw);
			nla_put_u8(msg, KSVC_CIDR_A_PREFIXLEN,
				   s->source_ranges[i].prefixlen);
			nla_nest_end(msg, m);
		}
		nla_nest_end(msg, l);
	}
	nla_put_u32(msg, KSVC_A_SVC_BACKEND_COUNT, s->backend_count);
	st = nla_nest_start(msg, KSVC_A_SVC_STATS);
	nla_put_u64(msg, KSVC_STATS_A_CONNS, s->stats.conns);
	nla_put_u64(msg, KSVC_STATS_A_PACKETS, s->stats.packets);
	nla_put_u64(msg, KSVC_STATS_A_BYTES, s->stats.bytes);
	nla_put_u64(msg, KSVC_STATS_A_REJECTS, s->stats.rejects);
	nla_put_u64(msg, KSVC_STATS_A_DROPS, s->stats.drops);
	nla_nest_end(msg, st);
	l = nla_nest_start(msg, KSVC_A_SVC_FRONTENDS);
	for (i = 0; i < s->nfrontends; i++) {
		m = nla_nest_start(msg, 0);
		nla_put_u8(msg, KSVC_FE_A_KIND, s->frontends[i].kind);
		nla_put_u16(msg, KSVC_FE_A_FAMILY, s->frontends[i].addr.family);
		nla_put(msg, KSVC_FE_A_ADDR,
			(int)ksvc_addr_len(s->frontends[i].addr.family),
			s->frontends[i].addr.raw);
		nla_nest_end(msg, m);
	}
	nla_nest_end_keep_empty(msg, l);
	fake_queue_msg(msg);

	/* Every backend in a continuation of its own. */
	for (i = 0; i < s->nbackends; i++) {
		const struct ksvc_backend *b = &s->backends[i];

		msg = fake_reply(req, KSVC_CMD_SVC_GET, NLM_F_MULTI);
		nla_put_string(msg, KSVC_A_SVC_NAME, s->name);
		l = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
		m = nla_nest_start(msg, 0);
		nla_put_u16(msg, KSVC_BE_A_FAMILY, b->addr.family);
		nla_put(msg, KSVC_BE_A_ADDR, (int)ksvc_addr_len(b->addr.family),
			b->addr.raw);
		nla_put_u16(msg, KSVC_BE_A_PORT, b->port);
		nla_put_u32(msg, KSVC_BE_A_WEIGHT, b->weight);
		nla_put_u32(msg, KSVC_BE_A_FLAGS, b->flags);
		st = nla_nest_start(msg, KSVC_BE_A_STATS);
		nla_put_u64(msg, KSVC_STATS_A_CONNS, b->stats.conns);
		nla_put_u64(msg, KSVC_STATS_A_PACKETS, b->stats.packets);
		nla_put_u64(msg, KSVC_STATS_A_BYTES, b->stats.bytes);
		nla_nest_end(msg, st);
		nla_nest_end(msg, m);
		nla_nest_end(msg, l);
		fake_queue_msg(msg);
		fake_cut();
	}
}

static void dump_sample(const struct nlmsghdr *req, void *arg)
{
	struct ksvc_service_list *list = arg;
	struct nlattr *tb[KSVC_A_MAX + 1];
	const char *only = NULL;
	size_t i;

	if (!nlmsg_parse((struct nlmsghdr *)req, 4, tb, KSVC_A_MAX, NULL) &&
	    tb[KSVC_A_SVC_NAME])
		only = nla_get_string(tb[KSVC_A_SVC_NAME]);
	for (i = list->n; i-- > 0;)	/* backwards: the kernel's own order */
		if (!only || !strcmp(only, list->svcs[i].name))
			put_svc(req, &list->svcs[i]);
	fake_done(req, 0, NULL, false);
}

static void output_test_ksctl(void **state)
{
	struct ksvc_service_list list;
	struct ksctl_run r;
	cJSON *root;

	(void)state;
	fake_reset();
	sample(&list);
	fake.respond = dump_sample;
	fake.arg = &list;

	ksctl_run(&r, "dump");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, dump_want);
	assert_string_equal(r.err, "");
	ksctl_run_free(&r);

	ksctl_run(&r, "-j service show default/web:http");
	assert_int_equal(r.status, 0);
	root = cJSON_Parse(r.out);
	assert_non_null(root);
	is_str(root, "name", "default/web:http");
	assert_int_equal(cJSON_GetArraySize(get(root, "backends")), 2);
	cJSON_Delete(root);
	ksctl_run_free(&r);

	ksctl_run(&r, "-j service list");
	root = cJSON_Parse(r.out);
	assert_int_equal(cJSON_GetArraySize(root), 3);
	is_str(cJSON_GetArrayItem(root, 0), "name", "default/dns:udp");
	cJSON_Delete(root);
	ksctl_run_free(&r);

	ksctl_run(&r, "dump x/future");
	assert_string_equal(r.out, strstr(dump_want, "service\tx/future"));
	ksctl_run_free(&r);

	fake_reset();
	ksvc_service_list_release(&list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(output_test_dump),
		cmocka_unit_test(output_test_json_services),
		cmocka_unit_test(output_test_json_stats),
		cmocka_unit_test(output_test_json_config),
		cmocka_unit_test(output_test_tables),
		cmocka_unit_test(output_test_ksctl),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
