// SPDX-License-Identifier: GPL-2.0
/*
 * The fake service table; see fake_table.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake_table.h"
#include "kpolicy.h"

struct fake_table ftab;
static struct ksvc_service stage;	/* BE_REPLACE parts */

#define DUMP_BE_PER_MSG	500

static uint64_t uint_of(const struct nlattr *a)
{
	uint64_t v = 0;

	/* Host byte order, little-endian here: the low bytes come first. */
	memcpy(&v, nla_data(a), (size_t)nla_len(a));
	return v;
}

static void copy_svc(struct ksvc_service *dst, const struct ksvc_service *src)
{
	ksvc_service_init(dst);
	*dst = *src;
	dst->frontends = NULL;
	dst->nfrontends = dst->frontends_cap = 0;
	dst->backends = NULL;
	dst->nbackends = dst->backends_cap = 0;
	dst->source_ranges = NULL;
	dst->nsource_ranges = dst->source_ranges_cap = 0;
	for (size_t i = 0; i < src->nsource_ranges; i++)
		ksvc_service_add_source_range(dst, &src->source_ranges[i]);
	for (size_t i = 0; i < src->nfrontends; i++)
		ksvc_service_add_frontend(dst, &src->frontends[i]);
	ksvc_service_add_backends(dst, src->backends, src->nbackends);
}

void fake_table_add(const struct ksvc_service *svc)
{
	copy_svc(ksvc_service_list_push(&ftab.svcs), svc);
}

struct ksvc_service *fake_table_find(const char *name)
{
	return ksvc_service_list_find(&ftab.svcs, name);
}

unsigned int fake_table_writes(void)
{
	unsigned int n = 0;

	for (int c = 1; c <= KSVC_CMD_MAX; c++)
		if (c != KSVC_CMD_SVC_GET && c != KSVC_CMD_CFG_GET &&
		    c != KSVC_CMD_CT_CLEANUP)
			n += ftab.cmds[c];
	return n;
}

/* Does svc share an IP frontend or the node port with another service? */
static bool conflicts(const struct ksvc_service *svc)
{
	for (size_t i = 0; i < ftab.svcs.n; i++) {
		const struct ksvc_service *o = &ftab.svcs.svcs[i];

		if (!strcmp(o->name, svc->name) || o->proto != svc->proto)
			continue;
		if (svc->node_port && o->node_port == svc->node_port)
			return true;
		if (o->port != svc->port)
			continue;
		for (size_t a = 0; a < svc->nfrontends; a++)
			for (size_t b = 0; b < o->nfrontends; b++)
				if (ksvc_addr_equal(&svc->frontends[a].addr,
						    &o->frontends[b].addr))
					return true;
	}
	return false;
}

/* Applies the attributes of tb to svc as SVC_NEW/SVC_SET do. */
static void apply(struct ksvc_service *svc, const struct nlattr *const *tb)
{
	if (tb[KSVC_A_SVC_PROTO])
		svc->proto = (uint8_t)uint_of(tb[KSVC_A_SVC_PROTO]);
	if (tb[KSVC_A_SVC_PORT])
		svc->port = (uint16_t)uint_of(tb[KSVC_A_SVC_PORT]);
	if (tb[KSVC_A_SVC_NODE_PORT])
		svc->node_port = (uint16_t)uint_of(tb[KSVC_A_SVC_NODE_PORT]);
	if (tb[KSVC_A_SVC_SCHED])
		svc->sched = (uint8_t)uint_of(tb[KSVC_A_SVC_SCHED]);
	if (tb[KSVC_A_SVC_FLAGS])
		svc->flags = (uint32_t)uint_of(tb[KSVC_A_SVC_FLAGS]);
	if (tb[KSVC_A_SVC_GENERATION])
		svc->generation = uint_of(tb[KSVC_A_SVC_GENERATION]);
	if (tb[KSVC_A_SVC_AFFINITY])
		svc->affinity = (uint32_t)uint_of(tb[KSVC_A_SVC_AFFINITY]);
	if (tb[KSVC_A_SVC_SOURCE_RANGES]) {
		svc->nsource_ranges = 0;
		kp_source_ranges(tb[KSVC_A_SVC_SOURCE_RANGES], svc);
	}
	if (tb[KSVC_A_SVC_FRONTENDS]) {
		svc->nfrontends = 0;
		kp_frontends(tb[KSVC_A_SVC_FRONTENDS], svc);
	}
	if (tb[KSVC_A_SVC_BACKENDS]) {
		svc->nbackends = 0;
		kp_backends(tb[KSVC_A_SVC_BACKENDS], svc);
	}
}

static void put_addr(struct nl_msg *msg, int fam_attr, int addr_attr,
		     const struct ksvc_addr *a)
{
	nla_put_u16(msg, fam_attr, a->family);
	nla_put(msg, addr_attr, (int)ksvc_addr_len(a->family), a->raw);
}

static void dump(const struct nlmsghdr *req, const struct kp_req *r)
{
	uint32_t flags = 0;

	if (r->tb[KSVC_A_REQ_FLAGS])
		flags = (uint32_t)uint_of(r->tb[KSVC_A_REQ_FLAGS]);
	for (size_t i = 0; i < ftab.svcs.n; i++) {
		const struct ksvc_service *s = &ftab.svcs.svcs[i];
		struct nl_msg *msg = fake_reply(req, KSVC_CMD_SVC_GET,
						NLM_F_MULTI);
		struct nlattr *list, *m;

		if (r->tb[KSVC_A_SVC_NAME] &&
		    strcmp(nla_data(r->tb[KSVC_A_SVC_NAME]), s->name)) {
			nlmsg_free(msg);
			continue;
		}
		nla_put_string(msg, KSVC_A_SVC_NAME, s->name);
		nla_put_u8(msg, KSVC_A_SVC_PROTO, s->proto);
		nla_put_u16(msg, KSVC_A_SVC_PORT, s->port);
		if (s->node_port)
			nla_put_u16(msg, KSVC_A_SVC_NODE_PORT, s->node_port);
		nla_put_u8(msg, KSVC_A_SVC_SCHED, s->sched);
		nla_put_u32(msg, KSVC_A_SVC_FLAGS, s->flags);
		nla_put_u64(msg, KSVC_A_SVC_GENERATION, s->generation);
		list = nla_nest_start(msg, KSVC_A_SVC_FRONTENDS);
		for (size_t f = 0; f < s->nfrontends; f++) {
			m = nla_nest_start(msg, 0);
			nla_put_u8(msg, KSVC_FE_A_KIND, s->frontends[f].kind);
			put_addr(msg, KSVC_FE_A_FAMILY, KSVC_FE_A_ADDR,
				 &s->frontends[f].addr);
			nla_nest_end(msg, m);
		}
		nla_nest_end(msg, list);
		nla_put_u32(msg, KSVC_A_SVC_BACKEND_COUNT,
			    (uint32_t)s->nbackends);
		nla_put_u32(msg, KSVC_A_SVC_AFFINITY, s->affinity);
		if (s->nsource_ranges) {	/* as the module: when set */
			list = nla_nest_start(msg, KSVC_A_SVC_SOURCE_RANGES);
			for (size_t c = 0; c < s->nsource_ranges; c++) {
				m = nla_nest_start(msg, 0);
				put_addr(msg, KSVC_CIDR_A_FAMILY,
					 KSVC_CIDR_A_ADDR,
					 &s->source_ranges[c].addr);
				nla_put_u8(msg, KSVC_CIDR_A_PREFIXLEN,
					   s->source_ranges[c].prefixlen);
				nla_nest_end(msg, m);
			}
			nla_nest_end(msg, list);
		}
		if (!(flags & KSVC_REQ_F_BACKENDS)) {
			fake_queue_msg(msg);
			continue;
		}
		/* As the kernel: as many backends as fit, the rest in
		 * continuation messages of only the name and backends. */
		for (size_t b = 0; b < s->nbackends || !b; ) {
			list = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
			for (size_t k = 0; k < DUMP_BE_PER_MSG &&
					   b < s->nbackends; k++, b++) {
				const struct ksvc_backend *be = &s->backends[b];

				m = nla_nest_start(msg, 0);
				put_addr(msg, KSVC_BE_A_FAMILY, KSVC_BE_A_ADDR,
					 &be->addr);
				nla_put_u16(msg, KSVC_BE_A_PORT, be->port);
				nla_put_u32(msg, KSVC_BE_A_WEIGHT, be->weight);
				nla_put_u32(msg, KSVC_BE_A_FLAGS, be->flags);
				nla_nest_end(msg, m);
			}
			nla_nest_end(msg, list);
			fake_queue_msg(msg);
			if (b >= s->nbackends)
				break;
			msg = fake_reply(req, KSVC_CMD_SVC_GET, NLM_F_MULTI);
			nla_put_string(msg, KSVC_A_SVC_NAME, s->name);
		}
	}
	fake_done(req, 0, NULL, false);
}

static void del_at(size_t i)
{
	ksvc_service_release(&ftab.svcs.svcs[i]);
	memmove(&ftab.svcs.svcs[i], &ftab.svcs.svcs[i + 1],
		(ftab.svcs.n - i - 1) * sizeof(*ftab.svcs.svcs));
	ftab.svcs.n--;
}

static int handle(const struct kp_req *r)
{
	const char *name = r->tb[KSVC_A_SVC_NAME] ?
			   nla_data(r->tb[KSVC_A_SVC_NAME]) : NULL;
	struct ksvc_service *cur = name ? fake_table_find(name) : NULL;
	struct ksvc_service next;
	uint32_t flags = 0;

	if (r->tb[KSVC_A_REQ_FLAGS])
		flags = (uint32_t)uint_of(r->tb[KSVC_A_REQ_FLAGS]);
	if (ftab.fail_errno && r->cmd == ftab.fail_cmd &&
	    (!ftab.fail_name || (name && !strcmp(name, ftab.fail_name)))) {
		int e = ftab.fail_errno;

		ftab.fail_errno = 0;
		return e;
	}
	switch (r->cmd) {
	case KSVC_CMD_SVC_NEW:
		if (cur)
			return -EEXIST;
		ksvc_service_init(&next);
		ksvc_service_set_name(&next, name);
		apply(&next, r->tb);
		if (conflicts(&next)) {
			ksvc_service_release(&next);
			return -EEXIST;
		}
		*ksvc_service_list_push(&ftab.svcs) = next;
		return 0;
	case KSVC_CMD_SVC_SET:
		if (!cur)
			return -ENOENT;
		copy_svc(&next, cur);
		apply(&next, r->tb);
		if (conflicts(&next)) {
			ksvc_service_release(&next);
			return -EEXIST;
		}
		ksvc_service_release(cur);
		*cur = next;
		return 0;
	case KSVC_CMD_SVC_DEL:
		if (!cur)
			return -ENOENT;
		del_at((size_t)(cur - ftab.svcs.svcs));
		return 0;
	case KSVC_CMD_BE_REPLACE:
		if (!cur)
			return -ENOENT;
		if (!(flags & KSVC_REQ_F_CONTINUE)) {
			ksvc_service_release(&stage);
		} else if (strcmp(stage.name, name)) {
			return -EINVAL;
		}
		ksvc_service_set_name(&stage, name);
		kp_backends(r->tb[KSVC_A_SVC_BACKENDS], &stage);
		if (flags & KSVC_REQ_F_MORE)
			return 0;
		cur->nbackends = 0;
		ksvc_service_add_backends(cur, stage.backends, stage.nbackends);
		ksvc_service_release(&stage);
		return 0;
	case KSVC_CMD_FLUSH:
		while (ftab.svcs.n)
			del_at(ftab.svcs.n - 1);
		return 0;
	case KSVC_CMD_CT_CLEANUP:	/* the table has no conntrack */
		return 0;
	case KSVC_CMD_CFG_SET:
		ftab.cfg.has |= KSVC_CFG_HAS_CLUSTER_CIDRS;
		if (r->tb[KSVC_A_CFG_MASQUERADE_ALL])
			ftab.cfg.masquerade_all =
				uint_of(r->tb[KSVC_A_CFG_MASQUERADE_ALL]);
		if (r->tb[KSVC_A_CFG_CLUSTER_CIDRS])
			ftab.cfg.ncluster_cidrs =
				kp_count(r->tb[KSVC_A_CFG_CLUSTER_CIDRS]);
		if (r->tb[KSVC_A_CFG_NODEPORT_CIDRS]) {
			ftab.cfg.has |= KSVC_CFG_HAS_NODEPORT_CIDRS;
			ftab.cfg.nnodeport_cidrs =
				kp_count(r->tb[KSVC_A_CFG_NODEPORT_CIDRS]);
		}
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void respond(const struct nlmsghdr *req, void *arg)
{
	char why[KP_WHY_MAX];
	struct kp_req r;
	int ret;

	(void)arg;
	ret = kp_check_request(req, FAKE_FAMILY, &r, why);
	if (ret) {
		fake_ack(req, ret, why);
		return;
	}
	ftab.cmds[r.cmd]++;
	if (r.cmd == KSVC_CMD_SVC_GET) {
		dump(req, &r);
		return;
	}
	ret = handle(&r);
	if (ret || (req->nlmsg_flags & NLM_F_ACK))
		fake_ack(req, ret, ret ? "refused by the fake table" : NULL);
}

void fake_table_release(void)
{
	ksvc_service_list_release(&ftab.svcs);
	ksvc_service_release(&stage);
	fake_reset();
}

void fake_table_reset(void)
{
	fake_table_release();
	memset(&ftab, 0, sizeof(ftab));
	ksvc_service_list_init(&ftab.svcs);
	fake.respond = respond;
}
