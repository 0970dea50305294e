// SPDX-License-Identifier: GPL-2.0
/*
 * libksvc reading what the kernel sends: dumped services and their
 * continuations, the configuration, the controller, acks and extacks.
 * The messages are made here the way the kernel makes them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ksvc_msg.h"
#include "ksvc_text.h"

#define FAMILY	0x33

static struct nl_msg *reply(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536);

	genlmsg_put(msg, 1, 1, FAMILY, 0, NLM_F_MULTI, cmd, 1);
	return msg;
}

/* u64 as the kernel puts them: a PAD attribute first when unaligned. */
static void put_u64(struct nl_msg *msg, int type, uint64_t v, int pad)
{
	if (((uintptr_t)nlmsg_tail(nlmsg_hdr(msg)) + NLA_HDRLEN) % 8)
		nla_put(msg, pad, 0, NULL);
	nla_put_u64(msg, type, v);
}

static void put_stats(struct nl_msg *msg, int type, uint64_t base,
		      bool rejects)
{
	struct nlattr *n = nla_nest_start(msg, type);

	put_u64(msg, KSVC_STATS_A_CONNS, base + 1, KSVC_STATS_A_PAD);
	put_u64(msg, KSVC_STATS_A_PACKETS, base + 2, KSVC_STATS_A_PAD);
	put_u64(msg, KSVC_STATS_A_BYTES, base + 3, KSVC_STATS_A_PAD);
	if (rejects)
		put_u64(msg, KSVC_STATS_A_REJECTS, base + 4, KSVC_STATS_A_PAD);
	nla_nest_end(msg, n);
}

static void put_backends(struct nl_msg *msg, int first, int n)
{
	struct nlattr *list = nla_nest_start(msg, KSVC_A_SVC_BACKENDS), *m;
	uint8_t a4[4] = { 10, 0, 0, 0 };
	int i;

	for (i = first; i < first + n; i++) {
		m = nla_nest_start(msg, 0);
		a4[3] = (uint8_t)i;
		nla_put_u16(msg, KSVC_BE_A_FAMILY, AF_INET);
		nla_put(msg, KSVC_BE_A_ADDR, 4, a4);
		nla_put_u16(msg, KSVC_BE_A_PORT, (uint16_t)(8000 + i));
		nla_put_u32(msg, KSVC_BE_A_WEIGHT, (uint32_t)i);
		nla_put_u32(msg, KSVC_BE_A_FLAGS, 0);
		put_stats(msg, KSVC_BE_A_STATS, (uint64_t)i * 10, false);
		nla_nest_end(msg, m);
	}
	nla_nest_end_keep_empty(msg, list);
}

/* The first message of a service, as SVC_GET sends it. */
static struct nl_msg *head(const char *name, uint32_t count)
{
	struct nl_msg *msg = reply(KSVC_CMD_SVC_GET);
	struct nlattr *list, *m;
	uint8_t a6[16] = { 0xfd };

	nla_put_string(msg, KSVC_A_SVC_NAME, name);
	nla_put_u8(msg, KSVC_A_SVC_PROTO, IPPROTO_SCTP);
	nla_put_u16(msg, KSVC_A_SVC_PORT, 3868);
	nla_put_u16(msg, KSVC_A_SVC_NODE_PORT, 31000);
	nla_put_u8(msg, KSVC_A_SVC_SCHED, KSVC_SCHED_RR);
	nla_put_u32(msg, KSVC_A_SVC_FLAGS, 0);
	put_u64(msg, KSVC_A_SVC_GENERATION, UINT64_MAX - 1, KSVC_A_PAD);
	list = nla_nest_start(msg, KSVC_A_SVC_FRONTENDS);
	m = nla_nest_start(msg, 0);
	nla_put_u8(msg, KSVC_FE_A_KIND, KSVC_FE_EXTERNAL_IP);
	nla_put_u16(msg, KSVC_FE_A_FAMILY, AF_INET6);
	nla_put(msg, KSVC_FE_A_ADDR, 16, a6);
	nla_nest_end(msg, m);
	nla_nest_end_keep_empty(msg, list);
	nla_put_u32(msg, KSVC_A_SVC_BACKEND_COUNT, count);
	put_stats(msg, KSVC_A_SVC_STATS, 100, true);
	return msg;
}

/* What a continuation holds: the name and more backends. */
static struct nl_msg *cont(const char *name, int first, int n)
{
	struct nl_msg *msg = reply(KSVC_CMD_SVC_GET);

	nla_put_string(msg, KSVC_A_SVC_NAME, name);
	put_backends(msg, first, n);
	return msg;
}

/* One message: every field lands in svc and has says which came. */
static void parse_test_service(void **state)
{
	struct ksvc_service svc;
	struct nl_msg *msg;
	char a[KSVC_ADDR_STRLEN];

	(void)state;
	msg = head("ns/diameter", 2);
	put_backends(msg, 1, 2);
	ksvc_service_init(&svc);
	assert_int_equal(ksvc_parse_service(nlmsg_hdr(msg), &svc), 0);
	assert_string_equal(svc.name, "ns/diameter");
	assert_int_equal(svc.proto, IPPROTO_SCTP);
	assert_int_equal(svc.port, 3868);
	assert_int_equal(svc.node_port, 31000);
	assert_int_equal(svc.sched, KSVC_SCHED_RR);
	assert_true(svc.generation == UINT64_MAX - 1);
	assert_int_equal(svc.backend_count, 2);
	assert_true(svc.stats.conns == 101 && svc.stats.packets == 102 &&
		    svc.stats.bytes == 103 && svc.stats.rejects == 104);
	assert_int_equal(svc.nfrontends, 1);
	assert_int_equal(svc.frontends[0].kind, KSVC_FE_EXTERNAL_IP);
	assert_string_equal(ksvc_format_addr(&svc.frontends[0].addr, a,
					     sizeof(a)), "fd00::");
	assert_int_equal(svc.nbackends, 2);
	assert_string_equal(ksvc_format_addr(&svc.backends[1].addr, a,
					     sizeof(a)), "10.0.0.2");
	assert_int_equal(svc.backends[1].port, 8002);
	assert_int_equal(svc.backends[1].weight, 2);
	assert_true(svc.backends[1].stats.conns == 21);
	assert_true(svc.backends[1].stats.bytes == 23);
	assert_int_equal(svc.has, KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |
			 KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_SCHED |
			 KSVC_SVC_HAS_FLAGS | KSVC_SVC_HAS_GENERATION |
			 KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_BACKENDS |
			 KSVC_SVC_HAS_BACKEND_COUNT | KSVC_SVC_HAS_STATS);
	ksvc_service_release(&svc);
	nlmsg_free(msg);
}

/* Attributes of later versions are skipped, not refused. */
static void parse_test_unknown_attrs(void **state)
{
	struct ksvc_service svc;
	struct nl_msg *msg;

	(void)state;
	msg = cont("a", 0, 1);
	nla_put_u32(msg, KSVC_A_MAX + 3, 7);
	ksvc_service_init(&svc);
	assert_int_equal(ksvc_parse_service(nlmsg_hdr(msg), &svc), 0);
	assert_int_equal(svc.nbackends, 1);
	assert_int_equal(svc.has, KSVC_SVC_HAS_BACKENDS);
	ksvc_service_release(&svc);
	nlmsg_free(msg);
}

/* Malformed messages are -EPROTO, and leak nothing. */
static void parse_test_malformed(void **state)
{
	struct ksvc_service svc;
	struct nlattr *l, *m;
	struct nl_msg *msg;
	int i;

	(void)state;
	for (i = 0; i < 7; i++) {
		msg = reply(KSVC_CMD_SVC_GET);
		if (i != 0)
			nla_put_string(msg, KSVC_A_SVC_NAME, "x");
		switch (i) {
		case 1:	/* u16 of four bytes */
			nla_put_u32(msg, KSVC_A_SVC_PORT, 80);
			break;
		case 2:	/* address shorter than its family */
		case 3:	/* backend without port */
		case 4:	/* unknown family */
			put_backends(msg, 0, 2);
			l = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
			m = nla_nest_start(msg, 0);
			nla_put_u16(msg, KSVC_BE_A_FAMILY,
				    i == 4 ? AF_UNIX : AF_INET6);
			nla_put(msg, KSVC_BE_A_ADDR, i == 2 ? 4 : 16,
				"0123456789abcdef");
			if (i != 3)
				nla_put_u16(msg, KSVC_BE_A_PORT, 1);
			nla_nest_end(msg, m);
			nla_nest_end(msg, l);
			break;
		case 5:	/* name not NUL-terminated */
			nla_put(msg, KSVC_A_SVC_NAME, 3, "abc");
			break;
		case 6:	/* frontend without kind */
			l = nla_nest_start(msg, KSVC_A_SVC_FRONTENDS);
			m = nla_nest_start(msg, 0);
			nla_put_u16(msg, KSVC_FE_A_FAMILY, AF_INET);
			nla_put(msg, KSVC_FE_A_ADDR, 4, "abcd");
			nla_nest_end(msg, m);
			nla_nest_end(msg, l);
			break;
		}
		ksvc_service_init(&svc);
		assert_int_equal(ksvc_parse_service(nlmsg_hdr(msg), &svc),
				 -EPROTO);
		ksvc_service_release(&svc);
		nlmsg_free(msg);
	}
}

/* Consecutive messages of one name are one service: backends in order,
 * the rest from the first message. */
static void parse_test_reassembly(void **state)
{
	struct ksvc_service_list list;
	struct nl_msg *msgs[6];
	size_t i;

	(void)state;
	msgs[0] = head("a", 5);
	put_backends(msgs[0], 0, 2);
	msgs[1] = cont("a", 2, 2);
	msgs[2] = cont("a", 4, 1);
	msgs[3] = head("b", 0);		/* no backends at all */
	msgs[4] = head("c", 3);		/* none fit in the first message */
	msgs[5] = cont("c", 0, 3);

	ksvc_service_list_init(&list);
	for (i = 0; i < 6; i++) {
		assert_int_equal(ksvc_dump_add(&list, nlmsg_hdr(msgs[i])), 0);
		nlmsg_free(msgs[i]);
	}
	assert_int_equal(list.n, 3);
	assert_string_equal(list.svcs[0].name, "a");
	assert_int_equal(list.svcs[0].nbackends, 5);
	assert_int_equal(list.svcs[0].backend_count, 5);
	for (i = 0; i < 5; i++)
		assert_int_equal(list.svcs[0].backends[i].port, 8000 + i);
	assert_int_equal(list.svcs[0].port, 3868);
	assert_true(list.svcs[0].stats.rejects == 104);
	assert_string_equal(list.svcs[1].name, "b");
	assert_int_equal(list.svcs[1].nbackends, 0);
	assert_false(list.svcs[1].has & KSVC_SVC_HAS_BACKENDS);
	assert_int_equal(list.svcs[2].nbackends, 3);
	assert_true(list.svcs[2].has & KSVC_SVC_HAS_BACKENDS);
	assert_int_equal(list.svcs[2].proto, IPPROTO_SCTP);
	ksvc_service_list_release(&list);
}

/* A bad continuation fails the add and leaves the list as it was. */
static void parse_test_reassembly_error(void **state)
{
	struct ksvc_service_list list;
	struct nl_msg *msg;

	(void)state;
	ksvc_service_list_init(&list);
	msg = head("a", 1);
	assert_int_equal(ksvc_dump_add(&list, nlmsg_hdr(msg)), 0);
	nlmsg_free(msg);
	msg = cont("a", 0, 1);
	nla_put_u32(msg, KSVC_A_SVC_PORT, 1);
	assert_int_equal(ksvc_dump_add(&list, nlmsg_hdr(msg)), -EPROTO);
	nlmsg_free(msg);
	assert_int_equal(list.n, 1);
	assert_int_equal(list.svcs[0].nbackends, 0);
	ksvc_service_list_release(&list);
}

/* CFG_GET's reply: the CIDR list, switches, counts and totals. */
static void parse_test_config(void **state)
{
	struct ksvc_config cfg = { 0 };
	struct nlattr *l, *m;
	struct nl_msg *msg;
	char c[KSVC_CIDR_STRLEN];
	int i;

	(void)state;
	msg = reply(KSVC_CMD_CFG_GET);
	l = nla_nest_start(msg, KSVC_A_CFG_CLUSTER_CIDRS);
	for (i = 0; i < 2; i++) {
		m = nla_nest_start(msg, 0);
		nla_put_u16(msg, KSVC_CIDR_A_FAMILY, i ? AF_INET6 : AF_INET);
		nla_put(msg, KSVC_CIDR_A_ADDR, i ? 16 : 4,
			i ? "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0" : "\x0a\0\0\0");
		nla_put_u8(msg, KSVC_CIDR_A_PREFIXLEN, i ? 108 : 8);
		nla_nest_end(msg, m);
	}
	nla_nest_end(msg, l);
	l = nla_nest_start(msg, KSVC_A_CFG_NODEPORT_CIDRS);
	m = nla_nest_start(msg, 0);
	nla_put_u16(msg, KSVC_CIDR_A_FAMILY, AF_INET);
	nla_put(msg, KSVC_CIDR_A_ADDR, 4, "\xc0\x00\x02\x00");
	nla_put_u8(msg, KSVC_CIDR_A_PREFIXLEN, 24);
	nla_nest_end(msg, m);
	nla_nest_end(msg, l);
	nla_put_u8(msg, KSVC_A_CFG_MASQUERADE_ALL, 1);
	nla_put_u8(msg, KSVC_A_CFG_NODEPORT_LOCALHOST, 0);
	nla_put_u32(msg, KSVC_A_CFG_SERVICES, 42);
	nla_put_u8(msg, KSVC_A_CFG_HOOKED, 1);
	put_stats(msg, KSVC_A_STATS, 1000, true);
	nla_put_u64(msg, KSVC_A_CFG_MEMORY, 5000000000ULL);

	assert_int_equal(ksvc_parse_config(nlmsg_hdr(msg), &cfg), 0);
	assert_int_equal(cfg.ncluster_cidrs, 2);
	assert_string_equal(ksvc_format_cidr(&cfg.cluster_cidrs[0], c, sizeof(c)),
			    "10.0.0.0/8");
	assert_string_equal(ksvc_format_cidr(&cfg.cluster_cidrs[1], c, sizeof(c)),
			    "fd00::/108");
	assert_int_equal(cfg.nnodeport_cidrs, 1);
	assert_string_equal(ksvc_format_cidr(&cfg.nodeport_cidrs[0], c,
					     sizeof(c)), "192.0.2.0/24");
	assert_true(cfg.masquerade_all);
	assert_false(cfg.nodeport_localhost);
	assert_int_equal(cfg.services, 42);
	assert_true(cfg.hooked);
	assert_true(cfg.stats.rejects == 1004);
	assert_true(cfg.memory == 5000000000ULL);
	assert_int_equal(cfg.has, KSVC_CFG_HAS_CLUSTER_CIDRS |
			 KSVC_CFG_HAS_NODEPORT_CIDRS |
			 KSVC_CFG_HAS_MASQUERADE_ALL |
			 KSVC_CFG_HAS_NODEPORT_LOCALHOST |
			 KSVC_CFG_HAS_SERVICES | KSVC_CFG_HAS_HOOKED |
			 KSVC_CFG_HAS_STATS | KSVC_CFG_HAS_MEMORY);
	nlmsg_free(msg);
}

/* The controller's answer: id and version, and only for our name. */
static void parse_test_ctrl(void **state)
{
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t version;
	uint16_t id;

	(void)state;
	genlmsg_put(msg, 1, 1, GENL_ID_CTRL, 0, 0, CTRL_CMD_NEWFAMILY, 2);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "kservice");
	nla_put_u16(msg, CTRL_ATTR_FAMILY_ID, 0x1f);
	nla_put_u32(msg, CTRL_ATTR_VERSION, 1);
	assert_int_equal(ksvc_parse_ctrl_family(nlmsg_hdr(msg), "kservice",
						&id, &version), 0);
	assert_int_equal(id, 0x1f);
	assert_int_equal(version, 1);
	assert_int_equal(ksvc_parse_ctrl_family(nlmsg_hdr(msg), "other", &id,
						&version), -EPROTO);
	nlmsg_free(msg);
}

/* NLMSG_ERROR with the whole request echoed (no NETLINK_CAP_ACK). */
static struct nl_msg *error_msg(int error, const char *extack, bool capped,
				size_t req_payload)
{
	struct nl_msg *msg = nlmsg_alloc_size(8192);
	struct nlmsghdr req = {
		.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + req_payload),
		.nlmsg_type = FAMILY,
	};
	size_t echo = capped ? 0 : req_payload;
	struct nlmsgerr *e;

	nlmsg_put(msg, 1, 1, NLMSG_ERROR, (int)(sizeof(*e) + echo),
		  capped ? NLM_F_CAPPED : 0);
	e = nlmsg_data(nlmsg_hdr(msg));
	e->error = error;
	e->msg = req;
	memset(e + 1, 0x55, echo);	/* looks like attributes: must be skipped */
	if (extack) {
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK_TLVS;
		nla_put_string(msg, NLMSGERR_ATTR_MSG, extack);
		nla_put_u32(msg, NLMSGERR_ATTR_OFFS, 20);
	}
	return msg;
}

static void parse_test_ack(void **state)
{
	char text[256];
	struct nl_msg *msg;
	int capped;

	(void)state;
	for (capped = 0; capped < 2; capped++) {
		msg = error_msg(-EEXIST, "frontend 10.96.0.1:80/tcp is taken",
				capped, 37);
		assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text,
						sizeof(text)), -EEXIST);
		assert_string_equal(text, "frontend 10.96.0.1:80/tcp is taken");
		nlmsg_free(msg);
	}
	msg = error_msg(-ENOENT, NULL, false, 8);
	strcpy(text, "stale");
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text, sizeof(text)),
			 -ENOENT);
	assert_string_equal(text, "");
	nlmsg_free(msg);

	/* A short buffer gets a cut message, still terminated. */
	msg = error_msg(-EINVAL, "0123456789", true, 0);
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text, 5), -EINVAL);
	assert_string_equal(text, "0123");
	nlmsg_free(msg);

	/* An ack is 0, and so is an ordinary message. */
	msg = error_msg(0, NULL, true, 0);
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), 0);
	nlmsg_free(msg);
	msg = reply(KSVC_CMD_SVC_GET);
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), NULL, 0), 0);
	nlmsg_free(msg);
}

/* NLMSG_DONE: the dump's errno and extack, or nothing. */
static void parse_test_done(void **state)
{
	char text[256];
	struct nl_msg *msg = nlmsg_alloc();
	int err = -ENOENT;

	(void)state;
	nlmsg_put(msg, 1, 1, NLMSG_DONE, sizeof(err),
		  NLM_F_MULTI | NLM_F_ACK_TLVS);
	memcpy(nlmsg_data(nlmsg_hdr(msg)), &err, sizeof(err));
	nla_put_string(msg, NLMSGERR_ATTR_MSG, "no service \"x\"");
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text, sizeof(text)),
			 -ENOENT);
	assert_string_equal(text, "no service \"x\"");
	nlmsg_free(msg);

	msg = nlmsg_alloc();
	nlmsg_put(msg, 1, 1, NLMSG_DONE, 0, NLM_F_MULTI);
	assert_int_equal(ksvc_parse_ack(nlmsg_hdr(msg), text, sizeof(text)), 0);
	nlmsg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_test_service),
		cmocka_unit_test(parse_test_unknown_attrs),
		cmocka_unit_test(parse_test_malformed),
		cmocka_unit_test(parse_test_reassembly),
		cmocka_unit_test(parse_test_reassembly_error),
		cmocka_unit_test(parse_test_config),
		cmocka_unit_test(parse_test_ctrl),
		cmocka_unit_test(parse_test_ack),
		cmocka_unit_test(parse_test_done),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
