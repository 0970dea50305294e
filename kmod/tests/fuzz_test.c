// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: a fuzz run of the netlink interface.
 *
 * Random requests, valid ones and ones with an attribute corrupted,
 * truncated, repeated, oversized or nested wrongly, go to the real handlers
 * the way a client's do: from netlink sockets in init_net, through the
 * generic netlink core, which parses them with the real policies and runs
 * dumps through .start/.dumpit/.done with its own netlink_callback, one
 * part per read, while other requests change the table in between. After
 * every request:
 *
 * - the tables' invariants hold (ksvc_table_check());
 * - every service and backend has its counter set, and no other is live;
 * - a refused request changed nothing, and said why (extack);
 * - an accepted one did what it asked for;
 * - a finished dump gave the table as it was when the dump started, or
 *   said NLM_F_DUMP_INTR, and only then.
 *
 * Each case ends by flushing the table: nothing may be left.
 *
 * Deterministic: case N runs from seed fuzz_seed + N (printed), so a
 * failure replays by running the suite again; the failing request's bytes
 * are printed for a regression test.
 */

#include <kunit/test.h>
#include <linux/file.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/sockptr.h>
#include <linux/uio.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include "kservice.h"
#include "net.h"
#include "stats.h"
#include "table.h"

#define FUZZ_CASES		4
/*
 * Per case: 200,000 requests a run, about 30 s in the debug build
 * (KASAN, lockdep) on two cores, 3 s in the plain one.
 */
#define FUZZ_REQUESTS		50000
#define FUZZ_MSG_MAX		32768
#define FUZZ_RX_MAX		32768
#define FUZZ_IDX_MAX		2048
#define FUZZ_NAMES		12
/* Below FUZZ_NAMES, so that -ENOSPC comes up. */
#define FUZZ_MAX_SERVICES	10
#define FUZZ_MAX_BACKENDS	200
/* A small prime: Maglev tables are built often, and some pools outgrow it. */
#define FUZZ_MAGLEV_SIZE	257
#define FUZZ_WRITERS		3
#define FUZZ_DUMPERS		3
#define FUZZ_DUMP_PARTS_MAX	4096
#define FUZZ_DUMP_SVCS		(FUZZ_NAMES + 8)

static unsigned long long fuzz_seed = 0x6b737663;
module_param(fuzz_seed, ullong, 0444);
MODULE_PARM_DESC(fuzz_seed, "KUnit: the seed of the first netlink fuzz case");

static unsigned int fuzz_requests = FUZZ_REQUESTS;
module_param(fuzz_requests, uint, 0444);
MODULE_PARM_DESC(fuzz_requests, "KUnit: requests per netlink fuzz case");

/* A client: a netlink socket in init_net, with a file for the core's
 * capability check, and the buffer it reads with.
 */
struct fsock {
	struct socket *sock;
	struct file *file;
	u32 portid;
	u32 rcvlen;
};

/* A multi-part KSVC_CMD_BE_REPLACE a writer has open. */
struct stager {
	int name;			/* index in fuzz_names, -1: none */
	u32 next;			/* host number of the next backend */
};

struct dump {
	struct fsock s;
	bool running;
	bool valid;			/* the request parses: ref[] answers it */
	bool backends;			/* KSVC_REQ_F_BACKENDS asked for */
	u32 seq;
	u32 gen0;			/* the table's generation at the start */
	u32 pending_gen;		/* ... when the part queued was made */
	bool moved;			/* a part was made after a change */
	bool stale;			/* ... and held services */
	bool intr;			/* NLM_F_DUMP_INTR seen */
	u32 parts;
	u32 nref, nrec;
	u64 ref[FUZZ_DUMP_SVCS];	/* the table at the start */
	u64 rec[FUZZ_DUMP_SVCS];	/* what came */
	/* the service being read */
	bool open;
	u64 h;
	u32 want, got;
	char name[KSVC_NAME_MAX];
};

struct fattr {
	u32 off;
	s16 parent;
	u8 depth;
};

/* The errnos counted apart in the log; the last slot is the others. */
static const int fuzz_errnos[] = {
	EINVAL, ERANGE, EEXIST, ENOENT, E2BIG, ENOSPC, EOPNOTSUPP,
};

static const char *const errno_names[] = {
	"EINVAL", "ERANGE", "EEXIST", "ENOENT", "E2BIG", "ENOSPC",
	"EOPNOTSUPP", "other",
};

#define FUZZ_ERRNOS	(ARRAY_SIZE(fuzz_errnos) + 1)
/* Counted by command; the last slot is unknown commands. */
#define FUZZ_CMDS	(KSVC_CMD_MAX + 2)

struct fuzz {
	struct kunit *test;
	struct ksvc_net *ns;
	struct rnd_state rnd;
	u64 seed;
	u16 family;
	u32 seq;
	struct fsock w[FUZZ_WRITERS];
	struct stager st[FUZZ_WRITERS];
	struct dump d[FUZZ_DUMPERS];
	u8 *msg;			/* the request being built */
	u32 len;
	bool full;
	bool sloppy;			/* it may hold bad values */
	u8 *rx;
	struct fattr *idx;
	u32 nidx;
	char desc[80];
	char why[384];
	int last_err;			/* the last request's ack */
	unsigned long stats_base;
	u32 requests, mutated, accepted;
	u32 dumps, dumps_done, dumps_intr, dumps_dropped, dump_parts;
	u32 sent[FUZZ_CMDS], ok[FUZZ_CMDS], err[FUZZ_CMDS][FUZZ_ERRNOS];
};

static char fuzz_names[FUZZ_NAMES][KSVC_NAME_MAX];

static const char *const cmd_names[FUZZ_CMDS] = {
	[KSVC_CMD_UNSPEC] = "UNSPEC",
	[KSVC_CMD_SVC_NEW] = "SVC_NEW",
	[KSVC_CMD_SVC_SET] = "SVC_SET",
	[KSVC_CMD_SVC_DEL] = "SVC_DEL",
	[KSVC_CMD_SVC_GET] = "SVC_GET",
	[KSVC_CMD_BE_REPLACE] = "BE_REPLACE",
	[KSVC_CMD_BE_ADD] = "BE_ADD",
	[KSVC_CMD_BE_DEL] = "BE_DEL",
	[KSVC_CMD_FLUSH] = "FLUSH",
	[KSVC_CMD_CFG_GET] = "CFG_GET",
	[KSVC_CMD_CFG_SET] = "CFG_SET",
	[KSVC_CMD_CT_CLEANUP] = "CT_CLEANUP",
	[KSVC_CMD_MAX + 1] = "unknown",
};

static __printf(2, 3) int fail(struct fuzz *f, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vscnprintf(f->why, sizeof(f->why), fmt, args);
	va_end(args);
	return -EUCLEAN;
}

static u32 rnd(struct fuzz *f, u32 n)
{
	return n ? prandom_u32_state(&f->rnd) % n : 0;
}

static bool chance(struct fuzz *f, u32 percent)
{
	return rnd(f, 100) < percent;
}

/*
 * A bad value, in one request of five only: a list of 200 members, each
 * bad one time in a hundred, would hardly ever be valid.
 */
static bool bad(struct fuzz *f, u32 percent)
{
	return f->sloppy && chance(f, percent);
}

static u64 rnd64(struct fuzz *f)
{
	return (u64)prandom_u32_state(&f->rnd) << 32 |
	       prandom_u32_state(&f->rnd);
}

/* ---- digests: the tables and the dumps, in one canonical form ------------ */

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static void dg(u64 *h, const void *p, size_t n)
{
	const u8 *b = p;

	while (n--) {
		*h ^= *b++;
		*h *= FNV_PRIME;
	}
}

static void dg32(u64 *h, u32 v)
{
	dg(h, &v, sizeof(v));
}

static void dg64(u64 *h, u64 v)
{
	dg(h, &v, sizeof(v));
}

static u32 alen(u16 family)
{
	return family == AF_INET6 ? sizeof(struct in6_addr) :
				    sizeof(struct in_addr);
}

static void dg_addr(u64 *h, u8 family, const void *addr)
{
	dg32(h, family);
	dg(h, addr, alen(family));
}

static void dg_cidrs(u64 *h, const struct ksvc_cidrs *c)
{
	u32 i;

	dg32(h, c ? c->count : U32_MAX);
	for (i = 0; c && i < c->count; i++) {
		dg_addr(h, c->cidr[i].family, &c->cidr[i].addr);
		dg32(h, c->cidr[i].prefixlen);
	}
}

/* A service as a dump shows it, its counters left out. Lock held. */
static u64 svc_digest(struct ksvc_net *ns, const struct ksvc_service *svc,
		      bool backends)
{
	const struct ksvc_conf *conf = ksvc_service_conf(&ns->tab, svc);
	const struct ksvc_beset *set = conf->set;
	u64 h = FNV_OFFSET;
	u32 i;

	dg(&h, svc->name, strlen(svc->name) + 1);
	dg32(&h, svc->proto);
	dg32(&h, svc->port);
	dg32(&h, svc->node_port);
	dg32(&h, conf->sched);
	dg32(&h, conf->flags);
	dg64(&h, svc->generation);
	dg32(&h, svc->fe_count);
	for (i = 0; i < svc->fe_count; i++) {
		dg32(&h, svc->fes[i]->kind);
		dg_addr(&h, svc->fes[i]->key.family, &svc->fes[i]->key.addr);
	}
	dg32(&h, conf->affinity);
	dg_cidrs(&h, conf->ranges);
	dg32(&h, set->count);
	for (i = 0; backends && i < set->count; i++) {
		const struct ksvc_backend *be = &set->be[i];

		dg_addr(&h, be->family, &be->addr);
		dg32(&h, ntohs(be->port));
		dg32(&h, be->weight);
		dg32(&h, be->flags);
	}
	return h;
}

/*
 * Everything a request may change: "nothing changes on error". Lock held.
 * The stage that @portid holds for @drop, if any, counts as dropped: what
 * a refused continuation leaves (ksvc_stage_drop()).
 */
static u64 state_digest_as(struct ksvc_net *ns,
			   const struct ksvc_service *drop, u32 portid)
{
	static const struct ksvc_stage dropped;
	const struct ksvc_service *svc;
	u64 h = FNV_OFFSET;
	u32 i;

	list_for_each_entry(svc, &ns->tab.services, list) {
		const struct ksvc_stage *st = &svc->stage;

		if (svc == drop && st->active && st->portid == portid)
			st = &dropped;
		dg64(&h, svc_digest(ns, svc, true));
		dg32(&h, st->active);
		dg32(&h, st->portid);
		dg32(&h, st->count);
		for (i = 0; i < st->count; i++) {
			dg_addr(&h, st->bes[i].family, &st->bes[i].addr);
			dg32(&h, st->bes[i].port);
			dg32(&h, st->bes[i].weight);
			dg32(&h, st->bes[i].flags);
		}
	}
	dg_cidrs(&h, rcu_dereference_protected(ns->cidrs,
					       lockdep_is_held(&ns->lock)));
	dg_cidrs(&h, rcu_dereference_protected(ns->np_cidrs,
					       lockdep_is_held(&ns->lock)));
	dg32(&h, READ_ONCE(ns->masquerade_all));
	dg32(&h, READ_ONCE(ns->nodeport_localhost));
	dg32(&h, READ_ONCE(ns->aff.max));
	return h;
}

static u64 state_digest(struct ksvc_net *ns)
{
	return state_digest_as(ns, NULL, 0);
}

/* ---- clients ---------------------------------------------------------- */

static void fsock_close(struct fsock *s)
{
	/* Synchronous: a dump still running is done before this returns. */
	if (s->file)
		__fput_sync(s->file);
	s->file = NULL;
	s->sock = NULL;
}

static int fsock_open(struct fsock *s, u32 rcvlen)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, ret;

	memset(s, 0, sizeof(*s));
	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW,
			       NETLINK_GENERIC, &s->sock);
	if (ret)
		return ret;
	/* The core checks CAP_NET_ADMIN against the socket's file. */
	s->file = sock_alloc_file(s->sock, 0, NULL);
	if (IS_ERR(s->file)) {
		ret = PTR_ERR(s->file);
		s->file = NULL;
		s->sock = NULL;
		return ret;
	}
	ret = kernel_bind(s->sock, (struct sockaddr *)&sa, sizeof(sa));
	if (!ret)
		ret = s->sock->ops->setsockopt(s->sock, SOL_NETLINK,
					       NETLINK_EXT_ACK,
					       KERNEL_SOCKPTR(&one),
					       sizeof(one));
	if (!ret)
		ret = s->sock->ops->setsockopt(s->sock, SOL_NETLINK,
					       NETLINK_CAP_ACK,
					       KERNEL_SOCKPTR(&one),
					       sizeof(one));
	if (!ret) {
		ret = kernel_getsockname(s->sock, (struct sockaddr *)&sa);
		ret = ret < 0 ? ret : 0;
	}
	if (ret) {
		fsock_close(s);
		return ret;
	}
	s->portid = sa.nl_pid;
	s->rcvlen = rcvlen;
	return 0;
}

static int fsock_send(struct fsock *s, void *buf, u32 len)
{
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {};
	int ret;

	ret = kernel_sendmsg(s->sock, &msg, &vec, 1, len);
	return ret < 0 ? ret : 0;
}

/* One datagram, or -EAGAIN: every request is answered before send returns. */
static int fsock_recv(struct fsock *s, void *buf, bool *trunc)
{
	struct kvec vec = { .iov_base = buf, .iov_len = s->rcvlen };
	struct msghdr msg = {};
	int ret;

	ret = kernel_recvmsg(s->sock, &msg, &vec, 1, s->rcvlen, MSG_DONTWAIT);
	*trunc = msg.msg_flags & MSG_TRUNC;
	return ret;
}

/* ---- building requests ---------------------------------------------------- */

static struct nlmsghdr *msg_hdr(struct fuzz *f)
{
	return (struct nlmsghdr *)f->msg;
}

static struct genlmsghdr *msg_genl(struct fuzz *f)
{
	return (struct genlmsghdr *)(f->msg + NLMSG_HDRLEN);
}

static void msg_start(struct fuzz *f, u16 type, u16 flags, u8 cmd)
{
	struct nlmsghdr *nlh = msg_hdr(f);
	struct genlmsghdr *hdr = msg_genl(f);

	memset(f->msg, 0, NLMSG_HDRLEN + GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = ++f->seq;
	hdr->cmd = cmd;
	hdr->version = KSVC_GENL_VERSION;
	f->len = NLMSG_HDRLEN + GENL_HDRLEN;
	f->full = false;
	f->sloppy = chance(f, 20);
}

static struct nlattr *put(struct fuzz *f, u16 type, const void *data, u32 len)
{
	struct nlattr *nla;

	if (f->full || f->len + nla_total_size(len) > FUZZ_MSG_MAX) {
		f->full = true;
		return NULL;
	}
	nla = (struct nlattr *)(f->msg + f->len);
	nla->nla_type = type;
	nla->nla_len = nla_attr_size(len);
	memset(nla_data(nla), 0, NLA_ALIGN(len));
	if (data)
		memcpy(nla_data(nla), data, len);
	f->len += nla_total_size(len);
	return nla;
}

static void put_u8(struct fuzz *f, u16 type, u8 v)
{
	put(f, type, &v, sizeof(v));
}

static void put_u16(struct fuzz *f, u16 type, u16 v)
{
	put(f, type, &v, sizeof(v));
}

static void put_u32(struct fuzz *f, u16 type, u32 v)
{
	put(f, type, &v, sizeof(v));
}

static void put_u64(struct fuzz *f, u16 type, u64 v)
{
	put(f, type, &v, sizeof(v));
}

static void put_str(struct fuzz *f, u16 type, const char *s)
{
	put(f, type, s, strlen(s) + 1);
}

static u32 nest_start(struct fuzz *f, u16 type)
{
	u32 off = f->len;

	put(f, type | NLA_F_NESTED, NULL, 0);
	return off;
}

static void nest_end(struct fuzz *f, u32 off)
{
	if (!f->full)
		((struct nlattr *)(f->msg + off))->nla_len = f->len - off;
}

/* 10.@net.@host, or fd00:0:0:@net::@host */
static void addr_of(u16 family, u8 net, u32 host, u8 *a)
{
	memset(a, 0, sizeof(struct in6_addr));
	if (family == AF_INET6) {
		a[0] = 0xfd;
		a[7] = net;
		a[14] = host >> 8;
		a[15] = host;
	} else {
		a[0] = 10;
		a[1] = net;
		a[2] = host >> 8;
		a[3] = host;
	}
}

static u16 pick_family(struct fuzz *f)
{
	static const u16 wrong[] = { AF_UNSPEC, 3, AF_INET6 + 1, 0xffff };

	if (bad(f, 2))
		return wrong[rnd(f, ARRAY_SIZE(wrong))];
	return chance(f, 60) ? AF_INET : AF_INET6;
}

static void put_name_of(struct fuzz *f, int i)
{
	put_str(f, KSVC_A_SVC_NAME, fuzz_names[i]);
}

static void put_name(struct fuzz *f)
{
	char name[12];
	u32 i, n;

	if (!chance(f, 2)) {
		put_name_of(f, rnd(f, FUZZ_NAMES));
		return;
	}
	/* A name of no pool: a few letters, sometimes none. */
	n = rnd(f, sizeof(name) - 1);
	for (i = 0; i < n; i++)
		name[i] = "ab/:-"[rnd(f, 5)];
	name[n] = 0;
	put_str(f, KSVC_A_SVC_NAME, name);
}

static const u8 protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP };
static const u16 ports[] = { 80, 53, 443 };
static const u16 be_ports[] = { 8080, 9090 };
static const u16 node_ports[] = { 0, 30000, 30001, 30002 };

/* @n frontends: from a pool of 6 addresses, or @distinct ones. */
static void put_fes(struct fuzz *f, u32 n, bool distinct)
{
	u32 list = nest_start(f, KSVC_A_SVC_FRONTENDS), i;
	u8 a[sizeof(struct in6_addr)];

	for (i = 0; i < n; i++) {
		u16 family = pick_family(f);
		u32 m = nest_start(f, chance(f, 90) ? 0 : rnd(f, 4));

		addr_of(family, 96, 1 + (distinct ? i : rnd(f, 6)), a);
		if (bad(f, 2))
			memset(a, 0, sizeof(a));
		if (!bad(f, 2))
			put_u8(f, KSVC_FE_A_KIND, bad(f, 3) ? rnd(f, 256) :
				1 + rnd(f, KSVC_FE_KIND_MAX));
		put_u16(f, KSVC_FE_A_FAMILY, family);
		put(f, KSVC_FE_A_ADDR, a, alen(family));
		nest_end(f, m);
	}
	nest_end(f, list);
}

/* A backend member: 10.244.@host, fd00:0:0:f4::@host, or @be's address. */
static void put_be_as(struct fuzz *f, u32 host, const struct ksvc_backend *be)
{
	static const u32 weights[] = { 0, 1, 1, 1, 2, 3, 100, KSVC_WEIGHT_MAX };
	u16 family = be ? be->family : pick_family(f);
	u8 a[sizeof(struct in6_addr)];
	u32 m = nest_start(f, 0);

	if (be)
		memcpy(a, &be->addr, sizeof(a));
	else
		addr_of(family, 244, host, a);
	put_u16(f, KSVC_BE_A_FAMILY, family);
	put(f, KSVC_BE_A_ADDR, a, alen(family));
	if (!bad(f, 2))
		put_u16(f, KSVC_BE_A_PORT, be ? ntohs(be->port) : bad(f, 2) ? 0 :
			be_ports[rnd(f, ARRAY_SIZE(be_ports))]);
	if (chance(f, 50))
		put_u32(f, KSVC_BE_A_WEIGHT,
			bad(f, 2) ? KSVC_WEIGHT_MAX + 1 :
			weights[rnd(f, ARRAY_SIZE(weights))]);
	if (chance(f, 40))
		put_u32(f, KSVC_BE_A_FLAGS, rnd(f, bad(f, 3) ? 64 : 16));
	nest_end(f, m);
}

static void put_be(struct fuzz *f, u32 host)
{
	put_be_as(f, host, NULL);
}

/* One backend for BE_ADD or BE_DEL: mostly one the service has. */
static void put_one_be(struct fuzz *f, int name)
{
	struct ksvc_net *ns = f->ns;
	const struct ksvc_service *svc;
	const struct ksvc_beset *set;
	struct ksvc_backend be;
	bool found = false;
	u32 list;

	mutex_lock(&ns->lock);
	svc = ksvc_service_find(&ns->tab, fuzz_names[name]);
	set = svc ? ksvc_service_backends(&ns->tab, svc) : NULL;
	if (set && set->count && chance(f, 70)) {
		be = set->be[rnd(f, set->count)];
		found = true;
	}
	mutex_unlock(&ns->lock);
	list = nest_start(f, KSVC_A_SVC_BACKENDS);
	put_be_as(f, 1 + rnd(f, 24), found ? &be : NULL);
	nest_end(f, list);
}

/* @n backends of 24 hosts (so that they collide), or of 1000. */
static void put_bes(struct fuzz *f, u32 n, bool many)
{
	u32 list = nest_start(f, KSVC_A_SVC_BACKENDS), i;

	for (i = 0; i < n; i++)
		put_be(f, 1 + rnd(f, many ? 1000 : 24));
	nest_end(f, list);
}

static void put_cidrs(struct fuzz *f, u16 type, u32 n)
{
	u32 list = nest_start(f, type), i;

	for (i = 0; i < n; i++) {
		u16 family = pick_family(f);
		u32 bytes = alen(family), b, m;
		u8 a[sizeof(struct in6_addr)] = {};
		u8 plen = rnd(f, 8 * bytes + 1);

		if (bad(f, 2))
			plen = 8 * bytes + 1 + rnd(f, 100);
		for (b = 0; b < bytes; b++) {
			int keep = clamp_t(int, plen - 8 * b, 0, 8);

			a[b] = rnd(f, 256);
			/* Host bits zero, but now and then. */
			if (!bad(f, 3))
				a[b] &= (u8)(0xff00 >> keep);
		}
		m = nest_start(f, 0);
		put_u16(f, KSVC_CIDR_A_FAMILY, family);
		put(f, KSVC_CIDR_A_ADDR, a, bytes);
		put_u8(f, KSVC_CIDR_A_PREFIXLEN, plen);
		nest_end(f, m);
	}
	nest_end(f, list);
}

/* SVC_NEW's attributes, or a few of them for SVC_SET. */
static void put_svc_attrs(struct fuzz *f, bool set)
{
	static const u32 affinities[] = {
		0, 1, 10800, KSVC_AFFINITY_TIMEOUT_MAX,
	};

	if (set ? chance(f, 20) : !bad(f, 3))
		put_u8(f, KSVC_A_SVC_PROTO, bad(f, 5) ? rnd(f, 256) :
			protos[rnd(f, ARRAY_SIZE(protos))]);
	if (set ? chance(f, 20) : !bad(f, 3))
		put_u16(f, KSVC_A_SVC_PORT, bad(f, 5) ? 0 :
			ports[rnd(f, ARRAY_SIZE(ports))]);
	if (chance(f, set ? 25 : 70)) {
		bool many = chance(f, 5);

		put_fes(f, many ? KSVC_FRONTENDS_MAX - 4 + rnd(f, 6) :
			rnd(f, 5), many);
	}
	if (chance(f, set ? 20 : 30))
		put_u16(f, KSVC_A_SVC_NODE_PORT,
			node_ports[rnd(f, ARRAY_SIZE(node_ports))]);
	if (chance(f, set ? 25 : 40))
		put_u8(f, KSVC_A_SVC_SCHED, rnd(f, KSVC_SCHED_MAX + 1 +
						 bad(f, 10)));
	if (chance(f, 25))
		put_u32(f, KSVC_A_SVC_FLAGS, rnd(f, bad(f, 10) ? 256 : 4));
	if (chance(f, 25))
		put_u64(f, KSVC_A_SVC_GENERATION, rnd64(f));
	if (chance(f, set ? 20 : 40)) {
		bool many = chance(f, 5);

		put_bes(f, many ? rnd(f, FUZZ_MAX_BACKENDS + 50) : rnd(f, 9),
			many);
	}
	if (chance(f, 20))
		put_u32(f, KSVC_A_SVC_AFFINITY, bad(f, 10) ?
			KSVC_AFFINITY_TIMEOUT_MAX + 1 :
			affinities[rnd(f, ARRAY_SIZE(affinities))]);
	if (chance(f, 20))
		put_cidrs(f, KSVC_A_SVC_SOURCE_RANGES, chance(f, 10) ?
			  KSVC_SOURCE_RANGES_MAX - 1 + rnd(f, 3) : rnd(f, 4));
}

static void put_cfg_attrs(struct fuzz *f)
{
	static const u32 maxes[] = { 0, 1, 100, 131072, INT_MAX };

	if (chance(f, 30))
		put_cidrs(f, KSVC_A_CFG_CLUSTER_CIDRS, chance(f, 5) ?
			  KSVC_CIDRS_MAX + rnd(f, 2) : rnd(f, 4));
	if (chance(f, 30))
		put_u8(f, KSVC_A_CFG_MASQUERADE_ALL, rnd(f, 2 + bad(f, 10)));
	if (chance(f, 30))
		put_u8(f, KSVC_A_CFG_NODEPORT_LOCALHOST, rnd(f, 2));
	if (chance(f, 30))
		put_u32(f, KSVC_A_CFG_AFFINITY_MAX, bad(f, 10) ? 1U << 31 :
			maxes[rnd(f, ARRAY_SIZE(maxes))]);
	if (chance(f, 30))
		put_cidrs(f, KSVC_A_CFG_NODEPORT_CIDRS, chance(f, 5) ?
			  KSVC_CIDRS_MAX + rnd(f, 2) : rnd(f, 4));
}

/* Attributes of any type and length, nested now and then. */
static void put_junk(struct fuzz *f, u32 n)
{
	u8 data[24];
	u32 i, b;

	for (i = 0; i < n; i++) {
		u16 type = rnd(f, KSVC_A_MAX + 3);
		u32 len = rnd(f, sizeof(data) + 1);

		if (chance(f, 20)) {
			u32 nest = nest_start(f, type);

			put_junk(f, rnd(f, 3));
			nest_end(f, nest);
			continue;
		}
		for (b = 0; b < len; b++)
			data[b] = rnd(f, 256);
		put(f, type, data, len);
	}
}

/* ---- mutations ------------------------------------------------------------ */

static struct nlattr *attr_at(struct fuzz *f, u32 i)
{
	return (struct nlattr *)(f->msg + f->idx[i].off);
}

/* Indexes the attributes between @start and @end, nests recursively. */
static void index_walk(struct fuzz *f, u32 start, u32 end, int parent,
		       int depth)
{
	u32 off = start;

	while (off + NLA_HDRLEN <= end && f->nidx < FUZZ_IDX_MAX) {
		const struct nlattr *nla = (struct nlattr *)(f->msg + off);
		u32 me = f->nidx;

		if (nla->nla_len < NLA_HDRLEN || off + nla->nla_len > end)
			return;
		f->idx[me].off = off;
		f->idx[me].parent = parent;
		f->idx[me].depth = depth;
		f->nidx++;
		if ((nla->nla_type & NLA_F_NESTED) && depth < 4)
			index_walk(f, off + NLA_HDRLEN, off + nla->nla_len, me,
				   depth + 1);
		off += NLA_ALIGN(nla->nla_len);
	}
}

static u32 index_attrs(struct fuzz *f)
{
	f->nidx = 0;
	if (f->len >= NLMSG_HDRLEN + GENL_HDRLEN)
		index_walk(f, NLMSG_HDRLEN + GENL_HDRLEN, f->len, -1, 0);
	return f->nidx;
}

/* Whether the message and every nest around attribute @i take @d bytes. */
static bool grow_ok(struct fuzz *f, u32 i, int d)
{
	int p;

	if ((int)f->len + d > FUZZ_MSG_MAX)
		return false;
	for (p = f->idx[i].parent; p >= 0; p = f->idx[p].parent)
		if (attr_at(f, p)->nla_len + d > U16_MAX)
			return false;
	return true;
}

static void grow_parents(struct fuzz *f, u32 i, int d)
{
	int p;

	for (p = f->idx[i].parent; p >= 0; p = f->idx[p].parent)
		attr_at(f, p)->nla_len += d;
}

static void insert_gap(struct fuzz *f, u32 at, u32 n)
{
	memmove(f->msg + at + n, f->msg + at, f->len - at);
	f->len += n;
}

static void remove_bytes(struct fuzz *f, u32 at, u32 n)
{
	memmove(f->msg + at, f->msg + at + n, f->len - at - n);
	f->len -= n;
}

/* Attribute @i with a payload of @plen bytes: cut, or grown with @fill. */
static bool resize(struct fuzz *f, u32 i, u32 plen, int fill)
{
	struct nlattr *nla = attr_at(f, i);
	u32 off = f->idx[i].off, old = nla_len(nla), b;
	int d = (int)nla_total_size(plen) - (int)NLA_ALIGN(nla->nla_len);

	if (nla_attr_size(plen) > U16_MAX || !grow_ok(f, i, d))
		return false;
	if (d > 0)
		insert_gap(f, off + NLA_ALIGN(nla->nla_len), d);
	else if (d < 0)
		remove_bytes(f, off + nla_total_size(plen), -d);
	nla->nla_len = nla_attr_size(plen);
	for (b = old; b < plen; b++)
		((u8 *)nla_data(nla))[b] = fill < 0 ? rnd(f, 256) : fill;
	memset((u8 *)nla_data(nla) + plen, 0, nla_padlen(plen));
	grow_parents(f, i, d);
	return true;
}

static bool repeat_attr(struct fuzz *f, u32 i)
{
	u32 off = f->idx[i].off, size = NLA_ALIGN(attr_at(f, i)->nla_len);

	if (!grow_ok(f, i, size))
		return false;
	insert_gap(f, off + size, size);
	memcpy(f->msg + off + size, f->msg + off, size);
	grow_parents(f, i, size);
	return true;
}

static bool drop_attr(struct fuzz *f, u32 i)
{
	u32 size = NLA_ALIGN(attr_at(f, i)->nla_len);

	remove_bytes(f, f->idx[i].off, size);
	grow_parents(f, i, -(int)size);
	return true;
}

/* One nest more around attribute @i. */
static bool wrap_attr(struct fuzz *f, u32 i)
{
	u32 off = f->idx[i].off, size = NLA_ALIGN(attr_at(f, i)->nla_len);
	struct nlattr *nest;

	if (NLA_HDRLEN + size > U16_MAX || !grow_ok(f, i, NLA_HDRLEN))
		return false;
	insert_gap(f, off, NLA_HDRLEN);
	nest = (struct nlattr *)(f->msg + off);
	nest->nla_len = NLA_HDRLEN + size;
	nest->nla_type = (chance(f, 50) ? nest[1].nla_type & NLA_TYPE_MASK :
			  rnd(f, KSVC_A_MAX + 1)) | NLA_F_NESTED;
	grow_parents(f, i, NLA_HDRLEN);
	return true;
}

/* The nest @i gone, its members one level up. */
static bool unwrap_attr(struct fuzz *f, u32 i)
{
	const struct nlattr *nla = attr_at(f, i);

	if (!(nla->nla_type & NLA_F_NESTED) ||
	    NLA_ALIGN(nla->nla_len) != nla->nla_len)
		return false;
	remove_bytes(f, f->idx[i].off, NLA_HDRLEN);
	grow_parents(f, i, -NLA_HDRLEN);
	return true;
}

/* A copy of nested attribute @i at the top level. */
static bool hoist_attr(struct fuzz *f, u32 i)
{
	u32 size = NLA_ALIGN(attr_at(f, i)->nla_len);

	if (!f->idx[i].depth || f->len + size > FUZZ_MSG_MAX)
		return false;
	memcpy(f->msg + f->len, f->msg + f->idx[i].off, size);
	f->len += size;
	return true;
}

/* A scalar where a nest was, or a nest where a scalar was. */
static bool swap_kind(struct fuzz *f, u32 i)
{
	struct nlattr *nla = attr_at(f, i), *child;
	u32 v = prandom_u32_state(&f->rnd);

	if (nla->nla_type & NLA_F_NESTED) {
		if (!resize(f, i, sizeof(v), 0))
			return false;
		memcpy(nla_data(nla), &v, sizeof(v));
		if (chance(f, 50))
			nla->nla_type &= ~NLA_F_NESTED;
		return true;
	}
	if (!resize(f, i, NLA_HDRLEN + sizeof(v), 0))
		return false;
	child = nla_data(nla);
	child->nla_len = NLA_HDRLEN + sizeof(v);
	child->nla_type = 1 + rnd(f, 3);
	memcpy(nla_data(child), &v, sizeof(v));
	if (chance(f, 50))
		nla->nla_type |= NLA_F_NESTED;
	return true;
}

static bool retype_attr(struct fuzz *f, u32 i)
{
	struct nlattr *nla = attr_at(f, i);

	switch (rnd(f, 3)) {
	case 0:
		nla->nla_type = (nla->nla_type & ~NLA_TYPE_MASK) |
				rnd(f, KSVC_A_MAX + 3);
		break;
	case 1:
		nla->nla_type ^= NLA_F_NESTED;
		break;
	default:
		nla->nla_type ^= NLA_F_NET_BYTEORDER;
		break;
	}
	return true;
}

static bool flip_bits(struct fuzz *f, u32 i)
{
	struct nlattr *nla = attr_at(f, i);
	u32 n = 1 + rnd(f, 3);

	if (!nla_len(nla))
		return false;
	while (n--)
		((u8 *)nla_data(nla))[rnd(f, nla_len(nla))] ^= 1 << rnd(f, 8);
	return true;
}

/* A boundary value in a u8, u16, u32 or u64. */
static bool edge_value(struct fuzz *f, u32 i)
{
	static const u64 edges[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
		0x10000, KSVC_WEIGHT_MAX + 1, KSVC_AFFINITY_TIMEOUT_MAX + 1,
		INT_MAX, 0x80000000, U32_MAX, U64_MAX,
	};
	struct nlattr *nla = attr_at(f, i);
	u64 v = chance(f, 20) ? rnd64(f) : edges[rnd(f, ARRAY_SIZE(edges))];
	int len = nla_len(nla);

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return false;
	memcpy(nla_data(nla), &v, len);	/* little endian: the low bytes */
	return true;
}

static bool cut_attr(struct fuzz *f, u32 i)
{
	u32 old = nla_len(attr_at(f, i));

	return old && resize(f, i, rnd(f, old), 0);
}

static bool oversize_attr(struct fuzz *f, u32 i)
{
	static const u32 more[] = { 1, 2, 4, 8, 64, 250 };
	struct nlattr *nla = attr_at(f, i);
	u32 old = nla_len(nla), add = more[rnd(f, ARRAY_SIZE(more))];

	/* A longer string: its NUL overwritten, one put at the new end. */
	if (old && !((u8 *)nla_data(nla))[old - 1] && chance(f, 50)) {
		if (!resize(f, i, old + add, 'a'))
			return false;
		((u8 *)nla_data(nla))[old - 1] = 'a';
		((u8 *)nla_data(nla))[old + add - 1] = 0;
		return true;
	}
	return resize(f, i, old + add, chance(f, 50) ? -1 : 0);
}

/* Breaks the structure; nothing is indexed after it. */
static void bad_len(struct fuzz *f, u32 i)
{
	struct nlattr *nla = attr_at(f, i);
	u16 lens[] = {
		0, 1, 3, nla->nla_len - 1, nla->nla_len + 1,
		nla->nla_len + 4, U16_MAX,
	};

	nla->nla_len = lens[rnd(f, ARRAY_SIZE(lens))];
}

static void mutate_header(struct fuzz *f, bool dump)
{
	static const u16 flags[] = {
		NLM_F_ECHO, NLM_F_ROOT, NLM_F_MATCH, NLM_F_ATOMIC, NLM_F_MULTI,
	};
	struct genlmsghdr *hdr = msg_genl(f);

	switch (rnd(f, dump ? 3 : 4)) {
	case 0:
		hdr->cmd = chance(f, 50) ? rnd(f, KSVC_CMD_MAX + 3) : rnd(f, 256);
		break;
	case 1:
		hdr->version = rnd(f, 256);
		break;
	case 2:
		hdr->reserved = 1 + rnd(f, U16_MAX);
		break;
	default:
		msg_hdr(f)->nlmsg_flags |= flags[rnd(f, ARRAY_SIZE(flags))];
		/* Not both halves of NLM_F_DUMP: that is another path. */
		if ((msg_hdr(f)->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP)
			msg_hdr(f)->nlmsg_flags &= ~NLM_F_MATCH;
		break;
	}
}

enum {
	MUT_FLIP, MUT_EDGE, MUT_CUT, MUT_OVERSIZE, MUT_REPEAT, MUT_DROP,
	MUT_RETYPE, MUT_WRAP, MUT_UNWRAP, MUT_HOIST, MUT_SWAP, MUT_HEADER,
	MUT_BAD_LEN, MUT_TRUNCATE, __MUT_N
};

static const char *const mut_names[__MUT_N] = {
	"flip", "edge", "cut", "oversize", "repeat", "drop", "retype", "wrap",
	"unwrap", "hoist", "swap", "header", "badlen", "truncate",
};

/* One to three mutations; the two that break the structure come last. */
static void mutate(struct fuzz *f, bool dump)
{
	u32 n = 1 + rnd(f, 3), k, pos;

	pos = strlen(f->desc);
	for (k = 0; k < n; k++) {
		u32 m = rnd(f, __MUT_N), i;
		bool done = false;

		if (!index_attrs(f) && m != MUT_TRUNCATE)
			m = MUT_HEADER;
		i = rnd(f, f->nidx);
		switch (m) {
		case MUT_FLIP:
			done = flip_bits(f, i);
			break;
		case MUT_EDGE:
			done = edge_value(f, i);
			break;
		case MUT_CUT:
			done = cut_attr(f, i);
			break;
		case MUT_OVERSIZE:
			done = oversize_attr(f, i);
			break;
		case MUT_REPEAT:
			done = repeat_attr(f, i);
			break;
		case MUT_DROP:
			done = drop_attr(f, i);
			break;
		case MUT_RETYPE:
			done = retype_attr(f, i);
			break;
		case MUT_WRAP:
			done = wrap_attr(f, i);
			break;
		case MUT_UNWRAP:
			done = unwrap_attr(f, i);
			break;
		case MUT_HOIST:
			done = hoist_attr(f, i);
			break;
		case MUT_SWAP:
			done = swap_kind(f, i);
			break;
		case MUT_HEADER:
			mutate_header(f, dump);
			done = true;
			break;
		case MUT_BAD_LEN:
			bad_len(f, i);
			done = true;
			k = n;
			break;
		default:
			/* The message cut short, its header kept. */
			f->len = NLMSG_HDRLEN + rnd(f, f->len - NLMSG_HDRLEN);
			done = true;
			k = n;
			break;
		}
		if (done)
			pos += scnprintf(f->desc + pos, sizeof(f->desc) - pos,
					 " %s", mut_names[m]);
	}
	f->mutated++;
}

/* ---- what was sent ---------------------------------------------------------- */

/* The final request, parsed as a client reads its own message. */
struct sent {
	u8 cmd;
	bool parsed;
	struct nlattr *tb[KSVC_A_MAX + 1];
	char name[KSVC_NAME_MAX];
	bool named;
	/* the state before it */
	u64 digest;
	u64 digest_dropped;		/* as refused continuations leave it */
	u32 count;
	struct ksvc_service *svc;	/* never dereferenced after */
	s64 set_count;
	u64 set_digest;
	u32 stage_count;
};

static u32 members(const struct nlattr *list)
{
	const struct nlattr *m;
	u32 n = 0;
	int rem;

	nla_for_each_nested(m, list, rem)
		n++;
	return n;
}

static void sent_parse(struct fuzz *f, struct sent *s)
{
	const struct nlattr *name;

	memset(s, 0, sizeof(*s));
	s->cmd = f->len >= NLMSG_HDRLEN + GENL_HDRLEN ? msg_genl(f)->cmd :
							KSVC_CMD_UNSPEC;
	s->parsed = f->len >= NLMSG_HDRLEN + GENL_HDRLEN &&
		    !nla_parse_deprecated(s->tb, KSVC_A_MAX,
					  (struct nlattr *)(f->msg + NLMSG_HDRLEN +
							    GENL_HDRLEN),
					  f->len - NLMSG_HDRLEN - GENL_HDRLEN,
					  NULL, NULL);
	name = s->parsed ? s->tb[KSVC_A_SVC_NAME] : NULL;
	if (name && nla_len(name) &&
	    memchr(nla_data(name), 0, min_t(int, nla_len(name), KSVC_NAME_MAX))) {
		strscpy(s->name, nla_data(name), sizeof(s->name));
		s->named = true;
	}
}

/* The state a request starts from. Lock held. */
static void sent_before(struct fuzz *f, struct sent *s, u32 portid)
{
	struct ksvc_net *ns = f->ns;

	s->digest = state_digest(ns);
	s->count = ns->tab.count;
	s->set_count = -1;
	s->svc = s->named ? ksvc_service_find(&ns->tab, s->name) : NULL;
	if (s->svc) {
		s->set_count = ksvc_service_backends(&ns->tab, s->svc)->count;
		s->set_digest = svc_digest(ns, s->svc, true);
		s->stage_count = s->svc->stage.count;
	}
	s->digest_dropped = s->digest;
	if (s->svc && s->cmd == KSVC_CMD_BE_REPLACE &&
	    s->tb[KSVC_A_REQ_FLAGS] && nla_len(s->tb[KSVC_A_REQ_FLAGS]) == 4 &&
	    nla_get_u32(s->tb[KSVC_A_REQ_FLAGS]) & KSVC_REQ_F_CONTINUE)
		s->digest_dropped = state_digest_as(ns, s->svc, portid);
}

static u32 get_u(const struct nlattr *a)
{
	switch (nla_len(a)) {
	case 1:
		return nla_get_u8(a);
	case 2:
		return nla_get_u16(a);
	default:
		return nla_get_u32(a);
	}
}

/* A field of the service as attribute @attr asked, or @dflt for SVC_NEW. */
static int asked(struct fuzz *f, const struct sent *s, bool new, int attr,
		 const char *name, const char *field, u32 have, u32 dflt)
{
	const struct nlattr *a = s->tb[attr];

	if (!a && !new)
		return 0;
	if (have != (a ? get_u(a) : dflt))
		return fail(f, "%s: %s %u, the request %u", name, field, have,
			    a ? get_u(a) : dflt);
	return 0;
}

/* The service's attributes the request gave (all of them for SVC_NEW). */
static int svc_as_asked(struct fuzz *f, const struct sent *s,
			const struct ksvc_service *svc, bool new)
{
	struct ksvc_net *ns = f->ns;
	struct nlattr *const *tb = s->tb;
	const struct ksvc_conf *conf = ksvc_service_conf(&ns->tab, svc);
	const struct ksvc_cidrs *ranges = conf->ranges;
	const struct ksvc_beset *set = conf->set;
	const char *n = svc->name;
	int ret;

	ret = asked(f, s, new, KSVC_A_SVC_PROTO, n, "proto", svc->proto, 0);
	if (!ret)
		ret = asked(f, s, new, KSVC_A_SVC_PORT, n, "port", svc->port, 0);
	if (!ret)
		ret = asked(f, s, new, KSVC_A_SVC_NODE_PORT, n, "node port",
			    svc->node_port, 0);
	if (!ret)
		ret = asked(f, s, new, KSVC_A_SVC_SCHED, n, "scheduler",
			    conf->sched, KSVC_SCHED_RANDOM);
	if (!ret)
		ret = asked(f, s, new, KSVC_A_SVC_FLAGS, n, "flags", conf->flags,
			    0);
	if (!ret)
		ret = asked(f, s, new, KSVC_A_SVC_AFFINITY, n, "affinity",
			    conf->affinity, 0);
	if (ret)
		return ret;
	if ((tb[KSVC_A_SVC_GENERATION] || new) &&
	    svc->generation != (tb[KSVC_A_SVC_GENERATION] ?
				nla_get_u64(tb[KSVC_A_SVC_GENERATION]) : 0))
		return fail(f, "%s: generation %llu not as asked", svc->name,
			    svc->generation);
	if ((tb[KSVC_A_SVC_FRONTENDS] || new) &&
	    svc->fe_count != (tb[KSVC_A_SVC_FRONTENDS] ?
			      members(tb[KSVC_A_SVC_FRONTENDS]) : 0))
		return fail(f, "%s: %u frontends not as asked", svc->name,
			    svc->fe_count);
	if ((tb[KSVC_A_SVC_BACKENDS] || new) &&
	    set->count != (tb[KSVC_A_SVC_BACKENDS] ?
			   members(tb[KSVC_A_SVC_BACKENDS]) : 0))
		return fail(f, "%s: %u backends not as asked", svc->name,
			    set->count);
	if (tb[KSVC_A_SVC_SOURCE_RANGES] || new) {
		u32 n = tb[KSVC_A_SVC_SOURCE_RANGES] ?
			members(tb[KSVC_A_SVC_SOURCE_RANGES]) : 0;

		if (n ? !ranges || ranges->count != n : !!ranges)
			return fail(f, "%s: source ranges not as asked",
				    svc->name);
	}
	return 0;
}

static int cidrs_as_asked(struct fuzz *f, const struct nlattr *list,
			  const struct ksvc_cidrs *c, const char *what)
{
	u32 n;

	if (!list)
		return 0;
	n = members(list);
	if (n ? !c || c->count != n : !!c)
		return fail(f, "%s: %u CIDRs set, %u asked for", what,
			    c ? c->count : 0, n);
	return 0;
}

/* An accepted request did what it asked for. Lock held. */
static int check_accepted(struct fuzz *f, const struct sent *s,
			  const struct fsock *from, s64 services)
{
	struct ksvc_net *ns = f->ns;
	struct nlattr *const *tb = s->tb;
	const struct ksvc_service *svc;
	const struct ksvc_beset *set;
	u32 flags, want;
	int ret;

	if (!s->parsed)
		return fail(f, "a request that does not parse was accepted");
	svc = s->named ? ksvc_service_find(&ns->tab, s->name) : NULL;
	set = svc ? ksvc_service_backends(&ns->tab, svc) : NULL;
	switch (s->cmd) {
	case KSVC_CMD_SVC_NEW:
		if (!svc || ns->tab.count != s->count + 1)
			return fail(f, "SVC_NEW accepted: service %s, %u services after %u",
				    svc ? "found" : "missing", ns->tab.count,
				    s->count);
		return svc_as_asked(f, s, svc, true);
	case KSVC_CMD_SVC_SET:
		if (!svc || ns->tab.count != s->count)
			return fail(f, "SVC_SET accepted: service %s, %u services after %u",
				    svc ? "found" : "missing", ns->tab.count,
				    s->count);
		return svc_as_asked(f, s, svc, false);
	case KSVC_CMD_SVC_DEL:
		if (svc || ns->tab.count != s->count - 1)
			return fail(f, "SVC_DEL accepted: service %s, %u services after %u",
				    svc ? "still there" : "gone",
				    ns->tab.count, s->count);
		return 0;
	case KSVC_CMD_BE_ADD:
	case KSVC_CMD_BE_DEL:
		want = s->set_count + (s->cmd == KSVC_CMD_BE_ADD ? 1 : -1);
		if (!set || svc != s->svc || set->count != want)
			return fail(f, "%s accepted: %d backends, want %u",
				    s->cmd == KSVC_CMD_BE_ADD ? "BE_ADD" : "BE_DEL",
				    set ? (int)set->count : -1, want);
		return 0;
	case KSVC_CMD_BE_REPLACE:
		flags = tb[KSVC_A_REQ_FLAGS] ? nla_get_u32(tb[KSVC_A_REQ_FLAGS]) :
					       0;
		want = (flags & KSVC_REQ_F_CONTINUE ? s->stage_count : 0) +
		       members(tb[KSVC_A_SVC_BACKENDS]);
		if (!svc || svc != s->svc)
			return fail(f, "BE_REPLACE accepted for no service");
		if (!(flags & KSVC_REQ_F_MORE)) {
			if (set->count != want || svc->stage.active)
				return fail(f, "BE_REPLACE: %u backends, want %u; stage %s",
					    set->count, want,
					    svc->stage.active ? "left" : "gone");
			return 0;
		}
		if (!svc->stage.active || svc->stage.count != want ||
		    svc->stage.portid != from->portid ||
		    svc_digest(ns, svc, true) != s->set_digest)
			return fail(f, "BE_REPLACE part: stage %d, %u staged of %u, set %s",
				    svc->stage.active, svc->stage.count, want,
				    svc_digest(ns, svc, true) != s->set_digest ?
				    "changed" : "kept");
		return 0;
	case KSVC_CMD_FLUSH:
		if (ns->tab.count)
			return fail(f, "FLUSH accepted: %u services left",
				    ns->tab.count);
		return 0;
	case KSVC_CMD_CT_CLEANUP:
		/* Nothing deferred is left for the next request. */
		if (ns->tab.ct_stale || ns->tab.gone_count)
			return fail(f, "CT_CLEANUP accepted: a cleanup left pending");
		return 0;
	case KSVC_CMD_CFG_GET:
		if (services != ns->tab.count)
			return fail(f, "CFG_GET: %lld services in the reply, %u in the table",
				    services, ns->tab.count);
		return 0;
	case KSVC_CMD_CFG_SET:
		if ((tb[KSVC_A_CFG_MASQUERADE_ALL] &&
		     READ_ONCE(ns->masquerade_all) !=
		     nla_get_u8(tb[KSVC_A_CFG_MASQUERADE_ALL])) ||
		    (tb[KSVC_A_CFG_NODEPORT_LOCALHOST] &&
		     READ_ONCE(ns->nodeport_localhost) !=
		     nla_get_u8(tb[KSVC_A_CFG_NODEPORT_LOCALHOST])) ||
		    (tb[KSVC_A_CFG_AFFINITY_MAX] &&
		     READ_ONCE(ns->aff.max) !=
		     nla_get_u32(tb[KSVC_A_CFG_AFFINITY_MAX])))
			return fail(f, "CFG_SET accepted: a value not as asked");
		ret = cidrs_as_asked(f, tb[KSVC_A_CFG_CLUSTER_CIDRS],
				     rcu_dereference_protected(ns->cidrs,
							       lockdep_is_held(&ns->lock)),
				     "cluster CIDRs");
		if (!ret)
			ret = cidrs_as_asked(f, tb[KSVC_A_CFG_NODEPORT_CIDRS],
					     rcu_dereference_protected(ns->np_cidrs,
								       lockdep_is_held(&ns->lock)),
					     "node-port CIDRs");
		return ret;
	default:
		return fail(f, "command %u accepted", s->cmd);
	}
}

/* ---- the invariants after every request ------------------------------------ */

/* Lock held. */
static int check_state(struct fuzz *f)
{
	struct ksvc_net *ns = f->ns;
	const struct ksvc_service *svc;
	unsigned long want = f->stats_base, live;
	int ret;

	ret = ksvc_table_check(&ns->tab, f->why, sizeof(f->why));
	if (ret)
		return ret;
	if (ns->tab.count > FUZZ_MAX_SERVICES)
		return fail(f, "%u services, max_services %u", ns->tab.count,
			    FUZZ_MAX_SERVICES);
	list_for_each_entry(svc, &ns->tab.services, list) {
		const struct ksvc_beset *set = ksvc_service_backends(&ns->tab,
								     svc);

		if (set->count > FUZZ_MAX_BACKENDS ||
		    svc->stage.count > FUZZ_MAX_BACKENDS)
			return fail(f, "%s: %u backends, %u staged, max_backends %u",
				    svc->name, set->count, svc->stage.count,
				    FUZZ_MAX_BACKENDS);
		want += 1 + set->count;
	}
	/* A counter set per service and per backend, and no other. */
	live = ksvc_stats_live();
	if (live != want)
		return fail(f, "%lu counter sets live, want %lu", live, want);
	if (ns->tab.count && !ns->hooked)
		return fail(f, "%u services, NAT callbacks not registered",
			    ns->tab.count);
	/* No packet is sent here: no connection of ours keeps them. */
	if (!ns->tab.count && ns->hooked)
		return fail(f, "no service, no connection, NAT callbacks registered");
	return 0;
}

/* ---- requests ------------------------------------------------------------- */

static bool ack_has_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	u32 skip = sizeof(*e);

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return false;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		skip += e->msg.nlmsg_len - NLMSG_HDRLEN;
	if (nlmsg_len(nlh) < skip)
		return false;
	return nla_find((const struct nlattr *)((u8 *)e + skip),
			nlmsg_len(nlh) - skip, NLMSGERR_ATTR_MSG);
}

/* The ack of request @seq, and CFG_GET's reply. */
static int read_replies(struct fuzz *f, struct fsock *s, u32 seq, int *err,
			bool *msg, s64 *services)
{
	*err = 1;
	*msg = false;
	*services = -1;
	for (;;) {
		const struct nlmsghdr *nlh;
		bool trunc;
		int n, rem;

		n = fsock_recv(s, f->rx, &trunc);
		if (n == -EAGAIN)
			break;
		if (n < 0)
			return fail(f, "reading the replies: %d", n);
		if (trunc)
			return fail(f, "a reply above %u bytes", s->rcvlen);
		nlh = (struct nlmsghdr *)f->rx;
		rem = n;
		for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			struct nlattr *a;

			if (nlh->nlmsg_seq != seq)
				return fail(f, "a reply to request %u, want %u",
					    nlh->nlmsg_seq, seq);
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				if (*err != 1)
					return fail(f, "two acks");
				*err = ((struct nlmsgerr *)nlmsg_data(nlh))->error;
				*msg = ack_has_msg(nlh);
				continue;
			}
			if (nlh->nlmsg_type != f->family)
				return fail(f, "a reply of type %u",
					    nlh->nlmsg_type);
			a = nlmsg_find_attr(nlh, GENL_HDRLEN,
					    KSVC_A_CFG_SERVICES);
			if (a)
				*services = nla_get_u32(a);
		}
	}
	if (*err == 1)
		return fail(f, "no ack");
	if (*err > 0)
		return fail(f, "an ack of errno %d", *err);
	return 0;
}

static u32 cmd_slot(u8 cmd)
{
	return cmd <= KSVC_CMD_MAX ? cmd : KSVC_CMD_MAX + 1;
}

static void count_err(struct fuzz *f, u32 slot, int err)
{
	u32 i;

	for (i = 0; i < ARRAY_SIZE(fuzz_errnos); i++)
		if (-err == fuzz_errnos[i])
			break;
	f->err[slot][i]++;
}

/* Sends the request built in f->msg from @s, and checks what it did. */
static int request(struct fuzz *f, struct fsock *s)
{
	struct ksvc_net *ns = f->ns;
	struct sent sent;
	s64 services;
	bool msg;
	u32 slot;
	int ret, err;

	msg_hdr(f)->nlmsg_len = f->len;
	sent_parse(f, &sent);
	slot = cmd_slot(sent.cmd);
	mutex_lock(&ns->lock);
	sent_before(f, &sent, s->portid);
	mutex_unlock(&ns->lock);

	f->requests++;
	f->sent[slot]++;
	ret = fsock_send(s, f->msg, f->len);
	if (ret)
		return fail(f, "sendmsg: %d", ret);
	ret = read_replies(f, s, msg_hdr(f)->nlmsg_seq, &err, &msg, &services);
	if (ret)
		return ret;
	f->last_err = err;
	if (err) {
		count_err(f, slot, err);
	} else {
		f->ok[slot]++;
		f->accepted++;
	}

	mutex_lock(&ns->lock);
	ret = check_state(f);
	/* A refused continuation ends its request: its stage goes. */
	if (!ret && err && state_digest(ns) != sent.digest &&
	    state_digest(ns) != sent.digest_dropped)
		ret = fail(f, "refused with %d, yet the state changed", err);
	if (!ret && !err)
		ret = check_accepted(f, &sent, s, services);
	mutex_unlock(&ns->lock);
	/*
	 * The uapi promises a message with every error; the core's own
	 * -EOPNOTSUPP for a command without a doit has none.
	 */
	if (!ret && err && !msg && sent.cmd != KSVC_CMD_SVC_GET &&
	    sent.cmd >= KSVC_CMD_SVC_NEW && sent.cmd <= KSVC_CMD_MAX &&
	    f->len >= NLMSG_HDRLEN + GENL_HDRLEN)
		ret = fail(f, "refused with %d and no extack message", err);
	return ret;
}

/* ---- dumps ------------------------------------------------------------------ */

static struct dump *find_dump(struct fuzz *f, bool running)
{
	u32 i, start = rnd(f, FUZZ_DUMPERS);

	for (i = 0; i < FUZZ_DUMPERS; i++) {
		struct dump *d = &f->d[(start + i) % FUZZ_DUMPERS];

		if (d->running == running)
			return d;
	}
	return NULL;
}

/*
 * A new client. Its first read sets the size of the dump parts the core
 * makes for it (max_recvmsg_len); until then they are NLMSG_GOODSIZE: half
 * the clients begin with a dump, the others with a CFG_GET.
 */
static int dump_open(struct fuzz *f, struct dump *d, u32 rcvlen)
{
	int ret;

	ret = fsock_open(&d->s, rcvlen);
	if (ret)
		return fail(f, "cannot open a socket: %d", ret);
	if (chance(f, 50))
		return 0;
	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK, KSVC_CMD_CFG_GET);
	strscpy(f->desc, "CFG_GET (a new client)", sizeof(f->desc));
	return request(f, &d->s);
}

/* Closes the open record: the backends it announced all came. */
static int dump_close_svc(struct fuzz *f, struct dump *d)
{
	if (!d->open)
		return 0;
	d->open = false;
	/* An interrupted dump may stop anywhere. */
	if (!d->intr && d->got != (d->backends ? d->want : 0))
		return fail(f, "dump: %s came with %u backends of %u",
			    d->name, d->got, d->want);
	if (d->nrec >= ARRAY_SIZE(d->rec))
		return fail(f, "dump: more than %zu services",
			    ARRAY_SIZE(d->rec));
	d->rec[d->nrec++] = d->h;
	return 0;
}

static int dump_addr(struct fuzz *f, u64 *h, const struct nlattr *fam,
		     const struct nlattr *addr)
{
	u16 family = fam ? nla_get_u16(fam) : 0;

	if (!addr || (family != AF_INET && family != AF_INET6) ||
	    nla_len(addr) != alen(family))
		return fail(f, "dump: an address of family %u", family);
	dg_addr(h, family, nla_data(addr));
	return 0;
}

static int dump_backends(struct fuzz *f, struct dump *d,
			 const struct nlattr *list)
{
	struct nlattr *tb[KSVC_BE_A_MAX + 1];
	const struct nlattr *m;
	int rem, ret;

	if (!d->backends)
		return fail(f, "dump: backends nobody asked for");
	nla_for_each_nested(m, list, rem) {
		if (nla_parse_nested_deprecated(tb, KSVC_BE_A_MAX, m, NULL,
						NULL) ||
		    !tb[KSVC_BE_A_PORT] || !tb[KSVC_BE_A_WEIGHT] ||
		    !tb[KSVC_BE_A_FLAGS] || !tb[KSVC_BE_A_STATS])
			return fail(f, "dump: a backend of %s misses attributes",
				    d->name);
		ret = dump_addr(f, &d->h, tb[KSVC_BE_A_FAMILY],
				tb[KSVC_BE_A_ADDR]);
		if (ret)
			return ret;
		dg32(&d->h, nla_get_u16(tb[KSVC_BE_A_PORT]));
		dg32(&d->h, nla_get_u32(tb[KSVC_BE_A_WEIGHT]));
		dg32(&d->h, nla_get_u32(tb[KSVC_BE_A_FLAGS]));
		if (++d->got > d->want)
			return fail(f, "dump: %s came with more than its %u backends",
				    d->name, d->want);
	}
	return 0;
}

/* A service's first message: the digest of svc_digest(), read back. */
static int dump_first(struct fuzz *f, struct dump *d, struct nlattr **tb)
{
	static const u8 need[] = {
		KSVC_A_SVC_PORT, KSVC_A_SVC_SCHED, KSVC_A_SVC_FLAGS,
		KSVC_A_SVC_GENERATION, KSVC_A_SVC_FRONTENDS,
		KSVC_A_SVC_AFFINITY, KSVC_A_SVC_BACKEND_COUNT,
		KSVC_A_SVC_STATS,
	};
	struct nlattr *fe[KSVC_FE_A_MAX + 1], *c[KSVC_CIDR_A_MAX + 1];
	const struct nlattr *m;
	int i, rem, ret;

	ret = dump_close_svc(f, d);
	if (ret)
		return ret;
	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (!tb[need[i]])
			return fail(f, "dump: %s without attribute %u", d->name,
				    need[i]);
	d->open = true;
	d->h = FNV_OFFSET;
	dg(&d->h, d->name, strlen(d->name) + 1);
	dg32(&d->h, nla_get_u8(tb[KSVC_A_SVC_PROTO]));
	dg32(&d->h, nla_get_u16(tb[KSVC_A_SVC_PORT]));
	dg32(&d->h, tb[KSVC_A_SVC_NODE_PORT] ?
		    nla_get_u16(tb[KSVC_A_SVC_NODE_PORT]) : 0);
	dg32(&d->h, nla_get_u8(tb[KSVC_A_SVC_SCHED]));
	dg32(&d->h, nla_get_u32(tb[KSVC_A_SVC_FLAGS]));
	dg64(&d->h, nla_get_u64(tb[KSVC_A_SVC_GENERATION]));
	dg32(&d->h, members(tb[KSVC_A_SVC_FRONTENDS]));
	nla_for_each_nested(m, tb[KSVC_A_SVC_FRONTENDS], rem) {
		if (nla_parse_nested_deprecated(fe, KSVC_FE_A_MAX, m, NULL,
						NULL) || !fe[KSVC_FE_A_KIND])
			return fail(f, "dump: a frontend of %s misses attributes",
				    d->name);
		dg32(&d->h, nla_get_u8(fe[KSVC_FE_A_KIND]));
		ret = dump_addr(f, &d->h, fe[KSVC_FE_A_FAMILY],
				fe[KSVC_FE_A_ADDR]);
		if (ret)
			return ret;
	}
	dg32(&d->h, nla_get_u32(tb[KSVC_A_SVC_AFFINITY]));
	if (!tb[KSVC_A_SVC_SOURCE_RANGES]) {
		dg32(&d->h, U32_MAX);
	} else {
		dg32(&d->h, members(tb[KSVC_A_SVC_SOURCE_RANGES]));
		nla_for_each_nested(m, tb[KSVC_A_SVC_SOURCE_RANGES], rem) {
			if (nla_parse_nested_deprecated(c, KSVC_CIDR_A_MAX, m,
							NULL, NULL) ||
			    !c[KSVC_CIDR_A_PREFIXLEN])
				return fail(f, "dump: a source range of %s misses attributes",
					    d->name);
			ret = dump_addr(f, &d->h, c[KSVC_CIDR_A_FAMILY],
					c[KSVC_CIDR_A_ADDR]);
			if (ret)
				return ret;
			dg32(&d->h, nla_get_u8(c[KSVC_CIDR_A_PREFIXLEN]));
		}
	}
	d->want = nla_get_u32(tb[KSVC_A_SVC_BACKEND_COUNT]);
	d->got = 0;
	dg32(&d->h, d->want);
	return 0;
}

static int dump_msg(struct fuzz *f, struct dump *d, const struct nlmsghdr *nlh)
{
	const struct genlmsghdr *hdr = nlmsg_data(nlh);
	struct nlattr *tb[KSVC_A_MAX + 1];
	const struct nlattr *name;
	int ret;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN ||
	    hdr->cmd != KSVC_CMD_SVC_GET ||
	    !(nlh->nlmsg_flags & NLM_F_MULTI) ||
	    nlh->nlmsg_pid != d->s.portid ||
	    nlmsg_parse_deprecated(nlh, GENL_HDRLEN, tb, KSVC_A_MAX, NULL,
				   NULL))
		return fail(f, "dump: a message of command %u, flags %#x that does not parse",
			    hdr->cmd, nlh->nlmsg_flags);
	name = tb[KSVC_A_SVC_NAME];
	if (!name || !nla_len(name) ||
	    ((char *)nla_data(name))[nla_len(name) - 1])
		return fail(f, "dump: a message without a name");
	if (tb[KSVC_A_SVC_PROTO]) {
		strscpy(d->name, nla_data(name), sizeof(d->name));
		ret = dump_first(f, d, tb);
	} else if (!d->open || strcmp(d->name, nla_data(name)) ||
		   !tb[KSVC_A_SVC_BACKENDS]) {
		/* A continuation: the next backends of the same service. */
		return fail(f, "dump: a continuation of %s after %s",
			    (char *)nla_data(name), d->open ? d->name : "none");
	} else {
		ret = 0;
	}
	if (!ret && tb[KSVC_A_SVC_BACKENDS])
		ret = dump_backends(f, d, tb[KSVC_A_SVC_BACKENDS]);
	return ret;
}

/* NLMSG_DONE: the dump is what the table was, or it said it was not. */
static int dump_done(struct fuzz *f, struct dump *d, int err)
{
	u32 i;
	int ret;

	d->running = false;
	ret = dump_close_svc(f, d);
	if (ret)
		return ret;
	if (err)
		return fail(f, "dump: ended with %d after %u parts", err,
			    d->parts);
	if (!d->valid)
		return fail(f, "dump: a request that does not parse was answered");
	f->dumps_done++;
	if (d->intr) {
		f->dumps_intr++;
		if (!d->moved)
			return fail(f, "dump: NLM_F_DUMP_INTR, yet the table did not change");
		return 0;
	}
	if (d->stale)
		return fail(f, "dump: a part made after a change, not flagged NLM_F_DUMP_INTR");
	if (d->nrec != d->nref)
		return fail(f, "dump: %u services, the table had %u", d->nrec,
			    d->nref);
	for (i = 0; i < d->nrec; i++)
		if (d->rec[i] != d->ref[i])
			return fail(f, "dump: service %u differs from the table's",
				    i);
	return 0;
}

/* One read: a part, made at the previous read (or by the request). */
static int dump_part(struct fuzz *f, struct dump *d, int len)
{
	const struct nlmsghdr *nlh = (struct nlmsghdr *)f->rx;
	bool data = false;
	int rem = len, ret;

	for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
		if (!d->running)
			return fail(f, "dump: a message after the end");
		if (nlh->nlmsg_seq != d->seq)
			return fail(f, "dump: a message of request %u, want %u",
				    nlh->nlmsg_seq, d->seq);
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			d->intr = true;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			int err = ((struct nlmsgerr *)nlmsg_data(nlh))->error;

			/* The start refused: an error, and no dump. */
			d->running = false;
			if (d->parts != 1 || !err)
				return fail(f, "dump: an ack of %d after %u parts",
					    err, d->parts);
			count_err(f, KSVC_CMD_SVC_GET, err);
			continue;
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			if (d->parts == 1)
				f->ok[KSVC_CMD_SVC_GET]++;
			if (nlmsg_len(nlh) < sizeof(int))
				return fail(f, "dump: a short NLMSG_DONE");
			if (d->pending_gen != d->gen0)
				d->moved = true;
			ret = dump_done(f, d, *(int *)nlmsg_data(nlh));
			if (ret)
				return ret;
			continue;
		}
		if (nlh->nlmsg_type != f->family)
			return fail(f, "dump: a message of type %u",
				    nlh->nlmsg_type);
		if (d->parts == 1 && !data)
			f->ok[KSVC_CMD_SVC_GET]++;
		data = true;
		ret = dump_msg(f, d, nlh);
		if (ret)
			return ret;
	}
	if (rem)
		return fail(f, "dump: %d bytes of a part left over", rem);
	if (data && d->pending_gen != d->gen0) {
		d->moved = true;
		d->stale = true;
	}
	return 0;
}

static int dump_step(struct fuzz *f, struct dump *d)
{
	bool trunc;
	u32 gen;
	int n;

	mutex_lock(&f->ns->lock);
	gen = f->ns->tab.gen;
	mutex_unlock(&f->ns->lock);
	scnprintf(f->desc, sizeof(f->desc), "part %u of a dump", d->parts + 1);
	/* Reading a part makes the next one, from the table as it is now. */
	n = fsock_recv(&d->s, f->rx, &trunc);
	if (n < 0)
		return fail(f, "dump: reading part %u: %d", d->parts + 1, n);
	if (trunc)
		return fail(f, "dump: a part above the %u bytes read",
			    d->s.rcvlen);
	if (++d->parts > FUZZ_DUMP_PARTS_MAX)
		return fail(f, "dump: more than %u parts", FUZZ_DUMP_PARTS_MAX);
	f->dump_parts++;
	n = dump_part(f, d, n);
	d->pending_gen = gen;
	return n;
}

/* A dump request, maybe mutated, and the table it should give. */
static int dump_start(struct fuzz *f, struct dump *d)
{
	struct ksvc_net *ns = f->ns;
	const struct ksvc_service *svc;
	struct sent s;
	int ret;

	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_DUMP |
		  (chance(f, 20) ? NLM_F_ACK : 0), KSVC_CMD_SVC_GET);
	strscpy(f->desc, "SVC_GET dump", sizeof(f->desc));
	if (chance(f, 25))
		put_name(f);
	if (chance(f, 60))
		put_u32(f, KSVC_A_REQ_FLAGS, bad(f, 10) ? rnd64(f) :
			KSVC_REQ_F_BACKENDS);
	if (chance(f, 15))
		mutate(f, true);
	msg_hdr(f)->nlmsg_len = f->len;
	sent_parse(f, &s);

	d->seq = msg_hdr(f)->nlmsg_seq;
	d->valid = s.parsed && (!s.tb[KSVC_A_SVC_NAME] || s.named);
	d->backends = s.parsed && s.tb[KSVC_A_REQ_FLAGS] &&
		      nla_len(s.tb[KSVC_A_REQ_FLAGS]) == sizeof(u32) &&
		      (nla_get_u32(s.tb[KSVC_A_REQ_FLAGS]) &
		       KSVC_REQ_F_BACKENDS);
	d->nref = 0;
	mutex_lock(&ns->lock);
	/* max_services is below FUZZ_DUMP_SVCS while the fuzz runs. */
	list_for_each_entry(svc, &ns->tab.services, list) {
		if ((d->valid && s.named && strcmp(svc->name, s.name)) ||
		    d->nref == ARRAY_SIZE(d->ref))
			continue;
		d->ref[d->nref++] = svc_digest(ns, svc, d->backends);
	}
	d->gen0 = ns->tab.gen;
	mutex_unlock(&ns->lock);
	d->pending_gen = d->gen0;
	d->moved = false;
	d->stale = false;
	d->intr = false;
	d->open = false;
	d->parts = 0;
	d->nrec = 0;

	f->requests++;
	f->sent[KSVC_CMD_SVC_GET]++;
	f->dumps++;
	ret = fsock_send(&d->s, f->msg, f->len);
	if (ret)
		return fail(f, "dump: sendmsg: %d", ret);
	d->running = true;
	/* The first part, or the refusal, waits in the socket. */
	return 0;
}

/* A client that goes away mid-dump: the core calls .done. */
static int dump_drop(struct fuzz *f, struct dump *d)
{
	u32 rcvlen = d->s.rcvlen;

	fsock_close(&d->s);
	d->running = false;
	f->dumps_dropped++;
	return dump_open(f, d, rcvlen);
}

/* ---- the run ---------------------------------------------------------------- */

enum {
	OP_NEW, OP_SET, OP_DEL, OP_REPLACE, OP_STAGED, OP_ADD, OP_BE_DEL,
	OP_FLUSH, OP_CFG_GET, OP_CFG_SET, OP_JUNK, OP_DUMP, OP_DUMP_STEP,
	OP_DUMP_DROP, __OP_N
};

static const u8 op_weights[__OP_N] = {
	[OP_NEW] = 16, [OP_SET] = 16, [OP_DEL] = 6, [OP_REPLACE] = 10,
	[OP_STAGED] = 10, [OP_ADD] = 10, [OP_BE_DEL] = 8, [OP_FLUSH] = 1,
	[OP_CFG_GET] = 2, [OP_CFG_SET] = 4, [OP_JUNK] = 3, [OP_DUMP] = 3,
	[OP_DUMP_STEP] = 14, [OP_DUMP_DROP] = 1,
};

static u32 pick_op(struct fuzz *f)
{
	u32 total = 0, i, r;

	for (i = 0; i < __OP_N; i++)
		total += op_weights[i];
	r = rnd(f, total);
	for (i = 0; r >= op_weights[i]; i++)
		r -= op_weights[i];
	return i;
}

/* The next part of writer @w's multi-part replace, or its first. */
static void build_staged(struct fuzz *f, u32 w, bool *last)
{
	struct stager *st = &f->st[w];
	u32 flags, n, i;

	*last = false;
	if (st->name < 0) {
		st->name = rnd(f, FUZZ_NAMES);
		st->next = rnd(f, 1000);
		flags = KSVC_REQ_F_MORE;
	} else if (chance(f, 35)) {
		flags = KSVC_REQ_F_CONTINUE;
		*last = true;
	} else {
		flags = KSVC_REQ_F_CONTINUE | KSVC_REQ_F_MORE;
	}
	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK,
		  KSVC_CMD_BE_REPLACE);
	put_name_of(f, st->name);
	n = rnd(f, chance(f, 10) ? FUZZ_MAX_BACKENDS : 40);
	i = nest_start(f, KSVC_A_SVC_BACKENDS);
	while (n--)
		put_be(f, 1 + st->next++ % 1000);
	nest_end(f, i);
	put_u32(f, KSVC_A_REQ_FLAGS, flags);
	/* Now and then a writer gives up half-way. */
	if (*last || chance(f, 3))
		st->name = -1;
}

static int fuzz_step(struct fuzz *f)
{
	u32 op = pick_op(f), w = rnd(f, FUZZ_WRITERS);
	static const u16 bad_cmds[] = {
		KSVC_CMD_UNSPEC, KSVC_CMD_MAX + 1, 100, 255,
	};
	struct dump *d;
	bool last;
	int ret;

	switch (op) {
	case OP_DUMP:
		d = find_dump(f, false);
		return d ? dump_start(f, d) : 0;
	case OP_DUMP_STEP:
		d = find_dump(f, true);
		if (!d)
			return 0;
		ret = dump_step(f, d);
		/* One client of two goes when its dump is done, as ksctl. */
		if (!ret && !d->running && chance(f, 50)) {
			fsock_close(&d->s);
			ret = dump_open(f, d, d->s.rcvlen);
		}
		return ret;
	case OP_DUMP_DROP:
		d = find_dump(f, true);
		strscpy(f->desc, "a client gone mid-dump", sizeof(f->desc));
		return d ? dump_drop(f, d) : 0;
	case OP_STAGED:
		build_staged(f, w, &last);
		strscpy(f->desc, "BE_REPLACE part", sizeof(f->desc));
		/* From another socket now and then: its stage, not ours. */
		if (chance(f, 5))
			w = (w + 1) % FUZZ_WRITERS;
		break;
	case OP_JUNK:
		msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK,
			  chance(f, 50) ? bad_cmds[rnd(f, ARRAY_SIZE(bad_cmds))] :
			  1 + rnd(f, KSVC_CMD_MAX));
		if (msg_genl(f)->cmd == KSVC_CMD_SVC_GET)
			msg_genl(f)->cmd = KSVC_CMD_FLUSH;
		put_junk(f, 1 + rnd(f, 6));
		strscpy(f->desc, "junk", sizeof(f->desc));
		break;
	default:
		msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK,
			  op == OP_NEW ? KSVC_CMD_SVC_NEW :
			  op == OP_SET ? KSVC_CMD_SVC_SET :
			  op == OP_DEL ? KSVC_CMD_SVC_DEL :
			  op == OP_REPLACE ? KSVC_CMD_BE_REPLACE :
			  op == OP_ADD ? KSVC_CMD_BE_ADD :
			  op == OP_BE_DEL ? KSVC_CMD_BE_DEL :
			  op == OP_FLUSH ? KSVC_CMD_FLUSH :
			  op == OP_CFG_GET ? KSVC_CMD_CFG_GET :
			  KSVC_CMD_CFG_SET);
		strscpy(f->desc, cmd_names[msg_genl(f)->cmd], sizeof(f->desc));
		if (op == OP_CFG_SET) {
			put_cfg_attrs(f);
			break;
		}
		if (op == OP_FLUSH || op == OP_CFG_GET) {
			if (chance(f, 5))
				put_junk(f, 1);
			break;
		}
		if (op == OP_ADD || op == OP_BE_DEL) {
			u32 name = rnd(f, FUZZ_NAMES);

			put_name_of(f, name);
			if (bad(f, 20))
				put_bes(f, rnd(f, 3), false);
			else
				put_one_be(f, name);
			break;
		}
		put_name(f);
		if (op == OP_NEW || op == OP_SET)
			put_svc_attrs(f, op == OP_SET);
		if (op == OP_REPLACE) {
			bool many = chance(f, 20);

			put_bes(f, many ? rnd(f, FUZZ_MAX_BACKENDS + 50) :
				rnd(f, 13), many);
			if (bad(f, 30))
				put_u32(f, KSVC_A_REQ_FLAGS, rnd(f, 16));
		}
		break;
	}
	if (chance(f, 40))
		mutate(f, false);
	return request(f, &f->w[w]);
}

static void hexdump(struct kunit *test, const u8 *p, u32 len)
{
	u32 off;

	for (off = 0; off < len && off < 1024; off += 32)
		kunit_info(test, "  %04x: %*phN", off, min_t(u32, 32, len - off),
			   p + off);
}

static void fuzz_report(struct fuzz *f, s64 ms)
{
	struct kunit *test = f->test;
	u32 c, e;

	kunit_info(test, "seed %llu: %u requests (%u mutated, %u accepted), %u dumps (%u complete, %u interrupted, %u dropped) in %u parts, %lld ms",
		   f->seed, f->requests, f->mutated, f->accepted, f->dumps,
		   f->dumps_done, f->dumps_intr, f->dumps_dropped,
		   f->dump_parts, ms);
	for (c = 1; c < FUZZ_CMDS; c++) {
		char line[160];
		int pos;

		pos = scnprintf(line, sizeof(line), "%-10s %6u sent %6u ok",
				cmd_names[c], f->sent[c], f->ok[c]);
		for (e = 0; e < FUZZ_ERRNOS; e++)
			if (f->err[c][e])
				pos += scnprintf(line + pos, sizeof(line) - pos,
						 ", %u %s", f->err[c][e],
						 errno_names[e]);
		kunit_info(test, "  %s", line);
	}
}

/* The family's id, asked of the controller as a client does. */
static int resolve_family(struct fuzz *f, struct fsock *s)
{
	bool trunc;
	int n, rem;

	msg_start(f, GENL_ID_CTRL, NLM_F_REQUEST, CTRL_CMD_GETFAMILY);
	put_str(f, CTRL_ATTR_FAMILY_NAME, KSVC_GENL_NAME);
	msg_hdr(f)->nlmsg_len = f->len;
	n = fsock_send(s, f->msg, f->len);
	if (n)
		return n;
	n = fsock_recv(s, f->rx, &trunc);
	if (n > 0 && !trunc) {
		const struct nlmsghdr *nlh = (struct nlmsghdr *)f->rx;

		for (rem = n; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			struct nlattr *id;

			id = nlmsg_find_attr(nlh, GENL_HDRLEN,
					     CTRL_ATTR_FAMILY_ID);
			if (nlh->nlmsg_type == GENL_ID_CTRL && id)
				f->family = nla_get_u16(id);
		}
	}
	return f->family ? 0 : -ENOENT;
}

/*
 * The buffers dumping clients read with: netlink wants at least 8 KiB of
 * them (Documentation/userspace-api/netlink/intro.rst), and the core caps
 * dump parts just below 32 KiB.
 */
static const u32 dump_rcvlens[FUZZ_DUMPERS] = { 8192, 16384, 32768 };

/* Opens the clients; a failure here is reported by the caller. */
static int fuzz_open(struct fuzz *f)
{
	u32 i;
	int ret;

	for (i = 0; i < FUZZ_WRITERS; i++) {
		ret = fsock_open(&f->w[i], FUZZ_RX_MAX);
		if (ret)
			return fail(f, "cannot open a socket: %d", ret);
		f->st[i].name = -1;
	}
	ret = resolve_family(f, &f->w[0]);
	if (ret)
		return fail(f, "no family %s: %d", KSVC_GENL_NAME, ret);
	for (i = 0; i < FUZZ_DUMPERS; i++) {
		ret = dump_open(f, &f->d[i], dump_rcvlens[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Dumps run to their end, the table flushed and the configuration reset;
 * after a failure (!@check), dumps are dropped and nothing is checked.
 */
static int fuzz_finish(struct fuzz *f, int masq, int localhost, u32 aff_max,
		       bool check)
{
	u32 i, list;
	int ret;

	for (i = 0; i < FUZZ_DUMPERS; i++) {
		while (check && f->d[i].running) {
			ret = dump_step(f, &f->d[i]);
			if (ret)
				return ret;
		}
		if (f->d[i].running)
			fsock_close(&f->d[i].s);
		f->d[i].running = false;
	}
	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK, KSVC_CMD_FLUSH);
	strscpy(f->desc, "the last FLUSH", sizeof(f->desc));
	ret = request(f, &f->w[0]);
	if (ret && check)
		return ret;
	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK, KSVC_CMD_CFG_SET);
	strscpy(f->desc, "the last CFG_SET", sizeof(f->desc));
	list = nest_start(f, KSVC_A_CFG_CLUSTER_CIDRS);
	nest_end(f, list);
	list = nest_start(f, KSVC_A_CFG_NODEPORT_CIDRS);
	nest_end(f, list);
	put_u8(f, KSVC_A_CFG_MASQUERADE_ALL, masq);
	put_u8(f, KSVC_A_CFG_NODEPORT_LOCALHOST, localhost);
	put_u32(f, KSVC_A_CFG_AFFINITY_MAX, aff_max);
	return request(f, &f->w[0]);
}

static void fuzz_close(struct fuzz *f)
{
	u32 i;

	for (i = 0; i < FUZZ_DUMPERS; i++)
		fsock_close(&f->d[i].s);
	for (i = 0; i < FUZZ_WRITERS; i++)
		fsock_close(&f->w[i]);
}

static void fuzz_free(struct fuzz *f)
{
	if (!f)
		return;
	kfree(f->idx);
	kfree(f->rx);
	kfree(f->msg);
	kfree(f);
}

static struct fuzz *fuzz_new(struct kunit *test, u64 seed)
{
	struct fuzz *f = kzalloc(sizeof(*f), GFP_KERNEL);

	if (!f)
		return NULL;
	f->msg = kmalloc(FUZZ_MSG_MAX, GFP_KERNEL);
	f->rx = kmalloc(FUZZ_RX_MAX, GFP_KERNEL);
	f->idx = kmalloc_array(FUZZ_IDX_MAX, sizeof(*f->idx), GFP_KERNEL);
	if (!f->msg || !f->rx || !f->idx) {
		fuzz_free(f);
		return NULL;
	}
	f->test = test;
	f->ns = ksvc_net_get(&init_net);
	f->seed = seed;
	prandom_seed_state(&f->rnd, seed);
	return f;
}

/*
 * fuzz_requests random requests from seed fuzz_seed + N, the invariants
 * checked after each; then an empty table, no counter set left, the
 * configuration as it was.
 */
static void fuzz_test_netlink(struct kunit *test)
{
	const u32 *nr = test->param_value;
	struct ksvc_net *ns = ksvc_net_get(&init_net);
	unsigned int max_services = READ_ONCE(ksvc_max_services);
	unsigned int max_backends = READ_ONCE(ksvc_max_backends);
	unsigned int maglev_size = READ_ONCE(ksvc_maglev_size);
	int masq, localhost, ret;
	struct fuzz *f;
	ktime_t t0;
	u32 aff_max;

	f = fuzz_new(test, fuzz_seed + *nr);
	KUNIT_ASSERT_NOT_NULL(test, f);
	kunit_info(test, "seed %llu, %u requests", f->seed, fuzz_requests);

	mutex_lock(&ns->lock);
	/* The suites before this one left the namespace as they found it. */
	ret = ns->tab.count || rcu_access_pointer(ns->cidrs) ||
	      rcu_access_pointer(ns->np_cidrs);
	masq = READ_ONCE(ns->masquerade_all);
	localhost = READ_ONCE(ns->nodeport_localhost);
	aff_max = READ_ONCE(ns->aff.max);
	f->stats_base = ksvc_stats_live();
	mutex_unlock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		goto out_free;

	WRITE_ONCE(ksvc_max_services, FUZZ_MAX_SERVICES);
	WRITE_ONCE(ksvc_max_backends, FUZZ_MAX_BACKENDS);
	WRITE_ONCE(ksvc_maglev_size, FUZZ_MAGLEV_SIZE);

	t0 = ktime_get();
	ret = fuzz_open(f);
	while (!ret && f->requests < fuzz_requests) {
		ret = fuzz_step(f);
		/* UML has no preemption: let RCU and the workqueues run. */
		cond_resched();
	}
	if (ret) {
		KUNIT_FAIL(test, "seed %llu, request %u (%s): %s", f->seed,
			   f->requests, f->desc, f->why);
		kunit_info(test, "the last request sent:");
		hexdump(test, f->msg, f->len);
		/* Still empty the table, unchecked. */
		fuzz_finish(f, masq, localhost, aff_max, false);
	} else {
		ret = fuzz_finish(f, masq, localhost, aff_max, true);
		if (ret)
			KUNIT_FAIL(test, "seed %llu, at the end (%s): %s",
				   f->seed, f->desc, f->why);
	}
	fuzz_close(f);
	fuzz_report(f, ktime_ms_delta(ktime_get(), t0));

	WRITE_ONCE(ksvc_max_services, max_services);
	WRITE_ONCE(ksvc_max_backends, max_backends);
	WRITE_ONCE(ksvc_maglev_size, maglev_size);

	/* Flushed: nothing left, every counter set gone. */
	mutex_lock(&ns->lock);
	KUNIT_EXPECT_EQ(test, ns->tab.count, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&ns->tab.services));
	KUNIT_EXPECT_EQ(test, atomic_read(&ns->tab.names.nelems), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ns->tab.fes.nelems), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ns->tab.nps.nelems), 0);
	KUNIT_EXPECT_EQ(test, ksvc_stats_live(), f->stats_base);
	KUNIT_EXPECT_FALSE(test, ns->hooked);
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(ns->cidrs));
	KUNIT_EXPECT_NULL(test, rcu_access_pointer(ns->np_cidrs));
	KUNIT_EXPECT_EQ(test, READ_ONCE(ns->masquerade_all), masq);
	KUNIT_EXPECT_EQ(test, READ_ONCE(ns->aff.max), aff_max);
	mutex_unlock(&ns->lock);
out_free:
	fuzz_free(f);
}

/* The service of the longest name with 64 IPv6 frontends and ranges. */
static void build_largest(struct fuzz *f)
{
	u8 a[sizeof(struct in6_addr)] = { 0x20, 0x01, 0x0d, 0xb8 };
	u32 list, m, i;

	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK, KSVC_CMD_SVC_NEW);
	put_name_of(f, FUZZ_NAMES - 1);
	put_u8(f, KSVC_A_SVC_PROTO, IPPROTO_TCP);
	put_u16(f, KSVC_A_SVC_PORT, 80);
	put_u16(f, KSVC_A_SVC_NODE_PORT, 30000);
	list = nest_start(f, KSVC_A_SVC_FRONTENDS);
	for (i = 0; i < KSVC_FRONTENDS_MAX; i++) {
		u8 fe[sizeof(struct in6_addr)];

		addr_of(AF_INET6, 96, 1 + i, fe);
		m = nest_start(f, 0);
		put_u8(f, KSVC_FE_A_KIND, KSVC_FE_LOAD_BALANCER_IP);
		put_u16(f, KSVC_FE_A_FAMILY, AF_INET6);
		put(f, KSVC_FE_A_ADDR, fe, sizeof(fe));
		nest_end(f, m);
	}
	nest_end(f, list);
	list = nest_start(f, KSVC_A_SVC_SOURCE_RANGES);
	for (i = 0; i < KSVC_SOURCE_RANGES_MAX; i++) {
		a[5] = i;		/* 2001:db8:i::/48 */
		m = nest_start(f, 0);
		put_u16(f, KSVC_CIDR_A_FAMILY, AF_INET6);
		put(f, KSVC_CIDR_A_ADDR, a, sizeof(a));
		put_u8(f, KSVC_CIDR_A_PREFIXLEN, 48);
		nest_end(f, m);
	}
	nest_end(f, list);
	list = nest_start(f, KSVC_A_SVC_BACKENDS);
	for (i = 0; i < 3; i++)
		put_be(f, 1 + i);
	nest_end(f, list);
}

/*
 * The largest service there may be, dumped by a client that has read
 * nothing yet, with the 8 KiB buffer netlink asks for -> the service, whole,
 * and NLMSG_DONE without error (was: NLMSG_DONE with -EMSGSIZE, nothing).
 */
static void fuzz_test_dump_largest_service(struct kunit *test)
{
	u32 services = 0, fes = 0, ranges = 0, bes = 0, bytes = 0, reads;
	struct fuzz *f = fuzz_new(test, fuzz_seed);
	int ret, done = 1;
	struct dump *d;

	KUNIT_ASSERT_NOT_NULL(test, f);
	d = &f->d[0];
	f->stats_base = ksvc_stats_live();
	ret = fsock_open(&f->w[0], FUZZ_RX_MAX);
	if (!ret)
		ret = resolve_family(f, &f->w[0]);
	if (!ret)
		ret = fsock_open(&d->s, 8192);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret)
		goto out;
	build_largest(f);
	ret = request(f, &f->w[0]);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s", f->why);
	KUNIT_EXPECT_EQ(test, f->last_err, 0);

	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_DUMP, KSVC_CMD_SVC_GET);
	put_u32(f, KSVC_A_REQ_FLAGS, KSVC_REQ_F_BACKENDS);
	msg_hdr(f)->nlmsg_len = f->len;
	KUNIT_EXPECT_EQ(test, fsock_send(&d->s, f->msg, f->len), 0);
	for (reads = 0; done > 0 && reads < 8; reads++) {
		const struct nlmsghdr *nlh = (struct nlmsghdr *)f->rx;
		bool trunc;
		int n, rem;

		n = fsock_recv(&d->s, f->rx, &trunc);
		KUNIT_EXPECT_GT(test, n, 0);
		KUNIT_EXPECT_FALSE(test, trunc);
		if (n <= 0)
			break;
		bytes = max_t(u32, bytes, n);
		for (rem = n; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			struct nlattr *a;

			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				done = *(int *)nlmsg_data(nlh);
				break;
			}
			/* A continuation has the next backends only. */
			if (nlmsg_find_attr(nlh, GENL_HDRLEN, KSVC_A_SVC_PROTO))
				services++;
			a = nlmsg_find_attr(nlh, GENL_HDRLEN,
					    KSVC_A_SVC_BACKENDS);
			bes += a ? members(a) : 0;
			a = nlmsg_find_attr(nlh, GENL_HDRLEN,
					    KSVC_A_SVC_FRONTENDS);
			fes += a ? members(a) : 0;
			a = nlmsg_find_attr(nlh, GENL_HDRLEN,
					    KSVC_A_SVC_SOURCE_RANGES);
			ranges += a ? members(a) : 0;
		}
	}
	kunit_info(test, "%u services, %u frontends, %u source ranges, %u backends; largest read %u bytes; end %d",
		   services, fes, ranges, bes, bytes, done);
	KUNIT_EXPECT_EQ(test, done, 0);
	KUNIT_EXPECT_EQ(test, services, 1U);
	KUNIT_EXPECT_EQ(test, fes, (u32)KSVC_FRONTENDS_MAX);
	KUNIT_EXPECT_EQ(test, ranges, (u32)KSVC_SOURCE_RANGES_MAX);
	KUNIT_EXPECT_EQ(test, bes, 3U);

	msg_start(f, f->family, NLM_F_REQUEST | NLM_F_ACK, KSVC_CMD_FLUSH);
	ret = request(f, &f->w[0]);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s", f->why);
	KUNIT_EXPECT_EQ(test, f->last_err, 0);
out:
	fsock_close(&d->s);
	fsock_close(&f->w[0]);
	fuzz_free(f);
}

static const u32 fuzz_cases[FUZZ_CASES] = { 0, 1, 2, 3 };

static void fuzz_case_desc(const u32 *nr, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "seed %llu", fuzz_seed + *nr);
}

KUNIT_ARRAY_PARAM(fuzz, fuzz_cases, fuzz_case_desc);

static int fuzz_suite_init(struct kunit_suite *suite)
{
	u32 i;

	for (i = 0; i < FUZZ_NAMES - 1; i++)
		snprintf(fuzz_names[i], KSVC_NAME_MAX, "fuzz/svc%u:p%u", i,
			 i % 3);
	/* The longest name there may be. */
	memset(fuzz_names[i], 'l', KSVC_NAME_MAX - 1);
	memcpy(fuzz_names[i], "fuzz/", 5);
	fuzz_names[i][KSVC_NAME_MAX - 1] = 0;
	return 0;
}

static struct kunit_case fuzz_test_cases[] = {
	KUNIT_CASE(fuzz_test_dump_largest_service),
	KUNIT_CASE_PARAM(fuzz_test_netlink, fuzz_gen_params),
	{}
};

static struct kunit_suite fuzz_test_suite = {
	.name = "kservice_fuzz",
	.suite_init = fuzz_suite_init,
	.test_cases = fuzz_test_cases,
};

kunit_test_suite(fuzz_test_suite);
