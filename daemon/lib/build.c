// SPDX-License-Identifier: GPL-2.0
/*
 * Building the request of each kservice command. Every list is a nest of
 * nests (NLA_F_NESTED, as the kernel's strict validation wants), and list
 * nests are kept when empty: an empty list means "none", an absent one
 * "unchanged".
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "ksvc_msg.h"

/* Messages without backends: a name, 64 frontends and the rest fit. */
#define KSVC_MSG_SMALL	8192

/* Any failure to add an attribute means the message is full. */
#define PUT(expr)				\
	do {					\
		if ((expr) < 0)			\
			return -EMSGSIZE;	\
	} while (0)

static int msg_new(int family, uint8_t cmd, int flags, size_t size,
		   struct nl_msg **msgp)
{
	struct nl_msg *msg = nlmsg_alloc_size(size);

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, flags, cmd,
			 KSVC_GENL_VERSION)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	*msgp = msg;
	return 0;
}

/* Frees the message when put() failed: one exit for every builder. */
static int finish(int ret, struct nl_msg *msg, struct nl_msg **msgp)
{
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	*msgp = msg;
	return 0;
}

static int check_name(const char *name)
{
	size_t len = name ? strnlen(name, KSVC_NAME_MAX) : 0;

	if (!len)
		return -EINVAL;
	if (len >= KSVC_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int put_addr(struct nl_msg *msg, int fam_type, int addr_type,
		    const struct ksvc_addr *addr)
{
	size_t len = ksvc_addr_len(addr->family);

	if (!len)
		return -EAFNOSUPPORT;
	PUT(nla_put_u16(msg, fam_type, addr->family));
	PUT(nla_put(msg, addr_type, (int)len, addr->raw));
	return 0;
}

static int put_cidrs(struct nl_msg *msg, int type,
		     const struct ksvc_cidr *cidrs, size_t n, size_t max)
{
	struct nlattr *list, *nest;
	size_t i;
	int ret;

	if (n > max)
		return -E2BIG;
	list = nla_nest_start(msg, type);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < n; i++) {
		nest = nla_nest_start(msg, 0);
		if (!nest)
			return -EMSGSIZE;
		ret = put_addr(msg, KSVC_CIDR_A_FAMILY, KSVC_CIDR_A_ADDR,
			       &cidrs[i].addr);
		if (ret)
			return ret;
		PUT(nla_put_u8(msg, KSVC_CIDR_A_PREFIXLEN, cidrs[i].prefixlen));
		PUT(nla_nest_end(msg, nest));
	}
	PUT(nla_nest_end_keep_empty(msg, list));
	return 0;
}

static int put_frontends(struct nl_msg *msg, const struct ksvc_service *svc)
{
	struct nlattr *list, *fe;
	size_t i;
	int ret;

	list = nla_nest_start(msg, KSVC_A_SVC_FRONTENDS);
	if (!list)
		return -EMSGSIZE;
	for (i = 0; i < svc->nfrontends; i++) {
		fe = nla_nest_start(msg, 0);
		if (!fe)
			return -EMSGSIZE;
		PUT(nla_put_u8(msg, KSVC_FE_A_KIND, svc->frontends[i].kind));
		ret = put_addr(msg, KSVC_FE_A_FAMILY, KSVC_FE_A_ADDR,
			       &svc->frontends[i].addr);
		if (ret)
			return ret;
		PUT(nla_nest_end(msg, fe));
	}
	PUT(nla_nest_end_keep_empty(msg, list));
	return 0;
}

static int put_backend(struct nl_msg *msg, const struct ksvc_backend *be)
{
	struct nlattr *nest;
	int ret;

	nest = nla_nest_start(msg, 0);
	if (!nest)
		return -EMSGSIZE;
	ret = put_addr(msg, KSVC_BE_A_FAMILY, KSVC_BE_A_ADDR, &be->addr);
	if (ret)
		return ret;
	PUT(nla_put_u16(msg, KSVC_BE_A_PORT, be->port));
	PUT(nla_put_u32(msg, KSVC_BE_A_WEIGHT, be->weight));
	if (be->flags)
		PUT(nla_put_u32(msg, KSVC_BE_A_FLAGS, be->flags));
	PUT(nla_nest_end(msg, nest));
	return 0;
}

/*
 * Puts be[*pos..n) into a KSVC_A_SVC_BACKENDS nest until the nest would grow
 * past KSVC_BE_BUDGET (always at least one, since one is far smaller), and
 * moves *pos past what went in. The message must have KSVC_BE_BUDGET bytes
 * free and a few hundred more for the one that is taken back out.
 */
static int put_backends(struct nl_msg *msg, const struct ksvc_backend *be,
			size_t n, size_t *pos)
{
	struct nlattr *list, *last;
	size_t i;
	int ret;

	list = nla_nest_start(msg, KSVC_A_SVC_BACKENDS);
	if (!list)
		return -EMSGSIZE;
	for (i = *pos; i < n; i++) {
		last = (struct nlattr *)nlmsg_tail(nlmsg_hdr(msg));
		ret = put_backend(msg, &be[i]);
		if (ret)
			return ret;
		if ((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)list >
		    KSVC_BE_BUDGET && i > *pos) {
			nla_nest_cancel(msg, last);
			break;
		}
	}
	PUT(nla_nest_end_keep_empty(msg, list));
	*pos = i;
	return 0;
}

/* KSVC_A_REQ_FLAGS, when there are any. */
static int put_req_flags(struct nl_msg *msg, uint32_t req_flags)
{
	if (req_flags)
		PUT(nla_put_u32(msg, KSVC_A_REQ_FLAGS, req_flags));
	return 0;
}

static int put_service(struct nl_msg *msg, const struct ksvc_service *svc,
		       uint32_t has, uint32_t req_flags)
{
	size_t pos = 0;
	int ret;

	PUT(nla_put_string(msg, KSVC_A_SVC_NAME, svc->name));
	ret = put_req_flags(msg, req_flags);
	if (ret)
		return ret;
	if (has & KSVC_SVC_HAS_PROTO)
		PUT(nla_put_u8(msg, KSVC_A_SVC_PROTO, svc->proto));
	if (has & KSVC_SVC_HAS_PORT)
		PUT(nla_put_u16(msg, KSVC_A_SVC_PORT, svc->port));
	if (has & KSVC_SVC_HAS_NODE_PORT)
		PUT(nla_put_u16(msg, KSVC_A_SVC_NODE_PORT, svc->node_port));
	if (has & KSVC_SVC_HAS_SCHED)
		PUT(nla_put_u8(msg, KSVC_A_SVC_SCHED, svc->sched));
	if (has & KSVC_SVC_HAS_FLAGS)
		PUT(nla_put_u32(msg, KSVC_A_SVC_FLAGS, svc->flags));
	if (has & KSVC_SVC_HAS_GENERATION)
		PUT(nla_put_u64(msg, KSVC_A_SVC_GENERATION, svc->generation));
	if (has & KSVC_SVC_HAS_AFFINITY)
		PUT(nla_put_u32(msg, KSVC_A_SVC_AFFINITY, svc->affinity));
	if (has & KSVC_SVC_HAS_SOURCE_RANGES) {
		ret = put_cidrs(msg, KSVC_A_SVC_SOURCE_RANGES,
				svc->source_ranges, svc->nsource_ranges,
				KSVC_SOURCE_RANGES_MAX);
		if (ret)
			return ret;
	}
	if (has & KSVC_SVC_HAS_FRONTENDS) {
		ret = put_frontends(msg, svc);
		if (ret)
			return ret;
	}
	if (has & KSVC_SVC_HAS_BACKENDS) {
		ret = put_backends(msg, svc->backends, svc->nbackends, &pos);
		if (ret)
			return ret;
		/* SVC_NEW and SVC_SET carry the whole set or nothing. */
		if (pos < svc->nbackends)
			return -EMSGSIZE;
	}
	return 0;
}

/* The fields SVC_NEW and SVC_SET may carry; the rest are read only. */
#define SVC_WRITABLE	(KSVC_SVC_HAS_PROTO | KSVC_SVC_HAS_PORT |	\
			 KSVC_SVC_HAS_NODE_PORT | KSVC_SVC_HAS_SCHED |	\
			 KSVC_SVC_HAS_FLAGS | KSVC_SVC_HAS_GENERATION |	\
			 KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_BACKENDS | \
			 KSVC_SVC_HAS_AFFINITY | KSVC_SVC_HAS_SOURCE_RANGES)

int ksvc_msg_svc_new(int family, const struct ksvc_service *svc,
		     uint32_t req_flags, struct nl_msg **msgp)
{
	uint32_t has = (svc->has & SVC_WRITABLE) | KSVC_SVC_HAS_PROTO |
		       KSVC_SVC_HAS_PORT;
	struct nl_msg *msg;
	int ret;

	ret = check_name(svc->name);
	if (!ret)
		ret = msg_new(family, KSVC_CMD_SVC_NEW, 0, KSVC_MSG_SIZE, &msg);
	if (ret)
		return ret;
	return finish(put_service(msg, svc, has, req_flags), msg, msgp);
}

int ksvc_msg_svc_set(int family, const struct ksvc_service *svc,
		     uint32_t req_flags, struct nl_msg **msgp)
{
	struct nl_msg *msg;
	int ret;

	ret = check_name(svc->name);
	if (!ret)
		ret = msg_new(family, KSVC_CMD_SVC_SET, 0, KSVC_MSG_SIZE, &msg);
	if (ret)
		return ret;
	return finish(put_service(msg, svc, svc->has & SVC_WRITABLE, req_flags),
		      msg, msgp);
}

/* A request of a name and request flags, each when given; callers may put
 * more in it. */
static int name_only(int family, uint8_t cmd, int flags, const char *name,
		     uint32_t req_flags, struct nl_msg **msgp)
{
	struct nl_msg *msg;
	int ret;

	ret = msg_new(family, cmd, flags, KSVC_MSG_SMALL, &msg);
	if (ret)
		return ret;
	if (name && nla_put_string(msg, KSVC_A_SVC_NAME, name) < 0)
		ret = -EMSGSIZE;
	if (!ret)
		ret = put_req_flags(msg, req_flags);
	return finish(ret, msg, msgp);
}

int ksvc_msg_svc_del(int family, const char *name, uint32_t req_flags,
		     struct nl_msg **msgp)
{
	int ret = check_name(name);

	if (ret)
		return ret;
	return name_only(family, KSVC_CMD_SVC_DEL, 0, name, req_flags, msgp);
}

int ksvc_msg_svc_get(int family, const char *name, uint32_t req_flags,
		     struct nl_msg **msgp)
{
	int ret = name ? check_name(name) : 0;

	if (ret)
		return ret;
	return name_only(family, KSVC_CMD_SVC_GET, NLM_F_DUMP, name, req_flags,
			 msgp);
}

int ksvc_msg_be_replace(int family, const char *name,
			const struct ksvc_backend *be, size_t n, size_t *pos,
			uint32_t req_flags, struct nl_msg **msgp)
{
	uint32_t flags = req_flags | (*pos ? KSVC_REQ_F_CONTINUE : 0);
	struct nl_msg *msg;
	size_t end = *pos;
	int ret;

	ret = check_name(name);
	if (!ret && *pos && *pos >= n)
		ret = -EINVAL;
	if (!ret)
		ret = msg_new(family, KSVC_CMD_BE_REPLACE, 0, KSVC_MSG_SIZE,
			      &msg);
	if (ret)
		return ret;
	if (nla_put_string(msg, KSVC_A_SVC_NAME, name) < 0)
		ret = -EMSGSIZE;
	if (!ret)
		ret = put_backends(msg, be, n, &end);
	if (!ret && end < n)
		flags |= KSVC_REQ_F_MORE;
	if (!ret)
		ret = put_req_flags(msg, flags);
	if (!ret)
		*pos = end;
	return finish(ret, msg, msgp);
}

int ksvc_msg_be_one(int family, uint8_t cmd, const char *name,
		    const struct ksvc_backend *be, uint32_t req_flags,
		    struct nl_msg **msgp)
{
	struct nl_msg *msg;
	size_t pos = 0;
	int ret;

	if (cmd != KSVC_CMD_BE_ADD && cmd != KSVC_CMD_BE_DEL)
		return -EINVAL;
	ret = check_name(name);
	if (!ret)
		ret = name_only(family, cmd, 0, name, req_flags, &msg);
	if (ret)
		return ret;
	return finish(put_backends(msg, be, 1, &pos), msg, msgp);
}

int ksvc_msg_flush(int family, struct nl_msg **msgp)
{
	return name_only(family, KSVC_CMD_FLUSH, 0, NULL, 0, msgp);
}

int ksvc_msg_ct_cleanup(int family, struct nl_msg **msgp)
{
	return name_only(family, KSVC_CMD_CT_CLEANUP, 0, NULL, 0, msgp);
}

int ksvc_msg_cfg_get(int family, struct nl_msg **msgp)
{
	return name_only(family, KSVC_CMD_CFG_GET, 0, NULL, 0, msgp);
}

static int put_config(struct nl_msg *msg, const struct ksvc_config *cfg)
{
	int ret;

	if (cfg->has & KSVC_CFG_HAS_CLUSTER_CIDRS) {
		ret = put_cidrs(msg, KSVC_A_CFG_CLUSTER_CIDRS,
				cfg->cluster_cidrs, cfg->ncluster_cidrs,
				KSVC_CIDRS_MAX);
		if (ret)
			return ret;
	}
	if (cfg->has & KSVC_CFG_HAS_NODEPORT_CIDRS) {
		ret = put_cidrs(msg, KSVC_A_CFG_NODEPORT_CIDRS,
				cfg->nodeport_cidrs, cfg->nnodeport_cidrs,
				KSVC_CIDRS_MAX);
		if (ret)
			return ret;
	}
	if (cfg->has & KSVC_CFG_HAS_MASQUERADE_ALL)
		PUT(nla_put_u8(msg, KSVC_A_CFG_MASQUERADE_ALL,
			       cfg->masquerade_all));
	if (cfg->has & KSVC_CFG_HAS_NODEPORT_LOCALHOST)
		PUT(nla_put_u8(msg, KSVC_A_CFG_NODEPORT_LOCALHOST,
			       cfg->nodeport_localhost));
	if (cfg->has & KSVC_CFG_HAS_AFFINITY_MAX)
		PUT(nla_put_u32(msg, KSVC_A_CFG_AFFINITY_MAX,
				cfg->affinity_max));
	return 0;
}

int ksvc_msg_cfg_set(int family, const struct ksvc_config *cfg,
		     struct nl_msg **msgp)
{
	struct nl_msg *msg;
	int ret;

	ret = msg_new(family, KSVC_CMD_CFG_SET, 0, KSVC_MSG_SMALL, &msg);
	if (ret)
		return ret;
	return finish(put_config(msg, cfg), msg, msgp);
}

int ksvc_msg_ctrl_getfamily(const char *name, struct nl_msg **msgp)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, name) < 0)
		return finish(-EMSGSIZE, msg, msgp);
	*msgp = msg;
	return 0;
}
