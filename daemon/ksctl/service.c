// SPDX-License-Identifier: GPL-2.0
/*
 * ksctl service add|set|del|list|show
 */
#include <errno.h>
#include <string.h>

#include "ksctl.h"
#include "ksvc_text.h"

enum kw {
	KW_PROTO,
	KW_PORT,
	KW_CLUSTER_IP,
	KW_EXTERNAL_IP,
	KW_LB_IP,
	KW_NODE_PORT,
	KW_SCHED,
	KW_AFFINITY,
	KW_EXT_POLICY,
	KW_INT_POLICY,
	KW_SOURCE_RANGES,
	__KW_LAST
};

static const struct {
	const char *name;
	bool repeat;
	uint8_t kind;		/* frontend keywords */
} keywords[] = {
	[KW_PROTO]		= { "proto", false, 0 },
	[KW_PORT]		= { "port", false, 0 },
	[KW_CLUSTER_IP]		= { "cluster-ip", true, KSVC_FE_CLUSTER_IP },
	[KW_EXTERNAL_IP]	= { "external-ip", true, KSVC_FE_EXTERNAL_IP },
	[KW_LB_IP]		= { "lb-ip", true, KSVC_FE_LOAD_BALANCER_IP },
	[KW_NODE_PORT]		= { "node-port", false, 0 },
	[KW_SCHED]		= { "sched", false, 0 },
	[KW_AFFINITY]		= { "affinity", false, 0 },
	[KW_EXT_POLICY]		= { "external-policy", false, 0 },
	[KW_INT_POLICY]		= { "internal-policy", false, 0 },
	[KW_SOURCE_RANGES]	= { "source-ranges", false, 0 },
};

static int lookup(const char *word)
{
	int k;

	for (k = 0; k < __KW_LAST; k++)
		if (!strcmp(word, keywords[k].name))
			return k;
	return -1;
}

static int add_frontend(struct ksctl_req *req, enum kw k, const char *val)
{
	struct ksvc_service *svc = &req->svc;
	struct ksvc_frontend fe = { .kind = keywords[k].kind };
	char a[KSVC_ADDR_STRLEN];
	size_t i;
	int ret;

	ret = ksctl_parse_unicast(req, keywords[k].name, val, &fe.addr);
	if (ret)
		return ret;
	for (i = 0; i < svc->nfrontends; i++)
		if (ksvc_addr_equal(&svc->frontends[i].addr, &fe.addr))
			return ksctl_usage(req, "frontend %s given twice",
					   ksvc_format_addr(&fe.addr, a, sizeof(a)));
	if (svc->nfrontends == KSVC_FRONTENDS_MAX)
		return ksctl_usage(req, "too many frontends (%d at most)",
				   KSVC_FRONTENDS_MAX);
	if (ksvc_service_add_frontend(svc, &fe))
		return ksctl_usage(req, "out of memory");
	svc->has |= KSVC_SVC_HAS_FRONTENDS;
	return 0;
}

static int keyword(struct ksctl_req *req, enum kw k, const char *val)
{
	struct ksvc_service *svc = &req->svc;
	const char *why;
	int v;

	switch (k) {
	case KW_PROTO:
		v = ksvc_proto_from_name(val);
		if (v < 0)
			return ksctl_usage(req, "unknown protocol \"%s\" (tcp, udp, sctp)",
					   val);
		svc->proto = (uint8_t)v;
		svc->has |= KSVC_SVC_HAS_PROTO;
		return 0;
	case KW_PORT:
		if (ksvc_parse_port(val, false, &svc->port, &why))
			return ksctl_usage(req, "invalid port \"%s\": %s", val, why);
		svc->has |= KSVC_SVC_HAS_PORT;
		return 0;
	case KW_NODE_PORT:
		if (ksvc_parse_port(val, true, &svc->node_port, &why))
			return ksctl_usage(req, "invalid node-port \"%s\": %s",
					   val, why);
		svc->has |= KSVC_SVC_HAS_NODE_PORT;
		return 0;
	case KW_SCHED:
		v = ksvc_sched_from_name(val);
		if (v < 0)
			return ksctl_usage(req, "unknown scheduler \"%s\" (random, rr, maglev)",
					   val);
		svc->sched = (uint8_t)v;
		svc->has |= KSVC_SVC_HAS_SCHED;
		return 0;
	case KW_AFFINITY:
		/* "on" is Kubernetes' default timeout. */
		if (!strcmp(val, "on"))
			svc->affinity = KSVC_AFFINITY_TIMEOUT_DEFAULT;
		else if (!strcmp(val, "off"))
			svc->affinity = 0;
		else if (ksvc_parse_u32(val, KSVC_AFFINITY_TIMEOUT_MAX,
					&svc->affinity, &why))
			return ksctl_usage(req, "invalid affinity \"%s\": %s (seconds 0..%d, on, off)",
					   val, why, KSVC_AFFINITY_TIMEOUT_MAX);
		svc->has |= KSVC_SVC_HAS_AFFINITY;
		return 0;
	case KW_SOURCE_RANGES: {
		struct ksvc_cidr r[KSVC_SOURCE_RANGES_MAX];
		size_t i, n;

		if (ksctl_parse_cidrs(req, "source-ranges", "source ranges",
				      val, r, &n, KSVC_SOURCE_RANGES_MAX))
			return -EINVAL;
		for (i = 0; i < n; i++)
			if (ksvc_service_add_source_range(svc, &r[i]))
				return ksctl_usage(req, "out of memory");
		svc->has |= KSVC_SVC_HAS_SOURCE_RANGES;
		return 0;
	}
	case KW_EXT_POLICY:
	case KW_INT_POLICY:
		v = k == KW_EXT_POLICY ? KSVC_SVC_F_EXTERNAL_LOCAL :
					 KSVC_SVC_F_INTERNAL_LOCAL;
		if (!strcmp(val, "local"))
			svc->flags |= (uint32_t)v;
		else if (!strcmp(val, "cluster"))
			svc->flags &= ~(uint32_t)v;
		else
			return ksctl_usage(req, "invalid %s \"%s\" (local, cluster)",
					   keywords[k].name, val);
		req->flags_mask |= (uint32_t)v;
		svc->has |= KSVC_SVC_HAS_FLAGS;
		return 0;
	default:
		return add_frontend(req, k, val);
	}
}

/* The KEYWORD VALUE pairs after the name, argv[i] on. */
static int keywords_parse(struct ksctl_req *req, int argc, char **argv, int i)
{
	unsigned int seen = 0;
	int k, ret;

	for (; i < argc; i += 2) {
		k = lookup(argv[i]);
		if (k < 0)
			return ksctl_usage(req, "unknown keyword \"%s\"", argv[i]);
		if (i + 1 == argc)
			return ksctl_usage(req, "missing value after \"%s\"",
					   argv[i]);
		if ((seen & (1U << k)) && !keywords[k].repeat)
			return ksctl_usage(req, "\"%s\" given twice", argv[i]);
		seen |= 1U << k;
		ret = keyword(req, (enum kw)k, argv[i + 1]);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_add(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_service_new(ks, &req->svc, &req->kerr);
}

/* A policy changes its own flag: the others are read from the kernel. */
static int run_set(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_service cur;
	int ret;

	if (req->flags_mask) {
		ksvc_service_init(&cur);
		ret = ksvc_service_get(ks, req->svc.name, 0, &cur, &req->kerr);
		if (!ret)
			req->svc.flags = (cur.flags & ~req->flags_mask) |
					 (req->svc.flags & req->flags_mask);
		ksvc_service_release(&cur);
		if (ret)
			return ret;
	}
	return ksvc_service_set(ks, &req->svc, &req->kerr);
}

static int run_del(struct ksctl_req *req, struct ksvc *ks)
{
	return ksvc_service_del(ks, req->svc.name, &req->kerr);
}

static int run_list(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_service_list list;
	int ret;

	/* JSON is for programs: give them everything. */
	ret = ksctl_list(req, ks, req->json ? KSVC_LIST_BACKENDS : 0, &list);
	if (ret)
		return ret;
	if (req->json)
		ret = json_services(ksctl_env.out, &list);
	else
		table_services(ksctl_env.out, &list);
	ksvc_service_list_release(&list);
	return ret;
}

static int run_show(struct ksctl_req *req, struct ksvc *ks)
{
	struct ksvc_service_list list;
	int ret;

	ret = ksctl_list(req, ks, KSVC_LIST_BACKENDS, &list);
	if (ret)
		return ret;
	if (req->json)
		ret = json_service(ksctl_env.out, &list.svcs[0]);
	else
		table_service(ksctl_env.out, &list.svcs[0]);
	ksvc_service_list_release(&list);
	return ret;
}

static const struct {
	const char *name;
	const char *cmd;
	ksctl_run_fn run;
} subcommands[] = {
	{ "add", "service add", run_add },
	{ "set", "service set", run_set },
	{ "del", "service del", run_del },
	{ "list", "service list", run_list },
	{ "show", "service show", run_show },
};

int service_parse(int argc, char **argv, struct ksctl_req *req)
{
	size_t s;
	int ret;

	req->cmd = "service";
	if (argc < 2)
		return ksctl_usage(req, "missing subcommand (add, set, del, list, show)");
	for (s = 0; s < sizeof(subcommands) / sizeof(subcommands[0]); s++)
		if (!strcmp(argv[1], subcommands[s].name))
			break;
	if (s == sizeof(subcommands) / sizeof(subcommands[0]))
		return ksctl_usage(req, "unknown subcommand \"%s\" (add, set, del, list, show)",
				   argv[1]);
	req->cmd = subcommands[s].cmd;
	req->run = subcommands[s].run;

	if (subcommands[s].run == run_list)
		return ksctl_no_more(req, argc, argv, 2);
	ret = ksctl_parse_name(req, argc, argv, 2);
	if (ret)
		return ret;
	if (subcommands[s].run == run_del || subcommands[s].run == run_show)
		return ksctl_no_more(req, argc, argv, 3);

	ret = keywords_parse(req, argc, argv, 3);
	if (ret)
		return ret;
	if (subcommands[s].run == run_set) {
		if (!req->svc.has)
			return ksctl_usage(req, "nothing to change");
		return 0;
	}
	if (!(req->svc.has & KSVC_SVC_HAS_PROTO))
		return ksctl_usage(req, "missing \"proto\"");
	if (!(req->svc.has & KSVC_SVC_HAS_PORT))
		return ksctl_usage(req, "missing \"port\"");
	return 0;
}
