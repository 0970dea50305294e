// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl's command lines: good ones give the right request, bad ones one
 * exact line on stderr, status 2 and nothing sent; failures of the kernel
 * one line and status 1.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <netlink/attr.h>

#include "cmdline.h"
#include "fake_kernel.h"
#include "kpolicy.h"
#include "ksvc_text.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_reset();
	return 0;
}

static void addr_is(const struct ksvc_addr *a, const char *s)
{
	char buf[KSVC_ADDR_STRLEN];

	assert_string_equal(ksvc_format_addr(a, buf, sizeof(buf)), s);
}

static void be_is(const struct ksvc_backend *be, const char *ep,
		  uint32_t weight)
{
	char buf[KSVC_ENDPOINT_STRLEN];

	assert_string_equal(ksvc_format_endpoint(&be->addr, be->port, buf,
						 sizeof(buf)), ep);
	assert_int_equal(be->weight, weight);
}

/* What each good command line must turn into. */
static void add_min(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service add");
	assert_string_equal(r->svc.name, "ns/a");
	assert_int_equal(r->svc.proto, IPPROTO_TCP);
	assert_int_equal(r->svc.port, 80);
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT);
	assert_false(r->json);
}

static void add_full(const struct ksctl_req *r)
{
	const struct ksvc_service *s = &r->svc;

	assert_int_equal(s->proto, IPPROTO_UDP);
	assert_int_equal(s->port, 53);
	assert_int_equal(s->node_port, 30053);
	assert_int_equal(s->sched, KSVC_SCHED_RR);
	assert_int_equal(s->nfrontends, 4);
	assert_int_equal(s->frontends[0].kind, KSVC_FE_CLUSTER_IP);
	addr_is(&s->frontends[0].addr, "10.96.0.10");
	assert_int_equal(s->frontends[1].kind, KSVC_FE_CLUSTER_IP);
	addr_is(&s->frontends[1].addr, "fd00::10");
	assert_int_equal(s->frontends[2].kind, KSVC_FE_EXTERNAL_IP);
	assert_int_equal(s->frontends[3].kind, KSVC_FE_LOAD_BALANCER_IP);
	addr_is(&s->frontends[3].addr, "2001:db8::1");
	assert_int_equal(s->has, KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |
			 KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_SCHED |
			 KSVC_SVC_HAS_FRONTENDS);
}

static void add_sctp(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.proto, IPPROTO_SCTP);
	assert_int_equal(r->svc.port, 65535);
	assert_int_equal(r->svc.node_port, 0);
	assert_true(r->svc.has & KSVC_SVC_HAS_NODE_PORT);
}

static void set_sched(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service set");
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_SCHED);
	assert_int_equal(r->svc.sched, KSVC_SCHED_RANDOM);
}

static void set_aff(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_AFFINITY);
	assert_int_equal(r->svc.affinity, 30);
}

static void set_aff_on(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_AFFINITY);
	assert_int_equal(r->svc.affinity, KSVC_AFFINITY_TIMEOUT_DEFAULT);
}

static void set_aff_off(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_AFFINITY);
	assert_int_equal(r->svc.affinity, 0);
}

static void cfg_aff_max(const struct ksctl_req *r)
{
	assert_int_equal(r->cfg.has, KSVC_CFG_HAS_AFFINITY_MAX);
	assert_int_equal(r->cfg.affinity_max, 5);
}

static void set_policies(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_FLAGS);
	assert_int_equal(r->svc.flags, KSVC_SVC_F_EXTERNAL_LOCAL);
	assert_int_equal(r->flags_mask, KSVC_SVC_F_EXTERNAL_LOCAL |
			 KSVC_SVC_F_INTERNAL_LOCAL);
}

static void replace_flags(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.nbackends, 2);
	assert_int_equal(r->svc.backends[0].flags, KSVC_BE_F_LOCAL);
	assert_int_equal(r->svc.backends[1].flags,
			 KSVC_BE_F_SERVING | KSVC_BE_F_TERMINATING);
	assert_int_equal(r->svc.backends[1].weight, 2);
}

static void set_ranges(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_SOURCE_RANGES);
	assert_int_equal(r->svc.nsource_ranges, 2);
	assert_int_equal(r->svc.source_ranges[1].prefixlen, 64);
}

static void set_ranges_none(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_SOURCE_RANGES);
	assert_int_equal(r->svc.nsource_ranges, 0);
}

static void set_np0(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_NODE_PORT);
	assert_int_equal(r->svc.node_port, 0);
}

static void set_fe(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.has, KSVC_SVC_HAS_FRONTENDS |
			 KSVC_SVC_HAS_PORT);
	assert_int_equal(r->svc.nfrontends, 1);
	assert_int_equal(r->svc.frontends[0].kind, KSVC_FE_EXTERNAL_IP);
}

static void del(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service del");
	assert_string_equal(r->svc.name, "ns/a:http");
	assert_int_equal(r->svc.has, 0);
}

static void list(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service list");
	assert_false(r->has_name);
	assert_false(r->json);
}

static void list_json(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service list");
	assert_true(r->json);
}

static void show_json(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "service show");
	assert_true(r->json);
	assert_string_equal(r->svc.name, "ns/a");
}

static void replace_empty(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "backend replace");
	assert_int_equal(r->svc.nbackends, 0);
}

static void replace3(const struct ksctl_req *r)
{
	assert_int_equal(r->svc.nbackends, 3);
	be_is(&r->svc.backends[0], "10.0.0.1:80", 1);
	be_is(&r->svc.backends[1], "[fd00::1]:8080", 5);
	be_is(&r->svc.backends[2], "10.0.0.1:81", 0);
}

static void be_add_w7(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "backend add");
	assert_int_equal(r->svc.nbackends, 1);
	be_is(&r->svc.backends[0], "10.0.0.1:80", 7);
}

static void be_add_w3(const struct ksctl_req *r)
{
	be_is(&r->svc.backends[0], "10.0.0.1:80", 3);
}

static void be_add_w1(const struct ksctl_req *r)
{
	be_is(&r->svc.backends[0], "10.0.0.1:80", KSVC_WEIGHT_DEFAULT);
}

static void be_del(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "backend del");
	be_is(&r->svc.backends[0], "[::1]:80", KSVC_WEIGHT_DEFAULT);
}

static void stats_all(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "stats");
	assert_false(r->has_name);
}

static void stats_one(const struct ksctl_req *r)
{
	assert_true(r->has_name);
	assert_string_equal(r->svc.name, "ns/a");
	assert_true(r->json);
}

static void flush(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "flush");
}

static void cfg_show(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "config show");
}

static void cfg_set_all(const struct ksctl_req *r)
{
	char c[KSVC_CIDR_STRLEN];

	assert_string_equal(r->cmd, "config set");
	assert_int_equal(r->cfg.has, KSVC_CFG_HAS_CLUSTER_CIDRS |
			 KSVC_CFG_HAS_MASQUERADE_ALL |
			 KSVC_CFG_HAS_NODEPORT_LOCALHOST);
	assert_true(r->cfg.masquerade_all);
	assert_false(r->cfg.nodeport_localhost);
	assert_int_equal(r->cfg.ncluster_cidrs, 2);
	assert_string_equal(ksvc_format_cidr(&r->cfg.cluster_cidrs[1], c,
					     sizeof(c)), "fd00::/64");
}

static void cfg_clear(const struct ksctl_req *r)
{
	assert_int_equal(r->cfg.has, KSVC_CFG_HAS_CLUSTER_CIDRS);
	assert_int_equal(r->cfg.ncluster_cidrs, 0);
}

static void cfg_np(const struct ksctl_req *r)
{
	char c[KSVC_CIDR_STRLEN];

	assert_int_equal(r->cfg.has, KSVC_CFG_HAS_NODEPORT_CIDRS);
	assert_int_equal(r->cfg.nnodeport_cidrs, 2);
	assert_int_equal(r->cfg.ncluster_cidrs, 0);
	assert_string_equal(ksvc_format_cidr(&r->cfg.nodeport_cidrs[0], c,
					     sizeof(c)), "192.0.2.0/24");
	assert_string_equal(ksvc_format_cidr(&r->cfg.nodeport_cidrs[1], c,
					     sizeof(c)), "2001:db8::/32");
}

static void cfg_np_clear(const struct ksctl_req *r)
{
	assert_int_equal(r->cfg.has, KSVC_CFG_HAS_NODEPORT_CIDRS);
	assert_int_equal(r->cfg.nnodeport_cidrs, 0);
}

static void dump_all(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "dump");
	assert_false(r->has_name);
}

static void dump_one(const struct ksctl_req *r)
{
	assert_string_equal(r->svc.name, "ns/a");
}

static void help(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "help");
}

static void version(const struct ksctl_req *r)
{
	assert_string_equal(r->cmd, "version");
}

static const struct {
	const char *line;
	void (*check)(const struct ksctl_req *r);
} good[] = {
	{ "service add ns/a proto tcp port 80", add_min },
	{ "service add ns/a proto udp port 53 cluster-ip 10.96.0.10 "
	  "cluster-ip fd00::10 node-port 30053 external-ip 192.0.2.1 "
	  "lb-ip 2001:db8::1 sched rr", add_full },
	{ "service add ns/a port 65535 node-port 0 proto SCTP", add_sctp },
	{ "service set ns/a sched random", set_sched },
	{ "service set ns/a node-port 0", set_np0 },
	{ "service set ns/a affinity 30", set_aff },
	{ "service set ns/a source-ranges 10.0.0.0/8,fd00::/64", set_ranges },
	{ "service set ns/a source-ranges none", set_ranges_none },
	{ "service set ns/a external-policy local internal-policy cluster",
	  set_policies },
	{ "backend replace ns/a 10.0.0.1:80,local "
	  "10.0.0.2:80@2,serving,terminating", replace_flags },
	{ "service set ns/a affinity on", set_aff_on },
	{ "service set ns/a affinity off", set_aff_off },
	{ "config set affinity-max 5", cfg_aff_max },
	{ "service set ns/a external-ip 192.0.2.9 port 8080", set_fe },
	{ "service del ns/a:http", del },
	{ "service list", list },
	{ "-j service list", list_json },
	{ "--json service show ns/a", show_json },
	{ "backend replace ns/a", replace_empty },
	{ "backend replace ns/a 10.0.0.1:80 [fd00::1]:8080@5 10.0.0.1:81@0",
	  replace3 },
	{ "backend add ns/a 10.0.0.1:80 weight 7", be_add_w7 },
	{ "backend add ns/a 10.0.0.1:80@3", be_add_w3 },
	{ "backend add ns/a 10.0.0.1:80", be_add_w1 },
	{ "backend del ns/a [::1]:80", be_del },
	{ "stats", stats_all },
	{ "-j stats ns/a", stats_one },
	{ "flush", flush },
	{ "config show", cfg_show },
	{ "config set masquerade-all on nodeport-localhost false "
	  "cluster-cidr 10.0.0.0/8,fd00::/64", cfg_set_all },
	{ "config set cluster-cidr none", cfg_clear },
	{ "config set cluster-cidr ''", cfg_clear },
	{ "config set nodeport-addresses 192.0.2.0/24,2001:db8::/32", cfg_np },
	{ "config set nodeport-addresses none", cfg_np_clear },
	{ "dump", dump_all },
	{ "dump ns/a", dump_one },
	{ "help", help },
	{ "-h", help },
	{ "-j --help", help },
	{ "--version", version },
	{ "-V", version },
};

static void ksctl_test_good(void **state)
{
	struct ksctl_req req;
	struct cmdline c;
	size_t i;

	(void)state;
	for (i = 0; i < N(good); i++) {
		cmdline_split(&c, good[i].line);
		ksctl_req_init(&req);
		if (ksctl_parse(c.argc, c.argv, &req))
			fail_msg("\"%s\": %s", good[i].line, req.err);
		assert_non_null(req.run);
		good[i].check(&req);
		ksctl_req_release(&req);
	}
}

#define LONG_NAME "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
		  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
		  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
		  "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
#define CIDRS17 "10.0.0.0/24,10.0.1.0/24,10.0.2.0/24,10.0.3.0/24,10.0.4.0/24," \
		"10.0.5.0/24,10.0.6.0/24,10.0.7.0/24,10.0.8.0/24,10.0.9.0/24," \
		"10.0.10.0/24,10.0.11.0/24,10.0.12.0/24,10.0.13.0/24," \
		"10.0.14.0/24,10.0.15.0/24,10.0.16.0/24"
#define SVC "service add ns/a proto tcp port 80 "

static const struct {
	const char *line;
	const char *err;
} bad[] = {
	{ "", "missing command (try \"ksctl help\")" },
	{ "-x service list", "unknown option \"-x\" (try \"ksctl help\")" },
	{ "-j", "missing command (try \"ksctl help\")" },
	{ "frob", "unknown command \"frob\" (try \"ksctl help\")" },
	{ "service list -j", "service list: unexpected argument \"-j\"" },
	{ "service", "service: missing subcommand (add, set, del, list, show)" },
	{ "service frob", "service: unknown subcommand \"frob\" (add, set, del, list, show)" },
	{ "service add", "service add: missing service name" },
	{ "service add ns/a", "service add: missing \"proto\"" },
	{ "service add ns/a proto tcp", "service add: missing \"port\"" },
	{ "service add ns/a port 80", "service add: missing \"proto\"" },
	{ "service add ns/a proto icmp port 80",
	  "service add: unknown protocol \"icmp\" (tcp, udp, sctp)" },
	{ "service add ns/a proto tcp port 0",
	  "service add: invalid port \"0\": out of range (1..65535)" },
	{ "service add ns/a proto tcp port 65536",
	  "service add: invalid port \"65536\": out of range (1..65535)" },
	{ "service add ns/a proto tcp port http",
	  "service add: invalid port \"http\": not a number" },
	{ "service add ns/a proto tcp port",
	  "service add: missing value after \"port\"" },
	{ SVC "port 81", "service add: \"port\" given twice" },
	{ "service add ns/a proto tcp proto udp port 80",
	  "service add: \"proto\" given twice" },
	{ SVC "sched rr sched rr", "service add: \"sched\" given twice" },
	{ SVC "node-port 1 node-port 2", "service add: \"node-port\" given twice" },
	{ SVC "colour blue", "service add: unknown keyword \"colour\"" },
	{ SVC "sched wrr", "service add: unknown scheduler \"wrr\" (random, rr, maglev)" },
	{ SVC "affinity 86401",
	  "service add: invalid affinity \"86401\": out of range (seconds 0..86400, on, off)" },
	{ SVC "source-ranges 10.0.0.1/8",
	  "service add: invalid source-ranges \"10.0.0.1/8\": host bits are set" },
	{ SVC "external-policy nearest",
	  "service add: invalid external-policy \"nearest\" (local, cluster)" },
	{ SVC "affinity always",
	  "service add: invalid affinity \"always\": not a number (seconds 0..86400, on, off)" },
	{ SVC "node-port 65536",
	  "service add: invalid node-port \"65536\": out of range (0..65535)" },
	{ SVC "cluster-ip 10.0.0.256",
	  "service add: invalid cluster-ip \"10.0.0.256\": not an IPv4 or IPv6 address" },
	{ SVC "cluster-ip",
	  "service add: missing value after \"cluster-ip\"" },
	{ SVC "cluster-ip 0.0.0.0",
	  "service add: invalid cluster-ip \"0.0.0.0\": unspecified address" },
	{ SVC "external-ip 224.0.0.1",
	  "service add: invalid external-ip \"224.0.0.1\": multicast address" },
	{ SVC "lb-ip ff02::1",
	  "service add: invalid lb-ip \"ff02::1\": multicast address" },
	{ SVC "lb-ip ::", "service add: invalid lb-ip \"::\": unspecified address" },
	{ SVC "cluster-ip 255.255.255.255",
	  "service add: invalid cluster-ip \"255.255.255.255\": broadcast address" },
	{ SVC "cluster-ip 10.0.0.1 external-ip 10.0.0.1",
	  "service add: frontend 10.0.0.1 given twice" },
	{ SVC "cluster-ip fd00::1 lb-ip FD00:0::1",
	  "service add: frontend fd00::1 given twice" },
	{ "service add " LONG_NAME "x proto tcp port 80",
	  "service add: service name too long (257 bytes, 255 at most)" },
	{ "service add " LONG_NAME " proto tcp port 80",
	  "service add: service name too long (256 bytes, 255 at most)" },
	{ "service add a\\tb proto tcp port 80",
	  "service add: invalid service name \"a\tb\": printable characters only, no spaces" },
	{ "service set ns/a", "service set: nothing to change" },
	{ "service set ns/a proto", "service set: missing value after \"proto\"" },
	{ "service del", "service del: missing service name" },
	{ "service del ''", "service del: empty service name" },
	{ "service del ns/a extra", "service del: unexpected argument \"extra\"" },
	{ "service show", "service show: missing service name" },
	{ "service list x", "service list: unexpected argument \"x\"" },
	{ "backend", "backend: missing subcommand (replace, add, del)" },
	{ "backend frob ns/a", "backend: unknown subcommand \"frob\" (replace, add, del)" },
	{ "backend replace", "backend replace: missing service name" },
	{ "backend replace ns/a 10.0.0.1",
	  "backend replace: invalid endpoint \"10.0.0.1\": missing :PORT" },
	{ "backend replace ns/a 10.0.0.1:80 10.0.0.1:80@2",
	  "backend replace: duplicate endpoint 10.0.0.1:80" },
	{ "backend replace ns/a [fd00::1]:80 [fd00:0::1]:80",
	  "backend replace: duplicate endpoint [fd00::1]:80" },
	{ "backend replace ns/a 10.0.0.1:80@70000",
	  "backend replace: invalid endpoint \"10.0.0.1:80@70000\": weight out of range (0..65535)" },
	{ "backend replace ns/a 10.0.0.1:0",
	  "backend replace: invalid endpoint \"10.0.0.1:0\": port out of range (1..65535)" },
	{ "backend replace ns/a 2001:db8::1:80",
	  "backend replace: invalid endpoint \"2001:db8::1:80\": IPv6 address needs brackets: [ADDR]:PORT" },
	{ "backend replace ns/a 0.0.0.0:80",
	  "backend replace: invalid endpoint \"0.0.0.0:80\": unspecified address" },
	{ "backend add ns/a",
	  "backend add: missing endpoint (ADDR:PORT or [ADDR]:PORT)" },
	{ "backend add ns/a 10.0.0.1:80 weight",
	  "backend add: missing value after \"weight\"" },
	{ "backend add ns/a 10.0.0.1:80 weight x",
	  "backend add: invalid weight \"x\": not a number (0..65535)" },
	{ "backend add ns/a 10.0.0.1:80 weight 65536",
	  "backend add: invalid weight \"65536\": out of range (0..65535)" },
	{ "backend add ns/a 10.0.0.1:80@1 weight 2",
	  "backend add: weight given twice" },
	{ "backend add ns/a 10.0.0.1:80 10.0.0.2:80",
	  "backend add: unexpected argument \"10.0.0.2:80\"" },
	{ "backend del ns/a 10.0.0.1:80@2",
	  "backend del: no weight here: a backend is its address and port" },
	{ "backend del ns/a 10.0.0.1:80 weight 2",
	  "backend del: unexpected argument \"weight\"" },
	{ "stats a b", "stats: unexpected argument \"b\"" },
	{ "flush now", "flush: unexpected argument \"now\"" },
	{ "config", "config: missing subcommand (show, set)" },
	{ "config frob", "config: unknown subcommand \"frob\" (show, set)" },
	{ "config show x", "config show: unexpected argument \"x\"" },
	{ "config set",
	  "config set: missing KEY VALUE (cluster-cidr, masquerade-all, nodeport-localhost, nodeport-addresses, affinity-max)" },
	{ "config set colour blue",
	  "config set: unknown key \"colour\" (cluster-cidr, masquerade-all, nodeport-localhost, nodeport-addresses, affinity-max)" },
	{ "config set masquerade-all",
	  "config set: missing value after \"masquerade-all\"" },
	{ "config set masquerade-all maybe",
	  "config set: invalid masquerade-all \"maybe\" (0, 1, on, off, true, false)" },
	{ "config set masquerade-all 1 masquerade-all 0",
	  "config set: \"masquerade-all\" given twice" },
	{ "config set cluster-cidr 10.0.0.1/8",
	  "config set: invalid cluster-cidr \"10.0.0.1/8\": host bits are set" },
	{ "config set cluster-cidr 10.0.0.0/8,,fd00::/64",
	  "config set: invalid cluster-cidr \"\": missing /PREFIXLEN" },
	{ "config set cluster-cidr 10.0.0.0/8,",
	  "config set: invalid cluster-cidr \"\": missing /PREFIXLEN" },
	{ "config set cluster-cidr 10.0.0.0/8,10.0.0.0/8",
	  "config set: cluster-cidr 10.0.0.0/8 given twice" },
	{ "config set cluster-cidr " CIDRS17,
	  "config set: too many cluster CIDRs (16 at most)" },
	{ "config set nodeport-addresses 192.0.2.1/24",
	  "config set: invalid nodeport-addresses \"192.0.2.1/24\": host bits are set" },
	{ "config set nodeport-addresses primary",
	  "config set: invalid nodeport-addresses \"primary\": missing /PREFIXLEN" },
	{ "config set nodeport-addresses " CIDRS17,
	  "config set: too many node-port CIDRs (16 at most)" },
	{ "dump a b", "dump: unexpected argument \"b\"" },
	{ "help me", "help: unexpected argument \"me\"" },
};

/* Every bad line: status 2, exactly its line, nothing opened or sent. */
static void ksctl_test_bad(void **state)
{
	struct ksctl_run r;
	char want[1024];
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		ksctl_run(&r, bad[i].line);
		snprintf(want, sizeof(want), "ksctl: %s\n", bad[i].err);
		if (strcmp(r.err, want))
			fail_msg("\"%s\":\n got: %s want: %s", bad[i].line,
				 r.err, want);
		assert_int_equal(r.status, 2);
		assert_string_equal(r.out, "");
		assert_int_equal(fake.opens, 0);
		assert_int_equal(fake.nsent, 0);
		ksctl_run_free(&r);
	}
}

/* A good line reaches the kernel as one valid request, and says nothing. */
static void ksctl_test_sends(void **state)
{
	struct ksctl_run r;
	struct kp_req req;
	char why[KP_WHY_MAX];

	(void)state;
	ksctl_run(&r, "service add ns/a proto tcp port 80 cluster-ip 10.96.0.1 "
		      "node-port 30080");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	assert_int_equal(fake.nsent, 1);
	assert_int_equal(kp_check_request(fake.sent[0], FAKE_FAMILY, &req, why), 0);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_NEW);
	assert_int_equal(kp_count(req.tb[KSVC_A_SVC_FRONTENDS]), 1);
	/* One command is no batch: its cleanup is its own. */
	assert_null(req.tb[KSVC_A_REQ_FLAGS]);
	ksctl_run_free(&r);
}

static void refuse(const struct nlmsghdr *req, void *arg)
{
	const int *err = arg;

	fake_ack(req, err[0], err[1] ? "line one\nline two" : NULL);
}

static int refusal[2];

static void refuse_with(int err, bool extack)
{
	refusal[0] = err;
	refusal[1] = extack;
	fake.respond = refuse;
	fake.arg = refusal;
}

static void nothing_found(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	fake_done(req, 0, NULL, false);
}

static void extack_enoent(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	fake_ack(req, -ENOENT, "no service \"ns/x\"");
}

/* Failures of the operation: status 1 and one line saying why. */
static void ksctl_test_failures(void **state)
{
	struct ksctl_run r;

	(void)state;
	fake.family = 0;
	ksctl_run(&r, "service list");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: kservice module not loaded (modprobe kservice)\n");
	assert_int_equal(fake.opens, 1);
	ksctl_run_free(&r);
	fake.family = FAKE_FAMILY;

	fake.respond = extack_enoent;
	ksctl_run(&r, "service del ns/x");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: service del ns/x: no service \"ns/x\" (No such file or directory)\n");
	ksctl_run_free(&r);

	refuse_with(-ENOENT, false);
	ksctl_run(&r, "backend add ns/x 10.0.0.1:80");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: backend add ns/x: no such service\n");
	ksctl_run_free(&r);

	/* Several lines from the kernel still make one. */
	refuse_with(-EEXIST, true);
	ksctl_run(&r, "service add ns/a proto tcp port 80");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: service add ns/a: line one line two (File exists)\n");
	ksctl_run_free(&r);

	refuse_with(-EPERM, false);
	ksctl_run(&r, "flush");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: flush: Operation not permitted (CAP_NET_ADMIN needed)\n");
	ksctl_run_free(&r);

	refuse_with(-EINVAL, false);
	ksctl_run(&r, "config set masquerade-all 1");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: config set: Invalid argument\n");
	ksctl_run_free(&r);

	/* A dump of a name that finds nothing. */
	fake.respond = nothing_found;
	ksctl_run(&r, "service show ns/x");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "ksctl: service show ns/x: no such service\n");
	assert_string_equal(r.out, "");
	ksctl_run_free(&r);
}

/* Sent requests from..to-1 are changes with KSVC_REQ_F_DEFER_CT, and
 * request to is the one CT_CLEANUP, the last one sent. */
static void batched(size_t from, size_t to)
{
	char why[KP_WHY_MAX];
	struct kp_req req;
	uint32_t flags;
	size_t i;

	assert_int_equal(fake.nsent, to + 1);
	for (i = from; i <= to; i++) {
		assert_int_equal(kp_check_request(fake.sent[i], FAKE_FAMILY,
						  &req, why), 0);
		if (i == to) {
			assert_int_equal(req.cmd, KSVC_CMD_CT_CLEANUP);
			break;
		}
		assert_non_null(req.tb[KSVC_A_REQ_FLAGS]);
		memcpy(&flags, nla_data(req.tb[KSVC_A_REQ_FLAGS]), 4);
		assert_true(flags & KSVC_REQ_F_DEFER_CT);
	}
}

/* restore: a service added with its backends in one request, the other
 * lines one request each, comments and blank lines skipped, one socket,
 * one batch: every change deferred, one conntrack cleanup at the end. */
static void ksctl_test_restore(void **state)
{
	struct ksctl_run r;
	struct kp_req req;
	char why[KP_WHY_MAX];

	(void)state;
	ksctl_run_input(&r, "restore",
			"# a comment\n"
			"service add ns/a proto tcp port 80 cluster-ip 10.96.0.1\n"
			"backend replace ns/a 10.244.0.1:8080 10.244.0.2:8080\n"
			"\n"
			"service add ns/b proto tcp port 80\n"
			"backend replace ns/a 10.244.0.3:8080\n"
			"   backend add ns/b 10.244.0.4:8080\t\n"
			"service del ns/c");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	assert_int_equal(fake.opens, 1);
	batched(0, 5);
	assert_int_equal(kp_check_request(fake.sent[0], FAKE_FAMILY, &req, why), 0);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_NEW);
	assert_int_equal(kp_count(req.tb[KSVC_A_SVC_FRONTENDS]), 1);
	assert_int_equal(kp_count(req.tb[KSVC_A_SVC_BACKENDS]), 2);
	/* Another service's add between them: not folded. */
	assert_int_equal(kp_check_request(fake.sent[1], FAKE_FAMILY, &req, why), 0);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_NEW);
	assert_null(req.tb[KSVC_A_SVC_BACKENDS]);
	assert_int_equal(fake_cmd(fake.sent[2]), KSVC_CMD_BE_REPLACE);
	assert_int_equal(fake_cmd(fake.sent[3]), KSVC_CMD_BE_ADD);
	assert_int_equal(fake_cmd(fake.sent[4]), KSVC_CMD_SVC_DEL);
	ksctl_run_free(&r);

	/* Nothing to do is done. */
	fake_reset();
	ksctl_run_input(&r, "restore", "");
	assert_int_equal(r.status, 0);
	assert_int_equal(fake.nsent, 0);
	ksctl_run_free(&r);

	/* No change of a service: no cleanup. */
	ksctl_run_input(&r, "restore", "flush\nconfig set masquerade-all 1\n");
	assert_int_equal(r.status, 0);
	assert_int_equal(fake.nsent, 2);
	assert_int_equal(fake_cmd(fake.sent[0]), KSVC_CMD_FLUSH);
	assert_int_equal(fake_cmd(fake.sent[1]), KSVC_CMD_CFG_SET);
	ksctl_run_free(&r);
}

/* A bad line anywhere sends nothing and names its line. */
static void ksctl_test_restore_bad(void **state)
{
	static const struct {
		const char *input;
		const char *err;
	} bad[] = {
		{ "service add ns/a proto tcp port 80\nservice add ns/b proto tcp\n",
		  "ksctl: restore: line 2: service add: missing \"port\"\n" },
		{ "flush\nservice list\n",
		  "ksctl: restore: line 2: service list: not taken by restore (only changes are)\n" },
		{ "dump\n",
		  "ksctl: restore: line 1: dump: not taken by restore (only changes are)\n" },
		{ "restore\n",
		  "ksctl: restore: line 1: restore: not taken by restore (only changes are)\n" },
		{ "-j service del ns/a\n",
		  "ksctl: restore: line 1: options are not taken here\n" },
		{ "\n\nfrob\n",
		  "ksctl: restore: line 3: unknown command \"frob\" (try \"ksctl help\")\n" },
	};
	struct ksctl_run r;
	size_t i;

	(void)state;
	for (i = 0; i < N(bad); i++) {
		ksctl_run_input(&r, "restore", bad[i].input);
		assert_string_equal(r.err, bad[i].err);
		assert_int_equal(r.status, 2);
		assert_int_equal(fake.opens, 0);
		assert_int_equal(fake.nsent, 0);
		ksctl_run_free(&r);
	}
	ksctl_run(&r, "restore now");
	assert_string_equal(r.err, "ksctl: restore: unexpected argument \"now\"\n");
	assert_int_equal(r.status, 2);
	ksctl_run_free(&r);
}

/* Refuses the second request to the family, acks the others. */
static void refuse_second(const struct nlmsghdr *req, void *arg)
{
	int *seen = arg;

	fake_ack(req, ++*seen == 2 ? -EEXIST : 0, NULL);
}

/* A restore of input that fails with the one line err, its changes one
 * batch whose CT_CLEANUP is request cleanup, the last. */
static void restore_fails(const char *input, const char *err, size_t cleanup)
{
	struct ksctl_run r;

	ksctl_run_input(&r, "restore", input);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, err);
	batched(0, cleanup);
	ksctl_run_free(&r);
}

/* The kernel refuses a line: the run stops there and says which; the
 * lines before it are done, and their cleanup. */
static void ksctl_test_restore_refused(void **state)
{
	int seen = 0;

	(void)state;
	fake.respond = refuse_second;
	fake.arg = &seen;
	restore_fails("service add ns/a proto tcp port 80\n"
		      "backend replace ns/a 10.0.0.1:80\n"
		      "service add ns/b proto tcp port 80\n"
		      "service add ns/c proto tcp port 80\n",
		      "ksctl: restore: line 3: service add ns/b: File exists\n",
		      2);
}

/* Refuses CT_CLEANUP, and BE_DEL as if the backend were not there; acks
 * the others. */
static void refuse_cleanup(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	if (fake_cmd(req) == KSVC_CMD_CT_CLEANUP)
		fake_ack(req, -EPERM, "not now");
	else
		fake_ack(req, fake_cmd(req) == KSVC_CMD_BE_DEL ? -ENOENT : 0,
			 NULL);
}

/* The cleanup at the end refused: status 1 and one line saying so; after
 * a refused line, only the line's error. */
static void ksctl_test_restore_cleanup_refused(void **state)
{
	(void)state;
	fake.respond = refuse_cleanup;
	restore_fails("service add ns/a proto udp port 53\n"
		      "backend add ns/a 10.0.0.1:53\n",
		      "ksctl: restore: conntrack cleanup: not now (Operation not permitted)\n",
		      2);
	fake_reset();
	fake.respond = refuse_cleanup;
	restore_fails("service add ns/a proto udp port 53\n"
		      "backend del ns/a 10.0.0.9:53\n"
		      "service del ns/a\n",
		      "ksctl: restore: line 2: backend del ns/a: no such service\n",
		      2);
}

/* help and --version print without the kernel. */
static void ksctl_test_help(void **state)
{
	struct ksctl_run r;

	(void)state;
	ksctl_run(&r, "help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "backend replace NAME"));
	assert_string_equal(r.err, "");
	ksctl_run_free(&r);
	ksctl_run(&r, "--version");
	assert_int_equal(r.status, 0);
	assert_true(!strncmp(r.out, "ksctl ", 6));
	ksctl_run_free(&r);
	assert_int_equal(fake.opens, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(ksctl_test_good),
		T(ksctl_test_bad),
		T(ksctl_test_sends),
		T(ksctl_test_failures),
		T(ksctl_test_help),
		T(ksctl_test_restore),
		T(ksctl_test_restore_bad),
		T(ksctl_test_restore_refused),
		T(ksctl_test_restore_cleanup_refused),
#undef T
	};

	return cmocka_run_group_tests_name("ksctl", tests, NULL, NULL);
}
