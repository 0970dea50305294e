// SPDX-License-Identifier: GPL-2.0
/*
 * The fake kernel; see fake_kernel.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "fake_kernel.h"
#include "ksvc_sock.h"

struct fake fake;

void fake_reset(void)
{
	size_t i;

	for (i = 0; i < fake.nsent; i++)
		free(fake.sent[i]);
	free(fake.sent);
	for (i = 0; i < fake.nbufs; i++)
		free(fake.bufs[i].data);
	free(fake.bufs);
	free(fake.open.data);
	memset(&fake, 0, sizeof(fake));
	fake.family = FAKE_FAMILY;
}

void fake_queue(const struct nlmsghdr *nlh)
{
	size_t len = NLMSG_ALIGN(nlh->nlmsg_len);

	fake.open.data = realloc(fake.open.data, fake.open.len + len);
	memset(fake.open.data + fake.open.len, 0, len);
	memcpy(fake.open.data + fake.open.len, nlh, nlh->nlmsg_len);
	fake.open.len += len;
}

void fake_cut(void)
{
	if (!fake.open.len)
		return;
	fake.bufs = realloc(fake.bufs, (fake.nbufs + 1) * sizeof(*fake.bufs));
	fake.bufs[fake.nbufs++] = fake.open;
	memset(&fake.open, 0, sizeof(fake.open));
}

void fake_queue_msg(struct nl_msg *msg)
{
	fake_queue(nlmsg_hdr(msg));
	nlmsg_free(msg);
}

static struct nl_msg *reply_to(const struct nlmsghdr *req, int type,
			       uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536);

	genlmsg_put(msg, req->nlmsg_pid, req->nlmsg_seq, type, 0, flags, cmd,
		    1);
	return msg;
}

struct nl_msg *fake_reply(const struct nlmsghdr *req, uint8_t cmd, int flags)
{
	return reply_to(req, fake.family, cmd, flags);
}

static void put_extack(struct nl_msg *msg, const char *extack)
{
	if (extack) {
		nlmsg_hdr(msg)->nlmsg_flags |= NLM_F_ACK_TLVS;
		nla_put_string(msg, NLMSGERR_ATTR_MSG, extack);
	}
}

void fake_ack(const struct nlmsghdr *req, int error, const char *extack)
{
	struct nl_msg *msg = nlmsg_alloc_size(65536);
	struct nlmsgerr *e;

	/* As the kernel with NETLINK_CAP_ACK: only the request's header. */
	nlmsg_put(msg, req->nlmsg_pid, req->nlmsg_seq, NLMSG_ERROR,
		  sizeof(*e), NLM_F_CAPPED);
	e = nlmsg_data(nlmsg_hdr(msg));
	e->error = error;
	e->msg = *req;
	if (error)
		put_extack(msg, extack);
	fake_queue_msg(msg);
}

void fake_done(const struct nlmsghdr *req, int error, const char *extack,
	       bool intr)
{
	struct nl_msg *msg = nlmsg_alloc_size(4096);
	int flags = NLM_F_MULTI | (intr ? NLM_F_DUMP_INTR : 0);

	nlmsg_put(msg, req->nlmsg_pid, req->nlmsg_seq, NLMSG_DONE,
		  sizeof(error), flags);
	memcpy(nlmsg_data(nlmsg_hdr(msg)), &error, sizeof(error));
	put_extack(msg, extack);
	fake_queue_msg(msg);
}

uint8_t fake_cmd(const struct nlmsghdr *nlh)
{
	return ((const struct genlmsghdr *)NLMSG_DATA(nlh))->cmd;
}

static void controller(const struct nlmsghdr *req)
{
	struct nl_msg *msg;

	if (!fake.family) {
		fake_ack(req, -ENOENT, NULL);
		return;
	}
	msg = reply_to(req, GENL_ID_CTRL, CTRL_CMD_NEWFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, KSVC_GENL_NAME);
	nla_put_u16(msg, CTRL_ATTR_FAMILY_ID, (uint16_t)fake.family);
	nla_put_u32(msg, CTRL_ATTR_VERSION, KSVC_GENL_VERSION);
	nla_put_u32(msg, CTRL_ATTR_HDRSIZE, 0);
	fake_queue_msg(msg);
	if (req->nlmsg_flags & NLM_F_ACK)
		fake_ack(req, 0, NULL);
}

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg), *copy;

	(void)sk;
	if (nlh->nlmsg_type == GENL_ID_CTRL) {
		controller(nlh);
	} else {
		copy = malloc(nlh->nlmsg_len);
		memcpy(copy, nlh, nlh->nlmsg_len);
		fake.sent = realloc(fake.sent,
				    (fake.nsent + 1) * sizeof(*fake.sent));
		fake.sent[fake.nsent++] = copy;
		if (fake.respond)
			fake.respond(nlh, fake.arg);
		else if (nlh->nlmsg_flags & NLM_F_ACK)
			fake_ack(nlh, 0, NULL);
	}
	fake_cut();
	return (int)nlh->nlmsg_len;
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla,
		     unsigned char **buf, struct ucred **creds)
{
	struct fake_buf *b;

	(void)sk;
	(void)creds;
	if (fake.next == fake.nbufs)
		return 0;
	b = &fake.bufs[fake.next++];
	nla->nl_family = AF_NETLINK;
	*buf = malloc(b->len);
	memcpy(*buf, b->data, b->len);
	return (int)b->len;
}

int fake_open(struct ksvc **ksp, struct ksvc_err *err)
{
	static const struct ksvc_transport t = {
		.send = fake_send,
		.recv = fake_recv,
	};

	fake.opens++;
	return ksvc_open_transport(ksp, &t, err);
}
