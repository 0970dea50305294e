// SPDX-License-Identifier: GPL-2.0
/*
 * libksvc's requests, built without a socket and read back through the
 * kernel's strict policies (kpolicy.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/msg.h>

#include "kpolicy.h"
#include "ksvc_msg.h"
#include "ksvc_text.h"

#define FAMILY	0x33

static struct nlmsghdr *hdr(struct nl_msg *msg)
{
	return nlmsg_hdr(msg);
}

/* Checks msg against the kernel's policies; fails the test with why.
 * The flags nl_send_auto() would add on the way out are added first. */
static void check(struct nl_msg *msg, struct kp_req *req)
{
	char why[KP_WHY_MAX];
	int ret;

	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	ret = kp_check_request(hdr(msg), FAMILY, req, why);
	if (ret)
		fail_msg("kernel would refuse: %d %s", ret, why);
}

static uint8_t u8(const struct nlattr *a)
{
	return *(const uint8_t *)nla_data(a);
}

static uint16_t u16(const struct nlattr *a)
{
	uint16_t v;

	memcpy(&v, nla_data(a), 2);
	return v;
}

static uint32_t u32(const struct nlattr *a)
{
	uint32_t v;

	memcpy(&v, nla_data(a), 4);
	return v;
}

static uint64_t u64(const struct nlattr *a)
{
	uint64_t v;

	memcpy(&v, nla_data(a), 8);
	return v;
}

static void fe(struct ksvc_service *svc, uint8_t kind, const char *addr)
{
	struct ksvc_frontend f = { .kind = kind };

	assert_int_equal(ksvc_parse_addr(addr, &f.addr, NULL), 0);
	assert_int_equal(ksvc_service_add_frontend(svc, &f), 0);
}

static void be(struct ksvc_service *svc, const char *ep)
{
	struct ksvc_backend b;

	ksvc_backend_init(&b);
	assert_int_equal(ksvc_parse_endpoint(ep, &b, NULL, NULL), 0);
	assert_int_equal(ksvc_service_add_backend(svc, &b), 0);
}

/* 0..n-1 as a mix of IPv4 and IPv6 endpoints with varied weights. */
static void many(struct ksvc_service *svc, size_t n)
{
	struct ksvc_backend b;
	size_t i;

	for (i = 0; i < n; i++) {
		ksvc_backend_init(&b);
		if (i % 3 == 2) {
			b.addr.family = AF_INET6;
			b.addr.raw[0] = 0xfd;
			b.addr.raw[14] = (uint8_t)(i >> 8);
			b.addr.raw[15] = (uint8_t)i;
		} else {
			b.addr.family = AF_INET;
			b.addr.raw[0] = 10;
			b.addr.raw[2] = (uint8_t)(i >> 8);
			b.addr.raw[3] = (uint8_t)i;
		}
		b.port = (uint16_t)(1 + i % 65535);
		b.weight = (uint32_t)(i % 7);
		assert_int_equal(ksvc_service_add_backend(svc, &b), 0);
	}
}

static bool same_backends(const struct ksvc_service *a,
			  const struct ksvc_service *b)
{
	size_t i;

	if (a->nbackends != b->nbackends)
		return false;
	for (i = 0; i < a->nbackends; i++)
		if (!ksvc_addr_equal(&a->backends[i].addr, &b->backends[i].addr) ||
		    a->backends[i].port != b->backends[i].port ||
		    a->backends[i].weight != b->backends[i].weight ||
		    a->backends[i].flags != b->backends[i].flags)
			return false;
	return true;
}

/* SVC_NEW with everything: each field in its attribute, lists whole. */
static void msg_test_svc_new_full(void **state)
{
	struct ksvc_service svc, got;
	struct nl_msg *msg;
	struct kp_req req;

	(void)state;
	ksvc_service_init(&svc);
	ksvc_service_init(&got);
	ksvc_service_set_name(&svc, "default/web:http");
	svc.proto = IPPROTO_TCP;
	svc.port = 80;
	svc.node_port = 30080;
	svc.sched = KSVC_SCHED_RR;
	svc.generation = 0x1122334455667788ULL;
	fe(&svc, KSVC_FE_CLUSTER_IP, "10.96.0.10");
	fe(&svc, KSVC_FE_CLUSTER_IP, "fd00::10");
	fe(&svc, KSVC_FE_EXTERNAL_IP, "192.0.2.1");
	fe(&svc, KSVC_FE_LOAD_BALANCER_IP, "2001:db8::5");
	be(&svc, "10.0.0.1:8080@3");
	be(&svc, "[fd00::1]:8080");
	svc.has = KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_SCHED |
		  KSVC_SVC_HAS_GENERATION | KSVC_SVC_HAS_FRONTENDS |
		  KSVC_SVC_HAS_BACKENDS | KSVC_SVC_HAS_FLAGS;

	assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, 0, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_NEW);
	assert_false(req.nlflags & NLM_F_DUMP);
	assert_string_equal(nla_data(req.tb[KSVC_A_SVC_NAME]), "default/web:http");
	assert_int_equal(u8(req.tb[KSVC_A_SVC_PROTO]), IPPROTO_TCP);
	assert_int_equal(u16(req.tb[KSVC_A_SVC_PORT]), 80);
	assert_int_equal(u16(req.tb[KSVC_A_SVC_NODE_PORT]), 30080);
	assert_int_equal(u8(req.tb[KSVC_A_SVC_SCHED]), KSVC_SCHED_RR);
	assert_int_equal(u32(req.tb[KSVC_A_SVC_FLAGS]), 0);
	assert_true(u64(req.tb[KSVC_A_SVC_GENERATION]) == 0x1122334455667788ULL);
	assert_int_equal(KSVC_GENL_VERSION,
			 ((struct genlmsghdr *)nlmsg_data(hdr(msg)))->version);

	kp_frontends(req.tb[KSVC_A_SVC_FRONTENDS], &got);
	assert_int_equal(got.nfrontends, 4);
	assert_int_equal(got.frontends[3].kind, KSVC_FE_LOAD_BALANCER_IP);
	assert_true(ksvc_addr_equal(&got.frontends[1].addr,
				    &svc.frontends[1].addr));
	kp_backends(req.tb[KSVC_A_SVC_BACKENDS], &got);
	assert_true(same_backends(&svc, &got));
	assert_int_equal(got.backends[0].weight, 3);
	assert_int_equal(got.backends[1].weight, KSVC_WEIGHT_DEFAULT);

	nlmsg_free(msg);
	ksvc_service_release(&svc);
	ksvc_service_release(&got);
}

/* A UDP service at port 53, nothing else given. */
static void udp_svc(struct ksvc_service *svc, const char *name)
{
	ksvc_service_init(svc);
	ksvc_service_set_name(svc, name);
	svc->proto = IPPROTO_UDP;
	svc->port = 53;
}

/* SVC_NEW always sends name, proto and port, and nothing it was not given. */
static void msg_test_svc_new_minimal(void **state)
{
	struct ksvc_service svc;
	struct nl_msg *msg;
	struct kp_req req;
	int type;

	(void)state;
	udp_svc(&svc, "ns/dns:udp");
	assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, 0, &msg), 0);
	check(msg, &req);
	for (type = 1; type <= KSVC_A_MAX; type++)
		assert_int_equal(!!req.tb[type], type == KSVC_A_SVC_NAME ||
						 type == KSVC_A_SVC_PROTO ||
						 type == KSVC_A_SVC_PORT);
	nlmsg_free(msg);
	ksvc_service_release(&svc);
}

/* SVC_SET sends only what has names: an empty frontend list as an empty
 * nest (remove them all), node port 0 (remove it). */
static void msg_test_svc_set(void **state)
{
	struct ksvc_service svc;
	struct nl_msg *msg;
	struct kp_req req;
	int type;

	(void)state;
	ksvc_service_init(&svc);
	ksvc_service_set_name(&svc, "a");
	svc.port = 443;		/* not in has: not sent */
	svc.has = KSVC_SVC_HAS_SCHED;
	assert_int_equal(ksvc_msg_svc_set(FAMILY, &svc, 0, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_SET);
	for (type = 1; type <= KSVC_A_MAX; type++)
		assert_int_equal(!!req.tb[type], type == KSVC_A_SVC_NAME ||
						 type == KSVC_A_SVC_SCHED);
	nlmsg_free(msg);

	svc.has = KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_NODE_PORT;
	assert_int_equal(ksvc_msg_svc_set(FAMILY, &svc, 0, &msg), 0);
	check(msg, &req);
	assert_non_null(req.tb[KSVC_A_SVC_FRONTENDS]);
	assert_int_equal(nla_len(req.tb[KSVC_A_SVC_FRONTENDS]), 0);
	assert_true(req.tb[KSVC_A_SVC_FRONTENDS]->nla_type & NLA_F_NESTED);
	assert_int_equal(u16(req.tb[KSVC_A_SVC_NODE_PORT]), 0);
	assert_null(req.tb[KSVC_A_SVC_PORT]);
	nlmsg_free(msg);
	ksvc_service_release(&svc);
}

/* Names: 1..255 bytes; an address of no known family is refused. */
static void msg_test_bad_input(void **state)
{
	char name[KSVC_NAME_MAX + 1];
	struct ksvc_service svc;
	struct ksvc_backend b;
	struct nl_msg *msg = NULL;
	struct kp_req req;

	(void)state;
	ksvc_service_init(&svc);
	svc.proto = IPPROTO_TCP;
	svc.port = 1;
	assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, 0, &msg), -EINVAL);
	assert_int_equal(ksvc_msg_svc_del(FAMILY, "", 0, &msg), -EINVAL);
	assert_int_equal(ksvc_msg_svc_del(FAMILY, NULL, 0, &msg), -EINVAL);
	memset(name, 'n', sizeof(name));
	name[KSVC_NAME_MAX] = '\0';
	assert_int_equal(ksvc_msg_svc_del(FAMILY, name, 0, &msg), -ENAMETOOLONG);
	assert_int_equal(ksvc_msg_svc_get(FAMILY, name, 0, &msg), -ENAMETOOLONG);
	assert_null(msg);

	/* The longest name the kernel takes. */
	name[KSVC_NAME_MAX - 1] = '\0';
	assert_int_equal(ksvc_msg_svc_del(FAMILY, name, 0, &msg), 0);
	check(msg, &req);
	nlmsg_free(msg);

	ksvc_backend_init(&b);
	b.addr.family = AF_UNIX;
	b.port = 80;
	assert_int_equal(ksvc_msg_be_one(FAMILY, KSVC_CMD_BE_ADD, "a", &b, 0,
					 &msg), -EAFNOSUPPORT);
	assert_int_equal(ksvc_msg_be_one(FAMILY, KSVC_CMD_SVC_DEL, "a", &b, 0,
					 &msg), -EINVAL);
}

/* SVC_DEL and SVC_GET: a name, and for the dump NLM_F_DUMP and flags. */
static void msg_test_del_get(void **state)
{
	struct nl_msg *msg;
	struct kp_req req;

	(void)state;
	assert_int_equal(ksvc_msg_svc_del(FAMILY, "ns/x", 0, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_DEL);
	assert_string_equal(nla_data(req.tb[KSVC_A_SVC_NAME]), "ns/x");
	nlmsg_free(msg);

	assert_int_equal(ksvc_msg_svc_get(FAMILY, NULL, 0, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_SVC_GET);
	assert_true((req.nlflags & NLM_F_DUMP) == NLM_F_DUMP);
	assert_null(req.tb[KSVC_A_SVC_NAME]);
	assert_null(req.tb[KSVC_A_REQ_FLAGS]);
	nlmsg_free(msg);

	assert_int_equal(ksvc_msg_svc_get(FAMILY, "ns/x", KSVC_REQ_F_BACKENDS,
					  &msg), 0);
	check(msg, &req);
	assert_string_equal(nla_data(req.tb[KSVC_A_SVC_NAME]), "ns/x");
	assert_int_equal(u32(req.tb[KSVC_A_REQ_FLAGS]), KSVC_REQ_F_BACKENDS);
	nlmsg_free(msg);
}

/* BE_ADD and BE_DEL: exactly one member. */
static void msg_test_be_one(void **state)
{
	struct ksvc_service got;
	struct ksvc_backend b;
	struct nl_msg *msg;
	struct kp_req req;
	uint8_t cmd;

	(void)state;
	for (cmd = KSVC_CMD_BE_ADD; cmd <= KSVC_CMD_BE_DEL; cmd++) {
		ksvc_service_init(&got);
		ksvc_backend_init(&b);
		assert_int_equal(ksvc_parse_endpoint("[2001:db8::7]:9@0", &b,
						     NULL, NULL), 0);
		assert_int_equal(ksvc_msg_be_one(FAMILY, cmd, "s", &b, 0, &msg), 0);
		check(msg, &req);
		assert_int_equal(req.cmd, cmd);
		assert_int_equal(kp_count(req.tb[KSVC_A_SVC_BACKENDS]), 1);
		kp_backends(req.tb[KSVC_A_SVC_BACKENDS], &got);
		assert_int_equal(got.backends[0].port, 9);
		assert_int_equal(got.backends[0].weight, 0);
		assert_true(ksvc_addr_equal(&got.backends[0].addr, &b.addr));
		nlmsg_free(msg);
		ksvc_service_release(&got);
	}
}

/* FLUSH, CFG_GET and CT_CLEANUP carry no attributes at all. */
static void msg_test_no_attrs(void **state)
{
	struct nl_msg *msg;
	struct kp_req req;
	int type;

	(void)state;
	assert_int_equal(ksvc_msg_flush(FAMILY, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_FLUSH);
	for (type = 1; type <= KSVC_A_MAX; type++)
		assert_null(req.tb[type]);
	nlmsg_free(msg);
	assert_int_equal(ksvc_msg_cfg_get(FAMILY, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_CFG_GET);
	nlmsg_free(msg);
	assert_int_equal(ksvc_msg_ct_cleanup(FAMILY, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_CT_CLEANUP);
	assert_int_equal(hdr(msg)->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);
	nlmsg_free(msg);
}

/* CFG_SET: the CIDR list whole (empty clears it) and the two switches. */
static void msg_test_cfg_set(void **state)
{
	struct ksvc_config cfg = { 0 };
	struct nl_msg *msg;
	struct kp_req req;

	(void)state;
	cfg.has = KSVC_CFG_HAS_CLUSTER_CIDRS | KSVC_CFG_HAS_MASQUERADE_ALL;
	assert_int_equal(ksvc_parse_cidr("10.0.0.0/8", &cfg.cluster_cidrs[0],
					 NULL), 0);
	assert_int_equal(ksvc_parse_cidr("fd00::/64", &cfg.cluster_cidrs[1],
					 NULL), 0);
	cfg.ncluster_cidrs = 2;
	cfg.masquerade_all = true;
	cfg.nodeport_localhost = true;	/* not in has: not sent */
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), 0);
	check(msg, &req);
	assert_int_equal(req.cmd, KSVC_CMD_CFG_SET);
	assert_int_equal(kp_count(req.tb[KSVC_A_CFG_CLUSTER_CIDRS]), 2);
	assert_int_equal(u8(req.tb[KSVC_A_CFG_MASQUERADE_ALL]), 1);
	assert_null(req.tb[KSVC_A_CFG_NODEPORT_LOCALHOST]);
	nlmsg_free(msg);

	cfg.has = KSVC_CFG_HAS_CLUSTER_CIDRS | KSVC_CFG_HAS_NODEPORT_LOCALHOST;
	cfg.ncluster_cidrs = 0;
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), 0);
	check(msg, &req);
	assert_non_null(req.tb[KSVC_A_CFG_CLUSTER_CIDRS]);
	assert_int_equal(kp_count(req.tb[KSVC_A_CFG_CLUSTER_CIDRS]), 0);
	assert_int_equal(u8(req.tb[KSVC_A_CFG_NODEPORT_LOCALHOST]), 1);
	nlmsg_free(msg);

	cfg.ncluster_cidrs = KSVC_CIDRS_MAX + 1;
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), -E2BIG);

	/* Node-port CIDRs: their own attribute, sent only when in has. */
	cfg.has = KSVC_CFG_HAS_NODEPORT_CIDRS;
	cfg.ncluster_cidrs = 0;
	assert_int_equal(ksvc_parse_cidr("192.0.2.0/24", &cfg.nodeport_cidrs[0],
					 NULL), 0);
	cfg.nnodeport_cidrs = 1;
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), 0);
	check(msg, &req);
	assert_null(req.tb[KSVC_A_CFG_CLUSTER_CIDRS]);
	assert_int_equal(kp_count(req.tb[KSVC_A_CFG_NODEPORT_CIDRS]), 1);
	nlmsg_free(msg);

	cfg.nnodeport_cidrs = 0;
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), 0);
	check(msg, &req);
	assert_non_null(req.tb[KSVC_A_CFG_NODEPORT_CIDRS]);
	assert_int_equal(kp_count(req.tb[KSVC_A_CFG_NODEPORT_CIDRS]), 0);
	nlmsg_free(msg);

	cfg.nnodeport_cidrs = KSVC_CIDRS_MAX + 1;
	assert_int_equal(ksvc_msg_cfg_set(FAMILY, &cfg, &msg), -E2BIG);
}

/* Splits the set of svc into BE_REPLACE parts, checking each as the kernel
 * would and gathering their backends into got; returns the part count. */
static size_t replace_parts(const struct ksvc_service *svc,
			    struct ksvc_service *got)
{
	struct nl_msg *msg;
	struct kp_req req;
	size_t pos = 0, parts = 0;
	uint32_t flags, want;

	do {
		assert_int_equal(ksvc_msg_be_replace(FAMILY, svc->name,
						     svc->backends,
						     svc->nbackends, &pos, 0,
						     &msg),
				 0);
		check(msg, &req);
		assert_int_equal(req.cmd, KSVC_CMD_BE_REPLACE);
		assert_string_equal(nla_data(req.tb[KSVC_A_SVC_NAME]), svc->name);
		assert_true(req.tb[KSVC_A_SVC_BACKENDS]->nla_len <=
			    NLA_HDRLEN + KSVC_BE_BUDGET);
		flags = req.tb[KSVC_A_REQ_FLAGS] ?
			u32(req.tb[KSVC_A_REQ_FLAGS]) : 0;
		want = (parts ? KSVC_REQ_F_CONTINUE : 0) |
		       (pos < svc->nbackends ? KSVC_REQ_F_MORE : 0);
		assert_int_equal(flags, want);
		kp_backends(req.tb[KSVC_A_SVC_BACKENDS], got);
		nlmsg_free(msg);
		parts++;
	} while (pos < svc->nbackends);
	return parts;
}

/* 5000 backends: several parts, MORE on all but the last, CONTINUE on all
 * but the first, every nest under the budget, and together the set. */
static void msg_test_be_replace_chunks(void **state)
{
	struct ksvc_service svc, got;
	size_t parts;

	(void)state;
	ksvc_service_init(&svc);
	ksvc_service_init(&got);
	ksvc_service_set_name(&svc, "big/set");
	many(&svc, 5000);
	parts = replace_parts(&svc, &got);
	assert_true(parts >= 5000 * 36 / KSVC_BE_BUDGET + 1);
	assert_true(parts < 20);
	assert_true(same_backends(&svc, &got));
	ksvc_service_release(&svc);
	ksvc_service_release(&got);
}

/* Small sets and the empty set are one message without flags. */
static void msg_test_be_replace_small(void **state)
{
	struct ksvc_service svc, got;
	size_t n;

	(void)state;
	for (n = 0; n < 3; n++) {
		ksvc_service_init(&svc);
		ksvc_service_init(&got);
		ksvc_service_set_name(&svc, "small");
		many(&svc, n);
		assert_int_equal(replace_parts(&svc, &got), 1);
		assert_true(same_backends(&svc, &got));
		ksvc_service_release(&svc);
		ksvc_service_release(&got);
	}
}

/* Where one part ends: the largest set that fits one message is one
 * message, one more backend makes two. */
static void msg_test_be_replace_boundary(void **state)
{
	struct ksvc_service svc, got;
	struct nl_msg *msg;
	size_t pos = 0, fit;

	(void)state;
	ksvc_service_init(&svc);
	ksvc_service_set_name(&svc, "edge");
	many(&svc, 3000);
	assert_int_equal(ksvc_msg_be_replace(FAMILY, svc.name, svc.backends,
					     svc.nbackends, &pos, 0, &msg), 0);
	nlmsg_free(msg);
	fit = pos;
	assert_true(fit > 500 && fit < 3000);

	svc.nbackends = fit;
	ksvc_service_init(&got);
	assert_int_equal(replace_parts(&svc, &got), 1);
	ksvc_service_release(&got);
	svc.nbackends = fit + 1;
	ksvc_service_init(&got);
	assert_int_equal(replace_parts(&svc, &got), 2);
	assert_true(same_backends(&svc, &got));
	ksvc_service_release(&got);

	/* SVC_NEW carries its set whole or not at all. */
	svc.proto = IPPROTO_TCP;
	svc.port = 1;
	svc.has = KSVC_SVC_HAS_BACKENDS;
	svc.nbackends = fit + 1;
	assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, 0, &msg), -EMSGSIZE);
	svc.nbackends = fit;
	assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, 0, &msg), 0);
	nlmsg_free(msg);
	svc.nbackends = 3000;
	ksvc_service_release(&svc);
}

/* The request flags of msg as the kernel reads them, 0 without any. */
static uint32_t flags_of(struct nl_msg *msg)
{
	struct kp_req req;

	check(msg, &req);
	return req.tb[KSVC_A_REQ_FLAGS] ? u32(req.tb[KSVC_A_REQ_FLAGS]) : 0;
}

/* Every change carries the request flags it is given, BE_REPLACE's parts
 * with their own beside them; without any, no KSVC_A_REQ_FLAGS. */
static void msg_test_req_flags(void **state)
{
	const uint32_t d = KSVC_REQ_F_DEFER_CT;
	struct ksvc_service svc;
	struct nl_msg *msg;
	size_t pos = 0, n;
	uint8_t cmd;

	(void)state;
	udp_svc(&svc, "ns/flags");
	svc.has = KSVC_SVC_HAS_BACKENDS;
	many(&svc, 3000);
	n = svc.nbackends;
	svc.nbackends = 2;
	for (uint32_t f = 0; f <= d; f += d) {
		assert_int_equal(ksvc_msg_svc_new(FAMILY, &svc, f, &msg), 0);
		assert_int_equal(flags_of(msg), f);
		nlmsg_free(msg);
		assert_int_equal(ksvc_msg_svc_set(FAMILY, &svc, f, &msg), 0);
		assert_int_equal(flags_of(msg), f);
		nlmsg_free(msg);
		assert_int_equal(ksvc_msg_svc_del(FAMILY, svc.name, f, &msg), 0);
		assert_int_equal(flags_of(msg), f);
		nlmsg_free(msg);
		for (cmd = KSVC_CMD_BE_ADD; cmd <= KSVC_CMD_BE_DEL; cmd++) {
			assert_int_equal(ksvc_msg_be_one(FAMILY, cmd, svc.name,
							 svc.backends, f,
							 &msg), 0);
			assert_int_equal(flags_of(msg), f);
			nlmsg_free(msg);
		}
	}
	/* A set in parts: the first MORE, the middle ones MORE and
	 * CONTINUE, the last CONTINUE, every one DEFER_CT. */
	svc.nbackends = n;
	for (int part = 0; pos < svc.nbackends; part++) {
		uint32_t want = d | (part ? KSVC_REQ_F_CONTINUE : 0);

		assert_int_equal(ksvc_msg_be_replace(FAMILY, svc.name,
						     svc.backends,
						     svc.nbackends, &pos, d,
						     &msg), 0);
		if (pos < svc.nbackends)
			want |= KSVC_REQ_F_MORE;
		assert_int_equal(flags_of(msg), want);
		nlmsg_free(msg);
	}
	/* One part alone: DEFER_CT only. */
	pos = 0;
	assert_int_equal(ksvc_msg_be_replace(FAMILY, svc.name, svc.backends, 1,
					     &pos, d, &msg), 0);
	assert_int_equal(flags_of(msg), d);
	nlmsg_free(msg);
	ksvc_service_release(&svc);
}

/* The controller's GETFAMILY asks for kservice by name. */
static void msg_test_ctrl(void **state)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];
	struct nl_msg *msg;

	(void)state;
	assert_int_equal(ksvc_msg_ctrl_getfamily(KSVC_GENL_NAME, &msg), 0);
	assert_int_equal(hdr(msg)->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(((struct genlmsghdr *)nlmsg_data(hdr(msg)))->cmd,
			 CTRL_CMD_GETFAMILY);
	assert_int_equal(nlmsg_parse(hdr(msg), GENL_HDRLEN, tb, CTRL_ATTR_MAX,
				     NULL), 0);
	assert_string_equal(nla_get_string(tb[CTRL_ATTR_FAMILY_NAME]),
			    "kservice");
	nlmsg_free(msg);
}

/* The test's kernel really is strict: it refuses what it should. */
static void msg_test_policy_selfcheck(void **state)
{
	struct nl_msg *msg;
	struct kp_req req;
	struct nlattr *nest;
	char why[KP_WHY_MAX];

	(void)state;
	/* Not a request: only what nl_send_auto() completes is. */
	assert_int_equal(ksvc_msg_flush(FAMILY, &msg), 0);
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), -EINVAL);
	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), 0);
	assert_int_equal(kp_check_request(hdr(msg), FAMILY + 1, &req, why),
			 -ENOENT);
	nlmsg_free(msg);
	/* A u16 port sent as u32. */
	assert_int_equal(ksvc_msg_svc_del(FAMILY, "x", 0, &msg), 0);
	nla_put_u32(msg, KSVC_A_SVC_PORT, 80);
	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), -EINVAL);
	nlmsg_free(msg);
	/* A nest without NLA_F_NESTED. */
	assert_int_equal(ksvc_msg_svc_set(FAMILY, &(struct ksvc_service){
		.name = "x" }, 0, &msg), 0);
	nla_put(msg, KSVC_A_SVC_FRONTENDS, 0, NULL);
	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), -EINVAL);
	assert_string_equal(why, "attribute 8: NLA_F_NESTED is missing");
	nlmsg_free(msg);
	/* An attribute the command does not take. */
	assert_int_equal(ksvc_msg_flush(FAMILY, &msg), 0);
	nla_put_string(msg, KSVC_A_SVC_NAME, "x");
	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), -EINVAL);
	nlmsg_free(msg);
	/* Port 0 in a backend. */
	assert_int_equal(ksvc_msg_svc_del(FAMILY, "x", 0, &msg), 0);
	hdr(msg)->nlmsg_flags |= NLM_F_REQUEST;
	((struct genlmsghdr *)nlmsg_data(hdr(msg)))->cmd = KSVC_CMD_BE_ADD;
	nest = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
	nla_nest_start(msg, 0);
	nla_put_u16(msg, KSVC_BE_A_FAMILY, AF_INET);
	nla_put(msg, KSVC_BE_A_ADDR, 4, "\x0a\0\0\x01");
	nla_put_u16(msg, KSVC_BE_A_PORT, 0);
	nest->nla_len = (uint16_t)((char *)nlmsg_tail(hdr(msg)) - (char *)nest);
	((struct nlattr *)((char *)nest + NLA_HDRLEN))->nla_len =
		(uint16_t)(nest->nla_len - NLA_HDRLEN);
	assert_int_equal(kp_check_request(hdr(msg), FAMILY, &req, why), -ERANGE);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(msg_test_svc_new_full),
		cmocka_unit_test(msg_test_svc_new_minimal),
		cmocka_unit_test(msg_test_svc_set),
		cmocka_unit_test(msg_test_bad_input),
		cmocka_unit_test(msg_test_del_get),
		cmocka_unit_test(msg_test_be_one),
		cmocka_unit_test(msg_test_no_attrs),
		cmocka_unit_test(msg_test_cfg_set),
		cmocka_unit_test(msg_test_be_replace_chunks),
		cmocka_unit_test(msg_test_be_replace_small),
		cmocka_unit_test(msg_test_be_replace_boundary),
		cmocka_unit_test(msg_test_req_flags),
		cmocka_unit_test(msg_test_ctrl),
		cmocka_unit_test(msg_test_policy_selfcheck),
	};

	return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
