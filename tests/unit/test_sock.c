// SPDX-License-Identifier: GPL-2.0
/*
 * libksvc's commands end to end over a fake kernel (fake_kernel.c): family
 * resolution, acks and extacks, dumps with continuations and
 * NLM_F_DUMP_INTR retries, backend sets in parts, batches of changes with
 * one conntrack cleanup.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake_kernel.h"
#include "kpolicy.h"
#include "ksvc_sock.h"
#include "ksvc_text.h"

static int setup(void **state)
{
	struct ksvc *ks;

	fake_reset();
	if (fake_open(&ks, NULL))
		return -1;
	*state = ks;
	return 0;
}

static int teardown(void **state)
{
	ksvc_close(*state);
	fake_reset();
	return 0;
}

/* Checks sent request i as the kernel would. */
static struct kp_req *sent(size_t i, uint8_t cmd)
{
	static struct kp_req req;
	char why[KP_WHY_MAX];
	int ret;

	assert_true(i < fake.nsent);
	ret = kp_check_request(fake.sent[i], FAKE_FAMILY, &req, why);
	if (ret)
		fail_msg("request %zu refused: %d %s", i, ret, why);
	assert_int_equal(req.cmd, cmd);
	return &req;
}

static uint32_t req_flags(const struct kp_req *req)
{
	uint32_t v = 0;

	if (req->tb[KSVC_A_REQ_FLAGS])
		memcpy(&v, nla_data(req->tb[KSVC_A_REQ_FLAGS]), 4);
	return v;
}

/* A dumped service: name, port, and backends first..first+n-1. */
static void queue_svc(const struct nlmsghdr *req, const char *name,
		      bool head, int first, int n, bool intr)
{
	struct nl_msg *msg = fake_reply(req, KSVC_CMD_SVC_GET,
					NLM_F_MULTI |
					(intr ? NLM_F_DUMP_INTR : 0));
	struct nlattr *list, *m;
	uint8_t a[4] = { 10, 0, 0, 0 };
	int i;

	nla_put_string(msg, KSVC_A_SVC_NAME, name);
	if (head) {
		nla_put_u8(msg, KSVC_A_SVC_PROTO, IPPROTO_TCP);
		nla_put_u16(msg, KSVC_A_SVC_PORT, 80);
		nla_put_u32(msg, KSVC_A_SVC_BACKEND_COUNT, 0);
	}
	if (n) {
		list = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
		for (i = first; i < first + n; i++) {
			m = nla_nest_start(msg, 0);
			a[2] = (uint8_t)(i >> 8);
			a[3] = (uint8_t)i;
			nla_put_u16(msg, KSVC_BE_A_FAMILY, AF_INET);
			nla_put(msg, KSVC_BE_A_ADDR, 4, a);
			nla_put_u16(msg, KSVC_BE_A_PORT, (uint16_t)(1 + i));
			nla_nest_end(msg, m);
		}
		nla_nest_end(msg, list);
	}
	fake_queue_msg(msg);
}

/* The family is resolved through the controller at open, once. */
static void sock_test_open(void **state)
{
	struct ksvc *ks = *state;

	assert_int_equal(ks->family, FAKE_FAMILY);
	assert_int_equal(ks->version, KSVC_GENL_VERSION);
	assert_int_equal(fake.nsent, 0);
}

/* No family: -EPROTONOSUPPORT, which ksctl calls "module not loaded". */
static void sock_test_open_no_module(void **state)
{
	struct ksvc_err err;
	struct ksvc *ks = NULL;

	(void)state;
	fake.family = 0;
	assert_int_equal(fake_open(&ks, &err), -EPROTONOSUPPORT);
	assert_null(ks);
	assert_string_equal(err.msg, "no generic netlink family \"kservice\"");
}

/* An ack is success; the request went out whole and valid. */
static void sock_test_ack(void **state)
{
	struct ksvc_err err;
	struct kp_req *req;

	assert_int_equal(ksvc_service_del(*state, "ns/a", &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(fake.nsent, 1);
	req = sent(0, KSVC_CMD_SVC_DEL);
	assert_true(req->nlflags & NLM_F_ACK);
	assert_string_equal(nla_data(req->tb[KSVC_A_SVC_NAME]), "ns/a");
}

static void enoent(const struct nlmsghdr *req, void *arg)
{
	fake_ack(req, -ENOENT, arg);
}

/* The kernel's errno comes back exactly, its extack message with it. */
static void sock_test_error_extack(void **state)
{
	struct ksvc_backend be;
	struct ksvc_err err;

	fake.respond = enoent;
	fake.arg = "no service \"ns/a\"";
	assert_int_equal(ksvc_service_del(*state, "ns/a", &err), -ENOENT);
	assert_string_equal(err.msg, "no service \"ns/a\"");

	fake.arg = NULL;
	ksvc_backend_init(&be);
	ksvc_parse_endpoint("10.0.0.1:80", &be, NULL, NULL);
	assert_int_equal(ksvc_backend_del(*state, "ns/a", &be, &err), -ENOENT);
	assert_string_equal(err.msg, "");
	/* NULL err is fine. */
	assert_int_equal(ksvc_flush(*state, NULL), -ENOENT);
	assert_int_equal(fake.nsent, 3);
}

/* Continuations, spread over several reads, are put back together. */
static void dump_multi(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	queue_svc(req, "b", true, 0, 2, false);
	queue_svc(req, "b", false, 2, 3, false);
	fake_cut();
	queue_svc(req, "b", false, 5, 1, false);
	fake_cut();
	queue_svc(req, "a", true, 0, 0, false);
	fake_done(req, 0, NULL, false);
}

static void sock_test_dump(void **state)
{
	struct ksvc_service_list list;
	struct ksvc_err err;
	struct kp_req *req;
	size_t i;

	fake.respond = dump_multi;
	assert_int_equal(ksvc_service_list(*state, NULL, KSVC_LIST_BACKENDS,
					   &list, &err), 0);
	req = sent(0, KSVC_CMD_SVC_GET);
	assert_true((req->nlflags & NLM_F_DUMP) == NLM_F_DUMP);
	assert_int_equal(req_flags(req), KSVC_REQ_F_BACKENDS);
	assert_int_equal(list.n, 2);
	assert_string_equal(list.svcs[0].name, "b");
	assert_int_equal(list.svcs[0].nbackends, 6);
	for (i = 0; i < 6; i++)
		assert_int_equal(list.svcs[0].backends[i].port, i + 1);
	assert_string_equal(list.svcs[1].name, "a");
	ksvc_service_list_release(&list);

	/* And the socket is in step for the next request. */
	fake.respond = NULL;
	assert_int_equal(ksvc_flush(*state, NULL), 0);
}

/* NLM_F_DUMP_INTR on a data message or on NLMSG_DONE: dump again, keep
 * only the clean dump. arg counts how many dumps are interrupted, and
 * where the flag goes: on data (odd dumps) or on NLMSG_DONE (even). */
static int intr_left;

static void dump_intr(const struct nlmsghdr *req, void *arg)
{
	bool intr = intr_left > 0, on_done = intr_left % 2 == 0;

	(void)arg;
	if (intr_left > 0)
		intr_left--;
	/* The interrupted dumps see a stale service that must not leak out. */
	queue_svc(req, intr ? "stale" : "fresh", true, 0, 2, intr && !on_done);
	fake_cut();
	queue_svc(req, intr ? "stale" : "fresh", false, 2, 1, false);
	fake_done(req, 0, NULL, intr && on_done);
}

static void sock_test_dump_intr(void **state)
{
	struct ksvc_service_list list;
	struct ksvc_err err;

	fake.respond = dump_intr;
	intr_left = 3;
	assert_int_equal(ksvc_service_list(*state, NULL, KSVC_LIST_BACKENDS,
					   &list, &err), 0);
	assert_int_equal(fake.nsent, 4);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.svcs[0].name, "fresh");
	assert_int_equal(list.svcs[0].nbackends, 3);
	ksvc_service_list_release(&list);
}

/* A table that never holds still: -EAGAIN after KSVC_DUMP_TRIES. */
static void sock_test_dump_intr_forever(void **state)
{
	struct ksvc_service_list list = { 0 };
	struct ksvc_err err;

	fake.respond = dump_intr;
	intr_left = 1000;
	assert_int_equal(ksvc_service_list(*state, NULL, 0, &list, &err),
			 -EAGAIN);
	assert_int_equal(fake.nsent, KSVC_DUMP_TRIES);
	assert_int_equal(list.n, 0);
	assert_string_equal(err.msg, "service table kept changing during 8 dumps");
}

/* A dump that fails: in NLMSG_DONE (from dumpit) or as an error (start). */
static void dump_fail(const struct nlmsghdr *req, void *arg)
{
	if (arg) {
		fake_ack(req, -ENOENT, "no such service");
		return;
	}
	queue_svc(req, "x", true, 0, 1, false);
	fake_done(req, -ENOENT, "service vanished", false);
}

static void sock_test_dump_error(void **state)
{
	struct ksvc_service_list list = { 0 };
	struct ksvc_service svc;
	struct ksvc_err err;

	fake.respond = dump_fail;
	assert_int_equal(ksvc_service_list(*state, "x", 0, &list, &err),
			 -ENOENT);
	assert_string_equal(err.msg, "service vanished");
	assert_int_equal(list.n, 0);
	fake.arg = "start";
	ksvc_service_init(&svc);
	assert_int_equal(ksvc_service_get(*state, "x", 0, &svc, &err), -ENOENT);
	assert_string_equal(err.msg, "no such service");
	assert_string_equal(nla_data(sent(1, KSVC_CMD_SVC_GET)->tb[KSVC_A_SVC_NAME]),
			    "x");
	ksvc_service_release(&svc);
}

/* A malformed message fails the dump, but the dump is read to its end. */
static void dump_bad(const struct nlmsghdr *req, void *arg)
{
	struct nl_msg *msg;

	(void)arg;
	if (fake_cmd(req) != KSVC_CMD_SVC_GET) {
		fake_ack(req, 0, NULL);
		return;
	}
	queue_svc(req, "a", true, 0, 1, false);
	msg = fake_reply(req, KSVC_CMD_SVC_GET, NLM_F_MULTI);
	nla_put(msg, KSVC_A_SVC_NAME, 3, "abc");	/* no NUL */
	fake_queue_msg(msg);
	fake_cut();
	queue_svc(req, "c", true, 0, 1, false);
	fake_done(req, 0, NULL, false);
}

static void sock_test_dump_malformed(void **state)
{
	struct ksvc_service_list list = { 0 };

	fake.respond = dump_bad;
	assert_int_equal(ksvc_service_list(*state, NULL, 0, &list, NULL),
			 -EPROTO);
	assert_int_equal(list.n, 0);
	assert_int_equal(ksvc_flush(*state, NULL), 0);
	assert_int_equal(fake.next, fake.nbufs);
}

/* ksvc_service_get(): one service; an empty dump is -ENOENT. */
static void dump_one(const struct nlmsghdr *req, void *arg)
{
	if (arg)
		queue_svc(req, "ns/one", true, 0, 4, false);
	fake_done(req, 0, NULL, false);
}

static void sock_test_service_get(void **state)
{
	struct ksvc_service svc;
	struct ksvc_err err;

	fake.respond = dump_one;
	fake.arg = "yes";
	ksvc_service_init(&svc);
	assert_int_equal(ksvc_service_get(*state, "ns/one", KSVC_LIST_BACKENDS,
					  &svc, &err), 0);
	assert_string_equal(svc.name, "ns/one");
	assert_int_equal(svc.nbackends, 4);
	ksvc_service_release(&svc);
	fake.arg = NULL;
	assert_int_equal(ksvc_service_get(*state, "ns/one", 0, &svc, &err),
			 -ENOENT);
}

static void many(struct ksvc_service *svc, size_t n)
{
	struct ksvc_backend b;
	size_t i;

	for (i = 0; i < n; i++) {
		ksvc_backend_init(&b);
		b.addr.family = i % 2 ? AF_INET6 : AF_INET;
		b.addr.raw[0] = 10;
		b.addr.raw[2] = (uint8_t)(i >> 8);
		b.addr.raw[3] = (uint8_t)i;
		b.port = (uint16_t)(1 + i);
		b.weight = (uint32_t)(i % 5);
		ksvc_service_add_backend(svc, &b);
	}
}

/* Gathers the sets of BE_REPLACE requests from..to-1, checking flags:
 * the parts' own and, on each, those of extra. */
static void gather_flags(size_t from, size_t to, uint32_t extra,
			 struct ksvc_service *got)
{
	struct kp_req *req;
	uint32_t want;
	size_t i;

	for (i = from; i < to; i++) {
		req = sent(i, KSVC_CMD_BE_REPLACE);
		want = extra | (i > from ? KSVC_REQ_F_CONTINUE : 0) |
		       (i + 1 < to ? KSVC_REQ_F_MORE : 0);
		assert_int_equal(req_flags(req), want);
		kp_backends(req->tb[KSVC_A_SVC_BACKENDS], got);
	}
}

static void gather(size_t from, size_t to, struct ksvc_service *got)
{
	gather_flags(from, to, 0, got);
}

static void assert_same_set(const struct ksvc_service *a,
			    const struct ksvc_service *b)
{
	size_t i;

	assert_int_equal(a->nbackends, b->nbackends);
	for (i = 0; i < a->nbackends; i++) {
		assert_true(ksvc_addr_equal(&a->backends[i].addr,
					    &b->backends[i].addr));
		assert_int_equal(a->backends[i].port, b->backends[i].port);
		assert_int_equal(a->backends[i].weight, b->backends[i].weight);
	}
}

/* 5000 backends go out in parts that add up to the set. */
static void sock_test_replace_5000(void **state)
{
	struct ksvc_service svc, got;

	ksvc_service_init(&svc);
	ksvc_service_init(&got);
	many(&svc, 5000);
	assert_int_equal(ksvc_backend_replace(*state, "big", svc.backends,
					      svc.nbackends, NULL), 0);
	assert_true(fake.nsent > 5);
	gather(0, fake.nsent, &got);
	assert_same_set(&svc, &got);
	ksvc_service_release(&svc);
	ksvc_service_release(&got);

	/* The empty set: one message, an empty nest, no flags. */
	assert_int_equal(ksvc_backend_replace(*state, "big", NULL, 0, NULL), 0);
	assert_int_equal(kp_count(sent(fake.nsent - 1, KSVC_CMD_BE_REPLACE)
				  ->tb[KSVC_A_SVC_BACKENDS]), 0);
	assert_int_equal(req_flags(sent(fake.nsent - 1, KSVC_CMD_BE_REPLACE)), 0);
}

/* A part the kernel refuses stops the rest. */
static void fail_second(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	fake_ack(req, fake.nsent == 2 ? -ENOMEM : 0,
		 fake.nsent == 2 ? "out of staging memory" : NULL);
}

static void sock_test_replace_error(void **state)
{
	struct ksvc_service svc;
	struct ksvc_err err;

	ksvc_service_init(&svc);
	many(&svc, 5000);
	fake.respond = fail_second;
	assert_int_equal(ksvc_backend_replace(*state, "big", svc.backends,
					      svc.nbackends, &err), -ENOMEM);
	assert_string_equal(err.msg, "out of staging memory");
	assert_int_equal(fake.nsent, 2);
	ksvc_service_release(&svc);
}

/* A new service with a set too large for one message: created bare, its
 * set sent in parts, then its frontends and node port. */
static void fail_last_set(const struct nlmsghdr *req, void *arg)
{
	bool fail = arg && fake_cmd(req) == KSVC_CMD_SVC_SET;

	fake_ack(req, fail ? -EEXIST : 0, fail ? "10.96.0.1:80 is taken" : NULL);
}

/* extra: the request flags every request must carry besides its own. */
static void new_large(void **state, bool fail, uint32_t extra)
{
	struct ksvc_service svc, got;
	struct ksvc_frontend fe = { .kind = KSVC_FE_CLUSTER_IP };
	struct ksvc_err err;
	struct kp_req *req;
	size_t last;

	ksvc_service_init(&svc);
	ksvc_service_init(&got);
	ksvc_service_set_name(&svc, "ns/big");
	svc.proto = IPPROTO_TCP;
	svc.port = 80;
	svc.node_port = 30000;
	svc.generation = 9;
	ksvc_parse_addr("10.96.0.1", &fe.addr, NULL);
	ksvc_service_add_frontend(&svc, &fe);
	many(&svc, 3000);
	svc.has = KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_NODE_PORT |
		  KSVC_SVC_HAS_BACKENDS | KSVC_SVC_HAS_GENERATION;
	fake.respond = fail_last_set;
	fake.arg = fail ? "fail" : NULL;

	assert_int_equal(ksvc_service_new(*state, &svc, &err),
			 fail ? -EEXIST : 0);
	req = sent(0, KSVC_CMD_SVC_NEW);
	assert_null(req->tb[KSVC_A_SVC_FRONTENDS]);
	assert_null(req->tb[KSVC_A_SVC_NODE_PORT]);
	assert_null(req->tb[KSVC_A_SVC_BACKENDS]);
	assert_non_null(req->tb[KSVC_A_SVC_GENERATION]);
	assert_int_equal(req_flags(req), extra);
	last = fake.nsent - (fail ? 2 : 1);
	gather_flags(1, last, extra, &got);
	assert_same_set(&svc, &got);
	req = sent(last, KSVC_CMD_SVC_SET);
	assert_int_equal(kp_count(req->tb[KSVC_A_SVC_FRONTENDS]), 1);
	assert_non_null(req->tb[KSVC_A_SVC_NODE_PORT]);
	assert_null(req->tb[KSVC_A_SVC_BACKENDS]);
	assert_null(req->tb[KSVC_A_SVC_GENERATION]);
	assert_int_equal(req_flags(req), extra);
	if (fail) {
		/* Undone, and the error is the one that mattered. */
		req = sent(fake.nsent - 1, KSVC_CMD_SVC_DEL);
		assert_int_equal(req_flags(req), extra);
		assert_string_equal(err.msg, "10.96.0.1:80 is taken");
	}
	ksvc_service_release(&svc);
	ksvc_service_release(&got);
}

static void sock_test_new_large(void **state)
{
	new_large(state, false, 0);
}

static void sock_test_new_large_rollback(void **state)
{
	new_large(state, true, 0);
}

/* A set of a small set stays one message; a large one follows the rest. */
static void sock_test_set(void **state)
{
	struct ksvc_service svc, got;
	struct kp_req *req;

	ksvc_service_init(&svc);
	ksvc_service_init(&got);
	ksvc_service_set_name(&svc, "s");
	svc.sched = KSVC_SCHED_RR;
	svc.has = KSVC_SVC_HAS_SCHED | KSVC_SVC_HAS_BACKENDS;
	many(&svc, 3);
	assert_int_equal(ksvc_service_set(*state, &svc, NULL), 0);
	assert_int_equal(fake.nsent, 1);
	req = sent(0, KSVC_CMD_SVC_SET);
	assert_int_equal(kp_count(req->tb[KSVC_A_SVC_BACKENDS]), 3);

	svc.nbackends = 0;
	many(&svc, 4000);
	assert_int_equal(ksvc_service_set(*state, &svc, NULL), 0);
	req = sent(1, KSVC_CMD_SVC_SET);
	assert_null(req->tb[KSVC_A_SVC_BACKENDS]);
	assert_non_null(req->tb[KSVC_A_SVC_SCHED]);
	gather(2, fake.nsent, &got);
	assert_same_set(&svc, &got);
	ksvc_service_release(&svc);
	ksvc_service_release(&got);
}

static bool is_change(uint8_t cmd)
{
	return cmd == KSVC_CMD_SVC_NEW || cmd == KSVC_CMD_SVC_SET ||
	       cmd == KSVC_CMD_SVC_DEL || cmd == KSVC_CMD_BE_REPLACE ||
	       cmd == KSVC_CMD_BE_ADD || cmd == KSVC_CMD_BE_DEL;
}

/*
 * Requests from..to-1: each change carries KSVC_REQ_F_DEFER_CT when defer,
 * none does when not, and nothing else has it; returns how many changes
 * there were. No CT_CLEANUP among them.
 */
static size_t changes_sent(size_t from, size_t to, bool defer)
{
	size_t i, n = 0;

	for (i = from; i < to; i++) {
		uint8_t cmd = fake_cmd(fake.sent[i]);
		struct kp_req *req = sent(i, cmd);
		bool has = req_flags(req) & KSVC_REQ_F_DEFER_CT;

		assert_int_not_equal(cmd, KSVC_CMD_CT_CLEANUP);
		if (has != (defer && is_change(cmd)))
			fail_msg("request %zu (command %u): DEFER_CT %s", i,
				 cmd, has ? "set" : "missing");
		n += is_change(cmd);
	}
	return n;
}

/* Request i is a CT_CLEANUP, with nothing in it. */
static void assert_cleanup(size_t i)
{
	assert_true(i < fake.nsent);
	sent(i, KSVC_CMD_CT_CLEANUP);
	assert_int_equal(fake.sent[i]->nlmsg_len, NLMSG_HDRLEN + GENL_HDRLEN);
}

/* Every change the library has, once each: small and large services, a
 * set in parts, one backend added and deleted. */
static void every_change(struct ksvc *ks)
{
	struct ksvc_service svc;
	struct ksvc_err err;

	ksvc_service_init(&svc);
	ksvc_service_set_name(&svc, "ns/dns");
	svc.proto = IPPROTO_UDP;
	svc.port = 53;
	svc.has = KSVC_SVC_HAS_BACKENDS;
	many(&svc, 2);
	assert_int_equal(ksvc_service_new(ks, &svc, &err), 0);
	assert_int_equal(ksvc_service_set(ks, &svc, &err), 0);
	assert_int_equal(ksvc_backend_add(ks, svc.name, &svc.backends[0], &err),
			 0);
	assert_int_equal(ksvc_backend_del(ks, svc.name, &svc.backends[1], &err),
			 0);
	many(&svc, 4000);
	assert_int_equal(ksvc_service_set(ks, &svc, &err), 0);	/* in parts */
	assert_int_equal(ksvc_backend_replace(ks, svc.name, svc.backends,
					      svc.nbackends, &err), 0);
	assert_int_equal(ksvc_service_del(ks, svc.name, &err), 0);
	ksvc_service_release(&svc);
}

/*
 * In a batch every change request carries KSVC_REQ_F_DEFER_CT, each part
 * of a set and of a large service's creation, its undoing included, with
 * the parts' own flags; its end sends one CT_CLEANUP, then the requests
 * carry no flag again.
 */
static void sock_test_batch(void **state)
{
	struct ksvc *ks = *state;
	struct ksvc_err err;
	size_t n;

	ksvc_batch_begin(ks);
	every_change(ks);
	n = fake.nsent;
	assert_true(changes_sent(0, n, true) > 10);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(fake.nsent, n + 1);
	assert_cleanup(n);

	/* After the end: no flag, no cleanup. */
	every_change(ks);
	assert_true(changes_sent(n + 1, fake.nsent, false) > 10);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_int_equal(changes_sent(n + 1, fake.nsent, false),
			 fake.nsent - n - 1);

	/* A large creation and its undoing, in a batch. */
	fake_reset();
	ksvc_batch_begin(ks);
	new_large(state, true, KSVC_REQ_F_DEFER_CT);
	n = fake.nsent;
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_int_equal(fake.nsent, n + 1);
	assert_cleanup(n);
}

/* Outside a batch no request carries KSVC_REQ_F_DEFER_CT and no CT_CLEANUP
 * is sent. */
static void sock_test_no_batch(void **state)
{
	every_change(*state);
	assert_int_equal(changes_sent(0, fake.nsent, false), fake.nsent);
	fake_reset();
	new_large(state, true, 0);
}

/* Dumps end with NLMSG_DONE, everything else is acked. */
static void ack_all(const struct nlmsghdr *req, void *arg)
{
	(void)arg;
	if (fake_cmd(req) == KSVC_CMD_SVC_GET)
		fake_done(req, 0, NULL, false);
	else
		fake_ack(req, 0, NULL);
}

/* A batch without a change sends no CT_CLEANUP: neither an empty one nor
 * one of dumps, configuration, a flush, or changes the library refused. */
static void sock_test_batch_empty(void **state)
{
	struct ksvc_service_list list;
	struct ksvc_config cfg = { .has = KSVC_CFG_HAS_MASQUERADE_ALL };
	struct ksvc *ks = *state;
	struct ksvc_err err;

	ksvc_batch_begin(ks);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_int_equal(fake.nsent, 0);

	fake.respond = ack_all;
	ksvc_batch_begin(ks);
	assert_int_equal(ksvc_service_list(ks, NULL, 0, &list, &err), 0);
	ksvc_service_list_release(&list);
	assert_int_equal(ksvc_config_set(ks, &cfg, &err), 0);
	assert_int_equal(ksvc_flush(ks, &err), 0);
	assert_int_equal(ksvc_service_del(ks, "", &err), -EINVAL);
	assert_int_equal(fake.nsent, 3);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_int_equal(fake.nsent, 3);
	assert_int_equal(changes_sent(0, 3, true), 0);
}

/* Refuses requests of command *arg with -ENOENT, acks the others. */
static void refuse_cmd(const struct nlmsghdr *req, void *arg)
{
	bool no = fake_cmd(req) == *(const uint8_t *)arg;

	fake_ack(req, no ? -ENOENT : 0, no ? "refused" : NULL);
}

/*
 * A change the kernel refuses leaves the batch open, and counts: the
 * cleanup still follows. A refused cleanup is reported by the end, once,
 * and closes the batch all the same.
 */
static void sock_test_batch_errors(void **state)
{
	struct ksvc *ks = *state;
	struct ksvc_backend be;
	struct ksvc_err err;
	uint8_t refuse = KSVC_CMD_SVC_DEL;

	ksvc_backend_init(&be);
	ksvc_parse_endpoint("10.0.0.1:53", &be, NULL, NULL);
	fake.respond = refuse_cmd;
	fake.arg = &refuse;
	ksvc_batch_begin(ks);
	assert_int_equal(ksvc_service_del(ks, "ns/a", &err), -ENOENT);
	assert_string_equal(err.msg, "refused");
	assert_int_equal(ksvc_backend_add(ks, "ns/a", &be, &err), 0);
	assert_int_equal(changes_sent(0, 2, true), 2);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_cleanup(2);

	/* Only a refused change: its cleanup all the same. */
	ksvc_batch_begin(ks);
	assert_int_equal(ksvc_service_del(ks, "ns/a", &err), -ENOENT);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_int_equal(fake.nsent, 5);
	assert_cleanup(4);

	/* The cleanup refused: said once, the batch closed. */
	refuse = KSVC_CMD_CT_CLEANUP;
	ksvc_batch_begin(ks);
	assert_int_equal(ksvc_backend_del(ks, "ns/a", &be, &err), 0);
	assert_int_equal(ksvc_batch_end(ks, &err), -ENOENT);
	assert_string_equal(err.msg, "refused");
	assert_int_equal(fake.nsent, 7);
	assert_cleanup(6);
	assert_int_equal(ksvc_batch_end(ks, &err), 0);
	assert_string_equal(err.msg, "");
	assert_int_equal(ksvc_backend_add(ks, "ns/a", &be, &err), 0);
	assert_int_equal(fake.nsent, 8);
	assert_int_equal(changes_sent(7, 8, false), 1);
}

/* CFG_GET: a reply then an ack. */
static void config_reply(const struct nlmsghdr *req, void *arg)
{
	struct nl_msg *msg;

	(void)arg;
	if (fake_cmd(req) == KSVC_CMD_CFG_GET) {
		msg = fake_reply(req, KSVC_CMD_CFG_GET, 0);
		nla_put_u8(msg, KSVC_A_CFG_MASQUERADE_ALL, 1);
		nla_put_u32(msg, KSVC_A_CFG_SERVICES, 7);
		fake_queue_msg(msg);
	}
	fake_ack(req, 0, NULL);
}

static void sock_test_config(void **state)
{
	struct ksvc_config cfg;
	struct kp_req *req;

	fake.respond = config_reply;
	assert_int_equal(ksvc_config_get(*state, &cfg, NULL), 0);
	assert_true(cfg.masquerade_all);
	assert_int_equal(cfg.services, 7);
	assert_false(cfg.has & KSVC_CFG_HAS_CLUSTER_CIDRS);

	memset(&cfg, 0, sizeof(cfg));
	cfg.has = KSVC_CFG_HAS_NODEPORT_LOCALHOST | KSVC_CFG_HAS_CLUSTER_CIDRS;
	cfg.nodeport_localhost = true;
	assert_int_equal(ksvc_config_set(*state, &cfg, NULL), 0);
	req = sent(1, KSVC_CMD_CFG_SET);
	assert_int_equal(kp_count(req->tb[KSVC_A_CFG_CLUSTER_CIDRS]), 0);
	assert_null(req->tb[KSVC_A_CFG_MASQUERADE_ALL]);
}

/* A kernel that never answers is an error, not a hang. */
static void silent(const struct nlmsghdr *req, void *arg)
{
	(void)req;
	(void)arg;
}

static void sock_test_no_reply(void **state)
{
	fake.respond = silent;
	assert_int_equal(ksvc_flush(*state, NULL), -EPROTO);
}

/* Bad requests never leave the library. */
static void sock_test_refused_locally(void **state)
{
	char name[KSVC_NAME_MAX + 1];
	struct ksvc_err err;

	memset(name, 'a', sizeof(name));
	name[KSVC_NAME_MAX] = '\0';
	assert_int_equal(ksvc_service_del(*state, name, &err), -ENAMETOOLONG);
	assert_string_equal(err.msg, "service name longer than 255 bytes");
	assert_int_equal(ksvc_service_del(*state, "", &err), -EINVAL);
	assert_int_equal(fake.nsent, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(sock_test_open),
		T(sock_test_open_no_module),
		T(sock_test_ack),
		T(sock_test_error_extack),
		T(sock_test_dump),
		T(sock_test_dump_intr),
		T(sock_test_dump_intr_forever),
		T(sock_test_dump_error),
		T(sock_test_dump_malformed),
		T(sock_test_service_get),
		T(sock_test_replace_5000),
		T(sock_test_replace_error),
		T(sock_test_new_large),
		T(sock_test_new_large_rollback),
		T(sock_test_set),
		T(sock_test_batch),
		T(sock_test_no_batch),
		T(sock_test_batch_empty),
		T(sock_test_batch_errors),
		T(sock_test_config),
		T(sock_test_no_reply),
		T(sock_test_refused_locally),
#undef T
	};

	return cmocka_run_group_tests_name("sock", tests, NULL, NULL);
}
