// SPDX-License-Identifier: GPL-2.0
/*
 * The commands: build the request, exchange it, parse the reply. Multi-
 * message work (backend sets in parts, dump retries) is sequenced here.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ksvc_msg.h"
#include "ksvc_sock.h"

static int fail(struct ksvc_err *err, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* A message the library refused to build, said in words. */
static int build_failed(struct ksvc_err *err, int ret)
{
	switch (ret) {
	case -EINVAL:
		return fail(err, ret, "invalid request (empty service name?)");
	case -ENAMETOOLONG:
		return fail(err, ret, "service name longer than %d bytes",
			    KSVC_NAME_MAX - 1);
	case -EAFNOSUPPORT:
		return fail(err, ret, "address family is not IPv4 or IPv6");
	case -E2BIG:
		return fail(err, ret, "more than %d cluster CIDRs",
			    KSVC_CIDRS_MAX);
	case -EMSGSIZE:
		return fail(err, ret, "request too large for one message");
	default:
		return fail(err, ret, "%s", strerror(-ret));
	}
}

/* Sends a request whose only answer is an ack. */
static int request(struct ksvc *ks, int ret, struct nl_msg *msg,
		   struct ksvc_err *err)
{
	if (ret)
		return build_failed(err, ret);
	return ksvc_transact(ks, msg, ks->family, NULL, NULL, NULL, err);
}

/* The request flags of a change: in a batch, its cleanup left to the end. */
static uint32_t defer(const struct ksvc *ks)
{
	return ks->batch ? KSVC_REQ_F_DEFER_CT : 0;
}

/* Sends a change built with defer(ks): request(), counted for the batch. */
static int change(struct ksvc *ks, int ret, struct nl_msg *msg,
		  struct ksvc_err *err)
{
	if (!ret && ks->batch)
		ks->batch_changes++;
	return request(ks, ret, msg, err);
}

int ksvc_backend_replace(struct ksvc *ks, const char *name,
			 const struct ksvc_backend *be, size_t n,
			 struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	size_t pos = 0;
	int ret;

	/* The kernel stages every part and swaps the set in on the last. */
	do {
		ret = ksvc_msg_be_replace(ks->family, name, be, n, &pos,
					  defer(ks), &msg);
		ret = change(ks, ret, msg, err);
	} while (!ret && pos < n);
	return ret;
}

int ksvc_service_new(struct ksvc *ks, const struct ksvc_service *svc,
		     struct ksvc_err *err)
{
	struct ksvc_service head = *svc;
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_svc_new(ks->family, svc, defer(ks), &msg);
	if (ret != -EMSGSIZE || !(svc->has & KSVC_SVC_HAS_BACKENDS))
		return change(ks, ret, msg, err);

	/*
	 * Too many backends for one message. Without frontends nothing
	 * reaches the service, so it can get its set in parts first and its
	 * frontends last, and no packet sees it half made.
	 */
	head.has &= ~(KSVC_SVC_HAS_FRONTENDS | KSVC_SVC_HAS_NODE_PORT |
		      KSVC_SVC_HAS_BACKENDS);
	ret = ksvc_msg_svc_new(ks->family, &head, defer(ks), &msg);
	ret = change(ks, ret, msg, err);
	if (ret)
		return ret;
	ret = ksvc_backend_replace(ks, svc->name, svc->backends,
				   svc->nbackends, err);
	if (!ret && (svc->has & (KSVC_SVC_HAS_FRONTENDS |
				 KSVC_SVC_HAS_NODE_PORT))) {
		head.has = svc->has & (KSVC_SVC_HAS_FRONTENDS |
				       KSVC_SVC_HAS_NODE_PORT);
		ret = ksvc_msg_svc_set(ks->family, &head, defer(ks), &msg);
		ret = change(ks, ret, msg, err);
	}
	if (ret && ksvc_msg_svc_del(ks->family, svc->name, defer(ks),
				    &msg) == 0)
		change(ks, 0, msg, NULL);
	return ret;
}

int ksvc_service_set(struct ksvc *ks, const struct ksvc_service *svc,
		     struct ksvc_err *err)
{
	struct ksvc_service rest = *svc;
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_svc_set(ks->family, svc, defer(ks), &msg);
	if (ret != -EMSGSIZE || !(svc->has & KSVC_SVC_HAS_BACKENDS))
		return change(ks, ret, msg, err);

	rest.has &= ~KSVC_SVC_HAS_BACKENDS;
	ret = ksvc_msg_svc_set(ks->family, &rest, defer(ks), &msg);
	ret = change(ks, ret, msg, err);
	if (ret)
		return ret;
	return ksvc_backend_replace(ks, svc->name, svc->backends,
				    svc->nbackends, err);
}

int ksvc_service_del(struct ksvc *ks, const char *name, struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_svc_del(ks->family, name, defer(ks), &msg);
	return change(ks, ret, msg, err);
}

static int dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	return ksvc_dump_add(arg, nlh);
}

int ksvc_service_list(struct ksvc *ks, const char *name, unsigned int flags,
		      struct ksvc_service_list *list, struct ksvc_err *err)
{
	uint32_t req = flags & KSVC_LIST_BACKENDS ? KSVC_REQ_F_BACKENDS : 0;
	struct ksvc_service_list got;
	struct nl_msg *msg = NULL;
	bool intr;
	int try, ret;

	for (try = 0; try < KSVC_DUMP_TRIES; try++) {
		ret = ksvc_msg_svc_get(ks->family, name, req, &msg);
		if (ret)
			return build_failed(err, ret);
		ksvc_service_list_init(&got);
		ret = ksvc_transact(ks, msg, ks->family, dump_cb, &got, &intr,
				    err);
		if (!ret && !intr) {
			*list = got;
			return 0;
		}
		ksvc_service_list_release(&got);
		/* A table that changed under the dump may fail to parse too. */
		if (ret && (!intr || ret != -EPROTO))
			return ret;
	}
	return fail(err, -EAGAIN, "service table kept changing during %d dumps",
		    KSVC_DUMP_TRIES);
}

int ksvc_service_get(struct ksvc *ks, const char *name, unsigned int flags,
		     struct ksvc_service *svc, struct ksvc_err *err)
{
	struct ksvc_service_list list;
	int ret;

	if (!name)
		return build_failed(err, -EINVAL);
	ret = ksvc_service_list(ks, name, flags, &list, err);
	if (ret)
		return ret;
	if (list.n != 1 || strcmp(list.svcs[0].name, name)) {
		ksvc_service_list_release(&list);
		return fail(err, list.n ? -EPROTO : -ENOENT,
			    list.n ? "the kernel sent other services" :
				     "no such service");
	}
	*svc = list.svcs[0];	/* takes the arrays */
	list.n = 0;
	ksvc_service_list_release(&list);
	return 0;
}

int ksvc_backend_add(struct ksvc *ks, const char *name,
		     const struct ksvc_backend *be, struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_be_one(ks->family, KSVC_CMD_BE_ADD, name, be, defer(ks),
			      &msg);
	return change(ks, ret, msg, err);
}

int ksvc_backend_del(struct ksvc *ks, const char *name,
		     const struct ksvc_backend *be, struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_be_one(ks->family, KSVC_CMD_BE_DEL, name, be, defer(ks),
			      &msg);
	return change(ks, ret, msg, err);
}

int ksvc_flush(struct ksvc *ks, struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_flush(ks->family, &msg);
	return request(ks, ret, msg, err);
}

void ksvc_batch_begin(struct ksvc *ks)
{
	ks->batch = true;
}

int ksvc_batch_end(struct ksvc *ks, struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	unsigned int changes = ks->batch_changes;
	int ret;

	ks->batch = false;
	ks->batch_changes = 0;
	if (err)
		err->msg[0] = '\0';
	if (!changes)
		return 0;
	ret = ksvc_msg_ct_cleanup(ks->family, &msg);
	return request(ks, ret, msg, err);
}

static int config_cb(const struct nlmsghdr *nlh, void *arg)
{
	return ksvc_parse_config(nlh, arg);
}

int ksvc_config_get(struct ksvc *ks, struct ksvc_config *cfg,
		    struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	ret = ksvc_msg_cfg_get(ks->family, &msg);
	if (ret)
		return build_failed(err, ret);
	return ksvc_transact(ks, msg, ks->family, config_cb, cfg, NULL, err);
}

int ksvc_config_set(struct ksvc *ks, const struct ksvc_config *cfg,
		    struct ksvc_err *err)
{
	struct nl_msg *msg = NULL;
	int ret;

	ret = ksvc_msg_cfg_set(ks->family, cfg, &msg);
	return request(ks, ret, msg, err);
}
