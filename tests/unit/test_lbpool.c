// SPDX-License-Identifier: GPL-2.0
/*
 * The --lb-ip-pool (lbpool.c): LoadBalancer Services of the store get
 * addresses of the pool, keep them across updates and edits, give them
 * back when they go; an exhausted pool is logged once; spec.loadBalancerIP
 * is honoured when it can be; dual-stack pools serve each family of a
 * service; the model turns the addresses into load-balancer frontends.
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
#include <cmocka.h>

#include "decode.h"
#include "ksvc_text.h"
#include "lbpool.h"
#include "log.h"
#include "model.h"
#include "yamldoc.h"

/* The log lines of the last update, for the tests that count them. */
static char logged[8192];

static void sink(int level, const char *line, void *arg)
{
	(void)level;
	(void)arg;
	strncat(logged, line, sizeof(logged) - strlen(logged) - 2);
	strcat(logged, "\n");
}

static int count_lines(const char *needle)
{
	int n = 0;

	for (const char *p = logged; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* A Service: name, type, cluster IPs ("a" or "a,b"), then more spec
 * lines (or ""), into the store (replacing one of that name). */
static void put(struct ksd_store *st, const char *name, const char *type,
		const char *ips, const char *more)
{
	char yaml[2048], list[256] = "", why[KSD_WHY_MAX], ywhy[256];
	char *copy = strdup(ips), *tok, *save = NULL;
	struct ksd_service *svc;
	cJSON *docs;

	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
			 "%s\"%s\"", *list ? ", " : "", tok);
	free(copy);
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: v1\nkind: Service\n"
		 "metadata: {name: %s, namespace: shop}\n"
		 "spec:\n  type: %s\n  clusterIPs: [%s]\n"
		 "  ports: [{port: 80}]\n%s", name, type, list, more);
	if (ksd_yaml_parse(yaml, strlen(yaml), &docs, ywhy))
		fail_msg("YAML: %s\n%s", ywhy, yaml);
	if (ksd_decode_service(cJSON_GetArrayItem(docs, 0), &svc, why))
		fail_msg("%s", why);
	cJSON_Delete(docs);
	ksd_store_put_service(st, svc);
}

static struct ksd_lbpool *pool_of(const char *cidrs)
{
	struct ksd_lbpool *p = calloc(1, sizeof(*p));
	struct ksvc_cidr c[KSD_LBPOOL_CIDRS_MAX];
	char *copy = strdup(cidrs), *tok, *save = NULL;
	size_t n = 0;

	ksd_lbpool_init(p);
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save))
		assert_int_equal(ksvc_parse_cidr(tok, &c[n++], NULL), 0);
	free(copy);
	assert_int_equal(ksd_lbpool_set(p, c, n), 0);
	return p;
}

static void pool_free(struct ksd_lbpool *p)
{
	ksd_lbpool_release(p);
	free(p);
}

static unsigned int update(struct ksd_lbpool *p, struct ksd_store *st)
{
	logged[0] = '\0';
	return ksd_lbpool_update(p, st);
}

/* The addresses of shop/name as "a" or "a,b", "" for none. */
static const char *ips_of(const struct ksd_lbpool *p, const char *name)
{
	static char out[2 * KSVC_ADDR_STRLEN + 2];
	char buf[KSVC_ADDR_STRLEN];
	struct ksvc_addr a[2];
	size_t n = ksd_lbpool_get(p, "shop", name, a);

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(out + strlen(out), "%s%s", i ? "," : "",
			ksvc_format_addr(&a[i], buf, sizeof(buf)));
	return out;
}

static bool in_pool(const struct ksd_lbpool *p, const char *ip)
{
	struct ksvc_addr a;

	assert_int_equal(ksvc_parse_addr(ip, &a, NULL), 0);
	return ksd_lbpool_contains(p, &a);
}

static int setup(void **state)
{
	(void)state;
	ksd_log_set_sink(sink, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	ksd_log_set_sink(NULL, NULL);
	return 0;
}

/* Usable addresses: network and broadcast of IPv4 CIDRs wider than /31,
 * the subnet-router anycast of IPv6 ones, are not handed out. */
static void lbpool_test_contains(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/30,192.168.61.7/32,"
				       "192.168.62.0/31,fd00:60::/126");

	(void)state;
	assert_false(in_pool(p, "192.168.60.0"));
	assert_true(in_pool(p, "192.168.60.1"));
	assert_true(in_pool(p, "192.168.60.2"));
	assert_false(in_pool(p, "192.168.60.3"));
	assert_false(in_pool(p, "192.168.60.4"));
	assert_true(in_pool(p, "192.168.61.7"));
	assert_true(in_pool(p, "192.168.62.0"));
	assert_true(in_pool(p, "192.168.62.1"));
	assert_false(in_pool(p, "fd00:60::"));
	assert_true(in_pool(p, "fd00:60::3"));
	assert_false(in_pool(p, "fd00:60::4"));
	assert_int_equal(p->size[0], 2 + 1 + 2);
	assert_int_equal(p->size[1], 3);
	pool_free(p);
}

/* Overlapping CIDRs, or none, are refused. */
static void lbpool_test_set(void **state)
{
	struct ksvc_cidr c[2];
	struct ksd_lbpool p;

	(void)state;
	ksd_lbpool_init(&p);
	assert_int_equal(ksd_lbpool_set(&p, c, 0), -E2BIG);
	assert_int_equal(ksvc_parse_cidr("10.0.0.0/8", &c[0], NULL), 0);
	assert_int_equal(ksvc_parse_cidr("10.1.0.0/16", &c[1], NULL), 0);
	assert_int_equal(ksd_lbpool_set(&p, c, 2), -EINVAL);
	assert_int_equal(ksvc_parse_cidr("fd00::/8", &c[1], NULL), 0);
	assert_int_equal(ksd_lbpool_set(&p, c, 2), 0);
	ksd_lbpool_release(&p);
}

/* Each LoadBalancer service gets its own address of the pool, kept
 * across updates and edits; other types get none. */
static void lbpool_test_assign(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/28");
	struct ksd_store st;
	char a[64], b[64];

	(void)state;
	ksd_store_init(&st);
	put(&st, "a", "LoadBalancer", "10.96.0.1", "");
	put(&st, "b", "LoadBalancer", "10.96.0.2", "");
	put(&st, "c", "ClusterIP", "10.96.0.3", "");
	put(&st, "d", "NodePort", "10.96.0.4", "");
	assert_int_equal(update(p, &st), 2);
	strcpy(a, ips_of(p, "a"));
	strcpy(b, ips_of(p, "b"));
	assert_true(in_pool(p, a));
	assert_true(in_pool(p, b));
	assert_string_not_equal(a, b);
	assert_string_equal(ips_of(p, "c"), "");
	assert_string_equal(ips_of(p, "d"), "");
	assert_int_equal(count_lines("Service shop/a: load-balancer IP "), 1);
	assert_non_null(strstr(logged, a));

	/* Nothing changed: nothing moves, nothing is said. */
	assert_int_equal(update(p, &st), 0);
	assert_string_equal(logged, "");
	/* An edit (another port) keeps the address. */
	put(&st, "a", "LoadBalancer", "10.96.0.1",
	    "  sessionAffinity: ClientIP\n");
	assert_int_equal(update(p, &st), 0);
	assert_string_equal(ips_of(p, "a"), a);
	assert_string_equal(ips_of(p, "b"), b);
	pool_free(p);
	ksd_store_release(&st);
}

/* The same service lands on the same address whatever order the
 * services came in (a restarted daemon sees them sorted). */
static void lbpool_test_stable(void **state)
{
	struct ksd_lbpool *p1 = pool_of("10.200.0.0/16,fd00:200::/64");
	struct ksd_lbpool *p2 = pool_of("10.200.0.0/16,fd00:200::/64");
	struct ksd_store st;
	char names[5][8] = { "web", "api", "db", "cache", "queue" };
	char first[5][64];

	(void)state;
	ksd_store_init(&st);
	/* One at a time, in this order, into p1. */
	for (int i = 0; i < 5; i++) {
		put(&st, names[i], "LoadBalancer", "10.96.0.1,fd00:96::1", "");
		assert_int_equal(update(p1, &st), 2);
	}
	/* All at once into p2. */
	assert_int_equal(update(p2, &st), 0 + 10);
	for (int i = 0; i < 5; i++) {
		strcpy(first[i], ips_of(p1, names[i]));
		assert_string_equal(ips_of(p2, names[i]), first[i]);
		assert_non_null(strchr(first[i], ','));	/* both families */
	}
	pool_free(p1);
	pool_free(p2);
	ksd_store_release(&st);
}

/* Deleted, or no longer a LoadBalancer: the address is released, and
 * can go to another. */
static void lbpool_test_release(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.1/32");
	struct ksd_store st;

	(void)state;
	ksd_store_init(&st);
	put(&st, "a", "LoadBalancer", "10.96.0.1", "");
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "a"), "192.168.60.1");

	put(&st, "a", "ClusterIP", "10.96.0.1", "");
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "a"), "");
	assert_int_equal(count_lines("Service shop/a: load-balancer IP "
				     "192.168.60.1 released"), 1);
	assert_int_equal(p->n, 0);

	put(&st, "b", "LoadBalancer", "10.96.0.2", "");
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "b"), "192.168.60.1");
	assert_true(ksd_store_del_service(&st, "shop", "b"));
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "b"), "");
	assert_int_equal(p->n, 0);
	pool_free(p);
	ksd_store_release(&st);
}

/* Exhausted: logged once, the service has none, and gets the address
 * that frees. */
static void lbpool_test_exhausted(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/30");	/* .1, .2 */
	struct ksd_store st;
	const char *full = "Service shop/c: --lb-ip-pool has no free IPv4";

	(void)state;
	ksd_store_init(&st);
	put(&st, "a", "LoadBalancer", "10.96.0.1", "");
	put(&st, "b", "LoadBalancer", "10.96.0.2", "");
	put(&st, "c", "LoadBalancer", "10.96.0.3", "");
	assert_int_equal(update(p, &st), 2);
	assert_string_equal(ips_of(p, "c"), "");
	assert_int_equal(count_lines(full), 1);
	assert_int_equal(update(p, &st), 0);
	assert_int_equal(count_lines(full), 0);	/* said once */

	char freed[64];

	strcpy(freed, ips_of(p, "a"));
	assert_true(ksd_store_del_service(&st, "shop", "a"));
	assert_int_equal(update(p, &st), 2);	/* a's released, c's */
	assert_string_equal(ips_of(p, "c"), freed);
	pool_free(p);
	ksd_store_release(&st);
}

/* spec.loadBalancerIP: taken when in the pool and free; otherwise said
 * once, and an address of the pool instead; a later edit to a free one
 * moves the service there. */
static void lbpool_test_requested(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/29");
	struct ksd_store st;
	char got[64];

	(void)state;
	ksd_store_init(&st);
	put(&st, "a", "LoadBalancer", "10.96.0.1",
	    "  loadBalancerIP: 192.168.60.5\n");
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "a"), "192.168.60.5");

	/* Held by a: b gets another, and is told why once. */
	put(&st, "b", "LoadBalancer", "10.96.0.2",
	    "  loadBalancerIP: 192.168.60.5\n");
	assert_int_equal(update(p, &st), 1);
	strcpy(got, ips_of(p, "b"));
	assert_true(in_pool(p, got));
	assert_string_not_equal(got, "192.168.60.5");
	assert_int_equal(count_lines("spec.loadBalancerIP 192.168.60.5 is "
				     "held by shop/a"), 1);
	assert_int_equal(update(p, &st), 0);
	assert_string_equal(logged, "");

	/* Outside the pool. */
	put(&st, "c", "LoadBalancer", "10.96.0.3",
	    "  loadBalancerIP: 203.0.113.9\n");
	assert_int_equal(update(p, &st), 1);
	assert_true(in_pool(p, ips_of(p, "c")));
	assert_int_equal(count_lines("spec.loadBalancerIP 203.0.113.9 is "
				     "not in --lb-ip-pool"), 1);

	/* b asks for a free one: it moves there. */
	char want[64], more[96];

	for (int i = 1; i <= 6; i++) {
		sprintf(want, "192.168.60.%d", i);
		if (strcmp(want, ips_of(p, "a")) &&
		    strcmp(want, ips_of(p, "b")) &&
		    strcmp(want, ips_of(p, "c")))
			break;
	}
	sprintf(more, "  loadBalancerIP: %s\n", want);
	put(&st, "b", "LoadBalancer", "10.96.0.2", more);
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "b"), want);
	assert_int_equal(count_lines("released for its loadBalancerIP"), 1);
	pool_free(p);
	ksd_store_release(&st);
}

/* Dual-stack pools: a dual-stack service gets one address of each
 * family, a single-stack one of its family only, and a family the pool
 * lacks is none. */
static void lbpool_test_dual_stack(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/28,fd00:60::/120");
	struct ksd_lbpool *p4 = pool_of("192.168.60.0/28");
	struct ksd_store st;
	char both[128], *comma;

	(void)state;
	ksd_store_init(&st);
	put(&st, "ds", "LoadBalancer", "10.96.0.1,fd00:96::1", "");
	put(&st, "v4", "LoadBalancer", "10.96.0.2", "");
	put(&st, "v6", "LoadBalancer", "fd00:96::3", "");
	assert_int_equal(update(p, &st), 4);
	strcpy(both, ips_of(p, "ds"));
	comma = strchr(both, ',');
	assert_non_null(comma);
	*comma = '\0';
	assert_true(in_pool(p, both));
	assert_non_null(strstr(comma + 1, "fd00:60::"));
	assert_null(strchr(ips_of(p, "v4"), ':'));
	assert_non_null(strstr(ips_of(p, "v6"), "fd00:60::"));

	assert_int_equal(update(p4, &st), 2);
	assert_null(strchr(ips_of(p4, "ds"), ','));
	assert_string_equal(ips_of(p4, "v6"), "");
	assert_int_equal(count_lines("no free"), 0);	/* not exhaustion */
	pool_free(p);
	pool_free(p4);
	ksd_store_release(&st);
}

/* A service with a status of its own gets nothing from the pool, and
 * the pool never hands out an address a status holds. */
static void lbpool_test_status(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.0/30");	/* .1, .2 */
	struct ksd_store st;
	char yaml[512], why[KSD_WHY_MAX], ywhy[256];
	struct ksd_service *svc;
	cJSON *docs;

	(void)state;
	ksd_store_init(&st);
	snprintf(yaml, sizeof(yaml),
		 "apiVersion: v1\nkind: Service\n"
		 "metadata: {name: cloud, namespace: shop}\n"
		 "spec: {type: LoadBalancer, clusterIP: 10.96.0.9, "
		 "ports: [{port: 80}]}\n"
		 "status: {loadBalancer: {ingress: [{ip: 192.168.60.1}]}}\n");
	assert_int_equal(ksd_yaml_parse(yaml, strlen(yaml), &docs, ywhy), 0);
	assert_int_equal(ksd_decode_service(cJSON_GetArrayItem(docs, 0), &svc,
					    why), 0);
	cJSON_Delete(docs);
	ksd_store_put_service(&st, svc);
	put(&st, "a", "LoadBalancer", "10.96.0.1", "");
	put(&st, "b", "LoadBalancer", "10.96.0.2", "");
	assert_int_equal(update(p, &st), 1);
	assert_string_equal(ips_of(p, "cloud"), "");
	assert_string_equal(ips_of(p, "a"), "192.168.60.2");
	assert_string_equal(ips_of(p, "b"), "");
	assert_int_equal(count_lines("Service shop/b: --lb-ip-pool has no "
				     "free"), 1);
	pool_free(p);
	ksd_store_release(&st);
}

/* A restart: the kernel's services hold their addresses already; seeded
 * with them, the pool gives each back to its Service (by the kernel
 * service's name, any port), whatever the hash would pick, and releases
 * those of Services that are gone. */
static void lbpool_test_seed(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.7/32,192.168.60.8/32");
	struct ksvc_addr a7, a8, out;
	struct ksd_store st;

	(void)state;
	assert_int_equal(ksvc_parse_addr("192.168.60.7", &a7, NULL), 0);
	assert_int_equal(ksvc_parse_addr("192.168.60.8", &a8, NULL), 0);
	assert_int_equal(ksvc_parse_addr("203.0.113.1", &out, NULL), 0);
	ksd_store_init(&st);
	put(&st, "a", "LoadBalancer", "10.96.0.1", "");
	put(&st, "b", "LoadBalancer", "10.96.0.2", "");
	/* b's two ports both hold .8; gone's .7 */
	ksd_lbpool_seed(p, "shop/b:http", &a8);
	ksd_lbpool_seed(p, "shop/b:https", &a8);
	ksd_lbpool_seed(p, "shop/gone", &a7);
	ksd_lbpool_seed(p, "shop/a", &out);	/* not the pool's: ignored */
	ksd_lbpool_seed(p, "noslash", &a7);
	assert_int_equal(update(p, &st), 2);	/* gone's released, a's */
	assert_string_equal(ips_of(p, "b"), "192.168.60.8");
	assert_string_equal(ips_of(p, "a"), "192.168.60.7");
	assert_string_equal(ips_of(p, "gone"), "");
	assert_int_equal(count_lines("Service shop/gone: load-balancer IP "
				     "192.168.60.7 released"), 1);
	pool_free(p);
	ksd_store_release(&st);
}

/* The model: the pool's address is a load-balancer frontend. */
static void lbpool_test_model(void **state)
{
	struct ksd_lbpool *p = pool_of("192.168.60.7/32");
	const struct ksd_model_svc *ms;
	struct ksd_store st;
	struct ksd_model m;
	char buf[KSVC_ADDR_STRLEN];

	(void)state;
	ksd_store_init(&st);
	put(&st, "web", "LoadBalancer", "10.96.0.1", "");
	assert_int_equal(update(p, &st), 1);
	ksd_model_init(&m);
	m.lbpool = p;
	ksd_model_build(&m, &st);
	ms = ksd_model_find(&m, "shop/web");
	assert_non_null(ms);
	assert_int_equal(ms->ksvc.nfrontends, 2);
	assert_int_equal(ms->ksvc.frontends[1].kind, KSVC_FE_LOAD_BALANCER_IP);
	assert_string_equal(ksvc_format_addr(&ms->ksvc.frontends[1].addr, buf,
					     sizeof(buf)), "192.168.60.7");
	ksd_model_release(&m);
	pool_free(p);
	ksd_store_release(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lbpool_test_contains),
		cmocka_unit_test(lbpool_test_set),
		cmocka_unit_test(lbpool_test_assign),
		cmocka_unit_test(lbpool_test_stable),
		cmocka_unit_test(lbpool_test_release),
		cmocka_unit_test(lbpool_test_exhausted),
		cmocka_unit_test(lbpool_test_requested),
		cmocka_unit_test(lbpool_test_dual_stack),
		cmocka_unit_test(lbpool_test_status),
		cmocka_unit_test(lbpool_test_seed),
		cmocka_unit_test(lbpool_test_model),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
