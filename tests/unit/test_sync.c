// SPDX-License-Identifier: GPL-2.0
/*
 * kserviced's programming of the kernel (sync.c) against the fake service
 * table (fake_table.c): only what differs is sent, full passes mark and
 * sweep by generation, nothing is ever flushed, failures are kept for the
 * next pass, a broken socket is reopened, each pass is one batch with one
 * conntrack cleanup.
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
#include <netlink/attr.h>

#include "fake_table.h"
#include "kpolicy.h"
#include "ksvc_text.h"
#include "log.h"
#include "sync.h"

static void quiet(int level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static int setup(void **state)
{
	struct ksd_sync *s = calloc(1, sizeof(*s));

	fake_table_reset();
	ksd_log_set_sink(quiet, NULL);
	ksd_sync_init(s, fake_open);
	*state = s;
	return 0;
}

static int teardown(void **state)
{
	ksd_sync_release(*state);
	free(*state);
	fake_table_release();
	ksd_log_set_sink(NULL, NULL);
	return 0;
}

/* A kernel service: name, port, "fe1,fe2" cluster IPs, node port and
 * "addr:port,..." backends. */
static void make_svc(struct ksvc_service *s, const char *name, uint16_t port,
		     const char *fes, uint16_t node_port, const char *bes)
{
	char buf[512], *tok, *save;

	ksvc_service_init(s);
	ksvc_service_set_name(s, name);
	s->has = KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |
		 KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_FRONTENDS |
		 KSVC_SVC_HAS_BACKENDS;
	s->proto = IPPROTO_TCP;
	s->port = port;
	s->node_port = node_port;
	snprintf(buf, sizeof(buf), "%s", fes);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct ksvc_frontend fe = { .kind = KSVC_FE_CLUSTER_IP };

		assert_int_equal(ksvc_parse_addr(tok, &fe.addr, NULL), 0);
		ksvc_service_add_frontend(s, &fe);
	}
	snprintf(buf, sizeof(buf), "%s", bes);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		struct ksvc_backend be;

		ksvc_backend_init(&be);
		assert_int_equal(ksvc_parse_endpoint(tok, &be, NULL, NULL), 0);
		ksvc_service_add_backend(s, &be);
	}
}

static void add(struct ksd_model *m, const char *name, uint16_t port,
		const char *fes, uint16_t node_port, const char *bes)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->svcs = realloc(m->svcs, m->cap * sizeof(*m->svcs));
	}
	memset(&m->svcs[m->n], 0, sizeof(m->svcs[m->n]));
	make_svc(&m->svcs[m->n++].ksvc, name, port, fes, node_port, bes);
	ksd_model_sort(m);
}

/* A service as a previous run of the daemon left it in the kernel. */
static void preload(const char *name, uint16_t port, const char *fes,
		    const char *bes, uint64_t gen)
{
	struct ksvc_service s;

	make_svc(&s, name, port, fes, 0, bes);
	s.generation = gen;
	fake_table_add(&s);
	ksvc_service_release(&s);
}

static void sample(struct ksd_model *m)
{
	ksd_model_init(m);
	add(m, "shop/web:http", 80, "10.96.0.1", 0,
	    "10.244.0.1:8080,10.244.0.2:8080");
	add(m, "shop/api", 8080, "10.96.0.2,fd00::2", 30080, "10.244.0.3:80");
}

static void reset_counts(void)
{
	memset(ftab.cmds, 0, sizeof(ftab.cmds));
}

/* Empty kernel: a full pass creates each service with generation 1. */
static void sync_test_create(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	struct ksvc_service *k;

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 2);
	assert_int_equal(fake_table_writes(), 2);
	assert_int_equal(s->last.created, 2);
	k = fake_table_find("shop/web:http");
	assert_non_null(k);
	assert_int_equal(k->generation, 1);
	assert_int_equal(k->nbackends, 2);
	k = fake_table_find("shop/api");
	assert_int_equal(k->node_port, 30080);
	assert_int_equal(k->nfrontends, 2);
	assert_int_equal(k->sched, KSVC_SCHED_RANDOM);
	ksd_model_release(&m);
}

/* Nothing changed: a pass of changes sends nothing; a full pass only
 * moves the generation (no backends, no frontends re-sent). */
static void sync_test_unchanged(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_GET], 0);	/* no dump */

	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_GET], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 2);
	assert_int_equal(fake_table_writes(), 2);
	assert_int_equal(s->last.marked, 2);
	assert_int_equal(s->generation, 2);
	assert_int_equal(fake_table_find("shop/api")->generation, 2);
	ksd_model_release(&m);
}

/* The last request sent but the pass's closing CT_CLEANUP, checked as
 * the kernel would, for its attributes. */
static struct kp_req *last_req(void)
{
	static struct kp_req req;
	char why[KP_WHY_MAX];
	size_t i = fake.nsent;

	if (i && fake_cmd(fake.sent[i - 1]) == KSVC_CMD_CT_CLEANUP)
		i--;
	assert_true(i > 0);
	assert_int_equal(kp_check_request(fake.sent[i - 1], FAKE_FAMILY, &req,
					  why), 0);
	return &req;
}

/* Only backends changed: one BE_REPLACE. Only the node port: one SVC_SET
 * with the node port and nothing else. */
static void sync_test_diff(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	struct kp_req *r;

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	reset_counts();

	m.svcs[1].ksvc.nbackends = 1;	/* shop/web:http loses one */
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 1);
	assert_int_equal(s->last.replaced, 1);
	assert_int_equal(fake_table_find("shop/web:http")->nbackends, 1);

	reset_counts();
	m.svcs[0].ksvc.node_port = 30081;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	r = last_req();
	assert_non_null(r->tb[KSVC_A_SVC_NODE_PORT]);
	assert_null(r->tb[KSVC_A_SVC_BACKENDS]);
	assert_null(r->tb[KSVC_A_SVC_FRONTENDS]);
	assert_null(r->tb[KSVC_A_SVC_PORT]);
	assert_int_equal(fake_table_find("shop/api")->node_port, 30081);

	/* Same frontends in another order: no change. */
	reset_counts();
	{
		struct ksvc_frontend t = m.svcs[0].ksvc.frontends[0];

		m.svcs[0].ksvc.frontends[0] = m.svcs[0].ksvc.frontends[1];
		m.svcs[0].ksvc.frontends[1] = t;
	}
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 0);

	/* A service gone from the model is deleted. */
	ksd_model_release(&m);
	ksd_model_init(&m);
	add(&m, "shop/api", 8080, "10.96.0.2,fd00::2", 30081, "10.244.0.3:80");
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], 1);
	assert_null(fake_table_find("shop/web:http"));
	assert_int_equal(ftab.svcs.n, 1);
	ksd_model_release(&m);
}

static bool is_change(uint8_t cmd)
{
	return cmd == KSVC_CMD_SVC_NEW || cmd == KSVC_CMD_SVC_SET ||
	       cmd == KSVC_CMD_SVC_DEL || cmd == KSVC_CMD_BE_REPLACE ||
	       cmd == KSVC_CMD_BE_ADD || cmd == KSVC_CMD_BE_DEL;
}

/*
 * The requests of a pass, fake.sent[from] on, are one batch: each change
 * carries KSVC_REQ_F_DEFER_CT, and one CT_CLEANUP, with no attribute,
 * comes last when there were changes (cleanup: whether one must); none
 * otherwise. Returns the number of changes.
 */
static unsigned int batched(size_t from, bool cleanup)
{
	size_t i, end = fake.nsent;
	unsigned int changes = 0;
	char why[KP_WHY_MAX];
	struct kp_req r;

	if (cleanup) {
		assert_true(end > from);
		end--;
		assert_int_equal(kp_check_request(fake.sent[end], FAKE_FAMILY,
						  &r, why), 0);
		assert_int_equal(r.cmd, KSVC_CMD_CT_CLEANUP);
		for (int a = 1; a <= KSVC_A_MAX; a++)
			assert_null(r.tb[a]);
	}
	for (i = from; i < end; i++) {
		uint32_t flags = 0;

		assert_int_equal(kp_check_request(fake.sent[i], FAKE_FAMILY,
						  &r, why), 0);
		assert_int_not_equal(r.cmd, KSVC_CMD_CT_CLEANUP);
		if (!is_change(r.cmd))
			continue;
		if (r.tb[KSVC_A_REQ_FLAGS])
			memcpy(&flags, nla_data(r.tb[KSVC_A_REQ_FLAGS]), 4);
		if (!(flags & KSVC_REQ_F_DEFER_CT))
			fail_msg("request %zu (command %u) without DEFER_CT",
				 i, r.cmd);
		changes++;
	}
	if (cleanup)
		assert_true(changes > 0);
	return changes;
}

/* UDP services, as the ones whose changes need conntrack cleaned. */
static void sample_udp(struct ksd_model *m)
{
	sample(m);
	for (size_t i = 0; i < m->n; i++)
		m->svcs[i].ksvc.proto = IPPROTO_UDP;
}

/* The request sent carries exactly the attribute attr of a service (and
 * the name, and the request flags of the pass's batch), nothing else. */
static void assert_only(const struct kp_req *r, int attr)
{
	for (int a = 1; a <= KSVC_A_MAX; a++)
		if (a != KSVC_A_SVC_NAME && a != KSVC_A_REQ_FLAGS &&
		    a != attr && r->tb[a])
			fail_msg("attribute %d sent beside %d", a, attr);
	assert_non_null(r->tb[attr]);
}

/* One change of the traffic policies, the affinity or the source ranges
 * alone: exactly one SVC_SET with that attribute only; the same again:
 * nothing. A backend's flags alone: one BE_REPLACE. A full pass over what
 * the kernel then dumps only re-marks. */
static void sync_test_policies(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	struct ksvc_service *api;
	struct ksvc_cidr c = { .prefixlen = 24 };

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	api = &m.svcs[0].ksvc;		/* shop/api */
	assert_string_equal(api->name, "shop/api");

	reset_counts();
	api->flags = KSVC_SVC_F_EXTERNAL_LOCAL | KSVC_SVC_F_INTERNAL_LOCAL;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	assert_only(last_req(), KSVC_A_SVC_FLAGS);
	assert_int_equal(fake_table_find("shop/api")->flags,
			 KSVC_SVC_F_EXTERNAL_LOCAL | KSVC_SVC_F_INTERNAL_LOCAL);
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 0);

	api->affinity = KSVC_AFFINITY_TIMEOUT_DEFAULT;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	assert_only(last_req(), KSVC_A_SVC_AFFINITY);
	assert_int_equal(fake_table_find("shop/api")->affinity, 10800);
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 0);

	assert_int_equal(ksvc_parse_addr("203.0.113.0", &c.addr, NULL), 0);
	ksvc_service_add_source_range(api, &c);
	c.prefixlen = 32;
	assert_int_equal(ksvc_parse_addr("192.0.2.1", &c.addr, NULL), 0);
	ksvc_service_add_source_range(api, &c);
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	assert_only(last_req(), KSVC_A_SVC_SOURCE_RANGES);
	assert_int_equal(fake_table_find("shop/api")->nsource_ranges, 2);
	/* The same ranges in another order: no change. */
	reset_counts();
	c = api->source_ranges[0];
	api->source_ranges[0] = api->source_ranges[1];
	api->source_ranges[1] = c;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 0);

	/* A backend becomes local: its flags only, a backend set. */
	api->backends[0].flags = KSVC_BE_F_LOCAL | KSVC_BE_F_READY |
				 KSVC_BE_F_SERVING;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 1);
	assert_int_equal(fake_table_find("shop/api")->backends[0].flags,
			 KSVC_BE_F_LOCAL | KSVC_BE_F_READY | KSVC_BE_F_SERVING);

	/* What the kernel dumps is what was asked for: a full pass only
	 * marks. */
	reset_counts();
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(s->last.marked, 2);
	assert_int_equal(s->last.updated + s->last.replaced, 0);
	assert_only(last_req(), KSVC_A_SVC_GENERATION);

	/* The ranges removed: an empty list, sent as such. */
	reset_counts();
	api->nsource_ranges = 0;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake_table_writes(), 1);
	assert_only(last_req(), KSVC_A_SVC_SOURCE_RANGES);
	assert_int_equal(kp_count(last_req()->tb[KSVC_A_SVC_SOURCE_RANGES]), 0);
	assert_int_equal(fake_table_find("shop/api")->nsource_ranges, 0);
	ksd_model_release(&m);
}

/*
 * A daemon restart over a kernel a previous run programmed: unchanged
 * services are only re-marked (their backend sets, and so their
 * connections, are left alone), changed ones updated, stale ones swept,
 * the generation goes on from the kernel's, and nothing is flushed.
 */
static void sync_test_restart(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	preload("shop/web:http", 80, "10.96.0.1",
		"10.244.0.1:8080,10.244.0.2:8080", 7);
	preload("shop/api", 8080, "10.96.0.2", "10.244.0.3:80", 7);
	preload("shop/old", 80, "10.96.0.9", "10.244.0.9:80", 6);
	sample(&m);

	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(s->generation, 8);
	assert_int_equal(ftab.cmds[KSVC_CMD_FLUSH], 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], 1);
	assert_int_equal(s->last.marked, 1);	/* web: only marked */
	assert_int_equal(s->last.updated, 1);	/* api: frontends, node port */
	assert_int_equal(s->last.deleted, 1);
	assert_null(fake_table_find("shop/old"));
	assert_int_equal(fake_table_find("shop/web:http")->generation, 8);
	assert_int_equal(fake_table_find("shop/api")->nfrontends, 2);
	assert_int_equal(fake_table_find("shop/api")->generation, 8);
	ksd_model_release(&m);
}

/* A cluster IP moves from a deleted service to a new one: the creation
 * meets it taken, the sweep frees it, the creation is tried again; the
 * same for a change of an existing service. */
static void sync_test_frontend_moves(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	preload("shop/before", 80, "10.96.0.1", "10.244.0.1:80", 3);
	ksd_model_init(&m);
	add(&m, "shop/after", 80, "10.96.0.1", 0, "10.244.0.2:80");
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 2);	/* -EEXIST, then ok */
	assert_int_equal(s->last.created, 1);
	assert_int_equal(s->last.deleted, 1);
	assert_int_equal(s->last.failed, 0);
	assert_null(fake_table_find("shop/before"));
	assert_non_null(fake_table_find("shop/after"));

	/* Same for a change: shop/after takes 10.96.0.7 from shop/stale. */
	ksd_model_release(&m);
	ksd_model_init(&m);
	add(&m, "shop/after", 80, "10.96.0.7", 0, "10.244.0.2:80");
	preload("shop/stale", 80, "10.96.0.7", "10.244.0.7:80", 3);
	reset_counts();
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 2);	/* -EEXIST, ok */
	assert_int_equal(s->last.updated, 1);
	assert_int_equal(s->last.deleted, 1);
	assert_int_equal(s->last.failed, 0);
	assert_null(fake_table_find("shop/stale"));
	assert_int_equal(fake_table_find("shop/after")->frontends[0].addr.raw[3],
			 7);

	/* In a pass of changes the deletion comes first. */
	ksd_model_release(&m);
	ksd_model_init(&m);
	add(&m, "shop/again", 80, "10.96.0.1", 0, "10.244.0.2:80");
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 1);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_DEL], 1);
	assert_non_null(fake_table_find("shop/again"));
	ksd_model_release(&m);
}

/*
 * A pass of changes where shop/a takes 10.96.0.9 that shop/b gives up in
 * the same pass: a comes first in name order and meets b's frontend, so it
 * is tried again once b has let it go; nothing fails, nothing waits for
 * the next pass.
 */
static void sync_test_handover_in_changes(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	ksd_model_init(&m);
	add(&m, "shop/a", 80, "10.96.0.1", 0, "10.244.0.1:80");
	add(&m, "shop/b", 80, "10.96.0.2,10.96.0.9", 0, "10.244.0.2:80");
	assert_int_equal(ksd_sync_full(s, &m), 0);
	ksd_model_release(&m);

	ksd_model_init(&m);
	add(&m, "shop/a", 80, "10.96.0.1,10.96.0.9", 0, "10.244.0.1:80");
	add(&m, "shop/b", 80, "10.96.0.2", 0, "10.244.0.2:80");
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 3);	/* -EEXIST, b, a */
	assert_int_equal(s->last.updated, 2);
	assert_int_equal(s->last.failed, 0);
	assert_int_equal(fake_table_find("shop/a")->nfrontends, 2);
	assert_int_equal(fake_table_find("shop/b")->nfrontends, 1);
	ksd_model_release(&m);
}

/* A failed update leaves the kernel's service as it was, is not swept,
 * and is tried again by the next pass; a transient failure (out of
 * memory) fails the pass, a refusal of the object itself does not (one
 * bad object must not make the node unhealthy). Either way the pass's
 * batch goes on to its one cleanup. */
static void sync_test_failure_kept(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	size_t from;

	preload("shop/api", 8080, "10.96.0.2", "10.244.0.3:80", 4);
	sample(&m);
	ftab.fail_cmd = KSVC_CMD_SVC_SET;
	ftab.fail_name = "shop/api";
	ftab.fail_errno = -EINVAL;
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(s->last.refused, 1);
	assert_int_equal(s->last.failed, 0);
	assert_int_equal(s->last.created, 1);
	assert_int_equal(fake_table_find("shop/api")->nfrontends, 1);
	/* The batch went on past the refusal, to one cleanup. */
	assert_int_equal(batched(0, true), 2);
	from = fake.nsent;
	ftab.fail_errno = -ENOMEM;
	assert_int_equal(ksd_sync_full(s, &m), -EAGAIN);
	assert_int_equal(s->last.failed, 1);
	assert_int_equal(s->last.refused, 0);
	assert_int_equal(batched(from, true), 2);
	assert_non_null(fake_table_find("shop/api"));	/* not swept */
	assert_int_equal(fake_table_find("shop/api")->nfrontends, 1);

	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_SET], 1);
	assert_int_equal(fake_table_writes(), 1);
	assert_int_equal(fake_table_find("shop/api")->nfrontends, 2);
	assert_int_equal(fake_table_find("shop/api")->generation, 6);
	ksd_model_release(&m);
}

/* Someone deleted a service behind the daemon's back: it is made again. */
static void sync_test_gone(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	ftab.svcs.n--;			/* the fake's last one vanishes */
	ksvc_service_release(&ftab.svcs.svcs[ftab.svcs.n]);
	m.svcs[0].ksvc.nbackends = 0;
	m.svcs[1].ksvc.nbackends = 0;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.svcs.n, 2);
	assert_int_equal(s->last.created, 1);
	assert_int_equal(s->last.replaced, 1);
	ksd_model_release(&m);
}

/* A broken socket: the pass stops, the handle is closed, the next pass
 * opens a new one and is a full pass. */
static void sync_test_broken_handle(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(fake.opens, 1);
	m.svcs[0].ksvc.node_port = 31000;
	ftab.fail_cmd = KSVC_CMD_SVC_SET;
	ftab.fail_errno = -EIO;
	assert_int_equal(ksd_sync_changes(s, &m), -EIO);
	assert_null(s->ks);
	assert_true(s->need_full);

	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake.opens, 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_GET], 1);	/* full */
	assert_int_equal(fake_table_find("shop/api")->node_port, 31000);
	assert_false(s->need_full);
	ksd_model_release(&m);
}

/* No endpoints: the service exists with an empty set; a large set goes
 * in parts and comes back whole. */
static void sync_test_sets(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	struct ksvc_service *k;

	ksd_model_init(&m);
	add(&m, "shop/empty", 80, "10.96.0.5", 0, "");
	add(&m, "shop/big", 80, "10.96.0.6", 0, "");
	for (int i = 0; i < 3000; i++) {
		struct ksvc_backend be;
		struct ksvc_service *big = &m.svcs[0].ksvc;

		ksvc_backend_init(&be);
		be.addr.family = AF_INET;
		be.addr.raw[0] = 10;
		be.addr.raw[2] = (uint8_t)(i >> 8);
		be.addr.raw[3] = (uint8_t)i;
		be.port = 8080;
		ksvc_service_add_backend(big, &be);
	}
	assert_int_equal(ksd_sync_full(s, &m), 0);
	k = fake_table_find("shop/empty");
	assert_non_null(k);
	assert_int_equal(k->nbackends, 0);
	assert_int_equal(fake_table_find("shop/big")->nbackends, 3000);
	assert_true(ftab.cmds[KSVC_CMD_BE_REPLACE] > 1);

	/* And a full pass over it finds nothing to change but the mark. */
	reset_counts();
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ftab.cmds[KSVC_CMD_BE_REPLACE], 0);
	assert_int_equal(s->last.marked, 2);
	ksd_model_release(&m);
}

/* The kernel is not there: the error comes back, nothing is kept. */
static void sync_test_no_module(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;

	fake.family = 0;
	sample(&m);
	assert_int_equal(ksd_sync_changes(s, &m), -EPROTONOSUPPORT);
	assert_null(s->ks);
	fake.family = FAKE_FAMILY;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(ftab.svcs.n, 2);
	ksd_model_release(&m);
}

/*
 * A pass is one batch: N changes are N requests with KSVC_REQ_F_DEFER_CT,
 * then one CT_CLEANUP; a pass without a change sends none. So for a
 * full pass over an empty kernel, a pass of changes (backends, a node
 * port, a deletion), a pass with nothing to do, a full pass that only
 * marks, and a full pass that sweeps and tries a creation again.
 */
static void sync_test_batch(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	size_t from;

	sample_udp(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(batched(0, true), 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_CT_CLEANUP], 1);

	m.svcs[0].ksvc.nbackends = 0;		/* shop/api: no endpoint */
	m.svcs[1].ksvc.nbackends = 1;		/* shop/web:http: one gone */
	m.svcs[1].ksvc.node_port = 30001;
	from = fake.nsent;
	reset_counts();
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(batched(from, true), fake_table_writes());
	assert_int_equal(fake_table_writes(), 2);
	assert_int_equal(ftab.cmds[KSVC_CMD_CT_CLEANUP], 1);

	from = fake.nsent;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(fake.nsent, from);		/* empty batch */

	reset_counts();
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(batched(from, true), 2);	/* marks */
	assert_int_equal(ftab.cmds[KSVC_CMD_CT_CLEANUP], 1);

	/* A deletion, then a creation that meets the deleted service's
	 * address and is tried again after the sweep: still one batch. */
	ksd_model_release(&m);
	ksd_model_init(&m);
	add(&m, "shop/dns", 53, "10.96.0.1", 0, "10.244.0.9:53");
	m.svcs[0].ksvc.proto = IPPROTO_UDP;
	preload("shop/old", 53, "10.96.0.1", "10.244.0.8:53", 1);
	ftab.svcs.svcs[ftab.svcs.n - 1].proto = IPPROTO_UDP;
	from = fake.nsent;
	reset_counts();
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(s->last.created, 1);
	assert_int_equal(s->last.deleted, 3);
	assert_int_equal(batched(from, true), fake_table_writes());
	assert_int_equal(ftab.cmds[KSVC_CMD_SVC_NEW], 2);	/* -EEXIST, ok */
	assert_int_equal(ftab.cmds[KSVC_CMD_CT_CLEANUP], 1);
	ksd_model_release(&m);
}

static unsigned int errors;

static void count_errors(int level, const char *line, void *arg)
{
	(void)line;
	(void)arg;
	if (level == KSD_LOG_ERR)
		errors++;
}

/*
 * The cleanup refused: said once, the pass still good (its changes are
 * made), and the next pass a batch of its own. On a broken socket: the
 * pass fails, the handle is closed, the next pass is full. A pass that
 * breaks the socket midway sends no cleanup on it.
 */
static void sync_test_batch_cleanup_fails(void **state)
{
	struct ksd_sync *s = *state;
	struct ksd_model m;
	size_t from;

	sample_udp(&m);
	ksd_log_set_sink(count_errors, NULL);
	errors = 0;
	ftab.fail_cmd = KSVC_CMD_CT_CLEANUP;
	ftab.fail_errno = -EPERM;
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(errors, 1);
	assert_int_equal(s->last.created, 2);
	assert_int_equal(s->last.failed + s->last.refused, 0);
	assert_int_equal(batched(0, true), 2);
	assert_non_null(s->ks);

	m.svcs[0].ksvc.nbackends = 0;
	from = fake.nsent;
	errors = 0;
	assert_int_equal(ksd_sync_changes(s, &m), 0);
	assert_int_equal(batched(from, true), 1);
	assert_int_equal(errors, 0);

	m.svcs[1].ksvc.nbackends = 0;
	ftab.fail_cmd = KSVC_CMD_CT_CLEANUP;
	ftab.fail_errno = -EIO;
	from = fake.nsent;
	assert_int_equal(ksd_sync_changes(s, &m), -EIO);
	assert_int_equal(batched(from, true), 1);
	assert_null(s->ks);
	assert_true(s->need_full);

	/* Broken midway: the rest of the pass, its cleanup included, is
	 * not sent. */
	assert_int_equal(ksd_sync_full(s, &m), 0);
	m.svcs[0].ksvc.node_port = 31000;
	m.svcs[1].ksvc.node_port = 31001;
	ftab.fail_cmd = KSVC_CMD_SVC_SET;
	ftab.fail_errno = -EIO;
	from = fake.nsent;
	assert_int_equal(ksd_sync_changes(s, &m), -EIO);
	assert_int_equal(fake.nsent, from + 1);
	assert_int_equal(batched(from, false), 1);
	ksd_model_release(&m);
}

/* Configuration and --cleanup. */
static void sync_test_config_cleanup(void **state)
{
	struct ksd_sync *s = *state;
	struct ksvc_config cfg = { .has = KSVC_CFG_HAS_CLUSTER_CIDRS |
					  KSVC_CFG_HAS_MASQUERADE_ALL,
				   .masquerade_all = true };
	struct ksd_model m;

	assert_int_equal(ksvc_parse_cidr("10.244.0.0/16",
					 &cfg.cluster_cidrs[0], NULL), 0);
	cfg.ncluster_cidrs = 1;
	assert_int_equal(ksd_sync_config(s, &cfg), 0);
	assert_true(ftab.cfg.masquerade_all);
	assert_int_equal(ftab.cfg.ncluster_cidrs, 1);

	sample(&m);
	assert_int_equal(ksd_sync_full(s, &m), 0);
	assert_int_equal(ksd_sync_cleanup(s), 0);
	assert_int_equal(ftab.svcs.n, 0);
	assert_true(s->need_full);
	assert_int_equal(s->known.n, 0);
	ksd_model_release(&m);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(sync_test_create),
		T(sync_test_unchanged),
		T(sync_test_diff),
		T(sync_test_policies),
		T(sync_test_restart),
		T(sync_test_frontend_moves),
		T(sync_test_handover_in_changes),
		T(sync_test_failure_kept),
		T(sync_test_gone),
		T(sync_test_broken_handle),
		T(sync_test_sets),
		T(sync_test_no_module),
		T(sync_test_config_cleanup),
		T(sync_test_batch),
		T(sync_test_batch_cleanup_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
