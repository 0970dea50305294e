// SPDX-License-Identifier: GPL-2.0
/*
 * The socket: opening it, resolving the family, and one request/reply
 * exchange on libnl's receive loop. Only this file does I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "ksvc_msg.h"
#include "ksvc_sock.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

int ksvc_nlerr(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case 0:				return 0;
	case NLE_INTR:			return -EINTR;
	case NLE_BAD_SOCK:		return -EBADF;
	case NLE_AGAIN:			return -EAGAIN;
	case NLE_NOMEM:			return -ENOMEM;
	case NLE_EXIST:			return -EEXIST;
	case NLE_INVAL:			return -EINVAL;
	case NLE_RANGE:			return -ERANGE;
	case NLE_MSGSIZE:		return -EMSGSIZE;
	case NLE_OPNOTSUPP:		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:		return -ENOENT;
	case NLE_NOATTR:		return -ENOENT;
	case NLE_MSG_OVERFLOW:		return -ENOBUFS;
	case NLE_MSG_TRUNC:		return -EPROTO;
	case NLE_SEQ_MISMATCH:		return -EPROTO;
	case NLE_MSG_TOOSHORT:		return -EPROTO;
	case NLE_MSGTYPE_NOSUPPORT:	return -EPROTO;
	case NLE_NOACCESS:		return -EACCES;
	case NLE_PERM:			return -EPERM;
	case NLE_PROTO_MISMATCH:	return -EPROTONOSUPPORT;
	case NLE_NOADDR:		return -EADDRNOTAVAIL;
	case NLE_BUSY:			return -EBUSY;
	case NLE_NODEV:			return -ENODEV;
	case NLE_ATTRSIZE:		return -EMSGSIZE;
	case NLE_DUMP_INTR:		return -EINTR;
	default:			return -EIO;
	}
}

/* One exchange: what the callbacks learn while libnl reads. */
struct txn {
	int type;		/* of the reply messages fn wants */
	ksvc_reply_fn fn;
	void *arg;
	int kerr;		/* the kernel's errno */
	int perr;		/* fn's first error */
	bool done;		/* ack, error or NLMSG_DONE seen */
	bool intr;		/* NLM_F_DUMP_INTR seen */
	struct ksvc_err *err;
};

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct txn *t = arg;
	int ret;

	/* Keep reading on a parse error: a dump must be read to its end. */
	if (nlh->nlmsg_type != t->type || !t->fn || t->perr)
		return NL_SKIP;
	ret = t->fn(nlh, t->arg);
	if (ret < 0)
		t->perr = ret;
	return NL_OK;
}

/* Called for every message with the flag, NLMSG_DONE included. */
static int on_intr(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	(void)msg;
	t->intr = true;
	return NL_OK;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	(void)msg;
	t->done = true;
	return NL_STOP;
}

/* NLMSG_DONE, which carries the dump's errno and extack. */
static int on_finish(struct nl_msg *msg, void *arg)
{
	struct txn *t = arg;

	t->kerr = ksvc_parse_ack(nlmsg_hdr(msg), t->err ? t->err->msg : NULL,
				 t->err ? sizeof(t->err->msg) : 0);
	t->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands over the payload; the header (flags) is just before. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct txn *t = arg;

	(void)nla;
	t->kerr = ksvc_parse_ack(nlh, t->err ? t->err->msg : NULL,
				 t->err ? sizeof(t->err->msg) : 0);
	if (!t->kerr)
		t->kerr = -EPROTO;
	t->done = true;
	return NL_STOP;
}

int ksvc_transact(struct ksvc *ks, struct nl_msg *msg, int type,
		  ksvc_reply_fn fn, void *arg, bool *intr,
		  struct ksvc_err *err)
{
	struct txn t = { .type = type, .fn = fn, .arg = arg, .err = err };
	struct nl_cb *orig, *cb;
	int ret;

	if (intr)
		*intr = false;
	if (err)
		err->msg[0] = '\0';

	orig = nl_socket_get_cb(ks->sk);
	cb = nl_cb_clone(orig);
	nl_cb_put(orig);
	if (!cb) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &t);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, on_intr, &t);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &t);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &t);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &t);

	ret = nl_send_auto(ks->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = ksvc_nlerr(ret);
		goto out;
	}

	ret = 0;
	while (!t.done) {
		ret = nl_recvmsgs_report(ks->sk, cb);
		if (t.done)
			break;
		if (ret < 0) {
			ret = ksvc_nlerr(ret);
			goto out;
		}
		if (!ret) {
			/* The socket gave nothing: no kernel on the other end. */
			ret = -EPROTO;
			goto out;
		}
	}
	if (intr)
		*intr = t.intr;
	ret = t.kerr ? t.kerr : t.perr;
out:
	nl_cb_put(cb);
	return ret;
}

struct family_reply {
	uint16_t id;
	uint32_t version;
};

static int family_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct family_reply *f = arg;

	return ksvc_parse_ctrl_family(nlh, KSVC_GENL_NAME, &f->id, &f->version);
}

static int resolve(struct ksvc *ks, struct ksvc_err *err)
{
	struct family_reply f = { 0 };
	struct nl_msg *msg;
	int ret;

	ret = ksvc_msg_ctrl_getfamily(KSVC_GENL_NAME, &msg);
	if (ret)
		return ret;
	ret = ksvc_transact(ks, msg, GENL_ID_CTRL, family_cb, &f, NULL, err);
	if (ret == -ENOENT) {
		if (err)
			snprintf(err->msg, sizeof(err->msg),
				 "no generic netlink family \"%s\"",
				 KSVC_GENL_NAME);
		return -EPROTONOSUPPORT;
	}
	if (!ret && !f.id)
		ret = -EPROTO;
	if (ret)
		return ret;
	ks->family = f.id;
	ks->version = f.version;
	return 0;
}

/* Extended acks say which attribute was wrong and why; a capped ack keeps a
 * 60 KiB backend part from coming back whole with its error. Old kernels
 * lack both, which only costs the messages. */
static void socket_options(struct nl_sock *sk)
{
	int fd = nl_socket_get_fd(sk), one = 1;

	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
}

int ksvc_open_transport(struct ksvc **ksp, const struct ksvc_transport *t,
			struct ksvc_err *err)
{
	struct ksvc *ks;
	struct nl_cb *cb;
	int ret;

	if (err)
		err->msg[0] = '\0';
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	ks->sk = nl_socket_alloc();
	if (!ks->sk) {
		ret = -ENOMEM;
		goto err_free;
	}
	if (t) {
		cb = nl_socket_get_cb(ks->sk);
		nl_cb_overwrite_send(cb, t->send);
		nl_cb_overwrite_recv(cb, t->recv);
		nl_cb_put(cb);
	} else {
		ret = nl_connect(ks->sk, NETLINK_GENERIC);
		if (ret < 0) {
			ret = ksvc_nlerr(ret);
			goto err_sock;
		}
		socket_options(ks->sk);
	}
	ret = resolve(ks, err);
	if (ret)
		goto err_sock;
	*ksp = ks;
	return 0;

err_sock:
	nl_socket_free(ks->sk);
err_free:
	free(ks);
	return ret;
}

int ksvc_open(struct ksvc **ksp, struct ksvc_err *err)
{
	return ksvc_open_transport(ksp, NULL, err);
}

void ksvc_close(struct ksvc *ks)
{
	if (!ks)
		return;
	nl_socket_free(ks->sk);
	free(ks);
}
