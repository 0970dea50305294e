// SPDX-License-Identifier: GPL-2.0
/*
 * The errno and extended ack of NLMSG_ERROR and NLMSG_DONE.
 *
 * NLMSG_ERROR: struct nlmsgerr, whose echoed request is only a header when
 * NLM_F_CAPPED is set (acks, or NETLINK_CAP_ACK) and whole otherwise, then,
 * with NLM_F_ACK_TLVS, the NLMSGERR_ATTR_* attributes.
 * NLMSG_DONE: an int (the dump's error), then the same attributes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netlink/attr.h>

#include "ksvc_msg.h"

static void extack(const struct nlmsghdr *nlh, size_t off, char *msg,
		   size_t len)
{
	static struct nla_policy policy[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG]		= { .type = NLA_STRING },
#ifdef NLMSGERR_ATTR_MISS_TYPE
		[NLMSGERR_ATTR_MISS_TYPE]	= { .type = NLA_U32 },
#endif
	};
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;

	off = NLMSG_ALIGN(off);
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= plen)
		return;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX,
		      (struct nlattr *)((char *)NLMSG_DATA(nlh) + off),
		      (int)(plen - off), policy) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		snprintf(msg, len, "%s", nla_get_string(tb[NLMSGERR_ATTR_MSG]));
#ifdef NLMSGERR_ATTR_MISS_TYPE
	else if (tb[NLMSGERR_ATTR_MISS_TYPE])
		snprintf(msg, len, "missing attribute %u",
			 nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
#endif
}

int ksvc_parse_ack(const struct nlmsghdr *nlh, char *msg, size_t len)
{
	const struct nlmsgerr *e;
	size_t plen, off;
	int err;

	if (msg && len)
		msg[0] = '\0';
	if (nlh->nlmsg_len < NLMSG_HDRLEN)
		return -EPROTO;
	plen = nlh->nlmsg_len - NLMSG_HDRLEN;

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (plen < sizeof(*e))
			return -EPROTO;
		e = NLMSG_DATA(nlh);
		err = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e->msg.nlmsg_len >= NLMSG_HDRLEN)
			off += e->msg.nlmsg_len - NLMSG_HDRLEN;
		break;
	case NLMSG_DONE:
		/* Old kernels may send an empty NLMSG_DONE. */
		if (plen < sizeof(int))
			return 0;
		memcpy(&err, NLMSG_DATA(nlh), sizeof(err));
		off = sizeof(err);
		break;
	default:
		return 0;
	}
	if (err > 0)
		err = -err;
	if (err && msg && len)
		extack(nlh, off, msg, len);
	return err;
}
